"""No PHI in error messages: a patient's or subscriber's value that is wrong is named by its field and never quoted
back, on every input path (a chart on the CLI, a batch's errors.jsonl, the REST API, an 837's DMG, a FHIR
Bundle) and in the export's own checks. Other fields keep quoting what was given ('J15X7': …), which helps a
biller and is not PHI. Before: `patient.birth_date: 'SECRET-1970': use YYYY-MM-DD` in errors.jsonl."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from igclaim.api import app
from igclaim.batch import run_batch
from tests.conftest import ROOT, run_cli

PARTIES = ROOT / "examples" / "parties" / "office-gamunex-jz.json"
MARK = "PHIMARK"


def _chart() -> dict:
    chart = json.loads(PARTIES.read_text())
    chart = chart.get("input", chart)
    chart["patient"].update({"birth_date": f"{MARK}-1970", "sex": f"{MARK}2"})
    chart["patient"]["address"]["zip"] = f"{MARK}3"
    chart["subscriber"] = {"member_id": 12345678, "relationship": f"{MARK}4", "birth_date": f"{MARK}5"}
    chart["drugs"][0]["product"] = 7  # not PHI: still quoted
    return chart


PATHS = ("patient.birth_date", "patient.sex", "patient.address.zip", "subscriber.member_id",
         "subscriber.relationship", "subscriber.birth_date")


def _named_not_quoted(text: str) -> None:
    assert MARK not in text and "12345678" not in text, text
    for path in PATHS:
        assert path in text, (path, text)
    assert "7: give text in quotes" in text  # the drug's product is not PHI: its value is still shown


def test_cli_names_the_fields_and_never_quotes_their_values(tmp_path):
    chart = tmp_path / "chart.json"
    chart.write_text(json.dumps(_chart()))
    r = run_cli("build", str(chart))
    assert r.returncode == 2
    _named_not_quoted(r.stdout + r.stderr)


def test_batch_errors_file_holds_no_phi(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(_chart()) + "\n")
    run_batch(src, tmp_path / "out", workers=1)
    _named_not_quoted((tmp_path / "out" / "errors.jsonl").read_text())


def test_rest_api_problems_hold_no_phi():
    r = TestClient(app).post("/api/build", json=_chart())
    assert r.status_code == 422
    _named_not_quoted(r.text)


def test_an_837_birth_date_is_not_quoted(tmp_path):
    out = tmp_path / "claim.837"
    assert run_cli("export", str(PARTIES), "--to", "837p", "--charges", "sample", "--out", str(out)).returncode == 0
    text = out.read_text()
    dmg = text.index("DMG*D8*") + len("DMG*D8*")
    out.write_text(text[:dmg] + MARK + "7" + text[dmg + 8:])
    r = run_cli("scrub", str(out))
    assert "DMG02" in r.stdout + r.stderr and "is not a CCYYMMDD date" in r.stdout + r.stderr, r.stdout + r.stderr
    assert MARK not in r.stdout + r.stderr


def test_an_837_patients_sex_is_not_quoted(tmp_path):
    """A patient read from an 837 is validated as the model it fills (NM1/DMG → Patient): its error names the
    element and the field, never the value."""
    out = tmp_path / "claim.837"
    assert run_cli("export", str(PARTIES), "--to", "837p", "--charges", "sample", "--out", str(out)).returncode == 0
    text = out.read_text()
    dmg = text.index("DMG*D8*") + len("DMG*D8*") + 8
    out.write_text(text[:dmg] + "*" + MARK + "8" + text[text.index("~", dmg):])
    r = run_cli("scrub", str(out))
    assert "sex" in r.stdout + r.stderr and "is not one of F, M, U" in r.stdout + r.stderr, r.stdout + r.stderr
    assert MARK not in r.stdout + r.stderr


def test_a_fhir_patients_birth_date_is_not_quoted(tmp_path):
    bundle = json.loads((ROOT / "examples" / "fhir" / "office-gamunex-bundle.json").read_text())
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"]["birthDate"] = f"{MARK}-01"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    r = run_cli("build", str(path))
    assert r.returncode == 2 and "birthDate" in r.stderr and MARK not in r.stdout + r.stderr, r.stderr


def test_export_refuses_a_birth_date_without_quoting_it(tmp_path):
    chart = json.loads(PARTIES.read_text())
    chart = chart.get("input", chart)
    chart["patient"]["birth_date"] = "1850-07-04"
    path = tmp_path / "chart.json"
    path.write_text(json.dumps(chart))
    r = run_cli("export", str(path), "--to", "837p", "--charges", "sample")
    assert r.returncode == 2 and "patient.birth_date" in r.stderr, r.stderr
    assert "1850" not in r.stdout + r.stderr


def test_without_a_model_other_values_are_still_quoted():
    """Errors of a model igclaim cannot walk (no model given, a path it does not know) keep quoting the value: only
    a path through a personal model hides it."""
    import pytest
    from pydantic import ValidationError

    from igclaim.errors import pydantic_problems
    from igclaim.model import ClaimLine

    with pytest.raises(ValidationError) as exc:
        ClaimLine.model_validate({"line": 1, "code": "J1561", "units": "many"})
    assert pydantic_problems(exc.value) == ["units: 'many': give a whole number, e.g. 3"]


def test_a_patient_given_as_text_is_not_quoted():
    """The patient object itself given as a name: the field is named and the text not quoted."""
    from igclaim.inputs import InvalidInput, parse_encounter

    chart = json.loads(PARTIES.read_text())
    chart = chart.get("input", chart)
    chart["patient"] = f"{MARK} Doe"
    try:
        parse_encounter(chart)
    except InvalidInput as exc:
        assert exc.problems == ["patient: give a JSON object; write it as an object with id, last_name, first_name, "
                                "birth_date, sex, address"]
    else:
        raise AssertionError("a patient given as text was accepted")
