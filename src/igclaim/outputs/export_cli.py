"""`igclaim export FILE --to 837p|837i|fhir|cms1500|ub04`: the coded claim in a format that leaves the program.

FILE is one encounter (JSON), or JSON Lines with one encounter a line (one interchange, many claims).
Output goes to stdout unless --out is given; the PDFs need --out. Exit 2 names every field when parties, a charge
or an input are missing or wrong (one line each); exit 1 refuses a claim with error findings unless --allow-errors.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from igclaim.errors import InputError, InternalError, problem_lines
from igclaim.inputs import (
    MAX_FILE_BYTES,
    InvalidInput,
    filed_on,
    parse_encounter,
    parse_json,
    parse_json_text,
    read_input_file,
    text_lines,
)
from igclaim.model import Encounter
from igclaim.options import FilingDateOpt
from igclaim.outputs import chargemaster
from igclaim.outputs.files import is_an_input, write_atomic
from igclaim.outputs.terminal import shown
from igclaim.outputs.x12 import ClaimInput, Envelope, build_claims, render


class Target(str, Enum):
    p837 = "837p"
    i837 = "837i"
    fhir = "fhir"
    cms1500 = "cms1500"
    ub04 = "ub04"


def read_encounters(path: str) -> tuple[list[Encounter], list[str]]:
    """Encounters from a JSON file (one) or JSON Lines (many; blank lines skipped), with the prefix that names
    each one in errors ('line 3: '). Raises InvalidInput with the problems."""
    text = read_input_file(path, limit=MAX_FILE_BYTES).removeprefix("\ufeff")
    rows = [(n, ln) for n, ln in enumerate(text_lines(text), start=1) if ln.strip()]
    jsonl = path.endswith((".jsonl", ".ndjson")) or (len(rows) > 1 and all(r[1].lstrip().startswith("{")
                                                                           and r[1].rstrip().endswith("}")
                                                                           for r in rows))
    if not jsonl and text.lstrip().startswith("["):
        return _array(text)
    if not jsonl:
        return [parse_json_text(text)], [""]
    return _collect((f"line {n}: ", partial(parse_json_text, line)) for n, line in rows)


def _collect(items: Iterable[tuple[str, Callable[[], Encounter]]]) -> tuple[list[Encounter], list[str]]:
    """Every encounter parsed, each named by its label ('line 3: ', '[2] ') in the problems of all that failed."""
    encs: list[Encounter] = []
    where: list[str] = []
    problems: list[str] = []
    for label, parse in items:
        try:
            encs.append(parse())
            where.append(label)
        except InvalidInput as exc:
            problems += [f"{label}{p}" for p in exc.problems]
    if problems:
        raise InvalidInput(problems)
    if not encs:
        raise InvalidInput(["(input): no encounters"])
    return encs, where


def _array(text: str) -> tuple[list[Encounter], list[str]]:
    """A JSON array of encounters (as a .json batch file may hold): item n is named '[n] ' in errors."""
    try:
        items = parse_json(text)  # long numbers kept exact, a key written twice refused
    except json.JSONDecodeError as exc:
        raise InvalidInput([f"(json) line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    except RecursionError:
        raise InvalidInput(["(json): not an array of encounters (nested too deep)"]) from None
    except ValueError as exc:
        raise InvalidInput([f"(json): {exc}"]) from None
    return _collect((f"[{n}] ", partial(parse_encounter, item)) for n, item in enumerate(items))


def export(encounters: list[Encounter], to: Target | str, charges: chargemaster.Chargemaster | None = None,
           envelope: Envelope | None = None, where: list[str] | None = None) -> str | bytes:
    """The library entry: text for 837 and FHIR, PDF bytes for the forms."""
    return export_claims(build_claims(encounters, where), to, charges, envelope)


def export_claims(claims: list[ClaimInput], to: Target | str, charges: chargemaster.Chargemaster | None = None,
                  envelope: Envelope | None = None) -> str | bytes:
    """Write claims already coded by `build_claims` (the CLI checks their findings in between)."""
    to = Target(to)
    env = envelope or Envelope()
    if to in (Target.p837, Target.i837):
        return render(claims, "837P" if to == Target.p837 else "837I", charges, env)
    if to == Target.fhir:
        from igclaim.outputs import fhir

        return fhir.render(claims, charges, env.created)
    from igclaim.outputs import forms

    return forms.render_pdf(claims, "CMS-1500" if to == Target.cms1500 else "UB-04", charges)


def error_findings(claims: list[ClaimInput]) -> list[str]:
    """One line per error finding of the coded claims: an export of these would be denied or rejected."""
    lines = []
    for c in claims:
        for f in c.result.findings:
            if f.severity == "error":
                where = f" (line {f.line})" if f.line else ""
                lines.append(f"{c.where}{c.encounter.encounter_id}: {f.edit}{where}: {f.message}")
    return lines


def check_out(out: Path, inputs: list[str] | None = None) -> str | None:
    """Why --out cannot be written, in one line (None when it can): among the reasons, naming an input file."""
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        return f"--out: {out} is a directory; give a file name"
    if inputs and is_an_input(out, list(inputs)):
        return f"--out: {out} is an input file; writing the export there would destroy it: choose another file"
    if not parent.is_dir():
        return f"--out: the directory {parent} does not exist"
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        return f"--out: {out} cannot be written here (permission denied)"
    return None


PARTIES = ("billing_provider", "rendering_provider", "ordering_provider", "patient", "subscriber")


def _and_other_parties(file: str, to: Target, problems: list[str]) -> list[str]:
    """When the only problems of a one-encounter file are in its parties, the other parties' problems too (so a
    biller fixes them all in one run, not one party a run): the encounter is read again without the parties that
    are wrong and the export's own party check runs on it."""
    bad = {p.split(".", 1)[0].split(":", 1)[0].split("[", 1)[0] for p in problems}
    if not bad or not bad <= set(PARTIES):
        return problems
    try:
        raw = json.loads(read_input_file(file, limit=MAX_FILE_BYTES).removeprefix("\ufeff"))
        if not isinstance(raw, dict):
            return problems
        enc = raw.get("input", raw) if "input" in raw and "encounter_id" not in raw else raw
        enc = {k: v for k, v in enc.items() if k not in bad}
        export_claims(build_claims([parse_encounter(enc)], [""]), to, chargemaster.load("sample"))
    except InputError as exc:
        more = [p for p in problem_lines(exc) if p.split(".", 1)[0].split(":", 1)[0] not in bad]
        return problems + more
    except (InvalidInput, ValueError, OSError):
        pass
    return problems


def _say(line: str) -> None:
    """One line on stderr. It may carry chart text (an encounter id, a finding's message quoting a diagnosis): its
    control characters are shown as escapes, as in a table, so an ESC ] 0 ; … BEL cannot retitle the terminal, and
    its line breaks too, so it stays one line."""
    typer.echo(shown(line, line=True), err=True)


def _fail(prefix: str, problems: list[str]) -> None:
    for p in problems:
        _say(f"{prefix}{p}")
    raise typer.Exit(2)


def export_cmd(
    file: Annotated[str, typer.Argument(help="encounter JSON, or JSON Lines of many; '-' reads stdin")],
    to: Annotated[Target, typer.Option("--to", help="837p, 837i, fhir, cms1500 (PDF) or ub04 (PDF field sheet)")],
    charges: Annotated[str | None, typer.Option("--charges", help="chargemaster CSV (code,unit_charge); "
                                                "'sample' = the bundled SAMPLE with synthetic charges")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="write here instead of stdout")] = None,
    sender_id: Annotated[str | None, typer.Option(help="ISA06/GS02 submitter id (default: billing NPI)")] = None,
    receiver_id: Annotated[str | None, typer.Option(help="ISA08/GS03 receiver id (default: payer_id)")] = None,
    receiver_name: Annotated[str | None, typer.Option(help="1000B receiver name (default: payer name)")] = None,
    contact_phone: Annotated[str | None, typer.Option(help="submitter contact phone "
                                                      "(default: billing_provider.phone)")] = None,
    control_number: Annotated[int, typer.Option(help="interchange/group control number")] = 1,
    created: Annotated[datetime | None, typer.Option(help="creation time (default: now)")] = None,
    production: Annotated[bool, typer.Option("--production", help="ISA15 = P (default T, test)")] = False,
    allow_errors: Annotated[bool, typer.Option("--allow-errors", help="export even when the claim has error "
                                               "findings (they are listed on stderr)")] = False,
    filing_date: FilingDateOpt = None,
) -> None:
    """Write the coded claim as an 837P/837I interchange, a FHIR R4B Claim, or a printable CMS-1500/UB-04."""
    prefix = "" if file == "-" else f"{file}: "
    try:
        encs, where = read_encounters(file)
    except InvalidInput as exc:
        _fail(prefix, exc.problems if file == "-" else _and_other_parties(file, to, exc.problems))
    if to in (Target.cms1500, Target.ub04) and out is None:
        _fail("", ["--out: a PDF needs --out FILE.pdf"])
    if out is not None and (why := check_out(out, [p for p in (file, charges) if p not in (None, "-", "sample")])):
        _fail("", [why])
    try:
        cm = chargemaster.load(charges) if charges else None
        if cm is not None and cm.sample:
            typer.echo("note: using the SAMPLE chargemaster (synthetic charges, not real prices)", err=True)
        env = Envelope(sender_id=sender_id, receiver_id=receiver_id, receiver_name=receiver_name,
                       contact_phone=contact_phone, control_number=control_number, created=created,
                       usage="P" if production else "T")
        claims = build_claims([filed_on(e, filing_date) for e in encs], where)
        errors = error_findings(claims)
        if errors and not allow_errors:
            for line in errors:
                _say(f"{prefix}{line}")
            _say(f"{prefix}refused: {len(errors)} error finding(s) would get this claim denied; fix them "
                 "(see `igclaim build`) or pass --allow-errors to export anyway")
            raise typer.Exit(1)
        for line in errors:
            _say(f"{prefix}warning: exported despite {line}")
        result = export_claims(claims, to, cm, env)
    except InputError as exc:
        _fail(prefix, problem_lines(exc))
    if cm is None:
        typer.echo("note: no --charges given: the charge of every line is blank; give a code,unit_charge CSV "
                   "(or 'sample') to fill them", err=True)
    try:
        if isinstance(result, bytes):
            if out is None:  # a PDF needs --out (checked above)
                raise InternalError("a binary export needs --out")
            write_atomic(out, result)
        elif out is None:
            sys.stdout.write(result)
        else:
            write_atomic(out, result)  # a failed write leaves the earlier file whole
    except OSError as exc:
        _fail("", [f"--out: cannot write {out}: {exc.strerror}" if out is not None
                   else f"cannot write the output: {exc.strerror}"])
