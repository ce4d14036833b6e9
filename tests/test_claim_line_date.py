"""CLAIM-LINE-DATE: a written line dated on a day the chart documents none of its code's services. The date of
service of each line (CMS-1500 item 24A, 837P SV1's DTP*472; IOM 100-04 ch. 26) is the day the record documents the
service; a line dated otherwise bills a service the record does not support on that day. Before, such a line was
not told at all."""

from __future__ import annotations

import pytest

from tests.test_edits_support import chart, ids, only, scrub


def _dated(code: str, day: str | None):
    def change(c):
        (ln,) = [ln for ln in c["lines"] if ln["code"] == code]
        ln["service_date"] = day
    return change


@pytest.mark.parametrize(("code", "units"), [("J1561", 60), ("96365", 1), ("96366", 4)])
def test_a_line_dated_the_next_day_is_an_error_with_its_units_at_stake(code, units):
    r = scrub(chart(), _dated(code, "2026-03-03"))
    f = only(r, "CLAIM-LINE-DATE")
    (line,) = [ln.line for ln in r.claim.lines if ln.code == code]
    assert (f.severity, f.impact_units, f.line) == ("error", -units, line)
    assert f.message == f"Line {line}: {code} is dated 2026-03-03; the chart documents it on 2026-03-02."
    assert f.fix == f"Date line {line} 2026-03-02, as the chart documents it."


@pytest.mark.parametrize("day", ["2026-03-02", None])
def test_a_line_on_the_charted_day_or_without_its_own_date_is_not_told(day):
    assert "CLAIM-LINE-DATE" not in ids(scrub(chart(), _dated("J1561", day)))


def test_the_day_before_is_told_too():
    assert "CLAIM-LINE-DATE" in ids(scrub(chart(), _dated("96365", "2026-03-01")), "error")


def test_a_hospital_claim_is_told_as_a_warning():
    """A hospital outpatient claim (UB-04) may bill a series of visits; this chart documents one."""
    f = only(scrub(chart(setting="hospital_outpatient"), _dated("J1561", "2026-03-09")), "CLAIM-LINE-DATE")
    assert f.severity == "warning" and f.message == (
        "Line 1: J1561 is dated 2026-03-09; the chart documents it on 2026-03-02. A hospital's claim for a series of "
        "visits may hold another visit's line: this chart documents none on that day.")


def test_a_code_the_chart_does_not_support_is_left_to_the_other_edits():
    def extra(c):
        c["lines"].append({"line": 9, "code": "J1200", "units": 1, "modifiers": [], "service_date": "2026-03-05",
                           "diagnosis_pointers": [1]})
    r = scrub(chart(), extra)
    assert "CLAIM-LINE-DATE" not in ids(r) and "CLAIM-LINE-UNEXPECTED" in ids(r)


def test_a_medicare_home_ivig_claim_dates_each_q2052_on_its_infusions_day():
    """Medicare home IVIG delivered on 2026-03-05 and given that day and the next (Noridian JD DME IVIG page: Q2052
    each time the drug is given, dated that day): the claim's own lines are not told; a Q2052 dated a day without
    an infusion is."""
    home = chart(setting="home", date_of_service="2026-03-05",
                 administrations=[{"drug_id": "ig1", "start": f"{d}T10:00", "stop": f"{d}T14:00"}
                                  for d in ("2026-03-05", "2026-03-06")])
    assert "CLAIM-LINE-DATE" not in ids(scrub(home))

    def third_day(c):
        c["lines"][[ln["code"] for ln in c["lines"]].index("Q2052", 2)]["service_date"] = "2026-03-07"
    f = only(scrub(home, third_day), "CLAIM-LINE-DATE")
    assert "Q2052 is dated 2026-03-07; the chart documents it on 2026-03-05, 2026-03-06" in f.message
    # two days charted: which one the line is, the biller knows (the edit's own fix, no date named)
    assert f.fix == "Date the line on the day the chart documents the service (the expected claim's line date)."


def test_a_line_without_its_own_date_does_not_end_the_check_of_the_lines_after_it():
    """Line 1 takes the claim's date; the line after it, dated the next day, is still told (a mutant that stopped at
    the first undated line survived every other test)."""
    def both(c):
        _dated("J1561", None)(c)
        _dated("96365", "2026-03-03")(c)
    r = scrub(chart(), both)
    assert [ln.code for ln in r.claim.lines].index("J1561") < [ln.code for ln in r.claim.lines].index("96365")
    assert "96365 is dated 2026-03-03" in only(r, "CLAIM-LINE-DATE").message
