"""Hostile input found by the h9 outside audit of the day's PLB (WO/FB), 340B and tabular changes: each was a
record lost without a word or a crash. Every record comes out as a result or an error naming where it is."""

from __future__ import annotations

import pytest

from igclaim.denials.reader import RemitError, read_835
from tests.test_readers29 import _remit

# --- 835: pyx12 stops reading at a segment it cannot buffer or at an empty one ---------------------------------


@pytest.mark.parametrize("cut", [
    pytest.param(("PLB*", "~PLB*"), id="empty segment (two terminators in a row)"),
    pytest.param(("FB:R1*", "FB:" + "R" * 20_000 + "*"), id="a segment of 20,000 characters"),
])
def test_an_835_pyx12_stops_reading_midway_is_refused_not_read_short(cut):
    """pyx12's segment loop ends, without a word, at an empty segment (`~~`) or at one longer than its 8 KB read:
    the PLB after it, the SE, GE and IEA were never walked. The PLB vanished (BPR02 then balanced), so did a whole
    transaction of no claim; only a lost CLP was noticed. Now the file is refused, naming the segment."""
    text = _remit("PLB*1234567893*20261231*FB:R1*100", "6620").replace(*cut)
    with pytest.raises(RemitError, match=r"segment 67 \(PLB\) of 70"):
        read_835(text)


def test_an_835_read_whole_is_not_refused():
    (remit,) = read_835(_remit("PLB*1234567893*20261231*FB:R1*100", "6620"))
    assert [(a.reason, a.reference) for a in remit.plb] == [("FB", "R1")] and remit.warnings == []
