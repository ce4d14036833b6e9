"""The chargemaster: what the provider charges for one billing unit of each code (design.md §2).

A CSV with a `code,unit_charge` header; lines starting with `#` are comments; other columns are ignored.
A line's charge is unit_charge × units. Charges are the provider's own, so igclaim ships only a SAMPLE with
synthetic amounts (`--charges sample`), never a real price list.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from igclaim.errors import InputError
from igclaim.model import MAX_AMOUNT, NUMBER_TEXT, ClaimLine
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


def parse(text: str, source: str, sample: bool = False) -> Chargemaster:
    rows = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(rows)))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "code" not in header or "unit_charge" not in header:
        raise InputError(source, "a chargemaster needs a header with the columns code,unit_charge")
    reader.fieldnames = header
    charges: dict[str, Decimal] = {}
    for i, row in enumerate(reader, start=2):
        code = ascii_upper((row.get("code") or "").strip())  # 'ſ1561' kept, for a code check to refuse, not S1561
        raw = (row.get("unit_charge") or "").strip().replace("$", "").replace(",", "")
        where = f"{source} (data row {i - 1})"
        if not code:
            raise InputError(where, "code is empty")
        beyond = row.get(None)  # DictReader's cells beyond the header
        if beyond and any(c.strip() for c in beyond):
            raise InputError(where, f"more cells than the header for {code}: a charge written with a thousands "
                             'separator needs double quotes ("1,000.00"), or none (1000.00)')
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise InputError(where, f"unit_charge {raw[:20]!r} for {code} is not a number") from None
        if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
            raise InputError(where, f"unit_charge for {code} must be a number from 0 to {MAX_AMOUNT:,}")
        if not NUMBER_TEXT.fullmatch(raw):  # Decimal() reads "1_0" as 10 and other scripts' digits ("١٢") as 12
            raise InputError(where, f"unit_charge {raw[:20]!r} for {code}: write the charge in the digits 0-9, e.g. "
                             "125.50 (no _ and no other script's digits)")
        if code in charges:
            raise InputError(where, f"{code} appears twice")
        charges[code] = amount
    return Chargemaster(charges, source, sample)


def fractions_of_a_cent(cm: Chargemaster) -> list[InputError]:
    """The unit charges written with more than 2 decimals, each naming its data row and code (rows in the CSV's
    order: `parse` keeps it and refuses a code twice). 90.005 was rounded without a word on export (× 60 units:
    5400.30), and the team's charge master saved 0.001 as 0.00; the team service lists them all, a file stops at
    the first."""
    return [InputError(f"{cm.source} (data row {n})",
                       f"unit_charge {v:f} for {code} has more than 2 decimals; a charge is in cents")
            for n, (code, v) in enumerate(cm.charges.items(), start=1) if v != v.quantize(CENT)]


def load(path: str | Path) -> Chargemaster:
    """Read a chargemaster CSV; `sample` names the bundled SAMPLE (synthetic charges)."""
    if str(path) == SAMPLE:
        p = sample_path()
        return parse(p.read_text(encoding="utf-8"), "the SAMPLE chargemaster", sample=True)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError("--charges", f"cannot read {path}: {exc.strerror}") from None
    cm = parse(text, str(path))
    if bad := fractions_of_a_cent(cm):
        raise bad[0]
    return cm
