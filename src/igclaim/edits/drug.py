"""Drug-line edits: the written J-code, its units, the JW/JZ waste modifiers, the route modifier and the NDC,
compared with what the chart supports (coding/drug.py worked out the facts once: `ctx.coding.drugs`).

Written lines are matched to the chart's drugs by code; an immune globulin code that is not the product's own
(a NOS code, another brand's code) is still that drug's line, so its units are checked too.
Sources: CMS HCPCS descriptors (units), CMS Discarded Drugs page (JW/JZ), payer profile parameters.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import NamedTuple, get_args

from igclaim import ndc as ndc_mod
from igclaim.coding.claim import drug_line_numbers
from igclaim.coding.drug import CodedDrug, dose_units_exact, package_billing_units
from igclaim.edits.context import EditContext
from igclaim.edits.context import code_of as code_of  # the name engine.py and written.py import it by
from igclaim.edits.diagnosis import sourced
from igclaim.edits.registry import Cause, When, also_check, edit, finding
from igclaim.model import ClaimLine, Finding, NdcUnit
from igclaim.refdata.resolver import Package, Product
from igclaim.refdata.rules import Rules

DISCARDED_DRUGS = "https://www.cms.gov/medicare/payment/part-b-drugs/discarded-drugs"
HCPCS_FILES = "https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update"
JZ_RULE = ("https://www.hhs.gov/guidance/document/new-claims-modifier-requirement-drugs-and-biologicals-"
           "single-dose-container-or-single-use")
NDC_XWALK = "https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files"
FIRST_COAST_A57778 = "https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId=57778"

# --- matching the written claim with the chart ---------------------------------------------------------------


def waste_mod(ctx: EditContext) -> str:
    """JW: the modifier of a discarded amount on the date's snapshot (named once in refdata/cms/modifiers.toml)."""
    return ctx.rules.modifier_for("discarded")


def zero_waste_mod(ctx: EditContext) -> str:
    """JZ: nothing discarded."""
    return ctx.rules.modifier_for("zero_discarded")


def mods(line: ClaimLine) -> set[str]:
    return {m.strip().upper() for m in line.modifiers}


# Answers of `is_drug_code` per snapshot: keyed by a written code, so bounded.
DRUG_CODES_LIMIT = 256


def is_drug_code(ctx: EditContext, code: str) -> bool:
    """An immune globulin code of any kind (own, NOS, or one listed for recognition only): a fact of the snapshot
    and the code, so answered once per span of alike dates (`Rules.once_alike`) and code."""
    answers: dict[str, bool] | None = ctx.rules.alike.get("drug.is_drug_code")
    if answers is None:
        answers = ctx.rules.once_alike("drug.is_drug_code", _no_answers)
    hit = answers.get(code)
    if hit is None:
        if len(answers) >= DRUG_CODES_LIMIT:
            answers.clear()
        rec = ctx.rules.hcpcs(code) or ctx.rules.known_code(code)
        hit = answers[code] = rec is not None and rec.kind in ("ig", "ig_nos", "recognition")
    return hit


def _no_answers(_: Rules) -> dict[str, bool]:
    return {}


def written_drug_lines(ctx: EditContext) -> dict[str, list[ClaimLine]]:
    """The written lines of each chart drug: its own code first, then other immune globulin codes."""
    return ctx.once("written_drug_lines", _match_drug_lines)


def _match_drug_lines(ctx: EditContext) -> dict[str, list[ClaimLine]]:
    if ctx.written is None:
        return {}
    facts = ctx.coding.drugs
    out: dict[str, list[ClaimLine]] = {d: [] for d in facts}
    taken: set[int] = set()
    by_code: dict[str, list[str]] = {}
    for did, f in facts.items():
        if f.code is not None:
            by_code.setdefault(f.code.upper(), []).append(did)
    written = list(zip(ctx.written.lines, ctx.written_codes, strict=True))
    written_codes = ctx.written_code_set
    for code, dids in by_code.items():
        if code not in written_codes:
            continue
        lines = [ln for ln, c in written if c == code]
        if len(dids) == 1:  # one drug of the code (nearly always): all its lines
            out[dids[0]] += lines
            taken.update([id(ln) for ln in lines])
            continue
        for ln, did in zip(lines, _share(ctx, lines, dids), strict=True):
            out[did].append(ln)
            taken.add(id(ln))
    # The lines left: another immune globulin code billed for a drug of the chart (each line is looked at once).
    rest = [(ln, c) for ln, c in written if id(ln) not in taken]
    ig = [did for did, f in facts.items() if f.is_ig] if rest else []
    for ln, c in rest:
        if not ig or not is_drug_code(ctx, c):
            continue
        target = _by_ndc(ctx, ln, ig) or next((d for d in ig if not out[d]), None) or ig[0]
        out[target].append(ln)
        taken.add(id(ln))
    return out


def _share(ctx: EditContext, lines: list[ClaimLine], dids: list[str]) -> list[str]:
    """Which chart drug each written line of one code belongs to, when several drugs of the chart have that
    code (Gamunex-C and Gammaked are both J1561): a line's NDC names its product; then each drug's expected lines,
    given and JW, are met by a written line of the same kind and units, in chart order; a line left over goes to the
    first drug still without a line of its kind, else to the first drug."""
    jw = waste_mod(ctx)
    owner: dict[int, str] = {}
    for i, ln in enumerate(lines):
        hit = _by_ndc(ctx, ln, dids)
        if hit is not None:
            owner[i] = hit
    for did in dids:
        for exp in ctx.coding.drugs[did].lines:
            met = next((j for j, ln in enumerate(lines) if j not in owner and (jw in mods(ln)) == exp.wasted
                        and ln.units == exp.units), None)
            if met is not None:
                owner[met] = did
    for i, ln in enumerate(lines):
        if i not in owner:
            kind = jw in mods(ln)
            owner[i] = next((d for d in dids if not any((jw in mods(lines[j])) == kind
                                                         for j, o in owner.items() if o == d)), dids[0])
    return [owner[i] for i in range(len(lines))]


def _by_ndc(ctx: EditContext, ln: ClaimLine, ig: list[str]) -> str | None:
    if not ln.ndc or not ndc_mod.is_valid(ln.ndc):
        return None
    hit = ctx.rules.package_by_ndc(ndc_mod.compact(ln.ndc))
    if hit is None:
        return None
    return next((d for d in ig if ctx.coding.drugs[d].product == hit[0]), None)


def all_written_drug_lines(ctx: EditContext) -> list[ClaimLine]:
    return [ln for lines in written_drug_lines(ctx).values() for ln in lines]


def denied_drug_lines(ctx: EditContext, dids: list[str]) -> list[Cause]:
    """A cause ("denied-line", "<line>") for each line of these chart drugs on the claim that goes out (their written
    lines on scrub, `written_drug_lines`; their coded lines on build, `drug_line_numbers`), in drug order: a finding
    that denies them with a drug it prices by its units (one code's units) carries their payment as billed
    (`price_findings`)."""
    if ctx.written is not None:
        written = written_drug_lines(ctx)
        return [("denied-line", str(ln.line)) for did in dids for ln in written[did]]
    coded = drug_line_numbers(ctx.coding.drugs)
    return [("denied-line", str(n)) for did in dids for n in coded[did]]


def code_of_drug(f: CodedDrug) -> str:
    """The chart's code for a checkable drug (`_drugs` yields only drugs with a code)."""
    return f.code or ""


def _checkable(f: CodedDrug) -> bool:
    return f.code is not None and f.administered_units is not None and bool(f.lines)


def _split(lines: list[ClaimLine], jw: str) -> tuple[list[ClaimLine], list[ClaimLine]]:
    """The lines without JW and the JW lines, in one pass (each line's modifiers read once)."""
    given: list[ClaimLine] = []
    wasted: list[ClaimLine] = []
    for ln in lines:
        (wasted if jw in mods(ln) else given).append(ln)
    return given, wasted


def _name(f: CodedDrug) -> str:
    return f.product.name if f.product else (f.drug.product or f.code or f.drug.id)


def dose_text(f: CodedDrug) -> str:
    """The documented dose as the chart gives it, with the grams it makes."""
    if f.dose_grams is None:
        return "no dose in grams"
    dose = f.drug.dose
    if dose is not None and dose.ml is not None and f.concentration is not None:
        return f"{dose.ml:g} mL of {f.concentration:g} % = {f.dose_grams:g} g"
    return f"{f.dose_grams:g} g"


def _units_text(f: CodedDrug) -> str:
    if f.dose_grams is None or f.unit_mg is None:
        return f"{f.administered_units} units"
    exact = dose_units_exact(f.dose_grams, f.unit_mg)
    rounded = "" if exact == exact.to_integral_value() else f" ({exact.normalize():f} rounded up)"
    return f"{f.administered_units} units{rounded}"


def _opened(f: CodedDrug) -> str:
    """What was opened: grams and units for immune globulin, units for other drugs."""
    grams = f"{f.opened_grams:g} g = " if f.opened_grams is not None else ""
    return f"{grams}{f.opened_units} units of {f.code}"


def unit_mg_of(ctx: EditContext, code: str) -> int | None:
    """The unit dose (mg a HCPCS unit) of a written immune globulin code, None when the catalog does not give one."""
    rec = ctx.rules.hcpcs(code) or ctx.rules.known_code(code)
    return rec.unit_mg if rec is not None else None


def in_own_units(ctx: EditContext, f: CodedDrug, lines: list[ClaimLine]) -> int:
    """The units `lines` bill, counted in the units of the drug's own code (f.code), so they can be compared with,
    and priced as, the units the chart supports. A line written with another immune globulin code of another unit
    dose (J1561, 500 mg a unit, for Cuvitru's J1555, 100 mg) stands for its units × that code's unit dose: that
    dose is counted in the own code's units, rounded up to a whole unit as a documented dose is (20 × 500 mg =
    100 units of J1555). A line of the own code, of a code with the same unit dose, or of a code whose unit dose is
    not known counts as written."""
    own = f.unit_mg
    counted, mg = 0, 0
    for ln in lines:
        code = code_of(ln)
        size = unit_mg_of(ctx, code) if own and code != f.code else None
        if own is None or size is None or size == own:
            counted += ln.units
        else:
            mg += ln.units * size
    return counted + (-(-mg // own) if mg and own else 0)


def _counted_text(ctx: EditContext, f: CodedDrug, lines: list[ClaimLine], counted: int) -> str:
    """'20 units of J1561 (500 mg a unit) = 100 units of J1555' when the written units stand for another number of
    the own code's units ('' when they do not)."""
    if counted == sum(ln.units for ln in lines):
        return ""
    written = " + ".join(f"{ln.units} units of {c}" + (f" ({size} mg a unit)" if size not in (None, f.unit_mg) else "")
                         for ln in lines for c, size in [(code_of(ln), unit_mg_of(ctx, code_of(ln)))])
    return f"{written} = {counted} units of {f.code}"


def _right_lines_fix(ctx: EditContext, f: CodedDrug, code: str) -> str:
    """The fix of a code billed in place of the product's: when the two codes' unit doses differ, the units change
    with the code, so the fix names the right lines (the chart's), not only the right code."""
    size = unit_mg_of(ctx, code)
    if size is None or f.unit_mg is None or size == f.unit_mg:
        return f"Bill {f.code} instead of {code}."
    right = ", ".join(f"{ln.code}{'-JW' if ln.wasted else ''} × {ln.units}" for ln in f.lines)
    return (f"Bill {f.code} instead of {code}, in {f.code}'s units ({f.unit_mg} mg a unit; {code} is {size} mg): "
            f"{right}.")


class DrugLines(NamedTuple):
    """A checkable drug with its written lines, those lines split into the lines without JW and the JW lines, and
    the codes they bill other than the drug's own (in line order, each once; empty on nearly every claim)."""

    f: CodedDrug
    lines: list[ClaimLine]
    given: list[ClaimLine]
    wasted: list[ClaimLine]
    others: tuple[str, ...]


def _drugs(ctx: EditContext) -> list[DrugLines]:
    """The checkable drugs with their written lines: read by every drug check, so listed (and split) once per
    claim."""
    return ctx.once("drug.checkable", _checkable_drugs)


def _checkable_drugs(ctx: EditContext) -> list[DrugLines]:
    if ctx.written is None:
        return []
    by_drug = written_drug_lines(ctx)
    jw = waste_mod(ctx)
    any_jw = jw in ctx.written_modifiers()  # else no line is a JW line: nothing to split
    out = []
    for did, f in ctx.coding.drugs.items():
        lines = by_drug[did]
        if not lines or not _checkable(f):
            continue
        given, wasted = _split(lines, jw) if any_jw else (list(lines), [])
        others = tuple(c for c in dict.fromkeys([code_of(ln) for ln in lines]) if c != f.code)
        out.append(DrugLines(f, lines, given, wasted, others))
    return out


# --- codes ---------------------------------------------------------------------------------------------------


@edit(
    "DRUG-NOS-CODE",
    severity="error",
    statement="J1566/J1599 (not otherwise specified) billed for a product that has its own code",
    fix="Bill the product's own HCPCS code; NOS codes are only for products CMS has not coded yet.",
    source=HCPCS_FILES,
    phase="claim",
    supersedes=("DRUG-NDC-MISMATCH",),  # the NDC crosswalks to the product's code: only the code is wrong
)
def nos_code(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    for f, lines, _, _, others in _drugs(ctx):
        for code in others:  # not the product's own code (nearly every line bills it): nothing else to look up
            rec = ctx.rules.hcpcs(code) or ctx.rules.known_code(code)
            if rec and rec.kind == "ig_nos" and f.hcpcs and f.hcpcs.kind == "ig":
                nos = [ln for ln in lines if code_of(ln) == code]
                # Denied while a specific code exists (the MACs' NOC articles): the units it stands for are at
                # stake, priced at the product's own code (its cause names the drug: coding/payment.py).
                found.append(finding("DRUG-NOS-CODE", f"{code} (not otherwise specified) billed for {_name(f)}, "
                                     f"which has its own code {f.code} on {ctx.dos}.", line=nos[0].line,
                                     impact_units=-in_own_units(ctx, f, nos),
                                     fix=_right_lines_fix(ctx, f, code),
                                     cause=[("code", code_of_drug(f)), ("drug", f.path)]))
    return found


@edit(
    "DRUG-CODE-MISMATCH",
    severity="error",
    statement="the billed J-code is not the product's (or the NDC's) code",
    fix="Bill the product's HCPCS code for the date of service.",
    source=HCPCS_FILES,
    phase="claim",
    supersedes=("DRUG-NDC-MISMATCH",),  # the NDC crosswalks to the product's code: only the code is wrong
)
def code_mismatch(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    for f, lines, _, _, others in _drugs(ctx):
        for code in others:
            rec = ctx.rules.hcpcs(code)
            known = rec or ctx.rules.known_code(code)
            if known and known.kind == "ig_nos" and f.hcpcs and f.hcpcs.kind == "ig":
                continue  # DRUG-NOS-CODE
            line = next(ln for ln in lines if code_of(ln) == code)
            what = f"{code} ({known.descriptor})" if known else code
            dated = "" if rec else f"; {code} is not valid on {ctx.dos}"
            found.append(finding("DRUG-CODE-MISMATCH", f"{what} billed for {_name(f)}; its code on {ctx.dos} is "
                                 f"{f.code}{dated}.", line=line.line, fix=_right_lines_fix(ctx, f, code),
                                 cause=("code", code_of_drug(f))))
    return found


# --- units ---------------------------------------------------------------------------------------------------


@edit(
    "DRUG-UNITS",
    severity="error",
    statement="billed units differ from the documented dose divided by the code's unit dose (rounded up)",
    fix="Bill the dose divided by the code's unit dose, rounded up to a whole unit (discarded units on a JW line).",
    source=HCPCS_FILES,
    phase="claim",
)
def drug_units(ctx: EditContext) -> list[Finding]:
    """The units at stake are the chart code's (f.code): written units of another code are first counted in them
    (`in_own_units`), and the finding is priced at f.code (its cause names the drug: coding/payment.py). Another
    code billed for the right dose (J1561 × 20 for 10 g of Cuvitru, J1555 × 100) is a code mistake only:
    DRUG-CODE-MISMATCH names the right lines."""
    found: list[Finding] = []
    for f, lines, given, wasted, _ in _drugs(ctx):
        if f.waste.dispensed:  # every unit dispensed is billed: a JW line's too (DRUG-JW-NOT-ALLOWED names it)
            given = [*given, *wasted]
        billed = sum(ln.units for ln in given)
        expected = f.administered_units
        if expected is None:
            continue
        if billed == expected:
            continue
        counted = in_own_units(ctx, f, given)
        if counted == expected:
            continue  # the right dose in another code's units: DRUG-CODE-MISMATCH / DRUG-NOS-CODE
        line = (given or lines)[0]
        written = code_of(line)
        of = f" units of {written}" if written != f.code else ""
        if counted != billed:  # another code's units: what they stand for in f.code's
            one = len({code_of(ln) for ln in given}) == 1
            of += (f" ({unit_mg_of(ctx, written)} mg a unit = {counted} units of {f.code})" if one
                   else f" ({_counted_text(ctx, f, given, counted)})")
        if f.is_ig and f.dose_grams is not None:
            msg = f"billed {billed}{of}, documented {dose_text(f)} of {f.code} = {_units_text(f)}"
        else:
            msg = f"billed {billed}{of}, documented {expected} units of {f.code}"
        found.append(finding("DRUG-UNITS", f"Line {line.line}: {msg}.", line=line.line, impact_units=expected - counted,
                             fix=f"Bill {f.code} × {expected}.", cause=("units", f.path)))
    return found


@edit(
    "DRUG-UNITS-ML",
    severity="error",
    statement="billed units equal the volume in mL or the grams (billing per mL or per gram)",
    fix="Convert mL to grams (mL × concentration), then grams to HCPCS units (grams ÷ the code's unit dose).",
    source=HCPCS_FILES,
    phase="claim",
    supersedes=("DRUG-UNITS",),  # one mistake: it names why the units are wrong, with the same units at stake
)
def units_by_volume(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    for f, _, given, _, _ in _drugs(ctx):
        billed = sum(ln.units for ln in given)
        if not f.is_ig or not given or billed == f.administered_units or f.dose_grams is None:
            continue
        per = None
        if f.dose_ml is not None and billed == f.dose_ml:
            per = f"the volume ({f.dose_ml:g} mL)"
        elif billed == f.dose_grams:
            per = f"the grams ({f.dose_grams:g} g)"
        counted = in_own_units(ctx, f, given) if per else billed
        if per and f.administered_units is not None and counted != f.administered_units:
            counted_text = _counted_text(ctx, f, given, counted)
            found.append(finding("DRUG-UNITS-ML", f"Line {given[0].line}: billed {billed} units = {per}; "
                                 f"{counted_text + '; ' if counted_text else ''}"
                                 f"{dose_text(f)} of {f.code} ({f.unit_mg} mg a unit) = {_units_text(f)}.",
                                 line=given[0].line, impact_units=f.administered_units - counted,
                                 fix=f"Bill {f.code} × {f.administered_units} (grams ÷ the code's unit dose, not mL "
                                 "or g).",
                                 cause=("units", f.path)))
    return found


# --- waste modifiers -----------------------------------------------------------------------------------------


@edit(
    "DRUG-JW-MISSING",
    severity="error",
    statement="a discarded amount is documented (or implied by the containers) and no JW line is billed",
    fix="Add a second line with the same code, modifier JW and the discarded units.",
    source=DISCARDED_DRUGS,
    phase="claim",
    when=When(params=("jw_required",)),
)
def jw_missing(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if not ctx.rules.param("jw_required"):
        return found
    for f, lines, _, wasted, _ in _drugs(ctx):
        if wasted or not any(ln.wasted for ln in f.lines):  # a JW line written, or none expected
            continue
        found.append(finding("DRUG-JW-MISSING", f"{f.path}: opened {_opened(f)}, "
                             f"{f.administered_units} given: {f.discarded_units} units discarded and no JW line.",
                             line=lines[0].line, impact_units=f.discarded_units,
                             fix=f"Add {f.code}-JW × {f.discarded_units}.",
                             cause=("drug", f.path)))  # f.code's units, priced at f.code (coding/payment.py)
    return found


@edit(
    "DRUG-JZ-MISSING",
    severity="error",
    statement="nothing was discarded, the payer requires JZ on the date of service, and JZ is absent",
    fix="Add modifier JZ to the drug line (nothing was discarded).",
    source=JZ_RULE,
    phase="claim",
)
def jz_missing(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    drugs = _drugs(ctx)
    if not drugs:
        return found
    jz = zero_waste_mod(ctx)
    jz_written = jz in ctx.written_modifiers()  # else no line carries it
    for f, lines, given, wasted, _ in drugs:
        exp_given = next(ln for ln in f.lines if not ln.wasted)
        if jz in exp_given.modifiers and not (jz_written and any(jz in mods(ln) for ln in lines)):
            line = (given or lines)[0]
            # a JW line (DRUG-JW-NOT-ALLOWED's) satisfies the payer's edit
            held = None if wasted else returned_without_jz(ctx)
            found.append(finding("DRUG-JZ-MISSING", f"Line {line.line}: nothing of {_name(f)} was discarded and "
                                 f"{ctx.profile.title} requires JZ on {ctx.dos}{held or ''}.", line=line.line,
                                 impact_units=-sum(ln.units for ln in lines) if held else None))
    return found


def returned_without_jz(ctx: EditContext, rules: Rules | None = None) -> str | None:
    """Where the payer returns a line with neither JZ nor JW as unprocessable on the date (`jz_jw_missing_returned`:
    Medicare from 2023-10-01), the words that say so; its payment is then at stake until the claim is corrected.
    `rules`: the snapshot of the line's own date (default: the claim's)."""
    if not (rules or ctx.rules).param("jz_jw_missing_returned"):
        return None
    since = ctx.profile.parameters["jz_jw_missing_returned"].since(True)
    return f"; {ctx.profile.title} returns a claim without it as unprocessable (from {since})"


# --- 340B-acquired drugs (JG/TB) ---------------------------------------------------------------------------------

OPPS_2025 = "https://www.govinfo.gov/content/pkg/FR-2024-11-27/pdf/2024-25521.pdf"


def _modifiers_340b(ctx: EditContext) -> frozenset[str]:
    """Every 340B modifier the payer profile accepts on any date (JG, TB): none for a profile that asks none. Read
    once per span of the snapshot, not per claim."""
    return ctx.rules.once_alike(("drug.340b_modifiers",), _profile_340b)


def _profile_340b(rules: Rules) -> frozenset[str]:
    param = rules.profile.parameters.get("acquired_340b_modifiers")
    return frozenset(m for _, codes in param.values for m in codes) if param else frozenset()


@edit(
    "DRUG-340B-MISSING",
    severity="error",
    statement="the chart says a drug was bought through 340B, the payer asks a 340B modifier on its separately "
    "payable lines in this setting on the date of service, and a line of the drug has none the date accepts",
    fix="Add the 340B modifier to every line of the drug, its JW line too (Medicare: TB from 2025-01-01).",
    source=OPPS_2025,
    phase="claim",
)
def missing_340b(ctx: EditContext) -> list[Finding]:
    """Medicare Part B: OPPS hospitals from 2018-01-01, every covered entity from 2024-01-01, TB for all from
    2025-01-01 (profile `acquired_340b_settings`/`acquired_340b_modifiers`). A JG the date no longer asks but still
    accepts as a modifier (2025, as read here) is a warning: the transition is not certain."""
    found: list[Finding] = []
    if not any(d.acquired_340b for d in ctx.encounter.drugs):  # most claims: no drug bought through 340B
        return found
    all_340b = _modifiers_340b(ctx)
    listed = list(ctx.rules.param("acquired_340b_modifiers") or ())
    accepted, either = set(listed), " or ".join(listed)  # JG or TB to 2024: by the hospital's type
    for f, lines, _, _, _ in _drugs(ctx):
        want = next((m for m in f.lines[0].modifiers if m in all_340b), None)  # the coded line: None, not asked
        if want is None:
            continue
        for ln in lines:
            written = mods(ln) & all_340b
            if written & accepted:
                continue
            old = sorted(m for m in written if ctx.rules.modifier_valid(m))
            if old:
                found.append(finding("DRUG-340B-MISSING", f"Line {ln.line}: {_name(f)} was bought through 340B "
                                     f"and carries {', '.join(old)}; {ctx.profile.title} asks {want} of every "
                                     f"covered entity on {ctx.dos} ({old[0]} is still a valid modifier on the date: "
                                     "whether it is still accepted is not certain).", line=ln.line,
                                     severity="warning", fix=f"Replace {', '.join(old)} with {want} on line "
                                     f"{ln.line}."))
                continue
            ended = f" ({', '.join(sorted(written))} is not valid on {ctx.dos})" if written else ""
            found.append(finding("DRUG-340B-MISSING", f"Line {ln.line}: {_name(f)} was bought through 340B "
                                 f"({f.path}.acquired_340b) and {ctx.profile.title} asks {either} "
                                 f"on its lines on {ctx.dos}{ended}.", line=ln.line,
                                 fix=f"Add {either} to line {ln.line}."))
    return found


@edit(
    "DRUG-340B-NOT-IN-CHART",
    severity="warning",
    statement="a drug line carries a 340B modifier (JG, TB) while the chart does not say the drug was bought "
    "through 340B",
    fix="Remove the 340B modifier, or record in the chart that the drug was bought through 340B "
    "(drugs[].acquired_340b).",
    source=OPPS_2025,
    phase="claim",
)
def not_in_chart_340b(ctx: EditContext) -> list[Finding]:
    """A warning: the chart may only have left the purchase out (igclaim cannot see the pharmacy's 340B records)."""
    found: list[Finding] = []
    all_340b = _modifiers_340b(ctx)
    if not all_340b or ctx.written_modifiers().isdisjoint(all_340b):
        return found
    for f, lines, _, _, _ in _drugs(ctx):
        if f.drug.acquired_340b:
            continue
        for ln in lines:
            written = sorted(mods(ln) & all_340b)
            if written:
                found.append(finding("DRUG-340B-NOT-IN-CHART", f"Line {ln.line}: {', '.join(written)} says "
                                     f"{_name(f)} was bought through 340B; the chart does not say so "
                                     f"({f.path}.acquired_340b).", line=ln.line))
    return found


@edit(
    "DRUG-JW-JZ-CONFLICT",
    severity="error",
    statement="JW and JZ both billed for one drug, or JZ billed while a discard is documented",
    fix="Use JW (on a separate line for the discarded units) or JZ (nothing discarded), never both.",
    source=DISCARDED_DRUGS,
    phase="claim",
)
def jw_jz_conflict(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    jz_mod = zero_waste_mod(ctx)
    drugs = _drugs(ctx)
    if not drugs or jz_mod not in ctx.written_modifiers():
        return found  # no line carries JZ
    for f, lines, _, wasted, _ in drugs:
        jz = [ln for ln in lines if jz_mod in mods(ln)]
        if not jz:
            continue
        if wasted:
            found.append(finding("DRUG-JW-JZ-CONFLICT", f"Line {jz[0].line}: JZ (nothing discarded) and a JW line "
                                 f"(discarded) billed for {_name(f)}.", line=jz[0].line))
        elif f.discarded_units > 0:
            found.append(finding("DRUG-JW-JZ-CONFLICT", f"Line {jz[0].line}: JZ says nothing was discarded, but "
                                 f"{_opened(f)} were opened and {f.administered_units} given: {f.discarded_units} "
                                 "units discarded.", line=jz[0].line,
                                 fix="Remove JZ and bill the discard on a JW line "
                                 f"({f.code}-JW × {f.discarded_units})."))
    return found


@edit(
    "DRUG-JW-NOT-ALLOWED",
    severity="error",
    statement="JW on a multi-dose container, or on a container shared between patients, or where the billed "
    "units already cover the discard",
    fix="Remove the JW line; bill the administered units (with JZ where required).",
    source="https://med.noridianmedicare.com/web/jddme/topics/modifiers/jz",
    phase="claim",
)
def jw_not_allowed(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    for f, _, _, jw, _ in _drugs(ctx):
        if not jw or f.discarded_units > 0:
            continue
        d = f.drug
        if f.waste.dispensed:
            found.append(_jw_on_dispensed(ctx, f, jw))
            continue
        if d.container_type == "multi_dose":
            why = "the container is multi-dose"
        elif d.shared_with_other_patient:
            why = "the container was shared with another patient (the remainder was not discarded)"
        elif f.opened_grams is not None and f.dose_grams is not None and f.opened_grams > f.dose_grams:
            why = (f"the {f.administered_units} units billed for {f.dose_grams:g} g (rounded up) already cover the "
                   f"{f.opened_grams:g} g opened")
        else:
            why = "nothing was discarded"
        found.append(finding("DRUG-JW-NOT-ALLOWED", f"Line {jw[0].line}: JW × {jw[0].units} for {_name(f)}, but {why}.",
                             line=jw[0].line, impact_units=-sum(ln.units for ln in jw)))
    return found


def _jw_on_dispensed(ctx: EditContext, f: CodedDrug, jw: list[ClaimLine]) -> Finding:
    """A JW line on a drug the supplier dispensed for the patient to give (coding/drug.py `_dispensed`): what the
    patient leaves is billed on the drug's line. From 2025-01-01 a JW line is right for what the supplier itself
    discarded while preparing the drug (`supplier_preparation_jw_required`), which the chart does not show: then a
    warning, not an error."""
    prepared = bool(ctx.rules.param("supplier_preparation_jw_required"))
    return finding(
        "DRUG-JW-NOT-ALLOWED",
        f"Line {jw[0].line}: JW × {sum(ln.units for ln in jw)} for {_name(f)}, which the supplier dispensed for the "
        "patient to give: what the patient leaves is billed on the drug's line, not as a discard"
        + (" (a JW line is only for what the supplier discarded while preparing it)." if prepared else "."),
        line=jw[0].line, severity="warning" if prepared else None,
        fix=f"Bill {f.code} × {f.administered_units} on one line"
        + (" unless the supplier discarded part of it while preparing it." if prepared else "."))


@edit(
    "DRUG-WASTE-MISMATCH",
    severity="error",
    statement="administered plus discarded units do not add up to what was opened",
    fix="Bill the administered units and, on the JW line, the labeled units opened minus the administered units.",
    source=DISCARDED_DRUGS,
    phase="claim",
)
def waste_mismatch(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    for f, _, given, jw, _ in _drugs(ctx):
        if not jw or f.discarded_units <= 0:
            continue
        billed, wasted = sum(ln.units for ln in given), sum(ln.units for ln in jw)
        if wasted == f.discarded_units or (counted := in_own_units(ctx, f, jw)) == f.discarded_units:
            continue  # the JW units are right (in the code written): wrong given units are DRUG-UNITS's mistake alone
        found.append(finding("DRUG-WASTE-MISMATCH", f"Line {jw[0].line}: billed {billed} + {wasted} JW = "
                             f"{billed + wasted} units; opened {_opened(f)}: "
                             f"{f.administered_units} given + {f.discarded_units} discarded.", line=jw[0].line,
                             impact_units=f.discarded_units - counted,
                             fix=f"Bill {f.code}-JW × {f.discarded_units}.",
                             cause=("drug", f.path)))  # f.code's units, priced at f.code (coding/payment.py)
    return found


# --- route modifier and NDC ----------------------------------------------------------------------------------


@edit(
    "DRUG-ROUTE-MODIFIER",
    severity="error",
    # {home_pump_code}, {route_sc_modifier}: refdata/cms/settings.toml [home], modifiers.toml
    statement="a code used for both IV and SC lacks the JA/JB route modifier where the payer requires it, or the "
    "pump line ({home_pump_code}) of a Medicare home SCIG claim lacks {route_sc_modifier}",
    fix="Add JA (intravenous) or JB (subcutaneous) to the drug lines, and {route_sc_modifier} to a Medicare home "
    "SCIG claim's pump line.",
    source=FIRST_COAST_A57778,
    phase="claim",
)
def route_modifier(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = pump_route(ctx, written_pump_lines(ctx)) if home_scig(ctx) else []
    # The route modifiers only: a Medicare home pump line's KX has its own check (PAYER-KX-MODIFIER), and GA/GZ
    # rightly take its place when a denial is expected.
    route = (ctx.rules.modifier_for("route_IV"), ctx.rules.modifier_for("route_SC"))
    for f, lines, _, _, _ in _drugs(ctx):
        exp_given = next(ln for ln in f.lines if not ln.wasted)
        wanted = [m for m in exp_given.modifiers if m in route]
        if not wanted:
            continue
        for ln in lines:
            have = mods(ln)
            missing = [m for m in wanted if m not in have]
            if missing:
                found.append(finding("DRUG-ROUTE-MODIFIER", f"Line {ln.line}: {f.code} given {f.route} needs "
                                     f"{', '.join(missing)} for {ctx.profile.title}.", line=ln.line,
                                     fix=f"Add {', '.join(missing)} to line {ln.line}."))
    return found


def written_pump_lines(ctx: EditContext) -> list[ClaimLine]:
    """The written claim's lines of the home SC infusion pump (settings.toml [home] medicare_dme_sc_pump_code)."""
    if ctx.written is None:
        return []
    pump = ctx.rules.setting("home").get("medicare_dme_sc_pump_code")
    return [ln for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True) if code == pump]


def home_scig(ctx: EditContext) -> bool:
    """A Medicare home (DME MAC) claim of an immune globulin given under the skin: the pump's claim."""
    return ctx.home_dme() and any(f.is_ig and f.route == "SC" for f in ctx.coding.drugs.values())


def pump_route(ctx: EditContext, pump_lines: list[ClaimLine]) -> list[Finding]:
    """DRUG-ROUTE-MODIFIER on a Medicare home SCIG claim's pump lines (the chart's claim, or an 837's alone:
    edits/written.py): each needs JB, as the drug's lines do; the finding cites the DME MACs' pump article
    (settings.toml [home] medicare_dme_source, A52507: the drug and the pump, each with JB)."""
    sc = ctx.rules.modifier_for("route_SC")
    article = ctx.rules.setting("home")["medicare_dme_source"]
    return [sourced(finding("DRUG-ROUTE-MODIFIER", f"Line {ln.line}: {code_of(ln)} (the infusion pump of the SC "
                            f"immune globulin) needs {sc} on a Medicare home (DME MAC) claim, as the drug's lines do.",
                            line=ln.line, fix=f"Add {sc} to line {ln.line}."), article)
            for ln in pump_lines if sc not in mods(ln)]


def ndc_package(ctx: EditContext, ndc: str | None) -> tuple[Product, Package] | None:
    """The catalog's product and package of an NDC as a person wrote it (None: not valid, or not in the catalog)."""
    if not ndc or not ndc_mod.is_valid(ndc):
        return None
    return ctx.rules.package_by_ndc(ndc_mod.compact(ndc))


def ndc_quantity_units(ctx: EditContext, code: str, ndc: str | None, quantity: Decimal | None, unit: str | None,
                       day: date) -> tuple[int, str] | None:
    """The HCPCS units of `code` an NDC quantity (837P CTP04/CTP05) makes, and how: by the CMS crosswalk's billing
    units per package (BILLUNITSPKG) where it lists the NDC and code or an NDC of its size (`package_billing_units`),
    else by the product catalog (package size,
    concentration) and the code's unit dose; rounded up. None when the quantity, NDC or code cannot tell."""
    if quantity is None or quantity <= 0 or not ndc or not ndc_mod.is_valid(ndc):
        return None
    rec = ctx.rules.on(day).hcpcs(code)
    ndc11 = ndc_mod.compact(ndc)
    hit = ctx.rules.package_by_ndc(ndc11)
    product, package = hit if hit else (None, None)
    unit = (unit or "").upper()
    qty = Decimal(quantity)
    # A measured quantity written to the thousandth (CTP04) may be rounded up by half a thousandth: it is read as
    # the least amount it can stand for, so 9.091 mL of a 16.5 % product (1.5 g is 9.0909 mL) makes 15 units, not 16.
    least = qty - _HALF_THOUSANDTH if unit in ("ML", "GR", "ME") and qty > _HALF_THOUSANDTH else qty
    per_package = package_billing_units(ndc11, code, ctx.rules.on(day))
    packages = None
    if unit == "UN":
        packages = qty
    elif unit == "ML" and package is not None and package.ml:
        packages = qty / package.ml
    if per_package and packages is not None:
        return (math.ceil(packages * least / qty * per_package),
                f"{qty:g} {unit} = {packages.quantize(_TEN_THOUSANDTH).normalize():f} package(s) of "
                f"{ndc_mod.format(ndc11)} × {per_package:g} billing units (CMS NDC-HCPCS crosswalk)")
    if rec is None or not rec.unit_mg:
        return None
    grams: Decimal | None = None
    how = ""
    if unit == "ML" and product is not None and product.concentration_percent:
        grams = qty * product.concentration_percent / 100
        how = f"{qty:g} mL of {product.name} ({product.concentration_percent:g} %) = {grams:g} g"
    elif unit == "GR":
        grams, how = qty, f"{qty:g} g"
    elif unit == "ME":
        grams, how = qty / 1000, f"{qty:g} mg"
    elif unit == "UN" and package is not None and product is not None:
        grams = qty * package.grams
        how = f"{qty:g} package(s) of {package.grams:g} g of {product.name} = {grams:g} g"
    if grams is None:
        return None
    return math.ceil(grams * least / qty * 1000 / rec.unit_mg), f"{how}, at {rec.unit_mg} mg a unit"


_HALF_THOUSANDTH, _TEN_THOUSANDTH = Decimal("0.0005"), Decimal("0.0001")


def _ndc_required(ctx: EditContext) -> bool:
    return bool(ctx.rules.param("ndc_required"))


def ndc_line_at_stake(ctx: EditContext, ln: ClaimLine) -> int | None:
    """The units an NDC finding on line `ln` (written on scrub, coded on build) puts at stake: a payer that requires
    the NDC (profile `ndc_required`: Medicaid, commercial plans) does not pay a drug line whose NDC is missing,
    malformed or not one the CMS ASP NDC-HCPCS crosswalk assigns to the billed code, so the line's units (a JW
    line's its own), priced by the line's own code (coding/payment.py: a NOS line by the NOS code, which DRUG-NOS-CODE
    prices at the product's). None where the payer does not require the NDC, or on a line that bills no drug."""
    if not _ndc_required(ctx) or not is_drug_code(ctx, code_of(ln)):
        return None
    return -ln.units


@edit(
    "DRUG-NDC-MISSING",
    severity="error",
    statement="the payer requires an NDC and none is given",
    fix="Report the NDC of the package used (11 digits, 5-4-2) with its quantity on each drug line.",
    source=NDC_XWALK,
    phase="chart",
    when=When(build_only=True, params=("ndc_required",)),
)
def ndc_missing_chart(ctx: EditContext) -> list[Finding]:
    """On build: the chart has no NDC for a payer that requires one (on scrub the written lines are checked)."""
    found: list[Finding] = []
    if ctx.written is not None or not _ndc_required(ctx):
        return found
    for f in ctx.coding.drugs.values():
        # The claim built goes out without the NDC on these lines (no LIN/CTP without the quantity: outputs/x12.py),
        # and the payer denies them: their units are at stake, priced by the drug's code (as DX-NOT-COVERED's on
        # build), on no line since the finding is the chart's drug.
        bare = -sum(ln.units for ln in f.lines if not ln.ndc or ln.ndc_quantity is None)
        if f.lines and not all(ln.ndc for ln in f.lines):
            found.append(finding("DRUG-NDC-MISSING", f"{f.path}: {ctx.profile.title} requires the NDC on drug lines "
                                 f"and the chart gives none for {_name(f)}"
                                 f"{' (or for some of its containers)' if any(ln.ndc for ln in f.lines) else ''}.",
                                 fix="Add the NDC of the package used to the chart (drugs[].ndc or containers[].ndc).",
                                 impact_units=bare, cause=("drug", f.path)))
        elif any(ln.ndc_quantity is None for ln in f.lines):
            found.append(finding("DRUG-NDC-MISSING", f"{f.path}: {ctx.profile.title} requires the NDC quantity with "
                                 f"the NDC, and the chart does not let it be computed for {_name(f)} (the 837 would "
                                 "carry no LIN/CTP).",
                                 fix="Give the containers opened: kits and powders are counted in packages (UN)."
                                 if f.is_ig else f"Give the NDC quantity and its unit of what was given "
                                 f"({f.path}.ndc_quantity and ndc_unit, e.g. 1 and ML).",
                                 impact_units=bare, cause=("drug", f.path)))
    return found


@also_check("DRUG-NDC-MISSING", "claim", when=When(params=("ndc_required",)))
def ndc_missing_written(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if ctx.written is None or not _ndc_required(ctx):
        return found
    for did, lines in written_drug_lines(ctx).items():
        f = ctx.coding.drugs[did]
        for ln in lines:
            if not (ln.ndc or "").strip():
                known = f" (the chart has {ndc_mod.format(f.ndc)})" if f.ndc else ""
                found.append(finding("DRUG-NDC-MISSING", f"Line {ln.line}: {code_of(ln)} has no NDC; "
                                     f"{ctx.profile.title} requires it{known}.", line=ln.line,
                                     impact_units=ndc_line_at_stake(ctx, ln)))
    return found


_NDC_UNITS = get_args(NdcUnit)  # F2, GR, ME, ML, UN: the model's list, named in the edit's texts from here


@edit(
    "DRUG-NDC-QUANTITY-INVALID",
    severity="error",
    statement=f"a drug line's NDC quantity is zero or less, or its unit of measure is not one of the 837's "
    f"({', '.join(_NDC_UNITS)}): the 837 carries the amount given with the NDC (loop 2410, CTP04 and CTP05-1), "
    "and a quantity of nothing bills no drug",
    fix="Report with the NDC the amount given, above zero, in the package's unit of measure (ML for a solution, UN "
    "for a vial or kit of powder).",
    source="https://x12.org/resources/requests-for-interpretation/rfi-2151-cpt04-units-837i-and-837p",
    phase="claim",
)
def ndc_quantity_invalid(ctx: EditContext) -> list[Finding]:
    """Every written line with an NDC, on a chart or alone, whatever the payer: the value written is wrong wherever
    the claim goes. A quantity or unit left out is not told here: a written claim may leave the quantity to the
    system that sends it (DRUG-NDC-MISSING tells a payer that requires the NDC of a line without one)."""
    found: list[Finding] = []
    if ctx.written is None:
        return found
    for ln in ctx.written.lines:
        if not (ln.ndc or "").strip():
            continue
        qty, unit = ln.ndc_quantity, (ln.ndc_unit or "").strip().upper()
        if qty is not None and qty <= 0:
            why = f"an NDC quantity of {qty:g}, which bills no drug"
        elif unit and unit not in _NDC_UNITS:
            why = f"an NDC unit of measure outside the 837's list ({', '.join(_NDC_UNITS)})"
        else:
            continue
        found.append(finding("DRUG-NDC-QUANTITY-INVALID", f"Line {ln.line}: {code_of(ln)} has {why}.", line=ln.line))
    return found


@edit(
    "DRUG-NDC-PER-LINE",
    severity="error",
    statement="the payer requires NDCs, the containers opened carry different NDCs, and the written lines do not "
    "report each of them",
    fix="Bill one line per NDC, each with its own units and NDC quantity (and the discard on that NDC's JW line).",
    source=NDC_XWALK,
    phase="claim",
    when=When(params=("ndc_required",)),
)
def ndc_per_line(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if ctx.written is None or not _ndc_required(ctx):
        return found
    for f, lines, _, _, _ in _drugs(ctx):
        expected = {ln.ndc for ln in f.lines if ln.ndc}
        if len(expected) < 2:
            continue
        written = {ndc_mod.compact(ln.ndc) for ln in lines if ln.ndc and ndc_mod.is_valid(ln.ndc)}
        missing = sorted(expected - written)
        if missing:
            per = ", ".join(f"{ndc_mod.format(n)} × {sum(ln.units for ln in f.lines if ln.ndc == n)}"
                            for n in sorted(expected))
            absent = ", ".join(map(ndc_mod.format, missing))
            found.append(finding("DRUG-NDC-PER-LINE", f"Line {lines[0].line}: {_name(f)} came from containers of "
                                 f"{len(expected)} NDCs and the claim does not report {absent}; {ctx.profile.title} "
                                 f"needs one line per NDC ({per} units).", line=lines[0].line))
    return found


@edit(
    "DRUG-NDC-QUANTITY",
    severity="warning",
    statement="a drug line's NDC quantity (837P CTP04 in the unit of CTP05; the CMS-1500's shaded item 24) stands for "
    "another amount than the chart supports for the line, as when the HCPCS units are copied into it: a payer that "
    "requires the NDC reads its quantity too (state Medicaid programs, for the drug rebates)",
    fix="Report with each NDC the amount the line bills in the package's unit of measure (ML for a solution, UN for "
    "a vial or kit of powder), not the HCPCS units.",
    source="https://www.medicaid.gov/medicaid/prescription-drugs/medicaid-drug-rebate-program/index.html",
    phase="claim",
    when=When(params=("ndc_required",)),
)
def ndc_quantity(ctx: EditContext) -> list[Finding]:
    """The HCPCS units the written NDC quantity makes (`ndc_quantity_units`, rounded up) against those the chart's
    own NDC quantity makes for the same NDC, on the drug's lines and on its JW lines apart. In whole units, so a
    quantity rounded as a person writes it (275 mL for 273) is no difference. A line of another code (a NOS code)
    or an NDC the chart does not give is left to the code and NDC checks; a warning, since payers differ in how
    they read the quantity."""
    found: list[Finding] = []
    if ctx.written is None or not _ndc_required(ctx):
        return found
    for f, _, given, wasted, _ in _drugs(ctx):
        code = f.code
        if code is None:
            continue
        for discarded, written in ((False, given), (True, wasted)):
            groups: dict[str, list[ClaimLine]] = {}
            for ln in written:
                if code_of(ln) == code and ln.ndc and ndc_mod.is_valid(ln.ndc):
                    groups.setdefault(ndc_mod.compact(ln.ndc), []).append(ln)
            for ndc11, lines in groups.items():
                charted = [ln for ln in f.lines if ln.wasted == discarded and ln.ndc == ndc11]
                if not charted or ([(ln.ndc_quantity, (ln.ndc_unit or "").strip().upper()) for ln in lines]
                                   == [(ln.ndc_quantity, ln.ndc_unit) for ln in charted]):
                    continue  # no chart line of this NDC, or the chart's own quantities (most claims)
                said = [ndc_quantity_units(ctx, code, ln.ndc, ln.ndc_quantity, ln.ndc_unit,
                                           ln.service_date or ctx.dos) for ln in lines]
                supported = [ndc_quantity_units(ctx, code, ln.ndc, ln.ndc_quantity, ln.ndc_unit, ctx.dos)
                             for ln in charted]
                if None in said or None in supported:
                    continue  # a quantity that cannot be read: nothing to compare
                got, want = sum(s[0] for s in said if s), sum(s[0] for s in supported if s)
                if got == want:
                    continue
                first = lines[0]
                units = {ln.ndc_unit for ln in charted}
                amount = (f"{sum(ln.ndc_quantity or 0 for ln in charted):g} {units.pop()}" if len(units) == 1
                          else "the chart's NDC quantities")
                how = "; ".join(s[1] for s in said if s)
                what = "discarded (JW)" if discarded else "given"
                found.append(finding(
                    "DRUG-NDC-QUANTITY",
                    f"Line {first.line}: the NDC quantity of {ndc_mod.format(ndc11)} stands for {got} units of {code} "
                    f"({how}); the chart supports {want} units {what}, NDC quantity {amount}. {ctx.profile.title} "
                    "requires the NDC, and a payer that reads its quantity denies or holds a line whose quantity "
                    "does not match.",
                    line=first.line, cause=("drug", f.path),
                    fix=f"Report NDC quantity {amount} on line {first.line}." if len(lines) == 1 else
                    f"Report NDC quantities that add up to {amount} on lines "
                    f"{', '.join(str(ln.line) for ln in lines)}."))
    return found


@edit(
    "DRUG-NDC-FORMAT",
    severity="error",
    statement="the NDC is not a valid 10-digit or 11-digit (5-4-2) NDC",
    fix="Give the NDC as 11 digits (5-4-2, no hyphens) or as a hyphenated 10-digit NDC (4-4-2, 5-3-2, 5-4-1).",
    source=NDC_XWALK,
    phase="claim",
)
def ndc_format(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if ctx.written is None:
        return found
    for ln in ctx.written.lines:
        if ln.ndc and ln.ndc.strip() and not ndc_mod.is_valid(ln.ndc):
            try:
                ndc_mod.validate(ln.ndc)
            except ndc_mod.InvalidNDC as exc:
                found.append(finding("DRUG-NDC-FORMAT", f"Line {ln.line}: {exc}.", line=ln.line,
                                     impact_units=ndc_line_at_stake(ctx, ln)))
    return found
