"""FDA NDC Directory, package file (`package.txt` of ndctext.zip, tab-separated).

Layout: a header PRODUCTID, PRODUCTNDC, NDCPACKAGECODE, PACKAGEDESCRIPTION, STARTMARKETINGDATE,
ENDMARKETINGDATE, NDC_EXCLUDE_FLAG, SAMPLE_PACKAGE; NDCPACKAGECODE is the 10-digit hyphenated NDC (4-4-2, 5-3-2
or 5-4-1); dates YYYYMMDD (ENDMARKETINGDATE blank while marketed); PACKAGEDESCRIPTION nests packages from the
outside in ("1 VIAL, GLASS in 1 CARTON (0944-2850-05) > 20 mL in 1 VIAL, GLASS"). Each row keeps its own
marketing dates, so the file as a whole is in force from its earliest start unless --effective says otherwise.
Source: https://www.fda.gov/drugs/drug-approvals-and-databases/national-drug-code-directory
"""

from __future__ import annotations

import re
from datetime import date

from igclaim import ndc as ndc_mod
from igclaim.model import NUMBER_TEXT
from igclaim.refdata.importers import (
    OPEN_END,
    ImportFailure,
    Options,
    Parsed,
    RowSpool,
    Source,
    header_index,
    iter_lines,
    skipped_rows,
    yyyymmdd,
)

MEMBER = re.compile(r"^package\.(txt|tsv)$", re.I)
# The innermost quantity in mL: the last "<number> mL in 1 <container>" of the description.
_ML = re.compile(r"(\d+(?:\.\d+)?)\s*mL\s+in\s+1\b", re.I)


def package_ml(description: str) -> str:
    """The volume of one container in mL, from the description ('' when the description gives none, or writes it in
    other digits than 0-9: \\d also takes "１０" and "١٠", which the store's Decimal() read as 10 mL)."""
    found = _ML.findall(description)
    return found[-1] if found and NUMBER_TEXT.fullmatch(found[-1]) else ""


# The FDA directory's marketing dates: a labeler lists when it began marketing a package, and products sold since
# before CMS existed (1938 and earlier) keep their old start dates, which CMS_DATES (1980 on) refused: the official
# file's old packages were skipped, or past MAX_SKIPPED_SHARE the whole file refused. From 1900 on.
FDA_DATES = (date(1900, 1, 1), date(2100, 12, 31), "the FDA NDC directory")


def _date(source: Source, line: int, column: int, text: str) -> date:
    """A YYYYMMDD cell (0-based `column`), or ImportFailure naming its own line and column."""
    try:
        return yyyymmdd(text, FDA_DATES)
    except ValueError as exc:
        raise ImportFailure(source.name, line, column + 1, str(exc)) from None


def parse(source: Source, options: Options) -> Parsed:
    records = iter_lines(source.data)  # one at a time: the directory is tens of MB
    first = next(records, None)
    if first is None:
        raise ImportFailure(source.name, None, None, "empty file: not an FDA NDC Directory package file")
    cols = header_index(source, 1, first.split("\t"), {
        "product_ndc": "PRODUCTNDC", "package": "NDCPACKAGECODE", "description": "PACKAGEDESCRIPTION",
        "start": "STARTMARKETINGDATE", "end": "ENDMARKETINGDATE"})
    rows = RowSpool()
    earliest: date | None = None
    skipped: list[ImportFailure] = []  # rows no claim can use (importers.skipped_rows)
    for n, text in enumerate(records, start=2):
        if not text.strip():
            continue
        cells = text.split("\t")
        if len(cells) <= max(cols.values()):
            raise ImportFailure(source.name, n, None, f"{len(cells)} tab-separated fields, the header has more")
        get = {k: cells[i].strip() for k, i in cols.items()}
        try:
            ndc11 = ndc_mod.compact(get["package"])
        except ndc_mod.InvalidNDC as exc:  # no claim can carry it
            skipped.append(ImportFailure(source.name, n, cols["package"] + 1, str(exc)))
            continue
        try:
            start = _date(source, n, cols["start"], get["start"])
            end = _date(source, n, cols["end"], get["end"]) if get["end"] else None
        except ImportFailure as failure:  # the package's marketing dates are unknown: it cannot size a container
            skipped.append(failure)
            continue
        earliest = start if earliest is None else min(earliest, start)
        rows.append((ndc11, get["product_ndc"], " ".join(get["description"].split()),
                     package_ml(get["description"]), start.isoformat(), end.isoformat() if end else ""))
    notes = skipped_rows(source, skipped, len(rows))  # an all-bad file is refused here, naming its first row
    if earliest is None:  # no row was read
        raise ImportFailure(source.name, None, None, "no package records under the header")
    effective = options.effective or earliest
    ends = options.ends or OPEN_END
    if ends < effective:
        raise ImportFailure(source.name, None, None, f"ends {ends} is before effective {effective}")
    return Parsed("ndc_directory", source.name, effective, ends, rows, skipped=notes)
