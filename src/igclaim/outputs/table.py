"""A readable table of a result for the terminal: the claim lines, then the findings."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from igclaim.model import Result
from igclaim.outputs.terminal import cell, shown

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def money_line(c) -> str:
    """The expected payment as a sentence: the total, or the priced lines' sum and the lines without a price."""
    if c.total_expected_payment is not None:
        return f"expected payment: {c.total_expected_payment:.2f}"
    if c.priced_total is None:
        return "expected payment: no line has a published price (import one: igclaim data import asp|fees)"
    return (f"expected payment: {c.priced_total:.2f} for the priced lines; no published price for "
            f"{', '.join(c.unpriced_lines)} (igclaim data import fees)")


def render(result: Result, title: str | None = None) -> Group:
    c = result.claim
    where = f"POS {c.place_of_service}" if c.place_of_service else f"type of bill {c.type_of_bill}"
    head = Text.assemble(
        (shown(f"{title or result.encounter_id}"), "bold"),
        shown(f"  {c.form} · {where} · dx {', '.join(c.diagnoses) or '—'} · profile {result.reference.profile}"),
    )
    lines = Table(show_edge=False, header_style="bold")
    for col in ("#", "code", "mod", "units", "NDC", "NDC qty", "rev", "dx ptr", "expected $"):
        lines.add_column(col, justify="right" if col in ("units", "NDC qty", "expected $") else "left")
    for ln in c.lines:
        lines.add_row(*map(cell, (
            str(ln.line), ln.code, " ".join(ln.modifiers), str(ln.units), ln.ndc or "",
            f"{ln.ndc_unit} {ln.ndc_quantity}" if ln.ndc_quantity is not None else "",
            ln.revenue_code or "", ",".join(map(str, ln.diagnosis_pointers)),
            f"{ln.expected_payment:.2f}" if ln.expected_payment is not None else "",
        )))
    parts: list[RenderableType] = [head, lines, cell(money_line(c))]
    if result.findings:
        ft = Table(show_edge=False, header_style="bold")
        for col in ("severity", "edit", "line", "message", "fix"):
            ft.add_column(col, overflow="fold")
        for f in result.findings:
            ft.add_row(Text(f.severity, style=_STYLE[f.severity]), cell(f.edit), cell(f.line or ""), cell(f.message),
                       cell(f.fix or ""))
        parts.append(ft)
    else:
        parts.append(Text("no findings", style="green"))
    return Group(*parts, Text(""))


def print_result(result: Result, console: Console, title: str | None = None) -> None:
    console.print(render(result, title))
