"""Fee schedules for administration services: the Physician Fee Schedule national relative value file
(PPRRVU<YYYY>_<Mon>.csv inside CMS's RVU zip), or a simple `code,amount` CSV for a locality or contract.

PPRRVU layout (CY2025 October release, RVU25D): caption records, then a header spread over 5 records whose
last starts HCPCS, MOD, DESCRIPTION; the columns used are STATUS CODE, NON-FACILITY TOTAL, FACILITY TOTAL and
CONV FACTOR. The national amount is total RVU × conversion factor, rounded to cents; locality GPCIs are NOT
applied (import a `code,amount` file for a locality's or contract's amounts). Only status A, R and T codes
are paid on the fee schedule; others are stored without an amount (CMS PFS Relative Value File readme, RVU25D).
Simple layout: header `code,amount` (optional `modifier`, `facility_amount`); needs --effective and --schedule.
Source: https://www.cms.gov/medicare/payment/fee-schedules/physician/pfs-relative-value-files
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain, islice
from typing import Any

from igclaim.refdata.importers import (
    MON3,
    MONTHS,
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
    records,
)
from igclaim.refdata.importers.asp import CODE

MEMBER = re.compile(r"^PPRRVU.*\.(csv|xlsx)$", re.I)
MODIFIER = re.compile(r"[A-Z0-9]{2}")  # fullmatch: JZ, 26, TC (not "JZZ", nor "ＪＺ", which no claim line carries)
PFS_PAID = {"A", "R", "T"}
NATIONAL = "pfs-national"
CENT = Decimal("0.01")


def _amount(source: Source, line: int, column: int, text: str) -> Decimal:
    return amount(source, line, column, text)


def parse(source: Source, options: Options) -> Parsed:
    rest = records(source)
    recs = list(islice(rest, 25))  # the header is within the first records; the rest is read one at a time
    for i, (_, cells) in enumerate(recs):
        if cell(cells, 0).upper() == "HCPCS" and cell(cells, 1).upper() == "MOD":
            return _pprrvu(source, options, recs, i, rest)
        if cell(cells, 0).lower() == "code":
            return _simple(source, options, recs, i, rest)
        if i > 20:
            break
    raise ImportFailure(source.name, None, None, "neither a PFS relative value file (header HCPCS, MOD, ...) nor a "
                        "'code,amount' fee schedule")


def _modifier(source: Source, line: int, column: int | None, text: str) -> str:
    """A modifier cell (0-based `column`): blank, or two of A-Z and 0-9 (MODIFIER), upper-cased; else refused."""
    modifier = ascii_upper(text)
    if modifier and not MODIFIER.fullmatch(modifier):
        raise ImportFailure(source.name, line, None if column is None else column + 1,
                            f"{modifier!r} is not a modifier (two of A-Z, 0-9)")
    return modifier


def _pprrvu(source: Source, options: Options, recs: list[Any], at: int, rest: Iterator[Any]) -> Parsed:
    line, last = recs[at]
    # Column names are written down the 5 header records ("NON-FACILITY" over "TOTAL").
    names = []
    for j in range(len(last)):
        parts = [cell(c, j) for _, c in recs[max(0, at - 4):at + 1]]
        names.append(" ".join(p for p in parts if p))
    cols = header_index(source, line, names, {"status": "STATUS CODE", "nonfac": "NON-FACILITY TOTAL",
                                              "fac": "FACILITY TOTAL", "cf": "CONV FACTOR"})
    rows = RowSpool()
    for n, cells in chain(recs[at + 1:], rest):
        if blank(cells):
            continue
        code = ascii_upper(cell(cells, 0))
        if not CODE.match(code):
            raise ImportFailure(source.name, n, 1, f"{code!r} is not a HCPCS/CPT code")
        status = cell(cells, cols["status"]).upper()
        cf = _amount(source, n, cols["cf"] + 1, cell(cells, cols["cf"]))
        nonfac = _amount(source, n, cols["nonfac"] + 1, cell(cells, cols["nonfac"]))
        fac = _amount(source, n, cols["fac"] + 1, cell(cells, cols["fac"]))
        amounts: tuple[str | None, str | None]
        if status in PFS_PAID:
            amounts = (str((nonfac * cf).quantize(CENT, ROUND_HALF_UP)), str((fac * cf).quantize(CENT, ROUND_HALF_UP)))
            note = f"national: total RVU x CF {cf}; GPCIs not applied"
        else:
            amounts, note = (None, None), f"status {status}: not paid on the fee schedule"
        rows.append((code, _modifier(source, n, 1, cell(cells, 1)), *amounts, note))
    caption = " ".join(" ".join(c) for _, c in recs[:at])
    effective, ends = dates(source, options, _release(caption + " " + source.names), "PFS relative value file")
    return Parsed("fees", source.name, effective, ends, rows, scope=options.schedule or NATIONAL)


def _release(text: str) -> tuple[date, date] | None:
    """'2025 National Physician Fee Schedule Relative Value File October Release' or PPRRVU2025_Oct: in force
    from that month through December 31 (a later release of the year takes over from its own month)."""
    m = re.search(r"([0-9]{4}) National Physician Fee Schedule Relative Value File (\w+) Release", text, re.I)
    if m and m.group(2).lower() in MONTHS:
        year, month = int(m.group(1)), MONTHS[m.group(2).lower()]
    elif (m := re.search(r"PPRRVU([0-9]{4})_([A-Za-z]{3})", text)) and m.group(2).lower() in MON3:
        year, month = int(m.group(1)), MON3[m.group(2).lower()]
    else:
        return None
    return date(year, month, 1), date(year, 12, 31)


def _simple(source: Source, options: Options, recs: list[Any], at: int, rest: Iterator[Any]) -> Parsed:
    line, head = recs[at]
    cols = header_index(source, line, head, {"code": "code", "amount": "amount"},
                        {"modifier": "modifier", "facility": "facility_amount"})
    if not options.schedule:
        raise ImportFailure(source.name, line, None, "a 'code,amount' fee schedule needs --schedule NAME (the "
                            "locality or contract it belongs to)", ("schedule",))
    rows = RowSpool()
    for n, cells in chain(recs[at + 1:], rest):
        if blank(cells):
            continue
        code = ascii_upper(cell(cells, cols["code"]))
        if not CODE.match(code):
            raise ImportFailure(source.name, n, cols["code"] + 1, f"{code!r} is not a HCPCS/CPT code")
        amount = _amount(source, n, cols["amount"] + 1, cell(cells, cols["amount"]))
        fac_text = cell(cells, cols.get("facility"))
        facility = _amount(source, n, cols["facility"] + 1, fac_text) if fac_text else amount
        modifier = _modifier(source, n, cols.get("modifier"), cell(cells, cols.get("modifier")))
        rows.append((code, modifier, str(amount), str(facility),
                     f"fee schedule {options.schedule}"))
    if options.effective and not options.ends:  # a contract's fees run the calendar year unless told otherwise
        options = Options(options.effective, date(options.effective.year, 12, 31), options.setting, options.schedule,
                          options.force)
    effective, ends = dates(source, options, None, "fee schedule")
    return Parsed("fees", source.name, effective, ends, rows, scope=options.schedule or "")
