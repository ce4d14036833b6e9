"""Plausibility edits: a chart whose facts cannot all be true of one visit is suspect, and its claim must not go
out clean. Each value below is inside the schema's domain (docs/limits.md) yet impossible or nearly so for one
immune globulin visit: an administration of more than a day, one charted on another date, the same drug running
twice at once through one access, a date of service in the future or before any data igclaim holds, a dose
that is a tiny fraction of what was opened. All are errors (a person must correct the chart)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from igclaim.coding.administration import MANUAL_CH12
from igclaim.edits.context import EditContext
from igclaim.edits.drug import DISCARDED_DRUGS
from igclaim.edits.registry import edit, finding
from igclaim.model import Administration, Finding, Fluid, PumpLogEntry
from igclaim.refdata.resolver import ReferenceData
from igclaim.refdata.rules import Rules

# The longest documented IG administration is hours (SCIG weekly: 1–2 h; IVIG 2 g/kg: under 8 h); a day is the
# most any one continuous administration can be, and more is a charting error (a wrong date on start or stop).
MAX_ADMINISTRATION = timedelta(hours=24)
# A visit coded ahead of time (an estimate for a scheduled infusion) is warned about; beyond this horizon a
# future date of service is a charting error.
FUTURE_HORIZON = timedelta(days=31)
# A dose below this share of what was opened: a typo in the dose or in the containers (e.g. 0.3 g from 10 × 40 g).
TINY_DOSE_SHARE = Decimal("0.05")

ONE_DAY = timedelta(days=1)  # built once: a timedelta built per claim costs more than the comparisons it serves

HIPAA_CODE_SETS = "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-162/subpart-J"


def _timed(ctx: EditContext, pump: bool = False
           ) -> tuple[tuple[str, Sequence[Administration | Fluid | PumpLogEntry]], ...]:
    """The timed lists of the chart by name (the path is only written out for a finding)."""
    enc = ctx.encounter
    if pump:
        return ("administrations", enc.administrations), ("fluids", enc.fluids), ("pump_log", enc.pump_log)
    return ("administrations", enc.administrations), ("fluids", enc.fluids)


@edit(
    "PLAUSIBILITY-DURATION",
    severity="error",
    statement="an administration or fluid charted as running more than 24 hours",
    fix="Correct the start or stop time (usually the date on one of them); no one administration runs a day.",
    source=MANUAL_CH12,
    phase="chart",
)
def duration(ctx: EditContext) -> list[Finding]:
    found = []
    for name, entries in _timed(ctx):
        for i, a in enumerate(entries):
            start, stop = a.start, a.stop
            if start and stop and stop - start > MAX_ADMINISTRATION:
                hours = (stop - start).total_seconds() / 3600
                found.append(finding("PLAUSIBILITY-DURATION", f"{name}[{i}]: runs {hours:,.1f} hours "
                                     f"({start:%Y-%m-%d %H:%M} to {stop:%Y-%m-%d %H:%M}); more than "
                                     f"{MAX_ADMINISTRATION.total_seconds() / 3600:g} hours is not one administration."))
    return found


@edit(
    "PLAUSIBILITY-DATE",
    severity="error",
    statement="an administration charted on another date than the date of service (other than a run past midnight, "
    "or a Medicare home IVIG infusion given after the drug's delivery, within the days the DME MAC allows)",
    fix="Correct the date of service or the administration's start/stop: it starts on the date of service and "
    "may stop on the next date only when it ran past midnight.",
    source=MANUAL_CH12,
    phase="chart",
)
def other_date(ctx: EditContext) -> list[Finding]:
    """Medicare home IVIG: the drug may be delivered on the date of service and given on a later day, billed with
    Q2052 dated that day within `within_days` (refdata/cms/settings.toml; Noridian JD DME IVIG page), so such an
    infusion is judged on its own day; one later than that is this finding, with the window in its text."""
    dos = ctx.dos
    found = []
    supply = ctx.home_ivig()
    window = supply.within_days if supply is not None else None
    last = dos + timedelta(days=window) if window else dos
    for name, entries in _timed(ctx, pump=True):
        for i, a in enumerate(entries):
            start, stop = a.start, a.stop
            day = dos
            if start and name == "administrations" and dos < start.date() <= last:
                day = start.date()  # a home IVIG infusion after the delivery: its own Q2052 date
            if start and start.date() != day:
                late = ""
                if supply is not None and window and name == "administrations" and start.date() > last:
                    late = (f" Medicare pays home IVIG supplies ({supply.code}) for an infusion within {window} days "
                            f"after the drug's date of service; this one is {(start.date() - dos).days} days after it.")
                found.append(finding("PLAUSIBILITY-DATE", f"{name}[{i}].start: {start:%Y-%m-%d} is not the date of "
                                     f"service {dos:%Y-%m-%d}.{late}"))
            elif stop and stop.date() != day and stop.date() != day + ONE_DAY:
                what = f"the date of service {dos:%Y-%m-%d}" if day == dos else f"its own date {day:%Y-%m-%d}"
                found.append(finding("PLAUSIBILITY-DATE", f"{name}[{i}].stop: {stop:%Y-%m-%d} is neither {what} "
                                     "nor the next date (a run past midnight)."))
    return found


@edit(
    "PLAUSIBILITY-CONCURRENT",
    severity="error",
    statement="one drug charted as running more times at once than the access sites documented for it",
    fix="Correct the overlapping administrations' times, or document the second site (`site`) when the drug "
    "really ran through two accesses at once.",
    source=MANUAL_CH12,
    phase="chart",
)
def concurrent(ctx: EditContext) -> list[Finding]:
    administrations = ctx.encounter.administrations
    if len(administrations) < 2:
        return []  # one administration never runs beside itself (most charts)
    found = []
    by_drug: dict[str, list[tuple[int, Administration]]] = {}
    for i, a in enumerate(administrations):
        if a.start and a.stop and a.stop > a.start:
            by_drug.setdefault(a.drug_id, []).append((i, a))
    for drug_id, admins in by_drug.items():
        if len(admins) < 2:
            continue  # one administration never runs beside itself
        # Sweep the starts and stops in time order (n log n): at each start, the running ones and their sites.
        events = sorted([(a.start, 1, i, a.site) for i, a in admins] + [(a.stop, 0, i, a.site) for i, a in admins],
                        key=lambda e: (e[0], e[1]))
        running: dict[int, int] = {}
        for _when, is_start, i, site in events:
            if not is_start:
                running.pop(i, None)
                continue
            running[i] = site
            if len(running) > len(set(running.values())):
                others = sorted(j for j in running if j != i)
                found.append(finding("PLAUSIBILITY-CONCURRENT", f"administrations[{i}]: drug {drug_id!r} is "
                                     f"already running then (administrations{others}) through the same site {site}."))
                break
    return found


def earliest_data(ref: ReferenceData) -> date | None:
    """The first date any dated reference data igclaim holds is in force (HCPCS records, ICD-10-CM releases): a
    snapshot's answer (`Rules.earliest_data`, the same for every date and profile of one data version)."""
    return ref.at(date.today(), ref.default_profile("medicare")).earliest_data()


@edit(
    "PLAUSIBILITY-DOS",
    severity="error",
    statement="a date of service in the future (or after the day its 837 was made), or before any dated reference "
    "data igclaim holds",
    fix="Correct the date of service. A visit coded ahead of time is an estimate: build it again after the visit.",
    source=HIPAA_CODE_SETS,
    phase="chart",
)
def date_of_service(ctx: EditContext) -> list[Finding]:
    dos = ctx.dos
    found = []
    if dos.toordinal() > _past_everywhere():
        today = date.today()
        if dos > today:
            near = dos - today <= FUTURE_HORIZON
            found.append(finding("PLAUSIBILITY-DOS", f"date_of_service: {dos:%Y-%m-%d} is in the future (today is "
                                 f"{today:%Y-%m-%d}); a claim is filed after the service.",
                                 severity="warning" if near else None))
    made = ctx.made
    if made is not None and made < dos:
        # The day the 837 was made (BHT04), read apart from the filing date: a chart's own filing date, or
        # --filing-date, may replace that (each refused before the date of service), never the day the file was made.
        found.append(finding("PLAUSIBILITY-DOS", f"date_of_service: {dos:%Y-%m-%d} is after the day the claim was "
                             f"made ({made:%Y-%m-%d}, the 837's BHT04); a claim is filed after the service.",
                             fix="Correct the date of service, or bill the service after it is given."))
    earliest = ctx.rules.once_alike("plausibility.earliest_data", _earliest)
    if earliest and dos < earliest:
        found.append(finding("PLAUSIBILITY-DOS", f"date_of_service: {dos:%Y-%m-%d} is before {earliest:%Y-%m-%d}, "
                             "the first date of any reference data igclaim holds: the claim cannot be checked."))
    return found


_EPOCH = datetime.fromtimestamp(0, UTC).toordinal()  # the clock's day 0 (1970-01-01)


def _past_everywhere() -> int:
    """The last date (as an ordinal) that is before today in every time zone: two days before today's date in UTC
    (local time is less than a day from UTC), read from the clock on every call. A date of service up to it is
    not in the future, without asking for the local date (date.today(), which costs more than the whole check)."""
    return _EPOCH + int(time.time() // 86400) - 2


def _earliest(rules: Rules) -> date | None:
    """`Rules.earliest_data`, once per snapshot (the same answer for every claim of it)."""
    return rules.earliest_data()


@edit(
    "PLAUSIBILITY-DOSE",
    severity="error",
    statement="a dose that is a tiny fraction (under 5 %) of the immune globulin opened for it",
    fix="Correct the dose or the containers opened: a dose this small next to what was opened is a typo in one "
    "of them, and the discard would be billed.",
    source=DISCARDED_DRUGS,
    phase="chart",
)
def tiny_dose(ctx: EditContext) -> list[Finding]:
    found = []
    for facts in ctx.coding.drugs.values():
        if not facts.is_ig:
            continue
        dose, opened = facts.dose_grams, facts.opened_grams
        if dose is None or not opened or facts.drug.shared_with_other_patient:
            continue
        if dose < opened * TINY_DOSE_SHARE:
            found.append(finding("PLAUSIBILITY-DOSE", f"{facts.path}: a dose of {dose:g} g from {opened:g} g opened "
                                 f"({dose / opened:.1%})."))
    return found
