"""Defects an outside audit found in the batch runner: a batch never drops a record silently (every input record
comes out as a result or an error) and no write loses earlier data (earlier outputs, or an input)."""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from igclaim.batch import SourceError, run_batch
from igclaim.batch import runner as runner_mod
from igclaim.batch.worker import process_chunk
from tests.conftest import ROOT, run_cli

BATCH = ROOT / "examples" / "parties" / "office-batch.jsonl"


@pytest.mark.parametrize("overwrite", [False, True])
def test_an_output_linked_to_the_input_is_refused_even_with_overwrite(tmp_path, overwrite):
    """errors.jsonl in --out is a link to the input: --overwrite replaced the input through the link (emptied it),
    and the refusal without it suggested --overwrite."""
    src_dir, out = tmp_path / "same", tmp_path / "dir3"
    src_dir.mkdir()
    out.mkdir()
    src = src_dir / "results.jsonl"
    shutil.copy(BATCH, src)
    before = src.read_bytes()
    (out / "errors.jsonl").symlink_to(src)
    r = run_cli("batch", str(src), "--out", str(out), "-w", "1", *(["--overwrite"] if overwrite else []))
    assert r.returncode == 2 and "is the input file" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert "--overwrite" not in r.stderr
    assert src.read_bytes() == before and (out / "errors.jsonl").is_symlink()
    assert sorted(p.name for p in out.iterdir()) == ["errors.jsonl"]


def test_an_output_over_the_charts_is_refused(tmp_path, x12_text):
    charts = tmp_path / "results.jsonl"
    shutil.copy(BATCH, charts)
    before = charts.read_bytes()
    x12 = tmp_path / "claims.837"
    x12.write_text(x12_text)
    with pytest.raises(SourceError, match="is the input file"):
        run_batch(x12, tmp_path, workers=1, overwrite=True, charts=str(charts))
    assert charts.read_bytes() == before


@pytest.mark.parametrize("kind", ["binary", "gzip", "gzip-forced"])
def test_a_binary_or_compressed_837_is_one_plain_error_and_no_crash(tmp_path, x12_text, kind):
    """Its error quoted the raw bytes (lone surrogates), and writing it crashed the run with UnicodeEncodeError,
    leaving empty outputs that the next run refused as 'already holds results'."""
    if kind == "binary":
        data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe" + bytes(range(256))
    else:
        data = gzip.compress(x12_text.encode())
    src = tmp_path / ("claims.837.gz" if kind == "gzip-forced" else "claims.837")
    src.write_bytes(data)
    out = tmp_path / "out"
    args = ["--format", "x12"] if kind == "gzip-forced" else []
    r = run_cli("batch", str(src), "--out", str(out), "-w", "1", *args)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    raw = (out / "errors.jsonl").read_bytes()
    (error,) = [json.loads(line) for line in raw.decode("utf-8").splitlines()]  # strict UTF-8
    text = json.dumps(error, ensure_ascii=False)
    text.encode("utf-8")  # no lone surrogate in any value
    assert "not an X12 interchange" in error["reason"] and error["reason"].isascii()
    assert json.loads((out / "summary.json").read_text())["errors"] == 1


def test_an_error_with_any_text_is_written_safely(tmp_path):
    """The writing side: whatever text an error entry carries (a byte read with surrogateescape, a lone surrogate
    from a JSON escape), errors.jsonl is written, as strict UTF-8, with no surrogate in it."""
    from igclaim.batch.runner import _Writers
    from igclaim.batch.worker import Outcome

    writers = _Writers(tmp_path, parse_only=False)
    bad = {"record": 1, "stage": "json", "encounter_id": "e\udc8b", "reason": "x \ud800 y",
           "problems": ["\udcff", "fine é"]}
    writers.write(Outcome(1, error=bad))
    writers.close()
    (entry,) = [json.loads(line) for line in (tmp_path / "errors.jsonl").read_bytes().decode("utf-8").splitlines()]
    json.dumps(entry, ensure_ascii=False).encode("utf-8")
    assert entry["encounter_id"] == "e\\udc8b" and entry["problems"] == ["\\udcff", "fine é"]


def test_a_first_run_that_fails_leaves_nothing_that_blocks_the_next(tmp_path, monkeypatch):
    out = tmp_path / "out"

    def broken(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr(runner_mod, "_account", broken)
    with pytest.raises(RuntimeError):
        run_batch(BATCH, out, workers=1)
    assert list(out.iterdir()) == []
    monkeypatch.undo()
    summary = run_batch(BATCH, out, workers=1)  # no "already holds results"
    assert summary.records > 0 and (out / "summary.json").is_file()


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def big_input(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import generate

    src = tmp_path_factory.mktemp("big") / "big.jsonl"
    n = generate.write_jsonl(src, generate.encounters(30_000, seed=3, bad_share=0.01))
    return src, n


def _stop_once_under_way(args: list[str], progress_file: Path, sig: int,
                         workers: list[int] | None = None) -> tuple[subprocess.Popen, str, str]:
    """Run `igclaim batch ARGS` as a shell runs a foreground command (SIGINT at its default), wait until
    `progress_file` holds something (the run is under way, however slow the machine), then send `sig` to it (the
    parent alone). `workers` receives the pids of its child processes at that moment. Its output goes to files, not
    pipes: a worker left running would hold a pipe open and hang the test instead of failing it."""
    logs = progress_file.parent.parent / "logs"
    logs.mkdir(exist_ok=True)
    with (logs / "stdout").open("w") as stdout_file, (logs / "stderr").open("w") as stderr_file:
        proc = subprocess.Popen([sys.executable, "-m", "igclaim.cli", "batch", *args, "-w", "2", "--chunk-size",
                                 "50", "--no-progress"], stdout=stdout_file, stderr=stderr_file, text=True,
                                cwd=ROOT, preexec_fn=_sigint_default)
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None and not (
            progress_file.is_file() and progress_file.stat().st_size > 0):
        time.sleep(0.05)
    assert proc.poll() is None, "the batch ended before it could be stopped"
    if workers is not None:
        workers.extend(_children(proc.pid))
    proc.send_signal(sig)
    try:
        proc.wait(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()  # never leave a batch running behind the suite
        proc.wait()
        pytest.fail("the batch did not stop within 180 s of the signal")
    return proc, (logs / "stdout").read_text(), (logs / "stderr").read_text()


def test_ctrl_c_during_an_overwrite_run_keeps_the_earlier_outputs(tmp_path, big_input):
    """Ctrl-C in an --overwrite run went on to commit: the complete earlier outputs were replaced by the partial
    run's. The earlier outputs must stay as they were (a stopped run is not an end); the partial ones are discarded."""
    src, _n = big_input
    out = tmp_path / "out"
    run_batch(BATCH, out, workers=1)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc, stdout, stderr = _stop_once_under_way([str(src), "--out", str(out), "--overwrite"],
                                                out / ".results.jsonl.partial", signal.SIGINT)
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr
    assert "earlier outputs" in stderr and "unchanged" in stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing replaced, no .partial left


def _children(pid: int) -> list[int]:
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the workers")
def _id_of(line: str) -> str | None:
    try:
        return json.loads(line)["encounter_id"]
    except (ValueError, KeyError, TypeError):
        return None


def test_sigterm_stops_a_run_as_ctrl_c_does(tmp_path, big_input):
    """SIGTERM (a scheduler's stop) killed the parent outright: results.jsonl, errors.jsonl and findings.csv each cut
    at a different record, no report or summary marking them partial, the workers left running."""
    src, n = big_input
    out = tmp_path / "out"
    workers: list[int] = []
    try:
        proc, stdout, stderr = _stop_once_under_way([str(src), "--out", str(out)], out / "results.jsonl",
                                                    signal.SIGTERM, workers)
        assert workers, "no worker process seen"
        assert proc.returncode == 143 and "Traceback" not in stderr, stderr
        assert "Stopped (SIGTERM): stopped after record" in stderr
        summary = json.loads((out / "summary.json").read_text())
        assert summary["interrupted"] is True and summary["stopped_by"] == "SIGTERM"
        assert "interrupted" in (out / "report.html").read_text()
        results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
        errors = [json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()]
        done = len(results) + len(errors)
        assert 0 < done < n and summary["records"] == done
        assert summary.get("accounted", True) is True and summary.get("lost", 0) == 0  # (a stop loses nothing)
        # one consistent prefix: records 1..done, each once, in results or errors, and findings only of those
        lines = {e["line"] for e in errors}
        with src.open() as f:  # a malformed record (the input holds some) is an error, its line among `lines`
            ids = [_id_of(next(f)) for _ in range(done)]
        assert [r["encounter_id"] for r in results] == [x for i, x in enumerate(ids, 1) if i not in lines]
        with (out / "findings.csv").open(newline="") as f:
            finding_records = {int(row["record"]) for row in csv.DictReader(f)}
        assert finding_records and max(finding_records) <= done
        # the workers were stopped and reaped by the parent, not left running
        deadline = time.time() + 10
        while time.time() < deadline and any(_running(pid) for pid in workers):
            time.sleep(0.05)
        assert not [pid for pid in workers if _running(pid)]
    finally:
        for pid in workers:  # never leave a worker of this test running behind the suite
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def _drops_one(chunk, profile, parse_only):
    """Stands in for process_chunk in the workers: a chunk holding the marker comes back one outcome short."""
    outcomes = process_chunk(chunk, profile, parse_only)
    return [o for o, rec in zip(outcomes, chunk, strict=True) if "DROP-ME" not in str(rec.payload)]


def _lines(n: int, marked: int | None) -> str:
    good = json.loads(BATCH.read_text().splitlines()[0])
    return "".join(json.dumps(dict(good, encounter_id="DROP-ME" if i == marked else f"enc-{i}")) + "\n"
                   for i in range(n))


def test_a_record_lost_between_the_reader_and_the_outputs_is_counted(tmp_path, monkeypatch):
    """`lost` compared the written counters with each other (always 0) and summary.json said accounted: true
    whatever happened. It now compares what the reader read with what was written."""
    src = tmp_path / "in.jsonl"
    src.write_text(_lines(7, marked=3))
    monkeypatch.setattr(runner_mod, "process_chunk", _drops_one)
    summary = run_batch(src, tmp_path / "out", workers=2, chunk_size=2)
    assert (summary.read, summary.records, summary.lost, summary.accounted) == (7, 6, 1, False)
    assert "(lost 1)" in runner_mod.describe(summary)
    doc = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (doc["read"], doc["lost"], doc["accounted"]) == (7, 1, False)


def test_the_cli_says_so_and_fails_when_a_record_is_lost(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from igclaim.cli import app

    src = tmp_path / "in.jsonl"
    src.write_text(_lines(5, marked=2))
    monkeypatch.setattr(runner_mod, "process_chunk", _drops_one)
    r = CliRunner().invoke(app, ["batch", str(src), "--out", str(tmp_path / "out"), "-w", "1", "--no-progress"])
    assert r.exit_code == 1, r.output
    assert "(lost 1)" in r.output and "Records lost" in r.output


def test_a_whole_run_reads_and_accounts_every_record(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(_lines(5, marked=None) + "\n\n" + "not json\n")
    summary = run_batch(src, tmp_path / "out", workers=1, chunk_size=2)
    assert (summary.read, summary.records, summary.errors, summary.lost, summary.accounted) == (6, 6, 1, 0, True)
