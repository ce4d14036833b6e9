"""CSV cells a spreadsheet will not run: a text cell that begins with = + - @, a tab or a carriage return is
prefixed with an apostrophe (OWASP "CSV Injection"), so an encounter id like `=HYPERLINK(...)` stays text.
Plain numbers (`-3`, `-12.50`) are left as they are: they are values, not formulas. Control and invisible format
characters (NUL, ESC, a bidirectional override) are written as escapes (\\x00), as on a terminal (terminal.shown):
NUL breaks CSV readers and ESC drives the terminal of whoever prints the file; line ends and tabs are CSV text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from igclaim.outputs.terminal import shown

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # ASCII: \d takes "１"


def cell(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value.startswith(_TRIGGERS) and not _NUMBER.fullmatch(value):
        value = "'" + value
    return shown(value, cell=True)


def row(values: Iterable[Any]) -> list[Any]:
    """Every cell of one CSV row, neutralised."""
    return [cell(v) for v in values]
