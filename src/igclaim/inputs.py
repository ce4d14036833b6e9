"""Reading encounters: a JSON object in the public schema, or a worked-example file that wraps one in
{"input": …} (shared/examples).

Every input is hostile until checked (docs/limits.md): at most MAX_INPUT_BYTES of UTF-8 (a leading BOM is
accepted), JSON nested at most MAX_DEPTH deep, no NaN/Infinity, numbers within the schema's bounds. Each
violation is an InvalidInput naming the field, never a traceback.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from igclaim.errors import SHOWN_MAX, InputError, pydantic_problems
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
    if not isinstance(claim, dict):
        return obj
    lines = claim.get("lines")
    if not isinstance(lines, list) or all(not isinstance(ln, dict) or "line" in ln for ln in lines):
        return obj
    numbered = [{"line": n, **ln} if isinstance(ln, dict) and "line" not in ln else ln
                for n, ln in enumerate(lines, start=1)]
    return {**obj, "claim": {**claim, "lines": numbered}}


# One encounter is a few kilobytes; a megabyte is generous and bounds the parser's time and memory.
MAX_INPUT_BYTES = 1_048_576
# Files of many encounters (export's JSON Lines); the batch runner streams its input and has no file limit.
MAX_FILE_BYTES = 64 * MAX_INPUT_BYTES
# The schema nests 5 deep (encounter.claim.lines[].modifiers[]); anything far deeper is not an encounter.
MAX_DEPTH = 32
# Integers longer than this are kept exact (as Decimal) so the schema's bounds name the field, instead of
# Python's own 4,300-digit limit raising from inside the JSON parser.
_LONG_INT_DIGITS = 18


_UNDECODED = re.compile("[\udc80-\udcff]")


def _parse_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= _LONG_INT_DIGITS else Decimal(text)


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads' object_pairs_hook: a key written twice in one object is refused. json.loads would keep the last
    value and drop the first without a word (a hand-edited chart with two "diagnoses" loses one list)."""
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key[:SHOWN_MAX]!r} appears twice in one object (JSON would keep only the "
                                 "last value)")
            seen.add(key)
    return obj


_NESTED = (dict, list)


def depth_problem(obj: Any, limit: int = MAX_DEPTH) -> str | None:
    """Nesting deeper than `limit` (iterative: a hostile document cannot exhaust the stack here)."""
    if not isinstance(obj, _NESTED):
        return None
    # Only containers are pushed: a leaf (most of a chart's values) costs one isinstance.
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return f"(json): nested deeper than {limit} levels"
        for v in node.values() if isinstance(node, dict) else node:
            if isinstance(v, _NESTED):
                stack.append((v, depth + 1))
    return None


def decode_input(data: bytes, what: str = "(input)", limit: int = MAX_INPUT_BYTES) -> str:
    """Bytes → text: at most `limit` bytes, UTF-8 with or without a BOM."""
    if len(data) > limit:
        raise InvalidInput([f"{what}: larger than {limit:,} bytes (the limit for this input)"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidInput([f"{what}: not UTF-8 text (line {line}, byte {exc.start + 1} is 0x{data[exc.start]:02x})"]
                           ) from None


def undecoded_byte(text: str | None) -> int | None:
    """The first byte that was not UTF-8 in text decoded with errors="surrogateescape" (None: all UTF-8). Readers
    that stream keep such bytes visible this way, so the record holding one is refused, never silently replaced."""
    for ch in text or "":
        if "\udc80" <= ch <= "\udcff":
            return ord(ch) - 0xDC00
    return None


def read_input_file(path: str, stdin: Any = None, limit: int = MAX_INPUT_BYTES) -> str:
    """The text of one input file, or of stdin for '-', within the size limit (never reads more than it)."""
    try:
        if path == "-":
            import sys

            stream = stdin if stdin is not None else sys.stdin.buffer
            data = stream.read(limit + 1)
        else:
            with Path(path).open("rb") as f:
                data = f.read(limit + 1)
    except OSError as exc:
        raise InvalidInput([f"cannot read: {exc.strerror}"]) from None
    return decode_input(data, limit=limit)


def text_lines(text: str) -> list[str]:
    """The lines of JSON Lines text: split at line feeds only, a CR before one dropped. str.splitlines also splits
    at U+2028, U+0085 and other characters JSON allows inside a string, so one encounter would become two. Text
    with CRs and no line feed at all ends its lines in CR alone (an old Mac's, some exports'; JSON holds no raw CR):
    split there (batch/sources.py reads a file the same way)."""
    if "\n" not in text and "\r" in text:
        return text.split("\r")
    return [line.removesuffix("\r") for line in text.split("\n")]


def parse_json(text: str) -> Any:
    """json.loads that keeps long integers exact (Decimal) instead of failing on Python's 4,300-digit limit, and
    refuses a key written twice in one object (`unique_keys`). Raises json.JSONDecodeError, RecursionError and
    ValueError."""
    return json.loads(text, parse_int=_parse_int, object_pairs_hook=unique_keys)


def load_json(text: str) -> Any:
    """JSON text → Python values; hostile nesting is refused here, while NaN, Infinity and 1e999999 (a float
    overflow) pass through as non-finite floats so that the schema refuses them naming their field."""
    text = text.removeprefix("\ufeff")
    bad = _UNDECODED.search(text)
    if bad:  # bytes that were not UTF-8, kept by a reader that used errors="surrogateescape"
        raise InvalidInput([f"(input): not UTF-8 text (character {bad.start() + 1})"])
    if len(text) > MAX_INPUT_BYTES:
        raise InvalidInput([f"(input): larger than {MAX_INPUT_BYTES:,} characters (the limit for one encounter)"])
    try:
        obj = parse_json(text)
    except json.JSONDecodeError as exc:
        # A second document after the first: JSON Lines given where one encounter is read.
        hint = ("; more than one JSON document where one encounter is read (JSON Lines go to `igclaim batch` or "
                "POST /api/encounters)") if exc.msg == "Extra data" else ""
        raise InvalidInput([f"(json) line {exc.lineno} column {exc.colno}: {exc.msg}{hint}"]) from None
    except RecursionError:
        raise InvalidInput([f"(json): nested deeper than {MAX_DEPTH} levels"]) from None
    except ValueError as exc:
        raise InvalidInput([f"(json): {exc}"]) from None
    problem = depth_problem(obj)
    if problem:
        raise InvalidInput([problem])
    return obj


def parse_encounter(obj: Any) -> Encounter:
    """A JSON value → a validated Encounter; nesting deeper than MAX_DEPTH is refused as such, before any other
    problem. A plain encounter object is walked for its depth only when the schema refused it: the schema has no
    field that takes a container of any depth (every model forbids extra keys), so one it accepts nests at most
    5 deep, and the walk (a tenth of reading a chart) is paid on the error path alone."""
    inner = unwrap(obj)
    bundle = isinstance(inner, dict) and inner.get("resourceType") == "Bundle"  # a FHIR R4 chart (readers/fhir.py)
    plain = inner is obj and isinstance(obj, dict) and not bundle
    if not plain:  # a wrapper, a FHIR bundle or not an object: the whole document's depth first, as read
        problem = depth_problem(obj)
        if problem:
            raise InvalidInput([problem])
    obj = inner
    if bundle:
        from igclaim.readers.fhir import parse_bundle

        return parse_bundle(obj)
    if not isinstance(obj, dict):
        raise InvalidInput(["(top level): an encounter is a JSON object"])
    if "resourceType" in obj:  # a FHIR resource, not a Bundle: told once, not as every field the schema misses
        from igclaim.readers.fhir import not_a_chart

        wrong = not_a_chart(obj)
        if wrong:
            raise InvalidInput([wrong])
    numbered = _number_written_lines(obj)
    try:
        return Encounter.model_validate(numbered)
    except ValidationError as exc:
        problem = depth_problem(obj) if plain else None
        if problem:
            raise InvalidInput([problem]) from None
        raise InvalidInput(pydantic_problems(exc, Encounter)) from None


def parse_json_text(text: str) -> Encounter:
    return parse_encounter(load_json(text))


def filing_day(text: str) -> date:
    """The command line's --filing-date: YYYY-MM-DD, or "today" (the one place a result may follow the day it is
    computed, because the user asked for it)."""
    value = text.strip()
    if value.lower() == "today":
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value[:SHOWN_MAX]!r} is not a date (YYYY-MM-DD) or 'today'") from None


def filed_on(enc: Encounter, day: date | None) -> Encounter:
    """The encounter with `day` (--filing-date: the day these claims reach the payer) as its filing date, when it
    gives none of its own; a day before its date of service is an input error naming the option."""
    if day is None or enc.filing_date is not None:
        return enc
    if day < enc.date_of_service:
        raise InputError("--filing-date", f"{day} is before the date of service of encounter {enc.encounter_id}")
    return enc.model_copy(update={"filing_date": day})
