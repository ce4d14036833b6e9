"""PAYER-ABN-MODIFIER: Original Medicare, diagnosis not covered: GA with a signed ABN, GZ without."""

from __future__ import annotations

import pytest

from tests.test_edits_support import build, chart, ids, only, scrub

HOME_UNCOVERED = {"setting": "home", "diagnoses": ["D80.1"]}  # home IVIG list: D80.1 is not on it


def _all_lines(mod):
    def change(c):
        for ln in c["lines"]:
            ln["modifiers"] = [*ln["modifiers"], mod]
    return change


def test_gz_needed_without_abn():
    enc = chart(payer={"type": "medicare", "abn_signed": False}, **HOME_UNCOVERED)
    assert "GZ" in only(build(enc), "PAYER-ABN-MODIFIER").message
    r = scrub(enc)
    f = only(r, "PAYER-ABN-MODIFIER")
    assert f.line == 1 and "GZ" in f.message and f.severity == "error"
    assert "PAYER-ABN-MODIFIER" not in ids(scrub(enc, _all_lines("GZ")))


def test_ga_needed_with_a_signed_abn_and_wrong_modifier():
    enc = chart(payer={"type": "medicare", "abn_signed": True}, **HOME_UNCOVERED)
    r = scrub(enc, _all_lines("GZ"))
    assert "use GA" in only(r, "PAYER-ABN-MODIFIER").message
    assert "PAYER-ABN-MODIFIER" not in ids(scrub(enc, _all_lines("GA")))


def test_no_abn_modifier_when_covered_or_not_original_medicare():
    assert "PAYER-ABN-MODIFIER" not in ids(build(chart()))
    assert only(scrub(chart(), _all_lines("GZ")), "PAYER-ABN-MODIFIER").severity == "warning"
    ma = chart(payer={"type": "medicare_advantage", "prior_authorization": {"number": "P"}}, **HOME_UNCOVERED)
    assert "PAYER-ABN-MODIFIER" not in ids(scrub(ma))
    assert "Original Medicare only" in only(scrub(ma, _all_lines("GA")), "PAYER-ABN-MODIFIER").message


@pytest.mark.parametrize("payer", ["commercial", "medicaid", "medicare_advantage"])
def test_an_uncovered_diagnosis_asks_for_no_abn_modifier_outside_original_medicare(payer):
    """The ABN and its GA/GZ modifiers are Original Medicare's (CMS ABN page): a commercial, Medicaid or Medicare
    Advantage claim with a diagnosis off the list is DX-NOT-COVERED, and no liability modifier is asked for."""
    enc = chart(payer={"type": payer, "prior_authorization": {"number": "P"}}, diagnoses=["R50.9"])
    found = ids(build(enc))
    assert "DX-NOT-COVERED" in found and "PAYER-ABN-MODIFIER" not in found
    assert "PAYER-ABN-MODIFIER" in ids(build(chart(diagnoses=["R50.9"])))  # Original Medicare: asked for


def test_default_policy_abn_is_a_warning():
    enc = chart(diagnoses=["R53.83"])
    assert only(scrub(enc), "PAYER-ABN-MODIFIER").severity == "warning"


def test_home_supply_line_takes_gy_with_the_drug_when_there_is_no_benefit_category():
    """Home IVIG for CIDP under Original Medicare has no benefit category (A52509 group 1 lists the PIDD codes): the
    Q2052 supplies line is denied with the drug, so GY belongs on both (examples/coverage/cov-11 writes it there)."""
    enc = chart(setting="home", diagnoses=["G61.81"])

    def gy_on_drug_only(c):
        for ln in c["lines"]:
            ln["modifiers"] = [m for m in ln["modifiers"] if m != "GY"] + (["GY"] if ln["code"] != "Q2052" else [])

    def gy_everywhere(c):
        for ln in c["lines"]:
            ln["modifiers"] = [m for m in ln["modifiers"] if m != "GY"] + ["GY"]

    assert [ln.code for ln in build(enc).claim.lines] == ["J1561", "Q2052"]
    f = only(scrub(enc, gy_on_drug_only), "PAYER-ABN-MODIFIER")
    assert (f.line, f.severity, f.fix) == (2, "error", "Add GY to line 2.")
    assert "PAYER-ABN-MODIFIER" not in ids(scrub(enc, gy_everywhere))
    # Covered (D83.9, CVID, is on the home list): GY on the supplies line alone is flagged as needless.
    covered = chart(setting="home", diagnoses=["D83.9"])
    g = only(scrub(covered, lambda c: c["lines"][1]["modifiers"].append("GY")), "PAYER-ABN-MODIFIER")
    assert (g.line, g.severity) == (2, "warning") and "no denial is expected" in g.message


@pytest.mark.from_source
def test_an_uncertain_no_benefit_gap_gives_warnings_that_still_ask_for_gy(monkeypatch):
    """A list that binds the payer but could not confirm the gap (an uncertain entry, an unread range) makes every
    liability finding a warning, the no-benefit ones (GY) included: the gap's severity reaches each line's finding.
    No bundled list gives an uncertain no-benefit gap today (A52509's unlisted codes are read), so the gap is given."""
    from igclaim.edits import payer
    from igclaim.edits.diagnosis import Gap

    gap = Gap("the list L", ["Gamunex-C (IV)"], "warning", [], binding=True, certain=False, liability="no_benefit")
    monkeypatch.setattr(payer, "coverage_gap", lambda ctx, dx: gap)
    enc = chart(setting="home", diagnoses=["G61.81"])
    f = only(build(enc), "PAYER-ABN-MODIFIER")
    assert (f.severity, f.message) == ("warning", "The diagnosis is not covered (the list L) and the service has no "
                                       "benefit category: add GY to the drug and supply lines, not GA/GZ; the "
                                       "beneficiary is liable and no ABN is required.")

    def ga_gz_on_the_drug(c):
        c["lines"][0]["modifiers"] = [m for m in c["lines"][0]["modifiers"] if m != "GY"] + ["GA", "GZ"]
        c["lines"][1]["modifiers"] = [m for m in c["lines"][1]["modifiers"] if m != "GY"]

    found = [(f.line, f.severity, f.message, f.fix) for f in scrub(enc, ga_gz_on_the_drug).findings
             if f.edit == "PAYER-ABN-MODIFIER"]
    why = "a service with no Medicare benefit category (statutory exclusion) takes GY, not GA/GZ (the list L)."
    assert found == [
        (1, "warning", f"Line 1: GA, GZ reported, but {why}", "Replace GA, GZ with GY on line 1."),
        (2, "warning", "Line 2: the service has no Medicare benefit category for this diagnosis (the list L): GY is "
         "needed.", "Add GY to line 2."),
    ]


def _written_dx(dx: list[str]):
    def change(c):
        c["diagnoses"] = dx
    return change


def test_a_written_diagnosis_off_the_list_asks_to_bill_the_charts_covered_one_never_for_gz():
    """Audit 7: the chart's D83.9 is covered, the claim bills D80.1 (not on the contractor's list): PAYER-ABN-
    MODIFIER said "Add GZ to line 1/2/3", and GZ makes the lines the provider's liability, where billing the chart's
    diagnosis gets them paid. DX-NOT-COVERED says to bill the chart's diagnosis; a GZ written is told to go."""
    enc = chart(payer={"type": "medicare", "contractor": "J15", "abn_signed": False}, diagnoses=["D83.9"])
    r = scrub(enc, _written_dx(["D80.1"]))
    assert "The chart's diagnoses (D83.9) are covered" in only(r, "DX-NOT-COVERED").message
    assert "PAYER-ABN-MODIFIER" not in ids(r)
    r = scrub(enc, lambda c: (_written_dx(["D80.1"])(c), _all_lines("GZ")(c)))
    told = [f for f in r.findings if f.edit == "PAYER-ABN-MODIFIER"]
    assert [(f.line, f.severity) for f in told] == [(1, "warning"), (2, "warning"), (3, "warning")]
    assert told[0].message == ("Line 1: GZ reported, but the chart's diagnoses (D83.9) are covered for the product: "
                               "bill them (DX-NOT-COVERED), and no denial is expected.")
    assert told[0].fix == "Remove GZ from line 1 and bill the chart's diagnoses."
    # Every modifier written and every covered diagnosis of the chart is named.
    two = chart(payer={"type": "medicare", "contractor": "J15", "abn_signed": False}, diagnoses=["D83.9", "D80.0"])
    f = only(scrub(two, lambda c: (_written_dx(["D80.1"])(c), _all_lines("GA")(c), _all_lines("GZ")(c))),
             "PAYER-ABN-MODIFIER")
    assert f.message.startswith("Line 1: GA, GZ reported, but the chart's diagnoses (D83.9, D80.0) are covered")
    assert f.fix == "Remove GA, GZ from line 1 and bill the chart's diagnoses."
    # The chart's own diagnosis off the list too: GZ is still what the claim needs.
    uncovered = chart(payer={"type": "medicare", "contractor": "J15", "abn_signed": False}, diagnoses=["R50.9"])
    assert "GZ is needed" in only(scrub(uncovered, _written_dx(["D80.1"])), "PAYER-ABN-MODIFIER").message
    # A chart that lists no diagnosis has none to bill instead.
    bare = chart(payer={"type": "medicare", "contractor": "J15", "abn_signed": False}, diagnoses=[])
    assert "GZ is needed" in only(scrub(bare, _written_dx(["D80.1"])), "PAYER-ABN-MODIFIER").message
