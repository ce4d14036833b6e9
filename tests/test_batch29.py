"""Defects an audit of batch runs found (session 29): parse-only reports, duplicate encounter ids, gzip input,
record numbers on results, a second Ctrl-C during the shutdown."""

from __future__ import annotations

import re

from igclaim.batch import run_batch
from tests.conftest import ROOT

WITH_ERRORS = ROOT / "examples" / "batch" / "with-errors.jsonl"


def _tile(html: str, tile_id: str) -> str:
    """The number, label and sub-line of a report tile."""
    m = re.search(rf'id="{tile_id}">([^<]*)</div><div class="lbl">([^<]*)</div><div class="sub">([^<]*)<', html)
    assert m, tile_id
    return " | ".join(m.groups())


def test_a_parse_only_report_says_what_the_run_did_not_0_coded(tmp_path):
    """--parse-only's report said '0 coded' and showed empty claim tiles, as if every record had failed coding."""
    summary = run_batch(WITH_ERRORS, tmp_path / "out", workers=1, parse_only=True)
    assert (summary.records, summary.parsed_only, summary.errors) == (6, 4, 2)
    html = (tmp_path / "out" / "report.html").read_text()
    assert "0 coded" not in html and "claims clean" not in html
    assert _tile(html, "total-records") == "6 | records read | 4 valid · 2 not valid (parse only: not coded)"
    assert _tile(html, "total-valid").startswith("4 | records valid")
    assert 'id="parse-only"' in html and "not coded" in html


def test_a_coding_run_keeps_its_report_tiles(tmp_path):
    run_batch(WITH_ERRORS, tmp_path / "out", workers=1)
    html = (tmp_path / "out" / "report.html").read_text()
    assert _tile(html, "total-records") == "6 | records read | 3 coded · 3 could not be read or coded"
    assert 'id="parse-only"' not in html
