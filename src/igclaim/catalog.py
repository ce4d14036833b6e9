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

from igclaim.construct import trusted_all
from igclaim.model import ClaimLine, Finding, Severity
from igclaim.refdata.dated import within

# "written": checks of a written claim scrubbed without its chart (edits/written.py).
Phase = Literal["coding", "chart", "claim", "written"]

# What a finding is about, so one mistake is reported once: (what went wrong, the subject it went wrong for), e.g.
# ("units", "drugs[0]") or ("line-absent", "96366"). Two findings with the same cause on the same line are one
# mistake; the edit that names it more precisely declares `supersedes` and the other is dropped (`one_per_mistake`).
Cause = tuple[str, str]


@dataclass(frozen=True, slots=True)
class EditSpec:
    """One edit of the catalog. Its statement and fix may quote reference values as `{name}` (`quote`), filled
    from the data files when they are read, so no threshold, code or date is retyped in a statement and nothing is
    read from the reference data when the module declaring the edit is imported."""

    id: str
    severity: Severity
    statement_text: str
    fix_text: str
    source: str
    phase: Phase
    effective: date | None = None
    ends: date | None = None
    supersedes: tuple[str, ...] = ()

    def in_force(self, dos: date) -> bool:
        return within(dos, self.effective, self.ends)

    @property
    def statement(self) -> str:
        return quote(self.statement_text)

    @property
    def fix(self) -> str:
        return quote(self.fix_text)


_QUOTED: dict[str, str] = {}


def quote(text: str) -> str:
    """The text with its `{name}` placeholders filled from the reference data's quoted values
    (`ReferenceData.quoted`: thresholds, codes and dates of the bundled data files), read on first use."""
    if "{" not in text:
        return text
    done = _QUOTED.get(text)
    if done is None:
        from igclaim.refdata.resolver import reference

        done = _QUOTED[text] = text.format_map(reference().quoted())
    return done


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
    supersedes: tuple[str, ...] = (),
) -> EditSpec:
    """Register an edit id once; a second registration with other content is a programming error.
    `supersedes`: edits whose finding of the same cause on the same line this one replaces (one mistake, one
    finding)."""
    if id in supersedes:
        raise ValueError(f"edit {id} cannot supersede itself")
    spec = EditSpec(id, severity, statement, fix, source, phase, effective, ends, supersedes)
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
    cause: Cause | list[Cause] | None = None,
) -> Finding:
    """A finding of a registered edit; severity may be lowered to a warning when the data is uncertain. `cause`
    says what the finding is about (see `Cause`; a list when it is about several); not part of the public result.

    Built without pydantic's validation (the hot path of every claim): every field is typed here (mypy) and comes
    from the catalog or from coding, never from the input unchecked."""
    spec = SPECS[id]
    return trusted_all(Finding, {
        "edit": id,
        "severity": severity or spec.severity,
        "line": line,
        "message": message,
        "fix": fix or spec.fix,
        "impact_units": impact_units or None,  # zero units at stake says nothing: leave it out
        "impact_usd": impact_usd,
        "source": spec.source,
    }, {"_causes": (tuple(cause) if isinstance(cause, list) else (cause,)) if cause else ()})


def line_numbers(lines: list[ClaimLine]) -> str:
    """The lines a finding names, for its message: 'Line 3', 'Lines 1, 2'."""
    return f"Line{'s' if len(lines) > 1 else ''} {', '.join(str(ln.line) for ln in lines)}"


def with_article(word: str) -> str:
    """The word with its article, for finding messages: 'an office', 'a home', 'an Original Medicare Part B'."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def one_per_mistake(findings: list[Finding]) -> list[Finding]:
    """Drop each finding that another finding supersedes: the same cause, on the same line (or the dropped one is
    about the whole claim, no line), and the other's edit declares `supersedes` with this one's id. Structural
    only: no message text is read."""
    if len(findings) < 2:  # it takes two (no edit supersedes itself, `declare`): half the claims have fewer
        return list(findings)
    on_line: dict[tuple[int | None, Cause], set[str]] = {}
    any_line: dict[Cause, set[str]] = {}
    for f in findings:
        spec = SPECS.get(f.edit)
        if spec is None or not spec.supersedes:
            continue  # most findings supersede nothing: their causes are not even read
        for c in f.causes:
            on_line.setdefault((f.line, c), set()).update(spec.supersedes)
            any_line.setdefault(c, set()).update(spec.supersedes)
    if not any_line:
        return list(findings)  # no finding supersedes another: most claims

    def superseded(f: Finding) -> bool:
        return any(f.edit in on_line.get((f.line, c), ()) or (f.line is None and f.edit in any_line.get(c, ()))
                   for c in f.causes)
    return [f for f in findings if not superseded(f)]


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
