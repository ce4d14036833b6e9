"""Small defects found after audit 27: each test fails on the code before its fix."""

from __future__ import annotations

from tests.test_edits_support import chart, only, scrub


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
