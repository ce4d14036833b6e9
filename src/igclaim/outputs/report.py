"""The batch report: one self-contained HTML page a billing manager can open offline (inline CSS and SVG, no
scripts, no network). Figures are aggregated while the batch streams, so memory does not grow with the
number of claims: counters by edit, severity, week of service, payer type and input error, never the
results themselves.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from string import Template
from typing import Any

SEVERITIES = ("error", "warning", "info")
_COLORS = {"error": "#c62828", "warning": "#ef8f00", "info": "#1e78b4"}
_MAX_ERROR_KEYS = 200  # distinct input-error reasons kept; the rest are counted as "other"
_MAX_FIXES = 20  # distinct fix texts kept per edit
_EDITS_CHARTED = 15
# Findings whose money is at risk of denial for coverage (medical necessity: the diagnoses, the label's indication),
# not billed beyond the charts: the headline puts them in a figure of their own.
COVERAGE_EDITS = frozenset({"DX-NOT-COVERED", "DX-POINTER-NOT-COVERED", "DX-ROUTE-OFF-LABEL"})


def _week(dos: str) -> str:
    """The Monday of the ISO week of a date of service."""
    d = date.fromisoformat(dos)
    return (d - timedelta(days=d.weekday())).isoformat()


def _groups(findings: list[tuple[Any, ...]]) -> Callable[[int | None], int | None]:
    """The line each finding's dollars are counted on in the headline: a finding's 7th element names the lines whose
    dollars it carries too (DX-NOT-COVERED: the administration lines denied with the drug, docs/rules.md C1), so an
    administration finding on one of them is about the same dollars. Those lines and the finding's own (None: the
    claim) are one group, named by one of them; a line in two groups joins them. A summary without the 7th element
    (an older caller) has no groups."""
    parent: dict[int | None, int | None] = {}

    def root(line: int | None) -> int | None:
        while line in parent:
            line = parent[line]
        return line

    for f in findings:
        if len(f) > 6 and f[6]:
            own = root(f[5])
            for other in f[6]:
                joined = root(other)
                if joined != own:
                    parent[joined] = own
    return root


def _shape(field_path: str | None) -> str:
    """drugs[0].dose → drugs[].dose, so one kind of input error is counted once whatever the index."""
    if not field_path:
        return "(record)"
    out, skip = [], False
    for ch in field_path:
        if ch == "[":
            skip = True
            out.append("[]")
        elif ch == "]":
            skip = False
        elif not skip:
            out.append(ch)
    return "".join(out)


@dataclass
class EditTotals:
    findings: int = 0
    claims: int = 0
    by_severity: Counter = field(default_factory=Counter)
    impact_units: int = 0
    impact_usd: float = 0.0
    priced: int = 0
    fixes: Counter = field(default_factory=Counter)


@dataclass
class ReportAggregator:
    """Counters filled one result (or error) at a time."""

    records: int = 0
    results: int = 0
    errors: int = 0
    valid: int = 0  # records read and validated but not coded (--parse-only)
    clean: int = 0
    warnings_only: int = 0
    with_errors: int = 0
    by_mode: Counter = field(default_factory=Counter)
    by_severity: Counter = field(default_factory=Counter)
    edits: dict[str, EditTotals] = field(default_factory=lambda: defaultdict(EditTotals))
    weeks: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    claims_by_week: Counter = field(default_factory=Counter)
    payers: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    input_errors: Counter = field(default_factory=Counter)
    errors_by_stage: Counter = field(default_factory=Counter)
    # The headline figures count each claim line once, by its largest finding (several findings on one line are
    # about the same money: DRUG-UNITS-ML and DX-NOT-COVERED on one J-code line), and the findings of no line once
    # per claim, by the largest; a finding that carries other lines' dollars (DX-NOT-COVERED: the administration
    # denied with the drug) makes its line and those one group whose dollars count once (`_groups`; its units are
    # its own code's only, so units stay by line); the table by edit adds each edit's own findings (EditTotals).
    impact_units: int = 0
    impact_usd: float = 0.0
    priced_findings: int = 0  # findings with a price (each counted)
    priced_lines: int = 0  # claim lines or groups of them (and claims, for findings of no line) the headline counts
    # By the sign convention of Finding, of each line's largest finding: positive = left unbilled, negative = billed
    # beyond the chart; a coverage finding (COVERAGE_EDITS) = at risk of denial for coverage.
    unbilled_usd: float = 0.0
    beyond_chart_usd: float = 0.0
    coverage_usd: float = 0.0

    def add_result(self, summary: dict[str, Any]) -> None:
        self.records += 1
        self.results += 1
        self.by_mode[summary["mode"]] += 1
        findings = summary["findings"]
        severities = {f[1] for f in findings}
        status = "with errors" if "error" in severities else "warnings only" if "warning" in severities else "clean"
        if status == "clean":
            self.clean += 1
        elif status == "warnings only":
            self.warnings_only += 1
        else:
            self.with_errors += 1
        self.payers[summary["payer_type"]][status] += 1
        week = _week(summary["date_of_service"])
        self.claims_by_week[week] += 1
        seen: set[str] = set()
        group = _groups(findings)
        most_units: dict[Any, int] = {}  # line (None: the claim) → its largest units
        largest: dict[Any, tuple[float, bool, str]] = {}  # group of lines → its largest priced finding
        for edit_id, severity, units, usd, fix, *rest in findings:
            line = rest[0] if rest else None
            t = self.edits[edit_id]
            t.findings += 1
            t.by_severity[severity] += 1
            if edit_id not in seen:
                t.claims += 1
                seen.add(edit_id)
            # Both directions put money at stake, so the totals add sizes; the sign says which way (Finding).
            if units:
                t.impact_units += abs(units)
            if usd is not None:
                t.impact_usd += abs(usd)
                t.priced += 1
                self.priced_findings += 1
            if units:
                most_units[line] = max(most_units.get(line, 0), abs(units))
            if usd is not None:
                # (dollars, about coverage, sign "+"/"-") of the group's largest priced finding; on a tie, the first
                # not about coverage
                key, covered = group(line), edit_id in COVERAGE_EDITS
                most = largest.get(key)
                if most is None or (abs(usd), not covered) > (most[0], not most[1]):
                    largest[key] = (abs(usd), covered, "+" if usd > 0 else "-")
            if fix and (fix in t.fixes or len(t.fixes) < _MAX_FIXES):
                t.fixes[fix] += 1
            self.by_severity[severity] += 1
            self.weeks[week][severity] += 1
        self.impact_units += sum(most_units.values())
        for usd_most, covered, sign in largest.values():
            self.impact_usd += usd_most
            self.priced_lines += 1
            if covered:
                self.coverage_usd += usd_most
            elif sign == "+":
                self.unbilled_usd += usd_most
            else:
                self.beyond_chart_usd += usd_most

    def add_valid(self) -> None:
        """A record that --parse-only read and validated (not coded: no claim, no findings)."""
        self.records += 1
        self.valid += 1

    def add_error(self, entry: dict[str, Any]) -> None:
        self.records += 1
        self.errors += 1
        stage = entry.get("stage", "?")
        self.errors_by_stage[stage] += 1
        key = f"{stage}: {_shape(entry.get('field'))}"
        if key in self.input_errors or len(self.input_errors) < _MAX_ERROR_KEYS:
            self.input_errors[key] += 1
        else:
            self.input_errors["(other reasons)"] += 1

    def merge(self, other: ReportAggregator) -> None:
        """Add another aggregator's counters (one per Spark partition, merged on the driver); the caps on
        distinct error reasons and fix texts apply as if the records had been added here."""
        for name in ("records", "results", "errors", "valid", "clean", "warnings_only", "with_errors", "impact_units",
                     "impact_usd", "priced_findings", "priced_lines", "unbilled_usd", "beyond_chart_usd",
                     "coverage_usd"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("by_mode", "by_severity", "claims_by_week", "errors_by_stage"):
            getattr(self, name).update(getattr(other, name))
        for name in ("weeks", "payers"):
            for key, counter in getattr(other, name).items():
                getattr(self, name)[key].update(counter)
        for key, n in other.input_errors.items():
            if key in self.input_errors or len(self.input_errors) < _MAX_ERROR_KEYS:
                self.input_errors[key] += n
            else:
                self.input_errors["(other reasons)"] += n
        for edit_id, t in other.edits.items():
            mine = self.edits[edit_id]
            mine.findings += t.findings
            mine.claims += t.claims
            mine.by_severity.update(t.by_severity)
            mine.impact_units += t.impact_units
            mine.impact_usd += t.impact_usd
            mine.priced += t.priced
            for fix, n in t.fixes.items():
                if fix in mine.fixes or len(mine.fixes) < _MAX_FIXES:
                    mine.fixes[fix] += n

    # --- rendering ----------------------------------------------------------------------------------
    def render(self, meta: dict[str, Any], statements: dict[str, tuple[str, str]] | None = None) -> str:
        """The HTML page. `meta`: input, generated, data_as_of, elapsed, interrupted, parse_only, duplicates (a note
        on encounter ids given twice); `statements`: edit id → (one-line statement, default fix) from the edit
        catalog."""
        statements = statements or {}
        esc = html.escape
        total_findings = sum(self.by_severity.values())
        partial = (
            '<p class="banner">This run was interrupted: the figures cover only the records processed '
            "before it stopped.</p>" if meta.get("interrupted") else ""
        )
        if self.priced_findings:
            money = (f"<b id='usd-at-risk'>${self.impact_usd:,.2f}</b> at stake on {self.priced_lines:,} claim "
                     f"lines ({self.priced_findings:,} priced findings): "
                     f"<b id='usd-unbilled'>${self.unbilled_usd:,.2f}</b> the charts support but the "
                     f"claims leave unbilled, <b id='usd-beyond-chart'>${self.beyond_chart_usd:,.2f}</b> billed "
                     "beyond the charts (at risk of denial or recoupment), and "
                     f"<b id='usd-coverage'>${self.coverage_usd:,.2f}</b> at risk of denial for coverage (the "
                     "diagnoses or the label's indication do not support the line). Each claim line is counted "
                     "once, by its largest finding (findings of no line: once a claim; a finding whose dollars "
                     "carry the lines denied with its drug counts for those lines too), so several findings about "
                     "the same money are not added; the table by edit adds each edit's own findings. Only findings "
                     "with a loaded price count.")
        else:
            money = ("No finding carried a price: dollars at risk are not computed until drug prices "
                     "(CMS ASP pricing file) are loaded.")
        units_line = (f"<b id='units-at-risk'>{self.impact_units:,}</b> billing units named by findings "
                      "(units missing or billed beyond the chart, units discarded without need, units at risk for "
                      "coverage), counted by size, each claim line once (its largest finding).")
        tile_values: tuple[tuple[str, str, int, str, str], ...] = (
            ("total-records", "", self.records, "records read", f"{self.results:,} coded · {self.errors:,} "
             "could not be read or coded"),
            ("total-clean", "ok", self.clean, "claims clean", pct(self.clean, self.results) + " of coded"),
            ("total-warnings", "warn", self.warnings_only, "claims with warnings only",
             pct(self.warnings_only, self.results)),
            ("total-with-errors", "bad", self.with_errors, "claims with errors",
             pct(self.with_errors, self.results)),
            ("total-input-errors", "grey", self.errors, "records not coded", "see errors.jsonl"),
            ("total-findings", "", total_findings, "findings",
             " · ".join(f"{self.by_severity[s]:,} {s}" for s in SEVERITIES)),
        )
        if meta.get("duplicates"):
            partial += f'<p class="banner" id="duplicate-ids">{esc(meta["duplicates"])}</p>'
        if meta.get("parse_only"):
            # a parse-only run codes nothing: its tiles say what it did (valid / not valid), never "0 coded"
            partial += ("<p class=\"banner\" id=\"parse-only\">Parse only: the records were read and validated, "
                        "not coded; there are no claims or findings to show.</p>")
            tile_values = (
                ("total-records", "", self.records, "records read",
                 f"{self.valid:,} valid · {self.errors:,} not valid (parse only: not coded)"),
                ("total-valid", "ok", self.valid, "records valid", pct(self.valid, self.records) + " of read"),
                ("total-input-errors", "grey", self.errors, "records not valid", "see errors.jsonl"),
            )
        tiles = "".join(
            f'<div class="tile {cls}"><div class="num" id="{tid}">{value:,}</div><div class="lbl">{label}</div>'
            f'<div class="sub">{sub}</div></div>'
            for tid, cls, value, label, sub in tile_values
        )
        ranked = sorted(self.edits.items(), key=lambda kv: (-kv[1].by_severity["error"], -kv[1].claims, kv[0]))
        problems = [(k, t) for k, t in ranked if t.by_severity["error"] or t.by_severity["warning"]][:10]
        top_rows = "".join(
            f"<tr><td class='rank'>{i}</td><td><code>{esc(k)}</code><div class='stmt'>"
            f"{esc(statements.get(k, ('', ''))[0])}</div></td>"
            f"<td class='n'>{t.claims:,}</td><td class='n'>{pct(t.claims, self.results)}</td>"
            f"<td class='n'>{_usd(t)}</td>"
            f"<td>{esc(_top_fix(t, statements.get(k, ('', ''))[1]))}</td></tr>"
            for i, (k, t) in enumerate(problems, start=1)
        ) or "<tr><td colspan='6'>No errors or warnings.</td></tr>"
        edit_rows = "".join(
            f"<tr data-edit='{esc(k)}'><td><code>{esc(k)}</code></td>"
            + "".join(f"<td class='n sev-{s}'>{_n(t.by_severity[s])}</td>" for s in SEVERITIES)
            + f"<td class='n'>{t.findings:,}</td><td class='n'>{t.claims:,}</td>"
            f"<td class='n'>{_n(t.impact_units)}</td><td class='n'>{_usd(t)}</td></tr>"
            for k, t in sorted(self.edits.items(), key=lambda kv: (-kv[1].findings, kv[0]))
        ) or "<tr><td colspan='8'>No findings.</td></tr>"
        payer_rows = "".join(
            f"<tr><td>{esc(p.replace('_', ' '))}</td><td class='n'>{sum(c.values()):,}</td>"
            f"<td class='n'>{c['clean']:,}</td><td class='n'>{c['warnings only']:,}</td>"
            f"<td class='n'>{c['with errors']:,}</td></tr>"
            for p, c in sorted(self.payers.items())
        ) or "<tr><td colspan='5'>No coded claims.</td></tr>"
        err_rows = "".join(
            f"<tr><td><code>{esc(k)}</code></td><td class='n'>{n:,}</td></tr>"
            for k, n in self.input_errors.most_common(15)
        ) or "<tr><td colspan='2'>Every record was read and coded.</td></tr>"
        status_chart = _stacked_bar(
            [("clean", self.clean, "#2e7d32"), ("warnings only", self.warnings_only, _COLORS["warning"]),
             ("with errors", self.with_errors, _COLORS["error"]), ("not coded", self.errors, "#9e9e9e")])
        edit_chart = _edit_bars([(k, t.by_severity) for k, t in
                                 sorted(self.edits.items(), key=lambda kv: (-kv[1].findings, kv[0]))[:_EDITS_CHARTED]])
        week_chart = _week_columns(self.weeks, self.claims_by_week)
        template = Template((resources.files("igclaim.outputs") / "report_template.html").read_text("utf-8"))
        return template.substitute(
            title=esc(f"igclaim batch report — {meta.get('input', '')}"),
            input=esc(str(meta.get("input", ""))),
            generated=esc(str(meta.get("generated", ""))),
            data_as_of=esc(str(meta.get("data_as_of", ""))),
            run=esc(str(meta.get("run", ""))),
            partial=partial,
            tiles=tiles,
            status_chart=status_chart,
            money=money,
            units=units_line,
            top_rows=top_rows,
            edit_chart=edit_chart,
            edit_chart_note=f" (the {_EDITS_CHARTED} most frequent of {len(self.edits)})"
            if len(self.edits) > _EDITS_CHARTED else "",
            week_chart=week_chart,
            edit_rows=edit_rows,
            payer_rows=payer_rows,
            err_rows=err_rows,
            built=f"{self.by_mode['build']:,}",
            scrubbed=f"{self.by_mode['scrub']:,}",
        )


def _n(value: int) -> str:
    return f"{value:,}" if value else ""


def _usd(t: EditTotals) -> str:
    return f"${t.impact_usd:,.2f}" if t.priced else "—"


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f} %" if d else "—"


def _top_fix(t: EditTotals, default: str) -> str:
    """The catalog's fix for the edit; a finding's own fix (often specific to one claim) only when there is none."""
    if default:
        return default
    return t.fixes.most_common(1)[0][0] if t.fixes else ""


def _stacked_bar(parts: list[tuple[str, int, str]]) -> str:
    """One horizontal 100 % bar of claim outcomes, with a legend."""
    total = sum(n for _, n, _ in parts)
    width, x, rects, legend = 1000, 0.0, [], []
    for i, (label, n, color) in enumerate(parts):
        w = width * n / total if total else 0
        if w:
            rects.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="28" fill="{color}">'
                         f"<title>{html.escape(label)}: {n:,}</title></rect>")
        x += w
        legend.append(f'<g transform="translate({i * 210},48)"><rect width="14" height="14" fill="{color}"/>'
                      f'<text x="20" y="12">{html.escape(label)} {n:,}'
                      f"{f' ({100 * n / total:.0f} %)' if total else ''}</text></g>")
    return (f'<svg class="chart" viewBox="0 0 {width} 70" role="img" aria-label="claims by outcome">'
            + "".join(rects) + "".join(legend) + "</svg>")


def _edit_bars(rows: list[tuple[str, Counter]]) -> str:
    """Findings by edit id: horizontal bars, stacked by severity."""
    if not rows:
        return "<p class='muted'>No findings.</p>"
    label_w, bar_w, row_h = 260, 640, 26
    peak = max(sum(c.values()) for _, c in rows) or 1
    parts = []
    for i, (edit_id, counts) in enumerate(rows):
        y = i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" class="lab">'
                     f"{html.escape(edit_id)}</text>")
        x = float(label_w)
        for s in SEVERITIES:
            n = counts[s]
            if n:
                w = bar_w * n / peak
                parts.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row_h - 8}" '
                             f'fill="{_COLORS[s]}"><title>{html.escape(edit_id)} {s}: {n:,}</title></rect>')
                x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 17}" class="val">{sum(counts.values()):,}</text>')
    height = len(rows) * row_h + 4
    return (f'<svg class="chart" viewBox="0 0 {label_w + bar_w + 80} {height}" role="img" '
            f'aria-label="findings by edit">{"".join(parts)}</svg>')


def _week_columns(weeks: dict[str, Counter], claims: Counter) -> str:
    """Findings by week of service (Monday of the ISO week): columns stacked by severity."""
    if not claims:
        return "<p class='muted'>No coded claims.</p>"
    keys = sorted(claims)
    if len(keys) > 60:  # keep the chart readable: the latest 60 weeks
        keys = keys[-60:]
    left, top, plot_h, plot_w, bottom = 60, 14, 220, 880, 60
    peak = _nice_ceiling(max((sum(weeks[k].values()) for k in keys), default=0) or 1)
    step = plot_w / len(keys)
    bar = max(min(step * 0.7, 48), 2)
    parts = [f'<line x1="{left}" y1="{plot_h}" x2="{left + plot_w}" y2="{plot_h}" class="axis"/>']
    for frac in (0.25, 0.5, 0.75, 1.0):
        y = plot_h - plot_h * frac
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="val">{peak * frac:,.0f}</text>')
    label_every = max(1, len(keys) // 12)
    for i, k in enumerate(keys):
        x = left + i * step + (step - bar) / 2
        y = float(plot_h)
        for s in SEVERITIES:
            n = weeks[k][s]
            if n:
                h = plot_h * n / peak
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{_COLORS[s]}">'
                             f"<title>week of {k}: {n:,} {s} · {claims[k]:,} claims</title></rect>")
        if i % label_every == 0:
            cx = x + bar / 2
            parts.append(f'<text x="{cx:.1f}" y="{plot_h + 14}" text-anchor="end" class="lab small" '
                         f'transform="rotate(-40 {cx:.1f} {plot_h + 14})">{k}</text>')
    legend = "".join(f'<g transform="translate({left + i * 110},{plot_h + bottom - 4})"><rect width="12" height="12" '
                     f'fill="{_COLORS[s]}"/><text x="18" y="11" class="lab">{s}</text></g>'
                     for i, s in enumerate(SEVERITIES))
    return (f'<svg class="chart" viewBox="0 {-top} {left + plot_w + 20} {plot_h + bottom + 12 + top}" role="img" '
            f'aria-label="findings by week of service">{"".join(parts)}{legend}</svg>')


def _nice_ceiling(value: int) -> int:
    """The axis maximum: 1, 2, 2.5, 4 or 5 times a power of ten, at or above the value (quarter ticks stay round)."""
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 4, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude) if step * magnitude >= 4 else 4
    return value
