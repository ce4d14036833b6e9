"""The command line as a user runs it: exit statuses, field-named errors, schema, products, stdin."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EXAMPLES, run_cli
from tests.helpers import drug, encounter


def test_invalid_dose_names_the_field_and_exits_2():
    enc = encounter(drugs=[drug(dose={"grams": 30, "ml": 300})])
    proc = run_cli("build", "-", stdin=json.dumps(enc))
    assert proc.returncode == 2
    assert "drugs[0].dose: give one of grams, mg, ml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_problem_is_one_line():
    enc = encounter(setting="clinic", drugs=[{"id": "ig1", "product": "Privigen"}])
    enc["unknown_field"] = 1
    proc = run_cli("build", "-", stdin=json.dumps(enc))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert any(line.startswith("setting:") for line in lines)
    assert any(line.startswith("drugs[0]:") and "dose" in line for line in lines)
    assert "unknown_field: unknown field" in lines


def test_coding_input_error_exits_2():
    enc = encounter(drugs=[drug(dose={"grams": 40})])  # 3 × 10 g opened
    proc = run_cli("build", "-", stdin=json.dumps(enc))
    assert proc.returncode == 2
    assert "drugs[0].containers: the containers opened hold 30 g, less than the dose of 40 g" in proc.stderr


def test_unknown_product_names_the_field():
    proc = run_cli("build", "-", stdin=json.dumps(encounter(drugs=[drug(product="Imaginol")])))
    assert proc.returncode == 2 and "drugs[0].product: unknown product 'Imaginol'" in proc.stderr


def test_bad_json_exits_2():
    proc = run_cli("build", "-", stdin="{not json")
    assert proc.returncode == 2 and "(json) line 1" in proc.stderr


def test_missing_file_exits_2():
    proc = run_cli("build", "no-such-file.json")
    assert proc.returncode == 2 and "no-such-file.json: cannot read" in proc.stderr


def test_json_output_is_the_result_schema():
    proc = run_cli("build", str(EXAMPLES[0]), "--format", "json")
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert set(out) == {"encounter_id", "claim", "findings", "reference"}
    assert out["reference"]["profile"] == "medicare-part-b"


def test_table_output_shows_lines_and_findings():
    path = next(p for p in EXAMPLES if "privigen" in p.name)
    proc = run_cli("build", str(path), "--format", "table")
    assert proc.returncode == 0
    assert "J1459" in proc.stdout and "DRUG-WASTE-AVOIDABLE" in proc.stdout


def test_table_output_shows_chart_text_as_text_never_as_markup_or_a_terminal_control():
    """Rich read "[/bold]" in a diagnosis as markup (MarkupError: an internal error, exit 3) and passed ESC
    through, so an encounter id could retitle (ESC ] 0 ; … BEL) or clear (ESC [ 2 J) the biller's terminal.
    Both commands that print a chart's table show the text as written, each control as its escape."""
    path = next(p for p in EXAMPLES if "privigen" in p.name)
    enc = json.loads(path.read_text())["input"]
    enc["encounter_id"] = "X\x1b]0;pwned\x07\x1b[2J[link=http://x]Y[/link]\u202e"
    enc["diagnoses"] = [*enc["diagnoses"], "[/bold]"]
    proc = run_cli("build", "-", "--format", "table", stdin=json.dumps(enc))
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout and "\u202e" not in proc.stdout
    assert "X\\x1b]0;pwned\\x07\\x1b[2J[link=http://x]Y[/link]\\u202e" in proc.stdout
    assert "[/B.OLD]" in proc.stdout  # the diagnosis as igclaim formats it (DX-INVALID names it too)
    proc = run_cli("compare-sites", "-", "--format", "table", stdin=json.dumps(enc))
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "[/link]" in proc.stdout


@pytest.mark.parametrize(("flag", "status"), [("error", 0), ("warning", 1)])
def test_fail_on(flag, status):
    path = next(p for p in EXAMPLES if "privigen" in p.name)  # a warning, no error
    assert run_cli("build", str(path), "--fail-on", flag).returncode == status


def test_schema_prints_both_json_schemas():
    proc = run_cli("schema")
    doc = json.loads(proc.stdout)
    assert "drugs" in doc["encounter"]["properties"] and "findings" in doc["result"]["properties"]


def test_products_lists_codes_and_units():
    proc = run_cli("products")
    assert proc.returncode == 0
    for text in ("Hizentra", "J1559", "100 mg", "Gammaplex", "J1557", "500 mg"):
        assert text in proc.stdout


def test_user_profile_file(tmp_path):
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src/igclaim/refdata/payers/medicare-part-b.toml"
    text = src.read_text().replace('name = "medicare-part-b"', 'name = "my-contract"')
    (tmp_path / "mine.toml").write_text(text)
    proc = run_cli("build", str(EXAMPLES[0]), "--profile", str(tmp_path / "mine.toml"), "--format", "json")
    assert json.loads(proc.stdout)["reference"]["profile"] == "my-contract"


def test_unknown_profile_names_the_field():
    proc = run_cli("build", str(EXAMPLES[0]), "--profile", "nope")
    assert proc.returncode == 2 and "payer.profile: unknown payer profile 'nope'" in proc.stderr


def test_times_with_and_without_offsets_compare_as_wall_clock():
    enc = encounter(administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00Z", "stop": "2026-03-02T14:00"}])
    proc = run_cli("build", "-", stdin=json.dumps(enc))
    assert proc.returncode == 0, proc.stderr
    codes = {ln["code"]: ln["units"] for ln in json.loads(proc.stdout)["claim"]["lines"]}
    assert codes["96366"] == 4


def test_json_numbers_are_plain_numbers():
    """design.md §3: "ndc_quantity": 300, not 300.0 or "300"."""
    path = next(p for p in EXAMPLES if "no-prior-auth" in p.name)
    line = json.loads(run_cli("build", str(path), "--format", "json").stdout)["claim"]["lines"][0]
    assert line["ndc_quantity"] == 300 and isinstance(line["ndc_quantity"], int)
    assert isinstance(line["expected_payment"], float)


def test_build_says_the_written_claim_was_not_compared():
    r = run_cli("build", "examples/e09-scrub-units-by-ml.json", "--format", "json")
    assert r.returncode == 0 and "use `igclaim scrub" in r.stderr
    ids = [f["edit"] for f in json.loads(r.stdout)["findings"]]
    assert ids.count("CLAIM-NOT-COMPARED") == 1 and "DRUG-UNITS-ML" not in ids
    r = run_cli("scrub", "examples/e09-scrub-units-by-ml.json", "--format", "json")
    assert "CLAIM-NOT-COMPARED" not in r.stdout and "note:" not in r.stderr
    r = run_cli("build", "examples/e01-sarah-gammaplex-4h.json", "--format", "json")
    assert "CLAIM-NOT-COMPARED" not in r.stdout and "note:" not in r.stderr


def test_compare_sites_codes_the_visit_at_each_site():
    r = run_cli("compare-sites", "examples/e02-gamunex-30g-5h.json", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = {x["site"]: x for x in json.loads(r.stdout)}
    assert [rows[s]["form"] for s in ("office", "hospital_outpatient", "home")] == ["CMS-1500", "UB-04", "CMS-1500"]
    assert "96365 x1" in rows["office"]["lines"] and "96365 x1" not in rows["home"]["lines"]
    for x in rows.values():  # the drug's ASP price is the same everywhere; unpriced lines are named, not zero
        assert x["priced_total"] == "2944.56" and x["total"] is None and x["unpriced"]


def test_coding_commands_start_without_the_team_services_database_libraries():
    """`igclaim build` or `scrub` on one chart must not pay for SQLAlchemy and Alembic (about 0.4 s of a start):
    only the team service's commands import them."""
    import subprocess
    import sys

    code = ("import sys, igclaim.cli; heavy = sorted(m for m in ('sqlalchemy', 'alembic', 'pyspark', 'pyarrow') "
            "if m in sys.modules); print(','.join(heavy))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_python_dash_m_igclaim_is_the_igclaim_command():
    """`python -m igclaim` (a machine whose PATH lacks the `igclaim` script) runs the same command: same output,
    same exit codes (it said "'igclaim' is a package and cannot be directly executed")."""
    import subprocess
    import sys

    from tests.conftest import ROOT, run_cli

    example = str(ROOT / "examples" / "e02-gamunex-30g-5h.json")
    r = subprocess.run([sys.executable, "-m", "igclaim", "build", example], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert (r.returncode, r.stdout) == (0, run_cli("build", example).stdout)
    missing = subprocess.run([sys.executable, "-m", "igclaim", "build", str(ROOT / "no-such.json")],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
