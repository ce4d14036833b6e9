"""NCCI Medically Unlikely Edits: practitioner, outpatient hospital and DME supplier tables (CSV or xlsx).

Layout (2026 Q3 practitioner CSV, MCR_MUE_PractitionerServices_Eff_07-01-2026.csv): a quoted multi-line AMA
notice record, then a header whose first cell is the two-line "HCPCS/<LF>CPT Code", then "<Setting> MUE
Values", "MUE Adjudication Indicator" (e.g. "3 Date of Service Edit: Clinical"), "MUE Rationale". Latin-1.
The effective date comes from the file name ("Eff_07-01-2026"), the zip name ("2026-q3") or --effective.
Source: https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/medicare-ncci-medically-unlikely-edits
"""

from __future__ import annotations

import re
from datetime import date

from igclaim.refdata.importers import (
    ImportFailure,
    Options,
    Parsed,
    RowSpool,
    Setting,
    Source,
    ascii_upper,
    blank,
    cell,
    dates,
    month_year_in_name,
    records,
)
from igclaim.refdata.importers.asp import CODE
from igclaim.refdata.resolver import reference

MEMBER = re.compile(r"MUE.*\.(csv|xlsx)$", re.I)
HEADER = re.compile(r"^HCPCS\s*/\s*CPT\s+Code$", re.I)
# The table as a header and a file name say it.
_PRACTITIONER, _HOSPITAL, _DME = Setting.practitioner.value, Setting.hospital.value, Setting.dme.value
SETTINGS = {"practitioner": _PRACTITIONER, "outpatient hospital": _HOSPITAL, "dme supplier": _DME}
NAME_SETTINGS = {"practitioner": _PRACTITIONER, "outpatienthospital": _HOSPITAL, "dmesupplier": _DME,
                 "outpatient-hospital": _HOSPITAL, "dme-supplier": _DME}
EFF = re.compile(r"eff[_-]([0-9]{2})-([0-9]{2})-([0-9]{4})", re.I)


def _setting(header_cell: str, names: str, options: Options) -> str | None:
    if options.setting:
        return options.setting
    text = " ".join(header_cell.split()).lower()
    for label, setting in SETTINGS.items():
        if text.startswith(label):
            return setting
    low = names.lower().replace("_", "")
    return next((s for k, s in NAME_SETTINGS.items() if k in low), None)


def parse(source: Source, options: Options) -> Parsed:
    header: tuple[int, list[str]] | None = None
    rows = RowSpool()
    for line, cells in records(source):
        if header is None:
            if HEADER.match(" ".join(cell(cells, 0).split())):
                header = (line, cells)
            continue
        if blank(cells):
            continue
        code = ascii_upper(cell(cells, 0))
        if not CODE.match(code):
            raise ImportFailure(source.name, line, 1, f"{code!r} is not a HCPCS/CPT code")
        value = cell(cells, 1)
        if not (value.isascii() and value.isdigit() and len(value) <= 6):  # int() refuses '²' and 4,301 digits
            raise ImportFailure(source.name, line, 2, f"MUE value {value!r} is not a whole number of units (at most "
                                "6 digits)")
        mai_text = " ".join(cell(cells, 2).split())
        known = [str(k) for k in reference().ncci.mue]  # refdata/cms/ncci.toml: 1, 2, 3
        if mai_text[:1] not in known:
            raise ImportFailure(source.name, line, 3, f"MUE adjudication indicator {mai_text!r} is not "
                                f"{', '.join(known[:-1])} or {known[-1]}")
        rows.append((code, int(value), int(mai_text[0]), mai_text, " ".join(cell(cells, 3).split())))
    if header is None:
        raise ImportFailure(source.name, None, None, "no header record starting with 'HCPCS/CPT Code': not an MUE "
                            "table")
    setting = _setting(cell(header[1], 1), source.names, options)
    if setting not in [s.value for s in Setting]:
        raise ImportFailure(source.name, header[0], 2, "cannot tell the MUE table (practitioner, outpatient "
                            "hospital, DME supplier) from the header: give --setting", ("setting",))
    m = EFF.search(source.names)
    found = date(int(m.group(3)), int(m.group(1)), int(m.group(2))) if m else month_year_in_name(source.names)
    effective, ends = dates(source, options, (found, None) if found else None, "MUE table")
    return Parsed("mue", source.name, effective, ends, rows, scope=setting)
