"""Hostile input found by the sixth outside audit (twenty-fifth session): each was a crash, a silent loss of
records or a wrong date read as a right one. Every record comes out as a result or an error naming where it is."""

from __future__ import annotations

import copy
import io
import json
from decimal import Decimal

import pytest

from igclaim import engine, parse_encounter
from igclaim.inputs import InvalidInput
from igclaim.readers.x12 import MAX_SEGMENT, ReadError, WrittenClaim, read_837
from tests.conftest import ROOT, run_cli
from tests.test_hostile_paths import outcomes

CHART = json.loads((ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text())
CSV = (ROOT / "examples" / "batch" / "encounters.csv").read_text()


def _on(day: str, **changes) -> dict:
    enc = copy.deepcopy(CHART)
    enc.update(date_of_service=day, administrations=[{"drug_id": "ig1", "start": f"{day}T09:00",
                                                      "stop": f"{day}T14:00"}], **changes)
    return enc


# --- dates igclaim can count from ---------------------------------------------------------------------------------

@pytest.mark.parametrize("day", ["9999-12-31", "2200-01-01", "1899-12-31"])
def test_a_date_outside_the_calendar_igclaim_counts_in_is_refused_naming_the_field(day):
    """9999-12-31 crashed CLAIM-FILING-LIMIT (12 months later is year 10000) and a Medicare home claim's 30-day
    window; now the input is refused, as any value out of its range."""
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(_on(day))
    assert exc.value.problems[0] == "date_of_service: outside the dates igclaim accepts (1900-01-01 to 2199-12-31)"


@pytest.mark.parametrize("setting", ["office", "home", "hospital_outpatient"])
def test_the_last_day_accepted_is_coded_with_its_deadlines(setting):
    day = "2199-12-31"
    r = engine.build(parse_encounter(_on(day, setting=setting, filing_date=day)))
    assert "PLAUSIBILITY-DOS" in {f.edit for f in r.findings}  # in the future: told, not crashed
    assert parse_encounter(_on("1900-01-01", setting=setting)).date_of_service.isoformat() == "1900-01-01"


# --- the 837 reader ---------------------------------------------------------------------------------------------

def _read(text: str) -> list:
    return list(read_837(io.StringIO(text)))


@pytest.mark.parametrize(("written", "said"), [
    ("D8*99991231", "outside the dates igclaim accepts (1900-01-01 to 2199-12-31)"),
    ("D8*2026030299999", "'2026030299999' is not a CCYYMMDD date"),  # was read as 2026-03-02
    ("RD8*20260302-20260301", "the range ends (2026-03-01) before it starts (2026-03-02)"),
    ("RD8*20260302-20260230", "'20260230' is not a CCYYMMDD date"),
])
def test_an_837_date_is_read_whole_and_within_the_calendar(x12_text, written, said):
    text = x12_text.replace("DTP*472*D8*20260302", f"DTP*472*{written}")
    assert text != x12_text
    (err, *_) = [i for i in _read(text) if isinstance(i, ReadError)]
    assert err.element == "DTP03" and said in err.message


def test_an_837_range_in_order_is_read_from_its_first_day(x12_text):
    (claim,) = [i for i in _read(x12_text.replace("DTP*472*D8*20260302", "DTP*472*RD8*20260302-20260303"))
                if isinstance(i, WrittenClaim)]
    assert str(claim.claim.lines[0].service_date) == "2026-03-02"


def test_segments_ending_with_line_breaks_only_are_refused_naming_the_terminator(x12_text):
    """The ISA ends with '~' and every other segment with a line break only: the claims were lost without a word
    (only 'GE missing', 'IEA missing')."""
    isa, rest = x12_text.split("~", 1)
    text = isa + "~\n" + rest.replace("~", "")
    items = _read(text)
    assert not [i for i in items if isinstance(i, WrittenClaim)]
    (err,) = [i for i in items if isinstance(i, ReadError)]
    assert "runs over line breaks" in err.message and "'~', the segment terminator its ISA declares" in err.message


def test_a_segment_without_its_terminator_is_bounded(x12_text):
    isa = x12_text.split("~", 1)[0]
    (err,) = _read(isa + "~GS*HC*" + "A" * (3 * MAX_SEGMENT))
    assert f"runs over {MAX_SEGMENT:,} characters" in err.message


# --- batch .json and .csv ---------------------------------------------------------------------------------------

def test_a_batch_json_with_a_key_twice_is_that_records_error(tmp_path):
    f = tmp_path / "in.json"
    f.write_text(json.dumps(CHART).replace('"setting": "office"', '"setting": "office", "setting": "home"', 1))
    (out,) = outcomes(f)
    assert out.error is not None and "appears twice" in out.error["reason"]


def test_json_lines_in_a_json_file_with_a_bad_first_line_keeps_the_others(tmp_path):
    lines = (ROOT / "examples" / "batch" / "encounters.jsonl").read_text().splitlines()
    f = tmp_path / "in.json"
    f.write_text("\n".join(["{not json}", *lines]) + "\n")
    got = outcomes(f)
    assert len(got) == len(lines) + 1
    assert got[0].error is not None and all(o.result_json for o in got[1:])


def test_a_csv_quote_left_open_is_that_rows_error_and_every_later_row_is_read(tmp_path):
    """An unclosed double quote took every row after it into one cell: 23 encounters became 1 error."""
    head, first, *rest = CSV.splitlines()
    f = tmp_path / "in.csv"
    f.write_text("\n".join([head, first.replace("Medicare Part B", '"Medicare Part B', 1), "", *rest]) + "\n")
    got = outcomes(f)  # (a blank line among the lines it took is no row, as anywhere in a CSV)
    (tmp_path / "clean.csv").write_text(CSV)
    clean = outcomes(tmp_path / "clean.csv")
    errors = [o.error for o in got if o.error]
    assert len(errors) == 1 and errors[0]["row"] == 2 and "double quote is not closed" in errors[0]["reason"]
    assert len(got) == len(clean) and sum(1 for o in got if o.result_json) == len(clean) - 1


# --- batch Parquet, the chargemaster, JSON Lines, charts, FHIR (the same audit, second part) --------------------

def test_a_parquet_value_python_cannot_hold_is_that_rows_error(tmp_path):
    """A time-zoned timestamp at year 1 (.NET's and SQL's MinValue) overflows when read: it crashed the whole run."""
    from datetime import UTC, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(ROOT / "examples" / "batch" / "encounters.parquet")
    first, second = table.slice(0, 1), table.slice(1, 1)
    both = pa.concat_tables([first, second]).append_column(
        "note_time", pa.array([datetime(2026, 3, 2, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)],
                              type=pa.timestamp("us", tz="America/New_York")))
    f = tmp_path / "in.parquet"
    pq.write_table(both, f)
    got = outcomes(f)
    assert len(got) == 2 and got[1].error is not None and "row 2: a value cannot be read" in got[1].error["reason"]
    assert got[0].error is None or "note_time" in got[0].error["reason"]  # the good row is read (its extra column
    # is the schema's to judge)


@pytest.mark.parametrize(("cell", "said"), [
    ("NaN", "must be a number from 0 to 9,999,999.99"),
    ("1e308", "must be a number from 0 to 9,999,999.99"),
    ("1,000.00", "a charge written with a thousands separator needs double quotes"),  # was read as $1
])
def test_a_hostile_unit_charge_is_refused(cell, said):
    from igclaim.errors import InputError
    from igclaim.outputs import chargemaster

    with pytest.raises(InputError) as exc:
        chargemaster.parse(f"code,unit_charge\nJ1561,{cell}\n", "charges.csv")
    assert said in exc.value.message
    assert chargemaster.parse('code,unit_charge\nJ1561,"1,000.00"\n', "c").unit_charge("J1561") == 1000


@pytest.mark.parametrize("cell", ["1_0", "١٢", "１２", "1_000.00"])
def test_a_unit_charge_not_of_the_digits_0_to_9_is_refused(cell):
    """Decimal() read "1_0" as $10 and "١٢" or "１２" as $12 a unit, charged on every line of the code."""
    from igclaim.errors import InputError
    from igclaim.outputs import chargemaster

    with pytest.raises(InputError) as exc:
        chargemaster.parse(f"code,unit_charge\nJ1561,{cell}\n", "charges.csv")
    assert exc.value.path == "charges.csv (data row 1)" and "digits 0-9" in exc.value.message, exc.value
    assert chargemaster.parse("code,unit_charge\nJ1561, $12.50 \n", "c").unit_charge("J1561") == Decimal("12.5")


def test_json_lines_split_at_line_feeds_only(tmp_path):
    """U+2028 is allowed inside a JSON string; str.splitlines cut the chart there (3 charts read as 4 lines)."""
    from igclaim.readers.scrub import load_charts

    lines = (ROOT / "examples" / "batch" / "encounters.jsonl").read_text().splitlines()[:3]
    assert "Medicare Part B" in lines[1]
    lines[1] = lines[1].replace("Medicare Part B", "Medicare\u2028Part B", 1)
    f = tmp_path / "charts.jsonl"
    f.write_text("\n".join(lines) + "\n")
    assert load_charts(f).count == 3


@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"])
def test_json_lines_ending_in_cr_alone_are_lines(end):
    """In memory too (scrub's charts, export, the API's JSON Lines body): CR-only text was one line."""
    from igclaim.inputs import text_lines

    assert text_lines(end.join(['{"a": 1}', '{"b": "x\u2028y"}', ""])) == ['{"a": 1}', '{"b": "x\u2028y"}', ""]


def test_two_charts_with_one_claim_id_are_that_claims_error(tmp_path, x12_text):
    """The first chart read silently decided the claim; now the claim is an error naming the join."""
    from igclaim.readers.scrub import load_charts, scrub_837

    chart = json.dumps(CHART)
    f = tmp_path / "charts.jsonl"
    f.write_text(chart + "\n" + chart.replace('"grams": 30', '"grams": 20', 1) + "\n")
    (done,) = list(scrub_837(io.StringIO(x12_text), load_charts(f)))
    assert done.result is None and "two or more charts join this claim by claim id" in done.error.message


def test_a_fhir_bundle_with_one_id_twice_is_refused():
    """Two Medications with one id: the second silently won, and the claim billed the other product's code."""
    from igclaim.readers.fhir import parse_bundle

    bundle = json.loads((ROOT / "examples" / "fhir" / "office-gamunex-bundle.json").read_text())
    assert parse_bundle(copy.deepcopy(bundle)).drugs
    med = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Medication")
    bundle["entry"].append(copy.deepcopy(med))
    with pytest.raises(InvalidInput) as exc:
        parse_bundle(bundle)
    assert "appears twice in the Bundle" in exc.value.problems[0]


# --- no PHI in read errors ----------------------------------------------------------------------------------------

def test_a_patients_bad_zip_in_an_837_is_named_not_quoted(x12_text):
    text = x12_text.replace("N4*SPRINGFIELD*IL*62704", "N4*SPRINGFIELD*IL*6270X")
    assert text != x12_text
    (err,) = [i for i in _read(text) if isinstance(i, ReadError)]
    assert "address.zip" in err.message and "6270X" not in err.message


def test_a_name_cut_by_a_segment_terminator_is_not_quoted(x12_text):
    """A '~' inside a patient's name makes the rest of the name a 'segment' whose identifier pyx12 quoted."""
    text = x12_text.replace("NM1*IL*1*DOE*SARAH", "NM1*IL*1*DOE~SARAH JANE*SARAH", 1)
    assert text != x12_text
    errors = [i for i in _read(text) if isinstance(i, ReadError)]
    assert errors and not [e for e in errors if "SARAH" in e.message + e.segment]
    assert any("is not an X12 segment identifier (10 characters, not quoted" in e.message for e in errors)


def test_an_835_names_invalid_characters_in_a_persons_segment_without_the_name(tmp_path):
    remit = (ROOT / "examples" / "denials" / "remit.835").read_text()
    f = tmp_path / "remit.835"
    f.write_bytes(remit.replace("NM1*QC*1*DOE*SARAH", "NM1*QC*1*DÖE*SARAH").encode("utf-8"))
    r = run_cli("denials", str(f), "--out", str(tmp_path / "out"))
    everything = r.stdout + r.stderr + "".join(p.read_text() for p in (tmp_path / "out").glob("*") if p.is_file())
    assert "DÖE" not in everything and "D\\u00d6E" not in everything


def test_a_professional_line_without_its_procedure_code_is_an_error(x12_text):
    """SV101 empty was read as code "": the claim was answered CLAIM-NO-IG and every edit skipped."""
    text = x12_text.replace("SV1*HC:J1561:JZ*", "SV1**", 1)
    assert text != x12_text
    (err,) = [i for i in _read(text) if isinstance(i, ReadError)]
    assert err.element == "SV101" and "procedure code is missing" in err.message


def test_a_line_break_inside_one_value_does_not_refuse_the_file(x12_text):
    """Only segments after a line break mean the terminator is wrong; a break inside a value (a name, a note) is
    that segment's own problem, and the other claims are read."""
    text = x12_text.replace("NM1*IL*1*DOE*SARAH", "NM1*IL*1*DOE\nSMITH*SARAH", 1)
    assert text != x12_text
    items = _read(text)
    assert not [i for i in items if isinstance(i, ReadError) and "runs over line breaks" in i.message]
