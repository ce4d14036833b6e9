"""`igclaim spark-batch`: read a file into Spark, code it with igclaim.spark, write Parquet partitioned by date
of service and the batch's report.html and summary.json (the same page, aggregated where the outcomes are)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from igclaim.batch.runner import BatchSummary, _write_report
from igclaim.batch.sources import SourceError, detect_format
from igclaim.spark.frames import JSON_COLUMN, Outcomes, number_json, process, report

SPARK_FORMATS = ("jsonl", "parquet")
OUTPUTS = ("results", "findings", "errors")


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


def _remote(path: str) -> bool:
    return "://" in path or path.startswith("dbfs:")


def read_input(spark: SparkSession, path: str, fmt: str | None = None) -> tuple[DataFrame, str]:
    """A JSON Lines file (one record per non-blank line, numbered like `igclaim batch`) or Parquet (the
    tabular columns of docs/batch.md) → a DataFrame for igclaim.spark.process, and the format."""
    if not _remote(path) and not Path(path).exists():
        raise SourceError(f"{path}: no such file or directory")
    fmt = detect_format(Path(path), fmt) if fmt or Path(path).suffix else None
    if fmt is None:
        raise SourceError(f"{Path(path).name}: cannot tell the format from the suffix; use --format jsonl|parquet")
    if fmt not in SPARK_FORMATS:
        raise SourceError(f"spark-batch reads {' and '.join(SPARK_FORMATS)}; for {fmt} use igclaim batch")
    if fmt == "jsonl":
        return spark.read.text(path).withColumnRenamed("value", JSON_COLUMN), fmt
    try:
        df = spark.read.parquet(path)
    except Exception as exc:  # Spark's AnalysisException and friends: not a Parquet file or dataset
        raise SourceError(f"{Path(path).name}: not a Parquet file ({str(exc).splitlines()[0]})") from None
    if "encounter_id" not in df.columns:
        raise SourceError(f"{Path(path).name}: no encounter_id column (docs/batch.md)")
    return df, fmt


def run_spark_batch(input_path: str | Path, out_dir: str | Path, *, spark: SparkSession, fmt: str | None = None,
                    profile: str | None = None, refdata_file: str | None = None,
                    report_dir: str | Path | None = None) -> BatchSummary:
    """Code every record of INPUT on Spark; write DIR/results/ and DIR/findings/ (Parquet, partitioned by
    date_of_service) and DIR/errors/ (Parquet); report.html and summary.json go to `report_dir` (default DIR,
    which must then be a local path: the driver writes them; Spark writes the rest, to any URI it knows)."""
    out_uri = str(out_dir) if _remote(str(out_dir)) else str(Path(out_dir).resolve())
    if report_dir is None:
        if _remote(out_uri):
            raise SourceError(f"--out {out_uri} is not a local directory: give --report-dir for report.html")
        report_dir = out_uri
    if profile:
        from igclaim.refdata.resolver import ProfileError, reference

        try:
            reference().profile(profile)
        except ProfileError as exc:
            raise SourceError(f"--profile: {exc}") from None
    if refdata_file is None:  # tables imported with `igclaim data import` travel with the job to every executor
        from igclaim.refdata.store import DB_NAME, db_path

        if db_path().is_file():
            spark.sparkContext.addFile(str(db_path()))
            refdata_file = DB_NAME
    started = time.perf_counter()
    df, fmt = read_input(spark, str(input_path), fmt)
    if fmt == "jsonl":  # blank lines are not records, as in igclaim batch
        numbered, total = number_json(df, JSON_COLUMN, skip_blank=True)
        outcomes = process(numbered, profile=profile, refdata_file=refdata_file)
        outcomes = Outcomes(outcomes.outcomes, total)
    else:
        outcomes = process(df, profile=profile, refdata_file=refdata_file)
    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    outcomes.outcomes.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        for name in ("results", "findings"):
            (getattr(outcomes, name).write.mode("overwrite").partitionBy("date_of_service")
             .parquet(f"{out_uri.rstrip('/')}/{name}"))
        outcomes.errors.write.mode("overwrite").parquet(f"{out_uri.rstrip('/')}/errors")
        agg = report(outcomes)
    finally:
        outcomes.outcomes.unpersist()
    summary = BatchSummary(str(input_path), fmt, out_uri, spark.sparkContext.defaultParallelism, 0)
    summary.records = outcomes.records
    summary.results, summary.errors = agg.results, agg.errors
    summary.elapsed_s = time.perf_counter() - started
    summary.errors_by_stage = dict(agg.errors_by_stage)
    _write_report(lambda name, text: (out / name).write_text(text, encoding="utf-8"), agg, summary, parse_only=False)
    return summary
