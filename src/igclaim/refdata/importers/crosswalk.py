"""ASP NDC-HCPCS crosswalk (Section 508 CSV).

Layout (January 2024 and January 2026 releases): a title, "Effective <date> through <date>", a disclaimer and
blank records, then a header whose first column is `_<YYYY>_CODE` (CMS's own label; the January 2024 file
says _2023_CODE), NDC2 as 5-4-2, PKG SIZE, PKG QTY, BILLUNITS, BILLUNITSPKG; records padded with trailing
commas; quoted drug names may hold a bare LF. Source: https://www.cms.gov/medicare/payment/part-b-drugs/asp-pricing-files
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from igclaim import ndc as ndc_mod
from igclaim.model import NUMBER_TEXT
from igclaim.refdata.importers import (
    ImportFailure,
    Options,
    Parsed,
    RowSpool,
    Source,
    ascii_upper,
    blank,
    cell,
    dates,
    header_index,
    preamble_span,
    records,
    skipped_rows,
)
from igclaim.refdata.importers.asp import CODE

MEMBER = re.compile(r"crosswalk.*\.(csv|xlsx)$", re.I)
# [0-9], not \d: \d takes any script's digits ("_２０２６_CODE" was taken for CMS's header label).
HEADER = re.compile(r"^_[0-9]{4}_CODE$", re.I)


def _units(source: Source, line: int, column: int | None, label: str, text: str) -> str:
    """A billing-unit cell, kept as written (the store reads BILLUNITSPKG with Decimal()): blank, or a number written
    in the digits 0-9 (model.NUMBER_TEXT). Decimal() also read "1_0" as 10 and other scripts' digits ("１０", "١٠")
    as 10; and text that is no number ("N/A") was kept, and passed over by the store without a word. Both are
    refused, naming the cell."""
    if text and not NUMBER_TEXT.fullmatch(text):
        where = None if column is None else column + 1
        try:
            Decimal(text)
        except InvalidOperation:
            raise ImportFailure(source.name, line, where,
                                f"{label} {text!r} is not a number of billing units") from None
        raise ImportFailure(source.name, line, where, f"{label} {text!r}: write the number in the digits 0-9")
    return text


def parse(source: Source, options: Options) -> Parsed:
    preamble: list[str] = []
    cols: dict[str, int] | None = None
    rows = RowSpool()
    skipped: list[ImportFailure] = []
    for line, cells in records(source):
        if cols is None:
            if HEADER.match(cell(cells, 0)):
                cols = header_index(source, line, cells, {"ndc": "NDC2"}, {
                    "short": "Short Description", "labeler": "LABELER NAME", "drug": "Drug Name",
                    "dosage": "HCPCS dosage", "billunits": "BILLUNITS", "billunitspkg": "BILLUNITSPKG"})
                cols["code"] = 0
            else:
                preamble.append(" ".join(cells))
            continue
        if blank(cells):
            continue
        code = ascii_upper(cell(cells, 0))
        if not CODE.match(code):
            raise ImportFailure(source.name, line, 1, f"{code!r} is not a HCPCS code")
        try:
            ndc11 = ndc_mod.compact(cell(cells, cols["ndc"]))
        except ndc_mod.InvalidNDC as exc:  # no claim can carry it (a 12-digit NDC of J7331 in January 2026)
            skipped.append(ImportFailure(source.name, line, cols["ndc"] + 1, str(exc)))
            continue
        units = [_units(source, line, cols.get(key), label, cell(cells, cols.get(key)))
                 for key, label in (("billunits", "BILLUNITS"), ("billunitspkg", "BILLUNITSPKG"))]
        rows.append((code, ndc11, " ".join(cell(cells, cols.get("labeler")).split()),
                     " ".join(cell(cells, cols.get("drug")).split()), cell(cells, cols.get("dosage")), *units))
    if cols is None:
        raise ImportFailure(source.name, None, None, "no header record starting with _<YYYY>_CODE: not an ASP "
                            "NDC-HCPCS crosswalk")
    notes = skipped_rows(source, skipped, len(rows))
    effective, ends = dates(source, options, preamble_span("\n".join(preamble)), "NDC-HCPCS crosswalk")
    return Parsed("crosswalk", source.name, effective, ends, rows, skipped=notes)
