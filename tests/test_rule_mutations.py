"""Tests written against the mutants `make mutate` left alive (docs/testing.md, "Mutation testing"): each pins a
rule's two sides from the official fact quoted beside it (../shared/docs/reference.md)."""

from __future__ import annotations

from tests.helpers import admin_lines, encounter, infusion, run


def test_hydration_running_beside_the_ig_is_never_96368():
    """reference.md §4: 96368 (concurrent infusion) is for a drug, never for hydration; fluids running during the
    IG infusion are not reported at all (hydration concurrent with a drug infusion is not billed)."""
    enc = encounter(administrations=[infusion(120)],
                    fluids=[{"purpose": "hydration", "ordered": True, "reason": "dehydration",
                             "start": "2026-03-02T09:30", "stop": "2026-03-02T10:30"}])
    assert admin_lines(run(enc)) == {"96365": 1, "96366": 1}
