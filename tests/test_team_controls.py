"""The team export's envelope: each interchange its own control number, and production data only when asked.

Every export was ISA13 000000001 (GS06 1, ST02 0001): a receiver refuses an interchange whose control number it has
already had from the same sender (TA1 duplicate), so every team export after the first would have been turned away.
The stored export's id is now the control number. And ISA15 was always T (test data): `production=true` sends P, as
the CLI's --production does."""

from __future__ import annotations

from tests import test_service
from tests.test_service import visit
from tests.test_team_audit7 import SAMPLE
from tests.test_x12 import pyx12_check, segments

team, url = test_service.team, test_service.url  # the team service's fixtures (a team app on SQLite or PostgreSQL)


def _envelope(interchange: str) -> tuple[str, str, str, str]:
    """ISA13, ISA15, GS06 and ST02."""
    segs = [s.split("*") for s in segments(interchange)]
    isa = next(s for s in segs if s[0] == "ISA")
    gs = next(s for s in segs if s[0] == "GS")
    st = next(s for s in segs if s[0] == "ST")
    return isa[13], isa[15], gs[6], st[2]


def _export(client, headers, n: int, **params) -> dict:
    assert client.post("/api/encounters", json=visit(n), headers=headers).json()[0]["status"] == "ready"
    out = client.post("/api/export", params={**SAMPLE, **params}, headers=headers).json()
    assert out["exported"] == [f"v{n:03d}"], out
    return out


def test_each_export_has_its_own_control_number(team):
    _, client, _, biller = team
    first, second = _export(client, biller, 1), _export(client, biller, 2)
    assert first["export_id"] != second["export_id"]
    for out in (first, second):
        n = out["export_id"]
        assert _envelope(out["interchange"]) == (f"{n:09d}", "T", str(n), f"{n:04d}")
        assert pyx12_check(out["interchange"]) == []
    # The stored copy is the interchange sent, control number and all.
    stored = client.get(f"/api/exports/{second['export_id']}", headers=biller)
    assert stored.text == second["interchange"]


def test_production_is_asked_for(team):
    _, client, _, biller = team
    out = _export(client, biller, 1, production="true")
    assert _envelope(out["interchange"])[1] == "P" and pyx12_check(out["interchange"]) == []
