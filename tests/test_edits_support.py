"""Helpers for the edit tests: a correct chart, its built claim, and scrubbing a claim changed on purpose."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

from igclaim import engine
from igclaim.inputs import parse_json_text
from igclaim.model import Result

BASE: dict = {
    "encounter_id": "t1",
    "date_of_service": "2026-03-02",
    "setting": "office",
    "payer": {"type": "medicare", "name": "Medicare Part B"},
    "diagnoses": ["D83.9"],
    "drugs": [{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
               "containers": [{"grams": 10, "count": 3}]}],
    "administrations": [{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"}],
}


def chart(**changes) -> dict:
    """The base chart with top-level fields replaced; drug0={...} updates the first drug."""
    enc = copy.deepcopy(BASE)
    drug0 = changes.pop("drug0", None)
    enc.update(copy.deepcopy(changes))
    if drug0:
        enc["drugs"][0].update(drug0)
    return enc


def build(enc: dict) -> Result:
    return engine.build(parse_json_text(json.dumps(enc)))


def built_claim(enc: dict) -> dict:
    return json.loads(build(enc).claim.model_dump_json())


def scrub(enc: dict, change: Callable[[dict], None] | None = None, claim: dict | None = None) -> Result:
    """Scrub `claim` (default: build's own claim for the chart, then `change` applied to it)."""
    written = copy.deepcopy(claim) if claim is not None else built_claim(enc)
    if change:
        change(written)
    return engine.scrub(parse_json_text(json.dumps(dict(enc, claim=written))))


def ids(result: Result, severity: str | None = None) -> set[str]:
    return {f.edit for f in result.findings if severity is None or f.severity == severity}


def only(result: Result, edit: str):
    found = [f for f in result.findings if f.edit == edit]
    assert found, f"{edit} not raised: {[(f.edit, f.message) for f in result.findings]}"
    return found[0]


def line(claim: dict, code: str, jw: bool = False) -> dict:
    return next(ln for ln in claim["lines"] if ln["code"] == code and ("JW" in ln["modifiers"]) == jw)


def test_base_chart_builds_and_scrubs_clean():
    assert not ids(build(BASE), "error")
    assert not ids(scrub(BASE), "error")
