"""The ninth audit of the team service: the authorization ledger kept a voided claim's units and a replaced claim's
units on an authorization the replacement no longer bills; one claim was charged in full to every overlapping
authorization; a denied claim moved back to ready went out again as an original claim; and the status route's
bodies skipped the guard's JSON checks."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from igclaim import build, parse_encounter
from igclaim.service import ledger
from igclaim.service.db import Authorization, Base, User
from igclaim.web.guard import Guard
from tests import test_service
from tests.helpers import encounter
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


def _member(enc: dict, member_id: str) -> dict:
    enc["subscriber"] = {**enc["subscriber"], "member_id": member_id}
    return enc


def test_a_claim_is_charged_to_one_of_two_overlapping_authorizations(team):
    """Two authorizations in force for the same code (a renewal granted before the first one ended) were each
    charged the claim's 60 units, and the next visit was held back (AUTH-EXHAUSTED) though one of them could hold
    it. A claim now draws on one: the one ending soonest that can hold it; AUTH-EXHAUSTED only when none can."""
    _, client, _, biller = team
    later = _authorize(client, biller, 100, number="PA-LATE")
    sooner = _authorize(client, biller, 100, number="PA-SOON", end="2026-04-30")
    _post(client, biller, visit(1))
    assert client.post("/api/export", params=SAMPLE, headers=biller).json()["exported"] == ["v001"]
    assert (_left(client, biller, sooner), _left(client, biller, later)) == (40, 100)

    assert _post(client, biller, visit(2))["status"] == "ready"  # 40 left on the sooner one: the later holds it
    assert "AUTH-EXHAUSTED" not in _ledger_edits(client, biller, "v002")
    assert client.post("/api/export", params=SAMPLE, headers=biller).json()["exported"] == ["v002"]
    assert (_left(client, biller, sooner), _left(client, biller, later)) == (40, 40)

    assert _post(client, biller, visit(3))["status"] == "scrubbed"
    findings = client.get("/api/encounters/v003", headers=biller).json()["result"]["findings"]
    assert [f["message"] for f in findings if f["edit"] == "AUTH-EXHAUSTED"] == [
        f"None of the 2 authorizations in force for J1561 can hold this visit: PA-SOON (ledger #{sooner}): 60 units "
        f"needed, 40 left; PA-LATE (ledger #{later}): 60 units needed, 40 left."]


def test_the_authorization_drawn_on_is_the_claims_own_then_the_codes_then_the_soonest_ending(team):
    """The order is fixed: the authorization the claim names (payer.prior_authorization.number, its REF*G1), then
    one naming the code over one naming the product, then the soonest ending, then the oldest."""
    _, client, _, biller = team
    product = _authorize(client, biller, 100, number="PA-PROD", hcpcs=None, product="Gamunex-C", end="2026-03-31",
                         member_id="M-2")
    code = _authorize(client, biller, 100, number="PA-CODE", member_id="M-2")
    first = _authorize(client, biller, 100, number="PA-1", member_id="M-3")
    second = _authorize(client, biller, 100, number="PA-2", member_id="M-3")
    named = _authorize(client, biller, 100, number="PA-NAMED", member_id="M-4")
    other = _authorize(client, biller, 100, number="PA-OTHER", member_id="M-4", end="2026-03-31")
    claim_names = visit(3)
    claim_names["payer"] = {**claim_names["payer"], "prior_authorization": {"number": "pa-named"}}
    for enc in (_member(visit(1), "M-2"), _member(visit(2), "M-3"), _member(claim_names, "M-4")):
        assert _post(client, biller, enc)["status"] == "ready"
    assert client.post("/api/export", params=SAMPLE, headers=biller).json()["exported"] == ["v001", "v002", "v003"]
    left = {a: _left(client, biller, a) for a in (product, code, first, second, named, other)}
    assert left == {product: 100, code: 40, first: 40, second: 100, named: 40, other: 100}


def test_two_codes_drawn_on_one_authorization_are_held_against_it_together():
    """An authorization by product name can cover two codes ("Gammagard": Liquid J1569, S/D J1566). A claim that
    bills both, with the J1569 authorization too small, draws both codes on the product's: once, their sum."""
    dos = date(2026, 3, 2)
    enc = parse_encounter(encounter(
        payer={"type": "medicare", "name": "Medicare Part B"}, subscriber={"member_id": "M-5"},
        drugs=[{"id": "a", "product": "Gammagard Liquid", "route": "IV", "dose": {"grams": 10},
                "containers": [{"grams": 10, "count": 1}]},
               {"id": "b", "product": "Gammagard S/D", "route": "IV", "dose": {"grams": 5},
                "containers": [{"grams": 5, "count": 1}]}],
        administrations=[{"drug_id": "a", "start": "2026-03-02T09:00", "stop": "2026-03-02T11:00"},
                         {"drug_id": "b", "start": "2026-03-02T11:00", "stop": "2026-03-02T12:00"}]))
    result = build(enc)
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        db.add(User(id=1, name="biller", role="biller"))
        product = Authorization(number="PA-GG", payer="Medicare Part B", member_id="M-5", product="Gammagard",
                                units=40, start=dos, end=dos + timedelta(days=90))
        small = Authorization(number="PA-J1569", payer="Medicare Part B", member_id="M-5", hcpcs="J1569", units=10,
                              start=dos, end=dos + timedelta(days=90))
        db.add_all([product, small])
        db.flush()
        assert [(d.auth.number, d.need, d.short) for d in ledger.plan(db, enc, result)] == [
            ("PA-GG", ledger.Amounts(30, Decimal(15), 1), [])]
        assert ledger.consume(db, enc, result, version=1, user_id=1) == [product.id]
        assert ledger.used(db, product.id) == ledger.Amounts(30, Decimal(15), 1)
        assert ledger.used(db, small.id) == ledger.Amounts(0, Decimal(0), 0)


def test_a_status_body_passes_the_guards_json_checks(team):
    """The guard's raw paths were matched as prefixes: "/api/encounters" (the worklist's JSON Lines, checked by its
    route) took in /api/encounters/{id}/status, whose JSON then skipped the guard. A key written twice was read as
    its last value ({"status": "paid", "status": "ready"} marked the claim fixed) and 10,000-deep nesting answered
    the framework's 400 without a problem list. Both are now 422 naming what is wrong, and the claim stays as it
    was; the worklist's POST still takes JSON Lines."""
    _, client, _, biller = team
    _post(client, biller, visit(9, diagnoses=[]))
    headers = {**biller, "Content-Type": "application/json"}
    hostile = {b'{"status": "paid", "status": "ready"}':
               "(json): the key 'status' appears twice in one object (JSON would keep only the last value)",
               b'{"status": "ready", "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}": "(json): nested deeper than 32 "
               "levels",
               b"[" * 10_000 + b"]" * 10_000: "(json): nested deeper than 32 levels"}
    for body, problem in hostile.items():
        r = client.post("/api/encounters/v009/status", content=body, headers=headers)
        assert r.status_code == 422 and r.json() == {"problems": [problem]}, (body[:40], r.status_code, r.text[:200])
    assert client.get("/api/encounters/v009", headers=biller).json()["claim"]["status"] == "scrubbed"

    lines = "\n".join(json.dumps(visit(n)) for n in (1, 2))
    rows = client.post("/api/encounters", content=lines, headers={**biller, "Content-Type": "application/x-ndjson"})
    assert [row["status"] for row in rows.json()] == ["ready", "ready"]


def test_a_raw_path_is_a_path_or_a_folder():
    guard = Guard(None, page_csp="", raw_paths=("/api/encounters", "/api/data/import/"))
    assert [guard.is_raw(p) for p in ("/api/encounters", "/api/encounters/v1/status", "/api/encountersx",
                                      "/api/data/import/asp", "/api/data/import")] == [True, False, False, True, False]
