"""835 (005010X221A1) remittances built for tests: a payer's answer to claims igclaim sent, in the TR3's loops,
balanced as the guide requires (line charge − line adjustments = line paid; claim charge − all adjustments =
claim paid; BPR02 = sum of claim payments − provider-level adjustments). Every file is checked by pyx12."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


def _amt(v: Decimal | int | str) -> str:
    d = Decimal(str(v))
    s = f"{(d if d != 0 else Decimal(0)):f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s or "0"


@dataclass
class Line:
    code: str
    charge: Decimal
    units: int = 1
    modifiers: tuple[str, ...] = ()
    cas: list[tuple[str, list[tuple[str, Decimal]]]] = field(default_factory=list)  # (group, [(reason, amount)])
    remarks: tuple[str, ...] = ()
    date: str = "20260302"
    revenue_code: str | None = None
    paid_units: int | None = None
    allowed: Decimal | None = None

    @property
    def paid(self) -> Decimal:
        return self.charge - sum((a for _, pairs in self.cas for _, a in pairs), Decimal(0))


@dataclass
class ClaimPay:
    claim_id: str
    status: str = "1"
    lines: list[Line] = field(default_factory=list)
    claim_cas: list[tuple[str, list[tuple[str, Decimal]]]] = field(default_factory=list)
    payer_icn: str = "ICN0001"
    patient: tuple[str, str, str] = ("DOE", "SARAH", "1EG4TE5MK72")
    filing: str = "MB"
    moa_remarks: tuple[str, ...] = ()
    frequency: str = "1"
    facility: str = "11"
    sign: int = 1  # -1 for a reversal: every amount negated

    @property
    def charge(self) -> Decimal:
        return sum((ln.charge for ln in self.lines), Decimal(0)) * self.sign

    @property
    def paid(self) -> Decimal:
        claim_adj = sum((a for _, pairs in self.claim_cas for _, a in pairs), Decimal(0))
        return (sum((ln.paid for ln in self.lines), Decimal(0)) - claim_adj) * self.sign

    @property
    def patient_resp(self) -> Decimal:
        pr = sum((a for ln in self.lines for g, pairs in ln.cas if g == "PR" for _, a in pairs), Decimal(0))
        pr += sum((a for g, pairs in self.claim_cas if g == "PR" for _, a in pairs), Decimal(0))
        return pr * self.sign


def _cas(segs: list[str], cas: list[tuple[str, list[tuple[str, Decimal]]]], sign: int) -> None:
    for group, pairs in cas:
        assert 1 <= len(pairs) <= 6, "a CAS carries one to six reason/amount triplets"
        parts = ["CAS", group]
        for reason, amount in pairs:
            parts += [reason, _amt(amount * sign), ""]
        while parts[-1] == "":
            parts.pop()
        segs.append("*".join(parts))


def build_835(claims: list[ClaimPay], *, payer: str = "MEDICARE PART B", payer_id: str = "00952",
              payee: str = "VALLEY INFUSION CLINIC", payee_npi: str = "1234567893", check: str = "EFT0001",
              date: str = "20260410", control: int = 1, plb: list[tuple[str, Decimal]] | None = None,
              terminator: str = "~\n") -> str:
    """One interchange with one 835; claims grouped under one LX."""
    total = sum((c.paid for c in claims), Decimal(0)) - sum((a for _, a in (plb or [])), Decimal(0))
    segs = [
        f"ISA*00*          *00*          *ZZ*{payer_id.ljust(15)}*ZZ*{payee_npi.ljust(15)}*260410*1200*^*00501*"
        f"{control:09d}*0*T*:",
        f"GS*HP*{payer_id}*{payee_npi}*{date}*1200*{control}*X*005010X221A1",
        "ST*835*0001",
        f"BPR*{'I' if total > 0 else 'H'}*{_amt(total)}*C*{'ACH' if total > 0 else 'NON'}"
        + (f"*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*{date}" if total > 0
           else f"************{date}"),
        f"TRN*1*{check}*1512345678",
        f"DTM*405*{date}",
        f"N1*PR*{payer}",
        "N3*PO BOX 1",
        "N4*SPRINGFIELD*IL*627010001",
        "PER*BL*PROVIDER SERVICES*TE*5555550199",
        f"N1*PE*{payee}*XX*{payee_npi}",
        "REF*TJ*990000001",
        "LX*1",
    ]
    for c in claims:
        segs.append(f"CLP*{c.claim_id}*{c.status}*{_amt(c.charge)}*{_amt(c.paid)}*{_amt(c.patient_resp)}*{c.filing}*"
                    f"{c.payer_icn}*{c.facility}*{c.frequency}")
        _cas(segs, c.claim_cas, c.sign)
        last, first, member = c.patient
        segs.append(f"NM1*QC*1*{last}*{first}****MI*{member}")
        if c.moa_remarks:
            segs.append("MOA***" + "*".join(c.moa_remarks))
        segs.append("DTM*050*20260305")
        for ln in c.lines:
            proc = ":".join(["HC", ln.code, *ln.modifiers])
            paid_units = ln.units if ln.paid_units is None else ln.paid_units
            svc = ["SVC", proc, _amt(ln.charge * c.sign), _amt(ln.paid * c.sign), ln.revenue_code or "",
                   str(paid_units)]
            segs.append("*".join(svc))
            segs.append(f"DTM*472*{ln.date}")
            _cas(segs, ln.cas, c.sign)
            if ln.allowed is not None:
                segs.append(f"AMT*B6*{_amt(ln.allowed * c.sign)}")
            for r in ln.remarks:
                segs.append(f"LQ*HE*{r}")
    for reason, amount in plb or []:
        segs.append(f"PLB*{payee_npi}*20261231*{reason}:{check}*{_amt(amount)}")
    segs.append(f"SE*{len(segs) - 2 + 1}*0001")
    segs.append(f"GE*1*{control}")
    segs.append(f"IEA*1*{control:09d}")
    return terminator.join(segs) + terminator.rstrip("\n")


def pyx12_check_835(text: str) -> list[str]:
    """Validate an 835 with pyx12 (map 835.5010.X221.A1.xml): problems from its return value and from its error
    report (JSON). pyx12's 999 writer needs ST03, which the 835 guide marks Not Used, so the JSON report is read
    instead of a 999: every transaction must be accepted (ack_code A) with no error anywhere."""
    import io
    import json
    import logging

    import pyx12.params
    import pyx12.x12n_document

    log = logging.getLogger("pyx12")
    saved = log.propagate, log.handlers[:]
    log.propagate, log.handlers = False, [logging.NullHandler()]
    try:
        fd_json = io.StringIO()
        ok = pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None, None, fd_json)
    finally:
        log.propagate, log.handlers = saved
    problems = [] if ok else ["pyx12 reported errors"]
    report = json.loads(fd_json.getvalue())
    acks: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for e in node.get("errors") or []:
                problems.append(str(e.get("err_str")))
            if "trn_set_id" in node:
                acks.append(str(node.get("ack_code")))
            for v in node.values():
                if isinstance(v, list):
                    for child in v:
                        walk(child)

    walk(report)
    if not acks or any(a != "A" for a in acks):
        problems.append(f"transaction acks: {acks}")
    return problems
