"""Provider-level adjustments (PLB) followed across the remittances of one run: the amounts a recovery (WO) takes
from the claim it names, against what that claim was paid, and the forwarding balances (FB) one payment carries to
a later one, settled or open; each test fails on the code before its fix (but the one that guards a false alarm)."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

from typer.testing import CliRunner

from igclaim.cli import app
from igclaim.denials.report import plb_text
from tests.remit835 import ClaimPay, Line, build_835
from tests.test_readers29 import ROOT, _remit

runner = CliRunner()


def _run(tmp_path: Path, *texts: str) -> dict:
    """`igclaim denials` on the 835s given, in that order (one file each), as JSON."""
    paths = []
    for i, text in enumerate(texts, start=1):
        paths.append(tmp_path / f"r{i}.835")
        paths[-1].write_text(text)
    r = runner.invoke(app, ["denials", *map(str, paths), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _later(plb: list[tuple[str, D, str]], charge: D = D(3000)) -> str:
    """A later payment (EFT0002, 2026-05-10) of one new claim paid `charge`, with these PLBs (reason, amount,
    reference)."""
    claim = ClaimPay("CLM-2026-0201", lines=[Line("96365", charge)], payer_icn="ICN-CLM-2026-0201")
    text = build_835([claim], check="EFT0002", date="20260510", control=2,
                     plb=[(reason, amount) for reason, amount, _ in plb])
    for reason, _, ref in plb:
        text = text.replace(f"*{reason}:EFT0002*", f"*{reason}:{ref}*", 1)
    return text


def _wo(doc: dict) -> list[tuple[float, str | None]]:
    return [(a["amount"], a["warning"]) for r in doc["meta"]["remittances"] for a in r["provider_adjustments"]
            if a["reason"] == "WO"]


OVER = ("WO (Overpayment Recovery) takes {total} in all from claim CLM-2026-0104 across the remittances read, more "
        "than the 5200 it was paid (CLP04): a remittance not read here, earlier or later, may explain it (a corrected "
        "payment of the claim, a recovery given back); ask the payer before posting it")


def test_a_recovery_wo_of_more_than_its_claim_was_paid_is_warned(tmp_path):
    """CLM-2026-0104 was paid 5200 (CLP04); a WO naming it took 5300 and nothing was said. Now a warning on the WO,
    as the sign check words its own; recovering exactly what was paid, or less, is not warned."""
    doc = _run(tmp_path, _remit("PLB*1234567893*20261231*WO:ICN-CLM-2026-0104*5300", "1420"))
    assert _wo(doc) == [(5300, OVER.format(total="5300"))]
    (remit,) = doc["meta"]["remittances"]
    assert remit["warnings"] == [] and remit["provider_adjustments"][0]["recovers"].startswith("claim CLM-2026-0104")
    assert plb_text(remit["provider_adjustments"][0]).endswith(" Warning: " + OVER.format(total="5300") + ".")
    assert _wo(_run(tmp_path, _remit("PLB*1234567893*20261231*WO:ICN-CLM-2026-0104*5200", "1520"))) == [
        (5200, None)]


def test_recoveries_of_one_claim_are_added_up_across_the_remittances_read(tmp_path):
    """3000 in one payment and 2500 in a later one, by the claim's payer number then its own: 5500 of a claim paid
    5200. Each WO of that claim is warned; a WO given back (negative) counts against the total."""
    first = _remit("PLB*1234567893*20261231*WO:ICN-CLM-2026-0104*3000", "3720")
    doc = _run(tmp_path, first, _later([("WO", D(2500), "CLM-2026-0104")]))
    assert _wo(doc) == [(3000, OVER.format(total="5500")), (2500, OVER.format(total="5500"))]
    doc = _run(tmp_path, first, _later([("WO", D(2500), "CLM-2026-0104"), ("WO", D(-400), "ICN-CLM-2026-0104")]))
    assert _wo(doc) == [(3000, None), (2500, None), (-400, None)]


def test_a_recovery_naming_a_reversal_or_a_claim_of_claims_only_is_not_judged(tmp_path):
    """The amount is checked against a claim's payments read: a WO whose claim has a reversal (-1000) that cancels
    no payment read (its original was not given: the net, -400, is short of it) or a claim of --claims (what was
    billed, not paid) is not judged."""
    reversed_ = [ClaimPay("CLM-9", "22", [Line("96365", D(1000))], payer_icn="ICN-9", sign=-1),
                 ClaimPay("CLM-9", "1", [Line("96365", D(1000), cas=[("CO", [("45", D(400))])])], payer_icn="ICN-9"),
                 ClaimPay("CLM-8", "1", [Line("96365", D(1000))], payer_icn="ICN-8")]
    doc = _run(tmp_path, build_835(reversed_), _later([("WO", D(300), "ICN-9")]))
    assert _wo(doc) == [(300, None)]
    assert doc["meta"]["remittances"][1]["provider_adjustments"][0]["recovers"].startswith("claim CLM-9 ")


# --- forwarding balances (FB) followed across the remittances given ----------------------------------------------

def _fb(doc: dict) -> list[tuple[int, float, str | None, str | None, str | None]]:
    """Each FB of the run: (remittance, amount, forwarding, its note, warning)."""
    return [(i, a["amount"], a["forwarding"], a["forwarding_note"], a["warning"])
            for i, r in enumerate(doc["meta"]["remittances"], start=1) for a in r["provider_adjustments"]
            if a["reason"] == "FB"]


def test_a_forwarding_balance_offset_in_a_later_remittance_is_settled(tmp_path):
    """EFT0001 could not recover 500 and carried it forward (FB −500, reference BAL1); EFT0002 took it (FB 500, the
    same reference). Each FB was shown alone, as if still open; now both are settled, naming the remittances, in the
    order the files are given or the other."""
    first = _remit("PLB*1234567893*20261231*FB:BAL1*-500", "7220")
    later = _later([("FB", D(500), "BAL1")])
    settled = ("Settled: the forwarding balances (FB) of reference BAL1 in remittance 1 (EFT0001) and remittance 2 "
               "(EFT0002) come to 0")
    doc = _run(tmp_path, first, later)
    assert _fb(doc) == [(1, -500, "settled", settled, None), (2, 500, "settled", settled, None)]
    assert all(r["warnings"] == [] for r in doc["meta"]["remittances"])
    assert plb_text(doc["meta"]["remittances"][1]["provider_adjustments"][0]).endswith(" " + settled + ".")
    assert [x[2] for x in _fb(_run(tmp_path, later, first))] == ["settled", "settled"]


def test_a_forwarding_balance_no_remittance_given_offsets_is_an_open_balance_naming_its_reference(tmp_path):
    """One 835 alone: its FB is an open balance (a note, not a warning), which way the money is still to go."""
    carried = ("Open balance: 500 of reference BAL1 (remittance 1 (EFT0001)) is carried to a later payment, not among "
               "the remittances read, which should take it back with a positive FB of the same reference")
    doc = _run(tmp_path, _remit("PLB*1234567893*20261231*FB:BAL1*-500", "7220"))
    assert _fb(doc) == [(1, -500, "open", carried, None)]
    assert plb_text(doc["meta"]["remittances"][0]["provider_adjustments"][0]).endswith(" " + carried + ".")
    taken = ("Open balance: 500 of reference BAL1 (remittance 1 (EFT0002)) is taken here for a balance carried from "
             "an earlier payment, not among the remittances read (a negative FB of the same reference): give it to "
             "settle this one")
    assert _fb(_run(tmp_path, _later([("FB", D(500), "BAL1")]))) == [(1, 500, "open", taken, None)]


def test_forwarding_balances_are_matched_by_their_whole_reference_and_net_by_amount(tmp_path):
    """A later payment takes back 300 of the 500 carried: 200 of BAL1 is still open; a new balance carried under
    another reference (BAL2) is its own; an FB without a reference cannot be followed: a warning."""
    first = _remit("PLB*1234567893*20261231*FB:BAL1*-500*FB*-1", "7221")
    doc = _run(tmp_path, first, _later([("FB", D(300), "BAL1"), ("FB", D(-200), "BAL2")]))
    got = {(i, amount): (state, note, warning) for i, amount, state, note, warning in _fb(doc)}
    partial = ("Open balance: 200 of reference BAL1 (remittance 1 (EFT0001) and remittance 2 (EFT0002)) is carried to "
               "a later payment, not among the remittances read, which should take it back with a positive FB of the "
               "same reference")
    assert got[(1, -500)] == got[(2, 300)] == ("open", partial, None)
    assert got[(2, -200)][:2] == ("open", "Open balance: 200 of reference BAL2 (remittance 2 (EFT0002)) is carried "
                                  "to a later payment, not among the remittances read, which should take it back "
                                  "with a positive FB of the same reference")
    assert got[(1, -1)] == (None, None, "FB without a reference (PLB03-2): it cannot be matched with the FB that "
                                        "offsets it in another remittance; ask the payer")


def test_a_recovery_of_a_claim_paid_twice_is_judged_against_both_payments(tmp_path):
    """A claim number paid in two remittances, neither reversed (5200, then 1000: a duplicate payment, what a WO
    most often recovers), was paid 6200: a WO of 3000 is within it, though the later payment (1000) is less (judged
    against the last one, it would warn), and so is one of 5500, though the first payment (5200) is less."""
    again = build_835([ClaimPay("CLM-2026-0104", lines=[Line("96365", D(1000))], payer_icn="ICN-CLM-2026-0104")],
                      check="EFT0002", date="20260510", control=2)
    for wo, bpr02 in ((3000, "3720"), (5500, "1220")):
        first = _remit(f"PLB*1234567893*20261231*WO:ICN-CLM-2026-0104*{wo}", bpr02)
        assert _wo(_run(tmp_path, first, again)) == [(wo, None)]


def test_only_forwarding_balances_are_netted_by_reference(tmp_path):
    """A WO that shares an FB's reference is not part of the balance: the FBs of BAL1 still come to 0."""
    first = _remit("PLB*1234567893*20261231*FB:BAL1*-500", "7220")
    doc = _run(tmp_path, first, _later([("FB", D(500), "BAL1"), ("WO", D(100), "BAL1")]))
    assert [x[2] for x in _fb(doc)] == ["settled", "settled"]


def _paid(claims: list[ClaimPay], plb: list[tuple[str, D, str]]) -> str:
    """One payment (EFT0001) of these claims with these PLBs (reason, amount, reference)."""
    text = build_835(claims, plb=[(reason, amount) for reason, amount, _ in plb])
    for reason, _, ref in plb:
        text = text.replace(f"*{reason}:EFT0001*", f"*{reason}:{ref}*", 1)
    return text


def test_a_recovery_reference_whose_words_name_two_claims_is_not_attributed_but_warned(tmp_path):
    """"ACCT 7 20260301 CLM123": its word 7 is also claim 7's number, and the WO was put on claim 7 (the first word
    found) though CLM123 is as likely. Now a reference whose words name more than one claim is attributed to none,
    and warned naming them; one whose words name one claim (8 is none) is still that claim's."""
    claims = [ClaimPay("7", lines=[Line("96365", D(400))], payer_icn="ICN-7"),
              ClaimPay("CLM123", lines=[Line("96365", D(900))], payer_icn="ICN-123")]
    doc = _run(tmp_path, _paid(claims, [("WO", D(50), "ACCT 7 20260301 CLM123"),
                                        ("WO", D(60), "ACCT 8 20260301 CLM123"), ("WO", D(70), "7")]))
    (remit,) = doc["meta"]["remittances"]
    got = [(a["reference"], a["recovers"], a["warning"]) for a in remit["provider_adjustments"]]
    ambiguous = ("WO reference ACCT 7 20260301 CLM123 (PLB03-2) names more than one claim by its words (7, CLM123): "
                 "the claim whose overpayment it recovers cannot be told; ask the payer")
    assert got == [
        ("ACCT 7 20260301 CLM123", None, ambiguous),
        ("ACCT 8 20260301 CLM123",
         "claim CLM123 (payer claim number ICN-123) of remittance 1, status 1, paid 900", None),
        ("7", "claim 7 (payer claim number ICN-7) of remittance 1, status 1, paid 400", None)]
    assert remit["provider_adjustments"][0]["recovers_one_of"] == ["7", "CLM123"]
    assert "recovers_one_of" not in remit["provider_adjustments"][1]
    text = plb_text(remit["provider_adjustments"][0])
    assert "names no claim" not in text and text.endswith(" Warning: " + ambiguous + "."), text


def _corrected() -> tuple[str, str]:
    """CLM-5 paid 500 (EFT0001, payer claim number ICN-5), then reversed (CLP02 22, -500) and paid again 200 under a
    new payer claim number (ICN-5B) in EFT0002: the payer's correction, as the 835 guide writes one."""
    first = build_835([ClaimPay("CLM-5", lines=[Line("96365", D(500))], payer_icn="ICN-5")])
    again = build_835([ClaimPay("CLM-5", "22", [Line("96365", D(500))], payer_icn="ICN-5", sign=-1),
                       ClaimPay("CLM-5", lines=[Line("96365", D(500), cas=[("CO", [("45", D(300))])])],
                                payer_icn="ICN-5B")], check="EFT0002", date="20260510", control=2)
    return first, again


def test_a_recovery_of_a_corrected_claim_is_judged_against_what_it_was_paid_net(tmp_path):
    """CLM-5 was paid 500, reversed (-500) and paid 200: a WO of 300 naming it was judged against the first payment
    found (500) and not warned, though the claim was paid 200. Now against its net (the CLP04s of its payments read,
    added up: 500 - 500 + 200), by either payer claim number or its own, in whatever order the files are given."""
    first, again = _corrected()
    over = ("WO (Overpayment Recovery) takes 300 in all from claim CLM-5 across the remittances read, more than the "
            "200 it was paid (CLP04, net of its 3 claim payments read): a remittance not read here, earlier or later, "
            "may explain it (a corrected payment of the claim, a recovery given back); ask the payer before posting it")
    for ref in ("ICN-5", "ICN-5B", "CLM-5"):
        doc = _run(tmp_path, first, again, _later([("WO", D(300), ref)]))
        assert _wo(doc) == [(300, over)], ref
    assert _wo(_run(tmp_path, again, first, _later([("WO", D(300), "ICN-5")]))) == [(300, over)]
    doc = _run(tmp_path, first, again, _later([("WO", D(150), "ICN-5")]))
    assert _wo(doc) == [(150, None)]
    assert doc["meta"]["remittances"][2]["provider_adjustments"][0]["recovers"] == (
        "claim CLM-5 (payer claim number ICN-5, ICN-5B) of remittance 1, status 1, paid 500; remittance 2, status 22, "
        "paid -500; remittance 2, status 1, paid 200")


def test_a_recovery_is_judged_against_its_own_payers_payments_of_the_claim(tmp_path):
    """CLM-P was paid 800 by Medicare and 200 by a secondary payer (each its own 835). A WO is the overpayment of the
    payer that takes it: Medicare's WO of 900 is more than Medicare paid (added to the secondary's 200 it was not
    warned), its WO of 300 is within it (judged against the secondary's 200, the first payment found when its 835
    is given first, it was warned), and a payer that paid the claim in no remittance read is not judged."""
    primary = build_835([ClaimPay("CLM-P", "19", [Line("96365", D(800))], payer_icn="ICN-P")])
    secondary = build_835([ClaimPay("CLM-P", "2", [Line("96365", D(200))], payer_icn="GAP-P")],
                          payer="MEDIGAP PLAN", payer_id="99999", check="GAP0001", control=3)
    over = ("WO (Overpayment Recovery) takes 900 in all from claim CLM-P across the remittances read, more than the "
            "800 it was paid (CLP04): a remittance not read here, earlier or later, may explain it (a corrected "
            "payment of the claim, a recovery given back); ask the payer before posting it")
    assert _wo(_run(tmp_path, primary, secondary, _later([("WO", D(900), "CLM-P")]))) == [(900, over)]
    assert _wo(_run(tmp_path, secondary, primary, _later([("WO", D(900), "CLM-P")]))) == [(900, over)]
    assert _wo(_run(tmp_path, secondary, primary, _later([("WO", D(300), "CLM-P")]))) == [(300, None)]
    other = _later([("WO", D(900), "CLM-P")]).replace("N1*PR*MEDICARE PART B", "N1*PR*OTHER PLAN")
    doc = _run(tmp_path, primary, other)
    assert _wo(doc) == [(900, None)]
    assert doc["meta"]["remittances"][1]["provider_adjustments"][0]["recovers"].startswith(
        "claim CLM-P, with no payment by this payer")


def test_an_ambiguous_reference_takes_nothing_from_any_claim_it_may_name(tmp_path):
    """A WO whose words name two claims is put on none: its amount is added to neither claim's recoveries, so a WO
    of 450 beside claim 7's payment of 400 is warned as ambiguous only, not as taking more than claim 7 was paid."""
    claims = [ClaimPay("7", lines=[Line("96365", D(400))], payer_icn="ICN-7"),
              ClaimPay("CLM123", lines=[Line("96365", D(900))], payer_icn="ICN-123")]
    doc = _run(tmp_path, _paid(claims, [("WO", D(450), "ACCT 7 20260301 CLM123")]))
    assert _wo(doc) == [(450, "WO reference ACCT 7 20260301 CLM123 (PLB03-2) names more than one claim by its words "
                              "(7, CLM123): the claim whose overpayment it recovers cannot be told; ask the payer")]


def test_a_payment_given_twice_is_counted_once_in_what_its_claim_was_paid(tmp_path):
    """The same 835 given twice (a repeat, counted once everywhere) must not double what its claim was paid: a WO of
    600 of a claim paid 500 is warned whether or not the payment's file was given twice."""
    first, _ = _corrected()
    over = ("WO (Overpayment Recovery) takes 600 in all from claim CLM-5 across the remittances read, more than the "
            "500 it was paid (CLP04): a remittance not read here, earlier or later, may explain it (a corrected "
            "payment of the claim, a recovery given back); ask the payer before posting it")
    assert _wo(_run(tmp_path, first, _later([("WO", D(600), "ICN-5")]))) == [(600, over)]
    assert _wo(_run(tmp_path, first, first, _later([("WO", D(600), "ICN-5")]))) == [(600, over)]


def test_a_claim_payment_whose_clp04_cannot_be_read_is_not_judged_even_beside_a_readable_one(tmp_path):
    """CLM-5 paid 500, and again in a file whose CLP04 is unreadable: what it was paid in all cannot be told, so a
    WO naming it is not judged (a readable 500 alone would have warned a WO of 600)."""
    first, _ = _corrected()
    bad = build_835([ClaimPay("CLM-5", lines=[Line("96365", D(500))], payer_icn="ICN-5")], check="EFT0003",
                    control=3).replace("CLP*CLM-5*1*500*500*", "CLP*CLM-5*1*500*5X0*")
    doc = _run(tmp_path, first, bad, _later([("WO", D(600), "ICN-5")]))
    assert _wo(doc) == [(600, None)]


def test_two_payers_of_one_name_are_told_apart_by_their_payer_id(tmp_path):
    """Payers are told apart by their identifier (REF*2U) before their name: two plans both named MEDICARE PART B
    with other ids (two contractors) are two payers, so one's WO of 900 is judged against its own 800. (A file of
    that name without REF*2U is one payer with the files that have it when they have one id: the next tests.)"""
    primary = _with_2u(build_835([ClaimPay("CLM-P", "19", [Line("96365", D(800))], payer_icn="ICN-P")]), "00952")
    other = _with_2u(build_835([ClaimPay("CLM-P", "2", [Line("96365", D(200))], payer_icn="GAP-P")],
                               payer_id="99999", check="GAP0001", control=3), "99999")
    assert "N1*PR*MEDICARE PART B~\n" in other and "REF*2U*99999~" in other
    doc = _run(tmp_path, primary, other, _with_2u(_later([("WO", D(900), "CLM-P")]), "00952"))
    assert _wo(doc) == [(900, "WO (Overpayment Recovery) takes 900 in all from claim CLM-P across the remittances "
                              "read, more than the 800 it was paid (CLP04): a remittance not read here, earlier or "
                              "later, may explain it (a corrected payment of the claim, a recovery given back); ask "
                              "the payer before posting it")]


def test_a_recovery_of_a_payer_that_paid_the_claim_in_no_remittance_read_names_no_other_payers_payment(tmp_path):
    """CLM-P was paid 800 by Medicare; OTHER PLAN takes a WO of 900 naming it. Its `recovers` said where Medicare's
    payment is (remittance 1, paid 800), as if the WO recovered it. Now it says the claim has no payment by this
    payer among the remittances read, and names no other payer's payment; Medicare's own WO still names its own."""
    primary = build_835([ClaimPay("CLM-P", "19", [Line("96365", D(800))], payer_icn="ICN-P")])
    other = _later([("WO", D(900), "CLM-P")]).replace("N1*PR*MEDICARE PART B", "N1*PR*OTHER PLAN")
    doc = _run(tmp_path, primary, other)
    (wo,) = doc["meta"]["remittances"][1]["provider_adjustments"]
    none = ("claim CLM-P, with no payment by this payer in the remittances read (another payer's payment of it is "
            "not this payer's to recover): give the remittance of this payer that paid it to trace it")
    assert (wo["recovers"], wo["warning"]) == (none, None)
    assert "remittance 1" not in plb_text(wo) and plb_text(wo).endswith(f" It recovers {none}.")
    own = _run(tmp_path, primary, _later([("WO", D(300), "CLM-P")]))
    assert own["meta"]["remittances"][1]["provider_adjustments"][0]["recovers"] == (
        "claim CLM-P (payer claim number ICN-P) of remittance 1, status 19, paid 800")
    # With --claims, the claim that went out is named (what was billed, not what another payer paid).
    (tmp_path / "m.835").write_text(_remit("PLB*1234567893*20261231*WO:EFT0001*0", "6720"))
    # A reference of both its numbers (CLP01 and Medicare's CLP07) names that one claim, not two, in either order:
    # as the claim of --claims (what went out), not as the claim alone known by Medicare's number.
    for ref in ("CLM-2026-0104", "CLM-2026-0104 ICN-CLM-2026-0104", "ICN-CLM-2026-0104 CLM-2026-0104"):
        (tmp_path / "o.835").write_text(_later([("WO", D(900), ref)]).replace("N1*PR*MEDICARE PART B",
                                                                              "N1*PR*OTHER PLAN"))
        r = runner.invoke(app, ["denials", str(tmp_path / "m.835"), str(tmp_path / "o.835"), "--claims",
                                str(ROOT / "examples" / "denials" / "charts"), "--format", "json"])
        assert r.exit_code == 0, r.output
        (wo,) = json.loads(r.stdout)["meta"]["remittances"][1]["provider_adjustments"]
        assert (wo["recovers"], wo["warning"]) == (
            f"claim CLM-2026-0104 of --claims (0104-paid.json), {none[len('claim CLM-P, '):]}", None), ref


def _with_2u(text: str, payer_id: str) -> str:
    """The 835 with its payer's identifier (REF*2U) after N1*PR's address, SE's count raised by one."""
    segments = int(text.split("SE*")[1].split("*")[0])
    text = text.replace("~\nN1*PE*", f"~\nREF*2U*{payer_id}~\nN1*PE*", 1).replace(f"SE*{segments}*",
                                                                                    f"SE*{segments + 1}*", 1)
    assert f"REF*2U*{payer_id}~" in text
    return text


def test_one_payers_remittances_with_and_without_its_payer_id_are_one_payer(tmp_path):
    """Medicare paid CLM-P 800 in an 835 with its identifier (REF*2U 00952) and took a WO of 900 in one without it
    (same name, N1*PR MEDICARE PART B): keyed by id in one and by name in the other, they were two payers, and the
    WO was not judged (the claim had no payment by it). Now one payer, whichever file carries the id: warned."""
    paid = build_835([ClaimPay("CLM-P", "19", [Line("96365", D(800))], payer_icn="ICN-P")])
    wo = _later([("WO", D(900), "CLM-P")])
    over = ("WO (Overpayment Recovery) takes 900 in all from claim CLM-P across the remittances read, more than the "
            "800 it was paid (CLP04): a remittance not read here, earlier or later, may explain it (a corrected "
            "payment of the claim, a recovery given back); ask the payer before posting it")
    for first, later in ((_with_2u(paid, "00952"), wo), (paid, _with_2u(wo, "00952")), (_with_2u(paid, "00952"),
                                                                                          _with_2u(wo, "00952"))):
        doc = _run(tmp_path, first, later)
        assert _wo(doc) == [(900, over)]
        assert doc["meta"]["remittances"][1]["provider_adjustments"][0]["recovers"] == (
            "claim CLM-P (payer claim number ICN-P) of remittance 1, status 19, paid 800")


def test_a_remittance_without_payer_id_whose_name_two_payer_ids_share_is_warned_not_guessed(tmp_path):
    """Two payers named MEDICARE PART B with their own ids (00952 paid CLM-P 800, 99999 paid it 200) and a WO of 900
    in a file of that name without REF*2U: which payer takes it cannot be told. It is matched with neither payer's
    payment and warned; a WO in a file with REF*2U 00952 is still Medicare's own."""
    primary = _with_2u(build_835([ClaimPay("CLM-P", "19", [Line("96365", D(800))], payer_icn="ICN-P")]), "00952")
    other = _with_2u(build_835([ClaimPay("CLM-P", "2", [Line("96365", D(200))], payer_icn="GAP-P")],
                               payer_id="99999", check="GAP0001", control=3), "99999")
    doc = _run(tmp_path, primary, other, _later([("WO", D(900), "CLM-P")]))
    (wo,) = doc["meta"]["remittances"][2]["provider_adjustments"]
    assert wo["recovers"].startswith("claim CLM-P, with no payment by this payer")
    assert wo["warning"] == ("this remittance names its payer MEDICARE PART B without its identifier (REF*2U), and "
                             "the remittances read have 2 payers of that name (00952, 99999): which one takes this WO "
                             "cannot be told; ask the payer")
    doc = _run(tmp_path, primary, other, _with_2u(_later([("WO", D(300), "CLM-P")]), "00952"))
    assert _wo(doc) == [(300, None)]


def test_a_reversed_claim_without_clp01_whose_correction_cannot_be_matched_is_warned_not_judged(tmp_path):
    """A claim sent back without CLP01 is known by its payer claim number only: paid 500 (ICN-5), then reversed
    (-500, ICN-5) and paid 200 under a new number (ICN-5B). Nothing ties ICN-5B to ICN-5, so a WO of 100 naming ICN-5
    was judged against 0 (500 - 500) and warned as taking more than the claim was paid, though it was paid 200. Now
    a claim without CLP01 whose payments read are all reversed is not judged, and the WO says why; the corrected
    payment (ICN-5B) is judged against its own 200, and a claim without CLP01 not reversed as before."""
    first, again = _corrected()
    first, again = first.replace("CLP*CLM-5*", "CLP**"), again.replace("CLP*CLM-5*", "CLP**")
    doc = _run(tmp_path, first, again, _later([("WO", D(100), "ICN-5")]))
    (wo,) = doc["meta"]["remittances"][2]["provider_adjustments"]
    assert wo["recovers"] == ("claim ? (payer claim number ICN-5) of remittance 1, status 1, paid 500; remittance 2, "
                              "status 22, paid -500")
    assert wo["warning"] == (
        "claim ? (payer claim number ICN-5) has no claim number sent (CLP01) and its payments read are reversed "
        "(CLP02 22): its corrected payment, if the payer gave it a new payer claim number, cannot be matched with "
        "it, so what it was paid cannot be told; ask the payer")
    assert _wo(_run(tmp_path, first, again, _later([("WO", D(300), "ICN-5B")])))[0][1].startswith(
        "WO (Overpayment Recovery) takes 300 in all from claim ? (payer claim number ICN-5B) across the remittances "
        "read, more than the 200 it was paid (CLP04)")
    assert _wo(_run(tmp_path, first, _later([("WO", D(600), "ICN-5")])))[0][1].startswith(
        "WO (Overpayment Recovery) takes 600 in all from claim ? (payer claim number ICN-5) across")


def test_a_net_paid_of_one_payment_reversed_twice_cannot_be_told():
    """`_net_paid`: each reversal cancels one payment read of the negated amount. 500 reversed twice (-500, -500)
    leaves a reversal whose original was not read: the net cannot be told (None), not -500; and 500, -500, 500 is
    500 (a second payment, not reversed). `_all_reversed` likewise counts each reversal once."""
    from igclaim.denials.reader import ClaimPayment
    from igclaim.denials.report import _all_reversed, _net_paid

    paid, reversal = ClaimPayment(1, status="1", paid=D(500)), ClaimPayment(2, status="22", paid=D(-500))
    assert _net_paid([paid, reversal, ClaimPayment(3, status="22", paid=D(-500))]) is None
    assert _net_paid([paid, reversal, ClaimPayment(3, status="1", paid=D(500))]) == D(500)
    assert _net_paid([paid, reversal]) == D(0) and _all_reversed([paid, reversal])
    assert not _all_reversed([paid, reversal, ClaimPayment(3, status="1", paid=D(500))])
    assert not _all_reversed([paid])


def test_a_reversed_claim_with_its_clp01_is_judged_against_its_net(tmp_path):
    """The other side of the warning above: a claim with its CLP01 joins its corrected payment by that number, so
    when its payments read are all reversed (500, -500; no correction read) it was paid 0 as far as the remittances
    read say, and a WO of 100 naming it is judged (more than 0), not warned as a claim without CLP01."""
    first, _ = _corrected()
    reversal = build_835([ClaimPay("CLM-5", "22", [Line("96365", D(500))], payer_icn="ICN-5", sign=-1)],
                         check="EFT0002", date="20260510", control=2)
    (warning,) = [w for _, w in _wo(_run(tmp_path, first, reversal, _later([("WO", D(100), "CLM-5")])))]
    assert warning.startswith("WO (Overpayment Recovery) takes 100 in all from claim CLM-5 across the remittances "
                              "read, more than the 0 it was paid (CLP04, net of its 2 claim payments read)"), warning
    assert "has no claim number sent" not in warning
