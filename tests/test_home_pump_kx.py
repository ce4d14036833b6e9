"""Medicare home SC immune globulin given by pump: KX (the External Infusion Pumps LCD's criteria are met), GA or GZ
on the drug and pump lines from dates of service 2023-01-01, KX never beside GA/GZ/GY. Source: Noridian JA DME,
"2023 Modifier Usage for the External Infusion Pumps (EIP) Policy": claims for external infusion pumps, drugs and
supplies without KX, GA or GZ (a "from" date of service on or after 2023-01-01) are rejected for missing information;
until then only insulin and its pump needed them."""

from __future__ import annotations

from tests.test_edits_support import build, built_claim, chart, ids, only, scrub

HIZENTRA_CIDP = {"id": "ig1", "product": "Hizentra", "route": "SC", "dose": {"grams": 10},
                 "containers": [{"grams": 10, "count": 1}]}
CUVITRU_CIDP = {"id": "ig1", "product": "Cuvitru", "route": "SC", "dose": {"grams": 10},
                "containers": [{"grams": 10, "count": 1}]}  # not named for CIDP in A52507 group 6


def home_sc(dos: str = "2026-03-02", drug: dict = HIZENTRA_CIDP, **changes) -> dict:
    return chart(**{"setting": "home", "date_of_service": dos, "diagnoses": ["G61.81"], "drugs": [drug],
                    "administrations": [{"drug_id": "ig1", "start": f"{dos}T09:00", "stop": f"{dos}T10:30"}],
                    **changes})


def drug_modifiers(enc: dict) -> list[list[str]]:
    return [ln["modifiers"] for ln in built_claim(enc)["lines"] if ln["code"].startswith("J")]


def test_kx_is_coded_from_2023_01_01_and_not_before():
    assert drug_modifiers(home_sc("2023-01-01")) == [["JB", "KX"]]  # JZ on a dispensed drug from 2024-01-01
    assert drug_modifiers(home_sc("2022-12-31")) == [["JB"]]
    assert drug_modifiers(home_sc("2026-03-02")) == [["JB", "KX", "JZ"]]


def test_kx_goes_on_the_line_of_everything_dispensed():
    """What the patient leaves of a dispensed drug is billed on the line (test_home_dispensed.py), with KX."""
    wasted = dict(HIZENTRA_CIDP, dose={"grams": 9})
    assert drug_modifiers(home_sc(drug=wasted)) == [["JB", "KX", "JZ"]]


def test_the_pump_note_names_kx_only_when_it_is_required():
    note = only(build(home_sc()), "HOME-BILLING-NOTE").message
    assert "E0779" in note and "with JB and KX;" in note
    assert "with JB;" in only(build(home_sc("2022-12-31")), "HOME-BILLING-NOTE").message


def test_no_kx_outside_original_medicare_home_pump_claims():
    office = chart(diagnoses=["G61.81"], drugs=[HIZENTRA_CIDP],
                   administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T10:30"}])
    assert all("KX" not in m for m in drug_modifiers(office))
    advantage = home_sc(payer={"type": "medicare_advantage", "name": "MA plan",
                               "prior_authorization": {"number": "PA1"}})
    assert all("KX" not in m for m in drug_modifiers(advantage))
    home_iv = chart(setting="home")  # IVIG at home: Q2052, no pump
    assert all("KX" not in ln["modifiers"] for ln in built_claim(home_iv)["lines"])


def test_the_correct_claim_is_clean():
    r = scrub(home_sc())
    assert not ids(r) & {"PAYER-KX-MODIFIER", "DRUG-ROUTE-MODIFIER", "PAYER-ABN-MODIFIER"}
    assert not ids(r, "error")


def _drop_kx(c: dict) -> None:
    c["lines"][0]["modifiers"].remove("KX")


def test_a_drug_line_without_kx_ga_or_gz_is_rejected_from_2023():
    f = only(scrub(home_sc(), _drop_kx), "PAYER-KX-MODIFIER")
    assert f.severity == "error" and f.line == 1 and "none of KX, GA or GZ" in f.message
    assert f.fix.startswith("Add KX to line 1")
    # The day before: nothing is coded or required.
    assert "PAYER-KX-MODIFIER" not in ids(scrub(home_sc("2022-12-31")))
    assert "PAYER-KX-MODIFIER" not in ids(scrub(home_sc("2022-12-31"), lambda c: c["lines"][0]["modifiers"].append(
        "GZ")))


def test_the_pump_line_is_checked_too_but_not_on_an_iv_claim():
    pump = {"line": 9, "code": "E0779", "modifiers": ["JB"], "units": 1, "diagnosis_pointers": [1]}
    r = scrub(home_sc(), lambda c: c["lines"].append(dict(pump)))
    assert only(r, "PAYER-KX-MODIFIER").line == 9
    assert "PAYER-KX-MODIFIER" not in ids(scrub(home_sc(), lambda c: c["lines"].append(
        dict(pump, modifiers=["JB", "KX"]))))
    iv = scrub(chart(setting="home"), lambda c: c["lines"].append(dict(pump)))
    assert "PAYER-KX-MODIFIER" not in ids(iv) and "HOME-SUPPLY-CODE" in ids(iv)


def test_kx_beside_a_liability_modifier_contradicts_it():
    for liability in ("GZ", "GA", "GY"):
        f = only(scrub(home_sc(), lambda c, m=liability: c["lines"][0]["modifiers"].append(m)), "PAYER-KX-MODIFIER")
        assert f.severity == "error" and f"beside {liability}" in f.message and f.line == 1


def test_ga_or_gz_alone_satisfies_the_pump_rule():
    def gz_for_kx(c: dict) -> None:
        mods = c["lines"][0]["modifiers"]
        mods[mods.index("KX")] = "GZ"

    assert "PAYER-KX-MODIFIER" not in ids(scrub(home_sc(), gz_for_kx))


def test_not_covered_the_liability_modifier_replaces_kx():
    built = build(home_sc(drug=CUVITRU_CIDP))
    assert "in place of KX" in only(built, "PAYER-ABN-MODIFIER").message
    r = scrub(home_sc(drug=CUVITRU_CIDP))  # the claim as built: KX, while a denial is expected
    f = only(r, "PAYER-ABN-MODIFIER")
    assert f.fix == "Replace KX with GZ on line 1." and "not KX" in f.message
    assert "PAYER-KX-MODIFIER" not in ids(r)  # one finding for one mistake

    def gz_for_kx(c: dict) -> None:
        mods = c["lines"][0]["modifiers"]
        mods[mods.index("KX")] = "GZ"

    r = scrub(home_sc(drug=CUVITRU_CIDP), gz_for_kx)
    assert not ids(r) & {"PAYER-ABN-MODIFIER", "PAYER-KX-MODIFIER", "DRUG-ROUTE-MODIFIER"}
    r = scrub(home_sc(drug=CUVITRU_CIDP), _drop_kx)  # none at all: the ABN edit names GZ, this one stays quiet
    assert only(r, "PAYER-ABN-MODIFIER").fix == "Add GZ to line 1."
    assert "PAYER-KX-MODIFIER" not in ids(r)


def _kx_check_called_anyway(enc: dict) -> list:
    """PAYER-KX-MODIFIER's check called directly, as if its `When` had let it run (its own guard is its first test)."""
    from igclaim import engine
    from igclaim.coding.claim import code_chart
    from igclaim.edits.context import EditContext
    from igclaim.edits.payer import kx_written
    from igclaim.inputs import parse_encounter
    from igclaim.refdata.resolver import reference

    engine._load_edit_families()
    chart = parse_encounter(enc)
    rules = reference().at(chart.date_of_service, engine.resolve_profile(chart, reference()))
    return kx_written(EditContext(code_chart(chart, rules), reference(), chart.claim))


def test_the_check_guards_itself_outside_original_medicare_home_pump_claims():
    written = {"lines": [{"line": 1, "code": "J1559", "modifiers": ["JB", "JZ"], "units": 100,
                          "diagnosis_pointers": [1]}]}
    assert len(_kx_check_called_anyway(home_sc(claim=written))) == 1
    advantage = {"type": "medicare_advantage", "name": "MA plan", "prior_authorization": {"number": "PA1"}}
    assert _kx_check_called_anyway(home_sc(claim=written, payer=advantage)) == []  # home_rules: professional
    office = home_sc(claim=written, setting="office")
    assert _kx_check_called_anyway(office) == []
    assert _kx_check_called_anyway(home_sc("2022-12-31", claim=written)) == []  # not yet required


def test_only_the_immune_globulins_lines_and_the_pump_in_line_order():
    """A premedication is not part of the DME claim (HOME-BILLING-NOTE), whatever its route; the findings come in
    line order when the pump is written first."""
    premed = {"id": "p1", "hcpcs": "J1200", "units": 1, "route": "SC"}
    r = scrub(home_sc(drugs=[HIZENTRA_CIDP, premed]), lambda c: c["lines"].append(
        {"line": 2, "code": "J1200", "modifiers": [], "units": 1, "diagnosis_pointers": [1]}))
    assert "PAYER-KX-MODIFIER" not in ids(r)

    def pump_first_without_kx(c: dict) -> None:
        _drop_kx(c)
        c["lines"][0]["line"] = 2
        c["lines"].insert(0, {"line": 1, "code": "E0779", "modifiers": ["JB"], "units": 1, "diagnosis_pointers": [1]})

    r = scrub(home_sc(), pump_first_without_kx)
    assert [f.line for f in r.findings if f.edit == "PAYER-KX-MODIFIER"] == [1, 2]


def test_under_a_list_that_does_not_bind_the_payer_the_missing_modifier_is_still_an_error(tmp_path):
    """A profile's own home list of kind "default" does not bind the payer: PAYER-ABN-MODIFIER only asks to verify,
    so a line with none of KX, GA, GZ is this check's error (the DME MAC rejects it whatever the coverage)."""
    (tmp_path / "home-list.toml").write_text('[policy]\nname = "home-list"\ntitle = "A home list"\nkind = "default"\n'
                                             'source = "https://example.org/home"\n\n[[indication]]\nname = "CVID"\n'
                                             'codes = ["D83.9"]\n', encoding="utf-8")
    (tmp_path / "mine.toml").write_text(
        '[profile]\nname = "mine"\ntitle = "Mine"\npayer_types = []\noriginal_medicare = true\n'
        'extends = "medicare-part-b"\n\n[parameters.home_coverage_policy]\nlabel = "c"\nsource = "s"\n'
        'values = { "2000-01-01" = "home-list.toml" }\n', encoding="utf-8")
    mine = home_sc(payer={"type": "medicare", "profile": str(tmp_path / "mine.toml")})
    r = scrub(mine, _drop_kx)
    assert only(r, "PAYER-ABN-MODIFIER").severity == "warning"
    assert only(r, "PAYER-KX-MODIFIER").severity == "error"


def test_the_route_modifier_check_asks_for_jb_not_kx():
    """DRUG-ROUTE-MODIFIER names the route modifier the line lacks; KX is this family's (before, it asked for every
    modifier coded on the line but JW/JZ, so a correct GZ line was told it 'needs KX')."""
    f = only(scrub(home_sc(), lambda c: c["lines"][0]["modifiers"].remove("JB")), "DRUG-ROUTE-MODIFIER")
    assert f.message == "Line 1: J1559 given SC needs JB for Original Medicare Part B." and f.fix == "Add JB to line 1."
    assert "DRUG-ROUTE-MODIFIER" not in ids(scrub(home_sc(), _drop_kx))


def _alone(lines: list[dict], dos: str = "2026-03-02", setting: str = "home", payer: dict | None = None):
    """An 837's claim scrubbed without its chart (engine.scrub_without_chart)."""
    from decimal import Decimal

    from igclaim import engine
    from igclaim.model import Claim, Payer
    from igclaim.readers.x12 import WrittenClaim

    written = Claim.model_validate({"form": "CMS-1500", "place_of_service": "12" if setting == "home" else "11",
                                    "diagnoses": ["D83.9"],
                                    "lines": [{"line": i + 1, **ln} for i, ln in enumerate(lines)]})
    wc = WrittenClaim(claim_id="C1", transaction="837P", guide="005010X222A1", position=1, date_of_service=dos,
                      setting=setting, payer=Payer.model_validate(payer or {"type": "medicare", "name": "Medicare"}),
                      claim=written, total_charge=Decimal(0), line_charges=[Decimal(0)] * len(lines))
    return engine.scrub_without_chart(wc)


def test_an_837_alone_is_checked_by_the_codes_route_or_jb():
    """Without the chart, J1559 (Hizentra: SC only) is a pump line by its code; J1561 (IV or SC) only with JB."""
    sc_only = {"code": "J1559", "modifiers": ["JB", "JZ"], "units": 100}
    assert [f.line for f in _alone([sc_only]).findings if f.edit == "PAYER-KX-MODIFIER"] == [1]
    assert "PAYER-KX-MODIFIER" not in ids(_alone([dict(sc_only, modifiers=["JB", "KX", "JZ"])]))
    # J1559 without JB is still given SC (its code says so); another drug's line with JB is not the pump's drug.
    other = {"code": "J3490", "modifiers": ["JB"], "units": 1}
    assert [f.line for f in _alone([dict(sc_only, modifiers=["JZ"]), other]).findings
            if f.edit == "PAYER-KX-MODIFIER"] == [1]
    assert "PAYER-KX-MODIFIER" not in ids(_alone([dict(sc_only, modifiers=["JZ"])], dos="2022-12-31"))
    both_routes = {"code": "J1561", "modifiers": ["JZ"], "units": 20}
    assert "PAYER-KX-MODIFIER" not in ids(_alone([both_routes]))  # given IV: Q2052's claim, not a pump's
    assert [f.line for f in _alone([both_routes, dict(both_routes, modifiers=["JB", "JZ"]),
                                    {"code": "E0779", "modifiers": ["JB"], "units": 1}]).findings
            if f.edit == "PAYER-KX-MODIFIER"] == [2, 3]
    f = only(_alone([dict(sc_only, modifiers=["JB", "KX", "GZ"])]), "PAYER-KX-MODIFIER")
    assert "beside GZ" in f.message
    office = _alone([sc_only], setting="office")
    advantage = _alone([sc_only], payer={"type": "medicare_advantage", "name": "MA plan"})
    assert "PAYER-KX-MODIFIER" not in ids(office) | ids(advantage)


def test_the_findings_say_what_is_wrong_and_the_fix_line_by_line():
    """The drug line and the pump's line, each named; the conflict names every liability modifier beside KX."""
    def no_kx_anywhere(c: dict) -> None:
        c["lines"].append({"line": 2, "code": "E0779", "modifiers": ["JB", "KX"], "units": 1,
                           "diagnosis_pointers": [1]})
        for ln in c["lines"]:
            ln["modifiers"].remove("KX")

    r = scrub(home_sc(), no_kx_anywhere)
    found = [(f.line, f.message, f.fix) for f in r.findings if f.edit == "PAYER-KX-MODIFIER"]
    assert [line for line, _, _ in found] == [1, 2]
    assert found[0] == (1, "Line 1 (J1559): none of KX, GA or GZ: the DME MACs reject a pump's drug and supply "
                           "lines without one as missing information.",
                        "Add KX to line 1 when every criterion of the External Infusion Pumps LCD (L33794) is met "
                        "and documented; otherwise GA (signed ABN) or GZ (none).")
    assert found[1][1].startswith("Line 2 (E0779): none of KX, GA or GZ")
    f = only(scrub(home_sc(), lambda c: c["lines"][0]["modifiers"].extend(["GA", "GZ"])), "PAYER-KX-MODIFIER")
    assert (f.message, f.fix) == ("Line 1: KX (the coverage criteria are met) beside GA, GZ (a denial is expected): "
                                  "the two contradict each other.",
                                  "Keep KX alone when every criterion of the LCD is met and documented, else GA, GZ "
                                  "alone, on line 1.")


def test_a_line_the_abn_edit_speaks_for_does_not_end_the_check():
    """Not covered (Cuvitru for CIDP): line 1 without any modifier is PAYER-ABN-MODIFIER's; the pump after it, with
    KX beside GZ, is still this check's."""
    def pump_with_kx_and_gz(c: dict) -> None:
        _drop_kx(c)
        c["lines"].append({"line": 2, "code": "E0779", "modifiers": ["JB", "KX", "GZ"], "units": 1,
                           "diagnosis_pointers": [1]})

    r = scrub(home_sc(drug=CUVITRU_CIDP), pump_with_kx_and_gz)
    assert [f.line for f in r.findings if f.edit == "PAYER-KX-MODIFIER"] == [2]


# --- JB on the pump's line: the DME MACs bill home SCIG as the drug and the pump E0779, each with JB (A52507;
# reference.md §1 and §5). Found missing by an outside rule-break audit (2026-12-05).

PUMP_JB = ("Line 2: E0779 (the infusion pump of the SC immune globulin) needs JB on a Medicare home (DME MAC) claim, "
           "as the drug's lines do.")
A52507 = "https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId=52507"


def _with_pump(*modifiers: str):
    def add(c: dict) -> None:
        c["lines"].append({"line": len(c["lines"]) + 1, "code": "E0779", "modifiers": list(modifiers), "units": 1,
                           "diagnosis_pointers": [1]})
    return add


def test_the_pump_line_needs_jb_as_the_drug_does():
    f = only(scrub(home_sc(), _with_pump("KX")), "DRUG-ROUTE-MODIFIER")
    assert (f.message, f.fix, f.line, f.severity, f.source) == (PUMP_JB, "Add JB to line 2.", 2, "error", A52507)
    for written in (("JB", "KX"), (" jb ", "KX")):  # read as a person typed it
        assert "DRUG-ROUTE-MODIFIER" not in ids(scrub(home_sc(), _with_pump(*written)))


def test_the_pump_line_needs_jb_on_an_837_alone():
    sc_only = {"code": "J1559", "modifiers": ["JB", "KX", "JZ"], "units": 100}
    pump = {"code": "E0779", "modifiers": ["KX"], "units": 1}
    f = only(_alone([sc_only, pump]), "DRUG-ROUTE-MODIFIER")
    assert (f.message, f.line, f.source) == (PUMP_JB, 2, A52507)
    assert "DRUG-ROUTE-MODIFIER" not in ids(_alone([sc_only, dict(pump, modifiers=["JB", "KX"])]))
    # A claim of no SC immune globulin (J1561 given IV) is not a pump claim: E0779 there is HOME-SUPPLY-CODE's.
    assert "DRUG-ROUTE-MODIFIER" not in ids(_alone([{"code": "J1561", "modifiers": ["JZ"], "units": 20}, pump]))
    # Not a DME MAC claim: an office's, a Medicare Advantage plan's.
    assert "DRUG-ROUTE-MODIFIER" not in ids(_alone([sc_only, pump], setting="office"))
    assert "DRUG-ROUTE-MODIFIER" not in ids(_alone([sc_only, pump], payer={"type": "medicare_advantage",
                                                                           "name": "MA plan"}))


def test_a_pump_on_an_ivig_claim_or_another_payers_is_not_judged_for_jb():
    ivig = chart(setting="home", date_of_service="2026-03-02",
                 administrations=[{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T13:00"}])
    assert "DRUG-ROUTE-MODIFIER" not in ids(scrub(ivig, _with_pump("KX")))
    plan = home_sc(payer={"type": "commercial", "name": "Plan", "prior_authorization": {"number": "P"}})
    assert "DRUG-ROUTE-MODIFIER" not in ids(scrub(plan, _with_pump()))


def test_a_pump_line_billed_with_an_uncovered_diagnosis_the_chart_does_not_have_still_needs_kx():
    """Audit 7: the claim bills a diagnosis off the DME MAC's list where the chart's (G61.81, Hizentra) is covered:
    the line without KX was left to PAYER-ABN-MODIFIER, which no longer asks for GZ there (bill the chart's
    diagnosis): KX, GA or GZ must still be asked for."""
    r = scrub(home_sc(), lambda c: (_drop_kx(c), c.update(diagnoses=["D80.1"])))
    assert "DX-NOT-COVERED" in ids(r) and "PAYER-ABN-MODIFIER" not in ids(r)
    assert "none of KX, GA or GZ" in only(r, "PAYER-KX-MODIFIER").message
