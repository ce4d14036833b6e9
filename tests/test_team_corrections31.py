"""A corrected claim filed under a new encounter id: the ledger finds the claim a correction replaces by its
encounter id (`original_claim_id` is the payer's number, which the ledger does not keep), so the original's use
stayed counted and the correction's was counted beside it, without a word. AUTH-CORRECTION-UNLINKED now warns when
another encounter of the member, payer and date of service holds units, and only then."""

from __future__ import annotations

from tests import test_service
from tests.test_service import visit
from tests.test_team_audit7 import SAMPLE, _authorize

team, url = test_service.team, test_service.url  # the team service's fixtures (a team app on SQLite or PostgreSQL)

REPLACE = {"frequency": "7", "original_claim_id": "ICN-1"}
VOID = {"frequency": "8", "original_claim_id": "ICN-1"}


def _unlinked(client, biller, enc: dict) -> list[dict]:
    r = client.post("/api/encounters", json=enc, headers=biller)
    assert r.status_code == 200, r.text
    findings = client.get(f"/api/encounters/{enc['encounter_id']}", headers=biller).json()["result"]["findings"]
    return [f for f in findings if f["edit"] == "AUTH-CORRECTION-UNLINKED"]


def _exported(client, biller, auth_id: int) -> None:
    assert client.post("/api/encounters", json=visit(1), headers=biller).json()[0]["status"] == "ready"
    assert client.post("/api/export", params=SAMPLE, headers=biller).json()["exported"] == ["v001"]
    assert client.get(f"/api/authorizations/{auth_id}", headers=biller).json()["remaining"]["units"] == 40


def test_a_replacement_under_a_new_encounter_id_is_warned_naming_the_claim_whose_use_stays(team):
    _, client, _, biller = team
    auth_id = _authorize(client, biller, 100)
    _exported(client, biller, auth_id)
    found = _unlinked(client, biller, visit(1, encounter_id="v101", correction=REPLACE))
    assert [f["severity"] for f in found] == ["warning"]
    assert found[0]["message"] == (
        f"A corrected claim, replacement (frequency 7), under an encounter id this team has not exported, while "
        f"v001 holds 60 units of authorization PA-100 (ledger #{auth_id}) for the same member, payer and date "
        "of service. The ledger finds the claim a correction replaces by its encounter id, not by original_claim_id: "
        "if this corrects that claim, it would be counted beside it, the same visit twice. File the correction "
        "under the original's encounter id; if it corrects a claim sent elsewhere, this does not apply.")


def test_a_void_under_a_new_encounter_id_says_it_gives_nothing_back(team):
    _, client, _, biller = team
    auth_id = _authorize(client, biller, 100)
    _exported(client, biller, auth_id)
    found = _unlinked(client, biller, visit(1, encounter_id="v101", correction=VOID))
    assert len(found) == 1 and "void (frequency 8)" in found[0]["message"]
    assert "it would give none of it back" in found[0]["message"]


def test_no_warning_under_the_originals_own_id_another_date_or_a_claim_voided_already(team):
    _, client, _, biller = team
    auth_id = _authorize(client, biller, 100)
    _exported(client, biller, auth_id)
    assert _unlinked(client, biller, visit(1, correction=REPLACE)) == []  # its own id: its export replaces
    assert _unlinked(client, biller, visit(2, encounter_id="v102", correction=REPLACE)) == []  # another day
    assert _unlinked(client, biller, visit(1, encounter_id="v103")) == []  # not a correction: another visit
    other = visit(1, encounter_id="v104", correction=REPLACE)
    other["subscriber"] = {**other["subscriber"], "member_id": "OTHER-MEMBER-9"}
    assert _unlinked(client, biller, other) == []  # another member
    payer = visit(1, encounter_id="v106", correction=REPLACE)
    payer["payer"] = {**payer["payer"], "name": "Another Plan", "payer_id": "99999"}
    assert _unlinked(client, biller, payer) == []  # another payer: the authorization is Medicare Part B's
    assert client.post("/api/encounters", json=visit(1, correction=VOID), headers=biller).status_code == 200
    assert "v001" in client.post("/api/export", params=SAMPLE, headers=biller).json()["exported"]
    assert _unlinked(client, biller, visit(1, encounter_id="v105", correction=REPLACE)) == []  # nothing held now


def test_a_correction_under_its_own_id_is_not_warned_of_another_visit_that_day(team):
    """Two visits of the member on one day, both exported: correcting one under its own id replaces its own entry
    (consume), and the other visit's units are no concern of it."""
    _, client, _, biller = team
    auth_id = _authorize(client, biller, 200)
    for enc in (visit(1), visit(1, encounter_id="v201")):
        assert client.post("/api/encounters", json=enc, headers=biller).json()[0]["status"] == "ready"
    assert client.post("/api/export", params=SAMPLE, headers=biller).json()["exported"] == ["v001", "v201"]
    assert client.get(f"/api/authorizations/{auth_id}", headers=biller).json()["remaining"]["units"] == 80
    assert _unlinked(client, biller, visit(1, correction=REPLACE)) == []
