"""Audit 5 (diagnoses, coverage lists and the claim's form): rules whose breakage the other tests let through."""

from __future__ import annotations

import pytest

from igclaim.refdata.mac import mac
from tests.test_edits_support import build, chart, only
from tests.test_mac_coverage import office

# CMS, "Who are the MACs" (A/B MAC jurisdictions map):
# https://www.cms.gov/medicare/coding-billing/medicare-administrative-contractors-macs/who-are-the-macs
AB_MAC_STATES = {
    "JE": ["CA", "HI", "NV", "AS", "GU", "MP"],
    "JF": ["AK", "AZ", "ID", "MT", "ND", "OR", "SD", "UT", "WA", "WY"],
    "JH": ["AR", "CO", "LA", "MS", "NM", "OK", "TX"],
    "JL": ["DE", "DC", "MD", "NJ", "PA"],
    "JN": ["FL", "PR", "VI"],
    "JJ": ["AL", "GA", "TN"],
    "JM": ["NC", "SC", "VA", "WV"],
    "J15": ["KY", "OH"],
    "J5": ["IA", "KS", "MO", "NE"],
    "J8": ["IN", "MI"],
    "J6": ["IL", "MN", "WI"],
    "JK": ["CT", "ME", "MA", "NH", "NY", "RI", "VT"],
}


@pytest.mark.parametrize(("state", "jurisdiction"),
                         [(s, j) for j, states in AB_MAC_STATES.items() for s in states])
def test_every_state_binds_its_ab_macs_list(state, jurisdiction):
    """Every state and territory is in exactly one A/B MAC jurisdiction (the CMS MAC map): an Original Medicare
    office claim whose billing provider is there is judged on that contractor's list, never on the default one
    (a state left out of the table silently fell back to the default list that only warns)."""
    assert mac().jurisdiction_for_state(state).id == jurisdiction
    f = only(build(office(state, "G43.909")), "DX-NOT-COVERED")
    assert f"billing provider's state {state}" in f.message and "Default" not in f.message


@pytest.mark.parametrize("state", [s for states in AB_MAC_STATES.values() for s in states[:2]])
@pytest.mark.parametrize("dx", ["L12.30", "L12.31"])
def test_acquired_epidermolysis_bullosa_is_never_an_error_under_any_ab_mac(state, dx):
    """NCD 250.3 (https://www.cms.gov/medicare-coverage-database/details/ncd-details.aspx?NCDId=158) covers IVIG for
    epidermolysis bullosa acquisita nationally, so no A/B MAC may deny it as not reasonable and necessary. The
    bundled NCD list names only L13.8, so where a contractor's article does not list the L12.3x codes (Novitas
    A56786 in TX/PA as much as CGS in OH) the claim is a warning to verify, never an error asking for GZ."""
    r = build(office(state, dx))
    assert not [f for f in r.findings if f.edit in ("DX-NOT-COVERED", "PAYER-ABN-MODIFIER") and f.severity == "error"]


@pytest.mark.parametrize("state", AB_MAC_STATES["JE"][:3] + AB_MAC_STATES["JF"])
def test_noridians_unresolved_article_only_warns_in_je_and_jf(state):
    """Noridian's IVIG article A57187 (MCD, https://www.cms.gov/medicare-coverage-database/view/article.aspx?
    articleId=57187) is for JE or JF, which one igclaim's copy did not resolve: in either jurisdiction a diagnosis
    it does not list is a warning to verify, not a certain denial."""
    r = build(office(state, "G43.909"))
    assert only(r, "DX-NOT-COVERED").severity == "warning"
    assert only(r, "PAYER-ABN-MODIFIER").severity == "warning"


@pytest.mark.parametrize("dx", ["D44.7", "D45", "D46.9", "D47.2", "D89.9"])
def test_a_code_at_either_end_of_the_read_range_d44_7_d89_9_is_judged(dx):
    """refdata/coverage/mac-articles/README.md: the contractors' code tables (MCD, "ICD-10-CM Codes that Support
    Medical Necessity") were read completely from D44.7 to D89.9. CGS's A56779/A57160 (J15, OH) list none of these
    codes, so an OH claim for one is not covered (an error and GZ), never "could not verify" (a warning)."""
    f = only(build(office("OH", dx)), "DX-NOT-COVERED")
    assert f.severity == "error", f.message


def test_a_certain_indication_is_not_reported_as_uncertain_beside_an_uncertain_one():
    """Pemphigus vulgaris (L10.0) is covered for IVIG by NCD 250.3
    (https://www.cms.gov/medicare-coverage-database/details/ncd-details.aspx?NCDId=158): a claim that also lists
    polymyositis (M33.22, contractor-dependent) is covered by the certain entry, so DX-COVERAGE-UNCERTAIN asks the
    biller to verify nothing."""
    r = build(chart(diagnoses=["M33.22", "L10.0"]))
    assert not [f for f in r.findings if f.edit in ("DX-COVERAGE-UNCERTAIN", "DX-NOT-COVERED")]
