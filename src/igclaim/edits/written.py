"""Scrubbing a written claim without its chart (an 837 read on its own): the edits that need no chart facts.

Two kinds run. Checks of other families that already read only the claim that goes out (`ctx.billed`), the
payer, the date and the reference data are listed in `CHART_FREE` (MUE, PTP, NDC crosswalk, code validity,
prior authorization presence, diagnosis presence/validity/not-a-reason). Checks below, registered with phase
"written" under the existing edit ids, re-state for the claim alone what the chart would otherwise decide (the
NDC names the product; the code names the route). Each check's `When` is asked first, as on a chart. Every
other edit needs the chart and is reported as skipped (SCRUB-NO-CHART); a claim with no immune globulin line gets
CLAIM-NO-IG and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator

from igclaim import ndc as ndc_mod
from igclaim.edits import (  # noqa: F401 (payer declares PAYER-ABN-MODIFIER)
    administration,
    authorization,
    diagnosis,
    drug,
    filing,
    form,
    payer,
    plausibility,
    tables,
)
from igclaim.edits.context import EditContext, code_of
from igclaim.edits.drug import (
    is_drug_code,
    mods,
    ndc_line_at_stake,
    ndc_package,
    ndc_quantity_units,
    pump_route,
    returned_without_jz,
    waste_mod,
    written_pump_lines,
    zero_waste_mod,
)
from igclaim.edits.registry import Check, When, also_check, declare, edit, finding
from igclaim.model import ClaimLine, Finding
from igclaim.refdata import icd10
from igclaim.refdata.coverage import liability_modifiers

declare(
    "SCRUB-NO-CHART",
    severity="info",
    statement="the claim was scrubbed without its chart: the edits that compare it with the chart were skipped",
    fix="Give the chart (--charts: encounters or FHIR Bundles, joined by claim id or patient and date of service) "
    "to run every edit.",
    source="https://www.cms.gov/medicare/coding-billing/electronic-billing/electronic-data-interchange",
    phase="written",
)
declare(
    "CLAIM-NO-IG",
    severity="info",
    statement="the claim bills no immune globulin: igclaim's edits do not apply to it",
    fix="Nothing to do for immune globulin; scrub the claim with your general claim editor.",
    source="https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update",
    phase="written",
)



def _modifier_dates(ctx: EditContext, liability: bool) -> Iterator[tuple[ClaimLine, str]]:
    """(line, modifier) for every billed modifier of refdata/cms/modifiers.toml not valid on the line's date;
    the liability modifiers (GA GZ GY GX) only when `liability`. A modifier the table does not list is left
    alone (the table holds the modifiers of IG claims, not the whole HCPCS modifier file)."""
    if ctx.written is None:
        return
    own = liability_modifiers().all
    for ln in ctx.written.lines:
        day = ln.service_date or ctx.dos
        for m in ln.modifiers:
            code = m.upper()
            if ctx.rules.modifier_period(code) is not None and (code in own) == liability \
                    and not ctx.rules.on(day).modifier_valid(code):
                yield ln, code


@edit("CLAIM-MODIFIER-DATE", severity="error", phase="claim",
      statement="a modifier is billed on a date it was not valid (before its effective date or after its end)",
      fix="Remove the modifier, or use the one in force on the date of service (HCPCS modifier file).",
      source="https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update")
def modifier_dates(ctx: EditContext) -> list[Finding]:
    """JZ before 2023, X{EPSU} before 2015 …: the dates of refdata/cms/modifiers.toml, by the line's date."""
    found: list[Finding] = []
    for ln, code in _modifier_dates(ctx, liability=False):
        period = ctx.rules.modifier_period(code)
        if period is None:  # _modifier_dates yields only modifiers the table lists
            continue
        when = (f"valid from {period.effective}" if period.effective and (ln.service_date or ctx.dos)
                < period.effective else f"ended {period.ends}")
        found.append(finding("CLAIM-MODIFIER-DATE", f"Line {ln.line}: modifier {code} on {code_of(ln)} is not valid on "
                             f"{ln.service_date or ctx.dos} ({when}).", line=ln.line, fix=f"Remove {code} from line "
                             f"{ln.line}, or use the modifier in force on the date of service."))
    return found


@also_check("PAYER-ABN-MODIFIER", "written")
def liability_modifier_dates(ctx: EditContext) -> list[Finding]:
    """Without a chart, the dates of GA GZ GY GX (with a chart, payer.abn_written checks them)."""
    found: list[Finding] = []
    for ln, code in _modifier_dates(ctx, liability=True):
        found.append(finding("PAYER-ABN-MODIFIER", f"Line {ln.line}: {code} is not a valid modifier on "
                             f"{ln.service_date or ctx.dos} (see its effective date in the HCPCS modifier file).",
                             line=ln.line,
                             fix=f"Remove {code}; use the liability modifier in force on the date of service."))
    return found


# Checks of other families that read only the billed claim, the payer, the date and the reference data.
CHART_FREE: tuple[Check, ...] = (
    tables.drug_mue, tables.admin_mue, tables.ptp_bundled, tables.ptp_initial, tables.ndc_mismatch,
    tables.drug_code_invalid, tables.admin_code_invalid, authorization.auth_missing, diagnosis.dx_missing,
    diagnosis.dx_invalid, diagnosis.dx_chemo, modifier_dates, form.pointer_invalid, filing.filing_limit,
    plausibility.date_of_service, drug.ndc_quantity_invalid, form.units_zero, form.charge_total,
    form.units_in_minutes, form.units_in_days,
)


def _ig_lines(ctx: EditContext) -> list[ClaimLine]:
    if ctx.written is None:
        return []
    return [ln for ln in ctx.written.lines if is_drug_code(ctx, code_of(ln))]


@also_check("DRUG-NOS-CODE", "written")
def nos_by_ndc(ctx: EditContext) -> list[Finding]:
    """The NDC names a product that has its own code on the date, and the line bills a NOS code."""
    found: list[Finding] = []
    for ln in _ig_lines(ctx):
        rec = ctx.rules.on(ln.service_date or ctx.dos).hcpcs(code_of(ln)) or ctx.rules.known_code(code_of(ln))
        hit = ndc_package(ctx, ln.ndc)
        product = hit[0] if hit else None
        # In the claim's setting: a pass-through C-code (C9072) is the product's own code only where it applies.
        own = product.own_code(ln.service_date or ctx.dos, ctx.encounter.setting) if product else None
        if rec and rec.kind == "ig_nos" and own and product:
            found.append(finding("DRUG-NOS-CODE", f"Line {ln.line}: {code_of(ln)} (not otherwise specified) billed "
                                 f"with NDC {ndc_mod.format(ndc_mod.compact(ln.ndc or ''))} of {product.name}, which "
                                 f"has its own code {own} on {ln.service_date or ctx.dos}.", line=ln.line,
                                 fix=f"Bill {own}."))
    return found


def units_of_ndc_quantity(ctx: EditContext, ln: ClaimLine) -> tuple[int, str] | None:
    """The HCPCS units the line's NDC quantity (CTP04/CTP05) makes (`ndc_quantity_units`)."""
    return ndc_quantity_units(ctx, code_of(ln), ln.ndc, ln.ndc_quantity, ln.ndc_unit, ln.service_date or ctx.dos)


@also_check("DRUG-UNITS", "written")
def units_by_ndc_quantity(ctx: EditContext) -> Iterator[Finding]:
    """Units against the line's own NDC quantity (units_of_ndc_quantity). A warning: the NDC quantity may itself
    be rounded, and a JW line's quantity is the amount discarded."""
    for ln in _ig_lines(ctx):
        found = units_of_ndc_quantity(ctx, ln)
        if found is None:
            continue
        units, how = found
        if units != ln.units:
            yield finding("DRUG-UNITS", f"Line {ln.line}: {ln.units} units of {code_of(ln)}, but its NDC quantity "
                          f"says {units} units ({how}).", line=ln.line, severity="warning",
                          impact_units=units - ln.units)


@also_check("DRUG-JZ-MISSING", "written")
def waste_modifier_absent(ctx: EditContext) -> list[Finding]:
    """From the date the payer requires JZ, every single-dose drug line carries JW (its own line) or JZ: by each
    line's own service date (an 837's lines may span the day the requirement starts)."""
    found: list[Finding] = []
    lines = _ig_lines(ctx)
    jw, jz = waste_mod(ctx), zero_waste_mod(ctx)
    with_jw = {code_of(ln) for ln in lines if jw in mods(ln)}
    for ln in lines:
        if mods(ln) & {jw, jz} or code_of(ln) in with_jw:
            continue
        day = ln.service_date or ctx.dos
        rules = ctx.rules.on(day)
        # A home pump's drug the supplier dispensed for the patient to give takes JZ from its own date
        # (coding/drug.py `_dispensed`).
        pumped = rules.home_dme(ctx.encounter.setting) and _given_by_pump(ctx, ln)
        if not rules.param("self_administered_jz_required" if pumped else "jz_required"):
            continue
        returned = returned_without_jz(ctx, rules)
        found.append(finding("DRUG-JZ-MISSING", f"Line {ln.line}: {code_of(ln)} has neither JZ (nothing discarded) "
                             f"nor a JW line (discarded), which {ctx.profile.title} requires on {day}"
                             f"{returned or ''}.", line=ln.line, impact_units=-ln.units if returned else None,
                             fix="Add JZ when nothing was discarded; otherwise bill the discard on a JW line."))
    return found


@also_check("DRUG-JW-JZ-CONFLICT", "written")
def jw_and_jz(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    lines = _ig_lines(ctx)
    jw_mod, jz_mod = waste_mod(ctx), zero_waste_mod(ctx)
    for code in dict.fromkeys(code_of(ln) for ln in lines):
        same = [ln for ln in lines if code_of(ln) == code]
        jz = [ln for ln in same if jz_mod in mods(ln)]
        if jz and any(jw_mod in mods(ln) for ln in same):
            found.append(finding("DRUG-JW-JZ-CONFLICT", f"Line {jz[0].line}: JZ (nothing discarded) and a JW line "
                                 f"(discarded) billed for {code}.", line=jz[0].line))
    return found


@also_check("DRUG-NDC-MISSING", "written")
def ndc_absent(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if not ctx.rules.param("ndc_required"):
        return found
    for ln in _ig_lines(ctx):
        if not (ln.ndc or "").strip():
            found.append(finding("DRUG-NDC-MISSING", f"Line {ln.line}: {ctx.profile.title} requires the NDC on drug "
                                 f"lines and {code_of(ln)} has none.", line=ln.line,
                                 impact_units=ndc_line_at_stake(ctx, ln)))
    return found


@also_check("DRUG-NDC-FORMAT", "written")
def ndc_shape(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    for ln in _ig_lines(ctx):
        if ln.ndc and not ndc_mod.is_valid(ln.ndc):
            found.append(finding("DRUG-NDC-FORMAT", f"Line {ln.line}: NDC {ln.ndc!r} is not a valid 11-digit (5-4-2) "
                                 "NDC.",
                                 line=ln.line, impact_units=ndc_line_at_stake(ctx, ln)))
    return found


@also_check("DRUG-ROUTE-MODIFIER", "written")
def route_modifier(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    codes = {c.upper() for c in ctx.rules.param("route_modifier_codes")}
    route_mods = {ctx.rules.modifier_for("route_IV"), ctx.rules.modifier_for("route_SC")}
    for ln in _ig_lines(ctx):
        if code_of(ln) in codes and not mods(ln) & route_mods:
            need = " or ".join(sorted(route_mods))
            found.append(finding("DRUG-ROUTE-MODIFIER", f"Line {ln.line}: {code_of(ln)} needs {need} for "
                                 f"{ctx.profile.title}.", line=ln.line))
    if ctx.home_dme() and any(_given_by_pump(ctx, ln) for ln in _ig_lines(ctx)):
        found += pump_route(ctx, written_pump_lines(ctx))
    return found


@also_check("PAYER-KX-MODIFIER", "written", when=When(params=("eip_coverage_modifier_required",), home_dme=True))
def pump_kx(ctx: EditContext) -> list[Finding]:
    """Without the chart, an immune globulin line is given by pump at home when it carries JB or its code is one
    only SC products carry (J1559, J1555…); the pump E0779 is checked too."""
    if ctx.written is None or not payer.kx_required(ctx):
        return []
    pump = ctx.rules.setting("home").get("medicare_dme_sc_pump_code")
    ig = {id(ln) for ln in _ig_lines(ctx)}
    lines = [ln for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True)
             if code == pump or (id(ln) in ig and _given_by_pump(ctx, ln))]
    return payer.kx_findings(ctx, lines)


def _given_by_pump(ctx: EditContext, ln: ClaimLine) -> bool:
    """An immune globulin line of a Medicare home claim is the pump's when it carries JB or its code is one only SC
    products carry (J1559, J1555…)."""
    if ctx.rules.modifier_for("route_SC") in mods(ln):
        return True
    rec = ctx.rules.hcpcs(code_of(ln)) or ctx.rules.known_code(code_of(ln))
    return rec is not None and tuple(rec.routes) == ("SC",)


@also_check("DX-NOT-COVERED", "written")
def dx_not_covered(ctx: EditContext) -> list[Finding]:
    """Coverage by the payer's policy (by contractor where the profile names one), for the route of each IG code."""
    found: list[Finding] = []
    if ctx.written is None:
        return found
    dx = list(ctx.written.diagnoses)
    if not dx:
        return found
    pol = diagnosis.coverage_policy(ctx)
    for code in dict.fromkeys(code_of(ln) for ln in _ig_lines(ctx)):
        rec = ctx.rules.hcpcs(code) or ctx.rules.known_code(code)
        routes = list(rec.routes) if rec and rec.routes else [None]
        if all(pol.covering(dx, r) is None for r in routes):
            # Only the notes about the code's routes: a note on home SCIG (CIDP) says nothing of an IV-only code.
            notes = list(dict.fromkeys(n for r in routes for n in pol.uncertain_notes(dx, r)))
            severity = "warning" if notes and pol.severity == "error" else pol.severity
            # the code's lines (its JW lines too) are denied: their units at stake, priced on its first line by
            # the code, as the chart's finding prices the drug's (the administration is left out: without the chart
            # no line says which drug it gives)
            lines = [ln for ln in _ig_lines(ctx) if code_of(ln) == code]
            found.append(finding("DX-NOT-COVERED", f"No diagnosis on the claim ({', '.join(dx)}) is covered for {code} "
                                 f"under {pol.title}. {pol.notice} {' '.join(notes)}".strip(), severity=severity,
                                 line=lines[0].line, impact_units=-sum(ln.units for ln in lines)))
    return found


@also_check("DX-ROUTE-OFF-LABEL", "written")
def route_off_label(ctx: EditContext) -> list[Finding]:
    """Without the chart, a line is given subcutaneously when it carries JB, and its code names the products (J1561:
    Gamunex-C and Gammaked); the claim's diagnoses are judged against the indication their label limits SC to."""
    found: list[Finding] = []
    if ctx.written is None or not ctx.written.diagnoses:
        return found
    sc = ctx.rules.modifier_for("route_SC")
    dx = [icd10.format(d) for d in ctx.written.diagnoses]
    for ln in _ig_lines(ctx):
        if sc not in mods(ln):
            continue
        products = ctx.rules.products_for_code(code_of(ln))
        uses = diagnosis.sc_label_gap(products, dx)
        if uses is not None:
            names = ", ".join(p.name for p in products)
            found.append(diagnosis.off_label(f"Line {ln.line}: {code_of(ln)} ({names}) carries {sc}, given SC", uses,
                                             dx, "the claim's", products, ln.line, ln.units))
    return found


@also_check("HOME-PLACE", "written", when=When(home_dme=True))
def home_line_places(ctx: EditContext) -> list[Finding]:
    """Without the chart, the immune globulin lines of a Medicare home claim that are not given by pump are home
    IVIG: they and the supplies lines (Q2052) are judged by their own places (SV105); the claim's own place made it
    a home claim. Before the permanent benefit's list (2024) no place is judged, as with the chart."""
    supply = ctx.rules.supply_units
    if ctx.written is None or supply is None or not supply.places or not ctx.home_dme():  # its `When`, checked again
        return []
    supplies = [ln for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True) if code == supply.code]
    drugs = [ln for ln in _ig_lines(ctx) if not _given_by_pump(ctx, ln)]
    return form.home_line_places([*drugs, *supplies], (ctx.written.place_of_service or "").strip(), supply.places)


@also_check("HOME-PUMP-PLACE", "written", when=When(home_dme=True))
def pump_line_places(ctx: EditContext) -> list[Finding]:
    """Without the chart, a Medicare home claim's immune globulin lines given by pump (JB, or an SC-only code) and
    its pump lines are judged by their own places (SV105) against the DMEPOS places of the date. A claim with no
    such drug line is not the pump's, as with the chart: its E0779 is HOME-SUPPLY-CODE's (payer._pump_lines)."""
    if ctx.written is None or not ctx.home_dme():  # its `When`, checked again
        return []
    pumped = [ln for ln in _ig_lines(ctx) if _given_by_pump(ctx, ln)]
    if not pumped:
        return []
    return form.pump_line_places([*pumped, *written_pump_lines(ctx)], ctx.rules.pump_places)


@also_check("FORM-SETTING", "written")
def form_fits(ctx: EditContext) -> list[Finding]:
    """Revenue codes on an 837I; no drug-administration codes on a Medicare home (DME MAC) claim."""
    found: list[Finding] = []
    if ctx.written is None:
        return found
    if ctx.written.form == "UB-04":
        found.extend(form._revenue_codes(ctx))
    elif ctx.home_dme():
        for ln, rec in administration.written_admin(ctx):
            found.append(finding("FORM-SETTING", f"Line {ln.line}: {rec.code} on a Medicare home (DME MAC) claim: "
                                 "home IVIG is billed as the drug and its supplies, without drug administration "
                                 "codes.",
                                 line=ln.line, impact_units=-ln.units))
    return found


@also_check("ADMIN-NOT-SUPPORTED", "written")
def addon_without_primary(ctx: EditContext) -> list[Finding]:
    """An add-on code (e.g. 96366) needs one of its primaries (96365, 96367) on the same claim: the NCCI add-on code
    edit of the date where there is one (96361 also follows 96365 or 96374), else its family's initial codes."""
    found: list[Finding] = []
    if ctx.written is None:
        return found
    billed = {code_of(ln) for ln in ctx.written.lines}
    for ln in ctx.written.lines:
        rec = ctx.rules.admin(code_of(ln))
        if rec is None or rec.role != "addon":
            continue
        aoc = ctx.rules.addon_primaries(rec.code)
        primaries = sorted(aoc.primaries if aoc else (c.code for c in ctx.rules.admin_codes.values()
                                                      if c.addon == rec.code))
        if primaries and not billed & set(primaries):
            found.append(finding("ADMIN-NOT-SUPPORTED", f"Line {ln.line}: add-on {rec.code} without its primary code "
                                 f"({' or '.join(primaries)}) on the claim.", line=ln.line, impact_units=-ln.units))
    return found


@also_check("ADMIN-NOT-SUPPORTED", "written")
def facility_only_code(ctx: EditContext) -> list[Finding]:
    """A facility-only administration code (96376, administration.toml `facility_only`) on a professional claim
    (CMS-1500/837P): the form alone shows that no professional claim may carry it."""
    found: list[Finding] = []
    if ctx.written is None or ctx.written.form == "UB-04":
        return found
    for ln in ctx.written.lines:
        rec = ctx.rules.admin(code_of(ln))
        if rec is not None and rec.facility_only:
            found.append(finding("ADMIN-NOT-SUPPORTED", f"Line {ln.line}: {rec.code} ({rec.meaning}) is reported on "
                                 "facility claims only, not on a professional claim (CMS-1500/837P).", line=ln.line,
                                 impact_units=-ln.units))
    return found
