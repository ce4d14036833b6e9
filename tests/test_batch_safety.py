"""A batch never destroys its input or earlier results: refused unless --overwrite; with --overwrite the outputs
are written under temporary names and renamed at the end, so a failed run leaves the earlier outputs intact."""

from __future__ import annotations

import errno
import json
import shutil

import pytest

from igclaim.batch import SourceError, run_batch
from igclaim.batch import runner as runner_mod
from tests.conftest import ROOT, run_cli

BATCH = ROOT / "examples" / "parties" / "office-batch.jsonl"


def test_output_over_the_input_is_refused_and_the_input_kept(tmp_path):
    src = tmp_path / "results.jsonl"
    shutil.copy(BATCH, src)
    before = src.read_bytes()
    r = run_cli("batch", str(src), "--out", str(tmp_path))
    assert r.returncode == 2 and "is the input file" in r.stderr, r.stderr
    assert src.read_bytes() == before


def test_earlier_results_are_refused_then_replaced_with_overwrite(tmp_path):
    out = tmp_path / "out"
    run_batch(BATCH, out, workers=1)
    first = (out / "results.jsonl").read_text()
    with pytest.raises(SourceError, match="already holds results"):
        run_batch(BATCH, out, workers=1)
    run_batch(BATCH, out, workers=1, overwrite=True)
    assert (out / "results.jsonl").read_text().count("\n") == first.count("\n")
    assert not list(out.glob(".*.partial"))


def test_overwrite_onto_the_input_reads_it_all_first(tmp_path):
    src = tmp_path / "results.jsonl"
    shutil.copy(BATCH, src)
    n = sum(1 for ln in BATCH.read_text().splitlines() if ln.strip())
    summary = run_batch(src, tmp_path, workers=1, overwrite=True)
    assert summary.records == n


def test_a_failed_run_leaves_the_earlier_outputs(tmp_path, monkeypatch):
    out = tmp_path / "out"
    run_batch(BATCH, out, workers=1)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runner_mod, "_account", disk_full)
    with pytest.raises(OSError):
        run_batch(BATCH, out, workers=1, overwrite=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_cli_overwrite_flag(tmp_path):
    out = tmp_path / "out"
    assert run_cli("batch", str(BATCH), "--out", str(out)).returncode == 0
    r = run_cli("batch", str(BATCH), "--out", str(out))
    assert r.returncode == 2 and "--overwrite" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("batch", str(BATCH), "--out", str(out), "--overwrite")
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "summary.json").read_text())["records"] > 0
