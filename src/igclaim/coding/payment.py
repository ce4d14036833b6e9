"""Expected payment: what the payer's published schedules say each line is worth on the date of service.

Drugs: the quarterly ASP payment limit per HCPCS unit × units, JW (discarded) units included — the payment
limit already is 106 % of ASP (42 CFR 414.904; https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files).
Administration: the imported fee schedule's amount × units (non-facility amount on the CMS-1500, facility on
the UB-04 only from a `code,amount` schedule: the national PFS does not price a hospital's claim, nor, unless its
profile names it, the claim of a payer other than Original Medicare).
A line with no published price stays null, never zero; so does the total unless every line is priced, while
`priced_total` sums the priced lines and `unpriced_lines` names the others (never a bare null).
Impact of a finding: what its impact_units change in the payment of the code they are units of, by the same
unit price as a line of that code (`unit_price`: the ASP payment limit, else the fee schedule the claim's form and
profile call for, facility amounts on the UB-04): the chart drug's code when the finding's cause names the drug
(("units", "drugs[0]") or ("drug", "drugs[0]")), since its units are the ones the chart supports, in that code's
unit dose, even on a line written with another code (J1561 for Cuvitru's J1555); else its line's code; else the
code a missing line's cause names (("line-absent", "96366")). Units × the price, except on a code paid once per
date (Q2052): there only a line's going from no units to some (or back) moves money, one bundle; more or fewer
units on a line that keeps some are worth $0.00. As a line is paid in cents, the impact is the change in the
line's rounded payment (3 → 4 units at 49.076: $196.30 − $147.23 = $49.07, not $49.08). Lines denied with a
finding (its causes ("denied-line", "<line>"): DX-NOT-COVERED's administration lines, which a contractor denies
with the drug) add what their payment loses.
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
    Original Medicare professional claim, and else the newest schedule other than the national PFS, so the order
    of imports does not decide which schedule a claim is priced by. The national PFS is Medicare's physician
    schedule: it never prices a hospital's claim (UB-04), nor the claim of a payer other than Original Medicare
    (Medicare Advantage, Medicaid, commercial) unless that payer's profile names it: such a line stays unpriced
    rather than carry Medicare's amount as that payer's."""
    for name in (("facility_fee_schedule", "fee_schedule") if facility else ("fee_schedule",)):
        named = day.params.get(name)
        if named:
            return str(named)
    imported = day.tables.covering("fees", day.dos)
    if not facility and day.profile.original_medicare and any(x.scope == NATIONAL_PFS for x in imported):
        return NATIONAL_PFS
    pool = [x for x in imported if x.scope != NATIONAL_PFS]
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


def _price_on(rules: Rules, code: str, when: date | None, facility: bool) -> UnitPrice:
    """`unit_price` of a code on a date (None: the snapshot's), memoized. A price on the snapshot's own date reads
    the date only through the tables and parameters in force: one answer per span of alike dates
    (`Rules.once_alike`)."""
    if when is None or when == rules.dos:
        key = ("payment.unit", code, facility)
        hit: UnitPrice | None = rules.alike.get(key)
        if hit is None:
            hit = rules.once_alike(key, partial(_unit_price_on_its_date, code=code, facility=facility))
        return hit
    return rules.once_for(("payment.unit", code, when, facility), _unit_price)


def _worth(amount: Decimal, per_date: bool, units: int) -> Decimal:
    """What `units` of a code are paid at `amount` a unit: units × amount, or one bundle for any units of a code
    paid once per date (Q2052)."""
    return amount * ((1 if units > 0 else 0) if per_date else units)


def _pfs_equivalent(rules: Rules, price: Price, modifiers: Iterable[str], when: date | None) -> bool:
    """Whether a hospital line priced by a fee schedule is one Original Medicare pays at the Physician Fee
    Schedule-equivalent rate (its department modifier on its date: settings.toml
    [[hospital_outpatient.pfs_equivalent_modifiers]]), a share of the OPPS amount igclaim does not hold: such a line
    has no published price. A drug priced at its ASP payment limit is not reduced."""
    if price.source.kind != "fees":
        return False
    day = rules if when is None else rules.on(when)
    return day.profile.original_medicare and not day.catalog.pfs_equivalent_modifiers(day.dos).isdisjoint(modifiers)


def line_payment(line: ClaimLine, rules: Rules, facility: bool, units: int | None = None
                 ) -> tuple[Decimal | None, Loaded | None]:
    """What a line is expected to be paid (its units × its code's published price on its date; a bundle per date
    once, Q2052), and the file that priced it; (None, None) when no price is published, or when the price is the
    OPPS amount of a line paid at the PFS-equivalent rate (`_pfs_equivalent`). `units`: the line's payment with as
    many units instead of its own."""
    price, per_date = _price_on(rules, line.code, line.service_date, facility)
    if price is None or (facility and _pfs_equivalent(rules, price, line.modifiers, line.service_date)):
        return None, None
    return cents(_worth(price.amount, per_date, line.units if units is None else units)), price.source


def _denied_line(line: ClaimLine, units: int | None, rules: Rules, facility: bool, used: set[Loaded]) -> Decimal:
    """What a line's payment loses when `units` of it (None: all) are denied with a finding: the line's payment less
    its payment with the units left (`line_payment`), $0.00 where no price is published."""
    paid, source = line_payment(line, rules, facility)
    if paid is None or source is None:
        return ZERO
    used.add(source)
    left = 0 if units is None else max(line.units - units, 0)
    rest, _ = line_payment(line, rules, facility, left)
    return paid - (rest or ZERO)


def denied_lines(finding: Finding) -> list[tuple[int, int | None]]:
    """The lines a finding's causes name denied with it, each with the units denied (None: the whole line): a cause
    ("denied-line", "<line>") or ("denied-line", "<line>:<units>"). Its impact_usd carries their payment, so the
    batch report counts those lines' money with the finding's (outputs/report.py)."""
    out: list[tuple[int, int | None]] = []
    for kind, named in finding.causes:
        if kind == "denied-line":
            number, _, some = named.partition(":")
            out.append((int(number), int(some) if some else None))
    return out


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
                   drugs: Iterable[CodedDrug] = (), form: str | None = None) -> None:
    """impact_usd = what impact_units change in the payment of the code they are units of, priced as a line of that
    code on `claim`'s form is (`unit_price`: ASP payment limit, else the fee schedule): a finding whose cause names
    a chart drug (("units", "drugs[0]"), ("drug", "drugs[0]")) by that drug's code (`drugs`: the coded drugs, by
    their path), on its line's date, whatever code the line was written with; any other finding by the code on its
    line (of `claim`); a finding with no line by the code of the missing line its cause names (("line-absent",
    code)), on the date of service. On a code paid once per date the units are worth the bundle only when they
    take the line from no units to some or back (`_worth`), else $0.00. No published price: null. `form`: the form
    the claim is priced as where `claim` does not say (a written claim that leaves it to the chart's setting).

    A cause ("denied-line", "<line>") names a whole line of `claim` denied with the finding (DX-NOT-COVERED: a
    drug's administration is denied with the drug), ("denied-line", "<line>:<units>") that many of its units: what
    that line's payment loses (`line_payment`, with the line's own modifiers and date) is taken off the finding's
    impact_usd too, $0.00 where the line has no published price; the impact stays null when the finding's own
    units have none. impact_units stays the units of the finding's own code."""
    by_number: dict[int, ClaimLine] | None = None  # most claims: no finding has units at stake
    drug_codes: dict[str, str] = {}
    facility = (claim.form or form) == "UB-04"
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
        when: date | None
        if path is not None:
            code, when = drug_codes[path], line.service_date if line else None
        elif line is not None:
            code, when = line.code, line.service_date
        else:
            absent = next((c[1] for c in f.causes if c[0] == "line-absent"), None)
            if absent is None:
                continue
            code, when = absent, None
        price, per_date = _price_on(rules, code, when, facility)
        if price is None:
            continue
        # a missing line would carry the claim's department modifier (PN/PO)
        modifiers = line.modifiers if line is not None else [m for ln in claim.lines for m in ln.modifiers]
        if facility and _pfs_equivalent(rules, price, modifiers, when):
            continue
        used.add(price.source)
        billed = line.units if line is not None and line.code == code else 0
        # A line is paid in cents (`line_payment`): the money at stake is what its rounded payment changes by.
        after = cents(_worth(price.amount, per_date, billed + units))
        usd = after - cents(_worth(price.amount, per_date, billed))
        for number, some in denied_lines(f):  # a whole line (or its units) denied with the drug: its payment lost too
            denied = by_number.get(number)
            if denied is not None:
                usd -= _denied_line(denied, some, rules, facility, used)
        assign(f, "impact_usd", usd)


def price(claim: Claim, findings: list[Finding], rules: Rules, written: Claim | None, data_as_of: date,
          sources: list[str], drugs: Iterable[CodedDrug] = ()) -> tuple[str, list[str]]:
    """The engine's post-step: prices the claim's lines and the findings' impacts, and returns the result's
    reference block (its data date and sources, with the files that answered for this date of service)."""
    used = price_claim(claim, rules)
    price_findings(findings, written or claim, rules, used, drugs, form=claim.form)
    # The same few files answer for most claims of a span (the files covering a date change only on a bound of
    # the span): the reference block is worked out once per span and set of files.
    key: ReferenceKey = ("payment.reference", frozenset(used), data_as_of, tuple(sources))
    hit: tuple[str, tuple[str, ...]] | None = rules.alike.get(key)
    if hit is None:
        hit = rules.once_alike(key, partial(_reference, key=key))
    as_of, answered = hit
    return as_of, list(answered)


def price_result(result: Result, rules: Rules) -> None:
    """`price` for a result already built (a claim scrubbed without its chart, so the claim is the written one):
    prices, impacts and its reference block, in place."""
    ref = result.reference
    as_of, sources = price(result.claim, result.findings, rules, None, date.fromisoformat(ref.data_as_of),
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
