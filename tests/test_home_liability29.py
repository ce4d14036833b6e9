"""A Medicare home claim with an IV and a SC immune globulin: each drug's lines take their own liability modifier.
Home IVIG is a Part B benefit for primary immune deficiency only: outside it, DME MAC article A52509 denies the drug
and its supplies (Q2052) as noncovered, no benefit category, so GY (docs reference §7). A SC immune globulin by pump
outside the diagnoses of article A52507 (LCD L33794) is a medical-necessity denial: GA with a signed ABN, GZ
without, in place of KX. One merged verdict used to ask GY on every line, the SC drug's too (and on a covered SC
drug's line beside a home IVIG outside the benefit)."""

from __future__ import annotations

from tests.test_edits_support import build, chart, ids, only, scrub

IVIG = {"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
        "containers": [{"grams": 10, "count": 3}]}
SCIG = {"id": "ig2", "product": "Hizentra", "route": "SC", "dose": {"grams": 10},
        "containers": [{"grams": 10, "count": 1}]}


def home(dx: str, **payer) -> dict:
    """Myasthenia gravis (G70.00): neither primary immune deficiency nor on A52507 groups 3/6. CIDP (G61.81):
    outside the home IVIG benefit, but A52507 group 6 covers Hizentra for it."""
    return chart(setting="home", diagnoses=[dx], drugs=[IVIG, SCIG],
                 payer={"type": "medicare", "name": "Medicare Part B", **payer},
                 administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"},
                                  {"drug_id": "ig2", "start": "2026-03-02T15:00", "stop": "2026-03-02T16:30"}])


def asked(result) -> dict[int, str]:
    """The modifier PAYER-ABN-MODIFIER asks on each line."""
    out = {}
    for f in result.findings:
        if f.edit == "PAYER-ABN-MODIFIER" and f.line is not None:
            out[f.line] = f.fix.split(" with ")[-1].split(" ")[0] if f.fix.startswith("Replace") \
                else f.fix.split(" ")[1]
    return out


def codes(claim: dict) -> dict[str, int]:
    return {ln["code"]: ln["line"] for ln in claim["lines"]}


def _set(modifiers: dict[str, str]):
    def change(c: dict) -> None:
        for ln in c["lines"]:
            m = modifiers.get(ln["code"])
            if m:
                ln["modifiers"] = [x for x in ln["modifiers"] if x != "KX"] + [m]
    return change


def test_each_drug_gets_its_own_modifier_on_scrub():
    enc = home("G70.00")
    r = scrub(enc)
    want = {1: "GY", 2: "GZ", 3: "GY"}  # J1561 (IV), J1559 (SC by pump), Q2052 (the IVIG's supplies)
    assert asked(r) == want, [(f.line, f.message) for f in r.findings if f.edit == "PAYER-ABN-MODIFIER"]
    assert asked(scrub(home("G70.00", abn_signed=True))) == {1: "GY", 2: "GA", 3: "GY"}


def test_the_right_claim_is_silent_and_gy_on_the_scig_is_wrong():
    right = scrub(home("G70.00"), _set({"J1561": "GY", "Q2052": "GY", "J1559": "GZ"}))
    assert "PAYER-ABN-MODIFIER" not in ids(right)
    assert "PAYER-KX-MODIFIER" not in ids(right)
    wrong = only(scrub(home("G70.00"), _set({"J1561": "GY", "Q2052": "GY", "J1559": "GY"})), "PAYER-ABN-MODIFIER")
    assert wrong.line == 2 and wrong.fix == "Replace GY with GZ on line 2."


def test_build_names_each_drugs_modifier():
    msg = only(build(home("G70.00")), "PAYER-ABN-MODIFIER").message
    assert "Gamunex-C (IV) has no benefit category, so add GY" in msg
    assert "Hizentra (SC) may not be medically necessary" in msg and "add GZ to its lines" in msg


def test_a_covered_scig_beside_home_ivig_outside_the_benefit_is_not_asked_gy():
    r = scrub(home("G61.81"))
    assert asked(r) == {1: "GY", 3: "GY"}  # the Hizentra line (2) keeps KX: A52507 group 6 covers it
    right = scrub(home("G61.81"), _set({"J1561": "GY", "Q2052": "GY"}))
    assert not ids(right) & {"PAYER-ABN-MODIFIER", "PAYER-KX-MODIFIER"}
    assert "Gamunex-C (IV)" in only(build(home("G61.81")), "PAYER-ABN-MODIFIER").message


def test_a_covered_scig_line_without_kx_beside_home_ivig_outside_the_benefit_is_told_to_carry_it():
    """Per drug, the covered Hizentra line is not PAYER-ABN-MODIFIER's: without KX (or GA/GZ) it is told by
    PAYER-KX-MODIFIER, which the DME MACs' rule asks of a pump drug's line (a hand mutation that left every line
    to PAYER-ABN-MODIFIER survived the tests above)."""
    def no_kx(c: dict) -> None:
        _set({"J1561": "GY", "Q2052": "GY"})(c)
        for ln in c["lines"]:
            if ln["code"] == "J1559":
                ln["modifiers"] = [m for m in ln["modifiers"] if m != "KX"]
    r = scrub(home("G61.81"), no_kx)
    assert "PAYER-ABN-MODIFIER" not in ids(r)
    assert only(r, "PAYER-KX-MODIFIER").line == 2


def test_a_claim_whose_drug_ids_differ_from_an_earlier_ones_is_asked_too():
    """The coverage verdict is shared by the claims of the same products and diagnoses whatever their drug ids
    (`coverage_facts`): `by_drug` named the first claim's ids, so a later claim of other ids had none of its lines
    asked (silent where GY and GZ are needed)."""
    assert asked(scrub(home("G70.00"))) == {1: "GY", 2: "GZ", 3: "GY"}
    other = home("G70.00")
    for d, a, new in zip(other["drugs"], other["administrations"], ("iv-a", "sc-b"), strict=True):
        d["id"] = a["drug_id"] = new
    assert asked(scrub(other)) == {1: "GY", 2: "GZ", 3: "GY"}
    right = scrub(other, _set({"J1561": "GY", "Q2052": "GY", "J1559": "GZ"}))
    assert not ids(right) & {"PAYER-ABN-MODIFIER", "PAYER-KX-MODIFIER"}


def _one(drug: dict, dx: str) -> dict:
    enc = home(dx)
    enc["drugs"] = [drug]
    enc["administrations"] = [a for a in enc["administrations"] if a["drug_id"] == drug["id"]]
    return enc


def _dx(result) -> list[tuple[str, int | None]]:
    """DX-NOT-COVERED's findings as (severity, units at stake)."""
    return [(f.severity, f.impact_units) for f in result.findings if f.edit == "DX-NOT-COVERED"]


def test_dx_not_covered_on_the_right_mixed_claim_is_told_as_on_each_right_single_drug_claim():
    """One finding per product not covered, each as the claim of that product alone with the same modifiers: the
    home IVIG with GY on its lines a warning (the denial is expected), the SC drug with GZ an error. One merged
    finding used to be an error, since the SC drug's lines did not carry GY."""
    single_iv = _dx(scrub(_one(IVIG, "G70.00"), _set({"J1561": "GY", "Q2052": "GY"})))
    single_sc = _dx(scrub(_one(SCIG, "G70.00"), _set({"J1559": "GZ"})))
    assert single_iv == [("warning", -60)] and single_sc == [("error", -100)]
    mixed = scrub(home("G70.00"), _set({"J1561": "GY", "Q2052": "GY", "J1559": "GZ"}))
    assert sorted(_dx(mixed)) == sorted(single_iv + single_sc)
    said = {f.line: f.message for f in mixed.findings if f.edit == "DX-NOT-COVERED"}
    assert said.keys() == {1, 2}  # each on its own drug's line
    assert "Gamunex-C (IV)" in said[1] and "Hizentra" not in said[1] and "GY is on the lines" in said[1]
    assert "Hizentra (SC)" in said[2] and "Gamunex-C" not in said[2]


def test_dx_not_covered_beside_a_covered_scig_is_a_warning_when_the_ivig_carries_gy():
    right = scrub(home("G61.81"), _set({"J1561": "GY", "Q2052": "GY"}))
    assert _dx(right) == _dx(scrub(_one(IVIG, "G61.81"), _set({"J1561": "GY", "Q2052": "GY"}))) == [("warning", -60)]


def test_a_wrongly_modified_mixed_claim_is_still_an_error():
    no_gy = scrub(home("G61.81"), _set({"J1559": "GY"}))  # GY on the covered SC drug, none on the IVIG
    assert _dx(no_gy) == [("error", -60)]
    assert "PAYER-ABN-MODIFIER" in ids(no_gy, "error")
    gz_on_iv = scrub(home("G70.00"), _set({"J1561": "GZ", "Q2052": "GY", "J1559": "GZ"}))
    assert sorted(_dx(gz_on_iv)) == [("error", -100), ("error", -60)]
    assert only(gz_on_iv, "PAYER-ABN-MODIFIER").line == 1


def test_an_administration_line_written_on_a_mixed_home_claim_is_not_asked_a_liability_modifier():
    """Products denied each its own way (GY, GZ): which one an administration line would follow is not judged (a
    DME MAC claim bills none; edits/payer.py `_admin_lines_per_drug`), rather than asking the claim's merged GY."""
    def with_admin(c: dict) -> None:
        _set({"J1561": "GY", "Q2052": "GY", "J1559": "GZ"})(c)
        c["lines"].append({"line": 4, "code": "96365", "modifiers": [], "units": 1, "diagnosis_pointers": [1]})
    r = scrub(home("G70.00"), with_admin)
    assert not [f for f in r.findings if f.edit == "PAYER-ABN-MODIFIER" and f.line == 4]
