"""Which checks a claim runs (edits/registry.py `run_checks`) is worked out once per answer and shared between
snapshots that answer alike (another date of the same interval, another profile with the same parameters): the
shared list must be the one each snapshot would make for itself, across dates, profiles, imported tables and a
check registered late."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from igclaim import engine
from igclaim.coding.claim import code_chart
from igclaim.edits import registry
from igclaim.edits.context import EditContext
from igclaim.edits.registry import CHECKS, SPECS, WHEN, run_checks
from igclaim.inputs import parse_encounter
from igclaim.model import Finding
from igclaim.refdata import store
from igclaim.refdata.resolver import reference
from tests.conftest import ROOT

FIX = Path(__file__).parent / "fixtures" / "cms"
CHART = json.loads((ROOT / "examples" / "e02-gamunex-30g-5h.json").read_text())["input"]


def _ctx(day: date, profile: str, setting: str = "office", **extra: object) -> EditContext:
    engine._load_edit_families()
    chart = json.loads(json.dumps(CHART).replace("2026-03-02", day.isoformat()))
    enc = parse_encounter({**chart, "setting": setting, **extra})
    ref = reference()
    return EditContext(code_chart(enc, ref.at(enc.date_of_service, ref.profile(profile))), ref)


def _own_list(ctx: EditContext, phases: frozenset[str]) -> list:
    """The list this snapshot would make for itself, check by check."""
    return [fn for spec, fn in CHECKS if spec.phase in phases and spec.in_force(ctx.dos)
            and (fn not in WHEN or WHEN[fn].holds(ctx))]


def _used_list(ctx: EditContext, phases: frozenset[str]) -> list:
    """The list run_checks used for this claim (its snapshot's remembered lists of other claims set aside)."""
    for k in [k for k in ctx.rules.memo if k[0] == "checks"]:
        del ctx.rules.memo[k]
    run_checks(ctx, phases)
    (used,) = [list(v) for k, v in ctx.rules.memo.items() if k[0] == "checks"]
    return used


def test_each_snapshot_gets_its_own_answer_across_dates_profiles_and_settings():
    phases = frozenset({"chart"})
    seen = set()
    for profile in sorted(reference().profiles):
        for day in (date(2014, 3, 3), date(2023, 6, 30), date(2023, 7, 3), date(2026, 3, 2), date(2026, 3, 3)):
            for setting in ("office", "home"):
                ctx = _ctx(day, profile, setting)
                used = _used_list(ctx, phases)
                assert used == _own_list(ctx, phases), (profile, day, setting)
                seen.add(tuple(used))
    assert len(seen) > 2  # profiles and settings do differ: the lists are not all one


def test_a_shared_list_is_reused_by_another_date_of_the_same_answers():
    phases = frozenset({"chart"})
    a, b = _ctx(date(2026, 3, 2), "medicare-part-b"), _ctx(date(2026, 3, 4), "medicare-part-b")
    assert a.rules is not b.rules
    run_checks(a, phases)
    made = len(registry._CHECK_LISTS)
    run_checks(b, phases)
    assert len(registry._CHECK_LISTS) == made  # found, not made again
    assert _used_list(a, phases) == _used_list(b, phases) == _own_list(b, phases)


def test_a_check_registered_late_is_run_and_one_removed_is_not():
    phases = frozenset({"chart"})
    ctx = _ctx(date(2026, 3, 2), "commercial")

    def late(_: EditContext) -> list[Finding]:
        return [registry.finding("INPUT-AMBIGUOUS", "late check")]

    before = [f.message for f in run_checks(ctx, phases)]
    CHECKS.append((replace(SPECS["INPUT-AMBIGUOUS"], phase="chart"), late))
    try:
        assert [f.message for f in run_checks(_ctx(date(2026, 3, 2), "commercial"), phases)] == [*before,
                                                                                                 "late check"]
        assert [f.message for f in run_checks(ctx, phases)] == [*before, "late check"]  # the same snapshot too
    finally:
        CHECKS.remove(CHECKS[-1])
    assert [f.message for f in run_checks(ctx, phases)] == before


def test_a_dated_check_runs_from_its_first_day_through_its_last():
    """Dates of the same interval share a list; the day a check comes into force or the day after it ends does not."""
    phases = frozenset({"chart"})

    def dated(_: EditContext) -> list[Finding]:
        return [registry.finding("INPUT-AMBIGUOUS", "dated check")]

    CHECKS.append((replace(SPECS["INPUT-AMBIGUOUS"], phase="chart", effective=date(2026, 3, 3),
                           ends=date(2026, 3, 5)), dated))
    try:
        ran = {day: "dated check" in [f.message for f in run_checks(_ctx(date(2026, 3, day), "commercial"), phases)]
               for day in (2, 3, 4, 5, 6, 2, 6, 4)}
    finally:
        CHECKS.remove(CHECKS[-1])
    assert ran == {2: False, 3: True, 4: True, 5: True, 6: False}


def test_an_import_gives_the_new_snapshots_the_table_checks(home):
    phases = frozenset({"chart"})
    day = date(2026, 4, 14)
    mue_checks = [fn for _, fn in CHECKS if fn in WHEN and "mue" in WHEN[fn].tables]
    assert mue_checks
    before = _ctx(day, "medicare-part-b")
    assert not set(mue_checks) & set(_used_list(before, phases))
    store.import_file("mue", FIX / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv")
    after = _ctx(day, "medicare-part-b")
    assert after.rules.tables is not before.rules.tables
    assert set(mue_checks) <= set(_used_list(after, phases)) and _used_list(after, phases) == _own_list(after, phases)
    assert not set(mue_checks) & set(_used_list(before, phases))  # a snapshot in hand keeps its tables' answer


def test_profiles_differing_only_in_home_rules_get_their_own_home_lists():
    """A home claim under Medicare Part B (home_rules medicare-dme: the DME MAC's supply checks apply) and under the
    same profile with another home_rules must not share one list: home_rules is part of what the list answers to."""
    ref = reference()
    part_b = ref.profile("medicare-part-b")
    rule = part_b.parameters["home_rules"]
    other_value = "professional"
    variant = replace(part_b, name="medicare-part-b-other-home", path=part_b.path + "#variant",
                      parameters={**part_b.parameters, "home_rules": replace(rule, values=((date(2000, 1, 1),
                                                                                            other_value),))})
    engine._load_edit_families()
    chart = json.loads(json.dumps(CHART))
    lists = []
    for profile in (part_b, variant, part_b):
        enc = parse_encounter({**chart, "setting": "home"})
        coding = code_chart(enc, ref.at(enc.date_of_service, profile))
        ctx = EditContext(coding, ref, coding.claim)  # a scrub of the claim as coded: the home form checks are claim's
        used = _used_list(ctx, frozenset({"chart", "claim"}))
        assert used == _own_list(ctx, frozenset({"chart", "claim"})), profile.name
        lists.append(used)
    assert lists[0] != lists[1]  # the DME MAC's home form checks apply under medicare-dme only
    assert lists[0] == lists[2]


def test_the_second_date_of_an_interval_runs_the_very_list_the_first_one_made():
    """What makes a new date of service cheap: the second snapshot of the interval takes the list object the first
    one made (found by the snapshot's signature), instead of making its own; one list is kept for both."""
    phases = frozenset({"chart"})
    a, b = _ctx(date(2026, 3, 2), "medicare-part-b"), _ctx(date(2026, 3, 4), "medicare-part-b")
    for ctx in (a, b):
        for k in [k for k in ctx.rules.memo if k[0] in ("checks", "checks.signature")]:
            del ctx.rules.memo[k]
    registry._CHECK_LISTS.clear()
    run_checks(a, phases)
    run_checks(b, phases)
    (made,) = [v for k, v in a.rules.memo.items() if k[0] == "checks"]
    (taken,) = [v for k, v in b.rules.memo.items() if k[0] == "checks"]
    assert taken is made and list(registry._CHECK_LISTS.values()) == [made]
    assert list(made) == _own_list(b, phases)


_ORDER = """
import sys
for name in sys.argv[1:]:
    __import__(name)
from igclaim import engine
engine._load_edit_families()
from igclaim.edits.registry import CHECKS
print(" ".join(f"{fn.__module__}.{fn.__name__}:{spec.id}" for spec, fn in CHECKS))
"""


def _order(*first: str) -> list[str]:
    """The order of CHECKS in a fresh process that imports `first` before the engine, from this tree's src (so a
    mutation run, whose copy is not the installed package, tests its own registry)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run([sys.executable, "-c", _ORDER, *first], capture_output=True, text=True, check=True,
                         cwd=ROOT, env=env)
    return out.stdout.split()


def test_the_checks_run_in_one_order_whatever_was_imported_first():
    """A program that imports an edit family before the engine (igclaim.edits.tables for its helpers, say) gets
    the same order of checks, so the same findings (`one_per_mistake` keeps the first finding of one mistake):
    the drug family first, then the families by module name, each in the order its checks are written."""
    plain = _order()
    assert _order("igclaim.edits.tables") == plain
    assert _order("igclaim.edits.written", "igclaim.edits.plausibility") == plain
    modules = [entry.split(":")[0].rsplit(".", 1)[0] for entry in plain]
    families = list(dict.fromkeys(modules))
    assert families[0] == "igclaim.edits.drug"
    assert families[1:] == sorted(families[1:])
    assert modules == sorted(modules, key=families.index)  # each family's checks together
    # Within a family, the order of the source: ADMIN-TIMES-MISSING's claim check is written before ADMIN-HYDRATION's.
    admin = [entry.split(":")[1] for entry in plain if entry.startswith("igclaim.edits.administration.")]
    assert admin.index("ADMIN-TIMES-MISSING") < admin.index("ADMIN-HYDRATION")
