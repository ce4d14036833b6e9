"""The one dated-range rule every lookup by date of service uses: a value is in force from its start through its
end, both inclusive; a missing start or end leaves that side open (OpenFisca's instant lookup, igclaim's
`effective`/`ends` in every data file)."""

from __future__ import annotations

from calendar import monthrange
from datetime import date


def within(day: date, start: date | None, end: date | None) -> bool:
    """Whether `day` falls in [start, end] (inclusive; None: open on that side).

    >>> within(date(2023, 7, 1), date(2023, 7, 1), None), within(date(2023, 6, 30), date(2023, 7, 1), None)
    (True, False)
    >>> within(date(2021, 3, 31), None, date(2021, 3, 31)), within(date(2021, 4, 1), None, date(2021, 3, 31))
    (True, False)
    """
    return (start is None or start <= day) and (end is None or day <= end)


def months_after(day: date, months: int) -> date:
    """The same day `months` calendar months later, or the last day of that month when it is shorter: Medicare's
    "12 months, or 1 calendar year, after the date of service" (a claim of February 29 is due by February 28).

    >>> months_after(date(2026, 3, 2), 12), months_after(date(2024, 2, 29), 12), months_after(date(2025, 1, 31), 1)
    (datetime.date(2027, 3, 2), datetime.date(2025, 2, 28), datetime.date(2025, 2, 28))
    """
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))
