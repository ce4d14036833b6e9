"""Diagnosis edits: present, valid on the date of service (refdata/icd10.py), covered for the product under the
payer profile's coverage policy (refdata/coverage.py), and never a code that is not a reason for immune globulin.

Chart checks read the chart's diagnoses; on scrub, a written claim that lists other diagnoses is checked too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from igclaim.edits.context import EditContext
from igclaim.edits.registry import also_check, edit, finding
from igclaim.errors import InputError
from igclaim.model import Finding, Severity
from igclaim.refdata import icd10
from igclaim.refdata.coverage import Policy, PolicyError, not_a_reason, policy

ICD10_FILES = "https://www.cms.gov/medicare/coding-billing/icd-10-codes"
MCD = "https://www.cms.gov/medicare-coverage-database/"


def chart_dx(ctx: EditContext) -> list[str]:
    return list(ctx.expected.diagnoses)


def written_dx(ctx: EditContext) -> list[str] | None:
    """The written claim's diagnoses when it lists its own and they differ from the chart's (else None)."""
    if ctx.written is None or not ctx.written.diagnoses:
        return None
    dx = [icd10.format(d) for d in ctx.written.diagnoses]
    return dx if dx != chart_dx(ctx) else None


def claim_dx(ctx: EditContext) -> list[str]:
    """The diagnoses the claim goes out with: the written ones on scrub when given, else the chart's."""
    return written_dx(ctx) or chart_dx(ctx)


def coverage_policy(ctx: EditContext) -> Policy:
    """The policy named by the payer profile for the setting (home or office/hospital)."""
    param = "home_coverage_policy" if ctx.encounter.setting == "home" else "coverage_policy"
    name = ctx.profile.get(param, ctx.dos)
    base = None if ctx.profile.path.startswith("bundled:") else str(Path(ctx.profile.path).parent)
    try:
        return policy(str(name), base)
    except PolicyError as exc:
        raise InputError("payer.profile", f"{param}: {exc}") from None


@dataclass(frozen=True)
class Gap:
    """The claim's diagnoses cover none of its immune globulin products under the policy."""

    policy: Policy
    products: list[str]
    severity: Severity
    notes: list[str]

    def text(self, dx: list[str]) -> str:
        notes = f" {' '.join(self.notes)}" if self.notes else ""
        uncertain = "" if self.severity == "error" else " (a warning: the list is not certain for your payer)"
        return (f"No diagnosis on the claim ({', '.join(dx)}) is covered for {', '.join(self.products)} under "
                f"{self.policy.title}{uncertain}. {self.policy.notice}{notes}")


def coverage_gap(ctx: EditContext, dx: list[str]) -> Gap | None:
    if not dx:
        return None
    pol = coverage_policy(ctx)
    uncovered = [f for f in ctx.coding.drugs.values() if f.is_ig and pol.covering(dx, f.route) is None]
    if not uncovered:
        return None
    notes = pol.uncertain_notes(dx)
    severity: Severity = "warning" if notes and pol.severity == "error" else pol.severity
    names = [f"{f.product.name if f.product else f.code} ({f.route})" for f in uncovered]
    return Gap(pol, names, severity, notes)


def _first_ig_line(ctx: EditContext) -> int | None:
    from igclaim.edits.drug import all_written_drug_lines

    if ctx.written is None:
        return None
    lines = all_written_drug_lines(ctx)
    return lines[0].line if lines else None


@edit(
    "DX-MISSING",
    severity="error",
    statement="no diagnosis",
    fix="Add the diagnosis that is the reason for the immune globulin (ICD-10-CM, billable code).",
    source=ICD10_FILES,
    phase="chart",
)
def dx_missing(ctx: EditContext) -> Iterator[Finding]:
    if not chart_dx(ctx) and not written_dx(ctx):
        yield finding("DX-MISSING", "The chart gives no diagnosis; a claim without one is rejected.")


def _invalid(ctx: EditContext, dx: list[str], line: int | None) -> Iterator[Finding]:
    for code in dx:
        ok = icd10.is_billable(code, ctx.dos)
        if ok is None:
            yield finding("DX-INVALID", f"{code}: no bundled ICD-10-CM release covers {ctx.dos}, so the code "
                          "could not be checked.", severity="info", line=line,
                          fix="Import the ICD-10-CM release in force on the date (igclaim data import icd10).")
        elif not ok and (others := icd10.also_billable_in(code, ctx.dos)):
            rel = icd10.release_for(ctx.dos)
            assert rel is not None
            yield finding("DX-INVALID", f"{code} is not in the {rel.name} release in force on {ctx.dos}, but it is "
                          f"billable in the {others[0].name} release for the same date: the file in force may be "
                          "partial, so this is uncertain.", severity="warning", line=line,
                          fix="Check that the imported ICD-10-CM file is the complete release (igclaim data status).")
        elif not ok:
            rel = icd10.release_for(ctx.dos)
            assert rel is not None
            under = icd10.billable_under(code, ctx.dos)
            why = (f"it is a category; billable codes under it: {', '.join(under)}" if under else
                   "it is not in that release")
            yield finding("DX-INVALID", f"{code} is not a billable ICD-10-CM code on {ctx.dos} ({rel.name} "
                          f"release): {why}.", line=line,
                          fix=f"Code to the most specific billable code{' (' + under[0] + ' …)' if under else ''}.")


@edit(
    "DX-INVALID",
    severity="error",
    statement="not a valid, billable ICD-10-CM code on the date of service",
    fix="Use a billable (most specific) ICD-10-CM code of the release in force on the date of service.",
    source=ICD10_FILES,
    phase="chart",
)
def dx_invalid(ctx: EditContext) -> Iterator[Finding]:
    yield from _invalid(ctx, chart_dx(ctx), None)


@edit(
    "DX-NOT-COVERED",
    severity="warning",
    statement="the diagnosis is not covered for this product under the payer's policy",
    fix="Check the diagnosis against the payer's coverage policy (LCD/article or plan policy); if it is right and "
    "not covered, get an ABN (Original Medicare) or the plan's approval before the infusion.",
    source=MCD,
    phase="chart",
)
def dx_not_covered(ctx: EditContext) -> Iterator[Finding]:
    dx = chart_dx(ctx)
    gap = coverage_gap(ctx, dx)
    if gap:
        yield finding("DX-NOT-COVERED", gap.text(dx), severity=gap.severity, line=_first_ig_line(ctx))


@edit(
    "DX-CHEMO-ENCOUNTER",
    severity="error",
    statement="Z51.11 (encounter for antineoplastic chemotherapy) given as the reason for IG",
    fix="Give the condition immune globulin treats (e.g. the immunodeficiency) as the diagnosis; Z51.11 is for "
    "chemotherapy visits.",
    source=ICD10_FILES,
    phase="chart",
)
def dx_chemo(ctx: EditContext) -> Iterator[Finding]:
    yield from _not_a_reason(ctx, chart_dx(ctx), None)


def _not_a_reason(ctx: EditContext, dx: list[str], line: int | None) -> Iterator[Finding]:
    compact = [icd10.compact(d) for d in dx]
    for entry in not_a_reason():
        if entry.code in compact:
            first = compact.index(entry.code) == 0
            where = "first-listed" if first else f"listed as diagnosis {compact.index(entry.code) + 1}"
            yield finding(entry.edit, f"{icd10.format(entry.code)} {where}: {entry.reason}.", line=line,
                          severity=None if first else "warning")


# On scrub, a written claim that lists diagnoses other than the chart's gets the same edits, under their own ids.


@also_check("DX-INVALID", "claim")
def written_dx_invalid(ctx: EditContext) -> Iterator[Finding]:
    dx = written_dx(ctx)
    if dx is not None:
        chart = set(chart_dx(ctx))
        yield from _invalid(ctx, [d for d in dx if d not in chart], _first_ig_line(ctx))


@also_check("DX-CHEMO-ENCOUNTER", "claim")
def written_dx_chemo(ctx: EditContext) -> Iterator[Finding]:
    dx = written_dx(ctx)
    in_chart = {icd10.compact(d) for d in chart_dx(ctx)} & {e.code for e in not_a_reason()}
    if dx is not None and not in_chart:
        yield from _not_a_reason(ctx, dx, _first_ig_line(ctx))


@also_check("DX-NOT-COVERED", "claim")
def written_dx_not_covered(ctx: EditContext) -> Iterator[Finding]:
    dx = written_dx(ctx)
    if dx is None:
        return
    gap = coverage_gap(ctx, dx)
    if gap and not coverage_gap(ctx, chart_dx(ctx)):
        yield finding("DX-NOT-COVERED", gap.text(dx) + f" The chart's diagnoses ({', '.join(chart_dx(ctx))}) "
                      "are covered.", severity=gap.severity, line=_first_ig_line(ctx))
