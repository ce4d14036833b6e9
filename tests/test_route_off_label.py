"""DX-ROUTE-OFF-LABEL: three 10 % products are labeled for both routes, but subcutaneous for primary humoral
immunodeficiency (PI) only: Gamunex-C and Gammaked ("Intravenous or Subcutaneous Administration: PI; Intravenous
Administration Only: ITP and CIDP") and Gammagard Liquid (PI by either route; MMN and CIDP intravenous only), per
their FDA-approved prescribing information on DailyMed. Given SC for a chart whose diagnoses name no primary
immunodeficiency, the claim warns (a payer may still cover an off-label use), with the drug's units at stake.
Products labeled SC for all their uses (Hizentra, HyQvia, Cuvitru, Xembify, Cutaquig) never warn.

igclaim reads PI as ICD-10-CM D80-D84 and G11.3, less the secondary immunodeficiencies D84.81 and D84.82-."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from igclaim.refdata.resolver import reference
from tests.test_edits_support import build, chart, ids, only, scrub

GAMUNEX_LABEL = "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=ade6b84a-e95b-0a49-3296-f56208fdf35b"
GAMMAGARD_LABEL = "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=9d42adca-0dd7-4df7-864d-5a7feee52130"
GAMMAKED_LABEL = "https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=GAMMAKED"
ROOT = Path(__file__).resolve().parents[1]
PI_READING = ("(igclaim reads primary humoral immunodeficiency as ICD-10-CM D80, D81, D82, D83, D84, G11.3 less "
              "D84.81, D84.82)")


def sc_chart(product: str = "Gamunex-C", diagnoses: tuple[str, ...] = ("G61.81",), route: str = "SC",
             grams: int = 10) -> dict:
    drug = {"id": "ig1", "product": product, "route": route, "dose": {"grams": grams},
            "containers": [{"grams": grams, "count": 1}]}
    return chart(diagnoses=list(diagnoses), payer={"type": "commercial", "name": "Commercial plan"},
                 drugs=[drug], administrations=[{"drug_id": "ig1", "start": "2026-03-02T10:00",
                                                  "stop": "2026-03-02T11:30"}])


def test_gamunex_c_given_sc_for_cidp_warns_with_its_units_and_label():
    f = only(build(sc_chart()), "DX-ROUTE-OFF-LABEL")
    assert (f.severity, f.line, f.impact_units, f.source) == ("warning", None, -20, GAMUNEX_LABEL)  # 10 g = 20 × 500 mg
    assert f.message == ("drugs[0]: Gamunex-C is given SC; its label allows SC for primary humoral immunodeficiency "
                         f"only, and none of the chart's diagnoses (G61.81) is one {PI_READING}.")
    assert f.fix.startswith("Check the route and the diagnosis in the chart")
    assert f.causes == (("drug", "drugs[0]"),)


@pytest.mark.parametrize(("dx", "warns"), [
    ("D80.0", False), ("D80.1", False), ("D81.9", False), ("D82.0", False), ("D83.9", False), ("D84.9", False),
    ("D84.89", False), ("G11.3", False),
    ("D84.81", True), ("D84.821", True), ("D84.822", True), ("D89.9", True), ("G11.4", True), ("D69.3", True),
    ("G61.81", True), ("G61.82", True), ("D86.9", True), ("G11.2", True),
])
def test_each_side_of_the_primary_immunodeficiency_codes(dx, warns):
    assert ("DX-ROUTE-OFF-LABEL" in ids(build(sc_chart(diagnoses=(dx,))))) is warns


def test_one_primary_immunodeficiency_among_the_diagnoses_is_enough():
    assert "DX-ROUTE-OFF-LABEL" not in ids(build(sc_chart(diagnoses=("G61.81", "D80.0"))))
    assert "DX-ROUTE-OFF-LABEL" in ids(build(sc_chart(diagnoses=("G61.81", "D84.81"))))


def test_the_same_products_given_iv_never_warn():
    for product in ("Gamunex-C", "Gammaked", "Gammagard Liquid"):
        assert "DX-ROUTE-OFF-LABEL" not in ids(build(sc_chart(product, route="IV")))


@pytest.mark.parametrize(("product", "dx", "label"), [
    ("Gammaked", "D69.3", GAMMAKED_LABEL), ("Gammagard Liquid", "G61.82", GAMMAGARD_LABEL),
    ("Gammagard Liquid", "G61.81", GAMMAGARD_LABEL),
])
def test_gammaked_and_gammagard_liquid_too(product, dx, label):
    f = only(build(sc_chart(product, (dx,))), "DX-ROUTE-OFF-LABEL")
    assert (f.source, f.impact_units) == (label, -20)
    assert f.message.startswith(f"drugs[0]: {product} is given SC; ")


@pytest.mark.parametrize("product", ["Hizentra", "HyQvia", "Cuvitru", "Xembify", "Cutaquig"])
def test_products_labeled_sc_for_all_their_uses_never_warn(product):
    assert "DX-ROUTE-OFF-LABEL" not in ids(build(sc_chart(product, ("G61.81",), grams=4)))


def test_a_chart_that_names_only_the_code_is_judged_by_every_product_of_it():
    """J1561 is Gamunex-C and Gammaked: both are SC for PI only, so the code alone warns, named as the chart names
    it."""
    c = sc_chart()
    c["drugs"][0] = {"id": "ig1", "hcpcs": "J1561", "route": "SC", "dose": {"grams": 10},
                     "containers": [{"grams": 10, "count": 1}]}
    f = only(build(c), "DX-ROUTE-OFF-LABEL")
    assert f.message.startswith("drugs[0]: J1561 is given SC; ")


def test_no_diagnosis_leaves_it_to_dx_missing():
    r = build(sc_chart(diagnoses=()))
    assert "DX-ROUTE-OFF-LABEL" not in ids(r)
    assert "DX-MISSING" in ids(r)


def test_on_scrub_the_written_lines_units_and_first_line_are_named():
    def fewer(c):
        c["lines"][0]["units"] = 18

    f = only(scrub(sc_chart(), fewer), "DX-ROUTE-OFF-LABEL")
    assert (f.line, f.impact_units) == (1, -18)


def test_the_label_data():
    """products.toml: exactly these three products limit the SC route, each to PI, each citing its DailyMed label."""
    ref = reference()
    limited = {p.name: (p.sc_labeled_for, p.label) for p in ref.products if p.sc_labeled_for is not None}
    assert {n: label for n, (_, label) in limited.items()} == {
        "Gamunex-C": GAMUNEX_LABEL, "Gammaked": GAMMAKED_LABEL, "Gammagard Liquid": GAMMAGARD_LABEL}
    for name, (uses, _) in limited.items():
        assert "SC" in next(p for p in ref.products if p.name == name).routes
        assert (uses.name, uses.prefixes, uses.excepted) == (
            "primary humoral immunodeficiency", ("D80", "D81", "D82", "D83", "D84", "G11.3"), ("D84.81", "D84.82"))


# --- an 837 scrubbed without its chart: JB says the route, the code names the products -------------------------

def _837(dx: str, code_and_modifiers: str) -> str:
    from igclaim.inputs import parse_json_text
    from igclaim.outputs import chargemaster, x12

    text = x12.to_837(parse_json_text((ROOT / "examples/parties/office-gamunex-jz.json").read_text()),
                      chargemaster.load("sample"))
    assert "HI*ABK:D839~" in text and "SV1*HC:J1561:JZ*" in text
    return text.replace("HI*ABK:D839~", f"HI*ABK:{dx}~").replace("SV1*HC:J1561:JZ*", f"SV1*HC:{code_and_modifiers}*")


def _alone(text: str):
    import io

    from igclaim.readers.scrub import scrub_837

    [done] = list(scrub_837(io.StringIO(text)))
    assert done.result is not None and "SCRUB-NO-CHART" in ids(done.result)
    return done.result


def test_an_837_alone_with_jb_on_j1561_for_cidp_warns():
    f = only(_alone(_837("G6181", "J1561:JB:JZ")), "DX-ROUTE-OFF-LABEL")
    assert (f.severity, f.line, f.impact_units, f.source) == ("warning", 1, -60, GAMUNEX_LABEL)
    assert f.message == ("Line 1: J1561 (Gamunex-C, Gammaked) carries JB, given SC; its label allows SC for primary "
                         "humoral immunodeficiency only, and none of the claim's diagnoses (G61.81) is one "
                         f"{PI_READING}.")


@pytest.mark.parametrize(("dx", "line"), [("D839", "J1561:JB:JZ"), ("G6181", "J1561:JA:JZ"), ("G6181", "J1561:JZ"),
                                          ("G6181", "J1559:JB:JZ"), ("D80", "J1561:JB:JZ")])
def test_an_837_alone_on_label_iv_or_another_product_does_not(dx, line):
    assert "DX-ROUTE-OFF-LABEL" not in ids(_alone(_837(dx, line)))


def test_an_837_alone_with_jb_on_j1569_for_mmn_names_gammagard_liquid():
    f = only(_alone(_837("G6182", "J1569:JB:JZ")), "DX-ROUTE-OFF-LABEL")
    assert f.source == GAMMAGARD_LABEL and f.message.startswith("Line 1: J1569 (Gammagard Liquid) carries JB, given SC")


def test_every_diagnosis_is_named_when_none_is_the_indication():
    f = only(build(sc_chart(diagnoses=("G61.81", "D69.3"))), "DX-ROUTE-OFF-LABEL")
    assert "none of the chart's diagnoses (G61.81, D69.3) is one" in f.message


def test_the_sc_drug_is_judged_whatever_drugs_come_before_it():
    """A premedication (IV) and an SC product labeled for every use (Hizentra) listed first: Gamunex-C SC is still
    judged."""
    c = sc_chart()
    c["drugs"][:0] = [{"id": "pre", "hcpcs": "J1200", "units": 1, "route": "IV"},
                      {"id": "hiz", "product": "Hizentra", "route": "SC", "dose": {"grams": 4},
                       "containers": [{"grams": 4, "count": 1}]}]
    c["administrations"][:0] = [
        {"drug_id": "pre", "method": "push", "start": "2026-03-02T09:40", "stop": "2026-03-02T09:42"},
        {"drug_id": "hiz", "start": "2026-03-02T09:45", "stop": "2026-03-02T09:58"}]
    f = only(build(c), "DX-ROUTE-OFF-LABEL")
    assert f.message.startswith("drugs[2]: Gamunex-C is given SC; ") and f.causes == (("drug", "drugs[2]"),)


def test_a_drug_named_by_its_ndc_alone_is_named_by_its_product():
    c = sc_chart()
    c["drugs"][0] = {"id": "ig1", "ndc": "13533-0805-11", "route": "SC", "dose": {"grams": 10},
                     "containers": [{"grams": 10, "count": 1}]}
    assert only(build(c), "DX-ROUTE-OFF-LABEL").message.startswith("drugs[0]: Gamunex-C is given SC; ")


def test_the_finding_without_exceptions_or_a_label():
    """An indication with no excepted codes says no "less"; a product with no label cites the catalog's FDA page."""
    from dataclasses import replace

    from igclaim.coding.drug import FDA_IMMUNE_GLOBULINS
    from igclaim.edits.diagnosis import off_label
    from igclaim.refdata.resolver import LabelIndication

    gamunex = next(p for p in reference().products if p.name == "Gamunex-C")
    uses = LabelIndication("PI", ("D80",), (), "https://example.org/icd")
    f = off_label("drugs[0]: X is given SC", uses, ["G61.81"], "the chart's", [replace(gamunex, label=None)], None, 4)
    assert f.message == ("drugs[0]: X is given SC; its label allows SC for PI only, and none of the chart's diagnoses "
                         "(G61.81) is one (igclaim reads PI as ICD-10-CM D80).")
    assert (f.source, f.impact_units, f.line) == (FDA_IMMUNE_GLOBULINS, -4, None)


@pytest.mark.parametrize("hizentra", ["J1559:JB:", "J1559:"])
def test_an_837_alone_names_each_jb_line_whatever_lines_come_before_it(hizentra):
    """Hizentra's line first, with JB (labeled SC for every use) or without (not given SC, as the claim says)."""
    from igclaim.inputs import parse_json_text
    from igclaim.outputs import chargemaster, x12

    c = json.loads((ROOT / "examples/parties/office-gamunex-jz.json").read_text())
    c["drugs"][:0] = [{"id": "hiz", "product": "Hizentra", "route": "SC", "dose": {"grams": 4},
                       "containers": [{"grams": 4, "count": 1}]}]
    c["administrations"][:0] = [{"drug_id": "hiz", "start": "2026-03-02T08:45", "stop": "2026-03-02T08:58"}]
    c["diagnoses"] = ["G61.81"]
    text = x12.to_837(parse_json_text(json.dumps(c)), chargemaster.load("sample"))
    text = text.replace("SV1*HC:J1559:", f"SV1*HC:{hizentra}").replace("SV1*HC:J1561:", "SV1*HC:J1561:JB:")
    assert text.count(":JB:") == hizentra.count("JB") + 1
    f = only(_alone(text), "DX-ROUTE-OFF-LABEL")
    assert f.message.startswith("Line 2: J1561 (Gamunex-C, Gammaked) carries JB")


def test_an_837_alone_without_diagnoses_leaves_it_to_dx_missing():
    import io

    from igclaim.readers.scrub import scrub_837

    text = _837("D839", "J1561:JB:JZ").replace("HI*ABK:D839~", "")
    result = next(d.result for d in scrub_837(io.StringIO(text)) if d.result is not None)
    assert "DX-MISSING" in ids(result) and "DX-ROUTE-OFF-LABEL" not in ids(result)
