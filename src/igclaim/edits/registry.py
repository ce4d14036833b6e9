"""The edit checks: functions decorated with `@edit(...)` that read an `EditContext` and yield findings.

The catalog itself (ids, severities, statements, `declare`, `finding`) lives in `igclaim.catalog`, below coding,
so coding can declare the findings it raises without importing the edits. Chart checks run on every build; claim
checks compare the claim a person wrote with the expected one and run on scrub.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
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
) -> Callable[[Check], Check]:
    """Decorator: register a check function under its edit id."""
    spec = declare(
        id, severity=severity, statement=statement, fix=fix, source=source, phase=phase,
        effective=effective, ends=ends, supersedes=supersedes,
    )

    def wrap(fn: Check) -> Check:
        CHECKS.append((spec, fn))
        return fn

    return wrap


def also_check(id: str, phase: Literal["chart", "claim", "written"]) -> Callable[[Check], Check]:
    """Decorator: one more check for an id already declared (e.g. raised while coding, checked on scrub)."""

    def wrap(fn: Check) -> Check:
        spec = SPECS[id]
        CHECKS.append((replace(spec, phase=phase), fn))
        return fn

    return wrap


_BY_PHASES: dict[tuple[frozenset[str], int], list[tuple[EditSpec, Check]]] = {}


def run_checks(ctx: EditContext, phases: Iterable[Phase]) -> Iterator[Finding]:
    """The checks of these phases in force on the date of service, in registration order."""
    wanted = frozenset(phases)
    key = (wanted, len(CHECKS))  # a check registered later (a family imported late) makes a new list
    checks = _BY_PHASES.get(key)
    if checks is None:
        checks = _BY_PHASES[key] = [(spec, fn) for spec, fn in CHECKS if spec.phase in wanted]
    dos = ctx.dos
    for spec, fn in checks:
        if (spec.effective is None or dos >= spec.effective) and (spec.ends is None or dos <= spec.ends):
            yield from fn(ctx)


__all__ = ["CHECKS", "SPECS", "Cause", "Check", "EditSpec", "Phase", "also_check", "catalog_markdown", "catalog_rows",
           "declare", "edit", "finding", "one_per_mistake", "run_checks"]
