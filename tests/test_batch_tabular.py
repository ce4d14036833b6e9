"""The CSV/Parquet mapping (docs/batch.md): the rows of one encounter become the same Encounter as its JSON."""

from __future__ import annotations

import csv
import json
import re

import pytest

from igclaim.batch.sources import Source
from igclaim.batch.tabular import (
    COLUMNS,
    NOT_IN_ROWS,
    RowsError,
    encounter_to_rows,
    parse_containers,
    rows_to_encounter,
)
from igclaim.inputs import parse_encounter
from tests.conftest import EXAMPLES, ROOT, load_example, run_cli

SAMPLES = ROOT / "examples" / "batch"


def _by_id() -> dict:
    return {load_example(p)["input"]["encounter_id"]: load_example(p)["input"] for p in EXAMPLES}


@pytest.mark.parametrize("name", ["encounters.csv", "encounters.parquet"])
def test_sample_row_sets_equal_the_json_encounters(name):
    """The hand-checked sample: each encounter's rows parse to the Encounter of its worked example."""
    want = _by_id()
    seen = []
    for rec in Source(SAMPLES / name):
        enc = parse_encounter(rows_to_encounter(rec.payload))
        assert enc == parse_encounter(want[enc.encounter_id]), enc.encounter_id
        seen.append(enc.encounter_id)
    assert seen == list(want)


def test_written_claim_lines_and_fluids_come_from_their_own_columns():
    e08 = _by_id()["e08"]
    rows = list(enumerate(encounter_to_rows(e08), start=2))
    assert len(rows) == len(e08["claim"]["lines"])  # one row per written line; the drug on the first
    assert rows[0][1]["product"] == "Gamunex-C" and rows[1][1]["product"] is None
    assert rows[0][1]["fluid_purpose"] == "flush" and rows[0][1]["claim_code"] == "J1561"
    enc = parse_encounter(rows_to_encounter(rows))
    assert [ln.code for ln in enc.claim.lines] == [ln["code"] for ln in e08["claim"]["lines"]]
    assert enc.fluids[0].purpose == "flush"


def test_hand_written_rows():
    """Rows as a biller types them: encounter columns once, a second administration on its own row."""
    rows = [
        (2, {"encounter_id": "h1", "date_of_service": "2026-04-06", "setting": "office", "payer_type": "medicare",
             "diagnoses": "D83.9; G61.81", "drug_id": "ig1", "product": "Privigen", "dose_grams": "35",
             "containers": "1x20g; 1x10g; 1x5g", "admin_start": "2026-04-06T09:00", "admin_stop": "2026-04-06T10:00"}),
        (3, {"encounter_id": "h1", "drug_id": "ig1", "admin_start": "2026-04-06T11:00",
             "admin_stop": "2026-04-06T12:30", "admin_site": "2"}),
        (4, {"encounter_id": "h1", "drug_id": "pre", "hcpcs": "J1200", "units": "1"}),
    ]
    enc = parse_encounter(rows_to_encounter(rows))
    assert enc.diagnoses == ["D83.9", "G61.81"]
    assert [(d.id, d.product or d.hcpcs) for d in enc.drugs] == [("ig1", "Privigen"), ("pre", "J1200")]
    assert [c.grams for c in enc.drugs[0].containers] == [20, 10, 5]
    assert [(a.drug_id, a.site) for a in enc.administrations] == [("ig1", 1), ("ig1", 2)]
    assert enc.claim is None


def test_containers_syntax():
    assert parse_containers("3x10g", "row 2") == [{"count": 3, "grams": "10"}]
    assert parse_containers("2 x 100mL; 1x2.5g", "row 2") == [{"count": 2, "ml": "100"}, {"count": 1, "grams": "2.5"}]
    assert parse_containers("1x10g ndc:13533-0800-40", "r") == [{"count": 1, "grams": "10", "ndc": "13533-0800-40"}]
    assert parse_containers("2xndc:13533-0800-40", "r") == [{"count": 2, "ndc": "13533-0800-40"}]
    for bad in ("ten grams", "3x", "3x10kg"):
        with pytest.raises(RowsError, match="row 7 column containers"):
            parse_containers(bad, "row 7")


@pytest.mark.parametrize("bad", ["３x10g", "٣x10g", "3x１٠g", "1_0x10g"])
def test_containers_are_written_in_the_digits_0_to_9(bad):
    """`\\d` took any script's digits, so int() read a count of "３" or "٣" as 3 vials without a word."""
    with pytest.raises(RowsError) as exc:
        parse_containers(bad, "row 2")
    assert exc.value.problems[0].startswith("row 2 column containers: "), exc.value.problems
    assert parse_containers("3x10g", "row 2") == [{"count": 3, "grams": "10"}]


def test_a_count_of_thousands_of_digits_names_the_cell_not_an_internal_error(tmp_path):
    """int() of a 5,000-digit count raised ValueError past Python's 4,300 digits: the batch listed the record as
    "(internal) ValueError" with no field. Counts and amounts take at most 9 digits; the cell is not echoed."""
    assert parse_containers("999999999x10g", "row 2") == [{"count": 999999999, "grams": "10"}]  # then the schema
    for bad, shown in (("1000000000x10g", "'1000000000x10g'"), ("9" * 5000 + "x10g", "a value of 5,004 characters")):
        with pytest.raises(RowsError) as exc:
            parse_containers(bad, "row 2")
        assert exc.value.problems == [f"row 2 column containers: {shown} is not COUNTxAMOUNTg, COUNTxAMOUNTmL or "
                                      "COUNTxndc:NDC (counts and amounts of at most 9 digits)"]
    rows = list(csv.DictReader((SAMPLES / "encounters.csv").open(encoding="utf-8", newline="")))
    rows[0]["containers"] = "9" * 5000 + "x10g"
    path = tmp_path / "in.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    proc = run_cli("batch", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    (error,) = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert (error["row"], error["stage"]) == (2, "rows") and "column containers" in error["reason"], error


def test_conflicts_and_unknown_columns_name_row_and_column():
    base = {"encounter_id": "c1", "date_of_service": "2026-04-06", "setting": "office", "payer_type": "medicare",
            "drug_id": "ig1", "product": "Privigen", "dose_grams": "10"}
    with pytest.raises(RowsError) as exc:
        rows_to_encounter([(2, base), (3, {"encounter_id": "c1", "setting": "home"})])
    assert exc.value.problems == ["row 3 column setting: 'home' differs from 'office' on row 2"]
    with pytest.raises(RowsError, match="row 2: unknown column"):
        rows_to_encounter([(2, {**base, "dose_gram": "10"})])
    with pytest.raises(RowsError, match="row 3 column drug_id"):
        rows_to_encounter([(2, base), (3, {**base, "dose_grams": "20"})])


def test_group_rows_splits_on_encounter_id(tmp_path):
    path = tmp_path / "g.csv"
    rows = encounter_to_rows(_by_id()["e12"]) + encounter_to_rows(_by_id()["e01"])
    rows.insert(1, {**dict.fromkeys(COLUMNS), "encounter_id": ""})  # a blank id is its own (bad) record
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    recs = list(Source(path))
    assert [r.where for r in recs] == [{"row": 2, "last_row": 2}, {"row": 3, "last_row": 3},
                                       {"row": 4, "last_row": len(rows)}, {"row": len(rows) + 1,
                                                                                  "last_row": len(rows) + 1}]


def test_the_documented_sample_is_e08():
    """docs/batch.md shows e08 as CSV rows: they must read back as the worked example."""
    import io
    import re

    text = (ROOT / "docs" / "batch.md").read_text()
    block = re.search(r"```csv\n(.*?)```", text, re.S).group(1)
    rows = list(enumerate(csv.DictReader(io.StringIO(block)), start=2))
    assert all(None not in r and None not in r.values() for _, r in rows)  # every row has every column
    assert parse_encounter(rows_to_encounter(rows)) == parse_encounter(_by_id()["e08"])


def _csv(tmp_path, rows: list[list[str]], name: str = "in.csv"):
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _sample_rows() -> list[list[str]]:
    return list(csv.reader((SAMPLES / "encounters.csv").open(encoding="utf-8", newline="")))


def test_a_column_named_twice_is_refused_before_any_row(tmp_path):
    """csv.DictReader keeps the last column of a name: the first column's cells were dropped without a word."""
    rows = _sample_rows()
    rows = [rows[0] + ["diagnoses"]] + [r + ["G61.81"] for r in rows[1:]]
    proc = run_cli("batch", str(_csv(tmp_path, rows)), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "the header row names 'diagnoses' more than once; each column once" in proc.stderr, proc.stderr


def test_cells_beyond_the_header_are_the_row_s_error_unless_empty(tmp_path):
    """A value with an unquoted comma spills into a cell past the header: it was dropped silently. Empty cells
    there (a spreadsheet's padding) are still fine."""
    rows = _sample_rows()
    stray = [r[:] for r in rows]
    stray[1] = stray[1] + ["10%"]
    proc = run_cli("batch", str(_csv(tmp_path, stray)), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    (error,) = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert error["row"] == 2 and error["reason"] == (
        "row 2: 1 cell(s) beyond the header's columns (a comma inside a value needs the value in double quotes)")
    padded = [r[:] for r in rows]
    padded[1] = padded[1] + ["", " "]
    proc = run_cli("batch", str(_csv(tmp_path, padded, "padded.csv")), "--out", str(tmp_path / "out2"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out2" / "errors.jsonl").read_text() == ""


def test_a_parquet_column_named_twice_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(SAMPLES / "encounters.parquet")
    names = table.column_names
    twice = pa.Table.from_arrays([table.column(c) for c in [*names, "diagnoses"]], names=[*names, "diagnoses"])
    pq.write_table(twice, tmp_path / "twice.parquet")
    proc = run_cli("batch", str(tmp_path / "twice.parquet"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "the file names the column(s) 'diagnoses' more than once; each column once" in proc.stderr, proc.stderr
    assert run_cli("batch", str(SAMPLES / "encounters.parquet"), "--out", str(tmp_path / "ok")).returncode == 0


# --- drugs[].acquired_340b as the `acquired_340b` column (docs/batch.md) ---------------------------------------------

def _340b_chart(acquired: bool) -> dict:
    """Office Medicare 2026, Privigen 35 g from a 40 g vial: the J1459 line and its JW line (TB on both if 340B)."""
    from tests.test_340b import visit

    return {**visit("2026-03-02", acquired=acquired), "encounter_id": "b340"}


def _340b_file(tmp_path, fmt: str, value: object) -> object:
    """The chart's rows with `acquired_340b` set to `value` on the drug's row: a CSV cell as text, or a typed
    Parquet column (a boolean when `value` is one, as a Parquet writer types it)."""
    rows = encounter_to_rows(_340b_chart(False))
    rows[0]["acquired_340b"] = value
    kind = "bool" if isinstance(value, bool) or value is None else "string"
    return _rows_file(tmp_path, fmt, rows, {"acquired_340b": kind})


def _rows_file(tmp_path, fmt: str, rows: list[dict], typed: dict[str, str] | None = None) -> object:
    """Rows written as a CSV, or as a Parquet file of string columns but for `typed` (column → pyarrow type name,
    as a Parquet writer types a column). A column the rows name beyond COLUMNS is written too (read as unknown)."""
    names = list(dict.fromkeys([*COLUMNS, *(c for r in rows for c in r)]))
    path = tmp_path / f"in.{fmt}"
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=names)
            w.writeheader()
            w.writerows(rows)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(c, pa.type_for_alias((typed or {}).get(c, "string"))) for c in names])
        pq.write_table(pa.Table.from_pylist([{c: r.get(c) for c in names} for r in rows], schema=schema), path)
    return path


def _batch(tmp_path, path) -> tuple[list[dict], list[dict]]:
    from igclaim.batch import run_batch

    out = tmp_path / f"out-{path.name}"
    run_batch(path, out, workers=1)
    results, errors = ([json.loads(t) for t in (out / name).read_text().splitlines()]
                       for name in ("results.jsonl", "errors.jsonl"))
    return results, errors


@pytest.mark.parametrize(("fmt", "value"), [("csv", "true"), ("parquet", "true"), ("parquet", True), ("csv", "yes")])
def test_an_acquired_340b_row_codes_as_its_json_twin(tmp_path, fmt, value):
    """A drug bought through 340B, said in a row, gets its TB lines as the JSON chart does: the column was unknown
    (the row refused), so a CSV or Parquet user could not say it at all."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(_340b_chart(True)) + "\n")
    want, _ = _batch(tmp_path, src)
    got, errors = _batch(tmp_path, _340b_file(tmp_path, fmt, value))
    assert errors == [] and got == want
    assert [ln["modifiers"] for ln in got[0]["claim"]["lines"] if ln["code"] == "J1459"] == [["TB"], ["JW", "TB"]]


@pytest.mark.parametrize(("fmt", "value"), [("csv", ""), ("parquet", None), ("csv", "false"), ("parquet", False)])
def test_a_blank_or_false_acquired_340b_is_false(tmp_path, fmt, value):
    path = _340b_file(tmp_path, fmt, value)
    enc = parse_encounter(rows_to_encounter(next(iter(Source(path))).payload))
    assert enc == parse_encounter(_340b_chart(False))
    got, errors = _batch(tmp_path, path)
    assert errors == [] and not any({"JG", "TB"} & set(ln["modifiers"]) for ln in got[0]["claim"]["lines"])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_bad_acquired_340b_is_the_row_s_error_naming_the_column(tmp_path, fmt):
    _, errors = _batch(tmp_path, _340b_file(tmp_path, fmt, "maybe"))
    (err,) = errors
    assert err["encounter_id"] == "b340" and err["row"] == (2 if fmt == "csv" else 1)
    assert err["problems"] == ["drugs[0].acquired_340b: 'maybe': give true or false"]


# --- drugs[].ndc_quantity and ndc_unit as the `ndc_quantity` and `ndc_unit` columns (docs/batch.md) ------------------

def _ndc_chart(quantity: object = None, unit: object = None) -> dict:
    """Medicaid office 2026: the 340B chart's Privigen, not bought through 340B, and a premedication (J1200) given
    with its NDC and, when given, the NDC quantity and unit its 837 line carries (CTP04/CTP05)."""
    enc = {**_340b_chart(False), "encounter_id": "n1", "payer": {"type": "medicaid"}}
    premed = {"id": "pre", "hcpcs": "J1200", "units": 1, "ndc": "00641-0376-25"}
    premed.update({k: v for k, v in (("ndc_quantity", quantity), ("ndc_unit", unit)) if v is not None})
    enc["drugs"] = [*enc["drugs"], premed]
    enc["administrations"] = [*enc["administrations"], {"drug_id": "pre", "start": "2026-03-02T08:45",
                                                         "stop": "2026-03-02T08:50", "method": "push"}]
    return enc


def _ndc_file(tmp_path, fmt: str, quantity: object, unit: object, typed: dict[str, str] | None = None) -> object:
    """The chart's rows (without an NDC quantity) with the `ndc_quantity` and `ndc_unit` cells of the premedication's
    row set."""
    rows = encounter_to_rows(_ndc_chart())
    (row,) = [r for r in rows if r["hcpcs"] == "J1200"]
    row.update({"ndc_quantity": quantity, "ndc_unit": unit})
    return _rows_file(tmp_path, fmt, rows, typed)


@pytest.mark.parametrize(("fmt", "quantity", "typed"), [
    ("csv", "0.5", None), ("parquet", "0.5", None), ("parquet", 0.5, {"ndc_quantity": "double"})])
def test_a_drug_s_ndc_quantity_row_codes_as_its_json_twin(tmp_path, fmt, quantity, typed):
    """A drug's NDC quantity and unit (the 837's CTP04/CTP05 of its line), said in a row, code as the JSON chart
    does: there were no columns (an ndc_quantity column was refused as unknown), so a CSV or Parquet user could
    not give them."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(_ndc_chart("0.5", "ML")) + "\n")
    want, _ = _batch(tmp_path, src)
    got, errors = _batch(tmp_path, _ndc_file(tmp_path, fmt, quantity, "ML", typed))
    assert errors == [] and got == want
    assert [(ln["ndc_quantity"], ln["ndc_unit"]) for ln in got[0]["claim"]["lines"] if ln["code"] == "J1200"] == [
        (0.5, "ML")]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(("quantity", "unit", "field"), [("0", "ML", "ndc_quantity"), ("lots", "ML", "ndc_quantity"),
                                                         ("1", "XX", "ndc_unit")])
def test_a_bad_ndc_quantity_or_unit_is_the_row_s_error_naming_the_field(tmp_path, fmt, quantity, unit, field):
    _, errors = _batch(tmp_path, _ndc_file(tmp_path, fmt, quantity, unit))
    (err,) = errors
    assert err["encounter_id"] == "n1" and err["stage"] != "rows", err
    assert [p.split(":")[0] for p in err["problems"]] == [f"drugs[1].{field}"], err


# --- what rows cannot carry: NOT_IN_ROWS, against the schema and docs/batch.md's "Not in rows" ----------------------

def _carried() -> set[str]:
    """The schema paths a column carries (tabular.py's mappings; containers as `parse_containers` reads them)."""
    from igclaim.batch import tabular as t

    paths = {".".join(p) for p in t._ENCOUNTER_PATHS.values()}
    paths |= {"diagnoses", "drugs[].id", "drugs[].containers[].count", "drugs[].containers[].grams",
              "drugs[].containers[].ml", "drugs[].containers[].ndc", "administrations[].drug_id",
              "pump_log[].drug_id", "pump_log[].start", "pump_log[].stop", "claim.diagnoses", "claim.lines[].line",
              "claim.lines[].modifiers", "claim.lines[].diagnosis_pointers"}
    for prefix, fields in (("drugs[]", t._DRUG_FIELDS), ("drugs[].dose", t._DOSE_FIELDS),
                           ("administrations[]", t._ADMIN_FIELDS), ("administrations[].visit", t._VISIT_FIELDS),
                           ("fluids[]", t._FLUID_FIELDS), ("claim", t._CLAIM_HEAD_FIELDS),
                           ("claim.lines[]", t._CLAIM_LINE_FIELDS)):
        paths |= {f"{prefix}.{name}" for name in fields.values()}
    return paths


def _schema_paths(model: type, prefix: str = "") -> dict[str, bool]:
    """Every field of the schema under `model`, as a path (`[]`: each item of a list) → whether it is a model."""
    import typing

    from pydantic import BaseModel

    def inner(tp: object) -> tuple[type | None, bool]:  # (the model a field holds, whether it is a list of them)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp, False
        found = [inner(a) for a in typing.get_args(tp)]
        sub = next(((m, many) for m, many in found if m is not None), (None, False))
        return sub[0], sub[1] or typing.get_origin(tp) is list and sub[0] is not None

    out: dict[str, bool] = {}
    for name, field in model.model_fields.items():
        sub, many = inner(field.annotation)
        path = f"{prefix}{name}"
        out[path] = sub is not None
        if sub is not None:
            out |= _schema_paths(sub, f"{path}[]." if many else f"{path}.")
    return out


def test_every_encounter_field_is_a_column_or_named_not_in_rows():
    """model.py's Encounter, field by field (into payer, drugs, containers, administrations, claim lines …): each is
    carried by a column or named in NOT_IN_ROWS (itself or a model holding it), and each name there is a field no
    column carries."""
    from igclaim.model import Encounter

    paths, carried = _schema_paths(Encounter), _carried()
    assert carried <= set(paths)

    def within(path: str, name: str) -> bool:
        return path == name or path.startswith((f"{name}.", f"{name}[]."))

    lost = [p for p, is_model in paths.items()
            if not is_model and p not in carried and not any(within(p, n) for n in NOT_IN_ROWS)]
    assert lost == []
    assert [n for n in NOT_IN_ROWS if n not in paths or any(within(c, n) for c in carried)] == []


def test_the_docs_name_what_rows_cannot_carry():
    """docs/batch.md's "Not in rows" list is NOT_IN_ROWS: it named the four parties only (ordering_provider,
    correction, payer.contractor … were missing)."""
    import re

    text = (ROOT / "docs" / "batch.md").read_text()
    (para,) = re.findall(r"^Not in rows \(use JSON Lines for them\): (.*?)\.$", text, re.M)
    assert tuple(re.findall(r"`([^`]+)`", para)) == NOT_IN_ROWS


def _set_first(enc: dict, name: str, value: object) -> str:
    """Sets the NOT_IN_ROWS field `name` on the first item of each list on its way; its path with those indices."""
    *heads, last = name.split(".")
    obj, where = enc, []
    for key in heads:
        if key.endswith("[]"):
            obj, where = obj[key[:-2]][0], [*where, f"{key[:-2]}[0]"]
        else:
            obj, where = obj.setdefault(key, {}), [*where, key]
    obj[last] = value
    return ".".join([*where, last])


@pytest.mark.parametrize("name", NOT_IN_ROWS)
@pytest.mark.parametrize("value", [0, {"npi": "1234567893", "last_name": "Synthetic"}])
def test_a_field_rows_cannot_carry_is_refused_not_dropped(name, value):
    """Written as rows, an encounter lost ordering_provider, correction, payer.contractor, a container's units and a
    written line's expected_payment without a word (the check named the four parties only, and passed a given 0):
    every NOT_IN_ROWS field that is given is refused, naming it, as the parties were."""
    enc = json.loads(json.dumps(_by_id()["e08"]))
    assert encounter_to_rows(enc)  # e08 itself has none of them
    where = _set_first(enc, name, value)
    with pytest.raises(ValueError, match=rf"^{re.escape(where)} cannot be written as rows \(docs/batch\.md: Not in "
                                         r"rows\); use JSON Lines$"):
        encounter_to_rows(enc)


def test_every_field_rows_cannot_carry_is_named_at_once():
    enc = json.loads(json.dumps(_by_id()["e08"]))
    enc["ordering_provider"] = {"npi": "1234567893", "last_name": "Synthetic"}
    enc["correction"] = {"frequency": "7", "original_claim_id": "X1"}
    enc["claim"]["lines"][2]["expected_payment"] = 12.5
    enc["claim"]["lines"][2]["unit_basis"] = None  # not given: nothing is lost
    with pytest.raises(ValueError) as exc:
        encounter_to_rows(enc)
    assert str(exc.value).startswith("ordering_provider, correction, claim.lines[2].expected_payment cannot be")


# --- a number in a cell is the digits 0-9 (model.NUMBER_TEXT): Python read "1_0" as 10 and "١٢" as 12 -------------

def _number_file(tmp_path, fmt: str, column: str, value: str) -> object:
    """The 340B chart's rows with a written claim line (J1459, 70 units), `column` of the first row set to `value`."""
    rows = encounter_to_rows(_340b_chart(False))
    rows[0].update({"claim_code": "J1459", "claim_units": "70"})
    rows[0][column] = value
    return _rows_file(tmp_path, fmt, rows)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("value", ["1_0", "١٢", "１２"])
@pytest.mark.parametrize(("column", "field"), [("dose_grams", "drugs[0].dose.grams"),
                                               ("claim_units", "claim.lines[0].units"),
                                               ("admin_site", "administrations[0].site")])
def test_a_number_cell_of_other_digits_is_the_row_s_error_naming_the_field(tmp_path, fmt, column, field, value):
    _, errors = _batch(tmp_path, _number_file(tmp_path, fmt, column, value))
    (err,) = errors
    assert err["encounter_id"] == "b340" and [p.split(":")[0] for p in err["problems"]] == [field], err
    assert "digits 0-9" in err["problems"][0], err


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_number_cell_of_the_digits_0_to_9_codes_as_before(tmp_path, fmt):
    got, errors = _batch(tmp_path, _number_file(tmp_path, fmt, "dose_grams", "35.0"))
    assert errors == [] and got[0]["claim"]["lines"][0]["units"] == 70, errors


# --- a cell's surrounding spaces: only ASCII ones are a spreadsheet's padding (docs/batch.md) -----------------------

def _spaced_chart(path: tuple, space: str) -> dict:
    """The 340B chart with a written J1459 line, the value at `path` wrapped in `space` (a str, or a list's item)."""
    enc = json.loads(json.dumps(_340b_chart(False)))
    enc["claim"] = {"form": "CMS-1500", "lines": [{"line": "1", "code": "J1459", "units": "70", "modifiers": []}]}
    obj = enc
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = f"{space}{obj[path[-1]]}{space}"
    return enc


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(("path", "space"), [
    (("setting",), "\u00a0"), (("date_of_service",), "\u2003"), (("payer", "type"), "\u00a0"),
    (("drugs", 0, "dose", "grams"), "\u00a0"), (("drugs", 0, "containers", 0, "grams"), "\u2003"),
    (("administrations", 0, "start"), "\u00a0"), (("claim", "lines", 0, "units"), "\u3000"),
    (("drugs", 0, "id"), "\x1c"), (("diagnoses", 0), "\u00a0"),
    (("drugs", 0, "product"), "\u00a0"), (("drugs", 0, "product"), " ")])
def test_a_cell_s_unicode_spaces_are_judged_as_the_json_twin_s(tmp_path, fmt, path, space):
    """The same chart as JSON and as rows codes the same or is refused the same way, naming the field: a CSV or
    Parquet cell lost its surrounding no-break (U+00A0), em (U+2003), ideographic (U+3000) spaces and separators
    (U+001C) to str.strip(), so '\\u00a0office' was coded where its JSON twin was refused (setting: not one of …)."""
    enc = _spaced_chart(path, space)
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(enc) + "\n")
    want, want_errors = _batch(tmp_path, src)
    got, errors = _batch(tmp_path, _rows_file(tmp_path, fmt, encounter_to_rows(enc)))
    assert got == want
    if path[:2] == ("drugs", 0) and path[2] == "containers":  # the containers cell is read by its own syntax
        assert want == [] and [(e["stage"], e["field"]) for e in errors] == [("rows", "column containers")]
        cell = f"1x{space}40{space}g"
        assert [e["problems"] for e in errors] == [[f"row {2 if fmt == 'csv' else 1} column containers: {cell!r} is "
                                                    "not COUNTxAMOUNTg, COUNTxAMOUNTmL or COUNTxndc:NDC (counts and "
                                                    "amounts of at most 9 digits)"]]
        return
    assert [(e["stage"], e["field"], e["problems"]) for e in errors] == [
        (e["stage"], e["field"], e["problems"]) for e in want_errors]
    assert [e["row"] for e in errors] == [2 if fmt == "csv" else 1] * len(want_errors)


# --- encounter_to_rows on a malformed encounter: refused naming the field, no rows --------------------------------

def _e08() -> dict:
    return json.loads(json.dumps(_by_id()["e08"]))


def _malformed(change: str) -> dict:
    enc = _e08()
    exec(change, {}, {"enc": enc})  # noqa: S102 - a test's own statement
    return enc


@pytest.mark.parametrize(("change", "message"), [
    ("del enc['drugs'][0]['id']", "drugs[0].id: missing (the rows of a drug are keyed by it)"),
    ("del enc['administrations'][0]['drug_id']",
     "administrations[0].drug_id: missing (the rows of a drug are keyed by it)"),
    ("enc['pump_log'] = [{'start': '2026-03-02T09:00'}]",
     "pump_log[0].drug_id: missing (the rows of a drug are keyed by it)"),
    ("enc['drugs'] = {'id': 'ig1'}", "drugs: a list expected, not dict"),
    ("enc['drugs'][0] = 'ig1'", "drugs[0]: an object expected, not str"),
    ("enc['payer'] = 'medicare'", "payer: an object expected, not str"),
    ("enc['claim'] = ['J1561']", "claim: an object expected, not list"),
    ("enc['drugs'][0]['product'] = ['Gamunex-C', 'Privigen']", "drugs[0].product: one value expected, not list"),
    ("enc['drugs'][0]['dose'] = 30", "drugs[0].dose: an object expected, not int"),
    ("enc['drugs'][0]['dose']['grams'] = {'value': 30}", "drugs[0].dose.grams: one value expected, not dict"),
    ("enc['diagnoses'] = 'D83.9'", "diagnoses: a list expected, not str"),
    ("enc['diagnoses'] = [['D83.9']]", "diagnoses[0]: one value expected, not list"),
    ("enc['claim']['lines'][1]['modifiers'] = 'JZ'", "claim.lines[1].modifiers: a list expected, not str"),
    ("enc['drugs'][0]['containers'][0] = ['10g']", "drugs[0].containers[0]: an object expected, not list"),
    ("enc['administrations'][0]['visit'] = ['2026-03-02T09:00']",
     "administrations[0].visit: an object expected, not list"),
])
def test_a_malformed_encounter_is_refused_naming_the_field(change, message):
    """encounter_to_rows met a malformed encounter with a KeyError ('id'), an AttributeError ('str' object has no
    attribute 'get'), or wrote it: a list of products as 'Gamunex-C;Privigen', a dose's dict as its Python text,
    a missing drug id as the next default id. Now a ValueError names the field, and no row is returned."""
    with pytest.raises(ValueError) as exc:
        encounter_to_rows(_malformed(change))
    assert type(exc.value) is ValueError
    assert str(exc.value) == f"{message}: the encounter cannot be written as rows"


def test_not_an_object_is_refused():
    with pytest.raises(ValueError, match=r"^\(top level\): an object expected, not list: the encounter cannot be"):
        encounter_to_rows([_e08()])  # type: ignore[arg-type]


def test_every_malformed_field_is_named_at_once():
    enc = _e08()
    del enc["drugs"][0]["id"]
    enc["setting"] = ["office"]
    with pytest.raises(ValueError) as exc:
        encounter_to_rows(enc)
    assert str(exc.value) == ("setting: one value expected, not list; drugs[0].id: missing (the rows of a drug are "
                              "keyed by it): the encounter cannot be written as rows")


# --- every JSON field survives JSON → rows → JSON, or is refused (docs/batch.md) -------------------------------------

def _round_trip(enc: dict) -> dict:
    return rows_to_encounter(list(enumerate(encounter_to_rows(enc), start=2)))


def _generated() -> object:
    """The generator's encounters (benchmarks/generate.py), with a written claim or not, as hypothesis draws them."""
    import random

    from hypothesis import strategies as st

    from benchmarks import generate

    products = generate._products()

    def chart(seed: int, written: bool, error: int) -> dict:
        rng = random.Random(seed)
        enc = generate.make_chart(rng, seed, products)
        if written:
            errors = generate.WRITTEN_ERRORS
            enc = generate.add_written_claim(rng, enc, errors[error % len(errors)] if error else None)
        return enc

    return st.builds(chart, st.integers(0, 2**32), st.booleans(), st.integers(0, 20))


def test_the_generator_s_encounters_survive_rows():
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_generated())
    def check(enc: dict) -> None:
        try:
            want = parse_encounter(enc)
        except Exception:  # noqa: BLE001 - a chart the schema refuses: its rows are refused alike
            with pytest.raises(Exception):  # noqa: B017, PT011
                parse_encounter(_round_trip(enc))
            return
        assert parse_encounter(_round_trip(enc)) == want

    check()


def _two_drugs() -> dict:
    """e08 with a premedication given first, a second infusion of the IG, and a pump log of both."""
    enc = _e08()
    enc["drugs"].append({"id": "pre", "hcpcs": "J1200", "units": 1})
    enc["administrations"].insert(0, {"drug_id": "pre", "start": "2026-03-02T08:45", "stop": "2026-03-02T08:50",
                                      "method": "push"})
    enc["pump_log"] = [{"drug_id": "pre", "start": "2026-03-02T08:45", "stop": "2026-03-02T08:50"},
                       {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"}]
    return enc


def test_administrations_and_pump_log_keep_their_order():
    """The administrations came back as the drugs' order (the IG's first, then the premedication given before it),
    so every administrations[i] a finding or an error names pointed at another; so did the pump log."""
    enc = _two_drugs()
    assert parse_encounter(_round_trip(enc)) == parse_encounter(enc)


@pytest.mark.parametrize(("change", "message"), [
    ("enc['drugs'][0]['lot'] = 'A1'", "drugs[0].lot: not a field of the schema"),
    ("enc['notes'] = 'x'", "notes: not a field of the schema"),
    ("enc['claim']['lines'][0]['charge'] = 10", "claim.lines[0].charge: not a field of the schema"),
    ("enc['fluids'].append({})", "fluids[1]: gives no field"),
    ("enc['drugs'].append({'id': 'x'})", "drugs[1]: gives no field"),
    ("enc['administrations'].append({'drug_id': 'ig1'})", "administrations[1]: gives no field"),
    ("enc['pump_log'] = [{'drug_id': 'ig1'}]", "pump_log[0]: gives no field"),
    ("enc['claim']['lines'].append({'modifiers': []})", "claim.lines[4]: gives no field"),
    ("enc['diagnoses'] = ['D83.9, G61.81']", "diagnoses[0]: holds a list separator"),
    ("enc['claim']['lines'][0]['modifiers'] = ['JW JZ']", "claim.lines[0].modifiers[0]: holds a list separator"),
])
def test_what_rows_would_drop_is_refused(change, message):
    """An unknown key (which JSON refuses) and an item that gives nothing but its drug id were written as no cell,
    and a list's item holding a separator was split in two ('D83.9, G61.81', refused by JSON, coded as two codes):
    the rows coded without them. Now refused, naming the field."""
    with pytest.raises(ValueError) as exc:
        encounter_to_rows(_malformed(change))
    assert str(exc.value).startswith(message), str(exc.value)


@pytest.mark.parametrize("space", ["\u00a0", "\u2003"])
def test_a_container_item_s_unicode_space_is_no_padding(space):
    """Only ASCII spaces pad an item of the containers cell: '\u00a03x10g' is refused as its JSON grams would be,
    naming the row and column, not read as 3 × 10 g."""
    assert parse_containers(" 3x10g ;\t1x5g", "row 2") == parse_containers("3x10g;1x5g", "row 2")
    with pytest.raises(RowsError, match="row 2 column containers"):
        parse_containers(f"{space}3x10g", "row 2")


def test_a_result_s_claim_keys_the_schema_drops_are_not_refused():
    """A result's claim (its priced_total and unpriced_lines, which the schema reads and drops) given as the written
    claim is written as rows, as JSON takes it; another unknown key of the claim is refused."""
    enc = _e08()
    enc["claim"]["priced_total"] = "3926.08"
    enc["claim"]["unpriced_lines"] = []
    assert encounter_to_rows(enc)
    assert parse_encounter(enc) == parse_encounter(_e08())  # JSON reads them and drops them (model.Claim.DERIVED)
    enc["claim"]["total"] = "3926.08"
    with pytest.raises(ValueError, match=r"^claim.total: not a field of the schema"):
        encounter_to_rows(enc)


def test_a_cell_beyond_the_header_holding_a_unicode_space_is_the_row_s_error(tmp_path):
    """A cell past the header is a spreadsheet's padding only when it holds ASCII spaces: a no-break space there is
    a value, refused as the row's error, not dropped."""
    rows = _sample_rows()
    rows[1] = rows[1] + ["\u00a0"]
    proc = run_cli("batch", str(_csv(tmp_path, rows)), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    (error,) = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert error["row"] == 2 and "1 cell(s) beyond the header's columns" in error["reason"]
