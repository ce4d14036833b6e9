"""Payer edits: the Original Medicare liability modifiers (GA/GZ) when a medical-necessity denial is expected
(an ABN, form CMS-R-131, signed → GA; none → GZ). Applies where the payer profile says `abn_modifiers`; the
modifiers themselves are data (refdata/coverage/liability-modifiers.toml)."""

from __future__ import annotations

from collections.abc import Iterator

from igclaim.edits.context import EditContext
from igclaim.edits.diagnosis import claim_dx, coverage_gap
from igclaim.edits.drug import all_written_drug_lines, code_of, mods
from igclaim.edits.registry import also_check, edit, finding
from igclaim.model import ClaimLine, Finding
from igclaim.refdata.coverage import liability_modifiers

ABN = "https://www.cms.gov/medicare/medicare-general-information/bni/abn"


def _needed(ctx: EditContext) -> str:
    lm = liability_modifiers()
    return lm.with_signed_abn if ctx.encounter.payer.abn_signed else lm.without_abn


def _billed_lines(ctx: EditContext) -> list[ClaimLine]:
    """The written lines a medical-necessity denial falls on: the drug and its administration."""
    assert ctx.written is not None
    drug = {id(ln) for ln in all_written_drug_lines(ctx)}
    return [ln for ln in ctx.written.lines if id(ln) in drug or ctx.ref.admin(code_of(ln)) is not None]


@edit(
    "PAYER-ABN-MODIFIER",
    severity="error",
    statement="Medicare medical-necessity risk: GA needed with a signed ABN, GZ without",
    fix="Original Medicare, diagnosis not covered: report GA on the lines when the patient signed an ABN before "
    "the service, GZ when no ABN was obtained.",
    source=ABN,
    phase="chart",
)
def abn_on_build(ctx: EditContext) -> Iterator[Finding]:
    """On build: tell the biller which liability modifier the expected claim needs (on scrub the written claim
    is checked line by line)."""
    if ctx.written is not None or not ctx.profile.get("abn_modifiers", ctx.dos):
        return
    gap = coverage_gap(ctx, claim_dx(ctx))
    if gap:
        need = _needed(ctx)
        signed = "an ABN was signed" if ctx.encounter.payer.abn_signed else "no ABN is recorded (payer.abn_signed)"
        yield finding("PAYER-ABN-MODIFIER", f"The diagnosis may not be covered ({gap.policy.title}) and {signed}: "
                      f"add {need} to the drug and administration lines.", severity=gap.severity)


@also_check("PAYER-ABN-MODIFIER", "claim")
def abn_written(ctx: EditContext) -> Iterator[Finding]:
    lm = liability_modifiers()
    liability = {lm.with_signed_abn, lm.without_abn}
    lines = _billed_lines(ctx)
    used = [(ln, mods(ln) & liability) for ln in lines if mods(ln) & liability]
    if not ctx.profile.get("abn_modifiers", ctx.dos):
        for ln, m in used:
            yield finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: {', '.join(sorted(m))} is for Original Medicare "
                          f"only; {ctx.profile.title} does not use ABNs.", line=ln.line, severity="warning",
                          fix=f"Remove {', '.join(sorted(m))}.")
        return
    gap = coverage_gap(ctx, claim_dx(ctx))
    if gap is None:
        for ln, m in used:
            yield finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: {', '.join(sorted(m))} reported, but the "
                          "claim's diagnosis is covered for the product: no denial is expected.", line=ln.line,
                          severity="warning",
                          fix=f"Remove {', '.join(sorted(m))} unless the ABN was for another reason.")
        return
    need = _needed(ctx)
    wrong = (liability - {need}).pop()
    signed = "the patient signed an ABN" if ctx.encounter.payer.abn_signed else "no ABN is recorded"
    for ln in lines:
        m = mods(ln)
        if need in m:
            continue
        if wrong in m:
            yield finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: {wrong} reported, but {signed}: use {need}.",
                          line=ln.line, severity=gap.severity, fix=f"Replace {wrong} with {need} on line {ln.line}.")
        else:
            yield finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: the diagnosis may not be covered "
                          f"({gap.policy.title}) and {signed}: {need} is needed.", line=ln.line,
                          severity=gap.severity, fix=f"Add {need} to line {ln.line}.")
