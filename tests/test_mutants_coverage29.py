"""The survivors of the mutation run over the coverage audit's code (docs/testing.md, twenty-ninth session): which
contractor's list judges an Original Medicare office claim (edits/diagnosis.py `contractor`, `unknown_contractor`,
`_unknown_contractor_note`, `_mac_gap`), DX-NOT-COVERED on a written claim (`written_dx_not_covered`), and whether a
home SC immune globulin keeps KX (refdata/rules.py `Rules.home_not_covered_certain`, mutated by hand)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from igclaim import engine
from igclaim.inputs import parse_encounter
from igclaim.model import Finding, Result
from igclaim.refdata.resolver import reference
from igclaim.refdata.rules import Rules
from tests.test_coverage_audit import _chart  # a chart of tests/data/coverage_audit, changed

HOME_DOS = date(2026, 3, 5)  # f7-home-d693-cuvitru-kx.json's date


def _found(result: Result, edit: str) -> list[Finding]:
    return [f for f in result.findings if f.edit == edit]


def _modifiers(result: Result, code: str) -> list[list[str]]:
    return [list(ln.modifiers) for ln in result.claim.lines if ln.code == code]


# --- refdata/rules.py Rules.home_not_covered_certain: KX stays unless the DME MAC list certainly does not cover -----

def _rules(profile: str = "medicare-part-b") -> Rules:
    ref = reference()
    return ref.at(HOME_DOS, ref.profile(profile))


def _profile_file(tmp_path: Path, body: str) -> str:
    path = tmp_path / "mine.toml"
    path.write_text('[profile]\nname = "mine"\ntitle = "Mine"\npayer_types = []\n' + body, encoding="utf-8")
    return str(path)


def test_the_dme_mac_list_certainly_not_covering_is_told_only_for_a_billable_uncovered_diagnosis() -> None:
    rules = _rules()
    # D69.3 (ITP) is on no DME MAC group for SC immune globulin: certain, so coding leaves KX off
    assert rules.home_not_covered_certain(["D69.3"], "SC", "J1555") is True
    # D83.9 (CVID) is covered; CIDP with Cuvitru is limited by a product line igclaim did not read: KX stays
    assert rules.home_not_covered_certain(["D83.9"], "SC", "J1555") is False
    assert rules.home_not_covered_certain(["G61.81"], "SC", "J1555") is False
    # CIDP with Hizentra (J1559), a product its group names: covered, by the group limited to the product
    assert rules.home_not_covered_certain(["G61.81"], "SC", "J1559") is False
    # a category that cannot be billed (D83) is not judged: with nothing billable left, no certainty
    assert rules.home_not_covered_certain(["D83"], "SC", "J1555") is False
    assert rules.home_not_covered_certain(["D83", "D69.3"], "SC", "J1555") is True


def test_without_a_route_or_a_dme_mac_list_for_it_nothing_is_certain() -> None:
    rules = _rules()
    assert rules.home_not_covered_certain(["D69.3"], None, "J1555") is False
    assert rules.home_lookup("IM", None) is None  # no DME MAC list for an IM drug
    assert rules.home_not_covered_certain(["D69.3"], "IM", None) is False


def test_a_profiles_own_home_list_or_a_plan_outside_original_medicare_keeps_kx(tmp_path: Path) -> None:
    """The DME MAC lists bind Original Medicare only, and only under the bundled home policy: a plan that bills the
    DME way (extends medicare-part-b: JB and KX on the pump drug) but is not Original Medicare, or a profile naming
    its own home list, keeps KX on a D69.3 claim (the biller's call; PAYER-ABN-MODIFIER does not ask for GZ)."""
    plan = _profile_file(tmp_path, 'original_medicare = false\nextends = "medicare-part-b"\n')
    assert _rules(plan).home_not_covered_certain(["D69.3"], "SC", "J1555") is False
    result = engine.build(parse_encounter(_chart("f7-home-d693-cuvitru-kx.json",
                                                 payer_type="medicare_advantage", payer_profile=plan)))
    assert _modifiers(result, "J1555") == [["JB", "KX", "JZ"]]

    (tmp_path / "home-list.toml").write_text(
        '[policy]\nname = "home-list"\ntitle = "A home list"\nkind = "default"\nsource = "https://example.org/home"\n\n'
        '[[indication]]\nname = "CVID"\ncodes = ["D83.9"]\n', encoding="utf-8")
    own = tmp_path / "own"
    own.mkdir()
    (own / "home-list.toml").write_text((tmp_path / "home-list.toml").read_text(), encoding="utf-8")
    mine = _profile_file(own, 'original_medicare = true\nextends = "medicare-part-b"\n\n'
                         '[parameters.home_coverage_policy]\nlabel = "c"\nsource = "s"\n'
                         'values = { "2000-01-01" = "home-list.toml" }\n')
    assert _rules(mine).home_not_covered_certain(["D69.3"], "SC", "J1555") is False
    result = engine.build(parse_encounter(_chart("f7-home-d693-cuvitru-kx.json", payer_profile=mine)))
    assert _modifiers(result, "J1555") == [["JB", "KX", "JZ"]]


def _forget() -> None:
    from tests.conftest import forget_rule_memos

    forget_rule_memos()


def test_a_product_limit_read_from_the_article_is_a_certain_denial(monkeypatch: Any) -> None:
    """Group 6's product limit (Hizentra, HyQvia) is igclaim's reading (`products_note`), so CIDP with Cuvitru is a
    warning and keeps KX. Were the limit read from the article itself, the verdict would be certain: an error
    naming the article's products, and KX left off the line (PAYER-ABN-MODIFIER asks for GZ)."""
    from dataclasses import replace

    from igclaim.refdata.mac import mac

    data = mac()
    read = tuple(replace(r, products_note="") if r.products else r for r in data.home)
    assert read != data.home
    try:
        with monkeypatch.context() as patch:
            patch.setattr(data, "home", read)
            _forget()
            assert _rules().home_not_covered_certain(["G61.81"], "SC", "J1555") is True
            result = engine.build(parse_encounter(_chart("f6-home-cidp-cuvitru.json")))
    finally:
        _forget()
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "error" and dx.impact_units == -100
    assert dx.message == (
        "No diagnosis on the claim (G61.81) is covered for Cuvitru (SC) under the Medicare contractor's list A52507 "
        "group 3 + A52507 group 6 (J1559, J1575 only) (DME MACs). SC immune globulin through a pump, CIDP (DME MAC, "
        "LCD L33794, group 6: Hizentra J1559, HyQvia J1575 only): Cuvitru (SC) is not one of the products the article "
        "names for that diagnosis.")
    assert _modifiers(result, "J1555") == [["JB", "JZ"]]
    [abn] = _found(result, "PAYER-ABN-MODIFIER")
    assert abn.severity == "error" and "add GZ" in abn.message


# --- edits/diagnosis.py _mac_gap: the texts a biller reads -------------------------------------------------------

def test_a_code_covered_only_by_an_unconfirmed_group_names_the_list_and_links_its_article() -> None:
    result = engine.build(parse_encounter(_chart("f3-z789-oh.json")))
    [note] = _found(result, "DX-COVERAGE-UNCERTAIN")
    assert note.message == (
        "Z78.9: Gamunex-C (IV) is covered only by a group whose products are not confirmed (A56779 + A57160 (CGS "
        "Administrators (A/B MAC), J15), chosen by the billing provider's state OH). CGS A56779 lists it only in "
        "group 2 or 4 (Z74.09, Z78.9, Z91.89, Z92.21), groups whose immune globulin products (HCPCS) igclaim's "
        "extract does not give and that look like other products' groups: verify on the article that the group "
        "applies to this product.")
    assert note.source == "https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId=56779"


def test_a_diagnosis_in_a_range_the_list_was_not_read_for_is_a_warning_saying_so() -> None:
    """F32.9 is in F01-F99, a range igclaim's copy of the A/B lists did not read: not a certain denial."""
    result = engine.build(parse_encounter(_chart("f2-unknown-article.json", diagnoses=["F32.9"],
                                                 payer_contractor="J6")))
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "warning" and dx.impact_units == -60
    assert dx.message == (
        "No diagnosis on the claim (F32.9) is covered for Gamunex-C (IV) under the Medicare contractor's list A59105 "
        "(National Government Services (A/B MAC), J6), chosen by the payer.contractor (a warning: the list is not "
        "certain for your payer). F32.9 is in a code range igclaim's copy of the list did not read, so the list "
        "could not verify it: check the article on the MCD.")
    assert dx.source == "https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId=59105"
    [abn] = _found(result, "PAYER-ABN-MODIFIER")
    assert abn.severity == "warning" and "verify first" in abn.message


def test_cidp_with_a_product_the_group_may_not_name_is_a_warning_naming_igclaims_reading() -> None:
    [dx] = _found(engine.build(parse_encounter(_chart("f6-home-cidp-cuvitru.json"))), "DX-NOT-COVERED")
    assert dx.severity == "warning"
    assert dx.message == (
        "No diagnosis on the claim (G61.81) is covered for Cuvitru (SC) under the Medicare contractor's list A52507 "
        "group 3 + A52507 group 6 (J1559, J1575 only) (DME MACs) (a warning: the list is not certain for your "
        "payer). SC immune globulin through a pump, CIDP (DME MAC, LCD L33794, group 6: Hizentra J1559, HyQvia J1575 "
        "only): Cuvitru (SC) is not one of the products igclaim reads that group as limited to. igclaim limits group "
        "6 to Hizentra and HyQvia (the SC immune globulins labelled for CIDP), but the article's own product line was "
        "not read: verify on the MCD (LCD L33794, article A52507) whether it covers this product.")
    assert dx.source == "https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId=52507"


def test_home_ivig_outside_primary_immune_deficiency_has_no_benefit_category() -> None:
    """Home IVIG (A52509) is a benefit for primary immune deficiency only: ITP is denied as no benefit category
    (GY, no ABN), a certain error."""
    result = engine.build(parse_encounter(_chart("f5-home-d8131.json", diagnoses=["D69.3"])))
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "error" and dx.impact_units == -20
    assert dx.message == (
        "No diagnosis on the claim (D69.3) is covered for Gamunex-C (IV) under the Medicare contractor's list A52509 "
        "group 1 (DME MACs). Outside the home IVIG benefit (primary immune deficiency only): Medicare denies it as "
        "noncovered, no benefit category, whatever a SC note says.")
    assert dx.fix is not None and dx.fix.startswith("No ABN applies")
    [abn] = _found(result, "PAYER-ABN-MODIFIER")
    assert abn.severity == "error" and "add GY" in abn.message


def test_two_products_under_two_home_lists_name_both_lists() -> None:
    data = _chart("f5-home-d8131.json", diagnoses=["D69.3"])
    day = data["date_of_service"]
    data["drugs"].append({"id": "ig2", "product": "Cuvitru", "route": "SC", "dose": {"grams": 10},
                          "containers": [{"grams": 10, "count": 1}]})
    data["administrations"].append({"drug_id": "ig2", "start": f"{day}T15:00", "stop": f"{day}T16:00"})
    result = engine.build(parse_encounter(data))
    [abn] = _found(result, "PAYER-ABN-MODIFIER")  # the claim's list: both lists, each product its own way
    assert abn.message.startswith(
        "The diagnosis is not covered (the Medicare contractor's list A52509 group 1 (DME MACs) and A52507 group 3 + "
        "A52507 group 6 (J1559, J1575 only) (DME MACs)), each product its own way")
    # DX-NOT-COVERED tells each product under its own list, with its own article as the source.
    [iv, sc] = _found(result, "DX-NOT-COVERED")
    assert iv.severity == sc.severity == "error"
    assert iv.message.startswith(
        "No diagnosis on the claim (D69.3) is covered for Gamunex-C (IV) under the Medicare contractor's list A52509 "
        "group 1 (DME MACs).")
    assert sc.message.startswith(
        "No diagnosis on the claim (D69.3) is covered for Cuvitru (SC) under the Medicare contractor's list A52507 "
        "group 3 + A52507 group 6 (J1559, J1575 only) (DME MACs).")
    assert iv.source == "https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId=52509"
    assert sc.source == "https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId=52507"


def _with_cuvitru(data: dict[str, Any], product: str = "Cuvitru") -> dict[str, Any]:
    """The home chart with a second immune globulin, SC, infused after the first."""
    day = data["date_of_service"]
    data["drugs"].append({"id": "ig2", "product": product, "route": "SC", "dose": {"grams": 10},
                          "containers": [{"grams": 10, "count": 1}]})
    data["administrations"].append({"drug_id": "ig2", "start": f"{day}T15:00", "stop": f"{day}T16:00"})
    return data


def test_a_product_no_home_list_reads_does_not_stop_the_next_from_being_judged(monkeypatch: Any) -> None:
    """`_mac_gap` skips an immune globulin whose route no DME MAC list holds and judges the next (`continue`, made
    `break` by a surviving mutant). The bundled lists hold both routes the input takes, so the lists are read here
    without the IV one: Gamunex-C (IV) first, then Cuvitru (SC) for ITP, which group 3 does not cover. Cuvitru is
    told as when it is the claim's only immune globulin (with `break`, nothing was told)."""
    from igclaim.refdata.mac import mac

    data = mac()
    sc_only = tuple(r for r in data.home if r.route != "IV")
    assert sc_only and sc_only != data.home
    try:
        with monkeypatch.context() as patch:
            patch.setattr(data, "home", sc_only)
            _forget()
            assert _rules().home_lookup("IV", "J1561") is None
            pair = engine.build(parse_encounter(_with_cuvitru(_chart("f5-home-d8131.json", diagnoses=["D69.3"]))))
            alone = engine.build(parse_encounter(_chart("f6-home-cidp-cuvitru.json", diagnoses=["D69.3"])))
    finally:
        _forget()
    [dx] = _found(pair, "DX-NOT-COVERED")
    [only] = _found(alone, "DX-NOT-COVERED")
    assert dx.severity == only.severity == "error" and dx.impact_units == only.impact_units == -100
    assert dx.message == only.message == (
        "No diagnosis on the claim (D69.3) is covered for Cuvitru (SC) under the Medicare contractor's list A52507 "
        "group 3 + A52507 group 6 (J1559, J1575 only) (DME MACs).")
    [abn] = _found(pair, "PAYER-ABN-MODIFIER")
    assert abn.severity == "error" and "for Cuvitru (SC)" in abn.message and "add GZ to its lines" in abn.message


def test_two_sc_products_outside_the_cidp_groups_product_limit_are_an_uncertain_warning_naming_each() -> None:
    """CIDP with Cuvitru and Xembify at home: neither is a product igclaim reads group 6 as limited to, a reading
    of its own (`products_note`), so the claim's gap is not certain. The claim's Gap of the two products is built
    under the home mode (a surviving mutant built it without it: no product notes, so a certain error, and
    PAYER-ABN-MODIFIER an error asking for GZ with no "verify first")."""
    result = engine.build(parse_encounter(_with_cuvitru(_chart("f6-home-cidp-cuvitru.json"), "Xembify")))
    note = ("SC immune globulin through a pump, CIDP (DME MAC, LCD L33794, group 6: Hizentra J1559, HyQvia J1575 "
            "only): {} (SC) is not one of the products igclaim reads that group as limited to. igclaim limits group "
            "6 to Hizentra and HyQvia (the SC immune globulins labelled for CIDP), but the article's own product line "
            "was not read: verify on the MCD (LCD L33794, article A52507) whether it covers this product.")
    [dx] = _found(result, "DX-NOT-COVERED")  # one finding: both products are denied the same way
    assert dx.severity == "warning" and dx.impact_units == -100
    assert dx.message == (
        "No diagnosis on the claim (G61.81) is covered for Cuvitru (SC), Xembify (SC) under the Medicare "
        "contractor's list A52507 group 3 + A52507 group 6 (J1559, J1575 only) (DME MACs) (a warning: the list is "
        f"not certain for your payer). {note.format('Cuvitru')} {note.format('Xembify')}")
    [abn] = _found(result, "PAYER-ABN-MODIFIER")
    assert abn.severity == "warning"
    assert abn.message == (
        "The diagnosis may not be covered (the Medicare contractor's list A52507 group 3 + A52507 group 6 (J1559, "
        "J1575 only) (DME MACs)) and no ABN is recorded (payer.abn_signed): add GZ to the drug and administration "
        "lines in place of KX (coded for the pump's coverage criteria) if the contractor's policy does not cover it "
        "(verify first).")
    assert _modifiers(result, "J1555") == _modifiers(result, "J1558") == [["JB", "KX", "JZ"]]


# --- edits/diagnosis.py _unknown_contractor_note: the whole note ---------------------------------------------------

def test_an_unknown_article_note_says_which_list_judged_instead() -> None:
    [note] = _found(engine.build(parse_encounter(_chart("f2-unknown-article.json"))), "DX-COVERAGE-UNCERTAIN")
    assert note.message == (
        "payer.contractor A57194 is a coverage article unknown to igclaim (not bundled, and no imported list for the "
        "claim's date; retired or mistyped?), so it was not used: coverage was judged by the list of A59105 (National "
        "Government Services (A/B MAC), J6), chosen by the billing provider's state IL. Import the article's list "
        "(igclaim data import coverage) or give the jurisdiction (e.g. JN).")
    assert note.source == "https://www.cms.gov/medicare-coverage-database/"
    data = _chart("f2-unknown-article.json", payer_contractor="A12345")
    del data["billing_provider"]
    [note] = _found(engine.build(parse_encounter(data)), "DX-COVERAGE-UNCERTAIN")
    assert "A12345" in note.message and "coverage was judged by the default list (no billing provider's state " \
        "gives a contractor). Import" in note.message


# --- edits/diagnosis.py written_dx_not_covered: the written claim's diagnoses against the chart's ------------------

def _scrub_ky(chart_dx: list[str], written: list[str]) -> Result:
    """Kentucky (CGS, J15: D83.9 listed, D80.1 and G43.909 not), the written claim listing its own diagnoses."""
    data = _chart("f2-unknown-article.json", diagnoses=chart_dx)
    del data["payer"]["contractor"]
    data["billing_provider"]["address"]["state"] = "KY"
    data["claim"] = {"diagnoses": written, "lines": [
        {"line": 1, "code": "J1561", "units": 60, "modifiers": ["JZ"], "diagnosis_pointers": [1]},
        {"line": 2, "code": "96365", "units": 1, "modifiers": [], "diagnosis_pointers": [1]},
        {"line": 3, "code": "96366", "units": 4, "modifiers": [], "diagnosis_pointers": [1]}]}
    return engine.scrub(parse_encounter(data))


def test_the_fix_names_only_the_written_diagnoses_the_chart_does_not_list() -> None:
    """G43.909 is the chart's too: the fix replaces D80.1 alone, and the one mistake is told once (DX-NOT-COVERED
    supersedes DX-NOT-DOCUMENTED for D80.1)."""
    result = _scrub_ky(["D83.9", "G43.909"], ["G43.909", "D80.1"])
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "error" and dx.line == 1 and dx.impact_units == -60
    assert dx.message.startswith(
        "No diagnosis on the claim (G43.909, D80.1) is covered for Gamunex-C (IV) under the Medicare contractor's "
        "list A56779 + A57160 (CGS Administrators (A/B MAC), J15), chosen by the billing provider's state KY.")
    assert dx.fix == ("Bill the chart's covered diagnoses (D83.9) in place of D80.1, pointing the immune globulin's "
                      "lines at them.")
    # the written administration lines 2 and 3 are denied with the drug (CGS): their payment is at stake too
    assert dx.causes == (("diagnosis", "D80.1"), ("drug", "drugs[0]"), ("denied-line", "2"), ("denied-line", "3"))
    assert not _found(result, "DX-NOT-DOCUMENTED")
    [two] = _found(_scrub_ky(["D83.9", "G61.81"], ["D80.1", "G43.909"]), "DX-NOT-COVERED")
    assert two.fix == ("Bill the chart's covered diagnoses (D83.9, G61.81) in place of D80.1, G43.909, pointing the "
                       "immune globulin's lines at them.")
    assert two.message.endswith(" The chart's diagnoses (D83.9, G61.81) are covered."), two.message  # each is


def test_a_written_claim_listing_fewer_of_the_charts_diagnoses_is_told_to_bill_the_charts() -> None:
    """Every written diagnosis is the chart's (nothing undocumented): the fix names the written ones it replaces."""
    result = _scrub_ky(["D83.9", "G43.909"], ["G43.909"])
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "error" and dx.impact_units == -60
    assert dx.fix == ("Bill the chart's covered diagnoses (D83.9) in place of G43.909, pointing the immune "
                      "globulin's lines at them.")  # not "(D83.9, G43.909) in place of G43.909": G43.909 is not covered
    assert dx.message.endswith(" Of the chart's diagnoses (D83.9, G43.909), D83.9 is covered."), dx.message
    assert dx.causes == (("drug", "drugs[0]"), ("denied-line", "2"), ("denied-line", "3"))
    assert not _found(result, "DX-NOT-DOCUMENTED")


def test_a_liability_modifier_beside_a_covered_chart_names_only_the_covering_diagnoses() -> None:
    """GZ on the drug line of a claim billing G43.909 while the chart also lists D83.9: PAYER-ABN-MODIFIER says no
    denial is expected because the chart is covered, through D83.9 alone (it said "(D83.9, G43.909) are covered")."""
    data = _chart("f2-unknown-article.json", diagnoses=["D83.9", "G43.909"])
    del data["payer"]["contractor"]
    data["billing_provider"]["address"]["state"] = "KY"
    data["claim"] = {"diagnoses": ["G43.909"], "lines": [
        {"line": 1, "code": "J1561", "units": 60, "modifiers": ["JZ", "GZ"], "diagnosis_pointers": [1]},
        {"line": 2, "code": "96365", "units": 1, "modifiers": [], "diagnosis_pointers": [1]},
        {"line": 3, "code": "96366", "units": 4, "modifiers": [], "diagnosis_pointers": [1]}]}
    [told] = _found(engine.scrub(parse_encounter(data)), "PAYER-ABN-MODIFIER")
    assert told.message == ("Line 1: GZ reported, but the chart's diagnoses (D83.9) are covered for the product: bill "
                            "them (DX-NOT-COVERED), and no denial is expected."), told.message


def test_the_charts_covering_diagnoses_are_listed_with_their_verb() -> None:
    """Two of the chart's three diagnoses covered each on its own: both named, separated, and "are" (mutants of the
    list's separator and of `_is` survived make mutate)."""
    [dx] = _found(_scrub_ky(["D83.9", "G61.81", "G43.909"], ["G43.909"]), "DX-NOT-COVERED")
    assert dx.message.endswith(" Of the chart's diagnoses (D83.9, G61.81, G43.909), D83.9, G61.81 are covered."), \
        dx.message


def test_home_ivig_outside_its_benefit_beside_a_covered_sc_product_asks_gy_on_its_own_and_the_supply_lines() -> None:
    """Hizentra (covered for CIDP at home) and Privigen (home IVIG, whose benefit is primary immune deficiency only):
    GY goes on Privigen's lines and the supply lines. The advice read "the lines of Privigen (IV) and the and supply
    lines" (its product list ended in "and the", then " and supply lines" followed)."""
    data = _chart("f6-home-cidp-cuvitru.json")
    day = data["date_of_service"]
    data["drugs"][0]["product"] = "Hizentra"
    data["drugs"].append({"id": "ig2", "product": "Privigen", "route": "IV", "dose": {"grams": 30},
                          "containers": [{"grams": 10, "count": 3}]})
    data["administrations"].append({"drug_id": "ig2", "start": f"{day}T13:00", "stop": f"{day}T16:00"})
    [abn] = _found(engine.build(parse_encounter(data)), "PAYER-ABN-MODIFIER")
    assert abn.severity == "error" and abn.message == (
        "The diagnosis is not covered (the Medicare contractor's list A52509 group 1 (DME MACs)) and the service has "
        "no benefit category: add GY to the lines of Privigen (IV) and the supply lines, not GA/GZ; the beneficiary "
        "is liable and no ABN is required.")


def _home_cidp_with(extra: list[tuple[str, str, int]]) -> Result:
    """The home CIDP chart with Hizentra (covered by group 6) and these immune globulins (product, route, hour)."""
    data = _chart("f6-home-cidp-cuvitru.json")
    data["drugs"][0]["product"] = "Hizentra"
    day = data["date_of_service"]
    for i, (product, route, hour) in enumerate(extra, start=2):
        iv = route == "IV"
        data["drugs"].append({"id": f"ig{i}", "product": product, "route": route, "dose": {"grams": 30 if iv else 10},
                              "containers": [{"grams": 10, "count": 3 if iv else 1}]})
        data["administrations"].append({"drug_id": f"ig{i}", "start": f"{day}T{hour}:00",
                                        "stop": f"{day}T{hour + 2}:00"})
    return engine.build(parse_encounter(data))


def test_two_home_ivigs_outside_the_benefit_beside_a_covered_sc_product_are_named_in_one_gy_advice() -> None:
    """Privigen and Gamunex-C at home for CIDP (no benefit: GY) beside Hizentra (covered): GY on both IV products'
    lines, named as a list (a surviving make mutate mutant joined them with another separator)."""
    [abn] = _found(_home_cidp_with([("Privigen", "IV", 12), ("Gamunex-C", "IV", 15)]), "PAYER-ABN-MODIFIER")
    assert abn.severity == "error" and abn.message == (
        "The diagnosis is not covered (the Medicare contractor's list A52509 group 1 (DME MACs)) and the service has "
        "no benefit category: add GY to the lines of Privigen (IV), Gamunex-C (IV) and the supply lines, not GA/GZ; "
        "the beneficiary is liable and no ABN is required.")


def test_the_per_drug_abn_advice_keeps_an_uncertain_gaps_warning() -> None:
    """Cuvitru (group 6 read as limited to Hizentra and HyQvia: not certain) beside Hizentra (covered): the per-drug
    advice is a warning, as its gap is (surviving make mutate mutants dropped the severity, so an error)."""
    [abn] = _found(_home_cidp_with([("Cuvitru", "SC", 12)]), "PAYER-ABN-MODIFIER")
    assert abn.severity == "warning" and abn.message.endswith(
        "for Cuvitru (SC), and no ABN is recorded (payer.abn_signed): add GZ to its lines (its JW or JZ line too) in "
        "place of KX (coded for the pump's coverage criteria) if the contractor's policy does not cover it (verify "
        "first), not to the lines of Hizentra (SC), which the diagnosis covers.")


def test_the_per_drug_abn_advice_names_several_uncovered_and_several_covered_products() -> None:
    """Hizentra and HyQvia (covered by group 6) beside Cuvitru and Xembify (not read as covered: a warning): each
    list named in full (surviving make mutate mutants joined them otherwise), and "their lines" for two products
    (it read "its lines (its JW or JZ line too)")."""
    [abn] = _found(_home_cidp_with([("HyQvia", "SC", 12), ("Cuvitru", "SC", 14), ("Xembify", "SC", 16)]),
                   "PAYER-ABN-MODIFIER")
    assert abn.severity == "warning" and abn.message == (
        "The diagnosis may not be covered (the Medicare contractor's list A52507 group 3 + A52507 group 6 (J1559, "
        "J1575 only) (DME MACs)) for Cuvitru (SC), Xembify (SC), and no ABN is recorded (payer.abn_signed): add GZ to "
        "their lines (their JW or JZ lines too) in place of KX (coded for the pump's coverage criteria) if the "
        "contractor's policy does not cover it (verify first), not to the lines of Hizentra (SC), HyQvia (SC), which "
        "the diagnosis covers.")
