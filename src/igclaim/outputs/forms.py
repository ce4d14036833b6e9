"""Printable claim forms (reportlab): a CMS-1500 (02/12) facsimile for office and home claims, and a UB-04
field sheet for hospital outpatient claims, with the boxes billers look for.

These are review copies laid out by box number, not the red OCR forms payers scan: paper submission needs the
official form (NUCC 1500 Reference Instruction Manual, https://www.nucc.org/index.php/1500-claim-form-mainmenu-35;
NUBC UB-04 manual, CMS IOM 100-04 ch. 25). Per NUCC, the NDC goes in the shaded top half of box 24 as
N4 + 11-digit NDC, a space, the unit qualifier and the quantity (e.g. ``N413533080511 ML300``), and box 24E
points at the diagnoses of box 21 by letter (A–L); per NUBC/CMS, the same NDC text goes in UB-04 FL43.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from igclaim import npi as npi_mod
from igclaim.errors import InputError, InputErrors, personal_field, required
from igclaim.model import Address, ClaimLine
from igclaim.outputs.chargemaster import Chargemaster
from igclaim.outputs.x12 import (
    ClaimInput,
    Institutional,
    bill_type_sent,
    diagnosis_problems,
    every_claim,
    party_problems,
    text_fields,
    transliterate,
)
from igclaim.refdata.resolver import reference

LINES_PER_1500 = 6  # box 24 holds six service lines per form
LINES_PER_UB04 = 22  # FL42-47 hold 22 lines per page
SHADE = colors.Color(0.86, 0.86, 0.86)
LETTERS = "ABCDEFGHIJKL"
_W, _H = letter


def ndc_supplement(ln: ClaimLine) -> str:
    """The NUCC shaded-line text: N4 + 11-digit NDC, space, unit qualifier + quantity."""
    if not ln.ndc:
        return ""
    text = f"N4{ln.ndc}"
    if ln.ndc_unit and ln.ndc_quantity is not None:
        text += f" {ln.ndc_unit}{_qty(Decimal(ln.ndc_quantity))}"
    return text


def _qty(v: Decimal) -> str:
    s = f"{v:f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def _money(v: Decimal | None) -> str:
    return "" if v is None else f"{v:,.2f}"


def _mdy(d: date | None, short: bool = False) -> str:
    if d is None:
        return ""
    return d.strftime("%m %d %y" if short else "%m %d %Y")


def _addr(a: Address | None) -> list[str]:
    if a is None:
        return []
    zip_ = f"{a.zip[:5]}-{a.zip[5:]}" if len(a.zip) == 9 else a.zip
    return [a.line1, *([a.line2] if a.line2 else []), f"{a.city}, {a.state} {zip_}"]


class _Page:
    """Boxes placed from the top-left corner, in points."""

    def __init__(self, c: Canvas) -> None:
        self.c = c

    def box(self, x: float, top: float, w: float, h: float, label: str, value: str | list[str] = "",
            shade: bool = False, size: float = 9, align: str = "left") -> None:
        y = _H - top - h
        c = self.c
        if shade:
            c.setFillColor(SHADE)
            c.rect(x, y, w, h, stroke=0, fill=1)
        c.setFillColor(colors.black)
        c.setStrokeColor(colors.Color(0.55, 0.1, 0.1))
        c.setLineWidth(0.5)
        c.rect(x, y, w, h, stroke=1, fill=0)
        if label:
            c.setFillColor(colors.Color(0.55, 0.1, 0.1))
            c.setFont("Helvetica", 5.5)
            c.drawString(x + 2, y + h - 7, label)
            c.setFillColor(colors.black)
        values = [value] if isinstance(value, str) else value
        ty = y + h - (16 if label else 10)
        for v in values:
            v = transliterate(v)
            c.setFont("Courier-Bold", _fitting(v, "Courier-Bold", size, w - 6))
            if align == "right":
                c.drawRightString(x + w - 3, ty, v)
            else:
                c.drawString(x + 3, ty, v)
            ty -= size + 1.5

    def text(self, x: float, top: float, s: str, size: float = 9, font: str = "Helvetica-Bold",
             width: float | None = None) -> None:
        s = transliterate(s)
        self.c.setFont(font, size if width is None else _fitting(s, font, size, width))
        self.c.drawString(x, _H - top, s)


def _fitting(text: str, font: str, size: float, width: float) -> float:
    """The font size at which `text` fits `width`: `size`, or smaller for a long value, which is never cut and
    never runs over the next box."""
    wide = stringWidth(text, font, size)
    return size if wide <= width else size * width / wide


# What the forms' standard fonts print (WinAnsi has more, but a payer keys or scans a claim form in ASCII).
_PRINTABLE = frozenset(chr(i) for i in range(0x20, 0x7F))


def text_problems(c: ClaimInput) -> list[InputError]:
    """Every chart string the form prints that holds a character its fonts cannot show (a CJK name, an emoji, a
    control character), naming the field: printed, it would come out as a blank square. Accented Latin letters
    print without their accent (Zoë → ZOE), as in the 837."""
    enc = c.encounter
    printed = [(path, value) for path, value, _, _ in text_fields(c)] + [
        ("encounter_id", enc.encounter_id), ("type_of_bill", c.result.claim.type_of_bill),
        ("billing_provider.tax_id", enc.billing_provider.tax_id if enc.billing_provider else None)]
    problems = []
    for path, value in printed:
        bad = next(((n, ch) for n, ch in enumerate(transliterate(value or ""), start=1) if ch not in _PRINTABLE),
                   None)
        if bad is not None:  # a patient's or subscriber's field is PHI: where the character is, not what it is
            shown = f"position {bad[0]}" if personal_field(path) else repr(bad[1])
            problems.append(InputError(c.path(path), f"holds a character ({shown}) the printed form cannot show "
                                       "(ASCII letters, digits and punctuation; accents are dropped); remove or "
                                       "replace it"))
    return problems


def _fit(label: str, width: float, size: float) -> list[str]:
    """A column heading on one line, or split at a space onto two when it is wider than its column."""
    if stringWidth(label, "Helvetica", size) <= width or " " not in label:
        return [label]
    words = label.split()
    for cut in range(len(words) - 1, 0, -1):
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        if stringWidth(first, "Helvetica", size) <= width:
            return [first, second]
    return [words[0], " ".join(words[1:])]


def _descriptor(code: str, dos: date) -> str:
    ref = reference()
    rec = ref.hcpcs(code, dos)
    if rec is not None:
        return rec.descriptor
    admin = ref.admin_codes.get(code)
    return admin.meaning if admin else ""


def _charges(c: ClaimInput, charges: Chargemaster | None) -> list[Decimal | None]:
    """Charges are optional on a review copy: blank boxes when no chargemaster is given."""
    if charges is None:
        return [None] * len(c.result.claim.lines)
    return [charges.line_charge(ln, c.path(f"charges[{ln.code}]")) for ln in c.result.claim.lines]


def _require(c: ClaimInput, form: str) -> None:
    enc = c.encounter
    want = c.result.claim.form
    if want != form:
        other = "cms1500" if want == "CMS-1500" else "ub04"
        raise InputError(c.path("setting"), f"a {enc.setting} claim is billed on the {want}, not the {form}: "
                         f"use --to {other}")
    problems = party_problems(c, (("billing_provider", enc.billing_provider), ("patient", enc.patient),
                                  ("subscriber", enc.subscriber)), f"the {form}")
    named = {p.path for p in problems}  # one problem a field: an EIN in full-width digits is a bad EIN, said once
    problems += [p for p in text_problems(c) if p.path not in named]
    problems += diagnosis_problems(c)
    if want == "UB-04" and not any(p.path == c.path("type_of_bill") for p in problems):
        try:
            bill_type_sent(c)  # FL4 as the 837I sends it
        except InputError as exc:
            problems.append(exc)
    if problems:
        raise InputErrors(problems)  # every missing party at once


# ------------------------------------------------------------------------------------------------ CMS-1500


def _cms1500_page(pg: _Page, c: ClaimInput, lines: list[tuple[ClaimLine, Decimal | None]], page: int,
                  pages: int, total: Decimal | None) -> None:
    enc, claim = c.encounter, c.result.claim
    pat, sub, bp = (required(enc.patient, "patient"), required(enc.subscriber, "subscriber"),
                    required(enc.billing_provider, "billing_provider"))  # party_problems checked them
    payer = enc.payer
    insured_name = (f"{pat.last_name}, {pat.first_name}" if sub.relationship == "self"
                    else f"{sub.last_name or ''}, {sub.first_name or ''}").upper()
    insured_addr = pat.address if sub.relationship == "self" else sub.address
    L, R = 24, _W - 24
    mid = 330

    pg.text(L, 30, "HEALTH INSURANCE CLAIM FORM", 13)
    pg.text(L, 42, "CMS-1500 (02/12) layout - review copy by igclaim; submit on the official red form or as an 837P",
            7, "Helvetica")
    pg.text(R - 150, 30, f"PAGE {page} OF {pages}", 8)
    pg.text(R - 150, 42, (payer.name or "").upper(), 8, width=150)

    kind = {"medicare": "MEDICARE", "medicaid": "MEDICAID"}.get(payer.type, "OTHER")
    marks = [f"[{'X' if k == kind else ' '}] {k}" for k in ("MEDICARE", "MEDICAID", "TRICARE", "CHAMPVA",
                                                          "GROUP HEALTH PLAN", "FECA BLK LUNG", "OTHER")]
    boxes = ["  ".join(marks[:4]), "  ".join(marks[4:])]
    top = 52
    pg.box(L, top, mid - L, 26, "1. INSURANCE TYPE", boxes, size=6)
    pg.box(mid, top, R - mid, 26, "1a. INSURED'S I.D. NUMBER", sub.member_id)
    top += 26
    pg.box(L, top, 180, 26, "2. PATIENT'S NAME (Last, First, MI)", f"{pat.last_name}, {pat.first_name}".upper())
    pg.box(L + 180, top, mid - L - 180, 26, "3. PATIENT'S BIRTH DATE / SEX",
           f"{_mdy(pat.birth_date)}  {pat.sex}")
    pg.box(mid, top, R - mid, 26, "4. INSURED'S NAME (Last, First, MI)", insured_name)
    top += 26
    pg.box(L, top, 180, 40, "5. PATIENT'S ADDRESS", [s.upper() for s in _addr(pat.address)], size=8)
    rel = {"self": "SELF", "spouse": "SPOUSE", "child": "CHILD", "other": "OTHER"}[sub.relationship]
    pg.box(L + 180, top, mid - L - 180, 40, "6. PATIENT RELATIONSHIP TO INSURED", rel)
    pg.box(mid, top, R - mid, 40, "7. INSURED'S ADDRESS", [s.upper() for s in _addr(insured_addr)], size=8)
    top += 40
    pg.box(L, top, mid - L, 24, "10. IS PATIENT'S CONDITION RELATED TO: EMPLOYMENT / AUTO / OTHER ACCIDENT",
           "NO / NO / NO", size=8)
    pg.box(mid, top, (R - mid) / 2, 24, "11. INSURED'S POLICY GROUP", sub.group_number or "NONE")
    pg.box(mid + (R - mid) / 2, top, (R - mid) / 2, 24, "11c. INSURANCE PLAN NAME",
           (payer.name or "").upper(), size=8)
    top += 24
    pg.box(L, top, mid - L, 22, "12. PATIENT'S OR AUTHORIZED PERSON'S SIGNATURE", "SIGNATURE ON FILE", size=8)
    pg.box(mid, top, R - mid, 22, "13. INSURED'S OR AUTHORIZED PERSON'S SIGNATURE", "SIGNATURE ON FILE", size=8)
    top += 22
    op = enc.ordering_provider
    pg.box(L, top, mid - L, 22, "17. NAME OF REFERRING PROVIDER OR OTHER SOURCE",
           f"DK {op.last_name}, {op.first_name or ''}".upper() if op else "", size=8)
    pg.box(mid, top, R - mid, 22, "17b. NPI", op.npi if op else "")
    top += 22

    # Box 21: up to 12 diagnoses, A-L, ICD indicator 0 (ICD-10-CM).
    dx = claim.diagnoses[:12]
    h21 = 50
    pg.box(L, top, mid + 80 - L, h21, "21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY   ICD Ind. 0", "")
    for i, letter_ in enumerate(LETTERS):
        col, row = i % 4, i // 4
        value = dx[i] if i < len(dx) else ""
        pg.text(L + 6 + col * 96, top + 20 + row * 11, f"{letter_}. {value}", 8.5, "Courier-Bold")
    auth = payer.prior_authorization.number if payer.prior_authorization else None
    fix = enc.correction  # box 22: the claim frequency (7 replaces, 8 voids) and the payer's claim number
    pg.box(mid + 80, top, R - mid - 80, h21 / 2, "22. RESUBMISSION CODE / ORIGINAL REF. NO.",
           f"{fix.frequency}   {fix.original_claim_id}" if fix else "")
    pg.box(mid + 80, top + h21 / 2, R - mid - 80, h21 / 2, "23. PRIOR AUTHORIZATION NUMBER", auth or "")
    top += h21

    # Box 24: six lines, each a shaded supplemental half (NDC) above the service half.
    cols = [("24A. DATE(S) OF SERVICE From - To", 112), ("B. POS", 26), ("C. EMG", 24),
            ("D. CPT/HCPCS   MODIFIER", 118), ("E. DX PTR", 42), ("F. $ CHARGES", 66), ("G. UNITS", 38),
            ("H. EPSDT", 26), ("I. ID QUAL", 26), ("J. RENDERING PROVIDER ID #", R - L - 478)]
    x = L
    for label, w in cols:
        pg.box(x, top, w, 16, "", "")
        for k, part in enumerate(_fit(label, w - 4, 5.5)):  # two short lines rather than one that overlaps
            pg.text(x + 2, top + 7 + k * 6, part, 5.5, "Helvetica")
        x += w
    top += 16
    # 24I/24J as the 837P sends them: the rendering provider only when it is not the billing provider (box 33a).
    rp_npi = npi_mod.compact(enc.rendering_provider.npi) if enc.rendering_provider else ""
    rendering = rp_npi if rp_npi and rp_npi != npi_mod.compact(bp.npi) else ""
    for i in range(LINES_PER_1500):
        ln, charge = lines[i] if i < len(lines) else (None, None)
        pg.box(L, top, R - L, 12, "", ndc_supplement(ln) if ln else "", shade=True, size=8)
        x = L
        if ln is not None:
            d = _mdy(ln.service_date or enc.date_of_service, short=True)
            values = [f"{d}  {d}", claim.place_of_service or "", "",
                      f"{ln.code}  {' '.join(ln.modifiers)}",
                      "".join(LETTERS[p - 1] for p in ln.diagnosis_pointers if 1 <= p <= 12) or "A",
                      _money(charge), str(ln.units), "", "NPI" if rendering else "", rendering]
        else:
            values = [""] * len(cols)
        for (_, w), v in zip(cols, values, strict=True):
            right = w in (66, 38)
            pg.box(x, top + 12, w, 16, "", v, size=8.5, align="right" if right else "left")
            x += w
        pg.text(L - 12, top + 25, str(i + 1), 8)
        top += 28

    # Boxes 25-33.
    pg.box(L, top, 130, 24, "25. FEDERAL TAX I.D. NUMBER  [ ] SSN [X] EIN", bp.tax_id)
    pg.box(L + 130, top, 110, 24, "26. PATIENT'S ACCOUNT NO.", enc.claim_id or enc.encounter_id, size=8)
    pg.box(L + 240, top, 90, 24, "27. ACCEPT ASSIGNMENT?", "[X] YES")
    last = page == pages
    pg.box(L + 330, top, 80, 24, "28. TOTAL CHARGE",
           _money(total) if last else "CONTINUED", align="right", size=8.5)
    pg.box(L + 410, top, 70, 24, "29. AMOUNT PAID", "", align="right")
    pg.box(L + 480, top, R - L - 480, 24, "30. Rsvd for NUCC Use", "")
    top += 24
    rp = enc.rendering_provider
    signer = f"{rp.first_name or ''} {rp.last_name}".strip().upper() if rp else ""
    pg.box(L, top, 150, 62, "31. SIGNATURE OF PHYSICIAN OR SUPPLIER", [signer, "SIGNATURE ON FILE"],
           size=8)
    pg.box(L + 150, top, 170, 62, "32. SERVICE FACILITY LOCATION INFORMATION",
           ["SAME AS 33" if claim.place_of_service != "12" else "PATIENT HOME (POS 12)"], size=8)
    phone = f"({bp.phone[:3]}) {bp.phone[3:6]}-{bp.phone[6:]}" if bp.phone else ""
    pg.box(L + 320, top, R - L - 320, 62, f"33. BILLING PROVIDER INFO & PH #  {phone}",
           [bp.name.upper(), *[s.upper() for s in _addr(bp.address)], f"a. NPI {npi_mod.compact(bp.npi)}"], size=8)


# ------------------------------------------------------------------------------------------------ UB-04


def _ub04_page(pg: _Page, c: ClaimInput, lines: list[tuple[ClaimLine, Decimal | None]], page: int, pages: int,
               total: Decimal | None) -> None:
    enc, claim = c.encounter, c.result.claim
    pat, sub, bp = (required(enc.patient, "patient"), required(enc.subscriber, "subscriber"),
                    required(enc.billing_provider, "billing_provider"))  # party_problems checked them
    payer = enc.payer
    L, R = 24, _W - 24
    dos = enc.date_of_service
    last_date = max((ln.service_date or dos for ln in claim.lines), default=dos)
    pg.text(L, 30, "UB-04 FIELD SHEET", 13)
    pg.text(L, 42, "UB-04 (CMS-1450) fields by form locator - review copy by igclaim; submit as an 837I", 7,
            "Helvetica")
    pg.text(R - 150, 30, f"PAGE {page} OF {pages}", 8)
    top = 52
    phone = f"({bp.phone[:3]}) {bp.phone[3:6]}-{bp.phone[6:]}" if bp.phone else ""
    pg.box(L, top, 250, 50, "FL1 BILLING PROVIDER", [bp.name.upper(), *[s.upper() for s in _addr(bp.address)],
                                                      phone], size=8)
    pg.box(L + 250, top, 150, 25, "FL3a PAT. CNTL #", enc.claim_id or enc.encounter_id, size=8)
    pg.box(L + 400, top, R - L - 400, 25, "FL4 TYPE OF BILL", bill_type_sent(c))
    pg.box(L + 250, top + 25, 150, 25, "FL5 FED. TAX NO.", bp.tax_id)
    pg.box(L + 400, top + 25, R - L - 400, 25, "FL6 STATEMENT COVERS PERIOD",
           f"{dos.strftime('%m%d%y')} - {last_date.strftime('%m%d%y')}", size=8)
    top += 50
    pg.box(L, top, 200, 26, "FL8 PATIENT NAME", f"{pat.last_name}, {pat.first_name}".upper())
    pg.box(L + 200, top, 200, 26, "FL9 PATIENT ADDRESS", " ".join(_addr(pat.address)).upper(), size=6.5)
    pg.box(L + 400, top, 80, 26, "FL10 BIRTHDATE", pat.birth_date.strftime("%m%d%Y"))
    pg.box(L + 480, top, R - L - 480, 26, "FL11 SEX", pat.sex)
    top += 26
    # FL12-17 as the 837I's CL1 sends them (the same Institutional defaults): an outpatient visit has no
    # admission date or hours (FL12, 13, 16 blank); FL14 type, FL15 point of origin, FL17 patient status.
    inst = Institutional()
    fl = [("FL12 ADMISSION DATE", ""), ("FL13 ADM HR", ""), ("FL14 ADM TYPE", inst.admission_type or ""),
          ("FL15 POINT OF ORIGIN", inst.point_of_origin), ("FL16 DHR", ""), ("FL17 STAT", inst.patient_status)]
    x, w = L, (R - L) / len(fl)
    for label, value in fl:
        pg.box(x, top, w, 24, label, value, size=8)
        x += w
    top += 24
    cols = [("FL42 REV. CD.", 50), ("FL43 DESCRIPTION", 222), ("FL44 HCPCS / MODIFIERS", 100),
            ("FL45 SERV. DATE", 56), ("FL46 SERV. UNITS", 50), ("FL47 TOTAL CHARGES", R - L - 478)]
    x = L
    for label, w in cols:
        pg.box(x, top, w, 14, "", "")
        pg.text(x + 2, top + 9, label, 5.5, "Helvetica")
        x += w
    top += 14
    for ln, charge in lines:
        desc = ndc_supplement(ln) or _descriptor(ln.code, dos)[:44].rstrip(" ,").upper()
        values = [ln.revenue_code or "", desc, f"{ln.code} {' '.join(ln.modifiers)}".strip(),
                  (ln.service_date or dos).strftime("%m%d%y"), str(ln.units), _money(charge)]
        _ub04_row(pg, cols, L, top, values)
        top += 14
    if page == pages:
        _ub04_row(pg, cols, L, top, ["0001", "TOTAL", "", "", "", _money(total)])
        top += 14
    top += 8
    pg.box(L, top, 200, 24, "FL50 PAYER NAME", (payer.name or "").upper(), size=8)
    pg.box(L + 200, top, 120, 24, "FL51 HEALTH PLAN ID", payer.payer_id or "", size=8)
    pg.box(L + 320, top, R - L - 320, 24, "FL56 NPI", npi_mod.compact(bp.npi))
    top += 24
    insured = (f"{pat.last_name}, {pat.first_name}" if sub.relationship == "self"
               else f"{sub.last_name or ''}, {sub.first_name or ''}").upper()
    rel = {"self": "18", "spouse": "01", "child": "19", "other": "G8"}[sub.relationship]
    pg.box(L, top, 200, 24, "FL58 INSURED'S NAME", insured, size=8)
    pg.box(L + 200, top, 50, 24, "FL59 P.REL", rel)
    pg.box(L + 250, top, 150, 24, "FL60 INSURED'S UNIQUE ID", sub.member_id, size=8)
    pg.box(L + 400, top, R - L - 400, 24, "FL62 INSURANCE GROUP NO.", sub.group_number or "", size=8)
    top += 24
    auth = payer.prior_authorization.number if payer.prior_authorization else None
    pg.box(L, top, 200, 24, "FL63 TREATMENT AUTHORIZATION CODES", auth or "", size=8)
    pg.box(L + 200, top, 200, 24, "FL64 DOCUMENT CONTROL NUMBER",  # the claim a replacement or void corrects
           enc.correction.original_claim_id if enc.correction else "", size=8)
    pg.box(L + 400, top, R - L - 400, 24, "FL66 DX VERSION QUALIFIER", "0 (ICD-10-CM)", size=8)
    top += 24
    dx = claim.diagnoses
    others = "  ".join(f"{LETTERS[i] if i < 12 else chr(ord('M') + i - 12)}. {d}" for i, d in enumerate(dx[1:18]))
    pg.box(L, top, 130, 24, "FL67 PRINCIPAL DX", dx[0] if dx else "")
    pg.box(L + 130, top, R - L - 130, 24, "FL67A-Q OTHER DIAGNOSES", others, size=8)
    top += 24
    pg.box(L, top, 200, 24, "FL70a PATIENT REASON DX", dx[0] if dx else "")  # the 837I's HI*APR
    pg.box(L + 200, top, R - L - 200, 24, "FL70b-c", "")
    top += 24
    rp = enc.rendering_provider
    pg.box(L, top, R - L, 24, "FL76 ATTENDING   NPI / LAST / FIRST",
           f"{npi_mod.compact(rp.npi)}  {rp.last_name.upper()}  {(rp.first_name or '').upper()}" if rp else "",
           size=8)


def _ub04_row(pg: _Page, cols: list[tuple[str, float]], x: float, top: float, values: list[str]) -> None:
    for i, ((_, w), v) in enumerate(zip(cols, values, strict=True)):
        pg.box(x, top, w, 14, "", v, size=7.5, align="right" if i >= 4 else "left")
        x += w


def render_pdf(claims: Sequence[ClaimInput], form: str, charges: Chargemaster | None) -> bytes:
    """One PDF with every claim; a claim with more lines than the form holds continues on another page. Every
    claim is checked before a page is drawn, so a refusal names every claim's problems (x12.every_claim), not the
    first claim's only."""
    if not claims:
        raise InputError("(input)", "no encounters to print")

    def checked(c: ClaimInput) -> list[Decimal | None]:
        _require(c, form)
        return _charges(c, charges)

    every_amount = every_claim(claims, checked)
    per_page = LINES_PER_1500 if form == "CMS-1500" else LINES_PER_UB04
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=letter, invariant=True)
    canvas.setTitle(f"{form} review copy")
    canvas.setAuthor("igclaim")
    for c, amounts in zip(claims, every_amount, strict=True):
        total = None if charges is None else sum((a for a in amounts if a is not None), Decimal(0))
        paired = list(zip(c.result.claim.lines, amounts, strict=True))
        chunks = [paired[i:i + per_page] for i in range(0, len(paired), per_page)] or [[]]
        for n, chunk in enumerate(chunks, start=1):
            pg = _Page(canvas)
            if form == "CMS-1500":
                _cms1500_page(pg, c, chunk, n, len(chunks), total)
            else:
                _ub04_page(pg, c, chunk, n, len(chunks), total)
            canvas.showPage()
    canvas.save()
    return buf.getvalue()
