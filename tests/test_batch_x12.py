"""`igclaim batch claims.837`: every CLM comes out once, as a result or an error entry naming the segment, in file
order, whatever the number of workers; envelope problems are error entries too; --charts joins charts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from igclaim.batch import run_batch
from igclaim.inputs import parse_encounter
from igclaim.outputs import chargemaster, x12
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
PARTIES = ROOT / "examples" / "parties"


def _encs(n: int) -> list[dict]:
    base = [json.loads(x) for x in (PARTIES / "office-batch.jsonl").read_text().splitlines()]
    out = []
    for i in range(n):
        e = dict(base[i % len(base)])
        e["claim_id"] = f"C{i:05d}"
        e["encounter_id"] = f"enc-{i:05d}"
        out.append(e)
    return out


@pytest.fixture(scope="module")
def claims_837(tmp_path_factory) -> tuple[Path, list[dict], list[int]]:
    """30 claims in one interchange; claims 4, 17 and 25 broken (bad units, bad date, unknown frequency)."""
    encs = _encs(30)
    text = x12.to_837([parse_encounter(e) for e in encs], chargemaster.load("sample"),
                      envelope=x12.Envelope(created=datetime(2026, 3, 6, 12, 0), receiver_id="CLEARH1"))
    segs = [s.strip() for s in text.split("~") if s.strip()]
    clms = [i for i, s in enumerate(segs) if s.startswith("CLM*")]
    sv1 = next(i for i in range(clms[4], len(segs)) if segs[i].startswith("SV1*"))
    segs[sv1] = segs[sv1].replace("*UN*", "*UN*1.5X", 1)
    dtp = next(i for i in range(clms[17], len(segs)) if segs[i].startswith("DTP*472"))
    segs[dtp] = "DTP*472*D8*20260231"
    segs[clms[25]] = segs[clms[25]].replace(":B:1*", ":B:7*")  # replacement without REF*F8
    path = tmp_path_factory.mktemp("x12") / "claims.837"
    path.write_text("".join(s + "~\n" for s in segs))
    return path, encs, [4, 17, 25]


@pytest.mark.parametrize("workers", [1, 2])
def test_every_claim_accounted_in_order(claims_837, tmp_path, workers):
    path, encs, bad = claims_837
    summary = run_batch(path, tmp_path / "out", workers=workers, chunk_size=4)
    assert summary.format == "x12"
    assert (summary.records, summary.results, summary.errors) == (30, 27, 3) and summary.accounted
    results = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    errors = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert [r["encounter_id"] for r in results] == [e["claim_id"] for i, e in enumerate(encs) if i not in bad]
    assert [e["encounter_id"] for e in errors] == [encs[i]["claim_id"] for i in bad]
    assert [e["field"] for e in errors] == ["SV1 SV104", "DTP DTP03", "CLM REF02"]
    assert all(e["segment"] > 0 and e["stage"] == "x12" for e in errors[:2])
    assert (tmp_path / "out" / "report.html").read_text().count("C000") >= 0


def test_charts_join_in_batch(claims_837, tmp_path):
    path, encs, _bad = claims_837
    charts = tmp_path / "charts.jsonl"
    charts.write_text(json.dumps(encs[0]) + "\n")
    run_batch(path, tmp_path / "out", workers=1, charts=str(charts))
    first = json.loads((tmp_path / "out" / "results.jsonl").read_text().splitlines()[0])
    assert first["encounter_id"] == encs[0]["encounter_id"]  # the chart's id: it was joined
    assert not any(f["edit"] == "SCRUB-NO-CHART" for f in first["findings"])


def test_envelope_error_is_an_entry(tmp_path):
    encs = _encs(2)
    text = x12.to_837([parse_encounter(e) for e in encs], chargemaster.load("sample"))
    text = text.replace("GE*1*", "GE*7*")
    path = tmp_path / "claims.x12"
    path.write_text(text)
    summary = run_batch(path, tmp_path / "out", workers=1)
    assert (summary.results, summary.errors) == (2, 1) and summary.accounted
    err = json.loads((tmp_path / "out" / "errors.jsonl").read_text())
    assert err["stage"] == "envelope" and err["encounter_id"] is None and "GE" in err["reason"]


def test_cli_batch_837(claims_837, tmp_path):
    path, _encs, _bad = claims_837
    proc = run_cli("batch", str(path), "--out", str(tmp_path / "o"), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert "records 30 = 27 results + 3 errors (lost 0)" in proc.stdout
