"""`igclaim data import KIND FILE` and `igclaim data status` (design.md §4): load an official CMS file into the
store under IGCLAIM_HOME, and show what is loaded, the quarters covered and from which files."""

from __future__ import annotations

import sys
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from igclaim.refdata.importers import ImportFailure, Options, Setting, quarter_label, quarter_start

data_app = typer.Typer(help="Official CMS reference files: import them, see what is loaded.", no_args_is_help=True,
                       add_completion=False, pretty_exceptions_enable=False)
_err = Console(stderr=True, soft_wrap=True)


def _problem(text: str) -> None:
    """One line on stderr. It may name the user's file or a zip member, whose name may hold an ESC or a line break:
    shown as escapes, so it cannot drive the terminal or split the line."""
    from igclaim.outputs.terminal import shown

    _err.print(shown(text, line=True), markup=False, highlight=False)


class Kind(str, Enum):
    """importers.KINDS as the command line spells them (ndc-directory); tests/test_data_cli_kinds.py holds the two
    to one list (an Enum typer can show must be written out for mypy)."""

    hcpcs = "hcpcs"
    asp = "asp"
    crosswalk = "crosswalk"
    mue = "mue"
    ptp = "ptp"
    icd10 = "icd10"
    fees = "fees"
    ndc_directory = "ndc-directory"
    coverage = "coverage"


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _err.print(f"{option}: {value!r} is not a date YYYY-MM-DD", markup=False, highlight=False)
        raise typer.Exit(2) from None


@data_app.command("import")
def import_cmd(
    kind: Annotated[Kind, typer.Argument(help=", ".join(k.value for k in Kind))],
    file: Annotated[Path, typer.Argument(help="the CMS zip, or the CSV/XLSX/TXT inside it")],
    effective: Annotated[str | None, typer.Option(help="first date the file is in force (YYYY-MM-DD)")] = None,
    ends: Annotated[str | None, typer.Option(help="last date the file is in force (YYYY-MM-DD)")] = None,
    setting: Annotated[Setting | None, typer.Option(help="MUE/PTP table when the file does not say")] = None,
    schedule: Annotated[str | None, typer.Option(help="fee schedule name (locality or contract)")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an earlier import of the same period even when "
                                        "this file has far fewer rows")] = False,
) -> None:
    """Load an official CMS file; the same file twice changes nothing; a bad file changes nothing and exits 2."""
    from igclaim.outputs.terminal import shown
    from igclaim.refdata import store

    if not file.is_file():
        _problem(f"{file}: no such file")
        raise typer.Exit(2)
    options = Options(_date(effective, "--effective"), _date(ends, "--ends"),
                      setting.value if setting else None, schedule, force)
    try:
        reports = store.import_file(kind.value.replace("-", "_"), file, options)
    except ImportFailure as exc:
        _problem(f"{exc} (nothing was imported)")
        raise typer.Exit(2) from None
    except store.ImportBusy as exc:
        _problem(str(exc))
        raise typer.Exit(2) from None
    except OSError as exc:
        _problem(f"{file}: cannot read or store ({exc.strerror or exc})")
        raise typer.Exit(2) from None
    for r in reports:
        scope = f" {r.scope}" if r.scope else ""
        what = "imported" if r.changed else "already imported, nothing changed:"
        extra = f" (replaced {r.replaced} earlier file)" if r.replaced else ""
        if r.skipped:
            extra += f"; {len(r.skipped)} row{'s' * (len(r.skipped) > 1)} skipped (warnings on stderr)"
        sys.stdout.write(shown(f"{what} {r.kind}{scope} {r.file}: {r.rows} rows, {r.effective}..{r.ends}{extra}",
                               line=True) + "\n")
        for note in r.skipped:
            _problem(f"warning: {note}")


def _quarters(start: date, end: date) -> str:
    labels: list[str] = []
    q = quarter_start(start)
    while q <= end and len(labels) < 12:
        labels.append(quarter_label(q))
        q = date(q.year + (q.month == 10), 1 if q.month == 10 else q.month + 3, 1)
    return ", ".join(labels) + (" …" if q <= end else "")


@data_app.command("status")
def status_cmd() -> None:
    """What is loaded: each file with its kind, dates, quarters covered, rows and sha256."""
    from igclaim.refdata import store

    t = store.Tables(store.db_path())
    out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200)
    from igclaim.outputs.terminal import cell

    # file names are the user's (an import of "asp[bold].csv" showed as "asp.csv"): shown as text
    table = Table(title=cell(f"Reference data in {store.db_path()}"), header_style="bold")
    for col in ("kind", "table/schedule", "effective", "ends", "quarters", "rows", "file", "sha256", "imported"):
        table.add_column(col, overflow="fold")
    for x in [*t.loaded, *t.snapshot_loaded]:
        table.add_row(*map(cell, (x.kind, x.scope or x.part, str(x.effective), str(x.ends),
                                  _quarters(x.effective, x.ends), str(x.rows), x.file, x.sha256[:12], x.imported_at)))
    if not t.loaded:
        out.print("Nothing imported yet: igclaim uses the bundled snapshot only (`igclaim data import KIND FILE`).")
    out.print(table)


def coverage_cmd(
    code: Annotated[str, typer.Argument(help="an ICD-10-CM code, e.g. D80.1")],
    state: Annotated[str | None, typer.Option(help="billing provider's state: its A/B MAC only")] = None,
    on: Annotated[str | None, typer.Option("--date", help="date of service (YYYY-MM-DD); default today")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Which Medicare contractors' immune globulin articles list a diagnosis (Original Medicare only)."""
    import json

    from igclaim.refdata.icd10 import format
    from igclaim.refdata.importers.coverage import CODE
    from igclaim.refdata.mac import mac

    dos = _date(on, "--date") or date.today()
    if not CODE.match(code.strip().upper()):
        _err.print(f"{code!r} is not an ICD-10-CM code", markup=False, highlight=False)
        raise typer.Exit(2)
    data = mac()
    jur = None
    if state is not None:
        jur = data.jurisdiction_for_state(state)
        if jur is None:
            _err.print(f"--state: {state!r} is not a state or territory with an A/B MAC in the bundled table",
                       markup=False, highlight=False)
            raise typer.Exit(2)
    from igclaim.refdata.icd10 import billable_under, is_billable

    dx = format(code)
    rows = data.listing(dx, dos, state)
    result: dict[str, Any] = {"code": dx, "date": dos.isoformat(),
                    "listed_by": [{"article": a, "contractor": label, "groups": g, "list": src} for a, label, g, src
                                  in rows]}
    billable = is_billable(dx, dos)
    if billable is False:  # a category (D83) or a code not in the release: coverage is judged on billable codes
        result["billable"] = False
        result["billable_under"] = billable_under(dx, dos)
    elsewhere = [a for a, _, _, _ in data.listing(dx, dos)] if state is not None and not rows else []
    if elsewhere:
        result["listed_elsewhere"] = elsewhere
    if jur is not None:
        lookup = data.ab_lookup(jur.id, dos)
        status = lookup.status([dx])
        kind = "not_billable" if billable is False and status.kind != "covered" else status.kind
        result["state"] = {"state": state.upper() if state else None, "jurisdiction": jur.id,
                           "contractor": jur.contractor, "articles": list(jur.articles), "status": kind,
                           "notes": [n for n in status.notes if n]}
    if json_out:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    out = Console(soft_wrap=True)
    if jur is not None:
        words = {"covered": "listed (covered)", "not_covered": "NOT listed, in a range that was read (not covered)",
                 "unverified": "not listed, in a range that was not read (could not verify)",
                 "uncertain": "not listed; the list is uncertain here",
                 "not_billable": "not a billable ICD-10-CM code on the date, so not judged for coverage (code to a "
                 "billable code first" + (f": {', '.join(result.get('billable_under', []))}" if
                                          result.get("billable_under") else "") + ")"}
        out.print(f"{dx} in {state.upper() if state else ''} ({jur.id}, {jur.contractor}, "
                  f"{' + '.join(jur.articles)}): {words[result['state']['status']]}", markup=False, highlight=False)
        for n in result["state"]["notes"]:
            out.print(f"  note: {n}", markup=False, highlight=False)
    if not rows and elsewhere:
        out.print(f"No article of {jur.id if jur else 'the state'}'s contractor nor of the DME MACs (home) "
                  f"lists {dx} on {dos}; {len(elsewhere)} other contractor article{'s' if len(elsewhere) > 1 else ''}"
                  f" list it ({', '.join(elsewhere)}): run without --state to see them.", markup=False,
                  highlight=False)
        return
    if not rows:
        out.print(f"No bundled or imported contractor article lists {dx} on {dos}.", markup=False, highlight=False)
        return
    table = Table(title=f"Articles that list {dx} ({dos})", header_style="bold")
    for col in ("article", "contractor", "groups", "list"):
        table.add_column(col, overflow="fold")
    for a, label, groups, src in rows:
        table.add_row(a, label, ", ".join(map(str, groups)), src)
    out.print(table)
