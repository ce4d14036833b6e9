"""Encounter builders for tests: one IG drug, one administration, defaults that a test overrides."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from igclaim import build, parse_encounter
from igclaim.model import Encounter

ROOT = Path(__file__).resolve().parents[1]

BASE: dict[str, Any] = {
    "encounter_id": "t1",
    "date_of_service": "2026-03-02",
    "setting": "office",
    "payer": {"type": "medicare", "name": "Medicare Part B"},
    "diagnoses": ["D83.9"],
    "drugs": [{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
               "containers": [{"grams": 10, "count": 3}]}],
    "administrations": [{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"}],
}


def encounter(**changes: Any) -> dict[str, Any]:
    enc = copy.deepcopy(BASE)
    for key, value in changes.items():
        enc[key] = value
    return enc


def drug(**changes: Any) -> dict[str, Any]:
    d = copy.deepcopy(BASE["drugs"][0])
    d.update(changes)
    return d


def infusion(minutes: int, start: str = "2026-03-02T09:00", drug_id: str = "ig1", **extra: Any) -> dict[str, Any]:
    from datetime import datetime, timedelta

    s = datetime.fromisoformat(start)
    return {"drug_id": drug_id, "start": s.isoformat(timespec="minutes"),
            "stop": (s + timedelta(minutes=minutes)).isoformat(timespec="minutes"), **extra}


def lines(result) -> list[tuple[str, tuple[str, ...], int]]:
    return [(ln.code, tuple(ln.modifiers), ln.units) for ln in result.claim.lines]


def admin_lines(result) -> dict[str, int]:
    return {ln.code: ln.units for ln in result.claim.lines if not ln.code.startswith(("J", "Q"))}


def run(enc: dict[str, Any], profile: str | None = None):
    return build(parse_encounter(enc), profile=profile)


def ids(result) -> set[str]:
    return {f.edit for f in result.findings}


def example_input(name: str, day: str | None = None) -> dict[str, Any]:
    """A worked example's chart (examples/NAME.json, its `input`), moved to another date of service (times move with
    it)."""
    text = json.dumps(json.loads((ROOT / "examples" / f"{name}.json").read_text(encoding="utf-8"))["input"])
    return json.loads(text.replace("2026-03-02", day) if day else text)


def example(name: str, day: str | None = None) -> Encounter:
    """`example_input`, validated."""
    return Encounter.model_validate(example_input(name, day))
