"""Benchmark: `igclaim spark-batch --master local[2]` against `igclaim batch --workers 2` on the same generated
encounters, measured in one run (not a timed test). Prints records/s of both and the overhead ratio of Spark,
and checks that both accounted for every record the same way (results, errors by stage, findings).

    python benchmarks/spark.py                  # 200,000 encounters (the figure in benchmarks/RESULTS.md)
    python benchmarks/spark.py --n 20000        # quicker

Writes benchmarks/results/spark-latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
from run import machine  # noqa: E402


def _run(cmd: list[str], out: Path) -> dict:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:4])} failed: {proc.stderr[-2000:]}")
    s = json.loads((out / "summary.json").read_text())
    return {"records": s["records"], "results": s["results"], "errors": s["errors"], "accounted": s["accounted"],
            "errors_by_stage": s["errors_by_stage"], "elapsed_s": round(s["elapsed_s"], 1), "wall_s": round(wall, 1),
            "per_s_wall": s["records"] / wall, "per_s_elapsed": s["records"] / s["elapsed_s"]}


def _findings(out: Path, spark: bool) -> int:
    if not spark:
        with (out / "findings.csv").open() as f:
            return sum(1 for _ in f) - 1  # messages hold no newlines (one finding per line)
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in (out / "findings").rglob("*.parquet"))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200_000, help="encounters")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "spark-latest.json")
    args = ap.parse_args(argv)
    report: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "n": args.n}
    cli = [sys.executable, "-m", "igclaim.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "encounters.jsonl"
        generate.write_jsonl(data, generate.encounters(args.n, args.seed))
        report["input_mb"] = round(data.stat().st_size / 2**20, 1)
        print(f"generated {args.n:,} encounters ({report['input_mb']} MB)", file=sys.stderr)
        b_out, s_out = Path(tmp) / "batch", Path(tmp) / "spark"
        report["batch"] = _run([*cli, "batch", str(data), "--out", str(b_out), "--workers", "2", "--no-progress"],
                               b_out)
        report["batch"]["findings"] = _findings(b_out, spark=False)
        print(f"batch: {report['batch']['per_s_wall']:,.0f}/s", file=sys.stderr)
        report["spark"] = _run([*cli, "spark-batch", str(data), "--out", str(s_out), "--master", "local[2]"], s_out)
        report["spark"]["findings"] = _findings(s_out, spark=True)
        print(f"spark: {report['spark']['per_s_wall']:,.0f}/s", file=sys.stderr)
    b, s = report["batch"], report["spark"]
    report["same_accounting"] = all(b[k] == s[k] for k in ("records", "results", "errors", "errors_by_stage",
                                                            "findings"))
    report["overhead_wall"] = s["wall_s"] / b["wall_s"]
    report["overhead_elapsed"] = s["elapsed_s"] / b["elapsed_s"]
    report["machine"]["load_average_at_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))


def table(r: dict) -> str:
    b, s, m = r["batch"], r["spark"], r["machine"]
    return "\n".join([
        f"{r['n']:,} encounters ({r['input_mb']} MB JSON Lines), {m['nproc']} cores, load "
        f"{m['load_average_at_start'][0]:.1f} at start, {m['load_average_at_end'][0]:.1f} at end",
        "",
        "| run | records | results + errors | findings | wall time | records/s (wall) | records/s (after start-up) |",
        "|---|---|---|---|---|---|---|",
        *(f"| {name} | {x['records']:,} | {x['results']:,} + {x['errors']:,} | {x['findings']:,} | {x['wall_s']} s "
          f"| {x['per_s_wall']:,.0f} | {x['per_s_elapsed']:,.0f} |"
          for name, x in (("`igclaim batch --workers 2` (baseline)", b),
                          ("`igclaim spark-batch --master local[2]`", s))),
        "",
        f"Overhead of Spark: **{r['overhead_wall']:.2f}×** the wall time of the batch "
        f"({r['overhead_elapsed']:.2f}× without the JVM start-up); same accounting (records, results, errors by "
        f"stage, findings): **{'yes' if r['same_accounting'] else 'NO'}**.",
    ])


if __name__ == "__main__":
    main()
