"""Expected payment: what the payer's published schedules say each line is worth on the date of service.

Drugs: the quarterly ASP payment limit per HCPCS unit × units, JW (discarded) units included — the payment
limit already is 106 % of ASP (42 CFR 414.904; https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files).
Administration: the imported fee schedule's amount × units (non-facility amount on the CMS-1500, facility on
the UB-04 only from a `code,amount` schedule: the national PFS does not price a hospital's claim).
A line with no published price stays null, never zero; so does the total unless every line is priced, while
`priced_total` sums the priced lines and `unpriced_lines` names the others (never a bare null).
Impact of a finding: its impact_units × the payment limit of its line's code.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from igclaim.model import Claim, ClaimLine, Finding, Result
from igclaim.refdata.importers.fees import NATIONAL as NATIONAL_PFS
from igclaim.refdata.resolver import PayerProfile, ReferenceData
from igclaim.refdata.store import Loaded

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _fee_schedule(ref: ReferenceData, profile: PayerProfile, dos: date, facility: bool) -> str | None:
    """The fee schedule that prices a service line: the one the profile names (`facility_fee_schedule` on a
    UB-04, else `fee_schedule`); otherwise, of the schedules imported for the date, the national PFS on an
    Original Medicare professional claim, and the newest other schedule on a hospital claim (the national PFS
    never prices a UB-04), so the order of imports does not decide which schedule a claim is priced by."""
    for name in (("facility_fee_schedule", "fee_schedule") if facility else ("fee_schedule",)):
        param = profile.parameters.get(name)
        if param is not None and param.at(dos):
            return param.at(dos)
    imported = ref.tables.covering("fees", dos)
    if not facility and profile.original_medicare and any(x.scope == NATIONAL_PFS for x in imported):
        return NATIONAL_PFS
    pool = [x for x in imported if not (facility and x.scope == NATIONAL_PFS)]
    return max(pool, key=lambda x: (x.effective, x.id)).scope if pool else None


def line_payment(line: ClaimLine, dos: date, ref: ReferenceData, profile: PayerProfile, facility: bool,
                 used: set[Loaded]) -> Decimal | None:
    when = line.service_date or dos
    price = ref.tables.payment_limit(line.code, when)
    if price is None:
        schedule = _fee_schedule(ref, profile, when, facility)
        price = ref.tables.fee(line.code, when, facility=facility, schedule=schedule) if schedule else None
    if price is None:
        return None
    used.add(price.source)
    rec = ref.hcpcs(line.code, when)
    units = 1 if rec is not None and rec.paid_per == "date" else line.units  # a bundle per date (Q2052)
    return cents(price.amount * units)


def price_claim(claim: Claim, dos: date, ref: ReferenceData, profile: PayerProfile) -> set[Loaded]:
    """Fill each line's expected_payment and the claim's total; return the files the prices came from."""
    used: set[Loaded] = set()
    facility = claim.form == "UB-04"
    for line in claim.lines:
        line.expected_payment = line_payment(line, dos, ref, profile, facility, used)
    amounts = [ln.expected_payment for ln in claim.lines]
    priced = [a for a in amounts if a is not None]
    claim.total_expected_payment = sum(priced, Decimal(0)) if amounts and len(priced) == len(amounts) else None
    return used


def price_findings(findings: list[Finding], claim: Claim, dos: date, ref: ReferenceData,
                   used: set[Loaded], drug_codes: dict[str, str] | None = None) -> None:
    """impact_usd = impact_units × the payment limit of the code on the finding's line (of `claim`). A chart
    finding with no line (e.g. DRUG-WASTE-AVOIDABLE) whose cause is a drug (("drug", "drugs[0]")) is priced by
    that drug's code (`drug_codes`: path → HCPCS)."""
    by_number = {ln.line: ln for ln in claim.lines}
    for f in findings:
        if f.impact_units is None or f.impact_usd is not None:
            continue
        if f.line in by_number:
            line = by_number[f.line]
            code, when = line.code, line.service_date or dos
        else:
            path = next((c[1] for c in f.causes if c[0] == "drug"), None)
            if f.line is not None or path not in (drug_codes or {}):
                continue
            code, when = (drug_codes or {})[path or ""], dos
        price = ref.tables.payment_limit(code, when)
        if price is not None:
            used.add(price.source)
            f.impact_usd = cents(price.amount * f.impact_units)


def price_result(result: Result, dos: date, ref: ReferenceData, profile: PayerProfile, written: Claim | None,
                 drug_codes: dict[str, str] | None = None) -> None:
    """The engine's post-step: prices, impacts, and the files that answered for this date of service."""
    used = price_claim(result.claim, dos, ref, profile)
    price_findings(result.findings, written or result.claim, dos, ref, used, drug_codes)
    answered = {*used, *ref.tables.used(dos)}
    if answered:
        as_of = max([date.fromisoformat(result.reference.data_as_of), *(x.effective for x in answered)])
        result.reference.data_as_of = as_of.isoformat()
        result.reference.sources = [*result.reference.sources,
                                    *sorted(x.label for x in answered if x.label not in result.reference.sources)]
