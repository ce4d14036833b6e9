"""scripts/mutate_fresh.py (the fresh-process pass of `make mutate-refdata`) reads mutmut's survivors and calls a
mutant killed exactly when a test fails under it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("mutate_fresh", ROOT / "scripts" / "mutate_fresh.py")
assert spec and spec.loader
mutate_fresh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mutate_fresh)


def test_survivors_are_read_from_mutmut_results():
    text = ("    igclaim.refdata.resolver.x__load_codes__mutmut_3: survived\n"
            "    igclaim.refdata.resolver.x__load_codes__mutmut_4: killed\n"
            "    igclaim.refdata.rules.xǁRulesǁon__mutmut_1: survived\n"
            "    igclaim.refdata.rules.x__build__mutmut_2: no tests\n")
    assert mutate_fresh.survived(text) == ["igclaim.refdata.resolver.x__load_codes__mutmut_3",
                                           "igclaim.refdata.rules.xǁRulesǁon__mutmut_1"]


def test_a_mutant_is_killed_only_when_a_test_fails_under_it(tmp_path: Path):
    tests = tmp_path / "mutants" / "tests"
    tests.mkdir(parents=True)
    (tmp_path / "mutants" / "src").mkdir()
    (tests / "test_probe.py").write_text("import os\n\n\ndef test_probe():\n"
                                         "    assert os.environ['MUTANT_UNDER_TEST'] != 'm.x__f__mutmut_2'\n")
    (tests / "test_broken.py").write_text("import no_such_module_anywhere  # noqa: F401\n")
    assert mutate_fresh.run_one(tmp_path, "m.x__f__mutmut_1", ["tests/test_probe.py"])[1] == "survived"
    assert mutate_fresh.run_one(tmp_path, "m.x__f__mutmut_2", ["tests/test_probe.py"])[1] == "killed"
    # a mutant that breaks an import breaks collection: killed too
    assert mutate_fresh.run_one(tmp_path, "m.x__f__mutmut_1", ["tests/test_broken.py"])[1] == "killed"
