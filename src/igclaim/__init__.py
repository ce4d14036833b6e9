"""igclaim: code immune globulin (IVIG/SCIG) infusion visits into correct US medical claims, and scrub the
claims people write before they go out.

>>> from igclaim import build, parse_encounter
>>> result = build(parse_encounter(encounter_dict))  # doctest: +SKIP
"""

from igclaim import _native

_native.use()  # before any compiled module is imported: a stale build must not run (igclaim/_native.py)

from igclaim.engine import build, scrub  # noqa: E402
from igclaim.inputs import InvalidInput, parse_encounter  # noqa: E402
from igclaim.model import Claim, ClaimLine, Encounter, Finding, Result  # noqa: E402

__all__ = ["build", "scrub", "parse_encounter", "InvalidInput", "Encounter", "Claim", "ClaimLine", "Finding",
           "Result"]
__version__ = "0.1.0"
