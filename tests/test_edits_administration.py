"""Administration edits: times, push, add-on hours, initial codes, hydration, route, sequential, pump log,
bundled services. Each trips on a claim written wrong and stays silent on its near miss."""

from __future__ import annotations

from tests.test_edits_support import BASE, build, chart, ids, line, only, scrub


def _times(start: str, stop: str) -> list[dict]:
    return [{"drug_id": "ig1", "start": f"2026-03-02T{start}", "stop": f"2026-03-02T{stop}"}]


def test_times_missing_on_a_written_timed_code():
    enc = chart(administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00"}])
    claim = {"lines": [{"line": 1, "code": "J1561", "modifiers": ["JZ"], "units": 60},
                       {"line": 2, "code": "96365", "units": 1}]}
    r = scrub(enc, claim=claim)
    assert any(f.edit == "ADMIN-TIMES-MISSING" and f.line == 2 for f in r.findings)
    assert "ADMIN-ROUTE" not in ids(r)
    assert not any(f.edit == "ADMIN-TIMES-MISSING" and f.line is not None for f in scrub(BASE).findings)


def test_push_for_an_infusion_of_15_minutes_or_less():
    enc = chart(administrations=_times("09:00", "09:12"))
    r = scrub(enc, lambda c: line(c, "96374").update(code="96365"))
    f = only(r, "ADMIN-PUSH")
    assert f.line == 2 and "12 min" in f.message
    # Near miss: 16 minutes is an infusion.
    enc16 = chart(administrations=_times("09:00", "09:16"))
    assert "ADMIN-PUSH" not in ids(scrub(enc16))
    assert "96365" in {ln.code for ln in build(enc16).claim.lines}


def test_addon_units_61_minutes_and_boundaries():
    enc = chart(administrations=_times("09:00", "10:01"), drug0={"dose": {"grams": 10},
                                                                "containers": [{"grams": 10, "count": 1}]})
    r = scrub(enc, lambda c: c["lines"].append({"line": 3, "code": "96366", "units": 1}))
    f = only(r, "ADMIN-ADDON-UNITS")
    assert f.line == 3 and f.impact_units == -1 and "61 min" in f.message
    assert "ADMIN-ADDON-UNITS" not in ids(scrub(enc))
    # 91 minutes supports one unit; 151 supports two: billing one for 151 is too few.
    enc151 = chart(administrations=_times("09:00", "11:31"))
    r = scrub(enc151, lambda c: line(c, "96366").update(units=1))
    assert only(r, "ADMIN-ADDON-UNITS").impact_units == 1
    assert "ADMIN-ADDON-UNITS" not in ids(scrub(chart(administrations=_times("09:00", "10:31"))))


def test_addon_missing_entirely_is_a_missing_line_only():
    # One mistake, one finding: the add-on left off is CLAIM-LINE-MISSING (96366 × 4), which supersedes the
    # ADMIN-ADDON-UNITS "96366 × 0 billed" that used to point at the initial line beside it.
    r = scrub(BASE, lambda c: c["lines"].remove(line(c, "96366")))
    f = only(r, "CLAIM-LINE-MISSING")
    assert f.line is None and f.impact_units == 4 and "96366 × 4" in f.message
    assert "ADMIN-ADDON-UNITS" not in ids(r) and len(r.findings) == 1
    # Near miss: too few units on a written 96366 line is still ADMIN-ADDON-UNITS, on that line.
    r = scrub(BASE, lambda c: line(c, "96366").update(units=2))
    assert only(r, "ADMIN-ADDON-UNITS").line == 3 and "CLAIM-LINE-MISSING" not in ids(r)


def test_initial_duplicate():
    r = scrub(BASE, lambda c: c["lines"].append({"line": 4, "code": "96365", "units": 1, "modifiers": ["XS"]}))
    assert only(r, "ADMIN-INITIAL-DUPLICATE").line == 4
    # Near miss: a second, medically necessary access site on a hospital claim justifies it.
    two_sites = chart(setting="hospital_outpatient",
                      drugs=[BASE["drugs"][0], {"id": "ig2", "product": "Privigen", "route": "IV",
                                                "dose": {"grams": 10}, "containers": [{"grams": 10, "count": 1}]}],
                      administrations=[*BASE["administrations"],
                                       {"drug_id": "ig2", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00",
                                        "site": 2}])
    assert "ADMIN-INITIAL-DUPLICATE" not in ids(scrub(two_sites))


def test_hydration_for_a_flush_and_near_miss():
    enc = chart(fluids=[{"purpose": "flush", "start": "2026-03-02T14:00", "stop": "2026-03-02T14:35"}])
    r = scrub(enc, lambda c: c["lines"].append({"line": 4, "code": "96361", "units": 1}))
    f = only(r, "ADMIN-HYDRATION")
    assert f.line == 4 and "flush" in f.message
    ordered = chart(fluids=[{"purpose": "hydration", "ordered": True, "reason": "dehydration",
                             "start": "2026-03-02T14:00", "stop": "2026-03-02T14:45"}])
    assert "96361" in {ln.code for ln in build(ordered).claim.lines}
    assert "ADMIN-HYDRATION" not in ids(scrub(ordered))


def test_hydration_under_31_minutes():
    enc = chart(fluids=[{"purpose": "hydration", "ordered": True, "start": "2026-03-02T14:00",
                         "stop": "2026-03-02T14:25"}])
    assert "ADMIN-HYDRATION" in ids(scrub(enc, lambda c: c["lines"].append({"line": 4, "code": "96361",
                                                                              "units": 1})))


def test_route_iv_codes_for_subcutaneous():
    enc = chart(drugs=[{"id": "ig1", "product": "Cuvitru", "route": "SC", "dose": {"grams": 12},
                        "containers": [{"grams": 2, "count": 6}]}],
                administrations=_times("09:00", "10:40"))
    r = scrub(enc, lambda c: (line(c, "96369").update(code="96365"), line(c, "96370").update(code="96366")))
    f = only(r, "ADMIN-ROUTE")
    assert f.line == 2 and "IV" in f.message
    assert "ADMIN-ROUTE" not in ids(scrub(enc))


def test_sequential_for_the_same_drug():
    r = scrub(BASE, lambda c: line(c, "96366").update(code="96367", units=1))
    f = only(r, "ADMIN-SEQUENTIAL")
    assert "one drug" in f.message and f.line == 3
    assert "ADMIN-SEQUENTIAL" not in ids(scrub(BASE))


def test_concurrent_for_hydration():
    enc = chart(fluids=[{"purpose": "hydration", "ordered": True, "start": "2026-03-02T09:00",
                         "stop": "2026-03-02T10:00"}])
    r = scrub(enc, lambda c: c["lines"].append({"line": 4, "code": "96368", "units": 1}))
    assert "hydration" in only(r, "ADMIN-SEQUENTIAL").message


def test_pump_log_that_changes_the_units_shows_both():
    enc = chart(pump_log=[{"drug_id": "ig1", "start": "2026-03-02T09:30", "stop": "2026-03-02T13:25"}])
    r = build(enc)
    f = only(r, "ADMIN-PUMP-LOG")
    assert "96366 × 4" in f.message and "96366 × 3" in f.message and "235 min" in f.message
    assert f.severity == "warning"
    # Near miss: the design's pump log (09:02–13:58) gives the same 4 additional hours.
    near = chart(pump_log=[{"drug_id": "ig1", "start": "2026-03-02T09:02", "stop": "2026-03-02T13:58"}])
    assert "ADMIN-PUMP-LOG" not in ids(build(near))


def test_bundled_services_from_the_data():
    for code in ("36000", "36410", "96523"):
        r = scrub(BASE, lambda c, code=code: c["lines"].append({"line": 4, "code": code, "units": 1}))
        assert only(r, "ADMIN-BUNDLED").line == 4
    assert "ADMIN-BUNDLED" not in ids(scrub(BASE))


def test_not_supported_setup_and_facility_only_codes():
    enc = chart(drugs=[{"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 8},
                        "containers": [{"grams": 4, "count": 2}]}],
                administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"}])
    r = scrub(enc, lambda c: c["lines"].append({"line": 5, "code": "96371", "units": 1}))
    assert only(r, "ADMIN-NOT-SUPPORTED").line == 5
    setups = chart(drugs=enc["drugs"], administrations=[dict(enc["administrations"][0], pump_setups=2)])
    assert "ADMIN-NOT-SUPPORTED" not in ids(scrub(setups))
    assert "96371" in {ln.code for ln in build(setups).claim.lines}


def test_push_documented_without_times_billed_as_infusion():
    enc = chart(drugs=[*BASE["drugs"], {"id": "pre", "hcpcs": "J1200", "units": 1}],
                administrations=[*BASE["administrations"], {"drug_id": "pre", "method": "push"}])
    r = scrub(enc, lambda c: c["lines"].append({"line": 9, "code": "96367", "units": 1}))
    assert "ADMIN-SEQUENTIAL" in ids(r) or "ADMIN-PUSH" in ids(r)
    assert not ids(scrub(enc), "error")


# --- each administration code's route (refdata/cms/administration.toml, from the CPT descriptors) ---------------

def _route_findings(enc: dict, code: str) -> tuple[list[tuple[str, int | None]], int]:
    """Scrub the claim igclaim builds for the chart with one line of `code` added: the findings and that line."""
    added: list[int] = []

    def add(written: dict) -> None:
        added.append(len(written["lines"]) + 1)
        written["lines"].append({"line": added[0], "code": code, "units": 1, "diagnosis_pointers": [1]})

    return [(f.edit, f.line) for f in scrub(enc, add).findings], added[0]


_SCIG = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 10}, "containers": [{"grams": 10}]}


def test_an_iv_code_on_a_subcutaneous_visit_is_the_wrong_route():
    """96365–96368 are IV infusion codes and 96374–96376 IV pushes (CPT; IOM 100-04 ch. 12 §30.5): billed for a
    SCIG visit (96369), each is ADMIN-ROUTE on its own line."""
    for code in ("96365", "96366", "96367", "96368", "96374", "96375", "96376"):
        found, number = _route_findings(chart(drugs=[_SCIG], administrations=[
            {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"}]), code)
        assert found == [("ADMIN-ROUTE", number)], code


def test_a_subcutaneous_code_on_an_iv_visit_is_the_wrong_route():
    """96369–96371 are SC infusion codes and 96372 a SC or IM injection: billed for an IVIG visit, ADMIN-ROUTE."""
    for code in ("96369", "96370", "96371", "96372"):
        found, number = _route_findings(chart(administrations=[
            {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T11:00"}]), code)
        assert found == [("ADMIN-ROUTE", number)], code


def test_the_hydration_codes_are_iv_codes_that_a_documented_hydration_supports():
    """96360 and 96361 are IV hydration (CPT): hydration documented beside an IVIG infusion is 96361 after the
    drug's initial service, beside a SCIG infusion (another access) its own initial 96360 (examples/e9-admin-sc-
    hydration-xs.json); either claim coded so is no ADMIN-ROUTE (the hydration is an IV service, whatever the
    immune globulin's route)."""
    fluid = {"purpose": "hydration", "ordered": True, "reason": "prehydration", "start": "2026-03-02T07:30",
             "stop": "2026-03-02T08:45"}
    for drugs, stop, hydration in (([BASE["drugs"][0]], "11:00", "96361"), ([_SCIG], "10:00", "96360")):
        enc = chart(drugs=drugs, fluids=[fluid], administrations=[
            {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": f"2026-03-02T{stop}"}])
        assert hydration in [ln.code for ln in build(enc).claim.lines], hydration
        assert "ADMIN-ROUTE" not in ids(scrub(enc)), hydration


def test_the_extra_initial_is_the_one_the_chart_does_not_support_whatever_the_order():
    """Hydration before the IVIG written as 96360 on line 2, before the 96365 on line 3: the 96365 was called the
    second initial (a biller could delete it). The extra initial is the 96360, and its fix says 96361."""
    enc = chart(fluids=[{"purpose": "hydration", "ordered": True, "reason": "prehydration",
                         "start": "2026-03-02T08:00", "stop": "2026-03-02T08:45"}])
    assert [ln.code for ln in build(enc).claim.lines if ln.code.startswith("963")] == ["96365", "96366", "96361"]
    claim = {"lines": [{"line": 1, "code": "J1561", "modifiers": ["JZ"], "units": 60},
                       {"line": 2, "code": "96360", "units": 1}, {"line": 3, "code": "96365", "units": 1},
                       {"line": 4, "code": "96366", "units": 4}]}
    f = only(scrub(enc, claim=claim), "ADMIN-INITIAL-DUPLICATE")
    assert (f.line, f.severity) == (2, "error") and f.message.startswith("Line 2: 96360 is initial service number 2")
    assert f.fix == ("Bill 96361 for it instead of 96360 on line 2: after the initial service it is an additional "
                     "service.")
    # a second 96365 is no 96366 to be (its add-on is billed, but it is the same initial twice): the catalog's fix
    r = scrub(BASE, lambda c: c["lines"].append({"line": 4, "code": "96365", "units": 1}))
    f = only(r, "ADMIN-INITIAL-DUPLICATE")
    assert f.line == 4 and f.fix is not None and "one initial code per encounter" in f.fix
