"""Filing edits: the claim must reach the payer within its filing limit, counted from the date of service. A late
claim is denied whole (CARC 29) however right its coding, and Medicare's denial cannot be appealed. Judged only when
the input says when the claim is filed (`filing_date`; an 837's BHT04), so a result never depends on the day it is
computed; the limit is the payer profile's (`filing_limit_months`, `filing_limit_days`)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from igclaim.catalog import line_numbers
from igclaim.coding.payment import line_payment
from igclaim.edits.context import EditContext
from igclaim.edits.registry import When, edit, finding
from igclaim.model import ClaimLine, Finding
from igclaim.refdata.dated import months_after

MANUAL_CH1 = "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c01.pdf"


def deadline(served: date, months: int, days: int) -> date | None:
    """The last day a claim for a service on `served` is timely: `months` calendar months after it, `days` days
    after it, the earlier where both are given; None when neither is (0)."""
    try:
        due = [d for d in (months_after(served, months) if months else None,
                           served + timedelta(days=days) if days else None) if d is not None]
    except (ValueError, OverflowError):  # past the calendar's last year (9999): PLAUSIBILITY-DOS tells that date
        return None
    return min(due) if due else None


@edit(
    "CLAIM-FILING-LIMIT",
    severity="error",
    statement="the claim reaches the payer after its filing limit (the profile's filing_limit_months or "
    "filing_limit_days after the date of service: a professional line's own date, an institutional claim's last)",
    fix="File within the limit. Past it the payer denies the claim (CARC 29); Medicare pays a late claim only under "
    "an exception of 42 CFR 424.44(b) (an error of Medicare's own, retroactive entitlement or disenrollment), with "
    "its proof.",
    source=MANUAL_CH1,
    phase="chart",
    when=When(chart=("filing_date",)),
)
def filing_limit(ctx: EditContext) -> list[Finding]:
    """One finding for the claim, naming its late lines and their deadline, with the priced lines' payment at stake.
    IOM 100-04 ch. 1 §70.1: a professional claim's line is timely by its own From date (a late line is denied, the
    others paid); an institutional claim is timely by its Through date, all its lines together."""
    filed = ctx.encounter.filing_date
    months, days = ctx.rules.param("filing_limit_months") or 0, ctx.rules.param("filing_limit_days") or 0
    lines = ctx.billed.lines
    if filed is None or not (months or days) or not lines:
        return []
    institutional = ctx.rules.setting(ctx.encounter.setting)["transaction"] == "837I"
    served = [ln.service_date or ctx.dos for ln in lines]
    if institutional:
        served = [max(served)] * len(served)
    late: list[tuple[ClaimLine, date, date]] = []
    for ln, day in zip(lines, served, strict=True):
        due = deadline(day, months, days)
        if due is not None and filed > due:
            late.append((ln, day, due))
    if not late:
        return []
    at_stake = Decimal(0)
    for ln, _, _ in late:
        amount, _ = line_payment(ln, ctx.rules, institutional)
        at_stake += amount or 0
    limit = " and ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in ((months, "month"), (days, "day")) if n)
    due_dates = sorted({(day, due) for _, day, due in late})
    when = "; ".join(f"service {day} due by {due}" for day, due in due_dates)
    which = "The claim" if institutional or len(late) == len(lines) else line_numbers([ln for ln, _, _ in late])
    fix = ctx.encounter.correction
    if fix is not None and fix.frequency == "8":
        # A void asks for nothing to be paid; the sources say how a late claim or replacement fares (CGS: a
        # replacement is held to the limit), not a void: a warning to verify, with no money at stake.
        return [finding("CLAIM-FILING-LIMIT", f"{which} filed {filed} voids a claim after {ctx.profile.title}'s "
                        f"filing limit of {limit} ({when}): verify how the payer takes a void that late.",
                        line=late[0][0].line, severity="warning")]
    return [finding("CLAIM-FILING-LIMIT", f"{which} filed {filed}, after {ctx.profile.title}'s filing limit of "
                    f"{limit} ({when}): denied as not timely filed (CARC 29).", line=late[0][0].line,
                    impact_usd=-at_stake if at_stake else None)]
