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
