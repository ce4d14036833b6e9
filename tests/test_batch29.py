"""Defects an audit of batch runs found (session 29): parse-only reports, duplicate encounter ids, gzip input,
record numbers on results, a second Ctrl-C during the shutdown."""

from __future__ import annotations

import csv
import gzip
import json
import re
import signal

import pytest

from igclaim.batch import run_batch
from igclaim.batch import runner as runner_mod
from igclaim.batch.duplicates import DuplicateIds
from igclaim.inputs import MAX_INPUT_BYTES
from tests.conftest import ROOT, run_cli

WITH_ERRORS = ROOT / "examples" / "batch" / "with-errors.jsonl"


def _tile(html: str, tile_id: str) -> str:
    """The number, label and sub-line of a report tile."""
    m = re.search(rf'id="{tile_id}">([^<]*)</div><div class="lbl">([^<]*)</div><div class="sub">([^<]*)<', html)
    assert m, tile_id
    return " | ".join(m.groups())


def test_a_parse_only_report_says_what_the_run_did_not_0_coded(tmp_path):
    """--parse-only's report said '0 coded' and showed empty claim tiles, as if every record had failed coding."""
    summary = run_batch(WITH_ERRORS, tmp_path / "out", workers=1, parse_only=True)
    assert (summary.records, summary.parsed_only, summary.errors) == (6, 4, 2)
    html = (tmp_path / "out" / "report.html").read_text()
    assert "0 coded" not in html and "claims clean" not in html
    assert _tile(html, "total-records") == "6 | records read | 4 valid · 2 not valid (parse only: not coded)"
    assert _tile(html, "total-valid").startswith("4 | records valid")
    assert 'id="parse-only"' in html and "not coded" in html


def test_a_coding_run_keeps_its_report_tiles(tmp_path):
    run_batch(WITH_ERRORS, tmp_path / "out", workers=1)
    html = (tmp_path / "out" / "report.html").read_text()
    assert _tile(html, "total-records") == "6 | records read | 3 coded · 3 could not be read or coded"
    assert 'id="parse-only"' not in html


# --- gzip input --------------------------------------------------------------------------------------------------

def _outputs(out):
    return {name: (out / name).read_text() for name in ("results.jsonl", "errors.jsonl", "findings.csv")}


@pytest.mark.parametrize("name", ["encounters.jsonl", "encounters.csv", "with-errors.jsonl"])
@pytest.mark.parametrize("suffix", [".gz", ""])  # named .gz, or a compressed file under the plain name
def test_a_gzip_input_is_read_as_its_plain_twin(tmp_path, name, suffix):
    """encounters.jsonl.gz was refused ('cannot tell the format'); a compressed .jsonl was one error a line."""
    plain = ROOT / "examples" / "batch" / name
    src = tmp_path / (name + suffix)
    src.write_bytes(gzip.compress(plain.read_bytes()))
    got = run_batch(src, tmp_path / "gz", workers=1)
    want = run_batch(plain, tmp_path / "plain", workers=1)
    assert (got.records, got.results, got.errors, got.lost) == (want.records, want.results, want.errors, 0)
    assert _outputs(tmp_path / "gz") == _outputs(tmp_path / "plain")


def test_a_gzip_json_file_is_read(tmp_path):
    one = ROOT / "examples" / "e01-sarah-gammaplex-4h.json"
    src = tmp_path / "one.json.gz"
    src.write_bytes(gzip.compress(one.read_bytes()))
    assert run_batch(src, tmp_path / "out", workers=1).results == 1


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_a_gzip_bomb_line_is_one_error_read_in_bounded_pieces(tmp_path, kind):
    """A line of 64 MiB compresses to some 64 KiB: it is that record's error, read and dropped in pieces of one
    encounter's limit, and the records after it are read."""
    plain = (ROOT / "examples" / "batch" / f"encounters.{kind}").read_bytes()
    head, rest = plain.split(b"\n", 1)
    bomb = b"x" * (64 * MAX_INPUT_BYTES)
    src = tmp_path / f"bomb.{kind}.gz"
    src.write_bytes(gzip.compress(head + b"\n" + bomb + b"\n" + rest))
    got = run_batch(src, tmp_path / "out", workers=1)
    want = run_batch(ROOT / "examples" / "batch" / f"encounters.{kind}", tmp_path / "plain", workers=1)
    (error,) = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert "longer than" in error["reason"] and error.get("line", error.get("row")) == 2
    assert got.results == want.results and got.errors == 1 and got.lost == 0


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_a_gzip_file_cut_short_keeps_the_records_before_the_cut(tmp_path, kind):
    plain = (ROOT / "examples" / "batch" / f"encounters.{kind}").read_bytes()
    data = gzip.compress(plain, compresslevel=1)
    src = tmp_path / f"cut.{kind}.gz"
    src.write_bytes(data[: len(data) * 2 // 3])
    r = run_cli("batch", str(src), "--out", str(tmp_path / "out"), "-w", "1")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    (error,) = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert "corrupt or cut short" in error["reason"]
    assert summary["results"] > 0 and summary["errors"] == 1 and summary["accounted"] is True


def test_a_gzip_837_or_parquet_says_to_decompress_it_first(tmp_path):
    src = tmp_path / "claims.parquet.gz"
    src.write_bytes(gzip.compress(b"PAR1"))
    r = run_cli("batch", str(src), "--out", str(tmp_path / "out"), "-w", "1")
    assert r.returncode == 2 and "decompress it first" in r.stderr, r.stderr


# --- duplicate encounter ids -------------------------------------------------------------------------------------

ENCOUNTERS = ROOT / "examples" / "batch" / "encounters.jsonl"


def _repeating(tmp_path, suffix=".jsonl"):
    """The worked examples, then the first two again (e01 as is; e02 broken, an error with its id)."""
    lines = ENCOUNTERS.read_text().splitlines()
    src = tmp_path / f"twice{suffix}"
    src.write_text("\n".join([*lines, lines[0], '{"encounter_id": "e02", "setting": 7}']) + "\n")
    return src, len(lines)


def test_an_encounter_id_given_twice_is_reported_and_both_records_kept(tmp_path):
    """JSON Lines input with one encounter id twice came out as two results and not a word: a double-billing risk."""
    src, n = _repeating(tmp_path)
    out = tmp_path / "out"
    r = run_cli("batch", str(src), "--out", str(out), "-w", "1")
    assert r.returncode == 0, r.stderr
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()]
    assert [x["encounter_id"] for x in results].count("e01") == 2  # both coded, neither dropped
    assert [e["record"] for e in errors] == [n + 2] and errors[0]["encounter_id"] == "e02"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["duplicate_ids"] == 2 and summary["duplicates_checked_to"] is None
    assert summary["duplicate_examples"] == [{"encounter_id": "e01", "record": n + 1},
                                             {"encounter_id": "e02", "record": n + 2}]
    assert f"2 record(s) repeat the id of an earlier record (e01 at record {n + 1}, e02 at record {n + 2})" in r.stderr
    assert 'id="duplicate-ids"' in (out / "report.html").read_text()


def test_no_duplicate_no_note(tmp_path):
    r = run_cli("batch", str(ENCOUNTERS), "--out", str(tmp_path / "out"), "-w", "1")
    assert r.returncode == 0 and "Duplicate" not in r.stderr
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["duplicate_ids"] == 0
    assert 'id="duplicate-ids"' not in (tmp_path / "out" / "report.html").read_text()


def test_a_csv_encounter_repeated_later_and_a_parse_only_run_are_checked(tmp_path):
    lines = (ROOT / "examples" / "batch" / "encounters.csv").read_text().splitlines()
    src = tmp_path / "twice.csv"
    src.write_text("\n".join([*lines, lines[1]]) + "\n")  # the first encounter's first row again, at the end
    summary = run_batch(src, tmp_path / "csv", workers=1)
    assert summary.duplicate_ids == 1 and summary.duplicate_examples[0]["encounter_id"] == lines[1].split(",")[0]
    jsonl, _n = _repeating(tmp_path)
    assert run_batch(jsonl, tmp_path / "parse", workers=1, parse_only=True).duplicate_ids == 2


def test_the_id_table_is_exact_and_small_and_stops_at_its_cap():
    ids = DuplicateIds()
    for i in range(50_000):
        assert ids.see(f"enc-{i}", i + 1) is False
    assert all(ids.see(f"enc-{i}", 50_001 + i) for i in range(0, 50_000, 1000))
    assert ids.duplicates == 50 and ids.checked_to is None
    # 8-byte slots made whole at the start, at least twice the cap (at most half full), at most four times: the
    # same memory whatever the input, not a set of strings that grows with it
    assert 2 * ids.cap <= len(ids._slots) <= 4 * ids.cap and ids._slots.itemsize == 8
    assert len(DuplicateIds(cap=1000)._slots) == 2048
    capped = DuplicateIds(cap=3)
    assert [capped.see(x, n) for n, x in enumerate(["a", "b", "a", "c", "d", "a"], start=1)] == [
        False, False, True, False, False, False]
    assert capped.checked_to == 4 and capped.duplicates == 1


def test_a_run_past_the_cap_says_where_the_check_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(runner_mod, "DuplicateIds", lambda: DuplicateIds(cap=5))
    src, n = _repeating(tmp_path)
    summary = run_batch(src, tmp_path / "out", workers=1)
    assert summary.duplicate_ids == 0 and summary.duplicates_checked_to == 5
    assert "not checked past record 5" in runner_mod.duplicates_note(summary)
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["duplicates_checked_to"] == 5


# --- a second Ctrl-C during the shutdown -------------------------------------------------------------------------

BIG = ROOT / "examples" / "parties" / "office-batch.jsonl"


def _interrupted_twice(tmp_path, monkeypatch, second_during, overwrite=False):
    """A run stopped by Ctrl-C after its first chunk, and Ctrl-C again while it shuts down (`second_during`: the
    runner function during which the second arrives). Deterministic: the signals are raised in the process."""
    lines = BIG.read_text().splitlines()
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines * (30 // len(lines) + 1)) + "\n")
    real = getattr(runner_mod, second_during)

    def again(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)  # the second Ctrl-C, in the middle of the shutdown
        return real(*args, **kwargs)

    monkeypatch.setattr(runner_mod, second_during, again)
    first = []

    def on_progress(done, _position, _total):
        if done and not first:
            first.append(done)
            signal.raise_signal(signal.SIGINT)  # the first Ctrl-C, once a chunk is written

    try:
        return run_batch(src, tmp_path / "out", workers=1, chunk_size=2, on_progress=on_progress,
                         overwrite=overwrite)
    except KeyboardInterrupt:  # (not let through: pytest would end the session)
        pytest.fail(f"the second Ctrl-C escaped the cleanup (during {second_during})")


@pytest.mark.parametrize("second_during", ["_terminate", "_write_report"])
def test_a_second_ctrl_c_during_the_shutdown_waits_for_the_cleanup(tmp_path, monkeypatch, second_during):
    """The second Ctrl-C escaped the cleanup: a KeyboardInterrupt traceback, the workers not reaped, the outputs
    unclosed, and (during the report) a first run's outputs removed as if it had failed."""
    summary = _interrupted_twice(tmp_path, monkeypatch, second_during)
    assert summary.interrupted and summary.stopped_by == "SIGINT" and summary.accounted
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted(runner_mod.OUTPUTS)  # no .partial, nothing removed
    done = json.loads((out / "summary.json").read_text())
    assert done["interrupted"] is True and done["records"] == summary.records > 0
    assert sum(1 for _ in (out / "results.jsonl").open()) + sum(1 for _ in (out / "errors.jsonl").open()) \
        == summary.records
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handlers are put back


def test_a_second_ctrl_c_in_an_overwrite_run_keeps_the_earlier_outputs(tmp_path, monkeypatch):
    run_batch(BIG, tmp_path / "out", workers=1)
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    summary = _interrupted_twice(tmp_path, monkeypatch, "_terminate", overwrite=True)
    assert summary.discarded
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before


# --- a result's record number (docs/batch.md: derived, not written: results.jsonl lines stay the result schema) ----

def test_a_result_is_traced_to_its_record_as_the_docs_say(tmp_path):
    """The k-th result is the k-th record number errors.jsonl does not list: checked against findings.csv, which
    carries each finding's record, on an input whose ids repeat."""
    src, _n = _repeating(tmp_path)
    summary = run_batch(src, tmp_path / "out", workers=2, chunk_size=3)
    out = tmp_path / "out"
    errors = {json.loads(x)["record"] for x in (out / "errors.jsonl").read_text().splitlines()}
    numbers = [r for r in range(1, summary.records + 1) if r not in errors]
    results = [json.loads(x)["encounter_id"] for x in (out / "results.jsonl").read_text().splitlines()]
    by_record = dict(zip(numbers, results, strict=True))
    with (out / "findings.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(by_record[int(row["record"])] == row["encounter_id"] for row in rows)
