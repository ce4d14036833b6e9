"""96368 (concurrent infusion) is reported once per encounter (administration.toml `per_encounter = 1`). A further
drug infused at the same time is coded 96367 (a new drug's sequential infusion) as before, with a warning
(ADMIN-CONCURRENT-ONCE): CPT reports no code for an infusion that runs entirely beside others, and the chart rarely
says which part ran alone, so the line is flagged rather than dropped."""

from __future__ import annotations

from tests.test_edits_support import build, chart, ids, scrub

PREMEDS = [{"id": "p1", "hcpcs": "J1100", "units": 1, "route": "IV"},
           {"id": "p2", "hcpcs": "J2405", "units": 1, "route": "IV"}]
IG = {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"}


def visit(*premed_times: tuple[str, str]) -> dict:
    admins = [IG] + [{"drug_id": p["id"], "start": f"2026-03-02T{a}", "stop": f"2026-03-02T{b}"}
                     for p, (a, b) in zip(PREMEDS, premed_times, strict=False)]
    return chart(drugs=chart()["drugs"] + PREMEDS[:len(premed_times)], administrations=admins)


def admin_codes(result) -> list[tuple[str, int]]:
    return [(ln.code, ln.units) for ln in result.claim.lines if ln.code.startswith("963")]


def warnings(result) -> list[str]:
    return [f.message for f in result.findings if f.edit == "ADMIN-CONCURRENT-ONCE"]


def test_a_third_drug_at_the_same_time_is_coded_sequential_and_flagged():
    r = build(visit(("09:00", "10:30"), ("09:00", "10:30")))
    assert admin_codes(r) == [("96365", 1), ("96366", 4), ("96368", 1), ("96367", 1)]
    assert warnings(r) == ["administrations[2]: runs at the same time as another drug infusion, and 96368 "
                           "(concurrent) is reported once per encounter, already for an earlier drug: coded as 96367 "
                           "(a new drug's sequential infusion), which it may not be."]
    assert all(f.severity == "warning" for f in r.findings if f.edit == "ADMIN-CONCURRENT-ONCE")
    assert "ADMIN-CONCURRENT-ONCE" in ids(scrub(visit(("09:00", "10:30"), ("09:00", "10:30"))))


def test_one_concurrent_drug_is_96368_alone():
    r = build(visit(("09:00", "10:30")))
    assert admin_codes(r) == [("96365", 1), ("96366", 4), ("96368", 1)] and warnings(r) == []


def test_a_third_drug_after_the_others_end_is_sequential_without_a_warning():
    r = build(visit(("09:00", "10:30"), ("14:00", "14:40")))
    assert ("96367", 1) in admin_codes(r) and warnings(r) == []


def test_a_drug_beside_hydration_only_is_not_concurrent():
    """96368 is a drug beside a drug infusion: a premedication infused while only ordered hydration runs (the
    immune globulin has ended) is a sequential infusion, with no warning."""
    enc = chart(drugs=chart()["drugs"] + PREMEDS[:1],
                administrations=[{**IG, "stop": "2026-03-02T10:00"},
                                 {"drug_id": "p1", "start": "2026-03-02T10:15", "stop": "2026-03-02T10:45"}],
                fluids=[{"purpose": "hydration", "ordered": True, "reason": "dehydration",
                         "start": "2026-03-02T10:00", "stop": "2026-03-02T12:00"}])
    r = build(enc)
    assert admin_codes(r) == [("96365", 1), ("96361", 1), ("96367", 1)] and warnings(r) == []


def test_a_drug_infusion_beside_a_push_only_is_not_concurrent():
    push = {"id": "p2", "hcpcs": "J2405", "units": 1, "route": "IV"}
    enc = chart(drugs=chart()["drugs"] + [PREMEDS[0], push],
                administrations=[{**IG, "stop": "2026-03-02T10:00"},
                                 {"drug_id": "p2", "method": "push", "start": "2026-03-02T10:15",
                                  "stop": "2026-03-02T10:15"},
                                 {"drug_id": "p1", "start": "2026-03-02T10:15", "stop": "2026-03-02T10:45"}])
    r = build(enc)
    assert admin_codes(r) == [("96365", 1), ("96375", 1), ("96367", 1)] and warnings(r) == []
