"""X12 5010 health care claims: 837P (005010X222A1) for office and home professional claims and 837I
(005010X223A2) for hospital outpatient claims, from the claim that `engine.build` coded.

Nothing is re-coded here: the lines, modifiers, units, NDC quantities, revenue codes, place of service and type of
bill come from `result.claim`; this module only lays them out in the implementation guides' loops. The layouts
follow the ASC X12N TR3s (structure checked by pyx12's maps `837.5010.X222.A1.xml` and
`837Q3.I.5010.X223.A1.xml`); NDCs go in loop 2410 (LIN N4 + 11 digits, CTP quantity and unit), as CMS asks
(https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files, NDC billing).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, TypeVar

from igclaim import npi as npi_mod
from igclaim.errors import InputError, InputErrors, personal_field, required
from igclaim.model import Address, BillingProvider, ClaimLine, Encounter, Result
from igclaim.outputs.chargemaster import Chargemaster
from igclaim.refdata.resolver import reference, state_codes

Kind = Literal["837P", "837I"]

# Implementation guide (GS08/ST03) for each transaction.
GUIDES: dict[str, str] = {"837P": "005010X222A1", "837I": "005010X223A2"}

# SBR09 claim filing indicator (X12 code list 1032). Original Medicare is MB (Part B) on a professional claim and
# MA (Part A) on an institutional claim, which goes to the A/B MAC's Part A side; Medicare Advantage plans are
# commonly filed as 16 (HMO Medicare Risk): confirm with the plan's companion guide.
_FILING: dict[tuple[str, str], str] = {
    ("medicare", "837P"): "MB", ("medicare", "837I"): "MA",
    ("medicare_advantage", "837P"): "16", ("medicare_advantage", "837I"): "16",
    ("medicaid", "837P"): "MC", ("medicaid", "837I"): "MC",
    ("commercial", "837P"): "CI", ("commercial", "837I"): "CI",
}
# PAT01 / SBR02 individual relationship (X12 code list 1069): 18 self, 01 spouse, 19 child, G8 other.
_RELATIONSHIP = {"self": "18", "spouse": "01", "child": "19", "other": "G8"}
_SEP, _COMP, _REP, _TERM = "*", ":", "^", "~"
# A service line's modifiers (SV101-3..6, SV202-3..6) and, on an 837P, its diagnosis pointers (SV107-1..4).
LINE_SLOTS = 4


@dataclass(frozen=True)
class Institutional:
    """UB-04 facts the chart does not carry (CL1: NUBC point of origin FL15 and patient discharge status FL17).

    Defaults describe an outpatient visit from home that ended with the patient going home: point of origin 1
    (non-health-care point of origin), status 01 (discharged to home or self care). Override when not so."""

    point_of_origin: str = "1"
    patient_status: str = "01"
    admission_type: str | None = None


MAX_CONTROL_NUMBER = 999_999_999  # ISA13: nine digits


@dataclass(frozen=True)
class Envelope:
    """Who sends and who receives, and the control numbers. Unset ids follow the claim: the billing provider's
    NPI submits, the payer id receives (a clearinghouse assigns its own ids: pass them; claims of several payers
    share an interchange only with `receiver_id`)."""

    sender_id: str | None = None
    receiver_id: str | None = None
    receiver_name: str | None = None
    submitter_name: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    control_number: int = 1
    created: datetime | None = None
    usage: Literal["T", "P"] = "T"
    institutional: Institutional = field(default_factory=Institutional)


@dataclass
class ClaimInput:
    """One encounter and the claim built from it; `where` prefixes field paths in errors (a JSON Lines row)."""

    encounter: Encounter
    result: Result
    where: str = ""

    def path(self, p: str) -> str:
        return f"{self.where}{p}"


def transaction_for(enc: Encounter) -> Kind:
    """837P or 837I by the setting's claim form (refdata/cms/settings.toml)."""
    return reference().setting(enc.setting)["transaction"]


def check_transaction(c: ClaimInput, kind: Kind) -> None:
    want = transaction_for(c.encounter)
    if want != kind:
        form = c.result.claim.form
        raise InputError(c.path("setting"), f"a {c.encounter.setting} claim is billed on the {form} ({want}); "
                         f"it cannot be sent as {kind}: use --to {want.lower()}")


# ---------------------------------------------------------------------------------------------------- checks


def require_parties(c: ClaimInput, kind: Kind) -> None:
    """Every check the 837 makes before a segment is written, all at once: the parties (`party_fields`), the
    text fields, the diagnoses and the dates, in one InputErrors naming each problem by field (one problem a
    field: the first stage's), so a claim wrong in every stage is fixed in one run, not one run a stage."""
    problems = party_fields(c, kind)
    for stage in (text_field_problems, diagnosis_problems, date_problems):
        named = {p.path for p in problems}
        problems += [p for p in stage(c) if p.path not in named]
    if problems:
        raise InputErrors(problems)


def party_fields(c: ClaimInput, kind: Kind) -> list[InputError]:
    """Every party and field the 837 needs that is missing or wrong, one problem a field."""
    problems: list[InputError] = []

    def bad(path: str, message: str) -> None:
        problems.append(InputError(c.path(path), message))

    def npi(value: str, path: str) -> None:
        try:
            check_npi(value, c.path(path))
        except InputError as exc:
            problems.append(exc)

    enc = c.encounter
    need: list[tuple[str, object]] = [
            ("claim_id", enc.claim_id), ("billing_provider", enc.billing_provider), ("patient", enc.patient),
            ("subscriber", enc.subscriber), ("payer.payer_id", enc.payer.payer_id), ("payer.name", enc.payer.name)]
    if kind == "837I":
        need.append(("rendering_provider", enc.rendering_provider))  # the attending (2310A) on an 837I
    for name, value in need:
        if not value:
            bad(name, f"required for an {kind} and missing")
    if enc.claim_id and len(enc.claim_id) > 20:
        bad("claim_id", "at most 20 characters on an 837 (CLM01)")
    bp = enc.billing_provider
    if bp:
        npi(bp.npi, "billing_provider.npi")
    if enc.rendering_provider:
        npi(enc.rendering_provider.npi, "rendering_provider.npi")
    if kind == "837P" and enc.ordering_provider is None and is_dme_claim(c):
        bad("ordering_provider", "required on a Medicare home (DME MAC) claim: the prescriber "
            "who ordered the immune globulin (loop 2420E)")
    if enc.ordering_provider:
        npi(enc.ordering_provider.npi, "ordering_provider.npi")
    if (ein := ein_problem(c)) is not None:
        problems.append(ein)
    if bp and len(bp.address.zip) != 9:
        bad("billing_provider.address.zip", "the billing provider's ZIP must have 9 digits (ZIP+4) on a 5010 claim")
    if enc.patient and enc.patient.address is None:
        bad("patient.address", f"required for an {kind} (subscriber or patient address)")
    if enc.subscriber and enc.subscriber.relationship != "self" and not enc.subscriber.last_name:
        bad("subscriber.last_name", "the insured person's name is required when the patient is not the subscriber")
    if not c.result.claim.diagnoses:
        bad("diagnoses", "a claim needs at least one diagnosis")
    limit = 12 if kind == "837P" else 25
    if len(c.result.claim.diagnoses) > limit:
        bad("diagnoses", f"an {kind} carries at most {limit} diagnoses")
    if not c.result.claim.lines:
        bad("drugs", "the claim has no service lines")
    for i, ln in enumerate(c.result.claim.lines):
        # SV101/SV202 carry 4 modifiers and SV107 4 pointers: a fifth is refused here, never dropped while writing.
        if len(ln.modifiers) > LINE_SLOTS:
            bad(f"claim.lines[{i}].modifiers", f"{len(ln.modifiers)} modifiers ({' '.join(ln.modifiers)}); an "
                f"{kind} line carries at most {LINE_SLOTS}")
        if kind == "837P" and len(ln.diagnosis_pointers) > LINE_SLOTS:
            bad(f"claim.lines[{i}].diagnosis_pointers", f"{len(ln.diagnosis_pointers)} diagnosis pointers; an 837P "
                f"line carries at most {LINE_SLOTS} (SV107)")
    return problems


# ---------------------------------------------------------------------------------------------------- elements

# X12 basic and extended character sets (X12.5 / TR3 appendix), less the delimiters this writer uses (* : ^ ~):
# a value holding anything else (a delimiter, a control character, a letter outside the set) is refused, naming
# its field, after accented Latin letters are transliterated (É → E), which the TR3s allow.
_DELIMITERS = {_SEP, _COMP, _REP, _TERM}
_ALLOWED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 !\"&'()+,-./;?=%@[]_{}\\|<>#$")
# ICD-10-CM shape (HI elements): a letter, two characters, then up to four more after an optional point.
_ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z]\.?[0-9A-Z]{0,4}")


def transliterate(text: str) -> str:
    """Accented Latin letters to their base letter (Zoë → Zoe); other characters are left for the check. NFD, the
    canonical decomposition, only splits a letter from its accents: NFKD also folded lookalikes without a word
    (member id 1EG4TE5MKⅦ went out as …VII, PA①② as PA12, Doe² as DOE2, full-width Ｄｏｅ as DOE)."""
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def x12_text(value: str, path: str, max_len: int, min_len: int = 1, *, personal: bool = False) -> str:
    """A string element's text as it will be written, or an InputError naming the field. The character refused is
    quoted, but for a `personal` field (PHI) only its position is given."""
    text = transliterate(value).upper()
    for n, ch in enumerate(text, start=1):
        shown = f"(position {n})" if personal else repr(ch)
        if ch in _DELIMITERS:
            raise InputError(path, f"holds {'an X12 delimiter ' + shown if personal else shown + ', an X12 delimiter'}"
                             " in this interchange; remove it")
        if ch not in _ALLOWED:
            what = "a control character" if unicodedata.category(ch).startswith("C") else "a character"
            where = shown if personal else f"({shown})"
            raise InputError(path, f"holds {what} {where} outside the X12 character set; remove or replace it")
    text = " ".join(text.split())
    if not min_len <= len(text) <= max_len:
        raise InputError(path, f"{len(text)} characters; this X12 element holds {min_len} to {max_len}")
    return text


def text_fields(c: ClaimInput) -> list[tuple[str, str | None, int, int]]:
    """(field, value, min, max) for every chart string the 837 writes (and the paper forms print): TR3 element
    lengths (NM103 60, NM104 35, NM109 80, N301/N302 55, N401 30, REF02 50, SBR03 50, PRV03 50)."""
    enc = c.encounter
    out: list[tuple[str, str | None, int, int]] = [
        ("claim_id", enc.claim_id, 1, 20), ("payer.name", enc.payer.name, 1, 60),
        ("payer.payer_id", enc.payer.payer_id, 2, 80)]

    def address(path: str, a: Address | None) -> None:
        if a is not None:
            out.extend([(f"{path}.line1", a.line1, 1, 55), (f"{path}.line2", a.line2, 1, 55),
                        (f"{path}.city", a.city, 2, 30), (f"{path}.state", a.state, 2, 2)])

    def person(path: str, p) -> None:
        if p is not None:
            out.extend([(f"{path}.last_name", p.last_name, 1, 60), (f"{path}.first_name", p.first_name, 1, 35)])

    bp = enc.billing_provider
    if bp:
        out.extend([("billing_provider.name", bp.name, 1, 60), ("billing_provider.taxonomy", bp.taxonomy, 1, 50)])
        address("billing_provider.address", bp.address)
    for name in ("patient", "rendering_provider", "ordering_provider"):
        person(name, getattr(enc, name))
    if enc.patient:
        address("patient.address", enc.patient.address)
    sub = enc.subscriber
    if sub:
        out.extend([("subscriber.member_id", sub.member_id, 2, 80),
                    ("subscriber.group_number", sub.group_number, 1, 50)])
        if sub.last_name:
            person("subscriber", sub)
        address("subscriber.address", sub.address)
    pa = enc.payer.prior_authorization
    if pa:
        out.append(("payer.prior_authorization.number", pa.number, 1, 50))
    if enc.correction:
        out.append(("correction.original_claim_id", enc.correction.original_claim_id, 1, 50))
    return out


def text_field_problems(c: ClaimInput) -> list[InputError]:
    """Every chart string the 837 writes, checked as its element: one problem for each field refused."""
    problems: list[InputError] = []
    for path, value, lo, hi in text_fields(c):
        if value is not None:
            personal = personal_field(path)  # PHI: the message names the field, never quotes the value
            # N402 is the USPS code, written in capitals: "ªÈ" passed as "AE" once transliterated, then the writer
            # refused it by element (one bad claim failed a whole team export); "RK", two letters but no state's
            # code, was written and the 837 rejected (N402 takes a code of its list). Checked first: its message
            # says what a state must be.
            if path.endswith(".state") and not (re.fullmatch(r"[A-Za-z]{2}", value)
                                                and value.upper() in state_codes()):
                problems.append(InputError(c.path(path), f"{'the value' if personal else repr(value)} is not a "
                                           "state's 2-letter USPS code (e.g. IL)"))
                continue
            try:
                x12_text(value, c.path(path), hi, lo, personal=personal)
            except InputError as exc:
                problems.append(exc)
    return problems


def future_service(c: ClaimInput) -> InputError | None:
    """A claim is filed after the service: a date of service after today (coded ahead of time as an estimate,
    PLAUSIBILITY-DOS) is never written on a claim, in any format."""
    dos = c.encounter.date_of_service
    if dos > date.today():
        return InputError(c.path("date_of_service"), f"{dos.isoformat()} is in the future; a claim is filed after "
                          "the service (build it again after the visit)")
    return None


def date_problems(c: ClaimInput) -> list[InputError]:
    """D8 dates the 837 carries: birth dates from 1900 up to the date of service (a CCYYMMDD a payer accepts), and
    a date of service that has come; one problem for each date refused."""
    enc = c.encounter
    problems = [future] if (future := future_service(c)) is not None else []
    for path, d in (("patient.birth_date", enc.patient.birth_date if enc.patient else None),
                    ("subscriber.birth_date", enc.subscriber.birth_date if enc.subscriber else None)):
        if d is not None and not date(1900, 1, 1) <= d <= enc.date_of_service:
            # not quoted: PHI
            problems.append(InputError(c.path(path), "is not a birth date from 1900 up to the date of service"))
    return problems


def diagnosis_problems(c: ClaimInput) -> list[InputError]:
    """A diagnosis that DX-INVALID rejects, or that is not shaped as an ICD-10-CM code, is never written, in any
    format (the 837, the FHIR Claim, the paper forms), errors allowed or not: one problem per such diagnosis."""
    invalid = rejected_diagnoses(c)
    return [InputError(c.path(f"diagnoses[{i}]"), f"{dx!r} is not a billable ICD-10-CM code on the date of service "
                       "(DX-INVALID); it cannot be written on a claim")
            for i, dx in enumerate(c.result.claim.diagnoses) if not _ICD10.fullmatch(dx) or dx in invalid]


def rejected_diagnoses(c: ClaimInput) -> set[str]:
    """The diagnoses DX-INVALID rejects (an error): named by its findings' causes, never by their text. A result
    read back from storage carries no causes; its DX-INVALID errors are then decided again by the same rule."""
    errors = [f for f in c.result.findings if f.edit == "DX-INVALID" and f.severity == "error"]
    named = {code for f in errors for kind, code in f.causes if kind == "diagnosis"}
    if errors and not named:
        from igclaim.edits.diagnosis import rejected
        from igclaim.refdata import icd10

        releases, dos = icd10.held(), c.encounter.date_of_service
        named = {dx for dx in c.result.claim.diagnoses if rejected(releases, dx, dos)}
    return named


def is_dme_claim(c: ClaimInput) -> bool:
    """A Medicare home infusion claim to the DME MAC (the payer profile's home_rules on the date of service)."""
    from igclaim.engine import resolve_profile
    from igclaim.refdata.resolver import reference

    enc = c.encounter
    if enc.setting != "home":
        return False
    return resolve_profile(enc, reference()).get("home_rules", enc.date_of_service) == "medicare-dme"


def check_npi(value: str, path: str) -> str:
    try:
        return npi_mod.validate(value)
    except npi_mod.InvalidNPI as exc:
        raise InputError(path, str(exc)) from None


def ein_problem(c: ClaimInput) -> InputError | None:
    """The billing provider's tax id is an EIN: 9 ASCII digits, a hyphen allowed (\\d would take "１")."""
    bp = c.encounter.billing_provider
    if bp and not re.fullmatch(r"[0-9]{9}", bp.tax_id.replace("-", "")):
        return InputError(c.path("billing_provider.tax_id"), "the EIN must be 9 digits")
    return None


def party_problems(c: ClaimInput, need: Iterable[tuple[str, object]], what: str) -> list[InputError]:
    """Every party in `need` that is missing, every bad NPI (billing, rendering, ordering) and a bad EIN, as one
    list (the FHIR and paper exports report them all at once); and a date of service still to come (never on a
    claim)."""
    enc = c.encounter
    problems = [InputError(c.path(name), f"required for {what} and missing") for name, value in need if not value]
    if (future := future_service(c)) is not None:
        problems.append(future)
    if (ein := ein_problem(c)) is not None:
        problems.append(ein)
    for name, prov in (("billing_provider", enc.billing_provider), ("rendering_provider", enc.rendering_provider),
                       ("ordering_provider", enc.ordering_provider)):
        if prov:
            try:
                check_npi(prov.npi, c.path(f"{name}.npi"))
            except InputError as exc:
                problems.append(exc)
    return problems


def line_charges(c: ClaimInput, charges: Chargemaster | None) -> list[Decimal]:
    """Charge per line from the chargemaster: unit_charge × units."""
    if charges is None:
        raise InputError("--charges", "charges are required: give a code,unit_charge CSV (or 'sample' for the "
                         "bundled SAMPLE with synthetic charges)")
    return [charges.line_charge(ln, c.path(f"charges[{ln.code}]")) for ln in c.result.claim.lines]


# ---------------------------------------------------------------------------------------------------- writing


def _clean(text: str | None, upper: bool = True) -> str:
    """Element text: no delimiters, single spaces, upper case (the basic character set all payers take). Chart
    fields were checked by text_field_problems; this only lays them out (and keeps envelope options safe)."""
    t = re.sub(r"[*~:^\r\n]", " ", transliterate(text or ""))
    t = re.sub(r"\s+", " ", t).strip()
    return t.upper() if upper else t


def bill_type_sent(c: ClaimInput) -> str:
    """The type of bill as every output sends it (837I CLM05-1/-3, UB-04 FL4, FHIR), 4 digits: its last digit, the
    claim's frequency, is the correction's when one is given (7 replaces, 8 voids the payer's claim named in
    REF*F8 / FL64). A type of bill ending in 7 or 8 without a correction would send a replacement that names no claim
    (the 837I guide requires REF*F8 with frequency 7 or 8): refused, naming the field."""
    tob = c.result.claim.type_of_bill or ""
    if not re.fullmatch(r"0?[0-9]{3}", tob):  # ASCII: \d takes "１"
        raise InputError(c.path("type_of_bill"), f"type of bill {tob!r} is not a 3- or 4-digit code")
    fix = c.encounter.correction
    if fix is None and tob[-1] in "78":
        raise InputError(c.path("type_of_bill"), f"type of bill {tob} ends in {tob[-1]} (a "
                         f"{'replacement' if tob[-1] == '7' else 'void'}), which needs the payer's number of the claim "
                         "it corrects: give `correction` (frequency and original_claim_id, sent in REF*F8), or bill "
                         f"{tob[:-1]}1 for an original claim")
    return "0" + tob[-3:-1] + (fix.frequency if fix else tob[-1])


def written_as(text: str) -> str:
    """An id as this writer puts it in its element (CLM01's claim id): what a payer echoes back (835 CLP01)."""
    return _clean(text)


def amount(value: Decimal) -> str:
    """An X12 R value: no exponent, no trailing zeros after the point (6000.00 → 6000, 12.50 → 12.5)."""
    s = f"{value:f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s or "0"


def _d8(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"  # strftime drops the leading zeros of years before 1000


# Segments whose elements this writer builds as composites (the component separator is legitimate there).
_COMPOSITES = {"CLM", "HI", "SV1", "SV2"}


class _Segments:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, *elements: str | None) -> None:
        parts = ["" if e is None else str(e) for e in elements]
        if parts[0] != "ISA":  # the last guard: no element carries a delimiter or a character outside the set
            for n, part in enumerate(parts[1:], start=1):
                bad = next((ch for ch in part if ch not in _ALLOWED and ch != _COMP), None)
                if bad is not None or (_COMP in part and parts[0] not in _COMPOSITES):
                    # not quoted: the value may be a patient's name (the field checks, which come first, name it)
                    raise InputError(f"{parts[0]}{n:02d}", f"element {n} of the {parts[0]} segment holds a delimiter "
                                     "or a character outside the X12 character set; it cannot be written in X12")
        while parts and parts[-1] == "":
            parts.pop()
        self.items.append(_SEP.join(parts))


def _address(seg: _Segments, a: Address) -> None:
    seg.add("N3", _clean(a.line1), _clean(a.line2) or None)
    seg.add("N4", _clean(a.city), a.state.upper(), a.zip)


def _claim_loops(seg: _Segments, c: ClaimInput, kind: Kind, charges: list[Decimal], hl: list[int],
                 parent: int, inst: Institutional) -> None:
    """2000B subscriber (+ 2000C patient), 2010BA/BB, 2300 claim, 2310 providers, 2400 lines, 2410 drugs."""
    enc, claim = c.encounter, c.result.claim
    sub, pat, payer = required(enc.subscriber, "subscriber"), required(enc.patient, "patient"), enc.payer
    bp = required(enc.billing_provider, "billing_provider")  # require_parties checked them all
    self_pat = sub.relationship == "self"
    hl[0] += 1
    sub_hl = hl[0]
    seg.add("HL", str(sub_hl), str(parent), "22", "0" if self_pat else "1")
    seg.add("SBR", "P", "18" if self_pat else None, _clean(sub.group_number) or None, None, None, None, None,
            None, _FILING[(payer.type, kind)])
    if self_pat:
        seg.add("NM1", "IL", "1", _clean(pat.last_name), _clean(pat.first_name), None, None, None, "MI",
                _clean(sub.member_id))
        _address(seg, required(pat.address, "patient.address"))
        seg.add("DMG", "D8", _d8(pat.birth_date), pat.sex)
    else:
        seg.add("NM1", "IL", "1", _clean(sub.last_name), _clean(sub.first_name) or None, None, None, None, "MI",
                _clean(sub.member_id))
        if sub.address:
            _address(seg, sub.address)
        if sub.birth_date:
            seg.add("DMG", "D8", _d8(sub.birth_date), sub.sex or "U")
    seg.add("NM1", "PR", "2", _clean(payer.name), None, None, None, None, "PI", _clean(payer.payer_id))
    if not self_pat:
        hl[0] += 1
        seg.add("HL", str(hl[0]), str(sub_hl), "23", "0")
        seg.add("PAT", _RELATIONSHIP[sub.relationship])
        seg.add("NM1", "QC", "1", _clean(pat.last_name), _clean(pat.first_name))
        _address(seg, required(pat.address, "patient.address"))
        seg.add("DMG", "D8", _d8(pat.birth_date), pat.sex)

    total = sum(charges, Decimal(0))
    dos = enc.date_of_service
    dx = [d.replace(".", "") for d in claim.diagnoses]
    auth = payer.prior_authorization.number if payer.prior_authorization else None
    fix = enc.correction
    if kind == "837P":
        pos = claim.place_of_service or ""
        # CLM05: place of service : B (professional) : frequency (1 original, 7 replacement, 8 void);
        # CLM06-09: signature on file, assigned, benefits assigned, release of information signed.
        freq = fix.frequency if fix else "1"
        seg.add("CLM", _clean(enc.claim_id), amount(total), None, None, f"{pos}{_COMP}B{_COMP}{freq}", "Y", "A", "Y",
                "Y")
        if auth:
            seg.add("REF", "G1", _clean(auth))
        if fix:  # 2300 REF*F8: the payer's claim control number of the claim replaced or voided
            seg.add("REF", "F8", _clean(fix.original_claim_id))
        seg.add("HI", *[f"{'ABK' if i == 0 else 'ABF'}{_COMP}{d}" for i, d in enumerate(dx)])
        rp = enc.rendering_provider
        if rp and npi_mod.compact(rp.npi) != npi_mod.compact(bp.npi):
            seg.add("NM1", "82", "1", _clean(rp.last_name), _clean(rp.first_name) or None, None, None, None, "XX",
                    npi_mod.compact(rp.npi))
    else:
        tob = bill_type_sent(c)[1:]
        # CLM05: facility type (TOB digits 1-2) : A (institutional) : frequency (TOB digit 3).
        seg.add("CLM", _clean(enc.claim_id), amount(total), None, None, f"{tob[:2]}{_COMP}A{_COMP}{tob[2]}", None,
                "A", "Y", "Y")
        last = max((ln.service_date or dos for ln in claim.lines), default=dos)
        seg.add("DTP", "434", "RD8", f"{_d8(dos)}-{_d8(last)}")
        seg.add("CL1", inst.admission_type, inst.point_of_origin, inst.patient_status)
        if auth:
            seg.add("REF", "G1", _clean(auth))
        if fix:
            seg.add("REF", "F8", _clean(fix.original_claim_id))
        seg.add("HI", f"ABK{_COMP}{dx[0]}")
        # Patient's reason for visit: outpatient claims carry it (TR3 2300 HI*APR); the principal diagnosis.
        seg.add("HI", f"APR{_COMP}{dx[0]}")
        others = dx[1:]
        for start in range(0, len(others), 12):
            seg.add("HI", *[f"ABF{_COMP}{d}" for d in others[start:start + 12]])
        rp = required(enc.rendering_provider, "rendering_provider")
        seg.add("NM1", "71", "1", _clean(rp.last_name), _clean(rp.first_name) or None, None, None, None, "XX",
                npi_mod.compact(rp.npi))

    for n, (ln, charge) in enumerate(zip(claim.lines, charges, strict=True), start=1):
        seg.add("LX", str(n))
        proc = _COMP.join(["HC", ln.code, *ln.modifiers])  # at most LINE_SLOTS: require_parties
        if kind == "837P":
            pointers = _COMP.join(str(p) for p in (ln.diagnosis_pointers or [1]))
            # SV105: a line's own place of service (a written claim's), else the claim's CLM05-1 holds
            seg.add("SV1", proc, amount(charge), "UN", str(ln.units), ln.place_of_service, None, pointers)
        else:
            if not ln.revenue_code:
                raise InputError(c.path(f"claim.lines[{n - 1}].revenue_code"), "an 837I line needs a revenue code")
            seg.add("SV2", ln.revenue_code, proc, amount(charge), "UN", str(ln.units))
        seg.add("DTP", "472", "D8", _d8(ln.service_date or dos))
        _drug_loop(seg, ln)
        op = enc.ordering_provider
        if kind == "837P" and op:  # 2420E ordering provider (the prescriber; DMEPOS claims require it)
            seg.add("NM1", "DK", "1", _clean(op.last_name), _clean(op.first_name) or None, None, None, None, "XX",
                    npi_mod.compact(op.npi))


def _drug_loop(seg: _Segments, ln: ClaimLine) -> None:
    """2410: LIN**N4*<11-digit NDC>, CTP****<quantity>*<unit> (unit ML, UN, GR, F2 or ME)."""
    if not ln.ndc:
        return
    if ln.ndc_quantity is None or not ln.ndc_unit:
        return  # no quantity known: the NDC cannot be reported without CTP
    seg.add("LIN", None, "N4", ln.ndc)
    seg.add("CTP", None, None, None, amount(Decimal(ln.ndc_quantity)), ln.ndc_unit)


def _interchange_ids(enc: Encounter, bp: BillingProvider, env: Envelope) -> tuple[str, str]:
    """ISA06/ISA08: the options' sender and receiver ids, else the billing NPI and the payer id."""
    return _clean(env.sender_id or npi_mod.compact(bp.npi)), receiver_of(enc, env)


def receiver_of(enc: Encounter, env: Envelope) -> str:
    """Who the claim's interchange is addressed to (ISA08, GS03, loop 1000B): the options' receiver (a
    clearinghouse, which sends each claim on to its payer), else the claim's own payer id."""
    return _clean(env.receiver_id or enc.payer.payer_id)


def mixed_receivers(claims: Sequence[ClaimInput], env: Envelope) -> InputError | None:
    """An interchange goes to one receiver: claims of payers that would each get another receiver id share one only
    when the options name the receiver (a clearinghouse). Without it the first claim's payer received every claim,
    the others' too: claims sent to the wrong payer, and their patients' data with them."""
    if env.receiver_id or not claims:
        return None
    payers: dict[str, str] = {}
    for c in claims:
        payers.setdefault(receiver_of(c.encounter, env), _clean(c.encounter.payer.name))
    if len(payers) == 1:
        return None
    first = receiver_of(claims[0].encounter, env)
    other = next(c for c in claims if receiver_of(c.encounter, env) != first)
    named = ", ".join(f"{rid} ({name})" for rid, name in payers.items())
    return InputError(other.path("payer.payer_id"), f"the claims go to {len(payers)} payers, {named}; an "
                      "interchange goes to one receiver (ISA08), and each claim would reach the first claim's "
                      "payer: export each payer's claims apart, or give --receiver-id (a clearinghouse's id) to "
                      "send them together")


def phone_digits(text: str) -> str | None:
    """PER04's 10 digits (area code and number) of a phone written as people write it, else None."""
    digits = re.sub(r"[\s().-]", "", text).removeprefix("+1")
    return digits if re.fullmatch(r"[0-9]{10}", digits) else None


def envelope_problem(c: ClaimInput, env: Envelope) -> InputError | None:
    """What the interchange's envelope takes from its first claim unless the options give it: the submitter's
    contact phone (PER04), and sender and receiver ids of 2 to 15 characters (ISA06/ISA08: the billing NPI, the
    payer id). Checked per claim where claims are gathered into one interchange (the team's export), so a claim
    that cannot open one is skipped and named instead of failing the whole export."""
    if (problem := options_problem(env)) is not None:
        return problem
    enc = c.encounter
    if enc.billing_provider is None:
        return None  # require_parties names it
    if not (env.contact_phone or enc.billing_provider.phone):
        return InputError(c.path("billing_provider.phone"), "the 837 submitter contact needs a phone number "
                          "(billing_provider.phone, or --contact-phone)")
    sender, receiver = _interchange_ids(enc, enc.billing_provider, env)
    if not 2 <= len(sender) <= 15:
        return InputError("--sender-id", "interchange ids must have 2 to 15 characters")
    if not 2 <= len(receiver) <= 15:  # an option's own length is options_problem's
        return InputError(c.path("payer.payer_id"), f"{len(receiver)} characters: the 837's receiver id (ISA08), "
                          "which defaults to the payer id, holds 2 to 15; give --receiver-id")
    return None


def options_problem(env: Envelope) -> InputError | None:
    """The envelope options' own text, named by option."""
    # Checked as a chart's is (`x12_text`): a delimiter in one ("--sender-id A~B") was made a space in silence, and
    # a phone of no digits left PER04 empty.
    for option, value, longest in (("--sender-id", env.sender_id, 80), ("--receiver-id", env.receiver_id, 80),
                                   ("--receiver-name", env.receiver_name, 60),
                                   ("--submitter-name", env.submitter_name, 60),
                                   ("--contact-name", env.contact_name, 60)):
        if value is not None:
            try:
                x12_text(value, option, longest)
            except InputError as exc:
                return exc
    if env.contact_phone is not None and phone_digits(env.contact_phone) is None:
        return InputError("--contact-phone", "give the 10 digits of a US phone number, e.g. 5555550100 (spaces, "
                          "dots, dashes, parentheses and a leading +1 are dropped)")
    if env.receiver_id is not None and not 2 <= len(_clean(env.receiver_id)) <= 15:
        return InputError("--receiver-id", "interchange ids must have 2 to 15 characters")
    return None


T = TypeVar("T")


def every_claim(claims: Sequence[ClaimInput], make: Callable[[ClaimInput], T]) -> list[T]:
    """`make` of each claim, or one InputErrors naming every claim's problems (each path prefixed by its claim's
    `where`, a claim's own problems together), so a biller fixing a file of 50 claims learns them in one run, not
    one claim a run; a problem every claim shares (no --charges) is said once. Every export (837, FHIR, the paper
    forms) checks its claims through it."""
    made: list[T] = []
    problems: list[InputError] = []
    said: set[tuple[str, str]] = set()  # a set: a list scanned per problem was quadratic in claims
    for c in claims:
        try:
            made.append(make(c))
        except InputError as exc:
            for p in getattr(exc, "errors", [exc]):
                if (p.path, p.message) not in said:
                    said.add((p.path, p.message))
                    problems.append(p)
    if problems:
        raise InputErrors(problems)
    return made


def render(claims: Sequence[ClaimInput], kind: Kind, charges: Chargemaster | None,
           envelope: Envelope | None = None) -> str:
    """One interchange (ISA/GS/ST … SE/GE/IEA) carrying every claim; claims of one billing provider share
    its 2000A loop. Claims of several payers need the envelope's receiver id (`mixed_receivers`)."""
    if not claims:
        raise InputError("(input)", "no encounters to export")
    env = envelope or Envelope()

    def checked(c: ClaimInput) -> list[Decimal]:
        check_transaction(c, kind)
        require_parties(c, kind)
        return line_charges(c, charges)

    all_charges = every_claim(claims, checked)

    if (problem := envelope_problem(claims[0], env) or mixed_receivers(claims, env)) is not None:
        raise problem
    first = claims[0].encounter
    bp0 = required(first.billing_provider, "billing_provider")
    created = env.created or datetime.now().replace(second=0, microsecond=0)
    sender, receiver = _interchange_ids(first, bp0, env)
    phone = required(env.contact_phone or bp0.phone, "billing_provider.phone")  # envelope_problem checked it
    ctrl = env.control_number
    if not 1 <= ctrl <= MAX_CONTROL_NUMBER:
        raise InputError("--control-number", f"must be 1 to {MAX_CONTROL_NUMBER}")

    seg = _Segments()
    seg.add("ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ", receiver.ljust(15),
            created.strftime("%y%m%d"), created.strftime("%H%M"), _REP, "00501", f"{ctrl:09d}", "0", env.usage,
            _COMP)
    seg.add("GS", "HC", sender, receiver, created.strftime("%Y%m%d"), created.strftime("%H%M"), str(ctrl), "X",
            GUIDES[kind])
    st_start = len(seg.items)
    st_ctrl = f"{ctrl % 10000:04d}" if ctrl < 10000 else str(ctrl)
    seg.add("ST", "837", st_ctrl, GUIDES[kind])
    seg.add("BHT", "0019", "00", f"IGC{ctrl:09d}", created.strftime("%Y%m%d"), created.strftime("%H%M"), "CH")
    seg.add("NM1", "41", "2", _clean(env.submitter_name or bp0.name), None, None, None, None, "46", sender)
    seg.add("PER", "IC", _clean(env.contact_name or env.submitter_name or bp0.name), "TE",
            required(phone_digits(phone), "--contact-phone"))
    seg.add("NM1", "40", "2", _clean(env.receiver_name or first.payer.name), None, None, None, None, "46", receiver)

    hl = [0]
    for _key, group in _by_billing_provider(claims, all_charges):
        bp = required(group[0][0].encounter.billing_provider, "billing_provider")
        hl[0] += 1
        bp_hl = hl[0]
        seg.add("HL", str(bp_hl), None, "20", "1")
        if bp.taxonomy:
            seg.add("PRV", "BI", "PXC", _clean(bp.taxonomy))
        seg.add("NM1", "85", "2", _clean(bp.name), None, None, None, None, "XX", npi_mod.compact(bp.npi))
        _address(seg, bp.address)
        seg.add("REF", "EI", bp.tax_id.replace("-", ""))
        for c, ch in group:
            _claim_loops(seg, c, kind, ch, hl, bp_hl, env.institutional)

    seg.add("SE", str(len(seg.items) - st_start + 1), st_ctrl)
    seg.add("GE", "1", str(ctrl))
    seg.add("IEA", "1", f"{ctrl:09d}")
    return "".join(s + _TERM + "\n" for s in seg.items)


def _by_billing_provider(claims: Iterable[ClaimInput], charges: list[list[Decimal]]):
    groups: dict[tuple, list[tuple[ClaimInput, list[Decimal]]]] = {}
    for c, ch in zip(claims, charges, strict=True):
        bp = required(c.encounter.billing_provider, "billing_provider")
        key = (npi_mod.compact(bp.npi), bp.tax_id, bp.name, bp.taxonomy, bp.address.model_dump_json())
        groups.setdefault(key, []).append((c, ch))
    return groups.items()


def build_claims(encounters: Sequence[Encounter], where: Sequence[str] | None = None) -> list[ClaimInput]:
    """Code each encounter with `engine.build` (the one place claims are coded). Every encounter is coded before
    one is refused, so a refusal names every encounter that cannot be coded (an unknown product, no dose), each by
    its `where`, not the first one only."""
    from igclaim import engine

    out = []
    problems: list[InputError] = []
    for i, enc in enumerate(encounters):
        prefix = where[i] if where else ""
        try:
            result = engine.build(enc)
        except InputError as exc:
            problems += [InputError(f"{prefix}{p.path}", p.message) for p in getattr(exc, "errors", [exc])]
            continue
        out.append(ClaimInput(enc, result, prefix))
    if problems:
        raise InputErrors(problems)
    return out


def to_837(encounters: Encounter | Sequence[Encounter], charges: Chargemaster | None, kind: Kind | None = None,
           envelope: Envelope | None = None) -> str:
    """One encounter, or many in one interchange; the kind defaults to the first encounter's setting."""
    encs = [encounters] if isinstance(encounters, Encounter) else list(encounters)
    claims = build_claims(encs, [f"[{i}] " if len(encs) > 1 else "" for i in range(len(encs))])
    return render(claims, kind or transaction_for(encs[0]), charges, envelope)
