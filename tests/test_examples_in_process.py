"""The worked examples (examples/*.json and its coverage/ and drug-lines/ folders) through the library, in process.

tests/test_examples.py and tests/test_scrub_examples.py run them through the CLI as a user would; these run the
same expectations (examples/README.md, checked by tests.conftest.check_expectations) in this process, so a
mutation test (`make mutate`) sees a rule change that breaks an example.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from igclaim import engine
from igclaim.inputs import parse_encounter
from tests.conftest import ROOT, check_expectations, load_example

FOLDERS = ("", "coverage", "drug-lines")
EXAMPLES = [p for f in FOLDERS for p in sorted((ROOT / "examples" / f).glob("*.json"))
            if "mode" in load_example(p) and "expect" in load_example(p)]


def _result(path: Path) -> dict:
    data = load_example(path)
    enc = parse_encounter(data["input"])
    run = engine.scrub if data["mode"] == "scrub" else engine.build
    return json.loads(run(enc).model_dump_json())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_example_meets_its_expectations(path):
    result = _result(path)
    problems = check_expectations(result, load_example(path)["expect"])
    assert not problems, problems
    for f in result["findings"]:
        assert f["source"] and f["fix"] and f["message"], f


SCRUB = [p for p in EXAMPLES if load_example(p)["mode"] == "scrub" and p.parent.name == "examples"]


@pytest.mark.parametrize("path", SCRUB, ids=lambda p: p.stem)
def test_scrub_example_fixed_as_told_is_clean(path):
    """The claim the scrubber says to bill, written back in place of the wrong one, has no claim error left (as in
    tests/test_scrub_examples.py; the coverage examples' liability modifiers are the biller's call, not coded)."""
    data = load_example(path)
    expected = _result(path)["claim"]
    again = engine.scrub(parse_encounter(dict(data["input"], claim=expected)))
    chart_errors = {"AUTH-MISSING", "AUTH-EXPIRED", "DX-MISSING", "DX-INVALID", "DX-NOT-COVERED"}
    errors = [f.edit for f in again.findings if f.severity == "error" and f.edit not in chart_errors]
    assert not errors, errors
    assert not [f for f in again.findings if f.line is not None and f.severity == "error"]


GOLDEN = ROOT / "tests" / "golden" / "example-findings.json"


def test_example_findings_word_for_word():
    """Every finding of the worked examples, word for word (edit, severity, line, message, fix): the messages quote the
    rule's numbers (units, minutes, grams, codes, articles), which the expectations above check only by edit id.
    Sorted: the order of findings follows the order the edit families were first imported in. Reviewed line by line
    against examples/README.md and reference.md when written; IGCLAIM_UPDATE_GOLDEN=1 rewrites it, and the diff of
    a wording change is then read like any other change."""
    got = {f"{p.parent.name}/{p.name}": sorted([[f["edit"], f["severity"], f["line"], f["message"], f["fix"]]
                                                for f in _result(p)["findings"]], key=str) for p in EXAMPLES}
    if os.environ.get("IGCLAIM_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    want = json.loads(GOLDEN.read_text())
    assert got.keys() == want.keys()
    for name in got:
        assert got[name] == want[name], name
