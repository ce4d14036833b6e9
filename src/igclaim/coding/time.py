"""Minutes of documented time, and the units of timed administration codes.

CPT time rule as CMS applies it (IOM 100-04 ch. 12 §30.5; Noridian A54635): the initial code covers up to one
hour; each additional-hour unit needs *more than* 30 minutes beyond the last full hour (91 minutes → 1,
151 → 2). Contracts that pay only full hours use the `whole_hour` rule (profile `additional_hour_rule`).
"""

from __future__ import annotations

from datetime import datetime

from igclaim.refdata.resolver import SupplyUnits, TimeRules


def minutes_between(start: datetime, stop: datetime) -> int:
    """Whole minutes from start to stop; a stop on the next date runs past midnight."""
    return int((stop - start).total_seconds() // 60)


def additional_hours(minutes: int, rules: TimeRules, rule: str = "cpt") -> int:
    """Add-on units after an initial code (96366, 96370, 96361) for one continuous interval."""
    hour = rules.hour_minutes
    if rule == "whole_hour":
        return max(0, minutes // hour - 1)
    threshold = hour + rules.addon_beyond_minutes  # 90: the first unit starts at 91
    if minutes <= threshold:
        return 0
    return (minutes - threshold - 1) // hour + 1


def hour_units(minutes: int, rules: TimeRules, rule: str = "cpt") -> int:
    """Hour units of an interval billed with an add-on code alone (a later interval of the same drug,
    or secondary hydration): each unit needs more than 30 minutes (31 → 1, 91 → 2)."""
    hour = rules.hour_minutes
    if rule == "whole_hour":
        return max(0, minutes // hour)
    if minutes <= rules.addon_beyond_minutes:
        return 0
    return (minutes - rules.addon_beyond_minutes - 1) // hour + 1


def quarter_hour_units(minutes: int, supply: SupplyUnits) -> int:
    """Units of a time-based home supplies code (Q2052 from 2024): whole 15-minute units, plus one for a
    remainder of at least `round_up_from` minutes (DME MAC table: 8-22 minutes = 1, 23-37 = 2, ...)."""
    whole, rest = divmod(max(0, minutes), supply.unit_minutes)
    return max(supply.min_units, whole + (1 if rest >= supply.round_up_from else 0))
