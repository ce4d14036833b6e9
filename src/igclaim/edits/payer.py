"""Payer edits: the Original Medicare liability modifiers when a denial is expected: GA/GZ for a medical-necessity
denial (an ABN, form CMS-R-131, signed → GA; none → GZ), GY (GX beside it with a voluntary notice) for a service
with no benefit category; and KX on a Medicare home pump's drug lines when none is expected. Applies where the payer
profile says `abn_modifiers` (KX: `eip_coverage_modifier_required`); the modifiers are data
(refdata/coverage/liability-modifiers.toml), their dates in refdata/cms/modifiers.toml."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from igclaim.edits.context import EditContext
from igclaim.edits.diagnosis import (
    Gap,
    Liability,
    chart_dx_covered,
    chart_dx_covering,
    claim_dx,
    coverage_gap,
    ig_drug_ids,
    per_drug,
    product_label,
)
from igclaim.edits.drug import all_written_drug_lines, mods, written_drug_lines, written_pump_lines
from igclaim.edits.registry import When, also_check, edit, finding
from igclaim.model import ClaimLine, Finding, Severity
from igclaim.refdata.coverage import liability_modifiers

ABN = "https://www.cms.gov/medicare/medicare-general-information/bni/abn"


def _needed(ctx: EditContext, liability: Liability) -> str:
    """The liability modifier the lines need: GY for no benefit category, else GA (ABN signed) or GZ (none)."""
    lm = liability_modifiers()
    if liability == "no_benefit":
        return lm.statutory_exclusion
    return lm.with_signed_abn if ctx.encounter.payer.abn_signed else lm.without_abn


def _covered_names(ctx: EditContext, gap: Gap) -> list[str]:
    """The claim's immune globulin products the list covers, named as a finding names them."""
    uncovered = {part.place for part in gap.by_drug}
    drugs = ctx.coding.drugs
    return [product_label(drugs[did]) for n, did in enumerate(ig_drug_ids(ctx)) if n not in uncovered]


def _uncovered(ctx: EditContext, gap: Gap) -> list[tuple[str, Liability]]:
    """Each product the list does not cover as (this claim's drug id, its liability): `by_drug` names a product by
    its place among the claim's immune globulin drugs, since claims of other ids share the verdict."""
    ids = ig_drug_ids(ctx)
    return [(ids[part.place], part.liability) for part in gap.by_drug]


@lru_cache(maxsize=1)
def _liability() -> frozenset[str]:
    """The four liability modifiers (GA, GZ, GY, GX), as one set, once per process (the data is bundled)."""
    return liability_modifiers().all


def _why(liability: Liability) -> str:
    if liability == "no_benefit":
        return "a service with no Medicare benefit category (statutory exclusion) takes GY, not GA/GZ"
    return "an expected medical-necessity denial takes GA with a signed ABN, GZ without"


def _billed_lines(ctx: EditContext) -> list[ClaimLine]:
    """The written lines a medical-necessity denial falls on: the drug and its administration."""
    if ctx.written is None:
        return []
    drug = {id(ln) for ln in all_written_drug_lines(ctx)}
    return [ln for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True)
            if id(ln) in drug or ctx.rules.admin(code) is not None]


def _supply_lines(ctx: EditContext) -> list[ClaimLine]:
    """The written Medicare home IVIG supply lines (Q2052): with no benefit category for the drug, they have none
    either, so they take GY too (examples/coverage/cov-11)."""
    supply = ctx.rules.supply_units
    if ctx.written is None or supply is None or supply.code not in ctx.written_code_set:
        return []
    return [ln for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True) if code == supply.code]


@edit(
    "PAYER-ABN-MODIFIER",
    severity="error",
    statement="Medicare liability modifier: GA (signed ABN) or GZ (none) for a medical-necessity denial, GY for no "
    "benefit category",
    fix="Original Medicare, diagnosis not covered by a list that binds the payer: report GA on the lines when the "
    "patient signed an ABN before the service, GZ when no ABN was obtained; GY (and GX with a voluntary notice) when "
    "the service has no benefit category or is excluded by statute.",
    source=ABN,
    phase="chart",
    when=When(build_only=True, params=("abn_modifiers",)),
)
def abn_on_build(ctx: EditContext) -> list[Finding]:
    """On build: tell the biller which liability modifier the expected claim needs (on scrub the written claim
    is checked line by line). Advice to add one comes only from a list that binds the payer."""
    found: list[Finding] = []
    if ctx.written is not None or not ctx.rules.param("abn_modifiers"):
        return found
    gap = coverage_gap(ctx, claim_dx(ctx))
    if not gap:
        return found
    need = _needed(ctx, gap.liability)
    lm = liability_modifiers()
    if not gap.binding:
        found.append(finding("PAYER-ABN-MODIFIER", f"The diagnosis is not on {gap.title}, a default list that does not "
                             "bind the payer: verify the payer's (Medicare contractor's) policy; only if it does not "
                             f"cover the diagnosis, report {lm.with_signed_abn} (signed ABN) or {lm.without_abn} "
                             "(none).",
                             severity="warning", fix="Give payer.contractor or the billing provider's address so the "
                             "contractor's list is checked, or verify the LCD/article yourself."))
        return found
    if gap.mixed:
        found.append(_mixed_on_build(ctx, gap))
        return found
    if gap.liability == "no_benefit":
        where = f"the lines of {', '.join(gap.products)} and the" if per_drug(ctx, gap) else "the drug and"
        voluntary = (f" With the voluntary notice the patient signed, {lm.voluntary_notice} goes beside it."
                     if ctx.encounter.payer.abn_signed else "")
        found.append(finding("PAYER-ABN-MODIFIER", f"The diagnosis is not covered ({gap.title}) and the service has no "
                             f"benefit category: add {need} to {where} supply lines, not {lm.with_signed_abn}/"
                             f"{lm.without_abn}; the beneficiary is liable and no ABN is required.{voluntary}",
                             severity=gap.severity))
        return found
    signed = "an ABN was signed" if ctx.encounter.payer.abn_signed else "no ABN is recorded (payer.abn_signed)"
    verify = "" if gap.certain else " if the contractor's policy does not cover it (verify first)"
    kx = _coded_kx(ctx)
    instead = f" in place of {kx} (coded for the pump's coverage criteria)" if kx else ""
    if per_drug(ctx, gap):
        its = "their lines (their JW or JZ lines" if len(gap.products) > 1 else "its lines (its JW or JZ line"
        found.append(finding("PAYER-ABN-MODIFIER", f"The diagnosis may not be covered ({gap.title}) for "
                             f"{', '.join(gap.products)}, and {signed}: add {need} to {its} "
                             f"too){instead}{verify}, not to the lines of {', '.join(_covered_names(ctx, gap))}, which "
                             f"the diagnosis covers.{_admin_advice(ctx, gap, need)}", severity=gap.severity))
        return found
    found.append(finding("PAYER-ABN-MODIFIER", f"The diagnosis may not be covered ({gap.title}) and {signed}: "
                         f"add {need} to the drug and administration lines{instead}{verify}.", severity=gap.severity))
    return found


def _admin_advice(ctx: EditContext, gap: Gap, need: str) -> str:
    """What the built claim's administration lines need beside a covered product and one that is not: igclaim does
    not decide it (a line does not say which product it gives, and contractors differ)."""
    if not any(ctx.rules.admin(ln.code) is not None for ln in ctx.expected.lines):
        return ""
    return (f" The administration lines: {need} only on one that gives {', '.join(gap.products)} alone, none on one "
            "that gives a covered product (contractors differ on the administration of a product that is not "
            "covered beside one that is: verify).")


def _mixed_on_build(ctx: EditContext, gap: Gap) -> Finding:
    """Each product's lines their own modifier: GY on the home IVIG outside the benefit and the supplies, GA/GZ on
    the SC immune globulin by pump the article does not cover."""
    lm = liability_modifiers()
    gy = [name for part in gap.by_drug if part.liability == "no_benefit" for name in part.products]
    medical = [name for part in gap.by_drug if part.liability != "no_benefit" for name in part.products]
    need = _needed(ctx, "medical_necessity")
    signed = "an ABN was signed" if ctx.encounter.payer.abn_signed else "no ABN is recorded (payer.abn_signed)"
    verify = "" if gap.certain else " (verify the contractor's policy first)"
    kx = _coded_kx(ctx)
    instead = f" in place of {kx}" if kx else ""
    return finding("PAYER-ABN-MODIFIER", f"The diagnosis is not covered ({gap.title}), each product its own way: "
                   f"{', '.join(gy)} has no benefit category, so add {lm.statutory_exclusion} to its lines and the "
                   f"supply lines (the beneficiary is liable, no ABN is required); {', '.join(medical)} may not be "
                   f"medically necessary and {signed}, so add {need} to its lines{instead}{verify}.",
                   severity=gap.severity)


def _coded_kx(ctx: EditContext) -> str | None:
    """KX when coding put it on a line of the expected claim (a Medicare home pump's drug: PAYER-KX-MODIFIER)."""
    kx = liability_modifiers().criteria_met
    return kx if any(kx in ln.modifiers for ln in ctx.expected.lines) else None


@also_check("PAYER-ABN-MODIFIER", "claim")
def abn_written(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    liability = _liability()
    lines: list[ClaimLine] | None = None
    used: list[tuple[ClaimLine, set[str]]] = []
    if not liability.isdisjoint(ctx.written_modifiers()):  # else no line carries one (most claims)
        lines, supplies = _billed_lines(ctx), _supply_lines(ctx)  # GY belongs on the supplies too
        used = sorted(((ln, m) for ln in lines + supplies if (m := mods(ln) & liability)), key=lambda u: u[0].line)
    if not ctx.rules.param("abn_modifiers"):
        for ln, m in used:
            found.append(finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: {', '.join(sorted(m))} is for Original "
                                 f"Medicare only; {ctx.profile.title} does not use ABNs.", line=ln.line,
                                 severity="warning", fix=f"Remove {', '.join(sorted(m))}."))
        return found
    for ln, m in used:
        for code in sorted(m):
            if not ctx.rules.modifier_valid(code):
                found.append(finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: {code} is not a valid modifier on "
                                     f"{ctx.dos} (see its effective date in the HCPCS modifier file).", line=ln.line,
                                     fix=f"Remove {code}; use the liability modifier in force on the date of service."))
    gap = coverage_gap(ctx, claim_dx(ctx))
    if gap is None:
        for ln, m in used:
            found.append(finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: {', '.join(sorted(m))} reported, but the "
                                 "claim's diagnosis is covered for the product: no denial is expected.", line=ln.line,
                                 severity="warning",
                                 fix=f"Remove {', '.join(sorted(m))} unless the ABN was for another reason."))
        return found
    if chart_dx_covered(ctx):
        for ln, m in used:
            found.append(finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: {', '.join(sorted(m))} reported, but the "
                                 f"chart's diagnoses ({', '.join(chart_dx_covering(ctx))}) are covered for the "
                                 "product: bill them (DX-NOT-COVERED), and no denial is expected.", line=ln.line,
                                 severity="warning",
                                 fix=f"Remove {', '.join(sorted(m))} from line {ln.line} and bill the chart's "
                                 "diagnoses."))
        return found
    severity = gap.severity if gap.binding else "warning"
    if per_drug(ctx, gap):  # at home each product's lines take their own modifier; a covered product's, none
        by_drug = written_drug_lines(ctx)
        uncovered = _uncovered(ctx, gap)
        gy = [ln for did, liability in uncovered if liability == "no_benefit" for ln in by_drug.get(did, [])]
        medical = [ln for did, liability in uncovered if liability != "no_benefit" for ln in by_drug.get(did, [])]
        if gy:
            gy += _supply_lines(ctx)
        drug_lines = {id(ln) for ln in all_written_drug_lines(ctx)}
        admin = [ln for ln in lines or _billed_lines(ctx) if id(ln) not in drug_lines]
        asked = {did for did, _ in uncovered}
        covered = [ln for did, found in by_drug.items() if did not in asked and ctx.coding.drugs[did].is_ig
                   for ln in found]
        per_line = [*_no_benefit_lines(sorted(gy, key=lambda ln: ln.line), gap, severity),
                    *_medical_lines(ctx, medical, gap, severity), *_admin_lines_per_drug(ctx, admin, gap),
                    *_covered_lines(covered)]
        found.extend(sorted(per_line, key=lambda f: f.line or 0))
        return found
    if lines is None:
        lines, supplies = _billed_lines(ctx), _supply_lines(ctx)
    if gap.liability == "no_benefit":
        found.extend(_no_benefit_lines(sorted(lines + supplies, key=lambda ln: ln.line), gap, severity))
        return found
    found.extend(_medical_lines(ctx, lines, gap, severity))
    return found


def _covered_lines(lines: list[ClaimLine]) -> Iterator[Finding]:
    """A liability modifier on the lines of a product the list covers, beside one it does not: no denial is expected
    of them (a warning, as on a covered claim: the ABN may be for another reason)."""
    for ln in lines:
        if m := mods(ln) & _liability():
            said = ", ".join(sorted(m))
            yield finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: {said} reported, but the claim's diagnosis is "
                          "covered for this line's product: no denial is expected of it (only the lines of the "
                          "product that is not covered take one).", line=ln.line, severity="warning",
                          fix=f"Remove {said} from line {ln.line} unless the ABN was for another reason.")


def _admin_lines_per_drug(ctx: EditContext, lines: list[ClaimLine], gap: Gap) -> Iterator[Finding]:
    """The administration lines of a claim whose lines are asked drug by drug: warnings, never an error. A written
    administration line does not say which product it gives (the one not covered: its denial is expected too; a
    covered one: none), and contractors differ on the administration of a product that is not covered beside one
    that is. One warning for the lines without a liability modifier, one per line with another than the one the
    product needs. Not judged when the products are denied each its own way (GY and GA/GZ at home, where no
    administration line is billed)."""
    if gap.mixed or not lines:
        return
    need = _needed(ctx, gap.liability)
    uncovered, covered = ", ".join(gap.products), ", ".join(_covered_names(ctx, gap))
    why = (f"where {uncovered} is not covered ({gap.title}) and {covered} is. A written administration line does not "
           f"say which product it gives, so igclaim does not ask it for {need}: if it gives {uncovered} alone, its "
           f"denial is expected too ({need}); if it gives {covered}, none. A warning: contractors differ on the "
           "administration of a product that is not covered beside one that is.")
    bare = [ln for ln in lines if not mods(ln) & _liability()]
    if bare:
        which = ", ".join(str(ln.line) for ln in bare)
        codes = ", ".join(ln.code.strip().upper() for ln in bare)
        yield finding("PAYER-ABN-MODIFIER", f"Line{'s' if len(bare) > 1 else ''} {which} ({codes}): no liability "
                      f"modifier on the administration of a claim {why}", line=bare[0].line, severity="warning",
                      fix=f"Put {need} on the administration line that gives {uncovered} alone, if any; none on the "
                      "others.")
    for ln in lines:
        m = mods(ln) & _liability()
        if not m or m == {need}:
            continue
        said = ", ".join(sorted(m))
        yield finding("PAYER-ABN-MODIFIER", f"Line {ln.line} ({ln.code.strip().upper()}): {said} reported on the "
                      f"administration of a claim {why}", line=ln.line, severity="warning",
                      fix=f"Replace {said} with {need} on line {ln.line} if it gives {uncovered} alone; else remove "
                      f"{said}.")


def _medical_lines(ctx: EditContext, lines: list[ClaimLine], gap: Gap, severity: Severity) -> Iterator[Finding]:
    """GA (signed ABN) or GZ (none) on each line of a medical-necessity denial; GY/GX and the other one are wrong."""
    lm = liability_modifiers()
    need = _needed(ctx, "medical_necessity")
    medical = {lm.with_signed_abn, lm.without_abn}
    wrong = (medical - {need}).pop()
    signed = "the patient signed an ABN" if ctx.encounter.payer.abn_signed else "no ABN is recorded"
    for ln in lines:
        m = mods(ln)
        if m & {lm.statutory_exclusion, lm.voluntary_notice}:
            bad = ", ".join(sorted(m & {lm.statutory_exclusion, lm.voluntary_notice}))
            yield finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: {bad} is for a service with no benefit "
                          f"category; this diagnosis is a medical-necessity question ({gap.title}): "
                          f"{_why('medical_necessity')}.",
                          line=ln.line, severity=severity, fix=f"Replace {bad} with {need} on line {ln.line}.")
            continue
        if need in m:
            continue
        if wrong in m:
            yield finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: {wrong} reported, but {signed}: use {need}.",
                          line=ln.line, severity=severity, fix=f"Replace {wrong} with {need} on line {ln.line}.")
        else:
            verify = "" if gap.binding else " if the payer's own policy does not cover it (verify first)"
            kx = lm.criteria_met if lm.criteria_met in m else None
            yield finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: the diagnosis may not be covered "
                          f"({gap.title}) and {signed}: {need} is needed{verify}"
                          f"{f', not {kx} (the coverage criteria are not met)' if kx else ''}.", line=ln.line,
                          severity=severity, fix=f"Replace {kx} with {need} on line {ln.line}." if kx
                          else f"Add {need} to line {ln.line}.")


def _no_benefit_lines(lines: list[ClaimLine], gap: Gap, severity: Severity) -> Iterator[Finding]:
    """GY on every line (GX beside it is allowed with a voluntary notice); GA/GZ are wrong here."""
    lm = liability_modifiers()
    medical = {lm.with_signed_abn, lm.without_abn}
    for ln in lines:
        m = mods(ln)
        wrong = ", ".join(sorted(m & medical))
        if lm.statutory_exclusion in m and not wrong:
            continue
        if wrong:
            yield finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: {wrong} reported, but {_why('no_benefit')} "
                          f"({gap.title}).", line=ln.line, severity=severity,
                          fix=f"Replace {wrong} with {lm.statutory_exclusion} on line {ln.line}.")
        else:
            yield finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: the service has no Medicare benefit category for "
                          f"this diagnosis ({gap.title}): {lm.statutory_exclusion} is needed.", line=ln.line,
                          severity=severity, fix=f"Add {lm.statutory_exclusion} to line {ln.line}.")


def _pump_lines(ctx: EditContext) -> list[ClaimLine]:
    """The written lines the DME MACs' pump policy covers: the immune globulin given under the skin by pump at home,
    and the pump itself when the claim bills it."""
    drugs = ctx.coding.drugs
    by_pump = [did for did, f in drugs.items() if f.is_ig and f.route == "SC"]
    if ctx.written is None or not by_pump:
        return []  # an E0779 on a home IVIG claim is HOME-SUPPLY-CODE's finding, not a pump claim
    found = written_drug_lines(ctx)  # each written line under one drug at most, and E0779 is no drug's
    lines = [ln for did in by_pump for ln in found[did]]
    return sorted([*lines, *written_pump_lines(ctx)], key=lambda ln: ln.line)


@edit(
    "PAYER-KX-MODIFIER",
    severity="error",
    statement="Medicare home SC immune globulin given by pump: the drug and pump lines carry KX (the coverage criteria "
    "are met), GA or GZ, and KX never beside GA, GZ or GY",
    fix="Add KX to each line of the immune globulin given by pump (and to the pump) when every criterion of the "
    "External Infusion Pumps LCD (L33794) is met and documented; when one is not, GA (signed ABN) or GZ (none) "
    "instead of KX.",
    source=liability_modifiers().criteria_source,
    phase="claim",
    when=When(params=("eip_coverage_modifier_required",), home_dme=True),
)
def kx_written(ctx: EditContext) -> list[Finding]:
    """A line with none of KX, GA, GZ is rejected as missing information (not denied: it never reaches
    adjudication); KX beside a liability modifier contradicts it. Which one is right when the diagnosis is not
    covered is PAYER-ABN-MODIFIER's finding, so this check asks only for one of them then."""
    if not kx_required(ctx):
        return []  # the `When` above, as the check's own first test
    return kx_findings(ctx, _pump_lines(ctx))


def kx_required(ctx: EditContext) -> bool:
    """A Medicare home claim under the DME MACs' pump policy on a date it requires KX, GA or GZ."""
    return bool(ctx.rules.param("eip_coverage_modifier_required")) and ctx.home_dme()


def _asked(ctx: EditContext, gap: Gap, ln: ClaimLine) -> bool:
    """Whether PAYER-ABN-MODIFIER asks this pump line for a liability modifier: every line, unless the lines are
    asked drug by drug (`per_drug`) and it is the line of a covered product given by pump (it needs KX)."""
    if not per_drug(ctx, gap):
        return True
    found = written_drug_lines(ctx)
    return any(ln is x for did, _ in _uncovered(ctx, gap) for x in found.get(did, []))


def kx_findings(ctx: EditContext, lines: list[ClaimLine]) -> list[Finding]:
    """PAYER-KX-MODIFIER on these pump lines (the chart's, or an 837's alone: edits/written.py)."""
    found: list[Finding] = []
    lm = liability_modifiers()
    kx, medical = lm.criteria_met, {lm.with_signed_abn, lm.without_abn}
    for ln in lines:
        m = mods(ln)
        against = sorted(m & (medical | {lm.statutory_exclusion}))
        if kx in m and against:
            found.append(finding("PAYER-KX-MODIFIER", f"Line {ln.line}: {kx} (the coverage criteria are met) beside "
                                 f"{', '.join(against)} (a denial is expected): the two contradict each other.",
                                 line=ln.line, fix=f"Keep {kx} alone when every criterion of the LCD is met and "
                                 f"documented, else {', '.join(against)} alone, on line {ln.line}."))
        elif kx not in m and not m & medical:
            gap = coverage_gap(ctx, claim_dx(ctx))
            if gap is not None and gap.binding and not chart_dx_covered(ctx) and _asked(ctx, gap, ln):
                continue  # PAYER-ABN-MODIFIER names the liability modifier the line needs
            found.append(finding("PAYER-KX-MODIFIER", f"Line {ln.line} ({ln.code.strip().upper()}): none of {kx}, "
                                 f"{lm.with_signed_abn} or {lm.without_abn}: the DME MACs reject a pump's drug and "
                                 "supply lines without one as missing information.", line=ln.line,
                                 fix=f"Add {kx} to line {ln.line} when every criterion of the External Infusion "
                                 f"Pumps LCD (L33794) is met and documented; otherwise {lm.with_signed_abn} (signed "
                                 f"ABN) or {lm.without_abn} (none)."))
    return found
