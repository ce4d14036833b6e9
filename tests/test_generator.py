"""The benchmark generator: seeded, realistic (reference products, covered doses) and its written-claim errors
are real errors (the scrubber finds something the correct claim does not have)."""

from __future__ import annotations

import copy
import json
import random
import sys
from collections import Counter
from decimal import Decimal

import pytest

from igclaim import engine
from igclaim.batch.sources import Source
from igclaim.batch.tabular import rows_to_encounter
from igclaim.errors import InputError
from igclaim.inputs import InvalidInput, parse_encounter
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402


def test_seeded_and_deterministic():
    a = list(generate.encounters(300, seed=11))
    assert a == list(generate.encounters(300, seed=11))
    assert a != list(generate.encounters(300, seed=12))
    assert len({r["encounter_id"] for r in a if isinstance(r, dict)}) == sum(isinstance(r, dict) for r in a)


def test_records_are_realistic(ref):
    records = [r for r in generate.encounters(1500, seed=5, bad_share=0) if isinstance(r, dict)]
    assert len(records) == 1500
    products = Counter()
    for rec in records:
        enc = parse_encounter(rec)
        drug = enc.drugs[0]
        product = next(p for p in ref.products if p.name == drug.product)
        products[product.name] += 1
        grams = drug.dose.grams if drug.dose.grams is not None else drug.dose.ml * product.concentration_percent / 100
        opened = sum(c.grams * c.count for c in drug.containers)
        sizes = {k.grams for k in product.packages}
        assert opened >= grams and {c.grams for c in drug.containers} <= sizes
        assert drug.route in product.routes
    assert len(products) >= 10  # many products, not one
    with_claim = sum("claim" in r for r in records) / len(records)
    assert 0.4 < with_claim < 0.6
    assert {r["setting"] for r in records} == {"office", "hospital_outpatient", "home"}
    assert {r["payer"]["type"] for r in records} == {"medicare", "medicare_advantage", "medicaid", "commercial"}


def test_malformed_records_are_malformed():
    bad = [r for r in generate.encounters(3000, seed=2, bad_share=0.05)
           if isinstance(r, str) or r["encounter_id"].startswith("bad-")]
    assert len(bad) > 50
    for rec in bad:
        with pytest.raises((InvalidInput, InputError, json.JSONDecodeError)):
            obj = json.loads(rec) if isinstance(rec, str) else rec
            engine.build(parse_encounter(obj))


def _medicare_iv_chart(rng: random.Random) -> dict:
    products = generate._products()
    while True:
        enc = generate.make_chart(rng, 1, products)
        drug = enc["drugs"][0]
        if (enc["payer"]["type"] == "medicare" and enc["setting"] == "office" and drug["route"] == "IV"
                and "stop" in enc["administrations"][0] and "grams" in drug["dose"]):
            enc.pop("fluids", None)
            return enc


@pytest.mark.parametrize("error", generate.WRITTEN_ERRORS)
def test_written_errors_are_found(error):
    rng = random.Random(generate.WRITTEN_ERRORS.index(error))
    chart = _medicare_iv_chart(rng)
    if error == "jw_dropped":  # needs a discard: open one container more than the dose
        size = Decimal(chart["drugs"][0]["containers"][0]["grams"])
        chart["drugs"][0]["containers"].append({"grams": str(size), "count": 1})
    if error == "units_by_ml":
        chart["drugs"][0]["dose"] = {"ml": str(Decimal(chart["drugs"][0]["dose"]["grams"]) * 10)}
        chart["drugs"][0]["product"] = "Privigen"
        chart["drugs"][0]["containers"] = [{"grams": "40", "count": 3}]
    right = generate.add_written_claim(rng, copy.deepcopy(chart), None)
    wrong = generate.add_written_claim(rng, copy.deepcopy(chart), error)
    if error in ("addon_on_61_minutes", "flush_as_hydration"):  # the chart changes with the error
        right = generate.add_written_claim(rng, {**copy.deepcopy(wrong), "claim": None}, None)
    assert wrong["claim"] != right["claim"]
    found_right = {(f.edit, f.line) for f in engine.scrub(parse_encounter(right)).findings}
    found_wrong = {(f.edit, f.line) for f in engine.scrub(parse_encounter(wrong)).findings}
    assert found_wrong - found_right, f"{error}: nothing new found"


def test_csv_and_parquet_hold_the_same_encounters(tmp_path):
    records = list(generate.encounters(200, seed=9, bad_share=0))
    generate.write_csv(tmp_path / "g.csv", iter(records))
    generate.write_parquet(tmp_path / "g.parquet", iter(records))
    for name in ("g.csv", "g.parquet"):
        got = [parse_encounter(rows_to_encounter(r.payload)) for r in Source(tmp_path / name)]
        assert got == [parse_encounter(r) for r in records]
