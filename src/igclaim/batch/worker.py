"""The work done for each record, in a pool process: decode, validate, build or scrub, and pre-format the
outputs, so the parent only writes text in order and adds small summaries to the report.

A record with a written `claim` is scrubbed (engine.scrub); without one it is built (engine.build). Every
failure becomes an error entry naming the field, never an exception that stops the run; error entries carry
ids, locations, field paths and the wrong value of a field that is not personal (a code, a unit), never PHI: a
patient's or subscriber's value is not quoted (errors._teach).
"""

from __future__ import annotations

import csv
import io
import re
import signal
from dataclasses import dataclass
from datetime import date
from typing import Any

from igclaim import engine
from igclaim.batch.sources import Record
from igclaim.batch.tabular import RowsError, cell, rows_to_encounter
from igclaim.coding.payment import denied_lines
from igclaim.errors import InputError, required
from igclaim.inputs import InvalidInput, filed_on, load_json, parse_encounter
from igclaim.model import Encounter, Result
from igclaim.outputs import csvsafe

FINDING_COLUMNS = (
    "record", "encounter_id", "date_of_service", "setting", "payer_type", "profile", "mode",
    "edit", "severity", "line", "line_code", "impact_units", "impact_usd", "message", "fix", "source",
)
_MAX_ID = 120
_ID_IN_TEXT = re.compile(r'"encounter_id"\s*:\s*"([^"\\]{1,120})"')
# "row 7 column containers" / "row 7": the row stays in the entry's own "row", the field names the column only, so
# the report counts one kind of row error once whatever the row
_ROW_FIELD = re.compile(r"row \d+(?: (column .+))?")


@dataclass(slots=True)
class Outcome:
    """What one record became: a result (JSON line + findings CSV text + report summary) or an error entry."""

    seq: int
    result_json: str | None = None
    findings_csv: str = ""
    summary: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    parsed_id: str | None = None  # a --parse-only record's encounter id (it has no summary to carry it)

    @property
    def encounter_id(self) -> str | None:
        """The record's encounter id where one was read (the run's duplicate check)."""
        if self.error is not None:
            return self.error.get("encounter_id")
        return self.summary["encounter_id"] if self.summary is not None else self.parsed_id


_CHARTS: Any = None  # the charts an 837's claims are joined to (--charts), loaded once per worker
_FILING_DATE: date | None = None  # --filing-date: the filing date of each encounter that gives none


def set_filing_date(day: date | None) -> None:
    """--filing-date for this process's records (batch's pool workers, Spark's Python workers per task)."""
    global _FILING_DATE
    _FILING_DATE = day


def init_worker(profile: str | None = None, charts: str | None = None, filing_date: date | None = None) -> None:
    """Pool initializer: the parent handles Ctrl-C; reference data and edit families load once per process."""
    global _CHARTS
    set_filing_date(filing_date)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from igclaim.refdata.resolver import reference

    reference()
    engine._load_edit_families()
    if charts:
        from igclaim.readers.scrub import load_charts

        _CHARTS = load_charts(charts)


def process_chunk(chunk: list[Record], profile: str | None, parse_only: bool, mode: str | None = None
                  ) -> list[Outcome]:
    outcomes = []
    for rec in chunk:
        try:
            outcomes.append(process_record(rec, profile, parse_only, mode))
        except Exception as exc:  # never lose a record to a defect: it becomes an error entry
            problem = f"(internal) {type(exc).__name__}; please report it"
            outcomes.append(error_outcome(rec, "internal", [problem], None))
    return outcomes


def _safe_id(value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)[:_MAX_ID]
    return None


def error_outcome(rec: Record, stage: str, problems: list[str], encounter_id: str | None) -> Outcome:
    first = problems[0] if problems else ""
    field_path = "(json)" if first.startswith("(json)") else first.split(":", 1)[0] if ":" in first else None
    if field_path and (row_field := _ROW_FIELD.fullmatch(field_path)):
        field_path = row_field.group(1) or "(row)"
    entry = {"record": rec.seq, **rec.where, "encounter_id": encounter_id, "stage": stage, "field": field_path,
             "reason": "; ".join(problems), "problems": problems}
    return Outcome(rec.seq, error=entry)


class _Undecodable(InvalidInput):
    def __init__(self, problems: list[str], encounter_id: str | None) -> None:
        super().__init__(problems)
        self.encounter_id = encounter_id


def decode(rec: Record) -> tuple[Any, str | None]:
    """The raw record → an encounter dict (not validated yet) and its id if one can be read."""
    if rec.kind == "problem":  # the reader already found what is wrong (an over-long line, a non-UTF-8 file)
        raise _Undecodable(list(rec.payload), None)
    if rec.kind == "json":
        try:
            obj = load_json(rec.payload.rstrip("\r\n"))  # size, depth and huge-number limits of one encounter
        except InvalidInput as exc:
            found = _ID_IN_TEXT.search(rec.payload)  # broken JSON may still name its encounter
            problems = [p.replace("(json) line 1 column", "(json) column", 1) for p in exc.problems]
            found_id = found.group(1).encode("utf-8", "surrogateescape").decode("utf-8", "replace") if found else None
            raise _Undecodable(problems, found_id) from None
        enc_id = _safe_id(obj.get("encounter_id")) if isinstance(obj, dict) else None
        if enc_id is None and isinstance(obj, dict) and isinstance(obj.get("input"), dict):
            enc_id = _safe_id(obj["input"].get("encounter_id"))
        return obj, enc_id
    return rows_to_encounter(rec.payload), _rows_id(rec)


def _rows_id(rec: Record) -> str | None:
    """The encounter id of a group of CSV/Parquet rows (read before the rows are put together, so that an error
    putting them together still names its encounter)."""
    return _safe_id(cell(rec.payload[0][1].get("encounter_id"))) if rec.kind == "rows" else None


def process_x12(rec: Record, profile: str | None, parse_only: bool) -> Outcome:
    """One claim read from an 837 (or its read error): scrubbed with its chart when one joins, else without."""
    from igclaim.readers.scrub import scrub_one
    from igclaim.readers.x12 import ReadError

    item = rec.payload
    if isinstance(item, ReadError):
        stage = "x12" if item.claim_id else "envelope"
        entry = error_outcome(rec, stage, [item.text()], _safe_id(item.claim_id))
        required(entry.error, "the error entry").update(
            {"field": f"{item.segment} {item.element or ''}".strip(), "segment": item.position})
        return entry
    if parse_only:
        return Outcome(rec.seq, parsed_id=_safe_id(item.claim_id))
    try:
        done = scrub_one(item, _CHARTS, profile, _FILING_DATE)
    except Exception as exc:  # a defect must not lose the claim, nor which claim it was
        problem = f"(internal) {type(exc).__name__} while scrubbing; please report it"
        return error_outcome(rec, "internal", [problem], _safe_id(item.claim_id))
    if done.error is not None:
        return error_outcome(rec, "coding", [done.error.text()], _safe_id(item.claim_id))
    result = required(done.result, "the scrubbed claim's result")
    enc = Encounter.model_construct(encounter_id=result.encounter_id, date_of_service=item.date_of_service,
                                    setting=item.setting, payer=item.payer, claim=item.claim)
    return _outcome(rec, enc, result, "scrub")


def process_record(rec: Record, profile: str | None = None, parse_only: bool = False, mode: str | None = None
                   ) -> Outcome:
    """`mode` None chooses per record (scrub when a claim is written, else build); "build"/"scrub" force it."""
    if rec.kind == "x12":
        return process_x12(rec, profile, parse_only)
    enc_id: str | None = None
    try:
        obj, enc_id = decode(rec)
        enc = parse_encounter(obj)
    except RowsError as exc:
        return error_outcome(rec, "rows", exc.problems, _rows_id(rec))
    except _Undecodable as exc:  # a CSV/Parquet row the reader refused (not UTF-8, an open quote) is a rows error
        return error_outcome(rec, "rows" if "row" in rec.where else "json", exc.problems, exc.encounter_id)
    except InvalidInput as exc:
        return error_outcome(rec, "schema", exc.problems, enc_id)
    enc_id = enc.encounter_id[:_MAX_ID]
    if parse_only:
        return Outcome(rec.seq, parsed_id=enc_id)
    mode = mode or ("scrub" if enc.claim is not None else "build")
    try:
        enc = filed_on(enc, _FILING_DATE)
        result = engine.scrub(enc, profile=profile) if mode == "scrub" else engine.build(enc, profile=profile)
    except InputError as exc:
        return error_outcome(rec, "coding", [str(exc)], enc_id)
    except Exception as exc:  # a defect in an edit must not lose the record or stop the run
        problem = f"(internal) {type(exc).__name__} while coding; please report it"
        return error_outcome(rec, "internal", [problem], enc_id)
    return _outcome(rec, enc, result, mode)


def _outcome(rec: Record, enc: Encounter, result: Result, mode: str) -> Outcome:
    dos = enc.date_of_service.isoformat()
    profile = result.reference.profile
    written = {ln.line: ln.code for ln in (enc.claim.lines if enc.claim else [])}
    expected = {ln.line: ln.code for ln in result.claim.lines}
    codes = written if mode == "scrub" else expected
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    findings = []
    for f in result.findings:
        usd = float(f.impact_usd) if f.impact_usd is not None else None
        w.writerow(csvsafe.row([
            rec.seq, enc.encounter_id, dos, enc.setting, enc.payer.type, profile, mode, f.edit, f.severity,
            f.line if f.line is not None else "", codes.get(f.line, "") if f.line is not None else "",
            f.impact_units if f.impact_units is not None else "", "" if usd is None else f"{usd:.2f}",
            f.message, f.fix or "", f.source or ""]))
        # the lines whose money the finding carries too (DX-NOT-COVERED's denied administration): the report's
        # headline counts them with it, once
        covers = tuple(n for n, _ in denied_lines(f))
        findings.append((f.edit, f.severity, f.impact_units, usd, f.fix or "", f.line, covers))
    summary = {"encounter_id": enc.encounter_id, "date_of_service": dos, "setting": enc.setting,
               "payer_type": enc.payer.type, "mode": mode, "findings": findings}
    return Outcome(rec.seq, result_json=result.model_dump_json(), findings_csv=buf.getvalue(), summary=summary)
