"""The prior-authorization ledger's rules (AUTH-EXHAUSTED, AUTH-EXPIRING: `igclaim.service.ledger.check`), in
process on an in-memory database, both sides of each threshold: what is left against what the visit bills (units,
grams, visits), what would be left after it against another visit like it, and the days to the authorization's end
against the plan's renewal lead time. tests/test_service.py runs the same rules through the team service's API.

The visit: 30 g of Gamunex-C from three 10 g vials, 60 units of J1561 (500 mg a unit, the HCPCS descriptor), for
Medicare Part B (the team's own tracking warned 14 days ahead, its profile's authorization_renewal_days), or for a
Medicare Advantage plan or a Medicaid managed care plan, whose standard decision time is 14 days (42 CFR
422.568(b)(1), 438.210(d)(1)) and 7 from 2026-01-01 (CMS-0057-F).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from igclaim import build, parse_encounter
from igclaim.service import ledger
from igclaim.service.db import Authorization, AuthorizationUse, Base, User
from tests.helpers import encounter

DOS = date(2026, 3, 2)
MEMBER = "M-LEDGER-1"
PART_B = {"type": "medicare", "name": "Medicare Part B"}
ADVANTAGE = {"type": "medicare_advantage", "name": "Acme Advantage"}
MEDICAID = {"type": "medicaid", "name": "Acme Medicaid"}


def visit(dos: date = DOS, encounter_id: str = "v1", **payer: str):
    enc = encounter(encounter_id=encounter_id, date_of_service=dos.isoformat(), payer={**PART_B, **payer},
                    subscriber={"member_id": MEMBER},
                    administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T14:00"}])
    parsed = parse_encounter(enc)
    return parsed, build(parsed)


@pytest.fixture
def db():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(User(id=1, name="biller", role="biller"))
        session.flush()
        yield session


def authorize(db: Session, *, payer: str = "Medicare Part B", used_units: int = 0, used_grams: str = "0",
              used_visits: int = 0, end: date = DOS + timedelta(days=90), start: date = DOS - timedelta(days=30),
              **amounts) -> Authorization:
    auth = Authorization(number="PA-1", payer=payer, member_id=MEMBER, start=start, end=end,
                         **({"hcpcs": "J1561"} | amounts))
    db.add(auth)
    db.flush()
    if used_units or used_visits or used_grams != "0":
        db.add(AuthorizationUse(authorization_id=auth.id, encounter_id="earlier", version=1, units=used_units,
                                grams=Decimal(used_grams), visits=used_visits, by=1))
        db.flush()
    return auth


def edits(db: Session, dos: date = DOS, **payer: str) -> dict[str, str]:
    enc, result = visit(dos, **payer)
    return {f.edit: f.message for f in ledger.check(db, enc, result)}


def told(got: dict[str, str], exhausted: bool, expiring: bool) -> None:
    assert ("AUTH-EXHAUSTED" in got) is exhausted, got
    assert ("AUTH-EXPIRING" in got) is expiring, got


def test_the_visit_consumes_its_billed_units_and_their_grams():
    enc, result = visit()
    auth = Authorization(number="PA-1", payer="Medicare Part B", member_id=MEMBER, hcpcs="J1561",
                         start=DOS, end=DOS)
    assert ledger.visit_amounts(auth, result, DOS) == ledger.Amounts(60, Decimal(30), 1)
    other = Authorization(number="PA-2", payer="Medicare Part B", member_id=MEMBER, hcpcs="J1459",
                          start=DOS, end=DOS)
    assert ledger.visit_amounts(other, result, DOS) == ledger.Amounts(0, Decimal(0), 0)
    by_product = Authorization(number="PA-3", payer="Medicare Part B", member_id=MEMBER, product="Gamunex-C",
                               start=DOS, end=DOS)
    assert ledger.visit_amounts(by_product, result, DOS).units == 60  # the product's own code, J1561


def test_the_discarded_units_billed_on_the_jw_line_are_consumed_too():
    """25 g given from three 10 g vials: 50 units given and 10 discarded on the JW line, 60 billed (the module's
    rule: plans that authorize by units count the billed units, the discarded included)."""
    enc = parse_encounter(encounter(subscriber={"member_id": MEMBER},
                                    drugs=[{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 25},
                                            "containers": [{"grams": 10, "count": 3}]}]))
    result = build(enc)
    assert sorted((ln.units, tuple(ln.modifiers)) for ln in result.claim.lines if ln.code == "J1561") == [
        (10, ("JW",)), (50, ())]
    auth = Authorization(number="PA-1", payer="Medicare Part B", member_id=MEMBER, hcpcs="J1561", start=DOS, end=DOS)
    assert ledger.visit_amounts(auth, result, DOS) == ledger.Amounts(60, Decimal(30), 1)


@pytest.mark.parametrize(("left", "exhausted", "expiring"), [
    (59, True, False),  # 59 units left for 60: exhausted (and not also told expiring)
    (60, False, True),  # billed in full, 0 left after it
    (119, False, True),  # 59 left after it, less than another visit like it
    (120, False, False),  # 60 left after it: another visit like it fits
])
def test_units_left_against_the_visits_units(db, left, exhausted, expiring):
    authorize(db, units=left + 60, used_units=60)
    got = edits(db)
    told(got, exhausted, expiring)
    if exhausted:
        assert "60 units needed, 59 left" in got["AUTH-EXHAUSTED"]
    if expiring:
        assert f"only {left - 60} units remain" in got["AUTH-EXPIRING"]


@pytest.mark.parametrize(("grams", "exhausted", "expiring"), [
    ("29.999", True, False), ("30", False, True), ("59.999", False, True), ("60", False, False)])
def test_grams_left_against_the_visits_grams(db, grams, exhausted, expiring):
    authorize(db, grams=Decimal(grams) + 10, used_grams="10")
    got = edits(db)
    told(got, exhausted, expiring)
    if exhausted:
        assert "30 grams needed, 29.999 left" in got["AUTH-EXHAUSTED"]


@pytest.mark.parametrize(("visits", "exhausted", "expiring"), [(0, True, False), (1, False, True), (2, False, False)])
def test_visits_left(db, visits, exhausted, expiring):
    authorize(db, visits=visits + 3, used_visits=3)
    got = edits(db)
    told(got, exhausted, expiring)
    if expiring:
        assert "only 0 visits remain" in got["AUTH-EXPIRING"]


@pytest.mark.parametrize(("payer", "dos", "lead"), [
    (PART_B, DOS, 14), (ADVANTAGE, date(2025, 12, 31), 14), (ADVANTAGE, date(2026, 1, 1), 7),
    (MEDICAID, date(2025, 12, 31), 14), (MEDICAID, date(2026, 1, 1), 7),  # 42 CFR 438.210(d)(1), then CMS-0057-F
])
@pytest.mark.parametrize("inside", [True, False])
def test_days_to_the_end_against_the_renewal_lead_time(db, payer, dos, lead, inside):
    """One day inside the lead time warns; the lead time itself does not."""
    days_left = lead - 1 if inside else lead
    authorize(db, payer=payer["name"], units=10_000, start=dos - timedelta(days=30),
              end=dos + timedelta(days=days_left))
    got = edits(db, dos, **payer)
    assert ("AUTH-EXPIRING" in got) is inside, got
    if inside:
        assert f"{days_left} days after this visit (fewer than the {lead} days" in got["AUTH-EXPIRING"]


@pytest.mark.parametrize(("start", "end", "matched"), [
    (DOS, DOS + timedelta(days=60), True), (DOS - timedelta(days=60), DOS, True),
    (DOS + timedelta(days=1), DOS + timedelta(days=60), False),
    (DOS - timedelta(days=60), DOS - timedelta(days=1), False),
])
def test_an_authorization_binds_from_its_first_through_its_last_day(db, start, end, matched):
    authorize(db, units=10, start=start, end=end)
    assert ("AUTH-EXHAUSTED" in edits(db)) is matched


def test_the_payer_is_matched_by_name_or_id_whatever_the_case_and_the_member_exactly(db):
    auth = authorize(db, units=10)
    auth.payer = "medicare part b"
    db.flush()
    assert "AUTH-EXHAUSTED" in edits(db)
    auth.payer = "MCR01"
    db.flush()
    assert "AUTH-EXHAUSTED" in edits(db, payer_id="mcr01")
    assert edits(db) == {}  # neither the name nor an id matches
    auth.payer, auth.member_id = "Medicare Part B", MEMBER + "X"
    db.flush()
    assert edits(db) == {}


def test_a_visit_scrubbed_again_does_not_count_its_own_earlier_use(db):
    auth = authorize(db, units=100)
    db.add(AuthorizationUse(authorization_id=auth.id, encounter_id="v1", version=1, units=60, grams=Decimal(30),
                            visits=1, by=1))
    db.flush()
    got = edits(db)
    assert "AUTH-EXHAUSTED" not in got and "only 40 units remain" in got["AUTH-EXPIRING"]
    db.add(AuthorizationUse(authorization_id=auth.id, encounter_id="other", version=1, units=41, grams=Decimal(0),
                            visits=1, by=1))
    db.flush()
    assert "60 units needed, 59 left" in edits(db)["AUTH-EXHAUSTED"]


def test_consume_records_what_the_claim_bills_and_a_re_export_replaces_it(db):
    auth = authorize(db, units=1_000)
    enc, result = visit()
    assert ledger.consume(db, enc, result, version=1, user_id=1) == [auth.id]
    assert ledger.consume(db, enc, result, version=2, user_id=1) == [auth.id]
    assert ledger.used(db, auth.id) == ledger.Amounts(60, Decimal(30), 1)
    assert ledger.remaining(auth, ledger.used(db, auth.id)) == {"units": 940, "grams": None, "visits": None}
