"""Rule tests written against the survivors of the mutation run over the diagnosis, table, drug, payer,
authorization and plausibility edits (`src/igclaim/edits/`; docs/mutation/): each pins a behaviour an official
source states, which a surviving mutant changed without any test noticing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from igclaim.errors import InputError
from igclaim.refdata import store
from igclaim.refdata.importers import Options
from tests.test_edits_support import BASE, build, chart, scrub

FIX = Path(__file__).parent / "fixtures" / "cms"
ICD10_FILES = "https://www.cms.gov/medicare/coding-billing/icd-10-codes"
MCD = "https://www.cms.gov/medicare-coverage-database/"
ARTICLE = "https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId={}"
DEFAULT = "Default immune globulin policy (replace with your contractor's or plan's list)"
DEFAULT_NOTE = ("Default list of common IG indications, not your contractor's or plan's policy: verify the diagnosis "
                "against the LCD/article or plan policy that applies.")
NO_CONTRACTOR = ("No Medicare contractor is known for this claim (give payer.contractor or the billing provider's "
                 "address), so the default list was used.")
UNCERTAIN = " (a warning: the list is not certain for your payer)"
CHEMO = ("Z51.11 (encounter for antineoplastic chemotherapy) describes a chemotherapy visit, not an indication for "
         "immune globulin")


def found(result, prefix: str) -> list[tuple]:
    """The findings of one edit family as (edit, severity, line, message), in the order they are reported."""
    return [(f.edit, f.severity, f.line, f.message) for f in result.findings if f.edit.startswith(prefix)]


def on(dos: str, **changes) -> dict:
    """The base chart moved to another date of service (its infusion too)."""
    return chart(date_of_service=dos, administrations=[{"drug_id": "ig1", "start": f"{dos}T09:00",
                                                        "stop": f"{dos}T14:00"}], **changes)


def provider(state: str) -> dict:
    return {"npi": "1234567893", "tax_id": "990000001", "name": "Valley Infusion",
            "address": {"line1": "1 Main St", "city": "Springfield", "state": state, "zip": "12345"}}


def second_ig(enc: dict, product: str = "Privigen", route: str = "IV", grams: int = 10) -> dict:
    enc["drugs"].append({"id": "ig2", "product": product, "route": route, "dose": {"grams": grams},
                         "containers": [{"grams": grams, "count": 1}]})
    enc["administrations"].append({"drug_id": "ig2", "start": f"{enc['date_of_service']}T14:00",
                                   "stop": f"{enc['date_of_service']}T15:00"})
    return enc


# --- edits/diagnosis.py ----------------------------------------------------------------------------------------
# ICD-10-CM validity by date (refdata/icd10/releases.toml: FY2025 2024-10-01 to 2025-09-30, FY2026 from 2025-10-01;
# errata #28: G35 is a category from 2025-10-01, replaced by G35.A, G35.B0-B2, G35.C0-C2, G35.D).

G35_CATEGORY = ("DX-INVALID", "error", None, "G35 is not a billable ICD-10-CM code on 2025-10-01 (FY2026 release): it "
                "is a category; billable codes under it: G35.A, G35.B0, G35.B1, G35.B2, G35.C0, G35.C1, G35.C2, G35.D.")


@pytest.mark.parametrize("dos,expected", [
    ("2024-09-30", [("DX-INVALID", "info", None, "G35: no bundled ICD-10-CM release covers 2024-09-30, so the code "
                     "could not be checked.")]),
    ("2024-10-01", []),  # FY2025: G35 billable
    ("2025-09-30", []),
    ("2025-10-01", [G35_CATEGORY]),
])
def test_g35_billable_through_fy2025_and_a_category_from_2025_10_01(dos, expected):
    r = build(on(dos, diagnoses=["G35"]))
    assert found(r, "DX-INVALID") == expected
    fixes = [f.fix for f in r.findings if f.edit == "DX-INVALID"]
    if expected and expected[0][1] == "info":
        assert fixes == ["Import the ICD-10-CM release in force on the date (igclaim data import icd10)."]
    elif expected:
        assert fixes == ["Code to the most specific billable code (G35.A …)."]



@pytest.mark.parametrize("dos,expected", [
    ("2025-09-30", [("DX-INVALID", "error", None, "G35.A is not a billable ICD-10-CM code on 2025-09-30 (FY2025 "
                     "release): it is not in that release.")]),
    ("2025-10-01", []),
])
def test_g35_a_is_billable_from_2025_10_01(dos, expected):
    """G35.A (relapsing-remitting multiple sclerosis) is one of the FY2026 codes that replaced G35 (errata #28)."""
    assert found(build(on(dos, diagnoses=["G35.A"])), "DX-INVALID") == expected

def test_a_code_that_is_neither_billable_nor_a_category():
    """D83.7 does not exist in ICD-10-CM (D83 has .0, .1, .2, .8, .9)."""
    r = build(chart(diagnoses=["D83.9", "D83.7"]))
    assert found(r, "DX-INVALID") == [("DX-INVALID", "error", None, "D83.7 is not a billable ICD-10-CM code on "
                                       "2026-03-02 (FY2026 release): it is not in that release.")]
    assert [f.fix for f in r.findings if f.edit == "DX-INVALID"] == ["Code to the most specific billable code."]
    assert found(r, "DX-NOT-COVERED") == []  # D83.9 (CVID) covers the claim


def test_a_code_missing_from_a_partial_imported_release_only_warns(home):
    """An imported release in force (it wins over the bundled one for its dates) that lacks a code the bundled FY2026
    release has may be a partial file: a warning, not a rejection; a code neither has is still an error."""
    store.import_file("icd10", FIX / "icd10cm_order_2026-real-excerpt.txt",
                      Options(effective=date(2026, 4, 1), ends=date(2026, 9, 30)))
    name = "imported icd10cm_order_2026-real-excerpt.txt"
    r = build(on("2026-05-04", diagnoses=["D83.9", "R53.83", "D83"]))
    assert found(r, "DX-INVALID") == [
        ("DX-INVALID", "warning", None, f"R53.83 is not in the {name} release in force on 2026-05-04, but it is "
         "billable in the FY2026 release for the same date: the file in force may be partial, so this is uncertain."),
        ("DX-INVALID", "error", None, f"D83 is not a billable ICD-10-CM code on 2026-05-04 ({name} release): it is "
         "a category; billable codes under it: D83.0, D83.1, D83.2, D83.8, D83.9."),
    ]
    assert [f.fix for f in r.findings if f.edit == "DX-INVALID"][0] == (
        "Check that the imported ICD-10-CM file is the complete release (igclaim data status).")
    # The day before the import's first date the bundled FY2026 release alone answers: R53.83 is billable.
    assert found(build(on("2026-03-31", diagnoses=["D83.9", "R53.83"])), "DX-INVALID") == []



def test_a_written_diagnosis_the_release_cannot_confirm_points_at_the_drug_line(home):
    """On scrub, the doubts about a written claim's own diagnosis (no release for the date; a partial imported
    release) are reported on its drug line, as its errors are."""
    assert found(scrub(on("2019-05-01"), lambda c: c.update(diagnoses=["D80.0"])), "DX-INVALID") == [
        ("DX-INVALID", "info", None, "D83.9: no bundled ICD-10-CM release covers 2019-05-01, so the code could not be "
         "checked."),
        ("DX-INVALID", "info", 1, "D80.0: no bundled ICD-10-CM release covers 2019-05-01, so the code could not be "
         "checked.")]
    # Each diagnosis of the chart is named.
    assert [f[3][:6] for f in found(build(on("2019-05-01", diagnoses=["D83.9", "D80.0"])), "DX-INVALID")] == [
        "D83.9:", "D80.0:"]
    store.import_file("icd10", FIX / "icd10cm_order_2026-real-excerpt.txt",
                      Options(effective=date(2026, 4, 1), ends=date(2026, 9, 30)))
    r = scrub(on("2026-05-04"), lambda c: c.update(diagnoses=["D83.9", "R53.83"]))
    assert [(f[1], f[2]) for f in found(r, "DX-INVALID")] == [("warning", 1)]

def test_no_diagnosis_on_the_chart_nor_on_the_claim():
    r = build(chart(diagnoses=[]))
    assert found(r, "DX-MISSING") == [("DX-MISSING", "error", None, "The chart gives no diagnosis; a claim without "
                                       "one is rejected.")]
    # On scrub the written claim's own diagnoses count: it is not sent without one.
    assert found(scrub(chart(diagnoses=[]), lambda c: c.update(diagnoses=["D83.9"])), "DX-MISSING") == []
    assert found(scrub(chart(diagnoses=[])), "DX-MISSING") != []


@pytest.mark.parametrize("dx,expected", [
    (["Z51.11", "D83.9"], ("error", "Z51.11 first-listed")),
    (["D83.9", "z5111"], ("warning", "Z51.11 listed as diagnosis 2")),
    (["D83.9", "D80.0", "Z51.11"], ("warning", "Z51.11 listed as diagnosis 3")),
])
def test_z51_11_is_never_the_reason_for_ig(dx, expected):
    """errata #30: Z51.11 is always wrong as the reason for IG; first-listed it is the claim's reason (an error)."""
    severity, where = expected
    assert found(build(chart(diagnoses=dx)), "DX-CHEMO") == [
        ("DX-CHEMO-ENCOUNTER", severity, None, f"{where}: {CHEMO}.")]


def test_z51_11_on_the_written_claim_only():
    """On scrub the written claim's Z51.11 points at its drug line, unless the chart already reported it."""
    assert found(scrub(BASE, lambda c: c.update(diagnoses=["Z51.11", "D83.9"])), "DX-CHEMO") == [
        ("DX-CHEMO-ENCOUNTER", "error", 1, f"Z51.11 first-listed: {CHEMO}.")]
    assert found(scrub(BASE, lambda c: c.update(diagnoses=["D83.9", "D80.0", "Z51.11"])), "DX-CHEMO") == [
        ("DX-CHEMO-ENCOUNTER", "warning", 1, f"Z51.11 listed as diagnosis 3: {CHEMO}.")]
    both = scrub(chart(diagnoses=["Z51.11", "D83.9"]), lambda c: c.update(diagnoses=["D83.9", "Z51.11"]))
    assert found(both, "DX-CHEMO") == [("DX-CHEMO-ENCOUNTER", "error", None, f"Z51.11 first-listed: {CHEMO}.")]


def test_written_claim_diagnoses_not_on_the_chart_are_checked_on_the_drug_line():
    """A written diagnosis the chart already has is reported once (by the chart check); a new one on the written
    claim is reported on the first drug line of the claim, wherever it stands."""
    r = scrub(chart(diagnoses=["D83.9", "D83"]), lambda c: c.update(diagnoses=["D83", "D80"]))
    assert found(r, "DX-INVALID") == [
        ("DX-INVALID", "error", None, "D83 is not a billable ICD-10-CM code on 2026-03-02 (FY2026 release): it is a "
         "category; billable codes under it: D83.0, D83.1, D83.2, D83.8, D83.9."),
        ("DX-INVALID", "error", 1, "D80 is not a billable ICD-10-CM code on 2026-03-02 (FY2026 release): it is a "
         "category; billable codes under it: D80.0, D80.1, D80.2, D80.3, D80.4, D80.5, D80.6, D80.7, D80.8, D80.9."),
    ]

    def drug_line_last(c):
        c["lines"] = c["lines"][1:] + c["lines"][:1]
        for i, ln in enumerate(c["lines"], start=1):
            ln["line"] = i
        c["diagnoses"] = ["D80"]
    assert [f.line for f in scrub(BASE, drug_line_last).findings if f.edit == "DX-INVALID"] == [3]
    # The same codes written another way (lower case, no dot) are the chart's: nothing more to say.
    assert found(scrub(chart(diagnoses=["D83"]), lambda c: c.update(diagnoses=["d83"])), "DX-INVALID") == [
        ("DX-INVALID", "error", None, "D83 is not a billable ICD-10-CM code on 2026-03-02 (FY2026 release): it is a "
         "category; billable codes under it: D83.0, D83.1, D83.2, D83.8, D83.9.")]


def test_default_list_gap_is_a_warning_that_says_it_is_a_default():
    """Without a Medicare contractor (no payer.contractor, no billing provider state) the default list is used:
    reference.md §6 says it is a default to be verified, so it only warns, and says why."""
    r = build(chart(diagnoses=["R53.83"]))  # fatigue: never an IG indication (reference.md §6)
    assert found(r, "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "warning", None, f"No diagnosis on the claim (R53.83) is covered for Gamunex-C (IV) under "
         f"{DEFAULT}{UNCERTAIN}. {DEFAULT_NOTE} {NO_CONTRACTOR}")]
    assert [f.source for f in r.findings if f.edit == "DX-NOT-COVERED"] == [MCD]
    # Medicare Advantage is not bound by the contractors' lists and has no contractor to ask for.
    ma_payer = {"type": "medicare_advantage", "prior_authorization": {"number": "P"}}
    ma = build(chart(diagnoses=["R53.83"], payer=ma_payer))
    assert found(ma, "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "warning", None, f"No diagnosis on the claim (R53.83) is covered for Gamunex-C (IV) under "
         f"{DEFAULT}{UNCERTAIN}. {DEFAULT_NOTE}")]


def test_written_diagnosis_not_covered_while_the_charts_is():
    r = scrub(BASE, lambda c: c.update(diagnoses=["R53.83"]))
    assert found(r, "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "warning", 1, f"No diagnosis on the claim (R53.83) is covered for Gamunex-C (IV) under "
         f"{DEFAULT}{UNCERTAIN}. {DEFAULT_NOTE} {NO_CONTRACTOR} The chart's diagnoses (D83.9) are covered.")]
    # Chart and claim both uncovered: the chart's finding alone, on the drug line, naming the chart's diagnosis as
    # the chart's (the claim goes out with F84.0, which the chart does not list: DX-NOT-DOCUMENTED).
    both = scrub(chart(diagnoses=["R53.83"]), lambda c: c.update(diagnoses=["F84.0"]))
    assert found(both, "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "warning", 1, f"No diagnosis in the chart (R53.83) is covered for Gamunex-C (IV) under "
         f"{DEFAULT}{UNCERTAIN}. {DEFAULT_NOTE} {NO_CONTRACTOR}")]
    assert found(both, "DX-NOT-DOCUMENTED") == [
        ("DX-NOT-DOCUMENTED", "warning", 1, "F84.0 is on the claim but not among the chart's diagnoses (R53.83).")]



def test_written_diagnosis_not_covered_names_every_diagnosis_of_the_chart():
    r = scrub(chart(diagnoses=["D83.9", "R53.83"]), lambda c: c.update(diagnoses=["R53.83"]))
    assert found(r, "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "warning", 1, f"No diagnosis on the claim (R53.83) is covered for Gamunex-C (IV) under "
         f"{DEFAULT}{UNCERTAIN}. {DEFAULT_NOTE} {NO_CONTRACTOR} Of the chart's diagnoses (D83.9, R53.83), D83.9 is "
         "covered.")]  # R53.83 (fatigue) is on no list: the chart is covered through D83.9 alone


def test_written_diagnosis_off_the_contractors_list_is_an_error_on_the_drug_line():
    enc = chart(billing_provider=provider("OH"))
    assert found(scrub(enc, lambda c: c.update(diagnoses=["D80.1"])), "DX-") == [
        ("DX-NOT-COVERED", "error", 1, f"No diagnosis on the claim (D80.1) is covered for Gamunex-C (IV) under {CGS}. "
         "The chart's diagnoses (D83.9) are covered.")]
    # Another covered diagnosis on the written claim is no coverage finding, but the chart does not list it.
    assert found(scrub(enc, lambda c: c.update(diagnoses=["D80.0"])), "DX-") == [
        ("DX-NOT-DOCUMENTED", "warning", 1, "D80.0 is on the claim but not among the chart's diagnoses (D83.9).")]

def test_home_ivig_list_is_the_dme_macs_article():
    """Medicare home IVIG: DME MAC article A52509 (primary immune deficiency only; errata #25: D80.1 is not on it).
    An immune deficiency left off is a medical-necessity question; any other diagnosis has no benefit category."""
    d80_1 = build(chart(setting="home", diagnoses=["D80.1"]))
    assert found(d80_1, "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "error", None, "No diagnosis on the claim (D80.1) is covered for Gamunex-C (IV) under the "
         "Medicare contractor's list A52509 group 1 (DME MACs).")]
    assert [f.source for f in d80_1.findings if f.edit == "DX-NOT-COVERED"] == [ARTICLE.format(52509)]
    assert found(build(chart(setting="home", diagnoses=["F84.0"])), "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "error", None, "No diagnosis on the claim (F84.0) is covered for Gamunex-C (IV) under the "
         "Medicare contractor's list A52509 group 1 (DME MACs). Outside the home IVIG benefit (primary immune "
         "deficiency only): Medicare denies it as noncovered, no benefit category, whatever a SC note says.")]
    assert found(build(chart(setting="home", diagnoses=["D83.9"])), "DX-NOT-COVERED") == []


def test_home_scig_cidp_only_for_the_products_the_article_names():
    """A52507 group 6 (CIDP by pump) names Hizentra J1559 and HyQvia J1575 (mac-articles.toml)."""
    def sc(product: str, dx: str) -> dict:
        return chart(setting="home", diagnoses=[dx], drug0={"product": product, "route": "SC", "dose": {"grams": 10},
                                                             "containers": [{"grams": 10, "count": 1}]})
    label = "A52507 group 3 + A52507 group 6 (J1559, J1575 only) (DME MACs)"
    r = build(sc("Cuvitru", "G61.81"))
    # a warning: the product limit is igclaim's reading, the article's product line was not read (mac-articles.toml)
    assert found(r, "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "warning", None, f"No diagnosis on the claim (G61.81) is covered for Cuvitru (SC) under "
         f"the Medicare contractor's list {label}{UNCERTAIN}. SC immune globulin through a pump, CIDP (DME MAC, LCD "
         "L33794, group 6: Hizentra J1559, HyQvia J1575 only): Cuvitru (SC) is not one of the products igclaim reads "
         "that group as limited to. igclaim limits group 6 to Hizentra and HyQvia (the SC immune globulins labelled "
         "for CIDP), but the article's own product line was not read: verify on the MCD (LCD L33794, article A52507) "
         "whether it covers this product.")]
    assert [f.source for f in r.findings if f.edit == "DX-NOT-COVERED"] == [ARTICLE.format(52507)]
    assert found(build(sc("Hizentra", "G61.81")), "DX-NOT-COVERED") == []
    # D81.30: the D81.3 split after FY2023 may be on the list: a warning with the data's note.
    assert found(build(sc("Cuvitru", "D81.30")), "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "warning", None, f"No diagnosis on the claim (D81.30) is covered for Cuvitru (SC) under the "
         f"Medicare contractor's list {label}{UNCERTAIN}. D81.3 (adenosine deaminase deficiency) was split after "
         "FY2023; the home list may include the new D81.3x codes: verify against DME article A52509/A52507.")]


def test_home_ivig_and_scig_on_one_claim_name_both_articles():
    enc = second_ig(chart(setting="home", diagnoses=["F84.0"]), product="Cuvitru", route="SC")
    result = build(enc)
    [(_, _, _, abn)] = found(result, "PAYER-ABN-MODIFIER")  # the claim's list names both articles
    assert abn.startswith("The diagnosis is not covered (the Medicare contractor's list A52509 group 1 (DME MACs) and "
                          "A52507 group 3 + A52507 group 6 (J1559, J1575 only) (DME MACs)), each product its own way")
    # DX-NOT-COVERED: one finding per product, each under its own article; the home IVIG benefit's note on the IVIG's
    [iv, sc] = found(result, "DX-NOT-COVERED")
    assert iv[:3] == sc[:3] == ("DX-NOT-COVERED", "error", None)
    assert iv[3] == ("No diagnosis on the claim (F84.0) is covered for Gamunex-C (IV) under the Medicare contractor's "
                     "list A52509 group 1 (DME MACs). Outside the home IVIG benefit (primary immune deficiency only): "
                     "Medicare denies it as noncovered, no benefit category, whatever a SC note says.")
    assert sc[3] == ("No diagnosis on the claim (F84.0) is covered for Cuvitru (SC) under the Medicare contractor's "
                     "list A52507 group 3 + A52507 group 6 (J1559, J1575 only) (DME MACs).")


@pytest.mark.parametrize("state,dx,expected", [
    # A56779 + A57160 (CGS, J15: OH) do not list D80.1 (range D44.7-D89.9 read in full): an error.
    ("OH", "D80.1", ("error", "A56779 + A57160 (CGS Administrators (A/B MAC), J15), chosen by the billing provider's "
                     "state OH.", 56779)),
    ("oh", "D80.1", ("error", "A56779 + A57160 (CGS Administrators (A/B MAC), J15), chosen by the billing provider's "
                     "state OH.", 56779)),
    # First Coast A57778: G43.909 (migraine) is in a read range and not listed; F84.0 is in an unread range.
    ("FL", "G43.909", ("error", "A57778 (First Coast Service Options (A/B MAC), JN), chosen by the billing provider's "
                       "state FL.", 57778)),
    ("FL", "F84.0", ("warning", "A57778 (First Coast Service Options (A/B MAC), JN), chosen by the billing provider's "
                     f"state FL{UNCERTAIN}. F84.0 is in a code range igclaim's copy of the list did not read, so the "
                     "list could not verify it: check the article on the MCD.", 57778)),
    # Noridian A57187 serves JE or JF (not resolved): only a warning, with the data's note.
    ("CA", "G43.909", ("warning", "A57187 + A54641 + A54643 (Noridian Healthcare Solutions (A/B MAC), JE), chosen by "
                       f"the billing provider's state CA{UNCERTAIN}. A57187 is Noridian's IVIG article for JE or JF "
                       "(which one was not resolved): verify it applies in JE.", 57187)),
])
def test_office_claim_uses_the_contractor_of_the_billing_providers_state(state, dx, expected):
    severity, text, article = expected
    r = build(chart(diagnoses=[dx], billing_provider=provider(state)))
    assert found(r, "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", severity, None, f"No diagnosis on the claim ({dx}) is covered for Gamunex-C (IV) under the "
         f"Medicare contractor's list {text}")]
    assert [f.source for f in r.findings if f.edit == "DX-NOT-COVERED"] == [ARTICLE.format(article)]


def test_two_products_not_covered_are_both_named():
    enc = second_ig(chart(diagnoses=["D80.1"], billing_provider=provider("OH")))
    assert found(build(enc), "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "error", None, "No diagnosis on the claim (D80.1) is covered for Gamunex-C (IV), Privigen "
         "(IV) under the Medicare contractor's list A56779 + A57160 (CGS Administrators (A/B MAC), J15), chosen by "
         "the billing provider's state OH.")]



def test_every_ig_drug_is_checked_whatever_stands_before_it():
    """A premedication (J1200, not an immune globulin) listed first, and an IG given by its code alone (named by it)."""
    premed = {"id": "pre", "hcpcs": "J1200", "units": 1, "containers": [{"units": 1}]}
    by_code = {"id": "ig1", "hcpcs": "J1561", "route": "IV", "dose": {"grams": 30},
               "containers": [{"grams": 10, "count": 3}]}
    enc = chart(diagnoses=["D80.1"], billing_provider=provider("OH"), drugs=[premed, by_code], administrations=[
        {"drug_id": "pre", "start": "2026-03-02T08:45", "stop": "2026-03-02T08:50", "method": "push"},
        BASE["administrations"][0]])
    assert found(build(enc), "DX-") == [
        ("DX-NOT-COVERED", "error", None, f"No diagnosis on the claim (D80.1) is covered for J1561 (IV) under {CGS}.")]


def test_a_contractors_doubt_is_said_once_for_two_products():
    enc = second_ig(chart(diagnoses=["G43.909"], billing_provider=provider("CA")))
    assert found(build(enc), "DX-") == [
        ("DX-NOT-COVERED", "warning", None, "No diagnosis on the claim (G43.909) is covered for Gamunex-C (IV), "
         "Privigen (IV) under the Medicare contractor's list A57187 + A54641 + A54643 (Noridian Healthcare Solutions "
         f"(A/B MAC), JE), chosen by the billing provider's state CA{UNCERTAIN}. A57187 is Noridian's IVIG article "
         "for JE or JF (which one was not resolved): verify it applies in JE.")]


def test_every_diagnosis_is_named_and_the_first_unread_one_says_why():
    r = build(chart(diagnoses=["R53.83", "F84.0"], billing_provider=provider("FL")))
    assert found(r, "DX-") == [
        ("DX-NOT-COVERED", "warning", None, "No diagnosis on the claim (R53.83, F84.0) is covered for Gamunex-C (IV) "
         "under the Medicare contractor's list A57778 (First Coast Service Options (A/B MAC), JN), chosen by the "
         f"billing provider's state FL{UNCERTAIN}. R53.83 is in a code range igclaim's copy of the list did not read, "
         "so the list could not verify it: check the article on the MCD.")]


def test_a_written_claim_without_a_drug_line_gets_the_finding_on_no_line():
    def no_drug_line(c):
        c["lines"] = [ln for ln in c["lines"] if not ln["code"].startswith("J")]
        for i, ln in enumerate(c["lines"], start=1):
            ln["line"] = i
        c["diagnoses"] = ["R53.83"]
    assert [(f.edit, f.line) for f in scrub(BASE, no_drug_line).findings if f.edit.startswith("DX-")] == [
        ("DX-NOT-COVERED", None)]

def test_payer_contractor_then_the_profiles_then_the_state():
    by_payer = build(chart(diagnoses=["D80.1"], billing_provider=provider("FL"),
                           payer={"type": "medicare", "contractor": "a56779"}))
    assert found(by_payer, "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "error", None, "No diagnosis on the claim (D80.1) is covered for Gamunex-C (IV) under the "
         "Medicare contractor's list A56779 (CGS Administrators (A/B MAC), J15), chosen by the payer.contractor.")]
    first_coast = {"type": "medicare", "profile": "medicare-part-b-first-coast"}
    by_profile = build(chart(diagnoses=["G43.909"], billing_provider=provider("OH"), payer=first_coast))
    assert found(by_profile, "DX-NOT-COVERED") == [
        ("DX-NOT-COVERED", "error", None, "No diagnosis on the claim (G43.909) is covered for Gamunex-C (IV) under the "
         "Medicare contractor's list A57778 (First Coast Service Options (A/B MAC), JN), chosen by the payer profile "
         "medicare-part-b-first-coast.")]
    over_profile = build(chart(diagnoses=["D80.1"], payer=dict(first_coast, contractor="J15")))
    assert "chosen by the payer.contractor" in found(over_profile, "DX-NOT-COVERED")[0][3]
    assert found(build(chart(diagnoses=["D80.1"], payer=first_coast)), "DX-NOT-COVERED") == []  # A57778 lists D80.1


def test_a_contractor_that_is_not_one_names_the_field(tmp_path):
    with pytest.raises(InputError) as exc:
        build(chart(payer={"type": "medicare", "contractor": "JZ9"}))
    assert exc.value.path == "payer.contractor" and exc.value.message.startswith("'JZ9' is not a Medicare contractor")
    profile = tmp_path / "bad-contractor.toml"
    profile.write_text('[profile]\nname = "bad-contractor"\ntitle = "Bad"\npayer_types = []\noriginal_medicare = true\n'
                       'extends = "medicare-part-b"\n\n[parameters.contractor]\nlabel = "c"\nsource = "s"\n'
                       'values = { "2000-01-01" = "JZ9" }\n')
    with pytest.raises(InputError) as exc:
        build(chart(payer={"type": "medicare", "profile": str(profile)}))
    assert exc.value.path == "payer.profile"
    assert exc.value.message.startswith("contractor: 'JZ9' is not a Medicare contractor")


def test_an_entry_marked_uncertain_passes_with_a_warning():
    """reference.md §6: CLL with hypogammaglobulinemia and polymyositis are contractor-dependent (verify)."""
    r = build(chart(diagnoses=["C91.10", "D80.1"]))
    assert found(r, "DX-") == [
        ("DX-COVERAGE-UNCERTAIN", "warning", None, "C91.10, D80.1: Gamunex-C (IV) is covered only by \"chronic "
         "lymphocytic leukemia with hypogammaglobulinemia (contractor-dependent)\", an entry marked uncertain "
         "(contractor-dependent): verify the payer's policy.")]
    assert [f.source for f in r.findings] == ["https://www.cms.gov/medicare-coverage-database/view/lcd.aspx?lcdid=34007"]
    written = scrub(BASE, lambda c: c.update(diagnoses=["M33.22"]))
    assert found(written, "DX-COVERAGE") == [
        ("DX-COVERAGE-UNCERTAIN", "warning", 1, "M33.22: Gamunex-C (IV) is covered only by \"polymyositis "
         "(contractor-dependent)\", an entry marked uncertain (contractor-dependent): verify the payer's policy.")]
    # A contractor's list decides for itself: no default-list doubt is added to it.
    assert found(build(chart(diagnoses=["M33.22"], billing_provider=provider("OH"))), "DX-") == []


def _profile(tmp_path: Path, name: str, office: str, at_home: str, extra: str = "") -> dict:
    """An Original Medicare profile of the user's own, beside two lists of their own: my-ig.toml for the office
    (CIDP; ITP for Privigen J1459 only) and my-home-ig.toml for home (CVID D83.9 only)."""
    head = '[policy]\nname = "{}"\ntitle = "{}"\nkind = "official"\nseverity = "error"\nsource = "{}"\n\n'
    (tmp_path / "my-ig.toml").write_text(
        head.format("my-ig", "My IG list", "https://example.org/policy") + '[[indication]]\nname = "CIDP"\n'
        'codes = ["G61.81"]\n\n[[indication]]\nname = "ITP (Privigen only)"\ncodes = ["D69.3"]\n'
        'products = ["J1459"]\n')
    (tmp_path / "my-home-ig.toml").write_text(
        head.format("my-home-ig", "My home IG list", "https://example.org/home") + '[[indication]]\nname = "CVID"\n'
        'codes = ["D83.9"]\n')
    (tmp_path / f"{name}.toml").write_text(
        f'[profile]\nname = "{name}"\ntitle = "Mine"\npayer_types = []\noriginal_medicare = true\n'
        'extends = "medicare-part-b"\n\n'
        f'[parameters.coverage_policy]\nlabel = "c"\nsource = "s"\nvalues = {{ "2000-01-01" = "{office}" }}\n\n'
        f'[parameters.home_coverage_policy]\nlabel = "c"\nsource = "s"\nvalues = {{ "2000-01-01" = "{at_home}" }}\n'
        + extra)
    return {"type": "medicare", "profile": str(tmp_path / f"{name}.toml")}


def test_a_profiles_own_list_binds_unless_the_claim_names_a_contractor(tmp_path):
    """The user's list, named by their Original Medicare profile (a file beside it), wins over the bundled
    contractors' lists. It is the user's list, not the default one: no note says the default list was used."""
    mine = _profile(tmp_path, "mine", "my-ig.toml", "my-home-ig.toml")
    r = build(chart(diagnoses=["D80.1"], billing_provider=provider("OH"), payer=mine))
    assert found(r, "DX-") == [
        ("DX-NOT-COVERED", "error", None, "No diagnosis on the claim (D80.1) is covered for Gamunex-C (IV) under My IG "
         "list.")]
    assert found(r, "PAYER-") == [
        ("PAYER-ABN-MODIFIER", "error", None, "The diagnosis may not be covered (My IG list) and no ABN is recorded "
         "(payer.abn_signed): add GZ to the drug and administration lines.")]


def test_the_claims_contractor_wins_over_a_profiles_own_list(tmp_path):
    mine = _profile(tmp_path, "mine", "my-ig.toml", "my-home-ig.toml")
    by_list = build(chart(diagnoses=["D80.1"], billing_provider=provider("OH"), payer=mine))
    assert [f.source for f in by_list.findings if f.edit == "DX-NOT-COVERED"] == ["https://example.org/policy"]
    assert found(build(chart(diagnoses=["G61.81"], billing_provider=provider("OH"), payer=mine)), "DX-") == []
    named = build(chart(diagnoses=["D80.1"], payer=dict(mine, contractor="J15")))
    assert found(named, "DX-") == [
        ("DX-NOT-COVERED", "error", None, "No diagnosis on the claim (D80.1) is covered for Gamunex-C (IV) under the "
         "Medicare contractor's list A56779 + A57160 (CGS Administrators (A/B MAC), J15), chosen by the "
         "payer.contractor.")]
    # A product-limited entry covers its products only: ITP (D69.3) for Privigen, not for Gamunex-C.
    itp = build(chart(diagnoses=["D69.3"], payer=mine))
    assert [f[3][:70] for f in found(itp, "DX-NOT-COVERED")] == [
        "No diagnosis on the claim (D69.3) is covered for Gamunex-C (IV) under "]
    privigen = dict(PRIVIGEN_35_OF_40[0], dose={"grams": 40}, containers=[{"grams": 40}])
    assert found(build(chart(diagnoses=["D69.3"], payer=mine, drugs=[privigen])), "DX-") == []


def test_a_doubt_limited_to_a_route_or_a_product_counts_for_it_only(tmp_path):
    """A user's list may limit a doubt to a route or a product, as the bundled home list limits CIDP to SC immune
    globulin by pump (LCD L33794): a doubt about another route or product leaves the list's error standing."""
    (tmp_path / "doubts.toml").write_text(
        '[policy]\nname = "doubts"\ntitle = "My list"\nkind = "official"\nseverity = "error"\n'
        'source = "https://example.org/doubts"\nnotice = "Plan policy 7."\n\n[[indication]]\nname = "CIDP"\n'
        'codes = ["G61.81"]\n\n[[indication]]\nname = "ITP"\ncodes = ["D69.3"]\nproducts = ["J1459"]\n'
        'certain = false\nnote = "ITP for Privigen only, verify"\n\n[[uncertain]]\nprefixes = ["G61.82"]\n'
        'routes = ["IV"]\nnote = "MMN by IV: verify."\n\n[[uncertain]]\nprefixes = ["G61.82"]\nroutes = ["SC"]\n'
        'note = "MMN by SC: verify."\n\n[[indication]]\nname = "Kawasaki disease (Privigen)"\ncodes = ["M30.3"]\n'
        'products = ["privigen"]\n\n[[uncertain]]\nprefixes = ["G61.8"]\nnote = "G61.8x under review."\n')
    mine = _profile(tmp_path, "mine", "doubts.toml", "my-home-ig.toml")
    said = "No diagnosis on the claim ({}) is covered for Gamunex-C (IV) under My list{}. Plan policy 7.{}"
    assert found(build(chart(diagnoses=["D69.3"], payer=mine)), "DX-") == [
        ("DX-NOT-COVERED", "error", None, said.format("D69.3", "", ""))]
    assert found(build(chart(diagnoses=["G61.82"], payer=mine)), "DX-") == [
        ("DX-NOT-COVERED", "warning", None,
         said.format("G61.82", UNCERTAIN, " MMN by IV: verify. G61.8x under review."))]
    # An entry names its product by HCPCS code or by name (any case).
    privigen = dict(PRIVIGEN_35_OF_40[0], dose={"grams": 40}, containers=[{"grams": 40}])
    assert found(build(chart(diagnoses=["M30.3"], payer=mine, drugs=[privigen])), "DX-") == []
    assert [f[3][:64] for f in found(build(chart(diagnoses=["M30.3"], payer=mine)), "DX-")] == [
        "No diagnosis on the claim (M30.3) is covered for Gamunex-C (IV) "]


def test_at_home_a_profiles_own_home_list_replaces_the_dme_macs_articles(tmp_path):
    mine = _profile(tmp_path, "mine", "my-ig.toml", "my-home-ig.toml")
    r = build(chart(setting="home", diagnoses=["G61.81"], payer=mine))
    assert found(r, "DX-") == [
        ("DX-NOT-COVERED", "error", None, "No diagnosis on the claim (G61.81) is covered for Gamunex-C (IV) under My "
         "home IG list.")]
    assert [f.source for f in r.findings if f.edit == "DX-NOT-COVERED"] == ["https://example.org/home"]
    assert found(r, "PAYER-") == [
        ("PAYER-ABN-MODIFIER", "error", None, "The diagnosis may not be covered (My home IG list) and no ABN is "
         "recorded (payer.abn_signed): add GZ to the drug and administration lines.")]
    assert found(build(chart(setting="home", diagnoses=["D83.9"], payer=mine)), "DX-") == []


HOME_LIST = "Medicare home immune globulin (primary immunodeficiency; SCIG also CIDP)"
HOME_NOTICE = "Medicare home IVIG is covered for primary immunodeficiency only (Benefit Policy Manual ch. 15 §50.6)."


def test_the_bundled_home_list_when_home_infusion_is_billed_professionally(tmp_path):
    """An Original Medicare profile whose home_rules is not medicare-dme reads the bundled home list
    (medicare-home-ivig-pidd: Benefit Policy Manual ch. 15 §50.6; CIDP for SC by pump only, LCD L33794)."""
    prof = _profile(tmp_path, "prof", "default-ig", "medicare-home-ivig-pidd",
                    '\n[parameters.home_rules]\nlabel = "h"\nsource = "s"\n'
                    'values = { "2000-01-01" = "professional" }\n')
    iv = build(chart(setting="home", diagnoses=["G61.81"], payer=prof))
    assert found(iv, "DX-") == [
        ("DX-NOT-COVERED", "error", None, f"No diagnosis on the claim (G61.81) is covered for Gamunex-C (IV) under "
         f"{HOME_LIST}. {HOME_NOTICE}")]
    assert found(iv, "PAYER-") == [
        ("PAYER-ABN-MODIFIER", "error", None, f"The diagnosis may not be covered ({HOME_LIST}) and no ABN is recorded "
         "(payer.abn_signed): add GZ to the drug and administration lines.")]
    sc = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 10},
          "containers": [{"grams": 10, "count": 1}]}
    assert found(build(chart(setting="home", diagnoses=["G61.81"], payer=prof, drugs=[sc])), "DX-") == [
        ("DX-COVERAGE-UNCERTAIN", "warning", None, "G61.81: Hizentra (SC) is covered only by \"CIDP that responded to "
         "IVIG (home SCIG by pump, LCD L33794)\", an entry marked uncertain (The code table of article A52507 was not "
         "read; G61.81 is the CIDP code.): verify the payer's policy.")]
    d81 = build(chart(setting="home", diagnoses=["D81.30"], payer=prof))
    assert found(d81, "DX-") == [
        ("DX-NOT-COVERED", "warning", None, f"No diagnosis on the claim (D81.30) is covered for Gamunex-C (IV) under "
         f"{HOME_LIST}{UNCERTAIN}. {HOME_NOTICE} D81.3 (adenosine deaminase deficiency) was split after FY2023; the "
         "home IVIG list may include the new codes: verify against DME article A52509.")]
    assert found(d81, "PAYER-") == [
        ("PAYER-ABN-MODIFIER", "warning", None, f"The diagnosis may not be covered ({HOME_LIST}) and no ABN is "
         "recorded (payer.abn_signed): add GZ to the drug and administration lines if the contractor's policy does not "
         "cover it (verify first).")]


@pytest.mark.parametrize("setting,param,name", [("office", "coverage_policy", "nope.toml"),
                                                ("home", "home_coverage_policy", "nope-home")])
def test_a_coverage_policy_that_does_not_exist_names_the_profile_parameter(tmp_path, setting, param, name):
    bad = _profile(tmp_path, "bad", "nope.toml", "nope-home")
    with pytest.raises(InputError) as exc:
        build(chart(setting=setting, payer=bad))
    assert exc.value.path == "payer.profile"
    assert exc.value.message.startswith(f"{param}: unknown coverage policy '{name}'")


# --- edits/tables.py -------------------------------------------------------------------------------------------
# The imported CMS tables: the synthetic practitioner MUE file of 2026 Q2 (J1561 100 MAI 3, J1459 60 MAI 1, 96365 1
# MAI 2, 96366 4 MAI 3) and PTP file (96365 column 1: 36000 indicator 1, 96374 indicator 1, 96523 indicator 0,
# 36410 deleted 2015-12-31, 96361 indicator 9); refdata/cms/ncci.toml says what each indicator means.

MUE_FILE = "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv"
PTP_FILE = "ccipra-v321r0-f1-synthetic.txt"


def office_claim(dos: str, lines: list[dict], **changes) -> dict:
    """The base chart (Gamunex-C 30 g IV, 5 h) on a date, with a written claim of these lines."""
    enc = on(dos, **changes)
    enc["claim"] = {"lines": [{"line": i, **ln} for i, ln in enumerate(lines, start=1)]}
    return enc


def scrub_claim(enc: dict):
    return scrub({k: v for k, v in enc.items() if k != "claim"}, claim=enc["claim"])


GIVEN = {"code": "J1561", "units": 60, "modifiers": ["JZ"]}
ADMIN = [{"code": "96365", "units": 1}, {"code": "96366", "units": 4}]


@pytest.fixture
def mue(home):
    store.import_file("mue", FIX / MUE_FILE)


@pytest.mark.parametrize("dos,in_force", [("2026-03-31", False), ("2026-04-01", True), ("2026-06-30", True),
                                          ("2026-07-01", False)])
def test_mue_file_answers_for_its_quarter_only(mue, dos, in_force):
    claim = [dict(GIVEN, modifiers=[]), {"code": "J1561", "units": 41, "modifiers": ["JW"]}, *ADMIN]
    r = scrub_claim(office_claim(dos, claim))
    expected = [("DRUG-MUE", "warning", 1, f"Lines 1, 2: J1561 × 101 on {dos} exceeds the practitioner MUE 100 for "
                 f"J1561 (3 Date of Service Edit: Clinical; {MUE_FILE}).")]
    assert found(r, "DRUG-MUE") == (expected if in_force else [])


def test_mue_date_of_service_edit_adds_every_line_of_the_date(mue):
    """MAI 2 and 3: the units of every line of the code on the date of service are added up, JW lines included;
    exactly the MUE passes. Lines of another date are another day's units."""
    at_limit = [dict(GIVEN, modifiers=[]), {"code": "J1561", "units": 40, "modifiers": ["JW"]}, *ADMIN]
    assert found(scrub_claim(office_claim("2026-04-14", at_limit)), "DRUG-MUE") == []
    two_days = [dict(GIVEN, service_date="2026-04-14"), dict(GIVEN, service_date="2026-04-15"), *ADMIN]
    assert found(scrub_claim(office_claim("2026-04-14", two_days)), "DRUG-MUE") == []
    one_day = [dict(GIVEN, units=50), dict(GIVEN, units=51), *ADMIN]
    assert found(scrub_claim(office_claim("2026-04-14", one_day)), "DRUG-MUE") == [
        ("DRUG-MUE", "warning", 1, f"Lines 1, 2: J1561 × 101 on 2026-04-14 exceeds the practitioner MUE 100 for J1561 "
         f"(3 Date of Service Edit: Clinical; {MUE_FILE}).")]


def test_mue_date_of_service_edit_puts_every_unit_of_the_date_at_risk(mue):
    """CMS FAQ 11344: over a date-of-service MUE, all units of the code on the claim for that date are denied, so
    the money at stake is every line's units (51 + 50 here), not the first line's 51 alone; a line MUE puts only
    the line over it at risk (test_mue_line_edit_compares_each_line)."""
    r = scrub_claim(office_claim("2026-04-14", [dict(GIVEN, units=51), dict(GIVEN, units=50), *ADMIN]))
    [f] = [f for f in r.findings if f.edit == "DRUG-MUE"]
    assert f.impact_units == -101
    admin = scrub_claim(office_claim("2026-04-14", [GIVEN, {"code": "96365", "units": 1},
                                                    {"code": "96366", "units": 3}, {"code": "96365", "units": 1},
                                                    {"code": "96366", "units": 2}]))
    assert sorted(f.impact_units for f in admin.findings if f.edit == "ADMIN-MUE") == [-5, -2]


def test_mue_policy_edit_is_an_error_and_a_clinical_one_a_warning(mue):
    """ncci.toml: MAI 2 (policy: never payable) is an error; MAI 3 (clinical: appealable) a warning."""
    claim = [GIVEN, {"code": "96365", "units": 1}, {"code": "96366", "units": 3}, {"code": "96365", "units": 1},
             {"code": "96366", "units": 2}]
    r = scrub_claim(office_claim("2026-04-14", claim))
    assert found(r, "ADMIN-MUE") == [
        ("ADMIN-MUE", "error", 2, f"Lines 2, 4: 96365 × 2 on 2026-04-14 exceeds the practitioner MUE 1 for 96365 "
         f"(2 Date of Service Edit: Policy; {MUE_FILE})."),
        ("ADMIN-MUE", "warning", 3, f"Lines 3, 5: 96366 × 5 on 2026-04-14 exceeds the practitioner MUE 4 for 96366 "
         f"(3 Date of Service Edit: Clinical; {MUE_FILE})."),
    ]
    assert found(r, "DRUG-MUE") == []  # the drug's 60 units are under its MUE; administration lines are not drugs


def test_mue_line_edit_compares_each_line(mue):
    """MAI 1 (J1459 60): each line on its own; the whole line over it is at risk."""
    privigen = {"drugs": [{"id": "ig1", "product": "Privigen", "route": "IV", "dose": {"grams": 35},
                           "containers": [{"grams": 40, "count": 1}]}]}
    ok = [{"code": "J1459", "units": 60}, {"code": "J1459", "units": 10}, *ADMIN]
    assert found(scrub_claim(office_claim("2026-04-14", ok, **privigen)), "DRUG-MUE") == []
    over = [{"code": "J1459", "units": 10}, {"code": "j1459 ", "units": 61}, *ADMIN]
    r = scrub_claim(office_claim("2026-04-14", over, **privigen))
    assert found(r, "DRUG-MUE") == [
        ("DRUG-MUE", "warning", 2, f"Line 2: J1459 × 61 exceeds the practitioner MUE 60 for J1459 (1 Line Edit; "
         f"{MUE_FILE}).")]
    assert [f.impact_units for f in r.findings if f.edit == "DRUG-MUE"] == [-61]



def test_mue_table_of_a_medicare_home_dme_claim_is_the_dme_suppliers(home, tmp_path):
    """A Medicare home infusion claim goes to the DME MAC: the DME supplier MUE table applies, not the
    practitioner one (here the synthetic DME file says J1561 50, the practitioner file 100)."""
    store.import_file("mue", FIX / MUE_FILE)
    text = (FIX / MUE_FILE).read_text(encoding="latin-1").replace("Practitioner Services", "DME Supplier Services")
    dme = tmp_path / "MCR_MUE_DMESupplierServices_Eff_04-01-2026-synthetic.csv"
    dme.write_text(text.replace("J1561,100,", "J1561,50,"), encoding="latin-1")
    store.import_file("mue", dme)
    at_home = build(on("2026-04-14", setting="home"))
    assert found(at_home, "DRUG-MUE") == [
        ("DRUG-MUE", "warning", 1, "Lines 1: J1561 × 60 on 2026-04-14 exceeds the dme MUE 50 for J1561 (3 Date of "
         f"Service Edit: Clinical; {dme.name}).")]
    assert found(build(on("2026-04-14")), "DRUG-MUE") == []  # the office claim: practitioner MUE 100


def test_mue_codes_without_an_mue_and_line_edits_do_not_stop_the_others(mue):
    """36000 (no MUE in the file) before 96365; Privigen's J1459 (a line edit, MAI 1) before Gamunex-C's J1561
    (a date-of-service edit, MAI 3): each code is still compared with its own MUE."""
    privigen = dict(PRIVIGEN_35_OF_40[0], ndc=None)
    enc = two_drugs(privigen, {"product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
                               "containers": [{"grams": 10, "count": 3}]}, date_of_service="2026-04-14")
    for a in enc["administrations"]:
        a["start"], a["stop"] = a["start"].replace("03-02", "04-14"), a["stop"].replace("03-02", "04-14")
    lines = [{"code": "J1459", "units": 70}, {"code": "J1459", "units": 10, "modifiers": ["JW"]},
             {"code": "J1561", "units": 101, "modifiers": ["JZ"]}, {"code": "36000", "units": 1},
             {"code": "96365", "units": 2}, {"code": "96366", "units": 4}]
    enc["claim"] = {"lines": [{"line": i, **ln} for i, ln in enumerate(lines, start=1)]}
    r = scrub_claim(enc)
    assert [(f[0], f[2]) for f in found(r, "DRUG-MUE")] == [("DRUG-MUE", 1), ("DRUG-MUE", 3)]
    assert [(f[0], f[2]) for f in found(r, "ADMIN-MUE")] == [("ADMIN-MUE", 5)]

@pytest.fixture
def ptp(home):
    store.import_file("ptp", FIX / PTP_FILE)


def ptp_found(result, prefix: str) -> list[tuple]:
    return [f for f in found(result, prefix) if "PTP" in f[3]]


INDICATOR_1 = "payable with it only with 59/XE/XP/XS/XU for a distinct site or encounter, and none is billed"


def test_ptp_indicator_1_pair_is_payable_with_a_distinct_modifier_on_either_line(ptp):
    bare = scrub_claim(office_claim("2026-04-14", [GIVEN, *ADMIN, {"code": "36000", "units": 1}]))
    assert ptp_found(bare, "ADMIN-") == [
        ("ADMIN-BUNDLED", "error", 4, "Line 4: 36000 is column 2 to 96365 (line 2) in the NCCI practitioner PTP edits "
         f"(Standards of medical/surgical practice; {PTP_FILE}): {INDICATOR_1}.")]
    assert [f.impact_units for f in bare.findings if "PTP" in f.message] == [-1]
    on_col1 = [GIVEN, {"code": "96365", "units": 1, "modifiers": [" xs"]}, ADMIN[1], {"code": "36000", "units": 1}]
    assert ptp_found(scrub_claim(office_claim("2026-04-14", on_col1)), "ADMIN-") == []
    on_col2 = [GIVEN, *ADMIN, {"code": "36000", "units": 1, "modifiers": ["59"]}]
    assert ptp_found(scrub_claim(office_claim("2026-04-14", on_col2)), "ADMIN-") == []
    # JW/JZ are not distinct-service modifiers.
    not_distinct = [GIVEN, *ADMIN, {"code": "36000", "units": 1, "modifiers": ["JZ"]}]
    assert len(ptp_found(scrub_claim(office_claim("2026-04-14", not_distinct)), "ADMIN-BUNDLED")) == 1


def test_ptp_indicator_0_is_never_payable_and_two_initial_codes_are_their_own_edit(ptp):
    claim = [GIVEN, *ADMIN, {"code": "96523", "units": 1, "modifiers": ["59"]},
             {"code": "96374", "units": 2}]
    r = scrub_claim(office_claim("2026-04-14", claim))
    assert ptp_found(r, "ADMIN-") == [
        ("ADMIN-BUNDLED", "error", 4, "Line 4: 96523 is column 2 to 96365 (line 2) in the NCCI practitioner PTP edits "
         f"(Standards of medical/surgical practice; {PTP_FILE}): never payable with it, with or without a modifier."),
        ("ADMIN-INITIAL-DUPLICATE", "error", 5, "Line 5: 96374 is column 2 to 96365 (line 2) in the NCCI practitioner "
         f"PTP edits (Misuse of Column Two code with Column One code; {PTP_FILE}): {INDICATOR_1}."),
    ]
    assert [f.impact_units for f in r.findings if "PTP" in f.message] == [-1, -2]



def test_ptp_each_pair_is_judged_on_its_own(ptp):
    """An initial pair (its own edit) or a pair allowed by its modifier listed first does not hide a bundled pair."""
    claim = [GIVEN, *ADMIN, {"code": "96374", "units": 1}, {"code": "36000", "units": 1, "modifiers": ["XS"]},
             {"code": "96523", "units": 1}]
    r = scrub_claim(office_claim("2026-04-14", claim))
    assert [(f[0], f[2]) for f in ptp_found(r, "ADMIN-")] == [("ADMIN-BUNDLED", 6), ("ADMIN-INITIAL-DUPLICATE", 4)]


def test_ptp_pair_without_a_rationale_says_so(home, tmp_path):
    text = (FIX / PTP_FILE).read_text(encoding="latin-1")
    row = next(ln for ln in text.splitlines() if ln.startswith("96365\t96523"))
    (tmp_path / "ccipra-v321r0-f1-norationale.txt").write_text(
        text.replace(row, row.rsplit("\t", 1)[0] + "\t"), encoding="latin-1")
    store.import_file("ptp", tmp_path / "ccipra-v321r0-f1-norationale.txt")
    r = scrub_claim(office_claim("2026-04-14", [GIVEN, *ADMIN, {"code": "96523", "units": 1}]))
    assert [f[3] for f in ptp_found(r, "ADMIN-")] == [
        "Line 4: 96523 is column 2 to 96365 (line 2) in the NCCI practitioner PTP edits (no rationale given; "
        "ccipra-v321r0-f1-norationale.txt): never payable with it, with or without a modifier."]

def test_ptp_pair_on_another_date_is_no_pair(ptp):
    claim = [GIVEN, {"code": "96365", "units": 1, "service_date": "2026-04-14"}, ADMIN[1],
             {"code": "36000", "units": 1, "service_date": "2026-04-15"}]
    assert ptp_found(scrub_claim(office_claim("2026-04-14", claim)), "ADMIN-") == []


def test_ptp_hospital_claim_reads_the_hospital_table(home, tmp_path):
    """The UB-04 reads the outpatient hospital PTP file; a practitioner file says nothing about it."""
    store.import_file("ptp", FIX / PTP_FILE)
    hopd = {"setting": "hospital_outpatient"}
    claim = [GIVEN, *ADMIN, {"code": "36000", "units": 1}]
    assert ptp_found(scrub_claim(office_claim("2026-04-14", claim, **hopd)), "ADMIN-") == []
    hosp = tmp_path / "ccioph-v321r0-f1-synthetic.txt"
    hosp.write_bytes((FIX / PTP_FILE).read_bytes())
    store.import_file("ptp", hosp)
    [(edit, _, line, message)] = ptp_found(scrub_claim(office_claim("2026-04-14", claim, **hopd)), "ADMIN-")
    assert (edit, line) == ("ADMIN-BUNDLED", 4) and "NCCI hospital PTP edits" in message


# NDC-HCPCS crosswalk (CMS ASP crosswalk, January 2026 snapshot bundled): 44206-0437-10 is Privigen, J1459.

def test_ndc_of_another_code_names_the_code_and_where_it_says_so():
    claim = [dict(GIVEN, ndc="44206-0437-10"), *ADMIN]
    r = scrub_claim(office_claim("2026-03-02", claim))
    assert found(r, "DRUG-NDC-MISMATCH") == [
        ("DRUG-NDC-MISMATCH", "error", 1, "Line 1: NDC 44206-0437-10 is billed with J1561, but it crosswalks to J1459 "
         "per refdata/cms/snapshot/asp-ndc-hcpcs-crosswalk-2026q1.csv.")]
    # A package the product catalog knows (Privigen 40 g), not in the crosswalk excerpt: the catalog says J1459.
    catalog = scrub_claim(office_claim("2026-03-02", [dict(GIVEN, ndc="44206043940"), *ADMIN]))
    assert found(catalog, "DRUG-NDC-MISMATCH") == [
        ("DRUG-NDC-MISMATCH", "error", 1, "Line 1: NDC 44206-0439-40 is billed with J1561, but it crosswalks to J1459 "
         "per product catalog (Privigen).")]
    # A line billed with the right code, lower case and padded, is right.
    right = scrub_claim(office_claim("2026-03-02", [dict(GIVEN, code=" j1561", ndc="13533-0800-12"), *ADMIN]))
    assert found(right, "DRUG-NDC-MISMATCH") == []


def test_a_wrong_ig_code_after_an_administration_line_is_still_matched_to_the_drug():
    """The written lines in any order: J1459 (Privigen's code) billed for the chart's Gamunex-C after the 96365
    line is still the drug's line, so DRUG-CODE-MISMATCH names it (its code on the date is J1561)."""
    claim = [{"code": "96365", "units": 1}, dict(GIVEN, code="J1459"), {"code": "96366", "units": 4}]
    r = scrub_claim(office_claim("2026-03-02", claim))
    assert [(f.edit, f.line) for f in r.findings] == [("DRUG-CODE-MISMATCH", 2)]


def test_units_are_checked_for_the_ig_after_a_premedication_left_off_the_claim():
    """A premedication listed first in the chart and not written on the claim (CLAIM-LINE-MISSING says so) does
    not stop the immune globulin's units being checked: 30 g of J1561 is 60 units of 500 mg, 50 are billed."""
    enc = office_claim("2026-03-02", [dict(GIVEN, units=50), *ADMIN])
    enc["drugs"] = [{"id": "pre1", "hcpcs": "J1200", "units": 1, "route": "IV"}, *enc["drugs"]]
    enc["administrations"].append({"drug_id": "pre1", "start": "2026-03-02T08:50", "stop": "2026-03-02T08:52",
                                   "method": "push"})
    assert found(scrub_claim(enc), "DRUG-UNITS") == [
        ("DRUG-UNITS", "error", 1, "Line 1: billed 50, documented 30 g of J1561 = 60 units.")]


def test_an_ndc_no_table_knows_does_not_stop_the_lines_after_it():
    """An NDC that neither the crosswalk nor the catalog knows is left alone (the crosswalk is not exhaustive),
    and the lines after it are still compared: Privigen's NDC billed with J1561 on line 4 is a mismatch."""
    claim = [dict(GIVEN, ndc="12345-6789-01"), *ADMIN, dict(GIVEN, modifiers=[], units=1, ndc="44206-0437-10")]
    r = scrub_claim(office_claim("2026-03-02", claim))
    assert found(r, "DRUG-NDC-MISMATCH") == [
        ("DRUG-NDC-MISMATCH", "error", 4, "Line 4: NDC 44206-0437-10 is billed with J1561, but it crosswalks to J1459 "
         "per refdata/cms/snapshot/asp-ndc-hcpcs-crosswalk-2026q1.csv.")]



def test_ndc_of_another_code_after_lines_without_an_ndc():
    claim = [*ADMIN, dict(GIVEN, ndc="44206-0437-10")]
    assert [(f[0], f[2]) for f in found(scrub_claim(office_claim("2026-03-02", claim)), "DRUG-NDC-MISMATCH")] == [
        ("DRUG-NDC-MISMATCH", 3)]

def test_ndc_of_two_codes_is_not_given_one_cause(home):
    """The imported Q2 crosswalk lists 13533-0800-15 under J1459 while the catalog says J1561 (Gamunex-C): both are
    named, and the finding stands on its own (no single code it is about)."""
    store.import_file("crosswalk", FIX / "asp-ndc-hcpcs-crosswalk-2026q2-synthetic.csv")
    r = scrub_claim(office_claim("2026-04-14", [dict(GIVEN, code="J1566", ndc="13533-0800-15"), *ADMIN]))
    [f] = [f for f in r.findings if f.edit == "DRUG-NDC-MISMATCH"]
    assert f.message == ("Line 1: NDC 13533-0800-15 is billed with J1566, but it crosswalks to J1459 per "
                         "asp-ndc-hcpcs-crosswalk-2026q2-synthetic.csv; J1561 per product catalog (Gamunex-C).")
    assert f.causes == ()


# HCPCS validity (record layout: ADD DT, TERM DT = the last date a code may be used; Level II codes only).

def test_code_terminated_on_the_last_day_of_the_quarter(home):
    store.import_file("hcpcs", FIX / "HCPC2026_JAN_ANWEB-synthetic.csv")
    store.import_file("hcpcs", FIX / "HCPC2026_APR_ANWEB-synthetic.csv")
    sd = {"drugs": [{"id": "ig1", "product": "Gammagard S/D", "route": "IV", "dose": {"grams": 10},
                     "containers": [{"grams": 10, "count": 1}]}]}
    assert found(build(on("2026-03-31", **sd)), "DRUG-CODE-INVALID") == []
    r = build(on("2026-04-01", **sd))
    assert found(r, "DRUG-CODE-INVALID") == [
        ("DRUG-CODE-INVALID", "error", 1, "Line 1: J1566 is not valid on 2026-04-01: terminated 2026-03-31 "
         "(HCPC2026_APR_ANWEB-synthetic.csv).")]
    assert [f.impact_units for f in r.findings if f.edit == "DRUG-CODE-INVALID"] == [-20]


def test_code_used_before_its_add_date(home, tmp_path):
    jan = (FIX / "HCPC2026_JAN_ANWEB-synthetic.csv").read_text()
    j1561 = next(ln for ln in jan.splitlines() if ln.startswith("J1561"))
    moved = j1561.replace(",20080101,20130101,,N", ",20260301,20260301,,N")
    assert moved != j1561
    (tmp_path / "HCPC2026_JAN_ANWEB-moved.csv").write_text(jan.replace(j1561, moved))
    store.import_file("hcpcs", tmp_path / "HCPC2026_JAN_ANWEB-moved.csv")
    assert found(build(on("2026-02-27")), "DRUG-CODE-INVALID") == [
        ("DRUG-CODE-INVALID", "error", 1, "Line 1: J1561 is not valid on 2026-02-27: added 2026-03-01 "
         "(HCPC2026_JAN_ANWEB-moved.csv).")]
    assert found(build(on("2026-03-02")), "DRUG-CODE-INVALID") == []



@pytest.mark.parametrize("dos,in_force", [("2019-09-30", False), ("2019-10-01", True)])
def test_c9072_is_a_code_from_the_opps_quarter_that_created_it(ref, dos, in_force):
    """Asceniv's OPPS pass-through code C9072 (hcpcs.toml: the October 2019 quarterly update, to verify in that
    quarter's archived file) is in force from 2019-10-01, the day Asceniv's product row starts naming it
    (`tests/test_drug_lines_ndc.py`: J1599 in a hospital outpatient department on 2019-09-30, C9072 on 2019-10-01)."""
    assert (ref.hcpcs("C9072", date.fromisoformat(dos)) is not None) is in_force


def test_a_terminated_drug_code_after_an_administration_line(home):
    store.import_file("hcpcs", FIX / "HCPC2026_JAN_ANWEB-synthetic.csv")
    store.import_file("hcpcs", FIX / "HCPC2026_APR_ANWEB-synthetic.csv")
    sd = {"drugs": [{"id": "ig1", "product": "Gammagard S/D", "route": "IV", "dose": {"grams": 10},
                     "containers": [{"grams": 10, "count": 1}]}]}
    claim = [ADMIN[0], {"code": "J1566", "units": 20, "modifiers": ["JZ"]}, ADMIN[1]]
    assert [(f[0], f[2]) for f in found(scrub_claim(office_claim("2026-04-01", claim, **sd)), "DRUG-CODE")] == [
        ("DRUG-CODE-INVALID", 2)]


def test_a_premedication_code_is_a_drug_line(home):
    """J1200 (diphenhydramine) is no immune globulin, but a drug of the chart: absent from the HCPCS file in force,
    it is DRUG-CODE-INVALID, not a service's code."""
    store.import_file("hcpcs", FIX / "HCPC2026_JAN_ANWEB-synthetic.csv")
    enc = chart(drugs=[BASE["drugs"][0], {"id": "pre", "hcpcs": "j1200", "units": 1, "containers": [{"units": 1}]}],
                administrations=[{"drug_id": "pre", "start": "2026-03-02T08:45", "stop": "2026-03-02T08:50",
                                  "method": "push"}, BASE["administrations"][0]])
    r = build(enc)
    line = next(ln.line for ln in r.claim.lines if ln.code == "J1200")
    assert [(f[0], f[2]) for f in found(r, "DRUG-CODE-INVALID") + found(r, "ADMIN-CODE-INVALID")] == [
        ("DRUG-CODE-INVALID", line)]

def test_a_level_ii_service_code_absent_from_the_file_and_cpt_never(home):
    store.import_file("hcpcs", FIX / "HCPC2026_JAN_ANWEB-synthetic.csv")
    claim = [GIVEN, *ADMIN, {"code": "Q2052", "units": 2}, {"code": "99999", "units": 1}]
    r = scrub_claim(office_claim("2026-03-02", claim))
    assert found(r, "ADMIN-CODE-INVALID") == [
        ("ADMIN-CODE-INVALID", "error", 4, "Line 4: Q2052 is not in the HCPCS file in force on 2026-03-02 "
         "(HCPC2026_JAN_ANWEB-synthetic.csv).")]
    assert [f.impact_units for f in r.findings if f.edit == "ADMIN-CODE-INVALID"] == [-2]
    assert found(r, "DRUG-CODE-INVALID") == []


# --- edits/payer.py --------------------------------------------------------------------------------------------
# Original Medicare liability modifiers (refdata/coverage/liability-modifiers.toml, reference.md §7): GA with a signed
# ABN, GZ without, for an expected medical-necessity denial; GY (GX beside it with a voluntary notice) for no benefit
# category. CGS (J15, Ohio: A56779 + A57160) does not list D80.1; the home IVIG article A52509 does not list CIDP.

CGS = "the Medicare contractor's list A56779 + A57160 (CGS Administrators (A/B MAC), J15), chosen by the billing " \
      "provider's state OH"
A52509_LIST = "the Medicare contractor's list A52509 group 1 (DME MACs)"
ABN_FIX = ("Original Medicare, diagnosis not covered by a list that binds the payer: report GA on the lines when the "
           "patient signed an ABN before the service, GZ when no ABN was obtained; GY (and GX with a voluntary notice) "
           "when the service has no benefit category or is excluded by statute.")


def liability(*mods: str, lines: int | None = None):
    """A change to the written claim: these liability modifiers on its first `lines` lines (all by default)."""
    def change(c):
        for ln in c["lines"][:lines]:
            ln["modifiers"] = [m for m in ln["modifiers"] if m not in {"GA", "GZ", "GX", "GY"}] + list(mods)
    return change


def payer_found(result) -> list[tuple]:
    return [(f.severity, f.line, f.message, f.fix) for f in result.findings if f.edit == "PAYER-ABN-MODIFIER"]


def cgs(signed: bool = False) -> dict:
    return chart(diagnoses=["D80.1"], billing_provider=provider("OH"), payer={"type": "medicare", "abn_signed": signed})


@pytest.mark.parametrize("signed,text", [
    (False, "no ABN is recorded (payer.abn_signed): add GZ"), (True, "an ABN was signed: add GA")])
def test_build_names_ga_or_gz_by_the_signed_abn(signed, text):
    assert payer_found(build(cgs(signed))) == [
        ("error", None, f"The diagnosis may not be covered ({CGS}) and {text} to the drug and administration lines.",
         ABN_FIX)]


@pytest.mark.parametrize("signed,voluntary", [(False, ""), (True, " With the voluntary notice the patient signed, GX "
                                                                   "goes beside it.")])
def test_build_names_gy_for_no_benefit_category(signed, voluntary):
    enc = chart(setting="home", diagnoses=["G61.81"], payer={"type": "medicare", "abn_signed": signed})
    assert payer_found(build(enc)) == [
        ("error", None, f"The diagnosis is not covered ({A52509_LIST}) and the service has no benefit category: add GY "
         f"to the drug and supply lines, not GA/GZ; the beneficiary is liable and no ABN is required.{voluntary}",
         ABN_FIX)]


def test_every_drug_and_administration_line_needs_the_modifier():
    assert payer_found(scrub(cgs())) == [
        ("error", n, f"Line {n}: the diagnosis may not be covered ({CGS}) and no ABN is recorded: GZ is needed.",
         f"Add GZ to line {n}.") for n in (1, 2, 3)]
    assert payer_found(scrub(cgs(), liability("GZ"))) == []
    assert payer_found(scrub(cgs(True), liability("GA"))) == []
    # Only the lines without it are named.
    assert [f[1] for f in payer_found(scrub(cgs(), liability("GZ", lines=2)))] == [3]


@pytest.mark.parametrize("signed,wrong,need,why", [(False, "GA", "GZ", "no ABN is recorded"),
                                                   (True, "GZ", "GA", "the patient signed an ABN")])
def test_the_other_medical_necessity_modifier_is_replaced(signed, wrong, need, why):
    assert payer_found(scrub(cgs(signed), liability(wrong, lines=1))) == [
        ("error", 1, f"Line 1: {wrong} reported, but {why}: use {need}.", f"Replace {wrong} with {need} on line 1."),
        *[("error", n, f"Line {n}: the diagnosis may not be covered ({CGS}) and {why}: {need} is needed.",
           f"Add {need} to line {n}.") for n in (2, 3)]]


def test_gy_or_gx_on_a_medical_necessity_denial():
    assert payer_found(scrub(cgs(), liability("GX", "GY", lines=1)))[0] == (
        "error", 1, f"Line 1: GX, GY is for a service with no benefit category; this diagnosis is a medical-necessity "
        f"question ({CGS}): an expected medical-necessity denial takes GA with a signed ABN, GZ without.",
        "Replace GX, GY with GZ on line 1.")
    # GY beside the right GZ is still wrong.
    assert [f[1] for f in payer_found(scrub(cgs(), liability("GZ", "GY")))] == [1, 2, 3]


def test_a_default_list_only_warns_and_says_to_verify():
    enc = chart(diagnoses=["R53.83"])
    assert payer_found(scrub(enc, liability("GA", lines=1)))[0] == (
        "warning", 1, "Line 1: GA reported, but no ABN is recorded: use GZ.", "Replace GA with GZ on line 1.")
    assert payer_found(scrub(enc, liability("GZ", lines=1))) == [
        ("warning", n, f"Line {n}: the diagnosis may not be covered ({DEFAULT}) and no ABN is recorded: GZ is needed "
         "if the payer's own policy does not cover it (verify first).", f"Add GZ to line {n}.") for n in (2, 3)]


def test_liability_modifier_on_a_covered_claim_or_another_payer():
    assert payer_found(scrub(BASE, liability("GA", "GZ", lines=1))) == [
        ("warning", 1, "Line 1: GA, GZ reported, but the claim's diagnosis is covered for the product: no denial is "
         "expected.", "Remove GA, GZ unless the ABN was for another reason.")]
    ma = chart(payer={"type": "medicare_advantage", "prior_authorization": {"number": "P"}})
    assert payer_found(scrub(ma, liability("ga", lines=2))) == [
        ("warning", n, f"Line {n}: GA is for Original Medicare only; Medicare Advantage (generic plan) does not use "
         "ABNs.", "Remove GA.") for n in (1, 2)]
    assert payer_found(scrub(ma)) == []


def test_every_liability_modifier_of_a_line_is_named_for_a_payer_without_abns():
    ma = chart(payer={"type": "medicare_advantage", "prior_authorization": {"number": "P"}})
    assert payer_found(scrub(ma, liability("GZ", "GA", lines=1))) == [
        ("warning", 1, "Line 1: GA, GZ is for Original Medicare only; Medicare Advantage (generic plan) does not use "
         "ABNs.", "Remove GA, GZ.")]


def test_a_list_that_does_not_bind_the_payer_only_warns_whatever_its_own_severity(tmp_path):
    """A user's list of kind "default" (not the payer's own policy) that says "error": the liability modifier it
    would call for is still only advice to verify (an ABN is for an expected denial, CMS ABN instructions)."""
    (tmp_path / "strict.toml").write_text(
        '[policy]\nname = "strict"\ntitle = "A strict default list"\nkind = "default"\nseverity = "error"\n'
        'source = "https://example.org/strict"\n\n[[indication]]\nname = "CIDP"\ncodes = ["G61.81"]\n')
    mine = _profile(tmp_path, "mine", "strict.toml", "my-home-ig.toml")
    enc = chart(diagnoses=["D80.1"], payer=mine)
    assert payer_found(scrub(enc)) == [
        ("warning", n, f"Line {n}: the diagnosis may not be covered (A strict default list) and no ABN is recorded: GZ "
         "is needed if the payer's own policy does not cover it (verify first).", f"Add GZ to line {n}.")
        for n in (1, 2, 3)]
    assert payer_found(scrub(enc, liability("GY", lines=1)))[0] == (
        "warning", 1, "Line 1: GY is for a service with no benefit category; this diagnosis is a medical-necessity "
        "question (A strict default list): an expected medical-necessity denial takes GA with a signed ABN, GZ "
        "without.", "Replace GY with GZ on line 1.")


@pytest.mark.parametrize("dos,flagged", [("2010-03-31", True), ("2010-04-01", False)])
def test_gx_is_a_modifier_from_2010_04_01(dos, flagged):
    """GX's present meaning dates from 2010-04-01 (CR 6563): before, it is not a valid modifier on the line."""
    enc = on(dos, setting="home", diagnoses=["G61.81"], payer={"type": "medicare", "abn_signed": True})
    got = [f for f in payer_found(scrub(enc, liability("GY", "GX", lines=1))) if "valid" in f[2]]
    assert got == ([("error", 1, f"Line 1: GX is not a valid modifier on {dos} (see its effective date in the HCPCS "
                     "modifier file).", "Remove GX; use the liability modifier in force on the date of service.")]
                   if flagged else [])


# --- edits/authorization.py ------------------------------------------------------------------------------------
# Prior authorization is a payer-profile fact (reference.md §7: Original Medicare has none for IVIG; Medicare
# Advantage and commercial plans commonly do). Gamunex-C 30 g = J1561 × 60 (500 mg a unit).

def plan(pa: dict | None, payer_type: str = "commercial", **changes) -> dict:
    payer: dict = {"type": payer_type, "name": "Example PPO"}
    if pa is not None:
        payer["prior_authorization"] = pa
    return chart(payer=payer, drug0={"ndc": "13533-0805-11"}, **changes)


PRIVIGEN_35_OF_40 = [{"id": "ig1", "product": "Privigen", "route": "IV", "dose": {"grams": 35},
                      "ndc": "44206-0439-40", "containers": [{"grams": 40, "count": 1}]}]


def auth_found(result) -> list[tuple]:
    return [(f.edit, f.severity, f.line, f.message, f.impact_units) for f in result.findings
            if f.edit.startswith("AUTH-")]


@pytest.mark.parametrize("payer_type,title", [("commercial", "Commercial plan (generic)"),
                                              ("medicare_advantage", "Medicare Advantage (generic plan)")])
@pytest.mark.parametrize("pa", [None, {"number": "  "}])
def test_authorization_required_by_the_plan_needs_a_number(payer_type, title, pa):
    assert auth_found(build(plan(pa, payer_type))) == [
        ("AUTH-MISSING", "error", None, f"{title} requires prior authorization for immune globulin on 2026-03-02, and "
         "payer.prior_authorization has no number.", None)]
    assert auth_found(build(plan({"number": "PA-1"}, payer_type))) == []


def test_original_medicare_needs_no_authorization():
    assert auth_found(build(chart())) == []


@pytest.mark.parametrize("start,end,outside", [
    ("2026-03-02", "2026-03-02", False), ("2026-03-03", None, True), (None, "2026-03-01", True), (None, None, False)])
def test_authorization_dates_include_their_first_and_last_day(start, end, outside):
    pa = {"number": "PA-1", "start": start, "end": end}
    expected = [("AUTH-EXPIRED", "error", None, f"Authorization PA-1 runs {start or '…'} to {end or '…'}; the date of "
                 "service 2026-03-02 is outside it.", None)]
    assert auth_found(build(plan(pa))) == (expected if outside else [])


@pytest.mark.parametrize("units,over", [(60, False), (59, True)])
def test_authorized_units_both_sides(units, over):
    expected = [("AUTH-UNITS", "error", None, f"60 units billed; authorization PA-1 allows {units}.", units - 60)]
    assert auth_found(build(plan({"number": "PA-1", "units": units}))) == (expected if over else [])


def test_written_units_are_counted_on_scrub_and_point_at_the_drug_line():
    r = scrub(plan({"number": "PA-1", "units": 60, "hcpcs": " j1561"}), lambda c: c["lines"][0].update(units=61))
    assert auth_found(r) == [("AUTH-UNITS", "error", 1, "61 units of J1561 billed; authorization PA-1 allows 60.", -1)]


def _discard_profile(tmp_path: Path, counted: str) -> dict:
    path = tmp_path / f"plan-{counted}.toml"
    path.write_text(f'[profile]\nname = "plan-{counted}"\ntitle = "Plan {counted}"\npayer_types = []\n'
                    'extends = "commercial"\n\n[parameters.discarded_units_against_authorization]\nlabel = "d"\n'
                    f'source = "s"\nvalues = {{ "2000-01-01" = "{counted}" }}\n')
    return {"type": "commercial", "profile": str(path)}


@pytest.mark.parametrize("counted,expected", [
    ("verify", ("warning", " Plans differ on whether discarded units count against it.")),
    ("counted", ("error", " Plan counted counts discarded units against it.")),
    ("not_counted", None),
])
def test_discarded_units_against_the_authorization_follow_the_payer_profile(tmp_path, counted, expected):
    """Privigen 35 g from a 40 g vial: J1459 × 70 given + 10 JW. Whether JW units use up the authorization is the
    plan's rule (payer-parameters.toml `discarded_units_against_authorization`, default verify)."""
    payer = _discard_profile(tmp_path, counted) if counted != "verify" else {"type": "commercial"}
    enc = chart(payer=dict(payer, prior_authorization={"number": "PA-1", "units": 70}), drugs=PRIVIGEN_35_OF_40)
    r = build(enc)
    if expected is None:
        assert auth_found(r) == []
    else:
        severity, text = expected
        assert auth_found(r) == [("AUTH-UNITS", severity, None, "70 units given + 10 discarded (JW) = 80; "
                                  f"authorization PA-1 allows 70.{text}", -10)]
    # Given + discarded within the authorization: nothing to say whatever the rule.
    enough = chart(payer=dict(payer, prior_authorization={"number": "PA-1", "units": 80}), drugs=PRIVIGEN_35_OF_40)
    assert auth_found(build(enough)) == []


@pytest.mark.parametrize("grams,over", [(30, False), (29.5, True)])
def test_authorized_grams_both_sides(grams, over):
    r = scrub(plan({"number": "PA-1", "grams": grams}))
    expected = [("AUTH-UNITS", "error", 1, f"30 g documented (60 units); authorization PA-1 allows {grams:g} g.", None)]
    assert auth_found(r) == (expected if over else [])


def test_authorization_for_another_product():
    assert auth_found(build(plan({"number": "PA-1", "units": 60, "hcpcs": "J1569"}))) == [
        ("AUTH-UNITS", "error", None, "Authorization PA-1 is for J1569; the claim bills J1561, for which no units are "
         "authorized.", None)]
    assert auth_found(scrub(plan({"number": "PA-1", "units": 60, "hcpcs": "J1569"})))[0][2] == 1
    # Grams authorized for another code count none of this drug's grams.
    assert auth_found(build(plan({"number": "PA-1", "grams": 1, "hcpcs": "J1569"}))) == [
        ("AUTH-UNITS", "error", None, "Authorization PA-1 is for J1569; the claim bills J1561, for which no units are "
         "authorized.", None)]


def test_authorization_for_another_product_names_every_code_billed_and_the_fix():
    enc = second_ig(plan({"number": "PA-1", "units": 10, "hcpcs": "J1569"}))
    for r, line in ((build(enc), None), (scrub(enc), 1)):
        assert [(f.edit, f.severity, f.line, f.message, f.fix) for f in r.findings if f.edit == "AUTH-UNITS"] == [
            ("AUTH-UNITS", "error", line, "Authorization PA-1 is for J1569; the claim bills J1459, J1561, for which no "
             "units are authorized.", "Get the authorization corrected to the product given, or bill the authorized "
             "product.")]


@pytest.mark.parametrize("counted,severity", [("verify", "warning"), ("counted", "error")])
def test_discarded_units_over_the_authorization_point_at_the_drug_line_on_scrub(tmp_path, counted, severity):
    payer = _discard_profile(tmp_path, counted) if counted != "verify" else {"type": "commercial"}
    enc = chart(payer=dict(payer, prior_authorization={"number": "PA-1", "units": 70}), drugs=PRIVIGEN_35_OF_40)
    text = (" Plans differ on whether discarded units count against it." if counted == "verify" else
            " Plan counted counts discarded units against it.")
    assert auth_found(scrub(enc)) == [("AUTH-UNITS", severity, 1, "70 units given + 10 discarded (JW) = 80; "
                                       f"authorization PA-1 allows 70.{text}", -10)]


@pytest.mark.parametrize("code,grams,expected", [
    ("J1561", 30, None), ("J1561", 29, "30 g documented (60 units); authorization PA-1 allows 29 g."),
    (None, 40, None), (None, 39.5, "40 g documented (80 units); authorization PA-1 allows 39.5 g.")])
def test_authorized_grams_count_the_drugs_of_the_authorized_code(code, grams, expected):
    """Gamunex-C 30 g (J1561 × 60) beside Privigen 10 g (J1459 × 20): grams authorized for J1561 count its 30 g only;
    an authorization without a code counts both."""
    r = build(second_ig(plan({"number": "PA-1", "grams": grams, "hcpcs": code})))
    assert auth_found(r) == ([("AUTH-UNITS", "error", None, expected, None)] if expected else [])


def test_an_authorization_without_a_number_is_named_so():
    """Found while writing these tests: a missing number left a blank ("Authorization  is for J1569")."""
    r = scrub(plan({"units": 50, "hcpcs": "J1569"}))
    assert [f[3] for f in auth_found(r) if f[0] == "AUTH-UNITS"] == [
        "Authorization (no number) is for J1569; the claim bills J1561, for which no units are authorized."]
    assert [f[3] for f in auth_found(build(plan({"units": 50}))) if f[0] == "AUTH-UNITS"] == [
        "60 units billed; authorization (no number) allows 50."]


# --- edits/plausibility.py -------------------------------------------------------------------------------------
# Charts that cannot be one visit: an administration over 24 hours, one charted on another date (other than a run
# past midnight), one drug running twice at once through one site, a date of service in the future (a warning up to
# 31 days ahead), a dose under 5 % of what was opened.

def plausible(**changes) -> list[tuple]:
    return [(f.edit, f.severity, f.message) for f in build(chart(**changes)).findings
            if f.edit.startswith("PLAUSIBILITY-")]


def timed(start: str, stop: str | None, site: int = 1, drug_id: str = "ig1") -> dict:
    return {"drug_id": drug_id, "start": f"2026-03-{start}", **({"stop": f"2026-03-{stop}"} if stop else {}),
            "site": site}


def test_duration_over_a_day_names_the_entry_and_its_hours():
    assert plausible(administrations=[timed("02T08:00", "03T10:30")]) == [
        ("PLAUSIBILITY-DURATION", "error", "administrations[0]: runs 26.5 hours (2026-03-02 08:00 to 2026-03-03 "
         "10:30); more than 24 hours is not one administration.")]
    fluids = [{"purpose": "flush", "start": "2026-03-02T08:00", "stop": "2026-03-02T08:05"},
              {"purpose": "hydration", "ordered": True, "start": "2026-03-02T08:00", "stop": "2026-03-03T08:01"}]
    assert plausible(fluids=fluids)[:1] == [
        ("PLAUSIBILITY-DURATION", "error", "fluids[1]: runs 24.0 hours (2026-03-02 08:00 to 2026-03-03 08:01); more "
         "than 24 hours is not one administration.")]
    assert [f for f in plausible(fluids=fluids[:1]) if f[0] == "PLAUSIBILITY-DURATION"] == []


def test_an_entry_on_another_date():
    assert plausible(administrations=[timed("02T09:00", "02T14:00"), timed("01T22:00", "02T01:00", site=2)]) == [
        ("PLAUSIBILITY-DATE", "error", "administrations[1].start: 2026-03-01 is not the date of service 2026-03-02.")]
    assert plausible(administrations=[timed("02T20:00", "04T01:00")])[-1:] == [
        ("PLAUSIBILITY-DATE", "error", "administrations[0].stop: 2026-03-04 is neither the date of service 2026-03-02 "
         "nor the next date (a run past midnight).")]
    fluids = [{"purpose": "flush", "start": "2026-03-03T08:00", "stop": "2026-03-03T08:05"}]
    assert ("PLAUSIBILITY-DATE", "error", "fluids[0].start: 2026-03-03 is not the date of service 2026-03-02.") in \
        plausible(fluids=fluids)


def test_a_pump_log_entry_on_another_date():
    sc = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 10},
          "containers": [{"grams": 10, "count": 1}]}
    log = [{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:00"},
           {"drug_id": "ig1", "start": "2026-03-05T09:00", "stop": "2026-03-05T10:00"}]
    got = plausible(setting="home", drugs=[sc], administrations=[timed("02T09:00", "02T10:00")], pump_log=log)
    assert ("PLAUSIBILITY-DATE", "error", "pump_log[1].start: 2026-03-05 is not the date of service 2026-03-02.") in got
    assert not any("pump_log[0]" in f[2] for f in got)


def test_one_drug_twice_at_once_through_one_site():
    assert plausible(administrations=[timed("02T09:00", "02T11:00"), timed("02T10:59", "02T12:00")]) == [
        ("PLAUSIBILITY-CONCURRENT", "error", "administrations[1]: drug 'ig1' is already running then "
         "(administrations[0]) through the same site 1.")]
    three = [timed("02T09:00", "02T11:00"), timed("02T09:30", "02T12:00", site=2),
             timed("02T10:00", "02T12:00", site=2)]
    assert plausible(administrations=three) == [
        ("PLAUSIBILITY-CONCURRENT", "error", "administrations[2]: drug 'ig1' is already running then "
         "(administrations[0, 1]) through the same site 2.")]
    # Two drugs at once, or one without a stop time, are not one drug twice.
    premed = {"id": "pre1", "hcpcs": "J1200", "units": 1, "containers": [{"units": 1}]}  # diphenhydramine
    two_drugs = [timed("02T09:00", "02T11:00"), timed("02T09:00", "02T09:30", drug_id="pre1")]
    assert [f for f in plausible(drugs=[*BASE_PLAUSIBLE_DRUGS, premed], administrations=two_drugs)
            if f[0] == "PLAUSIBILITY-CONCURRENT"] == []
    assert plausible(administrations=[timed("02T09:00", "02T14:00"), timed("02T10:00", None)]) == []


BASE_PLAUSIBLE_DRUGS = BASE["drugs"]


def test_an_administration_charted_ten_days_long_says_240_hours():
    assert plausible(administrations=[timed("02T09:00", "12T09:00")])[:1] == [
        ("PLAUSIBILITY-DURATION", "error", "administrations[0]: runs 240.0 hours (2026-03-02 09:00 to 2026-03-12 "
         "09:00); more than 24 hours is not one administration.")]


def test_one_drug_twice_at_once_after_a_drug_given_once():
    """The premedication (one administration) charted first does not stop the immune globulin's check."""
    premed = {"id": "pre1", "hcpcs": "J1200", "units": 1, "containers": [{"units": 1}]}  # diphenhydramine
    admins = [timed("02T08:45", "02T08:50", drug_id="pre1"), timed("02T09:00", "02T11:00"),
              timed("02T10:00", "02T12:00")]
    assert [f for f in plausible(drugs=[*BASE_PLAUSIBLE_DRUGS, premed], administrations=admins)
            if f[0] == "PLAUSIBILITY-CONCURRENT"] == [
        ("PLAUSIBILITY-CONCURRENT", "error", "administrations[2]: drug 'ig1' is already running then "
         "(administrations[1]) through the same site 1.")]


def test_back_to_back_administrations_charted_in_any_order_do_not_overlap():
    """The second bag starts when the first stops (same site): charted in either order, nothing runs twice."""
    for admins in ([timed("02T09:00", "02T11:00"), timed("02T11:00", "02T12:00")],
                   [timed("02T11:00", "02T12:00"), timed("02T09:00", "02T11:00")]):
        assert [f for f in plausible(administrations=admins) if f[0] == "PLAUSIBILITY-CONCURRENT"] == []


def test_an_overlap_after_an_earlier_administration_ended_and_one_per_drug():
    admins = [timed("02T08:00", "02T08:30"), timed("02T09:00", "02T11:00"), timed("02T10:00", "02T12:00")]
    assert [f for f in plausible(administrations=admins) if f[0] == "PLAUSIBILITY-CONCURRENT"] == [
        ("PLAUSIBILITY-CONCURRENT", "error", "administrations[2]: drug 'ig1' is already running then "
         "(administrations[1]) through the same site 1.")]
    # Two immune globulins, each charted twice at once: each drug is named.
    second = {"id": "ig2", "product": "Privigen", "route": "IV", "dose": {"grams": 10},
              "containers": [{"grams": 10, "count": 1}]}
    both = [timed("02T09:00", "02T11:00"), timed("02T10:00", "02T12:00"),
            timed("02T12:00", "02T13:00", drug_id="ig2", site=2), timed("02T12:30", "02T13:30", drug_id="ig2", site=2)]
    assert [f for f in plausible(drugs=[*BASE_PLAUSIBLE_DRUGS, second], administrations=both)
            if f[0] == "PLAUSIBILITY-CONCURRENT"] == [
        ("PLAUSIBILITY-CONCURRENT", "error", "administrations[1]: drug 'ig1' is already running then "
         "(administrations[0]) through the same site 1."),
        ("PLAUSIBILITY-CONCURRENT", "error", "administrations[3]: drug 'ig2' is already running then "
         "(administrations[2]) through the same site 2.")]


def test_an_administration_of_no_length_runs_beside_nothing():
    """An entry whose stop is its start (a charting slip another check names) is not the drug running twice."""
    admins = [timed("02T09:00", "02T14:00"), timed("02T10:00", "02T10:00")]
    assert [f for f in plausible(administrations=admins) if f[0] == "PLAUSIBILITY-CONCURRENT"] == []


@pytest.mark.parametrize("ahead,severity", [(0, None), (1, "warning"), (31, "warning"), (32, "error")])
def test_a_date_of_service_ahead_is_an_estimate_for_31_days_then_an_error(ahead, severity):
    today = date.today()
    dos = today + timedelta(days=ahead)
    enc = chart(date_of_service=dos.isoformat(), administrations=[
        {"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T14:00"}])
    got = [(f.severity, f.message) for f in build(enc).findings if f.edit == "PLAUSIBILITY-DOS"]
    assert got == ([] if severity is None else [
        (severity, f"date_of_service: {dos} is in the future (today is {today}); a claim is filed after the service.")])


@pytest.mark.parametrize("grams,share", [("1.4", "4.7%"), ("0.1", "0.3%")])
def test_a_dose_under_5_percent_of_what_was_opened(grams, share):
    drug = dict(BASE["drugs"][0], dose={"grams": grams})
    assert plausible(drugs=[drug]) == [
        ("PLAUSIBILITY-DOSE", "error", f"drugs[0]: a dose of {grams} g from 30 g opened ({share}).")]
    assert plausible(drugs=[dict(drug, shared_with_other_patient=True)]) == []
    assert plausible(drugs=[dict(drug, dose={"grams": "1.5"})]) == []  # exactly 5 %


def test_a_tiny_dose_after_a_premedication():
    premed = {"id": "pre1", "hcpcs": "J1200", "units": 1, "containers": [{"units": 1}]}  # diphenhydramine
    ig = dict(BASE["drugs"][0], id="ig1", dose={"grams": "0.1"})
    admins = [timed("02T08:45", "02T08:50", drug_id="pre1"), timed("02T09:00", "02T14:00")]
    assert [f for f in plausible(drugs=[premed, ig], administrations=admins) if f[0] == "PLAUSIBILITY-DOSE"] == [
        ("PLAUSIBILITY-DOSE", "error", "drugs[1]: a dose of 0.1 g from 30 g opened (0.3%).")]


def test_a_tiny_dose_after_an_immune_globulin_that_is_not_judged():
    """Each immune globulin is judged on its own: a first one shared with another patient (only this patient's
    dose is billed) is not judged, and the tiny dose of the second is still found."""
    shared = dict(BASE["drugs"][0], id="ig1", dose={"grams": "1"}, shared_with_other_patient=True)
    tiny = dict(BASE["drugs"][0], id="ig2", dose={"grams": "0.1"})
    admins = [timed("02T09:00", "02T10:00"), timed("02T10:00", "02T14:00", drug_id="ig2")]
    assert [f for f in plausible(drugs=[shared, tiny], administrations=admins) if f[0] == "PLAUSIBILITY-DOSE"] == [
        ("PLAUSIBILITY-DOSE", "error", "drugs[1]: a dose of 0.1 g from 30 g opened (0.3%).")]


# --- edits/drug.py ---------------------------------------------------------------------------------------------
# Units = dose ÷ the code's unit dose, rounded up (J1459 and J1561: 500 mg); discarded units = units opened − units
# given, on a JW line (CMS Discarded Drugs page); Medicaid needs the NDC, one line per NDC (refdata/payers/medicaid).

MEDICAID = {"type": "medicaid", "prior_authorization": {"number": "PA-1", "units": 1000}}


def two_drugs(first: dict, second: dict, **changes) -> dict:
    return chart(drugs=[dict(first, id="ig1"), dict(second, id="ig2")], administrations=[
        {"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T12:00"},
        {"drug_id": "ig2", "start": "2026-03-02T12:00", "stop": "2026-03-02T15:00"}], **changes)


PRIVIGEN_40 = {"product": "Privigen", "route": "IV", "dose": {"grams": 35}, "containers": [{"grams": 40}]}


def drug_found(result, *edits: str) -> list[tuple]:
    return [(f.edit, f.line, f.message, f.fix, f.impact_units) for f in result.findings if f.edit in edits]


def renumber(claim: dict) -> None:
    for i, ln in enumerate(claim["lines"], start=1):
        ln["line"] = i


def test_second_drugs_jw_units_are_checked_after_a_first_drug_with_a_right_jw_line():
    """Privigen 35 g of 40 g: J1459 × 70 + JW × 10 (right); Gamunex-C 29.5 g of 30 g: J1561 × 59 + JW × 1, billed
    JW × 3."""
    enc = two_drugs(PRIVIGEN_40, {"product": "Gamunex-C", "route": "IV", "dose": {"grams": 29.5},
                                  "containers": [{"grams": 10, "count": 3}]})

    def three_jw(c):
        next(ln for ln in c["lines"] if ln["code"] == "J1561" and "JW" in ln["modifiers"])["units"] = 3
    assert drug_found(scrub(enc, three_jw), "DRUG-WASTE-MISMATCH") == [
        ("DRUG-WASTE-MISMATCH", 4, "Line 4: billed 59 + 3 JW = 62 units; opened 30 g = 60 units of J1561: 59 given + 1 "
         "discarded.", "Bill J1561-JW × 1.", -2)]


def test_second_drugs_jw_line_without_discard_after_a_first_drug_with_a_right_one():
    """Gamunex-C 30 g from three 10 g vials discards nothing: a JW line for it is refused, whatever the first drug's."""
    enc = two_drugs(PRIVIGEN_40, {"product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
                                  "containers": [{"grams": 10, "count": 3}]})

    def add_jw(c):
        c["lines"].insert(3, {"line": 0, "code": "J1561", "modifiers": ["JW"], "units": 2})
        renumber(c)
    assert drug_found(scrub(enc, add_jw), "DRUG-JW-NOT-ALLOWED") == [
        ("DRUG-JW-NOT-ALLOWED", 4, "Line 4: JW × 2 for Gamunex-C, but nothing was discarded.",
         "Remove the JW line; bill the administered units (with JZ where required).", -2)]


def test_second_drugs_ndcs_on_a_medicaid_claim_after_a_first_drug_of_one_ndc():
    """Privigen 40 g (one NDC), then Gamunex-C 25 g from a 20 g and a 10 g bottle (two NDCs) billed on one line."""
    enc = two_drugs({"product": "Privigen", "route": "IV", "dose": {"grams": 40},
                     "containers": [{"ndc": "44206-0439-40"}]},
                    {"product": "Gamunex-C", "route": "IV", "dose": {"grams": 25},
                     "containers": [{"ndc": "13533-0805-31"}, {"ndc": "13533-0805-11"}]}, payer=MEDICAID)

    def one_line(c):
        ig = [ln for ln in c["lines"] if ln["code"] == "J1561"]
        for ln in ig[1:]:
            c["lines"].remove(ln)
        ig[0]["units"] = 50
        renumber(c)
    assert drug_found(scrub(enc, one_line), "DRUG-NDC-PER-LINE") == [
        ("DRUG-NDC-PER-LINE", 2, "Line 2: Gamunex-C came from containers of 2 NDCs and the claim does not report "
         "13533-0805-11; Medicaid (generic state program) needs one line per NDC (13533-0805-11 × 20, 13533-0805-31 "
         "× 40 units).", "Bill one line per NDC, each with its own units and NDC quantity (and the discard on that "
         "NDC's JW line).", None)]


def test_a_kit_without_its_containers_on_a_medicaid_claim():
    """Gammagard S/D is a kit (powder): its NDC quantity is counted in packages (UN), so without the containers
    opened the 837 could carry no LIN/CTP for the NDC Medicaid requires."""
    sd = {"id": "ig1", "product": "Gammagard S/D", "ndc": "00944-2658-04", "dose": {"grams": 20}}
    assert drug_found(build(chart(payer=MEDICAID, drugs=[sd])), "DRUG-NDC-MISSING") == [
        ("DRUG-NDC-MISSING", None, "drugs[0]: Medicaid (generic state program) requires the NDC quantity with the NDC, "
         "and the chart does not let it be computed for Gammagard S/D (the 837 would carry no LIN/CTP).",
         "Give the containers opened: kits and powders are counted in packages (UN).", -40)]  # 20 g: J1566 × 40
    # priced by the drug's code, the finding having no line: 40 × 78.892 (J1566, CMS ASP January 2026)
    (missing,) = [f for f in build(chart(payer=MEDICAID, drugs=[sd])).findings if f.edit == "DRUG-NDC-MISSING"]
    assert (missing.causes, str(missing.impact_usd)) == ((("drug", "drugs[0]"),), "-3155.68")
    with_containers = dict(sd, containers=[{"ndc": "00944-2658-04", "count": 2}])
    assert drug_found(build(chart(payer=MEDICAID, drugs=[with_containers])), "DRUG-NDC-MISSING") == []


def test_a_medicaid_line_without_an_ndc_when_the_chart_has_none_either():
    r = scrub(chart(payer=MEDICAID))
    assert drug_found(r, "DRUG-NDC-MISSING") == [
        ("DRUG-NDC-MISSING", 1, "Line 1: J1561 has no NDC; Medicaid (generic state program) requires it.",
         "Report the NDC of the package used (11 digits, 5-4-2) with its quantity on each drug line.", -60)]
    # Medicare Part B does not require the NDC on the line.
    assert drug_found(scrub(chart()), "DRUG-NDC-MISSING") == []



def test_a_line_whose_ndc_is_not_one_is_matched_and_counted_without_it():
    """An NDC that is not one (10 digits without hyphens: the segment to pad is unknown) names no product and
    reports no NDC: DRUG-NDC-FORMAT says so, and the other edits go on."""
    from tests.test_rule_mutations import _e1_scrub

    def bad_ndc(claim):
        claim["lines"][0]["ndc"] = "1353308051"
    assert _e1_scrub(bad_ndc) == [
        ("DRUG-NDC-PER-LINE", 1, "Line 1: Gamunex-C came from containers of 2 NDCs and the claim does not report "
         "13533-0805-31; Medicaid (generic state program) needs one line per NDC (13533-0805-11 × 20, 13533-0805-31 "
         "× 40 units)."),
        ("DRUG-NDC-FORMAT", 1, "Line 1: '1353308051' is not an NDC: give 11 digits, or 10 digits with hyphens (4-4-2, "
         "5-3-2, 5-4-1).")]
    enc = chart(drugs=[BASE["drugs"][0], {"id": "ig2", "product": "Privigen", "route": "IV", "dose": {"grams": 10},
                                          "containers": [{"grams": 10}]}])
    r = scrub(enc, lambda c: next(ln for ln in c["lines"] if ln["code"] == "J1459").update(code="J1599",
                                                                                          ndc="1353308051"))
    assert [(f.edit, f.line) for f in r.findings] == [("DRUG-NOS-CODE", 2), ("DRUG-NDC-FORMAT", 2)]


def test_a_premedications_ndc_without_its_quantity_says_what_to_give():
    """An NDC on an 837 line goes with its quantity and unit (5010 837P loop 2410 LIN/CTP); Medicaid requires the NDC
    on drug lines, so a premedication's NDC without its quantity is an error naming the fields to give."""
    premed = {"id": "pre", "hcpcs": "J1200", "units": 1, "ndc": "00641-0376-25", "containers": [{"units": 2}]}
    enc = chart(payer={"type": "medicaid", "prior_authorization": {"number": "PA-1"}}, drugs=[BASE["drugs"][0], premed],
                administrations=[{"drug_id": "pre", "start": "2026-03-02T08:45", "stop": "2026-03-02T08:50",
                                  "method": "push"}, BASE["administrations"][0]])
    assert [(f.severity, f.line, f.message, f.fix) for f in build(enc).findings
            if f.edit == "DRUG-NDC-MISSING" and f.message.startswith("drugs[1]")] == [
        ("error", None, "drugs[1]: Medicaid (generic state program) requires the NDC quantity with the NDC, and the "
         "chart does not let it be computed for J1200 (the 837 would carry no LIN/CTP).", "Give the NDC quantity and "
         "its unit of what was given (drugs[1].ndc_quantity and ndc_unit, e.g. 1 and ML).")]
