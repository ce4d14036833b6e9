"""National Drug Code: the 10-digit labeler-product-package code in its three layouts, and the 11-digit
5-4-2 form that HIPAA claims carry.

The 10-digit layouts 4-4-2, 5-3-2 and 5-4-1 are padded with a zero in the short segment
(FDA/CMS NDC conversion, https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files).
A bare 10-digit string cannot be padded without knowing its layout, so it must carry hyphens.

>>> compact('13533-800-40')
'13533080040'
>>> compact('0944-2850-01')
'00944285001'
>>> format('13533080040')
'13533-0800-40'
>>> is_valid('1234-567-89')
False
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["InvalidNDC", "compact", "validate", "is_valid", "format"]

_LAYOUTS = {(4, 4, 2): 0, (5, 3, 2): 1, (5, 4, 1): 2, (5, 4, 2): None}


class InvalidNDC(ValueError):
    """The text is not an NDC in any of the accepted layouts."""


@lru_cache(maxsize=4096)  # a batch repeats the same few hundred NDCs; an invalid one raises every time
def compact(ndc: str) -> str:
    """The 11-digit form (no hyphens) of an NDC in any 10-digit layout or 11 digits."""
    text = re.sub(r"[\s*]", "", str(ndc))
    if re.fullmatch(r"[0-9]{11}", text):  # ASCII digits: \d and str.isdigit() also take '５' and '¹'
        return text
    parts = text.split("-")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts):
        raise InvalidNDC(
            f"{ndc!r} is not an NDC: give 11 digits, or 10 digits with hyphens (4-4-2, 5-3-2, 5-4-1)"
        )
    shape = tuple(len(p) for p in parts)
    if shape not in _LAYOUTS:
        raise InvalidNDC(f"{ndc!r} has segments {'-'.join(map(str, shape))}: use 4-4-2, 5-3-2, 5-4-1 or 5-4-2")
    pad = _LAYOUTS[shape]
    if pad is not None:
        parts[pad] = "0" + parts[pad]
    return "".join(parts)


def validate(ndc: str) -> str:
    """Return the 11-digit NDC or raise InvalidNDC."""
    return compact(ndc)


def is_valid(ndc: str) -> bool:
    try:
        compact(ndc)
    except InvalidNDC:
        return False
    return True


def format(ndc: str) -> str:  # noqa: A001 - the python-stdnum name
    """The 5-4-2 hyphenated form."""
    n = compact(ndc)
    return f"{n[:5]}-{n[5:9]}-{n[9:]}"
