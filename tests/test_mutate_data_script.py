"""scripts/mutate_data.py makes the mutations it says it makes: each changes one line of one refdata file, into
TOML that still reads, and the rule values of every value file are among them (docs/testing.md)."""

from __future__ import annotations

import importlib.util
import sys
import tomllib

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("mutate_data", ROOT / "scripts" / "mutate_data.py")
assert _spec is not None and _spec.loader is not None
mutate_data = importlib.util.module_from_spec(_spec)
sys.modules["mutate_data"] = mutate_data  # its dataclasses look their module up while the class is made
_spec.loader.exec_module(mutate_data)


def _applied(m) -> str:
    lines = (ROOT / m.file).read_text().splitlines()
    assert lines[m.line] == m.old
    lines[m.line] = m.new
    return "\n".join(lines)


def test_every_value_file_has_value_mutations_and_each_changes_one_line_into_toml():
    values = mutate_data.value_mutations()
    files = {str(m.file) for m in values}
    for name in ("cms/hcpcs.toml", "cms/settings.toml", "cms/ncci.toml", "cms/administration.toml",
                 "cms/modifiers.toml", "fda/products.toml", "coverage/default-ig.toml"):
        assert str(mutate_data.REFDATA / name) in files, name
    for m in values:
        assert m.new != m.old, m
        tomllib.loads(_applied(m))  # a value changed, never the file's syntax


def test_the_misreadings_are_the_ones_named():
    whats = {(str(m.file).split("/")[-1], m.line, m.what): m.new for m in mutate_data.value_mutations()}
    hcpcs = (ROOT / mutate_data.REFDATA / "cms" / "hcpcs.toml").read_text().splitlines()
    j1459_unit = next(i for i, t in enumerate(hcpcs) if t.startswith("unit_mg = 500"))
    assert whats[("hcpcs.toml", j1459_unit, "unit_mg 500 ×2")] == "unit_mg = 1000"
    assert whats[("hcpcs.toml", j1459_unit, "unit_mg 500 ÷2")] == "unit_mg = 250"
    assert any(w[0] == "settings.toml" and w[2] == 'form "CMS-1500" → \'UB-04\'' for w in whats)
    assert any(w[0] == "ncci.toml" and w[2] == 'severity "error" → \'warning\'' for w in whats)
    assert any(w[0] == "default-ig.toml" and w[2] == "codes: 'D69.3' dropped from [\"D69.3\"]" for w in whats)
    assert not any("title" in w[2] or "source" in w[2] for w in whats)  # texts, not rules


def test_dates_and_values_together_make_all():
    assert mutate_data.mutations("all") == mutate_data.date_mutations() + mutate_data.value_mutations()


def test_the_copy_holds_what_the_selection_imports(tmp_path):
    """Each mutation runs the selection in a copy of the repository; a test that imports a file the copy lacked
    (benchmarks/generate.py, from tests/test_rules_alike.py) made every run stop on the unchanged data."""
    import os
    import subprocess

    mutate_data.copy_repository(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "src"), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           *mutate_data._tests()], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
