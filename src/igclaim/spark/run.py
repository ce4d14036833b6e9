"""`igclaim spark-batch`: read a file into Spark, code it with igclaim.spark, write Parquet partitioned by date
of service and the batch's report.html and summary.json (the same page, aggregated where the outcomes are)."""

from __future__ import annotations

import atexit
import gzip
import hashlib
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import date
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from igclaim.batch.runner import BatchSummary, _write_report
from igclaim.batch.sources import GZIP_BROKEN, SourceError, _gzipped, detect_format
from igclaim.outputs.files import write_atomic
from igclaim.spark.frames import (
    _X12_IN,
    JSON_COLUMN,
    Outcomes,
    _number_json_cached,
    process,
    report,
    x12_row,
)

SPARK_FORMATS = ("jsonl", "parquet", "x12")
OUTPUTS = ("results", "findings", "errors")
REPORTS = ("report.html", "summary.json")


def session(master: str | None = None, app_name: str = "igclaim", conf: dict[str, str] | None = None
            ) -> SparkSession:
    """The active session, or a new one. Under spark-submit (or on Databricks) the cluster's settings are kept;
    a local session (the default without spark-submit) is made small and quiet: no UI, loopback only, this
    Python for the workers, few shuffle partitions, 1 GB of driver memory."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started this Python
    master = master or (None if submitted else "local[*]")
    builder = SparkSession.builder.appName(app_name)
    settings: dict[str, str] = {}
    if master is not None:
        builder = builder.master(master)
    if master is not None and master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        settings = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                    "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                    "spark.driver.memory": "1g", "spark.sql.shuffle.partitions": "4",
                    "spark.sql.execution.arrow.maxRecordsPerBatch": "2000"}
    for key, value in {**settings, **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if master is not None and master.startswith("local"):
        spark.sparkContext.setLogLevel("ERROR")
    return spark


# batch's "json" (a .json: one encounter, or an array of them spanning lines, read whole) is not split into lines
_JSON_REFUSED = (" (a .json file is one encounter or an array of them, read whole); a file of one encounter a "
                 "line is JSON Lines: name it .jsonl or give --format jsonl")


def _remote(path: str) -> bool:
    return "://" in path or path.startswith("dbfs:")


def read_input(spark: SparkSession, path: str, fmt: str | None = None, work_dir: str | None = None
               ) -> tuple[DataFrame, str]:
    """A JSON Lines file (one record per non-blank line, numbered like `igclaim batch`; a .jsonl.gz decompressed
    by Spark, a local one checked first by `_check_gzip`), Parquet (the tabular columns of docs/batch.md) or an
    837 (one row per claim, read on the driver into a Parquet file in `work_dir`, a new temporary directory if
    None: the caller removes it once the job has run) → a DataFrame for igclaim.spark.process, and the format."""
    if not _remote(path) and not Path(path).exists():
        raise SourceError(f"{path}: no such file or directory")
    local_dir = not _remote(path) and Path(path).is_dir()
    fmt = detect_format(Path(path), fmt) if fmt or Path(path).suffix or not (_remote(path) or local_dir) else None
    if fmt is None:
        raise SourceError(f"{Path(path).name}: cannot tell the format from the suffix; use --format "
                          f"{'|'.join(SPARK_FORMATS)}")
    if fmt not in SPARK_FORMATS:
        raise SourceError(f"spark-batch reads {', '.join(SPARK_FORMATS)}; for {fmt} use igclaim batch"
                          + (_JSON_REFUSED if fmt == "json" else ""))
    if fmt == "jsonl":
        if not _remote(path) and not local_dir:
            _check_gzip(Path(path))
        return spark.read.text(path).withColumnRenamed("value", JSON_COLUMN), fmt
    if fmt == "x12":
        return _read_837(spark, path, work_dir), fmt
    try:
        df = spark.read.parquet(path)
    except Exception as exc:  # Spark's AnalysisException and friends: not a Parquet file or dataset
        raise SourceError(f"{Path(path).name}: not a Parquet file ({str(exc).splitlines()[0]})") from None
    if "encounter_id" not in df.columns:
        raise SourceError(f"{Path(path).name}: no encounter_id column (docs/batch.md)")
    return df, fmt


def _corrupt_gzip(name: str, cause: str) -> SourceError:
    """A gzip input Spark cannot decompress: the whole input refused (batch keeps the records before the break)."""
    return SourceError(f"{name}: the compressed (gzip) file is corrupt or cut short ({cause[:160]}); no record "
                       "was coded: repair or decompress it, or use igclaim batch, which reads the records before "
                       "the break")


def _check_gzip(path: Path) -> None:
    """A local text input. Spark decompresses a file by its name (.gz), batch by its first bytes
    (batch.sources._gzipped): a name and bytes that disagree would be read as garbage or fail in a task, so they
    are refused. A gzip file is read through once on the driver (constant memory), so that a corrupt one is one
    clear error before Spark's task fails on it with a Java stack in the log; and so that a line Spark cannot hold
    (it reads a line whole: a few MB of gzip may hold a line of GBs, a java.lang.OutOfMemoryError) is one too, past
    the largest input igclaim reads whole (MAX_FILE_BYTES). A shorter overlong line is its record's error, as in
    batch."""
    from igclaim.inputs import MAX_FILE_BYTES

    if not path.stat().st_size:
        return
    named, packed = path.suffix.lower() == ".gz", _gzipped(path)
    if named and not packed:
        raise SourceError(f"{path.name}: named .gz but not gzip-compressed; Spark decompresses a file by its "
                          "name: remove the .gz")
    if packed and not named:
        raise SourceError(f"{path.name}: gzip-compressed but not named .gz; Spark decompresses a file by its "
                          f"name: rename it {path.name}.gz")
    if packed:
        try:
            with gzip.open(path, "rb") as f:
                line, run = 1, 0  # the line being read, and its bytes so far
                while chunk := f.read(1 << 20):
                    ends = chunk.count(b"\n")
                    run = len(chunk) - chunk.rfind(b"\n") - 1 if ends else run + len(chunk)
                    line += ends
                    if run > MAX_FILE_BYTES:
                        raise SourceError(f"{path.name}: line {line} is longer than {MAX_FILE_BYTES:,} bytes once "
                                          "decompressed; Spark holds a line whole and cannot read it, so no record "
                                          "was coded: remove the line, or use igclaim batch, which reads it as one "
                                          "error and codes the rest")
        except GZIP_BROKEN as exc:
            raise _corrupt_gzip(path.name, f"{type(exc).__name__}: {exc}") from None


@contextmanager
def _reading(path: str) -> Iterator[None]:
    """Spark's own failure to read the input (FAILED_READ_FILE: a corrupt .gz on a cluster's file system, which the
    driver does not check first) as a SourceError naming the file, not a Py4J traceback."""
    try:
        yield
    except Exception as exc:
        text = str(exc)
        if "FAILED_READ_FILE" not in text:
            raise
        causes = re.findall(r"Caused by: ([^\n]+)", text)
        cause = causes[-1].strip() if causes else text.strip().splitlines()[0]
        name = Path(path.rstrip("/")).name
        if name.lower().endswith(".gz"):
            raise _corrupt_gzip(name, cause) from None
        raise SourceError(f"{name}: Spark cannot read it ({cause[:160]})") from None


def _read_837(spark: SparkSession, path: str, work_dir: str | None) -> DataFrame:
    """The driver streams the interchange claim by claim (readers/x12.py, flat memory) into a Parquet file of
    `x12_row`s, which Spark reads (local master) or the driver hands over (a cluster, whose executors do not see
    the driver's disk). Every CLM and every envelope problem is one row, numbered in file order as in batch."""
    if _remote(path) or Path(path).is_dir():
        raise SourceError(f"{path}: an 837 is read by the driver: give a local file")
    import pyarrow as pa
    import pyarrow.parquet as pq

    from igclaim.readers.x12 import open_837, read_837

    target = Path(work_dir or tempfile.mkdtemp(prefix="igclaim-837-")) / "claims.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    count = 0
    with pq.ParquetWriter(str(target), _X12_IN) as writer, open_837(path) as fh:
        for seq, item in enumerate(read_837(fh), start=1):
            rows.append(x12_row(seq, item))
            count = seq
            if len(rows) >= 2000:
                writer.write_batch(pa.RecordBatch.from_pylist(rows, schema=_X12_IN))
                rows = []
        if rows or not count:
            writer.write_batch(pa.RecordBatch.from_pylist(rows, schema=_X12_IN))
    if (spark.sparkContext.master or "").startswith("local"):
        df = spark.read.parquet(str(target))
    else:
        df = spark.createDataFrame(pq.read_table(str(target)))
    # one small file is one split: spread the claims over the cores (every row carries its own record number)
    parts = max(spark.sparkContext.defaultParallelism, count // 5000)
    return df.repartition(parts)


def _uri(path: str | Path) -> str:
    return str(path).rstrip("/") if _remote(str(path)) else str(Path(path).resolve())


def check_outputs(spark: SparkSession, input_path: str, out_uri: str, report_dir: Path, overwrite: bool) -> None:
    """Refuse (SourceError) outputs that would lose data, before anything is read: an input that is one of the
    outputs or inside one (Spark's overwrite mode deletes a path before the lazy read of it has run), even with
    `overwrite`; and the outputs of an earlier run, unless `overwrite` (as `igclaim batch` refuses them)."""
    targets = [f"{out_uri}/{name}" for name in OUTPUTS]
    reports = [str(report_dir.resolve() / name) for name in REPORTS]
    source = _uri(input_path)
    for target in targets + reports:
        if source == target or source.startswith(target + "/"):
            raise SourceError(f"--out: {target} is where the input {input_path} is; writing the results there "
                              "would destroy it: choose another --out directory")
    if overwrite:
        return
    jvm = spark.sparkContext._jvm
    if jvm is None:  # a stopped session: nothing can be checked, so nothing is written
        raise SourceError("spark-batch: the Spark session has stopped")
    hadoop_conf = spark.sparkContext._jsc.hadoopConfiguration()
    existing = []
    for target in targets:  # where Spark writes: the cluster's file system, local or remote
        path = jvm.org.apache.hadoop.fs.Path(target)
        if path.getFileSystem(hadoop_conf).exists(path):
            existing.append(target)
    existing += [r for r in reports if Path(r).exists()]
    if existing:
        raise SourceError(f"--out: an earlier run's outputs are there ({', '.join(existing)}); choose another "
                          "directory, or --overwrite to replace them")


_SHIPPED: dict[str, Path] = {}  # a shipped store's name (by its content) -> the directory of its copy, until exit
_ADDED: set[tuple[str, str]] = set()  # (Spark application id, name) added to that application


def _remove_shipped() -> None:
    for directory in _SHIPPED.values():
        shutil.rmtree(directory.parent, ignore_errors=True)


atexit.register(_remove_shipped)


def _ship(spark: SparkSession, db: Path) -> str:
    """Add to the job a copy of the store `db` in a directory named by its content (sha256), and return that name:
    Spark ignores a path (a name) already added to a running application, so shipping `db` itself again after an
    `igclaim data import` in the same process would leave the executors with the earlier tables. The copy is
    SQLite's backup of the store, so imports still in its write-ahead log travel too. The same content ships under
    the same name (added once per application); each copy stays until the process exits (executors fetch it when
    their tasks start)."""
    from igclaim.refdata.store import DB_NAME

    staging = Path(tempfile.mkdtemp(prefix="igclaim-ship-"))
    copy = staging / DB_NAME
    with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(copy)) as dst:
        src.backup(dst)
    digest = hashlib.sha256()
    with copy.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    name = f"igclaim-refdata-{digest.hexdigest()[:16]}"
    if name in _SHIPPED:
        shutil.rmtree(staging, ignore_errors=True)
    else:
        directory = staging / name
        directory.mkdir()
        copy.rename(directory / DB_NAME)
        _SHIPPED[name] = directory
    key = (spark.sparkContext.applicationId, name)
    if key not in _ADDED:
        spark.sparkContext.addFile(str(_SHIPPED[name]), recursive=True)
        _ADDED.add(key)
    return name


def run_spark_batch(input_path: str | Path, out_dir: str | Path, *, spark: SparkSession, fmt: str | None = None,
                    profile: str | None = None, refdata_file: str | None = None,
                    report_dir: str | Path | None = None, overwrite: bool = False,
                    filing_date: date | None = None) -> BatchSummary:
    """Code every record of INPUT on Spark; write DIR/results/ and DIR/findings/ (Parquet, partitioned by
    date_of_service) and DIR/errors/ (Parquet); report.html and summary.json go to `report_dir` (default DIR,
    which must then be a local path: the driver writes them; Spark writes the rest, to any URI it knows).
    Outputs of an earlier run are replaced only with `overwrite`. `filing_date`: the day the claims reach the
    payer, for each encounter that gives none (an 837's BHT04 and a record's own filing_date win)."""
    out_uri = _uri(out_dir)
    if report_dir is None:
        if _remote(out_uri):
            raise SourceError(f"--out {out_uri} is not a local directory: give --report-dir for report.html")
        report_dir = out_uri
    check_outputs(spark, str(input_path), out_uri, Path(report_dir), overwrite)
    if profile:
        from igclaim.refdata.resolver import ProfileError, reference

        try:
            reference().profile(profile)
        except ProfileError as exc:
            raise SourceError(f"--profile: {exc}") from None
    if refdata_file is None:  # tables imported with `igclaim data import` travel with the job to every executor
        from igclaim.refdata.store import db_path

        if db_path().is_file():
            refdata_file = _ship(spark, db_path())
    started = time.perf_counter()
    work_dir = tempfile.mkdtemp(prefix="igclaim-spark-")
    try:
        return _run(spark, str(input_path), out_uri, Path(report_dir), fmt, profile, refdata_file, work_dir,
                    started, filing_date)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def _duplicate_ids(outcomes: DataFrame) -> tuple[int, list[dict[str, object]]]:
    """The records whose encounter id an earlier record had, as igclaim batch counts them (batch/duplicates.py),
    exactly and without its cap (the cluster holds the ids): their count and the first MAX_EXAMPLES."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from igclaim.batch.duplicates import MAX_EXAMPLES

    ids = outcomes.where(F.col("encounter_id").isNotNull() & (F.col("encounter_id") != "")).select(
        "record", "encounter_id")
    later = ids.withColumn("nth", F.row_number().over(Window.partitionBy("encounter_id").orderBy("record"))).where(
        F.col("nth") > 1)
    first = later.orderBy("record").limit(MAX_EXAMPLES).collect()
    return later.count(), [{"encounter_id": r["encounter_id"], "record": r["record"]} for r in first]


def _run(spark: SparkSession, input_path: str, out_uri: str, out: Path, fmt: str | None, profile: str | None,
         refdata_file: str | None, work_dir: str, started: float, filing_date: date | None = None
         ) -> BatchSummary:
    with _reading(input_path):  # the input is read by the numbering pass (x12: by the driver, and counted here)
        df, fmt = read_input(spark, input_path, fmt, work_dir)
        if fmt == "jsonl":  # blank lines are not records, as in igclaim batch
            numbered, total, frame = _number_json_cached(df, JSON_COLUMN, skip_blank=True)
            outcomes = process(numbered, profile=profile, refdata_file=refdata_file, filing_date=filing_date)
            outcomes = Outcomes(outcomes.outcomes, total, (frame,))
        elif fmt == "x12":
            outcomes = process(df, profile=profile, refdata_file=refdata_file, filing_date=filing_date)
            outcomes = Outcomes(outcomes.outcomes, df.count())
        else:
            outcomes = process(df, profile=profile, refdata_file=refdata_file, filing_date=filing_date)
    out.mkdir(parents=True, exist_ok=True)
    outcomes.outcomes.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        for name in ("results", "findings"):
            (getattr(outcomes, name).write.mode("overwrite").partitionBy("date_of_service")
             .parquet(f"{out_uri.rstrip('/')}/{name}"))
        outcomes.errors.write.mode("overwrite").parquet(f"{out_uri.rstrip('/')}/errors")
        agg = report(outcomes)
        duplicates, examples = _duplicate_ids(outcomes.outcomes)
    finally:
        outcomes.unpersist()
    summary = BatchSummary(input_path, fmt, out_uri, spark.sparkContext.defaultParallelism, 0)
    summary.records = outcomes.records
    summary.results, summary.errors = agg.results, agg.errors
    summary.elapsed_s = time.perf_counter() - started
    summary.errors_by_stage = dict(agg.errors_by_stage)
    summary.duplicate_ids, summary.duplicate_examples = duplicates, examples
    _write_report(lambda name, text: write_atomic(out / name, text), agg, summary, parse_only=False)
    return summary
