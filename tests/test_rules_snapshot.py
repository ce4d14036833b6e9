"""The dated rule snapshot (refdata/rules.py): one immutable `Rules` per date of service, payer profile and
imported-data version; a newer import seen by a running process without a restart, never mixed into a snapshot
already handed out."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from igclaim import engine
from igclaim.inputs import parse_encounter
from igclaim.refdata import store
from igclaim.refdata.resolver import reference
from tests.conftest import run_cli

FIX = Path(__file__).parent / "fixtures" / "cms"
REF = reference()
MEDICARE = REF.default_profile("medicare")
MAY = date(2026, 5, 1)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(store, "REFRESH_SECONDS", 0.0)  # look at the stamp on every snapshot request
    store.invalidate()
    yield tmp_path / "home"
    store.invalidate()


def test_one_snapshot_per_date_and_profile_resolved_once():
    rules = REF.at(date(2026, 3, 2), MEDICARE)
    assert REF.at(date(2026, 3, 2), MEDICARE) is rules
    assert REF.at(date(2026, 3, 3), MEDICARE) is not rules
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.dos = date(2020, 1, 1)  # type: ignore[misc]
    with pytest.raises(TypeError):
        rules.params["jz_required"] = False  # type: ignore[index]
    assert rules.param("jz_required") is MEDICARE.get("jz_required", date(2026, 3, 2))


def test_the_snapshot_answers_for_its_date_on_both_sides_of_a_dated_change():
    """JZ is valid and required by Medicare from 2023-07-01 (CMS discarded-drug policy): the day before and the day
    of, each snapshot answers for its own date."""
    before, on = REF.at(date(2023, 6, 30), MEDICARE), REF.at(date(2023, 7, 1), MEDICARE)
    assert on.param("jz_required") and not before.param("jz_required")
    assert on.on(date(2023, 6, 30)).param("jz_required") == before.param("jz_required")
    assert on.on(date(2023, 6, 30)).tables is on.tables  # another date, the same imported tables


def test_a_new_import_is_seen_without_a_restart_and_never_mixed(home):
    """`igclaim data import` in another process (as beside a running `serve`): the next snapshot reads it; one
    taken before keeps answering from the data it was made with."""
    old = REF.at(MAY, MEDICARE)
    assert old.tables.payment_limit("J1561", MAY) is None  # Q2 2026: no price loaded yet
    r = run_cli("data", "import", "asp", str(FIX / "asp-pricing-2026q2-synthetic.csv"))
    assert r.returncode == 0, r.stderr
    new = REF.at(MAY, MEDICARE)
    assert new is not old and new.version != old.version
    assert new.tables.payment_limit("J1561", MAY).amount == Decimal("50.000")
    assert old.tables.payment_limit("J1561", MAY) is None  # the snapshot in hand does not change under a claim
    assert REF.at(MAY, MEDICARE) is new  # memoised again until the next import


def test_a_build_after_an_import_prices_with_the_new_quarter(home, tmp_path):
    chart = {"encounter_id": "snap-1", "date_of_service": MAY.isoformat(), "setting": "office",
             "payer": {"type": "medicare"}, "diagnoses": ["D80.0"],
             "drugs": [{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 10},
                        "containers": [{"grams": 10, "count": 1}]}],
             "administrations": [{"drug_id": "ig1", "start": "2026-05-01T09:00", "stop": "2026-05-01T11:00"}]}
    before = engine.build(parse_encounter(chart))
    assert before.claim.lines[0].expected_payment is None
    r = run_cli("data", "import", "asp", str(FIX / "asp-pricing-2026q2-synthetic.csv"))
    assert r.returncode == 0, r.stderr
    after = engine.build(parse_encounter(chart))
    assert after.claim.lines[0].code == "J1561"
    assert after.claim.lines[0].expected_payment == Decimal("50.000") * after.claim.lines[0].units
