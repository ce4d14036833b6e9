"""Coding and the edits read the dated rule snapshot (`ctx.rules`, refdata/rules.py) at run time: nothing is read
from the reference data when their modules are imported, and they never open the resolver, the environment or the
store themselves (issue 10, items 1 and 2)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "igclaim"
CORE = sorted(p for d in ("coding", "edits") for p in (SRC / d).glob("*.py"))


def _calls(node: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call)]


def _name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _module_level(tree: ast.Module) -> list[ast.AST]:
    """What runs when the module is imported: every statement but function bodies (decorators and defaults run)."""
    out: list[ast.AST] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            out += [*stmt.decorator_list, *stmt.args.defaults, *(d for d in stmt.args.kw_defaults if d)]
        elif isinstance(stmt, ast.ClassDef):
            out += [*stmt.decorator_list, *(s for s in stmt.body if not isinstance(s, ast.FunctionDef))]
        else:
            out.append(stmt)
    return out


@pytest.mark.parametrize("path", CORE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_reference_data_is_read_at_import(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [f"{path.name}:{c.lineno} {_name(c)}()" for node in _module_level(tree) for c in _calls(node)
             if _name(c) in {"reference", "tables", "mac", "data_version", "icd10_releases", "releases"}]
    assert found == []


@pytest.mark.parametrize("path", CORE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_coding_and_edits_never_open_the_resolver_or_the_store(path: Path) -> None:
    """They read `Rules` (ctx.rules): no call of `reference()`, `store.tables()`, `mac()` or `os.environ` anywhere."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    calls = [f"{path.name}:{c.lineno} {_name(c)}()" for c in _calls(tree)
             if _name(c) in {"reference", "tables", "mac", "held", "data_version", "icd10_releases"}]
    imports = [f"{path.name}:{n.lineno} {n.module}.{a.name}" for n in ast.walk(tree)
               if isinstance(n, ast.ImportFrom) for a in n.names
               if n.module == "os" or (str(n.module).startswith("igclaim.refdata")
                                       and a.name in {"reference", "tables", "mac", "data_version", "icd10_releases"})]
    assert calls + imports == []
    assert "environ" not in text
    assert "ctx.ref." not in text and "ctx.ref)" not in text  # the catalog too is read through ctx.rules


def test_importing_coding_and_every_edit_family_loads_no_reference_data() -> None:
    code = ("import importlib, pkgutil, igclaim.edits as e\n"
            "for m in pkgutil.iter_modules(e.__path__): importlib.import_module('igclaim.edits.' + m.name)\n"
            "import igclaim.coding.claim, igclaim.engine\n"
            "from igclaim.refdata.resolver import reference\n"
            "print(reference.cache_info().currsize)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_statements_quote_the_data_when_read() -> None:
    """A statement quotes its threshold from the data files (`{name}` filled by igclaim.catalog.quote)."""
    from igclaim import engine
    from igclaim.catalog import SPECS, quote
    from igclaim.refdata.resolver import reference

    engine._load_edit_families()
    t = reference().time
    assert SPECS["ADMIN-PUSH"].statement_text.count("{push_max_minutes}") == 1
    assert f"of {t.push_max_minutes} minutes or less" in SPECS["ADMIN-PUSH"].statement
    assert f"({t.hour_minutes + t.addon_beyond_minutes + 1} minutes → 1" in SPECS["ADMIN-ADDON-UNITS"].fix
    jz_from = reference().default_profile("medicare").parameters["jz_required"].since(True)
    assert f"from {jz_from}." in SPECS["DRUG-PREMED-CONTAINERS"].fix
    assert quote("no placeholder") == "no placeholder"
    assert all("{" not in s.statement and "{" not in s.fix for s in SPECS.values())


@pytest.mark.from_source  # icd10.py and dated.py are compiled with the core, which keeps no doctests
@pytest.mark.parametrize("name", ["mac", "icd10", "dated"])
def test_reference_module_doctests(name: str) -> None:
    import doctest
    import importlib

    module = importlib.import_module(f"igclaim.refdata.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_one_icd10_release_list_per_data_version() -> None:
    """The releases (and the earliest date they give) are built once per data version, not per claim: every
    snapshot of one version holds the same object, and a registration makes a new one."""
    from datetime import date

    from igclaim.edits.plausibility import earliest_data
    from igclaim.refdata import icd10
    from igclaim.refdata.resolver import reference

    ref = reference()
    a = ref.at(date(2026, 3, 2), ref.default_profile("medicare"))
    b = ref.at(date(2025, 11, 3), ref.default_profile("commercial"))
    assert a.icd10 is b.icd10 and a.mac is b.mac and a.tables is b.tables
    assert a.earliest_data() == b.earliest_data() == earliest_data(ref)
    assert a.earliest_data() == min(*(r.effective for r in a.icd10.all), ref.first_code_date)
    rel = icd10.register_release("TEST-SNAPSHOT", date(2001, 1, 1), date(2001, 12, 31), ["D83.9"], "test")
    try:
        c = ref.at(date(2026, 3, 2), ref.default_profile("medicare"))
        assert c is not a and c.icd10 is not a.icd10 and rel in c.icd10.all
        assert c.earliest_data() == min(date(2001, 1, 1), a.earliest_data() or date.max)
        assert c.dx_billable("D83.9") is a.dx_billable("D83.9") is True
    finally:
        icd10._REGISTERED.remove(rel)
    assert ref.at(date(2026, 3, 2), ref.default_profile("medicare")).icd10 is a.icd10


def test_one_dated_range_rule() -> None:
    """Every "in force on the date of service" test of a [start, end] range is `refdata.dated.within`: no module of
    the core writes the comparison again (edits/registry.py keeps its hot loop's inline copy of EditSpec.in_force)."""
    import re

    pattern = re.compile(r"is None or [\w.\[\]]+ ?<=? ?(dos|day)\b|\b(dos|day) ?<=? ?[\w.]+ ?<=|<= ?(dos|day) ?<=")
    core = [SRC / "catalog.py", *(p for d in ("coding", "edits", "refdata") for p in (SRC / d).rglob("*.py"))]
    found = [f"{p.relative_to(SRC)}:{i}" for p in core if p.name not in ("dated.py", "registry.py")
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert found == []
    assert pattern.search("(self.effective is None or self.effective <= dos)")
    assert pattern.search("return self.effective <= dos <= self.ends")


def test_coverage_verdicts_are_remembered_and_bounded(monkeypatch) -> None:
    """Diagnosis coverage is decided once per (policy, diagnoses, route, products) and per (contractor's lists on a
    date and data version, diagnoses): the same question gets the same answer without being worked out again."""
    from datetime import date

    from igclaim.refdata import coverage
    from igclaim.refdata.resolver import reference

    pol = coverage.policy("default-ig")
    first = pol.covering(["D83.9"], "IV", ("J1561",))
    assert first is not None and pol.covering(["D83.9"], "IV", ("J1561",)) is first
    assert ("covering", ("D83.9",), "IV", ("J1561",)) in pol._verdicts
    assert pol.covering(["G43.909"], "IV", ("J1561",)) is None  # another question, its own answer
    assert pol.uncertain_notes(["D83.9"], "IV") == pol._uncertain_notes(["D83.9"], "IV", ())
    monkeypatch.setattr(coverage, "VERDICTS_LIMIT", 2)
    pol._verdicts.clear()
    for code in ("D80.1", "D80.2", "D80.3"):
        pol.covering([code], "IV")
    assert len(pol._verdicts) <= 2

    ref = reference()
    rules = ref.at(date(2026, 3, 2), ref.default_profile("medicare"))
    lookup = rules.ab_lookup("JN")
    assert lookup is rules.ab_lookup("j09")  # one lookup per contractor, date and data version
    st = lookup.status(["G43.909"])
    assert st.kind == "not_covered" and lookup.status(["G43.909"]) is st
    assert lookup.status(["D80.1"]).kind == "covered"


def test_the_snapshot_holds_the_resolvers_dated_answers() -> None:
    """One implementation per dated lookup: the snapshot's codes, modifiers and add-on edits are the resolver's
    answers for its date, on both sides of every boundary in the data."""
    from datetime import timedelta

    from igclaim.refdata.resolver import reference

    ref = reference()
    prof = ref.default_profile("medicare")
    periods = [*(r.period for recs in ref.codes.values() for r in recs), *ref.modifiers.values(),
               *(a.period for recs in ref.addon_edits.values() for a in recs)]
    days = {d + timedelta(days=k) for p in periods for d in (p.effective, p.ends) if d for k in (-1, 0, 1)}
    assert len(days) > 20
    for day in sorted(days):
        rules = ref.at(day, prof)
        assert {c: r for c in ref.codes if (r := ref.hcpcs(c, day))} == dict(rules.codes)
        assert all(rules.modifier_valid(m) is ref.modifier_valid(m, day) for m in ref.modifiers)
        assert all(rules.addon_primaries(c) == ref.addon_primaries(c, day) for c in ref.addon_edits)


def test_no_assert_anywhere_in_src() -> None:
    """`python -O` drops asserts: src narrows with an `if` or `errors.required`, never an assert."""
    found = [f"{p.relative_to(SRC)}:{n.lineno}" for p in SRC.rglob("*.py")
             for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))) if isinstance(n, ast.Assert)]
    assert found == []


def test_required_names_what_is_missing() -> None:
    from igclaim.errors import InternalError, required

    assert required(0, "zero is present") == 0
    with pytest.raises(InternalError, match="billing_provider is missing"):
        required(None, "billing_provider")


def test_an_icd10_import_reaches_the_next_claims_snapshot_not_one_already_held(tmp_path, monkeypatch) -> None:
    """The releases ride in the snapshot: a claim coded after an import sees the imported release (DX-INVALID reads
    ctx.rules.icd10), a snapshot taken before keeps the releases it started with."""
    from datetime import date

    from igclaim import engine, parse_encounter
    from igclaim.refdata import store
    from igclaim.refdata.importers import Options
    from igclaim.refdata.resolver import reference
    from tests.helpers import encounter

    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path / "home"))
    store.invalidate()
    try:
        ref = reference()
        prof = ref.default_profile("medicare")
        day = date(2026, 5, 1)
        before = ref.at(day, prof)
        store.import_file("icd10", Path(__file__).parent / "fixtures" / "cms" / "icd10cm_order_2026-real-excerpt.txt",
                          Options(effective=date(2026, 4, 1), ends=date(2026, 9, 30)))
        store.invalidate()  # what the stamp does for a running process (at most a second later)
        after = ref.at(day, prof)
        assert after.icd10 is not before.icd10 and after.tables is not before.tables
        imported = "imported icd10cm_order_2026-real-excerpt.txt"
        assert after.icd10.release_for(day).name == imported
        assert before.icd10.release_for(day).name != imported
        res = engine.build(parse_encounter(encounter(
            date_of_service="2026-05-01", diagnoses=["G61.8"],
            administrations=[{"drug_id": "ig1", "start": "2026-05-01T09:00", "stop": "2026-05-01T14:00"}])))
        [dx] = [f for f in res.findings if f.edit == "DX-INVALID"]
        assert imported.removeprefix("imported ") in dx.message and ("diagnosis", "G61.8") in dx.causes
    finally:
        store.invalidate()
