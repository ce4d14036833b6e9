"""Edits that read imported CMS tables: MUE by adjudication indicator, NCCI PTP pairs and modifier indicators,
the NDC-HCPCS crosswalk, and HCPCS validity by date (a code valid in one quarter and terminated in the next).
MUE, PTP and HCPCS values here are synthetic fixtures; the crosswalk case uses the real January 2026 file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from igclaim import engine
from igclaim.model import ClaimLine, Encounter
from igclaim.refdata import store
from igclaim.refdata.importers import Options

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "cms"
Q1, Q2 = "2026-03-02", "2026-04-14"


def encounter(name: str = "e02-gamunex-30g-5h", day: str = Q1, claim: list[dict] | None = None,
              **changes) -> Encounter:
    data = json.loads(json.dumps(json.loads((ROOT / "examples" / f"{name}.json").read_text())["input"])
                      .replace(Q1, day))
    data.update(changes)
    if claim is not None:
        data["claim"] = {"lines": [{"line": i, **ln} for i, ln in enumerate(claim, start=1)]}
    return Encounter.model_validate(data)


def found(result, edit_id: str) -> list:
    return [f for f in result.findings if f.edit == edit_id]


GAMUNEX_CLAIM = [{"code": "J1561", "units": 60, "modifiers": ["JZ"]}, {"code": "96365", "units": 1},
                 {"code": "96366", "units": 4}]


def test_table_edits_are_silent_without_imports(home):
    r = engine.scrub(encounter(day=Q2, claim=[{"code": "J1561", "units": 999, "modifiers": ["JZ"]},
                                              {"code": "96365", "units": 3}, {"code": "36000", "units": 1}]))
    for edit_id in ("DRUG-MUE", "ADMIN-MUE", "DRUG-CODE-INVALID", "ADMIN-CODE-INVALID"):
        assert not found(r, edit_id)
    assert not [f for f in r.findings if "PTP" in f.message]


# --- MUE ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def mue(home):
    store.import_file("mue", FIX / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv")


def test_mue_at_the_limit_is_clean(mue):
    r = engine.scrub(encounter(day=Q2, claim=GAMUNEX_CLAIM))  # J1561 60 ≤ 100, 96365 1 ≤ 1, 96366 4 ≤ 4
    assert not found(r, "DRUG-MUE") and not found(r, "ADMIN-MUE")


def test_mue_date_of_service_edits(mue):
    claim = [{"code": "J1561", "units": 60, "modifiers": ["JZ"]}, {"code": "J1561", "units": 50, "modifiers": ["JW"]},
             {"code": "96365", "units": 2}, {"code": "96366", "units": 4}]
    r = engine.scrub(encounter(day=Q2, claim=claim))
    [drug] = found(r, "DRUG-MUE")  # MAI 3: 60 + 50 JW units on the date > 100
    assert drug.severity == "warning" and drug.line == 1 and "110" in drug.message and "Clinical" in drug.message
    [admin] = found(r, "ADMIN-MUE")  # MAI 2 (policy): 2 > 1
    assert admin.severity == "error" and admin.line == 3
    assert not found(encounter_result := engine.scrub(encounter(day=Q1, claim=claim)), "DRUG-MUE")  # not in force
    assert not found(encounter_result, "ADMIN-MUE")


def test_mue_line_edit_counts_each_line(mue):
    """MAI 1 (J1459, synthetic MUE 60): Privigen 70 units on one line is over; the 10-unit JW line is not."""
    r = engine.build(encounter("e03-privigen-35-of-40", day=Q2))
    [f] = found(r, "DRUG-MUE")
    jw_line = next(ln.line for ln in r.claim.lines if "JW" in ln.modifiers)
    assert f.line != jw_line and "× 70" in f.message and f.impact_units == -70


def test_mue_table_follows_the_setting(home):
    text = (FIX / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv").read_bytes()
    hosp = home.parent / "MCR_MUE_OutpatientHospitalServices_Eff_04-01-2026.csv"
    hosp.write_bytes(text.replace(b"Practitioner Services", b"Outpatient Hospital Services"))
    store.import_file("mue", hosp)
    claim = [{"code": "J1561", "units": 60, "modifiers": ["JZ"]}, {"code": "96365", "units": 2}]
    assert not found(engine.scrub(encounter(day=Q2, claim=claim)), "ADMIN-MUE")  # office: practitioner table
    r = engine.scrub(encounter("e07-hospital-outpatient", day=Q2, claim=claim))
    assert found(r, "ADMIN-MUE")


# --- PTP ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def ptp(home):
    store.import_file("ptp", FIX / "ccipra-v321r0-f1-synthetic.txt")


def _ptp(result, edit_id):
    return [f for f in found(result, edit_id) if "PTP" in f.message]


def test_ptp_modifier_indicator_1(ptp):
    bare = engine.scrub(encounter(day=Q2, claim=[*GAMUNEX_CLAIM, {"code": "36000", "units": 1}]))
    [f] = _ptp(bare, "ADMIN-BUNDLED")
    assert f.line == 4 and "96365" in f.message and f.severity == "error"
    with_xs = engine.scrub(encounter(day=Q2, claim=[*GAMUNEX_CLAIM, {"code": "36000", "units": 1,
                                                                    "modifiers": ["XS"]}]))
    assert not _ptp(with_xs, "ADMIN-BUNDLED")


def test_ptp_modifier_indicator_0_allows_no_modifier(ptp):
    r = engine.scrub(encounter(day=Q2, claim=[*GAMUNEX_CLAIM, {"code": "96523", "units": 1, "modifiers": ["59"]}]))
    [f] = _ptp(r, "ADMIN-BUNDLED")
    assert "never payable" in f.message


def test_ptp_two_initial_codes(ptp):
    claim = [*GAMUNEX_CLAIM, {"code": "96374", "units": 1}]
    assert _ptp(engine.scrub(encounter(day=Q2, claim=claim)), "ADMIN-INITIAL-DUPLICATE")
    claim[-1] = {"code": "96374", "units": 1, "modifiers": ["XS"]}
    assert not _ptp(engine.scrub(encounter(day=Q2, claim=claim)), "ADMIN-INITIAL-DUPLICATE")


def test_ptp_deleted_pair_indicator_9_and_other_quarter(ptp):
    claim = [*GAMUNEX_CLAIM, {"code": "36410", "units": 1}, {"code": "96361", "units": 1}]
    r = engine.scrub(encounter(day=Q2, claim=claim))
    assert not _ptp(r, "ADMIN-BUNDLED")  # 36410 deleted 2015-12-31; 96361 has indicator 9
    q1 = engine.scrub(encounter(day=Q1, claim=[*GAMUNEX_CLAIM, {"code": "36000", "units": 1}]))
    assert not _ptp(q1, "ADMIN-BUNDLED")  # the Q2 file does not answer for Q1


# --- NDC-HCPCS crosswalk -----------------------------------------------------------------------------------------

def test_ndc_of_another_code(home):
    """13533-0800-12 is Gamunex-C, J1561, in CMS's January 2026 crosswalk (bundled snapshot); 44206-0437-10 is
    Privigen, J1459."""
    wrong = engine.scrub(encounter(claim=[{**GAMUNEX_CLAIM[0], "ndc": "44206-0437-10"}, *GAMUNEX_CLAIM[1:]]))
    [f] = found(wrong, "DRUG-NDC-MISMATCH")
    assert f.line == 1 and "J1459" in f.message and "asp-ndc-hcpcs-crosswalk-2026q1.csv" in f.message
    # The product's own NDC with another brand's code is one mistake, the code: DRUG-CODE-MISMATCH supersedes the
    # NDC mismatch it causes on the same line (it used to be reported twice).
    code = engine.scrub(encounter(claim=[{"code": "J1459", "units": 60, "modifiers": ["JZ"],
                                          "ndc": "13533-0800-12"}, *GAMUNEX_CLAIM[1:]]))
    assert [f.edit for f in code.findings if f.line == 1] == ["DRUG-CODE-MISMATCH"]
    right = engine.scrub(encounter(claim=[{**GAMUNEX_CLAIM[0], "ndc": "13533080012"}, *GAMUNEX_CLAIM[1:]]))
    assert not found(right, "DRUG-NDC-MISMATCH")
    unknown = engine.scrub(encounter(claim=[{**GAMUNEX_CLAIM[0], "ndc": "99999-9999-99"}, *GAMUNEX_CLAIM[1:]]))
    assert not found(unknown, "DRUG-NDC-MISMATCH")  # not in the crosswalk or the catalog: left alone


def test_imported_crosswalk_for_its_quarter(home):
    store.import_file("crosswalk", FIX / "asp-ndc-hcpcs-crosswalk-2026q2-synthetic.csv")
    claim = [{"code": "J1566", "units": 60, "ndc": "13533-0800-15"}, *GAMUNEX_CLAIM[1:]]
    [f] = found(engine.scrub(encounter(day=Q2, claim=claim)), "DRUG-NDC-MISMATCH")
    assert "J1459 per asp-ndc-hcpcs-crosswalk-2026q2-synthetic.csv" in f.message


# --- HCPCS validity by date ----------------------------------------------------------------------------------------

def gammagard_sd(day: str) -> Encounter:
    return encounter(day=day, drugs=[{"id": "ig1", "product": "Gammagard S/D", "route": "IV", "dose": {"grams": 10},
                                      "containers": [{"grams": 10, "count": 1}]}])


@pytest.mark.parametrize("q2_file", ["HCPC2026_APR_ANWEB-synthetic.csv", "HCPC2026_APR_ANWEB-synthetic.txt"])
def test_code_valid_in_q1_terminated_in_q2(home, q2_file):
    store.import_file("hcpcs", FIX / "HCPC2026_JAN_ANWEB-synthetic.csv")
    store.import_file("hcpcs", FIX / q2_file)
    q1 = engine.build(gammagard_sd("2026-03-31"))
    assert q1.claim.lines[0].code == "J1566" and not found(q1, "DRUG-CODE-INVALID")
    q2 = engine.build(gammagard_sd("2026-04-01"))
    [f] = found(q2, "DRUG-CODE-INVALID")
    assert f.severity == "error" and "terminated 2026-03-31" in f.message and f.line == 1
    assert not found(q2, "ADMIN-CODE-INVALID")  # 96365/96366 are CPT: never in the HCPCS file


@pytest.mark.parametrize(("day", "told"), [("2026-03-30", False), ("2026-03-31", False), ("2026-04-01", True)])
def test_a_term_date_is_the_last_day_a_code_is_used(home, tmp_path, day, told):
    """TERM DT is the last date of use (the HCPCS record layout): a quarter's file that already ends J1566 on
    2026-03-31 still allows it that day. Its own quarter ends the same day, so the next day is April's file's."""
    q1 = (FIX / "HCPC2026_JAN_ANWEB-synthetic.csv").read_text(encoding="latin-1").splitlines(keepends=True)
    [i] = [n for n, row in enumerate(q1) if row.startswith("J1566,")]
    assert q1[i].rstrip().endswith(",20060101,20080101,,N")
    q1[i] = q1[i].rstrip().removesuffix(",,N") + ",20260331,N\n"
    ended = tmp_path / "HCPC2026_JAN_ANWEB-synthetic.csv"
    ended.write_text("".join(q1), encoding="latin-1")
    store.import_file("hcpcs", ended)
    store.import_file("hcpcs", FIX / "HCPC2026_APR_ANWEB-synthetic.csv")
    r = engine.build(gammagard_sd(day))
    assert r.claim.lines[0].code == "J1566"
    assert [f.message.split(":")[0] for f in found(r, "DRUG-CODE-INVALID")] == (["Line 1"] if told else [])


def test_level_ii_code_missing_from_the_file_in_force(home):
    store.import_file("hcpcs", FIX / "HCPC2026_JAN_ANWEB-synthetic.csv")
    r = engine.scrub(encounter(claim=[{"code": "J1599", "units": 60}, *GAMUNEX_CLAIM[1:]]))
    [f] = found(r, "DRUG-CODE-INVALID")
    assert "not in the HCPCS file" in f.message
    store.invalidate()
    assert not found(engine.scrub(encounter(day="2025-12-01", claim=[{"code": "J1599", "units": 60},
                                                                      *GAMUNEX_CLAIM[1:]])), "DRUG-CODE-INVALID")


def test_imported_icd10_release_is_used(home):
    from igclaim.refdata import icd10

    store.import_file("icd10", FIX / "icd10cm_order_2026-real-excerpt.txt",
                      Options(effective=date(2026, 4, 1), ends=date(2026, 9, 30)))
    assert icd10.is_billable("G61.81", date(2026, 5, 1)) is True
    assert icd10.is_billable("G61.8", date(2026, 5, 1)) is False  # a header in the order file (flag 0)
    assert icd10.release_for(date(2026, 5, 1)).name == "imported icd10cm_order_2026-real-excerpt.txt"


def test_an_ndc_known_only_to_the_imported_crosswalk_identifies_the_drug(home, tmp_path):
    """A package newer than the product catalog: the quarter's crosswalk names its code, so an NDC alone codes."""
    src = (ROOT / "src/igclaim/refdata/cms/snapshot/asp-ndc-hcpcs-crosswalk-2026q1.csv").read_bytes()
    head = b"\r\n".join(src.split(b"\r\n")[:9])
    row = b"J1459,Inj ivig privigen 500 mg,CSL Behring L.L.C.,44206-0999-20,Privigen,500 MG,200,1,40,40,"
    (tmp_path / "xwalk-synthetic.csv").write_bytes(head + b"\r\n" + row + b"\r\n")
    store.import_file("crosswalk", tmp_path / "xwalk-synthetic.csv")
    enc = encounter(drugs=[{"id": "ig1", "ndc": "44206-0999-20", "route": "IV", "dose": {"grams": 20},
                            "containers": [{"grams": 20}]}])
    line = engine.build(enc).claim.lines[0]
    assert (line.code, line.units, line.ndc) == ("J1459", 40, "44206099920")
    with pytest.raises(Exception, match="drugs\\[0\\].ndc"):
        engine.build(encounter(drugs=[{"id": "ig1", "ndc": "44206-0998-20", "dose": {"grams": 20}}]))


def test_a_line_dated_before_the_hcpcs_file_does_not_stop_the_check_of_the_next(home):
    """Each line is judged on its own date: a line dated before the first imported HCPCS file has no file to be
    judged by, and the next line, dated inside the file's quarter, is still checked (J1599 is not in the file)."""
    store.import_file("hcpcs", FIX / "HCPC2026_JAN_ANWEB-synthetic.csv")
    r = engine.scrub(encounter(day="2026-01-02", claim=[
        {"code": "J1561", "units": 60, "modifiers": ["JZ"], "service_date": "2025-12-31"},
        {"code": "J1599", "units": 60, "service_date": "2026-01-02"}, *GAMUNEX_CLAIM[1:]]))
    assert [(f.line, f.message) for f in found(r, "DRUG-CODE-INVALID")] == [
        (2, "Line 2: J1599 is not in the HCPCS file in force on 2026-01-02 (HCPC2026_JAN_ANWEB-synthetic.csv).")]


def test_ptp_pairs_with_a_level_ii_code_are_found(home, tmp_path):
    """A column-2 code with letters (J7050, saline: the fluid that carries a drug is incidental to the infusion,
    NCCI Policy Manual ch. XI; the pair is added to the synthetic file) is looked up as the file spells it, whatever
    case the claim writes."""
    text = (FIX / "ccipra-v321r0-f1-synthetic.txt").read_text(encoding="utf-8")
    text += "96365\tJ7050\t\t20100101\t*\t1\tStandards of medical/surgical practice\n"
    (tmp_path / "ccipra-v321r0-f1-synthetic.txt").write_text(text, encoding="utf-8")
    store.import_file("ptp", tmp_path / "ccipra-v321r0-f1-synthetic.txt")
    r = engine.scrub(encounter(day=Q2, claim=[*GAMUNEX_CLAIM, {"code": "j7050", "units": 1}]))
    assert [(f.line, f.message) for f in _ptp(r, "ADMIN-BUNDLED")] == [
        (4, "Line 4: J7050 is column 2 to 96365 (line 2) in the NCCI practitioner PTP edits (Standards of "
            "medical/surgical practice; ccipra-v321r0-f1-synthetic.txt): payable with it only with 59/XE/XP/XS/XU for "
            "a distinct site or encounter, and none is billed.")]


def test_a_drug_code_out_of_its_dates_is_judged_as_a_drug(home):
    """C9072 (Asceniv, hospital outpatient pass-through) ended 2021-03-31 in the bundled HCPCS data: billed on a 2026
    claim whose chart is another drug it is still a drug code (DRUG-CODE-INVALID, not ADMIN-CODE-INVALID)."""
    store.import_file("hcpcs", FIX / "HCPC2026_JAN_ANWEB-synthetic.csv")
    r = engine.scrub(encounter(claim=[{"code": "C9072", "units": 60, "modifiers": ["JZ"]}, *GAMUNEX_CLAIM[1:]]))
    assert [(f.edit, f.line) for f in r.findings if f.edit.endswith("-CODE-INVALID")] == [("DRUG-CODE-INVALID", 1)]


# --- on an 837 alone (edits/written.py CHART_FREE) ------------------------------------------------------------

def _alone(lines: list[dict], day: str = Q2):
    """A Medicare office chart's 837 on `day`, read back and scrubbed with no chart, its lines replaced by these."""
    import io

    from igclaim.outputs import chargemaster, x12
    from igclaim.readers.x12 import read_837

    chart = (ROOT / "examples" / "parties" / "office-gamunex-jz.json").read_text().replace(Q1, day)
    [written] = list(read_837(io.StringIO(x12.to_837(Encounter.model_validate_json(chart),
                                                      chargemaster.load("sample")))))
    claim = written.claim.model_copy(update={"lines": [
        ClaimLine.model_validate({"line": i, "diagnosis_pointers": [1], **ln}) for i, ln in enumerate(lines, start=1)]})
    return engine.scrub_without_chart(written.model_copy(update={"claim": claim}))


@pytest.mark.parametrize(("extra", "edit_id", "line"), [
    ({"code": "J1566", "units": 20, "modifiers": ["JZ"]}, "DRUG-CODE-INVALID", 4),  # terminated 2026-03-31
    ({"code": "Q2052", "units": 1}, "ADMIN-CODE-INVALID", 4),  # not in the file in force
    ({"code": "36000", "units": 1}, "ADMIN-BUNDLED", 4),  # PTP column 2 of 96365, modifier indicator 1
    ({"code": "96374", "units": 1}, "ADMIN-INITIAL-DUPLICATE", 4),  # a second initial service, no XS
])
def test_the_table_edits_run_on_an_837_alone(mue, ptp, extra, edit_id, line):
    store.import_file("hcpcs", FIX / "HCPC2026_APR_ANWEB-synthetic.csv")
    clean = _alone(GAMUNEX_CLAIM)
    assert not found(clean, edit_id)
    assert [f.line for f in found(_alone([*GAMUNEX_CLAIM, extra]), edit_id)] == [line]


def test_the_mues_run_on_an_837_alone(mue):
    r = _alone([{"code": "J1561", "units": 101, "modifiers": ["JZ"]}, {"code": "96365", "units": 2},
                {"code": "96366", "units": 4}])
    assert [f.line for f in found(r, "DRUG-MUE")] == [1]
    assert [f.line for f in found(r, "ADMIN-MUE")] == [2]


def _icd10_import(tmp_path, name: str, effective: date, ends: date | None) -> str:
    copy_ = tmp_path / name
    copy_.write_bytes((FIX / "icd10cm_order_2026-real-excerpt.txt").read_bytes())
    store.import_file("icd10", copy_, Options(effective=effective, ends=ends))
    return f"imported {name}"


def test_an_imported_icd10_release_wins_over_the_bundled_one_of_the_same_start(home, tmp_path):
    """The user's import of the year's order file (from 2025-10-01, as the bundled FY2026 release) is the one read."""
    from igclaim.refdata import icd10

    name = _icd10_import(tmp_path, "icd10cm_order_2026.txt", date(2025, 10, 1), date(2026, 9, 30))
    assert icd10.release_for(date(2026, 3, 2)).name == name


def test_of_two_imported_icd10_releases_the_one_in_force_latest_wins_whatever_the_import_order(home, tmp_path):
    """An April update imported before the year's file: on 2026-05-04 the April update is in force (the latest
    start), though the year's file was imported after it."""
    from igclaim.refdata import icd10

    april = _icd10_import(tmp_path, "icd10cm_order_2026_april.txt", date(2026, 4, 1), date(2026, 9, 30))
    year = _icd10_import(tmp_path, "icd10cm_order_2026_year.txt", date(2025, 10, 1), date(2026, 9, 30))
    assert icd10.release_for(date(2026, 5, 4)).name == april
    assert icd10.release_for(date(2026, 3, 2)).name == year


def test_of_two_imports_covering_a_date_the_newest_is_read(home, tmp_path):
    """A correction imported from 2026-05-01 over the quarter's file (from 2026-04-01): read from its date on, the
    quarter's file before it; a second import of the same start wins over the first (the later import)."""
    q2 = (FIX / "asp-pricing-2026q2-synthetic.csv").read_text(encoding="latin-1")
    assert "J1561,Gamunex-c/gammaked,500 MG,50.000," in q2
    store.import_file("asp", FIX / "asp-pricing-2026q2-synthetic.csv")
    fixed = tmp_path / "asp-pricing-2026q2-correction.csv"
    fixed.write_text(q2.replace("500 MG,50.000,", "500 MG,51.000,"), encoding="latin-1")
    store.import_file("asp", fixed, Options(effective=date(2026, 5, 1), ends=date(2026, 6, 30)))
    limit = store.tables().payment_limit
    assert [str(limit("J1561", date(2026, m, d)).amount) for m, d in ((4, 30), (5, 1), (6, 30))] == [
        "50.000", "51.000", "51.000"]
    again = tmp_path / "asp-pricing-2026q2-again.csv"
    again.write_text(q2.replace("500 MG,50.000,", "500 MG,52.000,"), encoding="latin-1")
    store.import_file("asp", again, Options(effective=date(2026, 5, 1), ends=date(2026, 6, 30)))
    assert str(store.tables().payment_limit("J1561", date(2026, 5, 14)).amount) == "52.000"


def test_of_two_ptp_imports_covering_a_date_the_newest_is_read(home, tmp_path):
    """An NCCI file from 2026-05-01 without the 96365/96374 pair, over the quarter's: from its date the pair is
    gone (the newest file in force is the whole table)."""
    store.import_file("ptp", FIX / "ccipra-v321r0-f1-synthetic.txt")
    rows = (FIX / "ccipra-v321r0-f1-synthetic.txt").read_text(encoding="latin-1").splitlines(keepends=True)
    later = tmp_path / "ccipra-v321r1-f1-synthetic.txt"
    later.write_text("".join(r for r in rows if not r.startswith("96365\t96374\t")), encoding="latin-1")
    store.import_file("ptp", later, Options(effective=date(2026, 5, 1), ends=date(2026, 6, 30)))
    claim = [*GAMUNEX_CLAIM, {"code": "96374", "units": 1}]
    assert _ptp(engine.scrub(encounter(day="2026-04-30", claim=claim)), "ADMIN-INITIAL-DUPLICATE")
    assert not _ptp(engine.scrub(encounter(day="2026-05-14", claim=claim)), "ADMIN-INITIAL-DUPLICATE")


@pytest.mark.parametrize("code", ["J\uff11\uff15\uff19\uff19", "\uff2a1599", "\uff2a\uff11\uff15\uff19\uff19",
                                  "J1599"])
def test_a_code_in_other_characters_than_a_z_0_9_is_not_in_the_hcpcs_file(home, code):
    """Absence from the HCPCS file counted only for codes matching ^[A-Z]\\d{4}$: 'J１５９９' was reported (\\d takes
    '１'), but 'Ｊ1599' and 'Ｊ１５９９' were passed over as if they were CPT codes, which the file never lists. Every
    code but a CPT code ([0-9]{4}[0-9A-Z]) must now be in it; 96365 (CPT) still need not."""
    store.import_file("hcpcs", FIX / "HCPC2026_JAN_ANWEB-synthetic.csv")
    r = engine.scrub(encounter(claim=[{"code": code, "units": 60}, *GAMUNEX_CLAIM[1:]]))
    [f] = [f for f in r.findings if f.edit.endswith("-CODE-INVALID")]
    assert f.line == 1 and f"{code} is not in the HCPCS file" in f.message


def test_a_line_billing_a_revenue_code_alone_is_not_missing_from_the_hcpcs_file(home):
    """An 837I line may bill a revenue code with no HCPCS (a pharmacy or supply line): there is no code to look up,
    so absence from the HCPCS file is not told of it; a code in other digits than 0-9 that looks like CPT
    ('９６３６5') is no CPT code and is told."""
    store.import_file("hcpcs", FIX / "HCPC2026_JAN_ANWEB-synthetic.csv")
    hospital = [{"code": "J1561", "units": 60, "modifiers": ["JZ"], "revenue_code": "0636"},
                {"code": "", "units": 1, "revenue_code": "0250"},
                {"code": "96365", "units": 1, "revenue_code": "0260"}]
    r = engine.scrub(encounter("e07-hospital-outpatient", claim=hospital))
    assert [f for f in r.findings if f.edit.endswith("-CODE-INVALID")] == []
    odd = [*hospital[:2], {"code": "\uff19\uff16\uff13\uff16" + "5", "units": 1, "revenue_code": "0260"}]
    r = engine.scrub(encounter("e07-hospital-outpatient", claim=odd))
    [f] = [f for f in r.findings if f.edit.endswith("-CODE-INVALID")]
    assert f.line == 3 and "is not in the HCPCS file" in f.message
