"""Two exports at once on PostgreSQL, really at once: each export reads its ready claims, then waits for the other
to have read its own before it goes on, so the two transactions overlap where the locks matter (the claims read
FOR UPDATE SKIP LOCKED, the authorizations FOR UPDATE). Without the claims' lock both would send the same claims;
with a lock that waits instead of skipping, the two would wait on each other and the barrier would break.
SQLite has one writer at a time (the app serialises its writes), so these run on PostgreSQL only."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from igclaim.service import worklist
from igclaim.service.app import create_app
from tests import test_service
from tests.test_service import OFFICE, visit
from tests.test_x12 import pyx12_check

team, url = test_service.team, test_service.url  # the team service's fixtures (a team app on SQLite or PostgreSQL)

WAIT_S = 30  # the other export's read is a few milliseconds away; past this the test fails, it does not hang


def _meet_after_reading(monkeypatch) -> threading.Barrier:
    """Every locking read of the ready claims (an export's) waits, once it has its rows, for the other's."""
    barrier = threading.Barrier(2, timeout=WAIT_S)
    real = worklist.listing

    def listing(*args, **kwargs):
        rows = real(*args, **kwargs)
        if kwargs.get("lock"):
            barrier.wait()
        return rows

    monkeypatch.setattr(worklist, "listing", listing)
    return barrier


def _two_exports(db_url: str, first: TestClient, headers: dict, limit: int) -> list[dict]:
    second = TestClient(create_app(db_url))  # another process on the same database
    params = {"kind": "837P", "charges": "sample", "limit": limit}
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda c: c.post("/api/export", params=params, headers=headers), (first, second)))
    assert [r.status_code for r in answers] == [200, 200], [r.text[-500:] for r in answers]
    return [r.json() for r in answers]


def test_two_exports_at_once_send_each_ready_claim_exactly_once(team, monkeypatch):
    url, client, _, biller = team
    if url.startswith("sqlite"):
        pytest.skip("SQLite: one writer at a time, two exports cannot overlap")
    for n in range(1, 7):
        assert client.post("/api/encounters", json=visit(n), headers=biller).json()[0]["status"] == "ready"
    _meet_after_reading(monkeypatch)
    outs = _two_exports(url, client, biller, limit=3)
    sent = [out["exported"] for out in outs]
    assert sorted(sent[0] + sent[1]) == [f"v{n:03d}" for n in range(1, 7)], sent
    assert len(sent[0]) == len(sent[1]) == 3  # the second read skipped the first's three, it did not wait for them
    for out in outs:
        assert out["skipped"] == [] and pyx12_check(out["interchange"]) == []
        claims = [seg for seg in out["interchange"].replace("\n", "").split("~") if seg.startswith("CLM*")]
        assert len(claims) == 3  # each interchange carries the claims its export names, no more
    assert outs[0]["export_id"] != outs[1]["export_id"]
    assert client.get("/api/encounters", params={"status": "ready"}, headers=biller).json()["items"] == []
    exported = client.get("/api/encounters", params={"status": "exported"}, headers=biller).json()["items"]
    assert len(exported) == 6


def test_two_exports_at_once_cannot_both_spend_an_authorizations_last_visit(team, monkeypatch):
    """Two claims of one member, one authorization with room for one of them (60 units, each visit bills 60 of
    J1561): the exports take one claim each, at once; one spends the units, the other waits for the
    authorization's row, then sees them spent and keeps its claim ready (AUTH-EXHAUSTED)."""
    url, client, _, biller = team
    if url.startswith("sqlite"):
        pytest.skip("SQLite: one writer at a time, two exports cannot overlap")
    auth = {"number": "PA-1", "payer": "Medicare Part B", "member_id": OFFICE["subscriber"]["member_id"],
            "hcpcs": "J1561", "units": 60, "start": "2026-03-01", "end": "2026-06-30"}
    auth_id = client.post("/api/authorizations", json=auth, headers=biller).json()["id"]
    for n in (1, 2):
        assert client.post("/api/encounters", json=visit(n), headers=biller).json()[0]["status"] == "ready"
    _meet_after_reading(monkeypatch)
    outs = _two_exports(url, client, biller, limit=1)
    sent = sorted(e for out in outs for e in out["exported"])
    held = [s for out in outs for s in out["skipped"]]
    assert len(sent) == 1 and len(held) == 1, outs
    assert {sent[0], held[0]["encounter_id"]} == {"v001", "v002"}
    assert "AUTH-EXHAUSTED" in held[0]["problems"][0] and "it stays ready" in held[0]["problems"][0]
    detail = client.get(f"/api/authorizations/{auth_id}", headers=biller).json()
    assert detail["remaining"]["units"] == 0
    assert [(h["encounter_id"], h["units"]) for h in detail["history"]] == [(sent[0], 60)]
    ready = client.get("/api/encounters", params={"status": "ready"}, headers=biller).json()["items"]
    assert [r["encounter_id"] for r in ready] == [held[0]["encounter_id"]]
