"""The bundled catalog read against the official texts it was written from: each HCPCS code's structured fields
(unit, kind, form, routes) against its CMS long descriptor, each product against its own code's descriptor, and
each package's grams against its volume at the labeled concentration (FDA label) and against its billing units in
the bundled ASP NDC-HCPCS crosswalk. A typo in one of them (a unit
of 500 mg read as a gram, a product's route dropped, a vial's grams doubled) bills the wrong units for every claim
of that code or package, so each is pinned here from the second source, not from the field itself."""

from __future__ import annotations

import re
from datetime import date

import pytest

from igclaim import ndc as ndc_mod
from igclaim.refdata.resolver import reference

REF = reference()
IG_CODES = sorted({rec.code for recs in REF.codes.values() for rec in recs if rec.kind in ("ig", "ig_nos")})
# With the hyperimmune and intramuscular globulins listed for recognition only (not coded, but their routes decide
# whether a claim's diagnoses are covered for them: edits/written.py).
DRUG_CODES = sorted({rec.code for recs in REF.codes.values() for rec in recs
                     if rec.kind in ("ig", "ig_nos", "recognition")})
PRODUCTS = sorted(REF.products, key=lambda p: p.name)
OWN_CODES = [(p, c.code) for p in PRODUCTS for c in p.codes]


def _record(code: str):
    return REF.codes[code][-1]


@pytest.mark.parametrize("code", IG_CODES)
def test_a_codes_unit_is_the_dose_its_descriptor_names(code):
    """'…, 500 mg' is one unit of 500 mg (J1459, J1561…), '100 mg' one of 100 mg (J1551, J1559…), C9072's '10 mg'
    one of 10 mg: the unit every dose is divided by."""
    rec = _record(code)
    named = re.findall(r"(\d+) mg\b", rec.descriptor)
    assert named and rec.unit_mg == int(named[-1]), (code, rec.descriptor, rec.unit_mg)


@pytest.mark.parametrize("code", IG_CODES)
def test_the_nos_codes_are_the_ones_cms_calls_not_otherwise_specified(code):
    rec = _record(code)
    assert (rec.kind == "ig_nos") == ("not otherwise specified" in rec.descriptor), (code, rec.kind)


@pytest.mark.parametrize("code", DRUG_CODES)
def test_a_codes_form_and_route_are_the_ones_its_descriptor_states(code):
    """'non-lyophilized (e.g., liquid)' is a liquid, 'lyophilized (e.g., powder)' a powder, immune
    globulin/hyaluronidase a kit; 'intravenous' puts IV among the routes, 'intramuscular' IM. A descriptor silent
    on one of them leaves it to the products of the code (test_a_product_is_given_as_its_own_code_describes_it)."""
    rec = _record(code)
    text = rec.descriptor
    form = ("kit" if "hyaluronidase" in text else "liquid" if "non-lyophilized" in text
            else "powder" if "lyophilized" in text else None)
    if form is not None:
        assert rec.form == form, (code, rec.form)
    for word, route in (("intravenous", "IV"), ("intramuscular", "IM")):
        if word in text:
            assert route in rec.routes, (code, rec.routes)
    assert rec.routes, code


@pytest.mark.parametrize(("product", "code"), OWN_CODES, ids=[f"{p.name}-{c}" for p, c in OWN_CODES])
def test_a_products_own_code_names_it(product, code):
    """J1559 is Hizentra, not Gammaplex (errata): each product's code names the product in its descriptor."""
    brand = product.name.split()[0].lower()
    assert brand in _record(code).descriptor.lower(), (product.name, code)


@pytest.mark.parametrize(("product", "code"), OWN_CODES, ids=[f"{p.name}-{c}" for p, c in OWN_CODES])
def test_a_product_is_given_as_its_own_code_describes_it(product, code):
    """The product's labeled routes and form are those of its code (Gamunex-C and J1561: IV and SC, liquid)."""
    rec = _record(code)
    assert set(product.routes) == set(rec.routes), (product.name, product.routes, rec.routes)
    assert product.form == rec.form, (product.name, product.form, rec.form)


LIQUID_PACKAGES = [(p, pkg) for p in PRODUCTS if p.concentration_percent is not None for pkg in p.packages
                   if pkg.ml is not None]


def test_every_liquid_package_is_its_volume_at_the_labeled_concentration():
    """A 100 mL vial of a 10 % liquid holds 10 g; Cutaquig's 6 mL at 16.5 % holds 0.99 g (FDA labels): the grams
    the units of a container come from."""
    assert len(LIQUID_PACKAGES) > 60
    wrong = [(p.name, pkg.ml, pkg.grams) for p, pkg in LIQUID_PACKAGES
             if pkg.grams != pkg.ml * p.concentration_percent / 100]
    assert not wrong, wrong



def test_every_package_the_crosswalk_lists_holds_its_billing_units():
    """The bundled ASP NDC-HCPCS crosswalk (2026 Q1) gives each listed package's billing units of its code
    (BILLUNITSPKG): Gammagard S/D's 5 g vial is 10 units of J1566, its 10 g vial 20. The catalog's grams are those
    units at the code's unit, to the nearest unit (Cutaquig's 6 mL vial is 0.99 g and 10 units of 100 mg): the only
    second source of a powder's grams, which have no volume to be checked against."""
    day = date(2026, 3, 2)
    rules = REF.at(day, REF.default_profile("medicare"))
    checked = []
    for p, code in OWN_CODES + [(p, "J1566") for p in PRODUCTS if p.form == "powder" and not p.codes]:
        unit_mg = _record(code).unit_mg
        for pkg in p.packages:
            if pkg.ndc is None:
                continue
            units = rules.tables.package_billing_units(ndc_mod.compact(pkg.ndc), code, day)
            if units is not None:
                checked.append(p.name)
                assert abs(pkg.grams * 1000 / unit_mg - units) < 1, (p.name, pkg.ndc, pkg.grams, code, units)
    assert "Gammagard S/D" in checked and len(checked) > 20


def test_every_package_says_where_its_size_comes_from():
    """products.toml: a package with an NDC comes from the FDA NDC directory or the CMS crosswalk, one without from
    the label (its How Supplied section), and only a label size carries the date it was checked; every product names
    its labeler. The products with no code of their own in the HCPCS file say so (DRUG-CODE-UNCERTAIN)."""
    verified = set()
    for p in REF.products:
        assert p.labeler, p.name
        for k in p.packages:
            assert k.source == ("label" if k.ndc is None else k.source) and k.source in {"fda", "crosswalk", "label"}, (
                p.name, k)
            if k.verified is not None:
                assert k.source == "label", (p.name, k)
                verified.add(k.verified)
    assert date(2026, 12, 1) in verified  # the How Supplied sizes checked on DailyMed that day
    assert {p.name: p.code_uncertain.split(":")[0].split(";")[0] for p in REF.products if p.code_uncertain} == {
        "Yimmugo": "No code of its own in the October 2025 CMS HCPCS file",
        "Qivigy": "No code of its own in the October 2025 CMS HCPCS file"}


def test_a_products_code_is_in_force_when_the_codes_records_are():
    """products.toml names a product's codes only: their dates and settings are the HCPCS records' (one place for a
    code's dates), from the first record's start through the last one's end."""
    from igclaim.refdata.resolver import HcpcsCode, Period, _product_code

    def rec(start: date | None, end: date | None, settings: tuple[str, ...] = ()) -> HcpcsCode:
        return HcpcsCode("J9998", "test", "ig", Period(start, end), "s", 500, ("IV",), "liquid", settings)

    two = {"J9998": [rec(date(2008, 1, 1), date(2015, 12, 31)), rec(date(2016, 1, 1), date(2020, 6, 30))]}
    both = _product_code("P", "J9998", two)
    assert (both.code, both.period, both.settings) == ("J9998", Period(date(2008, 1, 1), date(2020, 6, 30)), ())
    always = {"J9998": [rec(None, date(2015, 12, 31)), rec(date(2016, 1, 1), date(2020, 6, 30))]}
    assert _product_code("P", "J9998", always).period == Period(None, date(2020, 6, 30))  # no start: since always
    opd = ("hospital_outpatient",)
    still = {"J9998": [rec(date(2008, 1, 1), date(2015, 12, 31)), rec(date(2016, 1, 1), None, opd)]}
    code = _product_code("P", "J9998", still)
    assert code.period == Period(date(2008, 1, 1), None) and code.settings == ("hospital_outpatient",)
    with pytest.raises(ValueError, match="P's code 'J0000' has no record in cms/hcpcs.toml"):
        _product_code("P", "J0000", two)
    asceniv = next(p for p in REF.products if p.name == "Asceniv")
    assert [(c.code, c.period, c.settings) for c in asceniv.codes] == [
        ("C9072", Period(date(2019, 10, 1), date(2021, 3, 31)), ("hospital_outpatient",)),
        ("J1554", Period(date(2021, 4, 1), None), ())]
