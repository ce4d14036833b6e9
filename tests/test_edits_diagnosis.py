"""Diagnosis edits: missing, invalid on the date of service, not covered under the payer's policy, Z51.11."""

from __future__ import annotations

from decimal import Decimal

from tests.test_edits_support import BASE, build, chart, ids, only, scrub


def test_dx_missing_and_near_miss():
    assert only(build(chart(diagnoses=[])), "DX-MISSING").severity == "error"
    assert "DX-MISSING" not in ids(build(BASE))


def test_g35_by_date_of_service():
    # G35 was billable through FY2025 and is a category from 2025-10-01 (errata #28).
    old = chart(date_of_service="2025-06-10", diagnoses=["G35"],
                administrations=[{"drug_id": "ig1", "start": "2025-06-10T09:00", "stop": "2025-06-10T14:00"}])
    assert "DX-INVALID" not in ids(build(old))
    new = chart(date_of_service="2026-04-14", diagnoses=["G35"],
                administrations=[{"drug_id": "ig1", "start": "2026-04-14T09:00", "stop": "2026-04-14T14:00"}])
    f = only(build(new), "DX-INVALID")
    assert f.severity == "error" and "G35.A" in f.message and "FY2026" in f.message


def test_dx_invalid_category_and_near_miss():
    assert "DX-INVALID" in ids(build(chart(diagnoses=["D83"])))
    assert "DX-INVALID" not in ids(build(chart(diagnoses=["d839"])))  # written without the dot, lower case


def test_dx_invalid_no_release_for_the_date_is_info_only():
    enc = chart(date_of_service="2019-05-01", diagnoses=["D83.9"],
                administrations=[{"drug_id": "ig1", "start": "2019-05-01T09:00", "stop": "2019-05-01T14:00"}])
    f = only(build(enc), "DX-INVALID")
    assert f.severity == "info"


def test_written_claim_diagnosis_checked_too():
    r = scrub(BASE, lambda c: c.update(diagnoses=["D83"]))
    assert any(f.edit == "DX-INVALID" and f.line == 1 for f in r.findings)
    assert "DX-INVALID" not in ids(scrub(BASE))


def test_not_covered_default_policy_is_a_warning_that_says_so():
    f = only(build(chart(diagnoses=["R53.83"])), "DX-NOT-COVERED")  # fatigue
    assert f.severity == "warning" and "Default" in f.message
    assert "DX-NOT-COVERED" not in ids(build(chart(diagnoses=["G61.81"])))  # CIDP


def test_not_covered_home_pidd_is_an_error():
    # Medicare home IVIG covers primary immunodeficiency only: D80.1 is not on the list (errata #25).
    home = chart(setting="home", diagnoses=["D80.1"])
    f = only(build(home), "DX-NOT-COVERED")
    assert f.severity == "error"
    assert "DX-NOT-COVERED" not in ids(build(chart(setting="home", diagnoses=["D80.0"])))
    # CIDP is not covered for home IVIG, but office IVIG for CIDP is (default policy).
    assert "DX-NOT-COVERED" in ids(build(chart(setting="home", diagnoses=["G61.81"])))


def test_not_covered_uncertain_code_lowers_to_warning():
    f = only(build(chart(setting="home", diagnoses=["D81.30"])), "DX-NOT-COVERED")
    assert f.severity == "warning" and "A52509" in f.message


def test_cll_covered_only_with_hypogammaglobulinemia():
    assert "DX-NOT-COVERED" in ids(build(chart(diagnoses=["C91.10"])))
    assert "DX-NOT-COVERED" not in ids(build(chart(diagnoses=["C91.10", "D80.1"])))


def test_chemo_encounter():
    f = only(build(chart(diagnoses=["Z51.11", "D83.9"])), "DX-CHEMO-ENCOUNTER")
    assert f.severity == "error"
    second = only(build(chart(diagnoses=["D83.9", "Z51.11"])), "DX-CHEMO-ENCOUNTER")
    assert second.severity == "warning"
    assert "DX-CHEMO-ENCOUNTER" not in ids(build(BASE))
    r = scrub(BASE, lambda c: c.update(diagnoses=["Z51.11"]))
    assert "DX-CHEMO-ENCOUNTER" in ids(r) and "DX-NOT-COVERED" in ids(r)


# A diagnosis billed must be documented in the record (ICD-10-CM Official Guidelines, Section IV).

def _dx_findings(r, edit):
    return [(f.severity, f.line, f.message) for f in r.findings if f.edit == edit]


def test_written_diagnosis_the_chart_does_not_list_is_a_warning():
    """The chart documents R53.83 (fatigue, not an IG indication); the claim bills D83.9 (CVID, covered): the claim
    would pass the payer's coverage edit on a diagnosis the chart does not support."""
    r = scrub(chart(diagnoses=["R53.83"]), lambda c: c.update(diagnoses=["D83.9"]))
    assert _dx_findings(r, "DX-NOT-DOCUMENTED") == [
        ("warning", 1, "D83.9 is on the claim but not among the chart's diagnoses (R53.83).")]
    # The chart's own diagnosis is not covered, and the message says it is the chart's, not the claim's.
    (sev, ln, msg), = _dx_findings(r, "DX-NOT-COVERED")
    assert msg.startswith("No diagnosis in the chart (R53.83) is covered for Gamunex-C (IV)")


def test_written_diagnoses_the_chart_lists_are_documented():
    for written in (["D83.9"], ["d839"], ["D83.9", "D83.9"]):  # the same code, written without its dot or twice
        assert "DX-NOT-DOCUMENTED" not in ids(scrub(BASE, lambda c, w=written: c.update(diagnoses=w)))
    # Several chart diagnoses, the claim listing them in another order: nothing undocumented.
    two = chart(diagnoses=["D83.9", "G61.81"])
    assert "DX-NOT-DOCUMENTED" not in ids(scrub(two, lambda c: c.update(diagnoses=["G61.81", "D83.9"])))
    # One more on the claim than in the chart: that one is named.
    r = scrub(BASE, lambda c: c.update(diagnoses=["D83.9", "G61.81"]))
    assert [m for _s, _l, m in _dx_findings(r, "DX-NOT-DOCUMENTED")] == [
        "G61.81 is on the claim but not among the chart's diagnoses (D83.9)."]


def test_undocumented_written_diagnosis_reported_once():
    """Not covered where the chart's are: DX-NOT-COVERED names it and says the chart's are covered, so
    DX-NOT-DOCUMENTED does not say it again; a code that is not billable is DX-INVALID's to report."""
    r = scrub(BASE, lambda c: c.update(diagnoses=["R53.83"]))
    assert "DX-NOT-DOCUMENTED" not in ids(r)
    assert "The chart's diagnoses (D83.9) are covered." in only(r, "DX-NOT-COVERED").message
    r = scrub(BASE, lambda c: c.update(diagnoses=["D83.9", "D83"]))  # D83 is a category, not billable
    assert "DX-INVALID" in ids(r) and "DX-NOT-DOCUMENTED" not in ids(r)
    # The chart's own uncovered diagnosis on a claim that bills the chart's diagnoses: "on the claim".
    r = scrub(chart(diagnoses=["R53.83"]))
    assert only(r, "DX-NOT-COVERED").message.startswith("No diagnosis on the claim (R53.83)")


def test_undocumented_diagnosis_messages_name_every_chart_diagnosis():
    two = chart(diagnoses=["D83.9", "G61.81"])
    r = scrub(two, lambda c: c.update(diagnoses=["D83.9", "G61.81", "M33.20"]))
    assert [m for _s, _l, m in _dx_findings(r, "DX-NOT-DOCUMENTED")] == [
        "M33.20 is on the claim but not among the chart's diagnoses (D83.9, G61.81)."]
    # A code that is not billable is skipped, and the ones after it are still checked.
    r = scrub(BASE, lambda c: c.update(diagnoses=["D83", "G61.81"]))
    assert [m for _s, _l, m in _dx_findings(r, "DX-NOT-DOCUMENTED")] == [
        "G61.81 is on the claim but not among the chart's diagnoses (D83.9)."]
    # The written diagnosis not covered, where the chart's two are: both chart codes named.
    r = scrub(two, lambda c: c.update(diagnoses=["R53.83"]))
    assert only(r, "DX-NOT-COVERED").message.endswith("The chart's diagnoses (D83.9, G61.81) are covered.")


def test_chart_without_diagnoses_and_a_written_one():
    r = scrub(chart(diagnoses=[]), lambda c: c.update(diagnoses=["D83.9"]))
    assert [m for _s, _l, m in _dx_findings(r, "DX-NOT-DOCUMENTED")] == [
        "D83.9 is on the claim but not among the chart's diagnoses (none)."]
    assert "DX-MISSING" not in ids(r)  # the claim that goes out has a diagnosis


def test_a_claim_no_diagnosis_of_which_is_covered_puts_its_immune_globulin_at_stake():
    """Audit 7: DX-NOT-COVERED (the whole claim denied) carried no money, where DX-POINTER-NOT-COVERED (one line at
    risk) did: the immune globulin's 60 units of J1561 are at stake, priced at J1561 ($49.076, ASP 2026Q1), on build
    and on scrub, and when the written claim bills another diagnosis than the chart's covered one."""
    enc = chart(payer={"type": "medicare", "contractor": "J15"}, diagnoses=["D80.1"])
    for r in (build(enc), scrub(enc)):
        f = only(r, "DX-NOT-COVERED")
        assert (f.impact_units, f.impact_usd) == (-60, Decimal("-2944.56"))
    other = scrub(chart(payer={"type": "medicare", "contractor": "J15"}, diagnoses=["D83.9"]),
                  lambda c: c.update(diagnoses=["D80.1"]))
    f = only(other, "DX-NOT-COVERED")
    assert (f.line, f.impact_units, f.impact_usd) == (1, -60, Decimal("-2944.56"))
    # The units written, counted in J1561's: 30 units of J1559 (100 mg) are 6 of J1561.
    fewer = scrub(enc, lambda c: c["lines"][0].update(code="J1559", units=30))
    assert only(fewer, "DX-NOT-COVERED").impact_units == -6
    # A written claim without the immune globulin's line puts none of its units at stake (nothing billed to deny).
    bare = only(scrub(enc, lambda c: c.update(lines=c["lines"][1:])), "DX-NOT-COVERED")
    assert (bare.impact_units, bare.impact_usd) == (None, None)
    # A premedication charted first is not what the denial of the immune globulin's diagnoses takes.
    pre = {"id": "pre1", "hcpcs": "J1200", "units": 1, "route": "IV"}
    push = {"drug_id": "pre1", "method": "push", "start": "2026-03-02T08:50", "stop": "2026-03-02T08:50"}
    first = chart(payer={"type": "medicare", "contractor": "J15"}, diagnoses=["D80.1"],
                  drugs=[pre, *BASE["drugs"]], administrations=[*BASE["administrations"], push])
    f = only(build(first), "DX-NOT-COVERED")
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-2944.56"))
