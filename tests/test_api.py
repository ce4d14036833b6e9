"""The REST API and the web page, through FastAPI's test client (no network)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from igclaim.api import app
from tests.conftest import EXAMPLES, ROOT, load_example
from tests.helpers import drug, encounter

client = TestClient(app)


def test_build_returns_the_same_result_as_the_library():
    from igclaim import build, parse_encounter

    body = load_example(EXAMPLES[0])["input"]
    resp = client.post("/api/build", json=body)
    assert resp.status_code == 200
    assert resp.json() == json.loads(build(parse_encounter(body)).model_dump_json())


def test_invalid_input_is_422_with_field_named_problems():
    resp = client.post("/api/build", json=encounter(drugs=[drug(dose={})]))
    assert resp.status_code == 422
    assert resp.json() == {"problems": ["drugs[0].dose: give one of grams, mg, ml"]}


def test_coding_input_error_is_422():
    resp = client.post("/api/build", json=encounter(drugs=[drug(dose={"grams": 31})]))
    assert resp.status_code == 422
    assert resp.json()["problems"][0].startswith("drugs[0].containers:")


def test_scrub_needs_a_written_claim():
    resp = client.post("/api/scrub", json=encounter())
    assert resp.status_code == 422 and resp.json()["problems"][0].startswith("claim:")


def test_scrub_example():
    path = next(p for p in EXAMPLES if "units-by-ml" in p.name)
    resp = client.post("/api/scrub", json=load_example(path)["input"])
    assert resp.status_code == 200
    assert resp.json()["claim"]["lines"][0]["units"] == 60


def test_catalogs_and_schema():
    assert any(p["name"] == "Hizentra" for p in client.get("/api/products").json())
    assert any(e["id"] == "DRUG-WASTE-AVOIDABLE" for e in client.get("/api/edits").json())
    assert "drugs" in client.get("/api/schema/encounter").json()["properties"]
    assert client.get("/api/schema/other").status_code == 404
    assert client.get("/api/health").json()["status"] == "ok"


def test_web_page_is_self_contained():
    resp = client.get("/")
    assert resp.status_code == 200 and "Build the claim" in resp.text
    assert "http://" not in resp.text.replace('href="${esc(f.source)}"', "") and "cdn" not in resp.text.lower()


def test_docs_served_from_the_package_not_a_cdn():
    page = client.get("/docs")
    assert page.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "http://" not in page.text.replace("http://www.w3.org", "") and "https://" not in page.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200
    assert client.get("/redoc").status_code == 404  # ReDoc would load from a CDN: not offered


def test_export_endpoint_gives_files_and_names_missing_parties():
    enc = json.loads((ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text())
    r = client.post("/api/export/837p", json=enc)
    assert r.status_code == 200 and r.text.startswith("ISA*") and "attachment" in r.headers["content-disposition"]
    assert client.post("/api/export/cms1500", json=enc).content.startswith(b"%PDF")
    assert client.post("/api/export/fhir", json=enc).json()["resourceType"] == "Claim"
    bad = {k: v for k, v in enc.items() if k not in ("patient", "billing_provider")}
    r = client.post("/api/export/837p", json=bad)
    assert r.status_code == 422 and r.json()["problems"] == ["billing_provider: required for an 837P and missing",
                                                             "patient: required for an 837P and missing"]
    no_auth = {**enc, "payer": {"type": "commercial", "name": "Acme Health", "payer_id": "ACME1"}}
    r = client.post("/api/export/837p", json=no_auth)
    assert r.status_code == 422 and "AUTH-MISSING" in r.json()["problems"][0]
    assert client.post("/api/export/837p?allow_errors=true", json=no_auth).status_code == 200


@pytest.mark.parametrize(("encounter_id", "name"), [("名前-7", "-7"), ("Zoë_1", "Zo_1"), ("名前", "claim")])
def test_the_download_name_is_ascii_whatever_the_encounter_id(encounter_id, name):
    """str.isalnum() kept '名' and 'ë' in the Content-Disposition file name, which HTTP headers cannot carry: the
    export answered 500. The name keeps the id's ASCII letters, digits, '-' and '_' ("claim" if none)."""
    enc = json.loads((ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text())
    r = client.post("/api/export/837p", json={**enc, "encounter_id": encounter_id})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == f'attachment; filename="{name}-837p.837"'


def test_a_body_that_is_not_an_encounter_object_is_named_plainly():
    r = client.post("/api/build", content=b"{bad", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["problems"][0].startswith("(json) line 1 column 2:")
    r = client.post("/api/build", json=[1, 2])
    assert r.status_code == 422 and r.json() == {"problems": ["(body): give a JSON object"]}
    r = client.post("/api/export/837p?allow_errors=maybe", json={})
    assert r.json() == {"problems": ["query.allow_errors: 'maybe': give true or false"]}


def test_team_service_docs_are_offline_too(tmp_path):
    from igclaim.service.app import create_app

    team = TestClient(create_app(f"sqlite:///{tmp_path / 'team.db'}"))
    page = team.get("/docs")
    assert page.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in page.text and "https://" not in page.text
    assert team.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
