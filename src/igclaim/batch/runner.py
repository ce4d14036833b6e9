"""The batch runner: a bounded, ordered, streaming process pool.

The parent reads records in chunks and keeps at most `window` chunks in flight, so memory stays flat however
large the input is. Chunks are written in input order as they come back (a later chunk that finishes early
waits in the window). Each worker loads the reference data once (pool initializer). Every record comes out
exactly once, in results.jsonl or in errors.jsonl; Ctrl-C terminates the workers, flushes what was written
(always a prefix of the input) and says how far the run got (an --overwrite run's partial outputs are discarded
instead: the earlier outputs are replaced only by a run that ends). A worker that dies (killed, out of memory) breaks
the pool: the chunks that were in flight are rerun one at a time in a fresh pool, so the chunk that breaks it
alone is known, and its records come out as error entries, never silently lost.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from igclaim.batch.duplicates import DuplicateIds
from igclaim.batch.sources import Source, SourceError
from igclaim.batch.worker import FINDING_COLUMNS, Outcome, error_outcome, init_worker, process_chunk
from igclaim.outputs.report import ReportAggregator

DEFAULT_CHUNK = 200


@dataclass
class BatchSummary:
    input: str
    format: str
    out: str
    workers: int
    chunk_size: int
    records: int = 0  # outcomes written (results + errors + parse-only records)
    # Records the reader took from the input, counted apart from what came out (for a stopped run: those of the
    # chunks it got to); None where no reader counted them (spark-batch).
    read: int | None = None
    results: int = 0
    errors: int = 0
    parsed_only: int = 0
    interrupted: bool = False
    stopped_by: str | None = None  # the signal that stopped the run: SIGINT (Ctrl-C) or SIGTERM (a scheduler's stop)
    # An interrupted --overwrite run: its partial outputs were discarded and the earlier outputs kept as they were
    # (not in summary.json, which such a run does not write).
    discarded: bool = False
    elapsed_s: float = 0.0
    errors_by_stage: dict[str, int] = field(default_factory=dict)
    # Records whose encounter id an earlier record had (each still judged on its own: a double-billing risk); None
    # where not checked. The first few as {"encounter_id", "record"}; duplicates_checked_to: the record
    # past which ids were not checked (the cap of duplicates.MAX_IDS_CHECKED distinct ids), None when all were.
    duplicate_ids: int | None = None
    duplicate_examples: list[dict[str, Any]] = field(default_factory=list)
    duplicates_checked_to: int | None = None
    max_rss_parent_kb: int = 0
    max_rss_worker_kb: int = 0

    @property
    def lost(self) -> int:
        """Records read from the input that came out neither as a result nor as an error (0 unless a defect)."""
        out = self.results + self.errors + self.parsed_only
        return (self.read if self.read is not None else self.records) - out

    @property
    def accounted(self) -> bool:
        return self.lost == 0 and self.records == self.results + self.errors + self.parsed_only

    @property
    def rate(self) -> float:
        return self.records / self.elapsed_s if self.elapsed_s else 0.0


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _context() -> Any:
    # fork starts workers fastest; the pool is created before any thread (the progress bar) starts.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


OUTPUTS = ("results.jsonl", "errors.jsonl", "findings.csv", "report.html", "summary.json")


def _leads_to(target: Path, source: Path) -> bool:
    """Whether writing `target` would write over `source` (the same file, through a link or another path), or into
    `source` when it is a folder (--charts given as a folder)."""
    try:
        if target.exists() and source.exists() and target.samefile(source):
            return True
    except OSError:
        pass
    resolved, src = target.resolve(), source.resolve()
    return resolved == src or (src.is_dir() and resolved.is_relative_to(src))


def check_outputs(input_path: Path, out: Path, overwrite: bool, inputs: tuple[Path, ...] = ()) -> bool:
    """Refuse (SourceError) an output that is (or leads to) an input, always: --overwrite replaces earlier results,
    never an input. Refuse an output that would replace earlier results unless `overwrite`. Returns True when
    earlier outputs exist: they are then replaced only at the end (staged writing)."""
    targets = [out / name for name in OUTPUTS]
    for source in (input_path, *inputs):
        for t in targets:
            if _leads_to(t, source):
                raise SourceError(f"--out: {t} is the input file {source} (or a link to it); writing the results "
                                  "there would destroy it: choose another --out directory")
    existing = [t for t in targets if t.exists()]
    if existing and not overwrite:
        raise SourceError(f"--out: {out} already holds results ({', '.join(t.name for t in existing)}); choose "
                          "another directory, or --overwrite to replace them")
    return bool(existing)


def _plain(value: Any) -> Any:
    """`value` (an error entry) with every text UTF-8 can write: a lone surrogate (a byte that was not UTF-8, read
    with surrogateescape) becomes the plain text `\\udc8b`, so no surrogate reaches a file and the write never fails."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _error_line(error: dict[str, Any]) -> str:
    line = json.dumps(error, ensure_ascii=False)
    if not line.isascii():
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            line = json.dumps(_plain(error), ensure_ascii=False)
    return line


class _Writers:
    """results.jsonl, errors.jsonl and findings.csv, written in input order. When earlier outputs (or the input)
    would be replaced, everything is written under temporary names and renamed only when the run ends, so a run
    that fails (disk full) leaves the earlier outputs as they were. A first run (nothing staged) that fails removes
    the files it made, so it leaves nothing that blocks the next run. Files are written with backslashreplace: a
    text that UTF-8 cannot hold never fails a write."""

    def __init__(self, out: Path, parse_only: bool, staged: bool = False) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out, self.staged = out, staged
        self._made: list[Path] = []  # the files this run created in --out (a first run's, removed if it fails)
        self._results: TextIO | None = None  # created with the first result, so its presence means progress
        self.errors = self._open("errors.jsonl")
        self.findings = self._open("findings.csv", newline="")
        csv.writer(self.findings, lineterminator="\n").writerow(FINDING_COLUMNS)

    def _target(self, name: str) -> Path:
        """Where an output lands: a link is followed (its target replaced, the link kept), as `write_atomic` does."""
        path = self.out / name
        return path.resolve() if path.is_symlink() else path

    def _path(self, name: str) -> Path:
        """Where an output is written during the run: staged beside its target (a rename does not cross file
        systems), except a target that is not a regular file (a link to /dev/null, a named pipe), written in place."""
        if not self.staged:
            return self.out / name
        target = self._target(name)
        if target.exists() and not target.is_file():
            return target
        return target.with_name(f".{target.name}.partial")

    def _open(self, name: str, newline: str | None = None) -> TextIO:
        path = self._path(name)
        if not self.staged and not path.exists() and not path.is_symlink():
            self._made.append(path)
        return path.open("w", encoding="utf-8", errors="backslashreplace", newline=newline)

    def write_text(self, name: str, text: str) -> None:
        with self._open(name) as f:
            f.write(text)

    def remove_made(self) -> None:
        """A failed first run: remove the files it created (they would block the next run as 'earlier results')."""
        for path in self._made:
            if path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)

    def commit(self) -> None:
        """Move the staged outputs over the earlier ones (each rename is atomic)."""
        if self.staged:
            for name in OUTPUTS:  # an output written in place is renamed onto itself: rename(2) does nothing
                if self._path(name).exists():
                    os.replace(self._path(name), self._target(name))

    def discard(self) -> None:
        if self.staged:
            for name in OUTPUTS:
                staged = self._path(name)
                if staged != self._target(name):
                    staged.unlink(missing_ok=True)

    def write(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.errors.write(_error_line(outcome.error) + "\n")
        elif outcome.result_json is not None:
            self.results.write(outcome.result_json + "\n")
            if outcome.findings_csv:
                self.findings.write(outcome.findings_csv)

    @property
    def results(self) -> TextIO:
        if self._results is None:
            self._results = self._open("results.jsonl")
        return self._results

    def close(self) -> None:
        for f in (self.results, self.errors, self.findings):
            f.close()


def run_batch(
    input_path: Path | str,
    out_dir: Path | str,
    *,
    workers: int | None = None,
    fmt: str | None = None,
    profile: str | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    parse_only: bool = False,
    on_progress: Callable[[int, int, int], None] | None = None,
    overwrite: bool = False,
    charts: str | None = None,
    filing_date: date | None = None,
) -> BatchSummary:
    """Run every record of INPUT through build or scrub; write DIR/results.jsonl, errors.jsonl, findings.csv,
    report.html and summary.json. `on_progress(records_done, position, total)` is called after each chunk;
    `filing_date` is the filing date of each encounter that gives none (--filing-date)."""
    source = Source(Path(input_path), fmt)
    if profile:  # checked here: a failing pool initializer would restart workers forever
        from igclaim.refdata.resolver import ProfileError, reference

        try:
            reference().profile(profile)
        except ProfileError as exc:
            raise SourceError(f"--profile: {exc}") from None
    if charts:  # checked here too: workers load them in their initializer
        from igclaim.inputs import InvalidInput
        from igclaim.readers.scrub import load_charts

        try:
            load_charts(charts)
        except (InvalidInput, OSError) as exc:
            raise SourceError(f"--charts: {exc}") from None
    out = Path(out_dir)
    staged = check_outputs(Path(input_path), out, overwrite, (Path(charts),) if charts else ())
    workers = max(1, workers or default_workers())
    chunk_size = max(1, chunk_size)
    summary = BatchSummary(str(input_path), source.format, str(out), workers, chunk_size)
    report = ReportAggregator()
    duplicates = DuplicateIds()
    writers = _Writers(out, parse_only, staged)
    window = 2 * workers + 1
    started = time.perf_counter()

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_init_worker,
                                   initargs=(profile, charts, filing_date))

    pool = new_pool()
    stop = _StopOnSigterm()
    shield = _Shield()
    records = _Counted(iter(source))
    written = 0  # the records of the chunks written (a stopped run's read count)
    pending: deque = deque()  # (chunk, future), in input order
    suspects: deque = deque()  # chunks in flight when a worker died: rerun one at a time, in order
    exhausted = False
    if on_progress:
        on_progress(0, 0, source.total)
    try:
        stop.install()
        while True:
            if suspects:
                chunk = suspects.popleft()
                try:
                    outcomes = pool.submit(process_chunk, chunk, profile, parse_only).result()
                except BrokenProcessPool:  # alone in the pool: this chunk kills its worker
                    pool = _renew(pool, new_pool)
                    outcomes = [error_outcome(rec, "worker", ["(worker) the worker process died on this chunk "
                                                              "(killed or out of memory); run it again"], None)
                                for rec in chunk]
            else:
                while not exhausted and len(pending) < window:
                    chunk = list(islice(records, chunk_size))
                    if not chunk:
                        exhausted = True
                        break
                    pending.append((chunk, pool.submit(process_chunk, chunk, profile, parse_only)))
                if not pending:
                    break
                chunk, job = pending.popleft()
                try:
                    outcomes = job.result()
                except BrokenProcessPool:
                    pool = _renew(pool, new_pool)
                    suspects.extend([chunk, *(c for c, _job in pending)])
                    pending.clear()
                    continue
            with _sigint_deferred():  # a chunk is written and counted whole, or not at all
                for outcome in outcomes:
                    _account(outcome, summary, report, writers)
                    duplicates.see(outcome.encounter_id, outcome.seq)
                written += len(chunk)
                if on_progress:
                    on_progress(summary.records, source.position, source.total)
        pool.shutdown(wait=True)
    except KeyboardInterrupt:
        shield.install()  # a second Ctrl-C waits for the cleanup below instead of escaping it
        summary.interrupted = True
        summary.stopped_by = "SIGTERM" if stop.received else "SIGINT"
        _terminate(pool)
    except BaseException:
        shield.install()
        try:
            _terminate(pool)
            source.close()
            writers.close()
            writers.discard()  # a failed run (disk full, …) leaves the earlier outputs as they were
            writers.remove_made()  # and a failed first run leaves nothing that blocks the next one
        finally:
            shield.restore()
            stop.restore()
        raise
    # What the reader read, compared with what came out (describe's "lost", summary.json's "accounted"): all it read,
    # or for a stopped run the records of the chunks written (the chunks in flight at the stop are not written).
    summary.read = written if summary.interrupted else records.n
    shield.install()  # (a Ctrl-C or SIGTERM while the run closes its outputs and writes its report waits for it)
    try:
        source.close()
        writers.close()
        summary.elapsed_s = time.perf_counter() - started
        summary.errors_by_stage = dict(report.errors_by_stage)
        summary.duplicate_ids = duplicates.duplicates
        summary.duplicate_examples = [{"encounter_id": i, "record": r} for i, r in duplicates.examples]
        summary.duplicates_checked_to = duplicates.checked_to
        summary.max_rss_parent_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        summary.max_rss_worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if summary.interrupted and writers.staged:
            # The new outputs replace the earlier ones only when the run ends: a stopped --overwrite run is not an
            # end. Its partial outputs are discarded and the earlier (complete) outputs stay as they were.
            writers.discard()
            summary.discarded = True
            return summary
        try:
            _write_report(writers.write_text, report, summary, parse_only)
            writers.commit()
        except BaseException:
            writers.discard()
            writers.remove_made()
            raise
        return summary
    finally:
        shield.restore()
        stop.restore()


class _Shield:
    """While a run closes its outputs (after the last chunk, or after a stop), Ctrl-C and SIGTERM are noted and not
    raised: a second Ctrl-C during the shutdown after the first escaped the cleanup with a traceback, leaving the
    workers running, the outputs unclosed, .partial files behind, and a first run's outputs removed as if it had
    failed. The cleanup is bounded (STOP_GRACE_SECONDS for the workers, then the report), so waiting is short.
    Only in the main thread; a signal that was ignored stays ignored."""

    NOTE = b"igclaim batch: stopping; closing the outputs (a few seconds at most)\n"

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            handler = signal.getsignal(sig)
            if handler is not signal.SIG_IGN:
                self._previous[sig] = handler
                signal.signal(sig, self._note)

    def _note(self, _signum: int, _frame: Any) -> None:
        with suppress(OSError):
            os.write(2, self.NOTE)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self._previous = {}


class _Counted:
    """An iterator that counts what it yields: the records the reader read."""

    def __init__(self, it: Iterator[Any]) -> None:
        self.it, self.n = it, 0

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> Any:
        item = next(self.it)
        self.n += 1
        return item


class _StopOnSigterm:
    """SIGTERM (a scheduler's or a service manager's stop) stops the run as Ctrl-C does: raised as KeyboardInterrupt
    in the parent, which stops the workers and leaves a consistent prefix marked as partial. Without this the
    process died at once: outputs each cut at a different record, no report or summary saying they were partial,
    workers left running. Only in the main thread, and not when SIGTERM is ignored."""

    def __init__(self) -> None:
        self.received = False
        self._previous: Any = None
        self._installed = False

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGTERM)
        if previous is signal.SIG_IGN:
            return
        self._previous = previous
        signal.signal(signal.SIGTERM, self._handle)
        self._installed = True

    def _handle(self, _signum: int, _frame: Any) -> None:
        if self.received:
            return  # already stopping: the workers are being stopped and the outputs closed
        self.received = True
        raise KeyboardInterrupt

    def restore(self) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous if self._previous is not None else signal.SIG_DFL)
            self._installed = False


def _init_worker(*args: Any) -> None:
    """The workers take SIGTERM at its default (they inherit the parent's handler through fork): a worker the parent
    terminates ends at once."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    init_worker(*args)


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Ctrl-C (or SIGTERM) while a chunk's outcomes are being written is delivered once they are all written and
    counted, so the outputs and the summary always agree on how many records were done (a record is never
    half-accounted). A run started with Ctrl-C ignored (in the background of a script) keeps ignoring it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    deferred = [sig for sig, handler in previous.items() if handler is not signal.SIG_IGN]
    for sig in deferred:
        signal.signal(sig, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        for sig in deferred:
            signal.signal(sig, previous[sig])
    if caught:
        signal.raise_signal(caught[0])  # to its own handler, now restored (Ctrl-C raises KeyboardInterrupt)
        raise KeyboardInterrupt  # (a handler that returned: the run stops all the same)


def _renew(pool: ProcessPoolExecutor, new_pool: Callable[[], ProcessPoolExecutor]) -> ProcessPoolExecutor:
    pool.shutdown(wait=False, cancel_futures=True)
    return new_pool()


# How long the workers get to finish the chunks already handed to them after a stop, before they are terminated.
STOP_GRACE_SECONDS = 10.0


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop: cancel what is queued and let the workers end (they ignore SIGINT; the parent decides). They finish the
    few chunks already handed to them (their outcomes are not written) and exit, so no worker dies while the pool
    is still writing a chunk to it: a worker killed then can leave that write, and the process's exit, waiting
    forever. Only a worker still busy after STOP_GRACE_SECONDS (a chunk that never ends) is terminated."""
    processes = list(getattr(pool, "_processes", {}).values())  # no public API lists them
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in processes:
        proc.join(timeout=max(0.0, deadline - time.monotonic()))
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5)


def _account(outcome: Outcome, summary: BatchSummary, report: ReportAggregator, writers: _Writers) -> None:
    writers.write(outcome)
    summary.records += 1
    if outcome.error is not None:
        summary.errors += 1
        report.add_error(outcome.error)
    elif outcome.summary is not None:
        summary.results += 1
        report.add_result(outcome.summary)
    else:
        summary.parsed_only += 1
        report.add_valid()


def _write_report(write_text: Callable[[str, str], object], report: ReportAggregator, summary: BatchSummary,
                  parse_only: bool) -> None:
    """report.html and summary.json through `write_text(name, text)` (the batch's staged writers, or a plain
    directory for spark-batch)."""
    from igclaim import engine
    from igclaim.edits.registry import SPECS
    from igclaim.refdata.resolver import reference

    engine._load_edit_families()
    statements = {k: (s.statement, s.fix) for k, s in SPECS.items()}
    meta = {
        "input": Path(summary.input).name,
        "generated": datetime.now().isoformat(timespec="seconds"),
        "data_as_of": reference().data_as_of.isoformat(),
        "run": f"{summary.records:,} records in {summary.elapsed_s:.1f} s with {summary.workers} worker(s)"
        + (" · parse only" if parse_only else ""),
        "interrupted": summary.interrupted,
        "parse_only": parse_only,
        "duplicates": duplicates_note(summary),
    }
    write_text("report.html", report.render(meta, statements))
    doc = asdict(summary) | {"rate_records_per_s": round(summary.rate, 1), "accounted": summary.accounted,
                             "lost": summary.lost}
    doc.pop("discarded")
    write_text("summary.json", json.dumps(doc, indent=2) + "\n")


def duplicates_note(summary: BatchSummary) -> str:
    """What the run found of encounter ids given twice, for the person running it and the report ('' if nothing)."""
    from igclaim.batch.duplicates import MAX_IDS_CHECKED

    text = ""
    if summary.duplicate_ids:
        named = ", ".join(f"{d['encounter_id']} at record {d['record']:,}" for d in summary.duplicate_examples)
        more = summary.duplicate_ids - len(summary.duplicate_examples)
        text = (f"Duplicate encounter ids: {summary.duplicate_ids:,} record(s) repeat the id of an earlier record "
                f"({named}{f' and {more:,} more' if more else ''}); each was judged on its own: check for double "
                "billing.")
    if summary.duplicates_checked_to is not None:
        text += (" " if text else "") + (f"Duplicate encounter ids were not checked past record "
                                         f"{summary.duplicates_checked_to:,} (the first {MAX_IDS_CHECKED:,} distinct "
                                         "ids are checked).")
    return text


def describe(summary: BatchSummary) -> str:
    """The closing line: the counts a person checks (records = results + errors)."""
    done = f"{summary.results:,} results + {summary.errors:,} errors"
    if summary.parsed_only:
        done = f"{summary.parsed_only:,} valid (parse only) + {summary.errors:,} errors"
    return (f"records {summary.records:,} = {done} (lost {summary.lost}) in {summary.elapsed_s:.1f} s, "
            f"{summary.rate:,.0f} records/s with {summary.workers} worker(s)")


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
