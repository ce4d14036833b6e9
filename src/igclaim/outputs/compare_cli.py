"""`igclaim compare-sites FILE`: the same visit priced in the office, the hospital outpatient department and at
home — the "site-neutral" question. Each site is coded by `engine.build` with the setting changed (its own form,
codes and prices); a site whose lines have no published price says which ones, never a made-up zero."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Annotated, Any

import typer

from igclaim import engine
from igclaim.errors import InputError, problem_lines
from igclaim.model import Encounter, Result

SITES = ("office", "hospital_outpatient", "home")


def compare(enc: Encounter, profile: str | None = None) -> dict[str, Result]:
    """The visit coded and priced at each site (the chart's facts unchanged; setting-specific overrides dropped)."""
    out = {}
    for site in SITES:
        moved = enc.model_copy(update={"setting": site, "place_of_service": None, "type_of_bill": None,
                                       "claim": None})
        out[site] = engine.build(moved, profile=profile)
    return out


def _part(site_date, line) -> str:
    """drug, administration (9636x) or supplies (Q2052, the E0779 pump: HCPCS services), from the reference data."""
    from igclaim.refdata.resolver import reference

    ref = reference()
    if ref.admin(line.code) is not None:
        return "administration"
    rec = ref.hcpcs(line.code, line.service_date or site_date) or ref.known_code(line.code)
    return "supplies" if rec is not None and rec.kind == "service" else "drug"


def _row(site: str, r: Result, dos) -> dict[str, Any]:
    c = r.claim
    parts: dict[str, Decimal | None] = {}
    for ln in c.lines:  # a part's subtotal is null while any of its lines has no published price
        part = _part(dos, ln)
        prior = parts.get(part, Decimal(0))
        parts[part] = None if prior is None or ln.expected_payment is None else prior + ln.expected_payment
    return {"site": site, "form": c.form, "lines": [f"{ln.code}{'-' + '-'.join(ln.modifiers) if ln.modifiers else ''}"
                                                    f" x{ln.units}" for ln in c.lines],
            "total": c.total_expected_payment, "priced_total": c.priced_total, "drug": parts.get("drug"),
            "administration": parts.get("administration"), "supplies": parts.get("supplies"), "parts": sorted(parts),
            "unpriced": c.unpriced_lines, "errors": [f.edit for f in r.findings if f.severity == "error"]}


def compare_sites_cmd(
    file: Annotated[str, typer.Argument(help="encounter JSON; '-' reads stdin")],
    format: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    profile: Annotated[str | None, typer.Option("--profile", help="payer profile name or .toml file")] = None,
) -> None:
    """Price the same visit in the office, the hospital outpatient department and at home."""
    from igclaim.cli import _fail_input, read_encounter

    enc = read_encounter(file)
    try:
        rows = [_row(site, r, enc.date_of_service) for site, r in compare(enc, profile).items()]
    except InputError as exc:
        _fail_input(file, problem_lines(exc))
    if format == "json":
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    from igclaim.outputs.terminal import cell

    t = Table(title=cell(f"{enc.encounter_id}: the same visit at each site"), header_style="bold")
    for col in ("site", "form", "lines", "drug", "administration", "expected total", "priced so far",
                "no published price"):
        t.add_column(col, overflow="fold")

    def usd(x: Decimal | None, present: bool = True) -> str:
        return f"{x:.2f}" if x is not None else ("—" if present else "")
    for r in rows:
        t.add_row(*map(cell, (r["site"], r["form"] or "", ", ".join(r["lines"]), usd(r["drug"]),
                              usd(r["administration"], "administration" in r["parts"]), usd(r["total"]),
                              usd(r["priced_total"]), ", ".join(r["unpriced"]) or "")))
    Console(width=160 if not sys.stdout.isatty() else None).print(t)
    sys.stdout.write("Prices: ASP payment limits (drugs) and the fee schedules you imported (igclaim data import "
                     "fees: the PFS relative value file prices office claims, a code,amount OPPS file hospital ones; "
                     "none is bundled, docs/data.md); a line without a published price is named, never zero.\n")
