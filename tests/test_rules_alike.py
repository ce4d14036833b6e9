"""`Rules.once_alike`: answers shared by the snapshots of every date of one span (one calendar quarter, no dated value
of the reference data changing within it). A span drawn too wide would hand one date another date's answer, so
these tests move real charts onto both sides of every day the data changes and compare each result with the one
it gets alone."""

from __future__ import annotations

import json
import random
import re
import sys
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from igclaim import engine, parse_encounter
from igclaim.errors import InputError
from igclaim.refdata import icd10, store
from igclaim.refdata.resolver import reference
from igclaim.refdata.rules import Snapshots, dates_in

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402

_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def _bounds() -> set[date]:
    """The span bounds of every bundled profile, with the tables and releases in force."""
    ref = reference()
    snapshots = Snapshots(ref)
    snapshots._tables = store.tables()
    releases = icd10.held(snapshots._tables)
    return {d for p in ref.profiles.values() for d in snapshots.bounds(p, releases)}


def _toml_dates(value: Any) -> set[date]:
    """Every date a TOML document holds: its date values, and ISO dates written as strings (keys or values)."""
    if isinstance(value, date):
        return {value}
    if isinstance(value, dict):
        return {d for k, v in value.items() for d in (_toml_dates(k) | _toml_dates(v))}
    if isinstance(value, list):
        return {d for v in value for d in _toml_dates(v)}
    if isinstance(value, str) and (m := _DAY.match(value)):
        try:
            return {date.fromisoformat(m.group(1))}
        except ValueError:
            return set()
    return set()


def test_every_date_in_the_bundled_reference_data_bounds_a_span() -> None:
    """The spans are drawn from the loaded data (`dates_in`): each date written in a bundled data file must be among
    their bounds, with the day after it (a value that ends on it changes the next day)."""
    root = ROOT / "src" / "igclaim" / "refdata"
    files = [p for p in sorted(root.rglob("*.toml")) if "remit" not in p.parts and p.name != "usps-states.toml"]
    written = {d for p in files for d in _toml_dates(tomllib.loads(p.read_text(encoding="utf-8")))}
    bounds = _bounds()
    assert len(written) > 30  # the files were read
    assert written - bounds == set()
    assert {d + timedelta(days=1) for d in written if d < date.max} - bounds == set()


def test_dates_in_walks_dataclasses_mappings_and_sequences_but_not_private_caches() -> None:
    from dataclasses import dataclass, field

    @dataclass
    class Inner:
        when: date
        _cache: dict[str, date] = field(default_factory=dict)

    value = {"a": [Inner(date(2024, 1, 2), {"x": date(1999, 1, 1)})],
             date(2025, 3, 4): (frozenset({date(2020, 5, 6)}),)}
    assert dates_in(value) == {date(2024, 1, 2), date(2025, 3, 4), date(2020, 5, 6)}


def _moved(value: Any, by: timedelta) -> Any:
    """The chart with every ISO date (and date-time's date) moved by `by`."""
    if isinstance(value, dict):
        return {k: _moved(v, by) for k, v in value.items()}
    if isinstance(value, list):
        return [_moved(v, by) for v in value]
    if isinstance(value, str) and (m := _DAY.match(value)) and len(value) in (10, 16, 19, 25):
        try:
            return (date.fromisoformat(m.group(1)) + by).isoformat() + value[10:]
        except ValueError:
            return value
    return value


def _charts() -> list[dict[str, Any]]:
    examples = [json.loads(p.read_text(encoding="utf-8"))["input"] for p in sorted((ROOT / "examples").glob("e*.json"))]
    generated = [r for r in generate.encounters(60, seed=11) if isinstance(r, dict)]
    return [*examples, *[c for c in generated if isinstance(c.get("date_of_service"), str)][:40]]


def _result(chart: dict[str, Any]) -> str:
    try:
        enc = parse_encounter(chart)
        result = engine.scrub(enc) if enc.claim else engine.build(enc)
    except (InputError, ValueError) as exc:
        return f"error: {exc}"
    return result.model_dump_json()


def _alone(chart: dict[str, Any]) -> str:
    """The chart's result with no answer of another claim remembered (its snapshot's memos emptied first)."""
    try:
        enc = parse_encounter(chart)
        ref = reference()
        rules = ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))
        rules.memo.clear()
        rules.alike.clear()
    except (InputError, ValueError):
        pass
    return _result(chart)


def _days() -> list[date]:
    """Both sides of every day the data changes between 2023 and 2026 (each span's first and last day, spans cut at
    month ends too, so a quarter's months are spans of their own here), and a day inside each span."""
    cuts = {d for d in _bounds() if date(2023, 1, 1) <= d <= date(2027, 1, 1)}
    cuts |= {date(y, m, 1) for y in range(2023, 2027) for m in range(1, 13)} | {date(2027, 1, 1)}
    ordered = sorted(cuts)
    spans = [(lo, hi - timedelta(days=1)) for lo, hi in zip(ordered, ordered[1:], strict=False)]
    return sorted({d for lo, hi in spans for d in (lo, hi, lo + (hi - lo) / 2)})


def test_a_date_gets_its_own_answers_on_either_side_of_every_change() -> None:
    """Each chart moved to each day (in a shuffled order, so a span's first date varies) gives the result it gets
    alone, byte for byte: an answer shared across a span is each of its dates' own."""
    charts, days = _charts(), _days()
    assert len(days) > 150
    rng = random.Random(5)
    runs = [(i, day) for i in range(len(charts)) for day in rng.sample(days, 30)]
    rng.shuffle(runs)
    moved = {(i, day): _moved(charts[i], day - date.fromisoformat(charts[i]["date_of_service"]))
             for i, day in runs}
    together = {run: _result(moved[run]) for run in runs}
    alone = {run: _alone(moved[run]) for run in runs}
    differ = [run for run in runs if together[run] != alone[run]]
    assert differ == [], differ[:5]


def _span_memo(day: date, profile: str = "medicare") -> dict[Any, Any]:
    ref = reference()
    return ref.at(day, ref.default_profile(profile)).alike


@pytest.mark.parametrize("before, on", [
    (date(2023, 6, 30), date(2023, 7, 1)),  # JZ required from 2023-07-01 (Medicare)
    (date(2025, 9, 30), date(2025, 10, 1)),  # a new ICD-10-CM fiscal year (G35 invalid from 2025-10-01)
    (date(2025, 6, 30), date(2025, 7, 1)),  # a quarter ends, nothing else changes
])
def test_a_span_ends_the_day_before_a_change_or_a_new_quarter(before: date, on: date) -> None:
    assert _span_memo(before) is not _span_memo(on)
    assert _span_memo(on + timedelta(days=2)) is _span_memo(on + timedelta(days=9))  # the new span goes on


def test_dates_of_one_span_share_its_answers() -> None:
    assert _span_memo(date(2026, 3, 2)) is _span_memo(date(2026, 3, 17))
    assert _span_memo(date(2025, 4, 15)) is _span_memo(date(2025, 6, 30))  # the months of a quarter, no change
    assert _span_memo(date(2026, 3, 2)) is not _span_memo(date(2026, 3, 2), "commercial")


def test_a_parameter_that_changes_mid_month_splits_the_month(tmp_path: Path) -> None:
    """A plan that requires JZ from 2026-03-15: a claim of the 14th has no JZ, one of the 15th has it, whichever is
    coded first (the discard modifiers are a span's answer; the day a value starts bounds a span)."""
    (tmp_path / "plan.toml").write_text(
        '[profile]\nname = "mid-month-jz"\ntitle = "Plan"\npayer_types = []\nextends = "commercial"\n\n'
        '[parameters.jz_required]\nlabel = "j"\nsource = "s"\nvalues = { "2000-01-01" = false, "2026-03-15" = true }\n')
    payer = {"type": "commercial", "name": "Plan", "profile": str(tmp_path / "plan.toml")}

    def modifiers(day: int) -> list[list[str]]:
        chart = json.loads((ROOT / "examples" / "e02-gamunex-30g-5h.json").read_text(encoding="utf-8"))["input"]
        moved = _moved({**chart, "payer": payer}, date(2026, 3, day) - date.fromisoformat(chart["date_of_service"]))
        return [ln.modifiers for ln in engine.build(parse_encounter(moved)).claim.lines if ln.code == "J1561"]

    for order in ((14, 15), (15, 14)):
        got = {day: modifiers(day) for day in order}
        assert got == {14: [[]], 15: [["JZ"]]}, order


def test_a_family_without_a_code_names_each_date_of_a_span() -> None:
    """Cutaquig and Xembify had no HCPCS code of their own in March 2020 and no NOS code for their route:
    DRUG-NO-CODE names the claim's own product and date, whichever product and date of the month was coded first
    (a message that names the date is never a span's shared answer, nor one family's another's)."""
    chart = json.loads((ROOT / "examples" / "e06-cuvitru-sc.json").read_text(encoding="utf-8"))["input"]

    def said(product: str, day: date) -> list[str]:
        data = {**json.loads(json.dumps(chart)), "payer": {"type": "commercial", "name": "Plan"}}
        for drug in data["drugs"]:
            if drug.get("product"):
                drug["product"] = product
                drug.pop("ndc", None)
                for c in drug.get("containers", []):
                    c.pop("ndc", None)
        moved = _moved(data, day - date.fromisoformat(chart["date_of_service"]))
        return [f.message for f in engine.build(parse_encounter(moved)).findings if f.edit == "DRUG-NO-CODE"]

    runs = [(p, d) for p in ("Cutaquig", "Xembify") for d in (date(2020, 3, 2), date(2020, 3, 16))]
    for order in (runs, runs[::-1]):
        got = {run: said(*run) for run in order}
        assert got == {(p, d): [f"{p} had no HCPCS code of its own on {d}."] for p, d in order}, order


@pytest.mark.from_source  # it patches a compiled class's limit
def test_span_bounds_stay_bounded_with_many_profiles(monkeypatch) -> None:
    """A run naming many profile files keeps at most PROFILES_LIMIT profiles' bounds, and forgets their spans'
    answers with them (they are keyed by the ids of the profiles the bounds keep alive)."""
    from igclaim.refdata import rules as rules_mod

    monkeypatch.setattr(rules_mod.Snapshots, "PROFILES_LIMIT", 2)
    ref = reference()
    snapshots = Snapshots(ref)
    profiles = [replace_profile(ref.default_profile("commercial"), f"p{i}") for i in range(5)]
    for p in profiles:
        snapshots.at(date(2026, 3, 2), p).alike["x"] = p.name
        assert len(snapshots._bounds) <= 2 and len(snapshots._alike) <= 2  # after every profile, not only the last
    assert snapshots.at(date(2026, 3, 3), profiles[-1]).alike["x"] == "p4"


def replace_profile(profile: Any, name: str) -> Any:
    from dataclasses import replace

    return replace(profile, name=name, path=f"bundled:{name}")


def test_a_release_registered_in_the_process_gets_spans_of_its_own(monkeypatch) -> None:
    """A release registered between two claims of one date and profile (no import, so the tables and their spans
    stay) answers the second claim: its DX-INVALID is the new release's, not the answer the span gave before."""
    monkeypatch.setattr(icd10, "_REGISTERED", [])
    chart = json.loads((ROOT / "examples" / "e02-gamunex-30g-5h.json").read_text(encoding="utf-8"))["input"]

    def invalid() -> list[str]:
        return [f.message for f in engine.build(parse_encounter(chart)).findings if f.edit == "DX-INVALID"]

    assert chart["diagnoses"] == ["D83.9"] and invalid() == []
    icd10.register_release("TEST-PARTIAL", date(2025, 10, 1), date(2026, 9, 30), ["G35.A"], "test")
    said = invalid()
    assert said and all(m.startswith("D83.9 is not in the TEST-PARTIAL release") for m in said), said
