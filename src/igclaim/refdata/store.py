"""Imported CMS tables: an SQLite file under IGCLAIM_HOME, read by date of service, over a bundled snapshot.

Write side: `import_file()` parses the whole file first, then writes it in one transaction; the same file again
changes nothing, and a new file for the same kind, scope and dates replaces the old one (CMS re-issues
corrected files for a quarter). Every row keeps its effective range and its import (file name + sha256).

Read side: `tables()` is opened once per process (read-only) and caches rows per code, so a batch of millions
of claims asks SQLite once per code. Imported data wins for the dates it covers; otherwise the bundled snapshot
(`refdata/cms/snapshot/`, real CMS files of one quarter); otherwise nothing (None, never a made-up value).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache, cached_property, partial
from importlib import resources
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from igclaim.refdata.cache import kept
from igclaim.refdata.dated import within
from igclaim.refdata.importers import ImportFailure, Options, Parsed, Source, parse, parse_all, read_sources

DB_NAME = "refdata.sqlite"
SNAPSHOT = ("asp-pricing-2026q1.csv", "asp"), ("asp-ndc-hcpcs-crosswalk-2026q1.csv", "crosswalk")

# Row columns per kind (after import_id, effective, ends).
COLUMNS: dict[str, tuple[str, ...]] = {
    "hcpcs": ("code", "long_description", "short_description", "added", "action_effective", "terminated",
              "action", "is_modifier"),
    "asp": ("code", "short_description", "dosage", "payment_limit", "notes"),
    "crosswalk": ("code", "ndc11", "labeler", "drug_name", "dosage", "billunits", "billunitspkg"),
    "mue": ("code", "mue", "mai", "mai_text", "rationale"),
    "ptp": ("column1", "column2", "prior_1996", "row_effective", "row_deleted", "modifier", "rationale"),
    "icd10": ("code", "billable", "short_description", "long_description"),
    "fees": ("code", "modifier", "amount", "facility_amount", "note"),
    "ndc_directory": ("ndc11", "product_ndc", "description", "ml", "start", "end"),
    "coverage": ("article", "grp", "code"),
}
KEY = {"hcpcs": "code", "asp": "code", "crosswalk": "ndc11", "mue": "code", "ptp": "column1", "icd10": "code",
       "fees": "code", "ndc_directory": "ndc11", "coverage": "article"}


def home() -> Path:
    return Path(os.environ.get("IGCLAIM_HOME") or Path.home() / ".local" / "share" / "igclaim")


def db_path() -> Path:
    return home() / DB_NAME


STAMP_NAME = "refdata.version"


def stamp_path() -> Path:
    """Written after every import that changed something: a running process (serve, a batch) that sees it change
    opens the tables again for the next claim, so a new quarter needs no restart."""
    return home() / STAMP_NAME


# How often a process looks at the stamp (seconds): a new import is seen by the next claim after at most this long.
REFRESH_SECONDS = 1.0
_VERSION: dict[str, tuple[float, tuple[str, int, int]]] = {}
_STAMPS: dict[str, str] = {}


def data_version() -> tuple[str, int, int]:
    """A cheap stamp of the imported data in force: (IGCLAIM_HOME, stamp's mtime_ns, its size), looked up with one
    stat at most every REFRESH_SECONDS per home."""
    root = os.environ.get("IGCLAIM_HOME") or ""
    now = time.monotonic()
    seen = _VERSION.get(root)
    if seen is not None and now - seen[0] < REFRESH_SECONDS:
        return seen[1]
    path = _STAMPS.get(root)
    if path is None:
        path = _STAMPS[root] = str(Path(root or home()) / STAMP_NAME)
    try:
        st = os.stat(path)
        version = (root, st.st_mtime_ns, st.st_size)
    except OSError:
        version = (root, 0, 0)
    _VERSION[root] = (now, version)
    return version


# A second import waits this long for the first to finish, then stops with one clear line (exit 2).
BUSY_TIMEOUT_SECONDS = 60
# A new file with fewer rows than this share of the previous import of the same period is refused (a truncated
# re-download would otherwise replace the complete file) unless --force.
MIN_ROW_SHARE = 0.5


class ImportBusy(RuntimeError):
    """Another import holds the database for longer than BUSY_TIMEOUT_SECONDS."""


def _schema(conn: sqlite3.Connection) -> None:
    conn.execute("""CREATE TABLE IF NOT EXISTS imports (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, scope TEXT NOT NULL, part TEXT NOT NULL,
        effective TEXT NOT NULL, ends TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT NOT NULL,
        rows INTEGER NOT NULL, imported_at TEXT NOT NULL)""")
    for kind, cols in COLUMNS.items():
        conn.execute(f"CREATE TABLE IF NOT EXISTS {kind} (import_id INTEGER NOT NULL REFERENCES imports(id), "
                     f"effective TEXT NOT NULL, ends TEXT NOT NULL, {', '.join(cols)})")
        conn.execute(f"CREATE INDEX IF NOT EXISTS {kind}_key ON {kind} ({KEY[kind]})")


@dataclass(frozen=True)
class ImportReport:
    kind: str
    file: str
    sha256: str
    effective: date
    ends: date
    scope: str
    rows: int
    changed: bool
    replaced: int = 0
    skipped: tuple[str, ...] = ()  # rows of the file left out (importers.Parsed.skipped)


def import_file(kind: str, path: Path, options: Options | None = None) -> list[ImportReport]:
    """Parse the file (or each member of a CMS zip) completely, then store it all in one transaction.

    Raises importers.ImportFailure (file, line, column) before anything is written."""
    options = options or Options()
    sources = read_sources(path, kind)
    parsed = [(s, p) for s in sources for p in parse_all(s, kind, options)]
    target = db_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_SECONDS)
    reports = []
    try:
        # WAL: readers (builds, batch workers) see the last committed imports while a write is in progress.
        conn.execute("PRAGMA journal_mode=WAL")
        with conn:  # one transaction for the whole file (all members of a zip)
            conn.execute("BEGIN IMMEDIATE")
            _schema(conn)
            for src, p in parsed:
                reports.append(_store(conn, src, p, options.force))
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise ImportBusy(f"another import is still writing {target} after {BUSY_TIMEOUT_SECONDS} s; nothing was "
                             "imported: try again when it has finished") from None
        raise
    finally:
        conn.close()
    if any(r.changed for r in reports):
        _write_stamp()
    invalidate()
    return reports


def _write_stamp() -> None:
    """A new stamp (its content grows, so its size or mtime changes even within one clock tick)."""
    path = stamp_path()
    try:
        count = len(path.read_text(encoding="ascii").splitlines())
    except OSError:
        count = 0
    with path.open("a", encoding="ascii") as f:
        f.write(f"{count + 1} {datetime.now(UTC).isoformat()}\n")


def _store(conn: sqlite3.Connection, src: Source, p: Parsed, force: bool = False) -> ImportReport:
    sha = hashlib.sha256(src.data).hexdigest()
    same = (p.kind, p.scope, p.part, p.effective.isoformat(), p.ends.isoformat())
    old = conn.execute("SELECT id, sha256, rows FROM imports WHERE kind=? AND scope=? AND part=? AND effective=? AND "
                       "ends=?", same).fetchall()
    report = partial(ImportReport, kind=p.kind, file=src.name, sha256=sha, effective=p.effective, ends=p.ends,
                     scope=p.scope, rows=len(p.rows), skipped=tuple(p.skipped))
    if any(s == sha for _, s, _ in old):
        return report(changed=False)
    before = max((n for _, _, n in old), default=0)
    if not force and len(p.rows) < before * MIN_ROW_SHARE:
        raise ImportFailure(src.name, None, None, f"{len(p.rows)} rows, far fewer than the {before} of the file "
                            f"already imported for {p.effective}..{p.ends}: a truncated file? Use --force to "
                            "replace it anyway", ("force",))
    for old_id, _, _ in old:
        conn.execute(f"DELETE FROM {p.kind} WHERE import_id=?", (old_id,))
        conn.execute("DELETE FROM imports WHERE id=?", (old_id,))
    cur = conn.execute("INSERT INTO imports (kind, scope, part, effective, ends, file, sha256, rows, imported_at) "
                       "VALUES (?,?,?,?,?,?,?,?,?)",
                       (*same, src.name, sha, len(p.rows), datetime.now(UTC).isoformat(timespec="seconds")))
    cols = COLUMNS[p.kind]
    conn.executemany(f"INSERT INTO {p.kind} (import_id, effective, ends, {', '.join(cols)}) "
                     f"VALUES (?,?,?,{','.join('?' * len(cols))})",
                     ((cur.lastrowid, same[3], same[4], *r) for r in p.rows))
    return report(changed=True, replaced=len(old))


# --- read side ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Loaded:
    """One imported (or bundled) file: what it is, the dates it covers, where it came from."""

    id: int
    kind: str
    scope: str
    part: str
    effective: date
    ends: date
    file: str
    sha256: str
    rows: int
    imported_at: str
    # The hash the dataclass would work out in Python on every use, worked out once (claims add their files to sets).
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(tuple(getattr(self, f.name) for f in fields(self) if f.compare)))

    def __hash__(self) -> int:
        return self._hash

    def covers(self, dos: date) -> bool:
        return within(dos, self.effective, self.ends)

    @cached_property
    def label(self) -> str:
        return f"{'bundled snapshot' if self.id < 0 else 'imported'} {self.kind}: {self.file} " \
               f"({self.effective}..{self.ends}, sha256 {self.sha256[:12]})"


@dataclass(frozen=True)
class Price:
    amount: Decimal
    code: str
    source: Loaded


@dataclass(frozen=True)
class Mue:
    code: str
    units: int
    mai: int  # 1 line edit; 2 date of service, policy; 3 date of service, clinical
    mai_text: str
    rationale: str
    source: Loaded


@dataclass(frozen=True)
class PtpEdit:
    column1: str
    column2: str
    modifier: int  # 0 never with a modifier; 1 allowed with an NCCI-associated modifier; 9 not applicable
    rationale: str
    source: Loaded


@dataclass(frozen=True)
class HcpcsStatus:
    code: str
    added: date | None
    terminated: date | None
    action: str
    description: str
    source: Loaded

    def valid_on(self, dos: date) -> bool:
        return within(dos, self.added, self.terminated)  # TERM DT: the last date of use


@dataclass(frozen=True)
class NdcPackage:
    ndc11: str
    product_ndc: str
    description: str
    ml: Decimal | None
    start: date | None
    end: date | None
    source: Loaded


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _day(text: str) -> date:
    """A date the table requires (NOT NULL)."""
    return date.fromisoformat(text)


P = ParamSpec("P")
R = TypeVar("R")
_MISSING: Any = object()
# Answers kept per open Tables (one data version): bounded, so memory stays flat however many dates a process sees.
ANSWERS_LIMIT = 65536


def _answer(fn: Callable[Concatenate[Tables, P], R], *, per_interval: bool = False
            ) -> Callable[Concatenate[Tables, P], R]:
    """Remember a read answer per (method, arguments): a Tables never changes once opened (a new import opens new
    Tables), so every claim of a date asks SQLite and scans the imports once. Callers must not mutate answers.

    `per_interval`: the method reads its date only through which files cover it (`covering`, the snapshot's
    `covers`), so a new date is first looked up by its interval between the files' dates (`Tables.interval`): one
    answer serves every date of the interval, and a process's first claim of a date does not read the rows again."""
    name = fn.__name__

    def wrapper(self: Tables, /, *args: P.args, **kwargs: P.kwargs) -> R:
        key = (name, args, tuple(kwargs.items())) if kwargs else (name, args)
        memo = self._answers
        try:
            hit: R = memo.get(key, _MISSING)
        except TypeError:  # an unhashable argument (a list of kinds): answered, not remembered
            return fn(self, *args, **kwargs)
        if hit is _MISSING:
            if len(memo) >= ANSWERS_LIMIT:
                memo.clear()
            if per_interval:
                same = (name, tuple(self.interval(a) if type(a) is date else a for a in args),
                        tuple((k, self.interval(v) if type(v) is date else v) for k, v in kwargs.items()), "interval")
                hit = memo.get(same, _MISSING)
                if hit is _MISSING:
                    hit = memo[same] = fn(self, *args, **kwargs)
                memo[key] = hit
            else:
                hit = memo[key] = fn(self, *args, **kwargs)
        return hit

    wrapper.__name__, wrapper.__doc__, wrapper.__wrapped__ = name, fn.__doc__, fn  # type: ignore[attr-defined]
    return wrapper


def _answer_per_interval(fn: Callable[Concatenate[Tables, P], R]) -> Callable[Concatenate[Tables, P], R]:
    """`_answer(per_interval=True)`: for a method whose answer depends on its date only through the files covering
    it (never through a row's own dates)."""
    return _answer(fn, per_interval=True)


class Tables:
    """The imported tables (read-only, cached per code) over the bundled snapshot."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._cache: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        self._answers: dict[tuple[Any, ...], Any] = {}
        self.loaded: list[Loaded] = []
        self._icd10: list[Any] | None = None
        # Values derived from these tables and built once per data version (ICD-10-CM releases, coverage lookups).
        self.derived: dict[Any, Any] = {}
        if path is not None and path.is_file():
            self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False,
                                         timeout=BUSY_TIMEOUT_SECONDS)
            try:
                rows = self._conn.execute("SELECT id, kind, scope, part, effective, ends, file, sha256, rows, "
                                          "imported_at FROM imports ORDER BY effective, id")
                self.loaded = [Loaded(r[0], r[1], r[2], r[3], _day(r[4]), _day(r[5]), *r[6:]) for r in rows]
            except sqlite3.DatabaseError as exc:
                self._conn.close()
                self._conn, self.loaded = None, []
                if "locked" in str(exc) or "busy" in str(exc):  # a lock is a real error, not "nothing imported"
                    raise RuntimeError(f"{path}: cannot read the imported reference data ({exc})") from None

    @cached_property
    def kinds(self) -> frozenset[str]:
        """The kinds of table loaded, imported or bundled (an edit that reads only others has nothing to read)."""
        return frozenset(x.kind for x in self.loaded) | frozenset(self.snapshot)

    def has(self, kind: str) -> bool:
        return kind in self.kinds

    # --- raw rows ------------------------------------------------------------------------------------------
    def _rows(self, kind: str, key: str) -> list[tuple[Any, ...]]:
        """All imported rows of a code (every date), fetched once: (import_id, effective, ends, *columns)."""
        hit = self._cache.get((kind, key))
        if hit is None:
            hit = []
            if self._conn is not None:
                hit = self._conn.execute(f"SELECT import_id, effective, ends, {', '.join(COLUMNS[kind])} FROM {kind} "
                                         f"WHERE {KEY[kind]}=?", (key,)).fetchall()
            self._cache[(kind, key)] = hit
        return hit

    def _by_id(self, import_id: int) -> Loaded:
        return self._ids[import_id]

    @cached_property
    def _ids(self) -> dict[int, Loaded]:
        ids = {x.id: x for x in self.loaded}
        ids.update({x.id: x for x in self.snapshot_loaded})
        return ids

    @cached_property
    def bounds(self) -> list[date]:
        """The days a file (imported or bundled) starts or stops covering: between two of them, every file covers
        every date alike or none of them."""
        files = (*self.loaded, *self.snapshot_loaded)
        days = {x.effective for x in files} | {x.ends + timedelta(days=1) for x in files if x.ends < date.max}
        return sorted(days)

    def interval(self, dos: date) -> int:
        """Which interval between the files' dates (`bounds`) holds the date: dates of one interval are covered by
        the same files (`Loaded.covers`)."""
        return bisect_right(self.bounds, dos)

    @_answer_per_interval
    def covering(self, kind: str, dos: date, scope: str | None = None) -> list[Loaded]:
        return [x for x in self.loaded if x.kind == kind and x.covers(dos) and (scope is None or x.scope == scope)]

    @_answer_per_interval
    def _pick(self, kind: str, key: str, dos: date, scope: str | None = None) -> list[tuple[Loaded, tuple[Any, ...]]]:
        """Rows for a code from the newest import covering the date (imported first, then the snapshot)."""
        imports = self.covering(kind, dos, scope)
        rows, pool = [], None
        if imports:
            wanted = {x.id for x in imports}
            pool = [(self._by_id(r[0]), r) for r in self._rows(kind, key) if r[0] in wanted]
        elif kind in self.snapshot:
            snap = self.snapshot[kind]
            if snap[0].covers(dos):
                pool = [(snap[0], r) for r in snap[1].get(key, ())]
        if pool:
            newest = max((x for x, _ in pool), key=lambda x: (x.effective, x.id))
            rows = [(x, r) for x, r in pool if x.id == newest.id]
        return rows

    # --- bundled snapshot ----------------------------------------------------------------------------------
    @property
    def snapshot(self) -> dict[str, tuple[Loaded, dict[str, list[tuple[Any, ...]]]]]:
        return bundled_snapshot()

    @property
    def snapshot_loaded(self) -> list[Loaded]:
        return [v[0] for v in self.snapshot.values()]

    # --- answers by date of service ------------------------------------------------------------------------
    @_answer_per_interval
    def payment_limit(self, code: str, dos: date) -> Price | None:
        """The ASP payment limit per HCPCS unit on the date of service (None when unknown or "N/A")."""
        for src, r in self._pick("asp", code.upper(), dos):
            if r[6] is not None:
                return Price(Decimal(r[6]), code.upper(), src)
        return None

    @_answer_per_interval
    def crosswalk_codes(self, ndc11: str, dos: date) -> tuple[set[str], Loaded] | None:
        """HCPCS codes the ASP crosswalk assigns to an NDC; None when no crosswalk covers the date."""
        imports = self.covering("crosswalk", dos)
        if imports:
            src = max(imports, key=lambda x: (x.effective, x.id))
        elif "crosswalk" in self.snapshot and self.snapshot["crosswalk"][0].covers(dos):
            src = self.snapshot["crosswalk"][0]
        else:
            return None
        return {r[3] for _, r in self._pick("crosswalk", ndc11, dos)}, src

    @_answer_per_interval
    def package_billing_units(self, ndc11: str, code: str, dos: date) -> Decimal | None:
        """Billing units of `code` in one package of the NDC (BILLUNITSPKG of the ASP NDC-HCPCS crosswalk).

        The crosswalk covering the date answers first. A package's contents do not change between quarters, so
        for a date no loaded crosswalk covers, the nearest one listing the same NDC and code answers (the latest
        before the date, else the earliest after it); None when none lists the pair. A row's effective date is its
        file's (`import_file`, the snapshot), so the answer is one per interval between the files' dates."""
        def units_of(rows: list[tuple[Any, ...]]) -> Decimal | None:
            for r in rows:
                if r[3] == code.upper() and r[9]:
                    try:
                        units = Decimal(r[9])
                    except ArithmeticError:
                        continue
                    if units > 0:
                        return units
            return None

        found = units_of([r for _, r in self._pick("crosswalk", ndc11, dos)])
        if found is not None:
            return found
        pool = [r for r in self._rows("crosswalk", ndc11)]
        if "crosswalk" in self.snapshot:
            pool += list(self.snapshot["crosswalk"][1].get(ndc11, ()))
        before = sorted((r for r in pool if r[1] <= dos.isoformat()), key=lambda r: r[1], reverse=True)
        after = sorted((r for r in pool if r[1] > dos.isoformat()), key=lambda r: r[1])
        for r in [*before, *after]:
            hit = units_of([r])
            if hit is not None:
                return hit
        return None

    @_answer
    def ndc_package(self, ndc11: str, dos: date) -> NdcPackage | None:
        """The FDA NDC Directory's package record (imported), marketed on the date of service."""
        imports = self.covering("ndc_directory", dos)
        if not imports:
            return None
        newest = max(imports, key=lambda x: (x.effective, x.id))
        for r in self._rows("ndc_directory", ndc11):
            start, end = _d(r[7]), _d(r[8])
            if r[0] == newest.id and within(dos, start, end):
                return NdcPackage(r[3], r[4], r[5], Decimal(r[6]) if r[6] else None, start, end, newest)
        return None

    @_answer_per_interval
    def hcpcs_status(self, code: str, dos: date) -> tuple[HcpcsStatus | None, Loaded] | None:
        """The imported HCPCS file's record of a code; None when no imported HCPCS file covers the date."""
        imports = self.covering("hcpcs", dos)
        if not imports:
            return None
        src = max(imports, key=lambda x: (x.effective, x.id))
        for s, r in self._pick("hcpcs", code.upper(), dos):
            if not r[10]:
                return HcpcsStatus(r[3], _d(r[6]), _d(r[8]), r[9] or "", r[4], s), src
        return None, src

    @_answer_per_interval
    def mue(self, code: str, dos: date, setting: str) -> Mue | None:
        for s, r in self._pick("mue", code.upper(), dos, setting):
            return Mue(r[3], r[4], r[5], r[6], r[7], s)
        return None

    def ptp(self, column1: str, column2: str, dos: date, setting: str) -> PtpEdit | None:
        """The PTP edit in force for the pair on the date (row effective ≤ dos ≤ deletion), from every part."""
        return self.ptp_column2(column1, dos, setting).get(column2.upper())

    @_answer
    def ptp_column2(self, column1: str, dos: date, setting: str) -> dict[str, PtpEdit]:
        """Every PTP edit in force on the date with this column-1 code, by column-2 code (one read per code, so a
        claim's pairs are looked up by key instead of asking for each pair of lines)."""
        imports = self.covering("ptp", dos, setting)
        if not imports:
            return {}
        newest = max(x.effective for x in imports)
        wanted = {x.id for x in imports if x.effective == newest}
        out: dict[str, PtpEdit] = {}
        for r in self._rows("ptp", column1.upper()):
            if r[0] in wanted and r[4] not in out:
                start, deleted = _day(r[6]), _d(r[7])
                if within(dos, start, deleted) and _ptp_applies(r[8]):
                    out[r[4]] = PtpEdit(r[3], r[4], r[8], r[9], self._by_id(r[0]))
        return out

    @_answer_per_interval
    def fee(self, code: str, dos: date, *, facility: bool, schedule: str | None = None,
            modifier: str = "") -> Price | None:
        """The fee schedule amount for a service (the named schedule, else the newest covering the date)."""
        for s, r in self._pick("fees", code.upper(), dos, schedule):
            if (r[4] or "") == modifier:
                amount = r[6] if facility else r[5]
                return Price(Decimal(amount), code.upper(), s) if amount is not None else None
        return None

    @_answer_per_interval
    def icd10(self, code: str, dos: date) -> tuple[bool | None, Loaded] | None:
        """Billable (True/False) or unknown to the release (None); None when no imported release covers the date."""
        imports = self.covering("icd10", dos)
        if not imports:
            return None
        src = max(imports, key=lambda x: (x.effective, x.id))
        for _, r in self._pick("icd10", code.upper().replace(".", ""), dos):
            return bool(r[4]), src
        return None, src

    @_answer_per_interval
    def coverage_groups(self, article: str, dos: date) -> tuple[dict[int, frozenset[str]], Loaded] | None:
        """An imported coverage list of an article in force on the date (codes by group); None when none is."""
        picked = self._pick("coverage", article.upper(), dos, article.upper())
        if not picked:
            return None
        groups: dict[int, set[str]] = {}
        for _, r in picked:
            groups.setdefault(int(r[4]), set()).add(r[5])
        return {g: frozenset(c) for g, c in groups.items()}, picked[0][0]

    def coverage_articles(self, dos: date) -> list[str]:
        """Articles with an imported coverage list in force on the date."""
        return sorted({x.scope for x in self.covering("coverage", dos)})

    def icd10_releases(self) -> list[tuple[Loaded, dict[str, bool]]]:
        """Every imported ICD-10-CM release with its codes (code → billable), for the ICD-10-CM module."""
        out = []
        for x in (x for x in self.loaded if x.kind == "icd10"):
            if self._conn is None:
                break
            codes = {c: bool(b) for c, b in self._conn.execute("SELECT code, billable FROM icd10 WHERE import_id=?",
                                                              (x.id,))}
            out.append((x, codes))
        return out

    @_answer_per_interval
    def used(self, dos: date, kinds: Iterable[str] = ("hcpcs", "asp", "crosswalk", "mue", "ptp", "icd10",
                                                        "fees", "ndc_directory")) -> list[Loaded]:
        """The files that answer for this date of service: imported ones, else the snapshot of that kind."""
        out = []
        for kind in kinds:
            imports = self.covering(kind, dos)
            if imports:
                out.extend(imports)
            elif kind in self.snapshot and self.snapshot[kind][0].covers(dos):
                out.append(self.snapshot[kind][0])
        return out


_TABLES: dict[tuple[tuple[str, int, int], int], Tables] = {}
# This process's id, asked of the kernel once and again in a forked child (not once per claim).
_PID = [os.getpid()]
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _PID.__setitem__(0, os.getpid()))


@cache
def bundled_snapshot() -> dict[str, tuple[Loaded, dict[str, list[tuple[Any, ...]]]]]:
    """The bundled CMS files (refdata/cms/snapshot), each parsed into rows by code: the same for every version of the
    imported tables, so read once per process (and kept between processes: refdata/cache.py). Never changed."""
    return kept("snapshot", _parse_snapshot)


def _parse_snapshot() -> dict[str, tuple[Loaded, dict[str, list[tuple[Any, ...]]]]]:
    out = {}
    root = resources.files("igclaim.refdata") / "cms" / "snapshot"
    for i, (name, kind) in enumerate(SNAPSHOT, start=1):
        data = (root / name).read_bytes()
        p = parse(Source(name, data), kind, Options())
        loaded = Loaded(-i, kind, "", "", p.effective, p.ends, f"refdata/cms/snapshot/{name}",
                        hashlib.sha256(data).hexdigest(), len(p.rows), "bundled")
        key = COLUMNS[kind].index(KEY[kind])
        index: dict[str, list[tuple[Any, ...]]] = {}
        for r in p.rows:
            index.setdefault(r[key], []).append((loaded.id, p.effective.isoformat(), p.ends.isoformat(), *r))
        out[kind] = (loaded, index)
    return out


def tables(version: tuple[str, int, int] | None = None) -> Tables:
    """The tables for the current IGCLAIM_HOME and data version, opened once per process and version (keyed on
    the process id too, so a forked batch worker opens its own connection instead of sharing the parent's).

    A newer import (its stamp changed) opens a new `Tables` for the claims that follow; one already handed to a
    claim stays as it was, so a claim never mixes two quarters."""
    key = (version or data_version(), _PID[0])
    t = _TABLES.get(key)
    if t is None:
        for old in [k for k in _TABLES if k[0][0] == key[0][0]]:
            del _TABLES[old]  # an older version of the same home: closed when the last claim using it is done
        t = _TABLES[key] = Tables(db_path())
    return t


_IN_FORCE: dict[object, tuple[float, int, tuple[str, int, int], Tables]] = {}
# os.environ's own store on POSIX (bytes to bytes), where every write through os.environ lands: `in_force` keys its
# memory on IGCLAIM_HOME read from it with one dict lookup, where os.environ.get encodes the name and decodes the
# value in Python on every claim.
_ENVIRON: dict[bytes, bytes] | None = getattr(os.environ, "_data", None) if os.name == "posix" else None


def in_force() -> tuple[tuple[str, int, int], Tables]:
    """The data version and the tables in force for the next claim: `data_version()` and `tables()` in one step.
    While the stamp was looked at less than REFRESH_SECONDS ago (for this home, in this process) they are answered
    from memory with one read of the environment and of the clock; an import in this process (`invalidate`) is
    seen at once, an import by another process after at most REFRESH_SECONDS, as `data_version` promises."""
    key = _ENVIRON.get(b"IGCLAIM_HOME", b"") if _ENVIRON is not None else os.environ.get("IGCLAIM_HOME") or ""
    seen = _IN_FORCE.get(key)
    if seen is not None and seen[1] == _PID[0] and time.monotonic() - seen[0] < REFRESH_SECONDS:
        return seen[2], seen[3]
    version = data_version()
    t = tables(version)
    checked = _VERSION.get(version[0])  # when the stamp was looked at: the answer is as fresh as that look
    if checked is not None and checked[1] == version:
        _IN_FORCE[key] = (checked[0], _PID[0], version, t)
    return version, t


def icd10_releases(t: Tables | None = None) -> list[Any]:
    """Imported ICD-10-CM order files (of these tables, default the tables in force) as releases of
    `refdata/icd10.py` (billable codes only); they win over the bundled releases for the dates they cover, a later
    import over an earlier one."""
    from igclaim.refdata import icd10

    t = t if t is not None else tables()
    if t._icd10 is None:
        t._icd10 = [icd10.Release(f"imported {x.file}", x.effective, x.ends,
                                  frozenset(c for c, billable in codes.items() if billable), x.label, order=100 + x.id)
                    for x, codes in t.icd10_releases()]
    return t._icd10


def invalidate() -> None:
    """Forget the open tables (after an import in this process): the next claim opens them again. Tables already
    handed to a claim stay usable until it is done (their connection closes when the last user lets go)."""
    _TABLES.clear()
    _VERSION.clear()
    _IN_FORCE.clear()


def _ptp_applies(indicator: int) -> bool:
    """Whether a PTP row with this modifier indicator is an edit at all (9: deleted; refdata/cms/ncci.toml)."""
    from igclaim.refdata.resolver import reference

    meaning = reference().ncci.ptp.get(indicator)
    return meaning is not None and meaning.applies
