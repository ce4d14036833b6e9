"""PAYER-ABN-MODIFIER: Original Medicare, diagnosis not covered: GA with a signed ABN, GZ without."""

from __future__ import annotations

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


def test_default_policy_abn_is_a_warning():
    enc = chart(diagnoses=["R53.83"])
    assert only(scrub(enc), "PAYER-ABN-MODIFIER").severity == "warning"
