"""FORM-SETTING and the line-level catch-alls."""

from __future__ import annotations

import pytest

from tests.test_edits_support import BASE, build, chart, ids, only, scrub

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


@pytest.mark.parametrize("setting,form,tob", [("office", None, "0131"), ("office", "CMS-1500", " 0131 "),
                                              ("home", "CMS-1500", "0131")])
def test_a_type_of_bill_on_a_written_professional_claim_is_told(setting, form, tob):
    """A written claim of an office or home chart (CMS-1500/837P) that carries a type of bill, a UB-04/837I field
    (IOM 100-04 ch. 25, FL4): the claim model takes one on either form, and FORM-SETTING read it on a UB-04 only, so
    it scrubbed clean. A warning naming the field: the field is not sent, or the claim is a facility's."""
    stated = chart(setting=setting)

    def with_bill_type(c: dict) -> None:
        c.update(type_of_bill=tob, form=form)

    r = scrub(stated, with_bill_type)
    f = only(r, "FORM-SETTING")
    assert f.severity == "warning" and f.line is None
    named = "an office" if setting == "office" else "a home"
    assert f.message == (f"The written claim carries type_of_bill 0131: {named} claim is billed on the CMS-1500/837P, "
                         "which has no type of bill (a facility's UB-04/837I field), so it is not sent: check the "
                         "claim's form and the chart's setting.")
    assert f.fix == ("Remove type_of_bill from the written claim; if a hospital billed the visit, bill it on the "
                     "UB-04/837I with the chart's setting hospital_outpatient.")
    assert [x.edit for x in r.findings].count("FORM-SETTING") == 1


def test_a_written_claims_type_of_bill_is_told_only_where_its_form_has_none():
    assert "FORM-SETTING" not in ids(scrub(BASE, lambda c: c.update(type_of_bill="")))  # empty: not given
    assert "FORM-SETTING" not in ids(scrub(BASE, lambda c: c.update(type_of_bill="   ")))  # blank: not given either
    assert "FORM-SETTING" not in ids(scrub(HOSPITAL, lambda c: c.update(type_of_bill="0131")))  # a UB-04's own
    # a UB-04 written for an office chart: the form is the mistake, told once; its type of bill is the form's own
    r = scrub(BASE, lambda c: c.update(form="UB-04", type_of_bill="0131"))
    assert [f.message for f in r.findings if f.edit == "FORM-SETTING"] == [
        "The claim is written on UB-04; an office encounter is billed on CMS-1500."]
    # a CMS-1500 written for a hospital chart: the form is told, and the type of bill is read as a hospital's
    r = scrub(HOSPITAL, lambda c: c.update(form="CMS-1500", type_of_bill="0131"))
    assert [f.message for f in r.findings if f.edit == "FORM-SETTING"] == [
        "The claim is written on CMS-1500; a hospital outpatient encounter is billed on UB-04."]


@pytest.mark.parametrize("tob,told", [("0131", False), ("0851", False), ("851", False), ("0121", True),
                                      ("0141", True), ("0831", True)])
def test_a_charts_type_of_bill_of_another_kind_is_told(tob, told):
    """The chart's type of bill goes on the claim as given: a critical access hospital's 085x is right, a hospital
    inpatient's Part B bill (0121) on a hospital outpatient chart went out unremarked (settings.toml
    bill_type_classes)."""
    stated = chart(setting="hospital_outpatient", type_of_bill=tob)
    r = build(stated)
    assert r.claim.type_of_bill == tob  # still billed as charted: a warning, the setting may be what is wrong
    assert ("FORM-BILL-TYPE" in ids(r)) is told
    assert ("FORM-BILL-TYPE" in ids(scrub(stated))) is told  # written as charted: FORM-SETTING has nothing to say
    if told:
        f = only(r, "FORM-BILL-TYPE")
        assert f.severity == "warning" and f.message == (f"Type of bill {tob} on a hospital outpatient chart: a "
                                                         "hospital outpatient bills 013x or 085x.")
        assert f.fix == ("Bill a hospital outpatient's type of bill (013x or 085x), or set the chart's setting to "
                         "where the service was given.")


@pytest.mark.parametrize("setting,form", [("office", "CMS-1500/837P"), ("home", "CMS-1500/837P")])
def test_a_type_of_bill_on_a_professional_chart_is_told(setting, form):
    """A chart whose setting is billed on the CMS-1500 (office, home) and gives a type of bill: the form has no place
    for it, so coding dropped it without a word, though it says a facility billed the visit (IOM 100-04 ch. 25 FL4:
    the type of bill is the UB-04's). A warning: the setting or the field may be the mistake."""
    stated = chart(setting=setting, type_of_bill="0131")
    r = build(stated)
    assert r.claim.form == "CMS-1500" and r.claim.type_of_bill is None  # still not billed
    for result in (r, scrub(stated)):
        f = only(result, "FORM-BILL-TYPE")
        assert f.severity == "warning" and f.line is None
        assert f.message == (f"The chart's type_of_bill 0131: {'an' if setting == 'office' else 'a'} {setting} "
                             f"chart is billed on the {form}, which carries no type of bill, so it is not billed; a "
                             "type of bill is a facility's (UB-04/837I) bill: check the chart's setting, or remove "
                             "type_of_bill if the setting is right.")
        assert f.fix == ("Set the chart's setting to hospital_outpatient if a hospital billed the visit (UB-04/837I); "
                         "otherwise remove type_of_bill from the chart.")
        assert [x.edit for x in result.findings].count("FORM-BILL-TYPE") == 1


def test_a_type_of_bill_is_told_only_where_the_form_has_no_place_for_it():
    assert "FORM-BILL-TYPE" not in ids(build(BASE))  # an office chart without a type of bill
    assert "FORM-BILL-TYPE" not in ids(scrub(BASE))
    assert "FORM-BILL-TYPE" not in ids(build(chart(type_of_bill="")))  # empty: not given
    assert "FORM-BILL-TYPE" not in ids(build(chart(type_of_bill="   ")))  # blank: not given either
    assert "FORM-BILL-TYPE" not in ids(build(HOSPITAL))
    hospital = chart(setting="hospital_outpatient", type_of_bill="0131")
    assert "FORM-BILL-TYPE" not in ids(build(hospital))  # billed as charted, a hospital outpatient's
    assert "FORM-BILL-TYPE" not in ids(scrub(hospital))


@pytest.mark.parametrize("pos,where,fix", [
    ("11", "11 is a place of service of the office setting, not of a hospital outpatient department",
     "Set the chart's setting to office if the service was "
     "given there (CMS-1500/837P, place of service 11); otherwise remove place_of_service from the chart, or give a "
     "hospital outpatient department's (19 or 22)."),
    ("12", "12 is a place of service of the home setting, not of a hospital outpatient department",
     "Set the chart's setting to home if the service was "
     "given there (CMS-1500/837P, place of service 12); otherwise remove place_of_service from the chart, or give a "
     "hospital outpatient department's (19 or 22)."),
    ("13", "13 is a place of service of the home setting, not of a hospital outpatient department",  # home-like
     "Set the chart's setting to home if the service was "
     "given there (CMS-1500/837P, place of service 13); otherwise remove place_of_service from the chart, or give a "
     "hospital outpatient department's (19 or 22)."),
    ("31", "31 is not a hospital outpatient department's place of service", "Set the chart's setting to where the "
     "service was given, or remove place_of_service from the chart (a hospital outpatient department's is 19 or "
     "22)."),
])
def test_a_hospital_charts_place_of_another_setting_is_told(pos, where, fix):
    """The UB-04/837I has no place of service, so coding dropped a hospital outpatient chart's own without a word,
    though 11 (office) or 12 (home) says the visit was somewhere else (CMS Place of Service Code Set: a hospital
    outpatient department is 19 off campus, 22 on campus; settings.toml [hospital_outpatient] places_of_service).
    A warning: the setting or the field may be the mistake."""
    stated = chart(setting="hospital_outpatient", place_of_service=pos)
    r = build(stated)
    assert r.claim.form == "UB-04" and r.claim.place_of_service is None  # still not billed
    for result in (r, scrub(stated)):
        f = only(result, "FORM-PLACE")
        assert f.severity == "warning" and f.line is None
        assert f.message == (f"The chart's place_of_service {pos}: a hospital outpatient chart is billed on the "
                             f"UB-04/837I, which carries no place of service, so it is not billed; {where} (19 or "
                             "22): check the chart's setting, or remove place_of_service if the setting is right.")
        assert f.fix == fix
        assert [x.edit for x in result.findings].count("FORM-PLACE") == 1


@pytest.mark.parametrize("setting,pos,own", [("office", "22", "11"), ("office", "19", "11"), ("home", "22", "12"),
                                              ("home", "19", "12")])
def test_a_professional_charts_hospital_outpatient_place_is_told(setting, pos, own):
    """An office or home chart is billed on the CMS-1500/837P with its own place of service, so one of a hospital
    outpatient department's (19 off campus, 22 on campus: CMS Place of Service Code Set; settings.toml
    [hospital_outpatient] places_of_service) went out unremarked on an office or home claim, though it says a hospital
    department gave the service: the hospital bills its drugs and their administration on the UB-04/837I, and a
    professional claim at that place is paid at the facility rate or denied. A warning: the setting or the field may
    be the mistake."""
    stated = chart(setting=setting, place_of_service=pos)
    r = build(stated)
    assert r.claim.form == "CMS-1500" and r.claim.place_of_service == pos  # still billed as charted
    named = "an office" if setting == "office" else "a home"
    for result in (r, scrub(stated)):
        f = only(result, "FORM-PLACE")
        assert f.severity == "warning" and f.line is None
        assert f.message == (f"The chart's place_of_service {pos}: {named} chart is billed on the CMS-1500/837P with "
                             f"it, but {pos} is a place of service of a hospital outpatient department (19 or 22), "
                             "whose drugs and their administration the hospital bills on the UB-04/837I: a "
                             "professional claim with it may be paid at the facility rate or denied (verify with the "
                             "payer). Check the chart's setting, or give the place the service was given.")
        assert f.fix == ("Set the chart's setting to hospital_outpatient if a hospital outpatient department gave the "
                         f"service (UB-04/837I); otherwise give the place it was given ({named}'s is {own}).")
        assert [x.edit for x in result.findings].count("FORM-PLACE") == 1


@pytest.mark.parametrize("enc", [chart(setting="hospital_outpatient", place_of_service="22"),
                                 chart(setting="hospital_outpatient", place_of_service="19",
                                       outpatient_department="off_campus_excepted"), HOSPITAL,
                                 chart(place_of_service="11"), chart(place_of_service="49"),
                                 chart(place_of_service="31"), chart(place_of_service="12"),
                                 chart(setting="home", place_of_service="12"),
                                 chart(setting="home", place_of_service="13"), BASE, chart(setting="home")])
def test_a_place_of_service_is_told_only_where_it_names_another_setting_than_the_form_bills(enc):
    """22 and 19 fit a hospital outpatient department; an office or home chart's place other than a hospital
    department's is billed and judged on the claim (FORM-SETTING on scrub, HOME-PLACE for a Medicare home claim), so
    FORM-PLACE has nothing to say there."""
    assert "FORM-PLACE" not in ids(build(enc))
    assert "FORM-PLACE" not in ids(scrub(enc))


def department_chart(department: str | None, pos: str | None, dos: str = "2026-03-02") -> dict:
    return chart(setting="hospital_outpatient", outpatient_department=department, place_of_service=pos,
                 date_of_service=dos, administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00",
                                                        "stop": f"{dos}T14:00"}])


OFF_CAMPUS = "an excepted off-campus department or a non-excepted off-campus department"


@pytest.mark.parametrize("department,pos,dos,want,named,others,other_ids", [
    ("on_campus", "19", "2026-03-02", "22", "an on-campus department", OFF_CAMPUS,
     "off_campus_excepted or off_campus_nonexcepted"),
    ("off_campus_excepted", "22", "2026-03-02", "19", "an excepted off-campus department", "an on-campus department",
     "on_campus"),
    ("off_campus_nonexcepted", "22", "2026-03-02", "19", "a non-excepted off-campus department",
     "an on-campus department", "on_campus"),
    ("off_campus_excepted", "22", "2016-01-01", "19", "an excepted off-campus department", "an on-campus department",
     "on_campus"),  # the first day of 19 and of 22 as on campus only
    ("on_campus", "19", "2016-01-01", "22", "an on-campus department", OFF_CAMPUS,
     "off_campus_excepted or off_campus_nonexcepted"),
])
def test_a_hospital_charts_place_of_the_other_department_is_told(department, pos, dos, want, named, others,
                                                                 other_ids):
    """A hospital outpatient chart names its department (outpatient_department: on campus, or off campus, excepted
    or not) and gives a place of service of the other kind (CMS Place of Service Code Set from 2016-01-01: 22
    on-campus, 19 off-campus outpatient hospital): the department sets the PO/PN modifiers and the payment of an
    off-campus department's lines, the place says the other; the place is not billed, so nothing else told it. A
    warning: which of the two is wrong is for the biller to say."""
    stated = department_chart(department, pos, dos)
    for result in (build(stated), scrub(stated)):
        f = only(result, "FORM-PLACE")
        assert f.severity == "warning" and f.line is None
        assert f.message == (f"The chart's place_of_service {pos} and outpatient_department {department} disagree: "
                             f"{pos} is the place of service of {others}, not of {named} ({want}). The department "
                             "decides the claim's PO/PN line modifiers and how an off-campus department's lines are "
                             "paid; the place is not billed (the UB-04/837I carries none): check where the service "
                             "was given.")
        assert f.fix == (f"Correct the one that is wrong: outpatient_department {department} is place of service "
                         f"{want}; place of service {pos} is outpatient_department {other_ids}.")
        assert [x.edit for x in result.findings].count("FORM-PLACE") == 1


@pytest.mark.parametrize("department,pos,dos", [
    ("on_campus", "22", "2026-03-02"), ("off_campus_excepted", "19", "2026-03-02"),
    ("off_campus_nonexcepted", "19", "2026-03-02"), (None, "22", "2026-03-02"), (None, "22", "2016-01-01"),
    (None, "19", "2015-12-31"),  # 19 was not yet in the code set, nor PO required
    ("on_campus", None, "2026-03-02"), ("off_campus_excepted", None, "2026-03-02"),
    ("off_campus_excepted", "22", "2015-12-31"),  # before 2016, 22 was every outpatient department's place
    ("on_campus", "19", "2015-12-31"),  # and 19 was not yet in the code set: not judged
])
def test_a_hospital_charts_place_of_its_own_department_or_without_one_is_not_told(department, pos, dos):
    stated = department_chart(department, pos, dos)
    assert "FORM-PLACE" not in ids(build(stated))
    assert "FORM-PLACE" not in ids(scrub(stated))


@pytest.mark.parametrize("dos,takes", [("2026-03-02", "off_campus_excepted PO, off_campus_nonexcepted PN"),
                                       ("2016-01-01", "off_campus_excepted PO, off_campus_nonexcepted PO")])
def test_a_hospital_charts_off_campus_place_without_its_department_is_told(dos, takes):
    """A hospital outpatient chart at place of service 19 (off-campus outpatient hospital, from 2016-01-01) that names
    no outpatient_department: coding takes the PO/PN modifier from the department only, so the Medicare claim went
    out with none and nothing told it, though the place says an off-campus department, whose lines take PO (excepted)
    or PN (non-excepted, paid at the PFS-equivalent rate). The department is not guessed: a warning naming the
    departments of that place (settings.toml [[hospital_outpatient.department_places]]) and their modifiers."""
    stated = department_chart(None, "19", dos)
    built = build(stated)
    assert not any({"PO", "PN"} & set(ln.modifiers) for ln in built.claim.lines)  # not guessed
    for result in (built, scrub(stated)):
        f = only(result, "FORM-PLACE")
        assert f.severity == "warning" and f.line is None
        assert f.message == ("The chart's place_of_service 19 is the place of service of an excepted off-campus "
                             "department or a non-excepted off-campus department, but the chart names no "
                             "outpatient_department, which decides the claim's PO/PN line modifiers and how an "
                             f"off-campus department's lines are paid ({takes}): the claim carries none, and the "
                             "place is not billed (the UB-04/837I carries none).")
        assert f.fix == ("Give the chart's outpatient_department (off_campus_excepted or off_campus_nonexcepted); if "
                         "the service was not given off campus, correct the place of service.")
        assert [x.edit for x in result.findings].count("FORM-PLACE") == 1


def test_an_off_campus_place_without_its_department_is_not_told_where_the_payer_asks_no_modifier():
    """A commercial profile without department_modifiers_required: its claim takes no PO/PN, so none is missing."""
    stated = department_chart(None, "19")
    stated["payer"] = {"type": "commercial", "prior_authorization": {"number": "P"}}
    assert "FORM-PLACE" not in ids(build(stated))


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


def test_each_form_setting_finding_says_what_this_claim_needs():
    """The catalog's fix names every setting at once ("Office: CMS-1500 … hospital outpatient: UB-04 …"); a home
    claim was told to bill an office or hospital form. Each finding now carries the fix for its own claim."""
    assert only(scrub(HOSPITAL, lambda c: c.update(form="CMS-1500")), "FORM-SETTING").fix == \
        "Bill a hospital outpatient encounter on UB-04 (837I)."
    assert only(scrub(BASE, lambda c: c.update(form="UB-04")), "FORM-SETTING").fix == \
        "Bill an office encounter on CMS-1500 (837P)."
    assert only(scrub(chart(place_of_service="11"), lambda c: c.update(place_of_service="22")),
                "FORM-SETTING").fix == "Use place of service 11."
    assert only(scrub(BASE, lambda c: c.update(place_of_service="22")), "FORM-SETTING").fix == \
        "Use place of service 11 unless another fits the place the service was given."
    assert only(scrub(HOSPITAL, lambda c: c.update(type_of_bill="0851")), "FORM-SETTING").fix == \
        "Use type of bill 0131."
    r = scrub(HOSPITAL, lambda c: c["lines"][1].update(revenue_code=None))
    assert only(r, "FORM-SETTING").fix == "Give line 2 revenue code 0260."
    r = scrub(HOSPITAL, lambda c: c["lines"][0].update(revenue_code=None))
    assert only(r, "FORM-SETTING").fix == "Give line 1 revenue code 0636."
    r = scrub(HOSPITAL, lambda c: c["lines"][0].update(revenue_code="0250"))
    assert only(r, "FORM-SETTING").fix == "Put line 1 under revenue code 0636."
    r = scrub(HOSPITAL, lambda c: c["lines"][1].update(revenue_code="0510"))
    assert only(r, "FORM-SETTING").fix == "Put line 2 under revenue code 0260 (or another 026x)."
    home = chart(setting="home")
    claim = {"lines": [{"line": 1, "code": "J1561", "modifiers": ["JZ"], "units": 60},
                       {"line": 2, "code": "96365", "units": 1}]}
    [f] = [f for f in scrub(home, claim=claim).findings if f.edit == "FORM-SETTING"]
    assert f.fix == "Remove line 2 (96365); bill the drug with Q2052, as the expected claim shows."


def test_a_home_claims_fix_names_each_supply_code_once():
    """A Medicare home IVIG chart of two infusion dates is billed with a Q2052 line for each date (DME article A52509):
    FORM-SETTING's fix names the code once. No setting's expected claim carries two distinct supply codes (the home
    DME claim's only one is settings.toml [home] medicare_dme_iv_supply_code; its other drugs are dropped and the pump
    is billed apart), so the ", " between codes is not reached."""
    home = chart(setting="home", administrations=[
        {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T12:00"},
        {"drug_id": "ig1", "start": "2026-03-03T09:00", "stop": "2026-03-03T11:00"}])
    assert [ln.code for ln in build(home).claim.lines] == ["J1561", "Q2052", "Q2052"]
    claim = {"lines": [{"line": 1, "code": "J1561", "modifiers": ["JZ"], "units": 60},
                       {"line": 2, "code": "96365", "units": 1}]}
    assert only(scrub(home, claim=claim), "FORM-SETTING").fix == \
        "Remove line 2 (96365); bill the drug with Q2052, as the expected claim shows."


def test_minutes_on_a_ub04_line_name_the_837i_element():
    """A JSON UB-04 claim (837I) whose line says unit_basis MJ was told "SV103 MJ", an 837P element; on the 837I the
    quantity is SV204, whose guide lists UN and DA only (the 837I reader refuses SV204 MJ for any code). The
    finding names SV204 and says MJ is not listed there; a CMS-1500 line is told as before (SV103)."""
    def minutes(code: str):
        def change(c: dict) -> None:
            (ln,) = [ln for ln in c["lines"] if ln["code"] == "96366"]
            ln.update(code=code, unit_basis="MJ", units=240)
        return change

    f = only(scrub(HOSPITAL, minutes("96366")), "CLAIM-UNITS-MINUTES")
    assert f.message.startswith("Line ") and "SV103" not in f.message + (f.fix or ""), f
    ln = f.line
    assert f.message == (f"Line {ln}: 96366 × 240 in minutes (SV204 MJ): a UB-04 (837I) line's quantity is in "
                         "units (UN) or days (DA); the 837I does not list MJ.")
    assert f.fix == f"Bill line {ln}'s 96366 in units (SV204 UN), as many as the service given makes by its code."
    # an anesthesia code's minutes are its own basis on an 837P, but the 837I lists no minutes for any code
    assert "SV204 MJ" in only(scrub(HOSPITAL, minutes("00100")), "CLAIM-UNITS-MINUTES").message
    assert "SV103 MJ" in only(scrub(BASE, minutes("96366")), "CLAIM-UNITS-MINUTES").message
    assert "CLAIM-UNITS-MINUTES" not in ids(scrub(BASE, minutes("00100")))


def test_days_on_a_cms1500_line_name_the_837p_element():
    """A JSON CMS-1500 claim (837P) whose line says unit_basis DA was told "SV204 DA", an 837I element; on the 837P
    the quantity is SV103, whose guide lists UN and MJ only (the 837P reader refuses SV103 DA for any code). The
    finding names SV103 and says DA is not listed there, for any code; a UB-04 line is told as before (SV204)."""
    def days(code: str):
        def change(c: dict) -> None:
            (ln,) = [ln for ln in c["lines"] if ln["code"] == "96366"]
            ln.update(code=code, unit_basis="DA", units=3)
        return change

    for code in ("96366", "00100"):
        f = only(scrub(BASE, days(code)), "CLAIM-UNITS-DAYS")
        ln = f.line
        assert f.message == (f"Line {ln}: {code} × 3 in days (SV103 DA): a CMS-1500 (837P) line's quantity is in "
                             "units (UN) or minutes (MJ); the 837P does not list DA."), f
        assert f.fix == f"Bill line {ln}'s {code} in units (SV103 UN), as many as the service given makes by its code."
        assert "SV204" not in f.message + (f.fix or "")
    f = only(scrub(HOSPITAL, days("96366")), "CLAIM-UNITS-DAYS")
    assert f.message == (f"Line {f.line}: 96366 × 3 in days (SV204 DA): a HCPCS line's service units are 96366's "
                         "units, not days; igclaim read 3 as 96366's units.")
    assert f.fix == f"Bill line {f.line}'s 96366 in units (SV204 UN), as many as the service given makes by its code."
