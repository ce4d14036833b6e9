"""Imports never lose data: a truncated file or one with far fewer rows than the previous import of its period is
refused (nothing changed) unless --force; NaN, Infinity, out-of-range prices and impossible dates are refused with
line and column; a second import while one writes waits, then exits 2 with one line."""

from __future__ import annotations

import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest

from igclaim.refdata import store
from igclaim.refdata.importers import ImportFailure, Options, Source, parse_all, read_sources
from tests.conftest import ROOT, run_cli

FIX = Path(__file__).parent / "fixtures" / "cms"
ASP = FIX / "asp-pricing-2026q2-synthetic.csv"


def _rows(home: Path) -> list[tuple]:
    conn = sqlite3.connect(home / store.DB_NAME)
    try:
        return conn.execute("SELECT code, payment_limit FROM asp ORDER BY code").fetchall()
    finally:
        conn.close()


def _variant(tmp_path: Path, text: str, name: str = "asp-pricing-2026q2.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("cp1252"))
    return p


def test_truncated_mid_record_is_refused(home, tmp_path):
    text = ASP.read_text(encoding="cp1252")
    cut = text.rstrip("\n").rsplit(",", 6)[0]  # the last record loses its last columns, no final newline
    with pytest.raises(ImportFailure) as exc:
        store.import_file("asp", _variant(tmp_path, cut))
    assert "mid-record" in str(exc.value) or "truncated" in str(exc.value)
    assert not (home / store.DB_NAME).exists() or _rows(home) == []


def test_far_fewer_rows_than_the_previous_import_is_refused_unless_forced(home, tmp_path):
    store.import_file("asp", ASP)
    before = _rows(home)
    lines = ASP.read_text(encoding="cp1252").splitlines(keepends=True)
    header = next(i for i, ln in enumerate(lines) if ln.startswith("HCPCS Code"))
    short = "".join(lines[:header + 3])  # the header and one record (its quoted note spans two lines)
    path = _variant(tmp_path, short)
    r = run_cli("data", "import", "asp", str(path))
    assert r.returncode == 2 and "far fewer" in r.stderr and "--force" in r.stderr, r.stderr
    assert _rows(home) == before
    [report] = store.import_file("asp", path, Options(force=True))
    assert report.changed and len(_rows(home)) < len(before)


@pytest.mark.parametrize("price", ["NaN", "Infinity", "-1.00", "1e999999", "99999999999"])
def test_hostile_prices_are_refused_with_line_and_column(home, tmp_path, price):
    text = ASP.read_text(encoding="cp1252").replace("J1459,Inj ivig privigen 500 mg,500 MG,51.500,",
                                   f"J1459,Inj ivig privigen 500 mg,500 MG,{price},")
    with pytest.raises(ImportFailure) as exc:
        store.import_file("asp", _variant(tmp_path, text))
    assert exc.value.line is not None and exc.value.column == 4, str(exc.value)


def test_impossible_dates_are_refused():
    from igclaim.refdata.importers import yyyymmdd

    for bad in ("20260230", "00000101", "30260101"):
        with pytest.raises(ValueError):
            yyyymmdd(bad)
    assert str(yyyymmdd("99991231")) == "9999-12-31"  # the open-ended sentinel CMS files use


@pytest.mark.parametrize("bad", ["20260230", "20261301", "00000101"])
def test_an_impossible_date_is_named_by_its_value(bad):
    """Python's own "day is out of range for month" did not quote the cell, unlike the other date messages."""
    from igclaim.refdata.importers import yyyymmdd

    with pytest.raises(ValueError) as exc:
        yyyymmdd(bad)
    assert str(exc.value) == f"{bad!r} is not a date"


def test_a_second_import_while_one_writes_exits_2_with_one_line(home, monkeypatch):
    store.import_file("asp", ASP)
    holder = sqlite3.connect(home / store.DB_NAME)
    holder.execute("BEGIN IMMEDIATE")  # another import in progress
    try:
        monkeypatch.setattr(store, "BUSY_TIMEOUT_SECONDS", 0.2)
        with pytest.raises(store.ImportBusy) as exc:
            store.import_file("mue", FIX / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv")
        assert "nothing was imported" in str(exc.value)
        # a reader still sees the committed import while the write is in progress (WAL)
        store.invalidate()
        assert store.tables().loaded
    finally:
        holder.rollback()
        holder.close()


def test_an_import_holds_less_than_twice_its_file_in_memory():
    """Parsed rows go to a spool on disk and records are read line by line: parsing a PTP file allocates less than
    twice its size (the decoded text is the one copy), not the ten times a list of row tuples took."""
    import tracemalloc

    from igclaim.refdata.importers import Options, Source, parse

    text = (ROOT / "tests" / "fixtures" / "cms" / "ccipra-v321r0-f1-synthetic.txt").read_text(encoding="cp1252")
    head, body = text.splitlines(keepends=True)[:6], text.splitlines(keepends=True)[6:]
    data = ("".join(head) + "".join(body) * 6000).encode("cp1252")
    tracemalloc.start()
    try:
        parsed = parse(Source("ccipra-v321r0-f1.txt", data), "ptp",
                       Options(setting="practitioner", effective=date(2026, 1, 1)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(parsed.rows) == 5 * 6000
    assert peak < 2 * len(data), (peak, len(data))


MUE = FIX / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv"


@pytest.mark.parametrize("kind,name,old,new,column,message", [
    ("mue", MUE.name, b"J1561,100,", b"J1561," + b"9" * 5000 + b",", 2,
     "MUE value '9999999999999999999999999999999999999999\u2026' is not a whole number of units (at most 6 digits)"),
    ("coverage", "codes.csv", b"A56779,1,", b"A56779," + b"9" * 5000 + b",", 2,
     "group '9999999999999999999999999999999999999999\u2026' is not a number 1-999"),
    # '²'.isdigit() is True and int('²') raises: a superscript digit crashed both the same way
    ("coverage", "codes.csv", b"A56779,1,", "A56779,\u00b2,".encode(), 2, "group '\u00b2' is not a number 1-999"),
    ("mue", MUE.name, b"J1561,100,", "J1561,1\u00b2,".encode("cp1252"), 2,
     "MUE value '1\u00b2' is not a whole number of units (at most 6 digits)"),
])
def test_a_cell_of_thousands_of_digits_is_refused_with_line_and_column(tmp_path, kind, name, old, new, column,
                                                                        message):
    """int() of a 5,000-digit cell raised ValueError past Python's 4,300 digits (exit 3, nothing named); and a
    long cell is quoted back cut to 40 characters."""
    data = MUE.read_bytes() if kind == "mue" else b"article_id,group,icd10_code\nA56779,1,D83.9\n"
    assert old in data
    path = tmp_path / name
    path.write_bytes(data.replace(old, new))
    with pytest.raises(ImportFailure) as exc:
        for source in read_sources(path, kind):
            parse_all(source, kind, Options(effective=date(2026, 1, 1)))
    assert (exc.value.column, exc.value.message) == (column, message)


def _parse(tmp_path, kind: str, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    for source in read_sources(path, kind):
        parse_all(source, kind, Options(effective=date(2026, 1, 1)))


@pytest.mark.parametrize("group,read", [("1", True), ("999", True), ("0999", True), ("0", False), ("1000", False)])
def test_a_coverage_group_is_1_to_999_both_sides(tmp_path, group, read):
    data = f"article_id,group,icd10_code\nA56779,{group},D83.9\n".encode()
    if read:
        _parse(tmp_path, "coverage", "codes.csv", data)
        return
    with pytest.raises(ImportFailure) as exc:
        _parse(tmp_path, "coverage", "codes.csv", data)
    assert exc.value.message == f"group {group!r} is not a number 1-999"


@pytest.mark.parametrize("value,read", [("999999", True), ("1000000", False)])
def test_an_mue_value_has_at_most_6_digits_both_sides(tmp_path, value, read):
    data = MUE.read_bytes().replace(b"J1561,100,", f"J1561,{value},".encode())
    if read:
        _parse(tmp_path, "mue", MUE.name, data)
        return
    with pytest.raises(ImportFailure) as exc:
        _parse(tmp_path, "mue", MUE.name, data)
    assert exc.value.message == f"MUE value {value!r} is not a whole number of units (at most 6 digits)"


@pytest.mark.parametrize("value,shown", [
    ("A" * 40, repr("A" * 40)),  # 40 characters: quoted whole
    ("A" * 41, "'" + "A" * 40 + "\u2026'"),  # 41: cut to 40
    ("B'" + "B" * 38, repr("B'" + "B" * 38)),  # repr's double quotes (the value holds a '): 40, whole
    ("B'" + "B" * 39, '"B\'' + "B" * 38 + '\u2026"'),  # 41: cut the same way
])
def test_an_import_error_quotes_a_cell_cut_to_40_characters(value, shown):
    assert ImportFailure("f.csv", 2, 1, f"{value!r} is not a HCPCS code").message == f"{shown} is not a HCPCS code"


FEES = FIX / "fees-contract-2026-synthetic.csv"


@pytest.mark.parametrize("price", ["1_000", "1_50.00", "\u0661\u0665\u0660", "\uff11\uff15\uff10", "$1_000"])
def test_a_fee_or_asp_price_not_in_the_digits_0_9_is_refused_with_line_and_column(tmp_path, price):
    """amount() read a cell with Decimal(): "1_000" was $1,000 and "١٥٠" or "１５０" $150 without a word. A price
    is now written in the digits 0-9 (model.NUMBER_TEXT) and anything else is refused as other bad amounts are."""
    data = FEES.read_bytes().replace(b"96365,150.00", f"96365,{price}".encode())
    with pytest.raises(ImportFailure) as exc:
        for source in read_sources(_variant_bytes(tmp_path, "fees-contract-2026.csv", data), "fees"):
            parse_all(source, "fees", Options(effective=date(2026, 1, 1), schedule="acme"))
    assert (exc.value.line, exc.value.column) == (2, 2), str(exc.value)
    assert exc.value.message == f"{price!r} is not an amount (0 to 10,000,000)"
    asp = ASP.read_text(encoding="cp1252").replace("J1459,Inj ivig privigen 500 mg,500 MG,51.500,",
                                                   f"J1459,Inj ivig privigen 500 mg,500 MG,{price},")
    with pytest.raises(ImportFailure) as exc:
        for source in read_sources(_variant_bytes(tmp_path, "asp-pricing-2026q2.csv", asp.encode()), "asp"):
            parse_all(source, "asp", Options())
    assert exc.value.column == 4 and "is not an amount" in exc.value.message, str(exc.value)


@pytest.mark.parametrize("price,read", [("150.00", "150.00"), ("$1,000.50", "1000.50"), (" 150 ", "150"),
                                        ("1.5E2", "1.5E+2"), ("0", "0"), (".5", "0.5")])
def test_a_plain_fee_still_imports_as_before(tmp_path, price, read):
    data = FEES.read_bytes().replace(b"96365,150.00", f'96365,"{price}"'.encode())
    [source] = read_sources(_variant_bytes(tmp_path, "fees-contract-2026.csv", data), "fees")
    [parsed] = parse_all(source, "fees", Options(effective=date(2026, 1, 1), schedule="acme"))
    assert parsed.rows[0][:3] == ("96365", "", read)


def _fee_with_modifier(modifier: str) -> Source:
    return Source("fees-contract-2026.csv", f"code,amount,modifier\n96365,150.00,{modifier}\n".encode())


@pytest.mark.parametrize("modifier", ["J", "JZZ", "J-", "J Z", "\uff2a\uff3a", "\u017fZ", "2\u0666"])
def test_a_fee_modifier_that_is_not_two_letters_or_digits_is_refused_with_line_and_column(modifier):
    """A fee schedule's modifier cell was stored as written: "JZZ" or "ＪＺ" was a fee no claim line's modifier can
    match, without a word. A modifier is two of A-Z and 0-9; anything else is refused as a bad code is."""
    with pytest.raises(ImportFailure) as exc:
        parse_all(_fee_with_modifier(modifier), "fees", Options(effective=date(2026, 1, 1), schedule="acme"))
    assert (exc.value.line, exc.value.column) == (2, 3), str(exc.value)
    assert exc.value.message.startswith(f"{modifier!r} is not a modifier")


@pytest.mark.parametrize("modifier,read", [("JZ", "JZ"), ("26", "26"), ("tc", "TC"), ("", "")])
def test_a_fee_modifier_of_two_letters_or_digits_or_none_still_imports(modifier, read):
    [parsed] = parse_all(_fee_with_modifier(modifier), "fees", Options(effective=date(2026, 1, 1), schedule="acme"))
    assert parsed.rows[0][:3] == ("96365", read, "150.00")


@pytest.mark.parametrize("modifier,read", [("JZZ", None), ("\uff2a\uff3a", None), ("26", "26"), ("tc", "TC")])
def test_a_pfs_relative_value_files_modifier_is_checked_as_a_contracts(modifier, read):
    """The PPRRVU file's MOD column was stored unchecked too: it is read as a 'code,amount' file's modifier is."""
    text = (FIX / "PPRRVU2025_Oct-real-excerpt.csv").read_text(encoding="cp1252")
    source = Source("PPRRVU2025_Oct.csv", text.replace("\n96360,,", f"\n96360,{modifier},", 1).encode())
    if read is None:
        with pytest.raises(ImportFailure) as exc:
            parse_all(source, "fees", Options())
        assert (exc.value.line, exc.value.column) == (12, 2), str(exc.value)
        assert exc.value.message.startswith(f"{modifier!r} is not a modifier")
    else:
        [parsed] = parse_all(source, "fees", Options())
        assert [r[1] for r in parsed.rows if r[0] == "96360"] == [read]

@pytest.mark.parametrize("value", ["\uff11\uff12", "\u0661\u0662", "1_000", "12.0", "1e2", "+12"])
def test_an_mue_value_not_in_the_digits_0_9_is_refused_with_line_and_column(tmp_path, value):
    """The MUE value was already checked ASCII digits before int(): pinned, so "１２" never becomes 12 units."""
    # UTF-8 (the fixture's Windows-1252 © and ® re-encoded), so the file is read as the UTF-8 it is
    text = MUE.read_text(encoding="cp1252").replace("J1561,100,", f"J1561,{value},")
    with pytest.raises(ImportFailure) as exc:
        _parse(tmp_path, "mue", MUE.name, text.encode())
    assert exc.value.column == 2 and exc.value.line is not None
    assert exc.value.message == f"MUE value {value!r} is not a whole number of units (at most 6 digits)"


def _variant_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


PTP = FIX / "ccipra-v321r0-f1-synthetic.txt"


@pytest.mark.parametrize("written", ["\uff12\uff10\uff12\uff16\uff10\uff11\uff10\uff11",
                                     "\u0662\u0660\u0662\u0666\u0660\u0661\u0660\u0661", "2026\u0660101"])
def test_a_date_not_in_the_digits_0_9_is_refused(tmp_path, written):
    """yyyymmdd() checked \\d{8}, which takes any script's digits, then int(): "２０２６０１０１" was 2026-01-01. A PTP,
    HCPCS or NDC Directory date is now 8 of the digits 0-9, and anything else refuses the import with line and
    column as other bad dates do."""
    from igclaim.refdata.importers import yyyymmdd

    with pytest.raises(ValueError):
        yyyymmdd(written)
    assert str(yyyymmdd("20260101")) == "2026-01-01"
    text = PTP.read_text(encoding="cp1252").replace("96365\t36000\t\t20100101\t", f"96365\t36000\t\t{written}\t")
    with pytest.raises(ImportFailure) as exc:
        parse_all(Source(PTP.name, text.encode()), "ptp", Options(effective=date(2026, 1, 1)))
    assert (exc.value.line, exc.value.column) == (7, 4), str(exc.value)
    assert exc.value.message == f"{written!r} is not a date YYYYMMDD"


CROSSWALK = FIX / "asp-ndc-hcpcs-crosswalk-2024q1-real-excerpt.csv"
CROSSWALK_ROW = "J1459,Inj ivig privigen 500 mg,CSL BEHRING LLC,44206-0436-05,Privigen,500 MG,50,1,10,10,"


def _crosswalk_row(billunits: str, billunitspkg: str) -> Source:
    text = CROSSWALK.read_text(encoding="cp1252")
    assert CROSSWALK_ROW in text
    row = CROSSWALK_ROW.replace(",1,10,10,", f',1,"{billunits}","{billunitspkg}",')
    return Source(CROSSWALK.name, text.replace(CROSSWALK_ROW, row).encode())


@pytest.mark.parametrize("column,billunits,billunitspkg", [
    (10, "10", "1_0"), (10, "10", "\uff11\uff10"), (10, "10", "\u0661\u0660"), (9, "\u0661\u0660", "10"),
    (9, "1_0", "10")])
def test_a_crosswalk_billing_unit_not_in_the_digits_0_9_is_refused(column, billunits, billunitspkg):
    """BILLUNITSPKG was kept as written and read by Decimal() when a claim's NDC was checked: "1_0" or "１０" was 10
    billing units a package without a word. A cell Decimal() would read as a number is now refused with line and
    column unless it is written in the digits 0-9 (model.NUMBER_TEXT)."""
    with pytest.raises(ImportFailure) as exc:
        parse_all(_crosswalk_row(billunits, billunitspkg), "crosswalk", Options())
    bad = billunitspkg if column == 10 else billunits
    label = "BILLUNITSPKG" if column == 10 else "BILLUNITS"
    assert (exc.value.line, exc.value.column) == (10, column), str(exc.value)
    assert exc.value.message == f"{label} {bad!r}: write the number in the digits 0-9"


@pytest.mark.parametrize("column,billunits,billunitspkg", [
    (10, "10", "N/A"), (10, "10", "see note"), (9, "N/A", "10"), (9, "n/a", "N/A"), (10, "10", "10 vials")])
def test_a_crosswalk_billing_unit_that_is_no_number_is_refused_with_line_and_column(column, billunits, billunitspkg):
    """Text that is no number ("N/A", "see note") was kept as written, and the store passed over it without a word:
    the package's billing units were lost. It is now refused with line and column as a bad ASP amount is (every
    row of the January 2026 crosswalk, 7,125, holds a number in both cells)."""
    with pytest.raises(ImportFailure) as exc:
        parse_all(_crosswalk_row(billunits, billunitspkg), "crosswalk", Options())
    bad = billunitspkg if column == 10 else billunits
    label = "BILLUNITSPKG" if column == 10 else "BILLUNITS"
    assert (exc.value.line, exc.value.column) == (10, column), str(exc.value)
    assert exc.value.message == f"{label} {bad!r} is not a number of billing units"


@pytest.mark.parametrize("billunitspkg", ["10", "0.5", " 2 ", ""])
def test_a_crosswalk_billing_unit_of_plain_digits_or_none_imports_as_before(billunitspkg):
    [parsed] = parse_all(_crosswalk_row("10", billunitspkg), "crosswalk", Options())
    row = next(r for r in parsed.rows if r[1] == "44206043605")
    assert row[5:] == ("10", billunitspkg.strip())


@pytest.mark.parametrize("description,ml", [
    ("1 VIAL in 1 CARTON > 10 mL in 1 VIAL", "10"), ("1 VIAL in 1 CARTON > 2.5 mL in 1 VIAL", "2.5"),
    ("1 VIAL in 1 CARTON > \uff11\uff10 mL in 1 VIAL", ""), ("1 VIAL in 1 CARTON > \u0661\u0660 mL in 1 VIAL", ""),
    ("1 VIAL in 1 CARTON > 1\u0660 mL in 1 VIAL", ""), ("1 VIAL in 1 CARTON", "")])
def test_an_ndc_package_volume_is_read_only_from_the_digits_0_9(description, ml):
    """The NDC Directory's volume was found with \\d+ and stored for Decimal(): "１０ mL in 1 VIAL" was a 10 mL vial.
    A volume not written in the digits 0-9 (model.NUMBER_TEXT) is now no volume, as a description without one."""
    from igclaim.refdata.importers.ndc_directory import package_ml

    assert package_ml(description) == ml


@pytest.mark.parametrize("digits", ["\uff12\uff10\uff12\uff16", "\u0662\u0660\u0662\u0666", "2\u0660\u0662\u0666"])
def test_a_release_date_in_a_preamble_or_file_name_is_read_only_from_the_digits_0_9(digits):
    """The effective dates a preamble or a file name gives were matched with \\d and read by int(), so "January
    ２０２６" was January 2026: they are now read only from the digits 0-9 (else the file gives no date, and the
    import asks for --effective as for any file that gives none)."""
    from igclaim.refdata.importers import fees, hcpcs, icd10, month_year_in_name, mue, preamble_span, ptp

    assert preamble_span(f"Effective January 1, {digits} through March 31, {digits}") is None
    assert preamble_span("Effective January \uff11, 2026 through March 31, 2026") is None
    assert month_year_in_name(f"january-{digits}-asp-pricing.zip") is None
    assert month_year_in_name(f"{digits}-q1.zip") is None
    assert fees._release(f"PPRRVU{digits}_Oct.csv") is None
    assert fees._release(f"{digits} National Physician Fee Schedule Relative Value File October Release") is None
    assert hcpcs.NAME.search(f"HCPC{digits}_JAN_ANWEB.txt") is None
    assert icd10.FY.search(f"icd10cm_order_{digits}.txt") is None
    assert mue.EFF.search(f"MCR_MUE_PractitionerServices_Eff_07-01-{digits}.csv") is None
    assert ptp.VERSION.search("ccipra-v\uff13\uff12\uff11r0-f1.txt") is None
    # ASCII digits read as before
    assert preamble_span("Effective January 1, 2026 through March 31, 2026") == (date(2026, 1, 1), date(2026, 3, 31))
    assert month_year_in_name("january-2026-asp-pricing.zip") == date(2026, 1, 1)
    assert month_year_in_name("2026-q3.zip") == date(2026, 7, 1)
    assert fees._release("PPRRVU2025_Oct.csv") == (date(2025, 10, 1), date(2025, 12, 31))


def _crosswalk_with(bad_rows: int, good_rows: int = 200) -> bytes:
    """A synthetic crosswalk of `good_rows` rows with 5-4-2 NDCs, then `bad_rows` rows whose NDC has 12 digits (the
    January 2026 file's J7331 row at line ~4897 holds "888867413689")."""
    head = CROSSWALK.read_text(encoding="cp1252").split("_2023_CODE", 1)[0]
    header = "_2025_CODE,Short Description,LABELER NAME,NDC2,Drug Name,HCPCS dosage,PKG SIZE,PKG QTY,BILLUNITS," \
             "BILLUNITSPKG,\n"
    good = "".join(f"J1459,Inj ivig privigen 500 mg,SYNTHETIC LABS,99999-{n:04d}-01,Synthetic,500 MG,50,1,10,10,\n"
                   for n in range(good_rows))
    bad = "J7331,Synojoynt inj 1 mg,SYNTHETIC LABS,888867413689,Synthetic,1 MG,2,1,1,1,\n" * bad_rows
    return (head + header + good + bad).encode("cp1252")


def test_a_crosswalk_row_whose_ndc_cannot_be_an_ndc_is_skipped_and_reported(home, tmp_path):
    """One row of an official crosswalk with a 12-digit NDC refused the whole file, so the January 2026 release could
    not be imported. The row can match no claim: it is skipped and reported with file, line and column, and the
    other rows are imported."""
    data = _crosswalk_with(bad_rows=1)
    [parsed] = parse_all(Source("crosswalk.csv", data), "crosswalk", Options())
    line = 10 + 200  # the header is line 9
    assert len(parsed.rows) == 200
    assert parsed.skipped == [f"crosswalk.csv: line {line}, column 4: '888867413689' is not an NDC: give 11 digits, "
                              "or 10 digits with hyphens (4-4-2, 5-3-2, 5-4-1); row skipped"]
    path = tmp_path / "crosswalk.csv"
    path.write_bytes(data)
    r = run_cli("data", "import", "crosswalk", str(path))
    assert r.returncode == 0, r.stderr
    assert "200 rows" in r.stdout and "1 row skipped" in r.stdout
    assert f"warning: {path.name}: line {line}, column 4: '888867413689' is not an NDC" in r.stderr


@pytest.mark.parametrize("bad_rows", [1, 50])
def test_a_zip_member_name_with_control_characters_is_shown_escaped(home, tmp_path, bad_rows):
    """A zip member's name reaches the skipped-row warning (1 bad row) and the refusal (50): its ESC and line break
    are written as escapes, so it cannot clear the terminal or start a line of its own."""
    member = "\x1b[2J\ncrosswalk.csv"
    path = tmp_path / "crosswalk.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, _crosswalk_with(bad_rows=bad_rows))
    r = run_cli("data", "import", "crosswalk", str(path))
    assert r.returncode == (0 if bad_rows == 1 else 2), r.stderr
    assert "\x1b" not in r.stderr + r.stdout
    [problem] = r.stderr.splitlines()
    assert problem.startswith("warning: " if bad_rows == 1 else "crosswalk.zip!")
    assert "crosswalk.zip!\\x1b[2J\\ncrosswalk.csv: line 210, column 4: '888867413689' is not an NDC" in problem


@pytest.mark.parametrize("good_rows,bad_rows", [(0, 3), (200, 3), (20, 20)])
def test_a_crosswalk_with_more_than_a_few_bad_ndcs_is_still_refused(good_rows, bad_rows):
    """Past MAX_SKIPPED_SHARE of its rows, bad NDCs mean a wrong or damaged file, not a stray row: refused, naming
    the first bad row."""
    with pytest.raises(ImportFailure) as exc:
        parse_all(Source("crosswalk.csv", _crosswalk_with(bad_rows, good_rows)), "crosswalk", Options())
    assert (exc.value.line, exc.value.column) == (10 + good_rows, 4), str(exc.value)
    assert f"{bad_rows} of {good_rows + bad_rows} rows" in exc.value.message


NDC_HEADER = "PRODUCTID\tPRODUCTNDC\tNDCPACKAGECODE\tPACKAGEDESCRIPTION\tSTARTMARKETINGDATE\tENDMARKETINGDATE\t" \
             "NDC_EXCLUDE_FLAG\tSAMPLE_PACKAGE\n"


def _ndc_directory_with(bad: str, bad_rows: int, good_rows: int = 200) -> bytes:
    """A synthetic FDA NDC Directory package file of `good_rows` rows, then `bad_rows` copies of the row `bad`."""
    good = "".join(f"99999-{n:04d}_synthetic\t99999-{n:04d}\t99999-{n:04d}-01\t1 VIAL in 1 CARTON > 10 mL in 1 VIAL"
                   "\t20250101\t\tN\tN\n" for n in range(good_rows))
    return (NDC_HEADER + good + bad * bad_rows).encode()


NDC_DIRECTORY_BAD_ROWS = [  # a row no claim can use, its column, and the start of why
    ("x\t99999-9999\t99999-9999-012\t1 VIAL in 1 CARTON\t20250101\t\tN\tN\n", 3, "'99999-9999-012' has segments 5-4-3"),
    ("x\t99999-9999\t99999-9999-01\t1 VIAL in 1 CARTON\t2025013\t\tN\tN\n", 5, "'2025013' is not a date"),
]


@pytest.mark.parametrize("bad,column,why", NDC_DIRECTORY_BAD_ROWS)
def test_an_ndc_directory_row_no_claim_can_use_is_skipped_and_reported(bad, column, why):
    """One package row whose NDC cannot be an NDC, or whose marketing date does not exist, refused the whole FDA
    directory: it is skipped and reported with file, line and column, as a crosswalk's (importers.skipped_rows)."""
    [parsed] = parse_all(Source("package.txt", _ndc_directory_with(bad, 1)), "ndc_directory", Options())
    assert len(parsed.rows) == 200
    [note] = parsed.skipped
    assert note.startswith(f"package.txt: line 202, column {column}: {why}") and note.endswith("; row skipped")


@pytest.mark.parametrize("bad,column,why", NDC_DIRECTORY_BAD_ROWS)
@pytest.mark.parametrize("good_rows,bad_rows", [(0, 1), (0, 3), (200, 3)])
def test_an_ndc_directory_with_more_than_a_few_unusable_rows_is_still_refused(bad, column, why, good_rows, bad_rows):
    with pytest.raises(ImportFailure) as exc:
        parse_all(Source("package.txt", _ndc_directory_with(bad, bad_rows, good_rows)), "ndc_directory", Options())
    assert (exc.value.line, exc.value.column) == (2 + good_rows, column), str(exc.value)
    assert exc.value.message.startswith(why) and f"{bad_rows} of {good_rows + bad_rows} rows" in exc.value.message


def test_an_ndc_directory_rows_unreadable_end_date_is_named_by_its_own_column():
    """A bad ENDMARKETINGDATE was reported at STARTMARKETINGDATE's column (5): the column named is now its own (6)."""
    bad = "x\t99999-9999\t99999-9999-01\t1 VIAL in 1 CARTON\t20250101\t2025013\tN\tN\n"
    [parsed] = parse_all(Source("package.txt", _ndc_directory_with(bad, 1)), "ndc_directory", Options())
    assert parsed.skipped == ["package.txt: line 202, column 6: '2025013' is not a date YYYYMMDD; row skipped"]


def test_an_ndc_directory_keeps_packages_marketed_before_cms_dates_began():
    """The FDA directory lists when a labeler began marketing each package, and products sold for decades keep
    their old dates (1938, 1952): the CMS range (1980 on) refused them, so old packages were skipped, and a directory
    with more than 1 % of them refused. From 1900 on they are read; 1899 is still a damaged cell."""
    old = [f"x\t99999-99{n:02d}\t99999-99{n:02d}-01\t1 VIAL in 1 CARTON > 10 mL in 1 VIAL\t{day}\t\tN\tN\n"
           for n, day in enumerate(("19000101", "19380625", "19520101", "19791231"))]
    [parsed] = parse_all(Source("package.txt", _ndc_directory_with("".join(old), 1, good_rows=4)), "ndc_directory",
                         Options())
    assert parsed.skipped == [] and len(parsed.rows) == 8
    assert sorted(r[4] for r in parsed.rows)[:4] == ["1900-01-01", "1938-06-25", "1952-01-01", "1979-12-31"]
    too_old = "x\t99999-9999\t99999-9999-01\t1 VIAL in 1 CARTON\t18991231\t\tN\tN\n"
    [parsed] = parse_all(Source("package.txt", _ndc_directory_with(too_old, 1)), "ndc_directory", Options())
    assert parsed.skipped == ["package.txt: line 202, column 5: '18991231' is not a date the FDA NDC directory holds "
                              "(1900 to 2100); row skipped"]


def test_unusable_rows_up_to_one_in_a_hundred_are_skipped_and_more_refuse_the_file():
    """MAX_SKIPPED_SHARE on both sides: 1 unusable row of 100 (1 %) is skipped and reported; 2 of 100 refuse it."""
    [parsed] = parse_all(Source("crosswalk.csv", _crosswalk_with(1, 99)), "crosswalk", Options())
    assert len(parsed.rows) == 99 and len(parsed.skipped) == 1
    with pytest.raises(ImportFailure) as exc:
        parse_all(Source("crosswalk.csv", _crosswalk_with(2, 98)), "crosswalk", Options())
    assert "2 of 100 rows" in exc.value.message
