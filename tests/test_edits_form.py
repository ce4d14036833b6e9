"""FORM-SETTING and the line-level catch-alls."""

from __future__ import annotations

from tests.test_edits_support import BASE, chart, ids, only, scrub

HOSPITAL = chart(setting="hospital_outpatient")


def test_form_for_the_setting():
    assert "UB-04" in only(scrub(HOSPITAL, lambda c: c.update(form="CMS-1500")), "FORM-SETTING").message
    assert "FORM-SETTING" not in ids(scrub(HOSPITAL))
    assert "FORM-SETTING" in ids(scrub(BASE, lambda c: c.update(form="UB-04")))


def test_place_of_service_and_type_of_bill():
    assert only(scrub(BASE, lambda c: c.update(place_of_service="22")), "FORM-SETTING").severity == "warning"
    stated = chart(place_of_service="11")
    f = only(scrub(stated, lambda c: c.update(place_of_service="22")), "FORM-SETTING")
    assert f.severity == "error" and "22" in f.message
    assert "FORM-SETTING" not in ids(scrub(BASE))
    assert "FORM-SETTING" in ids(scrub(HOSPITAL, lambda c: c.update(type_of_bill="0851")))
    assert "FORM-SETTING" not in ids(scrub(HOSPITAL, lambda c: c.update(type_of_bill="0137")))  # frequency differs


def test_revenue_codes_on_a_hospital_claim():
    r = scrub(HOSPITAL, lambda c: c["lines"][1].update(revenue_code=None))
    assert only(r, "FORM-SETTING").line == 2
    r = scrub(HOSPITAL, lambda c: c["lines"][0].update(revenue_code="0250"))
    assert only(r, "FORM-SETTING").severity == "warning"


def test_line_missing_and_unexpected():
    r = scrub(BASE, lambda c: c["lines"].pop(0))
    assert only(r, "CLAIM-LINE-MISSING").impact_units == 60
    r = scrub(BASE, lambda c: c["lines"].append({"line": 4, "code": "99213", "units": 1}))
    assert only(r, "CLAIM-LINE-UNEXPECTED").line == 4
    assert not ids(scrub(BASE)) & {"CLAIM-LINE-MISSING", "CLAIM-LINE-UNEXPECTED"}


def test_medicare_home_infusion_has_no_administration_codes():
    home = chart(setting="home")
    claim = {"lines": [{"line": 1, "code": "J1561", "modifiers": ["JZ"], "units": 60},
                       {"line": 2, "code": "96365", "units": 1}, {"line": 3, "code": "96366", "units": 4}]}
    r = scrub(home, claim=claim)
    assert {f.line for f in r.findings if f.edit == "FORM-SETTING"} == {2, 3}
    assert not ids(r) & {"ADMIN-INITIAL-DUPLICATE", "ADMIN-ADDON-UNITS"}
    assert "Q2052" in only(r, "CLAIM-LINE-MISSING").message
    assert not ids(scrub(home), "error")
    # A commercial plan's home infusion is coded as professional services: the codes are expected there.
    com = chart(setting="home", payer={"type": "commercial", "prior_authorization": {"number": "P"}},
                drug0={"ndc": "13533-0805-11"})
    assert "FORM-SETTING" not in ids(scrub(com))
