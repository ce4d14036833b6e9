"""Expected payment by date of service: the ASP payment limit × units (JW included), fee schedules for the
administration lines, totals, impact_usd — and null, never zero, where no price is published."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from igclaim import engine
from igclaim.refdata import store
from igclaim.refdata.importers import Options
from tests.helpers import example

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "cms"


def lines(result) -> dict[tuple[str, bool], object]:
    return {(ln.code, "JW" in ln.modifiers): ln for ln in result.claim.lines}


def test_bundled_q1_2026_limit_prices_the_drug(home):
    r = engine.build(example("e02-gamunex-30g-5h"))
    drug = lines(r)[("J1561", False)]
    assert drug.units == 60 and drug.expected_payment == Decimal("2944.56")  # 60 × 49.076 (CMS Jan 2026 file)
    assert lines(r)[("96365", False)].expected_payment is None  # no fee schedule imported: unknown, not 0
    assert r.claim.total_expected_payment is None  # not every line is priced
    assert any("asp-pricing-2026q1.csv" in s for s in r.reference.sources)


# Medicare Part B payment limits per billing unit, 2026-01-01 to 2026-03-31 (CMS ASP pricing file, January 2026:
# https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files). J1572 and J1599 have no row (contractor-priced).
JAN_2026_LIMITS = {"J1459": "50.281", "J1551": "14.823", "J1552": "123.841", "J1554": "490.457", "J1555": "17.262",
                   "J1556": "79.645", "J1557": "63.931", "J1558": "15.056", "J1559": "14.543", "J1561": "49.076",
                   "J1566": "78.892", "J1568": "47.385", "J1569": "47.288", "J1575": "18.325", "J1576": "71.223",
                   "J1572": None, "J1599": None}


@pytest.mark.parametrize("day", ["2026-01-01", "2026-03-31"])
def test_every_immune_globulin_is_priced_at_the_quarters_payment_limit(home, day):
    tables = store.tables()
    got = {code: tables.payment_limit(code, date.fromisoformat(day)) for code in JAN_2026_LIMITS}
    assert {code: str(p.amount) if p else None for code, p in got.items()} == JAN_2026_LIMITS


def test_jw_units_are_paid_too(home):
    r = engine.build(example("e03-privigen-35-of-40"))
    assert lines(r)[("J1459", False)].expected_payment == Decimal("3519.67")  # 70 × 50.281
    assert lines(r)[("J1459", True)].expected_payment == Decimal("502.81")  # JW 10 × 50.281


def test_no_price_outside_the_quarter(home):
    r = engine.build(example("e02-gamunex-30g-5h", "2026-04-14"))
    assert all(ln.expected_payment is None for ln in r.claim.lines)
    assert r.claim.total_expected_payment is None
    assert not any("asp-pricing-2026q1.csv" in s for s in r.reference.sources)


def test_imported_q2_price_is_used_for_q2_only(home):
    store.import_file("asp", FIX / "asp-pricing-2026q2-synthetic.csv")
    q2 = engine.build(example("e02-gamunex-30g-5h", "2026-04-14"))
    assert lines(q2)[("J1561", False)].expected_payment == Decimal("3000.00")  # 60 × 50.000 (synthetic)
    assert q2.reference.data_as_of == "2026-04-01"
    assert any("imported asp: asp-pricing-2026q2-synthetic.csv" in s for s in q2.reference.sources)
    q1 = engine.build(example("e02-gamunex-30g-5h"))
    assert lines(q1)[("J1561", False)].expected_payment == Decimal("2944.56")  # the Q2 price is not applied to Q1


def test_imported_file_wins_over_the_snapshot_for_its_dates(home, tmp_path):
    q1 = tmp_path / "asp-q1-corrected.csv"
    q1.write_bytes((FIX / "asp-pricing-2026q2-synthetic.csv").read_bytes())
    store.import_file("asp", q1, Options(effective=date(2026, 1, 1)))
    r = engine.build(example("e02-gamunex-30g-5h"))
    assert lines(r)[("J1561", False)].expected_payment == Decimal("3000.00")


def test_contract_fee_schedule_prices_administration_and_total(home):

    store.import_file("asp", FIX / "asp-pricing-2026q2-synthetic.csv")
    store.import_file("fees", FIX / "fees-contract-2026-synthetic.csv", Options(effective=date(2026, 1, 1),
                                                                                 schedule="acme"))
    r = engine.build(example("e02-gamunex-30g-5h", "2026-04-14"))
    got = lines(r)
    assert got[("96365", False)].expected_payment == Decimal("150.00")
    assert got[("96366", False)].expected_payment == Decimal("160.00")  # 4 × 40.00
    assert r.claim.total_expected_payment == Decimal("3310.00")


def test_national_pfs_prices_the_office_claim_not_the_hospital_claim(home):
    store.import_file("fees", FIX / "PPRRVU2025_Oct-real-excerpt.csv")
    office = engine.build(example("e02-gamunex-30g-5h", "2025-11-03"))
    assert lines(office)[("96365", False)].expected_payment == Decimal("57.90")  # 1.79 RVU × 32.3465
    assert lines(office)[("96366", False)].expected_payment == Decimal("77.64")  # 4 × 0.60 × 32.3465 = 4 × 19.41
    hospital = engine.build(example("e07-hospital-outpatient", "2025-11-03"))
    assert lines(hospital)[("96365", False)].expected_payment is None  # the PFS does not price a UB-04


def test_impact_usd_uses_the_written_line_code(home):
    # 300 units for 300 mL is one mistake: DRUG-UNITS-ML carries its units and dollars (DRUG-UNITS, superseded
    # on the same line, is not raised beside it).
    r = engine.scrub(example("e09-scrub-units-by-ml"))
    f = next(f for f in r.findings if f.edit == "DRUG-UNITS-ML")
    assert f.line == 1 and f.impact_units == -240
    assert f.impact_usd == Decimal("-11778.24")  # -240 × 49.076
    r2 = engine.scrub(example("e09-scrub-units-by-ml", "2026-04-14"))
    assert next(f for f in r2.findings if f.edit == "DRUG-UNITS-ML").impact_usd is None


def test_priced_total_sums_the_priced_lines_and_names_the_others(home):
    r = engine.build(example("e02-gamunex-30g-5h"))
    assert r.claim.total_expected_payment is None
    assert r.claim.priced_total == Decimal("2944.56")  # the drug line only
    assert r.claim.unpriced_lines == ["line 2: 96365", "line 3: 96366"]
    store.import_file("fees", FIX / "PPRRVU2025_Oct-real-excerpt.csv")
    office = engine.build(example("e02-gamunex-30g-5h", "2025-11-03"))
    priced = [ln.expected_payment for ln in office.claim.lines if ln.expected_payment is not None]
    assert office.claim.priced_total == sum(priced) and len(office.claim.unpriced_lines) == 3 - len(priced)


def test_avoidable_waste_carries_its_dollars(home):
    r = engine.build(example("e03-privigen-35-of-40"))
    (f,) = [f for f in r.findings if f.edit == "DRUG-WASTE-AVOIDABLE"]
    assert f.impact_units == -10 and f.impact_usd == Decimal("-502.81")  # 10 avoidable JW units × 50.281
    later = engine.build(example("e03-privigen-35-of-40", "2026-04-14"))  # no price for Q2: units, no dollars
    assert [f.impact_usd for f in later.findings if f.edit == "DRUG-WASTE-AVOIDABLE"] == [None]


@pytest.mark.parametrize("pfs_first", [True, False])
def test_office_and_hospital_each_priced_by_their_schedule_whatever_the_import_order(home, pfs_first):
    """With the national PFS and a hospital (OPPS) schedule both imported, the Medicare office claim is priced by
    the PFS and the UB-04 by the other, in either import order; compare-sites shows drug + administration."""
    from igclaim.outputs.compare_cli import _row, compare

    imports = [("fees", FIX / "PPRRVU2025_Oct-real-excerpt.csv", Options()),
               ("fees", FIX / "fees-contract-2026-synthetic.csv", Options(effective=date(2025, 1, 1),
                                                                          schedule="opps-test"))]
    for kind, path, opts in imports if pfs_first else imports[::-1]:
        store.import_file(kind, path, opts)
    enc = example("e02-gamunex-30g-5h", "2025-11-03")
    rows = {site: _row(site, r, enc.date_of_service) for site, r in compare(enc).items()}
    office, hospital = rows["office"], rows["hospital_outpatient"]
    assert office["administration"] == Decimal("135.54")  # PFS: 57.90 + 4 × 19.41
    assert hospital["administration"] == Decimal("310.00")  # the synthetic schedule: 150.00 + 4 × 40.00
    for row in (office, hospital):  # no ASP file covers 2025 Q4 here: the drug is named unpriced, never zero
        assert row["drug"] is None and row["total"] is None and row["priced_total"] == row["administration"]
        assert row["unpriced"] == ["line 1: J1561"]


def test_a_schedule_facility_amount_prices_the_hospital_claim_and_its_amount_the_office(home, tmp_path):
    """A `code,amount,facility_amount` schedule: the UB-04 (hospital outpatient) is paid the facility amount, the
    CMS-1500 (office) the amount (refdata/importers/fees.py; the PFS's non-facility/facility split)."""
    schedule = tmp_path / "fees-with-facility.csv"
    schedule.write_text("code,amount,facility_amount\n96365,150.00,90.00\n96366,40.00,25.00\n", encoding="utf-8")
    store.import_file("fees", schedule, Options(effective=date(2026, 1, 1), schedule="acme"))
    office = lines(engine.build(example("e02-gamunex-30g-5h")))
    assert office[("96365", False)].expected_payment == Decimal("150.00")
    assert office[("96366", False)].expected_payment == Decimal("160.00")  # 4 × 40.00
    hospital = lines(engine.build(example("e07-hospital-outpatient")))
    assert hospital[("96365", False)].expected_payment == Decimal("90.00")
    assert hospital[("96366", False)].units == 3
    assert hospital[("96366", False)].expected_payment == Decimal("75.00")  # 3 × 25.00


def test_an_837_scrubbed_without_its_chart_is_priced_and_names_the_file_that_priced_it(home):
    """The chart-free scrub (engine.scrub_without_chart) prices the written lines by the date of service and its
    reference block names the imported file and its date, as a chart's result does."""
    import io
    from datetime import datetime

    from igclaim.inputs import parse_encounter
    from igclaim.outputs import chargemaster, x12
    from igclaim.readers.scrub import scrub_837

    store.import_file("asp", FIX / "asp-pricing-2026q2-synthetic.csv")
    chart = (ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text().replace("2026-03-02", "2026-04-14")
    text = x12.to_837(parse_encounter(json.loads(chart)), chargemaster.load("sample"),
                      envelope=x12.Envelope(created=datetime(2026, 4, 15, 12, 0)))
    [item] = list(scrub_837(io.StringIO(text)))
    r = item.result
    assert [(ln.code, ln.units, ln.expected_payment) for ln in r.claim.lines] == [
        ("J1561", 60, Decimal("3000.00")), ("96365", 1, None), ("96366", 4, None)]  # 60 × 50.000 (synthetic Q2)
    assert r.reference.data_as_of == "2026-04-01"  # the imported Q2 file's, later than the bundled data's
    assert [s for s in r.reference.sources if "asp" in s] == [
        next(s for s in r.reference.sources if s.startswith("imported asp: asp-pricing-2026q2-synthetic.csv"))]
    assert r.reference.sources[:4] == engine.reference().sources  # the bundled data's own sources first


def test_findings_on_a_line_the_claim_lacks_are_left_unpriced_and_the_others_still_priced(home):
    """price_findings: a finding whose line is not on the claim it prices (a chart finding on an expected line
    the written claim does not have) gets no dollars, and the findings after it are still priced."""
    from igclaim.catalog import finding
    from igclaim.coding.payment import price_claim, price_findings

    enc = example("e02-gamunex-30g-5h")
    ref = engine.reference()
    rules = ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))
    claim = engine.build(enc).claim
    off = finding("DRUG-UNITS", "units", line=9, impact_units=-10)
    on = finding("DRUG-UNITS", "units", line=1, impact_units=-10)
    used = price_claim(claim, rules)
    price_findings([off, on], claim, rules, used)
    assert off.impact_usd is None
    assert on.impact_usd == Decimal("-490.76")  # -10 × 49.076 (J1561, CMS Jan 2026 file)


def test_a_claim_with_no_lines_has_no_total(home):
    """No line, no price published for anything: the total is null, never a made-up zero."""
    from igclaim.coding.payment import price_claim
    from igclaim.model import Claim

    enc = example("e02-gamunex-30g-5h")
    ref = engine.reference()
    empty = Claim(form="CMS-1500")
    assert price_claim(empty, ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))) == set()
    assert empty.total_expected_payment is None


def test_a_line_of_another_date_is_priced_on_its_own_date(home):
    """A claim of 2026-03-31 with a line dated 2026-04-14: the claim date's line at the January limit (49.076), the
    other at the imported April one (synthetic 50.000), whichever is priced first on the snapshot."""
    from igclaim.coding.payment import price
    from igclaim.construct import trusted
    from igclaim.model import Claim, ClaimLine
    from igclaim.refdata.resolver import reference

    store.import_file("asp", FIX / "asp-pricing-2026q2-synthetic.csv")
    ref = reference()
    medicare = ref.default_profile("medicare")
    for order in ((date(2026, 3, 31), date(2026, 4, 14)), (date(2026, 4, 14), date(2026, 3, 31))):
        rules = ref.at(date(2026, 3, 31), medicare)
        rules.memo.clear()
        rules.alike.clear()
        claim = trusted(Claim, form="CMS-1500", lines=[
            trusted(ClaimLine, line=n, code="J1561", units=10, service_date=day) for n, day in enumerate(order, 1)])
        as_of, sources = price(claim, [], rules, None, ref.data_as_of, ref.sources)
        paid = {ln.service_date: ln.expected_payment for ln in claim.lines}
        assert paid == {date(2026, 3, 31): Decimal("490.76"), date(2026, 4, 14): Decimal("500.00")}, order
        # The result's reference block names the April file that priced the other date's line, and its date.
        assert any("asp-pricing-2026q2-synthetic.csv" in s for s in sources) and as_of == "2026-04-01", sources


def test_the_reference_block_names_the_catalog_and_the_files_that_answered(home):
    """A result's reference block: its data date is the latest of the catalog's and of the files that answered for
    the date (the bundled 2026 Q1 ASP quarter for a claim of 2026-03-02), its sources the catalog's first, then
    those files'; a claim of 2026-04-14 (after the bundled quarter) names no ASP file."""
    from igclaim.refdata.resolver import reference

    ref = reference()
    march = engine.build(example("e02-gamunex-30g-5h"))
    april = engine.build(example("e02-gamunex-30g-5h", "2026-04-14"))
    for r in (march, april):
        assert r.reference.sources[: len(ref.sources)] == ref.sources
    assert any("asp-pricing-2026q1.csv" in s for s in march.reference.sources)
    assert not any("asp-pricing" in s for s in april.reference.sources)
    assert march.reference.data_as_of == max(ref.data_as_of, date(2026, 1, 1)).isoformat()
    assert april.reference.data_as_of == ref.data_as_of.isoformat()
