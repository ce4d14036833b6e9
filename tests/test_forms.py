"""Printable forms: the text a biller reads in the PDF (extracted with pypdf) matches the coded claim:
box 21 diagnoses A-L, 24 lines with the NDC in the shaded part, 28 total, 33 billing provider; UB-04 FL4, FL42,
FL44, FL46, FL47."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from igclaim import engine
from igclaim.errors import InputError
from igclaim.outputs import chargemaster, forms
from igclaim.outputs.x12 import build_claims
from tests.test_x12 import encounter


@pytest.fixture(scope="module")
def charges():
    return chargemaster.load("sample")


def pdf_text(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def _money(v: Decimal) -> str:
    return f"{v:,.2f}"


def test_cms1500_boxes(charges):
    enc = encounter("office-bivigam-jw")
    claim = engine.build(enc).claim
    pages = pdf_text(forms.render_pdf(build_claims([enc]), "CMS-1500", charges))
    assert len(pages) == 1
    text = pages[0]
    for letter, dx in zip("ABCDEFGHIJKL", claim.diagnoses, strict=False):
        assert f"{letter}. {dx}" in text
    assert "ICD Ind. 0" in text
    for ln in claim.lines:
        if ln.ndc:
            assert forms.ndc_supplement(ln) in text
        assert f"{ln.code}  {' '.join(ln.modifiers)}".strip() in text
        assert _money(charges.unit_charge(ln.code) * ln.units) in text
    assert "N469800650301 ML270" in text and "N469800650301 ML30" in text  # given and discarded mL
    total = sum(charges.unit_charge(ln.code) * ln.units for ln in claim.lines)
    assert _money(total) in text
    assert "VALLEY INFUSION CLINIC" in text and "a. NPI 1234567893" in text
    assert "ROE, MARCUS" in text and "9XK7AB3CD21" in text and "CLM-2026-0002" in text
    assert "[X] MEDICARE" in text


def test_cms1500_without_charges_leaves_them_blank():
    enc = encounter("office-gamunex-jz")
    text = pdf_text(forms.render_pdf(build_claims([enc]), "CMS-1500", None))[0]
    assert "J1561  JZ" in text and "6,000.00" not in text


def test_more_than_six_lines_continue(charges):
    enc = encounter("office-gamunex-jz")
    claims = build_claims([enc])
    claim = claims[0].result.claim
    base = claim.lines[0]
    claim.lines = [base.model_copy(update={"line": i + 1}) for i in range(7)]
    pages = pdf_text(forms.render_pdf(claims, "CMS-1500", charges))
    assert len(pages) == 2
    assert "CONTINUED" in pages[0] and "PAGE 2 OF 2" in pages[1]


def test_ub04_fields(charges):
    enc = encounter("hospital-gamunex")
    claim = engine.build(enc).claim
    text = pdf_text(forms.render_pdf(build_claims([enc]), "UB-04", charges))[0]
    assert "FL4 TYPE OF BILL" in text and claim.type_of_bill in text
    for ln in claim.lines:
        assert ln.revenue_code in text
        assert f"{ln.code} {' '.join(ln.modifiers)}".strip() in text
        assert _money(charges.unit_charge(ln.code) * ln.units) in text
    assert "N413533080531 ML400" in text
    assert "D83.9" in text and "A. D69.3" in text
    assert "1245319599" in text  # FL76 attending NPI


def test_wrong_form_is_an_error(charges):
    with pytest.raises(InputError) as exc:
        forms.render_pdf(build_claims([encounter("hospital-gamunex")]), "CMS-1500", charges)
    assert exc.value.path == "setting" and "ub04" in exc.value.message


def test_cms1500_box_17_ordering_provider(charges):
    enc = encounter("home-ivig-medicare")
    text = pdf_text(forms.render_pdf(build_claims([enc]), "CMS-1500", charges))[0]
    assert "DK OKAFOR, ADA" in text and "1987654328" in text
