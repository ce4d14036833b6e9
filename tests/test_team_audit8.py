"""The eighth audit of the team service: request bodies read before the token was checked, up to 200 MB on every
route."""

from __future__ import annotations

import asyncio
import json

from igclaim.inputs import MAX_INPUT_BYTES
from igclaim.service.app import MAX_BODY, MAX_IMPORT_BODY
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
