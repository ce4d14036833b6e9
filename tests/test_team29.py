"""The twenty-ninth session's fixes to the team service: AUTH-EXPIRING warned of an authorization's end while a
renewal of the code was already in the ledger; the audit log cut object ids at 128 characters while the import
took file names of 200; the admin import held its body two or three times in memory; and token guesses were
not limited."""

from __future__ import annotations

import tracemalloc

import pytest
from fastapi.testclient import TestClient

from igclaim.service import app as app_mod
from igclaim.service import auth, worklist
from igclaim.service.db import ID_LENGTH
from tests import test_service
from tests.test_service import visit
from tests.test_team_audit7 import _authorize

team, url = test_service.team, test_service.url  # the team service's fixtures (a team app on SQLite or PostgreSQL)


def _expiring(client, biller, enc: dict) -> list[str]:
    r = client.post("/api/encounters", json=enc, headers=biller)
    assert r.status_code == 200, r.text
    findings = client.get(f"/api/encounters/{enc['encounter_id']}", headers=biller).json()["result"]["findings"]
    return [f["message"] for f in findings if f["edit"] == "AUTH-EXPIRING"]


# --------------------------------------------------------------------------- AUTH-EXPIRING and the other authorizations


def test_a_renewal_in_the_ledger_silences_the_end_of_the_one_drawn_on(team):
    """Visit on 2026-03-02 drawing on PA-100, which ends on 03-05 (Medicare's lead time is 14 days): AUTH-EXPIRING
    warned although PA-101, already recorded, covers the code from 03-06 to 09-30. The warning was noise."""
    _, client, _, biller = team
    _authorize(client, biller, 1000, end="2026-03-05")
    _authorize(client, biller, 1000, number="PA-101", start="2026-03-06", end="2026-09-30")
    assert _expiring(client, biller, visit(1)) == []


def test_the_end_of_the_cover_still_warns(team):
    """Without a renewal, with a renewal that itself ends soon, or with one after a gap, the warning stays; it names
    when the code's cover (the renewals carrying it on) runs out."""
    _, client, _, biller = team
    _authorize(client, biller, 1000, end="2026-03-05")
    [alone] = _expiring(client, biller, visit(1))
    assert "PA-100 (ledger #1): it ends on 2026-03-05, 3 days after this visit" in alone

    _authorize(client, biller, 1000, number="PA-GAP", start="2026-03-20", end="2026-09-30")  # a gap: no cover
    [gap] = _expiring(client, biller, visit(1, diagnoses=["D80.1"]))
    assert "it ends on 2026-03-05" in gap

    _authorize(client, biller, 1000, number="PA-101", start="2026-03-06", end="2026-03-10")
    [short] = _expiring(client, biller, visit(1, diagnoses=["D83.9"]))
    assert "it and the renewals after it (PA-101 (ledger #3)) end on 2026-03-10, 8 days after this visit" in short


def test_a_renewal_without_room_for_another_visit_does_not_count(team):
    """A renewal that could not hold another visit like this one (60 units of J1561) carries no cover on."""
    _, client, _, biller = team
    _authorize(client, biller, 1000, end="2026-03-05")
    _authorize(client, biller, 50, number="PA-101", start="2026-03-06", end="2026-09-30")
    [warning] = _expiring(client, biller, visit(1))
    assert "it ends on 2026-03-05" in warning


def test_a_low_balance_is_no_concern_while_another_authorization_has_room(team):
    """PA-100 has 100 units; after this visit's 60 only 40 remain, less than another visit: the warning is right
    alone, and noise when PA-101 (same code, in force) holds the next visit."""
    _, client, _, biller = team
    _authorize(client, biller, 100)
    [low] = _expiring(client, biller, visit(1))
    assert "after this visit only 40 units remain" in low
    _authorize(client, biller, 1000, number="PA-101")
    assert _expiring(client, biller, visit(1, diagnoses=["D80.1"])) == []


def test_a_renewal_inside_the_cover_does_not_shorten_it(team):
    """PA-100 (drawn: it ends soonest) is carried on by PA-LONG to 09-30; PA-SHORT, which starts later but ends on
    03-10, inside that cover, moves nothing: the cover runs to 09-30, so no warning (a chain that took every later
    start warned of 03-10)."""
    _, client, _, biller = team
    _authorize(client, biller, 1000, end="2026-03-05")
    _authorize(client, biller, 1000, number="PA-LONG", start="2026-03-01", end="2026-09-30")
    _authorize(client, biller, 1000, number="PA-SHORT", start="2026-03-03", end="2026-03-10")
    assert _expiring(client, biller, visit(1)) == []


def test_an_authorization_ending_on_the_visit_day_holds_no_next_visit(team):
    """The claim names PA-100 (100 units: 40 left after this visit's 60). PA-TODAY, for the code with room, ends on
    the visit's own date: the next visit is later, so it cannot hold it and the low balance still warns."""
    _, client, _, biller = team
    _authorize(client, biller, 100)
    _authorize(client, biller, 1000, number="PA-TODAY", start="2026-03-01", end="2026-03-02")
    enc = visit(1)
    enc["payer"] = {**enc["payer"], "prior_authorization": {"number": "PA-100"}}
    [low] = _expiring(client, biller, enc)
    assert "after this visit only 40 units remain" in low


# ------------------------------------------------------------------------------------------- the audit log's ids


def _stub_import(monkeypatch, seen: list[int]) -> None:
    """The reference store's import replaced by one that notes the file's size: these tests are about the route."""
    from igclaim.refdata import store

    monkeypatch.setattr(store, "import_file", lambda kind, path, options=None: seen.append(path.stat().st_size) or [])


def test_an_import_file_name_is_audited_whole_or_refused(team, monkeypatch):
    """The import took file names of 200 characters and the audit log kept 128: a longer name was stored cut, so
    two imports could read as one file. A name is now at most the log's ID_LENGTH (422 naming `filename`) and is
    audited whole."""
    _, client, admin, _ = team
    _stub_import(monkeypatch, seen := [])
    whole = "a" * (ID_LENGTH - 4) + ".csv"
    r = client.post("/api/data/import/asp", content=b"x", params={"filename": whole}, headers=admin)
    assert r.status_code == 200, r.text
    assert client.get("/api/audit", headers=admin).json()[0]["object_id"] == whole
    for long in ("b" * ID_LENGTH + ".csv", "c" * 196 + ".csv"):
        r = client.post("/api/data/import/asp", content=b"x", params={"filename": long}, headers=admin)
        assert r.status_code == 422, r.text
        assert r.json()["problems"] == [f"query.filename: too long: at most {ID_LENGTH} characters"]
    assert seen == [1]
    assert [e["object_id"] for e in client.get("/api/audit", headers=admin).json()
            if e["action"] == "data.import.asp"] == [whole]


def test_the_audit_log_never_stores_an_id_cut():
    """An id past the column reaching the log is a bug: refused, never stored cut."""
    with pytest.raises(ValueError, match="129 characters"):
        worklist.audit(None, 1, "x", "y", "d" * (ID_LENGTH + 1))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------- the import's body in memory


def test_an_import_does_not_hold_its_body_in_memory(team, monkeypatch):
    """POST /api/data/import/{kind} of a 16 MB file: the guard read it whole (a bytearray), handed the route a copy
    (bytes) and the route kept it while the importer read the file again, at least twice the file in memory before
    the importer's own copy. The body now goes to the route's file as it arrives: what the service allocates is a
    small part of it (measured with tracemalloc; the importer is stubbed, so this is the route's and the guard's
    share only), and the file reaches the importer whole."""
    _, client, admin, _ = team
    _stub_import(monkeypatch, seen := [])
    size = 16 * 1024 * 1024
    body = b"x" * size
    client.post("/api/data/import/asp", content=b"warm", headers=admin)  # first-request allocations not counted
    tracemalloc.start()
    try:
        r = client.post("/api/data/import/asp", content=body, headers=admin)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 200, r.text
    assert seen == [4, size]
    assert peak < size // 4, f"{peak:,} bytes at the peak for a body of {size:,}"


def test_a_streamed_import_keeps_its_size_limit(team, monkeypatch):
    """Past the route's limit the streamed body is refused 413 (the connection closed) and nothing is imported."""
    url, _, admin, _ = team
    _stub_import(monkeypatch, seen := [])

    def chunks():  # no Content-Length: the guard counts what arrives
        for _ in range(5):
            yield b"y" * 1024

    monkeypatch.setattr(app_mod, "MAX_IMPORT_BODY", 4096)
    small = app_mod.create_app(url, coders=0)
    r = TestClient(small).post("/api/data/import/asp", content=chunks(), headers=admin)
    assert r.status_code == 413 and r.headers["connection"] == "close", r.text
    assert "larger than 4,096 bytes" in r.json()["problems"][0]
    assert seen == []


# --------------------------------------------------------------------------------------- failed token checks


def _guess(client, n: int) -> list[int]:
    return [client.get("/api/encounters", headers={"Authorization": f"Bearer igc_{i:016x}_wrong"}).status_code
            for i in range(n)]


def test_token_guesses_are_limited_per_client_address(team, monkeypatch):
    """A client could try tokens without end (401 each time; a wrong secret of a real token id costs the server a
    scrypt). After IGCLAIM_AUTH_FAILURES failed checks in IGCLAIM_AUTH_FAILURE_WINDOW seconds its address is
    refused 429 with Retry-After, a valid token too unless it was proven here before (not a guess); another address,
    and a request without a token, are not counted against it."""
    url, _, admin, biller = team
    monkeypatch.setenv("IGCLAIM_AUTH_FAILURES", "3")
    monkeypatch.setenv("IGCLAIM_AUTH_FAILURE_WINDOW", "600")
    app = app_mod.create_app(url, coders=0)
    known = TestClient(app, client=("192.0.2.7", 40000))
    assert known.get("/api/encounters", headers=biller).status_code == 200  # proven here
    guesser = TestClient(app, client=("192.0.2.7", 40001))
    for _ in range(5):
        assert guesser.get("/api/encounters").status_code == 401  # no token: no guess
    assert _guess(guesser, 4) == [401, 401, 401, 429]
    r = guesser.get("/api/encounters", headers=admin)  # valid, but not proven here: refused like a guess
    assert r.status_code == 429 and 590 <= int(r.headers["Retry-After"]) <= 600
    assert r.json()["problems"][0].startswith("authorization: too many failed token checks from this address")
    assert known.get("/api/encounters", headers=biller).status_code == 200  # same address, a proven token
    other = TestClient(app, client=("198.51.100.9", 40000))
    assert other.get("/api/encounters", headers=admin).status_code == 200


def test_the_failed_checks_are_remembered_in_bounded_memory(monkeypatch):
    """At most `clients` addresses, each at most `failures` times; a failure older than the window lets one try."""
    clock = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    limiter = auth.FailedAuthLimiter(auth.FailureLimits(failures=2, window=10.0, clients=3))
    for n in range(50):
        for _ in range(5):
            limiter.failed(f"10.0.0.{n}")
    assert len(limiter._failed) == 3 and all(len(t) == 2 for t in limiter._failed.values())
    assert limiter.wait("10.0.0.49") == 10.0 and limiter.wait("10.0.0.1") == 0.0
    clock[0] += 10.0
    assert limiter.wait("10.0.0.49") == 0.0
