"""Hospital outpatient departments off the hospital's campus (IOM 100-04 ch. 4 §20.6.11-12): every HCPCS line of
the claim carries PO (required from 2016-01-01; voluntary in 2015) or, from 2017-01-01, PN for a non-excepted
department (before 2017 every off-campus department reported PO); neither for an on-campus department. The chart
names its department (`outpatient_department`); the payer profile's `department_modifiers_required` says whether
the payer asks them (Original Medicare's OPPS does; Medicare Advantage inherits it, as a warning on scrub)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igclaim.errors import InputError
from igclaim.inputs import InvalidInput
from tests.test_edits_support import build, chart, ids, only, scrub

MA = {"type": "medicare_advantage", "name": "MA plan", "prior_authorization": {"number": "PA1"}}
COMMERCIAL = {"type": "commercial", "name": "Plan", "prior_authorization": {"number": "PA1"}}


def hospital(department: str | None, dos: str = "2026-03-02", **changes) -> dict:
    return chart(setting="hospital_outpatient", outpatient_department=department, date_of_service=dos,
                 administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T14:00"}], **changes)


def modifiers(result) -> list[list[str]]:
    return [ln.modifiers for ln in result.claim.lines]


def each_line(change):
    def apply(claim: dict) -> None:
        for ln in claim["lines"]:
            ln["modifiers"] = change(ln["modifiers"])
    return apply


@pytest.mark.parametrize(("department", "dos", "expected"), [
    ("off_campus_excepted", "2026-03-02", "PO"),
    ("off_campus_nonexcepted", "2026-03-02", "PN"),
    ("off_campus_nonexcepted", "2015-12-31", None),
    ("off_campus_nonexcepted", "2016-01-01", "PO"),
    ("off_campus_nonexcepted", "2016-12-31", "PO"),  # no excepted/non-excepted split before 2017
    ("off_campus_nonexcepted", "2017-01-01", "PN"),
    ("off_campus_excepted", "2015-12-31", None),  # PO voluntary in 2015: not coded
    ("off_campus_excepted", "2016-01-01", "PO"),
    ("on_campus", "2026-03-02", None),
    (None, "2026-03-02", None),
])
def test_build_puts_the_departments_modifier_on_every_line_last(department, dos, expected):
    r = build(hospital(department, dos))
    assert len(r.claim.lines) == 3
    for mods in modifiers(r):
        assert [m for m in mods if m in ("PO", "PN")] == ([expected] if expected else [])
        assert not expected or mods[-1] == expected


def test_the_drug_keeps_its_own_modifier_first():
    assert modifiers(build(hospital("off_campus_excepted"))) == [["JZ", "PO"], ["PO"], ["PO"]]


def test_only_where_the_profile_asks_them():
    assert not any({"PO", "PN"} & set(m) for m in modifiers(build(
        hospital("off_campus_excepted", payer=COMMERCIAL, drug0={"ndc": "13533-0805-11"}))))
    assert all(m[-1] == "PO" for m in modifiers(build(hospital("off_campus_excepted", payer=MA))))


def test_a_department_on_another_setting_is_an_input_error_naming_the_field():
    with pytest.raises(InvalidInput) as err:
        build(chart(outpatient_department="off_campus_excepted"))
    assert "outpatient_department" in str(err.value) and "office" in str(err.value)


def test_builds_own_claim_scrubs_clean():
    for department in ("off_campus_excepted", "off_campus_nonexcepted", "on_campus"):
        assert "FORM-DEPARTMENT" not in ids(scrub(hospital(department)))


def test_missing_modifier_is_one_error_naming_the_lines():
    r = scrub(hospital("off_campus_excepted"), each_line(lambda m: [x for x in m if x != "PO"]))
    [f] = [f for f in r.findings if f.edit == "FORM-DEPARTMENT"]
    assert f.severity == "error" and f.line == 1 and f.impact_units is None
    assert f.message == ("Lines 1, 2, 3: without PO; a claim from an excepted off-campus department reports PO on "
                         "every HCPCS line.")
    assert f.fix == "Add PO to lines 1, 2, 3."
    one = scrub(hospital("off_campus_excepted"), lambda c: c["lines"][1].update(modifiers=[]))
    assert only(one, "FORM-DEPARTMENT").message.startswith("Line 2: without PO;")


def test_the_other_departments_modifier_is_one_finding():
    r = scrub(hospital("off_campus_nonexcepted"), each_line(lambda m: ["PO" if x == "PN" else x for x in m]))
    [f] = [f for f in r.findings if f.edit == "FORM-DEPARTMENT"]
    assert "PO on a claim from a non-excepted off-campus department, whose lines take PN" in f.message
    assert f.fix == "Replace PO with PN on lines 1, 2, 3."
    both = scrub(hospital("off_campus_excepted"), each_line(lambda m: [*m, "PN"]))
    assert "PN on a claim from an excepted off-campus department" in only(both, "FORM-DEPARTMENT").message


def test_a_modifier_where_none_belongs():
    on = scrub(hospital("on_campus"), each_line(lambda m: [*m, "PO"]))
    assert only(on, "FORM-DEPARTMENT").fix == "Remove PO from lines 1, 2, 3."
    assert "on a claim from an on-campus department" in only(on, "FORM-DEPARTMENT").message
    office = scrub(chart(), lambda c: c["lines"][0]["modifiers"].append("PN"))
    f = only(office, "FORM-DEPARTMENT")
    assert f.message == "Line 1: PN on an office claim; these modifiers are for a hospital's off-campus department."
    assert f.severity == "error" and f.fix == "Remove PN from line 1."
    both = only(scrub(chart(), lambda c: c["lines"][0]["modifiers"].extend(["PO", "PN"])), "FORM-DEPARTMENT")
    assert both.message.startswith("Line 1: PN, PO on an office claim;")


def test_not_judged_without_the_department_or_before_the_requirement():
    assert "FORM-DEPARTMENT" not in ids(scrub(hospital(None), each_line(lambda m: [*m, "PO"])))
    assert "FORM-DEPARTMENT" not in ids(scrub(hospital("off_campus_excepted", "2015-06-01"),
                                              each_line(lambda m: [*m, "PO"])))
    assert "FORM-DEPARTMENT" not in ids(scrub(hospital("off_campus_excepted", payer=COMMERCIAL,
                                                       drug0={"ndc": "13533-0805-11"})))


def test_medicare_advantage_is_a_warning_to_verify():
    r = scrub(hospital("off_campus_excepted", payer=MA), each_line(lambda m: [x for x in m if x != "PO"]))
    f = only(r, "FORM-DEPARTMENT")
    assert f.severity == "warning" and "verify that the plan asks them" in f.message


def test_a_batch_row_names_the_department_and_round_trips():
    from igclaim.batch.tabular import encounter_to_rows, rows_to_encounter

    enc = hospital("off_campus_nonexcepted")
    rows = encounter_to_rows(json.loads(json.dumps(enc)))
    assert rows[0]["outpatient_department"] == "off_campus_nonexcepted"
    again = rows_to_encounter(list(enumerate(rows, start=2)))
    assert again["outpatient_department"] == "off_campus_nonexcepted"
    assert all(m[-1] == "PN" for m in modifiers(build(again)))


@pytest.mark.parametrize(("modifier", "department", "invalid_on", "valid_on"), [
    ("PO", "off_campus_excepted", "2014-12-31", "2015-01-01"),  # PO defined from 2015-01-01 (voluntary that year)
    ("PN", "off_campus_nonexcepted", "2016-12-31", "2017-01-01"),
])
def test_each_modifier_is_valid_from_its_date(modifier, department, invalid_on, valid_on):
    def only_this(claim: dict) -> None:
        each_line(lambda m: [x for x in m if x not in ("PO", "PN")] + [modifier])(claim)

    before = scrub(hospital(department, invalid_on), only_this)
    assert f"modifier {modifier} on J1561 is not valid on {invalid_on} (valid from {valid_on})" in \
        only(before, "CLAIM-MODIFIER-DATE").message
    assert "CLAIM-MODIFIER-DATE" not in ids(scrub(hospital(department, valid_on), only_this))


def test_a_departments_rows_follow_one_another_without_gap_or_overlap():
    """settings.toml [[hospital_outpatient.department_modifiers]]: one modifier per department and date, so the
    lookup cannot depend on the rows' order (a non-excepted department: PO through 2016-12-31, PN from 2017-01-01)."""
    from datetime import timedelta

    from igclaim.refdata.resolver import reference

    rows = reference().settings["hospital_outpatient"]["department_modifiers"]
    by_department: dict[str, list[dict]] = {}
    for row in rows:
        by_department.setdefault(row["department"], []).append(row)
    assert set(by_department) == {"off_campus_excepted", "off_campus_nonexcepted"}
    for dept_rows in by_department.values():
        dept_rows.sort(key=lambda r: r["effective"])
        for before, after in zip(dept_rows, dept_rows[1:], strict=False):
            assert "ends" in before and after["effective"] == before["ends"] + timedelta(days=1)
        assert "ends" not in dept_rows[-1]


@settings(max_examples=60, deadline=None)
@given(department=st.sampled_from([None, "on_campus", "off_campus_excepted", "off_campus_nonexcepted", "remote",
                                   "", 7, "PO"]),
       setting=st.sampled_from(["office", "hospital_outpatient", "home"]),
       dos=st.dates(date(2014, 1, 1), date(2026, 12, 31)))
def test_any_department_setting_and_date_is_coded_or_refused_naming_the_field(department, setting, dos):
    """Whatever the department, setting and date: an input error naming `outpatient_department`, or a claim whose
    lines carry at most the one modifier its department takes on the date, on every line alike."""
    enc = chart(setting=setting, outpatient_department=department, date_of_service=dos.isoformat(),
                administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T14:00"}])
    try:
        r = build(enc)
    except InvalidInput as err:
        assert "outpatient_department" in str(err)
        return
    except InputError:  # a date before the profile's rules: named, not this test's concern
        return
    marks = {tuple(m for m in ln.modifiers if m in ("PO", "PN")) for ln in r.claim.lines}
    assert len(marks) == 1 and len(next(iter(marks))) <= 1
    if department in (None, "on_campus") or setting != "hospital_outpatient":
        assert marks == {()}


def test_the_other_modifier_on_some_lines_names_them_and_the_first():
    def two_lines(claim: dict) -> None:
        for ln in claim["lines"][1:]:
            ln["modifiers"] = ["PO" if x == "PN" else x for x in ln["modifiers"]]

    f = only(scrub(hospital("off_campus_nonexcepted"), two_lines), "FORM-DEPARTMENT")
    assert (f.line, f.severity) == (2, "error") and f.message.startswith("Lines 2, 3: PO on a claim")
    ma = only(scrub(hospital("off_campus_nonexcepted", payer=MA), two_lines), "FORM-DEPARTMENT")
    assert (ma.line, ma.severity) == (2, "warning") and "verify that the plan asks them" in ma.message
    stray = only(scrub(hospital("on_campus", payer=MA), lambda c: [ln["modifiers"].append("PO")
                                                                   for ln in c["lines"][1:]]), "FORM-DEPARTMENT")
    assert (stray.line, stray.severity) == (2, "warning") and stray.message.startswith("Lines 2, 3: PO")
