"""Shared test helpers: the worked examples, and running the installed CLI as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Tests never read a developer's imported CMS data: an empty IGCLAIM_HOME unless a test sets its own (the CLI
# subprocesses inherit it).
os.environ["IGCLAIM_HOME"] = tempfile.mkdtemp(prefix="igclaim-test-home-")
# Starlette's TestClient sends Host: testserver; the API serves only allowed host names (igclaim/web/guard.py).
os.environ.setdefault("IGCLAIM_ALLOWED_HOSTS", "testserver")

ROOT = Path(__file__).resolve().parents[1]


def _examples() -> list[Path]:
    """The worked examples bundled in the repository (examples/e*.json): no test reads a file outside it."""
    return sorted((ROOT / "examples").glob("e*.json"), key=lambda p: p.name)


EXAMPLES = _examples()
CLI = [sys.executable, "-m", "igclaim.cli"]


def load_example(path: Path) -> dict:
    return json.loads(path.read_text())


def examples(mode: str) -> list[Path]:
    return [p for p in EXAMPLES if load_example(p)["mode"] == mode]


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.fixture(scope="session")
def x12_text() -> str:
    """igclaim's own 837P of a party example (office, Gamunex-C), for the 837 reader's tests to change."""
    r = run_cli("export", str(ROOT / "examples" / "parties" / "office-gamunex-jz.json"), "--to", "837p",
                "--charges", "sample")
    assert r.returncode == 0, r.stderr
    return r.stdout


def check_expectations(result: dict, expect: dict) -> list[str]:
    """The rules of examples/README.md: lines one to one by code and JW, exact units, req/forbid modifiers,
    revenue codes, form, type of bill, required and forbidden findings, clean."""
    problems = []
    claim = result["claim"]
    for key in ("form", "type_of_bill"):
        if key in expect and claim.get(key) != expect[key]:
            problems.append(f"{key}: {claim.get(key)!r} != {expect[key]!r}")
    if "lines" in expect:
        got = list(claim["lines"])
        for want in expect["lines"]:
            jw = "JW" in want.get("req", [])
            match = next((g for g in got if g["code"] == want["code"] and ("JW" in g["modifiers"]) == jw), None)
            if match is None:
                problems.append(f"missing line {want['code']}{' JW' if jw else ''}")
                continue
            got.remove(match)
            if match["units"] != want["units"]:
                problems.append(f"{want['code']}: units {match['units']} != {want['units']}")
            for m in want.get("req", []):
                if m not in match["modifiers"]:
                    problems.append(f"{want['code']}: modifier {m} required")
            for m in want.get("forbid", []):
                if m in match["modifiers"]:
                    problems.append(f"{want['code']}: modifier {m} forbidden")
            if "rev" in want and match.get("revenue_code") != want["rev"]:
                problems.append(f"{want['code']}: revenue code {match.get('revenue_code')} != {want['rev']}")
            if "rev_prefix" in want and not (match.get("revenue_code") or "").startswith(want["rev_prefix"]):
                problems.append(f"{want['code']}: revenue code {match.get('revenue_code')} not {want['rev_prefix']}x")
        if got:
            problems.append(f"unexpected lines: {[(g['code'], g['modifiers']) for g in got]}")
    ids = {f["edit"] for f in result["findings"]}
    for fid in expect.get("findings", []):
        if fid not in ids:
            problems.append(f"finding {fid} expected, got {sorted(ids)}")
    for fid in expect.get("no_findings", []):
        if fid in ids:
            problems.append(f"finding {fid} must not appear")
    if expect.get("clean"):
        errors = [f["edit"] for f in result["findings"] if f["severity"] == "error"]
        if errors:
            problems.append(f"expected clean, got errors {errors}")
    return problems


@pytest.fixture(scope="session")
def ref():
    from igclaim.refdata.resolver import reference

    return reference()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty igclaim home: the imported tables of one test only."""
    from igclaim.refdata import store

    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path / "home"))
    store.invalidate()
    yield tmp_path / "home"
    store.invalidate()



_UNDER_MUTMUT = "MUTANT_UNDER_TEST" in os.environ  # mutmut sets it for its stats run and for each mutant's run


@pytest.fixture(autouse=True)
def _fresh_rule_memos():
    """Under mutmut, each test starts with no rule memos (snapshots and their per-snapshot answers, check lists,
    imported-table answers, the caches of coding/ and edits/): otherwise a test that meets an answer an earlier
    test memoised never calls the memoised function, so mutmut neither maps the test to it (stats run) nor runs the
    mutant there (mutant runs), and a mutant in memoised code survives untested. Outside mutmut: nothing."""
    if _UNDER_MUTMUT:
        forget_rule_memos()
    yield


def forget_rule_memos() -> None:
    import functools

    from igclaim.edits import registry
    from igclaim.refdata import rules, store
    from igclaim.refdata.resolver import reference

    reference()._snapshots = None  # the rule snapshots of the process's reference data, with their memos
    for name, module in list(sys.modules.items()):
        if name.startswith(("igclaim.coding.", "igclaim.edits.")):
            for value in list(vars(module).values()):
                if isinstance(value, functools._lru_cache_wrapper):
                    value.cache_clear()
    registry._CHECK_LISTS.clear()
    registry._PLANS.clear()
    rules._SHARED.clear()
    store._TABLES.clear()
    store._IN_FORCE.clear()


def pytest_configure(config):
    config.addinivalue_line("markers", "from_source: the test patches a function of the compiled core or reads what "
                            "compiling drops (doctests, signatures); when the core runs compiled, the test runs in a "
                            "child process from source (IGCLAIM_PURE=1)")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """A compiled function calls another compiled one directly, so a patch of the module's attribute does not reach
    it (igclaim/_native.py): a `from_source` test then runs in a child process whose core runs from source, and
    passes only when the child passes."""
    from igclaim import _native

    if pyfuncitem.get_closest_marker("from_source") is None or _native.MODE != "compiled":
        return None
    done = subprocess.run([sys.executable, "-m", "pytest", "-o", "addopts=", "-q", "-p", "no:randomly",
                           "-p", "no:cacheprovider", pyfuncitem.nodeid], cwd=ROOT,
                          env={**os.environ, "IGCLAIM_PURE": "1"}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"from source, in a child process:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"
    assert "\n1 passed" in "\n" + done.stdout.splitlines()[-1], done.stdout[-2000:]  # it ran, and passed
    return True
