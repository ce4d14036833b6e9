"""Administration coding beyond one infusion: sequences, concurrency, hydration, sites, settings."""

from __future__ import annotations

import pytest

from tests.helpers import admin_lines, drug, encounter, ids, infusion, lines, run

PREMED_PUSH = {"id": "pre1", "hcpcs": "J1200", "units": 1, "route": "IV"}


def test_premedication_push_before_the_ig_is_a_sequential_push():
    """The IG infusion is the initial service even when the antihistamine push comes first."""
    enc = encounter(drugs=[drug(), PREMED_PUSH],
                    administrations=[{"drug_id": "pre1", "start": "2026-03-02T08:50", "stop": "2026-03-02T08:52",
                                      "method": "push"}, infusion(300)])
    assert admin_lines(run(enc)) == {"96365": 1, "96366": 4, "96375": 1}


def test_sequential_infusion_of_a_new_drug():
    other = {"id": "d2", "hcpcs": "J1100", "units": 1, "route": "IV"}
    enc = encounter(drugs=[drug(), other],
                    administrations=[infusion(120), infusion(100, start="2026-03-02T11:00", drug_id="d2")])
    assert admin_lines(run(enc)) == {"96365": 1, "96366": 2, "96367": 1}


def test_concurrent_infusion_once():
    other = {"id": "d2", "hcpcs": "J1100", "units": 1, "route": "IV"}
    enc = encounter(drugs=[drug(), other],
                    administrations=[infusion(120), infusion(40, start="2026-03-02T09:30", drug_id="d2")])
    assert admin_lines(run(enc)) == {"96365": 1, "96366": 1, "96368": 1}


def test_separate_intervals_of_one_drug_are_not_summed():
    """Each interval is judged on its own (reference.md §4): 100 + 100 minutes is 96365 + 96366 for the first
    and two more hour units for the second (3 in all), where a summed 200 minutes would give only 2."""
    enc = encounter(administrations=[infusion(100), infusion(100, start="2026-03-02T11:00")])
    assert admin_lines(run(enc)) == {"96365": 1, "96366": 3}


def test_two_short_intervals_are_pushes_not_an_infusion():
    """10 + 10 minutes are two pushes of the same drug (a repeat push is not reported on a professional
    claim), never a 20-minute infusion."""
    enc = encounter(administrations=[infusion(10), infusion(10, start="2026-03-02T10:00")])
    assert admin_lines(run(enc)) == {"96374": 1}
    enc["setting"] = "hospital_outpatient"
    assert admin_lines(run(enc)) == {"96374": 1, "96376": 1}


def test_ordered_hydration_after_the_ig_is_secondary_hydration():
    enc = encounter(administrations=[infusion(120)],
                    fluids=[{"purpose": "hydration", "ordered": True, "reason": "dehydration",
                             "start": "2026-03-02T11:00", "stop": "2026-03-02T11:45"}])
    assert admin_lines(run(enc)) == {"96365": 1, "96366": 1, "96361": 1}


def test_hydration_concurrent_with_the_ig_is_not_reported():
    enc = encounter(administrations=[infusion(120)],
                    fluids=[{"purpose": "hydration", "ordered": True, "start": "2026-03-02T09:00",
                             "stop": "2026-03-02T11:10"}])
    res = run(enc)
    assert admin_lines(res) == {"96365": 1, "96366": 1}
    assert "ADMIN-NOT-BILLED" in ids(res)


def test_flush_kvo_and_diluent_are_never_hydration():
    fluids = [{"purpose": p, "start": "2026-03-02T14:00", "stop": "2026-03-02T15:00"} for p in ("flush", "kvo",
                                                                                                  "diluent")]
    assert admin_lines(run(encounter(fluids=fluids))) == {"96365": 1, "96366": 4}


def test_missing_stop_time_is_reported_not_guessed():
    enc = encounter(administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00"}])
    res = run(enc)
    assert admin_lines(res) == {}
    assert "ADMIN-TIMES-MISSING" in ids(res)


def test_sc_additional_pump_setup():
    enc = encounter(drugs=[{"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 8},
                            "containers": [{"grams": 4, "count": 2}]}],
                    administrations=[infusion(100, pump_setups=2, sc_sites=4)])
    assert admin_lines(run(enc)) == {"96369": 1, "96370": 1, "96371": 1}


def test_office_codes_one_initial_service_per_encounter():
    enc = encounter(drugs=[drug(dose={"grams": 20}, containers=[{"grams": 20}]),
                           {"id": "d2", "hcpcs": "J1100", "units": 1, "route": "IV"}],
                    administrations=[infusion(60), infusion(60, start="2026-03-02T09:00", drug_id="d2", site=2)])
    codes = admin_lines(run(enc))
    assert codes.get("96365") == 1


def test_hospital_codes_one_initial_per_access_site():
    enc = encounter(setting="hospital_outpatient",
                    drugs=[drug(dose={"grams": 20}, containers=[{"grams": 20}]),
                           {"id": "d2", "hcpcs": "J1100", "units": 1, "route": "IV"}],
                    administrations=[infusion(60), infusion(60, drug_id="d2", site=2)])
    res = run(enc)
    initial = [ln for ln in res.claim.lines if ln.code == "96365"]
    assert len(initial) == 2 and initial[1].modifiers == ["XS"]
    assert all(ln.revenue_code == "0260" for ln in initial)


def test_whole_hour_profile(tmp_path):
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src/igclaim/refdata/payers/commercial.toml"
    text = src.read_text().replace('name = "commercial"', 'name = "acme-whole-hour"')
    text = text.replace('values = { "2000-01-01" = "cpt" }', 'values = { "2000-01-01" = "whole_hour" }')
    profile = tmp_path / "acme.toml"
    profile.write_text(text)
    enc = encounter(payer={"type": "commercial", "prior_authorization": {"number": "A1"}},
                    administrations=[infusion(119)])
    assert admin_lines(run(enc, profile=str(profile))) == {"96365": 1}
    enc["administrations"] = [infusion(120)]
    assert admin_lines(run(enc, profile=str(profile))) == {"96365": 1, "96366": 1}


# --- settings -------------------------------------------------------------------------------------------------
def test_office_form():
    c = run(encounter()).claim
    assert (c.form, c.place_of_service, c.type_of_bill) == ("CMS-1500", "11", None)


def test_hospital_form_and_revenue_codes():
    c = run(encounter(setting="hospital_outpatient")).claim
    assert (c.form, c.type_of_bill, c.place_of_service) == ("UB-04", "0131", None)
    assert [ln.revenue_code for ln in c.lines] == ["0636", "0260", "0260"]


def test_a_hospitals_packaged_premedication_goes_under_0250_and_an_offices_under_none():
    """OPPS packages the premedications (settings.toml `other_drugs_separately_payable = false`): general pharmacy,
    0250; 0636 (drugs requiring detailed coding) stays the immune globulin's. They were both 0636."""
    pre = {"id": "pre1", "hcpcs": "J1200", "units": 1, "route": "IV"}
    push = {"drug_id": "pre1", "method": "push", "start": "2026-03-02T08:50", "stop": "2026-03-02T08:50"}
    base = encounter()
    hospital = run(encounter(setting="hospital_outpatient", drugs=[*base["drugs"], pre],
                             administrations=[*base["administrations"], push])).claim
    assert [(ln.code, ln.revenue_code) for ln in hospital.lines][:2] == [("J1561", "0636"), ("J1200", "0250")]
    office = run(encounter(drugs=[*base["drugs"], pre], administrations=[*base["administrations"], push])).claim
    assert {ln.revenue_code for ln in office.lines} == {None}


def test_home_medicare_ivig_is_drug_plus_supplies_per_infusion_date():
    # Issue 9: from 2024-01-01 Q2052 carries the visit length in 15-minute units (300 minutes = 20), no longer
    # one unit per date; the demonstration's one unit is tested in tests/test_home_dme.py.
    res = run(encounter(setting="home"))
    assert lines(res) == [("J1561", ("JZ",), 60), ("Q2052", (), 20)]
    assert res.claim.place_of_service == "12"


def test_home_medicare_scig_carries_jb_and_names_the_pump():
    enc = encounter(setting="home", drugs=[{"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 8},
                                            "containers": [{"grams": 4, "count": 2}]}],
                    administrations=[infusion(100)])
    res = run(enc)
    assert lines(res) == [("J1559", ("JB", "KX", "JZ"), 80)]  # KX from 2023 (tests/test_home_pump_kx.py)
    assert any("E0779" in f.message for f in res.findings)


def test_home_commercial_is_per_contract():
    enc = encounter(setting="home", payer={"type": "commercial", "prior_authorization": {"number": "A1"}},
                    drugs=[drug(ndc="13533-0805-11")])
    res = run(enc)
    assert "HOME-CONTRACT" in ids(res)
    assert admin_lines(res) == {"96365": 1, "96366": 4}


def test_hospital_sites_are_coded_by_site_number_whatever_the_order_of_the_chart():
    """One initial service per access site (IOM 100-04 ch. 4 §230.2), the sites taken in their number's order:
    site 1's infusion (96365) first, site 2's push (96374) with the distinct-site modifier, whichever
    administration the chart lists first."""
    drugs = [drug(dose={"grams": 20}, containers=[{"grams": 20}]), PREMED_PUSH]
    push = {"drug_id": "pre1", "start": "2026-03-02T08:50", "stop": "2026-03-02T08:52", "method": "push", "site": 2}
    listed = [infusion(60), push]
    for administrations in (listed, listed[::-1]):
        res = run(encounter(setting="hospital_outpatient", drugs=drugs, administrations=administrations))
        assert [(ln.code, ln.modifiers, ln.units) for ln in res.claim.lines if ln.code.startswith("963")] == [
            ("96365", [], 1), ("96374", ["XS"], 1)]


# SCIG with nothing discarded: its drug line is the claim's first, the administration lines follow.
_SCIG_10G = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 10}, "containers": [{"grams": 10}]}


@pytest.mark.parametrize("setting", ["hospital_outpatient", "office"])
def test_a_second_subcutaneous_site_is_never_a_second_96369(setting):
    """96369 includes "establishment of subcutaneous infusion site(s)" and is reported once per encounter
    (reference.md; refdata/cms/administration.toml `per_encounter = 1`); a hospital's one initial per access site is
    per *vascular* site. SCIG moved to a second subcutaneous site for its second hour: 96369 and one 96370, in the
    hospital as in the office (before, the hospital billed 96369 twice, the second with XS)."""
    enc = encounter(setting=setting, drugs=[_SCIG_10G], administrations=[
        infusion(60, "2026-03-02T09:00", site=1), infusion(60, "2026-03-02T10:00", site=2)])
    assert [(ln.code, ln.units, ln.modifiers) for ln in run(enc).claim.lines[1:]] == [
        ("96369", 1, []), ("96370", 1, [])]


def test_iv_access_sites_still_each_have_their_initial_beside_a_subcutaneous_one():
    """The once-per-encounter grouping is 96369's alone: an IV push at its own site beside SCIG keeps its own
    initial code with XS (IOM 100-04 ch. 4 §230.2: one initial per vascular access site)."""
    enc = encounter(setting="hospital_outpatient", drugs=[_SCIG_10G, PREMED_PUSH],
                    administrations=[infusion(60, "2026-03-02T09:00", site=1), infusion(60, "2026-03-02T10:00", site=2),
                                     {"drug_id": "pre1", "start": "2026-03-02T08:30", "stop": "2026-03-02T08:32",
                                      "method": "push", "site": 3}])
    assert [(ln.code, ln.units, ln.modifiers) for ln in run(enc).claim.lines if ln.code.startswith("963")] == [
        ("96369", 1, []), ("96370", 1, []), ("96374", 1, ["XS"])]


def _scig_sites(setting: str, *administrations: dict) -> list[tuple[str, int, list[str]]]:
    enc = encounter(setting=setting, drugs=[_SCIG_10G], administrations=list(administrations))
    return [(ln.code, ln.units, ln.modifiers) for ln in run(enc).claim.lines[1:]]


@pytest.mark.parametrize("setting", ["hospital_outpatient", "office"])
def test_subcutaneous_sites_infused_at_once_are_timed_once(setting):
    """SCIG through two sites at once, 09:00-10:45 at both: one infusion of 105 minutes (96369's descriptor includes
    "establishment of subcutaneous infusion site(s)"; refdata/cms/administration.toml `sites_at_once_one_span`):
    96369 + 96370 x 1, not 210 minutes of time (96370 x 3) billed for two needles of one pump."""
    assert _scig_sites(setting, infusion(105, site=1), infusion(105, site=2)) == [("96369", 1, []), ("96370", 1, [])]
    # Three sites at once: still the one span.
    assert _scig_sites(setting, infusion(105, site=1), infusion(105, site=2), infusion(105, site=3)) == [
        ("96369", 1, []), ("96370", 1, [])]


_ONE, _TWO = [("96369", 1, [])], [("96369", 1, []), ("96370", 1, [])]


@pytest.mark.parametrize(("first", "second", "start", "want"), [
    # Staggered sites are their span, not each interval: 09:00-10:20 with 09:10-10:05 ran 80 minutes (20 beyond the
    # hour: 96369 alone); site 2's 55 minutes are not more time of their own (they would add a 96370).
    pytest.param(80, 55, "09:10", _ONE, id="staggered-80-min-span"),
    pytest.param(90, 40, "09:10", _ONE, id="staggered-90-min-span"),
    # The span runs to the later stop: 09:00-10:20 and 10:00-10:45 is 105 minutes, 96370 x 1.
    pytest.param(80, 45, "10:00", _TWO, id="staggered-to-the-later-stop"),
    # A short site inside a long one does not end the span: 09:00-10:45 with 09:10-09:40 is 105 minutes.
    pytest.param(105, 30, "09:10", _TWO, id="short-site-inside-a-long-one"),
    # A site that starts when the other stopped continues the SC infusion (the pump moved to the next site, 96369
    # includes establishing the sites; administration.toml `sites_in_turn_one_span`): one span.
    pytest.param(60, 45, "10:00", _TWO, id="touching-45"),
    pytest.param(60, 25, "10:00", _ONE, id="touching-25"),
    # Where it matters: 100 minutes then 35 from the stop are one infusion of 135 minutes, 96370 x 1 (it was 2,
    # each interval judged alone); as when they overlap by one minute (134 minutes). After a gap of one minute they
    # are two intervals, judged one by one: 96370 x 1 for each.
    pytest.param(100, 35, "10:40", _TWO, id="touching-100-then-35"),
    pytest.param(100, 35, "10:39", _TWO, id="one-minute-overlap-100-then-35"),
    pytest.param(100, 35, "10:41", [("96369", 1, []), ("96370", 2, [])], id="one-minute-gap-100-then-35"),
])
def test_two_subcutaneous_sites_overlap_into_one_span_or_stay_separate(first, second, start, want):
    """Site 1 from 09:00 for `first` minutes, site 2 from `start` for `second`: sites at once or in turn with no
    gap are one span; after a gap, separate intervals."""
    assert _scig_sites("office", infusion(first, site=1), infusion(second, f"2026-03-02T{start}", site=2)) == want


def test_scrub_finds_the_second_site_billed_as_more_time():
    """A written claim that added the two sites' time (96370 x 3) is told it bills two hours the chart does not
    support (ADMIN-ADDON-UNITS, error, impact -2), and which time supports one."""
    from igclaim.engine import scrub
    from igclaim.inputs import parse_encounter

    enc = encounter(drugs=[_SCIG_10G], administrations=[infusion(105, site=1), infusion(105, site=2)])
    enc["claim"] = {"lines": [{"line": 1, "code": "J1559", "units": 100, "modifiers": ["JZ"]},
                              {"line": 2, "code": "96369", "units": 1}, {"line": 3, "code": "96370", "units": 3}]}
    found = [f for f in scrub(parse_encounter(enc)).findings if f.edit == "ADMIN-ADDON-UNITS"]
    assert [(f.severity, f.impact_units, f.line) for f in found] == [("error", -2, 3)]
    # The time it names is the span, under the first-listed site's path.
    assert "(administrations[0] 09:00–10:45 = 105 min)" in found[0].message


def test_short_subcutaneous_sites_at_once_are_one_injection():
    """Two sites of 12 minutes at once are one SC infusion of 12 minutes: one 96372 (15 minutes or less), not one
    per needle; a 10-minute site beside a 20-minute one is one infusion of 20 minutes: 96369."""
    assert _scig_sites("office", infusion(12, site=1), infusion(12, site=2)) == [("96372", 1, [])]
    assert _scig_sites("office", infusion(10, site=1), infusion(20, site=2)) == [("96369", 1, [])]


def test_a_pump_set_up_documented_on_any_site_of_the_span_is_kept():
    """96371 (an additional pump set-up) follows the set-ups the chart documents, whichever site of the span
    carries them."""
    assert _scig_sites("office", infusion(105, site=1), infusion(105, site=2, pump_setups=2)) == [
        ("96369", 1, []), ("96370", 1, []), ("96371", 1, [])]


def test_pump_log_agrees_with_sites_infused_at_once():
    """The pump log's one interval and the chart's two sites at once give the same units (ADMIN-PUMP-LOG reads
    the services coding timed): no warning; added up, the sites would have disagreed with the pump by 2 units."""
    enc = encounter(drugs=[_SCIG_10G], administrations=[infusion(105, site=1), infusion(105, site=2)],
                    pump_log=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:45"}])
    assert "ADMIN-PUMP-LOG" not in ids(run(enc))
    enc["pump_log"][0]["stop"] = "2026-03-02T11:45"  # an hour more on the pump: 96370 x 2 against x 1
    assert "ADMIN-PUMP-LOG" in ids(run(enc))


def test_a_break_then_two_sites_at_once_beside_a_premedication():
    """Site 1 09:00-10:00, a break, then sites 2 and 3 at once 10:30-11:45, with a premedication push charted after
    them: the first interval is 96369, the two sites are one later interval of 75 minutes (96370 x 1, not x 2), and
    the push is coded as ever (96374 with XS beside SC, its add-on having no primary)."""
    enc = encounter(drugs=[_SCIG_10G, PREMED_PUSH], administrations=[
        infusion(60, site=1), infusion(75, "2026-03-02T10:30", site=2), infusion(75, "2026-03-02T10:30", site=3),
        {"drug_id": "pre1", "start": "2026-03-02T08:50", "stop": "2026-03-02T08:52", "method": "push", "site": 1}])
    assert [(ln.code, ln.units, ln.modifiers) for ln in run(enc).claim.lines[1:] if ln.code.startswith("963")] == [
        ("96369", 1, []), ("96374", 1, ["XS"]), ("96370", 1, [])]


@pytest.mark.parametrize("method", ["injection", "push"])
def test_subcutaneous_injections_at_once_stay_injections(method):
    """What the chart gives as injections (or pushes) under the skin are each a 96372, at once or not: only
    infusions are one span."""
    assert _scig_sites("office", infusion(5, site=1, method=method), infusion(5, site=2, method=method)) == [
        ("96372", 2, [])]


def test_sites_at_once_are_found_whatever_drug_the_chart_lists_first():
    """Another subcutaneous drug charted first with one interval of its own does not hide the immune globulin's two
    sites at once: still 96369 + 96370 x 1 (the other drug's 20 minutes before the visit's IG add no hour)."""
    other = {"id": "sc2", "hcpcs": "J1100", "units": 1, "route": "SC"}
    enc = encounter(drugs=[_SCIG_10G, other], administrations=[
        infusion(20, "2026-03-02T08:30", drug_id="sc2"), infusion(105, site=1), infusion(105, site=2)])
    assert [(ln.code, ln.units) for ln in run(enc).claim.lines if ln.code.startswith("963")] == [
        ("96369", 1), ("96370", 1)]


# --- one IV drug through two sites at once (administration.toml, 96365 `sites_at_once_one_span`) -----------------

def _iv_sites(setting: str, *administrations: dict) -> list[tuple[str, int, list[str]]]:
    enc = encounter(setting=setting, drugs=[drug()], administrations=list(administrations))
    return [(ln.code, ln.units, ln.modifiers) for ln in run(enc).claim.lines if ln.code.startswith("963")]


@pytest.mark.parametrize("setting", ["office", "hospital_outpatient"])
def test_one_iv_drug_through_two_sites_at_once_is_one_infusion_timed_by_its_span(setting):
    """Gamunex-C through sites 1 and 2, both 09:00-11:00: one infusion of 120 minutes (96365 + 96366 x 1), not each
    site's time added (before: 96365 + 96366 x 3 in the office, and a second 96365 with XS in the hospital). CPT does
    not report a second initial for "an IV rate not being able to be reached without two lines"; Noridian allows it
    only "if two separate IV sites must be used". An ADMIN-NOT-BILLED note names the sites and says so."""
    enc = encounter(setting=setting, drugs=[drug()], administrations=[infusion(120, site=1), infusion(120, site=2)])
    r = run(enc)
    assert [(ln.code, ln.units, ln.modifiers) for ln in r.claim.lines if ln.code.startswith("963")] == [
        ("96365", 1, []), ("96366", 1, [])]
    [note] = [f for f in r.findings if f.edit == "ADMIN-NOT-BILLED"]
    assert (note.severity, note.message) == ("info", "administrations[0]: ig1 ran through IV sites 1, 2 at the same "
                                             "time: one infusion, timed by the span they cover together. A second "
                                             "initial service (with XS) is billed only when two separate IV sites "
                                             "must be used and the record says why, not to reach a rate.")


@pytest.mark.parametrize(("second", "start", "want"), [
    # Site 2 from 10:40 for 60 minutes while site 1 runs 09:00-10:41: one span 09:00-11:40 = 160 min, 96366 x 2.
    pytest.param(60, "10:40", [("96365", 1, []), ("96366", 2, [])], id="one-minute-overlap"),
    # Site 2 from 10:41, when site 1 stopped: another interval, judged on its own (reference.md §4): 101 minutes
    # is 96365 + 96366 x 1, then 60 more minutes of the same drug are one more hour unit.
    pytest.param(60, "10:41", [("96365", 1, []), ("96366", 2, [])], id="touching"),
    # Where it matters: site 2 for 100 minutes. At once from 10:40: one span of 200 min, 96366 x 2; from 10:41,
    # two intervals, 96366 x 1 for the first and x 2 for the second.
    pytest.param(100, "10:40", [("96365", 1, []), ("96366", 2, [])], id="overlap-100"),
    pytest.param(100, "10:41", [("96365", 1, []), ("96366", 3, [])], id="touching-100"),
])
def test_two_iv_sites_of_one_drug_overlap_into_one_span_or_stay_separate(second, start, want):
    assert _iv_sites("office", infusion(101, site=1), infusion(second, f"2026-03-02T{start}", site=2)) == want


def test_two_iv_drugs_at_two_sites_keep_a_hospitals_initial_per_site():
    """Only one drug's sites make a span: a second drug at its own site keeps its own initial (with XS) on a
    hospital claim (IOM 100-04 ch. 4 §230.2), and no ADMIN-NOT-BILLED note is given."""
    enc = encounter(setting="hospital_outpatient",
                    drugs=[drug(dose={"grams": 20}, containers=[{"grams": 20}]),
                           {"id": "d2", "hcpcs": "J1100", "units": 1, "route": "IV"}],
                    administrations=[infusion(60), infusion(60, drug_id="d2", site=2)])
    r = run(enc)
    assert [(ln.code, ln.modifiers) for ln in r.claim.lines if ln.code == "96365"] == [("96365", []), ("96365", ["XS"])]
    assert "ADMIN-NOT-BILLED" not in ids(r)


@pytest.mark.parametrize(("setting", "kind"), [("office", "professional"), ("hospital_outpatient", "hospital")])
def test_scrub_of_one_iv_drug_at_two_sites_warns_on_a_second_initial_and_finds_added_time(setting, kind):
    """A written second 96365 with XS for the second site is a warning, not an error: the record decides whether
    two separate sites were needed (NCCI Policy Manual ch. XI; Noridian). The second site's hour added to the first
    (96366 x 3 for 120 minutes) is an error with 2 units at stake."""
    from igclaim.engine import scrub
    from igclaim.inputs import parse_encounter

    enc = encounter(setting=setting, drugs=[drug()], administrations=[infusion(120, site=1), infusion(120, site=2)])
    expected = run(enc).claim
    drug_line = {k: v for k, v in expected.lines[0].model_dump(mode="json").items() if v is not None}

    def written(*admin: dict) -> dict:
        claim = expected.model_dump(mode="json", exclude_none=True)
        claim["lines"] = [drug_line, *[{**a, "line": n, "revenue_code": expected.lines[1].revenue_code}
                                       for n, a in enumerate(admin, start=2)]]
        return {**enc, "claim": claim}

    r = scrub(parse_encounter(written({"code": "96365", "units": 1}, {"code": "96366", "units": 1},
                                      {"code": "96365", "units": 1, "modifiers": ["XS"]})))
    assert [(f.severity, f.line, f.impact_units) for f in r.findings if f.edit == "ADMIN-INITIAL-DUPLICATE"] == [
        ("warning", 4, None)]
    assert f"initial service number 2 on a {kind} claim; the chart documents IV access sites 1, 2" in next(
        f.message for f in r.findings if f.edit == "ADMIN-INITIAL-DUPLICATE")
    r = scrub(parse_encounter(written({"code": "96365", "units": 1}, {"code": "96366", "units": 3})))
    assert [(f.severity, f.line, f.impact_units) for f in r.findings if f.edit == "ADMIN-ADDON-UNITS"] == [
        ("error", 3, -2)]


# --- bags of hydration at once (administration.toml, 96360 `sites_at_once_one_span`) ------------------------------

def _hydration(start: str, stop: str, site: int = 1) -> dict:
    return {"purpose": "hydration", "ordered": True, "reason": "dehydration", "start": f"2026-03-02T{start}",
            "stop": f"2026-03-02T{stop}", "site": site}


def _with_fluids(setting: str, *fluids: dict):
    """Gamunex-C 09:00-11:00 at site 1, then the fluids."""
    return run(encounter(setting=setting, drugs=[drug()], administrations=[infusion(120, site=1)],
                         fluids=list(fluids)))


def _admin(r) -> list[tuple[str, int, list[str]]]:
    return [(ln.code, ln.units, ln.modifiers) for ln in r.claim.lines if ln.code.startswith("963")]


@pytest.mark.parametrize("setting", ["office", "hospital_outpatient"])
@pytest.mark.parametrize("bags", [
    pytest.param([("11:00", "13:00"), ("11:00", "13:00")], id="two-bags-at-once"),
    pytest.param([("11:00", "12:00"), ("11:30", "13:00")], id="staggered"),
    pytest.param([("11:30", "13:00"), ("11:00", "12:00")], id="listed-late-first"),
])
def test_bags_of_hydration_at_once_are_one_hydration_timed_by_their_span(setting, bags):
    """Two bags over 11:00-13:00 are the hydration of 11:00-13:00, as one bag of that span gives (96361 x 2 after
    the drug), never each bag's time added (before: 96361 x 4 for two bags at once): there is no concurrent hydration
    code, and hydration is reported by its time."""
    r = _with_fluids(setting, *[_hydration(a, b) for a, b in bags])
    assert _admin(r) == _admin(_with_fluids(setting, _hydration("11:00", "13:00"))) == [
        ("96365", 1, []), ("96366", 1, []), ("96361", 2, [])]
    assert "ADMIN-NOT-BILLED" not in ids(r)  # one site: nothing more to say


def test_bags_of_hydration_at_once_at_two_sites_are_one_hydration_with_a_note():
    """In the hospital a bag at site 2 while site 1's runs is no second initial hydration (96360 with XS): one
    hydration of the span, and the note says when a second initial would be billed."""
    r = _with_fluids("hospital_outpatient", _hydration("11:00", "12:01"), _hydration("12:00", "13:00", site=2))
    assert _admin(r) == [("96365", 1, []), ("96366", 1, []), ("96361", 2, [])]
    [note] = [f for f in r.findings if f.edit == "ADMIN-NOT-BILLED"]
    assert note.message.startswith("fluids[0]: hydration ran through IV sites 1, 2 at the same time")
    # Touching, not at once: each site's hydration is its own, and site 2 keeps its initial with XS.
    r = _with_fluids("hospital_outpatient", _hydration("11:00", "12:00"), _hydration("12:00", "13:00", site=2))
    assert _admin(r) == [("96365", 1, []), ("96366", 1, []), ("96361", 1, []), ("96360", 1, ["XS"])]
    assert "ADMIN-NOT-BILLED" not in ids(r)


def test_scrub_finds_two_bags_at_once_billed_as_more_hydration_time():
    """A written claim that added the two bags' time (96361 x 4 for 11:00-13:00) bills two hours the chart does not
    support: ADMIN-ADDON-UNITS, error, 2 units at stake."""
    from igclaim.engine import scrub
    from igclaim.inputs import parse_encounter

    enc = encounter(drugs=[drug()], administrations=[infusion(120, site=1)],
                    fluids=[_hydration("11:00", "13:00"), _hydration("11:00", "13:00")])
    claim = run(enc).claim.model_dump(mode="json", exclude_none=True)
    for ln in claim["lines"]:
        if ln["code"] == "96361":
            ln["units"] = 4
    r = scrub(parse_encounter({**enc, "claim": claim}))
    assert [(f.severity, f.impact_units) for f in r.findings if f.edit == "ADMIN-ADDON-UNITS"] == [("error", -2)]


def test_bags_at_once_too_short_beside_the_drug_are_all_named_unbilled():
    """Two bags at once over 10:30-11:20, the drug running until 11:00: 20 minutes of hydration of their own, under
    31: neither is billed, and the one note names both bags (each is a cause ADMIN-HYDRATION reads on scrub)."""
    r = _with_fluids("office", _hydration("10:30", "11:20"), _hydration("10:40", "11:15", site=2))
    assert _admin(r) == [("96365", 1, []), ("96366", 1, [])]
    [note] = [f for f in r.findings if f.edit == "ADMIN-NOT-BILLED"]
    assert note.message == ("fluids[0], fluids[1]: 20 minutes of hydration not concurrent with a drug infusion; at "
                            "least 31 are needed.")
    assert list(note.causes) == [("fluid-not-billed", "fluids[0]"), ("fluid-not-billed", "fluids[1]")]


@pytest.mark.parametrize("setting", ["office", "hospital_outpatient"])
def test_two_spans_of_bags_at_once_are_each_one_hydration(setting):
    """Two bags at once over 11:00-12:00, then two more at once over 12:30-13:30: two hydration spans of 60 minutes
    each (96361 x 1 for each after the drug), the later span kept after the earlier's second bag."""
    r = _with_fluids(setting, _hydration("11:00", "12:00"), _hydration("11:00", "12:00"),
                     _hydration("12:30", "13:30"), _hydration("12:30", "13:30"))
    assert _admin(r) == _admin(_with_fluids(setting, _hydration("11:00", "12:00"), _hydration("12:30", "13:30"))) == [
        ("96365", 1, []), ("96366", 1, []), ("96361", 2, [])]


def test_a_hospitals_second_site_with_a_push_and_hydration_reports_the_push_as_its_initial():
    """Facility hierarchy (administration.toml `rank`: infusion, then push, then hydration): at a second access site
    with a premedication pushed and then an hour of ordered hydration, the push is the site's initial service
    (96374 with XS) and the hydration a subsequent one (96361), not 96360 XS + 96375, although the hydration ran
    longer."""
    enc = encounter(setting="hospital_outpatient",
                    drugs=[drug(dose={"grams": 20}, containers=[{"grams": 20}]),
                           {"id": "pre", "hcpcs": "J1200", "units": 1, "route": "IV"}],
                    administrations=[infusion(120, start="2026-03-02T10:00"),
                                     {"drug_id": "pre", "method": "push", "start": "2026-03-02T09:00",
                                      "stop": "2026-03-02T09:02", "site": 2}],
                    fluids=[{"purpose": "hydration", "ordered": True, "reason": "dehydration", "site": 2,
                             "start": "2026-03-02T09:05", "stop": "2026-03-02T10:05"}])
    res = run(enc)
    assert admin_lines(res) == {"96365": 1, "96366": 1, "96374": 1, "96361": 1}
    assert next(ln for ln in res.claim.lines if ln.code == "96374").modifiers == ["XS"]


# --- An infusion continued with no gap: a new bag, bottle or syringe is no new infusion --------------------------
# Noridian JE, Initial Drug Administration: one initial code "regardless if two or more syringes are being used for
# the same drug"; a container change does not restart the infusion's time (IOM 100-04 ch. 12 §30.5 times the
# infusion). Before: each container was its own interval, one 96366 too many and, in a hospital, a 96376.

def _bottles(setting: str, *spans: tuple[str, str], site2: bool = False) -> list[tuple[str, int, list[str]]]:
    """Gamunex-C given as bottles hung one after another, each (start, stop) on 2026-03-02, all at site 1 (or the
    last at site 2)."""
    adm = [{"drug_id": "ig1", "start": f"2026-03-02T{a}", "stop": f"2026-03-02T{b}", "site": 1} for a, b in spans]
    if site2:
        adm[-1]["site"] = 2
    return _iv_sites(setting, *adm)


@pytest.mark.parametrize("setting", ["office", "hospital_outpatient"])
def test_bottles_hung_back_to_back_are_one_infusion(setting):
    four = [("09:00", "09:45"), ("09:45", "10:30"), ("10:30", "11:15"), ("11:15", "12:00")]  # 180 minutes
    assert _bottles(setting, *four) == [("96365", 1, []), ("96366", 2, [])]  # was 96366 x 3
    # 105 then 35 minutes: one infusion of 140 minutes is 96366 x 1 (each judged alone, x 2)
    assert _bottles(setting, ("09:00", "10:45"), ("10:45", "11:20")) == [("96365", 1, []), ("96366", 1, [])]
    # the other side: a gap of one minute is an interruption, and each interval is judged on its own
    assert _bottles(setting, ("09:00", "10:45"), ("10:46", "11:21")) == [("96365", 1, []), ("96366", 2, [])]


def test_a_bottle_change_in_the_hospital_is_no_repeat_push():
    """A last bottle of 10 minutes hung as the first ends is the same infusion, not a push of the drug (96376)."""
    assert _bottles("hospital_outpatient", ("09:00", "10:20"), ("10:20", "10:30")) == [("96365", 1, [])]
    # after a gap it stays what it was: a short infusion of the same drug (15 minutes or less) at the facility
    assert _bottles("hospital_outpatient", ("09:00", "10:20"), ("10:25", "10:35")) == [("96365", 1, []),
                                                                                         ("96376", 1, [])]


def test_an_iv_drug_continued_at_another_site_stays_two_intervals():
    """At another vascular site with no gap the rule above does not apply (a second access, left to the record):
    each interval is judged on its own, as before."""
    assert _bottles("office", ("09:00", "10:45"), ("10:45", "11:20"), site2=True) == [("96365", 1, []),
                                                                                        ("96366", 2, [])]


def test_subcutaneous_syringes_in_turn_are_one_infusion():
    """Two syringes of 12 minutes at two sites one after the other: one SC infusion of 24 minutes (96369), not
    two injections (96372 x 2)."""
    second = infusion(12, "2026-03-02T09:12", site=2)
    assert _scig_sites("office", infusion(12, site=1), second) == _ONE
    gap = infusion(12, "2026-03-02T09:13", site=2)  # after a gap: two SC injections of 12 minutes
    assert _scig_sites("office", infusion(12, site=1), gap) == [("96372", 2, [])]


def test_hydration_bags_back_to_back_are_one_hydration():
    """Two bags of 105 and 35 minutes at one site with no gap, after the IVIG: 140 minutes of hydration (96361 x 2
    after the 96365), not each bag's hours (x 3)."""
    r = _with_fluids("office", _hydration("11:00", "12:45"), _hydration("12:45", "13:20"))
    merged = _admin(r)
    r = _with_fluids("office", _hydration("11:00", "13:20"))
    assert merged == _admin(r)  # the same as one bag of 140 minutes
    r = _with_fluids("office", _hydration("11:00", "12:45"), _hydration("12:46", "13:21"))
    assert _admin(r) != merged  # after a gap: two intervals, judged one by one


def _iv(*spans: tuple[str, str, int]) -> list[tuple[str, int, list[str]]]:
    return _iv_sites("office", *[{"drug_id": "ig1", "start": f"2026-03-02T{a}", "stop": f"2026-03-02T{b}", "site": s}
                                 for a, b, s in spans])


def test_the_infusion_continues_at_the_site_where_it_stopped():
    """Which site continues a span: the site(s) whose interval ends at the span's stop, not an earlier one."""
    # Sites 1 and 2 at once until 10:50, site 2 the last to stop; a bottle at site 1 from 10:50 is another site:
    # two intervals (96366 x 2), not one span to 11:25 (x 1).
    assert _iv(("09:00", "10:00", 1), ("09:30", "10:50", 2), ("10:50", "11:25", 1)) == [("96365", 1, []),
                                                                                          ("96366", 2, [])]
    assert _iv(("09:00", "11:25", 1)) == [("96365", 1, []), ("96366", 1, [])]
    # Both sites stop at 10:40: a bottle at site 2 (either one) from 10:40 continues the span to 11:15.
    assert _iv(("09:00", "10:40", 1), ("09:30", "10:40", 2), ("10:40", "11:15", 2)) == _iv(("09:00", "11:15", 1))
    # After a gap a new interval starts; a bottle hung as it ends continues that one.
    assert _iv(("09:00", "10:00", 1), ("10:30", "11:40", 1), ("11:40", "12:05", 1)) == \
        _iv(("09:00", "10:00", 1), ("10:30", "12:05", 1)) == [("96365", 1, []), ("96366", 2, [])]
    assert _iv(("09:00", "10:00", 1), ("10:30", "11:40", 1), ("11:41", "12:06", 1)) == [("96365", 1, []),
                                                                                          ("96366", 1, [])]
