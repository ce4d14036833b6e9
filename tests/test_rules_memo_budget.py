"""The answers every rule snapshot of one memo remembers are bounded together (refdata/rules.py MEMO_BUDGET), not
only per snapshot: each diagnosis code is a key in each snapshot, so charts spread over thousands of dates with
many distinct diagnoses filled 8,192 snapshots × 512 answers (hundreds of MB per process, gigabytes at worst)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from igclaim import engine
from igclaim.inputs import parse_encounter
from igclaim.refdata import rules as rules_mod
from igclaim.refdata.resolver import ReferenceData, reference
from igclaim.refdata.rules import Snapshots

FIRST = date(2025, 1, 2)


def _chart(day: date, dx: list[str]) -> dict:
    d = day.isoformat()
    return {"encounter_id": f"budget-{d}", "date_of_service": d, "setting": "office",
            "payer": {"type": "medicare", "name": "Medicare Part B"}, "diagnoses": dx,
            "drugs": [{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": "30"},
                       "containers": [{"grams": "10", "count": 3}]}],
            "administrations": [{"drug_id": "ig1", "start": f"{d}T10:00", "stop": f"{d}T13:00"}]}


def _fresh_ref() -> ReferenceData:
    """The process's reference data with a memo of snapshots of its own (the shared one stays as it was)."""
    ref = reference()
    ref._snapshots = Snapshots(ref)
    return ref


def _remembered(ref: ReferenceData) -> int:
    """Answers held: each snapshot's own, and each span's shared ones (`Rules.alike`) once."""
    snapshots = list(ref._snapshots._memo.values())
    spans = {id(r.alike): r.alike for r in snapshots}
    return sum(len(r.memo) for r in snapshots) + sum(len(a) for a in spans.values())


@pytest.fixture
def own_snapshots():
    ref = reference()
    kept = ref._snapshots
    yield
    ref._snapshots = kept


def test_snapshots_together_remember_at_most_the_budget(monkeypatch, own_snapshots):
    monkeypatch.setattr(rules_mod, "MEMO_BUDGET", 200)
    ref = _fresh_ref()
    for i in range(60):  # 60 dates, each with 6 diagnoses of its own: well over 200 answers in all
        engine.build(parse_encounter(_chart(FIRST + timedelta(days=i), [f"D80.{i % 10}", "D83.9", f"G61.{i % 2}",
                                                                        "D69.3", "M33.20", f"D81.{i % 10}"])), ref=ref)
    assert len(ref._snapshots._memo) == 60
    assert 0 < _remembered(ref) <= 200


def test_under_the_budget_nothing_is_forgotten(monkeypatch, own_snapshots):
    monkeypatch.setattr(rules_mod, "MEMO_BUDGET", 100_000)
    ref = _fresh_ref()
    for i in range(60):
        engine.build(parse_encounter(_chart(FIRST + timedelta(days=i), ["D80.0", "D83.9"])), ref=ref)
    # the same run as above keeps every answer it worked out when the budget allows
    assert _remembered(ref) == ref._snapshots._budget.used > 100


def test_answers_after_the_memo_forgot_are_the_same(monkeypatch, own_snapshots):
    charts = [_chart(FIRST + timedelta(days=i), ["D80.0", "Z00.00", "D83.9"]) for i in range(30)]
    monkeypatch.setattr(rules_mod, "MEMO_BUDGET", 100_000)
    ref = _fresh_ref()
    kept = [engine.build(parse_encounter(c), ref=ref).model_dump_json() for c in charts]
    monkeypatch.setattr(rules_mod, "MEMO_BUDGET", 5)  # forgets every few answers
    ref = _fresh_ref()
    assert [engine.build(parse_encounter(c), ref=ref).model_dump_json() for c in charts] == kept
    assert _remembered(ref) <= 5


def _sixty_dates(ref: ReferenceData) -> int:
    for i in range(60):
        engine.build(parse_encounter(_chart(FIRST + timedelta(days=i), [f"D80.{i % 10}", "D83.9"])), ref=ref)
    return _remembered(ref)


def test_both_sides_of_the_budget(monkeypatch, own_snapshots):
    """A run that remembers exactly the budget forgets nothing; one answer more and the memo forgets, then fills
    again from there (the count starts over: it does not forget on every answer after)."""
    monkeypatch.setattr(rules_mod, "MEMO_BUDGET", 100_000)
    total = _sixty_dates(_fresh_ref())
    monkeypatch.setattr(rules_mod, "MEMO_BUDGET", total)
    assert _sixty_dates(_fresh_ref()) == total
    monkeypatch.setattr(rules_mod, "MEMO_BUDGET", total - 10)
    ref = _fresh_ref()
    after = _sixty_dates(ref)
    # It forgot at answer total - 9, near the end, and kept what it worked out after: the 9 or so answers left,
    # with a span's shared answers worked out again for the dates after (nothing forgotten a second time).
    assert after == ref._snapshots._budget.used + 1  # the answer that made it forget is kept, uncounted
    assert 2 <= after < total // 4


def test_a_span_keeps_more_answers_than_a_snapshot_and_starts_over_at_its_limit(monkeypatch, own_snapshots):
    """A span's shared answers grow with the distinct charts of its dates (a coverage verdict per list of diagnoses
    and products), so a span keeps SPAN_LIMIT of them, far more than a snapshot's MEMO_LIMIT: a long batch of one
    quarter does not work the same verdicts out again and again. At the limit it starts over (memory stays flat)."""
    monkeypatch.setattr(rules_mod, "MEMO_BUDGET", 100_000)
    ref = _fresh_ref()
    rules = ref.at(FIRST, ref.default_profile("medicare"))
    n = rules_mod.MEMO_LIMIT + 100
    for i in range(n):
        rules.once_alike(("test", i), lambda _, i=i: i)
    assert len(rules.alike) == n and rules.alike[("test", 0)] == 0
    monkeypatch.setattr(rules_mod, "SPAN_LIMIT", n + 1)
    rules.once_alike(("test", "under"), lambda _: "kept")
    assert len(rules.alike) == n + 1  # under the limit: kept
    assert rules.once_alike(("test", "at"), lambda _: "new") == "new"
    assert list(rules.alike) == [("test", "at")]
