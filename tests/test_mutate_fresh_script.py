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


def test_a_collection_that_fails_under_the_mutant_is_a_kill_and_a_wrong_test_id_is_not():
    """pytest gives 4 both for a test id whose module failed to import under the mutant and for a test id that does
    not exist: only the first is a kill."""
    assert mutate_fresh.verdict_of(4, "ERROR: found no collectors for tests/test_x.py::test_y") == "killed"
    assert mutate_fresh.verdict_of(4, "ERROR: file or directory not found: tests/test_nope.py") == "error 4"
    assert [mutate_fresh.verdict_of(rc, "") for rc in (0, 1, 2, 3, 5)] == [
        "survived", "killed", "killed", "killed", "error 5"]


def test_the_setup_check_refuses_a_pass_that_cannot_kill(tmp_path: Path):
    """A child that imports igclaim from elsewhere than the mutated copy (here: the copy has no igclaim, so the
    editable install answers) stops the pass before any mutant is counted."""
    (tmp_path / "mutants" / "src").mkdir(parents=True)
    (tmp_path / "mutants" / "tests").mkdir()
    try:
        mutate_fresh.check_setup(tmp_path, ["tests"])
    except SystemExit as exc:
        assert "not from the mutated copy" in str(exc)
    else:
        raise AssertionError("check_setup accepted a copy without igclaim")


def test_a_copy_given_by_a_relative_path_is_still_the_one_imported(tmp_path: Path, monkeypatch):
    """`make mutate-refdata` passes build/mutate, relative to the repository; the child runs in build/mutate/mutants,
    so the path it is given to import from must not be relative."""
    (tmp_path / "mutants" / "src" / "igclaim").mkdir(parents=True)
    (tmp_path / "mutants" / "src" / "igclaim" / "__init__.py").write_text("")
    monkeypatch.chdir(tmp_path)
    env = mutate_fresh._env(Path("."), "none")
    assert env["PYTHONPATH"] == str((tmp_path / "mutants" / "src").resolve())


def test_a_second_pass_reads_the_survivors_of_the_first():
    out = ("igclaim.refdata.resolver.x__load_codes__mutmut_3 survived 6.1s\n"
           "igclaim.refdata.resolver.x__load_codes__mutmut_4 killed 4.0s\n"
           "igclaim.refdata.rules.x__build__mutmut_2 error 4 5.0s\n\n")
    assert mutate_fresh.survived_in(out) == {"igclaim.refdata.resolver.x__load_codes__mutmut_3"}
