"""The team service as several server processes on one database and one IGCLAIM_HOME, as `--workers N` runs it:
an import over HTTP answered by one process is used by the other (through the data version stamp), and a token's
rate limit is one budget across processes."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import httpx

from tests.test_service import OFFICE, ROOT, _user, free_port, serve_team, stop_team

MUE = ROOT / "tests" / "fixtures" / "cms" / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv"


def _april_visit() -> dict:
    """60 g of Gamunex-C on 2026-04-15: 120 units of J1561, over the synthetic MUE of 100 (effective 2026-04-01)."""
    enc = copy.deepcopy(OFFICE)
    enc.update(encounter_id="apr-1", date_of_service="2026-04-15")
    enc["drugs"][0].update(dose={"grams": 60}, containers=[{"grams": 10, "count": 6}])
    enc["administrations"] = [{**enc["administrations"][0], "start": "2026-04-15T08:00", "stop": "2026-04-15T14:00"}]
    return enc


def test_an_import_on_one_process_is_used_by_the_other_and_the_rate_budget_is_shared(tmp_path):
    db = f"sqlite:///{tmp_path / 'team.sqlite'}"
    admin, biller = _user(db, "ada", "admin"), _user(db, "rl", "biller")
    env = {"IGCLAIM_RATE_STORE": str(tmp_path / "rates.sqlite"), "IGCLAIM_RATE_LIMIT": "0.01",
           "IGCLAIM_RATE_BURST": "30"}
    ports = free_port(), free_port()
    procs = [serve_team(db, str(tmp_path / "home"), port, **env) for port in ports]
    a, b = (httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) for port in ports)
    try:
        h = {"Authorization": f"Bearer {admin}"}
        mue = lambda r: [f for f in r.json()["findings"] if f["edit"] == "DRUG-MUE"]  # noqa: E731
        before = b.post("/api/build", json=_april_visit(), headers=h)
        assert before.status_code == 200 and mue(before) == []  # no MUE table yet: B has coded with the old data
        r = a.post("/api/data/import/mue", content=MUE.read_bytes(), params={"filename": MUE.name}, headers=h)
        assert r.status_code == 200 and r.json()["imported"][0]["rows"] > 0
        assert (Path(tmp_path / "home") / "refdata.version").exists()
        deadline, found = time.time() + 10, []
        while time.time() < deadline and not found:  # B looks at the stamp at most once a second
            time.sleep(0.5)
            found = mue(b.post("/api/build", json=_april_visit(), headers=h))
        assert found and "100" in found[0]["message"], found

        # one budget (burst 30, almost no refill) for the biller's token, whichever process answers
        hb = {"Authorization": f"Bearer {biller}"}
        first = [a.get("/api/encounters", headers=hb).status_code for _ in range(20)]
        then = [b.get("/api/encounters", headers=hb).status_code for _ in range(15)]
        assert first == [200] * 20 and then == [200] * 10 + [429] * 5
    finally:
        for proc in procs:
            stop_team(proc)


def test_serve_with_two_workers_shares_the_rate_limit(tmp_path):
    """`igclaim serve --team --workers 2` gives its workers one rate store: a burst of 6 allows 6 requests in all,
    whichever worker each new connection reaches (per-worker buckets would allow up to 12)."""
    db = f"sqlite:///{tmp_path / 'team.sqlite'}"
    token = _user(db, "rl", "biller")
    port = free_port()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = serve_team(db, str(tmp_path / "home"), port, "--workers", "2", IGCLAIM_RATE_LIMIT="0.01",
                      IGCLAIM_RATE_BURST="6", TMPDIR=str(scratch))
    try:
        time.sleep(3)  # the second worker up too
        codes = []
        for _ in range(12):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:  # a new connection each
                codes.append(c.get("/api/encounters", headers={"Authorization": f"Bearer {token}"}).status_code)
        assert codes.count(200) == 6 and codes.count(429) == 6, codes
        assert [p.name[:14] for p in scratch.iterdir()] == ["igclaim-rates-"]
    finally:
        stop_team(proc)
    assert not list(scratch.iterdir())  # the shared rate file goes with the server
