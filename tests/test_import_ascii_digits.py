"""The importers read codes, article ids and header labels only from the digits 0-9: \\d takes any script's digits,
so a file holding "J１５６１" (fullwidth digits) stored a code no claim can ever match, without a word. Such a cell
is now refused with line and column as any other malformed one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from igclaim.refdata.importers import ImportFailure, Options, Source, parse_all

FIX = Path(__file__).parent / "fixtures" / "cms"
FULLWIDTH = "J\uff11\uff15\uff16\uff11"  # J１５６１
ARABIC_INDIC = "J\u0661\u0665\u0666\u0661"  # J١٥٦١


def _source(name: str, old: str, new: str, encoding: str = "cp1252") -> Source:
    """A fixture with one cell changed, written as UTF-8 (the bytes of a fullwidth digit are no Windows-1252)."""
    text = (FIX / name).read_text(encoding=encoding)
    assert old in text
    return Source(name, text.replace(old, new, 1).encode("utf-8"))


# (kind, fixture, text replaced, with {code} in place of the code, line, column, message's end)
HCPCS_USERS = [
    ("asp", "asp-pricing-2026q2-synthetic.csv", "J1459,Inj ivig", "{code},Inj ivig", 12, 1, "is not a HCPCS code"),
    ("crosswalk", "asp-ndc-hcpcs-crosswalk-2024q1-real-excerpt.csv", "J1459,Inj ivig privigen 500 mg,CSL",
     "{code},Inj ivig privigen 500 mg,CSL", 10, 1, "is not a HCPCS code"),
    ("mue", "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv", "J1561,100,", "{code},100,", 10, 1,
     "is not a HCPCS/CPT code"),
    ("ptp", "ccipra-v321r0-f1-synthetic.txt", "96365\t36000\t", "{code}\t36000\t", 7, 1, "is not a HCPCS/CPT code"),
    ("ptp", "ccipra-v321r0-f1-synthetic.txt", "96365\t36000\t", "96365\t{code}\t", 7, 2, "is not a HCPCS/CPT code"),
    ("fees", "fees-contract-2026-synthetic.csv", "96365,150.00", "{code},150.00", 2, 1, "is not a HCPCS/CPT code"),
]


@pytest.mark.parametrize("code", [FULLWIDTH, ARABIC_INDIC, "\uff19\uff16\uff13\uff16\uff15"])
@pytest.mark.parametrize("kind,name,old,new,line,column,says", HCPCS_USERS)
def test_a_hcpcs_code_not_in_the_digits_0_9_is_refused_with_line_and_column(kind, name, old, new, line, column,
                                                                              says, code):
    """asp.CODE (shared by the ASP, crosswalk, MUE, PTP and fee importers) matched \\d: "J１５６１" was stored."""
    source = _source(name, old, new.format(code=code))
    with pytest.raises(ImportFailure) as exc:
        parse_all(source, kind, Options(effective=date(2026, 1, 1), schedule="acme"))
    assert (exc.value.line, exc.value.column) == (line, column), str(exc.value)
    assert exc.value.message == f"{code!r} {says}"


@pytest.mark.parametrize("kind,name,old,new,line,column,says", HCPCS_USERS)
def test_the_same_files_with_ascii_codes_import(kind, name, old, new, line, column, says):
    parsed = parse_all(_source(name, old, new.format(code="J1561")), kind,
                       Options(effective=date(2026, 1, 1), schedule="acme"))
    assert any("J1561" in row[:2] for p in parsed for row in p.rows)


@pytest.mark.parametrize("article", ["A\uff15\uff16\uff17\uff17\uff19", "A\u0665\u0666\u0667\u0667\u0669",
                                     "A5677\uff19"])
def test_a_coverage_article_id_not_in_the_digits_0_9_is_refused_with_line_and_column(article):
    """The article id pattern (mac.ARTICLE_ID) matched \\d: "A５６７７９" became an article of its own that no claim's
    contractor names."""
    source = Source("codes.csv", f"article_id,group,icd10_code\nA56779,1,D83.9\n{article},1,D80.0\n".encode())
    with pytest.raises(ImportFailure) as exc:
        parse_all(source, "coverage", Options(effective=date(2026, 1, 1)))
    assert (exc.value.line, exc.value.column) == (3, 1), str(exc.value)
    assert exc.value.message == f"{article!r} is not an article id (A12345)"
    [parsed] = parse_all(Source("codes.csv", b"article_id,group,icd10_code\nA56779,1,D83.9\n"), "coverage",
                         Options(effective=date(2026, 1, 1)))
    assert (parsed.scope, parsed.rows) == ("A56779", [("A56779", 1, "D839")])


@pytest.mark.parametrize("article", ["A\uff15\uff16\uff17\uff17\uff19", "A\u0665\u0666\u0667\u0667\u0669"])
def test_a_contractor_named_by_an_article_id_not_in_the_digits_0_9_is_refused(article):
    """The same pattern named a contractor (a chart's or a payer profile's) by an article id: "A５６７７９" was kept."""
    from igclaim.refdata.mac import parse_contractor

    with pytest.raises(ValueError, match="is not a Medicare contractor"):
        parse_contractor(article)
    assert parse_contractor("a56779") == "A56779"


@pytest.mark.parametrize("label", ["_\uff12\uff10\uff12\uff13_CODE", "_\u0662\u0660\u0662\u0663_CODE"])
def test_a_crosswalk_header_label_not_in_the_digits_0_9_is_no_header(label):
    """crosswalk.HEADER matched \\d: a first column "_２０２３_CODE" was taken for CMS's _<YYYY>_CODE header."""
    source = _source("asp-ndc-hcpcs-crosswalk-2024q1-real-excerpt.csv", "_2023_CODE,", f"{label},")
    with pytest.raises(ImportFailure) as exc:
        parse_all(source, "crosswalk", Options())
    assert exc.value.line is None
    assert exc.value.message.startswith("no header record starting with _<YYYY>_CODE")
    [parsed] = parse_all(_source("asp-ndc-hcpcs-crosswalk-2024q1-real-excerpt.csv", "_2023_CODE,", "_2023_code,"),
                         "crosswalk", Options())
    assert parsed.rows


@pytest.mark.parametrize("kind,member,fixture", [
    ("hcpcs", "HCPC\uff12\uff10\uff12\uff16_APR_ANWEB.txt", "HCPC2026_APR_ANWEB-synthetic.txt"),
    ("icd10", "icd10cm_order_\uff12\uff10\uff12\uff16.txt", "icd10cm_order_2026-real-excerpt.txt")])
def test_a_zip_member_named_in_other_digits_is_not_taken_for_the_file(tmp_path, kind, member, fixture):
    """hcpcs.MEMBER and icd10.MEMBER matched \\d: a zip member "HCPC２０２６_APR_ANWEB.txt" was read as the HCPCS
    file."""
    import zipfile

    from igclaim.refdata.importers import read_sources

    path = tmp_path / f"{kind}.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, (FIX / fixture).read_bytes())
    with pytest.raises(ImportFailure) as exc:
        read_sources(path, kind)
    assert exc.value.message.startswith(f"no {kind} file inside the zip"), str(exc.value)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(fixture, (FIX / fixture).read_bytes())
    assert [s.name for s in read_sources(path, kind)] == [f"{kind}.zip!{fixture}"]


@pytest.mark.parametrize("part,read", [("f\uff11", ""), ("f\u0661", ""), ("f1", "f1"), ("F2", "f2")])
def test_a_ptp_part_is_read_only_from_the_digits_0_9(part, read):
    """ptp.PART matched \\d: a file named "…-f１.txt" was stored as part "f１", another part than f1's."""
    name = f"ccipra-v321r0-{part}.txt"
    [parsed] = parse_all(Source(name, (FIX / "ccipra-v321r0-f1-synthetic.txt").read_bytes()), "ptp",
                         Options(effective=date(2026, 1, 1)))
    assert parsed.part == read


@pytest.mark.parametrize("code", [FULLWIDTH, ARABIC_INDIC])
def test_a_hcpcs_txt_code_not_in_the_digits_0_9_is_refused_with_line_and_column(code):
    """The HCPCS TXT records' codes were stored unchecked (the xlsx/CSV rows' were checked [A-Z0-9]{2,5}): a record
    of "J１５６１" was a code no claim can match. The TXT's are now checked the same way."""
    name = "HCPC2026_APR_ANWEB-synthetic.txt"
    text = (FIX / name).read_text(encoding="ascii")
    assert text.count("\nJ1561") == 2
    source = Source(name, text.replace("\nJ1561", f"\n{code}").encode("utf-8"))
    with pytest.raises(ImportFailure) as exc:
        parse_all(source, "hcpcs", Options())
    assert (exc.value.line, exc.value.column) == (2, 1), str(exc.value)
    assert exc.value.message == f"{code!r} is not a HCPCS code or modifier"
    [parsed] = parse_all(Source(name, text.encode()), "hcpcs", Options())
    assert {r[0] for r in parsed.rows} >= {"A1", "J1561"}


def test_the_limits_page_tells_what_the_importers_read_only_from_the_digits_0_9():
    """docs/limits.md listed the importers' prices but not their codes, dates and billing units."""
    page = (Path(__file__).parent.parent / "docs" / "limits.md").read_text(encoding="utf-8")
    [row] = [ln for ln in page.splitlines() if ln.startswith("| a code, date or billing unit in an imported CMS file")]
    for told in ("[0-9]", "YYYYMMDD", "BILLUNITSPKG", "article", "file, line and column", "--effective"):
        assert told in row, told


@pytest.mark.parametrize("code", ["\u017f1561", "J156\u0131", "\u017f\u017f561"])  # ſ1561, J156ı, ſſ561
@pytest.mark.parametrize("kind,name,old,new,line,column,says", HCPCS_USERS)
def test_a_code_that_upper_casing_would_make_ascii_is_refused(kind, name, old, new, line, column, says, code):
    """The importers upper-cased a code before checking it, and str.upper() maps some other letters to ASCII ones
    ('ſ' to 'S', 'ı' to 'I'): 'ſ1561' was stored as S1561, a code the file does not hold. Only ASCII is upper-cased
    (importers.ascii_upper); anything else is checked as written, so refused with line and column."""
    source = _source(name, old, new.format(code=code))
    with pytest.raises(ImportFailure) as exc:
        parse_all(source, kind, Options(effective=date(2026, 1, 1), schedule="acme"))
    assert (exc.value.line, exc.value.column) == (line, column), str(exc.value)
    assert exc.value.message == f"{code!r} {says}"
