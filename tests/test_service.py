"""The team service: tokens and roles, the worklist, the authorization ledger across restarts, the audit log,
migrations up and down; against SQLite always, and against a real PostgreSQL when one is running
(IGCLAIM_TEST_POSTGRES_URL, set by make test after scripts/postgres-test.sh installs and starts Debian's postgresql)."""

from __future__ import annotations

import copy
import json
import os
import threading
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text

from igclaim.service import auth, migrate
from igclaim.service.app import create_app
from igclaim.service.db import engine_for, read_engine_for, sessions
from tests.test_x12 import pyx12_check

ROOT = Path(__file__).resolve().parents[1]
OFFICE = json.loads((ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text())
PG = os.environ.get("IGCLAIM_TEST_POSTGRES_URL")


def _postgres_db() -> str:
    """A fresh database on the test server, so runs never see each other's rows."""
    name = f"igclaim_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'team.sqlite'}"
    if not PG:
        pytest.skip("no PostgreSQL here: make test installs and starts one and sets IGCLAIM_TEST_POSTGRES_URL "
                    "(scripts/postgres-test.sh)")
    return _postgres_db()


def serve_team(db: str, home: str, port: int, *args: str, **env: str):
    """`igclaim serve --team` as its own process on the loopback (a restart is a new process on the same database);
    returns once it answers /api/health."""
    import subprocess
    import sys
    import time
    import urllib.request

    env = {**os.environ, "IGCLAIM_DATABASE_URL": db, "IGCLAIM_HOME": home, "IGCLAIM_ALLOWED_HOSTS": "127.0.0.1",
           **env}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("igclaim")), "serve", "--team", "--host", "127.0.0.1",
                             "--port", str(port), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    end = time.time() + 90
    while time.time() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode()[-2000:]) from None
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the team service did not start")


def stop_team(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except Exception:
        proc.kill()
        raise


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _user(url: str, name: str, role: str) -> str:
    migrate.upgrade(url)
    with sessions(url)() as db, db.begin():
        user = auth.add_user(db, name, role)
        _, token = auth.create_token(db, user)
    return token


@pytest.fixture
def team(url):
    admin = _user(url, "ada", "admin")
    biller = _user(url, "bo", "biller")
    client = TestClient(create_app(url))
    yield url, client, {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {biller}"}
    # Each test's database has its own connection pools (db.engine_for, read_engine_for): closed here, or a run of
    # the team tests on PostgreSQL fills its 100 connections ("sorry, too many clients already").
    engine_for(url).dispose()
    read_engine_for(url).dispose()
    # And its revocation listener (PostgreSQL) holds a connection of its own until the app is garbage-collected,
    # which a run of hundreds of tests left to the collector's timing: stopped now, it closes within a second.
    for thread in threading.enumerate():
        if isinstance(thread, auth.RevocationListener):
            thread.stop()


def visit(n: int, **changes) -> dict:
    enc = copy.deepcopy(OFFICE)
    enc["encounter_id"] = f"v{n:03d}"
    enc["date_of_service"] = f"2026-03-{n + 1:02d}"
    enc["administrations"] = [{**enc["administrations"][0], "start": f"2026-03-{n + 1:02d}T09:00",
                               "stop": f"2026-03-{n + 1:02d}T14:00"}]
    enc.update(changes)
    return enc


def test_a_read_outlives_the_database_dropping_its_connections(team):
    """On PostgreSQL worklist reads use connections that are not pinged before each use (one round trip a read):
    when the database drops them (a restart, an administrator), the read runs again on a new connection and
    answers, rather than failing with a 500."""
    url, client, _, biller = team
    if url.startswith("sqlite"):
        pytest.skip("SQLite: a read opens no connection over the network")
    assert client.post("/api/encounters", json=visit(1), headers=biller).status_code == 200
    before = [client.get(path, headers=biller) for path in ("/api/encounters", "/api/encounters/v001")]
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        dropped = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE datname = :db AND pid <> pg_backend_pid()"),
                               {"db": url.rsplit("/", 1)[1]}).scalar()
    admin.dispose()
    assert dropped >= 1
    after = [client.get(path, headers=biller) for path in ("/api/encounters", "/api/encounters/v001")]
    assert [r.status_code for r in after] == [200, 200]
    assert [r.json() for r in after] == [r.json() for r in before]


def test_every_api_route_but_health_needs_a_token(team):
    _, client, _, biller = team
    assert client.get("/api/health").status_code == 200
    # (the token is checked before the body is read: a body that is not JSON at all is refused 401 too)
    for method, path in [("post", "/api/build"), ("get", "/api/encounters"), ("get", "/api/products"),
                         ("post", "/api/export"), ("get", "/api/audit")]:
        r = client.post(path, json={}) if method == "post" else client.get(path)
        assert r.status_code == 401, path
        if method == "post":
            assert client.post(path, content=b"{not json").status_code == 401, path
        assert r.json()["problems"][0].startswith("authorization:")
    bad = {"Authorization": biller["Authorization"][:-2] + "xx"}
    assert client.get("/api/encounters", headers=bad).status_code == 401
    assert client.get("/api/encounters", headers=biller).status_code == 200


def test_tokens_are_stored_hashed_and_revocation_is_immediate(team):
    url, client, admin, biller = team
    clear = biller["Authorization"].split()[1]
    with create_engine(url).connect() as conn:
        stored = [tuple(r) for r in conn.execute(text("SELECT id, hash, salt FROM tokens"))]
    assert not any(clear.split("_", 2)[2] in "".join(row) for row in stored)
    assert client.get("/api/encounters", headers=biller).status_code == 200
    token_id = clear.split("_")[1]
    assert client.delete(f"/api/tokens/{token_id}", headers=biller).status_code == 403  # billers can't
    assert client.delete(f"/api/tokens/{token_id}", headers=admin).status_code == 200
    assert client.get("/api/encounters", headers=biller).status_code == 401


def test_roles(team):
    _, client, admin, biller = team
    assert client.post("/api/users", json={"name": "cy", "role": "biller"}, headers=biller).status_code == 403
    r = client.post("/api/users", json={"name": "cy", "role": "biller"}, headers=admin)
    assert r.status_code == 201
    tok = client.post("/api/users/cy/tokens", headers=admin).json()["token"]
    assert client.get("/api/encounters", headers={"Authorization": f"Bearer {tok}"}).status_code == 200
    assert client.get("/api/audit", headers=biller).status_code == 403


def test_submit_is_versioned_and_idempotent(team):
    _, client, _, biller = team
    first = client.post("/api/encounters", json=visit(1), headers=biller).json()[0]
    assert (first["version"], first["created"], first["status"]) == (1, True, "ready")
    again = client.post("/api/encounters", json=visit(1), headers=biller).json()[0]
    assert (again["version"], again["created"]) == (1, False)
    changed = visit(1, diagnoses=["D80.1"])
    assert client.post("/api/encounters", json=changed, headers=biller).json()[0]["version"] == 2
    detail = client.get("/api/encounters/v001", headers=biller).json()
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    assert detail["encounter"]["diagnoses"] == ["D80.1"]


def test_json_lines_every_line_answers(team):
    _, client, _, biller = team
    bad = visit(3)
    bad["drugs"][0]["dose"] = {"grams": "lots"}
    body = "\n".join([json.dumps(visit(2)), "{not json", json.dumps(bad), "", json.dumps(visit(4))])
    out = client.post("/api/encounters", content=body, headers={**biller, "Content-Type": "application/x-ndjson"})
    assert out.status_code == 200
    rows = out.json()
    assert [r["line"] for r in rows] == [1, 2, 3, 5]
    assert [bool(r["problems"]) for r in rows] == [False, True, True, False]
    assert "drugs[0].dose" in rows[2]["problems"][0]
    listed = client.get("/api/encounters", headers=biller).json()["items"]
    assert [c["encounter_id"] for c in listed] == ["v002", "v004"]


def test_a_key_written_twice_refuses_its_encounter_only(team):
    """json.loads kept the last of two equal keys: the encounter was stored and coded on half its data."""
    _, client, _, biller = team
    twice = json.dumps(visit(8)).replace('"diagnoses": [', '"diagnoses": ["G61.81"], "diagnoses": [', 1)
    body = "\n".join([json.dumps(visit(9)), twice])
    rows = client.post("/api/encounters", content=body.encode(),
                       headers={**biller, "Content-Type": "application/x-ndjson"}).json()
    assert [(r["line"], r["problems"]) for r in rows] == [(1, []), (2, [
        "line 2: not JSON (the key 'diagnoses' appears twice in one object (JSON would keep only the last value))"])]
    assert [c["encounter_id"] for c in client.get("/api/encounters", headers=biller).json()["items"]] == ["v009"]


def test_a_byte_that_is_not_utf8_refuses_its_encounter_only(team):
    """Never stored with the byte silently replaced: that line answers with the problem, the others are stored; a
    single JSON body with such a byte is refused whole."""
    _, client, _, biller = team
    latin1 = json.dumps(visit(5)).replace('"v005"', '"v005-\\u00e9"').encode().replace(b"\\u00e9", b"\xe9")
    body = b"\n".join([json.dumps(visit(6)).encode(), latin1, json.dumps(visit(7)).encode()])
    rows = client.post("/api/encounters", content=body,
                       headers={**biller, "Content-Type": "application/x-ndjson"}).json()
    assert [(r["line"], r["problems"]) for r in rows] == [
        (1, []), (2, ["line 2: not JSON (not UTF-8 text: a byte 0xe9)"]), (3, [])]
    one = client.post("/api/encounters", content=latin1,
                      headers={**biller, "Content-Type": "application/json"})
    assert one.status_code == 422 and "not UTF-8 text (a byte 0xe9)" in one.text
    assert [c["encounter_id"] for c in client.get("/api/encounters", headers=biller).json()["items"]] == [
        "v006", "v007"]


def test_listing_filters_and_pages(team):
    _, client, _, biller = team
    for n in range(1, 8):
        client.post("/api/encounters", json=visit(n), headers=biller)
    nodx = visit(9, diagnoses=[])
    client.post("/api/encounters", json=nodx, headers=biller)
    seen, after = [], None
    while True:
        page = client.get("/api/encounters", params={"limit": 3, **({"after": after} if after else {})},
                          headers=biller).json()
        seen += [c["encounter_id"] for c in page["items"]]
        after = page["next_after"]
        if not after:
            break
    assert seen == [f"v{n:03d}" for n in [*range(1, 8), 9]]
    scrubbed = client.get("/api/encounters", params={"status": "scrubbed"}, headers=biller).json()["items"]
    assert [c["encounter_id"] for c in scrubbed] == ["v009"]
    edit = scrubbed[0]["edits"][0]
    by_edit = client.get("/api/encounters", params={"edit": edit}, headers=biller).json()["items"]
    assert "v009" in [c["encounter_id"] for c in by_edit]
    by_date = client.get("/api/encounters", params={"date_from": "2026-03-03", "date_to": "2026-03-04"},
                         headers=biller).json()["items"]
    assert [c["encounter_id"] for c in by_date] == ["v002", "v003"]


def test_status_moves(team):
    _, client, _, biller = team
    client.post("/api/encounters", json=visit(9, diagnoses=[]), headers=biller)
    move = lambda s: client.post("/api/encounters/v009/status", json={"status": s}, headers=biller)  # noqa: E731
    assert move("paid").status_code == 409
    assert move("ready").json()["status"] == "ready"
    r = client.post("/api/encounters/v009/status", json={"status": "exported"}, headers=biller)
    assert r.status_code == 422  # only an export exports
    assert client.post("/api/encounters/nope/status", json={"status": "ready"}, headers=biller).status_code == 404


def test_authorization_is_used_up_across_visits_and_restarts(team):
    url, client, _, biller = team
    auth_body = {"number": "PA-1", "payer": "Medicare Part B", "member_id": OFFICE["subscriber"]["member_id"],
                 "hcpcs": "J1561", "units": 130, "start": "2026-03-01", "end": "2026-06-30"}
    auth_id = client.post("/api/authorizations", json=auth_body, headers=biller).json()["id"]
    client.post("/api/encounters", json=visit(1), headers=biller)
    out = client.post("/api/export", params={"kind": "837P", "charges": "sample"}, headers=biller).json()
    assert out["exported"] == ["v001"] and out["skipped"] == []
    assert pyx12_check(out["interchange"]) == []
    assert client.get("/api/authorizations/" + str(auth_id), headers=biller).json()["remaining"]["units"] == 70

    restarted = TestClient(create_app(url))  # a new process on the same database
    second = restarted.post("/api/encounters", json=visit(2), headers=biller).json()[0]
    assert second["status"] == "ready"
    detail = restarted.get("/api/encounters/v002", headers=biller).json()
    assert "AUTH-EXPIRING" in {f["edit"] for f in detail["result"]["findings"]}  # 10 units left after it
    restarted.post("/api/export", params={"kind": "837P", "charges": "sample"}, headers=biller)
    third = restarted.post("/api/encounters", json=visit(3), headers=biller).json()[0]
    assert third["status"] == "scrubbed"
    detail = restarted.get("/api/encounters/v003", headers=biller).json()
    exhausted = [f for f in detail["result"]["findings"] if f["edit"] == "AUTH-EXHAUSTED"]
    assert exhausted and "60 units needed, 10 left" in exhausted[0]["message"]
    history = restarted.get(f"/api/authorizations/{auth_id}", headers=biller).json()["history"]
    assert [(h["encounter_id"], h["units"]) for h in history] == [("v001", 60), ("v002", 60)]


def test_an_authorizations_code_is_what_a_charts_prior_authorization_takes(team):
    """POST /api/authorizations took its code by a pattern of its own (^[A-Z][0-9]{4}$): 'j1561', which a chart's
    payer.prior_authorization.hcpcs takes (model.HCPCS_CODE), and a CPT code were refused. It is the chart's code
    now: five ASCII letters and digits, either case, stored upper case, so it matches the claim's J1561."""
    _, client, _, biller = team
    body = {"number": "PA-1", "payer": "Medicare Part B", "member_id": OFFICE["subscriber"]["member_id"],
            "units": 130, "start": "2026-03-01", "end": "2026-06-30"}
    for code in ("J15 61", "ſ1561", "J１５６１", "J156", "J1561:59"):
        r = client.post("/api/authorizations", json={**body, "hcpcs": code}, headers=biller)
        assert r.status_code == 422 and any(p.startswith("hcpcs") for p in r.json()["problems"]), (code, r.text)
    cpt = client.post("/api/authorizations", json={**body, "number": "PA-2", "hcpcs": "96365"}, headers=biller)
    assert cpt.status_code == 201, cpt.text
    auth_id = client.post("/api/authorizations", json={**body, "hcpcs": "j1561"}, headers=biller).json()["id"]
    auth = client.get(f"/api/authorizations/{auth_id}", headers=biller).json()
    assert auth["hcpcs"] == "J1561", auth
    client.post("/api/encounters", json=visit(1), headers=biller)
    out = client.post("/api/export", params={"kind": "837P", "charges": "sample"}, headers=biller).json()
    assert out["exported"] == ["v001"]
    assert client.get(f"/api/authorizations/{auth_id}", headers=biller).json()["remaining"]["units"] == 70


def test_export_leaves_claims_missing_parties_ready(team):
    _, client, _, biller = team
    no_parties = {k: v for k, v in visit(5).items() if k not in ("billing_provider",)}
    client.post("/api/encounters", json=no_parties, headers=biller)
    out = client.post("/api/export", params={"kind": "837P", "charges": "sample"}, headers=biller).json()
    assert out["exported"] == [] and out["skipped"][0]["encounter_id"] == "v005"
    assert "billing_provider" in out["skipped"][0]["problems"][0]
    assert client.get("/api/encounters/v005", headers=biller).json()["claim"]["status"] == "ready"


def test_a_claim_the_export_skips_names_every_problem(team):
    """A skipped claim's problems were the first only (str() of the error): the biller fixed one field an export."""
    _, client, _, biller = team
    enc = visit(6)
    enc["payer"] = {**enc["payer"], "name": "ACME~CARE"}
    enc["billing_provider"] = {**enc["billing_provider"],
                               "address": {**enc["billing_provider"]["address"], "state": "QQ"}}
    assert client.post("/api/encounters", json=enc, headers=biller).status_code == 200
    out = client.post("/api/export", params={"kind": "837P", "charges": "sample"}, headers=biller).json()
    [skipped] = out["skipped"]
    assert [p.split(":")[1].strip() for p in skipped["problems"]] == ["payer.name",
                                                                      "billing_provider.address.state"], skipped


def test_a_claim_that_cannot_open_the_interchange_is_skipped_and_the_others_exported(team):
    """The envelope takes its contact phone and receiver id from the first claim: one claim without a billing
    phone, or with a payer id longer than an ISA08 (15), failed the whole export (an internal error, 500). It is
    now skipped and named, and the others go out."""
    _, client, _, biller = team
    no_phone = visit(1)
    no_phone["billing_provider"] = {k: v for k, v in no_phone["billing_provider"].items() if k != "phone"}
    long_id = visit(2)
    long_id["payer"] = {**long_id["payer"], "payer_id": "P" * 16}
    for enc in (no_phone, long_id, visit(3)):
        assert client.post("/api/encounters", json=enc, headers=biller).status_code == 200
    r = client.post("/api/export", params={"kind": "837P", "charges": "sample"}, headers=biller)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["exported"] == ["v003"] and out["interchange"].startswith("ISA*")
    skipped = {s["encounter_id"]: s["problems"][0] for s in out["skipped"]}
    assert "billing_provider.phone" in skipped["v001"] and "payer.payer_id: 16 characters" in skipped["v002"]


def test_audit_log_has_ids_not_patient_facts(team):
    url, client, admin, biller = team
    client.post("/api/encounters", json=visit(1), headers=biller)
    client.post("/api/encounters/v001/status", json={"status": "scrubbed"}, headers=biller)
    log = client.get("/api/audit", headers=admin).json()
    assert [e["action"] for e in log[:2]] == ["claim.scrubbed", "encounter.submit"]
    dump = json.dumps(log)
    for secret in (OFFICE["patient"]["last_name"], OFFICE["patient"]["birth_date"], "D83"):
        assert secret not in dump


def test_rate_limit_per_token(url):
    token = _user(url, "rl", "biller")
    client = TestClient(create_app(url, rate=0.01, burst=2))
    h = {"Authorization": f"Bearer {token}"}
    assert [client.get("/api/encounters", headers=h).status_code for _ in range(3)] == [200, 200, 429]


def test_rate_limit_is_one_budget_across_workers_sharing_a_store(tmp_path):
    """Two workers (two apps) with one rate store: a token's burst is spent wherever its requests land; each app's
    own memory would have given it twice the budget."""
    url = f"sqlite:///{tmp_path / 'team.sqlite'}"
    token = _user(url, "rl", "biller")
    store = str(tmp_path / "rates.sqlite")
    a, b = (TestClient(create_app(url, rate=0.01, burst=3, rate_store=store)) for _ in range(2))
    h = {"Authorization": f"Bearer {token}"}
    got = [c.get("/api/encounters", headers=h).status_code for c in (a, b, a, b, a)]
    assert got == [200, 200, 200, 429, 429]
    refused = b.get("/api/encounters", headers=h)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_migrations_up_down_and_match_the_models(url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from igclaim.service.db import Base

    migrate.upgrade(url)
    eng = create_engine(url)
    with eng.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert {"users", "tokens", "claims", "authorizations", "audit"} <= set(inspect(eng).get_table_names())
    migrate.downgrade(url)
    assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(url)
    assert migrate.current(url) == "0003"
    migrate.downgrade(url, "0002")  # the stored exports go, the rest stays
    tables = set(inspect(eng).get_table_names())
    assert not tables & {"exports", "export_claims"} and {"charges", "claims"} <= tables
    migrate.downgrade(url, "0001")  # the charge master's table goes, the rest stays
    assert "charges" not in inspect(eng).get_table_names() and "claims" in inspect(eng).get_table_names()
    migrate.upgrade(url)
    assert {"charges", "exports", "export_claims"} <= set(inspect(eng).get_table_names())
    eng.dispose()


def test_cli_users_and_tokens(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from igclaim.cli import app

    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))
    monkeypatch.delenv("IGCLAIM_DATABASE_URL", raising=False)
    run = CliRunner().invoke
    assert run(app, ["users", "add", "ann", "--role", "admin"]).exit_code == 0
    again = run(app, ["users", "add", "ann"])
    assert again.exit_code == 2 and "exists already" in again.output
    assert run(app, ["users", "add", "zed", "--role", "boss"]).exit_code == 2
    # "аnn" with a Cyrillic "а" would read as "ann" in the audit trail: names take ASCII letters only
    homoglyph = run(app, ["users", "add", "\u0430nn"])
    assert homoglyph.exit_code == 2 and "ASCII" in homoglyph.output, homoglyph.output
    made = run(app, ["tokens", "create", "ann"])
    assert made.exit_code == 0
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("igc_")
    client = TestClient(create_app(f"sqlite:///{tmp_path / 'team.sqlite'}"))
    assert client.get("/api/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert run(app, ["tokens", "revoke", token.split("_")[1]]).exit_code == 0
    assert client.get("/api/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_cli_disables_and_enables_a_user(tmp_path, monkeypatch):
    """A disabled user's tokens are refused from the next request; enabling them lets the same token work again;
    both are in the audit log by user id; nothing is deleted."""
    from typer.testing import CliRunner

    from igclaim.cli import app

    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))
    monkeypatch.delenv("IGCLAIM_DATABASE_URL", raising=False)
    run = CliRunner().invoke
    assert run(app, ["users", "add", "ann", "--role", "admin"]).exit_code == 0
    token = run(app, ["tokens", "create", "ann"]).stdout.strip().splitlines()[-1]
    h = {"Authorization": f"Bearer {token}"}
    client = TestClient(create_app(f"sqlite:///{tmp_path / 'team.sqlite'}"))
    assert client.get("/api/audit", headers=h).status_code == 200
    assert run(app, ["users", "disable", "ann"]).exit_code == 0
    assert client.get("/api/audit", headers=h).status_code == 401
    listed = run(app, ["users", "list"]).stdout
    assert "\tann\tadmin\tdisabled " in listed
    missing = run(app, ["users", "disable", "bob"])
    assert missing.exit_code == 2 and "no user named 'bob'" in missing.output
    assert run(app, ["users", "enable", "ann"]).exit_code == 0
    assert "\tann\tadmin\tactive" in run(app, ["users", "list"]).stdout
    entries = client.get("/api/audit", headers=h).json()
    actions = [e["action"] for e in (entries["items"] if isinstance(entries, dict) else entries)]
    assert {"user.disable", "user.enable"} <= set(actions)


def test_admin_imports_a_cms_file_over_http(team, tmp_path, monkeypatch):
    _, client, admin, biller = team
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))
    csv = (ROOT / "src" / "igclaim" / "refdata" / "cms" / "snapshot" / "asp-pricing-2026q1.csv").read_bytes()
    params = {"filename": "asp-pricing-2026q1.csv"}
    assert client.post("/api/data/import/asp", content=csv, params=params, headers=biller).status_code == 403
    r = client.post("/api/data/import/asp", content=csv, params=params, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["imported"][0]["rows"] > 0
    bad = client.post("/api/data/import/asp", content=b"not,a\nreal,file\n", params=params, headers=admin)
    assert bad.status_code == 422 and bad.json()["problems"]
    assert client.post("/api/data/import/asp", content=csv, params={"filename": "../../etc/x"},
                       headers=admin).status_code == 422
    for name in (".", ".."):  # the pattern allows dots; the temporary file was then a directory (500)
        r = client.post("/api/data/import/asp", content=csv, params={"filename": name}, headers=admin)
        assert r.status_code == 422 and r.json()["problems"] == [f"filename: {name!r} is not a file name"], r.text
    assert [e["action"] for e in client.get("/api/audit", headers=admin).json()][:1] == ["data.import.asp"]



def test_an_import_over_http_lists_the_rows_it_skipped(team, tmp_path, monkeypatch):
    """The HTTP import answer's "skipped" names each row left out with file, line and column, as the CLI's
    warnings do (a crosswalk row with a 12-digit NDC among 200 good rows)."""
    from tests.test_import_safety import _crosswalk_with

    _, client, admin, _ = team
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))
    r = client.post("/api/data/import/crosswalk", content=_crosswalk_with(bad_rows=1),
                    params={"filename": "crosswalk.csv"}, headers=admin)
    assert r.status_code == 200, r.text
    [report] = r.json()["imported"]
    assert report["rows"] == 200
    assert report["skipped"] == ["crosswalk.csv: line 210, column 4: '888867413689' is not an NDC: give 11 digits, "
                                 "or 10 digits with hyphens (4-4-2, 5-3-2, 5-4-1); row skipped"]

def _built(client, headers, enc: dict) -> dict:
    r = client.post("/api/build", json=enc, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_an_admin_imports_a_contractors_coverage_list_over_http(team, tmp_path, monkeypatch):
    """Every kind the CLI imports, with its options: CGS's list (A56779) with D80.1 on it from 2026-01-01, as
    `igclaim data import coverage FILE --effective 2026-01-01`; a build through the service then no longer finds
    D80.1 not covered in Ohio (the bundled list, without it, did). The route had no `coverage` (422)."""
    from tests.test_mac_coverage import CSV_HEAD, office

    _, client, admin, biller = team
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))
    csv = (CSV_HEAD + "A56779,1,D83.9\nA56779,1,D80.1\n").encode()
    params = {"filename": "cgs.csv", "effective": "2026-01-01"}
    before = _built(client, biller, office("OH", "D80.1"))
    assert [f["severity"] for f in before["findings"] if f["edit"] == "DX-NOT-COVERED"] == ["error"]
    assert client.post("/api/data/import/coverage", content=csv, params=params, headers=biller).status_code == 403
    # without the date the importer asks for it, by the route's name of it; nothing is imported
    r = client.post("/api/data/import/coverage", content=csv, params={"filename": "cgs.csv"}, headers=admin)
    assert r.status_code == 422 and r.json()["problems"] == [
        "cgs.csv: cannot tell the date this coverage list is in force from its name: give query.effective "
        "YYYY-MM-DD (and query.ends when it has ended)"], r.text
    r = client.post("/api/data/import/coverage", content=csv, params=params, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": [{"kind": "coverage", "file": "cgs.csv", "rows": 2, "changed": True,
                                      "effective": "2026-01-01", "ends": "9999-12-31", "skipped": [],
                                      "scope": "A56779", "replaced": 0}]}
    after = _built(client, biller, office("OH", "D80.1"))
    assert "DX-NOT-COVERED" not in {f["edit"] for f in after["findings"]}
    r = client.post("/api/data/import/coverage", content=csv, params={**params, "ends": "2025-12-31"}, headers=admin)
    assert r.status_code == 422 and r.json()["problems"] == ["cgs.csv: ends 2025-12-31 is before effective 2026-01-01"]
    assert [e["action"] for e in client.get("/api/audit", headers=admin).json()][:1] == ["data.import.coverage"]


def test_an_admin_imports_the_fda_ndc_directory_over_http(team, tmp_path, monkeypatch):
    """The FDA NDC directory's package file over HTTP (the route had no `ndc_directory`): a Cuvitru container
    charted by an NDC the catalog does not know is refused before, and sized by the directory's 40 mL after."""
    from tests.helpers import encounter

    _, client, admin, biller = team
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))
    package = (ROOT / "tests" / "fixtures" / "fda" / "package-synthetic.txt").read_bytes()
    cuvitru = encounter(date_of_service="2026-03-02", drugs=[{"id": "ig1", "product": "Cuvitru", "route": "SC",
                                                              "dose": {"grams": 8},
                                                              "containers": [{"ndc": "0944-2850-09"}]}],
                        administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"}])
    assert client.post("/api/build", json=cuvitru, headers=biller).status_code == 422
    assert client.post("/api/data/import/ndc_directory", content=package, params={"filename": "package.txt"},
                       headers=biller).status_code == 403
    r = client.post("/api/data/import/ndc_directory", content=package, params={"filename": "package.txt"},
                    headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": [{"kind": "ndc_directory", "file": "package.txt", "rows": 3, "changed": True,
                                      "effective": "2025-01-01", "ends": "9999-12-31", "skipped": [], "scope": "",
                                      "replaced": 0}]}
    lines = _built(client, biller, cuvitru)["claim"]["lines"]
    assert [(ln["code"], ln["modifiers"], ln["units"]) for ln in lines if ln["code"].startswith("J")] == [
        ("J1555", ["JZ"], 80)]


def test_a_fee_schedule_imported_over_http_takes_its_name_and_dates(team, tmp_path, monkeypatch):
    """`schedule` and `effective` as the CLI's --schedule and --effective: a contract's `code,amount` file is in
    force from the date given through the end of its year, under the name given; without a name the importer
    asks for one (422)."""
    _, client, admin, _ = team
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))
    fees = b"code,amount\n96365,150.00\n96366,40.00\n96367,60.00\n"
    r = client.post("/api/data/import/fees", content=fees, headers=admin,
                    params={"filename": "acme.csv", "schedule": "acme 2026", "effective": "2026-03-01"})
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": [{"kind": "fees", "file": "acme.csv", "rows": 3, "changed": True,
                                      "effective": "2026-03-01", "ends": "2026-12-31", "skipped": [],
                                      "scope": "acme 2026", "replaced": 0}]}
    r = client.post("/api/data/import/fees", content=fees, headers=admin,
                    params={"filename": "acme.csv", "effective": "2026-03-01"})
    assert r.status_code == 422 and r.json()["problems"] == [
        "acme.csv: line 1: a 'code,amount' fee schedule needs query.schedule NAME (the locality or contract it "
        "belongs to)"], r.text
    # a file of far fewer rows for the same schedule and dates is refused, unless `force` (the CLI's --force)
    params = {"filename": "short.csv", "schedule": "acme 2026", "effective": "2026-03-01"}
    short = b"code,amount\n96365,155.00\n"
    r = client.post("/api/data/import/fees", content=short, headers=admin, params=params)
    assert r.status_code == 422 and r.json()["problems"] == [
        "short.csv: 1 rows, far fewer than the 3 of the file already imported for 2026-03-01..2026-12-31: a "
        "truncated file? Use query.force to replace it anyway"], r.text
    r = client.post("/api/data/import/fees", content=short, headers=admin, params={**params, "force": "true"})
    assert r.status_code == 200 and r.json()["imported"][0]["replaced"] == 1, r.text


@pytest.mark.parametrize(("params", "problem"), [
    ({"effective": "2026-13-01"}, "query.effective: '2026-13-01': use YYYY-MM-DD, e.g. 2026-03-02"),
    ({"effective": "1772409600"}, "query.effective: '1772409600': use YYYY-MM-DD, e.g. 2026-03-02"),
    ({"ends": "someday"}, "query.ends: 'someday': use YYYY-MM-DD, e.g. 2026-03-02"),
    ({"setting": "clinic"}, "query.setting: must be 'practitioner', 'hospital' or 'dme'"),
    ({"schedule": "../etc"}, "query.schedule: '../etc': does not have the expected form"),
    ({"schedule": "a" * 65}, "query.schedule: too long: at most 64 characters"),
    ({"force": "perhaps"}, "query.force: 'perhaps': give true or false"),
])
def test_an_import_option_over_http_is_refused_by_its_name(team, tmp_path, monkeypatch, params, problem):
    """Each option is checked before the file is read: a bad one is a 422 naming it, nothing imported."""
    _, client, admin, _ = team
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))
    r = client.post("/api/data/import/coverage", content=b"article_id,group,icd10_code\nA56779,1,D80.1\n",
                    params={"filename": "cgs.csv", **params}, headers=admin)
    assert r.status_code == 422 and r.json()["problems"] == [problem], r.text


def test_the_import_route_takes_every_kind_the_cli_imports(team):
    """One list of kinds (importers.KINDS): the route's unknown kind names them all."""
    from igclaim.refdata.importers import KINDS

    _, client, admin, _ = team
    r = client.post("/api/data/import/nope", content=b"x", headers=admin)
    assert r.status_code == 422 and r.json()["problems"] == [
        "path.kind: 'nope' is not one of hcpcs, asp, crosswalk, mue, ptp, icd10, fees, ndc_directory, coverage"]
    assert KINDS == ("hcpcs", "asp", "crosswalk", "mue", "ptp", "icd10", "fees", "ndc_directory", "coverage")


def test_an_import_while_another_writes_is_refused_not_an_error(team, tmp_path, monkeypatch):
    """Another import holding the reference store past its wait (store.ImportBusy, the CLI's one clear line) was
    a 500 over HTTP; it is a 409 saying to try again, without the server's paths, and nothing is imported."""
    import sqlite3

    from igclaim.refdata import store

    _, client, admin, _ = team
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))
    csv = b"article_id,group,icd10_code\nA56779,1,D80.1\n"
    params = {"filename": "cgs.csv", "effective": "2026-01-01"}
    assert client.post("/api/data/import/coverage", content=csv, params=params, headers=admin).status_code == 200
    monkeypatch.setattr(store, "BUSY_TIMEOUT_SECONDS", 0.1)
    writer = sqlite3.connect(store.db_path())
    writer.execute("BEGIN IMMEDIATE")  # another import, writing
    try:
        r = client.post("/api/data/import/coverage", content=csv.replace(b"D80.1", b"D83.9"), params=params,
                        headers=admin)
    finally:
        writer.rollback()
        writer.close()
    assert r.status_code == 409 and r.json()["problems"] == [
        "store: another import is still writing the reference store; nothing was imported: try again when it has "
        "finished"], r.text
    conn = sqlite3.connect(store.db_path())
    assert conn.execute("SELECT code FROM coverage").fetchall() == [("D801",)]
    conn.close()


def test_the_team_service_sits_behind_the_same_guard(team):
    """Host allow-list, security headers (the page's CSP allows only its own inline blocks), the API's problem
    shape for FastAPI's 422, and a bounded path id (no database overflow)."""
    _, client, _, biller = team
    assert client.get("/api/health", headers={"Host": "evil.example"}).status_code == 400
    page = client.get("/team")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "'sha256-" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    r = client.get("/api/authorizations/9223372036854775808", headers=biller)
    assert r.status_code == 422 and r.json()["problems"]
    r = client.post("/api/authorizations", json={"number": "x"}, headers=biller)
    assert r.status_code == 422 and all(isinstance(p, str) for p in r.json()["problems"])
    # A code in full-width digits would be stored and never match a claim's J1561: refused naming the field.
    r = client.post("/api/authorizations", headers=biller, json={
        "number": "PA-1", "payer": "Acme", "member_id": "M1", "hcpcs": "J１５６１", "start": "2026-01-01",
        "end": "2026-06-30"})
    assert r.status_code == 422 and any("hcpcs" in p for p in r.json()["problems"]), r.text


def _dated_visit(encounter_id: str, day: str, payer: dict, member_id: str) -> dict:
    enc = copy.deepcopy(OFFICE)
    enc.update(encounter_id=encounter_id, date_of_service=day, payer=payer)
    enc["subscriber"] = {**enc["subscriber"], "member_id": member_id}
    enc["administrations"] = [{**enc["administrations"][0], "start": f"{day}T09:00", "stop": f"{day}T14:00"}]
    return enc


@pytest.mark.parametrize(("payer", "day", "lead"), [
    ({"type": "medicare_advantage", "name": "Acme Advantage", "payer_id": "MA001"}, "2025-12-01", 14),
    ({"type": "medicare_advantage", "name": "Acme Advantage", "payer_id": "MA001"}, "2026-03-02", 7),  # CMS-0057-F
    ({"type": "commercial", "name": "Acme Health", "payer_id": "CO001"}, "2026-03-02", 15),  # ERISA pre-service
])
def test_auth_expiring_reads_the_payers_dated_renewal_lead_time(tmp_path, payer, day, lead):
    """AUTH-EXPIRING warns when fewer days remain than the plan may take to decide a renewal (the profile's
    dated authorization_renewal_days): one day inside the lead time warns, the lead time itself does not."""
    from datetime import date, timedelta

    url = f"sqlite:///{tmp_path / 'team.sqlite'}"
    client = TestClient(create_app(url))
    biller = {"Authorization": f"Bearer {_user(url, 'bo', 'biller')}"}
    dos = date.fromisoformat(day)
    for days_left, warned in ((lead - 1, True), (lead, False)):
        member = f"M{days_left:03d}"
        r = client.post("/api/authorizations", headers=biller, json={
            "number": f"PA-{days_left}", "payer": payer["name"], "member_id": member, "hcpcs": "J1561",
            "units": 10_000, "start": (dos - timedelta(days=30)).isoformat(),
            "end": (dos + timedelta(days=days_left)).isoformat()})
        assert r.status_code == 201, r.text
        enc_id = f"lead-{days_left}"
        assert client.post("/api/encounters", json=_dated_visit(enc_id, day, payer, member),
                           headers=biller).status_code == 200
        findings = client.get(f"/api/encounters/{enc_id}", headers=biller).json()["result"]["findings"]
        expiring = [f["message"] for f in findings if f["edit"] == "AUTH-EXPIRING"]
        assert bool(expiring) is warned, (days_left, expiring)
        if warned:
            assert f"{days_left} days after this visit (fewer than the {lead} days" in expiring[0]


def test_every_bundled_payer_profile_dates_its_renewal_lead_time():
    from datetime import date

    from igclaim.refdata.resolver import reference
    from igclaim.service.ledger import RENEWAL_DAYS

    for name, profile in reference().profiles.items():
        param = profile.parameters[RENEWAL_DAYS]
        assert param.source.startswith("https://"), name
        assert all(isinstance(v, int) and 0 < v <= 60 for _, v in param.values), name
        assert profile.get(RENEWAL_DAYS, date(2000, 1, 1)) > 0


def test_a_token_costs_one_scrypt_per_process_and_revocation_still_counts_at_once(tmp_path, monkeypatch):
    """A burst of requests on a new token runs scrypt once (the others wait for that proof); a wrong secret with a
    known id is still refused, and a revocation written by another process counts on the next check."""
    from concurrent.futures import ThreadPoolExecutor

    from igclaim.service.db import engine_for

    url = f"sqlite:///{tmp_path / 'team.sqlite'}"
    token = _user(url, "bo", "biller")
    calls = []
    real = auth._hash
    monkeypatch.setattr(auth, "_hash", lambda secret, salt: calls.append(1) or real(secret, salt))
    verifier = auth.Verifier()

    def check(tok):
        with engine_for(url).connect() as conn:
            return verifier.check(conn, tok)

    with ThreadPoolExecutor(8) as pool:
        who = list(pool.map(check, [token] * 16))
    assert {w.name for w in who} == {"bo"} and len(calls) == 1
    with pytest.raises(auth.AuthError):
        check(token[:-4] + "AAAA")  # same id, another secret: scrypt again, refused
    with sessions(url)() as db, db.begin():
        auth.revoke_token(db, who[0].token_id)
    with pytest.raises(auth.AuthError):
        check(token)


def _segments(x12_text: str, tag: str) -> list[list[str]]:
    return [seg.split("*") for seg in x12_text.replace("\n", "").split("~") if seg.split("*")[0] == tag]


def test_export_uses_the_teams_charge_master_not_the_sample(team):
    """The 837 carries the practice's own charges (units × its unit charge per code), not the synthetic sample; the
    sample only when asked for; no charge master at all is a 422 that says what to do."""
    from decimal import Decimal

    from igclaim.outputs import chargemaster

    _, client, admin, biller = team
    client.post("/api/encounters", json=visit(1), headers=biller)
    r = client.post("/api/export", params={"kind": "837P"}, headers=biller)
    assert r.status_code == 422 and "no charge master" in r.json()["problems"][0]
    bad = client.put("/api/chargemaster", json={"csv": "code,unit_charge\nJ1561,abc\n"}, headers=biller)
    assert bad.status_code == 422 and "not a number" in bad.json()["problems"][0]
    assert client.put("/api/chargemaster", json={"csv": "code,unit_charge\nJ1561;DROP,1\n"},
                      headers=biller).status_code == 422
    ours = {"J1561": Decimal("123.45"), "96365": Decimal("310.00"), "96366": Decimal("95.50")}
    csv = "code,unit_charge\n" + "".join(f"{c},{v}\n" for c, v in ours.items())
    saved = client.put("/api/chargemaster", json={"csv": csv}, headers=biller)
    assert saved.status_code == 200, saved.text
    assert {c["code"]: Decimal(c["unit_charge"]) for c in saved.json()["charges"]} == ours
    assert client.get("/api/chargemaster", headers=biller).json()["codes"] == 3
    out = client.post("/api/export", params={"kind": "837P"}, headers=biller).json()
    assert out["exported"] == ["v001"] and out["charges"] == "the team's charge master"
    assert pyx12_check(out["interchange"]) == []
    lines = client.get("/api/encounters/v001", headers=biller).json()["result"]["claim"]["lines"]
    want = [ours[ln["code"]] * ln["units"] for ln in lines]
    sv1 = [Decimal(s[2]) for s in _segments(out["interchange"], "SV1")]
    assert sv1 == want and Decimal(_segments(out["interchange"], "CLM")[0][2]) == sum(want)
    sample = chargemaster.load("sample")
    assert sv1 != [sample.unit_charge(ln["code"]) * ln["units"] for ln in lines]  # not the sample's amounts
    log = client.get("/api/audit", headers=admin).json()
    assert "chargemaster.update" in [e["action"] for e in log]


def test_the_charge_master_takes_a_code_as_an_input_drug_code_does(team):
    """A charge master's code is refused or taken as the input model's HCPCS code (`model.HCPCS_CODE`: five ASCII
    letters and digits, either case, read upper case). str.upper() maps some other letters to ASCII ones, so the
    check after it took 'ſ1561' and stored a charge for S1561, and the ligature 'ﬀ' made a 4-character code five."""
    _, client, _, biller = team
    for code in ("ſ1561", "J15ﬀ", "ı1561"):
        bad = client.put("/api/chargemaster", json={"csv": f"code,unit_charge\n{code},1\n"}, headers=biller)
        assert bad.status_code == 422 and "is not a 5-character HCPCS/CPT code" in bad.json()["problems"][0], code
    saved = client.put("/api/chargemaster", json={"csv": "code,unit_charge\nj1561,1\n"}, headers=biller)
    assert saved.status_code == 200 and [c["code"] for c in saved.json()["charges"]] == ["J1561"]


def test_export_with_the_sample_only_when_asked(team):
    from decimal import Decimal

    from igclaim.outputs import chargemaster

    _, client, _, biller = team
    client.put("/api/chargemaster", json={"csv": "code,unit_charge\nJ1561,1\n96365,1\n96366,1\n"}, headers=biller)
    client.post("/api/encounters", json=visit(2), headers=biller)
    out = client.post("/api/export", params={"kind": "837P", "charges": "sample"}, headers=biller).json()
    sample = chargemaster.load("sample")
    lines = client.get("/api/encounters/v002", headers=biller).json()["result"]["claim"]["lines"]
    assert [Decimal(s[2]) for s in _segments(out["interchange"], "SV1")] == [
        sample.unit_charge(ln["code"]) * ln["units"] for ln in lines]
    assert client.post("/api/export", params={"charges": "/etc/passwd"}, headers=biller).status_code == 422


def test_a_revocation_reaches_every_process_on_postgresql_at_once():
    """On PostgreSQL a process trusts a token it checked for a few seconds (auth.CACHE_SECONDS) only while it hears
    revocations (NOTIFY): a token revoked through another process, or by `igclaim tokens revoke` (a session of its
    own), or whose user is disabled (`igclaim users disable`), is refused there well before that cache would have
    expired."""
    import time

    if not PG:
        pytest.skip("no PostgreSQL here (scripts/postgres-test.sh)")
    url = _postgres_db()
    admin = {"Authorization": f"Bearer {_user(url, 'ada', 'admin')}"}
    a, b = TestClient(create_app(url)), TestClient(create_app(url))
    for revoke in ("api", "command", "disable"):
        token = _user(url, f"bo-{revoke}", "biller")
        h = {"Authorization": f"Bearer {token}"}
        time.sleep(1.5)  # B's listener is connected by now
        assert [b.get("/api/encounters", headers=h).status_code for _ in range(3)] == [200] * 3  # B trusts it now
        if revoke == "api":
            assert a.delete(f"/api/tokens/{token.split('_')[1]}", headers=admin).status_code == 200
        elif revoke == "command":
            with sessions(url)() as db, db.begin():
                auth.revoke_token(db, token.split("_")[1])
        else:  # `igclaim users disable`: every cached token is forgotten
            with sessions(url)() as db, db.begin():
                auth.set_disabled(db, f"bo-{revoke}", True)
        start = time.monotonic()
        while b.get("/api/encounters", headers=h).status_code == 200:
            assert time.monotonic() - start < auth.CACHE_SECONDS / 2, revoke
            time.sleep(0.02)


def test_on_postgresql_posts_are_coded_by_a_process_of_their_own_which_is_replaced_if_it_dies():
    """With PostgreSQL a post is coded and stored by a coding process (coders.py), not under the server's GIL. It
    is started with the app, answers as a server thread would (versions, idempotency), a killed one is replaced
    and the post sent again without a second version, and it ends with the app."""
    import signal
    import time

    if not PG:
        pytest.skip("no PostgreSQL here (scripts/postgres-test.sh)")
    url = _postgres_db()
    h = {"Authorization": f"Bearer {_user(url, 'bo', 'biller')}"}
    app = create_app(url, coders=1)
    with TestClient(app) as client:  # the lifespan starts the coding process before the first request
        coders = app.state.coders
        first = coders.pids()
        assert len(first) == 1 and os.getpid() not in first
        r = client.post("/api/encounters", json=visit(1), headers=h)
        assert r.status_code == 200 and (r.json()[0]["version"], r.json()[0]["created"]) == (1, True)
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{first[0]}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        r = client.post("/api/encounters", json=visit(2), headers=h)
        assert r.status_code == 200 and (r.json()[0]["version"], r.json()[0]["created"]) == (1, True)
        again = client.post("/api/encounters", json=visit(2), headers=h).json()[0]
        assert (again["version"], again["created"]) == (1, False)
        assert coders.pids() and coders.pids() != first
        detail = client.get("/api/encounters/v002", headers=h).json()
        assert [v["version"] for v in detail["versions"]] == [1] and detail["result"]["findings"] is not None
        assert client.get("/api/encounters", headers=h).json()["items"][1]["encounter_id"] == "v002"
    assert coders.pids() == []  # ended with the app
    assert create_app(url, coders=0).state.coders is None  # 0: coded by threads in the server, as with SQLite


def test_the_charge_master_names_every_row_refused_at_once(team):
    """PUT /api/chargemaster stopped at the first row the CSV reader refused (a charge that is no number, a code
    twice): the next row's problem came on the next try."""
    _, client, _, biller = team
    r = client.put("/api/chargemaster", headers=biller,
                   json={"csv": "code,unit_charge\nJ1561,abc\n96365,1\n96365,2\n96366,0.001\nſ1561,1\n"})
    assert r.status_code == 422 and r.json()["problems"] == [
        "csv (data row 1): unit_charge 'abc' for J1561 is not a number",
        "csv (data row 3): 96365 appears twice",
        "csv (data row 4): unit_charge 0.001 for 96366 has more than 2 decimals; a charge is in cents",
        "csv (data row 5): 'ſ1561' is not a 5-character HCPCS/CPT code"], r.text


def test_the_charge_master_names_the_row_of_a_code_that_is_no_hcpcs_code(team):
    """The code's shape is checked where the CSV is read (chargemaster.read), for the team as for `--charges FILE`:
    the problem names its data row, as written, in the rows' order."""
    _, client, _, biller = team
    r = client.put("/api/chargemaster", headers=biller,
                   json={"csv": "code,unit_charge\nJ15 61,1\n96365,abc\n<script>,1\n96366,1\n"})
    assert r.status_code == 422 and r.json()["problems"] == [
        "csv (data row 1): 'J15 61' is not a 5-character HCPCS/CPT code",
        "csv (data row 2): unit_charge 'abc' for 96365 is not a number",
        "csv (data row 3): '<script>' is not a 5-character HCPCS/CPT code"], r.text
    assert client.get("/api/chargemaster", headers=biller).json()["codes"] == 0  # nothing stored


def test_an_mue_table_imported_over_http_takes_the_setting_given(team, tmp_path, monkeypatch):
    """`setting` as the CLI's --setting: it names the MUE table a file is for, over what its header says (a
    practitioner file stored as the hospital's table when the admin says so; without it, the header's)."""
    _, client, admin, _ = team
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))
    mue = (ROOT / "tests" / "fixtures" / "cms" / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv"
           ).read_bytes()
    r = client.post("/api/data/import/mue", content=mue, headers=admin,
                    params={"filename": "MCR_MUE_Eff_04-01-2026.csv", "setting": "hospital"})
    assert r.status_code == 200 and [i["scope"] for i in r.json()["imported"]] == ["hospital"], r.text
    r = client.post("/api/data/import/mue", content=mue, headers=admin,
                    params={"filename": "MCR_MUE_Eff_04-01-2026.csv"})
    assert r.status_code == 200 and [i["scope"] for i in r.json()["imported"]] == ["practitioner"], r.text
