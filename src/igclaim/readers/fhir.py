"""A FHIR R4 chart (a Bundle of one infusion visit) mapped to igclaim's encounter schema (docs/inputs.md has the
table). The Bundle is validated first with fhir.resources' R4B models (the R4 technical correction that
fhir.resources 8 ships; outputs/fhir.py writes R4B too); then each element igclaim needs is read, and one missing
is an error naming the resource (its entry index) and the element, e.g.
``MedicationAdministration (entry 4).dosage.dose: required (the dose given)``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from igclaim.inputs import InvalidInput
from igclaim.model import Encounter

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
NDC = "http://hl7.org/fhir/sid/ndc"
HCPCS = ("https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets")
POS = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
SOPT = "urn:oid:2.16.840.1.113883.3.221.5"  # PHDSC Source of Payment Typology
# SNOMED CT route codes (and the text a chart may carry instead).
ROUTES = {"47625008": "IV", "34206005": "SC", "IV": "IV", "SC": "SC", "INTRAVENOUS": "IV", "SUBCUTANEOUS": "SC"}
# Payer type: igclaim's own codes, or the Source of Payment Typology (1x Medicare; 11x Medicare managed care;
# 2x Medicaid; 5x private insurance; 6x Blue Cross/Blue Shield).
PAYER_TYPES = ("medicare", "medicare_advantage", "medicaid", "commercial")
SEX = {"female": "F", "male": "M", "other": "U", "unknown": "U"}
FLUID_PURPOSES = ("flush", "kvo", "diluent", "hydration")
# Statuses that take a resource off the claim: an administration not given or recorded in error (FHIR R4
# MedicationAdministration.status), a condition recorded in error or ruled out (Condition.verificationStatus), and
# an encounter that did not take place (Encounter.status).
NOT_GIVEN = ("not-done", "entered-in-error")
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
NOT_A_DIAGNOSIS = ("entered-in-error", "refuted")
NOT_A_VISIT = ("planned", "cancelled", "entered-in-error")
# What to do when a Bundle holds several of a resource the claim takes one of.
ONE_PER_BUNDLE = {
    "Encounter": "a Bundle holds one visit; send each visit in a Bundle of its own",
    "Patient": "a Bundle holds one patient's visit",
    "Coverage": "give the plan this claim is billed to Coverage.order 1 (the others 2, 3…), or send it alone",
}
# The resource types the reader maps (a modifierExtension on one of them, or inside it, is refused: `_modifiers`).
READ_TYPES = ("Encounter", "Patient", "Coverage", "Condition", "Medication", "MedicationAdministration",
              "ClaimResponse")
DOSE_UNITS = {"g": "grams", "gram": "grams", "mg": "mg", "ml": "ml", "mL": "ml"}
# A premedication's dose in HCPCS billing units (igclaim has no unit dose for codes other than immune globulin).
BILLING_UNITS = ("{unit}", "{units}", "unit", "units", "U")
ITEM_AUTHORIZED = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-itemAuthorizedDetail"
ORAL = ("26643006", "PO", "ORAL")
# FHIR has no element for the containers a nurse opened (Medication.amount is what one package holds), so igclaim
# reads them from a documented extension on MedicationAdministration, repeated once per NDC or size opened:
#   {"url": CONTAINER_EXT, "extension": [{"url": "ndc", "valueCoding": {"system": NDC, "code": "13533-0805-11"}},
#                                         {"url": "count", "valueInteger": 2}]}
# ("amount", valueQuantity in g or mL, instead of or beside "ndc"); and the amount discarded, when charted:
#   {"url": DISCARDED_EXT, "valueQuantity": {"value": 5, "code": "g"}}
# and a drug bought through the 340B drug pricing program (no FHIR R4 element, nor a published extension, says it):
#   {"url": ACQUIRED_340B_EXT, "valueBoolean": true}
EXT_BASE = "https://igclaim.dev/fhir/StructureDefinition/"
CONTAINER_EXT = EXT_BASE + "container-opened"
DISCARDED_EXT = EXT_BASE + "amount-discarded"
ACQUIRED_340B_EXT = EXT_BASE + "acquired-340b"
EXT_NAMES = ("container-opened", "amount-discarded", "acquired-340b")
# igclaim's extensions are read in MedicationAdministration.extension only; one anywhere else, under a URL that is
# not exactly its own, or an EXT_BASE URL of no extension igclaim has, is an error (`_igclaim_extensions`), never
# dropped: a 340B purchase or an opened container would be lost without a word.
_EXT_PREFIXES = (EXT_BASE.lower(), "http://" + EXT_BASE.lower().removeprefix("https://"))


def is_bundle(obj: object) -> bool:
    return isinstance(obj, dict) and obj.get("resourceType") == "Bundle"


_THE_INPUT = ("the input is an encounter in igclaim's JSON schema or a FHIR R4 Bundle of one visit (Encounter, "
              "Patient, Coverage, MedicationAdministration …); see docs/inputs.md")


def not_a_chart(obj: object) -> str | None:
    """One problem for a FHIR document that is no chart igclaim reads, instead of every field it lacks (~30 lines
    of "unknown field" and "required" for igclaim's own FHIR Claim): a resource other than a Bundle, or a Bundle of
    Claims with no Encounter. None for anything else (an encounter, a Bundle of a visit: read as they are)."""
    if not isinstance(obj, dict) or "resourceType" not in obj:
        return None
    rtype = obj["resourceType"]
    if rtype != "Bundle":
        shown = str(rtype)[:40]
        if rtype == "Claim":
            return (f"resourceType: a FHIR Claim is igclaim's output (export --to fhir), not an input: there is no "
                    f"FHIR Claim input; {_THE_INPUT}")
        return f"resourceType: a FHIR {shown!r} resource alone is not a chart igclaim reads; {_THE_INPUT}"
    entries = obj.get("entry")
    types = [e["resource"].get("resourceType") for e in (entries if isinstance(entries, list) else [])
             if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
    claims = types.count("Claim")
    if claims and "Encounter" not in types:
        return (f"Bundle: its entries are FHIR Claims ({claims}), igclaim's output, with no Encounter: there is no "
                f"FHIR Claim input; {_THE_INPUT}")
    return None


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.wheres: set[str] = set()  # the elements named, looked up by key (a Bundle may name thousands)

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")
        self.wheres.add(where)

    def named(self, where: str, element: str) -> bool:
        """A problem of this element is listed already (one line per element, not 'required' after 'not a number')."""
        return any(x.startswith(f"{where}: {element}:") for x in self.items)


def _validate(obj: dict) -> None:
    from fhir.resources.R4B.bundle import Bundle

    problems = _unknown_resource_types(obj)
    if problems:  # fhir.resources raises KeyError or TypeError on these, not a ValidationError
        raise InvalidInput(problems)
    try:
        Bundle.model_validate(obj)
    except ValidationError as exc:
        entry = obj.get("entry")
        entries: list = entry if isinstance(entry, list) else []
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ())]
            where = ".".join(loc)
            if len(loc) >= 3 and loc[0] == "entry" and loc[1].isdigit() and loc[2] == "resource":
                i = int(loc[1])
                where = f"{_entry_type(entries, i)} (entry {i})" + "".join("." + p for p in loc[3:])
            problems.append(f"{where}: {err.get('msg', 'invalid').removeprefix('Value error, ')}")
        raise InvalidInput(problems or ["Bundle: not a valid FHIR R4 Bundle"]) from None
    except (KeyError, TypeError) as exc:  # a primitive type's name as a resourceType ("Boolean"): the library's
        raise InvalidInput([f"Bundle: a resourceType is not a FHIR R4 resource type ({str(exc)[:60]})"]) from None


def _entry_type(entries: list, i: int) -> str:
    """The resourceType of entry i, as the problems name it ('?' when the entry has none to read)."""
    e = entries[i] if i < len(entries) else None
    r = e.get("resource") if isinstance(e, dict) else None
    t = r.get("resourceType") if isinstance(r, dict) else None
    return t if isinstance(t, str) and _RESOURCE_NAME.fullmatch(t) else "?"


_RESOURCE_NAME = re.compile(r"[A-Z][A-Za-z]{0,63}")
_JSON_KIND = {bool: "true or false", int: "a number", float: "a number", list: "a list", dict: "an object",
              type(None): "null"}


def _unknown_resource_types(obj: dict) -> list[str]:
    """Each resourceType in the tree (entries and contained resources) that names no FHIR R4 type, with its path.
    Checked against fhir.resources' type names without importing by name (its lookup caches every name asked)."""
    import fhir.resources.R4B.fhirtypes as types

    problems: list[str] = []
    stack: list[tuple[str, Any]] = [("Bundle", obj)]
    while stack and len(problems) < 20:
        path, node = stack.pop()
        if isinstance(node, dict):
            if "resourceType" in node:
                t = node["resourceType"]
                if not (isinstance(t, str) and _RESOURCE_NAME.fullmatch(t) and hasattr(types, t + "Type")):
                    shown = repr(t)[:40] if isinstance(t, str) else _JSON_KIND.get(type(t), "not text")
                    problems.append(f"{path}.resourceType: {shown} is not a FHIR R4 resource type")
            stack.extend((f"{path}.{k}", v) for k, v in reversed(list(node.items())) if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(node))) if isinstance(v, dict | list))
    return problems


def _modifiers(node: dict, where: str, p: _Problems) -> None:
    """Each modifierExtension in this resource (or entry), at any depth but its contained resources (never read),
    is a problem: FHIR R4 says one changes the meaning of the element that holds it, and a system that does not
    know it must not process that element as if it were absent. igclaim knows none."""
    stack: list[tuple[str, Any]] = [("", node)]
    while stack:
        path, x = stack.pop()
        if isinstance(x, dict):
            for n, ext in enumerate(x.get("modifierExtension") or []):
                url = ext.get("url") if isinstance(ext, dict) else None
                shown = repr(url[:100]) if isinstance(url, str) else "(no url)"
                p.add(f"{where}{path}.modifierExtension[{n}]", f"{shown}: a modifierExtension changes the meaning "
                      "of the element that holds it, and igclaim does not know what this one changes, so it refuses "
                      "the element rather than read it as if it were absent (FHIR R4 Extensibility: "
                      "modifierExtension)")
            stack.extend((f"{path}.{k}", v) for k, v in reversed(list(x.items()))
                         if k not in ("modifierExtension", "contained") and isinstance(v, dict | list))
        elif isinstance(x, list):
            stack.extend((f"{path}[{j}]", v) for j, v in reversed(list(enumerate(x))) if isinstance(v, dict | list))


def _igclaim_extensions(obj: dict, p: _Problems) -> None:
    """Each extension (or modifier extension) of the Bundle whose URL is igclaim's (EXT_BASE, after strip, https or
    http, any case) and is not exactly one of CONTAINER_EXT, DISCARDED_EXT, ACQUIRED_340B_EXT in the `extension` of
    a MedicationAdministration entry (where `_containers` reads it) is a problem naming where it is. Other URLs are
    left alone (FHIR allows any extension); a modifier extension `_modifiers` named already is not named twice."""
    stack: list[tuple[str, Any, bool]] = []
    for i, e in reversed(list(enumerate(obj.get("entry") or []))):
        r = e.get("resource") or {}
        stack.append((f"{_entry_type(obj['entry'], i)} (entry {i})", r, r.get("resourceType") ==
                      "MedicationAdministration"))
        stack.append((f"Bundle.entry[{i}]", {k: v for k, v in e.items() if k != "resource"}, False))
    stack.append(("Bundle", {k: v for k, v in obj.items() if k != "entry"}, False))
    while stack:
        path, x, read_here = stack.pop()
        if isinstance(x, dict):
            for key in ("extension", "modifierExtension"):
                for n, ext in enumerate(x[key] if isinstance(x.get(key), list) else []):
                    url = ext.get("url") if isinstance(ext, dict) else None
                    where = f"{path}.{key}[{n}]"
                    if not isinstance(url, str) or where in p.wheres:
                        continue
                    name = next((url.strip()[len(b):] for b in _EXT_PREFIXES if url.strip().lower().startswith(b)),
                                None)
                    if name is None:
                        continue
                    shown = repr(url[:100])
                    if name.lower() not in EXT_NAMES:
                        p.add(where, f"{shown} is no extension of igclaim's (it has {', '.join(EXT_NAMES[:-1])} and "
                              f"{EXT_NAMES[-1]}, under {EXT_BASE}), so it would not be read: check its spelling")
                    elif url != EXT_BASE + name.lower():
                        p.add(where, f"{shown} is not igclaim's extension URL, so it would not be read: write "
                              f"{EXT_BASE + name.lower()!r} exactly (https, no spaces), in "
                              "MedicationAdministration.extension")
                    elif not (read_here and key == "extension"):
                        p.add(where, f"{shown} is igclaim's extension, which igclaim reads only in "
                              "MedicationAdministration.extension (on the administration of the drug): here it "
                              "would not be read; move it there")
            stack.extend((f"{path}.{k}", v, False) for k, v in reversed(list(x.items())) if isinstance(v, dict | list))
        elif isinstance(x, list):
            stack.extend((f"{path}[{j}]", v, False) for j, v in reversed(list(enumerate(x)))
                         if isinstance(v, dict | list))


def _codings(concept: dict | None) -> list[dict]:
    return list((concept or {}).get("coding") or [])


def _code(concept: dict | None, systems: tuple[str, ...] | str) -> str | None:
    systems = (systems,) if isinstance(systems, str) else systems
    return next((c.get("code") for c in _codings(concept) if c.get("system") in systems and c.get("code")), None)


def _authorized(cr: dict, where: str, p: _Problems) -> dict[str, Any]:
    """What the payer authorized (PAS ItemAuthorizedDetail on ClaimResponse.item): the code and its quantity, in
    HCPCS units or, with the UCUM unit g, in grams. The first item that names a quantity; none: nothing."""
    for j, item in enumerate(cr.get("item") or []):
        for ext in item.get("extension") or []:
            if ext.get("url") != ITEM_AUTHORIZED:
                continue
            parts = {e.get("url"): e for e in ext.get("extension") or []}
            qty = (parts.get("quantity") or {}).get("valueQuantity") or {}
            if qty.get("value") is None:
                continue
            out: dict[str, Any] = {"hcpcs": _code((parts.get("productOrServiceCode") or {})
                                                  .get("valueCodeableConcept"), HCPCS)}
            if (qty.get("code") or qty.get("unit")) in ("g", "gram", "grams"):
                out["grams"] = qty["value"]
            elif _whole(qty["value"]):
                out["units"] = int(qty["value"])
            else:
                p.add(where, f"item[{j}].extension (itemAuthorizedDetail).quantity: units must be a whole number "
                      "of at most 12 digits, or give the unit g for grams")
                return {}
            return {k: v for k, v in out.items() if v is not None}
    return {}


def _whole(v: Any) -> bool:
    """A whole number of at most 12 digits, judged without int(): int() of the decimal 1E+999999 (fhir.resources
    takes it) builds a million-digit integer, half a minute of CPU for one request."""
    if isinstance(v, bool) or not isinstance(v, int | float | Decimal):
        return False
    d = Decimal(v)  # exact for int and float; NaN and infinities stay not finite
    return d.is_finite() and abs(d) < _COUNT_CEILING and d == d.to_integral_value()


_COUNT_CEILING = Decimal(10) ** 12  # above any count the schema takes; bounds the work of reading one


def _text(owner: dict, key: str, where: str, p: _Problems, element: str = "") -> str | None:
    """A date or dateTime element as the text FHIR JSON writes. fhir.resources also takes a number there (a Unix
    time, as pydantic does), which no chart means: a problem naming the element, never a date in 1970."""
    value = owner.get(key)
    if value is None or isinstance(value, str):
        return value
    p.add(where, f"{element or key}: a date written as text is required (FHIR JSON writes dates and times as text), "
          "not a number")
    return None


def _period(owner: dict, element: str, where: str, p: _Problems) -> dict[str, str | None]:
    """A Period's start and end, each read by `_text`."""
    period = owner.get(element) or {}
    return {el: _text(period, el, where, p, f"{element}.{el}") for el in ("start", "end")}


def _current(items: list[dict] | None, preferred: str) -> dict | None:
    """The HumanName or Address a claim carries: the first of `use` preferred (official name, home address), else
    the first not marked old (FHIR: "old" is no longer in use), else None. The first one listed could be a
    nickname or a former address, and the payer matches the claim against its own record."""
    current = [x for x in items or [] if isinstance(x, dict) and x.get("use") != "old"]
    return next((x for x in current if x.get("use") == preferred), current[0] if current else None)


def _names_another(ref: Any, rtype: str, target: dict, full_url: str | None) -> bool:
    """A reference that clearly names another resource than `target`: a relative `Type/id` (or a URL ending in
    one) with another id, or a urn:uuid other than the target entry's fullUrl. Anything else is not judged."""
    if not isinstance(ref, str) or not ref:
        return False
    if ref.startswith("urn:uuid:"):
        return bool(full_url and full_url.startswith("urn:uuid:") and ref != full_url)
    parts = ref.split("/_history/")[0].split("/")
    if len(parts) < 2 or parts[-2] != rtype or not target.get("id"):
        return False
    return parts[-1] != target["id"]


def _ref_id(ref: dict | None) -> str | None:
    r = (ref or {}).get("reference") or ""
    return r.split("/")[-1] if r else None


def _address(a: dict | None) -> dict | None:
    if not a:
        return None
    lines = a.get("line") or []
    out = {"line1": lines[0] if lines else None, "city": a.get("city"), "state": a.get("state"),
           "zip": (a.get("postalCode") or "").replace("-", "")}
    if len(lines) > 1:
        out["line2"] = lines[1]
    return out


def parse_bundle(obj: Any) -> Encounter:
    """The Bundle's visit as an Encounter; InvalidInput lists every problem, each naming resource and element."""
    if not is_bundle(obj):
        raise InvalidInput(["(top level): not a FHIR Bundle"])
    wrong = not_a_chart(obj)
    if wrong:
        raise InvalidInput([wrong])
    _validate(obj)
    p = _Problems()
    by_type: dict[str, list[tuple[int, dict]]] = {}
    by_id: dict[tuple[str, str], dict] = {}
    full_urls: dict[int, str] = {}
    for i, e in enumerate(obj.get("entry") or []):
        r = e.get("resource") or {}
        by_type.setdefault(r.get("resourceType", ""), []).append((i, r))
        if r.get("resourceType") in READ_TYPES:
            _modifiers({k: v for k, v in e.items() if k != "resource"}, f"Bundle.entry[{i}]", p)
            _modifiers(r, f"{r['resourceType']} (entry {i})", p)
        if isinstance(e.get("fullUrl"), str):
            full_urls[id(r)] = e["fullUrl"]
        if r.get("id"):
            if (r["resourceType"], r["id"]) in by_id:  # a reference to it could not tell which one it means
                raise InvalidInput([f"Bundle.entry[{i}].resource.id: {str(r['resourceType'])[:40]} "
                                    f"{str(r['id'])[:64]!r} appears twice in the Bundle"])
            by_id[(r["resourceType"], r["id"])] = r

    _igclaim_extensions(obj, p)

    def one(rtype: str) -> tuple[str, dict]:
        """The resource of this type; several are an error (the first one read would silently decide the claim),
        except Coverages, where the one of lowest Coverage.order is the plan billed."""
        found = by_type.get(rtype) or []
        if not found:
            p.add(rtype, "required: the Bundle has none")
            return rtype, {}
        if rtype == "Coverage":
            found = _billed_coverages(found)
        if len(found) > 1:
            shown = ", ".join(str(i) for i, _ in found[:5]) + (", …" if len(found) > 5 else "")
            p.add(rtype, f"{len(found)} in the Bundle (entries {shown}): {ONE_PER_BUNDLE[rtype]}")
        i, r = found[0]
        return f"{rtype} (entry {i})", r

    data: dict[str, Any] = {}
    # Encounter: id, date of service, setting.
    where, enc = one("Encounter")
    data["encounter_id"] = enc.get("id") or "(no Encounter.id)"
    start = (_period(enc, "period", where, p)["start"] or "")[:10]
    if enc and not start and not p.named(where, "period.start"):
        p.add(where, "period.start: required (the date of service)")
    data["date_of_service"] = start or None
    data["setting"] = _setting(enc, where, p) if enc else None
    if enc.get("status") in NOT_A_VISIT:
        p.add(where, f"status: {enc['status']}: the visit did not take place, so there is no claim to code")
    for ident in enc.get("identifier") or []:
        if "claim" in ((ident.get("type") or {}).get("text") or "").lower() and ident.get("value"):
            data["claim_id"] = ident["value"]
    # Patient.
    where, pat = one("Patient")
    if pat:
        name = _current(pat.get("name"), "official") or {}
        patient = {"id": pat.get("id") or "", "last_name": name.get("family"),
                   "first_name": (name.get("given") or [None])[0], "birth_date": _text(pat, "birthDate", where, p),
                   "sex": SEX.get(pat.get("gender") or "unknown", "U"),
                   "address": _address(_current(pat.get("address"), "home"))}
        for el, key in (("name.family", "last_name"), ("birthDate", "birth_date")):
            if not patient[key] and not p.named(where, el):
                p.add(where, f"{el}: required")
        data["patient"] = patient
    # Coverage: the payer and the member.
    where, cov = one("Coverage")
    if cov:
        data["payer"] = _payer(cov, where, p)
        if cov.get("subscriberId"):
            rel = _code(cov.get("relationship"), "http://terminology.hl7.org/CodeSystem/subscriber-relationship")
            data["subscriber"] = {"member_id": cov["subscriberId"],
                                  "relationship": rel if rel in ("self", "spouse", "child") else
                                  ("self" if rel is None else "other")}
    # ClaimResponse of a prior authorization (Da Vinci PAS: use "preauthorization"): its number and period.
    for i, cr in by_type.get("ClaimResponse", []):
        if cr.get("use") == "preauthorization" and data.get("payer") is not None:
            w = f"ClaimResponse (entry {i})"
            if not cr.get("preAuthRef"):
                p.add(w, "preAuthRef: required (the authorization number) on a ClaimResponse of use preauthorization")
                continue
            period = _period(cr, "preAuthPeriod", w, p)
            data["payer"]["prior_authorization"] = {"number": cr["preAuthRef"], "start": (period.get("start") or
                                                    "")[:10] or None, "end": (period.get("end") or "")[:10] or None,
                                                    **_authorized(cr, w, p)}
            break

    def of_this_visit(res: dict, w: str, elements: tuple[tuple[str, str, dict], ...]) -> None:
        """A reference to another patient or visit than the Bundle's (its drugs or diagnoses would join this
        claim) is an error; one igclaim cannot judge (no id to compare) is left alone."""
        for element, rtype, target in elements:
            ref = (res.get(element) or {}).get("reference")
            if target and _names_another(ref, rtype, target, full_urls.get(id(target))):
                p.add(w, f"{element}: {str(ref)[:60]!r} is not the Bundle's {rtype}: a Bundle holds one patient's "
                      "visit")

    # Conditions: the diagnoses, in Bundle order (the first is the principal reason for the visit).
    dx = []
    for i, c in by_type.get("Condition", []):
        if _code(c.get("verificationStatus"), CONDITION_VERIFICATION) in NOT_A_DIAGNOSIS:
            continue  # recorded in error, or ruled out: never a diagnosis on the claim
        of_this_visit(c, f"Condition (entry {i})", (("subject", "Patient", pat), ("encounter", "Encounter", enc)))
        code = _code(c.get("code"), ICD10CM)
        if code is None:
            p.add(f"Condition (entry {i})", f"code.coding: no ICD-10-CM code (system {ICD10CM})")
        else:
            dx.append(code)
    data["diagnoses"] = dx
    # MedicationAdministrations: drugs and administrations; fluids (flush, KVO, diluent, hydration).
    drugs: list[dict] = []
    admins: list[dict] = []
    fluids: list[dict] = []
    sites: dict[str, int] = {}
    meds: dict[str, str] = {}
    given_in_all: dict[str, Decimal] = {}  # a premedication's units over its administrations, rounded up once
    for i, ma in by_type.get("MedicationAdministration", []):
        if ma.get("status") in NOT_GIVEN:
            continue  # not given, or recorded in error: nothing to bill
        w = f"MedicationAdministration (entry {i})"
        of_this_visit(ma, w, (("subject", "Patient", pat), ("context", "Encounter", enc)))
        period = _period(ma, "effectivePeriod", w, p)
        purpose = _purpose(ma)
        site_text = _site_key((ma.get("dosage") or {}).get("site"))
        site = sites.setdefault(site_text, len(sites) + 1) if site_text else 1
        if purpose:
            for n, ext in enumerate(ma.get("extension") or []):
                if ext.get("url") in (CONTAINER_EXT, DISCARDED_EXT, ACQUIRED_340B_EXT):
                    p.add(f"{w}.extension[{n}]", f"{ext['url']!r} is not read on a {purpose} (a fluid is not billed "
                          "as a drug): put it on the administration of the drug")
            fluids.append({"purpose": purpose, "start": period.get("start"), "stop": period.get("end"),
                           "ordered": bool(ma.get("request")), "site": site})
            continue
        med = _medication(ma, by_id, w, p)
        if med is None:
            continue
        dosage = ma.get("dosage") or {}
        route_code = (_code(dosage.get("route"), "http://snomed.info/sct") or
                      ((dosage.get("route") or {}).get("text") or "").upper())
        premed = _premedication(med, data.get("date_of_service"))
        if route_code in ORAL and not med["ndc"] and (premed or not (med["hcpcs"] or _is_ig_name(med["product"]))):
            continue  # an oral premedication (acetaminophen by mouth …) is not billed on the infusion claim
        for el in ("start", "end"):
            if not period[el] and not p.named(w, f"effectivePeriod.{el}"):
                p.add(w, f"effectivePeriod.{el}: required (infusion {'start' if el == 'start' else 'stop'} time)")
        dose = dosage.get("dose") or {}
        dose_unit = dose.get("code") or dose.get("unit") or ""
        route = ROUTES.get(route_code)
        key = med["key"]
        drug_id = meds.get(key)
        if premed:
            if dose.get("value") is None or dose_unit not in BILLING_UNITS or not med["hcpcs"]:
                p.add(w, f"dosage.dose: a drug that is not an immune globulin ({premed}) is billed by its HCPCS "
                      "code (a HCPCS coding on the Medication) and its billing units: give the dose in unit "
                      "'{unit}' (igclaim has no unit dose for other drugs' codes)")
                continue
            given = Decimal(str(dose["value"]))
            if not (given.is_finite() and abs(given) < _COUNT_CEILING):  # before int(): see _whole
                p.add(w, "dosage.dose: the units must be a number of at most 12 digits")
                continue
            if drug_id is None:
                drug_id = meds[key] = f"med{len(meds) + 1}"
                drug = {"id": drug_id, "hcpcs": med["hcpcs"], "route": route}
                if med["ndc"]:
                    drug["ndc"] = med["ndc"]
                drugs.append(drug)
            # The units billed are the whole dose given, rounded up once: 0.5 unit twice is 1 unit, not 2.
            given_in_all[drug_id] = given_in_all.get(drug_id, Decimal(0)) + given
            d = next(x for x in drugs if x["id"] == drug_id)
            d["units"] = int(given_in_all[drug_id].to_integral_value(rounding="ROUND_CEILING"))
            _containers(ma, d, w, p, premed)
            admins.append({"drug_id": drug_id, "start": period.get("start"), "stop": period.get("end"),
                           "site": site})
            continue
        unit = DOSE_UNITS.get(dose_unit)
        if dose.get("value") is None or unit is None:
            p.add(w, "dosage.dose: required, a value in g, mg or mL (the dose given)")
            continue
        if drug_id is None:
            drug_id = meds[key] = f"med{len(meds) + 1}"
            drug = {"id": drug_id, "dose": {unit: Decimal(str(dose["value"]))}, "route": route}
            drug.update({k: v for k, v in med.items() if k in ("product", "ndc", "hcpcs") and v})
            drugs.append(drug)
        else:
            drug = next(x for x in drugs if x["id"] == drug_id)
            if unit in drug["dose"]:
                drug["dose"][unit] += Decimal(str(dose["value"]))
            else:  # the doses must add up: a dose in mL beside one in g was dropped, and its units unbilled
                p.add(w, f"dosage.dose: in {dose_unit}, where an earlier administration of the same Medication "
                      f"gave its dose in {', '.join(drug['dose'])}: give every administration's dose in one unit")
        _containers(ma, drug, w, p)
        admins.append({"drug_id": drug_id, "start": period.get("start"), "stop": period.get("end"), "site": site})
    if not drugs:
        p.add("MedicationAdministration", "required: no administration of a drug (the immune globulin) in the Bundle")
    data.update({"drugs": drugs, "administrations": admins, "fluids": fluids})
    if p.items:
        raise InvalidInput(p.items)
    from igclaim.inputs import parse_encounter

    try:
        return parse_encounter(data)
    except InvalidInput as exc:
        raise InvalidInput([f"(mapped from the Bundle) {x}" for x in exc.problems]) from None


def _billed_coverages(found: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """The Coverages of lowest `order` (FHIR: 1 is the plan billed first); all of them unless each gives its order
    (a Coverage without one could be the primary)."""
    orders: list[int] = [r["order"] for _, r in found if isinstance(r.get("order"), int)
                         and not isinstance(r.get("order"), bool)]
    if len(orders) < len(found):
        return found
    return [x for x, o in zip(found, orders, strict=True) if o == min(orders)]


def _setting(enc: dict, where: str, p: _Problems) -> str | None:
    from igclaim.readers.x12 import _setting_of_pos

    cls = (enc.get("class") or {}).get("code")
    if cls == "HH":
        return "home"
    for concept in [*(enc.get("type") or []), enc.get("serviceType")]:
        pos = _code(concept, POS)
        if pos in ("19", "22"):
            return "hospital_outpatient"
        if pos:
            return _setting_of_pos(pos, [])
    if cls == "AMB":
        return "office"
    p.add(where, "class: AMB (office), HH (home), or a place-of-service type (22 hospital outpatient) is required")
    return None


def _payer(cov: dict, where: str, p: _Problems) -> dict:
    ptype = None
    for c in _codings(cov.get("type")):
        code = (c.get("code") or "").strip()
        if code in PAYER_TYPES:
            ptype = code
        elif c.get("system") == SOPT and code:
            ptype = ("medicare_advantage" if code.startswith("11") else "medicare" if code.startswith("1") else
                     "medicaid" if code.startswith("2") else "commercial" if code[0] in "56" else None)
        if ptype:
            break
    if ptype is None:
        p.add(where, "type.coding: the payer type is required (medicare, medicare_advantage, medicaid, commercial, "
              f"or a Source of Payment Typology code, system {SOPT})")
    payor = (cov.get("payor") or [{}])[0]
    ident = (payor.get("identifier") or {}).get("value")
    return {"type": ptype, "name": payor.get("display"), "payer_id": ident}


def _purpose(ma: dict) -> str | None:
    texts = [ma.get("category")] + list(ma.get("reasonCode") or [])
    for concept in texts:
        for t in [(concept or {}).get("text"), *[c.get("code") for c in _codings(concept)]]:
            if t and t.strip().lower() in FLUID_PURPOSES:
                return t.strip().lower()
    return None


def _site_key(site: dict | None) -> str | None:
    if not site:
        return None
    return (site.get("text") or next((c.get("code") for c in _codings(site)), None) or "").strip().lower() or None


def _medication(ma: dict, by_id: dict, where: str, p: _Problems) -> dict | None:
    concept = ma.get("medicationCodeableConcept")
    key = None
    if concept is None:
        ref = _ref_id(ma.get("medicationReference"))
        med = by_id.get(("Medication", ref or "")) if ref else None
        if med is None:
            p.add(where, f"medicationReference: Medication/{ref} is not in the Bundle")
            return None
        concept, key = med.get("code"), f"Medication/{ref}"
    ndc = _code(concept, NDC)
    hcpcs = _code(concept, HCPCS)
    product = (concept or {}).get("text") or next((c.get("display") for c in _codings(concept) if c.get("display")),
                                                  None)
    if not (ndc or hcpcs or product):
        p.add(where, f"medication: an NDC coding (system {NDC}), a HCPCS coding or the product name is required")
        return None
    return {"key": key or f"{ndc}|{hcpcs}|{product}", "ndc": ndc, "hcpcs": hcpcs, "product": None if ndc else product}


def _premedication(med: dict, dos: str | None) -> str | None:
    """'HCPCS J1200' for a drug whose HCPCS coding is not an immune globulin code of refdata/cms/hcpcs.toml, else
    None. A drug without a HCPCS coding stays an immune globulin (coding then names what it cannot place)."""
    from datetime import date

    from igclaim.refdata.resolver import reference

    ref = reference()
    if med["hcpcs"]:
        try:
            day = date.fromisoformat(dos) if dos else date.today()
        except ValueError:
            day = date.today()
        code = med["hcpcs"].upper()
        return None if ref.hcpcs(code, day) or ref.known_code(code) else f"HCPCS {code}"
    return None


def _is_ig_name(name: str | None) -> bool:
    """The Medication's text names an immune globulin product of the catalog (so it is never skipped as oral)."""
    from igclaim.refdata.resolver import reference

    return bool(name) and bool(reference().find_products(name or ""))


def _quantity(q: dict | None) -> tuple[str, Decimal] | None:
    unit = DOSE_UNITS.get((q or {}).get("code") or (q or {}).get("unit") or "")
    if not q or q.get("value") is None or unit not in ("grams", "ml"):
        return None
    return unit, Decimal(str(q["value"]))


def _containers(ma: dict, drug: dict, where: str, p: _Problems, premed: str | None = None) -> None:
    """The containers opened, the amount discarded and a 340B purchase, from igclaim's extensions (CONTAINER_EXT,
    DISCARDED_EXT, ACQUIRED_340B_EXT). Of a premedication (`premed`, 'HCPCS J1200') the 340B purchase only: its
    containers and waste are read from a JSON chart, and one of those extensions here is an error."""
    here: tuple[int, bool] | None = None  # this administration's first 340B extension: (its index, what it says)
    for n, ext in enumerate(ma.get("extension") or []):
        w = f"{where}.extension[{n}]"
        if premed and ext.get("url") in (CONTAINER_EXT, DISCARDED_EXT):
            p.add(w, f"{ext['url']!r} is read for an immune globulin only (this administration is of {premed}): "
                  "give the premedication's containers and waste in a JSON chart")
            continue
        if ext.get("url") == ACQUIRED_340B_EXT:
            said = ext.get("valueBoolean")
            if not isinstance(said, bool):
                p.add(w, "valueBoolean: true or false is required (was the drug bought through 340B)")
            elif here is not None and here[1] is not said:
                p.add(w, f"valueBoolean: extension[{here[0]}] of this administration says the opposite; a drug is "
                      "bought through 340B or not")
            elif drug.setdefault("acquired_340b", said) is not said:
                p.add(w, "valueBoolean: an earlier administration of the same Medication says the opposite; a drug "
                      "is bought through 340B or not")
            if here is None and isinstance(said, bool):
                here = (n, said)
        elif ext.get("url") == DISCARDED_EXT:
            q = _quantity(ext.get("valueQuantity"))
            if q is None or q[0] != "grams":
                p.add(w, "valueQuantity: the amount discarded in g is required")
                continue
            drug["discarded_grams"] = drug.get("discarded_grams", Decimal(0)) + q[1]
        elif ext.get("url") == CONTAINER_EXT:
            parts = {e.get("url"): e for e in ext.get("extension") or []}
            container: dict[str, Any] = {"count": (parts.get("count") or {}).get("valueInteger", 1)}
            coding = (parts.get("ndc") or {}).get("valueCoding") or {}
            ndc = coding.get("code") or (parts.get("ndc") or {}).get("valueCode")
            if ndc:
                container["ndc"] = ndc
            q = _quantity((parts.get("amount") or {}).get("valueQuantity"))
            if q:
                container[q[0]] = q[1]
            if not ndc and not q:
                p.add(w, "extension: a container opened needs 'ndc' (valueCoding, the package's NDC) or 'amount' "
                      "(valueQuantity in g or mL)")
                continue
            drug.setdefault("containers", []).append(container)
