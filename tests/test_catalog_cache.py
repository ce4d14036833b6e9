"""The bundled catalog kept between processes (refdata/cache.py): a kept catalog is the one its files build, any change
to what it is built from builds it again, and a broken or foreign file is never trusted."""

from __future__ import annotations

import ast
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from igclaim.refdata import cache, coverage, icd10, mac, resolver, store

SRC = Path(__file__).resolve().parents[1] / "src" / "igclaim"
BUILDERS: dict[str, Callable[[], object]] = {
    "reference": resolver._build_reference, "mac": mac._build_mac, "snapshot": store._parse_snapshot,
    "policy-default-ig": partial(coverage._bundled_policy, "default-ig"),
    "icd10-fy2026-billable.txt": partial(icd10._read_index, icd10._DIR / "fy2026-billable.txt")}
KEPT = sorted(["reference", "mac", "snapshot", *(f"policy-{name}" for name in coverage.bundled_policies()),
               *(f"icd10-{r.listed.name}" for r in icd10._bundled() if not isinstance(r.listed, frozenset))])


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Kept files go to a temporary folder, written as where Python writes bytecode; the switch is off."""
    monkeypatch.setattr(cache, "FOLDER", tmp_path / "__pycache__")
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    return tmp_path / "__pycache__"


class Counted:
    def __init__(self, build: Callable[[], object]) -> None:
        self.build, self.calls = build, 0

    def __call__(self) -> object:
        self.calls += 1
        return self.build()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_kept_catalog_is_the_one_its_files_build(folder: Path, name: str) -> None:
    build = Counted(BUILDERS[name])
    first = cache.kept(name, build)
    assert build.calls == 1 and cache.path(name).is_file()
    again = cache.kept(name, build)
    assert build.calls == 1, "the second process's answer comes from the kept file"
    assert again is not first and again == first == BUILDERS[name]()
    # The stamp names files relative to the package, so a tree copied whole with its times (cp -a) loads the kept
    # file: nothing in it may name where the package lay when it was built.
    assert str(SRC).encode() not in cache.path(name).read_bytes()
    if name in ("reference", "mac"):  # the dates snapshots split their spans on, worked out with them, kept too
        assert "dates" in vars(again), "loaded with the catalog, not worked out again by each process"
        assert again.dates == first.dates and again.dates  # type: ignore[attr-defined]


def test_the_kept_catalog_answers_every_lookup_as_the_built_one(folder: Path) -> None:
    """Beyond equality: the lookups built from the loaded objects (by alias, by NDC) answer alike."""
    built = resolver._build_reference()
    cache.kept("reference", resolver._build_reference)
    loaded = cache.kept("reference", lambda: pytest.fail("built again"))
    assert loaded._by_alias.keys() == built._by_alias.keys() and loaded._by_ndc == built._by_ndc
    for ndc, (product, package) in loaded._by_ndc.items():
        assert loaded.package_by_ndc(ndc) == (product, package)
        assert any(p is product for p in loaded.products), "the index holds the catalog's own products"
    for product in built.products:
        assert loaded.find_products(product.name) == built.find_products(product.name)
    assert loaded.change_dates == built.change_dates and loaded.profiles == built.profiles


def test_only_a_release_file_of_the_package_has_its_index_kept(folder: Path, tmp_path: Path) -> None:
    """The stamp covers the package's files only: a release read from a file elsewhere is indexed, never kept."""
    elsewhere = tmp_path / "fy2026-billable.txt"
    elsewhere.write_text("D83 0 1 2 8 9\n", encoding="utf-8")
    assert icd10._indexed(elsewhere) == {"D83": "0 1 2 8 9"}
    assert not folder.exists()
    bundled = icd10._indexed(icd10._DIR / "fy2026-billable.txt")
    assert [p.name for p in folder.iterdir()] == [cache.path("icd10-fy2026-billable.txt").name]
    assert bundled["D83"] == "0 1 2 8 9" and bundled["G35"] != "."  # G35 itself is no longer billable in FY2026


def test_another_stamp_or_a_broken_file_is_built_again(folder: Path) -> None:
    build = Counted(resolver._build_reference)
    file = cache.path("reference")
    assert not cache.current("reference")  # none kept yet
    folder.mkdir()
    with file.open("wb") as f:  # a file kept from other sources: its value must not be used
        pickle.dump(("another Python", ()), f)
        pickle.dump("not a catalog", f)
    assert not cache.current("reference")
    assert isinstance(cache.kept("reference", build), resolver.ReferenceData) and build.calls == 1
    assert cache.current("reference"), "kept again, for these files"
    assert isinstance(cache.kept("reference", build), resolver.ReferenceData) and build.calls == 1
    for broken in (b"", b"garbage", file.read_bytes()[:100]):  # empty, not a pickle, cut short
        file.write_bytes(broken)
        assert not cache.current("reference")  # the stamp alone is longer than 100 bytes: cut short, not whole
        assert isinstance(cache.kept("reference", build), resolver.ReferenceData)
    assert build.calls == 4


def test_a_kept_file_is_written_beside_its_name_then_renamed_over_it(folder: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The rename is what makes a write whole (a reader sees the old file or the new one): it is atomic only within
    one filesystem, so the file is written in the kept file's own folder, under a hidden name that says whose it is."""
    renamed: list[tuple[str, str]] = []
    real = os.replace

    def replace(src: str, dst: str) -> None:
        renamed.append((str(src), str(dst)))
        real(src, dst)

    monkeypatch.setattr(cache.os, "replace", replace)
    cache.kept("mac", mac._build_mac)
    [(src, dst)] = renamed
    assert dst == str(cache.path("mac")) and Path(src).parent == folder
    assert Path(src).name.startswith(f".{cache.path('mac').name}.") and not Path(src).exists()


def test_a_value_pickle_cannot_write_is_still_answered_and_leaves_no_file(folder: Path) -> None:
    def unpicklable() -> Callable[[], int]:
        return lambda: 1  # a local function: pickle refuses it once the file is open

    value = cache.kept("odd", unpicklable)
    assert value() == 1
    assert folder.is_dir() and list(folder.iterdir()) == [], "the half-written temporary file is removed"


def test_nothing_is_kept_where_python_writes_no_bytecode_but_setup_keeps_it(folder: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    cache.kept("mac", mac._build_mac)
    assert not cache.path("mac").exists()
    monkeypatch.setattr(cache, "_force_write", True)  # what main() sets, as compileall writes bytecode anyway
    cache.kept("mac", mac._build_mac)
    assert cache.path("mac").is_file()
    assert oct(cache.path("mac").stat().st_mode & 0o777) == oct((SRC / "__init__.py").stat().st_mode & 0o666)


def test_the_switch_builds_every_time_and_keeps_nothing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV_OFF, "1")
    build = Counted(mac._build_mac)
    cache.kept("mac", build)
    cache.kept("mac", build)
    assert build.calls == 2 and not folder.exists()


def test_a_folder_that_cannot_be_written_still_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setattr(cache, "FOLDER", tmp_path / "a-file" / "__pycache__")  # mkdir fails: a file is in the way
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    assert cache.kept("mac", mac._build_mac) == mac._build_mac()
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"], "no temporary file is left behind"


def test_every_file_the_catalog_is_built_from_is_in_the_stamp(tmp_path: Path) -> None:
    """The stamp lists the package's top level and refdata/ with its folders (data and code), not __pycache__ and
    not the other folders; a change of content, size, time, a new or a removed file each make another stamp."""
    pkg = tmp_path / "igclaim"
    for rel in ("__init__.py", "ndc.py", "refdata/resolver.py", "refdata/fda/products.toml",
                "refdata/__pycache__/reference.pickle", "refdata/fda/__pycache__/x.pyc", "edits/drug.py"):
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text("a = 1\n")
    before = cache.files_of(pkg)
    assert [f for f, _, _ in before] == ["__init__.py", "ndc.py", "refdata/fda/products.toml", "refdata/resolver.py"]

    def changed(rel: str, text: str | None = "b = 2\n", later: int = 1) -> bool:
        file = pkg / rel
        old = file.read_bytes() if file.exists() else None
        st = file.stat() if file.exists() else None
        if text is None:
            file.unlink()
        else:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text)
            if st is not None:
                os.utime(file, ns=(st.st_atime_ns, st.st_mtime_ns + later))
        after = cache.files_of(pkg)
        if old is None:
            file.unlink()
        else:
            file.write_bytes(old)
            assert st is not None
            os.utime(file, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert cache.files_of(pkg) == before
        return after != before

    assert changed("refdata/fda/products.toml")  # same size, other content, one nanosecond later
    assert changed("refdata/fda/products.toml", "a = 10\n", later=0)  # another size at the same time
    assert changed("refdata/resolver.py") and changed("ndc.py")
    assert changed("refdata/payers/new.toml") and changed("refdata/resolver.py", None)
    assert not changed("refdata/__pycache__/reference.pickle") and not changed("refdata/fda/__pycache__/x.pyc")
    assert not changed("edits/drug.py")  # the edits build no catalog
    assert cache.stamp() == (sys.version, cache.files_of(SRC))


def _igclaim_imports(file: Path) -> set[str]:
    """Every igclaim module a file imports, wherever the import is (module level, a function, TYPE_CHECKING)."""
    out = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        assert not (isinstance(node, ast.ImportFrom) and node.level), f"{file}: a relative import the walk misses"
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("igclaim"):
            assert node.module is not None
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if _file(sub) else node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("igclaim")}
    return out - {"igclaim"}  # the package's __init__ runs before any of its modules, whatever is imported


def _file(module: str) -> Path | None:
    base = SRC.joinpath(*module.split(".")[1:])
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)


def test_the_builders_import_nothing_the_stamp_does_not_list() -> None:
    """What builds the kept catalogs (and defines their classes), and all it imports of igclaim, lies in the
    package's top level or in refdata/: a builder reaching into another folder would be kept stale when that
    folder's code changed, so this fails first."""
    seen: set[str] = set()
    # The snapshot's parsers are imported by name (importers.importer): each one is a builder too.
    todo = ["igclaim.refdata.resolver", "igclaim.refdata.mac", "igclaim.refdata.store", "igclaim.refdata.coverage",
            "igclaim.refdata.icd10",
            *(f"igclaim.refdata.importers.{p.stem}" for p in (SRC / "refdata" / "importers").glob("[!_]*.py"))]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            file = _file(module)
            assert file is not None, module
            todo.extend(_igclaim_imports(file))
    outside = sorted(m for m in seen if not (m.startswith("igclaim.refdata") or _file(m) == SRC / f"{m[8:]}.py"))
    assert not outside, f"the catalog's builders import {outside}: add their folder to cache.files_of"
    assert {"igclaim.ndc", "igclaim.model", "igclaim.refdata.icd10", "igclaim.refdata.importers.asp"} <= seen


def test_setup_keeps_every_catalog_and_a_new_process_loads_them(tmp_path: Path) -> None:
    """`make setup`'s step (cache.main) writes the three catalogs even under PYTHONDONTWRITEBYTECODE, and a fresh
    process then answers from them without building any."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop(cache.ENV_OFF, None)
    to = f"from pathlib import Path; from igclaim.refdata import cache; cache.FOLDER = Path({str(tmp_path)!r}); "
    subprocess.run([sys.executable, "-c", to + "cache.main()"], env=env, check=True, timeout=120)
    assert sorted(p.name.removesuffix(f".{sys.implementation.cache_tag}.pickle") for p in tmp_path.iterdir()) == KEPT
    check = to + (  # from source, so that replacing the builders reaches the compiled core's callers too
        "from igclaim.refdata import coverage, icd10, mac, resolver, store\n"
        "def no(*_): raise SystemExit('built instead of loaded')\n"
        "resolver._build_reference = mac._build_mac = store._parse_snapshot = no\n"
        "coverage._bundled_policy = icd10._read_index = no\n"
        "from datetime import date\n"
        "from igclaim import engine\n"
        "ref = resolver.reference(); assert ref.products and mac.mac().jurisdictions and store.bundled_snapshot()\n"
        "assert ref.hcpcs('J1459', date(2026, 3, 2)).unit_mg == 500\n"
        "assert [coverage.policy(n).name for n in coverage.bundled_policies()]\n"
        "assert icd10.is_billable('D83.9', date(2026, 3, 2)) and icd10.is_billable('G35', date(2025, 3, 3))\n")
    subprocess.run([sys.executable, "-c", check], env={**env, "IGCLAIM_PURE": "1"}, check=True, timeout=120)


def test_every_example_answers_alike_with_the_catalog_kept_or_built() -> None:
    """End to end: every worked example's result (claim, findings, prices, sources) from this process, which loads
    the kept catalog where `make setup` kept it, is the one a process that builds everything from the files gives."""
    from tests.test_examples_in_process import EXAMPLES, _result

    here = {str(p): _result(p) for p in EXAMPLES}
    code = ("import json, sys; from pathlib import Path; from tests.test_examples_in_process import _result; "
            "print(json.dumps({p: _result(Path(p)) for p in sys.argv[1:]}))")
    env = {**os.environ, cache.ENV_OFF: "1"}
    done = subprocess.run([sys.executable, "-c", code, *here], env=env, cwd=SRC.parents[1], check=True,
                          capture_output=True, text=True, timeout=300)
    built = json.loads(done.stdout)
    assert len(here) > 20 and built == here


def test_every_catalog_a_claim_loads_is_one_setup_keeps(tmp_path: Path) -> None:
    """`cache.main` names what `make setup` keeps beside the `kept(...)` calls themselves: a catalog a claim loads that
    main does not keep would be built by every process, and no answer would show it. Every worked example run in a
    process that keeps what it builds, in an empty folder, keeps nothing outside what main keeps (KEPT, above)."""
    from tests.test_examples_in_process import EXAMPLES

    code = (f"import sys; from pathlib import Path; from igclaim.refdata import cache; cache.FOLDER = "
            f"Path({str(tmp_path)!r}); cache._force_write = True\n"
            "from tests.test_examples_in_process import _result\n"
            "for p in sys.argv[1:]: _result(Path(p))\n")
    env = {k: v for k, v in os.environ.items() if k != cache.ENV_OFF}
    subprocess.run([sys.executable, "-c", code, *map(str, EXAMPLES)], env=env, cwd=SRC.parents[1], check=True,
                   timeout=300)
    loaded = {p.name.removesuffix(f".{sys.implementation.cache_tag}.pickle") for p in tmp_path.iterdir()}
    assert {"reference", "mac", "snapshot", "policy-default-ig"} <= loaded  # the examples reach the catalogs
    assert loaded <= set(KEPT)
