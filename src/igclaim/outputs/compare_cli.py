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


def _row(site: str, r: Result) -> dict[str, Any]:
    c = r.claim
    drug = sum((ln.expected_payment or Decimal(0) for ln in c.lines if ln.code[:1] in "JQ"), Decimal(0))
    return {"site": site, "form": c.form, "lines": [f"{ln.code}{'-' + '-'.join(ln.modifiers) if ln.modifiers else ''}"
                                                    f" x{ln.units}" for ln in c.lines],
            "total": c.total_expected_payment, "priced_total": c.priced_total, "drug": drug,
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
        rows = [_row(site, r) for site, r in compare(enc, profile).items()]
    except InputError as exc:
        _fail_input(file, problem_lines(exc))
    if format == "json":
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{enc.encounter_id}: the same visit at each site", header_style="bold")
    for col in ("site", "form", "lines", "expected total", "priced so far", "no published price"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["site"], r["form"] or "", ", ".join(r["lines"]), f"{r['total']:.2f}" if r["total"] is not None
                  else "—", f"{r['priced_total']:.2f}" if r["priced_total"] is not None else "—",
                  ", ".join(r["unpriced"]) or "")
    Console(width=160 if not sys.stdout.isatty() else None).print(t)
    sys.stdout.write("Prices: ASP payment limits (drugs) and the fee schedules you imported (igclaim data import "
                     "fees); a line without a published price is named, never counted as zero.\n")
