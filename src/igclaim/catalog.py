"""The finding catalog: every finding igclaim can raise, each with its id, severity, one-line statement, fix,
source and dates. Ids are stable (design.md §5): never rename or reuse one.

It sits below coding and the edits: coding declares the findings it raises while coding (INPUT-AMBIGUOUS…) and
the edit families (igclaim.edits) declare theirs with `@edit`, both here, so coding never imports the edits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from igclaim.model import Finding, Severity

# "written": checks of a written claim scrubbed without its chart (edits/written.py).
Phase = Literal["coding", "chart", "claim", "written"]


@dataclass(frozen=True, slots=True)
class EditSpec:
    id: str
    severity: Severity
    statement: str
    fix: str
    source: str
    phase: Phase
    effective: date | None = None
    ends: date | None = None

    def in_force(self, dos: date) -> bool:
        return (self.effective is None or dos >= self.effective) and (self.ends is None or dos <= self.ends)


SPECS: dict[str, EditSpec] = {}


def declare(
    id: str,
    *,
    severity: Severity,
    statement: str,
    fix: str,
    source: str,
    phase: Phase = "coding",
    effective: date | None = None,
    ends: date | None = None,
) -> EditSpec:
    """Register an edit id once; a second registration with other content is a programming error."""
    spec = EditSpec(id, severity, statement, fix, source, phase, effective, ends)
    old = SPECS.get(id)
    if old is not None and old != spec:
        raise ValueError(f"edit {id} declared twice with different content")
    SPECS[id] = spec
    return spec


def finding(
    id: str,
    message: str,
    *,
    line: int | None = None,
    fix: str | None = None,
    severity: Severity | None = None,
    impact_units: int | None = None,
    impact_usd: Decimal | None = None,
) -> Finding:
    """A finding of a registered edit; severity may be lowered to a warning when the data is uncertain.

    Built without pydantic's validation (the hot path of every claim): every field is typed here (mypy) and comes
    from the catalog or from coding, never from the input unchecked."""
    spec = SPECS[id]
    return Finding.model_construct(
        edit=id,
        severity=severity or spec.severity,
        line=line,
        message=message,
        fix=fix or spec.fix,
        impact_units=impact_units or None,  # zero units at stake says nothing: leave it out
        impact_usd=impact_usd,
        source=spec.source,
    )


def catalog_rows() -> list[dict[str, Any]]:
    """Every registered edit, sorted by id (the catalog that `igclaim edits` prints and docs/edits.md shows)."""
    return [
        {"id": s.id, "severity": s.severity, "phase": s.phase, "statement": s.statement, "fix": s.fix,
         "source": s.source, "effective": s.effective, "ends": s.ends}
        for s in sorted(SPECS.values(), key=lambda s: s.id)
    ]


def catalog_markdown() -> str:
    """The catalog as a Markdown table, for docs/edits.md (a test keeps the two the same)."""
    raised = {"coding": "build, scrub (while coding)", "chart": "build, scrub", "claim": "scrub",
              "written": "scrub of a claim without its chart"}
    out = ["| id | severity | runs on | what it catches | source |", "|---|---|---|---|---|"]
    for r in catalog_rows():
        dates = f" (from {r['effective']})" if r["effective"] else ""
        out.append(f"| {r['id']} | {r['severity']} | {raised[r['phase']]} | {r['statement']}{dates} | "
                   f"{r['source']} |")
    return "\n".join(out) + "\n"
