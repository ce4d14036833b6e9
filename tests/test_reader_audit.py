"""The 837 input path (a claim someone wrote, read from an 837P/837I and scrubbed), as an outside audit found it:
claims lost without a word, facts of the written claim dropped when a chart joins, and written numbers no edit
compared. Each test names the finding it answers."""

from __future__ import annotations

import io
import json

from igclaim.readers.x12 import MAX_SEGMENT, ReadError, WrittenClaim, read_837
from tests.conftest import ROOT

CHART_PATH = ROOT / "examples" / "parties" / "office-gamunex-jz.json"
CHART = json.loads(CHART_PATH.read_text())


def _read(text: str) -> list:
    return list(read_837(io.StringIO(text)))


def _flat(x12_text: str) -> str:
    """igclaim's own 837P of the office chart, with no line breaks between its segments."""
    return x12_text.replace("~\n", "~")


# --- F1: a segment terminator other than the one the ISA declares --------------------------------------------------

def _declare(text: str, terminator: str) -> str:
    """The interchange with its ISA's last character (the segment terminator it declares) changed."""
    return text[:105] + terminator + text[106:]


def test_segments_ended_by_another_terminator_than_the_isas_are_one_isa_error(x12_text):
    """The ISA declares '|' and every segment ends with '~': 0 results and two envelope errors at "segment 2
    (IEA)" (IEA and GE missing), the claims gone without a word."""
    for text in (_flat(x12_text), x12_text):  # with or without line breaks after each '~'
        items = _read(_declare(text, "|"))
        (err,) = items
        assert isinstance(err, ReadError)
        assert (err.segment, err.position, err.element) == ("ISA", 1, "ISA16")
        assert "ends its segments with '~'" in err.message and "declares '|'" in err.message


def test_another_terminator_in_a_file_longer_than_a_segment_may_be_is_named_too(x12_text):
    text = _flat(x12_text)
    start, end = text.index("CLM*"), text.index("SE*")
    claim = text[start:end]
    big = _declare(text[:start] + claim * (MAX_SEGMENT // len(claim) + 2) + text[end:], "|")
    (err,) = _read(big)
    assert err.element == "ISA16" and "ends its segments with '~'" in err.message


def test_a_value_holding_punctuation_is_not_taken_for_another_terminator(x12_text):
    text = _flat(x12_text).replace("*1234567893*00952*", "*12345-67893*00952*", 1)  # GS02 with a hyphen
    assert text != _flat(x12_text)
    assert [type(i) for i in _read(text)] == [WrittenClaim]
