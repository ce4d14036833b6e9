"""ASP payment limit file ("Payment Allowance Limits for Medicare Part B Drugs", Section 508 CSV).

Layout (January 2026 release, file dated 12/17/25): 8 preamble records with "Effective <date> through <date>",
the header on record 9 (HCPCS Code, Short Description, HCPCS Code Dosage, Payment Limit, ...), Windows-1252,
quoted Notes cells that may hold a bare LF, "N/A" where no limit is published.
Source: https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files
"""

from __future__ import annotations

import re

from igclaim.refdata.importers import (
    ImportFailure,
    Options,
    Parsed,
    RowSpool,
    Source,
    amount,
    ascii_upper,
    blank,
    cell,
    dates,
    header_index,
    preamble_span,
    records,
)

MEMBER = re.compile(r"(payment.?limit|asp.?pricing).*\.(csv|xlsx)$", re.I)
# [0-9], not \d: \d takes any script's digits, so "J１５６１" was stored as a code no claim can match (this pattern is
# the ASP, crosswalk, MUE, PTP and fee importers' check of a HCPCS/CPT code).
CODE = re.compile(r"^[A-Z0-9][0-9]{3}[A-Z0-9]$|^[A-Z][0-9]{4}$|^[0-9]{4}[A-Z0-9]$")
NO_LIMIT = {"", "N/A", "NA"}


def parse(source: Source, options: Options) -> Parsed:
    preamble: list[str] = []
    cols: dict[str, int] | None = None
    rows = RowSpool()
    for line, cells in records(source):
        if cols is None:
            if cell(cells, 0).lower() == "hcpcs code":
                cols = header_index(source, line, cells, {"code": "HCPCS Code", "limit": "Payment Limit"},
                                    {"short": "Short Description", "dosage": "HCPCS Code Dosage", "notes": "Notes"})
            else:
                preamble.append(" ".join(cells))
            continue
        if blank(cells):
            continue
        code = ascii_upper(cell(cells, cols["code"]))
        if not CODE.match(code):
            raise ImportFailure(source.name, line, cols["code"] + 1, f"{code!r} is not a HCPCS code")
        raw = cell(cells, cols["limit"]).replace("$", "").replace(",", "")
        limit: str | None = None
        if raw.upper() not in NO_LIMIT:
            limit = str(amount(source, line, cols["limit"] + 1, raw))
        rows.append((code, cell(cells, cols.get("short")), cell(cells, cols.get("dosage")), limit,
                     " ".join(cell(cells, cols.get("notes")).split())))
    if cols is None:
        raise ImportFailure(source.name, None, None, "no header record starting with 'HCPCS Code': not an ASP "
                            "payment limit file")
    effective, ends = dates(source, options, preamble_span("\n".join(preamble)), "ASP payment limit file")
    return Parsed("asp", source.name, effective, ends, rows)
