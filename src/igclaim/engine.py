"""The two entry points every interface calls: `build` (chart → expected claim + chart findings) and
`scrub` (a written claim compared with the chart). Pure: no I/O beyond the reference data loaded once."""

from __future__ import annotations

import importlib
import pkgutil

from igclaim import edits as edits_pkg
from igclaim.coding.claim import code_encounter
from igclaim.coding.payment import price_result
from igclaim.edits.context import EditContext
from igclaim.edits.registry import Phase, run_checks
from igclaim.errors import InputError
from igclaim.model import Encounter, Finding, ReferenceInfo, Result
from igclaim.refdata.resolver import PayerProfile, ProfileError, ReferenceData, reference

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
        return ref.default_profile(enc.payer.type)
    except ProfileError as exc:
        raise InputError("payer.profile", str(exc)) from None


def _run(enc: Encounter, phases: list[Phase], ref: ReferenceData | None, profile: str | None,
         written=None) -> Result:
    _load_edit_families()
    ref = ref or reference()
    prof = resolve_profile(enc, ref, profile)
    coding = code_encounter(enc, ref, prof)
    ctx = EditContext(coding, ref, written)
    findings: list[Finding] = []
    for f in [*coding.findings, *run_checks(ctx, phases)]:
        if f not in findings:
            findings.append(f)
    result = Result(
        encounter_id=enc.encounter_id,
        claim=coding.claim,
        findings=findings,
        reference=ReferenceInfo(data_as_of=ref.data_as_of.isoformat(), profile=prof.name, sources=ref.sources),
    )
    drug_codes = {f.path: f.code for f in coding.drugs.values() if f.code}
    price_result(result, enc.date_of_service, ref, prof, written, drug_codes)  # payment post-step (coding/payment.py)
    return result


def build(enc: Encounter, *, ref: ReferenceData | None = None, profile: str | None = None) -> Result:
    """The claim that should be billed for the chart, with the chart's findings."""
    return _run(enc, ["chart"], ref, profile)


def scrub(enc: Encounter, *, ref: ReferenceData | None = None, profile: str | None = None) -> Result:
    """Compare the claim a person wrote (enc.claim) with the chart; findings point at the written lines."""
    if enc.claim is None:
        raise InputError("claim", "scrub needs the claim a person wrote (use build to code the chart)")
    return _run(enc, ["chart", "claim"], ref, profile, written=enc.claim)
