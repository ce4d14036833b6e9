"""The claim as a FHIR R4B `Claim` (validated by fhir.resources), for integrators.

Parties travel as contained resources (Patient, the billing Organization, the rendering Practitioner, the payer
Organization and the Coverage), so one Claim stands alone. Code systems are the HL7 terminology (THO) canonical
URLs: HCPCS Level II, CPT, ICD-10-CM, NDC, NUBC revenue codes and type of bill, CMS place of service.
The NDC and its quantity sit in `item.detail` under the drug line (as a subdivision of the billed product).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from fhir.resources.R4B.claim import Claim
from pydantic import ValidationError

from igclaim.errors import InputError, InputErrors, loc_path, required
from igclaim.model import Address, Encounter
from igclaim.outputs.chargemaster import Chargemaster
from igclaim.outputs.x12 import (
    ClaimInput,
    bill_type_sent,
    build_claims,
    diagnosis_problems,
    every_claim,
    line_charges,
    party_problems,
    text_fields,
)

HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
CPT = "http://www.ama-assn.org/go/cpt"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
NDC = "http://hl7.org/fhir/sid/ndc"
NPI = "http://hl7.org/fhir/sid/us-npi"
EIN = "urn:oid:2.16.840.1.113883.4.4"
REVENUE = "https://www.nubc.org/CodeSystem/RevenueCodes"
TYPE_OF_BILL = "https://www.nubc.org/CodeSystem/TypeOfBill"
POS = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
PRIORITY = "http://terminology.hl7.org/CodeSystem/processpriority"
RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
RELATED = "http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship"
INFO_CATEGORY = "http://terminology.hl7.org/CodeSystem/claiminformationcategory"
UCUM = "http://unitsofmeasure.org"

# NDC units of measure on claims (NCPDP/X12: ML, UN, GR, F2, ME) as UCUM codes.
_UCUM = {"ML": "mL", "GR": "g", "ME": "mg", "F2": "[IU]", "UN": "{unit}"}


def code_system(code: str) -> str:
    """HCPCS Level II codes start with a letter (A–V); CPT (Level I) codes start with a digit."""
    return HCPCS if code[:1].isalpha() else CPT


def _money(v: Decimal) -> dict:
    return {"value": float(v), "currency": "USD"}


def _address(a: Address | None) -> list[dict]:
    if a is None:
        return []
    lines = [a.line1] + ([a.line2] if a.line2 else [])
    return [{"line": lines, "city": a.city, "state": a.state, "postalCode": a.zip, "country": "US"}]


def _require(c: ClaimInput) -> None:
    """Every missing party and bad NPI at once (one InputErrors), so one run shows all the fixes."""
    enc = c.encounter
    problems = party_problems(c, (("patient", enc.patient), ("billing_provider", enc.billing_provider),
                                  ("subscriber", enc.subscriber), ("payer.name", enc.payer.name)), "a FHIR Claim")
    problems += [InputError(c.path(path), "is blank: a FHIR Claim needs a value here") for path in _blank_fields(c)]
    problems += [InputError(c.path(path), f"holds a control character (U+{ord(ch):04X}) that a FHIR string cannot "
                            "carry; remove it") for path, ch in _control_characters(c)]
    problems += diagnosis_problems(c)
    if problems:
        raise InputErrors(problems)


def _blank_fields(c: ClaimInput) -> list[str]:
    """The text the Claim carries whatever its value (names, ids, address lines) that is blank: FHIR's string
    has at least one character that is not a space, so fhir.resources would refuse the whole Claim (it did, as an
    internal error). Optional text left blank (line2, the group number, a payer id) is left out, as if absent."""
    enc = c.encounter
    fields: list[tuple[str, str]] = [("claim_id", enc.claim_id) if enc.claim_id else ("encounter_id", enc.encounter_id)]

    def address(path: str, a: Address | None) -> None:
        if a is not None:
            fields.extend([(f"{path}.line1", a.line1), (f"{path}.city", a.city)])

    if (pat := enc.patient) is not None:
        fields.extend([("patient.id", pat.id), ("patient.last_name", pat.last_name),
                       ("patient.first_name", pat.first_name)])
        address("patient.address", pat.address)
    if (bp := enc.billing_provider) is not None:
        fields.extend([("billing_provider.name", bp.name), ("billing_provider.tax_id", bp.tax_id)])
        address("billing_provider.address", bp.address)
    if enc.subscriber is not None:
        fields.append(("subscriber.member_id", enc.subscriber.member_id))
    if enc.rendering_provider is not None:
        fields.append(("rendering_provider.last_name", enc.rendering_provider.last_name))
    return [path for path, value in fields if not value.strip()]


# FHIR's string: "SHALL NOT contain Unicode character points below 32, except for u0009 (horizontal tab), u000D
# (carriage return) and u000A (line feed)" (https://hl7.org/fhir/R4B/datatypes.html#string). fhir.resources lets
# them through, so the Claim would be written and a receiver's validator refuse it.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _control_characters(c: ClaimInput) -> list[tuple[str, str]]:
    """(field, first control character) of each chart string the Claim carries that holds one; the value itself
    is never quoted (it may be a name)."""
    enc = c.encounter
    carried = [(path, value) for path, value, _, _ in text_fields(c)] + [("encounter_id", enc.encounter_id)]
    if enc.patient is not None:
        carried.append(("patient.id", enc.patient.id))
    if enc.billing_provider is not None:
        carried.append(("billing_provider.tax_id", enc.billing_provider.tax_id))
    return [(path, m.group()) for path, value in carried if value and (m := _CONTROL.search(value))]


def claim_resource(c: ClaimInput, charges: Chargemaster | None, created: datetime | None = None) -> Claim:
    """One R4B Claim; raises InputError naming a missing party or charge."""
    _require(c)
    enc, claim = c.encounter, c.result.claim
    pat, bp, sub = (required(enc.patient, "patient"), required(enc.billing_provider, "billing_provider"),
                    required(enc.subscriber, "subscriber"))  # _require checked them
    payer = enc.payer
    amounts = line_charges(c, charges)
    institutional = claim.form == "UB-04"
    dos = enc.date_of_service.isoformat()

    contained: list[dict] = [
        {"resourceType": "Patient", "id": "patient", "identifier": [{"value": pat.id}],
         "name": [{"family": pat.last_name, "given": [pat.first_name]}], "birthDate": pat.birth_date.isoformat(),
         "gender": {"F": "female", "M": "male", "U": "unknown"}[pat.sex], "address": _address(pat.address)},
        {"resourceType": "Organization", "id": "billing", "name": bp.name,
         "identifier": [{"system": NPI, "value": bp.npi}, {"system": EIN, "value": bp.tax_id}],
         "address": _address(bp.address),
         "telecom": [{"system": "phone", "value": bp.phone}] if bp.phone else []},
        {"resourceType": "Organization", "id": "payer", "name": payer.name,
         "identifier": [{"value": payer.payer_id}] if payer.payer_id else []},
        {"resourceType": "Coverage", "id": "coverage", "status": "active", "subscriberId": sub.member_id,
         "beneficiary": {"reference": "#patient"}, "payor": [{"reference": "#payer"}],
         "relationship": {"coding": [{"system": RELATIONSHIP, "code": sub.relationship}]},
         **({"class": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class",
                                             "code": "group"}]}, "value": sub.group_number}]}
            if sub.group_number else {})},
    ]
    care_team = []
    if enc.rendering_provider:
        rp = enc.rendering_provider
        contained.append({"resourceType": "Practitioner", "id": "rendering",
                          "identifier": [{"system": NPI, "value": rp.npi}],
                          "name": [{"family": rp.last_name, **({"given": [rp.first_name]} if rp.first_name else {})}]})
        care_team.append({"sequence": 1, "provider": {"reference": "#rendering"},
                          "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claimcareteamrole",
                                               "code": "primary"}]}})

    items = []
    for ln, amt in zip(claim.lines, amounts, strict=True):
        system = code_system(ln.code)
        item: dict = {
            "sequence": ln.line,
            "productOrService": {"coding": [{"system": system, "code": ln.code}]},
            "servicedDate": (ln.service_date or enc.date_of_service).isoformat(),
            "quantity": {"value": ln.units},
            "unitPrice": _money((charges.unit_charge(ln.code) if charges else None) or Decimal(0)),
            "net": _money(amt),
            "diagnosisSequence": ln.diagnosis_pointers or [1],
        }
        if care_team:
            item["careTeamSequence"] = [1]
        if ln.modifiers:
            item["modifier"] = [{"coding": [{"system": code_system(m), "code": m}]}
                                for m in ln.modifiers]
        if ln.revenue_code:
            item["revenue"] = {"coding": [{"system": REVENUE, "code": ln.revenue_code}]}
        if claim.place_of_service:
            item["locationCodeableConcept"] = {"coding": [{"system": POS, "code": claim.place_of_service}]}
        if ln.ndc:
            detail: dict = {"sequence": 1, "productOrService": {"coding": [{"system": NDC, "code": ln.ndc}]}}
            if ln.ndc_quantity is not None and ln.ndc_unit:
                detail["quantity"] = {"value": float(ln.ndc_quantity), "unit": ln.ndc_unit,
                                      "system": UCUM, "code": _UCUM.get(ln.ndc_unit, ln.ndc_unit)}
            item["detail"] = [detail]
        items.append(item)

    doc: dict = {
        "resourceType": "Claim",
        "id": _fhir_id(enc.claim_id or enc.encounter_id),
        "contained": contained,
        "identifier": [{"value": enc.claim_id or enc.encounter_id}],
        "status": "active",
        "type": {"coding": [{"system": CLAIM_TYPE, "code": "institutional" if institutional else "professional"}]},
        "use": "claim",
        "patient": {"reference": "#patient"},
        "billablePeriod": {"start": dos, "end": max((ln.service_date or enc.date_of_service)
                                                     for ln in claim.lines).isoformat() if claim.lines else dos},
        "created": (created or datetime.now()).astimezone().replace(microsecond=0).isoformat(),
        "provider": {"reference": "#billing"},
        "priority": {"coding": [{"system": PRIORITY, "code": "normal"}]},
        "insurer": {"reference": "#payer"},
        "diagnosis": [{"sequence": i, "diagnosisCodeableConcept": {"coding": [{"system": ICD10CM, "code": d}]}}
                      for i, d in enumerate(claim.diagnoses, start=1)],
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "#coverage"},
                       **({"preAuthRef": [payer.prior_authorization.number]}
                          if payer.prior_authorization and payer.prior_authorization.number else {})}],
        "item": items,
        "total": _money(sum(amounts, Decimal(0))),
    }
    if care_team:
        doc["careTeam"] = care_team
    if institutional and claim.type_of_bill:
        doc["supportingInfo"] = [{"sequence": 1, "category": {"coding": [{"system": INFO_CATEGORY, "code": "info"}],
                                                              "text": "type of bill"},
                                  "code": {"coding": [{"system": TYPE_OF_BILL, "code": bill_type_sent(c)}]}}]
    if enc.correction:  # the payer's claim this one replaces (7) or voids (8): the 837's REF*F8
        doc["related"] = [{"relationship": {"coding": [{"system": RELATED, "code": "prior"}]},
                           "reference": {"value": enc.correction.original_claim_id}}]
    try:
        return Claim.model_validate(doc)
    except ValidationError as exc:  # a value the checks above let through: named by claim and FHIR field, with
        # every other claim's problems (every_claim), not raised out of the first such claim; its value unquoted
        raise InputErrors([InputError(c.path(loc_path(("Claim", *e["loc"]))),
                                      "fhir.resources refuses this FHIR Claim: "
                                      + e["msg"].removeprefix("Value error, ")) for e in exc.errors()]) from None


def _fhir_id(text: str) -> str:
    """A FHIR id: ASCII letters and digits, '-' and '.', at most 64 (str.isalnum() also takes 'ÿ' and '名')."""
    return "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-." else "-" for ch in text)[:64]


def to_json(claim: Claim, indent: int | None = 2) -> str:
    return json.dumps(json.loads(claim.model_dump_json(exclude_none=True)), indent=indent)


def to_fhir(encounters: Encounter | Sequence[Encounter], charges: Chargemaster | None,
            created: datetime | None = None) -> str:
    """One encounter → one Claim (JSON); many → NDJSON, one Claim a line (FHIR bulk data format)."""
    encs = [encounters] if isinstance(encounters, Encounter) else list(encounters)
    return render(build_claims(encs, [f"[{i}] " if len(encs) > 1 else "" for i in range(len(encs))]), charges,
                  created)


def render(claims: Sequence[ClaimInput], charges: Chargemaster | None, created: datetime | None = None) -> str:
    """Claims already coded → one Claim (JSON), or NDJSON for many; every claim is checked before any is written,
    so a refusal names every claim's problems (x12.every_claim), not the first claim's only."""
    resources = every_claim(claims, lambda c: claim_resource(c, charges, created))
    if len(resources) == 1:
        return to_json(resources[0]) + "\n"
    return "".join(to_json(r, indent=None) + "\n" for r in resources)
