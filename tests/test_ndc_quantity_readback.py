"""A drug line's NDC quantity read back as HCPCS units (an 837 scrubbed alone, `ndc_quantity_units`) makes the
units billed, and the quantities never exceed what the opened containers hold.

Facts: the CMS NDC-HCPCS crosswalk (January 2026) bills Cutaquig's 6 mL vial (00069-1061-02) as 10 units and its
12 mL vial (00069-1476-02) as 20 units of J1551 (100 mg), although the label says 0.99 g and 1.98 g; Octapharma's
own NDCs of those sizes (68982-0810-01, -03) bill alike (reference.md, "billing units per package come from the
crosswalk"). Before, a 1 g dose from one 6 mL vial was written as 6.061 mL, more than the vial holds, and igclaim's
own 837 scrubbed alone read it as 11 units."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from igclaim import engine, parse_encounter
from igclaim.model import Payer
from igclaim.readers.x12 import WrittenClaim
from igclaim.refdata.resolver import reference
from tests.helpers import encounter, run

COMMERCIAL = {"type": "commercial", "name": "Acme Health",
              "prior_authorization": {"number": "PA-1", "start": "2026-01-01", "end": "2026-12-31"}}


def _cutaquig(dose: dict, containers: list[dict], ndc: str | None = "68982-0810-01", payer: dict | None = None):
    d = {"id": "ig1", "product": "Cutaquig", "route": "SC", "dose": dose, "containers": containers}
    if ndc:
        d["ndc"] = ndc
    if not containers:
        del d["containers"]
    return encounter(drugs=[d], payer=payer or {"type": "medicare", "name": "Medicare Part B"},
                     administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"}])


def _drug_lines(result):
    return [(ln.code, tuple(ln.modifiers), ln.units, ln.ndc, ln.ndc_quantity) for ln in result.claim.lines
            if ln.code.startswith("J")]


def _alone(result, payer: dict):
    """The built claim as an 837 would carry it, scrubbed without its chart."""
    claim = result.claim
    wc = WrittenClaim(claim_id="C1", transaction="837P", guide="005010X222A1", position=1,
                      date_of_service=claim.lines[0].service_date, setting="office",
                      payer=Payer.model_validate(payer), claim=claim, total_charge=Decimal(0),
                      line_charges=[Decimal(0)] * len(claim.lines))
    return engine.scrub_without_chart(wc)


@pytest.mark.parametrize(("dose", "containers", "ndc", "lines"), [
    # the defect: 1 g from the 6 mL vial was 6.061 mL
    ({"grams": 1}, [{"ml": 6}], "68982-0810-01", [("J1551", ("JZ",), 10, "68982081001", Decimal(6))]),
    ({"grams": 1}, [], "68982-0810-01", [("J1551", ("JZ",), 10, "68982081001", Decimal(6))]),
    ({"grams": 2}, [{"ml": 6, "count": 2}], "68982-0810-01", [("J1551", ("JZ",), 20, "68982081001", Decimal(12))]),
    ({"grams": "1.5"}, [{"ndc": "68982-0810-03"}], "68982-0810-03",
     [("J1551", (), 15, "68982081003", Decimal(9)), ("J1551", ("JW",), 5, "68982081003", Decimal(3))]),
    # a dose charted in mL is written as charted
    ({"ml": 9}, [{"ml": 12}], "68982-0810-03",
     [("J1551", (), 15, "68982081003", Decimal(9)), ("J1551", ("JW",), 5, "68982081003", Decimal(3))]),
    # a package the crosswalk does not list (10 mL, 1.65 g): the label's mL
    ({"grams": "1.5"}, [{"ndc": "68982-0810-02"}], "68982-0810-02",
     [("J1551", (), 15, "68982081002", Decimal("9.091")), ("J1551", ("JW",), 1, "68982081002", Decimal("0.606"))]),
])
def test_cutaquig_ndc_quantity_is_the_ml_the_crosswalk_bills(dose, containers, ndc, lines):
    assert _drug_lines(run(_cutaquig(dose, containers, ndc))) == lines


def test_one_line_per_ndc_each_in_its_own_vials_ml():
    """A payer that wants one line per NDC: 1.5 g from a 6 mL vial of each labeler, 10 units from the first, 5
    given and 5 discarded from the second, 3 mL each (before: 3.091 and 3.03 mL, 6.121 mL from a 6 mL vial)."""
    enc = _cutaquig({"grams": "1.5"}, [{"ndc": "68982-0810-01"}, {"ndc": "00069-1061-02"}], payer=COMMERCIAL)
    assert _drug_lines(run(enc)) == [("J1551", (), 10, "68982081001", Decimal(6)),
                                     ("J1551", (), 5, "00069106102", Decimal(3)),
                                     ("J1551", ("JW",), 5, "00069106102", Decimal(3))]


UNKNOWN_NDC = "12345-6789-01"  # a well-formed NDC that neither the catalog nor the CMS crosswalk lists


def test_an_unknown_ndc_without_containers_is_measured_in_the_dose_as_labeled():
    """Nothing to measure the billed grams in (no package, no container): the label's mL, 30 g of a 10 % product
    is 300 mL, and DRUG-CONTAINERS-MISSING says the waste could not be checked."""
    enc = encounter(drugs=[{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
                            "ndc": UNKNOWN_NDC}],
                    administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T12:00"}])
    result = run(enc)
    assert _drug_lines(result) == [("J1561", ("JZ",), 60, "12345678901", Decimal(300))]
    assert [f.edit for f in result.findings] == ["DRUG-CONTAINERS-MISSING"]


@pytest.mark.parametrize("containers", [
    [{"ml": 6}, {"ndc": "68982-0810-02"}], [{"ndc": "68982-0810-02"}, {"ml": 6}],
    [{"ml": 6}, {"ml": 10, "ndc": "12345-6789-02"}], [{"ml": 10, "ndc": "12345-6789-02"}, {"ml": 6}],
])
def test_an_unknown_ndc_is_measured_in_the_blend_of_the_containers_opened(containers):
    """A line whose NDC no package knows is measured in every container opened, whatever their order and NDCs: the
    6 mL vial (0.99 g, billed 10 units) and the 10 mL one (1.65 g, 16.5 units) hold 2.64 g billed as 2.65, so 2.5 g
    given is 15.094 mL (not 15.152 as the 10 mL vial alone, nor 15 as the 6 mL one), 1 unit discarded 0.604 mL.
    The containers here carry two NDCs, so they are two groups to blend (one NDC would be one group)."""
    assert _drug_lines(run(_cutaquig({"grams": "2.5"}, containers, UNKNOWN_NDC))) == [
        ("J1551", (), 25, "12345678901", Decimal("15.094")), ("J1551", ("JW",), 1, "12345678901", Decimal("0.604"))]


def _written(code: str, units: int, ndc: str, quantity: str, unit: str = "ML"):
    enc = _cutaquig({"grams": 1}, [{"ml": 6}])
    r = run(enc)
    line = r.claim.lines[0].model_copy(update={"code": code, "units": units, "ndc": ndc,
                                               "ndc_quantity": Decimal(quantity), "ndc_unit": unit})
    return r.model_copy(update={"claim": r.claim.model_copy(update={"lines": [line]})})


def _units_said(r) -> list[str]:
    return [f.message for f in r.findings if f.edit == "DRUG-UNITS"]


@pytest.mark.parametrize(("quantity", "units", "told"), [
    ("9.091", 15, False),  # 1.5 g = 9.0909 mL, written to the thousandth: 15 units
    ("9.0914", 15, False),  # less half a thousandth: 9.0909, still 1.5 g
    ("9.0915", 15, True),  # 9.0910 mL: more than 1.5 g, 16 units
    ("9.0915", 16, False),
])
def test_a_quantity_rounded_to_the_thousandth_reads_as_the_least_it_stands_for(quantity, units, told):
    """The 10 mL vial (no crosswalk row): mL × 16.5 % ÷ 100 mg, less half a thousandth of a mL."""
    r = _alone(_written("J1551", units, "68982081002", quantity), {"type": "medicare", "name": "Medicare"})
    assert bool(_units_said(r)) is told


@pytest.mark.parametrize("ndc", ["68982081001", "00069106102"])
def test_octapharmas_own_ndc_reads_through_the_crosswalk_as_pfizers(ndc):
    """6.06 mL of the 6 mL vial is 10.1 crosswalk units: 11 (the label's 16.5 % would say 0.9999 g, 10)."""
    payer = {"type": "medicare", "name": "Medicare"}
    assert _units_said(_alone(_written("J1551", 11, ndc, "6.06"), payer)) == []
    (said,) = _units_said(_alone(_written("J1551", 10, ndc, "6.06"), payer))
    assert "says 11 units" in said and "× 10 billing units (CMS NDC-HCPCS crosswalk)" in said


@pytest.mark.parametrize(("quantity", "units", "told"), [
    ("9.0005", 15, False),  # the 12 mL vial at the crosswalk's 20 units: 9 mL is 15 units
    ("9.0006", 15, True),  # 9.0001 mL at least: 15.0002 units, 16
])
def test_the_crosswalks_reading_takes_the_thousandths_rounding_too(quantity, units, told):
    r = _alone(_written("J1551", units, "00069147602", quantity), {"type": "medicare", "name": "Medicare"})
    assert bool(_units_said(r)) is told


@pytest.mark.parametrize(("quantity", "unit", "units", "told"), [
    ("1.5005", "GR", 15, False),  # grams to the thousandth: 1.5 g at least
    ("1.5006", "GR", 15, True),
    ("1500.0005", "ME", 15, False),  # milligrams alike
    ("1500.0006", "ME", 15, True),
    ("0.0005", "ML", 1, False),  # no more than half a thousandth: read as written, 1 unit (not 0)
])
def test_grams_and_milligrams_take_the_thousandths_rounding_and_a_tiny_quantity_is_read_as_written(
        quantity, unit, units, told):
    r = _alone(_written("J1551", units, "68982081002", quantity, unit), {"type": "medicare", "name": "Medicare"})
    assert bool(_units_said(r)) is told


def test_one_line_for_several_packages_is_measured_in_its_own_ndc():
    """Medicare (one line): 6.01 g from a 10 mL vial (the drug's NDC; 16.5 units as labeled) and five 6 mL vials
    (the crosswalk's 10 units each, 0.99 g labeled): 61 units in 36.424 mL, the 10 mL vial's own mL for 6.01 g, which
    reads back as 61 units (the containers' blend, 0.9925 g labeled a billed gram, would write 36.15 mL: 60 units)."""
    enc = _cutaquig({"grams": "6.01"}, [{"ndc": "68982-0810-02"}, {"ndc": "68982-0810-01", "count": 5}],
                    ndc="68982-0810-02")
    r = run(enc)
    assert _drug_lines(r)[0] == ("J1551", (), 61, "68982081002", Decimal("36.424"))
    assert _units_said(_alone(r, {"type": "medicare", "name": "Medicare Part B"})) == []


def _liquid_products():
    out = []
    for p in reference().products:
        packages = [k for k in p.packages if k.ndc]
        if p.form == "liquid" and p.concentration_percent and p.codes and packages:
            out.append((p.name, p.routes[0], tuple(packages)))
    return out


LIQUIDS = _liquid_products()
# Cutaquig's 10 mL vial: 1.65 g labeled, 16.5 units of J1551, and the crosswalk lists no NDC of its size
FRACTIONAL = {"68982081002"}


@st.composite
def visits(draw):
    name, route, packages = draw(st.sampled_from(LIQUIDS))
    chosen = draw(st.lists(st.sampled_from(packages), min_size=1, max_size=2, unique_by=lambda k: k.ndc))
    containers = [{"ndc": k.ndc, "count": draw(st.integers(1, 3))} for k in chosen]
    held = sum(k.grams * c["count"] for k, c in zip(chosen, containers, strict=True))
    hundredths = draw(st.integers(10, int(held * 100)))
    payer = draw(st.sampled_from([{"type": "medicare", "name": "Medicare Part B"}, COMMERCIAL]))
    # one line per NDC with a package of whole and half units: the known gap below
    assume(not (payer is COMMERCIAL and len(chosen) > 1 and any(k.ndc in FRACTIONAL for k in chosen)))
    ml = sum(k.ml * c["count"] for k, c in zip(chosen, containers, strict=True))
    enc = encounter(payer=payer, drugs=[{"id": "ig1", "product": name, "route": route, "ndc": chosen[0].ndc,
                                         "dose": {"grams": str(Decimal(hundredths) / 100)},
                                         "containers": containers}],
                    administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T12:00"}])
    # one line for containers of several NDCs (a payer that does not want one line per NDC) carries the drug's NDC
    # and is measured in it, whatever the others hold: the opened mL bound it only when its NDC is all there was
    return enc, payer, ml if len(chosen) == 1 or payer is COMMERCIAL else None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(visits())
def test_igclaims_own_drug_lines_read_back_as_their_units(visit):
    """Every bundled liquid product with NDCs, one or two package sizes, a dose to the hundredth of a gram: the
    built claim scrubbed alone says nothing of its units, and its NDC quantities stay within the opened mL (where
    each line's NDC is that of its containers)."""
    enc, payer, ml = visit
    r = engine.build(parse_encounter(enc))
    drug_lines = [ln for ln in r.claim.lines if ln.code.startswith("J") and ln.ndc_quantity is not None]
    assert drug_lines
    if ml is not None:
        assert sum(ln.ndc_quantity for ln in drug_lines) <= ml + Decimal("0.0005") * len(drug_lines)
    assert _units_said(_alone(r, payer)) == []


@pytest.mark.xfail(strict=True, reason="known gap: one line per NDC after a package of 16.5 units")
def test_one_line_per_ndc_after_a_package_of_half_units():
    """Known gap: 1.96 g from a 10 mL vial (16.5 units) then a 6 mL vial, one line per NDC: the first line bills 17
    units for its 16.5 (the units are shared out cumulatively, so the lines add up to the 20 the dose makes), the
    second 3 units for 1.86 mL, which the crosswalk reads as 3.1 units, 4 (a warning on igclaim's own 837)."""
    enc = _cutaquig({"grams": "1.96"}, [{"ndc": "68982-0810-02"}, {"ndc": "68982-0810-01"}], payer=COMMERCIAL)
    r = run(enc)
    assert [u for _, _, u, _, _ in _drug_lines(r)] == [17, 3, 6]
    assert _units_said(_alone(r, COMMERCIAL)) == []
