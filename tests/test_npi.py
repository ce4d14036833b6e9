"""NPI check digit: Luhn over 80840 + the NPI (CMS NPI check digit paper); errors are typed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from igclaim import npi

# 1234567893 is the worked example of the CMS check-digit paper; the others are synthetic.
VALID = ["1234567893", "1245319599", "1526018159", "1908301660", "1131860912"]


@pytest.mark.parametrize("value", VALID)
def test_valid(value):
    assert npi.validate(value) == value
    assert npi.is_valid(value)


def test_compact_drops_spaces_and_hyphens():
    assert npi.validate("123-456 7893") == "1234567893"


@pytest.mark.parametrize("value,error", [
    ("1234567890", npi.InvalidChecksum),
    ("123456789", npi.InvalidLength),
    ("12345678933", npi.InvalidLength),
    ("12345678A3", npi.InvalidFormat),
    ("3234567893", npi.InvalidFormat),
])
def test_invalid(value, error):
    with pytest.raises(error):
        npi.validate(value)
    assert not npi.is_valid(value)


@given(st.from_regex(r"[12][0-9]{8}", fullmatch=True))
def test_computed_check_digit_validates(first_nine):
    assert npi.is_valid(first_nine + npi.calc_check_digit(first_nine))


@given(st.from_regex(r"[12][0-9]{8}", fullmatch=True), st.integers(1, 9))
def test_wrong_check_digit_fails(first_nine, shift):
    good = int(npi.calc_check_digit(first_nine))
    assert not npi.is_valid(first_nine + str((good + shift) % 10))


def test_single_digit_change_is_caught():
    base = "1234567893"
    for i in range(1, 9):
        for d in "0123456789":
            if d != base[i]:
                assert not npi.is_valid(base[:i] + d + base[i + 1:])


@pytest.mark.parametrize("value", ["12345678²3", "１２３４５６７８９３", "1234567893\u0663"[:9] + "\u0663"])
def test_digits_other_than_ascii_are_a_format_error_never_a_crash(value):
    """str.isdigit() takes '²' (which int() refuses: a ValueError escaped from the 837 export, exit 3) and the
    full-width '５' (which X12 cannot carry). An NPI is ten ASCII digits."""
    with pytest.raises(npi.InvalidFormat):
        npi.validate(value)
    assert not npi.is_valid(value)
