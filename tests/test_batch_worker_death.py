"""A worker process that dies (killed, out of memory) must not hang the run or lose records."""

from __future__ import annotations

import json
import os

from igclaim.batch import runner
from igclaim.batch.worker import process_chunk
from tests.conftest import EXAMPLES, load_example


def _dies_on_marker(chunk, profile, parse_only):
    """Stands in for process_chunk in the workers: a chunk holding the marker kills its worker outright."""
    if any("KILL-ME" in str(rec.payload) for rec in chunk):
        os._exit(137)
    return process_chunk(chunk, profile, parse_only)


def test_a_chunk_that_kills_its_worker_comes_out_as_errors_and_the_rest_as_results(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "process_chunk", _dies_on_marker)
    good = load_example(EXAMPLES[0])["input"]
    lines = []
    for i in range(9):
        enc = dict(good, encounter_id=f"enc-{i}" if i != 4 else "KILL-ME")
        lines.append(json.dumps(enc))
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n")
    summary = runner.run_batch(src, tmp_path / "out", workers=2, chunk_size=2)
    assert summary.records == 9 and summary.accounted
    results = [json.loads(x)["encounter_id"] for x in (tmp_path / "out/results.jsonl").read_text().splitlines()]
    errors = [json.loads(x) for x in (tmp_path / "out/errors.jsonl").read_text().splitlines()]
    # chunk size 2: records 5 and 6 (enc-4 is the marker, enc-5 shares its chunk); no other chunk is blamed
    assert [e["record"] for e in errors] == [5, 6] and all(e["stage"] == "worker" for e in errors)
    assert results == ["enc-0", "enc-1", "enc-2", "enc-3", "enc-6", "enc-7", "enc-8"]
