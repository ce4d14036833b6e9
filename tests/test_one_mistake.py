"""One mistake, one finding (issue 12 item 4): an edit that names a mistake more precisely declares which findings
of the same cause it supersedes (edits/registry.py `one_per_mistake`); nothing reads another finding's message."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import igclaim.edits.administration
import igclaim.edits.drug
import igclaim.edits.form  # noqa: F401  (the edit families register their specs on import)
from igclaim.catalog import declare
from igclaim.edits.registry import SPECS, finding, one_per_mistake
from tests.test_edits_support import BASE, chart, ids, line, scrub

SRC = Path(__file__).resolve().parents[1] / "src" / "igclaim"


def _on(result, number):
    return [f.edit for f in result.findings if f.line == number]


def test_supersedes_only_the_same_cause_on_the_same_line():
    assert "DRUG-UNITS" in SPECS["DRUG-UNITS-ML"].supersedes
    ml = finding("DRUG-UNITS-ML", "m", line=1, cause=("units", "drugs[0]"))
    units = finding("DRUG-UNITS", "u", line=1, cause=("units", "drugs[0]"))
    assert one_per_mistake([units, ml]) == [ml]
    other_drug = finding("DRUG-UNITS", "u", line=1, cause=("units", "drugs[1]"))
    other_line = finding("DRUG-UNITS", "u", line=2, cause=("units", "drugs[0]"))
    no_cause = finding("DRUG-UNITS", "u", line=1)
    kept = [other_drug, other_line, no_cause]
    assert one_per_mistake([*kept, ml]) == [*kept, ml]
    # A finding about the whole claim (no line) is superseded by one of the same cause on a line.
    missing = finding("CLAIM-LINE-MISSING", "x", cause=("line-absent", "96366"))
    sequential = finding("ADMIN-SEQUENTIAL", "y", line=3, cause=("line-absent", "96366"))
    assert one_per_mistake([sequential, missing]) == [sequential]
    # ...but not the other way round: the superseded edit must be named by the superseding one.
    assert one_per_mistake([missing, finding("DRUG-UNITS", "z", cause=("line-absent", "96366"))]) == [
        missing, finding("DRUG-UNITS", "z", cause=("line-absent", "96366"))]


def test_a_finding_alone_is_kept_and_no_edit_supersedes_itself():
    """`one_per_mistake` passes a lone finding through (it takes two): sound because `declare` refuses an edit that
    would supersede its own findings."""
    ml = finding("DRUG-UNITS-ML", "m", line=1, cause=("units", "drugs[0]"))
    assert one_per_mistake([ml]) == [ml] and one_per_mistake([]) == []
    assert not [s.id for s in SPECS.values() if s.id in s.supersedes]
    with pytest.raises(ValueError, match="itself"):
        declare("TEST-SELF", severity="error", statement="s", fix="f", source="x", supersedes=("TEST-SELF",))
    assert "TEST-SELF" not in SPECS


def test_no_check_reads_another_findings_message():
    """Structural, not textual: no module under edits/ or coding/ reads a finding's `.message` (a cause is read)."""
    offenders = []
    for path in [*sorted((SRC / "edits").glob("*.py")), *sorted((SRC / "coding").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "message" and isinstance(node.ctx, ast.Load):
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, offenders


def test_units_billed_as_ml_or_grams():
    enc = chart(drug0={"dose": {"ml": 300}, "containers": [{"ml": 100, "count": 3}]})
    for units in (300, 30):  # the mL, the grams
        r = scrub(enc, lambda c, u=units: line(c, "J1561").update(units=u))
        assert _on(r, 1) == ["DRUG-UNITS-ML"]
        assert r.findings[0].impact_units == 60 - units


def test_add_on_left_off_is_a_missing_line():
    r = scrub(BASE, lambda c: c["lines"].remove(line(c, "96366")))
    assert [(f.edit, f.impact_units) for f in r.findings] == [("CLAIM-LINE-MISSING", 4)]
    # Every administration line left off: each missing line once, no ADMIN-ADDON-UNITS beside them.
    r = scrub(BASE, lambda c: c.update(lines=[ln for ln in c["lines"] if ln["code"] == "J1561"]))
    assert sorted((f.edit, f.impact_units) for f in r.findings) == [("CLAIM-LINE-MISSING", 1),
                                                                    ("CLAIM-LINE-MISSING", 4)]


def test_96367_for_more_time_of_one_drug_is_one_finding():
    r = scrub(BASE, lambda c: line(c, "96366").update(code="96367"))
    assert [f.edit for f in r.findings] == ["ADMIN-SEQUENTIAL"]
    assert r.findings[0].line == 3 and "96366 × 4" in (r.findings[0].fix or "")


def test_sc_codes_for_an_iv_infusion_one_finding_per_line():
    def sc(c):
        line(c, "96365").update(code="96369")
        line(c, "96366").update(code="96370")
    r = scrub(BASE, sc)
    assert sorted((f.edit, f.line) for f in r.findings) == [("ADMIN-ROUTE", 2), ("ADMIN-ROUTE", 3)]
    assert "96365" in (r.findings[0].fix or "") and "96366" in (r.findings[1].fix or "")


def test_another_brands_code_with_the_products_ndc():
    """13533-0800-12 is Gamunex-C (J1561) in CMS's January 2026 crosswalk: only the code is wrong."""
    r = scrub(BASE, lambda c: line(c, "J1561").update(code="J1459", ndc="13533-0800-12"))
    assert _on(r, 1) == ["DRUG-CODE-MISMATCH"]
    r = scrub(BASE, lambda c: line(c, "J1561").update(code="J1599", ndc="13533-0800-12"))
    assert _on(r, 1) == ["DRUG-NOS-CODE"]
    # Near miss: the NDC of a third product is a second mistake and stays.
    r = scrub(BASE, lambda c: line(c, "J1561").update(code="J1599", ndc="44206-0437-10"))
    assert {"DRUG-NOS-CODE", "DRUG-NDC-MISMATCH"} <= set(_on(r, 1))


def test_hydration_add_on_for_a_flush_without_its_primary():
    sc = chart(drugs=[{"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 10},
                       "containers": [{"grams": 10, "count": 1}]}],
               fluids=[{"purpose": "flush", "start": "2026-03-02T14:00", "stop": "2026-03-02T14:40"}])
    r = scrub(sc, lambda c: c["lines"].append({"line": 9, "code": "96361", "units": 1, "diagnosis_pointers": [1]}))
    assert _on(r, 9) == ["ADMIN-HYDRATION"]
    assert "fluids[0] (flush)" in r.findings[[f.line for f in r.findings].index(9)].message
    assert "ADMIN-ADDON-PRIMARY" not in ids(r)


def test_push_billed_as_the_primary_of_the_additional_hours_is_one_finding():
    """96374 written instead of 96365 for a 5-hour infusion: 96366 × 4 then lacks its primary only because the
    primary was billed as a push. One mistake (ADMIN-PUSH on line 2); the add-on line stays right once it is fixed."""
    r = scrub(BASE, lambda c: line(c, "96365").update(code="96374"))
    assert [(f.edit, f.line) for f in r.findings] == [("ADMIN-PUSH", 2)]
    # The add-on with no primary at all is still its own mistake.
    r = scrub(BASE, lambda c: c["lines"].remove(line(c, "96365")))
    assert "ADMIN-ADDON-PRIMARY" in ids(r)
    # A push written beside the right primary is not the primary's stand-in: the add-on is fine, the push is flagged.
    r = scrub(BASE, lambda c: c["lines"].append({"line": 9, "code": "96374", "units": 1}))
    assert "ADMIN-ADDON-PRIMARY" not in ids(r) and _on(r, 9)
    # The SC counterpart: 96372 (injection) written for a 2-hour SC infusion, 96370 left lacking 96369.
    sc = chart(drugs=[{"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 10},
                       "containers": [{"grams": 10, "count": 1}]}],
               administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T11:00"}])
    r = scrub(sc, lambda c: line(c, "96369").update(code="96372"))
    assert [(f.edit, f.line) for f in r.findings] == [("ADMIN-PUSH", 2)]


def test_two_products_of_one_code_each_keep_their_lines():
    """Gamunex-C and Gammaked are both J1561 (CMS HCPCS): the claim build writes for such a chart scrubs clean, and a
    wrong unit count on the second product's line is that product's DRUG-UNITS alone (each drug's written lines are
    matched by NDC, then by its expected given and JW lines; they were all given to the first drug)."""
    enc = chart(drugs=[{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 20},
                        "containers": [{"grams": 10, "count": 2}]},
                       {"id": "ig2", "product": "Gammaked", "route": "IV", "dose": {"grams": 5},
                        "containers": [{"grams": 10, "count": 1}]}])
    assert not ids(scrub(enc), "error")
    r = scrub(enc, lambda c: next(ln for ln in c["lines"] if ln["code"] == "J1561" and ln["units"] == 10
                                  and "JW" not in ln["modifiers"]).update(units=12))
    assert [(f.edit, f.line, f.impact_units) for f in r.findings if f.severity == "error"] == [("DRUG-UNITS", 2, -2)]
    # NDCs name the product whatever the order of the lines: Gammaked's 10 g vial on the line written first.
    def by_ndc(c):
        gk = [ln for ln in c["lines"] if ln["code"] == "J1561" and ln["units"] == 10]
        c["lines"] = gk + [ln for ln in c["lines"] if ln not in gk]
        for ln in gk:
            ln["ndc"] = "76125-0900-10"
        for n, ln in enumerate(c["lines"], start=1):
            ln["line"] = n
    assert not ids(scrub(enc, by_ndc), "error")


def test_wrong_given_units_beside_a_right_jw_line_is_drug_units_alone():
    """25 g from three 10 g vials: 50 given + 10 JW. Writing 52 on the given line is one mistake (DRUG-UNITS); the JW
    line is right, so DRUG-WASTE-MISMATCH stays silent. A wrong JW line is the waste mismatch."""
    enc = chart(drug0={"dose": {"grams": 25}, "containers": [{"grams": 10, "count": 3}]})
    r = scrub(enc, lambda c: line(c, "J1561").update(units=52))
    assert [(f.edit, f.line) for f in r.findings if f.severity == "error"] == [("DRUG-UNITS", 1)]
    r = scrub(enc, lambda c: line(c, "J1561", jw=True).update(units=8))
    assert [(f.edit, f.line, f.impact_units) for f in r.findings if f.severity == "error"] == [
        ("DRUG-WASTE-MISMATCH", 2, 2)]


def test_the_ndc_decides_which_product_a_line_belongs_to():
    """Two J1561 products with their units written the other way round: without the NDCs the units would pair each
    line with the other drug and hide both mistakes; by NDC each line is its own product's, and each is flagged."""
    enc = chart(drugs=[{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 10},
                        "containers": [{"grams": 10, "count": 1}]},
                       {"id": "ig2", "product": "Gammaked", "route": "IV", "dose": {"grams": 5},
                        "containers": [{"grams": 1, "count": 5}]}])

    def swapped(c):
        j = [ln for ln in c["lines"] if ln["code"] == "J1561"]
        assert [ln["units"] for ln in j] == [20, 10]
        j[0].update(units=10, ndc="13533-0800-12")  # Gamunex-C, written with Gammaked's units
        j[1].update(units=20, ndc="76125-0900-01")  # Gammaked, written with Gamunex-C's units
    r = scrub(enc, swapped)
    # Line 1: 10 units for 10 g of Gamunex-C is units written as grams (DRUG-UNITS-ML, the precise finding).
    assert sorted((f.edit, f.line) for f in r.findings if f.severity == "error") == [("DRUG-UNITS", 2),
                                                                                    ("DRUG-UNITS-ML", 1)]
