"""Administration rules of issue 9 item 6: a SC infusion of 15 minutes or less is 96372; add-on codes need their
NCCI primary (type 1 add-on code edits, dated in refdata/cms/administration.toml), so a premedication push or
hydration beside a SC infusion is an initial IV code with the distinct modifier; 96376 is not reported within 30
minutes of a reported push of the same drug; a second initial code for a second office IV site is at most a
warning."""

from __future__ import annotations

from datetime import date

import pytest

from igclaim.refdata.resolver import reference
from tests.helpers import admin_lines, encounter, infusion, run
from tests.test_edits_support import chart, ids, only, scrub

SCIG = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 4},
        "containers": [{"grams": 2, "count": 2}]}
PREMED = {"id": "pre1", "hcpcs": "J1200", "units": 1, "route": "IV"}
PREMED2 = {"id": "pre2", "hcpcs": "J2405", "units": 1, "route": "IV"}


def push(drug_id: str, at: str) -> dict:
    return {"drug_id": drug_id, "start": f"2026-03-02T{at}", "stop": f"2026-03-02T{at}", "method": "push"}


def modded(result) -> dict[tuple[str, tuple[str, ...]], int]:
    return {(ln.code, tuple(ln.modifiers)): ln.units for ln in result.claim.lines
            if not ln.code.startswith(("J", "Q"))}


@pytest.mark.parametrize(("minutes", "expected"), [(15, {"96372": 1}), (16, {"96369": 1})])
def test_sc_infusion_of_15_minutes_or_less_is_an_injection(minutes, expected):
    enc = encounter(drugs=[SCIG], administrations=[infusion(minutes)])
    assert admin_lines(run(enc)) == expected


def test_scrub_96369_for_a_short_sc_infusion():
    short = chart(drugs=[SCIG], administrations=[infusion(15)])
    r = scrub(short, lambda c: c["lines"][-1].update(code="96369"))
    f = only(r, "ADMIN-PUSH")
    assert "96372" in f.message and f.severity == "error"
    longer = chart(drugs=[SCIG], administrations=[infusion(16)])
    assert "ADMIN-PUSH" not in ids(scrub(longer))
    r = scrub(longer, lambda c: c["lines"][-1].update(code="96372"))
    assert "96369" in only(r, "ADMIN-PUSH").message


def test_addon_pairs_are_dated_sourced_data():
    ref = reference()
    aoc = ref.addon_primaries("96375", date(2026, 3, 2))
    assert aoc is not None and "96374" in aoc.primaries and "96369" not in aoc.primaries
    assert "ncci" in aoc.source
    # The AOC file's earliest effective date (CR 7501): 2013-04-01, both sides, for every row.
    for code in ("96361", "96366", "96367", "96368", "96370", "96371", "96375", "96376"):
        assert ref.addon_primaries(code, date(2013, 3, 31)) is None, code
        assert ref.addon_primaries(code, date(2013, 4, 1)) is not None, code
    assert set(ref.addon_primaries("96361", date(2026, 1, 1)).primaries) >= {"96360", "96365", "96374"}
    assert ref.addon_primaries("96370", date(2026, 1, 1)).primaries == ("96369",)
    assert ref.addon_primaries("96365", date(2026, 1, 1)) is None  # a primary code is not an add-on


def test_premedication_push_beside_a_sc_infusion_is_an_initial_push_with_xs():
    enc = encounter(drugs=[SCIG, PREMED], administrations=[push("pre1", "08:50"), infusion(60)])
    assert modded(run(enc)) == {("96369", ()): 1, ("96374", ("XS",)): 1}
    # A second premedication of a new drug now has its primary (96374): a sequential push.
    enc = encounter(drugs=[SCIG, PREMED, PREMED2],
                    administrations=[push("pre1", "08:50"), push("pre2", "08:55"), infusion(60)])
    assert modded(run(enc)) == {("96369", ()): 1, ("96374", ("XS",)): 1, ("96375", ()): 1}


def test_premedication_push_beside_an_iv_infusion_stays_sequential():
    enc = encounter(drugs=[encounter()["drugs"][0], PREMED], administrations=[push("pre1", "08:50"), infusion(60)])
    assert modded(run(enc)) == {("96365", ()): 1, ("96375", ()): 1}


@pytest.mark.parametrize(("minutes", "expected"), [
    (60, {("96369", ()): 1, ("96360", ("XS",)): 1}),
    (91, {("96369", ()): 1, ("96360", ("XS",)): 1, ("96361", ()): 1}),
])
def test_hydration_beside_a_sc_infusion_is_initial_hydration(minutes, expected):
    fluid = {"purpose": "hydration", "ordered": True, "reason": "dehydration",
             **{k: v for k, v in infusion(minutes, start="2026-03-02T10:30").items() if k != "drug_id"}}
    enc = encounter(drugs=[SCIG], administrations=[infusion(60)], fluids=[fluid])
    assert modded(run(enc)) == expected


def test_premedication_beside_sc_on_a_2014_claim_uses_59():
    enc = encounter(date_of_service="2014-06-02", drugs=[SCIG, PREMED],
                    administrations=[{**push("pre1", "08:50"), "start": "2014-06-02T08:50", "stop": "2014-06-02T08:50"},
                                     infusion(60, start="2014-06-02T09:00")])
    assert modded(run(enc)) == {("96369", ()): 1, ("96374", ("59",)): 1}


def test_scrub_addon_without_its_primary():
    enc = chart(drugs=[SCIG, PREMED], administrations=[push("pre1", "08:50"), infusion(60)])
    assert not ids(scrub(enc), "error")

    def as_sequential(c):
        ln = next(x for x in c["lines"] if x["code"] == "96374")
        ln.update(code="96375", modifiers=[])

    r = scrub(enc, as_sequential)
    f = only(r, "ADMIN-ADDON-PRIMARY")
    assert f.severity == "error" and "96374" in f.message
    assert "ADMIN-NOT-SUPPORTED" not in ids(r)
    # 96370 with its primary 96369 is fine; without it, the add-on edit names 96369.
    long_sc = chart(drugs=[SCIG], administrations=[infusion(100)])
    assert "ADMIN-ADDON-PRIMARY" not in ids(scrub(long_sc))
    r = scrub(long_sc, lambda c: c["lines"].remove(next(x for x in c["lines"] if x["code"] == "96369")))
    assert "96369" in only(r, "ADMIN-ADDON-PRIMARY").message


@pytest.mark.parametrize(("second", "expected"), [
    ("09:20", {"96365": 1, "96366": 4, "96375": 1}),               # 30 minutes after: not reported
    ("09:21", {"96365": 1, "96366": 4, "96375": 1, "96376": 1}),   # 31 minutes after: 96376
])
def test_repeat_push_of_the_same_drug_needs_more_than_30_minutes(second, expected):
    enc = encounter(setting="hospital_outpatient", drugs=[encounter()["drugs"][0], PREMED],
                    administrations=[infusion(300), push("pre1", "08:50"), push("pre1", second)])
    res = run(enc)
    assert admin_lines(res) == expected
    if "96376" not in expected:
        assert any("more than 30 minutes" in f.message for f in res.findings if f.edit == "ADMIN-NOT-BILLED")


TWO_SITES = chart(drugs=[chart()["drugs"][0], {"id": "d2", "hcpcs": "J1100", "units": 1, "route": "IV"}],
                  administrations=[chart()["administrations"][0],
                                   {"drug_id": "d2", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00",
                                    "site": 2}])


def _second_initial(mods):
    def change(c):
        c["lines"].append({"line": 9, "code": "96365", "units": 1, "modifiers": mods})
    return change


def test_second_office_iv_site_is_at_most_a_warning():
    r = scrub(TWO_SITES, _second_initial(["XS"]))
    f = only(r, "ADMIN-INITIAL-DUPLICATE")
    assert f.severity == "warning" and "needed" in f.message
    assert "ADMIN-INITIAL-DUPLICATE" not in ids(r, "error")
    r = scrub(TWO_SITES, _second_initial([]))
    f = only(r, "ADMIN-INITIAL-DUPLICATE")
    assert f.severity == "warning" and "Add XS" in f.message


HOSPITAL_TWO_SITES = dict(TWO_SITES, setting="hospital_outpatient")


def _strip_xs(c):
    """The hospital's own claim with the second site's 96365 written without its XS."""
    (ln,) = [ln for ln in c["lines"] if ln["code"] == "96365" and "XS" in ln["modifiers"]]
    ln["modifiers"].remove("XS")


def test_a_hospitals_own_second_site_claim_is_clean_and_carries_xs():
    r = scrub(HOSPITAL_TWO_SITES)
    assert [tuple(ln.modifiers) for ln in r.claim.lines if ln.code == "96365"] == [(), ("XS",)]
    assert "ADMIN-INITIAL-DUPLICATE" not in ids(r)


@pytest.mark.parametrize("modifier", ["59", "XS", "XU"])
def test_a_hospitals_second_site_with_a_distinct_modifier_is_not_told(modifier):
    r = scrub(HOSPITAL_TWO_SITES, lambda c: (_strip_xs(c), c["lines"][-1]["modifiers"].append(modifier)))
    assert "ADMIN-INITIAL-DUPLICATE" not in ids(r)


def test_a_hospitals_second_site_without_xs_is_a_warning():
    """IOM 100-04 ch. 4 §230.2: a hospital reports one initial service per vascular access site; the second carries
    the distinct-site modifier. Written bare, the second 96365 is told (it was silent before: each site's initial is
    one the chart supports, so the office's count of initials never reached it)."""
    r = scrub(HOSPITAL_TWO_SITES, _strip_xs)
    f = only(r, "ADMIN-INITIAL-DUPLICATE")
    second = [ln.line for ln in r.claim.lines if ln.code == "96365"][1]
    assert (f.severity, f.line) == ("warning", second)
    assert "second initial service on a hospital claim" in f.message and "with XS" in f.message
    assert "access sites 1, 2" in f.message
    assert f.fix == ("Bill the second IV access site's initial code on its own line with XS (or 59) and keep the "
                     "note that says why the second site was needed.")


def test_a_hospitals_two_sites_on_one_line_without_xs_is_a_warning():
    def one_line(c):
        first, second = [ln for ln in c["lines"] if ln["code"] == "96365"]
        first["units"] = 2
        c["lines"].remove(second)
    f = only(scrub(HOSPITAL_TWO_SITES, one_line), "ADMIN-INITIAL-DUPLICATE")
    assert f.severity == "warning" and "2 units of 96365" in f.message and "its own line with XS" in f.message


def test_a_hospitals_one_site_keeps_the_error_for_a_second_initial():
    r = scrub(dict(chart(), setting="hospital_outpatient"), _second_initial([]))
    assert only(r, "ADMIN-INITIAL-DUPLICATE").severity == "error"


def test_one_office_site_keeps_the_error():
    r = scrub(chart(), _second_initial(["XS"]))
    assert only(r, "ADMIN-INITIAL-DUPLICATE").severity == "error"


def test_iv_premedication_infusion_beside_a_sc_infusion_is_an_initial_infusion():
    other = {"id": "d2", "hcpcs": "J1100", "units": 1, "route": "IV"}
    enc = encounter(drugs=[SCIG, other],
                    administrations=[infusion(60), infusion(100, start="2026-03-02T10:05", drug_id="d2")])
    assert modded(run(enc)) == {("96369", ()): 1, ("96365", ("XS",)): 1, ("96366", ()): 1}
