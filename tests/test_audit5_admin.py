"""Audit round 5, administration codes from documented time: rules whose deliberate breakage no other test caught.

Each test states the official rule it holds the coding or the scrub to."""

from __future__ import annotations

from tests.test_edits_support import build, chart, scrub

SCIG = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 4},
        "containers": [{"grams": 2, "count": 2}]}


def _at(start: str, stop: str, drug: str = "ig1", **extra) -> dict:
    return {"drug_id": drug, "start": f"2026-03-02T{start}", "stop": f"2026-03-02T{stop}", **extra}


def _lines(result) -> list[tuple[str, tuple[str, ...], int]]:
    return [(ln.code, tuple(ln.modifiers), ln.units) for ln in result.claim.lines if not ln.code.startswith("J")]


def test_a_hospital_injection_is_the_initial_service_before_hydration():
    """CPT's facility hierarchy, as CMS applies it to OPPS (IOM 100-04 ch. 4 §230.2; refdata/cms/administration.toml
    `rank`): "chemotherapy services are primary to therapeutic, prophylactic, and diagnostic services, which are
    primary to hydration services". A therapeutic SC injection (96372) is the hospital's initial service; the
    ordered IV hydration is the second one, marked distinct (XS) as in the office, never the unmodified initial
    code."""
    hyd = {"purpose": "hydration", "ordered": True, "start": "2026-03-02T09:30", "stop": "2026-03-02T10:30"}
    for setting in ("office", "hospital_outpatient"):
        enc = chart(setting=setting, drugs=[SCIG], administrations=[_at("09:00", "09:10")], fluids=[hyd])
        got = _lines(build(enc))
        assert got[0] == ("96372", (), 1), (setting, got)
        assert [ln for ln in got if ln[0] == "96360"] == [("96360", ("XS",), 1)], (setting, got)


def test_hydration_charted_without_times_is_a_missing_time_for_a_written_96360():
    """96360 and 96361 are timed codes ("31 minutes to 1 hour", "each additional hour"; IOM 100-04 ch. 12 §30.5:
    the time must be documented). An ordered hydration charted without start and stop times cannot support a written
    96360: the line lacks its documented time (ADMIN-TIMES-MISSING), and it is not "no hydration documented"
    (ADMIN-HYDRATION), which would tell the biller to drop a service the chart does record."""
    enc = chart(drugs=[SCIG], administrations=[_at("09:00", "10:00")],
                fluids=[{"purpose": "hydration", "ordered": True}])
    r = scrub(enc, lambda c: c["lines"].append({"line": 9, "code": "96360", "units": 1, "diagnosis_pointers": [1]}))
    on_line = {f.edit for f in r.findings if f.line == 9}
    assert on_line == {"ADMIN-TIMES-MISSING"}, [(f.edit, f.message) for f in r.findings]


def test_subcutaneous_sites_at_once_are_not_called_iv_sites():
    """96369's descriptor includes "establishment of subcutaneous infusion site(s)": SCIG run through two SC sites
    at once is one SC infusion with nothing left unbilled. The note on a second vascular access site ("ran through IV
    sites ... a second initial service (with XS) ...", Noridian JE initial drug administration) is about IV lines
    only and must not be raised for subcutaneous sites."""
    enc = chart(drugs=[SCIG], administrations=[_at("09:00", "10:00", site=1), _at("09:00", "10:31", site=2)])
    r = build(enc)
    assert _lines(r) == [("96369", (), 1), ("96370", (), 1)]
    assert not [f for f in r.findings if f.edit == "ADMIN-NOT-BILLED"], [f.message for f in r.findings]


def test_a_sequential_infusion_after_a_push_keeps_one_iv_initial_code():
    """NCCI Policy Manual ch. XI §B (drug administration): one IV "initial" service per encounter unless a second IV
    site is medically necessary; the NCCI add-on code file lists 96367 among the primaries of 96366 (and 96374 among
    those of 96367). Beside a SCIG infusion (96369), a premedication push (96374-XS) then a two-hour infusion of another
    drug through the same IV line is a sequential infusion with its additional hour (96367 + 96366), never a second
    IV initial code (96365-XS) because 96366 is checked against the codes before it only."""
    pre = {"id": "pre1", "hcpcs": "J1200", "units": 1, "route": "IV"}
    other = {"id": "pre2", "hcpcs": "J2930", "units": 1, "route": "IV"}
    enc = chart(drugs=[SCIG, pre, other], administrations=[
        _at("09:00", "10:00"), _at("08:50", "08:52", "pre1", method="push"), _at("10:00", "12:00", "pre2")])
    got = _lines(build(enc))
    iv_initials = [ln for ln in got if ln[0] in ("96365", "96374")]
    assert len(iv_initials) == 1 and iv_initials[0][2] == 1, got
    assert ("96367", (), 1) in got and ("96366", (), 1) in got, got


def test_an_add_on_code_on_a_medicare_home_claim_is_only_a_setting_error():
    """Medicare home IVIG is billed to the DME MAC as the drug and Q2052, with no drug administration codes (LCD
    article A52509; refdata/cms/settings.toml [home]). A 96366 written on such a claim is wrong because of the setting
    (FORM-SETTING), not because its primary 96365 is missing: ADMIN-ADDON-PRIMARY would tell the biller to add 96365,
    another code the DME claim must not carry."""
    r = scrub(chart(setting="home"), lambda c: c["lines"].append(
        {"line": 9, "code": "96366", "units": 4, "diagnosis_pointers": [1]}))
    on_line = {f.edit for f in r.findings if f.line == 9}
    assert "FORM-SETTING" in on_line and "ADMIN-ADDON-PRIMARY" not in on_line, [(f.edit, f.message) for f in r.findings]


def test_the_pump_log_is_not_compared_on_a_claim_that_bills_no_administration_code():
    """ADMIN-PUMP-LOG is about documented times "enough to change the billed units" of the timed codes. A Medicare
    home claim goes to the DME MAC as the drug and Q2052 with no drug administration code (LCD article A52509;
    refdata/cms/settings.toml [home]): a pump log four hours long against five charted hours changed no line there,
    yet the finding spoke of 96366 × 4 against × 3 with a unit at stake. The office claim still gets it."""
    pump = [{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T13:20"}]
    home = build(chart(setting="home", pump_log=pump))
    assert "96366" not in {ln.code for ln in home.claim.lines}
    assert not [f for f in home.findings if f.edit == "ADMIN-PUMP-LOG"], [f.message for f in home.findings]
    office = [f for f in build(chart(pump_log=pump)).findings if f.edit == "ADMIN-PUMP-LOG"]
    assert len(office) == 1 and "96366 × 4" in office[0].message and office[0].impact_units == -1
