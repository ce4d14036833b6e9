"""The tenth audit of the team service and the 837 export: one interchange carried the claims of several payers
addressed to the first claim's payer (a claim sent to the wrong payer, its patient's data with it)."""

from __future__ import annotations

import json

import pytest

from igclaim.errors import InputError
from igclaim.inputs import parse_encounter
from igclaim.outputs import chargemaster, x12
from tests import test_service
from tests.conftest import run_cli
from tests.test_browser import CHROMEDRIVER, CHROMIUM, browser  # noqa: F401 - the shared fixture
from tests.test_service import visit
from tests.test_service_browser import _sign_in, _submit, _wait, team_server  # noqa: F401 - a fixture
from tests.test_team_audit7 import SAMPLE
from tests.test_x12 import CREATED, PARTIES, pyx12_check, segments

team, url = test_service.team, test_service.url  # the team service's fixtures (a team app on SQLite or PostgreSQL)

AETNA = {"type": "commercial", "name": "Aetna", "payer_id": "60054",
         "prior_authorization": {"number": "PA-1", "start": "2026-01-01", "end": "2026-12-31", "units": 480}}


def _receivers(interchange: str) -> tuple[str, str, str, set[str]]:
    """ISA08, GS03 and the 1000B receiver's id (NM1*40), and every claim's payer id (NM1*PR)."""
    segs = [s.split("*") for s in segments(interchange)]
    isa = next(s for s in segs if s[0] == "ISA")
    gs = next(s for s in segs if s[0] == "GS")
    nm1_40 = next(s for s in segs if s[:2] == ["NM1", "40"])
    return isa[8].strip(), gs[3], nm1_40[9], {s[9] for s in segs if s[:2] == ["NM1", "PR"]}


def _post(client, headers, *encounters) -> None:
    for enc in encounters:
        r = client.post("/api/encounters", json=enc, headers=headers)
        assert r.status_code == 200 and r.json()[0]["status"] == "ready", r.text


# ------------------------------------------------------------------------------------ one payer an interchange


def test_the_writer_refuses_claims_of_two_payers_without_a_receiver():
    """to_837 of a Medicare claim and a commercial one wrote ISA08 and NM1*40 of the first (00952): the commercial
    claim went to Medicare. It is refused, naming both payers and --receiver-id; with a receiver id (a clearinghouse)
    both go in one interchange addressed to it."""
    encs = [parse_encounter(json.loads(x)) for x in (PARTIES / "office-batch.jsonl").read_text().splitlines()]
    charges = chargemaster.load("sample")
    with pytest.raises(InputError) as exc:
        x12.to_837(encs, charges, envelope=x12.Envelope(created=CREATED))
    assert exc.value.path == "[2] payer.payer_id"
    assert "00952 (MEDICARE PART B)" in exc.value.message and "EXHP1 (EXAMPLE HEALTH PLAN)" in exc.value.message
    assert "--receiver-id" in exc.value.message

    text = x12.to_837(encs, charges, envelope=x12.Envelope(created=CREATED, receiver_id="CLEARH1"))
    assert pyx12_check(text) == []
    isa08, gs03, receiver, payers = _receivers(text)
    assert (isa08, gs03, receiver) == ("CLEARH1", "CLEARH1", "CLEARH1") and payers == {"00952", "EXHP1"}
    # One payer's claims need no option: the interchange goes to that payer.
    isa08, _, receiver, payers = _receivers(x12.to_837(encs[:2], charges, envelope=x12.Envelope(created=CREATED)))
    assert (isa08, receiver, payers) == ("00952", "00952", {"00952"})


def test_the_cli_refuses_a_file_of_two_payers_without_receiver_id(tmp_path):
    out = tmp_path / "out.837"
    r = run_cli("export", str(PARTIES / "office-batch.jsonl"), "--to", "837p", "--charges", "sample", "--out",
                str(out))
    assert r.returncode == 2 and not out.exists()
    assert "line 3: payer.payer_id: the claims go to 2 payers" in r.stderr and "--receiver-id" in r.stderr
    assert "Traceback" not in r.stderr
    r = run_cli("export", str(PARTIES / "office-batch.jsonl"), "--to", "837p", "--charges", "sample",
                "--receiver-id", "CLEARH1")
    assert r.returncode == 0, r.stderr
    assert _receivers(r.stdout)[:3] == ("CLEARH1", "CLEARH1", "CLEARH1") and r.stdout.count("CLM*") == 3


def test_the_team_export_sends_each_payer_its_own_interchange(team):
    """POST /api/export of a Medicare claim and a commercial one (60054) wrote one interchange addressed to the
    first claim's payer carrying both. An export now carries one payer's claims; the other's stay ready, named,
    and the next export sends them to their own payer."""
    _, client, _, biller = team
    _post(client, biller, visit(1), visit(2, payer=AETNA), visit(3))
    first = client.post("/api/export", params=SAMPLE, headers=biller).json()
    assert first["exported"] == ["v001", "v003"] and first["receiver_id"] == "00952"
    assert _receivers(first["interchange"]) == ("00952", "00952", "00952", {"00952"})
    assert pyx12_check(first["interchange"]) == []
    [(skipped, problem)] = [(s["encounter_id"], s["problems"][0]) for s in first["skipped"]]
    assert skipped == "v002" and "another payer (Aetna, payer id 60054)" in problem and "payer=Aetna" in problem
    assert client.get("/api/encounters/v002", headers=biller).json()["claim"]["status"] == "ready"

    second = client.post("/api/export", params=SAMPLE, headers=biller).json()
    assert second["exported"] == ["v002"] and second["skipped"] == []
    assert _receivers(second["interchange"]) == ("60054", "60054", "60054", {"60054"})
    assert pyx12_check(second["interchange"]) == []


def test_the_payer_filter_picks_the_payer_of_the_export(team):
    _, client, _, biller = team
    _post(client, biller, visit(1), visit(2, payer=AETNA))
    out = client.post("/api/export", params={**SAMPLE, "payer": "Aetna"}, headers=biller).json()
    assert out["exported"] == ["v002"] and out["skipped"] == []
    assert _receivers(out["interchange"])[:3] == ("60054", "60054", "60054")


def test_a_clearinghouse_receives_every_payers_claims_in_one_interchange(team):
    _, client, _, biller = team
    _post(client, biller, visit(1), visit(2, payer=AETNA))
    params = {**SAMPLE, "receiver_id": "CLEARH1", "receiver_name": "Claims Clearing House"}
    out = client.post("/api/export", params=params, headers=biller).json()
    assert out["exported"] == ["v001", "v002"] and out["skipped"] == [] and out["receiver_id"] == "CLEARH1"
    isa08, gs03, receiver, payers = _receivers(out["interchange"])
    assert (isa08, gs03, receiver, payers) == ("CLEARH1", "CLEARH1", "CLEARH1", {"00952", "60054"})
    assert "NM1*40*2*CLAIMS CLEARING HOUSE*****46*CLEARH1~" in out["interchange"]
    assert pyx12_check(out["interchange"]) == []


@pytest.mark.parametrize("params,problem", [
    ({"receiver_id": "A~B"}, "receiver_id: holds '~'"),
    ({"receiver_id": "X"}, "receiver_id"),
    ({"receiver_id": "R" * 16}, "receiver_id"),
    ({"receiver_id": "CLEARH1", "receiver_name": "A*B"}, "receiver_name: holds '*'"),
])
def test_the_receiver_options_are_checked_as_the_clis(team, params, problem):
    _, client, _, biller = team
    _post(client, biller, visit(1))
    r = client.post("/api/export", params={**SAMPLE, **params}, headers=biller)
    assert r.status_code == 422 and problem in "; ".join(r.json()["problems"]), r.text
    assert client.get("/api/encounters/v001", headers=biller).json()["claim"]["status"] == "ready"


# ------------------------------------------------------------------------------------- an export is never lost


def test_an_export_is_stored_and_can_be_downloaded_again(team):
    """POST /api/export gave the interchange only in its answer, while its claims became exported for good: an
    answer lost on the way (a dropped connection, a closed tab) lost the file, and nothing could send those claims
    again. The interchange is now stored in the export's transaction; GET /api/exports/{id} gives the same bytes."""
    _, client, admin, biller = team
    _post(client, biller, visit(1), visit(2))
    r = client.post("/api/export", params=SAMPLE, headers=biller)
    out = r.json()
    assert r.headers["cache-control"] == "no-store"
    assert out["exported"] == ["v001", "v002"] and isinstance(out["export_id"], int)
    assert {"interchange", "exported", "skipped", "charges"} <= set(out)  # the answer's fields, as before

    again = client.get(f"/api/exports/{out['export_id']}", headers=admin)  # another user of the team
    assert again.status_code == 200 and again.content == out["interchange"].encode()
    assert again.headers["content-type"].startswith("text/plain")
    assert again.headers["content-disposition"] == 'attachment; filename="claims-837P.x12"'
    assert again.headers["cache-control"] == "no-store"

    listed = client.get("/api/exports", headers=biller)
    assert listed.headers["cache-control"] == "no-store"
    [item] = listed.json()
    assert item["id"] == out["export_id"]
    assert (item["kind"], item["claims"], item["receiver_id"]) == ("837P", 2, "00952")
    assert item["by_name"] == "bo" and "interchange" not in item
    for secret in (visit(1)["patient"]["last_name"], visit(1)["subscriber"]["member_id"], "D83"):
        assert secret not in listed.text

    log = client.get("/api/audit", headers=admin).json()
    reads = [e for e in log if e["action"] == "export.read"]
    assert [(e["object_type"], e["object_id"]) for e in reads] == [("export", str(out["export_id"]))]
    assert any(e["action"] == "export.create" for e in log)


def test_exports_are_listed_newest_first_in_pages_and_by_encounter(team):
    _, client, _, biller = team
    ids = []
    for n in (1, 2, 3):
        _post(client, biller, visit(n))
        ids.append(client.post("/api/export", params=SAMPLE, headers=biller).json()["export_id"])
    nothing = client.post("/api/export", params=SAMPLE, headers=biller).json()
    assert nothing["interchange"] is None and nothing["export_id"] is None  # nothing stored for an empty export
    page = client.get("/api/exports", params={"limit": 2}, headers=biller).json()
    assert [e["id"] for e in page] == ids[::-1][:2]
    rest = client.get("/api/exports", params={"limit": 2, "before": page[-1]["id"]}, headers=biller).json()
    assert [e["id"] for e in rest] == ids[:1]
    by_visit = client.get("/api/exports", params={"encounter_id": "v002"}, headers=biller).json()
    assert [e["id"] for e in by_visit] == [ids[1]]


def test_the_stored_exports_need_a_token(team):
    _, client, _, biller = team
    _post(client, biller, visit(1))
    export_id = client.post("/api/export", params=SAMPLE, headers=biller).json()["export_id"]
    for path in ("/api/exports", f"/api/exports/{export_id}"):
        r = client.get(path)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", path
        assert client.get(path, headers={"Authorization": "Bearer igc_nope_nope"}).status_code == 401
    missing = client.get(f"/api/exports/{export_id + 1}", headers=biller)
    assert missing.status_code == 404 and "no export" in missing.json()["problems"][0]


# ------------------------------------------------------------------------------------------------------ the page


@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver")
def test_the_page_exports_the_filtered_payer_and_downloads_a_stored_export_again(browser, team_server,  # noqa: F811
                                                                                 tmp_path):
    """The page's export ignored its Payer filter, and after an export that sent nothing it still showed the
    previous export's link, as if it were this one's. It now sends the filter, hides the old link, and lists the
    stored exports, each downloaded again as it was written."""
    import urllib.request

    from selenium.webdriver.common.by import By

    base, token = team_server
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    _sign_in(browser, base, token)
    _submit(browser, visit(1), visit(2, payer=AETNA))
    browser.execute_script("document.getElementById('charges').value = 'sample';"
                           "document.getElementById('payer').value = 'Aetna';")
    message = browser.find_element(By.ID, "message")
    browser.find_element(By.ID, "export-p").click()
    _wait(lambda: "1 exported with the SAMPLE chargemaster to 60054, 0 stay ready" in message.text)
    link = browser.find_element(By.ID, "download")
    assert link.is_displayed() and "export #1" in link.text

    browser.find_element(By.ID, "export-p").click()  # nothing of Aetna is ready now: no link of the last export
    _wait(lambda: "0 exported" in message.text)
    assert not link.is_displayed()

    item = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#exports li"))[0]
    assert item.text.startswith("#1 837P to 60054: 1 claims")
    browser.find_element(By.CSS_SELECTOR, "button[aria-label='Download export 1']").click()
    got = _wait(lambda: (f := downloads / "claims-837P.x12").exists() and f.stat().st_size and f).read_bytes()
    ask = urllib.request.Request(f"{base}/api/exports/1", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(ask, timeout=10) as r:
        assert got == r.read() and b"*ZZ*60054" in got
