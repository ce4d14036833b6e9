"""What the writers carry and the readers read back, element by element, on charts that exercise each: five
diagnoses and four pointers (HI, SV107), a home course over two days (each line's DTP*472, the claim's date the
earliest), a fractional NDC quantity (CTP04), a Medicare Advantage hospital claim (SBR09 16), a statement span
(DTP*434 RD8, from its first date), a premedication in milligrams (ME, UCUM mg in FHIR). The golden files hold one
diagnosis, one date and whole quantities: an outside rule-break audit (docs/testing.md, sixteenth session) changed
each of these elements with no test failing."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from igclaim.inputs import parse_encounter
from igclaim.outputs import chargemaster, fhir, x12
from igclaim.readers.x12 import read_837
from tests.test_x12 import CREATED, pyx12_check

ROOT = Path(__file__).resolve().parents[1]
PARTIES = ROOT / "examples" / "parties"


@pytest.fixture(scope="module")
def charges():
    return chargemaster.load("sample")


def party(name: str, **changes):
    data = json.loads((PARTIES / f"{name}.json").read_text())
    data.update(changes)
    return parse_encounter(data)


def out_and_back(enc, charges):
    text = x12.to_837(enc, charges, envelope=x12.Envelope(created=CREATED))
    assert pyx12_check(text) == []
    [written] = list(read_837(io.StringIO(text)))
    return text, written


def test_five_diagnoses_and_four_pointers_go_out_and_come_back(charges):
    dx = ["D83.9", "D80.1", "G61.81", "J47.9", "E11.9"]
    text, written = out_and_back(party("office-gamunex-jz", diagnoses=dx), charges)
    assert "HI*ABK:D839*ABF:D801*ABF:G6181*ABF:J479*ABF:E119~" in text
    assert written.claim.diagnoses == dx
    assert {tuple(ln.diagnosis_pointers) for ln in written.claim.lines} == {(1, 2, 3, 4)}


def test_a_home_course_over_two_days_dates_each_line_and_the_claim_by_its_first(charges):
    enc = party("home-ivig-medicare", drugs=[
        {"id": "ig1", "product": "Gamunex-C", "ndc": "13533-0805-11", "route": "IV", "dose": {"grams": 60},
         "containers": [{"grams": 10, "count": 6}]}], administrations=[
        {"drug_id": "ig1", "start": "2026-03-05T10:00", "stop": "2026-03-05T14:00"},
        {"drug_id": "ig1", "start": "2026-03-06T10:00", "stop": "2026-03-06T14:00"}])
    text, written = out_and_back(enc, charges)
    dates = [(ln.code, ln.service_date) for ln in written.claim.lines]
    assert dates == [("J1561", date(2026, 3, 5)), ("Q2052", date(2026, 3, 5)), ("Q2052", date(2026, 3, 6))]
    assert written.date_of_service == date(2026, 3, 5)  # the earliest line, whatever the lines' order
    served = [item["servicedDate"] for item in json.loads(fhir.to_fhir(enc, charges, CREATED))["item"]]
    assert served == ["2026-03-05", "2026-03-05", "2026-03-06"]


def test_a_fractional_ndc_quantity_is_written_and_read_as_a_decimal(charges):
    enc = party("office-gamunex-jz", drugs=[
        {"id": "ig1", "product": "Gamunex-C", "ndc": "13533-0805-11", "route": "IV", "dose": {"grams": 12.25},
         "containers": [{"grams": 10, "count": 2}]}])
    text, written = out_and_back(enc, charges)
    assert "CTP****122.5*ML~" in text
    assert written.claim.lines[0].ndc_quantity == Decimal("122.5")


def test_a_medicare_advantage_hospital_claim_is_filed_as_hmo_medicare_risk(charges):
    """SBR09 16 (Health Maintenance Organization Medicare Risk), not MA (Medicare Part A: Original Medicare)."""
    enc = party("hospital-gamunex", payer={"type": "medicare_advantage", "name": "Aetna Medicare",
                                           "payer_id": "60054", "prior_authorization": {"number": "PA-77881"}})
    text, written = out_and_back(enc, charges)
    assert "SBR*P*18*******16~" in text
    assert written.payer.type == "medicare_advantage"


def test_a_statement_span_is_read_from_its_first_date(charges):
    text = x12.to_837(party("hospital-gamunex"), charges, envelope=x12.Envelope(created=CREATED))
    assert "DTP*434*RD8*20260302-20260302~" in text
    [written] = list(read_837(io.StringIO(text.replace("RD8*20260302-20260302", "RD8*20260302-20260303"))))
    assert written.date_of_service == date(2026, 3, 2)


def test_a_premedication_in_milligrams_is_mg_in_fhir(charges):
    enc = party("office-gamunex-jz", drugs=[
        json.loads((PARTIES / "office-gamunex-jz.json").read_text())["drugs"][0],
        {"id": "pm1", "hcpcs": "J1200", "units": 1, "ndc": "63323-0664-01", "ndc_quantity": 25, "ndc_unit": "ME",
         "route": "IV"}], administrations=[
        {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"},
        {"drug_id": "pm1", "start": "2026-03-02T08:45", "stop": "2026-03-02T08:47"}])
    with_premed = chargemaster.Chargemaster({**charges.charges, "J1200": Decimal("10.00")}, "a test chargemaster")
    claim = json.loads(fhir.to_fhir(enc, with_premed, CREATED))
    quantities = [(d["quantity"]["code"], Decimal(str(d["quantity"]["value"])))
                  for item in claim["item"] for d in item.get("detail", [])]
    assert ("mg", Decimal(25)) in quantities, quantities
