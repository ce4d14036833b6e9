"""The ninth audit of the team service: the authorization ledger kept a voided claim's units and a replaced claim's
units on an authorization the replacement no longer bills; one claim was charged in full to every overlapping
authorization; a denied claim moved back to ready went out again as an original claim; and the status route's
bodies skipped the guard's JSON checks."""

from __future__ import annotations

from tests import test_service
from tests.test_service import visit
from tests.test_team_audit7 import SAMPLE, _authorize, _frequencies

team, url = test_service.team, test_service.url  # the team service's fixtures (a team app on SQLite or PostgreSQL)

VOID = {"frequency": "8", "original_claim_id": "ICN-1"}
REPLACE = {"frequency": "7", "original_claim_id": "ICN-1"}
PRIVIGEN = [{"id": "ig1", "product": "Privigen", "ndc": "44206-0437-10", "route": "IV", "dose": {"grams": 30},
             "containers": [{"grams": 10, "count": 3}]}]


def _left(client, biller, auth_id: int) -> int:
    return client.get(f"/api/authorizations/{auth_id}", headers=biller).json()["remaining"]["units"]


def _post(client, biller, enc: dict) -> dict:
    r = client.post("/api/encounters", json=enc, headers=biller)
    assert r.status_code == 200, r.text
    return r.json()[0]


def _ledger_edits(client, biller, encounter_id: str) -> set[str]:
    findings = client.get(f"/api/encounters/{encounter_id}", headers=biller).json()["result"]["findings"]
    return {f["edit"] for f in findings if f["edit"].startswith("AUTH-")}


def test_a_void_gives_its_units_back_to_the_authorization(team):
    """A void (frequency 8) of an exported claim was exported and the original's 60 units stayed used: the
    authorization looked spent for a claim the payer was told to cancel, and the next visit was held back. The void
    now gives them back (its history entry reads 0 units, 0 visits) and says nothing of the ledger itself."""
    _, client, _, biller = team
    auth_id = _authorize(client, biller, 100)
    assert _post(client, biller, visit(1))["status"] == "ready"
    assert client.post("/api/export", params=SAMPLE, headers=biller).json()["exported"] == ["v001"]
    assert _left(client, biller, auth_id) == 40

    assert _post(client, biller, visit(1, correction=VOID))["status"] == "ready"
    out = client.post("/api/export", params=SAMPLE, headers=biller).json()
    assert out["exported"] == ["v001"] and _frequencies(out["interchange"]) == ["8"]
    assert _left(client, biller, auth_id) == 100
    assert _ledger_edits(client, biller, "v001") == set()  # a void uses nothing: no AUTH-EXPIRING for it
    history = client.get(f"/api/authorizations/{auth_id}", headers=biller).json()["history"]
    assert [(h["encounter_id"], h["version"], h["units"], h["visits"]) for h in history] == [("v001", 2, 0, 0)]

    assert _post(client, biller, visit(2))["status"] == "ready"  # the units given back hold the next visit
    assert client.post("/api/export", params=SAMPLE, headers=biller).json()["exported"] == ["v002"]
    assert _left(client, biller, auth_id) == 40


def test_a_replacement_counts_only_what_it_bills(team):
    """A replacement (frequency 7) replaced its own entry on the authorizations it still billed, but an entry on an
    authorization it no longer bills (the drug changed) stayed: Gamunex-C's 60 units counted beside Privigen's."""
    _, client, _, biller = team
    gamunex = _authorize(client, biller, 100)
    privigen = _authorize(client, biller, 100, number="PA-P", hcpcs="J1459")
    _post(client, biller, visit(1))
    client.post("/api/export", params=SAMPLE, headers=biller)
    assert (_left(client, biller, gamunex), _left(client, biller, privigen)) == (40, 100)

    assert _post(client, biller, visit(1, drugs=PRIVIGEN, correction=REPLACE))["status"] == "ready"
    out = client.post("/api/export", params=SAMPLE, headers=biller).json()
    assert out["exported"] == ["v001"] and _frequencies(out["interchange"]) == ["7"]
    assert (_left(client, biller, gamunex), _left(client, biller, privigen)) == (100, 40)

    smaller = visit(1, correction={**REPLACE, "original_claim_id": "ICN-2"})
    smaller["drugs"] = [{**smaller["drugs"][0], "dose": {"grams": 20}, "containers": [{"grams": 10, "count": 2}]}]
    _post(client, biller, smaller)
    client.post("/api/export", params=SAMPLE, headers=biller)
    assert (_left(client, biller, gamunex), _left(client, biller, privigen)) == (60, 100)


def test_a_denied_claim_keeps_its_units_and_its_corrected_rebill_does_not_count_twice(team):
    """The ledger counts what was sent for services rendered: a denial gives nothing back (the infusion was given;
    the rebill is a correction of the same claim), and the corrected rebill replaces the denied claim's entry."""
    _, client, _, biller = team
    auth_id = _authorize(client, biller, 200)
    _post(client, biller, visit(1))
    client.post("/api/export", params=SAMPLE, headers=biller)
    assert client.post("/api/encounters/v001/status", json={"status": "denied"}, headers=biller).status_code == 200
    assert _left(client, biller, auth_id) == 140
    assert _post(client, biller, visit(1, diagnoses=["D80.1"], correction=REPLACE))["status"] == "ready"
    assert client.post("/api/export", params=SAMPLE, headers=biller).json()["exported"] == ["v001"]
    assert _left(client, biller, auth_id) == 140
