"""The two entry points every interface calls: `build` (chart → expected claim + chart findings) and
`scrub` (a written claim compared with the chart). Pure: no I/O beyond the reference data loaded once."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date

from igclaim import edits as edits_pkg
from igclaim.coding.claim import Coding, code_chart, code_encounter  # noqa: F401 (engine.code_encounter: public)
from igclaim.coding.payment import price, price_result
from igclaim.construct import trusted_all
from igclaim.edits.context import EditContext
from igclaim.edits.registry import Phase, one_per_mistake, run_checks
from igclaim.errors import InputError
from igclaim.inputs import filed_on
from igclaim.model import Encounter, Finding, ReferenceInfo, Result, WrittenCharges
from igclaim.readers.x12 import WrittenClaim
from igclaim.refdata.mac import mac
from igclaim.refdata.resolver import PayerProfile, ProfileError, ReferenceData, reference
from igclaim.refdata.rules import Rules

_FAMILIES_LOADED = False


def _load_edit_families() -> None:
    """Import every module under igclaim.edits once, so their checks are registered."""
    global _FAMILIES_LOADED
    if not _FAMILIES_LOADED:
        for mod in pkgutil.iter_modules(edits_pkg.__path__):
            importlib.import_module(f"igclaim.edits.{mod.name}")
        _FAMILIES_LOADED = True


def resolve_profile(enc: Encounter, ref: ReferenceData, override: str | None = None) -> PayerProfile:
    try:
        if override:
            return ref.profile(override)
        if enc.payer.profile:
            return ref.profile(enc.payer.profile)
        prof = ref.default_profile(enc.payer.type)
        if prof.original_medicare and enc.setting != "home":  # home claims go to a DME MAC
            # The A/B MAC's own billing rules, when igclaim bundles them (First Coast: JA/JB on J1561, J1569).
            bp = enc.billing_provider
            name = mac().contractor_profile(enc.payer.contractor, bp.address.state if bp is not None else None)
            if name:
                return ref.profile(name)
        return prof
    except ProfileError as exc:
        raise InputError("payer.profile", str(exc)) from None


def _run(enc: Encounter, phases: list[Phase], ref: ReferenceData | None, profile: str | None,
         written=None, charges: WrittenCharges | None = None, made: date | None = None) -> Result:
    _load_edit_families()
    ref = ref or reference()
    prof = resolve_profile(enc, ref, profile)
    rules = _rules(ref, enc.date_of_service, prof)
    coding = code_chart(enc, rules)
    ctx = EditContext(coding, ref, written, charges=charges, made=made)
    findings = one_per_mistake(_distinct([*coding.findings, *run_checks(ctx, phases)]))
    # Payment post-step (coding/payment.py): the lines' and findings' dollars, and the reference block.
    data_as_of, sources = price(coding.claim, findings, rules, written, ref.data_as_of, ref.sources,
                                coding.drugs.values())
    return trusted_all(Result, {
        "encounter_id": enc.encounter_id,
        "claim": coding.claim,
        "findings": findings,
        "reference": trusted_all(ReferenceInfo, {"data_as_of": data_as_of, "profile": prof.name, "sources": sources}),
    })


def _rules(ref: ReferenceData, dos: date, prof: PayerProfile) -> Rules:
    """The dated rule snapshot; a date before the profile has a value for each of its parameters is an input
    error naming the date (its rules would be missing: a 1999 IG claim read from an 837 crashed a check). A claim
    that bills no immune globulin is still told so on any date (scrub_without_chart)."""
    if dos < prof.first_date:
        raise InputError("date_of_service", f"{dos:%Y-%m-%d} is before {prof.first_date:%Y-%m-%d}, the first date "
                         f"payer profile {prof.name!r} has its rules for: igclaim cannot code or check a claim of "
                         "that date")
    return ref.at(dos, prof)


def _distinct(findings: list[Finding]) -> list[Finding]:
    """Each finding once, first one kept: equal as pydantic compares them (the same fields and causes), found by a
    hashable key instead of comparing every pair. A finding's __dict__ holds every field in the model's order
    (however it was built: validation, model_construct or construct.trusted), so its values alone are that key."""
    if len(findings) < 2:  # half the claims: nothing to compare
        return findings
    seen: set[tuple[object, ...]] = set()
    out = []
    for f in findings:
        key = (*f.__dict__.values(), f.causes)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def build(enc: Encounter, *, ref: ReferenceData | None = None, profile: str | None = None) -> Result:
    """The claim that should be billed for the chart, with the chart's findings."""
    return _run(enc, ["chart"], ref, profile)


def scrub(enc: Encounter, *, ref: ReferenceData | None = None, profile: str | None = None,
          charges: WrittenCharges | None = None, made: date | None = None) -> Result:
    """Compare the claim a person wrote (enc.claim) with the chart; findings point at the written lines.
    `charges`: what that claim charges, where it carries charges (an 837 read: `WrittenClaim.charges`); `made`: the
    day its 837 was made (BHT04, `WrittenClaim.created`), told by PLAUSIBILITY-DOS when before the service."""
    if enc.claim is None:
        raise InputError("claim", "scrub needs the claim a person wrote (use build to code the chart)")
    return _run(enc, ["chart", "claim"], ref, profile, written=enc.claim, charges=charges, made=made)


def scrub_without_chart(written: WrittenClaim, *, ref: ReferenceData | None = None,
                        profile: str | None = None, filing_date: date | None = None) -> Result:
    """Scrub a claim read from an 837 with no chart: only the edits that need no chart facts run
    (edits/written.py), and a SCRUB-NO-CHART finding names the ones skipped. The result's claim is the written
    claim (there is no chart to code an expected one from)."""
    from igclaim.edits import written as chart_free
    from igclaim.edits.drug import code_of, is_drug_code
    from igclaim.edits.registry import CHECKS, SPECS, WHEN, finding

    _load_edit_families()
    ref = ref or reference()
    # The 837's encounter facts, and no chart: drugs, administrations and fluids stay empty (constructed, since the
    # public schema requires a drug), and only the chart-free checks below read this encounter.
    enc = Encounter.model_construct(
        encounter_id=written.claim_id, date_of_service=written.date_of_service, setting=written.setting,
        place_of_service=written.claim.place_of_service, type_of_bill=written.claim.type_of_bill,
        payer=written.payer, diagnoses=list(written.claim.diagnoses), drugs=[], administrations=[], fluids=[],
        pump_log=[], claim=written.claim, claim_id=written.claim_id, billing_provider=written.billing_provider,
        rendering_provider=written.rendering_provider, ordering_provider=written.ordering_provider,
        patient=written.patient, subscriber=written.subscriber, correction=written.correction,
        filing_date=None,
    )
    # --filing-date (`filing_date`) beats the 837's BHT04 (readers/scrub.scrub_one says why)
    enc = filed_on(enc, filing_date)
    if enc.filing_date is None:
        enc = enc.model_copy(update={"filing_date": written.created})
    prof = resolve_profile(enc, ref, profile)
    rules = ref.at(written.date_of_service, prof)  # enough to tell an IG claim; its checks need _rules' date
    coding = Coding(enc, prof, {}, [], written.claim, [], rules=rules)
    ctx = EditContext(coding, ref, written.claim, charges=written.charges, made=written.created)
    findings: list[Finding] = []
    ran: set[str] = set()
    if not any(is_drug_code(ctx, code_of(ln)) for ln in written.claim.lines):
        codes = ", ".join(dict.fromkeys(code_of(ln) for ln in written.claim.lines)) or "none"
        findings.append(finding("CLAIM-NO-IG", f"Claim {written.claim_id} bills no immune globulin ({codes}); "
                                "igclaim's edits were not run on it."))
    else:
        _rules(ref, written.date_of_service, prof)  # an IG claim dated before the profile's rules: an input error
        for spec, fn in CHECKS:
            if (spec.phase == "written" or fn in chart_free.CHART_FREE) and spec.in_force(written.date_of_service):
                ran.add(spec.id)
                if fn in WHEN and not WHEN[fn].holds(ctx):
                    continue  # what it needs is not there (a home rule on an office claim …), as run_checks skips it
                for f in fn(ctx):
                    if f not in findings:
                        findings.append(f)
        own = {"SCRUB-NO-CHART", "CLAIM-NO-IG"}
        skipped = sorted(i for i in SPECS if i not in ran and i not in own)
        findings.append(finding("SCRUB-NO-CHART", f"No chart for claim {written.claim_id}: {len(ran)} edits that need "
                                f"none ran; skipped (they need the chart): {', '.join(skipped)}."))
    for note in written.notes:
        findings.append(finding("SCRUB-NO-CHART", f"Read from the 837: {note}."))
    result = Result(
        encounter_id=written.claim_id, claim=written.claim, findings=one_per_mistake(findings),
        reference=ReferenceInfo(data_as_of=ref.data_as_of.isoformat(), profile=prof.name, sources=ref.sources),
    )
    price_result(result, rules)
    return result
