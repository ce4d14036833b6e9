"""Answers the edits remember per rule snapshot (`Rules.once`) or per claim (`EditContext.once`) must be the ones the
snapshot (or claim) would give itself: another snapshot, another data version or another claim never reads them."""

from __future__ import annotations

import json
from datetime import date

from igclaim import engine
from igclaim.coding.claim import Coding
from igclaim.edits.context import EditContext
from igclaim.edits.plausibility import date_of_service
from igclaim.inputs import parse_encounter
from igclaim.refdata import icd10
from igclaim.refdata.resolver import reference
from tests.conftest import ROOT

CHART = json.loads((ROOT / "examples" / "e02-gamunex-30g-5h.json").read_text())["input"]


def _chart_free_ctx(day: date) -> EditContext:
    """A claim's context on a date no payer profile codes (before every dated parameter): the snapshot alone, as
    engine.scrub_without_chart makes it."""
    engine._load_edit_families()
    enc = parse_encounter(json.loads(json.dumps(CHART).replace("2026-03-02", day.isoformat())))
    ref = reference()
    prof = ref.default_profile("medicare")
    rules = ref.at(day, prof)
    return EditContext(Coding(enc, prof, {}, [], None, [], rules=rules), ref)


def test_the_earliest_data_date_is_each_snapshots_own():
    """PLAUSIBILITY-DOS remembers the first date of the data per snapshot: a snapshot of a newer data version (an
    ICD-10-CM release registered from an earlier date) answers with its own date, not the older snapshot's."""
    day = date(1982, 6, 1)
    before = _chart_free_ctx(day)
    assert [f.edit for f in date_of_service(before)] == ["PLAUSIBILITY-DOS"]  # before 1984-01-01, the first data
    rel = icd10.register_release("TEST-EARLIEST", date(1980, 1, 1), date(1980, 12, 31), ["D83.9"], "test")
    try:
        after = _chart_free_ctx(day)
        assert after.rules is not before.rules
        assert date_of_service(after) == []
    finally:
        icd10._REGISTERED.remove(rel)
    assert [f.edit for f in date_of_service(_chart_free_ctx(day))] == ["PLAUSIBILITY-DOS"]


def test_the_first_date_of_the_data_is_inside_it():
    """Both sides of the first date of the data: the day before it is flagged (with the date quoted), the day
    itself is not."""
    first = _chart_free_ctx(date(2026, 3, 2)).rules.earliest_data()
    assert first is not None
    before = date.fromordinal(first.toordinal() - 1)
    assert [(f.edit, f.severity, f.message) for f in date_of_service(_chart_free_ctx(before))] == [
        ("PLAUSIBILITY-DOS", "error", f"date_of_service: {before:%Y-%m-%d} is before {first:%Y-%m-%d}, the first "
         "date of any reference data igclaim holds: the claim cannot be checked.")]
    assert date_of_service(_chart_free_ctx(first)) == []


def _result(data: dict) -> str:
    enc = parse_encounter(data)
    return (engine.scrub(enc) if enc.claim else engine.build(enc)).model_dump_json()


def _alone(data: dict, prefix: str) -> str:
    """The claim's result with none of its snapshot's remembered answers of this kind (key prefix) in place: its
    own (`Rules.memo`) and its span's (`Rules.alike`)."""
    enc = parse_encounter(data)
    ref = reference()
    rules = ref.at(enc.date_of_service, engine.resolve_profile(enc, ref))
    for memo in (rules.memo, rules.alike):
        for key in [k for k in memo if str(k[0] if isinstance(k, tuple) else k).startswith(prefix)]:
            del memo[key]
    return _result(data)


def _each_its_own(inputs: list[dict], prefix: str) -> None:
    alone = [_alone(d, prefix) for d in inputs]
    assert len(set(alone)) == len(alone)  # they do differ: a key that confuses them is caught
    for order in (inputs, inputs[::-1]):
        _alone(order[0], prefix)
        for d in order:
            assert _result(d) == alone[inputs.index(d)]


def _with_dx(*dx: str) -> dict:
    return {**json.loads(json.dumps(CHART)), "diagnoses": list(dx)}


def test_invalid_and_not_a_reason_texts_are_each_list_of_diagnoses_own():
    """DX-INVALID and DX-CHEMO-ENCOUNTER remember what they say per snapshot and list of codes: claims of one
    snapshot with other codes (or the same codes in another order) get their own findings."""
    inputs = [_with_dx("D83.9"), _with_dx("D83"), _with_dx("Z51.11"), _with_dx("D83.9", "Z51.11"),
              _with_dx("Z51.11", "D83.9"), _with_dx("D80"), _with_dx("Z51.11", "D83"), _with_dx("D83", "D80")]
    _each_its_own(inputs, "diagnosis.")
    ids = [[f["edit"] for f in json.loads(_result(d))["findings"]] for d in inputs]
    assert "DX-INVALID" in ids[1] and "DX-CHEMO-ENCOUNTER" in ids[2] and "DX-INVALID" not in ids[0]


def test_written_diagnoses_get_their_own_texts_on_scrub():
    """The written claim's diagnoses go through the same remembered texts (DX-INVALID, DX-CHEMO-ENCOUNTER on the
    written lines): a written list and the chart's are not confused."""
    examples = ROOT / "examples"
    scrub = json.loads((examples / "e10-scrub-lazy-nos.json").read_text())["input"]
    inputs = []
    for dx in (["D83.9"], ["Z51.11"], ["D83"], ["Z51.11", "D83.9"]):
        data = json.loads(json.dumps(scrub))
        data["claim"]["diagnoses"] = dx
        inputs.append(data)
    _each_its_own(inputs, "diagnosis.")


def test_an_ndc_as_written_gets_its_own_crosswalk_answer():
    """DRUG-NDC-MISMATCH remembers, per snapshot, an NDC as written and the date with its 11-digit form and the
    codes it calls for: lines with other NDCs (or other spellings, or an invalid one) get their own answer."""
    scrub = json.loads((ROOT / "examples" / "e09-scrub-units-by-ml.json").read_text())["input"]
    inputs = []
    for ndc in ("13533-0800-12", "44206-0436-05", "44206043605", "44206-436-05", "9999", "44206-0451-01"):
        data = json.loads(json.dumps(scrub))
        data["claim"]["lines"][0]["ndc"] = ndc
        inputs.append(data)
    alone = [_alone(d, "tables.") for d in inputs]
    mismatch = ["DRUG-NDC-MISMATCH" in r for r in alone]
    assert mismatch[:2] == [False, True] and mismatch[2] is True  # Privigen's NDC, either spelling, on J1561
    for order in (inputs, inputs[::-1]):
        _alone(order[0], "tables.")
        for d in order:
            assert _result(d) == alone[inputs.index(d)]


def test_lines_of_other_dates_get_their_own_crosswalk_answer():
    """Lines billed on another date than the claim's (a written claim may date each line) get the answer of their
    NDC as written on their own date, not the claim date's or another line's."""
    scrub = json.loads((ROOT / "examples" / "e09-scrub-units-by-ml.json").read_text())["input"]
    day = scrub["date_of_service"]
    inputs = []
    for first, second in (("13533-0800-12", "44206-0436-05"), ("44206-0436-05", "13533-0800-12")):
        data = json.loads(json.dumps(scrub))
        later = f"{day[:8]}{int(day[8:]) + 1:02d}"
        data["claim"]["lines"].append({"line": 4, "code": "J1561", "units": 10, "ndc": first, "service_date": later})
        data["claim"]["lines"].append({"line": 5, "code": "J1561", "units": 10, "ndc": second, "service_date": later})
        inputs.append(data)
    alone = [_alone(d, "tables.") for d in inputs]
    said = [[f["line"] for f in json.loads(r)["findings"] if f["edit"] == "DRUG-NDC-MISMATCH"] for r in alone]
    assert 5 in said[0] and 4 not in said[0] and 4 in said[1] and 5 not in said[1]  # Privigen's NDC on J1561
    for order in (inputs, inputs[::-1]):
        _alone(order[0], "tables.")
        for d in order:
            assert _result(d) == alone[inputs.index(d)]


def test_lines_of_one_ndc_on_two_other_dates_get_each_its_own_crosswalk_answer():
    """Two lines of one NDC, neither on the claim's date: the one in the bundled crosswalk's quarter (2026 Q1) is
    told the crosswalk's code, the one after it (2026-04-01) only the product catalog's, whichever comes first on
    the claim (an answer shared by NDC alone would give the second line the first one's)."""
    scrub = json.loads((ROOT / "examples" / "e09-scrub-units-by-ml.json").read_text())["input"]
    assert scrub["date_of_service"] == "2026-03-02"
    for days in (("2026-03-03", "2026-04-01"), ("2026-04-01", "2026-03-03")):
        data = json.loads(json.dumps(scrub))
        for line, day in zip((4, 5), days, strict=True):
            data["claim"]["lines"].append({"line": line, "code": "J1561", "units": 10, "ndc": "44206-0436-05",
                                           "service_date": day})
        said = {f["line"]: f["message"] for f in json.loads(_alone(data, "tables."))["findings"]
                if f["edit"] == "DRUG-NDC-MISMATCH"}
        for line, day in zip((4, 5), days, strict=True):
            source = "/asp-ndc-hcpcs-crosswalk-2026q1.csv" if day < "2026-04-01" else " product catalog (Privigen)"
            assert said[line].endswith(f"{source}.") and "crosswalks to J1459 per " in said[line], (days, said)


def test_a_written_code_gets_its_own_drug_answer():
    """Whether a written code is an immune globulin code is remembered per snapshot and code: claims of one snapshot
    whose second drug line bills another code (an IG code, a NOS code, another drug, a code of no drug) get their
    own findings."""
    scrub = json.loads((ROOT / "examples" / "e09-scrub-units-by-ml.json").read_text())["input"]
    inputs = []
    for code in ("J1561", "J1599", "J3490", "J1459", "99999"):
        data = json.loads(json.dumps(scrub))
        data["claim"]["lines"].append({"line": 4, "code": code, "units": 10, "modifiers": []})
        inputs.append(data)
    _each_its_own(inputs, "drug.")
