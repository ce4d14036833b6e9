"""Streaming readers: JSON Lines, CSV and Parquet in, records out, one at a time and never the whole file.

A record is what becomes exactly one result or one error: a JSON line, or the consecutive rows of one
encounter in a CSV or Parquet file. The reader only splits the input; decoding and validation happen in the
workers, so that a bad record is reported by its line or row number and never stops the run.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from igclaim.batch.tabular import group_rows

Kind = Literal["json", "rows", "x12"]
FORMATS = ("jsonl", "csv", "parquet", "x12", "json")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv",
             ".parquet": "parquet", ".pq": "parquet", ".837": "x12", ".x12": "x12", ".edi": "x12"}


@dataclass(slots=True)
class Record:
    """One input record: its sequence number (1-based), where it is in the file, and its raw payload."""

    seq: int
    where: dict[str, int]
    kind: Kind
    payload: Any  # a JSON text line, or a list of (row number, row dict)


class SourceError(ValueError):
    """The input file as a whole cannot be read (missing, unknown format, not a CSV/Parquet file)."""


def detect_format(path: Path, given: str | None = None) -> str:
    if given:
        if given not in FORMATS:
            raise SourceError(f"--format must be one of {', '.join(FORMATS)}")
        return given
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        from igclaim.readers.scrub import looks_like_x12

        fmt = "x12" if looks_like_x12(str(path)) else None
    if fmt is None:
        raise SourceError(f"{path.name}: cannot tell the format from the suffix; "
                          "use --format jsonl|csv|parquet|x12|json")
    return fmt


class Source:
    """Iterate the records of an input file; `position`/`total` measure progress (bytes or rows)."""

    def __init__(self, path: Path, fmt: str | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such file")
        self.format = detect_format(self.path, fmt)
        self._handle: Any = None
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
        else:
            self.total = self.path.stat().st_size
            if self.format == "csv":
                with self.path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
                    header = next(csv.reader(f), [])
                if "encounter_id" not in header:
                    raise SourceError(f"{self.path.name}: the header row has no encounter_id column (docs/batch.md)")

    @property
    def position(self) -> int:
        if self.format == "parquet":
            return self._rows_read
        if self._handle is None or self._handle.closed:
            return self.total
        return self._handle.buffer.tell()

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
        seq = 0
        # surrogateescape: a line with non-UTF-8 bytes reaches inputs.load_json, which refuses it as that record's
        # error instead of silently replacing the bytes
        with self.path.open(encoding="utf-8", errors="surrogateescape", newline="") as f:
            self._handle = f
            for number, line in enumerate(f, start=1):
                if line.strip():
                    seq += 1
                    yield Record(seq, {"line": number}, "json", line)

    def _json(self) -> Iterator[Record]:
        """A .json file as people write it: one encounter object, or an array of them (item n is record n).
        A .json file that is really JSON Lines (one object a line) is read as JSON Lines."""
        text = self.path.read_text(encoding="utf-8", errors="replace")
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data":
                yield from self._jsonl()
            else:  # the worker reports the syntax error with its place; the run goes on to the summary
                yield Record(1, {"line": exc.lineno}, "json", text)
            return
        items = obj if isinstance(obj, list) else [obj]
        for n, item in enumerate(items, start=1):
            yield Record(n, {"item": n} if isinstance(obj, list) else {"line": 1}, "json", json.dumps(item))

    def _x12(self) -> Iterator[Record]:
        """An 837: the parent streams it (readers/x12.py) and hands each claim, already read, to the workers; a
        claim that could not be read, or a problem of the envelope, is a record too (it becomes an error entry)."""
        from igclaim.readers.x12 import read_837

        with self.path.open(encoding="ascii", errors="replace") as f:
            self._handle = f
            for seq, item in enumerate(read_837(f), start=1):
                yield Record(seq, {"segment": item.position}, "x12", item)

    def _csv_rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        with self.path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
            self._handle = f
            reader = csv.DictReader(f)
            # Row numbers as a spreadsheet shows them: the header is row 1.
            for number, row in enumerate(reader, start=2):
                row.pop(None, None)  # cells beyond the header: ignored like a spreadsheet would
                yield number, row

    def _parquet_rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        number = 0
        for batch in self._parquet.iter_batches(batch_size=2048):
            for row in batch.to_pylist():
                number += 1
                self._rows_read = number
                yield number, row

    def _grouped(self, rows: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[Record]:
        for seq, group in enumerate(group_rows(rows), start=1):
            yield Record(seq, {"row": group[0][0], "last_row": group[-1][0]}, "rows", group)
