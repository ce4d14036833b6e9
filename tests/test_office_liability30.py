"""An Original Medicare office claim with two immune globulin products, one covered for the chart's diagnosis and
one not: only the lines of the one not covered (its JW/JZ line too) take GA/GZ, as at home
(tests/test_home_liability29.py). One merged verdict used to ask every drug line, the covered product's too.

The A/B MACs' lists (bundled or imported: `article_id,group,icd10_code`) have no product dimension, so none of them
covers a diagnosis for one product and not another: the case is built with a binding list of the profile's own
(`kind = "official"`) whose CIDP entry is limited to the intravenous route."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_edits_support import build, built_claim, chart, only, scrub

IVIG = {"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
        "containers": [{"grams": 10, "count": 3}]}
SCIG = {"id": "ig2", "product": "Hizentra", "route": "SC", "dose": {"grams": 9},
        "containers": [{"grams": 10, "count": 1}]}  # 1 g left in the vial: a JW line


@pytest.fixture()
def profile(tmp_path: Path) -> str:
    """Original Medicare's profile with a binding list of its own: CIDP (G61.81) covered by IV immune globulin only."""
    pol = tmp_path / "cidp-iv-only.toml"
    pol.write_text('[policy]\nname = "cidp-iv-only"\ntitle = "Test list: CIDP by IV only"\nkind = "official"\n'
                   'severity = "error"\nsource = "https://example.org/policy"\n\n[[indication]]\nname = "CIDP, IV"\n'
                   'codes = ["G61.81"]\nroutes = ["IV"]\n')
    bundled = Path(__file__).resolve().parents[1] / "src/igclaim/refdata/payers/medicare-part-b.toml"
    text = bundled.read_text()
    assert 'values = { "2000-01-01" = "default-ig" }' in text
    text = text.replace('values = { "2000-01-01" = "default-ig" }', 'values = { "2000-01-01" = "cidp-iv-only.toml" }')
    prof = tmp_path / "medicare-own-list.toml"
    prof.write_text(text)
    return str(prof)


def office(profile: str, **payer) -> dict:
    return chart(setting="office", diagnoses=["G61.81"], drugs=[IVIG, SCIG],
                 payer={"type": "medicare", "name": "Medicare Part B", "profile": profile, **payer},
                 administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"},
                                  {"drug_id": "ig2", "start": "2026-03-02T14:10", "stop": "2026-03-02T15:40"}])


def lines_of(claim: dict, *codes: str) -> list[int]:
    return [ln["line"] for ln in claim["lines"] if ln["code"] in codes]


def _add(modifier: str, *codes: str):
    def change(c: dict) -> None:
        for ln in c["lines"]:
            if ln["code"] in codes:
                ln["modifiers"] = [*ln["modifiers"], modifier]
    return change


def abn(result, severity: str | None = None) -> dict[int, str]:
    return {f.line: f.severity for f in result.findings if f.edit == "PAYER-ABN-MODIFIER" and f.line is not None
            and (severity is None or f.severity == severity)}


def test_the_case_covers_one_product_only(profile):
    r = build(office(profile))
    f = only(r, "DX-NOT-COVERED")
    assert "Hizentra (SC)" in f.message and "Gamunex-C" not in f.message


def test_scrub_asks_only_the_uncovered_products_lines_and_its_jw_line(profile):
    enc = office(profile)
    claim = built_claim(enc)
    scig = lines_of(claim, "J1559")
    assert len(scig) == 2  # the dose and the JW line
    r = scrub(enc)
    errors = abn(r, "error")
    assert set(errors) == set(scig), [(f.line, f.severity, f.message) for f in r.findings
                                      if f.edit == "PAYER-ABN-MODIFIER"]
    for n in lines_of(claim, "J1561"):
        assert n not in abn(r)


def test_the_right_office_claim_has_no_abn_error_and_gz_on_the_covered_drug_is_flagged(profile):
    enc = office(profile)
    claim = built_claim(enc)
    right = scrub(enc, _add("GZ", "J1559"))
    assert not abn(right, "error"), [(f.line, f.message) for f in right.findings if f.edit == "PAYER-ABN-MODIFIER"]
    wrong = scrub(enc, _add("GZ", "J1559", "J1561"))
    ivig = lines_of(claim, "J1561")
    assert set(abn(wrong)) >= set(ivig)  # GZ on the covered product's lines: not expected to be denied


def test_administration_lines_are_a_warning_that_says_why(profile):
    enc = office(profile)
    claim = built_claim(enc)
    admin = [ln["line"] for ln in claim["lines"] if ln["code"].startswith("963")]
    assert admin
    r = scrub(enc, _add("GZ", "J1559"))
    said = [f for f in r.findings if f.edit == "PAYER-ABN-MODIFIER" and f.line in admin]
    assert said and all(f.severity == "warning" for f in said)
    assert all("which product" in f.message for f in said)


def test_build_names_the_uncovered_product_only(profile):
    msg = only(build(office(profile)), "PAYER-ABN-MODIFIER").message
    assert "Hizentra (SC)" in msg and "GZ" in msg
    assert "not to the lines of Gamunex-C (IV)" in msg
    assert "drug and administration lines" not in msg


def test_an_ab_macs_list_judges_every_product_alike_so_every_drug_line_is_asked():
    """CGS (J15) does not list D80.1: its list has no product dimension, so both products are uncovered and every
    drug line (and administration) is asked GZ, as before; `by_drug` names both."""
    enc = chart(setting="office", diagnoses=["D80.1"], drugs=[IVIG, SCIG],
                payer={"type": "medicare", "name": "Medicare Part B", "contractor": "J15"},
                administrations=office("unused")["administrations"])
    claim = built_claim(enc)
    r = scrub(enc)
    assert set(abn(r, "error")) == {ln["line"] for ln in claim["lines"]}
    assert "Gamunex-C (IV), Hizentra (SC)" in only(r, "DX-NOT-COVERED").message


def test_dx_not_covered_puts_the_uncovered_products_units_at_stake_on_its_line(profile):
    """The finding priced the chart's first immune globulin (the covered Gamunex-C) on its line."""
    enc = office(profile)
    claim = built_claim(enc)
    f = only(scrub(enc, _add("GZ", "J1559")), "DX-NOT-COVERED")
    assert f.line == lines_of(claim, "J1559")[0] and f.impact_units == -100  # 9 g given + 1 g discarded, 100 mg a unit
    assert only(build(enc), "DX-NOT-COVERED").impact_units == -100


def test_an_administration_line_with_another_liability_modifier_is_a_warning_naming_the_one_needed(profile):
    enc = office(profile, abn_signed=True)  # GA needed, not GZ
    claim = built_claim(enc)
    first = next(ln["line"] for ln in claim["lines"] if ln["code"] == "96365")
    r = scrub(enc, _add("GA", "J1559"))
    assert not abn(r, "error")
    r = scrub(enc, lambda c: (_add("GA", "J1559")(c), _add("GZ", "96365")(c)))
    said = [f for f in r.findings if f.edit == "PAYER-ABN-MODIFIER" and f.line == first]
    assert [f.severity for f in said] == ["warning"]
    assert "GZ reported" in said[0].message and said[0].fix.startswith(f"Replace GZ with GA on line {first}")


def test_an_administration_line_with_the_modifier_needed_is_silent(profile):
    enc = office(profile)
    sc_admin = next(ln["line"] for ln in built_claim(enc)["lines"] if ln["code"] == "96369")
    r = scrub(enc, _add("GZ", "J1559", "96369"))
    assert sc_admin not in abn(r)
    assert abn(r) == {4: "warning"}  # 96365 and 96366 (the IV infusion), one warning


# --- the survivors of hand mutations on main (this session): each kills one ------------------------------------------

def test_build_names_the_covered_product_alone_as_the_one_not_to_modify(profile):
    msg = only(build(office(profile)), "PAYER-ABN-MODIFIER").message
    assert ", not to the lines of Gamunex-C (IV), which the diagnosis covers." in msg


def test_a_home_claim_of_two_sc_products_one_covered_gets_no_administration_advice():
    """At home no administration line is billed (the pump and its supplies are), so the advice is left out."""
    sc = [{"id": f"ig{i}", "product": p, "route": "SC", "dose": {"grams": 10},
           "containers": [{"grams": 10, "count": 1}]} for i, p in ((1, "Hizentra"), (2, "Cuvitru"))]
    enc = chart(setting="home", diagnoses=["G61.81"], drugs=sc,
                administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"},
                                 {"drug_id": "ig2", "start": "2026-03-02T10:10", "stop": "2026-03-02T11:00"}])
    msg = only(build(enc), "PAYER-ABN-MODIFIER").message
    assert msg.startswith("The diagnosis may not be covered (the Medicare contractor's list A52507 group 3 + A52507 "
                          "group 6 (J1559, J1575 only) (DME MACs)) for Cuvitru (SC)")
    assert msg.endswith("not to the lines of Hizentra (SC), which the diagnosis covers.")


def test_one_administration_line_without_a_liability_modifier_is_named_alone(profile):
    """A modifier that is not a liability one (59) does not count; one line is 'Line 4', not 'Lines 4'."""
    enc = office(profile)
    r = scrub(enc, lambda c: (_add("GZ", "J1559", "96369", "96366")(c), _add("59", "96365")(c)))
    [f] = [f for f in r.findings if f.edit == "PAYER-ABN-MODIFIER"]
    assert (f.line, f.severity) == (4, "warning")
    assert f.message.startswith("Line 4 (96365): no liability modifier on the administration of a claim where "
                                "Hizentra (SC) is not covered (Test list: CIDP by IV only) and Gamunex-C (IV) is.")
    assert f.fix == "Put GZ on the administration line that gives Hizentra (SC) alone, if any; none on the others."


def test_a_liability_modifier_on_a_premedications_line_is_not_told_as_a_covered_products(profile):
    enc = office(profile)
    enc["drugs"].append({"id": "pre", "hcpcs": "J1200", "units": 1, "route": "IV"})
    enc["administrations"].append({"drug_id": "pre", "method": "push", "start": "2026-03-02T08:50",
                                   "stop": "2026-03-02T08:50"})
    premed = lines_of(built_claim(enc), "J1200")
    assert premed
    r = scrub(enc, _add("GZ", "J1559", "J1200"))
    assert not [f for f in r.findings if f.edit == "PAYER-ABN-MODIFIER" and f.line in premed
                and "covered for this line's product" in f.message]


def test_dx_not_covered_per_product_says_the_chart_when_the_claim_lists_other_diagnoses(profile):
    enc = office(profile)

    def other_dx(c: dict) -> None:
        c["diagnoses"] = ["G61.81", "R50.9"]
        _add("GZ", "J1559")(c)

    f = only(scrub(enc, other_dx), "DX-NOT-COVERED")
    assert f.message.startswith("No diagnosis in the chart (G61.81) is covered for Hizentra (SC) under Test list")


def test_two_products_neither_covered_by_the_profiles_list_are_one_finding_naming_both(profile):
    enc = office(profile)
    enc["diagnoses"] = ["R50.9"]
    f = only(build(enc), "DX-NOT-COVERED")
    assert f.message.startswith("No diagnosis on the claim (R50.9) is covered for Gamunex-C (IV), Hizentra (SC) under "
                                "Test list: CIDP by IV only.")


# --- make mutate survivors (this session's run on the per-drug liability): the whole texts ---------------------------

WHY = ("where Hizentra (SC) is not covered (Test list: CIDP by IV only) and Gamunex-C (IV) is. A written "
       "administration line does not say which product it gives, so igclaim does not ask it for GZ: if it gives "
       "Hizentra (SC) alone, its denial is expected too (GZ); if it gives Gamunex-C (IV), none. A warning: contractors "
       "differ on the administration of a product that is not covered beside one that is.")


def _abn_findings(r) -> list[tuple]:
    return [(f.line, f.severity, f.message, f.fix) for f in r.findings if f.edit == "PAYER-ABN-MODIFIER"]


def test_the_build_advice_in_full(profile):
    assert only(build(office(profile)), "PAYER-ABN-MODIFIER").message == (
        "The diagnosis may not be covered (Test list: CIDP by IV only) for Hizentra (SC), and no ABN is recorded "
        "(payer.abn_signed): add GZ to its lines (its JW or JZ line too), not to the lines of Gamunex-C (IV), which "
        "the diagnosis covers. The administration lines: GZ only on one that gives Hizentra (SC) alone, none on one "
        "that gives a covered product (contractors differ on the administration of a product that is not covered "
        "beside one that is: verify).")


def test_gz_on_the_covered_product_and_two_bare_administration_lines_in_full(profile):
    r = scrub(office(profile), _add("GZ", "J1559", "J1561", "96369"))
    assert _abn_findings(r) == [
        (1, "warning", "Line 1: GZ reported, but the claim's diagnosis is covered for this line's product: no denial "
         "is expected of it (only the lines of the product that is not covered take one).",
         "Remove GZ from line 1 unless the ABN was for another reason."),
        (4, "warning", f"Lines 4, 5 (96365, 96366): no liability modifier on the administration of a claim {WHY}",
         "Put GZ on the administration line that gives Hizentra (SC) alone, if any; none on the others.")]


def test_another_liability_modifier_after_a_right_one_is_still_told(profile):
    """The line with the modifier needed (96365, GZ) does not end the look at the lines after it (96366, GA)."""
    r = scrub(office(profile), lambda c: (_add("GZ", "J1559", "96365")(c), _add("GA", "96366")(c)))
    assert _abn_findings(r) == [
        (5, "warning", f"Line 5 (96366): GA reported on the administration of a claim {WHY}",
         "Replace GA with GZ on line 5 if it gives Hizentra (SC) alone; else remove GA."),
        (6, "warning", f"Line 6 (96369): no liability modifier on the administration of a claim {WHY}",
         "Put GZ on the administration line that gives Hizentra (SC) alone, if any; none on the others.")]
