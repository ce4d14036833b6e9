"""The seventh audit of the team service: a claim sent twice as an original, payer profiles read from the server's
files over HTTP, an authorization overdrawn by one export, authorizations for unknown products, a malformed single
body answered as JSON Lines, an export's limit applied before its form, and member ids in the access log."""

from __future__ import annotations

import json

from tests import test_service
from tests.test_service import ROOT, _segments, visit

team, url = test_service.team, test_service.url  # the team service's fixtures (a team app on SQLite or PostgreSQL)

SAMPLE = {"kind": "837P", "charges": "sample"}


def _frequencies(interchange: str) -> list[str]:
    """Each claim's frequency (CLM05-3: 1 original, 7 replacement, 8 void), in the order sent."""
    return [clm[5].split(":")[2] for clm in _segments(interchange, "CLM")]


def test_a_claim_that_went_out_is_not_sent_again_as_an_original(team):
    """A changed version of an exported (or paid, or denied) claim went back to ready and the next export sent it
    again as an original claim (CLM05-3 1): the payer saw the same visit twice. It is now refused with 409 naming
    the status and `correction`; a version that carries a correction is accepted and goes out as a replacement."""
    _, client, _, biller = team
    assert client.post("/api/encounters", json=visit(1), headers=biller).json()[0]["status"] == "ready"
    out = client.post("/api/export", params=SAMPLE, headers=biller).json()
    assert out["exported"] == ["v001"] and _frequencies(out["interchange"]) == ["1"]

    changed = visit(1, diagnoses=["D80.1"])
    r = client.post("/api/encounters", json=changed, headers=biller)
    assert r.status_code == 409, r.text
    assert r.json()["problems"][0].startswith("correction: v001 was exported")
    assert "frequency 7" in r.json()["problems"][0] and "original_claim_id" in r.json()["problems"][0]
    # the same in JSON Lines: that line answers with the problem, the others are stored
    lines = "\n".join(json.dumps(b) for b in (changed, visit(2)))
    rows = client.post("/api/encounters", content=lines,
                       headers={**biller, "Content-Type": "application/x-ndjson"}).json()
    assert [bool(row["problems"]) for row in rows] == [True, False]
    detail = client.get("/api/encounters/v001", headers=biller).json()
    assert detail["claim"]["status"] == "exported" and [v["version"] for v in detail["versions"]] == [1]
    assert detail["encounter"]["diagnoses"] == visit(1)["diagnoses"]
    # the same body again is still no new version and no error
    assert client.post("/api/encounters", json=visit(1), headers=biller).json()[0]["status"] == "exported"

    assert client.post("/api/encounters/v001/status", json={"status": "paid"}, headers=biller).status_code == 200
    r = client.post("/api/encounters", json=changed, headers=biller)
    assert r.status_code == 409 and r.json()["problems"][0].startswith("correction: v001 was paid")

    fixed = visit(1, diagnoses=["D80.1"], correction={"frequency": "7", "original_claim_id": "ICN-555"})
    r = client.post("/api/encounters", json=fixed, headers=biller)
    assert r.status_code == 200 and r.json()[0]["status"] == "ready" and r.json()[0]["version"] == 2, r.text
    out = client.post("/api/export", params=SAMPLE, headers=biller).json()
    assert out["exported"] == ["v001", "v002"]
    assert _frequencies(out["interchange"]) == ["7", "1"]
    assert [s[2] for s in _segments(out["interchange"], "REF") if s[1] == "F8"] == ["ICN-555"]


def test_a_denied_claim_changed_needs_a_correction_too(team):
    _, client, _, biller = team
    client.post("/api/encounters", json=visit(3), headers=biller)
    client.post("/api/export", params=SAMPLE, headers=biller)
    assert client.post("/api/encounters/v003/status", json={"status": "denied"}, headers=biller).status_code == 200
    r = client.post("/api/encounters", json=visit(3, diagnoses=["D80.1"]), headers=biller)
    assert r.status_code == 409 and r.json()["problems"][0].startswith("correction: v003 was denied")


def test_a_payer_profile_path_is_not_opened_over_http(team, tmp_path):
    """/api/build refused a payer.profile that is a path, but /api/export/{to} and the worklist's POST
    /api/encounters opened the .toml the client named (a copy of a bundled profile was used), and their answers told
    which paths exist ("is a directory" against "does not exist"). Every route now answers the same 422 naming
    payer.profile, whatever is on the disk."""
    _, client, _, biller = team
    mine = tmp_path / "mine.toml"
    mine.write_bytes((ROOT / "src" / "igclaim" / "refdata" / "payers" / "medicare-part-b.toml").read_bytes())
    for path in (str(mine), str(tmp_path), str(tmp_path / "none.toml"), "/root"):
        enc = visit(4)
        enc["payer"] = {**enc["payer"], "profile": path}
        answers = [client.post("/api/export/837p", json=enc, headers=biller),
                   client.post("/api/encounters", json=enc, headers=biller),
                   client.post("/api/build", json=enc, headers=biller)]
        for r in answers:
            assert r.status_code == 422, (path, r.request.url, r.text)
            [problem] = r.json()["problems"]
            assert problem.startswith("payer.profile: unknown payer profile") and problem.endswith(
                "(files are not read over HTTP)"), problem
            assert "directory" not in problem and "exist" not in problem
        assert len({r.json()["problems"][0] for r in answers}) == 1
    assert client.get("/api/encounters", headers=biller).json()["items"] == []
    enc = visit(4)
    enc["payer"] = {**enc["payer"], "profile": "medicare-part-b"}  # a bundled profile by name still works
    assert client.post("/api/encounters", json=enc, headers=biller).json()[0]["status"] == "ready"
    assert client.post("/api/export/837p", json=enc, headers=biller).status_code == 200


def _authorize(client, biller, units: int, **changes) -> int:
    body = {"number": "PA-100", "payer": "Medicare Part B", "member_id": visit(1)["subscriber"]["member_id"],
            "hcpcs": "J1561", "units": units, "start": "2026-03-01", "end": "2026-06-30", **changes}
    r = client.post("/api/authorizations", json=body, headers=biller)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_an_export_never_overdraws_an_authorization(team):
    """Two claims each within an authorization's 100 units when posted (60 each) were both exported, leaving -20.
    The export now checks the ledger again as it goes, in worklist order: the second stays ready and is listed
    with AUTH-EXHAUSTED; a claim of another member goes out; a replacement of the first is not held back by its own
    earlier use."""
    _, client, _, biller = team
    auth_id = _authorize(client, biller, 100)
    other = visit(3)
    other["subscriber"] = {**other["subscriber"], "member_id": "OTHER-1"}
    for enc in (visit(1), visit(2), other):
        assert client.post("/api/encounters", json=enc, headers=biller).json()[0]["status"] == "ready"
    out = client.post("/api/export", params=SAMPLE, headers=biller).json()
    assert out["exported"] == ["v001", "v003"]
    [held] = out["skipped"]
    assert held["encounter_id"] == "v002"
    assert held["problems"] == [f"v002: AUTH-EXHAUSTED: authorization PA-100 (ledger #{auth_id}) would be exceeded "
                                "by this claim: 60 units needed, 40 left; it stays ready"]
    assert client.get("/api/encounters/v002", headers=biller).json()["claim"]["status"] == "ready"
    got = client.get(f"/api/authorizations/{auth_id}", headers=biller).json()
    assert got["remaining"]["units"] == 40 and [h["encounter_id"] for h in got["history"]] == ["v001"]

    fixed = visit(1, correction={"frequency": "7", "original_claim_id": "ICN-1"})
    assert client.post("/api/encounters", json=fixed, headers=biller).json()[0]["status"] == "ready"
    out = client.post("/api/export", params=SAMPLE, headers=biller).json()
    assert out["exported"] == ["v001"] and [s["encounter_id"] for s in out["skipped"]] == ["v002"]
    got = client.get(f"/api/authorizations/{auth_id}", headers=biller).json()
    assert got["remaining"]["units"] == 40 and [h["version"] for h in got["history"]] == [2]


def test_an_export_checks_grams_and_visits_too(team):
    """Two authorizations in force for the code: each claim is charged to one (the older first, then the one
    that can still hold it; test_team_audit9), and a claim neither can hold stays ready naming both."""
    _, client, _, biller = team
    visits = _authorize(client, biller, 1000, visits=1)
    grams = _authorize(client, biller, 1000, number="PA-G", grams=50)
    for n in (1, 2, 3):
        client.post("/api/encounters", json=visit(n), headers=biller)
    out = client.post("/api/export", params=SAMPLE, headers=biller).json()
    assert out["exported"] == ["v001", "v002"]
    assert out["skipped"][0]["problems"] == [
        f"v003: AUTH-EXHAUSTED: none of the 2 authorizations in force for J1561 can hold this claim: PA-100 (ledger "
        f"#{visits}): 1 visits needed, 0 left; PA-G (ledger #{grams}): 30 grams needed, 20 left; it stays ready"]
    assert client.get(f"/api/authorizations/{grams}", headers=biller).json()["remaining"]["grams"] == 20


def test_an_authorization_names_a_known_product(team):
    """An authorization for a product igclaim does not know ("Gamunex-Z") was stored (201) and never matched a
    claim, so the ledger silently tracked nothing. It is refused naming `product`, with the closest known name."""
    _, client, _, biller = team
    body = {"number": "PA-P", "payer": "Medicare Part B", "member_id": visit(1)["subscriber"]["member_id"],
            "units": 100, "start": "2026-03-01", "end": "2026-06-30"}
    r = client.post("/api/authorizations", json={**body, "product": "Gamunex-Z"}, headers=biller)
    assert r.status_code == 422, r.text
    assert r.json()["problems"] == ["product: unknown product 'Gamunex-Z' (did you mean Gamunex-C?); GET "
                                    "/api/products lists them (or give hcpcs)"]
    assert client.get("/api/authorizations", headers=biller).json() == []
    r = client.post("/api/authorizations", json={**body, "product": "gamunex-c"}, headers=biller)
    assert r.status_code == 201, r.text  # names are matched as claims match them: case aside
    client.post("/api/encounters", json=visit(1), headers=biller)
    client.post("/api/export", params=SAMPLE, headers=biller)
    assert client.get(f"/api/authorizations/{r.json()['id']}", headers=biller).json()["remaining"]["units"] == 40


def _malformed() -> dict[str, str]:
    one = json.dumps(visit(5))
    return {"NaN": one.replace('"grams": 30', '"grams": NaN', 1),
            "a key twice": one.replace('"diagnoses": [', '"diagnoses": ["G61.81"], "diagnoses": [', 1),
            "a 5,000-digit integer": one.replace('"grams": 30', '"grams": ' + "9" * 5000, 1)}


def test_a_single_body_that_is_not_json_answers_422(team):
    """One encounter whose JSON is malformed (NaN, a key written twice, an integer of 5,000 digits) was read again
    as JSON Lines and answered 200 with a problem on "line 1". A body of one document answers 422 naming the body,
    as every other single-body problem does; so does a pretty-printed document (no line of it is an encounter)."""
    _, client, _, biller = team
    expected = {"NaN": "NaN is not a number",
                "a key twice": "the key 'diagnoses' appears twice in one object (JSON would keep only the last value)",
                "a 5,000-digit integer": "Exceeds the limit (4300 digits) for integer string conversion"}
    for what, body in _malformed().items():
        for kind in ("application/json", "application/x-ndjson"):
            r = client.post("/api/encounters", content=body, headers={**biller, "Content-Type": kind})
            assert r.status_code == 422, (what, kind, r.text)
            assert r.json() == {"problems": [f"body: not valid JSON ({expected[what]})"]}, what
    pretty = json.dumps(visit(5), indent=2).replace('"grams": 30', '"grams": NaN', 1)
    r = client.post("/api/encounters", content=pretty, headers={**biller, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 422 and r.json() == {"problems": ["body: not valid JSON (NaN is not a number)"]}, r.text
    broken = json.dumps(visit(5), indent=2).replace('"diagnoses"', '"diagnoses" "', 1)
    r = client.post("/api/encounters", content=broken, headers=biller)
    assert r.status_code == 422 and r.json()["problems"][0].startswith("body: not valid JSON (Expecting ':' "
                                                                       "delimiter, line "), r.text
    assert client.get("/api/encounters", headers=biller).json()["items"] == []
    # JSON Lines keep answering line by line: the malformed line its problem, the others stored
    lines = "\n".join([_malformed()["NaN"], json.dumps(visit(6))])
    r = client.post("/api/encounters", content=lines, headers={**biller, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200 and [(row["line"], bool(row["problems"])) for row in r.json()] == [
        (1, True), (2, False)]


def test_an_export_limits_the_claims_of_its_own_form(team):
    """`limit` took the first ready claims of any form and only then kept those of the asked form: with an office
    claim first, POST /api/export?kind=837I&limit=1 exported nothing. The form is chosen first, then the limit."""
    _, client, _, biller = team
    hospital = json.loads((ROOT / "examples" / "parties" / "hospital-gamunex.json").read_text())
    hospital["encounter_id"] = "w001"  # after the office claims in worklist order
    for enc in (visit(1), visit(2), hospital):
        assert client.post("/api/encounters", json=enc, headers=biller).json()[0]["status"] == "ready"
    out = client.post("/api/export", params={**SAMPLE, "kind": "837I", "limit": 1}, headers=biller).json()
    assert out["exported"] == ["w001"] and out["skipped"] == [], out
    out = client.post("/api/export", params={**SAMPLE, "limit": 1}, headers=biller).json()
    assert out["exported"] == ["v001"]
    assert [c["encounter_id"] for c in client.get("/api/encounters", params={"status": "ready"},
                                                  headers=biller).json()["items"]] == ["v002"]


def test_a_member_id_is_never_sent_in_a_url(team):
    """GET /api/authorizations?member_id=… put a member id in the URL, and so in the server's access log (the team
    page built that URL). Authorizations are found by POST /api/authorizations/search (the id in the body); the GET
    still lists without it and refuses it (422 naming member_id) rather than ignore the filter."""
    _, client, _, biller = team
    mine = visit(1)["subscriber"]["member_id"]
    _authorize(client, biller, 100)
    _authorize(client, biller, 50, member_id="OTHER-1")
    r = client.post("/api/authorizations/search", json={"member_id": mine}, headers=biller)
    assert r.status_code == 200 and [a["member_id"] for a in r.json()] == [mine], r.text
    r = client.post("/api/authorizations/search", json={}, headers=biller)
    assert [a["member_id"] for a in r.json()] == [mine, "OTHER-1"]
    assert len(client.post("/api/authorizations/search", json={"limit": 1}, headers=biller).json()) == 1
    r = client.post("/api/authorizations/search", json={"member": mine}, headers=biller)
    assert r.status_code == 422 and r.json()["problems"][0].startswith("member: unknown field"), r.text
    assert len(client.get("/api/authorizations", headers=biller).json()) == 2
    r = client.get("/api/authorizations", params={"member_id": mine}, headers=biller)
    assert r.status_code == 422 and r.json()["problems"][0].startswith("member_id: not taken in a URL"), r.text
    assert mine not in r.text
    page = client.get("/team").text
    assert 'call("POST", "/api/authorizations/search", JSON.stringify(find))' in page
    assert '"/api/authorizations?"' not in page and 'q.set("member_id"' not in page
