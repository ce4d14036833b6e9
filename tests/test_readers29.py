"""Defects of the readers (837P/837I, FHIR) and the 835 reader found by audit 29: each test fails on the code
before its fix."""

from __future__ import annotations

import io
import re

from igclaim.readers.x12 import ReadError, WrittenClaim, read_837
from tests.test_leftovers28 import _837
from tests.test_scrub_837 import edits, scrub_text


def _hospital_in(basis: str, code: str = "J1561:JZ") -> str:
    text = _837("hospital-gamunex.json")
    changed = re.sub(rf"(SV2\*0[0-9]{{3}}\*HC:{code}\*[0-9.]+\*)UN\*", rf"\g<1>{basis}*", text)
    assert changed != text
    return changed


def test_an_837i_line_in_days_is_read_and_told_not_refused():
    """SV204 DA (days) is one of the two unit bases the 837I guide allows, yet the whole claim was refused ("UN
    (units) or MJ (minutes)"). It is read, its quantity taken as the code's units, and the scrub warns
    (CLAIM-UNITS-DAYS): a HCPCS line's service units are its code's, not days."""
    [got] = read_837(io.StringIO(_hospital_in("DA")))
    assert isinstance(got, WrittenClaim), got
    drug = got.claim.lines[0]
    assert (drug.code, drug.units, drug.unit_basis) == ("J1561", 80, "DA")
    assert all(ln.unit_basis is None for ln in got.claim.lines[1:])
    [item] = scrub_text(_hospital_in("DA"))
    assert edits(item)["CLAIM-UNITS-DAYS"] == "warning"
    [told] = [f for f in item.result.findings if f.edit == "CLAIM-UNITS-DAYS"]
    assert told.line == 1 and "J1561 × 80 in days (SV204 DA)" in told.message
    assert "CLAIM-UNITS-DAYS" not in edits(scrub_text(_837("hospital-gamunex.json"))[0])


def test_a_unit_basis_neither_guide_lists_is_still_an_error_naming_the_element():
    [got] = read_837(io.StringIO(_hospital_in("F2")))
    assert isinstance(got, ReadError), got
    assert (got.segment, got.element) == ("SV2", "SV204")
    assert got.message == "unit basis 'F2': UN (units) or DA (days)"
