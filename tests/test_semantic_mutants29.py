"""Tests written against the hand-made semantic mutants of the twenty-ninth outside audit that the fast rule
selection left alive: each pins the official fact the mutant broke."""

from __future__ import annotations

from igclaim.outputs import chargemaster, x12
from tests.test_x12 import CREATED, encounter, segments

# Six billable ICD-10-CM codes, the IG's covered one first (reference.md §6 lists each as an IG indication).
SIX_DX = ["D83.9", "D69.3", "G61.81", "G61.82", "G61.0", "M30.3"]


def test_an_837p_carries_every_diagnosis_of_the_claim_not_only_the_four_a_line_points_at():
    """CMS-1500 item 21 holds up to 12 diagnoses (A-L), a service line's pointers (item 24E, 837P SV107) at most four
    of them (IOM 100-04 ch. 26 §10.5, https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/
    clm104c26pdf.pdf; the 837P 2300 HI segment carries them: ABK the first, ABF the others). A claim of six diagnoses
    sends all six, though its lines point at the first four."""
    enc = encounter("office-gamunex-jz", diagnoses=SIX_DX)
    text = x12.to_837(enc, chargemaster.load("sample"), envelope=x12.Envelope(created=CREATED))
    hi = [s for s in segments(text) if s.startswith("HI*")]
    assert hi == ["HI*ABK:D839*ABF:D693*ABF:G6181*ABF:G6182*ABF:G610*ABF:M303"]
    sv1 = [s.split("*") for s in segments(text) if s.startswith("SV1*")]
    assert sv1 and all(f[7] == "1:2:3:4" for f in sv1)


def test_an_837p_line_carries_its_own_service_date_a_later_home_ivig_infusion_its_day():
    """Medicare home IVIG delivered on the date of service and given on a later day: Q2052 is billed for the day the
    drug was given, within 30 days after the drug's date of service (Noridian JD DME IVIG page,
    https://med.noridianmedicare.com/web/jddme/dmepos/ivig; reference.md §5). The 837P's line date (2400 DTP*472) is
    that line's day, not the claim's date of service."""
    enc = encounter("home-ivig-medicare", administrations=[
        {"drug_id": "ig1", "start": "2026-03-05T10:00", "stop": "2026-03-05T14:00"},
        {"drug_id": "ig1", "start": "2026-03-19T10:00", "stop": "2026-03-19T14:00"}])
    text = x12.to_837(enc, chargemaster.load("sample"), envelope=x12.Envelope(created=CREATED))
    segs = segments(text)
    dated = [(segs[i].split("*")[1].split(":")[1], segs[i + 1]) for i, s in enumerate(segs)
             if s.startswith("SV1*") and segs[i + 1].startswith("DTP*472")]
    assert ("Q2052", "DTP*472*D8*20260305") in dated and ("Q2052", "DTP*472*D8*20260319") in dated
    assert ("J1561", "DTP*472*D8*20260305") in dated
