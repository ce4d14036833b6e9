"""ICD-10-CM validity by date of service: a diagnosis on a claim must be a billable leaf of the release in force
on the date of service (HIPAA code sets, 45 CFR 162.1002; CMS/NCHS files, https://www.cms.gov/medicare/coding-billing/icd-10-codes).

Releases are data: the bundled ones are listed in `refdata/icd10/releases.toml` (one billable-code file each,
with its `.source.txt`); an importer (`igclaim data import icd10`) adds more with `register_release`.
Everything is loaded once per process; the releases of one imported-data version are one `Releases` value (`held`),
which the rule snapshot carries (`Rules.icd10`).

>>> is_billable("G35", date(2025, 6, 10))
True
>>> is_billable("G35", date(2026, 4, 14))
False
>>> billable_under("G35", date(2026, 4, 14))[:3]
['G35.A', 'G35.B0', 'G35.B1']
>>> is_billable("D83.9", date(2019, 1, 1)) is None  # no bundled release covers that date
True
"""

from __future__ import annotations

import bisect
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache, partial
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from igclaim.refdata.cache import kept
from igclaim.refdata.dated import within

if TYPE_CHECKING:
    from igclaim.refdata.store import Tables

__all__ = ["Release", "Releases", "also_billable_in", "billable_under", "compact", "format", "held", "is_billable",
           "register_release", "release_for", "releases"]

_DIR = resources.files("igclaim.refdata") / "icd10"


def compact(code: str) -> str:
    """The code without its dot, upper case: 'd83.9' → 'D839'."""
    return code.strip().upper().replace(".", "")


def format(code: str) -> str:  # noqa: A001 - the python-stdnum name
    """The code with the dot after the category: 'D839' → 'D83.9'."""
    c = compact(code)
    return c if len(c) <= 3 else f"{c[:3]}.{c[3:]}"


@dataclass(frozen=True)
class Release:
    """One ICD-10-CM release: its billable codes (compact form) and the dates it is in force (ends inclusive).

    `listed` holds the codes, or for a bundled release the file that lists them: the file is read when a claim
    first needs the release's codes, so a process whose dates fall in one fiscal year never reads the others."""

    name: str
    effective: date
    ends: date | None
    listed: frozenset[str] | Traversable  # the billable codes, or the bundled file listing them (`read_billable`)
    source: str
    order: int = 0  # registration order: a later registration wins over an earlier one for the same dates
    # The codes read once asked ("billable", "ordered"): an explicit memo, as mypyc compiles this class without the
    # instance __dict__ functools.cached_property needs.
    _memo: dict[str, object] = field(default_factory=dict, init=False, compare=False, repr=False)

    def covers(self, dos: date) -> bool:
        return within(dos, self.effective, self.ends)

    @property
    def billable(self) -> frozenset[str]:
        got = self._memo.get("billable")
        if got is None:
            listed = self.listed
            got = self._memo["billable"] = listed if isinstance(listed, frozenset) else frozenset(_read(listed))
        return got  # type: ignore[return-value]

    def _by_category(self, listed: Traversable) -> dict[str, str]:
        """A bundled file's lines by category (`_index`), read when first asked."""
        index: dict[str, str] | None = self._memo.get("index")  # type: ignore[assignment]
        if index is None:
            index = self._memo["index"] = _indexed(listed)
        return index

    def lists(self, code: str) -> bool:
        """Whether the release lists this code (compact form) as billable. A bundled file is indexed by category
        when first asked (one line each, about 1,900) and a category's codes split when first asked: a process
        never builds the set of 70,000 codes to answer a claim (`billable` still gives it)."""
        listed = self.listed
        if isinstance(listed, frozenset):
            return code in listed
        category = code[:3]
        rest = self._by_category(listed).get(category)
        if rest is None:
            return False
        split: dict[str, frozenset[str]] = self._memo.setdefault("split", {})  # type: ignore[assignment]
        suffixes = split.get(category)
        if suffixes is None:
            suffixes = split[category] = frozenset(rest.split())
        return (code[3:] or ".") in suffixes

    def codes_under(self, prefix: str) -> list[str]:
        """The codes (compact form) that start with the prefix, in order. A bundled file answers a prefix of a
        category or longer from the category's line; a shorter one, or a release given its codes, from the sorted
        list of them all (`sorted_codes`)."""
        listed = self.listed
        if len(prefix) >= 3 and not isinstance(listed, frozenset):
            category = prefix[:3]
            rest = self._by_category(listed).get(category, "")
            codes = sorted(category if s == "." else category + s for s in rest.split())
            return [c for c in codes if c.startswith(prefix)]
        ordered = self.sorted_codes()
        i = j = bisect.bisect_left(ordered, prefix)
        while j < len(ordered) and ordered[j].startswith(prefix):
            j += 1
        return ordered[i:j]

    def sorted_codes(self) -> list[str]:
        """The codes in order, for the codes under a category (a DX-INVALID message: rare, so kept only once
        asked). A bundled file lists them in order already, so sorting its list costs one pass, where sorting the
        set would cost a full sort."""
        got = self._memo.get("ordered")
        if got is None:
            listed = self.listed
            codes = list(listed) if isinstance(listed, frozenset) else _read(listed)
            codes.sort()
            got = self._memo["ordered"] = codes
        return got  # type: ignore[return-value]


def _read(file: Traversable) -> list[str]:
    return read_billable(file.read_text(encoding="utf-8"))


def _indexed(listed: Traversable) -> dict[str, str]:
    """A file's index (`_index`); a bundled file's is kept between processes with the catalog (refdata/cache.py),
    whose stamp covers the package's files, so only a file of the package's own folder is kept."""
    if _DIR / listed.name == listed:
        return kept(f"icd10-{listed.name}", partial(_read_index, listed))
    return _read_index(listed)


def _read_index(listed: Traversable) -> dict[str, str]:
    return _index(listed.read_text(encoding="utf-8"))


def _index(text: str) -> dict[str, str]:
    """The compact list by category, in its order: what follows each category ('.' for the category itself; a
    category written on two lines is one entry). `read_billable` and `Release.lists` both read it."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if parts:
            category, rest = parts[0], parts[1] if len(parts) > 1 else "."
            out[category] = f"{out[category]} {rest}" if category in out else rest
    return out


def read_billable(text: str) -> list[str]:
    """Read the compact list, in its order: 'D83 0 1 2 8 9' per category, '.' (or nothing) for the category
    itself."""
    return [category if s == "." else category + s for category, rest in _index(text).items() for s in rest.split()]


def parse_billable_file(text: str) -> frozenset[str]:
    """The billable codes of a compact list (`read_billable`), as a set."""
    return frozenset(read_billable(text))


@lru_cache(maxsize=1)
def _bundled() -> tuple[Release, ...]:
    meta = tomllib.loads((_DIR / "releases.toml").read_text(encoding="utf-8"))
    out = []
    for i, r in enumerate(meta["release"]):
        out.append(Release(r["name"], r["effective"], r.get("ends"), _DIR / r["file"], r["source"], order=i))
    return tuple(out)


_REGISTERED: list[Release] = []
# Bumped by every registration. With the list's identity and length it tells `held` the registrations did not change
# since its last answer, without a walk over them: the list grows only by `register_release`; a test that removes a
# release changes its length, one that swaps in another list its identity (`held` keeps the list it answered for).
_GENERATION = [0]


def register_release(
    name: str, effective: date, ends: date | None, billable_codes: Iterable[str], source: str
) -> Release:
    """Add a release (e.g. one imported from the CMS files); it wins over bundled ones for the dates it covers."""
    rel = Release(name, effective, ends, frozenset(compact(c) for c in billable_codes), source,
                  order=1000 + len(_REGISTERED))
    _REGISTERED.append(rel)
    _GENERATION[0] += 1
    return rel


class Releases:
    """The ICD-10-CM releases held for one data version (bundled, imported, registered), answering by date of
    service. Built once per imported-data version (`held`) and carried by the rule snapshot (`Rules.icd10`), so a
    claim never rebuilds the list; answers per date are remembered here."""

    def __init__(self, releases: Iterable[Release]) -> None:
        self.all: tuple[Release, ...] = tuple(releases)
        self._in_force: dict[date, Release | None] = {}
        starts = [r.effective for r in self.all if r.effective]
        self.earliest: date | None = min(starts) if starts else None  # the first date any release is in force

    def release_for(self, dos: date) -> Release | None:
        """The release in force on the date: latest effective date first; a registered one before a bundled one."""
        try:
            return self._in_force[dos]
        except KeyError:
            pass
        candidates = [r for r in self.all if r.covers(dos)]
        found = max(candidates, key=lambda r: (r.effective, r.order)) if candidates else None
        if len(self._in_force) > 4096:
            self._in_force.clear()
        self._in_force[dos] = found
        return found

    def is_billable(self, code: str, dos: date) -> bool | None:
        """True/False by the release in force on the date; None when no release covers the date (cannot tell)."""
        rel = self.release_for(dos)
        if rel is None:
            return None
        return rel.lists(compact(code))

    def also_billable_in(self, code: str, dos: date) -> list[Release]:
        """Other releases covering the date that list the code as billable. When the release in force lacks a code
        that another one (e.g. the bundled FY release) has, the file in force may be partial: a doubt, not a fact."""
        rel = self.release_for(dos)
        c = compact(code)
        return [r for r in self.all if r is not rel and r.covers(dos) and r.lists(c)]

    def billable_under(self, code: str, dos: date, limit: int = 12) -> list[str]:
        """Billable codes that extend a category (for the message when a category was billed)."""
        rel = self.release_for(dos)
        if rel is None:
            return []
        prefix = compact(code)
        return [format(c) for c in rel.codes_under(prefix) if c != prefix][:limit]


def held(tables: Tables | None = None) -> Releases:
    """The releases of these imported tables (default: the tables in force now) and of this process's
    registrations, built once per tables and registrations (per claim: the last answer, while `_GENERATION`, the
    list and its length are unchanged)."""
    if tables is None:
        from igclaim.refdata import store

        tables = store.tables()
    registered, derived = _REGISTERED, tables.derived
    last: tuple[list[Release], int, int, Releases] | None = derived.get("icd10")  # the answer of the last claim
    if last is not None and last[0] is registered and last[1] == _GENERATION[0] and last[2] == len(registered):
        return last[3]
    # Registrations changed (or other tables): the releases of exactly these registrations, the same object as
    # before for registrations held before (a removed one gives back the earlier answer).
    key = ("icd10", tuple(map(id, registered)))  # the Releases value holds them: these ids are not reused
    releases: Releases | None = derived.get(key)
    if releases is None:
        from igclaim.refdata import store

        releases = derived[key] = Releases((*_bundled(), *store.icd10_releases(tables), *registered))
    derived["icd10"] = (registered, _GENERATION[0], len(registered), releases)
    return releases


def releases() -> list[Release]:
    return list(held().all)


def release_for(dos: date) -> Release | None:
    """The release in force on the date, for the imported tables in force now (see `Releases.release_for`)."""
    return held().release_for(dos)


def is_billable(code: str, dos: date) -> bool | None:
    """True/False by the release in force on the date; None when no release covers the date (cannot tell)."""
    return held().is_billable(code, dos)


def also_billable_in(code: str, dos: date) -> list[Release]:
    return held().also_billable_in(code, dos)


def billable_under(code: str, dos: date, limit: int = 12) -> list[str]:
    return held().billable_under(code, dos, limit)
