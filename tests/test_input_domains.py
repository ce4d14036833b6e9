"""Hostile input is an input error naming the field (exit 2, one line per problem), never a traceback and never
exit 1 (which means --fail-on matched); a UTF-8 BOM is accepted everywhere (docs/limits.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from igclaim import model
from igclaim.batch import run_batch
from igclaim.inputs import MAX_DEPTH, MAX_INPUT_BYTES, InvalidInput, parse_encounter, parse_json_text

from .conftest import ROOT, run_cli

CHART = ROOT / "examples" / "parties" / "office-gamunex-jz.json"


def chart() -> dict:
    return json.loads(CHART.read_text())


def problems_of(text: str) -> list[str]:
    with pytest.raises(InvalidInput) as exc:
        parse_json_text(text)
    return exc.value.problems


def with_raw(path: list, raw: str) -> str:
    """The chart's JSON with the value at `path` replaced by raw JSON text (NaN, 1e999999, 5000 digits)."""
    data = chart()
    node = data
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = "@@RAW@@"
    return json.dumps(data).replace('"@@RAW@@"', raw)


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999999", "9" * 5000, "-3", "0", "1e-999999",
                                 "500.0000001", "501"])
def test_hostile_dose_is_refused_naming_the_field(raw):
    found = problems_of(with_raw(["drugs", 0, "dose", "grams"], raw))
    assert found and all(p.startswith("drugs[0].dose.grams:") for p in found), found


def test_domain_edges_both_sides():
    """The maximum dose is accepted, one step above it is not (the same for container counts and sites)."""
    for path, ok, bad in [(["drugs", 0, "dose", "grams"], str(model.MAX_DOSE_GRAMS), "500.01"),
                          (["drugs", 0, "containers", 0, "count"], str(model.MAX_CONTAINER_COUNT), "101"),
                          (["administrations", 0, "site"], str(model.MAX_SITES), "21")]:
        parse_json_text(with_raw(path, ok))
        assert problems_of(with_raw(path, bad))[0].startswith(".".join(str(p) for p in path).replace(".0", "[0]"))


def test_huge_integer_anywhere_names_its_field():
    found = problems_of(with_raw(["drugs", 0, "containers", 0, "count"], "1" + "0" * 5000))
    assert found == ["drugs[0].containers[0].count: must be at most 100"]  # the 5,001 digits are not echoed


def test_written_claim_units_within_what_a_claim_carries():
    data = chart()
    data["claim"] = {"lines": [{"line": 1, "code": "J1561", "units": 10**12}]}
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(data)
    assert "claim.lines[0].units" in exc.value.problems[0]


def test_nesting_and_size_limits():
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert problems_of(deep) == [f"(json): nested deeper than {MAX_DEPTH} levels"]
    assert problems_of("[" * 100_000 + "]" * 100_000) == [f"(json): nested deeper than {MAX_DEPTH} levels"]
    data = chart()
    deep_value: object = "x"
    for _ in range(MAX_DEPTH + 5):
        deep_value = [deep_value]
    data["drugs"][0]["id"] = deep_value
    with pytest.raises(InvalidInput):
        parse_encounter(data)
    assert "larger than" in problems_of(" " * (MAX_INPUT_BYTES + 1) + "{}")[0]


def test_list_lengths_are_bounded():
    data = chart()
    data["administrations"] = data["administrations"] * (model.MAX_ADMINISTRATIONS + 1)
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(data)
    assert exc.value.problems[0].startswith("administrations:")


@pytest.mark.parametrize("name, content, status, first_line", [
    ("bom.json", b"\xef\xbb\xbf" + CHART.read_bytes(), 0, None),
    ("latin1.json", CHART.read_bytes().replace(b'"Gamunex-C"', b'"Gamunex\xe9"'), 2, "not UTF-8 text"),
    ("digits.json", with_raw(["drugs", 0, "dose", "grams"], "7" * 5000).encode(), 2, "drugs[0].dose.grams:"),
    ("nan.json", with_raw(["drugs", 0, "dose", "grams"], "NaN").encode(), 2, "drugs[0].dose.grams:"),
    ("deep.json", b"[" * 5000 + b"]" * 5000, 2, "(json): nested deeper"),
    ("big.json", b" " * (MAX_INPUT_BYTES + 10), 2, "(input): larger than"),
])
def test_cli_exit_status(tmp_path: Path, name, content, status, first_line):
    f = tmp_path / name
    f.write_bytes(content)
    r = run_cli("build", str(f), "--format", "json")
    assert r.returncode == status, r.stderr
    assert "Traceback" not in r.stderr
    if first_line:
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and first_line in lines[0], r.stderr
    else:
        assert json.loads(r.stdout)["encounter_id"]


def test_batch_record_with_non_utf8_bytes_is_that_records_error_and_a_bom_is_fine(tmp_path: Path):
    from igclaim.batch import run_batch

    good = json.dumps(chart()).encode()
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\xef\xbb\xbf" + good + b"\n" + good.replace(b'"Gamunex-C"', b'"Gamunex\xff"') + b"\n")
    summary = run_batch(src, tmp_path / "out", workers=1)
    assert (summary.results, summary.errors) == (1, 1)
    error = json.loads((tmp_path / "out" / "errors.jsonl").read_text())
    assert error["line"] == 2 and "not UTF-8" in error["reason"]


def test_two_documents_where_one_encounter_is_read_say_so():
    """JSON Lines handed to `build`/`scrub` (one encounter a file): the error names the place and where they go."""
    one = json.dumps(chart())
    assert problems_of(one + "\n" + one) == [
        "(json) line 2 column 1: Extra data; more than one JSON document where one encounter is read (JSON Lines go "
        "to `igclaim batch` or POST /api/encounters)"]
    assert parse_json_text(one + "\n").encounter_id == chart()["encounter_id"]  # one document and a newline: fine


def _nested(lists: int) -> object:
    """A value of `lists` nested lists (the depth walk counts containers, not the text inside)."""
    value: object = "x"
    for _ in range(lists):
        value = [value]
    return value


@pytest.mark.parametrize("where", [("drugs", 0, "id"), ("diagnoses",), ("unknown_field",), ("claim",),
                                   ("drugs", 0, "containers")])
def test_a_dict_nested_too_deep_is_refused_as_such_wherever_the_depth_is(where):
    """parse_encounter walks a plain object's depth only when the schema refused it: a value one level past the
    limit, in a known field or an unknown one, is still reported as the nesting problem and nothing else; one
    level less is a field problem (the schema's own message), never the nesting one."""
    for levels, deep in ((MAX_DEPTH, False), (MAX_DEPTH + 1, True)):
        data = chart()
        node = data
        for p in where[:-1]:
            node = node[p]
        node[where[-1]] = _nested(levels - len(where))  # under len(where) containers: the document's depth `levels`
        with pytest.raises(InvalidInput) as exc:
            parse_encounter(data)
        nesting = [f"(json): nested deeper than {MAX_DEPTH} levels"]
        assert (exc.value.problems == nesting) is deep, (levels, exc.value.problems)


def test_a_wrapper_or_a_list_is_walked_first():
    """Around the encounter ({"input": …} of a worked example) a deep sibling is refused before the encounter is
    read, as a deep list at the top level is."""
    with pytest.raises(InvalidInput) as exc:
        parse_encounter({"input": chart(), "expected": _nested(MAX_DEPTH)})
    assert exc.value.problems == [f"(json): nested deeper than {MAX_DEPTH} levels"]
    parse_encounter({"input": chart(), "expected": _nested(MAX_DEPTH - 1)})
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(_nested(MAX_DEPTH + 1))
    assert exc.value.problems == [f"(json): nested deeper than {MAX_DEPTH} levels"]


def _schema_nodes(node: object):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _schema_nodes(v)
    elif isinstance(node, list):
        for v in node:
            yield from _schema_nodes(v)


_ANNOTATIONS = {"title", "description", "default", "examples"}


def _takes_anything(sub: dict) -> bool:
    """A schema that constrains nothing (`Any`: only a title, a description or a default)."""
    return not set(sub) - _ANNOTATIONS


def test_the_schema_has_no_open_container_so_an_accepted_chart_nests_shallowly():
    """What lets parse_encounter walk a plain object's depth only when the schema refused it: every object of the
    input schema forbids extra keys, and no field or list item takes any value (`{}`) or a free-form object. A
    field like that, added later, would let a deep value through validation: this test says so first."""
    schema = model.Encounter.model_json_schema()
    for node in _schema_nodes(schema):
        if "properties" in node:
            assert node.get("additionalProperties") is False, node.get("title")
            for name, sub in node["properties"].items():
                assert not _takes_anything(sub), name
        if node.get("type") == "object":
            assert "properties" in node, node
        if node.get("type") == "array":
            assert "items" in node and not _takes_anything(node["items"]), node


def wide(digits: str) -> str:
    """The same digits in full width ('６'), as an East Asian keyboard types them."""
    return digits.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})


NOT_AN_NDC = "is not an NDC: give 11 digits, or 10 digits with hyphens (4-4-2, 5-3-2, 5-4-1)"


@pytest.mark.parametrize("path,value,problem", [
    (["patient", "address", "zip"], wide("62701"),  # the patient's: PHI, named and not quoted
     "patient.address.zip: use 5 or 9 digits, e.g. 62701 or 627011234"),
    (["billing_provider", "address", "zip"], wide("62701"),
     f"billing_provider.address.zip: {wide('62701')!r}: use 5 or 9 digits, e.g. 62701 or 627011234"),
    (["billing_provider", "phone"], wide("5555550100"),
     f"billing_provider.phone: {wide('5555550100')!r}: use 10 digits, e.g. 5555550100"),
    (["drugs", 0, "ndc"], wide("13533-0805-11"), f"drugs[0].ndc: {wide('13533-0805-11')!r} {NOT_AN_NDC}"),
    (["drugs", 0, "ndc"], "13533-0805-1\u00b9", f"drugs[0].ndc: {'13533-0805-1' + chr(0xB9)!r} {NOT_AN_NDC}"),
])
def test_digits_other_than_ascii_are_refused_naming_the_field(path, value, problem):
    """Full-width and superscript digits pass \\d and str.isdigit(): they were accepted, coded, and refused only
    when the 837 was written (X12 carries ASCII). A number on a claim is ASCII digits. (An NDC is read when the
    chart is coded, like any other NDC that is not one.)"""
    from igclaim import engine
    from igclaim.errors import InputError

    data = chart()
    node = data
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    with pytest.raises((InvalidInput, InputError)) as exc:
        engine.build(parse_encounter(data))
    found = exc.value.problems if isinstance(exc.value, InvalidInput) else [str(exc.value)]
    assert found == [problem]
    node[path[-1]] = {"zip": "62701", "phone": "5555550100", "ndc": "13533-0805-11"}[path[-1]]
    assert engine.build(parse_encounter(data)).claim.lines  # the ASCII digits: accepted


DUPLICATE = "the key 'diagnoses' appears twice in one object (JSON would keep only the last value)"


def test_a_key_written_twice_is_refused_not_silently_the_last(tmp_path):
    """json.loads keeps the last of two equal keys and drops the first without a word: a hand-edited chart with
    "diagnoses" twice was coded on the second list alone. Every reader of JSON text refuses it, naming the key."""
    text = CHART.read_text().replace('"diagnoses": [', '"diagnoses": ["G61.81"], "diagnoses": [', 1)
    assert text.count('"diagnoses"') == 2
    assert problems_of(text) == [f"(json): {DUPLICATE}"]
    path = tmp_path / "chart.json"
    path.write_text(text)
    proc = run_cli("build", str(path))
    assert proc.returncode == 2 and DUPLICATE in proc.stderr, proc.stderr
    # A batch: the record is an error, the others are coded (nothing dropped, nothing coded on half its data).
    lines = (ROOT / "examples" / "parties" / "office-batch.jsonl").read_text().splitlines()
    lines[1] = lines[1].replace('"diagnoses": [', '"diagnoses": ["G61.81"], "diagnoses": [', 1)
    batch = tmp_path / "in.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    summary = run_batch(batch, tmp_path / "out", workers=1)
    assert (summary.records, summary.errors) == (len(lines), 1)
    (error,) = [json.loads(x) for x in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert error["record"] == 2 and DUPLICATE in error["reason"], error
    assert parse_encounter(json.loads(CHART.read_text()))  # the other side: each key once


def test_two_written_lines_with_one_number_are_refused():
    """Findings point at written lines by number ("Line 1: …"): two lines numbered 1 made every such finding
    ambiguous. Lines without a number are still numbered in order."""
    data = chart()
    data["claim"] = {"lines": [{"line": 1, "code": "J1561", "modifiers": ["JZ"], "units": 60},
                               {"line": 1, "code": "96365", "units": 1}]}
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(data)
    assert exc.value.problems == [
        "claim.lines[1].line: 1 is already the number of claim.lines[0]; give each line its own number"]
    data["claim"]["lines"][1]["line"] = 2
    assert [ln.line for ln in parse_encounter(data).claim.lines] == [1, 2]
    for ln in data["claim"]["lines"]:
        del ln["line"]
    assert [ln.line for ln in parse_encounter(data).claim.lines] == [1, 2]


# A number written as text: Python's int() and Decimal() read "1_000" as 1000 and other scripts' digits ("١٢",
# "１２") as 12, so a typo or a spoofed value became a number without a word. Only the digits 0-9 are a number.
NOT_PLAIN_DIGITS = ["1_000", "1_0", "١٢", "１２", "٣٠.٥", "\u200330", "3\u00a00"]
NUMBER_FIELDS = [(["drugs", 0, "dose", "grams"], "drugs[0].dose.grams"),
                 (["drugs", 0, "containers", 0, "count"], "drugs[0].containers[0].count"),
                 (["administrations", 0, "site"], "administrations[0].site"),
                 (["claim", "lines", 0, "units"], "claim.lines[0].units"),
                 (["claim", "lines", 0, "expected_payment"], "claim.lines[0].expected_payment"),
                 (["claim", "lines", 0, "diagnosis_pointers", 0], "claim.lines[0].diagnosis_pointers[0]")]


def _with(path: list, value: object) -> dict:
    data = chart()
    data["claim"] = {"lines": [{"code": "J1561", "modifiers": ["JZ"], "units": 60, "expected_payment": 100,
                                "diagnosis_pointers": [1]}]}
    node = data
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize("text", NOT_PLAIN_DIGITS)
@pytest.mark.parametrize(("path", "field"), NUMBER_FIELDS)
def test_a_number_as_text_is_only_the_digits_0_to_9(path, field, text):
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(_with(path, text))
    assert [p.split(":")[0] for p in exc.value.problems] == [field], exc.value.problems
    assert "digits 0-9" in exc.value.problems[0], exc.value.problems


@pytest.mark.parametrize(("path", "text", "value"), [
    (["drugs", 0, "dose", "grams"], "30", 30), (["drugs", 0, "dose", "grams"], " 30.5 ", 30.5),
    (["drugs", 0, "dose", "grams"], "3e1", 30), (["drugs", 0, "dose", "grams"], "+30.", 30),
    (["drugs", 0, "containers", 0, "count"], "3", 3), (["drugs", 0, "containers", 0, "count"], "3.0", 3),
    (["claim", "lines", 0, "units"], "60", 60), (["claim", "lines", 0, "expected_payment"], "-1", -1),
    (["claim", "lines", 0, "expected_payment"], "-.5", -0.5)])
def test_a_number_as_plain_text_is_read_as_before(path, text, value):
    enc = parse_encounter(_with(path, text))
    node: object = enc
    for p in path:
        node = node[p] if isinstance(p, int) else getattr(node, p)
    assert node == value


def test_other_text_in_a_number_field_keeps_its_message():
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(_with(["claim", "lines", 0, "units"], "many"))
    assert exc.value.problems == ["claim.lines[0].units: 'many': give a whole number, e.g. 3"]
    # pydantic read "0-5" as the integer -5: text of ASCII that is no number is refused as such.
    with pytest.raises(InvalidInput) as exc:
        parse_encounter(_with(["drugs", 0, "containers", 0, "count"], "0-5"))
    assert exc.value.problems == ["drugs[0].containers[0].count: '0-5': give a whole number, e.g. 3"]
