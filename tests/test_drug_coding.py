"""Drug lines: code by product and date, units by the code's unit dose, JW/JZ by the payer on the date."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igclaim.coding.drug import best_combination, units_for
from igclaim.errors import InputError
from tests.helpers import drug, encounter, ids, infusion, lines, run


def drug_lines(result):
    return [(c, m, u) for c, m, u in lines(result) if c.startswith("J")]


@pytest.mark.parametrize(("product", "grams", "code", "units"), [
    ("Privigen", 35, "J1459", 70),
    ("Gamunex-C", 30, "J1561", 60),
    ("gammaked", 10, "J1561", 20),
    ("Gammaplex", 40, "J1557", 80),
    ("Octagam 10%", 20, "J1568", 40),
    ("Flebogamma 5% DIF", 20, "J1572", 40),
    ("Bivigam", 10, "J1556", 20),
    ("Panzyga", 5, "J1576", 10),
    ("Alyglo", 20, "J1552", 40),
    ("Asceniv", 5, "J1554", 10),
    ("Hizentra", 4, "J1559", 40),
    ("Cuvitru", 12, "J1555", 120),
    ("Xembify", 4, "J1558", 40),
    ("HyQvia", 20, "J1575", 200),
    ("Gammagard Liquid", 30, "J1569", 60),
    ("Gammagard S/D", 10, "J1566", 20),
    ("Yimmugo", 10, "J1599", 20),
])
def test_product_code_and_units(product, grams, code, units):
    route = "SC" if code in ("J1559", "J1555", "J1558", "J1575") else "IV"
    res = run(encounter(drugs=[{"id": "ig1", "product": product, "route": route, "dose": {"grams": grams},
                                "containers": [{"grams": grams, "count": 1}]}]))
    assert drug_lines(res)[0][0] == code
    assert drug_lines(res)[0][2] == units


@pytest.mark.parametrize(("dos", "code"), [("2023-06-30", "J1599"), ("2023-07-01", "J1576")])
def test_panzyga_before_its_own_code_is_billed_with_the_nos_code(dos, code):
    enc = encounter(date_of_service=dos, drugs=[drug(product="Panzyga", dose={"grams": 10},
                                                     containers=[{"grams": 5, "count": 2}])],
                    administrations=[])
    assert drug_lines(run(enc))[0][0] == code


@pytest.mark.parametrize(("dos", "code"), [("2024-12-31", "J1599"), ("2025-01-01", "J1552")])
def test_alyglo_code_by_date(dos, code):
    enc = encounter(date_of_service=dos, drugs=[drug(product="Alyglo", dose={"grams": 10},
                                                     containers=[{"grams": 10}])], administrations=[])
    assert drug_lines(run(enc))[0][0] == code


def test_yimmugo_code_is_flagged_uncertain():
    res = run(encounter(drugs=[drug(product="Yimmugo", dose={"grams": 10}, containers=[{"grams": 10}])]))
    assert "DRUG-CODE-UNCERTAIN" in ids(res)


@pytest.mark.parametrize(("dos", "modifiers"), [
    ("2022-12-31", ()),  # JZ did not exist yet
    ("2023-03-01", ()),  # JZ available from 2023-01-01 but not required by Medicare until 2023-07-01
    ("2023-07-01", ("JZ",)),
    ("2026-03-02", ("JZ",)),
])
def test_jz_by_date_of_service(dos, modifiers):
    enc = encounter(date_of_service=dos, administrations=[])
    assert drug_lines(run(enc)) == [("J1561", modifiers, 60)]


def test_jw_line_for_the_discarded_amount():
    res = run(encounter(drugs=[drug(product="Privigen", dose={"grams": 35}, containers=[{"grams": 40}])]))
    assert drug_lines(res) == [("J1459", (), 70), ("J1459", ("JW",), 10)]


def test_no_jw_when_rounding_covers_the_remainder():
    """9.8 g of a 500 mg code is 19.6 → 20 units, the whole 10 g vial: JZ, no JW (Noridian JZ)."""
    res = run(encounter(drugs=[drug(dose={"grams": "9.8"}, containers=[{"grams": 10}])]))
    assert drug_lines(res) == [("J1561", ("JZ",), 20)]


def test_units_round_up_to_a_whole_unit():
    res = run(encounter(drugs=[drug(dose={"grams": "7.3"}, containers=[{"grams": 10}])]))
    assert drug_lines(res) == [("J1561", (), 15), ("J1561", ("JW",), 5)]


@pytest.mark.parametrize("dose", [{"grams": 30}, {"mg": 30000}, {"ml": 300}, {"ml": 300, "concentration_percent": 10}])
def test_dose_in_grams_mg_or_ml(dose):
    res = run(encounter(drugs=[drug(dose=dose)]))
    assert drug_lines(res)[0] == ("J1561", ("JZ",), 60)


def test_ml_of_a_multi_strength_brand_is_ambiguous_and_not_guessed():
    res = run(encounter(drugs=[drug(product="Octagam", dose={"ml": 200}, containers=[])]))
    assert "INPUT-AMBIGUOUS" in ids(res)
    assert drug_lines(res) == []
    assert any(f.severity == "error" for f in res.findings if f.edit == "INPUT-AMBIGUOUS")


def test_ml_of_a_multi_strength_brand_with_its_concentration():
    res = run(encounter(drugs=[drug(product="Gammaplex", dose={"ml": 400, "concentration_percent": 5},
                                    containers=[{"grams": 10, "count": 2}])]))
    assert drug_lines(res)[0] == ("J1557", ("JZ",), 40)


def test_ndc_names_the_strength_of_a_bare_brand():
    res = run(encounter(drugs=[drug(product="Octagam", ndc="00069-6111-02", dose={"ml": 100},
                                    containers=[{"ndc": "00069-6111-02"}])]))
    assert drug_lines(res)[0] == ("J1568", ("JZ",), 20)


@pytest.mark.parametrize("ndc", ["13533-805-31", "13533-0805-31", "13533080531"])
def test_ndc_layouts_come_out_as_11_digits(ndc):
    res = run(encounter(drugs=[drug(ndc=ndc, dose={"grams": 20}, containers=[{"grams": 20}])]))
    line = res.claim.lines[0]
    assert line.ndc == "13533080531"
    assert (line.ndc_unit, line.ndc_quantity) == ("ML", Decimal(200))
    assert str(line.ndc_quantity) == "200"  # never 2E+2 in a table, a form or an 837


def test_ndc_alone_identifies_the_product():
    res = run(encounter(drugs=[{"id": "ig1", "ndc": "0944-2850-03", "route": "SC", "dose": {"grams": 2},
                                "containers": [{"ndc": "0944-2850-03"}]}]))
    assert drug_lines(res) == [("J1555", ("JZ",), 20)]
    assert res.claim.lines[0].ndc == "00944285003"


def test_jw_line_carries_the_ndc_and_the_discarded_volume():
    res = run(encounter(drugs=[drug(ndc="13533-0805-31", dose={"grams": 15}, containers=[{"grams": 20}])]))
    given, wasted = res.claim.lines[0], res.claim.lines[1]
    assert (given.ndc_quantity, wasted.ndc_quantity) == (Decimal(150), Decimal(50))
    assert wasted.modifiers == ["JW"] and wasted.units == 10


def test_dose_larger_than_the_containers_is_an_input_error():
    with pytest.raises(InputError) as exc:
        run(encounter(drugs=[drug(dose={"grams": 30}, containers=[{"grams": 10, "count": 2}])]))
    assert exc.value.path == "drugs[0].containers"


def test_multi_dose_container_has_no_jw_or_jz():
    res = run(encounter(drugs=[drug(dose={"grams": 7}, containers=[{"grams": 10}], container_type="multi_dose")]))
    assert drug_lines(res) == [("J1561", (), 14)]


def test_shared_container_bills_only_this_patients_dose_and_is_flagged():
    res = run(encounter(drugs=[drug(dose={"grams": 5}, containers=[{"grams": 10}], shared_with_other_patient=True)]))
    assert drug_lines(res) == [("J1561", ("JZ",), 10)]
    assert "DRUG-CONTAINER-SHARED" in ids(res)


def test_explicit_discard_without_containers():
    res = run(encounter(drugs=[drug(dose={"grams": 8}, containers=[], discarded_grams=2)]))
    assert drug_lines(res) == [("J1561", (), 16), ("J1561", ("JW",), 4)]


def test_avoidable_waste_names_the_better_combination():
    res = run(encounter(drugs=[drug(product="Privigen", dose={"grams": 35}, containers=[{"grams": 40}])]))
    f = next(f for f in res.findings if f.edit == "DRUG-WASTE-AVOIDABLE")
    assert "20 g + 10 g + 5 g" in f.message and f.impact_units == -10 and f.severity == "warning"


def test_avoidable_waste_is_never_a_negative_discard_nor_more_than_the_jw_line():
    """Audit 7: Cutaquig 10 mL given from its 12 mL vial (the crosswalk's 20 units: 17 given, 3 JW): its 10 mL
    vial's 1.65 g is 16 whole units, so the finding read "discarding -1 units instead of 3" with 4 units at stake,
    one more than the JW line bills."""
    res = run(encounter(drugs=[drug(product="Cutaquig", route="SC", dose={"ml": 10}, containers=[{"ml": 12}])],
                        administrations=[infusion(60)]))
    assert drug_lines(res) == [("J1551", (), 17), ("J1551", ("JW",), 3)]
    f = next(f for f in res.findings if f.edit == "DRUG-WASTE-AVOIDABLE")
    assert "discarding 0 units instead of 3" in f.message and f.impact_units == -3


def test_no_avoidable_waste_when_no_combination_does_better():
    res = run(encounter(drugs=[drug(product="Privigen", dose={"grams": 7}, containers=[{"grams": 10}])]))
    assert "DRUG-WASTE-AVOIDABLE" not in ids(res)


def test_best_combination_prefers_least_waste_then_fewest_containers():
    sizes = [Decimal(x) for x in ("1", "2.5", "5", "10", "20")]
    assert best_combination(sizes, Decimal("35")) == [Decimal(20), Decimal(10), Decimal(5)]
    assert best_combination(sizes, Decimal("3")) == [Decimal(1)] * 3  # no waste beats fewer containers
    assert best_combination(sizes, Decimal("2.5")) == [Decimal("2.5")]


def test_route_modifier_when_the_contractor_requires_it():
    res = run(encounter(), profile="medicare-part-b-first-coast")
    assert drug_lines(res)[0] == ("J1561", ("JA", "JZ"), 60)


def test_premedication_is_billed_as_given():
    enc = encounter(drugs=[drug(), {"id": "pre1", "hcpcs": "J1200", "units": 1, "route": "IV"}])
    assert ("J1200", (), 1) in drug_lines(run(enc))


# --- properties --------------------------------------------------------------------------------------------
doses = st.decimals(min_value=Decimal("0.1"), max_value=Decimal("200"), places=2)


@given(doses, st.sampled_from([100, 500]))
def test_units_cover_the_dose_and_no_more(grams, unit_mg):
    units = units_for(grams, unit_mg)
    assert units * unit_mg >= grams * 1000
    assert (units - 1) * unit_mg < grams * 1000


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.sampled_from(["Privigen", "Gamunex-C", "Hizentra", "Panzyga"]),
       st.data())
def test_administered_plus_jw_units_equal_the_units_opened(vials, product, data):
    """With whole-unit containers, what is billed (administered + JW) is exactly what was opened."""
    route = "SC" if product == "Hizentra" else "IV"
    size = Decimal(data.draw(st.sampled_from(["1", "2", "5", "10"])))
    opened = size * vials
    dose = data.draw(st.decimals(min_value=Decimal("0.1"), max_value=opened, places=1))
    res = run(encounter(drugs=[{"id": "ig1", "product": product, "route": route, "dose": {"grams": str(dose)},
                                "containers": [{"grams": str(size), "count": vials}]}], administrations=[]))
    unit_mg = 100 if route == "SC" else 500
    billed = sum(u for c, _, u in drug_lines(res))
    assert billed == int(opened * 1000 / unit_mg)
    jw = [ln for ln in res.claim.lines if "JW" in ln.modifiers]
    jz = [ln for ln in res.claim.lines if "JZ" in ln.modifiers]
    assert not (jw and jz)
    assert bool(jw) or bool(jz)


def test_brand_shared_by_products_with_different_codes_is_ambiguous():
    """'Gammagard' names both Gammagard Liquid (J1569) and the lyophilized Gammagard S/D (J1566)."""
    res = run(encounter(drugs=[drug(product="Gammagard", dose={"grams": 10}, containers=[{"grams": 10}])]))
    assert "INPUT-AMBIGUOUS" in ids(res) and drug_lines(res) == []


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["0.99", "1", "1.65", "2", "2.5", "4", "5", "10", "20", "40"]), min_size=1, max_size=5,
                unique=True), st.decimals(min_value=Decimal("0.5"), max_value=Decimal("80"), places=2))
def test_best_combination_covers_the_dose_with_no_cheaper_single_swap(sizes, dose):
    combo = best_combination([Decimal(s) for s in sizes], dose)
    assert combo is not None and sum(combo) >= dose
    total = sum(combo)
    # no combination that drops one container still covers the dose (it would waste less)
    for i in range(len(combo)):
        assert sum(combo[:i] + combo[i + 1:]) < dose or len(combo) == 1
    assert total - dose < max(Decimal(s) for s in sizes)


def test_route_outside_the_labeling_is_flagged():
    res = run(encounter(drugs=[drug(product="Privigen", route="SC", dose={"grams": 10}, containers=[{"grams": 10}])]))
    assert "DRUG-ROUTE-UNLABELED" in ids(res)
    res = run(encounter(drugs=[drug(product="Gamunex-C", route="SC", dose={"grams": 10}, containers=[{"grams": 10}])]))
    assert "DRUG-ROUTE-UNLABELED" not in ids(res)  # Gamunex-C is labeled IV and SC


@pytest.mark.parametrize(("dos", "noted"), [("2016-12-31", True), ("2017-01-01", False)])
def test_jw_before_medicare_required_it_is_noted(dos, noted):
    """Medicare required JW from 2017-01-01; before, the discard still goes on a JW line, with a note."""
    enc = encounter(date_of_service=dos, drugs=[drug(dose={"grams": 25})], administrations=[])
    res = run(enc)
    assert drug_lines(res) == [("J1561", (), 50), ("J1561", ("JW",), 10)]
    assert ("DRUG-JW-OPTIONAL" in ids(res)) is noted


@pytest.mark.parametrize(("product", "concentration", "given", "discarded"), [
    ("Gammaplex", 10, 16, 4), ("Gammaplex 10%", None, 16, 4),
    ("Gammaplex", 5, 8, 2), ("Gammaplex 5%", None, 8, 2),
])
def test_a_container_in_ml_of_a_bare_brand_is_the_package_of_its_strength(product, concentration, given, discarded):
    """80 mL given from a 100 mL container (J1557, 500 mg a unit; discarded = whole units opened − given, CMS
    Discarded Drugs, reference.md §3). At 10 %: 8 g given = 16 units, the container 10 g = 20 units, JW 4. At 5 %:
    4 g = 8 units, 5 g = 10 units, JW 2. The bare brand "Gammaplex" with the chart's concentration must code as the
    product named with its strength: a 100 mL container at 10 % is not Gammaplex 5 %'s 100 mL vial (5 g, which the
    CMS crosswalk bills as 10 units), which left the 10 % discard unbilled."""
    dose = {"ml": 80, "concentration_percent": concentration} if concentration else {"ml": 80}
    enc = encounter(payer={"type": "commercial", "name": "Plan"},
                    drugs=[drug(product=product, route="IV", dose=dose, containers=[{"ml": 100}])],
                    administrations=[infusion(120)])
    billed = [(ln.units, ln.modifiers) for ln in run(enc).claim.lines if ln.code == "J1557"]
    assert billed == [(given, []), (discarded, ["JW"])]


def _multi_strength_brands() -> list[tuple[str, str]]:
    """(bare brand, product) for every brand that alone names several strengths of one code on 2026-03-02 (a
    brand whose products have different codes, Gammagard Liquid and S/D, is settled only by the chart)."""
    from datetime import date

    from igclaim.refdata.resolver import reference

    ref = reference()
    out = []
    for product in ref.products:
        for alias in (product.name, *product.aliases):
            family = ref.find_products(alias)
            if len(family) > 1 and len({x.own_code(date(2026, 3, 2)) for x in family}) == 1 and all(
                    x.concentration_percent is not None for x in family):
                out.append((alias, product.name))
    return sorted(set(out))


@pytest.mark.parametrize(("brand", "product"), _multi_strength_brands())
def test_a_bare_brand_with_the_charts_concentration_codes_as_the_product_of_that_strength(brand, product):
    """Whatever the container is given by (mL, grams, NDC) and however much of it is used, "Gammaplex" with the
    chart's 10 % must bill what "Gammaplex 10%" bills: the same units, JW units and NDC quantities."""
    from decimal import Decimal

    from igclaim.refdata.resolver import reference

    (p,) = [x for x in reference().products if x.name == product]
    assert len(_multi_strength_brands()) >= 6  # Gammaplex, Octagam, Flebogamma (DIF): two strengths each
    for pkg in p.packages:
        containers = [{"grams": float(pkg.grams)}] + ([{"ml": float(pkg.ml)}] if pkg.ml else []) + (
            [{"ndc": pkg.ndc}] if pkg.ndc else [])
        for share in (Decimal(1), Decimal("0.8"), Decimal("0.5")):
            ml = float((pkg.ml or pkg.grams * 100 / p.concentration_percent) * share)
            for container in containers:
                def billed(name, dose, container=container):
                    enc = encounter(payer={"type": "commercial", "name": "Plan"},
                                    drugs=[drug(product=name, route="IV", dose=dose, containers=[container])],
                                    administrations=[infusion(120)])
                    return [(ln.code, ln.units, ln.modifiers, ln.ndc, ln.ndc_quantity)
                            for ln in run(enc).claim.lines if ln.code.startswith("J")]

                bare = billed(brand, {"ml": ml, "concentration_percent": float(p.concentration_percent)})
                assert bare == billed(product, {"ml": ml}), (pkg, share, container)


def _hizentra(dose: dict) -> object:
    return run(encounter(drugs=[{"id": "ig1", "product": "Hizentra", "route": "SC", "dose": dose}],
                         administrations=[infusion(60)]))


def test_a_concentration_the_product_is_not_labeled_at_is_an_error_with_its_units():
    """Hizentra is 20 % only (FDA label): 50 mL charted at 10 % is coded as charted (50 units of J1559, 100 mg) and
    DRUG-CONCENTRATION-MISMATCH says the label's 20 % makes 100: 50 units the claim leaves unbilled. It was coded
    with no finding."""
    r = _hizentra({"ml": 50, "concentration_percent": 10})
    assert drug_lines(r)[0][2] == 50
    [f] = [f for f in r.findings if f.edit == "DRUG-CONCENTRATION-MISMATCH"]
    assert (f.severity, f.impact_units) == ("error", 50)
    assert f.impact_usd == Decimal("727.15")  # 50 x $14.543, J1559's payment limit in the bundled ASP 2026Q1 file
    assert "labeled 20 %, and the chart gives 10 %: 50 mL is 100 units of J1559 at 20 %, 50 at 10 %" in f.message
    # the other way: 30 % makes 150 units, 50 billed that the label does not support
    [f] = [f for f in _hizentra({"ml": 50, "concentration_percent": 30}).findings
           if f.edit == "DRUG-CONCENTRATION-MISMATCH"]
    assert f.impact_units == -50


@pytest.mark.parametrize("dose", [{"ml": 50, "concentration_percent": 20}, {"ml": 50}, {"grams": 10}])
def test_the_labeled_concentration_or_none_is_no_finding(dose):
    r = _hizentra(dose)
    assert "DRUG-CONCENTRATION-MISMATCH" not in ids(r)
    assert drug_lines(r)[0][2] == 100
