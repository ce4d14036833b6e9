"""Defects an outside audit found in the batch report and the input readers (one test or more per defect)."""

from __future__ import annotations

import json
from pathlib import Path

from igclaim.batch import run_batch
from igclaim.readers.x12 import ReadError, read_837

# Two claims (C0, C1) under one subscriber HL, a third (C2) under its own: the auditor's two-under-one-hl.837
_TWO_UNDER_ONE_HL = [
    'ISA*00*          *00*          *ZZ*1234567893     *ZZ*00952          *261207*0752*^*00501*000000001*0*T*:',
    'GS*HC*1234567893*00952*20261207*0752*1*X*005010X222A1',
    'ST*837*0001*005010X222A1',
    'BHT*0019*00*IGC000000001*20261207*0752*CH',
    'NM1*41*2*VALLEY INFUSION CLINIC*****46*1234567893',
    'PER*IC*VALLEY INFUSION CLINIC*TE*5555550100',
    'NM1*40*2*MEDICARE PART B*****46*00952',
    'HL*1**20*1',
    'PRV*BI*PXC*207RA0201X',
    'NM1*85*2*VALLEY INFUSION CLINIC*****XX*1234567893',
    'N3*1 MAIN ST',
    'N4*SPRINGFIELD*IL*627011234',
    'REF*EI*990000001',
    'HL*2*1*22*0',
    'SBR*P*18*******MB',
    'NM1*IL*1*DOE*SARAH****MI*MEMBSAME',
    'N3*101 ELM ST',
    'N4*SPRINGFIELD*IL*62704',
    'DMG*D8*19800501*F',
    'NM1*PR*2*MEDICARE PART B*****PI*00952',
    'CLM*C0*1600***11:B:1*Y*A*Y*Y',
    'HI*ABK:D693',
    'NM1*82*1*LEE*ANN****XX*1245319599',
    'LX*1',
    'SV1*HC:J1559:JZ*1200*UN*60***1',
    'DTP*472*D8*20260319',
    'LIN**N4*44206045101',
    'CTP****30*ML',
    'LX*2',
    'SV1*HC:96369*300*UN*1***1',
    'DTP*472*D8*20260319',
    'LX*3',
    'SV1*HC:96370*100*UN*1***1',
    'DTP*472*D8*20260319',
    'CLM*C1*8300***11:B:1*Y*A*Y*Y',
    'HI*ABK:G6181',
    'NM1*82*1*LEE*ANN****XX*1245319599',
    'LX*1',
    'SV1*HC:J1566:JZ*8000*UN*80***1',
    'DTP*472*D8*20260303',
    'LIN**N4*00944265603',
    'CTP****4*UN',
    'LX*2',
    'SV1*HC:96365*300*UN*1***1',
    'DTP*472*D8*20260303',
    'HL*3*1*22*0',
    'SBR*P*18*******MB',
    'NM1*IL*1*DOE*SARAH****MI*MEMBSAME',
    'N3*101 ELM ST',
    'N4*SPRINGFIELD*IL*62704',
    'DMG*D8*19800501*F',
    'NM1*PR*2*MEDICARE PART B*****PI*00952',
    'CLM*C2*1900***11:B:1*Y*A*Y*Y',
    'HI*ABK:M3310',
    'NM1*82*1*LEE*ANN****XX*1245319599',
    'LX*1',
    'SV1*HC:J1558:JZ*1600*UN*80***1',
    'DTP*472*D8*20260113',
    'LIN**N4*13533081020',
    'CTP****40*ML',
    'LX*2',
    'SV1*HC:96369*300*UN*1***1',
    'DTP*472*D8*20260113',
    'SE*62*0001',
    'GE*1*1',
    'IEA*1*000000001',
]


def _837(tmp_path: Path, clm01: bytes = b"C0") -> Path:
    text = "~\n".join(_TWO_UNDER_ONE_HL) + "~\n"
    path = tmp_path / "claims.837"
    path.write_bytes(text.encode("ascii").replace(b"CLM*C0*", b"CLM*" + clm01 + b"*"))
    return path


def test_837_sanity_all_three_claims_read(tmp_path):
    out = list(read_837(_837(tmp_path)))
    assert [o.claim_id for o in out] == ["C0", "C1", "C2"] and not any(isinstance(o, ReadError) for o in out)


def test_837_claim_id_not_ascii_is_an_error_of_its_own_and_its_neighbour_is_read(tmp_path):
    """A byte that is not ASCII in CLM01 refused the claim's HL (parked as a header error after finish() had
    cleared the claim): C0 vanished and C1, under the same subscriber, carried C0's error."""
    out = list(read_837(_837(tmp_path, b"C\xe90")))
    errors = [o for o in out if isinstance(o, ReadError)]
    claims = [o for o in out if not isinstance(o, ReadError)]
    assert [c.claim_id for c in claims] == ["C1", "C2"]
    assert len(errors) == 1
    e = errors[0]
    assert (e.claim_id, e.segment, e.element) == ("C\\xe90", "CLM", "CLM01") and "not ASCII" in e.message
    assert e.position == 21  # the CLM's own segment


def test_837_batch_counts_the_refused_claim(tmp_path):
    summary = run_batch(_837(tmp_path, b"C\xe90"), tmp_path / "out", workers=1)
    assert (summary.records, summary.results, summary.errors) == (3, 2, 1) and summary.accounted
    errs = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    res = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert len(errs) == 1 and "not ASCII" in errs[0]["reason"] and "\xe9" not in json.dumps(errs[0])
    assert sorted(r["encounter_id"] for r in res) == ["C1", "C2"]
    assert (errs[0]["record"], errs[0]["segment"], errs[0]["encounter_id"]) == (1, 21, "C\\xe90")


# --- CSV row errors: their encounter id, their field (the column, not the row), their stage ---------------------

_CSV_HEAD = ("encounter_id,date_of_service,setting,payer_type,payer_name,diagnoses,drug_id,product,route,dose_grams,"
             "containers,admin_start,admin_stop\n")


def _csv_row(enc_id: str, containers: str = "4x10g") -> str:
    return (f"{enc_id},2026-03-02,office,medicare,Medicare Part B,D83.9,ig1,Gammaplex,IV,40,{containers},"
            "2026-03-02T10:00,2026-03-02T14:00\n")


def _errors(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()]


def test_csv_row_errors_keep_their_encounter_id_and_group_by_column(tmp_path):
    """Each row error had "encounter_id": null (the id was read but returned only after rows_to_encounter, which
    raised first), and its field was "row N column containers", so the report's input-error table had one line a
    row (200 lines of 1 and "(other reasons) 100") instead of one line of 300."""
    src = tmp_path / "rows.csv"
    src.write_text(_CSV_HEAD + "".join(_csv_row(f"x{i}", "4 boxes of 10g") for i in range(300)) + _csv_row("ok"))
    summary = run_batch(src, tmp_path / "out", workers=1)
    assert (summary.records, summary.results, summary.errors) == (301, 1, 300)
    errors = _errors(tmp_path / "out")
    assert [e["encounter_id"] for e in errors] == [f"x{i}" for i in range(300)]
    assert {(e["stage"], e["field"]) for e in errors} == {("rows", "column containers")}
    assert [e["row"] for e in errors] == list(range(2, 302))  # the row stays in the entry's own record
    assert errors[7]["reason"].startswith("row 9 column containers: ")
    report = (tmp_path / "out" / "report.html").read_text()
    table = report.split('<tbody id="input-errors">', 1)[1].split("</tbody>", 1)[0]
    assert table == "<tr><td><code>rows: column containers</code></td><td class='n'>300</td></tr>"


def test_csv_row_not_utf8_is_a_rows_error(tmp_path):
    src = tmp_path / "rows.csv"
    src.write_bytes((_CSV_HEAD + _csv_row("a1")).encode() + _csv_row("b\xe9").encode("latin-1")
                    + _csv_row("c1").encode())
    summary = run_batch(src, tmp_path / "out", workers=1)
    assert (summary.records, summary.results, summary.errors) == (3, 2, 1)
    [e] = _errors(tmp_path / "out")
    assert (e["row"], e["stage"], e["field"]) == (3, "rows", "column encounter_id") and "0xe9" in e["reason"]


# --- CSV row numbers count physical lines -------------------------------------------------------------------------

def _rows_of(path: Path) -> list[tuple[int, str | None]]:
    from igclaim.batch.sources import RowProblem, Source

    src = Source(path, "csv")
    return [(n, row.message.split(":")[0] if isinstance(row, RowProblem) else row["encounter_id"])
            for n, row in src._csv_rows()]


def test_csv_row_number_counts_a_blank_line(tmp_path):
    """blankline.csv: the bad record on physical line 4 was reported as row 3 (DictReader skips blank lines)."""
    src = tmp_path / "blank.csv"
    src.write_text("encounter_id,date_of_service,setting\na1,2026-03-02,office\n\nbad,2026-13-45,office\n")
    run_batch(src, tmp_path / "out", workers=1)
    assert [(e["encounter_id"], e["row"], e["last_row"]) for e in _errors(tmp_path / "out")] == [
        ("a1", 2, 2), ("bad", 4, 4)]  # (a1 is an error too: it has no payer)


def test_csv_row_numbers_after_blank_lines_and_an_unclosed_quote(tmp_path):
    src = tmp_path / "rows.csv"
    src.write_text("encounter_id,setting\r\n"  # 1
                   "a,office\r\n"  # 2
                   "\r\n"  # 3
                   "\r\n"  # 4
                   'b,"office\r\n'  # 5: an unclosed quote takes the lines after it
                   "\r\n"  # 6
                   "c,office\r\n"  # 7
                   "d,office\r\n")  # 8
    assert _rows_of(src) == [(2, "a"), (5, "row 5"), (7, "c"), (8, "d")]


def test_csv_row_numbers_after_a_cell_over_several_lines(tmp_path):
    src = tmp_path / "rows.csv"
    src.write_text('encounter_id,setting\n"a\nstill a",office\n\nb,office\n')  # b is on physical line 5
    assert _rows_of(src) == [(2, "row 2"), (3, 'still a"'), (5, "b")]


# --- the report's headline money: each claim line once; coverage in its own figure -------------------------------

def _money(report: str) -> dict[str, str]:
    import re

    return dict(re.findall(r"id='(usd-[a-z-]+|units-at-risk)'>([^<]*)<", report))


def test_headline_counts_a_line_once_by_its_largest_finding():
    """Two findings on one line (units billed by mL, and a diagnosis the policy does not cover) are about the same
    money: the headline added both ($660 for a $360 line), and put the coverage denial among "billed beyond the
    charts". The table by edit still adds each edit's own findings."""
    from igclaim.outputs.report import ReportAggregator

    agg = ReportAggregator()
    agg.add_result({"encounter_id": "a", "date_of_service": "2026-03-02", "setting": "office", "payer_type": "medicare",
                    "mode": "scrub", "findings": [
                        ("DRUG-UNITS-ML", "error", -10, -300.0, "", 1),
                        ("DX-NOT-COVERED", "error", -12, -360.0, "", 1),  # line 1: $360 at risk for coverage
                        ("DRUG-UNITS-ML", "error", 5, 50.0, "", 2),  # line 2: $50 left unbilled
                        ("DRUG-JZ-MISSING", "error", -3, -45.0, "", 3),  # line 3: $45 billed beyond the chart
                        ("DRUG-WASTE-AVOIDABLE", "warning", -2, -20.0, "", None),  # no line: the claim's largest once
                        ("DRUG-WASTE-AVOIDABLE", "warning", -3, -30.0, "", None),
                        ("DX-NOT-COVERED", "error", None, None, "", None)]})  # not priced: no money
    agg.add_result({"encounter_id": "b", "date_of_service": "2026-03-02", "setting": "office", "payer_type": "medicare",
                    "mode": "scrub", "findings": [("DRUG-UNITS-ML", "error", -10, -300.0, "", 1)]})  # another claim
    assert agg.impact_usd == 360 + 50 + 45 + 30 + 300
    assert (agg.unbilled_usd, agg.beyond_chart_usd, agg.coverage_usd) == (50, 45 + 30 + 300, 360)
    assert agg.impact_units == 12 + 5 + 3 + 3 + 10
    assert (agg.priced_lines, agg.priced_findings) == (5, 7)
    assert agg.edits["DRUG-UNITS-ML"].impact_usd == 650 and agg.edits["DX-NOT-COVERED"].impact_usd == 360
    assert agg.edits["DRUG-WASTE-AVOIDABLE"].impact_usd == 50 and agg.edits["DRUG-WASTE-AVOIDABLE"].impact_units == 5
    page = agg.render({"input": "x.jsonl"})
    assert _money(page) == {"usd-at-risk": "$785.00", "usd-unbilled": "$50.00", "usd-beyond-chart": "$375.00",
                            "usd-coverage": "$360.00", "units-at-risk": "33"}
    assert "counted once" in page


def test_headline_money_of_generated_claims(tmp_path):
    """1,000 generated encounters (benchmarks/generate.py, seed 7): the headline is the recount of results.jsonl
    with each claim line once (its largest priced finding; findings of no line once a claim), not the sum of every
    finding ($1,670,564.44 here; the audit's 20,000: $30,960,482.30 against $28,549,915.74). Each finding's dollars
    are the change in its line's payment rounded to cents, so a line's units-by-mL finding and its coverage finding
    differ by a cent where they tied before (record 73: $5,434.13 unbilled against $5,434.14 denied), and such a
    line now counts under coverage."""
    import sys
    from decimal import Decimal

    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import generate

    coverage = {"DX-NOT-COVERED", "DX-POINTER-NOT-COVERED", "DX-ROUTE-OFF-LABEL"}  # report.COVERAGE_EDITS
    src = tmp_path / "gen.jsonl"
    generate.write_jsonl(src, generate.encounters(1_000, seed=7))
    run_batch(src, tmp_path / "out", workers=1)
    results = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    every = sum(abs(Decimal(str(f["impact_usd"]))) for r in results for f in r["findings"] if f["impact_usd"])
    money = {"usd-at-risk": Decimal(0), "usd-unbilled": Decimal(0), "usd-beyond-chart": Decimal(0),
             "usd-coverage": Decimal(0)}
    units = 0
    for r in results:
        lines: dict = {}
        for f in r["findings"]:
            lines.setdefault(f["line"], []).append(f)
        for found in lines.values():
            units += max(abs(f["impact_units"] or 0) for f in found)
            priced = [f for f in found if f["impact_usd"] is not None]
            if priced:
                top = max(priced, key=lambda f: (abs(Decimal(str(f["impact_usd"]))), f["edit"] not in coverage))
                usd = Decimal(str(top["impact_usd"]))
                money["usd-at-risk"] += abs(usd)
                kind = "usd-coverage" if top["edit"] in coverage else "usd-unbilled" if usd > 0 \
                    else "usd-beyond-chart"
                money[kind] += abs(usd)
    report = _money((tmp_path / "out" / "report.html").read_text())
    assert report == {**{k: f"${v:,.2f}" for k, v in money.items()}, "units-at-risk": f"{units:,}"}
    # DRUG-NDC-MISSING puts the drug line at stake where the payer requires the NDC (40 priced findings, $226,105.56
    # of them): on a line that is also DX-NOT-COVERED's, the two tie, and the line counts under the one not about
    # coverage (the tie rule above).
    assert (f"${every:,.2f}", report) == ("$1,670,564.44", {
        "usd-at-risk": "$1,514,145.26", "usd-unbilled": "$177,249.54", "usd-beyond-chart": "$745,355.52",
        "usd-coverage": "$591,540.20", "units-at-risk": "28,203"})


# --- an exact duplicate CSV row ----------------------------------------------------------------------------------

def test_csv_exact_duplicate_row_is_not_billed_twice(tmp_path):
    """An encounter exported twice (drug_id empty) became one claim with two drugs, the drug billed twice, and no
    finding. An exact duplicate row is now that encounter's rows error (the biller removes the repeated row)."""
    src = tmp_path / "dup.csv"
    src.write_text(_CSV_HEAD + _csv_row("e01").replace(",ig1,", ",,") * 2 + _csv_row("e02"))
    summary = run_batch(src, tmp_path / "out", workers=1)
    assert (summary.records, summary.results, summary.errors) == (2, 1, 1)
    [e] = _errors(tmp_path / "out")
    assert (e["encounter_id"], e["stage"], e["row"], e["last_row"]) == ("e01", "rows", 2, 3)
    assert e["reason"].startswith("row 3: the same as row 2 in every cell")


# --- a finding that carries other lines' money (DX-NOT-COVERED and the administration denied with its drug) -------

def _claim(findings: list[tuple]) -> dict:
    return {"encounter_id": "a", "date_of_service": "2026-03-02", "setting": "office", "payer_type": "medicare",
            "mode": "scrub", "findings": findings}


def test_headline_counts_a_denied_administration_line_once_with_the_drugs_finding():
    """DX-NOT-COVERED on the J-code line (1) carries in its dollars the administration lines denied with the drug (2
    and 3: 2,944.56 + 150.00 + 4 × 40.00); an hour over on the 96366 line (3) is the same money: the headline counted
    $3,294.56. The finding names the lines it covers (the 7th element): lines 1, 2 and 3 are one group, counted once
    by its largest finding. Units stay by line (DX-NOT-COVERED's are J1561's only: 60 + 1). The table by edit still
    adds each edit's own findings."""
    from igclaim.outputs.report import ReportAggregator

    agg = ReportAggregator()
    agg.add_result(_claim([("DX-NOT-COVERED", "error", -60, -3254.56, "", 1, (2, 3)),
                           ("ADMIN-ADDON-UNITS", "error", -1, -40.0, "", 3, ())]))
    assert round(agg.impact_usd, 2) == 3254.56
    assert (round(agg.coverage_usd, 2), agg.beyond_chart_usd, agg.unbilled_usd) == (3254.56, 0, 0)
    assert (agg.impact_units, agg.priced_lines, agg.priced_findings) == (61, 1, 2)
    assert agg.edits["DX-NOT-COVERED"].impact_usd == 3254.56 and agg.edits["ADMIN-ADDON-UNITS"].impact_usd == 40.0
    assert _money(agg.render({"input": "x.jsonl"}))["usd-at-risk"] == "$3,254.56"


def test_a_covered_lines_finding_larger_than_the_groups_wins_and_lines_in_two_groups_join_them():
    """Within the group the largest finding counts, wherever it is (a $5,000.00 finding on line 3, not about
    coverage); a line named by two findings joins their groups (line 5 with 3: one group of 1, 3, 4, 5); findings of
    no line that cover lines join the claim's group; a summary of six elements (an older caller) still counts."""
    from igclaim.outputs.report import ReportAggregator

    agg = ReportAggregator()
    agg.add_result(_claim([("DX-NOT-COVERED", "error", -60, -3254.56, "", 1, (2, 3)),
                           ("DRUG-UNITS-ML", "error", -100, -5000.0, "", 3, ()),
                           ("DX-NOT-COVERED", "error", -10, -500.0, "", 4, (3, 5)),
                           ("ADMIN-ADDON-UNITS", "error", -1, -40.0, "", 5),  # six elements
                           ("DRUG-UNITS-ML", "error", 2, 20.0, "", 6),  # a line of its own
                           ("DRUG-WASTE-AVOIDABLE", "warning", -3, -30.0, "", None, (7,)),
                           ("ADMIN-ADDON-UNITS", "error", -1, -40.0, "", 7, ())]))
    assert agg.impact_usd == 5000 + 20 + 40
    assert (agg.beyond_chart_usd, agg.unbilled_usd, agg.coverage_usd) == (5040, 20, 0)
    assert (agg.impact_units, agg.priced_lines) == (60 + 100 + 10 + 1 + 2 + 3 + 1, 3)  # units: by line


def test_two_findings_that_each_cover_the_others_line_are_one_group():
    """Two products' DX-NOT-COVERED findings, each on its own drug line and each carrying the other's line (a shared
    administration written on both): one group, counted once by the larger ($3,254.56), not a loop of groups."""
    from igclaim.outputs.report import ReportAggregator

    agg = ReportAggregator()
    agg.add_result(_claim([("DX-NOT-COVERED", "error", -60, -3254.56, "", 1, (2,)),
                           ("DX-NOT-COVERED", "error", -20, -1000.0, "", 2, (1,))]))
    assert (round(agg.impact_usd, 2), agg.priced_lines) == (3254.56, 1)


def test_a_tie_in_a_group_is_counted_as_the_finding_not_about_coverage_whichever_comes_first():
    """Two findings of the same dollars on one line, DX-NOT-COVERED first: the line's money is counted as billed
    beyond the chart (the other finding), not as coverage; as when the other comes first."""
    from igclaim.outputs.report import ReportAggregator

    for findings in ([("DX-NOT-COVERED", "error", -60, -100.0, "", 1, ()), ("DRUG-UNITS", "error", -60, -100.0, "", 1)],
                     [("DRUG-UNITS", "error", -60, -100.0, "", 1), ("DX-NOT-COVERED", "error", -60, -100.0, "", 1)]):
        agg = ReportAggregator()
        agg.add_result(_claim(findings))
        assert (agg.coverage_usd, agg.beyond_chart_usd, agg.impact_usd) == (0, 100.0, 100.0), findings
