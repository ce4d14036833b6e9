"""Drug lines: product → HCPCS code by date, dose → units, opened containers → discarded units (JW/JZ).

Medicare rules (reference.md §3; CMS Discarded Drugs page): units = dose ÷ the code's unit dose, rounded up;
discarded units = labeled units opened − administered units (whole units, never counted twice); a discard is
billed on a separate JW line, and a line with nothing discarded carries JZ where the payer requires it.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache, partial
from typing import Any

from igclaim import ndc as ndc_mod
from igclaim.catalog import declare, finding, with_article
from igclaim.errors import InputError, did_you_mean
from igclaim.model import Container, Dose, Drug, Finding
from igclaim.refdata.resolver import HcpcsCode, Product
from igclaim.refdata.rules import Rules

DISCARDED_DRUGS = "https://www.cms.gov/medicare/payment/part-b-drugs/discarded-drugs"
JZ_RULE = ("https://www.hhs.gov/guidance/document/new-claims-modifier-requirement-drugs-and-biologicals-"
           "single-dose-container-or-single-use")
HCPCS_FILES = "https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system/quarterly-update"

# FDA's list of the licensed immune globulins, with each product's labeling.
FDA_IMMUNE_GLOBULINS = "https://www.fda.gov/vaccines-blood-biologics/approved-blood-products/immune-globulins"

declare(
    "INPUT-AMBIGUOUS",
    severity="error",
    statement="the chart cannot decide a fact the claim needs (e.g. concentration for mL)",
    fix="Add the missing fact to the chart (e.g. the product's strength or concentration_percent) and code again.",
    source=HCPCS_FILES,
)
declare(
    "DRUG-WASTE-AVOIDABLE",
    severity="warning",
    statement="another combination of the product's package sizes would have discarded less",
    fix="Open the smallest combination of package sizes that covers the dose; excess waste from a poor vial "
    "choice may be denied.",
    source="https://cgsmedicare.com/partb/pubs/news/2023/06/cope140894.html",
)
declare(
    "DRUG-CODE-UNCERTAIN",
    severity="warning",
    statement="the product's HCPCS code is not confirmed in the official HCPCS file",
    fix="Confirm the code in the current CMS HCPCS quarterly file (igclaim data import hcpcs) before submitting.",
    source=HCPCS_FILES,
)
declare(
    "DRUG-NO-CODE",
    severity="error",
    statement="the product had no HCPCS code of its own on the date of service and no NOS code fits its form",
    fix="Bill the payer's unlisted code (J3590 or J7799) with the drug name and NDC, as the payer instructs.",
    source=HCPCS_FILES,
)
declare(
    "DRUG-ROUTE-UNLABELED",
    severity="warning",
    statement="the chart gives the product by a route its labeling does not include",
    fix="Check the route in the chart: the product is labeled for other routes (e.g. Privigen is IV only); the "
    "administration codes follow the documented route.",
    source=FDA_IMMUNE_GLOBULINS,
)
declare(
    "DRUG-CONCENTRATION-MISMATCH",
    severity="error",
    statement="the chart gives a dose in mL at a concentration the product is not labeled at",
    fix="Check the chart: correct the concentration to the product's labeled strength, or the product if another "
    "was given. The units follow the grams, and mL at the wrong strength bill the wrong units.",
    source=FDA_IMMUNE_GLOBULINS,
)
declare(
    "DRUG-JW-OPTIONAL",
    severity="info",
    statement="the payer profile does not require JW on the date of service; the discard is shown on its own JW line",
    fix="Check the payer's instructions: some want the discarded units on a JW line, some on the administered "
    "line, some not billed at all.",
    source=DISCARDED_DRUGS,
)
declare(
    "DRUG-CONTAINER-SHARED",
    severity="warning",
    statement="a single-dose container was shared between patients",
    fix="Splitting a single-dose immune globulin container conflicts with its labeling; bill only this "
    "patient's dose, never the same amount twice, and review the practice.",
    source=DISCARDED_DRUGS,
)
declare(
    "DRUG-CONTAINERS-MISSING",
    severity="warning",
    statement="the opened containers are not documented, so the discarded amount cannot be checked",
    fix="Document the containers opened (size and count, or NDC) so the discarded amount follows from them; "
    "JZ attests that nothing was discarded.",
    source=DISCARDED_DRUGS,
)


declare(
    "DRUG-PREMED-CONTAINERS",
    severity="warning",
    statement="JW/JZ applies to every separately payable single-dose drug on the date of service and the chart "
    "does not give this drug's containers",
    fix="Document the containers opened for the drug (NDC, or the billing units a container holds) so JZ "
    "(nothing discarded) or a JW line (the discard) can be billed; Medicare requires one of them from "
    "{medicare_jz_from}.",  # quoted from refdata/payers/medicare-part-b.toml (igclaim.catalog.quote)
    source=JZ_RULE,
)


# The values every drug builds (ContainerUse to CodedDrug) write their `__init__` out: a frozen dataclass's sets each
# field through `object.__setattr__` in generated Python, where mypyc compiles these to direct slot writes
# (tests/test_coding_memo.py checks that each takes its fields' names, order and defaults, as dataclass's would).
# The values remembered per snapshot or span (a family, its code, the discard modifiers) keep dataclass's.


@dataclass(frozen=True, slots=True, init=False)
class ContainerUse:
    """The containers of one NDC (or one unnamed size) opened for a drug, in billing units."""

    ndc: str | None
    count: int
    grams: Decimal  # labeled grams of all of them (0 for drugs other than immune globulin)
    units: Decimal  # billing units of all of them (the crosswalk's billing units per package when it lists the NDC)

    def __init__(self, ndc: str | None, count: int, grams: Decimal, units: Decimal) -> None:
        object.__setattr__(self, "ndc", ndc)
        object.__setattr__(self, "count", count)
        object.__setattr__(self, "grams", grams)
        object.__setattr__(self, "units", units)


@dataclass(frozen=True, slots=True, init=False)
class DrugLine:
    """A drug line before numbering: the claim assembly adds line numbers, pointers and revenue codes."""

    code: str
    units: int
    modifiers: tuple[str, ...] = ()
    ndc: str | None = None
    ndc_quantity: Decimal | None = None
    ndc_unit: str | None = None
    drug_id: str = ""
    wasted: bool = False

    def __init__(self, code: str, units: int, modifiers: tuple[str, ...] = (), ndc: str | None = None,
                 ndc_quantity: Decimal | None = None, ndc_unit: str | None = None, drug_id: str = "",
                 wasted: bool = False) -> None:
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "modifiers", modifiers)
        object.__setattr__(self, "ndc", ndc)
        object.__setattr__(self, "ndc_quantity", ndc_quantity)
        object.__setattr__(self, "ndc_unit", ndc_unit)
        object.__setattr__(self, "drug_id", drug_id)
        object.__setattr__(self, "wasted", wasted)


# --- the stages of one drug, each a frozen value handed to the next ------------------------------------------


@dataclass(frozen=True, slots=True, init=False)
class Identified:
    """Stage 1: the drug identified: the candidate products (several for a bare multi-strength brand, none for a
    drug that is not an immune globulin), the route and the chart's NDC."""

    index: int
    drug: Drug
    is_ig: bool
    route: str
    family: tuple[Product, ...] = ()
    ndc: str | None = None  # 11 digits: the drug's NDC, else its first container's

    def __init__(self, index: int, drug: Drug, is_ig: bool, route: str, family: tuple[Product, ...] = (),
                 ndc: str | None = None) -> None:
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "drug", drug)
        object.__setattr__(self, "is_ig", is_ig)
        object.__setattr__(self, "route", route)
        object.__setattr__(self, "family", family)
        object.__setattr__(self, "ndc", ndc)

    @property
    def product(self) -> Product | None:
        return self.family[0] if len(self.family) == 1 else None

    @property
    def path(self) -> str:
        return f"drugs[{self.index}]"


@dataclass(frozen=True, slots=True)
class CodeChosen:
    """Stage 2 of an immune globulin: the HCPCS code in force for the product on the date, with its unit dose."""

    code: str
    record: HcpcsCode
    unit_mg: int


@dataclass(frozen=True, slots=True)
class NoCode:
    """Stage 2 did not decide a billable immune globulin code (a finding says why): the code it named, if any."""

    code: str | None = None
    record: HcpcsCode | None = None


@dataclass(frozen=True, slots=True, init=False)
class DoseInGrams:
    """Stage 3: the dose in grams, in mL where the strength is known, and the concentration used."""

    grams: Decimal
    ml: Decimal | None
    concentration: Decimal | None

    def __init__(self, grams: Decimal, ml: Decimal | None, concentration: Decimal | None) -> None:
        object.__setattr__(self, "grams", grams)
        object.__setattr__(self, "ml", ml)
        object.__setattr__(self, "concentration", concentration)


@dataclass(frozen=True, slots=True, init=False)
class DoseUnits:
    """Stage 4: the billing units the dose makes (rounded up to a whole unit)."""

    dose: DoseInGrams
    administered: int

    def __init__(self, dose: DoseInGrams, administered: int) -> None:
        object.__setattr__(self, "dose", dose)
        object.__setattr__(self, "administered", administered)

    @property
    def grams(self) -> Decimal:
        return self.dose.grams


@dataclass(frozen=True, slots=True, init=False)
class Waste:
    """Stage 5: the containers opened, the units they hold and the units discarded (0: nothing, or JW not allowed)."""

    containers: tuple[ContainerUse, ...] = ()
    opened_grams: Decimal | None = None
    opened_units: int | None = None
    discarded_units: int = 0
    dispensed: bool = False  # dispensed for the patient to give: the opened units are billed, none as discarded

    def __init__(self, containers: tuple[ContainerUse, ...] = (), opened_grams: Decimal | None = None,
                 opened_units: int | None = None, discarded_units: int = 0, dispensed: bool = False) -> None:
        object.__setattr__(self, "containers", containers)
        object.__setattr__(self, "opened_grams", opened_grams)
        object.__setattr__(self, "opened_units", opened_units)
        object.__setattr__(self, "discarded_units", discarded_units)
        object.__setattr__(self, "dispensed", dispensed)


_NO_WASTE = Waste()  # a drug whose waste stage did not run (frozen: one value serves every such drug)


@dataclass(frozen=True, slots=True, init=False)
class CodedDrug:
    """The final, immutable result of one drug's stages (identified → code → dose → units → waste → lines): what
    the claim assembly bills and the edits read. A stage that could not decide leaves its value None and no line."""

    identified: Identified
    code: str | None = None  # the code chosen (an immune globulin) or given (another drug)
    hcpcs: HcpcsCode | None = None
    chosen: CodeChosen | None = None
    units: DoseUnits | None = None
    administered_units: int | None = None
    waste: Waste = _NO_WASTE
    lines: tuple[DrugLine, ...] = ()

    def __init__(self, identified: Identified, code: str | None = None, hcpcs: HcpcsCode | None = None,
                 chosen: CodeChosen | None = None, units: DoseUnits | None = None,
                 administered_units: int | None = None, waste: Waste = _NO_WASTE,
                 lines: tuple[DrugLine, ...] = ()) -> None:
        object.__setattr__(self, "identified", identified)
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "hcpcs", hcpcs)
        object.__setattr__(self, "chosen", chosen)
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "administered_units", administered_units)
        object.__setattr__(self, "waste", waste)
        object.__setattr__(self, "lines", lines)

    # The stages' values by the names the edits use.
    @property
    def index(self) -> int:
        return self.identified.index

    @property
    def drug(self) -> Drug:
        return self.identified.drug

    @property
    def is_ig(self) -> bool:
        return self.identified.is_ig

    @property
    def route(self) -> str:
        return self.identified.route

    @property
    def product(self) -> Product | None:
        return self.identified.product

    @property
    def ndc(self) -> str | None:
        return self.identified.ndc

    @property
    def path(self) -> str:
        return self.identified.path

    @property
    def unit_mg(self) -> int | None:
        return self.chosen.unit_mg if self.chosen else None

    @property
    def concentration(self) -> Decimal | None:
        return self.units.dose.concentration if self.units else None

    @property
    def dose_grams(self) -> Decimal | None:
        return self.units.dose.grams if self.units else None

    @property
    def dose_ml(self) -> Decimal | None:
        return self.units.dose.ml if self.units else None

    @property
    def opened_grams(self) -> Decimal | None:
        return self.waste.opened_grams

    @property
    def opened_units(self) -> int | None:
        return self.waste.opened_units

    @property
    def discarded_units(self) -> int:
        return self.waste.discarded_units

    @property
    def containers(self) -> tuple[ContainerUse, ...]:
        return self.waste.containers

    def with_lines(self, lines: tuple[DrugLine, ...]) -> CodedDrug:
        """The same drug with other lines (the claim assembly adds a setting's modifier)."""
        return replace(self, lines=lines)


def units_for(grams: Decimal, unit_mg: int) -> int:
    """Billing units for a dose: grams ÷ the code's unit dose, rounded up to a whole unit."""
    return int((grams * 1000 / unit_mg).to_integral_value(ROUND_CEILING))


def whole_units_in(grams: Decimal, unit_mg: int) -> int:
    """Whole billing units contained in an amount (a labeled container), rounded down."""
    return int((grams * 1000 / unit_mg).to_integral_value(ROUND_FLOOR))


def _ndc11(value: str, path: str) -> str:
    try:
        return ndc_mod.compact(value)
    except ndc_mod.InvalidNDC as exc:
        raise InputError(path, str(exc)) from None


@dataclass(frozen=True, slots=True)
class Family:
    """The candidate products of a drug (several for a bare multi-strength brand, none for a drug that is not an
    immune globulin) and what the stages read of them, worked out once per snapshot and family (`family_of`)
    instead of once per drug: their names (the key of the stages' own memos), labeled routes, the concentration
    they all share, and their package sizes in grams."""

    products: tuple[Product, ...]
    names: tuple[str, ...]
    routes: frozenset[str]
    concentration: Decimal | None  # the one concentration the products state (None: none, or several)
    sizes: frozenset[Decimal]


def _family(products: tuple[Product, ...], rules: Rules) -> Family:
    concentrations = {p.concentration_percent for p in products if p.concentration_percent is not None}
    return Family(products, tuple([p.name for p in products]), frozenset([r for p in products for r in p.routes]),
                  concentrations.pop() if len(concentrations) == 1 else None,
                  frozenset([pkg.grams for p in products for pkg in p.packages]))


def family_of(products: list[Product], rules: Rules) -> Family:
    """The family of these products, once per span of alike dates (keyed by the product names, unique in the
    catalog)."""
    return rules.once_alike(("coding.drug.family", tuple([p.name for p in products])),
                            partial(_family, tuple(products)))


def _named_family(name: str, rules: Rules) -> Family:
    return _family(tuple(rules.find_products(name)), rules)


def identify(drug: Drug, index: int, rules: Rules) -> tuple[Family, HcpcsCode | None]:
    """The candidate products (several for a bare multi-strength brand) and, for a code given alone, its record."""
    path = f"drugs[{index}]"
    if drug.product:
        # the products a name matches, once per span of alike dates and name
        family = rules.once_alike(("coding.drug.named_family", drug.product), partial(_named_family, drug.product))
        if not family.products:
            names = [n for p in rules.products for n in (p.name, *p.aliases)]
            raise InputError(f"{path}.product", f"unknown product {drug.product!r}{did_you_mean(drug.product, names)}; "
                             "`igclaim products` lists them (for a drug that is not an immune globulin give hcpcs "
                             "and units)")
        if len(family.products) == 1:
            return family, None
        narrowed = _narrow_by_ndc(list(family.products), drug, path, rules)
        return (family if len(narrowed) == len(family.products) else family_of(narrowed, rules)), None
    if drug.ndc:
        ndc11 = _ndc11(drug.ndc, f"{path}.ndc")
        hit = rules.package_by_ndc(ndc11)
        if hit:
            return family_of([hit[0]], rules), None
        # Not in the product catalog: the CMS NDC-HCPCS crosswalk (bundled quarter or imported) may still know it.
        crosswalked = rules.tables.crosswalk_codes(ndc11, rules.dos)
        ig_codes = {c for c in (crosswalked[0] if crosswalked else ()) if (r := rules.hcpcs(c)) and r.unit_mg}
        if len(ig_codes) == 1 and not drug.hcpcs:
            code = ig_codes.pop()
            return family_of(rules.products_for_code(code), rules), rules.hcpcs(code)
        if not drug.hcpcs:
            raise InputError(f"{path}.ndc", f"NDC {drug.ndc} is not in the product list or the CMS crosswalk for "
                             f"{rules.dos}; give product or hcpcs")
    code = (drug.hcpcs or "").upper()
    rec = rules.hcpcs(code) or rules.known_code(code)
    if rec and rec.kind in ("ig", "ig_nos"):
        return family_of(rules.products_for_code(code), rules), rec
    return _NO_FAMILY, rec


_NO_FAMILY = Family((), (), frozenset(), None, frozenset())


def _narrow_by_ndc(products: list[Product], drug: Drug, path: str, rules: Rules) -> list[Product]:
    """A bare brand with several strengths is narrowed by an NDC on the drug or its containers."""
    if len(products) == 1:
        return products
    ndcs = [drug.ndc] + [c.ndc for c in drug.containers]
    for i, value in enumerate(ndcs):
        if value:
            hit = rules.package_by_ndc(_ndc11(value, f"{path}.ndc" if i == 0 else f"{path}.containers[{i - 1}].ndc"))
            if hit and hit[0] in products:
                return [hit[0]]
    return products


def code_drug(
    drug: Drug, index: int, rules: Rules, findings: list[Finding],
    setting: str | None = None,
) -> CodedDrug:
    """Work out one drug's code, units, waste and lines; raise InputError for charts that cannot be coded.

    The journey: identify the product → its code on the date → the dose in grams → units → waste → lines, each
    stage a frozen value handed to the next. A step that cannot decide (no code, unknown strength) leaves a finding
    and no line, never a guess."""
    coded = _code_drug(drug, index, rules, findings, setting)
    return _acquired_340b(coded, rules, setting) if drug.acquired_340b else coded


def _acquired_340b(coded: CodedDrug, rules: Rules, setting: str | None) -> CodedDrug:
    """A drug bought through 340B: each of its lines (the JW line too: CMS FAQ on billing 340B modifiers) carries
    the 340B modifier the payer asks on the date in this setting, when the drug is separately payable (a
    hospital's packaged premedication is not)."""
    modifier = rules.acquired_340b_modifier(setting)
    if modifier is None:
        return coded
    if not coded.identified.is_ig and setting and not rules.setting(setting).get("other_drugs_separately_payable",
                                                                                  True):
        return coded
    lines = tuple(replace(ln, modifiers=(*ln.modifiers, modifier)) for ln in coded.lines)
    return replace(coded, lines=lines)


def _code_drug(drug: Drug, index: int, rules: Rules, findings: list[Finding], setting: str | None) -> CodedDrug:
    fam, given_code = identify(drug, index, rules)
    path = f"drugs[{index}]"
    family = fam.products
    if not family and not (given_code and given_code.kind in ("ig", "ig_nos")):
        return _other_drug(drug, index, rules, findings, setting)
    if drug.dose is None:
        raise InputError(f"{path}.dose", "an immune globulin needs its dose (grams, mg or ml)")
    route = drug.route or (family[0].routes[0] if family else (given_code.routes[0] if given_code else "IV"))
    labeled = fam.routes
    if labeled and route not in labeled:
        findings.append(finding("DRUG-ROUTE-UNLABELED", f"{path}.route: {drug.product or drug.hcpcs} is labeled "
                                f"{'/'.join(sorted(labeled))}, the chart says {route}."))
    ident = Identified(index, drug, True, route, family, _chart_ndc(drug, path))
    chosen = _choose_code(ident, given_code, rules, findings, setting, fam)
    if given_code is None and drug.hcpcs and isinstance(chosen, CodeChosen) and drug.hcpcs.upper() != chosen.code:
        # The product (or the catalog's NDC) decided the code; a chart hcpcs naming another was dropped unsaid.
        raise InputError(f"{path}.hcpcs", f"{drug.hcpcs} is not the code of {family[0].name} on {rules.dos} "
                         f"({chosen.code}, by its {'product' if drug.product else 'NDC'}); correct hcpcs or leave it "
                         "out")
    if isinstance(chosen, NoCode):
        return CodedDrug(ident, chosen.code, chosen.record)
    dose = _dose_in_grams(ident, fam, chosen, drug.dose, findings)
    if dose is None:
        return CodedDrug(ident, chosen.code, chosen.record, chosen)
    units = DoseUnits(dose, units_for(dose.grams, chosen.unit_mg))
    waste = _waste(ident, fam, chosen, units, rules, findings)
    if route == "SC" and rules.home_dme(setting):
        waste = _dispensed(ident, units, waste)
    lines = _lines(ident, chosen, units, waste, rules, findings)
    return CodedDrug(ident, chosen.code, chosen.record, chosen, units, _given_units(units, waste), waste, lines)


def _chart_ndc(drug: Drug, path: str) -> str | None:
    """The chart's NDC for the drug: its own, else its first container's (11 digits)."""
    if drug.ndc:
        return _ndc11(drug.ndc, f"{path}.ndc")
    if drug.containers and drug.containers[0].ndc:
        return _ndc11(drug.containers[0].ndc, f"{path}.containers[0].ndc")
    return None


def _choose_code(
    ident: Identified, given_code: HcpcsCode | None, rules: Rules,
    findings: list[Finding], setting: str | None = None, fam: Family | None = None,
) -> CodeChosen | NoCode:
    """The product's own code on the date of service (a pass-through C-code only in its setting); the NOS code
    of its form only when it has none. A product family's answer depends only on the snapshot and the setting, so
    it is decided once per span of alike dates (`Rules.once_alike`), and again per date when it has findings to
    tell (their messages name the date); they are told again for each drug."""
    family = ident.family
    decided = None
    if family:
        key = ("coding.drug.family_code", (fam or family_of(list(family), rules)).names, setting)
        decided = rules.once_alike(key, partial(_family_code, family, setting))
        if decided is not None and decided.notes:
            decided = rules.once(key, partial(_family_code, family, setting))
    if decided is None:  # no family, or its products have different codes
        if given_code is None:
            names = ", ".join(p.name for p in family)
            findings.append(finding("INPUT-AMBIGUOUS", f"{ident.path}.product: {ident.drug.product!r} matches "
                                    f"{names} with different codes; name the product with its strength."))
            return NoCode()
        decided = _code_record(given_code.code, rules)
    for edit, message in decided.notes:
        findings.append(finding(edit, message))
    return decided.chosen


@dataclass(frozen=True, slots=True)
class CodeDecision:
    """Stage 2's answer before it reaches a drug: the code chosen (or not) and the findings that explain it, as
    (edit id, message)."""

    chosen: CodeChosen | NoCode
    notes: tuple[tuple[str, str], ...] = ()


def _family_code(family: tuple[Product, ...], setting: str | None, rules: Rules) -> CodeDecision | None:
    """A family's code on the snapshot's date: the products' own code when they share one, else the NOS code of
    their form (None: the products have different codes, which only the chart can settle)."""
    codes = {p.own_code(rules.dos, setting) for p in family}
    if len(codes) > 1:
        return None
    code = codes.pop()
    if code is not None:
        return _code_record(code, rules)
    code = rules.product_nos_code(family[0])  # NOS codes only for their routes (IV)
    if code is None:
        return CodeDecision(NoCode(), (("DRUG-NO-CODE", f"{family[0].name} had no HCPCS code of its own on "
                                        f"{rules.dos}."),))
    decided = _code_record(code, rules)
    if family[0].code_uncertain:
        uncertain = ("DRUG-CODE-UNCERTAIN", f"{family[0].name}: {family[0].code_uncertain}")
        return replace(decided, notes=(uncertain, *decided.notes))
    return decided


def _code_record(code: str, rules: Rules) -> CodeDecision:
    """The code's record on the date, which must be an immune globulin code (it gives the unit dose)."""
    record = rules.hcpcs(code)
    if record is None or record.unit_mg is None:
        return CodeDecision(NoCode(code, record), (("DRUG-NO-CODE", f"{code} is not a valid immune globulin code on "
                                                    f"{rules.dos}."),))
    return CodeDecision(CodeChosen(code, record, record.unit_mg))


def _dose_in_grams(ident: Identified, fam: Family, chosen: CodeChosen, dose: Dose,
                   findings: list[Finding]) -> DoseInGrams | None:
    """Grams from grams, mg, or mL × concentration (told in the chart, or the product's own: a bare
    multi-strength brand cannot tell, and then no units are guessed)."""
    concentration = dose.concentration_percent
    if concentration is None:
        concentration = fam.concentration
    elif dose.ml is not None and fam.concentration is not None and concentration != fam.concentration:
        # Hizentra (20 % only) charted as 50 mL at 10 %: 5 g, half the 10 g given. Coded as charted (the dose's and
        # the containers' mL), with the units at stake. (The schema takes concentration_percent with ml only.)
        label = fam.concentration
        at_chart, at_label = (units_for(dose.ml * c / 100, chosen.unit_mg) for c in (concentration, label))
        findings.append(finding(
            "DRUG-CONCENTRATION-MISMATCH",
            f"{ident.path}.dose: {ident.drug.product or chosen.code} is labeled {label:g} %, and the chart gives "
            f"{concentration:g} %: {dose.ml:g} mL is {at_label} units of {chosen.code} at {label:g} %, {at_chart} at "
            f"{concentration:g} % (coded as charted).", impact_units=at_label - at_chart, cause=("drug", ident.path)))
    ml: Decimal | None = None
    if dose.grams is not None:
        grams = dose.grams
    elif dose.mg is not None:
        grams = dose.mg / 1000
    else:
        ml = dose.ml
        if ml is None or concentration is None:
            findings.append(finding(
                "INPUT-AMBIGUOUS",
                f"{ident.path}.dose: {dose.ml} mL of {ident.drug.product or chosen.code} cannot be turned into "
                "grams: the strength is not known. No units were guessed.",
                fix="Name the product with its strength (e.g. 'Octagam 10%') or give concentration_percent.",
            ))
            return None
        grams = ml * concentration / 100
    if ml is None and concentration:
        ml = grams * 100 / concentration
    return DoseInGrams(grams, ml, concentration)


def _container_grams(ident: Identified, units: DoseUnits, c: Container, index: int, unit_mg: int,
                     rules: Rules) -> Decimal:
    """Labeled grams in one container: grams, mL × strength, the catalog's package, or the FDA NDC Directory's."""
    if c.grams is not None:
        return c.grams
    concentration = units.dose.concentration
    cpath = f"{ident.path}.containers[{index}]"
    if c.ml is not None:
        if concentration is None:
            raise InputError(f"{cpath}.ml", "the product's strength is not known: give containers in grams")
        return c.ml * concentration / 100
    if c.ndc:
        ndc11 = _ndc11(c.ndc, f"{cpath}.ndc")
        hit = rules.package_by_ndc(ndc11)
        if hit is not None:
            return hit[1].grams
        # the imported FDA NDC Directory: a package newer than the catalog
        listed = rules.tables.ndc_package(ndc11, rules.dos)
        if listed is not None and listed.ml is not None and concentration is not None and \
                any(pk.ndc and pk.ndc[:9] == ndc11[:9] for p in ident.family for pk in p.packages):
            return listed.ml * concentration / 100
        raise InputError(f"{cpath}.ndc", f"NDC {c.ndc} is not a known package: give grams or ml")
    if c.units is not None:
        return c.units * unit_mg / 1000
    raise InputError(cpath, "give the container's grams, ml or ndc")


def _package_units(ndcs: list[str], code: str, rules: Rules) -> Decimal | None:
    """Billing units per package from the CMS NDC-HCPCS crosswalk covering the date (first NDC it lists)."""
    for ndc11 in ndcs:
        units = rules.tables.package_billing_units(ndc11, code, rules.dos)
        if units is not None:
            return units
    return None


def _size_units(family: tuple[Product, ...], grams: Decimal, ml: Decimal | None, code: str,
                rules: Rules) -> Decimal | None:
    """Billing units per package for a container given by size: the crosswalk's units of an NDC of that size."""
    return _package_units([pk.ndc for p in family for pk in p.packages_of_size(grams, ml) if pk.ndc], code, rules)


def _size_units_once(fam: Family, grams: Decimal, ml: Decimal | None, code: str, rules: Rules) -> Decimal | None:
    """`_size_units`, once per span of alike dates (`Rules.once_alike`), family, size and code."""
    return rules.once_alike(("coding.drug.size_units", fam.names, grams, ml, code),
                            partial(_size_units, fam.products, grams, ml, code))


def _size_table(rules: Rules) -> dict[Decimal, Decimal | None]:
    """`_size_units` of a family's sizes given in grams alone, for one code, filled as sizes are asked (only the
    family's own sizes: bounded)."""
    return {}


_UNKNOWN: Any = object()


_ZERO = Decimal(0)
_NOTHING_HELD = (0, _ZERO, _ZERO)


def _containers(ident: Identified, fam: Family, chosen: CodeChosen, units: DoseUnits,
                rules: Rules) -> tuple[ContainerUse, ...]:
    """The opened containers grouped by NDC, each with its labeled grams and its billing units.

    Billing units per package come from the crosswalk when it lists the container's NDC (or, for a container
    given by size or by a catalog NDC the crosswalk does not list, an NDC of that size: one answer per snapshot,
    family and size): Cutaquig's 6 mL vial is 10 units of J1551 although 0.99 g is labeled, whichever labeler's
    NDC it carries. Otherwise the labeled grams ÷ the code's unit."""
    # a container the chart gives without an NDC carries the drug's NDC only when the chart names one
    drug_ndc = ident.ndc if ident.drug.ndc else None
    family = ident.family
    groups: dict[str | None, tuple[int, Decimal, Decimal]] = {}  # by NDC: count, grams, billing units
    code, unit_mg = chosen.code, chosen.unit_mg
    by_grams: dict[Decimal, Decimal | None] | None = None  # the family's size table, read at its first size
    for i, c in enumerate(ident.drug.containers):
        grams, ndc, n = c.grams, c.ndc, c.count
        if grams is None:
            grams = _container_grams(ident, units, c, i, unit_mg, rules)
        ndc11 = _ndc11(ndc, f"{ident.path}.containers[{i}].ndc") if ndc else None
        if ndc11:
            per = package_billing_units(ndc11, code, rules)
        elif (ml := c.ml) is None:  # given by grams (or by units): a size of the family, once per size and code
            if grams not in fam.sizes:
                per = None  # no package of that size, so no NDC the crosswalk could list
            else:
                if by_grams is None:
                    by_grams = rules.once_alike(("coding.drug.units_by_grams", fam.names, code), _size_table)
                per = by_grams.get(grams, _UNKNOWN)
                if per is _UNKNOWN:
                    per = by_grams[grams] = _size_units(family, grams, None, code, rules)
        else:
            per = _size_units_once(fam, grams, ml, code, rules)
        if per is None:
            per = grams * 1000 / unit_mg
        key = ndc11 or drug_ndc
        count, held_grams, held_units = groups.get(key, _NOTHING_HELD)
        groups[key] = (count + n, held_grams + grams * n, held_units + per * n)
    return tuple([ContainerUse(key, count, grams, units_) for key, (count, grams, units_) in groups.items()])


def _waste(ident: Identified, fam: Family, chosen: CodeChosen, units: DoseUnits, rules: Rules,
           findings: list[Finding]) -> Waste:
    """Stage 5: the containers opened, the units they hold and the units discarded (JW) or none (JZ)."""
    drug = ident.drug
    container_type, shared = drug.container_type, drug.shared_with_other_patient
    containers: tuple[ContainerUse, ...] = ()
    if drug.containers:
        containers = _containers(ident, fam, chosen, units, rules)
        opened_grams = _ZERO
        for use in containers:
            opened_grams += use.grams
        # Short of the dose in grams AND in billing units: a 6 mL vial of Cutaquig is 0.99 g on its label (16.5 %)
        # and the 1 g dose its label measures as 6 mL; the CMS crosswalk bills the vial as 10 units, the dose's own.
        if opened_grams < units.grams and _floor_units(containers) < units.administered:
            raise InputError(
                f"{ident.path}.containers",
                f"the containers opened hold {opened_grams:g} g, less than the dose of {units.grams:g} g",
            )
    elif drug.discarded_grams is not None:
        opened_grams = units.grams + drug.discarded_grams
    else:
        if container_type == "single_dose":
            findings.append(finding("DRUG-CONTAINERS-MISSING", f"{ident.path}: no containers documented; "
                                    "coded as if nothing was discarded."))
        return Waste(opened_units=units.administered)
    opened_units = _floor_units(containers) if containers else whole_units_in(opened_grams, chosen.unit_mg)
    discarded = 0 if container_type == "multi_dose" or shared else max(0, opened_units - units.administered)
    if shared:
        findings.append(finding("DRUG-CONTAINER-SHARED", f"{ident.path}: a single-dose container served two "
                                "patients; only this patient's dose is billed, with no JW line."))
    if container_type == "single_dose" and not shared:
        _avoidable_waste(ident, fam, chosen, units, discarded, findings)
    return Waste(containers, opened_grams, opened_units, discarded)


def _dispensed(ident: Identified, units: DoseUnits, waste: Waste) -> Waste:
    """Medicare home SC immune globulin is dispensed by the supplier and given by the beneficiary or a caregiver
    (the DME MACs' External Infusion Pumps policy, article A52507): the units dispensed are billed, on one line, and
    what the patient leaves is not a discard the supplier reports on a JW line (JW is only for what the supplier
    itself discards while preparing the drug, from 2025-01-01, which a chart of the patient's infusion does not
    show). A multi-dose or shared container keeps the usual rule (no discard is billed)."""
    drug = ident.drug
    if drug.container_type != "single_dose" or drug.shared_with_other_patient:
        return waste
    opened = max(waste.opened_units or 0, units.administered)
    return Waste(waste.containers, waste.opened_grams, opened, 0, True)


def _given_units(units: DoseUnits, waste: Waste) -> int:
    """The units billed without JW: the dose's, or all those dispensed for the patient to give (`_dispensed`)."""
    return waste.opened_units if waste.dispensed and waste.opened_units else units.administered


def _floor_units(containers: tuple[ContainerUse, ...]) -> int:
    """The whole billing units the opened containers hold together."""
    total = _ZERO
    for use in containers:
        total += use.units
    return int(total.to_integral_value(ROUND_FLOOR))


def best_combination(sizes: Collection[Decimal], dose: Decimal) -> list[Decimal] | None:
    """The combination of package sizes covering the dose with the least excess, then the fewest containers.

    Sizes are counted in steps of their greatest common divisor (hundredths of a gram at worst), so a dynamic
    programme over reachable totals stays exact and small (35 g from 5/10/20/40 g vials: 15 steps).
    """
    cents = tuple(sorted({int(s * 100) for s in sizes if s > 0}))
    if not cents:
        return None
    combo = _best_cents(cents, int((dose * 100).to_integral_value(rounding=ROUND_CEILING)))
    return None if combo is None else [Decimal(c) / 100 for c in combo]


@lru_cache(maxsize=4096)
def _best_cents(cents: tuple[int, ...], dose_cents: int) -> tuple[int, ...] | None:
    """best_combination in hundredths of a gram, remembered: a product's sizes and a dose recur on many claims, and
    the programme is the costliest step of a drug (bounded: memory stays flat)."""
    step = math.gcd(*cents)
    steps = [c // step for c in cents]
    need = -(-dose_cents // step)
    limit = need + max(steps)
    best: list[int | None] = [None] * (limit + 1)  # fewest containers reaching each total
    choice: list[int] = [0] * (limit + 1)
    best[0] = 0
    for total in range(1, limit + 1):
        for s in steps:
            prev = total - s
            if prev < 0:
                continue
            came, now = best[prev], best[total]
            if came is not None and (now is None or came + 1 < now):
                best[total] = came + 1
                choice[total] = s
    for total in range(need, limit + 1):
        if best[total] is not None:
            combo, t = [], total
            while t:
                combo.append(choice[t] * step)
                t -= choice[t]
            return tuple(sorted(combo, reverse=True))
    return None


def _avoidable_waste(ident: Identified, fam: Family, chosen: CodeChosen, units: DoseUnits, discarded: int,
                     findings: list[Finding]) -> None:
    if not discarded:
        return
    combo = best_combination(fam.sizes, units.grams)  # the family's package sizes, collected once per snapshot
    if combo is None:
        return
    # Never below nothing: the combination's labeled grams in whole units can fall short of units the crosswalk
    # scales up (Cutaquig's 12 mL vial bills 20 units for 1.98 g, so 10 mL given is 17 units, while its 10 mL vial's
    # 1.65 g is 16): "discarding -1 units", and an impact beyond the JW line's.
    best_discard = max(0, whole_units_in(sum(combo, Decimal(0)), chosen.unit_mg) - units.administered)
    if best_discard < discarded:
        names = " + ".join(f"{g:g} g" for g in combo)
        saved = discarded - best_discard
        findings.append(finding(
            "DRUG-WASTE-AVOIDABLE",
            f"{ident.path}: {units.grams:g} g could have been given from {names}, discarding "
            f"{best_discard} units instead of {discarded}.",
            impact_units=-saved,  # the excess discard is at risk of denial
            cause=("drug", ident.path),  # priced by this drug's code (coding/payment.py)
        ))


_THOUSANDTH, _ONE = Decimal("0.001"), Decimal(1)  # NDC quantities are given to the thousandth


def _ml(concentration: Decimal | None, grams: Decimal) -> Decimal | None:
    if concentration is None:
        return None
    ml = (grams * 100 / concentration).quantize(_THOUSANDTH).normalize()
    # normalize() writes 300 as 3E+2: give whole quantities as plain integers (CTP04, box 24 shaded band)
    return ml.quantize(_ONE) if ml == ml.to_integral_value() else ml


def _labeled_per_billed(uses: tuple[ContainerUse, ...], unit_mg: int) -> Decimal:
    """Labeled grams per billed gram of the containers a line is taken from: 1, except where the CMS crosswalk bills
    a package as more than its label holds. Cutaquig's 6 mL vial, labeled 0.99 g, is 10 units of 100 mg: a gram
    billed from it is 6 mL, not 6.061, so that the line's NDC quantity reads back through the crosswalk as the units
    billed (reference.md: billing units per package come from the crosswalk)."""
    grams, billed = _ZERO, _ZERO
    for use in uses:
        grams += use.grams
        billed += use.units
    billed = billed * unit_mg / 1000
    return grams / billed if grams > 0 and billed > 0 else _ONE


def _package_use(ident: Identified, chosen: CodeChosen, rules: Rules) -> tuple[ContainerUse, ...]:
    """The line's NDC as one container (its labeled grams and its billing units): the package its NDC quantity is
    read in. Once per span of alike dates, NDC and code."""
    ndc11 = ident.ndc
    if not ndc11:
        return ()
    return rules.once_alike(("coding.drug.package_use", ndc11, chosen.code),
                            partial(_read_package_use, ndc11, chosen.code, chosen.unit_mg))


def _read_package_use(ndc11: str, code: str, unit_mg: int, rules: Rules) -> tuple[ContainerUse, ...]:
    hit = rules.package_by_ndc(ndc11)
    if hit is None:
        return ()
    grams = hit[1].grams
    per = package_billing_units(ndc11, code, rules)
    return (ContainerUse(ndc11, 1, grams, grams * 1000 / unit_mg if per is None else per),)


def package_billing_units(ndc11: str, code: str, rules: Rules) -> Decimal | None:
    """Billing units of `code` per package of an NDC on the snapshot's date: the CMS crosswalk's, else, for a
    catalog NDC it does not list, those it gives an NDC of the same size: the same vial under another labeler's
    NDC bills alike (reference.md: Octapharma's 68982-0810-01, 6 mL, is 10 units of J1551 as Pfizer's
    00069-1061-02). Build and scrub read it here."""
    per = rules.tables.package_billing_units(ndc11, code, rules.dos)
    if per is None and (hit := rules.package_by_ndc(ndc11)) is not None:
        product, package = hit
        per = rules.once_alike(("coding.drug.ndc_size_units", product.name, package.grams, package.ml, code),
                               partial(_size_units, (product,), package.grams, package.ml, code))
    return per


def _ndc_quantity(ident: Identified, chosen: CodeChosen, units: DoseUnits, waste: Waste, billed: int,
                  wasted: bool, rules: Rules) -> tuple[Decimal | None, str]:
    """NDC quantity in the package's unit of measure: mL for liquids (grams ÷ concentration, a dose charted in mL
    as charted, billed grams as the containers hold them: `_labeled_per_billed`); UN (packages) for kits and
    powders, from the containers opened."""
    product = ident.product
    unit = product.ndc_unit if product else "ML"
    if unit == "UN":
        return _un_quantity(waste, waste.containers, billed, wasted), unit
    concentration = units.dose.concentration
    if unit != "ML" or concentration is None:
        return None, unit
    if not wasted and ident.drug.dose is not None and ident.drug.dose.ml is not None:
        return _ml(concentration, units.grams), unit  # the mL charted
    grams = Decimal(billed * chosen.unit_mg) / 1000 if wasted else units.grams
    # the line's NDC is the package its quantity is read in; without a known one, the containers opened
    uses = _package_use(ident, chosen, rules) or waste.containers
    return _ml(concentration, grams * _labeled_per_billed(uses, chosen.unit_mg)), unit


def _un_quantity(waste: Waste, uses: tuple[ContainerUse, ...], billed: int, wasted: bool) -> Decimal | None:
    """Packages (UN) behind a line: all of them when nothing is discarded, else each line's share of them."""
    count = sum(u.count for u in uses)
    opened = sum((u.units for u in uses), Decimal(0))
    if not count or opened <= 0:
        return None  # no containers documented: the quantity cannot be computed
    if not waste.discarded_units and not wasted:
        return Decimal(count)
    share = (Decimal(count) * billed / opened).quantize(_THOUSANDTH).normalize()
    return share.quantize(_ONE) if share == share.to_integral_value() else share


def _split_by_ndc(chosen: CodeChosen, units: DoseUnits,
                  waste: Waste) -> list[tuple[ContainerUse, int, int, Decimal]]:
    """Administered and discarded units per NDC: the dose is taken from the containers in chart order, so the
    last one opened holds the discard. Returns (containers, given units, discarded units, given billed grams); the
    given units add up to the administered units and the discarded units to the discarded units."""
    unit = Decimal(chosen.unit_mg) / 1000
    rows: list[list[Any]] = []
    left, taken, opened = units.grams, Decimal(0), Decimal(0)
    given_before = opened_before = 0
    for use in waste.containers:
        take = min(use.units * unit, left)  # in billed grams (Cutaquig's 6 mL vial: 1 g, `_labeled_per_billed`)
        left -= take
        taken += take
        opened += use.units
        given_cum = int((taken / unit).to_integral_value(rounding=ROUND_CEILING))
        opened_cum = int(opened.to_integral_value(rounding=ROUND_FLOOR))
        given = given_cum - given_before
        rows.append([use, given, max(0, opened_cum - opened_before - given), take])
        given_before, opened_before = given_cum, opened_cum
    excess = sum(r[2] for r in rows) - waste.discarded_units
    for r in rows[::-1]:  # rounding can leave a unit too many: take it off the last discards (not reversed():
        # mypyc cannot compile it over this list)
        cut = min(r[2], max(0, excess))
        r[2] -= cut
        excess -= cut
    return [(r[0], r[1], r[2], r[3]) for r in rows]


@dataclass(frozen=True, slots=True)
class DiscardModifiers:
    """The discard and route modifiers of the snapshot's date under its payer profile, read once per snapshot
    (`discard_modifiers`): JW for a discarded amount, JZ for none, whether the date allows and the payer requires
    each, whether it wants NDCs, and the codes that carry the route modifier (JA/JB)."""

    discarded: str  # JW
    zero_discarded: str  # JZ
    jw_valid: bool  # JW is a valid modifier on the date
    jw_required: bool
    jz: bool  # JZ is required by the payer and valid on the date
    jz_dispensed: bool  # JZ is required on a drug dispensed for the patient to give (`_dispensed`) and valid
    ndc_required: bool
    route_codes: Collection[str]  # the profile's route_modifier_codes


def discard_modifiers(rules: Rules) -> DiscardModifiers:
    return rules.once_alike(("coding.drug.discard_modifiers",), _read_discard_modifiers)


def _read_discard_modifiers(rules: Rules) -> DiscardModifiers:
    discarded, zero_discarded = rules.modifier_for("discarded"), rules.modifier_for("zero_discarded")
    return DiscardModifiers(
        discarded=discarded, zero_discarded=zero_discarded, jw_valid=rules.modifier_valid(discarded),
        jw_required=bool(rules.param("jw_required")),
        jz=bool(rules.param("jz_required") and rules.modifier_valid(zero_discarded)),
        jz_dispensed=bool(rules.param("self_administered_jz_required") and rules.modifier_valid(zero_discarded)),
        ndc_required=bool(rules.param("ndc_required")), route_codes=rules.param("route_modifier_codes"),
    )


def _lines(ident: Identified, chosen: CodeChosen, units: DoseUnits, waste: Waste, rules: Rules,
           findings: list[Finding]) -> tuple[DrugLine, ...]:
    """Stage 6: the administered line, then the JW line for a discard or JZ when nothing was discarded
    (single-dose only).

    A payer that requires NDCs gets one line per NDC when the opened containers carry different NDCs, each with
    its own units and NDC quantity (and so its own LIN/CTP in the 837)."""
    mods = discard_modifiers(rules)
    code = chosen.code
    single_dose = ident.drug.container_type == "single_dose"
    route_mods: tuple[str, ...] = ()
    if code in mods.route_codes:
        route_mods = (rules.modifier_for(f"route_{ident.route}"),)
    jw_on = single_dose and waste.discarded_units > 0 and mods.jw_valid
    jz_on = single_dose and waste.discarded_units == 0 and (mods.jz_dispensed if waste.dispensed else mods.jz)
    given = _given_units(units, waste)
    if mods.ndc_required and len(waste.containers) > 1:  # one ContainerUse per NDC (`_containers`)
        lines = _lines_per_ndc(ident, chosen, units, waste, route_mods, mods.discarded if jw_on else None,
                               mods.zero_discarded if jz_on else None)
        # a line without an NDC carries no NDC quantity or unit
        lines = [ln if ln.ndc else replace(ln, ndc_unit=None, ndc_quantity=None) for ln in lines]
    else:
        ndc = ident.ndc  # a line without an NDC carries no NDC quantity or unit
        # a dispensed drug's quantity is that of the units billed, as a JW line's is (not the dose's)
        quantity, unit = (_ndc_quantity(ident, chosen, units, waste, given, waste.dispensed, rules) if ndc
                          else (None, None))
        # DrugLine(code, units, modifiers, ndc, ndc_quantity, ndc_unit, drug_id, wasted): positional, the
        # hot path of every drug (a call by keyword builds a dict)
        modifiers = (*route_mods, mods.zero_discarded) if jz_on and not jw_on else route_mods
        lines = [DrugLine(code, given, modifiers, ndc, quantity, unit, ident.drug.id)]
        if jw_on:
            quantity, unit = (_ndc_quantity(ident, chosen, units, waste, waste.discarded_units, True, rules) if ndc
                              else (None, None))
            lines.append(DrugLine(code, waste.discarded_units, (*route_mods, mods.discarded), ndc, quantity, unit,
                                  ident.drug.id, True))
    if jw_on and not mods.jw_required:
        findings.append(finding("DRUG-JW-OPTIONAL", f"{ident.path}: {rules.profile.title} does not require JW on "
                                f"{rules.dos}; {waste.discarded_units} discarded units are on their own JW line."))
    return tuple(lines)


def _lines_per_ndc(ident: Identified, chosen: CodeChosen, units: DoseUnits, waste: Waste,
                   route_mods: tuple[str, ...], jw: str | None, jz: str | None) -> list[DrugLine]:
    code = chosen.code
    unit_of_measure = ident.product.ndc_unit if ident.product else "ML"
    concentration = units.dose.concentration
    given_lines, wasted_lines = [], []
    split = waste
    if waste.dispensed:  # each NDC's units dispensed: its share of the dose and of the patient's discard together
        split = replace(waste, discarded_units=(waste.opened_units or 0) - units.administered)  # ≥ 0: `_dispensed`
    for use, given, discard, take in _split_by_ndc(chosen, units, split):
        labeled = _labeled_per_billed((use,), chosen.unit_mg)
        if waste.dispensed:
            given, take = given + discard, use.grams / labeled  # and no JW line (`jw` is None: nothing discarded)
        if given:
            quantity = (_un_quantity(waste, (use,), given, wasted=False) if unit_of_measure == "UN"
                        else _ml(concentration, take * labeled) if unit_of_measure == "ML" else None)
            given_lines.append(DrugLine(code=code, units=given, modifiers=(*route_mods, *([jz] if jz else [])),
                                        ndc=use.ndc, ndc_quantity=quantity, ndc_unit=unit_of_measure,
                                        drug_id=ident.drug.id))
        if discard and jw:
            quantity = (_un_quantity(waste, (use,), discard, wasted=True) if unit_of_measure == "UN"
                        else _ml(concentration, Decimal(discard * chosen.unit_mg) / 1000 * labeled)
                        if unit_of_measure == "ML" else None)
            wasted_lines.append(DrugLine(code=code, units=discard, modifiers=(*route_mods, jw), ndc=use.ndc,
                                         ndc_quantity=quantity, ndc_unit=unit_of_measure, drug_id=ident.drug.id,
                                         wasted=True))
    return [*given_lines, *wasted_lines]


def _other_drug(
    drug: Drug, index: int, rules: Rules, findings: list[Finding],
    setting: str | None = None,
) -> CodedDrug:
    """A drug that is not an immune globulin (a premedication): billed as given, with JW/JZ where the payer
    requires them on every separately payable single-dose drug (Medicare: from 2023-07-01)."""
    path = f"drugs[{index}]"
    if not drug.hcpcs:
        raise InputError(f"{path}.hcpcs", "a drug that is not a known immune globulin needs its hcpcs code")
    if drug.units is None:
        raise InputError(f"{path}.units", f"give the billed units of {drug.hcpcs}")
    code = drug.hcpcs.upper()
    ident = Identified(index, drug, False, drug.route or "IV", (), _chart_ndc(drug, path))
    given = DrugLine(code=code, units=drug.units, ndc=ident.ndc, drug_id=drug.id,
                     ndc_quantity=drug.ndc_quantity if ident.ndc else None,
                     ndc_unit=drug.ndc_unit if ident.ndc and drug.ndc_quantity else None)

    def coded(waste: Waste, *lines: DrugLine) -> CodedDrug:
        return CodedDrug(ident, code, administered_units=drug.units, waste=waste, lines=lines)

    separately_payable = bool(rules.setting(setting).get("other_drugs_separately_payable", True)) if setting else True
    if drug.container_type != "single_dose" or drug.shared_with_other_patient or not separately_payable:
        return coded(Waste(opened_units=drug.units), given)
    mods = discard_modifiers(rules)
    if not drug.containers:
        if mods.jz:
            findings.append(finding("DRUG-PREMED-CONTAINERS", f"{path}: {code} is a drug from a single-dose "
                                    f"container on {with_article(rules.profile.title)} claim on {rules.dos}: give its "
                                    "containers so JZ or a JW line can be billed."))
        return coded(Waste(opened_units=drug.units), given)
    opened = Decimal(0)
    for i, c in enumerate(drug.containers):
        cpath = f"{path}.containers[{i}]"
        per = c.units
        if per is None and c.ndc:
            per = rules.tables.package_billing_units(_ndc11(c.ndc, f"{cpath}.ndc"), code, rules.dos)
        if per is None:
            raise InputError(f"{cpath}.units", f"give the billing units of {code} one container holds (the "
                             "CMS NDC-HCPCS crosswalk does not list this container's NDC)")
        opened += per * c.count
    opened_units = int(opened.to_integral_value(rounding=ROUND_FLOOR))
    waste = Waste(opened_units=opened_units, discarded_units=max(0, opened_units - drug.units))
    if waste.discarded_units and mods.jw_valid and mods.jw_required:
        # The discard's NDC quantity in the given line's unit of measure, in proportion to the units: the 837
        # carries no NDC (LIN/CTP) on a line without a quantity.
        jw_quantity = (None if given.ndc_quantity is None else
                       (given.ndc_quantity * waste.discarded_units / drug.units).quantize(_THOUSANDTH).normalize())
        return coded(waste, given, DrugLine(code=code, units=waste.discarded_units, modifiers=(mods.discarded,),
                                            ndc=ident.ndc, drug_id=drug.id, wasted=True, ndc_quantity=jw_quantity,
                                            ndc_unit=given.ndc_unit if jw_quantity is not None else None))
    if not waste.discarded_units and mods.jz:
        return coded(waste, replace(given, modifiers=(mods.zero_discarded,)))
    return coded(waste, given)


def dose_units_exact(grams: Decimal, unit_mg: int) -> Decimal:
    """The dose in billing units before rounding (for messages that show both figures)."""
    return grams * 1000 / unit_mg


__all__ = ["CodeChosen", "CodedDrug", "ContainerUse", "DoseInGrams", "DoseUnits", "DrugLine", "Identified", "NoCode",
           "Waste", "best_combination", "code_drug", "units_for", "whole_units_in"]
