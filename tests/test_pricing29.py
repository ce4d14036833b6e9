"""Findings priced by the same unit price as their lines, and the national PFS for Original Medicare only (the
twenty-ninth session's pricing fixes). Prices: the CMS ASP payment limits of January 2026 (bundled: J1561 49.076),
the CY2025 October national PFS excerpt (tests/fixtures/cms/PPRRVU2025_Oct-real-excerpt.csv: 96365 $57.90, 96366
$19.41 a unit, non-facility) and synthetic `code,amount` schedules written by the tests."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from igclaim import engine
from igclaim.catalog import finding
from igclaim.coding.payment import price_claim, price_findings
from igclaim.model import Encounter
from igclaim.refdata import store
from igclaim.refdata.importers import Options
from tests.helpers import example, example_input

FIX = Path(__file__).parent / "fixtures" / "cms"


def _schedule(tmp_path: Path, name: str, rows: str, effective: date = date(2026, 1, 1)) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(rows, encoding="utf-8")
    store.import_file("fees", path, Options(effective=effective, schedule=name))


def _addon_units(r) -> object:
    (f,) = [f for f in r.findings if f.edit == "ADMIN-ADDON-UNITS"]
    return f


# --- 1. a finding about an administration code is priced as its line is -----------------------------------------


def test_an_administration_finding_is_priced_by_the_fee_schedule_that_prices_its_line(home, tmp_path):
    """e12: 96366 × 1 written for a 61-minute infusion (ADMIN-ADDON-UNITS, −1 unit). With a contract schedule
    imported (96366 $40.00) the line is priced by it and so is the finding: −$40.00, the file named."""
    _schedule(tmp_path, "acme", "code,amount\n96365,150.00\n96366,40.00\n")
    r = engine.scrub(example("e12-scrub-61-minutes-addon"))
    f = _addon_units(r)
    assert (f.line, f.impact_units, f.impact_usd) == (3, -1, Decimal("-40.00"))
    assert any("imported fees: acme.csv" in s for s in r.reference.sources)


def test_an_administration_finding_of_a_medicare_office_claim_is_priced_on_the_national_pfs(home):
    """The same finding on 2025-11-03, with only the national PFS imported: −1 × $19.41 (0.60 RVU × 32.3465)."""
    store.import_file("fees", FIX / "PPRRVU2025_Oct-real-excerpt.csv")
    f = _addon_units(engine.scrub(example("e12-scrub-61-minutes-addon", "2025-11-03")))
    assert (f.impact_units, f.impact_usd) == (-1, Decimal("-19.41"))


def test_without_a_fee_schedule_an_administration_finding_has_units_and_no_dollars(home):
    f = _addon_units(engine.scrub(example("e12-scrub-61-minutes-addon")))
    assert f.impact_units == -1 and f.impact_usd is None  # unknown: null, never a made-up $0.00


def test_a_missing_administration_line_is_priced_by_the_code_its_cause_names(home, tmp_path):
    """e02's written claim without its 96366 × 4 line: CLAIM-LINE-MISSING (no line of the claim to name; its cause
    names the code) is worth 4 × $40.00."""
    _schedule(tmp_path, "acme", "code,amount\n96365,150.00\n96366,40.00\n")
    data = example_input("e02-gamunex-30g-5h")
    data["claim"] = {"lines": [{"line": 1, "code": "J1561", "units": 60, "modifiers": ["JZ"]},
                               {"line": 2, "code": "96365", "units": 1, "modifiers": []}]}  # 96366 × 4 left off
    r = engine.scrub(Encounter.model_validate(data))
    (f,) = [f for f in r.findings if f.edit == "CLAIM-LINE-MISSING"]
    assert f.line is None and f.impact_units == 4 and f.impact_usd == Decimal("160.00")


@pytest.mark.parametrize(("name", "expected"), [("e02-gamunex-30g-5h", "-40.00"),
                                                ("e07-hospital-outpatient", "-25.00")])
def test_a_findings_units_take_the_facility_amount_on_the_ub04_as_its_line_does(home, tmp_path, name, expected):
    """A `code,amount,facility_amount` schedule: the CMS-1500's 96366 is paid $40.00 a unit and the UB-04's
    $25.00; one unit at stake on each is worth the same amount as one unit of its line."""
    _schedule(tmp_path, "acme", "code,amount,facility_amount\n96365,150.00,90.00\n96366,40.00,25.00\n")
    enc = example(name)
    ref = engine.reference()
    rules = ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))
    claim = engine.build(enc).claim
    addon = next(ln for ln in claim.lines if ln.code == "96366")
    f = finding("ADMIN-ADDON-UNITS", "one unit too many", line=addon.line, impact_units=-1)
    price_findings([f], claim, rules, price_claim(claim, rules))
    assert f.impact_usd == Decimal(expected)
    assert addon.expected_payment == Decimal(expected) * -addon.units


def _home_q2052(tmp_path: Path) -> tuple[Encounter, object]:
    _schedule(tmp_path, "dme-synthetic", "code,amount\nQ2052,400.00\n")
    enc = example("e9-home-scrub-q2052-one-unit-2024")
    ref = engine.reference()
    return enc, ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))


@pytest.mark.parametrize(("units", "expected"), [(5, "0.00"), (-5, "0.00"), (-20, "-400.00"), (-25, "-400.00")])
def test_units_of_a_code_paid_once_per_date_move_the_bundle_only_when_the_line_goes(home, tmp_path, units,
                                                                                       expected):
    """Q2052 is paid one bundle per date whatever its units (docs/rules.md): on the built Q2052 × 20 line, more or
    fewer units that leave some are worth $0.00 (a known zero: the price is published); taking all of them away
    loses the one bundle, never 20 bundles or more."""
    enc, rules = _home_q2052(tmp_path)
    claim = engine.build(enc).claim
    q = next(ln for ln in claim.lines if ln.code == "Q2052")
    assert (q.units, q.expected_payment) == (20, Decimal("400.00"))
    f = finding("CLAIM-LINE-MISSING", "units", line=q.line, impact_units=units)
    price_findings([f], claim, rules, price_claim(claim, rules))
    assert f.impact_usd == Decimal(expected)


def test_a_missing_line_of_a_code_paid_once_per_date_is_worth_one_bundle(home, tmp_path):
    enc, _ = _home_q2052(tmp_path)
    data = copy.deepcopy(example_input("e9-home-scrub-q2052-one-unit-2024"))
    data["claim"]["lines"] = data["claim"]["lines"][:1]  # the Q2052 line left off
    r = engine.scrub(Encounter.model_validate(data))
    (f,) = [f for f in r.findings if f.edit == "CLAIM-LINE-MISSING"]
    assert (f.impact_units, f.impact_usd) == (20, Decimal("400.00"))  # one bundle, not 20 × $400.00
