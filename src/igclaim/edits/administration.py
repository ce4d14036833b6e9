"""Administration edits: the written 9636x lines compared with the services the chart documents
(`ctx.coding.services`, classified once by coding/administration.py), the pump log, and services that are part
of the infusion (the `role = "bundled"` codes of refdata/cms/administration.toml).

Sources: CMS IOM 100-04 ch. 12 §30.5 (time rules), CMS CR 3818 (push), NCCI Policy Manual ch. XI §B
(hydration, bundled services), CMS RAC issues 0071 and 0137.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from igclaim.coding.administration import Service, runs_iv
from igclaim.coding.time import additional_hours, hour_units, minutes_between
from igclaim.edits.context import EditContext
from igclaim.edits.drug import code_of
from igclaim.edits.registry import When, also_check, edit, finding
from igclaim.model import ClaimLine, Finding
from igclaim.refdata.resolver import AdminCode, TimeRules
from igclaim.refdata.rules import Rules

MANUAL_CH12 = "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c12.pdf"
NCCI = "https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits"
PUSH_CR3818 = "https://www.cms.gov/Regulations-and-Guidance/Guidance/Transmittals/downloads/R541CP.pdf"
TIMED_FAMILIES = ("infusion", "sc_infusion", "hydration")

# --- what the chart documents, what was written --------------------------------------------------------------


def _families(ctx: EditContext) -> set[str]:
    """Service kinds are administration code families (infusion, sc_infusion, push, injection, hydration); read by
    most administration checks, so worked out once per claim (callers never change it)."""
    return ctx.once("administration.families", _service_families)


def _service_families(ctx: EditContext) -> set[str]:
    return {s.kind for s in ctx.coding.services}


def _routes(ctx: EditContext) -> set[str | None]:
    return {ctx.rules.admin_code_for("initial", k).route for k in _families(ctx)}


def _charted_routes(ctx: EditContext) -> set[str]:
    """The routes of every administration charted, timed or not (a service is coded only from a timed one)."""
    drugs = ctx.coding.drugs
    return {drugs[a.drug_id].route for a in ctx.encounter.administrations if a.drug_id in drugs}


def written_admin(ctx: EditContext) -> list[tuple[ClaimLine, AdminCode]]:
    """The written claim's lines that bill an administration code of their own (not one bundled into another
    service), with its record; none on build. Every check of written administration lines reads this list."""
    return ctx.once("written_admin", _match_admin_lines)


def _match_admin_lines(ctx: EditContext) -> list[tuple[ClaimLine, AdminCode]]:
    if ctx.written is None:
        return []
    out = []
    admin = ctx.rules.admin_codes.get  # `Rules.admin`, without a call of its own per line
    for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True):
        rec = admin(code)
        if rec is not None and rec.role != "bundled":
            out.append((ln, rec))
    return out


def _codes_of_role(ctx: EditContext, role: str) -> list[tuple[str, AdminCode]]:
    """The administration codes of one role (initial, addon...) in catalog order: a fact of the snapshot, listed once
    per snapshot rather than searched for in every claim."""
    key = ("administration.role", role)
    hit: list[tuple[str, AdminCode]] | None = ctx.rules.alike.get(key)
    if hit is None:
        hit = ctx.rules.once_alike(key, partial(_role_codes, role=role))
    return hit


def _role_codes(rules: Rules, role: str) -> list[tuple[str, AdminCode]]:
    return [(c, rec) for c, rec in rules.admin_codes.items() if rec.role == role]


def _written_units(ctx: EditContext, code: str) -> int:
    """Units of a code on the written administration lines, from their units by code worked out once per claim."""
    by_code: dict[str, int] = ctx.once("administration.written_units", _written_units_by_code)
    return by_code.get(code, 0)


def _written_units_by_code(ctx: EditContext) -> dict[str, int]:
    out: dict[str, int] = {}
    for ln, _ in written_admin(ctx):
        code = code_of(ln)
        out[code] = out.get(code, 0) + ln.units
    return out


def _expected_units(ctx: EditContext, code: str) -> int:
    """Units of a code on the expected claim, from its units by code worked out once per claim."""
    by_code: dict[str, int] = ctx.once("administration.expected_units", _units_by_code)
    return by_code.get(code, 0)


def _units_by_code(ctx: EditContext) -> dict[str, int]:
    out: dict[str, int] = {}
    for ln in ctx.expected.lines:
        code = code_of(ln)
        out[code] = out.get(code, 0) + ln.units
    return out


def _times_missing(ctx: EditContext) -> bool:
    return any(f.edit == "ADMIN-TIMES-MISSING" for f in ctx.coding.findings)


def no_administration_billed(ctx: EditContext) -> bool:
    """Services are documented but the expected claim carries no administration code (Medicare home infusion
    goes to the DME MAC as the drug plus supplies: refdata/cms/settings.toml, home)."""
    return ctx.once("administration.none_billed", _none_billed)


def _none_billed(ctx: EditContext) -> bool:
    if not ctx.coding.services:
        return False
    admin = ctx.rules.admin_codes.get
    return not any(admin(ln.code) for ln in ctx.expected.lines)


def _explained(ctx: EditContext) -> list[tuple[ClaimLine, AdminCode, str | None]]:
    """The written administration lines, each with the edit that explains a code whose family the chart does not
    document (`_explain_unsupported`; None: the family is documented): six checks read them, so paired once per
    claim, each code answered once."""
    return ctx.once("administration.explained", _explain_lines)


def _explain_lines(ctx: EditContext) -> list[tuple[ClaimLine, AdminCode, str | None]]:
    written = written_admin(ctx)
    if not written:
        return []
    answers: dict[str, str | None] = {}
    out = []
    for ln, rec in written:
        code = rec.code
        if code in answers:
            why = answers[code]
        else:
            why = answers[code] = _explain_unsupported(ctx, rec)
        out.append((ln, rec, why))
    return out


def _explain_unsupported(ctx: EditContext, rec: AdminCode) -> str | None:
    fams = _families(ctx)
    if no_administration_billed(ctx):
        return "FORM-SETTING"
    if rec.family in fams:
        return None
    if rec.family in TIMED_FAMILIES and _times_missing(ctx):
        return "ADMIN-TIMES-MISSING"
    if _times_missing(ctx) and rec.route in _charted_routes(ctx):
        return "ADMIN-TIMES-MISSING"  # the code may bill the administration of its route that coding could not time
    if rec.family == "hydration":
        return "ADMIN-HYDRATION"
    if rec.route not in _routes(ctx):
        return "ADMIN-ROUTE"
    if {rec.family, *fams} & {"push"} and {rec.family, *fams} & {"infusion"}:
        return "ADMIN-PUSH"
    if {rec.family, *fams} & {"injection"} and {rec.family, *fams} & {"sc_infusion"}:
        return "ADMIN-PUSH"  # the SC counterpart: a short SC infusion is an injection (96372)
    return "other"


def _span(s: Service) -> str:
    if s.start and s.stop:
        return f"{s.path} {_clock(s.start, s.stop)} = {s.minutes} min"
    return s.path


def _clock(start: datetime, stop: datetime) -> str:
    """Start–stop as a biller reads it: clock times within a day (a run past midnight included), dates and times
    when the span is a day or more (a typo in a date: "09:00–10:00 = 1500 min" would hide it)."""
    if stop - start < timedelta(days=1):
        return f"{start:%H:%M}–{stop:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M}–{stop:%Y-%m-%d %H:%M}"


# --- checks --------------------------------------------------------------------------------------------------


@also_check("ADMIN-TIMES-MISSING", "claim")
def timed_code_without_times(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    for ln, rec, why in _explained(ctx):
        if why == "ADMIN-TIMES-MISSING":
            what = ("is a timed code and the chart has no start and stop time for the service it bills"
                    if rec.family in TIMED_FAMILIES else f"bills an {rec.route} administration that the chart "
                    "gives without a usable start and stop time")
            found.append(finding("ADMIN-TIMES-MISSING", f"Line {ln.line}: {rec.code} {what}.", line=ln.line))
    return found


@edit(
    "ADMIN-HYDRATION",
    severity="error",
    # {names}: thresholds quoted from refdata/cms/administration.toml [time] (igclaim.catalog.quote)
    statement="hydration billed for a flush, KVO or diluent, concurrent with a drug infusion, or under "
    "{hydration_min_minutes} minutes",
    fix="Remove the hydration line: saline as flush, KVO, diluent or concurrent with the drug is part of the "
    "infusion; hydration needs an order, medical necessity and at least {hydration_min_minutes} minutes of its own.",
    source="https://www.cms.gov/files/document/r11p11medicarencci.pdf",
    phase="claim",
    supersedes=("ADMIN-ADDON-PRIMARY",),  # the line should not be billed at all: its missing primary is moot
)
def hydration(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    lines = [(ln, rec) for ln, rec, why in _explained(ctx) if why == "ADMIN-HYDRATION"]
    if not lines:
        return found
    # The fluids coding did not bill (their ADMIN-NOT-BILLED findings, found by cause, say why).
    purpose = {f"fluids[{j}]": fl.purpose for j, fl in enumerate(ctx.encounter.fluids)}
    named = [f"{c[1]} ({purpose.get(c[1], 'fluid')})" for f in ctx.coding.findings for c in f.causes
             if c[0] == "fluid-not-billed"]
    why = (f"Not billable: {', '.join(named)} (ADMIN-NOT-BILLED says why)." if named
           else "No hydration is documented.")
    for ln, rec in lines:
        found.append(finding("ADMIN-HYDRATION", f"Line {ln.line}: {rec.code} × {ln.units} billed, but no billable "
                             f"hydration is documented. {why}", line=ln.line, impact_units=-ln.units,
                             cause=("admin-line", rec.code)))
    return found


@edit(
    "ADMIN-PUSH",
    severity="error",
    statement="an infusion of {push_max_minutes} minutes or less billed as an infusion (it is a push)",
    fix="Bill an IV infusion of {push_max_minutes} minutes or less as a push (96374, or 96375 after another initial "
    "service).",
    source=PUSH_CR3818,
    phase="claim",
)
def push(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    lines = [(ln, rec) for ln, rec, why in _explained(ctx) if why == "ADMIN-PUSH"]
    if not lines:
        return found
    limit = ctx.rules.time.push_max_minutes
    pushes = [s for s in ctx.coding.services if s.kind == "push" and s.minutes is not None and s.minutes > 0]
    infusions = [s for s in ctx.coding.services if s.kind == "infusion"]
    sc_limit = ctx.rules.time.sc_injection_max_minutes
    for ln, rec in lines:
        if rec.family == "sc_infusion":
            short = [s for s in ctx.coding.services if s.kind == "injection"]
            spans = "; ".join(_span(s) for s in short)
            code = ctx.rules.admin_code_for("initial", "injection").code
            found.append(finding("ADMIN-PUSH", f"Line {ln.line}: {rec.code} billed for a subcutaneous infusion of "
                                 f"{sc_limit} minutes or less ({spans}): that is {code}.", line=ln.line,
                                 fix=f"Bill {code} for a subcutaneous infusion of {sc_limit} minutes or less."))
        elif rec.family == "injection":
            longer = "; ".join(_span(s) for s in ctx.coding.services if s.kind == "sc_infusion")
            code = ctx.rules.admin_code_for("initial", "sc_infusion").code
            found.append(finding("ADMIN-PUSH", f"Line {ln.line}: {rec.code} (injection) billed for a subcutaneous "
                                 f"infusion of more than {sc_limit} minutes ({longer}): bill {code}.", line=ln.line,
                                 fix=f"Bill {code} and its additional hours."))
        elif rec.family == "infusion" and pushes:
            spans = "; ".join(_span(s) for s in pushes)
            found.append(finding("ADMIN-PUSH", f"Line {ln.line}: {rec.code} billed for an infusion of {limit} minutes "
                                 f"or less ({spans}): that is a push.", line=ln.line))
        elif rec.family == "infusion":
            spans = "; ".join(_span(s) for s in ctx.coding.services if s.kind == "push")
            found.append(finding("ADMIN-PUSH", f"Line {ln.line}: {rec.code} billed, but the chart documents a push "
                                 f"({spans}), not an infusion.", line=ln.line))
        elif rec.family == "push" and infusions:
            spans = "; ".join(_span(s) for s in infusions)
            found.append(finding("ADMIN-PUSH", f"Line {ln.line}: {rec.code} (push) billed for an infusion of more than "
                                 f"{limit} minutes ({spans}): bill the infusion codes.", line=ln.line,
                                 fix="Bill the infusion as an infusion (96365 and its additional hours)."))
    return found


@edit(
    "ADMIN-ROUTE",
    severity="error",
    statement="IV administration codes for a subcutaneous product or administration, or the reverse",
    fix="Bill SC infusion codes (96369/96370/96371) for subcutaneous administration, IV codes for IV.",
    source=MANUAL_CH12,
    phase="claim",
    # An IV add-on on a SC claim lacks its IV primary for the same reason; the SC code it stands for is not missing.
    supersedes=("ADMIN-ADDON-PRIMARY", "CLAIM-LINE-MISSING"),
)
def route(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    for ln, rec, why in _explained(ctx):
        if why == "ADMIN-ROUTE":
            documented = ", ".join(sorted(f"{s.kind} ({s.path})" for s in ctx.coding.services)) or "none"
            instead = _same_role_expected(ctx, rec)
            # Billed in place of the expected code of the other route: that code's CLAIM-LINE-MISSING is this
            # same mistake (cause "line-absent").
            found.append(finding("ADMIN-ROUTE", f"Line {ln.line}: {rec.code} is an {rec.route} code ({rec.meaning}); "
                                 f"the chart documents: {documented}."
                                 + (f" Expected instead: {instead}." if instead else ""),
                                 line=ln.line, fix=f"Bill {instead} instead of {rec.code}." if instead else None,
                                 cause=[("admin-line", rec.code), *([("line-absent", instead)] if instead else [])]))
    return found


def _same_role_expected(ctx: EditContext, rec: AdminCode) -> str | None:
    """The expected claim's code with the written code's role in another documented family (96369 → 96365)."""
    expected = {ln.code for ln in ctx.expected.lines}
    written = {code_of(ln) for ln in ctx.billed.lines}
    for family in sorted({s.kind for s in ctx.coding.services} - {rec.family}):
        try:
            alt = ctx.rules.admin_code_for(rec.role, family)
        except LookupError:
            continue
        if alt.code in expected and alt.code not in written:
            return alt.code
    return None


@edit(
    "ADMIN-INITIAL-DUPLICATE",
    severity="error",
    statement="more than one initial administration code without a second access site or separate encounter",
    fix="Bill one initial code per encounter (per access site on a hospital claim); later services are "
    "sequential, concurrent or additional hours.",
    source=NCCI,
    phase="claim",
)
def initial_duplicate(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    initials = [(ln, rec) for ln, rec, why in _explained(ctx) if rec.role == "initial" and why is None]
    if not initials:
        return found
    billed = {c: units for c, _ in _codes_of_role(ctx, "initial") if (units := _expected_units(ctx, c))}
    allowed = sum(billed.values())
    # The initial codes the expected claim bills count first, so the one beyond is the code it does not (96360
    # written before 96365 is the extra initial, not the 96365 after it), whatever the written order.
    expected = billed.keys()
    initials.sort(key=lambda t: t[1].code not in expected)
    count = 0
    iv_sites: list[int] | None = None  # read only past the initial services the chart supports
    professional = ctx.expected.form != "UB-04"
    bare: dict[str, int] = {}  # a hospital's written units of each initial code without a distinct-site modifier
    for ln, rec in initials:
        count += ln.units
        if count <= allowed:
            if not professional and not ctx.rules.distinct_modifiers & set(ln.modifiers):
                before = bare.get(rec.code, 0)
                bare[rec.code] = before + ln.units
                if before + ln.units > 1:
                    found.append(_second_site_bare(ctx, ln, rec, alone=not before))
            continue
        if iv_sites is None:  # the sites of one drug infused at once count: coding made them one service
            iv_sites = sorted({site for s in ctx.coding.services
                               if runs_iv(ctx.rules, s)
                               for site in (s.site, *s.span_sites)})
        # A documented IV site for this initial code, one site per initial: in the office the second site's; in the
        # hospital (coding already gave each site of a different drug its own) one drug's second site.
        if rec.route == "IV" and count <= len(iv_sites):
            # A second initial code is allowed when the second site was medically necessary (NCCI Policy Manual
            # ch. XI; Noridian: "if two separate IV sites must be used"), with the distinct-site modifier: never an
            # error, the record decides.
            mods = ctx.rules.distinct_modifiers & set(ln.modifiers)
            want = ctx.rules.param("distinct_site_modifier")
            claim_kind = "a professional" if professional else "a hospital"
            found.append(finding("ADMIN-INITIAL-DUPLICATE", f"Line {ln.line}: {rec.code} is initial service number "
                                 f"{count} on {claim_kind} claim; the chart documents IV access sites "
                                 f"{', '.join(map(str, iv_sites))}."
                          + (f" It carries {', '.join(sorted(mods))}: verify the note says why the second site was "
                                 "needed." if mods else f" Add {want} and document why the second site was needed."),
                                 line=ln.line, severity="warning",
                                 fix=f"Keep it only if the second IV site was medically necessary, with {want} "
                                 "(or 59)."))
        else:
            sites = sorted({s.site for s in ctx.coding.services})
            # at stake: the units beyond what the coded initials and, for an IV code, the documented IV sites allow
            cap = max(allowed, len(iv_sites)) if rec.route == "IV" else allowed
            # another family's initial whose add-on the expected claim bills (hydration before the drug: 96361, not
            # 96360); a second 96365 is no 96366 to be
            addon = rec.addon if rec.code not in expected and rec.addon and _expected_units(ctx, rec.addon) else None
            found.append(finding("ADMIN-INITIAL-DUPLICATE", f"Line {ln.line}: {rec.code} is initial service number "
                                 f"{count}; the chart supports {allowed} (access sites documented: "
                                 f"{', '.join(map(str, sites)) or 'none'}).", line=ln.line,
                                 impact_units=-min(ln.units, count - cap),
                                 fix=f"Bill {addon} for it instead of {rec.code} on line {ln.line}: after the initial "
                                 "service it is an additional service." if addon else None))
    return found


def _second_site_bare(ctx: EditContext, ln: ClaimLine, rec: AdminCode, alone: bool) -> Finding:
    """A hospital's initial code at a second vascular access site the chart supports (IOM 100-04 ch. 4 §230.2),
    written without XS or 59 (`alone`: as a second unit of one line): without it the second is read as a duplicate
    of the first. A warning: the site is documented, the modifier is what is missing."""
    want = ctx.rules.param("distinct_site_modifier")
    sites = ", ".join(map(str, sorted({s.site for s in ctx.coding.services if runs_iv(ctx.rules, s)})))
    what = (f"{ln.units} units of {rec.code}, initial services at more than one site, on one line" if alone else
            f"{rec.code} is a second initial service")
    return finding("ADMIN-INITIAL-DUPLICATE", f"Line {ln.line}: {what} on a hospital claim (the chart documents IV "
                   f"access sites {sites}), without a distinct-site modifier: the second site's initial service goes "
                   f"on its own line with {want}, or it reads as a duplicate of the first {rec.code}.",
                   line=ln.line, severity="warning", fix=f"Bill the second IV access site's initial code on its own "
                   f"line with {want} (or 59) and keep the note that says why the second site was needed.")


def missing_primary(ctx: EditContext, code: str) -> tuple[str, ...] | None:
    """The primaries of a written add-on code when none of them is on the written claim (None: fine, or not an
    add-on code on the date of service)."""
    aoc = ctx.rules.addon_primaries(code)
    if aoc is None or ctx.written is None:
        return None
    written = ctx.written_code_set
    return None if code not in written or not written.isdisjoint(aoc.primaries) else aoc.primaries


@edit(
    "ADMIN-ADDON-PRIMARY",
    severity="error",
    statement="an add-on administration code billed without one of its primary codes in the same encounter (NCCI "
    "add-on code edits, type 1: 96375/96376 after an IV primary, 96361 after 96360, 96365 or 96374, 96370/96371 "
    "after 96369)",
    fix="Bill the service as an initial code of its own with the distinct-service modifier (a premedication push "
    "beside a SC infusion is 96374-XS, hydration beside it 96360-XS), or add the missing primary service.",
    source="https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/"
    "medicare-ncci-add-code-edits",
    phase="claim",
)
def addon_primary(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if no_administration_billed(ctx):
        return found
    for ln, rec in written_admin(ctx):
        primaries = missing_primary(ctx, rec.code)
        if primaries is None:
            continue
        initial = ctx.rules.admin_code_for("initial", rec.family) if rec.family else None
        if initial and initial.code in primaries and _primary_billed_as_push(ctx, initial.code):
            continue  # one mistake: ADMIN-PUSH on the written initial line says to bill the primary instead
        # The initial code the chart supports with the distinct-service modifier (96374-XS for a premedication push
        # beside a SC infusion); a plain expected primary (96369 for 96370) is named by the list above.
        instead = f" Expected instead: {initial.code} with {ctx.rules.param('distinct_site_modifier')}." \
            if initial and any(ln2.code == initial.code and ctx.rules.distinct_modifiers & set(ln2.modifiers)
                               for ln2 in ctx.expected.lines) else ""
        found.append(finding("ADMIN-ADDON-PRIMARY", f"Line {ln.line}: {rec.code} is an add-on code; none of its "
                             f"primary codes ({', '.join(primaries)}) is on the claim.{instead}", line=ln.line,
                             cause=("admin-line", rec.code)))
    return found


def _primary_billed_as_push(ctx: EditContext, primary: str) -> bool:
    """The expected primary was written as an initial code of the other timed family of its route (96374 for 96365,
    96372 for 96369): ADMIN-PUSH flags that line, and the add-on lacks its primary only because of it. A line of
    the other route stands for another service (96374 for an IV infusion says nothing of a missing 96369)."""
    if not any(ln.code == primary for ln in ctx.expected.lines):
        return False
    rec_primary = ctx.rules.admin(primary)
    route = rec_primary.route if rec_primary else None
    return any(rec.role == "initial" and rec.route == route and why == "ADMIN-PUSH" for _, rec, why in _explained(ctx))


@edit(
    "ADMIN-SEQUENTIAL",
    severity="error",
    statement="96367 for the same drug (use 96366), or 96368 used for hydration",
    fix="More time of the same drug is 96366; 96367 is a new drug after the first; 96368 is a concurrent drug "
    "infusion, never hydration.",
    source=MANUAL_CH12,
    phase="claim",
    supersedes=("CLAIM-LINE-MISSING",),  # the additional hours billed under 96367 are not also "missing"
)
def sequential(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    for ln, rec in written_admin(ctx):
        if rec.role not in ("sequential", "concurrent") or rec.family != "infusion":
            continue
        if missing_primary(ctx, rec.code) is not None:
            continue  # ADMIN-ADDON-PRIMARY
        if _written_units(ctx, rec.code) <= _expected_units(ctx, rec.code):
            continue
        drugs = {s.drug_id for s in ctx.coding.services if s.kind == "infusion"}
        if rec.role == "concurrent":
            hyd = [s for s in ctx.coding.services if s.kind == "hydration"] or ctx.encounter.fluids
            supported = _expected_units(ctx, rec.code)
            why = (f"it is reported at most {rec.per_encounter or 1} per encounter (the chart supports "
                   f"{rec.code} × {supported})" if supported else "hydration is never a concurrent infusion" if hyd else
                   "no second drug infused at the same time is documented")
        else:
            why = (f"the chart documents infusions of one drug only ({', '.join(sorted(map(str, drugs)))}): more "
                   "time of it is 96366" if len(drugs) <= 1 else "no infusion of a new drug after the first needs it")
        # 96367 billed for more time of the one drug stands for the additional hours left off: that missing
        # line (CLAIM-LINE-MISSING, cause "line-absent") is this same mistake.
        addon = ctx.rules.admin_code_for("addon", rec.family).code if rec.role == "sequential" and len(drugs) <= 1 \
            else None
        instead = addon if addon and addon in {e.code for e in ctx.expected.lines} \
            and _written_units(ctx, addon) == 0 else None
        found.append(finding("ADMIN-SEQUENTIAL", f"Line {ln.line}: {rec.code} ({rec.meaning}) billed, but {why}.",
                             line=ln.line, cause=("line-absent", instead) if instead else None,
                             fix=f"Bill {instead} × {_expected_units(ctx, instead)} instead of {rec.code}." if instead
                             else None))
    return found


@edit(
    "ADMIN-ADDON-UNITS",
    severity="error",
    statement="additional-hour units (96366, 96370, 96361) that the documented time does not support, or fewer "
    "than it supports",
    fix="Bill one additional hour for each full hour beyond the first plus one for a final part of more than "
    "{addon_beyond_minutes} minutes ({addon_one_unit_minutes} minutes → 1, {addon_two_units_minutes} → 2).",
    source=MANUAL_CH12,
    phase="claim",
    supersedes=("CLAIM-UNITS-ZERO",),  # an add-on line of 0 units: the units it should bill, told with their worth
)
def addon_units(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if ctx.written is None:
        return found
    written = written_admin(ctx)
    wlines = [ln for ln, _ in written]
    rule = ctx.rules.param("additional_hour_rule")
    families = _families(ctx)
    if not families or no_administration_billed(ctx):
        return found
    for code, rec in _codes_of_role(ctx, "addon"):
        if rec.family not in families:
            continue
        if missing_primary(ctx, code) is not None:
            continue  # ADMIN-ADDON-PRIMARY says what is wrong with it
        billed, supported = _written_units(ctx, code), _expected_units(ctx, code)
        if billed == supported:
            continue
        spans = "; ".join(_span(s) for s in ctx.coding.services if s.kind == rec.family)
        line = next((ln for ln in wlines if code_of(ln) == code), None)
        rule_text = "full hours only" if rule == "whole_hour" else \
            f"each unit needs more than {ctx.rules.time.addon_beyond_minutes} minutes beyond the last full hour"
        # No line of the add-on at all: the line is missing (CLAIM-LINE-MISSING, same cause, supersedes this).
        found.append(finding("ADMIN-ADDON-UNITS", f"{code} × {billed} billed; the documented time ({spans}) supports "
                             f"{code} × {supported} ({rule_text}).", line=line.line if line else None,
                             impact_units=supported - billed, fix=f"Bill {code} × {supported}." if supported else
                             f"Remove {code}.", cause=("units", code) if line else ("line-absent", code)))
    return found


@edit(
    "ADMIN-PUMP-LOG",
    severity="warning",
    statement="documented times differ from the pump log enough to change the billed units",
    fix="Reconcile the documented start and stop times with the pump log before billing the timed codes.",
    source=MANUAL_CH12,
    phase="chart",
    when=When(chart=("pump_log",)),
)
def pump_log(ctx: EditContext) -> list[Finding]:
    """Only where the claim bills timed administration codes: a Medicare home claim goes to the DME MAC as the drug
    and its supplies, with no 9636x (refdata/cms/settings.toml, home), so no time there changes a billed unit."""
    found: list[Finding] = []
    if no_administration_billed(ctx):
        return found
    rules = ctx.rules.time
    rule = ctx.rules.param("additional_hour_rule")
    for did in dict.fromkeys(p.drug_id for p in ctx.encounter.pump_log):
        documented = sorted((s for s in ctx.coding.services if s.drug_id == did and s.minutes is not None),
                            key=lambda s: s.start)  # type: ignore[arg-type, return-value]
        if not documented:
            continue
        pumped = sorted((p for p in ctx.encounter.pump_log if p.drug_id == did), key=lambda p: p.start)
        doc_minutes = [s.minutes or 0 for s in documented]
        pump_minutes = [minutes_between(p.start, p.stop) for p in pumped]
        kind = documented[0].kind
        addon = ctx.rules.admin_code_for("initial", kind).addon if kind in TIMED_FAMILIES else None
        doc_units = _hour_units(doc_minutes, rules, rule)
        pump_units = _hour_units(pump_minutes, rules, rule)
        # Either side of the push (IV) or injection (SC) limit is another code (96374/96365, 96372/96369).
        limit = rules.sc_injection_max_minutes if kind in ("sc_infusion", "injection") else rules.push_max_minutes
        pushed = [m <= limit for m in pump_minutes] != [m <= limit for m in doc_minutes] and kind in (
            "infusion", "push", "sc_infusion", "injection")
        if doc_units == pump_units and not pushed:
            continue
        doc = "; ".join(_span(s) for s in documented)
        pump = "; ".join(f"{_clock(p.start, p.stop)} = {m} min" for p, m in zip(pumped, pump_minutes, strict=True))
        what = f"{addon} × {doc_units}" if addon else f"{sum(doc_minutes)} min"
        other = f"{addon} × {pump_units}" if addon else f"{sum(pump_minutes)} min"
        found.append(finding("ADMIN-PUMP-LOG", f"{did}: documented {doc} gives {what}; the pump log {pump} gives "
                             f"{other}.",
                             impact_units=pump_units - doc_units if addon else None))
    return found


def _hour_units(minutes: list[int], rules: TimeRules, rule: str) -> int:
    """Additional-hour units of one drug's intervals: the first after its initial code, later ones on their own
    (coding/administration.py codes them the same way)."""
    if not minutes:
        return 0
    return additional_hours(minutes[0], rules, rule) + sum(hour_units(m, rules, rule) for m in minutes[1:])


@edit(
    "ADMIN-BUNDLED",
    severity="error",
    statement="a service that is part of the infusion billed on its own (36000, 36410, 96523, preparation)",
    fix="Remove the line: IV start, venipuncture, port flush on the day of an infusion and drug preparation are "
    "included in the administration codes.",
    source=NCCI,
    phase="claim",
)
def bundled(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if ctx.written is None or not ctx.encounter.administrations:
        return found
    for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True):
        rec = ctx.rules.admin(code)
        if rec is not None and rec.role == "bundled":
            found.append(finding("ADMIN-BUNDLED", f"Line {ln.line}: {rec.code} ({rec.meaning}) is included in the "
                                 "infusion billed for the same encounter.", line=ln.line, impact_units=-ln.units))
    return found


@edit(
    "ADMIN-NOT-SUPPORTED",
    severity="error",
    statement="an administration code or its units that the documented services do not support (e.g. 96371 without "
    "a second pump set-up, a facility-only code on a professional claim)",
    fix="Bill the administration codes of the expected claim.",
    source=MANUAL_CH12,
    phase="claim",
)
def not_supported(ctx: EditContext) -> list[Finding]:
    """The written administration codes no more specific edit explains: other roles of a documented family
    (set-up, sequential push), or a family the chart does not document for any of the reasons above."""
    found: list[Finding] = []
    seen: set[str] = set()
    for ln, rec, why in _explained(ctx):
        if why == "other":
            documented = ", ".join(sorted(_families(ctx))) or "none"
            found.append(finding("ADMIN-NOT-SUPPORTED", f"Line {ln.line}: {rec.code} ({rec.meaning}); the chart "
                                 f"documents {documented}.", line=ln.line, impact_units=-ln.units))
        elif why is None and rec.role in ("setup", "sequential") and rec.family != "infusion" \
                and rec.code not in seen and missing_primary(ctx, rec.code) is None:
            seen.add(rec.code)
            billed, supported = _written_units(ctx, rec.code), _expected_units(ctx, rec.code)
            if billed > supported:
                facility = " (facility claims only)" if rec.facility_only and ctx.expected.form != "UB-04" else ""
                found.append(finding("ADMIN-NOT-SUPPORTED", f"Line {ln.line}: {rec.code} × {billed}{facility}; the "
                                     f"chart supports {rec.code} × {supported}.", line=ln.line,
                                     impact_units=supported - billed))
    return found
