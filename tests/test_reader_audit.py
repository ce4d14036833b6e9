"""The 837 input path (a claim someone wrote, read from an 837P/837I and scrubbed), as an outside audit found it:
claims lost without a word, facts of the written claim dropped when a chart joins, and written numbers no edit
compared. Each test names the finding it answers."""

from __future__ import annotations

import io
import json

import pytest

from igclaim.readers.x12 import MAX_SEGMENT, ReadError, WrittenClaim, read_837
from tests.conftest import ROOT

CHART_PATH = ROOT / "examples" / "parties" / "office-gamunex-jz.json"
CHART = json.loads(CHART_PATH.read_text())


def _read(text: str) -> list:
    return list(read_837(io.StringIO(text)))


def _flat(x12_text: str) -> str:
    """igclaim's own 837P of the office chart, with no line breaks between its segments."""
    return x12_text.replace("~\n", "~")


# --- F1: a segment terminator other than the one the ISA declares --------------------------------------------------

def _declare(text: str, terminator: str) -> str:
    """The interchange with its ISA's last character (the segment terminator it declares) changed."""
    return text[:105] + terminator + text[106:]


def test_segments_ended_by_another_terminator_than_the_isas_are_one_isa_error(x12_text):
    """The ISA declares '|' and every segment ends with '~': 0 results and two envelope errors at "segment 2
    (IEA)" (IEA and GE missing), the claims gone without a word."""
    for text in (_flat(x12_text), x12_text):  # with or without line breaks after each '~'
        items = _read(_declare(text, "|"))
        (err,) = items
        assert isinstance(err, ReadError)
        assert (err.segment, err.position, err.element) == ("ISA", 1, "ISA16")
        assert "ends its segments with '~'" in err.message and "declares '|'" in err.message


def test_another_terminator_in_a_file_longer_than_a_segment_may_be_is_named_too(x12_text):
    text = _flat(x12_text)
    start, end = text.index("CLM*"), text.index("SE*")
    claim = text[start:end]
    big = _declare(text[:start] + claim * (MAX_SEGMENT // len(claim) + 2) + text[end:], "|")
    (err,) = _read(big)
    assert err.element == "ISA16" and "ends its segments with '~'" in err.message


def test_a_value_holding_punctuation_is_not_taken_for_another_terminator(x12_text):
    text = _flat(x12_text).replace("*1234567893*00952*", "*12345-67893*00952*", 1)  # GS02 with a hyphen
    assert text != _flat(x12_text)
    assert [type(i) for i in _read(text)] == [WrittenClaim]


# --- F2: a correction or void in the 837 is kept when a chart joins ------------------------------------------------

def _corrected(x12_text: str, frequency: str, filed: str = "20270601") -> str:
    """The 837 as a replacement (7) or void (8) of the payer's claim PAYERICN555, sent (BHT04) on `filed`."""
    text = _flat(x12_text)
    bht = next(s for s in text.split("~") if s.startswith("BHT*"))
    els = bht.split("*")
    els[4] = filed
    text = text.replace(bht, "*".join(els))
    text = text.replace("*11:B:1*", f"*11:B:{frequency}*").replace("~HI*", "~REF*F8*PAYERICN555~HI*", 1)
    return _recount(text)


def _recount(text: str) -> str:
    """SE01 (the transaction's segment count, ST to SE) made right after segments were added or taken away."""
    segs = text.split("~")
    st = next(i for i, s in enumerate(segs) if s.startswith("ST*"))
    se = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
    segs[se] = f"SE*{se - st + 1}*" + segs[se].split("*", 2)[2]
    return "~".join(segs)


def _scrub_with_chart(text: str):
    from igclaim.inputs import parse_encounter
    from igclaim.readers.scrub import Charts, scrub_837

    charts = Charts()
    charts.add(parse_encounter(CHART))
    (item,) = scrub_837(io.StringIO(text), charts)
    assert item.error is None, item.error
    return item


def test_a_void_filed_late_is_the_same_warning_with_its_chart_as_without(x12_text):
    """A void filed after the limit, joined to its chart, was CLAIM-FILING-LIMIT as an error with -$2,944.56 (the
    void read as an original claim); without the chart it is a warning to verify, with no money at stake."""
    from igclaim import engine

    text = _corrected(x12_text, "8")
    (written,) = _read(text)
    alone = [(f.edit, f.severity, f.impact_usd) for f in engine.scrub_without_chart(written).findings
             if f.edit == "CLAIM-FILING-LIMIT"]
    item = _scrub_with_chart(text)
    assert item.joined_by == "claim id"
    joined = [(f.edit, f.severity, f.impact_usd) for f in item.result.findings if f.edit == "CLAIM-FILING-LIMIT"]
    assert joined == alone == [("CLAIM-FILING-LIMIT", "warning", None)]


def test_the_chart_joined_carries_the_837s_replacement_or_void(x12_text):
    from igclaim.inputs import parse_encounter
    from igclaim.readers.scrub import joined

    chart = parse_encounter(CHART)
    assert chart.correction is None
    for frequency in ("7", "8"):
        (written,) = _read(_corrected(x12_text, frequency, filed="20260310"))
        enc = joined(chart, written)
        assert enc.correction is not None
        assert (enc.correction.frequency, enc.correction.original_claim_id) == (frequency, "PAYERICN555")
    (original,) = _read(_flat(x12_text))
    assert joined(chart, original).correction is None


def test_a_late_replacement_is_held_to_the_limit_with_its_chart_as_without(x12_text):
    """A replacement is a claim like any other for the filing limit (CGS): an error either way."""
    from igclaim import engine

    text = _corrected(x12_text, "7")
    (written,) = _read(text)
    alone = [(f.edit, f.severity) for f in engine.scrub_without_chart(written).findings
             if f.edit == "CLAIM-FILING-LIMIT"]
    joined = [(f.edit, f.severity) for f in _scrub_with_chart(text).result.findings if f.edit == "CLAIM-FILING-LIMIT"]
    assert joined == alone == [("CLAIM-FILING-LIMIT", "error")]


# --- F5: a written administration code with fewer units than the chart supports; a line of 0 units ---------------

def _units(x12_text: str, code: str, units: int) -> str:
    text = _flat(x12_text)
    line = next(s for s in text.split("~") if s.startswith(f"SV1*HC:{code}*"))
    els = line.split("*")
    els[4] = str(units)
    return text.replace(line, "*".join(els))


def test_an_administration_code_written_with_0_units_is_the_unit_left_unbilled(x12_text):
    """96365 × 0 where the chart supports 96365 × 1 scrubbed clean: no edit compared an administration code's
    units unless it was an add-on. The unit at stake is the finding's impact (priced in dollars as every
    administration finding is: not yet, coding/payment.py prices finding impacts by the ASP file only)."""
    item = _scrub_with_chart(_units(x12_text, "96365", 0))
    found = [(f.edit, f.line, f.impact_units) for f in item.result.findings]
    assert found == [("CLAIM-LINE-MISSING", 2, 1)], item.result.findings
    assert "96365 × 0 billed; the chart supports 96365 × 1" in item.result.findings[0].message


def test_more_units_of_an_initial_code_than_supported_stay_the_duplicates_finding(x12_text):
    item = _scrub_with_chart(_units(x12_text, "96365", 2))
    assert [(f.edit, f.line, f.impact_units) for f in item.result.findings] == [("ADMIN-INITIAL-DUPLICATE", 2, -1)]


def test_an_add_on_of_0_units_is_told_once_by_its_units_edit(x12_text):
    item = _scrub_with_chart(_units(x12_text, "96366", 0))
    assert [(f.edit, f.line, f.impact_units) for f in item.result.findings] == [("ADMIN-ADDON-UNITS", 3, 4)]


def test_a_line_of_0_units_without_its_chart_is_a_warning(x12_text):
    from igclaim import engine

    (written,) = _read(_units(x12_text, "96365", 0))
    (zero,) = [f for f in engine.scrub_without_chart(written).findings if f.edit == "CLAIM-UNITS-ZERO"]
    assert (zero.severity, zero.line) == ("warning", 2) and "96365 × 0" in zero.message


# --- F6: CLM02 against the sum of the line charges --------------------------------------------------------------

GOLDEN = ROOT / "tests" / "golden"


def _total(text: str, total: str) -> str:
    clm = next(s for s in text.split("~") if s.lstrip().startswith("CLM*"))
    els = clm.split("*")
    els[2] = total
    return text.replace(clm, "*".join(els))


def _charge_findings(findings) -> list:
    return [(f.edit, f.severity, f.message) for f in findings if f.edit == "CLAIM-CHARGE-TOTAL"]


def test_a_total_charge_that_is_not_the_sum_of_the_lines_is_an_error_with_its_chart_and_without(x12_text):
    """CLM02 99999 with lines of 6000 + 300 + 400 scrubbed clean."""
    from igclaim import engine

    text = _total(_flat(x12_text), "99999")
    item = _scrub_with_chart(text)
    told = [("CLAIM-CHARGE-TOTAL", "error", "The total charge (CLM02) is $99,999.00; the 3 service lines' charges "
             "(SV102) add up to $6,700.00.")]
    assert _charge_findings(item.result.findings) == told
    (written,) = _read(text)
    assert _charge_findings(engine.scrub_without_chart(written).findings) == told


def test_a_balanced_total_is_not_told_however_it_is_written(x12_text):
    from igclaim import engine

    for total in ("6700", "6700.00", "6700.0"):
        (written,) = _read(_total(_flat(x12_text), total))
        assert not _charge_findings(engine.scrub_without_chart(written).findings)
        assert not _charge_findings(_scrub_with_chart(_total(_flat(x12_text), total)).result.findings)


def test_an_837i_total_is_the_sum_of_its_sv203s():
    from igclaim import engine

    text = (GOLDEN / "hospital-gamunex.837i").read_text()
    (written,) = _read(text)
    assert not _charge_findings(engine.scrub_without_chart(written).findings)
    (unbalanced,) = _read(_total(text, str(written.total_charge + 1)))
    ((_, _, message),) = _charge_findings(engine.scrub_without_chart(unbalanced).findings)
    assert "(SV203) add up to" in message


def test_a_charts_written_claim_carries_no_charges_and_is_not_judged():
    from igclaim import engine
    from igclaim.inputs import parse_encounter

    built = engine.build(parse_encounter(CHART)).claim
    enc = parse_encounter({**CHART, "claim": built.model_dump(mode="json", exclude={"priced_total",
                                                                                   "unpriced_lines"})})
    assert not _charge_findings(engine.scrub(enc).findings)


# --- F7: the NDC loop (2410): CTP05 with CTP04, LIN02 N4 -----------------------------------------------------------

def test_an_ndc_quantity_without_its_unit_is_an_error_naming_ctp05(x12_text):
    """CTP****300 (no CTP05) was read with no unit, and no edit told it."""
    text = _flat(x12_text).replace("CTP****300*ML", "CTP****300")
    (err,) = _read(text)
    assert isinstance(err, ReadError) and (err.segment, err.element) == ("CTP", "CTP05")
    assert err.claim_id == "CLM-2026-0001" and "F2, GR, ME, ML, UN" in err.message


def test_an_ndc_under_another_qualifier_than_n4_is_an_error_naming_lin02(x12_text):
    """LIN**UP*… was skipped silently, and its CTP then read as "CTP without its LIN"."""
    text = _flat(x12_text).replace("LIN**N4*", "LIN**UP*")
    (err,) = _read(text)
    assert isinstance(err, ReadError) and (err.segment, err.element) == ("LIN", "LIN02")
    assert "'UP'" in err.message and "N4" in err.message
    (err,) = _read(_flat(x12_text).replace("LIN**N4*", "LIN***"))
    assert err.element == "LIN02" and "missing" in err.message


# --- F8: igclaim's own FHIR Claim given as input --------------------------------------------------------------------

def _fhir_claim() -> dict:
    from tests.conftest import run_cli

    r = run_cli("export", str(CHART_PATH), "--to", "fhir", "--charges", "sample")
    assert r.returncode == 0, r.stderr
    claim = json.loads(r.stdout)
    assert claim["resourceType"] == "Claim"
    return claim


def test_a_fhir_claim_given_as_input_is_one_problem_saying_there_is_no_fhir_claim_input(tmp_path):
    """igclaim's own FHIR Claim output, scrubbed, printed ~30 "unknown field"/"required" lines; a Bundle of Claims
    gave "Encounter: required" and three more."""
    from igclaim.inputs import InvalidInput, parse_encounter
    from tests.conftest import run_cli

    claim = _fhir_claim()
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": claim}, {"resource": claim}]}
    for obj, said in ((claim, "a FHIR Claim is igclaim's output"), (bundle, "its entries are FHIR Claims (2)")):
        with pytest.raises(InvalidInput) as exc:
            parse_encounter(obj)
        (problem,) = exc.value.problems
        assert said in problem and "there is no FHIR Claim input" in problem and "docs/inputs.md" in problem
        path = tmp_path / "claim.json"
        path.write_text(json.dumps(obj))
        for command in ("scrub", "build"):
            r = run_cli(command, str(path))
            assert r.returncode == 2 and r.stderr.count("\n") == 1 and said in r.stderr, r.stderr


def test_another_fhir_resource_alone_is_one_problem_too():
    from igclaim.inputs import InvalidInput, parse_encounter

    with pytest.raises(InvalidInput) as exc:
        parse_encounter({"resourceType": "Patient", "id": "p1"})
    (problem,) = exc.value.problems
    assert "a FHIR 'Patient' resource alone is not a chart" in problem


# --- F10: problems of the file itself are bounded; every claim still comes out ---------------------------------------

def test_a_run_of_empty_segments_is_one_problem(x12_text):
    """5 MB of '~' after the ISA gave 5,000,000 error lines (489 MB on stderr)."""
    text = _flat(x12_text)
    items = _read(text[:106] + "~" * 50_000 + text[106:])
    errors = [i for i in items if isinstance(i, ReadError)]
    assert [i.claim_id for i in items if isinstance(i, WrittenClaim)] == ["CLM-2026-0001"]
    (err,) = errors
    assert err.position == 2 and err.message.startswith("50,000 empty segments in a row (segments 2 to 50001")
    (one,) = [i for i in _read(text.replace("~LX*2~", "~~LX*2~")) if isinstance(i, ReadError)]
    assert one.message == "empty segment (two segment terminators in a row), skipped"


MAX_FILE_PROBLEMS = 100  # readers/x12.py's bound, as docs/limits.md states it


def test_the_files_own_problems_are_listed_up_to_a_bound_and_counted_past_it(x12_text):
    from igclaim.readers import x12

    text = _flat(x12_text)
    start, end = text.index("CLM*"), text.index("SE*")
    claim = text[start:end]
    noise = "~".join(["9Z*1"] * (MAX_FILE_PROBLEMS + 50)) + "~"  # 150 segments whose identifier is not one
    claims = "".join(claim.replace("CLM-2026-0001", f"C{n}", 1) + (noise if n == 1 else "") for n in range(3))
    items = _read(_recount(text[:start] + claims + text[end:]))
    assert [i.claim_id for i in items if isinstance(i, WrittenClaim)] == ["C0", "C1", "C2"]
    file_problems = [i for i in items if isinstance(i, ReadError) and i.claim_id is None]
    assert len(file_problems) == MAX_FILE_PROBLEMS + 1
    assert file_problems[-1].message.startswith("… and ") and "more problems of the file itself" in \
        file_problems[-1].message and "Every claim is listed" in file_problems[-1].message
    assert x12.MAX_FILE_PROBLEMS == MAX_FILE_PROBLEMS


# --- SV103 MJ (minutes) read as units -------------------------------------------------------------------------------

def _minutes(x12_text: str) -> str:
    return _flat(x12_text).replace("SV1*HC:96366*400*UN*4*", "SV1*HC:96366*400*MJ*240*")


def test_minutes_on_a_code_billed_in_units_are_an_error_with_the_chart_and_without(x12_text):
    """96366 MJ*240 was read as 96366 × 240 with no finding."""
    from igclaim import engine

    (written,) = _read(_minutes(x12_text))
    line = written.claim.lines[2]
    assert (line.code, line.units, line.unit_basis) == ("96366", 240, "MJ")
    for findings in (engine.scrub_without_chart(written).findings,
                     _scrub_with_chart(_minutes(x12_text)).result.findings):
        (minutes,) = [f for f in findings if f.edit == "CLAIM-UNITS-MINUTES"]
        assert (minutes.severity, minutes.line) == ("error", 3) and "96366 × 240 in minutes" in minutes.message


@pytest.mark.parametrize("code,told", [("00099", True), ("00100", False), ("01999", False), ("02000", True),
                                       ("0010T", True)])
def test_minutes_are_the_basis_of_the_anesthesia_codes_only(x12_text, code, told):
    """Both ends of the CPT anesthesia range (refdata/cms/settings.toml [office] minutes_codes) take minutes; the
    codes just outside it, and a Category III code of the same digits' place, do not."""
    from igclaim import engine

    text = _flat(x12_text).replace("SV1*HC:96366*400*UN*4*", f"SV1*HC:{code}*400*MJ*240*")
    (written,) = _read(text)
    found = [f for f in engine.scrub_without_chart(written).findings if f.edit == "CLAIM-UNITS-MINUTES"]
    assert bool(found) is told, found


def test_units_read_as_units_carry_no_basis_and_the_output_is_unchanged(x12_text):
    from igclaim import engine

    (written,) = _read(_flat(x12_text))
    assert {ln.unit_basis for ln in written.claim.lines} == {None}
    result = engine.scrub_without_chart(written)
    assert "unit_basis" not in result.model_dump_json()
    assert not [f for f in result.findings if f.edit == "CLAIM-UNITS-MINUTES"]


# --- ISA11 (the repetition separator) equal to the segment terminator ---------------------------------------------

def test_an_isa11_equal_to_the_segment_terminator_is_one_error_naming_isa11(x12_text):
    """The ISA was cut at its ISA11 ('16 elements'), segment 2 had no identifier, and the IEA came out as
    "unreadable segment, skipped (IndexError: list index out of range)"; the claims were then read anyway."""
    text = _flat(x12_text)
    assert text[82] == "^"
    (err,) = _read(text[:82] + "~" + text[83:])
    assert (err.segment, err.position, err.element) == ("ISA", 1, "ISA11")
    assert "segment terminator" in err.message and "IndexError" not in err.message
    # the component separator as ISA11 still reads, as it did
    assert [type(i) for i in _read(text[:82] + ":" + text[83:])] == [WrittenClaim]


# --- an 837 on stdin --------------------------------------------------------------------------------------------

def test_an_837_on_stdin_is_scrubbed_as_a_file_is(x12_text):
    """`cat f.837 | igclaim scrub -` failed with "(json) line 1 column 1: Expecting value"."""
    from tests.conftest import run_cli

    for text in (x12_text, "\ufeff" + x12_text):
        r = run_cli("scrub", "-", "--format", "json", stdin=text)
        assert r.returncode == 0, r.stderr
        (line,) = r.stdout.splitlines()
        assert json.loads(line)["encounter_id"] == "CLM-2026-0001"
    r = run_cli("scrub", "-", "--format", "json", "--charts", str(CHART_PATH), stdin=_units(x12_text, "96365", 0))
    assert r.returncode == 0, r.stderr
    assert [f["edit"] for f in json.loads(r.stdout)["findings"]] == ["CLAIM-LINE-MISSING"]
    r = run_cli("scrub", "-", "--format", "json", stdin=json.dumps(CHART))  # a JSON chart on stdin, as before
    assert r.returncode == 2 and "scrub needs the claim a person wrote" in r.stderr
