"""The edit checks: functions decorated with `@edit(...)` that read an `EditContext` and yield findings.

The catalog itself (ids, severities, statements, `declare`, `finding`) lives in `igclaim.catalog`, below coding,
so coding can declare the findings it raises without importing the edits. Chart checks run on every build; claim
checks compare the claim a person wrote with the expected one and run on scrub.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Literal

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
        if self.home_dme and not (ctx.encounter.setting == "home" and ctx.rules.param("home_rules") == "medicare-dme"):
            return False
        if self.tables and not any(ctx.rules.tables.has(kind) for kind in self.tables):
            return False
        return all(_chart_fact(ctx, name) for name in self.chart)


def _chart_fact(ctx: EditContext, name: str) -> bool:
    if name == "prior_authorization":
        return ctx.encounter.payer.prior_authorization is not None
    return bool(getattr(ctx.encounter, name))


WHEN: dict[Check, When] = {}


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
        CHECKS.append((spec, fn))
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
        CHECKS.append((replace(spec, phase=phase), fn))
        return fn

    return wrap


def run_checks(ctx: EditContext, phases: Iterable[Phase]) -> list[Finding]:
    """The checks of these phases in force on the date of service, in registration order, less those whose `When`
    does not hold. The list depends only on the dated rule snapshot and a few facts of the claim, so it is
    worked out once per snapshot and kind of claim."""
    enc = ctx.encounter
    # A check registered later (a family imported late) makes a new list.
    key = ("checks", frozenset(phases), len(CHECKS), ctx.written is not None, enc.setting, bool(enc.pump_log),
           enc.payer.prior_authorization is not None)
    checks: list[Check] | None = ctx.rules.memo.get(key)
    if checks is None:
        checks = ctx.rules.once(key, lambda _: [
            fn for spec, fn in CHECKS
            if spec.phase in key[1] and spec.in_force(ctx.dos) and (fn not in WHEN or WHEN[fn].holds(ctx))])
    out: list[Finding] = []
    for fn in checks:
        out.extend(fn(ctx))  # a list, not a chain of generators: each finding is handed on once
    return out


__all__ = ["CHECKS", "SPECS", "WHEN", "Cause", "Check", "EditSpec", "Phase", "When", "also_check", "catalog_markdown",
           "catalog_rows", "declare", "edit", "finding", "one_per_mistake", "run_checks"]
