"""Administration lines from documented times (reference.md §4).

One initial service per encounter on a professional claim (the immune globulin, the primary reason for the
visit), one per vascular access site on a hospital claim (facility hierarchy: infusion > push > injection >
hydration). Later services are sequential (a new drug), concurrent (overlapping another drug infusion, once)
or more hours of the same drug. Separate intervals of one drug are judged one by one, never summed;
sites of one drug infused at once (SC, or IV) are one interval (`_sites_at_once`), and so is an infusion continued
with no gap: a new bag, bottle or syringe at the same site, or (SC) the next site.
Codes are looked up by role and family in refdata/cms/administration.toml, not written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from igclaim.catalog import declare, finding
from igclaim.coding.drug import CodedDrug
from igclaim.coding.time import additional_hours, hour_units, minutes_between
from igclaim.model import Encounter, Finding
from igclaim.refdata.rules import Rules

MANUAL_CH12 = "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c12.pdf"

declare(
    "ADMIN-TIMES-MISSING",
    severity="error",
    statement="a timed administration code without documented start and stop times",
    fix="Document the start and stop time of each infusion; timed codes are not billed on a guess.",
    source=MANUAL_CH12,
)
declare(
    "ADMIN-CONCURRENT-ONCE",
    severity="warning",
    statement="a further drug infusion running at the same time as others once the encounter's one concurrent "
    "infusion is coded: coded as a sequential infusion of a new drug, which it may not be",
    fix="Keep the sequential infusion only if this drug's infusion did not run at the same time as the others (check "
    "the documented times); otherwise remove it: the concurrent infusion code is reported once per encounter.",
    source=MANUAL_CH12,
)
declare(
    "ADMIN-NOT-BILLED",
    severity="info",
    statement="a documented fluid or administration that is not separately billable, and why",
    fix="Nothing to bill: keep the documentation.",
    source="https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits",
)


@dataclass(slots=True, init=False)
class Service:
    """One documented administration (or ordered hydration), classified by what it is."""

    kind: str  # infusion | sc_infusion | push | injection | hydration
    path: str
    site: int
    drug_id: str | None = None
    is_ig: bool = False
    start: datetime | None = None
    stop: datetime | None = None
    minutes: int | None = None
    pump_setups: int | None = None
    span_sites: tuple[int, ...] = ()  # sites at once (`_sites_at_once`): every site the span's administrations used

    # Written out (not dataclass's): mypyc compiles it, as drug.py's stage values (tests/test_coding_memo.py).
    def __init__(self, kind: str, path: str, site: int, drug_id: str | None = None, is_ig: bool = False,
                 start: datetime | None = None, stop: datetime | None = None, minutes: int | None = None,
                 pump_setups: int | None = None, span_sites: tuple[int, ...] = ()) -> None:
        self.kind, self.path, self.site, self.drug_id, self.is_ig = kind, path, site, drug_id, is_ig
        self.start, self.stop, self.minutes, self.pump_setups = start, stop, minutes, pump_setups
        self.span_sites = span_sites

    def overlaps(self, other: Service) -> bool:
        if not (self.start and self.stop and other.start and other.stop):
            return False
        return self.start < other.stop and other.start < self.stop


@dataclass(slots=True, init=False)
class AdminLine:
    """One administration line, and what it administers: `drugs` maps each drug id (None: hydration) to the units
    of the line its services account for. Units of one code add up drug by drug (96366: two hours of one drug, one
    of another); a line every one of its drugs needs whole (a pump set-up, a home supply bundle) names each with all
    its units. So the units a set of drugs takes off the line if denied are the line's units less what the others
    account for (edits/diagnosis.py `_denied_administration`: CGS denies a drug's administration with it)."""

    code: str
    units: int
    modifiers: list[str] = field(default_factory=list)
    service_date: date | None = None
    drugs: dict[str | None, int] = field(default_factory=dict)

    def __init__(self, code: str, units: int, modifiers: list[str] | None = None,
                 service_date: date | None = None, drugs: dict[str | None, int] | None = None) -> None:
        self.code, self.units, self.service_date = code, units, service_date
        self.modifiers = [] if modifiers is None else modifiers
        self.drugs = {} if drugs is None else drugs


def _of(s: Service, code: str, units: int) -> AdminLine:
    """A line of `units` of `code` for service `s` alone."""
    return AdminLine(code, units, drugs={s.drug_id: units})


def classify(
    enc: Encounter, facts: dict[str, CodedDrug], rules: Rules, findings: list[Finding]
) -> list[Service]:
    """Turn administrations and fluids into services; a timed service without times is reported, not guessed."""
    time_rules = rules.time
    services: list[Service] = []
    spans = _sites_at_once(enc, facts, rules)
    for i, a in enumerate(enc.administrations):
        drug = facts[a.drug_id].identified
        path = f"administrations[{i}]"
        start, stop, method = a.start, a.stop, a.method
        pump_setups = a.pump_setups
        span_sites: tuple[int, ...] = ()
        if i in spans:
            span = spans[i]
            if span is None:
                continue  # infused at once with an earlier-listed site of the drug: part of its span
            start, stop, pump_setups, span_sites = span
        minutes = minutes_between(start, stop) if start and stop else None
        if method == "injection" or (method == "push" and drug.route == "SC"):
            kind = "injection"
        elif method == "push":
            kind = "push"
        elif minutes is None:
            findings.append(finding("ADMIN-TIMES-MISSING", f"{path}: the infusion of {a.drug_id} has no "
                                    f"{'start' if start is None else 'stop'} time; no administration code "
                                    "was billed for it."))
            continue
        elif minutes == 0 and drug.is_ig and drug.route == "IV":
            # CPT would make it a push; immune globulin runs for hours, so the chart lacks the stop, not the time.
            findings.append(finding("ADMIN-TIMES-MISSING", f"{path}: the infusion of {a.drug_id} starts and stops "
                                    f"at {start:%H:%M}; an immune globulin infusion runs for hours, so its stop "
                                    "time is missing; no administration code was billed for it."))
            continue
        elif drug.route == "SC":
            # An SC infusion of 15 minutes or less is an injection (96372), not 96369.
            kind = "injection" if minutes <= time_rules.sc_injection_max_minutes else "sc_infusion"
        elif minutes <= time_rules.push_max_minutes:
            kind = "push"
        else:
            kind = "infusion"
        services.append(Service(kind, path, a.site, a.drug_id, drug.is_ig, start, stop, minutes, pump_setups,
                                span_sites))

    hydration: list[tuple[datetime, datetime, int, int]] = []  # the ordered, timed hydration: fluid index, site
    for j, fl in enumerate(enc.fluids):
        path = f"fluids[{j}]"
        if fl.purpose != "hydration":
            findings.append(finding("ADMIN-NOT-BILLED", f"{path}: saline as {fl.purpose} is part of the infusion, "
                                    "never hydration.", cause=("fluid-not-billed", path)))
            continue
        if not fl.ordered:
            findings.append(finding("ADMIN-NOT-BILLED", f"{path}: hydration without an order is not billable.",
                                    cause=("fluid-not-billed", path)))
            continue
        if not (fl.start and fl.stop):
            findings.append(finding("ADMIN-TIMES-MISSING", f"{path}: hydration without start and stop times "
                                    "was not billed."))
            continue
        hydration.append((fl.start, fl.stop, j, fl.site))
    if not hydration:
        return services
    # Bags of hydration at once are one hydration, timed by the span they cover together (96360's
    # `sites_at_once_one_span`): its time is counted once, whichever line or site each bag ran through.
    bag_spans = _at_once(hydration) if rules.admin_code_for("initial", "hydration").sites_at_once_one_span else {}
    drug_infusions = [s for s in services if s.kind in ("infusion", "sc_infusion")]
    for start, stop, j, _site in hydration:
        path, span_sites, bags = f"fluids[{j}]", (), [j]
        if j in bag_spans:
            bag = bag_spans[j]
            if bag is None:
                continue  # at once with an earlier-listed bag: part of its span
            bags, start, stop = bag
            span_sites = tuple(sorted({enc.fluids[k].site for k in bags}))
        minutes = minutes_between(start, stop) - _overlap_minutes(start, stop, drug_infusions)
        if minutes < time_rules.hydration_min_minutes:
            paths = [f"fluids[{k}]" for k in bags]  # every bag of a span: none is billed
            findings.append(finding("ADMIN-NOT-BILLED", f"{', '.join(paths)}: {minutes} minutes of hydration not "
                                    f"concurrent with a drug infusion; at least {time_rules.hydration_min_minutes} "
                                    "are needed.", cause=[("fluid-not-billed", p) for p in paths]))
            continue
        services.append(Service("hydration", path, enc.fluids[j].site, None, False, start, stop, minutes,
                                span_sites=span_sites))
    return services


def _sites_at_once(enc: Encounter, facts: dict[str, CodedDrug], rules: Rules
                   ) -> dict[int, tuple[datetime, datetime, int | None, tuple[int, ...]] | None]:
    """Infusions of one drug that overlap in time, by administration index, for a route whose initial code says so
    (`sites_at_once_one_span`: 96369 "including ... establishment of subcutaneous infusion site(s)"; 96365, whose
    second IV line for one drug's rate is no second initial): a drug run through two sites at once is one infusion,
    timed by the span they cover together (two sites at 09:00-10:45 are 105 minutes: 96369 + 96370 x 1), never each
    site's time added, and two SC sites of 12 minutes are one 96372. The first-listed administration of a span gets
    its start, stop, pump set-ups (the most any of them documents) and the sites they used; the others map to None.
    Intervals that do not overlap are absent: judged one by one."""
    if len(enc.administrations) < 2:
        return {}  # one administration is never at once with another (most charts)
    initials = [rules.admin_code_for("initial", family) for family in ("sc_infusion", "infusion")]
    routes = {rec.route for rec in initials if rec.sites_at_once_one_span}
    if not routes:
        return {}
    in_turn = {rec.route for rec in initials if rec.sites_in_turn_one_span}
    by_drug: dict[str, list[tuple[datetime, datetime, int, int]]] = {}
    for i, a in enumerate(enc.administrations):
        if a.method not in ("push", "injection") and a.start and a.stop and \
                facts[a.drug_id].identified.route in routes:
            by_drug.setdefault(a.drug_id, []).append((a.start, a.stop, i, a.site))
    out: dict[int, tuple[datetime, datetime, int | None, tuple[int, ...]] | None] = {}
    for drug_id, timed in by_drug.items():
        for i, group in _at_once(timed, facts[drug_id].identified.route in in_turn).items():
            if group is None:
                out[i] = None
                continue
            members, start, stop = group
            setups = [n for k in members if (n := enc.administrations[k].pump_setups) is not None]
            sites = tuple(sorted({enc.administrations[k].site for k in members}))
            out[i] = (start, stop, max(setups) if setups else None, sites)
    return out


def _at_once(timed: list[tuple[datetime, datetime, int, int]], any_site: bool = False
             ) -> dict[int, tuple[list[int], datetime, datetime] | None]:
    """The groups of two or more intervals (start, stop, index, site) that run as one infusion, by index: the
    first-listed member of a group maps to its members in chart order and the span they cover, the others to None
    (part of that span). An interval joins the group when it starts before the group's running stop (at once), or
    exactly at that stop at a site where the group stopped (a new bag, bottle or syringe: the infusion goes on; a
    bag change does not restart its time) or, `any_site`, at any site (SC sites used in turn). One that starts after
    a gap, or at another site, begins a new group; intervals alone are absent."""
    groups: dict[int, tuple[list[int], datetime, datetime] | None] = {}
    if len(timed) < 2:
        return groups
    timed = sorted(timed)
    cluster, stop, stopping = [timed[0]], timed[0][1], {timed[0][3]}  # stopping: the sites that stop at `stop`
    for t in [*timed[1:], None]:  # None closes the last span
        if t is not None and (t[0] < stop or (t[0] == stop and (any_site or t[3] in stopping))):
            cluster.append(t)
            if t[1] > stop:
                stop, stopping = t[1], {t[3]}
            elif t[1] == stop:
                stopping.add(t[3])
            continue
        if len(cluster) > 1:
            members = sorted(c[2] for c in cluster)
            groups |= dict.fromkeys(members[1:])
            groups[members[0]] = (members, cluster[0][0], stop)
        if t is not None:
            cluster, stop, stopping = [t], t[1], {t[3]}
    return groups


def _overlap_minutes(start: datetime, stop: datetime, others: list[Service]) -> int:
    """Minutes of [start, stop) covered by drug infusions (hydration concurrent with them is not reported)."""
    spans = sorted((max(start, s.start), min(stop, s.stop)) for s in others if s.start and s.stop)
    covered, cursor = 0, start
    for a, b in spans:
        a = max(a, cursor)
        if b > a:
            covered += minutes_between(a, b)
            cursor = b
    return covered


def runs_iv(rules: Rules, s: Service) -> bool:
    """The service runs through a vascular (IV) site, which is what a second initial code needs: its family's initial
    code's route (administration.toml), not the drug's route field."""
    return rules.admin_code_for("initial", s.kind).route == "IV"


def code_administrations(
    services: list[Service], facility: bool, rules: Rules,
    findings: list[Finding],
) -> list[AdminLine]:
    """Administration lines for the services; a facility codes one initial service per vascular access site.

    An initial code the data allows once per encounter (`per_encounter = 1`: 96369, whose descriptor includes the
    establishment of the subcutaneous site(s)) is never one per site: the services of its kind share the group of
    the first of them, where a second site of the same drug is more time (96370), as in the office."""
    rule = rules.param("additional_hour_rule")
    groups: dict[int, list[Service]] = {}
    once: dict[str, int] = {}  # the group of each once-per-encounter kind: its first service's site
    for s in services:
        if len(s.span_sites) > 1 and runs_iv(rules, s):
            # A second vascular site could be a second initial service: say why it is not (administration.toml).
            findings.append(finding("ADMIN-NOT-BILLED", f"{s.path}: {s.drug_id or 'hydration'} ran through IV sites "
                                    f"{', '.join(map(str, s.span_sites))} at the same time: one infusion, timed by the "
                                    "span they cover together. A second initial service (with XS) is billed only "
                                    "when two separate IV sites must be used and the record says why, not to reach a "
                                    "rate."))
        site = s.site if facility else 1
        if facility and rules.admin_code_for("initial", s.kind).per_encounter == 1:
            site = once.setdefault(s.kind, site)
        groups.setdefault(site, []).append(s)
    lines: list[AdminLine] = []
    used: dict[str, int] = {}
    distinct = rules.param("distinct_site_modifier")
    pushed: dict[str | None, datetime] = {}  # the start of each drug's last reported push
    for n, (_site, group) in enumerate(sorted(groups.items()) if len(groups) > 1 else groups.items()):
        initial = group[0] if len(group) == 1 else min(group, key=lambda s: _initial_rank(s, rules, facility))
        first = _initial_lines(initial, rules, rule)
        if n > 0:
            first[0].modifiers.append(distinct)
        lines += first
        if initial.kind == "push" and initial.start:
            pushed[initial.drug_id] = initial.start
        seen = {initial.drug_id}
        coded = [initial]
        later_services = sorted([s for s in group if s is not initial], key=_start_key) if len(group) > 1 else []
        for s in later_services:
            later = _later_lines(s, seen, coded, facility, rules, rule, used, pushed, findings)
            if not _primaries_present(later, lines, rules):
                # An add-on with no primary in the encounter (a premedication push or hydration beside a SC
                # infusion): the service is coded as an initial service of its own, with the distinct modifier.
                later = _initial_lines(s, rules, rule)
                if distinct not in later[0].modifiers:
                    later[0].modifiers.append(distinct)
                if s.kind == "push" and s.start:
                    pushed[s.drug_id] = s.start
            lines += later
            seen.add(s.drug_id)
            coded.append(s)
    setups = [s for s in services if s.kind == "sc_infusion" and (s.pump_setups or 1) > 1]
    if setups:
        # one set-up line for the encounter: each drug given with more than one set-up needs it whole
        lines.append(AdminLine(rules.admin_code_for("setup", "sc_infusion").code, 1,
                               drugs=dict.fromkeys((s.drug_id for s in setups), 1)))
    return _merge(lines, rules.dos)


def _primaries_present(later: list[AdminLine], lines: list[AdminLine], rules: Rules) -> bool:
    """Every add-on among `later` has one of its NCCI primary codes (type 1 AOC edits) already coded."""
    present = {ln.code for ln in lines}
    for ln in later:
        aoc = rules.addon_primaries(ln.code)
        if aoc is not None and not present & set(aoc.primaries):
            return False
        present.add(ln.code)
    return True


def _initial_rank(s: Service, rules: Rules, facility: bool) -> tuple[Any, ...]:
    rank = rules.admin_code_for("initial", s.kind).rank or 9
    primary = 0 if s.is_ig else 1
    order = (rank, primary) if facility else (primary, rank)
    return (*order, -(s.minutes or 0), _start_key(s))


def _start_key(s: Service) -> datetime:
    return s.start or datetime.max


def _initial_lines(s: Service, rules: Rules, rule: str) -> list[AdminLine]:
    code = rules.admin_code_for("initial", s.kind)
    lines = [_of(s, code.code, 1)]
    if code.addon and s.minutes is not None:
        extra = additional_hours(s.minutes, rules.time, rule)
        if extra:
            lines.append(_of(s, code.addon, extra))
    return lines


def _later_lines(
    s: Service, seen: set[str | None], coded: list[Service], facility: bool, rules: Rules, rule: str,
    used: dict[str, int], pushed: dict[str | None, datetime], findings: list[Finding],
) -> list[AdminLine]:
    same_drug = s.drug_id is not None and s.drug_id in seen
    if s.kind in ("infusion", "sc_infusion", "hydration"):
        addon = rules.admin_code_for("initial", s.kind).addon
        if same_drug or s.kind == "hydration" or (s.kind == "sc_infusion"):
            # More time of the same drug (or secondary hydration): hours of its own, each over 30 minutes.
            units = hour_units(s.minutes or 0, rules.time, rule)
            return [_of(s, addon, units)] if units and addon else []
        concurrent = rules.admin_code_for("concurrent", "infusion")
        overlapping = any(s.overlaps(c) for c in coded if c.kind == "infusion")
        if overlapping and used.get(concurrent.code, 0) < (concurrent.per_encounter or 1):
            used[concurrent.code] = used.get(concurrent.code, 0) + 1
            return [_of(s, concurrent.code, 1)]
        sequential = rules.admin_code_for("sequential", "infusion")
        if overlapping:
            # CPT reports no code for a further infusion that runs entirely beside others; a sequential code is
            # right for the part that does not. The chart rarely says which: warn rather than drop the line.
            findings.append(finding("ADMIN-CONCURRENT-ONCE", f"{s.path}: runs at the same time as another drug "
                                    f"infusion, and {concurrent.code} (concurrent) is reported once per encounter, "
                                    f"already for an earlier drug: coded as {sequential.code} (a new drug's "
                                    "sequential infusion), which it may not be."))
        lines = [_of(s, sequential.code, 1)]
        extra = additional_hours(s.minutes or 0, rules.time, rule)
        if extra and sequential.addon:
            lines.append(_of(s, sequential.addon, extra))
        return lines
    if s.kind == "push":
        if same_drug:
            if not facility:
                findings.append(finding("ADMIN-NOT-BILLED", f"{s.path}: a repeat push of the same drug is not "
                                        "reported on a professional claim."))
                return []
            repeat = rules.admin_code_for("sequential", "push", facility_only=True)
            gap = rules.time.repeat_push_gap_minutes
            last = pushed.get(s.drug_id)
            if last is not None and s.start is not None and minutes_between(last, s.start) <= gap:
                findings.append(finding("ADMIN-NOT-BILLED", f"{s.path}: a push of {s.drug_id} "
                                        f"{minutes_between(last, s.start)} minutes after a reported push of the same "
                                        f"drug; {repeat.code} needs more than {gap} minutes."))
                return []
            if s.start is not None:
                pushed[s.drug_id] = s.start
            return [_of(s, repeat.code, 1)]
        if s.start is not None:
            pushed[s.drug_id] = s.start
        return [_of(s, rules.admin_code_for("sequential", "push").code, 1)]
    return [_of(s, rules.admin_code_for("initial", "injection").code, 1)]


def _merge(lines: list[AdminLine], dos: date) -> list[AdminLine]:
    """One line per code and modifiers, units added (the claim carries 96366 × 3, not three lines), and so are the
    units of each drug it administers."""
    merged: dict[tuple[Any, ...], AdminLine] = {}
    for line in lines:
        key = (line.code, tuple(line.modifiers))
        if key in merged:
            into = merged[key]
            into.units += line.units
            for drug_id, units in line.drugs.items():
                into.drugs[drug_id] = into.drugs.get(drug_id, 0) + units
        else:
            line.service_date = dos
            merged[key] = line
    return list(merged.values())
