"""The compiled core's build (src/igclaim/_native.py says what and why), for a checkout and for a wheel alike.

pyproject.toml holds the project; this file only adds mypyc's extensions, built when a wheel is (`pip install .`,
`pip wheel .`) and when scripts/native.py builds next to the sources (`make setup`: `setup.py build_ext --inplace`).
An editable install compiles nothing here: `make setup` runs scripts/native.py after it. Once every module is built,
the record of the sources they were built from (_native.json) is written beside them, and the package runs them
only while their sources match it.

IGCLAIM_NATIVE=0 builds nothing. Where mypyc or the C compiler fails (no compiler, no Python headers), the build says
why and leaves no extension: igclaim runs from source, with the same answers. IGCLAIM_NATIVE=require makes that an
error instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from setuptools import Distribution, Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
BUILDS = {"bdist_wheel", "build_ext"}  # the commands that compile: a wheel's build, scripts/native.py's


def _native() -> ModuleType:
    """src/igclaim/_native.py alone (what is compiled, the record), without importing igclaim, whose dependencies a
    wheel's build environment lacks."""
    spec = importlib.util.spec_from_file_location("igclaim_native_rules", ROOT / "src" / "igclaim" / "_native.py")
    if spec is None or spec.loader is None:
        raise SystemExit("setup.py: cannot read src/igclaim/_native.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _off() -> bool:
    return os.environ.get("IGCLAIM_NATIVE") == "0"


class _Distribution(Distribution):
    def has_ext_modules(self) -> bool:
        """A wheel for this Python and platform (it may hold the compiled core), unless IGCLAIM_NATIVE=0."""
        return not _off()


class _BuildCore(build_ext):
    """mypyc's extensions in place of the placeholder, made only when a build runs (reading the metadata, or an
    editable install, costs nothing), then the record of what they were built from."""

    def finalize_options(self) -> None:
        self.distribution.ext_modules = self._core()  # before setuptools prepares each extension
        super().finalize_options()

    def _core(self) -> list[Extension]:
        if _off() or not BUILDS & set(self.distribution.commands):
            return []
        try:
            from mypyc.build import mypycify

            native = _native()
            files = [os.path.relpath(path) for path in native.sources().values()]  # mypyc takes them relative
            return list(mypycify(files, opt_level="3", group_name=native.GROUP,
                                 target_dir=os.path.join("build", "native", "c")))
        except (Exception, SystemExit) as exc:  # mypyc missing, or refusing the code: run from source
            return self._without(exc)

    def run(self) -> None:
        if not self.extensions:
            return
        try:
            super().run()
        except (Exception, SystemExit) as exc:  # no compiler, no headers: none of the extensions is left
            for output in self.get_outputs():
                Path(output).unlink(missing_ok=True)
            self._without(exc)
            return
        # The record beside the extensions, in place or in the wheel's tree (a checkout's own is never packaged:
        # pyproject.toml's exclude-package-data).
        native = _native()
        stamp = Path(self.get_ext_fullpath("igclaim.engine")).parent / native.STAMP.name
        stamp.write_text(native.record(native.sources()), encoding="utf-8")

    @staticmethod
    def _without(exc: BaseException) -> list[Extension]:
        if os.environ.get("IGCLAIM_NATIVE") == "require":
            raise exc
        why = " ".join(str(exc).split())
        print(f"igclaim: the compiled core was not built ({type(exc).__name__}: {why[:300]}); igclaim runs from "
              "source (the same answers, slower)", file=sys.stderr)
        return []


# The placeholder stands for the extensions mypyc makes when a build runs (`_BuildCore`).
setup(distclass=_Distribution, cmdclass={"build_ext": _BuildCore},
      ext_modules=[Extension("igclaim._compiled_core", sources=[])])
