"""What an edit reads: the coded chart (facts and expected claim), the reference data and, on scrub,
the claim a person wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from igclaim.coding.claim import Coding
from igclaim.model import Claim, Encounter
from igclaim.refdata.resolver import PayerProfile, ReferenceData


@dataclass
class EditContext:
    coding: Coding
    ref: ReferenceData
    written: Claim | None = None

    @property
    def encounter(self) -> Encounter:
        return self.coding.encounter

    @property
    def dos(self) -> date:
        return self.coding.encounter.date_of_service

    @property
    def expected(self) -> Claim:
        return self.coding.claim

    @property
    def profile(self) -> PayerProfile:
        return self.coding.profile
