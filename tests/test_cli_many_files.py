"""`igclaim build a.json bad.json c.json`: every readable file is coded and printed, every invalid one named on
stderr, and the exit is 2. It stopped at the bad file, so c.json's result was never printed."""

from __future__ import annotations

import json
import shutil

from tests.conftest import ROOT, run_cli

E01, E02 = ROOT / "examples" / "e01-sarah-gammaplex-4h.json", ROOT / "examples" / "e02-gamunex-30g-5h.json"


def test_a_bad_file_among_many_is_named_and_the_others_are_coded(tmp_path):
    shutil.copy(E01, tmp_path / "a.json")
    shutil.copy(E02, tmp_path / "c.json")
    (tmp_path / "bad.json").write_text('{"encounter_id": "x", "date_of_service": 1772409600}')
    files = [str(tmp_path / n) for n in ("a.json", "bad.json", "missing.json", "c.json")]
    done = run_cli("build", *files, "--format", "json")
    assert done.returncode == 2
    assert [json.loads(line)["encounter_id"] for line in done.stdout.splitlines()] == ["e01", "e02"]
    said = done.stderr.splitlines()
    assert f"{files[1]}: date_of_service: 1772409600: use YYYY-MM-DD, e.g. 2026-03-02" in said
    assert f"{files[2]}: cannot read: No such file or directory" in said
    assert not any(line.startswith((files[0], files[3])) for line in said)


def test_one_good_file_among_many_is_still_one_line_and_one_file_alone_is_pretty(tmp_path):
    """The output's shape follows the files given, not how many were valid: JSON Lines for several."""
    (tmp_path / "bad.json").write_text("{}")
    many = run_cli("build", str(E01), str(tmp_path / "bad.json"), "--format", "json")
    assert many.returncode == 2 and len(many.stdout.splitlines()) == 1
    assert json.loads(many.stdout)["encounter_id"] == "e01"
    one = run_cli("build", str(E01), "--format", "json")
    assert one.returncode == 0 and one.stdout.startswith("{\n") and json.loads(one.stdout)["encounter_id"] == "e01"


def test_fail_on_still_counts_when_every_file_is_valid_and_an_invalid_one_wins(tmp_path):
    """Exit 2 (invalid input) outranks 1 (`--fail-on` matched): a run with a bad file is never reported as findings."""
    (tmp_path / "bad.json").write_text("{}")
    e11 = ROOT / "examples" / "e11-scrub-no-prior-auth.json"
    assert run_cli("scrub", str(e11), "--fail-on", "error", "--format", "json").returncode == 1
    assert run_cli("scrub", str(e11), str(tmp_path / "bad.json"), "--fail-on", "error",
                   "--format", "json").returncode == 2
