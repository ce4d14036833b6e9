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


def parse_bundle_problems(b: dict) -> list[str]:
    """The problems parse_bundle refuses the Bundle with (it must refuse it)."""
    with pytest.raises(InvalidInput) as exc:
        parse_bundle(b)
    return exc.value.problems


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


def test_a_bundle_with_every_mapped_element_codes_the_visit():
    """tests/fixtures/fhir/office-gamunex-every-element.json (also a base of the fuzz suite): 30 g from four 10 g
    vials is 60 units and 20 discarded on a JW line (a warning: three vials held the dose), the J1200 push is
    billed by its own code and reported as a sequential push, and the PAS detail is the authorization."""
    b = json.loads((ROOT / "tests" / "fixtures" / "fhir" / "office-gamunex-every-element.json").read_text())
    enc = parse_bundle(b)
    pa = enc.payer.prior_authorization
    assert (pa.number, pa.hcpcs, pa.units) == ("PA-7781", "J1561", 240)
    result = engine.build(enc)
    assert [(ln.code, tuple(ln.modifiers), ln.units) for ln in result.claim.lines] == [
        ("J1561", (), 60), ("J1561", ("JW",), 20), ("J1200", (), 1), ("96365", (), 1), ("96366", (), 4),
        ("96375", (), 1)]
    assert {(f.edit, f.severity) for f in result.findings} == {
        ("DRUG-WASTE-AVOIDABLE", "warning"), ("DRUG-PREMED-CONTAINERS", "warning"), ("ADMIN-NOT-BILLED", "info")}


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
    problems = parse_bundle_problems(b)
    assert any(p.startswith(expected) for p in problems), problems


def test_invalid_fhir_is_rejected_by_fhir_resources():
    b = bundle()
    entry(b, "MedicationAdministration")["effectivePeriod"]["start"] = "2026-03-02T09:00:00"  # no offset: not FHIR
    problems = parse_bundle_problems(b)
    assert problems[0].startswith("MedicationAdministration (entry 5).effectivePeriod.start:")


@pytest.mark.parametrize("value,shown", [
    ("MedicationAdminstration", "'MedicationAdminstration'"),  # a typo
    ("Quantity", None),  # a data type, not a resource: fhir.resources' own message
    ("Boolean", None),  # a primitive's name: fhir.resources raised KeyError
    (["Patient"], "a list"),  # fhir.resources raised TypeError
    (7, "a number"),
    (None, "null"),
])
def test_a_resource_type_fhir_does_not_have_is_named(value, shown):
    b = bundle()
    b["entry"][0]["resource"]["resourceType"] = value
    problems = parse_bundle_problems(b)
    if shown is not None:
        assert problems == [f"Bundle.entry[0].resource.resourceType: {shown} "
                            "is not a FHIR R4 resource type"]
    else:
        assert len(problems) == 1 and "resource" in problems[0].lower()


def test_a_contained_resource_of_no_fhir_type_is_named():
    b = bundle()
    entry(b, "MedicationAdministration")["contained"] = [{"resourceType": "Nope", "id": "c1"}]
    problems = parse_bundle_problems(b)
    assert problems == ["Bundle.entry[5].resource.contained[0].resourceType: 'Nope' is not a FHIR R4 "
                        "resource type"]


def test_a_typo_in_a_resource_type_exits_2_naming_it(tmp_path):
    b = bundle()
    entry(b, "MedicationAdministration")["resourceType"] = "MedicationAdminstration"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(b))
    proc = run_cli("build", str(path))
    assert proc.returncode == 2, proc.stderr
    assert "Bundle.entry[5].resource.resourceType: 'MedicationAdminstration' is not a FHIR R4 resource type" in \
        proc.stderr


def test_the_api_answers_422_naming_a_resource_type_fhir_does_not_have():
    from fastapi.testclient import TestClient

    from igclaim.api import app

    b = bundle()
    b["entry"][0]["resource"]["resourceType"] = "Pateint"
    resp = TestClient(app).post("/api/build", json=b)
    assert resp.status_code == 422, resp.text  # was 500: fhir.resources raised KeyError
    assert resp.json()["problems"] == ["Bundle.entry[0].resource.resourceType: 'Pateint' is not a FHIR R4 resource "
                                       "type"]


@pytest.mark.parametrize("resource,element,set_", [
    ("Encounter", "period.start", lambda r: r["period"].update(start=7)),
    ("MedicationAdministration", "effectivePeriod.end", lambda r: r["effectivePeriod"].update(end=-1)),
    ("Patient", "birthDate", lambda r: r.update(birthDate=946684800)),  # 2000-01-01T00:00:00Z
])
def test_a_number_where_fhir_writes_a_date_is_named_not_read_as_1970(resource, element, set_):
    """pydantic (so fhir.resources) takes a number as a Unix time; no chart means 1970-01-01T00:00:07."""
    b = bundle()
    set_(entry(b, resource))
    problems = parse_bundle_problems(b)
    index = next(i for i, e in enumerate(b["entry"]) if e["resource"]["resourceType"] == resource)
    assert problems == [f"{resource} (entry {index}): {element}: a date written as text is required (FHIR "
                        "JSON writes dates and times as text), not a number"]


def test_a_second_visit_or_patient_in_the_bundle_is_an_error_not_merged():
    """Every MedicationAdministration and Condition of the Bundle is read: two visits would become one claim."""
    b = bundle()
    second = copy.deepcopy(entry(b, "Encounter"))
    second["id"] = "second-visit"
    b["entry"].append({"resource": second})
    problems = parse_bundle_problems(b)
    assert problems == [f"Encounter: 2 in the Bundle (entries 2, {len(b['entry']) - 1}): a Bundle holds one "
                        "visit; send each visit in a Bundle of its own"]
    b = bundle()
    b["entry"].append({"resource": {**copy.deepcopy(entry(b, "Patient")), "id": "P-2"}})
    problems = parse_bundle_problems(b)
    assert problems == [f"Patient: 2 in the Bundle (entries 0, {len(b['entry']) - 1}): a Bundle holds one "
                        "patient's visit"]


def test_of_two_coverages_the_plan_of_order_1_is_billed():
    b = bundle()
    primary = entry(b, "Coverage")
    secondary = {**copy.deepcopy(primary), "id": "cov-2", "order": 2,
                 "type": {"coding": [{"system": "urn:oid:2.16.840.1.113883.3.221.5", "code": "5"}]}}
    b["entry"].insert(1, {"resource": secondary})  # read first, but order 2
    problems = parse_bundle_problems(b)  # no order on the primary: which plan is billed is not said
    assert problems == ["Coverage: 2 in the Bundle (entries 1, 2): give the plan this claim is billed to "
                        "Coverage.order 1 (the others 2, 3…), or send it alone"]
    primary["order"] = 1
    assert parse_bundle(b).payer.type == parse_bundle(bundle()).payer.type == "medicare"
    secondary["order"] = 1
    with pytest.raises(InvalidInput):
        parse_bundle(b)


def test_an_administration_not_given_is_not_billed():
    """MedicationAdministration.status not-done or entered-in-error: it was not given, so nothing is billed for it
    (every administration was read whatever its status)."""
    b = bundle()
    extra = {**copy.deepcopy(entry(b, "MedicationAdministration")), "id": "ma-x", "status": "not-done",
             "effectivePeriod": {"start": "2026-03-02T14:30:00-06:00", "end": "2026-03-02T16:30:00-06:00"}}
    b["entry"].append({"resource": extra})
    enc = parse_bundle(b)
    assert enc.drugs[0].dose.grams == 30 and len(enc.administrations) == 1  # not 60 g over two administrations
    extra["status"] = "entered-in-error"
    assert parse_bundle(b).drugs[0].dose.grams == 30
    extra["status"] = "completed"
    assert parse_bundle(b).drugs[0].dose.grams == 60  # the other side: a completed one adds up
    b = bundle()
    entry(b, "MedicationAdministration")["status"] = "not-done"
    problems = parse_bundle_problems(b)
    assert problems == ["MedicationAdministration: required: no administration of a drug (the immune "
                        "globulin) in the Bundle"]


def test_a_condition_refuted_or_in_error_is_not_a_diagnosis():
    b = bundle()
    ruled_out = {**copy.deepcopy(entry(b, "Condition")), "id": "dx0", "code": {"coding": [
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G61.0"}]}}
    b["entry"].insert(3, {"resource": ruled_out})  # read first: it would have been the principal diagnosis
    assert parse_bundle(b).diagnoses == ["G61.0", "D83.9"]
    for status in ("refuted", "entered-in-error"):
        ruled_out["verificationStatus"] = {"coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": status}]}
        assert parse_bundle(b).diagnoses == ["D83.9"]
    ruled_out["verificationStatus"]["coding"][0]["code"] = "confirmed"
    assert parse_bundle(b).diagnoses == ["G61.0", "D83.9"]


@pytest.mark.parametrize("status", ["planned", "cancelled", "entered-in-error"])
def test_a_visit_that_did_not_take_place_is_not_coded(status):
    b = bundle()
    entry(b, "Encounter")["status"] = status
    problems = parse_bundle_problems(b)
    assert problems == [f"Encounter (entry 2): status: {status}: the visit did not take place, so there is "
                        "no claim to code"]


def test_doses_of_one_medication_in_two_units_are_an_error_not_dropped():
    """The second administration's 100 mL was dropped beside the first one's 30 g: 20 units of J1561 unbilled."""
    b = bundle()
    second = {**copy.deepcopy(entry(b, "MedicationAdministration")), "id": "ma-2",
              "effectivePeriod": {"start": "2026-03-02T14:30:00-06:00", "end": "2026-03-02T15:30:00-06:00"}}
    second["dosage"]["dose"] = {"value": 100, "unit": "mL", "system": "http://unitsofmeasure.org", "code": "mL"}
    b["entry"].append({"resource": second})
    problems = parse_bundle_problems(b)
    assert problems == [f"MedicationAdministration (entry {len(b['entry']) - 1}): dosage.dose: in mL, where "
                        "an earlier administration of the same Medication gave its dose in grams: give "
                        "every administration's dose in one unit"]


@pytest.mark.parametrize("ref,another", [
    ("Patient/P-101", False), ("Patient/P-101/_history/3", False), ("https://ehr.example/fhir/Patient/P-101", False),
    ("Patient/P-999", True), ("https://ehr.example/fhir/Patient/P-999", True),
    ("#contained", False),  # not judged: no Type/id to compare
])
def test_an_administration_of_another_patient_is_an_error(ref, another):
    """Every MedicationAdministration of the Bundle is read: one whose subject is another patient would bill that
    patient's drug on this claim."""
    b = bundle()
    entry(b, "MedicationAdministration")["subject"] = {"reference": ref}
    if not another:
        assert parse_bundle(b).drugs[0].dose.grams == 30
        return
    problems = parse_bundle_problems(b)
    assert problems == [f"MedicationAdministration (entry 5): subject: {ref!r} is not the Bundle's "
                        "Patient: a Bundle holds one patient's visit"]


def test_a_condition_or_administration_of_another_visit_is_an_error():
    b = bundle()
    entry(b, "Condition")["encounter"] = {"reference": "Encounter/another-visit"}
    entry(b, "MedicationAdministration")["context"] = {"reference": "Encounter/another-visit"}
    problems = parse_bundle_problems(b)
    assert problems == [
        "Condition (entry 3): encounter: 'Encounter/another-visit' is not the Bundle's Encounter: a Bundle holds "
        "one patient's visit",
        "MedicationAdministration (entry 5): context: 'Encounter/another-visit' is not the Bundle's Encounter: a "
        "Bundle holds one patient's visit"]
    b = bundle()
    entry(b, "MedicationAdministration")["context"] = {"reference": f"Encounter/{entry(b, 'Encounter')['id']}"}
    assert parse_bundle(b).administrations


def test_urn_uuid_references_are_matched_to_the_entry_full_url():
    b = bundle()
    b["entry"][0]["fullUrl"] = "urn:uuid:7c5b2a1e-0000-4000-8000-000000000101"  # the Patient
    entry(b, "MedicationAdministration")["subject"] = {"reference": "urn:uuid:7c5b2a1e-0000-4000-8000-000000000101"}
    assert parse_bundle(b).drugs
    entry(b, "MedicationAdministration")["subject"] = {"reference": "urn:uuid:7c5b2a1e-0000-4000-8000-000000000999"}
    problems = parse_bundle_problems(b)
    assert problems[0].startswith("MedicationAdministration (entry 5): subject: 'urn:uuid:")


def test_the_patient_s_current_official_name_and_home_address_are_billed():
    """The first HumanName or Address listed was taken: a nickname or a former address went on the claim, which
    the payer matches against its own record of the member."""
    b = bundle()
    pat = entry(b, "Patient")
    official = pat["name"][0]
    pat["name"] = [{"use": "old", "family": "Maiden", "given": ["Sarah"]},
                   {"use": "usual", "family": official["family"], "given": ["Sally"]}, {**official, "use": "official"}]
    home = pat["address"][0]
    pat["address"] = [{**home, "use": "old", "line": ["9 Former Rd"]}, {**home, "use": "work", "line": ["1 Office Pk"]},
                      {**home, "use": "home"}]
    enc = parse_bundle(b)
    assert (enc.patient.last_name, enc.patient.first_name) == (official["family"], official["given"][0])
    assert enc.patient.address.line1 == home["line"][0]
    pat["name"] = pat["name"][:2]  # no official name: the first one in use, not the old one
    pat["address"] = pat["address"][:2]
    enc = parse_bundle(b)
    assert (enc.patient.first_name, enc.patient.address.line1) == ("Sally", "1 Office Pk")


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


# --- containers, discarded amount, prior authorization, premedications --------------------------------------
CONTAINER = "https://igclaim.dev/fhir/StructureDefinition/container-opened"
DISCARDED = "https://igclaim.dev/fhir/StructureDefinition/amount-discarded"


def _opened(ndc: str | None, count: int, amount: dict | None = None) -> dict:
    parts = [{"url": "count", "valueInteger": count}]
    if ndc:
        parts.append({"url": "ndc", "valueCoding": {"system": "http://hl7.org/fhir/sid/ndc", "code": ndc}})
    if amount:
        parts.append({"url": "amount", "valueQuantity": amount})
    return {"url": CONTAINER, "extension": parts}


def test_containers_opened_from_the_extension():
    """30 g given from four 10 g vials (NDC 13533-0805-11): 10 g discarded, billed on a JW line."""
    b = bundle()
    entry(b, "MedicationAdministration")["extension"] = [_opened("13533-0805-11", 4)]
    enc = parse_bundle(b)
    (c,) = enc.drugs[0].containers
    assert (c.ndc, c.count) == ("13533-0805-11", 4)
    result = engine.build(enc)
    assert "DRUG-CONTAINERS-MISSING" not in {f.edit for f in result.findings}
    jw = [ln for ln in result.claim.lines if "JW" in ln.modifiers]
    assert len(jw) == 1 and jw[0].units == 20  # 10 g of J1561 at 500 mg a unit


def test_containers_by_amount_and_discarded():
    b = bundle()
    entry(b, "MedicationAdministration")["extension"] = [
        _opened(None, 3, {"value": 10, "unit": "g", "code": "g"}),
        {"url": DISCARDED, "valueQuantity": {"value": 0, "code": "g"}}]
    enc = parse_bundle(b)
    assert [(c.grams, c.count) for c in enc.drugs[0].containers] == [(10, 3)]
    assert enc.drugs[0].discarded_grams == 0
    assert all("JW" not in ln.modifiers for ln in engine.build(enc).claim.lines)


def test_container_without_ndc_or_amount_is_named():
    b = bundle()
    entry(b, "MedicationAdministration")["extension"] = [_opened(None, 3)]
    problems = parse_bundle_problems(b)
    assert problems == ["MedicationAdministration (entry 5).extension[0]: extension: a container opened "
                        "needs 'ndc' (valueCoding, the package's NDC) or 'amount' (valueQuantity in g or "
                        "mL)"]


def _preauth(**changes) -> dict:
    cr = {"resourceType": "ClaimResponse", "id": "pa1", "status": "active", "type": {"coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "preauthorization", "patient": {"reference": "Patient/P-101"}, "created": "2026-01-02",
        "insurer": {"display": "Medicare Part B"}, "outcome": "complete", "preAuthRef": "PA-7781",
        "preAuthPeriod": {"start": "2026-01-01", "end": "2026-06-30"}}
    cr.update(changes)
    return cr


def test_prior_authorization_from_claim_response():
    b = bundle()
    b["entry"].append({"resource": _preauth()})
    pa = parse_bundle(b).payer.prior_authorization
    assert (pa.number, str(pa.start), str(pa.end)) == ("PA-7781", "2026-01-01", "2026-06-30")
    b = bundle()
    cr = _preauth()
    cr.pop("preAuthRef")
    b["entry"].append({"resource": cr})
    problems = parse_bundle_problems(b)
    assert problems == [f"ClaimResponse (entry {len(b['entry']) - 1}): preAuthRef: required (the "
                        "authorization number) on a ClaimResponse of use preauthorization"]
    b = bundle()
    b["entry"].append({"resource": _preauth(preAuthPeriod={"start": 1767225600, "end": "2026-06-30"})})
    problems = parse_bundle_problems(b)  # 2026-01-01T00:00:00Z as a Unix time: fhir.resources takes it
    assert problems == [f"ClaimResponse (entry {len(b['entry']) - 1}): preAuthPeriod.start: a date written "
                        "as text is required (FHIR JSON writes dates and times as text), not a number"]


def _premed(b: dict, code: dict, dose: dict | None, route: str = "47625008") -> None:
    b["entry"].append({"resource": {"resourceType": "Medication", "id": "pm", "code": code}})
    ma = {"resourceType": "MedicationAdministration", "id": "ma-pm", "status": "completed",
          "medicationReference": {"reference": "Medication/pm"}, "subject": {"reference": "Patient/P-101"},
          "effectivePeriod": {"start": "2026-03-02T08:45:00-06:00", "end": "2026-03-02T08:50:00-06:00"},
          "dosage": {"route": {"coding": [{"system": "http://snomed.info/sct", "code": route}]}}}
    if dose:
        ma["dosage"]["dose"] = dose
    b["entry"].append({"resource": ma})


J1200 = {"text": "diphenhydramine 50 mg/mL", "coding": [
    {"system": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "code": "J1200"}]}


def test_premedication_billed_by_its_own_code():
    b = bundle()
    _premed(b, J1200, {"value": 1, "unit": "{unit}"})
    enc = parse_bundle(b)
    pm = next(d for d in enc.drugs if d.hcpcs == "J1200")
    assert (pm.units, pm.dose, pm.route) == (1, None, "IV")
    ig = next(d for d in enc.drugs if d.hcpcs != "J1200")
    assert ig.dose is not None and ig.dose.grams == 30
    lines = engine.build(enc).claim.lines
    assert [ln.units for ln in lines if ln.code == "J1200"] == [1]


def test_premedication_in_mg_is_named():
    b = bundle()
    _premed(b, J1200, {"value": 25, "unit": "mg", "code": "mg"})
    problems = parse_bundle_problems(b)
    (problem,) = problems
    assert problem.startswith(f"MedicationAdministration (entry {len(b['entry']) - 1}): dosage.dose: a drug that is "
                              "not an immune globulin (HCPCS J1200)")


def test_an_astronomical_quantity_is_refused_before_it_is_made_an_integer():
    """fhir.resources takes the decimal "1e999999"; int() of it builds a million-digit integer (about 30 s of CPU
    for one request, then a crash quoting it). Both counts the Bundle carries are bounded first."""
    b = bundle()
    _premed(b, J1200, {"value": "1e999999", "unit": "{unit}"})
    problems = parse_bundle_problems(b)
    assert problems == [f"MedicationAdministration (entry {len(b['entry']) - 1}): dosage.dose: the units "
                        "must be a number of at most 12 digits"]
    b = bundle()
    b["entry"].append({"resource": _preauth(item=[_authorized("1e999999")])})
    problems = parse_bundle_problems(b)
    assert problems == [f"ClaimResponse (entry {len(b['entry']) - 1}): item[0].extension "
                        "(itemAuthorizedDetail).quantity: units must be a whole number of at most 12 "
                        "digits, or give the unit g for grams"]
    b = bundle()
    b["entry"].append({"resource": _preauth(item=[_authorized(999_999_999_999)])})  # 12 digits: read
    problems = parse_bundle_problems(b)
    assert problems == ["(mapped from the Bundle) payer.prior_authorization.units: 999999999999: "
                        "must be at most 999999"]


def test_oral_premedication_is_not_billed():
    b = bundle()
    _premed(b, {"text": "acetaminophen 650 mg"}, {"value": 650, "unit": "mg", "code": "mg"}, route="26643006")
    enc = parse_bundle(b)
    assert len(enc.drugs) == 1 and len(enc.administrations) == 1


def test_batch_of_bundles_keeps_the_accounting(tmp_path):
    """FHIR Bundles as JSON Lines through `igclaim batch`: every Bundle a result or an error naming the resource
    and element, in order, with the report."""
    from igclaim.batch import run_batch

    good = bundle()
    broken = bundle()
    entry(broken, "MedicationAdministration")["dosage"].pop("dose")
    second = bundle()
    entry(second, "Encounter")["id"] = "second-visit"
    src = tmp_path / "bundles.jsonl"
    src.write_text("\n".join(json.dumps(b) for b in (good, broken, second)) + "\n")
    summary = run_batch(src, tmp_path / "out", workers=1)
    assert (summary.records, summary.results, summary.errors) == (3, 2, 1) and summary.accounted
    results = [json.loads(x)["encounter_id"] for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert results == ["x-office-jz-fhir", "second-visit"]
    (err,) = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert (err["record"], err["line"], err["stage"]) == (2, 2, "schema")
    assert err["field"] == "MedicationAdministration (entry 5)" and "dosage.dose" in err["reason"]
    assert (tmp_path / "out" / "report.html").is_file()


def test_an_immune_globulin_charted_oral_is_still_read():
    """Only a drug that is not an immune globulin is skipped as an oral premedication, never the IG itself."""
    b = bundle()
    _premed(b, {"text": "Privigen"}, {"value": 10, "unit": "g", "code": "g"}, route="26643006")
    enc = parse_bundle(b)
    assert len(enc.drugs) == 2 and any(d.product == "Privigen" for d in enc.drugs)


ADJUDICATED = [{"category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adjudication",
                                          "code": "submitted"}]}}]


def _authorized(value, unit: str | None = None, code: str = "J1561") -> dict:
    qty = {"value": value, **({"unit": unit, "code": unit, "system": "http://unitsofmeasure.org"} if unit else {})}
    return {"itemSequence": 1, "adjudication": ADJUDICATED, "extension": [{
        "url": "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-itemAuthorizedDetail",
        "extension": [
            {"url": "productOrServiceCode", "valueCodeableConcept": {"coding": [
                {"system": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "code": code}]}},
            {"url": "quantity", "valueQuantity": qty}]}]}


def test_authorized_units_or_grams_from_the_pas_item_detail():
    """Da Vinci PAS ItemAuthorizedDetail (ClaimResponse.item): the code and quantity authorized reach
    payer.prior_authorization, so AUTH-UNITS can compare the claim against them."""
    b = bundle()
    b["entry"].append({"resource": _preauth(item=[_authorized(240)])})
    pa = parse_bundle(b).payer.prior_authorization
    assert (pa.hcpcs, pa.units, pa.grams) == ("J1561", 240, None)
    b = bundle()
    b["entry"].append({"resource": _preauth(item=[_authorized(120, "g")])})
    pa = parse_bundle(b).payer.prior_authorization
    assert (pa.units, pa.grams) == (None, 120)
    b = bundle()
    b["entry"].append({"resource": _preauth(item=[_authorized(2.5)])})
    problems = parse_bundle_problems(b)
    assert "item[0].extension (itemAuthorizedDetail).quantity: units must be a whole number" in problems[0]
    b = bundle()
    # No detail: the number and dates only.
    b["entry"].append({"resource": _preauth(item=[{"itemSequence": 1, "adjudication": ADJUDICATED}])})
    pa = parse_bundle(b).payer.prior_authorization
    assert (pa.number, pa.units, pa.grams) == ("PA-7781", None, None)


def _given_again(b: dict, dose: dict, at: str = "09:05") -> None:
    """One more administration of the premedication `_premed` added (Medication/pm)."""
    ma = copy.deepcopy(next(e["resource"] for e in b["entry"] if e["resource"].get("id") == "ma-pm"))
    ma["id"] = f"ma-pm-{at.replace(':', '')}"
    ma["effectivePeriod"] = {"start": f"2026-03-02T{at}:00-06:00", "end": f"2026-03-02T{at}:00-06:00"}
    ma["dosage"]["dose"] = dose
    b["entry"].append({"resource": ma})


@pytest.mark.parametrize(("first", "second", "units"), [("0.5", "0.5", 1), ("1.5", "1", 3), ("1", "1", 2),
                                                        ("0.4", "0.4", 1)])
def test_a_premedication_given_twice_bills_its_whole_dose_rounded_up_once(first, second, units):
    """Billing units are the whole dose given, rounded up (a fraction of a unit bills as a unit), once: each
    administration rounded up before adding billed 0.5 + 0.5 units as 2 (an outside audit's finding)."""
    b = bundle()
    _premed(b, J1200, {"value": first, "unit": "{unit}"})
    _given_again(b, {"value": second, "unit": "{unit}"})
    pm = next(d for d in parse_bundle(b).drugs if d.hcpcs == "J1200")
    assert pm.units == units


def test_a_visit_past_midnight_is_dated_by_its_start():
    b = bundle()
    entry(b, "Encounter")["period"] = {"start": "2026-03-02T09:00:00-06:00", "end": "2026-03-03T00:15:00-06:00"}
    assert str(parse_bundle(b).date_of_service) == "2026-03-02"


@pytest.mark.parametrize(("sopt", "payer"), [("111", "medicare_advantage"), ("11", "medicare_advantage"),
                                              ("121", "medicare"), ("1", "medicare")])
def test_a_source_of_payment_code_of_medicare_managed_care_is_medicare_advantage(sopt, payer):
    """Source of Payment Typology: 11 Medicare (Managed Care), 12 Medicare (Non-managed Care)."""
    b = bundle()
    entry(b, "Coverage")["type"] = {"coding": [{"system": "urn:oid:2.16.840.1.113883.3.221.5", "code": sopt}]}
    if payer == "medicare_advantage":
        b["entry"].append({"resource": _preauth()})
    assert parse_bundle(b).payer.type == payer


# --- modifierExtension: FHIR R4 forbids processing an element whose modifier extension one does not know -------
MODIFIER = {"url": "https://example.org/fhir/StructureDefinition/not-actually-given", "valueBoolean": True}
NOT_KNOWN = ("'https://example.org/fhir/StructureDefinition/not-actually-given': a modifierExtension changes the "
             "meaning of the element that holds it, and igclaim does not know what this one changes, so it refuses "
             "the element rather than read it as if it were absent (FHIR R4 Extensibility: modifierExtension)")


@pytest.mark.parametrize(("rtype", "i"), [("Patient", 0), ("Coverage", 1), ("Encounter", 2), ("Condition", 3),
                                          ("Medication", 4), ("MedicationAdministration", 5)])
def test_a_modifier_extension_on_a_resource_read_is_an_error(rtype, i):
    b = bundle()
    assert b["entry"][i]["resource"]["resourceType"] == rtype
    b["entry"][i]["resource"]["modifierExtension"] = [MODIFIER]
    assert parse_bundle_problems(b) == [f"{rtype} (entry {i}).modifierExtension[0]: {NOT_KNOWN}"]


def test_a_modifier_extension_inside_a_resource_or_on_its_entry_is_an_error():
    b = bundle()
    entry(b, "MedicationAdministration")["dosage"]["modifierExtension"] = [MODIFIER]
    assert parse_bundle_problems(b) == [f"MedicationAdministration (entry 5).dosage.modifierExtension[0]: "
                                        f"{NOT_KNOWN}"]
    b = bundle()
    b["entry"][5]["modifierExtension"] = [{"url": "https://example.org/x", "valueString": "y"}, MODIFIER]
    problems = parse_bundle_problems(b)
    assert problems[1] == f"Bundle.entry[5].modifierExtension[1]: {NOT_KNOWN}"
    b = bundle()
    b["entry"].append({"resource": _preauth(modifierExtension=[MODIFIER])})
    assert parse_bundle_problems(b) == [f"ClaimResponse (entry 7).modifierExtension[0]: {NOT_KNOWN}"]


def test_a_modifier_extension_on_a_resource_not_read_is_left_alone():
    b = bundle()
    b["entry"].append({"resource": {"resourceType": "Practitioner", "id": "dr1", "modifierExtension": [MODIFIER]}})
    assert parse_bundle(b).drugs


# --- igclaim's extensions are read on MedicationAdministration.extension only ------------------------------------
EXT_340B = "https://igclaim.dev/fhir/StructureDefinition/acquired-340b"
YES_340B = {"url": EXT_340B, "valueBoolean": True}


def _misplaced(where: str, name: str = "acquired-340b") -> str:
    return (f"{where}: 'https://igclaim.dev/fhir/StructureDefinition/{name}' is igclaim's extension, which igclaim "
            "reads only in MedicationAdministration.extension (on the administration of the drug): here it would "
            "not be read; move it there")


def test_igclaim_s_extension_placed_elsewhere_is_an_error_not_lost():
    b = bundle()
    entry(b, "Medication")["extension"] = [{"url": "https://example.org/other", "valueString": "x"}, YES_340B]
    assert parse_bundle_problems(b) == [_misplaced("Medication (entry 4).extension[1]")]
    b = bundle()
    b["entry"][5]["extension"] = [YES_340B]
    assert parse_bundle_problems(b) == [_misplaced("Bundle.entry[5].extension[0]")]
    b = bundle()
    entry(b, "MedicationAdministration")["dosage"]["extension"] = [{"url": DISCARDED, "valueQuantity": {
        "value": 5, "code": "g"}}]
    assert parse_bundle_problems(b) == [_misplaced("MedicationAdministration (entry 5).dosage.extension[0]",
                                                   "amount-discarded")]
    b = bundle()
    opened = _opened("13533-0805-11", 4)
    opened["extension"].append(YES_340B)  # inside the container-opened extension
    entry(b, "MedicationAdministration")["extension"] = [opened]
    assert parse_bundle_problems(b) == [_misplaced("MedicationAdministration (entry 5).extension[0].extension[2]")]
    b = bundle()
    entry(b, "Encounter")["modifierExtension"] = [YES_340B]  # named once, as a modifier extension
    (problem,) = parse_bundle_problems(b)
    assert problem.startswith("Encounter (entry 2).modifierExtension[0]: ")


@pytest.mark.parametrize("url", ["http://igclaim.dev/fhir/StructureDefinition/acquired-340b",
                                 " https://igclaim.dev/fhir/StructureDefinition/acquired-340b ",
                                 "https://igclaim.dev/fhir/StructureDefinition/Acquired-340B"])
def test_igclaim_s_extension_under_a_url_not_exactly_its_own_is_an_error(url):
    b = bundle()
    entry(b, "MedicationAdministration")["extension"] = [{"url": url, "valueBoolean": True}]
    assert parse_bundle_problems(b) == [
        f"MedicationAdministration (entry 5).extension[0]: {url!r} is not igclaim's extension URL, so it would not "
        f"be read: write {EXT_340B!r} exactly (https, no spaces), in MedicationAdministration.extension"]


def test_an_igclaim_extension_igclaim_does_not_have_is_an_error():
    b = bundle()
    url = "https://igclaim.dev/fhir/StructureDefinition/acquired340b"
    entry(b, "MedicationAdministration")["extension"] = [{"url": url, "valueBoolean": True}]
    assert parse_bundle_problems(b) == [
        f"MedicationAdministration (entry 5).extension[0]: {url!r} is no extension of igclaim's (it has "
        "container-opened, amount-discarded and acquired-340b, under https://igclaim.dev/fhir/StructureDefinition/), "
        "so it would not be read: check its spelling"]


def test_other_extensions_anywhere_are_still_ignored():
    b = bundle()
    other = {"url": "https://example.org/fhir/StructureDefinition/anything", "valueString": "x"}
    for r in (e["resource"] for e in b["entry"]):
        r["extension"] = [other]
    entry(b, "MedicationAdministration")["dosage"]["extension"] = [other]
    b["entry"][0]["extension"] = [other]
    assert parse_bundle(b).drugs[0].acquired_340b is False


def test_igclaim_s_extensions_on_a_premedication_or_a_fluid_are_read_or_refused_never_dropped():
    """A premedication's administration was read without its extensions: its 340B purchase (JG/TB on its line)
    was lost. It is read now; containers and a discarded amount, read for an immune globulin only, are an error
    there, and so is any igclaim extension on a fluid (a flush is not billed as a drug)."""
    b = bundle()
    _premed(b, J1200, {"value": 1, "unit": "{unit}"})
    b["entry"][-1]["resource"]["extension"] = [YES_340B]
    enc = parse_bundle(b)
    assert [(d.hcpcs == "J1200", d.acquired_340b) for d in enc.drugs] == [(False, False), (True, True)]
    b = bundle()
    _premed(b, J1200, {"value": 1, "unit": "{unit}"})
    b["entry"][-1]["resource"]["extension"] = [{"url": DISCARDED, "valueQuantity": {"value": 1, "code": "g"}}]
    assert parse_bundle_problems(b) == [
        f"MedicationAdministration (entry {len(b['entry']) - 1}).extension[0]: {DISCARDED!r} is read for an "
        "immune globulin only (this administration is of HCPCS J1200): give the premedication's containers and "
        "waste in a JSON chart"]
    b = bundle()
    entry(b, "MedicationAdministration", 1)["extension"] = [YES_340B]
    assert parse_bundle_problems(b) == [
        f"MedicationAdministration (entry 6).extension[0]: {EXT_340B!r} is not read on a flush (a fluid is not "
        "billed as a drug): put it on the administration of the drug"]


@pytest.mark.parametrize("value", ["1_0", "١٢", "１２"])
def test_a_quantity_not_of_the_digits_0_to_9_is_refused_naming_the_element(value):
    """A Quantity's value written as text is a FHIR decimal (the digits 0-9): "1_0", "١٢" or "１２", which Python's
    Decimal reads as 10 and 12, are refused naming the element, for the immune globulin's dose in g, a
    premedication's units and the grams a payer authorized (PAS ItemAuthorizedDetail)."""
    b = bundle()
    entry(b, "MedicationAdministration")["dosage"]["dose"]["value"] = value
    (problem,) = parse_bundle_problems(b)
    assert problem.startswith("MedicationAdministration (entry 5).dosage.dose.value: "), problem
    b = bundle()
    _premed(b, J1200, {"value": value, "unit": "{unit}"})
    (problem,) = parse_bundle_problems(b)
    assert problem.startswith(f"MedicationAdministration (entry {len(b['entry']) - 1}).dosage.dose.value: "), problem
    b = bundle()
    b["entry"].append({"resource": _preauth(item=[_authorized(value, "g")])})
    (problem,) = parse_bundle_problems(b)
    assert problem.startswith(f"ClaimResponse (entry {len(b['entry']) - 1}).item."), problem
    assert problem.endswith(".valueQuantity.value: Decimal value string does not match spec regex."), problem
    b = bundle()
    entry(b, "MedicationAdministration")["dosage"]["dose"]["value"] = "30.0"
    assert parse_bundle(b).drugs[0].dose.grams == 30


@pytest.mark.parametrize(("value", "problem"), [
    ("1_0", "(mapped from the Bundle) drugs[0].containers[0].count: '1_0': write the number in the digits 0-9"),
    ("١٢", "MedicationAdministration (entry 5).extension.0.extension.0.valueInteger: "),
    ("３", "MedicationAdministration (entry 5).extension.0.extension.0.valueInteger: ")])
def test_a_container_count_not_of_the_digits_0_to_9_is_refused(value, problem):
    """fhir.resources takes the valueInteger "1_0" (pydantic's int() of text), which the schema then read as 10
    vials; it refuses other scripts' digits itself."""
    from igclaim.readers.fhir import CONTAINER_EXT

    b = bundle()
    ma = entry(b, "MedicationAdministration")
    ma.setdefault("extension", []).append({"url": CONTAINER_EXT, "extension": [
        {"url": "count", "valueInteger": value}, {"url": "amount", "valueQuantity": {"value": 10, "code": "g"}}]})
    (got,) = parse_bundle_problems(b)
    assert got.startswith(problem), got
    ma["extension"][-1]["extension"][0]["valueInteger"] = "3"
    assert parse_bundle(b).drugs[0].containers[0].count == 3
