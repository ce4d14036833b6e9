"""The compiled core: mypyc builds the coding and edit modules into C extensions (setup.py): next to their sources in a
checkout (`make native`, run by `make setup`; scripts/native.py), and into a wheel (`pip install .`). They take about
40 % less CPU per encounter than the same code run from source (benchmarks/RESULTS.md).

Python imports an extension module before its .py, so a build older than its sources would run old rules. The
build writes each compiled module's SHA-256 to _native.json, and the extensions are used only while every source is
byte for byte the one they were built from, under the same Python; else every one of them runs from its source,
with a warning that says why. IGCLAIM_PURE=1 runs from source always (to debug, or to compare)."""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent
STAMP = ROOT / "_native.json"
# What is compiled: the hot path of every claim, the rule snapshot included. The packages' __init__ modules stay
# Python (nothing runs there), and the reference data's loaders too (they run once per process), but for the ICD-10-CM
# releases and the dated-range rule, read on every claim.
PACKAGES = ("coding", "edits")
MODULES = ("catalog", "construct", "engine", "refdata.dated", "refdata.icd10", "refdata.rules")
GROUP = "igclaim_native"  # the build's shared library, beside the package: igclaim_native__mypyc.*.so
ENV_PURE = "IGCLAIM_PURE"
MODE = "source"  # what use() decided: "compiled" or "source"


def sources() -> dict[str, Path]:
    """Each module the build compiles, by name, with its source file."""
    out = {f"igclaim.{name}": ROOT / (name.replace(".", "/") + ".py") for name in MODULES}
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            if path.stem != "__init__":
                out[f"igclaim.{package}.{path.stem}"] = path
    return out


def digests(modules: dict[str, Path]) -> dict[str, str]:
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in modules.items()}


def record(modules: dict[str, Path]) -> str:
    """What a build writes to STAMP once every module is built: the Python it was built for, each source's SHA-256."""
    return json.dumps({"abi": abi(), "modules": digests(modules)}, indent=1) + "\n"


def abi() -> str:
    """The interpreter an extension was built for (another one cannot load it, or must not)."""
    return f"{sys.implementation.cache_tag}-{importlib.machinery.EXTENSION_SUFFIXES[0]}"


def built(modules: dict[str, Path]) -> list[str]:
    """The modules that have an extension file next to their source."""
    return [name for name, path in modules.items()
            if any(path.with_name(path.stem + suffix).exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES)]


def stale_reason(modules: dict[str, Path]) -> str | None:
    """Why the extensions must not be used (None: they match their sources)."""
    try:
        stamp = json.loads(STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "its record of the sources it was built from (_native.json) is missing or unreadable"
    if stamp.get("abi") != abi():
        return f"it was built for another Python ({stamp.get('abi')}, this is {abi()})"
    if set(built(modules)) != set(modules):
        return "some modules have no extension"
    changed = sorted(name for name, digest in digests(modules).items() if stamp.get("modules", {}).get(name) != digest)
    if changed:
        return f"{len(changed)} source(s) changed since the build: {', '.join(changed[:5])}"
    return None


class _FromSource(importlib.abc.MetaPathFinder):
    """Finds the compiled modules' sources ahead of their extensions."""

    def __init__(self, modules: dict[str, Path]) -> None:
        self.modules = modules

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        source = self.modules.get(fullname)
        return importlib.util.spec_from_file_location(fullname, source) if source else None


def use() -> str:
    """Decide, before any compiled module is imported, whether the extensions run: "compiled" or "source"."""
    global MODE
    MODE = _decide()
    return MODE


def _decide() -> str:
    modules = sources()
    if not built(modules):
        return "source"
    reason = "IGCLAIM_PURE is set" if os.environ.get(ENV_PURE) else stale_reason(modules)
    if reason is None:
        return "compiled"
    if not any(isinstance(finder, _FromSource) for finder in sys.meta_path):
        sys.meta_path.insert(0, _FromSource(modules))
    if not os.environ.get(ENV_PURE):
        warnings.warn(f"igclaim runs its core from source, not from the compiled build: {reason}. Run `make native` "
                      "to build it again (or set IGCLAIM_PURE=1 to silence this).", RuntimeWarning, stacklevel=2)
    return "source"

