"""A check's `When` (edits/registry.py) only lets `run_checks` skip it when it could find nothing: on every example
and a seeded sample of generated charts, each check skipped for a claim yields no finding when called anyway, and
the findings of a claim are the same with and without the skipping. The tables a check reads are part of it: with
an MUE file imported, the MUE checks run and find what they found before."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from igclaim import engine
from igclaim.coding.claim import code_chart
from igclaim.edits.context import EditContext
from igclaim.edits.registry import CHECKS, WHEN, run_checks
from igclaim.errors import InputError
from igclaim.inputs import InvalidInput, parse_encounter
from igclaim.refdata import store
from igclaim.refdata.resolver import reference
from tests.conftest import ROOT
from tests.helpers import example_input

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402

FIX = Path(__file__).parent / "fixtures" / "cms"


def _charts() -> list[dict]:
    out = []
    for path in sorted((ROOT / "examples").glob("*.json")):
        data = json.loads(path.read_text())
        out.append(data.get("input", data))
    out += [r for r in generate.encounters(160, seed=5) if isinstance(r, dict)]
    # What the generator never writes: an authorization that has run out or is too small, a pump log that differs.
    base = json.loads((ROOT / "examples" / "e02-gamunex-30g-5h.json").read_text())["input"]
    out.append({**base, "payer": {"type": "commercial", "prior_authorization": {
        "number": "PA-1", "start": "2025-01-01", "end": "2025-12-31", "units": 10}}})
    out.append({**base, "pump_log": [{"drug_id": base["drugs"][0]["id"], "start": "2026-03-02T09:00",
                                      "stop": "2026-03-02T10:40"}]})
    return out


def _contexts():
    engine._load_edit_families()
    ref = reference()
    for chart in _charts():
        try:
            enc = parse_encounter(chart)
            rules = ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))
            coding = code_chart(enc, rules)
        except (InvalidInput, InputError):
            continue
        for written in ([None, enc.claim] if enc.claim else [None]):
            yield EditContext(coding, ref, written), ["chart", "claim"] if written else ["chart"]


def _all_checks(ctx: EditContext, phases: list[str]) -> list:
    return [f for spec, fn in CHECKS if spec.phase in phases and spec.in_force(ctx.dos) for f in fn(ctx)]


def test_a_skipped_check_finds_nothing_and_the_findings_do_not_change():
    skipped = ran = 0
    for ctx, phases in _contexts():
        for spec, fn in CHECKS:
            if spec.phase not in phases or not spec.in_force(ctx.dos) or fn not in WHEN:
                continue
            if WHEN[fn].holds(ctx):
                ran += 1
            else:
                skipped += 1
                assert list(fn(ctx)) == [], (spec.id, fn.__name__, ctx.encounter.encounter_id)
        assert list(run_checks(ctx, phases)) == _all_checks(ctx, phases), ctx.encounter.encounter_id
    assert skipped > 100 and ran > 100  # both sides of every kind of `When` were exercised



def test_table_checks_run_once_their_table_is_imported(home):
    chart = example_input("e02-gamunex-30g-5h", "2026-04-14")
    chart["drugs"][0]["dose"] = {"grams": 300}
    chart["drugs"][0]["containers"] = [{"grams": 20, "count": 15}]
    enc = parse_encounter(chart)
    assert not [f for f in engine.build(enc).findings if f.edit == "DRUG-MUE"]  # no MUE table: nothing to say
    store.import_file("mue", FIX / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv")
    assert [f for f in engine.build(enc).findings if f.edit == "DRUG-MUE"]
