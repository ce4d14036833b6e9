"""The outside audit of the Medicare contractor coverage lists (refdata/coverage/mac-articles.toml, refdata/mac.py,
edits/diagnosis.py): each test is one defect's reproducer chart (tests/data/coverage_audit/) with the severities and
amounts the fixed verdict must give."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from igclaim import engine
from igclaim.inputs import parse_encounter
from igclaim.model import Finding, Result

DATA = Path(__file__).parent / "data" / "coverage_audit"


def _chart(name: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(json.loads((DATA / name).read_text()))
    for key, value in changes.items():
        if key.startswith("payer_"):
            data["payer"][key[6:]] = value
        else:
            data[key] = value
    return data


def _build(data: dict[str, Any]) -> Result:
    return engine.build(parse_encounter(data))


def _found(result: Result, edit: str) -> list[Finding]:
    return [f for f in result.findings if f.edit == edit]


def test_g35_before_the_fy2026_snapshot_is_a_warning_not_a_certain_denial() -> None:
    """Defect 1: G35 (the billable MS code until 2025-09-30) on 2025-06-02 in Georgia; the bundled lists hold FY2026
    codes only (G35.A ...), so they cannot say G35 is not covered then."""
    result = _build(_chart("f1-g35-fy2025-GA.json"))
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "warning"
    assert dx.impact_units == -60
    assert "FY2026 snapshot" in dx.message and "2025-06-02 is before it" in dx.message
    [abn] = _found(result, "PAYER-ABN-MODIFIER")
    assert abn.severity == "warning"
    assert "verify first" in abn.message


def test_unlisted_diagnosis_after_the_snapshot_date_stays_a_certain_error() -> None:
    """Defect 1's boundary: from codes_as_of (2025-10-01) the snapshot decides, as before."""
    result = _build(_chart("f1-g35-fy2025-GA.json", diagnoses=["G43.909"], date_of_service="2025-10-01",
                           administrations=[{"drug_id": "ig1", "start": "2025-10-01T09:00",
                                             "stop": "2025-10-01T14:00"}]))
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "error"
    assert dx.impact_units == -60
    [abn] = _found(result, "PAYER-ABN-MODIFIER")
    assert abn.severity == "error"


def test_an_unknown_article_id_is_not_an_empty_list() -> None:
    """Defect 2: payer.contractor A57194 (retired, not in the snapshot) with D83.9 in Illinois was a certain
    DX-NOT-COVERED error (-$2,944.56) and 'add GZ' under an '(imported list)'. It is judged by the state's list
    (NGS A59105 covers D83.9) and a warning names the id."""
    result = _build(_chart("f2-unknown-article.json"))
    assert not _found(result, "DX-NOT-COVERED") and not _found(result, "PAYER-ABN-MODIFIER")
    [note] = _found(result, "DX-COVERAGE-UNCERTAIN")
    assert note.severity == "warning"
    assert "A57194" in note.message and "unknown to igclaim" in note.message and "A59105" in note.message


def test_a_mistyped_article_id_is_not_an_empty_list() -> None:
    result = _build(_chart("f2-unknown-article.json", payer_contractor="A12345"))
    assert not _found(result, "DX-NOT-COVERED") and not _found(result, "PAYER-ABN-MODIFIER")
    [note] = _found(result, "DX-COVERAGE-UNCERTAIN")
    assert note.severity == "warning" and "A12345" in note.message


def test_an_unknown_article_with_an_uncovered_diagnosis_is_judged_by_the_state() -> None:
    """The fallback still denies what the state's contractor does not cover (G43.909, A59105): a certain error."""
    result = _build(_chart("f2-unknown-article.json", diagnoses=["G43.909"]))
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "error" and dx.impact_units == -60 and dx.impact_usd == Decimal("-2944.56")
    assert "A59105" in dx.message and "imported list" not in dx.message


def test_naming_a_partial_article_makes_an_unlisted_diagnosis_a_warning() -> None:
    """A57160 lists ITP only: D83.9 (covered by CGS's A56779) is not a certain error when A57160 alone is named."""
    result = _build(_chart("f2-unknown-article.json", payer_contractor="A57160"))
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "warning" and dx.impact_units == -60
    assert "ITP therapy only" in dx.message
    [abn] = _found(result, "PAYER-ABN-MODIFIER")
    assert abn.severity == "warning"
    # the whole jurisdiction (A56779 + A57160) covers it
    assert not _found(_build(_chart("f2-unknown-article.json", payer_contractor="J15")), "DX-NOT-COVERED")


def test_a_code_covered_only_by_an_unconfirmed_group_warns() -> None:
    """Defect 3: Z78.9 (CGS A56779 group 2) with G43.909 in Ohio, Z20.820 (WPS A57554 group 6) in Iowa passed
    silently, though those groups' products (HCPCS) are not in the extract and look like hyperimmune globulin's."""
    for name, code, article in (("f3-z789-oh.json", "Z78.9", "A56779"), ("f3-z20820-ia.json", "Z20.820", "A57554")):
        result = _build(_chart(name))
        assert not _found(result, "DX-NOT-COVERED") and not _found(result, "PAYER-ABN-MODIFIER")
        [note] = _found(result, "DX-COVERAGE-UNCERTAIN")
        assert note.severity == "warning" and note.impact_units is None
        assert code in note.message and article in note.message and "not confirmed" in note.message


def test_a_code_also_in_a_confirmed_group_stays_silent() -> None:
    """Z20.5 is in WPS A57554 group 1 as well as groups 3 and 9; D83.9 in CGS's group 1: no warning."""
    for name, dx in (("f3-z20820-ia.json", ["Z20.5"]), ("f3-z789-oh.json", ["D83.9", "Z78.9"])):
        result = _build(_chart(name, diagnoses=dx))
        assert not {"DX-NOT-COVERED", "DX-COVERAGE-UNCERTAIN"} & {f.edit for f in result.findings}


def test_home_sc_cidp_with_another_product_is_a_warning_naming_the_unread_product_line() -> None:
    """Defect 6: G61.81 at home with Cuvitru (J1555) was a certain error (-100 units, -$1,726.20) saying the article
    does not name the product, though igclaim never read the article's product line for group 6."""
    result = _build(_chart("f6-home-cidp-cuvitru.json"))
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "warning"
    assert dx.impact_units == -100 and dx.impact_usd == Decimal("-1726.20")
    assert "product line was not read" in dx.message
    [abn] = _found(result, "PAYER-ABN-MODIFIER")
    assert abn.severity == "warning" and "verify first" in abn.message


def _modifiers(result: Result, code: str) -> list[list[str]]:
    return [list(ln.modifiers) for ln in result.claim.lines if ln.code == code]


def test_the_built_home_sc_claim_drops_kx_when_the_diagnosis_is_certainly_not_covered() -> None:
    """Defect 7: D69.3 at home with Cuvitru: the built J1555 line kept KX (the coverage criteria are met) while
    PAYER-ABN-MODIFIER said the diagnosis is not covered and to use GZ in its place."""
    result = _build(_chart("f7-home-d693-cuvitru-kx.json"))
    assert _modifiers(result, "J1555") == [["JB", "JZ"]]
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "error" and dx.impact_units == -100 and dx.impact_usd == Decimal("-1726.20")
    [abn] = _found(result, "PAYER-ABN-MODIFIER")
    assert abn.severity == "error" and "add GZ" in abn.message
    assert not _found(result, "PAYER-KX-MODIFIER")
    # nor does the note on the supplier's pump line ask for KX
    [note] = _found(result, "HOME-BILLING-NOTE")
    assert "billed separately by the supplier, with JB;" in note.message


def test_kx_stays_when_covered_or_when_the_verdict_is_uncertain() -> None:
    covered = _build(_chart("f7-home-d693-cuvitru-kx.json", diagnoses=["D83.9"]))
    assert _modifiers(covered, "J1555") == [["JB", "KX", "JZ"]]
    [note] = _found(covered, "HOME-BILLING-NOTE")
    assert "billed separately by the supplier, with JB and KX;" in note.message
    # CIDP with Cuvitru: uncertain (the group's product line was not read), so the biller decides
    assert _modifiers(_build(_chart("f6-home-cidp-cuvitru.json")), "J1555") == [["JB", "KX", "JZ"]]


def test_scrub_a_written_uncovered_diagnosis_tells_to_bill_the_charts_covered_one() -> None:
    """Defect 8: chart D83.9, written claim D80.1 in Kentucky (CGS: D80.1 not listed, D83.9 listed). The message
    said the chart's diagnoses are covered but the fix was the catalog's 'get an ABN'."""
    data = _chart("f2-unknown-article.json", diagnoses=["D83.9"])
    del data["payer"]["contractor"]
    data["billing_provider"]["address"]["state"] = "KY"
    data["claim"] = {"diagnoses": ["D80.1"], "lines": [
        {"line": 1, "code": "J1561", "units": 60, "modifiers": ["JZ"], "diagnosis_pointers": [1]},
        {"line": 2, "code": "96365", "units": 1, "modifiers": [], "diagnosis_pointers": [1]},
        {"line": 3, "code": "96366", "units": 4, "modifiers": [], "diagnosis_pointers": [1]}]}
    result = engine.scrub(parse_encounter(data))
    [dx] = _found(result, "DX-NOT-COVERED")
    assert dx.severity == "error" and dx.impact_units == -60 and dx.impact_usd == Decimal("-2944.56")
    assert "The chart's diagnoses (D83.9) are covered" in dx.message
    assert dx.fix is not None and "ABN" not in dx.fix
    assert dx.fix.startswith("Bill the chart's covered diagnoses (D83.9) in place of D80.1")


def _coverage_cli(*args: str) -> str:
    from typer.testing import CliRunner

    from igclaim.cli import app

    out = CliRunner().invoke(app, ["coverage", *args, "--date", "2026-03-02"])
    assert out.exit_code == 0, out.output
    return out.output


def test_coverage_cli_names_other_articles_and_unbillable_categories() -> None:
    """Defect 9: `coverage D80.1 --state KY` ended 'No bundled or imported contractor article lists D80.1' though
    six articles list it; `coverage D83 --state IL` said 'not covered' for a category that cannot be billed."""
    ky = " ".join(_coverage_cli("D80.1", "--state", "KY").split())
    assert "No bundled or imported contractor article lists" not in ky
    assert "6 other contractor articles list it (A56718, A56786, A57778, A57187, A57554, A59105)" in ky
    il = " ".join(_coverage_cli("D83", "--state", "IL").split())
    assert "not covered" not in il and "not a billable ICD-10-CM code" in il and "D83.9" in il
    assert json.loads(_coverage_cli("D83", "--state", "IL", "--json"))["state"]["status"] == "not_billable"


def test_the_coverage_data_names_each_article_with_its_own_contractor() -> None:
    """Defect 10: mac-articles.toml said "CGS's A56786"; A56786 is Novitas's. Every "<contractor>'s A#####" in the
    file must name the article's contractor in articles.csv."""
    import csv
    import re

    folder = Path(__file__).parents[1] / "src" / "igclaim" / "refdata" / "coverage"
    owner = {r["article_id"]: r["contractor"] for r in csv.DictReader(
        (folder / "mac-articles" / "articles.csv").read_text().splitlines())}
    text = (folder / "mac-articles.toml").read_text()
    named = re.findall(r"(CGS|WPS|Novitas|First Coast|Palmetto|Noridian|National Government Services)(?:'s)? "
                       r"(A\d{5})", text)
    assert named
    assert [(who, a) for who, a in named if not owner[a].startswith(who)] == []


def test_the_default_list_follows_what_every_contractor_article_lists() -> None:
    """Defect 4 (in part): the default list (no contractor known) warned codes all seven A/B MAC articles list as not
    covered (DX-NOT-COVERED, -$2,944.56), and let L12.2 (on no article, not on NCD 250.3's code list) pass silently.
    Both are now DX-COVERAGE-UNCERTAIN warnings (the curation keeps CLL dependent on D80.1)."""
    for code in ("C90.00", "D59.0", "D59.11", "D59.12", "D59.13", "G25.82", "M36.0", "T86.11"):
        result = _build(_chart("f4-default-c9110.json", diagnoses=[code]))
        assert not _found(result, "DX-NOT-COVERED") and not _found(result, "PAYER-ABN-MODIFIER"), code
        [note] = _found(result, "DX-COVERAGE-UNCERTAIN")
        assert note.severity == "warning" and "every A/B MAC immune globulin article" in note.message, code
    for code in ("L12.2", "L12.30"):
        result = _build(_chart("f4-default-l122-commercial.json", diagnoses=[code]))
        assert not _found(result, "DX-NOT-COVERED"), code
        [note] = _found(result, "DX-COVERAGE-UNCERTAIN")
        assert note.severity == "warning" and code in note.message
    # NCD 250.3's own pemphigoid codes stay certain and silent
    assert not _found(_build(_chart("f4-default-l122-commercial.json", diagnoses=["L12.0"])), "DX-COVERAGE-UNCERTAIN")


def test_an_unknown_article_is_told_only_where_a_contractor_list_would_judge() -> None:
    """The note is about Original Medicare's A/B lists: a commercial plan's claim, or a home claim (the DME MAC's
    lists), naming an unknown article id gets no such note."""
    commercial = _build(_chart("f2-unknown-article.json", payer_type="commercial", payer_name="Example Health PPO"))
    assert not [f for f in _found(commercial, "DX-COVERAGE-UNCERTAIN") if "A57194" in f.message]
    home = _build(_chart("f7-home-d693-cuvitru-kx.json", payer_contractor="A12345"))
    assert not [f for f in _found(home, "DX-COVERAGE-UNCERTAIN") if "A12345" in f.message]


def test_without_a_billable_chart_diagnosis_the_fix_is_not_to_bill_the_charts() -> None:
    """The fix that says to bill the chart's covered diagnoses is given only when the chart has covered ones."""
    data = _chart("f2-unknown-article.json", diagnoses=[])
    del data["payer"]["contractor"]
    data["billing_provider"]["address"]["state"] = "KY"
    data["claim"] = {"diagnoses": ["R53.83"], "lines": [
        {"line": 1, "code": "J1561", "units": 60, "modifiers": ["JZ"], "diagnosis_pointers": [1]},
        {"line": 2, "code": "96365", "units": 1, "modifiers": [], "diagnosis_pointers": [1]},
        {"line": 3, "code": "96366", "units": 4, "modifiers": [], "diagnosis_pointers": [1]}]}
    [dx] = _found(engine.scrub(parse_encounter(data)), "DX-NOT-COVERED")
    assert dx.fix is not None and not dx.fix.startswith("Bill the chart's")
