"""Rule tests written against the survivors of the mutation run over the administration, written-claim and form
edits (`src/igclaim/edits/administration.py`, `written.py`, `form.py`, `registry.py`, `context.py`; docs/mutation/):
each pins a behaviour an official source states, which a surviving mutant changed without any test noticing.

The facts (../shared/docs/reference.md §4, from CMS IOM 100-04 ch. 12 §30.5, CMS CR 3818, the NCCI Policy Manual
ch. XI and the NCCI add-on code edits): an IV infusion of 15 minutes or less is a push (96374); 96365 covers up to
an hour and each 96366 needs more than 30 minutes beyond the last full hour (91 min → 1, 151 → 2, 300 → 4); 96367 is
a new drug (more time of the same drug is 96366); 96368 is a concurrent drug, once per encounter, never hydration;
hydration (96360) needs 31 minutes and is never a flush, KVO or diluent; a SC infusion of 15 minutes or less is an
injection (96372), longer is 96369 + 96370 per additional hour, 96371 once for an additional pump set-up; one initial
code per encounter on an office claim (a second needs a second IV site and XS/59), one per access site on a
hospital claim; 96376 is facility-only; 36000, 36410, 96523 and drug preparation are bundled into the infusion.
Each test asserts the whole finding: edit id, severity, line, units at stake, and the message that quotes the
numbers (a finding's message and fix are the public output a biller acts on)."""

from __future__ import annotations

from pathlib import Path

from tests.test_edits_support import BASE, build, chart, line, scrub

SCIG = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 4},
        "containers": [{"grams": 2, "count": 2}]}
PREMED = {"id": "pre1", "hcpcs": "J1200", "units": 1, "route": "IV"}
SECOND_IV = {"id": "d2", "hcpcs": "J1100", "units": 1, "route": "IV"}


def at(start: str, stop: str, drug_id: str = "ig1", **extra) -> dict:
    return {"drug_id": drug_id, "start": f"2026-03-02T{start}", "stop": f"2026-03-02T{stop}", **extra}


def push(drug_id: str, time: str) -> dict:
    return {"drug_id": drug_id, "start": f"2026-03-02T{time}", "stop": f"2026-03-02T{time}", "method": "push"}


def add(code: str, units: int = 1, number: int = 9, **extra):
    """A line added to the written claim, pointing at the primary diagnosis as its other lines do (a professional
    line without a pointer among lines with theirs is CLAIM-POINTER-INVALID of its own)."""
    def change(c: dict) -> None:
        c["lines"].append({"line": number, "code": code, "units": units, "diagnosis_pointers": [1], **extra})
    return change


def found(result, *edits: str) -> list[tuple]:
    """(edit, severity, line, units at stake, message) of each finding of these edits (all but info if none)."""
    return [(f.edit, f.severity, f.line, f.impact_units, f.message) for f in result.findings
            if (f.edit in edits if edits else f.severity != "info")]


def fixes(result, edit: str) -> list[str]:
    return [f.fix for f in result.findings if f.edit == edit]


# --- the chart's services against the written codes (administration.py `_explain_unsupported`) --------------------

def test_timed_codes_without_the_charts_times_point_at_each_written_line():
    enc = chart(administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00"}])
    claim = {"lines": [{"line": 1, "code": "J1561", "modifiers": ["JZ"], "units": 60},
                       {"line": 2, "code": "96365", "units": 1}, {"line": 3, "code": "96366", "units": 4}]}
    r = scrub(enc, claim=claim)
    said = "is a timed code and the chart has no start and stop time for the service it bills."
    assert [x for x in found(r, "ADMIN-TIMES-MISSING") if x[2] is not None] == [
        ("ADMIN-TIMES-MISSING", "error", 2, None, f"Line 2: 96365 {said}"),
        ("ADMIN-TIMES-MISSING", "error", 3, None, f"Line 3: 96366 {said}"),
    ]
    assert not {x[0] for x in found(r)} - {"ADMIN-TIMES-MISSING"}


def test_sc_codes_without_times_are_timed_codes_too():
    enc = chart(drugs=[SCIG], administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00"}])
    claim = {"lines": [{"line": 1, "code": "J1559", "modifiers": ["JZ"], "units": 40},
                       {"line": 2, "code": "96369", "units": 1}]}
    r = scrub(enc, claim=claim)
    assert [x[2] for x in found(r, "ADMIN-TIMES-MISSING") if x[2] is not None] == [2]


def test_push_beside_hydration_and_a_sc_infusion_is_a_service_the_chart_does_not_document():
    hyd = {"purpose": "hydration", "ordered": True, "reason": "dehydration", "start": "2026-03-02T10:30",
           "stop": "2026-03-02T11:30"}
    enc = chart(drugs=[SCIG], administrations=[at("09:00", "10:00")], fluids=[hyd])
    assert [(ln.code, tuple(ln.modifiers), ln.units) for ln in build(enc).claim.lines] == [
        ("J1559", ("JZ",), 40), ("96369", (), 1), ("96360", ("XS",), 1)]
    r = scrub(enc, add("96374"))
    assert found(r) == [("ADMIN-NOT-SUPPORTED", "error", 9, -1, "Line 9: 96374 (IV push, single or initial "
                         "substance/drug (also any IV infusion of 15 minutes or less)); the chart documents "
                         "hydration, sc_infusion.")]
    assert fixes(r, "ADMIN-NOT-SUPPORTED") == ["Bill the administration codes of the expected claim."]


def test_administration_codes_on_a_medicare_home_claim_are_the_form_edit_only():
    home = chart(setting="home")
    r = scrub(home, add("96365"))
    assert found(r) == [("FORM-SETTING", "error", 9, -1, "Line 9: 96365 on an Original Medicare Part B home claim: "
                         "home infusion for this payer is billed as the drug and its supplies, without drug "
                         "administration codes.")]


# --- hydration ------------------------------------------------------------------------------------------------------

def test_hydration_billed_for_kvo_and_diluent_names_each_fluid():
    enc = chart(fluids=[{"purpose": "kvo", "start": "2026-03-02T14:00", "stop": "2026-03-02T14:35"},
                        {"purpose": "diluent", "start": "2026-03-02T14:00", "stop": "2026-03-02T14:35"}])
    r = scrub(enc, lambda c: (add("96360", number=4)(c), add("96361", number=5)(c)))
    why = ("billed, but no billable hydration is documented. Not billable: fluids[0] (kvo), fluids[1] (diluent) "
           "(ADMIN-NOT-BILLED says why).")
    assert found(r) == [("ADMIN-HYDRATION", "error", 4, -1, f"Line 4: 96360 × 1 {why}"),
                        ("ADMIN-HYDRATION", "error", 5, -1, f"Line 5: 96361 × 1 {why}")]
    assert fixes(r, "ADMIN-HYDRATION")[0] == (
        "Remove the hydration line: saline as flush, KVO, diluent or concurrent with the drug is part of the "
        "infusion; hydration needs an order, medical necessity and at least 31 minutes of its own.")


def test_hydration_without_any_fluid_and_its_missing_primary_are_one_mistake():
    r = scrub(BASE, add("96361", units=2, number=4))
    assert found(r) == [("ADMIN-HYDRATION", "error", 4, -2, "Line 4: 96361 × 2 billed, but no billable hydration "
                         "is documented. No hydration is documented.")]
    # Beside a SC infusion 96361 has none of its primaries (96360, 96365, 96374…) either: the hydration edit
    # supersedes ADMIN-ADDON-PRIMARY (the line should not be billed at all).
    sc = chart(drugs=[SCIG], administrations=[at("09:00", "10:40")])
    r = scrub(sc, add("96361", number=4))
    assert found(r) == [("ADMIN-HYDRATION", "error", 4, -1, "Line 4: 96361 × 1 billed, but no billable hydration "
                         "is documented. No hydration is documented.")]


# --- push: CR 3818 (an IV infusion of 15 minutes or less) and the SC counterpart (96372) ----------------------------

def test_an_infusion_code_for_a_10_minute_infusion_is_a_push():
    enc = chart(drugs=[BASE["drugs"][0], PREMED],
                administrations=[at("09:00", "09:10"), push("pre1", "08:50")])
    assert [ln.code for ln in build(enc).claim.lines][2:] == ["96374", "96375"]
    r = scrub(enc, lambda c: line(c, "96374").update(code="96365"))
    assert found(r, "ADMIN-PUSH") == [("ADMIN-PUSH", "error", 3, None, "Line 3: 96365 billed for an infusion of 15 "
                                      "minutes or less (administrations[0] 09:00–09:10 = 10 min): that is a push.")]
    assert fixes(r, "ADMIN-PUSH") == ["Bill an IV infusion of 15 minutes or less as a push (96374, or 96375 after "
                                      "another initial service)."]


def test_a_push_code_for_a_5_hour_infusion_is_an_infusion():
    r = scrub(BASE, lambda c: line(c, "96365").update(code="96374"))
    assert found(r) == [("ADMIN-PUSH", "error", 2, None, "Line 2: 96374 (push) billed for an infusion of more than "
                         "15 minutes (administrations[0] 09:00–14:00 = 300 min): bill the infusion codes.")]
    assert fixes(r, "ADMIN-PUSH") == ["Bill the infusion as an infusion (96365 and its additional hours)."]


def test_an_infusion_code_for_an_ig_push_names_the_push():
    r = scrub(chart(administrations=[{"drug_id": "ig1", "method": "push"}]),
              lambda c: line(c, "96374").update(code="96365"))
    assert found(r, "ADMIN-PUSH") == [("ADMIN-PUSH", "error", 2, None, "Line 2: 96365 billed, but the chart documents "
                                      "a push (administrations[0]), not an infusion.")]
    r = scrub(chart(administrations=[push("ig1", "09:00")]), lambda c: line(c, "96374").update(code="96365"))
    assert found(r, "ADMIN-PUSH") == [("ADMIN-PUSH", "error", 2, None, "Line 2: 96365 billed, but the chart documents "
                                      "a push (administrations[0] 09:00–09:00 = 0 min), not an infusion.")]


def test_96369_for_a_15_minute_sc_infusion_is_96372():
    enc = chart(drugs=[SCIG], administrations=[at("09:00", "09:15")])
    r = scrub(enc, lambda c: line(c, "96372").update(code="96369"))
    assert found(r, "ADMIN-PUSH") == [("ADMIN-PUSH", "error", 2, None, "Line 2: 96369 billed for a subcutaneous "
                                      "infusion of 15 minutes or less (administrations[0] 09:00–09:15 = 15 min): "
                                      "that is 96372.")]
    assert fixes(r, "ADMIN-PUSH") == ["Bill 96372 for a subcutaneous infusion of 15 minutes or less."]


def test_96372_for_a_100_minute_sc_infusion_is_96369():
    enc = chart(drugs=[SCIG], administrations=[at("09:00", "10:40")])
    r = scrub(enc, lambda c: line(c, "96369").update(code="96372"))
    assert found(r) == [("ADMIN-PUSH", "error", 2, None, "Line 2: 96372 (injection) billed for a subcutaneous "
                         "infusion of more than 15 minutes (administrations[0] 09:00–10:40 = 100 min): bill 96369.")]
    assert fixes(r, "ADMIN-PUSH") == ["Bill 96369 and its additional hours."]


# --- route ----------------------------------------------------------------------------------------------------------

def test_iv_codes_for_a_sc_infusion_name_the_sc_code_expected_instead():
    enc = chart(drugs=[SCIG], administrations=[at("09:00", "10:40")])
    r = scrub(enc, lambda c: (line(c, "96369").update(code="96365"), line(c, "96370").update(code="96366")))
    assert found(r) == [
        ("ADMIN-ROUTE", "error", 2, None, "Line 2: 96365 is an IV code (IV infusion, therapy/prophylaxis/diagnosis, "
         "initial, up to 1 hour); the chart documents: sc_infusion (administrations[0]). Expected instead: 96369."),
        ("ADMIN-ROUTE", "error", 3, None, "Line 3: 96366 is an IV code (IV infusion, each additional hour); the chart "
         "documents: sc_infusion (administrations[0]). Expected instead: 96370."),
    ]
    assert fixes(r, "ADMIN-ROUTE") == ["Bill 96369 instead of 96365.", "Bill 96370 instead of 96366."]


def test_sc_codes_for_an_iv_infusion_name_the_iv_code_expected_instead():
    r = scrub(BASE, lambda c: (line(c, "96365").update(code="96369"), line(c, "96366").update(code="96370")))
    assert found(r) == [
        ("ADMIN-ROUTE", "error", 2, None, "Line 2: 96369 is an SC code (SC infusion, initial, up to 1 hour, including "
         "pump set-up and establishment of site(s)); the chart documents: infusion (administrations[0]). Expected "
         "instead: 96365."),
        ("ADMIN-ROUTE", "error", 3, None, "Line 3: 96370 is an SC code (SC infusion, each additional hour); the chart "
         "documents: infusion (administrations[0]). Expected instead: 96366."),
    ]


# --- initial codes: one per encounter (office), one per access site (hospital) --------------------------------------

TWO_SITES = chart(drugs=[BASE["drugs"][0], SECOND_IV],
                  administrations=[BASE["administrations"][0], at("09:00", "10:00", "d2", site=2)])


def test_a_second_initial_code_for_one_office_site_is_an_error_with_the_units_beyond_one():
    r = scrub(BASE, lambda c: line(c, "96365").update(units=3))
    assert found(r) == [("ADMIN-INITIAL-DUPLICATE", "error", 2, -2, "Line 2: 96365 is initial service number 3; "
                         "the chart supports 1 (access sites documented: 1).")]
    r = scrub(BASE, add("96365", modifiers=["XS"]))
    assert found(r) == [("ADMIN-INITIAL-DUPLICATE", "error", 9, -1, "Line 9: 96365 is initial service number 2; "
                         "the chart supports 1 (access sites documented: 1).")]


def test_a_second_office_iv_site_is_a_warning_that_asks_for_xs():
    r = scrub(TWO_SITES, add("96365", modifiers=["XS"]))
    head = ("Line 9: 96365 is initial service number 2 on a professional claim; the chart documents IV access "
            "sites 1, 2.")
    assert found(r, "ADMIN-INITIAL-DUPLICATE") == [("ADMIN-INITIAL-DUPLICATE", "warning", 9, None, head +
                                                   " It carries XS: verify the note says why the second site was "
                                                   "needed.")]
    assert fixes(r, "ADMIN-INITIAL-DUPLICATE") == ["Keep it only if the second IV site was medically necessary, "
                                                   "with XS (or 59)."]
    r = scrub(TWO_SITES, add("96365", modifiers=["59"]))
    assert found(r, "ADMIN-INITIAL-DUPLICATE")[0][4] == head + (" It carries 59: verify the note says why the second "
                                                               "site was needed.")
    r = scrub(TWO_SITES, add("96365"))
    assert found(r, "ADMIN-INITIAL-DUPLICATE") == [("ADMIN-INITIAL-DUPLICATE", "warning", 9, None, head +
                                                   " Add XS and document why the second site was needed.")]


def test_each_office_initial_code_needs_its_own_iv_site():
    """Two IV sites support two initial codes at most: the second is a warning (the record decides), a third is an
    error with its unit at stake; one line of 96365 x 3 has one unit beyond the two sites."""
    def two_more(c: dict) -> None:
        add("96365", modifiers=["XS"])(c)
        add("96365", modifiers=["XS"], number=10)(c)
    r = scrub(TWO_SITES, two_more)
    assert [(e, sev, ln, units) for e, sev, ln, units, _ in found(r, "ADMIN-INITIAL-DUPLICATE")] == [
        ("ADMIN-INITIAL-DUPLICATE", "warning", 9, None), ("ADMIN-INITIAL-DUPLICATE", "error", 10, -1)]
    assert found(r, "ADMIN-INITIAL-DUPLICATE")[1][4] == ("Line 10: 96365 is initial service number 3; the chart "
                                                         "supports 1 (access sites documented: 1, 2).")
    r = scrub(TWO_SITES, lambda c: line(c, "96365").update(units=3))
    assert [(sev, units) for _, sev, _, units, _ in found(r, "ADMIN-INITIAL-DUPLICATE")] == [("error", -1)]


def test_a_hospital_claim_allows_one_initial_code_per_access_site():
    hosp = chart(setting="hospital_outpatient", drugs=TWO_SITES["drugs"], administrations=TWO_SITES["administrations"])
    assert [(ln.code, tuple(ln.modifiers)) for ln in build(hosp).claim.lines if ln.code.startswith("9636")] == [
        ("96365", ()), ("96366", ()), ("96365", ("XS",))]
    r = scrub(hosp, add("96365", modifiers=["XS"], revenue_code="0260"))
    assert found(r) == [("ADMIN-INITIAL-DUPLICATE", "error", 9, -1, "Line 9: 96365 is initial service number 3; "
                         "the chart supports 2 (access sites documented: 1, 2).")]


def test_iv_access_sites_never_allow_a_second_sc_initial():
    """A second IV site supports a second IV initial code, not a second SC one: 96369 x 3 on a chart that codes
    96365 and 96369 (two initials) has two units beyond them, however many IV sites the chart documents (here
    three: 1, 2 and 4, more than the two initials)."""
    enc = chart(drugs=[BASE["drugs"][0], SECOND_IV, {"id": "d3", "hcpcs": "J2930", "units": 1, "route": "IV"},
                       {**SCIG, "id": "sc1"}],
                administrations=[BASE["administrations"][0], at("09:00", "10:00", "d2", site=2),
                                 at("09:10", "10:00", "d3", site=4), at("13:00", "14:00", "sc1", site=3)])
    assert [(ln.code, ln.units) for ln in build(enc).claim.lines if ln.code in ("96365", "96369")] == [
        ("96365", 1), ("96369", 1)]
    r = scrub(enc, lambda c: line(c, "96369").update(units=3))
    assert found(r, "ADMIN-INITIAL-DUPLICATE") == [("ADMIN-INITIAL-DUPLICATE", "error", 9, -2, "Line 9: 96369 is "
                                                   "initial service number 4; the chart supports 2 (access sites "
                                                   "documented: 1, 2, 3, 4).")]


# --- sequential and concurrent --------------------------------------------------------------------------------------

def test_96367_for_more_time_of_the_one_drug_is_96366():
    r = scrub(BASE, lambda c: line(c, "96366").update(code="96367", units=1))
    assert found(r) == [("ADMIN-SEQUENTIAL", "error", 3, None, "Line 3: 96367 (IV infusion, sequential infusion of a "
                         "new drug, up to 1 hour) billed, but the chart documents infusions of one drug only (ig1): "
                         "more time of it is 96366.")]
    assert fixes(r, "ADMIN-SEQUENTIAL") == ["Bill 96366 × 4 instead of 96367."]


def test_96367_beside_two_drugs_infused_at_once_is_not_a_sequential_infusion():
    r = scrub(TWO_SITES, add("96367"))
    assert found(r, "ADMIN-SEQUENTIAL") == [("ADMIN-SEQUENTIAL", "error", 9, None, "Line 9: 96367 (IV infusion, "
                                            "sequential infusion of a new drug, up to 1 hour) billed, but no infusion "
                                            "of a new drug after the first needs it.")]
    assert fixes(r, "ADMIN-SEQUENTIAL") == ["More time of the same drug is 96366; 96367 is a new drug after the first; "
                                            "96368 is a concurrent drug infusion, never hydration."]


def test_96368_needs_a_second_drug_and_is_never_hydration():
    r = scrub(BASE, add("96368", number=4))
    assert found(r) == [("ADMIN-SEQUENTIAL", "error", 4, None, "Line 4: 96368 (IV infusion, concurrent infusion (drug, "
                         "never hydration)) billed, but no second drug infused at the same time is documented.")]
    hyd = chart(fluids=[{"purpose": "hydration", "ordered": True, "start": "2026-03-02T09:00",
                         "stop": "2026-03-02T10:00"}])
    r = scrub(hyd, add("96368", number=4))
    assert found(r, "ADMIN-SEQUENTIAL") == [("ADMIN-SEQUENTIAL", "error", 4, None, "Line 4: 96368 (IV infusion, "
                                            "concurrent infusion (drug, never hydration)) billed, but hydration is "
                                            "never a concurrent infusion.")]


def test_96368_once_per_encounter():
    assert [(ln.code, ln.units) for ln in build(TWO_SITES).claim.lines][2:] == [("96365", 1), ("96366", 4),
                                                                              ("96368", 1)]
    r = scrub(TWO_SITES, lambda c: line(c, "96368").update(units=2))
    assert [x[:3] for x in found(r, "ADMIN-SEQUENTIAL")] == [("ADMIN-SEQUENTIAL", "error", 5)]
    assert not found(scrub(TWO_SITES), "ADMIN-SEQUENTIAL")


def test_96368_billed_twice_says_it_is_once_per_encounter():
    r = scrub(TWO_SITES, lambda c: line(c, "96368").update(units=2))
    assert found(r, "ADMIN-SEQUENTIAL") == [("ADMIN-SEQUENTIAL", "error", 5, None, "Line 5: 96368 (IV infusion, "
                                            "concurrent infusion (drug, never hydration)) billed, but it is reported "
                                            "at most 1 per encounter (the chart supports 96368 × 1).")]


# --- additional hours -----------------------------------------------------------------------------------------------

def test_additional_hour_units_quote_the_time_and_the_rule():
    r = scrub(BASE, lambda c: line(c, "96366").update(units=5))
    assert found(r) == [("ADMIN-ADDON-UNITS", "error", 3, -1, "96366 × 5 billed; the documented time "
                         "(administrations[0] 09:00–14:00 = 300 min) supports 96366 × 4 (each unit needs more than "
                         "30 minutes beyond the last full hour).")]
    assert fixes(r, "ADMIN-ADDON-UNITS") == ["Bill 96366 × 4."]
    sc = chart(drugs=[SCIG], administrations=[at("09:00", "10:40")])
    r = scrub(sc, lambda c: line(c, "96370").update(units=3))
    assert found(r) == [("ADMIN-ADDON-UNITS", "error", 3, -2, "96370 × 3 billed; the documented time "
                         "(administrations[0] 09:00–10:40 = 100 min) supports 96370 × 1 (each unit needs more than "
                         "30 minutes beyond the last full hour).")]


def test_an_additional_hour_billed_for_90_minutes_is_removed():
    enc = chart(administrations=[at("09:00", "10:30")])
    r = scrub(enc, add("96366", number=3))
    assert found(r) == [("ADMIN-ADDON-UNITS", "error", 3, -1, "96366 × 1 billed; the documented time "
                         "(administrations[0] 09:00–10:30 = 90 min) supports 96366 × 0 (each unit needs more than "
                         "30 minutes beyond the last full hour).")]
    assert fixes(r, "ADMIN-ADDON-UNITS") == ["Remove 96366."]


def test_hydration_additional_hours_after_the_infusion():
    enc = chart(fluids=[{"purpose": "hydration", "ordered": True, "reason": "dehydration",
                         "start": "2026-03-02T14:00", "stop": "2026-03-02T15:31"}])
    assert [(ln.code, ln.units) for ln in build(enc).claim.lines][1:] == [("96365", 1), ("96366", 4), ("96361", 2)]
    r = scrub(enc, lambda c: line(c, "96361").update(units=3))
    assert found(r) == [("ADMIN-ADDON-UNITS", "error", 4, -1, "96361 × 3 billed; the documented time "
                         "(fluids[0] 14:00–15:31 = 91 min) supports 96361 × 2 (each unit needs more than 30 minutes "
                         "beyond the last full hour).")]


# --- pump log -------------------------------------------------------------------------------------------------------

def test_pump_log_that_ends_the_infusion_in_10_minutes_shows_both_unit_counts():
    r = build(chart(pump_log=[{"drug_id": "ig1", "start": "2026-03-02T09:30", "stop": "2026-03-02T09:40"}]))
    assert found(r) == [("ADMIN-PUMP-LOG", "warning", None, -4, "ig1: documented administrations[0] 09:00–14:00 = "
                         "300 min gives 96366 × 4; the pump log 09:30–09:40 = 10 min gives 96366 × 0.")]


def test_pump_log_that_turns_an_infusion_into_a_push_is_flagged_at_equal_hours():
    # 20 minutes documented is 96365; 15 minutes on the pump is a push (96374): both give no additional hour.
    r = build(chart(administrations=[at("09:00", "09:20")],
                    pump_log=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T09:15"}]))
    assert found(r) == [("ADMIN-PUMP-LOG", "warning", None, None, "ig1: documented administrations[0] 09:00–09:20 = "
                         "20 min gives 96366 × 0; the pump log 09:00–09:15 = 15 min gives 96366 × 0.")]
    # The other way round: a 15-minute push documented, 20 minutes on the pump (no add-on code: minutes quoted).
    r = build(chart(administrations=[at("09:00", "09:15")],
                    pump_log=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T09:20"}]))
    assert found(r) == [("ADMIN-PUMP-LOG", "warning", None, None, "ig1: documented administrations[0] 09:00–09:15 = "
                         "15 min gives 15 min; the pump log 09:00–09:20 = 20 min gives 20 min.")]
    same = build(chart(administrations=[at("09:00", "09:20")],
                       pump_log=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T09:16"}]))
    assert not found(same, "ADMIN-PUMP-LOG")


def test_pump_log_that_turns_a_sc_infusion_into_an_injection_is_flagged():
    """NCCI Policy Manual ch. XI / CPT: a SC infusion of 15 minutes or less is 96372, longer is 96369."""
    def pumped(stop: str):
        return build(chart(drugs=[SCIG], administrations=[at("09:00", "09:20")],
                           pump_log=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": f"2026-03-02T{stop}"}]))
    assert found(pumped("09:15")) == [("ADMIN-PUMP-LOG", "warning", None, None, "ig1: documented administrations[0] "
                                       "09:00–09:20 = 20 min gives 96370 × 0; the pump log 09:00–09:15 = 15 min gives "
                                       "96370 × 0.")]
    assert found(pumped("09:16")) == []


def test_pump_log_that_turns_a_sc_injection_into_an_infusion_is_flagged():
    """The other way: a SC service charted as 10 minutes is coded 96372 (an injection), but the pump ran 40
    minutes, which is a SC infusion (96369): the pump log disagrees with the chart."""
    r = build(chart(drugs=[SCIG], administrations=[at("09:00", "09:10")],
                    pump_log=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T09:40"}]))
    assert [ln.code for ln in r.claim.lines] == ["J1559", "96372"]
    assert found(r) == [("ADMIN-PUMP-LOG", "warning", None, None, "ig1: documented administrations[0] 09:00–09:10 = "
                         "10 min gives 10 min; the pump log 09:00–09:40 = 40 min gives 40 min.")]


def test_pump_log_of_two_intervals_is_sorted_and_counted_by_interval():
    r = build(chart(administrations=[at("09:00", "10:00"), at("11:00", "12:40")],
                    pump_log=[{"drug_id": "ig1", "start": "2026-03-02T11:00", "stop": "2026-03-02T12:20"},
                              {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"}]))
    assert found(r, "ADMIN-PUMP-LOG") == [
        ("ADMIN-PUMP-LOG", "warning", None, -1, "ig1: documented administrations[0] 09:00–10:00 = 60 min; "
         "administrations[1] 11:00–12:40 = 100 min gives 96366 × 2; the pump log 09:00–10:00 = 60 min; 11:00–12:20 = "
         "80 min gives 96366 × 1.")]


# --- bundled and not supported --------------------------------------------------------------------------------------

def test_bundled_services_each_with_its_meaning_and_units():
    def four(c):
        for i, code in enumerate(("36000", "36410", "96523", "96365-PREP")):
            add(code, units=1 + i, number=4 + i)(c)
    r = scrub(BASE, four)
    said = "is included in the infusion billed for the same encounter."
    assert found(r) == [
        ("ADMIN-BUNDLED", "error", 4, -1, f"Line 4: 36000 (Introduction of needle or intracatheter, vein (IV start)) "
         f"{said}"),
        ("ADMIN-BUNDLED", "error", 5, -2, f"Line 5: 36410 (Venipuncture requiring physician skill) {said}"),
        ("ADMIN-BUNDLED", "error", 6, -3, "Line 6: 96523 (Irrigation of implanted venous access device (port flush) on "
         f"the day of an infusion) {said}"),
        ("ADMIN-BUNDLED", "error", 7, -4, "Line 7: 96365-PREP (Drug preparation, mixing, pulling vials (no code of its "
         f"own; included in the administration)) {said}"),
    ]


def test_96371_once_for_an_additional_pump_set_up():
    setups = chart(drugs=[SCIG], administrations=[at("09:00", "10:40", pump_setups=2)])
    assert [(ln.code, ln.units) for ln in build(setups).claim.lines][1:] == [("96369", 1), ("96370", 1), ("96371", 1)]
    r = scrub(setups, lambda c: line(c, "96371").update(units=2))
    assert found(r) == [("ADMIN-NOT-SUPPORTED", "error", 4, -1, "Line 4: 96371 × 2; the chart supports 96371 × 1.")]
    one = chart(drugs=[SCIG], administrations=[at("09:00", "10:40")])
    r = scrub(one, add("96371", number=5))
    assert found(r) == [("ADMIN-NOT-SUPPORTED", "error", 5, -1, "Line 5: 96371 × 1; the chart supports 96371 × 0.")]


def test_96376_is_facility_only_and_96375_once_for_one_premedication():
    office = chart(drugs=[BASE["drugs"][0], PREMED], administrations=[push("pre1", "08:50"), at("09:00", "14:00")])
    assert [ln.code for ln in build(office).claim.lines][2:] == ["96365", "96366", "96375"]
    r = scrub(office, add("96376"))
    assert found(r, "ADMIN-NOT-SUPPORTED") == [("ADMIN-NOT-SUPPORTED", "error", 9, -1, "Line 9: 96376 × 1 (facility "
                                               "claims only); the chart supports 96376 × 0.")]
    hosp = chart(setting="hospital_outpatient", drugs=office["drugs"], administrations=office["administrations"])
    r = scrub(hosp, add("96376", revenue_code="0260"))
    assert found(r) == [("ADMIN-NOT-SUPPORTED", "error", 9, -1, "Line 9: 96376 × 1; the chart supports 96376 × 0.")]
    r = scrub(office, lambda c: line(c, "96375").update(units=2))
    assert found(r, "ADMIN-NOT-SUPPORTED") == [("ADMIN-NOT-SUPPORTED", "error", 5, -1, "Line 5: 96375 × 2; the chart "
                                               "supports 96375 × 1.")]


# --- add-on codes need a primary (NCCI add-on code edits, type 1) ----------------------------------------------------

def test_96370_without_96369_names_its_primary_and_no_distinct_modifier():
    sc = chart(drugs=[SCIG], administrations=[at("09:00", "10:40")])
    r = scrub(sc, lambda c: c["lines"].remove(line(c, "96369")))
    assert found(r) == [("ADMIN-ADDON-PRIMARY", "error", 3, None, "Line 3: 96370 is an add-on code; none of its "
                         "primary codes (96369) is on the claim.")]
    # 96365 written for the 96369 the chart supports: the route edit says so; the add-on still lacks 96369.
    r = scrub(sc, lambda c: line(c, "96369").update(code="96365"))
    assert found(r, "ADMIN-ADDON-PRIMARY") == [("ADMIN-ADDON-PRIMARY", "error", 3, None, "Line 3: 96370 is an add-on "
                                               "code; none of its primary codes (96369) is on the claim.")]
    # 96367 for the 96365 the chart supports: its primaries are missing, and 96365 takes no distinct modifier.
    r = scrub(BASE, lambda c: line(c, "96365").update(code="96367"))
    assert found(r, "ADMIN-ADDON-PRIMARY") == [("ADMIN-ADDON-PRIMARY", "error", 2, None, "Line 2: 96367 is an add-on "
                                               "code; none of its primary codes (96365, 96374, 96409, 96413) is on the "
                                               "claim.")]


def test_the_concurrent_and_same_drug_push_add_ons_name_all_their_primaries():
    """96368 and 96376 written where the 96365 (and its 96366) should be: each is an add-on without its primary, and
    the message lists the primaries of refdata/cms/administration.toml's add-on edit row (CPT's add-on instructions:
    96368 with 96365, 96366, 96413, 96415, 96416; 96376 with 96365, 96374, 96409, 96413). A primary dropped from a
    row would let a claim with that chemotherapy code be flagged wrongly; the thirteenth session's data mutation
    found these two rows' chemotherapy primaries untested."""
    for code, primaries in (("96368", "96365, 96366, 96413, 96415, 96416"), ("96376", "96365, 96374, 96409, 96413")):
        def written(c: dict, code: str = code) -> None:
            c["lines"].remove(line(c, "96366"))
            line(c, "96365").update(code=code)

        assert found(scrub(BASE, written), "ADMIN-ADDON-PRIMARY") == [(
            "ADMIN-ADDON-PRIMARY", "error", 2, None,
            f"Line 2: {code} is an add-on code; none of its primary codes ({primaries}) is on the claim.")]


def _sc_with_premedication(day: str) -> dict:
    return chart(date_of_service=day, drugs=[SCIG, PREMED],
                 administrations=[{"drug_id": "pre1", "start": f"{day}T08:50", "stop": f"{day}T08:50",
                                   "method": "push"},
                                  {"drug_id": "ig1", "start": f"{day}T09:00", "stop": f"{day}T10:00"}])


def test_a_premedication_push_beside_a_sc_infusion_is_96374_with_the_distinct_modifier_of_the_date():
    """CR 8863: XS (separate structure) from 2015-01-01; before it the distinct service is 59."""
    for day, mod in (("2014-12-31", "59"), ("2015-01-01", "XS")):
        enc = _sc_with_premedication(day)
        assert [(ln.code, tuple(ln.modifiers)) for ln in build(enc).claim.lines][2:] == [("96369", ()),
                                                                                        ("96374", (mod,))]
        r = scrub(enc, lambda c: line(c, "96374").update(code="96375", modifiers=[]))
        assert found(r, "ADMIN-ADDON-PRIMARY") == [("ADMIN-ADDON-PRIMARY", "error", 4, None, "Line 4: 96375 is an "
                                                   "add-on code; none of its primary codes (96365, 96374, 96409, "
                                                   f"96413) is on the claim. Expected instead: 96374 with {mod}.")]


# --- written.py: an 837 scrubbed without its chart (engine.scrub_without_chart) -------------------------------------

MEDICARE = {"type": "medicare", "name": "Medicare Part B"}
MEDICAID = {"type": "medicaid", "name": "State Medicaid", "prior_authorization": {"number": "PA1"}}
FIRST_COAST = {"type": "medicare", "name": "Medicare Part B", "profile": "medicare-part-b-first-coast"}
IG = {"code": "J1561", "modifiers": ["JZ"], "units": 60}
INITIAL = {"code": "96365", "units": 1}
OLD_IG = {**IG, "modifiers": []}  # before JZ existed (2023-01-01)


def alone(lines: list[dict], dos: str = "2026-03-02", setting: str = "office", payer: dict | None = None,
          form: str | None = "CMS-1500", dx: tuple[str, ...] = ("D83.9",), **claim):
    """Scrub a claim as an 837 carries it, with no chart: the chart-free checks of edits/written.py."""
    from decimal import Decimal

    from igclaim import engine
    from igclaim.model import Claim, Payer
    from igclaim.readers.x12 import WrittenClaim

    written = Claim.model_validate({"form": form, "diagnoses": list(dx), **claim,
                                    "lines": [{"line": i + 1, **ln} for i, ln in enumerate(lines)]})
    wc = WrittenClaim(claim_id="C1", transaction="837I" if form == "UB-04" else "837P", guide="005010X222A1",
                      position=1, date_of_service=dos, setting=setting, payer=Payer.model_validate(payer or MEDICARE),
                      claim=written, total_charge=Decimal(0), line_charges=[Decimal(0)] * len(lines))
    return engine.scrub_without_chart(wc)


def test_the_claim_alone_with_the_right_lines_is_clean():
    assert found(alone([IG, INITIAL, {"code": "96366", "units": 4}])) == []


def test_secondary_hydration_after_the_infusion_alone_is_clean():
    assert found(alone([IG, INITIAL, {"code": "96366", "units": 4}, {"code": "96361", "units": 2}])) == []


def test_xs_is_valid_from_2015_01_01_by_the_lines_own_date():
    """CR 8863 (MLN1783722): XE XS XP XU from January 1, 2015."""
    xs = {**INITIAL, "modifiers": ["xs"]}
    r = alone([OLD_IG, xs], dos="2014-12-31")
    assert found(r, "CLAIM-MODIFIER-DATE") == [("CLAIM-MODIFIER-DATE", "error", 2, None, "Line 2: modifier XS on 96365 "
                                               "is not valid on 2014-12-31 (valid from 2015-01-01).")]
    assert fixes(r, "CLAIM-MODIFIER-DATE") == ["Remove XS from line 2, or use the modifier in force on the date of "
                                               "service."]
    assert found(alone([OLD_IG, xs], dos="2015-01-01"), "CLAIM-MODIFIER-DATE") == []
    # A line's own service date decides, not the claim's.
    r = alone([OLD_IG, {**xs, "service_date": "2014-12-31"}], dos="2015-01-01")
    assert found(r, "CLAIM-MODIFIER-DATE") == [("CLAIM-MODIFIER-DATE", "error", 2, None, "Line 2: modifier XS on 96365 "
                                               "is not valid on 2014-12-31 (valid from 2015-01-01).")]
    assert found(alone([OLD_IG, {**xs, "service_date": "2015-01-01"}], dos="2014-12-31"), "CLAIM-MODIFIER-DATE") == []


def test_jz_is_valid_from_2023_01_01_and_a_modifier_outside_the_table_is_left_alone():
    r = alone([IG, {**INITIAL, "modifiers": ["25"]}], dos="2022-12-31")
    assert found(r, "CLAIM-MODIFIER-DATE") == [("CLAIM-MODIFIER-DATE", "error", 1, None, "Line 1: modifier JZ on J1561 "
                                               "is not valid on 2022-12-31 (valid from 2023-01-01).")]
    assert found(alone([IG], dos="2023-01-01"), "CLAIM-MODIFIER-DATE") == []


def test_gx_is_a_liability_modifier_dated_2010_04_01():
    """CR 6563: GX (voluntary notice) from April 1, 2010; the liability modifiers are PAYER-ABN-MODIFIER's."""
    gx = {**OLD_IG, "modifiers": ["GX"]}
    r = alone([{**gx, "modifiers": ["GX"]}, INITIAL], dos="2010-03-31")
    assert found(r, "PAYER-ABN-MODIFIER", "CLAIM-MODIFIER-DATE") == [
        ("PAYER-ABN-MODIFIER", "error", 1, None, "Line 1: GX is not a valid modifier on 2010-03-31 (see its effective "
         "date in the HCPCS modifier file).")]
    assert fixes(r, "PAYER-ABN-MODIFIER") == ["Remove GX; use the liability modifier in force on the date of service."]
    assert found(alone([{**gx, "modifiers": ["GX"]}, INITIAL], dos="2010-04-01"), "PAYER-ABN-MODIFIER") == []
    r = alone([{**gx, "modifiers": ["GX"], "service_date": "2010-03-31"}, INITIAL], dos="2010-04-01")
    assert [x[:3] for x in found(r, "PAYER-ABN-MODIFIER")] == [("PAYER-ABN-MODIFIER", "error", 1)]


def test_a_nos_code_with_the_ndc_of_a_product_that_has_its_own_code():
    nos = {"code": "J1599", "modifiers": ["JZ"], "units": 60, "ndc": "13533080511"}
    r = alone([nos, INITIAL])
    assert found(r, "DRUG-NOS-CODE") == [("DRUG-NOS-CODE", "error", 1, None, "Line 1: J1599 (not otherwise specified) "
                                         "billed with NDC 13533-0805-11 of Gamunex-C, which has its own code J1561 on "
                                         "2026-03-02.")]
    assert fixes(r, "DRUG-NOS-CODE") == ["Bill J1561."]
    r = alone([{**nos, "ndc": "44206-0451-01", "units": 8, "service_date": "2026-03-03"}, INITIAL])
    assert found(r, "DRUG-NOS-CODE") == [("DRUG-NOS-CODE", "error", 1, None, "Line 1: J1599 (not otherwise specified) "
                                         "billed with NDC 44206-0451-01 of Hizentra, which has its own code J1559 on "
                                         "2026-03-03.")]
    # Hizentra's own code J1559 starts 2011-01-01 (HCPCS ADD DT), as does J1599: not a NOS finding before it.
    assert found(alone([{**nos, "ndc": "44206-0451-01", "units": 8}, INITIAL], dos="2010-12-31"),
                 "DRUG-NOS-CODE") == []
    # The product's own code billed with its NDC, an invalid NDC, and no NDC: nothing to say.
    assert found(alone([{**nos, "code": "J1561"}, INITIAL]), "DRUG-NOS-CODE") == []
    assert found(alone([{**nos, "ndc": "1353308051"}, INITIAL]), "DRUG-NOS-CODE") == []
    assert found(alone([{**nos, "ndc": None}, INITIAL]), "DRUG-NOS-CODE") == []


NDC_UNITS = [
    # (NDC, quantity, unit, units billed, units the quantity makes, how): Gamunex-C is 10 % (100 mg/mL), J1561 is
    # 500 mg a unit; 13533-0800-12 is a 1 g / 10 mL vial the CMS crosswalk bills as 2 units, 13533-0805-11 a 10 g /
    # 100 mL vial it does not list (product catalog); Hizentra 44206-0451-01 is 1 g / 5 mL, 10 units of J1559.
    ("13533-0805-11", "300", "ML", 50, 60, "300 mL of Gamunex-C (10 %) = 30 g, at 500 mg a unit"),
    ("13533-0805-11", "30", "GR", 50, 60, "30 g, at 500 mg a unit"),
    ("13533-0805-11", "30001", "ME", 50, 61, "30001 mg, at 500 mg a unit"),
    ("13533-0805-11", "3", "UN", 50, 60, "3 package(s) of 10 g of Gamunex-C = 30 g, at 500 mg a unit"),
    ("13533-0800-12", "3", "UN", 50, 6, "3 UN = 3 package(s) of 13533-0800-12 × 2 billing units (CMS NDC-HCPCS "
     "crosswalk)"),
    ("13533-0800-12", "25", "ML", 50, 5, "25 ML = 2.5 package(s) of 13533-0800-12 × 2 billing units (CMS NDC-HCPCS "
     "crosswalk)"),
    ("13533-0800-12", "15", "ML", 50, 3, "15 ML = 1.5 package(s) of 13533-0800-12 × 2 billing units (CMS NDC-HCPCS "
     "crosswalk)"),
]


def test_units_against_the_lines_own_ndc_quantity():
    for ndc, qty, unit, billed, units, how in NDC_UNITS:
        code = "J1559" if ndc.startswith("44206") else "J1561"
        r = alone([{"code": code, "modifiers": ["JZ"], "units": billed, "ndc": ndc, "ndc_quantity": qty,
                    "ndc_unit": unit}])
        assert found(r, "DRUG-UNITS") == [("DRUG-UNITS", "warning", 1, units - billed, f"Line 1: {billed} units of "
                                          f"{code}, but its NDC quantity says {units} units ({how}).")], ndc
        right = alone([{"code": code, "modifiers": ["JZ"], "units": units, "ndc": ndc, "ndc_quantity": qty,
                        "ndc_unit": unit.lower()}])
        assert found(right, "DRUG-UNITS") == [], (ndc, qty)


def test_units_by_ndc_quantity_only_when_the_quantity_can_tell():
    line1 = {"code": "J1561", "modifiers": ["JZ"], "units": 50, "ndc": "13533-0805-11"}
    for extra in ({"ndc_quantity": "30", "ndc_unit": "F2"}, {"ndc_unit": "ML"}, {"ndc_quantity": "0", "ndc_unit": "ML"},
                  {"ndc_quantity": "300", "ndc_unit": "ML", "ndc": "13533-0805-1X"}):
        assert found(alone([{**line1, **extra}]), "DRUG-UNITS") == [], extra
    # An NDC igclaim does not know: only grams or milligrams tell the units (by the code's 500 mg).
    unknown = {"code": "J1561", "modifiers": ["JZ"], "units": 50, "ndc": "99999-0000-01"}
    assert found(alone([{**unknown, "ndc_quantity": "300", "ndc_unit": "ML"}]), "DRUG-UNITS") == []
    assert found(alone([{**unknown, "ndc_quantity": "3", "ndc_unit": "UN"}]), "DRUG-UNITS") == []
    assert [x[3] for x in found(alone([{**unknown, "ndc_quantity": "30", "ndc_unit": "GR"}]), "DRUG-UNITS")] == [10]


def test_jz_required_on_every_single_dose_drug_line_from_2023_07_01():
    bare = [{**IG, "modifiers": []}, {"code": "J1459", "modifiers": [], "units": 10}, INITIAL]
    said = "has neither JZ (nothing discarded) nor a JW line (discarded), which Original Medicare Part B requires on"
    r = alone(bare, dos="2023-07-01")
    assert found(r, "DRUG-JZ-MISSING") == [
        ("DRUG-JZ-MISSING", "error", 1, None, f"Line 1: J1561 {said} 2023-07-01."),
        ("DRUG-JZ-MISSING", "error", 2, None, f"Line 2: J1459 {said} 2023-07-01.")]
    assert fixes(r, "DRUG-JZ-MISSING")[0] == ("Add JZ when nothing was discarded; otherwise bill the discard on a JW "
                                              "line.")
    assert found(alone(bare, dos="2023-06-30"), "DRUG-JZ-MISSING") == []
    # A JW line for the code covers its administered line; JZ on one code does not cover another.
    jw = [{**IG, "modifiers": [], "units": 56}, {**IG, "modifiers": ["JW"], "units": 4},
          {"code": "J1459", "modifiers": ["JZ"], "units": 10}, {"code": "J1459", "modifiers": [], "units": 2}]
    returned = "; Original Medicare Part B returns a claim without it as unprocessable (from 2023-10-01)"
    assert found(alone(jw), "DRUG-JZ-MISSING") == [("DRUG-JZ-MISSING", "error", 4, -2,
                                                    f"Line 4: J1459 {said} 2026-03-02{returned}.")]
    # A Medicaid program without the JZ requirement (the generic profile): nothing.
    assert found(alone(bare, payer=MEDICAID), "DRUG-JZ-MISSING") == []


def test_jz_required_by_each_lines_own_date_on_a_claim_alone():
    """An 837's lines may span the day the requirement starts: each line's own service date decides (JZ from
    2023-07-01; Medicare returns a line without JZ or JW as unprocessable from 2023-10-01), not the claim's date."""
    said = "has neither JZ (nothing discarded) nor a JW line (discarded), which Original Medicare Part B requires on"
    bare = {**IG, "modifiers": []}
    r = alone([{**bare, "service_date": "2023-06-30"}, {**bare, "code": "J1459", "service_date": "2023-07-01"},
               INITIAL], dos="2023-06-30")
    assert found(r, "DRUG-JZ-MISSING") == [("DRUG-JZ-MISSING", "error", 2, None, f"Line 2: J1459 {said} 2023-07-01.")]
    r = alone([{**bare, "service_date": "2023-06-30"}, INITIAL], dos="2023-07-01")
    assert found(r, "DRUG-JZ-MISSING") == []
    returned = "; Original Medicare Part B returns a claim without it as unprocessable (from 2023-10-01)"
    r = alone([{**bare, "service_date": "2023-09-30"}, {**bare, "code": "J1459", "units": 10,
                                                        "service_date": "2023-10-01"}, INITIAL], dos="2023-09-30")
    assert found(r, "DRUG-JZ-MISSING") == [
        ("DRUG-JZ-MISSING", "error", 1, None, f"Line 1: J1561 {said} 2023-09-30."),
        ("DRUG-JZ-MISSING", "error", 2, -10, f"Line 2: J1459 {said} 2023-10-01{returned}.")]
    r = alone([{**bare, "service_date": "2023-09-30"}], dos="2023-10-01")
    assert found(r, "DRUG-JZ-MISSING") == [("DRUG-JZ-MISSING", "error", 1, None, f"Line 1: J1561 {said} 2023-09-30.")]


def test_jz_beside_a_jw_line_of_the_same_code_is_a_conflict_on_the_jz_line():
    lines_ = [{"code": "J1459", "modifiers": [], "units": 10}, {**IG, "units": 56},
              {**IG, "modifiers": ["JW"], "units": 4}, {"code": "J1459", "modifiers": ["JZ"], "units": 10},
              {"code": "J1459", "modifiers": ["JW"], "units": 2}, {"code": "J1559", "modifiers": ["JZ"], "units": 4}]
    r = alone(lines_)
    said = "JZ (nothing discarded) and a JW line (discarded) billed for"
    # By code, in the order the codes first appear; each on the code's first JZ line.
    assert found(r, "DRUG-JW-JZ-CONFLICT") == [("DRUG-JW-JZ-CONFLICT", "error", 4, None, f"Line 4: {said} J1459."),
                                               ("DRUG-JW-JZ-CONFLICT", "error", 2, None, f"Line 2: {said} J1561.")]


def test_medicaid_requires_the_ndc_on_each_drug_line_and_checks_its_shape():
    r = alone([IG, {**IG, "code": "J1459", "ndc": "44206-0436-05"}, INITIAL], payer=MEDICAID)
    assert found(r, "DRUG-NDC-MISSING") == [("DRUG-NDC-MISSING", "error", 1, -60, "Line 1: Medicaid (generic state "
                                            "program) requires the NDC on drug lines and J1561 has none.")]
    assert found(alone([IG, INITIAL]), "DRUG-NDC-MISSING") == []  # Medicare: NDC not required on the line
    r = alone([{**IG, "ndc": "13533-805-11X"}, {**IG, "code": "J1459", "ndc": "44206-0436-05"}, INITIAL])
    assert found(r, "DRUG-NDC-FORMAT") == [("DRUG-NDC-FORMAT", "error", 1, None, "Line 1: NDC '13533-805-11X' is not "
                                           "a valid 11-digit (5-4-2) NDC.")]


def test_first_coast_requires_ja_or_jb_on_j1561_and_j1569():
    """First Coast billing article A57778: JA (IV) or JB (SC) on J1561 and J1569, codes given both ways."""
    r = alone([IG, {"code": "J1569", "modifiers": ["JZ", "ja"], "units": 10}, INITIAL], payer=FIRST_COAST)
    assert found(r, "DRUG-ROUTE-MODIFIER") == [("DRUG-ROUTE-MODIFIER", "error", 1, None, "Line 1: J1561 needs JA or JB "
                                               "for Original Medicare Part B, First Coast (JN).")]
    assert found(alone([{**IG, "modifiers": ["JZ", "JB"]}, {"code": "J1459", "modifiers": ["JZ"], "units": 10}],
                       payer=FIRST_COAST), "DRUG-ROUTE-MODIFIER") == []
    assert found(alone([IG, INITIAL]), "DRUG-ROUTE-MODIFIER") == []  # Part B elsewhere: no such rule


def test_diagnosis_not_covered_for_each_ig_code_on_its_first_line():
    r = alone([INITIAL, IG, {"code": "J1559", "modifiers": ["JZ"], "units": 4}, {**IG, "units": 2}],
              dx=("J45.909", "E11.9"))
    text = ("No diagnosis on the claim (J45.909, E11.9) is covered for {} under Default immune globulin policy "
            "(replace with your contractor's or plan's list). Default list of common IG indications, not your "
            "contractor's or plan's policy: verify the diagnosis against the LCD/article or plan policy that applies.")
    # each code's lines at stake (the thirty-third session: the chart-free finding carried no units): J1561 60 + 2
    assert found(r, "DX-NOT-COVERED") == [("DX-NOT-COVERED", "warning", 2, -62, text.format("J1561")),
                                          ("DX-NOT-COVERED", "warning", 3, -4, text.format("J1559"))]
    assert found(alone([IG, INITIAL], dx=("D80.0",)), "DX-NOT-COVERED") == []
    assert found(alone([IG, INITIAL], dx=()), "DX-NOT-COVERED") == []  # DX-MISSING says it


def test_an_ig_code_billed_before_its_add_date_is_checked_for_its_own_route():
    """Medicare home list (Benefit Policy Manual ch. 15 §50.6; CIDP only for SC immune globulin by pump, LCD L33794):
    Asceniv's J1554 is intravenous, so CIDP (G61.81) at home is not covered, the day before the code's ADD DT
    (2021-04-01, CMS HCPCS file) as on it: the code's route comes from its record whatever its dates."""
    for dos in ("2021-03-31", "2021-04-01"):
        r = alone([{"code": "J1554", "units": 60}], dos=dos, setting="home", dx=("G61.81",))
        assert found(r, "DX-NOT-COVERED") == [
            ("DX-NOT-COVERED", "error", 1, -60, "No diagnosis on the claim (G61.81) is covered for J1554 under "
             "Medicare home immune globulin (primary immunodeficiency; SCIG also CIDP). Medicare home IVIG is covered "
             "for primary immunodeficiency only (Benefit Policy Manual ch. 15 §50.6).")], dos


def test_every_doubt_of_a_users_list_about_the_codes_routes_is_said(tmp_path):
    """A user's list may limit a doubt to a route (as the bundled home list limits CIDP to SC by pump): J1561
    (Gamunex-C, IV and SC in the HCPCS file) gets both of the doubts about MMN, in the list's order, and a warning
    instead of the list's error; J1459 (Privigen, IV only) gets the IV one only."""
    (tmp_path / "mmn.toml").write_text(
        '[policy]\nname = "mmn"\ntitle = "My MMN list"\nkind = "official"\nseverity = "error"\n'
        'source = "https://example.org/mmn"\nnotice = "Plan policy 7."\n\n[[indication]]\nname = "CIDP"\n'
        'codes = ["G61.81"]\n\n[[uncertain]]\nprefixes = ["G61.82"]\nroutes = ["IV"]\nnote = "MMN by IV: verify."\n'
        '\n[[uncertain]]\nprefixes = ["G61.82"]\nroutes = ["SC"]\nnote = "MMN by SC: verify."\n')
    text = Path(__file__).resolve().parents[1] / "src/igclaim/refdata/payers/commercial.toml"
    (tmp_path / "plan.toml").write_text(text.read_text().replace('name = "commercial"', 'name = "plan"').replace(
        'values = { "2000-01-01" = "default-ig" }', 'values = { "2000-01-01" = "mmn.toml" }'))
    plan = {"type": "commercial", "profile": str(tmp_path / "plan.toml"), "prior_authorization": {"number": "P"}}
    r = alone([IG, {"code": "J1459", "modifiers": ["JZ"], "units": 10}, INITIAL], payer=plan, dx=("G61.82",))
    said = "No diagnosis on the claim (G61.82) is covered for {} under My MMN list. Plan policy 7. {}"
    assert found(r, "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "warning", 1, -60, said.format("J1561", "MMN by IV: verify. MMN by SC: verify.")),
        ("DX-NOT-COVERED", "warning", 2, -10, said.format("J1459", "MMN by IV: verify."))]


def test_a_ub04_alone_needs_revenue_codes_and_a_medicare_home_claim_no_administration_codes():
    r = alone([{**IG, "revenue_code": "0250"}, {**INITIAL, "revenue_code": "0510"}, {"code": "96366", "units": 4}],
              setting="hospital_outpatient", form="UB-04", type_of_bill="0131")
    assert found(r, "FORM-SETTING") == [
        ("FORM-SETTING", "warning", 1, None, "Line 1: J1561 under revenue code 0250; a separately payable drug with "
         "its HCPCS code goes under 0636."),
        ("FORM-SETTING", "warning", 2, None, "Line 2: 96365 under revenue code 0510; drug administration is commonly "
         "026x."),
        ("FORM-SETTING", "error", 3, None, "Line 3: 96366 has no revenue code (UB-04).")]
    r = alone([IG, {"code": "Q2052", "units": 1}, INITIAL, {"code": "36000", "units": 1}], setting="home")
    assert found(r, "FORM-SETTING") == [("FORM-SETTING", "error", 3, -1, "Line 3: 96365 on a Medicare home (DME MAC) "
                                         "claim: home IVIG is billed as the drug and its supplies, without drug "
                                         "administration codes.")]
    home_commercial = {"type": "commercial", "name": "Plan", "prior_authorization": {"number": "P"}}
    assert found(alone([{**IG, "ndc": "13533-0805-11"}, INITIAL], setting="home", payer=home_commercial),
                 "FORM-SETTING") == []


def test_a_ub04_line_without_a_revenue_code_is_told_the_one_its_kind_of_service_takes():
    """The fix names 0636 for a drug and 0260 for an administration code; for a line that is neither (36415, a
    blood draw igclaim does not code), the revenue code of its service, which igclaim cannot name."""
    r = alone([{**IG}, {**INITIAL}, {"code": "36415", "units": 1}], setting="hospital_outpatient", form="UB-04",
              type_of_bill="0131")
    assert fixes(r, "FORM-SETTING") == ["Give line 1 revenue code 0636.", "Give line 2 revenue code 0260.",
                                        "Give line 3 the revenue code of its service."]


def test_an_add_on_code_alone_needs_a_primary_of_its_ncci_add_on_edit():
    """NCCI add-on code edits (type 1): 96366 after 96365 or 96367; 96370 after 96369; 96361 after 96360, 96365,
    96374, 96409 or 96413 (secondary hydration after another initial service is not an error)."""
    r = alone([IG, {"code": "96366", "units": 4}, {"code": "96370", "units": 1}])
    assert found(r, "ADMIN-NOT-SUPPORTED") == [
        ("ADMIN-NOT-SUPPORTED", "error", 2, -4, "Line 2: add-on 96366 without its primary code (96365 or 96367) on "
         "the claim."),
        ("ADMIN-NOT-SUPPORTED", "error", 3, -1, "Line 3: add-on 96370 without its primary code (96369) on the claim.")]
    assert found(alone([IG, {"code": "96367", "units": 1}, {"code": "96366", "units": 2}]), "ADMIN-NOT-SUPPORTED") == []


def test_an_add_on_code_before_the_ncci_add_on_edits_needs_a_primary_of_its_family():
    """Before the first NCCI add-on code edit row (administration.toml, 2013-04-01) the CPT instruction under 96366
    ("use 96366 in conjunction with 96365, 96367") still holds: the add-on alone is named with those primaries."""
    for dos in ("2013-03-31", "2013-04-01"):
        r = alone([OLD_IG, {"code": "96366", "units": 4}], dos=dos)
        assert found(r, "ADMIN-NOT-SUPPORTED") == [
            ("ADMIN-NOT-SUPPORTED", "error", 2, -4, "Line 2: add-on 96366 without its primary code (96365 or 96367) on "
             "the claim.")], dos
        assert found(alone([OLD_IG, {"code": "96367", "units": 1}, {"code": "96366", "units": 4}], dos=dos),
                     "ADMIN-NOT-SUPPORTED") == [], dos


def test_hydration_add_on_alone_names_every_primary_of_its_add_on_edit():
    r = alone([IG, {"code": "96361", "units": 2}])
    assert found(r, "ADMIN-NOT-SUPPORTED") == [
        ("ADMIN-NOT-SUPPORTED", "error", 2, -2, "Line 2: add-on 96361 without its primary code (96360 or 96365 or "
         "96374 or 96409 or 96413) on the claim.")]
    for primary in ("96360", "96365", "96374"):
        assert found(alone([IG, {"code": primary, "units": 1}, {"code": "96361", "units": 1}]),
                     "ADMIN-NOT-SUPPORTED") == [], primary


# --- form.py: form, place of service, type of bill, revenue codes; lines missing or unexpected; home DME -----------

HOSPITAL = chart(setting="hospital_outpatient")


def test_the_form_of_the_setting():
    """IOM 100-04 ch. 26 (CMS-1500 for the office), ch. 25 and ch. 4 §230.2 (UB-04 for hospital outpatient)."""
    r = scrub(HOSPITAL, lambda c: c.update(form="CMS-1500"))
    assert found(r) == [("FORM-SETTING", "error", None, None, "The claim is written on CMS-1500; a hospital outpatient "
                         "encounter is billed on UB-04.")]
    r = scrub(BASE, lambda c: c.update(form="UB-04"))
    assert found(r, "FORM-SETTING") == [("FORM-SETTING", "error", None, None, "The claim is written on UB-04; an "
                                         "office encounter is billed on CMS-1500.")]
    assert found(scrub(BASE, lambda c: c.update(form=None)), "FORM-SETTING") == []


def test_type_of_bill_013x_whatever_its_frequency_digit():
    r = scrub(HOSPITAL, lambda c: c.update(type_of_bill="0851"))
    assert found(r) == [("FORM-SETTING", "error", None, None, "Type of bill 0851; a hospital outpatient claim is "
                         "013x.")]
    for tob in ("131", "0137", " 0131"):
        assert found(scrub(HOSPITAL, lambda c, tob=tob: c.update(type_of_bill=tob)), "FORM-SETTING") == [], tob
    assert found(scrub(HOSPITAL, lambda c: c.update(type_of_bill=None)), "FORM-SETTING") == []


def test_place_of_service_against_the_chart_or_the_settings_default():
    r = scrub(BASE, lambda c: c.update(place_of_service="22"))
    assert found(r) == [("FORM-SETTING", "warning", None, None, "Place of service 22 on an office claim; the setting's "
                         "place of service is 11 (verify if another fits).")]
    r = scrub(chart(place_of_service="11"), lambda c: c.update(place_of_service="22"))
    assert found(r) == [("FORM-SETTING", "error", None, None, "Place of service 22 on an office claim; the chart says "
                         "11.")]
    assert found(scrub(BASE, lambda c: c.update(place_of_service=" 11 ")), "FORM-SETTING") == []
    assert found(scrub(BASE, lambda c: c.update(place_of_service=None)), "FORM-SETTING") == []


def test_revenue_codes_on_a_ub04():
    """NUBC: drugs with a HCPCS code under 0636, IV therapy (drug administration) under 026x."""
    r = scrub(HOSPITAL, lambda c: (c.update(form=None), [ln.update(revenue_code=None) for ln in c["lines"]]))
    assert found(r) == [("FORM-SETTING", "warning", None, None, "No revenue codes on a hospital outpatient claim "
                         "(UB-04 needs one on every line: drugs 0636, administration 0260).")]
    r = scrub(HOSPITAL, lambda c: (line(c, "J1561").update(revenue_code="0250"),
                                   line(c, "96365").update(revenue_code="0510"),
                                   line(c, "96366").update(revenue_code=" ")))
    assert found(r) == [
        ("FORM-SETTING", "warning", 1, None, "Line 1: J1561 under revenue code 0250; a separately payable drug with "
         "its HCPCS code goes under 0636."),
        ("FORM-SETTING", "warning", 2, None, "Line 2: 96365 under revenue code 0510; drug administration is commonly "
         "026x."),
        ("FORM-SETTING", "error", 3, None, "Line 3: 96366 has no revenue code (UB-04).")]
    r = scrub(HOSPITAL, lambda c: (line(c, "96365").update(revenue_code="0261"), c.update(form=None)))
    assert found(r, "FORM-SETTING") == []


def test_administration_codes_on_a_medicare_home_claim_are_named_line_by_line():
    r = scrub(chart(setting="home"), lambda c: (add("96365", number=3)(c), add("96366", units=4, number=4)(c)))
    said = ("on an Original Medicare Part B home claim: home infusion for this payer is billed as the drug and its "
            "supplies, without drug administration codes.")
    assert found(r, "FORM-SETTING") == [("FORM-SETTING", "error", 3, -1, f"Line 3: 96365 {said}"),
                                        ("FORM-SETTING", "error", 4, -4, f"Line 4: 96366 {said}")]


def test_lines_the_chart_supports_and_the_claim_leaves_out():
    enc = chart(drugs=[BASE["drugs"][0], PREMED],
                administrations=[push("pre1", "08:50"), BASE["administrations"][0]])
    r = scrub(enc, lambda c: (c["lines"].pop(0), c["lines"].pop(0)))
    assert found(r, "CLAIM-LINE-MISSING") == [
        ("CLAIM-LINE-MISSING", "warning", None, 60, "drugs[0] (Gamunex-C): no drug line is written; the chart supports "
         "J1561 × 60."),
        ("CLAIM-LINE-MISSING", "warning", None, 1, "drugs[1] (J1200): no drug line is written; the chart supports "
         "J1200 × 1.")]
    r = scrub(BASE, lambda c: (c["lines"].pop(1), c["lines"].pop(1)))
    assert found(r) == [("CLAIM-LINE-MISSING", "warning", None, 1, "96365 × 1 is supported by the chart and not "
                         "billed."),
                        ("CLAIM-LINE-MISSING", "warning", None, 4, "96366 × 4 is supported by the chart and not "
                         "billed.")]
    assert fixes(r, "CLAIM-LINE-MISSING") == ["Add 96365 × 1.", "Add 96366 × 4."]
    # A drug whose administered and JW lines are both left out is one missing drug (its units administered).
    jw = chart(drug0={"dose": {"grams": 28}})
    r = scrub(jw, lambda c: (c["lines"].pop(0), c["lines"].pop(0)))
    assert found(r, "CLAIM-LINE-MISSING") == [("CLAIM-LINE-MISSING", "warning", None, 60, "drugs[0] (Gamunex-C): no "
                                               "drug line is written; the chart supports J1561 × 60.")]


def test_lines_the_chart_does_not_support():
    r = scrub(BASE, lambda c: (add("99213", number=4)(c), add("E0779", number=5)(c)))
    said = "is not supported by the chart as documented; igclaim cannot check it."
    assert found(r) == [("CLAIM-LINE-UNEXPECTED", "warning", 4, None, f"Line 4: 99213 {said}"),
                        ("CLAIM-LINE-UNEXPECTED", "warning", 5, None, f"Line 5: E0779 {said}")]
    # At home the supplier's pump is a service code of its own (HOME-BILLING-NOTE), not an unexpected line.
    home = chart(setting="home", drugs=[SCIG])
    r = scrub(home, lambda c: (add("99213", number=4)(c), add("E0779", number=5)(c)))
    assert found(r, "CLAIM-LINE-UNEXPECTED") == [("CLAIM-LINE-UNEXPECTED", "warning", 4, None, f"Line 4: 99213 {said}")]


def test_build_of_an_input_with_a_written_claim_says_it_was_not_compared():
    from tests.test_edits_support import built_claim

    r = build(dict(BASE, claim=built_claim(BASE)))
    assert [(f.edit, f.severity, f.message) for f in r.findings] == [
        ("CLAIM-NOT-COMPARED", "info", "claim: the written claim was not compared with the chart (build codes the "
         "chart only); use scrub to compare it")]
    assert [f.edit for f in build(BASE).findings] == []
    assert "CLAIM-NOT-COMPARED" not in {f.edit for f in scrub(BASE).findings}


def _home_on(day: str, **changes) -> dict:
    return chart(setting="home", date_of_service=day,
                 administrations=[{"drug_id": "ig1", "start": f"{day}T09:00", "stop": f"{day}T14:00"}], **changes)


def test_q2052_exists_from_2014_04_01_and_is_for_home_ivig_only():
    """CMS HCPCS: Q2052 added 2014-04-01 (the home IVIG demonstration); A52507: SCIG by pump is E0779 with JB."""
    assert [ln.code for ln in build(_home_on("2014-03-31")).claim.lines] == ["J1561"]
    assert [ln.code for ln in build(_home_on("2014-04-01")).claim.lines] == ["J1561", "Q2052"]
    r = scrub(_home_on("2014-03-31"), add("Q2052", number=5))
    assert found(r, "HOME-SUPPLY-CODE") == [("HOME-SUPPLY-CODE", "error", 5, -1, "Line 5: Q2052 billed for 2014-03-31; "
                                            "the code exists from 2014-04-01 (the home IVIG demonstration). Before "
                                            "it, home IVIG is the J-code alone.")]
    assert found(scrub(_home_on("2014-04-01")), "HOME-SUPPLY-CODE") == []
    r = scrub(chart(setting="home", drugs=[SCIG]), add("Q2052", number=5))
    assert found(r, "HOME-SUPPLY-CODE") == [("HOME-SUPPLY-CODE", "error", 5, -1, "Line 5: Q2052 (home IVIG supplies) "
                                            "on a claim whose immune globulin is subcutaneous; SCIG by pump is billed "
                                            "with E0779 and JB (A52507).")]
    assert fixes(r, "HOME-SUPPLY-CODE") == ["Home IVIG: the J-code plus Q2052 for each infusion date (from "
                                            "2014-04-01); home SCIG by pump: the J-code and E0779, both with JB."]
    r = scrub(chart(setting="home"), add("E0779", number=5))
    assert found(r, "HOME-SUPPLY-CODE") == [("HOME-SUPPLY-CODE", "error", 5, -1, "Line 5: E0779 (the SC infusion pump) "
                                            "on a claim whose immune globulin is intravenous; home IVIG supplies and "
                                            "nursing are Q2052.")]
    assert found(scrub(chart(setting="home", drugs=[SCIG]), add("E0779", number=5)), "HOME-SUPPLY-CODE") == []


def test_q2052_units_one_per_date_until_2023_then_the_visit_in_15_minute_units():
    """Noridian JD: one unit per infusion date under the 2014-2023 demonstration; from 2024-01-01 the visit length in
    15-minute units (300 minutes = 20)."""
    tail = "Medicare pays one bundle per infusion date, so the units inform rather than price."
    for day, supported, rule in (
            ("2023-12-31", 1, "one unit per infusion date under the demonstration"),
            ("2024-01-01", 20, "the infusion visit length in 15-minute units (DME MAC table; verify against LCD "
                               "L33610)")):
        enc = _home_on(day)
        assert [(ln.code, ln.units) for ln in build(enc).claim.lines][1:] == [("Q2052", supported)]
        r = scrub(enc, lambda c: line(c, "Q2052").update(units=2))
        assert found(r, "HOME-Q2052-UNITS") == [("HOME-Q2052-UNITS", "warning", 2, None, f"Q2052 × 2 for {day}; the "
                                                f"chart supports Q2052 × {supported} ({rule}). {tail}")]
        assert fixes(r, "HOME-Q2052-UNITS") == [f"Bill Q2052 × {supported} for {day}."]
    rule = "the infusion visit length in 15-minute units (DME MAC table; verify against LCD L33610)"
    r = scrub(chart(setting="home"), lambda c: line(c, "Q2052").update(service_date="2026-03-03"))
    assert found(r, "HOME-Q2052-UNITS") == [
        ("HOME-Q2052-UNITS", "warning", None, None, f"Q2052 × 0 for 2026-03-02; the chart supports Q2052 × 20 "
         f"({rule}). {tail}"),
        ("HOME-Q2052-UNITS", "warning", 2, None, f"Q2052 × 20 for 2026-03-03; the chart supports Q2052 × 0 ({rule}). "
         f"{tail}")]
    assert fixes(r, "HOME-Q2052-UNITS") == ["Bill Q2052 × 20 for 2026-03-02.",
                                            "Remove Q2052 for 2026-03-03: no infusion that date."]


# --- registry.py and context.py: which checks run, on what claim ----------------------------------------------------

def test_a_scrub_with_its_chart_runs_the_chart_and_claim_checks_once_each():
    """JZ missing (CMS: JZ required on Medicare claims from 2023-07-01): one finding, the chart's, which names the
    product; the chart-free check that says the same of an 837 alone does not run beside it."""
    r = scrub(BASE, lambda c: line(c, "J1561").update(modifiers=[]))
    assert found(r) == [("DRUG-JZ-MISSING", "error", 1, -60, "Line 1: nothing of Gamunex-C was discarded and Original "
                         "Medicare Part B requires JZ on 2026-03-02; Original Medicare Part B returns a claim without "
                         "it as unprocessable (from 2023-10-01).")]


def test_the_scrub_reads_the_written_lines_ndc_not_the_expected_claims():
    """CMS ASP NDC-HCPCS crosswalk: 44206-0436-05 (Privigen) is J1459, not J1561."""
    r = scrub(BASE, lambda c: line(c, "J1561").update(ndc="44206-0436-05"))
    assert found(r) == [("DRUG-NDC-MISMATCH", "error", 1, None, "Line 1: NDC 44206-0436-05 is billed with J1561, but "
                         "it crosswalks to J1459 per refdata/cms/snapshot/asp-ndc-hcpcs-crosswalk-2026q1.csv.")]


def test_the_pump_log_check_runs_on_build_and_scrub_of_a_chart_that_has_one():
    log = [{"drug_id": "ig1", "start": "2026-03-02T09:30", "stop": "2026-03-02T13:25"}]
    want = [("ADMIN-PUMP-LOG", "warning", None, -1, "ig1: documented administrations[0] 09:00–14:00 = 300 min gives "
             "96366 × 4; the pump log 09:30–13:25 = 235 min gives 96366 × 3.")]
    # The same date and payer without a pump log first: the checks chosen for it are not reused for this chart.
    assert found(build(BASE)) == [] and found(scrub(BASE)) == []
    assert found(build(chart(pump_log=log))) == want
    assert found(scrub(chart(pump_log=log))) == want



# --- survivors of the run (edits/administration.py, docs/mutation/edits-administration.md) -------------------------

def test_an_iv_infusion_code_beside_a_sc_infusion_and_hydration_is_not_documented():
    hyd = {"purpose": "hydration", "ordered": True, "reason": "dehydration", "start": "2026-03-02T10:30",
           "stop": "2026-03-02T11:30"}
    r = scrub(chart(drugs=[SCIG], administrations=[at("09:00", "10:00")], fluids=[hyd]), add("96365"))
    assert found(r) == [("ADMIN-NOT-SUPPORTED", "error", 9, -1, "Line 9: 96365 (IV infusion, therapy/prophylaxis/"
                         "diagnosis, initial, up to 1 hour); the chart documents hydration, sc_infusion.")]
    # A 15-minute SC infusion is an injection (96372); a push written beside it and hydration is not documented.
    enc = chart(drugs=[SCIG], administrations=[at("09:00", "09:15")], fluids=[hyd])
    assert [(ln.code, tuple(ln.modifiers)) for ln in build(enc).claim.lines][1:] == [("96372", ()), ("96360", ("XS",))]
    r = scrub(enc, add("96374"))
    assert found(r) == [("ADMIN-NOT-SUPPORTED", "error", 9, -1, "Line 9: 96374 (IV push, single or initial "
                         "substance/drug (also any IV infusion of 15 minutes or less)); the chart documents "
                         "hydration, injection.")]


def test_a_push_with_a_start_time_only_and_a_one_minute_infusion():
    r = scrub(chart(administrations=[{"drug_id": "ig1", "method": "push", "start": "2026-03-02T09:00"}]),
              lambda c: line(c, "96374").update(code="96365"))
    assert found(r, "ADMIN-PUSH") == [("ADMIN-PUSH", "error", 2, None, "Line 2: 96365 billed, but the chart documents "
                                      "a push (administrations[0]), not an infusion.")]
    r = scrub(chart(administrations=[at("09:00", "09:01")]), lambda c: line(c, "96374").update(code="96365"))
    assert found(r, "ADMIN-PUSH") == [("ADMIN-PUSH", "error", 2, None, "Line 2: 96365 billed for an infusion of 15 "
                                      "minutes or less (administrations[0] 09:00–09:01 = 1 min): that is a push.")]


def test_push_findings_quote_every_service_they_are_about():
    r = scrub(chart(drugs=[SCIG], administrations=[at("09:00", "09:10"), at("11:00", "11:12")]),
              lambda c: line(c, "96372").update(code="96369"))
    assert found(r, "ADMIN-PUSH")[0][4] == ("Line 2: 96369 billed for a subcutaneous infusion of 15 minutes or less "
                                            "(administrations[0] 09:00–09:10 = 10 min; administrations[1] 11:00–11:12 "
                                            "= 12 min): that is 96372.")
    r = scrub(chart(drugs=[SCIG], administrations=[at("09:00", "10:00"), at("11:00", "11:40")]),
              lambda c: line(c, "96369").update(code="96372"))
    assert found(r, "ADMIN-PUSH")[0][4] == ("Line 2: 96372 (injection) billed for a subcutaneous infusion of more "
                                            "than 15 minutes (administrations[0] 09:00–10:00 = 60 min; "
                                            "administrations[1] 11:00–11:40 = 40 min): bill 96369.")
    r = scrub(chart(administrations=[at("09:00", "09:10"), at("11:00", "11:12")]),
              lambda c: line(c, "96374").update(code="96365"))
    assert found(r, "ADMIN-PUSH")[0][4] == ("Line 2: 96365 billed for an infusion of 15 minutes or less "
                                            "(administrations[0] 09:00–09:10 = 10 min; administrations[1] 11:00–11:12 "
                                            "= 12 min): that is a push.")
    r = scrub(chart(drugs=[BASE["drugs"][0], PREMED],
                    administrations=[{"drug_id": "ig1", "method": "push"}, {"drug_id": "pre1", "method": "push"}]),
              lambda c: line(c, "96374").update(code="96365"))
    assert found(r, "ADMIN-PUSH")[0][4] == ("Line 3: 96365 billed, but the chart documents a push (administrations[0]; "
                                            "administrations[1]), not an infusion.")
    r = scrub(TWO_SITES, lambda c: line(c, "96365").update(code="96374"))
    assert found(r, "ADMIN-PUSH")[0][4] == ("Line 3: 96374 (push) billed for an infusion of more than 15 minutes "
                                            "(administrations[0] 09:00–14:00 = 300 min; administrations[1] 09:00–10:00 "
                                            "= 60 min): bill the infusion codes.")


def test_route_findings_list_the_documented_services_or_none():
    sc2 = chart(drugs=[SCIG], administrations=[at("09:00", "10:00"), at("11:00", "11:40")])
    r = scrub(sc2, lambda c: line(c, "96369").update(code="96365"))
    assert found(r, "ADMIN-ROUTE")[0][4] == ("Line 2: 96365 is an IV code (IV infusion, therapy/prophylaxis/diagnosis, "
                                             "initial, up to 1 hour); the chart documents: sc_infusion "
                                             "(administrations[0]), sc_infusion (administrations[1]). Expected "
                                             "instead: 96369.")
    # An SC infusion charted without its stop, and an IV push written: no service is coded, and the push's route is
    # not the chart's (an IV administration charted without times would make it ADMIN-TIMES-MISSING instead).
    r = scrub(chart(drugs=[SCIG], administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00"}]), add("96374"))
    assert found(r, "ADMIN-ROUTE") == [("ADMIN-ROUTE", "error", 9, None, "Line 9: 96374 is an IV code (IV push, single "
                                       "or initial substance/drug (also any IV infusion of 15 minutes or less)); the "
                                       "chart documents: none.")]
    assert fixes(r, "ADMIN-ROUTE") == ["Bill SC infusion codes (96369/96370/96371) for subcutaneous administration, IV "
                                       "codes for IV."]


def test_an_iv_code_beside_the_right_sc_code_names_nothing_instead():
    sc = chart(drugs=[SCIG], administrations=[at("09:00", "10:40")])
    r = scrub(sc, add("96365"))
    assert found(r) == [("ADMIN-ROUTE", "error", 9, None, "Line 9: 96365 is an IV code (IV infusion, therapy/"
                         "prophylaxis/diagnosis, initial, up to 1 hour); the chart documents: sc_infusion "
                         "(administrations[0]).")]
    # An IV add-on in place of the SC one: the route edit, which also explains its missing IV primary.
    r = scrub(sc, lambda c: line(c, "96370").update(code="96366"))
    assert found(r) == [("ADMIN-ROUTE", "error", 3, None, "Line 3: 96366 is an IV code (IV infusion, each additional "
                         "hour); the chart documents: sc_infusion (administrations[0]). Expected instead: 96370.")]


def test_a_second_initial_code_with_two_distinct_modifiers_names_both():
    r = scrub(TWO_SITES, add("96365", modifiers=["XS", "59"]))
    assert found(r, "ADMIN-INITIAL-DUPLICATE")[0][4] == (
        "Line 9: 96365 is initial service number 2 on a professional claim; the chart documents IV access sites 1, 2. "
        "It carries 59, XS: verify the note says why the second site was needed.")


def test_a_sequential_code_without_its_primary_is_the_add_on_edit_and_the_next_line_is_still_checked():
    r = scrub(BASE, lambda c: (line(c, "96365").update(code="96367"), add("96368", number=4)(c)))
    assert [x[:3] for x in found(r)] == [("ADMIN-ADDON-PRIMARY", "error", 2), ("ADMIN-SEQUENTIAL", "error", 4)]
    assert found(r, "ADMIN-SEQUENTIAL")[0][4] == ("Line 4: 96368 (IV infusion, concurrent infusion (drug, never "
                                                  "hydration)) billed, but no second drug infused at the same time is "
                                                  "documented.")


def test_96368_for_the_additional_hours_does_not_stand_for_them():
    r = scrub(BASE, lambda c: line(c, "96366").update(code="96368", units=1))
    assert found(r) == [
        ("ADMIN-SEQUENTIAL", "error", 3, None, "Line 3: 96368 (IV infusion, concurrent infusion (drug, never "
         "hydration)) billed, but no second drug infused at the same time is documented."),
        ("CLAIM-LINE-MISSING", "warning", None, 4, "96366 × 4 is supported by the chart and not billed.")]
    assert fixes(r, "ADMIN-SEQUENTIAL") == ["More time of the same drug is 96366; 96367 is a new drug after the first; "
                                            "96368 is a concurrent drug infusion, never hydration."]
    # Two drugs: 96367 is not the additional hours of either, which stay missing.
    r = scrub(TWO_SITES, lambda c: line(c, "96366").update(code="96367", units=1))
    assert found(r, "ADMIN-SEQUENTIAL", "CLAIM-LINE-MISSING") == [
        ("ADMIN-SEQUENTIAL", "error", 4, None, "Line 4: 96367 (IV infusion, sequential infusion of a new drug, up to 1 "
         "hour) billed, but no infusion of a new drug after the first needs it."),
        ("CLAIM-LINE-MISSING", "warning", None, 4, "96366 × 4 is supported by the chart and not billed.")]
    # 96367 beside the additional hours already written: no line to bill instead.
    r = scrub(BASE, add("96367", number=4))
    assert found(r) == [("ADMIN-SEQUENTIAL", "error", 4, None, "Line 4: 96367 (IV infusion, sequential infusion of a "
                         "new drug, up to 1 hour) billed, but the chart documents infusions of one drug only (ig1): "
                         "more time of it is 96366.")]
    assert fixes(r, "ADMIN-SEQUENTIAL") == ["More time of the same drug is 96366; 96367 is a new drug after the first; "
                                            "96368 is a concurrent drug infusion, never hydration."]


def test_additional_hours_of_an_add_on_without_its_primary_are_left_to_the_add_on_edit():
    sc = chart(drugs=[SCIG], administrations=[at("09:00", "10:40")])
    r = scrub(sc, lambda c: (c["lines"].remove(line(c, "96369")), line(c, "96370").update(units=2)))
    assert [x[:4] for x in found(r)] == [("ADMIN-ADDON-PRIMARY", "error", 3, None)]
    # ... and the next add-on of another family is still checked.
    hyd = {"purpose": "hydration", "ordered": True, "reason": "dehydration", "start": "2026-03-02T11:00",
           "stop": "2026-03-02T12:31"}
    enc = chart(drugs=[SCIG], administrations=[at("09:00", "10:40")], fluids=[hyd])
    assert [(ln.code, tuple(ln.modifiers), ln.units) for ln in build(enc).claim.lines][1:] == [
        ("96369", (), 1), ("96370", (), 1), ("96360", ("XS",), 1), ("96361", (), 1)]
    r = scrub(enc, lambda c: (c["lines"].remove(line(c, "96369")), line(c, "96361").update(units=3)))
    assert found(r, "ADMIN-ADDON-UNITS") == [("ADMIN-ADDON-UNITS", "error", 5, -2, "96361 × 3 billed; the documented "
                                              "time (fluids[0] 11:00–12:31 = 91 min) supports 96361 × 1 (each unit "
                                              "needs more than 30 minutes beyond the last full hour).")]


def test_additional_hours_of_two_drugs_quote_both_infusions():
    r = scrub(TWO_SITES, lambda c: line(c, "96366").update(units=5))
    assert found(r, "ADMIN-ADDON-UNITS") == [("ADMIN-ADDON-UNITS", "error", 4, -1, "96366 × 5 billed; the documented "
                                              "time (administrations[0] 09:00–14:00 = 300 min; administrations[1] "
                                              "09:00–10:00 = 60 min) supports 96366 × 4 (each unit needs more than 30 "
                                              "minutes beyond the last full hour).")]


WHOLE_HOURS = {"type": "medicare", "name": "Medicare Part B",
               "profile": str(Path(__file__).parent / "data" / "profiles" / "whole-hour-contract.toml")}


def test_a_contract_that_pays_whole_hours_only():
    """Profile parameter additional_hour_rule = whole_hour: each additional hour is a full hour (151 min → 1, where
    the CPT rule gives 2)."""
    enc = chart(payer=WHOLE_HOURS, administrations=[at("09:00", "11:31")])
    assert [(ln.code, ln.units) for ln in build(enc).claim.lines][1:] == [("96365", 1), ("96366", 1)]
    r = scrub(enc, lambda c: line(c, "96366").update(units=2))
    assert found(r) == [("ADMIN-ADDON-UNITS", "error", 3, -1, "96366 × 2 billed; the documented time "
                         "(administrations[0] 09:00–11:31 = 151 min) supports 96366 × 1 (full hours only).")]


def test_the_pump_log_under_a_whole_hour_contract():
    log = [{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T11:59"}]
    r = build(chart(payer=WHOLE_HOURS, administrations=[at("09:00", "12:01")], pump_log=log))
    assert found(r) == [("ADMIN-PUMP-LOG", "warning", None, -1, "ig1: documented administrations[0] 09:00–12:01 = "
                         "181 min gives 96366 × 2; the pump log 09:00–11:59 = 179 min gives 96366 × 1.")]
    assert found(build(chart(administrations=[at("09:00", "12:01")], pump_log=log))) == []  # CPT: 2 and 2
    two = [{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"},
           {"drug_id": "ig1", "start": "2026-03-02T11:00", "stop": "2026-03-02T12:50"}]
    r = build(chart(payer=WHOLE_HOURS, administrations=[at("09:00", "10:00"), at("11:00", "13:00")], pump_log=two))
    assert found(r) == [("ADMIN-PUMP-LOG", "warning", None, -1, "ig1: documented administrations[0] 09:00–10:00 = 60 "
                         "min; administrations[1] 11:00–13:00 = 120 min gives 96366 × 2; the pump log 09:00–10:00 = 60 "
                         "min; 11:00–12:50 = 110 min gives 96366 × 1.")]
    assert found(build(chart(administrations=[at("09:00", "10:00"), at("11:00", "13:00")], pump_log=two))) == []


def test_the_pump_log_is_compared_drug_by_drug():
    both = dict(drugs=TWO_SITES["drugs"], administrations=TWO_SITES["administrations"])
    ig1 = {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"}
    assert found(build(chart(**both, pump_log=[ig1])), "ADMIN-PUMP-LOG") == []
    r = build(chart(**both, pump_log=[ig1, {"drug_id": "d2", "start": "2026-03-02T09:00", "stop": "2026-03-02T09:10"}]))
    assert found(r, "ADMIN-PUMP-LOG") == [("ADMIN-PUMP-LOG", "warning", None, None, "d2: documented administrations[1] "
                                          "09:00–10:00 = 60 min gives 96366 × 0; the pump log 09:00–09:10 = 10 min "
                                          "gives 96366 × 0.")]
    # A drug the pump logged without timed services (a push) first, then the infusion that differs.
    enc = chart(drugs=[BASE["drugs"][0], PREMED], administrations=[{"drug_id": "pre1", "method": "push"},
                                                                   BASE["administrations"][0]],
                pump_log=[{"drug_id": "pre1", "start": "2026-03-02T08:50", "stop": "2026-03-02T08:52"},
                          {"drug_id": "ig1", "start": "2026-03-02T09:30", "stop": "2026-03-02T13:25"}])
    assert found(build(enc), "ADMIN-PUMP-LOG") == [("ADMIN-PUMP-LOG", "warning", None, -1, "ig1: documented "
                                                    "administrations[1] 09:00–14:00 = 300 min gives 96366 × 4; the "
                                                    "pump log 09:30–13:25 = 235 min gives 96366 × 3.")]


def test_a_documented_push_the_pump_ran_for_100_minutes():
    r = build(chart(administrations=[push("ig1", "09:00")],
                    pump_log=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:40"}]))
    assert found(r) == [("ADMIN-PUMP-LOG", "warning", None, None, "ig1: documented administrations[0] 09:00–09:00 = "
                         "0 min gives 0 min; the pump log 09:00–10:40 = 100 min gives 100 min.")]


def test_an_iv_add_on_on_a_chart_of_a_sc_injection_and_infusion_names_the_sc_add_on():
    """A SC infusion of 10 minutes (96372) and one of 100 minutes (96369 + 96370) the same day."""
    enc = chart(drugs=[SCIG], administrations=[at("09:00", "09:10"), at("11:00", "12:40")])
    assert [(ln.code, ln.units) for ln in build(enc).claim.lines][1:] == [("96369", 1), ("96370", 1), ("96372", 1)]
    r = scrub(enc, lambda c: line(c, "96370").update(code="96366"))
    assert found(r) == [("ADMIN-ROUTE", "error", 3, None, "Line 3: 96366 is an IV code (IV infusion, each additional "
                         "hour); the chart documents: injection (administrations[0]), sc_infusion "
                         "(administrations[1]). Expected instead: 96370.")]


def test_an_iv_add_on_beside_a_sc_code_billed_for_an_injection_still_lacks_its_primary():
    enc = chart(drugs=[SCIG, PREMED], administrations=[push("pre1", "08:50"), at("09:00", "09:15")])
    assert [(ln.code, tuple(ln.modifiers)) for ln in build(enc).claim.lines][2:] == [("96372", ()), ("96374", ("XS",))]
    r = scrub(enc, lambda c: (line(c, "96372").update(code="96369"), add("96366")(c)))
    assert [x[:3] for x in found(r, "ADMIN-PUSH", "ADMIN-ADDON-PRIMARY")] == [
        ("ADMIN-PUSH", "error", 3), ("ADMIN-PUSH", "error", 9), ("ADMIN-ADDON-PRIMARY", "error", 9)]


def test_a_bundled_code_on_a_chart_without_administrations_is_not_bundled_into_anything():
    assert found(scrub(chart(administrations=[]), add("36000", number=4)), "ADMIN-BUNDLED") == []


def test_96371_on_two_lines_is_one_finding_with_the_units_of_both():
    setups = chart(drugs=[SCIG], administrations=[at("09:00", "10:40", pump_setups=2)])
    r = scrub(setups, add("96371", number=5))
    assert found(r) == [("ADMIN-NOT-SUPPORTED", "error", 4, -1, "Line 4: 96371 × 2; the chart supports 96371 × 1.")]


def test_the_pump_log_under_a_whole_hour_contract_counts_both_sides_by_whole_hours():
    # 151 documented and 179 on the pump are both one full additional hour (CPT would give 2 and 2 as well, but
    # 151 by CPT against 179 by whole hours would differ).
    log = [{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T11:59"}]
    assert found(build(chart(payer=WHOLE_HOURS, administrations=[at("09:00", "11:31")], pump_log=log))) == []


# --- survivors of the run (edits/written.py, docs/mutation/edits-written.md) ----------------------------------------

def test_a_nos_code_billed_before_it_existed_with_the_ndc_of_a_coded_product_alone():
    """J1599 was added 2011-01-01; Gamunex-C has had J1561 since 2008-01-01 (CMS HCPCS file ADD DT)."""
    r = alone([{"code": "J1599", "modifiers": [], "units": 60, "ndc": "13533-0805-11"}, INITIAL], dos="2010-12-31")
    assert found(r, "DRUG-NOS-CODE") == [("DRUG-NOS-CODE", "error", 1, None, "Line 1: J1599 (not otherwise specified) "
                                         "billed with NDC 13533-0805-11 of Gamunex-C, which has its own code J1561 on "
                                         "2010-12-31.")]


def test_units_of_one_package_and_of_grams_of_a_crosswalked_ndc():
    one = {"code": "J1561", "modifiers": ["JZ"], "units": 3, "ndc": "13533-0800-12", "ndc_quantity": "1",
           "ndc_unit": "UN"}
    assert found(alone([one]), "DRUG-UNITS") == [("DRUG-UNITS", "warning", 1, -1, "Line 1: 3 units of J1561, but its "
                                                  "NDC quantity says 2 units (1 UN = 1 package(s) of 13533-0800-12 × 2 "
                                                  "billing units (CMS NDC-HCPCS crosswalk)).")]
    grams = {**one, "units": 5, "ndc_quantity": "3", "ndc_unit": "GR"}
    assert found(alone([grams]), "DRUG-UNITS") == [("DRUG-UNITS", "warning", 1, 1, "Line 1: 5 units of J1561, but its "
                                                    "NDC quantity says 6 units (3 g, at 500 mg a unit).")]


def test_units_by_ndc_quantity_of_a_code_not_valid_on_the_date_and_of_a_later_line():
    # J1599 did not exist on 2010-12-31: its unit dose cannot be read, so the quantity tells nothing.
    r = alone([{"code": "J1599", "modifiers": [], "units": 50, "ndc": "99999-0000-01", "ndc_quantity": "30",
                "ndc_unit": "GR"}], dos="2010-12-31")
    assert found(r, "DRUG-UNITS") == []
    r = alone([{**IG, "ndc": "13533-0805-11"}, {**IG, "units": 50, "ndc": "13533-0805-11", "ndc_quantity": "300",
                                                  "ndc_unit": "ML"}])
    assert [x[:4] for x in found(r, "DRUG-UNITS")] == [("DRUG-UNITS", "warning", 2, 10)]


HOME_NOTICE = ("Medicare home immune globulin (primary immunodeficiency; SCIG also CIDP). Medicare home IVIG is "
               "covered for primary immunodeficiency only (Benefit Policy Manual ch. 15 §50.6).")


def test_home_ivig_diagnoses_alone_by_the_medicare_home_list():
    """Benefit Policy Manual ch. 15 §50.6: home IVIG for primary immunodeficiency only (not D80.1); D81.3 was split
    after FY2023, so a D81.3x code is a warning (the list may include it)."""
    privigen = {"code": "J1459", "modifiers": ["JZ"], "units": 60}
    q = {"code": "Q2052", "units": 20}
    r = alone([privigen, q], setting="home", dx=("D80.1",))
    assert found(r, "DX-NOT-COVERED") == [("DX-NOT-COVERED", "error", 1, -60, "No diagnosis on the claim (D80.1) is "
                                          f"covered for J1459 under {HOME_NOTICE}")]
    r = alone([privigen, q], setting="home", dx=("D81.30",))
    assert found(r, "DX-NOT-COVERED") == [("DX-NOT-COVERED", "warning", 1, -60, "No diagnosis on the claim (D81.30) "
                                          f"is covered for J1459 under {HOME_NOTICE} D81.3 (adenosine deaminase "
                                          "deficiency) was split after FY2023; the home IVIG list may include the new "
                                          "codes: verify against DME article A52509.")]
    assert found(alone([privigen, q], setting="home", dx=("D83.9",)), "DX-NOT-COVERED") == []
    # CIDP is covered at home for SCIG by pump only (LCD L33794): not for Privigen, an IV-only code.
    r = alone([privigen, q], setting="home", dx=("G61.81",))
    assert [(x[0], x[2]) for x in found(r, "DX-NOT-COVERED")] == [("DX-NOT-COVERED", 1)]
    assert found(alone([{"code": "J1559", "modifiers": ["JZ"], "units": 40}], setting="home", dx=("G61.81",)),
                 "DX-NOT-COVERED") == []


def test_cidp_on_an_iv_only_code_at_home_alone_is_an_error():
    """Home IVIG (J1459, IV only) for CIDP is outside the benefit whatever the SCIG (LCD L33794) note says, as the
    chart's scrub says (examples/coverage/cov-11)."""
    r = alone([{"code": "J1459", "modifiers": ["JZ"], "units": 60}, {"code": "Q2052", "units": 20}], setting="home",
              dx=("G61.81",))
    assert found(r, "DX-NOT-COVERED") == [("DX-NOT-COVERED", "error", 1, -60, "No diagnosis on the claim (G61.81) is "
                                          f"covered for J1459 under {HOME_NOTICE}")]


# --- survivors of the run (edits/form.py, docs/mutation/edits-form.md) ----------------------------------------------

def test_a_bundled_code_on_a_medicare_home_claim_is_not_an_administration_code():
    r = scrub(chart(setting="home"), lambda c: (add("96365", number=3)(c), add("36000", number=4)(c)))
    assert [x[:3] for x in found(r, "FORM-SETTING")] == [("FORM-SETTING", "error", 3)]


def test_the_home_suppliers_codes_do_not_stop_the_unexpected_line_check():
    home = chart(setting="home", drugs=[SCIG])
    r = scrub(home, lambda c: (add("E0779", number=4)(c), add("99213", number=5)(c)))
    assert [x[:3] for x in found(r, "CLAIM-LINE-UNEXPECTED")] == [("CLAIM-LINE-UNEXPECTED", "warning", 5)]


def test_q2052_on_a_home_scig_claim_with_an_iv_premedication():
    """A52507: SCIG by pump is the J-code and E0779 with JB; an IV premedication does not make it home IVIG."""
    enc = chart(setting="home", drugs=[SCIG, PREMED], administrations=[at("09:00", "10:00"), push("pre1", "08:50")])
    r = scrub(enc, add("Q2052", number=5))
    assert found(r, "HOME-SUPPLY-CODE") == [("HOME-SUPPLY-CODE", "error", 5, -1, "Line 5: Q2052 (home IVIG supplies) "
                                            "on a claim whose immune globulin is subcutaneous; SCIG by pump is billed "
                                            "with E0779 and JB (A52507).")]


def test_q2052_units_are_compared_date_by_date_and_summed_over_lines():
    # An infusion on the next day too (PLAUSIBILITY-DATE says the chart is odd): one Q2052 line per infusion date.
    enc = chart(setting="home", drug0={"dose": {"grams": 60}, "containers": [{"grams": 10, "count": 6}]},
                administrations=[at("09:00", "14:00"), {"drug_id": "ig1", "start": "2026-03-03T09:00",
                                                         "stop": "2026-03-03T13:00"}])
    assert [(ln.code, ln.units, str(ln.service_date)) for ln in build(enc).claim.lines][1:] == [
        ("Q2052", 20, "2026-03-02"), ("Q2052", 16, "2026-03-03")]
    assert found(scrub(enc), "HOME-Q2052-UNITS") == []
    r = scrub(enc, lambda c: c["lines"][2].update(units=2))
    assert [x[:3] + (x[4][:24],) for x in found(r, "HOME-Q2052-UNITS")] == [
        ("HOME-Q2052-UNITS", "warning", 3, "Q2052 × 2 for 2026-03-03")]

    def split(c):
        q = line(c, "Q2052")
        q["units"] = 10
        c["lines"].append(dict(q, line=9))
    assert found(scrub(chart(setting="home"), split), "HOME-Q2052-UNITS") == []


# --- survivors of the run (edits/registry.py, docs/mutation/edits-registry.md) --------------------------------------

def test_the_build_only_ndc_check_does_not_run_beside_the_scrubs():
    """Medicaid requires the NDC on drug lines (Deficit Reduction Act of 2005): the chart's finding on build, the
    written line's on scrub, never both."""
    mc = chart(payer={"type": "medicaid", "name": "State Medicaid", "prior_authorization": {"number": "PA1"}})
    assert found(build(mc)) == [("DRUG-NDC-MISSING", "error", None, -60, "drugs[0]: Medicaid (generic state program) "
                                 "requires the NDC on drug lines and the chart gives none for Gamunex-C.")]
    assert found(scrub(mc)) == [("DRUG-NDC-MISSING", "error", 1, -60, "Line 1: J1561 has no NDC; Medicaid (generic "
                                 "state program) requires it.")]


def test_no_jw_line_is_required_before_2017():
    """CMS JW modifier policy: JW required on Medicare claims from 2017-01-01; in 2016 a discard may stay off the
    claim."""
    day = "2016-06-01"
    enc = chart(date_of_service=day, drug0={"dose": {"grams": 28}},
                administrations=[{"drug_id": "ig1", "start": f"{day}T09:00", "stop": f"{day}T14:00"}])
    assert found(scrub(enc, lambda c: c["lines"].pop(1)), "DRUG-JW-MISSING") == []


def test_each_finding_names_the_source_of_its_rule():
    r = scrub(BASE, lambda c: line(c, "96365").update(code="96374"))
    assert [(f.edit, f.source) for f in r.findings] == [
        ("ADMIN-PUSH", "https://www.cms.gov/Regulations-and-Guidance/Guidance/Transmittals/downloads/R541CP.pdf")]
    r = scrub(BASE, lambda c: line(c, "96366").update(units=5))
    assert [f.source for f in r.findings] == [
        "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c12.pdf"]


def test_the_published_edit_catalog_is_the_registrys():
    """docs/edits.md shows every edit's id, severity, where it runs, its statement and its source, generated from
    the registry (the public catalog `igclaim edits` prints): the checks registered in this process say the same,
    in process (`tests/test_scrub_examples.py` compares the CLI's output, which a mutation run cannot see)."""
    from igclaim import engine
    from igclaim.edits.registry import catalog_markdown
    from tests.conftest import ROOT

    engine._load_edit_families()
    doc = (ROOT / "docs" / "edits.md").read_text()
    assert doc.split("<!-- catalog:start -->\n")[1].split("<!-- catalog:end -->")[0] == catalog_markdown()


def test_the_same_undocumented_code_on_two_lines_is_flagged_on_both():
    """Each written line is judged, not each code: 96360 written twice with no hydration documented is two
    ADMIN-HYDRATION findings, one per line with its own units at stake (IOM 100-04 ch. 12 §30.5: hydration needs
    an order and at least 31 minutes of its own)."""
    r = scrub(BASE, lambda c: (add("96360", number=4)(c), add("96360", number=5)(c)))
    why = "billed, but no billable hydration is documented. No hydration is documented."
    assert [x for x in found(r) if x[0] == "ADMIN-HYDRATION"] == [
        ("ADMIN-HYDRATION", "error", 4, -1, f"Line 4: 96360 × 1 {why}"),
        ("ADMIN-HYDRATION", "error", 5, -1, f"Line 5: 96360 × 1 {why}")]


def test_a_drug_code_billed_wrong_does_not_hide_the_administration_line_left_off():
    """The chart's J1561 is not on the claim because J1459 is billed instead (DRUG-CODE-MISMATCH says so, not
    CLAIM-LINE-MISSING), and the 96366 × 4 after it, left off, is still a line missing (CPT: each additional
    hour beyond the first of an IV infusion)."""
    enc = chart()
    claim = {"lines": [{"line": 1, "code": "J1459", "modifiers": ["JZ"], "units": 60},
                       {"line": 2, "code": "96365", "units": 1}]}
    r = scrub(enc, claim=claim)
    assert [(f.edit, f.line, f.impact_units, f.message) for f in r.findings if f.edit == "CLAIM-LINE-MISSING"] == [
        ("CLAIM-LINE-MISSING", None, 4, "96366 × 4 is supported by the chart and not billed.")]
    assert [f.edit for f in r.findings if f.line == 1] == ["DRUG-CODE-MISMATCH"]


def test_a_push_written_for_the_iv_infusion_does_not_excuse_a_missing_sc_primary():
    """IVIG 5 h (96365 + 96366 × 4) and Hizentra SC 2 h at a second site (96369-XS + 96370) written with 96374 for
    96365 and no 96369. The 96366 lacks its primary only because 96365 was written as a push (ADMIN-PUSH says so);
    96370 lacks 96369, which no push line stands for (NCCI add-on code edits: 96370's primary is 96369): it is
    ADMIN-ADDON-PRIMARY of its own. Before, the IV push line hid it and the claim went out without 96369."""
    enc = chart(drugs=[BASE["drugs"][0], {**SCIG, "id": "sc1"}],
                administrations=[BASE["administrations"][0], at("15:00", "17:00", "sc1", site=2)])
    assert [(ln.code, ln.modifiers) for ln in build(enc).claim.lines if ln.code.startswith("963")] == [
        ("96365", []), ("96366", []), ("96369", ["XS"]), ("96370", [])]

    def written(c: dict) -> None:
        line(c, "96365")["code"] = "96374"
        c["lines"] = [ln for ln in c["lines"] if ln["code"] != "96369"]
    r = scrub(enc, written)
    assert [(e, ln) for e, _, ln, _, _ in found(r)] == [("ADMIN-PUSH", 3), ("ADMIN-ADDON-PRIMARY", 6)]
    assert found(r, "ADMIN-ADDON-PRIMARY")[0][4] == ("Line 6: 96370 is an add-on code; none of its primary codes "
                                                     "(96369) is on the claim. Expected instead: 96369 with XS.")


def test_96371_stays_once_with_more_set_ups_or_more_infusions():
    """reference.md §4: 96371 (additional pump set-up with new SC site(s)) is once per encounter, however many extra
    set-ups the chart documents: three set-ups in one run, or two runs of two. (An outside rule-break audit found
    `min(2, extra set-ups)` alive: every test wrote two set-ups.)"""
    three = chart(drugs=[SCIG], administrations=[at("09:00", "10:40", pump_setups=3)])
    assert [(ln.code, ln.units) for ln in build(three).claim.lines][1:] == [("96369", 1), ("96370", 1), ("96371", 1)]
    two_runs = chart(drugs=[SCIG], administrations=[at("09:00", "09:50", pump_setups=2),
                                                     at("10:30", "11:20", pump_setups=2)])
    assert [ln.units for ln in build(two_runs).claim.lines if ln.code == "96371"] == [1]


def test_sc_sites_at_once_keep_the_most_set_ups_any_of_them_documents():
    """Two SC sites running at once are one infusion (one 96369); a second set-up documented at either site is the
    additional pump set-up, 96371, once. (An outside rule-break audit found `min(set-ups)` alive: no test had sites
    at once with different counts.)"""
    for first, second in ((1, 2), (2, 1)):
        enc = chart(drugs=[SCIG], administrations=[at("09:00", "10:30", site=1, pump_setups=first),
                                                   at("09:10", "10:45", site=2, pump_setups=second)])
        assert [(ln.code, ln.units) for ln in build(enc).claim.lines][1:] == [("96369", 1), ("96370", 1),
                                                                             ("96371", 1)]
    enc = chart(drugs=[SCIG], administrations=[at("09:00", "10:30", site=1, pump_setups=1),
                                               at("09:10", "10:45", site=2, pump_setups=1)])
    assert "96371" not in [ln.code for ln in build(enc).claim.lines]
