"""DX-NOT-COVERED's money at stake counts the administration of the uncovered immune globulin with the drug: CGS,
"Drug Administration Reminder" (https://www.cgsmedicare.com/partb/pubs/news/2021/03/cope20933.html): "If a
medication is determined not to be reasonable and necessary ..., CGS will deny coverage for both the drug and its
administration." The administration of other drugs (a premedication's push) is not counted; per product, only that
product's administration (a line shared with a covered product: its units only).

Prices: the drug at the bundled CMS ASP payment limit of 2026 Q1 (J1561 49.076, J1559 14.543, J1459 50.281 a unit);
the administration by a synthetic `code,amount` schedule imported for 2026 (igclaim bundles no fee schedule), so
the amounts are the test's own: 96365 $150.00, 96366 $40.00, 96367 $70.00, 96369 $120.00, 96375 $30.00, 96361
$35.00, 96371 $25.00, 36000 $20.00, Q2052 $50.00 (paid once per date)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from igclaim.model import Finding, Result
from igclaim.refdata import store
from igclaim.refdata.importers import Options
from tests.test_edits_support import build, built_claim, chart, scrub

FEES = ("code,amount\n96365,150.00\n96366,40.00\n96367,70.00\n96369,120.00\n96375,30.00\n96361,35.00\n"
        "96371,25.00\n36000,20.00\nQ2052,50.00\n")
GAMUNEX = {"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
           "containers": [{"grams": 10, "count": 3}]}
HIZENTRA = {"id": "ig2", "product": "Hizentra", "route": "SC", "dose": {"grams": 10},
            "containers": [{"grams": 10, "count": 1}]}
PRIVIGEN = {"id": "ig2", "product": "Privigen", "route": "IV", "dose": {"grams": 20},
            "containers": [{"grams": 10, "count": 2}]}
PREMED = {"id": "pre", "hcpcs": "J1200", "units": 1, "route": "IV"}
CGS = {"type": "medicare", "name": "Medicare Part B", "contractor": "J15"}  # A56779 + A57160: G43.909 not listed


@pytest.fixture()
def fees(home: Path, tmp_path: Path) -> None:
    schedule = tmp_path / "fees-synthetic.csv"
    schedule.write_text(FEES)
    store.import_file("fees", schedule, Options(effective=date(2026, 1, 1), schedule="acme"))


def _profile(tmp_path: Path, limit: str) -> str:
    """Original Medicare's profile with a binding list of its own covering CIDP (G61.81) for one product or route
    only (`limit`, a TOML line), so one product of the chart is covered and the other is not."""
    pol = tmp_path / "cidp-limited.toml"
    pol.write_text('[policy]\nname = "cidp-limited"\ntitle = "Test list: CIDP limited"\nkind = "official"\n'
                   'severity = "error"\nsource = "https://example.org/policy"\n\n[[indication]]\nname = "CIDP"\n'
                   f'codes = ["G61.81"]\n{limit}\n')
    bundled = Path(__file__).resolve().parents[1] / "src/igclaim/refdata/payers/medicare-part-b.toml"
    text = bundled.read_text()
    assert 'values = { "2000-01-01" = "default-ig" }' in text
    prof = tmp_path / "medicare-own-list.toml"
    prof.write_text(text.replace('values = { "2000-01-01" = "default-ig" }',
                                 'values = { "2000-01-01" = "cidp-limited.toml" }'))
    return str(prof)


def _hizentra_uncovered(tmp_path: Path) -> dict:
    """IVIG (Gamunex-C, 5 hours) covered for CIDP, SC Hizentra (90 minutes) not: 96365, 96366 × 4 and 96369."""
    return chart(diagnoses=["G61.81"], drugs=[GAMUNEX, HIZENTRA],
                 payer={"type": "medicare", "name": "Medicare Part B",
                        "profile": _profile(tmp_path, 'routes = ["IV"]')},
                 administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"},
                                  {"drug_id": "ig2", "start": "2026-03-02T14:10", "stop": "2026-03-02T15:40"}])


def _privigen_uncovered(tmp_path: Path, administrations: list[dict]) -> dict:
    """Gamunex-C covered for CIDP, Privigen (IV too) not."""
    return chart(diagnoses=["G61.81"], drugs=[GAMUNEX, PRIVIGEN],
                 payer={"type": "medicare", "name": "Medicare Part B",
                        "profile": _profile(tmp_path, 'products = ["J1561"]')},
                 administrations=administrations)


def _written(enc: dict, *lines: tuple[str, int]) -> dict:
    """The chart's built claim with its lines replaced by these (code, units), numbered in order."""
    written = built_claim(enc)
    written["lines"] = [{"line": n, "code": code, "units": units, "modifiers": ["JZ"] if code.startswith("J") else [],
                         "diagnosis_pointers": [1]} for n, (code, units) in enumerate(lines, start=1)]
    return written


def _batch(enc: dict, tmp_path: Path) -> tuple[list[tuple[str, int, float]], dict[str, str], dict[str, str]]:
    """`igclaim batch` on one chart: its priced findings (edit, line, dollars), the report's headline figures and its
    dollars by edit."""
    import re

    from typer.testing import CliRunner

    from igclaim.cli import app

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(enc) + "\n")
    res = CliRunner().invoke(app, ["batch", str(src), "--out", str(tmp_path / "out"), "-w", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    [result] = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    priced = sorted((f["edit"], f["line"], f["impact_usd"]) for f in result["findings"] if f["impact_usd"] is not None)
    page = (tmp_path / "out" / "report.html").read_text()
    money = dict(re.findall(r"id='(usd-[a-z-]+|units-at-risk)'>([^<]*)<", page))
    rows = dict(re.findall(r"<tr data-edit='([A-Z-]+)'>.*?<td class='n'>(\$[\d,.]+|—)</td></tr>", page))
    return priced, money, rows


def _dx(result: Result) -> list[Finding]:
    return [f for f in result.findings if f.edit == "DX-NOT-COVERED"]


def _codes(result: Result) -> list[tuple[str, int]]:
    return [(ln.code, ln.units) for ln in result.claim.lines]


def test_build_counts_the_drug_and_both_administration_lines(fees: None) -> None:
    r = build(chart(diagnoses=["G43.909"], payer=CGS))
    assert _codes(r) == [("J1561", 60), ("96365", 1), ("96366", 4)]
    [f] = _dx(r)
    # 60 × 49.076 = 2,944.56 (J1561) + 150.00 (96365) + 4 × 40.00 (96366) = 3,254.56; the units stay J1561's
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-3254.56"))


def test_a_premedications_push_is_not_counted(fees: None) -> None:
    enc = chart(diagnoses=["G43.909"], payer=CGS, drugs=[GAMUNEX, PREMED],
                administrations=[{"drug_id": "pre", "method": "push", "start": "2026-03-02T08:50",
                                  "stop": "2026-03-02T08:50"},
                                 {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"}])
    r = build(enc)
    assert [ln.expected_payment for ln in r.claim.lines if ln.code == "96375"] == [Decimal("30.00")]
    [f] = _dx(r)
    # 2,944.56 + 150.00 + 160.00 = 3,254.56: the 96375 push ($30.00) gives the premedication, not the IVIG
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-3254.56"))


def test_scrub_counts_the_written_administration_lines(fees: None) -> None:
    enc = chart(diagnoses=["G43.909"], payer=CGS)
    written = built_claim(enc)
    written["lines"] = [
        {"line": 1, "code": "96365", "units": 1, "modifiers": [], "diagnosis_pointers": [1]},
        {"line": 2, "code": "96366", "units": 3, "modifiers": [], "diagnosis_pointers": [1]},
        {"line": 3, "code": "J1561", "units": 60, "modifiers": ["JZ"], "diagnosis_pointers": [1]}]
    [f] = _dx(scrub(enc, claim=written))
    # what goes out: 2,944.56 + 150.00 + 3 × 40.00 (96366 written × 3, not the chart's 4) = 3,214.56
    assert (f.line, f.impact_units, f.impact_usd) == (3, -60, Decimal("-3214.56"))


def test_scrub_counts_a_written_administration_code_the_chart_does_not_support(fees: None) -> None:
    """The chart's only administration is the IVIG's: a 96366 the coding has none of gives it too."""
    enc = chart(diagnoses=["G43.909"], payer=CGS,
                administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"}])
    written = built_claim(enc)
    assert [ln["code"] for ln in written["lines"]] == ["J1561", "96365"]
    written["lines"].append({"line": 3, "code": "96366", "units": 1, "modifiers": [], "diagnosis_pointers": [1]})
    [f] = _dx(scrub(enc, claim=written))
    # 2,944.56 + 150.00 + 40.00 = 3,134.56
    assert f.impact_usd == Decimal("-3134.56")
    # a premedication charted too: the 96366 might give it, so it is not counted (2,944.56 + 150.00 for the 96365)
    enc["drugs"] = [GAMUNEX, PREMED]
    enc["administrations"].append({"drug_id": "pre", "method": "push", "start": "2026-03-02T08:50",
                                   "stop": "2026-03-02T08:50"})
    [f] = _dx(scrub(enc, claim=written))
    assert f.impact_usd == Decimal("-3094.56")


def test_per_product_counts_only_that_products_administration(fees: None, tmp_path: Path) -> None:
    """IVIG covered for CIDP, SC Hizentra not: Hizentra's finding counts its 96369, never the IVIG's lines."""
    enc = _hizentra_uncovered(tmp_path)
    r = build(enc)
    assert _codes(r) == [("J1561", 60), ("J1559", 100), ("96365", 1), ("96366", 4), ("96369", 1)]
    [f] = _dx(r)
    assert "Hizentra" in f.message and "Gamunex-C" not in f.message
    # 100 × 14.543 = 1,454.30 (J1559) + 120.00 (96369) = 1,574.30; 96365 and 96366 give the covered IVIG
    assert (f.impact_units, f.impact_usd) == (-100, Decimal("-1574.30"))


def test_per_product_counts_its_share_of_a_line_shared_with_the_covered_product(fees: None, tmp_path: Path) -> None:
    """Gamunex-C covered for CIDP, Privigen not, both IV: 96366 × 5 holds Gamunex-C's 4 hours and Privigen's 1."""
    enc = _privigen_uncovered(tmp_path, [
        {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"},
        {"drug_id": "ig2", "start": "2026-03-02T14:10", "stop": "2026-03-02T16:40"}])
    r = build(enc)
    assert _codes(r) == [("J1561", 60), ("J1459", 40), ("96365", 1), ("96366", 5), ("96367", 1)]
    [f] = _dx(r)
    # 40 × 50.281 = 2,011.24 (J1459) + 70.00 (96367) + 1 of 96366's 5 units (40.00) = 2,121.24
    assert (f.impact_units, f.impact_usd) == (-40, Decimal("-2121.24"))
    [s] = _dx(scrub(enc))
    assert (s.line, s.impact_usd) == (2, Decimal("-2121.24"))


def test_an_unpriced_administration_line_keeps_the_drugs_dollars(home: Path) -> None:
    """No fee schedule for the date: the administration adds nothing, the drug's dollars stay."""
    [f] = _dx(build(chart(diagnoses=["G43.909"], payer=CGS)))
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-2944.56"))


def test_a_hospital_claim_counts_its_administration_as_its_lines_are_priced(fees: None) -> None:
    """The UB-04's 96365/96366 (revenue code 0260) are priced by the imported schedule's amounts and counted; an
    off-campus non-excepted department's (PN: the PFS-equivalent rate, not held) are unpriced and add nothing."""
    enc = chart(setting="hospital_outpatient", diagnoses=["G43.909"], payer=CGS)
    [f] = _dx(build(enc))
    assert f.impact_usd == Decimal("-3254.56")  # 2,944.56 + 150.00 + 4 × 40.00
    pn = build(dict(enc, outpatient_department="off_campus_nonexcepted"))
    assert [ln.expected_payment for ln in pn.claim.lines] == [Decimal("2944.56"), None, None]
    [f] = _dx(pn)
    assert f.impact_usd == Decimal("-2944.56")  # the drug's dollars stay (ASP, not reduced)


def test_a_covered_products_hours_from_two_sessions_all_stay_with_it(fees: None, tmp_path: Path) -> None:
    """Gamunex-C (covered) runs twice around Privigen (not): 96366 × 5 holds Gamunex-C's 2 + 2 hours and Privigen's
    1, so Gamunex-C keeps 4 of the merged line (its two sessions added up), Privigen loses one unit."""
    enc = _privigen_uncovered(tmp_path, [
        {"drug_id": "ig1", "start": "2026-03-02T08:00", "stop": "2026-03-02T11:00"},    # 96365 + 96366 × 2
        {"drug_id": "ig2", "start": "2026-03-02T11:10", "stop": "2026-03-02T13:40"},    # 96367 + 96366 × 1
        {"drug_id": "ig1", "start": "2026-03-02T13:50", "stop": "2026-03-02T16:00"}])   # 96366 × 2 (130 minutes)
    r = build(enc)
    assert _codes(r) == [("J1561", 60), ("J1459", 40), ("96365", 1), ("96366", 5), ("96367", 1)]
    [f] = _dx(r)
    assert f.causes == (("drug", "drugs[1]"), ("denied-line", "4:1"), ("denied-line", "5"))
    # 40 × 50.281 = 2,011.24 (J1459) + 70.00 (96367) + 1 × 40.00 (96366) = 2,121.24, not 3 units (2,201.24)
    assert (f.impact_units, f.impact_usd) == (-40, Decimal("-2121.24"))


def test_a_pump_set_up_line_is_denied_with_the_scig(fees: None) -> None:
    """Hizentra alone by pump with a second set-up: 96371 (once per encounter) is there for it, so denied with it."""
    hizentra = dict(HIZENTRA, id="ig1")
    enc = chart(diagnoses=["G43.909"], payer=CGS, drugs=[hizentra],
                administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:30",
                                  "pump_setups": 2}])
    r = build(enc)
    assert _codes(r) == [("J1559", 100), ("96369", 1), ("96371", 1)]
    [f] = _dx(r)
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "2"), ("denied-line", "3"))
    # 100 × 14.543 = 1,454.30 (J1559) + 120.00 (96369) + 25.00 (96371) = 1,599.30
    assert (f.impact_units, f.impact_usd) == (-100, Decimal("-1599.30"))


def test_a_medicare_home_ivigs_supply_bundle_is_denied_with_it(fees: None) -> None:
    """Medicare home IVIG (DME MAC): Q2052 is the date's supplies of the IVIG, so denied with the uncovered IVIG."""
    enc = chart(diagnoses=["G43.909"], setting="home")
    r = build(enc)
    assert _codes(r) == [("J1561", 60), ("Q2052", 20)]  # 300 minutes: 20 fifteen-minute units
    [f] = _dx(r)
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "2"))
    # 2,944.56 (J1561) + 50.00 (Q2052: one bundle a date, whatever its 20 units) = 2,994.56
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-2994.56"))


def test_a_code_the_denied_drug_has_no_share_of_is_not_counted_however_written(fees: None, tmp_path: Path) -> None:
    """96366 gives only the covered IVIG here: written × 5 though the chart supports 4, the fifth is no more the
    uncovered Hizentra's than the others (another edit's matter, not this finding's money)."""
    enc = _hizentra_uncovered(tmp_path)
    written = _written(enc, ("J1561", 60), ("J1559", 100), ("96365", 1), ("96366", 5), ("96369", 1))
    [f] = _dx(scrub(enc, claim=written))
    assert f.causes == (("drug", "drugs[1]"), ("denied-line", "5"))
    # 100 × 14.543 = 1,454.30 (J1559) + 120.00 (96369) = 1,574.30; no 96366 unit (40.00)
    assert (f.impact_units, f.impact_usd) == (-100, Decimal("-1574.30"))


def test_a_code_written_over_two_lines_keeps_the_covered_units_from_the_first(fees: None, tmp_path: Path) -> None:
    """96366 × 5 (Gamunex-C's 4 hours, Privigen's 1) written as × 3 and × 2: Gamunex-C's 4 are the first line's 3
    and one of the second's, so Privigen's finding names one unit of the second line; the first line not at all."""
    enc = _privigen_uncovered(tmp_path, [
        {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"},
        {"drug_id": "ig2", "start": "2026-03-02T14:10", "stop": "2026-03-02T16:40"}])
    split = _written(enc, ("J1561", 60), ("J1459", 40), ("96365", 1), ("96366", 3), ("96366", 2), ("96367", 1))
    [f] = _dx(scrub(enc, claim=split))
    assert f.causes == (("drug", "drugs[1]"), ("denied-line", "5:1"), ("denied-line", "6"))
    # 40 × 50.281 = 2,011.24 (J1459) + 1 × 40.00 (96366, line 5) + 70.00 (96367) = 2,121.24
    assert (f.impact_units, f.impact_usd) == (-40, Decimal("-2121.24"))


def test_a_line_the_covered_drug_keeps_whole_is_not_named(fees: None, tmp_path: Path) -> None:
    """96366 written × 3, fewer than Gamunex-C's own 4 hours: nothing of it is Privigen's, so it is no cause."""
    enc = _privigen_uncovered(tmp_path, [
        {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"},
        {"drug_id": "ig2", "start": "2026-03-02T14:10", "stop": "2026-03-02T16:40"}])
    short = _written(enc, ("J1561", 60), ("J1459", 40), ("96365", 1), ("96366", 3), ("96367", 1))
    [f] = _dx(scrub(enc, claim=short))
    assert f.causes == (("drug", "drugs[1]"), ("denied-line", "5"))
    # 2,011.24 (J1459) + 70.00 (96367) = 2,081.24
    assert (f.impact_units, f.impact_usd) == (-40, Decimal("-2081.24"))


def test_a_written_code_the_coding_lacks_is_not_counted_when_fluids_are_charted(fees: None) -> None:
    """An hour of IVIG, then hydration: a written 96366 the coding has none of might be the fluid's time, so only the
    96365 goes with the drug (the hydration's 96361 never)."""
    enc = chart(diagnoses=["G43.909"], payer=CGS,
                administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"}],
                fluids=[{"purpose": "hydration", "start": "2026-03-02T10:00", "stop": "2026-03-02T11:30",
                         "ordered": True, "reason": "dehydration"}])
    assert _codes(build(enc)) == [("J1561", 60), ("96365", 1), ("96361", 1)]
    written = _written(enc, ("J1561", 60), ("96365", 1), ("96361", 1), ("96366", 1))
    [f] = _dx(scrub(enc, claim=written))
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "2"))
    # 2,944.56 (J1561) + 150.00 (96365) = 3,094.56: neither 96361 (35.00) nor 96366 (40.00)
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-3094.56"))


def test_a_written_code_the_coding_lacks_is_not_counted_when_no_administration_is_charted(fees: None) -> None:
    """Medicare home IVIG without administration times: Q2052 (its minimum unit) goes with the drug; a written 96365
    the chart documents nothing for is not known to give the IVIG."""
    enc = chart(diagnoses=["G43.909"], setting="home", administrations=[])
    assert _codes(build(enc)) == [("J1561", 60), ("Q2052", 1)]
    written = _written(enc, ("J1561", 60), ("Q2052", 1), ("96365", 1))
    [f] = _dx(scrub(enc, claim=written))
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "2"))
    # 2,944.56 (J1561) + 50.00 (Q2052) = 2,994.56; not the 96365's 150.00
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-2994.56"))


def test_a_written_bundled_code_is_not_counted(fees: None) -> None:
    """A written IV start (36000, bundled into the infusion: never paid with it) is no administration of the drug,
    though every charted administration is the uncovered IVIG's."""
    enc = chart(diagnoses=["G43.909"], payer=CGS)
    written = _written(enc, ("J1561", 60), ("96365", 1), ("96366", 4), ("36000", 1))
    [f] = _dx(scrub(enc, claim=written))
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "2"), ("denied-line", "3"))
    # 2,944.56 + 150.00 + 4 × 40.00 = 3,254.56; not 36000's 20.00
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-3254.56"))


def test_the_batch_reports_headline_counts_the_denied_administration_once(fees: None, tmp_path: Path) -> None:
    """igclaim batch: DX-NOT-COVERED on the J1561 line carries the 96365 and 96366 lines denied with it (2,944.56 +
    150.00 + 5 × 40.00 = 3,294.56), and ADMIN-ADDON-UNITS on the 96366 line (written × 5, the chart's 4) is $40.00 of
    that same money: the headline said $3,334.56 ($3,294.56 at risk for coverage and $40.00 billed beyond the chart),
    now $3,294.56, all coverage. Units stay by line (60 of J1561 + 1 of 96366). The table by edit keeps both."""
    enc = chart(encounter_id="e-dx", diagnoses=["G43.909"], payer=CGS)
    enc["claim"] = _written(enc, ("J1561", 60), ("96365", 1), ("96366", 5))
    priced, money, rows = _batch(enc, tmp_path)
    assert priced == [("ADMIN-ADDON-UNITS", 3, -40.0), ("DX-NOT-COVERED", 1, -3294.56)]
    assert money == {"usd-at-risk": "$3,294.56", "usd-unbilled": "$0.00", "usd-beyond-chart": "$0.00",
                     "usd-coverage": "$3,294.56", "units-at-risk": "61"}
    assert (rows["DX-NOT-COVERED"], rows["ADMIN-ADDON-UNITS"]) == ("$3,294.56", "$40.00")


def test_a_covered_products_hours_merged_into_the_uncovered_products_line_are_kept_exactly(
        fees: None, tmp_path: Path) -> None:
    """make mutate (coding/administration.py `_merge`: `into.drugs.get(drug_id, 0)` → `get(drug_id, 1)`): Privigen
    (not covered) runs longest, so it is the initial service and its 96366 line is made first; Gamunex-C's (covered)
    hour is merged into it. Gamunex-C accounts for exactly 1 of the 5 units, so Privigen's 4 are denied."""
    enc = _privigen_uncovered(tmp_path, [
        {"drug_id": "ig2", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"},    # 96365 + 96366 × 4
        {"drug_id": "ig1", "start": "2026-03-02T14:10", "stop": "2026-03-02T16:40"}])   # 96367 + 96366 × 1
    r = build(enc)
    assert _codes(r) == [("J1561", 60), ("J1459", 40), ("96365", 1), ("96366", 5), ("96367", 1)]
    [f] = _dx(r)
    assert f.causes == (("drug", "drugs[1]"), ("denied-line", "3"), ("denied-line", "4:4"))
    # 40 × 50.281 = 2,011.24 (J1459) + 150.00 (96365) + 4 × 40.00 (96366) = 2,321.24; not 3 units (2,281.24)
    assert (f.impact_units, f.impact_usd) == (-40, Decimal("-2321.24"))


def test_a_hospital_claims_shared_line_is_denied_in_part_at_the_facility_amount(home: Path, tmp_path: Path) -> None:
    """make mutate (coding/payment.py `_denied_line`: the line's payment with the units left at the office amount):
    a UB-04 with a `code,amount,facility_amount` schedule; Privigen's one hour of the shared 96366 × 5 is denied at
    the facility amount, its line's payment (5 × 25.00) less its payment with 4 units (4 × 25.00)."""
    schedule = tmp_path / "fees-with-facility.csv"
    schedule.write_text("code,amount,facility_amount\n96365,150.00,90.00\n96366,40.00,25.00\n96367,70.00,45.00\n")
    store.import_file("fees", schedule, Options(effective=date(2026, 1, 1), schedule="acme"))
    enc = dict(_privigen_uncovered(tmp_path, [
        {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"},
        {"drug_id": "ig2", "start": "2026-03-02T14:10", "stop": "2026-03-02T16:40"}]), setting="hospital_outpatient")
    r = build(enc)
    assert r.claim.form == "UB-04"
    assert [(ln.code, ln.units, ln.expected_payment) for ln in r.claim.lines if not ln.code.startswith("J")] == [
        ("96365", 1, Decimal("90.00")), ("96366", 5, Decimal("125.00")), ("96367", 1, Decimal("45.00"))]
    [f] = _dx(r)
    assert f.causes == (("drug", "drugs[1]"), ("denied-line", "4:1"), ("denied-line", "5"))
    # 40 × 50.281 = 2,011.24 (J1459) + 1 × 25.00 (96366: 125.00 − 4 × 25.00) + 45.00 (96367) = 2,081.24;
    # at the office amount for the 4 left it would be 2,011.24 + (125.00 − 160.00) + 45.00 = 2,021.24
    assert (f.impact_units, f.impact_usd) == (-40, Decimal("-2081.24"))


def test_a_covered_products_units_on_two_lines_of_one_code_are_all_kept(fees: None, tmp_path: Path) -> None:
    """make mutate (edits/diagnosis.py `_denied_administration`: the units by code summed per drug): a hospital
    outpatient claim codes one initial service per vascular access site. Gamunex-C (covered) is restarted at a second
    site, Privigen (not) runs through a third: 96365 (site 1, Gamunex-C) and 96365-XS × 2 (sites 2 and 3, one each).
    Gamunex-C accounts for 2 units of 96365 over the two lines, so only 1 of the XS line's 2 is Privigen's."""
    enc = dict(_privigen_uncovered(tmp_path, [
        {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T11:00", "site": 1},  # 96365 + 96366
        {"drug_id": "ig1", "start": "2026-03-02T11:10", "stop": "2026-03-02T14:00", "site": 2},  # XS + 96366 × 2
        {"drug_id": "ig2", "start": "2026-03-02T14:10", "stop": "2026-03-02T16:40", "site": 3}]),  # XS + 96366
        setting="hospital_outpatient")
    r = build(enc)
    assert [(ln.code, ln.units, ln.modifiers) for ln in r.claim.lines] == [
        ("J1561", 60, ["JZ"]), ("J1459", 40, ["JZ"]), ("96365", 1, []), ("96366", 4, []), ("96365", 2, ["XS"])]
    [f] = _dx(r)
    assert f.causes == (("drug", "drugs[1]"), ("denied-line", "4:1"), ("denied-line", "5:1"))
    # 40 × 50.281 = 2,011.24 (J1459) + 1 × 40.00 (96366) + 1 × 150.00 (96365-XS) = 2,201.24; not the whole XS line
    # (2 × 150.00: 2,351.24)
    assert (f.impact_units, f.impact_usd) == (-40, Decimal("-2201.24"))


def _both_uncovered() -> dict:
    """Gamunex-C (5 hours) then Privigen (2.5 hours), IV both, for a migraine (G43.909) the CGS articles list for
    neither: the whole claim is denied, told once (one verdict for both products)."""
    return chart(diagnoses=["G43.909"], payer=CGS, drugs=[GAMUNEX, PRIVIGEN],
                 administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"},
                                  {"drug_id": "ig2", "start": "2026-03-02T14:10", "stop": "2026-03-02T16:40"}])


def test_build_counts_every_uncovered_products_drug_line(fees: None) -> None:
    """Two products denied the same way, told as the claim: the finding's units are the first product's (J1561, one
    code's units), and the second product's line (J1459) is denied with it, its payment counted too."""
    r = build(_both_uncovered())
    assert _codes(r) == [("J1561", 60), ("J1459", 40), ("96365", 1), ("96366", 5), ("96367", 1)]
    [f] = _dx(r)
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "2"), ("denied-line", "3"), ("denied-line", "4"),
                        ("denied-line", "5"))
    # 60 × 49.076 = 2,944.56 (J1561) + 40 × 50.281 = 2,011.24 (J1459) + 150.00 (96365) + 5 × 40.00 (96366) + 70.00
    # (96367) = 5,375.80; the first product's alone was 3,364.56
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-5375.80"))


def test_scrub_counts_every_uncovered_products_written_drug_lines(fees: None) -> None:
    """The written claim's lines of the second product are denied with the claim as written: Privigen billed over
    two J1459 lines (× 30 and × 14: 44 units, the chart's 40), both named, each priced as written."""
    enc = _both_uncovered()
    written = _written(enc, ("96365", 1), ("J1459", 30), ("J1561", 60), ("96366", 5), ("J1459", 14), ("96367", 1))
    [f] = _dx(scrub(enc, claim=written))
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "2"), ("denied-line", "5"), ("denied-line", "1"),
                        ("denied-line", "4"), ("denied-line", "6"))
    # 2,944.56 (J1561) + 30 × 50.281 = 1,508.43 and 14 × 50.281 = 703.93 (J1459) + 150.00 + 200.00 + 70.00 = 5,576.92
    assert (f.line, f.impact_units, f.impact_usd) == (3, -60, Decimal("-5576.92"))


def test_a_written_claims_uncovered_diagnosis_counts_every_products_lines(fees: None) -> None:
    """The chart's CIDP (G61.81) is covered for both products, the written claim bills the migraine (G43.909), which
    is not: the claim as written is denied whole, Privigen's J1459 line (2,011.24) with Gamunex-C's."""
    enc = dict(_both_uncovered(), diagnoses=["G61.81"])
    written = _written(enc, ("J1561", 60), ("J1459", 40), ("96365", 1), ("96366", 5), ("96367", 1))
    written["diagnoses"] = ["G43.909"]
    [f] = _dx(scrub(enc, claim=written))
    assert f.causes == (("diagnosis", "G43.909"), ("drug", "drugs[0]"), ("denied-line", "2"), ("denied-line", "3"),
                        ("denied-line", "4"), ("denied-line", "5"))
    assert (f.line, f.impact_units, f.impact_usd) == (1, -60, Decimal("-5375.80"))


def test_the_batch_reports_headline_counts_the_second_products_line_once(fees: None, tmp_path: Path) -> None:
    """igclaim batch: Privigen's J1459 written × 44 (the chart's 40) has DRUG-UNITS on its line (4 × 50.281 =
    $201.12), money DX-NOT-COVERED carries too (its whole line denied: 44 × 50.281 = 2,212.36, with 2,944.56 for
    J1561 and 420.00 of administration: 5,576.92). The headline counts the line once, in the coverage figure: it was
    $3,565.68 ($3,364.56 for the first product and its administration, $201.12 billed beyond the chart). Units stay
    by line (60 of J1561, 4 of J1459)."""
    enc = dict(_both_uncovered(), encounter_id="e-two")
    enc["claim"] = _written(enc, ("J1561", 60), ("J1459", 44), ("96365", 1), ("96366", 5), ("96367", 1))
    priced, money, rows = _batch(enc, tmp_path)
    assert priced == [("DRUG-UNITS", 2, -201.12), ("DX-NOT-COVERED", 1, -5576.92)]
    assert money == {"usd-at-risk": "$5,576.92", "usd-unbilled": "$0.00", "usd-beyond-chart": "$0.00",
                     "usd-coverage": "$5,576.92", "units-at-risk": "64"}
    assert (rows["DX-NOT-COVERED"], rows["DRUG-UNITS"]) == ("$5,576.92", "$201.12")


def test_a_first_product_left_off_the_written_claim_leaves_the_units_to_the_next(fees: None) -> None:
    """Gamunex-C is not on the written claim: the finding's units are Privigen's, the first product billed (none
    of Gamunex-C's would leave the claim's money unpriced)."""
    enc = _both_uncovered()
    written = _written(enc, ("J1459", 40), ("96365", 1), ("96366", 5), ("96367", 1))
    [f] = _dx(scrub(enc, claim=written))
    assert f.causes == (("drug", "drugs[1]"), ("denied-line", "2"), ("denied-line", "3"), ("denied-line", "4"))
    # 2,011.24 (J1459) + 150.00 + 200.00 + 70.00 = 2,431.24
    assert (f.line, f.impact_units, f.impact_usd) == (1, -40, Decimal("-2431.24"))


def test_build_names_each_of_the_second_products_lines_after_the_firsts(fees: None) -> None:
    """Gamunex-C 25 g of three 10 g vials and Privigen 18 g of two: each product's lines are a given line and a JW
    line (lines 1-2 and 3-4 of the coded claim); the finding's units are Gamunex-C's 60 (50 given, 10 discarded),
    and both Privigen lines are denied with it."""
    enc = _both_uncovered()
    enc["drugs"] = [dict(GAMUNEX, dose={"grams": 25}), dict(PRIVIGEN, dose={"grams": 18})]
    r = build(enc)
    assert _codes(r) == [("J1561", 50), ("J1561", 10), ("J1459", 36), ("J1459", 4), ("96365", 1), ("96366", 5),
                         ("96367", 1)]
    [f] = _dx(r)
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "3"), ("denied-line", "4"), ("denied-line", "5"),
                        ("denied-line", "6"), ("denied-line", "7"))
    # 2,944.56 (J1561 × 60) + 1,810.12 (J1459 × 36) + 201.12 (J1459-JW × 4) + 420.00 of administration = 5,375.80
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-5375.80"))


def test_an_immune_globulin_without_a_code_puts_no_units_at_stake(home: Path) -> None:
    """Xembify before its own code (J1558, July 1, 2020) is coded with none (DRUG-NO-CODE): the claim is still told
    not covered, with no drug units to price."""
    xembify = {"id": "ig1", "product": "Xembify", "route": "SC", "dose": {"grams": 4},
               "containers": [{"grams": 2, "count": 2}]}
    enc = chart(date_of_service="2020-06-30", diagnoses=["G43.909"], payer=CGS, drugs=[xembify],
                administrations=[{"drug_id": "ig1", "start": "2020-06-30T09:00", "stop": "2020-06-30T10:00"}])
    r = build(enc)
    assert _codes(r) == [("96369", 1)]
    [f] = _dx(r)
    assert (f.impact_units, f.impact_usd) == (None, None)


def test_a_written_diagnosis_not_covered_for_one_product_counts_that_products_lines_only(
        fees: None, tmp_path: Path) -> None:
    """The list covers CIDP (G61.81) for every product, ITP (D69.3) for J1561 only: the chart's CIDP is covered, the
    written claim's ITP covers Gamunex-C but not Privigen. The finding (about Privigen) is on Privigen's line, with
    its first line (Privigen written over two J1459 lines, × 30 and × 10), with its units and its administration:
    not Gamunex-C's 60 units (covered), nor Gamunex-C's administration."""
    enc = dict(_both_uncovered(), diagnoses=["G61.81"],
               payer={"type": "medicare", "name": "Medicare Part B", "profile": _profile(
                   tmp_path, '\n[[indication]]\nname = "ITP"\ncodes = ["D69.3"]\nproducts = ["J1561"]')})
    written = _written(enc, ("J1561", 60), ("J1459", 30), ("96365", 1), ("96366", 5), ("96367", 1), ("J1459", 10))
    written["diagnoses"] = ["D69.3"]
    [f] = _dx(scrub(enc, claim=written))
    assert "for Privigen" in f.message and "Gamunex-C" not in f.message
    assert f.causes == (("diagnosis", "D69.3"), ("drug", "drugs[1]"), ("denied-line", "4:1"), ("denied-line", "5"))
    # 40 × 50.281 = 2,011.24 (J1459) + 1 of 96366's 5 units (40.00) + 70.00 (96367) = 2,121.24; it was Gamunex-C's
    # 2,944.56 with every administration line (3,364.56)
    assert (f.line, f.impact_units, f.impact_usd) == (2, -40, Decimal("-2121.24"))


def test_a_premedication_charted_first_does_not_take_the_findings_line(fees: None, tmp_path: Path) -> None:
    """The chart lists the premedication (J1200) before the IVIG, and the written claim bills it first: the finding
    is on the immune globulin's line (2), not the premedication's (1). On line 1 the batch headline counted
    DRUG-UNITS on the J1561 line (written × 64, the chart's 60: 4 × 49.076 = $196.30) besides the $3,450.86 it is
    part of ($3,647.16); on line 2 the line's dollars count once."""
    import re

    from typer.testing import CliRunner

    from igclaim.cli import app

    enc = chart(encounter_id="e-pre", diagnoses=["G43.909"], payer=CGS, drugs=[PREMED, GAMUNEX],
                administrations=[{"drug_id": "pre", "method": "push", "start": "2026-03-02T08:50",
                                  "stop": "2026-03-02T08:50"},
                                 {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"}])
    written = _written(enc, ("J1200", 1), ("J1561", 64), ("96365", 1), ("96366", 4), ("96375", 1))
    [f] = _dx(scrub(enc, claim=written))
    # 64 × 49.076 = 3,140.86 (J1561 as written) + 150.00 (96365) + 4 × 40.00 (96366) = 3,450.86
    assert (f.line, f.impact_units, f.impact_usd) == (2, -64, Decimal("-3450.86"))
    enc["claim"] = written
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(enc) + "\n")
    res = CliRunner().invoke(app, ["batch", str(src), "--out", str(tmp_path / "out"), "-w", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "out" / "report.html").read_text()
    money = dict(re.findall(r"id='(usd-[a-z-]+)'>([^<]*)<", page))
    assert (money["usd-at-risk"], money["usd-coverage"], money["usd-beyond-chart"]) == ("$3,450.86", "$3,450.86",
                                                                                          "$0.00")
