"""The chargemaster: what the provider charges for one billing unit of each code (design.md §2).

A CSV with a `code,unit_charge` header; lines starting with `#` are comments; other columns are ignored.
A line's charge is unit_charge × units. Charges are the provider's own, so igclaim ships only a SAMPLE with
synthetic amounts (`--charges sample`), never a real price list.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from igclaim.errors import InputError, InputErrors
from igclaim.model import HCPCS_CODE, MAX_AMOUNT, NUMBER_TEXT, ClaimLine
from igclaim.refdata.importers import ascii_upper

SAMPLE = "sample"
CENT = Decimal("0.01")  # a charge is in cents: the claim's amounts are, and the team's charge master stores them so


@dataclass(frozen=True)
class Chargemaster:
    charges: dict[str, Decimal]
    source: str
    sample: bool = False

    def unit_charge(self, code: str) -> Decimal | None:
        return self.charges.get(code.strip().upper())

    def line_charge(self, line: ClaimLine, path: str = "charges") -> Decimal:
        """unit_charge × units; a code without a charge stops the export, naming the code and the line."""
        unit = self.unit_charge(line.code)
        if unit is None:
            raise InputError(path, f"no unit_charge for {line.code} (claim line {line.line}) in {self.source}")
        return (unit * line.units).quantize(CENT)


def sample_path() -> Path:
    return Path(str(resources.files("igclaim.refdata") / "sample-chargemaster.csv"))


def read(text: str, source: str, sample: bool = False) -> tuple[Chargemaster, list[InputError]]:
    """The charges of every row that can be read, and a problem for every row that cannot (a code that is no
    5-character HCPCS/CPT code, `model.HCPCS_CODE`, either case, read upper case; a charge that is no number of
    cents from 0 to MAX_AMOUNT; a code twice), each naming its data row (one problem a row; the row is left out),
    so a biller fixes the file in one pass. A header without code,unit_charge is refused at once: no row can be
    read without it."""
    rows = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(rows)))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "code" not in header or "unit_charge" not in header:
        raise InputError(source, "a chargemaster needs a header with the columns code,unit_charge")
    reader.fieldnames = header
    charges: dict[str, Decimal] = {}
    problems: list[InputError] = []
    for n, row in enumerate(reader, start=1):
        written = (row.get("code") or "").strip()
        code = ascii_upper(written)  # 'ſ1561' kept, for the code check to refuse, not S1561
        raw = (row.get("unit_charge") or "").strip().replace("$", "").replace(",", "")
        got = _charge(code, written, raw, row.get(None), charges)  # row.get(None): DictReader's cells beyond the header
        if isinstance(got, str):
            problems.append(InputError(f"{source} (data row {n})", got))
            continue
        charges[code] = got
    return Chargemaster(charges, source, sample), problems


def _charge(code: str, written: str, raw: str, beyond: Any, charges: dict[str, Decimal]) -> Decimal | str:
    """A row's unit charge, or what is wrong with the row (`code`: as `written`, upper case; `charges`: the rows
    before it)."""
    if not code:
        return "code is empty"
    if not re.fullmatch(HCPCS_CODE, code):  # the input model's drug code: 'J15 61' or '<script>' bills nothing
        return f"{written[:20]!r} is not a 5-character HCPCS/CPT code"
    if beyond and any(c.strip() for c in beyond):
        return (f"more cells than the header for {code}: a charge written with a thousands separator needs double "
                'quotes ("1,000.00"), or none (1000.00)')
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        return f"unit_charge {raw[:20]!r} for {code} is not a number"
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        return f"unit_charge for {code} must be a number from 0 to {MAX_AMOUNT:,}"
    if not NUMBER_TEXT.fullmatch(raw):  # Decimal() reads "1_0" as 10 and other scripts' digits ("١٢") as 12
        return (f"unit_charge {raw[:20]!r} for {code}: write the charge in the digits 0-9, e.g. 125.50 (no _ and no "
                "other script's digits)")
    if code in charges:
        return f"{code} appears twice"
    # 90.005 was rounded without a word on export (× 60 units: 5400.30), and the team's charge master (Numeric(12,
    # 2)) saved 0.001 as 0.00.
    if amount != amount.quantize(CENT):
        return f"unit_charge {amount:f} for {code} has more than 2 decimals; a charge is in cents"
    return amount


def parse(text: str, source: str, sample: bool = False) -> Chargemaster:
    """A chargemaster, or one InputErrors naming every row that cannot be read (`read`)."""
    cm, problems = read(text, source, sample)
    if problems:
        raise InputErrors(problems)
    return cm


def load(path: str | Path) -> Chargemaster:
    """Read a chargemaster CSV; `sample` names the bundled SAMPLE (synthetic charges)."""
    if str(path) == SAMPLE:
        p = sample_path()
        return parse(p.read_text(encoding="utf-8"), "the SAMPLE chargemaster", sample=True)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError("--charges", f"cannot read {path}: {exc.strerror}") from None
    return parse(text, str(path))
