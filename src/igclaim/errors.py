"""Input errors that name the field, so a biller can find it (exit status 2, never a traceback)."""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any


class InputError(ValueError):
    """The chart cannot be coded as given; `path` is the field, e.g. ``drugs[0].containers``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """' (did you mean Privigen?)' when a known word is close to the one given, else ''."""
    names = list(known)
    by_key = {n.lower(): n for n in names}
    close = difflib.get_close_matches(word.lower(), list(by_key), n=1, cutoff=0.6)
    return f" (did you mean {by_key[close[0]]}?)" if close else ""


# What a value of each shape looks like, for messages that show the right shape.
_SHAPES = {
    "Dose": '{"grams": 30} (or {"mg": 500}, or {"ml": 300, "concentration_percent": 10})',
    "Container": '{"grams": 10, "count": 3} (or {"ndc": "13533-0800-71"})',
    "Address": '{"line1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701"}',
    "PriorAuthorization": '{"number": "PA-1", "start": "2026-01-01", "end": "2026-12-31", "units": 80}',
}
_KINDS = {
    "date": "use YYYY-MM-DD, e.g. 2026-03-02",
    "datetime": "use YYYY-MM-DDTHH:MM (local time of the chart), e.g. 2026-03-02T09:00",
    "decimal": "give a number, e.g. 30 or 12.5",
    "float": "give a number, e.g. 30 or 12.5",
    "int": "give a whole number, e.g. 3",
    # model._number_text: "1_000", "١٢" or "１２", which Python's int() and Decimal() would read as a number
    "number": "write the number in the digits 0-9, e.g. 30 (no _ and no other script's digits)",
    "bool": "give true or false",
    "string": "give text in quotes, e.g. {example}",
    "list": "give a list in square brackets, e.g. {example}",
}
# An example value by field name, so a message shows the field's own shape (not a diagnosis for every list).
_EXAMPLES = {
    "diagnoses": '["D83.9"]', "modifiers": '["JZ"]', "containers": '[{"grams": 10, "count": 3}]',
    "drugs": '[{"id": "ig1", "product": "Gamunex-C", "dose": {"grams": 30}}]',
    "administrations": '[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"}]',
    "fluids": '[{"purpose": "flush", "start": "2026-03-02T14:00", "stop": "2026-03-02T14:10"}]',
    "pump_log": '[{"drug_id": "ig1", "start": "2026-03-02T09:02", "stop": "2026-03-02T13:58"}]',
    "lines": '[{"code": "J1561", "modifiers": ["JZ"], "units": 60}]', "encounter_id": '"enc-1001"',
    "claim_id": '"CLM-2026-0001"', "code": '"J1561"', "hcpcs": '"J1200"', "product": '"Privigen"',
    "ndc": '"13533-0805-31"', "npi": '"1234567893"', "member_id": '"1EG4TE5MK72"', "state": '"IL"',
    "zip": '"62701"', "id": '"ig1"', "drug_id": '"ig1"', "number": '"PA-7781"',
}
_ITEMS = {"diagnoses": '"D83.9"', "modifiers": '"JZ"'}
# What a field with a pattern must look like.
_PATTERNS = {"zip": "use 5 or 9 digits, e.g. 62701 or 627011234", "phone": "use 10 digits, e.g. 5555550100",
             "place_of_service": "use the 2-digit CMS place of service code, e.g. 11",
             "hcpcs": "use the 5-character HCPCS code (letters and digits 0-9), e.g. J1200"}


def _model_at(model: Any, loc: tuple) -> Any:
    """The pydantic model class found by following `loc` from `model` (None when the path leaves the models)."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model


def _personal(model: Any, loc: tuple) -> bool:
    """Whether `loc` leads through a model marked `personal` (model.Patient, model.Subscriber): its values are PHI,
    so a message about them names the field and never quotes the value."""
    return any(getattr(_model_at(model, loc[:k]), "personal", False) for k in range(len(loc) + 1))


def personal_field(path: str) -> bool:
    """Whether an encounter's field (`patient.last_name`, `subscriber.address.line1`) is PHI, by the same mark as
    an input error's (model.Patient, model.Subscriber): a message about it names the field, never its value."""
    from igclaim.model import Encounter

    loc = tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\[\]]+", path) if p)
    return _personal(Encounter, loc)


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


SHOWN_MAX = 40  # a value is quoted back only when short: no 5,000-digit number or pasted text in a message


def _quoted(value: Any) -> str | None:
    # An integer too long to show is never written out: past 4,300 digits repr() itself raises.
    if isinstance(value, int) and value.bit_length() > 4 * SHOWN_MAX:
        return None
    text = str(value) if isinstance(value, Decimal) else repr(value)
    return text if len(text) <= SHOWN_MAX else None


def _teach(err: dict, model: Any) -> str:
    """A message a biller can act on, in place of the validation library's wording."""
    kind = err.get("type", "")
    loc = tuple(err.get("loc", ()))
    value = err.get("input")
    shown = None if _personal(model, loc) else _quoted(value)  # a patient's value is PHI: named, never quoted
    ctx = err.get("ctx") or {}
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1]) if model is not None else None
        known = list(getattr(parent, "model_fields", {}))
        return "unknown field" + (did_you_mean(str(loc[-1]), known) if known else "")
    if kind == "missing":
        return "required and missing"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        target = _model_at(model, loc) if model is not None else None
        shape = _SHAPES.get(getattr(target, "__name__", ""))
        if shape is None and target is not None:
            shape = "an object with " + ", ".join(list(target.model_fields)[:6])
        got = f"{shown} is not an object" if shown and isinstance(value, str | int | float) else "give a JSON object"
        return f"{got}; write it as {shape}" if shape else got
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = did_you_mean(str(value), expected) if isinstance(value, str) else ""
        return f"{shown or 'the value'} is not one of {', '.join(expected)}{hint}"
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "string_pattern_mismatch":
        rule = _PATTERNS.get(field, "does not have the expected form")
        return f"{shown}: {rule}" if shown else rule
    # Lengths before the kinds below: "string_too_long" starts with "string_", whose advice (give text in quotes)
    # is wrong for text that was given, only too long or too short.
    if kind == "string_too_short":
        return f"{shown + ': ' if shown else ''}too short: at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"too long: at most {ctx.get('max_length')} characters"
    if kind == "too_short":
        return f"too few: at least {ctx.get('min_length')} items"
    if kind == "too_long":
        return f"too many: at most {ctx.get('max_length')} items"
    item = bool(loc) and isinstance(loc[-1], int)  # an item of a list: its own example, e.g. "D83.9"
    example = _ITEMS.get(field) if item else _EXAMPLES.get(field)
    for prefix, text in _KINDS.items():
        if kind.startswith(prefix + "_") or kind == prefix:
            text = text.format(example=example or ('"text"' if prefix == "string" else "[…]"))
            return f"{shown}: {text}" if shown and isinstance(value, str | int | float) and value != "" else text
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = {"greater_than": ("more than", "gt"), "greater_than_equal": ("at least", "ge"),
                 "less_than": ("less than", "lt"), "less_than_equal": ("at most", "le")}[kind]
        return f"{shown + ': ' if shown else ''}must be {bound[0]} {ctx.get(bound[1])}"
    return re.sub(r"^Input should be ", "must be ", msg)


def loc_path(loc: Sequence[int | str]) -> str:
    """A pydantic error's `loc` as a field path, list items by index: ``drugs[0].dose``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part:
            path += ("." if path else "") + str(part)
    return path


def pydantic_problems(exc, model: Any = None) -> list[str]:
    """One line per problem of a pydantic ValidationError: ``drugs[0].dose: give one of grams, mg, ml``.
    `model` (the validated class) lets a misspelled field suggest the closest known one."""
    lines = []
    for err in exc.errors():
        path = loc_path(err.get("loc", ()))
        msg = _teach(err, model)
        named = re.match(r"^([a-z_]+(\[\d+\])?(\.[a-z_]+(\[\d+\])?)*): (.*)$", msg)
        if named and (not path or named.group(1).startswith(path)):
            path, msg = named.group(1), named.group(5)  # a model check that names its own field
        lines.append(f"{path or '(top level)'}: {msg}")
    return lines


T = typing.TypeVar("T")


class InternalError(RuntimeError):
    """A guarantee igclaim's own code gives itself did not hold: a bug, never bad input (it stays checked under
    `python -O`, unlike an assert)."""


def required(value: T | None, what: str) -> T:
    """The value, which the caller has already made sure is there (e.g. require_parties before the 837 segments)."""
    if value is None:
        raise InternalError(f"{what} is missing")
    return value


# The problems one refusal lists; those beyond are counted in one more line, so a file of 10,000 bad rows is not
# 10,000 lines of an answer.
LISTED_MAX = 20


def listed(lines: list[str]) -> list[str]:
    """The first LISTED_MAX problem lines, and one more counting the rest when there are more."""
    more = len(lines) - LISTED_MAX
    return lines[:LISTED_MAX] + ([f"… and {more:,} more problems, not listed: fix these and check again to see "
                                  "them"] if more > 0 else [])


class InputErrors(InputError):
    """Several field problems found together (a biller fixes them in one pass, not one run per field).
    `path`/`message` are the first problem's, so callers that expect one InputError still work; `lines` lists
    them (at most LISTED_MAX, the rest counted)."""

    def __init__(self, errors: list[InputError]) -> None:
        if not errors:
            raise InternalError("InputErrors needs at least one problem")
        super().__init__(errors[0].path, errors[0].message)
        self.errors = errors

    def lines(self) -> list[str]:
        return listed([str(e) for e in self.errors])


def problem_lines(exc: InputError) -> list[str]:
    """One line per field problem, whether one InputError or several."""
    return exc.lines() if isinstance(exc, InputErrors) else [str(exc)]
