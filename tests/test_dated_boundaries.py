"""Both sides of the dated changes and thresholds that a deliberately broken rule would move.

Each test names the official fact it pins; a mutant that shifts a date by a day, rounds the other way or lets a
once-per-encounter code repeat must fail here.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from igclaim import ndc
from igclaim.coding.drug import units_for, whole_units_in
from tests.helpers import admin_lines, drug, encounter, ids, infusion, lines, run


def _ig_line(result):
    return next(ln for ln in result.claim.lines if ln.code.startswith("J"))


@pytest.mark.parametrize(("dos", "jz"), [("2023-06-30", False), ("2023-07-01", True)])
def test_medicare_jz_required_from_2023_07_01(dos, jz):
    """CMS Discarded Drugs FAQ: JZ is required on Part B claims from July 1, 2023 (available from January 1)."""
    enc = encounter(date_of_service=dos, administrations=[infusion(120, start=f"{dos}T09:00")])
    assert ("JZ" in _ig_line(run(enc)).modifiers) is jz


@pytest.mark.parametrize(("dos", "modifier"), [("2014-12-31", "59"), ("2015-01-01", "XS")])
def test_second_access_site_modifier_xs_from_2015(dos, modifier):
    """CMS MLN1783722 / CR 8863: the X{EPSU} subsets of 59 became valid on January 1, 2015."""
    enc = encounter(date_of_service=dos, setting="hospital_outpatient",
                    payer={"type": "commercial", "name": "Plan"},
                    drugs=[drug(), drug(id="ig2", product="Privigen", dose={"grams": 10},
                                        containers=[{"grams": 10}])],
                    administrations=[infusion(120, start=f"{dos}T09:00", site=1),
                                     infusion(60, start=f"{dos}T09:30", drug_id="ig2", site=2)])
    second = [m for c, m, _ in lines(run(enc)) if c == "96365"]
    assert len(second) == 2
    assert modifier in second[1] and not second[0]


def test_concurrent_infusion_code_once_per_encounter():
    """96368 is reported only once per encounter (CPT; NCCI Policy Manual ch. XI), however many overlaps."""
    enc = encounter(drugs=[drug(), drug(id="ig2", product="Privigen", dose={"grams": 10}, containers=[{"grams": 10}]),
                           drug(id="ig3", product="Bivigam", dose={"grams": 10}, containers=[{"grams": 10}])],
                    administrations=[infusion(300), infusion(60, start="2026-03-02T10:00", drug_id="ig2"),
                                     infusion(60, start="2026-03-02T12:00", drug_id="ig3")])
    assert admin_lines(run(enc)).get("96368") == 1


@pytest.mark.parametrize(("text", "eleven"), [
    ("1353-0805-31", "01353080531"),   # 4-4-2: pad the labeler
    ("13533-805-31", "13533080531"),   # 5-3-2: pad the product
    ("13533-0805-1", "13533080501"),   # 5-4-1: pad the package
    ("13533-0805-31", "13533080531"),  # 5-4-2 already eleven
])
def test_ndc_padding_by_layout(text, eleven):
    """CMS/FDA NDC conversion to 5-4-2: one zero before the short segment, whichever it is."""
    assert ndc.compact(text) == eleven


def test_units_round_up_and_opened_units_round_down():
    """A dose bills whole units rounded up; a container holds only whole units (rounded down) of the code."""
    assert units_for(Decimal("2.7"), 500) == 6
    assert whole_units_in(Decimal("2.7"), 500) == 5
    assert units_for(Decimal("2.5"), 500) == whole_units_in(Decimal("2.5"), 500) == 5


@pytest.mark.parametrize(("dos", "code"), [("2020-06-30", None), ("2020-07-01", "J1558")])
def test_sc_product_never_takes_the_iv_nos_code(dos, code):
    """J1599 is 'immune globulin, intravenous, non-lyophilized, NOS': a SC product before its own code (Xembify,
    J1558 from July 1, 2020) is not billed with it."""
    enc = encounter(date_of_service=dos, drugs=[drug(product="Xembify", route="SC", dose={"grams": 4},
                                                     containers=[{"grams": 2, "count": 2}])],
                    administrations=[infusion(60, start=f"{dos}T09:00")])
    res = run(enc)
    codes = [c for c, _, _ in lines(res)]
    assert "J1599" not in codes
    if code:
        assert code in codes
    else:
        assert "DRUG-NO-CODE" in ids(res)


@pytest.mark.parametrize(("dos", "flagged"), [("2014-12-31", True), ("2015-01-01", False)])
def test_xs_written_before_2015_is_a_modifier_out_of_date(dos, flagged):
    """CMS MLN1783722 / CR 8863: XS is valid from January 1, 2015 (refdata/cms/modifiers.toml). A written claim
    carrying it on an earlier date is CLAIM-MODIFIER-DATE; from that day it is not."""
    from igclaim import engine
    from igclaim.inputs import parse_json_text

    enc = encounter(date_of_service=dos, setting="hospital_outpatient",
                    payer={"type": "commercial", "name": "Plan"},
                    drugs=[drug(), drug(id="ig2", product="Privigen", dose={"grams": 10}, containers=[{"grams": 10}])],
                    administrations=[infusion(120, start=f"{dos}T09:00", site=1),
                                     infusion(60, start=f"{dos}T09:30", drug_id="ig2", site=2)])
    claim = run(enc).claim.model_dump(mode="json")
    for ln in claim["lines"]:
        ln["modifiers"] = ["XS" if m == "59" else m for m in ln["modifiers"]]
    assert any("XS" in ln["modifiers"] for ln in claim["lines"])
    import json
    r = engine.scrub(parse_json_text(json.dumps(dict(enc, claim={"lines": claim["lines"]}))))
    assert ("CLAIM-MODIFIER-DATE" in ids(r)) is flagged


@pytest.mark.parametrize(("per", "count", "jw_units"), [("0.5", 3, None), ("0.5", 4, 1), ("2", 1, 1)])
def test_premedication_opened_units_round_down(per, count, jw_units):
    """A single-dose premedication given as 1 unit: what the opened containers hold is rounded DOWN to whole
    billing units before the discard is taken (the same rule as immune globulin, docs/rules.md: a fraction of a
    unit opened is not a unit discarded), so 3 × 0.5 units opened is 1 unit, nothing discarded, JZ."""
    premed = {"id": "pm1", "hcpcs": "J1200", "units": 1, "route": "IV", "container_type": "single_dose",
              "containers": [{"units": per, "count": count}]}
    enc = encounter(drugs=[drug(), premed],
                    administrations=[infusion(300), {"drug_id": "pm1", "start": "2026-03-02T08:50",
                                                     "stop": "2026-03-02T08:52"}])
    pm = [(m, u) for c, m, u in lines(run(enc)) if c == "J1200"]
    if jw_units is None:
        assert pm == [(("JZ",), 1)]
    else:
        assert pm == [((), 1), (("JW",), jw_units)]


@pytest.mark.parametrize(("dos", "jw"), [("2016-12-31", False), ("2017-01-01", True)])
def test_a_premedications_discard_takes_a_jw_line_from_the_day_medicare_requires_jw(dos, jw):
    """Medicare Part B requires JW on the discarded amount of a single-dose container from 2017-01-01 (CMS JW
    modifier policy); before, it bills the dose alone (JW optional: igclaim writes it where the payer requires it).
    A premedication opened as 2 units and given as 1 discards 1 unit. (An outside rule-break audit found the
    premedication's `jw_required` test alive: only immune globulin discards were tested across the date.)"""
    premed = {"id": "pm1", "hcpcs": "J1200", "units": 1, "route": "IV", "container_type": "single_dose",
              "containers": [{"units": 2, "count": 1}]}
    enc = encounter(date_of_service=dos, drugs=[drug(), premed],
                    administrations=[infusion(180, start=f"{dos}T09:00"),
                                     {"drug_id": "pm1", "method": "push", "start": f"{dos}T08:50",
                                      "stop": f"{dos}T08:52"}])
    pm = [(m, u) for c, m, u in lines(run(enc)) if c == "J1200"]
    assert pm == ([((), 1), (("JW",), 1)] if jw else [((), 1)])
