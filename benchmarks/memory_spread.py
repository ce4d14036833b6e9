"""Peak memory on charts spread over many dates, payers and diagnoses, as a same-run ratio: the peak RSS of a fresh
process that scrubs N such charts against one that scrubs N/10. The generator's mix (benchmarks/run.py) has 91 dates
and a handful of diagnoses, so every memo stays small there; here each chart meets a new date of 2016–2026 under one
of four payers, with 24 random diagnosis codes and six written lines with random codes and NDCs: the input that
fills the per-snapshot answers (refdata/rules.py MEMO_BUDGET) and the imported-table memos. Flat means about 1.0×.

    python benchmarks/memory_spread.py [--count 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PAYERS = [{"type": "medicare", "name": "Medicare Part B"}, {"type": "commercial", "name": "Acme Health"},
          {"type": "medicaid", "name": "State Medicaid"}, {"type": "medicare_advantage", "name": "MA Plan"}]


def child(count: int) -> dict:
    """Scrub `count` spread charts in this process; its peak RSS and CPU seconds."""
    import contextlib
    import random
    import resource
    import time
    from datetime import date, timedelta

    from igclaim import engine
    from igclaim.inputs import parse_encounter

    rnd = random.Random(1)

    def dx() -> str:
        return f"{rnd.choice('ADGM')}{rnd.randint(10, 99)}.{rnd.randint(0, 99)}"

    cpu = time.process_time()
    for i in range(count):
        day = (date(2016, 1, 1) + timedelta(days=rnd.randint(0, 3900))).isoformat()
        lines = [{"line": k + 1, "code": rnd.choice(["J1561", "J1599", f"J{rnd.randint(0, 9999):04d}"]), "units": 60,
                  "ndc": f"{rnd.randint(0, 10**11 - 1):011d}"} for k in range(6)]
        chart = {"encounter_id": f"spread-{i}", "date_of_service": day,
                 "setting": rnd.choice(["office", "hospital_outpatient"]), "payer": rnd.choice(PAYERS),
                 "diagnoses": [dx() for _ in range(12)],
                 "drugs": [{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": "30"},
                            "containers": [{"grams": "10", "count": 3}]}],
                 "administrations": [{"drug_id": "ig1", "start": f"{day}T10:00", "stop": f"{day}T13:00"}],
                 "claim": {"diagnoses": [dx() for _ in range(12)], "lines": lines}}
        with contextlib.suppress(ValueError):  # an input error (a date before a profile's rules) is handled too
            engine.scrub(parse_encounter(chart)).model_dump_json()
    return {"count": count, "cpu_s": time.process_time() - cpu,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(count: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "IGCLAIM_HOME": tempfile.mkdtemp(prefix="igclaim-mem-")}
    code = (f"import sys, json; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import memory_spread; "
            f"print(json.dumps(memory_spread.child({count})))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="charts of the larger run (the baseline: a tenth)")
    args = parser.parse_args(argv)
    small, large = run_child(max(1, args.count // 10)), run_child(args.count)
    print(json.dumps({"baseline": small, "this": large, "peak_ratio": large["maxrss_mb"] / small["maxrss_mb"]},
                     indent=2))
    ratio, times = large["maxrss_mb"] / small["maxrss_mb"], large["count"] // small["count"]
    print(f"peak RSS: {small['maxrss_mb']:.0f} MB for {small['count']:,} spread charts, {large['maxrss_mb']:.0f} MB "
          f"for {large['count']:,}: {ratio:.2f}× for {times}× the input")


if __name__ == "__main__":
    main()
