"""Rule tests written against the survivors of `make mutate` over `src/igclaim/edits/drug.py` whole (docs/testing.md,
eleventh session): each pins a behaviour of the drug-line checks that a surviving mutant changed without any test
noticing.

The facts: a HCPCS unit is the code's own unit dose (J1561, Gamunex-C/Gammaked, 500 mg; J1555, Cuvitru, 100 mg;
CMS HCPCS file), so units written under another immune globulin code stand for that code's dose; the discarded amount
goes on its own JW line and nothing discarded is JZ (CMS JW/JZ policy); Gamunex-C and Gammaked share J1561, so a
claim for both has J1561 lines of two drugs. Prices: CMS ASP payment limits 2026Q1, bundled
(src/igclaim/refdata/cms/snapshot/asp-pricing-2026q1.csv): J1555 17.262."""

from __future__ import annotations

from decimal import Decimal

from tests.test_edits_support import build, chart, line, scrub
from tests.test_wrong_code_money import CUVITRU


def found(result, edit: str) -> list[tuple]:
    return [(f.line, f.impact_units, f.message, f.fix) for f in result.findings if f.edit == edit]


# --- units written under two codes (`in_own_units`, `_counted_text`) -------------------------------------------------

def test_units_of_two_codes_are_each_counted_in_the_products_units_and_named():
    """Cuvitru 10 g = J1555 × 100. Written J1555 × 50 and two lines of J1561 × 6 (500 mg a unit: 30 units of J1555
    each): 110 units of J1555, 10 over. The message names each line's code, the other code's unit dose, and the sum in
    the product's units; the money is J1555's."""
    def mixed(c: dict) -> None:
        given = line(c, "J1555")
        given["units"] = 50
        for number in (7, 8):
            c["lines"].append({"line": number, "code": "J1561", "units": 6, "modifiers": given["modifiers"],
                               "diagnosis_pointers": [1]})
    r = scrub(CUVITRU, mixed)
    assert found(r, "DRUG-UNITS") == [(1, -10, "Line 1: billed 62 (50 units of J1555 + 6 units of J1561 (500 mg a "
                                       "unit) + 6 units of J1561 (500 mg a unit) = 110 units of J1555), documented "
                                       "10 g of J1555 = 100 units.", "Bill J1555 × 100.")]
    assert [f.impact_usd for f in r.findings if f.edit == "DRUG-UNITS"] == [Decimal("-172.62")]  # -10 × 17.262


def test_volume_billed_under_another_code_says_what_those_units_stand_for():
    """Cuvitru 50 mL of 20 % = 10 g = J1555 × 100, billed J1561 × 50 (the mL, under Gamunex-C's code): 50 units of
    J1561 are 250 units of J1555, 150 over, and the message says so before the dose."""
    enc = chart(drugs=[{"id": "ig1", "product": "Cuvitru", "route": "SC", "dose": {"ml": 50},
                        "containers": [{"grams": 2, "count": 5}]}], administrations=CUVITRU["administrations"])
    r = scrub(enc, lambda c: line(c, "J1555").update(code="J1561", units=50))
    assert found(r, "DRUG-UNITS-ML") == [(1, -150, "Line 1: billed 50 units = the volume (50 mL); 50 units of J1561 "
                                          "(500 mg a unit) = 250 units of J1555; 50 mL of 20 % = 10 g of J1555 (100 mg "
                                          "a unit) = 100 units.",
                                          "Bill J1555 × 100 (grams ÷ the code's unit dose, not mL or g).")]


# --- two drugs of one code (`_share`) --------------------------------------------------------------------------------

# Gamunex-C 10 g from a 10 g vial (J1561 × 20, JZ) and Gammaked 10 g from a 20 g vial (J1561 × 20 and J1561-JW × 20):
# every J1561 line has 20 units, so only the JW modifier tells a given line from a discarded one.
TWO_J1561 = chart(
    drugs=[{"id": "a", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 10},
            "containers": [{"grams": 10, "count": 1}]},
           {"id": "b", "product": "Gammaked", "route": "IV", "dose": {"grams": 10},
            "containers": [{"grams": 20, "count": 1}]}],
    administrations=[{"drug_id": "a", "start": "2026-03-02T09:00", "stop": "2026-03-02T11:00"},
                     {"drug_id": "b", "start": "2026-03-02T11:00", "stop": "2026-03-02T13:00"}])


def test_lines_of_one_code_go_to_the_drug_whose_given_or_discarded_line_they_match():
    assert [(ln.code, ln.modifiers, ln.units) for ln in build(TWO_J1561).claim.lines if ln.code == "J1561"] == [
        ("J1561", ["JZ"], 20), ("J1561", [], 20), ("J1561", ["JW"], 20)]
    r = scrub(TWO_J1561)  # the claim as built: each line is its drug's
    assert not [f for f in r.findings if f.edit.startswith("DRUG-") and f.severity == "error"]


def test_a_line_left_over_goes_to_the_first_drug_of_the_code():
    """A third given J1561 × 20, both drugs already having their given line: the first drug of the chart's (Gamunex-C,
    line 1) is billed 40 for its 20."""
    def twice(c: dict) -> None:
        c["lines"].append({"line": 9, "code": "J1561", "units": 20, "modifiers": [], "diagnosis_pointers": [1]})
    assert found(scrub(TWO_J1561, twice), "DRUG-UNITS") == [
        (1, -20, "Line 1: billed 40, documented 10 g of J1561 = 20 units.", "Bill J1561 × 20.")]
