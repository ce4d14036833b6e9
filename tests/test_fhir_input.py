"""FHIR R4 charts in (readers/fhir.py): a Bundle maps to the encounter schema and codes to the same claim as the
JSON chart of the same visit; fhir.resources validates it; what coding needs and the Bundle lacks is an error
naming the resource and the element; `build` and `scrub --charts` recognise Bundles."""

from __future__ import annotations

import copy
import io
import json
from datetime import datetime
from pathlib import Path

import pytest

from igclaim import engine
from igclaim.inputs import InvalidInput, parse_encounter
from igclaim.outputs import chargemaster, x12
from igclaim.readers.fhir import parse_bundle
from igclaim.readers.scrub import load_charts, scrub_837
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "examples" / "fhir" / "office-gamunex-bundle.json"
JSON_CHART = ROOT / "examples" / "parties" / "office-gamunex-jz.json"


def bundle() -> dict:
    return json.loads(BUNDLE.read_text())


def entry(b: dict, rtype: str, n: int = 0) -> dict:
    return [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == rtype][n]


def test_bundle_maps_to_the_same_claim_as_the_json_chart():
    enc = parse_bundle(bundle())
    ref = parse_encounter(json.loads(JSON_CHART.read_text()))
    assert (enc.date_of_service, enc.setting, enc.payer.type, enc.diagnoses) == (
        ref.date_of_service, ref.setting, ref.payer.type, ref.diagnoses)
    assert enc.subscriber.member_id == ref.subscriber.member_id
    assert enc.administrations[0].start == ref.administrations[0].start  # wall clock: the offset is dropped
    assert [f.purpose for f in enc.fluids] == ["flush"]
    got, want = engine.build(enc).claim, engine.build(ref).claim
    # The Bundle documents no containers (FHIR has no element for vials opened), so only the waste modifier
    # rests on the DRUG-CONTAINERS-MISSING assumption; codes and units are the same.
    assert [(ln.code, ln.units, ln.ndc) for ln in got.lines] == [(ln.code, ln.units, ln.ndc) for ln in want.lines]


def test_build_recognises_a_bundle():
    proc = run_cli("build", str(BUNDLE), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["encounter_id"] == "x-office-jz-fhir"


@pytest.mark.parametrize("mutate,expected", [
    (lambda b: entry(b, "MedicationAdministration")["dosage"].pop("dose"),
     "MedicationAdministration (entry 5): dosage.dose: required"),
    (lambda b: entry(b, "MedicationAdministration")["effectivePeriod"].pop("end"),
     "MedicationAdministration (entry 5): effectivePeriod.end: required"),
    (lambda b: entry(b, "Encounter").pop("period"), "Encounter (entry 2): period.start: required"),
    (lambda b: entry(b, "Coverage").pop("type"), "Coverage (entry 1): type.coding: the payer type is required"),
    (lambda b: entry(b, "Condition")["code"]["coding"][0].update(system="http://snomed.info/sct"),
     "Condition (entry 3): code.coding: no ICD-10-CM code"),
    (lambda b: entry(b, "MedicationAdministration")["medicationReference"].update(reference="Medication/none"),
     "MedicationAdministration (entry 5): medicationReference: Medication/none is not in the Bundle"),
    (lambda b: b["entry"].pop(1), "Coverage: required: the Bundle has none"),
])
def test_missing_elements_name_resource_and_element(mutate, expected):
    b = bundle()
    mutate(b)
    with pytest.raises(InvalidInput) as exc:
        parse_bundle(b)
    assert any(p.startswith(expected) for p in exc.value.problems), exc.value.problems


def test_invalid_fhir_is_rejected_by_fhir_resources():
    b = bundle()
    entry(b, "MedicationAdministration")["effectivePeriod"]["start"] = "2026-03-02T09:00:00"  # no offset: not FHIR
    with pytest.raises(InvalidInput) as exc:
        parse_bundle(b)
    assert exc.value.problems[0].startswith("MedicationAdministration (entry 5).effectivePeriod.start:")


def test_setting_from_class_or_place_of_service():
    b = bundle()
    entry(b, "Encounter")["class"]["code"] = "HH"
    assert parse_bundle(b).setting == "home"
    b = bundle()
    entry(b, "Encounter")["type"] = [{"coding": [{"system": "https://www.cms.gov/Medicare/Coding/place-of-service-codes/"
                                                  "Place_of_Service_Code_Set", "code": "22"}]}]
    assert parse_bundle(b).setting == "hospital_outpatient"


def test_two_access_sites_are_two_sites():
    b = bundle()
    second = copy.deepcopy(entry(b, "MedicationAdministration"))
    second["id"] = "ma3"
    second["dosage"]["site"] = {"text": "right forearm"}
    second["effectivePeriod"] = {"start": "2026-03-02T14:30:00-06:00", "end": "2026-03-02T15:00:00-06:00"}
    b["entry"].append({"resource": second})
    enc = parse_bundle(b)
    assert [a.site for a in enc.administrations] == [1, 2]
    assert enc.drugs[0].dose.grams == 60  # two administrations of one Medication: one drug, the doses add up


def test_scrub_837_joins_a_bundle_by_patient_and_date(tmp_path):
    enc = parse_encounter(json.loads(JSON_CHART.read_text()))
    text = x12.to_837(enc, chargemaster.load("sample"), envelope=x12.Envelope(created=datetime(2026, 3, 6, 12, 0)))
    folder = tmp_path / "bundles"
    folder.mkdir()
    (folder / "visit.json").write_text(BUNDLE.read_text())
    [item] = list(scrub_837(io.StringIO(text), load_charts(folder)))
    assert item.joined_by == "member id and date of service"
    assert item.result.encounter_id == "x-office-jz-fhir"
