"""The drug pipeline passes frozen stage values (identified → code chosen → dose → units → waste → lines) and the
edits read the final immutable result, `CodedDrug` (issue 10, item 4: typed stages)."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import date
from decimal import Decimal

import pytest

from igclaim import engine, parse_encounter
from igclaim.coding import drug as drug_mod
from igclaim.coding.drug import CodeChosen, CodedDrug, DoseInGrams, DoseUnits, DrugLine, Identified, NoCode, Waste
from igclaim.refdata.resolver import reference
from tests.helpers import drug, encounter


def _coded(enc: dict, profile: str | None = None):
    ref = reference()
    e = parse_encounter(enc)
    prof = engine.resolve_profile(e, ref, profile)
    return engine.code_encounter(e, ref, prof)


def test_every_stage_value_is_frozen_with_slots() -> None:
    classes = [c for _, c in inspect.getmembers(drug_mod, inspect.isclass)
               if c.__module__ == drug_mod.__name__ and dataclasses.is_dataclass(c)]
    assert {c.__name__ for c in classes} >= {"Identified", "CodeChosen", "NoCode", "DoseInGrams", "DoseUnits", "Waste",
                                             "ContainerUse", "DrugLine", "CodedDrug"}
    for c in classes:
        assert c.__dataclass_params__.frozen, c.__name__  # type: ignore[attr-defined]
        # slots (or, compiled, mypyc's native struct): no instance __dict__
        assert c.__dictoffset__ == 0, c.__name__
        assert not [f.name for f in dataclasses.fields(c) if f.type in ("list", "dict", "set")
                    or str(f.type).startswith(("list[", "dict[", "set["))], c.__name__


def test_the_stages_of_a_discard_chain_into_the_final_result() -> None:
    """Privigen 35 g from 4 × 10 g (J1459, 500 mg a unit): 70 units given, 80 opened, 10 discarded on a JW line."""
    enc = encounter(drugs=[drug(product="Privigen", dose={"grams": 35}, containers=[{"grams": 10, "count": 4}])])
    coded = _coded(enc)
    f = coded.drugs["ig1"]
    assert isinstance(f, CodedDrug)
    assert isinstance(f.identified, Identified) and f.identified.is_ig and f.product is not None
    assert f.product.name == "Privigen" and f.path == "drugs[0]"
    assert isinstance(f.chosen, CodeChosen) and (f.code, f.chosen.unit_mg) == ("J1459", 500)
    assert f.hcpcs is f.chosen.record
    assert f.units == DoseUnits(DoseInGrams(Decimal(35), Decimal(350), Decimal(10)), 70)
    assert (f.dose_grams, f.dose_ml, f.concentration, f.administered_units) == (35, 350, 10, 70)
    assert f.waste.opened_grams == 40 and f.waste.opened_units == 80 and f.waste.discarded_units == 10
    assert [(ln.units, ln.modifiers, ln.wasted) for ln in f.lines] == [(70, (), False), (10, ("JW",), True)]
    assert isinstance(f.lines, tuple) and all(isinstance(ln, DrugLine) for ln in f.lines)
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.lines = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.lines[0].units = 71  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.waste.discarded_units = 0  # type: ignore[misc]
    assert [(ln.code, ln.units, ln.modifiers) for ln in coded.claim.lines[:2]] == [
        ("J1459", 70, []), ("J1459", 10, ["JW"])]


def test_nothing_discarded_gets_jz_on_the_given_line_from_2023_07_01() -> None:
    enc = encounter(date_of_service="2023-07-01",
                    administrations=[{"drug_id": "ig1", "start": "2023-07-01T09:00", "stop": "2023-07-01T14:00"}])
    assert _coded(enc).drugs["ig1"].lines[0].modifiers == ("JZ",)
    enc = encounter(date_of_service="2023-06-30",
                    administrations=[{"drug_id": "ig1", "start": "2023-06-30T09:00", "stop": "2023-06-30T14:00"}])
    assert _coded(enc).drugs["ig1"].lines[0].modifiers == ()


def test_a_stage_that_cannot_decide_leaves_no_line() -> None:
    """A bare multi-strength brand given in mL: the code is chosen, the dose in grams cannot be; no units guessed."""
    enc = encounter(drugs=[drug(product="Octagam", dose={"ml": 300}, containers=[])])
    f = _coded(enc).drugs["ig1"]
    assert f.units is None and f.administered_units is None and f.lines == () and f.dose_grams is None
    assert f.waste == Waste()


def test_a_code_that_is_not_an_immune_globulin_code_on_the_date_is_no_code() -> None:
    from igclaim.coding.drug import _choose_code

    ref = reference()
    rules = ref.at(date(2026, 3, 2), ref.default_profile("medicare"))
    ident = Identified(0, parse_encounter(encounter()).drugs[0], True, "IV")
    findings: list = []
    given = rules.known_code("C9072")  # Asceniv's pass-through code, ended 2021-03-31
    assert given is not None and rules.hcpcs("C9072") is None
    out = _choose_code(ident, given, rules, findings)
    assert out == NoCode("C9072", None)
    assert [f.edit for f in findings] == ["DRUG-NO-CODE"]


def test_home_sc_route_modifier_is_on_the_coded_drug_the_edits_read() -> None:
    """Medicare home SCIG: JB goes on the claim's drug lines and on the coded drug's lines (DRUG-ROUTE-MODIFIER
    compares the written lines with them)."""
    enc = encounter(setting="home", drugs=[drug(product="Hizentra", route="SC", dose={"grams": 10},
                                                containers=[{"grams": 10, "count": 1}])],
                    billing_provider=None)
    coded = _coded(enc)
    f = coded.drugs["ig1"]
    assert f.lines[0].modifiers[0] == "JB"
    drug_line = next(ln for ln in coded.claim.lines if ln.code == f.code)
    assert drug_line.modifiers == list(f.lines[0].modifiers)


def test_a_premedication_is_coded_as_given_with_its_waste() -> None:
    enc = encounter(drugs=[drug(), {"id": "pre", "hcpcs": "J1200", "units": 1, "route": "IV",
                                    "containers": [{"units": 2, "count": 1}]}])
    f = _coded(enc).drugs["pre"]
    assert not f.is_ig and f.chosen is None and f.code == "J1200" and f.administered_units == 1
    assert (f.opened_units, f.discarded_units) == (2, 1)
    assert [(ln.units, ln.modifiers) for ln in f.lines] == [(1, ()), (1, ("JW",))]
