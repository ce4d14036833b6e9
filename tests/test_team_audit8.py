"""The eighth audit of the team service: request bodies read before the token was checked, up to 200 MB on every
route; encounter ids the worklist could not keep or address; authorization dates read as Unix times, grams and
charges in fractions the database drops; ready claims read by an export without a lock."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

from igclaim.inputs import MAX_INPUT_BYTES
from igclaim.service.app import MAX_BODY, MAX_IMPORT_BODY
from igclaim.service.db import ID_LENGTH
from igclaim.service.worklist import MAX_ENCOUNTER_ID
from tests import test_service
from tests.test_service import visit

team, url = test_service.team, test_service.url  # the team service's fixtures (a team app on SQLite or PostgreSQL)

CHUNK = 64 * 1024


def _streamed(app, method: str, path: str, size: int, headers: dict[str, str] | None = None,
              length: bool = False) -> tuple[int, dict, int]:
    """Send a request to the ASGI app with a body of `size` bytes handed over in chunks as the app asks for them
    (as a server does), with Content-Length only when `length`; answers the status, the JSON answer and how many
    bytes of the body the app took."""
    consumed = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal consumed
        if consumed >= size:
            return {"type": "http.disconnect"}
        n = min(CHUNK, size - consumed)
        consumed += n
        return {"type": "http.request", "body": b" " * n, "more_body": consumed < size}

    async def send(message: dict) -> None:
        sent.append(message)

    raw = [(b"host", b"localhost"), *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())]
    if length:
        raw.append((b"content-length", str(size).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": raw,
             "server": ("localhost", 80), "client": ("127.0.0.1", 50000)}
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body), consumed


def test_a_request_without_a_token_is_refused_before_its_body_is_read(team):
    """The guard read the whole body (up to 200 MiB, on every route) before the token was looked at: a client with
    no token made the server hold 150 MB per request. It is now refused 401 from the head alone, whatever the
    route and however large the body, and the connection is closed."""
    _, client, _, _ = team
    for path in ("/api/build", "/api/encounters", "/api/authorizations", "/api/data/import/asp"):
        for length in (False, True):
            status, answer, consumed = _streamed(client.app, "POST", path, 4 * MAX_INPUT_BYTES, length=length)
            assert (status, consumed) == (401, 0), (path, length, status, consumed)
            assert answer["problems"][0].startswith("authorization:")
    bad = {"Authorization": "Bearer igc_nope_nope"}
    assert _streamed(client.app, "PUT", "/api/chargemaster", 4 * MAX_INPUT_BYTES, bad)[::2] == (401, 0)
    r = client.post("/api/build", content=b"{not json")
    assert r.status_code == 401 and r.headers["connection"] == "close"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]  # still behind the guard's headers


def test_only_the_admins_import_takes_more_than_one_encounters_body(team):
    """Every route took 200 MiB (MAX_IMPORT_BODY), the CMS import's limit. A route that takes one JSON document
    now stops reading just past one encounter's limit (MAX_INPUT_BYTES, 413), or at once when Content-Length says
    so; the worklist's POST takes its JSON Lines (MAX_BODY); the import keeps its 200 MiB, for admins only (a
    biller's token is refused 403 before the file is read)."""
    _, client, admin, biller = team
    for method, path in [("POST", "/api/build"), ("POST", "/api/authorizations"),
                         ("POST", "/api/encounters/v001/status"), ("PUT", "/api/chargemaster")]:
        status, answer, consumed = _streamed(client.app, method, path, 4 * MAX_INPUT_BYTES, biller)
        assert status == 413 and consumed <= MAX_INPUT_BYTES + CHUNK, (path, status, consumed)
        assert answer == {"problems": [f"(body): larger than {MAX_INPUT_BYTES:,} bytes (the limit for one "
                                       "encounter)"]}
        assert _streamed(client.app, method, path, MAX_INPUT_BYTES + 1, biller, length=True)[::2] == (413, 0)

    status, answer, consumed = _streamed(client.app, "POST", "/api/encounters", MAX_BODY + 1, biller, length=True)
    assert (status, consumed) == (413, 0)
    assert answer["problems"] == [f"(body): larger than {MAX_BODY:,} bytes (the limit of this route)"]
    padded = json.dumps(visit(1)) + " " * (MAX_INPUT_BYTES + 10)  # one encounter in a body past 1 MiB
    r = client.post("/api/encounters", content=padded, headers={**biller, "Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()[0]["status"] == "ready", r.text

    assert _streamed(client.app, "POST", "/api/data/import/asp", MAX_IMPORT_BODY, biller, length=True)[::2] == (
        403, 0)
    status, answer, consumed = _streamed(client.app, "POST", "/api/data/import/asp", MAX_IMPORT_BODY + 1, admin,
                                         length=True)
    assert (status, consumed) == (413, 0)
    status, answer, consumed = _streamed(client.app, "POST", "/api/data/import/asp", 2 * MAX_INPUT_BYTES, admin)
    assert consumed == 2 * MAX_INPUT_BYTES and status == 422, answer  # read whole, and refused by the importer


def test_an_encounter_id_the_worklist_cannot_keep_or_address_is_refused(team):
    """The input takes ids of 200 characters of any kind; the worklist's columns hold 128: ids of 129-200 were
    stored on SQLite (an error on PostgreSQL), `after` (128 at most) could not page past them, and the audit log cut
    "id@version" at 128. An id with "/" was stored but GET /api/encounters/{id} and its status move answered 404.
    The team service now refuses such ids with 422 naming encounter_id, in a single body and line by line."""
    _, client, admin, biller = team
    too_long = "x" * (MAX_ENCOUNTER_ID + 1)
    refused = {too_long: f"encounter_id: {MAX_ENCOUNTER_ID + 1} characters; the team's worklist keeps ids of at "
                         f"most {MAX_ENCOUNTER_ID}",
               "y" * 200: f"encounter_id: 200 characters; the team's worklist keeps ids of at most {MAX_ENCOUNTER_ID}",
               "..": "encounter_id: '..' cannot be a URL path segment (it means this or the parent folder)",
               ".": "encounter_id: '.' cannot be a URL path segment (it means this or the parent folder)",
               "  ": "encounter_id: empty; the worklist files each encounter under its id"}
    for eid, problem in refused.items():
        r = client.post("/api/encounters", json=visit(1, encounter_id=eid), headers=biller)
        assert r.status_code == 422 and r.json() == {"problems": [problem]}, (eid[:20], r.text)
    for eid in ("a/b", "a\\b", "a%2Fb", "a\tb", "a\u200bb", "a\u2028b", "a\x7fb"):
        r = client.post("/api/encounters", json=visit(1, encounter_id=eid), headers=biller)
        assert r.status_code == 422, (eid, r.text)
        [problem] = r.json()["problems"]
        assert problem.startswith(f"encounter_id: holds U+{ord(eid[1]):04X}; an id is read and moved at "
                                  "/api/encounters/{id}"), problem
    lines = "\n".join(json.dumps(visit(n, encounter_id=eid)) for n, eid in ((1, "a/b"), (2, "v002")))
    rows = client.post("/api/encounters", content=lines,
                       headers={**biller, "Content-Type": "application/x-ndjson"}).json()
    assert [(row["line"], row["problems"][0][:24] if row["problems"] else row["status"]) for row in rows] == [
        (1, "encounter_id: holds U+00"), (2, "ready")]
    assert [c["encounter_id"] for c in client.get("/api/encounters", headers=biller).json()["items"]] == ["v002"]
    assert [e["object_id"] for e in client.get("/api/audit", headers=admin).json()
            if e["action"] == "encounter.submit"] == ["v002@1"]


def test_every_id_the_worklist_takes_can_be_read_moved_and_paged_past(team):
    """The longest id taken, and ids with characters a URL carries percent-encoded ('?', '#', ' ', 'é'): each is
    read and moved at /api/encounters/{id}, paged past with `after`, and written whole in the audit log."""
    _, client, admin, biller = team
    ids = ["a" + "x" * (MAX_ENCOUNTER_ID - 1), "b?1#2 é;~", "c.d"]
    for n, eid in enumerate(ids, start=1):
        r = client.post("/api/encounters", json=visit(n, encounter_id=eid), headers=biller)
        assert r.status_code == 200 and r.json()[0]["status"] == "ready", r.text
    for eid in ids:
        path = "/api/encounters/" + quote(eid, safe="")
        assert client.get(path, headers=biller).json()["claim"]["encounter_id"] == eid
        r = client.post(path + "/status", json={"status": "scrubbed"}, headers=biller)
        assert r.status_code == 200 and r.json()["status"] == "scrubbed", (eid, r.text)
    seen, after = [], None
    while True:
        page = client.get("/api/encounters", params={"limit": 1, **({"after": after} if after else {})},
                          headers=biller).json()
        seen += [c["encounter_id"] for c in page["items"]]
        if not (after := page["next_after"]):
            break
    assert seen == ids
    logged = [e["object_id"] for e in client.get("/api/audit", headers=admin).json()]
    assert f"{ids[0]}@1" in logged and len(f"{ids[0]}@{2**31 - 1}") == ID_LENGTH  # any version fits


def _authorization(**changes) -> dict:
    return {"number": "PA-8", "payer": "Medicare Part B", "member_id": visit(1)["subscriber"]["member_id"],
            "hcpcs": "J1561", "units": 100, "start": "2026-03-01", "end": "2026-06-30", **changes}


def test_authorization_dates_are_written_as_dates_within_the_calendar(team):
    """`start: 1772409600` (a Unix time) was stored as 2026-03-02, and any year was taken; an authorization's
    dates are now read as a chart's (model.ChartDate): ISO text between 1900-01-01 and 2199-12-31, else 422 naming
    the field."""
    _, client, _, biller = team
    for field, value, problem in [
            ("start", 1772409600, "start: 1772409600: use YYYY-MM-DD, e.g. 2026-03-02"),
            ("end", "1782777600", "end: '1782777600': use YYYY-MM-DD, e.g. 2026-03-02"),
            ("start", 20260301, "start: 20260301: use YYYY-MM-DD, e.g. 2026-03-02"),
            ("start", "1899-12-31", "start: outside the dates igclaim accepts (1900-01-01 to 2199-12-31)"),
            ("end", "2200-01-01", "end: outside the dates igclaim accepts (1900-01-01 to 2199-12-31)"),
            ("end", "9999-12-31", "end: outside the dates igclaim accepts (1900-01-01 to 2199-12-31)")]:
        r = client.post("/api/authorizations", json=_authorization(**{field: value}), headers=biller)
        assert r.status_code == 422 and r.json()["problems"] == [problem], (field, value, r.text)
    assert client.get("/api/authorizations", headers=biller).json() == []
    r = client.post("/api/authorizations", json=_authorization(start="1900-01-01", end="2199-12-31"), headers=biller)
    assert r.status_code == 201 and (r.json()["start"], r.json()["end"]) == ("1900-01-01", "2199-12-31"), r.text


def test_authorization_grams_keep_at_most_three_decimals(team):
    """The ledger's grams are Numeric(12, 3): 0.0004 g was stored as given on SQLite and rounded to 0.000 by
    PostgreSQL, so what was left differed by database. More than 3 decimals is refused naming `grams`."""
    _, client, _, biller = team
    for grams in (0.0004, "12.3456", 1e-7):
        r = client.post("/api/authorizations", json=_authorization(grams=grams), headers=biller)
        assert r.status_code == 422, (grams, r.text)
        [problem] = r.json()["problems"]
        assert problem.startswith("grams: more than 3 decimals (") and problem.endswith(
            "); the ledger counts grams to the milligram"), problem
    assert client.get("/api/authorizations", headers=biller).json() == []
    for grams, stored in ((12.345, 12.345), ("50.000", 50), (0, 0)):
        r = client.post("/api/authorizations", json=_authorization(grams=grams), headers=biller)
        assert r.status_code == 201 and r.json()["grams"] == stored, r.text


def test_a_charge_in_fractions_of_a_cent_is_refused_naming_its_row(team):
    """The charge master's amounts are Numeric(12, 2): a unit charge of 0.001 was saved as 0.00 without a word (the
    claim then billed nothing for that code). It is refused naming its data row and code; the stored charge master
    is left as it was."""
    _, client, _, biller = team
    good = "code,unit_charge\nJ1561,123.45\n96365,310.00\n"
    assert client.put("/api/chargemaster", json={"csv": good}, headers=biller).status_code == 200
    r = client.put("/api/chargemaster", headers=biller,
                   json={"csv": "code,unit_charge\nJ1561,123.45\n96365,0.001\n96366,95.505\n96367,1.230\n"})
    assert r.status_code == 422 and r.json()["problems"] == [
        "csv (data row 2): unit_charge 0.001 for 96365 has more than 2 decimals; a charge is in cents",
        "csv (data row 3): unit_charge 95.505 for 96366 has more than 2 decimals; a charge is in cents"], r.text
    kept = client.get("/api/chargemaster", headers=biller).json()["charges"]
    assert kept == [{"code": "96365", "unit_charge": "310.00"}, {"code": "J1561", "unit_charge": "123.45"}]
    r = client.put("/api/chargemaster", json={"csv": "code,unit_charge\nJ1561,1.230\n"}, headers=biller)
    assert r.status_code == 200 and r.json()["charges"] == [{"code": "J1561", "unit_charge": "1.23"}], r.text


def test_an_export_locks_the_claims_it_reads_and_skips_those_another_holds(team):
    """The export read the ready claims without locking them: on PostgreSQL two exports at once could both read a
    claim as ready and both send it. It now reads them FOR UPDATE SKIP LOCKED (a second export takes the claims the
    first has not); SQLite, one writer at a time, renders no lock and exports as before. The statement is checked
    as PostgreSQL would receive it; two concurrent exports on PostgreSQL are not run by this test."""
    from sqlalchemy import event
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.orm import Session

    _, client, _, biller = team
    for n in (1, 2):
        assert client.post("/api/encounters", json=visit(n), headers=biller).json()[0]["status"] == "ready"
    claims_read: list[str] = []

    def seen(state) -> None:
        if state.is_select and "FROM claims" in (sql := str(state.statement.compile(dialect=postgresql.dialect()))):
            claims_read.append(sql)

    event.listen(Session, "do_orm_execute", seen)
    try:
        out = client.post("/api/export", params={"kind": "837P", "charges": "sample"}, headers=biller).json()
    finally:
        event.remove(Session, "do_orm_execute", seen)
    assert out["exported"] == ["v001", "v002"] and out["skipped"] == []
    ready = [sql for sql in claims_read if "claims.status = " in sql]
    assert len(ready) == 1 and ready[0].rstrip().endswith("FOR UPDATE SKIP LOCKED"), claims_read
    again = client.post("/api/export", params={"kind": "837P", "charges": "sample"}, headers=biller).json()
    assert again["exported"] == [] and again["interchange"] is None
    assert client.get("/api/encounters", params={"status": "ready"}, headers=biller).json()["items"] == []
