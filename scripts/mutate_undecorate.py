"""Rewrite the edit checks of a *copy* of the repository so mutmut mutates their bodies.

mutmut skips decorated functions, so the bodies of the `@edit(...)` / `@also_check(...)` checks would never be
mutated. The source keeps the decorators (the readable way to register a check); `make mutate` runs this script on
the copy it mutates, turning

    @edit("X", ...)
    def check(ctx): ...

into

    def check(ctx): ...
    edit("X", ...)(check)

which registers the same function (mutmut's trampoline, so the active mutant runs) in the same order.

    python scripts/mutate_undecorate.py DIR...      # rewrites every .py file under each DIR in place
"""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst

REGISTRARS = frozenset({"edit", "also_check"})


def _registrar(dec: cst.Decorator) -> cst.Call | None:
    call = dec.decorator
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in REGISTRARS:
        return call
    return None


def undecorate(source: str) -> tuple[str, int]:
    """The module with each registrar decorator moved after its function; how many were moved."""
    module = cst.parse_module(source)
    body: list[cst.CSTNode] = []
    moved = 0
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.decorators:
            calls = [_registrar(d) for d in stmt.decorators]
            if all(c is not None for c in calls):
                # the decorator's leading comments/blank lines stay above the function
                lead = stmt.decorators[0].leading_lines
                body.append(stmt.with_changes(decorators=[], leading_lines=[*lead, *stmt.leading_lines]))
                target: cst.BaseExpression = cst.Name(stmt.name.value)
                for call in reversed([c for c in calls if c is not None]):  # innermost decorator first
                    target = cst.Call(func=call, args=[cst.Arg(target)])
                body.append(cst.SimpleStatementLine([cst.Expr(target)]))
                moved += len(calls)
                continue
            if any(c is not None for c in calls):
                raise SystemExit(f"mixed decorators on {stmt.name.value}: rewrite by hand")
        body.append(stmt)
    return module.with_changes(body=body).code, moved


def main(argv: list[str]) -> int:
    total = 0
    for root in argv:
        for path in sorted(Path(root).rglob("*.py")):
            new, moved = undecorate(path.read_text())
            if moved:
                path.write_text(new)
                total += moved
                print(f"{path}: {moved} check(s) registered without a decorator")
    print(f"{total} checks rewritten")
    return 0 if total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
