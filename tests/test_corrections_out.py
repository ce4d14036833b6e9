"""A corrected claim (7 replaces, 8 voids the payer's claim) says so in every output, not only in the 837: the
UB-04 printed FL4 0131 and no FL64, the CMS-1500 left box 22 blank, and the FHIR Claim carried 0131 and no
`related` claim, so a replacement filed from them looked like a duplicate of the original. And a chart's type of
bill 0137 or 0138 without a correction went out as CLM05-3 7/8 with no REF*F8, which the 837I guide requires with
them (pyx12 does not check it)."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.claim import Claim

from igclaim.errors import InputError
from igclaim.outputs import chargemaster, fhir, forms, x12
from igclaim.outputs.x12 import build_claims
from tests.test_forms import pdf_text
from tests.test_x12 import encounter

FIX = {"frequency": "7", "original_claim_id": "PAYER-ICN-555"}


@pytest.fixture(scope="module")
def charges():
    return chargemaster.load("sample")


@pytest.mark.parametrize("frequency", ["7", "8"])
def test_the_ub04_prints_the_frequency_and_the_claim_it_corrects(charges, frequency):
    enc = encounter("hospital-gamunex", correction={**FIX, "frequency": frequency})
    (text,) = pdf_text(forms.render_pdf(build_claims([enc]), "UB-04", charges))
    assert f"013{frequency}" in text.split("FL4 TYPE OF BILL")[1][:20]
    assert "PAYER-ICN-555" in text.split("FL64 DOCUMENT CONTROL NUMBER")[1][:40]
    (original,) = pdf_text(forms.render_pdf(build_claims([encounter("hospital-gamunex")]), "UB-04", charges))
    assert "0131" in original.split("FL4 TYPE OF BILL")[1][:20] and "PAYER-ICN-555" not in original


def test_the_cms1500_prints_box_22(charges):
    enc = encounter("office-bivigam-jw", correction=FIX)
    (text,) = pdf_text(forms.render_pdf(build_claims([enc]), "CMS-1500", charges))
    assert "7   PAYER-ICN-555" in text
    (original,) = pdf_text(forms.render_pdf(build_claims([encounter("office-bivigam-jw")]), "CMS-1500", charges))
    assert "PAYER-ICN-555" not in original


@pytest.mark.parametrize(("name", "tob"), [("hospital-gamunex", "0137"), ("office-bivigam-jw", None)])
def test_the_fhir_claim_names_the_claim_it_corrects(charges, name, tob):
    out = json.loads(fhir.to_fhir(encounter(name, correction=FIX), charges))
    Claim.model_validate(out)
    assert out["related"] == [{"relationship": {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship", "code": "prior"}]},
        "reference": {"value": "PAYER-ICN-555"}}]
    if tob:
        assert out["supportingInfo"][0]["code"]["coding"][0]["code"] == tob
    assert "related" not in json.loads(fhir.to_fhir(encounter(name), charges))


@pytest.mark.parametrize("tob", ["0137", "0138", "137"])
def test_a_type_of_bill_of_a_correction_without_one_is_refused_by_every_output(charges, tob):
    enc = encounter("hospital-gamunex", type_of_bill=tob)
    said = (f"type_of_bill: type of bill {tob} ends in {tob[-1]} (a {'replacement' if tob[-1] == '7' else 'void'}), "
            "which needs the payer's number of the claim it corrects: give `correction` (frequency and "
            f"original_claim_id, sent in REF*F8), or bill {tob[:-1]}1 for an original claim")
    for export in (lambda: x12.to_837(enc, charges), lambda: fhir.to_fhir(enc, charges),
                   lambda: forms.render_pdf(build_claims([enc]), "UB-04", charges)):
        with pytest.raises(InputError) as exc:
            export()
        assert said in (exc.value.lines() if hasattr(exc.value, "lines") else [str(exc.value)])


def test_a_correction_sets_the_frequency_whatever_the_charts_type_of_bill(charges):
    """The chart's 0137 with a correction of 8 (void): the correction decides, in the 837I and the FHIR Claim."""
    enc = encounter("hospital-gamunex", type_of_bill="0137", correction={**FIX, "frequency": "8"})
    text = x12.to_837(enc, charges)
    assert "*13:A:8*" in text and "REF*F8*PAYER-ICN-555~" in text
    out = json.loads(fhir.to_fhir(enc, charges))
    assert out["supportingInfo"][0]["code"]["coding"][0]["code"] == "0138"
