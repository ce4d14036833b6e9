"""FHIR R4B Claim: parses and validates with fhir.resources, and carries the coded claim with HCPCS/CPT,
ICD-10-CM and NDC codings."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fhir.resources.R4B.claim import Claim

from igclaim import engine
from igclaim.errors import InputError
from igclaim.inputs import parse_encounter
from igclaim.outputs import chargemaster, fhir
from tests.test_x12 import GOLDEN, encounter

CREATED = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def charges():
    return chargemaster.load("sample")


@pytest.mark.parametrize("name", ["office-gamunex-jz", "office-bivigam-jw", "home-ivig-medicare",
                                  "hospital-gamunex", "office-child-commercial"])
def test_round_trip_and_codings(name, charges):
    enc = encounter(name)
    coded = engine.build(enc).claim
    out = fhir.to_fhir(enc, charges, CREATED)
    claim = Claim.model_validate_json(out)  # validates
    doc = json.loads(out)
    assert claim.use == "claim" and doc["type"]["coding"][0]["code"] == (
        "institutional" if coded.form == "UB-04" else "professional")
    assert [d["diagnosisCodeableConcept"]["coding"][0] for d in doc["diagnosis"]] == [
        {"system": fhir.ICD10CM, "code": d} for d in coded.diagnoses]
    assert len(doc["item"]) == len(coded.lines)
    for item, ln in zip(doc["item"], coded.lines, strict=True):
        coding = item["productOrService"]["coding"][0]
        assert coding["code"] == ln.code
        assert coding["system"] == (fhir.HCPCS if ln.code[0].isalpha() else fhir.CPT)
        assert [m["coding"][0]["code"] for m in item.get("modifier", [])] == ln.modifiers
        assert item["quantity"]["value"] == ln.units
        assert Decimal(str(item["net"]["value"])) == charges.unit_charge(ln.code) * ln.units
        if ln.ndc:
            detail = item["detail"][0]
            assert detail["productOrService"]["coding"][0] == {"system": fhir.NDC, "code": ln.ndc}
            assert Decimal(str(detail["quantity"]["value"])) == ln.ndc_quantity
            assert detail["quantity"]["unit"] == ln.ndc_unit
        else:
            assert "detail" not in item
        if ln.revenue_code:
            assert item["revenue"]["coding"][0] == {"system": fhir.REVENUE, "code": ln.revenue_code}
    assert Decimal(str(doc["total"]["value"])) == sum(Decimal(str(i["net"]["value"])) for i in doc["item"])


def test_cpt_and_hcpcs_systems():
    assert fhir.code_system("96365") == fhir.CPT
    assert fhir.code_system("J1561") == fhir.HCPCS
    assert fhir.code_system("JW") == fhir.HCPCS


def test_institutional_type_of_bill(charges):
    doc = json.loads(fhir.to_fhir(encounter("hospital-gamunex"), charges, CREATED))
    info = doc["supportingInfo"][0]["code"]["coding"][0]
    assert info == {"system": fhir.TYPE_OF_BILL, "code": "0131"}


def test_prior_authorization_and_relationship(charges):
    doc = json.loads(fhir.to_fhir(encounter("office-child-commercial"), charges, CREATED))
    assert doc["insurance"][0]["preAuthRef"] == ["PA-7781"]
    coverage = next(r for r in doc["contained"] if r["resourceType"] == "Coverage")
    assert coverage["relationship"]["coding"][0]["code"] == "child"


def test_many_is_ndjson(charges):
    encs = [encounter("office-gamunex-jz"), encounter("hospital-gamunex")]
    lines = fhir.to_fhir(encs, charges, CREATED).splitlines()
    assert len(lines) == 2
    for line in lines:
        Claim.model_validate_json(line)


def test_missing_charges_and_parties(charges):
    with pytest.raises(InputError) as exc:
        fhir.to_fhir(encounter("office-gamunex-jz"), None, CREATED)
    assert exc.value.path == "--charges"
    with pytest.raises(InputError) as exc:
        fhir.to_fhir(encounter("office-gamunex-jz", patient=None), charges, CREATED)
    assert exc.value.path == "patient"


def test_blank_text_and_a_bad_ein_are_refused_naming_each_field(charges):
    """Blank names, ids and address lines broke FHIR's string rule and fhir.resources refused the whole Claim (an
    internal error, exit 3): now each is named at once, with an EIN that is not 9 ASCII digits (the 837's rule).
    A blank optional line2 is left out, as if absent."""
    from igclaim.errors import InputErrors

    base = json.loads((GOLDEN.parent.parent / "examples" / "parties" / "office-gamunex-jz.json").read_text())
    data = json.loads(json.dumps(base))
    data["patient"]["last_name"] = "  "
    data["billing_provider"]["address"]["line1"] = " "
    data["patient"]["address"]["city"] = "\t"
    data["billing_provider"]["tax_id"] = "９９-０００００01"
    data["subscriber"]["member_id"] = ""
    data["rendering_provider"]["last_name"] = " "
    data["claim_id"], data["encounter_id"] = " ", " "  # the Claim's identifier: the claim id, else the encounter's
    with pytest.raises(InputErrors) as exc:
        fhir.to_fhir(parse_encounter(data), charges, CREATED)
    assert sorted(e.path for e in exc.value.errors) == [
        "billing_provider.address.line1", "billing_provider.tax_id", "encounter_id", "patient.address.city",
        "patient.last_name",
        "rendering_provider.last_name", "subscriber.member_id"]
    data = json.loads(json.dumps(base))
    data["patient"]["address"]["line2"] = " "
    Claim.model_validate_json(fhir.to_fhir(parse_encounter(data), charges, CREATED))


def test_a_control_character_is_refused_naming_each_field_and_quoting_no_value(charges):
    """FHIR's string holds no character below U+0020 but tab, CR and LF (R4B datatypes, string); fhir.resources
    let them through, so the Claim was written with them. Each field is named, none of its text quoted."""
    from igclaim.errors import InputErrors

    base = json.loads((GOLDEN.parent.parent / "examples" / "parties" / "office-gamunex-jz.json").read_text())
    data = json.loads(json.dumps(base))
    data["patient"]["last_name"] = "Doe\x07Smith"
    data["patient"]["id"] = "P\x001"
    data["subscriber"]["member_id"] = "M\x1f2"
    data["billing_provider"]["name"] = "Clinic\x0bOne"
    data["encounter_id"] = "E\x1b1"
    with pytest.raises(InputErrors) as exc:
        fhir.to_fhir(parse_encounter(data), charges, CREATED)
    assert sorted(e.path for e in exc.value.errors) == [
        "billing_provider.name", "encounter_id", "patient.id", "patient.last_name", "subscriber.member_id"]
    said = "\n".join(exc.value.lines())
    assert "U+0007" in said and "Smith" not in said and "Clinic" not in said
    # tab, CR and LF are FHIR text, and U+007F is not below 32: the Claim is written and valid
    data = json.loads(json.dumps(base))
    data["patient"]["address"]["line1"] = "1 Main\tSt\r\nApt 2\x7f"
    out = fhir.to_fhir(parse_encounter(data), charges, CREATED)
    Claim.model_validate_json(out)
    assert json.loads(out)["contained"][0]["address"][0]["line"][0] == "1 Main\tSt\r\nApt 2\x7f"


def test_the_claim_id_becomes_an_ascii_fhir_id(charges):
    """str.isalnum() takes 'ÿ' and '名', which FHIR's id pattern refuses (an internal error before)."""
    out = json.loads(fhir.to_fhir(encounter("office-gamunex-jz", claim_id="CLM-ÿ名.7"), charges, CREATED))
    assert out["id"] == "CLM---.7" and out["identifier"] == [{"value": "CLM-ÿ名.7"}]


def test_golden(charges):
    out = fhir.to_fhir(encounter("hospital-gamunex"), charges, CREATED)
    path = GOLDEN / "hospital-gamunex.fhir.json"
    if os.environ.get("IGCLAIM_UPDATE_GOLDEN"):
        path.write_text(out)
    assert out == path.read_text()


def _bad_npi(enc):
    """The encounter with a billing NPI whose check digit is wrong."""
    return enc.model_copy(update={"billing_provider": enc.billing_provider.model_copy(update={"npi": "1234567890"})})


def test_every_claim_of_a_file_is_checked_before_the_fhir_export_refuses(charges):
    """to_fhir stopped at the first claim refused, so a biller fixing a file learnt the next claim's problems a
    run later. Every claim's are named now in one refusal, each by its index, a claim's own problems together; a
    claim without problems is named nowhere; a missing --charges, every claim's, is said once (as the 837's)."""
    from igclaim.errors import InputErrors

    encs = [encounter("office-gamunex-jz", patient=None), encounter("office-bivigam-jw"),
            _bad_npi(encounter("home-ivig-medicare", subscriber=None))]
    with pytest.raises(InputErrors) as exc:
        fhir.to_fhir(encs, charges, CREATED)
    assert exc.value.lines() == [
        "[0] patient: required for a FHIR Claim and missing",
        "[2] subscriber: required for a FHIR Claim and missing",
        "[2] billing_provider.npi: NPI '1234567890' fails the check digit (Luhn over 80840 + NPI)"]
    good = [encounter("office-gamunex-jz"), encounter("office-bivigam-jw"), encounter("home-ivig-medicare")]
    with pytest.raises(InputErrors) as exc:
        fhir.to_fhir(good, None, CREATED)
    assert exc.value.lines() == ["--charges: charges are required: give a code,unit_charge CSV (or 'sample' for "
                                 "the bundled SAMPLE with synthetic charges)"]


def test_a_fhir_refusal_of_many_claims_lists_twenty_problems_and_counts_the_rest(charges):
    """Every claim's problems, bounded as every refusal is (errors.LISTED_MAX): 23 claims without a patient are
    the first 20 lines and one counting the other 3."""
    from igclaim.errors import LISTED_MAX, InputErrors

    with pytest.raises(InputErrors) as exc:
        fhir.to_fhir([encounter("office-gamunex-jz", patient=None)] * (LISTED_MAX + 3), charges, CREATED)
    lines = exc.value.lines()
    assert lines[:LISTED_MAX] == [f"[{i}] patient: required for a FHIR Claim and missing" for i in range(LISTED_MAX)]
    assert lines[LISTED_MAX:] == ["… and 3 more problems, not listed: fix these and check again to see them"]


def test_the_fhir_export_of_a_file_names_every_claims_problems(tmp_path):
    """`igclaim export --to fhir` of JSON Lines: each claim's problems on stderr, named by its line (exit 2)."""
    from tests.conftest import run_cli

    base = json.loads((GOLDEN.parent.parent / "examples" / "parties" / "office-gamunex-jz.json").read_text())
    first, third = json.loads(json.dumps(base)), json.loads(json.dumps(base))
    del first["patient"]
    third["billing_provider"]["npi"] = "1234567890"
    file = tmp_path / "claims.jsonl"
    file.write_text("\n".join(json.dumps(d) for d in (first, base, third)) + "\n")
    r = run_cli("export", str(file), "--to", "fhir", "--charges", "sample")
    assert r.returncode == 2 and r.stdout == "", r.stderr
    assert [ln for ln in r.stderr.splitlines() if not ln.startswith("note:")] == [
        f"{file}: line 1: patient: required for a FHIR Claim and missing",
        f"{file}: line 3: billing_provider.npi: NPI '1234567890' fails the check digit (Luhn over 80840 + NPI)"], \
        r.stderr


def test_claims_fhir_resources_refuses_are_all_named_in_one_refusal(charges, monkeypatch):
    """A value our checks let through but fhir.resources refuses (here an empty Claim.id, forced for claims A and C)
    raised its ValidationError out of the first such claim: the export stopped there, unnamed by claim, and the
    next claims went unchecked. Each such claim is named now by its `where` with the FHIR field refused, in the same
    one refusal as every other claim's problems (x12.every_claim), quoting no value."""
    from igclaim.errors import InputErrors

    real = fhir._fhir_id
    monkeypatch.setattr(fhir, "_fhir_id", lambda text: "" if text in ("A", "C") else real(text))
    encs = [encounter("office-gamunex-jz", claim_id="A"), encounter("office-bivigam-jw", claim_id="B", patient=None),
            encounter("home-ivig-medicare", claim_id="C"), encounter("office-gamunex-jz", claim_id="D")]
    with pytest.raises(InputErrors) as exc:
        fhir.to_fhir(encs, charges, CREATED)
    assert exc.value.lines() == [
        "[0] Claim.id: fhir.resources refuses this FHIR Claim: String should have at least 1 character",
        "[1] patient: required for a FHIR Claim and missing",
        "[2] Claim.id: fhir.resources refuses this FHIR Claim: String should have at least 1 character"]


def test_a_refused_fhir_value_is_named_by_its_item(charges, monkeypatch):
    """The FHIR path of each refused value, list items by index (item[0].net.value), not pydantic's dotted tuple;
    the library's 'Value error, ' prefix is dropped and the refused value is never quoted."""
    from igclaim.errors import InputErrors

    monkeypatch.setattr(fhir, "_money", lambda v: {"value": "not-a-number", "currency": "USD"})
    with pytest.raises(InputErrors) as exc:
        fhir.to_fhir(encounter("office-gamunex-jz"), charges, CREATED)
    lines = exc.value.lines()
    assert lines[0] == ("Claim.item[0].net.value: fhir.resources refuses this FHIR Claim: Decimal value string "
                        "does not match spec regex.")
    assert "Claim.total.value: fhir.resources refuses this FHIR Claim: Decimal value string does not match spec " \
           "regex." in lines
    assert not any("not-a-number" in ln for ln in lines)
