"""The team service's import route (POST /api/data/import/{kind}): what the CLI's `igclaim data import` says of a
disk error and of an open end, said over HTTP without the server's paths."""

from __future__ import annotations

import errno

import pytest

from tests import test_service

team, url = test_service.team, test_service.url  # the team service's fixtures (a team app on SQLite or PostgreSQL)

COVERAGE = b"article_id,group,icd10_code\nA56779,1,D80.1\n"


@pytest.mark.parametrize(("error", "shown"), [
    (OSError(errno.ENOSPC, "No space left on device", "/srv/igclaim/home/reference.sqlite"),
     "No space left on device"),
    (PermissionError("/srv/igclaim/home/reference.sqlite"), "PermissionError"),  # no strerror: its kind, not its text
])
def test_a_disk_error_of_an_import_over_http_is_a_503_naming_no_path(team, tmp_path, monkeypatch, error, shown):
    """An OSError while the file is read or stored (a full disk, an unreadable store) was an unhandled 500; the
    CLI says 'cannot read or store'. Over HTTP it is a 503 saying so with the system's reason, never the server's
    path (an OSError's text holds it), and the import is not audited as done."""
    from igclaim.refdata import store

    _, client, admin, _ = team
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))

    def failing(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(store, "import_file", failing)
    r = client.post("/api/data/import/coverage", content=COVERAGE, params={"filename": "cgs.csv",
                                                                           "effective": "2026-01-01"}, headers=admin)
    assert r.status_code == 503 and r.json()["problems"] == [
        f"cgs.csv: the server cannot read or store this file ({shown}): try again later, "
        "or ask the server's administrator"], r.text
    assert "/srv" not in r.text and str(tmp_path) not in r.text
    assert "data.import.coverage" not in [e["action"] for e in client.get("/api/audit", headers=admin).json()]


def test_an_explicit_open_end_is_taken_over_http_as_the_cli_takes_it(team, tmp_path, monkeypatch):
    """`ends=9999-12-31`, the open end CMS files write (and what a coverage list's report answers), was refused
    over HTTP as outside the chart calendar (1900-2199) while `igclaim data import --ends 9999-12-31` took it: both
    take it now, the same table stored; any other date past 2199 is still refused, naming `ends`."""
    from typer.testing import CliRunner

    from igclaim.refdata.data_cli import data_app

    _, client, admin, _ = team
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path / "http"))
    params = {"filename": "cgs.csv", "effective": "2026-01-01", "ends": "9999-12-31"}
    r = client.post("/api/data/import/coverage", content=COVERAGE, params=params, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["imported"][0]["ends"] == "9999-12-31"
    r = client.post("/api/data/import/coverage", content=COVERAGE, params={**params, "ends": "9999-12-30"},
                    headers=admin)
    assert r.status_code == 422 and r.json()["problems"] == [
        "query.ends: outside the dates igclaim accepts (1900-01-01 to 2199-12-31)"], r.text

    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path / "cli"))
    file = tmp_path / "cgs.csv"
    file.write_bytes(COVERAGE)
    out = CliRunner().invoke(data_app, ["import", "coverage", str(file), "--effective", "2026-01-01",
                                        "--ends", "9999-12-31"])
    assert out.exit_code == 0 and "2026-01-01..9999-12-31" in out.stdout, out.output
