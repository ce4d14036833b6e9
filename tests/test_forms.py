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


def test_a_character_the_form_cannot_print_is_refused_naming_each_field(charges):
    """A CJK name, an emoji or a control character would print as a blank square: every such field is named at
    once (exit 2 in the CLI), for both forms; accented Latin letters print without the accent, as in the 837."""
    from igclaim.errors import InputErrors

    for name, form in (("office-gamunex-jz", "CMS-1500"), ("hospital-gamunex", "UB-04")):
        enc = encounter(name)
        enc = enc.model_copy(update={
            "patient": enc.patient.model_copy(update={"last_name": "王"}),
            "billing_provider": enc.billing_provider.model_copy(update={
                "name": "Valley \U0001f600 Infusion",
                "address": enc.billing_provider.address.model_copy(update={"line1": "1 Main\x07 St"})}),  # C0 BEL
            "payer": enc.payer.model_copy(update={"name": "Acme\u202eHealth"}),
            "rendering_provider": enc.rendering_provider.model_copy(update={"last_name": "Lee\x9b"})})  # C1 CSI
        with pytest.raises(InputErrors) as exc:
            forms.render_pdf(build_claims([enc]), form, charges)
        assert [e.path for e in exc.value.errors] == [
            "payer.name", "billing_provider.name", "billing_provider.address.line1", "patient.last_name",
            "rendering_provider.last_name"]
        assert all("cannot show" in e.message for e in exc.value.errors)
    # The EIN (box 25, FL5) by the 837's rule, and the type of bill (FL4), which are not names
    enc = encounter("hospital-gamunex", type_of_bill="01名1")
    bp = enc.billing_provider.model_copy(update={"tax_id": "９９-0000003"})
    enc = enc.model_copy(update={"billing_provider": bp})
    with pytest.raises(InputErrors) as exc:
        forms.render_pdf(build_claims([enc]), "UB-04", charges)
    assert [(e.path, e.message) for e in exc.value.errors] == [
        ("billing_provider.tax_id", "the EIN must be 9 digits"), ("type_of_bill", exc.value.errors[1].message)]
    assert "cannot show" in exc.value.errors[1].message
    enc = encounter("office-gamunex-jz")
    enc = enc.model_copy(update={"patient": enc.patient.model_copy(update={"last_name": "Nguyễn",
                                                                           "first_name": "Zoë"})})
    assert "NGUYEN, ZOE" in pdf_text(forms.render_pdf(build_claims([enc]), "CMS-1500", charges))[0]


def test_a_long_value_shrinks_to_its_box_and_is_never_cut(charges):
    """Box 2 (180 pt) with the longest name the 837 takes (60 + 35 characters) and a payer name of 60: printed
    whole, each inside its box (before, they ran over boxes 3 and off the page)."""
    enc = encounter("office-gamunex-jz")
    last, first, payer = "L" * 59 + "Z", "F" * 34 + "Y", "P" * 59 + "Q"
    enc = enc.model_copy(update={"patient": enc.patient.model_copy(update={"last_name": last, "first_name": first}),
                                 "payer": enc.payer.model_copy(update={"name": payer})})
    data = forms.render_pdf(build_claims([enc]), "CMS-1500", charges)
    chunks = _chunks(data)
    right = 612 - 24  # the page's right margin, where box 4 (the insured: here the patient) and the title end
    box2, box4 = sorted((c for c in chunks if c[2] == f"{last}, {first}"), key=lambda c: c[0])
    assert box2[0] + box2[3] <= 24 + 180 - 3 + 0.01 and box4[0] + box4[3] <= right - 3 + 0.01, (box2, box4)
    top = [c for c in chunks if c[2] == payer]
    assert top and all(c[0] + c[3] <= right + 0.01 for c in top), top


def test_cms1500_box_17_ordering_provider(charges):
    enc = encounter("home-ivig-medicare")
    text = pdf_text(forms.render_pdf(build_claims([enc]), "CMS-1500", charges))[0]
    assert "DK OKAFOR, ADA" in text and "1987654328" in text
    bad = encounter("home-ivig-medicare", ordering_provider={"npi": "198765432\u0661", "last_name": "Okafor"})
    with pytest.raises(InputError) as exc:  # an Arabic-Indic digit printed as a black square in box 17
        forms.render_pdf(build_claims([bad]), "CMS-1500", charges)
    assert exc.value.path == "ordering_provider.npi"


def _chunks(data: bytes) -> list[tuple[float, float, str, float]]:
    """(x, y, text, font size) of every text run on the first page."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    found: list[tuple[float, float, str, float]] = []

    def visit(text, cm, tm, font_dict, size):
        text = text.strip()  # pypdf ends a run with "\n", which has a width in Courier
        if text:
            x, y = tm[4], tm[5]
            name = (font_dict or {}).get("/BaseFont", "/Helvetica")[1:]
            found.append((x, y, text, stringWidth(text, name, size)))

    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    return found


def test_cms1500_box_24_headings_do_not_overlap(charges):
    data = forms.render_pdf(build_claims([encounter("office-gamunex-jz")]), "CMS-1500", charges)
    heads = [c for c in _chunks(data) if c[2].startswith(("24A", "B. ", "C. ", "D. ", "E. ", "F. ", "G. ", "H. ",
                                                          "I. ", "J. ", "QUAL", "PTR", "ID #", "From", "EPSDT"))]
    assert len(heads) >= 10
    for y in {round(c[1]) for c in heads}:
        row = sorted((c for c in heads if round(c[1]) == y), key=lambda c: c[0])
        for a, b in zip(row, row[1:], strict=False):
            assert a[0] + a[3] <= b[0], (a[2], b[2])


def test_24i_and_24j_agree_with_the_837p(charges):
    """24J carries the rendering NPI only when the 837P sends it (NM1*82: rendering ≠ billing); 24I with it."""
    from tests.test_x12 import export

    home = build_claims([encounter("home-ivig-medicare")])[0]
    text = pdf_text(forms.render_pdf([home], "CMS-1500", charges))[0]
    sent = export("home-ivig-medicare", charges)
    rp = home.encounter.rendering_provider
    if rp and "NM1*82" in sent:
        assert f"NPI {rp.npi}" in text.replace("  ", " ")
    else:
        assert "NPI " not in text.split("24A.")[1].split("25.")[0]
    same = encounter("office-gamunex-jz", rendering_provider={"npi": "1234567893", "last_name": "Lee"})
    text = pdf_text(forms.render_pdf(build_claims([same]), "CMS-1500", charges))[0]
    assert "NM1*82" not in export("office-gamunex-jz", charges, rendering_provider={"npi": "1234567893",
                                                                                     "last_name": "Lee"})
    assert "NPI 1234567893" not in text.split("25.")[0].replace("  ", " ")


def test_ub04_fl12_to_17_and_70_as_the_837i_sends_them(charges):
    from tests.test_x12 import export

    sent = export("hospital-gamunex", charges)
    cl1 = next(s for s in sent.split("~") if s.strip().startswith("CL1")).strip().split("*")
    apr = next(s for s in sent.split("~") if "HI*APR" in s).strip().split(":")[1]
    text = pdf_text(forms.render_pdf(build_claims([encounter("hospital-gamunex")]), "UB-04", charges))[0]
    for label in ("FL12 ADMISSION DATE", "FL13 ADM HR", "FL14 ADM TYPE", "FL16 DHR"):
        assert label in text
    assert f"FL15 POINT OF ORIGIN\n{cl1[2]}" in text and f"FL17 STAT\n{cl1[3]}" in text
    reason = text.split("FL70a PATIENT REASON DX\n")[1].split("\n")[0]
    assert reason.replace(".", "") == apr  # the form shows the code with its period, as FL67 does


def _bad_npi(enc):
    """The encounter with a billing NPI whose check digit is wrong."""
    return enc.model_copy(update={"billing_provider": enc.billing_provider.model_copy(update={"npi": "1234567890"})})


def test_every_claim_of_a_file_is_checked_before_the_form_refuses(charges):
    """render_pdf stopped at the first claim refused, so a biller fixing a file learnt the next claim's problems a
    run later. Every claim's are named now in one refusal, each by its row, a claim's own problems together (a
    claim for the other form too); a claim without problems is named nowhere."""
    from igclaim.errors import InputErrors

    encs = [encounter("hospital-gamunex"), encounter("office-bivigam-jw"),
            _bad_npi(encounter("office-gamunex-jz", patient=None))]
    with pytest.raises(InputErrors) as exc:
        forms.render_pdf(build_claims(encs, ["[0] ", "[1] ", "[2] "]), "CMS-1500", charges)
    assert exc.value.lines() == [
        "[0] setting: a hospital_outpatient claim is billed on the UB-04, not the CMS-1500: use --to ub04",
        "[2] patient: required for the CMS-1500 and missing",
        "[2] billing_provider.npi: NPI '1234567890' fails the check digit (Luhn over 80840 + NPI)"]


def test_a_form_refusal_of_many_claims_lists_twenty_problems_and_counts_the_rest(charges):
    """Every claim's problems, bounded as every refusal is (errors.LISTED_MAX): 22 claims without a subscriber are
    the first 20 lines and one counting the other 2."""
    from igclaim.errors import LISTED_MAX, InputErrors

    n = LISTED_MAX + 2
    claims = build_claims([encounter("hospital-gamunex", subscriber=None)] * n, [f"line {i + 1}: " for i in range(n)])
    with pytest.raises(InputErrors) as exc:
        forms.render_pdf(claims, "UB-04", charges)
    lines = exc.value.lines()
    assert lines[:LISTED_MAX] == [f"line {i + 1}: subscriber: required for the UB-04 and missing"
                                  for i in range(LISTED_MAX)]
    assert lines[LISTED_MAX:] == ["… and 2 more problems, not listed: fix these and check again to see them"]


def test_the_form_export_of_a_file_names_every_claims_problems(tmp_path):
    """`igclaim export --to cms1500` of JSON Lines: each claim's problems on stderr, named by its line (exit 2), and
    no PDF written."""
    import json

    from tests.conftest import ROOT, run_cli

    base = json.loads((ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text())
    first, third = json.loads(json.dumps(base)), json.loads(json.dumps(base))
    del first["subscriber"]
    third["billing_provider"]["npi"] = "1234567890"
    file, out = tmp_path / "claims.jsonl", tmp_path / "claims.pdf"
    file.write_text("\n".join(json.dumps(d) for d in (first, base, third)) + "\n")
    r = run_cli("export", str(file), "--to", "cms1500", "--charges", "sample", "--out", str(out))
    assert r.returncode == 2 and not out.exists(), r.stderr
    assert [ln for ln in r.stderr.splitlines() if not ln.startswith("note:")] == [
        f"{file}: line 1: subscriber: required for the CMS-1500 and missing",
        f"{file}: line 3: billing_provider.npi: NPI '1234567890' fails the check digit (Luhn over 80840 + NPI)"], \
        r.stderr
