"""Prior-authorization edits: required by the payer profile (`prior_authorization_required`), in force on the date
of service, and large enough for the units (or grams) billed. Original Medicare has none for IVIG; Medicare
Advantage and commercial plans commonly do (reference.md §7).

These are facts of the chart, so they run on build; on scrub they count the units of the written claim.
"""

from __future__ import annotations

from igclaim.edits.context import EditContext, code_of
from igclaim.edits.drug import is_drug_code, mods, waste_mod
from igclaim.edits.registry import When, edit, finding
from igclaim.model import ClaimLine, Finding, PriorAuthorization
from igclaim.refdata.dated import within

PRIOR_AUTH = "https://www.cms.gov/medicare/coverage/prior-authorization"
DISCARD_PARAM = "discarded_units_against_authorization"  # a payer-profile parameter (refdata/payer-parameters.toml)


def _auth(ctx: EditContext) -> PriorAuthorization | None:
    return ctx.encounter.payer.prior_authorization


def _number(pa: PriorAuthorization) -> str:
    """How a finding names the authorization (its number may be missing: AUTH-MISSING says so)."""
    return pa.number or "(no number)"


@edit(
    "AUTH-MISSING",
    severity="error",
    statement="the payer requires prior authorization and none is recorded",
    fix="Obtain the plan's prior authorization before the infusion and record its number and dates.",
    source=PRIOR_AUTH,
    phase="chart",
    when=When(params=("prior_authorization_required",)),
)
def auth_missing(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    if not ctx.rules.param("prior_authorization_required"):
        return found
    pa = _auth(ctx)
    if pa is None or not (pa.number or "").strip():
        found.append(finding("AUTH-MISSING", f"{ctx.profile.title} requires prior authorization for immune globulin on "
                             f"{ctx.dos}, and payer.prior_authorization has no number."))
    return found


@edit(
    "AUTH-EXPIRED",
    severity="error",
    statement="the date of service is outside the authorization's dates",
    fix="Get the authorization extended (or a new one) covering the date of service.",
    source=PRIOR_AUTH,
    phase="chart",
    when=When(chart=("prior_authorization",)),
)
def auth_expired(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    pa = _auth(ctx)
    if pa is None:
        return found
    if not within(ctx.dos, pa.start, pa.end):
        found.append(finding("AUTH-EXPIRED", f"Authorization {_number(pa)} runs {pa.start or '…'} to "
                             f"{pa.end or '…'}; the date of service {ctx.dos} is outside it."))
    return found


def _ig_lines(ctx: EditContext, code: str | None) -> list[ClaimLine]:
    """The immune globulin lines that go out (the written claim's on scrub, else the expected claim's), of one code
    or (None) of any."""
    lines: list[tuple[ClaimLine, str]] = ctx.once("authorization.ig_lines", lambda c: [
        (ln, billed) for ln in c.billed.lines if is_drug_code(c, billed := code_of(ln))])
    return [ln for ln, billed in lines if code is None or billed == code]


@edit(
    "AUTH-UNITS",
    severity="error",
    statement="billed units exceed what the authorization allows",
    fix="Bill no more than the authorized amount, or ask the plan to raise the authorization before billing.",
    source=PRIOR_AUTH,
    phase="chart",
    when=When(chart=("prior_authorization",)),
)
def auth_units(ctx: EditContext) -> list[Finding]:
    found: list[Finding] = []
    pa = _auth(ctx)
    if pa is None:
        return found
    code = pa.hcpcs.strip().upper() if pa.hcpcs else None
    lines = _ig_lines(ctx, code)
    line = lines[0].line if ctx.written is not None and lines else None
    others = _ig_lines(ctx, None)
    if code and not lines and others:
        billed = sorted({code_of(ln) for ln in others})
        found.append(finding("AUTH-UNITS", f"Authorization {_number(pa)} is for {code}; the claim bills "
                             f"{', '.join(billed)}, for which no units are authorized.",
                             line=others[0].line if ctx.written is not None else None,
                      fix="Get the authorization corrected to the product given, or bill the authorized product."))
        return found
    if pa.units is not None and lines:
        jw = waste_mod(ctx)
        given = sum(ln.units for ln in lines if jw not in mods(ln))
        total = sum(ln.units for ln in lines)
        of = f" of {code}" if code else ""
        if given > pa.units:
            found.append(finding("AUTH-UNITS", f"{given} units{of} billed; authorization {_number(pa)} allows "
                                 f"{pa.units}.", line=line, impact_units=pa.units - given))
        elif total > pa.units and (counted := ctx.rules.param(DISCARD_PARAM)) != "not_counted":
            # The payer profile says whether JW units count against the authorization; "verify": plans differ.
            text = (" Plans differ on whether discarded units count against it." if counted == "verify" else
                    f" {ctx.profile.title} counts discarded units against it.")
            found.append(finding("AUTH-UNITS", f"{given} units{of} given + {total - given} discarded (JW) = {total}; "
                                 f"authorization {_number(pa)} allows {pa.units}.{text}", line=line,
                          severity="warning" if counted == "verify" else "error", impact_units=pa.units - total))
    if pa.grams is not None:
        facts = [f for f in ctx.coding.drugs.values() if f.is_ig and f.dose_grams is not None
                 and (code is None or f.code == code)]
        grams = sum(f.dose_grams for f in facts if f.dose_grams is not None)
        if facts and grams > pa.grams:
            units = sum(f.administered_units or 0 for f in facts)
            found.append(finding("AUTH-UNITS", f"{grams:g} g documented ({units} units); authorization "
                                 f"{_number(pa)} allows {pa.grams:g} g.", line=line))
    return found
