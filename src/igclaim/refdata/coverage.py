"""Covered-diagnosis policies for immune globulin, as data (`refdata/coverage/*.toml`), chosen by the payer profile's
`coverage_policy` (office, hospital) or `home_coverage_policy` (home) parameter: a bundled policy name or the path
of a user's own policy file (absolute, or relative to the profile file).

Two policies ship: `medicare-home-ivig-pidd` (official: Medicare Benefit Policy Manual ch. 15 §50.6) and
`default-ig` (a *default* list of common indications from the contractors' LCDs and NCD 250.3; users replace it
with their contractor's or plan's list). A default policy only ever warns.

>>> p = policy("medicare-home-ivig-pidd")
>>> p.covering(["D83.9"], "IV").name
'primary immunodeficiency (Medicare home IVIG list)'
>>> p.covering(["D80.1"], "IV") is None
True
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

from igclaim.model import Severity
from igclaim.refdata.cache import kept
from igclaim.refdata.icd10 import compact

__all__ = ["Indication", "LiabilityModifiers", "NotAReason", "Policy", "PolicyError", "liability_modifiers",
           "not_a_reason", "policy"]

_DIR = resources.files("igclaim.refdata") / "coverage"
T = TypeVar("T")
VERDICTS_LIMIT = 8192  # verdicts remembered per policy (and per MAC lookup), so memory stays flat over any input


class PolicyError(ValueError):
    """A coverage policy is unknown or malformed."""


@dataclass(frozen=True)
class Indication:
    name: str
    codes: frozenset[str]  # compact form
    prefixes: tuple[str, ...] = ()  # every code under these categories (compact form)
    routes: tuple[str, ...] | None = None  # None: any route
    products: tuple[str, ...] | None = None  # HCPCS codes or product names; None: any product
    with_any: frozenset[str] = frozenset()  # covered only together with one of these codes
    certain: bool = True
    source: str = ""
    note: str = ""

    def matches(self, code: str) -> bool:
        c = compact(code)
        return c in self.codes or any(c.startswith(p) for p in self.prefixes)

    def applies_to(self, route: str | None, product: Iterable[str] = ()) -> bool:
        """A note or entry limited to one route or product applies only to it."""
        if self.routes is not None and route is not None and route not in self.routes:
            return False
        if self.products is None:
            return True
        names = {p.lower() for p in product}
        return not names or bool(names & {p.lower() for p in self.products})

    def covers(self, diagnoses: list[str], route: str | None, product: Iterable[str] = ()) -> bool:
        if not self.applies_to(route, product):
            return False
        if not any(self.matches(d) for d in diagnoses):
            return False
        return not self.with_any or any(compact(d) in self.with_any for d in diagnoses)


@dataclass(frozen=True)
class Uncertain:
    prefixes: tuple[str, ...]
    note: str
    source: str
    routes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Policy:
    name: str
    title: str
    kind: str  # official | default
    severity: Severity  # of DX-NOT-COVERED under this policy
    source: str
    notice: str
    indications: tuple[Indication, ...]
    uncertain: tuple[Uncertain, ...] = ()
    path: str = ""
    # Verdicts already given, per (diagnoses, route, products): a policy holds no dates and no imported data, so a
    # verdict holds for every claim that asks the same (bounded, like every memo of a long batch).
    _verdicts: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def _memo(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        verdicts = self._verdicts
        try:
            hit: T = verdicts[key]
            return hit
        except KeyError:
            pass
        if len(verdicts) >= VERDICTS_LIMIT:
            verdicts.clear()
        value = verdicts[key] = make()
        return value

    def covering(self, diagnoses: list[str], route: str | None, product: Iterable[str] = ()) -> Indication | None:
        """The indication that covers the claim's diagnoses for the route (and product), a certain one first."""
        dx, names = tuple(diagnoses), tuple(product)
        return self._memo(("covering", dx, route, names), lambda: self._covering(list(dx), route, names))

    def _covering(self, diagnoses: list[str], route: str | None, product: tuple[str, ...]) -> Indication | None:
        fallback = None
        for i in self.indications:
            if i.covers(diagnoses, route, product):
                if i.certain:
                    return i
                fallback = fallback or i
        return fallback

    def uncertain_notes(self, diagnoses: list[str], route: str | None = None, product: Iterable[str] = ()) -> list[str]:
        """Why an uncovered claim may still be covered (data igclaim could not confirm); a note limited to a route
        or product counts only for it."""
        dx, names = tuple(diagnoses), tuple(product)
        notes = self._memo(("notes", dx, route, names), lambda: tuple(self._uncertain_notes(list(dx), route, names)))
        return list(notes)

    def _uncertain_notes(self, diagnoses: list[str], route: str | None, products: tuple[str, ...]) -> list[str]:
        notes = [u.note for u in self.uncertain if any(compact(d).startswith(p) for d in diagnoses for p in u.prefixes)
                 and (u.routes is None or route is None or route in u.routes)]
        notes += [f"{i.name}: {i.note or 'contractor-dependent, verify'}" for i in self.indications
                  if not i.certain and any(i.matches(d) for d in diagnoses) and i.applies_to(route, products)]
        return notes

    def codes_for(self, route: str | None) -> list[str]:
        """The exact codes listed for a route (for tests and documentation; prefixes are not expanded)."""
        return sorted({c for i in self.indications if i.certain and not i.with_any
                       and (i.routes is None or route in i.routes) for c in i.codes})


@dataclass(frozen=True)
class NotAReason:
    code: str
    edit: str
    reason: str
    source: str


def _codes(values: list[str]) -> frozenset[str]:
    return frozenset(compact(v) for v in values)


def _csv_codes(base: Traversable | Path, name: str) -> frozenset[str]:
    text = (base / name).read_text(encoding="utf-8")
    return _codes([row["icd10cm"] for row in csv.DictReader(io.StringIO(text)) if row.get("icd10cm")])


def _parse(data: dict[str, Any], base: Traversable | Path, where: str) -> Policy:
    try:
        head = data["policy"]
        indications = []
        for ind in data.get("indication", []):
            if "from_policy" in ind:
                other = policy(ind["from_policy"])
                found = next(i for i in other.indications if i.name == ind.get("from_indication", i.name))
                indications.append(Indication(ind.get("name", found.name), found.codes, found.prefixes,
                                              found.routes, found.products, found.with_any, found.certain,
                                              found.source, found.note))
                continue
            codes = _codes(ind.get("codes", []))
            if "csv" in ind:
                codes |= _csv_codes(base, ind["csv"])
            indications.append(Indication(
                name=ind["name"],
                codes=codes,
                prefixes=tuple(compact(p) for p in ind.get("prefixes", [])),
                routes=tuple(ind["routes"]) if "routes" in ind else None,
                products=tuple(ind["products"]) if "products" in ind else None,
                with_any=_codes(ind.get("with_any", [])),
                certain=bool(ind.get("certain", True)),
                source=ind["source"] if "source" in ind else head["source"],  # its own, else the policy's
                note=ind.get("note", ""),
            ))
        uncertain = tuple(Uncertain(tuple(compact(p) for p in u["prefixes"]), u["note"], u.get("source", ""),
                                    tuple(u["routes"]) if "routes" in u else None)
                          for u in data.get("uncertain", []))
        severity = head.get("severity", "warning" if head.get("kind") != "official" else "error")
        if severity not in ("error", "warning", "info"):
            raise ValueError(f"severity {severity!r}")
        return Policy(head["name"], head.get("title", head["name"]), head.get("kind", "default"), severity,
                      head.get("source", ""), head.get("notice", ""), tuple(indications), uncertain, where)
    except (KeyError, ValueError, TypeError, StopIteration, OSError) as exc:
        raise PolicyError(f"{where}: malformed coverage policy ({exc!r})") from None


def bundled_policies() -> list[str]:
    """The names of the bundled coverage policies: the files of refdata/coverage/ with a `[policy]` table (the
    others hold the contractors' lists, the diagnoses never a reason and the liability modifiers)."""
    return sorted(p.name[:-5] for p in _DIR.iterdir()
                  if p.name.endswith(".toml") and "policy" in tomllib.loads(p.read_text(encoding="utf-8")))


def _bundled_policy(name: str) -> Policy:
    return _parse(tomllib.loads((_DIR / f"{name}.toml").read_text(encoding="utf-8")), _DIR, f"bundled:{name}")


@lru_cache(maxsize=64)
def policy(name_or_path: str, relative_to: str | None = None) -> Policy:
    """A bundled policy by name, or a user's policy file (.toml) by path (relative paths: to `relative_to` first)."""
    bundled = _DIR / f"{name_or_path}.toml"
    if "/" not in name_or_path and not name_or_path.endswith(".toml") and bundled.is_file():
        return kept(f"policy-{name_or_path}", partial(_bundled_policy, name_or_path))  # refdata/cache.py
    candidates = [Path(name_or_path)]
    if relative_to and not Path(name_or_path).is_absolute():
        candidates.insert(0, Path(relative_to) / name_or_path)
    for path in candidates:
        if path.suffix == ".toml" and path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise PolicyError(f"{path}: cannot read coverage policy ({exc})") from None
            return _parse(data, path.parent, str(path))
    known = ", ".join(bundled_policies())
    raise PolicyError(f"unknown coverage policy {name_or_path!r}: use one of {known}, or a .toml file")


@lru_cache(maxsize=1)
def not_a_reason() -> tuple[NotAReason, ...]:
    """Diagnoses that are never the reason for immune globulin (e.g. Z51.11 → DX-CHEMO-ENCOUNTER)."""
    data = tomllib.loads((_DIR / "not-a-reason.toml").read_text(encoding="utf-8"))
    return tuple(NotAReason(compact(c["code"]), c["edit"], c["reason"], c["source"]) for c in data["code"])


@dataclass(frozen=True)
class LiabilityModifiers:
    with_signed_abn: str
    without_abn: str
    source: str
    statutory_exclusion: str = "GY"
    voluntary_notice: str = "GX"
    excluded_source: str = ""
    criteria_met: str = ""  # KX: a Medicare home pump line whose coverage criteria are met ([pump])
    criteria_source: str = ""

    @property
    def all(self) -> frozenset[str]:
        return frozenset({self.with_signed_abn, self.without_abn, self.statutory_exclusion, self.voluntary_notice})


@lru_cache(maxsize=1)
def liability_modifiers() -> LiabilityModifiers:
    """GA (ABN signed) and GZ (no ABN) for an expected medical-necessity denial in Original Medicare; GY (and GX
    with a voluntary notice) for a statutory exclusion or a service with no benefit category; KX on a home pump's
    lines when no denial is expected."""
    data = tomllib.loads((_DIR / "liability-modifiers.toml").read_text(encoding="utf-8"))
    abn, ex, pump = data["abn"], data["excluded"], data["pump"]
    return LiabilityModifiers(abn["with_signed_abn"], abn["without_abn"], abn["source"], ex["statutory_exclusion"],
                              ex["voluntary_notice"], ex["source"], pump["criteria_met"], pump["source"])
