"""Medicare home SC immune globulin is dispensed by the supplier and given by the beneficiary or a caregiver. The DME
MACs' External Infusion Pumps policy article (A52507), as revised (joint DME MAC publication "LCD and Policy Article
Revisions Summary for May 22, 2025", revision effective 2025-02-19):
- JZ is required, for dates of service from 2024-01-01, on a drug from single-dose containers the supplier dispensed
  and the beneficiary self-administers, when nothing was discarded while the supplier prepared it (before: neither
  JW nor JZ was required for it);
- JW is not required for what the patient discards at home (the patient is not expected to report it); from
  2025-01-01 JW is required only for what the supplier discarded while preparing the drug.
So the units dispensed are billed on one line, and what the patient leaves is not a JW discard. Office and home IV
(nurse-given) immune globulin keeps the Part B rule: the discard on its own JW line, JZ from 2023-07-01."""

from __future__ import annotations

import pytest

from tests.test_edits_support import build, built_claim, chart, ids, only, scrub
from tests.test_home_pump_kx import _alone

# 10 g of Hizentra (J1559, 100 mg a unit) from three 4 g vials: 100 units given, 20 left by the patient.
LEFT = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 10},
        "containers": [{"grams": 4, "count": 3}]}


def home(dos: str = "2026-03-02", drug: dict = LEFT, **changes) -> dict:
    return chart(**{"setting": "home", "date_of_service": dos, "diagnoses": ["D80.0"], "drugs": [drug],
                    "administrations": [{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T10:30"}],
                    **changes})


def drug_lines(enc: dict) -> list[tuple[str, list[str], int]]:
    return [(ln["code"], ln["modifiers"], ln["units"]) for ln in built_claim(enc)["lines"]
            if ln["code"].startswith("J")]


def _as_jw_line(c: dict) -> None:
    """The Part B layout: the dose on the line (without JZ), what the patient left on a JW line."""
    first = c["lines"][0]
    first["units"] = 100
    first["modifiers"] = [m for m in first["modifiers"] if m != "JZ"]
    c["lines"].insert(1, dict(first, line=2, units=20, modifiers=[*first["modifiers"], "JW"]))
    for n, ln in enumerate(c["lines"], start=1):
        ln["line"] = n


def test_the_units_dispensed_are_billed_on_one_line():
    assert drug_lines(home()) == [("J1559", ["JB", "KX", "JZ"], 120)]


@pytest.mark.parametrize(("dos", "modifiers"), [
    ("2023-06-30", ["JB", "KX"]),
    ("2023-07-01", ["JB", "KX"]),  # the Part B JZ date does not apply to a dispensed drug
    ("2023-12-31", ["JB", "KX"]),
    ("2024-01-01", ["JB", "KX", "JZ"]),
])
def test_jz_on_a_dispensed_drug_from_2024_01_01(dos, modifiers):
    assert drug_lines(home(dos)) == [("J1559", modifiers, 120)]
    assert drug_lines(home(dos, drug=dict(LEFT, containers=[{"grams": 10, "count": 1}]))) == [
        ("J1559", modifiers, 100)]


def test_the_office_and_home_iv_keep_the_jw_line():
    office = chart(diagnoses=["D80.0"], drugs=[LEFT],
                   administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:30"}])
    assert drug_lines(office) == [("J1559", [], 100), ("J1559", ["JW"], 20)]
    iv = {"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 25},
          "containers": [{"grams": 10, "count": 3}]}
    assert drug_lines(home(drug=iv)) == [("J1561", [], 50), ("J1561", ["JW"], 10)]


def test_a_plan_that_bills_home_infusion_as_professional_services_keeps_the_jw_line():
    commercial = home(payer={"type": "commercial", "name": "Plan"})
    assert [(c, u) for c, _, u in drug_lines(commercial)] == [("J1559", 100), ("J1559", 20)]


def test_a_multi_dose_container_bills_the_dose():
    assert drug_lines(home(drug=dict(LEFT, container_type="multi_dose"))) == [("J1559", ["JB", "KX"], 100)]


def test_no_containers_bills_the_dose():
    no_containers = {k: v for k, v in LEFT.items() if k != "containers"}
    assert drug_lines(home(drug=no_containers)) == [("J1559", ["JB", "KX", "JZ"], 100)]


def test_the_note_says_what_the_patient_left_and_when_jw_applies():
    def note(dos: str) -> tuple[str, str]:
        found = [f for f in build(home(dos)).findings if f.edit == "HOME-BILLING-NOTE" and "dispensed" in f.message]
        assert len(found) == 1
        return found[0].message, found[0].fix or ""

    message, fix = note("2025-01-01")
    assert message == ("drugs[0]: the 120 units dispensed are billed on one line, the 20 the patient leaves "
                       "included: they are not a JW discard. JW is only for what the supplier discards while "
                       "preparing the drug (from 2025-01-01), which the chart does not show.")
    assert fix == ("Bill J1559 × 120 on one line; add a JW line only for the supplier's own preparation waste, and "
                   "take its units off this line.")
    message, fix = note("2024-12-31")
    assert message.startswith("drugs[0]: the 120 units dispensed are billed on one line")
    assert fix == "Bill J1559 × 120 on one line."
    exact = home(drug=dict(LEFT, containers=[{"grams": 10, "count": 1}]))
    assert not [f for f in build(exact).findings if "dispensed" in f.message]


def test_the_claim_as_built_is_clean():
    for dos in ("2023-12-31", "2024-01-01", "2025-01-01"):
        r = scrub(home(dos))
        assert not ids(r, "error"), [(f.edit, f.message) for f in r.findings]
        assert not ids(r) & {"DRUG-UNITS", "DRUG-JW-MISSING", "DRUG-JW-JZ-CONFLICT", "DRUG-JZ-MISSING"}


def test_a_jw_line_for_what_the_patient_left():
    """Before 2025 no JW line is right on a dispensed drug: an error. From 2025-01-01 it may be the supplier's
    preparation waste, which the chart does not show: a warning. The units are all billed, so none are at stake."""
    f = only(scrub(home("2024-12-31"), _as_jw_line), "DRUG-JW-NOT-ALLOWED")
    assert (f.severity, f.line, f.impact_units) == ("error", 2, None)
    assert f.message == ("Line 2: JW × 20 for Hizentra, which the supplier dispensed for the patient to give: what "
                         "the patient leaves is billed on the drug's line, not as a discard.")
    assert f.fix == "Bill J1559 × 120 on one line."
    f = only(scrub(home("2025-01-01"), _as_jw_line), "DRUG-JW-NOT-ALLOWED")
    assert (f.severity, f.line) == ("warning", 2)
    assert f.message.endswith("not as a discard (a JW line is only for what the supplier discarded while "
                              "preparing it).")
    assert f.fix == "Bill J1559 × 120 on one line unless the supplier discarded part of it while preparing it."
    for dos in ("2024-12-31", "2025-01-01"):
        assert not ids(scrub(home(dos), _as_jw_line)) & {"DRUG-UNITS", "DRUG-WASTE-MISMATCH"}


def test_only_the_dose_billed_underbills_what_was_dispensed():
    def dose_only(c: dict) -> None:
        c["lines"][0]["units"] = 100

    f = only(scrub(home(), dose_only), "DRUG-UNITS")
    assert (f.severity, f.impact_units) == ("error", 20)


@pytest.mark.parametrize(("dos", "missing"), [("2023-12-31", False), ("2024-01-01", True)])
def test_jz_missing_on_a_dispensed_drug_by_its_date(dos, missing):
    def no_jz(c: dict) -> None:
        c["lines"][0]["modifiers"] = ["JB", "KX"]

    assert ("DRUG-JZ-MISSING" in ids(scrub(home(dos), no_jz))) is missing


@pytest.mark.parametrize(("dos", "pump", "iv"), [("2023-12-31", False, True), ("2024-01-01", True, True),
                                                 ("2023-06-30", False, False)])
def test_an_837_alone_asks_jz_of_the_pump_line_from_2024_and_of_an_iv_line_from_2023_07(dos, pump, iv):
    """Without the chart, a home J1559 line (SC only) is a dispensed pump drug; J1561 without JB is given IV."""
    sc = {"code": "J1559", "modifiers": ["JB", "KX"], "units": 100}
    given_iv = {"code": "J1561", "modifiers": [], "units": 40}
    found = [f.line for f in _alone([sc, given_iv], dos=dos).findings if f.edit == "DRUG-JZ-MISSING"]
    assert found == [n for n, wanted in ((1, pump), (2, iv)) if wanted]
    office = [f.line for f in _alone([sc], dos=dos, setting="office").findings if f.edit == "DRUG-JZ-MISSING"]
    assert office == ([1] if iv else [])  # the office keeps the Part B date


def test_a_shared_container_bills_the_dose():
    assert [u for _, _, u in drug_lines(home(drug=dict(LEFT, shared_with_other_patient=True)))] == [100]


def test_the_ndc_quantity_is_that_of_the_units_dispensed():
    """12 g of Hizentra (20 %) dispensed: 60 mL, not the dose's 50 mL."""
    with_ndc = dict(LEFT, ndc="44206-0454-04", containers=[{"ndc": "44206-0454-04", "count": 3}])
    [line] = [ln for ln in built_claim(home(drug=with_ndc))["lines"] if ln["code"] == "J1559"]
    assert (line["units"], line["ndc_quantity"], line["ndc_unit"]) == (120, 60, "ML")


def test_one_line_per_ndc_bills_each_ndcs_units_dispensed(tmp_path):
    """A profile that bills home infusion as Medicare does and wants one line per NDC: each NDC's containers
    dispensed, the patient's leftover in them, no JW line (9 g given from 2 × 4 g and 1 × 2 g)."""
    (tmp_path / "ndc.toml").write_text(
        '[profile]\nname = "ndc"\ntitle = "NDC lines"\npayer_types = []\noriginal_medicare = true\n'
        'extends = "medicare-part-b"\n\n[parameters.ndc_required]\nlabel = "n"\nsource = "s"\n'
        'values = { "2000-01-01" = true }\n', encoding="utf-8")
    two_ndcs = dict(LEFT, dose={"grams": 9}, containers=[{"ndc": "44206-0454-04", "count": 2},
                                                           {"ndc": "44206-0452-02", "count": 1}])
    enc = home(drug=two_ndcs, payer={"type": "medicare", "profile": str(tmp_path / "ndc.toml")})
    lines = [(ln["units"], ln["modifiers"], ln["ndc"], ln["ndc_quantity"]) for ln in built_claim(enc)["lines"]
             if ln["code"] == "J1559"]
    assert lines == [(80, ["JB", "KX", "JZ"], "44206045404", 40), (20, ["JB", "KX", "JZ"], "44206045202", 10)]


def test_never_fewer_units_than_the_dose():
    """A container of 9.95 g holds 99 whole units of J1559; the dose of 9.95 g bills 100 (rounded up once)."""
    odd = dict(LEFT, dose={"grams": 9.95}, containers=[{"grams": 9.95, "count": 1}])
    assert drug_lines(home(drug=odd)) == [("J1559", ["JB", "KX", "JZ"], 100)]


def test_the_office_keeps_the_part_b_jz_date():
    exact = dict(LEFT, containers=[{"grams": 10, "count": 1}])
    office = chart(date_of_service="2023-12-31", diagnoses=["D80.0"], drugs=[exact],
                   administrations=[{"drug_id": "ig1", "start": "2023-12-31T09:00", "stop": "2023-12-31T10:30"}])
    assert drug_lines(office) == [("J1559", ["JZ"], 100)]


def test_no_jz_before_the_modifier_existed(tmp_path):
    """A profile asking JZ of a dispensed drug on every date still codes none before JZ was valid (2023-01-01)."""
    (tmp_path / "early.toml").write_text(
        '[profile]\nname = "early"\ntitle = "Early"\npayer_types = []\noriginal_medicare = true\n'
        'extends = "medicare-part-b"\n\n[parameters.self_administered_jz_required]\nlabel = "j"\nsource = "s"\n'
        'values = { "2000-01-01" = true }\n', encoding="utf-8")
    payer = {"type": "medicare", "profile": str(tmp_path / "early.toml")}
    assert drug_lines(home("2022-12-31", payer=payer)) == [("J1559", ["JB"], 120)]
    assert drug_lines(home("2023-01-01", payer=payer)) == [("J1559", ["JB", "KX", "JZ"], 120)]
    # an 837 alone under it, before Part B's JZ date: the pump's line needs JZ, J1561 given IV not yet
    lines = [{"code": "J1559", "modifiers": ["JB", "KX"], "units": 100}, {"code": "J1561", "units": 40}]
    assert [f.line for f in _alone(lines, dos="2023-03-01", payer=payer).findings
            if f.edit == "DRUG-JZ-MISSING"] == [1]


def test_the_note_counts_a_single_unit_left():
    one_left = dict(LEFT, dose={"grams": 9.9}, containers=[{"grams": 10, "count": 1}])
    notes = [f.message for f in build(home(drug=one_left)).findings if "dispensed" in f.message]
    assert notes == ["drugs[0]: the 100 units dispensed are billed on one line, the 1 the patient leaves included: "
                     "they are not a JW discard. JW is only for what the supplier discards while preparing the drug "
                     "(from 2025-01-01), which the chart does not show."]


def test_a_profile_that_never_takes_a_preparation_jw_line_says_nothing_of_it(tmp_path):
    (tmp_path / "never.toml").write_text(
        '[profile]\nname = "never"\ntitle = "Never"\npayer_types = []\noriginal_medicare = true\n'
        'extends = "medicare-part-b"\n\n[parameters.supplier_preparation_jw_required]\nlabel = "j"\nsource = "s"\n'
        'values = { "2000-01-01" = false }\n', encoding="utf-8")
    enc = home(payer={"type": "medicare", "profile": str(tmp_path / "never.toml")})
    [note] = [f for f in build(enc).findings if "dispensed" in f.message]
    assert note.message == ("drugs[0]: the 120 units dispensed are billed on one line, the 20 the patient leaves "
                            "included: they are not a JW discard.")
    assert note.fix == "Bill J1559 × 120 on one line."


def test_two_jw_lines_are_named_by_the_first_and_counted_together():
    def two_jw_lines(c: dict) -> None:
        _as_jw_line(c)
        c["lines"][1]["units"] = 10
        c["lines"].insert(2, dict(c["lines"][1], line=3))
        for n, ln in enumerate(c["lines"], start=1):
            ln["line"] = n

    f = only(scrub(home("2024-12-31"), two_jw_lines), "DRUG-JW-NOT-ALLOWED")
    assert f.line == 2 and f.message.startswith("Line 2: JW × 20 for Hizentra")


def test_a_drug_with_no_code_gets_no_dispensed_note():
    """Hizentra before its code (J1559 from 2011): no line, so nothing dispensed is billed or noted."""
    r = build(home("2010-06-01"))
    assert "DRUG-NO-CODE" in ids(r)
    assert not [f for f in r.findings if "dispensed" in f.message]
