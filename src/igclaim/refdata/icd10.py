"""ICD-10-CM validity by date of service: a diagnosis on a claim must be a billable leaf of the release in force
on the date of service (HIPAA code sets, 45 CFR 162.1002; CMS/NCHS files, https://www.cms.gov/medicare/coding-billing/icd-10-codes).

Releases are data: the bundled ones are listed in `refdata/icd10/releases.toml` (one billable-code file each,
with its `.source.txt`); an importer (`igclaim data import icd10`) adds more with `register_release`.
Everything is loaded once per process.

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
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

__all__ = ["Release", "also_billable_in", "billable_under", "compact", "format", "is_billable", "register_release",
           "release_for", "releases"]

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
    """One ICD-10-CM release: its billable codes (compact form) and the dates it is in force (ends inclusive)."""

    name: str
    effective: date
    ends: date | None
    billable: frozenset[str]
    source: str
    order: int = 0  # registration order: a later registration wins over an earlier one for the same dates

    def covers(self, dos: date) -> bool:
        return self.effective <= dos and (self.ends is None or dos <= self.ends)

    def sorted_codes(self) -> list[str]:
        return _sorted(self.billable)


@lru_cache(maxsize=16)
def _sorted(codes: frozenset[str]) -> list[str]:
    return sorted(codes)


def parse_billable_file(text: str) -> frozenset[str]:
    """Read the compact list: 'D83 0 1 2 8 9' per category, '.' for the category itself."""
    codes: set[str] = set()
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        cat, *suffixes = parts
        for s in suffixes or ["."]:
            codes.add(cat if s == "." else cat + s)
    return frozenset(codes)


@lru_cache(maxsize=1)
def _bundled() -> tuple[Release, ...]:
    meta = tomllib.loads((_DIR / "releases.toml").read_text(encoding="utf-8"))
    out = []
    for i, r in enumerate(meta["release"]):
        codes = parse_billable_file((_DIR / r["file"]).read_text(encoding="utf-8"))
        out.append(Release(r["name"], r["effective"], r.get("ends"), codes, r["source"], order=i))
    return tuple(out)


_REGISTERED: list[Release] = []


def register_release(
    name: str, effective: date, ends: date | None, billable_codes: Iterable[str], source: str
) -> Release:
    """Add a release (e.g. one imported from the CMS files); it wins over bundled ones for the dates it covers."""
    rel = Release(name, effective, ends, frozenset(compact(c) for c in billable_codes), source,
                  order=1000 + len(_REGISTERED))
    _REGISTERED.append(rel)
    return rel


_IN_FORCE: dict[tuple[date, int], tuple[list[Release], Release | None]] = {}


def releases() -> list[Release]:
    from igclaim.refdata.store import icd10_releases  # imported with `igclaim data import icd10`

    return [*_bundled(), *icd10_releases(), *_REGISTERED]


def release_for(dos: date) -> Release | None:
    """The release in force on the date: latest effective date first; a registered one before a bundled one.

    Remembered per date for the releases held now (a new import or registration makes a new key)."""
    from igclaim.refdata.store import icd10_releases

    imported = icd10_releases()
    key = (dos, len(_REGISTERED))
    hit = _IN_FORCE.get(key)
    if hit is not None and hit[0] is imported:
        return hit[1]
    candidates = [r for r in [*_bundled(), *imported, *_REGISTERED] if r.covers(dos)]
    found = max(candidates, key=lambda r: (r.effective, r.order)) if candidates else None
    if len(_IN_FORCE) > 4096:
        _IN_FORCE.clear()
    _IN_FORCE[key] = (imported, found)
    return found


def is_billable(code: str, dos: date) -> bool | None:
    """True/False by the release in force on the date; None when no release covers the date (cannot tell)."""
    rel = release_for(dos)
    if rel is None:
        return None
    return compact(code) in rel.billable


def also_billable_in(code: str, dos: date) -> list[Release]:
    """Other releases covering the date that list the code as billable. When the release in force lacks a code
    that another one (e.g. the bundled FY release) has, the file in force may be partial: a doubt, not a fact."""
    rel = release_for(dos)
    c = compact(code)
    return [r for r in releases() if r is not rel and r.covers(dos) and c in r.billable]


def billable_under(code: str, dos: date, limit: int = 12) -> list[str]:
    """Billable codes that extend a category (for the message when a category was billed)."""
    rel = release_for(dos)
    if rel is None:
        return []
    prefix = compact(code)
    codes = rel.sorted_codes()
    i = bisect.bisect_left(codes, prefix)
    out: list[str] = []
    while i < len(codes) and codes[i].startswith(prefix) and len(out) < limit:
        if codes[i] != prefix:
            out.append(format(codes[i]))
        i += 1
    return out
