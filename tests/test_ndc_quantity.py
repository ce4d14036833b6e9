"""DRUG-NDC-QUANTITY: a written drug line's NDC quantity against the chart, for a payer that requires the NDC.

The 837P reports the NDC quantity in the package's unit of measure (CTP04/CTP05: ML, UN, GR…), not in HCPCS units;
copying the HCPCS units into it is a classic mistake, and a payer that requires the NDC (state Medicaid programs,
for the drug rebates) reads the quantity too. Compared in whole HCPCS units of the line's code (each side rounded up,
as `ndc_quantity_units` makes them), so a quantity rounded as a person writes it is no difference."""

from __future__ import annotations

import pytest

from tests.test_edits_support import chart, ids, only, scrub

NDC = "13533-0805-11"  # Gamunex-C 10 g / 100 mL (refdata/fda/products.toml)
MEDICAID = {"type": "medicaid", "name": "Medicaid", "prior_authorization": {"number": "PA1"}}


def medicaid(**changes) -> dict:
    return chart(payer=MEDICAID, drug0={"ndc": NDC, **changes.pop("drug0", {})}, **changes)


def quantity(q: str, unit: str = "ML", line: int = 0):
    return lambda c: c["lines"][line].update(ndc_quantity=q, ndc_unit=unit)


@pytest.mark.parametrize(("q", "unit"), [("300", "ML"), ("3", "UN"), ("30", "GR"), ("296", "ML")])
def test_the_charts_amount_in_any_unit_is_clean(q, unit):
    """30 g of Gamunex-C 10 %: 300 mL, 3 vials of 10 g, 30 g; 296 mL still makes 60 units (59.2, rounded up)."""
    assert "DRUG-NDC-QUANTITY" not in ids(scrub(medicaid(), quantity(q, unit)))


def test_hcpcs_units_copied_into_the_ndc_quantity():
    f = only(scrub(medicaid(), quantity("60")), "DRUG-NDC-QUANTITY")
    assert f.severity == "warning" and f.line == 1 and f.impact_units is None
    assert "stands for 12 units of J1561 (60 mL of Gamunex-C (10 %) = 6 g, at 500 mg a unit)" in f.message
    assert "the chart supports 60 units given, NDC quantity 300 ML" in f.message
    assert f.fix == "Report NDC quantity 300 ML on line 1."


def test_one_whole_unit_short_is_a_difference():
    """295 mL is 59 units (29.5 g), one short of the chart's 60."""
    f = only(scrub(medicaid(), quantity("295")), "DRUG-NDC-QUANTITY")
    assert "stands for 59 units" in f.message


def test_packages_counted_as_units():
    f = only(scrub(medicaid(), quantity("60", "UN")), "DRUG-NDC-QUANTITY")
    assert "stands for 1200 units" in f.message and "60 package(s) of 10 g" in f.message


def test_the_discarded_amount_on_its_jw_line():
    """25 g from three 10 g vials: J1561 × 50 (250 mL) and J1561 JW × 10 (50 mL)."""
    enc = medicaid(drug0={"dose": {"grams": 25}})
    assert "DRUG-NDC-QUANTITY" not in ids(scrub(enc))
    jw = scrub(enc, quantity("10", line=1))
    f = only(jw, "DRUG-NDC-QUANTITY")
    assert f.line == 2 and "stands for 2 units" in f.message
    assert "the chart supports 10 units discarded (JW), NDC quantity 50 ML" in f.message
    given = only(scrub(enc, quantity("300")), "DRUG-NDC-QUANTITY")
    assert given.line == 1 and "supports 50 units given, NDC quantity 250 ML" in given.message


def test_lines_split_by_a_person_add_up():
    def split(c, second: str):
        first = c["lines"][0]
        first.update(units=30, ndc_quantity="150")
        c["lines"].insert(1, {**first, "line": 9, "ndc_quantity": second})

    assert "DRUG-NDC-QUANTITY" not in ids(scrub(medicaid(), lambda c: split(c, "150")))
    f = only(scrub(medicaid(), lambda c: split(c, "100")), "DRUG-NDC-QUANTITY")
    assert "stands for 50 units" in f.message
    assert f.fix == "Report NDC quantities that add up to 300 ML on lines 1, 9."


def test_only_for_a_payer_that_requires_the_ndc():
    medicare = chart(drug0={"ndc": NDC})
    assert "DRUG-NDC-QUANTITY" not in ids(scrub(medicare, quantity("60")))


def test_lines_it_leaves_to_other_checks():
    """No quantity; a NOS code (its units are another code's); an NDC the chart does not give."""
    assert "DRUG-NDC-QUANTITY" not in ids(scrub(medicaid(), lambda c: c["lines"][0].pop("ndc_quantity")))
    nos = scrub(medicaid(), lambda c: c["lines"][0].update(code="J1599", ndc_quantity="60"))
    assert "DRUG-NDC-QUANTITY" not in ids(nos)
    other = scrub(medicaid(), lambda c: c["lines"][0].update(ndc="13533-0805-31", ndc_quantity="60"))
    assert "DRUG-NDC-QUANTITY" not in ids(other)
    assert "DRUG-NDC-QUANTITY" not in ids(scrub(medicaid(), quantity("0")))  # no amount to read


def test_a_chart_that_cannot_give_the_quantity_is_not_compared():
    """A powder charted without its containers: the chart's NDC quantity is unknown (DRUG-NDC-MISSING on build),
    so a written quantity has nothing to be compared with."""
    powder = chart(payer=MEDICAID, drugs=[{"id": "ig1", "product": "Gammagard S/D", "route": "IV",
                                            "dose": {"grams": 10}, "ndc": "00944-2656-03"}])
    assert "DRUG-NDC-QUANTITY" not in ids(scrub(powder, quantity("2", "UN")))


TWO_NDCS = {"containers": [{"grams": 20, "count": 1, "ndc": "13533-0805-31"},
                           {"grams": 10, "count": 1, "ndc": "13533-0805-11"}]}


@pytest.mark.parametrize("first", [
    None,  # the first NDC's line as the chart has it (200 mL)
    ("1", "UN"),  # the same amount in another unit (one 20 g vial): equal in units
    ("0", "ML"),  # a quantity that cannot be read
])
def test_each_ndcs_line_is_compared_whatever_the_first_says(first):
    """Containers of two NDCs, one line each (J1561 × 40 of 13533-0805-31, × 20 of 13533-0805-11): the second
    line's quantity is checked whatever the first line's is."""
    def change(claim: dict) -> None:
        if first:
            claim["lines"][0].update(ndc_quantity=first[0], ndc_unit=first[1])
        claim["lines"][1].update(ndc_quantity="20")

    f = only(scrub(medicaid(drug0=TWO_NDCS), change), "DRUG-NDC-QUANTITY")
    assert f.line == 2 and "of 13533-0805-11 stands for 4 units" in f.message


def test_the_whole_finding():
    f = only(scrub(medicaid(), quantity("60")), "DRUG-NDC-QUANTITY")
    assert f.message == (
        "Line 1: the NDC quantity of 13533-0805-11 stands for 12 units of J1561 (60 mL of Gamunex-C (10 %) = 6 g, at "
        "500 mg a unit); the chart supports 60 units given, NDC quantity 300 ML. Medicaid (generic state program) "
        "requires the NDC, and a payer that reads its quantity denies or holds a line whose quantity does not match.")
    assert f.causes == (("drug", "drugs[0]"),)


def test_split_lines_are_explained_each():
    def split(c):
        first = c["lines"][0]
        first.update(units=30, ndc_quantity="150")
        c["lines"].insert(1, {**first, "line": 9, "ndc_quantity": "100"})

    f = only(scrub(medicaid(), split), "DRUG-NDC-QUANTITY")
    assert ("(150 mL of Gamunex-C (10 %) = 15 g, at 500 mg a unit; 100 mL of Gamunex-C (10 %) = 10 g, at 500 mg a "
            "unit)") in f.message
