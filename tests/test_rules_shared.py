"""Snapshots of dates in one interval between the data's change dates share their dated answers (refdata/rules.py
`_Shared`): each snapshot must still answer exactly as the resolver does for its own date, on both sides of every
change date of the codes, modifiers, add-on edits, home supplies and pump places rows and payer parameters, in any
order."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from igclaim.refdata import store
from igclaim.refdata.resolver import reference
from tests.conftest import run_cli

REF = reference()


def _edges() -> set[date]:
    """The first and last day of every dated value in the data and the days either side of them, read from the
    periods themselves (not from `change_dates`, the code under test: a test that took its dates from it would
    never look at a boundary it missed)."""
    periods = [*(rec.period for recs in REF.codes.values() for rec in recs), *REF.modifiers.values(),
               *(rec.period for recs in REF.addon_edits.values() for rec in recs)]
    home = REF.settings["home"]
    rows = [*home["medicare_dme_iv_supply_units"], *home["medicare_dme_sc_pump_places"]]
    days: set[date] = set()
    for start, end in [*((p.effective, p.ends) for p in periods), *((r.get("effective"), r.get("ends")) for r in rows)]:
        if start is not None:
            days |= {start - timedelta(days=1), start}
        if end is not None and end < date.max:
            days |= {end, end + timedelta(days=1)}
    return days


def _days() -> list[date]:
    changes = _edges()
    for prof in REF.profiles.values():
        starts = {start for p in prof.parameters.values() for start, _ in p.values if start > date.min}
        changes |= {d + timedelta(days=k) for d in starts for k in (-1, 0)}
    return sorted(changes | {date(2026, 3, 2)})


def _direct(day: date, profile) -> tuple:
    """The resolver's answers for the date, each looked up on its own."""
    return ({c: r for c in REF.codes if (r := REF.hcpcs(c, day)) is not None},
            {m for m in REF.modifiers if REF.modifier_valid(m, day)},
            {c: e for c in REF.addon_edits if (e := REF.addon_primaries(c, day)) is not None},
            REF.home_supply_units(day), REF.home_pump_places(day),
            {n: p.at(day) for n, p in profile.parameters.items()})


def test_change_dates_are_the_starts_and_the_days_after_the_ends():
    assert REF.change_dates == tuple(sorted(REF.change_dates))
    q2052 = REF.codes["Q2052"][0].period
    assert q2052.effective in REF.change_dates
    supply = REF.settings["home"]["medicare_dme_iv_supply_units"][0]
    assert supply["ends"] + timedelta(days=1) in REF.change_dates
    # The one bundled period with an end: Asceniv's pass-through C9072, through 2021-03-31. The day after is a change
    # date; its last day and the day before are not (C9072 is in force on both).
    c9072 = REF.codes["C9072"][0].period
    assert c9072.ends is not None and c9072.ends + timedelta(days=1) in REF.change_dates
    assert c9072.ends not in REF.change_dates and c9072.ends - timedelta(days=1) not in REF.change_dates


def test_a_period_changes_on_its_first_day_and_the_day_after_its_last():
    """`_change_dates` alone, on periods the bundled data does not have: an end with nothing starting the next day,
    an open start, an open end, and the end of time (no day after it)."""
    from igclaim.refdata.resolver import Period, _change_dates

    assert _change_dates([Period(date(2020, 1, 1), date(2020, 6, 30))]) == (date(2020, 1, 1), date(2020, 7, 1))
    assert _change_dates([Period(None, date(2020, 6, 30)), Period(date(2019, 5, 1), None)]) == (
        date(2019, 5, 1), date(2020, 7, 1))
    assert _change_dates([Period(date(2020, 1, 1), date.max)]) == (date(2020, 1, 1),)
    assert _change_dates([Period(None, None)]) == ()


def test_every_snapshot_answers_for_its_own_date_on_both_sides_of_each_change():
    days = _days()
    assert len(days) > 30
    for order in (days, days[::-1]):
        for name, profile in sorted(REF.profiles.items()):
            for day in order:
                rules = REF.at(day, profile)
                for snap, when in ((rules, day), (rules.on(day + timedelta(days=1)), day + timedelta(days=1))):
                    got = (dict(snap.codes), set(snap.modifiers), dict(snap.addons), snap.supply_units,
                           snap.pump_places, dict(snap.params))
                    assert got == _direct(when, profile), (name, when)


# --- the data in force: looked up cheaply per claim, never stale past what store.data_version promises ------------

MAY = date(2026, 5, 1)
FIX = Path(__file__).parent / "fixtures" / "cms"


def test_an_import_in_this_process_is_seen_by_the_next_snapshot_at_once(home, monkeypatch):
    monkeypatch.setattr(store, "REFRESH_SECONDS", 3600.0)  # the stamp is not looked at again: only `invalidate`
    medicare = REF.default_profile("medicare")
    old = REF.at(MAY, medicare)
    assert REF.at(MAY, medicare) is old
    store.import_file("asp", FIX / "asp-pricing-2026q2-synthetic.csv")
    new = REF.at(MAY, medicare)
    assert new is not old and new.tables.payment_limit("J1561", MAY).amount == Decimal("50.000")
    assert old.tables.payment_limit("J1561", MAY) is None


def test_another_process_import_is_seen_once_the_stamp_is_looked_at_again(home, monkeypatch):
    monkeypatch.setattr(store, "REFRESH_SECONDS", 3600.0)
    medicare = REF.default_profile("medicare")
    old = REF.at(MAY, medicare)
    r = run_cli("data", "import", "asp", str(FIX / "asp-pricing-2026q2-synthetic.csv"))
    assert r.returncode == 0, r.stderr
    assert REF.at(MAY, medicare) is old  # within REFRESH_SECONDS of the last look: the same data, not mixed
    monkeypatch.setattr(store, "REFRESH_SECONDS", 0.0)  # the window has passed
    new = REF.at(MAY, medicare)
    assert new.version != old.version and new.tables.payment_limit("J1561", MAY).amount == Decimal("50.000")


def test_another_home_is_seen_at_once(home, tmp_path, monkeypatch):
    medicare = REF.default_profile("medicare")
    store.import_file("asp", FIX / "asp-pricing-2026q2-synthetic.csv")
    assert REF.at(MAY, medicare).tables.payment_limit("J1561", MAY) is not None
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path / "other"))
    assert REF.at(MAY, medicare).tables.payment_limit("J1561", MAY) is None
