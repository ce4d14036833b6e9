"""Coding decides some answers once per rule snapshot (`Rules.once`): a product family's code in a setting, a
container size's crosswalk units, the date's discard modifiers. These tests code charts that differ only in what
such a memo must tell apart, on one snapshot and in both orders, so a memo keyed too loosely serves a wrong answer."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from igclaim import engine, parse_encounter
from igclaim.coding import drug
from igclaim.coding.administration import AdminLine, Service
from igclaim.coding.claim import Coding
from igclaim.coding.drug import CodedDrug, DrugLine, Waste, code_drug, discard_modifiers
from igclaim.edits.context import EditContext
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


def test_stage_values_built_by_a_written_out_init_are_the_dataclass_values() -> None:
    """A written-out `__init__` keeps the class's parameters, defaults, equality and frozenness."""
    line = DrugLine("J1459", 70)
    assert line == DrugLine(code="J1459", units=70, modifiers=(), ndc=None, ndc_quantity=None, ndc_unit=None,
                            drug_id="", wasted=False)
    assert dataclasses.replace(line, units=71).units == 71 and line.units == 70
    assert Waste() == Waste((), None, None, 0)
    with pytest.raises(TypeError):
        DrugLine("J1459")  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.units = 1  # type: ignore[misc]


# The classes whose `__init__` is written out (coding/drug.py says why), each with a fully-specified instance's
# arguments: the hand-written `__init__` must take the dataclass fields' names, order, defaults and kinds.
_WRITTEN_INITS = [drug.ContainerUse, drug.DrugLine, drug.Identified, drug.DoseInGrams, drug.DoseUnits, drug.Waste,
                  drug.CodedDrug, Service, AdminLine, Coding, EditContext]


@pytest.mark.from_source  # a compiled __init__ has no signature to read
@pytest.mark.parametrize("cls", _WRITTEN_INITS, ids=lambda c: c.__name__)
def test_a_written_out_init_takes_the_dataclass_fields(cls: type) -> None:
    """Each written-out `__init__` has exactly the parameters dataclass would generate, in order, with the same
    defaults; a field with a default factory takes None for a fresh value of its own."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = [f for f in dataclasses.fields(cls) if f.init]
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields, strict=True):
        kind = inspect.Parameter.KEYWORD_ONLY if f.kw_only else inspect.Parameter.POSITIONAL_OR_KEYWORD
        default = (None if f.default_factory is not dataclasses.MISSING
                   else inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default)
        assert (p.kind, p.default) == (kind, default), f.name


@pytest.mark.from_source  # compiled, each argument's type is checked: this test passes placeholders
@pytest.mark.parametrize("cls", _WRITTEN_INITS, ids=lambda c: c.__name__)
def test_a_written_out_init_sets_every_field_to_its_argument_or_default(cls: type) -> None:
    """Each field gets its own argument (a distinct object per field, so a swapped pair fails), and a default
    factory's field a new value per instance."""
    fields = [f for f in dataclasses.fields(cls) if f.init]
    given = {f.name: object() for f in fields}
    made = object.__new__(cls)
    if cls is EditContext:  # its __init__ reads the coding's facts
        coding = SimpleNamespace(rules=SimpleNamespace(dos=date(2026, 3, 2)), encounter=1, claim=2, profile=3)
        given = {"coding": coding, "ref": object(), "written": None, "_memo": {}}
    cls.__init__(made, **given)
    for name, value in given.items():
        assert getattr(made, name) is value, name
    required = {f.name: given[f.name] for f in fields
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    one, two = object.__new__(cls), object.__new__(cls)
    cls.__init__(one, **required)
    cls.__init__(two, **required)
    for f in fields:
        if f.default_factory is not dataclasses.MISSING:
            assert getattr(one, f.name) == f.default_factory() and getattr(one, f.name) is not getattr(two, f.name)
        elif f.default is not dataclasses.MISSING:
            assert getattr(one, f.name) is f.default, f.name


def _medicare_rules(day: date = date(2026, 3, 2)):
    ref = reference()
    return ref.at(day, ref.default_profile("medicare"))


@pytest.mark.parametrize("order", [("Privigen", "Hizentra"), ("Hizentra", "Privigen")])
def test_a_product_name_finds_its_own_family_on_one_snapshot(order: tuple[str, str]) -> None:
    """The products a chart's name matches are remembered per snapshot and name: Privigen is J1459, Hizentra J1559,
    whichever was coded first."""
    expected = {"Privigen": "J1459", "Hizentra": "J1559"}
    for _ in range(2):
        for name in order:
            chart = encounter(drugs=[{"id": "ig1", "product": name, "dose": {"grams": 10},
                                      "containers": [{"grams": 10}]}])
            assert _code(chart).code == expected[name], name


@pytest.mark.parametrize("order", [("Privigen", "Hizentra"), ("Hizentra", "Privigen")])
def test_a_drug_given_by_ndc_alone_finds_its_own_family_on_one_snapshot(order: tuple[str, str]) -> None:
    """A drug named only by its NDC: the family of the NDC's product (remembered per snapshot and product names)."""
    ref = reference()
    ndc = {p.name: next(pk.ndc for pk in p.packages if pk.ndc) for p in ref.products if p.name in order}
    expected = {"Privigen": ("J1459", "IV"), "Hizentra": ("J1559", "SC")}
    for _ in range(2):
        for name in order:
            chart = encounter(drugs=[{"id": "ig1", "ndc": ndc[name], "dose": {"grams": 10},
                                      "containers": [{"grams": 10}]}])
            f = _code(chart)
            assert (f.code, f.route, f.product and f.product.name) == (*expected[name], name)


def test_a_container_in_grams_takes_the_crosswalk_units_of_its_own_family_and_code() -> None:
    """Cutaquig's 0.99 g vial (NDC 00069-1061-02) is 10 units of J1551 in the CMS crosswalk although 0.99 g makes
    9.9. A family whose 0.99 g package carries another NDC, or the same vial billed with another code, has no
    crosswalk row: the labeled grams ÷ the unit. The sizes' units are remembered per snapshot, family and code, so
    each pair is coded on one snapshot in both orders."""
    from igclaim.coding.drug import CodeChosen, DoseInGrams, DoseUnits, Identified, _containers, family_of

    rules = _medicare_rules()
    (cutaquig,) = [p for p in reference().products if p.name == "Cutaquig"]
    other = dataclasses.replace(cutaquig, name="Cutaquig of another labeler", packages=tuple(
        dataclasses.replace(pk, ndc="99999999999") for pk in cutaquig.packages))
    chart = parse_encounter(encounter(drugs=[{"id": "ig1", "product": "Cutaquig", "route": "SC",
                                              "dose": {"grams": "0.9"}, "containers": [{"grams": "0.99"}]}]))
    drug = chart.drugs[0]

    def units(product, code: str) -> Decimal:
        record = rules.hcpcs(code)
        assert record is not None and record.unit_mg is not None
        ident = Identified(0, drug, True, "SC", (product,))
        dose = DoseUnits(DoseInGrams(Decimal("0.9"), None, None), 9)
        (use,) = _containers(ident, family_of([product], rules), CodeChosen(code, record, record.unit_mg), dose, rules)
        return use.units

    j1559 = rules.hcpcs("J1559")
    assert j1559 is not None and j1559.unit_mg is not None
    expected = {(cutaquig.name, "J1551"): Decimal(10), (other.name, "J1551"): Decimal("9.9"),
                (cutaquig.name, "J1559"): Decimal("0.99") * 1000 / j1559.unit_mg}
    pairs = [(cutaquig, "J1551"), (other, "J1551"), (cutaquig, "J1559")]
    for sequence in (pairs, pairs[::-1], pairs):
        for product, code in sequence:
            assert units(product, code) == expected[(product.name, code)], (product.name, code)


def _cutaquig(grams: str, *ndcs: str):
    from igclaim import engine
    from igclaim.inputs import parse_encounter

    return engine.build(parse_encounter({
        "encounter_id": "cq", "date_of_service": "2026-03-02", "setting": "office", "payer": {"type": "medicare"},
        "diagnoses": ["D83.9"], "administrations": [{"drug_id": "ig1", "start": "2026-03-02T09:00",
                                                     "stop": "2026-03-02T10:00"}],
        "drugs": [{"id": "ig1", "product": "Cutaquig", "route": "SC", "dose": {"grams": grams},
                   "containers": [{"ndc": n} for n in ndcs]}]}))


def test_a_dose_of_1_g_from_a_6_ml_vial_is_billed_not_refused():
    """Cutaquig's label measures a dose as 6 mL per gram, and the crosswalk bills the 6 mL vial as 10 units (1 g),
    while its 16.5 % makes 0.99 g: a 1 g dose from one 6 mL vial is 10 units with JZ. It was refused as 'the
    containers opened hold 0.99 g, less than the dose of 1 g'. A dose the vials' units do not cover is still
    refused: 1.01 g is 11 units."""
    from igclaim.errors import InputError

    lines = [(ln.code, ln.modifiers, ln.units) for ln in _cutaquig("1", "68982-0810-01").claim.lines]
    assert lines[0] == ("J1551", ["JZ"], 10)
    lines = [(ln.code, ln.modifiers, ln.units) for ln in _cutaquig("2", "68982-0810-03").claim.lines]
    assert lines[0] == ("J1551", ["JZ"], 20)
    with pytest.raises(InputError, match="hold 0.99 g, less than the dose of 1.01 g"):
        _cutaquig("1.01", "68982-0810-01")


def test_a_container_that_holds_the_dose_in_grams_is_enough():
    """The other side: 2.3 g of Gamunex-C from a container of 2.3 g is 4.6 units in the container and 5 billed (the
    dose rounded up): enough, since the grams cover the dose."""
    from igclaim import engine
    from igclaim.inputs import parse_encounter

    result = engine.build(parse_encounter(encounter(drugs=[{"id": "ig1", "product": "Gamunex-C", "route": "IV",
                                                             "dose": {"grams": "2.3"},
                                                             "containers": [{"grams": "2.3", "count": 1}]}])))
    assert (result.claim.lines[0].code, result.claim.lines[0].units) == ("J1561", 5)
