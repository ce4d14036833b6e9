"""Edits that read the official CMS tables a user imported (`igclaim data import`): MUEs, NCCI PTP pairs, the
ASP NDC-HCPCS crosswalk and the quarterly HCPCS file. No MUE, PTP or HCPCS table ships with igclaim, so these
edits are silent until one is imported for the date of service; the crosswalk also has a bundled snapshot.

Each check reads the claim a person wrote on scrub (lines point at it) and the expected claim on build.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Iterator
from datetime import date
from functools import partial
from typing import cast

from igclaim import ndc as ndc_mod
from igclaim.edits.context import EditContext
from igclaim.edits.drug import ndc_line_at_stake
from igclaim.edits.registry import SPECS, When, also_check, declare, edit, finding
from igclaim.model import ClaimLine, Finding, Severity
from igclaim.refdata.rules import Rules
from igclaim.refdata.store import PtpEdit

MUE_SOURCE = ("https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/"
              "medicare-ncci-medically-unlikely-edits")
PTP_SOURCE = ("https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/"
              "medicare-ncci-procedure-procedure-ptp-edits")
CROSSWALK_SOURCE = "https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files"
HCPCS_SOURCE = "https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update"
# PTP modifier indicator 1: the pair is allowed when an NCCI-associated modifier shows the services were distinct
# (59 and its subsets, flagged `distinct_procedure` in refdata/cms/modifiers.toml; NCCI Policy Manual ch. I §E).
# The HCPCS file lists Level II codes only: a CPT code (Category I, II or III: 96365, 0001F, 0042T) is never in it,
# and a line may have no code (an 837I line billing a revenue code alone); every other code must be in it. [0-9], not
# \d, and no Level II pattern: ^[A-Z]\d{4}$ passed over 'Ｊ1599' as if it were CPT (no code at all, and in no file).
CPT = re.compile(r"^[0-9]{4}[0-9A-Z]$")
DRUG_KINDS = ("ig", "ig_nos", "recognition")

# ADMIN-BUNDLED and ADMIN-INITIAL-DUPLICATE belong to the administration edits: load them first so that the
# table-based checks below join their ids; declare an id here only if that module does not (design.md §5).
with contextlib.suppress(ImportError):  # the module is being written in parallel
    importlib.import_module("igclaim.edits.administration")
for _id, _statement in (
    ("ADMIN-BUNDLED", "a service that is part of the infusion billed on its own (36000, 36410, 96523, preparation)"),
    ("ADMIN-INITIAL-DUPLICATE", "more than one initial administration code without a second access site or separate "
                                "encounter"),
):
    if _id not in SPECS:
        declare(_id, severity="error", statement=_statement, source=PTP_SOURCE, phase="claim",
                fix="Remove the line, or bill it with 59/XE/XP/XS/XU only when the services were truly distinct "
                "and the NCCI pair allows a modifier.")


def _day(ctx: EditContext, ln: ClaimLine) -> date:
    return ln.service_date or ctx.dos


def _mods(ln: ClaimLine) -> set[str]:
    return {m.strip().upper() for m in ln.modifiers}


def _is_drug(ctx: EditContext, code: str) -> bool:
    """A drug line: a code of a drug in the chart, an immune globulin code, or a code with an ASP limit."""
    code = code.strip().upper()
    if ctx.rules.admin(code) is not None:
        return False
    if code in ctx.once("tables.chart_drug_codes", _chart_drug_codes):
        return True
    rec = ctx.rules.hcpcs(code) or ctx.rules.known_code(code)
    return (rec is not None and rec.kind in DRUG_KINDS) or ctx.rules.tables.payment_limit(code, ctx.dos) is not None


def _chart_drug_codes(ctx: EditContext) -> set[str]:
    return {f.code.upper() for f in ctx.coding.drugs.values() if f.code}


def _table_setting(ctx: EditContext, kind: str) -> str:
    """Which NCCI table applies: outpatient hospital for the UB-04, DME supplier for a Medicare home DME claim."""
    if ctx.expected.form == "UB-04":
        return "hospital"
    if kind == "mue" and ctx.home_dme():
        return "dme"
    return "practitioner"


# --- MUE ------------------------------------------------------------------------------------------------------

_MUE_FIX = ("Check the units against the chart. Over a line edit (MAI 1) bill the extra units on another line with "
            "an appropriate modifier; over a date-of-service edit (MAI 2, policy) the units are not payable; "
            "over MAI 3 (clinical) submit the documentation on appeal.")


@edit("DRUG-MUE", severity="error", statement="units exceed the Medically Unlikely Edit for the code and date",
      fix=_MUE_FIX, source=MUE_SOURCE, phase="chart", when=When(tables=("mue",)))
def drug_mue(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    found.extend(_mue(ctx, "DRUG-MUE", drugs=True))
    return found


@edit("ADMIN-MUE", severity="error",
      statement="units of an administration or service code exceed its Medically Unlikely Edit for the date",
      fix=_MUE_FIX, source=MUE_SOURCE, phase="chart", when=When(tables=("mue",)))
def admin_mue(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    found.extend(_mue(ctx, "ADMIN-MUE", drugs=False))
    return found


def _mue(ctx: EditContext, edit_id: str, drugs: bool) -> Iterator[Finding]:
    """MAI 1 compares each line with the MUE, and a line over it is denied whole; MAI 2 and 3 add up every line of
    the code on the date of service (JW lines included), and over the MUE all of those units are denied, so every
    line's units are at risk, not the first line's alone (refdata/cms/ncci.toml cites the CMS FAQ)."""
    setting = _table_setting(ctx, "mue")
    groups: dict[tuple[str, date], list[ClaimLine]] = {}
    for ln in ctx.billed.lines:
        if _is_drug(ctx, ln.code) == drugs:
            groups.setdefault((ln.code.strip().upper(), _day(ctx, ln)), []).append(ln)
    for (code, day), lines in groups.items():
        mue = ctx.rules.tables.mue(code, day, setting)
        if mue is None:
            continue
        where = f"{setting} MUE {mue.units} for {code} ({mue.mai_text}; {mue.source.file})"
        mai = ctx.rules.mue_indicator(mue.mai)  # refdata/cms/ncci.toml: a line or a date edit, and how severe
        severity = cast(Severity, mai.severity)
        if mai.basis == "line":
            for ln in lines:
                if ln.units > mue.units:
                    yield finding(edit_id, f"Line {ln.line}: {code} × {ln.units} exceeds the {where}.", line=ln.line,
                                  severity=severity, impact_units=-ln.units)
            continue
        total = sum(ln.units for ln in lines)
        if total > mue.units:
            numbers = ", ".join(str(ln.line) for ln in lines)
            yield finding(edit_id, f"Lines {numbers}: {code} × {total} on {day} exceeds the {where}.",
                          line=lines[0].line, severity=severity, impact_units=-total)


# --- NCCI PTP -------------------------------------------------------------------------------------------------

@also_check("ADMIN-BUNDLED", "chart", when=When(tables=("ptp",)))
def ptp_bundled(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    found.extend(_ptp(ctx, "ADMIN-BUNDLED", initial_pair=False))
    return found


@also_check("ADMIN-INITIAL-DUPLICATE", "chart", when=When(tables=("ptp",)))
def ptp_initial(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    found.extend(_ptp(ctx, "ADMIN-INITIAL-DUPLICATE", initial_pair=True))
    return found


def _initial(ctx: EditContext, code: str) -> bool:
    rec = ctx.rules.admin(code)
    return rec is not None and rec.role == "initial"


def _billed_by_day(ctx: EditContext) -> tuple[list[tuple[ClaimLine, str, date]], dict[date, dict[str, list[int]]]]:
    """The billed lines normalised once per claim (code, date of service), and their positions by date and code."""
    def compute(c: EditContext) -> tuple[list[tuple[ClaimLine, str, date]], dict[date, dict[str, list[int]]]]:
        lines = [(ln, ln.code.strip().upper(), _day(c, ln)) for ln in c.billed.lines]
        index: dict[date, dict[str, list[int]]] = {}
        for i, (_, code, day) in enumerate(lines):
            index.setdefault(day, {}).setdefault(code, []).append(i)
        return lines, index

    return ctx.once("tables.billed_by_day", compute)


def _column2(ctx: EditContext, column1: str, day: date, setting: str) -> dict[str, PtpEdit]:
    """The PTP edits of a column-1 code on a date, read once per claim (both PTP checks use them)."""
    def compute(c: EditContext) -> dict[str, PtpEdit]:
        return c.rules.tables.ptp_column2(column1, day, setting)

    return ctx.once(f"tables.ptp:{column1}:{day}:{setting}", compute)


def _ptp(ctx: EditContext, edit_id: str, initial_pair: bool) -> Iterator[Finding]:
    """A column-2 code billed with its column-1 code on the same date is not paid, unless the pair's modifier
    indicator is 1 and 59/XE/XP/XS/XU is on either line; indicator 0 allows no modifier (NCCI PTP edits).

    Pairs are looked up by key: each line's column-2 codes in force against the codes billed on its date."""
    setting = _table_setting(ctx, "ptp")
    lines, index = _billed_by_day(ctx)
    for i, (col1, c1, day) in enumerate(lines):
        pairs = _column2(ctx, c1, day, setting)
        if not pairs:
            continue
        present = index[day]
        if len(pairs) < len(present):
            found = [j for c2 in pairs for j in present.get(c2, ())]
        else:
            found = [j for c2, at in present.items() if c2 in pairs for j in at]
        for j in sorted(found):
            col2, c2, _ = lines[j]
            if j == i or (_initial(ctx, c1) and _initial(ctx, c2)) != initial_pair:
                continue
            pair = pairs[c2]
            meaning = ctx.rules.catalog.ptp_indicator(pair.modifier)  # refdata/cms/ncci.toml
            if meaning.modifier_allowed and (_mods(col1) | _mods(col2)) & ctx.rules.distinct_modifiers:
                continue
            rule = meaning.rule.format(distinct="/".join(sorted(ctx.rules.distinct_modifiers)))
            yield finding(edit_id, f"Line {col2.line}: {c2} is column 2 to {c1} (line {col1.line}) in the NCCI "
                          f"{setting} PTP edits ({pair.rationale or 'no rationale given'}; {pair.source.file}): "
                          f"{rule}.", line=col2.line, impact_units=-col2.units)


# --- NDC-HCPCS crosswalk ---------------------------------------------------------------------------------------

@edit("DRUG-NDC-MISMATCH", severity="error", statement="the NDC does not crosswalk to the billed J-code",
      fix="Bill the NDC of the package actually used with the HCPCS code CMS assigns to it (ASP NDC-HCPCS crosswalk).",
      source=CROSSWALK_SOURCE, phase="chart")
def ndc_mismatch(ctx: EditContext) -> list[Finding]:
    """The NDC's codes: the ASP crosswalk for the date (imported, else the bundled quarter) and the product
    catalog's code for that package. An NDC known to neither is left alone (the crosswalk is not exhaustive)."""
    found = []
    rules = ctx.rules
    setting = ctx.encounter.setting
    for ln in ctx.billed.lines:
        ndc = ln.ndc
        if not ndc:
            continue
        day = ln.service_date or ctx.dos
        said: tuple[str | None, dict[str, str]] | None
        if day == ctx.dos:  # the date read only through the crosswalk and catalog in force: one answer per span
            said = rules.alike.get(("tables.ndc-codes", ndc, setting))
            if said is None:
                said = rules.once_alike(("tables.ndc-codes", ndc, setting),
                                        partial(_ndc_codes_of, ndc=ndc, day=day, setting=setting))
        else:
            key = ("tables.ndc-codes", ndc, day, setting)
            said = rules.memo.get(key)
            if said is None:
                said = rules.once(key, partial(_ndc_codes_of, ndc=ndc, day=day, setting=setting))
        ndc11, known = said
        if not known:
            continue
        code = ln.code.strip().upper()
        if ndc11 is not None and code not in known:
            where = "; ".join(f"{c} per {src}" for c, src in sorted(known.items()))
            # The cause is the code the NDC calls for: when that is the product's own code, DRUG-CODE-MISMATCH or
            # DRUG-NOS-CODE on the line says the same mistake and supersedes this finding.
            # A payer that requires the NDC denies the line: its units at stake (`ndc_line_at_stake`).
            found.append(finding("DRUG-NDC-MISMATCH", f"Line {ln.line}: NDC {ndc_mod.format(ndc11)} is billed with "
                                 f"{code}, but it crosswalks to {where}.", line=ln.line,
                                 impact_units=ndc_line_at_stake(ctx, ln),
                                 cause=("code", next(iter(known))) if len(known) == 1 else None))
    return found


def _ndc_codes_of(rules: Rules, *, ndc: str, day: date, setting: str) -> tuple[str | None, dict[str, str]]:
    """A line's NDC as written, in its 11-digit form (None: not a valid NDC), with the codes it calls for on the
    date in the claim's setting: facts of the snapshot, the NDC and the setting, so remembered per snapshot by the
    NDC as written, the date and the setting."""
    ndc11 = _ndc11(ndc)
    return ndc11, {} if ndc11 is None else _ndc_codes(rules, ndc11=ndc11, day=day, setting=setting)


def _ndc11(ndc: str) -> str | None:
    """The line's NDC in its 11-digit form (None: not a valid NDC; DRUG-NDC-FORMAT says so), worked out once."""
    try:
        return ndc_mod.compact(ndc)
    except ndc_mod.InvalidNDC:
        return None


def _ndc_codes(rules: Rules, *, ndc11: str, day: date, setting: str) -> dict[str, str]:
    """The codes an NDC calls for on a date in a setting, each with where it says so: a fact of the snapshot, so
    remembered."""
    known: dict[str, str] = {}
    crosswalk = rules.tables.crosswalk_codes(ndc11, day)
    if crosswalk is not None:
        known.update({c: crosswalk[1].file for c in crosswalk[0]})
    hit = rules.package_by_ndc(ndc11)
    if hit is not None:
        product = hit[0]
        # In the claim's setting: a pass-through C-code (C9072) is the product's own code only in the settings it
        # names; elsewhere the NDC calls for the NOS code.
        own = product.own_code(day, setting) or rules.on(day).product_nos_code(product)
        if own:
            known.setdefault(own, f"product catalog ({product.name})")
    return known


# --- HCPCS validity -------------------------------------------------------------------------------------------

_VALIDITY_FIX = "Bill the code in force on the date of service (CMS quarterly HCPCS file); a terminated code is denied."


@edit("DRUG-CODE-INVALID", severity="error",
      statement="the drug's HCPCS code is not valid on the date of service in the imported HCPCS file",
      fix=_VALIDITY_FIX, source=HCPCS_SOURCE, phase="chart", when=When(tables=("hcpcs",)))
def drug_code_invalid(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    found.extend(_validity(ctx, "DRUG-CODE-INVALID", drugs=True))
    return found


@edit("ADMIN-CODE-INVALID", severity="error",
      statement="a service's HCPCS Level II code is not valid on the date of service in the imported HCPCS file",
      fix=_VALIDITY_FIX, source=HCPCS_SOURCE, phase="chart", when=When(tables=("hcpcs",)))
def admin_code_invalid(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    found.extend(_validity(ctx, "ADMIN-CODE-INVALID", drugs=False))
    return found


def _validity(ctx: EditContext, edit_id: str, drugs: bool) -> Iterator[Finding]:
    """Valid from the code's added date through its termination date (HCPCS record layout, TERM DT = the last
    date a code may be used). Absence counts for every code but a CPT code (CPT), which the HCPCS file never lists."""
    for ln in ctx.billed.lines:
        code = ln.code.strip().upper()
        if _is_drug(ctx, code) != drugs:
            continue
        day = _day(ctx, ln)
        status = ctx.rules.tables.hcpcs_status(code, day)
        if status is None:
            continue
        rec, src = status
        if rec is None:
            if code and not CPT.match(code):
                yield finding(edit_id, f"Line {ln.line}: {code} is not in the HCPCS file in force on {day} "
                              f"({src.file}).", line=ln.line, impact_units=-ln.units)
        elif not rec.valid_on(day):
            why = (f"terminated {rec.terminated}" if rec.terminated and day > rec.terminated
                   else f"added {rec.added}")
            yield finding(edit_id, f"Line {ln.line}: {code} is not valid on {day}: {why} ({src.file}).",
                          line=ln.line, impact_units=-ln.units)
