"""Mutation testing of the rule *data* (mutmut mutates only Python): each dated value of src/igclaim/refdata/ moved
by a day, each time threshold moved by one, and each rule value changed as a typo or a misreading would change it
(a code's unit of 500 mg read as 1,000 or 250, a role or a form swapped for another of the file, a flag flipped, a
claim-form code one off, each item of a list dropped from it: a covered diagnosis, a CARC, an edit id); the rule
tests must fail for every such change.

    .venv/bin/python scripts/mutate_data.py                 # every mutation (long: one test run per mutation)
    .venv/bin/python scripts/mutate_data.py --only payers   # the mutations whose file or value names contain it
    .venv/bin/python scripts/mutate_data.py --list          # what would be mutated
    .venv/bin/python scripts/mutate_data.py --quick         # the dated tests first, the whole selection if needed
    .venv/bin/python scripts/mutate_data.py --kind values   # only the rule values (or: dates, for the dates only)

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
# The rule values: the keys whose value codes a claim or decides a finding (not titles, sources, labels, meanings).
VALUE_FILES = DATED_FILES + ("cms/ncci.toml", "coverage/default-ig.toml", "coverage/medicare-home-ivig-pidd.toml",
                             "coverage/liability-modifiers.toml", "coverage/not-a-reason.toml", "remit/mapping.toml")
VALUE_KEYS = frozenset({
    "kind", "routes", "settings", "form", "unit_mg", "paid_per", "facility_only", "role", "family", "route", "rank",
    "per_encounter", "sites_at_once_one_span", "primaries", "distinct_procedure", "transaction", "place_of_service",
    "type_of_bill", "drug_revenue_code", "administration_revenue_code", "diagnosis_pointers_per_line",
    "other_drugs_separately_payable", "medicare_dme_iv_supply_code", "medicare_dme_sc_pump_code", "basis",
    "places", "administration_within_days", "department", "modifier",
    "severity", "applies", "modifier_allowed", "concentration_percent", "ndc_unit", "codes", "prefixes", "certain",
    "values", "original_medicare", "payer_types", "extends", "allowed", "without_abn", "with_signed_abn", "with_any",
    "statutory_exclusion", "voluntary_notice", "benefit_prefixes", "grams",
    # remit/mapping.toml: which denials each rule explains, the edits that catch them, how they are fixed
    "carc", "rarc", "edits", "fix", "recoverable"})
# A unit read at twice or half its size (500 mg as a gram, 100 mg as 50): the misreading the seed article made.
SCALED = frozenset({"unit_mg", "grams", "concentration_percent"})
ASSIGNMENT = re.compile(r"(?<![\w.])(\w+)\s*=\s*")


@dataclass(frozen=True)
class Mutation:
    file: Path  # relative to the repository
    line: int  # 0-based
    old: str
    new: str
    what: str


def _shift(text: str, days: int) -> str:
    return (date.fromisoformat(text) + timedelta(days=days)).isoformat()


_BOOL = re.compile(r"(true|false)\b")
_NUMBER = re.compile(r"-?\d+(\.\d+)?(?![\d:-])")
_STRING = re.compile(r'"([^"\\]*)"')
_LIST = re.compile(r"\[([^\[\]{}]*)\]")
_ENTRY = re.compile(r'"\d{4}-\d{2}-\d{2}"\s*=\s*')  # an entry of a payer parameter's `values` table


def _value_at(text: str, at: int) -> tuple[str, re.Match[str]] | None:
    """The TOML value starting at `at`: its kind and its match (None: a table or a date, not mutated here)."""
    for kind, pattern in (("bool", _BOOL), ("number", _NUMBER), ("string", _STRING), ("list", _LIST)):
        m = pattern.match(text, at)
        if m is not None:
            return kind, m
    return None


def _strings(items: str) -> list[str] | None:
    """A flat list's strings (None: it holds something else)."""
    found = _STRING.findall(items)
    rest = _STRING.sub("", items).replace(",", "").strip()
    return None if rest else found


def _shape(value: str) -> str:
    """A string's shape (letters as A, digits as 9): a value of a key of its own is swapped for one shaped alike."""
    return re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", value))


def _seen(lines: list[str]) -> dict[str, list[str]]:
    """Each rule key's distinct string values in the file, in order, the alternatives a swap picks from; under ""
    every rule key's values together (for a key that has one value only, as the liability modifiers each have)."""
    seen: dict[str, list[str]] = {}
    for text in lines:
        if text.lstrip().startswith("#"):
            continue
        for a in ASSIGNMENT.finditer(text):
            hit = _value_at(text, a.end())
            if hit is None or hit[0] != "string" or a.group(1) not in VALUE_KEYS:
                continue
            for key in (a.group(1), ""):
                if hit[1].group(1) not in seen.setdefault(key, []):
                    seen[key].append(hit[1].group(1))
    return seen


def _changed(key: str, kind: str, token: str, seen: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The value's mutations: (new token, what)."""
    if kind == "bool":
        return [("false" if token == "true" else "true", f"{key} {token} flipped")]
    if kind == "number":
        n = float(token) if "." in token else int(token)
        if key in SCALED:
            half = n / 2 if isinstance(n, float) or n % 2 else n // 2
            return [(str(n * 2), f"{key} {token} ×2"), (str(half), f"{key} {token} ÷2")]
        return [(str(n + d), f"{key} {token} {d:+d}") for d in (-1, 1) if n + d >= 0]
    if kind == "string":
        value = token[1:-1]
        others = [v for v in seen.get(key, []) if v != value]
        if not others and value and value[-1].isdigit():  # a code one off: TOB 0131 → 0132, Q2052 → Q2053
            others = [value[:-1] + str((int(value[-1]) + 1) % 10)]
        if not others:  # a key of its own: another rule value shaped alike (GA for GZ, GY for GX)
            others = [v for v in seen.get("", []) if v != value and _shape(v) == _shape(value)]
        return [(f'"{others[0]}"', f"{key} {token} → {others[0]!r}")] if others else []
    items = _strings(token[1:-1])
    if not items:
        return []
    out = []
    for i, item in enumerate(items):  # each item dropped in turn (the first alone left the others untested)
        kept = ", ".join(f'"{v}"' for v in (*items[:i], *items[i + 1:]))
        out.append((f"[{kept}]", f"{key}: {item!r} dropped from {token}"))
    return out


def _with_payers(names: tuple[str, ...]) -> list[Path]:
    """These refdata files, then every payer profile (both kinds of mutation read the profiles)."""
    return [REFDATA / f for f in names] + [
        REFDATA / "payers" / p.name for p in sorted((ROOT / REFDATA / "payers").glob("*.toml"))]


def value_mutations() -> list[Mutation]:
    """Each rule value of VALUE_FILES and the payer profiles changed as a misreading would change it."""
    found: list[Mutation] = []
    for path in _with_payers(VALUE_FILES):
        lines = (ROOT / path).read_text().splitlines()
        seen = _seen(lines)
        for n, text in enumerate(lines):
            if text.lstrip().startswith("#"):
                continue
            for a in ASSIGNMENT.finditer(text):
                key = a.group(1)
                if key not in VALUE_KEYS:
                    continue
                spots = ([(e.end(), key) for e in _ENTRY.finditer(text, a.end())] if key == "values"
                         else [(a.end(), key)])
                for at, name in spots:
                    hit = _value_at(text, at)
                    if hit is None or (key == "values" and hit[0] not in ("bool", "number")):
                        continue
                    kind, m = hit
                    for new, what in _changed(name, kind, m.group(0), seen):
                        found.append(Mutation(path, n, text, text[:m.start()] + new + text[m.end():], what))
    return found


def mutations(kind: str = "all") -> list[Mutation]:
    """The dated mutations (dates ±1 day, thresholds ±1), the rule values' (`value_mutations`), or both."""
    return ((date_mutations() if kind in ("all", "dates") else [])
            + (value_mutations() if kind in ("all", "values") else []))


def date_mutations() -> list[Mutation]:
    found: list[Mutation] = []
    for path in _with_payers(DATED_FILES):
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
         "tests/test_home_dme.py", "tests/test_time.py", "tests/test_examples_in_process.py",
         "tests/test_catalog_facts.py")


def _mutmut() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]


def _tests() -> list[str]:
    selection = list(_mutmut()["pytest_add_cli_args_test_selection"])
    return [t for t in FIRST if t in selection] + [t for t in selection if t not in FIRST]


def copy_repository(work: Path) -> None:
    """What the selection needs, as mutmut copies it: src, tests, pyproject.toml and `[tool.mutmut] also_copy`
    (examples; docs, which a test compares with the registry; benchmarks, whose generator a test imports)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for name in dict.fromkeys(["src", "tests", *_mutmut()["also_copy"]]):
        shutil.copytree(ROOT / name, work / name, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", work / "pyproject.toml")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="only mutations whose file or description contains this text")
    ap.add_argument("--skip", default="", help="leave out the mutations whose file or description contains this text")
    ap.add_argument("--survivors-of", type=Path, metavar="LOG",
                    help="only the mutations an earlier run's output reports as SURVIVED (a --first-only triage, say)")
    ap.add_argument("--list", action="store_true", help="list the mutations and exit")
    ap.add_argument("--kind", choices=("all", "dates", "values"), default="all",
                    help="dates: dated values and time thresholds; values: the rule values; all: both")
    ap.add_argument("--quick", action="store_true",
                    help="run only the dated tests first (FIRST), then the whole selection for what they left alive")
    ap.add_argument("--first", default="", metavar="TESTS",
                    help="comma-separated test files to run first instead of FIRST (tests/test_denials.py for remit/)")
    ap.add_argument("--first-only", action="store_true",
                    help="triage: run only the first tests (FIRST); a survivor may still die in the whole selection")
    args = ap.parse_args()
    todo = [m for m in mutations(args.kind) if args.only in f"{m.file} {m.what}"
            and not (args.skip and args.skip in f"{m.file} {m.what}")]
    if args.survivors_of is not None:
        alive = {line.split("SURVIVED ", 1)[1].strip() for line in args.survivors_of.read_text().splitlines()
                 if "SURVIVED " in line}
        todo = [m for m in todo if f"{m.file}:{m.line + 1}: {m.what}" in alive]
    if args.list:
        for m in todo:
            print(f"{m.file}:{m.line + 1}: {m.what}")
        print(f"{len(todo)} mutations")
        return 0
    work = Path(tempfile.mkdtemp(prefix="igclaim-mutate-data-"))
    copy_repository(work)
    env = dict(os.environ, PYTHONPATH=str(work / "src"), PYTHONDONTWRITEBYTECODE="1")
    base = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    tests = _tests()
    quick = args.first.split(",") if args.first else [t for t in tests if t in FIRST]
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
                if args.quick or args.first_only:
                    rc = subprocess.run([*base, *quick], cwd=work, env=env, capture_output=True,
                                        timeout=1800).returncode
                if rc == 0 and not args.first_only:
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
