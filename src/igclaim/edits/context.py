"""What an edit reads: the coded chart (facts and expected claim), the reference data and, on scrub,
the claim a person wrote."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from igclaim.coding.claim import Coding
from igclaim.model import Claim, ClaimLine, Encounter, WrittenCharges
from igclaim.refdata.resolver import PayerProfile, ReferenceData, SupplyUnits
from igclaim.refdata.rules import Rules

T = TypeVar("T")
_MISSING: Any = object()
_NO_BASES: frozenset[str] = frozenset()


def code_of(line: ClaimLine) -> str:
    """A written line's code as the edits compare it: a person's text, so stripped and upper-case."""
    return line.code.strip().upper()


@dataclass(init=False)
class EditContext:
    """Read by ~100 checks per claim: the facts they share are plain attributes, set once, not properties."""

    coding: Coding
    ref: ReferenceData
    written: Claim | None = None
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)
    # The dated rule snapshot the chart was coded with: what the edits read (codes, modifiers, parameters, the
    # imported tables in force).
    rules: Rules = field(init=False, repr=False)
    encounter: Encounter = field(init=False, repr=False)
    dos: date = field(init=False, repr=False)
    expected: Claim = field(init=False, repr=False)
    # The claim that goes out: the written one on scrub, the expected one on build.
    billed: Claim = field(init=False, repr=False)
    profile: PayerProfile = field(init=False, repr=False)
    # The written claim's lines normalised once per claim (Issue 10: lines normalised once, looked up by key): the
    # code of each line (`code_of`), in line order, and the set of them. Empty on build.
    written_codes: tuple[str, ...] = field(init=False, repr=False)
    written_code_set: frozenset[str] = field(init=False, repr=False)
    # The unit bases other than units its lines give (MJ, DA; ClaimLine.unit_basis): empty on build and on most
    # written claims, whose lines CLAIM-UNITS-MINUTES and CLAIM-UNITS-DAYS then need not look at.
    written_bases: frozenset[str] = field(init=False, repr=False)
    # What the written claim charges, where it carries charges (an 837's CLM02 and line charges); None otherwise.
    charges: WrittenCharges | None = None
    # The day the written claim's 837 was made (BHT04), where it was read from one; None otherwise.
    made: date | None = None

    # Written out (not dataclass's): mypyc compiles it, as coding/drug.py's stage values (tests/test_coding_memo.py).
    def __init__(self, coding: Coding, ref: ReferenceData, written: Claim | None = None,
                 _memo: dict[str, Any] | None = None, charges: WrittenCharges | None = None,
                 made: date | None = None) -> None:
        self.coding, self.ref, self.written, self.charges, self.made = coding, ref, written, charges, made
        self._memo = {} if _memo is None else _memo
        self.rules = self.coding.rules
        self.encounter = self.coding.encounter
        self.dos = self.rules.dos
        self.expected = self.coding.claim
        self.billed = self.written if self.written is not None else self.expected
        self.profile = self.coding.profile
        self.written_codes = tuple([code_of(ln) for ln in self.written.lines]) if self.written is not None else ()
        self.written_code_set = frozenset(self.written_codes)
        self.written_bases = frozenset([ln.unit_basis for ln in self.written.lines if ln.unit_basis is not None]
                                       ) if self.written is not None else _NO_BASES

    def written_modifiers(self) -> frozenset[str]:
        """Every modifier on the written claim's lines, as the edits compare them (stripped, upper case), once per
        claim: a check whose modifiers are on none of them has nothing to look for line by line. Empty on build."""
        return self.once("context.written_modifiers", _written_modifiers)

    def home_dme(self) -> bool:
        """A home claim under a profile whose `home_rules` is medicare-dme: the DME MACs' rules (Q2052, the pump, KX,
        no 9636x), not the professional ones."""
        return self.rules.home_dme(self.encounter.setting)

    def home_ivig(self) -> SupplyUnits | None:
        """How Medicare home IVIG is billed on the date (Q2052, its places, its days), when this claim is one: a
        Medicare home claim (`home_dme`) of an intravenous immune globulin, on a date with home supplies rules."""
        supply = self.rules.supply_units
        if supply is None or not self.home_dme():
            return None
        return supply if any(f.is_ig and f.route == "IV" for f in self.coding.drugs.values()) else None

    def once(self, key: str, compute: Callable[[EditContext], T]) -> T:
        """A value several edits of one claim need (e.g. the written lines of each drug), computed once."""
        value: T = self._memo.get(key, _MISSING)
        if value is _MISSING:
            value = self._memo[key] = compute(self)
        return value


def _written_modifiers(ctx: EditContext) -> frozenset[str]:
    if ctx.written is None:
        return frozenset()
    return frozenset([m.strip().upper() for ln in ctx.written.lines for m in ln.modifiers])
