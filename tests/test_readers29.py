"""Defects of the readers (837P/837I, FHIR) and the 835 reader found by audit 29: each test fails on the code
before its fix."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from igclaim.batch import run_batch
from igclaim.cli import app
from igclaim.denials.reader import read_835
from igclaim.denials.report import plb_text, to_csv
from igclaim.readers.scrub import Charts, scrub_837
from igclaim.readers.x12 import ReadError, WrittenClaim, read_837
from tests.conftest import run_cli
from tests.test_leftovers28 import _837
from tests.test_scrub_837 import edits, enc_of, scrub_text

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _hospital_in(basis: str, code: str = "J1561:JZ") -> str:
    text = _837("hospital-gamunex.json")
    changed = re.sub(rf"(SV2\*0[0-9]{{3}}\*HC:{code}\*[0-9.]+\*)UN\*", rf"\g<1>{basis}*", text)
    assert changed != text
    return changed


def test_an_837i_line_in_days_is_read_and_told_not_refused():
    """SV204 DA (days) is one of the two unit bases the 837I guide allows, yet the whole claim was refused ("UN
    (units) or MJ (minutes)"). It is read, its quantity taken as the code's units, and the scrub warns
    (CLAIM-UNITS-DAYS): a HCPCS line's service units are its code's, not days."""
    [got] = read_837(io.StringIO(_hospital_in("DA")))
    assert isinstance(got, WrittenClaim), got
    drug = got.claim.lines[0]
    assert (drug.code, drug.units, drug.unit_basis) == ("J1561", 80, "DA")
    assert all(ln.unit_basis is None for ln in got.claim.lines[1:])
    [item] = scrub_text(_hospital_in("DA"))
    assert edits(item)["CLAIM-UNITS-DAYS"] == "warning"
    [told] = [f for f in item.result.findings if f.edit == "CLAIM-UNITS-DAYS"]
    assert told.line == 1 and "J1561 × 80 in days (SV204 DA)" in told.message
    assert "CLAIM-UNITS-DAYS" not in edits(scrub_text(_837("hospital-gamunex.json"))[0])


def test_a_unit_basis_neither_guide_lists_is_still_an_error_naming_the_element():
    [got] = read_837(io.StringIO(_hospital_in("F2")))
    assert isinstance(got, ReadError), got
    assert (got.segment, got.element) == ("SV2", "SV204")
    assert got.message == "unit basis 'F2': UN (units) or DA (days)"


def test_minutes_on_an_837i_line_are_refused_as_any_basis_the_guide_does_not_list():
    """SV204 MJ (minutes) is an 837P SV103 code; the 837I guide lists UN and DA only. It was read as on an 837P
    (kept as minutes, told as "SV103 MJ"); it is the same error naming SV204 as any other basis not listed. An
    837P line in minutes is still read (CLAIM-UNITS-MINUTES, tests/test_reader_audit.py)."""
    [got] = read_837(io.StringIO(_hospital_in("MJ")))
    assert isinstance(got, ReadError), got
    assert (got.segment, got.element) == ("SV2", "SV204")
    assert got.message == "unit basis 'MJ': UN (units) or DA (days)"


def test_an_empty_unit_basis_reads_as_units():
    """SV204 left empty (the quantity beside it) is read as units, as UN is: no basis is not a wrong one (the bases
    come from refdata/837-unit-bases.toml, which lists none empty)."""
    [got] = read_837(io.StringIO(_hospital_in("")))
    assert isinstance(got, WrittenClaim), got
    assert (got.claim.lines[0].units, got.claim.lines[0].unit_basis) == (80, None)


# --- 2. --filing-date on an 837's claims ---------------------------------------------------------------------------

LATE = date(2028, 6, 1)  # past Medicare's 12 months after the example's 2026-03-02


def _filed(item) -> list[str]:
    return [f.message for f in item.result.findings if f.edit == "CLAIM-FILING-LIMIT"]


def test_filing_date_applies_to_an_837s_claims_over_its_bht04():
    """--filing-date was read for charts only: a claim read from an 837 kept its BHT04 (2026-03-06) as the day it
    is filed, so a claim the user says reaches Medicare in 2028 was never judged late. The option beats BHT04,
    with or without a chart; a chart's own filing_date beats the option."""
    text = _837("office-gamunex-jz.json")
    [alone] = list(scrub_837(io.StringIO(text), None, filing_date=LATE))
    assert _filed(alone) and "filed 2028-06-01" in _filed(alone)[0]
    assert not _filed(list(scrub_837(io.StringIO(text)))[0])  # BHT04 without the option: in time
    charts = Charts()
    charts.add(enc_of("office-gamunex-jz"))
    [joined] = list(scrub_837(io.StringIO(text), charts, filing_date=LATE))
    assert joined.joined_by == "claim id" and "filed 2028-06-01" in _filed(joined)[0]
    own = Charts()
    own.add(enc_of("office-gamunex-jz", filing_date="2026-04-01"))
    assert not _filed(list(scrub_837(io.StringIO(text), own, filing_date=LATE))[0])


def test_a_filing_date_before_the_837s_date_of_service_is_that_claims_error_naming_the_option():
    [item] = list(scrub_837(io.StringIO(_837("office-gamunex-jz.json")), None, filing_date=date(2026, 3, 1)))
    assert item.result is None and item.error is not None
    assert item.error.element == "--filing-date"
    assert item.error.message == "2026-03-01 is before the date of service of encounter CLM-2026-0001"


def test_a_bht04_before_the_service_is_still_told_when_the_option_is_the_filing_date():
    """The day the 837 was made is read apart from the day it is filed: the option replaces the one, not the
    other."""
    text = _837("office-gamunex-jz.json").replace("*20260306*1200*CH", "*20260301*1200*CH")
    [item] = list(scrub_837(io.StringIO(text), None, filing_date=LATE))
    said = [f.message for f in item.result.findings if f.edit == "PLAUSIBILITY-DOS"]
    assert said == ["date_of_service: 2026-03-02 is after the day the claim was made (2026-03-01, the 837's BHT04); "
                    "a claim is filed after the service."]


def test_scrub_and_batch_pass_filing_date_to_an_837(tmp_path):
    path = tmp_path / "claims.837"
    path.write_text(_837("office-gamunex-jz.json"))
    r = run_cli("scrub", str(path), "--format", "json", "--filing-date", LATE.isoformat())
    assert r.returncode == 0, r.stderr
    assert "CLAIM-FILING-LIMIT" in {f["edit"] for f in json.loads(r.stdout)["findings"]}
    run_batch(path, tmp_path / "out", workers=1, filing_date=LATE)
    [result] = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert "CLAIM-FILING-LIMIT" in {f["edit"] for f in result["findings"]}


# --- 3. the hospital department: no 837I or FHIR element says it ------------------------------------------------

def _with_department_modifier(mod: str) -> str:
    text = _837("hospital-gamunex.json")
    changed = re.sub(r"(SV2\*0[0-9]{3}\*HC:[A-Z0-9]+(?::[A-Z0-9]{2})*)\*", rf"\1:{mod}*", text)
    assert changed.count(f":{mod}*") == 3
    return changed


def test_an_837i_whose_department_no_input_names_is_not_judged_nor_falsely_told():
    """The department (on campus, excepted or non-excepted off campus) that decides PO/PN is in no 837I element
    (TOB 013x and the service facility's address, 2310E, do not say it; the modifiers are the claim's own word) nor
    in a FHIR Encounter (place of service 19/22 says off or on campus, never excepted): nothing is read as it. A
    claim whose department no chart names is not judged: no FORM-DEPARTMENT, and no other finding, whatever
    modifier its lines carry; without a chart FORM-DEPARTMENT is named among the edits skipped."""
    charts = Charts()
    charts.add(enc_of("hospital-gamunex"))
    assert enc_of("hospital-gamunex").outpatient_department is None
    plain = {f.edit for f in scrub_text(_837("hospital-gamunex.json"), charts)[0].result.findings}
    for mod in ("PO", "PN"):
        [alone] = scrub_text(_with_department_modifier(mod))
        assert [f.edit for f in alone.result.findings] == ["SCRUB-NO-CHART"]
        assert "FORM-DEPARTMENT" in alone.result.findings[0].message
        [joined] = scrub_text(_with_department_modifier(mod), charts)
        assert joined.joined_by == "claim id"
        assert {f.edit for f in joined.result.findings} == plain
    # A chart that names its department is judged, so the modifiers are read from the 837I as written.
    named = Charts()
    named.add(enc_of("hospital-gamunex", outpatient_department="off_campus_excepted"))
    [told] = scrub_text(_with_department_modifier("PN"), named)
    assert "FORM-DEPARTMENT" in {f.edit for f in told.result.findings}


# --- 4. 835: the payment (BPR02) and the provider-level adjustments (PLB) ---------------------------------------

def _remit(plb: str, bpr02: str = "6720") -> str:
    """The bundled remit.835 (four claims paid 6720 in all) with a PLB after its last claim and BPR02 as given."""
    text = (ROOT / "examples" / "denials" / "remit.835").read_text()
    changed = text.replace("SE*65*0001~", f"{plb}~\nSE*66*0001~").replace("BPR*I*6720*C*", f"BPR*I*{bpr02}*C*")
    assert changed.count("PLB*") == 1 and f"BPR*I*{bpr02}*C*" in changed
    return changed


def _denials(tmp_path, text: str, *args: str) -> dict:
    (tmp_path / "r.835").write_text(text)
    r = runner.invoke(app, ["denials", str(tmp_path / "r.835"), "--format", "json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


NEGATIVE = ("BPR02 -280 is negative: the total actual provider payment is zero or more; when recoveries exceed the "
            "claims paid, the 835 guide carries the balance to a later payment (PLB FB, negative) and pays 0: ask the "
            "payer for a corrected remittance before posting it")


def test_a_negative_bpr02_is_a_problem_of_the_payment_even_when_it_balances(tmp_path):
    """BPR02 -280 (claims 6720 less a recovery of 7000) balances, so nothing was said; but a payment is never
    negative: the guide carries what is left to recover to a later payment (PLB FB). A problem of the remittance,
    in the JSON, the CSV, the table and the summary; a payment of 0 is none."""
    (remit,) = read_835(_remit("PLB*1234567893*20261231*WO:ICN-CLM-2026-0104*7000", "-280"))
    assert remit.warnings == [] and remit.problems == [NEGATIVE]
    doc = _denials(tmp_path, _remit("PLB*1234567893*20261231*WO:ICN-CLM-2026-0104*7000", "-280"))
    assert doc["meta"]["remittances"][0]["problems"] == [NEGATIVE] and doc["summary"]["payment_problems"] == 1
    rows = list(csv.reader(io.StringIO(to_csv([], [], doc["meta"]["remittances"]))))
    assert [(r[4], r[11]) for r in rows if r[4].startswith("payment")] == [("payment problem", NEGATIVE)]
    table = runner.invoke(app, ["denials", str(tmp_path / "r.835"), "--format", "table"])
    assert "1 payment(s) with a problem (BPR02)" in table.output and "problem:" in table.output
    (zero,) = read_835(_remit("PLB*1234567893*20261231*FB:ICN-CLM-2026-0104*6720", "0"))
    assert zero.problems == [] and zero.warnings == []


def test_a_plb_amount_against_its_codes_sign_is_warned(tmp_path):
    """L6 is interest the payer owes: a positive L6 took $100 from the payment and was explained as interest owed,
    without a word; a positive WU (a recovery) added to it. Each is warned on its PLB (plb.toml `sign`); a code used
    both ways (WO, FB) and an amount of the expected sign are not."""
    doc = _denials(tmp_path, _remit("PLB*1234567893*20261231*L6:X*100*WU:Y*-20*WO:Z*-5*L6:W*-1", "6646"))
    (remit,) = doc["meta"]["remittances"]
    assert remit["warnings"] == [] and remit["problems"] == []
    warned = [(a["reason"], a["warning"]) for a in remit["provider_adjustments"]]
    assert warned == [
        ("L6", "L6 (Interest Owed) is expected negative (added to the payment), but 100 is taken from this payment: "
               "ask the payer which is right before posting it"),
        ("WU", "WU (Unspecified Recovery) is expected positive (taken from the payment), but -20 is added to this "
               "payment: ask the payer which is right before posting it"),
        ("WO", None), ("L6", None)]
    assert plb_text(remit["provider_adjustments"][0]).endswith(" Warning: " + warned[0][1] + ".")


def test_a_recovery_wo_is_matched_to_the_claim_its_reference_names(tmp_path):
    """A WO's reference (PLB03-2) names the claim whose overpayment it recovers, by the payer's claim number (CLP07)
    or the one sent (CLP01), alone or among other words; it was shown as text only. Now each WO says where that
    claim is (a remittance read, or --claims) or that none given is it; a WO without a reference is warned."""
    plb = ("PLB*1234567893*20261231*WO:ICN-CLM-2026-0104*100*WO:ACCT9 20260302 CLM-2026-0101*10"
           "*WO:ICN-OLD*5*WO*1")
    doc = _denials(tmp_path, _remit(plb, "6604"))
    (remit,) = doc["meta"]["remittances"]
    assert remit["warnings"] == []
    got = [(a["reference"], a["recovers"], a["warning"]) for a in remit["provider_adjustments"]]
    assert got == [
        ("ICN-CLM-2026-0104", "claim CLM-2026-0104 (payer claim number ICN-CLM-2026-0104) of remittance 1, status 1, "
                              "paid 5200", None),
        ("ACCT9 20260302 CLM-2026-0101", "claim CLM-2026-0101 (payer claim number ICN-CLM-2026-0101) of remittance "
                                         "1, status 1, paid 720", None),
        ("ICN-OLD", None, None),
        (None, None, "WO without a reference (PLB03-2): the claim whose overpayment it recovers cannot be told; ask "
                     "the payer")]
    assert plb_text(remit["provider_adjustments"][0]).endswith(" It recovers " + got[0][1] + ".")
    assert "names no claim of these remittances or of --claims" in plb_text(remit["provider_adjustments"][2])
    # A claim of --claims that no remittance read answers: found there.
    charts = ROOT / "examples" / "denials" / "charts"
    doc = _denials(tmp_path, _remit("PLB*1234567893*20261231*WO:CLM-2026-0102*5", "6715").replace(
        "CLP*CLM-2026-0102*", "CLP*CLM-2026-0199*"), "--claims", str(charts))
    (wo,) = doc["meta"]["remittances"][0]["provider_adjustments"]
    assert wo["recovers"] == "claim CLM-2026-0102 of --claims (0102-no-authorization.json)" and wo["warning"] is None


def test_a_revenue_code_line_in_days_without_a_hcpcs_code_is_not_told():
    """DA is the basis of an accommodation's days, billed by revenue code alone (SV202 without a HCPCS code): such a
    line is not a HCPCS line's units written as days, so CLAIM-UNITS-DAYS says nothing of it (a hand mutation that
    told every DA line survived the test above)."""
    text = _837("hospital-gamunex.json")
    days = "LX*4~\nSV2*0762**500*DA*1~\nDTP*472*D8*20260302~\n"  # an observation room's day: a revenue code alone
    changed = text.replace("SE*37*0001~", days + "SE*40*0001~").replace("CLM*CLM-2026-0003*8600*",
                                                                         "CLM*CLM-2026-0003*9100*")
    assert changed.count("SV2*") == 4
    [item] = scrub_text(changed)
    assert item.result is not None, item.error
    assert [ln.unit_basis for ln in item.result.claim.lines] == [None, None, None, "DA"]
    assert "CLAIM-UNITS-DAYS" not in edits(item)
    [item] = scrub_text(changed.replace("SV2*0636*HC:J1561:JZ*8000*UN*80~", "SV2*0636*HC:J1561:JZ*8000*DA*80~"))
    assert [f.line for f in item.result.findings if f.edit == "CLAIM-UNITS-DAYS"] == [1]


def test_only_a_recovery_wo_is_matched_to_a_claim(tmp_path):
    """An interest payment (L6) whose reference happens to be a claim's number recovers nothing, and one without a
    reference is not "a WO without a reference": only a WO is matched (a hand mutation that matched every PLB
    survived the test above)."""
    doc = _denials(tmp_path, _remit("PLB*1234567893*20261231*L6:ICN-CLM-2026-0104*-5*L6*-1", "6726"))
    (l6, bare) = doc["meta"]["remittances"][0]["provider_adjustments"]
    assert l6["reference"] == "ICN-CLM-2026-0104" and not l6.get("recovers"), l6
    assert " It recovers " not in plb_text(l6)
    assert bare["reference"] is None and bare["warning"] is None, bare
