"""A service line's own place of service (837P SV105, the CMS-1500's 24B), read where it differs from the claim's
(CLM05-1) and judged on a Medicare home claim: the DME MAC pays home IVIG and its supplies (Q2052) only at a home or
home-like place, billed with the same place on both (Noridian JD DME, IVIG: HOME-PLACE), and the SC drug and its
pump only at a place where the beneficiary uses them (Noridian JA DME, Place of Service: HOME-PUMP-PLACE). Before,
SV105 was not read, so a Q2052 line billed at an office passed. A line without its own place is left out of the
output, so every claim igclaim writes reads as before."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from igclaim.inputs import parse_json_text
from igclaim.model import ClaimLine
from igclaim.outputs import chargemaster, x12
from igclaim.readers.scrub import Charts, scrub_837
from igclaim.readers.x12 import read_837
from tests.test_edits_support import ids

ROOT = Path(__file__).resolve().parents[1]
HOME = "examples/parties/home-ivig-medicare.json"
HOME_PLACES = "04, 12, 13, 14, 32, 33, 54, 55, 56"  # settings.toml, the supplies row from 2024-01-01


def chart(path: str = HOME, **changes) -> dict:
    enc = json.loads((ROOT / path).read_text())
    enc.update(changes)
    return enc


def an_837(enc: dict, places: dict[str, str]) -> str:
    """The chart's 837P with SV105 set on the lines of these codes (code → place)."""
    text = x12.to_837(parse_json_text(json.dumps(enc)), chargemaster.load("sample"))
    for code, place in places.items():
        text, n = re.subn(rf"(SV1\*HC:{code}[^*]*\*[^*]*\*UN\*[^*]*\*)\*", rf"\g<1>{place}*", text)
        assert n == 1, code
    return text


def joined(enc: dict, text: str):
    charts = Charts()
    charts.add(parse_json_text(json.dumps(enc)))
    [done] = list(scrub_837(io.StringIO(text), charts))
    assert done.result is not None and done.joined_by, done.error
    return done.result


def places(result, edit: str) -> list[tuple]:
    return [(f.line, f.severity, f.impact_units, f.message) for f in result.findings if f.edit == edit]


# --- reading SV105 ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("sv105", "read"), [("", None), ("12", None), ("13", "13"), ("11", "11")])
def test_sv105_is_kept_only_where_it_differs_from_the_claims_place(sv105, read):
    text = an_837(chart(), {"Q2052": sv105})
    [claim] = list(read_837(io.StringIO(text)))
    assert [ln.place_of_service for ln in claim.claim.lines] == [None, read]


@pytest.mark.parametrize("bad", ["1", "123", "1A", "=1"])
def test_a_malformed_sv105_is_an_error_naming_it(bad):
    [item] = list(read_837(io.StringIO(an_837(chart(), {"Q2052": bad}))))
    assert (item.segment, item.element) == ("CLM", "SV105") and "two digits" in item.message


def test_a_line_without_its_own_place_is_left_out_of_the_output():
    assert "place_of_service" not in json.loads(ClaimLine(line=1, code="J1561", units=1).model_dump_json())
    assert json.loads(ClaimLine(line=1, code="J1561", units=1, place_of_service="12").model_dump_json())[
        "place_of_service"] == "12"
    with pytest.raises(ValueError, match="place_of_service"):
        ClaimLine(line=1, code="J1561", units=1, place_of_service="1=2")


# --- home IVIG (HOME-PLACE) -----------------------------------------------------------------------------------

def test_q2052_billed_at_an_office_is_denied_on_its_line():
    r = joined(chart(), an_837(chart(), {"Q2052": "11"}))
    assert places(r, "HOME-PLACE") == [(2, "error", -16, (
        "Line 2: place of service 11 (the line's own, SV105) on a Medicare home IVIG claim: the DME MAC pays home IVIG "
        f"and its supplies only with a home or home-like place of service ({HOME_PLACES}), so Q2052 is denied."))]
    f = next(f for f in r.findings if f.edit == "HOME-PLACE")
    assert f.fix == f"Bill the place the infusion was given, one of {HOME_PLACES}, on line 2 as on the claim."


def test_q2052_at_another_home_place_than_the_drug_is_told():
    r = joined(chart(), an_837(chart(), {"Q2052": "13"}))
    assert places(r, "HOME-PLACE") == [(2, "error", -16, (
        "Line 2: Q2052 billed at place of service 13, line 1's J1561 at 12 (SV105): the DME MAC pays home IVIG and "
        "its supplies billed with the same place of service."))]
    assert next(f for f in r.findings if f.edit == "HOME-PLACE").fix == (
        "Bill line 2 at 12, the place of line 1, or correct line 1's.")


def test_the_drug_at_its_own_home_place_and_q2052_at_the_claims():
    """The drug's line says 13, the claim (and so Q2052's line) 12: Q2052 is the line told, against the drug's."""
    r = joined(chart(), an_837(chart(), {"J1561": "13"}))
    assert [(line, msg.split(":")[1]) for line, _, _, msg in places(r, "HOME-PLACE")] == [
        (2, " Q2052 billed at place of service 12, line 1's J1561 at 13 (SV105)")]


def test_both_lines_at_the_same_other_home_place_pass():
    assert "HOME-PLACE" not in ids(joined(chart(), an_837(chart(), {"J1561": "13", "Q2052": "13"})))


def test_the_drug_line_at_an_office_is_denied_with_its_units():
    r = joined(chart(), an_837(chart(), {"J1561": "11"}))
    assert [(line, units) for line, _, units, _ in places(r, "HOME-PLACE")] == [(1, -60)]


def test_an_office_claims_lines_are_not_judged_by_the_home_rules():
    enc = chart("examples/parties/office-gamunex-jz.json")
    r = joined(enc, an_837(enc, {"J1561": "12"}))
    assert not ids(r) & {"HOME-PLACE", "HOME-PUMP-PLACE"}


# --- any other professional claim (FORM-SETTING, CMS-1500 24B: the place of each service) ------------------------

OFFICE = "examples/parties/office-gamunex-jz.json"


def _written(enc: dict, claim_place: str | None, line_places: dict[str, str | None]):
    """The chart scrubbed against its own expected claim, with these places (code → the line's own)."""
    from igclaim import engine

    built = engine.build(parse_json_text(json.dumps(enc))).claim
    lines = [{"line": ln.line, "code": ln.code, "units": ln.units, "modifiers": list(ln.modifiers),
              **({"place_of_service": line_places[ln.code]} if line_places.get(ln.code) else {})}
             for ln in built.lines]
    claim = {"lines": lines, **({"place_of_service": claim_place} if claim_place else {})}
    return engine.scrub(parse_json_text(json.dumps({**enc, "claim": claim})))


@pytest.mark.parametrize(("stated", "severity"), [(False, "warning"), (True, "error")])
def test_an_office_line_at_a_hospitals_place_is_told_on_its_line(stated, severity):
    enc = chart(OFFICE, **({"place_of_service": "11"} if stated else {}))
    r = joined(enc, an_837(enc, {"J1561": "22"}))
    [(line, sev, units, message)] = places(r, "FORM-SETTING")
    assert (line, sev, units) == (1, severity, None)
    said = "the chart says 11." if stated else "the setting's place of service is 11 (verify if another fits)."
    assert message == f"Line 1: place of service 22 (the line's own, SV105) for J1561; {said}"
    [fix] = [f.fix for f in r.findings if f.edit == "FORM-SETTING"]
    assert fix == ("Use place of service 11 on line 1, or leave the line's own place out so it takes the claim's"
                   + ("." if stated else ", unless another fits the place the service was given."))


def test_an_office_line_at_the_offices_place_or_without_one_passes():
    assert not places(_written(chart(OFFICE), "11", {"J1561": "11"}), "FORM-SETTING")
    assert not places(_written(chart(OFFICE), "11", {}), "FORM-SETTING")
    assert not places(_written(chart(OFFICE), None, {}), "FORM-SETTING")  # a JSON claim need not state its place
    assert [line for line, *_ in places(_written(chart(OFFICE), None, {"J1561": "22"}), "FORM-SETTING")] == [1]


@pytest.mark.parametrize("claim_place", ["22", " 22 "])  # the claim's place is free text, read stripped
def test_a_line_repeating_a_claim_place_already_told_is_not_told_again(claim_place):
    r = _written(chart(OFFICE), claim_place, {"J1561": "22", "96365": "19"})
    told = places(r, "FORM-SETTING")
    assert [line for line, *_ in told] == [None, 2], told
    assert "Place of service 22 on an office claim" in told[0][3]


def test_a_line_at_the_office_on_a_claim_told_for_its_place_is_not_told():
    r = _written(chart(OFFICE), "22", {"J1561": "11"})
    assert [line for line, *_ in places(r, "FORM-SETTING")] == [None]


def test_a_commercial_home_line_at_an_office_is_a_warning():
    enc = chart(payer={"type": "commercial", "name": "Commercial plan"})
    r = _written(enc, "12", {"J1561": "11"})
    assert [(line, sev) for line, sev, *_ in places(r, "FORM-SETTING")] == [(1, "warning")]
    assert not ids(r) & {"HOME-PLACE", "HOME-PUMP-PLACE"}


def test_a_medicare_home_ivig_lines_are_left_to_home_place():
    r = _written(chart(), "12", {"J1561": "11"})
    assert not places(r, "FORM-SETTING") and [line for line, *_ in places(r, "HOME-PLACE")] == [1]


# --- home SCIG by pump (HOME-PUMP-PLACE) --------------------------------------------------------------------

def _home_sc() -> dict:
    return chart(drugs=[{"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 8},
                         "containers": [{"grams": 4, "count": 2}]}],
                 administrations=[{"drug_id": "ig1", "start": "2026-03-05T10:00", "stop": "2026-03-05T12:00"}])


@pytest.mark.parametrize(("place", "told"), [("31", True), ("21", True), ("27", False), ("01", False)])
def test_the_sc_drug_at_a_place_the_dme_mac_does_not_cover(place, told):
    enc = _home_sc()
    found = places(joined(enc, an_837(enc, {"J1559": place})), "HOME-PUMP-PLACE")
    if not told:
        assert found == []
        return
    assert found == [(1, "error", -80, (
        f"Line 1: place of service {place} (the line's own, SV105) on a Medicare home SCIG claim: the DME MAC "
        "considers the pump and the drug given with it only at a place of service where the beneficiary uses them "
        "(01, 04, 09, 12, 13, 14, 27, 33, 54, 55, 56), so J1559 is denied."))]


@pytest.mark.parametrize(("place", "told"), [("21", True), ("12", False), ("04", False), (None, False)])
def test_the_pump_line_of_a_written_claim_at_its_own_place(place, told):
    """The pump (E0779) is the written claim's own line (igclaim codes the drug): its place, given in the JSON claim
    as on a CMS-1500's 24B, is judged too."""
    from tests.test_edits_support import scrub

    def with_pump(c: dict) -> None:
        pump = {"line": len(c["lines"]) + 1, "code": "E0779", "modifiers": ["JB", "KX"], "units": 1,
                "diagnosis_pointers": [1]}
        if place:
            pump["place_of_service"] = place
        c["lines"].append(pump)

    r = scrub(_home_sc(), with_pump)
    found = places(r, "HOME-PUMP-PLACE")
    assert [(line, units, message.endswith("so E0779 is denied.")) for line, _, units, message in found] == (
        [(2, -1, True)] if told else [])
    if told:
        assert next(f for f in r.findings if f.edit == "HOME-PUMP-PLACE").fix == (
            "Bill the place where the beneficiary uses the pump, one of 01, 04, 09, 12, 13, 14, 27, 33, 54, 55, 56, "
            "on line 2 as on the claim.")


def test_each_sc_drugs_lines_are_judged():
    """Two SC products on one claim: the first one's line at a place the DME MAC does not cover is told too."""
    from tests.test_edits_support import scrub

    enc = _home_sc()
    enc["drugs"].append({"id": "ig2", "product": "Cuvitru", "route": "SC", "dose": {"grams": 2},
                         "containers": [{"grams": 2, "count": 1}]})
    enc["administrations"].append({"drug_id": "ig2", "start": "2026-03-05T12:00", "stop": "2026-03-05T12:30"})

    def first_at_21(c: dict) -> None:
        c["lines"][0]["place_of_service"] = "21"

    r = scrub(enc, first_at_21)
    found = places(r, "HOME-PUMP-PLACE")
    assert [(line, message.endswith("so J1559 is denied.")) for line, _, _, message in found] == [(1, True)]


def test_the_837_writer_puts_a_lines_own_place_in_sv105_and_reads_it_back():
    """A claim line with its own place (a written claim's) is not lost on the way out: SV105 carries it."""
    enc = parse_json_text((ROOT / HOME).read_text())
    [c] = x12.build_claims([enc], [""])
    c.result.claim.lines[1].place_of_service = "13"
    text = x12.render([c], "837P", chargemaster.load("sample"), None)
    assert "SV1*HC:Q2052*800*UN*16*13**1~" in text and "SV1*HC:J1561:JZ*6000*UN*60***1~" in text
    [claim] = list(read_837(io.StringIO(text)))
    assert [ln.place_of_service for ln in claim.claim.lines] == [None, "13"]


def test_a_lines_own_place_comes_from_its_own_column_and_goes_back_to_it():
    """CSV/Parquet input: `claim_line_place_of_service` on a written line's row; the rows written from an encounter
    carry it back, and a line without one leaves the cell empty."""
    from igclaim.batch.tabular import encounter_to_rows, rows_to_encounter
    from igclaim.inputs import parse_encounter
    from tests.test_edits_support import built_claim

    enc = {k: v for k, v in _home_sc().items()
           if k not in ("billing_provider", "patient", "subscriber", "ordering_provider", "rendering_provider")}
    enc["claim"] = built_claim(enc)
    enc["claim"]["lines"][0]["place_of_service"] = "21"
    enc["claim"].pop("total_expected_payment")  # a built claim's prices have no column: rows refuse them
    for ln in enc["claim"]["lines"]:
        ln.pop("expected_payment")
    rows = encounter_to_rows(enc)
    assert [r["claim_line_place_of_service"] for r in rows] == ["21"] + [None] * (len(rows) - 1)
    back = parse_encounter(rows_to_encounter(list(enumerate(rows, start=2))))
    assert [ln.place_of_service for ln in back.claim.lines] == ["21"] + [None] * (len(back.claim.lines) - 1)


def _alone(text: str):
    [done] = [d for d in scrub_837(io.StringIO(text))]
    assert done.result is not None and "SCRUB-NO-CHART" in ids(done.result), done.error
    return done.result


@pytest.mark.parametrize(("lines", "told"), [
    ({"Q2052": "11"}, [(2, "Line 2: place of service 11 (the line's own, SV105)")]),
    ({"J1561": "22"}, [(1, "Line 1: place of service 22 (the line's own, SV105)")]),
    ({"Q2052": "13"}, [(2, "Line 2: Q2052 billed at place of service 13, line 1's J1561 at 12 (SV105)")]),
    ({"J1561": "13"}, [(2, "Line 2: Q2052 billed at place of service 12, line 1's J1561 at 13 (SV105)")]),
    ({"J1561": "13", "Q2052": "13"}, []), ({}, []),
])
def test_an_837_alone_judges_the_home_ivig_lines_places(lines, told):
    """Without the chart, a Medicare home claim with Q2052 is a home IVIG claim: its J-code and Q2052 lines' own
    places are judged as with the chart."""
    r = _alone(an_837(chart(), lines))
    assert [(line, message.split(" on a")[0].split(": the")[0]) for line, _, _, message in places(r, "HOME-PLACE")] \
        == told


def test_an_837_alone_leaves_other_claims_lines_to_their_own_rules():
    """An office claim's line at its own place, a home SCIG claim's pump-given drug line at a place the home IVIG
    list lacks (27: HOME-PUMP-PLACE's list has it), and a home IVIG line before the permanent benefit's list
    (2023, the demonstration: no list, as with the chart): no HOME-PLACE."""
    office = chart("examples/parties/office-gamunex-jz.json")
    assert "HOME-PLACE" not in ids(_alone(an_837(office, {"J1561": "22"})))
    sc = _home_sc()
    assert "HOME-PLACE" not in ids(_alone(an_837(sc, {"J1559": "27"})))
    demo = chart(date_of_service="2023-03-06",
                 administrations=[{"drug_id": "ig1", "start": "2023-03-06T10:00", "stop": "2023-03-06T14:00"}])
    assert "HOME-PLACE" not in ids(_alone(an_837(demo, {"Q2052": "11"})))
    assert "HOME-PLACE" in ids(_alone(an_837(chart(), {"Q2052": "11"})))


def test_the_chart_free_loop_skips_a_check_whose_when_does_not_hold(monkeypatch):
    """engine.scrub_without_chart asks each check's `When` first, as run_checks does: the home lines' check, given
    a `When` this claim fails (a pump log, which an 837 never has), is not run, and its finding goes."""
    from igclaim.edits import registry, written
    from igclaim.edits.registry import When

    text = an_837(chart(), {"Q2052": "11"})
    assert "HOME-PLACE" in ids(_alone(text))
    monkeypatch.setitem(registry.WHEN, written.home_line_places, When(chart=("pump_log",)))
    assert "HOME-PLACE" not in ids(_alone(text))


@pytest.mark.parametrize(("place", "told"), [("21", True), ("31", True), ("27", False), ("12", False)])
def test_an_837_alone_judges_the_home_scig_lines_places(place, told):
    """Without the chart, a Medicare home claim's SC-only code (J1559) is the pump's drug: its own place is judged
    against the DMEPOS places; an IVIG line at the same place is HOME-PLACE's, not this rule's."""
    r = _alone(an_837(_home_sc(), {"J1559": place}))
    assert [line for line, _, _, _ in places(r, "HOME-PUMP-PLACE")] == ([1] if told else [])
    ivig = _alone(an_837(chart(), {"J1561": place}))
    assert "HOME-PUMP-PLACE" not in ids(ivig)


def test_an_e0779_on_a_home_ivig_837_alone_is_not_the_pumps():
    """A home IVIG claim (J1561, no JB) that bills E0779 at its own place: with the chart HOME-PUMP-PLACE does not
    run on it (not an SC claim; the pump code is HOME-SUPPLY-CODE's finding), and the claim alone answers the same."""
    text = an_837(chart(), {}).replace("SV1*HC:Q2052*800*UN*16***1", "SV1*HC:E0779:JB*800*UN*1*21**1")
    assert "SV1*HC:E0779:JB*800*UN*1*21**1" in text
    assert "HOME-PUMP-PLACE" not in ids(_alone(text))
    assert "HOME-PUMP-PLACE" not in ids(joined(chart(), text))


def test_an_837_alone_before_q2052_existed_judges_no_home_line_place():
    """2014-03-31, the day before Q2052 (no home IVIG supplies row, so no list of places): the J-code's own place is
    not judged, and the claim is read and scrubbed."""
    text = an_837(chart(), {"J1561": "11"}).replace("D8*20260305", "D8*20140331")
    assert "D8*20140331" in text
    r = _alone(text)
    assert "HOME-PLACE" not in ids(r) and r.claim.lines[0].place_of_service == "11"
