"""Edges of rules that a deliberately broken rule (a mutant of coding/ or edits/) would move: exact findings, their
severity, line and wording where the wording carries the rule (the code, the revenue code, the setting)."""

from __future__ import annotations

from tests.test_edits_support import BASE, chart, ids, only, scrub

HOSPITAL = chart(setting="hospital_outpatient")


def _form_findings(result):
    return [f for f in result.findings if f.edit == "FORM-SETTING"]


def test_the_form_finding_names_the_setting_with_its_article():
    """IOM 100-04 ch. 26/25: an office visit is billed on the CMS-1500, a hospital outpatient one on the UB-04."""
    f = only(scrub(HOSPITAL, lambda c: c.update(form="CMS-1500")), "FORM-SETTING")
    assert f.message == "The claim is written on CMS-1500; a hospital outpatient encounter is billed on UB-04."
    f = only(scrub(BASE, lambda c: c.update(form="UB-04")), "FORM-SETTING")
    assert f.message == "The claim is written on UB-04; an office encounter is billed on CMS-1500."


def test_type_of_bill_compares_facility_and_classification_only():
    """Type of bill 013x: the 1st and 2nd digits (after the leading zero) are hospital outpatient; the last digit is
    the frequency. 131 and 0131 are the same type; 0851 (critical access hospital) is not."""
    assert "FORM-SETTING" not in ids(scrub(HOSPITAL, lambda c: c.update(type_of_bill="131")))
    f = only(scrub(HOSPITAL, lambda c: c.update(type_of_bill="0851")), "FORM-SETTING")
    assert f.message == "Type of bill 0851; a hospital outpatient claim is 013x." and f.severity == "error"
    assert f.line is None


def test_revenue_codes_drug_0636_and_administration_026x():
    """NUBC: drugs requiring detailed coding under 0636; IV therapy under 026x (0260, 0261 …)."""
    assert "FORM-SETTING" not in ids(scrub(HOSPITAL, lambda c: c["lines"][1].update(revenue_code="0261")))
    r = scrub(HOSPITAL, lambda c: c["lines"][0].update(revenue_code="0250"))
    f = only(r, "FORM-SETTING")
    assert (f.line, f.severity) == (1, "warning") and f.message.endswith("goes under 0636.")
    r = scrub(HOSPITAL, lambda c: c["lines"][1].update(revenue_code="0250"))
    f = only(r, "FORM-SETTING")
    assert (f.line, f.severity) == (2, "warning") and f.message.endswith("is commonly 026x.")
    r = scrub(HOSPITAL, lambda c: c["lines"][1].update(revenue_code=None))
    f = only(r, "FORM-SETTING")
    assert (f.line, f.severity) == (2, "error") and f.message == "Line 2: 96365 has no revenue code (UB-04)."


def test_a_claim_with_no_form_and_no_revenue_codes_is_one_warning():
    def strip(c):
        c["form"] = None
        for ln in c["lines"]:
            ln["revenue_code"] = None

    found = _form_findings(scrub(HOSPITAL, strip))
    assert len(found) == 1 and found[0].severity == "warning"
    assert found[0].message.endswith("line: drugs 0636, administration 0260).")


# --- hydration net of drug infusions (NCCI Policy Manual ch. XI: hydration concurrent with a drug is not reported) --

def _hydration(start: str, minutes: int) -> dict:
    from tests.helpers import infusion

    fluid = infusion(minutes, start=start)
    fluid.pop("drug_id")
    return {"purpose": "hydration", "ordered": True, "reason": "dehydration", **fluid}


def test_hydration_counts_only_its_minutes_outside_the_drug_infusion():
    """30 minutes of hydration beyond the infusion is not billable; 31 is (96361 after the IG's 96365)."""
    from tests.helpers import admin_lines, encounter, infusion, run

    r = run(encounter(administrations=[infusion(60)], fluids=[_hydration("2026-03-02T09:30", 60)]))
    assert admin_lines(r) == {"96365": 1}
    assert [f.message for f in r.findings if f.edit == "ADMIN-NOT-BILLED"] == [
        "fluids[0]: 30 minutes of hydration not concurrent with a drug infusion; at least 31 are needed."]
    r = run(encounter(administrations=[infusion(60)], fluids=[_hydration("2026-03-02T09:30", 61)]))
    assert admin_lines(r) == {"96365": 1, "96361": 1}


def test_overlapping_drug_infusions_cover_the_hydration_once():
    """Hydration 09:45-10:45 beside infusions 09:00-10:00 and 09:30-10:15: 30 minutes are covered (not 15 + 30)."""
    from tests.helpers import admin_lines, drug, encounter, infusion, run

    second = drug(id="ig2", product="Privigen", dose={"grams": 10}, containers=[{"grams": 10}])
    admins = [infusion(60), infusion(45, start="2026-03-02T09:30", drug_id="ig2")]
    r = run(encounter(drugs=[drug(), second], administrations=admins, fluids=[_hydration("2026-03-02T09:45", 60)]))
    assert "96361" not in admin_lines(r)
    r = run(encounter(drugs=[drug(), second], administrations=admins, fluids=[_hydration("2026-03-02T09:45", 61)]))
    assert admin_lines(r) == {"96365": 1, "96368": 1, "96361": 1}


# --- the pump log, interval by interval (IOM 100-04 ch. 12 §30.5: separate intervals are not added together) --------

def test_pump_log_with_two_intervals_counts_each_on_its_own():
    """Two 91-minute intervals of one drug: 96366 × 1 after the initial hour, then 2 for the second interval (each
    over 30 minutes); a pump log whose second interval ran 30 minutes gives 1."""
    from tests.helpers import infusion
    from tests.test_edits_support import build

    pump = [{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:31"},
            {"drug_id": "ig1", "start": "2026-03-02T12:00", "stop": "2026-03-02T13:31"}]
    enc = chart(administrations=[infusion(91), infusion(91, start="2026-03-02T12:00")], pump_log=pump)
    assert "ADMIN-PUMP-LOG" not in ids(build(enc))
    enc["pump_log"][1]["stop"] = "2026-03-02T12:30"
    f = only(build(enc), "ADMIN-PUMP-LOG")
    assert f.impact_units == -2 and f.severity == "warning"
    assert f.message.endswith("gives 96366 × 3; the pump log 09:00–10:31 = 91 min; 12:00–12:30 = 30 min gives "
                              "96366 × 1.")


# --- Medicare home IVIG: Q2052 units from the visit (Noridian JD DME IVIG page; LCD L33610) -------------------------

def test_q2052_minutes_are_the_ig_visits_counted_once():
    """A premedication push is not the IG's visit; overlapping IG intervals count once (09:00-10:30 = 90 min = 6
    units); separate ones add up (60 + 45 = 105 min = 7 units)."""
    from tests.helpers import drug, infusion, run
    from tests.test_home_dme import home, q2052

    dos = "2026-03-05"
    enc = home(dos, 60, drugs=[drug(), {"id": "p1", "hcpcs": "J1200", "units": 1, "route": "IV"}])
    enc["administrations"] = [infusion(10, start=f"{dos}T08:40", drug_id="p1", method="push"),
                              infusion(60, start=f"{dos}T09:00"), infusion(60, start=f"{dos}T09:30")]
    assert q2052(run(enc)) == [(dos, 6)]
    enc["administrations"] = [infusion(60, start=f"{dos}T09:00"), infusion(45, start=f"{dos}T11:00")]
    assert q2052(run(enc)) == [(dos, 7)]


def test_q2052_without_a_stop_time_bills_the_minimum_and_says_why():
    from tests.helpers import drug, run
    from tests.test_home_dme import home, q2052

    dos = "2026-03-05"
    enc = home(dos, 60, drugs=[drug()])
    enc["administrations"] = [{"drug_id": "ig1", "start": f"{dos}T09:00"}]
    r = run(enc)
    assert q2052(r) == [(dos, 1)]
    assert ("Q2052 on 2026-03-05: no visit or infusion start and stop times, so its 15-minute units cannot be "
            "counted; 1 billed.") in [f.message for f in r.findings if f.edit == "ADMIN-TIMES-MISSING"]


def test_medicare_home_claim_leaves_other_drugs_off_and_puts_jb_on_the_scig_only():
    """DME MAC (A52509, A52507): the home claim is the IG and its supplies; a premedication is billed elsewhere;
    SCIG by pump carries JB, the pump E0779 is billed separately; IVIG lines carry no JB."""
    from tests.helpers import drug, lines, run
    from tests.test_home_dme import SCIG, home

    dos = "2026-03-05"
    premed = {"id": "p1", "hcpcs": "J1200", "units": 1, "route": "IV"}
    note = ("Drugs p1 are not part of the Medicare home IVIG/SCIG DME claim; bill them where the payer covers "
            "them.")
    r = run(home(dos, 60, drugs=[drug(), premed]))
    assert lines(r) == [("J1561", ("JZ",), 60), ("Q2052", (), 4)]
    assert [f.message for f in r.findings if f.edit == "HOME-BILLING-NOTE"] == [note]
    r = run(home(dos, 60, drugs=[SCIG, premed]))
    assert lines(r) == [("J1559", ("JB", "KX", "JZ"), 80)]
    assert [f.message for f in r.findings if f.edit == "HOME-BILLING-NOTE"] == [
        "The infusion pump E0779 is billed separately by the supplier, with JB and KX; nursing goes through the home "
        "infusion therapy benefit.", note]


def test_whole_hour_contracts_pay_full_hours_only(ref):
    """A contract's whole-hour rule: 59 minutes is no hour, 60 and 119 are one, 120 is two (never fractions)."""
    from igclaim.coding.time import hour_units

    assert [hour_units(m, ref.time, "whole_hour") for m in (59, 60, 90, 119, 120)] == [0, 1, 1, 1, 2]
