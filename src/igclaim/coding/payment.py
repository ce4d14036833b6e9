"""Expected payment: what the payer's published schedules say each line is worth on the date of service.

Drugs: the quarterly ASP payment limit per HCPCS unit × units, JW (discarded) units included — the payment
limit already is 106 % of ASP (42 CFR 414.904; https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files).
Administration: the imported fee schedule's amount × units (non-facility amount on the CMS-1500, facility on
the UB-04 only from a `code,amount` schedule: the national PFS does not price a hospital's claim).
A line with no published price stays null, never zero; so does the total unless every line is priced, while
`priced_total` sums the priced lines and `unpriced_lines` names the others (never a bare null).
Impact of a finding: its impact_units × the payment limit of the code they are units of: the chart drug's code
when the finding's cause names the drug (("units", "drugs[0]") or ("drug", "drugs[0]")), since its units are the
ones the chart supports, in that code's unit dose, even on a line written with another code (J1561 for Cuvitru's
J1555); else its line's code.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from igclaim.construct import assign
from igclaim.model import Claim, ClaimLine, Finding, Result
from igclaim.refdata.importers.fees import NATIONAL as NATIONAL_PFS
from igclaim.refdata.rules import Rules
from igclaim.refdata.store import Loaded, Price

if TYPE_CHECKING:
    from igclaim.coding.drug import CodedDrug

CENT = Decimal("0.01")
ZERO = Decimal(0)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


def _fee_schedule(day: Rules, facility: bool) -> str | None:
    """The fee schedule that prices a service line: the one the profile names (`facility_fee_schedule` on a
    UB-04, else `fee_schedule`); otherwise, of the schedules imported for the date, the national PFS on an
    Original Medicare professional claim, and the newest other schedule on a hospital claim (the national PFS
    never prices a UB-04), so the order of imports does not decide which schedule a claim is priced by."""
    for name in (("facility_fee_schedule", "fee_schedule") if facility else ("fee_schedule",)):
        named = day.params.get(name)
        if named:
            return str(named)
    imported = day.tables.covering("fees", day.dos)
    if not facility and day.profile.original_medicare and any(x.scope == NATIONAL_PFS for x in imported):
        return NATIONAL_PFS
    pool = [x for x in imported if not (facility and x.scope == NATIONAL_PFS)]
    return max(pool, key=lambda x: (x.effective, x.id)).scope if pool else None


class UnitPrice(NamedTuple):
    price: Price | None  # the published price of one unit (None: none published)
    per_date: bool  # paid once per date, whatever the units (Q2052)


def unit_price(rules: Rules, *, code: str, when: date, facility: bool) -> UnitPrice:
    """A code's published price on a date (ASP payment limit, else the fee schedule) and whether it is paid once
    per date: a fact of the snapshot, so `price_claim` asks it once per snapshot, code, date and form."""
    day = rules.on(when)
    price = day.tables.payment_limit(code, when)
    if price is None:
        schedule = _fee_schedule(day, facility)
        price = day.tables.fee(code, when, facility=facility, schedule=schedule) if schedule else None
    rec = day.hcpcs(code)
    return UnitPrice(price, rec is not None and rec.paid_per == "date")


UnitKey = tuple[str, str, date, bool]  # ("payment.unit", code, date, facility)


def _unit_price(rules: Rules, key: UnitKey) -> UnitPrice:
    _, code, when, facility = key
    return unit_price(rules, code=code, when=when, facility=facility)


def _unit_price_on_its_date(rules: Rules, code: str, facility: bool) -> UnitPrice:
    return unit_price(rules, code=code, when=rules.dos, facility=facility)


def line_payment(line: ClaimLine, rules: Rules, facility: bool) -> tuple[Decimal | None, Loaded | None]:
    """What a line is expected to be paid (its units × its code's published price on its date; a bundle per date
    once, Q2052), and the file that priced it; (None, None) when no price is published. A price on the snapshot's
    own date reads the date only through the tables and parameters in force: one answer per span of alike dates
    (`Rules.once_alike`)."""
    when = line.service_date
    if when is None or when == rules.dos:
        key = ("payment.unit", line.code, facility)
        hit: UnitPrice | None = rules.alike.get(key)
        if hit is None:
            hit = rules.once_alike(key, partial(_unit_price_on_its_date, code=line.code, facility=facility))
        price, per_date = hit
    else:
        price, per_date = rules.once_for(("payment.unit", line.code, when, facility), _unit_price)
    if price is None:
        return None, None
    return cents(price.amount * (1 if per_date else line.units)), price.source


def price_claim(claim: Claim, rules: Rules) -> set[Loaded]:
    """Fill each line's expected_payment and the claim's total (only when every line is priced); return the files
    the prices came from."""
    used: set[Loaded] = set()
    facility = claim.form == "UB-04"
    total: Decimal | None = ZERO if claim.lines else None
    for line in claim.lines:
        amount, source = line_payment(line, rules, facility)
        if source is not None:
            used.add(source)
        assign(line, "expected_payment", amount)
        if total is not None:
            total = None if amount is None else total + amount
    assign(claim, "total_expected_payment", total)
    return used


def price_findings(findings: list[Finding], claim: Claim, rules: Rules, used: set[Loaded],
                   drugs: Iterable[CodedDrug] = ()) -> None:
    """impact_usd = impact_units × the payment limit of the code they are units of: a finding whose cause names a
    chart drug (("units", "drugs[0]"), ("drug", "drugs[0]")) by that drug's code (`drugs`: the coded drugs, by
    their path), on its line's date, whatever code the line was written with; any other finding by the code on
    its line (of `claim`). A finding with no line is priced only through its drug."""
    by_number: dict[int, ClaimLine] | None = None  # most claims: no finding has units at stake
    drug_codes: dict[str, str] = {}
    for f in findings:
        units = f.impact_units
        if units is None or f.impact_usd is not None:
            continue
        if by_number is None:
            by_number = {ln.line: ln for ln in claim.lines}
            drug_codes = {d.path: d.code for d in drugs if d.code}
        path = next((c[1] for c in f.causes if c[0] in ("drug", "units") and c[1] in drug_codes), None)
        line = by_number.get(f.line) if f.line is not None else None
        if f.line is not None and line is None:
            continue  # not a line of the claim: nothing to price it on
        if path is not None:
            code, when = drug_codes[path], (line.service_date if line else None) or rules.dos
        elif line is not None:
            code, when = line.code, line.service_date or rules.dos
        else:
            continue
        price = rules.tables.payment_limit(code, when)
        if price is not None:
            used.add(price.source)
            assign(f, "impact_usd", cents(price.amount * units))


def price(claim: Claim, findings: list[Finding], rules: Rules, written: Claim | None, data_as_of: date,
          sources: list[str], drugs: Iterable[CodedDrug] = ()) -> tuple[str, list[str]]:
    """The engine's post-step: prices the claim's lines and the findings' impacts, and returns the result's
    reference block (its data date and sources, with the files that answered for this date of service)."""
    used = price_claim(claim, rules)
    price_findings(findings, written or claim, rules, used, drugs)
    # The same few files answer for most claims of a span (the files covering a date change only on a bound of
    # the span): the reference block is worked out once per span and set of files.
    key: ReferenceKey = ("payment.reference", frozenset(used), data_as_of, tuple(sources))
    hit: tuple[str, tuple[str, ...]] | None = rules.alike.get(key)
    if hit is None:
        hit = rules.once_alike(key, partial(_reference, key=key))
    as_of, answered = hit
    return as_of, list(answered)


def price_result(result: Result, rules: Rules, written: Claim | None) -> None:
    """`price` for a result already built (a claim scrubbed without its chart): prices, impacts and its reference
    block, in place."""
    ref = result.reference
    as_of, sources = price(result.claim, result.findings, rules, written, date.fromisoformat(ref.data_as_of),
                           ref.sources)
    assign(ref, "data_as_of", as_of)
    assign(ref, "sources", sources)


ReferenceKey = tuple[str, frozenset[Loaded], date, tuple[str, ...]]  # ("payment.reference", files, as of, sources)


def _reference(rules: Rules, key: ReferenceKey) -> tuple[str, tuple[str, ...]]:
    """The result's data date and sources with the files that answered for the date of service (the files covering
    it: the same for every date of a span)."""
    _, used, data_as_of, sources = key
    answered = {*used, *rules.tables.used(rules.dos)}
    as_of = max([data_as_of, *(x.effective for x in answered)])
    return as_of.isoformat(), (*sources, *sorted(x.label for x in answered if x.label not in sources))
