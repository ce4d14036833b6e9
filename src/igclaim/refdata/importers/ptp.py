"""NCCI procedure-to-procedure (PTP) edits, practitioner (ccipra) and hospital (ccioph), tab-delimited TXT.

Layout (v32.2, 2026 Q3, ccipra-v322r0-f1.TXT): 6 header lines (AMA notice, title, a 4-line wrapped column
header), then Column 1, Column 2, "*" when in existence prior to 1996, effective date YYYYMMDD, deletion
date YYYYMMDD or "*" (no deletion), modifier indicator 0 (not allowed) / 1 (allowed) / 9 (not applicable),
rationale. Each quarter comes in parts f1..f4; import every part.
The quarter: from the zip name ("2026q3"), else from the version (v32.2 is 2026 Q3, so year = 1994 + major and
quarter = minor + 1; checked on the v32.2 file only), else --effective.
Source: https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/medicare-ncci-procedure-procedure-ptp-edits
"""

from __future__ import annotations

import re
from datetime import date

from igclaim.refdata.importers import (
    PTP_SETTINGS,
    ImportFailure,
    Options,
    Parsed,
    RowSpool,
    Setting,
    Source,
    ascii_upper,
    dates,
    iter_lines,
    month_year_in_name,
    yyyymmdd,
)
from igclaim.refdata.importers.asp import CODE
from igclaim.refdata.resolver import reference

MEMBER = re.compile(r"^cci(pra|oph).*\.(txt)$", re.I)
VERSION = re.compile(r"v([0-9]{2})([0-9])r[0-9]", re.I)
# [0-9], not \d: \d takes any script's digits, and "-f１" was stored as a part of its own beside f1's.
PART = re.compile(r"[-_](f[0-9])\b", re.I)


def _setting(names: str, options: Options) -> str | None:
    if options.setting:
        return options.setting
    low = names.lower()
    if "ccipra" in low or "practitioner" in low:
        return Setting.practitioner.value
    if "ccioph" in low or "hospital" in low:
        return Setting.hospital.value
    return None


def _quarter(names: str) -> date | None:
    found = month_year_in_name(names)
    if found:
        return found
    m = VERSION.search(names)
    if m and int(m.group(2)) <= 3:
        return date(1994 + int(m.group(1)), 3 * int(m.group(2)) + 1, 1)
    return None


def parse(source: Source, options: Options) -> Parsed:
    rows = RowSpool()
    seen_header = False
    for n, rec in enumerate(iter_lines(source.data), start=1):
        fields = rec.split("\t")
        first = fields[0].strip()
        if not seen_header:
            seen_header = first.lower().startswith("column 1")
            if not seen_header and n >= 10:
                raise ImportFailure(source.name, n, 1, "no 'Column 1<TAB>Column 2' header in the first lines: "
                                    "not an NCCI PTP file")
            continue
        if not rec.strip() or (first == "" and not rows):
            continue  # blank lines, and the wrapped header lines under "Column 1"
        if not CODE.match(ascii_upper(first)):
            raise ImportFailure(source.name, n, 1, f"{first!r} is not a HCPCS/CPT code")
        if len(fields) < 6:
            raise ImportFailure(source.name, n, None, f"{len(fields)} tab-separated fields, expected at least 6")
        col2 = ascii_upper(fields[1].strip())
        if not CODE.match(col2):
            raise ImportFailure(source.name, n, 2, f"{col2!r} is not a HCPCS/CPT code")
        try:
            row_effective = yyyymmdd(fields[3].strip()).isoformat()
        except ValueError as exc:
            raise ImportFailure(source.name, n, 4, str(exc)) from None
        deletion = fields[4].strip()
        if deletion == "*":
            deleted = None
        else:
            try:
                deleted = yyyymmdd(deletion).isoformat()
            except ValueError as exc:
                raise ImportFailure(source.name, n, 5, str(exc)) from None
        modifier = fields[5].strip()
        known = [str(k) for k in reference().ncci.ptp]  # refdata/cms/ncci.toml: 0, 1, 9
        if modifier not in known:
            raise ImportFailure(source.name, n, 6, f"modifier indicator {modifier!r} is not "
                                f"{', '.join(known[:-1])} or {known[-1]}")
        rationale = fields[6].strip() if len(fields) > 6 else ""
        rows.append((ascii_upper(first), col2, 1 if fields[2].strip() == "*" else 0, row_effective, deleted,
                     int(modifier), rationale))
    if not seen_header:
        raise ImportFailure(source.name, None, None, "no 'Column 1<TAB>Column 2' header: not an NCCI PTP file")
    setting = _setting(source.names, options)
    if options.setting and setting not in PTP_SETTINGS:
        raise ImportFailure(source.name, None, None, f"setting {options.setting!r}: NCCI PTP edits are "
                            f"{' or '.join(PTP_SETTINGS)} edits", ("setting",))
    if setting not in PTP_SETTINGS:
        raise ImportFailure(source.name, None, None, "cannot tell practitioner (ccipra) or hospital (ccioph) edits "
                            "from the file name: give --setting", ("setting",))
    found = _quarter(source.names)
    effective, ends = dates(source, options, (found, None) if found else None, "PTP file")
    part = m.group(1).lower() if (m := PART.search(source.filename)) else ""
    return Parsed("ptp", source.name, effective, ends, rows, scope=setting, part=part)
