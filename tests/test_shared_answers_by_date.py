"""Answers igclaim remembers and shares (rule snapshots, spans, imported tables' answers), held since an outside
rule-break audit (docs/testing.md, twenty-third session) broke their keys and spans unseen.
Each test runs charts that differ in one respect in one process, in both orders, and asserts each chart's own
answer (the one it gets alone, which is the official rule). Synthetic data only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from igclaim import engine
from igclaim.model import Encounter
from igclaim.refdata import store
from tests.helpers import example_input

FIX = Path(__file__).parent / "fixtures" / "cms"


def _encounter(day: str, lines: list[dict] | None = None, name: str = "e02-gamunex-30g-5h", **changes) -> Encounter:
    data = example_input(name, day)
    data.update(changes)
    if lines is not None:
        data["claim"] = {"lines": [{"line": i, **ln} for i, ln in enumerate(lines, start=1)]}
    return Encounter.model_validate(data)


# --- NCCI PTP: a pair deleted in the middle of its file's quarter ------------------------------------------------

def test_a_ptp_pair_deleted_mid_quarter_binds_the_dates_before_its_deletion_only(home):
    """NCCI PTP rows carry their own effective and deletion dates inside a quarterly file: a pair (96365/36000,
    synthetic) deleted 2026-05-15 still bundles 36000 into 96365 on 2026-05-14 and no longer on 2026-05-20, whichever
    of the two claims of the file's quarter is scrubbed first (an answer kept per interval between the files' dates
    would hand one date the other's)."""
    text = (FIX / "ccipra-v321r0-f1-synthetic.txt").read_text(encoding="cp1252")
    row = "96365\t36000\t\t20100101\t*\t1"
    assert row in text
    path = home.parent / "ccipra-v321r0-f1.txt"
    path.write_text(text.replace(row, "96365\t36000\t\t20100101\t20260515\t1"), encoding="cp1252")
    store.import_file("ptp", path)
    lines = [{"code": "J1561", "units": 60, "modifiers": ["JZ"]}, {"code": "96365", "units": 1},
             {"code": "96366", "units": 4}, {"code": "36000", "units": 1}]

    def bundled(day: str) -> list[int | None]:
        r = engine.scrub(_encounter(day, lines))
        return [f.line for f in r.findings if f.edit == "ADMIN-BUNDLED" and "PTP" in f.message]

    for order in (("2026-05-14", "2026-05-20"), ("2026-05-20", "2026-05-14")):
        store.invalidate()  # fresh tables: nothing of the other order remembered
        got = {day: bundled(day) for day in order}
        assert got == {"2026-05-14": [4], "2026-05-20": []}, order


# --- FDA NDC Directory: a package's own marketing dates ------------------------------------------------------------

def _cuvitru_by_ndc(day: str) -> dict:
    return {"encounter_id": "n1", "date_of_service": day, "setting": "office",
            "payer": {"type": "commercial", "name": "Plan"}, "diagnoses": ["D83.9"],
            "drugs": [{"id": "ig1", "product": "Cuvitru", "route": "SC", "dose": {"grams": 8},
                       "containers": [{"ndc": "0944-2850-09"}]}],
            "administrations": [{"drug_id": "ig1", "start": f"{day}T09:00", "stop": f"{day}T10:00"}]}


def test_an_ndc_directory_package_is_known_only_while_it_is_marketed(home):
    """The imported FDA NDC Directory sizes a container by a package the catalog does not list only while the
    package is marketed (its own STARTMARKETINGDATE..ENDMARKETINGDATE, not its file's dates): a Cuvitru 40 mL package
    (synthetic) marketed until 2026-05-15 is 80 units of J1555 on 2026-05-14 and an unknown package on 2026-05-20,
    whichever chart comes first."""
    from igclaim import parse_encounter
    from igclaim.errors import InputError

    path = home.parent / "package.txt"
    path.write_text(
        "PRODUCTID\tPRODUCTNDC\tNDCPACKAGECODE\tPACKAGEDESCRIPTION\tSTARTMARKETINGDATE\tENDMARKETINGDATE\t"
        "NDC_EXCLUDE_FLAG\tSAMPLE_PACKAGE\n"
        "0944-2850_synthetic-1\t0944-2850\t0944-2850-09\t1 VIAL, GLASS in 1 CARTON (0944-2850-09) > 40 mL in 1 "
        "VIAL, GLASS\t20260101\t20260515\tN\tN\n", encoding="utf-8")
    store.import_file("ndc_directory", path)

    def coded(day: str) -> object:
        try:
            r = engine.build(parse_encounter(_cuvitru_by_ndc(day)))
        except InputError as exc:
            return (exc.path, exc.message)
        return [(ln.code, ln.units) for ln in r.claim.lines if ln.code.startswith("J")]

    for order in (("2026-05-14", "2026-05-20"), ("2026-05-20", "2026-05-14")):
        store.invalidate()
        got = {day: coded(day) for day in order}
        assert got == {"2026-05-14": [("J1555", 80)],
                       "2026-05-20": ("drugs[0].containers[0].ndc",
                                      "NDC 0944-2850-09 is not a known package: give grams or ml")}, order


# --- a fee schedule that starts in the middle of a quarter ------------------------------------------------------

def test_a_fee_schedule_starting_mid_quarter_prices_only_the_claims_from_its_first_day(home, tmp_path):
    """A plan's contract fee schedule (synthetic) in force from 2026-05-01: a claim of 2026-04-30 has no price for
    96365/96366, one of 2026-05-14 is priced by it, whichever comes first (an imported file's first day bounds the
    spans whose answers are shared: a span drawn over it would hand April the May price, or May the April none)."""
    from igclaim import parse_encounter
    from igclaim.refdata.importers import Options

    schedule = tmp_path / "fees-acme.csv"
    schedule.write_text("code,amount\n96365,150.00\n96366,40.00\n", encoding="utf-8")
    store.import_file("fees", schedule, Options(effective=date(2026, 5, 1), ends=date(2026, 12, 31), schedule="acme"))

    def priced(day: str) -> list[tuple[str, str | None]]:
        data = example_input("e02-gamunex-30g-5h", day)
        data["payer"] = {"type": "commercial", "name": "Acme"}
        r = engine.build(parse_encounter(data))
        return [(ln.code, None if ln.expected_payment is None else str(ln.expected_payment))
                for ln in r.claim.lines if ln.code.startswith("96")]

    for order in (("2026-04-30", "2026-05-14"), ("2026-05-14", "2026-04-30")):
        store.invalidate()
        got = {day: priced(day) for day in order}
        assert got == {"2026-04-30": [("96365", None), ("96366", None)],
                       "2026-05-14": [("96365", "150.00"), ("96366", "160.00")]}, order


# --- a coverage verdict names the claim's own diagnoses in the claim's own order -------------------------------

def _novitas(dx: list[str]) -> dict:
    return {"encounter_id": "d1", "date_of_service": "2026-03-02", "setting": "office",
            "payer": {"type": "medicare", "name": "Medicare Part B", "contractor": "JH"}, "diagnoses": dx,
            "drugs": [{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
                       "containers": [{"grams": 10, "count": 3}]}],
            "administrations": [{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T14:00"}]}


def test_a_coverage_verdict_lists_each_claims_diagnoses_in_its_own_order():
    """Two claims of one date and contractor (Novitas JH, A56786) list the same two uncovered diagnoses in opposite
    orders (the first is the principal one): each DX-NOT-COVERED names them in its own claim's order, whichever
    claim is built first (a verdict remembered by the set of codes would name the other claim's order)."""
    from igclaim import parse_encounter
    from igclaim.refdata.resolver import reference

    def said(dx: list[str]) -> list[str]:
        r = engine.build(parse_encounter(_novitas(dx)))
        return [f.message.split(" is covered")[0] for f in r.findings if f.edit == "DX-NOT-COVERED"]

    first, second = ["G43.909", "M62.81"], ["M62.81", "G43.909"]
    for order in ((first, second), (second, first)):
        ref = reference()
        profile = engine.resolve_profile(parse_encounter(_novitas(first)), ref)
        ref.at(date(2026, 3, 2), profile).alike.clear()  # nothing of the other order remembered
        got = {tuple(dx): said(dx) for dx in order}
        assert got == {tuple(first): ["No diagnosis on the claim (G43.909, M62.81)"],
                       tuple(second): ["No diagnosis on the claim (M62.81, G43.909)"]}, order


# --- one claim whose lines fall on two dates: each date's own PTP edits -------------------------------------------

def test_each_date_of_a_claim_is_checked_against_its_own_ptp_edits(home):
    """IVIG given over consecutive days is billed on one claim with a service date per line. The Q2 2026 NCCI file
    (synthetic: 96365/36000, modifier indicator 1) binds the lines of 2026-04-01 and not those of 2026-03-31, which
    no imported file covers, whichever date's lines the claim lists first."""
    store.import_file("ptp", FIX / "ccipra-v321r0-f1-synthetic.txt")

    def bundled(days: list[str]) -> list[tuple[int | None, str]]:
        lines = [{"code": "J1561", "units": 60, "modifiers": ["JZ"]}]
        for day in days:
            lines += [{"code": "96365", "units": 1, "service_date": day},
                      {"code": "36000", "units": 1, "service_date": day}]
        r = engine.scrub(_encounter("2026-03-31", lines))
        return [(f.line, f.message.split(" in the")[0]) for f in r.findings
                if f.edit == "ADMIN-BUNDLED" and "PTP" in f.message]

    assert bundled(["2026-03-31", "2026-04-01"]) == [(5, "Line 5: 36000 is column 2 to 96365 (line 4)")]
    assert bundled(["2026-04-01", "2026-03-31"]) == [(3, "Line 3: 36000 is column 2 to 96365 (line 2)")]
