"""Medicare home IVIG (DME MAC): Q2052 by date of service, its 15-minute units from 2024, the nurse's visit, and the
scrub of Q2052/E0779 lines (issue 9 item 3). Sources: Noridian IVIG demonstration FAQ (2014-2023), Noridian JD DME
IVIG page and LCD L33610 (from 2024-01-01), A52509/A52507."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igclaim.coding.time import quarter_hour_units
from igclaim.refdata.resolver import reference
from tests.helpers import encounter, infusion, lines, run
from tests.test_edits_support import chart, ids, only, scrub

settings_no_deadline = settings(deadline=None, max_examples=200)

SCIG = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 8},
        "containers": [{"grams": 4, "count": 2}]}


def home(dos: str, minutes: int = 300, **changes):
    return encounter(setting="home", date_of_service=dos,
                     administrations=[infusion(minutes, start=f"{dos}T09:00")], **changes)


def q2052(result) -> list[tuple[str, int]]:
    return [(str(ln.service_date), ln.units) for ln in result.claim.lines if ln.code == "Q2052"]


@pytest.mark.parametrize(("dos", "expected"), [
    ("2013-12-31", []),                      # before the demonstration's code: the J-code alone
    ("2014-03-31", []),                      # HCPCS file: Q2052 added 2014-04-01
    ("2014-04-01", [("2014-04-01", 1)]),     # demonstration: one unit per infusion date
    ("2023-12-31", [("2023-12-31", 1)]),
    ("2024-01-01", [("2024-01-01", 20)]),    # benefit: 300 minutes = 20 fifteen-minute units
])
def test_q2052_by_date_of_service(dos, expected):
    res = run(home(dos))
    assert q2052(res) == expected
    assert [ln.code for ln in res.claim.lines][0] == "J1561"


def test_q2052_start_date_comes_from_the_hcpcs_file():
    ref = reference()
    assert ref.hcpcs("Q2052", date(2014, 3, 31)) is None
    assert ref.hcpcs("Q2052", date(2014, 4, 1)) is not None
    assert ref.home_supply_units(date(2014, 3, 31)) is None
    assert ref.home_supply_units(date(2014, 4, 1)).basis == "per_date"
    assert ref.home_supply_units(date(2023, 12, 31)).basis == "per_date"
    assert ref.home_supply_units(date(2024, 1, 1)).basis == "visit_quarter_hours"


@pytest.mark.parametrize(("minutes", "units"), [
    (7, 1), (8, 1), (15, 1), (22, 1), (23, 2), (37, 2), (38, 3), (52, 3), (53, 4), (300, 20), (307, 20), (308, 21)])
def test_quarter_hour_rounding_table(minutes, units):
    supply = reference().home_supply_units(date(2024, 1, 1))
    assert quarter_hour_units(minutes, supply) == units


@pytest.mark.parametrize(("minutes", "units"), [(22, 1), (23, 2), (37, 2), (38, 3)])
def test_rounding_boundaries_through_build(minutes, units):
    assert q2052(run(home("2024-03-05", minutes))) == [("2024-03-05", units)]


def test_the_nurses_visit_length_wins_over_the_infusion_time():
    adm = infusion(150, start="2026-03-05T09:30")  # 150 min of infusion = 10 units
    assert q2052(run(encounter(setting="home", date_of_service="2026-03-05", administrations=[adm]))) == \
        [("2026-03-05", 10)]
    adm["visit"] = {"start": "2026-03-05T09:00", "stop": "2026-03-05T12:30"}  # 210 min visit = 14 units
    assert q2052(run(encounter(setting="home", date_of_service="2026-03-05", administrations=[adm]))) == \
        [("2026-03-05", 14)]


def test_one_line_for_each_infusion_date():
    adms = [infusion(120, start="2026-03-05T09:00"), infusion(90, start="2026-03-06T09:00")]
    res = run(encounter(setting="home", date_of_service="2026-03-05", administrations=adms))
    assert q2052(res) == [("2026-03-05", 8), ("2026-03-06", 6)]


def test_visit_stop_before_start_names_the_field():
    from igclaim import parse_encounter

    adm = infusion(60, start="2026-03-05T09:00", visit={"start": "2026-03-05T10:00", "stop": "2026-03-05T09:00"})
    with pytest.raises(ValueError, match="visit"):
        parse_encounter(encounter(setting="home", administrations=[adm]))


def test_scig_at_home_has_no_q2052():
    res = run(encounter(setting="home", drugs=[SCIG], administrations=[infusion(100)]))
    assert lines(res) == [("J1559", ("JB", "KX", "JZ"), 80)]


# --- scrub ---------------------------------------------------------------------------------------------------

HOME_IV = chart(setting="home", date_of_service="2026-03-05",
                administrations=[{"drug_id": "ig1", "start": "2026-03-05T10:00", "stop": "2026-03-05T14:00"}])


def _q(c: dict) -> dict:
    return next(ln for ln in c["lines"] if ln["code"] == "Q2052")


def test_correct_home_ivig_claim_is_clean():
    r = scrub(HOME_IV)
    assert not ids(r) & {"HOME-SUPPLY-CODE", "HOME-Q2052-UNITS", "CLAIM-LINE-MISSING"}
    assert _q(json_claim(HOME_IV))["units"] == 16  # 240 minutes


def json_claim(enc):
    from tests.test_edits_support import built_claim

    return built_claim(enc)


def test_wrong_q2052_units_from_2024_is_a_warning():
    r = scrub(HOME_IV, lambda c: _q(c).update(units=1))
    f = only(r, "HOME-Q2052-UNITS")
    assert f.severity == "warning" and "Q2052 × 16" in f.message and "15-minute" in f.message
    assert f.impact_units is None  # paid as one bundle per date: the units move no money


def test_demonstration_units_are_one_per_date():
    demo = chart(setting="home", date_of_service="2023-12-31",
                 administrations=[{"drug_id": "ig1", "start": "2023-12-31T10:00", "stop": "2023-12-31T14:00"}])
    assert "HOME-Q2052-UNITS" not in ids(scrub(demo))
    r = scrub(demo, lambda c: _q(c).update(units=16))
    f = only(r, "HOME-Q2052-UNITS")
    assert "Q2052 × 1 (one unit per infusion date" in f.message


def test_missing_q2052_is_a_missing_line():
    r = scrub(HOME_IV, lambda c: c["lines"].remove(_q(c)))
    assert "Q2052" in only(r, "CLAIM-LINE-MISSING").message
    assert "HOME-Q2052-UNITS" not in ids(r)


def test_q2052_before_its_hcpcs_date_is_an_error():
    before = chart(setting="home", date_of_service="2014-03-31",
                   administrations=[{"drug_id": "ig1", "start": "2014-03-31T10:00", "stop": "2014-03-31T14:00"}])
    r = scrub(before, lambda c: c["lines"].append({"line": 9, "code": "Q2052", "units": 1}))
    f = only(r, "HOME-SUPPLY-CODE")
    assert f.severity == "error" and f.line == 9 and "2014-04-01" in f.message


def test_q2052_on_a_sc_claim_and_e0779_on_an_iv_claim():
    sc = chart(setting="home", drugs=[SCIG], administrations=HOME_IV["administrations"])
    r = scrub(sc, lambda c: c["lines"].append({"line": 5, "code": "Q2052", "units": 1}))
    assert only(r, "HOME-SUPPLY-CODE").line == 5
    assert "HOME-SUPPLY-CODE" not in ids(scrub(sc, lambda c: c["lines"].append(
        {"line": 5, "code": "E0779", "modifiers": ["JB"], "units": 1})))
    r = scrub(HOME_IV, lambda c: c["lines"].append({"line": 5, "code": "E0779", "units": 1}))
    assert "E0779" in only(r, "HOME-SUPPLY-CODE").message


def test_other_payers_home_claims_are_not_dme_checked():
    com = chart(setting="home", payer={"type": "commercial", "prior_authorization": {"number": "P"}},
                drug0={"ndc": "13533-0805-11"})
    r = scrub(com, lambda c: c["lines"].append({"line": 9, "code": "E0779", "units": 1}))
    assert not ids(r) & {"HOME-SUPPLY-CODE", "HOME-Q2052-UNITS"}


@settings_no_deadline
@given(st.integers(min_value=8, max_value=24 * 60))
def test_rounding_is_nearest_quarter_hour_with_8_minutes_rounding_up(minutes):
    """Every visit of 8 minutes or more: units × 15 lies within [minutes − 7, minutes + 7] (the table's rows)."""
    units = quarter_hour_units(minutes, reference().home_supply_units(date(2024, 1, 1)))
    assert units * 15 - 7 <= minutes <= units * 15 + 7
    assert quarter_hour_units(minutes + 1, reference().home_supply_units(date(2024, 1, 1))) >= units


def test_q2052_is_paid_as_one_bundle_per_date_whatever_its_units(tmp_path, monkeypatch):
    """A fee schedule with Q2052 (synthetic amount) prices Q2052 × 20 at one bundle, not 20 bundles."""
    from decimal import Decimal

    from igclaim import engine
    from igclaim.model import Encounter
    from igclaim.refdata import store
    from igclaim.refdata.importers import Options

    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path / "home"))
    store.invalidate()
    try:
        fees = tmp_path / "fees.csv"
        fees.write_text("code,amount\nQ2052,400.00\n")
        store.import_file("fees", fees, Options(effective=date(2026, 1, 1), schedule="dme-synthetic"))
        res = engine.build(Encounter.model_validate(home("2026-03-05")))
        q = next(ln for ln in res.claim.lines if ln.code == "Q2052")
        assert q.units == 20 and q.expected_payment == Decimal("400.00")
    finally:
        store.invalidate()


def test_bundled_q2052_date_is_the_official_hcpcs_files(tmp_path, monkeypatch):
    """The CMS HCPCS file's own Q2052 record (2016 annual, verbatim) says added 2014-04-01: the bundled date."""
    from pathlib import Path

    from igclaim.refdata import store

    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path / "home"))
    store.invalidate()
    try:
        fixture = Path(__file__).parent / "fixtures" / "cms" / "HCPC2016_CONTR_ANWEB-Q2052-excerpt.txt"
        store.import_file("hcpcs", fixture)
        status, _ = reference().tables.hcpcs_status("Q2052", date(2016, 3, 1))
        assert status.added == reference().known_code("Q2052").period.effective == date(2014, 4, 1)
        assert status.terminated is None
    finally:
        store.invalidate()
