"""Plausibility edits: charts that cannot be true of one visit carry an error, on both sides of each threshold."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

from igclaim import engine
from igclaim.edits.plausibility import earliest_data
from igclaim.errors import InputError
from igclaim.inputs import parse_encounter
from igclaim.refdata.resolver import reference

from .conftest import ROOT

BASE = json.loads((ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text())


def ids(data: dict) -> dict[str, str]:
    result = engine.build(parse_encounter(data))
    return {f.edit: f.severity for f in result.findings if f.edit.startswith("PLAUSIBILITY-")}


def chart(**changes) -> dict:
    data = json.loads(json.dumps(BASE))
    data.update(changes)
    return data


def admin(start: str, stop: str, site: int = 1, drug_id: str = "ig1") -> dict:
    return {"drug_id": drug_id, "start": start, "stop": stop, "site": site}


def test_the_base_chart_is_plausible():
    assert ids(chart()) == {}


def test_duration_24_hours_is_the_limit():
    dos = BASE["date_of_service"]
    assert "PLAUSIBILITY-DURATION" not in ids(chart(administrations=[admin(f"{dos}T08:00", f"{dos}T23:59")]))
    nxt = (date.fromisoformat(dos) + timedelta(days=1)).isoformat()
    assert "PLAUSIBILITY-DURATION" not in ids(chart(administrations=[admin(f"{dos}T08:00", f"{nxt}T08:00")]))
    assert ids(chart(administrations=[admin(f"{dos}T08:00", f"{nxt}T08:01")]))["PLAUSIBILITY-DURATION"] == "error"


def test_a_day_long_pump_run_is_judged_against_the_administrations():
    """PLAUSIBILITY-DURATION reads the administrations and fluids (its statement); coding bills the time of the
    administrations, so a pump log entry of a day or more moves no money by itself: ADMIN-PUMP-LOG warns that it
    disagrees with them, and writes the span with its dates (clock times alone would read 09:00-10:00 = 1500 min)."""
    dos = BASE["date_of_service"]
    nxt = (date.fromisoformat(dos) + timedelta(days=1)).isoformat()
    data = chart(pump_log=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{nxt}T10:00"}])

    def found() -> dict:
        return {f.edit: f for f in engine.build(parse_encounter(data)).findings}

    assert "PLAUSIBILITY-DURATION" not in found()
    assert found()["ADMIN-PUMP-LOG"].severity == "warning"
    assert f"the pump log {dos} 09:00–{nxt} 10:00 = 1500 min" in found()["ADMIN-PUMP-LOG"].message
    data["pump_log"][0]["stop"] = f"{nxt}T09:00"  # a day exactly: dates
    assert f"the pump log {dos} 09:00–{nxt} 09:00 = 1440 min" in found()["ADMIN-PUMP-LOG"].message
    data["pump_log"][0]["stop"] = f"{nxt}T08:59"  # under a day, past midnight: the clock times alone
    assert "the pump log 09:00–08:59 = 1439 min" in found()["ADMIN-PUMP-LOG"].message
    # The documented side the same way: an administration of a day or more, beside a pump log of five hours.
    data["administrations"] = [admin(f"{dos}T09:00", f"{nxt}T09:00")]
    data["pump_log"] = [{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T14:00"}]
    assert f"documented administrations[0] {dos} 09:00–{nxt} 09:00 = 1440 min" in found()["ADMIN-PUMP-LOG"].message


def test_the_year_1_infusion_is_an_error():
    """Refused with the input since the twenty-fifth session (dates 1900-01-01 to 2199-12-31, docs/limits.md: 9999
    crashed the date arithmetic); within those dates, the same absurd run is coded and marked."""
    from igclaim.inputs import InvalidInput

    try:
        ids(chart(administrations=[admin("0001-01-01T00:00", "9999-12-31T23:59")]))
        raise AssertionError("accepted")
    except InvalidInput as exc:
        problems = exc.problems
    assert [p.split(":")[0] for p in problems] == ["administrations[0].start", "administrations[0].stop"]
    found = ids(chart(administrations=[admin("1900-01-01T00:00", "2199-12-31T23:59")]))
    assert found["PLAUSIBILITY-DURATION"] == "error" and found["PLAUSIBILITY-DATE"] == "error"
    try:  # the bounds' other sides, to the minute: the last minute before 1900 and the first of 2200
        ids(chart(administrations=[admin("1899-12-31T23:59", "2200-01-01T00:00")]))
        raise AssertionError("accepted")
    except InvalidInput as exc:
        assert [p.split(":")[0] for p in exc.problems] == ["administrations[0].start", "administrations[0].stop"]


def test_administration_dates():
    dos = date.fromisoformat(BASE["date_of_service"])
    nxt, prev = dos + timedelta(days=1), dos - timedelta(days=1)
    # past midnight: start on the date of service, stop on the next date
    assert "PLAUSIBILITY-DATE" not in ids(chart(administrations=[admin(f"{dos}T22:00", f"{nxt}T01:00")]))
    assert "PLAUSIBILITY-DATE" in ids(chart(administrations=[admin(f"{prev}T22:00", f"{dos}T01:00")]))
    assert "PLAUSIBILITY-DATE" in ids(chart(administrations=[admin(f"{nxt}T09:00", f"{nxt}T11:00")]))


def test_one_drug_twice_at_once_needs_two_sites():
    dos = BASE["date_of_service"]
    one_site = [admin(f"{dos}T09:00", f"{dos}T11:00"), admin(f"{dos}T10:00", f"{dos}T12:00")]
    assert ids(chart(administrations=one_site))["PLAUSIBILITY-CONCURRENT"] == "error"
    two_sites = [admin(f"{dos}T09:00", f"{dos}T11:00"), admin(f"{dos}T10:00", f"{dos}T12:00", site=2)]
    assert "PLAUSIBILITY-CONCURRENT" not in ids(chart(administrations=two_sites))
    back_to_back = [admin(f"{dos}T09:00", f"{dos}T10:00"), admin(f"{dos}T10:00", f"{dos}T12:00")]
    assert "PLAUSIBILITY-CONCURRENT" not in ids(chart(administrations=back_to_back))


def test_date_of_service_future_and_before_the_data():
    today = date.today()

    def moved(dos: date) -> dict:
        return chart(date_of_service=dos.isoformat(),
                     administrations=[admin(f"{dos}T09:00", f"{dos}T12:00")])

    assert "PLAUSIBILITY-DOS" not in ids(moved(today))
    assert ids(moved(today + timedelta(days=1)))["PLAUSIBILITY-DOS"] == "warning"  # coded ahead: an estimate
    assert ids(moved(today + timedelta(days=32)))["PLAUSIBILITY-DOS"] == "error"
    assert "PLAUSIBILITY-DOS" not in ids(moved(date(2014, 3, 31)))  # old, but inside the data held
    earliest = earliest_data(reference())
    assert earliest is not None and earliest.year < 2014
    try:  # before any data: refused while coding (no payer parameter in force), or coded with the error
        found = engine.build(parse_encounter(moved(earliest - timedelta(days=1)))).findings
    except InputError:
        return
    assert any(f.edit == "PLAUSIBILITY-DOS" and f.severity == "error" for f in found)


def test_a_tiny_dose_from_much_opened():
    def dosed(grams: str, containers: list[dict]) -> dict:
        data = chart()
        data["drugs"][0]["dose"] = {"grams": grams}
        data["drugs"][0]["containers"] = containers
        return data

    assert "PLAUSIBILITY-DOSE" not in ids(dosed("1.5", [{"grams": 10, "count": 3}]))  # 5 % of 30 g
    assert ids(dosed("1.4", [{"grams": 10, "count": 3}]))["PLAUSIBILITY-DOSE"] == "error"
    assert ids(dosed("0.3", [{"grams": 40, "count": 10}]))["PLAUSIBILITY-DOSE"] == "error"


def test_many_administrations_answer_fast_or_are_refused():
    """The longest accepted chart (MAX_ADMINISTRATIONS) is coded well under a second; more is an input error."""
    from igclaim.inputs import InvalidInput
    from igclaim.model import MAX_ADMINISTRATIONS

    dos = date.fromisoformat(BASE["date_of_service"])
    many = [admin(f"{dos}T{h:02d}:{m:02d}", f"{dos}T{h:02d}:{m + 2:02d}", site=1 + k % 20)
            for k, (h, m) in enumerate((h, m) for h in range(7, 24) for m in range(0, 57, 4))][:MAX_ADMINISTRATIONS]
    assert len(many) == MAX_ADMINISTRATIONS
    engine.build(parse_encounter(chart(administrations=many[:5])))  # reference data loaded
    t = time.perf_counter()
    engine.build(parse_encounter(chart(administrations=many)))
    assert time.perf_counter() - t < 1.0
    try:
        parse_encounter(chart(administrations=many * 50))
    except InvalidInput as exc:
        assert exc.problems[0].startswith("administrations:")
    else:
        raise AssertionError("a 10,000-administration chart was accepted")
