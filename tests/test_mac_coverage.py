"""Coverage by Medicare contractor (issue 9 items 1, 2, 3-coverage, 9): the MAC article that binds an Original
Medicare claim (payer.contractor, the billing provider's state, the DME MAC articles at home), liability modifiers
GA/GZ/GX/GY with their dates, `igclaim data import coverage` and `igclaim coverage`.

Facts checked against the bundled copy of the MCD lists (refdata/coverage/mac-articles/, from
shared/coverage/mac-articles): e.g. A57778 (First Coast) lists D80.1; A56779 (CGS) does not."""

from __future__ import annotations

import doctest
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igclaim.refdata import mac as mac_module
from igclaim.refdata import store
from igclaim.refdata.coverage import liability_modifiers, policy
from igclaim.refdata.mac import mac
from igclaim.refdata.resolver import reference
from tests.conftest import check_expectations, load_example, run_cli
from tests.test_edits_support import build, chart, ids, only, scrub

CSV_HEAD = "article_id,group,icd10_code\n"


def bp(state: str) -> dict:
    return {"npi": "1234567893", "tax_id": "990000001", "name": "Valley Infusion",
            "address": {"line1": "1 Main St", "city": "Springfield", "state": state, "zip": "12345"}}


def office(state: str | None = None, dx: str = "D80.1", **changes) -> dict:
    extra = {"billing_provider": bp(state)} if state else {}
    return chart(diagnoses=[dx], **extra, **changes)


def home_sc(product: str, dx: str = "G61.81") -> dict:
    return chart(setting="home", diagnoses=[dx], drug0={"product": product, "route": "SC", "dose": {"grams": 10},
                                                        "containers": [{"grams": 10, "count": 1}]})


def with_mods(*extra: str):
    def change(c):
        for ln in c["lines"]:
            ln["modifiers"] = [m for m in ln["modifiers"] if m not in {"GA", "GZ", "GX", "GY"}] + list(extra)
    return change


def errors(result, edit: str) -> list:
    return [f for f in result.findings if f.edit == edit and f.severity == "error"]


def test_doctests():
    assert doctest.testmod(mac_module).failed == 0


# --- which contractor ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("state,jurisdiction,contractor", [
    ("CA", "JE", "Noridian"), ("FL", "JN", "First Coast"), ("TX", "JH", "Novitas"), ("NY", "JK", "National Government"),
    ("OH", "J15", "CGS"), ("MI", "J8", "WPS"), ("SC", "JM", "Palmetto"), ("IL", "J6", "National Government"),
    ("PA", "JL", "Novitas"), ("GA", "JJ", "Palmetto"), ("AZ", "JF", "Noridian"), ("MO", "J5", "WPS"),
])
def test_state_chooses_the_ab_mac(state, jurisdiction, contractor):
    j = mac().jurisdiction_for_state(state)
    assert j is not None and j.id == jurisdiction and contractor in j.contractor


@pytest.mark.parametrize("state", ["CA", "FL", "TX", "NY", "MI", "SC", "IL", "PA"])
def test_d80_1_is_covered_where_the_list_says_so(state):
    r = build(office(state, "D80.1"))
    assert "DX-NOT-COVERED" not in ids(r) and "PAYER-ABN-MODIFIER" not in ids(r)


def test_d80_1_not_on_the_cgs_list_is_an_error_naming_article_and_contractor():
    # A56779/A57160 (CGS, J15: KY, OH) do not list D80.1, and D44.7–D89.9 was read completely.
    f = only(build(office("OH", "D80.1")), "DX-NOT-COVERED")
    assert f.severity == "error" and "A56779" in f.message and "CGS" in f.message and "J15" in f.message
    assert "articleId=56779" in (f.source or "")
    abn = only(build(office("OH", "D80.1")), "PAYER-ABN-MODIFIER")
    assert abn.severity == "error" and "GZ" in abn.message
    assert "DX-NOT-COVERED" not in ids(build(office("OH", "D83.9")))  # on the CGS list


def test_unread_range_is_a_warning_that_the_list_could_not_verify():
    # F84.0 is in F01–F99, a range the copy of the lists did not read: unknown, not uncovered.
    f = only(build(office("FL", "F84.0")), "DX-NOT-COVERED")
    assert f.severity == "warning" and "could not verify" in f.message and "A57778" in f.message
    assert not errors(build(office("FL", "F84.0")), "PAYER-ABN-MODIFIER")
    # Near miss: a read range (G00–G99) not on the list is an error.
    assert only(build(office("FL", "G43.909")), "DX-NOT-COVERED").severity == "error"


@pytest.mark.parametrize("dx", ["L12.30", "L12.31", "L12.35"])
def test_acquired_epidermolysis_bullosa_warns_where_the_article_does_not_list_it(dx):
    """NCD 250.3 covers epidermolysis bullosa acquisita nationally, but its bundled code list names L13.8 only: a
    CGS (OH, J15) claim for L12.30-L12.35 was an error (DX-NOT-COVERED, and GZ required); now a warning that says
    why. WPS's A57554 (IA, J5) lists the three: covered there. A bullous code that is not EBA stays an error."""
    f = only(build(office("OH", dx)), "DX-NOT-COVERED")
    assert f.severity == "warning" and "epidermolysis bullosa acquisita" in f.message, f.message
    assert not errors(build(office("OH", dx)), "PAYER-ABN-MODIFIER")
    assert "DX-NOT-COVERED" not in ids(build(office("IA", dx)))
    assert only(build(office("OH", "L12.2")), "DX-NOT-COVERED").severity == "error"
    by_article = office(dx=dx, payer={"type": "medicare", "contractor": "A56779"})  # one article named alone
    assert only(build(by_article), "DX-NOT-COVERED").severity == "warning"


def test_unresolved_noridian_article_only_warns():
    # A57187 is Noridian's article for JE or JF (not resolved): a code it does not list, in a read range, warns.
    f = only(build(office("CA", "G43.909")), "DX-NOT-COVERED")
    assert f.severity == "warning" and "JE" in f.message and "A57187" in f.message
    assert "DX-NOT-COVERED" not in ids(build(office("CA", "L10.0")))  # NCD 250.3 is national


def test_payer_contractor_wins_over_the_state():
    assert "DX-NOT-COVERED" not in ids(build(office("OH", "D80.1", payer={"type": "medicare", "contractor": "JN"})))
    f = only(build(office("FL", "D80.1", payer={"type": "medicare", "contractor": "a56779"})), "DX-NOT-COVERED")
    assert f.severity == "error" and "A56779" in f.message and "payer.contractor" in f.message


def test_profile_contractor_first_coast_example():
    r = build(office(None, "D80.1", payer={"type": "medicare", "profile": "medicare-part-b-first-coast"}))
    assert "DX-NOT-COVERED" not in ids(r)
    r = build(office(None, "G43.909", payer={"type": "medicare", "profile": "medicare-part-b-first-coast"}))
    assert only(r, "DX-NOT-COVERED").severity == "error" and "A57778" in only(r, "DX-NOT-COVERED").message


def test_bad_contractor_names_the_field(tmp_path: Path):
    enc = office(None, "D80.1", payer={"type": "medicare", "contractor": "JZ9"})
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(enc))
    r = run_cli("build", str(p), "--format", "json")
    assert r.returncode == 2 and "payer.contractor" in r.stderr


def test_no_state_no_contractor_uses_the_default_labelled_so_and_asks_to_verify():
    r = build(office(None, "G43.909"))
    f = only(r, "DX-NOT-COVERED")
    assert f.severity == "warning" and "Default" in f.message and "No Medicare contractor is known" in f.message
    abn = only(r, "PAYER-ABN-MODIFIER")
    assert abn.severity == "warning" and "verify the payer's" in abn.message and "add GZ" not in abn.message


@pytest.mark.parametrize("payer", [
    {"type": "medicare_advantage", "prior_authorization": {"number": "P1"}},
    {"type": "medicaid", "prior_authorization": {"number": "P1"}},
    {"type": "commercial", "prior_authorization": {"number": "P1"}},
])
@pytest.mark.parametrize("setting", ["office", "home"])
def test_ma_medicaid_commercial_never_error_from_mac_lists(payer, setting):
    for dx in ("D80.1", "G43.909", "G61.81"):
        enc = office("OH", dx, payer=dict(payer), setting=setting)
        enc["drugs"][0]["ndc"] = "13533-0800-71"
        r = build(enc)
        assert not errors(r, "DX-NOT-COVERED") and not errors(r, "PAYER-ABN-MODIFIER"), (dx, r.findings)
        assert not any("A56779" in f.message or "A52509" in f.message for f in r.findings)


# --- home: DME MAC articles A52509 (IV) and A52507 (SC through a pump) -------------------------------------------

def test_home_iv_for_cidp_is_an_error_with_gy():
    r = build(chart(setting="home", diagnoses=["G61.81"]))
    f = only(r, "DX-NOT-COVERED")
    assert f.severity == "error" and "A52509" in f.message and "no benefit category" in f.message
    abn = only(r, "PAYER-ABN-MODIFIER")
    assert abn.severity == "error" and "add GY" in abn.message


def test_home_iv_pidd_covered():
    for dx in ("D83.9", "D80.0", "G11.3", "D81.82"):
        assert "DX-NOT-COVERED" not in ids(build(chart(setting="home", diagnoses=[dx]))), dx


def test_home_sc_cidp_only_for_the_products_the_article_names():
    for product in ("Hizentra", "HyQvia"):
        assert "DX-NOT-COVERED" not in ids(build(home_sc(product))), product
    f = only(build(home_sc("Cuvitru")), "DX-NOT-COVERED")
    # a warning: the product limit is igclaim's reading, the article's product line was not read
    assert f.severity == "warning" and "A52507" in f.message and "J1559" in f.message and "J1575" in f.message
    assert "product line was not read" in f.message
    # PIDD through a pump is covered for any SC product (group 3).
    assert "DX-NOT-COVERED" not in ids(build(home_sc("Cuvitru", "D83.9")))


def test_home_uncertain_entry_warns_and_is_limited_to_its_articles():
    f = only(build(chart(setting="home", diagnoses=["D81.30"])), "DX-NOT-COVERED")
    assert f.severity == "warning" and "A52509" in f.message
    # The D81.3 note is about the home articles; an office claim in OH (CGS) gets no such note.
    assert "split after FY2023" not in only(build(office("OH", "D81.30")), "DX-NOT-COVERED").message


# --- liability modifiers ---------------------------------------------------------------------------------------

def test_liability_modifier_dates_both_sides():
    ref = reference()
    assert not ref.modifier_valid("GX", date(2010, 3, 31)) and ref.modifier_valid("GX", date(2010, 4, 1))
    assert not ref.modifier_valid("GY", date(2001, 12, 31)) and ref.modifier_valid("GY", date(2002, 1, 1))
    assert not ref.modifier_valid("GZ", date(2001, 12, 31)) and ref.modifier_valid("GZ", date(2002, 1, 1))
    lm = liability_modifiers()
    assert (lm.with_signed_abn, lm.without_abn, lm.statutory_exclusion, lm.voluntary_notice) == ("GA", "GZ", "GY",
                                                                                                  "GX")


def test_no_benefit_asks_for_no_abn_and_gy_on_the_lines_is_an_expected_denial():
    """Home IVIG for CIDP has no Medicare benefit (A52509): DX-NOT-COVERED's fix asked for an ABN, which does not
    apply. With GY on the drug's lines the claim is right (it asks for the denial a secondary payer needs): a warning
    that says so. Without GY, or with GZ, it stays an error."""
    enc = chart(setting="home", diagnoses=["G61.81"])
    f = only(build(enc), "DX-NOT-COVERED")
    assert f.severity == "error" and f.fix is not None and f.fix.startswith("No ABN applies") and "GY" in f.fix
    f = only(scrub(enc, with_mods("GY")), "DX-NOT-COVERED")
    assert f.severity == "warning" and f.message.endswith("GY is on the lines: the denial is expected.")
    assert only(scrub(enc, with_mods("GZ")), "DX-NOT-COVERED").severity == "error"
    # GY on some of the drug's lines only (the JW line without), or no drug line at all: not yet right
    waste = chart(setting="home", diagnoses=["G61.81"], drug0={"dose": {"grams": 25}})

    def gy_on_first(c):
        c["lines"][0]["modifiers"] = [*c["lines"][0]["modifiers"], "GY"]

    assert [ln.code for ln in build(waste).claim.lines][:2] == ["J1561", "J1561"]  # given + JW
    assert only(scrub(waste, gy_on_first), "DX-NOT-COVERED").severity == "error"
    no_drug = {"lines": [{"line": 1, "code": "Q2052", "modifiers": ["GY"], "units": 20}]}
    assert only(scrub(enc, claim=no_drug), "DX-NOT-COVERED").severity == "error"
    # a premedication's line is not the immune globulin's: GY on the IG's lines is enough
    premed = chart(setting="home", diagnoses=["G61.81"], drugs=[*enc["drugs"], {"id": "pm", "hcpcs": "J1200",
                                                                                "units": 1, "route": "IV"}])

    written = {"lines": [{"line": 1, "code": "J1561", "modifiers": ["JZ", "GY"], "units": 60},
                         {"line": 2, "code": "Q2052", "modifiers": ["GY"], "units": 20},
                         {"line": 3, "code": "J1200", "modifiers": [], "units": 1}]}
    assert only(scrub(premed, claim=written), "DX-NOT-COVERED").severity == "warning"
    # a medical-necessity gap keeps the catalog's ABN advice
    f = only(build(office("OH", "D80.1")), "DX-NOT-COVERED")
    assert f.fix is not None and "ABN" in f.fix and not f.fix.startswith("No ABN")


def test_gy_written_is_clean_and_ga_gz_are_wrong_for_no_benefit():
    enc = chart(setting="home", diagnoses=["G61.81"])
    assert "PAYER-ABN-MODIFIER" not in ids(scrub(enc, with_mods("GY")))
    r = scrub(enc, with_mods("GZ"))
    f = only(r, "PAYER-ABN-MODIFIER")
    assert f.severity == "error" and "GY" in f.message and "not GA/GZ" in f.message
    missing = only(scrub(enc), "PAYER-ABN-MODIFIER")
    assert "GY is needed" in missing.message
    # With a voluntary notice, GX beside GY is allowed; GX with GZ is not.
    signed = chart(setting="home", diagnoses=["G61.81"], payer={"type": "medicare", "abn_signed": True})
    assert "PAYER-ABN-MODIFIER" not in ids(scrub(signed, with_mods("GY", "GX")))
    assert "GX" in only(build(signed), "PAYER-ABN-MODIFIER").message


def test_gy_is_wrong_for_a_medical_necessity_denial():
    enc = office("OH", "D80.1")
    f = only(scrub(enc, with_mods("GY")), "PAYER-ABN-MODIFIER")
    assert f.severity == "error" and "GZ" in f.message
    assert "PAYER-ABN-MODIFIER" not in ids(scrub(enc, with_mods("GZ")))


def test_gx_before_its_date_is_flagged():
    def at(day: str) -> dict:
        return chart(setting="home", date_of_service=day, diagnoses=["G61.81"],
                     payer={"type": "medicare", "abn_signed": True},
                     administrations=[{"drug_id": "ig1", "start": f"{day}T09:00", "stop": f"{day}T14:00"}])
    before = scrub(at("2010-03-31"), with_mods("GY", "GX"))
    assert any(f.edit == "PAYER-ABN-MODIFIER" and "GX is not a valid modifier" in f.message for f in before.findings)
    after = scrub(at("2010-04-01"), with_mods("GY", "GX"))
    assert not any("not a valid modifier" in f.message for f in after.findings)


# --- item 9: uncertain entries warn; route- and product-limited notes -------------------------------------------

def test_uncertain_entry_surfaces_as_a_warning():
    f = only(build(office(None, "M33.22")), "DX-COVERAGE-UNCERTAIN")  # polymyositis: contractor-dependent
    assert f.severity == "warning" and "polymyositis" in f.message
    assert "DX-COVERAGE-UNCERTAIN" not in ids(build(office(None, "M33.12")))  # dermatomyositis: certain


def test_route_limited_note_applies_only_to_its_route():
    home = policy("medicare-home-ivig-pidd")
    assert home.uncertain_notes(["G61.81"], "IV") == []
    assert home.uncertain_notes(["G61.81"], "SC") != []


def test_product_limited_entry_applies_only_to_its_product(tmp_path: Path):
    pol = tmp_path / "p.toml"
    pol.write_text('[policy]\nname = "p"\nkind = "official"\nseverity = "error"\nsource = "https://example.org"\n\n'
                   '[[indication]]\nname = "CIDP (Hizentra only)"\ncodes = ["G61.81"]\nproducts = ["J1559"]\n'
                   'certain = false\n')
    p = policy(str(pol))
    assert p.covering(["G61.81"], "SC", ["J1559", "Hizentra"]) is not None
    assert p.covering(["G61.81"], "SC", ["J1555", "Cuvitru"]) is None
    assert p.uncertain_notes(["G61.81"], "SC", ["J1555"]) == []
    assert p.uncertain_notes(["G61.81"], "SC", ["J1559"]) != []


# --- import and the coverage command ---------------------------------------------------------------------------

def test_import_replaces_per_article_from_its_date(home, tmp_path):
    f = tmp_path / "cgs.csv"
    f.write_text(CSV_HEAD + "A56779,1,D83.9\nA56779,1,D80.1\n")
    r = run_cli("data", "import", "coverage", str(f), "--effective", "2026-01-01")
    assert r.returncode == 0, r.stderr
    assert "A56779" in r.stdout and "2026-01-01" in r.stdout
    store.invalidate()
    # Both sides of the date: the imported list from 2026-01-01, the bundled one before.
    new = office("OH", "D80.1")
    assert "DX-NOT-COVERED" not in ids(build(new))
    old = office("OH", "D80.1", date_of_service="2025-12-31",
                 administrations=[{"drug_id": "ig1", "start": "2025-12-31T09:00", "stop": "2025-12-31T14:00"}])
    assert only(build(old), "DX-NOT-COVERED").severity == "error"
    # The import replaced A56779's list only: G61.81 is no longer on it; First Coast keeps its own.
    assert "DX-NOT-COVERED" not in ids(build(office("OH", "G61.81", date_of_service="2025-12-31", administrations=[
        {"drug_id": "ig1", "start": "2025-12-31T09:00", "stop": "2025-12-31T14:00"}])))
    assert only(build(office("OH", "G61.81")), "DX-NOT-COVERED").severity == "error"
    assert "DX-NOT-COVERED" not in ids(build(office("FL", "G61.81")))
    # The same file again changes nothing; a corrected file for the same dates replaces it.
    again = run_cli("data", "import", "coverage", str(f), "--effective", "2026-01-01")
    assert "nothing changed" in again.stdout
    f.write_text(CSV_HEAD + "A56779,1,D83.9\n")
    fixed = run_cli("data", "import", "coverage", str(f), "--effective", "2026-01-01")
    assert "replaced 1" in fixed.stdout
    store.invalidate()
    assert only(build(office("OH", "D80.1")), "DX-NOT-COVERED").severity == "error"


def test_import_bad_file_names_line_and_column(home, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text(CSV_HEAD + "A56779,1,D83.9\nA56779,x,D80.1\n")
    r = run_cli("data", "import", "coverage", str(f), "--effective", "2026-01-01")
    assert r.returncode == 2 and "line 3" in r.stderr and "nothing was imported" in r.stderr
    r = run_cli("data", "import", "coverage", str(f))
    assert r.returncode == 2 and "--effective" in r.stderr


def test_coverage_command_lists_contractors():
    r = run_cli("coverage", "D80.1", "--json")
    assert r.returncode == 0, r.stderr
    listed = {row["article"] for row in json.loads(r.stdout)["listed_by"]}
    assert {"A57778", "A56786", "A56718", "A57187", "A57554", "A59105"} <= listed
    assert "A56779" not in listed and "A52509" not in listed
    r = run_cli("coverage", "D80.1", "--state", "OH")
    assert r.returncode == 0 and "J15" in r.stdout and "NOT listed" in r.stdout
    state = json.loads(run_cli("coverage", "D80.1", "--state", "FL", "--json").stdout)["state"]
    assert state["jurisdiction"] == "JN" and state["status"] == "covered"
    assert run_cli("coverage", "D80.1", "--state", "ZZ").returncode == 2
    assert run_cli("coverage", "not-a-code").returncode == 2


COVERAGE_EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples" / "coverage").glob("*.json"))


@pytest.mark.parametrize("path", COVERAGE_EXAMPLES, ids=lambda p: p.stem)
def test_coverage_examples(path, tmp_path):
    """The coverage worked examples (examples/coverage/) through the CLI, as a user would run them; a covered
    build-mode example's own claim scrubs with no error."""
    data = load_example(path)
    proc = run_cli(data["mode"], str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    problems = check_expectations(result, data["expect"])
    assert not problems, problems
    if data["mode"] == "build" and data["expect"].get("clean"):
        again = tmp_path / path.name
        again.write_text(json.dumps({"input": dict(data["input"], claim=result["claim"])}))
        scrubbed = json.loads(run_cli("scrub", str(again), "--format", "json").stdout)
        assert not [f["edit"] for f in scrubbed["findings"] if f["severity"] == "error"]


# --- properties of the lists ------------------------------------------------------------------------------------

ALL_CODES = sorted({c for groups in mac().bundled_codes.values() for codes in groups.values() for c in codes})


@settings(max_examples=200, deadline=None)
@given(jur=st.sampled_from(sorted(mac().jurisdictions)), code=st.sampled_from(ALL_CODES))
def test_a_listed_code_is_covered_by_its_jurisdiction(jur, code):
    lookup = mac().ab_lookup(jur, date(2026, 3, 2))
    status = lookup.status([code])
    listed = any(code in codes for a in mac().jurisdictions[jur].articles
                 for codes in mac().bundled_codes.get(a, {}).values()) or code in mac().national_codes
    assert (status.kind == "covered") == listed


@settings(max_examples=200, deadline=None)
@given(letter=st.sampled_from("FS"), digits=st.from_regex(r"[0-9]{2}(\.[0-9]{1,2})?", fullmatch=True))
def test_an_unread_range_is_never_not_covered(letter, digits):
    # F01–F99 and S00–T79 were not read: whatever the code, the A/B lists can only warn about it.
    code = letter + digits
    for jur in ("JN", "J15", "JH"):
        assert mac().ab_lookup(jur, date(2026, 3, 2)).status([code]).kind in ("covered", "unverified")


def test_hospital_outpatient_uses_the_ab_mac_too():
    enc = office("OH", "D80.1", setting="hospital_outpatient")
    assert only(build(enc), "DX-NOT-COVERED").severity == "error"
    assert "DX-NOT-COVERED" not in ids(build(office("TX", "D80.1", setting="hospital_outpatient")))


def test_written_claim_diagnosis_is_checked_against_the_contractor_list():
    # Chart D83.9 (on CGS's list); the written claim says D80.1 (not on it): the written claim is flagged.
    r = scrub(office("OH", "D83.9"), lambda c: c.update(diagnoses=["D80.1"]))
    f = only(r, "DX-NOT-COVERED")
    assert f.severity == "error" and "chart's diagnoses (D83.9) are covered" in f.message


def test_numbered_jurisdiction_aliases():
    # The MCD labels First Coast "J09" and WPS "J05": payer.contractor takes either form.
    assert mac_module.parse_contractor("j09") == "JN" and mac_module.parse_contractor("J05") == "J5"
    r = build(office("OH", "D80.1", payer={"type": "medicare", "contractor": "J09"}))
    assert "DX-NOT-COVERED" not in ids(r)


# --- imported lists are read on the claim's date and from the snapshot's own tables ----------------------------

def _import_list(tmp_path: Path, name: str, rows: str, effective: str = "2026-01-01") -> None:
    f = tmp_path / f"{name}.csv"
    f.write_text(CSV_HEAD + rows)
    r = run_cli("data", "import", "coverage", str(f), "--effective", effective)
    assert r.returncode == 0, r.stderr
    store.invalidate()


def _on(day: str, enc: dict) -> dict:
    """The chart moved to another date of service (its administrations with it)."""
    old = enc["date_of_service"]
    moved = dict(enc, date_of_service=day)
    moved["administrations"] = [{k: (v.replace(old, day) if k in ("start", "stop") else v) for k, v in a.items()}
                                for a in enc["administrations"]]
    return moved


def test_an_imported_home_list_binds_home_claims_from_its_date(home, tmp_path):
    """The DME MAC lists at home are read on the date of service: A52509 imported from 2026-01-01 with D83.9 alone
    leaves D80.0 out from that day; the bundled list, which has it, binds the day before. A52507 group 6 (CIDP,
    Hizentra and HyQvia only) imported without G61.81: a Cuvitru CIDP claim no longer reads as the wrong product."""
    _import_list(tmp_path, "a52509", "A52509,1,D83.9\n")
    iv = chart(setting="home", diagnoses=["D80.0"])
    assert only(build(iv), "DX-NOT-COVERED").severity == "error"
    assert "DX-NOT-COVERED" not in ids(build(_on("2025-12-31", iv)))

    _import_list(tmp_path, "a52507", "A52507,3,D83.9\nA52507,6,G61.82\n")
    wrong_product = "not one of the products igclaim reads that group as limited to"
    assert wrong_product not in only(build(home_sc("Cuvitru")), "DX-NOT-COVERED").message
    assert wrong_product in only(build(_on("2025-12-31", home_sc("Cuvitru"))), "DX-NOT-COVERED").message


def test_a_snapshot_keeps_the_contractor_lists_of_its_own_tables(home, tmp_path):
    """A claim coded from one snapshot never mixes two imports: a snapshot made before an import keeps the lists of
    its own tables (the A/B MAC's, the DME MAC's and the product-limited group), the next snapshot reads the new."""
    ref = reference()
    medicare = ref.default_profile("medicare")
    day = date(2026, 3, 2)
    old = ref.at(day, medicare)
    _import_list(tmp_path, "lists", "A56779,1,D80.1\nA52509,1,D83.9\nA52507,3,D83.9\nA52507,6,G61.82\n")
    new = ref.at(day, medicare)
    assert new is not old
    assert "D801" in new.ab_lookup("A56779").codes and "D801" not in old.ab_lookup("A56779").codes
    new_home, old_home = new.home_lookup("IV", "J1561"), old.home_lookup("IV", "J1561")
    assert new_home is not None and old_home is not None
    assert "D800" not in new_home[0].codes and "D800" in old_home[0].codes
    assert new.product_only("SC", "J1555", ["G61.81"]) is None
    assert old.product_only("SC", "J1555", ["G61.81"]) is not None
    assert old.product_only("SC", "J1559", ["G61.81"]) is None  # Hizentra is one of the products group 6 names


def test_a_code_that_cannot_be_billed_is_not_judged_for_coverage():
    """D83 is a category (DX-INVALID: code D83.x): judging it for coverage added DX-NOT-COVERED and a GZ on every
    line for a code that cannot be billed. Coverage is judged on the billable diagnoses: another one that is not
    covered is still said, and a covered one silences it."""
    r = build(office("OH", "D83"))
    assert "DX-INVALID" in ids(r) and not {"DX-NOT-COVERED", "PAYER-ABN-MODIFIER"} & ids(r)
    r = build(chart(diagnoses=["D83", "G43.909"], billing_provider=bp("OH")))
    assert "DX-INVALID" in ids(r) and only(r, "DX-NOT-COVERED").severity == "error"
    assert "G43.909" in only(r, "DX-NOT-COVERED").message and "D83," not in only(r, "DX-NOT-COVERED").message
    assert "DX-NOT-COVERED" not in ids(build(chart(diagnoses=["D83", "D83.9"], billing_provider=bp("OH"))))
    # before the first bundled ICD-10-CM release (FY2025) no release says whether a code is billable: judged as given
    # (a warning: the date is also before the bundled FY2026 snapshot of the lists, tests/test_coverage_audit.py)
    early = chart(diagnoses=["G43.909"], billing_provider=bp("OH"), date_of_service="2024-03-04",
                  administrations=[{"drug_id": "ig1", "start": "2024-03-04T09:00", "stop": "2024-03-04T12:00"}])
    assert only(build(early), "DX-NOT-COVERED").severity == "warning"


# NCD 250.3 (intravenous immune globulin for autoimmune mucocutaneous blistering diseases) binds every contractor:
# its ICD-10-CM codes, as the national list (refdata/coverage/NCD250.3.csv) gives them.
NCD_250_3 = ["L10.0", "L10.1", "L10.2", "L10.3", "L10.4", "L10.5", "L10.81", "L10.89", "L10.9", "L12.0", "L12.1",
             "L12.8", "L12.9", "L13.8"]
# Indications every A/B MAC's immune globulin article lists (each list of refdata/coverage/mac-articles/): primary
# immunodeficiency, CIDP, multifocal motor neuropathy, Guillain-Barré, chronic ITP, Kawasaki disease.
EVERY_AB_MAC = ["D80.0", "D80.5", "D81.9", "D82.0", "D83.0", "D83.1", "D83.9", "G61.81", "G61.82", "G61.0", "D69.3",
                "M30.3"]


def test_the_national_list_is_ncd_250_3s():
    assert sorted(mac().national_codes) == sorted(c.replace(".", "") for c in NCD_250_3)


@pytest.mark.parametrize("jur", sorted(mac().jurisdictions))
def test_every_contractor_covers_the_ncd_and_the_indications_every_list_names(jur):
    lookup = mac().ab_lookup(jur, date(2026, 3, 2))
    assert {code: lookup.status([code]).kind for code in NCD_250_3 + EVERY_AB_MAC} == \
        dict.fromkeys(NCD_250_3 + EVERY_AB_MAC, "covered")


@pytest.mark.parametrize("code", ["G99.0", "G99.8", "E89.1"])
def test_a_code_in_the_last_category_of_a_read_range_is_judged_not_left_unverified(code):
    """A read range ends at a category (G00–G99, E00–E90): every code under its last category is in it, so one the
    list does not name is not covered, never "could not verify" (ranges compare by category prefix)."""
    assert mac().ab_lookup("J6", date(2026, 3, 2)).status([code]).kind == "not_covered"
