"""docs/edits.md's "Families" table is where a newcomer looks for a rule: every edit id igclaim declares is listed
there, under the module whose source raises it (an edit module under src/igclaim/edits/, or coding/*.py). It had
drifted: 27 of 89 ids were in no row (FORM-PLACE, HOME-PLACE, the plausibility and filing edits…)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import igclaim.edits as edits_pkg
from igclaim.edits.registry import SPECS

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "igclaim"
ROW = re.compile(r"^\| `([^`]+)`[^|]* \| ([^|]*) \|", re.M)
ID = re.compile(r"\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b")


def _rows() -> dict[str, set[str]]:
    text = (ROOT / "docs" / "edits.md").read_text(encoding="utf-8")
    table = text[text.index("## Families"):text.index("### How written lines")]
    return {module: set(ID.findall(ids)) for module, ids in ROW.findall(table)}


def _declared() -> set[str]:
    for m in pkgutil.iter_modules(edits_pkg.__path__):
        importlib.import_module(f"igclaim.edits.{m.name}")
    return set(SPECS)


def test_every_declared_edit_is_in_the_families_table():
    listed = set().union(*_rows().values())
    assert sorted(_declared() - listed) == []


def test_each_id_in_a_row_is_raised_by_that_rows_module():
    """A row's module raises each of its ids: its source names the id in quotes (`coding/*.py`: any coding module)."""
    for module, ids in _rows().items():
        paths = sorted((SRC / "coding").glob("*.py")) if module.startswith("coding/") else [SRC / "edits" / module]
        source = "".join(p.read_text(encoding="utf-8") for p in paths)
        assert sorted(i for i in ids if f'"{i}"' not in source) == [], module
