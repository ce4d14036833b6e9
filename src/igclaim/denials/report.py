"""The denial report: JSON (everything), CSV (one row per adjustment, one per claim in error) and one
self-contained HTML page (the batch report's style, inline SVG, no scripts, nothing fetched).

Figures: denied dollars by reason and by edit, dollars recoverable (denials a corrected claim or an appeal can
still bring in), the edits that would have prevented the most denied dollars, and the share of denied dollars
igclaim would have caught (traced to an edit) and, when the claims that went out are given, did flag.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from igclaim.denials.mapping import ClaimView, as_dict
from igclaim.outputs import csvsafe
from igclaim.outputs.report import _stacked_bar, pct

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from igclaim.denials.catalog import Catalog, CodeInfo
    from igclaim.denials.claims import ClaimSource
    from igclaim.denials.reader import ClaimPayment, Remittance


@dataclass
class Bucket:
    usd: Decimal = Decimal(0)
    claims: set[str] = field(default_factory=set)
    adjustments: int = 0
    meaning: str = ""


@dataclass
class Summary:
    claims: int = 0
    errors: int = 0
    charge: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    denied: Decimal = Decimal(0)
    recoverable: Decimal = Decimal(0)
    caught: Decimal = Decimal(0)
    unexplained: Decimal = Decimal(0)
    reversed: Decimal = Decimal(0)
    provider_adjusted: Decimal = Decimal(0)  # the PLB amounts of every remittance (taken from the payments)
    payment_warnings: int = 0  # remittances whose payment (BPR02) does not balance with its claims and PLBs
    payment_problems: int = 0  # remittances whose payment is invalid (a negative BPR02)
    matched_denied: Decimal = Decimal(0)
    flagged_denied: Decimal = Decimal(0)
    claims_given: bool = False
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_reason: dict[str, Bucket] = field(default_factory=lambda: defaultdict(Bucket))
    by_edit: dict[str, Bucket] = field(default_factory=lambda: defaultdict(Bucket))
    by_rule: dict[str, Bucket] = field(default_factory=lambda: defaultdict(Bucket))

    def as_dict(self) -> dict[str, Any]:
        def usd(v: Decimal) -> float:
            return float(v.quantize(Decimal("0.01")))

        def buckets(d: dict[str, Bucket]) -> list[dict[str, Any]]:
            return [{"key": k, "usd": usd(b.usd), "claims": len(b.claims), "adjustments": b.adjustments,
                     "meaning": b.meaning} for k, b in sorted(d.items(), key=lambda kv: (-kv[1].usd, kv[0]))]

        return {
            "claims": self.claims, "errors": self.errors, "outcomes": dict(self.outcomes),
            "charge": usd(self.charge), "paid": usd(self.paid), "denied": usd(self.denied),
            "recoverable": usd(self.recoverable), "unexplained": usd(self.unexplained),
            "reversed": usd(self.reversed), "provider_adjusted": usd(self.provider_adjusted),
            "payment_warnings": self.payment_warnings, "payment_problems": self.payment_problems,
            "caught_by_igclaim_edits": usd(self.caught),
            "caught_share": _share(self.caught, self.denied),
            "flagged_share": _share(self.flagged_denied, self.matched_denied) if self.claims_given else None,
            "matched_denied": usd(self.matched_denied) if self.claims_given else None,
            "flagged_denied": usd(self.flagged_denied) if self.claims_given else None,
            "by_reason": buckets(self.by_reason), "by_edit": buckets(self.by_edit), "by_rule": buckets(self.by_rule),
        }


def _share(n: Decimal, d: Decimal) -> float | None:
    return round(float(n / d), 4) if d else None


def summarize(views: list[ClaimView], errors: list[dict[str, Any]], claims_given: bool,
              remits: list[Remittance] | None = None) -> Summary:
    s = Summary(claims_given=claims_given)
    s.errors = len(errors)
    for remit in remits or []:
        if remit.repeat_of:  # the same payment given twice: counted with the first
            continue
        s.provider_adjusted += remit.provider_adjusted
        s.payment_warnings += bool(remit.warnings)
        s.payment_problems += bool(remit.problems)
    for v in views:
        s.claims += 1
        s.outcomes[v.outcome] += 1
        if v.outcome == "reversal":
            s.reversed += -v.paid
            continue
        if v.outcome == "predetermination":  # priced, not billed for payment: no dollars billed, paid or denied
            continue
        s.charge += v.charge
        s.paid += v.paid
        s.unexplained += v.unexplained_usd
        for ln, a in v.adjustments():
            if not a.denied:
                continue
            s.denied += a.amount
            r = s.by_reason[a.label]
            r.usd += a.amount
            r.claims.add(v.claim_id)
            r.adjustments += 1
            r.meaning = a.meaning
            if a.recoverable:
                s.recoverable += a.amount
            if a.edits:
                s.caught += a.amount
            # When the claim that went out is known, the edits igclaim raised on it are the ones that catch this
            # denial; otherwise every edit the rule names could have.
            for e in [e for e in a.edits if e in ln.flagged_edits] or a.edits:
                b = s.by_edit[e]
                b.usd += a.amount
                b.claims.add(v.claim_id)
                b.adjustments += 1
            if a.rule:
                b = s.by_rule[a.rule]
                b.usd += a.amount
                b.claims.add(v.claim_id)
                b.adjustments += 1
                b.meaning = a.advice or ""
        if v.matched is not None:
            for ln in v.lines:
                for a in ln.adjustments:
                    if a.denied:
                        s.matched_denied += a.amount
                        if ln.flagged:
                            s.flagged_denied += a.amount
    return s


def effect(amount: Decimal) -> str:
    """What a PLB amount does to the payment (it is subtracted: positive takes, negative adds)."""
    return "taken from this payment" if amount > 0 else "added to this payment"


@dataclass(frozen=True)
class ClaimFound:
    """A claim a recovery (PLB WO) may name: where it is, in a sentence, and what its payer (`payer_of`; None for a
    claim of --claims) paid it when that is known: the CLP04s of its claim payments read, added up (`payments` of
    them). None for a claim of --claims (what was billed, not paid), a reversal whose original payment was not read,
    a CLP04 that could not be read, or a WO of another payer."""
    claim_id: str
    where: str
    paid: Decimal | None = None
    payments: int = 1
    payer: str | None = None
    numbers: tuple[str, ...] = ()  # its payer claim numbers (CLP07) in the remittances read
    warning: str | None = None  # why what it was paid cannot be told, to be said on a recovery naming it

    @property
    def name(self) -> str:
        """The claim by its CLP01, or by its payer claim numbers when it has none."""
        return (f"claim {self.claim_id}" if self.claim_id != "?" or not self.numbers else
                f"claim ? (payer claim number {', '.join(self.numbers)})")


# Each claim number (CLP01, CLP07 or a claim id of --claims, upper case) and the claims it names: one per payer that
# paid it in the remittances read, in file order, and the claim of --claims when there is one.
ClaimIndex = dict[str, list[ClaimFound]]


def payer_of(r: Remittance) -> str:
    """Who pays a remittance, to tell one payer's payments and recoveries of a claim from another's: its payer
    identifier (REF*2U), else its name (N1*PR), upper case; `same_payers` makes a remittance without the identifier
    one payer with those of its name that have it."""
    if r.payer_key is not None:
        return r.payer_key
    return ((r.payer_id or "").strip() or r.payer or "").strip().upper()


def same_payers(remits: list[Remittance]) -> None:
    """Set each remittance's payer (`payer_key`) across the remittances read. A payer's 835s do not all carry its
    identifier (REF*2U, situational): one without it whose name (N1*PR) is that of the remittances with one
    identifier is that payer. Two identifiers under one name are two payers (two contractors of one name); a
    remittance of that name without an identifier is then neither's: it keeps its name, and the identifiers it may
    be are kept (`payer_ids_of_name`) for a warning."""
    ids: dict[str, set[str]] = defaultdict(set)
    for r in remits:
        if (r.payer_id or "").strip() and (r.payer or "").strip():
            ids[(r.payer or "").strip().upper()].add((r.payer_id or "").strip().upper())
    for r in remits:
        if (r.payer_id or "").strip():
            r.payer_key, r.payer_ids_of_name = (r.payer_id or "").strip().upper(), ()
            continue
        name = (r.payer or "").strip().upper()
        found = sorted(ids.get(name, ()))
        r.payer_key = found[0] if len(found) == 1 else name
        r.payer_ids_of_name = tuple(found) if len(found) > 1 else ()


def unsure_payer_warning(r: Remittance, a: Any) -> str | None:
    """A recovery in a remittance without its payer identifier whose name payers of several identifiers share: whose
    payment of the claim it takes back cannot be told."""
    if not r.payer_ids_of_name:
        return None
    return (f"this remittance names its payer {(r.payer or '').strip()} without its identifier (REF*2U), and the "
            f"remittances read have {len(r.payer_ids_of_name)} payers of that name ({', '.join(r.payer_ids_of_name)})"
            f": which one takes this {a.reason} cannot be told; ask the payer")


def _net_paid(payments: list[ClaimPayment]) -> Decimal | None:
    """What the payer paid a claim, net, across its claim payments read, or None when that cannot be told.

    The 835 guide corrects a payment by a reversal (CLP02 22) that repeats the original with every amount negated,
    then a new payment of the right amount: 500, -500, 200 is a claim paid 200. The CLP04s added up are what the
    payer paid in all (a second payment not reversed, a duplicate, is paid too and may be recovered), whatever the
    order of the files. Not "the last payment", which would judge a duplicate's recovery against one payment, and
    not "the first", which judges a corrected claim against what was reversed. A reversal that cancels no payment
    read (of the negated amount) means the original was not given: the net would be short of it, so None."""
    if any(not c.paid_read for c in payments):
        return None
    unreversed = Counter(c.paid for c in payments if not c.is_reversal)
    for c in payments:
        if c.is_reversal:
            if not unreversed[-c.paid]:
                return None
            unreversed[-c.paid] -= 1
    return sum((c.paid for c in payments), Decimal(0))


def _all_reversed(payments: list[ClaimPayment]) -> bool:
    """Whether reversals (CLP02 22) cancel every payment of a claim read: what the payer paid it then lies in a
    corrected payment, which a claim without CLP01 (grouped by its payer claim number, CLP07) cannot be joined with
    when the payer gave the correction a new CLP07."""
    unreversed = Counter(c.paid for c in payments if not c.is_reversal)
    reversals = [c for c in payments if c.is_reversal]
    for c in reversals:
        unreversed[-c.paid] -= 1
    return bool(reversals) and all(n <= 0 for n in unreversed.values())


def claim_index(remits: list[Remittance], source: ClaimSource | None = None) -> ClaimIndex:
    """Where each claim a recovery (PLB WO) may name is: by CLP01 (the claim number sent) and CLP07 (the payer's,
    which a corrected payment may change) of every claim of the remittances read, a claim's payments by one payer
    (its first payment, a reversal, the corrected payment) taken together under its CLP01 (its CLP07 when it has
    none) and judged by their net (`_net_paid`), in file order; a claim paid by two payers (primary, secondary) is
    one per payer, since a payer recovers its own overpayment. Then by the claim ids of --claims. Keys upper case. A
    remittance given twice (`repeat_of`) is read once."""
    claims: dict[tuple[str, str], list[tuple[int, ClaimPayment]]] = defaultdict(list)
    for i, r in enumerate(remits, start=1):
        for c in [] if r.repeat_of else r.claims:
            key = (c.claim_id or c.payer_claim_id or "").strip().upper()
            if key:
                claims[payer_of(r), key].append((i, c))
    index: ClaimIndex = {}
    for (payer, _), payments in claims.items():
        first = payments[0][1]
        numbers = list(dict.fromkeys(c.payer_claim_id for _, c in payments if c.payer_claim_id))
        where = "; ".join(f"remittance {i}, status {c.status or '?'}, paid {c.paid}" for i, c in payments)
        found = ClaimFound(first.claim_id or "?", f"claim {first.claim_id or '?'} (payer claim number "
                           f"{', '.join(numbers) or 'none'}) of {where}", _net_paid([c for _, c in payments]),
                           len(payments), payer, tuple(numbers))
        if not first.claim_id and _all_reversed([c for _, c in payments]):
            found = replace(found, paid=None, warning=(
                f"{found.name} has no claim number sent (CLP01) and its payments read are reversed (CLP02 22): its "
                "corrected payment, if the payer gave it a new payer claim number, cannot be matched with it, so what "
                "it was paid cannot be told; ask the payer"))
        for key in (first.claim_id, *numbers):
            named = index.setdefault(key.strip().upper(), []) if key else []
            if key and all(f.payer != payer for f in named):
                named.append(found)
    if source is not None:
        for key, sent in [*source.by_id.items(), *source.by_sent.items()]:
            named = index.setdefault(key.strip().upper(), [])
            if all(f.payer is not None for f in named):
                named.append(ClaimFound(key, f"claim {key} of --claims ({sent.where})"))
    return index


NO_PAYMENT = ("with no payment by this payer in the remittances read (another payer's payment of it is not this "
              "payer's to recover): give the remittance of this payer that paid it to trace it")


def _of_payer(named: list[ClaimFound], payer: str) -> ClaimFound:
    """Of the claims one number names, the one `payer` paid. Else the claim with no payment by `payer`, not to be
    judged, and named without another payer's payment (what another payer paid is not what this payer recovers):
    the claim of --claims when there is one, else the claim alone."""
    own = next((f for f in named if f.payer == payer), None)
    if own is not None:
        return own
    sent = next((f for f in named if f.payer is None), None)
    if sent is not None:  # the claim that went out; and, when another payer paid it, that this one did not
        return sent if len(named) == 1 else replace(sent, where=f"{sent.where}, {NO_PAYMENT}")
    return ClaimFound(named[0].claim_id, f"{named[0].name}, {NO_PAYMENT}", None, 0, payer, named[0].numbers)


def _is_recovery(a: Any) -> bool:
    """An overpayment recovery (plb.toml `role = "recovery"`, WO): its reference (PLB03-2) names the claim."""
    from igclaim.denials.catalog import catalog

    return catalog().provider_adjustment(a.reason).role == "recovery"


def _named_claims(a: Any, claims: ClaimIndex | None, payer: str) -> list[ClaimFound]:
    """The claims a WO of `payer` may name among those given (`_of_payer`): the one of the whole reference, else
    every claim one of its words is (some payers write the patient account, the date and the claim number in one
    reference), each once, in the order of the words. Words that are one claim's numbers (its CLP01 and a CLP07 of
    another payer) name it once, as its payer's payment, else as the claim of --claims, else as the claim alone."""
    if not _is_recovery(a) or claims is None or not a.reference:
        return []
    ref = a.reference.strip().upper()
    if ref in claims:
        return [_of_payer(claims[ref], payer)]
    best: dict[Any, ClaimFound] = {}
    for found in dict.fromkeys(_of_payer(claims[word], payer) for word in ref.split() if word in claims):
        key = found if found.claim_id == "?" else found.claim_id
        if key not in best or _rank(found, payer) < _rank(best[key], payer):
            best[key] = found
    return list(best.values())


def _rank(found: ClaimFound, payer: str) -> int:
    """How much `_of_payer`'s answer says: the payer's own payments, the claim of --claims, the claim alone."""
    return 0 if found.payer == payer and found.payments else 1 if found.payer is None else 2


def recovered_claim(a: Any, claims: ClaimIndex | None, payer: str) -> ClaimFound | None:
    """The claim a WO's reference names among those given, or None: its whole reference, else the one claim its
    words name. Words that name two claims or more (a short claim number such as 7 that is also a word of the
    patient account or of a date beside the claim's number) name none: which is meant cannot be told."""
    return _the_one(_named_claims(a, claims, payer))


def _the_one(named: list[ClaimFound]) -> ClaimFound | None:
    """Of the claims a WO's reference names (`_named_claims`), the one it recovers: None unless there is one."""
    return named[0] if len(named) == 1 else None


def recovery_of(a: Any, claims: ClaimIndex | None, named: list[ClaimFound]) -> tuple[str | None, str | None]:
    """A WO's claim: (where it is, None); (None, None) when its reference names no claim given (the claim was
    usually paid in an earlier remittance: a note, not a warning); (None, a warning) when it has no reference, or
    when its words name more than one claim (the warning names them); (where it is, a warning) when what the claim
    was paid cannot be told for a reason to tell the biller (`ClaimFound.warning`). `named`: its `_named_claims`,
    worked out once by the caller."""
    if not _is_recovery(a) or claims is None:
        return None, None
    if not a.reference:
        return None, (f"{a.reason} without a reference (PLB03-2): the claim whose overpayment it recovers cannot be "
                      "told; ask the payer")
    if len(named) > 1:
        return None, (f"{a.reason} reference {a.reference.strip()} (PLB03-2) names more than one claim by its words "
                      f"({', '.join(c.claim_id for c in named)}): the claim whose overpayment it recovers cannot be "
                      "told; ask the payer")
    return (named[0].where, named[0].warning) if named else (None, None)


def recovered_totals(remits: list[Remittance], claims: ClaimIndex | None) -> dict[ClaimFound, Decimal]:
    """What the recoveries (WO) of every remittance read take from each claim they name (of their payer), in all: a
    positive WO takes, a negative one (a recovery delayed or given back) returns."""
    totals: dict[ClaimFound, Decimal] = defaultdict(Decimal)
    for r in remits:
        for a in [] if r.repeat_of else r.plb:
            found = recovered_claim(a, claims, payer_of(r))
            if found is not None:
                totals[found] += a.amount
    return dict(totals)


def overrecovery_warning(info: CodeInfo, found: ClaimFound | None, totals: dict[ClaimFound, Decimal] | None
                         ) -> str | None:
    """Recoveries of one claim, across the remittances read, of more than it was paid (CLP04, net of its claim
    payments read: `claim_index`). A warning, not a problem: a remittance not read (a corrected payment of the
    claim, a recovery given back) may explain it."""
    if found is None or found.paid is None or totals is None:
        return None
    total = totals.get(found, Decimal(0))
    if total <= 0 or total <= found.paid:
        return None
    net = f", net of its {found.payments} claim payments read" if found.payments > 1 else ""
    return (f"{info.code} ({info.official}) takes {total} in all from {found.name} across the remittances "
            f"read, more than the {found.paid} it was paid (CLP04{net}): a remittance not read here, earlier or later, "
            "may explain it (a corrected payment of the claim, a recovery given back); ask the payer before posting it")


# The remittances an FB's note names; the rest are counted, so notes do not grow with the square of the FBs of one
# reference (each FB's note names the remittances of its reference).
NAMED_REMITTANCES = 3


@dataclass
class Forwarded:
    """The forwarding balances (FB) of one reference across the remittances read: their sum and where they are
    ("remittance 2 (EFT0002)"), each remittance once, in the order read."""
    net: Decimal = Decimal(0)
    where: list[str] = field(default_factory=list)

    def named(self) -> str:
        """The remittances, the first NAMED_REMITTANCES by name and the others counted."""
        shown = " and ".join(self.where[:NAMED_REMITTANCES])
        rest = len(self.where) - NAMED_REMITTANCES
        return shown + (f" and {rest} more remittances" if rest > 0 else "")


def forwarding_balances(remits: list[Remittance]) -> dict[str, Forwarded]:
    """The forwarding balances (FB, plb.toml `role = "forwarding"`) of every remittance read, by their whole
    reference (upper case), added up once. The guide's balance forward carries an amount from one 835 to a later
    one under the same reference, with the opposite sign."""
    from igclaim.denials.catalog import catalog

    cat = catalog()
    found: dict[str, Forwarded] = defaultdict(Forwarded)
    for i, r in enumerate(remits, start=1):
        for a in [] if r.repeat_of else r.plb:
            if cat.provider_adjustment(a.reason).role == "forwarding" and a.reference and a.reference.strip():
                balance = found[a.reference.strip().upper()]
                balance.net += a.amount
                where = f"remittance {i} ({r.trace_number or 'no trace number'})"
                if not balance.where or balance.where[-1] != where:
                    balance.where.append(where)
    return dict(found)


def forwarding_of(a: Any, balances: dict[str, Forwarded]) -> tuple[str | None, str | None, str | None]:
    """An FB's (state, note, warning): "settled" when the FBs of its reference in the remittances read come to 0,
    else "open" (a note saying which way the balance is still to go, not a warning: the remittance that settles it
    was not given); a warning when it has no reference, since nothing can be matched with it."""
    fb = a.reason
    if not a.reference or not a.reference.strip():
        return None, None, (f"{fb} without a reference (PLB03-2): it cannot be matched with the {fb} that offsets "
                            "it in another remittance; ask the payer")
    shown = a.reference.strip()
    balance = balances.get(shown.upper(), Forwarded())
    net, where = balance.net, balance.named()
    if not net:
        return "settled", f"Settled: the forwarding balances ({fb}) of reference {shown} in {where} come to 0", None
    if net < 0:
        return "open", (f"Open balance: {-net} of reference {shown} ({where}) is carried to a later payment, not "
                        f"among the remittances read, which should take it back with a positive {fb} of the same "
                        "reference"), None
    return "open", (f"Open balance: {net} of reference {shown} ({where}) is taken here for a balance carried from "
                    f"an earlier payment, not among the remittances read (a negative {fb} of the same reference): "
                    "give it to settle this one"), None


def remittance_dict(r: Remittance, cat: Catalog | None = None, claims: ClaimIndex | None = None,
                    recovered: dict[ClaimFound, Decimal] | None = None,
                    balances: dict[str, Forwarded] | None = None) -> dict[str, Any]:
    """One remittance (ST…SE) for the JSON's meta: its payment, the provider-level adjustments (PLB) explained, and
    whether the payment balances with its claims. `claims` (claim_index): where a recovery's (WO) claim is;
    `recovered` (recovered_totals): what the recoveries of every remittance read take from each claim; `balances`
    (forwarding_balances): the forwarding balances (FB) of every remittance read, to tell each FB settled or open."""
    from igclaim.denials.catalog import catalog

    cat = cat or catalog()
    repeated = (f"the same payment as {r.repeat_of} (same payer, trace number, amount, claims and adjustments): its "
                "adjustments are counted once (was the same 835 given twice?)") if r.repeat_of else None

    def plb(a: Any) -> dict[str, Any]:
        info = cat.provider_adjustment(a.reason)
        named = _named_claims(a, claims, payer_of(r))
        recovers, untraced = recovery_of(a, claims, named)
        if info.role == "recovery" and named:
            untraced = "; ".join(w for w in (unsure_payer_warning(r, a), untraced) if w) or None
        over = overrecovery_warning(info, _the_one(named), recovered)
        forwarding, note, unmatched = (forwarding_of(a, balances) if info.role == "forwarding" and balances is not None
                                       else (None, None, None))
        warning = "; ".join(w for w in (repeated, sign_warning(info, a.amount), untraced, over, unmatched) if w) or None
        out = {"reason": a.reason, "amount": float(a.amount), "reference": a.reference, "known": info.known,
               "official": info.official, "meaning": info.meaning, "effect": effect(a.amount), "warning": warning}
        if info.role == "recovery" and claims is not None:
            out["recovers"] = recovers
            if len(named) > 1:
                out["recovers_one_of"] = [c.claim_id for c in named]
        if info.role == "forwarding" and balances is not None:
            out["forwarding"], out["forwarding_note"] = forwarding, note
        return out

    return {"file": r.source, "payer": r.payer, "payee": r.payee, "trace_number": r.trace_number,
            "paid": float(r.total_paid),
            "payment_date": r.payment_date.isoformat() if r.payment_date else None, "claims": len(r.claims),
            "provider_adjustments": [plb(a) for a in r.plb], "guide_problems": r.guide_problems,
            "claims_paid": float(r.claims_paid), "provider_adjusted": float(r.provider_adjusted),
            "warnings": r.warnings, "problems": r.problems}


def sign_warning(info: CodeInfo, amount: Decimal) -> str | None:
    """A PLB amount whose sign goes against its code's (plb.toml `sign`: the name says which way the money goes).
    A warning, not a problem: the guide gives the sign rule, not a sign per code, and payers' uses vary."""
    if info.sign is None or not amount or (amount > 0) == (info.sign == "take"):
        return None
    expected = "positive (taken from the payment)" if info.sign == "take" else "negative (added to the payment)"
    return (f"{info.code} ({info.official}) is expected {expected}, but {amount} is {effect(amount)}: ask the payer "
            "which is right before posting it")


def plb_text(a: dict[str, Any]) -> str:
    """One provider-level adjustment of `remittance_dict` in a sentence."""
    name = f"{a['reason']} {a['official']}" if a.get("official") else a["reason"]
    ref = f" (reference {a['reference']})" if a.get("reference") else ""
    recovers = f" It recovers {a['recovers']}." if a.get("recovers") else ""
    if "recovers" in a and not a["recovers"] and a.get("reference") and not a.get("recovers_one_of"):
        recovers = (" Its reference names no claim of these remittances or of --claims: give the remittance that "
                    "paid the claim, or the claims, to trace it.")
    forwarding = f" {a['forwarding_note']}." if a.get("forwarding_note") else ""
    warning = f" Warning: {a['warning']}." if a.get("warning") else ""
    return f"{name}{ref}: {_money(abs(a['amount']))} {a['effect']}: {a['meaning']}{recovers}{forwarding}{warning}"


def to_json(meta: dict[str, Any], views: list[ClaimView], errors: list[dict[str, Any]], summary: Summary,
            corrections: dict[str, Any], lazy: bool = False) -> dict[str, Any]:
    """The whole JSON document. `lazy`: its claims are a `ClaimDicts`, each claim's dict made as json.dump writes
    it (for a document that is only written: the claims' dicts took about 16 bytes per byte of the 835)."""
    return {"meta": meta, "summary": summary.as_dict(), "corrections": corrections,
            "claims": ClaimDicts(views) if lazy else [as_dict(v) for v in views], "errors": errors}


class ClaimDicts(list[dict[str, Any]]):
    """The claims' dicts (`as_dict`) of a JSON document, each made when it is iterated over and dropped after:
    json.dump (its Python encoder, which `indent` always uses) takes a list subclass as a list and only asks for
    its length and its items in order, so what it writes is byte for byte that of the list."""

    def __init__(self, views: list[ClaimView]) -> None:
        super().__init__()
        self.views = views

    def __len__(self) -> int:
        return len(self.views)

    def __bool__(self) -> bool:
        return bool(self.views)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (as_dict(v) for v in self.views)


CSV_COLUMNS = ("remittance", "claim_id", "payer_claim_id", "status", "outcome", "line", "code", "modifiers",
               "group", "reason", "reason_known", "meaning", "kind", "amount", "denied", "remarks", "rule", "edits",
               "fix", "recoverable", "advice", "flagged", "matched", "error")


def to_csv(views: list[ClaimView], errors: list[dict[str, Any]], remittances: list[dict[str, Any]] | None = None
           ) -> str:
    """`remittances`: meta's (remittance_dict): each PLB is a row (group PLB, outcome "provider adjustment") and a
    payment that does not balance a row (outcome "payment warning"), the text in `meaning`."""
    buf = io.StringIO()
    write_csv(buf, views, errors, remittances)
    return buf.getvalue()


def csv_writer(views: list[ClaimView], errors: list[dict[str, Any]], remittances: list[dict[str, Any]] | None = None
               ) -> Callable[[BinaryIO], None]:
    """`write_atomic`'s writer of `to_csv`'s text, written row by row as it is made, never held whole."""

    def write(fh: BinaryIO) -> None:
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="\n", write_through=False)
        write_csv(text, views, errors, remittances)
        text.flush()
        text.detach()

    return write


def write_csv(out: TextIO, views: list[ClaimView], errors: list[dict[str, Any]],
              remittances: list[dict[str, Any]] | None = None) -> None:
    """`to_csv`'s rows, written to `out`."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for v in views:
        for ln, a in v.adjustments():
            remarks = " ".join(r.code for r in ln.remarks + v.remarks)
            row = [v.remit + 1, v.claim_id, v.payer_claim_id or "", v.status, v.outcome,
                   ln.line if ln.line is not None else "claim", ln.code or "", " ".join(ln.modifiers), a.group,
                   a.reason, a.reason_known, a.meaning, a.kind, f"{a.amount:.2f}", a.denied, remarks, a.rule or "",
                   " ".join(a.edits), a.fix or "", "" if a.recoverable is None else a.recoverable, a.advice or "",
                   "" if ln.flagged is None else ln.flagged, v.matched or "", ""]
            w.writerow(csvsafe.row(row))
        if not v.adjustments():
            w.writerow(csvsafe.row([v.remit + 1, v.claim_id, v.payer_claim_id or "", v.status, v.outcome, "",
                                    "", "", "", "", "", v.summary, "", "", False, "", "", "", "", "", "", "",
                                    v.matched or "", ""]))
    for i, r in enumerate(remittances or [], start=1):
        for a in r["provider_adjustments"]:
            w.writerow(csvsafe.row([i, "", "", "", "provider adjustment", "", "", "", "PLB", a["reason"], a["known"],
                                    plb_text(a), "provider", f"{Decimal(str(a['amount'])):.2f}", False, "", "", "",
                                    "", "", "", "", "", ""]))
        for outcome, texts in (("payment warning", r["warnings"]), ("payment problem", r.get("problems", []))):
            for text in texts:
                w.writerow(csvsafe.row([i, "", "", "", outcome, "", "", "", "", "", "", text, "", "", False,
                                        "", "", "", "", "", "", "", "", ""]))
    for e in errors:
        w.writerow(csvsafe.row([e.get("remittance", ""), e.get("claim_id") or "", e.get("payer_claim_id") or "",
                                e.get("status") or "", "error", "", "", "", "", "", "", "", "", "", "", "", "",
                                "", "", "", "", "", "", "; ".join(e.get("problems", []))]))


def _style() -> str:
    """The batch report's stylesheet, read from its template: one look, defined once."""
    text = (resources.files("igclaim.outputs") / "report_template.html").read_text("utf-8")
    found = re.search(r"<style>.*?</style>", text, re.S)
    return found.group(0) if found else ""


def _money(v: Decimal | float) -> str:
    return f"${v:,.2f}"


def _bars(rows: list[tuple[str, Decimal]], label: str) -> str:
    if not rows:
        return "<p class='muted'>No denied dollars.</p>"
    label_w, bar_w, row_h = 280, 600, 26
    peak = max(v for _, v in rows) or Decimal(1)
    parts = []
    for i, (key, v) in enumerate(rows):
        y = i * row_h
        w = float(bar_w * v / peak)
        parts.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" class="lab">{html.escape(key)}</text>'
                     f'<rect x="{label_w}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row_h - 8}" fill="#c62828">'
                     f"<title>{html.escape(key)}: {_money(v)}</title></rect>"
                     f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" class="val">{_money(v)}</text>')
    return (f'<svg class="chart" viewBox="0 0 {label_w + bar_w + 120} {len(rows) * row_h + 4}" role="img" '
            f'aria-label="{html.escape(label)}">{"".join(parts)}</svg>')


def render_html(meta: dict[str, Any], views: list[ClaimView], errors: list[dict[str, Any]], s: Summary,
                corrections: dict[str, Any]) -> str:
    return "".join(html_parts(meta, views, errors, s, corrections))


def html_writer(meta: dict[str, Any], views: list[ClaimView], errors: list[dict[str, Any]], s: Summary,
                corrections: dict[str, Any]) -> Callable[[BinaryIO], None]:
    """`write_atomic`'s writer of `render_html`'s page, written claim row by claim row, never held whole (the page
    was built twice over, its rows joined and then put into the template, and encoded a third time)."""

    def write(fh: BinaryIO) -> None:
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="\n", write_through=False)
        for part in html_parts(meta, views, errors, s, corrections):
            text.write(part)
        text.flush()
        text.detach()

    return write


def html_parts(meta: dict[str, Any], views: list[ClaimView], errors: list[dict[str, Any]], s: Summary,
               corrections: dict[str, Any]) -> Iterator[str]:
    """`render_html`'s page in pieces: the template up to the claims' rows, each claim's row, the rest."""
    esc = html.escape
    d = s.as_dict()
    tiles = "".join(
        f'<div class="tile {cls}"><div class="num" id="{tid}">{value}</div><div class="lbl">{label}</div>'
        f'<div class="sub">{sub}</div></div>'
        for tid, cls, value, label, sub in (
            ("total-claims", "", f"{s.claims + s.errors:,}", "claims on the remittance",
             f"{s.claims:,} explained · {s.errors:,} in error"),
            ("denied-usd", "bad", _money(s.denied), "denied", f"of {_money(s.charge)} billed"),
            ("recoverable-usd", "warn", _money(s.recoverable), "recoverable",
             "a corrected claim or an appeal can still bring it in"),
            ("caught-share", "ok", pct_dec(s.caught, s.denied), "igclaim would have caught",
             f"{_money(s.caught)} traced to an igclaim edit"),
            ("flagged-share", "grey", pct_dec(s.flagged_denied, s.matched_denied) if s.claims_given else "—",
             "igclaim did flag", "on the claims given with --claims" if s.claims_given else "give --claims to see"),
            ("unexplained-usd", "grey", _money(s.unexplained), "unexplained", "codes not in igclaim's catalog"),
        ))
    outcome_colors = {"paid": "#2e7d32", "paid (reduced)": "#7cb342", "partially paid": "#ef8f00",
                      "zero pay": "#9e9e9e", "denied": "#c62828", "reversal": "#5e35b1", "predetermination": "#1e78b4",
                      "taken back": "#5e35b1"}
    outcome_chart = _stacked_bar([(k, s.outcomes.get(k, 0), c) for k, c in outcome_colors.items()
                                  if s.outcomes.get(k, 0)] + ([("error", s.errors, "#424242")] if s.errors else []))
    reason_rows = "".join(
        f"<tr><td><code>{esc(r['key'])}</code><div class='stmt'>{esc(r['meaning'])}</div></td>"
        f"<td class='n'>{r['claims']:,}</td><td class='n'>{_money(r['usd'])}</td></tr>" for r in d["by_reason"]
    ) or "<tr><td colspan='3'>No denials.</td></tr>"
    edit_rows = "".join(
        f"<tr><td class='rank'>{i}</td><td><code>{esc(r['key'])}</code></td><td class='n'>{r['claims']:,}</td>"
        f"<td class='n'>{_money(r['usd'])}</td></tr>" for i, r in enumerate(d["by_edit"], start=1)
    ) or "<tr><td colspan='4'>No denial traced to an igclaim edit.</td></tr>"
    payment_rows = "".join(_payment_row(r) for r in meta.get("remittances", [])) or (
        "<tr><td colspan='5'>No remittance.</td></tr>")
    error_rows = "".join(
        f"<tr><td><code>{esc(str(e.get('claim_id') or '?'))}</code></td><td>{esc('; '.join(e.get('problems', [])))}"
        f"</td></tr>" for e in errors) or "<tr><td colspan='2'>Every claim was read.</td></tr>"
    corr = corrections.get("written") or []
    need = corrections.get("need_person") or []
    corr_html = (f"<p>Replacement claims written: <b id='corrected-count'>{len(corr)}</b>"
                 f"{' to ' + esc(', '.join(corrections.get('files', []))) if corrections.get('files') else ''}.</p>"
                 if corrections.get("requested") else
                 "<p class='muted'>Give <code>--corrected OUT.837</code> (with <code>--claims</code> and "
                 "<code>--charges</code>) to write replacement claims.</p>")
    corr_html += ("<table><thead><tr><th>Claim</th><th>What a person must do</th></tr></thead>"
                  "<tbody id='need-person'>") + (
        "".join(f"<tr><td><code>{esc(c)}</code></td><td>{esc(w)}</td></tr>" for c, w in need)
        or "<tr><td colspan='2'>None.</td></tr>") + "</tbody></table>"
    source = (resources.files("igclaim.denials") / "report_template.html").read_text("utf-8")
    before, after = source.split("$claim_rows")  # the template names the claims' rows once
    fields = dict(
        style=_style(), title=esc(f"igclaim denial report — {meta.get('input', '')}"),
        input=esc(str(meta.get("input", ""))), generated=esc(str(meta.get("generated", ""))),
        payers=esc(", ".join(str(p) for p in meta.get("payers", []) if p)), tiles=tiles,
        outcome_chart=outcome_chart,
        reason_chart=_bars([(r["key"], Decimal(str(r["usd"]))) for r in d["by_reason"][:15]], "denied by reason"),
        edit_chart=_bars([(r["key"], Decimal(str(r["usd"]))) for r in d["by_edit"][:10]], "denied by edit"),
        reason_rows=reason_rows, edit_rows=edit_rows, error_rows=error_rows,
        payment_rows=payment_rows,
        corrections=corr_html,
        caught_note=esc(f"{pct_dec(s.caught, s.denied)} of denied dollars trace to an igclaim edit"
                        + (f"; igclaim flagged {pct_dec(s.flagged_denied, s.matched_denied)} of the denied dollars on "
                           "the claims given" if s.claims_given else "")),
    )
    yield Template(before).substitute(fields)
    if not views:
        yield "<tr><td colspan='6'>No claims.</td></tr>"
    for v in views:
        yield _claim_row(v)
    yield Template(after).substitute(fields)


def pct_dec(n: Decimal, d: Decimal) -> str:
    return pct(int(n * 100), int(d * 100)) if d else "—"


def _payment_row(r: dict[str, Any]) -> str:
    """A remittance's payment: BPR02, the claims' CLP04, each provider-level adjustment (PLB), and its warnings."""
    esc = html.escape
    details = [f"<div class='{'sev-warning' if a.get('warning') else 'muted'}'>{esc(plb_text(a))}</div>"
               for a in r.get("provider_adjustments", [])]
    details += [f"<div class='sev-warning'>{esc(w)}</div>" for w in r.get("warnings", [])]
    details += [f"<div class='sev-error'>problem: {esc(w)}</div>" for w in r.get("problems", [])]
    return (f"<tr data-trace='{esc(str(r.get('trace_number') or ''))}'><td><code>"
            f"{esc(str(r.get('trace_number') or '?'))}</code><div class='stmt'>{esc(str(r.get('payer') or ''))}</div>"
            f"</td><td class='n'>{_signed(r['paid'])}</td><td class='n'>{_signed(r['claims_paid'])}</td>"
            f"<td class='n'>{_signed(r['provider_adjusted'])}</td>"
            f"<td>{''.join(details) or 'No provider-level adjustment.'}</td></tr>")


def _signed(v: float) -> str:
    return _money(v) if v >= 0 else f"−{_money(-v)}"


def _claim_row(v: ClaimView) -> str:
    esc = html.escape
    details = []
    for ln in v.lines:
        for a in ln.adjustments:
            where = f"line {ln.line} {ln.code}" if ln.line else "claim"
            edits = f" → <code>{esc(', '.join(a.edits))}</code>" if a.edits else ""
            flag = "" if ln.flagged is None or not a.denied or not a.edits else (
                " · <b>igclaim flagged it</b>" if ln.flagged else " · igclaim did not flag it")
            note = f" <span class='sev-warning'>({esc(a.note)})</span>" if a.note else ""
            cls = "sev-error" if a.denied else ("sev-warning" if not a.reason_known else "muted")
            details.append(f"<div class='{cls}'>{esc(where)}: <code>{esc(a.label)}</code> {_money(a.amount)} — "
                           f"{esc(a.meaning)}{note}{edits}{flag}</div>")
        for r in ln.remarks:
            details.append(f"<div class='stmt'>remark <code>{esc(r.code)}</code>: {esc(r.meaning)}</div>")
    for r in v.remarks:
        details.append(f"<div class='stmt'>claim remark <code>{esc(r.code)}</code>: {esc(r.meaning)}</div>")
    for w in v.warnings:
        details.append(f"<div class='sev-warning'>{esc(w)}</div>")
    return (f"<tr data-claim='{esc(v.claim_id)}'><td><code>{esc(v.claim_id)}</code><div class='stmt'>"
            f"{esc(v.payer_claim_id or '')}</div></td><td>{esc(v.outcome)}</td><td class='n'>{_money(v.charge)}</td>"
            f"<td class='n'>{_money(v.paid)}</td><td class='n'>{_money(v.denied_usd)}</td>"
            f"<td>{esc(v.summary)}{''.join(details)}"
            f"{'<div><b>Correction:</b> ' + esc(v.correction) + '</div>' if v.correction else ''}</td></tr>")
