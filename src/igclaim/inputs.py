"""Reading encounters: a JSON object in the public schema, or a worked-example file that wraps one in
{"input": …} (shared/examples)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from igclaim.errors import pydantic_problems
from igclaim.model import Encounter


class InvalidInput(ValueError):
    """The input is not a valid encounter; `problems` holds one line per field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def unwrap(obj: Any) -> Any:
    if isinstance(obj, dict) and "input" in obj and "encounter_id" not in obj:
        return obj["input"]
    return obj


def _number_written_lines(obj: dict) -> dict:
    """Written claim lines without `line` are numbered in order (1, 2, …), as the CSV input already does."""
    claim = obj.get("claim")
    lines = claim.get("lines") if isinstance(claim, dict) else None
    if not isinstance(lines, list) or all(not isinstance(ln, dict) or "line" in ln for ln in lines):
        return obj
    numbered = [{"line": n, **ln} if isinstance(ln, dict) and "line" not in ln else ln
                for n, ln in enumerate(lines, start=1)]
    return {**obj, "claim": {**claim, "lines": numbered}}


def parse_encounter(obj: Any) -> Encounter:
    obj = unwrap(obj)
    if isinstance(obj, dict) and obj.get("resourceType") == "Bundle":  # a FHIR R4 chart (readers/fhir.py)
        from igclaim.readers.fhir import parse_bundle

        return parse_bundle(obj)
    if not isinstance(obj, dict):
        raise InvalidInput(["(top level): an encounter is a JSON object"])
    obj = _number_written_lines(obj)
    try:
        return Encounter.model_validate(obj)
    except ValidationError as exc:
        raise InvalidInput(pydantic_problems(exc, Encounter)) from None


def parse_json_text(text: str) -> Encounter:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput([f"(json) line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    return parse_encounter(obj)
