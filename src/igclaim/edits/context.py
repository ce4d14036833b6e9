"""What an edit reads: the coded chart (facts and expected claim), the reference data and, on scrub,
the claim a person wrote."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from igclaim.coding.claim import Coding
from igclaim.model import Claim, Encounter
from igclaim.refdata.resolver import PayerProfile, ReferenceData
from igclaim.refdata.rules import Rules

T = TypeVar("T")


@dataclass
class EditContext:
    coding: Coding
    ref: ReferenceData
    written: Claim | None = None
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def once(self, key: str, compute: Callable[[EditContext], T]) -> T:
        """A value several edits of one claim need (e.g. the written lines of each drug), computed once."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        value: T = self._memo[key]
        return value

    @property
    def rules(self) -> Rules:
        """The dated rule snapshot the chart was coded with: what the edits read (codes, modifiers, parameters,
        the imported tables in force)."""
        return self.coding.rules

    @property
    def encounter(self) -> Encounter:
        return self.coding.encounter

    @property
    def dos(self) -> date:
        return self.coding.rules.dos

    @property
    def expected(self) -> Claim:
        return self.coding.claim

    @property
    def billed(self) -> Claim:
        """The claim that goes out: the written one on scrub, the expected one on build."""
        return self.written if self.written is not None else self.expected

    @property
    def profile(self) -> PayerProfile:
        return self.coding.profile
