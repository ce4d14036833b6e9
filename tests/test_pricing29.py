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
from tests import test_browser
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


def test_a_finding_that_cannot_be_priced_does_not_stop_the_next_from_being_priced(home, tmp_path):
    """make mutate (price_findings: `continue` → `break`): a finding on a line the claim does not have, or of a code
    with no published price, is left without dollars, and the findings after it are still priced."""
    _schedule(tmp_path, "acme", "code,amount\n96365,150.00\n96366,40.00\n")
    enc = example("e02-gamunex-30g-5h")
    ref = engine.reference()
    rules = ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))
    claim = engine.build(enc).claim
    addon = next(ln for ln in claim.lines if ln.code == "96366")
    elsewhere = finding("ADMIN-ADDON-UNITS", "no such line", line=99, impact_units=-1)
    unpriced = finding("CLAIM-LINE-MISSING", "a code with no price", impact_units=1,
                       cause=("line-absent", "A4222"))
    # units with neither a line, a chart drug nor a missing line's code to price them by (thirty-third session:
    # `continue` made `break` there survived `make mutate`)
    nothing = finding("DX-NOT-COVERED", "units of nothing named", impact_units=-2)
    after = finding("ADMIN-ADDON-UNITS", "one unit too many", line=addon.line, impact_units=-1)
    price_findings([elsewhere, unpriced, nothing, after], claim, rules, price_claim(claim, rules))
    assert (elsewhere.impact_usd, unpriced.impact_usd, nothing.impact_usd, after.impact_usd) == (
        None, None, None, Decimal("-40.00"))


def _home_q2052(tmp_path: Path) -> tuple[Encounter, object]:
    _schedule(tmp_path, "dme-synthetic", "code,amount\nQ2052,400.00\n")
    enc = example("e9-home-scrub-q2052-one-unit-2024")
    ref = engine.reference()
    return enc, ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))


@pytest.mark.parametrize(("units", "expected"),
                         [(5, "0.00"), (-5, "0.00"), (-19, "0.00"), (-20, "-400.00"), (-25, "-400.00")])
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


# --- 2. the national PFS is Medicare's: it does not price another payer's claim unless its profile names it -------


def _payer(name: str, payer_type: str, day: str = "2025-11-03", written: bool = False) -> Encounter:
    data = example_input(name, day)
    data["payer"] = {"type": payer_type, "name": payer_type}
    if written:
        data["claim"] = {"lines": [{"line": 1, "code": "J1561", "units": 20, "modifiers": ["JZ"]},
                                   {"line": 2, "code": "96365", "units": 1, "modifiers": []},
                                   {"line": 3, "code": "96366", "units": 1, "modifiers": []}]}
    return Encounter.model_validate(data)


def _admin(r) -> list[tuple[str, Decimal | None]]:
    return [(ln.code, ln.expected_payment) for ln in r.claim.lines if ln.code.startswith("963")]


@pytest.mark.parametrize("payer_type", ["medicare_advantage", "medicaid", "commercial"])
def test_the_national_pfs_does_not_price_another_payers_administration_lines(home, payer_type):
    """Only the national PFS imported: the Original Medicare office claim is priced by it ($57.90, 4 × $19.41);
    the same claim of a Medicare Advantage plan, a Medicaid program or a commercial plan is not (the payer pays by
    its own schedule or contract, which igclaim does not have): its administration lines stay null and named
    unpriced, and a finding about them carries units, no dollars."""
    store.import_file("fees", FIX / "PPRRVU2025_Oct-real-excerpt.csv")
    assert _admin(engine.build(_payer("e02-gamunex-30g-5h", "medicare"))) == [
        ("96365", Decimal("57.90")), ("96366", Decimal("77.64"))]
    r = engine.build(_payer("e02-gamunex-30g-5h", payer_type))
    assert _admin(r) == [("96365", None), ("96366", None)]
    assert r.claim.total_expected_payment is None and r.claim.priced_total is None  # no ASP file for 2025 Q4
    assert r.claim.unpriced_lines == ["line 1: J1561", "line 2: 96365", "line 3: 96366"]
    f = _addon_units(engine.scrub(_payer("e12-scrub-61-minutes-addon", payer_type, written=True)))
    assert (f.impact_units, f.impact_usd) == (-1, None)


def test_another_payers_claim_is_priced_by_an_imported_contract_not_by_the_newer_national_pfs(home, tmp_path):
    """A commercial contract schedule (from 2025-01-01) and the national PFS (from 2025-10-01, the newer) both
    imported: the commercial office claim is priced by the contract, the Medicare one by the PFS."""
    _schedule(tmp_path, "acme", "code,amount\n96365,150.00\n96366,40.00\n", date(2025, 1, 1))
    store.import_file("fees", FIX / "PPRRVU2025_Oct-real-excerpt.csv")
    assert _admin(engine.build(_payer("e02-gamunex-30g-5h", "commercial"))) == [
        ("96365", Decimal("150.00")), ("96366", Decimal("160.00"))]
    assert _admin(engine.build(_payer("e02-gamunex-30g-5h", "medicare"))) == [
        ("96365", Decimal("57.90")), ("96366", Decimal("77.64"))]


def test_a_contract_that_pays_the_national_pfs_names_it_in_its_profile(home, tmp_path):
    """A commercial contract paying Medicare's national PFS says so (`fee_schedule = "pfs-national"`): then its
    claim is priced by it, as the profile names."""
    store.import_file("fees", FIX / "PPRRVU2025_Oct-real-excerpt.csv")
    profile = tmp_path / "acme-pays-pfs.toml"
    profile.write_text('[profile]\nname = "acme-pays-pfs"\ntitle = "A contract paying the national PFS"\n'
                       'payer_types = ["commercial"]\noriginal_medicare = false\nextends = "commercial"\n\n'
                       '[parameters.fee_schedule]\nlabel = "fee schedule"\nsource = "https://example.org/contract"\n'
                       'values = { "2000-01-01" = "pfs-national" }\n', encoding="utf-8")
    r = engine.build(_payer("e02-gamunex-30g-5h", "commercial"), profile=str(profile))
    assert _admin(r) == [("96365", Decimal("57.90")), ("96366", Decimal("77.64"))]


# --- 2, on the billers' page: "Medicare allowed" only on a Medicare Part B claim --------------------------------

browser, server = test_browser.browser, test_browser.server  # Chromium, and `igclaim serve` in a thread
needs_browser = pytest.mark.skipif(not (test_browser.CHROMIUM and test_browser.CHROMEDRIVER),
                                   reason="needs Debian's chromium and chromium-driver (scripts/test-tools.sh)")


def _paste(driver, encounter: dict, button: str) -> None:
    import json

    from selenium.webdriver.common.by import By

    driver.execute_script("document.getElementById('json').value = arguments[0]", json.dumps(encounter))
    driver.execute_script("document.getElementById('result').innerHTML = ''")
    driver.find_element(By.XPATH, f"//button[text()='{button}']").click()


@needs_browser
def test_the_page_labels_another_payers_amounts_as_reference_never_as_medicare_allowed(home, tmp_path, browser,
                                                                                     server):
    """A commercial claim priced by an imported contract schedule (96365 $150.00, 96366 $40.00) and the ASP limit
    (J1561): the page called every figure "Medicare allowed" (the column, the finding's dollars). Now the column
    is "Allowed (reference)", the total says it is not what the payer will pay, and the note says the national PFS
    never prices it; the Medicare claim keeps "Medicare allowed"."""
    from selenium.webdriver.common.by import By

    _schedule(tmp_path, "acme", "code,amount\n96365,150.00\n96366,40.00\n")
    scrub = example_input("e12-scrub-61-minutes-addon")
    browser.get(server + "/")
    _paste(browser, {**scrub, "payer": {"type": "commercial", "name": "Acme"}}, "Scrub")
    test_browser._wait(browser, "#expected-claim")
    result = browser.find_element(By.ID, "result").text
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#expected-claim th")]
    assert headers[-1] == "ALLOWED (REFERENCE)", headers
    assert "Medicare's ASP payment limit" in browser.find_element(
        By.CSS_SELECTOR, "#expected-claim th.allowed").get_attribute("title")
    assert test_browser._rows(browser.find_element(By.ID, "expected-claim"))[1][-1] == "$150.00"
    assert browser.find_element(By.ID, "money").text.startswith(
        "Allowed amount, for reference (not what this payer will pay; before the deductible and coinsurance): "
        "$1,131.52"), result  # 20 × 49.076 + 150.00
    assert "never that one" in browser.find_element(By.ID, "money-note").text
    assert "at stake: −1 units · −$40.00 (allowed, for reference)" in result, result
    assert "medicare allowed" not in result.lower(), result

    _paste(browser, scrub, "Scrub")  # the same claim to Medicare Part B
    test_browser._wait(browser, "#expected-claim")
    result = browser.find_element(By.ID, "result").text
    assert [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#expected-claim th")][-1] == "MEDICARE ALLOWED"
    assert "at stake: −1 units · −$40.00 (Medicare allowed)" in result, result
