"""The command line (design.md §4). Thin: read, call the engine, print. Exit 0 with a result, 1 when
--fail-on finds findings of that severity, 2 when the input is invalid (one line per field, no traceback)."""

from __future__ import annotations

import errno
import json
import sys
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from igclaim import engine
from igclaim.errors import InputError, problem_lines
from igclaim.inputs import InvalidInput, filed_on, parse_json_text, read_input_file
from igclaim.model import Encounter, Result
from igclaim.options import FilingDateOpt

app = typer.Typer(
    help="igclaim: code immune globulin (IVIG/SCIG) infusion visits into claims, and scrub written claims.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def _version(value: bool) -> None:
    if value:
        from igclaim import __version__

        sys.stdout.write(f"igclaim {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="print the version and exit")] = False) -> None:
    """igclaim: code immune globulin (IVIG/SCIG) infusion visits into claims, and scrub written claims."""


class Format(str, Enum):
    json = "json"
    table = "table"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"


def _default_format(fmt: Format | None) -> Format:
    if fmt is not None:
        return fmt
    return Format.table if sys.stdout.isatty() else Format.json


def read_encounter(path: str) -> Encounter:
    """Read one encounter from a file or stdin ('-'); invalid input exits 2 naming the fields."""
    try:
        return parse_json_text(read_input_file(path))
    except InvalidInput as exc:
        _fail_input(path, exc.problems)


def _report_input(path: str, problems: list[str]) -> bool:
    """Each problem of one input on stderr, one line each (never wrapped), prefixed by its file. True: it was bad."""
    from igclaim.outputs.terminal import shown

    prefix = "" if path == "-" else f"{path}: "
    for p in problems:  # a problem may quote the input (an unknown key): its control characters and line breaks
        sys.stderr.write(shown(f"{prefix}{p}", line=True) + "\n")  # as escapes, so it stays one line
    return True


def _fail_input(path: str, problems: list[str]) -> NoReturn:
    _report_input(path, problems)
    raise typer.Exit(2)


def _exit_status(results: list[Result], fail_on: FailOn | None) -> int:
    if fail_on is None:
        return 0
    levels = {"error"} if fail_on == FailOn.error else {"error", "warning"}
    return 1 if any(f.severity in levels for r in results for f in r.findings) else 0


def _emit(results: list[Result], titles: list[str], fmt: Format, many: bool = False) -> None:
    """JSON: one result pretty-printed, or one line per result when several files were given (whether or not each
    was valid, so the shape does not change with an invalid file)."""
    if fmt == Format.json:
        if len(results) == 1 and not many:
            sys.stdout.write(results[0].model_dump_json(indent=2) + "\n")
        else:
            for r in results:
                sys.stdout.write(r.model_dump_json() + "\n")
        return
    from igclaim.outputs.table import print_result

    for r, t in zip(results, titles, strict=True):
        print_result(r, out, t)


def _run(files: list[str], fmt: Format | None, profile: str | None, fail_on: FailOn | None, scrub: bool,
         charts: str | None = None, filing_date: date | None = None) -> None:
    results, titles = [], []
    from igclaim.readers.scrub import looks_like_x12

    if scrub and any(looks_like_x12(p) for p in files):
        from igclaim.readers.cli import scrub_files

        raise typer.Exit(scrub_files(files, charts, _default_format(fmt), profile, fail_on, filing_date))
    invalid = False
    for path in files:
        # Each file on its own: an invalid one is named on stderr and the others are still coded (exit 2 at the end),
        # so one bad chart among many does not hide the results of the rest.
        try:
            enc = parse_json_text(read_input_file(path))
        except InvalidInput as exc:
            invalid = _report_input(path, exc.problems)
            continue
        if not scrub and enc.claim is not None:
            name = "stdin" if path == "-" else path
            sys.stderr.write(f"note: {name} holds a written claim; build did not compare it with the chart "
                             f"(use `igclaim scrub {path}`)\n")
        try:
            enc = filed_on(enc, filing_date)
            result = engine.scrub(enc, profile=profile) if scrub else engine.build(enc, profile=profile)
        except InputError as exc:
            invalid = _report_input(path, problem_lines(exc))
            continue
        results.append(result)
        titles.append(f"{Path(path).name} ({enc.encounter_id})" if path != "-" else enc.encounter_id)
    _emit(results, titles, _default_format(fmt), many=len(files) > 1)
    raise typer.Exit(2 if invalid else _exit_status(results, fail_on))


FilesArg = Annotated[list[str], typer.Argument(help="encounter JSON file(s); '-' reads stdin")]
FormatOpt = Annotated[Format | None, typer.Option("--format", "-f", help="json (default when piped) or table")]
ProfileOpt = Annotated[str | None, typer.Option("--profile", help="payer profile name or a .toml file of your own")]
FailOpt = Annotated[FailOn | None, typer.Option("--fail-on", help="exit 1 when findings of this severity exist")]


@app.command()
def build(files: FilesArg, format: FormatOpt = None, profile: ProfileOpt = None, fail_on: FailOpt = None,
          filing_date: FilingDateOpt = None) -> None:
    """Code an encounter: the claim that should be billed, with the chart's findings."""
    _run(files, format, profile, fail_on, scrub=False, filing_date=filing_date)


ChartsOpt = Annotated[str | None, typer.Option("--charts", help="with an 837: charts (encounters .jsonl/.json, FHIR "
                                                  "Bundles, or a folder of them) joined by claim id or patient + date")]


@app.command()
def scrub(files: FilesArg, format: FormatOpt = None, profile: ProfileOpt = None, fail_on: FailOpt = None,
          charts: ChartsOpt = None, filing_date: FilingDateOpt = None) -> None:
    """Compare the claim written in FILE with its chart: findings plus the expected claim. FILE may be an 837P/837I:
    each claim is joined to its chart (--charts) or scrubbed without one."""
    _run(files, format, profile, fail_on, scrub=True, charts=charts, filing_date=filing_date)


class SchemaKind(str, Enum):
    encounter = "encounter"
    result = "result"
    both = "both"


@app.command()
def schema(kind: Annotated[SchemaKind, typer.Argument()] = SchemaKind.both) -> None:
    """Print the JSON Schema of the encounter (input) and of the result (output)."""
    schemas = {
        "encounter": Encounter.model_json_schema(mode="validation"),
        "result": Result.model_json_schema(mode="serialization"),
    }
    doc = schemas if kind == SchemaKind.both else schemas[kind.value]
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")


@app.command()
def products() -> None:
    """Known immune globulin products: codes, billing units, strengths and package sizes."""
    from datetime import date

    from igclaim.refdata.resolver import reference

    ref = reference()
    t = Table(title=f"Immune globulin products (reference data as of {ref.data_as_of})", header_style="bold")
    for col in ("product", "code (from)", "unit", "route", "strength", "packages (g)", "NDCs"):
        t.add_column(col, overflow="fold")
    today = date.today()
    for p in ref.products:
        code = p.own_code(today)
        codes = ", ".join(f"{c.code} ({c.period.effective})" for c in p.codes) or (
            f"{nos} (NOS)" if (nos := ref.product_nos_code(p, today)) else "unlisted"
        )
        rec = ref.hcpcs(code or ref.product_nos_code(p, today) or "", today)
        unit = f"{rec.unit_mg} mg" if rec and rec.unit_mg else ""
        sizes = ", ".join(sorted({f"{k.grams:g}" for k in p.packages}, key=float))
        ndcs = ", ".join(k.ndc for k in p.packages if k.ndc)
        strength = f"{p.concentration_percent:g} %" if p.concentration_percent else p.form
        t.add_row(p.name, codes, unit, "/".join(p.routes), strength, sizes, ndcs)
    out.print(t)


class CatalogFormat(str, Enum):
    table = "table"
    markdown = "markdown"
    json = "json"


@app.command()
def edits(
    format: Annotated[CatalogFormat, typer.Option("--format", "-f", help="table, markdown or json")] = (
        CatalogFormat.table
    ),
) -> None:
    """The edit catalog: every finding igclaim can raise, with its severity, statement and source."""
    from igclaim.edits.registry import catalog_markdown, catalog_rows

    engine._load_edit_families()
    rows = catalog_rows()
    if format == CatalogFormat.json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    if format == CatalogFormat.markdown:
        sys.stdout.write(catalog_markdown())
        return
    t = Table(title="igclaim edits", header_style="bold")
    for col in ("id", "severity", "statement", "source"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["id"], r["severity"], r["statement"], r["source"])
    out.print(t)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    team: Annotated[bool, typer.Option("--team", help="the team service: worklist, authorization ledger, audit "
                                       "log, tokens required (igclaim users add, igclaim tokens create)")] = False,
    workers: Annotated[int, typer.Option(min=1, max=32, help="--team: worker processes (PostgreSQL; SQLite "
                                         "serves best with 1)")] = 1,
) -> None:
    """REST API (/api/build, /api/scrub, /docs) and the billers' web page on http://127.0.0.1:8000."""
    if not 1 <= port <= 65535:
        _fail_input("-", [f"--port: {port} is out of range; use 1 to 65535 (e.g. 8000)"])
    import socket

    try:
        with socket.create_server((host, port)):
            pass  # free: uvicorn binds it next (a race with another program is reported by uvicorn)
    except OSError as exc:
        why = "is already in use" if exc.errno in (98, 48, 10048) else f"cannot be opened ({exc.strerror})"
        _fail_input("-", [f"--port: {host}:{port} {why}; choose another with --port"])
    if team:
        from igclaim.api import serve as run_server
        from igclaim.service import migrate

        migrate.upgrade()  # once, before any worker starts
        from igclaim.service.app import share_rate_limits

        with share_rate_limits(workers):  # one token budget across the workers
            # a team's clients, not one biller; each worker builds its own app
            run_server(host, port, asgi="igclaim.service.app:create_app", limit_concurrency=512, workers=workers)
        return
    from igclaim.api import serve as run_server

    run_server(host, port)


# Commands that live beside the part of the journey they serve.
from igclaim.batch_cli import batch_cmd  # noqa: E402
from igclaim.denials.cli import denials_cmd  # noqa: E402
from igclaim.outputs.compare_cli import compare_sites_cmd  # noqa: E402
from igclaim.outputs.export_cli import export_cmd  # noqa: E402
from igclaim.refdata.data_cli import coverage_cmd, data_app  # noqa: E402
from igclaim.service.cli import db_app, tokens_app, users_app  # noqa: E402
from igclaim.spark_cli import spark_batch_cmd  # noqa: E402

app.command("batch")(batch_cmd)
app.command("export")(export_cmd)
app.command("compare-sites")(compare_sites_cmd)
app.command("denials")(denials_cmd)
app.add_typer(data_app, name="data")
app.command("spark-batch")(spark_batch_cmd)
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")
app.add_typer(users_app, name="users")
app.command("coverage")(coverage_cmd)


def main() -> None:
    """Exit 0/1/2 as documented; an unexpected failure is one line and exit 3, never a traceback (a user
    cannot tell a traceback from a finding). IGCLAIM_DEBUG=1 shows it."""
    import os

    try:
        try:
            app()
        finally:
            sys.stdout.flush()  # a full disk shows here, not as Python's "Exception ignored" and exit 120
    except KeyboardInterrupt:
        sys.stderr.write("igclaim: interrupted\n")
        raise SystemExit(130) from None
    except OSError as exc:
        if exc.errno not in _OUTPUT_FAILURES:
            raise _internal(exc) from None
        # The output is incomplete: say so (exit 2), and send what is still buffered nowhere, so the interpreter's
        # own flush at exit does not fail again over this message.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.stderr.write(f"igclaim: cannot write the output: {exc.strerror}; what was written is incomplete\n")
        raise SystemExit(2) from None
    except Exception as exc:
        raise _internal(exc) from None


# Writing the output failed for a reason of the machine, not of igclaim: a full disk or quota, a file too large,
# an I/O error, a read-only file system (`igclaim build chart.json > /full/disk/out.json`).
_OUTPUT_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}


def _internal(exc: Exception) -> SystemExit:
    """Exit 3 with one line (the traceback with IGCLAIM_DEBUG=1)."""
    import os

    if os.environ.get("IGCLAIM_DEBUG"):
        raise exc
    sys.stderr.write(f"igclaim: internal error ({type(exc).__name__}); please report it with the input "
                     "(set IGCLAIM_DEBUG=1 for details)\n")
    return SystemExit(3)


if __name__ == "__main__":
    main()
