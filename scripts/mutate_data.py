"""Mutation testing of the rule *data* (mutmut mutates only Python): each dated value of src/igclaim/refdata/ moved
by a day, each time threshold moved by one, and the rule tests must fail for every such change.

    .venv/bin/python scripts/mutate_data.py                 # every mutation (long: one test run per mutation)
    .venv/bin/python scripts/mutate_data.py --only payers   # the mutations whose file or value names contain it
    .venv/bin/python scripts/mutate_data.py --list          # what would be mutated
    .venv/bin/python scripts/mutate_data.py --quick         # the dated tests first, the whole selection if needed

The repository is copied once to a temporary directory; each mutation edits the copy's TOML, runs the fast rule
tests (the `[tool.mutmut]` test selection of pyproject.toml, so both mutation runs use one list) with the copy's
src first on the path, and restores the file. One test process at a time (the machine is shared).
A date "2000-01-01" in a payer profile means "since before any claim igclaim codes" and is not moved.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFDATA = Path("src/igclaim/refdata")
DATED_FILES = ("cms/hcpcs.toml", "cms/modifiers.toml", "cms/settings.toml", "cms/administration.toml",
               "fda/products.toml")
BARE_DATE = re.compile(r"\b(effective|ends)\s*=\s*(\d{4}-\d{2}-\d{2})")
PROFILE_DATE = re.compile(r'"(\d{4}-\d{2}-\d{2})"\s*=')
THRESHOLD = re.compile(r"^(\w+_minutes|round_up_from|min_units)\s*=\s*(\d+)\s*$")
ALWAYS = "2000-01-01"


@dataclass(frozen=True)
class Mutation:
    file: Path  # relative to the repository
    line: int  # 0-based
    old: str
    new: str
    what: str


def _shift(text: str, days: int) -> str:
    return (date.fromisoformat(text) + timedelta(days=days)).isoformat()


def mutations() -> list[Mutation]:
    found: list[Mutation] = []
    files = [REFDATA / f for f in DATED_FILES] + [
        REFDATA / "payers" / p.name for p in sorted((ROOT / REFDATA / "payers").glob("*.toml"))]
    for path in files:
        for n, text in enumerate((ROOT / path).read_text().splitlines()):
            if text.lstrip().startswith("#"):
                continue
            for m in BARE_DATE.finditer(text):
                for days in (-1, 1):
                    new = text[:m.start(2)] + _shift(m.group(2), days) + text[m.end(2):]
                    found.append(Mutation(path, n, text, new, f"{m.group(1)} {m.group(2)} {days:+d} day"))
            for m in PROFILE_DATE.finditer(text):
                if m.group(1) == ALWAYS:
                    continue
                for days in (-1, 1):
                    new = text[:m.start(1)] + _shift(m.group(1), days) + text[m.end(1):]
                    found.append(Mutation(path, n, text, new, f"value from {m.group(1)} {days:+d} day"))
            if (m := THRESHOLD.match(text)) is not None:
                for delta in (-1, 1):
                    found.append(Mutation(path, n, text, f"{m.group(1)} = {int(m.group(2)) + delta}",
                                          f"{m.group(1)} {m.group(2)} {delta:+d}"))
    return found


# The tests that pin dates and thresholds run first: with -x a killed mutation then costs seconds, not the selection.
FIRST = ("tests/test_rule_mutations.py", "tests/test_dated_boundaries.py", "tests/test_rules_in_data.py",
         "tests/test_home_dme.py", "tests/test_time.py")


def _tests() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    selection = list(config["pytest_add_cli_args_test_selection"])
    return [t for t in FIRST if t in selection] + [t for t in selection if t not in FIRST]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="only mutations whose file or description contains this text")
    ap.add_argument("--list", action="store_true", help="list the mutations and exit")
    ap.add_argument("--quick", action="store_true",
                    help="run only the dated tests first (FIRST), then the whole selection for what they left alive")
    args = ap.parse_args()
    todo = [m for m in mutations() if args.only in f"{m.file} {m.what}"]
    if args.list:
        for m in todo:
            print(f"{m.file}:{m.line + 1}: {m.what}")
        print(f"{len(todo)} mutations")
        return 0
    work = Path(tempfile.mkdtemp(prefix="igclaim-mutate-data-"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for name in ("src", "tests", "examples", "docs"):  # docs: a test compares docs/edits.md with the registry
        shutil.copytree(ROOT / name, work / name, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", work / "pyproject.toml")
    env = dict(os.environ, PYTHONPATH=str(work / "src"), PYTHONDONTWRITEBYTECODE="1")
    base = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    tests = _tests()
    quick = [t for t in tests if t in FIRST]
    survivors: list[Mutation] = []
    started = time.monotonic()
    # The tests must pass on the data as it is, else every mutation would look killed.
    clean = subprocess.run([*base, *tests], cwd=work, env=env, capture_output=True, text=True, timeout=1800)
    if clean.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        print(clean.stdout[-3000:], file=sys.stderr)
        print(f"the tests fail on the unchanged data (exit {clean.returncode}): fix them first", file=sys.stderr)
        return 2
    try:
        for i, m in enumerate(todo, 1):
            target = work / m.file
            original = target.read_text()
            lines = original.splitlines(keepends=True)
            lines[m.line] = m.new + ("\n" if lines[m.line].endswith("\n") else "")
            target.write_text("".join(lines))
            try:
                rc = 0
                if args.quick:
                    rc = subprocess.run([*base, *quick], cwd=work, env=env, capture_output=True,
                                        timeout=1800).returncode
                if rc == 0:
                    rc = subprocess.run([*base, *tests], cwd=work, env=env, capture_output=True,
                                        timeout=1800).returncode
            finally:
                target.write_text(original)
            killed = rc != 0
            if not killed:
                survivors.append(m)
            print(f"[{i}/{len(todo)}] {'killed  ' if killed else 'SURVIVED'} {m.file}:{m.line + 1}: {m.what}",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    killed = len(todo) - len(survivors)
    print(f"\n{killed}/{len(todo)} data mutations killed ({100 * killed / max(1, len(todo)):.1f} %) in "
          f"{time.monotonic() - started:.0f} s")
    for m in survivors:
        print(f"  survived: {m.file}:{m.line + 1}: {m.what}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
