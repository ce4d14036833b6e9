"""Reference data by date of service: one resolver over the bundled, dated TOML files.

Everything is loaded once per process (`reference()`), then answered from memory, so coding stays pure
and the same object serves the CLI, the web service and each batch worker.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igclaim import ndc as ndc_mod

if TYPE_CHECKING:
    from igclaim.refdata.rules import Rules
    from igclaim.refdata.store import Tables

_ROOT = resources.files("igclaim.refdata")


def _load(rel: str) -> dict[str, Any]:
    return tomllib.loads((_ROOT / rel).read_text(encoding="utf-8"))


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
        return (self.effective is None or dos >= self.effective) and (self.ends is None or dos <= self.ends)


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
    settings: tuple[str, ...] = ()  # empty: every setting

    def applies(self, dos: date, setting: str | None) -> bool:
        return self.period.covers(dos) and (not self.settings or setting in self.settings)


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

    def own_code(self, dos: date, setting: str | None = None) -> str | None:
        """The product's own HCPCS code on the date of service in this setting, if CMS had assigned one
        (a pass-through C-code counts only in the settings it names)."""
        for c in self.codes:
            if c.applies(dos, setting):
                return c.code
        return None

    def packages_of_size(self, grams: Decimal | None, ml: Decimal | None) -> list[Package]:
        """The labeled packages of one size (several NDCs may share a size: two labelers, vial and syringe)."""
        return [p for p in self.packages if (grams is not None and p.grams == grams) or
                (ml is not None and p.ml is not None and p.ml == ml)]


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
    """How the Medicare home IVIG supplies code (Q2052) is counted on a date of service."""

    code: str
    basis: str  # per_date | visit_quarter_hours
    unit_minutes: int
    round_up_from: int
    min_units: int
    source: str
    rounding_source: str


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    source: str
    values: tuple[tuple[date, Any], ...]  # sorted by date

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


def parse_profile(data: dict[str, Any], path: str) -> PayerProfile:
    try:
        head = data["profile"]
        params = {}
        for pname, p in data.get("parameters", {}).items():
            values = tuple(sorted((date.fromisoformat(k), v) for k, v in p["values"].items()))
            params[pname] = Parameter(pname, p.get("label", pname), p.get("source", ""), values)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ProfileError(f"{path}: malformed payer profile ({exc})") from None
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
    _by_alias: dict[str, list[Product]] = field(default_factory=dict)
    _by_ndc: dict[str, tuple[Product, Package]] = field(default_factory=dict)
    _snapshots: Any = field(default=None, repr=False, compare=False)

    def at(self, dos: date, profile: PayerProfile) -> Rules:
        """The dated rule snapshot coding and the edits read (refdata/rules.py), memoised per date, profile and
        imported-data version."""
        from igclaim.refdata.rules import Snapshots

        if self._snapshots is None:
            self._snapshots = Snapshots(self)
        rules: Rules = self._snapshots.at(dos, profile)
        return rules

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

    def nos_code(self, form: str, dos: date) -> str | None:
        """The not-otherwise-specified IV code for a product form (J1599 liquid, J1566 powder)."""
        for recs in self.codes.values():
            for rec in recs:
                if rec.kind == "ig_nos" and rec.form == form and rec.period.covers(dos):
                    return rec.code
        return None

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
        """The administration code with this role for this family (initial infusion → 96365, …)."""
        for c in self.admin_codes.values():
            if c.role == role and c.family == family and c.facility_only == facility_only:
                return c
        raise LookupError(f"no {role} administration code for {family}")

    def addon_primaries(self, code: str, dos: date) -> AddonEdit | None:
        """The NCCI add-on edit for `code` in force on the date of service (None: not an add-on code then)."""
        for rec in self.addon_edits.get(code, ()):
            if rec.period.covers(dos):
                return rec
        return None

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
                                   row["source"], rnd["source"])
        return None

    def setting(self, name: str) -> dict[str, Any]:
        return self.settings[name]

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
        from igclaim.errors import did_you_mean

        raise ProfileError(f"unknown payer profile {name_or_path!r}{did_you_mean(name_or_path, self.profiles)}: "
                           f"use one of {known}, or a .toml file")

    def default_profile(self, payer_type: str) -> PayerProfile:
        for p in self.profiles.values():
            if payer_type in p.payer_types:
                return p
        raise ProfileError(f"no bundled payer profile for payer type {payer_type!r}")

    # --- imported CMS tables (igclaim data import) over the bundled snapshot --------------------------------
    @property
    def tables(self) -> Tables:
        """Payment limits, NDC crosswalk, HCPCS status, MUE, PTP, fees and ICD-10-CM by date of service."""
        from igclaim.refdata.store import tables

        return tables()


def _key(name: str) -> str:
    return " ".join(name.lower().replace("%", " %").split()).replace(" %", "%")


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


def _load_products() -> tuple[list[Product], str]:
    data = _load("fda/products.toml")
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
                codes=tuple(
                    ProductCode(c["code"], Period(_as_date(c.get("effective")), _as_date(c.get("ends"))),
                                tuple(c.get("settings", ())))
                    for c in p.get("codes", ())
                ),
                packages=packages,
                ndc_unit=p.get("ndc_unit", "ML"),
                code_uncertain=p.get("code_uncertain"),
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


@lru_cache(maxsize=1)
def reference() -> ReferenceData:
    """The bundled reference data, loaded once per process."""
    codes, codes_as_of, codes_src = _load_codes()
    products, products_src = _load_products()
    admin, time_rules, admin_src = _load_admin()
    mods = _load("cms/modifiers.toml")
    modifiers = {
        m["code"]: Period(_as_date(m.get("effective")), _as_date(m.get("ends"))) for m in mods["modifier"]
    }
    settings_data = _load("cms/settings.toml")
    settings = {k: v for k, v in settings_data.items() if k != "meta"}
    profiles = {}
    for item in sorted((_ROOT / "payers").iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            prof = parse_profile(tomllib.loads(item.read_text(encoding="utf-8")), f"bundled:{item.name}")
            profiles[prof.name] = prof
    as_of = max(codes_as_of, date.fromisoformat(str(_load("fda/products.toml")["meta"]["as_of"])))
    return ReferenceData(
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
        sources=[codes_src, products_src, admin_src, settings_data["meta"]["source"]],
    )
