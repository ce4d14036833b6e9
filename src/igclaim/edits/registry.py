"""The edit checks: functions decorated with `@edit(...)` that read an `EditContext` and yield findings.

The catalog itself (ids, severities, statements, `declare`, `finding`) lives in `igclaim.catalog`, below coding,
so coding can declare the findings it raises without importing the edits. Chart checks run on every build; claim
checks compare the claim a person wrote with the expected one and run on scrub.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from igclaim.catalog import (
    SPECS,
    Cause,
    EditSpec,
    Phase,
    catalog_markdown,
    catalog_rows,
    declare,
    finding,
    one_per_mistake,
)
from igclaim.model import Finding, Severity

if TYPE_CHECKING:
    from igclaim.edits.context import EditContext
    from igclaim.refdata.rules import Rules

Check = Callable[["EditContext"], Iterable[Finding]]

CHECKS: list[tuple[EditSpec, Check]] = []


@dataclass(frozen=True, slots=True)
class When:
    """What a check needs before it can find anything, declared with it so `run_checks` skips it without calling
    it (most of a claim's ~100 checks have nothing to say about it). Each is also the check's own first test."""

    build_only: bool = False  # only when no written claim is given (on scrub the claim checks take over)
    params: tuple[str, ...] = ()  # payer-profile parameters that must all be set (truthy) on the date
    home_dme: bool = False  # a home claim under a profile whose home_rules is medicare-dme
    tables: tuple[str, ...] = ()  # it reads only these imported tables: skipped when none of them is loaded
    chart: tuple[str, ...] = ()  # encounter fields that must be non-empty (pump_log, payer.prior_authorization)

    def holds(self, ctx: EditContext) -> bool:
        if self.build_only and ctx.written is not None:
            return False
        if any(not ctx.rules.param(p) for p in self.params):
            return False
        if self.home_dme and not ctx.home_dme():
            return False
        if self.tables and not any(ctx.rules.tables.has(kind) for kind in self.tables):
            return False
        return all(_chart_fact(ctx, name) for name in self.chart)


def _chart_fact(ctx: EditContext, name: str) -> bool:
    if name == "prior_authorization":
        return ctx.encounter.payer.prior_authorization is not None
    return bool(getattr(ctx.encounter, name))


WHEN: dict[Check, When] = {}


def _family_order(check: tuple[EditSpec, Check]) -> tuple[bool, str]:
    """Where a check stands in CHECKS, whatever order its module was imported in (a program that imports
    igclaim.edits.tables before the engine must get the same findings, and `one_per_mistake` keeps the first of one
    mistake): the drug family first (the line's own drug findings before what other families say of it), then the
    families by module name; within a module, the order its checks are written in."""
    module = check[1].__module__
    return module != "igclaim.edits.drug", module


def _register(spec: EditSpec, fn: Check) -> None:
    insort(CHECKS, (spec, fn), key=_family_order)  # after the checks already there with the same key


def edit(
    id: str,
    *,
    severity: Severity,
    statement: str,
    fix: str,
    source: str,
    phase: Literal["chart", "claim", "written"],
    effective: date | None = None,
    ends: date | None = None,
    supersedes: tuple[str, ...] = (),
    when: When | None = None,
) -> Callable[[Check], Check]:
    """Decorator: register a check function under its edit id (`when`: what it needs before it can find anything)."""
    spec = declare(
        id, severity=severity, statement=statement, fix=fix, source=source, phase=phase,
        effective=effective, ends=ends, supersedes=supersedes,
    )

    def wrap(fn: Check) -> Check:
        _register(spec, fn)
        if when is not None:
            WHEN[fn] = when
        return fn

    return wrap


def also_check(id: str, phase: Literal["chart", "claim", "written"], when: When | None = None
               ) -> Callable[[Check], Check]:
    """Decorator: one more check for an id already declared (e.g. raised while coding, checked on scrub)."""

    def wrap(fn: Check) -> Check:
        if when is not None:
            WHEN[fn] = when
        spec = SPECS[id]
        _register(replace(spec, phase=phase), fn)
        return fn

    return wrap


def run_checks(ctx: EditContext, phases: Iterable[Phase]) -> list[Finding]:
    """The checks of these phases in force on the date of service, in the order of CHECKS (`_family_order`), less
    those whose `When` does not hold. The list depends only on the dated rule snapshot and a few facts of the claim,
    so it is worked out once per snapshot and kind of claim (and shared between snapshots that answer alike:
    `_checks_for`)."""
    plan = _plan()  # a check registered later (a family imported late) makes a new plan, so new lists
    # The claim's side of the `When`s: written or not, home or not, the chart facts they read.
    key = ("checks", frozenset(phases), plan, ctx.written is not None, ctx.encounter.setting == "home",
           *[_chart_fact(ctx, name) for name in plan.chart])
    checks: tuple[Check, ...] | None = ctx.rules.memo.get(key)
    if checks is None:
        checks = ctx.rules.once(key, lambda _: _checks_for(ctx, plan, key))
    out: list[Finding] = []
    extend = out.extend
    for fn in checks:
        extend(fn(ctx))  # a list, not a chain of generators: each finding is handed on once
    return out


# --- which checks apply: one list per answer, shared by every snapshot that gives the same answers -------------

@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed by identity: one per registration state
class _Plan:
    """Everything the list of checks to run can depend on, read from CHECKS and WHEN as registered: the dates on
    which some check comes into or goes out of force, and the payer parameters, tables and chart facts the `When`s
    read. Remade when a check is registered (a family imported late)."""

    size: int  # len(CHECKS) it was made from
    when: int  # len(WHEN) it was made from
    bounds: tuple[date, ...]  # sorted: between two bounds every check's `in_force` gives the same answer
    params: tuple[str, ...]  # payer parameters some `When.params` reads
    home: bool  # some `When.home_dme` reads home_rules
    tables: tuple[str, ...]  # imported tables some `When.tables` reads
    chart: tuple[str, ...]  # chart facts some `When.chart` reads


_PLANS: list[_Plan] = []
# Lists of checks by (snapshot signature, kind of claim, plan): a few dozen on any input; bounded anyway.
CHECK_LISTS_LIMIT = 1024
_CHECK_LISTS: dict[tuple[object, ...], tuple[Check, ...]] = {}


def _plan() -> _Plan:
    plan = _PLANS[-1] if _PLANS else None
    if plan is not None and plan.size == len(CHECKS) and plan.when == len(WHEN):
        return plan
    bounds: set[date] = set()
    for spec, _ in CHECKS:
        if spec.effective is not None:
            bounds.add(spec.effective)
        if spec.ends is not None and spec.ends < date.max:
            bounds.add(spec.ends + timedelta(days=1))  # in force through `ends`, inclusive
    whens = [WHEN[fn] for _, fn in CHECKS if fn in WHEN]
    plan = _Plan(len(CHECKS), len(WHEN), tuple(sorted(bounds)),
                 tuple(dict.fromkeys(p for w in whens for p in w.params)), any(w.home_dme for w in whens),
                 tuple(dict.fromkeys(t for w in whens for t in w.tables)),
                 tuple(dict.fromkeys(c for w in whens for c in w.chart)))
    _PLANS[:] = [plan]
    return plan


def _signature(rules: Rules, plan: _Plan) -> tuple[object, ...] | None:
    """What every `in_force` and the snapshot's side of every `When` answer on this snapshot: which interval
    between the checks' dates the date falls in, the truth of each parameter read, whether home_rules is
    medicare-dme, which tables read are loaded. None when a parameter read is missing from the profile (then
    the list is worked out check by check, as `When.holds` reports it)."""
    params = rules.params
    if any(p not in params for p in plan.params) or (plan.home and "home_rules" not in params):
        return None
    return (bisect_right(plan.bounds, rules.dos), tuple(bool(params[p]) for p in plan.params),
            plan.home and params["home_rules"] == "medicare-dme", tuple(rules.tables.has(t) for t in plan.tables))


def _checks_for(ctx: EditContext, plan: _Plan, key: tuple[Any, ...]) -> tuple[Check, ...]:
    """The list for this snapshot and kind of claim: the one already made for a snapshot that gives the same
    answers (another date of the same interval, another profile with the same parameters), else made now."""
    signature = ctx.rules.once(("checks.signature", plan), partial(_signature, plan=plan))
    shared = None if signature is None else (signature, *key[1:])
    if shared is not None:
        hit = _CHECK_LISTS.get(shared)
        if hit is not None:
            return hit
    phases: frozenset[Phase] = key[1]
    checks = tuple(fn for spec, fn in CHECKS
                   if spec.phase in phases and spec.in_force(ctx.dos) and (fn not in WHEN or WHEN[fn].holds(ctx)))
    if shared is not None:
        if len(_CHECK_LISTS) >= CHECK_LISTS_LIMIT:
            _CHECK_LISTS.clear()
        _CHECK_LISTS[shared] = checks
    return checks


__all__ = ["CHECKS", "SPECS", "WHEN", "Cause", "Check", "EditSpec", "Phase", "When", "also_check", "catalog_markdown",
           "catalog_rows", "declare", "edit", "finding", "one_per_mistake", "run_checks"]
