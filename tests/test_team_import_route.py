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


FIX = test_service.ROOT / "tests" / "fixtures" / "cms"
_MUE = (FIX / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv").read_bytes().replace(
    b"Practitioner Services MUE Values", b"Services MUE Values")


@pytest.mark.parametrize(("kind", "body", "params", "problem"), [
    ("coverage", COVERAGE, {"filename": "cgs.csv"},
     "cgs.csv: cannot tell the date this coverage list is in force from its name: give query.effective YYYY-MM-DD "
     "(and query.ends when it has ended)"),
    ("coverage", COVERAGE, {"filename": "cgs--effective.csv"},  # the file's own name is not an option's
     "cgs--effective.csv: cannot tell the date this coverage list is in force from its name: give query.effective "
     "YYYY-MM-DD (and query.ends when it has ended)"),
    ("hcpcs", (FIX / "HCPC2026_JAN_ANWEB-synthetic.csv").read_bytes(), {"filename": "hcpcs.csv"},
     "hcpcs.csv: cannot tell the effective date of this HCPCS file from the file or its name: give query.effective "
     "YYYY-MM-DD (and query.ends)"),
    ("fees", b"code,amount\n96365,150.00\n", {"filename": "acme.csv", "effective": "2026-03-01"},
     "acme.csv: line 1: a 'code,amount' fee schedule needs query.schedule NAME (the locality or contract it belongs "
     "to)"),
    ("mue", _MUE, {"filename": "MUE_Eff_04-01-2026.csv"},
     "MUE_Eff_04-01-2026.csv: line 8, column 2: cannot tell the MUE table (practitioner, outpatient hospital, DME "
     "supplier) from the header: give query.setting"),
    ("ptp", (FIX / "ccipra-v321r0-f1-synthetic.txt").read_bytes(), {"filename": "edits-f1.txt"},
     "edits-f1.txt: cannot tell practitioner (ccipra) or hospital (ccioph) edits from the file name: give "
     "query.setting"),
])
def test_an_importer_asking_for_an_option_names_it_as_the_http_caller_gives_it(team, tmp_path, monkeypatch, kind,
                                                                               body, params, problem):
    """The importers' messages named the CLI's flags (--effective, --schedule, --setting) to an HTTP caller, who
    has no flags: over HTTP they name the query parameter (query.effective, as the route's own 422s name it); the
    CLI's words are unchanged (str of the failure)."""
    _, client, admin, _ = team
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))
    r = client.post(f"/api/data/import/{kind}", content=body, params=params, headers=admin)
    assert r.status_code == 422 and r.json()["problems"] == [problem], r.text

    from igclaim.refdata.importers import ImportFailure, Options, Source, parse

    with pytest.raises(ImportFailure) as exc:
        parse(Source(params["filename"], body), kind, Options(effective=None, schedule=None))
    assert str(exc.value) == problem.replace("query.", "--")


def test_a_refused_short_file_over_http_says_force(team, tmp_path, monkeypatch):
    """The store's own refusal of a file of far fewer rows named --force over HTTP: it names query.force."""
    _, client, admin, _ = team
    monkeypatch.setenv("IGCLAIM_HOME", str(tmp_path))
    params = {"filename": "acme.csv", "schedule": "acme 2026", "effective": "2026-03-01"}
    fees = b"code,amount\n96365,150.00\n96366,40.00\n96367,60.00\n"
    assert client.post("/api/data/import/fees", content=fees, headers=admin, params=params).status_code == 200
    r = client.post("/api/data/import/fees", content=b"code,amount\n96365,155.00\n", headers=admin, params=params)
    assert r.status_code == 422 and r.json()["problems"] == [
        "acme.csv: 1 rows, far fewer than the 3 of the file already imported for 2026-03-01..2026-12-31: a "
        "truncated file? Use query.force to replace it anyway"], r.text
