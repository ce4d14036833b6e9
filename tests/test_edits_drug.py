"""Drug edits: each trips on a claim written wrong and stays silent on its near miss."""

from __future__ import annotations

from decimal import Decimal

from tests.test_edits_support import BASE, chart, ids, line, only, scrub

PRIVIGEN_35_OF_40 = chart(drugs=[{"id": "ig1", "product": "Privigen", "route": "IV", "dose": {"grams": 35},
                                  "containers": [{"grams": 40, "count": 1}]}])


def test_nos_code_for_a_product_with_its_own_code():
    r = scrub(BASE, lambda c: line(c, "J1561").update(code="J1599"))
    f = only(r, "DRUG-NOS-CODE")
    assert f.line == 1 and "J1561" in f.message and f.severity == "error"
    assert "DRUG-CODE-MISMATCH" not in ids(r)
    assert "DRUG-UNITS" not in ids(r)  # 60 units is right for J1599 too (both 500 mg)


def test_nos_code_is_right_for_a_product_without_its_own_code():
    enc = chart(drugs=[{"id": "ig1", "product": "Qivigy", "route": "IV", "dose": {"grams": 30},
                        "containers": [{"grams": 10, "count": 3}]}])
    r = scrub(enc)
    assert "DRUG-NOS-CODE" not in ids(r) and "DRUG-CODE-MISMATCH" not in ids(r)
    assert not ids(r, "error")


def test_code_mismatch_another_brands_code_and_units_still_checked():
    # The seed's mistake: J1559 (Hizentra, 100 mg) billed × 30 for 30 g of Gamunex-C.
    r = scrub(BASE, lambda c: line(c, "J1561").update(code="J1559", units=30))
    f = only(r, "DRUG-CODE-MISMATCH")
    assert "J1561" in f.message and f.line == 1
    # 30 = the grams: one mistake, one finding (DRUG-UNITS-ML, with the units at stake), not DRUG-UNITS beside it.
    units = only(r, "DRUG-UNITS-ML")
    assert "billed 30" in units.message and "60 units" in units.message
    # The units at stake are J1561's: 30 units of J1559 (100 mg) bill 3 g = 6 units of J1561, so 60 - 6 = 54 are
    # left unbilled (not 60 - 30, which mixed J1561's units with J1559's), priced at J1561's payment limit.
    assert "30 units of J1559 (100 mg a unit) = 6 units of J1561" in units.message
    assert units.impact_units == 54 and units.impact_usd == Decimal("2650.10")  # 54 x $49.076 (J1561, ASP 2026Q1)
    assert "DRUG-UNITS" not in ids(r)


def test_code_mismatch_near_miss_right_code():
    assert "DRUG-CODE-MISMATCH" not in ids(scrub(BASE))


def test_units_names_both_figures():
    r = scrub(BASE, lambda c: line(c, "J1561").update(units=31))
    f = only(r, "DRUG-UNITS")
    assert "billed 31, documented 30 g of J1561 = 60 units" in f.message
    assert f.line == 1 and f.impact_units == 29
    assert "DRUG-UNITS-ML" not in ids(r)


def test_units_billed_as_grams_is_one_finding():
    # Billing the grams (30 for 30 g) is one mistake: DRUG-UNITS-ML names it and carries the 30 units at stake;
    # DRUG-UNITS, which it supersedes on the same line, is not raised beside it.
    r = scrub(BASE, lambda c: line(c, "J1561").update(units=30))
    f = only(r, "DRUG-UNITS-ML")
    assert f.line == 1 and f.impact_units == 30 and f.impact_usd is not None and f.impact_usd > 0
    assert [x.edit for x in r.findings if x.line == 1] == ["DRUG-UNITS-ML"]


def test_units_rounds_up_and_near_miss():
    enc = chart(drug0={"dose": {"grams": "6.8"}, "containers": [{"grams": 10, "count": 1}]})
    # 6.8 g = 13.6 units → 14 (JW 6 for the rest of the 10 g vial)
    assert "DRUG-UNITS" not in ids(scrub(enc))
    r = scrub(enc, lambda c: line(c, "J1561").update(units=13))
    assert "13.6 rounded up" in only(r, "DRUG-UNITS").message


def test_units_by_ml():
    enc = chart(drug0={"dose": {"ml": 300}, "containers": [{"ml": 100, "count": 3}]})
    r = scrub(enc, lambda c: line(c, "J1561").update(units=300))
    assert "300 mL" in only(r, "DRUG-UNITS-ML").message
    # Near miss: wrong units that are neither the mL nor the grams are DRUG-UNITS only.
    r = scrub(enc, lambda c: line(c, "J1561").update(units=59))
    assert "DRUG-UNITS" in ids(r) and "DRUG-UNITS-ML" not in ids(r)


def test_units_ml_not_raised_when_units_coincide_with_ml():
    # HyQvia: 100 mg a unit of a 10 % product: units equal mL by design.
    enc = chart(setting="office", drugs=[{"id": "ig1", "product": "HyQvia", "route": "SC", "dose": {"ml": 100},
                                          "containers": [{"grams": 5, "count": 2}]}],
                administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T11:00"}])
    assert "DRUG-UNITS-ML" not in ids(scrub(enc))


def test_jw_missing_and_near_miss():
    r = scrub(PRIVIGEN_35_OF_40, lambda c: c["lines"].remove(line(c, "J1459", jw=True)))
    f = only(r, "DRUG-JW-MISSING")
    assert f.impact_units == 10 and "10 units discarded" in f.message
    assert "DRUG-JW-MISSING" not in ids(scrub(PRIVIGEN_35_OF_40))


def test_jz_missing_and_near_misses():
    r = scrub(BASE, lambda c: line(c, "J1561").update(modifiers=[]))
    assert only(r, "DRUG-JZ-MISSING").line == 1
    assert "DRUG-JZ-MISSING" not in ids(scrub(BASE))
    # Before JZ was required (2023-07-01) it is not missing.
    early = chart(date_of_service="2023-03-01", diagnoses=["D83.9"],
                  administrations=[{"drug_id": "ig1", "start": "2023-03-01T09:00", "stop": "2023-03-01T14:00"}])
    assert "DRUG-JZ-MISSING" not in ids(scrub(early, lambda c: line(c, "J1561").update(modifiers=[])))
    # A commercial plan that does not require JZ.
    com = chart(payer={"type": "commercial", "prior_authorization": {"number": "A1"}},
                drug0={"ndc": "13533-0805-11"})
    assert "DRUG-JZ-MISSING" not in ids(scrub(com))


def test_jw_jz_conflict():
    def both(c):
        line(c, "J1459").update(modifiers=["JZ"])

    r = scrub(PRIVIGEN_35_OF_40, both)
    assert "DRUG-JW-JZ-CONFLICT" in ids(r)

    def jz_instead_of_jw(c):
        c["lines"].remove(line(c, "J1459", jw=True))
        line(c, "J1459").update(modifiers=["JZ"])

    f = only(scrub(PRIVIGEN_35_OF_40, jz_instead_of_jw), "DRUG-JW-JZ-CONFLICT")
    assert "10 units discarded" in f.message
    assert "DRUG-JW-JZ-CONFLICT" not in ids(scrub(PRIVIGEN_35_OF_40))
    assert "DRUG-JW-JZ-CONFLICT" not in ids(scrub(BASE))


def _add_jw(units):
    def change(c):
        c["lines"].insert(1, {"line": 9, "code": "J1561", "modifiers": ["JW"], "units": units})
    return change


def test_jw_not_allowed_nothing_discarded():
    f = only(scrub(BASE, _add_jw(2)), "DRUG-JW-NOT-ALLOWED")
    assert f.line == 9 and "nothing was discarded" in f.message


def test_jw_not_allowed_units_already_cover_the_remainder():
    # 9.8 g from a 10 g vial: 19.6 units → 20 billed, which already cover the 10 g opened.
    enc = chart(drug0={"dose": {"grams": "9.8"}, "containers": [{"grams": 10, "count": 1}]})
    f = only(scrub(enc, _add_jw(1)), "DRUG-JW-NOT-ALLOWED")
    assert "already cover" in f.message
    assert "DRUG-JW-NOT-ALLOWED" not in ids(scrub(enc))


def test_jw_not_allowed_multi_dose_and_shared():
    multi = chart(drug0={"container_type": "multi_dose", "dose": {"grams": 25}})
    assert "multi-dose" in only(scrub(multi, _add_jw(10)), "DRUG-JW-NOT-ALLOWED").message
    shared = chart(drug0={"shared_with_other_patient": True, "dose": {"grams": 25}})
    assert "shared" in only(scrub(shared, _add_jw(10)), "DRUG-JW-NOT-ALLOWED").message
    # Near miss: a real discard from a single-dose vial.
    assert "DRUG-JW-NOT-ALLOWED" not in ids(scrub(PRIVIGEN_35_OF_40))


def test_waste_mismatch_names_the_figures():
    r = scrub(PRIVIGEN_35_OF_40, lambda c: line(c, "J1459", jw=True).update(units=12))
    f = only(r, "DRUG-WASTE-MISMATCH")
    assert "70 + 12 JW = 82" in f.message and "80 units" in f.message and f.impact_units == -2
    assert "DRUG-WASTE-MISMATCH" not in ids(scrub(PRIVIGEN_35_OF_40))


def test_route_modifier_where_the_payer_requires_it():
    enc = chart(payer={"type": "medicare", "profile": "medicare-part-b-first-coast"})
    r = scrub(enc, lambda c: line(c, "J1561").update(modifiers=["JZ"]))
    f = only(r, "DRUG-ROUTE-MODIFIER")
    assert "JA" in f.message and f.line == 1
    assert "DRUG-ROUTE-MODIFIER" not in ids(scrub(enc))
    # Near miss: plain Part B does not require JA on J1561.
    assert "DRUG-ROUTE-MODIFIER" not in ids(scrub(BASE))


def test_ndc_missing_for_a_payer_that_requires_it():
    enc = chart(payer={"type": "medicaid"}, drug0={"ndc": "13533-0805-11"})
    r = scrub(enc, lambda c: line(c, "J1561").update(ndc=None))
    f = only(r, "DRUG-NDC-MISSING")
    assert f.line == 1 and "13533-0805-11" in f.message
    assert "DRUG-NDC-MISSING" not in ids(scrub(enc))
    # Medicare does not require it.
    assert "DRUG-NDC-MISSING" not in ids(scrub(BASE))


def test_ndc_missing_on_build_when_the_chart_has_none():
    from tests.test_edits_support import build

    assert "DRUG-NDC-MISSING" in ids(build(chart(payer={"type": "medicaid"})))
    assert "DRUG-NDC-MISSING" not in ids(build(chart(payer={"type": "medicaid"}, drug0={"ndc": "13533-0805-11"})))


def test_ndc_format():
    r = scrub(BASE, lambda c: line(c, "J1561").update(ndc="1353308051"))  # 10 digits without hyphens
    assert only(r, "DRUG-NDC-FORMAT").line == 1
    for good in ("13533080511", "13533-805-11"):
        assert "DRUG-NDC-FORMAT" not in ids(scrub(BASE, lambda c, g=good: line(c, "J1561").update(ndc=g)))
