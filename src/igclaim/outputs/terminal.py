"""Text from a chart, a claim or a remittance shown on a terminal. Rich reads a plain string as markup, so a
diagnosis or claim id holding "[/bold]" raised MarkupError (an internal error, exit 3) and "[link=…]" made a
link; and Rich passes ESC through, so an encounter id holding ESC ] 0 ; … BEL retitled the biller's terminal
and ESC [ 2 J cleared it. Such text goes out as a `Text` (never markup) with its control characters written
as escapes (\\x1b), so the biller sees that the value holds one."""

from __future__ import annotations

import re

from rich.text import Text

# C0 and C1 controls but tab and newline, and the invisible format characters that reorder or hide text
# (bidirectional overrides and isolates, zero-width spaces and joiners).
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def shown(text: str) -> str:
    """`text` with each control or invisible format character written as its escape (ESC → \\x1b)."""
    return _HIDDEN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def cell(text: object) -> Text:
    """A table cell or title from data: never read as markup, controls shown as escapes."""
    return Text(shown(str(text)))
