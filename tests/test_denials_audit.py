"""igclaim denials: the defects an outside audit found in the 835 reading, each pinned with exact amounts.

The auditor's own files are in tests/data/audit835 (README there); smaller cases are built with tests.remit835."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

from typer.testing import CliRunner

from igclaim.cli import app
from igclaim.denials.reader import read_835
from tests.remit835 import ClaimPay, Line, build_835

DATA = Path(__file__).resolve().parent / "data" / "audit835"
runner = CliRunner()


def _claims(name: str) -> dict[tuple[int, str, str], list[str]]:
    """(transaction, claim id, payer claim id) → the claim's warnings, for the auditor's file `name`."""
    remits = read_835((DATA / name).read_text())
    return {(i, c.claim_id, c.payer_claim_id or ""): c.warnings for i, r in enumerate(remits) for c in r.claims}


def _cli_json(path: Path) -> dict:
    r = runner.invoke(app, ["denials", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


# ------------------------------------------------------------------ F3: every claim balanced, CLP05 against PR


def test_a_claim_without_service_lines_is_balance_checked():
    """P-UNBAL (no SVC): charge 6700, CO-16 500, paid 0 read "Denied $500 of $6,700" and said nothing of the
    $6,200 no adjustment explains."""
    warnings = _claims("multi.835")
    assert warnings[(0, "P-UNBAL", "ICN-P-UNBAL")] == [
        "claim P-UNBAL does not balance: charge 6700 − adjustments 500 ≠ paid 0 (6200 unaccounted for)"]
    assert warnings[(0, "P-NOLINES", "ICN-P-NOLINES")] == []  # CO-197 6700 of 6700: balanced, nothing said
    doc = _cli_json(DATA / "multi.835")
    (unbal,) = [c for c in doc["claims"] if c["claim_id"] == "P-UNBAL"]
    assert unbal["warnings"] == warnings[(0, "P-UNBAL", "ICN-P-UNBAL")]
    assert (unbal["charge"], unbal["paid"], unbal["denied"]) == (6700, 0, 500)


def test_claim_level_and_line_level_adjustments_balance_together():
    """A claim-level CAS with lines: charge − (claim CAS + line CAS) = paid is balanced; paying more is said."""
    claim = ClaimPay("CLM-BOTH", "1", [Line("J1561", D("1000"), 10, (), [("CO", [("45", D("100"))])])],
                     claim_cas=[("OA", [("23", D("700"))])], payer_icn="ICN-BOTH")
    text = build_835([claim])
    assert "CLP*CLM-BOTH*1*1000*200*0" in text
    assert read_835(text)[0].claims[0].warnings == []
    over = text.replace("CLP*CLM-BOTH*1*1000*200*0", "CLP*CLM-BOTH*1*1000*260*0")
    assert read_835(over)[0].claims[0].warnings == [
        "claim CLM-BOTH does not balance: charge 1000 − adjustments 800 ≠ paid 260 (60 paid beyond charge − "
        "adjustments)"]


def test_patient_responsibility_is_compared_with_the_pr_adjustments():
    """CLP05 1140 against PR-1 240 + PR-2 860 = 1100 on P-PART: a warning of $40, beside the claim's imbalance."""
    assert _claims("multi.835")[(0, "P-PART", "ICN-P-PART")] == [
        "claim P-PART does not balance: charge 6700 − adjustments 2800 ≠ paid 3500 (400 unaccounted for)",
        "claim P-PART: CLP05 (patient responsibility) 1140 ≠ the PR adjustments 1100 (off by 40): payers differ in "
        "what CLP05 counts; check what the patient owes with the payer",
    ]
    zero = ClaimPay("CLM-ZERO", "1", [Line("96365", D("200"), 1, (), [("CO", [("45", D("50"))]),
                                                                      ("PR", [("1", D("150"))])])])
    text = build_835([zero])
    assert "CLP*CLM-ZERO*1*200*0*150*" in text and read_835(text)[0].claims[0].warnings == []
    absent = read_835(text.replace("CLP*CLM-ZERO*1*200*0*150*", "CLP*CLM-ZERO*1*200*0**"))[0].claims[0]
    assert absent.warnings == ["claim CLM-ZERO: CLP05 (patient responsibility) is absent, but the PR adjustments "
                               "total 150: check what the patient owes with the payer"]


def test_the_table_shows_a_claims_warnings():
    """The table showed the summary only: a claim's imbalance was in the JSON and the HTML, not on the terminal."""
    r = runner.invoke(app, ["denials", str(DATA / "multi.835"), "--format", "table"], env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    assert "warning: claim P-UNBAL does not balance: charge 6700 − adjustments 500 ≠ paid 0 (6200 unaccounted for)" \
        in r.output
