"""The README and docs stand alone: every link points at a file in the repository, and none sends the reader to
material outside it (the team's design notes, the shared reference folder)."""

from __future__ import annotations

import re

from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "examples").rglob("*.md"))]
OUTSIDE = ("design.md", "reference.md", "errata", "shared/", "seeds/")


def test_links_point_at_files_in_the_repository():
    broken = []
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            path = (doc.parent / target.split("#")[0]).resolve()
            if not path.exists() or ROOT not in path.parents:
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert not broken, broken


def test_no_reference_to_material_outside_the_repository():
    found = [f"{doc.relative_to(ROOT)}: {word}" for doc in DOCS for word in OUTSIDE if word in doc.read_text()]
    assert not found, found
