"""The prior-authorization ledger: an authorization is so many units or grams (and visits) of a code or product
for a member of a payer over a period; each exported claim consumes what it bills, and a new visit is checked
against what is left (AUTH-EXHAUSTED, AUTH-EXPIRING).

What a visit consumes is what the claim bills for the authorized drug, discarded (JW) units included: plans
that authorize by units count the billed units; grams are the billed units times the code's unit dose.

The ledger counts claims sent for services rendered, one entry per encounter and authorization. A corrected claim
is the encounter's next version (once a claim has gone out the worklist takes a change only as a correction), so
its export replaces every entry of the claim it corrects: a replacement (frequency 7) counts what it bills, a void
(8) gives everything back. A denial gives nothing back: the infusion was given, and its rebill is a correction.

A claim is charged to one authorization per billed code, never to each of several that overlap (`plan`): the one
the claim names (payer.prior_authorization.number, sent in REF*G1), else any in force; among them the first that
can hold it, preferring one that names the code over one that names a product, then the one ending soonest (spent
before it lapses), then the oldest. AUTH-EXHAUSTED only when none of them can hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from igclaim.edits.registry import finding
from igclaim.model import Encounter, Finding, Result
from igclaim.refdata.resolver import reference
from igclaim.service.db import Authorization, AuthorizationUse, ClaimRow, ExportClaim

RENEWAL_DAYS = "authorization_renewal_days"  # the payer-profile parameter AUTH-EXPIRING reads


@dataclass(frozen=True)
class Amounts:
    units: int
    grams: Decimal
    visits: int


def _codes_for(auth: Authorization, dos: date) -> set[str]:
    if auth.hcpcs:
        return {auth.hcpcs.upper()}
    ref = reference()
    codes = set()
    for p in ref.find_products(auth.product or ""):
        code = p.own_code(dos) or ref.product_nos_code(p, dos)
        if code:
            codes.add(code)
    return codes


def visit_amounts(auth: Authorization, result: Result, dos: date) -> Amounts:
    """What this claim would consume of the authorization: its billed units of the authorized code(s)."""
    return _billed(result, _codes_for(auth, dos), dos)


def _billed(result: Result, codes: set[str], dos: date) -> Amounts:
    """The claim's billed units of these codes, their grams, and one visit if any."""
    ref = reference()
    units = 0
    grams = Decimal(0)
    for ln in result.claim.lines:
        if ln.code in codes:
            units += ln.units
            rec = ref.hcpcs(ln.code, dos)
            if rec is not None and rec.unit_mg:
                grams += Decimal(ln.units * rec.unit_mg) / 1000
    return Amounts(units, grams, 1 if units else 0)


def voids(enc: Encounter) -> bool:
    """A void (frequency 8) cancels the claim it names: it uses nothing of any authorization."""
    return enc.correction is not None and enc.correction.frequency == "8"


def _payer_keys(enc: Encounter) -> set[str]:
    """How an authorization's payer may name the encounter's: its name or payer id, in lower case."""
    return {k.lower() for k in (enc.payer.name, enc.payer.payer_id) if k}


def matching(db: Session, enc: Encounter, result: Result, *, lock: bool = False) -> list[Authorization]:
    """Authorizations of this member and payer in force on the date of service that cover a billed drug (none for
    a void). `lock` (an export): their rows stay locked to the end of the transaction (PostgreSQL; SQLite has one
    writer anyway), so two exports at once cannot both spend what is left."""
    if enc.subscriber is None or voids(enc):
        return []
    payer_keys = _payer_keys(enc)
    q = select(Authorization).where(
        Authorization.member_id == enc.subscriber.member_id,
        Authorization.start <= enc.date_of_service, Authorization.end >= enc.date_of_service,
    ).order_by(Authorization.id)
    rows = db.scalars(q.with_for_update() if lock else q).all()
    return [a for a in rows if a.payer.lower() in payer_keys
            and visit_amounts(a, result, enc.date_of_service).units > 0]


def _others(db: Session, enc: Encounter, result: Result, draw: Draw) -> list[Authorization]:
    """The other authorizations of this member and payer for the draw's code, in force on the visit's date or
    later, that have room for another visit like this one (its units and grams of the code): where the next visit
    can go when the one drawn on lapses or runs low (a renewal already granted). By start."""
    dos = enc.date_of_service
    payer_keys = _payer_keys(enc)
    rows = db.scalars(select(Authorization).where(
        Authorization.member_id == draw.auth.member_id, Authorization.id != draw.auth.id,
        Authorization.end > dos).order_by(Authorization.start, Authorization.id)).all()  # the next visit is later
    again = _billed(result, {draw.code}, dos)
    return [a for a in rows if a.payer.lower() in payer_keys and draw.code in _codes_for(a, max(a.start, dos))
            and not _short(Amounts(again.units, again.grams, 1),
                           remaining(a, used(db, a.id, exclude_encounter=enc.encounter_id)))]


def _cover(auth: Authorization, others: list[Authorization]) -> list[Authorization]:
    """The authorization and those that carry its cover on without a gap (each starting by the day after the last
    one's end), in order: the last one's end is when the code's cover runs out."""
    chain = [auth]
    for a in others:  # by start: one that starts past the gap ends the chain
        if a.start > chain[-1].end + timedelta(days=1):
            break
        if a.end > chain[-1].end:
            chain.append(a)
    return chain


def used(db: Session, auth_id: int, exclude_encounter: str | None = None) -> Amounts:
    q = select(func.coalesce(func.sum(AuthorizationUse.units), 0), func.coalesce(func.sum(AuthorizationUse.grams), 0),
               func.coalesce(func.sum(AuthorizationUse.visits), 0)).where(AuthorizationUse.authorization_id == auth_id)
    if exclude_encounter is not None:
        q = q.where(AuthorizationUse.encounter_id != exclude_encounter)
    u, g, v = db.execute(q).one()
    return Amounts(int(u), Decimal(str(g)), int(v))


def remaining(auth: Authorization, spent: Amounts) -> dict[str, int | Decimal | None]:
    return {"units": None if auth.units is None else auth.units - spent.units,
            "grams": None if auth.grams is None else Decimal(auth.grams) - spent.grams,
            "visits": None if auth.visits is None else auth.visits - spent.visits}


def renewal_days(enc: Encounter) -> int:
    """How many days before an authorization ends a visit warns (AUTH-EXPIRING): the payer profile's dated
    `authorization_renewal_days` (the plan's decision time for a renewal), or that of the bundled profile of the
    payer type when a user's own profile file predates the parameter."""
    from igclaim.engine import resolve_profile

    ref = reference()
    profile = resolve_profile(enc, ref)
    if RENEWAL_DAYS not in profile.parameters:
        profile = ref.default_profile(enc.payer.type)
    return int(profile.get(RENEWAL_DAYS, enc.date_of_service))


def _short(need: Amounts, left: dict[str, int | Decimal | None]) -> list[str]:
    """What the visit needs beyond what is left, e.g. '60 units needed, 40 left' (none: it fits)."""
    return [f"{_number(need_v)} {name} needed, {_number(left_v)} left" for name, need_v, left_v in
            (("units", need.units, left["units"]), ("grams", need.grams, left["grams"]),
             ("visits", need.visits, left["visits"])) if left_v is not None and need_v > left_v]


def _number(v: int | Decimal) -> str:
    """20, not 20.000 (grams are stored with three decimals)."""
    return f"{v.normalize():f}" if isinstance(v, Decimal) else str(v)


@dataclass(frozen=True)
class Draw:
    """One billed code's draw: the authorization it is charged to and what the claim then takes of it (this code's
    units and grams, with any other code of the claim charged to it, and one visit). `short` says what that lacks
    (empty: it fits); when nothing fits, `refused` names every candidate with what each lacks."""

    code: str
    auth: Authorization
    need: Amounts
    left: dict[str, int | Decimal | None]
    short: list[str]
    refused: list[tuple[Authorization, list[str]]]


def plan(db: Session, enc: Encounter, result: Result, *, lock: bool = False) -> list[Draw]:
    """Where this claim's billed codes go: one authorization each (the module's rule), what is left counted
    without the encounter's own earlier entry (a re-export or correction replaces it)."""
    auths = matching(db, enc, result, lock=lock)
    if not auths:
        return []
    dos = enc.date_of_service
    covers = {a.id: _codes_for(a, dos) for a in auths}
    left = {a.id: remaining(a, used(db, a.id, exclude_encounter=enc.encounter_id)) for a in auths}
    pa = enc.payer.prior_authorization
    named = (pa.number or "").strip().lower() if pa else ""
    taken: dict[int, Amounts] = {}  # what this claim already charges each authorization (an earlier code)
    out = []
    for code in sorted({ln.code for ln in result.claim.lines if any(ln.code in c for c in covers.values())}):
        candidates = [a for a in auths if code in covers[a.id]]
        if named and any(a.number.strip().lower() == named for a in candidates):
            candidates = [a for a in candidates if a.number.strip().lower() == named]
        candidates.sort(key=lambda a: (a.hcpcs is None or a.hcpcs.upper() != code, a.end, a.id))
        this = _billed(result, {code}, dos)
        tried = []
        for a in candidates:
            before = taken.get(a.id, Amounts(0, Decimal(0), 0))
            need = Amounts(before.units + this.units, before.grams + this.grams, 1)
            tried.append((a, need, _short(need, left[a.id])))
        fit = next((t for t in tried if not t[2]), None)
        auth, need, short = fit or tried[0]
        taken[auth.id] = need
        out.append(Draw(code, auth, need, left[auth.id], short,
                          [] if fit else [(a, sh) for a, _, sh in tried]))
    # A code charged to an authorization another code went to later is in the later one's `need`: keep the last.
    last = {c.auth.id: c for c in out}
    return [c for c in out if last[c.auth.id] is c]


def _exceeded(draw: Draw, what: str) -> str:
    """Why a draw cannot be made: the one authorization, or each of several that could have held it."""
    if len(draw.refused) == 1:
        a, short = draw.refused[0]
        return f"authorization {a.number} (ledger #{a.id}) would be exceeded by this {what}: {'; '.join(short)}"
    each = "; ".join(f"{a.number} (ledger #{a.id}): {', '.join(short)}" for a, short in draw.refused)
    return f"none of the {len(draw.refused)} authorizations in force for {draw.code} can hold this {what}: {each}"


def overdrawn(db: Session, enc: Encounter, result: Result) -> list[str]:
    """At export, inside its transaction: what this claim would take past what is left now (the claims exported
    since it was coded, those earlier in this export included, have spent their share). Such a claim is held back;
    the authorizations' rows are locked so that no other export spends the same units meanwhile."""
    return [_exceeded(c, "claim") for c in plan(db, enc, result, lock=True) if c.short]


def check(db: Session, enc: Encounter, result: Result) -> list[Finding]:
    """AUTH-EXHAUSTED when no authorization can hold this visit; AUTH-EXPIRING when the one drawn on ends soon or
    little of it would remain, counting every other authorization of the code that could hold the next visit: a
    renewal already in the ledger (`_cover`) moves the end, and one with room makes a low balance no concern."""
    out: list[Finding] = _unlinked_correction(db, enc)
    dos = enc.date_of_service
    draws = plan(db, enc, result)
    lead = renewal_days(enc) if draws else 0
    for c in draws:
        if c.short:
            text = _exceeded(c, "visit")
            out.append(finding("AUTH-EXHAUSTED", f"{text[0].upper()}{text[1:]}."))
            continue
        auth, need, left = c.auth, c.need, c.left
        others = _others(db, enc, result, c)
        cover = _cover(auth, others)
        ends = cover[-1].end
        days = (ends - dos).days
        after = {k: (v - getattr(need, k) if v is not None else None) for k, v in left.items()}
        low = [f"{after['units']} units" if after["units"] is not None and after["units"] < need.units else None,
               f"{after['grams']:g} g" if after["grams"] is not None and after["grams"] < need.grams else None,
               f"{after['visits']} visits" if after["visits"] is not None and after["visits"] < 1 else None]
        # Another that can hold the next visit, in force by the day after this one ends, makes a low balance moot.
        low_text = [] if any(a.start <= auth.end + timedelta(days=1) for a in others) else [x for x in low if x]
        if days < lead or low_text:
            then = ", ".join(f"{a.number} (ledger #{a.id})" for a in cover[1:])
            it = f"it ends on {ends}" if len(cover) == 1 else f"it and the renewals after it ({then}) end on {ends}"
            why = ([f"{it}, {days} days after this visit (fewer than the {lead} days the plan may "
                    "take to decide a renewal)"] if days < lead else []) + (
                [f"after this visit only {', '.join(low_text)} remain, less than another visit like it"]
                if low_text else [])
            out.append(finding("AUTH-EXPIRING", f"Authorization {auth.number} (ledger #{auth.id}): "
                               f"{' and '.join(why)}."))
    return out


def _unlinked_correction(db: Session, enc: Encounter) -> list[Finding]:
    """AUTH-CORRECTION-UNLINKED: a corrected claim under an encounter id this team never exported, while another
    encounter of the member, payer and date of service holds units of an authorization. The ledger finds the claim a
    correction replaces by its encounter id (`original_claim_id` is the payer's number, which the ledger does not
    keep), so that claim's use stays counted and this one's is counted beside it (a void gives nothing back). A
    warning: the other encounter may be another visit that day, and a correction of a claim sent before igclaim
    has nothing in the ledger to replace."""
    if enc.correction is None or enc.subscriber is None:
        return []
    if db.scalar(select(ExportClaim.encounter_id).where(ExportClaim.encounter_id == enc.encounter_id).limit(1)):
        return []  # exported here before: its export replaces its own entries (consume)
    payer_keys = _payer_keys(enc)
    rows = db.execute(
        select(AuthorizationUse.encounter_id, Authorization.number, Authorization.id, Authorization.payer,
               AuthorizationUse.units)
        .join(Authorization, Authorization.id == AuthorizationUse.authorization_id)
        .join(ClaimRow, ClaimRow.encounter_id == AuthorizationUse.encounter_id)
        .where(Authorization.member_id == enc.subscriber.member_id, ClaimRow.date_of_service == enc.date_of_service,
               AuthorizationUse.encounter_id != enc.encounter_id, AuthorizationUse.visits > 0)
        .order_by(AuthorizationUse.encounter_id, Authorization.id)).all()
    held = [f"{r.encounter_id} holds {r.units} units of authorization {r.number} (ledger #{r.id})"
            for r in rows if r.payer.lower() in payer_keys]
    if not held:
        return []
    kind = "void (frequency 8)" if voids(enc) else "replacement (frequency 7)"
    then = ("would give none of it back" if voids(enc)
            else "would be counted beside it, the same visit twice")
    return [finding("AUTH-CORRECTION-UNLINKED", (
        f"A corrected claim, {kind}, under an encounter id this team has not exported, while {'; '.join(held)} "
        f"for the same member, payer and date of service. The ledger finds the claim a correction replaces by its "
        f"encounter id, not by original_claim_id: if this corrects that claim, it {then}. File the correction "
        "under the original's encounter id; if it corrects a claim sent elsewhere, this does not apply."))]


def consume(db: Session, enc: Encounter, result: Result, version: int, user_id: int) -> list[int]:
    """Record what an exported claim uses of each matching authorization. Its export replaces every earlier entry
    of the encounter, on whichever authorization (a replacement that bills another drug leaves nothing on the
    first one's); a void leaves an entry of nothing where the claim had one, so the history shows it given back."""
    earlier = db.scalars(select(AuthorizationUse).where(AuthorizationUse.encounter_id == enc.encounter_id)).all()
    for old in earlier:
        db.delete(old)
    if voids(enc):
        ids = sorted({old.authorization_id for old in earlier})
        for auth_id in ids:
            db.add(AuthorizationUse(authorization_id=auth_id, encounter_id=enc.encounter_id, version=version,
                                    units=0, grams=Decimal(0), visits=0, by=user_id))
        return ids
    ids = []
    for c in plan(db, enc, result):
        db.add(AuthorizationUse(authorization_id=c.auth.id, encounter_id=enc.encounter_id, version=version,
                                units=c.need.units, grams=c.need.grams, visits=c.need.visits, by=user_id))
        ids.append(c.auth.id)
    return ids
