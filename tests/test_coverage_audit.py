"""The outside audit of the Medicare contractor coverage lists (refdata/coverage/mac-articles.toml, refdata/mac.py,
edits/diagnosis.py): each test is one defect's reproducer chart (tests/data/coverage_audit/) with the severities and
amounts the fixed verdict must give."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from igclaim import engine
from igclaim.inputs import parse_encounter
from igclaim.model import Finding, Result

DATA = Path(__file__).parent / "data" / "coverage_audit"


def _chart(name: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(json.loads((DATA / name).read_text()))
    for key, value in changes.items():
        if key.startswith("payer_"):
            data["payer"][key[6:]] = value
        else:
            data[key] = value
    return data


def _build(data: dict[str, Any]) -> Result:
    return engine.build(parse_encounter(data))


def _found(result: Result, edit: str) -> list[Finding]:
    return [f for f in result.findings if f.edit == edit]


def test_g35_before_the_fy2026_snapshot_is_a_warning_not_a_certain_denial() -> None:
    """Defect 1: G35 (the billable MS code until 2025-09-30) on 2025-06-02 in Georgia; the bundled lists hold FY2026
    codes only (G35.A ...), so they cannot say G35 is not covered then."""
    result = _build(_chart("f1-g35-fy2025-GA.json"))
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "warning"
    assert dx.impact_units == -60
    assert "FY2026 snapshot" in dx.message and "2025-06-02 is before it" in dx.message
    [abn] = _found(result, "PAYER-ABN-MODIFIER")
    assert abn.severity == "warning"
    assert "verify first" in abn.message


def test_unlisted_diagnosis_after_the_snapshot_date_stays_a_certain_error() -> None:
    """Defect 1's boundary: from codes_as_of (2025-10-01) the snapshot decides, as before."""
    result = _build(_chart("f1-g35-fy2025-GA.json", diagnoses=["G43.909"], date_of_service="2025-10-01",
                           administrations=[{"drug_id": "ig1", "start": "2025-10-01T09:00",
                                             "stop": "2025-10-01T14:00"}]))
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "error"
    assert dx.impact_units == -60
    [abn] = _found(result, "PAYER-ABN-MODIFIER")
    assert abn.severity == "error"
