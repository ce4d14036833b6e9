"""Benchmarks for batch runs (not timed tests): every figure is measured in one run and reported as a ratio
against a baseline measured in the same run, on the same generated input, so machines can be compared.

  1. in-process, one core: parse only (JSON → validated Encounter) vs parse + build/scrub + result JSON;
  2. `igclaim batch` throughput at 1 worker and at all workers, and `--parse-only` at all workers;
  3. peak memory (max RSS of the batch parent and of its largest worker) as the input grows.

    python benchmarks/run.py                                  # quick: sizes 2,000 and 20,000
    python benchmarks/run.py --sizes 10000,100000,1000000     # full (see benchmarks/RESULTS.md for its time)

Prints a short table and writes benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
import timing  # noqa: E402

from igclaim.batch import default_workers  # noqa: E402


def machine() -> dict:
    def run(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    lscpu = run(["lscpu"])
    model = next((ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if ln.startswith("Model name")), "")
    return {"nproc": run(["nproc"]) or str(os.cpu_count()), "cpu": model or platform.processor(),
            "load_average_at_start": os.getloadavg(),
            "python": platform.python_version(), "platform": platform.platform(),
            "lscpu_head": "\n".join(lscpu.splitlines()[:10])}


def in_process(path: Path, limit: int) -> dict:
    """Records/s on this one core: parse only, then parse + build or scrub + result JSON, same records."""
    lines = []
    with path.open() as f:
        for line in f:
            lines.append(line)
            if len(lines) >= limit:
                break
    timing.warm()
    parse_s = timing.seconds(lambda: timing.parse_only(lines), clock=time.perf_counter)
    full_s = timing.seconds(lambda: timing.pipeline(lines), clock=time.perf_counter)
    return {"records": len(lines), "parse_per_s": len(lines) / parse_s, "full_per_s": len(lines) / full_s}


def batch(path: Path, workers: int, *, parse_only: bool = False) -> dict:
    """One `igclaim batch` in a child process; its own summary.json gives counts, time and peak memory."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "igclaim.cli", "batch", str(path), "--out", out, "--workers", str(workers),
               "--no-progress"] + (["--parse-only"] if parse_only else [])
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            raise SystemExit(f"batch failed: {proc.stderr}")
        s = json.loads((Path(out) / "summary.json").read_text())
    return {"workers": workers, "records": s["records"], "results": s["results"], "errors": s["errors"],
            "accounted": s["accounted"], "elapsed_s": round(s["elapsed_s"], 2), "wall_s": round(wall, 2),
            "per_s": s["records"] / s["elapsed_s"], "rss_parent_mb": s["max_rss_parent_kb"] / 1024,
            "rss_worker_mb": s["max_rss_worker_kb"] / 1024}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="2000,20000", help="encounter counts for the memory series")
    ap.add_argument("--throughput", type=int, default=20000, help="encounters for the throughput runs")
    ap.add_argument("--inprocess", type=int, default=5000, help="encounters for the in-process measurement")
    ap.add_argument("--workers", type=int, default=default_workers(), help="'all workers' (default: all cores)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    started = time.perf_counter()
    report: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
                    "args": {k: str(v) for k, v in vars(args).items()}}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "throughput.jsonl"
        t = time.perf_counter()
        generate.write_jsonl(data, generate.encounters(args.throughput, args.seed))
        report["generate_per_s"] = args.throughput / (time.perf_counter() - t)
        print(f"generated {args.throughput:,} encounters", file=sys.stderr)

        ip = in_process(data, args.inprocess)
        report["in_process"] = ip
        print(f"in-process: {ip['full_per_s']:,.0f}/s", file=sys.stderr)
        one = batch(data, 1)
        many = batch(data, args.workers)
        parse_many = batch(data, args.workers, parse_only=True)
        report["batch"] = {"one_worker": one, "all_workers": many, "parse_only_all_workers": parse_many}
        print(f"batch: {one['per_s']:,.0f}/s at 1 worker, {many['per_s']:,.0f}/s at {args.workers}", file=sys.stderr)

        memory = []
        for n in sizes:
            path = Path(tmp) / f"mem-{n}.jsonl"
            t = time.perf_counter()
            generate.write_jsonl(path, generate.encounters(n, args.seed))
            gen_s = time.perf_counter() - t
            run = batch(path, args.workers)
            run["size"] = n
            run["generate_s"] = round(gen_s, 1)
            run["input_mb"] = path.stat().st_size / 2**20
            path.unlink()
            memory.append(run)
            print(f"memory: {n:,} → parent {run['rss_parent_mb']:.0f} MB, worker {run['rss_worker_mb']:.0f} MB",
                  file=sys.stderr)
        report["memory"] = memory
    report["ratios"] = {
        "scrub_vs_parse_in_process": ip["parse_per_s"] / ip["full_per_s"],
        "batch_all_vs_one_worker": many["per_s"] / one["per_s"],
        "batch_all_workers_vs_in_process_cores": many["per_s"] / (ip["full_per_s"] * args.workers),
        "batch_scrub_vs_parse_only": parse_many["per_s"] / many["per_s"],
        "memory_parent_largest_vs_smallest": memory[-1]["rss_parent_mb"] / memory[0]["rss_parent_mb"],
        "memory_worker_largest_vs_smallest": memory[-1]["rss_worker_mb"] / memory[0]["rss_worker_mb"],
        "input_largest_vs_smallest": memory[-1]["size"] / memory[0]["size"],
    }
    report["total_s"] = round(time.perf_counter() - started, 1)
    report["machine"]["load_average_at_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"\nwritten to {args.out}")


def table(r: dict) -> str:
    ip, b, q = r["in_process"], r["batch"], r["ratios"]
    m = r["machine"]
    rows = [
        ("machine", f"{m['nproc']} cores · {m['cpu']} · Python {m['python']} · load "
         f"{m['load_average_at_start'][0]:.1f} at start, {m['load_average_at_end'][0]:.1f} at end"),
        ("in-process, 1 core: parse only", f"{ip['parse_per_s']:,.0f} encounters/s (baseline)"),
        ("in-process, 1 core: parse + build/scrub", f"{ip['full_per_s']:,.0f} encounters/s "
         f"(scrubbing costs {q['scrub_vs_parse_in_process']:.1f}× parsing)"),
        ("batch, 1 worker", f"{b['one_worker']['per_s']:,.0f} encounters/s (baseline)"),
        (f"batch, {b['all_workers']['workers']} workers", f"{b['all_workers']['per_s']:,.0f} encounters/s "
         f"({q['batch_all_vs_one_worker']:.2f}× 1 worker; {q['batch_all_workers_vs_in_process_cores']:.2f}× "
         "in-process rate × workers)"),
        (f"batch --parse-only, {b['all_workers']['workers']} workers", f"{b['parse_only_all_workers']['per_s']:,.0f} "
         f"records/s (scrubbing costs {q['batch_scrub_vs_parse_only']:.1f}× parsing in the batch)"),
    ]
    base = r["memory"][0]
    for run in r["memory"]:
        rows.append((f"peak memory, {run['size']:,} encounters ({run['input_mb']:.0f} MB)",
                     f"parent {run['rss_parent_mb']:.0f} MB ({run['rss_parent_mb'] / base['rss_parent_mb']:.2f}×), "
                     f"largest worker {run['rss_worker_mb']:.0f} MB "
                     f"({run['rss_worker_mb'] / base['rss_worker_mb']:.2f}×), {run['per_s']:,.0f}/s, "
                     f"{'all accounted' if run['accounted'] else 'RECORDS LOST'}"))
    rows.append(("total benchmark time", f"{r['total_s']:,.0f} s"))
    width = max(len(a) for a, _ in rows)
    return "\n".join(f"{a:<{width}}  {b}" for a, b in rows)


if __name__ == "__main__":
    main()
