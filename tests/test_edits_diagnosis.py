"""Diagnosis edits: missing, invalid on the date of service, not covered under the payer's policy, Z51.11."""

from __future__ import annotations

from tests.test_edits_support import BASE, build, chart, ids, only, scrub


def test_dx_missing_and_near_miss():
    assert only(build(chart(diagnoses=[])), "DX-MISSING").severity == "error"
    assert "DX-MISSING" not in ids(build(BASE))


def test_g35_by_date_of_service():
    # G35 was billable through FY2025 and is a category from 2025-10-01 (errata #28).
    old = chart(date_of_service="2025-06-10", diagnoses=["G35"],
                administrations=[{"drug_id": "ig1", "start": "2025-06-10T09:00", "stop": "2025-06-10T14:00"}])
    assert "DX-INVALID" not in ids(build(old))
    new = chart(date_of_service="2026-04-14", diagnoses=["G35"],
                administrations=[{"drug_id": "ig1", "start": "2026-04-14T09:00", "stop": "2026-04-14T14:00"}])
    f = only(build(new), "DX-INVALID")
    assert f.severity == "error" and "G35.A" in f.message and "FY2026" in f.message


def test_dx_invalid_category_and_near_miss():
    assert "DX-INVALID" in ids(build(chart(diagnoses=["D83"])))
    assert "DX-INVALID" not in ids(build(chart(diagnoses=["d839"])))  # written without the dot, lower case


def test_dx_invalid_no_release_for_the_date_is_info_only():
    enc = chart(date_of_service="2019-05-01", diagnoses=["D83.9"],
                administrations=[{"drug_id": "ig1", "start": "2019-05-01T09:00", "stop": "2019-05-01T14:00"}])
    f = only(build(enc), "DX-INVALID")
    assert f.severity == "info"


def test_written_claim_diagnosis_checked_too():
    r = scrub(BASE, lambda c: c.update(diagnoses=["D83"]))
    assert any(f.edit == "DX-INVALID" and f.line == 1 for f in r.findings)
    assert "DX-INVALID" not in ids(scrub(BASE))


def test_not_covered_default_policy_is_a_warning_that_says_so():
    f = only(build(chart(diagnoses=["R53.83"])), "DX-NOT-COVERED")  # fatigue
    assert f.severity == "warning" and "Default" in f.message
    assert "DX-NOT-COVERED" not in ids(build(chart(diagnoses=["G61.81"])))  # CIDP


def test_not_covered_home_pidd_is_an_error():
    # Medicare home IVIG covers primary immunodeficiency only: D80.1 is not on the list (errata #25).
    home = chart(setting="home", diagnoses=["D80.1"])
    f = only(build(home), "DX-NOT-COVERED")
    assert f.severity == "error"
    assert "DX-NOT-COVERED" not in ids(build(chart(setting="home", diagnoses=["D80.0"])))
    # CIDP is not covered for home IVIG, but office IVIG for CIDP is (default policy).
    assert "DX-NOT-COVERED" in ids(build(chart(setting="home", diagnoses=["G61.81"])))


def test_not_covered_uncertain_code_lowers_to_warning():
    f = only(build(chart(setting="home", diagnoses=["D81.30"])), "DX-NOT-COVERED")
    assert f.severity == "warning" and "A52509" in f.message


def test_cll_covered_only_with_hypogammaglobulinemia():
    assert "DX-NOT-COVERED" in ids(build(chart(diagnoses=["C91.10"])))
    assert "DX-NOT-COVERED" not in ids(build(chart(diagnoses=["C91.10", "D80.1"])))


def test_chemo_encounter():
    f = only(build(chart(diagnoses=["Z51.11", "D83.9"])), "DX-CHEMO-ENCOUNTER")
    assert f.severity == "error"
    second = only(build(chart(diagnoses=["D83.9", "Z51.11"])), "DX-CHEMO-ENCOUNTER")
    assert second.severity == "warning"
    assert "DX-CHEMO-ENCOUNTER" not in ids(build(BASE))
    r = scrub(BASE, lambda c: c.update(diagnoses=["Z51.11"]))
    assert "DX-CHEMO-ENCOUNTER" in ids(r) and "DX-NOT-COVERED" in ids(r)
