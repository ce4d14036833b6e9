"""Diagnosis edits: present, valid on the date of service (refdata/icd10.py), covered for the product under the
payer profile's coverage policy (refdata/coverage.py), and never a code that is not a reason for immune globulin.

Chart checks read the chart's diagnoses; on scrub, a written claim that lists other diagnoses is checked too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from igclaim.coding.drug import FDA_IMMUNE_GLOBULINS
from igclaim.edits.context import EditContext, code_of
from igclaim.edits.registry import Cause, also_check, edit, finding
from igclaim.errors import InputError
from igclaim.model import ClaimLine, Finding, Severity
from igclaim.refdata import icd10
from igclaim.refdata.coverage import Policy, PolicyError, liability_modifiers, not_a_reason, policy
from igclaim.refdata.mac import BUNDLED_POLICY, MCD_ARTICLE, Status
from igclaim.refdata.resolver import LabelIndication, Product

if TYPE_CHECKING:
    from igclaim.coding.drug import CodedDrug
    from igclaim.refdata.rules import Rules

ICD10_FILES = "https://www.cms.gov/medicare/coding-billing/icd-10-codes"
# The ICD-10-CM Official Guidelines for Coding and Reporting (Section IV: outpatient services) are published with
# the code set's files on this page.
ICD10_GUIDELINES = ICD10_FILES
MCD = "https://www.cms.gov/medicare-coverage-database/"
# A drug not reasonable and necessary: "CGS will deny coverage for both the drug and its administration" (CGS,
# Drug Administration Reminder, 2021-03): DX-NOT-COVERED's money at stake counts the administration lines.
CGS_DRUG_ADMINISTRATION = "https://www.cgsmedicare.com/partb/pubs/news/2021/03/cope20933.html"


def chart_dx(ctx: EditContext) -> list[str]:
    """The chart's diagnoses (as the expected claim lists them); read, never changed, by the checks."""
    return ctx.expected.diagnoses


def written_dx(ctx: EditContext) -> list[str] | None:
    """The written claim's diagnoses when it lists its own and they differ from the chart's (else None): read by
    most diagnosis checks on scrub, so formatted once per claim."""
    if ctx.written is None or not ctx.written.diagnoses:
        return None
    return ctx.once("diagnosis.written_dx", _written_dx)


def _written_dx(ctx: EditContext) -> list[str] | None:
    if ctx.written is None:
        return None
    dx = [icd10.format(d) for d in ctx.written.diagnoses]
    return dx if dx != chart_dx(ctx) else None


def claim_dx(ctx: EditContext) -> list[str]:
    """The diagnoses the claim goes out with: the written ones on scrub when given, else the chart's."""
    return written_dx(ctx) or chart_dx(ctx)


def coverage_policy(ctx: EditContext) -> Policy:
    """The policy named by the payer profile for the setting (home or office/hospital), found once per claim."""
    return ctx.once("diagnosis.coverage_policy", _coverage_policy)


def _coverage_policy(ctx: EditContext) -> Policy:
    param = "home_coverage_policy" if ctx.encounter.setting == "home" else "coverage_policy"
    name = ctx.rules.param(param)
    base = None if ctx.profile.path.startswith("bundled:") else str(Path(ctx.profile.path).parent)
    try:
        return policy(str(name), base)
    except PolicyError as exc:
        raise InputError("payer.profile", f"{param}: {exc}") from None


Liability = Literal["medical_necessity", "no_benefit"]


@dataclass(frozen=True)
class Gap:
    """The claim's diagnoses cover none (or not all) of its immune globulin products under the list that applies.

    `binding`: the list binds the payer (a contractor's article, an official policy) rather than a default one;
    `certain`: igclaim could confirm the gap (a read range of a binding list, no uncertain note);
    `liability`: how Original Medicare denies it: medical necessity (GA/GZ) or no benefit category (GY), GY when
    any product has no benefit category;
    `by_drug`: each product the list does not cover, as its own one-product Gap (its list, notes, certainty and
    liability), under every list: at home a home IVIG outside the benefit takes GY, a SC immune globulin by pump
    outside A52507 GA/GZ, on the same claim; in an office a product a list covers beside one it does not leaves the
    covered one's lines without a modifier. PAYER-ABN-MODIFIER asks each drug's lines for its own, and DX-NOT-COVERED
    tells each product on its own (`per_drug`);
    `place`: a product's own Gap's place among the claim's immune globulin drugs (`ig_drug_ids`); a place, not a
    drug id, since the verdict is shared by claims whose ids differ (`verdict`)."""

    title: str
    products: list[str]
    severity: Severity
    notes: list[str]
    notice: str = ""
    binding: bool = False
    certain: bool = False
    liability: Liability = "medical_necessity"
    source: str = MCD
    by_drug: tuple[Gap, ...] = ()
    place: int = -1

    @property
    def mixed(self) -> bool:
        """The products are denied each its own way: an IVIG outside the home IVIG benefit (GY) beside a SC immune
        globulin by pump outside A52507 (GA/GZ)."""
        return len({part.liability for part in self.by_drug}) > 1

    def text(self, dx: list[str], where: str = "on the claim") -> str:
        notes = f" {' '.join(self.notes)}" if self.notes else ""
        uncertain = "" if self.severity == "error" else " (a warning: the list is not certain for your payer)"
        notice = f" {self.notice}" if self.notice else ""
        return (f"No diagnosis {where} ({', '.join(dx)}) is covered for {', '.join(self.products)} under "
                f"{self.title}{uncertain}.{notice}{notes}")


def _product_names(f: CodedDrug) -> tuple[str, ...]:
    product = f.product
    return tuple(filter(None, (f.code, product.name if product else None)))


def product_label(f: CodedDrug) -> str:
    """How a finding names a chart's immune globulin product: "Hizentra (SC)"."""
    return f"{f.product.name if f.product else f.code} ({f.route})"


def contractor(ctx: EditContext) -> tuple[str, str] | None:
    """The A/B MAC whose lists bind an Original Medicare office or hospital claim, and how it was chosen:
    payer.contractor first, then the payer profile's optional `contractor`, then the billing provider's state.
    None: no contractor known (default policy)."""
    key = _named_contractor(ctx)
    if key is not None and ctx.rules.known_contractor(key):
        return key, "payer.contractor"
    # An article id igclaim has no list for (retired, a typo, not imported) is not an empty list: judged as if no
    # contractor were given, and `unknown_contractor` says so.
    bp = ctx.encounter.billing_provider
    state = bp.address.state.upper() if bp is not None else ""
    by_state = ctx.rules.jurisdiction_for_state(state)  # "" (no billing provider): no jurisdiction
    named = ctx.rules.param("contractor") if ctx.rules.has_param("contractor") else None
    if named:
        try:
            j = ctx.rules.parse_contractor(str(named))
        except ValueError as exc:
            raise InputError("payer.profile", f"contractor: {exc}") from None
        if (by_state is None or by_state.id != j) and ctx.rules.known_contractor(j):
            return j, f"payer profile {ctx.profile.name}"
    if by_state is not None:  # the claim's own fact, also when the profile names the same MAC
        return by_state.id, f"billing provider's state {state}"
    return None


def _named_contractor(ctx: EditContext) -> str | None:
    """payer.contractor read as a jurisdiction or an article id (None: not given); one that is neither is an input
    error naming the field."""
    given = ctx.encounter.payer.contractor
    if not given:
        return None
    try:
        return ctx.rules.parse_contractor(given)
    except ValueError as exc:
        raise InputError("payer.contractor", str(exc)) from None


def unknown_contractor(ctx: EditContext) -> str | None:
    """The article id payer.contractor names when igclaim has no list of it on the date (neither bundled nor
    imported): the claim is judged as if none were given (`contractor`)."""
    if not ctx.profile.original_medicare or ctx.encounter.setting == "home":
        return None
    key = _named_contractor(ctx)
    return None if key is None or ctx.rules.known_contractor(key) else key


def _unknown_contractor_note(ctx: EditContext) -> tuple[tuple[str, str], ...]:
    key = unknown_contractor(ctx)
    if key is None:
        return ()
    found = contractor(ctx)
    how = (f"the list of {ctx.rules.ab_lookup(found[0]).label}, chosen by the {found[1]}" if found else
           "the default list (no billing provider's state gives a contractor)")
    return ((f"payer.contractor {key} is a coverage article unknown to igclaim (not bundled, and no imported list "
             f"for the claim's date; retired or mistyped?), so it was not used: coverage was judged by {how}. "
             "Import the article's list (igclaim data import coverage) or give the jurisdiction (e.g. JN).", MCD),)


def _mac_mode(ctx: EditContext) -> str | None:
    """'home' (DME MAC articles), 'ab' (A/B MAC articles) or None (the payer profile's own policy)."""
    if not ctx.profile.original_medicare:
        return None  # Medicare Advantage, Medicaid, commercial: MAC lists do not bind them
    if ctx.encounter.setting == "home":
        own = ctx.rules.param("home_coverage_policy") != BUNDLED_POLICY["home_coverage_policy"]
        return "home" if ctx.home_dme() and not own else None
    if ctx.rules.param("coverage_policy") != BUNDLED_POLICY["coverage_policy"] \
            and not ctx.encounter.payer.contractor:
        return None  # the user's own contractor list, named in their profile, wins over the bundled ones
    return "ab" if contractor(ctx) is not None else None


# A product the list does not cover: (its place among the claim's immune globulin drugs, the drug, what the list
# says, the list's label).
_Judged = tuple[int, "CodedDrug", Status, str]


def _mac_gap(ctx: EditContext, dx: list[str], mode: str) -> tuple[Gap | None, tuple[tuple[str, str], ...]]:
    """The gap, and the products covered only by a group whose products are not confirmed (DX-COVERAGE-UNCERTAIN)."""
    rules = ctx.rules
    statuses: list[_Judged] = []
    unsure: list[tuple[str, str]] = []
    for place, f in enumerate(f for f in ctx.coding.drugs.values() if f.is_ig):
        rule = None
        if mode == "home":
            found = rules.home_lookup(f.route, f.code)
            if found is None:
                continue
            lookup, rule = found
            label = lookup.label
        else:
            key, how = contractor(ctx) or ("", "")
            lookup = rules.ab_lookup(key)
            label = f"{lookup.label}, chosen by the {how}"
        st = lookup.status(dx, rule)
        if st.kind != "covered":
            statuses.append((place, f, st, label))
        elif st.notes:
            unsure.append((f"{st.covering}: {product_label(f)} is covered only by a group whose products are not "
                           f"confirmed ({label}). {' '.join(st.notes)}", MCD_ARTICLE.format(lookup.articles[0][1:])))
    if not statuses:
        return None, tuple(unsure)
    parts = tuple(replace(_mac_part(ctx, dx, mode, [s]), place=s[0]) for s in statuses)
    whole = parts[0] if len(parts) == 1 else _mac_part(ctx, dx, mode, statuses)
    return replace(whole, place=-1, by_drug=parts), tuple(unsure)


def _mac_part(ctx: EditContext, dx: list[str], mode: str, statuses: list[_Judged]) -> Gap:
    """The gap of these products under the MAC lists: the claim's, or one product's own (`Gap.by_drug`)."""
    certain = all(st.kind == "not_covered" for _, _, st, _ in statuses)
    notes: list[str] = []
    for _, f, st, _ in statuses:
        if st.kind == "unverified":
            notes.append(f"{st.covering} is in a code range igclaim's copy of the list did not read, so the list "
                         "could not verify it: check the article on the MCD.")
        notes += [n for n in st.notes if n and n not in notes]
        if mode == "home" and (only := ctx.rules.product_only(f.route, f.code, dx)):
            if only.products_note:  # the product limit is igclaim's reading: not certain
                certain = False
                notes.append(f"{only.name}: {product_label(f)} is not one of the products igclaim reads that group "
                             f"as limited to. {only.products_note}")
            else:
                notes.append(f"{only.name}: {product_label(f)} is not one of the products the article names for "
                             "that diagnosis.")
    liability: Liability = "no_benefit" if any(st.liability == "no_benefit" for _, _, st, _ in statuses) \
        else "medical_necessity"
    if liability == "no_benefit":
        notes.append("Outside the home IVIG benefit (primary immune deficiency only): Medicare denies it as "
                     "noncovered, no benefit category, whatever a SC note says.")
    titles = list(dict.fromkeys(label for _, _, _, label in statuses))
    src = MCD_ARTICLE.format(statuses[0][3][1:6]) if statuses[0][3][:1] == "A" else MCD
    return Gap(f"the Medicare contractor's list {' and '.join(titles)}",
               [product_label(f) for _, f, _, _ in statuses], "error" if certain else "warning", notes, binding=True,
               certain=certain, liability=liability, source=src)


def ig_drug_ids(ctx: EditContext) -> list[str]:
    """The claim's immune globulin drugs' ids, in chart order: the order `coverage_facts` keys a verdict by, so a
    Gap's `by_drug` names a product by its place here (a claim of the same products under other ids shares it)."""
    return [did for did, f in ctx.coding.drugs.items() if f.is_ig]


def per_drug(ctx: EditContext, gap: Gap) -> bool:
    """The claim's immune globulins are not all denied the same way: two liabilities at home (`Gap.mixed`), or,
    under any list, one product covered beside one that is not. Then each product's lines are asked for their own
    liability modifier (a covered one's, none), and DX-NOT-COVERED tells each product on its own."""
    if not gap.by_drug:
        return False
    return gap.mixed or len(gap.by_drug) != len(ig_drug_ids(ctx))


def coverage_gap(ctx: EditContext, dx: list[str]) -> Gap | None:
    """What the list that binds the claim says: a contractor's MAC article for Original Medicare (by
    payer.contractor, the billing provider's state, or the DME MAC articles at home), else the payer profile's
    policy (a default one is labelled so and only warns). Asked by the diagnosis and the liability-modifier checks
    (`verdict`: worked out once per snapshot and claim facts; a Gap is never changed)."""
    dx = billable(ctx, dx)
    if not dx:
        return None
    return verdict(ctx, dx).gap


def chart_dx_covered(ctx: EditContext) -> bool:
    """On scrub, when the written claim bills other diagnoses than the chart's: the chart's own are billable and
    covered, so the claim's fix is to bill them (DX-NOT-COVERED says so), never a liability modifier (GZ would make
    a payable line the provider's loss)."""
    if written_dx(ctx) is None:
        return False
    chart = chart_dx(ctx)
    return bool(billable(ctx, chart)) and coverage_gap(ctx, chart) is None


def billable(ctx: EditContext, dx: list[str]) -> list[str]:
    """The diagnoses coverage is judged on: not one DX-INVALID refuses (a category such as D83 is coded to D83.x
    first; judging D83 itself told the biller to get an ABN and add GZ for a code that cannot be billed). A code
    no release covers (None) is kept."""
    return [d for d in dx if ctx.rules.dx_billable(d) is not False]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the list that binds a claim says of one list of diagnoses: the gap (None: every immune globulin product
    is covered), the products covered only by an entry marked uncertain, and the messages that quote them. Every
    claim's finding is built from these, with its own line."""

    gap: Gap | None
    uncertain: tuple[tuple[str, str], ...] = ()  # DX-COVERAGE-UNCERTAIN: (message, source) per product
    chart_text: str = ""  # the gap's text for the chart's diagnoses when the claim lists others ("in the chart")
    claim_text: str = ""  # the gap's text for the diagnoses the claim goes out with ("on the claim")


def coverage_facts(ctx: EditContext) -> tuple[object, ...]:
    """Everything of one claim a coverage verdict reads besides its diagnoses and the snapshot (date, payer profile,
    tables): the setting, the contractor it names or its billing provider's state, and each immune globulin drug's
    route, code and product. Read once per claim."""
    return ctx.once("diagnosis.facts", _coverage_facts)


def _coverage_facts(ctx: EditContext) -> tuple[object, ...]:
    enc = ctx.encounter
    bp = enc.billing_provider
    drugs = []
    for f in ctx.coding.drugs.values():
        if f.is_ig:
            product = f.product
            drugs.append((f.route, f.code, product.name if product else None))
    return enc.setting, enc.payer.contractor, bp.address.state if bp is not None else None, tuple(drugs)


def verdict(ctx: EditContext, dx: list[str]) -> Verdict:
    """The verdict on these diagnoses: a pure function of the snapshot, the diagnoses and `coverage_facts`, so
    remembered per snapshot by them (every claim of the date, profile and products with these diagnoses reuses
    it; an error, such as an unknown contractor, is raised again, never remembered)."""
    key = ("diagnosis.verdict", tuple(dx), coverage_facts(ctx))
    hit: Verdict | None = ctx.rules.alike.get(key)
    if hit is None:
        hit = ctx.rules.once_alike(key, lambda _: _judge(ctx, dx))
    return hit


def _judge(ctx: EditContext, dx: list[str]) -> Verdict:
    mode = _mac_mode(ctx)
    unknown = _unknown_contractor_note(ctx)
    if mode is not None:
        gap, unsure = _mac_gap(ctx, dx, mode)
        return _with_texts(gap, dx, unknown + unsure)
    pol = coverage_policy(ctx)
    ig = (f for f in ctx.coding.drugs.values() if f.is_ig)
    covering = [(n, f, names, pol.covering(dx, f.route, names))
                for n, f in enumerate(ig) for names in (_product_names(f),)]
    uncertain = tuple((f"{', '.join(dx)}: {product_label(f)} is covered only by \"{ind.name}\", an entry marked "
                       f"uncertain ({ind.note or 'contractor-dependent'}): verify the payer's policy.",
                       ind.source or MCD) for _, f, _, ind in covering if ind is not None and not ind.certain)
    return _with_texts(_policy_gap(ctx, dx, pol, [(n, f, names) for n, f, names, ind in covering if ind is None]),
                       dx, unknown + uncertain)


def _with_texts(gap: Gap | None, dx: list[str], uncertain: tuple[tuple[str, str], ...]) -> Verdict:
    if gap is None:
        return Verdict(None, uncertain)
    return Verdict(gap, uncertain, gap.text(dx, "in the chart"), gap.text(dx))


def _policy_gap(ctx: EditContext, dx: list[str], pol: Policy,
                uncovered: list[tuple[int, CodedDrug, tuple[str, ...]]]) -> Gap | None:
    """The gap under the payer profile's own list: `uncovered`, each product it does not cover as (its place among
    the claim's immune globulin drugs, the drug, its names)."""
    if not uncovered:
        return None
    parts = tuple(replace(_policy_part(ctx, dx, pol, [u]), place=u[0]) for u in uncovered)
    whole = parts[0] if len(parts) == 1 else _policy_part(ctx, dx, pol, uncovered)
    return replace(whole, place=-1, by_drug=parts)


def _policy_part(ctx: EditContext, dx: list[str], pol: Policy,
                 uncovered: list[tuple[int, CodedDrug, tuple[str, ...]]]) -> Gap:
    """The gap of these products under the profile's list: the claim's, or one product's own (`Gap.by_drug`)."""
    notes = list(dict.fromkeys(n for _, f, names in uncovered for n in pol.uncertain_notes(dx, f.route, names)))
    severity: Severity = "warning" if notes and pol.severity == "error" else pol.severity
    if ctx.profile.original_medicare and ctx.encounter.setting != "home" \
            and ctx.rules.param("coverage_policy") == BUNDLED_POLICY["coverage_policy"]:
        notes.append("No Medicare contractor is known for this claim (give payer.contractor or the billing "
                     "provider's address), so the default list was used.")
    return Gap(pol.title, [product_label(f) for _, f, _ in uncovered], severity, notes, pol.notice,
               binding=pol.kind == "official", certain=pol.kind == "official" and not notes, source=pol.source or MCD)


def sourced(f: Finding, source: str) -> Finding:
    """The finding with the source of the list that decided it (the article, rather than the MCD home page)."""
    f.source = source
    return f


def _first_ig_line(ctx: EditContext) -> int | None:
    """The first written line of the immune globulin drugs (`_written_ig_lines`: the chart's first product's
    first), never another drug's (a premedication charted first); None on build or when none is written."""
    lines = _written_ig_lines(ctx)
    return lines[0].line if lines else None


@edit(
    "DX-MISSING",
    severity="error",
    statement="no diagnosis",
    fix="Add the diagnosis that is the reason for the immune globulin (ICD-10-CM, billable code).",
    source=ICD10_FILES,
    phase="chart",
)
def dx_missing(ctx: EditContext) -> list[Finding]:
    if chart_dx(ctx) or written_dx(ctx):
        return []
    return [finding("DX-MISSING", "The chart gives no diagnosis; a claim without one is rejected.")]


def rejected(releases: icd10.Releases, code: str, dos: date) -> bool:
    """DX-INVALID's error: the code is not billable in the release in force on the date, and no other release for
    the date lists it (then the file in force may be partial, and it is only a warning)."""
    return releases.is_billable(code, dos) is False and not releases.also_billable_in(code, dos)


# What DX-INVALID says of a code: (message, severity, fix); None severity: the edit's own.
_Invalid = tuple[str, Severity | None, str, str]


def _invalid(ctx: EditContext, dx: list[str], line: int | None) -> list[Finding]:
    """DX-INVALID's findings for these diagnoses. What it says of them is a fact of the snapshot (its ICD-10-CM
    releases on its date) and the codes alone, so it is worked out once per span of alike dates and list of codes
    (`Rules.once_alike`), and again per date when it says something, since its messages name the date; the
    findings are the claim's own."""
    key = ("diagnosis.invalid", tuple(dx))
    said: tuple[_Invalid, ...] | None = ctx.rules.alike.get(key)
    if said is None:
        said = ctx.rules.once_alike(key, partial(_invalid_texts, dx=key[1]))
    if not said:
        return []
    said = ctx.rules.once(key, partial(_invalid_texts, dx=key[1]))
    # The cause says what the finding is about: outputs read it, never the message.
    return [finding("DX-INVALID", message, severity=severity, line=line, cause=("diagnosis", code), fix=fix)
            for message, severity, fix, code in said]


def _invalid_texts(rules: Rules, dx: tuple[str, ...]) -> tuple[_Invalid, ...]:
    releases = rules.icd10  # the ICD-10-CM releases of the snapshot's data version
    dos = rules.dos
    rel = releases.release_for(dos)
    said: list[_Invalid] = []
    for code in dx:
        ok = releases.is_billable(code, dos)
        if ok is None:
            said.append((f"{code}: no bundled ICD-10-CM release covers {dos}, so the code could not be checked.",
                         "info", "Import the ICD-10-CM release in force on the date (igclaim data import icd10).",
                         code))
            continue
        if ok or rel is None:  # is_billable answered, so a release covers the date
            continue
        if not rejected(releases, code, dos):
            others = releases.also_billable_in(code, dos)
            said.append((f"{code} is not in the {rel.name} release in force on {dos}, but it is billable in the "
                         f"{others[0].name} release for the same date: the file in force may be partial, so this "
                         "is uncertain.", "warning",
                         "Check that the imported ICD-10-CM file is the complete release (igclaim data status).", code))
        else:
            under = releases.billable_under(code, dos)
            why = (f"it is a category; billable codes under it: {', '.join(under)}" if under else
                   "it is not in that release")
            said.append((f"{code} is not a billable ICD-10-CM code on {dos} ({rel.name} release): {why}.", None,
                         f"Code to the most specific billable code{' (' + under[0] + ' …)' if under else ''}.", code))
    return tuple(said)


@edit(
    "DX-INVALID",
    severity="error",
    statement="not a valid, billable ICD-10-CM code on the date of service",
    fix="Use a billable (most specific) ICD-10-CM code of the release in force on the date of service.",
    source=ICD10_FILES,
    phase="chart",
)
def dx_invalid(ctx: EditContext) -> list[Finding]:
    return _invalid(ctx, chart_dx(ctx), None)


@edit(
    "DX-NOT-COVERED",
    severity="warning",
    statement="the diagnosis is not covered for this product under the payer's policy",
    fix="Check the diagnosis against the payer's coverage policy (LCD/article or plan policy); if it is right and "
    "not covered, get an ABN (Original Medicare) or the plan's approval before the infusion.",
    source=MCD,
    phase="chart",
    supersedes=("DX-NOT-DOCUMENTED",),  # a written diagnosis not covered, where the chart's are: one fix, one finding
)
def dx_not_covered(ctx: EditContext) -> list[Finding]:
    dx = billable(ctx, chart_dx(ctx))
    if not dx:
        return []
    found = verdict(ctx, dx)
    gap = found.gap
    if gap is None:
        return []
    # On scrub, a written claim with diagnoses of its own does not go out with these: name them as the chart's.
    chart = written_dx(ctx) is not None
    if per_drug(ctx, gap):
        # Products denied each its own way, or one covered beside one that is not: each uncovered product is told
        # as the claim of that product alone would be (its GY, its units), not by one verdict of them all.
        ids = ig_drug_ids(ctx)
        where = "in the chart" if chart else "on the claim"
        return [_not_covered(ctx, part, part.text(dx, where), ids[part.place]) for part in gap.by_drug]
    return [_not_covered(ctx, gap, found.chart_text if chart else found.claim_text, None)]


def _not_covered(ctx: EditContext, gap: Gap, text: str, did: str | None) -> Finding:
    """DX-NOT-COVERED's finding for the claim (`did` None: its immune globulin lines, its first product's units) or
    for one product of it (that drug's lines and units)."""
    from igclaim.edits.drug import mods, written_drug_lines

    lines = _written_ig_lines(ctx) if did is None else written_drug_lines(ctx).get(did, [])  # none on build
    severity, fix = gap.severity, None
    if gap.liability == "no_benefit":
        # No benefit category: no ABN applies (the catalog's fix asks for one). GY on the drug's lines asks Medicare
        # for the denial a secondary payer needs: the claim is right, and only the denial is left to say.
        gy = liability_modifiers().statutory_exclusion
        fix = (f"No ABN applies: Medicare has no benefit for it here. Bill with {gy} on every line when a denial is "
               "wanted (a secondary payer needs one), or bill the payer or setting that covers it.")
        if lines and all(gy in mods(ln) for ln in lines):
            severity, text = "warning", f"{text} {gy} is on the lines: the denial is expected."
    units, cause = _denied_units(ctx, None if did is None else frozenset((did,)))
    line = min(ln.line for ln in lines) if did is not None and lines else _first_ig_line(ctx)
    return sourced(finding("DX-NOT-COVERED", text, severity=severity, line=line, fix=fix, impact_units=units,
                           cause=cause), gap.source)


def _denied_units(ctx: EditContext, denied: frozenset[str] | None = None
                  ) -> tuple[int | None, list[tuple[str, str]]]:
    """What a claim no diagnosis of which is covered puts at stake (as DX-POINTER-NOT-COVERED prices one line):
    the immune globulin's units on the claim that goes out (the written lines on scrub, counted in the chart code's
    units; else the coded lines), priced at its code through the cause naming the drug: of the drugs `denied`
    (None: every immune globulin of the claim), the chart's first with units on that claim. A finding's units are
    in one code's units, so each further denied drug's lines on the claim that goes out are named denied with it
    (`denied_drug_lines`; each line once: a line is one drug's, never an administration line). With them, the
    administration lines denied with the drugs (`_denied_administration`); the units stay the one drug's."""
    from igclaim.edits.drug import denied_drug_lines, in_own_units, written_drug_lines

    units: int | None = None
    causes: list[Cause] = []
    written = written_drug_lines(ctx) if ctx.written is not None else None  # every chart drug's, empty when none
    for each, f in ctx.coding.drugs.items():
        if not f.is_ig or f.code is None or (denied is not None and each not in denied):
            continue
        if units:  # a further denied product: its lines denied with the first's
            causes += denied_drug_lines(ctx, [each])
        elif written is not None:
            units, causes = in_own_units(ctx, f, written[each]), [("drug", f.path)]
        else:
            units, causes = sum(ln.units for ln in f.lines), [("drug", f.path)]
    if units is None:
        return None, []
    # none (0) is left out by `finding`
    return -units, [*causes, *_denied_administration(ctx, frozenset(ig_drug_ids(ctx)) if denied is None else denied)]


def _denied_administration(ctx: EditContext, denied: frozenset[str]) -> list[Cause]:
    """The administration lines of the claim that goes out (the written one on scrub, else the coded one) denied
    with these drugs: CGS "will deny coverage for both the drug and its administration" (CGS_DRUG_ADMINISTRATION).
    Each as a cause ("denied-line", "<line>") that `price_findings` adds the line's payment of, or ("denied-line",
    "<line>:<units>") for the units of a line shared with other drugs (96366: an hour of each of two products).

    What a line administers is coding's (`Coding.administered`: the units each drug accounts for on each coded
    line), summed by code: a written line of a code is denied but for the units other drugs (a premedication,
    hydration, a covered product) account for on the coded lines of that code, taken from its first lines. A
    written administration code the chart's coding has none of is denied whole only when the chart documents
    administrations, every one of these drugs, and no fluid (nothing else for the line to give)."""
    administered = ctx.coding.administered
    if not administered:
        return []
    codes = {ln.line: ln.code for ln in ctx.expected.lines}
    by_code: dict[str, dict[str | None, int]] = {}
    for n, drugs in administered.items():
        mine = by_code.setdefault(codes[n], {})
        for each, units in drugs.items():
            mine[each] = mine.get(each, 0) + units
    # what the other drugs keep of each code, used up line by line
    kept = {code: sum(u for each, u in drugs.items() if each not in denied) for code, drugs in by_code.items()
            if not denied.isdisjoint(drugs)}
    enc = ctx.encounter
    only_these = bool(enc.administrations) and not enc.fluids and all(a.drug_id in denied
                                                                       for a in enc.administrations)
    billed = ctx.billed
    causes: list[Cause] = []
    for ln in billed.lines:
        code = code_of(ln)
        if code in kept:
            keep = min(ln.units, kept[code])
            kept[code] -= keep
            off = ln.units - keep
        elif code not in by_code and only_these and (rec := ctx.rules.admin(code)) is not None \
                and rec.role != "bundled":
            off = ln.units
        else:
            continue
        if off > 0:
            causes.append(("denied-line", str(ln.line) if off == ln.units else f"{ln.line}:{off}"))
    return causes


def _written_ig_lines(ctx: EditContext) -> list[ClaimLine]:
    """The written lines of the immune globulin drugs, in claim order by drug (none on build)."""
    from igclaim.edits.drug import written_drug_lines

    if ctx.written is None:
        return []
    drugs = ctx.coding.drugs
    return [ln for did, found in written_drug_lines(ctx).items() if drugs[did].is_ig for ln in found]


@edit(
    "DX-ROUTE-OFF-LABEL",
    severity="warning",
    statement="the product is given subcutaneously, a route its label allows only for an indication (primary "
    "immunodeficiency) that none of the chart's diagnoses names",
    fix="Check the route and the diagnosis in the chart: the product's other uses are labeled intravenous only "
    "(e.g. Gamunex-C for ITP or CIDP). Code the primary immunodeficiency the patient has, or expect the payer to "
    "ask for its approval of an off-label use.",
    source=FDA_IMMUNE_GLOBULINS,
    phase="chart",
)
def route_off_label(ctx: EditContext) -> list[Finding]:
    """A label that allows the subcutaneous route for one indication only (fda/products.toml `sc_labeled_for`),
    judged on the chart's diagnoses. A warning: a payer may still cover an off-label use, and the diagnosis list is
    igclaim's reading of the label, not the payer's. Every chart is asked, so nothing is looked up before a drug
    given SC is found."""
    found: list[Finding] = []
    for f in ctx.coding.drugs.values():
        if f.route != "SC":
            continue
        diagnoses = chart_dx(ctx)
        if not diagnoses:
            return found  # DX-MISSING says so
        family = f.identified.family
        uses = sc_label_gap(family, diagnoses)
        if uses is None:
            continue
        from igclaim.edits.drug import written_drug_lines

        lines = written_drug_lines(ctx).get(f.drug.id)  # none on build
        units = sum(ln.units for ln in lines) if lines else sum(ln.units for ln in f.lines)
        found.append(off_label(f"{f.path}: {f.drug.product or f.drug.hcpcs or family[0].name} is given SC", uses,
                               diagnoses, "the chart's", family, lines[0].line if lines else None, units,
                               cause=("drug", f.path)))
    return found


def sc_label_gap(products: Sequence[Product], diagnoses: list[str]) -> LabelIndication | None:
    """The indication that limits the SC route of every one of these products (the candidates of a chart's drug,
    or of a written code) when no diagnosis names it; None when one product is labeled SC for every use, or a
    diagnosis is the indication."""
    limits = [p.sc_labeled_for for p in products]
    if not limits or None in limits:
        return None
    if any(limit.names(d) for limit in limits if limit is not None for d in diagnoses):
        return None
    return limits[0]


def off_label(subject: str, uses: LabelIndication, diagnoses: list[str], whose: str, products: Sequence[Product],
              line: int | None, units: int, cause: Cause | None = None) -> Finding:
    """DX-ROUTE-OFF-LABEL's finding, the chart's or the claim's alone: the first product's label as its source."""
    less = f" less {', '.join(uses.excepted)}" if uses.excepted else ""
    warning = finding("DX-ROUTE-OFF-LABEL", f"{subject}; its label allows SC for {uses.name} only, and none of "
                      f"{whose} diagnoses ({', '.join(diagnoses)}) is one (igclaim reads {uses.name} as ICD-10-CM "
                      f"{', '.join(uses.prefixes)}{less}).", line=line, impact_units=-units, cause=cause)
    label = products[0].label
    return sourced(warning, label) if label else warning


@edit(
    "DX-COVERAGE-UNCERTAIN",
    severity="warning",
    statement="the diagnosis is covered for this product only by a coverage entry igclaim could not confirm",
    fix="Check the diagnosis against the payer's coverage policy (LCD/article or plan policy) before the infusion.",
    source=MCD,
    phase="chart",
)
def dx_coverage_uncertain(ctx: EditContext) -> list[Finding]:
    """Item 9: an entry marked uncertain no longer passes silently."""
    dx = claim_dx(ctx)
    if not dx:
        return []
    uncertain = verdict(ctx, dx).uncertain
    if not uncertain:
        return []
    line = _first_ig_line(ctx)
    return [sourced(finding("DX-COVERAGE-UNCERTAIN", message, line=line), source) for message, source in uncertain]


@edit(
    "DX-CHEMO-ENCOUNTER",
    severity="error",
    statement="Z51.11 (encounter for antineoplastic chemotherapy) given as the reason for IG",
    fix="Give the condition immune globulin treats (e.g. the immunodeficiency) as the diagnosis; Z51.11 is for "
    "chemotherapy visits.",
    source=ICD10_FILES,
    phase="chart",
)
def dx_chemo(ctx: EditContext) -> list[Finding]:
    return _not_a_reason(ctx, chart_dx(ctx), None)


@lru_cache(maxsize=1)
def _not_a_reason_codes() -> frozenset[str]:
    """The codes of `not_a_reason()`, to pass at once the claims that list none of them (nearly all)."""
    return frozenset(e.code for e in not_a_reason())


# What a not-a-reason edit says of a code: (edit id, message, severity); None severity: the edit's own.
_NotAReason = tuple[str, str, Severity | None]


def _not_a_reason(ctx: EditContext, dx: list[str], line: int | None) -> list[Finding]:
    """The not-a-reason findings (DX-CHEMO-ENCOUNTER...) for these diagnoses: what they say depends on the codes
    alone, so it is worked out once per snapshot and list of codes; the findings are the claim's own."""
    key = ("diagnosis.not_a_reason", tuple(dx))
    said: tuple[_NotAReason, ...] | None = ctx.rules.alike.get(key)
    if said is None:
        said = ctx.rules.once_alike(key, lambda _: _not_a_reason_texts(dx))
    if not said:
        return []
    return [finding(edit_id, message, line=line, severity=severity) for edit_id, message, severity in said]


def _not_a_reason_texts(dx: list[str]) -> tuple[_NotAReason, ...]:
    compact = [icd10.compact(d) for d in dx]
    if _not_a_reason_codes().isdisjoint(compact):
        return ()
    said: list[_NotAReason] = []
    for entry in not_a_reason():
        if entry.code in compact:
            first = compact.index(entry.code) == 0
            where = "first-listed" if first else f"listed as diagnosis {compact.index(entry.code) + 1}"
            said.append((entry.edit, f"{icd10.format(entry.code)} {where}: {entry.reason}.",
                         None if first else "warning"))
    return tuple(said)


# On scrub, a written claim that lists diagnoses other than the chart's gets the same edits, under their own ids.


@also_check("DX-INVALID", "claim")
def written_dx_invalid(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    dx = written_dx(ctx)
    if dx is not None:
        chart = set(chart_dx(ctx))
        found.extend(_invalid(ctx, [d for d in dx if d not in chart], _first_ig_line(ctx)))
    return found


@also_check("DX-CHEMO-ENCOUNTER", "claim")
def written_dx_chemo(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    dx = written_dx(ctx)
    if dx is None:
        return found
    in_chart = {icd10.compact(d) for d in chart_dx(ctx)} & _not_a_reason_codes()
    if not in_chart:
        found.extend(_not_a_reason(ctx, dx, _first_ig_line(ctx)))
    return found


@also_check("DX-NOT-COVERED", "claim")
def written_dx_not_covered(ctx: EditContext) -> Iterator[Finding]:
    from igclaim.edits.drug import written_drug_lines

    dx = written_dx(ctx)
    if dx is None:
        return
    found = verdict(ctx, dx)
    gap = found.gap
    if gap and not coverage_gap(ctx, chart_dx(ctx)):
        # a product the written diagnoses cover is not denied: only the others' lines and units are at stake, the
        # finding on the first of their written lines
        ids = ig_drug_ids(ctx)
        denied = frozenset(ids[part.place] for part in gap.by_drug) if per_drug(ctx, gap) else None
        units, drug = _denied_units(ctx, denied)
        lines = [ln.line for did in denied or () for ln in written_drug_lines(ctx)[did]]
        undocumented = _undocumented(ctx, dx)
        # The chart's own diagnoses are billable and covered: the fix is to bill them (an ABN is for a claim that
        # cannot be covered; GZ/GA here would turn a payable line into a denial).
        fix = (f"Bill the chart's covered diagnoses ({', '.join(chart_dx_covering(ctx))}) in place of "
               f"{', '.join(undocumented or dx)}, pointing the immune globulin's lines at them."
               if chart_dx_covered(ctx) else None)
        yield finding("DX-NOT-COVERED", found.claim_text + _chart_instead(ctx), severity=gap.severity,
                      line=min(lines) if lines else _first_ig_line(ctx), impact_units=units, fix=fix,
                      cause=[("diagnosis", d) for d in undocumented] + drug)


def _chart_instead(ctx: EditContext) -> str:
    """What the chart offers instead of the written claim's uncovered diagnoses. Coverage is judged on billable
    codes only, so a chart with none is not "covered": it has nothing to bill instead, and says so."""
    chart = chart_dx(ctx)
    if billable(ctx, chart):
        covering = chart_dx_covering(ctx)
        if len(covering) < len(chart):  # D83.9 and G43.909: only D83.9 is covered, never "both are"
            return f" Of the chart's diagnoses ({', '.join(chart)}), {', '.join(covering)} {_is(covering)} covered."
        return f" The chart's diagnoses ({', '.join(chart)}) are covered."
    if chart:
        return f" The chart lists no billable diagnosis to bill instead ({', '.join(chart)})."
    return " The chart lists no diagnosis to bill instead."


def chart_dx_covering(ctx: EditContext) -> list[str]:
    """The chart's billable diagnoses that are covered each on its own: the ones to bill and to call covered (a chart
    of D83.9 and G43.909 is covered through D83.9 alone). All of them when none is on its own (covered together)."""
    chart = billable(ctx, chart_dx(ctx))
    return [d for d in chart if coverage_gap(ctx, [d]) is None] or chart


def _is(codes: list[str]) -> str:
    return "is" if len(codes) == 1 else "are"


def _undocumented(ctx: EditContext, dx: list[str]) -> list[str]:
    """The written claim's diagnoses that the chart does not list (compared as codes: D83.9 = D839)."""
    chart = {icd10.compact(d) for d in chart_dx(ctx)}
    return [d for d in dx if icd10.compact(d) not in chart]


@edit(
    "DX-NOT-DOCUMENTED",
    severity="warning",
    statement="the written claim bills a diagnosis the chart does not list",
    fix="Bill the diagnoses the chart documents; if the record supports the other code, add it to the chart first.",
    source=ICD10_GUIDELINES,
    phase="claim",
)
def dx_not_documented(ctx: EditContext) -> list[Finding]:
    """A diagnosis billed must be supported by the record (ICD-10-CM Official Guidelines, Section IV). A warning:
    the chart igclaim was given may list fewer diagnoses than the record. A code that is not billable is DX-INVALID's
    to report."""
    found: list[Finding] = []
    dx = written_dx(ctx)
    if dx is None:
        return found
    releases, chart = ctx.rules.icd10, chart_dx(ctx)
    for code in _undocumented(ctx, dx):
        if releases.is_billable(code, ctx.dos) is False:
            continue
        found.append(finding("DX-NOT-DOCUMENTED", f"{code} is on the claim but not among the chart's diagnoses "
                             f"({', '.join(chart) or 'none'}).", line=_first_ig_line(ctx), cause=("diagnosis", code)))
    return found


# --- the written claim's diagnosis pointers (CMS-1500 item 24E, 837P SV107) ---------------------------------------

# CMS IOM 100-04 ch. 26 §10.5 item 24E: each line points, by letter (837P SV107: by number), at up to four of the
# diagnoses of item 21, the primary first (settings.toml `pointers_source`, `diagnosis_pointers_per_line`).
MANUAL_CH26 = "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c26pdf.pdf"


def pointers_sent(ctx: EditContext) -> bool:
    """The written claim goes out on a form whose lines carry diagnosis pointers (CMS-1500/837P), and some line
    gives them. The UB-04/837I has no line pointers (igclaim keeps some on its own lines for the result only); a
    line written without pointers is CLAIM-POINTER-INVALID's when other lines carry theirs, and nothing here."""
    w = ctx.written
    if w is None or (w.form or ctx.expected.form) == "UB-04":
        return False
    return any(ln.diagnosis_pointers for ln in w.lines)


def pointed_dx(ln: ClaimLine, dx: list[str]) -> list[str]:
    """The diagnoses a line points at, in its order, once each; a pointer past the list is CLAIM-POINTER-INVALID's."""
    return list(dict.fromkeys(dx[p - 1] for p in ln.diagnosis_pointers if 0 < p <= len(dx)))


def _necessity_lines(ctx: EditContext) -> list[tuple[ClaimLine, bool]]:
    """The written lines a medical-necessity denial for the immune globulin falls on: (line, is the drug's own
    line) for each immune globulin drug line and each administration line, in claim order."""
    if ctx.written is None:
        return []
    ig = {id(ln) for ln in _written_ig_lines(ctx)}
    return [(ln, id(ln) in ig) for ln, code in zip(ctx.written.lines, ctx.written_codes, strict=True)
            if id(ln) in ig or ctx.rules.admin(code) is not None]


@edit(
    "DX-POINTER-NOT-COVERED",
    severity="warning",
    statement="a line's diagnosis pointers name only diagnoses that do not cover its immune globulin, while another "
    "diagnosis on the claim does (medical-necessity edits read the diagnoses a line points at)",
    fix="Point the line at the covered diagnosis, listed first (CMS-1500 item 24E, 837P SV107).",
    source=MANUAL_CH26,
    phase="claim",
)
def dx_pointer_not_covered(ctx: EditContext) -> list[Finding]:
    """The coverage verdict (`verdict`) on the diagnoses each line points at, where the claim's diagnoses as a whole
    are covered (else DX-NOT-COVERED says it, and pointing elsewhere cannot help). An error only on the drug's own
    line under a list that binds the payer and is certain; a warning otherwise (a default list, an uncertain entry,
    or an administration line, which payers do not all check against the drug's list), and the message says so."""
    found: list[Finding] = []
    if not pointers_sent(ctx):
        return found
    dx = claim_dx(ctx)
    if not dx or verdict(ctx, dx).gap is not None:
        return found
    for ln, own in _necessity_lines(ctx):
        pointed = pointed_dx(ln, dx)
        if not pointed:
            continue  # no pointer given, or none in range (CLAIM-POINTER-INVALID)
        gap = verdict(ctx, pointed).gap
        if gap is None:
            continue
        covering = [d for d in dx if d not in pointed and verdict(ctx, [*pointed, d]).gap is None]
        target = covering[0] if covering else ", ".join(d for d in dx if d not in pointed)
        number = dx.index(target) + 1 if covering else None
        certain = own and gap.severity == "error" and gap.binding
        why = ""  # a warning gap's text says so itself
        if not own:
            why = " (a warning: payers differ in checking an administration line against the drug's list; verify)"
        elif not certain and gap.severity == "error":
            why = " (a warning: the list does not bind the payer; verify its policy)"
        code = code_of(ln)
        found.append(finding(
            "DX-POINTER-NOT-COVERED",
            f"Line {ln.line}: {code} points only at {', '.join(pointed)}. "
            + gap.text(pointed, "that the line points at")
            + (f" {target}, also on the claim, is covered." if covering else
               f" The claim's diagnoses together are covered ({target} besides).")
            + f" Medical-necessity edits read the diagnoses a line points at, so the line is at risk of denial{why}.",
            line=ln.line, severity="error" if certain else "warning", impact_units=-ln.units,
            fix=f"Point line {ln.line} at {target}" + (f" (pointer {number})" if number else "") + ", listed first."))
    return found
