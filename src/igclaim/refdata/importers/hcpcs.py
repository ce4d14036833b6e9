"""Quarterly HCPCS Level II Alpha-Numeric file: `HCPC<YYYY>_<MON>_ANWEB.xlsx` (or a CSV saved from it), and the
fixed-width TXT (320-character records).

TXT layout (HCPC2016_recordlayout.txt; the 2024 layout file keeps the 320-byte record): code 1-5, sequence
6-10, record id 11 (3 = first line of a procedure, 4 = its continuation, 7/8 = the same for a modifier), long
description 12-91, short description 92-119, added date 269-276, action effective date 277-284,
termination date 285-292 (the last date the code may be used), action code 293. Continuation records carry
only the next 80 characters of the long description. The xlsx has the same fields as named columns
(HCPC, SEQNUM, RECID, LONG DESCRIPTION, ..., ADD DT, ACT EFF DT, TERM DT, ACTION CD), dates as YYYYMMDD.
Source: https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from igclaim.refdata.importers import (
    MON3,
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
    iter_lines,
    month_year_in_name,
    records,
    yyyymmdd,
)

# [0-9], not \d, in the file-name patterns too: \d takes any script's digits ("HCPC２０２６_JAN_ANWEB.txt").
MEMBER = re.compile(r"^HCPC[0-9]{4}.*ANWEB.*\.(xlsx|txt|csv)$", re.I)
NAME = re.compile(r"HCPC([0-9]{4})_(JAN|APR|JUL|OCT|CONTR)", re.I)
# A code (J1561) or a modifier (JW), of the letters A-Z and the digits 0-9 (a record of "J１５６１" is refused).
CODE = re.compile(r"[A-Z0-9]{2,5}")
FIRST, NEXT, MOD_FIRST, MOD_NEXT = "3", "4", "7", "8"
# (field, first column, last column) of a first-line record, 1-based as in the record layout
FIELDS = (("add", 269, 276), ("act_eff", 277, 284), ("term", 285, 292))


def effective_from_name(names: str) -> date | None:
    m = NAME.search(names)
    if m:
        mon = m.group(2).lower()
        return date(int(m.group(1)), 1 if mon == "contr" else MON3[mon], 1)
    return month_year_in_name(names)


def _date(source: Source, line: int, column: int, text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    try:
        return yyyymmdd(text).isoformat()
    except ValueError as exc:
        raise ImportFailure(source.name, line, column, str(exc)) from None


def parse(source: Source, options: Options) -> Parsed:
    # Rows go to a spool on disk as they are completed (a code's continuation records follow its first line), so
    # an import costs about the file's size in memory, not ten times it (docs/testing.md).
    rows = RowSpool(tuple(r) for r in (_parse_txt(source) if source.filename.lower().endswith(".txt")
                                       else _parse_table(source)))
    if not rows:
        raise ImportFailure(source.name, None, None, "no HCPCS records")
    effective, ends = dates(source, options, (d, None) if (d := effective_from_name(source.names)) else None,
                            "HCPCS file")
    return Parsed("hcpcs", source.name, effective, ends, rows)


def _completed(rows: list[list[Any]], row: list[Any]) -> Iterator[list[Any]]:
    """Hold the newest row (its continuation records may follow) and hand on the one before it."""
    if rows:
        yield rows.pop()
    rows.append(row)


def _parse_txt(source: Source) -> Iterator[list[Any]]:
    rows: list[list[Any]] = []  # at most one: the row whose continuations may still follow
    for n, rec in enumerate(iter_lines(source.data), start=1):
        if not rec.strip():
            continue
        if len(rec) < 11:
            raise ImportFailure(source.name, n, len(rec) + 1, "record too short for a HCPCS record (320 characters)")
        ric = rec[10]
        code = ascii_upper(rec[0:5].strip())
        if ric in (NEXT, MOD_NEXT):
            if not rows or rows[-1][0] != code:
                raise ImportFailure(source.name, n, 11, f"continuation record for {code!r} without its first line")
            rows[-1][1] = f"{rows[-1][1]} {rec[11:91].strip()}".strip()
            continue
        if ric not in (FIRST, MOD_FIRST):
            raise ImportFailure(source.name, n, 11, f"record identification code {ric!r} is not 3, 4, 7 or 8")
        if not CODE.fullmatch(code):
            raise ImportFailure(source.name, n, 1, f"{code!r} is not a HCPCS code or modifier")
        if len(rec.rstrip("\r")) < 293:
            raise ImportFailure(source.name, n, len(rec) + 1, "first-line record shorter than 293 characters")
        add, act, term = (_date(source, n, a, rec[a - 1:b]) for _, a, b in FIELDS)
        yield from _completed(rows, [code, rec[11:91].strip(), rec[91:119].strip(), add, act, term,
                                     rec[292].strip(), 1 if ric == MOD_FIRST else 0])
    yield from rows


def _parse_table(source: Source) -> Iterator[list[Any]]:
    cols: dict[str, int] | None = None
    rows: list[list[Any]] = []  # at most one: the row whose continuations may still follow
    for line, cells in records(source):
        if cols is None:
            if cell(cells, 0).upper() == "HCPC":
                cols = header_index(source, line, cells, {
                    "code": "HCPC", "recid": "RECID", "long": "LONG DESCRIPTION", "short": "SHORT DESCRIPTION",
                    "add": "ADD DT", "act": "ACT EFF DT", "term": "TERM DT", "action": "ACTION CD"})
                continue
            raise ImportFailure(source.name, line, 1, "expected the header record starting with HCPC")
        if blank(cells):
            continue
        code = ascii_upper(cell(cells, cols["code"]))
        ric = cell(cells, cols["recid"])
        if ric in (NEXT, MOD_NEXT):
            if not rows or rows[-1][0] != code:
                raise ImportFailure(source.name, line, cols["recid"] + 1, f"continuation for {code!r} without its "
                                    "first line")
            rows[-1][1] = f"{rows[-1][1]} {cell(cells, cols['long'])}".strip()
            continue
        if ric not in (FIRST, MOD_FIRST):
            raise ImportFailure(source.name, line, cols["recid"] + 1, f"RECID {ric!r} is not 3, 4, 7 or 8")
        if not CODE.fullmatch(code):
            raise ImportFailure(source.name, line, cols["code"] + 1, f"{code!r} is not a HCPCS code or modifier")
        add, act, term = (_date(source, line, cols[k] + 1, cell(cells, cols[k])) for k in ("add", "act", "term"))
        yield from _completed(rows, [code, cell(cells, cols["long"]), cell(cells, cols["short"]), add, act, term,
                                     cell(cells, cols["action"]), 1 if ric == MOD_FIRST else 0])
    if cols is None:
        raise ImportFailure(source.name, None, None, "no header record starting with HCPC: not a HCPCS file")
    yield from rows
