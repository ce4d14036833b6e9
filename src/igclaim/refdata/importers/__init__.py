"""Readers for the official CMS files, one module per KIND (`igclaim data import KIND FILE`).

Each module exposes `parse(source, options) -> Parsed` and `MEMBER`, the pattern that picks its file out of
a CMS zip. Parsing is pure and complete before anything is written, so a bad file fails with the file, line
and column, and the store is never half-updated (docs/data.md lists the releases each layout was checked on).
"""

from __future__ import annotations

import csv
import io
import pickle
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

from igclaim.model import NUMBER_TEXT

KINDS = ("hcpcs", "asp", "crosswalk", "mue", "ptp", "icd10", "fees", "ndc_directory", "coverage")

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
MON3 = {name[:3]: num for name, num in MONTHS.items()}


class ImportFailure(ValueError):
    """A file that does not have the official layout: names the file, line and column (1-based).

    A message that asks for an import option writes it as `igclaim data import` spells it (--effective) and lists
    it in `options` (Options fields): str() is the CLI's line, `named` another front end's (the team route's)."""

    def __init__(self, file: str, line: int | None, column: int | None, message: str,
                 options: tuple[str, ...] = ()) -> None:
        where = file
        if line is not None:
            where += f": line {line}"
            if column is not None:
                where += f", column {column}"
        message = _LONG_QUOTED.sub(lambda m: m.group(0)[:41] + "…" + m.group(0)[0], message)
        super().__init__(f"{where}: {message}")
        self.file, self.line, self.column, self.message = file, line, column, message
        self.where, self.options = where, options

    def named(self, name: Callable[[str], str]) -> str:
        """The failure with each option it asks for as `name` spells that Options field (query.effective)."""
        message = self.message
        for option in self.options:
            message = message.replace(f"--{option}", name(option))
        return f"{self.where}: {message}"


# A cell quoted back in a message ('…' or "…", as repr writes it) is cut to 40 characters: a file's cell may hold
# thousands, and the message is for finding it, not for reading it back.
_LONG_QUOTED = re.compile(r"'[^'\n]{41,}'|\"[^\"\n]{41,}\"")


class Setting(str, Enum):
    """The NCCI tables an MUE file is one of (a PTP file: practitioner or hospital), the store's scope: what
    `--setting` (CLI) and `setting` (the team's import route) name when the file does not say."""

    practitioner = "practitioner"
    hospital = "hospital"
    dme = "dme"


# The tables NCCI publishes PTP edits for: practitioner (ccipra) and hospital (ccioph); a DME supplier has MUEs only.
PTP_SETTINGS = (Setting.practitioner.value, Setting.hospital.value)


@dataclass(frozen=True)
class Options:
    """What the user told on the command line; each wins over what the file says."""

    effective: date | None = None
    ends: date | None = None
    setting: str | None = None
    schedule: str | None = None
    force: bool = False  # store a file with far fewer rows than the previous import of its period


@dataclass(frozen=True)
class Source:
    """The bytes of one file to read: `name` is the file (or `zip!member`) named in messages."""

    name: str
    data: bytes
    zip_name: str | None = None

    @property
    def filename(self) -> str:
        return self.name.rsplit("!", 1)[-1].rsplit("/", 1)[-1]

    @property
    def names(self) -> str:
        """File name and zip name together, for reading dates and settings out of them."""
        return f"{self.zip_name or ''} {self.filename}"


class RowSpool:
    """The parsed rows of a file, kept on disk (a temporary file of pickled tuples) instead of in memory: a CMS
    table of millions of rows costs a few MB of RSS to import, not ten times its size (docs/testing.md)."""

    def __init__(self, rows: Iterable[tuple[Any, ...]] = ()) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the spool
        self._count = 0
        for r in rows:
            self.append(r)

    def append(self, row: tuple[Any, ...]) -> None:
        pickle.dump(tuple(row), self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __getitem__(self, index: int | slice) -> Any:
        """For reading a few rows (tests, messages): every access reads the spool from the start."""
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, list | RowSpool) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        self._file.flush()
        self._file.seek(0)
        for _ in range(self._count):
            yield pickle.load(self._file)
        self._file.seek(0, io.SEEK_END)


@dataclass
class Parsed:
    kind: str
    source: str
    effective: date
    ends: date
    rows: RowSpool | list[tuple[Any, ...]] = field(default_factory=list)
    scope: str = ""  # MUE/PTP setting, fee schedule name
    part: str = ""  # PTP files come in parts f1..f4
    skipped: list[str] = field(default_factory=list)  # rows left out, each with file, line, column and why


# An official file may hold a row no claim can use (the January 2026 crosswalk: one 12-digit NDC in 7,125 rows),
# which is skipped and reported rather than refusing the release. More such rows than this share of the file's rows
# mean a wrong or damaged file (a shifted column, another table), not a stray row: the file is refused.
MAX_SKIPPED_SHARE = 0.01


def skipped_rows(source: Source, skipped: list[ImportFailure], kept: int) -> list[str]:
    """The reports of the rows left out of a file of `kept` rows; ImportFailure (the first such row) past
    MAX_SKIPPED_SHARE."""
    total = kept + len(skipped)
    if len(skipped) > total * MAX_SKIPPED_SHARE:
        first = skipped[0]
        raise ImportFailure(source.name, first.line, first.column, f"{first.message} ({len(skipped)} of {total} "
                            f"rows like this, more than {MAX_SKIPPED_SHARE:.0%}: not the official file, or damaged)")
    return [f"{failure}; row skipped" for failure in skipped]


def importer(kind: str) -> ModuleType:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    return import_module(f"igclaim.refdata.importers.{kind}")


def read_sources(path: Path, kind: str) -> list[Source]:
    """The file itself, or the members of a CMS zip that hold this kind of data."""
    data = path.read_bytes()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return [Source(path.name, data)]
    pattern = importer(kind).MEMBER
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = [n for n in zf.namelist() if not n.endswith("/") and pattern.search(n.rsplit("/", 1)[-1])]
        if not members:
            raise ImportFailure(path.name, None, None, f"no {kind} file inside the zip (looked for {pattern.pattern})")
        # Several formats of the same table (csv and xlsx): read one, in order of preference.
        by_ext: dict[str, list[str]] = {}
        for m in members:
            by_ext.setdefault(m.rsplit(".", 1)[-1].lower(), []).append(m)
        for ext in ("csv", "txt", "xlsx"):
            if ext in by_ext:
                return [Source(f"{path.name}!{m}", zf.read(m), zip_name=path.name) for m in sorted(by_ext[ext])]
    raise ImportFailure(path.name, None, None, f"no csv, txt or xlsx {kind} file inside the zip")


def parse(source: Source, kind: str, options: Options) -> Parsed:
    parsed: Parsed = importer(kind).parse(source, options)
    return parsed


def parse_all(source: Source, kind: str, options: Options) -> list[Parsed]:
    """Every table in the file: one for most kinds, one per article for coverage lists."""
    mod = importer(kind)
    return mod.parse_many(source, options) if hasattr(mod, "parse_many") else [mod.parse(source, options)]


# --- text -----------------------------------------------------------------------------------------------------

def decode(data: bytes) -> str:
    """CMS files are UTF-8 (the converted ones) or Windows-1252/Latin-1 (ASP, MUE): try them in that order."""
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def text_lines(text: str) -> Iterator[str]:
    """The lines of a text with their endings (CR LF, LF or CR), one at a time: no copy of the whole text."""
    for m in _LINE.finditer(text):
        yield m.group(0)


def iter_lines(data: bytes) -> Iterator[str]:
    """Records of a text file (CRLF or LF), without their endings, one at a time."""
    for line in text_lines(decode(data)):
        yield line.rstrip("\r\n")


def lines(data: bytes) -> list[str]:
    """Records of a text file, CRLF or LF."""
    text = decode(data)
    out = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if out and out[-1] == "":
        out.pop()
    return out


Record = tuple[int, list[str]]  # (line of the file where the record starts, cells)


def records(source: Source) -> Iterator[Record]:
    """The records of a CSV or XLSX file; quoted CSV cells may hold bare line feeds (ASP, MUE headers)."""
    if source.filename.lower().endswith(".xlsx"):
        yield from _xlsx_records(source)
        return
    text = decode(source.data)
    reader = csv.reader(text_lines(text), strict=True)  # line by line: io.StringIO would copy the text 4 times over
    start = 1
    widths: dict[int, int] = {}
    last: Record | None = None
    try:
        for row in reader:
            if last is not None:
                yield last
            widths[len(row)] = widths.get(len(row), 0) + 1
            last = (start, row)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFailure(source.name, reader.line_num, None, f"not a readable CSV record ({exc}): the file may "
                            "be truncated") from None
    if last is not None:
        usual = max(widths, key=lambda w: widths[w])
        if not text.endswith(("\n", "\r")) and len(last[1]) < usual and not blank(last[1]):
            raise ImportFailure(source.name, last[0], len(last[1]), f"the file ends mid-record ({len(last[1])} of "
                                f"{usual} columns): a truncated download? Nothing was imported")
        yield last


def _xlsx_records(source: Source) -> Iterator[Record]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(source.data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise ImportFailure(source.name, None, None, f"not a readable xlsx workbook ({exc})") from None
    ws = wb.worksheets[0]
    for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
        yield n, ["" if v is None else _cell_text(v) for v in row]
    wb.close()


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def blank(cells: list[str]) -> bool:
    return all(not c.strip() for c in cells)


def header_index(source: Source, line: int, cells: list[str], wanted: dict[str, str],
                 optional: dict[str, str] | None = None) -> dict[str, int]:
    """Column positions by header name (case- and space-insensitive); a missing column fails on the header line."""
    names = [" ".join(c.split()).lower() for c in cells]
    found: dict[str, int] = {}
    for key, label in {**wanted, **(optional or {})}.items():
        want = " ".join(label.split()).lower()
        if want in names:
            found[key] = names.index(want)
        elif key in wanted:
            raise ImportFailure(source.name, line, None, f"header has no column {label!r}")
    return found


def cell(cells: list[str], i: int | None) -> str:
    return cells[i].strip() if i is not None and i < len(cells) else ""


def ascii_upper(text: str) -> str:
    """A code cell upper-cased when it is ASCII, else as written for the code patterns to refuse: str.upper() maps
    some other letters to ASCII ones ('ſ' to 'S', 'ı' to 'I', 'ß' to 'SS'), so 'ſ1561' was stored as S1561."""
    return text.upper() if text.isascii() else text


# --- dates ----------------------------------------------------------------------------------------------------

def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def quarter_end(d: date) -> date:
    q = quarter_start(d)
    nxt = date(q.year + (q.month == 10), 1 if q.month == 10 else q.month + 3, 1)
    return nxt - timedelta(days=1)


def quarter_label(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


# The end of a table in force until further notice: CMS files write it 9999-12-31, a coverage list or the NDC
# directory without --ends is stored with it, and --ends (or the HTTP import's `ends`) may give it.
OPEN_END = date(9999, 12, 31)

# The dates a CMS file holds: its codes, edits and prices are of 1980 or later (HCPCS began in 1983), up to 2100;
# OPEN_END is an open end. A date outside is a damaged cell.
CMS_DATES = (date(1980, 1, 1), date(2100, 12, 31), "a CMS file")


def yyyymmdd(text: str, span: tuple[date, date, str] = CMS_DATES) -> date:
    if not re.fullmatch(r"[0-9]{8}", text):  # not \d: int() read "２０２６０１０１" (any script's digits) as 2026-01-01
        raise ValueError(f"{text!r} is not a date YYYYMMDD")
    try:
        d = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:  # 20260230, month 13, year 0: Python's own message does not quote the cell
        raise ValueError(f"{text!r} is not a date") from None
    first, last, holder = span
    if not (first <= d <= last or d == OPEN_END):
        raise ValueError(f"{text!r} is not a date {holder} holds ({first.year} to {last.year})")
    return d


# The largest price any CMS drug or fee file holds is in the hundreds of thousands of dollars per unit.
MAX_PRICE = Decimal(10_000_000)


def amount(source: Source, line: int, column: int | None, text: str) -> Decimal:
    """A price cell: a finite, non-negative plain amount below MAX_PRICE ($ and thousands commas allowed), written
    in the digits 0-9 (model.NUMBER_TEXT, the rule of the encounter's numbers): Decimal() alone read "1_000" as 1000
    and other scripts' digits ("١٢", "１２") as 12."""
    plain = text.replace("$", "").replace(",", "").strip()
    try:
        value = Decimal(plain) if NUMBER_TEXT.fullmatch(plain) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 <= value < MAX_PRICE or (value and value.adjusted() < -6):
        raise ImportFailure(source.name, line, column, f"{text!r} is not an amount (0 to {MAX_PRICE:,})")
    return value


# [0-9], not \d: int() read other scripts' digits ("January ２０２６") as 2026; so in month_year_in_name and the
# importers' other file-name and preamble patterns.
_SPAN = re.compile(r"effective\s+(\w+)\s+([0-9]{1,2}),\s*([0-9]{4})\s+(?:through|to|-)\s+(\w+)\s+([0-9]{1,2}),"
                   r"\s*([0-9]{4})", re.I)


def preamble_span(text: str) -> tuple[date, date] | None:
    """'Effective January 1, 2026 through March 31, 2026' (ASP payment limit and crosswalk preambles)."""
    m = _SPAN.search(text)
    if not m or m.group(1).lower() not in MONTHS or m.group(4).lower() not in MONTHS:
        return None
    return (date(int(m.group(3)), MONTHS[m.group(1).lower()], int(m.group(2))),
            date(int(m.group(6)), MONTHS[m.group(4).lower()], int(m.group(5))))


def month_year_in_name(names: str) -> date | None:
    """'october-2025-...', 'January 2026 ...', '..._Oct.csv' with a year nearby: the first day of that month."""
    low = names.lower()
    m = re.search(r"(january|february|march|april|may|june|july|august|september|october|november|december)"
                  r"[\s_-]*([0-9]{4})", low)
    if m:
        return date(int(m.group(2)), MONTHS[m.group(1)], 1)
    m = re.search(r"([0-9]{4})[\s_-]*q([1-4])", low)
    if m:
        return date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
    return None


def dates(source: Source, options: Options, found: tuple[date, date | None] | None, what: str) -> tuple[date, date]:
    """The file's effective range: options win, then what the file or its name says; else a clear failure."""
    effective = options.effective or (found[0] if found else None)
    if effective is None:
        raise ImportFailure(source.name, None, None, f"cannot tell the effective date of this {what} from the file "
                            "or its name: give --effective YYYY-MM-DD (and --ends)", ("effective", "ends"))
    ends = options.ends or (found[1] if found and found[1] and not options.effective else None)
    ends = ends or quarter_end(effective)
    if ends < effective:
        raise ImportFailure(source.name, None, None, f"ends {ends} is before effective {effective}")
    return effective, ends
