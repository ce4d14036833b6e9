"""Fuzzing the public schema: hypothesis strategies (valid charts from the shipped examples, and mutations of
them) and the oracle that classifies what igclaim did with each one.

Used by tests/test_fuzz.py (a bounded example count inside `make test`) and by `make fuzz` (tests/fuzz_run.py,
100,000+ inputs). An outcome is one of:
  - "refused": an input error naming the field (InvalidInput or InputError), the right answer to hostile input;
  - "ok": a result, and if the chart is implausible the result carries an error finding;
  - "crash": any other exception (a traceback a user would see);
  - "nonsense": a result with no error finding for a chart that cannot be true (see `implausible`);
  - "x12-rejected": an 837 igclaim wrote and pyx12 does not accept.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.test_x12 import pyx12_check  # the one 837 check (pyx12 and its 999)

ROOT = Path(__file__).resolve().parents[1]


def _bases() -> list[dict]:
    """Every shipped chart: the worked examples' inputs and the charts with parties (837-ready)."""
    out = []
    for p in sorted((ROOT / "examples").glob("e*.json")):
        out.append(json.loads(p.read_text())["input"])
    for p in sorted((ROOT / "examples" / "parties").glob("*.json")):
        out.append(json.loads(p.read_text()))
    return out


BASES = _bases()

HOSTILE_NUMBERS: list[Any] = [
    math.nan, math.inf, -math.inf, 0, -1, -0.0, 1e308, 10**30, 2**63, 10**400, 1e-300, 0.0001, 99999999,
    "NaN", "Infinity", "1e999999", "-5", "", True, None,
]
HOSTILE_STRINGS: list[Any] = [
    "A~B", "A*B", "A:B", "A^B", "x\r\nISA*00", "\x00", "\x1b[31m", "Zoë Müller", "名前", "=HYPERLINK(\"x\")",
    "+1+1", "-2+3", "@SUM(A1)", "\tX", "\rX", "x" * 5000, "", " ", "../../etc/passwd", "/etc/passwd.toml",
    "D83.9~SE*1", "2026-02-30", "0001-01-01", "9999-12-31T23:59", 7, None, [], {},
    "[/bold]", "[link=http://x]y[/link]", "\x1b]0;title\x07\x1b[2J", "A\u202eB",  # Rich markup, terminal controls
]
HOSTILE_TIMES = ["0001-01-01T00:00", "9999-12-31T23:59", "2026-03-02T25:00", "2026-03-01T23:00", "2099-01-01T09:00",
                 "1900-01-01T09:00"]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a leaf or container in a JSON tree."""
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _get(node: Any, path: tuple) -> Any:
    for p in path:
        node = node[p]
    return node


def _set(node: Any, path: tuple, value: Any) -> None:
    if not path:
        return
    _get(node, path[:-1])[path[-1]] = value


def _time_shift(base: dict, hours: float) -> dict:
    """An administration moved or stretched by `hours` (long runs, other dates)."""
    enc = copy.deepcopy(base)
    try:
        for a in enc.get("administrations", []):
            if a.get("stop"):
                a["stop"] = (datetime.fromisoformat(a["stop"]) + timedelta(hours=hours)).isoformat(timespec="minutes")
    except (AttributeError, TypeError, ValueError, OverflowError):
        pass  # an earlier mutation already broke the shape
    return enc


@st.composite
def valid_encounters(draw: st.DrawFn) -> dict:
    """A shipped chart with small plausible changes: the dose, the date, the ids."""
    enc = copy.deepcopy(draw(st.sampled_from(BASES)))
    enc["encounter_id"] = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,15}", fullmatch=True))
    shift = draw(st.integers(min_value=-200, max_value=200))
    dos = date.fromisoformat(enc["date_of_service"]) + timedelta(days=shift)
    if dos > date.today():
        dos = date.today()
    delta = dos - date.fromisoformat(enc["date_of_service"])
    enc["date_of_service"] = dos.isoformat()
    for key in ("administrations", "fluids", "pump_log"):
        for a in enc.get(key, []):
            for k in ("start", "stop"):
                if a.get(k):
                    a[k] = (datetime.fromisoformat(a[k]) + delta).isoformat(timespec="minutes")
    return enc


@st.composite
def mutated_encounters(draw: st.DrawFn) -> Any:
    """A valid chart with 1–3 hostile changes anywhere in the tree; half of them say when the claim is filed
    (from a few days before the date of service, refused, to 900 days after, past every filing limit), so that field
    is among the values changed."""
    enc = draw(valid_encounters())
    if draw(st.booleans()):
        dos = date.fromisoformat(enc["date_of_service"])
        enc["filing_date"] = (dos + timedelta(days=draw(st.integers(min_value=-3, max_value=900)))).isoformat()
    return _mutate(draw, enc)


PARTY_TEXT_ROOTS = ("billing_provider", "rendering_provider", "ordering_provider", "patient", "subscriber", "payer",
                    "claim_id")


@st.composite
def hostile_party_texts(draw: st.DrawFn) -> dict:
    """A chart with parties (every export writes them) with 1–3 of its names, addresses and ids replaced by any
    text: letters of every script, emoji, control and bidirectional characters, delimiters."""
    enc = draw(valid_encounters().filter(lambda e: bool(e.get("billing_provider"))))
    leaves = [p for p in _paths(enc) if p and p[0] in PARTY_TEXT_ROOTS and isinstance(_get(enc, p), str)]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        text = st.text(min_size=1, max_size=40) | st.sampled_from([h for h in HOSTILE_STRINGS if isinstance(h, str)])
        _set(enc, draw(st.sampled_from(leaves)), draw(text))
    return enc


PHI_MARK, PHI_NUMBER = "Qx7PHI", 7031977042  # carried by a wrong patient or subscriber value; never in a message


@st.composite
def personal_values_gone_wrong(draw: st.DrawFn) -> dict:
    """A chart whose patient or subscriber fields (1–3 of them, any field) hold a wrong value carrying PHI_MARK or
    PHI_NUMBER: text where a date, a sex, a relationship or a ZIP belongs, a number or a list where text belongs."""
    enc = draw(valid_encounters().filter(lambda e: bool(e.get("patient"))))
    wrong = st.one_of(st.builds(lambda t: PHI_MARK + t, st.text(max_size=12)),
                      st.builds(lambda t: t + PHI_MARK, st.text(max_size=12)),
                      st.just(PHI_NUMBER), st.just(PHI_NUMBER + 0.5),
                      # a new list or object each time: one shared object set twice could end up inside itself
                      st.builds(lambda: [PHI_MARK]), st.builds(lambda: {"line1": PHI_MARK}))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):  # the paths again: a value may have replaced a tree
        leaves = [p for p in _paths(enc) if len(p) > 1 and p[0] in ("patient", "subscriber")]
        _set(enc, draw(st.sampled_from(leaves)), draw(wrong))
    return enc


@st.composite
def party_charts_with_any_id(draw: st.DrawFn) -> dict:
    """A chart with parties, fit to export, whose encounter id is any text (it names the export's download)."""
    enc = draw(valid_encounters().filter(lambda e: bool(e.get("billing_provider"))))
    enc["encounter_id"] = draw(st.text(min_size=1, max_size=30))
    return enc


PROFILES = [tomllib.loads(p.read_text())
            for p in sorted((ROOT / "src" / "igclaim" / "refdata" / "payers").glob("*.toml"))]


@st.composite
def mutated_profiles(draw: st.DrawFn) -> Any:
    """A bundled payer profile's TOML tables with 1–3 hostile changes (a user's --profile file)."""
    return _mutate(draw, copy.deepcopy(draw(st.sampled_from(PROFILES))), shift_times=False)


BUNDLES = [json.loads(p.read_text()) for p in [*sorted((ROOT / "examples" / "fhir").glob("*.json")),
                                                 *sorted((ROOT / "tests" / "fixtures" / "fhir").glob("*.json"))]]
HOSTILE_RESOURCE_TYPES: list[Any] = ["Nope", "MedicationAdminstration", "Boolean", "Quantity", "Resource", "",
                                     "patient", "../x", "名前", 7, None, [], {}]


@st.composite
def mutated_bundles(draw: st.DrawFn) -> Any:
    """A shipped FHIR Bundle with 1–3 hostile changes anywhere in the tree (the FHIR input path), or with one
    resourceType replaced by a name FHIR does not have, a primitive's or a data type's name, or not a string."""
    bundle = copy.deepcopy(draw(st.sampled_from(BUNDLES)))
    if draw(st.booleans()):
        resources = [e["resource"] for e in bundle["entry"]]
        draw(st.sampled_from(resources))["resourceType"] = copy.deepcopy(draw(st.sampled_from(HOSTILE_RESOURCE_TYPES)))
    return _mutate(draw, bundle, shift_times=False)


def _row_groups() -> list[list[tuple[int, dict]]]:
    import csv

    from igclaim.batch.tabular import group_rows

    rows: list[tuple[int, dict]] = []
    for p in sorted((ROOT / "examples" / "batch").glob("*.csv")):
        with p.open(newline="", encoding="utf-8") as f:
            rows += [(i, r) for i, r in enumerate(csv.DictReader(f), 2)]
    return list(group_rows(rows))


ROW_GROUPS = _row_groups()
HOSTILE_CELLS: list[Any] = [
    "3x10g", "0x10g", "99999999999x10g", "9" * 5000 + "x10g", "1x1e9g", "x", "ndc:", "1xndc:00000-0000-00",
    "J1561;J1561", ";;;",
    "1,2,3,4,5,6,7,8,9,10,11,12,13", b"bytes", [1, 2], {"a": 1},  # Parquet may hand typed or nested values
]


@st.composite
def mutated_row_groups(draw: st.DrawFn) -> list[tuple[int, dict]]:
    """The rows of one shipped CSV encounter (examples/batch) with 1–4 hostile cells, an unknown column, or a row
    repeated: the tabular input path (CSV and Parquet) before `rows_to_encounter`."""
    from igclaim.batch.tabular import COLUMNS

    group = copy.deepcopy(draw(st.sampled_from(ROW_GROUPS)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        _, row = draw(st.sampled_from(group))
        column = draw(st.sampled_from([*COLUMNS, "extra_column"]))
        row[column] = copy.deepcopy(draw(st.sampled_from(HOSTILE_NUMBERS + HOSTILE_STRINGS + HOSTILE_TIMES
                                                          + HOSTILE_CELLS) | st.text(max_size=20)))
    if draw(st.booleans()):
        group.append(copy.deepcopy(draw(st.sampled_from(group))))
    return group


def _mutate(draw: st.DrawFn, tree: Any, *, shift_times: bool = True) -> Any:
    """1–3 hostile changes anywhere in a JSON tree (`shift_times`: also stretch a chart's administrations)."""
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["number", "string", "time", "delete", "extra", "repeat", "nest", "list",
                                     *(["long"] if shift_times else [])]))
        paths = _paths(tree)
        path = draw(st.sampled_from(paths))
        if kind == "number":
            _set(tree, path, copy.deepcopy(draw(st.sampled_from(HOSTILE_NUMBERS) | st.integers() | st.floats())))
        elif kind == "string":
            # a copy: a later mutation must never change the shared list or dict itself (hypothesis would then
            # draw differently on a replay: FlakyStrategyDefinition)
            _set(tree, path, copy.deepcopy(draw(st.sampled_from(HOSTILE_STRINGS) | st.text(max_size=30))))
        elif kind == "time":
            _set(tree, path, draw(st.sampled_from(HOSTILE_TIMES)))
        elif kind == "delete" and path:
            parent = _get(tree, path[:-1])
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, list) and parent:
                parent.pop(path[-1])
        elif kind == "extra":
            node = _get(tree, path)
            if isinstance(node, dict):
                node[draw(st.sampled_from(["extra", "grams", "units", "count", "site"]))] = copy.deepcopy(draw(
                    st.sampled_from(HOSTILE_NUMBERS)))
        elif kind == "repeat":
            node = _get(tree, path)
            if isinstance(node, list) and node:
                node.extend(copy.deepcopy(node[-1]) for _ in range(draw(st.sampled_from([1, 5, 50, 300]))))
        elif kind == "nest" and path:
            deep: Any = 1
            for _ in range(draw(st.sampled_from([5, 50, 500]))):
                deep = [deep]
            _set(tree, path, deep)
        elif kind == "long":
            tree = _time_shift(tree, draw(st.sampled_from([-1.0, 0.5, 20.0, 30.0, 24 * 400, 24 * 365 * 100])))
        elif kind == "list" and path:
            _set(tree, path, [copy.deepcopy(_get(tree, path))])
    return tree


# ---------------------------------------------------------------------------------------------------- oracle


def _earliest() -> date:
    from igclaim.edits.plausibility import earliest_data
    from igclaim.refdata.resolver import reference

    return earliest_data(reference()) or date.min


def implausible(enc) -> list[str]:
    """Why a parsed chart cannot be true (each reason must end in an error finding, never a clean claim)."""
    reasons = []
    dos = enc.date_of_service
    if dos > date.today() + timedelta(days=31):
        reasons.append("date of service in the future")
    if dos < _earliest():
        reasons.append("date of service before any reference data")
    for a in [*enc.administrations, *enc.fluids]:
        if a.start and a.stop and (a.stop - a.start) > timedelta(hours=24):
            reasons.append("administration longer than 24 h")
        if a.start and a.start.date() != dos:
            reasons.append("administration starts on another date than the date of service")
        if a.stop and a.stop.date() not in (dos, dos + timedelta(days=1)):
            reasons.append("administration stops on another date")
    return reasons


def render_837(claims: list, kind: str) -> str:
    """The interchange of these claims, as every fuzz check writes it (the sample charges, a fixed date)."""
    from igclaim.outputs import chargemaster, x12

    env = x12.Envelope(created=datetime(2026, 3, 6, 12))
    if x12.mixed_receivers(claims, env) is not None:  # claims of several payers go together only to a clearinghouse
        env = x12.Envelope(created=datetime(2026, 3, 6, 12), receiver_id="CLEARH1")
    return x12.render(claims, kind, chargemaster.load("sample"), env)


def accepted_claim(enc, result):
    """(claim, kind) when igclaim's checks accept the chart for an 837: its parties, charges and the envelope it
    opens; None when they refuse it, naming a field. What they accept must then be written (the team's export
    skips only the claims these checks refuse and writes the rest)."""
    from igclaim.errors import InputError
    from igclaim.outputs import chargemaster, x12

    claim, kind = x12.ClaimInput(enc, result), x12.transaction_for(enc)
    try:
        x12.require_parties(claim, kind)
        x12.line_charges(claim, chargemaster.load("sample"))
        if (problem := x12.envelope_problem(claim, x12.Envelope())) is not None:
            raise problem
    except InputError:
        return None
    return claim, kind


WRITE_REFUSED = "refused while writing, after require_parties accepted it"


def check_837(enc, result) -> list[str]:
    """Write the 837 of an accepted chart that has its parties; problems pyx12 finds (empty when refused)."""
    from igclaim.errors import InputError

    if result.has_errors or enc.billing_provider is None or (accepted := accepted_claim(enc, result)) is None:
        return []
    try:
        text = render_837([accepted[0]], accepted[1])
    except InputError as exc:
        return [f"{WRITE_REFUSED}: {exc}"]
    return pyx12_check(text)


def check_forms_and_fhir(enc, result) -> list[str]:
    """The FHIR Claim and the printed form of an accepted chart that has its parties: written, or refused naming a
    field (InputError); problems with what was written. A printed character the forms' fonts lack comes out of
    the PDF as a black square (reportlab's fallback glyph), so the page's text must be printable ASCII."""
    import io

    from pypdf import PdfReader

    from igclaim.errors import InputError
    from igclaim.outputs import chargemaster, fhir, forms, x12

    if result.has_errors or enc.billing_provider is None:
        return []
    problems = []
    with contextlib.suppress(InputError):
        fhir.to_fhir(enc, chargemaster.load("sample"), created=datetime(2026, 3, 6, 12))
    with contextlib.suppress(InputError):
        pdf = forms.render_pdf(x12.build_claims([enc]), result.claim.form, chargemaster.load("sample"))
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        shown = {ch for ch in text if not (" " <= ch <= "~" or ch == "\n")}
        if shown:
            problems.append(f"the {result.claim.form} PDF prints {sorted(shown)!r}")
    return problems


def parse_quiet(obj: Any):
    from igclaim.inputs import parse_encounter

    return parse_encounter(obj)


def classify(obj: Any, *, with_837: bool = False) -> tuple[str, str]:
    """Run one input through the library: (outcome, detail)."""
    from igclaim import engine
    from igclaim.errors import InputError, problem_lines
    from igclaim.inputs import InvalidInput, parse_encounter

    try:
        enc = parse_encounter(obj)
        result = engine.scrub(enc) if enc.claim is not None else engine.build(enc)
    except (InvalidInput, InputError) as exc:
        said = "\n".join(exc.problems if isinstance(exc, InvalidInput) else problem_lines(exc))
        if PHI_MARK in said or str(PHI_NUMBER) in said:  # a wrong patient or subscriber value quoted back
            return "phi-quoted", said[:300]
        return "refused", ""
    except Exception as exc:  # noqa: BLE001 - the point is to catch everything
        return "crash", f"{type(exc).__name__}: {str(exc)[:200]}"
    why = implausible(enc)
    if why and not result.has_errors:
        return "nonsense", "; ".join(why)
    for check, what, outcome in ((check_837, "837", "x12-rejected"),
                                 (check_forms_and_fhir, "forms/FHIR", "form-unprintable")) if with_837 else ():
        try:
            problems = check(enc, result)
        except Exception as exc:  # noqa: BLE001
            return "crash", f"{what} {type(exc).__name__}: {str(exc)[:200]}"
        if problems:
            return outcome, "; ".join(problems)[:300]
    return "ok", ""
