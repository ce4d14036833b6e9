"""Rule tests written against the survivors of the mutation run over the rule functions the speed work rewrote
(`src/igclaim/coding/`, `src/igclaim/edits/`, 46a9b33 → 06cab90; docs/mutation/speed-refactor.md): each pins a
behaviour an official source states, which a surviving mutant changed without any test noticing."""

from __future__ import annotations

from tests.test_edits_support import build, chart, scrub


def found(result, prefix: str = "") -> list[tuple]:
    """The findings (of one edit family) as (edit, severity, line, message), in the order they are reported."""
    return [(f.edit, f.severity, f.line, f.message) for f in result.findings if f.edit.startswith(prefix)]


def with_privigen(enc: dict, grams: int = 10) -> dict:
    """A second immune globulin, Privigen (its own code J1459: CMS HCPCS file), given after the first."""
    enc["drugs"].append({"id": "ig2", "product": "Privigen", "route": "IV", "dose": {"grams": grams},
                         "containers": [{"grams": grams, "count": 1}]})
    enc["administrations"].append({"drug_id": "ig2", "start": "2026-03-02T14:00", "stop": "2026-03-02T15:00"})
    return enc


# --- edits/drug.py ---------------------------------------------------------------------------------------------
# Each product is billed under its own HCPCS code (CMS HCPCS file): Gamunex-C J1561 (500 mg a unit), Privigen
# J1459 (500 mg a unit).


def test_a_second_products_own_code_is_its_line_when_the_first_products_line_is_left_off():
    """The written claim leaves Gamunex-C's J1561 line off and bills Privigen's 10 g as J1459 × 20, right: the one
    finding is the missing J1561 line; J1459 is Privigen's own code, not a wrong code for Gamunex-C."""
    enc = with_privigen(chart())
    r = scrub(enc, lambda c: c.update(lines=[ln for ln in c["lines"] if ln["code"] != "J1561"]))
    assert found(r) == [("CLAIM-LINE-MISSING", "warning", None, "drugs[0] (Gamunex-C): no drug line is written; the "
                         "chart supports J1561 × 60.")]


def test_a_nos_code_on_the_jw_line_after_the_products_own_code_is_flagged():
    """25 g of Gamunex-C from three 10 g vials: J1561 × 50 given and 10 units discarded. The discard written as
    J1599-JW (NOS, IV liquid) is flagged although the given line comes first with the product's own code: NOS codes
    are only for products without one (CMS HCPCS file)."""
    enc = chart(drug0={"dose": {"grams": 25}})

    def jw_as_nos(c: dict) -> None:
        next(ln for ln in c["lines"] if "JW" in ln["modifiers"])["code"] = "J1599"

    r = scrub(enc, jw_as_nos)
    nos = [f for f in r.findings if f.edit == "DRUG-NOS-CODE"]
    assert [(f.severity, f.line, f.message, f.fix) for f in nos] == [
        ("error", 2, "J1599 (not otherwise specified) billed for Gamunex-C, which has its own code J1561 on "
         "2026-03-02.", "Bill J1561 instead of J1599.")]


def test_route_modifier_checked_on_each_drug_after_one_whose_code_needs_none():
    """First Coast (billing article A57778) requires JA/JB on J1561 and J1569 only: Privigen's J1459 needs none,
    and the Gamunex-C line after it still needs JA."""
    enc = chart(payer={"type": "medicare", "profile": "medicare-part-b-first-coast"},
                drugs=[{"id": "ig1", "product": "Privigen", "route": "IV", "dose": {"grams": 10},
                        "containers": [{"grams": 10, "count": 1}]},
                       {"id": "ig2", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 20},
                        "containers": [{"grams": 10, "count": 2}]}],
                administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"},
                                 {"drug_id": "ig2", "start": "2026-03-02T10:00", "stop": "2026-03-02T13:00"}])
    assert [(ln.code, ln.modifiers) for ln in build(enc).claim.lines[:2]] == [("J1459", ["JZ"]),
                                                                              ("J1561", ["JA", "JZ"])]

    def without_ja(c: dict) -> None:
        for ln in c["lines"]:
            ln["modifiers"] = [m for m in ln["modifiers"] if m != "JA"]

    r = scrub(enc, without_ja)
    assert [(f.edit, f.severity, f.line, f.message, f.fix) for f in r.findings] == [
        ("DRUG-ROUTE-MODIFIER", "error", 2, "Line 2: J1561 given IV needs JA for Original Medicare Part B, First "
         "Coast (JN).", "Add JA to line 2.")]
