"""igclaim denials: the defects an outside audit found in the 835 reading, each pinned with exact amounts.

The auditor's own files are in tests/data/audit835 (README there); smaller cases are built with tests.remit835."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal as D
from pathlib import Path

import pytest
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


# ------------------------------------------------------ F4: the payment (BPR02) and provider-level adjustments (PLB)

BPR_WARNING = ("payment EFT0001 of MEDICARE PART B does not balance: BPR02 pays 99999, but the claims' CLP04 total "
               "13860 − provider-level adjustments (PLB) 125 = 13735 (BPR02 is 86264 more): ask the payer which is "
               "right before posting the payment")


def test_a_payment_that_does_not_balance_with_its_claims_and_plbs_is_told():
    """bpr-wrong.835: BPR02 99999 where the claims' CLP04 (13860) less the PLBs (WO 150, L6 −25) come to 13735."""
    first, second = read_835((DATA / "bpr-wrong.835").read_text())
    assert (first.total_paid, first.claims_paid, first.provider_adjusted) == (D(99999), D(13860), D(125))
    assert first.warnings == [BPR_WARNING]
    assert (second.total_paid, second.claims_paid, second.provider_adjusted, second.warnings) == (
        D(-660), D(-360), D(300), [])
    # multi.835 is the same with BPR02 13735: it balances, a negative payment (−360 − 300 = −660) too
    assert [r.warnings for r in read_835((DATA / "multi.835").read_text())] == [[], []]


def test_plb_amounts_are_subtracted_from_the_payment():
    """A positive PLB takes from the payment, a negative one adds: BPR02 = 720 − (150 − 25) = 595 balances."""
    claim = ClaimPay("CLM-1", "1", [Line("96365", D("900"), 1, (), [("CO", [("45", D("180"))])])])
    text = build_835([claim], plb=[("WO", D(150)), ("L6", D(-25))])
    assert "BPR*I*595*" in text
    (remit,) = read_835(text)
    assert remit.warnings == [] and [(a.reason, a.amount, a.reference) for a in remit.plb] == [
        ("WO", D(150), "EFT0001"), ("L6", D(-25), "EFT0001")]
    added = read_835(text.replace("BPR*I*595*", "BPR*I*845*"))[0]  # the PLBs added instead of subtracted
    assert added.warnings == [
        "payment EFT0001 of MEDICARE PART B does not balance: BPR02 pays 845, but the claims' CLP04 total 720 − "
        "provider-level adjustments (PLB) 125 = 595 (BPR02 is 250 more): ask the payer which is right before "
        "posting the payment"]
    bad = read_835(text.replace("*L6:EFT0001*-25", "*L6:EFT0001*-2S"))[0]
    assert bad.warnings == ["payment EFT0001 of MEDICARE PART B cannot be reconciled with its claims and PLBs: "
                            f"PLB03/PLB04 of segment {bad.plb[0].segment + 1} could not be read"]
    assert "PLB04 '-2S' is not an amount" in bad.guide_problems
    no_bpr02 = read_835(text.replace("BPR*I*595*", "BPR*I**"))[0]
    assert no_bpr02.warnings == ["payment EFT0001 of MEDICARE PART B cannot be reconciled with its claims and PLBs: "
                                 "BPR02 could not be read"]
    no_clp04 = read_835(text.replace("CLP*CLM-1*1*900*720*", "CLP*CLM-1*1*900*7x0*"))[0]
    assert no_clp04.warnings == ["payment EFT0001 of MEDICARE PART B cannot be reconciled with its claims and PLBs: "
                                 "claim CLM-1's CLP04 could not be read"]


def test_the_payments_and_plbs_are_in_the_json_the_report_the_csv_and_the_table(tmp_path):
    out = tmp_path / "out"
    r = runner.invoke(app, ["denials", str(DATA / "bpr-wrong.835"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "denials.json").read_text())
    first, second = doc["meta"]["remittances"]
    assert first["warnings"] == [BPR_WARNING] and second["warnings"] == []
    assert (first["paid"], first["claims_paid"], first["provider_adjusted"]) == (99999, 13860, 125)
    wo, l6 = first["provider_adjustments"]
    assert wo == {"reason": "WO", "amount": 150, "reference": "ICN-OLD", "known": True,
                  "official": "Overpayment Recovery", "meaning": wo["meaning"], "effect": "taken from this payment",
                  "warning": None, "recovers": None}
    assert (l6["reason"], l6["amount"], l6["reference"], l6["official"], l6["effect"]) == (
        "L6", -25, "INT", "Interest Owed", "added to this payment")
    assert (doc["summary"]["provider_adjusted"], doc["summary"]["payment_warnings"]) == (425, 1)

    html_text = (out / "report.html").read_text()
    payments = re.search(r'<tbody id="payments">(.*?)</tbody>', html_text, re.S).group(1)
    assert "<td class='n'>$99,999.00</td><td class='n'>$13,860.00</td><td class='n'>$125.00</td>" in payments
    assert "WO Overpayment Recovery (reference ICN-OLD): $150.00 taken from this payment" in payments
    assert "L6 Interest Owed (reference INT): $25.00 added to this payment" in payments
    assert "72 Authorized Return (reference ADV1): $300.00 taken from this payment" in payments
    assert "BPR02 pays 99999, but the claims&#x27; CLP04 total 13860" in payments

    rows = list(csv.DictReader(io.StringIO((out / "denials.csv").read_text())))
    plb = [(r["remittance"], r["reason"], r["amount"]) for r in rows if r["group"] == "PLB"]
    assert plb == [("1", "WO", "150.00"), ("1", "L6", "-25.00"), ("2", "72", "300.00")]
    assert [(r["remittance"], r["meaning"]) for r in rows if r["outcome"] == "payment warning"] == [("1", BPR_WARNING)]

    t = runner.invoke(app, ["denials", str(DATA / "bpr-wrong.835"), "--format", "table"], env={"COLUMNS": "400"})
    assert t.exit_code == 0, t.output
    assert "WO Overpayment Recovery (reference ICN-OLD): $150.00 taken from this payment" in t.output
    assert f"warning: {BPR_WARNING}" in t.output
    assert ("provider-level adjustments (PLB) net $425.00 taken from the payments; 1 payment(s) (BPR02) do not "
            "balance with their claims and PLBs") in t.output


def test_every_plb_code_igclaim_explains_is_one_the_guide_lists_and_others_are_unknown():
    """plb.toml against the PLB03-1 codes of pyx12's map of the 835 guide (its own copy of the guide's list)."""
    from importlib import resources

    from igclaim.denials.catalog import catalog

    xml = (resources.files("pyx12") / "map" / "835.5010.X221.A1.xml").read_text("utf-8")
    block = re.search(r'<element xid="PLB03-01">.*?<valid_codes>(.*?)</valid_codes>', xml, re.S).group(1)
    guide = set(re.findall(r"<code>(\w+)</code>", block))
    assert len(guide) == 41
    cat = catalog()
    assert {"L6", "WO", "FB", "72", "CS", "J1"} <= set(cat.plb) <= guide
    assert all(i.official and i.meaning and i.source for i in cat.plb.values())
    unknown = cat.provider_adjustment("ZZ")
    assert not unknown.known and "unknown provider adjustment code ZZ" in unknown.meaning


# ------------------------------------------- F-guide: a guide problem belongs to its transaction, or to the file

CAS_PROBLEMS = [
    "segment 31 (CAS): Syntax Error (L050607): If CAS05 is present, then at least one of CAS06 or CAS07 is required",
    "segment 57 (CAS): Segment CAS*CO not found.  Started at /ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100/DTM[050]",
    "segment 61 (CAS): Segment CAS*CO not found.  Started at /ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100/DTM[050]",
]


def test_each_guide_problem_is_its_own_transactions():
    """bpr-wrong.835's three CAS departures are all in EFT0001 (MEDICARE PART B); ACME HEALTH's EFT0002 listed them
    too."""
    first, second = read_835((DATA / "bpr-wrong.835").read_text())
    assert (first.payer, first.guide_problems) == ("MEDICARE PART B", CAS_PROBLEMS)
    assert (second.payer, second.guide_problems) == ("ACME HEALTH", [])
    assert first.envelope_problems == second.envelope_problems == []
    doc = _cli_json(DATA / "bpr-wrong.835")
    assert [r["guide_problems"] for r in doc["meta"]["remittances"]] == [CAS_PROBLEMS, []]
    assert doc["meta"]["envelope_problems"] == []


def test_the_envelopes_problems_are_the_files_once_and_a_transactions_own_stay_its_own(tmp_path):
    """GE01 wrong (the group's) and SE01 wrong in the second transaction (its own)."""
    text = (DATA / "multi.835").read_text()
    bad = text.replace("GE*2*1~", "GE*3*1~").replace("SE*50*0002~", "SE*49*0002~")
    assert bad.count("GE*3*1~") == bad.count("SE*49*0002~") == 1
    first, second = read_835(bad)
    assert first.guide_problems == CAS_PROBLEMS[1:]  # multi.835's own two, in EFT0001
    assert second.guide_problems == ["ST…SE: SE count of 49 for SE02=0002 is wrong. I count 50"]
    assert (first.envelope_problems, second.envelope_problems) == (
        ["envelope: GE count of 3 for GE02=1 is wrong. I count 2"], [])
    one, two = tmp_path / "one.835", tmp_path / "two.835"
    one.write_text(bad)
    two.write_text(text.replace("IEA*1*000000001", "IEA*1*000000002"))
    r = runner.invoke(app, ["denials", str(one), str(two), "--format", "json"])
    assert r.exit_code == 0, r.output
    meta = json.loads(r.stdout)["meta"]
    assert meta["envelope_problems"] == [
        {"file": str(one), "problems": ["envelope: GE count of 3 for GE02=1 is wrong. I count 2"]},
        {"file": str(two), "problems": ["envelope: IEA id=000000002 does not match ISA id=000000001"]},
    ]
    assert [(m["file"], m["trace_number"], len(m["guide_problems"])) for m in meta["remittances"]] == [
        (str(one), "EFT0001", 2), (str(one), "EFT0002", 1), (str(two), "EFT0001", 2), (str(two), "EFT0002", 0)]


@pytest.mark.parametrize("amount", ["5_00", "٥٠٠", "５００", "5e2"])
def test_an_amount_not_an_x12_decimal_of_the_digits_0_to_9_is_not_read(amount):
    """Decimal() read an SVC02 of "5_00", "٥٠٠" or "５００" as $500 (and "5e2" too), which pyx12 only warned about: the
    line charge was compared, paid and explained as if the payer had written 500. Now it is no amount: the claim's
    problem, naming the element."""
    text = build_835([ClaimPay("CLM-1", lines=[Line("J1561", D(500), units=60, cas=[("CO", [("45", D(100))])])])])
    (remit,) = read_835(text)
    assert remit.claims[0].problems == [] and remit.claims[0].lines[0].charge == 500
    (remit,) = read_835(text.replace("SVC*HC:J1561*500*", f"SVC*HC:J1561*{amount}*"))
    assert f"line 1 SVC02 {amount!r} is not an amount" in remit.claims[0].problems, remit.claims[0].problems


def test_an_835_that_does_not_end_with_iea_is_refused_as_truncated():
    """A remittance cut short (its last segments lost in transfer) may have lost claims: refused, not read as whole.
    The same file whole is read."""
    from igclaim.denials.reader import RemitError

    text = build_835([ClaimPay("CLM-T", lines=[Line("96365", D(100))])])
    assert read_835(text)
    cut = text[: text.index("GE*")]
    with pytest.raises(RemitError, match="the file is truncated \\(it does not end with IEA\\)"):
        read_835(cut)
