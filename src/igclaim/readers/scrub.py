"""Scrubbing an 837 file: each claim joined to its chart (by claim id, CLM01, or by patient and date of service),
else scrubbed without a chart. Charts come from a JSON Lines file of encounters, one encounter JSON file, or a
directory of encounter JSON files and FHIR R4 Bundles."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from igclaim import engine
from igclaim.errors import InputError
from igclaim.inputs import InvalidInput, filed_on, load_json, parse_encounter, read_input_file, text_lines
from igclaim.model import Encounter, Result
from igclaim.readers.x12 import ReadError, WrittenClaim, read_837

MAX_CHART_BYTES = 20_000_000  # one chart file (a FHIR Bundle of one visit is a few hundred KB at most)


def looks_like_x12(path: str) -> bool:
    """An interchange starts with ISA (after any byte-order mark or white space). Stdin ('-') is looked at without
    taking anything from it (BufferedReader.peek: what one read gives, enough for a pipe's first bytes), so the
    JSON reader or the 837 reader still reads it whole."""
    if path == "-":
        import sys

        peek = getattr(getattr(sys.stdin, "buffer", None), "peek", None)
        try:
            head = peek(512).decode("utf-8", errors="replace") if peek is not None else ""
        except (OSError, ValueError):
            return False
    else:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                head = fh.read(512)
        except OSError:
            return False
    return head.lstrip("\ufeff \t\r\n").startswith("ISA")


def _person_key(last: str | None, first: str | None, birth: date | None) -> tuple | None:
    if not last or not birth:
        return None
    return ("name", last.strip().upper(), (first or "").strip().upper(), birth)


@dataclass
class Charts:
    """Charts indexed by claim id and by patient (member id; or name and birth date) with the date of service."""

    by_claim: dict[str, Encounter] = field(default_factory=dict)
    by_patient: dict[tuple, Encounter] = field(default_factory=dict)
    count: int = 0
    twice: set = field(default_factory=set)  # keys two charts share: which is the claim's cannot be told

    def add(self, enc: Encounter) -> None:
        self.count += 1
        if enc.claim_id:
            self._index(self.by_claim, enc.claim_id.strip().upper(), enc)
        dos = enc.date_of_service
        if enc.subscriber:
            self._index(self.by_patient, ("member", enc.subscriber.member_id.strip().upper(), dos), enc)
        if enc.patient:
            key = _person_key(enc.patient.last_name, enc.patient.first_name, enc.patient.birth_date)
            if key:
                self._index(self.by_patient, (*key, dos), enc)

    def _index(self, index: dict, key: Any, enc: Encounter) -> None:
        if key in index and index[key] is not enc:
            self.twice.add(key)
        index.setdefault(key, enc)

    def find(self, wc: WrittenClaim) -> tuple[Encounter | None, str]:
        """The claim's chart and how it was joined. Two charts that join the same way are refused (AmbiguousChart):
        the first one read would otherwise decide the claim without a word."""
        enc = self._get(self.by_claim, wc.claim_id.strip().upper(), "claim id")
        if enc is not None:
            return enc, "claim id"
        dos = wc.date_of_service
        if wc.subscriber:
            enc = self._get(self.by_patient, ("member", wc.subscriber.member_id.strip().upper(), dos),
                            "member id and date of service")
            if enc is not None:
                return enc, "member id and date of service"
        if wc.patient:
            key = _person_key(wc.patient.last_name, wc.patient.first_name, wc.patient.birth_date)
            enc = self._get(self.by_patient, (*key, dos), "patient name, birth date and date of service") if key \
                else None
            if enc is not None:
                return enc, "patient name, birth date and date of service"
        return None, ""

    def _get(self, index: dict, key: Any, how: str) -> Encounter | None:
        if key in self.twice:
            raise AmbiguousChart(f"two or more charts join this claim by {how}: give each chart its own claim_id")
        return index.get(key)


class AmbiguousChart(Exception):
    pass


def _chart_objects(path: Path) -> Iterator[tuple[str, object]]:
    """(where, JSON object) for every chart: JSON Lines rows, one JSON file, or every .json/.jsonl in a folder."""
    if path.is_dir():
        for p in sorted(path.iterdir()):
            if p.suffix in (".json", ".jsonl") and p.is_file():
                yield from _chart_objects(p)
        return
    try:  # checked as every input is: bounded, UTF-8 with or without a BOM
        text = read_input_file(str(path), limit=MAX_CHART_BYTES)
    except InvalidInput as exc:
        raise InvalidInput([f"{path}: {p}" for p in exc.problems]) from None
    if path.suffix == ".jsonl":
        for n, line in enumerate(text_lines(text), start=1):
            if line.strip():
                yield f"{path}:{n}", _json(line, f"{path}:{n}")
    else:
        yield str(path), _json(text, str(path))


def _json(text: str, where: str) -> object:
    """One chart's JSON with the limits of any encounter (size, nesting, huge numbers, NaN named by the schema)."""
    try:
        return load_json(text)
    except InvalidInput as exc:
        raise InvalidInput([f"{where}: {p}" for p in exc.problems]) from None


def load_charts(path: str | Path) -> Charts:
    """Every chart under `path`; an invalid one stops the load with its problems, each naming file and field."""
    charts = Charts()
    for where, obj in _chart_objects(Path(path)):
        try:
            charts.add(parse_chart(obj))
        except InvalidInput as exc:
            raise InvalidInput([f"{where}: {p}" for p in exc.problems]) from None
    return charts


def is_bundle(obj: object) -> bool:
    return isinstance(obj, dict) and obj.get("resourceType") == "Bundle"


def parse_chart(obj: object) -> Encounter:
    """An encounter in igclaim's schema, or a FHIR R4 Bundle mapped to it (readers/fhir.py)."""
    if is_bundle(obj):
        from igclaim.readers.fhir import parse_bundle

        return parse_bundle(obj)
    return parse_encounter(obj)


@dataclass
class Scrubbed:
    """One claim of the file: its result (with how the chart was joined) or its error."""

    claim_id: str | None
    result: Result | None = None
    error: ReadError | None = None
    joined_by: str = ""


def scrub_837(source, charts: Charts | None = None, profile: str | None = None,
              filing_date: date | None = None) -> Iterator[Scrubbed]:
    """Every claim of the file in order, scrubbed with its chart when one joins, else without a chart
    (`filing_date`: --filing-date, see scrub_one)."""
    for item in read_837(source):
        if isinstance(item, ReadError):
            yield Scrubbed(item.claim_id, error=item)
            continue
        yield scrub_one(item, charts, profile, filing_date)


def joined(chart: Encounter, wc: WrittenClaim) -> Encounter:
    """The chart with what the 837 says of the claim it writes: the claim itself, and where the chart is silent
    its prior authorization, claim id, the day it is filed and whether it replaces or voids a claim (CLM05-3 7 or
    8 with REF*F8: a void filed late is a warning to verify, not a claim denied as not timely filed)."""
    update: dict = {"claim": wc.claim}
    if chart.payer.prior_authorization is None and wc.payer.prior_authorization is not None:
        update["payer"] = chart.payer.model_copy(update={"prior_authorization": wc.payer.prior_authorization})
    if not chart.claim_id:
        update["claim_id"] = wc.claim_id
    if chart.filing_date is None and wc.created is not None:
        # The 837's BHT04: the day it is sent. Before the chart's date of service it bills a service not yet
        # given, which PLAUSIBILITY-DOS tells (a chart's own filing date that early is refused on input).
        update["filing_date"] = wc.created
    if chart.correction is None and wc.correction is not None:
        update["correction"] = wc.correction
    return chart.model_copy(update=update)


def scrub_one(wc: WrittenClaim, charts: Charts | None, profile: str | None = None,
              filing_date: date | None = None) -> Scrubbed:
    """`filing_date` (--filing-date, the day the user says the claims reach the payer) is the claim's filing date
    unless its chart gives one of its own: a record's own fact beats a run's option, and the option beats the 837's
    BHT04, the day the file was made, which is only the likeliest day it is sent. A day before the date of service
    makes the claim an error naming the option, as it makes a chart one."""
    try:
        chart, how = charts.find(wc) if charts else (None, "")
    except AmbiguousChart as exc:
        return Scrubbed(wc.claim_id, error=ReadError(claim_id=wc.claim_id, segment="CLM", position=wc.position,
                                                     element="CLM01", message=str(exc)))
    try:
        if chart is None:
            return Scrubbed(wc.claim_id, result=engine.scrub_without_chart(wc, profile=profile,
                                                                           filing_date=filing_date))
        return Scrubbed(wc.claim_id, result=engine.scrub(joined(filed_on(chart, filing_date), wc), profile=profile,
                                                         charges=wc.charges, made=wc.created), joined_by=how)
    except InputError as exc:
        return Scrubbed(wc.claim_id, error=ReadError(claim_id=wc.claim_id, segment="CLM", position=wc.position,
                                                     element=exc.path, message=exc.message))
