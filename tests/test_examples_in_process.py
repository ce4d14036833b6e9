"""The worked examples (examples/*.json and its coverage/ and drug-lines/ folders) through the library, in process.

tests/test_examples.py and tests/test_scrub_examples.py run them through the CLI as a user would; these run the
same expectations (examples/README.md, checked by tests.conftest.check_expectations) in this process, so a
mutation test (`make mutate`) sees a rule change that breaks an example.
"""

from __future__ import annotations

import json
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
