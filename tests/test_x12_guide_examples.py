"""The 5010 implementation guides' example 837P/837I files, as another X12 project tests with them
(tests/data/x12-guide-examples/README.md): every CLM comes out once, in file order, as a result or an error
naming the segment; a claim without immune globulin is an info finding (CLAIM-NO-IG), never an error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from igclaim.readers.scrub import scrub_837
from igclaim.readers.x12 import WrittenClaim, read_837
from tests.conftest import run_cli

DATA = Path(__file__).parent / "data" / "x12-guide-examples"
FILES = sorted(p for p in DATA.iterdir() if p.suffix in (".837", ".837i"))
BROKEN = {"ppo-repriced-claim.837i"}  # composites with '>' while ISA16 declares ':' (README)


def _claim_ids(path: Path) -> list[str]:
    return re.findall(r"(?:^|~)\s*CLM\*([^*~]+)", path.read_text())


def test_the_examples_are_there():
    assert len(FILES) == 8 and {p.suffix for p in FILES} == {".837", ".837i"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_claim_is_a_result_or_an_error_in_order(path):
    items = list(scrub_837(path))
    assert [i.claim_id for i in items] == _claim_ids(path)  # no envelope error, no claim lost or added
    for item in items:
        if path.name in BROKEN:
            assert item.error is not None and (item.error.segment, item.error.element) == ("SV2", "SV202-2")
            continue
        assert item.error is None, item.error
        edits = [(f.edit, f.severity) for f in item.result.findings]
        assert ("CLAIM-NO-IG", "info") in edits
        assert {sev for _, sev in edits} == {"info"}, edits


@pytest.mark.parametrize("name,kind,guide,setting", [
    ("demo.example1.837", "837P", "005010X222A2", "office"),
    ("demo.ambulance.example5.837", "837P", "005010X222A2", "office"),
    ("institutional-claim.837i", "837I", "005010X223A3", "hospital_outpatient"),
])
def test_read_as_the_guide_says(name, kind, guide, setting):
    (wc,) = [i for i in read_837(DATA / name) if isinstance(i, WrittenClaim)]
    assert (wc.transaction, wc.guide, wc.setting) == (kind, guide, setting)
    assert wc.claim.lines and all(ln.units >= 1 for ln in wc.claim.lines)
    assert sum(wc.line_charges) == wc.total_charge


def test_example1_dependent_and_diagnoses():
    (wc,) = read_837(DATA / "demo.example1.837")
    assert isinstance(wc, WrittenClaim)
    assert wc.claim_id == "26463774" and wc.claim.place_of_service == "11"
    assert wc.patient is not None and (wc.patient.last_name, wc.patient.first_name) == ("SMITH", "TED")
    assert wc.subscriber is not None and wc.subscriber.relationship == "child"  # PAT01 19
    assert [ln.code for ln in wc.claim.lines] == ["99213", "87070", "99214", "86663"]
    assert [ln.diagnosis_pointers for ln in wc.claim.lines] == [[1], [1], [2], [2]]
    assert len(wc.claim.diagnoses) == 2


def test_drug_example_ndc_read():
    (wc,) = read_837(DATA / "demo.drug.example10.1.837")
    assert isinstance(wc, WrittenClaim)
    j = wc.claim.lines[1]
    assert (j.code, j.ndc, j.ndc_quantity, j.ndc_unit) == ("J1550", "00026063512", 10, "ML")


def _privigen(units: str, qty: str, unit: str = "ML", dos: str = "20260302", mods: str = "") -> str:
    """The guide's drug example, its J1550 line replaced by Privigen (J1459, 500 mg a unit; NDC 44206-0437-10,
    10 g in 100 mL, 20 billing units a package in the bundled CMS crosswalk), Medicare Part B in 2026."""
    text = (DATA / "demo.drug.example10.1.837").read_text()
    text = text.replace("HC:J1550*53.37*UN*1.00", f"HC:J1459{mods}*53.37*UN*{units}")
    text = text.replace("N4*00026063512", "N4*44206043710").replace("CTP****10.00*ML", f"CTP****{qty}*{unit}")
    return text.replace("D8*20040711", f"D8*{dos}").replace("******CI~", "******MB~")


def _findings(text: str, edit: str):
    (item,) = scrub_837(_io(text))
    assert item.error is None, item.error
    assert "CLAIM-NO-IG" not in {f.edit for f in item.result.findings}
    return [f for f in item.result.findings if f.edit == edit]


@pytest.mark.parametrize("units,qty,unit,want", [
    ("10", "100", "ML", 20),   # 100 mL = one 100 mL package × 20 billing units (crosswalk)
    ("20", "100", "ML", None),
    ("19", "95", "ML", None),  # 95 mL = 0.95 package × 20 = 19
    ("10", "2", "UN", 40),     # two packages
    ("40", "2", "UN", None),
    ("30", "10", "GR", 20),    # grams: 10 g ÷ 500 mg (no crosswalk step for grams)
    ("20", "10", "GR", None),
])
def test_units_against_the_ndc_quantity_and_crosswalk(units, qty, unit, want):
    found = _findings(_privigen(units, qty, unit, mods=":JZ"), "DRUG-UNITS")
    if want is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].line == 2 and found[0].severity == "warning"
        assert f"says {want} units" in found[0].message and found[0].impact_units == want - int(units)


@pytest.mark.parametrize("mods,dos,bad", [
    (":JZ", "20221231", ["JZ"]),   # JZ from 2023-01-01
    (":JZ", "20230101", []),
    (":JA:JZ", "20260302", []),
    (":XS", "20141231", ["XS"]),  # X{EPSU} from 2015-01-01
    (":XS", "20150101", []),
    (":GX", "20100331", []),    # a liability modifier: PAYER-ABN-MODIFIER, not this edit
    (":JZ:25", "20260302", []),    # a modifier outside refdata/cms/modifiers.toml: left alone
])
def test_modifiers_valid_by_date_without_a_chart(mods, dos, bad):
    found = _findings(_privigen("20", "100", mods=mods, dos=dos), "CLAIM-MODIFIER-DATE")
    assert [f.message.split("modifier ")[1].split(" ")[0] for f in found] == bad
    assert all(f.line == 2 and f.severity == "error" for f in found)


def test_liability_modifier_dates_without_a_chart():
    found = _findings(_privigen("20", "100", mods=":GX", dos="20100331"), "PAYER-ABN-MODIFIER")
    assert any("GX is not a valid modifier on 2010-03-31" in f.message for f in found)
    found = _findings(_privigen("20", "100", mods=":GX", dos="20100401"), "PAYER-ABN-MODIFIER")
    assert not any("not a valid modifier" in f.message for f in found)


def test_cli_on_a_guide_example(tmp_path):
    """JSON (piped): one result a line and nothing else; tables: one per claim and the file's closing count;
    a claim that cannot be read is a line on stderr and exit 2, after the others."""
    two, broken = str(DATA / "two-claims-single-provider.837i"), str(DATA / "ppo-repriced-claim.837i")
    res = run_cli("scrub", two, "--format", "json")
    assert res.returncode == 0, res.stderr
    assert [line.count('"CLAIM-NO-IG"') for line in res.stdout.splitlines()] == [1, 1]
    res = run_cli("scrub", two, broken, "--format", "table")
    assert res.returncode == 2
    assert res.stdout.count("CLAIM-NO-IG") == 2
    assert "two-claims-single-provider.837i: 2 claims = 2 scrubbed + 0 not read\n" in res.stdout
    assert "ppo-repriced-claim.837i: 1 claim = 0 scrubbed + 1 not read (listed on stderr)" in res.stdout
    assert res.stderr.splitlines() == [f"{broken}: claim 456DFH43: segment 43 (SV2 SV202-2): procedure code missing"]


def _io(text: str):
    import io

    return io.StringIO(text)


def test_batch_of_a_guide_example(tmp_path):
    from igclaim.batch import run_batch

    summary = run_batch(DATA / "two-claims-single-provider.837i", tmp_path / "out", workers=1)
    assert (summary.records, summary.results, summary.errors) == (2, 2, 0) and summary.accounted
    summary = run_batch(DATA / "ppo-repriced-claim.837i", tmp_path / "bad", workers=1)
    assert (summary.records, summary.results, summary.errors) == (1, 0, 1)


@pytest.mark.parametrize("name,gs08,st03,kind", [
    ("demo.example1.837", "005010X222A1", "005010X222A1", "837P"),
    ("demo.example1.837", "005010X222A1", "", "837P"),  # ST03 is optional: GS08 names the guide
    ("demo.example1.837", "005010X222A2", "", "837P"),
    ("demo.example1.837", "005010X222A1", "005010X222A2", "837P"),  # ST03 wins over GS08
    ("institutional-claim.837i", "005010X223A2", "005010X223A2", "837I"),
    ("institutional-claim.837i", "005010X223A2", "", "837I"),
    ("institutional-claim.837i", "005010X223A3", "", "837I"),
])
def test_guide_versions_in_gs08_and_st03(name, gs08, st03, kind):
    text = (DATA / name).read_text()
    guide = re.search(r"GS\*(?:[^*]*\*){7}([^~]*)~", text).group(1)
    text = text.replace(f"*X*{guide}~", f"*X*{gs08}~", 1)
    text = re.sub(r"ST\*837\*(\w+)\*[^~]*~", lambda m: f"ST*837*{m.group(1)}" + (f"*{st03}~" if st03 else "~"),
                  text, count=1)
    items = list(read_837(_io(text)))
    assert items and all(isinstance(i, WrittenClaim) for i in items), items
    assert {(i.transaction, i.guide) for i in items} == {(kind, st03 or gs08)}
