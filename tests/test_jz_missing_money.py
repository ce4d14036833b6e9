"""A single-dose drug line with neither JZ nor a JW line: required from 2023-07-01, and from 2023-10-01 Medicare
returns such a claim as unprocessable until it is corrected (Noridian JF Part B, "Drug Wastage - JW and JZ
Modifiers": "As of October 1, 2023, CMS rejects 'single dose' drug claims without modifier JZ or JW"). From that date
DRUG-JZ-MISSING puts the line's units (and their payment) at stake, as CLAIM-POINTER-INVALID does for a line the
claim cannot be processed with; before it, the modifier is required (audits) but no payment is held."""

from __future__ import annotations

import pytest

from tests.test_edits_support import chart, only, scrub
from tests.test_home_pump_kx import _alone


def office(dos: str, **changes) -> dict:
    return chart(date_of_service=dos,
                 administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T14:00"}], **changes)


def _no_jz(c: dict) -> None:
    c["lines"][0]["modifiers"] = [m for m in c["lines"][0]["modifiers"] if m != "JZ"]


@pytest.mark.parametrize(("dos", "at_stake"), [("2023-07-01", None), ("2023-09-30", None), ("2023-10-01", -60),
                                               ("2026-03-02", -60)])
def test_the_line_is_at_stake_from_2023_10_01(dos, at_stake):
    f = only(scrub(office(dos), _no_jz), "DRUG-JZ-MISSING")
    assert (f.severity, f.line, f.impact_units) == ("error", 1, at_stake)
    returned = "Original Medicare Part B returns a claim without it as unprocessable (from 2023-10-01)"
    assert (returned in f.message) is (at_stake is not None)


def test_the_money_at_stake_is_the_lines_payment():
    f = only(scrub(office("2026-03-02"), _no_jz), "DRUG-JZ-MISSING")
    assert f.impact_usd is not None and f.impact_usd < 0
    line = scrub(office("2026-03-02")).claim.lines[0]
    assert line.expected_payment is not None and f.impact_usd == -line.expected_payment
    assert f.message == ("Line 1: nothing of Gamunex-C was discarded and Original Medicare Part B requires JZ on "
                         "2026-03-02; Original Medicare Part B returns a claim without it as unprocessable (from "
                         "2023-10-01).")


def test_a_plan_that_returns_nothing_puts_nothing_at_stake():
    advantage = office("2026-03-02", payer={"type": "medicare_advantage", "name": "MA plan",
                                            "prior_authorization": {"number": "PA1"}})
    f = only(scrub(advantage, _no_jz), "DRUG-JZ-MISSING")
    assert f.impact_units is None and "unprocessable" not in f.message


@pytest.mark.parametrize(("dos", "at_stake"), [("2023-09-30", None), ("2023-10-01", -40)])
def test_an_837_alone_too(dos, at_stake):
    f = only(_alone([{"code": "J1561", "modifiers": [], "units": 40}], dos=dos, setting="office"), "DRUG-JZ-MISSING")
    assert f.impact_units == at_stake
    assert ("unprocessable" in f.message) is (at_stake is not None)


def test_every_line_of_the_drug_without_jz_is_at_stake(tmp_path):
    """One line per NDC (a profile that wants NDCs): 15 g from a 10 g and a 5 g vial bill 20 and 10 units; without
    JZ on either, the claim is returned with both."""
    (tmp_path / "ndc.toml").write_text(
        '[profile]\nname = "ndc"\ntitle = "NDC lines"\npayer_types = []\noriginal_medicare = true\n'
        'extends = "medicare-part-b"\n\n[parameters.ndc_required]\nlabel = "n"\nsource = "s"\n'
        'values = { "2000-01-01" = true }\n', encoding="utf-8")
    two_ndcs = {"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 15},
                "containers": [{"ndc": "13533-0805-11", "count": 1}, {"ndc": "13533-0805-01", "count": 1}]}
    enc = office("2026-03-02", drugs=[two_ndcs], payer={"type": "medicare", "profile": str(tmp_path / "ndc.toml")})

    def no_jz_anywhere(c: dict) -> None:
        for ln in c["lines"]:
            ln["modifiers"] = [m for m in ln["modifiers"] if m != "JZ"]

    assert [ln.units for ln in scrub(enc).claim.lines if ln.code == "J1561"] == [20, 10]
    f = only(scrub(enc, no_jz_anywhere), "DRUG-JZ-MISSING")
    assert (f.line, f.impact_units) == (1, -30)


def test_a_jw_line_satisfies_the_payers_edit_so_nothing_is_held():
    """A spurious JW line and no JZ: DRUG-JW-NOT-ALLOWED refuses the JW line; the claim is not returned for a
    missing JZ, so no payment is held by DRUG-JZ-MISSING."""
    def jw_instead_of_jz(c: dict) -> None:
        _no_jz(c)
        c["lines"].insert(1, dict(c["lines"][0], line=2, modifiers=["JW"], units=2))
        for n, ln in enumerate(c["lines"], start=1):
            ln["line"] = n

    r = scrub(office("2026-03-02"), jw_instead_of_jz)
    f = only(r, "DRUG-JZ-MISSING")
    assert f.impact_units is None and "unprocessable" not in f.message
    assert only(r, "DRUG-JW-NOT-ALLOWED").line == 2
