"""Money the suite did not hold until an outside rule-break audit (docs/testing.md, twenty-third session): each
rule broken by hand passed the suite. Prices: CMS ASP payment limits of January 2026 (bundled,
src/igclaim/refdata/cms/snapshot/asp-pricing-2026q1.csv;
https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files): J1561 49.076, J1459 50.281. Fee schedules:
synthetic `code,amount` files written by the tests."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from igclaim import engine, parse_encounter
from igclaim.model import Encounter
from igclaim.refdata import store
from igclaim.refdata.importers import Options
from tests.helpers import drug, encounter, example, example_input

ROOT = Path(__file__).resolve().parents[1]


def test_no_line_priced_leaves_priced_total_null_never_zero(home):
    """docs/data.md (Payment): "No price → null"; model.Claim.priced_total sums the lines *that have* a published
    price: with none (2026-04-14, after the bundled quarter, nothing imported) it is null, not a made-up $0.00,
    and every line is named unpriced."""
    r = engine.build(example("e02-gamunex-30g-5h", "2026-04-14"))
    assert all(ln.expected_payment is None for ln in r.claim.lines)
    assert r.claim.priced_total is None
    assert r.claim.unpriced_lines == ["line 1: J1561", "line 2: 96365", "line 3: 96366"]
    assert json.loads(r.model_dump_json())["claim"]["priced_total"] is None


def _schedule(tmp_path: Path, name: str, text: str, effective: date, ends: date | None = None) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    store.import_file("fees", path, Options(effective=effective, ends=ends, schedule=name))


def test_a_line_priced_zero_is_priced_not_unpriced(home, tmp_path):
    """A published amount of 0.00 (a contract or OPPS schedule that pays an add-on nothing separately) is a price:
    the line is not named in unpriced_lines and the claim has a total (docs/data.md: a line with no published
    price is null, "never zero"; the converse holds too: zero is not "no price")."""
    _schedule(tmp_path, "opps-test", "code,amount\n96365,210.69\n96366,0.00\n", date(2026, 1, 1))
    r = engine.build(example("e07-hospital-outpatient"))
    paid = {ln.code: ln.expected_payment for ln in r.claim.lines}
    assert paid == {"J1561": Decimal("3926.08"), "96365": Decimal("210.69"), "96366": Decimal("0.00")}  # 80 × 49.076
    assert r.claim.unpriced_lines == []
    assert r.claim.total_expected_payment == Decimal("4136.77")


def test_a_findings_dollars_are_priced_on_its_lines_own_date(home):
    """A finding on a line of another date than the claim's is priced at the payment limit of the line's own date
    (coding/payment.py price_findings; the ASP quarter of the date of service,
    https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files). An 837P of 2026-03-31 whose second line,
    dated 2026-04-14, lacks JZ (Medicare returns it unprocessable from 2023-10-01:
    https://www.cms.gov/medicare/payment/part-b-drugs/discarded-drugs): its 60 units are at stake at the imported
    April limit (synthetic 50.000), not at January's 49.076."""
    from tests.test_home_pump_kx import _alone

    store.import_file("asp", ROOT / "tests" / "fixtures" / "cms" / "asp-pricing-2026q2-synthetic.csv")
    r = _alone([{"code": "J1561", "modifiers": ["JZ"], "units": 60, "service_date": "2026-03-31"},
                {"code": "J1561", "modifiers": [], "units": 60, "service_date": "2026-04-14"}],
               dos="2026-03-31", setting="office")
    assert [ln.expected_payment for ln in r.claim.lines] == [Decimal("2944.56"), Decimal("3000.00")]
    (f,) = [f for f in r.findings if f.edit == "DRUG-JZ-MISSING"]
    assert (f.line, f.impact_units, f.impact_usd) == (2, -60, Decimal("-3000.00"))


def test_findings_csv_keeps_the_sign_of_the_dollars_at_stake(tmp_path):
    """docs/batch.md: findings.csv carries `impact_units, impact_usd` "as the edit signs them" (Finding: negative =
    billed beyond the chart, positive = left unbilled). 300 units billed for 300 mL (30 g of Gamunex-C = 60 units,
    e09): -240 units and -240 × 49.076 = -11778.24, both negative in the CSV row."""
    import csv

    from igclaim.batch import run_batch

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(example_input("e09-scrub-units-by-ml")) + "\n")
    run_batch(src, tmp_path / "out", workers=1)
    rows = list(csv.DictReader((tmp_path / "out" / "findings.csv").open(encoding="utf-8")))
    (row,) = [r for r in rows if r["edit"] == "DRUG-UNITS-ML"]
    assert (row["impact_units"], row["impact_usd"]) == ("-240", "-11778.24")


def test_compare_sites_keeps_home_supplies_out_of_the_drug_subtotal(home, tmp_path):
    """`igclaim compare-sites` splits each site's expected payment into drug, administration and supplies
    (outputs/compare_cli.py `_part`: Q2052 is the home IVIG "services, supplies and accessories" code, not a drug;
    article A52509, https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId=52509). With Q2052
    priced once per date (380.00, a synthetic DME schedule) the home row's drug subtotal is the J-code alone
    (60 × 49.076 = 2944.56) and the supplies subtotal is Q2052's."""
    from igclaim.outputs.compare_cli import _row, compare

    _schedule(tmp_path, "dme-test", "code,amount\nQ2052,380.00\n", date(2026, 1, 1), date(2026, 3, 31))
    enc = example("e02-gamunex-30g-5h")
    row = _row("home", compare(enc)["home"], enc.date_of_service)
    assert row["lines"] == ["J1561-JZ x60", "Q2052 x20"]
    assert (row["drug"], row["supplies"], row["total"]) == (Decimal("2944.56"), Decimal("380.00"), Decimal("3324.56"))


def test_a_chart_drugs_finding_is_priced_on_its_written_lines_own_date(home):
    """The same rule through the chart's drug (a finding whose cause names drugs[0] is priced by that drug's code,
    on its line's date; coding/payment.py price_findings): e09 (300 units written for 300 mL of Gamunex-C, 60
    units) on 2026-03-31, its J1561 line written for 2026-04-01. The 240 units billed beyond the chart are at stake at
    the April limit of the imported file (synthetic 50.000: -12000.00), not at January's 49.076 (-11778.24)."""
    store.import_file("asp", ROOT / "tests" / "fixtures" / "cms" / "asp-pricing-2026q2-synthetic.csv")
    data = example_input("e09-scrub-units-by-ml", "2026-03-31")
    data["claim"]["lines"][0]["service_date"] = "2026-04-01"
    r = engine.scrub(Encounter.model_validate(data))
    (f,) = [f for f in r.findings if f.edit == "DRUG-UNITS-ML"]
    assert (f.line, f.impact_units, f.impact_usd) == (1, -240, Decimal("-12000.00"))


def test_a_findings_dollars_are_the_change_in_its_lines_rounded_payment(home):
    """A line is paid in cents (its units × the payment limit, rounded: coding/payment.py line_payment), so the
    money a units finding puts at stake is what the line's rounded payment changes by, not the rounded product of
    the units and the limit. 2 g of Gamunex-C is 4 units of J1561 (500 mg); written as 3: the payer pays
    3 × 49.076 = 147.228 → $147.23 instead of 4 × 49.076 = 196.304 → $196.30, $49.07 less (not 1 × 49.076 →
    $49.08)."""
    chart = example_input("e02-gamunex-30g-5h")
    chart["drugs"][0]["dose"] = {"grams": 2}
    chart["drugs"][0]["containers"] = [{"grams": 1, "count": 2}]
    chart["administrations"][0]["stop"] = "2026-03-02T10:00"
    chart["claim"] = {"lines": [{"line": 1, "code": "J1561", "units": 3, "modifiers": ["JZ"]},
                                {"line": 2, "code": "96365", "units": 1}]}
    r = engine.scrub(Encounter.model_validate(chart))
    assert [ln.expected_payment for ln in r.claim.lines if ln.code == "J1561"] == [Decimal("196.30")]
    (f,) = [f for f in r.findings if f.edit == "DRUG-UNITS"]
    assert (f.line, f.impact_units, f.impact_usd) == (1, 1, Decimal("196.30") - Decimal("147.23"))


def _off_campus(department: str, day: str | None = None) -> Encounter:
    chart = example_input("e07-hospital-outpatient", day)
    chart["outpatient_department"] = department
    return Encounter.model_validate(chart)


def test_off_campus_lines_paid_at_the_pfs_equivalent_rate_are_not_priced_at_the_opps_amount(home, tmp_path):
    """Original Medicare pays a non-excepted off-campus department's (PN) lines, separately payable drugs aside, at
    the Physician Fee Schedule-equivalent rate (Bipartisan Budget Act of 2015 §603; IOM 100-04 ch. 4 §20.6.12), and
    from 2026-01-01 an excepted department's (PO) drug administration too (CY 2026 OPPS final rule, 90 FR 53448):
    a share of the OPPS amount igclaim does not hold. Such a line stays unpriced (named in unpriced_lines, the
    claim without a total) rather than carry the full OPPS amount; the drug keeps its ASP payment limit
    (80 × 49.076), and an on-campus department, or PO before 2026, keeps the OPPS amount (synthetic schedule)."""
    _schedule(tmp_path, "opps-test", "code,amount\n96365,210.69\n96366,45.00\n", date(2025, 1, 1),
              date(2026, 12, 31))
    for department in ("off_campus_nonexcepted", "off_campus_excepted"):
        r = engine.build(_off_campus(department))
        assert [(ln.code, ln.expected_payment) for ln in r.claim.lines] == [
            ("J1561", Decimal("3926.08")), ("96365", None), ("96366", None)], department
        assert r.claim.unpriced_lines == ["line 2: 96365", "line 3: 96366"]
        assert r.claim.total_expected_payment is None and r.claim.priced_total == Decimal("3926.08")
    on_campus = engine.build(_off_campus("on_campus"))
    assert [ln.expected_payment for ln in on_campus.claim.lines][1:] == [Decimal("210.69"), Decimal("135.00")]
    po_2025 = engine.build(_off_campus("off_campus_excepted", "2025-11-03"))
    assert [ln.expected_payment for ln in po_2025.claim.lines][1:] == [Decimal("210.69"), Decimal("135.00")]
    pn_2025 = engine.build(_off_campus("off_campus_nonexcepted", "2025-11-03"))
    assert [ln.expected_payment for ln in pn_2025.claim.lines][1:] == [None, None]


def test_a_finding_on_a_pfs_equivalent_line_carries_no_opps_dollars(home, tmp_path):
    """The units of a finding on such a line (96366 billed × 4 for 3 hours' units: ADMIN-ADDON-UNITS) are at stake,
    their dollars unknown (null), not priced at the full OPPS amount."""
    _schedule(tmp_path, "opps-test", "code,amount\n96365,210.69\n96366,45.00\n", date(2025, 1, 1),
              date(2026, 12, 31))
    chart = example_input("e07-hospital-outpatient")
    chart["outpatient_department"] = "off_campus_nonexcepted"
    chart["claim"] = {"form": "UB-04", "type_of_bill": "0131", "lines": [
        {"line": 1, "code": "J1561", "units": 80, "modifiers": ["JZ", "PN"], "revenue_code": "0636"},
        {"line": 2, "code": "96365", "units": 1, "modifiers": ["PN"], "revenue_code": "0260"},
        {"line": 3, "code": "96366", "units": 4, "modifiers": ["PN"], "revenue_code": "0260"}]}
    r = engine.scrub(Encounter.model_validate(chart))
    (f,) = [f for f in r.findings if f.edit == "ADMIN-ADDON-UNITS"]
    assert (f.line, f.impact_units, f.impact_usd) == (3, -1, None)


def test_a_written_claim_without_its_form_is_priced_as_the_encounters_form(home, tmp_path):
    """A scrubbed chart's written claim may leave out its form (the chart's setting says it: a hospital outpatient
    encounter is a UB-04). A finding on it is priced as the coded claim's lines are, at the hospital's (facility)
    amount, not at the office (non-facility) amount of the national PFS: 96366 written × 2 for 3 units at the
    synthetic OPPS 45.00 is $45.00 left unbilled, as the expected claim's line says (3 × 45.00), not the PFS's
    $19.41."""
    store.import_file("fees", ROOT / "tests" / "fixtures" / "cms" / "PPRRVU2025_Oct-real-excerpt.csv")
    _schedule(tmp_path, "opps-test", "code,amount\n96365,210.69\n96366,45.00\n", date(2025, 1, 1),
              date(2026, 12, 31))
    chart = example_input("e07-hospital-outpatient", "2025-11-03")
    chart["claim"] = {"lines": [
        {"line": 1, "code": "J1561", "units": 80, "modifiers": ["JZ"], "revenue_code": "0636"},
        {"line": 2, "code": "96365", "units": 1, "revenue_code": "0260"},
        {"line": 3, "code": "96366", "units": 2, "revenue_code": "0260"}]}
    r = engine.scrub(Encounter.model_validate(chart))
    assert r.claim.form == "UB-04" and [ln.expected_payment for ln in r.claim.lines][1:] == [
        Decimal("210.69"), Decimal("135.00")]
    (f,) = [f for f in r.findings if f.edit == "ADMIN-ADDON-UNITS"]
    assert (f.line, f.impact_units, f.impact_usd) == (3, 1, Decimal("45.00"))


def _written_pn(payer: dict | None = None, department: str = "off_campus_nonexcepted", addon_units: int | None = 4):
    chart = example_input("e07-hospital-outpatient")
    chart["outpatient_department"] = department
    if payer is not None:
        chart["payer"] = payer
    lines = [{"line": 1, "code": "J1561", "units": 80, "modifiers": ["JZ", "PN"], "revenue_code": "0636"},
             {"line": 2, "code": "96365", "units": 1, "modifiers": ["PN"], "revenue_code": "0260"}]
    if addon_units is not None:
        lines.append({"line": 3, "code": "96366", "units": addon_units, "modifiers": ["PN"], "revenue_code": "0260"})
    if department == "on_campus":
        lines = [{**ln, "modifiers": [m for m in ln["modifiers"] if m != "PN"]} for ln in lines]
    chart["claim"] = {"form": "UB-04", "type_of_bill": "0131", "lines": lines}
    return engine.scrub(Encounter.model_validate(chart))


def test_the_pfs_equivalent_rate_is_original_medicares_and_reaches_a_missing_line(home, tmp_path):
    """The PFS-equivalent rate is Original Medicare's: another payer's finding on a PN line keeps the schedule's
    price (-$45.00). A missing 96366 on a PN claim would carry the claim's PN: its dollars are unknown too, where an
    on-campus claim's missing 96366 is priced (3 × 45.00)."""
    _schedule(tmp_path, "opps-test", "code,amount\n96365,210.69\n96366,45.00\n", date(2025, 1, 1),
              date(2026, 12, 31))
    commercial = _written_pn({"type": "commercial", "name": "Commercial plan"})
    (f,) = [f for f in commercial.findings if f.edit == "ADMIN-ADDON-UNITS"]
    assert (f.line, f.impact_units, f.impact_usd) == (3, -1, Decimal("-45.00"))
    missing = [f for f in _written_pn(addon_units=None).findings if f.impact_units and f.line is None]
    assert missing and all(f.impact_usd is None for f in missing), missing
    on_campus = _written_pn(department="on_campus", addon_units=None)
    priced = [f for f in on_campus.findings if f.impact_units and f.line is None and "96366" in f.message]
    assert priced and priced[0].impact_usd == Decimal("135.00"), priced


def test_the_pfs_equivalent_rate_is_read_on_the_lines_own_date(home, tmp_path):
    """PO's drug administration is paid at the PFS-equivalent rate from 2026-01-01 (CY 2026 OPPS final rule,
    90 FR 53448): on a claim of 2025-12-31 whose 96366 line is dated 2026-01-01, a finding on that line carries no
    OPPS dollars (its own date decides: coding/payment.py `_pfs_equivalent`), where the same line dated 2025-12-31
    is priced at the synthetic schedule's 45.00."""
    _schedule(tmp_path, "opps-test", "code,amount\n96365,210.69\n96366,45.00\n", date(2025, 1, 1),
              date(2026, 12, 31))

    def addon_finding(line_date: str):
        chart = example_input("e07-hospital-outpatient", "2025-12-31")
        chart["outpatient_department"] = "off_campus_excepted"
        chart["claim"] = {"form": "UB-04", "type_of_bill": "0131", "lines": [
            {"line": 1, "code": "J1561", "units": 80, "modifiers": ["JZ", "PO"], "revenue_code": "0636"},
            {"line": 2, "code": "96365", "units": 1, "modifiers": ["PO"], "revenue_code": "0260"},
            {"line": 3, "code": "96366", "units": 4, "modifiers": ["PO"], "revenue_code": "0260",
             "service_date": line_date}]}
        r = engine.scrub(Encounter.model_validate(chart))
        (f,) = [f for f in r.findings if f.edit == "ADMIN-ADDON-UNITS"]
        return f.line, f.impact_units, f.impact_usd

    assert addon_finding("2025-12-31") == (3, -1, Decimal("-45.00"))
    assert addon_finding("2026-01-01") == (3, -1, None)


def test_the_pfs_equivalent_rate_is_read_from_the_findings_own_line(home, tmp_path):
    """A finding's line decides by its own modifiers whether it is paid at the PFS-equivalent rate: 96366 written
    × 4 on a claim whose other lines carry PN, its own line without PN, is priced at the schedule's 45.00 (-$45.00);
    and a finding on a PN line left unpriced does not stop the findings after it from being priced (the drug's 79
    units written for 80: +$49.08 at the ASP limit, 80 × 49.076 against 79 × 49.076)."""
    _schedule(tmp_path, "opps-test", "code,amount\n96365,210.69\n96366,45.00\n", date(2025, 1, 1),
              date(2026, 12, 31))

    def scrubbed(addon_modifiers: list[str], drug_units: int):
        chart = example_input("e07-hospital-outpatient")
        chart["outpatient_department"] = "off_campus_nonexcepted"
        chart["claim"] = {"form": "UB-04", "type_of_bill": "0131", "lines": [
            {"line": 1, "code": "J1561", "units": drug_units, "modifiers": ["JZ", "PN"], "revenue_code": "0636"},
            {"line": 2, "code": "96365", "units": 1, "modifiers": ["PN"], "revenue_code": "0260"},
            {"line": 3, "code": "96366", "units": 4, "modifiers": addon_modifiers, "revenue_code": "0260"}]}
        r = engine.scrub(Encounter.model_validate(chart))
        return {f.edit: (f.line, f.impact_units, f.impact_usd) for f in r.findings if f.impact_units}

    assert scrubbed([], 80)["ADMIN-ADDON-UNITS"] == (3, -1, Decimal("-45.00"))
    both = scrubbed(["PN"], 79)
    assert both["ADMIN-ADDON-UNITS"] == (3, -1, None), both
    assert [v for k, v in both.items() if k != "ADMIN-ADDON-UNITS"] == [(1, 1, Decimal("49.08"))], both


def test_a_drug_line_left_off_the_claim_puts_the_drugs_dollars_at_stake(home, tmp_path):
    """CLAIM-LINE-MISSING for a chart drug with no line on the written claim carried its units (60 of J1561) and no
    dollars: the largest sum a claim can leave unbilled was shown as unknown. It is priced by the drug's code at the
    ASP payment limit (60 × 49.076 = $2,944.56), as a units finding on its line is; and after an unpriced finding on
    a PN line (ADMIN-ADDON-UNITS, PFS-equivalent) the drug's own is still priced (80 × 49.076)."""
    chart = example_input("e02-gamunex-30g-5h")
    chart["claim"] = {"lines": [{"line": 1, "code": "96365", "units": 1}, {"line": 2, "code": "96366", "units": 4}]}
    r = engine.scrub(Encounter.model_validate(chart))
    (f,) = [f for f in r.findings if f.edit == "CLAIM-LINE-MISSING"]
    assert (f.line, f.impact_units, f.impact_usd) == (None, 60, Decimal("2944.56"))
    _schedule(tmp_path, "opps-test", "code,amount\n96365,210.69\n96366,45.00\n", date(2025, 1, 1),
              date(2026, 12, 31))
    chart = example_input("e07-hospital-outpatient")
    chart["outpatient_department"] = "off_campus_nonexcepted"
    chart["claim"] = {"form": "UB-04", "type_of_bill": "0131", "lines": [
        {"line": 1, "code": "96365", "units": 1, "modifiers": ["PN"], "revenue_code": "0260"},
        {"line": 2, "code": "96366", "units": 4, "modifiers": ["PN"], "revenue_code": "0260"}]}
    r = engine.scrub(Encounter.model_validate(chart))
    found = [(f.edit, f.line, f.impact_units, f.impact_usd) for f in r.findings if f.impact_units]
    assert found == [("ADMIN-ADDON-UNITS", 2, -1, None), ("CLAIM-LINE-MISSING", None, 80, Decimal("3926.08"))]


def test_a_lines_expected_payment_reads_the_pfs_equivalent_rate_on_its_own_date(home, tmp_path):
    """`line_payment` (coding/payment.py): a PO line is paid at the PFS-equivalent rate from 2026-01-01 (CY 2026 OPPS
    final rule, 90 FR 53448), by the line's own date, not the claim's: on a claim of 2025-12-31 (a written 837I
    scrubbed without its chart may span the new year), the PO line dated 2025-12-31 keeps the synthetic OPPS
    schedule's 45.00 and the one dated 2026-01-01 has no published price (the thirty-second session's `make mutate`:
    the line's date replaced by the claim's survived)."""
    from igclaim.coding.payment import price_claim
    from igclaim.model import Claim, ClaimLine

    _schedule(tmp_path, "opps-test", "code,amount\n96365,210.69\n96366,45.00\n", date(2025, 1, 1),
              date(2026, 12, 31))
    chart = example_input("e07-hospital-outpatient", "2025-12-31")
    chart["outpatient_department"] = "off_campus_excepted"
    enc = Encounter.model_validate(chart)
    ref = engine.reference()
    rules = ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))
    claim = Claim(form="UB-04", type_of_bill="0131", lines=[
        ClaimLine(line=n, code="96366", units=1, modifiers=["PO"], revenue_code="0260", service_date=day)
        for n, day in ((1, date(2025, 12, 31)), (2, date(2026, 1, 1)))])
    price_claim(claim, rules)
    assert [ln.expected_payment for ln in claim.lines] == [Decimal("45.00"), None]


# --- NDC findings that deny the drug line ----------------------------------------------------------------------
# A payer whose profile requires the NDC (refdata/payers/commercial.toml `ndc_required`, and Medicaid, which extends
# it) does not pay a drug line whose NDC is missing, malformed or not one the CMS ASP NDC-HCPCS crosswalk assigns to
# the billed code (https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files): that line's units are at
# stake. Gamunex-C 30 g = 60 units of J1561; 60 × 49.076 (2026Q1 payment limit) = 2944.56, as its line is paid.

_MEDICAID = {"type": "medicaid", "prior_authorization": {"number": "PA-1", "start": "2019-01-01",
                                                         "end": "2027-12-31", "units": 100000}}
_PRIVIGEN_NDC = "44206-0436-05"  # J1459 in the bundled crosswalk, not J1561


def _ndc_scrub(payer: dict, drug_lines: list[dict], dose_grams: int = 30) -> list[tuple]:
    """The NDC findings of a Gamunex-C chart (its NDC 13533-0800-12, J1561) scrubbed with `drug_lines` written."""
    chart = encounter(payer=payer, drugs=[drug(ndc="13533-0800-12", dose={"grams": dose_grams})])
    lines = [{"line": i + 1, **ln} for i, ln in enumerate(drug_lines)]
    n = len(lines)
    lines += [{"line": n + 1, "code": "96365", "units": 1}, {"line": n + 2, "code": "96366", "units": 4}]
    chart["claim"] = {"form": "CMS-1500", "place_of_service": "11", "diagnoses": ["D83.9"], "lines": lines}
    r = engine.scrub(Encounter.model_validate(chart))
    return [(f.edit, f.line, f.impact_units, f.impact_usd) for f in r.findings if f.edit.startswith("DRUG-NDC")]


def _ndc_alone(payer: dict, line: dict) -> list[tuple]:
    """The NDC findings of an 837 line scrubbed without its chart (an office claim)."""
    from tests.test_home_pump_kx import _alone

    r = _alone([line], setting="office", payer=payer)
    return [(f.edit, f.line, f.impact_units, f.impact_usd) for f in r.findings if f.edit.startswith("DRUG-NDC")]


def _j1561(ndc: str | None, units: int = 60, modifiers: tuple[str, ...] = ("JZ",)) -> dict:
    line: dict = {"code": "J1561", "modifiers": list(modifiers), "units": units}
    if ndc is not None:
        line.update(ndc=ndc, ndc_quantity=units * 5, ndc_unit="ML")
    return line


def test_an_ndc_that_does_not_crosswalk_to_the_code_puts_the_line_at_stake_where_the_payer_requires_it(home):
    """DRUG-NDC-MISMATCH: 60 units of J1561 billed with Privigen's NDC: -60 units, -$2,944.56 for Medicaid and a
    commercial plan, on scrub, on an 837 alone and on build (the chart's NDC is Privigen's); told with nothing at stake
    for Medicare Part B, which does not require the NDC."""
    at_stake = [("DRUG-NDC-MISMATCH", 1, -60, Decimal("-2944.56"))]
    for payer in (_MEDICAID, {"type": "commercial"}):
        assert _ndc_scrub(payer, [_j1561(_PRIVIGEN_NDC)]) == at_stake, payer
        assert _ndc_alone(payer, _j1561(_PRIVIGEN_NDC)) == at_stake, payer
        built = engine.build(parse_encounter(encounter(payer=payer, drugs=[drug(ndc=_PRIVIGEN_NDC)])))
        assert [(f.edit, f.line, f.impact_units, f.impact_usd) for f in built.findings
                if f.edit.startswith("DRUG-NDC")] == at_stake, payer
    told = [("DRUG-NDC-MISMATCH", 1, None, None)]
    assert _ndc_scrub({"type": "medicare"}, [_j1561(_PRIVIGEN_NDC)]) == told
    assert _ndc_alone({"type": "medicare"}, _j1561(_PRIVIGEN_NDC)) == told


def test_a_jw_line_with_an_ndc_of_another_code_puts_its_own_units_at_stake(home):
    """25 g of Gamunex-C from 3 × 10 g: 50 units given (line 1, the chart's NDC) and 10 discarded (line 2, JW, billed
    with Privigen's NDC): the JW line alone is denied, -10 × 49.076 = -$490.76."""
    found = _ndc_scrub(_MEDICAID, [_j1561("13533-0800-12", 50, ()), _j1561(_PRIVIGEN_NDC, 10, ("JW",))], 25)
    assert found == [("DRUG-NDC-MISMATCH", 2, -10, Decimal("-490.76"))]


def test_a_drug_line_without_the_ndc_the_payer_requires_is_at_stake(home):
    """DRUG-NDC-MISSING: the written J1561 × 60 without an NDC, on scrub and on an 837 alone: -60 units,
    -$2,944.56. On build from a chart without the NDC, the claim igclaim writes goes out without it and is denied
    the same way: the drug's 60 units (no line: told of the chart's drug, as DX-NOT-COVERED is on build). Not told
    for Medicare Part B."""
    at_stake = [("DRUG-NDC-MISSING", 1, -60, Decimal("-2944.56"))]
    assert _ndc_scrub(_MEDICAID, [_j1561(None)]) == at_stake
    assert _ndc_alone(_MEDICAID, _j1561(None)) == at_stake
    built = engine.build(parse_encounter(encounter(payer=_MEDICAID)))
    assert [(f.edit, f.line, f.impact_units, f.impact_usd) for f in built.findings
            if f.edit.startswith("DRUG-NDC")] == [("DRUG-NDC-MISSING", None, -60, Decimal("-2944.56"))]
    assert _ndc_scrub({"type": "medicare"}, [_j1561(None)]) == []


def test_a_malformed_ndc_puts_the_line_at_stake_where_the_payer_requires_the_ndc(home):
    """DRUG-NDC-FORMAT: NDC '1234' on J1561 × 60: -60 units, -$2,944.56 for Medicaid (scrub and 837 alone); told with
    nothing at stake for Medicare Part B."""
    at_stake = [("DRUG-NDC-FORMAT", 1, -60, Decimal("-2944.56"))]
    assert _ndc_scrub(_MEDICAID, [_j1561("1234")]) == at_stake
    assert _ndc_alone(_MEDICAID, _j1561("1234")) == at_stake
    told = [("DRUG-NDC-FORMAT", 1, None, None)]
    assert _ndc_scrub({"type": "medicare"}, [_j1561("1234")]) == told
    assert _ndc_alone({"type": "medicare"}, _j1561("1234")) == told


def test_an_ndc_finding_on_a_nos_line_stays_beside_drug_nos_code(home):
    """J1599 (NOS) × 60 for Gamunex-C with Privigen's NDC (J1459): DRUG-NOS-CODE puts the line at stake at the
    product's code (60 × 49.076), and DRUG-NDC-MISMATCH stays told (the NDC is not the product's, so only the code
    is not wrong), its units priced by the line's own code, which has no payment limit in 2026Q1 (null, not $0.00).
    The batch headline counts the line once, by its largest finding."""
    chart = encounter(payer=_MEDICAID, drugs=[drug(ndc="13533-0800-12")])
    chart["claim"] = {"form": "CMS-1500", "place_of_service": "11", "diagnoses": ["D83.9"], "lines": [
        {"line": 1, **_j1561(_PRIVIGEN_NDC), "code": "J1599"}, {"line": 2, "code": "96365", "units": 1},
        {"line": 3, "code": "96366", "units": 4}]}
    r = engine.scrub(Encounter.model_validate(chart))
    assert [(f.edit, f.line, f.impact_units, f.impact_usd) for f in r.findings if f.impact_units] == [
        ("DRUG-NOS-CODE", 1, -60, Decimal("-2944.56")), ("DRUG-NDC-MISMATCH", 1, -60, None)]


def test_an_ndc_finding_on_a_line_written_in_lower_case_is_priced_by_the_drugs_code(home):
    """A written code is a person's text ("j1561"): DRUG-NDC-MISMATCH names the chart drug the line bills, so its 60
    units are priced at J1561's limit (-$2,944.56), not left unpriced as an unknown code "j1561" would be."""
    assert _ndc_scrub(_MEDICAID, [{**_j1561(_PRIVIGEN_NDC), "code": "j1561"}]) == [
        ("DRUG-NDC-MISMATCH", 1, -60, Decimal("-2944.56"))]


def test_a_malformed_ndc_on_a_line_that_bills_no_drug_puts_nothing_at_stake(home):
    """DRUG-NDC-FORMAT on 96365 carrying an NDC '1234': the payer's NDC rule is about drug lines, so no units of the
    administration line are put at stake by it."""
    chart = encounter(payer=_MEDICAID, drugs=[drug(ndc="13533-0800-12")])
    chart["claim"] = {"form": "CMS-1500", "place_of_service": "11", "diagnoses": ["D83.9"], "lines": [
        {"line": 1, **_j1561("13533-0800-12")},
        {"line": 2, "code": "96365", "units": 1, "ndc": "1234", "ndc_quantity": 1, "ndc_unit": "UN"},
        {"line": 3, "code": "96366", "units": 4}]}
    r = engine.scrub(Encounter.model_validate(chart))
    assert [(f.edit, f.line, f.impact_units, f.impact_usd) for f in r.findings] == [("DRUG-NDC-FORMAT", 2, None, None)]


def test_on_build_only_the_lines_without_the_ndc_are_at_stake(home):
    """10 g of Gamunex-C from two 1 g vials of NDC 13533-0800-12 and a 10 g container whose NDC the chart does not
    give: the lines igclaim writes are J1561 × 4 with the NDC, × 16 and the JW × 4 without; DRUG-NDC-MISSING puts the
    20 units without it at stake (20 × 49.076 = $981.52), not the 24 of the drug."""
    d = drug(dose={"grams": 10})
    d.pop("ndc", None)
    d["containers"] = [{"ndc": "13533-0800-12", "count": 2}, {"grams": 10, "count": 1}]
    built = engine.build(parse_encounter(encounter(payer=_MEDICAID, drugs=[d])))
    assert [(ln.code, ln.units, ln.ndc) for ln in built.claim.lines][:3] == [
        ("J1561", 4, "13533080012"), ("J1561", 16, None), ("J1561", 4, None)]
    assert [(f.edit, f.line, f.impact_units, f.impact_usd) for f in built.findings if f.edit == "DRUG-NDC-MISSING"] == [
        ("DRUG-NDC-MISSING", None, -20, Decimal("-981.52"))]


def test_an_837_alone_whose_diagnoses_are_not_covered_puts_its_immune_globulin_lines_at_stake(home):
    """Scrubbed without its chart, a Medicare office 837 for J1561 × 50 and its JW × 10 whose only diagnosis
    (G43.909, migraine) no coverage policy lists: DX-NOT-COVERED (a warning, as the default list's) puts the 60
    units of J1561 at stake, -$2,944.56 (60 × 49.076, CMS ASP January 2026), as the chart's finding does; it carried
    no units before."""
    from igclaim.model import Claim, Payer
    from igclaim.readers.x12 import WrittenClaim

    lines = [{"code": "J1561", "units": 50}, {"code": "J1561", "units": 10, "modifiers": ["JW"]},
             {"code": "96365", "units": 1}]
    written = Claim.model_validate({"form": "CMS-1500", "place_of_service": "11", "diagnoses": ["G43.909"],
                                    "lines": [{"line": i + 1, **ln} for i, ln in enumerate(lines)]})
    wc = WrittenClaim(claim_id="C1", transaction="837P", guide="005010X222A1", position=1,
                      date_of_service="2026-03-02", setting="office",
                      payer=Payer.model_validate({"type": "medicare", "name": "Medicare"}), claim=written,
                      total_charge=Decimal(0), line_charges=[Decimal(0)] * len(lines))
    r = engine.scrub_without_chart(wc)
    assert [(f.edit, f.severity, f.line, f.impact_units, f.impact_usd) for f in r.findings
            if f.edit == "DX-NOT-COVERED"] == [("DX-NOT-COVERED", "warning", 1, -60, Decimal("-2944.56"))]
