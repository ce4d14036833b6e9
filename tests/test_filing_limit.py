"""The filing limit (CLAIM-FILING-LIMIT): Original Medicare denies a claim received more than 12 months (1 calendar
year) after the date of service (42 CFR 424.44, for services from 2010-01-01; IOM 100-04 ch. 1 §70): a professional
line by its own date, an institutional claim by its last (Through) date; a service on February 29 is due by
February 28 (First Coast, "Timely filing"; CGS: From 7/1/2021 Through 7/31/2021 is due by 7/31/2022). Medicaid: 12
months (42 CFR 447.45(d)(1)). Judged only when the input says when the claim is filed (`filing_date`, an 837's
BHT04), so no result depends on the day it is computed."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from igclaim import engine
from igclaim.edits.filing import deadline, filing_limit
from igclaim.inputs import InvalidInput, parse_json_text
from igclaim.outputs import chargemaster, x12
from igclaim.readers.scrub import scrub_837
from igclaim.refdata.dated import months_after
from tests.test_edits_support import build, chart, ids, only, scrub

ROOT = Path(__file__).resolve().parents[1]
MEDICAID = {"type": "medicaid", "name": "State Medicaid", "prior_authorization": {"number": "PA1"}}
MA = {"type": "medicare_advantage", "name": "MA plan", "prior_authorization": {"number": "PA1"}}
COMMERCIAL = {"type": "commercial", "name": "Plan", "prior_authorization": {"number": "PA1"}}


def on(dos: str, setting: str = "office", **changes) -> dict:
    return chart(date_of_service=dos, setting=setting,
                 administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T14:00"}], **changes)


def filing(result) -> list:
    return [f for f in result.findings if f.edit == "CLAIM-FILING-LIMIT"]


@pytest.mark.parametrize(("dos", "last_timely"), [
    ("2026-03-02", "2027-03-02"),
    ("2024-02-29", "2025-02-28"),  # February 29: due by February 28 of the next year
    ("2025-01-31", "2026-01-31"),
    ("2010-01-01", "2011-01-01"),  # the 12-month limit's first day of service
])
def test_medicare_on_both_sides_of_the_deadline(dos, last_timely):
    last = date.fromisoformat(last_timely)
    assert filing(build(on(dos, filing_date=last_timely))) == []
    day_after = date.fromordinal(last.toordinal() + 1).isoformat()
    f = only(build(on(dos, filing_date=day_after)), "CLAIM-FILING-LIMIT")
    assert f.severity == "error" and f.line == 1
    assert f.message.startswith(f"The claim filed {day_after}, after Original Medicare Part B's filing limit")
    assert f"due by {last_timely}" in f.message and "12 months" in f.message
    assert "CARC 29" in f.message


def test_before_2010_medicare_had_another_limit_which_is_not_judged():
    assert filing(build(on("2009-12-31", filing_date="2012-06-01"))) == []
    [f] = filing(build(on("2010-01-01", filing_date="2012-06-01")))
    assert f.impact_usd is None  # no price bundled for 2010: nothing known at stake, never a zero


def test_the_payment_at_stake_is_every_priced_line_of_the_claim():
    r = build(on("2026-03-02", filing_date="2027-04-01"))
    priced = [ln.expected_payment for ln in r.claim.lines if ln.expected_payment is not None]
    assert priced  # the bundled ASP file prices the immune globulin
    assert only(r, "CLAIM-FILING-LIMIT").impact_usd == -sum(priced)


def test_a_hospital_claims_lines_are_put_at_stake_at_their_facility_price(home, tmp_path):
    """A UB-04 is priced by the schedule's facility amounts (coding/payment.py): the money at stake is that."""
    from igclaim.refdata import store
    from igclaim.refdata.importers import Options

    schedule = tmp_path / "fees.csv"
    schedule.write_text("code,amount,facility_amount\n96365,150.00,90.00\n96366,40.00,25.00\n", encoding="utf-8")
    store.import_file("fees", schedule, Options(effective=date(2026, 1, 1), schedule="acme"))
    r = build(on("2026-03-02", setting="hospital_outpatient", filing_date="2027-04-01"))
    admin = [ln.expected_payment for ln in r.claim.lines if ln.code.startswith("963")]
    assert admin and all(a is not None for a in admin) and admin[0] == 90
    assert only(r, "CLAIM-FILING-LIMIT").impact_usd == -sum(ln.expected_payment for ln in r.claim.lines)


def test_without_a_filing_date_nothing_is_judged_and_the_check_is_not_run():
    r = build(on("2020-03-02"))
    assert filing(r) == []
    from igclaim.edits.registry import WHEN

    assert WHEN[filing_limit].chart == ("filing_date",)


def test_a_filing_date_before_the_service_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as err:
        build(on("2026-03-02", filing_date="2026-03-01"))
    assert "filing_date" in str(err.value)
    assert filing(build(on("2026-03-02", filing_date="2026-03-02"))) == []


@pytest.mark.parametrize(("payer", "late"), [(MEDICAID, True), (MA, False), (COMMERCIAL, False)])
def test_medicaid_has_twelve_months_and_plans_their_contracts(payer, late):
    r = build(on("2026-03-02", payer=payer, filing_date="2027-03-03"))
    assert bool(filing(r)) is late
    assert filing(build(on("2026-03-02", payer=payer, filing_date="2027-03-02"))) == []


def _written_with_a_later_line(enc: dict, shifted: str) -> dict:
    """The built claim for `enc`, its last line dated `shifted` (a claim spanning two days of service)."""
    claim = json.loads(build(enc).claim.model_dump_json())
    claim["lines"][-1]["service_date"] = shifted
    return claim


def test_a_professional_line_is_timely_by_its_own_date():
    enc = on("2026-03-02", filing_date="2027-03-03")
    r = scrub(enc, claim=_written_with_a_later_line(on("2026-03-02"), "2026-03-04"))
    f = only(r, "CLAIM-FILING-LIMIT")
    lines = len(r.claim.lines)
    assert f.message.startswith(f"Line{'s' if lines > 2 else ''} {', '.join(str(n) for n in range(1, lines))} filed")
    assert "service 2026-03-02 due by 2027-03-02" in f.message


def test_one_late_line_and_late_lines_of_two_dates_are_told_apart():
    base = json.loads(build(on("2026-03-02")).claim.model_dump_json())
    one = json.loads(json.dumps(base))
    for ln in one["lines"][1:]:
        ln["service_date"] = "2026-03-04"
    f = only(scrub(on("2026-03-02", filing_date="2027-03-03"), claim=one), "CLAIM-FILING-LIMIT")
    assert f.message.startswith("Line 1 filed 2027-03-03,") and f.line == 1
    two = json.loads(json.dumps(base))
    two["lines"][-1]["service_date"] = "2026-03-03"
    f = only(scrub(on("2026-03-02", filing_date="2027-03-05"), claim=two), "CLAIM-FILING-LIMIT")
    assert "(service 2026-03-02 due by 2027-03-02; service 2026-03-03 due by 2027-03-03)" in f.message


def test_an_institutional_claim_is_timely_by_its_last_date():
    enc = on("2026-03-02", setting="hospital_outpatient", filing_date="2027-03-03")
    written = _written_with_a_later_line(on("2026-03-02", setting="hospital_outpatient"), "2026-03-04")
    assert filing(scrub(enc, claim=written)) == []
    late = dict(enc, filing_date="2027-03-05")
    f = only(scrub(late, claim=written), "CLAIM-FILING-LIMIT")
    assert f.message.startswith("The claim filed 2027-03-05") and "service 2026-03-04 due by 2027-03-04" in f.message


def _profile(tmp_path, months: int, days: int) -> str:
    text = (ROOT / "src/igclaim/refdata/payers/commercial.toml").read_text()
    text = text.replace('name = "commercial"', 'name = "acme-filing"')
    text += (f'\n[parameters.filing_limit_months]\nlabel = "l"\nsource = "s"\nvalues = {{ "2000-01-01" = {months} }}\n'
             f'\n[parameters.filing_limit_days]\nlabel = "l"\nsource = "s"\nvalues = {{ "2000-01-01" = {days} }}\n')
    path = tmp_path / "acme.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(("months", "days", "last_timely", "limit"), [
    (0, 90, "2026-05-31", "90 days"),  # 90 days after March 2
    (12, 90, "2026-05-31", "12 months and 90 days"),  # both: the earlier deadline
    (1, 90, "2026-04-02", "1 month and 90 days"),
    (0, 1, "2026-03-03", "1 day"),
])
def test_a_contracts_limit_in_days_or_months(tmp_path, months, days, last_timely, limit):
    profile = _profile(tmp_path, months, days)
    enc = on("2026-03-02", payer=COMMERCIAL)

    def run(filed: str):
        return engine.build(parse_json_text(json.dumps(dict(enc, filing_date=filed))), profile=profile)

    last = date.fromisoformat(last_timely)
    assert filing(run(last_timely)) == []
    [f] = filing(run(date.fromordinal(last.toordinal() + 1).isoformat()))
    assert f"filing limit of {limit} (service 2026-03-02 due by {last_timely})" in f.message


def test_deadline_and_months_after():
    assert deadline(date(2026, 3, 2), 0, 0) is None
    assert deadline(date(2026, 3, 2), 12, 0) == date(2027, 3, 2)
    assert deadline(date(2026, 3, 2), 0, 90) == date(2026, 5, 31)
    assert deadline(date(2026, 3, 2), 3, 90) == date(2026, 5, 31)
    assert deadline(date(2026, 3, 2), 2, 90) == date(2026, 5, 2)
    assert months_after(date(2025, 12, 31), 2) == date(2026, 2, 28)
    assert months_after(date(2023, 12, 31), 2) == date(2024, 2, 29)
    assert months_after(date(2025, 11, 30), 1) == date(2025, 12, 30)
    assert months_after(date(2025, 12, 15), 12) == date(2026, 12, 15)


def _837(created: datetime) -> str:
    enc = json.loads((ROOT / "examples/parties/office-gamunex-jz.json").read_text())
    return x12.to_837(parse_json_text(json.dumps(enc)), chargemaster.load("sample"),
                      envelope=x12.Envelope(created=created))


@pytest.mark.parametrize(("created", "late"), [(datetime(2027, 3, 2, 9), False), (datetime(2027, 3, 3, 9), True)])
def test_an_837_read_alone_is_judged_by_its_bht04(created, late):
    """The 837's BHT04 (the day the file was made) is the filing date of its claims, also with no chart."""
    text = _837(created)
    [done] = list(scrub_837(io.StringIO(text)))
    assert done.result is not None
    assert bool(filing(done.result)) is late


def test_a_transaction_set_without_its_own_bht04_does_not_take_the_one_before():
    """Each ST is read with its own BHT04; a second one that lacks it (malformed) leaves its claims undated."""
    segs = [s.strip() for s in _837(datetime(2027, 3, 3, 9)).split("~") if s.strip()]
    st, se = segs.index("ST*837*0001*005010X222A1"), next(i for i, s in enumerate(segs) if s.startswith("SE*"))
    second = [s.replace("0001", "0002") if s.startswith(("ST*", "SE*")) else s for s in segs[st:se + 1]
              if not s.startswith("BHT*")]
    count = second[-1].split("*")
    second[-1] = f"SE*{int(count[1]) - 1}*0002"
    both = [*segs[:se + 1], *second, "GE*2*1", *segs[se + 2:]]
    done = list(scrub_837(io.StringIO("~".join(both) + "~")))
    assert [d.result is not None for d in done] == [True, True], [d.error for d in done]
    assert filing(done[0].result) and not filing(done[1].result)


def test_an_837_joined_to_its_chart_takes_the_bht04_unless_the_chart_gives_its_own():
    from igclaim.readers.scrub import Charts

    enc = parse_json_text((ROOT / "examples/parties/office-gamunex-jz.json").read_text())
    for chart_date, created, late in [(None, datetime(2027, 3, 3), True), (None, datetime(2027, 3, 2), False),
                                      (date(2027, 3, 2), datetime(2027, 3, 3), False)]:
        charts = Charts()
        charts.add(enc.model_copy(update={"filing_date": chart_date}))
        [done] = list(scrub_837(io.StringIO(_837(created)), charts))
        assert done.joined_by and "SCRUB-NO-CHART" not in ids(done.result)
        assert bool(filing(done.result)) is late


@pytest.mark.parametrize(("created", "told"), [(datetime(2026, 3, 1, 23, 59), True), (datetime(2026, 3, 2), False)])
def test_an_837_joined_to_its_chart_and_made_before_the_service_is_told(created, told):
    """The chart is the truth on the date of service (2026-03-02), and an 837 made (BHT04) the day before it bills a
    service not yet given: PLAUSIBILITY-DOS, as on the claim alone (tests/test_scrub_837.py). Made on the day: none."""
    from igclaim.readers.scrub import Charts

    charts = Charts()
    charts.add(parse_json_text((ROOT / "examples/parties/office-gamunex-jz.json").read_text()))
    [done] = list(scrub_837(io.StringIO(_837(created)), charts))
    assert done.joined_by and "SCRUB-NO-CHART" not in ids(done.result)
    found = [f for f in done.result.findings if f.edit == "PLAUSIBILITY-DOS"]
    assert [(f.severity, f.message) for f in found] == ([("error", "date_of_service: 2026-03-02 is after the day the "
                                                          "claim was made (2026-03-01, the 837's BHT04); a claim is "
                                                          "filed after the service.")] if told else [])
    assert not filing(done.result)


@pytest.mark.parametrize(("frequency", "severity"), [("7", "error"), ("8", "warning")])
def test_a_late_replacement_is_held_to_the_limit_and_a_late_void_is_a_warning(frequency, severity):
    """CGS: adjustment (replacement) claims are subject to the one calendar year limit too. A void asks for no
    payment and no source here says how a late one fares: a warning to verify, with nothing at stake."""
    fix = {"frequency": frequency, "original_claim_id": "ICN-1"}
    f = only(build(on("2026-03-02", filing_date="2027-03-03", correction=fix)), "CLAIM-FILING-LIMIT")
    assert f.severity == severity and f.line == 1
    assert (f.impact_usd is None) is (frequency == "8")
    assert ("verify how the payer takes a void that late" in f.message) is (frequency == "8")
    assert "due by 2027-03-02" in f.message
    assert filing(build(on("2026-03-02", filing_date="2027-03-02", correction=fix))) == []


def test_a_late_claim_is_refused_by_the_export_gate():
    """`igclaim export` (and POST /api/export) refuse a claim with error findings: a late one is among them."""
    from igclaim.outputs.export_cli import error_findings

    data = json.loads((ROOT / "examples/parties/office-gamunex-jz.json").read_text())
    assert error_findings(x12.build_claims([parse_json_text(json.dumps(data))])) == []
    late = x12.build_claims([parse_json_text(json.dumps(dict(data, filing_date="2027-03-03")))])
    [line] = error_findings(late)
    assert ": CLAIM-FILING-LIMIT (line 1): The claim filed 2027-03-03" in line


def test_a_batch_row_carries_the_filing_date():
    from igclaim.batch.tabular import encounter_to_rows, rows_to_encounter

    enc = on("2026-03-02", filing_date="2027-03-03")
    rows = encounter_to_rows(json.loads(json.dumps(enc)))
    assert rows[0]["filing_date"] == "2027-03-03"
    again = rows_to_encounter(list(enumerate(rows, start=2)))
    assert again["filing_date"] == "2027-03-03"
    assert filing(build(again))


def test_the_check_reads_the_written_claim_on_scrub():
    """On scrub the written lines are judged (their dates), not the expected claim's."""
    enc = on("2026-03-02", filing_date="2027-03-03")
    assert only(scrub(enc), "CLAIM-FILING-LIMIT").line == 1
    written = json.loads(build(on("2026-03-02")).claim.model_dump_json())
    for ln in written["lines"]:
        ln["service_date"] = "2026-03-05"
    assert filing(scrub(enc, claim=written)) == []


# --- --filing-date: the day a batch of charts reaches the payer, given on the command line -------------------


def test_filing_day_reads_a_date_or_today():
    from igclaim.inputs import filing_day

    assert filing_day(" 2027-03-03 ") == date(2027, 3, 3)
    assert filing_day("Today") == date.today()
    with pytest.raises(ValueError, match="'03/03/2027' is not a date"):
        filing_day("03/03/2027")


def test_filed_on_the_day_of_service_is_allowed_the_day_before_refused():
    from igclaim.errors import InputError
    from igclaim.inputs import filed_on

    enc = parse_json_text(json.dumps(on("2026-03-02")))
    assert filed_on(enc, date(2026, 3, 2)).filing_date == date(2026, 3, 2)
    assert filed_on(enc, None) is enc
    with pytest.raises(InputError) as err:
        filed_on(enc, date(2026, 3, 1))
    assert err.value.path == "--filing-date"


def test_the_command_line_option_judges_every_chart_that_gives_no_filing_date(tmp_path):
    from tests.conftest import run_cli

    party = ROOT / "examples/parties/office-gamunex-jz.json"

    def edits(*args: str, path: Path = party) -> list[str]:
        done = run_cli("build", str(path), "--format", "json", *args)
        assert done.returncode == 0, done.stderr
        return [f["edit"] for f in json.loads(done.stdout)["findings"]]

    assert "CLAIM-FILING-LIMIT" in edits("--filing-date", "2027-03-03")
    assert "CLAIM-FILING-LIMIT" not in edits("--filing-date", "2027-03-02")
    own = tmp_path / "own.json"
    own.write_text(json.dumps(dict(json.loads(party.read_text()), filing_date="2027-03-02")))
    assert "CLAIM-FILING-LIMIT" not in edits("--filing-date", "2027-04-01", path=own)  # the chart's own wins
    bad = run_cli("build", str(party), "--filing-date", "nope")
    assert bad.returncode == 2 and "--filing-date" in bad.stderr and "'nope' is not a date" in bad.stderr
    early = run_cli("build", str(party), "--filing-date", "2026-03-01")
    assert early.returncode == 2 and "--filing-date: 2026-03-01 is before the date of service" in early.stderr
    refused = run_cli("export", str(party), "--to", "837p", "--charges", "sample", "--filing-date", "2027-03-03")
    assert refused.returncode == 1 and "CLAIM-FILING-LIMIT (line 1)" in refused.stderr


def test_a_batch_takes_the_filing_date_for_its_records(tmp_path):
    from igclaim.batch import run_batch

    source = tmp_path / "in.jsonl"
    source.write_text((ROOT / "examples/parties/office-batch.jsonl").read_text())
    run_batch(source, tmp_path / "out", workers=1, filing_date=date(2027, 3, 3))
    results = [json.loads(line) for line in (tmp_path / "out/results.jsonl").read_text().splitlines()]
    late = {r["encounter_id"] for r in results if any(f["edit"] == "CLAIM-FILING-LIMIT" for f in r["findings"])}
    assert late == {"x-office-jz"}  # Medicare 2026-03-02 (due 2027-03-02); 03-03 is due that day; x-child commercial
