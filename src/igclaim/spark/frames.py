"""Encounters as Spark DataFrames in, results, findings and errors out: the batch worker's per-record function
(`igclaim.batch.worker.process_chunk`) run inside `mapInArrow`, so a record is judged exactly as `igclaim batch`
judges it.

Records get the numbers `igclaim batch` gives them (record, line; or record, row, last_row) by two passes over
the persisted input: the first counts the rows of each partition, the second adds the offsets. Spark reads one
file in file order, so the numbers match the file's; rows of one encounter (consecutive rows with the same
encounter_id) are found across partition borders, then brought together by a shuffle on the record number.

Every input record comes out as exactly one outcome row: a result (`result` set) or an error (`stage` set).
"""

from __future__ import annotations

import csv
import functools
import io
import os
import pickle
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
from pyspark import StorageLevel, TaskContext
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StructField, StructType

from igclaim.batch.sources import Record, arrow_rows, line_text, rows_record
from igclaim.batch.tabular import cell
from igclaim.batch.worker import FINDING_COLUMNS, Outcome, process_chunk, set_filing_date
from igclaim.errors import required
from igclaim.refdata import store

JSON_COLUMN = "json"
X12_COLUMN = "x12"  # one claim read from an 837 on the driver (readers/x12.py), as tagged JSON: see x12_row
_ROW_TAGS = ("_record", "_row")
_BATCH_OUT = 500  # outcome rows per Arrow batch handed back to Spark (result JSON is a few kB each)
# The per-finding columns of findings.csv after the record's own (record … payer_type).
_FINDING_OWN = FINDING_COLUMNS[FINDING_COLUMNS.index("profile"):]
_FINDING_TYPES = {"line": pa.int64(), "impact_units": pa.int64(), "impact_usd": pa.float64()}
# and `covers`, not a column of findings.csv: the lines whose money the finding carries too (the summary's 7th
# element, read by the report's headline: outputs/report.py `_groups`)
FINDING_STRUCT = pa.struct([*((c, _FINDING_TYPES.get(c, pa.string())) for c in _FINDING_OWN if c != "mode"),
                            ("covers", pa.list_(pa.int64()))])
_REPORTED = ("edit", "severity", "impact_units", "impact_usd", "fix", "line", "covers")  # the summary's, in order
OUTCOME_SCHEMA = pa.schema([
    ("record", pa.int64()), ("line", pa.int64()), ("row", pa.int64()), ("last_row", pa.int64()),
    ("segment", pa.int64()), ("encounter_id", pa.string()), ("date_of_service", pa.date32()), ("setting", pa.string()),
    ("payer_type", pa.string()), ("mode", pa.string()),
    ("result", pa.string()), ("findings", pa.list_(FINDING_STRUCT)),
    ("stage", pa.string()), ("field", pa.string()), ("reason", pa.string()), ("problems", pa.list_(pa.string())),
])


def _ddl(t: pa.DataType) -> str:
    if pa.types.is_list(t):
        return f"array<{_ddl(t.value_type)}>"
    if pa.types.is_struct(t):
        return "struct<" + ", ".join(f"{f.name}: {_ddl(f.type)}" for f in t) + ">"
    return {pa.int64(): "bigint", pa.float64(): "double", pa.date32(): "date", pa.string(): "string",
            pa.binary(): "binary"}[t]


def spark_schema(schema: pa.Schema) -> str:
    """The DDL of an Arrow schema (the one definition both sides of mapInArrow use)."""
    return ", ".join(f"`{f.name}` {_ddl(f.type)}" for f in schema)


# --- once per Python worker ---------------------------------------------------------------------------------
_LOADED: tuple[str, int, int] | None = None  # the shipped name ("": none), its refdata.sqlite's mtime_ns and size
_OWN_HOME: str | None = None  # the worker's own IGCLAIM_HOME (None: unset), as it was at the first load


def _stamp(path: str) -> tuple[int, int]:
    """A shipped refdata.sqlite's modification time (ns) and size; (0, 0) when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return 0, 0
    return st.st_mtime_ns, st.st_size


def _load(refdata_file: str | None, filing_date: date | None = None) -> None:
    """Reference data and the edit catalog load once per Python worker process (workers are reused across
    tasks and jobs). Imported tables shipped with the job (SparkContext.addFile of a refdata.sqlite, or of a
    directory holding one) become this worker's IGCLAIM_HOME first; another shipped name loads again, and so does
    the same name whose refdata.sqlite changed (its modification time or size: Spark rewrites the worker's copy in
    place when another file of that name is added with spark.files.overwrite, and no import stamp travels with a
    lone refdata.sqlite for the tables to notice). A job that ships none gets the worker's own IGCLAIM_HOME back
    (or none, as at the first load), never an earlier job's tables. `filing_date` (--filing-date) is set by every
    task, None too: a reused worker may hold an earlier job's."""
    global _LOADED, _OWN_HOME
    set_filing_date(filing_date)
    key, home = ("", 0, 0), None
    if refdata_file:
        from pyspark import SparkFiles

        shipped = SparkFiles.get(refdata_file)
        home = shipped if os.path.isdir(shipped) else os.path.dirname(shipped)
        key = (refdata_file, *_stamp(os.path.join(home, store.DB_NAME)))
    if key == _LOADED:
        return
    if _LOADED is None:
        _OWN_HOME = os.environ.get("IGCLAIM_HOME")
    if home is not None:
        os.environ["IGCLAIM_HOME"] = home
    elif _OWN_HOME is None:
        os.environ.pop("IGCLAIM_HOME", None)
    else:
        os.environ["IGCLAIM_HOME"] = _OWN_HOME
    from igclaim import engine
    from igclaim.refdata.resolver import reference

    store.invalidate()  # the same home may hold other tables now: open them again
    reference.cache_clear()
    reference()
    engine._load_edit_families()
    _LOADED = key


# --- numbering: two passes over the persisted input --------------------------------------------------------
_COUNTS = pa.schema([("partition", pa.int64()), ("rows", pa.int64()), ("kept", pa.int64()),
                     ("starts", pa.int64()), ("first_key", pa.string()), ("last_key", pa.string())])


def _partition() -> int:
    return required(TaskContext.get(), "the Spark task (called outside one)").partitionId()


def _blank(value: Any) -> bool:
    return value is None or not str(value).strip()


def _texts(values: pa.Array) -> list[str | None]:
    """A column of JSON texts as batch reads a line (batch.sources.line_text). Spark hands a line over as its bytes,
    UTF-8 or not (spark.read.text never checks), so they are never decoded strictly: a byte that is not UTF-8 is
    that record's error (inputs.load_json), not a UnicodeDecodeError that fails the job."""
    return [None if v is None else line_text(v) for v in values.cast(pa.binary()).to_pylist()]


def _count_json(batches: Iterator[pa.RecordBatch], column: str, skip_blank: bool) -> Iterator[pa.RecordBatch]:
    rows = kept = 0
    for b in batches:
        values = _texts(b.column(column))
        rows += len(values)
        kept += sum(1 for v in values if not _blank(v)) if skip_blank else len(values)
    yield pa.RecordBatch.from_pylist([{"partition": _partition(), "rows": rows, "kept": kept}],
                                     schema=_COUNTS)


def _keys(b: pa.RecordBatch) -> list[str | None]:
    """Each row's encounter_id as batch.tabular.group_rows reads it. A row with a value that cannot be read (a string
    that is not UTF-8: Spark passes a Parquet string's bytes on unchecked) has none, as batch's RowProblem: a group
    of its own, never a UnicodeDecodeError that fails the job."""
    return [cell(row.get("encounter_id")) for row in arrow_rows(b, range(1, b.num_rows + 1))]


def _count_rows(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Rows, encounter starts (a row whose encounter_id differs from the row before, or is blank, as
    batch.tabular.group_rows decides; the first row counts as one here), and the first and last id."""
    rows = starts = 0
    first = last = None
    for b in batches:
        for key in _keys(b):
            if rows == 0:
                first = key
                starts = 1
            elif key is None or key != last:
                starts += 1
            last = key
            rows += 1
    yield pa.RecordBatch.from_pylist([{"partition": _partition(), "rows": rows, "kept": rows,
                                       "starts": starts, "first_key": first, "last_key": last}],
                                     schema=_COUNTS)


def _counts(df: DataFrame, fn: Any) -> list[dict[str, Any]]:
    found = {r["partition"]: r.asDict() for r in df.mapInArrow(fn, spark_schema(_COUNTS)).collect()}
    return [found[p] for p in sorted(found)]


def _counted(persisted: DataFrame, fn: Any) -> list[dict[str, Any]]:
    """`_counts` of an input persisted for numbering: the first pass reads the input, so an input Spark cannot read
    fails here, and its cache entry is released before the error goes on (no caller holds the frame yet)."""
    try:
        return _counts(persisted, fn)
    except BaseException:
        persisted.unpersist()
        raise


_JSON_IN = pa.schema([("record", pa.int64()), ("line", pa.int64()), (JSON_COLUMN, pa.string())])


def _number_json(batches: Iterator[pa.RecordBatch], column: str, skip_blank: bool,
                 offsets: dict[int, tuple[int, int]]) -> Iterator[pa.RecordBatch]:
    """The texts pass through as Spark's bytes (a line that is not UTF-8 unchanged, for _process_json to refuse)."""
    line, record = offsets[_partition()]
    for b in batches:
        texts = b.column(column)
        kept, records, lines = [], [], []
        for i, value in enumerate(_texts(texts)):
            line += 1
            if skip_blank and _blank(value):
                continue
            record += 1
            kept.append(i)
            records.append(record)
            lines.append(line)
        yield pa.RecordBatch.from_arrays([pa.array(records, pa.int64()), pa.array(lines, pa.int64()),
                                          # (as string unchecked: a large_string too, never validated)
                                          texts.take(pa.array(kept, pa.int64())).cast(pa.binary()).view(pa.string())],
                                         schema=_JSON_IN)


def number_json(df: DataFrame, column: str = JSON_COLUMN, *, skip_blank: bool = False) -> tuple[DataFrame, int]:
    """A DataFrame of JSON texts → columns record, line, json, numbered in read order (1-based). With
    `skip_blank` (a JSON Lines file read as text), blank lines are not records but still count as lines.
    The input is persisted for the two passes; `process` unpersists it with `Outcomes.unpersist()`."""
    numbered, total, _cached = _number_json_cached(df, column, skip_blank)
    return numbered, total


def _number_json_cached(df: DataFrame, column: str, skip_blank: bool) -> tuple[DataFrame, int, DataFrame]:
    df = df.select(F.col(column).cast("string").alias(column)).persist(StorageLevel.MEMORY_AND_DISK)
    offsets, line, record = {}, 0, 0
    for c in _counted(df, functools.partial(_count_json, column=column, skip_blank=skip_blank)):
        offsets[c["partition"]] = (line, record)
        line += c["rows"]
        record += c["kept"]
    fn = functools.partial(_number_json, column=column, skip_blank=skip_blank, offsets=offsets)
    return df.mapInArrow(fn, spark_schema(_JSON_IN)), record, df


@dataclass(frozen=True)
class _Start:
    row: int  # rows before this partition
    seq: int  # records (encounters) that started before this partition
    continued: bool  # the partition's first row continues the encounter of the rows before


def _row_offsets(counts: list[dict[str, Any]]) -> tuple[dict[int, _Start], int]:
    offsets: dict[int, _Start] = {}
    row = seq = 0
    prev_last: str | None = None
    for c in counts:
        cont = seq > 0 and c["rows"] > 0 and c["first_key"] is not None and c["first_key"] == prev_last
        offsets[c["partition"]] = _Start(row, seq, cont)
        if c["rows"]:
            seq += c["starts"] - (1 if cont else 0)
            row += c["rows"]
            prev_last = c["last_key"]
    return offsets, seq


def _number_rows(batches: Iterator[pa.RecordBatch], offsets: dict[int, _Start]) -> Iterator[pa.RecordBatch]:
    start = offsets[_partition()]
    row, seq = start.row, start.seq
    last: str | None = None
    first = True
    for b in batches:
        records, rows = [], []
        for key in _keys(b):
            row += 1
            if (first and not start.continued) or (not first and (key is None or key != last)):
                seq += 1
            first, last = False, key
            records.append(seq)
            rows.append(row)
        yield (b.append_column("_record", pa.array(records, pa.int64()))
               .append_column("_row", pa.array(rows, pa.int64())))


def number_rows(df: DataFrame) -> tuple[DataFrame, int]:
    """Tabular rows (docs/batch.md columns) → the same rows with _record (the encounter's record number,
    1-based) and _row (the row number in read order, 1-based); and the number of records. The input is
    persisted for the two passes; `process` unpersists it with `Outcomes.unpersist()`."""
    numbered, total, _cached = _number_rows_cached(df)
    return numbered, total


def _number_rows_cached(df: DataFrame) -> tuple[DataFrame, int, DataFrame]:
    df = df.persist(StorageLevel.MEMORY_AND_DISK)
    offsets, total = _row_offsets(_counted(df, _count_rows))
    schema = StructType([*df.schema.fields, *(StructField(c, LongType()) for c in _ROW_TAGS)])
    return df.mapInArrow(functools.partial(_number_rows, offsets=offsets), schema), total, df


# --- the records through the batch worker ------------------------------------------------------------------
def _blank_none(text: str) -> str | None:
    return text or None


def _as_int(text: str) -> int | None:
    return int(text) if text else None


def _outcome_row(outcome: Outcome, where: dict[str, int]) -> dict[str, Any]:
    row: dict[str, Any] = {"record": outcome.seq, **where}
    if outcome.error is not None:
        e = outcome.error
        return row | {"encounter_id": e.get("encounter_id"), "stage": e["stage"], "field": e.get("field"),
                      "reason": e["reason"], "problems": e["problems"]}
    s = required(outcome.summary, "the outcome's summary")
    findings = []
    # findings.csv text as the batch writes it; the exact dollar figure from the report summary (same order).
    for cells, (_edit, _sev, _units, usd, *rest) in zip(csv.reader(io.StringIO(outcome.findings_csv)),
                                                        s["findings"], strict=True):
        f = dict(zip(FINDING_COLUMNS, cells, strict=True))
        findings.append({"profile": f["profile"], "edit": f["edit"], "severity": f["severity"],
                         "line": _as_int(f["line"]), "line_code": _blank_none(f["line_code"]),
                         "impact_units": _as_int(f["impact_units"]), "impact_usd": usd,
                         "message": f["message"], "fix": _blank_none(f["fix"]), "source": _blank_none(f["source"]),
                         "covers": list(rest[2]) if len(rest) > 2 else []})
    return row | {"encounter_id": s["encounter_id"], "date_of_service": date.fromisoformat(s["date_of_service"]),
                  "setting": s["setting"], "payer_type": s["payer_type"], "mode": s["mode"],
                  "result": outcome.result_json, "findings": findings}


def _emit(records: list[Record], profile: str | None, mode: str | None) -> Iterator[pa.RecordBatch]:
    for i in range(0, len(records), _BATCH_OUT):
        chunk = records[i:i + _BATCH_OUT]
        outcomes = process_chunk(chunk, profile, False, mode)
        yield pa.RecordBatch.from_pylist([_outcome_row(o, r.where) for o, r in zip(outcomes, chunk, strict=True)],
                                         schema=OUTCOME_SCHEMA)


def _process_json(batches: Iterator[pa.RecordBatch], profile: str | None, mode: str | None,
                  refdata_file: str | None, filing_date: date | None = None) -> Iterator[pa.RecordBatch]:
    _load(refdata_file, filing_date)
    for b in batches:
        records = [Record(seq, {"line": line}, "json", text or "") for seq, line, text in
                   zip(b.column("record").to_pylist(), b.column("line").to_pylist(), _texts(b.column(JSON_COLUMN)),
                       strict=True)]
        yield from _emit(records, profile, mode)


_X12_IN = pa.schema([("record", pa.int64()), ("segment", pa.int64()), (X12_COLUMN, pa.string())])


def x12_row(seq: int, item: Any) -> dict[str, Any]:
    """One item of readers.x12.read_837 (a WrittenClaim or a ReadError) as an input row: record, segment (its
    position in the file) and the item's JSON, tagged C (claim) or E (error)."""
    from igclaim.readers.x12 import ReadError

    tag = "E" if isinstance(item, ReadError) else "C"
    return {"record": seq, "segment": item.position, X12_COLUMN: tag + item.model_dump_json()}


def _x12_item(text: str) -> Any:
    from igclaim.readers.x12 import ReadError, WrittenClaim

    return (ReadError if text[:1] == "E" else WrittenClaim).model_validate_json(text[1:])


def _process_x12(batches: Iterator[pa.RecordBatch], profile: str | None, mode: str | None,
                 refdata_file: str | None, filing_date: date | None = None) -> Iterator[pa.RecordBatch]:
    """Claims of an 837, read on the driver: each scrubbed (or its read error reported) as `igclaim batch` does."""
    _load(refdata_file, filing_date)
    for b in batches:
        records = []
        for seq, segment, text in zip(b.column("record").to_pylist(), b.column("segment").to_pylist(),
                                      b.column(X12_COLUMN).to_pylist(), strict=True):
            try:
                item = _x12_item(text or "")
            except Exception:  # a row that is not igclaim's own: an error row, never a lost record
                from igclaim.readers.x12 import ReadError

                item = ReadError(segment="?", position=segment or 0,
                                 message=f"row {seq}: not a claim read by igclaim.spark.x12_row")
            records.append(Record(seq, {"segment": segment}, "x12", item))
        yield from _emit(records, profile, mode)


def _process_rows(batches: Iterator[pa.RecordBatch], profile: str | None, mode: str | None,
                  refdata_file: str | None, filing_date: date | None = None) -> Iterator[pa.RecordBatch]:
    """Rows sorted by (_record, _row) within the partition; an encounter's rows may span Arrow batches. A row with a
    value that cannot be read is its record's error, as in batch (arrow_rows, rows_record)."""
    _load(refdata_file, filing_date)
    records: list[Record] = []
    group: list[tuple[int, Any]] = []
    current = 0

    def close() -> None:
        records.append(rows_record(current, group))

    for b in batches:
        seqs, numbers = b.column("_record").to_pylist(), b.column("_row").to_pylist()
        for seq, number, row in zip(seqs, numbers, arrow_rows(b.drop_columns(list(_ROW_TAGS)), numbers),
                                    strict=True):
            if seq != current and group:
                close()
                group = []
            group.append((number, row))
            current = seq
        if len(records) >= _BATCH_OUT:
            yield from _emit(records, profile, mode)
            records = []
    if group:
        close()
    if records:
        yield from _emit(records, profile, mode)


@dataclass(frozen=True)
class Outcomes:
    """Every input record as one row of `outcomes` (a result or an error), and the three views of it. Persist
    `outcomes` before reading more than one view, or each view codes the records again."""

    outcomes: DataFrame
    records: int  # input records counted while numbering them (results + errors add up to it); -1 when the
    # DataFrame brought its own record numbers
    cached: tuple[DataFrame, ...] = ()  # the input, persisted for numbering

    def unpersist(self) -> None:
        """Release what was cached: the outcomes (if persisted) and the input persisted for numbering."""
        for frame in (self.outcomes, *self.cached):
            frame.unpersist()

    @property
    def results(self) -> DataFrame:
        """record, encounter_id, date_of_service, setting, payer_type, mode, result (the result JSON)."""
        return (self.outcomes.where(F.col("result").isNotNull())
                .select("record", "encounter_id", "date_of_service", "setting", "payer_type", "mode", "result"))

    @property
    def findings(self) -> DataFrame:
        """The columns of findings.csv (docs/batch.md), typed; one row per finding."""
        exploded = (self.outcomes.where(F.col("result").isNotNull())
                    .select("record", "encounter_id", "date_of_service", "setting", "payer_type", "mode",
                            F.explode("findings").alias("f")))
        own = {"record", "encounter_id", "date_of_service", "setting", "payer_type", "mode"}
        return exploded.select(*[F.col(c) if c in own else F.col(f"f.{c}").alias(c) for c in FINDING_COLUMNS])

    @property
    def errors(self) -> DataFrame:
        """The entries of errors.jsonl: record, line (JSON) or row/last_row (rows), encounter_id, stage, field,
        reason, problems."""
        return (self.outcomes.where(F.col("stage").isNotNull())
                .select("record", "line", "row", "last_row", "segment", "encounter_id", "stage", "field", "reason",
                        "problems"))


def process(df: DataFrame, *, mode: str | None = None, profile: str | None = None, json_column: str = JSON_COLUMN,
            refdata_file: str | None = None, filing_date: date | None = None) -> Outcomes:
    """Code every encounter of `df`: a column of JSON texts (`json_column`; with `record` and `line` columns
    they are used as the numbers), the tabular columns of docs/batch.md (`encounter_id` …, rows numbered in
    read order), or the claims of an 837 (`record`, `segment`, `x12` rows of `x12_row`; always scrubbed).
    `mode` None does what `igclaim batch` does (scrub a written claim, else build). Call `unpersist()` on the
    result when done with it. `filing_date`: the day the claims reach the payer, for each encounter that gives
    none (`igclaim batch --filing-date`)."""
    if mode not in (None, "build", "scrub"):
        raise ValueError("mode must be None, 'build' or 'scrub'")
    options: dict[str, Any] = {"profile": profile, "mode": mode, "refdata_file": refdata_file,
                               "filing_date": filing_date}
    cached: tuple[DataFrame, ...] = ()
    if X12_COLUMN in df.columns and {"record", "segment"} <= set(df.columns):
        rows = df.select(F.col("record").cast("bigint"), F.col("segment").cast("bigint"),
                         F.col(X12_COLUMN).cast("string"))
        out = rows.mapInArrow(functools.partial(_process_x12, **options), spark_schema(OUTCOME_SCHEMA))
        return Outcomes(out, -1)
    if json_column in df.columns:
        if {"record", "line"} <= set(df.columns):
            numbered = df.select(F.col("record").cast("bigint"), F.col("line").cast("bigint"),
                                 F.col(json_column).cast("string").alias(JSON_COLUMN))
            total = None
        else:
            numbered, total, frame = _number_json_cached(df, json_column, False)
            cached = (frame,)
        out = numbered.mapInArrow(functools.partial(_process_json, **options), spark_schema(OUTCOME_SCHEMA))
    elif "encounter_id" in df.columns:
        tagged, total, frame = _number_rows_cached(df)
        cached = (frame,)
        out = (tagged.repartition("_record").sortWithinPartitions("_record", "_row")
               .mapInArrow(functools.partial(_process_rows, **options), spark_schema(OUTCOME_SCHEMA)))
    else:
        raise ValueError(f"a DataFrame of encounters needs a {json_column!r} column of JSON texts or the tabular "
                         "columns of docs/batch.md (encounter_id …)")
    return Outcomes(out, total if total is not None else -1, cached)


def build(df: DataFrame, **options: Any) -> Outcomes:
    """Build every encounter (the claim that should be billed); a written claim is not looked at."""
    return process(df, mode="build", **options)


def scrub(df: DataFrame, **options: Any) -> Outcomes:
    """Scrub every encounter's written claim; one without a claim is an error row (field `claim`)."""
    return process(df, mode="scrub", **options)


# --- the report, aggregated where the outcomes are ---------------------------------------------------------
_AGG = pa.schema([("aggregator", pa.binary())])


def _aggregate(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    from igclaim.outputs.report import ReportAggregator

    agg = ReportAggregator()
    for b in batches:
        for r in b.to_pylist():
            if r["stage"] is not None:
                agg.add_error({"stage": r["stage"], "field": r["field"]})
            else:
                agg.add_result({"encounter_id": r["encounter_id"], "setting": r["setting"],
                                "date_of_service": r["date_of_service"].isoformat(), "payer_type": r["payer_type"],
                                "mode": r["mode"], "findings": [(f["edit"], f["severity"], f["impact_units"],
                                                                 f["impact_usd"], f["fix"] or "", f["line"],
                                                                 tuple(f.get("covers") or ()))
                                                                for f in r["findings"] or []]})
    yield pa.RecordBatch.from_pylist([{"aggregator": pickle.dumps(agg)}], schema=_AGG)


def report(outcomes: Outcomes) -> Any:
    """The batch report's counters (igclaim.outputs.report.ReportAggregator): one per partition, merged here."""
    from igclaim.outputs.report import ReportAggregator

    # outcomes of an older igclaim (saved, read back) have no `covers`: their findings count by line alone
    fields = set(outcomes.outcomes.schema["findings"].dataType.elementType.fieldNames())  # type: ignore[attr-defined]
    slim = outcomes.outcomes.select(
        "stage", "field", "encounter_id", "date_of_service", "setting", "payer_type", "mode",
        F.transform("findings", lambda f: F.struct(*(f[c].alias(c) for c in _REPORTED if c in fields)))
        .alias("findings"))
    total = ReportAggregator()
    for row in slim.mapInArrow(_aggregate, spark_schema(_AGG)).collect():  # one small row per partition
        total.merge(pickle.loads(row["aggregator"]))
    return total
