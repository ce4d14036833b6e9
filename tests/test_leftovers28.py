"""Small defects found after audit 27: each test fails on the code before its fix."""

from __future__ import annotations

from tests.conftest import run_cli
from tests.test_edits_support import chart, only, scrub
from tests.test_export_cli import OFFICE


def test_written_dx_not_covered_where_the_chart_has_no_billable_diagnosis():
    """DX-NOT-COVERED on a written claim said "The chart's diagnoses () are covered." of a chart listing none, and
    called a chart of a category (D83, not billable) covered: coverage is judged on billable codes only."""
    none = only(scrub(chart(diagnoses=[]), lambda c: c.update(diagnoses=["R53.83"])), "DX-NOT-COVERED")
    assert none.message.startswith("No diagnosis on the claim (R53.83) is covered")
    assert none.message.endswith(" The chart lists no diagnosis to bill instead.")
    assert "()" not in none.message
    category = only(scrub(chart(diagnoses=["D83"]), lambda c: c.update(diagnoses=["R53.83"])), "DX-NOT-COVERED")
    assert category.message.endswith(" The chart lists no billable diagnosis to bill instead (D83).")
    assert "are covered" not in category.message


def test_a_chargemaster_file_with_fractions_of_a_cent_is_refused_naming_file_row_and_column(tmp_path):
    """`igclaim export --charges FILE` took 90.005 and billed 90.005 × 60 units as 5400.30 without a word, where the
    team's charge master (PUT /api/chargemaster) refuses it: one check (`fractions_of_a_cent`) for both."""
    cm = tmp_path / "cdm.csv"
    cm.write_text("code,unit_charge\n96365,250\nJ1561,90.005\n96366,80\n")
    r = run_cli("export", OFFICE, "--to", "837p", "--charges", str(cm))
    assert r.returncode == 2 and "SV1" not in r.stdout, r.stdout
    assert (f"{cm} (data row 2): unit_charge 90.005 for J1561 has more than 2 decimals; a charge is in cents"
            in r.stderr), r.stderr
    # Trailing zeros are cents still, and a whole number is.
    cm.write_text("code,unit_charge\n96365,250\nJ1561,90.000\n96366,80.10\n")
    r = run_cli("export", OFFICE, "--to", "837p", "--charges", str(cm))
    assert r.returncode == 0 and "SV1*HC:J1561:JZ*5400*UN*60***1" in r.stdout, r.stderr
