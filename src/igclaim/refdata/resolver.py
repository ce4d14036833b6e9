"""Reference data by date of service: one resolver over the bundled, dated TOML files.

Everything is loaded once per process (`reference()`), then answered from memory, so coding stays pure
and the same object serves the CLI, the web service and each batch worker.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache, cached_property, lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, get_args

from igclaim import ndc as ndc_mod
from igclaim.errors import did_you_mean
from igclaim.model import PayerType
from igclaim.refdata.cache import kept
from igclaim.refdata.dated import within

if TYPE_CHECKING:
    from igclaim.refdata.rules import Rules
    from igclaim.refdata.store import Tables

_ROOT = resources.files("igclaim.refdata")


def bill_types(classes: list[str], joiner: str = ", ") -> str:
    """Types of bill as billers write them, by class ("13" is 013x): the catalog's statement and FORM-BILL-TYPE's
    message both spell them so."""
    return joiner.join(f"0{c}x" for c in classes)


def _load(rel: str) -> dict[str, Any]:
    return tomllib.loads((_ROOT / rel).read_text(encoding="utf-8"))


@cache
def state_codes() -> frozenset[str]:
    """The USPS state, territory and military codes an address may carry (refdata/usps-states.toml)."""
    return frozenset(_load("usps-states.toml")["codes"])


@dataclass(frozen=True)
class QuantityElement:
    """An 837 service line's quantity element and the unit bases its guide lists (refdata/837-unit-bases.toml): the
    837P's SV103 (segment SV1) UN or MJ, the 837I's SV204 (segment SV2) UN or DA. `names` names every basis of the
    table as messages say it (UN units, MJ minutes, DA days)."""

    transaction: str  # 837P | 837I
    segment: str
    element: str
    bases: tuple[str, ...]
    names: Mapping[str, str] = field(hash=False, compare=False)


@cache
def quantity_elements() -> dict[str, QuantityElement]:
    """The quantity element of each 837 transaction (837P, 837I), read by the 837 reader and by the form edits."""
    raw = _load("837-unit-bases.toml")
    names = MappingProxyType({str(k): str(v) for k, v in raw["names"].items()})
    return {kind: QuantityElement(kind, q["segment"], q["element"], tuple(q["bases"]), names)
            for kind, q in raw["quantity"].items()}


def _as_date(v: Any) -> date | None:
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v))


@dataclass(frozen=True)
class Period:
    """A value's validity: effective on or after `effective`, through `ends` (inclusive)."""

    effective: date | None = None
    ends: date | None = None

    def covers(self, dos: date) -> bool:
        return within(dos, self.effective, self.ends)


def _change_dates(periods: list[Period]) -> tuple[date, ...]:
    """The sorted dates on which one of these periods starts or has just ended (see `ReferenceData.change_dates`)."""
    days = {p.effective for p in periods if p.effective is not None}
    days |= {p.ends + timedelta(days=1) for p in periods if p.ends is not None and p.ends < date.max}
    return tuple(sorted(days))


@dataclass(frozen=True)
class HcpcsCode:
    code: str
    descriptor: str
    kind: str  # ig | ig_nos | recognition | service
    period: Period
    source: str
    unit_mg: int | None = None
    routes: tuple[str, ...] = ()
    form: str | None = None
    settings: tuple[str, ...] = ()  # empty: every setting; else only these (OPPS pass-through C-codes)
    paid_per: str | None = None  # "date": one bundled payment per service date, whatever the units


@dataclass(frozen=True)
class Package:
    grams: Decimal
    ml: Decimal | None
    ndc: str | None  # 11 digits
    source: str
    verified: date | None = None


@dataclass(frozen=True)
class ProductCode:
    code: str
    period: Period
    settings: tuple[str, ...] = ()  # empty: every setting; else its HCPCS record's (a pass-through C-code)

    def applies(self, dos: date, setting: str | None) -> bool:
        return self.period.covers(dos) and (not self.settings or setting in self.settings)


@dataclass(frozen=True)
class LabelIndication:
    """Diagnoses a label names for a use (products.toml `label_indication`): ICD-10-CM prefixes, less exceptions."""

    name: str
    prefixes: tuple[str, ...]
    excepted: tuple[str, ...]
    source: str

    def names(self, diagnosis: str) -> bool:
        """The diagnosis (dotted, upper case) is one of the indication's codes."""
        return diagnosis.startswith(self.prefixes) and not diagnosis.startswith(self.excepted)


@dataclass(frozen=True)
class Product:
    name: str
    aliases: tuple[str, ...]
    labeler: str
    routes: tuple[str, ...]
    form: str  # liquid | powder | kit
    concentration_percent: Decimal | None
    codes: tuple[ProductCode, ...]
    packages: tuple[Package, ...]
    ndc_unit: str = "ML"
    code_uncertain: str | None = None
    # The subcutaneous route is labeled for this indication only (Gamunex-C: PI; ITP and CIDP intravenous only).
    sc_labeled_for: LabelIndication | None = None
    label: str | None = None  # the FDA-approved prescribing information

    def own_code(self, dos: date, setting: str | None = None) -> str | None:
        """The product's own HCPCS code on the date of service in this setting, if CMS had assigned one
        (a pass-through C-code counts only in the settings it names)."""
        for c in self.codes:
            if c.applies(dos, setting):
                return c.code
        return None

    def packages_of_size(self, grams: Decimal, ml: Decimal | None) -> list[Package]:
        """The labeled packages of one size: its grams, and its volume too when both are known (several NDCs may
        share a size: two labelers, vial and syringe). The grams decide: across the strengths of a bare brand, a
        100 mL vial of the 5 % product is not a 100 mL container of the 10 % one (5 g, not 10 g)."""
        return [p for p in self.packages if p.grams == grams and (ml is None or p.ml is None or p.ml == ml)]


@dataclass(frozen=True)
class AdminCode:
    code: str
    role: str
    meaning: str
    family: str | None = None
    route: str | None = None
    addon: str | None = None
    rank: int | None = None
    per_encounter: int | None = None
    facility_only: bool = False
    sites_at_once_one_span: bool = False  # overlapping services of one drug are one infusion (96369's site(s))
    sites_in_turn_one_span: bool = False  # and so are its sites used one after another with no gap (SC)


@dataclass(frozen=True)
class TimeRules:
    push_max_minutes: int
    hydration_min_minutes: int
    addon_beyond_minutes: int
    hour_minutes: int
    source: str
    push_source: str
    sc_injection_max_minutes: int = 15
    sc_injection_source: str = ""
    repeat_push_gap_minutes: int = 30
    repeat_push_source: str = ""


@dataclass(frozen=True)
class AddonEdit:
    """An NCCI add-on code edit row: the add-on is paid only beside one of its primary codes."""

    addon: str
    type: int
    primaries: tuple[str, ...]
    period: Period
    source: str


@dataclass(frozen=True)
class SupplyUnits:
    """How the Medicare home IVIG supplies code (Q2052) is counted on a date of service, and where it is billed."""

    code: str
    basis: str  # per_date | visit_quarter_hours
    unit_minutes: int
    round_up_from: int
    min_units: int
    source: str
    rounding_source: str
    # The places of service the drug and the supplies code may be billed with (a home or home-like one); empty when
    # the row lists none (the demonstration's), and then the place is not checked against a list.
    places: tuple[str, ...] = ()
    # How many days after the drug's date of service an infusion of it may be given (and its Q2052 dated); None
    # when the row says nothing (the demonstration's): every infusion then belongs to the date of service.
    within_days: int | None = None


@dataclass(frozen=True)
class MueIndicator:
    """What an MUE adjudication indicator (MAI) means: compare each line or the date's total; how severe."""

    mai: int
    basis: str  # line | date
    severity: str  # error | warning
    meaning: str


@dataclass(frozen=True)
class PtpIndicator:
    """What a PTP modifier indicator means: whether the edit applies and whether an NCCI modifier lets it pay."""

    indicator: int
    applies: bool
    modifier_allowed: bool
    rule: str


@dataclass(frozen=True)
class NcciRules:
    mue: dict[int, MueIndicator]
    ptp: dict[int, PtpIndicator]
    mue_source: str
    ptp_source: str


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    source: str
    values: tuple[tuple[date, Any], ...]  # sorted by date

    def since(self, value: Any) -> date | None:
        """The date from which the parameter holds this value (for messages that quote a rule's start)."""
        return next((start for start, v in self.values if v == value), None)

    def at(self, dos: date) -> Any:
        """The latest value whose date is on or before the date of service (None before the first)."""
        value = None
        for start, v in self.values:
            if start <= dos:
                value = v
            else:
                break
        return value


@dataclass(frozen=True)
class PayerProfile:
    name: str
    title: str
    payer_types: tuple[str, ...]
    original_medicare: bool
    parameters: dict[str, Parameter]
    path: str

    def get(self, name: str, dos: date) -> Any:
        try:
            return self.parameters[name].at(dos)
        except KeyError:
            raise KeyError(f"payer profile {self.name!r} has no parameter {name!r}") from None

    def source(self, name: str) -> str:
        return self.parameters[name].source

    @cached_property
    def first_date(self) -> date:
        """The first date on which every parameter has a value: before it the profile cannot code a claim (a profile
        holds every parameter, each with a value from some date: parse_profile refuses it otherwise)."""
        return max(p.values[0][0] for p in self.parameters.values())


class ProfileError(ValueError):
    """A payer profile file is missing or malformed."""


PROFILE_PARAMETERS = (
    "jw_required",
    "jz_required",
    "prior_authorization_required",
    "ndc_required",
    "route_modifier_codes",
    "additional_hour_rule",
    "coverage_policy",
    "home_coverage_policy",
    "home_rules",
    "abn_modifiers",
    "distinct_site_modifier",
)


# Parameters a profile may leave out: their default, label and source are in refdata/payer-parameters.toml.
# The bundled files below are read once per process (every profile asked for them again, and each base profile was
# read again per profile extending it: 44 TOML parses at start, where 16 do); callers never change what they give.
@cache
def _optional_parameters() -> dict[str, dict[str, Any]]:
    optional: dict[str, dict[str, Any]] = _load("payer-parameters.toml")["optional"]
    return optional


@cache
def _bundled_profile_data() -> dict[str, tuple[dict[str, Any], str]]:
    """The bundled profiles' TOML as written (before inheritance), by profile name."""
    out: dict[str, tuple[dict[str, Any], str]] = {}
    for item in sorted((_ROOT / "payers").iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            data = tomllib.loads(item.read_text(encoding="utf-8"))
            out[str(data.get("profile", {}).get("name", item.name))] = (data, f"bundled:{item.name}")
    return out


def _base_data(base: str, path: str) -> tuple[dict[str, Any], str]:
    """The profile named by `extends`: a bundled profile's name, or a .toml file beside the extending one."""
    if base.endswith(".toml"):
        if path.startswith("bundled:"):
            raise ProfileError(f"{path}: a bundled profile extends another bundled profile by name, not {base!r}")
        file = Path(path).parent / base
        try:
            return tomllib.loads(file.read_text(encoding="utf-8")), str(file)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ProfileError(f"{path}: profile.extends: cannot read {file} ({exc})") from None
    bundled = _bundled_profile_data()
    if base not in bundled:
        raise ProfileError(f"{path}: profile.extends: unknown base profile {base!r} "
                           f"(bundled profiles: {', '.join(sorted(bundled))}, or a .toml file)")
    return bundled[base]


def resolve_extends(data: dict[str, Any], path: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """A profile with `extends = "<base>"` states only what differs: each parameter it gives replaces the base's
    (all its dated values), the others are the base's. The base's name, title and payer types are not inherited
    (a profile serves only the payer types it names); original_medicare is, unless the profile says otherwise."""
    head = data.get("profile")
    if not isinstance(head, dict) or "extends" not in head:
        return data
    base = head["extends"]
    if not isinstance(base, str) or not base:
        raise ProfileError(f"{path}: profile.extends must be the name of a bundled profile or a .toml file")
    base_data, base_path = _base_data(base, path)
    if base_path in (*seen, path):
        chain = " -> ".join((*seen, path, base_path))
        raise ProfileError(f"{path}: profile.extends makes a cycle ({chain})")
    base_data = resolve_extends(base_data, base_path, (*seen, path))
    base_head = base_data.get("profile", {})
    merged_head = {k: v for k, v in head.items() if k != "extends"}
    if "original_medicare" in base_head:
        merged_head.setdefault("original_medicare", base_head["original_medicare"])
    params = {**base_data.get("parameters", {}), **data.get("parameters", {})}
    return {**data, "profile": merged_head, "parameters": params}


# What each type of payer-parameter value (payer-parameters.toml [types]) accepts.
_VALUE_TYPES: dict[str, Callable[[Any], bool]] = {
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 3650,
    "text": lambda v: isinstance(v, str) and bool(v.strip()),
    "list of text": lambda v: isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v),
}


@cache
def _parameter_types() -> dict[str, str]:
    types: dict[str, str] = _load("payer-parameters.toml")["types"]
    return types


def _check_head(head: Any, path: str) -> dict[str, Any]:
    """The [profile] table, its shape checked: a value of another type crashed later (a list as the name is
    unhashable)."""
    if not isinstance(head, dict):
        raise ProfileError(f"{path}: [profile] is missing or not a table (name, title, payer_types)")
    if not isinstance(head.get("name"), str) or not head["name"].strip():
        raise ProfileError(f"{path}: profile.name must be text (the profile's name)")
    if not isinstance(head.get("title", ""), str):
        raise ProfileError(f"{path}: profile.title must be text")
    kinds = get_args(PayerType)
    types = head.get("payer_types", [])
    if not isinstance(types, list) or not all(isinstance(t, str) and t in kinds for t in types):
        raise ProfileError(f"{path}: profile.payer_types must be a list of payer types ({', '.join(kinds)})")
    if not isinstance(head.get("original_medicare", False), bool):
        raise ProfileError(f"{path}: profile.original_medicare must be true or false")
    return head


def _check_values(pname: str, values: tuple[tuple[date, Any], ...], types: dict[str, str], path: str) -> None:
    """Each dated value of a parameter has the parameter's type (`types`: payer-parameters.toml [types])."""
    if pname not in types:
        raise ProfileError(f"{path}: parameters.{pname} is not a parameter igclaim reads"
                           f"{did_you_mean(pname, types)}")
    kind = types[pname]
    for day, value in values:
        if not _VALUE_TYPES[kind](value):
            raise ProfileError(f"{path}: parameters.{pname}.values.{day.isoformat()}: {value!r:.40} is not "
                               f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}")


def parse_profile(data: dict[str, Any], path: str) -> PayerProfile:
    try:
        data = resolve_extends(data, path)
    except (TypeError, AttributeError) as exc:  # a base's or this profile's [parameters] that is not a table
        raise ProfileError(f"{path}: malformed payer profile ({exc})") from None
    head = _check_head(data.get("profile"), path)
    types = _parameter_types()  # read once per profile, not once per parameter
    try:
        params = {}
        for pname, p in data.get("parameters", {}).items():
            values = tuple(sorted((date.fromisoformat(k), v) for k, v in p["values"].items()))
            _check_values(pname, values, types, path)
            params[pname] = Parameter(pname, p.get("label", pname), p.get("source", ""), values)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        if isinstance(exc, ProfileError):
            raise
        raise ProfileError(f"{path}: malformed payer profile ({exc})") from None
    for pname, prm in params.items():
        if not prm.values:  # a parameter with no value on any date: every claim would read it as None
            raise ProfileError(f"{path}: parameters.{pname}.values is empty: give its value from a date")
    for pname, spec in _optional_parameters().items():
        if pname not in params:
            params[pname] = Parameter(pname, spec["label"], spec["source"], ((date.min, spec["default"]),))
        elif "allowed" in spec and not {v for _, v in params[pname].values} <= set(spec["allowed"]):
            raise ProfileError(f"{path}: parameters.{pname} must be one of {', '.join(spec['allowed'])}")
    missing = [p for p in PROFILE_PARAMETERS if p not in params]
    if missing:
        raise ProfileError(f"{path}: payer profile lacks parameters: {', '.join(missing)}")
    rule_values = {v for _, v in params["additional_hour_rule"].values}
    if not rule_values <= {"cpt", "whole_hour"}:
        raise ProfileError(f"{path}: parameters.additional_hour_rule must be 'cpt' or 'whole_hour'")
    return PayerProfile(
        name=head["name"],
        title=head.get("title", head["name"]),
        payer_types=tuple(head.get("payer_types", ())),
        original_medicare=bool(head.get("original_medicare", False)),
        parameters=params,
        path=path,
    )


@dataclass
class ReferenceData:
    codes: dict[str, list[HcpcsCode]]
    products: list[Product]
    admin_codes: dict[str, AdminCode]
    time: TimeRules
    modifiers: dict[str, Period]
    distinct_modifiers: frozenset[str]
    modifier_roles: dict[str, str]
    settings: dict[str, dict[str, Any]]
    profiles: dict[str, PayerProfile]
    data_as_of: date
    sources: list[str]
    addon_edits: dict[str, list[AddonEdit]] = field(default_factory=dict)
    ncci: NcciRules = field(default_factory=lambda: _load_ncci())
    _by_alias: dict[str, list[Product]] = field(default_factory=dict)
    _by_ndc: dict[str, tuple[Product, Package]] = field(default_factory=dict)
    _by_role: dict[tuple[str, str, bool], AdminCode] = field(default_factory=dict, repr=False, compare=False)
    _snapshots: Any = field(default=None, repr=False, compare=False)
    _by_payer_type: dict[str, PayerProfile] = field(default_factory=dict, init=False, repr=False, compare=False)

    def at(self, dos: date, profile: PayerProfile) -> Rules:
        """The dated rule snapshot coding and the edits read (refdata/rules.py), memoised per date, profile and
        imported-data version."""
        snapshots = self._snapshots
        if snapshots is None:
            from igclaim.refdata.rules import Snapshots

            snapshots = self._snapshots = Snapshots(self)
        rules: Rules = snapshots.at(dos, profile)
        return rules

    @cached_property
    def first_code_date(self) -> date | None:
        """The first date a bundled HCPCS record is in force."""
        return min((rec.period.effective for recs in self.codes.values() for rec in recs if rec.period.effective),
                   default=None)

    @cached_property
    def change_dates(self) -> tuple[date, ...]:
        """Every date on which a dated answer a snapshot holds (HCPCS records, modifiers, add-on edits, the home
        supplies and pump places rows) can change: each period's first day and the day after its last. Between two
        of them every `covers` answers alike, so snapshots of dates in one interval share those answers
        (refdata/rules.py)."""
        periods = [*(rec.period for recs in self.codes.values() for rec in recs), *self.modifiers.values(),
                   *(rec.period for recs in self.addon_edits.values() for rec in recs),
                   *(Period(_as_date(row.get("effective")), _as_date(row.get("ends")))
                     for rows in ("medicare_dme_iv_supply_units", "medicare_dme_sc_pump_places")
                     for row in self.settings["home"].get(rows, ()))]
        return _change_dates(periods)

    def __post_init__(self) -> None:
        for p in self.products:
            for name in (p.name, *p.aliases):
                self._by_alias.setdefault(_key(name), []).append(p)
            for pkg in p.packages:
                if pkg.ndc:
                    self._by_ndc[pkg.ndc] = (p, pkg)

    # --- HCPCS -------------------------------------------------------------------------------------
    def hcpcs(self, code: str, dos: date) -> HcpcsCode | None:
        """The code's record in force on the date of service."""
        for rec in self.codes.get(code.upper(), ()):
            if rec.period.covers(dos):
                return rec
        return None

    def known_code(self, code: str) -> HcpcsCode | None:
        """The code's latest record whatever the date (for explaining a code billed out of its dates)."""
        recs = self.codes.get(code.upper())
        return recs[-1] if recs else None

    def nos_code(self, form: str, dos: date, routes: tuple[str, ...] | list[str] | None = None) -> str | None:
        """The not-otherwise-specified code for a product form (J1599 liquid, J1566 powder). Given the product's
        labeled routes, only a NOS code for one of them (hcpcs.toml `routes`: both NOS codes are intravenous, so a
        subcutaneous-only product has none)."""
        for recs in self.codes.values():
            for rec in recs:
                if rec.kind == "ig_nos" and rec.form == form and rec.period.covers(dos) and (
                        routes is None or set(rec.routes) & set(routes)):
                    return rec.code
        return None

    def product_nos_code(self, product: Product, dos: date) -> str | None:
        """The NOS code a product without a code of its own is billed with on the date (None: no NOS code for its
        form and routes)."""
        return self.nos_code(product.form, dos, product.routes)

    # --- products ----------------------------------------------------------------------------------
    def find_products(self, name: str) -> list[Product]:
        """Products whose name or alias matches, case-insensitively (several for a bare multi-strength brand)."""
        return list(self._by_alias.get(_key(name), ()))

    def products_for_code(self, code: str) -> list[Product]:
        return [p for p in self.products if any(c.code == code for c in p.codes)]

    def package_by_ndc(self, ndc11: str) -> tuple[Product, Package] | None:
        return self._by_ndc.get(ndc11)

    # --- modifiers, administration, settings, payers ------------------------------------------------
    def modifier_for(self, role: str) -> str:
        """The modifier that plays a role: discarded (JW), zero_discarded (JZ), route_IV (JA), route_SC (JB)."""
        return self.modifier_roles[role]

    def modifier_valid(self, code: str, dos: date) -> bool:
        period = self.modifiers.get(code)
        return period is not None and period.covers(dos)

    def admin(self, code: str) -> AdminCode | None:
        return self.admin_codes.get(code)

    def admin_code_for(self, role: str, family: str, facility_only: bool = False) -> AdminCode:
        """The administration code with this role for this family (initial infusion → 96365, …); coding asks it
        for every service, so each answer is remembered."""
        hit = self._by_role.get((role, family, facility_only))
        if hit is not None:
            return hit
        for c in self.admin_codes.values():
            if c.role == role and c.family == family and c.facility_only == facility_only:
                self._by_role[(role, family, facility_only)] = c
                return c
        raise LookupError(f"no {role} administration code for {family}")

    def addon_primaries(self, code: str, dos: date) -> AddonEdit | None:
        """The NCCI add-on edit for `code` in force on the date of service (None: not an add-on code then)."""
        for rec in self.addon_edits.get(code, ()):
            if rec.period.covers(dos):
                return rec
        return None

    def mue_indicator(self, mai: int) -> MueIndicator:
        """How an MUE of this adjudication indicator is applied (refdata/cms/ncci.toml)."""
        return self.ncci.mue[mai]

    def ptp_indicator(self, indicator: int) -> PtpIndicator:
        """What a PTP pair's modifier indicator allows (refdata/cms/ncci.toml)."""
        return self.ncci.ptp[indicator]

    def home_supply_units(self, dos: date) -> SupplyUnits | None:
        """How Medicare home IVIG supplies are billed on the date (None: no supplies code yet, the J-code alone)."""
        home = self.settings["home"]
        code = home["medicare_dme_iv_supply_code"]
        if self.hcpcs(code, dos) is None:
            return None
        rnd = home["medicare_dme_iv_supply_rounding"]
        for row in home.get("medicare_dme_iv_supply_units", ()):
            if Period(_as_date(row.get("effective")), _as_date(row.get("ends"))).covers(dos):
                return SupplyUnits(code, row["basis"], rnd["unit_minutes"], rnd["round_up_from"], rnd["min_units"],
                                   row["source"], rnd["source"], tuple(row.get("places", ())),
                                   row.get("administration_within_days"))
        return None

    def home_pump_places(self, dos: date) -> tuple[str, ...]:
        """The places of service a Medicare home SCIG claim (the drug by pump, a DMEPOS claim) may carry on the date;
        empty when no row covers it (then the place is not checked against a list)."""
        for row in self.settings["home"].get("medicare_dme_sc_pump_places", ()):
            if Period(_as_date(row.get("effective")), _as_date(row.get("ends"))).covers(dos):
                return tuple(row["places"])
        return ()

    def setting(self, name: str) -> dict[str, Any]:
        return self.settings[name]

    def setting_of_place(self, pos: str) -> str | None:
        """The setting whose own place of service (settings.toml) this is, or home for a home-like place (13
        assisted living, …: `home_places`); None for another place (31, or a hospital department's 19 and 22, which
        no professional setting of igclaim's bills)."""
        for name, row in self.settings.items():
            if row.get("place_of_service") == pos:
                return name
        return "home" if pos in self.home_places else None

    def department_setting_of_place(self, pos: str) -> str | None:
        """The setting whose departments' places of service (settings.toml `places_of_service`, a form carrying
        none) include this one: hospital_outpatient for 19 and 22; None for another place."""
        return next((name for name, row in self.settings.items() if pos in row.get("places_of_service", ())), None)

    def department_modifier(self, department: str, dos: date) -> str | None:
        """The modifier every HCPCS line of a hospital outpatient claim from this department carries on the date
        (settings.toml [[hospital_outpatient.department_modifiers]]); None for an on-campus department, or before
        the modifier was required."""
        for row in self.settings["hospital_outpatient"].get("department_modifiers", ()):
            if row["department"] == department and Period(_as_date(row.get("effective")),
                                                          _as_date(row.get("ends"))).covers(dos):
                return str(row["modifier"])
        return None

    def department_places(self, dos: date) -> dict[str, str]:
        """Each hospital outpatient department's place of service on the date (settings.toml
        [[hospital_outpatient.department_places]]: 22 on campus, 19 off campus, from 2016-01-01); empty before."""
        return {str(row["department"]): str(row["place"])
                for row in self.settings["hospital_outpatient"].get("department_places", ())
                if Period(_as_date(row.get("effective")), _as_date(row.get("ends"))).covers(dos)}

    def pfs_equivalent_modifiers(self, dos: date) -> frozenset[str]:
        """The department modifiers whose hospital outpatient lines Original Medicare pays at the Physician Fee
        Schedule-equivalent rate on the date, separately payable drugs aside (settings.toml
        [[hospital_outpatient.pfs_equivalent_modifiers]]: PN from 2017, PO's drug administration from 2026)."""
        return frozenset(modifier for modifier, period in self._pfs_equivalent if period.covers(dos))

    @cached_property
    def _pfs_equivalent(self) -> tuple[tuple[str, Period], ...]:
        return tuple((str(row["modifier"]), Period(_as_date(row.get("effective")), _as_date(row.get("ends"))))
                     for row in self.settings["hospital_outpatient"].get("pfs_equivalent_modifiers", ()))

    @cached_property
    def dates(self) -> frozenset[date]:
        """Every date the catalog holds (`rules.dates_in`), where a dated answer may change: worked out when the
        bundled catalog is built, so it is kept with it (refdata/cache.py)."""
        from igclaim.refdata.rules import dates_in

        return frozenset(dates_in(self))

    @cached_property
    def department_modifiers(self) -> frozenset[str]:
        """Every modifier a hospital department's place puts on its lines (PO, PN)."""
        return frozenset(str(row["modifier"])
                         for row in self.settings["hospital_outpatient"].get("department_modifiers", ()))

    @cached_property
    def home_places(self) -> frozenset[str]:
        """Every home or home-like place of service the home supplies rows list (04 homeless shelter, 13 assisted
        living, …): where a claim read without its chart was given at home, whatever its date."""
        return frozenset(p for row in self.settings["home"].get("medicare_dme_iv_supply_units", ())
                         for p in row.get("places", ()))

    def quoted(self) -> dict[str, Any]:
        """The values the edit catalog's statements and fixes quote as `{name}` (igclaim.catalog.quote): read from
        the data files, never retyped in a statement."""
        t, home = self.time, self.settings["home"]
        supply = home["medicare_dme_iv_supply_code"]
        rows = {row["basis"]: row for row in home["medicare_dme_iv_supply_units"]}
        return {
            "push_max_minutes": t.push_max_minutes,
            "hydration_min_minutes": t.hydration_min_minutes,
            "addon_beyond_minutes": t.addon_beyond_minutes,
            "addon_one_unit_minutes": t.hour_minutes + t.addon_beyond_minutes + 1,
            "addon_two_units_minutes": 2 * t.hour_minutes + t.addon_beyond_minutes + 1,
            "home_supply_code": supply,
            "home_supply_from": self.codes[supply][0].period.effective,
            "home_supply_per_date_from": rows["per_date"]["effective"],
            "home_supply_per_date_ends": rows["per_date"]["ends"],
            "home_supply_visit_from": rows["visit_quarter_hours"]["effective"],
            "home_supply_unit_minutes": home["medicare_dme_iv_supply_rounding"]["unit_minutes"],
            "home_pump_code": home["medicare_dme_sc_pump_code"],
            "home_iv_places": ", ".join(rows["visit_quarter_hours"]["places"]),
            "home_pump_places": ", ".join(home["medicare_dme_sc_pump_places"][-1]["places"]),  # the latest row
            **{f"{row['department']}_modifier": row["modifier"]  # the latest row of each department
               for row in self.settings["hospital_outpatient"].get("department_modifiers", ())},
            "route_sc_modifier": self.modifier_for("route_SC"),
            "medicare_jz_from": self.default_profile("medicare").parameters["jz_required"].since(True),
            "pointers_per_line": self.settings["office"]["diagnosis_pointers_per_line"],
            "bill_type_classes": bill_types(self.settings["hospital_outpatient"]["bill_type_classes"]),
            "outpatient_places": " or ".join(self.settings["hospital_outpatient"]["places_of_service"]),
            **self._quoted_department_places(),
        }

    def _quoted_department_places(self) -> dict[str, Any]:
        """The departments' places as FORM-PLACE's statement quotes them: '22 on_campus; 19 off_campus_excepted or
        off_campus_nonexcepted' (settings.toml [[hospital_outpatient.department_places]]), and their first date."""
        rows = self.settings["hospital_outpatient"].get("department_places", ())
        by_place: dict[str, list[str]] = {}
        for row in rows:
            by_place.setdefault(str(row["place"]), []).append(str(row["department"]))
        return {"department_places": "; ".join(f"{place} {' or '.join(d)}" for place, d in by_place.items()),
                "department_places_from": min(row["effective"] for row in rows)}

    def profile(self, name_or_path: str) -> PayerProfile:
        """A bundled profile by name, or a user's profile file by path."""
        if name_or_path in self.profiles:
            return self.profiles[name_or_path]
        path = Path(name_or_path)
        if path.suffix == ".toml" and path.is_file():
            return load_profile_file(path)
        known = ", ".join(sorted(self.profiles))
        if path.suffix == ".toml" or "/" in name_or_path or "\\" in name_or_path:
            if path.is_dir():
                raise ProfileError(f"{name_or_path} is a directory, not a payer profile .toml file")
            raise ProfileError(f"the profile file {name_or_path} does not exist (bundled profiles: {known})")
        raise ProfileError(f"unknown payer profile {name_or_path!r}{did_you_mean(name_or_path, self.profiles)}: "
                           f"use one of {known}, or a .toml file")

    def default_profile(self, payer_type: str) -> PayerProfile:
        """The first profile (in order) for the payer type. Remembered per type (every claim asks) while that profile
        is still the one held under its name: profiles are only ever added after it, or replaced or removed."""
        hit = self._by_payer_type.get(payer_type)
        if hit is not None and self.profiles.get(hit.name) is hit:
            return hit
        for p in self.profiles.values():
            if payer_type in p.payer_types:
                self._by_payer_type[payer_type] = p
                return p
        raise ProfileError(f"no bundled payer profile for payer type {payer_type!r}")

    # --- imported CMS tables (igclaim data import) over the bundled snapshot --------------------------------
    @property
    def tables(self) -> Tables:
        """Payment limits, NDC crosswalk, HCPCS status, MUE, PTP, fees and ICD-10-CM by date of service."""
        from igclaim.refdata.store import tables

        return tables()


def _key(name: str) -> str:
    """A product name as looked up: lower case, runs of white space as one, none before a percent sign."""
    return " ".join(name.lower().split()).replace(" %", "%")


@lru_cache(maxsize=32)
def load_profile_file(path: Path) -> PayerProfile:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read payer profile ({exc})") from None
    return parse_profile(data, str(path))


def _decimal(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def _load_codes() -> tuple[dict[str, list[HcpcsCode]], date, str]:
    data = _load("cms/hcpcs.toml")
    meta = data["meta"]
    codes: dict[str, list[HcpcsCode]] = {}
    for c in data["code"]:
        rec = HcpcsCode(
            code=c["code"],
            descriptor=c["descriptor"],
            kind=c["kind"],
            period=Period(_as_date(c.get("effective")), _as_date(c.get("ends"))),
            source=c.get("source", meta["source"]),
            unit_mg=c.get("unit_mg"),
            routes=tuple(c.get("routes", ())),
            form=c.get("form"),
            settings=tuple(c.get("settings", ())),
            paid_per=c.get("paid_per"),
        )
        codes.setdefault(rec.code, []).append(rec)
    return codes, meta["as_of"], meta["source"]


def _product_code(product: str, code: str, codes: dict[str, list[HcpcsCode]]) -> ProductCode:
    """A product's own code in force when its HCPCS records are (their first date through their last) and in the
    settings they name (a pass-through C-code: hospital outpatient): read from the records, not restated per
    product."""
    recs = codes.get(code)
    if not recs:
        raise ValueError(f"fda/products.toml: {product}'s code {code!r} has no record in cms/hcpcs.toml")
    starts = [r.period.effective for r in recs]
    ends = [r.period.ends for r in recs]
    return ProductCode(code, Period(None if None in starts else min(d for d in starts if d is not None),
                                    None if None in ends else max(d for d in ends if d is not None)),
                       next((r.settings for r in recs if r.settings), ()))


def _load_products(codes: dict[str, list[HcpcsCode]]) -> tuple[list[Product], str]:
    """The products, each with its own HCPCS codes (dates and settings from their records: `_product_code`)."""
    data = _load("fda/products.toml")
    indications = {key: LabelIndication(v["name"], tuple(v["prefixes"]), tuple(v.get("except", ())), v["source"])
                   for key, v in data.get("label_indication", {}).items()}
    products = []
    for p in data["product"]:
        packages = tuple(
            Package(
                grams=Decimal(str(k["grams"])),
                ml=_decimal(k.get("ml")),
                ndc=ndc_mod.compact(k["ndc"]) if k.get("ndc") else None,
                source=k.get("source", "fda"),
                verified=_as_date(k.get("verified")),
            )
            for k in p.get("packages", ())
        )
        products.append(
            Product(
                name=p["name"],
                aliases=tuple(p.get("aliases", ())),
                labeler=p.get("labeler", ""),
                routes=tuple(p["routes"]),
                form=p["form"],
                concentration_percent=_decimal(p.get("concentration_percent")),
                codes=tuple(_product_code(p["name"], code, codes) for code in p.get("codes", ())),
                packages=packages,
                ndc_unit=p.get("ndc_unit", "ML"),
                code_uncertain=p.get("code_uncertain"),
                sc_labeled_for=indications[p["sc_labeled_for"]] if "sc_labeled_for" in p else None,
                label=p.get("label"),
            )
        )
    return products, data["meta"]["source"]


def _load_admin() -> tuple[dict[str, AdminCode], TimeRules, str]:
    data = _load("cms/administration.toml")
    t = data["time"]
    rules = TimeRules(
        push_max_minutes=t["push_max_minutes"],
        hydration_min_minutes=t["hydration_min_minutes"],
        addon_beyond_minutes=t["addon_beyond_minutes"],
        hour_minutes=t["hour_minutes"],
        source=t["time_source"],
        push_source=t["push_source"],
        sc_injection_max_minutes=t["sc_injection_max_minutes"],
        sc_injection_source=t["sc_injection_source"],
        repeat_push_gap_minutes=t["repeat_push_gap_minutes"],
        repeat_push_source=t["repeat_push_source"],
    )
    codes = {
        c["code"]: AdminCode(
            code=c["code"],
            role=c["role"],
            meaning=c["meaning"],
            family=c.get("family"),
            route=c.get("route"),
            addon=c.get("addon"),
            rank=c.get("rank"),
            per_encounter=c.get("per_encounter"),
            facility_only=c.get("facility_only", False),
            sites_at_once_one_span=c.get("sites_at_once_one_span", False),
            sites_in_turn_one_span=c.get("sites_in_turn_one_span", False),
        )
        for c in data["code"]
    }
    return codes, rules, data["meta"]["source"]


def _load_addons() -> dict[str, list[AddonEdit]]:
    data = _load("cms/administration.toml")["addons"]
    out: dict[str, list[AddonEdit]] = {}
    for e in data["edit"]:
        rec = AddonEdit(e["addon"], e["type"], tuple(e["primaries"]),
                        Period(_as_date(e.get("effective")), _as_date(e.get("ends"))), e.get("source", data["source"]))
        out.setdefault(rec.addon, []).append(rec)
    return out


def _load_ncci() -> NcciRules:
    data = _load("cms/ncci.toml")
    return NcciRules(
        mue={r["mai"]: MueIndicator(r["mai"], r["basis"], r["severity"], r["meaning"]) for r in data["mue"]["mai"]},
        ptp={r["indicator"]: PtpIndicator(r["indicator"], r["applies"], r["modifier_allowed"], r["rule"])
             for r in data["ptp"]["modifier_indicator"]},
        mue_source=data["mue"]["source"],
        ptp_source=data["ptp"]["source"],
    )


@lru_cache(maxsize=1)
def reference() -> ReferenceData:
    """The bundled reference data, loaded once per process (kept built between processes: refdata/cache.py)."""
    return kept("reference", _build_reference)


def _build_reference() -> ReferenceData:
    codes, codes_as_of, codes_src = _load_codes()
    products, products_src = _load_products(codes)
    admin, time_rules, admin_src = _load_admin()
    mods = _load("cms/modifiers.toml")
    modifiers = {
        m["code"]: Period(_as_date(m.get("effective")), _as_date(m.get("ends"))) for m in mods["modifier"]
    }
    settings_data = _load("cms/settings.toml")
    settings = {k: v for k, v in settings_data.items() if k != "meta"}
    profiles = {}
    for data, where in _bundled_profile_data().values():
        prof = parse_profile(data, where)
        profiles[prof.name] = prof
    as_of = max(codes_as_of, date.fromisoformat(str(_load("fda/products.toml")["meta"]["as_of"])))
    ref = ReferenceData(
        codes=codes,
        products=products,
        admin_codes=admin,
        time=time_rules,
        modifiers=modifiers,
        distinct_modifiers=frozenset(m["code"] for m in mods["modifier"] if m.get("distinct_procedure")),
        modifier_roles={m["role"]: m["code"] for m in mods["modifier"] if m.get("role")},
        settings=settings,
        profiles=profiles,
        data_as_of=as_of,
        addon_edits=_load_addons(),
        ncci=_load_ncci(),
        sources=[codes_src, products_src, admin_src, settings_data["meta"]["source"]],
    )
    ref.dates  # noqa: B018 (worked out now, so the kept catalog holds it)
    return ref
