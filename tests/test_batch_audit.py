"""Defects an outside audit found in the batch runner: a batch never drops a record silently (every input record
comes out as a result or an error) and no write loses earlier data (earlier outputs, or an input)."""

from __future__ import annotations

import shutil

import pytest

from igclaim.batch import SourceError, run_batch
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


def test_the_input_as_an_output_is_refused_with_overwrite(tmp_path):
    src = tmp_path / "results.jsonl"
    shutil.copy(BATCH, src)
    before = src.read_bytes()
    with pytest.raises(SourceError, match="is the input file"):
        run_batch(src, tmp_path, workers=1, overwrite=True)
    assert src.read_bytes() == before


def test_an_output_over_the_charts_is_refused(tmp_path, x12_text):
    charts = tmp_path / "results.jsonl"
    shutil.copy(BATCH, charts)
    before = charts.read_bytes()
    x12 = tmp_path / "claims.837"
    x12.write_text(x12_text)
    with pytest.raises(SourceError, match="is the input file"):
        run_batch(x12, tmp_path, workers=1, overwrite=True, charts=str(charts))
    assert charts.read_bytes() == before
