"""Reading 835 remittances (ASC X12N 005010X221A1) with pyx12's context reader.

pyx12 splits the interchange (its own delimiters from ISA), walks each segment through the 835 map and tells
which loop it belongs to (2100 claim, 2110 service line), and records where the file departs from the guide.
This module only turns those segments into plain records: a claim payment (CLP, claim-level CAS, MOA/MIA
remarks) with its service lines (SVC, DTM, CAS, AMT*B6, LQ). Nothing is decided here: explaining is mapping.py.

A claim whose segments cannot be read (a missing CLP element, an amount that is not a number, a CAS group
that does not exist) becomes a `ClaimPayment` with `problems`, never a silent drop; a file that is not an
835 at all raises `RemitError` naming why.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from igclaim.model import X12_DECIMAL

MAX_BYTES = 50 * 1024 * 1024  # a remittance larger than this is refused, not read into memory
MAX_AMOUNT = Decimal("99999999.99")  # R elements are at most 18 digits; no IG claim comes near this
GROUPS = ("CO", "PR", "OA", "PI", "CR")  # CR: 4010 only, still read
_CODE = re.compile(r"^[A-Z0-9]{1,5}$")


class RemitError(ValueError):
    """The file cannot be read as an 835 at all (not X12, not an 835, too large)."""


@dataclass
class Adjustment:
    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass
class ServiceLine:
    number: int
    qualifier: str
    code: str
    modifiers: list[str]
    charge: Decimal
    paid: Decimal
    revenue_code: str | None = None
    units_paid: Decimal | None = None
    original_code: str | None = None
    original_modifiers: list[str] = field(default_factory=list)
    units_billed: Decimal | None = None
    service_date: date | None = None
    allowed: Decimal | None = None
    control_number: str | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    @property
    def billed_code(self) -> str:
        """The code the provider billed (SVC06 when the payer paid under another code)."""
        return self.original_code or self.code

    @property
    def billed_modifiers(self) -> list[str]:
        return self.original_modifiers if self.original_code else self.modifiers

    @property
    def billed_units(self) -> Decimal | None:
        return self.units_billed if self.units_billed is not None else self.units_paid


@dataclass
class ProviderAdjustment:
    """One reason/amount pair of a PLB segment: an adjustment to the whole payment, not to a claim. The amount is
    subtracted from the payment (BPR02 = the claims' CLP04 − the PLB amounts): positive takes, negative adds."""

    reason: str
    amount: Decimal
    reference: str | None = None  # PLB03-2: the claim a recovery is for, an interest period, a check number
    segment: int = 0


@dataclass
class ClaimPayment:
    """One CLP loop (2100) and its lines; `segment` is its position in the file for error messages."""

    segment: int
    claim_id: str = ""
    status: str = ""
    charge: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    patient_responsibility: Decimal | None = None
    filing_indicator: str | None = None
    payer_claim_id: str | None = None
    facility: str | None = None
    frequency: str | None = None
    statement_from: date | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    lines: list[ServiceLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the claim cannot be explained: reported as an error
    warnings: list[str] = field(default_factory=list)  # explained, with a caveat (unbalanced)
    paid_read: bool = True  # CLP04 was an amount (else `paid` is 0 and the payment cannot be reconciled)

    @property
    def is_reversal(self) -> bool:
        return self.status == "22"

    @property
    def is_predetermination(self) -> bool:
        """CLP02 = 25, "predetermination pricing only, no payment": what the payer would do, not a decision."""
        return self.status == "25"


@dataclass
class Remittance:
    """One 835 transaction (ST…SE): the payment, payer, payee and the claims it pays."""

    control_number: str
    payer: str | None = None
    payer_id: str | None = None
    payee: str | None = None
    payee_id: str | None = None
    trace_number: str | None = None
    total_paid: Decimal = Decimal(0)
    payment_method: str | None = None
    payment_date: date | None = None
    production_date: date | None = None
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[tuple[str, Decimal]] = field(default_factory=list)  # (reason, amount) of `plb`
    guide_problems: list[str] = field(default_factory=list)
    plb: list[ProviderAdjustment] = field(default_factory=list)  # the PLB pairs, with their references
    envelope_problems: list[str] = field(default_factory=list)  # the file's (ISA, GS…), on its first remittance only
    source: str | None = None  # the file it was read from (set by the command)
    # The earlier remittance of the run holding this same payment (set by the command): its PLBs are counted there.
    repeat_of: str | None = None
    # Who pays it, to tell one payer's claims from another's (set by the command: report.same_payers), and, when it
    # has no payer identifier and its name is shared by payers of several identifiers, those identifiers.
    payer_key: str | None = None
    payer_ids_of_name: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)  # the payment does not balance (or cannot be checked)
    problems: list[str] = field(default_factory=list)  # the payment itself is invalid (a negative BPR02)

    @property
    def claims_paid(self) -> Decimal:
        """The sum of the claims' CLP04 (reversals negative)."""
        return sum((c.paid for c in self.claims), Decimal(0))

    @property
    def provider_adjusted(self) -> Decimal:
        """The sum of the PLB amounts (subtracted from the payment)."""
        return sum((a.amount for a in self.plb), Decimal(0))

    def payment_key(self) -> tuple[Any, ...] | None:
        """What makes two remittances the same payment read twice: payer, trace number (TRN02), BPR02, date, claims
        and adjustments all alike. None without a trace number (nothing then tells one payment from another)."""
        if not self.trace_number:
            return None
        return (self.payer_id, self.payer, self.trace_number, self.total_paid, self.payment_date,
                tuple((a.reason, a.amount, a.reference) for a in self.plb),
                tuple((c.claim_id, c.payer_claim_id, c.status, c.charge, c.paid) for c in self.claims))

    @property
    def as_of(self) -> date | None:
        """The date the payer decided: the production date, else the payment date."""
        return self.production_date or self.payment_date


def decode_835(data: bytes) -> str:
    """An 835's bytes as text. A byte that is not UTF-8 refuses the file, naming its segment: replacing it could
    change a claim number or an amount, and no claim of a remittance may be lost or misread silently."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = len(data) - len(data.lstrip(b"\xef\xbb\xbf \r\n\t"))
        term = data[start + 105:start + 106] if data[start:start + 3] == b"ISA" else b""
        where = f"segment {data.count(term, 0, exc.start) + 1}, " if term and term.isascii() else ""
        raise RemitError(f"not UTF-8 text ({where}byte {exc.start + 1} is 0x{data[exc.start]:02x}): re-export the "
                         "remittance from the payer or clearinghouse; igclaim does not guess a replacement") from None


def read_835(text: str) -> list[Remittance]:
    """Every 835 transaction of an interchange, claims in file order."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise RemitError(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    stripped = text.lstrip("\ufeff \r\n\t")
    if not stripped.startswith("ISA"):
        raise RemitError("not an X12 interchange (it does not start with ISA)")
    if len(stripped) < 106:
        raise RemitError("unreadable X12: the ISA segment is incomplete")
    sep, term = stripped[3], stripped[105]
    # Counted as the segments go by, not kept: a list of every segment held about 3 bytes per byte of the file
    # through pyx12's walk (only a refusal needs one again, below).
    segments = clp_count = 0
    last = ""
    for last in _segments(stripped, term):
        segments += 1
        clp_count += last.startswith(f"CLP{sep}")
    if not last.startswith(f"IEA{sep}"):
        raise RemitError("the file is truncated (it does not end with IEA): claims may be missing; ask the payer "
                         "for the whole remittance")
    import pyx12.error_handler
    import pyx12.errors
    import pyx12.params
    import pyx12.x12context

    param = pyx12.params.params()
    errh = pyx12.error_handler.err_handler()
    log = logging.getLogger("pyx12")  # pyx12 logs each departure; they are collected below instead
    saved = log.propagate, log.handlers[:]
    log.propagate, log.handlers = False, [logging.NullHandler()]
    try:
        reader = pyx12.x12context.X12ContextReader(param, errh, _TextReader(stripped))
        remits, walked = _walk(reader)
    except pyx12.errors.X12Error as exc:  # envelope problems pyx12 cannot walk past
        raise RemitError(f"unreadable X12: {exc}") from None
    except pyx12.errors.EngineError as exc:
        raise RemitError(f"pyx12 could not read it: {exc}") from None
    except Exception as exc:  # hostile input can break pyx12 anywhere: the file is refused, never half-read
        raise RemitError(f"pyx12 could not read it ({type(exc).__name__}); the envelope is damaged") from None
    finally:
        log.propagate, log.handlers = saved
    if walked < segments:  # pyx12's segment loop ends, without a word, at an empty segment or one over its 8 KB read
        lost = next(itertools.islice(_segments(stripped, term), walked, None)).split(sep, 1)[0][:3]
        raise RemitError(f"the segments from segment {walked + 1} ({lost}) of {segments} on could not be read (an "
                         "empty segment, two terminators in a row, or a segment over 8,000 characters stops the X12 "
                         "reader): what follows (adjustments, claims, the SE/IEA) would be lost; ask the payer for the "
                         "whole remittance")
    if not remits:
        raise RemitError("no 835 transaction found (ST*835)")
    read = sum(len(r.claims) for r in remits)
    if read != clp_count:  # never lose a claim silently: refuse the file instead
        raise RemitError(f"{clp_count} claim payments (CLP) in the file but {read} could be placed in an 835")
    attach_guide_problems(remits, guide_report(errh))
    return remits


def _segments(text: str, term: str) -> Iterator[str]:
    """The segments of an interchange, stripped, the empty ones left out (`[s.strip() for s in text.split(term) if
    s.strip()]`, one at a time)."""
    start = 0
    while True:
        end = text.find(term, start)
        piece = (text[start:] if end < 0 else text[start:end]).strip()
        if piece:
            yield piece
        if end < 0:
            return
        start = end + len(term)


class _TextReader:
    """The file object pyx12's reader takes (`closed`, `read(n)`), over the text itself: io.StringIO held a copy of
    it at 4 bytes a character for the whole walk."""

    closed = False

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def read(self, size: int = -1) -> str:
        end = len(self.text) if size is None or size < 0 else self.pos + size
        out = self.text[self.pos:end]
        self.pos += len(out)
        return out


def attach_guide_problems(remits: list[Remittance], report: GuideReport) -> None:
    """Each transaction's departures from the guide to its own remittance (after the remittance's own problems, a
    PLB amount), the envelope's (ISA, GS, GE, IEA) once, to the file's first remittance. Every problem was given
    to every remittance of the file: the second payer's entry listed the first payer's segment errors."""
    envelope = list(report.envelope)
    if [c for c, _ in report.transactions] == [r.control_number for r in remits]:
        for r, (_, problems) in zip(remits, report.transactions, strict=True):
            r.guide_problems = [*r.guide_problems, *problems]
    else:  # pyx12 did not see the transactions the reader did (a damaged ST): matched by ST02 when it is unique
        for control, problems in report.transactions:
            same = [r for r in remits if r.control_number == control]
            if len(same) == 1:
                same[0].guide_problems = [*same[0].guide_problems, *problems]
            else:
                envelope += [f"transaction {control or '?'}, {p}" for p in problems]
    remits[0].envelope_problems = envelope[:200]


# The segments that carry a person's name, address, birth date, contact or identifiers in an 835 (NM1 QC/IL,
# N3/N4 of a payee, PER, REF): pyx12's text about them is kept without the values it quotes.
_PERSONAL_SEGMENTS = frozenset({"NM1", "N3", "N4", "DMG", "PER", "REF"})
_QUOTED = re.compile(r"\([^()]*\)|\"[^\"]*\"|'[^']*'")


@dataclass
class GuideReport:
    """Departures from the 835 guide that pyx12 recorded, as 'segment N (ID): text' lines (N counted from the
    transaction's ST, as SE counts): those of each 835 transaction (its ST02 and its lines, in file order), and
    those of the envelope (ISA, GS, GE, IEA, or a transaction that is not an 835)."""

    transactions: list[tuple[str, list[str]]] = field(default_factory=list)
    envelope: list[str] = field(default_factory=list)


def guide_report(errh: object) -> GuideReport:
    import pyx12.errh_json

    report = GuideReport()
    buf = io.StringIO()
    try:
        errh.accept(pyx12.errh_json.errh_json_visitor(buf))  # type: ignore[attr-defined]
        tree = json.loads(buf.getvalue() or "{}")
    except Exception:  # the report of problems must never stop the reading of payments
        return report

    def walk(node: object, where: str, out: list[str], prefix: str = "", personal: bool = False) -> None:
        if isinstance(node, dict):
            if "trn_set_id" in node:  # ST…SE: its problems are its own
                control = str(node.get("trn_set_control_num") or "")
                if str(node.get("trn_set_id")) == "835":
                    report.transactions.append((control, []))
                    out, where = report.transactions[-1][1], "ST…SE"
                else:  # not an 835: no remittance to attach it to
                    out, prefix = report.envelope, f"transaction {control or '?'} (not an 835), "
                    where = "ST…SE"
            if "seg_count" in node:
                seg_id = str(node.get("seg_id"))
                where = f"segment {node['seg_count']} ({seg_id})"
                personal = seg_id in _PERSONAL_SEGMENTS
            for e in node.get("errors", []) or []:
                text = str(e.get("err_str"))
                # pyx12 quotes the value it found ("invalid character(DÖE)"): in a person's segment that is PHI
                if len(out) < 200:
                    out.append(f"{prefix}{where}: {_QUOTED.sub('(value not shown)', text) if personal else text}")
            for v in node.values():
                if isinstance(v, list):
                    for child in v:
                        walk(child, where, out, prefix, personal)

    walk(tree, "envelope", report.envelope)
    return report


def _walk(reader: object) -> tuple[list[Remittance], int]:
    """The remittances of the segments pyx12 walked, and how many segments it walked."""
    remits: list[Remittance] = []
    remit: Remittance | None = None
    claim: ClaimPayment | None = None
    line: ServiceLine | None = None
    entity: str | None = None
    in_835 = False
    seg_no = 0
    unreadable: dict[int, list[str]] = {}  # remittance → the amounts it needs for BPR02's check that were not read
    for node in reader.iter_segments():  # type: ignore[attr-defined]
        seg = node.seg_data
        sid = seg.get_seg_id()
        seg_no += 1
        loop = node.x12_map_node.parent.id if node.x12_map_node is not None else ""
        v = _Values(seg)
        if sid == "ST":
            in_835 = v.get(1) == "835"
            if in_835:
                remit = Remittance(control_number=v.get(2) or "")
                remits.append(remit)
                unreadable[len(remits) - 1] = ["BPR (there is no BPR segment)"]
                claim = line = None
            continue
        if not in_835 or remit is None:
            continue
        if sid == "SE":
            in_835 = False
            continue
        if sid == "BPR":
            total = v.money(2, "BPR02")
            remit.total_paid = total or Decimal(0)
            unreadable[len(remits) - 1] = [] if total is not None else ["BPR02"]
            if total is not None and total < 0:
                remit.problems.append(negative_payment(remit, total))
            remit.payment_method = v.get(4)
            remit.payment_date = v.date(16)
        elif sid == "TRN":
            remit.trace_number = v.get(2)
        elif sid == "DTM" and loop == "HEADER" and v.get(1) == "405":
            remit.production_date = v.date(2)
        elif sid == "N1" and loop in ("1000A", "1000B"):
            entity = v.get(1)
            if entity == "PR":
                remit.payer = v.get(2)
            elif entity == "PE":
                remit.payee, remit.payee_id = v.get(2), v.get(4)
        elif sid == "REF" and loop == "1000A" and v.get(1) == "2U":
            remit.payer_id = v.get(2)
        elif sid == "CLP":
            claim = _claim(v, seg_no)
            remit.claims.append(claim)
            line = None
        elif sid == "SVC" and claim is not None:
            line = _line(v, len(claim.lines) + 1, claim)
            claim.lines.append(line)
        elif sid == "CAS" and claim is not None:
            # The guide puts claim-level CAS before the first SVC: after one, a CAS is the line's (also when a
            # payer's SVC is malformed and pyx12 cannot place it in loop 2110).
            if line is not None:
                line.adjustments.extend(_cas(v, claim, f"line {line.number}"))
            else:
                claim.adjustments.extend(_cas(v, claim, "claim"))
        elif sid == "LQ" and line is not None:
            code = v.get(2)
            if v.get(1) == "HE" and code:
                line.remarks.append(code.upper())
        elif sid in ("MOA", "MIA") and claim is not None:
            positions = (3, 4, 5, 6, 7) if sid == "MOA" else (5, 20, 21, 22, 23)
            claim.remarks.extend(c.upper() for c in (v.get(p) for p in positions) if c)
        elif sid == "DTM" and claim is not None:
            if line is not None and v.get(1) in ("472", "150"):
                line.service_date = line.service_date or v.date(2)
            elif line is None and v.get(1) == "232":
                claim.statement_from = v.date(2)
        elif sid == "AMT" and line is not None and v.get(1) == "B6":
            line.allowed = v.money(2, "AMT02", claim)
        elif sid == "REF" and line is not None and v.get(1) == "6R":
            line.control_number = v.get(2)
        elif sid == "PLB":
            for pos in range(3, 15, 2):
                # PLB03 is a composite (reason:reference), split on the file's own component separator (ISA16)
                parts, amount = v.composite(pos), v.money(pos + 1, f"PLB{pos + 1:02d}")
                reason = parts[0] if parts else None
                if reason and amount is not None:
                    remit.provider_adjustments.append((reason, amount))
                    remit.plb.append(ProviderAdjustment(reason.upper(), amount, parts[1] or None if len(parts) > 1
                                                        else None, seg_no))
                elif reason or v.get(pos + 1) is not None:
                    unreadable[len(remits) - 1].append(f"PLB{pos:02d}/PLB{pos + 1:02d} of segment {seg_no}")
        # The provider-level adjustments (PLB) follow the last claim but are the remittance's, not that claim's: a
        # bad PLB amount made the last claim of the file an error and took it out of every total.
        for p in v.problems:
            (claim.problems if claim is not None and sid != "PLB" else remit.guide_problems).append(p)
    for i, r in enumerate(remits):
        for c in r.claims:
            c.warnings.extend(balance_problems(c))
        r.warnings.extend(payment_problems(r, unreadable.get(i, [])))
    return remits, seg_no


class _Values:
    """Element access for one pyx12 segment; conversion problems are collected, not raised."""

    def __init__(self, seg: object) -> None:
        self.seg = seg
        self.sid = seg.get_seg_id()  # type: ignore[attr-defined]
        self.problems: list[str] = []

    def get(self, pos: int, sub: int | None = None) -> str | None:
        ref = f"{self.sid}{pos:02d}" + (f"-{sub}" if sub else "")
        value = self.seg.get_value(ref)  # type: ignore[attr-defined]
        return value.strip() if value and value.strip() else None

    def composite(self, pos: int) -> list[str]:
        whole = self.get(pos)
        if whole and self.get(pos, 2) is None:
            # Some payers use another component separator than ISA16 (the guide's own examples do): split on it.
            found = re.fullmatch(r"([A-Z]{2})([>^|!\\])(.+)", whole)
            if found:
                return [found.group(1), *found.group(3).split(found.group(2))]
        out = []
        for sub in range(1, 9):
            value = self.get(pos, sub)
            if value is None and sub > 2:
                break
            out.append(value or "")
        return out

    def money(self, pos: int, name: str, claim: ClaimPayment | None = None) -> Decimal | None:
        raw = self.get(pos)
        if raw is None:
            return None
        # An X12 decimal (model.X12_DECIMAL): Decimal() alone also read "5_00", "٥٠٠", "５００" and "5e2" as 500.
        if not X12_DECIMAL.fullmatch(raw):
            self.problems.append(f"{name} {raw[:20]!r} is not an amount")
            return None
        value = Decimal(raw)
        if not value.is_finite() or abs(value) > MAX_AMOUNT:
            self.problems.append(f"{name} {raw[:20]!r} is out of range")
            return None
        return value

    def date(self, pos: int) -> date | None:
        raw = self.get(pos)
        if raw is None:
            return None
        try:  # [0-9], not \d: \d and int() take any script's digits ("２０２６０３０２" was 2026-03-02)
            if re.fullmatch(r"[0-9]{8}", raw):
                return date(int(raw[0:4]), int(raw[4:6]), int(raw[6:8]))
        except ValueError:  # 20260230
            pass
        # Not 8 digits 0-9, or no such day: unreadable, said so (it was silently no date unless impossible)
        self.problems.append(f"{self.sid}{pos:02d} {raw[:10]!r} is not a date")
        return None


def _claim(v: _Values, seg_no: int) -> ClaimPayment:
    c = ClaimPayment(segment=seg_no)
    c.claim_id = v.get(1) or ""
    c.status = v.get(2) or ""
    if not c.claim_id:
        c.problems.append("CLP01 (the claim number sent in CLM01) is missing")
    if not c.status:
        c.problems.append("CLP02 (claim status) is missing")
    charge, paid = v.money(3, "CLP03"), v.money(4, "CLP04")
    if charge is None:
        c.problems.append("CLP03 (total charge) is missing or not an amount")
    if paid is None:
        c.problems.append("CLP04 (amount paid) is missing or not an amount")
    c.charge, c.paid, c.paid_read = charge or Decimal(0), paid or Decimal(0), paid is not None
    c.patient_responsibility = v.money(5, "CLP05")
    c.filing_indicator = v.get(6)
    c.payer_claim_id = v.get(7)
    c.facility = v.get(8)
    c.frequency = v.get(9)
    if not c.is_reversal and (c.charge < 0 or c.paid < 0):
        # The 835 guide takes a payment back by a reversal (CLP02 = 22, amounts negated); a negative amount under
        # another status is read as sent, and said.
        c.warnings.append(f"CLP03/CLP04 (charge {c.charge}, paid {c.paid}) hold a negative amount, but CLP02 is "
                          f"{c.status or 'missing'}, not 22 (a reversal): ask the payer which payment it takes back")
    c.problems.extend(v.problems)
    v.problems.clear()
    return c


def _line(v: _Values, number: int, claim: ClaimPayment) -> ServiceLine:
    proc = v.composite(1)
    qualifier, code, modifiers = (proc + ["", ""])[0], (proc + ["", ""])[1], [m for m in proc[2:6] if m]
    if not code:
        claim.problems.append(f"line {number}: SVC01 has no procedure code")
    charge, paid = v.money(2, f"line {number} SVC02"), v.money(3, f"line {number} SVC03")
    if charge is None or paid is None:
        claim.problems.append(f"line {number}: SVC02/SVC03 (charge, paid) missing or not amounts")
    original = v.composite(6) if v.get(6, 2) else []
    units_paid = v.money(5, f"line {number} SVC05")
    units_billed = v.money(7, f"line {number} SVC07")
    return ServiceLine(
        number=number, qualifier=qualifier, code=code.upper(), modifiers=[m.upper() for m in modifiers],
        charge=charge or Decimal(0), paid=paid or Decimal(0), revenue_code=v.get(4), units_paid=units_paid,
        original_code=original[1].upper() if len(original) > 1 and original[1] else None,
        original_modifiers=[m.upper() for m in original[2:6] if m], units_billed=units_billed,
    )


def _cas(v: _Values, claim: ClaimPayment, where: str) -> list[Adjustment]:
    group = (v.get(1) or "").upper()
    if group not in GROUPS:
        claim.problems.append(f"{where}: CAS01 group {group[:4]!r} is not one of {', '.join(GROUPS)}")
        return []
    if group == "CR":
        claim.warnings.append(f"{where}: group CR is a 4010 code that 005010X221A1 no longer lists; read as a "
                              "correction or reversal")
    out = []
    for pos in range(2, 20, 3):  # up to six reason/amount/quantity triplets
        reason = v.get(pos)
        if reason is None:
            continue
        reason = reason.upper()
        if not _CODE.fullmatch(reason):
            claim.problems.append(f"{where}: CAS{pos:02d} reason {reason[:8]!r} is not a code")
            continue
        amount = v.money(pos + 1, f"{where} CAS{pos + 1:02d}")
        if amount is None:
            claim.problems.append(f"{where}: CAS{pos + 1:02d} amount for reason {reason} is missing")
            continue
        out.append(Adjustment(group, reason, amount, v.money(pos + 2, f"{where} CAS{pos + 2:02d}")))
    return out


def balance_problems(c: ClaimPayment) -> list[str]:
    """The 835 guide's balancing (005010X221A1 section 1.10.2): line charge − line adjustments = line paid; claim
    charge − all adjustments (the claim's CAS and its lines') = claim paid, for every claim, with service lines or
    without. A payer file that does not balance is reported, saying by how much (amounts are then as the payer sent
    them). CLP05 (patient responsibility) is compared with the PR adjustments: payers differ, so a warning."""
    out = []
    for ln in c.lines:
        adj = sum((a.amount for a in ln.adjustments), Decimal(0))
        if ln.charge - adj != ln.paid:
            out.append(f"line {ln.number} does not balance: charge {ln.charge} − adjustments {adj} ≠ paid {ln.paid}"
                       f" ({_off(ln.charge - adj, ln.paid)})")
    every = [*c.adjustments, *(a for ln in c.lines for a in ln.adjustments)]
    total = sum((a.amount for a in every), Decimal(0))
    if c.charge - total != c.paid:
        out.append(f"claim {c.claim_id or '?'} does not balance: charge {c.charge} − adjustments {total} ≠ paid "
                   f"{c.paid} ({_off(c.charge - total, c.paid)})")
    patient = sum((a.amount for a in every if a.group == "PR"), Decimal(0))
    if c.patient_responsibility is None and patient:
        out.append(f"claim {c.claim_id or '?'}: CLP05 (patient responsibility) is absent, but the PR adjustments "
                   f"total {patient}: check what the patient owes with the payer")
    elif c.patient_responsibility is not None and c.patient_responsibility != patient:
        out.append(f"claim {c.claim_id or '?'}: CLP05 (patient responsibility) {c.patient_responsibility} ≠ the PR "
                   f"adjustments {patient} (off by {abs(c.patient_responsibility - patient)}): payers differ in what "
                   "CLP05 counts; check what the patient owes with the payer")
    return out


def payment_problems(r: Remittance, unreadable: list[str] | None = None) -> list[str]:
    """The 835 guide's transaction balancing: BPR02 (the total actual provider payment) = the sum of the claims'
    CLP04 − the sum of the PLB amounts. A payment that does not balance is a warning naming the payment's trace
    number (TRN02), what the claims and adjustments come to and what BPR02 says."""
    name = f"payment {r.trace_number or '(no trace number, TRN02)'} of {r.payer or 'the payer'}"
    missing = [*(unreadable or []), *(f"claim {c.claim_id or '?'}'s CLP04" for c in r.claims if not c.paid_read)]
    if missing:
        return [f"{name} cannot be reconciled with its claims and PLBs: {', '.join(missing)} could not be read"]
    expected = r.claims_paid - r.provider_adjusted
    if r.total_paid == expected:
        return []
    gap = r.total_paid - expected
    return [f"{name} does not balance: BPR02 pays {r.total_paid}, but the claims' CLP04 total {r.claims_paid} − "
            f"provider-level adjustments (PLB) {r.provider_adjusted} = {expected} (BPR02 is {abs(gap)} "
            f"{'more' if gap > 0 else 'less'}): ask the payer which is right before posting the payment"]


def negative_payment(r: Remittance, total: Decimal) -> str:
    """BPR02 is the total actual provider payment, the amount of the check or EFT (BPR03 says credit or debit): it
    is zero or more. When recoveries exceed what a payment pays, the 835 guide's balance forward processing moves
    the rest to a later payment with a negative PLB FB, so BPR02 is 0, never below."""
    return (f"BPR02 {total} is negative: the total actual provider payment is zero or more; when recoveries exceed "
            "the claims paid, the 835 guide carries the balance to a later payment (PLB FB, negative) and pays 0: ask "
            "the payer for a corrected remittance before posting it")


def _off(expected: Decimal, found: Decimal) -> str:
    """How a paid amount misses charge − adjustments, in words."""
    if expected > found:
        return f"{expected - found} unaccounted for"
    return f"{found - expected} paid beyond charge − adjustments"
