"""The layers point one way (design.md: encounter → coding → edits → outputs): the finding catalog sits below
coding, coding never imports the edit families, and the reference data imports neither.

The walk is static (every `import`, also those inside functions), from a module through each igclaim module it
imports; the package facade `igclaim/__init__.py` (which re-exports the engine for users) is not followed."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _file(module: str) -> Path | None:
    base = SRC.joinpath(*module.split("."))
    for p in (base.with_suffix(".py"), base / "__init__.py"):
        if p.is_file():
            return p
    return None


@cache
def _direct(module: str) -> frozenset[str]:
    path = _file(module)
    if path is None:
        return frozenset()
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")[: len(module.split(".")) - node.level + (1 if is_pkg else 0)]
                base = ".".join([*parts, *([base] if base else [])])
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        for name in names:
            if name.startswith("igclaim.") and _file(name) is not None:
                parts = name.split(".")
                out.update(".".join(parts[:i]) for i in range(2, len(parts) + 1))  # and the parent packages
    return frozenset(out - {module})


def imports_of(module: str) -> set[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        for m in _direct(todo.pop()):
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


def _under(mods: set[str], *packages: str) -> set[str]:
    return {m for m in mods if any(m == p or m.startswith(p + ".") for p in packages)}


@pytest.mark.parametrize("module", ["igclaim.coding.claim", "igclaim.coding.drug", "igclaim.coding.administration",
                                    "igclaim.coding.payment", "igclaim.coding.time"])
def test_coding_never_imports_the_edits(module: str) -> None:
    assert _under(imports_of(module), "igclaim.edits", "igclaim.engine") == set()
    assert "igclaim.catalog" in imports_of("igclaim.coding.claim")


@pytest.mark.parametrize("module", ["igclaim.catalog", "igclaim.refdata.resolver", "igclaim.refdata.store",
                                    "igclaim.refdata.mac", "igclaim.refdata.coverage", "igclaim.refdata.icd10"])
def test_the_catalog_and_the_reference_data_sit_below_coding(module: str) -> None:
    assert _under(imports_of(module), "igclaim.coding", "igclaim.edits", "igclaim.engine") == set()


def test_the_walk_sees_the_edits_import_coding() -> None:
    """The walk itself can fail: the edits do import coding (the arrow that is allowed)."""
    assert "igclaim.coding.claim" in imports_of("igclaim.edits.context")
    assert "igclaim.catalog" in imports_of("igclaim.edits.registry")


def test_no_assert_narrows_a_type_in_the_core() -> None:
    """`python -O` drops asserts: the core narrows with an `if` or a typed stage value, never an assert."""
    core = [SRC / "igclaim" / "catalog.py", SRC / "igclaim" / "engine.py",
            *(p for d in ("coding", "edits", "refdata") for p in (SRC / "igclaim" / d).rglob("*.py"))]
    found = [f"{p.relative_to(SRC)}:{n.lineno}" for p in core
             for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))) if isinstance(n, ast.Assert)]
    assert found == []
