"""Claim assembly for the setting: form, place of service or type of bill, revenue codes, line order.

Office: CMS-1500/837P, POS 11. Hospital outpatient: UB-04/837I, type of bill 0131, drugs under revenue code
0636 and administration under 0260 (IOM 100-04 ch. 4 §230.2). Home: the payer profile's `home_rules`
(Medicare: DME MAC claim, no drug-administration codes).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from igclaim.catalog import declare, finding
from igclaim.coding.administration import AdminLine, Service, classify, code_administrations
from igclaim.coding.drug import CodedDrug, DrugLine, code_drug
from igclaim.coding.time import minutes_between, quarter_hour_units
from igclaim.construct import trusted
from igclaim.model import Claim, ClaimLine, Encounter, Finding
from igclaim.refdata import icd10
from igclaim.refdata.coverage import liability_modifiers
from igclaim.refdata.resolver import PayerProfile, ReferenceData
from igclaim.refdata.rules import Rules

declare(
    "HOME-BILLING-NOTE",
    severity="info",
    statement="how the home infusion is billed beyond this claim (pump, nursing, per diem)",
    fix="Bill the items named in the message on their own claim, as the payer instructs.",
    source="https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId=52507",
)
declare(
    "HOME-CONTRACT",
    severity="warning",
    statement="home infusion for this payer is billed per contract; the professional coding shown is a default",
    fix="Check the plan's home infusion contract (often a per diem such as S9338 plus the drug).",
    source="https://www.cms.gov/medicare/payment/fee-schedules/home-infusion-therapy-services",
)


@dataclass(init=False)
class Coding:
    """The whole coded encounter: the facts the edits read, and the expected claim."""

    encounter: Encounter
    profile: PayerProfile
    drugs: dict[str, CodedDrug]
    services: list[Service]
    claim: Claim
    findings: list[Finding] = field(default_factory=list)
    rules: Rules = field(kw_only=True)  # the dated rule snapshot the chart was coded with
    # What each administration line of `claim` administers, by its line number: the units each drug id accounts
    # for (None: hydration; `AdminLine.drugs`). A claim line does not say it; coding knows it.
    administered: dict[int, dict[str | None, int]] = field(default_factory=dict, kw_only=True)

    # Written out (not dataclass's): mypyc compiles it, as drug.py's stage values (tests/test_coding_memo.py).
    def __init__(self, encounter: Encounter, profile: PayerProfile, drugs: dict[str, CodedDrug],
                 services: list[Service], claim: Claim, findings: list[Finding] | None = None, *,
                 rules: Rules, administered: dict[int, dict[str | None, int]] | None = None) -> None:
        self.encounter, self.profile, self.drugs, self.services, self.claim = encounter, profile, drugs, services, claim
        self.findings = [] if findings is None else findings
        self.rules = rules
        self.administered = {} if administered is None else administered


def code_encounter(enc: Encounter, ref: ReferenceData, profile: PayerProfile) -> Coding:
    """The chart coded with the rule snapshot of its date of service and payer profile."""
    return code_chart(enc, ref.at(enc.date_of_service, profile))


def code_chart(enc: Encounter, rules: Rules) -> Coding:
    dos, place = rules.dos, enc.setting
    findings: list[Finding] = []
    facts = {d.id: code_drug(d, i, rules, findings, place) for i, d in enumerate(enc.drugs)}
    services = classify(enc, facts, rules, findings)
    setting = rules.setting(place)
    home_dme = rules.home_dme(place)
    facility = setting["form"] == "UB-04"

    drug_lines = [line for f in facts.values() for line in f.lines]
    admin_lines: list[AdminLine]
    if home_dme:
        admin_lines = _home_dme(enc, facts, setting, drug_lines, rules, findings)
    else:
        admin_lines = code_administrations(services, facility, rules, findings)
        if place == "home":
            findings.append(finding("HOME-CONTRACT", f"Home infusion for {rules.profile.title}: coded as professional "
                                    "services; the plan's contract decides."))

    diagnoses = [icd10.format(d) for d in enc.diagnoses]
    pointers = list(range(1, min(setting["diagnosis_pointers_per_line"], len(diagnoses)) + 1))
    # Built without re-validation (construct.trusted): every value below is typed and comes from coding or the dated
    # rules; the lists are copied as validation would, so a line never shares one with coding's facts.
    drug_revenue, admin_revenue = setting.get("drug_revenue_code"), setting.get("administration_revenue_code")
    # a facility's packaged drugs (its premedications: no separate payment) under their own revenue code, 0250
    packaged_revenue = setting.get("packaged_drug_revenue_code")
    packaged = (set() if setting.get("other_drugs_separately_payable", True) or not packaged_revenue
                else {i for i, f in facts.items() if not f.is_ig})
    # An off-campus hospital department's modifier (PO/PN) goes on every line, last (the input names a department
    # for a hospital outpatient encounter only).
    dept = rules.department_modifier(enc.outpatient_department)
    tail = (dept,) if dept else ()
    lines = [trusted(
        ClaimLine, line=n, code=d.code, modifiers=[*d.modifiers, *tail], units=d.units, ndc=d.ndc,
        ndc_quantity=d.ndc_quantity, ndc_unit=d.ndc_unit,
        revenue_code=packaged_revenue if d.drug_id in packaged else drug_revenue,
        diagnosis_pointers=[*pointers], service_date=dos,
    ) for n, d in enumerate(drug_lines, start=1)]
    lines += [trusted(
        ClaimLine, line=n, code=a.code, modifiers=[*a.modifiers, *tail], units=a.units,
        revenue_code=admin_revenue, diagnosis_pointers=[*pointers], service_date=a.service_date or dos,
    ) for n, a in enumerate(admin_lines, start=len(lines) + 1)]
    claim = trusted(
        Claim,
        form=setting["form"],
        place_of_service=None if facility else (enc.place_of_service or setting.get("place_of_service")),
        type_of_bill=(enc.type_of_bill or setting.get("type_of_bill")) if facility else None,
        diagnoses=diagnoses,
        lines=lines,
    )
    administered = {n: a.drugs for n, a in enumerate(admin_lines, start=len(drug_lines) + 1)}
    return Coding(enc, rules.profile, facts, services, claim, findings, rules=rules, administered=administered)


def drug_line_numbers(drugs: dict[str, CodedDrug]) -> dict[str, range]:
    """Each drug's line numbers on the coded claim: `code_chart` numbers the drugs' lines first, from 1, each drug's
    lines together, in chart order (the administration lines follow)."""
    out: dict[str, range] = {}
    first = 1
    for did, f in drugs.items():
        out[did] = range(first, first + len(f.lines))
        first += len(f.lines)
    return out


def home_visits(enc: Encounter, drug_ids: set[str]) -> dict[date, int | None]:
    """Minutes of home visit per infusion date for these drugs: the nurse's visit when documented, otherwise the
    infusion time; overlapping intervals on one date count once (None: a date without times)."""
    spans: dict[date, list[tuple[datetime, datetime]]] = {}
    for a in enc.administrations:
        if a.drug_id not in drug_ids:
            continue
        start, stop = (a.visit.start, a.visit.stop) if a.visit else (a.start, a.stop)
        if start is None or stop is None:
            if start is not None:
                spans.setdefault(start.date(), [])
            continue
        spans.setdefault(start.date(), []).append((start, stop))
    out: dict[date, int | None] = {}
    for d, intervals in spans.items():
        if not intervals:
            out[d] = None
            continue
        total, cursor = 0, None
        for lo, hi in sorted(intervals):
            lo = max(lo, cursor) if cursor else lo
            if hi > lo:
                total += minutes_between(lo, hi)
                cursor = hi
        out[d] = total
    return out


def _preparation_jw(rules: Rules) -> str:
    """When the profile takes a JW line for the supplier's own preparation waste on a dispensed drug: from when."""
    since = rules.profile.parameters["supplier_preparation_jw_required"].since(True)
    if since is None:
        return ""
    return (f". JW is only for what the supplier discards while preparing the drug (from {since}), which the "
            "chart does not show")


def _home_dme(
    enc: Encounter, facts: dict[str, CodedDrug], setting: dict[str, Any], drug_lines: list[DrugLine], rules: Rules,
    findings: list[Finding],
) -> list[AdminLine]:
    """Medicare home infusion: IVIG + the supplies code for each infusion date (none before the code existed);
    SCIG with JB; no 9636x."""
    lines: list[AdminLine] = []
    ig_iv = {f.drug.id for f in facts.values() if f.is_ig and f.route == "IV"}
    ig_sc = {f.drug.id for f in facts.values() if f.is_ig and f.route == "SC"}
    if ig_iv:
        visits = home_visits(enc, ig_iv)
        for d in sorted(visits or {enc.date_of_service: None}):
            supply = rules.on(d).supply_units
            if supply is None:
                continue  # before the demonstration's code: the J-code alone
            minutes = visits.get(d)
            if supply.basis == "per_date":
                units = 1
            elif minutes is None:
                units = supply.min_units
                findings.append(finding("ADMIN-TIMES-MISSING", f"{supply.code} on {d}: no visit or infusion start "
                                        f"and stop times, so its {supply.unit_minutes}-minute units cannot be "
                                        "counted; "
                                        f"{units} billed."))
            else:
                units = quarter_hour_units(minutes, supply)
            # the date's bundle: every intravenous immune globulin given that date needs it whole
            lines.append(AdminLine(supply.code, units, service_date=d, drugs=dict.fromkeys(sorted(ig_iv), units)))
    if ig_sc:
        # JB and, where the profile requires it on the date, KX: the DME MACs reject a pump drug's line without
        # KX, GA or GZ. KX is right when the coverage criteria are met; PAYER-ABN-MODIFIER says when GA/GZ replace it.
        # A drug the DME MAC list certainly does not cover for the chart's diagnoses gets no KX (it would attest
        # criteria igclaim's own verdict says are not met); PAYER-ABN-MODIFIER tells which modifier to add.
        route_mod = rules.modifier_for("route_SC")
        kx = liability_modifiers().criteria_met if rules.param("eip_coverage_modifier_required") else None
        kx_added = False  # on one drug at least: the note names KX
        for did in ig_sc:  # the drug's coded result takes the modifiers too, so the edits expect them
            f = facts[did]
            mine: tuple[str, ...] = (route_mod,)
            if kx is not None and not rules.home_not_covered_certain(list(enc.diagnoses), f.route, f.code):
                mine += (kx,)
                kx_added = True
            facts[did] = f.with_lines(tuple(
                replace(ln, modifiers=(*mine, *(m for m in ln.modifiers if m not in mine))) for ln in f.lines))
        added: tuple[str, ...] = (route_mod, kx) if kx is not None and kx_added else (route_mod,)
        drug_lines[:] = [line for f in facts.values() for line in f.lines]
        findings.append(finding("HOME-BILLING-NOTE", f"The infusion pump {setting['medicare_dme_sc_pump_code']} "
                                f"is billed separately by the supplier, with {' and '.join(added)}; nursing goes "
                                "through the home infusion therapy benefit."))
        prep = rules.param("supplier_preparation_jw_required")
        for did in ig_sc:
            f = facts[did]
            left = (f.administered_units or 0) - (f.units.administered if f.units else 0)  # > 0 only if dispensed
            if left > 0:
                findings.append(finding("HOME-BILLING-NOTE", f"{f.path}: the {f.administered_units} units dispensed "
                                        f"are billed on one line, the {left} the patient leaves included: they are "
                                        f"not a JW discard{_preparation_jw(rules)}.",
                                        fix=f"Bill {f.code} × {f.administered_units} on one line"
                                        + ("; add a JW line only for the supplier's own preparation waste, and "
                                           "take its units off this line." if prep else ".")))
    others = [f.drug.id for f in facts.values() if not f.is_ig]
    if others:
        findings.append(finding("HOME-BILLING-NOTE", f"Drugs {', '.join(others)} are not part of the Medicare home "
                                "IVIG/SCIG DME claim; bill them where the payer covers them."))
        drug_lines[:] = [d for d in drug_lines if d.drug_id not in others]
    return lines
