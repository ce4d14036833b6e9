"""Benchmark: one 837 of 50,000 claims through `igclaim batch` (not a timed test; issue 13, "at scale").

Generates one interchange (the office claims of examples/parties/office-batch.jsonl, renumbered B000000000 …, as
benchmarks/x12_read.py writes them) with every 1,000th claim broken (SV104 units 1.5X), runs
`igclaim batch claims.837 --out DIR --workers W --progress` as a separate process and checks what a user would:
records = results + errors = claims, results in file order with the broken claims in errors.jsonl at their
places, progress shown, report.html and summary.json written. Prints the rate and the peak memory (ru_maxrss of
the largest process of the run: the batch's parent or a worker), against a baseline: the same run on a tenth of
the claims.

    python benchmarks/x12_batch.py                      # 50,000 claims, baseline 5,000, 1 worker
    python benchmarks/x12_batch.py --claims 50000 --workers 2
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from x12_read import write_837  # noqa: E402

BIN = Path(sys.executable).parent / "igclaim"


def _break_every(path: Path, every: int) -> list[int]:
    """Break the units of the first SV1 of every `every`-th claim (1-based claim numbers), in place, streaming."""
    broken: list[int] = []
    out = path.with_suffix(".tmp")
    clm = 0
    pending = False
    with path.open(encoding="ascii") as src, out.open("w", encoding="ascii") as dst:
        for line in src:
            if line.startswith("CLM*"):
                clm += 1
                pending = clm % every == 0
            elif pending and line.startswith("SV1*"):
                line = line.replace("*UN*", "*UN*1.5X", 1)
                broken.append(clm)
                pending = False
            dst.write(line)
    out.replace(path)
    return broken


def run(claims: int, workers: int, tmp: Path) -> dict:
    src = tmp / f"claims-{claims}.837"
    size = write_837(src, claims)
    broken = _break_every(src, 1000)
    out = tmp / f"out-{claims}"
    # peak RSS: the batch parent (reads the 837, writes in order) in a wrapper that reports its own child's
    wrapper = ("import resource, subprocess, sys\n"
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "sys.stdout.write(p.stdout); sys.stderr.write(p.stderr)\n"
               "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
               "sys.exit(p.returncode)\n")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", wrapper, str(BIN), "batch", str(src), "--out", str(out),
                           "--workers", str(workers), "--progress"], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"batch failed ({proc.returncode}): {proc.stderr[-2000:]}")
    peak_kb = int(proc.stdout.rsplit("MAXRSS", 1)[1].split()[0])
    summary = json.loads((out / "summary.json").read_text())
    ids = []
    with (out / "results.jsonl").open() as f:
        for line in f:
            ids.append(json.loads(line)["encounter_id"])
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()]
    want_ids = [f"B{n:09d}" for n in range(claims) if (n + 1) not in set(broken)]
    checks = {
        "records = claims": summary["records"] == claims,
        "results + errors = records": summary["results"] + summary["errors"] == summary["records"],
        "accounted": summary.get("accounted") is True,
        "results in file order": ids == want_ids,
        "broken claims are the errors, in order": [e["record"] for e in errors] == broken
        and all(e["stage"] == "x12" and e["field"] == "SV1 SV104" for e in errors),
        "progress shown": "records/s" in proc.stderr or "%" in proc.stderr,
        "report.html written": (out / "report.html").stat().st_size > 0,
    }
    return {"claims": claims, "mb": size / 1e6, "elapsed": elapsed, "rate": claims / elapsed,
            "peak_mb": peak_kb / 1024, "results": summary["results"], "errors": summary["errors"],
            "checks": checks, "tail": proc.stdout.split("MAXRSS")[0].strip().splitlines()[-2:]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args(argv)
    print("| measure | result | ratio |\n|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = run(max(1000, args.claims // 10), args.workers, Path(tmp))
        big = run(args.claims, args.workers, Path(tmp))
        for r in (base, big):
            bad = [k for k, ok in r["checks"].items() if not ok]
            print(f"| batch of {r['claims']:,} claims ({r['mb']:.1f} MB), {args.workers} worker(s) | "
                  f"{r['rate']:,.0f} claims/s; {r['results']:,} results + {r['errors']:,} errors; peak RSS "
                  f"{r['peak_mb']:.0f} MB | {'checks: all pass' if not bad else 'FAILED: ' + ', '.join(bad)} |",
                  flush=True)
        print(f"| peak memory, {args.claims:,} vs {base['claims']:,} claims | {big['peak_mb']:.0f} MB vs "
              f"{base['peak_mb']:.0f} MB | **{big['peak_mb'] / base['peak_mb']:.2f}×** for "
              f"{args.claims / base['claims']:g}× the input |")
        print("\n" + "\n".join(big["tail"]))
    print(f"(self peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
