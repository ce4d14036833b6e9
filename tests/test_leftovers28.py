"""Small defects found after audit 27: each test fails on the code before its fix."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest

from igclaim.readers.x12 import ReadError, WrittenClaim, read_837
from tests.conftest import run_cli
from tests.test_edits_support import chart, only, scrub
from tests.test_export_cli import OFFICE
from tests.test_hostile_paths import outcomes
from tests.test_x12 import PARTIES


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
    team's charge master (PUT /api/chargemaster) refuses it: one check (`chargemaster.read`) for both."""
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


def _837(example: str) -> str:
    from datetime import datetime

    from igclaim.inputs import parse_encounter
    from igclaim.outputs import chargemaster, x12

    enc = parse_encounter(json.loads((PARTIES / example).read_text()))
    return x12.to_837(enc, chargemaster.load("sample"), envelope=x12.Envelope(created=datetime(2026, 3, 6, 12, 0)))


@pytest.mark.parametrize("example,written,element,value", [
    ("office-gamunex-jz.json", "SV1*HC:J1561:JZ*{}*UN*60", "SV102", "-6000"),
    ("office-gamunex-jz.json", "SV1*HC:96365*{}*UN*1", "SV102", "99999999999999999"),  # 17 digits: an X12 decimal
    ("office-gamunex-jz.json", "CLM*CLM-2026-0001*{}***11:B:1", "CLM02", "-6700"),
    ("hospital-gamunex.json", "SV2*0636*HC:J1561:JZ*{}*UN*80", "SV203", "-8000"),
    ("hospital-gamunex.json", "CLM*CLM-2026-0003*{}***13:A:1", "CLM02", "10000000.00"),
])
def test_an_837_charge_below_0_or_above_the_most_an_amount_may_be_is_refused(example, written, element, value):
    """An 837 read to scrub kept a negative line or claim charge, or one of 17 digits (within X12's 18 characters),
    without a word: no claim bills either. The claim is an error naming the segment and element; charges at the
    limits still read."""
    text = _837(example)
    segment = next(s for s in text.split("~") if s.strip().startswith(written.split("{}")[0]))
    amount = segment.strip()[len(written.split("{}")[0]):].split("*")[0]

    def with_charge(charge: str) -> str:
        changed = text.replace(written.format(amount), written.format(charge))
        assert changed != text
        return changed

    [got] = read_837(io.StringIO(with_charge(value)))
    assert isinstance(got, ReadError), got
    assert (got.segment, got.element) == (element[:3] if element != "CLM02" else "CLM", element)
    assert got.message == f"the charge {value} must be an amount from 0 to 9,999,999.99"
    for fine in ("0", "9999999.99"):
        [ok] = read_837(io.StringIO(with_charge(fine)))
        assert isinstance(ok, WrittenClaim), ok


def _parquet(tmp_path, column: str, kind, value):
    """The first sample encounter (e01) as Parquet, one column of another Arrow type holding `value`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(PARTIES.parent / "batch" / "encounters.parquet").slice(0, 1)
    i = table.schema.get_field_index(column)
    f = tmp_path / f"{column}.parquet"
    pq.write_table(table.set_column(i, pa.field(column, kind), pa.array([value], kind)), f)
    return f


def test_a_parquet_binary_column_is_read_as_its_text(tmp_path):
    """A string column written as BINARY (no UTF8 annotation) gave b'e01' as the encounter id, "b'Gammaplex'" as an
    unknown product and B'D.839' as a diagnosis: bytes are read as UTF-8 text, as a CSV's; other bytes are the
    row's error, as in a CSV."""
    import pyarrow as pa

    for column, value in (("encounter_id", b"e01"), ("product", b"Gammaplex"), ("diagnoses", b"D83.9")):
        [out] = outcomes(_parquet(tmp_path, column, pa.binary(), value))
        assert out.error is None, out.error
        result = json.loads(out.result_json)
        assert result["encounter_id"] == "e01" and result["claim"]["diagnoses"] == ["D83.9"], result
    [out] = outcomes(_parquet(tmp_path, "diagnoses", pa.binary(), b"D83.9\xff"))
    assert out.error is not None and out.error["reason"] == "row 1 column diagnoses: not UTF-8 text (a byte 0xff)"


def test_a_parquet_list_or_struct_cell_is_refused_naming_row_column_and_plain_value(tmp_path):
    """A list column gave "drugs[0].dose.grams: "[Decimal('500')]": give a number", and a list of codes was split
    into the codes "['D83.9'" and "'G61.81']": each is the row's error, naming the column and showing the value."""
    import pyarrow as pa

    [out] = outcomes(_parquet(tmp_path, "dose_grams", pa.list_(pa.decimal128(10, 0)), [Decimal(500)]))
    assert out.error is not None and out.error["reason"] == (
        "row 1 column dose_grams: a list (500), not one value: give the cell as text or a number"), out.error
    [out] = outcomes(_parquet(tmp_path, "diagnoses", pa.list_(pa.string()), ["D83.9", "G61.81"]))
    assert out.error is not None and out.error["reason"] == (
        "row 1 column diagnoses: a list (D83.9; G61.81), not one value: give the cell as text or a number (a list "
        "as text: D83.9; G61.81)"), out.error
    [out] = outcomes(_parquet(tmp_path, "dose_grams", pa.struct([("grams", pa.decimal128(10, 0))]),
                              {"grams": Decimal(500)}))
    assert out.error is not None and "Decimal" not in out.error["reason"]
    assert out.error["reason"].startswith("row 1 column dose_grams: a struct (500), not one value"), out.error
