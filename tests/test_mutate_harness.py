"""`make mutate` rewrites the edit checks of its copy of the repository (scripts/mutate_undecorate.py) so mutmut,
which skips decorated functions, mutates their bodies: the rewrite must register the same checks in the same order."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("mutate_undecorate", ROOT / "scripts" / "mutate_undecorate.py")
undecorate_mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(undecorate_mod)


def _registrations(tree: ast.Module) -> list[tuple[str, str, str]]:
    """(registrar, first argument, function) for decorated checks and for `edit(...)(f)` statements."""
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out += [(d.func.id, ast.literal_eval(d.args[0]), node.name) for d in node.decorator_list
                    if isinstance(d, ast.Call) and isinstance(d.func, ast.Name) and d.func.id in {"edit", "also_check"}]
        elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Call)
              and isinstance(node.value.func.func, ast.Name)):
            reg = node.value.func
            out.append((reg.func.id, ast.literal_eval(reg.args[0]), node.value.args[0].id))
    return out


def test_every_check_is_registered_the_same_way_without_its_decorator():
    total = 0
    for path in sorted((ROOT / "src" / "igclaim" / "edits").glob("*.py")):
        source = path.read_text()
        new, moved = undecorate_mod.undecorate(source)
        before, after = _registrations(ast.parse(source)), _registrations(ast.parse(new))
        assert after == before, path.name
        assert moved == len(before)
        assert not [ln for ln in new.splitlines() if ln.startswith(("@edit(", "@also_check("))]
        total += moved
    assert total > 50  # the families' checks, not an empty match
