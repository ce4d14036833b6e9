"""No delimiter, control character or formula reaches an output: the 837 refuses (naming the field) or
transliterates, never writes an invalid diagnosis; CSV cells that a spreadsheet would run are neutralised."""

from __future__ import annotations

import csv
import json
from datetime import datetime

import pytest

from igclaim.errors import InputError
from igclaim.inputs import parse_encounter
from igclaim.outputs import chargemaster, csvsafe, x12

from .conftest import ROOT, run_cli
from .fuzzing import pyx12_check

PARTY = ROOT / "examples" / "parties" / "office-gamunex-jz.json"


def export(**changes) -> str:
    data = json.loads(PARTY.read_text())
    for path, value in changes.items():
        node = data
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return x12.to_837(parse_encounter(data), chargemaster.load("sample"),
                      envelope=x12.Envelope(created=datetime(2026, 3, 6, 12)))


@pytest.mark.parametrize("field, value", [
    ("patient__last_name", "DOE~SE*1*0001"), ("patient__first_name", "ANN*X"), ("patient__last_name", "A:B"),
    ("patient__last_name", "A^B"), ("subscriber__member_id", "1EG4\rTE5"), ("billing_provider__name", "Clinic\x07"),
    ("patient__address__city", "名前"), ("payer__name", "P" * 61),
])
def test_hostile_text_is_refused_naming_the_field(field, value):
    with pytest.raises(InputError) as exc:
        export(**{field: value})
    assert exc.value.path == field.replace("__", ".")


def test_accented_letters_are_transliterated_and_pyx12_accepts():
    text = export(patient__last_name="Müller-Zoë", patient__first_name="José")
    assert "NM1*IL*1*MULLER-ZOE*JOSE*" in text
    assert pyx12_check(text) == []


def test_an_injected_diagnosis_is_never_written():
    with pytest.raises(InputError) as exc:
        export(diagnoses=["D83.9~SE*1"])
    assert exc.value.path == "diagnoses[0]"
    with pytest.raises(InputError) as exc:
        export(diagnoses=["D83.9", "Z99.999"])  # shaped like a code, not in ICD-10-CM: DX-INVALID
    assert exc.value.path == "diagnoses[1]"


def test_the_last_guard_refuses_a_delimiter_in_any_element():
    seg = x12._Segments()
    with pytest.raises(InputError):
        seg.add("NM1", "IL", "A~B")
    with pytest.raises(InputError):
        seg.add("REF", "G1", "A:B")  # the component separator only inside composites
    seg.add("HI", "ABK:D839")


def test_the_last_guard_names_the_element_and_never_quotes_its_value():
    """A value reaching the last guard may be a patient's name: the message names the segment and element only."""
    seg = x12._Segments()
    with pytest.raises(InputError) as exc:
        seg.add("NM1", "IL", "1", "DOE~JANE")
    assert exc.value.path == "NM103"
    assert "DOE" not in str(exc.value) and "JANE" not in str(exc.value)


@pytest.mark.parametrize("value, safe", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tX", "'\tX"), ("\rX", "'\rX"), ("-3", "-3"), ("-12.50", "-12.50"),
    ("enc-1", "enc-1"), (-3, -3), ("-１２", "'-１２"),  # a "number" in full-width digits is text, kept as text
])
def test_csv_cells(value, safe):
    assert csvsafe.cell(value) == safe


def test_batch_findings_csv_neutralises_an_encounter_id(tmp_path):
    data = json.loads(PARTY.read_text())
    data["encounter_id"] = "=HYPERLINK(\"http://evil\",\"x\")"
    data["diagnoses"] = []  # a finding (DX-MISSING), so the id reaches findings.csv
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(data) + "\n")
    r = run_cli("batch", str(src), "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    with (tmp_path / "out" / "findings.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(row["encounter_id"] == "'" + data["encounter_id"] for row in rows)


def test_an_impossible_birth_date_is_refused_naming_the_field():
    """Found by make fuzz: year 1 was written as DMG*D8*10101, which pyx12 rejects."""
    with pytest.raises(InputError) as exc:
        export(patient__birth_date="0001-01-01")
    assert exc.value.path == "patient.birth_date"
    with pytest.raises(InputError):
        export(patient__birth_date="2099-01-01")
