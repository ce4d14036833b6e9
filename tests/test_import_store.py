"""`igclaim data import` / `data status` against a temporary IGCLAIM_HOME: one transaction per file, idempotent
re-import, a bad file exits 2 with file, line and column and leaves the previous data untouched."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

from igclaim.refdata import store
from tests.conftest import run_cli

FIX = Path(__file__).parent / "fixtures" / "cms"


def _db_rows(home: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(home / store.DB_NAME)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_import_then_status(home):
    r = run_cli("data", "import", "asp", str(FIX / "asp-pricing-2026q2-synthetic.csv"))
    assert r.returncode == 0, r.stderr
    assert "imported asp" in r.stdout and "2026-04-01..2026-06-30" in r.stdout
    r = run_cli("data", "import", "ptp", str(FIX / "ccipra-v321r0-f1-synthetic.txt"))
    assert r.returncode == 0, r.stderr
    s = run_cli("data", "status")
    assert s.returncode == 0
    assert "asp-pricing-2026q2-synthetic.csv" in s.stdout and "2026Q2" in s.stdout
    assert "ccipra-v321r0-f1-synthetic.txt" in s.stdout and "practitioner" in s.stdout
    assert "asp-pricing-2026q1.csv" in s.stdout  # the bundled snapshot is listed too
    sha = hashlib.sha256((FIX / "asp-pricing-2026q2-synthetic.csv").read_bytes()).hexdigest()
    assert _db_rows(home, "SELECT sha256 FROM imports WHERE kind='asp'") == [(sha,)]
    # every row keeps its effective range and its import (file + sha256)
    assert _db_rows(home, "SELECT effective, ends FROM asp WHERE code='J1561'") == [("2026-04-01", "2026-06-30")]


def test_status_shows_a_file_name_as_written(home, tmp_path):
    """The table read "[bold]" in an imported file's name as markup and showed "asp.csv"."""
    named = tmp_path / "asp-pricing-2026q2-[bold].csv"
    named.write_bytes((FIX / "asp-pricing-2026q2-synthetic.csv").read_bytes())
    assert run_cli("data", "import", "asp", str(named)).returncode == 0
    s = run_cli("data", "status")
    assert s.returncode == 0 and "asp-pricing-2026q2-[bold].csv" in s.stdout.replace("\n", ""), s.stdout


def test_reimport_changes_nothing(home):
    path = FIX / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv"
    store.import_file("mue", path)
    before = _db_rows(home, "SELECT * FROM imports"), _db_rows(home, "SELECT * FROM mue ORDER BY code")
    [again] = store.import_file("mue", path)
    assert not again.changed
    assert (_db_rows(home, "SELECT * FROM imports"), _db_rows(home, "SELECT * FROM mue ORDER BY code")) == before
    r = run_cli("data", "import", "mue", str(path))
    assert r.returncode == 0 and "nothing changed" in r.stdout


def test_corrected_file_for_the_same_quarter_replaces_the_old(home, tmp_path):
    store.import_file("asp", FIX / "asp-pricing-2026q2-synthetic.csv")
    corrected = tmp_path / "asp-pricing-2026q2-corrected.csv"
    corrected.write_bytes((FIX / "asp-pricing-2026q2-synthetic.csv").read_bytes().replace(b"50.000", b"50.500"))
    [rep] = store.import_file("asp", corrected)
    assert rep.changed and rep.replaced == 1
    assert store.tables().payment_limit("J1561", date(2026, 5, 1)).amount == Decimal("50.500")
    assert len(_db_rows(home, "SELECT id FROM imports")) == 1


def test_bad_file_exits_2_and_leaves_previous_data(home):
    good = FIX / "asp-pricing-2026q2-synthetic.csv"
    assert run_cli("data", "import", "asp", str(good)).returncode == 0
    before = _db_rows(home, "SELECT * FROM asp ORDER BY code"), _db_rows(home, "SELECT * FROM imports")
    r = run_cli("data", "import", "asp", str(FIX / "asp-pricing-2026q2-bad-synthetic.csv"))
    assert r.returncode == 2
    assert "asp-pricing-2026q2-bad-synthetic.csv: line 13, column 4" in r.stderr
    assert "Traceback" not in r.stderr
    assert (_db_rows(home, "SELECT * FROM asp ORDER BY code"), _db_rows(home, "SELECT * FROM imports")) == before


def test_bad_file_in_a_zip_leaves_nothing_half_done(home, tmp_path):
    """A PTP zip whose second part is broken: neither part is stored."""
    import zipfile

    good = (FIX / "ccipra-v321r0-f1-synthetic.txt").read_bytes()
    z = tmp_path / "medicare-ncci-2026q2-practitioner-ptp-edits.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("ccipra-v321r0-f1.txt", good)
        zf.writestr("ccipra-v321r0-f2.txt", good.replace(b"\t0\tStandards", b"\tX\tStandards"))
    r = run_cli("data", "import", "ptp", str(z))
    assert r.returncode == 2 and "ccipra-v321r0-f2.txt: line 9, column 6" in r.stderr
    assert not (home / store.DB_NAME).exists() or _db_rows(home, "SELECT COUNT(*) FROM ptp") == [(0,)]


def test_missing_file_and_unknown_kind_exit_2(home):
    assert run_cli("data", "import", "asp", "no-such-file.csv").returncode == 2
    assert run_cli("data", "import", "prices", str(FIX / "asp-pricing-2026q2-synthetic.csv")).returncode == 2


def test_status_without_imports(home):
    r = run_cli("data", "status")
    assert r.returncode == 0 and "Nothing imported yet" in r.stdout


def test_tables_work_without_a_database(home):
    t = store.tables()
    assert t.loaded == []
    assert t.payment_limit("J1561", date(2026, 3, 2)).amount == Decimal("49.076")  # bundled Q1 2026 snapshot
    assert t.payment_limit("J1561", date(2026, 4, 14)) is None  # no price outside the snapshot's quarter
    assert t.mue("J1561", date(2026, 3, 2), "practitioner") is None  # no MUE ships
    assert t.hcpcs_status("J1561", date(2026, 3, 2)) is None
