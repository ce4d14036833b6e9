"""Hostile input on the paths beside `build`: batch .json / JSON Lines / CSV, 837 files (scrub, batch) and the
charts an 837 is joined to. Each hostile record is an error naming where it is (never a crash, never silently
replaced bytes); a UTF-8 BOM is accepted everywhere (issue 11, item 1)."""

from __future__ import annotations

import json

import pytest

from igclaim.batch.sources import Source, SourceError
from igclaim.batch.worker import process_record
from igclaim.inputs import MAX_INPUT_BYTES, InvalidInput
from igclaim.readers.scrub import load_charts
from igclaim.readers.x12 import ReadError, read_837
from tests.conftest import ROOT, run_cli

CHART = ROOT / "examples" / "parties" / "office-gamunex-jz.json"
BOM = b"\xef\xbb\xbf"
HOSTILE = {
    "digits": lambda t: t.replace('"grams": 30', '"grams": ' + "9" * 5000, 1).encode(),
    "1e999999": lambda t: t.replace('"grams": 30', '"grams": 1e999999', 1).encode(),
    "nan": lambda t: t.replace('"grams": 30', '"grams": NaN', 1).encode(),
    "deep": lambda t: (t.rstrip()[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}").encode(),
    "non-utf8": lambda t: t.replace('"Doe"', '"D\udcffoe"').encode("utf-8", "surrogateescape"),
}


def outcomes(path, fmt=None):
    src = Source(path, fmt)
    return [process_record(rec) for rec in src]


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_json_file_in_batch_is_an_error_record_not_a_crash(tmp_path, kind):
    f = tmp_path / "one.json"
    f.write_bytes(HOSTILE[kind](CHART.read_text()))
    (out,) = outcomes(f)
    assert out.error is not None and out.result_json is None, out
    assert out.error["problems"] and all(":" in p for p in out.error["problems"])


def test_a_json_array_with_a_bom_is_read_item_by_item(tmp_path):
    f = tmp_path / "many.json"
    one = CHART.read_text()
    f.write_bytes(BOM + f"[{one}, {one}]".encode())
    got = outcomes(f)
    assert [o.error for o in got] == [None, None] and all(o.result_json for o in got)


def test_a_json_lines_line_over_the_limit_is_refused_without_being_read_whole(tmp_path):
    """Bounded readline: the long line costs at most one encounter's limit, and the lines around it still run."""
    line = json.dumps(json.loads(CHART.read_text()))
    f = tmp_path / "in.jsonl"
    with f.open("wb") as fh:
        fh.write(BOM + line.encode() + b"\n")
        fh.write(b'{"pad": "' + b"x" * (3 * MAX_INPUT_BYTES) + b'"}\n')
        fh.write(line.encode() + b"\r\n")
    got = outcomes(f)
    assert [bool(o.result_json) for o in got] == [True, False, True]
    assert got[1].error["line"] == 2 and "longer than" in got[1].error["reason"]


def test_a_csv_cell_over_the_csv_limit_is_that_rows_error(tmp_path):
    text = (ROOT / "examples" / "batch" / "encounters.csv").read_text()
    head, first, *rest = text.splitlines()
    cells = first.split(",")
    cells[head.split(",").index("dose_grams")] = "1" + " " * 200_000
    f = tmp_path / "in.csv"
    f.write_text("\n".join([head, ",".join(cells), *rest]) + "\n")
    got = outcomes(f)
    errors = [o.error for o in got if o.error]
    assert len(errors) == 1 and errors[0]["row"] == 2 and "not a readable CSV row" in errors[0]["reason"]
    assert sum(1 for o in got if o.result_json) == len(got) - 1


def _claims(path):
    items = list(read_837(path))
    return [i for i in items if not isinstance(i, ReadError)], [i for i in items if isinstance(i, ReadError)]


def test_an_837_with_a_bom_is_read(tmp_path, x12_text):
    f = tmp_path / "c.837"
    f.write_bytes(BOM + x12_text.encode())
    claims, errors = _claims(f)
    assert len(claims) == 1 and not errors


def test_a_non_ascii_byte_in_an_837_refuses_its_claim_naming_the_segment(tmp_path, x12_text):
    f = tmp_path / "c.837"
    f.write_bytes(x12_text.encode().replace(b"DOE", b"D\xffOE", 1))
    claims, errors = _claims(f)
    assert not claims and errors and "not ASCII" in errors[0].message and errors[0].segment == "NM1"


@pytest.mark.parametrize("value", ["1e999999", "NaN", "Infinity", "1E5"])
def test_an_837_amount_must_be_an_x12_decimal(tmp_path, x12_text, value):
    clm = next(s.strip() for s in x12_text.split("~") if s.strip().startswith("CLM"))
    cells = clm.split("*")
    cells[2] = value
    f = tmp_path / "c.837"
    f.write_text(x12_text.replace(clm, "*".join(cells)))
    claims, errors = _claims(f)
    assert not claims and errors[0].element == "CLM02", errors


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_charts_name_the_file(tmp_path, kind):
    f = tmp_path / "charts.jsonl"
    f.write_bytes(HOSTILE[kind](json.dumps(json.loads(CHART.read_text()))) + b"\n")
    with pytest.raises(InvalidInput) as exc:
        load_charts(f)
    assert all(str(f) in p for p in exc.value.problems)


def test_charts_with_a_bom_are_read(tmp_path):
    f = tmp_path / "charts.jsonl"
    f.write_bytes(BOM + json.dumps(json.loads(CHART.read_text())).encode() + b"\n")
    assert load_charts(f).count == 1


@pytest.mark.parametrize("to", ["837p", "fhir"])
def test_a_date_of_service_still_to_come_is_never_exported(tmp_path, to):
    """PLAUSIBILITY-DOS warns about a visit coded ahead of time (an estimate); its claim never leaves igclaim."""
    from datetime import date, timedelta

    enc = json.loads(CHART.read_text())
    day = (date.today() + timedelta(days=1)).isoformat()
    enc["date_of_service"] = day
    for a in enc["administrations"]:
        a["start"], a["stop"] = day + a["start"][10:], day + a["stop"][10:]
    f = tmp_path / "tomorrow.json"
    f.write_text(json.dumps(enc))
    r = run_cli("export", str(f), "--to", to, "--charges", "sample")
    assert r.returncode == 2 and "date_of_service" in r.stderr and "future" in r.stderr, r.stderr
    assert "ISA*" not in r.stdout and "resourceType" not in r.stdout


def test_a_non_ascii_byte_in_a_service_line_refuses_that_claim(tmp_path, x12_text):
    sv1 = next(s.strip() for s in x12_text.split("~") if s.strip().startswith("SV1"))
    f = tmp_path / "c.837"
    f.write_bytes(x12_text.encode().replace(sv1.encode(), sv1.encode().replace(b"HC:", b"HC\xe9:", 1), 1))
    claims, errors = _claims(f)
    assert not claims and len(errors) == 1 and errors[0].segment == "SV1" and errors[0].claim_id


def test_a_csv_byte_that_is_not_utf8_is_that_rows_error_naming_the_column(tmp_path):
    """Never a silently replaced byte: a free-text cell (payer_name) with a Latin-1 byte refuses its row only."""
    data = (ROOT / "examples" / "batch" / "encounters.csv").read_bytes()
    head, first, *rest = data.split(b"\n")
    f = tmp_path / "in.csv"
    f.write_bytes(b"\n".join([head, first.replace(b"Medicare Part B", b"Medicare Part B\xe9", 1), *rest]))
    got = outcomes(f)
    errors = [o.error for o in got if o.error]
    assert len(errors) == 1 and errors[0]["row"] == 2
    assert errors[0]["reason"] == "row 2 column payer_name: not UTF-8 text (a byte 0xe9)"
    assert sum(1 for o in got if o.result_json) == len(got) - 1
    bad_head = tmp_path / "head.csv"
    bad_head.write_bytes(b"\n".join([head.replace(b"payer_name", b"payer_n\xe9me"), first, *rest]))
    with pytest.raises(SourceError, match="header row is not UTF-8"):
        Source(bad_head)
