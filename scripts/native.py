"""Build the compiled core (src/igclaim/_native.py says what and why) with mypyc, next to the sources, through the
project's setup.py (which also builds it into a wheel), and with it the record of the sources it was built from
(src/igclaim/_native.json). Does nothing when that record already matches them.

    python scripts/native.py [--force] [--clean]

Without a C compiler or Python's headers, with IGCLAIM_NATIVE=0, or when the build fails, it leaves no build and
says so (a failure with mypyc's output): igclaim then runs from source, as fast as before the build existed and
with the same answers, so `make run` works on any machine. IGCLAIM_NATIVE=require makes those an error instead.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
BUILD = ROOT / "build" / "native"


def _load_native() -> ModuleType:
    """src/igclaim/_native.py alone (the list of modules and the record live there, once), without importing
    igclaim, which would load the extensions this script replaces."""
    spec = importlib.util.spec_from_file_location("igclaim_native_rules", SRC / "igclaim" / "_native.py")
    if spec is None or spec.loader is None:
        sys.exit("native: cannot read src/igclaim/_native.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


native = _load_native()


def extensions() -> list[Path]:
    """Every extension file in src/ a build may have left, those of modules since removed included (igclaim has no
    other extension modules)."""
    out = {p for p in SRC.glob(f"{native.GROUP}__mypyc*") if p.is_file()}
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        out |= set((SRC / "igclaim").rglob(f"*{suffix}"))
    return sorted(out)


def clean() -> None:
    for path in extensions():
        path.unlink()
    native.STAMP.unlink(missing_ok=True)


def missing_tools() -> str | None:
    """What this machine lacks to build (None: nothing)."""
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        return f"no C compiler ({cc})"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return "no Python headers (Python.h; Debian: python3-dev)"
    return None


def give_up(why: str) -> None:
    """No build: an error under IGCLAIM_NATIVE=require, else a note (igclaim runs from source)."""
    if os.environ.get("IGCLAIM_NATIVE") == "require":
        sys.exit(f"native: {why}; IGCLAIM_NATIVE=require")
    print(f"native: {why}; not built, igclaim runs from source (the same answers, slower)", flush=True)


def build() -> None:
    """The project's setup.py, which a wheel's build runs too, builds the extensions next to the sources and writes
    their record; a build that leaves any module without its extension is removed whole."""
    modules = native.sources()
    clean()  # a failed build leaves no extension behind, so igclaim runs from source
    BUILD.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"native: compiling {len(modules)} modules of the core with mypyc (about 2 minutes)…", flush=True)
    done = subprocess.run([sys.executable, str(ROOT / "setup.py"), "build_ext", "--inplace", "--build-temp",
                           str(BUILD / "temp"), "--build-lib", str(BUILD / "lib")],
                          cwd=ROOT, capture_output=True, text=True)
    why = native.stale_reason(modules)
    if done.returncode or why is not None:
        clean()
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        return give_up("the build failed (its output above)" if done.returncode else f"no build: {why}")
    print(f"native: built in {time.monotonic() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="build even when the record matches the sources")
    parser.add_argument("--clean", action="store_true", help="remove the build: igclaim runs from source")
    parser.add_argument("--can-build", action="store_true",
                        help="only say whether this machine has what the build needs (exit 1 and why when not)")
    args = parser.parse_args()
    if args.can_build:
        lacking = missing_tools()
        sys.exit(f"native: {lacking}" if lacking else 0)
    if args.clean:
        clean()
        print("native: removed; igclaim runs from source")
        return
    if os.environ.get("IGCLAIM_NATIVE") == "0":
        print("native: IGCLAIM_NATIVE=0, not built; igclaim runs from source")
        return
    if not args.force and native.built(native.sources()) and native.stale_reason(native.sources()) is None:
        return
    lacking = missing_tools()
    if lacking:
        return give_up(lacking)
    build()


if __name__ == "__main__":
    main()
