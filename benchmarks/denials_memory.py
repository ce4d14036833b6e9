"""Benchmark: peak memory of `igclaim denials REMIT.835 --out DIR` (not a timed test).

A synthetic 835 is built from the claim loops of examples/denials/remit.835 (four claims, each CLP loop copied with
a new claim number and payer claim number; the payment BPR02 and SE count are set to balance), once with N claims
and once with 10 × N. Each is explained in a fresh child process (the command's own code path, with --out, so the
JSON, CSV and HTML are all written) and its peak RSS (ru_maxrss) is printed, with the input's size, the peak over
the input size and the ratio of the two peaks (flat memory = about 1.0×; proportional = about 10×).

    python benchmarks/denials_memory.py                 # 2,000 and 20,000 claims
    python benchmarks/denials_memory.py --claims 4000   # 4,000 and 40,000
    python benchmarks/denials_memory.py --write big.835 --claims 40000   # only write the synthetic file
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "denials" / "remit.835"


def build(claims: int) -> str:
    """An 835 of `claims` claim payments: the example's CLP loops repeated under new claim numbers."""
    text = EXAMPLE.read_text("utf-8")
    term, sep = text[105], text[3]
    segs = [s.strip() for s in text.split(term) if s.strip()]
    first = next(i for i, s in enumerate(segs) if s.startswith(f"CLP{sep}"))
    last = next(i for i, s in enumerate(segs) if s.startswith(f"SE{sep}"))
    head, body, tail = segs[:first], segs[first:last], segs[last + 1:]
    loops: list[list[str]] = []
    for s in body:
        if s.startswith(f"CLP{sep}"):
            loops.append([])
        loops[-1].append(s)
    out: list[str] = []
    paid = Decimal(0)
    for n in range(claims):
        loop = loops[n % len(loops)]
        clp = loop[0].split(sep)
        clp[1], clp[7] = f"CLM-{n:07d}", f"ICN-{n:07d}"
        paid += Decimal(clp[4])
        out += [sep.join(clp), *loop[1:]]
    bpr = head[3].split(sep)
    bpr[2] = str(paid)
    head = [*head[:3], sep.join(bpr), *head[4:]]
    st = next(i for i, s in enumerate(head) if s.startswith(f"ST{sep}"))
    count = len(head) - st + len(out) + 1
    return term.join([*head, *out, f"SE{sep}{count}{sep}0001", *tail]) + term


def child(path: str, out: str) -> dict[str, int]:
    """Run `igclaim denials PATH --out OUT` in this process; its peak RSS in KiB."""
    import resource

    from typer.testing import CliRunner

    from igclaim.cli import app

    result = CliRunner().invoke(app, ["denials", path, "--out", out])
    if result.exit_code != 0:
        raise SystemExit(f"denials failed ({result.exit_code}): {result.output[-500:]}")
    return {"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def measure(claims: int, tmp: Path) -> dict[str, int]:
    path = tmp / f"remit-{claims}.835"
    path.write_text(build(claims), "utf-8")
    out = tmp / f"out-{claims}"
    proc = subprocess.run([sys.executable, __file__, "--child", str(path), str(out)], check=True,
                          capture_output=True, text=True)
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"claims": claims, "bytes": path.stat().st_size, **found}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=2000, help="claims of the 1× file (the 10× file has ten times)")
    ap.add_argument("--write", help="only write an 835 of --claims claims to this path")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    if args.write:
        Path(args.write).write_text(build(args.claims), "utf-8")
        return
    with tempfile.TemporaryDirectory() as tmp:
        small = measure(args.claims, Path(tmp))
        large = measure(args.claims * 10, Path(tmp))
    for m in (small, large):
        mb, peak = m["bytes"] / 1e6, m["peak_kib"] / 1024
        print(f"{m['claims']:>8,} claims  {mb:7.2f} MB of 835  peak RSS {peak:8.1f} MiB  "
              f"({m['peak_kib'] * 1024 / m['bytes']:.1f}× the input)")
    print(f"peak ratio 10× / 1×: {large['peak_kib'] / small['peak_kib']:.2f}× "
          f"(growth {(large['peak_kib'] - small['peak_kib']) / 1024:.1f} MiB for "
          f"{(large['bytes'] - small['bytes']) / 1e6:.2f} MB more input: "
          f"{(large['peak_kib'] - small['peak_kib']) * 1024 / (large['bytes'] - small['bytes']):.1f}× per byte)")


if __name__ == "__main__":
    main()
