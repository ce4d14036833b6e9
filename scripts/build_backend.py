"""setuptools' build backend (pyproject.toml `build-backend`), with what a wheel's build needs to compile the core.

mypyc (setup.py) type-checks the compiled modules against the libraries they import, so a wheel's isolated build
environment gets mypy (the dev extra's requirement) and the project's own dependencies, read from pyproject.toml: the
libraries it will run with. Without them mypy finds no pydantic, refuses, and the wheel runs from source. An
editable install or an sdist needs none of it (they compile nothing) and gets setuptools' own requirements alone.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403 (the backend's other hooks, unchanged)

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def compile_requires() -> list[str]:
    """mypy, as the dev extra names it, and every dependency of the project."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    mypy = [r for r in project["optional-dependencies"]["dev"] if re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0] == "mypy"]
    return [*mypy, *project["dependencies"]]


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    return [*build_meta.get_requires_for_build_wheel(config_settings), *compile_requires()]
