"""Every scrub-mode worked example runs through the CLI as a user would run it (`igclaim scrub FILE --format
json`) and meets its expectations; fixing the claim as the scrubber says makes it clean."""

from __future__ import annotations

import json

import pytest

from tests.conftest import check_expectations, examples, load_example, run_cli


@pytest.mark.parametrize("path", examples("scrub"), ids=lambda p: p.stem)
def test_scrub_example(path):
    proc = run_cli("scrub", str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    problems = check_expectations(result, load_example(path)["expect"])
    assert not problems, problems
    written = {ln["line"] for ln in load_example(path)["input"]["claim"]["lines"]}
    for f in result["findings"]:
        assert f["line"] is None or f["line"] in written, f  # findings point at the written claim's lines
        assert f["source"] and f["fix"]


@pytest.mark.parametrize("path", examples("scrub"), ids=lambda p: p.stem)
def test_scrub_example_fixed_claim_is_clean(path, tmp_path):
    """The expected claim, written back in place of the wrong one, has no error but the chart's own."""
    data = load_example(path)
    result = json.loads(run_cli("scrub", str(path), "--format", "json").stdout)
    fixed = tmp_path / path.name
    fixed.write_text(json.dumps({"input": dict(data["input"], claim=result["claim"])}))
    proc = run_cli("scrub", str(fixed), "--format", "json")
    again = json.loads(proc.stdout)
    chart_errors = {"AUTH-MISSING", "AUTH-EXPIRED", "DX-MISSING", "DX-INVALID", "DX-NOT-COVERED"}
    errors = [f["edit"] for f in again["findings"] if f["severity"] == "error" and f["edit"] not in chart_errors]
    assert not errors, errors
    assert not [f for f in again["findings"] if f["line"] is not None and f["severity"] == "error"]


def test_fail_on_error_exit_status():
    path = next(p for p in examples("scrub") if "units-by-ml" in p.name)
    assert run_cli("scrub", str(path), "--format", "json", "--fail-on", "error").returncode == 1
    assert run_cli("scrub", str(path), "--format", "json").returncode == 0


def test_edits_catalog_lists_every_design_id():
    proc = run_cli("edits")
    assert proc.returncode == 0
    design_ids = ["DRUG-NOS-CODE", "DRUG-CODE-MISMATCH", "DRUG-UNITS", "DRUG-UNITS-ML", "DRUG-JW-MISSING",
                  "DRUG-JZ-MISSING", "DRUG-JW-JZ-CONFLICT", "DRUG-JW-NOT-ALLOWED", "DRUG-WASTE-MISMATCH",
                  "DRUG-WASTE-AVOIDABLE", "DRUG-NDC-MISSING", "DRUG-NDC-FORMAT", "DRUG-ROUTE-MODIFIER",
                  "ADMIN-TIMES-MISSING", "ADMIN-PUSH", "ADMIN-ADDON-UNITS", "ADMIN-INITIAL-DUPLICATE",
                  "ADMIN-HYDRATION", "ADMIN-ROUTE", "ADMIN-SEQUENTIAL", "ADMIN-PUMP-LOG", "ADMIN-BUNDLED",
                  "DX-MISSING", "DX-INVALID", "DX-NOT-COVERED", "DX-CHEMO-ENCOUNTER", "AUTH-MISSING", "AUTH-EXPIRED",
                  "AUTH-UNITS", "PAYER-ABN-MODIFIER", "FORM-SETTING", "INPUT-AMBIGUOUS"]
    from igclaim import engine
    from igclaim.edits.registry import SPECS

    engine._load_edit_families()
    missing = [i for i in design_ids if i not in SPECS]
    assert not missing, missing


def test_docs_show_the_current_edit_catalog():
    """docs/edits.md carries the catalog generated from the registry; adding an edit means regenerating it."""
    from tests.conftest import ROOT

    doc = (ROOT / "docs" / "edits.md").read_text()
    shown = doc.split("<!-- catalog:start -->\n")[1].split("<!-- catalog:end -->")[0]
    proc = run_cli("edits", "--format", "markdown")
    assert proc.returncode == 0 and shown == proc.stdout
