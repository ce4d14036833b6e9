"""Hostile chart values pushed through to the outputs (an outside audit of the 837, FHIR and CSV outputs): a value
that can never be valid is refused at input naming its field; a value that reaches an output is written so that
the output still means what it says."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from igclaim.inputs import InvalidInput, parse_encounter
from igclaim.outputs import chargemaster, x12

from .conftest import ROOT

OFFICE = ROOT / "examples" / "parties" / "office-gamunex-jz.json"


def chart() -> dict:
    return json.loads(OFFICE.read_text())


def export(data: dict, charges: chargemaster.Chargemaster | None = None) -> str:
    return x12.to_837(parse_encounter(data), charges or chargemaster.load("sample"),
                      envelope=x12.Envelope(created=datetime(2026, 3, 6, 12)))


@pytest.mark.parametrize("pos", ["1:1", "=11", "13A", "<1>", "１１", "1"])
def test_a_place_of_service_that_is_not_two_digits_is_refused_naming_the_field(pos):
    """CLM05-1 is the place of service inside a composite: "1:1" was written as CLM05 1:1:B:1 (an extra component,
    on which pyx12's validator raised IndexError), and "=11", "13A" or "<1>" as an 837 that pyx12 rejects."""
    data = chart()
    data["place_of_service"] = pos
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(data)
    assert [p.split(":")[0] for p in exc.value.problems] == ["place_of_service"]
    assert "2-digit" in exc.value.problems[0]


def test_a_two_digit_place_of_service_is_written():
    data = chart()
    data["place_of_service"] = "12"
    assert "*12:B:1*" in export(data)


def with_premedication(hcpcs: str) -> dict:
    data = chart()
    data["drugs"].append({"id": "pre", "hcpcs": hcpcs, "units": 1, "route": "IV"})
    data["administrations"].append({"drug_id": "pre", "method": "push", "start": "2026-03-02T08:40",
                                    "stop": "2026-03-02T08:45"})
    return data


@pytest.mark.parametrize("hcpcs", ["J1200:59", "J1200~", "J1200*X", "J１２００", "=J1200", "J12", "J1200\x00"])
def test_a_drug_code_that_is_not_a_hcpcs_code_is_refused_naming_the_field(hcpcs):
    """A premedication's hcpcs was billed as given: "J1200:59" was written SV1*HC:J1200:59, a modifier 59 that no
    rule chose, slipped in through the component separator (pyx12 accepts it), once the charges listed the code."""
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(with_premedication(hcpcs))
    assert [p.split(":")[0] for p in exc.value.problems] == ["drugs[1].hcpcs"]
    assert "5-character" in exc.value.problems[0]


def test_a_hcpcs_code_in_lower_case_or_spaced_is_still_read(tmp_path):
    cm = tmp_path / "charges.csv"
    cm.write_text("code,unit_charge\nJ1561,100\nJ1200,5\n96365,10\n96366,10\n96374,10\n96375,10\n")
    text = export(with_premedication(" j1200 "), chargemaster.load(cm))
    assert "SV1*HC:J1200*5*UN*1***1" in text
