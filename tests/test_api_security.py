"""The web service against hostile requests: body limit (413), slow bodies (408), Host allow-list, security
headers, bundled profile names only (never a server path, never file contents echoed), 422s in one shape."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient

from igclaim.api import app
from igclaim.inputs import MAX_INPUT_BYTES
from igclaim.web.guard import Guard
from tests.conftest import ROOT

client = TestClient(app)
BODY = json.loads((ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text())


def test_security_headers_on_every_response():
    for resp in (client.get("/"), client.get("/api/health"), client.post("/api/build", json={})):
        h = resp.headers
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "no-referrer"
    assert "script-src 'self' 'sha256-" in client.get("/").headers["content-security-policy"]


def test_other_hosts_are_refused():
    resp = client.get("/api/health", headers={"Host": "evil.example:8000"})
    assert resp.status_code == 400 and "Host" in resp.json()["problems"][0]
    assert client.get("/api/health", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/api/health", headers={"Host": "localhost"}).status_code == 200


def test_body_limit_is_413():
    big = b'{"x": "' + b"a" * (MAX_INPUT_BYTES + 1) + b'"}'
    resp = client.post("/api/build", content=big, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.json()["problems"][0].startswith("(body): larger than")


def test_hostile_json_bodies_are_422_with_problems():
    cases = {b"[" * 5000 + b"]" * 5000: "nested deeper", b'{"a": ' + b"9" * 5000 + b"}": "",
             b"\xff\xfe{}": "not UTF-8", b"{not json": "(json)"}
    for body, words in cases.items():
        resp = client.post("/api/build", content=body, headers={"Content-Type": "application/json"})
        assert resp.status_code == 422, (body[:20], resp.text)
        assert words in " ".join(resp.json()["problems"])
    text = json.dumps(BODY).replace('"grams": 30', '"grams": NaN', 1)
    resp = client.post("/api/build", content=text, headers={"Content-Type": "application/json"})
    assert resp.status_code == 422 and resp.json()["problems"][0].startswith("drugs[0].dose.grams:")


def test_a_bom_is_accepted():
    body = b"\xef\xbb\xbf" + json.dumps(BODY).encode()
    assert client.post("/api/build", content=body, headers={"Content-Type": "application/json"}).status_code == 200


def test_fastapis_own_422_has_the_api_shape():
    resp = client.post("/api/build", json=[1, 2])
    assert resp.status_code == 422 and set(resp.json()) == {"problems"}
    assert all(isinstance(p, str) for p in resp.json()["problems"])


def test_profiles_are_bundled_names_never_paths(tmp_path):
    secret = tmp_path / "secret.toml"
    secret.write_text('name = "TOP-SECRET-CONTENT"\n')
    resp = client.post("/api/build", params={"profile": str(secret)}, json=BODY)
    assert resp.status_code == 422 and "TOP-SECRET" not in resp.text and resp.json()["problems"][0].startswith(
        "profile:")
    body = json.loads(json.dumps(BODY))
    body["payer"]["profile"] = "/etc/passwd.toml"
    resp = client.post("/api/build", json=body)
    assert resp.status_code == 422 and resp.json()["problems"][0].startswith("payer.profile:")
    assert client.post("/api/build", params={"profile": "medicare-part-b"}, json=BODY).status_code == 200


def test_a_slow_body_is_dropped_with_408():
    sent: list[dict] = []

    async def inner(scope, receive, send):  # pragma: no cover - never reached
        raise AssertionError("the app must not see a body that never arrived")

    async def receive():
        await asyncio.sleep(5)
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        sent.append(message)

    guard = Guard(inner, page_csp="", hosts=frozenset({"localhost"}), body_timeout=0.05)
    scope = {"type": "http", "method": "POST", "path": "/api/build", "headers": [(b"host", b"localhost")]}
    asyncio.run(guard(scope, receive, send))
    assert sent[0]["status"] == 408


def test_a_json_body_over_one_encounter_is_413_where_the_server_takes_larger_raw_bodies():
    """The team service takes CMS files of many MB on its raw paths; its JSON routes still take one encounter."""
    sent: list[dict] = []

    async def inner(scope, receive, send):  # pragma: no cover - never reached
        raise AssertionError("the app must not see the body")

    body = b'{"pad": "' + b"x" * (MAX_INPUT_BYTES + 10) + b'"}'

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    guard = Guard(inner, page_csp="", hosts=frozenset({"localhost"}), max_body=64 * MAX_INPUT_BYTES,
                  raw_paths=("/api/data/import/",))
    scope = {"type": "http", "method": "POST", "path": "/api/build", "headers": [(b"host", b"localhost")]}
    asyncio.run(guard(scope, receive, send))
    assert sent[0]["status"] == 413


@pytest.mark.parametrize("length,status", [(b"9" * 5000, 413), (b"9" * 19, 413), (b"10", 200)])
def test_a_content_length_of_thousands_of_digits_is_413_not_an_exception(length, status):
    """int() of a 5,000-digit Content-Length raised ValueError inside the guard (past Python's 4,300 digits)."""
    sent: list[dict] = []

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        sent.append(message)

    guard = Guard(inner, page_csp="", hosts=frozenset({"localhost"}), max_body=MAX_INPUT_BYTES)
    scope = {"type": "http", "method": "GET", "path": "/api/health",
             "headers": [(b"host", b"localhost"), (b"content-length", length)]}
    asyncio.run(guard(scope, receive, send))
    assert sent[0]["status"] == status
