"""A wheel (`pip install .`) carries the compiled core that `make setup` builds in a checkout (setup.py), or, where it
cannot be built, runs from source with the same answers; never a build without its record, or a record without it.

Each test builds a wheel from a copy of the project's sources (no network: this environment's setuptools and
mypyc, `--no-build-isolation`) and runs it unpacked, in a fresh process, on this environment's dependencies."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from igclaim import _native

ROOT = Path(__file__).resolve().parents[1]
NATIVE = ROOT / "scripts" / "native.py"
EXAMPLE = ROOT / "examples" / "e03-privigen-35-of-40.json"  # a discarded part: JW and JZ rules, prices


def can_build() -> bool:
    return subprocess.run([sys.executable, str(NATIVE), "--can-build"], capture_output=True).returncode == 0


def project(tmp_path: Path) -> Path:
    """The files a wheel is built from: the package's sources and data, without this checkout's build, its record or
    its kept catalog (a copy as a fresh clone has it)."""
    out = tmp_path / "project"
    for name in ("pyproject.toml", "setup.py", "README.md", "MANIFEST.in", "scripts/build_backend.py"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes((ROOT / name).read_bytes())
    package = ROOT / "src" / "igclaim"
    for path in package.rglob("*"):
        built = path.suffix in (".so", ".pyd", ".pickle") or path.name == _native.STAMP.name
        if path.is_file() and "__pycache__" not in path.parts and not built:
            target = out / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    return out


def wheel(tmp_path: Path, built_here: bool = False, **env: str) -> tuple[subprocess.CompletedProcess[str], Path | None]:
    """`pip wheel` of the copy under these environment variables (IGCLAIM_NATIVE unset unless given); `built_here`:
    the copy holds a record of a build, as a checkout does after `make setup`."""
    src, dist = project(tmp_path), tmp_path / "dist"
    if built_here:
        (src / "src" / "igclaim" / _native.STAMP.name).write_text(_native.record(_native.sources()), encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k not in ("IGCLAIM_NATIVE", "CC")} | env
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
                           "--disable-pip-version-check", "-w", str(dist), str(src)],
                          env=environ, capture_output=True, text=True)
    built = sorted(dist.glob("igclaim-*.whl")) if done.returncode == 0 else []
    return done, built[0] if built else None


def unpacked(whl: Path, tmp_path: Path) -> Path:
    where = tmp_path / "site"
    with zipfile.ZipFile(whl) as z:
        z.extractall(where)
    return where


PROBE = ("import json, warnings, importlib, sys\n"
         "with warnings.catch_warnings(record=True) as caught:\n"
         "    warnings.simplefilter('always')\n"
         "    import igclaim\n"
         "from igclaim import _native, engine\n"
         "from igclaim.inputs import parse_encounter\n"
         "files = {n: importlib.import_module(n).__file__ for n in _native.sources()}\n"
         "chart = json.loads(open(sys.argv[1], encoding='utf-8').read())['input']\n"
         "result = engine.build(parse_encounter(chart)).model_dump(mode='json')\n"
         "print(json.dumps({'mode': _native.MODE, 'package': igclaim.__file__, 'files': files, 'result': result,\n"
         "                  'warnings': [str(w.message) for w in caught]}))")


def probe(site: Path) -> dict:
    """What a fresh process importing igclaim from the unpacked wheel runs, and its answer for one example."""
    deps = [p for p in sys.path if p.endswith("site-packages")]  # pydantic & co.; igclaim itself from `site`
    environ = {k: v for k, v in os.environ.items() if k != _native.ENV_PURE} | {
        "PYTHONPATH": os.pathsep.join([str(site), *deps])}
    done = subprocess.run([sys.executable, "-c", PROBE, str(EXAMPLE)], env=environ, capture_output=True, text=True,
                          check=True, cwd=site)
    return json.loads(done.stdout.strip().splitlines()[-1])


def names(whl: Path) -> list[str]:
    with zipfile.ZipFile(whl) as z:
        return z.namelist()


def answer() -> dict:
    from igclaim import engine
    from igclaim.inputs import parse_encounter

    chart = json.loads(EXAMPLE.read_text(encoding="utf-8"))["input"]
    return engine.build(parse_encounter(chart)).model_dump(mode="json")


@pytest.mark.skipif(not can_build(), reason="this machine cannot build the compiled core (no compiler or headers)")
def test_a_wheel_carries_the_compiled_core_with_its_record_and_answers_as_the_checkout(tmp_path):
    done, whl = wheel(tmp_path, IGCLAIM_NATIVE="require")
    assert whl is not None, done.stdout[-3000:] + done.stderr[-3000:]
    assert "-cp3" in whl.name and "none-any" not in whl.name  # a wheel for this Python and platform
    inside = names(whl)
    assert "igclaim/_native.json" in inside and any(n.startswith(f"{_native.GROUP}__mypyc") for n in inside)
    site = unpacked(whl, tmp_path)
    record = json.loads((site / "igclaim" / "_native.json").read_text(encoding="utf-8"))
    assert record["modules"] == _native.digests(_native.sources())  # built from the sources it carries
    seen = probe(site)
    assert seen["package"].startswith(str(site)) and seen["warnings"] == []
    assert seen["mode"] == "compiled"
    assert sorted(seen["files"]) == sorted(_native.sources())
    assert all(not f.endswith(".py") and f.startswith(str(site)) for f in seen["files"].values())
    assert seen["result"] == answer()


def test_without_a_compiler_the_wheel_holds_the_sources_alone_and_says_why(tmp_path):
    done, whl = wheel(tmp_path, built_here=True, CC="false")  # `false` compiles nothing and fails
    assert whl is not None, done.stdout[-3000:] + done.stderr[-3000:]
    assert "igclaim: the compiled core was not built (" in done.stdout + done.stderr
    inside = names(whl)
    assert not any(n.endswith(".so") or n.endswith(".pyd") for n in inside)
    assert "igclaim/_native.json" not in inside  # no record of a build the wheel does not hold
    seen = probe(unpacked(whl, tmp_path))
    assert (seen["mode"], seen["warnings"]) == ("source", [])
    assert all(f.endswith(".py") for f in seen["files"].values())
    assert seen["result"] == answer()


def test_igclaim_native_0_builds_a_wheel_for_any_platform_from_source(tmp_path):
    done, whl = wheel(tmp_path, IGCLAIM_NATIVE="0")
    assert whl is not None, done.stdout[-3000:] + done.stderr[-3000:]
    assert whl.name.endswith("-py3-none-any.whl")
    inside = names(whl)
    assert not any(n.endswith(".so") for n in inside) and "igclaim/_native.json" not in inside
    seen = probe(unpacked(whl, tmp_path))
    assert seen["mode"] == "source" and seen["result"] == answer()  # the bundled data came along


def test_under_igclaim_native_require_a_build_that_cannot_be_made_fails_the_wheel(tmp_path):
    """Where mypyc is missing (here: a stand-in that cannot be imported), `require` fails instead of a slower wheel;
    without it the wheel runs from source."""
    fake = tmp_path / "fake"
    (fake / "mypyc").mkdir(parents=True)
    (fake / "mypyc" / "__init__.py").write_text("", encoding="utf-8")
    (fake / "mypyc" / "build.py").write_text("raise ImportError('no mypyc here')\n", encoding="utf-8")
    path = os.pathsep.join([str(fake), os.environ.get("PYTHONPATH", "")])
    done, whl = wheel(tmp_path / "required", IGCLAIM_NATIVE="require", PYTHONPATH=path)
    assert whl is None and done.returncode != 0
    assert "no mypyc here" in done.stdout + done.stderr
    done, whl = wheel(tmp_path / "optional", PYTHONPATH=path)
    assert whl is not None and not any(n.endswith(".so") for n in names(whl))
    assert "igclaim: the compiled core was not built (ImportError: no mypyc here)" in done.stdout + done.stderr


def test_igclaim_native_0_builds_nothing_in_place_either(tmp_path):
    """What scripts/native.py runs (`setup.py build_ext --inplace`) under IGCLAIM_NATIVE=0: no extension, no record."""
    src = project(tmp_path)
    environ = {k: v for k, v in os.environ.items() if k != "IGCLAIM_NATIVE"} | {"IGCLAIM_NATIVE": "0"}
    done = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=src, env=environ,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not [p for p in (src / "src").rglob("*") if p.suffix == ".so" or p.name == _native.STAMP.name]


def test_where_the_checkouts_build_fails_setup_says_so_and_leaves_no_extension_and_no_record(tmp_path):
    """scripts/native.py (`make setup`) builds through the same setup.py: a compiler that fails leaves the checkout
    running from source, and says so."""
    src = project(tmp_path)
    (src / "scripts" / "native.py").write_bytes(NATIVE.read_bytes())
    environ = {k: v for k, v in os.environ.items() if k != "IGCLAIM_NATIVE"} | {"CC": "false"}
    done = subprocess.run([sys.executable, "scripts/native.py", "--force"], cwd=src, env=environ,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "not built, igclaim runs from source" in done.stdout
    assert "igclaim: the compiled core was not built (" in done.stderr
    assert not [p for p in (src / "src").rglob("*") if p.suffix == ".so" or p.name == _native.STAMP.name]


def _names(requirements: list[str]) -> set[str]:
    """The distributions requirements name, read here with a regex of the test's own (not the backend's)."""
    return {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0] for r in requirements}


def _backend() -> ModuleType:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_backend
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return build_backend


def test_a_wheels_isolated_build_gets_mypy_and_the_libraries_the_core_is_type_checked_against(monkeypatch, tmp_path):
    """pip builds a wheel in an environment of its own: without pydantic and fhir.resources there, mypyc's type check
    refuses and a fresh `pip install .` ran from source (seen by hand in a new venv). An editable install and an
    sdist compile nothing and get setuptools' own requirements alone."""
    monkeypatch.chdir(project(tmp_path))  # setuptools' hooks write egg-info there
    backend = _backend()
    names = _names(backend.get_requires_for_build_wheel())
    assert {"mypy", "pydantic", "fhir.resources"} <= names
    assert "pytest" not in names  # the dev extra's mypy alone, not the extra
    for hook in (backend.get_requires_for_build_editable, backend.get_requires_for_build_sdist):
        assert not {"mypy", "pydantic"} & _names(hook())


def test_the_sdist_carries_the_build_backend_a_wheel_built_from_it_runs(tmp_path):
    src = project(tmp_path)
    done = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, 'scripts'); import build_backend; "
                           f"print(build_backend.build_sdist({str(tmp_path / 'sdist')!r}))"], cwd=src,
                          capture_output=True, text=True, check=True)
    with tarfile.open(tmp_path / "sdist" / done.stdout.strip().splitlines()[-1]) as sdist:
        inside = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"pyproject.toml", "setup.py", "scripts/build_backend.py", "src/igclaim/_native.py"} <= inside
