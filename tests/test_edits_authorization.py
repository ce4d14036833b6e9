"""Prior-authorization edits."""

from __future__ import annotations

from tests.test_edits_support import build, chart, ids, only, scrub

NDC = {"ndc": "13533-0805-11"}


def _commercial(pa: dict | None) -> dict:
    payer = {"type": "commercial", "name": "Example PPO"}
    if pa is not None:
        payer["prior_authorization"] = pa
    return chart(payer=payer, drug0=NDC)


def test_auth_missing_and_near_miss():
    assert only(build(_commercial(None)), "AUTH-MISSING").severity == "error"
    assert "AUTH-MISSING" not in ids(build(_commercial({"number": "PA-1"})))
    # Original Medicare has no prior authorization for IVIG.
    assert "AUTH-MISSING" not in ids(build(chart()))


def test_auth_expired_and_boundaries():
    pa = {"number": "PA-1", "start": "2026-01-01", "end": "2026-03-01"}
    assert "2026-03-02" in only(build(_commercial(pa)), "AUTH-EXPIRED").message
    assert "AUTH-EXPIRED" not in ids(build(_commercial(dict(pa, end="2026-03-02"))))  # the last day counts


def test_auth_units_on_build_and_scrub():
    assert "AUTH-UNITS" not in ids(build(_commercial({"number": "PA-1", "units": 60})))
    f = only(build(_commercial({"number": "PA-1", "units": 50})), "AUTH-UNITS")
    assert f.impact_units == -10 and "60 units" in f.message
    r = scrub(_commercial({"number": "PA-1", "units": 60}), lambda c: c["lines"][0].update(units=70))
    assert only(r, "AUTH-UNITS").line == 1


def test_auth_grams():
    assert "30 g" in only(build(_commercial({"number": "PA-1", "grams": 25})), "AUTH-UNITS").message
    assert "AUTH-UNITS" not in ids(build(_commercial({"number": "PA-1", "grams": 30})))


def test_auth_units_discard_counts_only_as_a_warning():
    enc = chart(payer={"type": "commercial", "prior_authorization": {"number": "PA-1", "units": 70}},
                drugs=[{"id": "ig1", "product": "Privigen", "route": "IV", "dose": {"grams": 35},
                        "ndc": "44206-0439-40", "containers": [{"grams": 40, "count": 1}]}])
    f = only(build(enc), "AUTH-UNITS")
    assert f.severity == "warning"


def test_auth_for_another_code():
    f = only(build(_commercial({"number": "PA-1", "units": 60, "hcpcs": "J1569"})), "AUTH-UNITS")
    assert "J1569" in f.message and "J1561" in f.message
    assert "AUTH-UNITS" not in ids(build(_commercial({"number": "PA-1", "units": 60, "hcpcs": "J1561"})))
