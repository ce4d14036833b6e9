"""Audit 5, drug lines: rules whose deliberate breakage the rest of the suite did not catch (codes, NDCs, the
catalog's packages against the CMS crosswalk, the NOS codes of each form)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from igclaim import engine
from igclaim import ndc as ndc_mod
from igclaim.errors import InputError
from igclaim.inputs import parse_encounter
from igclaim.outputs import chargemaster, x12
from igclaim.readers.scrub import scrub_837
from igclaim.refdata import store
from igclaim.refdata.resolver import reference
from tests.helpers import encounter, ids, run

ROOT = Path(__file__).resolve().parents[1]
CROSSWALK = ROOT / "src" / "igclaim" / "refdata" / "cms" / "snapshot" / "asp-ndc-hcpcs-crosswalk-2026q1.csv"
ENVELOPE = x12.Envelope(created=datetime(2026, 3, 6, 12, 0))


def _837_alone(replace: dict[str, str], name: str = "office-gamunex-jz", **changes):
    """A clean office claim (examples/parties) as an 837 with some text replaced (SE01 recounted), scrubbed
    without its chart."""
    data = json.loads((ROOT / "examples" / "parties" / f"{name}.json").read_text())
    data.update(changes)
    sample = chargemaster.load("sample")
    charges = chargemaster.Chargemaster({**sample.charges, "C9072": Decimal("5.00")}, sample.source, sample.sample)
    text = x12.to_837(parse_encounter(data), charges, envelope=ENVELOPE)
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    segs = [x.strip() for x in text.split("~") if x.strip()]
    st = next(i for i, x in enumerate(segs) if x.startswith("ST*"))
    se = next(i for i, x in enumerate(segs) if x.startswith("SE*"))
    segs[se] = f"SE*{se - st + 1}*{segs[se].split('*')[2]}"
    text = "".join(x + "~\n" for x in segs)
    [item] = list(scrub_837(io.StringIO(text), None))
    assert item.error is None
    return item.result


def test_an_ndc_of_a_product_without_its_own_code_calls_for_the_nos_code():
    """Yimmugo has no code of its own in the CMS HCPCS file (October 2025), so its NDC is billed with J1599, the NOS
    code of a liquid intravenous immune globulin (HCPCS descriptor: "Injection, immune globulin, intravenous,
    non-lyophilized (e.g., liquid), not otherwise specified, 500 mg"). An 837 alone billing Yimmugo's NDC with
    Gamunex-C's J1561 is told: the NDC calls for J1599
    (https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update)."""
    r = _837_alone({"N4*13533080511": "N4*70573060511"})
    [f] = [f for f in r.findings if f.edit == "DRUG-NDC-MISMATCH"]
    assert "J1599" in f.message and "J1561" in f.message


def test_a_directory_package_of_another_product_does_not_size_this_products_container(home, tmp_path):
    """The NDC's middle segment is the product code (21 CFR 207.35; FDA NDC Directory,
    https://www.fda.gov/drugs/drug-approvals-and-databases/national-drug-code-directory): a package the imported
    FDA NDC Directory lists under Takeda's Gammagard Liquid product (0944-2700) is not a Cuvitru (0944-2850)
    container, although both have the labeler 0944. Charting it as Cuvitru's container is refused, not billed as
    40 mL of Cuvitru."""
    pkg = tmp_path / "package.txt"
    pkg.write_text("PRODUCTID\tPRODUCTNDC\tNDCPACKAGECODE\tPACKAGEDESCRIPTION\tSTARTMARKETINGDATE\tENDMARKETINGDATE\t"
                   "NDC_EXCLUDE_FLAG\tSAMPLE_PACKAGE\n"
                   "0944-2700_synthetic-1\t0944-2700\t0944-2700-09\t1 VIAL, GLASS in 1 CARTON (0944-2700-09) > 40 mL "
                   "in 1 VIAL, GLASS\t20260101\t\tN\tN\n")
    store.import_file("ndc_directory", pkg)
    store.invalidate()

    def cuvitru(ndc: str):
        return run(encounter(drugs=[{"id": "ig1", "product": "Cuvitru", "route": "SC", "dose": {"grams": 8},
                                     "containers": [{"ndc": ndc}]}]))

    with pytest.raises(InputError):
        cuvitru("0944-2700-09")
    # a directory package of Cuvitru's own product code is still read (the control)
    pkg.write_text(pkg.read_text().replace("0944-2700", "0944-2850"))
    store.import_file("ndc_directory", pkg)
    store.invalidate()
    assert [(ln.code, ln.units) for ln in cuvitru("0944-2850-09").claim.lines if ln.code.startswith("J")] == [
        ("J1555", 80)]


def _crosswalk_rows():
    lines = CROSSWALK.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, ln in enumerate(lines) if ln.startswith("_2026_CODE"))
    return list(csv.DictReader(io.StringIO("".join(lines[start:]))))


def test_every_immune_globulin_package_of_the_crosswalk_is_in_the_catalog():
    """The CMS ASP NDC-HCPCS crosswalk of January 2026 (https://www.cms.gov/medicare/payment/part-b-drugs/
    asp-pricing-files) lists each immune globulin package with its code: each is a package of the product catalog,
    of a product billed with that code (its own, or J1566 for a powder without one), so a chart naming the package's
    NDC is coded (a typo in the catalog's NDC would refuse it)."""
    ref = reference()
    igs = {c for c, recs in ref.codes.items() for r in recs if r.kind in ("ig", "ig_nos")}
    checked = 0
    for row in _crosswalk_rows():
        code = (row["_2026_CODE"] or "").strip()
        if code not in igs:
            continue
        hit = ref.package_by_ndc(ndc_mod.compact(row["NDC2"]))
        assert hit is not None, (code, row["NDC2"])
        product, _ = hit
        assert code in {c.code for c in product.codes} or (not product.codes and code == "J1566"), (code, product)
        checked += 1
    assert checked >= 25
    r = run(encounter(drugs=[{"id": "ig1", "product": "Alyglo", "route": "IV", "dose": {"grams": 10},
                              "containers": [{"ndc": "61476-0104-05", "count": 2}]}]))
    assert [(ln.code, ln.units) for ln in r.claim.lines if ln.code.startswith("J")] == [("J1552", 20)]


def test_the_powder_nos_code_billed_for_a_liquid_without_its_own_code_is_the_wrong_code():
    """Yimmugo is a liquid (10 %) without a code of its own: its code is J1599, the NOS code of a non-lyophilized
    (liquid) immune globulin. J1566 is the NOS code of a lyophilized (powder) one (HCPCS descriptors,
    https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update): billed for
    Yimmugo it is another code than the product's, and the scrub says so."""
    enc = encounter(drugs=[{"id": "ig1", "product": "Yimmugo", "route": "IV", "dose": {"grams": 10},
                            "containers": [{"grams": 10}]}],
                    claim={"lines": [{"line": 1, "code": "J1566", "units": 20, "modifiers": ["JZ"]},
                                     {"line": 2, "code": "96365", "units": 1},
                                     {"line": 3, "code": "96366", "units": 4}]})
    r = engine.scrub(parse_encounter(enc))
    [f] = [f for f in r.findings if f.edit == "DRUG-CODE-MISMATCH"]
    assert f.line == 1 and "J1599" in f.message
    # J1599 is itself a NOS code: Yimmugo has no code of its own for DRUG-NOS-CODE to name
    assert "DRUG-NOS-CODE" not in ids(r)


def test_the_jw_line_needs_the_route_modifier_too():
    """First Coast's billing article A57778 (https://www.cms.gov/medicare-coverage-database/view/article.aspx?
    articleId=57778) asks JA (intravenous) or JB (subcutaneous) on J1561 and J1569, codes given both ways: on every
    line of the drug, its JW line of the discarded units as well (igclaim codes it JA + JW). A JW line without JA is
    told, naming that line."""
    enc = encounter(drugs=[{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 25},
                            "containers": [{"grams": 10, "count": 3}]}],
                    claim={"lines": [{"line": 1, "code": "J1561", "units": 50, "modifiers": ["JA"]},
                                     {"line": 2, "code": "J1561", "units": 10, "modifiers": ["JW"]},
                                     {"line": 3, "code": "96365", "units": 1},
                                     {"line": 4, "code": "96366", "units": 4}]})
    r = engine.scrub(parse_encounter(enc), profile="medicare-part-b-first-coast")
    assert [(f.line, "JA" in f.message) for f in r.findings if f.edit == "DRUG-ROUTE-MODIFIER"] == [(2, True)]
    built = engine.build(parse_encounter(enc), profile="medicare-part-b-first-coast")
    assert [tuple(ln.modifiers) for ln in built.claim.lines if ln.code == "J1561"] == [("JA",), ("JA", "JW")]


MEDICAID = {"type": "medicaid", "prior_authorization": {"number": "PA-1", "start": "2019-01-01",
                                                        "end": "2027-12-31", "units": 100000}}


def test_a_jw_line_without_its_ndc_is_missing_the_ndc():
    """Medicaid requires the NDC on every physician-administered drug line for the drug rebates (Deficit Reduction
    Act of 2005; 42 CFR 447.520, https://www.medicaid.gov/medicaid/prescription-drugs/medicaid-drug-rebate-program/
    index.html): the JW line of the discarded units is a drug line too, and one written without its NDC is told."""
    enc = encounter(payer=MEDICAID, drugs=[{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 25},
                                            "ndc": "13533-0805-11",
                                            "containers": [{"ndc": "13533-0805-11", "count": 3}]}],
                    claim={"lines": [{"line": 1, "code": "J1561", "units": 50, "ndc": "13533080511",
                                      "ndc_quantity": 250, "ndc_unit": "ML"},
                                     {"line": 2, "code": "J1561", "units": 10, "modifiers": ["JW"]},
                                     {"line": 3, "code": "96365", "units": 1},
                                     {"line": 4, "code": "96366", "units": 4}]})
    r = engine.scrub(parse_encounter(enc))
    assert [f.line for f in r.findings if f.edit == "DRUG-NDC-MISSING"] == [2]


def test_an_837_alone_whose_jw_line_has_no_ndc_is_missing_the_ndc():
    """Without the chart too: a payer that requires NDCs on drug lines (the generic commercial and Medicaid profiles;
    Medicaid drug rebates, 42 CFR 447.520) needs one on the JW line of the discarded units as on the given line
    (https://www.medicaid.gov/medicaid/prescription-drugs/medicaid-drug-rebate-program/index.html)."""
    payer = {"type": "commercial", "name": "Acme Health", "payer_id": "12345"}
    r = _837_alone({"LIN**N4*69800650301~\nCTP****30*ML~": ""}, name="office-bivigam-jw", payer=payer)
    assert [f.line for f in r.findings if f.edit == "DRUG-NDC-MISSING"] == [2]
    clean = _837_alone({}, name="office-bivigam-jw", payer=payer)
    assert "DRUG-NDC-MISSING" not in {f.edit for f in clean.findings}


def test_a_pass_through_code_billed_in_its_setting_matches_its_products_ndc():
    """Asceniv's pass-through code C9072 (hospital outpatient, 2019-10-01 to 2021-03-31; CMS HCPCS file) is the
    product's own code where it applies, so its NDC 69800-0250-01 billed with it is no crosswalk mismatch: the catalog
    named only the code of a setting-free lookup (J1599) and called igclaim's own correct line a DRUG-NDC-MISMATCH
    error. In the office the same NDC goes with J1599."""
    from tests.helpers import example_input

    enc = example_input("drug-lines/e6-asceniv-c9072-hopd", "2021-03-31")
    enc["drugs"][0]["containers"] = [{"grams": 5, "ndc": "69800-0250-01"}]
    hopd = engine.build(parse_encounter(enc))
    assert [(ln.code, ln.ndc) for ln in hopd.claim.lines if ln.code.startswith(("C", "J"))] == [
        ("C9072", "69800025001")]
    assert not [f.message for f in hopd.findings if f.edit == "DRUG-NDC-MISMATCH"]
    office = engine.build(parse_encounter({**enc, "setting": "office"}))
    assert [ln.code for ln in office.claim.lines if ln.code.startswith("J")] == ["J1599"]
    assert not [f.message for f in office.findings if f.edit == "DRUG-NDC-MISMATCH"]


# Asceniv in 2020: no J-code yet (J1554 from 2021-04-01), its pass-through code C9072 in a hospital outpatient
# department (CMS HCPCS file, 2019-10-01 to 2021-03-31)
ASCENIV_2020 = {"date_of_service": "2020-06-01",
                "drugs": [{"id": "ig1", "product": "Asceniv", "ndc": "69800-0250-01", "route": "IV",
                           "dose": {"grams": 5}, "containers": [{"grams": 5}]}],
                "administrations": [{"drug_id": "ig1", "start": "2020-06-01T08:00", "stop": "2020-06-01T10:00"}]}


def test_an_837i_alone_billing_the_nos_code_for_a_product_with_a_pass_through_code_is_told_it():
    """Asceniv had no J-code before 2021-04-01, but in a hospital outpatient department its pass-through code C9072
    (2019-10-01 to 2021-03-31; CMS HCPCS file) is its own code: an 837I alone billing J1599 with Asceniv's NDC
    in 2020 is DRUG-NOS-CODE naming C9072 (the scrub with the chart says so; alone, the setting-free lookup found no
    code of its own). The same line in the office is billed with J1599 rightly and is not told."""
    r = _837_alone({"HC:C9072": "HC:J1599", "*500~": "*10~"}, "hospital-gamunex", **ASCENIV_2020)
    nos = [f for f in r.findings if f.edit == "DRUG-NOS-CODE"]
    assert len(nos) == 1 and "its own code C9072" in nos[0].message, [(f.edit, f.message) for f in r.findings]
    office = _837_alone({}, "office-gamunex-jz", **ASCENIV_2020)
    assert [ln.code for ln in office.claim.lines if ln.code.startswith("J")] == ["J1599"]
    assert not [f for f in office.findings if f.edit == "DRUG-NOS-CODE"]


def test_a_pass_through_code_billed_outside_its_setting_is_still_an_ndc_mismatch():
    """C9072 applies only in a hospital outpatient department (CMS HCPCS file; OPPS pass-through): an 837P alone
    billing it in the office with Asceniv's NDC is told the NDC calls for J1599 there."""
    r = _837_alone({"HC:J1599": "HC:C9072"}, "office-gamunex-jz", **ASCENIV_2020)
    [f] = [f for f in r.findings if f.edit == "DRUG-NDC-MISMATCH"]
    assert "billed with C9072, but it crosswalks to J1599" in f.message


def test_a_pass_through_line_dated_another_day_than_its_claim_is_read_in_the_claims_setting():
    """An 837I whose statement period starts the day before its C9072 line (2021-03-29 to 2021-03-30; C9072 in force
    to 2021-03-31): the line's NDC is read on the line's own date and still in the hospital outpatient setting, so
    Asceniv's NDC with its pass-through code is no crosswalk mismatch (the other-day lookup is memoised apart)."""
    day = "2021-03-30"
    chart = {**ASCENIV_2020, "date_of_service": day,
             "administrations": [{"drug_id": "ig1", "start": f"{day}T08:00", "stop": f"{day}T10:00"}]}
    same_day = _837_alone({}, "hospital-gamunex", **chart)
    spanning = _837_alone({"RD8*20210330-20210330": "RD8*20210329-20210330"}, "hospital-gamunex", **chart)
    for r in (same_day, spanning):
        assert [(ln.code, ln.ndc) for ln in r.claim.lines if ln.code.startswith("C")] == [("C9072", "69800025001")]
        assert not [f.message for f in r.findings if f.edit in ("DRUG-NDC-MISMATCH", "DRUG-NOS-CODE")]
    assert {str(ln.service_date) for ln in spanning.claim.lines} == {day}
