"""Answers the edits remember per rule snapshot (`Rules.once`) or per claim (`EditContext.once`) must be the ones the
snapshot (or claim) would give itself: another snapshot, another data version or another claim never reads them."""

from __future__ import annotations

import json
from datetime import date

from igclaim import engine
from igclaim.coding.claim import Coding
from igclaim.edits.context import EditContext
from igclaim.edits.plausibility import date_of_service
from igclaim.inputs import parse_encounter
from igclaim.refdata import icd10
from igclaim.refdata.resolver import reference
from tests.conftest import ROOT

CHART = json.loads((ROOT / "examples" / "e02-gamunex-30g-5h.json").read_text())["input"]


def _chart_free_ctx(day: date) -> EditContext:
    """A claim's context on a date no payer profile codes (before every dated parameter): the snapshot alone, as
    engine.scrub_without_chart makes it."""
    engine._load_edit_families()
    enc = parse_encounter(json.loads(json.dumps(CHART).replace("2026-03-02", day.isoformat())))
    ref = reference()
    prof = ref.default_profile("medicare")
    rules = ref.at(day, prof)
    return EditContext(Coding(enc, prof, {}, [], None, [], rules=rules), ref)


def test_the_earliest_data_date_is_each_snapshots_own():
    """PLAUSIBILITY-DOS remembers the first date of the data per snapshot: a snapshot of a newer data version (an
    ICD-10-CM release registered from an earlier date) answers with its own date, not the older snapshot's."""
    day = date(1982, 6, 1)
    before = _chart_free_ctx(day)
    assert [f.edit for f in date_of_service(before)] == ["PLAUSIBILITY-DOS"]  # before 1984-01-01, the first data
    rel = icd10.register_release("TEST-EARLIEST", date(1980, 1, 1), date(1980, 12, 31), ["D83.9"], "test")
    try:
        after = _chart_free_ctx(day)
        assert after.rules is not before.rules
        assert date_of_service(after) == []
    finally:
        icd10._REGISTERED.remove(rel)
    assert [f.edit for f in date_of_service(_chart_free_ctx(day))] == ["PLAUSIBILITY-DOS"]
