"""The batch report: self-contained HTML whose totals agree with results.jsonl, errors.jsonl and findings.csv."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from html.parser import HTMLParser

from igclaim.batch import run_batch
from igclaim.outputs.report import ReportAggregator
from tests.conftest import EXAMPLES, load_example


class _Page(HTMLParser):
    """Collects text by element id, table rows by tbody id, and every tag and URL-bearing attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.tags: Counter = Counter()
        self.urls: list[str] = []
        self._open: list[tuple[str, str | None]] = []
        self._tbody: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] += 1
        self.urls += [v for k, v in attrs if k in ("src", "href", "xlink:href") and v]
        self._open.append((tag, a.get("id")))
        if tag == "tbody":
            self._tbody = a.get("id")
            self.tables[self._tbody] = []
        elif tag == "tr" and self._tbody:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._tbody:
            self.tables[self._tbody].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._tbody = None
        while self._open:
            t, _ = self._open.pop()
            if t == tag:
                break

    def handle_data(self, data):
        for _, ident in self._open:
            if ident:
                self.by_id[ident] = self.by_id.get(ident, "") + data
        if self._cell is not None:
            self._cell.append(data)


def _number(text: str) -> int:
    return int(text.strip().replace(",", "") or 0)


def _page(path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_report_totals_match_the_outputs(tmp_path):
    inputs = [load_example(p)["input"] for p in EXAMPLES]
    lines = [json.dumps(e) for e in inputs] + ["{not json", json.dumps({**inputs[0], "setting": "clinic"})]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    run_batch(src, out, workers=2, chunk_size=4)

    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    errors = (out / "errors.jsonl").read_text().splitlines()
    severities = [{f["severity"] for f in r["findings"]} for r in results]
    with (out / "findings.csv").open() as f:
        findings = list(csv.DictReader(f))
    page = _page(out / "report.html")

    assert _number(page.by_id["total-records"]) == len(lines)
    assert _number(page.by_id["total-input-errors"]) == len(errors) == 2
    assert _number(page.by_id["total-with-errors"]) == sum("error" in s for s in severities)
    assert _number(page.by_id["total-warnings"]) == sum("warning" in s and "error" not in s for s in severities)
    assert _number(page.by_id["total-clean"]) == sum(not ({"error", "warning"} & s) for s in severities)
    assert _number(page.by_id["total-findings"]) == len(findings) == sum(len(r["findings"]) for r in results)
    # the table by edit: one row per edit id, with the findings of findings.csv
    by_edit = {row[0]: _number(row[4]) for row in page.tables["by-edit"]}
    assert by_edit == dict(Counter(f["edit"] for f in findings))
    stages = {row[0]: _number(row[1]) for row in page.tables["input-errors"]}
    assert stages == {"json: (json)": 1, "schema: setting": 1}


def test_report_is_self_contained(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(load_example(p)["input"]) + "\n" for p in EXAMPLES))
    run_batch(src, tmp_path / "out", workers=2)
    text = (tmp_path / "out" / "report.html").read_text()
    page = _page(tmp_path / "out" / "report.html")
    assert page.tags["svg"] >= 3 and page.tags["style"] == 1
    assert not page.tags["script"] and not page.tags["link"] and not page.tags["img"]
    assert page.urls == []
    assert not re.search(r"@import|url\(", text)


def _summary(dos: str, findings: list[tuple], payer: str = "medicare") -> dict:
    return {"encounter_id": "x", "date_of_service": dos, "setting": "office", "payer_type": payer, "mode": "build",
            "findings": findings}


def test_aggregator_counts_weeks_and_impacts():
    agg = ReportAggregator()
    agg.add_result(_summary("2026-03-02", []))  # a Monday
    agg.add_result(_summary("2026-03-08", [("A-1", "warning", 10, None, "fix a")]))  # the Sunday of that week
    agg.add_result(_summary("2026-03-09", [("B-2", "error", -4, -120.5, "fix b", 1), ("B-2", "error", 2, 30.0, "", 2),
                                           ("C-3", "info", None, None, "")], payer="commercial"))  # two lines
    agg.add_error({"stage": "schema", "field": "drugs[3].dose"})
    agg.add_error({"stage": "schema", "field": "drugs[0].dose"})
    assert (agg.records, agg.results, agg.errors) == (5, 3, 2)
    assert (agg.clean, agg.warnings_only, agg.with_errors) == (1, 1, 1)
    assert dict(agg.claims_by_week) == {"2026-03-02": 2, "2026-03-09": 1}
    assert agg.weeks["2026-03-09"]["error"] == 2
    assert agg.edits["B-2"].findings == 2 and agg.edits["B-2"].claims == 1
    assert agg.impact_units == 16 and agg.impact_usd == 150.5 and agg.priced_findings == 2
    assert (agg.unbilled_usd, agg.beyond_chart_usd) == (30.0, 120.5)
    assert agg.input_errors == Counter({"schema: drugs[].dose": 2})
    html = agg.render({"input": "x.jsonl", "interrupted": True}, {"B-2": ("statement <b>", "catalog fix")})
    assert "interrupted" in html and "statement &lt;b&gt;" in html and "catalog fix" in html
    assert "$150.50" in html and "$30.00</b> the charts support" in html and "$120.50</b> billed beyond" in html


def test_empty_report_renders():
    html = ReportAggregator().render({"input": "empty.jsonl"})
    assert "No findings." in html and "No coded claims." in html and 'id="total-records">0<' in html
