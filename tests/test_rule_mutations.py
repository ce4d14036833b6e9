"""Tests written against the mutants `make mutate` left alive (docs/testing.md, "Mutation testing"): each pins a
rule's two sides from the official fact quoted beside it (../shared/docs/reference.md)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.helpers import admin_lines, encounter, infusion, run


def test_hydration_running_beside_the_ig_is_never_96368():
    """reference.md §4: 96368 (concurrent infusion) is for a drug, never for hydration; fluids running during the
    IG infusion are not reported at all (hydration concurrent with a drug infusion is not billed)."""
    enc = encounter(administrations=[infusion(120)],
                    fluids=[{"purpose": "hydration", "ordered": True, "reason": "dehydration",
                             "start": "2026-03-02T09:30", "stop": "2026-03-02T10:30"}])
    assert admin_lines(run(enc)) == {"96365": 1, "96366": 1}


# --- the refdata dates (scripts/mutate_data.py moves each by a day) ------------------------------------------------
# The HCPCS "ADD DT" of each code and modifier in the CMS Alpha-Numeric HCPCS file (October 2025 quarterly,
# shared/cms-samples/hcpcs-anweb-2025q4.csv; the same dates as reference.md §1). The day before, the code or
# modifier did not exist; on the day it did.
HCPCS_ADDED = [
    ("J1459", "2009-01-01"), ("J1551", "2022-07-01"), ("J1552", "2025-01-01"), ("J1554", "2021-04-01"),
    ("J1555", "2018-01-01"), ("J1556", "2014-01-01"), ("J1557", "2012-01-01"), ("J1558", "2020-07-01"),
    ("J1559", "2011-01-01"), ("J1561", "2008-01-01"), ("J1566", "2006-01-01"), ("J1568", "2008-01-01"),
    ("J1569", "2008-01-01"), ("J1572", "2008-01-01"), ("J1575", "2016-01-01"), ("J1576", "2023-07-01"),
    ("J1599", "2011-01-01"), ("J1460", "1984-01-01"), ("J1560", "1984-01-01"),
]
MODIFIER_ADDED = [("JA", "2007-01-01"), ("JB", "2007-01-01"), ("JW", "2003-01-01"), ("JZ", "2023-01-01"),
                  # CR 8863 / MLN1783722: the X{EPSU} subsets of 59 from January 1, 2015
                  ("XE", "2015-01-01"), ("XS", "2015-01-01"), ("XP", "2015-01-01"), ("XU", "2015-01-01"),
                  # CR 6563 (MM6563): GX with its present meaning from April 1, 2010
                  ("GX", "2010-04-01")]


def _day_before(text: str) -> date:
    return date.fromisoformat(text) - timedelta(days=1)


@pytest.mark.parametrize(("code", "added"), HCPCS_ADDED)
def test_hcpcs_code_exists_from_its_add_date(ref, code, added):
    assert ref.hcpcs(code, _day_before(added)) is None
    assert ref.hcpcs(code, date.fromisoformat(added)) is not None


@pytest.mark.parametrize(("modifier", "added"), MODIFIER_ADDED)
def test_modifier_valid_from_its_add_date(ref, modifier, added):
    assert not ref.modifier_valid(modifier, _day_before(added))
    assert ref.modifier_valid(modifier, date.fromisoformat(added))


# reference.md §1: each product's own code (product → code, the code's add date); before it the product had no code
# of its own (an IV liquid one was billed with J1599, reference.md §1 below the table).
PRODUCT_CODE = [
    ("Privigen", "J1459"), ("Cutaquig", "J1551"), ("Alyglo", "J1552"), ("Asceniv", "J1554"), ("Cuvitru", "J1555"),
    ("Bivigam", "J1556"), ("Gammaplex 5%", "J1557"), ("Gammaplex 10%", "J1557"), ("Xembify", "J1558"),
    ("Hizentra", "J1559"), ("Gamunex-C", "J1561"), ("Gammaked", "J1561"), ("Gammagard Liquid", "J1569"),
    ("Octagam 5%", "J1568"), ("Octagam 10%", "J1568"), ("Flebogamma 5% DIF", "J1572"),
    ("Flebogamma 10% DIF", "J1572"), ("HyQvia", "J1575"), ("Panzyga", "J1576"),
]


@pytest.mark.parametrize(("product", "code"), PRODUCT_CODE)
def test_product_has_its_own_code_from_the_code_add_date(ref, product, code):
    added = dict(HCPCS_ADDED)[code]
    (p,) = [p for p in ref.products if p.name == product]
    assert p.own_code(_day_before(added), "office") is None
    assert p.own_code(date.fromisoformat(added), "office") == code


@pytest.mark.parametrize(("dos", "hopd", "office"), [
    ("2021-03-31", "C9072", None),    # the OPPS pass-through code, hospital outpatient only, until 2021-03-31
    ("2021-04-01", "J1554", "J1554"),  # then Asceniv's own J-code everywhere (HCPCS ADD DT 2021-04-01)
])
def test_asceniv_pass_through_code_ends_when_its_j_code_starts(ref, dos, hopd, office):
    (p,) = ref.find_products("Asceniv")
    day = date.fromisoformat(dos)
    assert (p.own_code(day, "hospital_outpatient"), p.own_code(day, "office")) == (hopd, office)
    assert (ref.hcpcs("C9072", day) is not None) is (hopd == "C9072")


# Payer parameters that changed on a date (both sides of each):
# JW required on Part B claims from 2017-01-01 (CMS Discarded Drugs page: "Effective January 1, 2017");
# JZ required from 2023-07-01 (same page / HHS guidance); XS for a second access site from 2015-01-01 (CR 8863);
# prior-authorization decision time 14 → 7 calendar days from 2026-01-01 (CMS-0057-F: 42 CFR 438.210(d)(1) for
# Medicaid managed care, 42 CFR 422.568(b)(1) for Medicare Advantage).
PARAMETER_CHANGES = [
    ("medicare-part-b", "jw_required", "2017-01-01", False, True),
    ("commercial", "jw_required", "2017-01-01", False, True),
    ("medicare-part-b", "jz_required", "2023-07-01", False, True),
    ("medicare-part-b", "distinct_site_modifier", "2015-01-01", "59", "XS"),
    ("commercial", "distinct_site_modifier", "2015-01-01", "59", "XS"),
    ("medicaid", "authorization_renewal_days", "2026-01-01", 14, 7),
    ("medicare-advantage", "authorization_renewal_days", "2026-01-01", 14, 7),
]


@pytest.mark.parametrize(("profile", "name", "changed", "before", "after"), PARAMETER_CHANGES)
def test_payer_parameter_changes_on_its_date(ref, profile, name, changed, before, after):
    prof = ref.profile(profile)
    assert prof.get(name, _day_before(changed)) == before
    assert prof.get(name, date.fromisoformat(changed)) == after


@pytest.mark.parametrize(("dos", "jz"), [("2023-06-30", False), ("2023-07-01", True)])
def test_public_code_encounter_codes_with_the_rules_of_the_date_of_service(ref, dos, jz):
    """engine.code_encounter (public API): the snapshot of the chart's own date and the profile given (CMS Discarded
    Drugs: JZ required from 2023-07-01), the same claim engine.build bills."""
    from igclaim import engine
    from igclaim.inputs import parse_encounter

    enc = parse_encounter(encounter(date_of_service=dos, administrations=[infusion(120, start=f"{dos}T09:00")]))
    coding = engine.code_encounter(enc, ref, ref.profile("medicare-part-b"))
    ig = next(ln for ln in coding.claim.lines if ln.code == "J1561")
    assert ("JZ" in ig.modifiers) is jz and ig.units == 60
    assert coding.claim == engine.build(enc).claim
    assert coding.rules.dos == enc.date_of_service


# --- liability modifiers on a home IVIG claim with no benefit category (reference.md §6, A52509) ----------------------
def _home_ivig_cidp(drug_mods: list[str], signed: bool | None = None):
    """examples/coverage/cov-11: home IVIG for CIDP (G61.81), Original Medicare: no benefit category, so GY."""
    import json

    from igclaim import engine
    from igclaim.inputs import parse_encounter
    from tests.conftest import ROOT

    data = json.loads((ROOT / "examples" / "coverage" / "cov-11-home-ivig-cidp-gy-written.json").read_text())["input"]
    data["claim"]["lines"][0]["modifiers"] = drug_mods
    if signed is not None:
        data["payer"]["abn_signed"] = signed
    r = engine.scrub(parse_encounter(data))
    return [(f.line, f.severity, f.message, f.fix) for f in r.findings if f.edit == "PAYER-ABN-MODIFIER"]


A52509 = "the Medicare contractor's list A52509 group 1 (DME MACs)"


@pytest.mark.parametrize("drug_mods", [["JZ", "GY"], ["JZ", "GY", "GX"]])
def test_gy_alone_or_with_gx_is_right_for_no_benefit_category(drug_mods):
    assert _home_ivig_cidp(drug_mods) == []


def test_gy_missing_on_the_drug_line_is_an_error_on_that_line():
    assert _home_ivig_cidp(["JZ"]) == [
        (1, "error", f"Line 1: the service has no Medicare benefit category for this diagnosis ({A52509}): GY is "
                     "needed.", "Add GY to line 1.")]


@pytest.mark.parametrize("wrong", ["GZ", "GA"])
@pytest.mark.parametrize("with_gy", [False, True])
def test_ga_or_gz_on_a_no_benefit_service_is_replaced_by_gy(wrong, with_gy):
    """GA/GZ are for a medical-necessity denial; a statutory exclusion takes GY, whether or not GY is also there."""
    got = _home_ivig_cidp(["JZ", wrong, *(["GY"] if with_gy else [])], signed=wrong == "GA")
    assert got == [(1, "error", f"Line 1: {wrong} reported, but a service with no Medicare benefit category "
                                f"(statutory exclusion) takes GY, not GA/GZ ({A52509}).",
                    f"Replace {wrong} with GY on line 1.")]


# --- matching written lines to the chart's drugs ------------------------------------------------------------------
def test_nos_lines_are_matched_to_the_chart_drug_their_ndc_names():
    """Two IG drugs both written as J1599, the Privigen line first: each line's NDC (the CMS crosswalk: 44206-0437-10
    is Privigen 10 g, 13533-0805-11 Gamunex-C 10 g) says which drug it bills, so each gets the NOS finding naming
    its own product's code and its units (20 = 10 g / 500 mg, 60 = 30 g / 500 mg) are right."""
    from tests.test_edits_support import BASE, chart, scrub

    enc = chart(drugs=[BASE["drugs"][0], {"id": "ig2", "product": "Privigen", "route": "IV", "dose": {"grams": 10},
                                          "containers": [{"grams": 10}]}])

    def both_nos(claim):
        for ln in claim["lines"]:
            if ln["code"] == "J1561":
                ln.update(code="J1599", ndc="13533-0805-11")
            elif ln["code"] == "J1459":
                ln.update(code="J1599", ndc="44206-0437-10")
        claim["lines"].sort(key=lambda ln: ln.get("ndc") != "44206-0437-10")

    r = scrub(enc, both_nos)
    got = sorted((f.edit, f.line, f.message) for f in r.findings if f.severity != "info")
    assert got == [
        ("DRUG-NOS-CODE", 1, "J1599 (not otherwise specified) billed for Gamunex-C, which has its own code J1561 on "
                             "2026-03-02."),
        ("DRUG-NOS-CODE", 2, "J1599 (not otherwise specified) billed for Privigen, which has its own code J1459 on "
                             "2026-03-02."),
    ]


# --- drug units and waste: the numbers the messages quote (J1561 = 500 mg a unit; a dose bills whole units rounded
# up; the containers opened minus the units given are the JW units; CMS Discarded Drugs page) ------------------------
def _drug_findings(drug0: dict, change) -> list[tuple[str, int | None, str]]:
    from tests.test_edits_support import chart, scrub

    r = scrub(chart(drug0=drug0), change)
    return sorted((f.edit, f.line, f.message) for f in r.findings if f.edit != "DRUG-WASTE-AVOIDABLE")


def _ig(claim: dict, jw: bool = False) -> dict:
    return next(ln for ln in claim["lines"] if ln["code"] == "J1561" and ("JW" in ln["modifiers"]) is jw)


def test_units_message_quotes_the_volume_concentration_and_grams():
    """250 mL of Gamunex-C 10 % = 25 g = 50 units (30 g opened = 60 units, so the JW line's 10 is right)."""
    got = _drug_findings({"dose": {"ml": 250}}, lambda c: _ig(c).update(units=40))
    # one mistake, one finding: the JW line is right, so the wrong given units are DRUG-UNITS alone
    assert got == [("DRUG-UNITS", 1, "Line 1: billed 40, documented 250 mL of 10 % = 25 g of J1561 = 50 units.")]


def test_units_message_says_a_fractional_dose_was_rounded_up():
    """27.3 g = 54.6 units of 500 mg, billed 55 (60 opened, so the JW line's 5 is right)."""
    got = _drug_findings({"dose": {"grams": 27.3}}, lambda c: _ig(c).update(units=54))
    assert got == [("DRUG-UNITS", 1, "Line 1: billed 54, documented 27.3 g of J1561 = 55 units (54.6 rounded up).")]


def test_jw_line_missing_and_jw_units_wrong_quote_what_was_opened():
    def drop_jw(claim):
        claim["lines"].remove(_ig(claim, jw=True))

    assert _drug_findings({"dose": {"grams": 27.3}}, drop_jw) == [
        ("DRUG-JW-MISSING", 1, "drugs[0]: opened 30 g = 60 units of J1561, 55 given: 5 units discarded and no JW "
                               "line.")]
    assert _drug_findings({"dose": {"grams": 27.3}}, lambda c: _ig(c, jw=True).update(units=2)) == [
        ("DRUG-WASTE-MISMATCH", 2, "Line 2: billed 55 + 2 JW = 57 units; opened 30 g = 60 units of J1561: 55 given "
                                   "+ 5 discarded.")]


@pytest.mark.parametrize(("per_container", "lines"), [
    (2.5, [("J1200", (), 1), ("J1200", ("JW",), 1)]),  # 2.5 units opened hold 2 whole units: 1 given, JW 1
    (1.5, [("J1200", ("JZ",), 1)]),                    # 1.5 units hold 1 whole unit: all of it given, so JZ
])
def test_premed_container_holds_only_whole_units(per_container, lines):
    """A container holds only whole billing units (rounded down), so the JW line bills the whole units left after
    the dose and never more than the container's billable amount (CMS Discarded Drugs; reference.md §3)."""
    from tests.test_drug_lines_ndc import _premed_line, _with_premed

    assert _premed_line(run(_with_premed("2026-03-02", {"containers": [{"units": per_container}]}))) == lines


def test_q2052_one_unit_for_each_infusion_date_under_the_demonstration():
    """reference.md §1: under the demonstration (2014-04-01 to 2023-12-31) Q2052 is one unit per infusion date, so a
    visit with infusions on two dates bills two Q2052 lines of one unit, whatever their length."""
    from tests.test_home_dme import q2052

    adms = [infusion(120, start="2023-03-05T09:00"), infusion(90, start="2023-03-06T09:00")]
    res = run(encounter(setting="home", date_of_service="2023-03-05", administrations=adms))
    assert q2052(res) == [("2023-03-05", 1), ("2023-03-06", 1)]


# --- another brand's code (reference.md §1: the product decides the code; CMS long descriptors) -------------------
PRIVIGEN_J1459 = "J1459 (Injection, immune globulin (privigen), intravenous, non-lyophilized (e.g., liquid), 500 mg)"
PANZYGA_J1576 = "J1576 (Injection, immune globulin (panzyga), intravenous, non-lyophilized (e.g., liquid), 500 mg)"


def _code_findings(enc: dict, change) -> list[tuple[str, int | None, str, str | None]]:
    from tests.test_edits_support import scrub

    r = scrub(enc, change)
    return [(f.edit, f.line, f.message, f.fix) for f in r.findings if f.severity != "info"]


def test_another_brands_code_is_named_with_its_descriptor():
    from tests.test_edits_support import chart

    assert _code_findings(chart(), lambda c: _ig(c).update(code="J1459")) == [
        ("DRUG-CODE-MISMATCH", 1, f"{PRIVIGEN_J1459} billed for Gamunex-C; its code on 2026-03-02 is J1561.",
         "Bill J1561 instead of J1459.")]


def test_a_code_not_yet_valid_on_the_date_says_so():
    """J1576 (Panzyga) was added 2023-07-01: billed on 2023-06-30 it is both another brand's and not yet valid."""
    from tests.test_edits_support import chart

    enc = chart(date_of_service="2023-06-30", administrations=[infusion(300, start="2023-06-30T09:00")])
    assert _code_findings(enc, lambda c: _ig(c).update(code="J1576")) == [
        ("DRUG-CODE-MISMATCH", 1, f"{PANZYGA_J1576} billed for Gamunex-C; its code on 2023-06-30 is J1561; J1576 is "
                                  "not valid on 2023-06-30.", "Bill J1561 instead of J1576.")]


@pytest.mark.parametrize("first", ["J1561", "J1599"])
def test_each_wrong_code_among_a_drugs_lines_is_found(first):
    """30 g billed as 40 units of `first` plus 20 units of Privigen's J1459 (the units add up): the J1459 line is
    still another brand's code, whatever the first line was (the own code, or the NOS code, itself an error)."""
    from tests.test_edits_support import chart

    def split(claim):
        ln = _ig(claim)
        ln.update(code=first, units=40)
        claim["lines"].insert(1, dict(ln, line=9, code="J1459", units=20))

    got = _code_findings(chart(), split)
    mismatch = ("DRUG-CODE-MISMATCH", 9, f"{PRIVIGEN_J1459} billed for Gamunex-C; its code on 2026-03-02 is J1561.",
                "Bill J1561 instead of J1459.")
    nos = ("DRUG-NOS-CODE", 1, "J1599 (not otherwise specified) billed for Gamunex-C, which has its own code J1561 on "
                               "2026-03-02.", "Bill J1561 instead of J1599.")
    assert got == ([nos, mismatch] if first == "J1599" else [mismatch])


def test_nos_finding_names_the_product_not_the_charts_spelling():
    """The chart says "privigen 10%" (an alias); the finding names the product, Privigen, and its code J1459."""
    from tests.test_edits_support import chart

    enc = chart(drug0={"product": "privigen 10%"})
    assert _code_findings(enc, lambda c: next(ln for ln in c["lines"] if ln["code"] == "J1459").update(
        code="J1599")) == [("DRUG-NOS-CODE", 1, "J1599 (not otherwise specified) billed for Privigen, which has its "
                                                "own code J1459 on 2026-03-02.", "Bill J1459 instead of J1599.")]


def test_premed_jw_line_missing_quotes_the_units_opened():
    """A premedication (no grams): 2 units opened, 1 given, no JW line: the discarded unit needs its JW line."""
    from tests.test_drug_lines_ndc import _with_premed
    from tests.test_edits_support import scrub

    def drop_premed_jw(claim):
        claim["lines"] = [ln for ln in claim["lines"] if not (ln["code"] == "J1200" and "JW" in ln["modifiers"])]

    r = scrub(_with_premed("2026-03-02", {"containers": [{"units": 2}]}), drop_premed_jw)
    assert [(f.edit, f.message) for f in r.findings if f.edit == "DRUG-JW-MISSING"] == [
        ("DRUG-JW-MISSING", "drugs[1]: opened 2 units of J1200, 1 given: 1 units discarded and no JW line.")]


def _units_findings(enc: dict, change) -> list[tuple[str, int | None, str, str | None]]:
    from tests.test_edits_support import scrub

    return [(f.edit, f.line, f.message, f.fix) for f in scrub(enc, change).findings
            if f.edit in ("DRUG-UNITS", "DRUG-UNITS-ML", "DRUG-NOS-CODE")]


def test_units_of_the_second_drug_are_checked_after_a_right_first_one():
    """The IG's 60 units are right; the premedication (J1200 × 1 given, reference.md §3) billed × 2 is not."""
    from tests.test_drug_lines_ndc import _with_premed

    enc = _with_premed("2026-03-02", {"containers": [{"units": 1}]})
    assert _units_findings(enc, lambda c: next(ln for ln in c["lines"] if ln["code"] == "J1200").update(units=2)) == [
        ("DRUG-UNITS", 2, "Line 2: billed 2, documented 1 units of J1200.", "Bill J1200 × 1.")]


def test_units_billed_under_another_code_name_that_code():
    from tests.test_edits_support import chart

    got = _units_findings(chart(), lambda c: _ig(c).update(code="J1599", units=50))
    assert got[1:] == [("DRUG-UNITS", 1, "Line 1: billed 50 units of J1599, documented 30 g of J1561 = 60 units.",
                        "Bill J1561 × 60.")]


def test_units_finding_points_at_the_administered_line_even_after_the_jw_line():
    from tests.test_edits_support import chart

    def jw_first(claim):
        jw = _ig(claim, jw=True)
        claim["lines"].remove(jw)
        claim["lines"].insert(0, jw)
        _ig(claim).update(units=50)

    assert _units_findings(chart(drug0={"dose": {"grams": 27.3}}), jw_first) == [
        ("DRUG-UNITS", 1, "Line 1: billed 50, documented 27.3 g of J1561 = 55 units (54.6 rounded up).",
         "Bill J1561 × 55.")]


def test_second_ig_billed_by_the_ml_is_found():
    """Privigen 10 g (100 mL of 10 %) billed as 100 units, beside a correct Gamunex-C line: 20 units of 500 mg."""
    from tests.test_edits_support import BASE, chart

    enc = chart(drugs=[BASE["drugs"][0], {"id": "ig2", "product": "Privigen", "route": "IV", "dose": {"ml": 100},
                                          "containers": [{"grams": 10}]}])
    got = _units_findings(enc, lambda c: next(ln for ln in c["lines"] if ln["code"] == "J1459").update(units=100))
    assert got == [("DRUG-UNITS-ML", 2, "Line 2: billed 100 units = the volume (100 mL); 100 mL of 10 % = 10 g of "
                                        "J1459 (500 mg a unit) = 20 units.",
                    "Bill J1459 × 20 (grams ÷ the code's unit dose, not mL or g).")]


# --- JW / JZ (CMS Discarded Drugs: JW line for the discarded units; JZ when nothing was discarded, required on
# Medicare Part B from 2023-07-01; never both for one drug) ---------------------------------------------------------
def _waste_findings(enc: dict, change) -> list[tuple[str, int | None, str, str | None]]:
    from tests.test_edits_support import scrub

    return [(f.edit, f.line, f.message, f.fix) for f in scrub(enc, change).findings
            if f.edit.startswith(("DRUG-JW", "DRUG-JZ", "DRUG-WASTE-MISMATCH"))]


def test_a_one_unit_discard_billed_on_its_jw_line_is_clean():
    """29.5 g = 59 units given from 60 opened: J1561 × 59 and J1561-JW × 1, no JZ, nothing to say."""
    from tests.test_edits_support import built_claim, chart

    enc = chart(drug0={"dose": {"grams": 29.5}})
    assert [(ln["code"], ln["modifiers"], ln["units"]) for ln in built_claim(enc)["lines"][:2]] == [
        ("J1561", [], 59), ("J1561", ["JW"], 1)]
    assert _waste_findings(enc, None) == []


def test_jw_line_missing_names_the_jw_units_to_add():
    from tests.test_edits_support import chart

    assert _waste_findings(chart(drug0={"dose": {"grams": 27.3}}), lambda c: c["lines"].remove(_ig(c, jw=True))) == [
        ("DRUG-JW-MISSING", 1, "drugs[0]: opened 30 g = 60 units of J1561, 55 given: 5 units discarded and no JW "
                               "line.", "Add J1561-JW × 5.")]


def test_jz_missing_points_at_the_administered_line_and_a_jw_without_discard_is_refused():
    """Nothing discarded (30 g from 3 × 10 g): JZ belongs on the administered line; a JW line listed before it
    bills a discard that did not happen."""
    from tests.test_edits_support import chart

    def no_jz_spurious_jw_first(claim):
        _ig(claim)["modifiers"] = []
        claim["lines"].insert(0, dict(_ig(claim), line=9, modifiers=["JW"], units=2))

    assert _waste_findings(chart(), no_jz_spurious_jw_first) == [
        ("DRUG-JZ-MISSING", 1, "Line 1: nothing of Gamunex-C was discarded and Original Medicare Part B requires JZ "
                               "on 2026-03-02.", "Add modifier JZ to the drug line (nothing was discarded)."),
        ("DRUG-JW-NOT-ALLOWED", 9, "Line 9: JW × 2 for Gamunex-C, but nothing was discarded.",
         "Remove the JW line; bill the administered units (with JZ where required)."),
    ]


def test_jz_beside_a_jw_line_is_a_conflict():
    from tests.test_edits_support import chart

    assert _waste_findings(chart(drug0={"dose": {"grams": 29.5}}), lambda c: _ig(c)["modifiers"].append("JZ")) == [
        ("DRUG-JW-JZ-CONFLICT", 1, "Line 1: JZ (nothing discarded) and a JW line (discarded) billed for Gamunex-C.",
         "Use JW (on a separate line for the discarded units) or JZ (nothing discarded), never both.")]


def test_jz_with_a_one_unit_discard_is_a_conflict_and_a_missing_jw():
    from tests.test_edits_support import chart

    def jz_instead_of_jw(claim):
        _ig(claim)["modifiers"].append("JZ")
        claim["lines"].remove(_ig(claim, jw=True))

    assert _waste_findings(chart(drug0={"dose": {"grams": 29.5}}), jz_instead_of_jw) == [
        ("DRUG-JW-MISSING", 1, "drugs[0]: opened 30 g = 60 units of J1561, 59 given: 1 units discarded and no JW "
                               "line.", "Add J1561-JW × 1."),
        ("DRUG-JW-JZ-CONFLICT", 1, "Line 1: JZ says nothing was discarded, but 30 g = 60 units of J1561 were opened "
                                   "and 59 given: 1 units discarded.",
         "Remove JZ and bill the discard on a JW line (J1561-JW × 1)."),
    ]


def test_the_second_drugs_jw_jz_conflict_is_found_after_a_first_drug_without_jz():
    """The IG discards 5 units (JW, no JZ); the premedication's line carries JZ beside its own JW line."""
    from tests.test_drug_lines_ndc import _with_premed

    enc = _with_premed("2026-03-02", {"containers": [{"units": 2}]})
    enc["drugs"][0]["dose"] = {"grams": 27.3}

    def premed_jz(claim):
        next(ln for ln in claim["lines"] if ln["code"] == "J1200" and not ln["modifiers"])["modifiers"].append("JZ")

    assert _waste_findings(enc, premed_jz) == [
        ("DRUG-JW-JZ-CONFLICT", 3, "Line 3: JZ (nothing discarded) and a JW line (discarded) billed for J1200.",
         "Use JW (on a separate line for the discarded units) or JZ (nothing discarded), never both.")]


@pytest.mark.parametrize(("container", "why"), [
    ({"container_type": "multi_dose"}, "the container is multi-dose"),
    ({"shared_with_other_patient": True}, "the container was shared with another patient (the remainder was not "
                                          "discarded)"),
])
def test_jw_is_not_for_a_multi_dose_or_shared_container(container, why):
    """Noridian JZ/JW page: JW only for single-dose containers whose remainder is discarded; the JW units are
    taken off the claim (impact −5)."""
    from tests.test_edits_support import chart, scrub

    enc = chart(drug0={"dose": {"grams": 27.3}, **container})

    def add_jw(claim):
        claim["lines"].insert(1, dict(_ig(claim), line=9, modifiers=["JW"], units=5))

    r = scrub(enc, add_jw)
    got = [(f.edit, f.line, f.message, f.impact_units) for f in r.findings if f.edit == "DRUG-JW-NOT-ALLOWED"]
    assert got == [("DRUG-JW-NOT-ALLOWED", 9, f"Line 9: JW × 5 for Gamunex-C, but {why}.", -5)]


def test_jw_units_for_a_one_unit_discard_must_be_one():
    from tests.test_edits_support import chart

    assert _waste_findings(chart(drug0={"dose": {"grams": 29.5}}), lambda c: _ig(c, jw=True).update(units=2)) == [
        ("DRUG-WASTE-MISMATCH", 2, "Line 2: billed 59 + 2 JW = 61 units; opened 30 g = 60 units of J1561: 59 given "
                                   "+ 1 discarded.", "Bill J1561-JW × 1.")]


def test_second_drugs_jw_units_are_checked_after_a_right_first_drug():
    """The premedication: 2 units opened, 1 given, so JW × 1; billed JW × 3 (two more than the discard)."""
    from tests.test_drug_lines_ndc import _with_premed
    from tests.test_edits_support import scrub

    enc = _with_premed("2026-03-02", {"containers": [{"units": 2}]})
    r = scrub(enc, lambda c: next(ln for ln in c["lines"] if ln["code"] == "J1200" and "JW" in ln["modifiers"]
                                  ).update(units=3))
    assert [(f.edit, f.line, f.message, f.fix, f.impact_units) for f in r.findings] == [
        ("DRUG-WASTE-MISMATCH", 3, "Line 3: billed 1 + 3 JW = 4 units; opened 2 units of J1200: 1 given + 1 "
                                   "discarded.", "Bill J1200-JW × 1.", -2)]


def test_first_coast_requires_ja_on_j1561_given_iv():
    """First Coast article A57778: J1561 and J1569 carry JA (IV) or JB (SC); the bundled First Coast profile says so."""
    import json

    from igclaim import engine
    from igclaim.inputs import parse_json_text
    from tests.test_edits_support import chart

    enc = chart()
    fc = "medicare-part-b-first-coast"
    claim = json.loads(engine.build(parse_json_text(json.dumps(enc)), profile=fc).claim.model_dump_json())
    assert claim["lines"][0]["modifiers"] == ["JA", "JZ"]
    claim["lines"][0]["modifiers"] = ["JZ"]
    r = engine.scrub(parse_json_text(json.dumps(dict(enc, claim=claim))), profile=fc)
    title = engine.reference().profile(fc).title
    assert [(f.edit, f.line, f.message, f.fix) for f in r.findings] == [
        ("DRUG-ROUTE-MODIFIER", 1, f"Line 1: J1561 given IV needs JA for {title}.", "Add JA to line 1.")]


# --- NDCs on a Medicaid claim (examples/drug-lines/e1: 25 g of Gamunex-C from a 20 g and a 10 g container, two NDCs;
# Medicaid needs the NDC on each drug line and one line per NDC) ------------------------------------------------------
def _e1_scrub(change) -> list[tuple[str, int | None, str]]:
    import copy
    import json

    from igclaim import engine
    from igclaim.inputs import parse_encounter
    from tests.conftest import ROOT

    data = json.loads((ROOT / "examples" / "drug-lines" / "e1-medicaid-two-ndcs.json").read_text())["input"]
    claim = json.loads(engine.build(parse_encounter(data)).claim.model_dump_json())
    claim = copy.deepcopy(claim)
    change(claim)
    r = engine.scrub(parse_encounter(dict(data, claim=claim)))
    return [(f.edit, f.line, f.message) for f in r.findings if f.edit.startswith("DRUG-NDC")]


def test_one_line_for_two_ndcs_names_the_missing_ndc_and_the_units_of_each():
    """20 g (13533-0805-31) = 40 units; the 10 g container (13533-0805-11) gives 10 units and discards 10 (JW)."""
    def merge(claim):
        ig = [ln for ln in claim["lines"] if ln["code"] == "J1561"]
        for ln in ig[1:]:
            claim["lines"].remove(ln)
        ig[0]["units"] = 50

    assert _e1_scrub(merge) == [
        ("DRUG-NDC-PER-LINE", 1, "Line 1: Gamunex-C came from containers of 2 NDCs and the claim does not report "
                                 "13533-0805-11; Medicaid (generic state program) needs one line per NDC "
                                 "(13533-0805-11 × 20, 13533-0805-31 × 40 units).")]


def test_a_drug_line_without_its_ndc_on_a_medicaid_claim():
    def drop_first_ndc(claim):
        claim["lines"][0].update(ndc=None, ndc_quantity=None, ndc_unit=None)

    assert _e1_scrub(drop_first_ndc) == [
        ("DRUG-NDC-MISSING", 1, "Line 1: J1561 has no NDC; Medicaid (generic state program) requires it (the chart "
                                "has 13533-0805-31)."),
        ("DRUG-NDC-PER-LINE", 1, "Line 1: Gamunex-C came from containers of 2 NDCs and the claim does not report "
                                 "13533-0805-31; Medicaid (generic state program) needs one line per NDC "
                                 "(13533-0805-11 × 20, 13533-0805-31 × 40 units)."),
    ]


@pytest.mark.parametrize(("ndc", "why"), [
    # 10 digits without hyphens: which segment to pad is unknown (FDA 10-digit NDCs are 4-4-2, 5-3-2 or 5-4-1)
    ("1353308051", "'1353308051' is not an NDC: give 11 digits, or 10 digits with hyphens (4-4-2, 5-3-2, 5-4-1)"),
    ("13533-0805", "'13533-0805' is not an NDC: give 11 digits, or 10 digits with hyphens (4-4-2, 5-3-2, 5-4-1)"),
    ("13533-805-1", "'13533-805-1' has segments 5-3-1: use 4-4-2, 5-3-2, 5-4-1 or 5-4-2"),
])
def test_an_ndc_that_is_not_one_names_why(ndc, why):
    from tests.test_edits_support import chart, scrub

    r = scrub(chart(), lambda c: c["lines"][0].update(ndc=ndc))
    assert [(f.edit, f.line, f.message) for f in r.findings] == [("DRUG-NDC-FORMAT", 1, f"Line 1: {why}.")]


@pytest.mark.parametrize(("containers", "some"), [
    ([{"grams": 20}, {"grams": 10}], ""),
    ([{"ndc": "13533-0805-31"}, {"grams": 10}], " (or for some of its containers)"),
])
def test_build_says_the_chart_lacks_the_ndc_medicaid_requires(containers, some):
    import json

    from igclaim import engine
    from igclaim.inputs import parse_encounter
    from tests.conftest import ROOT

    data = json.loads((ROOT / "examples" / "drug-lines" / "e1-medicaid-two-ndcs.json").read_text())["input"]
    data["drugs"][0]["containers"] = containers
    r = engine.build(parse_encounter(data))
    assert [(f.message, f.fix) for f in r.findings if f.edit == "DRUG-NDC-MISSING"] == [
        ("drugs[0]: Medicaid (generic state program) requires the NDC on drug lines and the chart gives none for "
         f"Gamunex-C{some}.", "Add the NDC of the package used to the chart (drugs[].ndc or containers[].ndc).")]


def test_a_nos_line_without_ndc_goes_to_the_ig_drug_that_has_no_line_yet():
    """Gamunex-C billed with its own J1561, Privigen (its own code J1459) billed as J1599 without an NDC: the NOS
    line is Privigen's, the drug still without a line, so the NOS finding names Privigen and its units (20) fit."""
    from tests.test_edits_support import BASE, chart, scrub

    enc = chart(drugs=[BASE["drugs"][0], {"id": "ig2", "product": "Privigen", "route": "IV", "dose": {"grams": 10},
                                          "containers": [{"grams": 10}]}])
    r = scrub(enc, lambda c: next(ln for ln in c["lines"] if ln["code"] == "J1459").update(code="J1599"))
    assert [(f.edit, f.line, f.message) for f in r.findings] == [
        ("DRUG-NOS-CODE", 2, "J1599 (not otherwise specified) billed for Privigen, which has its own code J1459 on "
                             "2026-03-02.")]


def test_an_im_gamma_globulin_code_billed_for_ivig_is_another_code():
    """J1560 (CMS: "Injection, gamma globulin, intramuscular, over 10 cc") is listed for recognition only (reference.md
    §1): billed for Gamunex-C it is the drug's line with the wrong code."""
    from tests.test_edits_support import chart

    assert _code_findings(chart(), lambda c: _ig(c).update(code="J1560")) == [
        ("DRUG-CODE-MISMATCH", 1, "J1560 (Injection, gamma globulin, intramuscular, over 10 cc) billed for Gamunex-C; "
                                  "its code on 2026-03-02 is J1561.", "Bill J1561 instead of J1560.")]


def test_no_ndc_on_any_line_of_a_two_ndc_drug_names_both():
    def drop_ndcs(claim):
        for ln in claim["lines"]:
            if ln["code"] == "J1561":
                ln.update(ndc=None, ndc_quantity=None, ndc_unit=None)

    got = [x for x in _e1_scrub(drop_ndcs) if x[0] == "DRUG-NDC-PER-LINE"]
    assert got == [("DRUG-NDC-PER-LINE", 1, "Line 1: Gamunex-C came from containers of 2 NDCs and the claim does not "
                                            "report 13533-0805-11, 13533-0805-31; Medicaid (generic state program) "
                                            "needs one line per NDC (13533-0805-11 × 20, 13533-0805-31 × 40 units).")]


def test_nos_code_billed_before_it_existed_is_still_a_nos_code_for_a_coded_product():
    """2010-06-30: Gamunex-C had J1561 (since 2008-01-01); J1599 (from 2011-01-01) billed for it is the NOS mistake."""
    from tests.test_edits_support import chart

    enc = chart(date_of_service="2010-06-30", administrations=[infusion(300, start="2010-06-30T09:00")])
    assert _code_findings(enc, lambda c: _ig(c).update(code="J1599")) == [
        ("DRUG-NOS-CODE", 1, "J1599 (not otherwise specified) billed for Gamunex-C, which has its own code J1561 on "
                             "2010-06-30.", "Bill J1561 instead of J1599.")]
