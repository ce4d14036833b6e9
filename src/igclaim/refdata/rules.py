"""One dated rule snapshot per (date of service, payer profile, data version), like OpenFisca's `parameters(period)`.

`ReferenceData.at(dos, profile)` resolves everything coding and the edits read for that date once: the codes and
modifiers in force, the add-on edits, the home supplies rule, the payer's parameters on the date, and the imported
tables in force. Coding and the edits then read attributes of this frozen object; they never ask the resolver, the
environment or a store again, and a claim coded from one snapshot never mixes two imported quarters.
"""

from __future__ import annotations

import dataclasses
import threading
from bisect import bisect_right
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, TypeVar

from igclaim.refdata import icd10, store
from igclaim.refdata.mac import BUNDLED_POLICY, HomeRule, Jurisdiction, Lookup, MacData, mac
from igclaim.refdata.resolver import (  # at run time: mypyc's compiled Rules reads its fields' classes
    AddonEdit,
    AdminCode,
    HcpcsCode,
    MueIndicator,
    Package,
    PayerProfile,
    Period,
    Product,
    ReferenceData,
    SupplyUnits,
    TimeRules,
)

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
_MISSING: Any = object()
# Answers remembered per snapshot (`Rules.once`): keyed by small inputs (a code, a kind of claim), so bounded.
MEMO_LIMIT = 512  # ~14 in use per snapshot on the generator mix
SPAN_LIMIT = 16_384  # per span (`once_alike`): what a span answers grows with the distinct charts of its dates
# ... and by every snapshot of one memo (`Snapshots`) together: a diagnosis code is one key per snapshot, so charts of
# thousands of dates with many distinct diagnoses would otherwise fill 8,192 snapshots × 512 answers (~800 bytes
# each: gigabytes). 65,536 answers are ~50 MB; a year of dates under five profiles uses ~25,000.
MEMO_BUDGET = 65_536


class _Budget:
    """The answers remembered by the snapshots of one `Snapshots` memo, counted against MEMO_BUDGET: when full,
    every snapshot it holds forgets its answers (they are recomputed on demand), so memory stays flat."""

    __slots__ = ("used", "holders", "lock")

    def __init__(self, holders: Mapping[Any, Rules], lock: threading.RLock) -> None:
        self.used = 0
        self.holders = holders  # the memo's snapshots
        self.lock = lock

    def spend(self) -> None:
        self.used += 1
        if self.used > MEMO_BUDGET:
            with self.lock:
                for rules in list(self.holders.values()):
                    rules.memo.clear()
                    rules.alike.clear()
                self.used = 0


_UNCOUNTED = _Budget({}, threading.RLock())  # a snapshot made outside a memo (`Rules.on`'s, tests'): its own bound only


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything coding and the edits read for one date of service under one payer profile."""

    dos: date
    profile: PayerProfile
    catalog: ReferenceData = field(repr=False)  # the bundled catalog (products, codes by date): read through below
    tables: store.Tables = field(repr=False)  # the imported CMS tables in force when the snapshot was made
    params: Mapping[str, Any]  # the payer profile's parameters on the date of service
    codes: Mapping[str, HcpcsCode]  # HCPCS records in force on the date
    modifiers: frozenset[str]  # modifiers valid on the date
    addons: Mapping[str, AddonEdit]  # NCCI add-on edits in force on the date
    supply_units: SupplyUnits | None  # Medicare home IVIG supplies on the date (None: the J-code alone)
    pump_places: tuple[str, ...]  # the places of service of a Medicare home SCIG (pump) claim on the date
    time: TimeRules
    distinct_modifiers: frozenset[str]
    version: tuple[str, int, int]  # the imported data's stamp (refdata/store.py)
    icd10: icd10.Releases = field(repr=False)  # the ICD-10-CM releases of this data version (bundled + imported)
    mac: MacData = field(repr=False)  # the Medicare contractors' coverage lists (bundled; imported lists by tables)
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)  # see `once`
    budget: _Budget = field(default=_UNCOUNTED, compare=False, repr=False)  # shared by the memo's snapshots
    # Shared by the snapshots of every date of one span on which no reference data changes (`once_alike`).
    alike: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def once(self, key: Any, compute: Callable[[Rules], T]) -> T:
        """A pure function of this snapshot and a small hashable key (which checks apply to a kind of claim, a
        code's facts on the date), computed once per snapshot: every claim of the same date and profile reuses it."""
        memo = self.memo
        hit: T = memo.get(key, _MISSING)  # one lookup: the key (a tuple) is hashed once
        if hit is not _MISSING:
            return hit
        return self._remember(key, compute(self))

    def once_for(self, key: K, compute: Callable[[Rules, K], T]) -> T:
        """`once` for a compute that reads its inputs from the key (`compute(snapshot, key)`), so a caller asking per
        claim line passes a module function instead of making a closure on every call."""
        memo = self.memo
        hit: T = memo.get(key, _MISSING)
        if hit is not _MISSING:
            return hit
        return self._remember(key, compute(self, key))

    def once_alike(self, key: Any, compute: Callable[[Rules], T]) -> T:
        """`once`, for a compute whose answer depends on the date only through the reference data in force on it
        (codes, modifiers, payer parameters, tables, contractors' lists, ICD-10-CM releases): no date in its text,
        no arithmetic on the date, no edit's dates (the registry keeps its own intervals). Remembered for every
        date of the span the snapshot's date falls in: the dates of one calendar quarter (CMS's cycle of updates)
        on which no dated value of the data changes (`Snapshots`), under this profile and data version, so a new
        date of a span already seen does not work it out again. tests/test_rules_alike.py moves charts onto both
        sides of every change."""
        alike = self.alike
        hit: T = alike.get(key, _MISSING)
        if hit is not _MISSING:
            return hit
        value = compute(self)
        if len(alike) >= SPAN_LIMIT:
            alike.clear()
        self.budget.spend()
        alike[key] = value
        return value

    def _remember(self, key: Any, value: T) -> T:
        """Keep an answer of `once`/`once_for`, the memo cleared first when full (memory stays flat)."""
        memo = self.memo
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        self.budget.spend()
        memo[key] = value
        return value

    # --- dated answers, resolved for self.dos -------------------------------------------------------------------
    def param(self, name: str) -> Any:
        """The payer profile's parameter on the date of service (None before its first dated value)."""
        try:
            return self.params[name]
        except KeyError:
            raise KeyError(f"payer profile {self.profile.name!r} has no parameter {name!r}") from None

    def has_param(self, name: str) -> bool:
        return name in self.params

    def home_dme(self, place: str | None) -> bool:
        """A home claim under a profile whose `home_rules` is medicare-dme: the DME MACs' rules (Q2052, the pump, KX,
        the drug dispensed for the patient to give, no 9636x), not the professional ones."""
        return place == "home" and self.params.get("home_rules") == "medicare-dme"

    def hcpcs(self, code: str) -> HcpcsCode | None:
        """The code's record in force on the date of service."""
        return self.codes.get(code.upper())

    def modifier_valid(self, code: str) -> bool:
        return code in self.modifiers

    @property
    def department_modifiers(self) -> frozenset[str]:
        """Every modifier a hospital department's place puts on its lines (PO, PN), whatever the date."""
        return self.catalog.department_modifiers

    def department_modifier(self, department: str | None) -> str | None:
        """PO/PN for a hospital outpatient department off campus on the date, where the profile asks for them."""
        if department is None or not self.params.get("department_modifiers_required"):
            return None
        return self.catalog.department_modifier(department, self.dos)

    def acquired_340b_modifier(self, setting: str | None) -> str | None:
        """The 340B modifier a 340B-acquired, separately payable drug line of this setting carries on the date
        (profile `acquired_340b_settings`, `acquired_340b_modifiers`: the first accepted one valid on the date)."""
        if setting not in (self.params.get("acquired_340b_settings") or ()):
            return None
        return next((m for m in self.params.get("acquired_340b_modifiers") or () if self.modifier_valid(m)), None)

    def product_nos_code(self, product: Product) -> str | None:
        """The NOS code a product without a code of its own is billed with on the date (one rule: the resolver's)."""
        return self.catalog.product_nos_code(product, self.dos)

    def addon_primaries(self, code: str) -> AddonEdit | None:
        return self.addons.get(code)

    # --- diagnoses: ICD-10-CM and the Medicare contractors' lists of this data version, on self.dos ------------
    def dx_billable(self, code: str) -> bool | None:
        """Whether the diagnosis is billable in the release in force on the date (None: no release covers it)."""
        return self.icd10.is_billable(code, self.dos)

    def ab_lookup(self, contractor: str) -> Lookup:
        """The A/B MAC lists (jurisdiction or article id) in force on the date, imported lists of these tables first."""
        return self.mac.ab_lookup(contractor, self.dos, self.tables)

    def home_lookup(self, route: str, hcpcs: str | None) -> tuple[Lookup, HomeRule | None] | None:
        return self.mac.home_lookup(route, hcpcs, self.dos, self.tables)

    def product_only(self, route: str, hcpcs: str | None, diagnoses: list[str]) -> HomeRule | None:
        return self.mac.product_only(route, hcpcs, diagnoses, self.dos, self.tables)

    def home_not_covered_certain(self, diagnoses: list[str], route: str | None, hcpcs: str | None) -> bool:
        """A Medicare home claim's immune globulin that the DME MAC list (the bundled home policy) certainly does not
        cover for these diagnoses: coding leaves KX (the coverage criteria are met) off its lines, as
        PAYER-ABN-MODIFIER asks for GA/GZ instead. An uncertain verdict (unread range, a note, a product limit igclaim
        did not read, a date before the snapshot) keeps KX: only the biller can tell then."""
        if route is None or not self.profile.original_medicare \
                or self.param("home_coverage_policy") != BUNDLED_POLICY["home_coverage_policy"]:
            return False
        dx = [d for d in diagnoses if self.dx_billable(d) is not False]
        found = self.home_lookup(route, hcpcs)
        if not dx or found is None:
            return False
        lookup, rule = found
        if lookup.status(dx, rule).kind != "not_covered":
            return False
        only = self.product_only(route, hcpcs, dx)
        return not (only is not None and only.products_note)

    def jurisdiction_for_state(self, state: str) -> Jurisdiction | None:
        return self.mac.jurisdiction_for_state(state)

    def parse_contractor(self, value: str) -> str:
        return self.mac.parse_contractor(value)

    def known_contractor(self, contractor: str) -> bool:
        """A jurisdiction, or an article id with a list on the date (bundled, or imported in these tables)."""
        return contractor in self.mac.jurisdictions or self.mac.known_article(contractor, self.dos, self.tables)

    def earliest_data(self) -> date | None:
        """The first date any dated reference data of this snapshot is in force (HCPCS records, ICD-10-CM releases):
        both remembered per data version, never rebuilt per claim."""
        starts = [d for d in (self.icd10.earliest, self.catalog.first_code_date) if d is not None]
        return min(starts) if starts else None

    def on(self, day: date) -> Rules:
        """The snapshot of another date (a line served past midnight) with the same profile and the same tables."""
        return self if day == self.dos else _build(self.catalog, day, self.profile, self.tables, self.version,
                                                   self.icd10)

    # --- the catalog, whatever the date -------------------------------------------------------------------------
    def known_code(self, code: str) -> HcpcsCode | None:
        return self.catalog.known_code(code)

    def admin(self, code: str) -> AdminCode | None:
        return self.catalog.admin_codes.get(code)

    @property
    def admin_codes(self) -> Mapping[str, AdminCode]:
        return self.catalog.admin_codes

    def admin_code_for(self, role: str, family: str, facility_only: bool = False) -> AdminCode:
        return self.catalog.admin_code_for(role, family, facility_only)

    def modifier_for(self, role: str) -> str:
        return self.catalog.modifier_for(role)

    def modifier_period(self, code: str) -> Period | None:
        """The dates a modifier of refdata/cms/modifiers.toml is valid (None: a modifier the table does not list)."""
        return self.catalog.modifiers.get(code)

    def mue_indicator(self, mai: int) -> MueIndicator:
        """How an MUE of this adjudication indicator is applied (refdata/cms/ncci.toml)."""
        return self.catalog.mue_indicator(mai)

    def setting(self, name: str) -> dict[str, Any]:
        return self.catalog.setting(name)

    @property
    def products(self) -> list[Product]:
        return self.catalog.products

    def find_products(self, name: str) -> list[Product]:
        return self.catalog.find_products(name)

    def products_for_code(self, code: str) -> list[Product]:
        return self.catalog.products_for_code(code)

    def package_by_ndc(self, ndc11: str) -> tuple[Product, Package] | None:
        return self.catalog.package_by_ndc(ndc11)


def _build(ref: ReferenceData, dos: date, profile: PayerProfile, tables: store.Tables,
           version: tuple[str, int, int], releases: icd10.Releases | None = None,
           budget: _Budget = _UNCOUNTED, alike: dict[Any, Any] | None = None) -> Rules:
    # The snapshot holds the resolver's answers for the date: each dated lookup is written once, in the resolver;
    # answers that are the same for every date of an interval are resolved once per interval (`_Shared`).
    shared = _shared(ref)
    dated = shared.dated_on(dos)
    return Rules(
        dos=dos, profile=profile, catalog=ref, tables=tables,
        params=shared.params_on(profile, dos),
        codes=dated.codes,
        modifiers=dated.modifiers,
        addons=dated.addons,
        supply_units=dated.supply_units,
        pump_places=dated.pump_places,
        time=ref.time,
        distinct_modifiers=ref.distinct_modifiers,
        version=version,
        icd10=releases if releases is not None else icd10.held(tables),
        mac=mac(),
        budget=budget,
        alike={} if alike is None else alike,
    )


@dataclass(frozen=True, slots=True)
class _Dated:
    """The catalog's dated answers on one date: the same for every date between two of its change dates."""

    codes: Mapping[str, HcpcsCode]
    modifiers: frozenset[str]
    addons: Mapping[str, AddonEdit]
    supply_units: SupplyUnits | None
    pump_places: tuple[str, ...]


def _resolve(ref: ReferenceData, dos: date) -> _Dated:
    codes = {code: rec for code in ref.codes if (rec := ref.hcpcs(code, dos)) is not None}
    addons = {code: edit for code in ref.addon_edits if (edit := ref.addon_primaries(code, dos)) is not None}
    return _Dated(codes=MappingProxyType(codes),
                  modifiers=frozenset(m for m in ref.modifiers if ref.modifier_valid(m, dos)),
                  addons=MappingProxyType(addons), supply_units=ref.home_supply_units(dos),
                  pump_places=ref.home_pump_places(dos))


class _Shared:
    """What snapshots of one catalog share: its dated answers per interval between its change dates
    (`ReferenceData.change_dates`), and each payer profile's parameters per interval between the dates its values
    start. A new date of an interval already seen costs a lookup, not a walk over every code and parameter.
    Bounded: one entry per interval of the data, parameters cleared past PARAMS_LIMIT."""

    PARAMS_LIMIT = 4096

    def __init__(self, ref: ReferenceData) -> None:
        self.ref = ref
        self.bounds = ref.change_dates
        self.dated: dict[int, _Dated] = {}
        # (profile name, path) -> (profile, the sorted dates its parameters' values start)
        self.starts: dict[tuple[str, str], tuple[PayerProfile, tuple[date, ...]]] = {}
        self.params: dict[tuple[str, str, int], tuple[PayerProfile, Mapping[str, Any]]] = {}

    def dated_on(self, dos: date) -> _Dated:
        interval = bisect_right(self.bounds, dos)
        hit = self.dated.get(interval)
        if hit is None:
            hit = self.dated[interval] = _resolve(self.ref, dos)
        return hit

    def params_on(self, profile: PayerProfile, dos: date) -> Mapping[str, Any]:
        """The profile's parameters on the date (`Parameter.at`: each the latest value started on or before it)."""
        name = (profile.name, profile.path)
        known = self.starts.get(name)
        if known is None or known[0] is not profile:
            days = {start for p in profile.parameters.values() for start, _ in p.values}
            known = self.starts[name] = (profile, tuple(sorted(days)))
        key = (*name, bisect_right(known[1], dos))
        hit = self.params.get(key)
        if hit is None or hit[0] is not profile:
            if len(self.params) >= self.PARAMS_LIMIT:
                self.params.clear()
                self.starts.clear()
            hit = self.params[key] = (profile, MappingProxyType({n: p.at(dos) for n, p in profile.parameters.items()}))
        return hit[1]


_SHARED: list[_Shared] = []


def dates_in(value: object) -> set[date]:
    """Every date a value of reference data holds, however nested (dataclasses, mappings, sequences, sets), its
    private caches (fields named with a leading underscore) left out: where a dated answer can change."""
    out: set[date] = set()
    stack: list[object] = [value]
    seen: set[int] = set()
    while stack:
        v = stack.pop()
        if isinstance(v, date):
            out.add(v.date() if isinstance(v, datetime) else v)
        elif v is None or isinstance(v, str | bytes | int | float | Decimal) or id(v) in seen:
            continue
        elif isinstance(v, Mapping):
            seen.add(id(v))
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list | tuple | set | frozenset):
            seen.add(id(v))
            stack.extend(v)
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            seen.add(id(v))
            stack.extend(getattr(v, f.name) for f in dataclasses.fields(v) if not f.name.startswith("_"))
    return out


def _shared(ref: ReferenceData) -> _Shared:
    """The shared answers of this catalog (one per process in practice; a few kept, by identity)."""
    for s in _SHARED:
        if s.ref is ref:
            return s
    s = _Shared(ref)
    _SHARED[:] = [s, *_SHARED[:3]]
    return s


class Snapshots:
    """Memo of snapshots for one ReferenceData: per (date, profile) for the data version in force. A new import
    (its stamp changed) starts a new memo; the memo is bounded, so memory stays flat over any input."""

    LIMIT = 8192
    PROFILES_LIMIT = 64  # (profile, releases) pairs whose span bounds are kept: a batch may name many profile files

    def __init__(self, ref: ReferenceData) -> None:
        self.ref = ref
        self._memo: dict[tuple[date, str, str], Rules] = {}
        self._tables: store.Tables | None = None
        self._lock = threading.RLock()  # re-entrant: a budget spent while a snapshot is made clears under it
        self._budget = _Budget(self._memo, self._lock)
        # `Rules.alike` per span, and each (profile, releases)'s span bounds; both hold the objects they key by id.
        self._alike: dict[tuple[int, int, int, int, int], dict[Any, Any]] = {}
        self._bounds: dict[tuple[int, int], tuple[PayerProfile, icd10.Releases, tuple[date, ...]]] = {}
        self._catalog_dates: frozenset[date] | None = None

    def at(self, dos: date, profile: PayerProfile) -> Rules:
        version, tables = store.in_force()
        releases = icd10.held(tables)  # the same object until an import or a registration changes the releases
        key = (dos, profile.name, profile.path)
        hit = self._memo.get(key)
        if hit is not None and hit.tables is tables and hit.profile is profile and hit.icd10 is releases:
            return hit
        with self._lock:
            if self._tables is not tables or len(self._memo) >= self.LIMIT:
                self._memo = {}
                self._tables = tables
                self._budget = _Budget(self._memo, self._lock)
                self._alike, self._bounds = {}, {}
            span = self._span(dos, profile, releases)
            alike = self._alike.get(span)
            if alike is None:
                if len(self._alike) >= self.LIMIT:
                    self._alike = {}
                alike = self._alike[span] = {}
            rules = _build(self.ref, dos, profile, tables, version, releases, self._budget, alike)
            self._memo[key] = rules
        return rules

    def _span(self, dos: date, profile: PayerProfile, releases: icd10.Releases) -> tuple[int, int, int, int, int]:
        """Which span holds the date: its calendar quarter, and which interval between the days on which any dated
        value of the reference data in force changes (each date it holds and the day after: a value that starts, or one
        that ends, there), for this profile and these releases (the tables are the memo's own)."""
        key = (id(profile), id(releases))
        known = self._bounds.get(key)
        if known is None or known[0] is not profile or known[1] is not releases:
            if len(self._bounds) >= self.PROFILES_LIMIT:
                # Forgotten together: a span's answers are keyed by the ids of the objects `_bounds` holds alive.
                self._bounds, self._alike = {}, {}
            known = self._bounds[key] = (profile, releases, self.bounds(profile, releases))
        return (*key, dos.year, (dos.month - 1) // 3, bisect_right(known[2], dos))

    def bounds(self, profile: PayerProfile, releases: icd10.Releases) -> tuple[date, ...]:
        """The days a dated value of the reference data in force may change on, sorted: each date the catalog, the
        contractors' lists, the profile's parameters, the tables' files and the ICD-10-CM releases hold, and the
        day after it."""
        if self._catalog_dates is None:
            self._catalog_dates = self.ref.dates | mac().dates
        tables = self._tables
        days = self._catalog_dates | dates_in(profile.parameters) | set(tables.bounds if tables else ())
        days |= {d for r in releases.all for d in (r.effective, r.ends) if d is not None}
        return tuple(sorted(days | {d + timedelta(days=1) for d in days if d < date.max}))
