"""The worklist: encounters submitted, versioned, coded and scrubbed, and moved through their claim status.

draft (stored, not yet coded) → scrubbed (coded; error findings to fix) → ready (no errors, or marked fixed) →
exported (sent in an 837; the authorization ledger is consumed) → paid or denied. A new version of an encounter
goes back through coding; once its claim has gone out (exported, paid, denied) only a corrected claim (`correction`:
frequency 7 replaces, 8 voids) is taken, never a second original. Submitting the same body again changes nothing
(idempotent by encounter id and body).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, Select, case, delete, insert, select
from sqlalchemy.orm import Session

from igclaim import engine
from igclaim.api import bundled_profile
from igclaim.errors import InputError, problem_lines
from igclaim.inputs import InvalidInput, parse_encounter
from igclaim.model import Encounter, Result
from igclaim.service import ledger
from igclaim.service.db import ID_LENGTH, Audit, ClaimRow, EncounterVersion, FindingRow

# Who may move a claim where by hand; `exported` is reached only by an export.
MANUAL_MOVES = {
    ("scrubbed", "ready"),    # marked fixed: the biller resolved the findings outside igclaim
    ("ready", "scrubbed"),    # reopened
    ("exported", "paid"),
    ("exported", "denied"),
    ("denied", "ready"),      # resubmission after review
}
# A claim in these has gone to the payer: a new version of it must be a correction, not a second original.
SENT = ("exported", "paid", "denied")
# The longest encounter id kept whole: the worklist's columns hold ID_LENGTH characters, and the audit log writes a
# submission as "id@version" in as many (a version is a 32-bit integer). The input itself takes 200 (model.MAX_TEXT).
MAX_ENCOUNTER_ID = ID_LENGTH - len(f"@{2**31 - 1}")
# Characters an id cannot carry in the path of GET /api/encounters/{id} as itself: "/" ("%2F" is decoded to it before
# routing), "\\" (browsers read it as "/"), "%" (decoded once or twice depending on what sits between client and
# server). Control, format and line-separator characters are refused too (below).
UNADDRESSABLE = "/\\%"


class WorklistError(ValueError):
    def __init__(self, status: int, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.status = status
        self.problems = problems


@dataclass(frozen=True)
class Submitted:
    encounter_id: str
    version: int
    status: str
    created: bool
    errors: int
    warnings: int


def audit(db: Session, user_id: int | None, action: str, object_type: str, object_id: str) -> None:
    """One entry, the object's id whole: an id is bounded to ID_LENGTH where it comes in (422 naming its field), so a
    longer one here is a bug, refused rather than stored cut (two objects cut alike would read as one)."""
    if len(object_id) > ID_LENGTH:
        raise ValueError(f"audit: an object id of {len(object_id)} characters; the log keeps {ID_LENGTH}")
    db.add(Audit(user_id=user_id, action=action, object_type=object_type, object_id=object_id))


def _canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def code(db: Session, enc: Encounter) -> Result:
    """Code (and scrub, when a written claim is given) and add what only the ledger knows."""
    result = engine.scrub(enc) if enc.claim is not None else engine.build(enc)
    extra = ledger.check(db, enc, result)
    if extra:
        result = result.model_copy(update={"findings": [*result.findings, *extra]})
    return result


def id_problem(encounter_id: str) -> str | None:
    """Why the worklist cannot keep or address this encounter id (None: it can). The input takes 200 characters of
    anything; an id past the columns was stored (SQLite) or failed the insert (PostgreSQL), and one with "/" was
    stored but could not be read or moved (404). The id itself is not echoed: the field and the rule say enough."""
    if not encounter_id:
        return "encounter_id: empty; the worklist files each encounter under its id"
    if len(encounter_id) > MAX_ENCOUNTER_ID:
        return (f"encounter_id: {len(encounter_id)} characters; the team's worklist keeps ids of at most "
                f"{MAX_ENCOUNTER_ID}")
    if encounter_id in (".", ".."):
        return f"encounter_id: {encounter_id!r} cannot be a URL path segment (it means this or the parent folder)"
    for ch in encounter_id:
        category = unicodedata.category(ch)
        if ch in UNADDRESSABLE or category[0] == "C" or category in ("Zl", "Zp"):
            return (f"encounter_id: holds U+{ord(ch):04X}; an id is read and moved at /api/encounters/{{id}}, whose "
                    "path cannot carry it plainly (no '/', '\\', '%', control or invisible characters)")
    return None


def submit(db: Session, body: Any, user_id: int) -> Submitted:
    """Store one encounter body as a new version (or find the same one), code it and update its worklist row."""
    try:
        enc = parse_encounter(body)
    except InvalidInput as exc:
        raise WorklistError(422, exc.problems) from None
    if (why := id_problem(enc.encounter_id)) is not None:
        raise WorklistError(422, [why])
    try:
        bundled_profile(enc.payer.profile, "payer.profile")  # posted over HTTP: never a path on the server
    except InputError as exc:
        raise WorklistError(422, problem_lines(exc)) from None
    text = _canonical(body)
    digest = hashlib.sha256(text.encode()).hexdigest()
    last = db.scalar(select(EncounterVersion).where(EncounterVersion.encounter_id == enc.encounter_id)
                     .order_by(EncounterVersion.version.desc()).limit(1))
    row = db.get(ClaimRow, enc.encounter_id)
    if last is not None and last.sha256 == digest and row is not None:
        return Submitted(enc.encounter_id, last.version, row.status, False, row.errors, row.warnings)
    if row is not None and row.status in SENT and enc.correction is None:
        raise WorklistError(409, [
            f"correction: {enc.encounter_id} was {row.status}: a changed version would go out again as an original "
            "claim, a duplicate to the payer; send it as a corrected claim: give `correction` with frequency 7 "
            "(replaces) or 8 (voids) and original_claim_id (the payer's claim number)"])
    version = (last.version + 1) if last else 1
    ver = EncounterVersion(encounter_id=enc.encounter_id, version=version, sha256=digest, body=text,
                           submitted_by=user_id)
    db.add(ver)
    if row is None:
        row = ClaimRow(encounter_id=enc.encounter_id, version=version, status="draft", payer_type=enc.payer.type,
                       payer_name=enc.payer.name, date_of_service=enc.date_of_service, setting=enc.setting,
                       errors=0, warnings=0, edits=[])
        db.add(row)
    row.version, row.status = version, "draft"
    row.payer_type, row.payer_name = enc.payer.type, enc.payer.name
    row.date_of_service, row.setting = enc.date_of_service, enc.setting
    audit(db, user_id, "encounter.submit", "encounter", f"{enc.encounter_id}@{version}")
    try:
        result = code(db, enc)
    except InputError as exc:  # valid shape, but coding needs more (stays a draft, with the reason)
        db.flush()
        raise WorklistError(422, [str(exc)]) from None
    _store_result(db, row, ver, result)
    return Submitted(enc.encounter_id, version, row.status, True, row.errors, row.warnings)


def _store_result(db: Session, row: ClaimRow, ver: EncounterVersion, result: Result) -> None:
    ver.result = result.model_dump_json()
    # The finding index is replaced with two statements (no ORM object per finding): a post's writes are most of its
    # cost, and they share the process (and its GIL) with the reads.
    db.execute(delete(FindingRow).where(FindingRow.encounter_id == row.encounter_id))
    if result.findings:
        db.execute(insert(FindingRow), [{"encounter_id": row.encounter_id, "version": ver.version, "edit": f.edit,
                                         "severity": f.severity} for f in result.findings])
    row.errors = sum(f.severity == "error" for f in result.findings)
    row.warnings = sum(f.severity == "warning" for f in result.findings)
    row.edits = sorted({f.edit for f in result.findings})
    row.status = "scrubbed" if row.errors else "ready"


def current(db: Session, encounter_id: str) -> tuple[ClaimRow, EncounterVersion]:
    row = db.get(ClaimRow, encounter_id)
    if row is None:
        raise WorklistError(404, [f"encounter_id: no encounter {encounter_id!r} on the worklist"])
    ver = db.scalar(select(EncounterVersion).where(EncounterVersion.encounter_id == encounter_id,
                                                   EncounterVersion.version == row.version))
    if ver is None:  # the row and its version are written in one transaction
        raise WorklistError(500, [f"encounter_id: version {row.version} of {encounter_id!r} is missing"])
    return row, ver


def move(db: Session, encounter_id: str, status: str, user_id: int) -> ClaimRow:
    row = db.get(ClaimRow, encounter_id)
    if row is None:
        raise WorklistError(404, [f"encounter_id: no encounter {encounter_id!r} on the worklist"])
    if (row.status, status) not in MANUAL_MOVES:
        allowed = sorted(b for a, b in MANUAL_MOVES if a == row.status)
        raise WorklistError(409, [f"status: a {row.status} claim can move to {', '.join(allowed) or 'nothing'} "
                                  f"by hand, not {status}" + (" (export it instead)" if status == "exported" else "")])
    row.status = status
    audit(db, user_id, f"claim.{status}", "encounter", encounter_id)
    return row


def listing(db: Session, *, status: str | None = None, payer: str | None = None, edit: str | None = None,
            date_from: date | None = None, date_to: date | None = None, limit: int = 50,
            after: str | None = None, settings: tuple[str, ...] | None = None, lock: bool = False) -> list[ClaimRow]:
    """Worklist rows in encounter-id order, filtered; `after` is the last id of the previous page (keyset).
    `settings` (an export: the settings of its form) filters before the limit, so a page is all of that form.
    `lock` (an export): the rows stay locked to the end of the transaction and rows another transaction holds are
    skipped (FOR UPDATE SKIP LOCKED, PostgreSQL; SQLite has one writer and ignores it), so two exports at once
    never send the same claim: the second takes the ready claims the first has not."""
    q = _listing(select(ClaimRow), status, payer, edit, date_from, date_to, limit, after, settings)
    return list(db.scalars(q.with_for_update(skip_locked=True) if lock else q))


def listing_rows(conn: Connection, *, status: str | None = None, payer: str | None = None, edit: str | None = None,
                 date_from: date | None = None, date_to: date | None = None, limit: int = 50,
                 after: str | None = None) -> list[Row]:
    """The same rows as `listing`, read-only: one statement, plain rows (the worklist page's read)."""
    return list(conn.execute(_listing(select(ClaimRow.__table__), status, payer, edit, date_from, date_to, limit,
                                      after)))


def _listing(q: Select, status: str | None, payer: str | None, edit: str | None, date_from: date | None,
             date_to: date | None, limit: int, after: str | None, settings: tuple[str, ...] | None = None) -> Select:
    if status:
        q = q.where(ClaimRow.status == status)
    if settings is not None:
        q = q.where(ClaimRow.setting.in_(settings))
    if payer:
        q = q.where((ClaimRow.payer_type == payer) | (ClaimRow.payer_name == payer))
    if edit:
        q = q.where(ClaimRow.encounter_id.in_(select(FindingRow.encounter_id).where(FindingRow.edit == edit)))
    if date_from:
        q = q.where(ClaimRow.date_of_service >= date_from)
    if date_to:
        q = q.where(ClaimRow.date_of_service <= date_to)
    if after:
        q = q.where(ClaimRow.encounter_id > after)
    return q.order_by(ClaimRow.encounter_id).limit(limit)


@dataclass(frozen=True)
class Detail:
    claim: Row  # the worklist row (ClaimRow's columns)
    body: str  # the current version as submitted (JSON)
    result: str | None  # its Result JSON, None while a draft
    history: list[dict[str, Any]]  # every version: version, sha256, submitted_by, submitted_at


def detail(conn: Connection, encounter_id: str) -> Detail:
    """The worklist row, its current version and the history of its versions, read-only in one statement (one
    round trip, one snapshot): each version joined to the row; only the current one brings its body and result."""
    c, v = ClaimRow.__table__, EncounterVersion.__table__
    current = v.c.version == c.c.version
    rows = conn.execute(
        select(c, v.c.version.label("v_version"), v.c.sha256.label("v_sha256"), v.c.submitted_by.label("v_by"),
               v.c.submitted_at.label("v_at"), case((current, v.c.body)).label("v_body"),
               case((current, v.c.result)).label("v_result"))
        .select_from(c.outerjoin(v, v.c.encounter_id == c.c.encounter_id))
        .where(c.c.encounter_id == encounter_id).order_by(v.c.version)).all()
    if not rows:
        raise WorklistError(404, [f"encounter_id: no encounter {encounter_id!r} on the worklist"])
    mine = next((r for r in rows if r.v_body is not None), None)
    if mine is None:  # the row and its version are written in one transaction
        raise WorklistError(500, [f"encounter_id: version {rows[0].version} of {encounter_id!r} is missing"])
    return Detail(rows[0], mine.v_body, mine.v_result,
                  [{"version": r.v_version, "sha256": r.v_sha256, "submitted_by": r.v_by,
                    "submitted_at": r.v_at.isoformat()} for r in rows if r.v_version is not None])


def stored(ver: EncounterVersion) -> tuple[Encounter, Result]:
    if ver.result is None:
        raise WorklistError(409, [f"encounter_id: {ver.encounter_id!r} version {ver.version} is not coded yet"])
    return parse_encounter(json.loads(ver.body)), Result.model_validate_json(ver.result)
