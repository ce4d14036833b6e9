"""The one dated-range rule every lookup by date of service uses: a value is in force from its start through its
end, both inclusive; a missing start or end leaves that side open (OpenFisca's instant lookup, igclaim's
`effective`/`ends` in every data file)."""

from __future__ import annotations

from datetime import date


def within(day: date, start: date | None, end: date | None) -> bool:
    """Whether `day` falls in [start, end] (inclusive; None: open on that side).

    >>> within(date(2023, 7, 1), date(2023, 7, 1), None), within(date(2023, 6, 30), date(2023, 7, 1), None)
    (True, False)
    >>> within(date(2021, 3, 31), None, date(2021, 3, 31)), within(date(2021, 4, 1), None, date(2021, 3, 31))
    (True, False)
    """
    return (start is None or start <= day) and (end is None or day <= end)
