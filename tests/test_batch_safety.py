"""A batch never destroys its input or earlier results: refused unless --overwrite; with --overwrite the outputs
are written under temporary names and renamed at the end, so a failed run leaves the earlier outputs intact."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
from pathlib import Path

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


def test_overwrite_onto_the_input_is_refused_too(tmp_path):
    """--overwrite replaces earlier results, never the input (it once replaced the input with the results)."""
    src = tmp_path / "results.jsonl"
    shutil.copy(BATCH, src)
    before = src.read_bytes()
    with pytest.raises(SourceError, match="is the input file"):
        run_batch(src, tmp_path, workers=1, overwrite=True)
    assert src.read_bytes() == before


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



def _null_device(tmp_path):
    """A character device like /dev/null, made under tmp_path, so that a broken rule replaces or deletes this node
    and never the system's /dev/null."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    return node


def test_overwrite_follows_a_linked_output_and_keeps_the_link(tmp_path, monkeypatch):
    """An output that is a link (results kept on another disk, findings sent to a null device) is replaced through
    the link, as a first run writes through it; the link stays a link (it was replaced by a plain file). Each
    output is staged beside its target: a rename between directories could cross file systems (EXDEV)."""
    out, kept, null = tmp_path / "out", tmp_path / "elsewhere", _null_device(tmp_path)
    rename = os.replace

    def same_directory(src, dst):
        assert Path(src).parent == Path(dst).parent, (src, dst)
        rename(src, dst)

    monkeypatch.setattr(runner_mod.os, "replace", same_directory)
    kept.mkdir()
    run_batch(BATCH, out, workers=1)
    first = (out / "results.jsonl").read_text()
    (kept / "results.jsonl").write_text("earlier\n")
    (out / "results.jsonl").unlink()
    (out / "results.jsonl").symlink_to(kept / "results.jsonl")
    (out / "findings.csv").unlink()
    (out / "findings.csv").symlink_to(null)
    run_batch(BATCH, out, workers=1, overwrite=True)
    assert (out / "results.jsonl").is_symlink() and (out / "findings.csv").is_symlink()
    assert (kept / "results.jsonl").read_text() == first
    assert stat.S_ISCHR(null.stat().st_mode)  # written in place, not replaced by a file
    assert not list(out.glob(".*.partial")) and not list(kept.glob(".*.partial")) and not list(tmp_path.glob(".*"))


def test_a_failed_run_leaves_a_linked_device_alone(tmp_path, monkeypatch):
    out, null = tmp_path / "out", _null_device(tmp_path)
    run_batch(BATCH, out, workers=1)
    (out / "findings.csv").unlink()
    (out / "findings.csv").symlink_to(null)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runner_mod, "_account", disk_full)
    with pytest.raises(OSError):
        run_batch(BATCH, out, workers=1, overwrite=True)
    assert stat.S_ISCHR(null.stat().st_mode) and (out / "findings.csv").is_symlink()
