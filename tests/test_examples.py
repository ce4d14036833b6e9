"""Every worked example of examples/ runs through the CLI, as a user would run it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import check_expectations, examples, load_example, run_cli


@pytest.mark.parametrize("path", examples("build"), ids=lambda p: p.stem)
def test_build_example(path):
    proc = run_cli("build", str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    problems = check_expectations(json.loads(proc.stdout), load_example(path)["expect"])
    assert not problems, problems
