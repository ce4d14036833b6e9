"""Reading 837P (005010X222, A1, A2) and 837I (005010X223, A1, A2, A3) claim files into the written-claim model.

Segments come from pyx12's `X12Reader`, which streams the file in 8 KB reads and checks the envelope (ISA/IEA,
GS/GE, ST/SE control numbers and counts, HL parents) as it goes. We chose it over linuxforhealth-x12 because it
yields one segment at a time, so memory stays flat on a 100 MB interchange; linuxforhealth-x12 builds a whole
transaction set as one pydantic model before handing it over (one ST of 50,000 claims is one object). pyx12's
map-driven validator (`x12n_document`) is not used here: it walks the TR3 map for every segment and is the
baseline the benchmark compares with (benchmarks/x12_read.py).

`read_837` yields, for every CLM in the file, exactly one `WrittenClaim` or one `ReadError` naming the segment, its
position (the segment's number in the file, 1-based) and the element; problems of the envelope itself are
`ReadError`s with no claim id. One bad claim never stops the file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, Literal, TextIO, cast, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from igclaim.errors import SHOWN_MAX, pydantic_problems, required
from igclaim.model import (
    MAX_AMOUNT,
    X12_DECIMAL,
    BillingProvider,
    Claim,
    ClaimLine,
    Correction,
    NdcUnit,
    OrderingProvider,
    Patient,
    Payer,
    PayerType,
    PriorAuthorization,
    RenderingProvider,
    Setting,
    Subscriber,
    WrittenCharges,
    in_calendar,
)
from igclaim.outputs.x12 import _FILING, _RELATIONSHIP
from igclaim.refdata import icd10
from igclaim.refdata.resolver import QuantityElement, quantity_elements, reference

Kind = Literal["837P", "837I"]

# Implementation guides read (GS08 / ST03): the base 5010 guides, their addenda (A1) and errata (A2, A3).
GUIDES: dict[str, Kind] = {
    "005010X222": "837P", "005010X222A1": "837P", "005010X222A2": "837P",
    "005010X223": "837I", "005010X223A1": "837I", "005010X223A2": "837I", "005010X223A3": "837I",
}
# SBR09 claim filing indicator (X12 code list 1032) → payer type. The codes igclaim writes (outputs/x12.py) come
# first; other commercial plan types (BL Blue Cross, HM HMO, 11-15 other non-federal, PPO, POS, EPO, indemnity)
# read as commercial. An unknown code reads as commercial with a note.
_PAYER_TYPE: dict[str, PayerType] = {}
for (_ptype, _kind), _code in _FILING.items():
    _PAYER_TYPE.setdefault(_code, _ptype)  # type: ignore[arg-type]
for _code in ("BL", "HM", "11", "12", "13", "14", "15"):
    _PAYER_TYPE.setdefault(_code, "commercial")
_REL_BY_CODE = {v: k for k, v in _RELATIONSHIP.items()}
MAX_LINES: dict[Kind, int] = {"837P": 50, "837I": 999}  # TR3 loop 2400 repeat limits
MAX_DIAGNOSES: dict[Kind, int] = {"837P": 12, "837I": 25}


@cache
def _quantity(sid: str) -> QuantityElement:
    """A service line segment's quantity element and the unit bases its guide lists (refdata/837-unit-bases.toml,
    the table CLAIM-UNITS-MINUTES and CLAIM-UNITS-DAYS read too). A basis the guide does not list (MJ on an 837I,
    DA on an 837P) is refused as any other; an empty basis reads as units. A HCPCS line's quantity is its code's
    units whatever the basis says."""
    return next(q for q in quantity_elements().values() if q.segment == sid)


class ReadError(BaseModel):
    """A claim (or the envelope) that could not be read: the segment, its number in the file and the element."""

    model_config = ConfigDict(extra="forbid")

    claim_id: str | None = None
    segment: str
    position: int
    element: str | None = None
    message: str

    def text(self) -> str:
        where = f"segment {self.position} ({self.segment}{' ' + self.element if self.element else ''})"
        who = f"claim {self.claim_id}: " if self.claim_id else ""
        return f"{who}{where}: {self.message}"


class WrittenClaim(BaseModel):
    """A claim as an 837 carries it: the written claim (lines, diagnoses, place of service or type of bill) and the
    encounter facts the 837 holds (date of service, setting, payer, prior authorization, parties)."""

    model_config = ConfigDict(extra="forbid")

    claim_id: str
    transaction: Kind
    guide: str
    position: int
    date_of_service: date
    setting: Setting
    payer: Payer
    claim: Claim
    total_charge: Decimal
    line_charges: list[Decimal]
    billing_provider: BillingProvider | None = None
    rendering_provider: RenderingProvider | None = None
    ordering_provider: OrderingProvider | None = None
    patient: Patient | None = None
    subscriber: Subscriber | None = None
    correction: Correction | None = None
    created: date | None = None  # BHT04: the day the 837 was made, read as the day it is filed
    notes: list[str] = []

    @property
    def charges(self) -> WrittenCharges:
        """CLM02 and the lines' charges, as the scrub's CLAIM-CHARGE-TOTAL reads them."""
        return WrittenCharges(self.total_charge, tuple(self.line_charges))


class _Bad(Exception):
    def __init__(self, element: str | None, message: str) -> None:
        super().__init__(message)
        self.element = element
        self.message = message


# ------------------------------------------------------------------------------------------------- elements


class _Seg:
    """One segment's elements (pyx12 has split it; we read by position, which is quicker than its path lookup)."""

    __slots__ = ("id", "els", "comp")

    def __init__(self, raw: Any, comp: str) -> None:
        self.id: str = raw.get_seg_id()
        self.els: list[str] = [e.format() for e in raw.elements]
        self.comp = comp

    def get(self, i: int) -> str:
        return self.els[i - 1].strip() if 0 < i <= len(self.els) else ""

    def parts(self, i: int) -> list[str]:
        return [p.strip() for p in self.get(i).split(self.comp)] if self.get(i) else []

    def need(self, i: int) -> str:
        v = self.get(i)
        if not v:
            raise _Bad(f"{self.id}{i:02d}", "required and missing")
        return v


def _d8(value: str, element: str, personal: bool = False) -> date:
    """A D8 date; a `personal` one (a birth date: PHI) is not quoted in the error."""
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError(value)  # D8 is exactly CCYYMMDD: 2026030299999 is no date
        day = datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        shown = "the value" if personal else repr(value[:SHOWN_MAX])
        raise _Bad(element, f"{shown} is not a CCYYMMDD date") from None
    why = None if personal else in_calendar(day)  # a birth date is checked on export, as a chart's is
    if why:
        raise _Bad(element, why)
    return day


def _ascii_shown(value: str) -> str:
    """An element that is not ASCII text, shown safely: each undecoded byte as \\xNN, cut to SHOWN_MAX."""
    return "".join(ch if ch.isascii() else f"\\x{ord(ch) - 0xDC00:02x}" if 0xDC80 <= ord(ch) <= 0xDCFF
                   else ascii(ch)[1:-1] for ch in value[:SHOWN_MAX])


def _rd8(value: str) -> date:
    """An RD8 range (CCYYMMDD-CCYYMMDD), both ends read and in order; its first day is the one igclaim uses."""
    first, sep, last = value.partition("-")
    start, end = _d8(first, "DTP03"), _d8(last if sep else "", "DTP03")
    if end < start:
        raise _Bad("DTP03", f"the range ends ({end}) before it starts ({start})")
    return start


def _dec(value: str, element: str) -> Decimal:
    if len(value) > 18:
        raise _Bad(element, "more than 18 characters")
    if not X12_DECIMAL.fullmatch(value):  # model.X12_DECIMAL: data type R
        raise _Bad(element, f"{value[:40]!r} is not an X12 decimal number (digits, a minus and a decimal point)")
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise _Bad(element, f"{value!r} is not a number") from None
    return d


def _charge(value: str, element: str) -> Decimal:
    """A charge (CLM02, SV102, SV203): from 0 to MAX_AMOUNT, the most any amount of a written claim may be. A
    negative charge, or one of 17 digits (both X12 decimals), was read and kept without a word; no claim to scrub
    bills either."""
    d = _dec(value, element)
    if d < 0 or d > MAX_AMOUNT:
        raise _Bad(element, f"the charge {value} must be an amount from 0 to {MAX_AMOUNT:,}")
    return d


def _units(value: str, element: str) -> int:
    d = _dec(value, element)
    if d != d.to_integral_value() or d < 0 or d > 99999:
        raise _Bad(element, f"units {value!r} must be a whole number from 0 to 99999")
    return int(d)


def _model(cls: type[BaseModel], data: dict, element: str) -> Any:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise _Bad(element, "; ".join(pydantic_problems(exc, cls))) from None


# ------------------------------------------------------------------------------------------------- state


@dataclass
class _Party:
    name: list[str] = field(default_factory=lambda: ["", ""])  # NM103, NM104
    ident: str = ""
    address: dict[str, str] = field(default_factory=dict)
    dmg: tuple[date, str] | None = None
    refs: dict[str, str] = field(default_factory=dict)
    phone: str = ""
    taxonomy: str = ""


@dataclass
class _ClaimState:
    claim_id: str
    position: int
    clm: _Seg
    refs: dict[str, str] = field(default_factory=dict)
    diagnoses: list[str] = field(default_factory=list)
    statement: date | None = None
    rendering: _Party | None = None
    ordering: _Party | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)
    error: ReadError | None = None
    other_payer: bool = False  # inside the 2320/2330 loops (another payer's): its REF and NM1 are not this claim's


_ADDRESS_OF = {"N3": ("line1", "line2"), "N4": ("city", "state", "zip")}


class _Reader:
    def __init__(self) -> None:
        self.kind: Kind | None = None
        self.guide = ""
        self.st_error: str | None = None
        self.submitter = _Party()
        self.billing: _Party | None = None
        self.subscriber: _Party | None = None
        self.sbr: _Seg | None = None
        self.payer: _Party | None = None
        self.patient: _Party | None = None
        self.pat_rel = ""
        self.context_errors: dict[str, ReadError] = {}  # by HL level: an error every claim below it carries
        self.level = ""
        self.party: _Party | None = None  # the NM1 loop that N3/N4/DMG/REF/PER/PRV belong to
        self.claim: _ClaimState | None = None
        self.created: date | None = None  # BHT04 of the transaction set being read
        self.pos = 0

    # --- the segment loop ------------------------------------------------------------------------------

    def feed(self, s: _Seg, pos: int) -> Iterator[WrittenClaim | ReadError]:
        self.pos = pos
        sid = s.id
        if sid in ("HL", "SE", "GE", "IEA", "ST", "GS", "ISA") or (sid == "CLM"):
            yield from self.finish()
        try:
            odd = next((i for i, e in enumerate(s.els, start=1) if not e.isascii()), None)
            if odd is not None:  # bytes open_837 kept undecoded: the claim (or its HL level) is refused, never read
                not_ascii = _Bad(f"{sid}{odd:02d}", "holds characters that are not ASCII text (an 837 uses the X12 "
                                 "basic and extended character sets)")
                if self.claim is not None:
                    if self.claim.error is None:
                        self.claim.error = self.error(not_ascii, s, self.claim.claim_id)
                    return
                if sid == "CLM":  # the claim's own segment: that claim is refused (with its segments), not its HL
                    claim_id = _ascii_shown(s.get(1)) or f"(no CLM01 at segment {pos})"
                    self.claim = _ClaimState(claim_id, pos, s)
                    self.party = None
                    self.claim.error = self.error(not_ascii, s, claim_id)
                    return
                raise not_ascii
            if sid == "ST":
                self.start_transaction(s)
            elif sid == "BHT":
                self.created = _d8(s.get(4), "BHT04") if s.get(4) else None
            elif sid == "GS":
                self.guide = s.get(8)
            elif sid == "HL":
                self.hl(s)
            elif self.claim is not None:
                if self.claim.error is None:
                    try:
                        self.claim_segment(s)
                    except _Bad as bad:
                        self.claim.error = self.error(bad, s, self.claim.claim_id)
            elif sid == "CLM":
                self.start_claim(s)
            else:
                self.header_segment(s)
        except _Bad as bad:
            err = self.error(bad, s, None)
            if sid != "HL" and self.level in ("20", "22", "23") and self.claim is None:
                self.context_errors.setdefault(self.level, err)
            else:
                yield err

    def error(self, bad: _Bad, s: _Seg, claim_id: str | None) -> ReadError:
        return ReadError(claim_id=claim_id, segment=s.id, position=self.pos, element=bad.element,
                         message=bad.message)

    def start_transaction(self, s: _Seg) -> None:
        self.kind, self.st_error, self.created = None, None, None
        self.billing = self.subscriber = self.payer = self.patient = self.sbr = None
        self.context_errors.clear()
        self.level = ""
        if s.get(1) != "837":
            self.st_error = f"transaction set {s.get(1)[:SHOWN_MAX]!r} is not an 837 claim"
            return
        guide = s.get(3) or self.guide
        kind = GUIDES.get(guide)
        if kind is None:
            self.st_error = (f"implementation guide {(guide or '')[:SHOWN_MAX]!r} is not one igclaim reads "
                             f"({', '.join(sorted(GUIDES))})")
            return
        self.kind, self.guide = kind, guide

    def hl(self, s: _Seg) -> None:
        level = s.get(3)
        if not level:
            raise _Bad("HL03", "hierarchical level code missing")
        if level == "20":
            self.billing, self.subscriber, self.patient, self.payer, self.sbr = _Party(), None, None, None, None
            self.context_errors.clear()
        elif level == "22":
            self.subscriber, self.patient, self.payer, self.sbr = _Party(), None, None, None
            self.context_errors.pop("22", None)
            self.context_errors.pop("23", None)
        elif level == "23":
            self.patient, self.pat_rel = _Party(), ""
            self.context_errors.pop("23", None)
        self.level = level  # other levels (e.g. 19 pay-to in some vendors' files) carry nothing igclaim reads
        self.party = None

    def header_segment(self, s: _Seg) -> None:
        sid = s.id
        if sid == "NM1":
            ent = s.get(1)
            party = {"41": self.submitter, "85": self.billing, "IL": self.subscriber, "PR": self.payer,
                     "QC": self.patient}.get(ent)
            if ent == "PR":
                self.payer = party = _Party()
            if party is None and ent in ("85", "IL", "QC"):
                raise _Bad("NM101", f"NM1*{ent} outside its HL level")
            self.party = party
            if party is not None:
                self.nm1(party, s)
        elif sid == "SBR":
            self.sbr = s
        elif sid == "PAT":
            self.pat_rel = s.get(1)
        elif sid == "PRV" and s.get(1) == "BI" and self.billing is not None:
            self.billing.taxonomy = s.get(3)
        else:
            self.party_segment(self.party, s)

    def nm1(self, party: _Party, s: _Seg) -> None:
        party.name = [s.get(3), s.get(4)]
        party.ident = s.get(9)

    def party_segment(self, party: _Party | None, s: _Seg) -> None:
        if party is None:
            return
        sid = s.id
        if sid in _ADDRESS_OF:
            for name, i in zip(_ADDRESS_OF[sid], range(1, 4), strict=False):
                if s.get(i):
                    party.address[name] = s.get(i)
        elif sid == "DMG":
            if s.get(1) != "D8":
                raise _Bad("DMG01", "date format must be D8")
            party.dmg = (_d8(s.need(2), "DMG02", personal=True), s.get(3) or "U")
        elif sid == "REF":
            party.refs[s.get(1)] = s.get(2)
        elif sid == "PER":
            els = s.els
            for i in range(2, len(els), 2):
                if els[i].strip() == "TE" and i + 1 < len(els):
                    party.phone = re.sub(r"\D", "", els[i + 1])
                    break
        elif sid == "PRV":
            party.taxonomy = s.get(3)

    def start_claim(self, s: _Seg) -> None:
        claim_id = s.get(1) or f"(no CLM01 at segment {self.pos})"
        self.claim = _ClaimState(claim_id, self.pos, s)
        self.party = None
        if not s.get(1):
            self.claim.error = self.error(_Bad("CLM01", "the claim has no claim id"), s, claim_id)

    def claim_segment(self, s: _Seg) -> None:
        c = required(self.claim, "the claim being read")
        sid = s.id
        line = c.lines[-1] if c.lines else None
        if sid == "LX":
            if len(c.lines) >= MAX_LINES[self.kind or "837P"]:
                raise _Bad("LX01", f"more than {MAX_LINES[self.kind or '837P']} service lines")
            c.lines.append({"n": len(c.lines) + 1})
            self.party = None
        elif sid in ("SV1", "SV2"):
            if line is None:
                raise _Bad(None, f"{sid} before any LX")
            self.service(line, s)
        elif sid == "DTP":
            qual, fmt, value = s.get(1), s.get(2), s.get(3)
            if qual not in ("434", "472"):  # other dates (admission DT, discharge hour TM …) are not read
                return
            if fmt not in ("D8", "RD8"):
                raise _Bad("DTP02", f"date format {fmt[:SHOWN_MAX]!r}: D8 or RD8")
            day = _rd8(value) if fmt == "RD8" else _d8(value, "DTP03")
            if line is not None and qual == "472":
                line["date"] = day
            elif line is None and qual in ("434", "472"):
                c.statement = day
        elif sid == "LIN":
            if line is None:
                raise _Bad(None, "LIN before any LX")
            qualifier = s.get(2)
            if qualifier != "N4":  # the guides' one code for LIN02 in loop 2410: a UP (UPC) NDC was skipped silently
                raise _Bad("LIN02", (f"product id qualifier {qualifier[:SHOWN_MAX]!r}" if qualifier else
                                     "the product id qualifier is missing") + ": a drug's NDC is reported with N4 "
                           "(National Drug Code in 5-4-2 format), the one qualifier of the 837's drug "
                           "identification (loop 2410)")
            line["ndc"] = s.need(3)
        elif sid == "CTP":
            if line is None or "ndc" not in line:
                raise _Bad(None, "CTP without its LIN")
            line["ndc_quantity"] = _dec(s.need(4), "CTP04")
            unit = (s.parts(5) or [""])[0]
            if not unit:  # X12 syntax P0405 (CTP04 and CTP05 together); both are required in loop 2410
                raise _Bad("CTP05", "the unit of the NDC quantity CTP04 is missing: CTP05-1 is one of "
                           f"{', '.join(get_args(NdcUnit))}")
            line["ndc_unit"] = unit
        elif sid == "SBR" and line is None:
            c.other_payer = True  # 2320: what follows until the first LX is another payer's (COB)
        elif sid == "REF" and line is None and not c.other_payer:  # REF*G1 in 2330B is the other payer's auth
            c.refs.setdefault(s.get(1), s.get(2))
        elif sid == "REF" and line is not None and s.get(1) == "G1":
            # 2400 REF*G1: a line's own prior authorization (the guide allows it there), so the claim has one
            c.refs.setdefault("G1", s.get(2))
        elif sid == "HI":
            for i in range(1, len(s.els) + 1):
                parts = s.parts(i)
                if len(parts) >= 2 and parts[0] in ("ABK", "ABF", "BK", "BF") and parts[1]:
                    c.diagnoses.append(icd10.format(parts[1]))
            if len(c.diagnoses) > MAX_DIAGNOSES[self.kind or "837P"]:
                raise _Bad("HI", f"more than {MAX_DIAGNOSES[self.kind or '837P']} diagnoses")
        elif sid == "NM1":
            ent = s.get(1)
            p = _Party()
            self.nm1(p, s)
            if line is None and c.other_payer:
                pass  # 2330A-I: the other payer's parties (its NM1*82 is not this claim's rendering provider)
            elif ent in ("82", "71") and c.rendering is None:
                c.rendering = p
            elif ent == "DK" and c.ordering is None:
                c.ordering = p
            self.party = p
        elif sid in ("N3", "N4", "PRV", "PER"):
            self.party_segment(self.party, s)

    def service(self, line: dict[str, Any], s: _Seg) -> None:
        sid = s.id
        if sid == "SV1":
            proc, charge, basis, qty = s.parts(1), s.get(2), s.get(3), s.get(4)
            line["place"] = s.get(5)  # SV105: the line's own place of service, when not the claim's (CLM05-1)
            line["pointers"] = [p for p in s.parts(7) if p]
            if not line["pointers"]:  # required (005010X222 SV107-1): a clearinghouse rejects the claim without it
                raise _Bad("SV107", "the line's diagnosis code pointer is missing: an 837P service line points at "
                           "one to four of the claim's diagnoses")
            el = "SV1"
        else:
            line["revenue_code"] = s.need(1)
            proc, charge, basis, qty = s.parts(2), s.get(3), s.get(4), s.get(5)
            el = "SV2"
        off = 1 if sid == "SV1" else 2
        if sid == "SV1" and not any(proc):  # required on a professional line (an 837I line may bill a revenue code
            raise _Bad("SV101", "the procedure code is missing")  # alone): read as "", every edit was skipped
        if proc and (len(proc) < 2 or not proc[1]):
            raise _Bad(f"{el}{off:02d}-2", "procedure code missing")
        line["code"] = proc[1].upper() if proc else ""
        line["modifiers"] = [m.upper() for m in proc[2:6] if m]
        line["charge"] = _charge(charge or "0", f"{el}{off + 1:02d}")
        q = _quantity(sid)
        if basis not in (*q.bases, ""):
            said = " or ".join(f"{b} ({q.names[b]})" for b in q.bases)
            raise _Bad(q.element, f"unit basis {basis[:SHOWN_MAX]!r}: {said}")
        # minutes (MJ) and days (DA) are kept as written, and told by the scrub; the quantity is read as units
        line["unit_basis"] = basis if basis in ("MJ", "DA") else None
        line["units"] = _units(qty or "0", f"{el}{off + 3:02d}")
        if not qty:
            raise _Bad(f"{el}{off + 3:02d}", "the service units are missing")

    # --- a claim is complete ---------------------------------------------------------------------------

    def finish(self) -> Iterator[WrittenClaim | ReadError]:
        c, self.claim = self.claim, None
        if c is None:
            return
        if c.error is None and self.kind is None and not self.st_error:
            c.error = ReadError(claim_id=c.claim_id, segment="CLM", position=c.position, element=None,
                                message="the claim is outside an 837 transaction set (no ST*837 before it)")
        if c.error is None and self.st_error:
            c.error = ReadError(claim_id=c.claim_id, segment="ST", position=c.position, element="ST03",
                                message=self.st_error)
        if c.error is None and self.context_errors:
            e = next(iter(self.context_errors.values()))
            c.error = ReadError(claim_id=c.claim_id, segment=e.segment, position=e.position, element=e.element,
                                message=e.message)
        if c.error is not None:
            yield c.error
            return
        try:
            yield self.build(c)
        except _Bad as bad:
            yield ReadError(claim_id=c.claim_id, segment="CLM", position=c.position, element=bad.element,
                            message=bad.message)
        except Exception as exc:  # a defect must not lose the claim or stop the file: it becomes an error
            yield ReadError(claim_id=c.claim_id, segment="CLM", position=c.position,
                            message=f"(internal) {type(exc).__name__} while reading the claim; please report it")

    def build(self, c: _ClaimState) -> WrittenClaim:
        kind: Kind = required(self.kind, "the 837's kind")
        notes: list[str] = []
        clm = c.clm
        where = clm.parts(5)
        if len(where) < 3 or not where[0]:
            raise _Bad("CLM05", "place of service (or facility type) : qualifier : frequency required")
        freq = where[2]
        if kind == "837P":
            pos, tob = where[0], None
            setting = _setting_of_pos(pos, notes)
        else:
            pos, tob = None, "0" + where[0] + freq
            setting = "hospital_outpatient"
            if where[0] not in ("13", "85"):
                notes.append(f"type of bill {tob}: igclaim codes hospital outpatient (013x) claims")
        if len(c.claim_id) > 38:
            raise _Bad("CLM01", "at most 38 characters")
        total = _charge(clm.need(2), "CLM02")
        correction = None
        if freq in ("7", "8"):
            if "F8" not in c.refs:
                raise _Bad("REF02", f"frequency {freq} (replacement or void) needs REF*F8, the original claim number")
            correction = _model(Correction, {"frequency": freq, "original_claim_id": c.refs["F8"]}, "REF*F8")
        if not c.lines:
            raise _Bad("LX", "the claim has no service lines")
        dates = [ln["date"] for ln in c.lines if "date" in ln]
        dos = c.statement or (min(dates) if dates else None)
        if dos is None:
            raise _Bad("DTP*472", "no date of service on the claim or its lines")
        lines = []
        for ln in c.lines:
            if "units" not in ln:
                raise _Bad("SV1" if kind == "837P" else "SV2", f"service line {ln['n']} has no SV1/SV2")
            pointers = []
            for p in ln.get("pointers", []):
                if not (p.isdigit() and len(p) <= 2 and 1 <= int(p) <= 12):  # no int() of 5,000 digits
                    raise _Bad("SV107", f"diagnosis pointer {p[:SHOWN_MAX]!r} is not 1 to 12")
                pointers.append(int(p))
            # _model: a value the schema refuses (a 300-character code) is an error naming the segment, not "internal"
            lines.append(_model(ClaimLine, {
                "line": ln["n"], "code": ln["code"], "modifiers": ln["modifiers"], "units": ln["units"],
                "ndc": ln.get("ndc"), "ndc_quantity": ln.get("ndc_quantity"), "ndc_unit": ln.get("ndc_unit"),
                "revenue_code": ln.get("revenue_code"), "diagnosis_pointers": pointers,
                "service_date": ln.get("date", dos), "place_of_service": _line_place(ln, pos),
                "unit_basis": ln.get("unit_basis"),
            }, f"{'SV1' if kind == '837P' else 'SV2'}/LIN (line {ln['n']})"))
        form: Literal["CMS-1500", "UB-04"] = "CMS-1500" if kind == "837P" else "UB-04"
        claim = _model(Claim, {"form": form, "place_of_service": pos, "type_of_bill": tob, "diagnoses": c.diagnoses,
                               "lines": lines}, "CLM05/HI")
        payer = self.read_payer(c, notes)
        patient, subscriber = self.read_people()
        return WrittenClaim(
            claim_id=c.claim_id, transaction=kind, guide=self.guide, position=c.position, date_of_service=dos,
            setting=setting, payer=payer, claim=claim, total_charge=total,
            line_charges=[ln["charge"] for ln in c.lines], billing_provider=self.read_billing(),
            rendering_provider=_provider(RenderingProvider, c.rendering, "NM1*82"),
            ordering_provider=_provider(OrderingProvider, c.ordering, "NM1*DK"),
            patient=patient, subscriber=subscriber, correction=correction, created=self.created, notes=notes,
        )

    def read_payer(self, c: _ClaimState, notes: list[str]) -> Payer:
        filing = self.sbr.get(9) if self.sbr else ""
        ptype = _PAYER_TYPE.get(filing)
        if ptype is None:
            ptype = "commercial"
            notes.append(f"claim filing indicator {filing or '(none)'} (SBR09) read as a commercial payer")
        auth = c.refs.get("G1")
        return _model(Payer, {
            "type": ptype, "name": (self.payer.name[0] if self.payer and self.payer.name else None) or None,
            "payer_id": (self.payer.ident if self.payer else None) or None,
            "prior_authorization": _model(PriorAuthorization, {"number": auth}, "REF*G1") if auth else None,
        }, "NM1*PR")

    def read_billing(self) -> BillingProvider | None:
        b = self.billing
        if b is None or not b.ident:
            return None
        tax = b.refs.get("EI") or b.refs.get("SY")
        if not tax or "line1" not in b.address:
            return None
        phone = b.phone or (self.submitter.phone if self.submitter.ident == b.ident else "")
        return _model(BillingProvider, {
            "npi": b.ident, "tax_id": tax, "name": " ".join(n for n in b.name if n), "taxonomy": b.taxonomy or None,
            "address": b.address, "phone": phone or None,
        }, "NM1*85")

    def read_people(self) -> tuple[Patient | None, Subscriber | None]:
        sub = self.subscriber
        if sub is None:
            return None, None
        self_pat = self.patient is None
        group = self.sbr.get(3) if self.sbr else ""
        rel = "self" if self_pat else _REL_BY_CODE.get(self.pat_rel, "other")
        person = required(sub if self_pat else self.patient, "the patient's loop")
        patient = None
        if person.dmg and person.name and person.name[0]:
            patient = _model(Patient, {
                "id": sub.ident or "(none)", "last_name": person.name[0], "first_name": person.name[1] or "",
                "birth_date": person.dmg[0], "sex": person.dmg[1],
                # validated within Patient, a personal model: a bad ZIP is named, never quoted (PHI)
                "address": person.address or None,
            }, "NM1*IL" if self_pat else "NM1*QC")
        data: dict[str, Any] = {"member_id": sub.ident, "relationship": rel, "group_number": group or None}
        if not self_pat:
            data.update({"last_name": sub.name[0] or None, "first_name": sub.name[1] or None})
            if sub.dmg:
                data.update({"birth_date": sub.dmg[0], "sex": sub.dmg[1]})
            if sub.address:
                data["address"] = sub.address  # within Subscriber, a personal model (as the patient's)
        subscriber = _model(Subscriber, data, "NM1*IL") if sub.ident else None
        return patient, subscriber


def _provider(cls: type[BaseModel], p: _Party | None, element: str) -> Any:
    if p is None or not p.ident:
        return None
    return _model(cls, {"npi": p.ident, "last_name": p.name[0], "first_name": p.name[1] or None}, element)


def _line_place(line: dict[str, Any], claim_place: str | None) -> str | None:
    """A line's SV105 when it names another place than the claim's CLM05-1 (two digits, as CLM05-1), else None."""
    place = line.get("place") or None
    if place is None or place == claim_place:
        return None
    if not (len(place) == 2 and place.isdigit()):
        raise _Bad("SV105", f"place of service {place[:SHOWN_MAX]!r} of line {line['n']}: two digits")
    return place


def _setting_of_pos(pos: str, notes: list[str]) -> Setting:
    """The setting whose place of service (refdata/cms/settings.toml) the claim names, or home for a home-like place
    (13 assisted living, …: `ReferenceData.home_places`); else office, noted."""
    name = reference().setting_of_place(pos)
    if name is not None:
        return cast(Setting, name)
    notes.append(f"place of service {pos} is not one igclaim codes (office 11, home 12 or a home-like place): read "
                 "as office")
    return "office"


def open_837(path: str | Path) -> TextIO:
    """An 837 file (or stdin, '-') as text for read_837: a leading UTF-8 BOM is skipped (as everywhere else in
    igclaim), and a byte that is not ASCII is kept as an undecoded character, so the segment holding it is refused
    by name instead of the whole file failing (or the byte being silently replaced)."""
    if str(path) == "-":
        import sys

        stdin: Any = sys.stdin.buffer  # a BufferedReader: peek reads ahead without taking (a pipe cannot seek)
        if stdin.peek(3)[:3] == b"\xef\xbb\xbf":
            stdin.read(3)
        return io.TextIOWrapper(stdin, encoding="ascii", errors="surrogateescape", newline="")
    f = Path(path).open("rb")  # noqa: SIM115 - returned open, closed by the caller (or the wrapper)
    if f.read(3) != b"\xef\xbb\xbf":
        f.seek(0)
    return io.TextIOWrapper(f, encoding="ascii", errors="surrogateescape", newline="")


# Problems of the file itself (no claim id: empty or unreadable segments, envelope errors) listed per file; the rest
# are counted in one last error. 5 MB of `~~~` gave 5,000,000 lines (489 MB) on stderr. A claim's own error is
# never held back: every CLM still comes out, as a claim or an error.
MAX_FILE_PROBLEMS = 100


def read_837(source: str | Path | TextIO) -> Iterator[WrittenClaim | ReadError]:
    """Every claim of an 837 file, in file order, as a `WrittenClaim` or a `ReadError`; then any envelope error.
    At most MAX_FILE_PROBLEMS errors of the file itself are listed; one more error counts those left out."""
    listed, left_out, last = 0, 0, None
    for item in _read_837(source):
        if isinstance(item, ReadError) and item.claim_id is None:
            listed += 1
            if listed > MAX_FILE_PROBLEMS:
                left_out, last = left_out + 1, item
                continue
        yield item
    if last is not None:
        yield ReadError(segment="?", position=last.position, message=(
            f"… and {left_out:,} more problems of the file itself (empty or unreadable segments, envelope errors; "
            f"the last at segment {last.position}) after the first {MAX_FILE_PROBLEMS}, not listed. Every claim is "
            "listed, read or not."))


def _empty_segments(first: int, last: int) -> ReadError:
    """One error for a run of empty segments (terminators in a row), however long."""
    if first == last:
        return ReadError(segment="?", position=first, message="empty segment (two segment terminators in a row), "
                         "skipped")
    return ReadError(segment="?", position=first, message=f"{last - first + 1:,} empty segments in a row (segments "
                     f"{first} to {last}: segment terminators in a row), skipped")


def _read_837(source: str | Path | TextIO) -> Iterator[WrittenClaim | ReadError]:
    import pyx12.errors
    import pyx12.segment
    from pyx12.x12file import X12Reader

    if isinstance(source, str | Path):
        try:
            source = open_837(source)
        except OSError as exc:
            yield ReadError(segment="ISA", position=1, message=f"cannot read: {exc.strerror}")
            return
    try:
        reader = X12Reader(source)
    except (pyx12.errors.X12Error, UnicodeDecodeError, OSError) as exc:
        bad = _isa_read_again(source) if isinstance(exc, pyx12.errors.X12Error) else None
        yield (ReadError(segment="ISA", position=1, element=bad[0], message=bad[1]) if bad else
               ReadError(segment="ISA", position=1, message=f"not an X12 interchange: {ascii(str(exc))[1:-1]}"))
        return
    if not _isa_readable(isa := reader.raw.buffer[:ISA_LENGTH]):
        element, why = isa_problem(isa) or ("ISA16", _DELIMITERS_WRONG)
        yield ReadError(segment="ISA", position=1, element=element, message=why)
        return
    state = _Reader()
    comp = reader.subele_term or ":"
    pos = 0
    empty_from = 0  # the first of a run of empty segments not yet told
    try:
        with reader:
            # X12Reader.__iter__, one segment at a time, but a segment its envelope checks cannot handle (e.g. a
            # trailer with no open loop) is reported and skipped instead of ending the iteration.
            reader.err_list = []
            for line in _raw_segments(reader.raw):
                pos += 1
                line = line.strip()
                if not line:
                    empty_from = empty_from or pos
                    continue
                if empty_from:
                    yield _empty_segments(empty_from, pos - 1)
                    empty_from = 0
                if pos == 2 and (found := _other_terminator(line, reader)) is not None:
                    yield _terminator_error(found, reader.seg_term)  # no claim read yet: nothing else to account for
                    return
                seg_id = line.split(reader.ele_term or "*", 1)[0]
                if not _SEGMENT_ID.fullmatch(seg_id):  # a terminator inside a value: what follows may be a name
                    yield ReadError(segment="?", position=pos, message=f"segment {pos}: its identifier is not an X12 "
                                    f"segment identifier ({len(seg_id)} characters, not quoted: it may be part of a "
                                    "value, cut by a segment terminator inside it), skipped")
                    continue
                if ("\n" in line or "\r" in line) and re.search(
                        rf"[\r\n]+{_SEGMENT_ID.pattern}{re.escape(reader.ele_term or '*')}", line):
                    # segments after a line break: the file's terminator is not the one its ISA declares (a line
                    # break inside a value alone, as in a note, is left to the segment's own reading)
                    yield from state.finish()
                    yield ReadError(segment=line[:3], position=pos, message=(
                        f"segment {pos} runs over line breaks: the file ends its segments with line breaks, not "
                        f"with {reader.seg_term!r}, the segment terminator its ISA declares (ISA's last character); "
                        f"no claim after it can be read. End every segment with {reader.seg_term!r} (a line break "
                        "may follow it)."))
                    return
                try:
                    raw = pyx12.segment.Segment(line, reader.seg_term, reader.ele_term, reader.subele_term)
                    reader._parse_segment(raw)
                except (pyx12.errors.X12Error, IndexError, ValueError, TypeError, KeyError) as exc:
                    yield ReadError(segment=line.split(reader.ele_term or "*", 1)[0][:3] or "?", position=pos,
                                    message=f"unreadable segment, skipped ({type(exc).__name__}: {exc})")
                    reader.pop_errors()
                    continue
                seg = _Seg(raw, comp)
                yield from state.feed(seg, pos)
                for err in reader.pop_errors():
                    yield _envelope_error(err, seg.id, pos)
            if empty_from:
                yield _empty_segments(empty_from, pos)
            yield from state.finish()
            reader.cleanup()
            for err in reader.pop_errors():
                yield _envelope_error(err, "IEA", pos)
    except UnicodeDecodeError as exc:
        yield from state.finish()
        yield ReadError(segment="?", position=pos + 1, message=f"not ASCII text: {exc.reason}")
    except SegmentTooLong as long:
        if pos == 1 and (found := _other_terminator(long.head, reader, cut=True)) is not None:
            yield _terminator_error(found, reader.seg_term)
            return
        yield from state.finish()
        yield ReadError(segment="?", position=pos + 1, message=f"a segment runs over {MAX_SEGMENT:,} characters "
                        "without the segment terminator its ISA declares: the rest of the file is not read")


_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")  # X12 segment identifiers: ISA, GS, ST, NM1, SV1, HI …


def _isa_read_again(source: Any) -> tuple[str, str] | None:
    """pyx12 refused the ISA by its first 106 characters (an unknown version where ISA12 should be): read the file's
    start again, when it can be, to name the element of the wrong length."""
    try:
        source.seek(0)
        return isa_problem(source.read(ISA_LENGTH * 2))
    except (AttributeError, OSError, ValueError, UnicodeDecodeError):
        return None  # a stream that cannot be read again (stdin)


# The ISA's 16 elements have fixed lengths (X12.5 interchange control structure; the 837 TR3's appendix C), so a
# reader finds the component separator and the segment terminator by position, as its 105th and 106th characters:
# one character too many or too few in ISA06 or ISA13 made every later segment unreadable (659 errors, none naming
# the cause).
ISA_ELEMENT_LENGTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
ISA_LENGTH = 3 + sum(ISA_ELEMENT_LENGTHS) + len(ISA_ELEMENT_LENGTHS) + 1  # 106: the id, elements, separators, end
_DELIMITERS_WRONG = ("the component separator (ISA16) and the segment terminator (the ISA's last character) must be "
                     "two different characters, neither a letter, a digit nor the element separator; this "
                     "interchange cannot be read.")


def _isa_readable(isa: str) -> bool:
    """Whether the ISA's 106 characters hold its 16 elements and sane delimiters where a reader looks for them. An
    element of another length made up by another (ISA06 of 16, ISA08 of 14) still reads, and is left to the payer."""
    parts = isa[:-1].split(isa[3])
    return len(parts) == 17 and len(parts[16]) == 1 and _sane(isa[3], isa[-2], isa[-1]) \
        and parts[11] != isa[-1]


def _sane(ele: str, comp: str, term: str) -> bool:
    return len(comp + term) == 2 and not (term.isalnum() or comp.isalnum() or term in (ele, comp) or comp == ele)


def isa_problem(text: str) -> tuple[str, str] | None:
    """(element, why) when the interchange's first segment, `text` (the ISA and whatever follows it), is not in the
    ISA's fixed layout: the first element of another length, or delimiters that cannot be (a terminator that is a
    letter or another delimiter). No value is quoted."""
    if len(text) < 4 or not text.startswith("ISA"):
        return None  # not an ISA at all: pyx12 says so
    parts = text.split(text[3], 16)  # "ISA", ISA01 … ISA15, then ISA16 with the terminator and the rest
    for n, want in enumerate(ISA_ELEMENT_LENGTHS[:-1], start=1):
        if n >= len(parts) - 1:
            return f"ISA{n:02d}", (f"the ISA ends before its element {n}; its fixed layout has 16 elements, so this "
                                   "interchange cannot be read.")
        if len(parts[n]) != want:
            return f"ISA{n:02d}", (
                f"{len(parts[n])} characters where the ISA's fixed layout has {want}: every ISA element has a fixed "
                f"length, so the separators and the segment terminator are found by position, and this interchange "
                "cannot be read. Pad or cut the element to its length.")
    last = parts[-1]
    if not _sane(text[3], last[:1], last[1:2]):
        return "ISA16", _DELIMITERS_WRONG
    if parts[11] == last[1:2]:  # 5010's repetition separator (4010's "U" is a letter: never a terminator)
        return "ISA11", ("the repetition separator (ISA11) is the segment terminator (the ISA's last character): the "
                         "ISA itself is cut there, so this interchange cannot be read. Give ISA11 a character of its "
                         "own (^ is usual).")
    return None


# The longest segment read: an 837 segment holds at most a few hundred characters (SV1/SV2 with their composites,
# a 2300 NTE of 80); one without a terminator for this long is not X12, and is not held in memory whole.
MAX_SEGMENT = 100_000


class SegmentTooLong(Exception):
    def __init__(self, head: str) -> None:
        super().__init__(f"a segment runs over {MAX_SEGMENT:,} characters")
        self.head = head  # the text read after the ISA, to tell whether it is a file of another terminator


def _other_terminator(text: str, reader: Any, cut: bool = False) -> str | None:
    """The character that ends the segments of `text`, the first segment after the ISA as read up to the terminator
    the ISA declares, when it is another one: text such as `GS*…~ST*…~…~IEA*1*000000001~` is every segment of the
    file, each ended by `~` where the ISA's last character says `|`. Only a split by that character into pieces
    that all start as segments do (an identifier and the element separator) counts, so a value holding it does
    not. Line breaks alone are the segment loop's own case. `cut`: the text stops mid-file, so its last piece may
    be a segment cut short."""
    ele = reader.ele_term or "*"
    starts = re.compile(rf"{_SEGMENT_ID.pattern}{re.escape(ele)}")
    taken = {ele, reader.subele_term, reader.seg_term, getattr(reader, "repetition_term", None)}
    for ch in dict.fromkeys(c for c in text if not (c.isalnum() or c.isspace() or c in taken)):
        pieces = [p.strip() for p in text.split(ch)]
        if cut:
            pieces = pieces[:-1]
        pieces = [p for p in pieces if p]
        if len(pieces) >= 2 and all(starts.match(p) for p in pieces):
            return ch
    return None


def _terminator_error(found: str, declared: str) -> ReadError:
    return ReadError(segment="ISA", position=1, element="ISA16", message=(
        f"the file ends its segments with {found!r}, but its ISA declares {declared!r} as the segment terminator (the "
        f"character right after ISA16, the ISA's last): no claim can be read. End the ISA with {found!r}, or end "
        f"every segment with {declared!r}."))


def _raw_segments(raw: Any) -> Iterator[str]:
    """The segments of pyx12's RawX12File (its buffer holds the text after the ISA it has read), 8 KB at a time.
    Unlike RawX12File.__iter__, an empty segment does not end the file, and a last segment without its terminator
    is still returned, so no claim after either is silently lost."""
    term, buf = raw.seg_term, raw.buffer
    start = 0  # where the terminator is looked for: a segment without one is searched once, not again per 8 KB
    while True:
        cut = buf.find(term, start)
        if cut == -1:
            if len(buf) > MAX_SEGMENT:
                raise SegmentTooLong(buf[:MAX_SEGMENT])
            more = raw.fd.read(8192)
            if more:
                start = len(buf)
                buf += more
                continue
            if buf.strip():
                yield buf
            return
        yield buf[:cut]
        buf = buf[cut + 1:]
        start = 0


def _envelope_error(err: tuple, seg_id: str, pos: int) -> ReadError:
    level, code, text, _value, line = err
    return ReadError(segment=seg_id, position=line or pos, element=None, message=f"{level} error {code}: {text}")
