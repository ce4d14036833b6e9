"""Medicare home IVIG delivered on the date of service and given on a later day (Noridian JD DME IVIG page, the
permanent benefit from 2024-01-01): Q2052 is billed each time the drug is given, dated that day, which must be
within 30 days after the drug's date of service. Before, PLAUSIBILITY-DATE called every such infusion an error
while coding billed its Q2052 line. Anywhere else an administration on another date stays an error."""

from __future__ import annotations

import pytest

from tests.test_edits_support import build, chart, ids, only

SCIG = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 8},
        "containers": [{"grams": 4, "count": 2}]}


def given_on(dos: str, *days: str, stop: str | None = None, **changes) -> dict:
    adms = [{"drug_id": "ig1", "start": f"{d}T10:00", "stop": stop or f"{d}T14:00"} for d in days]
    return chart(setting=changes.pop("setting", "home"), date_of_service=dos, administrations=adms, **changes)


def q2052(result) -> list[str]:
    return [str(ln.service_date) for ln in result.claim.lines if ln.code == "Q2052"]


@pytest.mark.parametrize("later", ["2026-03-06", "2026-04-04"])  # the next day; the 30th day after
def test_an_infusion_within_30_days_is_billed_on_its_day(later):
    r = build(given_on("2026-03-05", "2026-03-05", later))
    assert "PLAUSIBILITY-DATE" not in ids(r)
    assert q2052(r) == ["2026-03-05", later]
    assert [str(ln.service_date) for ln in r.claim.lines if ln.code == "J1561"] == ["2026-03-05"]


def test_the_31st_day_is_an_error_naming_the_window():
    r = build(given_on("2026-03-05", "2026-03-05", "2026-04-05"))
    f = only(r, "PLAUSIBILITY-DATE")
    assert f.severity == "error" and "administrations[1].start: 2026-04-05" in f.message
    assert "within 30 days after the drug's date of service; this one is 31 days after it" in f.message


def test_given_only_on_a_later_day():
    """Delivered on the date of service, given the next day: Q2052 carries the day it was given."""
    r = build(given_on("2026-03-05", "2026-03-06"))
    assert "PLAUSIBILITY-DATE" not in ids(r) and q2052(r) == ["2026-03-06"]


def test_before_the_date_of_service_is_still_an_error():
    f = only(build(given_on("2026-03-05", "2026-03-04")), "PLAUSIBILITY-DATE")
    assert f.message.split("start: ")[1] == "2026-03-04 is not the date of service 2026-03-05."


def test_a_later_infusion_is_judged_on_its_own_day_for_its_stop():
    r = build(given_on("2026-03-05", "2026-03-06", stop="2026-03-08T09:00"))
    f = only(r, "PLAUSIBILITY-DATE")
    assert "stop: 2026-03-08 is neither its own date 2026-03-06 nor the next date" in f.message
    assert "PLAUSIBILITY-DATE" not in ids(build(given_on("2026-03-05", "2026-03-06", stop="2026-03-07T01:00")))


@pytest.mark.parametrize("case", ["demonstration", "office", "home-scig", "medicare-advantage"])
def test_elsewhere_another_date_stays_an_error(case):
    enc = {
        "demonstration": given_on("2023-12-05", "2023-12-05", "2023-12-06"),  # no window bundled before 2024
        "office": given_on("2026-03-05", "2026-03-05", "2026-03-06", setting="office"),
        "home-scig": given_on("2026-03-05", "2026-03-05", "2026-03-06", drugs=[SCIG]),
        "medicare-advantage": given_on("2026-03-05", "2026-03-05", "2026-03-06",
                                       payer={"type": "medicare_advantage", "name": "MA plan",
                                              "prior_authorization": {"number": "PA1"}}),
    }[case]
    f = only(build(enc), "PLAUSIBILITY-DATE")
    assert "administrations[1].start" in f.message and "days after it" not in f.message


def test_a_fluid_on_a_later_day_stays_an_error():
    enc = given_on("2026-03-05", "2026-03-05", "2026-03-06",
                   fluids=[{"purpose": "hydration", "start": "2026-03-06T09:00", "stop": "2026-03-06T10:00"}])
    f = only(build(enc), "PLAUSIBILITY-DATE")
    assert f.message.startswith("fluids[0].start: 2026-03-06")
    late = given_on("2026-03-05", "2026-03-05",
                    fluids=[{"purpose": "hydration", "start": "2026-04-06T09:00", "stop": "2026-04-06T10:00"}])
    assert only(build(late), "PLAUSIBILITY-DATE").message == "fluids[0].start: 2026-04-06 is not the date of service " \
        "2026-03-05."


def test_an_intravenous_premedication_does_not_make_a_scig_claim_an_ivig_one():
    premed = {"id": "pre", "hcpcs": "J1200", "units": 1, "route": "IV"}
    enc = given_on("2026-03-05", "2026-03-05", drugs=[SCIG, premed])
    enc["administrations"].append({"drug_id": "pre", "method": "push", "start": "2026-03-06T09:00",
                                   "stop": "2026-03-06T09:00"})
    assert "administrations[1].start: 2026-03-06" in only(build(enc), "PLAUSIBILITY-DATE").message
