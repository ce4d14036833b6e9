"""Edits raised by the team service's authorization ledger (igclaim.service.ledger), which alone knows what
earlier exported claims used of an authorization. Declared here so the catalog lists them."""

from __future__ import annotations

from igclaim.edits.registry import declare

PRIOR_AUTH = "https://www.cms.gov/medicare/coverage/prior-authorization"

declare(
    "AUTH-EXHAUSTED",
    severity="error",
    statement="the visit bills more than is left of the prior authorization after the claims already exported",
    fix="Ask the plan for more units (or visits) before billing, or bill only what the authorization still covers.",
    source=PRIOR_AUTH,
)
declare(
    "AUTH-EXPIRING",
    severity="warning",
    statement="the prior authorization ends soon, or what is left after this visit would not cover another like it",
    fix="Request the renewal or an increase now, so the next infusion is not delayed or denied.",
    source=PRIOR_AUTH,
)
declare(
    "AUTH-CORRECTION-UNLINKED",
    severity="warning",
    statement="a corrected claim under an encounter id never exported, while another encounter of the member, payer "
              "and date of service holds units of a prior authorization: the ledger would not replace that use",
    fix="File the corrected claim (or void) under the encounter id of the claim it corrects, so its export replaces "
        "that claim's use of the authorization.",
    source=PRIOR_AUTH,
)
