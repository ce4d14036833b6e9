"""The 837 writer refuses a diagnosis DX-INVALID rejects by the finding's id and cause, never by its message text
(issue 10: no component reads another's message)."""

from __future__ import annotations

import json

from igclaim import engine
from igclaim.inputs import parse_encounter
from igclaim.model import Result
from igclaim.outputs import x12

from .conftest import ROOT

PARTY = ROOT / "examples" / "parties" / "office-gamunex-jz.json"


def _claim(diagnoses: list[str]) -> x12.ClaimInput:
    data = json.loads(PARTY.read_text())
    data["diagnoses"] = diagnoses
    enc = parse_encounter(data)
    return x12.ClaimInput(enc, engine.build(enc))


def test_dx_invalid_names_its_diagnosis_as_its_cause() -> None:
    c = _claim(["D83.9", "Z99.999", "D80"])
    errors = [f for f in c.result.findings if f.edit == "DX-INVALID"]
    assert sorted(cause for f in errors for cause in f.causes) == [("diagnosis", "D80"), ("diagnosis", "Z99.999")]
    assert x12.rejected_diagnoses(c) == {"Z99.999", "D80"}


def test_the_writer_ignores_the_message_text() -> None:
    c = _claim(["D83.9", "Z99.999"])
    for f in c.result.findings:
        if f.edit == "DX-INVALID":
            f.message = "reworded"  # a reworded message changes nothing
    assert [p.path for p in x12.diagnosis_problems(c)] == ["diagnoses[1]"]
    assert x12.diagnosis_problems(_claim(["D83.9"])) == []  # a valid diagnosis passes


def test_a_stored_result_without_causes_is_decided_by_the_same_rule() -> None:
    c = _claim(["D83.9", "Z99.999"])
    stored = x12.ClaimInput(c.encounter, Result.model_validate_json(c.result.model_dump_json()))
    assert all(not f.causes for f in stored.result.findings)
    assert x12.rejected_diagnoses(stored) == {"Z99.999"}
    assert [p.path for p in x12.diagnosis_problems(stored)] == ["diagnoses[1]"]


def test_a_partial_release_warning_is_not_rejected(monkeypatch) -> None:
    """DX-INVALID as a warning (the file in force may be partial) does not stop the 837."""
    from datetime import date

    from igclaim.refdata import icd10

    monkeypatch.setattr(icd10, "_REGISTERED", [])
    icd10.register_release("partial-x12", date(2025, 10, 1), date(2026, 9, 30), ["D83.9"], "test")
    c = _claim(["D83.9", "M30.3"])
    assert any(f.edit == "DX-INVALID" and f.severity == "warning" for f in c.result.findings)
    assert x12.rejected_diagnoses(c) == set()
