"""A coverage verdict (edits/diagnosis.py `verdict`) is remembered per rule snapshot, keyed by the diagnoses and the
claim's coverage facts (setting, contractor, billing provider's state, each immune globulin drug's route, code and
product). Claims of one snapshot that differ in any one of these facts must each get the verdict they would get
alone, whichever came first: a key that leaves one out hands a claim another claim's verdict."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from igclaim import engine
from igclaim.inputs import parse_encounter
from igclaim.refdata.resolver import reference
from tests.conftest import ROOT

COVERAGE = ROOT / "examples" / "coverage"


def _input(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((COVERAGE / name).read_text())["input"]
    return data


def _variant(name: str, **changes: Any) -> dict[str, Any]:
    """An example's input with some fields changed (drug fields by `drug_` prefix, None removes one; payer fields
    by `payer_`)."""
    data = copy.deepcopy(_input(name))
    for key, value in changes.items():
        if key.startswith("drug_") and value is None:
            data["drugs"][0].pop(key[5:], None)
        elif key.startswith("drug_"):
            data["drugs"][0][key[5:]] = value
        elif key.startswith("payer_"):
            data["payer"][key[6:]] = value
        else:
            data[key] = value
    return data


# Pairs of claims of one snapshot (2026-03-02, the same payer profile) that differ in one coverage fact only, and
# whose verdicts differ.
PAIRS = {
    "billing provider's state": (_input("cov-01-d80-1-covered-first-coast.json"),
                                 _input("cov-02-d80-1-not-on-cgs-list.json")),
    "contractor named": (_input("cov-02-d80-1-not-on-cgs-list.json"),
                         _input("cov-04-contractor-overrides-state.json")),
    "setting": (_input("cov-07-home-ivig-cidp-gy.json"),
                _variant("cov-07-home-ivig-cidp-gy.json", setting="office")),
    "product by name": (_input("cov-08-home-scig-cidp-hizentra.json"), _input("cov-09-home-scig-cidp-cuvitru.json")),
    # No product named: the drug is its code alone (an NOS code's products are many).
    "code": (_variant("cov-02-d80-1-not-on-cgs-list.json", drug_product=None, drug_ndc=None, drug_hcpcs="J1566"),
             _variant("cov-02-d80-1-not-on-cgs-list.json", drug_product=None, drug_ndc=None, drug_hcpcs="J1599")),
    "route": (_input("cov-07-home-ivig-cidp-gy.json"), _variant("cov-07-home-ivig-cidp-gy.json", drug_route="SC")),
    "product": (_input("cov-02-d80-1-not-on-cgs-list.json"),
                _variant("cov-02-d80-1-not-on-cgs-list.json", drug_product="Gammaked")),
    "diagnoses": (_input("cov-01-d80-1-covered-first-coast.json"),
                  _variant("cov-01-d80-1-covered-first-coast.json", diagnoses=["G43.909"])),
    "default list, no contractor": (_input("cov-05-no-contractor-default-list.json"),
                                    _variant("cov-05-no-contractor-default-list.json", diagnoses=["D80.1"])),
}


def _result(data: dict[str, Any]) -> str:
    enc = parse_encounter(data)
    return (engine.scrub(enc) if enc.claim else engine.build(enc)).model_dump_json()


def _alone(data: dict[str, Any]) -> str:
    """The result with no verdict of another claim remembered by its snapshot."""
    enc = parse_encounter(data)
    ref = reference()
    rules = ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))
    for key in [k for k in rules.alike if k[0] == "diagnosis.verdict"]:
        del rules.alike[key]
    return _result(data)


@pytest.mark.parametrize("fact", sorted(PAIRS))
def test_claims_differing_in_one_coverage_fact_get_their_own_verdict(fact):
    first, second = PAIRS[fact]
    alone = [_alone(first), _alone(second)]
    assert alone[0] != alone[1], fact  # the fact does change the verdict: the pair can catch a key without it
    for order in ((0, 1), (1, 0)):
        _alone((first, second)[order[0]])  # the other claim's verdict is remembered first
        assert _result((first, second)[order[1]]) == alone[order[1]], (fact, order)


def test_a_verdict_is_remembered_per_snapshot_and_reused():
    data = _input("cov-02-d80-1-not-on-cgs-list.json")
    enc = parse_encounter(data)
    ref = reference()
    rules = ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))
    alone = _alone(data)
    verdicts = {k: v for k, v in rules.alike.items() if k[0] == "diagnosis.verdict"}
    assert len(verdicts) == 1
    assert _result(data) == alone
    assert {k: v for k, v in rules.alike.items() if k[0] == "diagnosis.verdict"} == verdicts  # reused, not remade
