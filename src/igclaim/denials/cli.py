"""`igclaim denials REMIT.835`: read the payer's remittance, explain every claim, trace each denial to the igclaim
edit that would have caught it, and prepare the corrected claims. Exit 0 when the remittance was read (claims
in error are listed, not a failure of the run); 2 when a file cannot be read at all, naming it."""

from __future__ import annotations

import re
import sys
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from igclaim.errors import InputError, problem_lines

if TYPE_CHECKING:  # the modules load when the command runs, so other commands start no slower
    from collections.abc import Callable

    from igclaim.denials.claims import ClaimSource
    from igclaim.denials.mapping import ClaimView
    from igclaim.denials.reader import Remittance


class DenialFormat(str, Enum):
    json = "json"
    table = "table"


def analyse(texts: list[tuple[str, str]], source: ClaimSource | None) -> tuple[list[Remittance], list[ClaimView],
                                                                                list[dict[str, Any]]]:
    """Every claim of every remittance: explained (and traced when claims are given) or an error entry."""
    from igclaim.denials.claims import trace
    from igclaim.denials.mapping import explain
    from igclaim.denials.reader import RemitError, read_835

    remits: list[Remittance] = []
    views: list[ClaimView] = []
    errors: list[dict[str, Any]] = []
    # A decision is the payer's claim number (CLP07) with its status and amounts: met again (the same 835 given twice,
    # or a copy among the files) it is listed once as an error and counted once, never a second replacement claim.
    decided: dict[tuple[str, str, str, Decimal, Decimal], str] = {}
    # A payment met again likewise: its provider-level adjustments (PLB) are counted with the first.
    paid: dict[tuple[Any, ...], str] = {}
    for name, text in texts:
        try:
            found = read_835(text)
        except RemitError as exc:
            raise InputError(name, str(exc)) from None
        for r in found:
            index = len(remits)
            r.source = name
            remits.append(r)
            if (payment := r.payment_key()) is not None:
                r.repeat_of = paid.get(payment)
                paid.setdefault(payment, f"remittance {index + 1} ({r.trace_number}) of {name}")
            for c in r.claims:
                if c.problems:
                    errors.append({"remittance": index + 1, "file": name, "claim_id": c.claim_id or None,
                                   "payer_claim_id": c.payer_claim_id, "status": c.status or None,
                                   "segment": c.segment, "problems": c.problems})
                    continue
                key = (c.claim_id, c.payer_claim_id or "", c.status, c.charge, c.paid)
                if c.payer_claim_id and key in decided:
                    errors.append({"remittance": index + 1, "file": name, "claim_id": c.claim_id or None,
                                   "payer_claim_id": c.payer_claim_id, "status": c.status or None,
                                   "segment": c.segment, "problems": [
                                       f"the same decision as in {decided[key]} (payer claim number "
                                       f"{c.payer_claim_id}, same status and amounts): counted once (was the "
                                       "same 835 given twice?)"]})
                    continue
                decided.setdefault(key, f"remittance {index + 1} of {name}")
                try:
                    view = explain(r, index, c)
                except Exception as exc:  # a defect must not lose a claim: it is listed as an error
                    errors.append({"remittance": index + 1, "file": name, "claim_id": c.claim_id,
                                   "segment": c.segment, "problems": [f"(internal) {type(exc).__name__}"]})
                    continue
                if source is not None:
                    trace(view, source)
                views.append(view)
    pair_reversals(views)
    return remits, views, errors


def pair_reversals(views: list[ClaimView]) -> None:
    """A reversal (CLP02 22) is usually followed by the payer's corrected decision on the same claim number."""
    from igclaim.denials.mapping import NOT_DECISIONS

    decided = {v.claim_id for v in views if v.outcome not in NOT_DECISIONS}
    for v in views:
        if v.outcome == "reversal":
            v.summary += (" The corrected decision is in this remittance." if v.claim_id in decided else
                          " No corrected decision for this claim is in this remittance.")


def denials_cmd(
    remits: Annotated[list[Path], typer.Argument(help="835 remittance file(s) (005010X221A1)")],
    claims: Annotated[str | None, typer.Option(
        "--claims", help="the claims that went out: results.jsonl (igclaim batch) or its directory, encounters as "
        "JSON Lines, a directory of encounter JSON files, or one encounter .json")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="write denials.json, denials.csv and report.html "
                                             "here")] = None,
    corrected: Annotated[Path | None, typer.Option(
        "--corrected", help="write replacement claims (frequency 7, REF*F8) to this .837 file")] = None,
    charges: Annotated[str | None, typer.Option(
        "--charges", help="chargemaster CSV (code,unit_charge) for --corrected; 'sample' for the bundled SAMPLE",
    )] = None,
    format: Annotated[DenialFormat | None, typer.Option("--format", "-f", help="json (default when piped) or "
                                                        "table")] = None,
) -> None:
    """Explain the denials of an 835 remittance and trace each to the igclaim edit that would have caught it."""
    from igclaim.denials.claims import ClaimsError, load_claims, plan_corrections
    from igclaim.denials.reader import MAX_BYTES, RemitError, decode_835
    from igclaim.denials.report import (
        claim_index,
        csv_writer,
        forwarding_balances,
        html_writer,
        recovered_totals,
        remittance_dict,
        same_payers,
        summarize,
        to_json,
    )
    from igclaim.outputs.files import is_an_input

    inputs: list[str | Path] = [*remits, *[x for x in (claims, charges) if x not in (None, "sample")]]
    written = [corrected] if corrected is not None else []
    written += [out / name for name in ("denials.json", "denials.csv", "report.html")] if out is not None else []
    for target in written:
        if is_an_input(target, inputs):  # checked before anything is read or written: the input stays whole
            _fail(f"{target} is an input file; writing there would destroy it: choose another --out or --corrected")
    texts = []
    for p in remits:
        try:
            if p.stat().st_size > MAX_BYTES:
                _fail(f"{p}: larger than {MAX_BYTES // (1024 * 1024)} MB")
            texts.append((str(p), decode_835(p.read_bytes())))
        except OSError as exc:
            _fail(f"{p}: cannot read: {exc.strerror}")
        except RemitError as exc:
            _fail(f"{p}: {exc}")
    source = None
    if claims:
        try:
            source = load_claims(claims)
        except ClaimsError as exc:
            _fail(f"--claims {exc}")
    if corrected is not None and source is None:
        _fail("--corrected: give --claims with the encounters (the charts) so igclaim can recode the claims")
    try:
        remittances, views, errors = analyse(texts, source)
    except InputError as exc:
        _fail(*problem_lines(exc))
    corrections: dict[str, Any] = {"requested": corrected is not None, "written": [], "need_person": [],
                                   "files": []}
    if corrected is not None:
        corrections = write_corrections(views, source, corrected, charges, inputs)
    elif source is not None or any(v.denied_usd > 0 for v in views):
        plan = plan_corrections(views, source)  # says which claims igclaim could correct and which need a person
        corrections["need_person"] = plan.need_person
        corrections["correctable"] = [e.claim_id for e in plan.encounters]
    same_payers(remittances)
    index = claim_index(remittances, source)
    recovered = recovered_totals(remittances, index)
    balances = forwarding_balances(remittances)
    payments = [remittance_dict(r, claims=index, recovered=recovered, balances=balances) for r in remittances]
    meta = {"input": ", ".join(str(p) for p in remits), "generated": datetime.now().isoformat(timespec="seconds"),
            "claims": claims, "payers": sorted({r.payer or "?" for r in remittances}),
            "remittances": payments,
            # the file's own departures from the guide (ISA, GS, GE, IEA), once per file: each remittance has its own
            "envelope_problems": [{"file": r.source, "problems": r.envelope_problems} for r in remittances
                                  if r.envelope_problems],
            "source_problems": source.problems if source else []}
    summary = summarize(views, errors, source is not None, remittances)
    # Each output is written as it is made: the claims' JSON dicts one at a time, the CSV row by row, the page claim
    # by claim (made whole, with the claims and their explanations also held, they were most of the peak memory).
    doc = to_json(meta, views, errors, summary, corrections, lazy=True)
    from igclaim.outputs.files import json_writer

    if out is not None:
        _write(out / "denials.json", json_writer(doc))
        _write(out / "denials.csv", csv_writer(views, errors, payments))
        _write(out / "report.html", html_writer(meta, views, errors, summary, corrections))
        sys.stderr.write(_line(summary) + f"\noutputs in {out}/: denials.json, denials.csv, report.html\n")
        return
    fmt = format or (DenialFormat.table if sys.stdout.isatty() else DenialFormat.json)
    if fmt == DenialFormat.json:
        sys.stdout.flush()
        json_writer(doc)(sys.stdout.buffer)
    else:
        _table(views, errors, summary, payments)


def write_corrections(views: list[ClaimView], source: ClaimSource | None, path: Path,
                      charges_arg: str | None, inputs: list[str | Path] | None = None) -> dict[str, Any]:
    from igclaim.denials.claims import claims_with_parties, plan_corrections
    from igclaim.outputs import chargemaster, x12
    from igclaim.outputs.files import is_an_input

    if not charges_arg:
        _fail("--charges: replacement claims need charges: give a code,unit_charge CSV (or 'sample')")
        return {}
    try:
        charges = chargemaster.load(charges_arg)
    except InputError as exc:
        _fail(*problem_lines(exc))
    plan = plan_corrections(views, source)
    groups: dict[tuple[str, str], list] = {}
    written = []
    for enc, why in claims_with_parties(plan.encounters):
        if why:
            plan.need_person.append((enc.claim_id or enc.encounter_id, f"cannot write the 837: {why}"))
            continue
        groups.setdefault((x12.transaction_for(enc), x12.receiver_of(enc, x12.Envelope())), []).append(enc)
        written.append(enc.claim_id or enc.encounter_id)
    targets = _correction_files(path, list(groups))
    for target in targets.values():
        if target != path and is_an_input(target, inputs or []):
            _fail(f"--corrected: {target} is an input file; writing there would destroy it: choose another name")
    files = []
    for (kind, receiver), encs in sorted(groups.items()):
        target = targets[kind, receiver]
        try:
            text = x12.to_837(encs, charges, kind)  # type: ignore[arg-type]
        except InputError as exc:
            _fail(*(f"--corrected: {p}" for p in problem_lines(exc)))
        _write(target, text)
        files.append(str(target))
        for enc in encs:
            for v in views:
                if v.claim_id in (enc.claim_id, enc.encounter_id):
                    v.correction = f"replacement claim written to {target.name}"
    by_claim = {v.claim_id: v for v in views}
    for cid, why in plan.need_person:
        if cid in by_claim:
            by_claim[cid].correction = f"needs a person: {why}"
    return {"requested": True, "written": written, "need_person": plan.need_person, "files": files}


def _correction_files(path: Path, groups: list[tuple[str, str]]) -> dict[tuple[str, str], Path]:
    """Where each (form, receiver)'s replacements go: an interchange has one form and goes to one receiver (the
    payer), so the remittances of several payers make several files. One form and one payer: `path` itself; the
    837I beside an 837P: `-837i`; several payers of a form: each payer id after the name (fixed-00952.837)."""
    kinds = {k for k, _ in groups}
    out = {}
    for kind, receiver in groups:
        stem = path.stem if len(kinds) == 1 or kind == "837P" else f"{path.stem}-837i"
        if sum(1 for k, _ in groups if k == kind) > 1:
            stem += "-" + (re.sub(r"[^A-Za-z0-9]+", "-", receiver).strip("-") or "payer")
        out[kind, receiver] = path.with_name(stem + path.suffix)
    return out


def _line(s: Any) -> str:
    plb = ""
    if s.provider_adjusted:
        plb = (f"; provider-level adjustments (PLB) net ${abs(s.provider_adjusted):,.2f} "
               f"{'taken from' if s.provider_adjusted > 0 else 'added to'} the payments")
    warned = (f"; {s.payment_warnings} payment(s) (BPR02) do not balance with their claims and PLBs"
              if s.payment_warnings else "")
    warned += f"; {s.payment_problems} payment(s) with a problem (BPR02)" if s.payment_problems else ""
    return (f"claims {s.claims + s.errors} = {s.claims} explained + {s.errors} in error; denied ${s.denied:,.2f}, "
            f"recoverable ${s.recoverable:,.2f}, traced to igclaim edits ${s.caught:,.2f}{plb}{warned}")


def _table(views: list[ClaimView], errors: list[dict[str, Any]], s: Any, remittances: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    from igclaim.denials.report import plb_text
    from igclaim.outputs.terminal import cell

    con = Console(soft_wrap=False)
    t = Table(title="Remittance, claim by claim", header_style="bold")
    for col in ("claim", "outcome", "billed", "paid", "denied", "why", "igclaim edits"):
        t.add_column(col, overflow="fold")
    for v in views:
        t.add_row(*map(cell, (v.claim_id, v.outcome, f"{v.charge:,.2f}", f"{v.paid:,.2f}", f"{v.denied_usd:,.2f}",
                              "\n".join([v.summary, *(f"warning: {w}" for w in v.warnings)]), ", ".join(v.edits))))
    for e in errors:
        t.add_row(*map(cell, (str(e.get("claim_id") or "?"), "error", "", "", "", "; ".join(e["problems"]), "")))
    con.print(t)
    p = Table(title="Payments: the claims' payments less the provider-level adjustments (PLB)", header_style="bold")
    for col in ("payment (trace)", "payer", "paid (BPR02)", "claims paid (CLP04)", "PLB", "adjustments and checks"):
        p.add_column(col, overflow="fold")
    for r in remittances:
        notes = [plb_text(a) for a in r["provider_adjustments"]] + [f"warning: {w}" for w in r["warnings"]]
        notes += [f"problem: {w}" for w in r["problems"]]
        p.add_row(*map(cell, (r["trace_number"] or "?", r["payer"] or "?", f"{r['paid']:,.2f}",
                              f"{r['claims_paid']:,.2f}", f"{r['provider_adjusted']:,.2f}", "\n".join(notes) or "")))
    con.print(p)
    con.print(cell(_line(s)))


def _write(path: Path, text: str | Callable[[BinaryIO], object]) -> None:
    """Write next to the target, then replace it: a failed write never leaves a half file in its place."""
    from igclaim.outputs.files import write_atomic

    try:
        write_atomic(path, text)
    except OSError as exc:
        _fail(f"{path}: cannot write: {exc.strerror}")


def _fail(*messages: str) -> None:
    """The refusal on stderr, one line per problem, exit 2. It may quote the 835 (pyx12 quotes its ISA segment) or
    the claims: their control characters are shown as escapes, so an ESC [ 2 J in an element cannot clear the
    terminal, and their line breaks too, so each problem stays one line."""
    from igclaim.outputs.terminal import shown

    sys.stderr.write("".join(shown(m, line=True) + "\n" for m in messages))
    raise typer.Exit(2)
