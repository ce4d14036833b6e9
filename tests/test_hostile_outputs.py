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
