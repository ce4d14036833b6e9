"""An ISA out of its fixed layout is one error naming the element, not hundreds of unreadable segments.

The ISA's 16 elements have fixed lengths (X12.5; the 837 TR3's appendix C), so readers find the component separator
and the segment terminator as its 105th and 106th characters. ISA13 of 10 digits, or ISA06 of 16 characters, made
every later segment unreadable (an audit counted 659 errors on one file, none naming the cause), or quoted pyx12's
"Interchange Control Version Number is unknown" for an element that was not the version."""

from __future__ import annotations

import pytest

from igclaim.readers.x12 import ISA_ELEMENT_LENGTHS, ISA_LENGTH, ReadError, isa_problem, read_837
from tests.conftest import run_cli


def _with(text: str, element: int, value: str) -> str:
    parts = text[:ISA_LENGTH].split("*")
    parts[element] = value
    return "*".join(parts) + text[ISA_LENGTH:]


def _read(tmp_path, text: str) -> list:
    f = tmp_path / "in.837"
    f.write_text(text)
    return list(read_837(f))


def test_the_layout_is_the_standards():
    assert ISA_ELEMENT_LENGTHS == (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1) and ISA_LENGTH == 106


@pytest.mark.parametrize(("element", "change", "length"), [
    (13, lambda v: v + "0", 10),  # the control number one digit long: read by pyx12, every segment after lost
    (6, lambda v: v + " ", 16),  # the sender id one too long: pyx12 refused it as an unknown version
    (6, lambda v: v[:-1], 14),
    (2, lambda v: v[:-3], 7),
])
def test_an_element_of_another_length_is_named_in_one_error(tmp_path, x12_text, element, change, length):
    value = x12_text[:ISA_LENGTH].split("*")[element]
    got = _read(tmp_path, _with(x12_text, element, change(value)))
    assert len(got) == 1 and isinstance(got[0], ReadError)
    assert (got[0].segment, got[0].element) == ("ISA", f"ISA{element:02d}")
    assert got[0].message.startswith(f"{length} characters where the ISA's fixed layout has "
                                     f"{ISA_ELEMENT_LENGTHS[element - 1]}")
    assert not value.strip() or value.strip() not in got[0].message  # no value quoted


def test_a_terminator_that_is_the_component_separator_is_named(tmp_path, x12_text):
    (err,) = _read(tmp_path, x12_text[:104] + "::" + x12_text[105:])
    assert (err.element, err.message.split(";")[0]) == ("ISA16", "the component separator (ISA16) and the segment "
                                                         "terminator (the ISA's last character) must be two different "
                                                         "characters, neither a letter, a digit nor the element "
                                                         "separator")


def test_an_isa_as_made_and_one_whose_lengths_make_up_for_each_other_are_read(tmp_path, x12_text):
    """ISA06 of 16 and ISA08 of 14 still put the delimiters where a reader finds them: read, as before (a payer's
    front end may refuse it; that is not a reason to lose the claims here)."""
    parts = x12_text[:ISA_LENGTH].split("*")
    made_up = _with(_with(x12_text, 6, parts[6] + " "), 8, parts[8][:-1])
    for text in (x12_text, made_up):
        got = _read(tmp_path, text)
        assert [type(g).__name__ for g in got] == ["WrittenClaim"]
    assert isa_problem(x12_text[:ISA_LENGTH]) is None
    assert isa_problem(made_up[:ISA_LENGTH]) == ("ISA06", isa_problem(made_up[:ISA_LENGTH])[1])  # diagnosed if asked


def test_the_cli_says_it_in_one_line(tmp_path, x12_text):
    f = tmp_path / "in.837"
    f.write_text(_with(x12_text, 13, x12_text[:ISA_LENGTH].split("*")[13] + "0"))
    done = run_cli("scrub", str(f), "--format", "json")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [f"{f}: segment 1 (ISA ISA13): 10 characters where the ISA's fixed layout has "
                                        "9: every ISA element has a fixed length, so the separators and the segment "
                                        "terminator are found by position, and this interchange cannot be read. Pad "
                                        "or cut the element to its length."]


def test_a_short_isa_followed_by_a_line_break_is_named_not_read_with_the_break_as_terminator(tmp_path, x12_text):
    """ISA13 of 8 digits and a line break after the ISA: the 106th character read is the line break, a terminator a
    reader would take; the element before it is one short, so the layout is wrong and ISA13 is named."""
    text = x12_text[:ISA_LENGTH] + "\n" + x12_text[ISA_LENGTH:]
    (err,) = _read(tmp_path, _with(text, 13, text[:ISA_LENGTH].split("*")[13][:-1]))
    assert (err.element, err.message[:52]) == ("ISA13", "8 characters where the ISA's fixed layout has 9: eve")
