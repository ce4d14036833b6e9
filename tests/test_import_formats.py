"""Each importer reads its official layout (real excerpts from shared/cms-samples, and synthetic files in the same
layouts), from the file or from a CMS zip, with CRLF or LF, and fails with file, line and column."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from igclaim.refdata.importers import ImportFailure, Options, Source, parse, read_sources

FIX = Path(__file__).parent / "fixtures" / "cms"
SNAPSHOT = Path(__file__).resolve().parents[1] / "src" / "igclaim" / "refdata" / "cms" / "snapshot"


def _parse(kind: str, path: Path, **opts):
    return parse(Source(path.name, path.read_bytes()), kind, Options(**opts))


def _lf(path: Path) -> Source:
    return Source(path.name, path.read_bytes().replace(b"\r\n", b"\n"))


def test_asp_payment_limit_file_real_q1_2026():
    p = _parse("asp", SNAPSHOT / "asp-pricing-2026q1.csv")
    assert (p.effective, p.ends) == (date(2026, 1, 1), date(2026, 3, 31))  # from the preamble
    rows = {r[0]: r for r in p.rows}
    assert rows["J1561"][3] == "49.076" and rows["J1459"][3] == "50.281"  # reference.md §1, official
    assert rows["A9606"][3] is None  # "N/A" is no price, not zero
    assert "\n" not in rows["A9606"][4] and "WAC" in rows["A9606"][4]  # the quoted Notes cell with a bare LF
    assert "\xa0" in rows["J9325"][2]  # Windows-1252 no-break space decoded, not mangled
    assert len(p.rows) == 22


def test_asp_lf_line_ends_and_options_win():
    src = _lf(SNAPSHOT / "asp-pricing-2026q1.csv")
    p = parse(src, "asp", Options(effective=date(2026, 2, 1), ends=date(2026, 2, 28)))
    assert (p.effective, p.ends) == (date(2026, 2, 1), date(2026, 2, 28))
    assert len(p.rows) == 22


def test_asp_bad_amount_names_line_and_column():
    with pytest.raises(ImportFailure) as exc:
        _parse("asp", FIX / "asp-pricing-2026q2-bad-synthetic.csv")
    # line 13: the A9606 notes cell above spans two physical lines
    assert (exc.value.line, exc.value.column) == (13, 4)
    assert "asp-pricing-2026q2-bad-synthetic.csv: line 13, column 4" in str(exc.value)


def test_asp_file_without_header_is_refused():
    with pytest.raises(ImportFailure, match="not an ASP payment limit file"):
        parse(Source("x.csv", b"a,b\r\n1,2\r\n"), "asp", Options())


@pytest.mark.parametrize("path", [FIX / "asp-ndc-hcpcs-crosswalk-2024q1-real-excerpt.csv",
                                  SNAPSHOT / "asp-ndc-hcpcs-crosswalk-2026q1.csv"])
def test_crosswalk_both_header_variants(path):
    """_2023_CODE in the January 2024 file, _2026_CODE in January 2026: both are the code column."""
    p = _parse("crosswalk", path)
    by_ndc = {r[1]: r[0] for r in p.rows}
    assert by_ndc["13533080012"] == "J1561"  # 13533-0800-12 Gamunex-C, 5-4-2 → 11 digits
    assert by_ndc["44206043605"] == "J1459"
    assert p.effective.month == 1 and p.ends.month == 3


def test_crosswalk_drug_name_with_bare_lf():
    p = _parse("crosswalk", SNAPSHOT / "asp-ndc-hcpcs-crosswalk-2026q1.csv")
    keto = next(r for r in p.rows if r[0] == "J1885")
    assert keto[3] == "Ketorolac Tromethamine"


def test_hcpcs_fixed_width_txt_with_continuations():
    p = _parse("hcpcs", FIX / "HCPC2016_CONTR_ANWEB-real-excerpt.txt")
    assert (p.effective, p.ends) == (date(2016, 1, 1), date(2016, 3, 31))  # CONTR = the annual (January) file
    rows = {r[0]: r for r in p.rows}
    assert rows["J1561"][1].endswith("non-lyophilized (e.g., liquid), 500 mg")  # joined with its RIC-4 record
    assert rows["J1561"][3] == "2008-01-01" and rows["J1561"][5] is None
    assert rows["A1"][7] == 1 and rows["J1561"][7] == 0  # modifier vs procedure record
    assert rows["J1562"][1].startswith("Injection, immune globulin (vivaglobin)")


def test_hcpcs_txt_termination_and_lf():
    p = parse(_lf(FIX / "HCPC2026_APR_ANWEB-synthetic.txt"), "hcpcs", Options())
    assert p.effective == date(2026, 4, 1)
    rows = {r[0]: r for r in p.rows}
    assert rows["J1566"][5] == "2026-03-31" and rows["J1566"][6] == "D"


def test_hcpcs_csv_and_xlsx(tmp_path):
    p = _parse("hcpcs", FIX / "HCPC2026_JAN_ANWEB-synthetic.csv")
    assert (p.effective, p.ends) == (date(2026, 1, 1), date(2026, 3, 31))
    rows = {r[0]: r for r in p.rows}
    assert rows["J1566"][5] is None and rows["JW"][7] == 1  # "   JW" left-padded modifier
    # the same sheet as CMS ships it: an xlsx with the 48 columns
    import openpyxl

    wb = openpyxl.Workbook()
    for row in csv.reader(io.StringIO((FIX / "HCPC2026_JAN_ANWEB-synthetic.csv").read_text(encoding="utf-8"))):
        wb.active.append(row)
    xlsx = tmp_path / "HCPC2026_JAN_ANWEB.xlsx"
    wb.save(xlsx)
    assert _parse("hcpcs", xlsx).rows == p.rows


def test_hcpcs_needs_a_date_when_the_name_has_none():
    src = Source("hcpcs.csv", (FIX / "HCPC2026_JAN_ANWEB-synthetic.csv").read_bytes())
    with pytest.raises(ImportFailure, match="--effective"):
        parse(src, "hcpcs", Options())


def test_hcpcs_bad_date_column():
    text = (FIX / "HCPC2026_APR_ANWEB-synthetic.txt").read_bytes()
    broken = text.replace(b"20260331D", b"2026033XD")
    with pytest.raises(ImportFailure) as exc:
        parse(Source("HCPC2026_APR_ANWEB.txt", broken), "hcpcs", Options())
    assert exc.value.column == 285  # termination date, columns 285-292 of the record layout


def test_mue_practitioner_real_excerpt_and_synthetic():
    p = _parse("mue", FIX / "MCR_MUE_PractitionerServices_Eff_07-01-2026-real-excerpt.csv")
    assert p.scope == "practitioner" and (p.effective, p.ends) == (date(2026, 7, 1), date(2026, 9, 30))
    assert p.rows[0] == ("0001U", 1, 2, "2 Date of Service Edit: Policy", "Code Descriptor / CPT Instruction")
    q = _parse("mue", FIX / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv")  # CRLF
    assert q.effective == date(2026, 4, 1)
    assert {r[0]: (r[1], r[2]) for r in q.rows}["J1459"] == (60, 1)


def test_mue_setting_from_header():
    text = (FIX / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv").read_bytes()
    text = text.replace(b"Practitioner Services MUE Values", b"Outpatient Hospital Services MUE Values")
    p = parse(Source("MCR_MUE_Eff_04-01-2026.csv", text), "mue", Options())
    assert p.scope == "hospital"


def test_mue_bad_indicator():
    path = FIX / "MCR_MUE_PractitionerServices_Eff_04-01-2026-bad-synthetic.csv"
    line = next(i for i, t in enumerate(path.read_bytes().split(b"\n"), start=1) if t.startswith(b"96366"))
    with pytest.raises(ImportFailure) as exc:
        _parse("mue", path)
    assert (exc.value.line, exc.value.column) == (line, 3)


def test_ptp_real_excerpt():
    p = _parse("ptp", FIX / "ccipra-v322r0-f1-real-excerpt.txt")
    assert (p.scope, p.part) == ("practitioner", "f1")
    assert (p.effective, p.ends) == (date(2026, 7, 1), date(2026, 9, 30))  # v32.2 = 2026 Q3
    rows = {(r[0], r[1]): r for r in p.rows}
    assert rows[("0001U", "0030U")][4] is None  # deletion "*" = still active
    assert rows[("0001A", "96523")][3:6] == ("2022-01-01", "2023-12-31", 0)
    assert len(p.rows) == 30


def test_ptp_synthetic_crlf_and_bad_modifier():
    p = _parse("ptp", FIX / "ccipra-v321r0-f1-synthetic.txt")
    assert p.effective == date(2026, 4, 1)
    text = (FIX / "ccipra-v321r0-f1-synthetic.txt").read_bytes().replace(b"\t0\tStandards", b"\t5\tStandards")
    with pytest.raises(ImportFailure) as exc:
        parse(Source("ccipra-v321r0-f1.txt", text), "ptp", Options())
    assert (exc.value.line, exc.value.column) == (9, 6)


@pytest.mark.parametrize("setting", ["dme", "office"])
def test_ptp_refuses_a_setting_given_that_has_no_ptp_edits(setting):
    """NCCI publishes PTP edits for practitioners and hospitals only (importers.PTP_SETTINGS, from the MUE tables'
    Setting): a setting given directly (--setting, the team route's `setting`) that is neither is refused naming the
    ones there are; it was told it could not be read from the file name and to give --setting, which it had."""
    text = (FIX / "ccipra-v321r0-f1-synthetic.txt").read_bytes()
    with pytest.raises(ImportFailure) as exc:
        parse(Source("ccipra-v321r0-f1.txt", text), "ptp", Options(setting=setting))
    assert str(exc.value) == (f"ccipra-v321r0-f1.txt: setting {setting!r}: NCCI PTP edits are practitioner or "
                              "hospital edits")
    assert parse(Source("ccipra-v321r0-f1.txt", text), "ptp", Options(setting="hospital")).scope == "hospital"
    assert parse(Source("ccioph-v321r0-f1.txt", text), "ptp", Options()).scope == "hospital"  # from the name


def test_icd10_order_file():
    p = _parse("icd10", FIX / "icd10cm_order_2026-real-excerpt.txt")
    assert (p.effective, p.ends) == (date(2025, 10, 1), date(2026, 9, 30))  # FY2026
    rows = {r[0]: r for r in p.rows}
    assert rows["D839"][1] == 1 and rows["D83"][1] == 0 and rows["G6181"][1] == 1
    assert rows["G710340"][2].startswith("Limb girdle")
    crlf = (FIX / "icd10cm_order_2026-real-excerpt.txt").read_bytes().replace(b"\n", b"\r\n")
    assert parse(Source("icd10cm_order_2026.txt", crlf), "icd10", Options()).rows == p.rows


def test_pfs_relative_value_file():
    p = _parse("fees", FIX / "PPRRVU2025_Oct-real-excerpt.csv")
    assert (p.effective, p.ends, p.scope) == (date(2025, 10, 1), date(2025, 12, 31), "pfs-national")
    rows = {r[0]: r for r in p.rows}
    # 96365: non-facility total 1.79 RVU × CF 32.3465 = 57.90 (national; no GPCI)
    assert Decimal(rows["96365"][2]) == Decimal("57.90")
    assert rows["36000"][2] is None and "status B" in rows["36000"][4]  # bundled: not paid on the schedule


def test_simple_fee_schedule_needs_name_and_date():
    path = FIX / "fees-contract-2026-synthetic.csv"
    with pytest.raises(ImportFailure, match="--schedule"):
        _parse("fees", path, effective=date(2026, 1, 1))
    with pytest.raises(ImportFailure, match="--effective"):
        _parse("fees", path, schedule="acme")
    p = _parse("fees", path, effective=date(2026, 1, 1), schedule="acme")
    assert (p.scope, p.ends) == ("acme", date(2026, 12, 31)) and p.rows[0][:3] == ("96365", "", "150.00")


def test_zip_member_is_picked(tmp_path):
    z = tmp_path / "january-2026-asp-pricing-file.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("section 508 version of January 2026 Medicare Part B Payment Limit File 121725.csv",
                    (SNAPSHOT / "asp-pricing-2026q1.csv").read_bytes())
        zf.writestr("readme.pdf", b"%PDF")
    [src] = read_sources(z, "asp")
    assert src.name.startswith("january-2026-asp-pricing-file.zip!")
    assert len(parse(src, "asp", Options()).rows) == 22
    with pytest.raises(ImportFailure, match="no mue file inside the zip"):
        read_sources(z, "mue")
