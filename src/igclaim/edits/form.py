"""Form edits: the written claim's form, place of service, type of bill and revenue codes against the setting
(refdata/cms/settings.toml, through the expected claim), and lines the chart supports but the written claim
leaves out, or written lines no edit can place.

Sources: CMS IOM 100-04 ch. 26 (CMS-1500, place of service), ch. 25 (UB-04), ch. 4 §230.2 (hospital outpatient).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from igclaim.catalog import line_numbers as numbers
from igclaim.catalog import with_article as _a
from igclaim.edits.administration import no_administration_billed, written_admin
from igclaim.edits.context import EditContext, code_of
from igclaim.edits.diagnosis import MANUAL_CH26, claim_dx, pointers_sent
from igclaim.edits.drug import (
    denied_drug_lines,
    home_scig,
    in_own_units,
    is_drug_code,
    mods,
    written_drug_lines,
    written_pump_lines,
)
from igclaim.edits.registry import When, edit, finding
from igclaim.model import ClaimLine, Finding, Severity
from igclaim.refdata.resolver import QuantityElement, bill_types, quantity_elements

MANUAL_CH4 = "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c04.pdf"
MANUAL_CH25 = "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c25.pdf"
POS_CODE_SET = "https://www.cms.gov/medicare/coding-billing/place-of-service-codes/code-sets"


def _bill_type(tob: str) -> str:
    """Facility type and care classification (the '13' of 0131); the last digit is the claim frequency."""
    return tob.strip().lstrip("0")[:2]


@edit(
    "FORM-SETTING",
    severity="error",
    statement="form, place of service, type of bill or revenue codes do not fit the setting",
    fix="Office: CMS-1500/837P with POS 11; hospital outpatient: UB-04/837I, type of bill 013x, a revenue code on "
    "every line (drugs 0636, administration 026x).",
    source=MANUAL_CH4,
    phase="claim",
)
def form_setting(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    w, e = ctx.written, ctx.expected
    if w is None:
        return found
    setting = ctx.encounter.setting.replace("_", " ")
    # Each finding's fix says what this claim needs (the catalog's fix names every setting's form at once: a home
    # claim was told "Office: CMS-1500 … hospital outpatient: UB-04 …").
    if w.form and w.form != e.form:
        found.append(finding("FORM-SETTING", f"The claim is written on {w.form}; {_a(setting)} encounter is billed on "
                             f"{e.form}.", fix=f"Bill {_a(setting)} encounter on {e.form} "
                             f"({ctx.rules.setting(ctx.encounter.setting)['transaction']})."))
    if no_administration_billed(ctx):
        supplies = [ln.code for ln in e.lines if ctx.rules.admin(ln.code) is None and not is_drug_code(ctx, ln.code)]
        bill = f"the drug with {', '.join(dict.fromkeys(supplies))}" if supplies else "the drug and its supplies"
        for ln, rec in written_admin(ctx):
            found.append(finding("FORM-SETTING", f"Line {ln.line}: {rec.code} on {_a(ctx.profile.title)} {setting} "
                                 "claim: home infusion for this payer is billed as the drug and its supplies, "
                                 "without drug administration codes.", line=ln.line, impact_units=-ln.units,
                                 fix=f"Remove line {ln.line} ({rec.code}); bill {bill}, as the expected claim "
                                 "shows."))
    written_tob = (w.type_of_bill or "").strip()  # a written claim's text is as given: blank is not a type of bill
    if written_tob and e.type_of_bill is None and w.form != "UB-04":
        found.append(_written_bill_type(ctx, written_tob))
    if e.form == "UB-04":
        if w.type_of_bill and e.type_of_bill and _bill_type(w.type_of_bill) != _bill_type(e.type_of_bill):
            found.append(finding("FORM-SETTING", f"Type of bill {w.type_of_bill}; a hospital outpatient claim is "
                                 f"{e.type_of_bill[:3]}x.", fix=f"Use type of bill {e.type_of_bill}."))
        found.extend(_revenue_codes(ctx))
    elif e.place_of_service and (ctx.encounter.place_of_service is not None
                                 or not (home_iv_places(ctx) or home_pump_places(ctx))):
        # The chart's own place_of_service is certain; the setting's default (11 office, 12 home) may have
        # siblings (49 independent clinic, other home POS codes), so a difference from it is a warning. A Medicare
        # home IVIG or SCIG claim's place is judged against the DME MAC's list by HOME-PLACE or HOME-PUMP-PLACE.
        stated = ctx.encounter.place_of_service is not None
        claim_place = (w.place_of_service or "").strip()
        if claim_place and claim_place != e.place_of_service:
            found.append(finding("FORM-SETTING", f"Place of service {claim_place} on {_a(setting)} claim; "
                                 + _expected_place(e.place_of_service, stated), severity=None if stated else "warning",
                                 fix=f"Use place of service {e.place_of_service}" + ("." if stated else
                                     " unless another fits the place the service was given.")))
        found.extend(_line_places(w.lines, claim_place, e.place_of_service, stated))
    return found


@edit(
    "FORM-BILL-TYPE",
    severity="warning",
    statement="the chart's type of bill is not a hospital outpatient's ({bill_type_classes}), or the chart gives one "
    "on a setting billed on the CMS-1500/837P, which carries none (not billed: the setting may be wrong)",
    fix="Bill a hospital outpatient's type of bill ({bill_type_classes}), or set the chart's setting to where the "
    "service was given; on an office or home chart, remove the type of bill unless a hospital billed the visit.",
    source=MANUAL_CH25,  # the classes: refdata/cms/settings.toml [hospital_outpatient] bill_type_classes
    phase="chart",
    when=When(chart=("type_of_bill",)),  # run only on a chart that gives one (most give none)
)
def bill_type(ctx: EditContext) -> list[Finding]:
    """The chart's own type of bill goes on the claim as given (a critical access hospital's 0851 is right), so one
    of another kind of bill (0121, a hospital inpatient's Part B bill) would go out unremarked: a warning, since the
    setting may be what is wrong. On a setting billed on the CMS-1500 (office, home) coding drops it, the form having
    no place for it, yet it says a facility billed the visit: a warning too, the setting or the field being wrong."""
    tob = ctx.encounter.type_of_bill
    if tob is None:
        return []
    if ctx.expected.type_of_bill is None:  # the setting's form carries no type of bill (coding/claim.py)
        return [_dropped_bill_type(ctx, tob)] if tob else []  # the schema strips text: blank is empty
    if ctx.encounter.setting != "hospital_outpatient":
        return []
    setting = ctx.rules.setting("hospital_outpatient")
    classes: list[str] = setting["bill_type_classes"]
    if _bill_type(tob) in classes:
        return []
    listed = bill_types(classes, " or ")
    return [finding("FORM-BILL-TYPE", f"Type of bill {tob.strip()} on a hospital outpatient chart: a hospital "
                    f"outpatient bills {listed}.", fix=f"Bill a hospital outpatient's type of bill ({listed}), or "
                    "set the chart's setting to where the service was given.")]


def _written_bill_type(ctx: EditContext, tob: str) -> Finding:
    """FORM-SETTING on a written claim of a setting billed on the CMS-1500/837P (not written on a UB-04, which
    FORM-SETTING tells as the form) that carries a type of bill: the form has no such field, so it is not sent, or
    the claim is a facility's. A warning: which is wrong, the field or the form, is for the biller to say."""
    setting = ctx.encounter.setting
    facility = _forms(ctx, "hospital_outpatient")
    return finding("FORM-SETTING", f"The written claim carries type_of_bill {tob}: {_a(setting.replace('_', ' '))} "
                   f"claim is billed on the {_forms(ctx, setting)}, which has no type of bill (a facility's {facility} "
                   "field), so it is not sent: check the claim's form and the chart's setting.", severity="warning",
                   fix=f"Remove type_of_bill from the written claim; if a hospital billed the visit, bill it on the "
                   f"{facility} with the chart's setting hospital_outpatient.")


def _forms(ctx: EditContext, setting: str) -> str:
    """A setting's claim form and its transaction, as a finding names them: 'CMS-1500/837P' (settings.toml)."""
    row = ctx.rules.setting(setting)
    return f"{row['form']}/{row['transaction']}"


def _dropped_bill_type(ctx: EditContext, tob: str) -> Finding:
    """FORM-BILL-TYPE on a chart whose setting's form has no type of bill (the CMS-1500/837P): coding dropped it."""
    setting = ctx.encounter.setting
    facility = _forms(ctx, "hospital_outpatient")
    return finding("FORM-BILL-TYPE", f"The chart's type_of_bill {tob}: {_a(setting.replace('_', ' '))} chart is "
                   f"billed on the {_forms(ctx, setting)}, which carries no type of bill, so it is not billed; a type "
                   f"of bill is a facility's ({facility}) bill: check the chart's setting, or remove type_of_bill if "
                   "the setting is right.", fix="Set the chart's setting to hospital_outpatient if a hospital billed "
                   f"the visit ({facility}); otherwise remove type_of_bill from the chart.")


@edit(
    "FORM-PLACE",
    severity="warning",
    statement="the chart's place of service contradicts the chart (the setting or the field may be wrong): on a "
    "hospital outpatient chart, one other than a hospital outpatient department's ({outpatient_places}), which the "
    "UB-04/837I does not carry, so it is not billed, or not the one of the outpatient_department it names (from "
    "{department_places_from}: {department_places}), which decides the PO/PN modifiers, or, naming none, the place of "
    "departments whose lines take PO/PN where the payer asks them (the claim then carries none); on an office or home "
    "chart, "
    "a hospital outpatient department's, billed on the CMS-1500/837P (paid at the facility rate or denied)",
    fix="Set the chart's setting to where the service was given, or give the chart the place of service of its "
    "setting (a hospital outpatient department's is {outpatient_places}, the one of its outpatient_department) or "
    "none; give a hospital outpatient chart at an off-campus department's place its outpatient_department.",
    source=POS_CODE_SET,  # the places: refdata/cms/settings.toml [hospital_outpatient] places_of_service
    phase="chart",
    when=When(chart=("place_of_service",)),  # run only on a chart that gives one (most give none)
)
def chart_place(ctx: EditContext) -> list[Finding]:
    """A hospital outpatient chart's own place of service is dropped by coding, the UB-04/837I having no place for
    it: one of a hospital outpatient department (19, 22) says nothing new, another (11 office, 12 home) says the visit
    was elsewhere. An office or home chart's own place is billed on its CMS-1500/837P: one of a hospital outpatient
    department says a hospital gave the service. A warning either way, the setting or the field being wrong. Any
    other place the claim carries is judged on the claim: FORM-SETTING, HOME-PLACE, HOME-PUMP-PLACE."""
    pos = ctx.encounter.place_of_service
    if pos is None:
        return []
    if ctx.expected.place_of_service is not None:  # billed on the claim (coding/claim.py)
        return _department_place(ctx, pos)
    setting = ctx.encounter.setting
    places: list[str] = ctx.rules.setting(setting).get("places_of_service", [])
    if pos in places:
        return _other_department(ctx, pos)
    listed, named = " or ".join(places), _a(setting.replace("_", " "))  # "a hospital outpatient"
    other = ctx.rules.catalog.setting_of_place(pos)
    if other is None:
        where = f"{pos} is not {named} department's place of service"
        fix = (f"Set the chart's setting to where the service was given, or remove place_of_service from the chart "
               f"({named} department's is {listed}).")
    else:
        where = f"{pos} is a place of service of the {other} setting, not of {named} department"
        fix = (f"Set the chart's setting to {other} if the service was given there ({_forms(ctx, other)}, place of "
               f"service {pos}); otherwise remove place_of_service from the chart, or give {named} department's "
               f"({listed}).")
    return [finding("FORM-PLACE", f"The chart's place_of_service {pos}: {named} chart is billed on the "
                    f"{_forms(ctx, setting)}, which carries no place of service, so it is not billed; {where} "
                    f"({listed}): check the chart's setting, or remove place_of_service if the setting is right.",
                    fix=fix)]


def _other_department(ctx: EditContext, pos: str) -> list[Finding]:
    """FORM-PLACE on a hospital outpatient chart whose place (19, 22) is not the place of the department it names
    (settings.toml [[hospital_outpatient.department_places]], from 2016): the department decides the PO/PN
    modifiers and how an off-campus department's lines are paid, the place says the other. A warning: either may be
    the one that is wrong."""
    department = ctx.encounter.outpatient_department
    places = ctx.rules.catalog.department_places(ctx.dos)
    if department is None:
        return _unnamed_department(ctx, pos, places)
    want = places.get(department)
    if want is None or want == pos:
        return []
    others = [d for d, place in places.items() if place == pos]
    return [finding("FORM-PLACE", f"The chart's place_of_service {pos} and outpatient_department {department} "
                    f"disagree: {pos} is the place of service of {' or '.join(_DEPARTMENTS[d] for d in others)}, not "
                    f"of {_DEPARTMENTS[department]} ({want}). The department decides the claim's PO/PN line modifiers "
                    "and how an off-campus department's lines are paid; the place is not billed (the "
                    f"{_forms(ctx, ctx.encounter.setting)} carries none): check where the service was given.",
                    fix=f"Correct the one that is wrong: outpatient_department {department} is place of service "
                    f"{want}; place of service {pos} is outpatient_department {' or '.join(others)}.")]


def _unnamed_department(ctx: EditContext, pos: str, places: dict[str, str]) -> list[Finding]:
    """FORM-PLACE on a hospital outpatient chart that names no outpatient_department and whose place is the place of
    departments whose lines take a modifier on the date (settings.toml [[hospital_outpatient.department_places]] and
    [[hospital_outpatient.department_modifiers]]: 19 off campus, PO or PN, from 2016), for a payer whose profile asks
    them (department_modifiers_required): coding takes the modifier from the department only, so the claim carries
    none. Which department it is (excepted or not: PO or PN, and how the lines are paid) is not guessed; a warning."""
    others = {d: ctx.rules.department_modifier(d) for d, place in places.items() if place == pos}
    if not any(others.values()):  # 22 on campus: no modifier to miss
        return []
    ids = " or ".join(others)
    takes = ", ".join(f"{d} {m}" for d, m in others.items() if m)
    return [finding("FORM-PLACE", f"The chart's place_of_service {pos} is the place of service of "
                    f"{' or '.join(_DEPARTMENTS[d] for d in others)}, but the chart names no outpatient_department, "
                    "which decides the claim's PO/PN line modifiers and how an off-campus department's lines are "
                    f"paid ({takes}): the claim carries none, and the place is not billed (the "
                    f"{_forms(ctx, ctx.encounter.setting)} carries none).",
                    fix=f"Give the chart's outpatient_department ({ids}); if the service was not given off "
                    "campus, correct the place of service.")]


def _department_place(ctx: EditContext, pos: str) -> list[Finding]:
    """FORM-PLACE on an office or home chart (billed on the CMS-1500/837P with its place) whose place is a hospital
    outpatient department's: the hospital bills the drug and its administration there on its own form, and the PFS
    pays a professional claim at that place at the facility rate (a drug or an administration code may be denied).
    A warning: which is wrong, the setting or the place, and what the payer does, are for the biller to verify."""
    other = ctx.rules.catalog.department_setting_of_place(pos)
    if other is None:
        return []
    setting = ctx.encounter.setting
    named, department = _a(setting.replace("_", " ")), _a(other.replace("_", " "))  # "a hospital outpatient"
    places = " or ".join(ctx.rules.setting(other)["places_of_service"])
    return [finding("FORM-PLACE", f"The chart's place_of_service {pos}: {named} chart is billed on the "
                    f"{_forms(ctx, setting)} with it, but {pos} is a place of service of {department} department "
                    f"({places}), whose drugs and their administration the hospital bills on the {_forms(ctx, other)}: "
                    "a professional claim with it may be paid at the facility rate or denied (verify with the "
                    "payer). Check the chart's setting, or give the place the service was given.",
                    fix=f"Set the chart's setting to {other} if {department} department gave the service "
                    f"({_forms(ctx, other)}); otherwise give the place it was given ({named}'s is "
                    f"{ctx.rules.setting(setting)['place_of_service']}).")]


def _expected_place(want: str, stated: bool) -> str:
    """Where FORM-SETTING says the encounter was: the chart's own place, or the setting's default to verify."""
    if stated:
        return f"the chart says {want}."
    return f"the setting's place of service is {want} (verify if another fits)."


def _line_places(lines: list[ClaimLine], claim_place: str, want: str, stated: bool) -> list[Finding]:
    """FORM-SETTING on each professional line that carries its own place (CMS-1500 24B, 837P SV105: the place of
    each service, which the payer prices the line by) where it is not the encounter's: as certain as the claim's
    check (the chart's own place an error, the setting's default a warning). A line that repeats a claim place
    already told is not told again."""
    return [finding(
        "FORM-SETTING", f"Line {ln.line}: place of service {ln.place_of_service} (the line's own, SV105) for "
        f"{code_of(ln)}; " + _expected_place(want, stated), line=ln.line, severity=None if stated else "warning",
        fix=f"Use place of service {want} on line {ln.line}, or leave the line's own place out so it takes the "
        "claim's" + ("." if stated else ", unless another fits the place the service was given."))
        for ln in lines if ln.place_of_service is not None and ln.place_of_service not in (want, claim_place)]


_DEPARTMENTS = {"on_campus": "an on-campus department", "off_campus_excepted": "an excepted off-campus department",
                "off_campus_nonexcepted": "a non-excepted off-campus department"}


@edit(
    "FORM-DEPARTMENT",
    severity="error",
    # {off_campus_…_modifier}: refdata/cms/settings.toml [[hospital_outpatient.department_modifiers]], latest rows
    statement="a hospital outpatient claim's lines without the modifier of the off-campus department the chart "
    "names ({off_campus_excepted_modifier} excepted, {off_campus_nonexcepted_modifier} non-excepted), with the "
    "other one, or with one where the department is on campus or the claim is not a hospital's",
    fix="Put the department's modifier on every HCPCS line: {off_campus_excepted_modifier} for an excepted "
    "off-campus department, {off_campus_nonexcepted_modifier} for a non-excepted one (paid at the Physician Fee "
    "Schedule-equivalent rate), neither on campus or on a professional claim.",
    source=MANUAL_CH4,
    phase="claim",
)
def department_modifier(ctx: EditContext) -> list[Finding]:
    """One finding per mistake, naming its lines. The modifier the date and department take is the snapshot's
    (`Rules.department_modifier`, from settings.toml); a chart that does not name its department is not judged,
    nor a modifier on an off-campus claim before one was required (PO was voluntary in 2015). An error for
    Original Medicare, whose OPPS asks them; a warning for another payer whose profile asks them too."""
    found: list[Finding] = []
    w = ctx.written
    known = ctx.rules.department_modifiers
    if w is None or not (ctx.written_modifiers() & known or ctx.encounter.outpatient_department):
        return found
    department = ctx.encounter.outpatient_department
    hospital = ctx.encounter.setting == "hospital_outpatient"
    want = ctx.rules.department_modifier(department)  # None off a hospital: the input names no department there
    severity: Severity | None = None if ctx.profile.original_medicare else "warning"
    verify = "" if severity is None else f" ({ctx.profile.title}: verify that the plan asks them)"
    where = _DEPARTMENTS.get(department or "", "")
    missing, other, stray = [], [], []
    for ln in w.lines:
        present = mods(ln) & known
        if want is not None:
            if present - {want}:
                other.append(ln)  # the other department's modifier (with or without this one): one mistake
            elif want not in present:
                missing.append(ln)
        elif present and (not hospital or department == "on_campus"):
            stray.append(ln)

    if missing:
        found.append(finding("FORM-DEPARTMENT", f"{numbers(missing)}: without {want}; a claim from {where} reports "
                             f"{want} on every HCPCS line{verify}.", line=missing[0].line, severity=severity,
                             fix=f"Add {want} to {numbers(missing).lower()}."))
    if other:
        wrong = ", ".join(sorted({m for ln in other for m in mods(ln) & known} - {want or ""}))
        found.append(finding("FORM-DEPARTMENT", f"{numbers(other)}: {wrong} on a claim from {where}, whose lines "
                             f"take {want}{verify}.", line=other[0].line, severity=severity,
                             fix=f"Replace {wrong} with {want} on {numbers(other).lower()}."))
    if stray:
        wrong = ", ".join(sorted({m for ln in stray for m in mods(ln) & known}))
        place = f"a claim from {where}" if hospital else f"{_a(ctx.encounter.setting.replace('_', ' '))} claim"
        found.append(finding("FORM-DEPARTMENT", f"{numbers(stray)}: {wrong} on {place}; these modifiers "
                             "are for a hospital's off-campus department.", line=stray[0].line, severity=severity,
                             fix=f"Remove {wrong} from {numbers(stray).lower()}."))
    return found


def _revenue_codes(ctx: EditContext) -> Iterator[Finding]:
    w = ctx.written
    if w is None:  # a claim check: runs on scrub only, where the written claim is given
        return
    setting = ctx.rules.setting(ctx.encounter.setting)
    drug_rev, admin_rev = setting.get("drug_revenue_code"), setting.get("administration_revenue_code")
    if w.form is None and not any(ln.revenue_code for ln in w.lines):
        yield finding("FORM-SETTING", "No revenue codes on a hospital outpatient claim (UB-04 needs one on every "
                      f"line: drugs {drug_rev}, administration {admin_rev}).", severity="warning")
        return
    for ln in w.lines:
        rev = (ln.revenue_code or "").strip()
        code = code_of(ln)
        wanted = drug_rev if is_drug_code(ctx, code) else admin_rev if ctx.rules.admin(code) else None
        if not rev:
            yield finding("FORM-SETTING", f"Line {ln.line}: {code} has no revenue code (UB-04).", line=ln.line,
                          fix=f"Give line {ln.line} revenue code {wanted}." if wanted else
                          f"Give line {ln.line} the revenue code of its service.")
        elif is_drug_code(ctx, code) and drug_rev and rev != drug_rev:
            yield finding("FORM-SETTING", f"Line {ln.line}: {code} under revenue code {rev}; a separately payable "
                          f"drug with its HCPCS code goes under {drug_rev}.", line=ln.line, severity="warning",
                          fix=f"Put line {ln.line} under revenue code {drug_rev}.")
        elif ctx.rules.admin(code) and admin_rev and not rev.startswith(admin_rev[:3]):
            yield finding("FORM-SETTING", f"Line {ln.line}: {code} under revenue code {rev}; drug administration "
                          f"is commonly {admin_rev[:3]}x.", line=ln.line, severity="warning",
                          fix=f"Put line {ln.line} under revenue code {admin_rev} (or another 026x).")


@edit(
    "CLAIM-LINE-MISSING",
    severity="warning",
    statement="a line the chart supports is not on the written claim, or an administration code is written with "
    "fewer units than the chart supports (revenue left unbilled)",
    fix="Add the line shown in the expected claim, or bill the units it shows.",
    source=MANUAL_CH4,
    phase="claim",
    # an add-on left off entirely is a missing line, not a units error; a line of 0 units the chart supports more of
    # is units left unbilled, told with what they are worth
    supersedes=("ADMIN-ADDON-UNITS", "CLAIM-UNITS-ZERO"),
)
def line_missing(ctx: EditContext) -> list[Finding]:
    if ctx.written is None:
        return []
    found = _admin_units_short(ctx)
    drugs = ctx.coding.drugs
    by_drug = written_drug_lines(ctx)
    expected = ctx.expected.lines
    written_codes = ctx.written_code_set
    for did, f in drugs.items():
        if f.lines and not by_drug[did]:
            expected_codes = {ln.code for ln in expected}
            if any(ln.code in expected_codes for ln in f.lines):
                units = sum(ln.units for ln in f.lines)
                found.append(finding("CLAIM-LINE-MISSING", f"{f.path} ({f.drug.product or f.code}): no drug line is "
                                     f"written; the chart supports {f.code} × {units}.", impact_units=units,
                                     cause=("drug", f.path)))
    unwritten = [ln for ln in expected if ln.code not in written_codes]
    if not unwritten:
        return found  # every expected code is written (most claims)
    admin = ctx.rules.admin
    written_families = {rec.family for c in written_codes if (rec := admin(c)) is not None}
    drug_codes = {ln.code for f in drugs.values() for ln in f.lines}
    for ln in unwritten:
        code = ln.code
        rec = admin(code)
        # Another code of a written family is explained by the administration edits (a push for an infusion...);
        # an add-on code (additional hours) left off beside its written primary is a line missing all the same.
        family_written = rec is not None and rec.family in written_families and rec.role != "addon"
        if code in drug_codes or family_written:
            continue
        found.append(finding("CLAIM-LINE-MISSING", f"{code} × {ln.units} is supported by the chart and not billed.",
                             impact_units=ln.units, fix=f"Add {code} × {ln.units}.", cause=("line-absent", code)))
    return found


def _admin_units_short(ctx: EditContext) -> list[Finding]:
    """CLAIM-LINE-MISSING for an administration code the written claim bills, with fewer units than the chart
    supports (96365 × 0 where the chart supports 96365 × 1): the units left unbilled are at stake. An add-on code's
    units are ADMIN-ADDON-UNITS's either way; more units than supported are ADMIN-INITIAL-DUPLICATE's or
    ADMIN-SEQUENTIAL's; a code not written at all is a missing line (below)."""
    found: list[Finding] = []
    w = ctx.written
    if w is None:
        return found
    admin = ctx.rules.admin
    supported: dict[str, int] = {}
    for ln in ctx.expected.lines:
        rec = admin(ln.code)
        if rec is not None and rec.role not in ("addon", "bundled"):
            supported[ln.code] = supported.get(ln.code, 0) + ln.units
    if not supported:
        return found
    by_code: dict[str, list[ClaimLine]] = {}
    for ln, code in zip(w.lines, ctx.written_codes, strict=True):
        if code in supported:
            by_code.setdefault(code, []).append(ln)
    for code, lines in by_code.items():
        billed, want = sum(ln.units for ln in lines), supported[code]
        if billed >= want:
            continue
        found.append(finding("CLAIM-LINE-MISSING", f"{numbers(lines)}: {code} × {billed} billed; the chart supports "
                             f"{code} × {want}: {want - billed} unbilled.", line=lines[0].line,
                             impact_units=want - billed, fix=f"Bill {code} × {want}.", cause=("units", code)))
    return found


MLN_1500 = "https://www.cms.gov/Outreach-and-Education/MLN/WBT/MLN4462429-MLN-WBT-1500/1500/lesson05/07/index.html"


@edit(
    "CLAIM-UNITS-ZERO",
    severity="warning",
    statement="a written service line of 0 units (CMS-1500 item 24G, 837P SV104, 837I SV205): it bills nothing, and "
    "a clearinghouse or payer may reject the claim for it",
    fix="Bill the units of the service the line stands for (at least 1), or remove the line.",
    source=MLN_1500,
    phase="claim",
)
def units_zero(ctx: EditContext) -> list[Finding]:
    """Every written line, on a chart or alone. A warning: no CMS or X12 text igclaim holds bounds the quantity
    above 0 (CMS asks for "1" when one service is performed, item 24G); clearinghouses refuse 0 in practice (a
    trade source, not an official one). With the chart, a code it supports more of is CLAIM-LINE-MISSING's (or
    ADMIN-ADDON-UNITS's) finding, with the units left unbilled."""
    found: list[Finding] = []
    if ctx.written is None:
        return found
    for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True):
        if ln.units == 0:
            found.append(finding("CLAIM-UNITS-ZERO", f"Line {ln.line}: {code} × 0 bills nothing; a service line "
                                 "bills at least one unit.", line=ln.line, cause=("units", code),
                                 fix=f"Bill the units of {code} given on line {ln.line}, or remove the line."))
    return found


@edit(
    "CLAIM-CHARGE-TOTAL",
    severity="error",
    statement="the written claim's total charge (837 CLM02, CMS-1500 item 28) is not the sum of its lines' charges "
    "(837P SV102, 837I SV203, CMS-1500 item 24F): the claim does not balance, and a clearinghouse or payer rejects "
    "it",
    fix="Make the total charge the sum of the line charges, or correct the line charge that is wrong.",
    source=MLN_1500,
    phase="claim",
)
def charge_total(ctx: EditContext) -> list[Finding]:
    """Where the written claim carries its charges (an 837 read; a chart's written claim has none), with the chart
    or alone. CMS: "Loop 2300 CLM02 / Item 28: the total charges for the services, including all charges in item
    24F"; the 837 guides' CLM02 note asks the same balance of the service lines. No dollars at stake: a claim that
    does not balance is returned unprocessed, to be corrected and sent again."""
    charges = ctx.charges
    if ctx.written is None or charges is None or not charges.lines:
        return []
    lines = sum(charges.lines, Decimal(0))
    if charges.total == lines:
        return []
    element = "SV203" if ctx.written.form == "UB-04" else "SV102"
    return [finding("CLAIM-CHARGE-TOTAL", f"The total charge (CLM02) is {_usd(charges.total)}; the "
                    f"{len(charges.lines)} service lines' charges ({element}) add up to {_usd(lines)}.",
                    fix=f"Make CLM02 {lines:.2f}, the sum of the line charges, or correct the line charge that is "
                    "wrong.")]


def _usd(amount: Decimal) -> str:
    return f"${amount:,.2f}"


@dataclass(frozen=True)
class _Quantity:
    """Where this form's 837 line carries its quantity and the unit bases that element's guide lists, from
    refdata/837-unit-bases.toml (the table the 837 reader refuses a basis by: readers.x12 `_quantity`)."""

    form: str  # the form and its 837, as a message names them
    of: QuantityElement

    @property
    def element(self) -> str:
        return self.of.element

    @property
    def transaction(self) -> str:
        return self.of.transaction

    @property
    def bases(self) -> tuple[str, ...]:
        return self.of.bases

    def name(self, basis: str) -> str:
        return self.of.names[basis]

    def said(self) -> str:
        return " or ".join(f"{self.name(b)} ({b})" for b in self.bases)


def _quantity(ctx: EditContext) -> _Quantity:
    """The written claim's line quantity element (a claim without a form is an 837P's, as CLAIM-CHARGE-TOTAL reads
    it)."""
    return _quantity_of(ctx.written is not None and ctx.written.form == "UB-04")


@lru_cache(maxsize=2)
def _quantity_of(institutional: bool) -> _Quantity:
    """Made once per process (the table is bundled): every written claim asks it twice."""
    if institutional:
        return _Quantity("UB-04 (837I)", quantity_elements()["837I"])
    return _Quantity("CMS-1500 (837P)", quantity_elements()["837P"])


def _basis_not_listed(edit_id: str, q: _Quantity, ln: ClaimLine, code: str) -> Finding:
    """A line whose unit basis this form's quantity element does not list, whatever its code."""
    basis = ln.unit_basis or ""
    return finding(edit_id, f"Line {ln.line}: {code} × {ln.units} in {q.name(basis)} ({q.element} {basis}): "
                   f"a {q.form} line's quantity is in {q.said()}; the {q.transaction} does not list {basis}.",
                   line=ln.line, fix=_in_units(q, ln, code))


def _in_units(q: _Quantity, ln: ClaimLine, code: str) -> str:
    return (f"Bill line {ln.line}'s {code} in units ({q.element} UN), as many as the service given makes by its "
            "code.")


def _in_minutes(ctx: EditContext, code: str) -> bool:
    """A code billed in minutes: the CPT anesthesia codes (refdata/cms/settings.toml [office] minutes_codes)."""
    first, last = ctx.rules.setting("office")["minutes_codes"]
    return len(code) == 5 and code.isdigit() and first <= code <= last


@edit(
    "CLAIM-UNITS-MINUTES",
    severity="error",
    statement="a written line's quantity in minutes (837P SV103 MJ, the basis of anesthesia time) on a code billed "
    "in units: the minutes are not the code's units (240 minutes of 96366 are not 240 additional hours); on a UB-04 "
    "(837I SV204, which lists units and days only) minutes on any code",
    fix="Bill the code's units with UN: a drug's by its dose, an administration code's by its time rule (the "
    "expected claim shows them).",
    source=MLN_1500,
    phase="claim",
)
def units_in_minutes(ctx: EditContext) -> list[Finding]:
    """Every written line read with MJ, on a chart or alone; an anesthesia code's minutes are its own basis on an
    837P. A UB-04's line (837I SV204: UN or DA, as the 837I reader refuses any other) is told for any code, naming
    SV204. Not converted: a code's minutes on one line do not say the infusion's start and stop its time rule counts
    from."""
    found: list[Finding] = []
    if ctx.written is None or "MJ" not in ctx.written_bases:  # most claims: every line in units
        return found
    q = _quantity(ctx)
    for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True):
        if ln.unit_basis == "MJ" and ln.unit_basis not in q.bases:
            found.append(_basis_not_listed("CLAIM-UNITS-MINUTES", q, ln, code))
        elif ln.unit_basis == "MJ" and not _in_minutes(ctx, code):
            found.append(finding("CLAIM-UNITS-MINUTES", f"Line {ln.line}: {code} × {ln.units} in minutes "
                                 f"({q.element} MJ): minutes are not {code}'s units (MJ is for anesthesia time).",
                                 line=ln.line, fix=_in_units(q, ln, code)))
    return found


@edit(
    "CLAIM-UNITS-DAYS",
    severity="warning",
    statement="a written 837I line's quantity in days (SV204 DA, the basis of an accommodation's days) on a HCPCS "
    "code: the line is read, its quantity taken as the code's units, which is what a HCPCS line's service units are; "
    "on a CMS-1500 (837P SV103, which lists units and minutes only) days on any code",
    fix="Bill the code's units with UN: a drug's by its dose, an administration code's by its time rule (the "
    "expected claim shows them).",
    source=MANUAL_CH4,
    phase="claim",
)
def units_in_days(ctx: EditContext) -> list[Finding]:
    """Every written line read with DA that bills a HCPCS code. The 837I guide allows DA, so the claim is read, not
    refused; IOM 100-04 ch. 4 §20.4 counts a HCPCS line's service units (UB-04 FL 46) as the code's, not days. A
    warning: the number may well be the right units under the wrong basis, and the other edits judge it as units. A
    revenue-code line without a code (an accommodation's days) is not told. A CMS-1500's line (837P SV103: UN or MJ,
    as the 837P reader refuses any other) is told for any code, naming SV103."""
    found: list[Finding] = []
    if ctx.written is None or "DA" not in ctx.written_bases:  # most claims: every line in units
        return found
    q = _quantity(ctx)
    for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True):
        if ln.unit_basis == "DA" and ln.unit_basis not in q.bases:
            found.append(_basis_not_listed("CLAIM-UNITS-DAYS", q, ln, code))
        elif ln.unit_basis == "DA" and code:
            found.append(finding("CLAIM-UNITS-DAYS", f"Line {ln.line}: {code} × {ln.units} in days ({q.element} DA): "
                                 f"a HCPCS line's service units are {code}'s units, not days; igclaim read "
                                 f"{ln.units} as {code}'s units.", line=ln.line, fix=_in_units(q, ln, code)))
    return found


@edit(
    "CLAIM-LINE-UNEXPECTED",
    severity="warning",
    statement="a written line whose code the chart does not document and no other edit explains",
    fix="Remove the line, or document the service it bills in the chart.",
    source=MANUAL_CH4,
    phase="claim",
)
def line_unexpected(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if ctx.written is None:
        return found
    expected = {ln.code for ln in ctx.expected.lines}
    drug_lines = {id(ln) for lines in written_drug_lines(ctx).values() for ln in lines}
    for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True):
        if code in expected or id(ln) in drug_lines or ctx.rules.admin(code) is not None:
            continue
        known = ctx.rules.hcpcs(code)
        if known is not None and known.kind == "service" and ctx.encounter.setting == "home":
            continue  # the home supplies/pump codes the supplier bills (HOME-BILLING-NOTE)
        found.append(finding("CLAIM-LINE-UNEXPECTED", f"Line {ln.line}: {code} is not supported by the chart as "
                             "documented; igclaim cannot check it.", line=ln.line))
    return found


@edit(
    "CLAIM-LINE-DATE",
    severity="error",
    statement="a written line is dated on a day the chart documents none of its code's services (CMS-1500 item "
    "24A, 837P/837I DTP*472): the claim bills a service on a day the record does not support",
    fix="Date the line on the day the chart documents the service (the expected claim's line date).",
    source=MANUAL_CH26,
    phase="claim",
)
def line_date(ctx: EditContext) -> list[Finding]:
    """By each code's days on the expected claim; a line without its own date takes the claim's. A hospital claim
    may be a series of visits, of which the chart documents one: there it is a warning."""
    found: list[Finding] = []
    if ctx.written is None:
        return found
    days: dict[str, set[date]] | None = None  # made at the first written line with a date of its own
    series = ctx.expected.form == "UB-04"
    for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True):
        day = ln.service_date
        if day is None:
            continue
        if days is None:
            days = {}
            for expected in ctx.expected.lines:
                days.setdefault(expected.code, set()).add(expected.service_date or ctx.dos)
        want = days.get(code)
        if not want or day in want:
            continue
        charted = ", ".join(str(d) for d in sorted(want))
        found.append(finding(
            "CLAIM-LINE-DATE", f"Line {ln.line}: {code} is dated {day}; the chart documents it on {charted}."
            + (" A hospital's claim for a series of visits may hold another visit's line: this chart documents none "
               "on that day." if series else ""),
            line=ln.line, severity="warning" if series else "error", impact_units=-ln.units,
            fix=f"Date line {ln.line} {charted}, as the chart documents it." if len(want) == 1 else None))
    return found


@edit(
    "CLAIM-POINTER-INVALID",
    severity="error",
    # {pointers_per_line}: refdata/cms/settings.toml diagnosis_pointers_per_line
    statement="a line's diagnosis pointer names no diagnosis on the claim, the line carries more than "
    "{pointers_per_line} pointers, or none while other lines carry them (CMS-1500 item 24E, 837P SV107): the claim "
    "is rejected as unprocessable",
    fix="Point each line at 1 to {pointers_per_line} of the claim's diagnoses by their place in its list (item 21, "
    "837P HI), the primary first.",
    source=MANUAL_CH26,
    phase="claim",
)
def pointer_invalid(ctx: EditContext) -> list[Finding]:
    """Read from the claim alone (its diagnoses, or the chart's when it lists none): also run on an 837 scrubbed
    without its chart (edits/written.py CHART_FREE). Pointers below 1 or above 12 never get here: the input is
    refused (model.py, the 837 reader). A line without pointers is judged only when another line carries some: a
    written claim with none on any line is not judged (the JSON claim may leave them out)."""
    found: list[Finding] = []
    if ctx.written is None or not pointers_sent(ctx):
        return found
    dx = claim_dx(ctx)
    if not dx:
        return found  # no diagnosis at all: DX-MISSING
    most = ctx.rules.setting(ctx.encounter.setting)["diagnosis_pointers_per_line"]
    listed = f"{len(dx)} diagnos{'is' if len(dx) == 1 else 'es'} ({', '.join(dx)})"
    pointed = [ln for ln in ctx.written.lines if ln.diagnosis_pointers]
    for ln in ctx.written.lines:
        pointers = ln.diagnosis_pointers
        if not pointers:
            found.append(finding(
                "CLAIM-POINTER-INVALID", f"Line {ln.line}: no diagnosis pointer, while "
                f"{numbers(pointed).lower()} carr{'y' if len(pointed) > 1 else 'ies'} them. Each CMS-1500/837P "
                f"service line points at 1 to {most} of the claim's diagnoses (item 24E, SV107); a line without one "
                "makes the claim unprocessable.",
                line=ln.line, impact_units=-ln.units,
                fix=f"Point line {ln.line} at the diagnoses it treats (1 to {len(dx)} here), the primary first."))
            continue
        past = [p for p in pointers if not 0 < p <= len(dx)]
        if past:
            found.append(finding(
                "CLAIM-POINTER-INVALID", f"Line {ln.line}: diagnosis pointer {', '.join(map(str, past))} names no "
                f"diagnosis; the claim lists {listed}. A pointer to no diagnosis makes the claim unprocessable.",
                line=ln.line, impact_units=-ln.units,
                fix=f"Point line {ln.line} at the claim's diagnoses 1 to {len(dx)} only, or add the diagnosis it "
                "meant to the claim."))
        if len(pointers) > most:
            found.append(finding(
                "CLAIM-POINTER-INVALID", f"Line {ln.line}: {len(pointers)} diagnosis pointers; a service line holds "
                f"at most {most} (CMS-1500 item 24E, 837P SV107).",
                line=ln.line, impact_units=None if past else -ln.units,
                fix=f"Keep at most {most} pointers on line {ln.line}, the primary diagnosis first."))
    return found


@edit(
    "CLAIM-NOT-COMPARED",
    severity="info",
    statement="the input holds a written claim, but build codes the chart only: the written claim was not compared",
    fix="Run scrub (igclaim scrub, POST /api/scrub) to compare the written claim with the chart.",
    source="igclaim usage (README.md: build codes the chart, scrub compares a written claim)",
    phase="chart",
    when=When(build_only=True),
)
def claim_not_compared(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if ctx.written is None and ctx.encounter.claim is not None:
        found.append(finding("CLAIM-NOT-COMPARED", "claim: the written claim was not compared with the chart (build "
                             "codes the chart only); use scrub to compare it"))
    return found


# --- Medicare home infusion (DME MAC): the supplies code Q2052 and the pump E0779 --------------------------------

A52509 = "https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId=52509"


def _ig_routes(ctx: EditContext) -> set[str]:
    return {f.route for f in ctx.coding.drugs.values() if f.is_ig and f.route}


@edit(
    "HOME-SUPPLY-CODE",
    severity="error",
    # {names}: the home supplies codes and dates, quoted from refdata/cms/settings.toml [home] and hcpcs.toml
    statement="a Medicare home infusion claim with the wrong supplies code: {home_supply_code} (home IVIG) on a SC "
    "claim or before the code existed ({home_supply_from}), or {home_pump_code} (the SC pump) on an IV claim",
    fix="Home IVIG: the J-code plus {home_supply_code} for each infusion date (from {home_supply_from}); home SCIG by "
    "pump: the J-code and {home_pump_code}, both with {route_sc_modifier}.",
    source=A52509,
    phase="claim",
    when=When(home_dme=True),
)
def home_supply_code(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if ctx.written is None or not ctx.home_dme():
        return found
    home = ctx.rules.setting("home")
    q, pump = home["medicare_dme_iv_supply_code"], home["medicare_dme_sc_pump_code"]
    routes = _ig_routes(ctx)
    for ln in ctx.written.lines:
        code = code_of(ln)
        if code == q and ctx.rules.hcpcs(q) is None:
            rec = ctx.rules.known_code(q)
            since = rec.period.effective if rec else None
            found.append(finding("HOME-SUPPLY-CODE", f"Line {ln.line}: {q} billed for {ctx.dos}; the code exists from "
                                 f"{since} (the home IVIG demonstration). Before it, home IVIG is the J-code alone.",
                                 line=ln.line, impact_units=-ln.units))
        elif code == q and "IV" not in routes:
            found.append(finding("HOME-SUPPLY-CODE", f"Line {ln.line}: {q} (home IVIG supplies) on a claim whose "
                                 f"immune globulin is subcutaneous; SCIG by pump is billed with {pump} and JB "
                                 "(A52507).",
                                 line=ln.line, impact_units=-ln.units))
        elif code == pump and "SC" not in routes:
            found.append(finding("HOME-SUPPLY-CODE", f"Line {ln.line}: {pump} (the SC infusion pump) on a claim whose "
                                 f"immune globulin is intravenous; home IVIG supplies and nursing are {q}.",
                                 line=ln.line, impact_units=-ln.units))
    return found


@edit(
    "HOME-Q2052-UNITS",
    severity="warning",
    statement="{home_supply_code} units that differ from the rule of the date: one per infusion date under the "
    "demonstration ({home_supply_per_date_from} to {home_supply_per_date_ends}), the infusion visit length in "
    "{home_supply_unit_minutes}-minute units from {home_supply_visit_from} (paid as one bundle per date)",
    fix="Bill {home_supply_code} once for each infusion date with the units of the date of service's rule.",
    source="https://med.noridianmedicare.com/web/jddme/dmepos/ivig",
    phase="claim",
    when=When(home_dme=True),
)
def home_q2052_units(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if ctx.written is None or not ctx.home_dme():
        return found
    q = ctx.rules.setting("home")["medicare_dme_iv_supply_code"]
    expected: dict[date, int] = {}
    for ln in ctx.expected.lines:
        if ln.code == q:
            d = ln.service_date or ctx.dos
            expected[d] = expected.get(d, 0) + ln.units
    written: dict[date, int] = {}
    first_line: dict[date, int] = {}
    for ln in ctx.written.lines:
        if code_of(ln) == q:
            d = ln.service_date or ctx.dos
            written[d] = written.get(d, 0) + ln.units
            first_line.setdefault(d, ln.line)
    if not expected or not written:
        return found  # no Q2052 expected (HOME-SUPPLY-CODE) or none written (CLAIM-LINE-MISSING)
    for d in sorted(set(expected) | set(written)):
        want, got = expected.get(d, 0), written.get(d, 0)
        if want == got:
            continue
        supply = ctx.rules.on(d).supply_units
        if supply is not None and supply.basis == "per_date":
            rule = "one unit per infusion date under the demonstration"
        else:
            minutes = ctx.rules.setting("home")["medicare_dme_iv_supply_rounding"]["unit_minutes"]
            rule = f"the infusion visit length in {minutes}-minute units (DME MAC table; verify against LCD L33610)"
        found.append(finding("HOME-Q2052-UNITS", f"{q} × {got} for {d}; the chart supports {q} × {want} ({rule}). "
                             "Medicare pays one bundle per infusion date, so the units inform rather than price.",
                             line=first_line.get(d),
                             fix=f"Bill {q} × {want} for {d}." if want
                             else f"Remove {q} for {d}: no infusion that date."))
    return found


def home_iv_places(ctx: EditContext) -> tuple[str, ...]:
    """The places of service a Medicare home IVIG claim may carry on its date (refdata/cms/settings.toml, the
    supplies row of the date); empty when the claim is not one, or the date's row lists none."""
    supply = ctx.home_ivig()
    return supply.places if supply is not None else ()


@edit(
    "HOME-PLACE",
    severity="error",
    # {home_iv_places}: refdata/cms/settings.toml [home] medicare_dme_iv_supply_units, the row from 2024-01-01
    statement="a Medicare home IVIG claim whose place of service is not a home or home-like one ({home_iv_places}): "
    "the IVIG benefit covers the drug and {home_supply_code} given in the home only, billed with the same place",
    fix="Bill the place the infusion was given, one of {home_iv_places}, the same on the drug's and "
    "{home_supply_code}'s lines; an infusion given elsewhere is not billed to the DME MAC as home IVIG.",
    source="https://med.noridianmedicare.com/web/jddme/dmepos/ivig",
    phase="chart",
    when=When(home_dme=True),
)
def home_place(ctx: EditContext) -> list[Finding]:
    """Reads the claim that goes out: the chart's place on build, the written claim's on scrub (FORM-SETTING
    leaves a home IVIG claim's place to this check, unless the chart states another); on scrub also each drug and
    supplies line that carries its own place (837P SV105)."""
    found: list[Finding] = []
    supply = ctx.home_ivig()
    if supply is None or not supply.places:
        return found
    places = supply.places
    listed = ", ".join(places)
    # every IVIG of the claim is denied: the first's units (one code's units), the others' lines and the supplies
    # lines with them
    first, *others = [did for did, d in ctx.coding.drugs.items() if d.is_ig and d.route == "IV"]
    did, ivig = first, ctx.coding.drugs[first]
    pos = (ctx.billed.place_of_service or "").strip()
    if pos and pos not in places:
        if ctx.written is None:
            units, whose = sum(ln.units for ln in ivig.lines), "the chart's"
        else:
            # in the drug's own code's units, as priced (a line of another code's unit dose counted in them)
            units, whose = in_own_units(ctx, ivig, written_drug_lines(ctx)[did]), "the written claim's"
        found.append(finding(
            "HOME-PLACE", f"Place of service {pos} ({whose}) on a Medicare home IVIG claim: the DME MAC pays home IVIG "
            f"and its supplies only with a home or home-like place of service ({listed}), so the drug is denied.",
            impact_units=-units, cause=[("drug", ivig.path), *denied_drug_lines(ctx, others),
                                        # "and its supplies": the supplies lines of the claim that goes out
                                        *(("denied-line", str(ln.line)) for ln in ctx.billed.lines
                                          if code_of(ln) == supply.code)],
            fix=f"Bill the place the infusion was given, one of {listed}, on every line; an infusion given elsewhere "
            "(an office, a hospital) is not billed to the DME MAC as home IVIG."))
    if ctx.written is None:
        return found
    # every IVIG's written lines (the first product's first), then the supplies'
    written = written_drug_lines(ctx)
    billed = [*(ln for each in (first, *others) for ln in written[each]),
              *(ln for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True) if code == supply.code)]
    return found + home_line_places(billed, pos, places)


def home_line_places(billed: list[ClaimLine], pos: str, places: tuple[str, ...]) -> list[Finding]:
    """HOME-PLACE on the written lines of a home IVIG claim (the drug's first, then the supplies') that carry their
    own place (837P SV105): each a home one, and the drug's and the supplies' the same (Noridian JD DME, IVIG).
    `pos`: the claim's place, which a line without its own takes."""
    found: list[Finding] = []
    if not billed:
        return found
    listed = ", ".join(places)
    first = billed[0]
    drug_place = first.place_of_service or pos
    for ln in billed:
        own = ln.place_of_service
        place = own or pos
        if own is not None and own not in places:
            found.append(finding(
                "HOME-PLACE", f"Line {ln.line}: place of service {own} (the line's own, SV105) on a Medicare home IVIG "
                f"claim: the DME MAC pays home IVIG and its supplies only with a home or home-like place of service "
                f"({listed}), so {code_of(ln)} is denied.", line=ln.line, impact_units=-ln.units,
                fix=f"Bill the place the infusion was given, one of {listed}, on line {ln.line} as on the claim."))
        elif ln is not first and place != drug_place and place in places and drug_place in places:
            found.append(finding(
                "HOME-PLACE", f"Line {ln.line}: {code_of(ln)} billed at place of service {place}, line {first.line}'s "
                f"{code_of(first)} at {drug_place} (SV105): the DME MAC pays home IVIG and its supplies billed with "
                "the same place of service.", line=ln.line, impact_units=-ln.units,
                fix=f"Bill line {ln.line} at {drug_place}, the place of line {first.line}, or correct line "
                f"{first.line}'s."))
    return found


# The DME MACs' DMEPOS places of service (settings.toml [[home.medicare_dme_sc_pump_places]]).
DMEPOS_PLACES = "https://med.noridianmedicare.com/es/web/jadme/claims-appeals/claim-submission/pos"


def home_pump_places(ctx: EditContext) -> tuple[str, ...]:
    """The places of service a Medicare home SCIG claim (the drug by pump, a DMEPOS claim to the DME MAC) may carry
    on its date; empty when the claim is not one, or no row covers the date."""
    return ctx.rules.pump_places if home_scig(ctx) else ()


@edit(
    "HOME-PUMP-PLACE",
    severity="error",
    # {home_pump_places}: refdata/cms/settings.toml [[home.medicare_dme_sc_pump_places]], the latest row
    statement="a Medicare home SCIG claim (the drug by pump, billed to the DME MAC) whose place of service is not one "
    "where the DME MACs consider a DMEPOS item for coverage ({home_pump_places})",
    fix="Bill the place where the beneficiary uses the pump, one of {home_pump_places}; a hospital, a skilled nursing "
    "or a nursing facility is not one (the DME MAC does not pay for the pump or its drug there).",
    source=DMEPOS_PLACES,
    phase="chart",
    when=When(home_dme=True),
)
def home_pump_place(ctx: EditContext) -> list[Finding]:
    """Reads the claim that goes out, as HOME-PLACE does: the chart's place on build, the written claim's on scrub
    (FORM-SETTING leaves the place of such a claim to this check, unless the chart states another), and on scrub each
    SC drug or pump line that carries its own place (837P SV105). Each SC immune globulin's units are at stake: the
    pump's drug is denied with the pump."""
    found: list[Finding] = []
    places = home_pump_places(ctx)
    if not places:
        return found
    pos = (ctx.billed.place_of_service or "").strip()
    listed = ", ".join(places)
    fix = (f"Bill the place where the beneficiary uses the pump, one of {listed}, on every line; a beneficiary in a "
           "hospital, a skilled nursing or a nursing facility is not billed to the DME MAC for it.")
    whose = "the chart's" if ctx.written is None else "the written claim's"
    sc_lines: list[ClaimLine] = []
    for did, f in ctx.coding.drugs.items():
        if not (f.is_ig and f.route == "SC"):
            continue
        if ctx.written is None:
            units = sum(ln.units for ln in f.lines)
        else:
            written = written_drug_lines(ctx)[did]
            sc_lines += written
            units = sum(ln.units for ln in written)
        if pos and pos not in places:
            found.append(finding(
                "HOME-PUMP-PLACE", f"Place of service {pos} ({whose}) on a Medicare home SCIG claim: the DME MAC "
                f"considers the pump and the drug given with it only at a place of service where the beneficiary uses "
                f"them ({listed}), so {f.code} is denied.", impact_units=-units, cause=("drug", f.path), fix=fix))
    return found + pump_line_places([*sc_lines, *written_pump_lines(ctx)], places)


def pump_line_places(lines: list[ClaimLine], places: tuple[str, ...]) -> list[Finding]:
    """HOME-PUMP-PLACE on the written SC drug and pump lines of a Medicare home SCIG claim that carry their own place
    (837P SV105), with the chart or on an 837 alone."""
    listed = ", ".join(places)
    return [finding(
        "HOME-PUMP-PLACE", f"Line {ln.line}: place of service {ln.place_of_service} (the line's own, SV105) on a "
        f"Medicare home SCIG claim: the DME MAC considers the pump and the drug given with it only at a place of "
        f"service where the beneficiary uses them ({listed}), so {code_of(ln)} is denied.", line=ln.line,
        impact_units=-ln.units, fix=f"Bill the place where the beneficiary uses the pump, one of {listed}, on line "
        f"{ln.line} as on the claim.")
        for ln in lines if ln.place_of_service is not None and ln.place_of_service not in places]
