"""`igclaim spark-batch INPUT --out DIR`: igclaim batch on Apache Spark (needs the extra igclaim[spark] and
Java). Exit status as for batch: 0 when every record came out (a result or an error row), 2 when the input
cannot be read or Spark is not installed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from igclaim.options import FilingDateOpt


def spark_batch_cmd(
    input: Annotated[str, typer.Argument(help="JSON Lines (.jsonl, .jsonl.gz) or Parquet (.parquet) of encounters: "
                                              "a local path or any path Spark reads (hdfs://, s3a://, dbfs:/ …); or "
                                              "a local 837P/837I file")],
    out: Annotated[str, typer.Option("--out", "-o", help="directory for results/, findings/ (Parquet by "
                                                         "date_of_service), errors/, report.html, summary.json; "
                                                         "any URI Spark writes to with --report-dir")],
    master: Annotated[str | None, typer.Option("--master", help="Spark master, e.g. local[2] (default: the "
                                                                 "cluster's under spark-submit, else local[*])")]
    = None,
    format: Annotated[str | None, typer.Option("--format", help="input format: jsonl, parquet or x12 (default: "
                                                                 "from the suffix)")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="payer profile for every record (name or .toml)")]
    = None,
    report_dir: Annotated[Path | None, typer.Option("--report-dir", help="local directory for report.html and "
                                                                        "summary.json (default: --out)")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace the outputs of an earlier run in --out "
                                                                "(refused without it)")] = False,
    filing_date: FilingDateOpt = None,
) -> None:
    """Build or scrub every encounter of a file on Apache Spark: Parquet outputs and the batch's HTML report."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        from igclaim.spark import run_spark_batch, session
    except ImportError as exc:
        err.print(f"spark-batch needs PySpark: pip install 'igclaim[spark]' ({exc})", markup=False, highlight=False)
        raise typer.Exit(2) from None
    from igclaim.batch import SourceError, describe

    try:
        summary = run_spark_batch(input, out, spark=session(master), fmt=format, profile=profile,
                                  report_dir=report_dir, overwrite=overwrite, filing_date=filing_date)
    except SourceError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    print(describe(summary), flush=True)
    print(f"outputs in {out}/: results/, findings/, errors/ (Parquet); report.html, summary.json in "
          f"{report_dir or out}/", flush=True)
