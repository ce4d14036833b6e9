"""The twenty-eighth session's written-claim edits, held to what mutmut found the reader audit's tests left open:
each edit's own fix text, the administration units short on the second code of a claim, and DX-NOT-COVERED's list
of unbillable chart codes."""

from __future__ import annotations

import copy

from igclaim import engine
from igclaim.inputs import parse_encounter
from tests.test_reader_audit import _charge_findings, _flat, _minutes, _read, _scrub_with_chart, _total, _units

# An office IVIG visit with a premedication pushed first: 96365, 96366 × 3 (add-on) and 96375 (a sequential push).
PREMED = {
    "encounter_id": "premed-1", "date_of_service": "2026-03-02", "setting": "office",
    "payer": {"type": "commercial", "name": "Commercial plan"}, "diagnoses": ["D83.9"],
    "drugs": [{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
               "containers": [{"grams": 20, "count": 1}, {"grams": 10, "count": 1}]},
              {"id": "pre0", "hcpcs": "J1200", "units": 1, "route": "IV"}],
    "administrations": [{"drug_id": "ig1", "start": "2026-03-02T10:00", "stop": "2026-03-02T14:00"},
                        {"drug_id": "pre0", "method": "push", "start": "2026-03-02T08:08",
                         "stop": "2026-03-02T08:08"}],
}


def _written(**units: int) -> dict:
    chart = copy.deepcopy(PREMED)
    claim = engine.build(parse_encounter(chart)).claim.model_dump(mode="json")
    for ln in claim["lines"]:
        ln["units"] = units.get(ln["code"], ln["units"])
    return {**chart, "claim": claim}


def test_the_second_administration_code_short_is_told_too():
    """96365 as supported, then 96375 × 0: the code after one billed in full is still compared."""
    found = [(f.edit, f.line, f.impact_units, f.fix) for f in engine.scrub(parse_encounter(_written(**{"96375": 0})))
             .findings if f.edit == "CLAIM-LINE-MISSING"]
    assert found == [("CLAIM-LINE-MISSING", 5, 1, "Bill 96375 × 1.")]


def test_a_line_of_0_units_says_what_to_do(x12_text):
    (written,) = _read(_units(x12_text, "96365", 0))
    (zero,) = [f for f in engine.scrub_without_chart(written).findings if f.edit == "CLAIM-UNITS-ZERO"]
    assert zero.fix == "Bill the units of 96365 given on line 2, or remove the line."
    assert zero.message == "Line 2: 96365 × 0 bills nothing; a service line bills at least one unit."


def test_an_unbalanced_total_says_what_to_make_it(x12_text):
    (written,) = _read(_total(_flat(x12_text), "99999"))
    (f,) = [f for f in engine.scrub_without_chart(written).findings if f.edit == "CLAIM-CHARGE-TOTAL"]
    assert f.fix == "Make CLM02 6700.00, the sum of the line charges, or correct the line charge that is wrong."
    assert _charge_findings(_scrub_with_chart(_total(_flat(x12_text), "99999")).result.findings)


def test_minutes_say_to_bill_units(x12_text):
    (written,) = _read(_minutes(x12_text))
    (f,) = [f for f in engine.scrub_without_chart(written).findings if f.edit == "CLAIM-UNITS-MINUTES"]
    assert f.fix == ("Bill line 3's 96366 in units (SV103 UN), as many as the service given makes by its code.")
    assert f.message == "Line 3: 96366 × 240 in minutes (SV103 MJ): minutes are not 96366's units (MJ is for " \
        "anesthesia time)."


def test_the_charts_unbillable_codes_are_listed_apart():
    from tests.test_edits_support import chart, only, scrub

    found = only(scrub(chart(diagnoses=["D83", "G61"]), lambda c: c.update(diagnoses=["R53.83"])), "DX-NOT-COVERED")
    assert found.message.endswith(" The chart lists no billable diagnosis to bill instead (D83, G61).")


def test_units_short_of_several_count_what_is_missing():
    """Three premedications pushed (96375 × 3) written as 96375 × 1: two units unbilled, not three or four."""
    chart = copy.deepcopy(PREMED)
    for i, (code, minute) in enumerate((("J2930", 10), ("J1100", 12)), start=1):
        chart["drugs"].append({"id": f"pre{i}", "hcpcs": code, "units": 1, "route": "IV"})
        chart["administrations"].append({"drug_id": f"pre{i}", "method": "push", "start": f"2026-03-02T08:{minute}",
                                         "stop": f"2026-03-02T08:{minute}"})
    claim = engine.build(parse_encounter(chart)).claim.model_dump(mode="json")
    for ln in claim["lines"]:
        if ln["code"] == "96375":
            assert ln["units"] == 3
            ln["units"] = 1
    (f,) = [f for f in engine.scrub(parse_encounter({**chart, "claim": claim})).findings
            if f.edit == "CLAIM-LINE-MISSING"]
    assert f.impact_units == 2 and f.message.endswith("96375 × 1 billed; the chart supports 96375 × 3: 2 unbilled.")
