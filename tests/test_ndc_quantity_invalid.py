"""DRUG-NDC-QUANTITY-INVALID: a written drug line's NDC goes out with a quantity above zero in one of the 837's
units (loop 2410 CTP04 and CTP05-1: F2, GR, ME, ML, UN; X12 RFI 2151). A zero or negative quantity was read and
scrubbed in silence, on a chart and in an 837 alone. A quantity left out is not told (the examples' written claims
leave it to the system that sends them)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from igclaim import engine, parse_encounter
from igclaim.model import Payer
from igclaim.readers.x12 import WrittenClaim
from tests.helpers import encounter, run

MEDICARE = {"type": "medicare", "name": "Medicare Part B"}  # NDC not required (payers/medicare-part-b.toml)
COMMERCIAL = {"type": "commercial", "name": "Acme Health",  # NDC required (payers/commercial.toml)
              "prior_authorization": {"number": "PA-1", "start": "2026-01-01", "end": "2026-12-31"}}


def _chart(payer: dict) -> dict:
    return encounter(payer=payer, drugs=[{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
                                          "ndc": "70557-0103-04", "containers": [{"grams": 10, "count": 3}]}],
                     administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T12:00"}])


def _written(payer: dict, **line) -> tuple[dict, dict]:
    """The chart and its own claim (J1561 × 60, NDC quantity 300 ML) with the drug line changed."""
    chart = _chart(payer)
    claim = run(chart).claim.model_dump(mode="json")
    assert (claim["lines"][0]["code"], claim["lines"][0]["ndc_quantity"], claim["lines"][0]["ndc_unit"]) == (
        "J1561", 300, "ML")
    claim["lines"][0].update(line)
    return chart, claim


def _said(result) -> list[tuple[str, str, int | None, str]]:
    return [(f.edit, f.severity, f.line, f.message) for f in result.findings if f.edit == "DRUG-NDC-QUANTITY-INVALID"]


@pytest.mark.parametrize(("line", "message"), [
    ({"ndc_quantity": 0}, "Line 1: J1561 has an NDC quantity of 0, which bills no drug."),
    ({"ndc_quantity": -300}, "Line 1: J1561 has an NDC quantity of -300, which bills no drug."),
    ({"ndc_quantity": "-0.001"}, "Line 1: J1561 has an NDC quantity of -0.001, which bills no drug."),
    ({"ndc_unit": "MG"},
     "Line 1: J1561 has an NDC unit of measure outside the 837's list (F2, GR, ME, ML, UN)."),
])
def test_a_quantity_of_nothing_or_a_unit_outside_the_list_is_told(line, message):
    for payer in (MEDICARE, COMMERCIAL):  # whether the payer requires the NDC or not
        chart, claim = _written(payer, **line)
        assert _said(engine.scrub(parse_encounter({**chart, "claim": claim}))) == [("DRUG-NDC-QUANTITY-INVALID",
                                                                                   "error", 1, message)]


@pytest.mark.parametrize("line", [
    {}, {"ndc_quantity": "0.001"}, {"ndc_unit": "ml"}, {"ndc_unit": " UN "}, {"ndc_unit": "F2"}, {"ndc_unit": "GR"},
    {"ndc_unit": "ME"}, {"ndc": None, "ndc_quantity": None, "ndc_unit": None}, {"ndc": " ", "ndc_quantity": 0},
    {"ndc_quantity": None}, {"ndc_unit": None}, {"ndc_quantity": None, "ndc_unit": " "},
])
def test_a_quantity_above_zero_in_a_listed_unit_or_none_or_no_ndc_is_not_told(line):
    """The smallest quantity an 837 writes (a thousandth) is above zero; the unit is read in any case and spacing;
    a line without an NDC carries no quantity (DRUG-NDC-MISSING tells a payer that requires one), and a written
    claim may leave the quantity to the system that sends it (the examples' written claims do)."""
    for payer in (MEDICARE, COMMERCIAL):
        chart, claim = _written(payer, **line)
        assert _said(engine.scrub(parse_encounter({**chart, "claim": claim}))) == []


def test_the_chart_free_scrub_tells_it_too():
    """An 837 scrubbed alone (`igclaim scrub claims.837`): CTP04 of 0 on the drug line."""
    _, claim = _written(MEDICARE, ndc_quantity=0)
    wc = WrittenClaim(claim_id="C1", transaction="837P", guide="005010X222A1", position=1,
                      date_of_service=claim["lines"][0]["service_date"], setting="office",
                      payer=Payer.model_validate(MEDICARE), claim=json.loads(json.dumps(claim)),
                      total_charge=Decimal(0), line_charges=[Decimal(0)] * len(claim["lines"]))
    assert _said(engine.scrub_without_chart(wc)) == [("DRUG-NDC-QUANTITY-INVALID", "error", 1,
                                                      "Line 1: J1561 has an NDC quantity of 0, which bills no drug.")]


@pytest.mark.parametrize(("ctp04", "message"), [
    ("0", "Line 1: J1561 has an NDC quantity of 0, which bills no drug."),
    ("-300", "Line 1: J1561 has an NDC quantity of -300, which bills no drug."),
])
def test_an_837s_ctp04_of_nothing_is_told_claim_by_claim(ctp04, message, tmp_path):
    """igclaim's own 837 of a party example, its CTP04 made 0 or negative: read and scrubbed alone, the claim is told
    (before, it was read and scrubbed without a word); the quantity as written goes out (300 ML)."""
    from igclaim.outputs import chargemaster, x12
    from igclaim.readers.scrub import scrub_837
    from tests.test_x12 import CREATED
    from tests.test_x12 import encounter as party

    text = x12.to_837(party("office-gamunex-jz"), chargemaster.load("sample"), envelope=x12.Envelope(created=CREATED))
    assert text.count("CTP****300*ML~") == 1
    (tmp_path / "as-made.837").write_text(text)
    (tmp_path / "changed.837").write_text(text.replace("CTP****300*ML~", f"CTP****{ctp04}*ML~"))
    done = list(scrub_837(tmp_path / "changed.837"))
    assert [d.error for d in done] == [None]
    assert _said(done[0].result) == [("DRUG-NDC-QUANTITY-INVALID", "error", 1, message)]
    assert _said(next(iter(scrub_837(tmp_path / "as-made.837"))).result) == []


def test_every_line_is_read_whatever_comes_before_it():
    """A line without an NDC, then a good one, then the bad one: the bad one is told (the loop reads every line); a
    quantity without an NDC is not an NDC quantity (the 837 writes no LIN/CTP for it)."""
    chart, claim = _written(MEDICARE)
    drug, *admin = claim["lines"]
    bad = {**drug, "line": 9, "ndc_quantity": 0}
    bare = {**admin[0], "line": 10, "ndc": None, "ndc_quantity": 0, "ndc_unit": "ML"}
    claim["lines"] = [*admin, drug, bare, bad]
    assert _said(engine.scrub(parse_encounter({**chart, "claim": claim}))) == [
        ("DRUG-NDC-QUANTITY-INVALID", "error", 9, "Line 9: J1561 has an NDC quantity of 0, which bills no drug.")]
