"""Diagnosis pointers of the written claim (CMS-1500 item 24E, 837P SV107): a pointer past the claim's diagnoses,
more pointers than a line holds, or none on a line while others carry theirs (CLAIM-POINTER-INVALID), and a line
that points only at diagnoses that do not cover its immune globulin while another diagnosis on the claim does
(DX-POINTER-NOT-COVERED). The UB-04/837I carries no line pointers: neither edit applies to it."""

from __future__ import annotations

from igclaim.outputs import chargemaster, x12
from igclaim.refdata.resolver import reference
from tests.test_edits_support import chart, ids, scrub
from tests.test_scrub_837 import ENVELOPE, edits, enc_of, scrub_text

# Fatigue (not a reason for immune globulin on any list) first, the immunodeficiency second.
FATIGUE_FIRST = chart(diagnoses=["R53.83", "D83.9"])
FIVE_DX = chart(diagnoses=["D83.9", "R53.83", "E55.9", "I10", "J45.909"])


def point(pointers: dict[int, list[int]] | list[int]):
    """A change for `scrub`: the written lines' pointers (all lines, or by line number)."""
    def change(claim: dict) -> None:
        for ln in claim["lines"]:
            if isinstance(pointers, list):
                ln["diagnosis_pointers"] = list(pointers)
            elif ln["line"] in pointers:
                ln["diagnosis_pointers"] = list(pointers[ln["line"]])
    return change


def of(result, edit: str):
    return [f for f in result.findings if f.edit == edit]


def test_pointer_equal_to_the_number_of_diagnoses_is_fine_one_more_is_an_error_on_that_line():
    assert "CLAIM-POINTER-INVALID" not in ids(scrub(FATIGUE_FIRST, point({1: [2, 1]})))
    r = scrub(FATIGUE_FIRST, point({1: [3, 2]}))
    [f] = of(r, "CLAIM-POINTER-INVALID")
    assert (f.severity, f.line) == ("error", 1)
    assert "pointer 3" in f.message and "2 diagnoses" in f.message
    assert f.impact_units == -60  # the J1561 line's 60 units are not paid on a rejected claim
    assert "line 1" in (f.fix or "").lower()


def test_a_written_claim_listing_one_diagnosis_is_checked_with_its_own_list():
    """The chart lists two diagnoses, the written claim one: pointer 2 names nothing on the claim as written."""
    def one_dx(claim: dict) -> None:
        claim["diagnoses"] = ["D83.9"]
        point([1])(claim)
        claim["lines"][1]["diagnosis_pointers"] = [2]
    r = scrub(FATIGUE_FIRST, one_dx)
    assert [(f.line, f.severity) for f in of(r, "CLAIM-POINTER-INVALID")] == [(2, "error")]


def test_four_pointers_are_fine_five_are_an_error_quoting_the_settings_limit():
    most = reference().setting("office")["diagnosis_pointers_per_line"]
    assert "CLAIM-POINTER-INVALID" not in ids(scrub(FIVE_DX, point(list(range(1, most + 1)))))
    r = scrub(FIVE_DX, point({2: list(range(1, most + 2))}))
    [f] = of(r, "CLAIM-POINTER-INVALID")
    assert (f.severity, f.line) == ("error", 2)
    assert f"at most {most}" in f.message


def test_the_ub04_carries_no_line_pointers():
    """The same pointer past the diagnoses is an error on the office claim and nothing on a hospital UB-04, with
    pointers or without them."""
    assert "CLAIM-POINTER-INVALID" in ids(scrub(chart(), point([2])))
    hospital = chart(setting="hospital_outpatient")
    for pointers in ([2], [], [1, 2, 3, 4, 5]):
        r = scrub(hospital, point(pointers))
        assert not {"CLAIM-POINTER-INVALID", "DX-POINTER-NOT-COVERED"} & ids(r), r.findings
    r = scrub(chart(setting="hospital_outpatient", diagnoses=["R53.83", "D83.9"]), point([1]))
    assert "DX-POINTER-NOT-COVERED" not in ids(r)
    # a written claim that names no form goes out on the setting's: the UB-04, without line pointers
    r = scrub(hospital, lambda c: (c.pop("form", None), point([2])(c)))
    assert not {"CLAIM-POINTER-INVALID", "DX-POINTER-NOT-COVERED"} & ids(r), r.findings


def test_lines_pointing_only_at_an_uncovered_diagnosis_are_at_risk():
    r = scrub(FATIGUE_FIRST, point([1]))
    found = of(r, "DX-POINTER-NOT-COVERED")
    assert [f.line for f in found] == [1, 2, 3]  # J1561, 96365, 96366
    drug = found[0]
    # The bundled default list binds no payer: a warning, and the message says why.
    assert drug.severity == "warning" and "warning" in drug.message and "R53.83" in drug.message
    assert drug.fix == "Point line 1 at D83.9 (pointer 2), listed first."
    assert drug.impact_units == -60
    assert "DX-NOT-COVERED" not in ids(r)  # the claim's diagnoses as a whole are covered


def test_a_line_pointing_at_the_covered_diagnosis_is_fine():
    # near misses: the covered diagnosis among the pointers, or alone, or no pointers given at all
    for pointers in ([1, 2], [2], [2, 1], []):
        assert "DX-POINTER-NOT-COVERED" not in ids(scrub(FATIGUE_FIRST, point(pointers))), pointers
    # one line wrong, the others right: only that line
    r = scrub(FATIGUE_FIRST, point({1: [2], 2: [1], 3: [2]}))
    assert [f.line for f in of(r, "DX-POINTER-NOT-COVERED")] == [2]


def test_no_covered_diagnosis_on_the_claim_is_dx_not_covered_alone():
    """Pointing elsewhere cannot help when no diagnosis on the claim is covered: DX-NOT-COVERED says it, once."""
    r = scrub(FATIGUE_FIRST, lambda c: (c.update(diagnoses=["R53.83"]), point([1])(c)))
    assert "DX-NOT-COVERED" in ids(r)
    assert "DX-POINTER-NOT-COVERED" not in ids(r)
    assert "DX-POINTER-NOT-COVERED" in ids(scrub(FATIGUE_FIRST, point([1])))


def test_a_binding_official_list_makes_the_drug_line_an_error():
    """Medicare home IVIG covers primary immunodeficiency only (D80.0 yes, D80.1 no): the J-code line that points
    only at D80.1 is denied."""
    home = chart(setting="home", diagnoses=["D80.1", "D80.0"])
    assert "DX-POINTER-NOT-COVERED" not in ids(scrub(home, point([2])))
    r = scrub(home, point([1]))
    drug = next(f for f in of(r, "DX-POINTER-NOT-COVERED") if f.line == 1)
    assert drug.severity == "error" and "D80.0" in (drug.fix or "")


def test_an_837_read_without_its_chart_is_checked_too():
    text = x12.to_837(enc_of("office-gamunex-jz"), chargemaster.load("sample"), envelope=ENVELOPE)
    assert "UN*60***1~" in text and "HI*ABK:D839~" in text
    [clean] = scrub_text(text)
    [item] = scrub_text(text.replace("UN*60***1~", "UN*60***2~"))
    assert "CLAIM-POINTER-INVALID" not in edits(clean)
    assert edits(item).get("CLAIM-POINTER-INVALID") == "error", item.result.findings


def test_a_contractors_article_makes_only_the_drug_line_an_error():
    """First Coast (JN) does not list M33.10 for immune globulin (its article binds the payer): the J-code line that
    points only at it is an error; the administration lines stay warnings (payers differ in checking them)."""
    r = scrub(chart(diagnoses=["M33.10", "D83.9"], payer={"type": "medicare", "contractor": "JN"}), point([1]))
    assert [(f.line, f.severity) for f in of(r, "DX-POINTER-NOT-COVERED")] == [(1, "error"), (2, "warning"),
                                                                               (3, "warning")]


def test_no_diagnosis_at_all_is_dx_missing_not_a_pointer_error():
    r = scrub(chart(diagnoses=[]), lambda c: (c.update(diagnoses=[]), point([1])(c)))
    assert "DX-MISSING" in ids(r) and "CLAIM-POINTER-INVALID" not in ids(r)


def test_a_line_without_pointers_among_lines_with_them_is_an_error_on_that_line():
    """837P SV107 is required on every professional line (the 837 reader refuses one without it); a written claim
    whose other lines carry pointers while one carries none would go out without it. A claim that gives no pointer
    on any line is not judged (the JSON claim may leave them out)."""
    assert "CLAIM-POINTER-INVALID" not in ids(scrub(FATIGUE_FIRST, point([])))
    assert "CLAIM-POINTER-INVALID" not in ids(scrub(FATIGUE_FIRST, point([2])))
    r = scrub(FATIGUE_FIRST, point({1: [2], 2: [], 3: [2]}))
    [f] = of(r, "CLAIM-POINTER-INVALID")
    assert (f.severity, f.line, f.impact_units) == ("error", 2, -1)
    assert f.message == ("Line 2: no diagnosis pointer, while lines 1, 3 carry them. Each CMS-1500/837P service line "
                         "points at 1 to 4 of the claim's diagnoses (item 24E, SV107); a line without one makes the "
                         "claim unprocessable.")
    assert f.fix == "Point line 2 at the diagnoses it treats (1 to 2 here), the primary first."
    r = scrub(FATIGUE_FIRST, point({1: [], 2: [], 3: [2]}))
    assert [(f.line, f.impact_units) for f in of(r, "CLAIM-POINTER-INVALID")] == [(1, -60), (2, -1)]
    assert "while line 3 carries them" in of(r, "CLAIM-POINTER-INVALID")[0].message
    hospital = chart(setting="hospital_outpatient")
    assert "CLAIM-POINTER-INVALID" not in ids(scrub(hospital, point({1: [1], 2: []})))


def test_each_pointer_finding_word_for_word_with_its_units_at_stake():
    """The messages name the pointers past the list and the claim's diagnoses (one, or several); a line with too
    many pointers puts its units at stake, unless its pointer past the list already did (one line, one loss)."""
    def one_dx(claim: dict) -> None:
        claim["diagnoses"] = ["D83.9"]
        point({1: [1], 2: [2], 3: [1]})(claim)
    [f] = of(scrub(FATIGUE_FIRST, one_dx), "CLAIM-POINTER-INVALID")
    assert f.message == ("Line 2: diagnosis pointer 2 names no diagnosis; the claim lists 1 diagnosis (D83.9). A "
                         "pointer to no diagnosis makes the claim unprocessable.")
    assert f.fix == "Point line 2 at the claim's diagnoses 1 to 1 only, or add the diagnosis it meant to the claim."
    [f] = of(scrub(FATIGUE_FIRST, point({1: [2], 2: [3, 4], 3: [2]})), "CLAIM-POINTER-INVALID")
    assert f.message.startswith("Line 2: diagnosis pointer 3, 4 names no diagnosis; the claim lists 2 diagnoses "
                                "(R53.83, D83.9).")
    assert f.impact_units == -1
    many = scrub(FIVE_DX, point({1: [1], 2: [1, 2, 3, 4, 5], 3: [1]}))
    [f] = of(many, "CLAIM-POINTER-INVALID")
    assert (f.line, f.impact_units) == (2, -1)
    assert f.message == "Line 2: 5 diagnosis pointers; a service line holds at most 4 (CMS-1500 item 24E, 837P SV107)."
    assert f.fix == "Keep at most 4 pointers on line 2, the primary diagnosis first."
    both = scrub(FIVE_DX, point({1: [1], 2: [1, 2, 3, 4, 6], 3: [1]}))
    assert [(f.line, f.impact_units) for f in of(both, "CLAIM-POINTER-INVALID")] == [(2, -1), (2, None)]


def _plan_list(tmp_path) -> dict:
    """A commercial plan's own list, given as a default (not official) list with severity error: it does not bind
    the payer as a contractor's article does. CIDP for Privigen only, CVID for Gamunex-C only."""
    (tmp_path / "plan-ig.toml").write_text(
        '[policy]\nname = "plan-ig"\ntitle = "Plan IG list"\nkind = "default"\nseverity = "error"\n'
        'source = "https://example.org/plan"\n\n[[indication]]\nname = "CIDP (Privigen)"\ncodes = ["G61.81"]\n'
        'products = ["J1459"]\n\n[[indication]]\nname = "CVID (Gamunex-C)"\ncodes = ["D83.9"]\nproducts = ["J1561"]\n')
    (tmp_path / "plan.toml").write_text(
        '[profile]\nname = "plan"\ntitle = "Plan"\npayer_types = []\nextends = "commercial"\n\n'
        '[parameters.coverage_policy]\nlabel = "c"\nsource = "s"\nvalues = { "2000-01-01" = "plan-ig.toml" }\n')
    return {"type": "commercial", "name": "Plan", "profile": str(tmp_path / "plan.toml")}


AT_RISK = "Medical-necessity edits read the diagnoses a line points at, so the line is at risk of denial"


def test_each_pointer_coverage_finding_word_for_word_and_why_it_is_a_warning(tmp_path):
    """An error list that does not bind the payer makes the drug's own line a warning, and says so; an
    administration line is a warning for its own reason. A line without pointers is passed over, and the lines
    after it are still read."""
    payer = _plan_list(tmp_path)
    r = scrub(chart(diagnoses=["R53.83", "D83.9"], payer=payer), point({1: [], 2: [1], 3: [1]}))
    assert [(f.line, f.severity, f.impact_units, f.message, f.fix) for f in of(r, "DX-POINTER-NOT-COVERED")] == [
        (n, "warning", units, f"Line {n}: {code} points only at R53.83. No diagnosis that the line points at (R53.83) "
         f"is covered for Gamunex-C (IV) under Plan IG list. D83.9, also on the claim, is covered. {AT_RISK} (a "
         "warning: payers differ in checking an administration line against the drug's list; verify).",
         f"Point line {n} at D83.9 (pointer 2), listed first.") for n, code, units in ((2, "96365", -1),
                                                                                      (3, "96366", -4))]
    [drug] = of(scrub(chart(diagnoses=["R53.83", "D83.9"], payer=payer), point([1])), "DX-POINTER-NOT-COVERED")[:1]
    assert (drug.line, drug.severity) == (1, "warning")
    assert drug.message.endswith(f"is covered. {AT_RISK} (a warning: the list does not bind the payer; verify its "
                                 "policy).")
    # the bundled default list's own text says it is a warning: nothing is added to it
    default = of(scrub(FATIGUE_FIRST, point({1: [1], 2: [2], 3: [2]})), "DX-POINTER-NOT-COVERED")
    assert [f.line for f in default] == [1] and default[0].message.endswith(f"is covered. {AT_RISK}.")
    # the first other diagnosis that covers is named, not every other one
    [f] = of(scrub(chart(diagnoses=["R53.83", "D83.9", "E55.9"], payer=payer), point({1: [1], 2: [2], 3: [2]})),
             "DX-POINTER-NOT-COVERED")
    assert f.fix == "Point line 1 at D83.9 (pointer 2), listed first."
    two = scrub(chart(diagnoses=["R53.83", "D83.9", "E55.9"], payer=payer), point({1: [1, 3], 2: [2], 3: [2]}))
    [f] = of(two, "DX-POINTER-NOT-COVERED")
    assert f.message.startswith("Line 1: J1561 points only at R53.83, E55.9. No diagnosis that the line points at "
                                "(R53.83, E55.9) is covered")


def test_a_line_whose_drugs_need_two_diagnoses_is_told_to_point_at_both(tmp_path):
    """Two immune globulins, each covered by a diagnosis of its own (CIDP for Privigen, CVID for Gamunex-C): no one
    diagnosis added to the line's covers the claim, so the finding names both, without a pointer number."""
    drugs = [{"id": "ig1", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 30},
              "containers": [{"grams": 10, "count": 3}]},
             {"id": "ig2", "product": "Privigen", "route": "IV", "dose": {"grams": 10},
              "containers": [{"grams": 10, "count": 1}]}]
    administrations = [{"drug_id": "ig1", "start": "2026-03-02T09:00", "stop": "2026-03-02T11:00"},
                       {"drug_id": "ig2", "start": "2026-03-02T11:00", "stop": "2026-03-02T12:00"}]
    r = scrub(chart(diagnoses=["R53.83", "G61.81", "D83.9"], payer=_plan_list(tmp_path), drugs=drugs,
                    administrations=administrations), point([1]))
    first = of(r, "DX-POINTER-NOT-COVERED")[0]
    assert (first.line, first.impact_units) == (1, -60)
    assert first.message == (
        "Line 1: J1561 points only at R53.83. No diagnosis that the line points at (R53.83) is covered for Gamunex-C "
        "(IV), Privigen (IV) under Plan IG list. The claim's diagnoses together are covered (G61.81, D83.9 besides). "
        f"{AT_RISK} (a warning: the list does not bind the payer; verify its policy).")
    assert first.fix == "Point line 1 at G61.81, D83.9, listed first."
    assert "DX-POINTER-NOT-COVERED" not in ids(scrub(chart(
        diagnoses=["R53.83", "G61.81", "D83.9"], payer=_plan_list(tmp_path), drugs=drugs,
        administrations=administrations), point([2, 3])))
