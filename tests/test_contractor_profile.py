"""An Original Medicare office or hospital claim is processed by the A/B MAC of its jurisdiction, whose billing rules
beyond its coverage list apply whether or not the user picks that contractor's profile. First Coast (JN, also
labelled J09: Florida, Puerto Rico, U.S. Virgin Islands), billing article A57778: JA (IV) or JB (SC) on J1561 and
J1569, codes used for both routes. Before, only `--profile medicare-part-b-first-coast` applied it, so a Florida
office's J1561 went out without JA and was denied."""

from __future__ import annotations

import pytest

from igclaim import engine
from igclaim.errors import InputError
from igclaim.inputs import parse_encounter
from tests.test_edits_support import build, chart, ids, only, scrub

FIRST_COAST = "medicare-part-b-first-coast"


def provider(state: str) -> dict:
    return {"npi": "1234567893", "tax_id": "990000001", "name": "Valley Infusion",
            "address": {"line1": "1 Main St", "city": "Springfield", "state": state, "zip": "12345"}}


def drug_line(result) -> tuple[str, tuple[str, ...]]:
    ln = result.claim.lines[0]
    return ln.code, tuple(ln.modifiers)


@pytest.mark.parametrize("state", ["FL", "PR", "VI"])
def test_a_first_coast_office_claim_gets_first_coasts_rules_by_the_providers_state(state):
    r = build(chart(billing_provider=provider(state)))
    assert r.reference.profile == FIRST_COAST
    assert drug_line(r) == ("J1561", ("JA", "JZ"))


@pytest.mark.parametrize("contractor", ["JN", "j09", "A57778"])
def test_the_contractor_named_on_the_claim_chooses_them_too(contractor):
    r = build(chart(billing_provider=provider("OH"), payer={"type": "medicare", "contractor": contractor}))
    assert r.reference.profile == FIRST_COAST and drug_line(r) == ("J1561", ("JA", "JZ"))


def test_other_contractors_states_and_settings_keep_original_medicares_profile():
    assert build(chart(billing_provider=provider("OH"))).reference.profile == "medicare-part-b"
    named_other = chart(billing_provider=provider("FL"), payer={"type": "medicare", "contractor": "J15"})
    assert build(named_other).reference.profile == "medicare-part-b"  # the contractor named wins over the state
    assert drug_line(build(named_other)) == ("J1561", ("JZ",))
    home = build(chart(setting="home", billing_provider=provider("FL")))  # a DME MAC claim, not First Coast's
    assert home.reference.profile == "medicare-part-b"
    hospital = build(chart(setting="hospital_outpatient", billing_provider=provider("FL")))
    assert hospital.reference.profile == FIRST_COAST


def test_a_profile_the_payer_names_and_other_payers_are_kept():
    mine = chart(billing_provider=provider("FL"), payer={"type": "medicare", "profile": "medicare-part-b"})
    assert build(mine).reference.profile == "medicare-part-b"
    advantage = chart(billing_provider=provider("FL"), payer={"type": "medicare_advantage", "name": "MA plan",
                                                              "prior_authorization": {"number": "PA1"}})
    assert build(advantage).reference.profile == "medicare-advantage"


def test_an_unknown_contractor_is_still_the_coverage_edits_input_error():
    enc = parse_encounter(chart(payer={"type": "medicare", "contractor": "J99"}))
    with pytest.raises(InputError) as exc:
        engine.build(enc)
    assert exc.value.path == "payer.contractor"


def test_a_florida_claim_written_without_ja_is_denied():
    fl = chart(billing_provider=provider("FL"))
    f = only(scrub(fl, lambda c: c["lines"][0]["modifiers"].remove("JA")), "DRUG-ROUTE-MODIFIER")
    assert f.severity == "error" and f.message == ("Line 1: J1561 given IV needs JA for Original Medicare Part B, "
                                                   "First Coast (JN).")
    assert "DRUG-ROUTE-MODIFIER" not in ids(scrub(fl))


def _dx_reason(enc: dict) -> str:
    """How the coverage finding says the contractor was chosen (F84.0: a range the lists did not read)."""
    return only(build(dict(enc, diagnoses=["F84.0"])), "DX-NOT-COVERED").message


def test_the_coverage_finding_names_the_claims_own_fact_when_the_profile_agrees():
    assert "chosen by the billing provider's state FL" in _dx_reason(chart(billing_provider=provider("FL")))
    # The profile named by the user, for a provider in another state: the profile's contractor, said so.
    named = chart(billing_provider=provider("OH"), payer={"type": "medicare", "profile": FIRST_COAST})
    assert "A57778" in _dx_reason(named) and f"chosen by the payer profile {FIRST_COAST}" in _dx_reason(named)


def test_an_article_used_by_jurisdictions_with_different_profiles_chooses_none(monkeypatch):
    """A57778 is First Coast's alone; were another jurisdiction to use it under another profile, the article would
    not say which contractor processes the claim, so Original Medicare's profile stays."""
    from igclaim.refdata.mac import Jurisdiction, mac

    assert mac().contractor_profile("A57778", None) == FIRST_COAST
    assert mac().contractor_profile("A56786", None) == ""  # Novitas (JH and JL): no profile of its own
    monkeypatch.setitem(mac().jurisdictions, "JX", Jurisdiction("JX", "Test MAC", (), ("A57778",),
                                                                profile="medicare-part-b"))
    assert mac().contractor_profile("A57778", None) == ""
