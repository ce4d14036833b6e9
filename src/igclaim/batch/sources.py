"""Streaming readers: JSON Lines, CSV and Parquet in, records out, one at a time and never the whole file.

A record is what becomes exactly one result or one error: a JSON line, or the consecutive rows of one
encounter in a CSV or Parquet file. The reader only splits the input; decoding and validation happen in the
workers, so that a bad record is reported by its line or row number and never stops the run.
"""

from __future__ import annotations

import csv
import gzip
import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from igclaim.batch.tabular import PADDING, group_rows
from igclaim.inputs import MAX_INPUT_BYTES, undecoded_byte

_LINE_LIMIT = MAX_INPUT_BYTES + 8  # one line of input: an encounter's limit, a BOM and a CR LF on top
GZIP_MAGIC = b"\x1f\x8b"
# What a corrupt or truncated gzip file raises while it is read (a plain file's read error still fails the run)
GZIP_BROKEN = (EOFError, gzip.BadGzipFile, zlib.error)
# Formats read through gzip when the file is compressed: a text format read line by line (an 837 and Parquet are not)
GZIP_FORMATS = ("jsonl", "json", "csv")
Kind = Literal["json", "rows", "x12", "problem"]  # "problem": the reader's own finding (payload: its lines)
FORMATS = ("jsonl", "csv", "parquet", "x12", "json")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv",
             ".parquet": "parquet", ".pq": "parquet", ".837": "x12", ".x12": "x12", ".edi": "x12"}


def _named_twice(names: list[str]) -> list[str]:
    """The column names given more than once (a reader keeps the last such column and drops the others' cells)."""
    return sorted({n for n in names if names.count(n) > 1})


def _parquet_row(batch: Any, i: int, number: int) -> Any:
    """One row of a batch Arrow could not turn into Python values whole (a timestamp with a time zone at year 1,
    as .NET and SQL write their MinValue, overflows): that row's error, the others read."""
    try:
        return batch.slice(i, 1).to_pylist()[0]
    except (OverflowError, ValueError, ArithmeticError) as exc:
        return RowProblem(f"row {number}: a value cannot be read ({type(exc).__name__}: {str(exc)[:80]})")


def arrow_rows(batch: Any, numbers: Sequence[int]) -> list[Any]:
    """The rows of an Arrow batch as Python dicts, row `numbers[i]` its row i: read whole, or, when a value cannot be
    read (a string that is not UTF-8, a timestamp that overflows), row by row, each such row a RowProblem
    (`_parquet_row`). batch's Parquet reader and spark.frames read rows with it."""
    try:
        return list(batch.to_pylist())
    except (OverflowError, ValueError, ArithmeticError):  # (UnicodeDecodeError is a ValueError)
        return [_parquet_row(batch, i, number) for i, number in enumerate(numbers)]


def _objects_a_line(text: str) -> bool:
    """A .json file that holds one JSON object a line (JSON Lines under another name): at least two of its first
    lines each open and close an object. A pretty-printed object never does."""
    whole = 0
    for line in text.split("\n")[:50]:
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            whole += 1
            if whole == 2:
                return True
    return False


@dataclass(slots=True)
class Record:
    """One input record: its sequence number (1-based), where it is in the file, and its raw payload."""

    seq: int
    where: dict[str, int]
    kind: Kind
    payload: Any  # a JSON text line, a list of (row number, row dict), or the problems of a "problem" record


class RowProblem:
    """A CSV row the csv module could not read (a cell over its size limit): a group and an error of its own."""

    def __init__(self, message: str) -> None:
        self.message = message

    def get(self, _key: str, default: Any = None) -> Any:
        return default  # no encounter_id: never joins the rows around it


class _CrLines:
    """`readline(limit)` and `tell()` over a binary file whose lines end in CR alone."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.buf = b""

    @property
    def closed(self) -> bool:
        return self.f.closed

    def readline(self, limit: int) -> bytes:
        while (cut := self.buf.find(b"\r", 0, limit)) < 0 and len(self.buf) < limit:
            chunk = self.f.read(65536)
            if not chunk:
                break
            self.buf += chunk
        n = cut + 1 if cut >= 0 else min(limit, len(self.buf))
        line, self.buf = self.buf[:n], self.buf[n:]
        return line

    def tell(self) -> int:
        return self.f.tell() - len(self.buf)

    def close(self) -> None:
        self.f.close()


def _broken(exc: BaseException | str) -> str:
    """The error of a compressed file that is corrupt or cut short where it was being read."""
    return (f"(input): the compressed (gzip) file is corrupt or cut short here ({str(exc)[:160]}); the records "
            "before this one were read")


def line_text(raw: bytes) -> str:
    """One JSON Lines line's bytes as text. surrogateescape: non-UTF-8 bytes reach inputs.load_json, which refuses
    them as this record's error instead of silently replacing them (spark.frames reads Spark's lines this way)."""
    return raw.decode("utf-8", "surrogateescape")


class SourceError(ValueError):
    """The input file as a whole cannot be read (missing, unknown format, not a CSV/Parquet file)."""


def _gzipped(path: Path) -> bool:
    """A gzip file, by its first two bytes (whatever its suffix)."""
    with path.open("rb") as f:
        return f.read(2) == GZIP_MAGIC


def detect_format(path: Path, given: str | None = None) -> str:
    if given:
        if given not in FORMATS:
            raise SourceError(f"--format must be one of {', '.join(FORMATS)}")
        return given
    suffix = path.suffix.lower()
    if suffix == ".gz":  # encounters.jsonl.gz: the format of the name under .gz
        inner = _SUFFIXES.get(Path(path.stem).suffix.lower())
        if inner in GZIP_FORMATS:
            return inner
        raise SourceError(f"{path.name}: a gzip-compressed input is read for JSON Lines, JSON and CSV "
                          "(.jsonl.gz, .json.gz, .csv.gz); decompress it first (gunzip), or use --format")
    fmt = _SUFFIXES.get(suffix)
    if fmt is None:
        from igclaim.readers.scrub import looks_like_x12

        fmt = "x12" if looks_like_x12(str(path)) else None
    if fmt is None:
        raise SourceError(f"{path.name}: cannot tell the format from the suffix; "
                          "use --format jsonl|csv|parquet|x12|json")
    return fmt


def _bounded_lines(f: Any, limit: int, overlong: set[int], broken: list[str] | None = None) -> Iterator[str]:
    """The lines of a text file, each read with a bounded readline: a line longer than `limit` characters is skipped
    in bounded pieces (never held whole: a gzip input of a few MB may hold a line of GBs) and replaced by a line
    the csv module refuses (a cell over its size limit), its number added to `overlong` so that the row's error says
    why. A compressed file that turns out corrupt or cut short ends the lines, the reason in `broken`."""
    number = 0
    try:
        while line := f.readline(limit):
            number += 1
            if len(line) == limit and not line.endswith(("\n", "\r")):
                while (rest := f.readline(limit)) and not rest.endswith(("\n", "\r")):
                    pass  # the rest of an over-long line, dropped piece by piece
                overlong.add(number)
                line = '"' + "x" * (csv.field_size_limit() + 1) + '"\n'
            yield line
    except GZIP_BROKEN as exc:
        if broken is None:
            raise
        broken.append(f"{type(exc).__name__}: {exc}"[:200])


class Source:
    """Iterate the records of an input file; `position`/`total` measure progress (bytes or rows). A JSON Lines,
    JSON or CSV file compressed with gzip (by its first bytes, or a .gz suffix) is read decompressing as it goes,
    with the bounds of plain input on each line and record; `position` and `total` then count compressed bytes."""

    def __init__(self, path: Path, fmt: str | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such file")
        self.format = detect_format(self.path, fmt)
        self.compressed = self.format in GZIP_FORMATS and _gzipped(self.path)
        self._handle: Any = None
        self._raw: Any = None  # the compressed file under a gzip input's handle (its position is the progress)
        self._rows_read = 0
        if self.format == "parquet":
            import pyarrow.parquet as pq

            try:
                self._parquet = pq.ParquetFile(self.path)
            except Exception as exc:  # pyarrow raises its own error types for a file that is not Parquet
                raise SourceError(f"{self.path.name}: not a Parquet file ({exc})") from None
            self.total = self._parquet.metadata.num_rows
            if "encounter_id" not in self._parquet.schema_arrow.names:
                raise SourceError(f"{self.path.name}: no encounter_id column (docs/batch.md)")
            names = self._parquet.schema_arrow.names
            if twice := _named_twice(names):  # to_pylist() keeps the last column of a name, as csv.DictReader does
                raise SourceError(f"{self.path.name}: the file names the column(s) {', '.join(map(repr, twice))} more "
                                  "than once; each column once")
        else:
            self.total = self.path.stat().st_size
            if self.format == "csv":
                with self._open_text() as f:
                    try:
                        header = next(csv.reader(_bounded_lines(f, _LINE_LIMIT, set())), [])
                    except (csv.Error, *GZIP_BROKEN) as exc:
                        raise SourceError(f"{self.path.name}: the header row cannot be read ({exc})") from None
                if any(undecoded_byte(h) is not None for h in header):
                    raise SourceError(f"{self.path.name}: the header row is not UTF-8 text")
                if "encounter_id" not in header:
                    raise SourceError(f"{self.path.name}: the header row has no encounter_id column (docs/batch.md)")
                # csv.DictReader keeps the last column of a name: the others' cells would be lost
                if twice := _named_twice([h for h in header if h]):
                    raise SourceError(f"{self.path.name}: the header row names {', '.join(map(repr, twice))} more "
                                      "than once; each column once")

    def _open_binary(self) -> BinaryIO:
        if not self.compressed:
            return self.path.open("rb")
        f = gzip.open(self.path, "rb")  # noqa: SIM115 (closed by the caller's with)
        self._raw = f.fileobj  # GzipFile's compressed file
        return f  # type: ignore[return-value]

    def _open_text(self) -> Any:
        # surrogateescape: a byte that is not UTF-8 stays visible, so its row is refused naming the column
        # instead of the byte being silently replaced
        if not self.compressed:
            return self.path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
        f = gzip.open(self.path, "rt", encoding="utf-8-sig", errors="surrogateescape", newline="")  # noqa: SIM115
        self._raw = f.buffer.fileobj  # type: ignore[attr-defined]
        return f

    @property
    def position(self) -> int:
        if self.format == "parquet":
            return self._rows_read
        if self._handle is None or self._handle.closed:
            return self.total
        if self._raw is not None:
            return int(self._raw.tell())
        return getattr(self._handle, "buffer", self._handle).tell()

    def __iter__(self) -> Iterator[Record]:
        if self.format == "jsonl":
            return self._jsonl()
        if self.format == "json":
            return self._json()
        if self.format == "x12":
            return self._x12()
        rows = self._csv_rows() if self.format == "csv" else self._parquet_rows()
        return self._grouped(rows)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()

    def _jsonl(self) -> Iterator[Record]:
        """One record a line, read with a bounded readline: a line longer than one encounter's limit is skipped in
        bounded pieces and reported by its number, never held in memory whole (a 2 GB line costs 1 MiB)."""
        limit = _LINE_LIMIT
        seq = 0
        with self._open_binary() as raw_file:
            # A file whose lines end in CR alone (an old Mac's, some exports') was read as one line, its encounters
            # one error: JSON text holds no raw CR, so a CR with no LF in the first 64 KiB ends the lines.
            try:
                head = raw_file.read(65536)
            except GZIP_BROKEN:
                head = b""  # (a gzip file broken early: the first readline below reports it)
            raw_file.seek(0)
            end = b"\r" if b"\r" in head and b"\n" not in head else b"\n"
            f: BinaryIO | _CrLines = _CrLines(raw_file) if end == b"\r" else raw_file
            self._handle = f
            number = 0
            while True:
                try:
                    raw = f.readline(limit)
                except GZIP_BROKEN as exc:  # the lines before it are records; this is the last one
                    seq += 1
                    yield Record(seq, {"line": number + 1}, "problem", [_broken(exc)])
                    break
                if not raw:
                    break
                number += 1
                if len(raw) == limit and not raw.endswith(end):
                    try:
                        while (rest := f.readline(limit)) and not rest.endswith(end):
                            pass  # the rest of an over-long line, dropped piece by piece
                    except GZIP_BROKEN:
                        pass  # (the file ends here: the over-long line is this record's error)
                    seq += 1
                    yield Record(seq, {"line": number}, "problem",
                                 [f"(input): line longer than {MAX_INPUT_BYTES:,} bytes (the limit for one encounter)"])
                    continue
                line = line_text(raw)
                if line.strip():
                    seq += 1
                    yield Record(seq, {"line": number}, "json", line)

    def _json(self) -> Iterator[Record]:
        """A .json file as people write it: one encounter object, or an array of them (item n is record n).
        A .json file that is really JSON Lines (one object a line) is read as JSON Lines. The file is read whole,
        so it is bounded (inputs.MAX_FILE_BYTES) and checked as any input is: UTF-8 with or without a BOM, its
        nesting, its numbers; a problem of the whole file is record 1's error."""
        from igclaim.inputs import MAX_DEPTH, MAX_FILE_BYTES, InvalidInput, decode_input, depth_problem, parse_json

        try:
            with self._open_binary() as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except GZIP_BROKEN as exc:
            yield Record(1, {"line": 1}, "problem", [_broken(exc)])
            return
        if len(data) > MAX_FILE_BYTES:
            yield Record(1, {"line": 1}, "problem", [f"(input): a .json file larger than {MAX_FILE_BYTES:,} bytes; "
                                                     "write one encounter a line as JSON Lines (.jsonl), which has "
                                                     "no size limit"])
            return
        try:
            text = decode_input(data, "(input)", MAX_FILE_BYTES)
        except InvalidInput as exc:
            yield Record(1, {"line": 1}, "problem", exc.problems)
            return
        del data
        try:
            obj = parse_json(text)
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data" or _objects_a_line(text):
                yield from self._jsonl()  # JSON Lines, whatever its first line holds: each line its own record
            else:  # the syntax error with its place; the run goes on to the summary
                yield Record(1, {"line": exc.lineno}, "problem",
                             [f"(json) line {exc.lineno} column {exc.colno}: {exc.msg}"])
            return
        except RecursionError:
            yield Record(1, {"line": 1}, "problem", [f"(json): nested deeper than {MAX_DEPTH} levels"])
            return
        except ValueError as exc:  # a key written twice (inputs.unique_keys)
            if _objects_a_line(text):
                yield from self._jsonl()
            else:
                yield Record(1, {"line": 1}, "problem", [f"(json): {exc}"])
            return
        problem = depth_problem(obj)
        if problem:
            yield Record(1, {"line": 1}, "problem", [problem])
            return
        items = obj if isinstance(obj, list) else [obj]
        for n, item in enumerate(items, start=1):
            # default=float: a number too long to be exact reaches the schema as a non-finite one, named by field
            yield Record(n, {"item": n} if isinstance(obj, list) else {"line": 1}, "json",
                         json.dumps(item, default=float))

    def _x12(self) -> Iterator[Record]:
        """An 837: the parent streams it (readers/x12.py) and hands each claim, already read, to the workers; a
        claim that could not be read, or a problem of the envelope, is a record too (it becomes an error entry)."""
        from igclaim.readers.x12 import open_837, read_837

        with open_837(self.path) as f:
            self._handle = f
            for seq, item in enumerate(read_837(f), start=1):
                yield Record(seq, {"segment": item.position}, "x12", item)

    def _csv_rows(self) -> Iterator[tuple[int, Any]]:
        with self._open_text() as f:
            self._handle = f
            read: list[str] = []  # the physical lines the reader took for its last row
            overlong: set[int] = set()  # the lines over the limit (replaced by a line the csv module refuses)
            broken: list[str] = []  # why a compressed file ended early

            def lines() -> Iterator[str]:
                for line in _bounded_lines(f, _LINE_LIMIT, overlong, broken):
                    read.append(line)
                    yield line

            reader = csv.DictReader(lines())
            if reader.fieldnames is None:  # the header, read here so that `read` holds a row's lines only
                return
            # Row numbers as a spreadsheet shows them: the header is row 1, and every physical line counts (a blank
            # line, which DictReader skips, and each line of a cell over several lines).
            last = len(read)  # the physical lines read so far
            number = 1
            pending: list[tuple[int, str]] = []  # lines a row with an unclosed quote took: each is read again as a row

            def started() -> int:
                """The line the row just read starts on (after the blank lines DictReader skipped), and the line
                count moved past every line it took."""
                nonlocal last
                blanks = next((i for i, line in enumerate(read) if line.strip("\r\n")), len(read))
                first = last + blanks + 1
                last += len(read)
                return first

            def take_again(first: int) -> list[tuple[int, str]]:
                start = next((i for i, line in enumerate(read) if line.strip("\r\n")), len(read))
                return [(first + i, line) for i, line in enumerate(read[start + 1:], start=1)]

            while True:
                if pending:
                    number, text = pending.pop(0)
                    cells = next(csv.reader([text]), [])
                    if not cells:
                        continue  # a blank line: no row, as DictReader skips it
                    if any("\n" in c or "\r" in c for c in cells):
                        yield number, RowProblem(f"row {number}: a double quote is not closed on its line")
                        continue
                    names = list(reader.fieldnames)
                    # as DictReader makes a row: cells beyond the header under None, missing cells empty
                    row: dict[Any, Any] = {n: cells[i] if i < len(cells) else None for i, n in enumerate(names)}
                    if len(cells) > len(names):
                        row[None] = cells[len(names):]
                else:
                    read.clear()
                    try:
                        row = next(reader)
                    except StopIteration:
                        if broken:  # the rows before it were read; the rest of the file is this error
                            yield last + 1, RowProblem(f"row {last + 1}: {_broken(broken[0])}")
                        break
                    except csv.Error as exc:  # a cell over the csv module's size limit: this row's error, not the run's
                        number = started()
                        pending = take_again(number)  # (an unclosed quote's) the lines it took are rows of their own
                        if overlong.intersection(range(number, last + 1)):
                            yield number, RowProblem(f"row {number}: a line longer than {_LINE_LIMIT - 8:,} "
                                                     "characters (the limit for one encounter)")
                        else:
                            yield number, RowProblem(f"row {number}: not a readable CSV row ({exc})")
                        continue
                    number = started()
                    if len(read) > 1 and any(isinstance(v, str) and ("\n" in v or "\r" in v) for v in row.values()):
                        # A cell over several lines: an unclosed double quote, which would take every row after it
                        # into one cell. Refused, and the lines it took are rows of their own.
                        pending = take_again(number)
                        yield number, RowProblem(f"row {number}: a double quote is not closed on its line (a cell "
                                                 "may not span lines)")
                        continue
                beyond = row.pop(None, None)  # cells beyond the header: empty ones are a spreadsheet's padding
                if beyond and any(c.strip(PADDING) for c in beyond):
                    yield number, RowProblem(f"row {number}: {len(beyond)} cell(s) beyond the header's columns (a "
                                             "comma inside a value needs the value in double quotes)")
                    continue
                bad = next(((k, b) for k, v in row.items() if (b := undecoded_byte(v)) is not None), None)
                if bad is not None:  # (the header was checked on open)
                    yield number, RowProblem(f"row {number} column {bad[0]}: not UTF-8 text (a byte 0x{bad[1]:02x})")
                    continue
                yield number, row

    def _parquet_rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        number = 0
        for batch in self._parquet.iter_batches(batch_size=2048):
            for row in arrow_rows(batch, range(number + 1, number + 1 + batch.num_rows)):
                number += 1
                self._rows_read = number
                yield number, row

    def _grouped(self, rows: Iterator[tuple[int, Any]]) -> Iterator[Record]:
        for seq, group in enumerate(group_rows(rows), start=1):
            yield rows_record(seq, group)


def rows_record(seq: int, group: list[tuple[int, Any]]) -> Record:
    """Record `seq` of a group of (row number, row) as batch.tabular.group_rows forms them: a RowProblem (a group
    of its own) is that record's error; spark.frames makes its records with it."""
    where = {"row": group[0][0], "last_row": group[-1][0]}
    if isinstance(group[0][1], RowProblem):
        return Record(seq, where, "problem", [group[0][1].message])
    return Record(seq, where, "rows", group)
