"""Text from a chart, a claim or a remittance shown on a terminal. Rich reads a plain string as markup, so a
diagnosis or claim id holding "[/bold]" raised MarkupError (an internal error, exit 3) and "[link=…]" made a
link; and Rich passes ESC through, so an encounter id holding ESC ] 0 ; … BEL retitled the biller's terminal
and ESC [ 2 J cleared it. Such text goes out as a `Text` (never markup) with its control characters written
as escapes (\\x1b), so the biller sees that the value holds one."""

from __future__ import annotations

import re

from rich.text import Text

# C0 and C1 controls but tab, newline and carriage return, and the invisible format characters that reorder or hide
# text (bidirectional overrides and isolates, zero-width spaces and joiners).
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_HIDDEN = re.compile(f"[{_CONTROLS}\r]")  # on a terminal a carriage return overwrites the line with what follows
_HIDDEN_IN_CELL = re.compile(f"[{_CONTROLS}]")  # a (quoted) CSV cell carries its line ends as text
# stderr's problems are one a line, for a tool reading them line by line: every line break str.splitlines() knows
_HIDDEN_IN_LINE = re.compile(f"[{_CONTROLS}\r\n\u2028\u2029]")


def _escape(m: re.Match[str]) -> str:
    return m.group().encode("unicode_escape").decode("ascii")


def shown(text: str, *, cell: bool = False, line: bool = False) -> str:
    """`text` with each control or invisible format character written as its escape (ESC → \\x1b); in a CSV `cell`,
    line ends are left to the CSV's quoting; as one `line` (a problem on stderr), its line breaks are escaped too."""
    return (_HIDDEN_IN_CELL if cell else _HIDDEN_IN_LINE if line else _HIDDEN).sub(_escape, text)


def cell(text: object) -> Text:
    """A table cell or title from data: never read as markup, controls shown as escapes."""
    return Text(shown(str(text)))
