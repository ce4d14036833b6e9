"""The core's cost, as same-run ratios (issue 10): in-process build/scrub + result JSON against parse-only on the
generator's mix; the per-line cost of a 20-drug scrub against a 1-drug one; and the same measures for another
commit (default: the baseline 9af279e) checked out into a temporary `git worktree`, timed on the same encounters.

Three figures of the pipeline: the warm one (a pass over the same lines ran first, so every snapshot of the file's
dates and profiles is built before the clock starts), a first pass (the process is warmed on other encounters,
another seed's with their dates moved a year before the file's, then ONE pass over the file is timed): the first
pass pays what a user's single run over a new file pays per date of service and profile; and a cold pass (a fresh
process, igclaim imported and nothing run: one pass, which also loads the reference data and the edit families).

CPU time (time.process_time) of each measure is taken in a fresh child process per tree, interleaved (base, this,
base, this…) and the best of the rounds kept, so the machine's other load disturbs both sides alike. Parse-only
(JSON → validated Encounter) is the unit: "pipeline 4.1×" means a build/scrub + JSON costs 4.1 parses. A second
unit, the schema's own parse (json.loads + Encounter.model_validate, none of igclaim's input handling), stays the
same size when igclaim's reading of a chart gets faster, which the first unit does not (a cheaper parse_encounter
makes the pipeline look dearer in parses of it).

    python benchmarks/core.py [--count 3000] [--rounds 3] [--base 9af279e] [--no-base]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "9af279e"
WARM_SEED = 8  # the first pass's warm-up encounters: another seed than the file's (7)

PREMEDS = ["J1200", "J2930", "J1100", "J0131", "J2405", "J1885", "J3010", "J2270", "J1170", "J2550", "J1940",
           "J3360", "J2250", "J1720", "J0780", "J2780", "J1642", "J2060", "J0702"]


def many_drug_chart(drugs: int) -> dict:
    """An office IVIG visit with `drugs` drugs: Gamunex-C and drugs − 1 premedications, each pushed before it."""
    chart: dict = {
        "encounter_id": f"drugs-{drugs}", "date_of_service": "2026-03-02", "setting": "office",
        "payer": {"type": "commercial", "name": "Commercial plan"}, "diagnoses": ["D83.9"],
        "drugs": [{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
                   "containers": [{"grams": 20, "count": 1}, {"grams": 10, "count": 1}]}],
        "administrations": [{"drug_id": "ig1", "start": "2026-03-02T10:00", "stop": "2026-03-02T14:00"}],
    }
    for i, code in enumerate(PREMEDS[: drugs - 1]):
        chart["drugs"].append({"id": f"pre{i}", "hcpcs": code, "units": 1, "route": "IV"})
        minute = 8 + i * 2
        chart["administrations"].append({"drug_id": f"pre{i}", "method": "push",
                                         "start": f"2026-03-02T08:{minute:02d}", "stop": f"2026-03-02T08:{minute:02d}"})
    return chart


# --- child: runs inside one tree (sys.path[0] = that tree's src) ---------------------------------------------------

def cold_child(path: Path) -> dict:
    """A fresh process, igclaim imported and nothing else run: ONE pass over the file, timed whole (the reference
    data, the edit families and each date's rules are loaded on the way, as a user's single run over a new file
    pays them), then a parse-only pass as the unit."""
    import timing

    from igclaim import engine  # noqa: F401 (imports are not the pass's cost)

    lines = path.read_text(encoding="utf-8").splitlines()
    cold_s = timing.seconds(lambda: timing.pipeline(lines))
    try:  # a tree that keeps its catalog between processes (refdata/cache.py): was it kept for the files as they are?
        from igclaim.refdata.cache import current
        kept: bool | None = current("reference")
    except ImportError:
        kept = None
    return {"records": len(lines), "cold_s": cold_s, "cold_parse_s": timing.seconds(lambda: timing.parse_only(lines)),
            "kept_catalog": kept}


def child(path: Path, many: int, warm_path: Path | None = None) -> dict:
    import timing

    from igclaim import engine
    from igclaim.inputs import parse_encounter

    lines = path.read_text(encoding="utf-8").splitlines()
    timing.warm()
    out: dict = {"records": len(lines)}
    if warm_path is not None:
        # Imports, reference data and code paths warmed on other encounters of other dates, then one pass over
        # the file timed: each of its dates and profiles is new to this process.
        timing.pipeline(warm_path.read_text(encoding="utf-8").splitlines())
        out["first_pass_s"] = timing.seconds(lambda: timing.pipeline(lines))
    else:
        timing.pipeline(lines)  # warm: reference data, caches, imports
    out |= {"parse_s": timing.seconds(lambda: timing.parse_only(lines)),
           "schema_s": timing.seconds(lambda: timing.schema_only(lines)),
           "pipeline_s": timing.seconds(lambda: timing.pipeline(lines))}
    # Per claim line, a scrub of a claim written exactly as igclaim codes the chart: 1 drug against `many`.
    for n in (1, many):
        enc = parse_encounter(many_drug_chart(n))
        written = engine.build(enc).claim.model_dump(mode="json")
        scrub = parse_encounter({**many_drug_chart(n), "claim": written})
        lines_n = len(written["lines"])
        reps = max(20, 2000 // lines_n)
        engine.scrub(scrub)

        def once(scrub=scrub) -> None:
            engine.scrub(scrub).model_dump_json()

        out[f"drugs_{n}"] = {"lines": lines_n, "per_line_s": timing.seconds(once, reps) / lines_n}
    out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return out


def run_child(src: Path, data: Path, many: int, warm: Path | None = None) -> dict:
    warm_arg = f"__import__('pathlib').Path({str(warm)!r})" if warm else "None"
    out = _in_child(src, f"core.child(__import__('pathlib').Path({str(data)!r}), {many}, {warm_arg})")
    return out | _in_child(src, f"core.cold_child(__import__('pathlib').Path({str(data)!r}))")


def _in_child(src: Path, call: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src), "IGCLAIM_HOME": tempfile.mkdtemp(prefix="igclaim-bench-home-")}
    code = (f"import sys, json; sys.path.insert(0, {str(src)!r}); sys.path.insert(1, {str(ROOT / 'benchmarks')!r}); "
            f"import core; print(json.dumps({call}))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    """The least CPU of the rounds for each measure (the machine's other load only ever adds)."""
    out = dict(runs[0])
    for key in ("parse_s", "schema_s", "pipeline_s", "first_pass_s", "cold_s", "cold_parse_s"):
        if key in out:
            out[key] = min(r[key] for r in runs)
    for key in [k for k in runs[0] if k.startswith("drugs_")]:
        out[key] = {**runs[0][key], "per_line_s": min(r[key]["per_line_s"] for r in runs)}
    out["maxrss_kb"] = max(r["maxrss_kb"] for r in runs)
    return out


def summary(name: str, r: dict, many: int) -> dict:
    n = r["records"]
    one, lots = r["drugs_1"], r[f"drugs_{many}"]
    return {
        "tree": name, "records": n,
        "parse_per_cpu_s": n / r["parse_s"], "pipeline_per_cpu_s": n / r["pipeline_s"],
        "pipeline_in_parses": r["pipeline_s"] / r["parse_s"],
        "pipeline_in_schema_parses": r["pipeline_s"] / r["schema_s"],
        "per_line_us_1_drug": one["per_line_s"] * 1e6, "per_line_us_many": lots["per_line_s"] * 1e6,
        "lines_1_drug": one["lines"], "lines_many": lots["lines"],
        "per_line_many_vs_1": lots["per_line_s"] / one["per_line_s"], "maxrss_mb": r["maxrss_kb"] / 1024,
        **({"first_pass_per_cpu_s": n / r["first_pass_s"], "first_pass_in_parses": r["first_pass_s"] / r["parse_s"],
            "first_pass_vs_warm": r["first_pass_s"] / r["pipeline_s"]} if "first_pass_s" in r else {}),
        "cold_per_cpu_s": n / r["cold_s"], "cold_in_parses": r["cold_s"] / r["cold_parse_s"],
        "kept_catalog": r.get("kept_catalog"),
    }


_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})(T.*)?")


def _days(value: object) -> list[date]:
    """Every ISO date (or date-time's date) in a JSON value."""
    if isinstance(value, dict):
        return [d for v in value.values() for d in _days(v)]
    if isinstance(value, list):
        return [d for v in value for d in _days(v)]
    if isinstance(value, str) and (m := _DAY.fullmatch(value)):
        try:
            return [date.fromisoformat(m.group(1))]
        except ValueError:
            return []
    return []


def _moved(value: object, by: timedelta) -> object:
    """The JSON value with every ISO date (and date-time's date) moved by `by`: the same chart on another day."""
    if isinstance(value, dict):
        return {k: _moved(v, by) for k, v in value.items()}
    if isinstance(value, list):
        return [_moved(v, by) for v in value]
    if isinstance(value, str) and (m := _DAY.fullmatch(value)):
        try:
            return (date.fromisoformat(m.group(1)) + by).isoformat() + (m.group(2) or "")
        except ValueError:
            return value
    return value


def _records(path: Path) -> list[object]:
    """Each line's JSON value (a line that is not JSON stays a str: broken records are part of a mix)."""
    out: list[object] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append(line)
    return out


def warm_up_file(data: Path, out: Path, count: int) -> Path:
    """`count` encounters of another seed, their dates moved whole years (52 weeks: the same weekdays) before the
    first date in `data`, so warming on them builds no snapshot the timed first pass over `data` will use."""
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(count), "--seed", str(WARM_SEED),
                    "--out", str(out)], check=True, capture_output=True)
    records = _records(out)
    first = min(_days([r for r in _records(data) if not isinstance(r, str)]), default=date(2026, 1, 1))
    last = max(_days([r for r in records if not isinstance(r, str)]), default=first)
    years = 1
    while last - timedelta(weeks=52 * years) >= first:
        years += 1
    by = -timedelta(weeks=52 * years)
    out.write_text("".join((r if isinstance(r, str) else json.dumps(_moved(r, by), separators=(",", ":"))) + "\n"
                           for r in records), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=3000, help="generated encounters (benchmarks/generate.py, seed 7)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--drugs", type=int, default=20)
    ap.add_argument("--base", default=BASELINE, help="the commit to compare with")
    ap.add_argument("--no-base", action="store_true", help="measure this tree only")
    ap.add_argument("--data", type=Path, help="encounters (JSONL) to use instead of generating them")
    ap.add_argument("--warm-count", type=int, default=400,
                    help="encounters (another seed, a year earlier) warming the process before the first pass; "
                         "0: no first-pass measure")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="igclaim-core-bench-") as tmp:
        data = args.data or Path(tmp) / "enc.jsonl"
        if args.data is None:
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(args.count), "--out",
                            str(data)], check=True, capture_output=True)
        warm = warm_up_file(data, Path(tmp) / "warm.jsonl", args.warm_count) if args.warm_count > 0 else None
        trees = {"this": ROOT / "src"}
        base_dir = Path(tmp) / "base"
        if not args.no_base:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base_dir), args.base],
                           check=True, capture_output=True)
            trees = {f"base {args.base}": base_dir / "src", **trees}
        for src in trees.values():  # both trees' bytecode compiled alike (`make setup` compiles this one's)
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True, capture_output=True)
        try:
            runs: dict[str, list[dict]] = {k: [] for k in trees}
            for _ in range(args.rounds):
                for name, src in trees.items():
                    runs[name].append(run_child(src, data, args.drugs, warm))
        finally:
            if not args.no_base:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_dir)],
                               check=False, capture_output=True)
        load = os.getloadavg()
        rows = [summary(name, best(r), args.drugs) for name, r in runs.items()]
    report: dict = {"load_average": load, "rounds": args.rounds, "trees": rows}
    if len(rows) == 2:
        base, this = rows
        report["speedup_per_cpu_s"] = this["pipeline_per_cpu_s"] / base["pipeline_per_cpu_s"]
        report["speedup_in_parse_units"] = base["pipeline_in_parses"] / this["pipeline_in_parses"]
        report["speedup_in_schema_units"] = base["pipeline_in_schema_parses"] / this["pipeline_in_schema_parses"]
        if "first_pass_per_cpu_s" in this:
            report["first_pass_speedup_per_cpu_s"] = this["first_pass_per_cpu_s"] / base["first_pass_per_cpu_s"]
            report["first_pass_speedup_in_parse_units"] = base["first_pass_in_parses"] / this["first_pass_in_parses"]
        report["cold_speedup_per_cpu_s"] = this["cold_per_cpu_s"] / base["cold_per_cpu_s"]
        report["cold_speedup_in_parse_units"] = base["cold_in_parses"] / this["cold_in_parses"]
    print(json.dumps(report, indent=2))
    for r in rows:
        print(f"{r['tree']:>16}: parse {r['parse_per_cpu_s']:,.0f}/CPU-s, "
              f"pipeline {r['pipeline_per_cpu_s']:,.0f}/CPU-s "
              f"= {r['pipeline_in_parses']:.1f}× parse; per line {r['per_line_us_1_drug']:.0f} µs (1 drug, "
              f"{r['lines_1_drug']} lines) vs {r['per_line_us_many']:.0f} µs ({args.drugs} drugs, {r['lines_many']} "
              f"lines) = {r['per_line_many_vs_1']:.2f}×; peak RSS {r['maxrss_mb']:.0f} MB")
        print(f"{'':>16}  = {r['pipeline_in_schema_parses']:.1f}× the schema's own parse (json.loads + "
              "Encounter.model_validate, none of igclaim's input handling)")
    if "speedup_per_cpu_s" in report:
        print(f"this tree against {args.base}: {report['speedup_per_cpu_s']:.2f}× the encounters per CPU-second; "
              f"{report['speedup_in_parse_units']:.2f}× in parse units, {report['speedup_in_schema_units']:.2f}× in "
              "schema-parse units")
    for r in rows:
        if "first_pass_per_cpu_s" in r:
            print(f"{r['tree']:>16}: first pass {r['first_pass_per_cpu_s']:,.0f}/CPU-s = "
                  f"{r['first_pass_in_parses']:.1f}× parse ({r['first_pass_vs_warm']:.2f}× the warm pipeline's CPU)")
    if "first_pass_speedup_per_cpu_s" in report:
        print(f"this tree against {args.base} on a first pass: {report['first_pass_speedup_per_cpu_s']:.2f}× the "
              f"encounters per CPU-second; {report['first_pass_speedup_in_parse_units']:.2f}× in parse units")
    for r in rows:
        kept = {True: "; its kept catalog loaded", False: "; its kept catalog STALE (run `make setup`): built",
                None: ""}[r.get("kept_catalog")]
        print(f"{r['tree']:>16}: cold (a fresh process, one pass) {r['cold_per_cpu_s']:,.0f}/CPU-s = "
              f"{r['cold_in_parses']:.1f}× parse{kept}")
    if "cold_speedup_per_cpu_s" in report:
        print(f"this tree against {args.base} cold: {report['cold_speedup_per_cpu_s']:.2f}× the encounters per "
              f"CPU-second; {report['cold_speedup_in_parse_units']:.2f}× in parse units")
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
