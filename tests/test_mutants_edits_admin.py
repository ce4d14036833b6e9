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
    def change(c: dict) -> None:
        c["lines"].append({"line": number, "code": code, "units": units, **extra})
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


def test_a_hospital_claim_allows_one_initial_code_per_access_site():
    hosp = chart(setting="hospital_outpatient", drugs=TWO_SITES["drugs"], administrations=TWO_SITES["administrations"])
    assert [(ln.code, tuple(ln.modifiers)) for ln in build(hosp).claim.lines if ln.code.startswith("9636")] == [
        ("96365", ()), ("96366", ()), ("96365", ("XS",))]
    r = scrub(hosp, add("96365", modifiers=["XS"], revenue_code="0260"))
    assert found(r) == [("ADMIN-INITIAL-DUPLICATE", "error", 9, -1, "Line 9: 96365 is initial service number 3; "
                         "the chart supports 2 (access sites documented: 1, 2).")]


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
    assert found(r, "ADMIN-SEQUENTIAL") == [("ADMIN-SEQUENTIAL", "error", 5, None, "Line 5: 96368 (IV infusion, "
                                            "concurrent infusion (drug, never hydration)) billed, but it is reported "
                                            "at most 1 per encounter (the chart supports 96368 × 1).")]
    assert not found(scrub(TWO_SITES), "ADMIN-SEQUENTIAL")


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
    # 20 minutes documented is 96365; 14 minutes on the pump is a push (96374): both give no additional hour.
    r = build(chart(administrations=[at("09:00", "09:20")],
                    pump_log=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T09:14"}]))
    assert found(r) == [("ADMIN-PUMP-LOG", "warning", None, None, "ig1: documented administrations[0] 09:00–09:20 = "
                         "20 min gives 96366 × 0; the pump log 09:00–09:14 = 14 min gives 96366 × 0.")]
    same = build(chart(administrations=[at("09:00", "09:20")],
                       pump_log=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T09:16"}]))
    assert not found(same, "ADMIN-PUMP-LOG")


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
