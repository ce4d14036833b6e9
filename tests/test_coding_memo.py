"""Coding decides some answers once per rule snapshot (`Rules.once`): a product family's code in a setting, a
container size's crosswalk units, the date's discard modifiers. These tests code charts that differ only in what
such a memo must tell apart, on one snapshot and in both orders, so a memo keyed too loosely serves a wrong answer."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from igclaim import engine, parse_encounter
from igclaim.coding.drug import CodedDrug, DrugLine, Waste, code_drug, discard_modifiers
from igclaim.refdata.resolver import reference
from tests.helpers import encounter


def _asceniv(setting: str) -> dict:
    return encounter(date_of_service="2021-03-31", setting=setting, drugs=[
        {"id": "ig1", "product": "Asceniv", "dose": {"grams": 5}, "containers": [{"grams": 5}]}],
        administrations=[{"drug_id": "ig1", "start": "2021-03-31T09:00", "stop": "2021-03-31T11:00"}])


def _code(chart: dict) -> CodedDrug:
    ref = reference()
    enc = parse_encounter(chart)
    rules = ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))
    return code_drug(enc.drugs[0], 0, rules, [], enc.setting)


@pytest.mark.parametrize("order", [("hospital_outpatient", "office"), ("office", "hospital_outpatient")])
def test_one_snapshot_codes_a_product_by_its_setting_in_any_order(order: tuple[str, str]) -> None:
    """Asceniv on 2021-03-31: the pass-through C9072 in a hospital outpatient department, the NOS J1599 in an
    office (the same date and profile, so the same snapshot and memo)."""
    expected = {"hospital_outpatient": ("C9072", 500), "office": ("J1599", 10)}
    for _ in range(2):
        for setting in order:
            f = _code(_asceniv(setting))
            assert (f.code, f.administered_units) == expected[setting], setting


def test_a_container_size_is_looked_up_per_size() -> None:
    """Cutaquig vials given by size on one snapshot (J1551, 100 mg a unit): 6 mL is the crosswalk's 10 units and
    12 mL its 20, 10 mL has no crosswalk row (1.65 g = 16.5 units), whatever size was asked before."""
    units = {6: 10, 10: Decimal("16.5"), 12: 20}
    for sizes in ([6], [10], [12], [6, 10], [10, 6], [12, 6], [6], [12]):
        chart = encounter(date_of_service="2026-03-02", drugs=[
            {"id": "ig1", "product": "Cutaquig", "route": "SC", "dose": {"grams": "0.9"},
             "containers": [{"ml": ml, "count": 1} for ml in sizes]}])
        f = _code(chart)
        assert f.waste.opened_units == int(sum(units[ml] for ml in sizes)), sizes
        assert f.waste.discarded_units == f.waste.opened_units - 9, sizes


def test_discard_modifiers_follow_the_snapshot_date() -> None:
    """JZ is required from 2023-07-01 (Medicare): the memo is per snapshot, so the day before says otherwise."""
    ref = reference()
    medicare = ref.default_profile("medicare")
    before, on = ref.at(date(2023, 6, 30), medicare), ref.at(date(2023, 7, 1), medicare)
    assert (discard_modifiers(on).jz, discard_modifiers(before).jz) == (True, False)
    assert discard_modifiers(on) is discard_modifiers(on)  # read once per snapshot
    assert (discard_modifiers(on).discarded, discard_modifiers(on).zero_discarded) == ("JW", "JZ")


def test_stage_values_built_by_the_quick_init_are_the_dataclass_values() -> None:
    """`quick_init` keeps each class's parameters, defaults, equality and frozenness."""
    line = DrugLine("J1459", 70)
    assert line == DrugLine(code="J1459", units=70, modifiers=(), ndc=None, ndc_quantity=None, ndc_unit=None,
                            drug_id="", wasted=False)
    assert dataclasses.replace(line, units=71).units == 71 and line.units == 70
    assert Waste() == Waste((), None, None, 0)
    with pytest.raises(TypeError):
        DrugLine("J1459")  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.units = 1  # type: ignore[misc]
