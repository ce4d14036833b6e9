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
