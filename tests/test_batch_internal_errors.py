"""A defect while coding a batch record is that record's error, never a lost record, and it still says which
encounter or claim it was: an 837's claim that hit one had `encounter_id: null` in errors.jsonl."""

from __future__ import annotations

import pytest

from igclaim import engine
from tests.conftest import ROOT
from tests.test_hostile_paths import outcomes


def _broken(*_args, **_kwargs):
    raise RuntimeError("a defect")


@pytest.fixture(scope="module")
def x12_file(tmp_path_factory, x12_text):
    f = tmp_path_factory.mktemp("x12") / "claims.837"
    f.write_text(x12_text)
    return f


def test_an_837_claim_that_hits_a_defect_is_its_error_with_its_claim_id(monkeypatch, x12_file):
    (fine,) = outcomes(x12_file)
    assert fine.result_json is not None
    monkeypatch.setattr(engine, "scrub_without_chart", _broken)
    (out,) = outcomes(x12_file)
    assert out.result_json is None and out.error is not None
    assert (out.error["stage"], out.error["encounter_id"], out.error["problems"]) == (
        "internal", "CLM-2026-0001", ["(internal) RuntimeError while scrubbing; please report it"])


@pytest.mark.parametrize("name", ["scrub", "build"])
def test_a_chart_that_hits_a_defect_is_its_error_with_its_encounter_id(monkeypatch, tmp_path, name):
    monkeypatch.setattr(engine, name, _broken)
    src = ROOT / "examples" / ("e11-scrub-no-prior-auth.json" if name == "scrub" else "e02-gamunex-30g-5h.json")
    (out,) = outcomes(src)
    assert (out.error["stage"], out.error["encounter_id"], out.error["problems"]) == (
        "internal", "e11" if name == "scrub" else "e02", ["(internal) RuntimeError while coding; please report it"])
