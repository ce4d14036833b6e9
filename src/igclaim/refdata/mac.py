"""The Medicare contractors' (MAC) immune globulin coverage lists: which article binds an Original Medicare claim,
and what it says about the claim's diagnoses (refdata/coverage/mac-articles.toml and mac-articles/*.csv).

A newer list loaded with `igclaim data import coverage FILE` replaces an article's bundled list for the dates it
covers (refdata/store.py); everything else comes from the bundled CSV.

>>> mac().jurisdiction_for_state("FL").id
'JN'
>>> lookup = mac().ab_lookup("JN", date(2026, 3, 2))
>>> lookup.status(["D80.1"]).kind, lookup.status(["G43.909"]).kind, lookup.status(["F84.0"]).kind
('covered', 'not_covered', 'unverified')
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from igclaim.refdata.cache import kept
from igclaim.refdata.coverage import VERDICTS_LIMIT
from igclaim.refdata.icd10 import compact, format

# The policies the bundled Original Medicare profile names; a profile that names another (a user's own list) keeps it.
BUNDLED_POLICY = {"coverage_policy": "default-ig", "home_coverage_policy": "medicare-home-ivig-pidd"}

if TYPE_CHECKING:
    from igclaim.refdata.store import Tables

__all__ = ["Article", "Jurisdiction", "Lookup", "MacData", "Status", "mac", "parse_contractor"]

T = TypeVar("T")
_DIR = resources.files("igclaim.refdata") / "coverage"
# [0-9], not \d: \d takes any script's digits, so "A５６７７９" was taken for an article id (a contractor named, a
# coverage list imported) that no claim's contractor names. The coverage importer's check too.
ARTICLE_ID = re.compile(r"^A[0-9]{5}$")
MCD_ARTICLE = "https://www.cms.gov/medicare-coverage-database/view/article.aspx?articleId={}"

Kind = Literal["covered", "not_covered", "unverified", "uncertain"]
Liability = Literal["medical_necessity", "no_benefit"]


@dataclass(frozen=True)
class Article:
    id: str
    lcd: str
    contractor: str
    jurisdictions: str
    scope: str
    revision: str
    complete: bool
    states: str = ""  # "AL GA TN;NC SC VA WV", aligned with jurisdictions

    @property
    def url(self) -> str:
        return MCD_ARTICLE.format(self.id[1:])


@dataclass(frozen=True)
class Jurisdiction:
    id: str
    contractor: str
    states: tuple[str, ...]
    articles: tuple[str, ...]
    certain: bool = True
    note: str = ""
    aliases: tuple[str, ...] = ()
    profile: str = ""  # the bundled payer profile of the contractor's own billing rules ("": Original Medicare's)


@dataclass(frozen=True)
class HomeRule:
    """A DME MAC article group that covers home immune globulin by one route (and, for some, only some products)."""

    article: str
    route: str
    groups: tuple[int, ...]
    name: str
    unlisted: Liability
    source: str
    products: tuple[str, ...] = ()  # HCPCS codes; empty: any product
    benefit_prefixes: tuple[str, ...] = ()  # compact; unlisted codes under these: medical necessity, not no-benefit
    products_note: str = ""  # set when the product limit is igclaim's reading, not read from the article: a warning


@dataclass(frozen=True)
class Uncertain:
    articles: tuple[str, ...]
    prefixes: tuple[str, ...]
    note: str
    source: str
    routes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unconfirmed:
    """Groups (or codes) of an article whose immune globulin products the extract does not confirm (the group →
    HCPCS mapping was not read; some look like hyperimmune globulin groups): a diagnosis covered only by them is
    covered with a warning."""

    article: str
    groups: tuple[int, ...]
    codes: tuple[str, ...]  # compact; empty: every code of the groups
    note: str
    source: str = ""


@dataclass(frozen=True)
class Status:
    """What the binding list says about a claim's diagnoses."""

    kind: Kind
    covering: str = ""  # the diagnosis that is covered, or the unverified/uncertain one
    liability: Liability = "medical_necessity"
    notes: tuple[str, ...] = ()


def _in(code: str, lo: str, hi: str) -> bool:
    """ICD-10-CM ranges by category prefix: 'C92.5x' is in C7A–C92.5, 'E89.1' in E00–E90 (compact compare)."""
    c, lo_c, hi_c = compact(code), compact(lo), compact(hi)
    return c >= lo_c and c[: len(hi_c)] <= hi_c


@dataclass
class Lookup:
    """The lists that bind one claim (one or more articles of a contractor, plus national codes), by date."""

    label: str  # "A57778 (First Coast Service Options (A/B MAC), JN)"
    articles: tuple[str, ...]
    codes: frozenset[str]  # compact, every listed code of every article (and national)
    complete: bool
    read_ranges: tuple[tuple[str, str], ...]
    unread_ranges: tuple[tuple[str, str], ...]
    certain: bool = True
    note: str = ""
    uncertain: tuple[Uncertain, ...] = ()
    sources: tuple[str, ...] = ()
    route: str | None = None
    # Set when the claim's date is before the bundled snapshot's codes (MacData.codes_as_of) and a list is the bundled
    # one: an unlisted diagnosis is then uncertain (it may be a code the snapshot's year retired), never certain.
    before_snapshot: str = ""
    # Compact codes covered only by groups whose products are not confirmed (`Unconfirmed`) → the note saying so.
    unconfirmed: dict[str, str] = field(default_factory=dict)
    # Verdicts already given per (diagnoses, home rule): a lookup is one contractor's lists on one date for one
    # version of the imported tables (MacData keeps it with them), so its verdicts hold for every claim asking it.
    _verdicts: dict[tuple[Any, ...], Status] = field(default_factory=dict, compare=False, repr=False)

    def read(self, code: str) -> bool:
        if self.complete:
            return True
        if any(_in(code, lo, hi) for lo, hi in self.unread_ranges):
            return False
        return any(_in(code, lo, hi) for lo, hi in self.read_ranges)

    def status(self, diagnoses: Iterable[str], liability: HomeRule | None = None) -> Status:
        key = (tuple(diagnoses), liability)
        hit = self._verdicts.get(key)
        if hit is None:
            if len(self._verdicts) >= VERDICTS_LIMIT:
                self._verdicts.clear()
            hit = self._verdicts[key] = self._status(key[0], liability)
        return hit

    def _status(self, diagnoses: Iterable[str], liability: HomeRule | None) -> Status:
        dx = [format(d) for d in diagnoses]
        for d in dx:
            if compact(d) in self.codes and compact(d) not in self.unconfirmed:
                return Status("covered", d)
        for d in dx:
            if compact(d) in self.codes:
                return Status("covered", d, notes=(self.unconfirmed[compact(d)],))
        notes = tuple(u.note for u in self.uncertain for d in dx
                      if any(compact(d).startswith(p) for p in u.prefixes)
                      and (not u.routes or self.route in u.routes) and set(u.articles) & set(self.articles))
        kind_liab: Liability = "medical_necessity"
        if liability is not None and liability.unlisted == "no_benefit" and not any(
                compact(d).startswith(p) for d in dx for p in liability.benefit_prefixes):
            kind_liab = "no_benefit"
        if notes:
            return Status("uncertain", next(d for d in dx), kind_liab, notes)
        unread = [d for d in dx if not self.read(d)]
        if unread:
            return Status("unverified", unread[0], kind_liab)
        if not self.certain:
            return Status("uncertain", dx[0] if dx else "", kind_liab, (self.note,))
        if self.before_snapshot:
            return Status("uncertain", dx[0] if dx else "", kind_liab, (self.before_snapshot,))
        return Status("not_covered", "", kind_liab)


@dataclass
class MacData:
    articles: dict[str, Article]
    bundled_codes: dict[str, dict[int, frozenset[str]]]  # article → group → compact codes
    jurisdictions: dict[str, Jurisdiction]
    home: tuple[HomeRule, ...]
    uncertain: tuple[Uncertain, ...]
    read_ranges: tuple[tuple[str, str], ...]
    unread_ranges: tuple[tuple[str, str], ...]
    national_codes: frozenset[str]
    national_name: str
    national_source: str
    title: str
    source: str
    codes_as_of: date
    snapshot_note: str = ""  # {as_of}, {dos}: what an unlisted diagnosis before codes_as_of is told
    partial: dict[str, str] = field(default_factory=dict)  # article → note: a list of one use only, when named alone
    unconfirmed: tuple[Unconfirmed, ...] = ()
    _by_state: dict[str, Jurisdiction] = field(default_factory=dict)
    _alias: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for j in self.jurisdictions.values():
            for s in j.states:
                self._by_state[s] = j
            for a in j.aliases:
                self._alias[a] = j.id

    @cached_property
    def dates(self) -> frozenset[date]:
        """Every date the lists hold (`rules.dates_in`): worked out when they are built, so kept with them."""
        from igclaim.refdata.rules import dates_in

        return frozenset(dates_in(self))

    def canonical(self, contractor: str) -> str:
        """'j09' → 'JN'; an article id or a lettered jurisdiction as given (upper case)."""
        key = contractor.strip().upper()
        return self._alias.get(key, key)

    def jurisdiction_for_state(self, state: str) -> Jurisdiction | None:
        return self._by_state.get(state.strip().upper())

    def contractor_profile(self, contractor: str | None, state: str | None) -> str:
        """The bundled profile of the A/B MAC that processes a claim (`Jurisdiction.profile`): the contractor named
        (a jurisdiction, or an article only one jurisdiction uses), else the billing provider's state's. "": none,
        or a contractor igclaim does not know (the coverage edits name that error)."""
        if contractor:
            key = self.canonical(contractor)
            found = self.jurisdictions.get(key)
            if found is None:  # an article id: the profile of the jurisdictions using it, when they agree
                profiles = {j.profile for j in self.jurisdictions.values() if key in j.articles}
                return profiles.pop() if len(profiles) == 1 else ""
        else:
            found = self.jurisdiction_for_state(state) if state else None
        return found.profile if found is not None else ""

    # --- lists by date (imported lists win for the dates they cover) ---------------------------------------
    # `tables`: the imported tables of the claim's rule snapshot (Rules.tables); None (the CLI's listings): the
    # tables in force now.
    def groups(self, article: str, dos: date, tables: Tables | None = None) -> tuple[dict[int, frozenset[str]], str]:
        """An article's codes by group on the date, and where they come from."""
        imported = _tables(tables).coverage_groups(article, dos)
        if imported is not None:
            return imported[0], imported[1].label
        return self.bundled_codes.get(article, {}), f"bundled refdata/coverage/mac-articles/codes.csv ({article})"

    def before_snapshot(self, articles: Iterable[str], dos: date, tables: Tables | None = None) -> str:
        """The note for a date before the bundled lists' codes (`codes_as_of`) when one of these articles is read
        from the bundled snapshot rather than an imported list for the date; "" otherwise."""
        if dos >= self.codes_as_of:
            return ""
        t = _tables(tables)
        if all(t.coverage_groups(a, dos) is not None for a in articles):
            return ""
        return self.snapshot_note.format(as_of=self.codes_as_of, dos=dos)

    def known_article(self, article: str, dos: date, tables: Tables | None = None) -> bool:
        return article in self.articles or bool(self.groups(article, dos, tables)[0])

    def article_label(self, article: str) -> str:
        a = self.articles.get(article)
        return f"{article} ({a.contractor}, {a.jurisdictions})" if a else f"{article} (imported list)"

    # --- what binds a claim ---------------------------------------------------------------------------------
    def _cached(self, tables: Tables, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        """Lookups are built once per contractor and date for one version of the imported tables (kept with them,
        so a new import starts afresh and a claim holding older tables keeps its own)."""
        memo = tables.derived.setdefault("mac", {})
        if key not in memo:
            if len(memo) > 4096:
                memo.clear()
            memo[key] = make()
        value: T = memo[key]
        return value

    def ab_lookup(self, contractor: str, dos: date, tables: Tables | None = None) -> Lookup:
        """The A/B MAC lists for a jurisdiction id ("JN") or an article id ("A57778")."""
        key, t = self.canonical(contractor), _tables(tables)
        return self._cached(t, ("ab", key, dos), lambda: self._ab_lookup(key, dos, t))

    def _ab_lookup(self, contractor: str, dos: date, tables: Tables) -> Lookup:
        key = contractor.strip().upper()
        if key in self.jurisdictions:
            j = self.jurisdictions[key]
            arts, label = j.articles, f"{' + '.join(j.articles)} ({j.contractor}, {j.id})"
            certain, note = j.certain, j.note
        else:
            arts, label = (key,), self.article_label(key)
            certain, note = (False, self.partial[key]) if key in self.partial else (True, "")
        codes: set[str] = set(self.national_codes)
        confirmed: set[str] = set(self.national_codes)
        unsure: dict[str, str] = {}
        sources = [self.national_source]
        for a in arts:
            groups, src = self.groups(a, dos, tables)
            for number, g in groups.items():
                codes |= g
                marks = [u for u in self.unconfirmed if u.article == a and number in u.groups]
                for c in g:
                    mark = next((u for u in marks if not u.codes or c in u.codes), None)
                    if mark is None:
                        confirmed.add(c)
                    else:
                        unsure.setdefault(c, mark.note)
            sources.append(src)
        complete = all(self.articles[a].complete if a in self.articles else False for a in arts)
        return Lookup(label, arts, frozenset(codes), complete, self.read_ranges, self.unread_ranges, certain, note,
                      self.uncertain, tuple(sources), before_snapshot=self.before_snapshot(arts, dos, tables),
                      unconfirmed={c: n for c, n in unsure.items() if c not in confirmed})

    def home_rules(self, route: str) -> tuple[HomeRule, ...]:
        return tuple(r for r in self.home if r.route == route)

    def home_lookup(self, route: str, hcpcs: str | None, dos: date,
                    tables: Tables | None = None) -> tuple[Lookup, HomeRule | None] | None:
        """The DME MAC lists for home immune globulin by route; groups limited to products apply only to them."""
        t = _tables(tables)
        return self._cached(t, ("home", route, hcpcs, dos), lambda: self._home_lookup(route, hcpcs, dos, t))

    def _home_lookup(self, route: str, hcpcs: str | None, dos: date,
                     tables: Tables) -> tuple[Lookup, HomeRule | None] | None:
        rules = self.home_rules(route)
        if not rules:
            return None
        codes: set[str] = set()
        arts: list[str] = []
        for r in rules:
            if r.products and (hcpcs is None or hcpcs not in r.products):
                continue
            groups, _ = self.groups(r.article, dos, tables)
            for g in r.groups:
                codes |= groups.get(g, frozenset())
            if r.article not in arts:
                arts.append(r.article)
        rule = rules[0]
        label = " + ".join(f"{r.article} group{'s' if len(r.groups) > 1 else ''} {', '.join(map(str, r.groups))}"
                           f"{' (' + ', '.join(r.products) + ' only)' if r.products else ''}" for r in rules)
        label += " (DME MACs)"
        lookup = Lookup(label, tuple(arts or [rule.article]), frozenset(codes), True, self.read_ranges,
                        self.unread_ranges, uncertain=self.uncertain, sources=tuple(r.source for r in rules),
                        route=route, before_snapshot=self.before_snapshot(arts or [rule.article], dos, tables))
        return lookup, rule

    def product_only(self, route: str, hcpcs: str | None, diagnoses: Iterable[str], dos: date,
                     tables: Tables | None = None) -> HomeRule | None:
        """A product-limited group that lists the diagnosis but not this product (CIDP with a product other than
        Hizentra or HyQvia): the reason a home SC claim is not covered."""
        dx = {compact(d) for d in diagnoses}
        for r in self.home_rules(route):
            if r.products and hcpcs not in r.products:
                groups, _ = self.groups(r.article, dos, tables)
                if any(dx & groups.get(g, frozenset()) for g in r.groups):
                    return r
        return None

    def listing(self, code: str, dos: date, state: str | None = None,
                tables: Tables | None = None) -> list[tuple[str, str, list[int], str]]:
        """Which contractors' articles list a code: (article, contractor and jurisdictions, groups, where from)."""
        c = compact(code)
        t = _tables(tables)
        wanted = list(self.articles) + sorted(set(t.coverage_articles(dos)) - set(self.articles))
        if state:
            j = self.jurisdiction_for_state(state)
            home = {r.article for r in self.home}
            wanted = [a for a in wanted if (j is not None and a in j.articles) or a in home]
        out = []
        for a in wanted:
            groups, src = self.groups(a, dos, t)
            hit = sorted(g for g, codes in groups.items() if c in codes)
            if hit:
                out.append((a, self.article_label(a), hit, src))
        return out


    def parse_contractor(self, value: str) -> str:
        """A jurisdiction id or an article id, normalised; ValueError naming what is accepted."""
        key = self.canonical(value)
        if key in self.jurisdictions or ARTICLE_ID.match(key):
            return key
        raise ValueError(f"{value!r} is not a Medicare contractor: give an A/B MAC jurisdiction "
                         f"({', '.join(sorted(self.jurisdictions))}) or a coverage article id such as A57778")


def _tables(tables: Tables | None) -> Tables:
    """The claim's tables, or (the CLI's listings, outside a claim) the imported tables in force now."""
    if tables is not None:
        return tables
    from igclaim.refdata.store import tables as in_force

    return in_force()


def parse_contractor(value: str) -> str:
    """A jurisdiction id or an article id, normalised; ValueError naming what is accepted."""
    return mac().parse_contractor(value)


def _ranges(values: list[list[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((lo, hi) for lo, hi in values)


@lru_cache(maxsize=1)
def mac() -> MacData:
    """The bundled lists, loaded once per process (kept built between processes: refdata/cache.py)."""
    return kept("mac", _build_mac)


def _build_mac() -> MacData:
    meta = tomllib.loads((_DIR / "mac-articles.toml").read_text(encoding="utf-8"))
    head = meta["meta"]
    complete = set(head.get("complete_articles", []))
    articles = {}
    for row in csv.DictReader(io.StringIO((_DIR / "mac-articles" / "articles.csv").read_text(encoding="utf-8"))):
        articles[row["article_id"]] = Article(row["article_id"], row["lcd"], row["contractor"], row["jurisdictions"],
                                              row["scope"], row["revision_seen"], row["article_id"] in complete,
                                              row["states"])
    codes: dict[str, dict[int, set[str]]] = {}
    for row in csv.DictReader(io.StringIO((_DIR / "mac-articles" / "codes.csv").read_text(encoding="utf-8"))):
        codes.setdefault(row["article_id"], {}).setdefault(int(row["group"]), set()).add(compact(row["icd10_code"]))
    # Jurisdictions without states in the TOML take them from articles.csv ("JJ;JM" ↔ "AL GA TN;NC SC VA WV").
    states_csv: dict[str, tuple[str, ...]] = {}
    for a in articles.values():
        ids, sts = a.jurisdictions.split(";"), a.states.split(";") if a.states else []
        if len(sts) == len(ids):
            for j, s in zip(ids, sts, strict=True):
                states_csv.setdefault(j.strip(), tuple(s.split()))
    jurisdictions = {}
    for j in meta["jurisdiction"]:
        states = tuple(j.get("states") or states_csv.get(j["id"], ()))
        jurisdictions[j["id"]] = Jurisdiction(j["id"], j["contractor"], states, tuple(j["articles"]),
                                              bool(j.get("certain", True)), j.get("note", ""),
                                              tuple(j.get("aliases", ())), j.get("profile", ""))
    home = tuple(HomeRule(h["article"], h["route"], tuple(h["groups"]), h["name"], h["unlisted"], h["source"],
                          tuple(h.get("products", ())), tuple(compact(p) for p in h.get("benefit_prefixes", ())),
                          h.get("products_note", ""))
                 for h in meta["home"])
    uncertain = tuple(Uncertain(tuple(u["articles"]), tuple(compact(p) for p in u["prefixes"]), u["note"],
                                u.get("source", ""), tuple(u.get("routes", ()))) for u in meta.get("uncertain", []))
    nat = meta["national"]
    national = frozenset(compact(r["icd10cm"]) for r in csv.DictReader(io.StringIO(
        (_DIR / nat["csv"]).read_text(encoding="utf-8"))) if r.get("icd10cm"))
    lists = MacData(articles, {a: {g: frozenset(c) for g, c in gs.items()} for a, gs in codes.items()},
                    jurisdictions, home, uncertain, _ranges(head["read_ranges"]), _ranges(head["unread_ranges"]),
                    national, nat["name"], nat["source"], head["title"], head["source"], head["codes_as_of"],
                    head.get("snapshot_note", ""), {p["article"]: p["note"] for p in meta.get("partial_article", [])},
                    tuple(Unconfirmed(u["article"], tuple(u["groups"]), tuple(compact(c) for c in u.get("codes", ())),
                                      u["note"], u.get("source", "")) for u in meta.get("unconfirmed", [])))
    lists.dates  # noqa: B018 (worked out now, so the kept lists hold it)
    return lists

