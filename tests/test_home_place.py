"""Medicare home IVIG: the place of service the drug and Q2052 are billed with. From 2024-01-01 (the permanent
benefit) the DME MAC pays them only with a home or home-like place of service, the same on both (Noridian JD DME
IVIG page: 04, 12, 13, 14, 32, 33, 54, 55, 56); the IVIG benefit covers the drug given in the home only (A52509).
Another place is HOME-PLACE (error, the drug's units at stake); a home-like place other than 12 is not a
FORM-SETTING warning on those claims."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from tests.test_edits_support import build, chart, ids, only, scrub

SCIG = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 8},
        "containers": [{"grams": 4, "count": 2}]}


def home_iv(dos: str = "2026-03-05", **changes) -> dict:
    return chart(setting="home", date_of_service=dos,
                 administrations=[{"drug_id": "ig1", "start": f"{dos}T10:00", "stop": f"{dos}T14:00"}], **changes)


def at(pos: str):
    return lambda c: c.update(place_of_service=pos)


HOME_LIKE = ["04", "12", "13", "14", "32", "33", "54", "55", "56"]


@pytest.mark.parametrize("pos", HOME_LIKE)
def test_each_home_like_place_is_clean(pos):
    r = scrub(home_iv(), at(pos))
    assert not ids(r) & {"HOME-PLACE", "FORM-SETTING"}, [(f.edit, f.message) for f in r.findings]


@pytest.mark.parametrize("pos", ["11", "19", "22", "31", "49", "03", "15", "34", "57"])
def test_another_place_is_an_error_with_the_drugs_units_at_stake(pos):
    r = scrub(home_iv(), at(pos))
    f = only(r, "HOME-PLACE")
    assert f.severity == "error" and f.line is None
    assert f"Place of service {pos} (the written claim's)" in f.message and "denied" in f.message
    assert "04, 12, 13, 14, 32, 33, 54, 55, 56" in f.message
    assert f.fix == ("Bill the place the infusion was given, one of 04, 12, 13, 14, 32, 33, 54, 55, 56, on every line; "
                     "an infusion given elsewhere (an office, a hospital) is not billed to the DME MAC as home IVIG.")
    assert f.impact_units == -60  # J1561 × 60: 30 g in 500 mg units, the drug's written lines
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "2"))  # Q2052, the supplies, with it
    assert "FORM-SETTING" not in ids(r)  # one finding for one mistake


def test_the_written_drug_lines_units_are_what_is_at_stake():
    def wasted(c):
        c["place_of_service"] = "11"
        c["lines"][0]["units"] = 50
        c["lines"].insert(1, {**c["lines"][0], "line": 99, "units": 10, "modifiers": ["JW"]})

    assert only(scrub(home_iv(), wasted), "HOME-PLACE").impact_units == -60


def test_before_the_supplies_code_there_is_no_list_and_no_crash():
    """Before Q2052 (2014-04-01) a home IVIG claim is the J-code alone: no supplies row, no list."""
    r = scrub(home_iv("2014-03-31"), at("11"))
    assert "HOME-PLACE" not in ids(r) and only(r, "FORM-SETTING").severity == "warning"


def test_the_written_place_is_read_as_a_person_typed_it():
    assert not ids(scrub(home_iv(), at(" 13 "))) & {"HOME-PLACE", "FORM-SETTING"}
    assert "Place of service 11 " in only(scrub(home_iv(), at(" 11")), "HOME-PLACE").message


def test_the_intravenous_drug_is_the_one_at_stake():
    """A chart with a SC immune globulin listed before the IVIG: the IVIG's units are the ones denied."""
    both = home_iv(drugs=[{**SCIG, "id": "sc1"}, copy.deepcopy(chart()["drugs"][0])])
    f = only(scrub(both, at("11")), "HOME-PLACE")
    assert f.causes[0] == ("drug", "drugs[1]") and f.impact_units == -60


def test_a_discarded_amount_billed_on_build_is_at_stake_too():
    """25 g given from three 10 g vials: J1561 × 50 and JW × 10, all denied at an office place."""
    wasted = home_iv(place_of_service="11", drug0={"dose": {"grams": 25}})
    assert only(build(wasted), "HOME-PLACE").impact_units == -60


def test_the_date_of_the_list_2023_12_31_and_2024_01_01():
    """Under the demonstration (to 2023-12-31) no list is bundled: the setting's 12 is compared, as before."""
    before = scrub(home_iv("2023-12-31"), at("13"))
    assert "HOME-PLACE" not in ids(before) and only(before, "FORM-SETTING").severity == "warning"
    assert "HOME-PLACE" not in ids(scrub(home_iv("2023-12-31"), at("11")))
    assert not ids(scrub(home_iv("2024-01-01"), at("13"))) & {"HOME-PLACE", "FORM-SETTING"}
    assert "HOME-PLACE" in ids(scrub(home_iv("2024-01-01"), at("11")))


def test_build_checks_the_charts_own_place():
    r = build(home_iv(place_of_service="11"))
    f = only(r, "HOME-PLACE")
    assert "Place of service 11 (the chart's)" in f.message and f.impact_units == -60
    assert r.claim.place_of_service == "11"  # the chart's place is billed; the finding says why it fails
    clean = build(home_iv(place_of_service="13"))
    assert clean.claim.place_of_service == "13" and "HOME-PLACE" not in ids(clean)


def test_a_place_the_chart_states_is_still_compared_by_form_setting():
    r = scrub(home_iv(place_of_service="13"), at("12"))
    f = only(r, "FORM-SETTING")
    assert f.severity == "error" and "the chart says 13" in f.message
    assert "HOME-PLACE" not in ids(r)


def test_only_medicare_home_ivig_claims():
    """Other payers' home claims keep the setting's comparison (a warning); Medicare home SCIG by pump has its own
    list, the DMEPOS one (HOME-PUMP-PLACE, tests/test_home_pump_place.py), not this one."""
    com = home_iv(payer={"type": "commercial", "prior_authorization": {"number": "P"}},
                  drug0={"ndc": "13533-0805-11"})
    r = scrub(com, at("11"))
    assert "HOME-PLACE" not in ids(r) and only(r, "FORM-SETTING").severity == "warning"
    sc = home_iv(drugs=[SCIG])
    r = scrub(sc, at("11"))
    assert not ids(r) & {"HOME-PLACE", "FORM-SETTING"} and "HOME-PUMP-PLACE" in ids(r)
    office = scrub(chart(), at("13"))
    assert "HOME-PLACE" not in ids(office) and "FORM-SETTING" in ids(office)


def test_a_claim_written_without_a_place_is_not_judged():
    assert "HOME-PLACE" not in ids(scrub(home_iv(), lambda c: c.pop("place_of_service", None)))


# --- reading a claim without its chart: a home-like place of service is a home claim ------------------------------

def _read_at(pos: str):
    import io

    from igclaim.outputs import chargemaster
    from igclaim.readers.x12 import read_837
    from tests.test_scrub_837 import text_of

    text = text_of("home-ivig-medicare", chargemaster.load("sample"))
    clm = next(s for s in text.split("~") if s.strip().startswith("CLM*"))
    fields = clm.split("*")
    fields[5] = pos + fields[5][2:]
    [claim] = list(read_837(io.StringIO(text.replace(clm, "*".join(fields)))))
    return claim


@pytest.mark.parametrize("pos", HOME_LIKE)
def test_an_837_at_a_home_like_place_is_read_as_home(pos):
    claim = _read_at(pos)
    assert claim.setting == "home" and claim.claim.place_of_service == pos and not claim.notes


def test_an_837_at_another_place_is_read_as_office_and_noted():
    claim = _read_at("99")
    assert claim.setting == "office" and claim.claim.place_of_service == "99"
    assert any("place of service 99" in n and "read as office" in n for n in claim.notes)


def test_an_administration_code_on_a_medicare_home_claim_names_what_to_bill():
    """FORM-SETTING's fix names the supplies code the expected claim bills (Q2052 for home IVIG), or says 'its
    supplies' when the claim has none (home SCIG: the pump is billed apart)."""
    iv = scrub(home_iv(), lambda c: c["lines"].append({"line": 9, "code": "96365", "units": 1}))
    assert only(iv, "FORM-SETTING").fix == ("Remove line 9 (96365); bill the drug with Q2052, as the expected claim "
                                            "shows.")
    sc = scrub(home_iv(drugs=[SCIG]), lambda c: c["lines"].append({"line": 9, "code": "96369", "units": 1}))
    assert only(sc, "FORM-SETTING").fix == ("Remove line 9 (96369); bill the drug and its supplies, as the expected "
                                            "claim shows.")


def test_a_drug_line_written_with_another_codes_unit_dose_is_counted_in_the_drugs_own_units():
    """The chart's 30 g of Gamunex-C is 60 units of J1561 (500 mg a unit); written as J1559 × 300 (100 mg a unit,
    the same 30 g) at an office place, the units at stake are the 60 of J1561 that HOME-PLACE prices at J1561's
    limit (`edits/drug.py` `in_own_units`, as DX-NOT-COVERED counts them), not 300 of J1561 (five times the drug)."""
    def as_j1559(c):
        c["place_of_service"] = "11"
        c["lines"][0].update(code="J1559", units=300)

    f = only(scrub(home_iv(), as_j1559), "HOME-PLACE")
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-2944.56"))  # 60 × 49.076 (CMS ASP, January 2026)


def _two_ivigs(pos: str) -> dict:
    """Gamunex-C (J1561 × 60) then Privigen (J1459 × 40), both IV, at home, the claim billed at `pos`."""
    privigen = {"id": "ig2", "product": "Privigen", "route": "IV", "dose": {"grams": 20},
                "containers": [{"grams": 10, "count": 2}]}
    enc = home_iv(place_of_service=pos)
    enc["drugs"] = [*enc["drugs"], privigen]
    enc["administrations"].append({"drug_id": "ig2", "start": "2026-03-05T14:10", "stop": "2026-03-05T16:40"})
    return enc


def test_a_second_ivigs_lines_are_at_stake_too():
    """Both products are denied with the place: the finding's units are the first IVIG's (one code's units), the
    second's lines are named denied with it and their payment counted: on build its coded line, on scrub its written
    lines (Privigen written over two lines, × 30 and × 10)."""
    enc = _two_ivigs("11")
    r = build(enc)
    assert [(ln.code, ln.units) for ln in r.claim.lines] == [("J1561", 60), ("J1459", 40), ("Q2052", 26)]
    f = only(r, "HOME-PLACE")
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "2"), ("denied-line", "3"))  # 3: Q2052
    # 60 × 49.076 = 2,944.56 (J1561) + 40 × 50.281 = 2,011.24 (J1459) = 4,955.80 (CMS ASP, January 2026)
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-4955.80"))
    written = copy.deepcopy(r.claim.model_dump(mode="json"))
    written["lines"] = [dict(written["lines"][0], line=1), dict(written["lines"][1], line=2, units=30),
                        dict(written["lines"][2], line=3), dict(written["lines"][1], line=4, units=10)]
    f = only(scrub(enc, claim=written), "HOME-PLACE")
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "2"), ("denied-line", "4"), ("denied-line", "3"))
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-4955.80"))


def test_the_supplies_line_is_at_stake_with_the_drug(home, tmp_path):
    """The DME MAC pays home IVIG "and its supplies" only at a home place: Q2052 is denied with the drug, named a
    denied line on build (its coded line) and on scrub (its written line). A synthetic fee schedule of the test's
    own prices Q2052 at $50.00 a date (igclaim bundles none): 2,944.56 (J1561 × 60) + 50.00 = 2,994.56."""
    from datetime import date

    from igclaim.refdata import store
    from igclaim.refdata.importers import Options

    schedule = tmp_path / "fees-synthetic.csv"
    schedule.write_text("code,amount\nQ2052,50.00\n")
    store.import_file("fees", schedule, Options(effective=date(2026, 1, 1), schedule="acme"))
    enc = home_iv(place_of_service="11")
    r = build(enc)
    assert [(ln.code, ln.units) for ln in r.claim.lines] == [("J1561", 60), ("Q2052", 16)]
    f = only(r, "HOME-PLACE")
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "2"))
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-2994.56"))
    written = copy.deepcopy(r.claim.model_dump(mode="json"))
    written["lines"] = [dict(written["lines"][1], line=1), dict(written["lines"][0], line=2)]
    f = only(scrub(enc, claim=written), "HOME-PLACE")
    assert f.causes == (("drug", "drugs[0]"), ("denied-line", "1"))
    assert (f.impact_units, f.impact_usd) == (-60, Decimal("-2994.56"))


def test_a_second_ivigs_line_at_another_place_is_told():
    """The claim at 12 (home): Privigen's written line carries its own place 11 (SV105), an office: told on that
    line, as the first IVIG's line would be."""
    enc = _two_ivigs("12")
    r = build(enc)
    written = copy.deepcopy(r.claim.model_dump(mode="json"))
    written["lines"][1]["place_of_service"] = "11"
    found = [f for f in scrub(enc, claim=written).findings if f.edit == "HOME-PLACE"]
    assert [(f.line, f.impact_units) for f in found] == [(2, -40)], [f.message for f in found]
    assert "place of service 11 (the line's own, SV105)" in found[0].message


def test_the_first_products_line_is_the_place_the_others_are_compared_with():
    """Gamunex-C's line written at 13 (its own SV105), the claim at 12: Privigen's line and Q2052 (12, the claim's)
    are told as differing from line 1's place, the first product's."""
    enc = _two_ivigs("12")
    written = copy.deepcopy(build(enc).claim.model_dump(mode="json"))
    written["lines"][0]["place_of_service"] = "13"
    found = [f for f in scrub(enc, claim=written).findings if f.edit == "HOME-PLACE"]
    assert [f.line for f in found] == [2, 3], [f.message for f in found]
    assert "line 1's J1561 at 13" in found[0].message
