"""One table of the unit bases an 837 line's quantity element lists (refdata/837-unit-bases.toml, read by
`resolver.quantity_elements`): the 837 reader refuses a basis its element does not list, and CLAIM-UNITS-MINUTES /
CLAIM-UNITS-DAYS tell a JSON claim's line in one, both from that table. Each basis the table names is tried on
both transactions, against the reader and the edits, and the table against pyx12's maps of the two guides."""

from __future__ import annotations

import io
import re
from importlib import resources
from typing import get_args

import pytest

from igclaim.model import ClaimLine
from igclaim.readers.x12 import ReadError, WrittenClaim, read_837
from igclaim.refdata.resolver import quantity_elements
from tests.test_edits_support import BASE, chart, scrub
from tests.test_leftovers28 import _837

UNITS = "UN"  # the basis of a code's own units: read as units, kept as no basis (ClaimLine.unit_basis None)
EXAMPLE = {"837P": "office-gamunex-jz.json", "837I": "hospital-gamunex.json"}
CHART = {"837P": BASE, "837I": chart(setting="hospital_outpatient")}
GUIDE_MAP = {"837P": "837.5010.X222.A1.xml", "837I": "837Q3.I.5010.X223.A1.xml"}
ALL_BASES = sorted(next(iter(quantity_elements().values())).names)


def test_the_table_is_the_guides_and_the_models():
    table = quantity_elements()
    assert sorted(table) == ["837I", "837P"]
    for kind, q in table.items():
        xml = (resources.files("pyx12") / "map" / GUIDE_MAP[kind]).read_text("utf-8")
        block = re.search(rf'<element xid="{q.element}">.*?<valid_codes>(.*?)</valid_codes>', xml, re.S)
        assert block is not None and set(re.findall(r"<code>(\w+)</code>", block.group(1))) == set(q.bases), kind
        assert q.segment == q.element[:3] and UNITS in q.bases and set(q.bases) <= set(q.names)
    # every basis but units is one a written line keeps (model.ClaimLine.unit_basis)
    [literal] = [a for a in get_args(ClaimLine.model_fields["unit_basis"].annotation) if a is not type(None)]
    kept = set(get_args(literal))
    assert kept == {b for q in table.values() for b in q.bases} - {UNITS} == set(ALL_BASES) - {UNITS}


def _read(kind: str, basis: str) -> WrittenClaim | ReadError:
    text = _837(EXAMPLE[kind])
    changed = re.sub(r"(SV[12]\*(?:0[0-9]{3}\*)?HC:J1561:JZ\*[0-9.]+\*)UN\*", rf"\g<1>{basis}*", text, count=1)
    assert changed != text or basis == UNITS
    [got] = read_837(io.StringIO(changed))
    return got


def _told(kind: str, basis: str) -> list[str]:
    """The messages of a JSON claim of this transaction's form whose 96366 line is in this basis."""
    def change(c: dict) -> None:
        (ln,) = [ln for ln in c["lines"] if ln["code"] == "96366"]
        ln.update(unit_basis=basis, units=3)
    return [f.message for f in scrub(CHART[kind], change).findings if "96366 × 3" in f.message]


@pytest.mark.parametrize("kind", ["837P", "837I"])
@pytest.mark.parametrize("basis", ALL_BASES)
def test_the_reader_and_the_edits_list_the_bases_of_the_same_table(kind, basis):
    """A basis the table lists for the transaction's element is read (kept unless units) and not told as unlisted;
    one it does not list (837I SV204 MJ, 837P SV103 DA) is refused by the reader naming the element, with the
    table's bases, and told on a JSON claim of that form by the edit, naming the same element."""
    q = quantity_elements()[kind]
    got = _read(kind, basis)
    unlisted = f"the {kind} does not list {basis}."
    if basis in q.bases:
        assert isinstance(got, WrittenClaim), got
        assert got.claim.lines[0].unit_basis == (None if basis == UNITS else basis)
        if basis != UNITS:
            assert not any(m.endswith(unlisted) for m in _told(kind, basis))
        return
    assert isinstance(got, ReadError), got
    said = " or ".join(f"{b} ({q.names[b]})" for b in q.bases)
    assert (got.segment, got.element, got.message) == (q.segment, q.element, f"unit basis {basis!r}: {said}")
    [message] = [m for m in _told(kind, basis) if m.endswith(unlisted)]
    assert f"in {q.names[basis]} ({q.element} {basis}): " in message
    assert " or ".join(f"{q.names[b]} ({b})" for b in q.bases) in message
