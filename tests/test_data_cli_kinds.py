"""`igclaim data import` and the team service's import route take the same kinds: importers.KINDS, which the CLI
spells with a hyphen (ndc-directory). A kind added to the importers and not to the CLI (or the reverse) fails here."""

from igclaim.refdata.data_cli import Kind
from igclaim.refdata.importers import KINDS


def test_the_cli_kinds_are_the_importers_kinds():
    assert [k.value.replace("-", "_") for k in Kind] == list(KINDS)
