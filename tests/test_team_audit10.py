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
from tests.test_service import visit
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
