"""An intravenous immune globulin infusion charted with the same start and stop minute. CPT reports an infusion of 15
minutes or less as a push (96374), and igclaim did so: 30 g of IVIG "pushed" in no time, a code the chart does not
support and an audit finding, with no word to the biller. Immune globulin is infused over hours (its labels give
the rates), so a stop equal to the start is a stop time not charted: the administration is not billed on a guess
(ADMIN-TIMES-MISSING, as for a missing stop), and the biller is told which. A minute or more keeps the CPT rule; a
premedication charted at one minute is a push, as charts record them; an explicit push or a subcutaneous
administration keeps its own code."""

from __future__ import annotations

from tests.test_edits_support import build, built_claim, chart, ids, only, scrub

START = "2026-03-02T10:00"


def at(stop: str, **drug) -> dict:
    ig = {"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
          "containers": [{"grams": 10, "count": 3}], **drug}
    return chart(drugs=[ig], administrations=[{"drug_id": "ig1", "start": START, "stop": stop}])


def admin_codes(enc: dict) -> list[str]:
    return [ln["code"] for ln in built_claim(enc)["lines"] if ln["code"].startswith("96")]


def test_no_time_at_all_is_a_missing_stop_not_a_push():
    r = build(at(START))
    assert [ln.code for ln in r.claim.lines] == ["J1561"]
    f = only(r, "ADMIN-TIMES-MISSING")
    assert f.severity == "error"
    assert f.message == ("administrations[0]: the infusion of ig1 starts and stops at 10:00; an immune globulin "
                         "infusion runs for hours, so its stop time is missing; no administration code was billed "
                         "for it.")


def test_one_minute_keeps_the_cpt_rule():
    assert admin_codes(at("2026-03-02T10:01")) == ["96374"]
    assert "ADMIN-TIMES-MISSING" not in ids(build(at("2026-03-02T10:01")))


def test_an_explicit_push_and_a_premedication_keep_their_codes():
    pushed = at(START)
    pushed["administrations"][0]["method"] = "push"
    assert admin_codes(pushed) == ["96374"]
    premed = chart(drugs=[*chart()["drugs"], {"id": "pre", "hcpcs": "J1200", "units": 1, "route": "IV"}],
                   administrations=[*chart()["administrations"],
                                    {"drug_id": "pre", "method": "push", "start": "2026-03-02T08:50",
                                     "stop": "2026-03-02T08:50"}])
    assert "96375" in admin_codes(premed)
    premed["administrations"][1].pop("method")  # charted as an infusion of no time: CPT's push, not an IVIG
    assert "96375" in admin_codes(premed)


def test_a_subcutaneous_immune_globulin_keeps_its_injection_code():
    sc = chart(drugs=[{"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 2},
                       "containers": [{"grams": 2, "count": 1}]}],
               administrations=[{"drug_id": "ig1", "start": START, "stop": START}])
    assert admin_codes(sc) == ["96372"]


def test_a_written_push_for_it_is_flagged_on_scrub():
    r = scrub(at(START), claim={"form": "CMS-1500", "place_of_service": "11", "diagnoses": ["D83.9"],
                                "lines": [{"line": 1, "code": "J1561", "modifiers": ["JZ"], "units": 60,
                                           "diagnosis_pointers": [1]},
                                          {"line": 2, "code": "96374", "units": 1, "diagnosis_pointers": [1]}]})
    said = [(f.line, f.message) for f in r.findings if f.edit == "ADMIN-TIMES-MISSING"]
    assert said[1] == (2, "Line 2: 96374 bills an IV administration that the chart gives without a usable start "
                          "and stop time.")
    assert "ADMIN-ROUTE" not in ids(r)  # the chart does give an IV administration: its time is what is missing


def test_a_code_of_a_route_the_chart_does_not_give_is_still_a_route_error():
    """A missing time does not excuse an SC code on a chart whose only administration is IV."""
    r = scrub(at(START), claim={"form": "CMS-1500", "place_of_service": "11", "diagnoses": ["D83.9"],
                                "lines": [{"line": 1, "code": "J1561", "modifiers": ["JZ"], "units": 60,
                                           "diagnosis_pointers": [1]},
                                          {"line": 2, "code": "96372", "units": 1, "diagnosis_pointers": [1]}]})
    assert only(r, "ADMIN-ROUTE").line == 2


def test_a_push_written_while_an_iv_administration_lacks_its_stop_is_that_missing_time():
    """Before, the push was told it stood for the IVIG's 5-hour infusion (ADMIN-PUSH); it may be the premedication
    charted without a stop."""
    enc = chart(drugs=[*chart()["drugs"], {"id": "pre", "hcpcs": "J1200", "units": 1, "route": "IV"}],
                administrations=[*chart()["administrations"], {"drug_id": "pre", "start": "2026-03-02T08:50"}])

    def add_push(c: dict) -> None:
        c["lines"].append({"line": 9, "code": "96374", "units": 1, "diagnosis_pointers": [1]})

    r = scrub(enc, add_push)
    assert [f.line for f in r.findings if f.edit == "ADMIN-TIMES-MISSING"] == [None, 9]
    assert "ADMIN-PUSH" not in ids(r)


def test_the_administrations_after_it_are_still_coded():
    enc = at(START)
    enc["drugs"].append({"id": "pre", "hcpcs": "J1200", "units": 1, "route": "IV"})
    enc["administrations"].append({"drug_id": "pre", "method": "push", "start": "2026-03-02T09:50",
                                   "stop": "2026-03-02T09:50"})
    assert admin_codes(enc) == ["96374"]  # the premedication's push, the only administration with its time
