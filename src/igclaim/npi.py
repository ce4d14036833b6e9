"""National Provider Identifier: ten digits, the last a Luhn check digit computed over the number with the
card-issuer prefix 80840 in front (CMS, "Requirements for NPI check digit",
https://www.cms.gov/Regulations-and-Guidance/Administrative-Simplification/NationalProvIdentStand/Downloads/NPIcheckdigit.pdf).

The shape follows python-stdnum: compact / validate / is_valid / format, and typed errors.

>>> validate('1234567893')
'1234567893'
>>> validate('123 456 7893')
'1234567893'
>>> is_valid('1234567890')
False
>>> calc_check_digit('124531959')
'9'
"""

from __future__ import annotations

import re

__all__ = ["InvalidNPI", "InvalidFormat", "InvalidLength", "InvalidChecksum",
           "compact", "calc_check_digit", "validate", "is_valid", "format"]

# The NPI is an ISO 7812 card number issued under prefix 80840 (health, United States).
_PREFIX = "80840"


class InvalidNPI(ValueError):
    """The text is not a valid NPI."""


class InvalidFormat(InvalidNPI):
    """Characters other than digits (spaces and hyphens are allowed and dropped), or a first digit not 1 or 2."""


class InvalidLength(InvalidNPI):
    """Not ten digits."""


class InvalidChecksum(InvalidNPI):
    """The tenth digit is not the Luhn check digit over 80840 + the first nine."""


def compact(npi: str) -> str:
    """The NPI without spaces or hyphens."""
    return re.sub(r"[\s-]", "", str(npi))


def _luhn_check_digit(payload: str) -> str:
    total = 0
    # Double every second digit from the right of the payload (the check digit will sit to its right).
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def calc_check_digit(first_nine: str) -> str:
    """The check digit for the first nine digits of an NPI."""
    return _luhn_check_digit(_PREFIX + first_nine)


def validate(npi: str) -> str:
    """Return the compact NPI or raise InvalidFormat, InvalidLength or InvalidChecksum."""
    n = compact(npi)
    if not (n.isascii() and n.isdigit()):  # str.isdigit() also takes '²' and '５', which int() or X12 refuse
        raise InvalidFormat(f"NPI {npi!r} must be digits only")
    if len(n) != 10:
        raise InvalidLength(f"NPI {npi!r} must have 10 digits, has {len(n)}")
    if n[0] not in "12":
        raise InvalidFormat(f"NPI {npi!r} must start with 1 or 2")
    if calc_check_digit(n[:9]) != n[9]:
        raise InvalidChecksum(f"NPI {npi!r} fails the check digit (Luhn over 80840 + NPI)")
    return n


def is_valid(npi: str) -> bool:
    try:
        validate(npi)
    except InvalidNPI:
        return False
    return True


def format(npi: str) -> str:  # noqa: A001 - the python-stdnum name
    """The printed form: ten digits, no separators."""
    return compact(npi)
