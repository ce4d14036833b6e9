"""Rule tests written against the survivors of the mutation run over `src/igclaim/coding/` (docs/mutation/):
each pins a behaviour an official source states, which a surviving mutant changed without any test noticing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from igclaim import engine, parse_encounter
from igclaim.coding.drug import best_combination, code_drug
from igclaim.errors import InputError
from igclaim.refdata.resolver import reference
from tests.helpers import drug, encounter, infusion, run

MEDICAID = {"type": "medicaid", "prior_authorization": {"number": "PA-1", "start": "2019-01-01",
                                                        "end": "2027-12-31", "units": 100000}}


def _coded(enc: dict, profile: str | None = None):
    ref = reference()
    e = parse_encounter(enc)
    return engine.code_encounter(e, ref, engine.resolve_profile(e, ref, profile))


def _lines(enc: dict, drug_id: str = "ig1", profile: str | None = None):
    """The coded drug's lines: code, units, modifiers, NDC, NDC quantity (as written in CTP04), unit, drug, JW."""
    f = _coded(enc, profile).drugs[drug_id]
    return [(ln.code, ln.units, ln.modifiers, ln.ndc, None if ln.ndc_quantity is None else str(ln.ndc_quantity),
             ln.ndc_unit, ln.drug_id, ln.wasted) for ln in f.lines]


def _input_error(enc: dict) -> InputError:
    with pytest.raises(InputError) as err:
        _coded(enc)
    return err.value


# --- coding/drug.py ----------------------------------------------------------------------------------------------
# Units: dose ÷ the code's unit dose rounded up; discarded units = whole units opened (rounded down) − given
# (CMS Discarded Drugs page, reference.md §3). NDC quantity: the amount given in the NDC's unit of measure (mL for a
# liquid, UN for a kit), written in CTP04 as a plain number.


_NO_NDC = (None, None, None, "ig1")


@pytest.mark.parametrize(("discarded_grams", "lines"), [
    # 30 g of Gamunex-C (J1561, 500 mg a unit) = 60 units; a discard under one whole unit is no JW unit. Without an
    # NDC a line has no NDC quantity or unit.
    ("0.49", [("J1561", 60, ("JZ",), *_NO_NDC, False)]),  # 30.49 g = 60.98 units: 60 whole units, none discarded
    ("0.5", [("J1561", 60, (), *_NO_NDC, False), ("J1561", 1, ("JW",), *_NO_NDC, True)]),  # 30.5 g = 61 units
    ("1.2", [("J1561", 60, (), *_NO_NDC, False), ("J1561", 2, ("JW",), *_NO_NDC, True)]),  # 62.4: 62 whole units
])
def test_opened_units_are_whole_units_rounded_down(discarded_grams, lines):
    enc = encounter(drugs=[drug(dose={"grams": 30}, containers=[], discarded_grams=discarded_grams)])
    assert _lines(enc) == lines


def test_ndc_quantity_is_the_ml_given_to_the_thousandth():
    """Cutaquig 16.5 % (J1551, 100 mg a unit), 1.5 g from its 10 mL vial (1.65 g labeled, no crosswalk row: 16
    whole units): 15 units given in 9.091 mL, 1 unit discarded (0.1 g = 0.606 mL); the quantity is never rounded to
    a whole mL."""
    enc = encounter(drugs=[drug(product="Cutaquig", route="SC", ndc="68982-0810-02", dose={"grams": "1.5"},
                                containers=[{"ndc": "68982-0810-02"}])])
    assert _lines(enc) == [("J1551", 15, (), "68982081002", "9.091", "ML", "ig1", False),
                           ("J1551", 1, ("JW",), "68982081002", "0.606", "ML", "ig1", True)]


def test_ndc_quantity_of_a_package_the_crosswalk_bills_above_its_label():
    """The same 1.5 g from the 12 mL vial, which the CMS crosswalk bills as 20 units although 1.98 g is labeled
    (0.6 mL a unit): 15 units given in 9 mL and 5 discarded in 3 mL, as the crosswalk reads them back (9.091 and
    3.03 mL, the label's figures, read as 16 and 6 units: more than billed, 12.121 mL from a 12 mL vial)."""
    enc = encounter(drugs=[drug(product="Cutaquig", route="SC", ndc="00069-1476-02", dose={"grams": "1.5"},
                                containers=[{"ndc": "00069-1476-02"}])])
    assert _lines(enc) == [("J1551", 15, (), "00069147602", "9", "ML", "ig1", False),
                           ("J1551", 5, ("JW",), "00069147602", "3", "ML", "ig1", True)]


def test_ndc_quantity_of_the_given_line_is_the_dose_not_its_rounded_units():
    """30.2 g of Gamunex-C 10 % is 61 units (rounded up) but 302 mL given; the 19 discarded units are 95 mL."""
    enc = encounter(drugs=[drug(ndc="13533-0805-31", dose={"grams": "30.2"}, containers=[{"grams": 20, "count": 2}])])
    assert _lines(enc) == [("J1561", 61, (), "13533080531", "302", "ML", "ig1", False),
                           ("J1561", 19, ("JW",), "13533080531", "95", "ML", "ig1", True)]


def test_a_code_shared_by_two_products_bills_its_ndc_in_ml():
    """J1561 given by code with an NDC the catalog does not know: Gamunex-C and Gammaked share the code (both
    10 %), so the product is not decided, but the quantity is still the mL given (10 g = 100 mL)."""
    enc = encounter(drugs=[drug(product=None, hcpcs="J1561", ndc="13533-0999-99", dose={"grams": 10},
                                containers=[{"grams": 10}])])
    assert _lines(enc) == [("J1561", 20, ("JZ",), "13533099999", "100", "ML", "ig1", False)]


def test_kit_quantity_with_a_discard_is_each_lines_share_of_the_packages():
    """Gammagard S/D (J1566, a kit billed in UN): 15 g from two 10 g kits = 30 units given, 10 discarded; the
    packages are shared 1.5 / 0.5 between the lines."""
    enc = encounter(drugs=[{"id": "ig1", "product": "Gammagard S/D", "ndc": "00944-2658-04", "dose": {"grams": 15},
                            "containers": [{"ndc": "00944-2658-04", "count": 2}]}])
    assert _lines(enc) == [("J1566", 30, (), "00944265804", "1.5", "UN", "ig1", False),
                           ("J1566", 10, ("JW",), "00944265804", "0.5", "UN", "ig1", True)]


def test_kit_quantity_of_ten_packages_is_written_10():
    """Medicaid, 102 g from ten 10 g kits and one 5 g kit: one line per NDC; ten whole packages are "10" in
    CTP04 (not 1E+1)."""
    enc = encounter(payer=MEDICAID, drugs=[{
        "id": "ig1", "product": "Gammagard S/D", "ndc": "00944-2658-04", "dose": {"grams": 102},
        "containers": [{"ndc": "00944-2658-04", "count": 10}, {"ndc": "00944-2656-03"}]}])
    assert _lines(enc) == [("J1566", 200, (), "00944265804", "10", "UN", "ig1", False),
                           ("J1566", 4, (), "00944265603", "0.4", "UN", "ig1", False),
                           ("J1566", 6, ("JW",), "00944265603", "0.6", "UN", "ig1", True)]


def test_lines_per_ndc_share_out_a_discard_left_by_fractional_packages():
    """Medicaid, Cutaquig 2.0 g (20 units of J1551) from a 10 mL vial (1.65 g = 16.5 units: no crosswalk row) and a
    6 mL vial (the crosswalk's 10 units): 26 whole units opened, 6 discarded, all on the last NDC's JW line; the
    lines add up to 20 given and 6 discarded. The 6 mL vial's mL are the crosswalk's 0.6 mL a unit: 0.35 g (3.5
    units) given in 2.1 mL, 6 units discarded in 3.6 mL."""
    enc = encounter(payer=MEDICAID, drugs=[{"id": "ig1", "product": "Cutaquig", "route": "SC", "dose": {"grams": "2.0"},
                                            "containers": [{"ndc": "68982-0810-02"}, {"ndc": "00069-1061-02"}]}])
    assert _lines(enc) == [("J1551", 17, (), "68982081002", "10", "ML", "ig1", False),
                           ("J1551", 3, (), "00069106102", "2.1", "ML", "ig1", False),
                           ("J1551", 6, ("JW",), "00069106102", "3.6", "ML", "ig1", True)]


@pytest.mark.parametrize(("enc", "path"), [
    (encounter(drugs=[drug(ndc="1234")]), "drugs[0].ndc"),
    (encounter(drugs=[drug(containers=[{"ndc": "1234"}])]), "drugs[0].containers[0].ndc"),
    (encounter(drugs=[drug(product="Octagam", dose={"grams": 10}, containers=[{"grams": 5}, {"ndc": "1234"}])]),
     "drugs[0].containers[1].ndc"),
    (encounter(drugs=[drug(), {"id": "pre", "hcpcs": "J1200", "units": 1, "containers": [{"ndc": "1234"}]}]),
     "drugs[1].containers[0].ndc"),
    (encounter(drugs=[drug(product="Octagam", ndc="1234", dose={"grams": 10}, containers=[{"grams": 10}])]),
     "drugs[0].ndc"),
    (encounter(drugs=[drug(product="Octagam", dose={"grams": 10}, containers=[{"ndc": "1234"}])]),
     "drugs[0].containers[0].ndc"),
    (encounter(drugs=[drug(product=None, ndc="1234")]), "drugs[0].ndc"),
    (encounter(drugs=[drug(containers=[{"grams": 20}, {"ndc": "1234"}])]), "drugs[0].containers[1].ndc"),
    (encounter(drugs=[drug(containers=[{"grams": 20}, {"grams": 10, "ndc": "1234"}])]),
     "drugs[0].containers[1].ndc"),
])
def test_a_malformed_ndc_is_refused_naming_its_field(enc, path):
    err = _input_error(enc)
    assert err.path == path
    assert err.message.startswith("'1234' is not an NDC: give 11 digits")


def test_a_premedication_keeps_its_ndc_and_quantity_on_both_lines():
    """A single-dose premedication (J1885) with its NDC, the mL given and a container of 2 units (the chart's
    figure wins over the crosswalk's 1): the given line and the JW line both carry the NDC and the drug, the JW
    line with the discard's quantity (an NDC goes out on an 837 line only with its quantity)."""
    enc = encounter(drugs=[drug(), {"id": "pre", "hcpcs": "J1885", "units": 1, "ndc": "00404-9998-01",
                                    "ndc_quantity": 1, "ndc_unit": "ML",
                                    "containers": [{"ndc": "00404-9998-01", "units": 2}]}])
    assert _lines(enc, "pre") == [("J1885", 1, (), "00404999801", "1", "ML", "pre", False),
                                  ("J1885", 1, ("JW",), "00404999801", "1", "ML", "pre", True)]


@pytest.mark.parametrize(("extra", "quantity", "unit"), [
    ({"ndc_unit": "ML"}, None, None),  # a unit without a quantity is no NDC quantity
    ({"ndc_quantity": 2, "ndc_unit": "ML"}, "2", "ML"),
])
def test_a_premedication_ndc_quantity_needs_both_figures(extra, quantity, unit):
    enc = encounter(drugs=[drug(), {"id": "pre", "hcpcs": "J1885", "units": 1, "ndc": "00404-9998-01", **extra}])
    assert _lines(enc, "pre") == [("J1885", 1, (), "00404999801", quantity, unit, "pre", False)]


def test_a_premedication_without_ndc_has_no_ndc_quantity():
    enc = encounter(drugs=[drug(), {"id": "pre", "hcpcs": "J1200", "units": 1, "ndc_quantity": 1, "ndc_unit": "ML"}])
    assert _lines(enc, "pre") == [("J1200", 1, (), None, None, None, "pre", False)]


def test_a_premedications_containers_add_up():
    """Two single-dose containers of 1 unit each, 1 unit given: 2 opened, 1 discarded on a JW line."""
    enc = encounter(drugs=[drug(), {"id": "pre", "hcpcs": "J1200", "units": 1,
                                    "containers": [{"units": 1}, {"units": 1}]}])
    f = _coded(enc).drugs["pre"]
    assert (f.opened_units, f.discarded_units) == (2, 1)
    assert [(ln.units, ln.modifiers, ln.wasted) for ln in f.lines] == [(1, (), False), (1, ("JW",), True)]


@pytest.mark.parametrize("premed", [
    {"container_type": "multi_dose", "containers": [{"units": 2}]},  # JW/JZ are for single-dose containers only
    {"shared_with_other_patient": True, "containers": [{"units": 2}]},
    {},  # no containers documented: billed as given (DRUG-PREMED-CONTAINERS asks for them)
])
def test_a_premedication_without_a_countable_discard_is_billed_as_given(premed):
    enc = encounter(drugs=[drug(), {"id": "pre", "hcpcs": "J1200", "units": 1, **premed}])
    f = _coded(enc).drugs["pre"]
    assert (f.opened_units, f.discarded_units) == (1, 0)
    assert [(ln.units, ln.modifiers) for ln in f.lines] == [(1, ())]


@pytest.mark.parametrize(("setting", "modifiers"), [(None, ("JZ",)), ("office", ("JZ",)),
                                                     ("hospital_outpatient", ())])
def test_premedication_jz_follows_the_setting_and_none_means_separately_payable(setting, modifiers):
    """OPPS packages premedications (no JW/JZ on a hospital's non-IG lines); with no setting a drug is treated as
    separately payable (code_drug's default)."""
    ref = reference()
    e = parse_encounter(encounter(drugs=[drug(), {"id": "pre", "hcpcs": "J1200", "units": 1,
                                                  "containers": [{"units": 1}]}]))
    rules = ref.at(e.date_of_service, ref.default_profile("medicare"))
    f = code_drug(e.drugs[1], 1, rules, [], setting)
    assert [ln.modifiers for ln in f.lines] == [modifiers]


def test_premedication_container_units_unknown_names_the_field_and_the_fix():
    enc = encounter(drugs=[drug(), {"id": "pre", "hcpcs": "J1200", "units": 1,
                                    "containers": [{"units": 1}, {"ndc": "00404-9998-02"}]}])
    err = _input_error(enc)
    assert (err.path, err.message) == (
        "drugs[1].containers[1].units", "give the billing units of J1200 one container holds (the CMS NDC-HCPCS "
        "crosswalk does not list this container's NDC)")
    bad = encounter(drugs=[drug(), {"id": "pre", "hcpcs": "J1200", "units": 1,
                                    "containers": [{"units": 1}, {"ndc": "1234"}]}])
    assert _input_error(bad).path == "drugs[1].containers[1].ndc"


@pytest.mark.parametrize(("route", "code"), [("SC", "96372"), ("IV", "96375"), (None, "96375")])
def test_a_premedication_pushed_under_the_skin_is_an_injection(route, code):
    """CPT: an IV push is 96374 (96375 when it follows or precedes another IV service, as here: the IVIG
    infusion is the primary); a subcutaneous injection is 96372, whatever the chart calls the method. A drug without
    a route is taken as IV."""
    enc = encounter(drugs=[drug(), {"id": "pre", "hcpcs": "J1200", "units": 1, "route": route}],
                    administrations=[{"drug_id": "pre", "start": "2026-03-02T08:45", "stop": "2026-03-02T08:50",
                                      "method": "push"},
                                     {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"}])
    codes = [ln.code for ln in run(enc).claim.lines]
    assert code in codes and ({"96372", "96374", "96375"} - {code}).isdisjoint(codes)


def _user_profile(tmp_path: Path, name: str, title: str, extends: str, **params: tuple[str, str, str]) -> str:
    """A user's payer profile file that extends a bundled one (and serves its payer type), with dated parameters
    given as name=(label, source, TOML table of values by date)."""
    body = "".join(f'\n[parameters.{key}]\nlabel = "{label}"\nsource = "{source}"\nvalues = {values}\n'
                   for key, (label, source, values) in params.items())
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[profile]\nname = "{name}"\ntitle = "{title}"\npayer_types = ["{extends}"]\n'
                    f'original_medicare = false\nextends = "{extends}"\n{body}', encoding="utf-8")
    return str(path)


def _profile_with_jz_and_ndcs(tmp_path: Path) -> str:
    """A state Medicaid program that requires JZ (states may; the generic profile does not)."""
    return _user_profile(tmp_path, "medicaid-jz", "Medicaid with JZ", "medicaid", jz_required=(
        "JZ required", "https://www.hhs.gov/guidance/document/new-claims-modifier-requirement-drugs-and-biologicals-"
        "single-dose-container-or-single-use", '{ "2000-01-01" = false, "2023-07-01" = true }'))


def test_each_ndc_line_carries_jz_when_nothing_is_discarded(tmp_path):
    """Two NDCs on an NDC-requiring payer that requires JZ: 30 g from a 20 g and a 10 g bottle, all given: one
    line per NDC, each with JZ."""
    enc = encounter(payer=MEDICAID, drugs=[drug(ndc="13533-0805-31", dose={"grams": 30}, containers=[
        {"ndc": "13533-0805-31"}, {"ndc": "13533-0805-11"}])])
    assert _lines(enc, profile=_profile_with_jz_and_ndcs(tmp_path)) == [
        ("J1561", 40, ("JZ",), "13533080531", "200", "ML", "ig1", False),
        ("J1561", 20, ("JZ",), "13533080511", "100", "ML", "ig1", False)]


def test_ndc_lines_of_a_code_shared_by_two_products_are_in_ml():
    """Medicaid, J1561 by code (Gamunex-C or Gammaked, both 10 %) from two NDCs: mL per NDC."""
    enc = encounter(payer=MEDICAID, drugs=[{"id": "ig1", "hcpcs": "J1561", "dose": {"grams": 25}, "containers": [
        {"ndc": "13533-0805-31"}, {"ndc": "13533-0805-11"}]}])
    assert _lines(enc) == [("J1561", 40, (), "13533080531", "200", "ML", "ig1", False),
                           ("J1561", 10, (), "13533080511", "50", "ML", "ig1", False),
                           ("J1561", 10, ("JW",), "13533080511", "50", "ML", "ig1", True)]


@pytest.mark.parametrize(("sizes", "dose", "combo"), [
    (["5", "10", "20", "40"], "35", ["20", "10", "5"]),  # Privigen: exact, fewest containers
    (["5", "10", "20", "40"], "40", ["40"]),  # one 40 g bottle, not 20 + 20 or 4 × 10
    (["5", "10", "20", "40"], "36", ["40"]),  # 40 g covers 36 g with the least excess and one container
    (["10"], "10.001", ["10", "10"]),  # the dose is covered, never rounded down to a hundredth
    (["1", "2.5", "5", "10", "20", "40"], "7.5", ["5", "2.5"]),  # Gamunex-C
    (["1", "2.5", "5", "10", "20", "40"], "3.5", ["2.5", "1"]),
    (["1", "2.5", "5", "10", "20", "40"], "3", ["1", "1", "1"]),  # no excess beats fewer containers
    (["0.99", "1.65", "1.98"], "2.6", ["1.65", "0.99"]),  # Cutaquig: 2.64 g, least excess
    (["1", "2", "4", "8", "10"], "17", ["8", "8", "1"]),  # Cuvitru: 3 containers, not 10 + 4 + 2 + 1
    (["5", "10"], "15", ["10", "5"]),
])
def test_best_combination_covers_the_dose_with_least_excess_then_fewest_containers(sizes, dose, combo):
    assert best_combination([Decimal(s) for s in sizes], Decimal(dose)) == [Decimal(c) for c in combo]


def test_best_combination_needs_a_size():
    assert best_combination([], Decimal(10)) is None


@pytest.mark.parametrize(("enc", "path", "message"), [
    (encounter(drugs=[drug(product="Privigenn")]), "drugs[0].product",
     "unknown product 'Privigenn' (did you mean Privigen?); `igclaim products` lists them (for a drug that is not an "
     "immune globulin give hcpcs and units)"),
    (encounter(drugs=[drug(product=None, ndc="12345-6789-01")]), "drugs[0].ndc",
     "NDC 12345-6789-01 is not in the product list or the CMS crosswalk for 2026-03-02; give product or hcpcs"),
    # ketorolac's NDC (J1885 in the crosswalk) with a dose in grams: not an immune globulin code
    (encounter(drugs=[drug(product=None, ndc="00404-9998-01")]), "drugs[0].ndc",
     "NDC 00404-9998-01 is not in the product list or the CMS crosswalk for 2026-03-02; give product or hcpcs"),
    (encounter(drugs=[drug(containers=[{"grams": 10, "count": 2}])]), "drugs[0].containers",
     "the containers opened hold 20 g, less than the dose of 30 g"),
    (encounter(drugs=[drug(product="Octagam", dose={"grams": 10}, containers=[{"ml": 100}])]),
     "drugs[0].containers[0].ml", "the product's strength is not known: give containers in grams"),
    (encounter(drugs=[drug(containers=[{"grams": 10}, {"ndc": "13533-0999-99"}])]), "drugs[0].containers[1].ndc",
     "NDC 13533-0999-99 is not a known package: give grams or ml"),
])
def test_a_chart_that_cannot_be_coded_is_refused_naming_the_field(enc, path, message):
    err = _input_error(enc)
    assert (err.path, err.message) == (path, message)


def test_a_drug_given_by_its_ndc_alone_is_that_ndcs_product():
    """13533-0800-15 is Gamunex-C's 2.5 g vial (FDA NDC Directory / CMS crosswalk): the product, not just J1561
    (which Gammaked shares)."""
    enc = encounter(drugs=[drug(product=None, ndc="13533-0800-15", containers=[{"ndc": "13533-0800-15", "count": 12}])])
    f = _coded(enc).drugs["ig1"]
    assert f.product is not None and f.product.name == "Gamunex-C"
    assert [(ln.code, ln.units, ln.modifiers, ln.ndc_quantity) for ln in f.lines] == [("J1561", 60, ("JZ",), 300)]


def test_a_dose_in_mg_is_thousandths_of_a_gram():
    enc = encounter(drugs=[drug(ndc="13533-0800-15", dose={"mg": 30000},
                                containers=[{"ndc": "13533-0800-15", "count": 12}])])
    assert _lines(enc) == [("J1561", 60, ("JZ",), "13533080015", "300", "ML", "ig1", False)]


def test_containers_given_in_billing_units_hold_that_many_units():
    """Containers of 20 and 30 units of J1561 (10 g and 15 g): 20 g given = 40 units, 50 opened, 10 discarded."""
    enc = encounter(drugs=[drug(dose={"grams": 20}, containers=[{"units": 20}, {"units": 30}])])
    f = _coded(enc).drugs["ig1"]
    assert (f.opened_grams, f.opened_units, f.discarded_units) == (25, 50, 10)
    assert [(ln.units, ln.modifiers) for ln in f.lines] == [(40, ()), (10, ("JW",))]


def test_opened_units_of_containers_are_rounded_down():
    """Three Cutaquig 10 mL vials (1.65 g = 16.5 units of J1551 each, no crosswalk row): 49.5 units opened are 49
    whole units; 4.5 g given = 45 units; 4 discarded (not 5)."""
    enc = encounter(drugs=[drug(product="Cutaquig", route="SC", dose={"grams": "4.5"},
                                containers=[{"ndc": "68982-0810-02", "count": 3}])])
    f = _coded(enc).drugs["ig1"]
    assert (f.opened_units, f.discarded_units) == (49, 4)
    assert [(ln.units, ln.modifiers) for ln in f.lines] == [(45, ()), (4, ("JW",))]


def _coding_findings(enc: dict) -> list[tuple[str, str, str, str | None]]:
    return [(f.edit, f.severity, f.message, f.fix) for f in _coded(enc).findings
            if f.edit.startswith(("DRUG-", "INPUT-"))]


_AMBIGUOUS_FIX = "Name the product with its strength (e.g. 'Octagam 10%') or give concentration_percent."
_MISSING_FIX = ("Document the containers opened (size and count, or NDC) so the discarded amount follows from them; "
                "JZ attests that nothing was discarded.")
_SHARED_FIX = ("Splitting a single-dose immune globulin container conflicts with its labeling; bill only this "
               "patient's dose, never the same amount twice, and review the practice.")
_AVOIDABLE_FIX = ("Open the smallest combination of package sizes that covers the dose; excess waste from a poor vial "
                  "choice may be denied.")


@pytest.mark.parametrize(("enc", "findings"), [
    (encounter(drugs=[drug(product="Octagam", dose={"ml": 300}, containers=[])]), [
        ("INPUT-AMBIGUOUS", "error", "drugs[0].dose: 300 mL of Octagam cannot be turned into grams: the strength is "
         "not known. No units were guessed.", _AMBIGUOUS_FIX)]),
    (encounter(drugs=[drug(product=None, hcpcs="J1599", dose={"ml": 300}, containers=[])]), [
        ("INPUT-AMBIGUOUS", "error", "drugs[0].dose: 300 mL of J1599 cannot be turned into grams: the strength is "
         "not known. No units were guessed.", _AMBIGUOUS_FIX)]),
    (encounter(drugs=[drug(containers=[])]), [
        ("DRUG-CONTAINERS-MISSING", "warning", "drugs[0]: no containers documented; coded as if nothing was "
         "discarded.", _MISSING_FIX)]),
    (encounter(drugs=[drug(containers=[], container_type="multi_dose")]), []),  # nothing discarded by definition
    (encounter(drugs=[drug(containers=[{"grams": 10, "count": 4}], shared_with_other_patient=True)]), [
        ("DRUG-CONTAINER-SHARED", "warning", "drugs[0]: a single-dose container served two patients; only this "
         "patient's dose is billed, with no JW line.", _SHARED_FIX)]),
    (encounter(drugs=[drug(product="Cutaquig", route="SC", dose={"grams": "4.5"},
                           containers=[{"ndc": "68982-0810-02", "count": 3}])]), [
        ("DRUG-WASTE-AVOIDABLE", "warning", "drugs[0]: 4.5 g could have been given from 1.98 g + 1.65 g + 0.99 g, "
         "discarding 1 units instead of 4.", _AVOIDABLE_FIX)]),
])
def test_coding_findings_word_for_word(enc, findings):
    assert _coding_findings(enc) == findings


@pytest.mark.parametrize("containers", [[], [{"grams": 10, "count": 3}]])
def test_nothing_discarded_means_the_opened_units_are_the_given_units(containers):
    f = _coded(encounter(drugs=[drug(containers=containers)])).drugs["ig1"]
    assert (f.administered_units, f.opened_units, f.discarded_units) == (60, 60, 0)


def _j1599(dos: str, **changes) -> dict:
    return encounter(date_of_service=dos, drugs=[drug(product=None, hcpcs="J1599", route=None, dose={"grams": 10},
                                                      containers=[{"grams": 10}], **changes)],
                     administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T11:00"}])


def test_the_nos_liquid_code_given_alone_is_an_iv_immune_globulin_from_its_add_date():
    """J1599 (IVIG, non-lyophilized, NOS, 500 mg; CMS HCPCS file ADD DT 2011-01-01) given by code alone: an
    immune globulin of its own route (IV: 96365 + 96366 for 2 hours), 20 units."""
    r = run(_j1599("2011-01-01"))
    assert [(ln.code, ln.units) for ln in r.claim.lines] == [("J1599", 20), ("96365", 1), ("96366", 1)]
    f = _coded(_j1599("2011-01-01")).drugs["ig1"]
    assert (f.is_ig, f.route, f.code, f.unit_mg) == (True, "IV", "J1599", 500)


def test_the_nos_liquid_code_before_its_add_date_is_no_code():
    f = _coded(_j1599("2010-12-31")).drugs["ig1"]
    assert (f.code, f.hcpcs, f.lines) == ("J1599", None, ())
    assert _coding_findings(_j1599("2010-12-31"))[0][:3] == (
        "DRUG-NO-CODE", "error", "J1599 is not a valid immune globulin code on 2010-12-31.")


@pytest.mark.parametrize(("dos", "setting", "code", "units"), [
    ("2021-03-31", "hospital_outpatient", "C9072", 1000),  # C9072 is per 10 mg
    ("2026-03-02", "office", "J1554", 20),  # C9072 ended 2021-03-31: Asceniv's own code
])
def test_a_pass_through_code_given_alone_codes_its_product_on_the_date(dos, setting, code, units):
    enc = encounter(date_of_service=dos, setting=setting, drugs=[drug(product=None, hcpcs="C9072", dose={"grams": 10},
                                                                     containers=[{"grams": 5, "count": 2}])],
                    administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T11:00"}])
    f = _coded(enc).drugs["ig1"]
    assert f.product is not None and f.product.name == "Asceniv"
    assert [(ln.code, ln.units) for ln in f.lines] == [(code, units)]


def test_an_immune_globulin_needs_a_dose():
    err = _input_error(encounter(drugs=[{"id": "ig1", "product": "Privigen", "units": 60}]))
    assert (err.path, err.message) == ("drugs[0].dose", "an immune globulin needs its dose (grams, mg or ml)")


@pytest.mark.parametrize(("product", "route", "code"), [("Hizentra", None, "96369"), ("Privigen", None, "96365")])
def test_a_drug_without_a_route_takes_its_labeled_route(product, route, code):
    """Hizentra is labeled SC only (96369), Privigen IV only (96365)."""
    enc = encounter(drugs=[drug(product=product, route=route, dose={"grams": 10}, containers=[{"grams": 10}])])
    f = _coded(enc).drugs["ig1"]
    assert f.route == ("SC" if code == "96369" else "IV")
    assert code in [ln.code for ln in run(enc).claim.lines]


def test_a_route_the_label_does_not_include_is_named():
    enc = encounter(drugs=[drug(product="Privigen", route="SC", dose={"grams": 10}, containers=[{"grams": 10}])])
    assert [f[:3] for f in _coding_findings(enc)] == [
        ("DRUG-ROUTE-UNLABELED", "warning", "drugs[0].route: Privigen is labeled IV, the chart says SC.")]


def test_a_dose_that_cannot_be_turned_into_grams_keeps_the_code_chosen():
    f = _coded(encounter(drugs=[drug(product="Octagam", dose={"ml": 300}, containers=[])])).drugs["ig1"]
    assert f.code == "J1568" and f.hcpcs is not None and f.hcpcs.code == "J1568"
    assert f.chosen is not None and f.unit_mg == 500 and f.units is None


def test_avoidable_waste_puts_the_excess_units_at_risk():
    """4 units discarded where 1 was needed: 3 units at risk of denial."""
    enc = encounter(drugs=[drug(product="Cutaquig", route="SC", dose={"grams": "4.5"},
                                containers=[{"ndc": "68982-0810-02", "count": 3}])])
    f = next(f for f in _coded(enc).findings if f.edit == "DRUG-WASTE-AVOIDABLE")
    assert f.impact_units == -3


@pytest.mark.parametrize(("dos", "optional"), [("2016-12-31", True), ("2017-01-01", False)])
def test_jw_is_required_by_medicare_from_2017_01_01(dos, optional):
    """CMS: the JW modifier is required on Part B claims for discarded amounts from 2017-01-01 (before, at the
    MAC's discretion): the discard is still on its own JW line, with an information finding."""
    enc = encounter(date_of_service=dos, drugs=[drug(containers=[{"grams": 10, "count": 4}])],
                    administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T14:00"}])
    assert [(c, u, m) for c, u, m, *_ in _lines(enc)] == [("J1561", 60, ()), ("J1561", 20, ("JW",))]
    expected = [("DRUG-JW-OPTIONAL", "info", f"drugs[0]: Original Medicare Part B does not require JW on {dos}; 20 "
                 "discarded units are on their own JW line.")] if optional else []
    assert [f[:3] for f in _coding_findings(enc) if f[0] == "DRUG-JW-OPTIONAL"] == expected


def test_a_bare_brand_with_an_ndc_of_neither_strength_stays_undecided():
    """Octagam 5 % and 10 % share J1568: an NDC of neither (unknown, or Privigen's) does not narrow the product,
    and the code is still J1568."""
    for ndc in ("68982-0899-99", "44206-0436-05"):
        f = _coded(encounter(drugs=[drug(product="Octagam", ndc=ndc, dose={"grams": 10},
                                         containers=[{"grams": 10}])])).drugs["ig1"]
        assert f.product is None and [(ln.code, ln.units) for ln in f.lines] == [("J1568", 20)]
    f = _coded(encounter(drugs=[drug(product="Octagam", dose={"grams": 10},
                                     containers=[{"ndc": "00069-8476-02"}])])).drugs["ig1"]
    assert f.product is not None and f.product.name == "Octagam 5%"


def test_an_opened_container_left_unused_is_discarded_on_its_own_ndc_line():
    """Medicaid, Cutaquig 2.0 g (20 units of J1551) from a 10 mL vial (16.5 units), a 6 mL vial (10 units by the
    crosswalk) and a 12 mL vial (20 units) opened but not used: 46 whole units opened, 26 discarded; the first
    vial's rounding (17 given from 16.5 units) leaves a unit too many, taken off the last discard."""
    enc = encounter(payer=MEDICAID, drugs=[{"id": "ig1", "product": "Cutaquig", "route": "SC", "dose": {"grams": "2.0"},
                                            "containers": [{"ndc": "68982-0810-02"}, {"ndc": "00069-1061-02"},
                                                           {"ndc": "00069-1476-02"}]}])
    lines = _lines(enc)
    assert [(u, m, n, w) for _, u, m, n, _, _, _, w in lines] == [
        (17, (), "68982081002", False), (3, (), "00069106102", False),
        (7, ("JW",), "00069106102", True), (19, ("JW",), "00069147602", True)]
    f = _coded(enc).drugs["ig1"]
    assert (f.opened_units, f.discarded_units) == (46, 26)


def test_a_container_without_an_ndc_carries_the_drugs_ndc():
    """Medicaid, Gamunex-C with its 20 g NDC on the drug and a 10 g container given by size only: one NDC, so one
    given line and one JW line, both with the drug's NDC."""
    enc = encounter(payer=MEDICAID, drugs=[drug(ndc="13533-0805-31", dose={"grams": 25}, containers=[
        {"ndc": "13533-0805-31"}, {"grams": 10}])])
    assert [(u, m, n) for _, u, m, n, *_ in _lines(enc)] == [(50, (), "13533080531"), (10, ("JW",), "13533080531")]


# --- coding/time.py ----------------------------------------------------------------------------------------------
# CPT time rule as CMS applies it (IOM 100-04 ch. 12 §30.5; Noridian A54635): the initial code covers up to one
# hour; each additional hour needs more than 30 minutes beyond the last full hour (91 → 1, 151 → 2). The
# `whole_hour` contract rule pays full hours only. Q2052 from 2024: 15-minute units, a remainder of 8 minutes or
# more is one more unit (DME MAC table: 8-22 = 1, 23-37 = 2), at least one unit per infusion date.

def _time_rules():
    from datetime import date

    ref = reference()
    return ref.at(date(2026, 3, 2), ref.default_profile("medicare"))


@pytest.mark.parametrize(("minutes", "cpt", "whole"), [
    (0, 0, 0), (59, 0, 0), (60, 0, 0), (61, 0, 0), (90, 0, 0), (91, 1, 0), (119, 1, 0), (120, 1, 1), (121, 1, 1),
    (150, 1, 1), (151, 2, 1), (179, 2, 1), (180, 2, 2), (211, 3, 2), (300, 4, 4),
])
def test_additional_hours_after_an_initial_code(minutes, cpt, whole):
    from igclaim.coding.time import additional_hours

    rules = _time_rules()
    assert additional_hours(minutes, rules.time) == cpt
    assert additional_hours(minutes, rules.time, "cpt") == cpt
    assert additional_hours(minutes, rules.time, "whole_hour") == whole


@pytest.mark.parametrize(("minutes", "cpt", "whole"), [
    (0, 0, 0), (30, 0, 0), (31, 1, 0), (59, 1, 0), (60, 1, 1), (90, 1, 1), (91, 2, 1), (119, 2, 1), (120, 2, 2),
    (150, 2, 2), (151, 3, 2),
])
def test_hour_units_of_an_add_on_billed_alone(minutes, cpt, whole):
    from igclaim.coding.time import hour_units

    rules = _time_rules()
    assert hour_units(minutes, rules.time) == cpt
    assert hour_units(minutes, rules.time, "cpt") == cpt
    assert hour_units(minutes, rules.time, "whole_hour") == whole


@pytest.mark.parametrize(("minutes", "units"), [
    (-5, 1), (0, 1), (7, 1), (8, 1), (14, 1), (15, 1), (22, 1), (23, 2), (30, 2), (37, 2), (38, 3), (45, 3),
    (52, 3), (53, 4), (300, 20), (307, 20), (308, 21),
])
def test_q2052_quarter_hour_units(minutes, units):
    from datetime import date

    from igclaim.coding.time import quarter_hour_units

    supply = reference().home_supply_units(date(2024, 1, 1))
    assert supply is not None and (supply.unit_minutes, supply.round_up_from, supply.min_units) == (15, 8, 1)
    assert quarter_hour_units(minutes, supply) == units


@pytest.mark.parametrize(("start", "stop", "minutes"), [
    ("2026-03-02T09:00", "2026-03-02T10:31", 91),
    ("2026-03-02T09:00:00", "2026-03-02T10:30:59", 90),  # whole minutes: seconds do not make a minute
    ("2026-03-02T23:30", "2026-03-03T01:01", 91),  # past midnight
])
def test_minutes_between_counts_whole_minutes(start, stop, minutes):
    from datetime import datetime

    from igclaim.coding.time import minutes_between

    assert minutes_between(datetime.fromisoformat(start), datetime.fromisoformat(stop)) == minutes


def test_a_bare_brand_of_products_with_different_codes_is_ambiguous():
    """"Gammagard" is Gammagard Liquid (J1569) or Gammagard S/D (a powder without a code of its own: J1566)."""
    enc = encounter(drugs=[drug(product="Gammagard", dose={"grams": 10}, containers=[{"grams": 10}])])
    assert _coding_findings(enc) == [(
        "INPUT-AMBIGUOUS", "error", "drugs[0].product: 'Gammagard' matches Gammagard Liquid, Gammagard S/D with "
        "different codes; name the product with its strength.",
        "Add the missing fact to the chart (e.g. the product's strength or concentration_percent) and code again.")]
    assert _coded(enc).drugs["ig1"].lines == ()


def test_a_product_without_a_code_confirmed_by_cms_is_billed_nos_with_a_warning():
    enc = encounter(drugs=[drug(product="Qivigy", dose={"grams": 10}, containers=[{"grams": 10}])])
    assert [f[:3] for f in _coding_findings(enc)] == [(
        "DRUG-CODE-UNCERTAIN", "warning", "Qivigy: No code of its own in the October 2025 CMS HCPCS file: billed with "
        "J1599 until CMS assigns one; confirm in the current HCPCS file.")]
    assert [(c, u) for c, u, *_ in _lines(enc)] == [("J1599", 20)]


@pytest.mark.parametrize(("dos", "lines", "findings"), [
    # Cutaquig (SC) before J1551 (ADD DT 2022-07-01): the NOS codes are IV only, so no code at all
    ("2022-06-30", [], [("DRUG-NO-CODE", "error", "Cutaquig had no HCPCS code of its own on 2022-06-30.")]),
    ("2022-07-01", [("J1551", 10), ("J1551", 6)], []),  # 1 g from a 1.65 g vial: 16 whole units, 6 discarded
])
def test_an_sc_product_before_its_own_code_has_no_code(dos, lines, findings):
    enc = encounter(date_of_service=dos, drugs=[drug(product="Cutaquig", route="SC", dose={"grams": 1},
                                                     containers=[{"ndc": "68982-0810-02"}])],
                    administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T10:00"}])
    assert [(c, u) for c, u, *_ in _lines(enc)] == lines
    assert [f[:3] for f in _coding_findings(enc) if f[0] != "DRUG-WASTE-AVOIDABLE"] == findings


# --- coding/administration.py ------------------------------------------------------------------------------------
# Timed codes need documented times (IOM 100-04 ch. 12 §30.5); saline as flush/KVO/diluent is never hydration;
# hydration needs an order and more than 30 minutes not concurrent with a drug infusion (96360/96361); a drug
# "infusion" of 15 minutes or less is a push; a repeat push of the same drug is a facility code (96376) only more
# than 30 minutes after the last one reported (reference.md §4).

_PRE = {"id": "pre", "hcpcs": "J1200", "units": 1}


def _admin(enc: dict, profile: str | None = None):
    r = run(enc, profile)
    return ([(ln.code, tuple(ln.modifiers), ln.units) for ln in r.claim.lines if not ln.code.startswith("J")],
            [(f.edit, f.severity, f.message) for f in r.findings if f.edit.startswith("ADMIN-")])


_IG_5H = [("96365", (), 1), ("96366", (), 4)]


@pytest.mark.parametrize(("changes", "lines", "findings"), [
    ({"administrations": [{"drug_id": "ig1", "start": "2026-03-02T09:00"}]}, [], [
        ("ADMIN-TIMES-MISSING", "error", "administrations[0]: the infusion of ig1 has no stop time; no "
         "administration code was billed for it.")]),
    ({"administrations": [{"drug_id": "ig1", "stop": "2026-03-02T09:00"}]}, [], [
        ("ADMIN-TIMES-MISSING", "error", "administrations[0]: the infusion of ig1 has no start time; no "
         "administration code was billed for it.")]),
    ({"fluids": [{"purpose": "flush", "start": "2026-03-02T14:00", "stop": "2026-03-02T14:10"}]}, _IG_5H, [
        ("ADMIN-NOT-BILLED", "info", "fluids[0]: saline as flush is part of the infusion, never hydration.")]),
    ({"fluids": [{"purpose": "hydration", "ordered": False, "start": "2026-03-02T14:00",
                  "stop": "2026-03-02T15:10"}]}, _IG_5H, [
        ("ADMIN-NOT-BILLED", "info", "fluids[0]: hydration without an order is not billable.")]),
    ({"fluids": [{"purpose": "hydration", "ordered": True}]}, _IG_5H, [
        ("ADMIN-TIMES-MISSING", "error", "fluids[0]: hydration without start and stop times was not billed.")]),
    # 13:50-14:30 beside the IG infusion until 14:00: 30 minutes not concurrent, one short of the 31 needed
    ({"fluids": [{"purpose": "hydration", "ordered": True, "start": "2026-03-02T13:50",
                  "stop": "2026-03-02T14:30"}]}, _IG_5H, [
        ("ADMIN-NOT-BILLED", "info", "fluids[0]: 30 minutes of hydration not concurrent with a drug infusion; at "
         "least 31 are needed.")]),
    ({"fluids": [{"purpose": "hydration", "ordered": True, "start": "2026-03-02T13:50",
                  "stop": "2026-03-02T14:31"}]}, [*_IG_5H, ("96361", (), 1)], []),
])
def test_administration_findings_word_for_word(changes, lines, findings):
    assert _admin(encounter(**changes)) == (lines, findings)


@pytest.mark.parametrize(("minutes", "code"), [(15, "96375"), (16, "96367")])
def test_a_drug_infusion_of_15_minutes_or_less_is_a_push(minutes, code):
    enc = encounter(drugs=[drug(), _PRE], administrations=[infusion(300), infusion(minutes, "2026-03-02T14:10", "pre")])
    assert _admin(enc)[0] == [*_IG_5H, (code, (), 1)]


_TWO_PUSHES = [infusion(300), {"drug_id": "pre", "start": "2026-03-02T08:30", "stop": "2026-03-02T08:32",
                               "method": "push"}]


@pytest.mark.parametrize(("setting", "second", "lines", "findings"), [
    ("hospital_outpatient", "08:50", [*_IG_5H, ("96375", (), 1)], [
        ("ADMIN-NOT-BILLED", "info", "administrations[2]: a push of pre 20 minutes after a reported push of the same "
         "drug; 96376 needs more than 30 minutes.")]),
    ("hospital_outpatient", "09:00", [*_IG_5H, ("96375", (), 1)], [
        ("ADMIN-NOT-BILLED", "info", "administrations[2]: a push of pre 30 minutes after a reported push of the same "
         "drug; 96376 needs more than 30 minutes.")]),
    ("hospital_outpatient", "09:01", [*_IG_5H, ("96375", (), 1), ("96376", (), 1)], []),
    ("office", "09:01", [*_IG_5H, ("96375", (), 1)], [
        ("ADMIN-NOT-BILLED", "info", "administrations[2]: a repeat push of the same drug is not reported on a "
         "professional claim.")]),
])
def test_a_repeat_push_of_the_same_drug(setting, second, lines, findings):
    enc = encounter(setting=setting, drugs=[drug(), _PRE], administrations=[
        *_TWO_PUSHES, {"drug_id": "pre", "start": f"2026-03-02T{second}", "stop": f"2026-03-02T{second}",
                       "method": "push"}])
    got = _admin(enc)
    assert (got[0], [f for f in got[1] if f[0] == "ADMIN-NOT-BILLED"]) == (lines, findings)


# --- coding/claim.py ---------------------------------------------------------------------------------------------
# Office: CMS-1500, POS 11 unless the chart says otherwise; hospital outpatient: UB-04, type of bill 0131, drugs
# under revenue code 0636 and administration under 0260 (IOM 100-04 ch. 4 §230.2); at most 4 diagnosis pointers a
# line (837P SV107). Medicare home IVIG (DME MAC, A52509): the drug + Q2052 for each infusion date, from 2024 in
# 15-minute units of the visit (overlapping intervals once), no 9636x; other drugs are not on that claim.

def _claim_lines(r):
    return [(ln.line, ln.code, tuple(ln.modifiers), ln.units, ln.revenue_code, ln.diagnosis_pointers,
             str(ln.service_date)) for ln in r.claim.lines]


def test_office_claim_points_at_four_diagnoses_at_most():
    r = run(encounter(diagnoses=["D83.9", "D80.1", "G61.0", "D80.3", "D80.5"]))
    assert (r.claim.form, r.claim.place_of_service, r.claim.type_of_bill) == ("CMS-1500", "11", None)
    assert r.claim.diagnoses == ["D83.9", "D80.1", "G61.0", "D80.3", "D80.5"]
    assert _claim_lines(r) == [(1, "J1561", ("JZ",), 60, None, [1, 2, 3, 4], "2026-03-02"),
                               (2, "96365", (), 1, None, [1, 2, 3, 4], "2026-03-02"),
                               (3, "96366", (), 4, None, [1, 2, 3, 4], "2026-03-02")]


def test_the_charts_place_of_service_and_type_of_bill_win():
    assert run(encounter(place_of_service="22")).claim.place_of_service == "22"
    r = run(encounter(setting="hospital_outpatient", type_of_bill="0851"))
    assert (r.claim.form, r.claim.place_of_service, r.claim.type_of_bill) == ("UB-04", None, "0851")


def test_hospital_claim_carries_revenue_codes_and_its_type_of_bill():
    r = run(encounter(setting="hospital_outpatient", diagnoses=["D83.9", "D80.1"]))
    assert (r.claim.form, r.claim.place_of_service, r.claim.type_of_bill) == ("UB-04", None, "0131")
    assert _claim_lines(r) == [(1, "J1561", ("JZ",), 60, "0636", [1, 2], "2026-03-02"),
                               (2, "96365", (), 1, "0260", [1, 2], "2026-03-02"),
                               (3, "96366", (), 4, "0260", [1, 2], "2026-03-02")]


def test_home_commercial_is_coded_as_professional_services_with_a_warning():
    r = run(encounter(setting="home", payer={"type": "commercial", "name": "Acme"}))
    assert [(c, u) for _, c, _, u, *_ in _claim_lines(r)] == [("J1561", 60), ("96365", 1), ("96366", 4)]
    assert [(f.edit, f.severity, f.message) for f in r.findings if f.edit.startswith("HOME-")] == [
        ("HOME-CONTRACT", "warning", "Home infusion for Commercial plan (generic): coded as professional services; "
         "the plan's contract decides.")]


def test_medicare_home_ivig_bills_q2052_per_date_by_the_visit():
    """The nurse's visit (08:45-14:20, 335 min = 22 units) wins over the infusion time; two overlapping infusions
    09:00-10:00 and 09:30-10:30 are 90 minutes (6 units), not 120; a date without a stop time gets the minimum
    unit and a finding; the premedication is not on the DME claim."""
    enc = encounter(setting="home", drugs=[drug(), {"id": "pre", "hcpcs": "J1200", "units": 1}], administrations=[
        {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00",
         "visit": {"start": "2026-03-02T08:45", "stop": "2026-03-02T14:20"}},
        {"drug_id": "ig1", "start": "2026-03-03T09:00", "stop": "2026-03-03T10:00"},
        {"drug_id": "ig1", "start": "2026-03-03T09:30", "stop": "2026-03-03T10:30"},
        {"drug_id": "ig1", "start": "2026-03-04T09:00"},
        {"drug_id": "pre", "start": "2026-03-02T08:50", "stop": "2026-03-02T08:52", "method": "push"}])
    r = run(enc)
    assert [(c, m, u, d) for _, c, m, u, _, _, d in _claim_lines(r)] == [
        ("J1561", ("JZ",), 60, "2026-03-02"), ("Q2052", (), 22, "2026-03-02"), ("Q2052", (), 6, "2026-03-03"),
        ("Q2052", (), 1, "2026-03-04")]
    assert [(f.edit, f.message) for f in r.findings if f.edit.startswith(("HOME-", "ADMIN-"))] == [
        ("ADMIN-TIMES-MISSING", "administrations[3]: the infusion of ig1 has no stop time; no administration code "
         "was billed for it."),
        ("ADMIN-TIMES-MISSING", "Q2052 on 2026-03-04: no visit or infusion start and stop times, so its 15-minute "
         "units cannot be counted; 1 billed."),
        ("HOME-BILLING-NOTE", "Drugs pre are not part of the Medicare home IVIG/SCIG DME claim; bill them where the "
         "payer covers them.")]


@pytest.mark.parametrize(("dos", "q2052"), [("2014-03-31", []), ("2014-04-01", [1]), ("2023-12-31", [1]),
                                            ("2024-01-01", [20])])
def test_medicare_home_q2052_by_date_of_service(dos, q2052):
    """No supplies code before 2014-04-01; one unit per infusion date in the demonstration (to 2023-12-31); from
    2024-01-01 the visit's quarter hours (5 hours = 20 units)."""
    enc = encounter(setting="home", date_of_service=dos,
                    administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T14:00"}])
    assert [u for _, c, _, u, *_ in _claim_lines(run(enc)) if c == "Q2052"] == q2052


def test_medicare_home_scig_carries_jb_and_names_the_pump():
    enc = encounter(setting="home", drugs=[drug(product="Hizentra", route="SC", dose={"grams": 10},
                                                containers=[{"grams": 10}])])
    r = run(enc)
    assert [(c, m, u) for _, c, m, u, *_ in _claim_lines(r)] == [("J1559", ("JB", "KX", "JZ"), 100)]
    assert [(f.edit, f.message) for f in r.findings if f.edit.startswith("HOME-")] == [
        ("HOME-BILLING-NOTE", "The infusion pump E0779 is billed separately by the supplier, with JB and KX; "
         "nursing goes through the home infusion therapy benefit.")]


# --- coding/payment.py -------------------------------------------------------------------------------------------

@pytest.mark.usefixtures("home")
def test_a_half_cent_is_rounded_up():
    """Privigen (J1459) at the CMS January 2026 payment limit of $50.281 a unit: 2.5 g from a 5 g vial is 5 units
    given ($251.405 → $251.41, not the banker's $251.40) and 5 discarded on a JW line (paid too)."""
    r = run(encounter(drugs=[drug(product="Privigen", dose={"grams": "2.5"}, containers=[{"grams": 5}])]))
    assert [(ln.code, tuple(ln.modifiers), ln.units, ln.expected_payment) for ln in r.claim.lines[:2]] == [
        ("J1459", (), 5, Decimal("251.41")), ("J1459", ("JW",), 5, Decimal("251.41"))]
    assert r.claim.total_expected_payment is None  # the administration lines have no published price here


def _fee_profile(tmp_path: Path, **schedules: str) -> str:
    return _user_profile(tmp_path, "contract", "A contract", "commercial", **{
        k: (k, "https://example.org/contract", f'{{ "2000-01-01" = "{v}" }}') for k, v in schedules.items()})


@pytest.mark.usefixtures("home")
@pytest.mark.parametrize(("setting", "schedules", "initial"), [
    ("office", {}, "150.00"),  # no schedule named: the newest imported schedule covering the date
    ("hospital_outpatient", {}, "150.00"),
    ("office", {"fee_schedule": "older"}, "100.00"),  # the contract's own schedule
    ("hospital_outpatient", {"fee_schedule": "older"}, "100.00"),  # a UB-04 falls back to it
    ("hospital_outpatient", {"fee_schedule": "older", "facility_fee_schedule": "hosp"}, "300.00"),
    ("office", {"fee_schedule": "older", "facility_fee_schedule": "hosp"}, "100.00"),  # a CMS-1500 never
    ("office", {"facility_fee_schedule": "hosp"}, "150.00"),
])
def test_administration_is_priced_by_the_schedule_the_contract_names(tmp_path, setting, schedules, initial):
    from datetime import date

    from igclaim.refdata import store
    from igclaim.refdata.importers import Options

    # three schedules for 2026, imported in this order (the newest import is "newer")
    for name, effective, amount in (("older", date(2026, 1, 1), "100.00"), ("hosp", date(2026, 1, 1), "300.00"),
                                    ("newer", date(2026, 1, 1), "150.00")):
        path = tmp_path / f"{name}.csv"
        path.write_text(f"code,amount\n96365,{amount}\n96366,10.00\n", encoding="utf-8")
        store.import_file("fees", path, Options(effective=effective, schedule=name))
    store.invalidate()
    enc = encounter(setting=setting, payer={"type": "commercial", "name": "Acme"})
    r = run(enc, _fee_profile(tmp_path, **schedules) if schedules else None)
    assert [(ln.code, ln.expected_payment) for ln in r.claim.lines if ln.code.startswith("9")][0] == (
        "96365", Decimal(initial))


@pytest.mark.usefixtures("home")
def test_every_finding_with_units_at_risk_is_priced_whatever_comes_before_it():
    """A premedication without containers (DRUG-PREMED-CONTAINERS: no units at risk) listed before Privigen 35 g from
    four 10 g vials (DRUG-WASTE-AVOIDABLE: 10 JW units avoidable × $50.281 = $502.81 at risk)."""
    enc = encounter(drugs=[{"id": "pre", "hcpcs": "J1200", "units": 1},
                           drug(product="Privigen", dose={"grams": 35}, containers=[{"grams": 10, "count": 4}])])
    r = run(enc)
    assert [f.edit for f in r.findings].index("DRUG-PREMED-CONTAINERS") < [f.edit for f in r.findings].index(
        "DRUG-WASTE-AVOIDABLE")
    (f,) = [f for f in r.findings if f.edit == "DRUG-WASTE-AVOIDABLE"]
    assert (f.impact_units, f.impact_usd) == (-10, Decimal("-502.81"))


def test_claim_drug_line_carries_the_ndc_quantity_and_unit():
    enc = encounter(drugs=[drug(product="Cutaquig", route="SC", ndc="00069-1476-02", dose={"grams": "1.5"},
                                containers=[{"ndc": "00069-1476-02"}])])
    ln = run(enc).claim.lines[0]
    assert (ln.code, ln.ndc, ln.ndc_quantity, ln.ndc_unit) == ("J1551", "00069147602", Decimal("9"), "ML")


def test_place_of_service_is_for_the_cms_1500_and_type_of_bill_for_the_ub_04():
    r = run(encounter(setting="hospital_outpatient", place_of_service="22"))
    assert (r.claim.form, r.claim.place_of_service, r.claim.type_of_bill) == ("UB-04", None, "0131")
    r = run(encounter(type_of_bill="0131"))
    assert (r.claim.form, r.claim.place_of_service, r.claim.type_of_bill) == ("CMS-1500", "11", None)


def test_medicare_home_dates_are_counted_whatever_the_order_of_the_chart():
    """The chart lists first a premedication, then an infusion without a stop time, then the dates with times;
    a date with one complete and one incomplete interval is counted from the complete one (09:00-10:00 = 4
    units); two other drugs are named in the note."""
    enc = encounter(setting="home", date_of_service="2026-03-02", drugs=[
        drug(), {"id": "pre", "hcpcs": "J1200", "units": 1}, {"id": "pre2", "hcpcs": "J1885", "units": 1}],
        administrations=[
            {"drug_id": "pre", "start": "2026-03-02T08:50", "stop": "2026-03-02T08:52", "method": "push"},
            {"drug_id": "ig1", "start": "2026-03-04T09:00"},
            {"drug_id": "ig1", "start": "2026-03-03T08:00"},
            {"drug_id": "ig1", "start": "2026-03-03T09:00", "stop": "2026-03-03T10:00"},
            {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"},
            {"drug_id": "pre2", "start": "2026-03-02T08:53", "stop": "2026-03-02T08:54", "method": "push"}])
    r = run(enc)
    assert sorted((str(ln.service_date), ln.units) for ln in r.claim.lines if ln.code == "Q2052") == [
        ("2026-03-02", 20), ("2026-03-03", 4), ("2026-03-04", 1)]
    assert [f.message for f in r.findings if f.edit == "HOME-BILLING-NOTE"] == [
        "Drugs pre, pre2 are not part of the Medicare home IVIG/SCIG DME claim; bill them where the payer covers "
        "them."]


def test_medicare_home_q2052_starts_on_its_add_date_within_one_claim():
    """Infusions on 2014-03-31 and 2014-04-01 on one home claim: Q2052 (ADD DT 2014-04-01) for the second date only."""
    enc = encounter(setting="home", date_of_service="2014-03-31", administrations=[
        {"drug_id": "ig1", "start": "2014-03-31T09:00", "stop": "2014-03-31T14:00"},
        {"drug_id": "ig1", "start": "2014-04-01T09:00", "stop": "2014-04-01T14:00"}])
    assert [(str(ln.service_date), ln.units) for ln in run(enc).claim.lines if ln.code == "Q2052"] == [
        ("2014-04-01", 1)]


def test_medicare_home_scig_line_carries_jb_once():
    """First Coast wants JA/JB on J1569 anyway; the home SCIG line does not get JB twice."""
    enc = encounter(setting="home", drugs=[drug(product="Gammagard Liquid", route="SC", dose={"grams": 10},
                                                containers=[{"grams": 10}])])
    lines = [(ln.code, tuple(ln.modifiers)) for ln in run(enc, "medicare-part-b-first-coast").claim.lines]
    assert lines == [("J1569", ("JB", "KX", "JZ"))]


def _whole_hour_profile(tmp_path: Path) -> str:
    return _user_profile(tmp_path, "acme-whole-hour", "Acme (full hours only)", "commercial", additional_hour_rule=(
        "full hours only", "https://example.org/acme-contract", '{ "2000-01-01" = "whole_hour" }'))


_ACME = {"type": "commercial", "name": "Acme"}


@pytest.mark.parametrize(("rule", "expected"), [
    # 120 minutes of the IG (96365 + one 96366 either way), then a second interval of 100 minutes: hours of its own,
    # CPT 2 (> 30 minutes beyond its first hour), full hours 1
    ("cpt", [("96365", (), 1), ("96366", (), 3)]),
    ("whole_hour", [("96365", (), 1), ("96366", (), 2)]),
])
def test_a_later_interval_of_the_same_drug_follows_the_contracts_hour_rule(tmp_path, rule, expected):
    enc = encounter(payer=_ACME, administrations=[infusion(120), infusion(100, "2026-03-02T11:30")])
    assert _admin(enc, _whole_hour_profile(tmp_path) if rule == "whole_hour" else None)[0] == expected


@pytest.mark.parametrize(("rule", "expected"), [
    # a sequential infusion of another drug for 100 min: 96367 + one 96366 under CPT (91+), none in full hours
    ("cpt", [("96365", (), 1), ("96367", (), 1), ("96366", (), 1)]),
    ("whole_hour", [("96365", (), 1), ("96367", (), 1)]),
])
def test_a_sequential_infusion_follows_the_contracts_hour_rule(tmp_path, rule, expected):
    enc = encounter(payer=_ACME, drugs=[drug(), _PRE],
                    administrations=[infusion(60), infusion(100, "2026-03-02T10:10", "pre")])
    assert _admin(enc, _whole_hour_profile(tmp_path) if rule == "whole_hour" else None)[0] == expected


@pytest.mark.parametrize(("rule", "expected"), [
    ("cpt", [("96369", (), 1), ("96365", ("XS",), 1), ("96366", (), 1)]),
    ("whole_hour", [("96369", (), 1), ("96365", ("XS",), 1)]),
])
def test_an_iv_infusion_beside_a_sc_infusion_is_an_initial_one_by_the_hour_rule(tmp_path, rule, expected):
    """No IV primary to add on to: the premedication's 100-minute IV infusion is an initial 96365 with XS, with
    additional hours by the contract's rule."""
    enc = encounter(payer=_ACME, drugs=[drug(product="Hizentra", route="SC", dose={"grams": 10},
                                             containers=[{"grams": 10}]), _PRE],
                    administrations=[infusion(60), infusion(100, "2026-03-02T10:10", "pre")])
    assert _admin(enc, _whole_hour_profile(tmp_path) if rule == "whole_hour" else None)[0] == expected


def test_a_short_later_interval_of_the_same_drug_bills_nothing():
    """20 more minutes of the IG after its first hour: an add-on hour needs more than 30 minutes."""
    enc = encounter(administrations=[infusion(60), infusion(20, "2026-03-02T10:30")])
    assert _admin(enc)[0] == [("96365", (), 1)]


def test_a_short_sequential_infusion_has_no_additional_hour():
    enc = encounter(drugs=[drug(), _PRE], administrations=[infusion(60), infusion(30, "2026-03-02T10:10", "pre")])
    assert _admin(enc)[0] == [("96365", (), 1), ("96367", (), 1)]


def test_a_later_injection_is_one_96372():
    enc = encounter(drugs=[drug(), _PRE], administrations=[
        infusion(300), {"drug_id": "pre", "start": "2026-03-02T14:10", "stop": "2026-03-02T14:11",
                        "method": "injection"}])
    assert _admin(enc)[0] == [*_IG_5H, ("96372", (), 1)]


def test_a_push_is_one_unit_however_long_the_chart_says():
    enc = encounter(drugs=[drug(), _PRE], administrations=[
        infusion(300), {"drug_id": "pre", "start": "2026-03-02T14:10", "stop": "2026-03-02T16:10", "method": "push"}])
    assert _admin(enc)[0] == [*_IG_5H, ("96375", (), 1)]


def test_sc_infusions_never_get_iv_codes():
    """96367 (sequential) and 96365 are IV codes: a later SC infusion of another drug adds SC hours (96370); a
    second SC interval of the IG too."""
    sc = drug(product="Hizentra", route="SC", dose={"grams": 10}, containers=[{"grams": 10}])
    enc = encounter(drugs=[sc, {**_PRE, "route": "SC"}],
                    administrations=[infusion(60), infusion(60, "2026-03-02T10:10", "pre")])
    assert _admin(enc)[0] == [("96369", (), 1), ("96370", (), 1)]
    enc = encounter(drugs=[sc], administrations=[infusion(60), infusion(60, "2026-03-02T11:00")])
    assert _admin(enc)[0] == [("96369", (), 1), ("96370", (), 1)]


def test_an_infusion_ending_when_the_ig_starts_is_sequential_not_concurrent():
    enc = encounter(drugs=[drug(), _PRE], administrations=[infusion(60, "2026-03-02T08:00", "pre"),
                                                           infusion(120, "2026-03-02T09:00")])
    assert _admin(enc)[0] == [("96365", (), 1), ("96366", (), 1), ("96367", (), 1)]


def test_services_after_a_push_are_still_coded():
    pre2 = {"id": "pre2", "hcpcs": "J1885", "units": 1}
    enc = encounter(drugs=[drug(), _PRE, pre2], administrations=[
        infusion(300), {"drug_id": "pre", "start": "2026-03-02T08:30", "stop": "2026-03-02T08:32", "method": "push"},
        infusion(30, "2026-03-02T14:10", "pre2")])
    assert _admin(enc)[0] == [*_IG_5H, ("96375", (), 1), ("96367", (), 1)]


@pytest.mark.parametrize(("setting", "expected"), [
    # hospital hierarchy: a push (96374) ranks above an injection (96372) for the initial service
    ("hospital_outpatient", [("96374", (), 1), ("96372", (), 1)]),
    # professional claim: the immune globulin is the primary reason for the visit; the push has no primary then
    ("office", [("96372", (), 1), ("96374", ("XS",), 1)]),
])
def test_the_initial_service_by_setting(setting, expected):
    sc = drug(product="Hizentra", route="SC", dose={"grams": 2}, containers=[{"grams": 2}])
    enc = encounter(setting=setting, drugs=[sc, _PRE], administrations=[
        infusion(10), {"drug_id": "pre", "start": "2026-03-02T09:20", "stop": "2026-03-02T09:22", "method": "push"}])
    assert _admin(enc)[0] == expected


def test_hospital_initial_of_a_site_without_the_ig_follows_the_hierarchy():
    """Site 2: a push and a longer hydration; the hospital hierarchy puts the push first (96374 with XS), the
    hydration after it is 96361."""
    enc = encounter(setting="hospital_outpatient", drugs=[drug(), _PRE], administrations=[
        infusion(300, site=1), {"drug_id": "pre", "start": "2026-03-02T08:30", "stop": "2026-03-02T08:32",
                                "method": "push", "site": 2}],
        fluids=[{"purpose": "hydration", "ordered": True, "start": "2026-03-02T07:00", "stop": "2026-03-02T08:00",
                 "site": 2}])
    assert _admin(enc)[0] == [*_IG_5H, ("96374", ("XS",), 1), ("96361", (), 1)]


@pytest.mark.parametrize(("pushes", "expected"), [
    (["09:01", "08:30"], [("96375", (), 1), ("96376", (), 1)]),  # the chart's order does not matter: 31 minutes
    (["08:00", "08:31", "08:50"], [("96375", (), 1), ("96376", (), 1)]),  # 19 minutes after the reported repeat
])
def test_hospital_repeat_pushes_are_timed_from_the_last_reported_push(pushes, expected):
    enc = encounter(setting="hospital_outpatient", drugs=[drug(), _PRE], administrations=[
        infusion(300), *({"drug_id": "pre", "start": f"2026-03-02T{t}", "stop": f"2026-03-02T{t}",
                          "method": "push"} for t in pushes)])
    assert _admin(enc)[0] == [*_IG_5H, *expected]


@pytest.mark.parametrize(("second", "expected"), [("08:50", []), ("09:01", [("96376", (), 1)])])
def test_a_repeat_push_after_an_initial_push_of_its_own(second, expected):
    """Hospital, SCIG with a premedication pushed twice: the first push is an initial service of its own (no IV
    primary, XS); the repeat needs more than 30 minutes after it."""
    sc = drug(product="Hizentra", route="SC", dose={"grams": 10}, containers=[{"grams": 10}])
    enc = encounter(setting="hospital_outpatient", drugs=[sc, _PRE], administrations=[
        infusion(60, "2026-03-02T09:00"),
        {"drug_id": "pre", "start": "2026-03-02T08:30", "stop": "2026-03-02T08:30", "method": "push"},
        {"drug_id": "pre", "start": f"2026-03-02T{second}", "stop": f"2026-03-02T{second}", "method": "push"}])
    lines = _admin(enc)[0]
    assert lines[0] == ("96369", (), 1) and [ln for ln in lines if ln[0] == "96376"] == expected


@pytest.mark.parametrize(("second", "expected"), [("08:50", []), ("09:01", [("96376", (), 1)])])
def test_a_repeat_push_after_the_sites_initial_push(second, expected):
    """Hospital, site 2 holds only pushes of the premedication: the first is the site's initial service."""
    enc = encounter(setting="hospital_outpatient", drugs=[drug(), _PRE], administrations=[
        infusion(300, site=1),
        {"drug_id": "pre", "start": "2026-03-02T08:30", "stop": "2026-03-02T08:30", "method": "push", "site": 2},
        {"drug_id": "pre", "start": f"2026-03-02T{second}", "stop": f"2026-03-02T{second}", "method": "push",
         "site": 2}])
    lines = _admin(enc)[0]
    assert ("96374", ("XS",), 1) in lines and [ln for ln in lines if ln[0] == "96376"] == expected


def test_hydration_concurrent_with_a_sc_infusion_is_not_reported():
    sc = drug(product="Hizentra", route="SC", dose={"grams": 10}, containers=[{"grams": 10}])
    enc = encounter(drugs=[sc], administrations=[infusion(60)], fluids=[
        {"purpose": "hydration", "ordered": True, "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"}])
    assert _admin(enc) == ([("96369", (), 1)], [
        ("ADMIN-NOT-BILLED", "info", "fluids[0]: 0 minutes of hydration not concurrent with a drug infusion; at least "
         "31 are needed.")])


def test_each_fluid_is_judged_on_its_own():
    """An unordered hydration listed first does not stop the ordered one after the IG (60 min: 96361)."""
    enc = encounter(fluids=[
        {"purpose": "hydration", "ordered": False, "start": "2026-03-02T14:00", "stop": "2026-03-02T15:00"},
        {"purpose": "hydration", "ordered": True, "start": "2026-03-02T14:00", "stop": "2026-03-02T15:00"}])
    assert _admin(enc)[0] == [*_IG_5H, ("96361", (), 1)]


def test_each_administration_is_judged_on_its_own():
    """An infusion without a stop time listed first does not stop the complete one after it."""
    enc = encounter(drugs=[drug(), _PRE], administrations=[{"drug_id": "pre", "start": "2026-03-02T08:00"},
                                                           infusion(300)])
    assert _admin(enc)[0] == _IG_5H


def test_fluids_not_billed_name_their_cause_and_the_next_fluid_is_still_judged():
    """Flush, hydration without times (only a start), unordered hydration and 20 minutes of hydration are not
    billed (each says why, the not-billable ones with the fluid as their cause); the ordered hour after the IG
    that follows them is 96361, a hydration service of its own (not the IG's)."""
    enc = encounter(fluids=[
        {"purpose": "flush", "start": "2026-03-02T14:00", "stop": "2026-03-02T14:05"},
        {"purpose": "hydration", "ordered": True, "start": "2026-03-02T14:00"},
        {"purpose": "hydration", "ordered": False, "start": "2026-03-02T14:00", "stop": "2026-03-02T15:00"},
        {"purpose": "hydration", "ordered": True, "start": "2026-03-02T14:00", "stop": "2026-03-02T14:20"},
        {"purpose": "hydration", "ordered": True, "start": "2026-03-02T14:30", "stop": "2026-03-02T15:30"}])
    coded = _coded(enc)
    assert [(f.edit, f.message, f.causes) for f in coded.findings if f.edit.startswith("ADMIN-")] == [
        ("ADMIN-NOT-BILLED", "fluids[0]: saline as flush is part of the infusion, never hydration.",
         (("fluid-not-billed", "fluids[0]"),)),
        ("ADMIN-TIMES-MISSING", "fluids[1]: hydration without start and stop times was not billed.", ()),
        ("ADMIN-NOT-BILLED", "fluids[2]: hydration without an order is not billable.",
         (("fluid-not-billed", "fluids[2]"),)),
        ("ADMIN-NOT-BILLED", "fluids[3]: 20 minutes of hydration not concurrent with a drug infusion; at least 31 are "
         "needed.", (("fluid-not-billed", "fluids[3]"),))]
    hydration = [s for s in coded.services if s.kind == "hydration"]
    assert [(s.path, s.is_ig, s.drug_id, str(s.start), str(s.stop), s.minutes) for s in hydration] == [
        ("fluids[4]", False, None, "2026-03-02 14:30:00", "2026-03-02 15:30:00", 60)]
    assert [(ln.code, ln.units) for ln in coded.claim.lines][-1] == ("96361", 1)


def test_an_injection_is_one_unit_however_long_the_chart_says():
    """96372 is not a timed code: a SCIG charted as an injection over 2 hours is one 96372, no add-on."""
    sc = drug(product="Hizentra", route="SC", dose={"grams": 10}, containers=[{"grams": 10}])
    enc = encounter(drugs=[sc], administrations=[{**infusion(120), "method": "injection"}])
    assert _admin(enc)[0] == [("96372", (), 1)]


@pytest.mark.usefixtures("home")
def test_an_imported_ndc_directory_package_sizes_only_its_own_products_containers(tmp_path):
    """The FDA NDC Directory (imported) sizes a Cuvitru container by an NDC of Cuvitru's own product code
    (0944-2850: 40 mL of 20 % = 8 g = 80 units of J1555); a 40 mL package of another labeler's product is not a
    Cuvitru container."""
    from igclaim.refdata import store

    path = tmp_path / "package.txt"
    path.write_text(
        "PRODUCTID\tPRODUCTNDC\tNDCPACKAGECODE\tPACKAGEDESCRIPTION\tSTARTMARKETINGDATE\tENDMARKETINGDATE\t"
        "NDC_EXCLUDE_FLAG\tSAMPLE_PACKAGE\n"
        "0944-2850_synthetic-1\t0944-2850\t0944-2850-09\t1 VIAL, GLASS in 1 CARTON (0944-2850-09) > 40 mL in 1 VIAL, "
        "GLASS\t20260101\t\tN\tN\n"
        "77777-123_synthetic-3\t77777-123\t77777-123-40\t1 VIAL, GLASS in 1 CARTON (77777-123-40) > 40 mL in 1 VIAL, "
        "GLASS\t20260101\t\tN\tN\n", encoding="utf-8")
    store.import_file("ndc_directory", path)
    store.invalidate()

    def cuvitru(ndc: str) -> dict:
        return encounter(drugs=[{"id": "ig1", "product": "Cuvitru", "route": "SC", "dose": {"grams": 8},
                                 "containers": [{"ndc": ndc}]}])

    assert [(c, u, m) for c, u, m, *_ in _lines(cuvitru("0944-2850-09"))] == [("J1555", 80, ("JZ",))]
    err = _input_error(cuvitru("77777-123-40"))
    assert (err.path, err.message) == ("drugs[0].containers[0].ndc",
                                       "NDC 77777-123-40 is not a known package: give grams or ml")


@pytest.mark.parametrize("dos", ["2025-12-31", "2026-01-01"])
def test_an_ndc_no_list_knows_is_refused_whether_or_not_a_crosswalk_covers_the_date(dos):
    """A drug given by an NDC alone: the product catalog, then the CMS NDC-HCPCS crosswalk covering the date (the
    bundled one covers 2026-01-01..03-31). An NDC neither knows is refused, naming the field, the day before the
    crosswalk's quarter (no crosswalk at all) as on its first day (a crosswalk that does not list it)."""
    unknown = {k: v for k, v in drug(ndc="12345-6789-01").items() if k != "product"}
    err = _input_error(encounter(date_of_service=dos, drugs=[unknown],
                                 administrations=[infusion(120, start=f"{dos}T09:00")]))
    assert err.path == "drugs[0].ndc"
    assert f"NDC 12345-6789-01 is not in the product list or the CMS crosswalk for {dos}" in str(err)


def test_each_ndcs_discard_is_its_whole_units_opened_rounded_down_less_what_it_gave():
    """Discarded units = whole units opened (rounded down) − units given (CMS Discarded Drugs, reference.md §3), one
    JW line per NDC for a payer that wants the NDC on each line. Cutaquig (J1551, 100 mg a unit): 0.5 g given from
    a 1.65 g (10 mL) vial of 68982-0810-02 (16.5 units: no crosswalk NDC of that size, 16 whole units opened, 5 given,
    11 discarded) with a second vial, 00069-1061-02, opened and discarded whole (the CMS crosswalk bills it as 10
    units)."""
    enc = encounter(payer={"type": "commercial", "name": "Plan"},
                    drugs=[drug(product="Cutaquig", route="SC", dose={"grams": 0.5},
                                containers=[{"grams": 1.65, "ndc": "68982-0810-02"},
                                            {"grams": 0.99, "ndc": "00069-1061-02"}])],
                    administrations=[infusion(60)])
    drug_lines = [(ln.units, ln.modifiers, ln.ndc) for ln in run(enc).claim.lines if ln.code == "J1551"]
    assert drug_lines == [(5, [], "68982081002"), (11, ["JW"], "68982081002"), (10, ["JW"], "00069106102")]


@pytest.mark.parametrize("container", [
    {"ndc": "68982-0810-01", "count": 3}, {"ndc": "00069-1061-02", "count": 3}, {"grams": 0.99, "count": 3},
    {"ml": 6, "count": 3}, {"grams": 0.99, "ndc": "68982-0810-01", "count": 3}])
def test_a_cutaquig_vial_bills_the_crosswalks_units_whichever_way_the_chart_names_it(container):
    """reference.md (NDCs): the CMS NDC-HCPCS crosswalk bills Cutaquig's 6 mL vial (labeled 0.99 g) as 10 units of
    J1551, and the same vial under Octapharma's own NDC 68982-0810-01, which the crosswalk does not list, bills
    the same: 2.5 g from three 6 mL vials is 25 units given and 5 discarded (not 9.9 × 3 = 29 whole units, JW 4),
    by the NDC of either labeler, by grams or by mL."""
    enc = encounter(payer={"type": "commercial", "name": "Plan"},
                    drugs=[drug(product="Cutaquig", route="SC", dose={"grams": 2.5}, containers=[container])],
                    administrations=[infusion(60)])
    drug_lines = [(ln.units, ln.modifiers) for ln in run(enc).claim.lines if ln.code == "J1551"]
    assert drug_lines == [(25, []), (5, ["JW"])]


def test_the_12_ml_cutaquig_vial_under_octapharmas_ndc_bills_the_crosswalks_20_units():
    """68982-0810-03 (12 mL, labeled 1.98 g) is the size the crosswalk lists as 00069-1476-02, 20 units; 68982-0810-02
    (10 mL, 1.65 g) has no crosswalk NDC of its size, so its labeled grams give 16.5 units."""
    def opened(ndc: str) -> tuple[int | None, int | None]:
        enc = encounter(payer={"type": "commercial", "name": "Plan"},
                        drugs=[drug(product="Cutaquig", route="SC", dose={"grams": 1}, containers=[{"ndc": ndc}])],
                        administrations=[infusion(60)])
        f = _coded(enc).drugs["ig1"]
        return f.opened_units, f.discarded_units
    assert opened("68982-0810-03") == (20, 10)
    assert opened("00069-1476-02") == (20, 10)
    assert opened("68982-0810-02") == (16, 6)


def test_a_container_ndc_only_the_crosswalk_knows_bills_the_crosswalks_units(home, tmp_path):
    """An NDC the product catalog does not list (a labeler's new package) but an imported crosswalk does: its
    billing units per package are the crosswalk's own (10 for this 6 mL Cutaquig vial), not its labeled 0.99 g
    (9.9 units), so 2.5 g from three vials is 25 given and 5 discarded."""
    from igclaim.refdata import store

    fixture = Path(__file__).parent / "fixtures" / "cms" / "asp-ndc-hcpcs-crosswalk-2026q2-synthetic.csv"
    text = fixture.read_text(encoding="latin-1").rstrip("\n") + "\n"
    text += "J1551,Inj cutaquig 100 mg,Synthetic Labeler,00069-9999-01,Cutaquig,100 MG,6,1,10,10" + "," * 30 + "\n"
    crosswalk = tmp_path / fixture.name
    crosswalk.write_text(text, encoding="latin-1")
    store.import_file("crosswalk", crosswalk)
    enc = encounter(date_of_service="2026-04-14", payer={"type": "commercial", "name": "Plan"},
                    drugs=[drug(product="Cutaquig", route="SC", dose={"grams": 2.5},
                                containers=[{"grams": 0.99, "ndc": "00069-9999-01", "count": 3}])],
                    administrations=[infusion(60, start="2026-04-14T09:00")])
    assert [(ln.units, ln.modifiers) for ln in run(enc).claim.lines if ln.code == "J1551"] == [(25, []), (5, ["JW"])]


def test_a_push_coded_as_an_initial_of_its_own_starts_the_repeat_push_clock():
    """Hospital outpatient: Hizentra SC (96369) and a premedication pushed twice. The first push has no IV primary
    to be an add-on to, so it is its own initial (96374-XS); a repeat push of the same drug is 96376 only more than
    30 minutes after it (CPT 96376, facility only; refdata/cms/administration.toml `repeat_push_gap_minutes`)."""
    from tests.test_edits_support import build, chart
    from tests.test_mutants_edits_admin import SCIG

    def pushed_twice(second: str):
        pushes = [{"drug_id": "pre1", "method": "push", "start": f"2026-03-02T{t}", "stop": f"2026-03-02T{t}"}
                  for t in ("09:00", second)]
        return build(chart(setting="hospital_outpatient",
                           drugs=[SCIG, {"id": "pre1", "hcpcs": "J1200", "units": 2, "route": "IV"}],
                           administrations=[{"drug_id": "ig1", "start": "2026-03-02T10:00",
                                             "stop": "2026-03-02T11:00"}, *pushes]))

    def admin(r) -> list[tuple]:
        return [(ln.code, ln.modifiers) for ln in r.claim.lines if ln.code.startswith("963")]
    soon = pushed_twice("09:10")
    assert admin(soon) == [("96369", []), ("96374", ["XS"])]
    assert [f.message for f in soon.findings if f.edit == "ADMIN-NOT-BILLED"] == [
        "administrations[2]: a push of pre1 10 minutes after a reported push of the same drug; 96376 needs more than "
        "30 minutes."]
    assert admin(pushed_twice("09:31")) == [("96369", []), ("96374", ["XS"]), ("96376", [])]


def test_a_hospital_codes_one_sc_initial_whatever_the_sites():
    """96369's descriptor includes the "establishment of subcutaneous infusion site(s)" and the data allows it once
    per encounter (administration.toml `per_encounter = 1`): a hospital, which codes one initial per vascular access
    site, still codes a second SC site of the drug (here after a 30-minute pause) as more time, 96370, never a second
    96369-XS."""
    from tests.test_edits_support import build, chart
    from tests.test_mutants_edits_admin import SCIG

    def at(start: str, stop: str, site: int) -> dict:
        return {"drug_id": "ig1", "start": f"2026-03-02T{start}", "stop": f"2026-03-02T{stop}", "site": site}
    r = build(chart(setting="hospital_outpatient", drugs=[SCIG],
                    administrations=[at("09:00", "10:00", 1), at("10:30", "11:30", 2)]))
    assert [(ln.code, ln.modifiers, ln.units) for ln in r.claim.lines if ln.code.startswith("963")] == [
        ("96369", [], 1), ("96370", [], 1)]


def test_the_concentration_mismatch_names_the_product_as_charted():
    """Hizentra is labeled 20 % only: 50 mL charted at 10 % is coded as charted (5 g, J1559 × 50), and the finding
    names the product, the two strengths and the units at stake (100 at the label's)."""
    from tests.test_edits_support import build, chart

    r = build(chart(drugs=[{"id": "ig1", "product": "Hizentra", "route": "SC",
                            "dose": {"ml": 50, "concentration_percent": 10}, "containers": [{"ml": 50, "count": 1}]}],
                    administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"}]))
    assert [(f.impact_units, f.message) for f in r.findings if f.edit == "DRUG-CONCENTRATION-MISMATCH"] == [
        (50, "drugs[0].dose: Hizentra is labeled 20 %, and the chart gives 10 %: 50 mL is 100 units of J1559 at 20 %, "
             "50 at 10 % (coded as charted).")]


def test_the_grams_opened_add_up_over_containers_of_two_sizes():
    """Gamunex-C 25 g from a 20 g and a 10 g vial, each with its NDC (FDA listing: 13533-0805-31 and -11): 30 g = 60
    units opened, 50 given, 10 discarded (CMS JW policy: the discard is what was opened and not given)."""
    from tests.test_edits_support import chart, scrub

    enc = chart(drugs=[{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 25},
                        "containers": [{"ndc": "13533-0805-31", "count": 1}, {"ndc": "13533-0805-11", "count": 1}]}])
    r = scrub(enc, lambda c: c["lines"].pop(1))  # the JW line left out
    assert [(f.line, f.impact_units, f.message) for f in r.findings if f.edit == "DRUG-JW-MISSING"] == [
        (1, 10, "drugs[0]: opened 30 g = 60 units of J1561, 50 given: 10 units discarded and no JW line.")]


def test_a_multi_dose_container_takes_neither_jz_nor_jw():
    """JW and JZ are for single-dose containers (CMS discarded drugs policy): a multi-dose container's remainder is
    not a discard, so the line bills the dose alone, without JZ."""
    from tests.test_edits_support import build, chart

    r = build(chart(drugs=[{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 25},
                            "container_type": "multi_dose", "containers": [{"grams": 10, "count": 3}]}]))
    assert [(ln.code, ln.modifiers, ln.units) for ln in r.claim.lines if ln.code == "J1561"] == [("J1561", [], 50)]


def test_a_drug_given_by_the_nos_code_alone_is_coded_by_it():
    """A chart that names no product but gives J1599 (IV immune globulin, liquid, not otherwise specified, 500 mg a
    unit) and the grams: J1599 × 60 for 30 g, JZ with nothing discarded."""
    from tests.test_edits_support import build, chart

    r = build(chart(drugs=[{"id": "ig1", "hcpcs": "J1599", "route": "IV", "dose": {"grams": 30},
                            "containers": [{"grams": 10, "count": 3}]}]))
    assert [(ln.code, ln.modifiers, ln.units) for ln in r.claim.lines if ln.code.startswith("J")] == [
        ("J1599", ["JZ"], 60)]
