"""Medicare home SCIG by pump: the place of service of the DMEPOS claim (the SC drug with JB, the E0779 pump billed
beside it). The DME MACs consider a DMEPOS item for coverage only at the place the beneficiary primarily uses it:
01, 04, 09, 12, 13, 14, 27 (from 2023-10-01, the day POS 27 exists: CR 13314), 33, 54, 55, 56 (Noridian JA DME,
"Place of Service"). 65 is listed there for parenteral nutrition only; 31 and 32 (skilled nursing, nursing facility)
only for items that name neither pumps nor immune globulin. Another place is HOME-PUMP-PLACE (error, the SC drug's
units at stake); a listed place other than 12 is not a FORM-SETTING warning on those claims. Every two-digit place
is tried on both sides of 2023-10-01."""

from __future__ import annotations

import copy

import pytest

from tests.test_edits_support import build, chart, ids, only, scrub

SCIG = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 8},
        "containers": [{"grams": 4, "count": 2}]}
BEFORE_27 = ["01", "04", "09", "12", "13", "14", "33", "54", "55", "56"]
FROM_27 = ["01", "04", "09", "12", "13", "14", "27", "33", "54", "55", "56"]
FIX = ("Bill the place where the beneficiary uses the pump, one of {}, on every line; a beneficiary in a hospital, a "
       "skilled nursing or a nursing facility is not billed to the DME MAC for it.")


def home_sc(dos: str = "2026-03-05", **changes) -> dict:
    return chart(setting="home", date_of_service=dos, drugs=[copy.deepcopy(SCIG)],
                 administrations=[{"drug_id": "ig1", "start": f"{dos}T10:00", "stop": f"{dos}T12:00"}], **changes)


def at(pos: str):
    return lambda c: c.update(place_of_service=pos)


@pytest.mark.parametrize(("dos", "listed"), [("2023-09-30", BEFORE_27), ("2023-10-01", FROM_27),
                                             ("2026-03-05", FROM_27)])
@pytest.mark.parametrize("pos", [f"{n:02d}" for n in range(1, 100)])
def test_every_place_of_service_on_both_sides_of_pos_27(dos, listed, pos):
    r = scrub(home_sc(dos), at(pos))
    if pos in listed:
        assert not ids(r) & {"HOME-PUMP-PLACE", "FORM-SETTING"}, [(f.edit, f.message) for f in r.findings]
        return
    f = only(r, "HOME-PUMP-PLACE")
    assert (f.severity, f.line, f.impact_units, f.causes) == ("error", None, -80, (("drug", "drugs[0]"),))
    assert f.message == (f"Place of service {pos} (the written claim's) on a Medicare home SCIG claim: the DME MAC "
                         "considers the pump and the drug given with it only at a place of service where the "
                         f"beneficiary uses them ({', '.join(listed)}), so J1559 is denied.")
    assert f.fix == FIX.format(", ".join(listed))
    assert "FORM-SETTING" not in ids(r)  # one finding for one mistake


def test_the_written_drug_lines_units_are_what_is_at_stake():
    """Hizentra 8 g = J1559 × 80 (100 mg units); the claim as written bills 70: its 70 are denied."""
    def fewer(c):
        c["place_of_service"] = "31"
        c["lines"][0]["units"] = 70

    assert only(scrub(home_sc(), fewer), "HOME-PUMP-PLACE").impact_units == -70


def test_build_checks_the_charts_own_place():
    r = build(home_sc(place_of_service="32"))
    f = only(r, "HOME-PUMP-PLACE")
    assert "Place of service 32 (the chart's)" in f.message and f.impact_units == -80
    assert r.claim.place_of_service == "32"  # the chart's place is billed; the finding says why it fails
    clean = build(home_sc(place_of_service="13"))
    assert clean.claim.place_of_service == "13" and "HOME-PUMP-PLACE" not in ids(clean)


def test_the_written_place_is_read_as_a_person_typed_it():
    assert not ids(scrub(home_sc(), at(" 13 "))) & {"HOME-PUMP-PLACE", "FORM-SETTING"}
    assert "Place of service 11 " in only(scrub(home_sc(), at(" 11")), "HOME-PUMP-PLACE").message


def test_a_place_the_chart_states_is_still_form_settings_to_compare():
    """The chart says 13; the claim says 14, also a listed place: the claim differs from the chart (FORM-SETTING,
    an error, as on every claim whose chart states its place), and the place itself is allowed."""
    r = scrub(home_sc(place_of_service="13"), at("14"))
    assert only(r, "FORM-SETTING").severity == "error" and "HOME-PUMP-PLACE" not in ids(r)


def test_each_sc_drug_is_at_stake_and_the_ivig_list_is_home_places():
    """An IVIG and a SCIG on one Medicare home claim at a nursing facility (32): the IVIG benefit's list has 32
    (HOME-PLACE says nothing), the DMEPOS list does not (HOME-PUMP-PLACE on the SC drug alone)."""
    ivig = copy.deepcopy(chart()["drugs"][0])
    both = chart(setting="home", date_of_service="2026-03-05", drugs=[ivig, {**SCIG, "id": "sc1"}],
                 administrations=[{"drug_id": "ig1", "start": "2026-03-05T09:00", "stop": "2026-03-05T13:00"},
                                  {"drug_id": "sc1", "start": "2026-03-05T13:00", "stop": "2026-03-05T14:00"}])
    r = scrub(both, at("32"))
    assert "HOME-PLACE" not in ids(r)
    (f,) = [f for f in r.findings if f.edit == "HOME-PUMP-PLACE"]
    assert f.causes == (("drug", "drugs[1]"),) and f.impact_units == -80
    r = scrub(both, at("01"))  # a pharmacy: on the DMEPOS list, not on the IVIG benefit's
    assert "HOME-PUMP-PLACE" not in ids(r) and only(r, "HOME-PLACE").causes[0] == ("drug", "drugs[0]")


def test_an_ivig_alone_is_not_judged_by_the_pump_list():
    r = scrub(chart(setting="home", date_of_service="2026-03-05",
                    administrations=[{"drug_id": "ig1", "start": "2026-03-05T10:00", "stop": "2026-03-05T14:00"}]),
              at("01"))
    assert "HOME-PUMP-PLACE" not in ids(r) and "HOME-PLACE" in ids(r)


def test_other_payers_home_claims_are_not_dme_claims():
    """A commercial plan's home infusion is billed per contract (HOME-CONTRACT), not to a DME MAC."""
    r = scrub(home_sc(payer={"type": "commercial", "name": "Plan"}), at("11"))
    assert "HOME-PUMP-PLACE" not in ids(r)


def test_a_claim_written_without_a_place_is_not_judged():
    """No place on the written claim: nothing to compare with the list (the claim's missing field is not this
    check's to report), whatever the list holds."""
    r = scrub(home_sc(), lambda c: c.pop("place_of_service", None))
    assert "HOME-PUMP-PLACE" not in ids(r), [(f.edit, f.message) for f in r.findings]


def test_the_rows_meet_on_the_day_pos_27_starts():
    """One list per date, no gap and no overlap (a date in two rows would take the first one's list): the row
    without 27 ends on 2023-09-30, the one with it starts on 2023-10-01 (CR 13314) and has no end."""
    from datetime import date, timedelta

    from igclaim.refdata.resolver import reference

    first, second = reference().settings["home"]["medicare_dme_sc_pump_places"]
    assert "effective" not in first and first["ends"] == date(2023, 9, 30)
    assert second["effective"] == first["ends"] + timedelta(days=1) == date(2023, 10, 1) and "ends" not in second
    assert set(second["places"]) - set(first["places"]) == {"27"} and set(first["places"]) < set(second["places"])
