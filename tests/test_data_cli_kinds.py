"""`igclaim data import` and the team service's import route take the same kinds: importers.KINDS, which the CLI
spells with a hyphen (ndc-directory). A kind added to the importers and not to the CLI (or the reverse) fails here."""

from igclaim.refdata.data_cli import Kind
from igclaim.refdata.importers import KINDS


def test_the_cli_kinds_are_the_importers_kinds():
    assert [k.value.replace("-", "_") for k in Kind] == list(KINDS)


def test_the_mue_tables_are_one_list_the_cli_the_route_and_the_importer_take():
    """The MUE tables (practitioner, hospital, dme) were written twice: the CLI's Setting (which the team route's
    `setting` took from it) and the MUE importer's own check. importers.Setting is now the one list, and the
    importer takes each as given for a file whose header and name do not say; without one it asks for it."""
    import pytest

    from igclaim.refdata import data_cli, importers
    from igclaim.refdata.importers import ImportFailure, Options, Source, parse
    from igclaim.service import app
    from tests.test_import_formats import FIX

    assert data_cli.Setting is importers.Setting and app.Setting is importers.Setting
    text = (FIX / "MCR_MUE_PractitionerServices_Eff_04-01-2026-synthetic.csv").read_bytes()
    text = text.replace(b"Practitioner Services MUE Values", b"Services MUE Values")
    source = Source("MUE_Eff_04-01-2026.csv", text)
    assert [parse(source, "mue", Options(setting=s.value)).scope for s in importers.Setting] == [
        "practitioner", "hospital", "dme"]
    for unknown in (None, "clinic"):  # none, or one no table has (Options built in Python, not by a front end)
        with pytest.raises(ImportFailure, match="give --setting"):
            parse(source, "mue", Options(setting=unknown))
