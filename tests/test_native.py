"""The compiled core (igclaim/_native.py, scripts/native.py): used only while it matches its sources, never stale."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from igclaim import _native

SRC = Path(_native.__file__).resolve().parents[1]
BUILT = bool(_native.built(_native.sources()))
needs_build = pytest.mark.skipif(not BUILT, reason="no compiled build here (no C compiler, or IGCLAIM_NATIVE=0)")

PROBE = ("import json, warnings, importlib\n"
         "with warnings.catch_warnings(record=True) as caught:\n"
         "    warnings.simplefilter('always')\n"
         "    import igclaim\n"
         "from igclaim import _native\n"
         "files = {n: importlib.import_module(n).__file__ for n in _native.sources()}\n"
         "print(json.dumps({'mode': _native.MODE, 'files': files, 'warnings': [str(w.message) for w in caught]}))")


def probe(src: Path, **env: str) -> dict:
    """What a fresh process importing igclaim from `src` runs: each compiled module's file, and the warnings."""
    environ = {k: v for k, v in os.environ.items() if k != _native.ENV_PURE} | {"PYTHONPATH": str(src)} | env
    done = subprocess.run([sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, check=True,
                          cwd=src)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def copy(tmp_path) -> Path:
    """src/ with its build, in a place of its own (the package and the shared library of the build)."""
    shutil.copytree(SRC / "igclaim", tmp_path / "igclaim", ignore=shutil.ignore_patterns("__pycache__"))
    for lib in SRC.glob("igclaim_native__mypyc*"):
        shutil.copy2(lib, tmp_path / lib.name)
    return tmp_path


def extension(name: str, files: dict) -> bool:
    return not files[name].endswith(".py")


@needs_build
def test_a_build_that_matches_its_sources_runs_every_compiled_module_from_its_extension():
    if os.environ.get(_native.ENV_PURE):
        pytest.skip("IGCLAIM_PURE is set")
    assert _native.MODE == "compiled"
    seen = probe(SRC)
    assert seen["mode"] == "compiled" and seen["warnings"] == []
    assert sorted(seen["files"]) == sorted(_native.sources())
    assert all(extension(n, seen["files"]) for n in seen["files"])


@needs_build
def test_one_changed_source_runs_the_whole_core_from_source_and_says_which(copy):
    """The build of form.py is older than its source: no compiled module runs (a compiled caller would call the old
    form.py's functions directly), and the warning names the module."""
    form = copy / "igclaim" / "edits" / "form.py"
    form.write_text(form.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    seen = probe(copy)
    assert seen["mode"] == "source"
    assert not any(extension(n, seen["files"]) for n in seen["files"])
    assert len(seen["warnings"]) == 1 and "igclaim.edits.form" in seen["warnings"][0]
    assert "make native" in seen["warnings"][0]


@needs_build
def test_a_new_module_in_a_compiled_package_is_a_stale_build(copy):
    (copy / "igclaim" / "coding" / "extra.py").write_text("X = 1\n", encoding="utf-8")
    seen = probe(copy)
    assert seen["mode"] == "source" and "igclaim.coding.extra" in seen["files"]
    assert "some modules have no extension" in seen["warnings"][0]


@needs_build
def test_a_build_for_another_python_or_without_its_record_is_not_used(copy):
    stamp = copy / "igclaim" / "_native.json"
    record = json.loads(stamp.read_text(encoding="utf-8"))
    stamp.write_text(json.dumps(record | {"abi": "cpython-310-.so"}), encoding="utf-8")
    seen = probe(copy)
    assert seen["mode"] == "source" and "another Python" in seen["warnings"][0]
    stamp.unlink()
    seen = probe(copy)
    assert seen["mode"] == "source" and "_native.json" in seen["warnings"][0]


@needs_build
def test_igclaim_pure_runs_from_source_silently(copy):
    seen = probe(copy, IGCLAIM_PURE="1")
    assert seen["mode"] == "source" and seen["warnings"] == []
    assert not any(extension(n, seen["files"]) for n in seen["files"])


def test_without_a_build_the_core_runs_from_source_silently(tmp_path):
    shutil.copytree(SRC / "igclaim", tmp_path / "igclaim",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "_native.json"))
    seen = probe(tmp_path)
    assert seen["mode"] == "source" and seen["warnings"] == []
    assert not any(extension(n, seen["files"]) for n in seen["files"])


def test_the_compiled_modules_are_the_coding_and_edit_modules_the_engine_and_the_rule_snapshot():
    names = set(_native.sources())
    assert {"igclaim.engine", "igclaim.catalog", "igclaim.coding.drug", "igclaim.edits.registry",
            "igclaim.refdata.rules"} <= names
    assert all(path.is_file() for path in _native.sources().values())
    assert not any(n.endswith("__init__") or n in ("igclaim.refdata.resolver", "igclaim.refdata.store") for n in names)


def test_can_build_says_whether_the_machine_has_a_compiler_and_exits_1_with_why_when_not():
    """.ci/run asks it before `make test`: where the machine can build, it sets IGCLAIM_NATIVE=require, so a change
    mypyc cannot compile fails CI instead of the suite passing on the core run from source."""
    script = SRC.parent / "scripts" / "native.py"
    build = {p: p.stat().st_mtime_ns for p in [*SRC.glob("igclaim_native__mypyc*"), _native.STAMP] if p.exists()}
    cc = shutil.which(os.environ.get("CC") or "cc") or shutil.which("gcc")
    if cc is not None:
        done = subprocess.run([sys.executable, str(script), "--can-build"], capture_output=True, text=True,
                              env=os.environ | {"CC": cc})
        if (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
            assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), done
        else:  # a compiler without Python's headers (Debian: python3-dev) cannot build either
            assert done.returncode == 1 and done.stderr.startswith("native: no Python headers"), done
    done = subprocess.run([sys.executable, str(script), "--can-build"], capture_output=True, text=True,
                          env=os.environ | {"CC": "no-such-compiler-igclaim"})
    assert (done.returncode, done.stderr.strip()) == (1, "native: no C compiler (no-such-compiler-igclaim)")
    # it only asks: the build, when there is one, is neither made again nor removed
    assert {p: p.stat().st_mtime_ns for p in build if p.exists()} == build


def test_the_environments_setuptools_reads_the_projects_pyproject():
    """The compiled core's build runs setup.py with this environment's setuptools, which reads pyproject.toml (the
    SPDX license string needs setuptools >= 77; the 65 a new venv brings refused it and the build failed)."""
    from setuptools.config.pyprojecttoml import read_configuration

    config = read_configuration(SRC.parent / "pyproject.toml")
    assert config["project"]["license"] == "Apache-2.0"
    assert config["project"]["name"] == "igclaim"
