"""`igclaim batch INPUT --out DIR`: a thin shell around igclaim.batch.run_batch (design.md §4).

Exit status: 0 when every record came out (as a result or an error entry), 2 when the input file itself
cannot be read, 130 when stopped with Ctrl-C (the outputs then hold the records before the stop; an --overwrite
run's earlier outputs are kept unchanged and its partial outputs discarded), 143 when stopped with SIGTERM (a
scheduler's stop: handled as Ctrl-C is), 1 when records were lost (read from the input but in neither output: a
defect, reported).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from igclaim.batch import SourceError, default_workers, describe, duplicates_note, run_batch
from igclaim.batch.sources import FORMATS
from igclaim.options import FilingDateOpt


def batch_cmd(
    input: Annotated[Path, typer.Argument(help="JSON Lines (.jsonl), CSV (.csv) or Parquet (.parquet) of encounters, "
                                               "or an 837P/837I (.837); .jsonl, .json and .csv may be gzipped (.gz)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="directory for results.jsonl, errors.jsonl, findings.csv, "
                                                          "report.html")],
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="worker processes (default: all "
                                                                                 "cores)")] = None,
    format: Annotated[str | None, typer.Option("--format", help=f"input format: {', '.join(FORMATS)} (default: "
                                                                 "from the suffix)")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="payer profile for every record (name or .toml)")]
    = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="records sent to a worker at a time")] = 200,
    parse_only: Annotated[bool, typer.Option("--parse-only", help="only read and validate the records (no coding): "
                                                                   "a check of the file and a speed baseline")]
    = False,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="progress bar (default: on a "
                                                                                    "terminal)")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace earlier results in --out (written under "
                                                                "temporary names, renamed at the end)")] = False,
    charts: Annotated[str | None, typer.Option("--charts", help="with an 837: charts (encounters .jsonl/.json, FHIR "
                                                                "Bundles, or a folder) joined to its claims")] = None,
    filing_date: FilingDateOpt = None,
) -> None:
    """Build or scrub every encounter of a file in parallel: results, errors, findings.csv and an HTML report."""
    err = Console(stderr=True, soft_wrap=True)
    show = sys.stderr.isatty() if progress is None else progress
    n_workers = workers or default_workers()
    bar = None
    if show:
        from rich.markup import escape
        from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn

        from igclaim.outputs.terminal import shown

        bar = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[records]:>10,} records"), TextColumn("{task.fields[rate]:>8,.0f} records/s"),
            TimeElapsedColumn(), console=err, transient=False,
        )
    started = time.perf_counter()
    task = None

    def on_progress(done: int, position: int, total: int) -> None:
        nonlocal task
        if bar is None:
            return
        if task is None:
            bar.start()
            # the file's name as written: its column is markup ("[bold]" in a name vanished) on the terminal
            task = bar.add_task(escape(shown(input.name)), total=total or None, records=0, rate=0.0)
        elapsed = time.perf_counter() - started
        bar.update(task, completed=position, records=done, rate=done / elapsed if elapsed else 0.0)

    try:
        summary = run_batch(input, out, workers=n_workers, fmt=format, profile=profile, chunk_size=chunk_size,
                            parse_only=parse_only, on_progress=on_progress, overwrite=overwrite, charts=charts,
                            filing_date=filing_date)
    except SourceError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    except OSError as exc:
        kept = (" (the earlier outputs in --out are unchanged)" if overwrite else
                " (the files the run had made in --out were removed)")
        err.print(f"{exc.filename or out}: {exc.strerror}{kept}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    finally:
        if bar is not None:
            bar.stop()
    print(describe(summary), flush=True)
    if note := duplicates_note(summary):
        from igclaim.outputs.terminal import shown

        err.print(shown(note, line=True), markup=False, highlight=False)  # it quotes encounter ids: chart text
    if not summary.accounted:
        err.print(f"Records lost: {summary.read or 0:,} record(s) read from the input but {summary.records:,} came out "
                  "(results + errors); a defect in igclaim: please report it with the input.", markup=False,
                  highlight=False)
    stopped = 143 if summary.stopped_by == "SIGTERM" else 130
    what = "Stopped (SIGTERM)" if stopped == 143 else "Interrupted"
    if summary.discarded:
        err.print(f"{what}: stopped after {summary.records:,} record(s); the earlier outputs in {out}/ are "
                  "unchanged (an --overwrite run replaces them only when it ends) and this run's partial outputs "
                  "were discarded.", markup=False, highlight=False)
        raise typer.Exit(stopped)
    if not summary.accounted and not summary.interrupted:
        print(f"outputs in {out}/: results.jsonl, errors.jsonl, findings.csv, report.html", flush=True)
        raise typer.Exit(1)
    print(f"outputs in {out}/: results.jsonl, errors.jsonl, findings.csv, report.html", flush=True)
    if summary.interrupted:
        last = f"record {summary.records:,}" if summary.records else "the first record"
        err.print(f"{what}: stopped after {last}; the outputs hold records 1–{summary.records:,} of the input "
                  "and the report covers only those.", markup=False, highlight=False)
        raise typer.Exit(stopped)
