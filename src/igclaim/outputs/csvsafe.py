"""CSV cells a spreadsheet will not run: a text cell that begins with = + - @, a tab or a carriage return is
prefixed with an apostrophe (OWASP "CSV Injection"), so an encounter id like `=HYPERLINK(...)` stays text.
Plain numbers (`-3`, `-12.50`) are left as they are: they are values, not formulas."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # ASCII: \d takes "１"


def cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def row(values: Iterable[Any]) -> list[Any]:
    """Every cell of one CSV row, neutralised."""
    return [cell(v) for v in values]
