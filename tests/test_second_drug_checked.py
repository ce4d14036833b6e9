"""A drug check goes on to the next drug after one it has nothing to say of (mutmut: `continue` → `break` lived in
DRUG-UNITS and DRUG-JW-NOT-ALLOWED, since no test had a second drug after a skipped first)."""

from __future__ import annotations

from tests.test_edits_support import chart, line, only, scrub

CUVITRU = {"id": "ig1", "product": "Cuvitru", "route": "SC", "dose": {"grams": 10},
           "containers": [{"grams": 2, "count": 5}]}
PREMED = {"id": "pre", "hcpcs": "J1200", "units": 1, "route": "IV",
          "containers": [{"units": 1, "count": 1}]}


def two_drugs() -> dict:
    return chart(drugs=[CUVITRU, PREMED],
                 administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:40"},
                                  {"drug_id": "pre", "method": "push", "start": "2026-03-02T08:50",
                                   "stop": "2026-03-02T08:50"}])


def test_wrong_units_of_a_second_drug_after_a_first_billed_in_another_codes_units():
    def recode_and_overbill(c: dict) -> None:
        line(c, "J1555").update(code="J1561", units=20)  # 10 g of Cuvitru as J1561 × 20: the dose is right
        line(c, "J1200").update(units=3)

    f = only(scrub(two_drugs(), recode_and_overbill), "DRUG-UNITS")
    assert (f.impact_units, f.message.startswith("Line 2: billed 3")) == (-2, True)


def test_a_jw_line_of_a_second_drug_after_a_first_without_one():
    def premed_jw(c: dict) -> None:
        pre = line(c, "J1200")
        pre["modifiers"] = ["JW"]

    f = only(scrub(two_drugs(), premed_jw), "DRUG-JW-NOT-ALLOWED")
    assert f.message == "Line 2: JW × 1 for J1200, but nothing was discarded."
