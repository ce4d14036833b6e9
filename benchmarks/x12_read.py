"""Benchmark: reading and scrubbing an 837 with igclaim against pyx12 validating the same file (not a timed test).

Both are measured in this run, on the same generated interchange, one core, in process:
  baseline  pyx12's x12n_document (the TR3 map-driven validator that writes a 999), claims/s;
  igclaim   readers.x12.read_837 + scrub of every claim without a chart (the `igclaim scrub claims.837` path), claims/s.
The target is igclaim ≥ 5× pyx12. Then memory: peak RSS (ru_maxrss of a child process) reading a generated 837 of
S bytes and of 10 × S bytes, as a ratio (flat memory = about 1.0).

    python benchmarks/x12_read.py                       # quick: 400 claims timed; memory at ~5 MB and ~50 MB
    python benchmarks/x12_read.py --claims 2000 --mb 10,100     # the 100 MB check of issue 13
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTIES = ROOT / "examples" / "parties"


def _template() -> tuple[list[str], list[list[str]], list[str]]:
    """Header segments (ISA … 2000A), the claim blocks of the office examples (2000B … before the next HL*22),
    and the trailer, from an interchange igclaim writes."""
    from igclaim.inputs import parse_encounter
    from igclaim.outputs import chargemaster, x12

    encs = [parse_encounter(json.loads(x)) for x in (PARTIES / "office-batch.jsonl").read_text().splitlines()]
    # two payers in one interchange: to a clearinghouse (x12.mixed_receivers)
    text = x12.to_837(encs, chargemaster.load("sample"),
                      envelope=x12.Envelope(created=datetime(2026, 3, 6, 12), receiver_id="CLEARH1"))
    segs = [s.strip() for s in text.split("~") if s.strip()]
    starts = [i for i, s in enumerate(segs) if s.startswith("HL*") and s.split("*")[3] == "22"]
    se = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
    blocks = [segs[a:b] for a, b in zip(starts, [*starts[1:], se], strict=True)]
    return segs[:starts[0]], blocks, segs[se:]


def write_837(path: Path, claims: int) -> int:
    """One interchange of `claims` claims under one billing provider, written as it is generated (flat memory)."""
    head, blocks, tail = _template()
    st = next(i for i, s in enumerate(head) if s.startswith("ST*"))
    count = len(head) - st
    with path.open("w", encoding="ascii") as f:
        f.write("".join(s + "~\n" for s in head))
        hl = 1
        for n in range(claims):
            block = blocks[n % len(blocks)]
            out = []
            sub_hl = hl
            for s in block:
                if s.startswith("HL*"):
                    parts = s.split("*")
                    hl += 1
                    if parts[3] == "22":
                        sub_hl = hl
                        s = f"HL*{hl}*1*22*{parts[4]}"
                    else:
                        s = f"HL*{hl}*{sub_hl}*23*0"
                elif s.startswith("CLM*"):
                    parts = s.split("*")
                    parts[1] = f"B{n:09d}"
                    s = "*".join(parts)
                out.append(s)
            count += len(out)
            f.write("".join(s + "~\n" for s in out))
        se_ctrl = tail[0].split("*")[2]
        f.write(f"SE*{count + 1}*{se_ctrl}~\n" + "".join(s + "~\n" for s in tail[1:]))
    return path.stat().st_size


def time_pyx12(path: Path) -> float:
    import logging

    import pyx12.params
    import pyx12.x12n_document

    logging.disable(logging.CRITICAL)  # pyx12 logs every problem; the benchmark times the validation only
    started = time.perf_counter()
    with path.open() as fd:
        pyx12.x12n_document.x12n_document(pyx12.params.params(), fd, io.StringIO(), io.StringIO(), None)
    return time.perf_counter() - started


def time_igclaim(path: Path) -> tuple[float, int, int]:
    from igclaim.readers.scrub import scrub_837

    started = time.perf_counter()
    results = errors = 0
    for item in scrub_837(path):
        if item.error is None:
            results += 1
        else:
            errors += 1
    return time.perf_counter() - started, results, errors


def _peak_child(mode: str, path: Path) -> int:
    """Peak RSS (kB) of a fresh process that reads (mode read) or reads and scrubs (mode scrub) the file."""
    code = ("import sys, resource\nfrom pathlib import Path\n"
            "from igclaim.readers.x12 import read_837\nfrom igclaim.readers.scrub import scrub_837\n"
            f"it = read_837(Path({str(path)!r})) if {mode!r} == 'read' else scrub_837(Path({str(path)!r}))\n"
            "n = sum(1 for _ in it)\n"
            "print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return int(out[1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=400, help="claims in the timed file")
    ap.add_argument("--mb", default="5,50", help="sizes (MB) of the memory check; the first is the baseline")
    args = ap.parse_args(argv)
    from igclaim import engine
    from igclaim.refdata.resolver import reference

    reference()
    engine._load_edit_families()
    rows: list[tuple[str, str, str]] = []

    def row(*r: str) -> None:  # printed as measured: a long run still shows what it has
        rows.append(r)
        print(f"| {r[0]} | {r[1]} | {r[2]} |", flush=True)

    print("| measure | result | ratio |\n|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "timed.837"
        size = write_837(small, args.claims)
        t_ig, results, errors = time_igclaim(small)  # first: warms nothing pyx12 needs
        t_px = time_pyx12(small)
        r_ig, r_px = args.claims / t_ig, args.claims / t_px
        row(*(f"pyx12 x12n_document validating {args.claims:,} claims ({size / 1e6:.1f} MB)",
                     f"{r_px:,.0f} claims/s", "baseline"))
        row(*("igclaim read + scrub (no chart), same file", f"{r_ig:,.0f} claims/s",
                     f"**{r_ig / r_px:.1f}×** pyx12 (target ≥ 5×); {results:,} results + {errors:,} errors"))
        per_claim = size / args.claims
        base = None
        for mb in [float(x) for x in args.mb.split(",")]:
            n = max(1, int(mb * 1e6 / per_claim))
            big = Path(tmp) / f"big-{mb:g}.837"
            real = write_837(big, n)
            kb = _peak_child("read", big)
            base = base or kb
            first_mb = float(args.mb.split(",")[0])
            ratio = "baseline" if mb == first_mb else f"**{kb / base:.2f}×** for {mb / first_mb:g}× the input"
            row(*(f"peak memory reading {n:,} claims ({real / 1e6:.0f} MB)", f"{kb / 1024:.0f} MB", ratio))
            big.unlink()
    print(f"\n(self peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
