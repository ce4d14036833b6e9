"""Encounters as flat rows (CSV and Parquet share these columns; docs/batch.md documents them).

A spreadsheet holds one encounter as consecutive rows with the same `encounter_id`: typically one row per
drug line, each carrying the drug, its administration and, for a claim someone wrote, one written claim line.
Every row part is optional, so extra rows may carry only a second administration of a drug, a fluid, a pump
log entry or a further written claim line (e.g. 96365, 96366). Encounter columns may be repeated on every row
(they must then agree) or given once. The rows become the same dict as the JSON schema, and the same
`parse_encounter` validates it, so a CSV and a JSON encounter are judged alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from igclaim.errors import SHOWN_MAX

ENCOUNTER_COLUMNS = (
    "encounter_id", "date_of_service", "setting", "place_of_service", "type_of_bill", "outpatient_department",
    "payer_type", "payer_name", "payer_profile", "payer_id",
    "prior_auth_number", "prior_auth_start", "prior_auth_end", "prior_auth_units", "prior_auth_grams",
    "prior_auth_hcpcs", "abn_signed", "diagnoses", "claim_id", "filing_date",
)
DRUG_COLUMNS = (
    "drug_id", "product", "hcpcs", "ndc", "route", "dose_grams", "dose_mg", "dose_ml", "concentration_percent",
    "units", "containers", "container_type", "shared_with_other_patient", "discarded_grams", "acquired_340b",
    "ndc_quantity", "ndc_unit",
)
ADMIN_COLUMNS = ("admin_start", "admin_stop", "admin_site", "admin_method", "pump_setups", "sc_sites", "visit_start",
                 "visit_stop")
PUMP_COLUMNS = ("pump_start", "pump_stop")
FLUID_COLUMNS = ("fluid_purpose", "fluid_start", "fluid_stop", "fluid_ordered", "fluid_reason", "fluid_site")
CLAIM_HEAD_COLUMNS = ("claim_form", "claim_place_of_service", "claim_type_of_bill", "claim_diagnoses")
CLAIM_LINE_COLUMNS = (
    "claim_line", "claim_code", "claim_modifiers", "claim_units", "claim_ndc", "claim_ndc_quantity",
    "claim_ndc_unit", "claim_revenue_code", "claim_dx_pointers", "claim_service_date", "claim_line_place_of_service",
)
COLUMNS = (ENCOUNTER_COLUMNS + DRUG_COLUMNS + ADMIN_COLUMNS + PUMP_COLUMNS + FLUID_COLUMNS
           + CLAIM_HEAD_COLUMNS + CLAIM_LINE_COLUMNS)

# The encounter fields no column carries, as docs/batch.md's "Not in rows" names them (a path; `[]` is each item of
# a list; a whole model where none of its fields has a column): JSON Lines carries them, and `encounter_to_rows`
# refuses an encounter that gives one. tests/test_batch_tabular.py checks this list against the schema (every field
# is a column or listed here) and against the docs.
NOT_IN_ROWS = (
    "billing_provider", "rendering_provider", "ordering_provider", "patient", "subscriber", "correction",
    "payer.contractor", "drugs[].containers[].units", "claim.total_expected_payment",
    "claim.lines[].expected_payment", "claim.lines[].unit_basis",
)

# encounter column → path in the JSON schema
_ENCOUNTER_PATHS = {
    "encounter_id": ("encounter_id",), "date_of_service": ("date_of_service",), "setting": ("setting",),
    "place_of_service": ("place_of_service",), "type_of_bill": ("type_of_bill",), "claim_id": ("claim_id",),
    "outpatient_department": ("outpatient_department",), "filing_date": ("filing_date",),
    "payer_type": ("payer", "type"), "payer_name": ("payer", "name"), "payer_profile": ("payer", "profile"),
    "payer_id": ("payer", "payer_id"), "abn_signed": ("payer", "abn_signed"),
    "prior_auth_number": ("payer", "prior_authorization", "number"),
    "prior_auth_start": ("payer", "prior_authorization", "start"),
    "prior_auth_end": ("payer", "prior_authorization", "end"),
    "prior_auth_units": ("payer", "prior_authorization", "units"),
    "prior_auth_grams": ("payer", "prior_authorization", "grams"),
    "prior_auth_hcpcs": ("payer", "prior_authorization", "hcpcs"),
}
_DRUG_FIELDS = {"product": "product", "hcpcs": "hcpcs", "ndc": "ndc", "route": "route", "units": "units",
                "container_type": "container_type", "shared_with_other_patient": "shared_with_other_patient",
                "discarded_grams": "discarded_grams", "acquired_340b": "acquired_340b",
                "ndc_quantity": "ndc_quantity", "ndc_unit": "ndc_unit"}  # the drug's NDC quantity (837 CTP04/CTP05)
_DOSE_FIELDS = {"dose_grams": "grams", "dose_mg": "mg", "dose_ml": "ml",
                "concentration_percent": "concentration_percent"}
_ADMIN_FIELDS = {"admin_start": "start", "admin_stop": "stop", "admin_site": "site", "admin_method": "method",
                 "pump_setups": "pump_setups", "sc_sites": "sc_sites"}
_VISIT_FIELDS = {"visit_start": "start", "visit_stop": "stop"}  # administrations[].visit (home nurse's visit)
_FLUID_FIELDS = {"fluid_purpose": "purpose", "fluid_start": "start", "fluid_stop": "stop",
                 "fluid_ordered": "ordered", "fluid_reason": "reason", "fluid_site": "site"}
_CLAIM_HEAD_FIELDS = {"claim_form": "form", "claim_place_of_service": "place_of_service",
                      "claim_type_of_bill": "type_of_bill"}
_CLAIM_LINE_FIELDS = {"claim_code": "code", "claim_units": "units", "claim_ndc": "ndc",
                      "claim_ndc_quantity": "ndc_quantity", "claim_ndc_unit": "ndc_unit",
                      "claim_revenue_code": "revenue_code", "claim_service_date": "service_date",
                      "claim_line_place_of_service": "place_of_service"}  # the line's own (CMS-1500 24B)

_LIST_SPLIT = re.compile(r"[;,\s]+", re.ASCII)  # ASCII spaces only: a no-break space is part of a value
# A cell's padding: the ASCII spaces a spreadsheet or a hand-typed CSV adds. Other spaces (U+00A0, U+2003, U+001C …)
# stay in the value, for the schema to judge as it judges the same text in JSON (str.strip() took them, so a CSV
# '\u00a0office' was coded where its JSON twin was refused).
PADDING = " \t\n\r\x0b\x0c"
# Counts and amounts of at most 9 digits (the schema bounds them far lower and names the field): a longer run of
# digits is refused here, naming the row and column, before int() meets a number past Python's 4,300 digits. The
# digits are 0-9 (\d takes any script's: int() read "３x10g" as 3 vials), as in every number of the input.
_CONTAINER = re.compile(
    r"^(?:(?P<count>[0-9]{1,9})\s*[x×*]\s*)?(?:(?P<amount>[0-9]{1,9}(?:\.[0-9]{1,9})?)\s*(?P<unit>g|ml))?"
    r"\s*(?:ndc:\s*(?P<ndc>[0-9-]+))?$",
    re.IGNORECASE | re.ASCII,  # \s: ASCII spaces only ('1x\u200340g' is refused, as its JSON grams are)
)


class RowsError(ValueError):
    """Rows that cannot form an encounter; `problems` name the row and column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def cell(value: Any) -> str | None:
    """A cell as text (None when blank): CSV gives strings, Parquet may give typed values. Shown plainly, as the
    file holds them: 500, not Decimal('500'); a binary column's D83.9 (UTF-8, as a CSV's), not b'D83.9'. A list,
    struct or non-UTF-8 bytes is no cell (`not_a_cell` refuses the row): it reads as its items' text, for a
    message and the rows' grouping only."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return "; ".join(t for t in map(cell, value) if t is not None) or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:  # NaN from a spreadsheet export
            return None
        value = Decimal(repr(value)).normalize()
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip(PADDING)
    return text or None


_LIST_COLUMNS = ("diagnoses", "claim_modifiers", "claim_dx_pointers", "claim_diagnoses")  # `split_list`'s


def not_a_cell(value: Any, column: str) -> str | None:
    """Why a typed (Parquet) value cannot be read as one cell, or None: a list or struct holds several values (it
    was read as Python wrote it, "[Decimal('500')]", and a list of codes split into "['D83.9'" and "'G61.81']"), and
    bytes must be UTF-8 text, as a CSV's are."""
    if isinstance(value, list | tuple | dict):
        shown = cell(value) or ""
        shown = shown if len(shown) <= SHOWN_MAX else f"{len(shown):,} characters"
        as_text = " (a list as text: D83.9; G61.81)" if column in _LIST_COLUMNS else ""
        return (f"a {'struct' if isinstance(value, dict) else 'list'} ({shown}), not one value: give the cell as "
                f"text or a number{as_text}")
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"not UTF-8 text (a byte 0x{exc.object[exc.start]:02x})"
    return None


def split_list(text: str | None) -> list[str]:
    return [p for p in _LIST_SPLIT.split(text or "") if p]


def parse_containers(text: str, where: str) -> list[dict[str, Any]]:
    """`3x10g; 1x5g`, `2x100mL`, `1x10g ndc:13533-0800-40` or `2xndc:13533-0800-40` → container dicts."""
    out = []
    for item in (p.strip(PADDING) for p in text.split(";")):
        if not item:
            continue
        m = _CONTAINER.match(item)
        if not m or not (m["amount"] or m["ndc"]):
            shown = repr(item) if len(item) <= SHOWN_MAX else f"a value of {len(item):,} characters"
            raise RowsError([f"{where} column containers: {shown} is not COUNTxAMOUNTg, COUNTxAMOUNTmL or "
                             "COUNTxndc:NDC (counts and amounts of at most 9 digits)"])
        c: dict[str, Any] = {"count": int(m["count"] or 1)}
        if m["amount"]:
            c["grams" if m["unit"].lower() == "g" else "ml"] = m["amount"]
        if m["ndc"]:
            c["ndc"] = m["ndc"]
        out.append(c)
    return out


def _set(obj: dict, path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        obj = obj.setdefault(key, {})
    obj[path[-1]] = value


def _pick(row: dict[str, str | None], fields: dict[str, str]) -> dict[str, Any]:
    return {name: row[col] for col, name in fields.items() if row.get(col) is not None}


def rows_to_encounter(rows: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """Rows of one encounter (row number, column → value) → an encounter dict in the public JSON schema."""
    enc: dict[str, Any] = {}
    first_seen: dict[str, tuple[str, int]] = {}
    drugs: dict[str, dict[str, Any]] = {}
    administrations: list[dict[str, Any]] = []
    fluids: list[dict[str, Any]] = []
    pump_log: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    claim: dict[str, Any] = {}
    problems: list[str] = []
    seen_rows: dict[tuple[str | None, ...], int] = {}  # each row's cells → its first row number
    for number, raw in rows:
        unknown = [k for k in raw if k not in COLUMNS and cell(raw[k]) is not None]
        if unknown:
            problems.append(f"row {number}: unknown column(s) {', '.join(sorted(unknown))}")
        problems.extend(f"row {number} column {k}: {why}" for k in COLUMNS
                        if (why := not_a_cell(raw.get(k), k)) is not None)
        row = {k: cell(raw.get(k)) for k in COLUMNS}
        same = seen_rows.setdefault(tuple(row.values()), number)
        if same != number:  # an encounter exported twice: read as written, its drug would be billed twice
            problems.append(f"row {number}: the same as row {same} in every cell (the encounter exported twice?); "
                            "remove the repeated row")
            continue
        for col in ENCOUNTER_COLUMNS + CLAIM_HEAD_COLUMNS:
            value = row[col]
            if value is None:
                continue
            if col in first_seen and first_seen[col][0] != value:
                problems.append(f"row {number} column {col}: {value!r} differs from {first_seen[col][0]!r} "
                                f"on row {first_seen[col][1]}")
                continue
            first_seen[col] = (value, number)
        drug_given = {c: row[c] for c in DRUG_COLUMNS if c != "drug_id" and row[c] is not None}
        drug_id = row["drug_id"]
        if drug_given:
            drug_id = drug_id or f"drug{len(drugs) + 1}"
            drug = _pick(row, _DRUG_FIELDS)
            dose = _pick(row, _DOSE_FIELDS)
            if dose:
                drug["dose"] = dose
            if row["containers"]:
                try:
                    drug["containers"] = parse_containers(row["containers"], f"row {number}")
                except RowsError as exc:
                    problems.extend(exc.problems)
            if drug_id in drugs:
                problems.append(f"row {number} column drug_id: drug {drug_id!r} is already described on an "
                                "earlier row (repeat only drug_id to add an administration)")
            else:
                drugs[drug_id] = {"id": drug_id, **drug}
        admin = _pick(row, _ADMIN_FIELDS)
        visit = _pick(row, _VISIT_FIELDS)
        if visit:
            admin["visit"] = visit
        if admin:
            if drug_id is None:
                problems.append(f"row {number} column drug_id: an administration needs the drug it gives")
            else:
                administrations.append({"drug_id": drug_id, **admin})
        if row["pump_start"] or row["pump_stop"]:
            pump_log.append({"drug_id": drug_id, "start": row["pump_start"], "stop": row["pump_stop"]})
        fluid = _pick(row, _FLUID_FIELDS)
        if fluid:
            fluids.append(fluid)
        line = _pick(row, _CLAIM_LINE_FIELDS)
        if line:
            line["line"] = row["claim_line"] or str(len(lines) + 1)
            line["modifiers"] = split_list(row["claim_modifiers"])
            if row["claim_dx_pointers"]:
                line["diagnosis_pointers"] = split_list(row["claim_dx_pointers"])
            lines.append(line)
    if problems:
        raise RowsError(problems)
    for col, (value, _) in first_seen.items():
        if col in _ENCOUNTER_PATHS:
            _set(enc, _ENCOUNTER_PATHS[col], value)
    if "diagnoses" in first_seen:
        enc["diagnoses"] = split_list(first_seen["diagnoses"][0])
    enc["drugs"] = list(drugs.values())
    for key, items in (("administrations", administrations), ("fluids", fluids), ("pump_log", pump_log)):
        if items:
            enc[key] = items
    claim.update({name: first_seen[col][0] for col, name in _CLAIM_HEAD_FIELDS.items() if col in first_seen})
    if "claim_diagnoses" in first_seen:
        claim["diagnoses"] = split_list(first_seen["claim_diagnoses"][0])
    if lines:
        claim["lines"] = lines
    if claim:
        enc["claim"] = claim
    return enc


# --- the other way: an encounter dict → rows (the generator, and the samples in examples/batch) ----------------

def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value) or None
    return str(value)


def _container_text(c: dict[str, Any]) -> str:
    count = c.get("count", 1)
    if c.get("grams") is not None:
        amount = f"{c['grams']}g"
    elif c.get("ml") is not None:
        amount = f"{c['ml']}mL"
    else:
        amount = ""
    ndc = f" ndc:{c['ndc']}" if c.get("ndc") else ""
    return f"{count}x{amount}{ndc}".replace("x ndc:", "xndc:")


def _given(value: Any, path: list[str], where: str = "") -> Iterator[str]:
    """Where a NOT_IN_ROWS field (split at its dots) holds a value under `value`: drugs[0].containers[1].units."""
    if not path:
        if value is not None:
            yield where
        return
    key, many = path[0].removesuffix("[]"), path[0].endswith("[]")
    sub = value.get(key) if isinstance(value, dict) else None
    at = f"{where}.{key}" if where else key
    if not many:
        yield from _given(sub, path[1:], at)
        return
    for i, item in enumerate(sub if isinstance(sub, list) else ()):
        yield from _given(item, path[1:], f"{at}[{i}]")


_SCALAR = (str, int, float, Decimal, date)  # a cell's value (bool is an int); datetime is a date
_KEYS = {"Drug": "id", "Administration": "drug_id", "PumpLogEntry": "drug_id"}  # the fields that key a drug's rows
_ITEMS = ("Drug", "Administration", "PumpLogEntry", "Fluid", "ClaimLine")  # a list's items, each of its own row


def _field_kind(annotation: Any) -> tuple[type | None, bool]:
    """(the model a field holds, or None for a value; whether it is a list of them or of values)."""
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if typing.get_origin(annotation) is list:
        return _field_kind(typing.get_args(annotation)[0])[0], True
    for arg in typing.get_args(annotation):  # X | None, Annotated[X, …]
        kind = _field_kind(arg)
        if kind != (None, False):
            return kind
    return None, False


def _shape_problems(value: Any, model: type, where: str = "") -> Iterator[str]:
    """Where `value` does not have the shape of `model` that rows are written from: an object where the schema has
    one, a list where it has a list, one value where it has one, and the drug ids that key the rows."""
    if not isinstance(value, dict):
        yield f"{where or '(top level)'}: an object expected, not {type(value).__name__}"
        return
    key = _KEYS.get(model.__name__)
    if key is not None and value.get(key) is None:
        yield f"{where}.{key}: missing (the rows of a drug are keyed by it)"
    fields = model.model_fields  # type: ignore[attr-defined]
    dropped: tuple[str, ...] = getattr(model, "DERIVED", ())  # keys the schema reads and drops (model.Claim)
    for name in value:  # JSON refuses an unknown key (every model forbids extra keys): rows had no cell for it
        if name not in fields and name not in dropped:
            yield f"{where + '.' if where else ''}{name}: not a field of the schema"
    if model.__name__ in _ITEMS and all(v in (None, [], {}) for k, v in value.items() if k != key):
        yield f"{where}: gives no field but its drug id, so its rows would hold nothing of it"
    for name, field in fields.items():
        sub, many = _field_kind(field.annotation)
        given, at = value.get(name), f"{where}.{name}" if where else name
        if given is None:
            continue
        if many and not isinstance(given, list):
            yield f"{at}: a list expected, not {type(given).__name__}"
            continue
        for i, item in enumerate(given) if many else ((None, given),):
            here = at if i is None else f"{at}[{i}]"
            if sub is not None:
                yield from _shape_problems(item, sub, here)
            elif item is not None and not isinstance(item, _SCALAR):
                yield f"{here}: one value expected, not {type(item).__name__}"
            elif many and isinstance(item, str) and _LIST_SPLIT.search(item.strip(PADDING)):
                yield f"{here}: holds a list separator (; , or a space) that its cell would split at"


def encounter_to_rows(enc: dict[str, Any]) -> list[dict[str, str | None]]:
    """An encounter dict (public schema) → its rows, with the encounter columns repeated on every row. An encounter
    that gives a field no column carries (NOT_IN_ROWS) is refused, naming it: rows would drop it; so is one not
    shaped as the schema (a list where one value belongs, a drug without its id), naming each field, and no row is
    written. The values themselves are the schema's to judge when the rows are read (the generator writes charts
    that are refused on purpose)."""
    from igclaim.model import Encounter

    lost = [where for name in NOT_IN_ROWS for where in _given(enc, name.split("."))]
    if lost:
        raise ValueError(f"{', '.join(lost)} cannot be written as rows (docs/batch.md: Not in rows); use JSON Lines")
    malformed = list(_shape_problems(enc, Encounter))
    if malformed:
        raise ValueError(f"{'; '.join(malformed)}: the encounter cannot be written as rows")
    head: dict[str, str | None] = {}
    for col, path in _ENCOUNTER_PATHS.items():
        value: Any = enc
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        head[col] = _text(value)
    head["diagnoses"] = _text(enc.get("diagnoses"))
    claim = enc.get("claim") or {}
    for col, name in _CLAIM_HEAD_FIELDS.items():
        head[col] = _text(claim.get(name))
    head["claim_diagnoses"] = _text(claim.get("diagnoses"))

    parts: list[dict[str, str | None]] = []
    for drug in enc.get("drugs") or []:
        part = {"drug_id": _text(drug["id"])}
        for col, name in _DRUG_FIELDS.items():
            part[col] = _text(drug.get(name))
        for col, name in _DOSE_FIELDS.items():
            part[col] = _text((drug.get("dose") or {}).get(name))
        if drug.get("containers"):
            part["containers"] = "; ".join(_container_text(c) for c in drug["containers"])
        parts.append(part)

    def slot(i: int) -> dict[str, str | None]:
        while len(parts) <= i:
            parts.append({})
        return parts[i]

    # Administrations and pump log entries are read back in the order of their rows: each goes on a row of its
    # drug at or after the previous one's, else on a row of its own at the end (they came back in the drugs' order,
    # so administrations[i] named another administration).
    for items, marker, cells in ((enc.get("administrations") or [], "admin_start", _admin_cells),
                                 (enc.get("pump_log") or [], "pump_start", _pump_cells)):
        at = 0
        for item in items:
            drug_id = _text(item["drug_id"])
            k = next((i for i in range(at, len(parts)) if parts[i].get("drug_id") == drug_id
                      and marker not in parts[i]), None)
            if k is None:
                k = len(parts)
                slot(k)["drug_id"] = drug_id
            parts[k].update(cells(item))  # its cells hold the marker: a later one of its drug takes another row
            at = k + 1
    for i, fl in enumerate(enc.get("fluids") or []):
        slot(i).update({col: _text(fl.get(name)) for col, name in _FLUID_FIELDS.items()})
    for i, line in enumerate(claim.get("lines") or []):
        row = slot(i)
        row.update({col: _text(line.get(name)) for col, name in _CLAIM_LINE_FIELDS.items()})
        row["claim_line"] = _text(line.get("line"))
        row["claim_modifiers"] = _text(line.get("modifiers"))
        row["claim_dx_pointers"] = _text(line.get("diagnosis_pointers"))
    out = []
    for part in parts or [{}]:
        row = dict.fromkeys(COLUMNS)
        row.update(head)
        row.update({k: v for k, v in part.items() if v is not None})
        out.append(row)
    return out


def _pump_cells(p: dict[str, Any]) -> dict[str, str | None]:
    return {"pump_start": _text(p.get("start")), "pump_stop": _text(p.get("stop"))}


def _admin_cells(a: dict[str, Any]) -> dict[str, str | None]:
    cells = {col: _text(a.get(name)) for col, name in _ADMIN_FIELDS.items()}
    cells.update({col: _text((a.get("visit") or {}).get(name)) for col, name in _VISIT_FIELDS.items()})
    return cells


def group_rows(rows: Iterable[tuple[int, dict[str, Any]]]) -> Iterable[list[tuple[int, dict[str, Any]]]]:
    """Consecutive rows with the same encounter_id form one encounter (a blank id is a group of its own)."""
    group: list[tuple[int, dict[str, Any]]] = []
    current: str | None = None
    for number, row in rows:
        key = cell(row.get("encounter_id"))
        if group and (key is None or key != current):
            yield group
            group = []
        group.append((number, row))
        current = key
    if group:
        yield group
