"""Drug lines at the edges that move money (issue 9 items 4, 5, 7, 8, 10): one line per NDC where the payer
requires NDCs, billing units per package from the CMS NDC-HCPCS crosswalk, JW/JZ on premedications from
2023-07-01, Asceniv's pass-through code C9072 in a hospital outpatient department until 2021-03-31, every labeled
package size, and the FDA NDC Directory importer."""

from __future__ import annotations

import math
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from igclaim import engine, parse_encounter
from igclaim.errors import InputError
from igclaim.refdata import store
from igclaim.refdata.resolver import reference
from tests.conftest import run_cli
from tests.helpers import drug, encounter, ids, run

FDA = Path(__file__).parent / "fixtures" / "fda"
MEDICAID = {"type": "medicaid", "prior_authorization": {"number": "PA-1", "start": "2019-01-01",
                                                        "end": "2027-12-31", "units": 100000}}


def drug_lines(result, code_prefix: tuple[str, ...] = ("J", "C")):
    return [(ln.code, tuple(ln.modifiers), ln.units, ln.ndc, ln.ndc_quantity, ln.ndc_unit)
            for ln in result.claim.lines if ln.code.startswith(code_prefix)]


def scrub_own_claim(enc: dict):
    parsed = parse_encounter(enc)
    built = engine.build(parsed)
    return built, engine.scrub(parsed.model_copy(update={"claim": built.claim}))


# --- item 4: one line per NDC --------------------------------------------------------------------------------

def _gamunex_two_ndcs(payer):
    return encounter(payer=payer, drugs=[drug(ndc="13533-0805-31", dose={"grams": 25}, containers=[
        {"ndc": "13533-0805-31"}, {"ndc": "13533-0805-11"}])])


def test_medicaid_two_ndcs_bill_one_line_each_with_its_own_units_and_quantity():
    r = run(_gamunex_two_ndcs(MEDICAID))
    assert drug_lines(r) == [
        ("J1561", (), 40, "13533080531", Decimal(200), "ML"),  # the 20 g bottle, all given
        ("J1561", (), 10, "13533080511", Decimal(50), "ML"),  # 5 g of the 10 g bottle given
        ("J1561", ("JW",), 10, "13533080511", Decimal(50), "ML"),  # its other 5 g discarded
    ]
    assert "DRUG-NDC-MISSING" not in ids(r)


def test_split_claim_scrubs_clean_and_each_line_gets_its_own_lin_ctp():
    built, scrubbed = scrub_own_claim(_gamunex_two_ndcs(MEDICAID))
    assert not [f for f in scrubbed.findings if f.severity == "error"], scrubbed.findings
    from igclaim.outputs import x12

    seg = x12._Segments()
    for ln in built.claim.lines[:3]:
        x12._drug_loop(seg, ln)
    assert seg.items == ["LIN**N4*13533080531", "CTP****200*ML", "LIN**N4*13533080511", "CTP****50*ML",
                         "LIN**N4*13533080511", "CTP****50*ML"]


def test_medicare_without_ndc_requirement_keeps_one_line():
    r = run(_gamunex_two_ndcs({"type": "medicare"}))
    assert [(c, m, u) for c, m, u, *_ in drug_lines(r)] == [("J1561", (), 50), ("J1561", ("JW",), 10)]


def test_same_ndc_twice_is_one_line():
    r = run(encounter(payer=MEDICAID, drugs=[drug(ndc="13533-0805-11", dose={"grams": 30}, containers=[
        {"ndc": "13533-0805-11", "count": 2}, {"ndc": "13533-0805-11"}])]))
    assert [(c, m, u, n) for c, m, u, n, *_ in drug_lines(r)] == [("J1561", (), 60, "13533080511")]


def test_kit_in_packages_carries_its_ndc_quantity_in_un():
    r = run(encounter(payer=MEDICAID, drugs=[{"id": "ig1", "product": "Gammagard S/D", "ndc": "00944-2658-04",
                                              "dose": {"grams": 20}, "containers": [
                                                  {"ndc": "00944-2658-04", "count": 2}]}]))
    assert drug_lines(r) == [("J1566", (), 40, "00944265804", Decimal(2), "UN")]
    assert "DRUG-NDC-MISSING" not in ids(r)


def test_kit_two_ndcs_split_in_packages():
    r = run(encounter(payer=MEDICAID, drugs=[{"id": "ig1", "product": "Gammagard S/D", "ndc": "00944-2658-04",
                                              "dose": {"grams": 12}, "containers": [
                                                  {"ndc": "00944-2658-04"}, {"ndc": "00944-2656-03"}]}]))
    assert drug_lines(r) == [
        ("J1566", (), 20, "00944265804", Decimal(1), "UN"),
        ("J1566", (), 4, "00944265603", Decimal("0.4"), "UN"),
        ("J1566", ("JW",), 6, "00944265603", Decimal("0.6"), "UN"),
    ]


def test_kit_quantity_that_cannot_be_computed_is_an_error_not_a_silent_drop():
    r = run(encounter(payer=MEDICAID, drugs=[{"id": "ig1", "product": "Gammagard S/D", "ndc": "00944-2658-04",
                                              "dose": {"grams": 10}}]))
    assert "DRUG-NDC-MISSING" in ids(r)
    msg = next(f.message for f in r.findings if f.edit == "DRUG-NDC-MISSING")
    assert "quantity" in msg


def test_container_without_ndc_among_ndcs_is_missing_ndc():
    r = run(encounter(payer=MEDICAID, drugs=[drug(dose={"grams": 25}, containers=[
        {"ndc": "13533-0805-31"}, {"grams": 10}])]))
    assert "DRUG-NDC-MISSING" in ids(r)


# --- item 5: billing units per package from the crosswalk ----------------------------------------------------

def _cutaquig(dos: str, container: dict, grams: str = "1.5"):
    return encounter(date_of_service=dos, drugs=[{"id": "ig1", "product": "Cutaquig", "route": "SC",
                                                  "dose": {"grams": grams}, "containers": [container]}],
                     administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T10:00"}])


@pytest.mark.parametrize("container", [{"ml": 12}, {"ndc": "00069-1476-02"}, {"grams": "1.98"}])
def test_cutaquig_12ml_vial_is_20_units_by_the_crosswalk(container):
    r = run(_cutaquig("2026-03-02", container))
    lines = [(c, m, u) for c, m, u, *_ in drug_lines(r)]
    assert lines == [("J1551", (), 15), ("J1551", ("JW",), 5)]  # label grams would say 19 - 15 = 4


def test_cutaquig_6ml_vials_cover_a_two_vial_dose_with_nothing_discarded():
    r = run(_cutaquig("2026-03-02", {"ml": 6, "count": 2}, grams="1.98"))
    assert [(c, m, u) for c, m, u, *_ in drug_lines(r)] == [("J1551", ("JZ",), 20)]


def test_size_the_crosswalk_does_not_list_uses_labeled_grams():
    r = run(_cutaquig("2026-03-02", {"ml": 10}))  # 10 mL = 1.65 g: 16 whole units, 15 given
    assert [(c, m, u) for c, m, u, *_ in drug_lines(r)] == [("J1551", (), 15), ("J1551", ("JW",), 1)]


def test_crosswalk_answers_for_dates_outside_its_quarter_from_the_nearest_one():
    t = store.tables()
    from datetime import date
    assert t.package_billing_units("00069147602", "J1551", date(2026, 3, 31)) == 20
    assert t.package_billing_units("00069147602", "J1551", date(2026, 4, 1)) == 20
    assert t.package_billing_units("00069147602", "J1551", date(2025, 12, 31)) == 20
    assert t.package_billing_units("00069147602", "J1459", date(2026, 3, 2)) is None  # another code's unit


def test_between_crosswalks_the_latest_before_the_date_answers(home, tmp_path):
    """No crosswalk covers 2025-06-01: the latest one before it answers (a quarter's correction of a package's
    units over the quarter before), not the earliest."""
    from datetime import date

    from igclaim.refdata.importers import Options

    fix = Path(__file__).parent / "fixtures" / "cms"
    q1 = (fix / "asp-ndc-hcpcs-crosswalk-2024q1-real-excerpt.csv").read_text(encoding="latin-1")
    row = ",13533-0800-12,Gamunex-C,500 MG,10,1,2,2,"
    assert row in q1
    store.import_file("crosswalk", fix / "asp-ndc-hcpcs-crosswalk-2024q1-real-excerpt.csv")
    q2 = tmp_path / "asp-ndc-hcpcs-crosswalk-2024q2-corrected.csv"
    q2.write_text(q1.replace(row, ",13533-0800-12,Gamunex-C,500 MG,10,1,2,3,"), encoding="latin-1")
    store.import_file("crosswalk", q2, Options(effective=date(2024, 4, 1), ends=date(2024, 6, 30)))
    t = store.tables()
    assert t.package_billing_units("13533080012", "J1561", date(2024, 3, 31)) == 2
    assert t.package_billing_units("13533080012", "J1561", date(2024, 4, 1)) == 3
    assert t.package_billing_units("13533080012", "J1561", date(2025, 6, 1)) == 3


def test_scrub_counts_waste_in_crosswalk_units():
    enc = _cutaquig("2026-03-02", {"ml": 12})
    enc["claim"] = {"form": "CMS-1500", "lines": [
        {"line": 1, "code": "J1551", "units": 15, "modifiers": []},
        {"line": 2, "code": "J1551", "units": 4, "modifiers": ["JW"]}]}
    r = engine.scrub(parse_encounter(enc))
    assert "DRUG-WASTE-MISMATCH" in ids(r)


# --- item 7: JW/JZ on premedications ---------------------------------------------------------------------------

def _with_premed(dos: str, premed: dict, setting: str = "office", payer: dict | None = None):
    enc = encounter(date_of_service=dos, setting=setting, payer=payer or {"type": "medicare"},
                    drugs=[drug(), {"id": "pre", "hcpcs": "J1200", "units": 1, **premed}],
                    administrations=[{"drug_id": "pre", "start": f"{dos}T08:45", "stop": f"{dos}T08:50",
                                      "method": "push"},
                                     {"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T14:00"}])
    return enc


def _premed_line(r):
    return [(c, m, u) for c, m, u, *_ in drug_lines(r, ("J1200",))]


@pytest.mark.parametrize(("dos", "mods"), [("2023-06-30", ()), ("2023-07-01", ("JZ",))])
def test_premed_with_containers_gets_jz_from_2023_07_01(dos, mods):
    r = run(_with_premed(dos, {"containers": [{"units": 1}]}))
    assert _premed_line(r) == [("J1200", mods, 1)]


@pytest.mark.parametrize("dos", ["2023-06-30", "2023-07-01"])
def test_premed_discard_is_a_jw_line(dos):
    r = run(_with_premed(dos, {"containers": [{"units": 2}]}))
    assert _premed_line(r) == [("J1200", (), 1), ("J1200", ("JW",), 1)]


@pytest.mark.parametrize(("dos", "warned"), [("2023-06-30", False), ("2023-07-01", True)])
def test_premed_without_containers_warns_from_2023_07_01(dos, warned):
    r = run(_with_premed(dos, {}))
    assert ("DRUG-PREMED-CONTAINERS" in ids(r)) is warned
    assert _premed_line(r) == [("J1200", (), 1)]
    assert not [f for f in r.findings if f.edit == "DRUG-PREMED-CONTAINERS" and f.severity != "warning"]


@pytest.mark.parametrize(("given", "opened", "quantity", "jw_units", "jw_quantity"), [
    (1, 2, "1", 1, "1"),      # diphenhydramine 50 mg/mL: 1 unit (50 mg) is 1 mL; the discard is 1 mL
    (2, 5, "2", 3, "3"),
    (1, 3, "0.4", 2, "0.8"),  # the discard's quantity in proportion to its units, in the given line's unit
])
def test_premed_jw_line_carries_the_ndc_quantity_of_the_discard(given, opened, quantity, jw_units, jw_quantity):
    """An NDC on an 837 line goes with its quantity (LIN/CTP, 5010 837P 2410): the JW line of a premedication
    reports the discarded amount, in the unit of measure of the given line."""
    r = run(_with_premed("2026-02-02", {"units": given, "ndc": "00641-0376-25", "ndc_quantity": quantity,
                                        "ndc_unit": "ML", "containers": [{"units": opened}]}, payer=MEDICAID))
    assert drug_lines(r, ("J1200",)) == [
        ("J1200", (), given, "00641037625", Decimal(quantity), "ML"),
        ("J1200", ("JW",), jw_units, "00641037625", Decimal(jw_quantity), "ML")]
    assert not [f for f in r.findings if f.edit == "DRUG-NDC-MISSING" and f.message.startswith("drugs[1]")]


def test_premed_ndc_without_its_quantity_is_an_error_where_the_payer_requires_ndcs():
    """Without a quantity the 837 can carry no NDC for the line, and a payer that requires NDCs denies it."""
    premed = {"ndc": "00641-0376-25", "containers": [{"units": 2}]}
    r = run(_with_premed("2026-02-02", premed, payer=MEDICAID))
    found = [f for f in r.findings if f.edit == "DRUG-NDC-MISSING" and f.message.startswith("drugs[1]")]
    assert [(f.severity, f.message, f.fix) for f in found] == [(
        "error", "drugs[1]: Medicaid (generic state program) requires the NDC quantity with the NDC, and the chart "
        "does not let it be computed for J1200 (the 837 would carry no LIN/CTP).",
        "Give the NDC quantity and its unit of what was given (drugs[1].ndc_quantity and ndc_unit, e.g. 1 and ML).")]
    # Original Medicare requires no NDC on the line (its profile): no finding.
    assert "DRUG-NDC-MISSING" not in ids(run(_with_premed("2026-02-02", premed)))
    # On scrub the written lines are what is checked: the chart's gap is not reported a second time.
    enc = _with_premed("2026-02-02", premed, payer=MEDICAID)
    built = run(enc)
    enc["claim"] = built.claim.model_dump(mode="json")
    for ln in enc["claim"]["lines"]:
        if ln["code"] == "J1561":
            ln["ndc"] = "13533-0800-40"
    scrubbed = engine.scrub(parse_encounter(enc))
    assert not [f for f in scrubbed.findings if f.edit == "DRUG-NDC-MISSING" and f.message.startswith("drugs[")]


def test_a_drug_other_than_immune_globulin_names_what_it_lacks():
    """A drug other than immune globulin is billed by its own code and units: without units the error names the
    field."""
    enc = _with_premed("2026-02-02", {"units": None, "dose": {"grams": "0.05"}})
    with pytest.raises(InputError) as err:
        run(enc)
    assert (err.value.path, err.value.message) == ("drugs[1].units", "give the billed units of J1200")


def test_a_premedication_without_a_route_is_pushed_intravenously():
    """No route given: a premedication is taken as IV, so its push is coded (96375 after the IG's 96365)."""
    enc = _with_premed("2026-02-02", {"route": None})
    enc["drugs"][1].pop("route", None)
    codes = [ln.code for ln in run(enc).claim.lines]
    assert codes.count("96375") == 1 and "96365" in codes


def test_premed_container_units_from_the_crosswalk_by_ndc():
    enc = _with_premed("2026-02-02", {"hcpcs": "J1885", "containers": [{"ndc": "00404-9998-01"}]})
    r = run(enc)
    assert [(c, m, u) for c, m, u, *_ in drug_lines(r, ("J1885",))] == [("J1885", ("JZ",), 1)]


def test_premed_container_of_unknown_size_names_the_field():
    with pytest.raises(InputError) as err:
        run(_with_premed("2026-02-02", {"containers": [{"ndc": "00404-9998-02"}]}))
    assert "containers[0].units" in str(err.value.field if hasattr(err.value, "field") else err.value)


def test_premed_rule_follows_the_payer_and_setting():
    assert _premed_line(run(_with_premed("2026-02-02", {"containers": [{"units": 1}]}, payer=MEDICAID))) == \
        [("J1200", (), 1)]
    r = run(_with_premed("2026-02-02", {}, setting="hospital_outpatient"))  # OPPS packages premedications
    assert "DRUG-PREMED-CONTAINERS" not in ids(r)


def test_scrub_flags_a_premed_written_without_jz():
    enc = _with_premed("2026-02-02", {"containers": [{"units": 1}]})
    built = run(enc)
    claim = built.claim.model_dump(mode="json")
    for ln in claim["lines"]:
        if ln["code"] == "J1200":
            ln["modifiers"] = []
    enc["claim"] = claim
    assert "DRUG-JZ-MISSING" in ids(engine.scrub(parse_encounter(enc)))


# --- item 8: hospital pass-through code -------------------------------------------------------------------------

def _asceniv(dos: str, setting: str):
    return encounter(date_of_service=dos, setting=setting, drugs=[
        {"id": "ig1", "product": "Asceniv", "dose": {"grams": 5}, "containers": [{"grams": 5}]}],
        administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T11:00"}])


@pytest.mark.parametrize(("dos", "setting", "code", "units"), [
    ("2019-09-30", "hospital_outpatient", "J1599", 10),  # before the pass-through code: the NOS liquid code
    ("2019-10-01", "hospital_outpatient", "C9072", 500),  # 5 g at 10 mg a unit
    ("2021-03-31", "hospital_outpatient", "C9072", 500),
    ("2021-04-01", "hospital_outpatient", "J1554", 10),
    ("2021-03-31", "office", "J1599", 10),  # a C-code is for hospital outpatient departments only
    ("2021-04-01", "office", "J1554", 10),
])
def test_asceniv_code_by_date_and_setting(dos, setting, code, units):
    r = run(_asceniv(dos, setting))
    assert [(c, u) for c, _m, u, *_ in drug_lines(r)] == [(code, units)]


def test_c9072_record_is_dated_and_limited_to_hospital_outpatient():
    from datetime import date
    ref = reference()
    rec = ref.hcpcs("C9072", date(2021, 3, 31))
    assert rec is not None and rec.unit_mg == 10 and rec.settings == ("hospital_outpatient",)
    assert ref.hcpcs("C9072", date(2021, 4, 1)) is None


# --- item 10: every package of every product -------------------------------------------------------------------

@pytest.mark.parametrize(("product", "grams"), [
    ("Cuvitru", [1, 2, 4, 8, 10]),
    ("Octagam 10%", [2, 5, 10, 20, 30]),
    ("Panzyga", [1, 2.5, 5, 10, 20, 30]),
    ("HyQvia", [2.5, 5, 10, 20, 30]),
    ("Gammaplex 10%", [5, 10, 20]),
    ("Flebogamma 10% DIF", [5, 10, 20]),
])
def test_every_labeled_size_is_known(product, grams):
    (p,) = {id(x): x for x in reference().find_products(product)}.values()
    assert sorted({pk.grams for pk in p.packages}) == sorted(Decimal(str(g)) for g in grams)


def test_every_package_without_ndc_says_when_its_label_was_checked():
    for p in reference().products:
        for pk in p.packages:
            if pk.ndc is None:
                assert pk.source == "label" and (pk.verified is not None or p.name in (
                    "Privigen", "Hizentra", "Gamunex-C", "Gammagard Liquid")), (p.name, pk)


@pytest.mark.parametrize(("product", "dose", "containers", "route"), [
    ("Panzyga", 30, [{"grams": 10, "count": 4}], "IV"),  # a 30 g bottle exists
    ("Cuvitru", 8, [{"grams": 2, "count": 5}], "SC"),  # an 8 g vial exists
])
def test_avoidable_waste_knows_the_new_sizes(product, dose, containers, route):
    r = run(encounter(drugs=[{"id": "ig1", "product": product, "route": route, "dose": {"grams": dose},
                              "containers": containers}]))
    assert "DRUG-WASTE-AVOIDABLE" in ids(r)


# --- FDA NDC Directory importer ---------------------------------------------------------------------------------

def test_ndc_directory_import_is_stored_with_dates_and_idempotent(home):
    r = run_cli("data", "import", "ndc-directory", str(FDA / "package-synthetic.txt"))
    assert r.returncode == 0, r.stderr
    assert "imported ndc_directory" in r.stdout and "3 rows" in r.stdout
    conn = sqlite3.connect(home / store.DB_NAME)
    rows = conn.execute("SELECT ndc11, product_ndc, ml, start, end FROM ndc_directory ORDER BY ndc11").fetchall()
    conn.close()
    assert rows == [("00944285009", "0944-2850", "40", "2026-01-01", ""),
                    ("00944285010", "0944-2850", "50", "2026-01-01", "2026-06-30"),
                    ("99999000101", "99999-001", "", "2025-01-01", "")]
    again = run_cli("data", "import", "ndc-directory", str(FDA / "package-synthetic.txt"))
    assert again.returncode == 0 and "nothing changed" in again.stdout


def test_ndc_directory_bad_ndc_names_line_and_column(home):
    r = run_cli("data", "import", "ndc-directory", str(FDA / "package-bad-ndc-synthetic.txt"))
    assert r.returncode == 2
    assert "line 2, column 3" in r.stderr and "nothing was imported" in r.stderr


def test_imported_package_sizes_a_container_by_its_ndc_on_its_dates(home):
    assert run_cli("data", "import", "ndc-directory", str(FDA / "package-synthetic.txt")).returncode == 0
    store.invalidate()

    def cuvitru(dos, ndc):
        return encounter(date_of_service=dos, drugs=[{"id": "ig1", "product": "Cuvitru", "route": "SC",
                                                      "dose": {"grams": 8}, "containers": [{"ndc": ndc}]}],
                         administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T10:00"}])

    r = run(cuvitru("2026-03-02", "0944-2850-09"))  # 40 mL of 20 % = 8 g
    assert [(c, m, u) for c, m, u, *_ in drug_lines(r)] == [("J1555", ("JZ",), 80)]
    with pytest.raises(InputError):
        run(cuvitru("2025-12-31", "0944-2850-09"))  # before its marketing start
    with pytest.raises(InputError):
        run(cuvitru("2026-07-01", "0944-2850-10"))  # after its marketing end


# --- worked examples (examples/drug-lines/, the shape of examples/README.md) -------------------------------------

DRUG_LINE_EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples" / "drug-lines").glob("e*.json"))


@pytest.mark.parametrize("path", DRUG_LINE_EXAMPLES, ids=lambda p: p.stem)
def test_drug_line_example(path, tmp_path):
    import json

    from tests.conftest import check_expectations, load_example

    data = load_example(path)
    proc = run_cli("build", str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    built = json.loads(proc.stdout)
    assert not check_expectations(built, data["expect"]), check_expectations(built, data["expect"])
    # its own claim, written back, scrubs with no error
    f = tmp_path / path.name
    f.write_text(json.dumps({"input": dict(data["input"], claim=built["claim"])}))
    proc = run_cli("scrub", str(f), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert not [x["edit"] for x in json.loads(proc.stdout)["findings"] if x["severity"] == "error"]


def test_there_is_a_worked_example_for_each_rule():
    assert len(DRUG_LINE_EXAMPLES) >= 6


def test_scrub_flags_two_ndcs_billed_as_one():
    enc = _gamunex_two_ndcs(MEDICAID)
    enc["claim"] = {"form": "CMS-1500", "lines": [
        {"line": 1, "code": "J1561", "units": 50, "modifiers": [], "ndc": "13533080531", "ndc_quantity": 250,
         "ndc_unit": "ML"},
        {"line": 2, "code": "J1561", "units": 10, "modifiers": ["JW"], "ndc": "13533080531", "ndc_quantity": 50,
         "ndc_unit": "ML"}]}
    r = engine.scrub(parse_encounter(enc))
    assert "DRUG-NDC-PER-LINE" in ids(r)
    # the same single-NDC claim for Medicare (no NDC requirement) is not flagged
    enc["payer"] = {"type": "medicare"}
    assert "DRUG-NDC-PER-LINE" not in ids(engine.scrub(parse_encounter(enc)))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

GAMUNEX_NDCS = {"13533-0805-01": 5, "13533-0805-11": 10, "13533-0805-31": 20, "13533-0800-12": 1,
                "13533-0800-15": Decimal("2.5")}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(GAMUNEX_NDCS)), min_size=1, max_size=4),
       st.decimals(min_value=Decimal("0.5"), max_value=Decimal(1), places=2))
def test_split_lines_add_up_to_the_units_given_and_discarded(ndcs, share):
    opened = sum(GAMUNEX_NDCS[n] for n in ndcs)
    dose = max(Decimal("0.1"), (opened * share).quantize(Decimal("0.1")))
    r = run(encounter(payer=MEDICAID, drugs=[drug(dose={"grams": str(dose)},
                                                  containers=[{"ndc": n} for n in ndcs])]))
    facts = [ln for ln in r.claim.lines if ln.code == "J1561"]
    given_units = sum(ln.units for ln in facts if "JW" not in ln.modifiers)
    wasted = sum(ln.units for ln in facts if "JW" in ln.modifiers)
    assert given_units == math.ceil(dose * 2)  # 500 mg a unit, rounded up once
    assert given_units + wasted == max(given_units, int(opened * 2))
    assert {ln.ndc for ln in facts} == {n.replace("-", "") for n in ndcs}  # every NDC has a line
    assert all(ln.units > 0 and ln.ndc_quantity and ln.ndc_quantity > 0 for ln in facts)


def test_a_container_without_an_ndc_gets_a_line_without_an_ndc_quantity():
    """Where NDCs are required (the commercial profile), a container opened with no NDC still gets its own line,
    with neither NDC nor NDC quantity: the 837 reports a quantity only with its NDC (LIN03 with CTP04/05), and
    DRUG-NDC-MISSING says what to add."""
    res = run(encounter(payer={"type": "commercial"}, drugs=[drug(
        dose={"grams": 30}, containers=[{"ndc": "13533-0805-11", "grams": 10, "count": 1},
                                        {"grams": 40, "count": 1}])]))
    assert drug_lines(res) == [
        ("J1561", (), 20, "13533080511", Decimal("100"), "ML"),  # 10 g of Gamunex-C 10 % = 100 mL
        ("J1561", (), 40, None, None, None),
        ("J1561", ("JW",), 40, None, None, None),  # 20 g of the 40 g vial discarded = 40 units of 500 mg
    ]
    assert "DRUG-NDC-MISSING" in ids(res)


def test_a_discard_given_in_grams_without_containers_where_ndcs_are_required():
    """The chart gives the grams discarded and no containers (commercial: NDCs required): one administered line
    and one JW line, each with the drug's NDC and its own quantity in mL (Gamunex-C 10 %: 30 g = 300 mL,
    2 g = 20 mL; J1561 is 500 mg a unit)."""
    res = run(encounter(payer={"type": "commercial"}, drugs=[drug(
        dose={"grams": 30}, containers=[], discarded_grams=2, ndc="13533-0805-11")]))
    assert drug_lines(res) == [("J1561", (), 60, "13533080511", Decimal("300"), "ML"),
                               ("J1561", ("JW",), 4, "13533080511", Decimal("20"), "ML")]
