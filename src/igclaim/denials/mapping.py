"""From each adjustment on a remittance to a biller's explanation and the igclaim edits that would have caught
it (refdata/remit/mapping.toml). Plain functions over the reader's records; the rules are data.

Dollars: a *denied* dollar is an adjustment whose reason is a denial (carc.toml kind) in a group the provider
absorbs (CO, OA, PI, CR); PR amounts are the patient's share and reductions (CO-45, CO-253) are the contract.
An adjustment with a code igclaim does not know is counted apart as *unexplained*, never as a guessed denial.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

from igclaim.denials.catalog import Catalog, CodeInfo, catalog
from igclaim.denials.reader import Adjustment, ClaimPayment, Remittance, ServiceLine

Fix = Literal["recompute", "chart", "payer"]
_PROVIDER_GROUPS = ("CO", "OA", "PI", "CR")


@dataclass(frozen=True)
class Rule:
    id: str
    carc: frozenset[str]
    rarc: frozenset[str]
    edits: tuple[str, ...]
    fix: Fix
    recoverable: bool
    advice: str

    def matches(self, reason: str, remarks: set[str]) -> bool:
        if self.carc and reason not in self.carc:
            return False
        return not self.rarc or bool(self.rarc & remarks)


@cache
def rules() -> tuple[Rule, ...]:
    doc = tomllib.loads((resources.files("igclaim.refdata") / "remit" / "mapping.toml").read_text("utf-8"))
    out = []
    for r in doc["rule"]:
        if not r["carc"] and not r["rarc"]:
            raise ValueError(f"mapping rule {r['id']}: give carc or rarc")
        if r["fix"] not in ("recompute", "chart", "payer"):
            raise ValueError(f"mapping rule {r['id']}: fix {r['fix']!r}")
        out.append(Rule(r["id"], frozenset(map(str, r["carc"])), frozenset(r["rarc"]), tuple(r["edits"]), r["fix"],
                        bool(r["recoverable"]), r["advice"]))
    return tuple(out)


def match_rule(adj: Adjustment, info: CodeInfo, remarks: set[str]) -> Rule | None:
    """The first rule for a denial; a remark-only rule may also explain a reason code igclaim does not know."""
    if info.kind not in ("denial", "unknown"):
        return None
    for rule in rules():
        if info.kind == "unknown" and rule.carc:
            continue
        if rule.matches(adj.reason, remarks):
            return rule
    return None


@dataclass
class AdjustmentView:
    group: str
    group_meaning: str
    reason: str
    reason_known: bool
    meaning: str
    official: str | None
    kind: str
    amount: Decimal
    quantity: Decimal | None
    denied: bool
    note: str | None = None
    rule: str | None = None
    edits: list[str] = field(default_factory=list)
    fix: str | None = None
    recoverable: bool | None = None
    advice: str | None = None

    @property
    def label(self) -> str:
        return f"{self.group}-{self.reason}"


@dataclass
class RemarkView:
    code: str
    known: bool
    meaning: str
    official: str | None = None
    note: str | None = None


@dataclass
class LineView:
    line: int | None  # None: the claim-level adjustments
    code: str | None
    modifiers: list[str]
    billed_units: Decimal | None
    paid_units: Decimal | None
    charge: Decimal
    paid: Decimal
    allowed: Decimal | None
    service_date: date | None
    remarks: list[RemarkView]
    adjustments: list[AdjustmentView]
    paid_code: str | None = None
    flagged: bool | None = None
    flagged_edits: list[str] = field(default_factory=list)

    @property
    def denied_usd(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.denied), Decimal(0))


@dataclass
class ClaimView:
    remit: int  # index of the remittance in the file
    claim_id: str
    payer_claim_id: str | None
    status: str
    status_meaning: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    frequency: str | None
    outcome: str
    summary: str
    lines: list[LineView]
    remarks: list[RemarkView]
    warnings: list[str]
    matched: str | None = None  # where the claim that went out was found (--claims)
    flagged: bool | None = None
    correction: str | None = None  # "written to FILE" or why it needs a person

    def adjustments(self) -> list[tuple[LineView, AdjustmentView]]:
        return [(ln, a) for ln in self.lines for a in ln.adjustments]

    @property
    def denied_usd(self) -> Decimal:
        return sum((a.amount for _, a in self.adjustments() if a.denied), Decimal(0))

    @property
    def unexplained_usd(self) -> Decimal:
        return sum((a.amount for _, a in self.adjustments() if not a.reason_known and a.group != "PR"), Decimal(0))

    @property
    def edits(self) -> list[str]:
        seen: dict[str, None] = {}
        for _, a in self.adjustments():
            if a.denied:
                for e in a.edits:
                    seen.setdefault(e, None)
        return list(seen)

    @property
    def fixes(self) -> set[str]:
        return {a.fix for _, a in self.adjustments() if a.denied and a.fix}


def explain(remit: Remittance, index: int, claim: ClaimPayment, cat: Catalog | None = None) -> ClaimView:
    """A claim payment explained line by line, with its adjustments traced to rules and edits."""
    cat = cat or catalog()
    on = remit.as_of
    claim_remarks = [_remark(cat, r, on) for r in dict.fromkeys(claim.remarks)]
    views: list[LineView] = []
    reversal = claim.is_reversal
    # Neither a reversal nor a predetermination denies anything: the first takes back an earlier decision, the
    # second says what the payer would decide.
    decision = not (reversal or claim.is_predetermination)
    if claim.adjustments:
        remarks = set(claim.remarks)
        views.append(LineView(None, None, [], None, None, claim.charge, claim.paid, None, None, [],
                              [_adjustment(cat, a, remarks, on, decision, reversal) for a in claim.adjustments]))
    for ln in claim.lines:
        views.append(_line(cat, ln, set(claim.remarks), on, decision, reversal))
    view = ClaimView(
        remit=index, claim_id=claim.claim_id, payer_claim_id=claim.payer_claim_id, status=claim.status,
        status_meaning=cat.status(claim.status), charge=claim.charge, paid=claim.paid,
        patient_responsibility=claim.patient_responsibility, frequency=claim.frequency, outcome="", summary="",
        lines=views, remarks=claim_remarks, warnings=list(claim.warnings),
    )
    view.outcome, view.summary = _outcome(view)
    return view


def _remark(cat: Catalog, code: str, on: date | None) -> RemarkView:
    info = cat.remark(code)
    return RemarkView(code, info.known, info.meaning, info.official, info.validity_note(on))


def _line(cat: Catalog, ln: ServiceLine, claim_remarks: set[str], on: date | None, decision: bool, reversal: bool
          ) -> LineView:
    remarks = set(ln.remarks) | claim_remarks
    return LineView(
        line=ln.number, code=ln.billed_code, modifiers=ln.billed_modifiers, billed_units=ln.billed_units,
        paid_units=ln.units_paid, charge=ln.charge, paid=ln.paid, allowed=ln.allowed, service_date=ln.service_date,
        remarks=[_remark(cat, r, on) for r in dict.fromkeys(ln.remarks)],
        adjustments=[_adjustment(cat, a, remarks, on, decision, reversal) for a in ln.adjustments],
        paid_code=ln.code if ln.original_code else None,
    )


def _adjustment(cat: Catalog, a: Adjustment, remarks: set[str], on: date | None, decision: bool, reversal: bool
                ) -> AdjustmentView:
    """`decision`: the claim payment decides the claim (not a reversal or a predetermination), so its denials count.
    A predetermination's adjustments still name the rule (what to fix before the service is billed)."""
    info = cat.reason(a.reason)
    denied = info.kind == "denial" and a.group in _PROVIDER_GROUPS and decision and a.amount > 0
    view = AdjustmentView(
        group=a.group, group_meaning=cat.group(a.group), reason=a.reason, reason_known=info.known,
        meaning=info.meaning, official=info.official, kind=info.kind, amount=a.amount, quantity=a.quantity,
        denied=denied, note=info.validity_note(on),
    )
    rule = match_rule(a, info, remarks) if not reversal else None
    if rule is not None:
        view.rule, view.edits, view.fix = rule.id, list(rule.edits), rule.fix
        view.recoverable, view.advice = rule.recoverable, rule.advice
    return view


# The outcomes of a claim payment that decides nothing: it takes back an earlier decision, or prices a claim.
NOT_DECISIONS = ("reversal", "predetermination")


def _money(v: Decimal) -> str:
    return f"${v:,.2f}" if v >= 0 else f"−${-v:,.2f}"


def _outcome(c: ClaimView) -> tuple[str, str]:
    """The claim's outcome and one sentence a biller reads first."""
    if c.status == "22":
        return "reversal", (f"The payer reversed its earlier decision on this claim (payer claim "
                            f"{c.payer_claim_id or '?'}): {_money(c.paid)} of payment taken back.")
    if c.status == "25":
        return "predetermination", "Predetermination only: the payer priced the claim and paid nothing."
    if c.paid < 0:
        return "taken back", (f"The payer took back {_money(-c.paid)} on this claim with status {c.status} "
                              f"({c.status_meaning}), not a reversal (22): ask the payer which payment it takes back.")
    denied, unexplained = c.denied_usd, c.unexplained_usd
    reasons = sorted({a.label for _, a in c.adjustments() if a.denied})
    unknown = sorted({a.label for _, a in c.adjustments() if not a.reason_known})
    tail = f" Unknown codes ({', '.join(unknown)}) are not explained: {_money(unexplained)}." if unknown else ""
    if c.status == "4" or (c.paid == 0 and denied > 0):
        why = ", ".join(reasons) or "no reason code"
        return "denied", f"Denied: {_money(denied)} of {_money(c.charge)} refused ({why}).{tail}"
    if c.paid == 0:
        return "zero pay", f"Nothing paid and nothing denied: {_split(c)}.{tail}"
    if denied > 0:
        return "partially paid", (f"Partly paid: {_money(c.paid)} of {_money(c.charge)}; {_money(denied)} denied "
                                  f"({', '.join(reasons)}).{tail}")
    if c.paid < c.charge:
        return "paid (reduced)", f"Paid {_money(c.paid)} of {_money(c.charge)}, nothing denied: {_split(c)}.{tail}"
    return "paid", f"Paid in full: {_money(c.paid)}.{tail}"


_KIND_WORDS = {"patient": "the patient's share", "reduction": "the contract's reduction",
               "coordination": "another payer's part", "info": "other adjustments", "denial": "denied"}


def _split(c: ClaimView) -> str:
    """Where the unpaid amount went, by kind of adjustment (unknown codes are left to the tail)."""
    totals: dict[str, Decimal] = {}
    for _, a in c.adjustments():
        if a.reason_known:
            totals[a.kind] = totals.get(a.kind, Decimal(0)) + a.amount
    parts = [f"{_KIND_WORDS[k]} {_money(v)}" for k, v in totals.items() if v]
    return ", ".join(parts) or "no adjustment reported"


def as_dict(c: ClaimView) -> dict[str, Any]:
    """The JSON shape of an explained claim (amounts as numbers)."""

    def num(v: Decimal | None) -> int | float | None:
        if v is None:
            return None
        return int(v) if v == v.to_integral_value() else float(v)

    def adj(a: AdjustmentView) -> dict[str, Any]:
        return {"group": a.group, "group_meaning": a.group_meaning, "reason": a.reason, "known": a.reason_known,
                "meaning": a.meaning, "official": a.official, "kind": a.kind, "amount": num(a.amount),
                "quantity": num(a.quantity), "denied": a.denied, "note": a.note, "rule": a.rule, "edits": a.edits,
                "fix": a.fix, "recoverable": a.recoverable, "advice": a.advice}

    def rem(r: RemarkView) -> dict[str, Any]:
        return {"code": r.code, "known": r.known, "meaning": r.meaning, "official": r.official, "note": r.note}

    return {
        "claim_id": c.claim_id, "payer_claim_id": c.payer_claim_id, "status": c.status,
        "status_meaning": c.status_meaning, "outcome": c.outcome, "summary": c.summary,
        "charge": num(c.charge), "paid": num(c.paid), "patient_responsibility": num(c.patient_responsibility),
        "denied": num(c.denied_usd), "unexplained": num(c.unexplained_usd), "edits": c.edits,
        "matched": c.matched, "flagged": c.flagged, "correction": c.correction,
        "remarks": [rem(r) for r in c.remarks], "warnings": c.warnings,
        "lines": [{"line": ln.line, "code": ln.code, "modifiers": ln.modifiers, "paid_code": ln.paid_code,
                   "billed_units": num(ln.billed_units), "paid_units": num(ln.paid_units), "charge": num(ln.charge),
                   "paid": num(ln.paid), "allowed": num(ln.allowed), "denied": num(ln.denied_usd),
                   "service_date": ln.service_date.isoformat() if ln.service_date else None,
                   "flagged": ln.flagged, "flagged_edits": ln.flagged_edits,
                   "remarks": [rem(r) for r in ln.remarks], "adjustments": [adj(a) for a in ln.adjustments]}
                  for ln in c.lines],
    }
