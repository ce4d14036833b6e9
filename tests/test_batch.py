"""Batch runs: every record comes out exactly once (a result or an error naming the field), in input order,
whatever the format and the number of workers; the CLI prints the counts; Ctrl-C leaves a clean prefix."""

from __future__ import annotations

import copy
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from igclaim.batch import run_batch
from igclaim.batch.tabular import encounter_to_rows
from tests.conftest import EXAMPLES, ROOT, load_example, run_cli

SAMPLES = ROOT / "examples" / "batch"


def _inputs() -> list[dict]:
    return [load_example(p)["input"] for p in EXAMPLES]


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _mixed_lines() -> tuple[list[str], dict[int, tuple[str, str]]]:
    """Good encounters with malformed records mixed in; returns the lines and, per bad line number, the
    expected (stage, field)."""
    good = _inputs()
    too_little = copy.deepcopy(good[1])  # 30 g dose from 3 x 10 g: open only one 10 g container
    too_little["encounter_id"] = "bad-containers"
    too_little["drugs"][0]["containers"] = [{"grams": 10, "count": 1}]
    unknown = copy.deepcopy(good[0])
    unknown["encounter_id"] = "bad-product"
    unknown["drugs"][0]["product"] = "No Such Globulin"
    bad_setting = copy.deepcopy(good[0])
    bad_setting["encounter_id"] = "bad-setting"
    bad_setting["setting"] = "clinic"
    bad = [
        ('{"encounter_id": "broken", "setting": ', ("json", "(json)")),
        (json.dumps(bad_setting), ("schema", "setting")),
        (json.dumps(too_little), ("coding", "drugs[0].containers")),
        ("[1, 2, 3]", ("schema", "(top level)")),
        (json.dumps(unknown), ("coding", "drugs[0].product")),
        (json.dumps({**good[2], "drugs": [{"id": "ig1", "product": "Privigen", "dose": {}}]}),
         ("schema", "drugs[0].dose")),
    ]
    lines, expected = [], {}
    for i, enc in enumerate(good):
        lines.append(json.dumps(enc))
        if i < len(bad):
            text, want = bad[i]
            lines.append(text)
            expected[len(lines)] = want
    return lines, expected


def test_accounting_with_malformed_records(tmp_path):
    lines, expected = _mixed_lines()
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(lines) + "\n\n")  # a trailing blank line is not a record
    summary = run_batch(src, tmp_path / "out", workers=2, chunk_size=3)
    results = _read_jsonl(tmp_path / "out" / "results.jsonl")
    errors = _read_jsonl(tmp_path / "out" / "errors.jsonl")
    assert summary.records == len(lines) == len(results) + len(errors)
    assert summary.errors == len(errors) == len(expected)
    assert {e["line"]: (e["stage"], e["field"]) for e in errors} == expected
    by_line = {e["line"]: e for e in errors}
    assert by_line[min(expected)]["encounter_id"] == "broken"  # broken JSON that still names its encounter
    assert by_line[min(expected) + 6]["encounter_id"] is None  # a JSON array has no id
    assert any(e["encounter_id"] == "bad-containers" for e in errors)
    for e in errors:  # each reason names the field it is about
        assert e["reason"].startswith(e["field"]) and e["problems"]
    assert [r["encounter_id"] for r in results] == [enc["encounter_id"] for enc in _inputs()]


def test_order_preserved_with_several_workers(tmp_path):
    encs = []
    for i in range(240):
        enc = copy.deepcopy(_inputs()[i % len(EXAMPLES)])
        enc["encounter_id"] = f"enc-{i:04d}"
        encs.append(enc)
    src = tmp_path / "many.jsonl"
    src.write_text("".join(json.dumps(e) + "\n" for e in encs))
    summary = run_batch(src, tmp_path / "out", workers=2, chunk_size=7)
    got = [r["encounter_id"] for r in _read_jsonl(tmp_path / "out" / "results.jsonl")]
    assert got == [e["encounter_id"] for e in encs]
    assert summary.accounted and summary.results == 240
    records = [int(line.split(",", 1)[0]) for line in (tmp_path / "out" / "findings.csv").read_text().splitlines()[1:]]
    assert records == sorted(records)


def test_results_equal_single_runs(tmp_path):
    """A batch result is the same as `igclaim build`/`scrub` of the same encounter."""
    from igclaim import engine
    from igclaim.inputs import parse_encounter

    src = SAMPLES / "encounters.jsonl"
    run_batch(src, tmp_path / "out", workers=2, chunk_size=2)
    results = _read_jsonl(tmp_path / "out" / "results.jsonl")
    for line, got in zip(src.read_text().splitlines(), results, strict=True):
        enc = parse_encounter(json.loads(line))
        want = engine.scrub(enc) if enc.claim else engine.build(enc)
        assert got == json.loads(want.model_dump_json())


@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"])
def test_json_lines_ending_in_cr_alone_are_read_line_by_line(tmp_path, end):
    """A file whose lines end in CR alone (an old Mac's, some exports') was one line: its 6 encounters one error."""
    lines = (SAMPLES / "encounters.jsonl").read_text().splitlines()
    src = tmp_path / "in.jsonl"
    src.write_bytes((end.join([lines[0], "", "{broken", *lines[1:6]]) + end).encode())
    summary = run_batch(src, tmp_path / "out", workers=2, chunk_size=2)
    assert (summary.records, summary.errors, len(_read_jsonl(tmp_path / "out" / "results.jsonl"))) == (7, 1, 6)
    (err,) = _read_jsonl(tmp_path / "out" / "errors.jsonl")
    assert err["line"] == 3 and err["stage"] == "json"
    from igclaim.batch.sources import Source

    source = Source(src)
    records = iter(source)
    next(records)
    assert source.position == len((lines[0] + end).encode())  # the progress bar's bytes read
    source.close()


def test_a_cr_alone_long_line_is_refused_and_the_next_read(tmp_path):
    """The bounded reading of an over-long line holds with CR line ends too: the line after it is read."""
    from igclaim.inputs import MAX_INPUT_BYTES

    lines = (SAMPLES / "encounters.jsonl").read_text().splitlines()
    src = tmp_path / "in.jsonl"
    src.write_bytes(("\r".join([lines[0], "{" + " " * (MAX_INPUT_BYTES + 100) + "}", lines[1]]) + "\r").encode())
    summary = run_batch(src, tmp_path / "out", workers=2)
    assert (summary.records, summary.errors, len(_read_jsonl(tmp_path / "out" / "results.jsonl"))) == (3, 1, 2)
    (err,) = _read_jsonl(tmp_path / "out" / "errors.jsonl")
    assert err["line"] == 2 and "longer than" in err["reason"]


@pytest.mark.parametrize("name", ["encounters.csv", "encounters.parquet"])
def test_tabular_inputs_give_the_same_results_as_jsonl(tmp_path, name):
    run_batch(SAMPLES / "encounters.jsonl", tmp_path / "json", workers=2)
    run_batch(SAMPLES / name, tmp_path / "tab", workers=2)
    want = _read_jsonl(tmp_path / "json" / "results.jsonl")
    assert _read_jsonl(tmp_path / "tab" / "results.jsonl") == want
    assert len(want) == len(EXAMPLES)


def test_csv_errors_name_the_row_and_column(tmp_path):
    import csv

    from igclaim.batch.tabular import COLUMNS

    rows = encounter_to_rows(_inputs()[0])
    rows[0]["containers"] = "three vials"
    bad_setting = encounter_to_rows({**_inputs()[1], "encounter_id": "two"})
    bad_setting[0]["setting"] = "clinic"
    conflict = encounter_to_rows(_inputs()[11])
    conflict[1]["date_of_service"] = "2026-03-03"
    path = tmp_path / "bad.csv"
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows + bad_setting + conflict + encounter_to_rows(_inputs()[3]))
    summary = run_batch(path, tmp_path / "out", workers=2)
    errors = _read_jsonl(tmp_path / "out" / "errors.jsonl")
    assert summary.records == 4 and summary.results == 1 and len(errors) == 3
    assert errors[0]["row"] == 2 and "column containers" in errors[0]["reason"] and errors[0]["stage"] == "rows"
    assert errors[1]["field"] == "setting" and errors[1]["encounter_id"] == "two"
    second = len(rows) + len(bad_setting) + 2
    assert errors[2]["row"] == second and errors[2]["last_row"] == second + len(conflict) - 1
    assert f"row {second + 1} column date_of_service" in errors[2]["reason"]


def test_cli_prints_counts_and_writes_all_outputs(tmp_path):
    lines, expected = _mixed_lines()
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    proc = run_cli("batch", str(src), "--out", str(out), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"records ([\d,]+) = ([\d,]+) results \+ ([\d,]+) errors \(lost 0\)", proc.stdout)
    assert m, proc.stdout
    records, results, errors = (int(g.replace(",", "")) for g in m.groups())
    assert records == len(lines) and errors == len(expected) and results == records - errors
    assert "\x1b[" not in proc.stdout + proc.stderr  # piped: no progress bar, no colour codes
    for name in ("results.jsonl", "errors.jsonl", "findings.csv", "report.html", "summary.json"):
        assert (out / name).is_file()
    assert json.loads((out / "summary.json").read_text())["accounted"] is True


def test_the_progress_bar_shows_the_file_name_as_written(tmp_path):
    """The bar's name column is Rich markup: "claims[bold].jsonl" showed as "claims.jsonl"."""
    lines, _ = _mixed_lines()
    src = tmp_path / "claims[bold].jsonl"
    src.write_text("\n".join(lines[:3]) + "\n")
    proc = run_cli("batch", str(src), "--out", str(tmp_path / "out"), "--workers", "1", "--progress")
    assert proc.returncode == 0, proc.stderr
    assert "claims[bold].jsonl" in proc.stderr, proc.stderr


def test_cli_rejects_unreadable_input(tmp_path):
    proc = run_cli("batch", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "no such file" in proc.stderr and "Traceback" not in proc.stderr
    odd = tmp_path / "claims.txt"
    odd.write_text("x")
    proc = run_cli("batch", str(odd), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "--format" in proc.stderr
    proc = run_cli("batch", str(SAMPLES / "encounters.jsonl"), "--out", str(tmp_path / "o"), "--profile", "nope")
    assert proc.returncode == 2 and "--profile: unknown payer profile 'nope'" in proc.stderr
    csv_file = tmp_path / "no-id.csv"
    csv_file.write_text("id,setting\n1,office\n")
    proc = run_cli("batch", str(csv_file), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "encounter_id" in proc.stderr


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_cleanly_with_a_prefix(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import generate

    src = tmp_path / "big.jsonl"
    n = generate.write_jsonl(src, generate.encounters(30_000, seed=3, bad_share=0.01))
    out = tmp_path / "out"
    # Started as a shell starts a command in the foreground, Ctrl-C at its default: a suite run in the background
    # (`make test &`) hands its children SIGINT ignored, and a program keeps an ignored SIGINT ignored.
    proc = subprocess.Popen([sys.executable, "-m", "igclaim.cli", "batch", str(src), "--out", str(out), "-w", "2",
                             "--chunk-size", "50"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            preexec_fn=_sigint_default)
    # Interrupt once the run is under way (a result written), however slow a loaded machine makes the start-up.
    results_file = out / "results.jsonl"
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None and not (
            results_file.is_file() and results_file.stat().st_size > 0):
        time.sleep(0.05)
    assert proc.poll() is None, "the batch ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()  # never leave a batch running behind the suite
        proc.communicate()
        pytest.fail("the batch did not stop within 180 s of Ctrl-C")
    assert proc.returncode == 130, stderr
    assert "Interrupted: stopped after record" in stderr and "Traceback" not in stderr
    results = _read_jsonl(out / "results.jsonl")
    errors = _read_jsonl(out / "errors.jsonl")
    done = len(results) + len(errors)
    assert 0 < done < n
    # what was written is exactly the first `done` records of the input, each once
    assert all(e["record"] <= done for e in errors)
    input_ids = []
    with src.open() as f:
        for _ in range(done):
            line = f.readline()
            m = re.match(r'\{"encounter_id": ?"([^"]+)"', line)
            input_ids.append(m.group(1) if m else None)
    error_lines = {e["line"] for e in errors}
    assert [r["encounter_id"] for r in results] == [x for i, x in enumerate(input_ids, 1) if i not in error_lines]
    assert f"records {done:,} =" in stdout
    assert "interrupted" in (out / "report.html").read_text()


@pytest.mark.parametrize(("disposition", "interrupted"), [(signal.default_int_handler, True), (signal.SIG_IGN, False)])
def test_ctrl_c_while_a_chunk_is_written_is_raised_after_it_unless_ctrl_c_is_ignored(disposition, interrupted):
    """A Ctrl-C during a chunk's writing stops the run once the chunk is whole; a run started with Ctrl-C ignored
    (`igclaim batch … &` in a script) is not stopped by one."""
    import contextlib
    import os

    from igclaim.batch.runner import _sigint_deferred

    previous = signal.signal(signal.SIGINT, disposition)
    written = []
    try:
        with pytest.raises(KeyboardInterrupt) if interrupted else contextlib.nullcontext(), _sigint_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)  # the signal is handled between two bytecodes of this block
            written.append("the whole chunk")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert written == ["the whole chunk"]
