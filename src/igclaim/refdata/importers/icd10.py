"""ICD-10-CM order file ("Code Descriptions in Tabular Order", icd10cm_order_<FY>.txt), fixed width.

Layout (FY2026 file): order number 1-5, code 7-13 (no dot), 15 = 1 when the code is billable (valid for
HIPAA transactions) or 0 for a header, short description 17-76, long description from 78.
A fiscal-year release is in force October 1 (of FY − 1) through September 30; an April 1 update is named so
in its zip ("april"); --effective/--ends override. Source: https://www.cms.gov/medicare/coding-billing/icd-10-codes
"""

from __future__ import annotations

import re
from datetime import date

from igclaim.refdata.importers import (
    ImportFailure,
    Options,
    Parsed,
    RowSpool,
    Source,
    ascii_upper,
    dates,
    iter_lines,
)

# [0-9], not \d, in the file-name patterns too: \d takes any script's digits ("icd10cm_order_２０２６.txt").
MEMBER = re.compile(r"^icd10cm[_-]order[_-][0-9]{4}.*\.txt$", re.I)
FY = re.compile(r"(?:order|codes)[_-]([0-9]{4})", re.I)
CODE = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")


def _release(names: str) -> tuple[date, date] | None:
    m = FY.search(names)
    if not m:
        return None
    fy = int(m.group(1))
    if "april" in names.lower():
        return date(fy, 4, 1), date(fy, 9, 30)
    return date(fy - 1, 10, 1), date(fy, 9, 30)


def parse(source: Source, options: Options) -> Parsed:
    rows = RowSpool()
    for n, rec in enumerate(iter_lines(source.data), start=1):
        if not rec.strip():
            continue
        if len(rec) < 17:
            raise ImportFailure(source.name, n, len(rec) + 1, "record too short for the ICD-10-CM order file")
        if not rec[0:5].isdigit():
            raise ImportFailure(source.name, n, 1, f"order number {rec[0:5]!r} is not 5 digits")
        code = ascii_upper(rec[6:13].strip())
        if not CODE.match(code):
            raise ImportFailure(source.name, n, 7, f"{code!r} is not an ICD-10-CM code")
        flag = rec[14]
        if flag not in ("0", "1"):
            raise ImportFailure(source.name, n, 15, f"billable flag {flag!r} is not 0 or 1")
        rows.append((code, int(flag), rec[16:76].strip(), rec[77:].strip()))
    if not rows:
        raise ImportFailure(source.name, None, None, "no ICD-10-CM records")
    effective, ends = dates(source, options, _release(source.names), "ICD-10-CM release")
    return Parsed("icd10", source.name, effective, ends, rows)
