"""The money at stake when the written line bills another immune globulin code than the product's: units and
dollars are the product's own code's (the units the chart supports), priced at its payment limit, and the written
units are first counted as the dose they stand for. Prices: CMS ASP payment limits, 2026Q1, bundled in
src/igclaim/refdata/cms/snapshot/asp-pricing-2026q1.csv: J1555 (Cuvitru, 100 mg) 17.262, J1559 (Hizentra, 100 mg)
14.543, J1561 (Gamunex-C, 500 mg) 49.076, J1459 (Privigen, 500 mg) 50.281."""

from __future__ import annotations

from decimal import Decimal

from tests.test_edits_support import BASE, chart, ids, line, only, scrub

# Cuvitru 10 g: J1555 × 100 (100 mg a unit).
CUVITRU = chart(drugs=[{"id": "ig1", "product": "Cuvitru", "route": "SC", "dose": {"grams": 10},
                        "containers": [{"grams": 2, "count": 5}]}],
                administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:40"}])


def recode(old: str, code: str, units: int):
    return lambda c: line(c, old).update(code=code, units=units)


def on_line_1(r):
    return sorted(f.edit for f in r.findings if f.line == 1)


def test_the_right_dose_under_a_larger_unit_code_is_a_code_mistake_with_the_right_line():
    # The audit's case: 10 g of Cuvitru billed J1561 × 20 (20 × 500 mg = 10 g). The dose is right; only the code
    # is wrong, and with it the units: the fix names J1555 × 100. Before: a DRUG-UNITS error beside it with
    # 100 - 20 = 80 "units" priced at J1561 (80 × 49.076 = $3,926.08), money no fix of the claim moves.
    r = scrub(CUVITRU, recode("J1555", "J1561", 20))
    assert on_line_1(r) == ["DRUG-CODE-MISMATCH"]
    f = only(r, "DRUG-CODE-MISMATCH")
    assert f.fix == "Bill J1555 instead of J1561, in J1555's units (100 mg a unit; J1561 is 500 mg): J1555 × 100."
    assert f.impact_units is None and f.impact_usd is None  # a code mistake carries no units, as for same-size codes


def test_a_larger_unit_code_short_of_the_dose_is_priced_in_the_products_units():
    # J1561 × 16 = 8 g = 80 units of J1555; 10 g = 100 units: 20 units of J1555 unbilled, at J1555's limit.
    r = scrub(CUVITRU, recode("J1555", "J1561", 16))
    f = only(r, "DRUG-UNITS")
    assert "billed 16 units of J1561 (500 mg a unit = 80 units of J1555), documented 10 g of J1555 = 100 units" \
        in f.message
    assert f.fix == "Bill J1555 × 100."
    assert f.impact_units == 20  # 100 - 16 × 500 / 100
    assert f.impact_usd == Decimal("345.24")  # 20 × 17.262 (J1555); before: 84 × 49.076 (J1561) = 4122.38
    assert only(r, "DRUG-CODE-MISMATCH").impact_usd is None  # counted once


def test_a_larger_unit_code_over_the_dose_is_negative():
    # J1561 × 24 = 12 g = 120 units of J1555 for 100: 20 units billed that the chart does not support.
    r = scrub(CUVITRU, recode("J1555", "J1561", 24))
    f = only(r, "DRUG-UNITS")
    assert f.impact_units == -20  # before: +76 (100 - 24), the wrong sign
    assert f.impact_usd == Decimal("-345.24")  # -20 × 17.262 (J1555)


def test_a_smaller_unit_code_is_counted_in_the_products_larger_units():
    # Gamunex-C 30 g = J1561 × 60 (500 mg). J1559 (100 mg) × 250 = 25 g = 50 units of J1561: 10 unbilled.
    r = scrub(BASE, recode("J1561", "J1559", 250))
    f = only(r, "DRUG-UNITS")
    assert "billed 250 units of J1559 (100 mg a unit = 50 units of J1561)" in f.message
    assert f.impact_units == 10  # before: 60 - 250 = -190
    assert f.impact_usd == Decimal("490.76")  # 10 × 49.076 (J1561); before: -190 × 14.543 (J1559) = -2763.17
    # A dose that is not a whole unit of J1561 is rounded up as a documented dose is: 25.3 g = 50.6 → 51 units.
    f = only(scrub(BASE, recode("J1561", "J1559", 253)), "DRUG-UNITS")
    assert f.impact_units == 9 and f.impact_usd == Decimal("441.68")  # 9 × 49.076


def test_the_right_dose_under_a_smaller_unit_code_is_a_code_mistake_with_the_right_line():
    r = scrub(BASE, recode("J1561", "J1559", 300))  # 300 × 100 mg = 30 g
    assert on_line_1(r) == ["DRUG-CODE-MISMATCH"]  # before: DRUG-UNITS -240 × 14.543 beside it
    assert only(r, "DRUG-CODE-MISMATCH").fix == ("Bill J1561 instead of J1559, in J1561's units (500 mg a unit; "
                                                 "J1559 is 100 mg): J1561 × 60.")


def test_same_unit_size_code_is_unchanged():
    # Privigen's J1459 and Gamunex-C's J1561 are both 500 mg: J1459 × 60 for 30 g of Gamunex-C is the code only.
    r = scrub(BASE, recode("J1561", "J1459", 60))
    assert on_line_1(r) == ["DRUG-CODE-MISMATCH"]
    f = only(r, "DRUG-CODE-MISMATCH")
    assert f.fix == "Bill J1561 instead of J1459." and f.impact_units is None and f.impact_usd is None


def test_same_unit_size_code_short_of_the_dose_is_priced_at_the_products_code():
    r = scrub(BASE, recode("J1561", "J1459", 50))
    f = only(r, "DRUG-UNITS")
    assert "billed 50 units of J1459, documented 30 g of J1561 = 60 units" in f.message  # no conversion to name
    assert f.impact_units == 10
    assert f.impact_usd == Decimal("490.76")  # 10 × 49.076 (J1561, the units' code); before: 10 × 50.281 (J1459)


def test_jw_lines_under_another_code_are_counted_in_the_products_units():
    # Cuvitru 9 g from 5 × 2 g: J1555 × 90 and J1555-JW × 10. Written J1561 × 18 (9 g) and J1561-JW × 2 (1 g):
    # both doses right, so only the code: before, DRUG-UNITS (18 vs 90) and DRUG-WASTE-MISMATCH (2 vs 10) too.
    enc = chart(drugs=[{"id": "ig1", "product": "Cuvitru", "route": "SC", "dose": {"grams": 9},
                        "containers": [{"grams": 2, "count": 5}]}],
                administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:40"}])

    def written(c):
        for ln in c["lines"]:
            if ln["code"] == "J1555":
                ln.update(code="J1561", units=2 if "JW" in ln["modifiers"] else 18)
    r = scrub(enc, written)
    assert "DRUG-UNITS" not in ids(r) and "DRUG-WASTE-MISMATCH" not in ids(r)
    assert only(r, "DRUG-CODE-MISMATCH").fix.endswith("J1555 × 90, J1555-JW × 10.")
    # one JW unit of J1561 (500 mg = 5 of J1555) for a 10-unit discard: 5 units of J1555 short, not 9

    def short_jw(c):
        written(c)
        for ln in c["lines"]:
            if "JW" in ln["modifiers"]:
                ln["units"] = 1
    f = only(scrub(enc, short_jw), "DRUG-WASTE-MISMATCH")
    assert f.impact_units == 5
    assert f.impact_usd == Decimal("86.31")  # 5 × 17.262 (J1555, the units' code); not at J1561, the line's


def test_a_missing_jw_line_is_priced_at_the_products_code():
    # Privigen 35 g from a 40 g container, billed J1561 × 70 with no JW line: 10 units of J1459 discarded.
    enc = chart(drugs=[{"id": "ig1", "product": "Privigen", "route": "IV", "dose": {"grams": 35},
                        "containers": [{"grams": 40, "count": 1}]}])

    def written(c):
        c["lines"] = [ln for ln in c["lines"] if not (ln["code"] == "J1459" and "JW" in ln["modifiers"])]
        line(c, "J1459").update(code="J1561")
    f = only(scrub(enc, written), "DRUG-JW-MISSING")
    assert f.impact_units == 10
    assert f.impact_usd == Decimal("502.81")  # 10 × 50.281 (J1459); before: 10 × 49.076 (J1561) = 490.76


# --- a not otherwise specified code for a product with its own code: the line is denied ------------------------
# CGS Part B, "Billing Not Otherwise Classified (NOC) HCPCS Code" (2025-03-18): Medicare denies services reported
# with NOC codes when a valid code is available. The units the NOS line stands for are at stake, priced at the
# product's own code.

def test_a_nos_line_is_denied_and_priced_at_the_products_code():
    f = only(scrub(BASE, recode("J1561", "J1599", 60)), "DRUG-NOS-CODE")  # Gamunex-C 30 g = J1561 × 60
    assert (f.line, f.impact_units, f.impact_usd) == (1, -60, Decimal("-2944.56"))  # 60 × 49.076


def test_only_the_nos_lines_are_at_stake():
    wasted = chart(drugs=[{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 28},
                           "containers": [{"grams": 10, "count": 3}]}])

    def nos_given_line(c: dict) -> None:
        line(c, "J1561").update(code="J1599")

    f = only(scrub(wasted, nos_given_line), "DRUG-NOS-CODE")
    assert (f.line, f.impact_units) == (1, -56)  # the JW line (J1561 × 4) stays payable

    def nos_both_lines(c: dict) -> None:
        for ln in c["lines"]:
            if ln["code"] == "J1561":
                ln["code"] = "J1599"

    f = only(scrub(wasted, nos_both_lines), "DRUG-NOS-CODE")
    assert (f.line, f.impact_units) == (1, -60)  # named on its first line


def test_a_nos_line_of_another_unit_dose_is_counted_in_the_products_units():
    # Cuvitru 10 g (J1555, 100 mg a unit) billed J1599 × 20 (500 mg a unit): 100 units of J1555 at stake.
    f = only(scrub(CUVITRU, recode("J1555", "J1599", 20)), "DRUG-NOS-CODE")
    assert (f.impact_units, f.impact_usd) == (-100, Decimal("-1726.20"))  # 100 × 17.262
