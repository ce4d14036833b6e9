"""Run mutmut's survivors again, each in a fresh process, so a mutant in code that runs once per process is tested.

mutmut maps tests to functions in one process and forks it for every mutant. Code that runs when the reference data
is first loaded (the loaders of refdata/resolver.py, the catalog's quoted values, the ICD-10-CM file reader) has
already run in that process, so its mutants never execute and all "survive". Here each survivor gets a new Python
process with `MUTANT_UNDER_TEST` set, importing the mutated copy (`mutants/src`), so the loaders run under the
mutant; a failing test kills it. The survivors of this pass are the real ones.

    python scripts/mutate_fresh.py DIR [--tests T ...] [--workers 2] [--only SUBSTR] [--out FILE]

DIR is the mutmut copy (build/mutate for `make mutate` and `make mutate-refdata`): its `mutmut results` list the
survivors. Prints one line per mutant (name, killed/survived, seconds), then the count per function.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Broad and fast: every worked example, the catalog against its texts, the rules read from data, ICD-10-CM by date,
# the coverage policies, the dated snapshots around every change date, a pass-through code's setting (C9072), and
# the Medicare home rules (the Q2052 rows' start, the DME MAC lookup by date, the contractors' imported lists read
# on the date and from the snapshot's own tables). A broken loader fails one of them in the first seconds.
DEFAULT_TESTS = ["tests/test_examples_in_process.py", "tests/test_catalog_facts.py", "tests/test_rules_in_data.py",
                 "tests/test_icd10.py", "tests/test_coverage.py",
                 "tests/test_rules_shared.py::test_change_dates_are_the_starts_and_the_days_after_the_ends",
                 "tests/test_rules_shared.py::test_a_period_changes_on_its_first_day_and_the_day_after_its_last",
                 "tests/test_rules_shared.py::test_every_snapshot_answers_for_its_own_date_on_both_sides_of_each_change",
                 "tests/test_drug_lines_ndc.py::test_asceniv_code_by_date_and_setting",
                 "tests/test_home_dme.py::test_q2052_start_date_comes_from_the_hcpcs_file",
                 "tests/test_home_dme.py::test_q2052_by_date_of_service",
                 "tests/test_mac_coverage.py::test_home_iv_for_cidp_is_an_error_with_gy",
                 "tests/test_mac_coverage.py::test_home_iv_pidd_covered",
                 "tests/test_mac_coverage.py::test_an_imported_home_list_binds_home_claims_from_its_date",
                 "tests/test_mac_coverage.py::test_a_snapshot_keeps_the_contractor_lists_of_its_own_tables"]


def survivors(copy: Path) -> list[str]:
    out = subprocess.run([sys.executable, "-m", "mutmut", "results"], cwd=copy, capture_output=True, text=True,
                         check=True).stdout
    return survived(out)


def survived(results: str) -> list[str]:
    """The names of the survivors in `mutmut results` output ("    name: survived" lines)."""
    return [line.split(":")[0].strip() for line in results.splitlines() if line.strip().endswith(": survived")]


def _env(copy: Path, mutant: str) -> dict[str, str]:
    """The child's environment. PYTHONPATH is absolute: the child runs in the copy's mutants/, where a relative path
    (build/mutate/...) names nothing, so Python would import the editable install instead, and every mutant would
    "survive" (what the first pass of 2026-12-03 did)."""
    return {**os.environ, "MUTANT_UNDER_TEST": mutant, "PYTHONPATH": str((copy / "mutants" / "src").resolve())}


def survived_in(out_file: str) -> set[str]:
    """The mutants an --out file ("name verdict seconds" lines) reports as survived."""
    return {line.split()[0] for line in out_file.splitlines() if line.split()[1:2] == ["survived"]}


def run_one(copy: Path, name: str, tests: list[str]) -> tuple[str, str, float]:
    mutants = copy / "mutants"
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly", "-p",
                               "no:cacheprovider", *tests], cwd=mutants, env=_env(copy, name), capture_output=True,
                              text=True, timeout=900)
        verdict = verdict_of(done.returncode, done.stdout + done.stderr)
    except subprocess.TimeoutExpired:
        verdict = "timeout"
    return name, verdict, time.monotonic() - started


def verdict_of(returncode: int, output: str) -> str:
    """0: every test passed, the mutant survived. 1: a test failed; 2 and 3: the mutant broke collection or pytest
    itself (an import that fails). 4 is pytest's usage error, which a mutant also causes when the module a test id
    names fails to import under it ("found no collectors"); any other 4 is a wrong test id, not a kill."""
    if returncode == 0:
        return "survived"
    if returncode in (1, 2, 3) or (returncode == 4 and "found no collectors" in output):
        return "killed"
    return f"error {returncode}"


def check_setup(copy: Path, tests: list[str]) -> None:
    """Refuse to count anything unless the pass can kill: the child imports igclaim from the mutated copy (not the
    editable install), the tests pass with no mutant active, and they fail when every mutated function raises
    (mutmut's own "fail" check), so a mutant that runs is seen."""
    src = (copy / "mutants" / "src").resolve()
    where = subprocess.run([sys.executable, "-c", "import igclaim; print(igclaim.__file__)"], cwd=copy / "mutants",
                           env=_env(copy, "none"), capture_output=True, text=True, check=True).stdout.strip()
    if not Path(where).resolve().is_relative_to(src):
        raise SystemExit(f"the child imports igclaim from {where}, not from the mutated copy {src}")
    for mutant, want in (("none", "survived"), ("fail", "killed")):
        got = run_one(copy, mutant, tests)[1]
        if got != want:
            raise SystemExit(f"setup check: with MUTANT_UNDER_TEST={mutant} the tests gave {got!r}, not {want!r}")
    print(f"setup checked: igclaim from {src}; the tests pass as they are and fail when every mutant raises",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("copy", type=Path, help="the mutmut copy (build/mutate)")
    ap.add_argument("--tests", nargs="+", default=DEFAULT_TESTS)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", default="", help="only survivors whose name contains this")
    ap.add_argument("--out", type=Path, help="append each verdict to this file as it comes")
    ap.add_argument("--sample", type=int, default=0,
                    help="run only this many survivors, drawn at random (seeded): an estimate when the whole pass "
                    "would take too long")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--survivors-of", type=Path,
                    help="run only the mutants a previous --out file reports as survived (e.g. with more --tests)")
    args = ap.parse_args(argv)
    check_setup(args.copy, args.tests)
    names = [n for n in survivors(args.copy) if args.only in n]
    if args.survivors_of:
        again = survived_in(args.survivors_of.read_text(encoding="utf-8"))
        names = [n for n in names if n in again]
    if 0 < args.sample < len(names):
        print(f"a sample of {args.sample} of the {len(names)} survivors (seed {args.seed})", flush=True)
        names = sorted(random.Random(args.seed).sample(names, args.sample))
    print(f"{len(names)} survivors to run again, each in a fresh process", flush=True)
    tally: Counter[tuple[str, str]] = Counter()
    sink = args.out.open("a", encoding="utf-8") if args.out else None
    with ThreadPoolExecutor(args.workers) as pool:
        for name, verdict, seconds in pool.map(lambda n: run_one(args.copy, n, args.tests), names):
            line = f"{name} {verdict} {seconds:.1f}s"
            print(line, flush=True)
            if sink:
                sink.write(line + "\n")
                sink.flush()
            tally[(name.split("__mutmut_")[0], verdict)] += 1
    functions = sorted({f for f, _ in tally})
    for f in functions:
        print(f"{f}: " + ", ".join(f"{v} {n}" for (g, v), n in sorted(tally.items()) if g == f))
    killed = sum(n for (_, v), n in tally.items() if v == "killed")
    print(f"killed in a fresh process: {killed} of {len(names)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
