"""Time rules at every threshold (reference.md §4 worked examples; CR 3818; IOM 100-04 ch. 12 §30.5)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igclaim.coding.time import additional_hours, hour_units
from tests.helpers import admin_lines, encounter, infusion, run

# (minutes, expected administration lines) for one IV infusion in the office: reference.md §4.
WORKED = [
    (12, {"96374": 1}),
    (15, {"96374": 1}),
    (16, {"96365": 1}),
    (45, {"96365": 1}),
    (61, {"96365": 1}),
    (90, {"96365": 1}),
    (91, {"96365": 1, "96366": 1}),
    (95, {"96365": 1, "96366": 1}),
    (150, {"96365": 1, "96366": 1}),
    (151, {"96365": 1, "96366": 2}),
    (240, {"96365": 1, "96366": 3}),
    (300, {"96365": 1, "96366": 4}),
]


@pytest.mark.parametrize(("minutes", "expected"), WORKED)
def test_iv_infusion_thresholds(minutes, expected):
    assert admin_lines(run(encounter(administrations=[infusion(minutes)]))) == expected


@pytest.mark.parametrize(("minutes", "expected"), [(90, {"96369": 1}), (91, {"96369": 1, "96370": 1}),
                                                   (150, {"96369": 1, "96370": 1}), (151, {"96369": 1, "96370": 2}),
                                                   (10, {"96372": 1})])  # issue 9: ≤ 15 min SC is 96372
def test_sc_infusion_thresholds(minutes, expected):
    enc = encounter(drugs=[{"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 4},
                            "containers": [{"grams": 2, "count": 2}]}],
                    administrations=[infusion(minutes)])
    assert admin_lines(run(enc)) == expected


@pytest.mark.parametrize(("minutes", "expected"), [(25, {}), (30, {}), (31, {"96360": 1}), (75, {"96360": 1}),
                                                   (90, {"96360": 1}), (91, {"96360": 1, "96361": 1})])
def test_hydration_alone(minutes, expected):
    """Hydration alone: 25 min → nothing; 31 → 96360; 75 → 96360 (reference.md §4)."""
    enc = encounter(administrations=[], fluids=[{"purpose": "hydration", "ordered": True, "reason": "dehydration",
                                                 **{k: v for k, v in infusion(minutes).items() if k != "drug_id"}}])
    assert admin_lines(run(enc)) == expected


@pytest.mark.parametrize(("minutes", "units"), [(30, 0), (31, 1), (90, 1), (91, 2), (150, 2), (151, 3)])
def test_hour_units_each_needs_more_than_30_minutes(ref, minutes, units):
    assert hour_units(minutes, ref.time) == units


@pytest.mark.parametrize(("minutes", "units"), [(61, 0), (119, 0), (120, 1), (179, 1), (180, 2)])
def test_whole_hour_rule(ref, minutes, units):
    assert additional_hours(minutes, ref.time, "whole_hour") == units


@settings(deadline=None)  # the first example may load the reference data
@given(st.integers(min_value=0, max_value=24 * 60), st.integers(min_value=0, max_value=600))
def test_addon_units_never_decrease_as_time_grows(minutes, more):
    from igclaim.refdata.resolver import reference

    rules = reference().time
    for rule in ("cpt", "whole_hour"):
        assert additional_hours(minutes + more, rules, rule) >= additional_hours(minutes, rules, rule)
        assert hour_units(minutes + more, rules, rule) >= hour_units(minutes, rules, rule)


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=24 * 60))
def test_addon_units_match_the_more_than_30_minutes_definition(minutes):
    """Each add-on unit is earned once the time passes a full hour by more than 30 minutes."""
    from igclaim.refdata.resolver import reference

    rules = reference().time
    expected = sum(1 for k in range(1, 30) if minutes > 60 * k + 30)
    assert additional_hours(minutes, rules) == expected


def test_infusion_across_midnight():
    enc = encounter(date_of_service="2026-03-02",
                    administrations=[{"drug_id": "ig1", "start": "2026-03-02T23:00", "stop": "2026-03-03T01:31"}])
    assert admin_lines(run(enc)) == {"96365": 1, "96366": 2}
