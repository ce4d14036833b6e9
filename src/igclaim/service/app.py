"""The team service over HTTP (`igclaim serve --team`): the stateless API of igclaim.api plus the worklist, the
authorization ledger, users, tokens and the audit log. Every /api route but /api/health needs a bearer token;
billers work the worklist, admins also manage users, tokens and data imports. Rate-limited per token.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import os
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager, nullcontext
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as FPath
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, WrapValidator, field_validator, model_validator
from sqlalchemy import Connection, Row, delete, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from igclaim import __version__
from igclaim.errors import InputError, listed, problem_lines
from igclaim.inputs import text_lines, undecoded_byte, unique_keys
from igclaim.model import HCPCS_CODE, ChartDate
from igclaim.refdata.importers import KINDS, OPEN_END, Options, Setting, ascii_upper
from igclaim.service import auth as auth_mod
from igclaim.service import ledger, worklist
from igclaim.service.coders import Coders, coders_wanted
from igclaim.service.db import (
    ID_LENGTH,
    ROLES,
    STATUSES,
    Audit,
    Authorization,
    AuthorizationUse,
    Charge,
    ClaimRow,
    Export,
    ExportClaim,
    read_engine_for,
    sessions,
)
from igclaim.service.db import User as UserRow

MAX_BODY = 20 * 1024 * 1024  # one POST of JSON Lines; larger batches go through `igclaim batch`
MAX_LINES = 5000
MAX_IMPORT_BODY = 200 * 1024 * 1024  # one CMS file over HTTP (admins): on IMPORT_PATH only
IMPORT_PATH = "/api/data/import/"
# An imported fee schedule's name (`schedule`), which payer profiles name as their `fee_schedule`: words of letters,
# digits and . _ - joined by single spaces ("acme-2026", "opps 2026"), no path nor control characters.
SCHEDULE_NAME = r"^[A-Za-z0-9._-]+( [A-Za-z0-9._-]+)*$"
SCHEDULE_LENGTH = 64
# An import's `ends`: a chart date (1900-2199), or the open end `igclaim data import --ends` takes (OPEN_END).
ImportEnds = Annotated[ChartDate, WrapValidator(lambda v, chart_day: OPEN_END if v == OPEN_END.isoformat()
                                                else chart_day(v))]
MAX_CHARGE_CODES = 10_000
RATE_STORE = "IGCLAIM_RATE_STORE"
MAX_UNIT_CHARGE = Decimal("9999999.99")
MILLIGRAM = Decimal("0.001")  # what the ledger's grams keep (a charge's cents: chargemaster.CENT)
# An interchange carries PHI: no browser or proxy keeps a copy of an export's answer or of a stored export.
NO_STORE = {"Cache-Control": "no-store"}


def problems(status: int, items: list[str], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"problems": items}, headers=headers)


# ------------------------------------------------------------------------------------------------ request models


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AuthorizationIn(_Body):
    number: str = Field(min_length=1, max_length=64)
    payer: str = Field(min_length=1, max_length=128, description="payer name or payer id, as on the encounters")
    member_id: str = Field(min_length=1, max_length=64)
    # The code a chart's payer.prior_authorization.hcpcs takes (model.HCPCS_CODE: five ASCII letters and digits,
    # either case; a plan may authorize the drug's J-code or another HCPCS/CPT code), stored upper case.
    hcpcs: str | None = Field(default=None, pattern=HCPCS_CODE)
    product: str | None = Field(default=None, min_length=1, max_length=64)
    units: int | None = Field(default=None, ge=0, le=1_000_000)
    grams: Decimal | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    visits: int | None = Field(default=None, ge=0, le=10_000)
    # As a chart's dates (model.ChartDate): ISO text within 1900-2199. A plain `date` read 1772409600 as a Unix time
    # (2026-03-02) and took any year.
    start: ChartDate
    end: ChartDate

    @field_validator("grams")
    @classmethod
    def _milligrams(cls, grams: Decimal | None) -> Decimal | None:
        """The ledger keeps grams with 3 decimals (Numeric(12, 3)): PostgreSQL rounded 0.0004 to 0.000 and SQLite
        kept it as given, so the same authorization left different amounts by database. More is refused."""
        if grams is not None and grams != grams.quantize(MILLIGRAM):
            raise ValueError(f"more than 3 decimals ({grams:f}); the ledger counts grams to the milligram")
        return grams

    @field_validator("hcpcs")
    @classmethod
    def _upper_case(cls, code: str | None) -> str | None:
        return None if code is None else ascii_upper(code)  # 'j1561' matches the claim's J1561

    @field_validator("product")
    @classmethod
    def _known_product(cls, name: str | None) -> str | None:
        """A product the ledger can match to claims: an unknown name was stored and never matched any claim."""
        from igclaim.errors import did_you_mean
        from igclaim.refdata.resolver import reference

        ref = reference()
        if name is not None and not ref.find_products(name):
            names = [n for p in ref.products for n in (p.name, *p.aliases)]
            raise ValueError(f"unknown product {name[:64]!r}{did_you_mean(name, names)}; GET /api/products lists "
                             "them (or give hcpcs)")
        return name

    @model_validator(mode="after")
    def _sane(self) -> AuthorizationIn:
        if (self.hcpcs is None) == (self.product is None):
            raise ValueError("give one of hcpcs or product")
        if self.units is None and self.grams is None and self.visits is None:
            raise ValueError("give units, grams or visits (what the authorization allows)")
        if self.end < self.start:
            raise ValueError("end: before start")
        return self


class AuthorizationSearch(_Body):
    member_id: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="only this member's (sent in the body: a URL ends up in access logs)")
    limit: int = Field(default=100, ge=1, le=500)


class ChargemasterIn(_Body):
    csv: str = Field(min_length=1, max_length=1_000_000,
                     description="the whole charge master as CSV with a code,unit_charge header (as `igclaim export "
                                 "--charges` reads); it replaces the one stored")


class StatusIn(_Body):
    status: Literal["scrubbed", "ready", "paid", "denied"]


class UserIn(_Body):
    name: str = Field(min_length=1, max_length=64)
    role: Literal["biller", "admin"]


class Submission(BaseModel):
    encounter_id: str | None = None
    line: int | None = None
    version: int | None = None
    status: str | None = None
    created: bool | None = None
    errors: int | None = None
    warnings: int | None = None
    problems: list[str] = Field(default_factory=list)
    # The HTTP status a single-body post answers with when this has problems (409: the claim has gone out).
    _status: int = PrivateAttr(default=422)


class ClaimOut(BaseModel):
    encounter_id: str
    version: int
    status: str
    payer_type: str
    payer_name: str | None
    date_of_service: date
    setting: str
    errors: int
    warnings: int
    edits: list[str]


class Page(BaseModel):
    items: list[ClaimOut]
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last page")


# ------------------------------------------------------------------------------------------------- who is asking


class Forbidden(Exception):
    """403: the token is valid but its role may not do this."""


async def principal(request: Request) -> auth_mod.Principal:  # async: read on the loop, no thread hop
    return request.state.principal


async def admin(request: Request) -> auth_mod.Principal:
    who: auth_mod.Principal = request.state.principal
    if who.role != "admin":
        raise Forbidden
    return who


User = Annotated[auth_mod.Principal, Depends(principal)]
Admin = Annotated[auth_mod.Principal, Depends(admin)]

# ------------------------------------------------------------------------------------------------------- the app


def create_app(database_url: str | None = None, *, rate: float | None = None, burst: int | None = None,
               rate_store: str | None = None, coders: int | None = None) -> FastAPI:
    """The team app over one database (migrated to head first). `rate_store` (default IGCLAIM_RATE_STORE): a file
    whose rate-limit buckets this app shares with the other workers of its server. `coders` (default
    IGCLAIM_CODERS, else 2): processes that code posted encounters with PostgreSQL; 0 codes them in threads."""
    from igclaim import api as stateless
    from igclaim import engine
    from igclaim.refdata.resolver import reference
    from igclaim.service import migrate

    migrate.upgrade(database_url)
    engine._load_edit_families()  # load the rules once at start, not on the first biller's request
    _warm_up()
    # A read hops between the event loop and worker threads several times; each hop waits for the GIL while a post
    # is being coded, up to the switch interval (5 ms by default). 1 ms keeps a read from queueing ~20 ms behind one.
    sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
    reference()
    make_session = sessions(database_url)
    verifier = auth_mod.Verifier()
    rate = rate or float(os.environ.get("IGCLAIM_RATE_LIMIT", "50"))
    burst = burst or int(os.environ.get("IGCLAIM_RATE_BURST", "200"))
    rate_store = rate_store or os.environ.get(RATE_STORE)
    limiter = (auth_mod.SharedRateLimiter(rate_store, rate, burst) if rate_store
               else auth_mod.RateLimiter(rate, burst))
    from fastapi.exceptions import RequestValidationError

    from igclaim.web.guard import Guard, page_csp

    team_page = (resources.files("igclaim.service") / "team.html").read_text(encoding="utf-8")
    # With PostgreSQL posted encounters are coded by processes of their own (coders.py), so the reads of this process
    # never wait for the GIL behind a post being coded; with SQLite by a writer thread (below).
    bind = make_session.kw["bind"]
    sqlite = str(bind.url).startswith("sqlite")
    n_coders = 0 if sqlite else (coders_wanted(sqlite) if coders is None else max(0, coders))
    coding = Coders(bind.url.render_as_string(hide_password=False), n_coders) if n_coders else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if coding is not None:  # every coding process up (rules loaded) before the server says it is ready
            await asyncio.gather(*(asyncio.wrap_future(f) for f in coding.warm()))
        yield
        if coding is not None:
            await asyncio.to_thread(coding.shutdown)

    app = FastAPI(title="igclaim team service", version=__version__, docs_url=None, redoc_url=None,  # /docs: offline
                  lifespan=lifespan,
                  description="Worklist, authorization ledger and audit trail for a billing team. "
                              "Send `Authorization: Bearer <token>` (igclaim tokens create NAME).")
    for route in stateless.app.routes:  # build, scrub, products, edits, schema, health and the billers' page
        if isinstance(route, APIRoute):
            app.router.routes.append(route)
    stateless.mount_docs_assets(app)  # /docs (copied above) renders from the package, never a CDN
    app.exception_handler(RequestValidationError)(stateless._validation_problems)  # {"problems": [...]}

    def check(token: str | None) -> auth_mod.Principal:
        with bind.connect() as conn:  # one indexed lookup; no ORM session for it
            return verifier.check(conn, token)

    # SQLite lets one writer in at a time and makes the others poll for the lock; a process-wide lock queues them
    # without polling (PostgreSQL needs none). Reads never take it (WAL).
    write_lock = threading.Lock() if sqlite else nullcontext()
    # Posted encounters are coded and written by threads of their own: a queue of posts (SQLite writes one at a
    # time) then never holds the shared worker threads that token checks and reads need.
    writers = ThreadPoolExecutor(max_workers=1 if sqlite else 2, thread_name_prefix="igclaim-writer")

    if not sqlite:
        auth_mod.RevocationListener(bind.url.set(drivername="postgresql").render_as_string(hide_password=False),
                                    verifier).start()

    # Worklist reads are single statements: without a transaction around them (no BEGIN and COMMIT round trips),
    # each is its own consistent snapshot. Over the network they use connections of their own, not pinged first
    # (db.read_engine_for): one round trip a read.
    reader = (bind.execution_options(isolation_level="AUTOCOMMIT") if sqlite
              else read_engine_for(bind.url.render_as_string(hide_password=False)))

    async def reading(fn: Callable[..., Any], *args: Any) -> Any:
        """A worklist read `fn(conn, *args)`: on the event loop with SQLite (a local read of a millisecond or less
        that never waits on a writer under WAL), in a worker thread with a database over the network. A read that
        meets a dropped connection (the database restarted) runs once more: the pool has then been emptied of the
        old connections, and a read changes nothing."""
        def run() -> Any:
            try:
                with reader.connect() as conn:
                    return fn(conn, *args)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
            with reader.connect() as conn:  # a new connection: the pool has let go of those made before the drop
                return fn(conn, *args)

        return run() if sqlite else await run_in_threadpool(run)

    async def acheck(token: str | None) -> auth_mod.Principal:
        """The token check: scrypt (a token not yet proven here) in a worker thread; a proven token on SQLite is one
        local indexed lookup, on the loop. On PostgreSQL a token checked in the last few seconds is not looked up
        again while this process hears every revocation (NOTIFY); otherwise its lookup runs in a worker thread."""
        if sqlite:
            return check(token) if verifier.proven(token) else await run_in_threadpool(check, token)
        who = verifier.cached(token)
        if who is not None:
            return who
        generation = verifier.generation()
        who = await run_in_threadpool(check, token)
        verifier.remember(token or "", who, generation)
        return who

    @contextmanager
    def tx(write: bool = False):
        with (write_lock if write else nullcontext()), make_session() as db, db.begin():
            yield db

    @app.exception_handler(Forbidden)
    async def _forbidden(_request: Request, _exc: Forbidden):
        return problems(403, ["role: this needs an admin token"])

    @app.exception_handler(worklist.WorklistError)
    async def _worklist_error(_request: Request, exc: worklist.WorklistError):
        return problems(exc.status, exc.problems)

    # ---------------------------------------------------------------------------------------------- worklist

    @app.post("/api/encounters", response_model=list[Submission], tags=["worklist"],
              responses={409: {"description": "a changed version of a claim that has gone out, without a correction"},
                         413: {"description": "body too large"}, 422: {"description": "not JSON"}})
    async def submit(request: Request, who: User):
        """Post one encounter (JSON) or many (JSON Lines, one per line): each is stored as a version, coded and
        scrubbed. The same body again is not a new version. Each line answers with its status or its problems."""
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return problems(413, [f"body: at most {MAX_BODY // (1024 * 1024)} MB per request; use igclaim batch"])
        # surrogateescape: a byte that is not UTF-8 stays visible, so its encounter is refused, never stored
        # with the byte silently replaced
        text = raw.decode("utf-8-sig", errors="surrogateescape")
        bodies: list[tuple[int | None, Any]]
        try:
            bodies = [(None, json.loads(text, parse_constant=_no_constant, object_pairs_hook=unique_keys))]
            if (byte := undecoded_byte(text)) is not None:
                return problems(422, [f"body: not UTF-8 text (a byte 0x{byte:02x})"])
        except (ValueError, RecursionError) as whole:
            bodies = []
            for n, line in enumerate(text_lines(text), start=1):
                if not line.strip():
                    continue
                if (byte := undecoded_byte(line)) is not None:
                    bodies.append((n, _Unreadable(f"not UTF-8 text: a byte 0x{byte:02x}")))
                    continue
                try:
                    bodies.append((n, json.loads(line, parse_constant=_no_constant, object_pairs_hook=unique_keys)))
                except (ValueError, RecursionError) as exc:
                    bodies.append((n, _Unreadable(str(exc).split(":")[0])))
            if not bodies:
                return problems(422, ["body: give an encounter as JSON, or JSON Lines"])
            # One line, or lines none of which is an encounter (a pretty-printed document): one malformed document,
            # answered as every single-body problem is, not as line 1 of JSON Lines.
            if len(bodies) == 1 or not any(isinstance(b, dict) for _, b in bodies):
                if (byte := undecoded_byte(text)) is not None:
                    return problems(422, [f"body: not UTF-8 text (a byte 0x{byte:02x})"])
                return problems(422, [f"body: not valid JSON ({_json_reason(whole)})"])
        if len(bodies) > MAX_LINES:
            return problems(413, [f"body: at most {MAX_LINES} encounters per request; use igclaim batch"])

        # Coding is CPU work: off the event loop, in a coding process (PostgreSQL) or a writer thread (SQLite).
        if coding is not None:
            out = await coding.code(bodies, who.user_id)
        else:
            out = await asyncio.get_running_loop().run_in_executor(writers, code_bodies, make_session, write_lock,
                                                                   bodies, who.user_id)
        if len(bodies) == 1 and bodies[0][0] is None and out[0].problems:
            return problems(out[0]._status, out[0].problems)
        return out

    @app.get("/api/encounters", response_model=Page, tags=["worklist"])
    async def listing(who: User,
                      status: Annotated[Literal[STATUSES] | None, Query()] = None,  # type: ignore[valid-type]
                      payer: Annotated[str | None, Query(max_length=128)] = None,
                      edit: Annotated[str | None, Query(max_length=64)] = None,
                      date_from: date | None = None, date_to: date | None = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 50,
                      after: Annotated[str | None, Query(max_length=ID_LENGTH)] = None):
        """The worklist, filtered by status, payer (type or name), edit id and date of service; keyset pages."""
        def read(conn: Connection) -> str:
            rows = worklist.listing_rows(conn, status=status, payer=payer, edit=edit, date_from=date_from,
                                         date_to=date_to, limit=limit + 1, after=after)
            items = [_claim_out(r) for r in rows[:limit]]
            page = Page(items=items, next_after=items[-1].encounter_id if len(rows) > limit else None)
            return page.model_dump_json()  # validated once, not twice

        return Response(await reading(read), media_type="application/json")

    @app.get("/api/encounters/{encounter_id}", tags=["worklist"], response_model=dict[str, Any])
    async def detail(encounter_id: str, who: User) -> Response:
        """The worklist row, its current result and the history of its versions."""
        return Response(await reading(_detail, encounter_id), media_type="application/json")

    def _detail(conn: Connection, encounter_id: str) -> str:
        d = worklist.detail(conn, encounter_id)
        # The result and the encounter are stored as JSON text: sent as they are, not parsed and re-encoded.
        return (f'{{"claim":{_claim_out(d.claim).model_dump_json()},"result":{d.result or "null"},'
                f'"encounter":{d.body},"versions":{json.dumps(d.history)}}}')

    @app.post("/api/encounters/{encounter_id}/status", response_model=ClaimOut, tags=["worklist"])
    def set_status(encounter_id: str, body: StatusIn, who: User):
        """Mark fixed (scrubbed → ready), reopen, or record paid/denied after export."""
        with tx(write=True) as db:
            return _claim_out(worklist.move(db, encounter_id, body.status, who.user_id))

    @app.post("/api/export", tags=["worklist"])
    def export(who: User, response: Response, kind: Literal["837P", "837I"] = "837P",
               payer: Annotated[str | None, Query(max_length=128)] = None,
               limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
               charges: Annotated[str | None, Query(max_length=16, description="'sample' for the bundled "
                                                    "synthetic chargemaster; by default the team's charge master "
                                                    "(PUT /api/chargemaster), else IGCLAIM_CHARGEMASTER")] = None,
               receiver_id: Annotated[str | None, Query(min_length=2, max_length=15, description=(
                   "a clearinghouse's interchange id (ISA08): the ready claims of every payer go to it in one "
                   "interchange; without it an export carries one payer's claims"))] = None,
               receiver_name: Annotated[str | None, Query(min_length=1, max_length=60, description=(
                   "the clearinghouse's name (loop 1000B); by default the first claim's payer name"))] = None,
               production: Annotated[bool, Query(description=(
                   "ISA15 P (production data) instead of T (test), as the CLI's --production"))] = False,
               ) -> dict[str, Any]:
        """The ready claims of one form as one 837 interchange; they become exported and use up their
        authorizations. An interchange goes to one receiver: without `receiver_id` the claims of one payer (the
        first exported claim's, in worklist order), and the other payers' ready claims stay ready and are listed.
        Claims missing what the 837 needs stay ready and are listed with their problems. The interchange is stored
        in the same transaction (`export_id`; GET /api/exports/{export_id} gives it again)."""
        from igclaim.outputs import x12

        response.headers.update(NO_STORE)
        if charges not in (None, "sample"):
            raise worklist.WorklistError(422, ["charges: 'sample' (synthetic charges) or nothing (the team's charge "
                                               "master, PUT /api/chargemaster; else IGCLAIM_CHARGEMASTER)"])
        env = x12.Envelope(receiver_id=receiver_id, receiver_name=receiver_name, usage="P" if production else "T")
        if (bad := x12.options_problem(env)) is not None:
            raise worklist.WorklistError(422, [f"{bad.path.removeprefix('--').replace('-', '_')}: {bad.message}"])
        settings = {"837P": ("office", "home"), "837I": ("hospital_outpatient",)}[kind]
        with tx(write=True) as db:
            cm = _charges_for_export(db, charges)
            # Locked (PostgreSQL): a second export at once skips these and cannot send them again.
            rows = worklist.listing(db, status="ready", payer=payer, limit=limit, settings=settings, lock=True)
            ready, skipped = [], []
            receiver: tuple[str, str] | None = None  # (id, payer name) of the interchange, once a claim is in it
            for r in rows:
                _, ver = worklist.current(db, r.encounter_id)
                enc, result = worklist.stored(ver)
                c = x12.ClaimInput(enc, result, f"{r.encounter_id}: ")
                try:
                    x12.require_parties(c, kind)
                    x12.line_charges(c, cm)
                    if (problem := x12.envelope_problem(c, env)) is not None:
                        raise problem
                except InputError as exc:
                    skipped.append({"encounter_id": r.encounter_id, "problems": problem_lines(exc)})
                    continue
                goes_to = x12.receiver_of(enc, env)
                if receiver is not None and goes_to != receiver[0]:
                    name = enc.payer.name or goes_to
                    skipped.append({"encounter_id": r.encounter_id, "problems": [
                        f"{r.encounter_id}: another payer ({name}, payer id {goes_to}): one interchange goes to one "
                        f"receiver, this one to {receiver[1]} ({receiver[0]}); it stays ready: export again, or "
                        f"with payer={name}"]})
                    continue
                # The ledger as it is now, not as it was when the claim was coded: claims exported since (earlier
                # ones in this export included) may have spent what it needs. Such a claim stays ready.
                if over := ledger.overdrawn(db, enc, result):
                    skipped.append({"encounter_id": r.encounter_id, "problems": [
                        f"{r.encounter_id}: AUTH-EXHAUSTED: {o}; it stays ready" for o in over]})
                    continue
                ledger.consume(db, enc, result, r.version, who.user_id)  # seen by the next claim's check
                receiver = receiver or (goes_to, enc.payer.name or goes_to)
                ready.append((r, c))
            if not ready or receiver is None:
                return {"interchange": None, "exported": [], "skipped": skipped, "charges": cm.source,
                        "receiver_id": None, "export_id": None}
            # Kept with the claims it marks exported, in this transaction: they can never be exported again, so
            # the file must outlive an answer lost on the way. Its id is the interchange's control number (ISA13,
            # GS06, ST02): a receiver refuses an interchange whose control number it has had from this sender.
            stored = Export(kind=kind, created_by=who.user_id, receiver_id=receiver[0], claims=len(ready),
                            interchange="")
            db.add(stored)
            db.flush()
            control = (stored.id - 1) % x12.MAX_CONTROL_NUMBER + 1
            text = x12.render([c for _, c in ready], kind, cm, dataclasses.replace(env, control_number=control))
            stored.interchange = text
            for r, _ in ready:
                r.status = "exported"
                worklist.audit(db, who.user_id, "claim.exported", "encounter", r.encounter_id)
            db.execute(insert(ExportClaim), [{"export_id": stored.id, "encounter_id": r.encounter_id,
                                              "version": r.version} for r, _ in ready])
            worklist.audit(db, who.user_id, "export.create", "export", str(stored.id))
        return {"interchange": text, "exported": [r.encounter_id for r, _ in ready], "skipped": skipped,
                "charges": cm.source, "receiver_id": receiver[0], "export_id": stored.id}

    @app.get("/api/exports", tags=["worklist"])
    def exports(who: User, response: Response, limit: Annotated[int, Query(ge=1, le=100)] = 20,
                before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
                encounter_id: Annotated[str | None, Query(min_length=1, max_length=ID_LENGTH, description=(
                    "only the exports that sent this encounter"))] = None) -> list[dict[str, Any]]:
        """Stored exports, newest first (ids, counts and who; the interchange itself at /api/exports/{id}); pass
        the last id as `before` for the next page."""
        response.headers.update(NO_STORE)
        with tx() as db:
            q = (select(Export.id, Export.kind, Export.created_at, Export.created_by, UserRow.name,
                        Export.receiver_id, Export.claims)
                 .join(UserRow, UserRow.id == Export.created_by).order_by(Export.id.desc()).limit(limit))
            if before:
                q = q.where(Export.id < before)
            if encounter_id is not None:
                q = q.where(Export.id.in_(select(ExportClaim.export_id)
                                          .where(ExportClaim.encounter_id == encounter_id)))
            return [{"id": e.id, "kind": e.kind, "created_at": e.created_at.isoformat(), "created_by": e.created_by,
                     "by_name": e.name, "receiver_id": e.receiver_id, "claims": e.claims} for e in db.execute(q)]

    @app.get("/api/exports/{export_id}", tags=["worklist"], response_class=PlainTextResponse,
             responses={200: {"description": "the interchange, as the export wrote it",
                              "content": {"text/plain": {}}},
                        404: {"description": "no such export"}})
    def export_again(export_id: Annotated[int, FPath(ge=1, le=2**31 - 1)], who: User) -> Response:
        """The interchange of an export again, byte for byte (a read of PHI: audit-logged as export.read)."""
        with tx(write=True) as db:
            row = db.get(Export, export_id)
            if row is None:
                raise worklist.WorklistError(404, [f"export: no export #{export_id}"])
            worklist.audit(db, who.user_id, "export.read", "export", str(export_id))
            return PlainTextResponse(row.interchange, headers={
                **NO_STORE, "Content-Disposition": f'attachment; filename="{export_filename(row.kind)}"'})

    @app.put("/api/chargemaster", tags=["worklist"])
    def set_chargemaster(body: ChargemasterIn, who: User) -> dict[str, Any]:
        """Replace the team's charge master (what the practice charges for one unit of each code): exports use it
        unless asked for the synthetic sample."""
        from igclaim.outputs import chargemaster

        try:
            cm, rows = chargemaster.read(body.csv, "csv")  # every row's problem (cents too: Numeric(12, 2))
        except InputError as exc:
            raise worklist.WorklistError(422, problem_lines(exc)) from None
        bad = [str(e) for e in rows]  # a code's shape too (model.HCPCS_CODE), as for `export --charges FILE`
        bad += [f"csv: unit_charge for {code} is above {MAX_UNIT_CHARGE}" for code, v in cm.charges.items()
                if v > MAX_UNIT_CHARGE]
        if len(cm.charges) > MAX_CHARGE_CODES:
            bad.append(f"csv: at most {MAX_CHARGE_CODES} codes")
        if bad:
            raise worklist.WorklistError(422, listed(bad))
        with tx(write=True) as db:
            db.execute(delete(Charge))
            if cm.charges:
                db.execute(insert(Charge), [{"code": code, "unit_charge": v.quantize(chargemaster.CENT),
                                             "updated_by": who.user_id} for code, v in cm.charges.items()])
            worklist.audit(db, who.user_id, "chargemaster.update", "chargemaster", f"{len(cm.charges)} codes")
            return _chargemaster_out(db)

    @app.get("/api/chargemaster", tags=["worklist"])
    def get_chargemaster(who: User) -> dict[str, Any]:
        """The team's charge master, code by code."""
        with tx() as db:
            return _chargemaster_out(db)

    # ----------------------------------------------------------------------------------------- authorizations

    @app.post("/api/authorizations", tags=["authorizations"], status_code=201)
    def add_authorization(body: AuthorizationIn, who: User) -> dict[str, Any]:
        with tx(write=True) as db:
            row = Authorization(**body.model_dump())
            db.add(row)
            db.flush()
            worklist.audit(db, who.user_id, "authorization.create", "authorization", str(row.id))
            return _auth_out(db, row)

    def _authorizations(member_id: str | None, limit: int) -> list[dict[str, Any]]:
        with tx() as db:
            q = select(Authorization).order_by(Authorization.id).limit(limit)
            if member_id:
                q = q.where(Authorization.member_id == member_id)
            return [_auth_out(db, a) for a in db.scalars(q)]

    @app.post("/api/authorizations/search", tags=["authorizations"])
    def search_authorizations(body: AuthorizationSearch, who: User) -> list[dict[str, Any]]:
        """Authorizations in id order, of one member if `member_id` is given: in the body, so that no member id
        is written in a URL (servers, proxies and the access log keep URLs)."""
        return _authorizations(body.member_id, body.limit)

    @app.get("/api/authorizations", tags=["authorizations"])
    def list_authorizations(who: User,
                            member_id: Annotated[str | None, Query(max_length=64, deprecated=True, description=(
                                "refused: a member id in a URL is kept in access logs; use POST "
                                "/api/authorizations/search"))] = None,
                            limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
        """Authorizations in id order. To find one member's, POST /api/authorizations/search."""
        if member_id is not None:  # refused, never ignored: an unfiltered answer would pass for the member's
            raise worklist.WorklistError(422, ["member_id: not taken in a URL (access logs keep URLs, and a member "
                                               "id is PHI): POST /api/authorizations/search with the member_id in "
                                               "the body"])
        return _authorizations(None, limit)

    @app.get("/api/authorizations/{auth_id}", tags=["authorizations"])
    def authorization(auth_id: Annotated[int, FPath(ge=1, le=2**31 - 1)], who: User) -> dict[str, Any]:
        """The authorization, what is left, and its history: every claim that used it."""
        with tx() as db:
            row = db.get(Authorization, auth_id)
            if row is None:
                raise worklist.WorklistError(404, [f"authorization: no authorization #{auth_id}"])
            uses = db.execute(select(AuthorizationUse, UserRow.name).join(UserRow, UserRow.id == AuthorizationUse.by)
                              .where(AuthorizationUse.authorization_id == auth_id)
                              .order_by(AuthorizationUse.id)).all()
            return {**_auth_out(db, row), "history": [
                {"encounter_id": u.encounter_id, "version": u.version, "units": u.units, "grams": float(u.grams),
                 "visits": u.visits, "at": u.at.isoformat(), "by": u.by, "by_name": name} for u, name in uses]}

    # ------------------------------------------------------------------------------------------------- admin

    @app.post("/api/users", tags=["admin"], status_code=201)
    def add_user(body: UserIn, who: Admin) -> dict[str, Any]:
        with tx(write=True) as db:
            try:
                user = auth_mod.add_user(db, body.name, body.role)
            except ValueError as exc:
                raise worklist.WorklistError(409, [str(exc)]) from None
            worklist.audit(db, who.user_id, "user.create", "user", str(user.id))
            return {"id": user.id, "name": user.name, "role": user.role}

    @app.post("/api/users/{name}/tokens", tags=["admin"], status_code=201)
    def add_token(name: str, who: Admin) -> dict[str, Any]:
        """A new token for the user: shown once, stored only as a hash."""
        with tx(write=True) as db:
            try:
                user = auth_mod.user_named(db, name)
            except ValueError as exc:
                raise worklist.WorklistError(404, [str(exc)]) from None
            row, clear = auth_mod.create_token(db, user)
            worklist.audit(db, who.user_id, "token.create", "token", row.id)
            return {"id": row.id, "user": user.name, "token": clear}

    @app.delete("/api/tokens/{token_id}", tags=["admin"])
    def revoke(token_id: str, who: Admin) -> dict[str, Any]:
        with tx(write=True) as db:
            try:
                row = auth_mod.revoke_token(db, token_id)
            except ValueError as exc:
                raise worklist.WorklistError(404, [str(exc)]) from None
            worklist.audit(db, who.user_id, "token.revoke", "token", row.id)
            out = {"id": row.id, "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None}
        verifier.forget(row.id)  # this process at once; the others when the NOTIFY reaches them
        return out

    @app.get("/api/audit", tags=["admin"])
    def audit_log(who: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                  before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None) -> list[dict[str, Any]]:
        """Who did what and when, newest first (ids only)."""
        with tx() as db:
            q = select(Audit).order_by(Audit.id.desc()).limit(limit)
            if before:
                q = q.where(Audit.id < before)
            return [{"id": a.id, "at": a.at.isoformat(), "user_id": a.user_id, "action": a.action,
                     "object_type": a.object_type, "object_id": a.object_id} for a in db.scalars(q)]

    @app.post("/api/data/import/{kind}", tags=["admin"])
    async def data_import(kind: Literal[KINDS],  # type: ignore[valid-type]
                          request: Request, who: Admin,
                          filename: Annotated[str, Query(min_length=1, max_length=ID_LENGTH,
                                                         pattern=r"^[A-Za-z0-9._ ()-]+$")] = "upload.csv",
                          effective: Annotated[ChartDate | None, Query(
                              description="first date the file is in force (YYYY-MM-DD)")] = None,
                          ends: Annotated[ImportEnds | None, Query(
                              description="last date the file is in force (YYYY-MM-DD; 9999-12-31: open-ended)")]
                          = None,
                          setting: Annotated[Setting | None, Query(
                              description="MUE/PTP table when the file does not say")] = None,
                          schedule: Annotated[str | None, Query(
                              max_length=SCHEDULE_LENGTH, pattern=SCHEDULE_NAME,
                              description="fee schedule name (locality or contract)")] = None,
                          force: Annotated[bool, Query(
                              description="replace an earlier import of the same period even when this file has "
                              "far fewer rows")] = False):
        """Import one CMS file (the request body, as downloaded) into the server's reference store: every kind and
        option of `igclaim data import`, so a kind that needs an option (a coverage list's `effective`, a
        `code,amount` fee schedule's `schedule`) gets the importer's own 422 without it. The file name is the
        audit entry's object id: at most as long as the log keeps whole (ID_LENGTH)."""
        from igclaim.refdata import importers, store

        if Path(filename).name in ("", ".", ".."):  # the pattern takes dots: "." or ".." names a directory
            return problems(422, [f"filename: {filename[:40]!r} is not a file name"])
        # The body goes to a file as it arrives (the guard streams this path, within MAX_IMPORT_BODY and its time):
        # never whole in memory, so the importer's own reading of the file is the only copy while it parses.
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / Path(filename).name
                try:
                    with path.open("wb") as f:
                        async for chunk in request.stream():
                            await run_in_threadpool(f.write, chunk)  # the disk's time off the event loop
                except ClientDisconnect:
                    return problems(400, ["body: the client went away before the file was sent"])
                try:  # parsing a CMS file takes seconds: off the event loop, so reads go on
                    reports = await run_in_threadpool(store.import_file, kind, path, Options(
                        effective, ends, setting.value if setting else None, schedule, force))
                except importers.ImportFailure as exc:  # an option asked for as this route names it
                    return problems(422, [exc.named(lambda option: f"query.{option}")])
                except store.ImportBusy:  # the CLI's line, without the server's path
                    return problems(409, ["store: another import is still writing the reference store; nothing "
                                          "was imported: try again when it has finished"])
        except OSError as exc:  # a full disk, an unreadable store: the CLI's "cannot read or store", and the
            # system's reason but not its text (which holds the server's path)
            return problems(503, [f"{filename}: the server cannot read or store this file "
                                  f"({exc.strerror or type(exc).__name__}): try again later, or ask the server's "
                                  "administrator"])
        with tx(write=True) as db:
            worklist.audit(db, who.user_id, f"data.import.{kind}", "import", filename)
        return {"imported": [{"kind": r.kind, "file": r.file, "rows": r.rows, "changed": r.changed,
                              "effective": r.effective.isoformat(), "ends": r.ends.isoformat(),
                              "skipped": list(r.skipped), "scope": r.scope, "replaced": r.replaced}
                             for r in reports]}

    @app.get("/team", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return team_page

    # As in `igclaim serve`: the Host allow-list and security headers come first; then the token (TokenGate, before
    # any of the body is read: a client without a token makes the server hold nothing); then the body, within its
    # route's limit: one encounter's JSON (MAX_INPUT_BYTES) but on the worklist's POST (JSON Lines, MAX_BODY) and the
    # admins' imports (CMS files, MAX_IMPORT_BODY). JSON Lines and CMS files are not one JSON document, so their own
    # routes check them: "/api/encounters" is that path only (its status moves are JSON the guard checks). An
    # import's body is streamed to its route as it arrives (stream_paths), never held whole.
    app.add_middleware(Guard, page_csp=page_csp(stateless._page()), pages={"/team": page_csp(team_page)},
                       raw_paths=("/api/encounters", IMPORT_PATH),
                       body_limits={"/api/encounters": MAX_BODY, IMPORT_PATH: MAX_IMPORT_BODY},
                       gate=TokenGate(acheck, limiter, admin_paths=(IMPORT_PATH,),
                                      failures=auth_mod.FailedAuthLimiter(auth_mod.FailureLimits.from_env()),
                                      proven=verifier.proven),
                       stream_paths=(IMPORT_PATH,))
    app.state.coders = coding
    return app


class TokenGate:
    """Every /api route but /api/health needs a valid bearer token (401), within its rate (429); `admin_paths` need
    an admin's (403); the principal goes to the routes in request.state. The guard's gate: it answers from the
    request's head, before any of the body is read (as middleware inside the guard it came after the guard had read
    up to 200 MB of a client that had no token). `failures`: a client address past its failed checks is refused
    (429) before its token is looked at, unless `proven` knows the token (proven here before: not a guess), so
    someone signed in behind the same address keeps working."""

    def __init__(self, check: Callable[[str | None], Awaitable[auth_mod.Principal]],
                 limiter: auth_mod.RateLimiter, admin_paths: tuple[str, ...] = (),
                 failures: auth_mod.FailedAuthLimiter | None = None,
                 proven: Callable[[str | None], bool] = lambda _token: False) -> None:
        self.check, self.limiter, self.admin_paths = check, limiter, admin_paths
        self.failures = failures or auth_mod.FailedAuthLimiter(auth_mod.FailureLimits())
        self.proven = proven

    async def __call__(self, scope: dict[str, Any], send: Any) -> bool:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/") or path == "/api/health":
            return True
        # A refusal leaves the body unread: closing the connection stops the client sending it.
        close = {"Connection": "close"} if scope.get("method") in ("POST", "PUT", "PATCH") else {}
        header = next((v for k, v in scope.get("headers", []) if k.lower() == b"authorization"), b"")
        text = header.decode("latin-1")
        token = text[7:].strip() if text.lower().startswith("bearer ") else None
        client = str((scope.get("client") or ("",))[0])
        if (wait := self.failures.wait(client)) > 0 and not self.proven(token):
            response = problems(429, ["authorization: too many failed token checks from this address; retry in "
                                      f"{wait:.0f} s"], {"Retry-After": str(max(1, round(wait))), **close})
            await response(scope, _no_body, send)
            return False
        try:
            who = await self.check(token)
        except auth_mod.AuthError:
            if token:  # a guess; a request without a token (a page before its sign-in) guesses nothing
                self.failures.failed(client)
            response = problems(401, ["authorization: a valid bearer token is required (igclaim tokens create)"],
                                {"WWW-Authenticate": "Bearer", **close})
            await response(scope, _no_body, send)
            return False
        ok, wait = self.limiter.allow(who.token_id)
        if not ok:
            response = problems(429, [f"rate limit: too many requests for this token; retry in {wait:.1f} s"],
                                {"Retry-After": str(max(1, round(wait))), **close})
            await response(scope, _no_body, send)
            return False
        if who.role != "admin" and path.startswith(self.admin_paths):
            await problems(403, ["role: this needs an admin token"], close)(scope, _no_body, send)
            return False
        scope.setdefault("state", {})["principal"] = who
        return True


async def _no_body() -> dict[str, Any]:
    """A refusal's response never reads the request body."""
    raise RuntimeError("a refused request's body is not read")


@contextmanager
def share_rate_limits(workers: int) -> Iterator[None]:
    """Around `serve --team --workers N`: one rate-limit file for all its workers (they inherit the environment),
    unless IGCLAIM_RATE_STORE names one already; the folder is removed when the server stops."""
    if workers <= 1 or os.environ.get(RATE_STORE):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="igclaim-rates-") as folder:
        os.environ[RATE_STORE] = str(Path(folder) / "rates.sqlite")
        try:
            yield
        finally:
            os.environ.pop(RATE_STORE, None)


def _warm_up() -> None:
    """Code one visit before serving, so what coding loads on first use (the ICD-10-CM releases, the dated
    snapshots) is read now and not while the first requests wait behind it for the GIL. Then freeze what is loaded
    (gc.freeze): those long-lived tables are never garbage, and a full collection walking them stopped every request
    of the process for about 70 ms (the reads' p99 under load was that pause)."""
    from igclaim import engine
    from igclaim.inputs import parse_encounter
    from igclaim.refdata import icd10

    icd10.releases()
    enc = parse_encounter({
        "encounter_id": "warm-up", "date_of_service": date.today().isoformat(), "setting": "office",
        "payer": {"type": "medicare"}, "diagnoses": ["D80.1"],
        "drugs": [{"id": "ig", "product": "Gamunex-C", "route": "IV", "dose": {"grams": 10},
                   "containers": [{"grams": 10, "count": 1}]}],
        "administrations": [{"drug_id": "ig", "start": f"{date.today()}T09:00", "stop": f"{date.today()}T11:00"}]})
    engine.build(enc)
    gc.collect()
    gc.freeze()


def code_bodies(make_session: Callable[[], Session], lock: AbstractContextManager | None,
                bodies: list[tuple[int | None, Any]], user_id: int) -> list[Submission]:
    """Posted bodies coded and stored, each in its own transaction (under `lock`, SQLite's one writer at a time);
    each answers with its status or its problems. Run by a writer thread or a coding process (coders.py)."""
    out: list[Submission] = []
    for line, body in bodies:
        if isinstance(body, _Unreadable):
            out.append(Submission(line=line, problems=[f"line {line}: not JSON ({body.reason})"]))
            continue
        try:
            with lock or nullcontext(), make_session() as db, db.begin():
                s = worklist.submit(db, body, user_id)
            out.append(Submission(line=line, **s.__dict__))
        except worklist.WorklistError as exc:
            refused = Submission(line=line, encounter_id=_id_of(body), problems=exc.problems)
            refused._status = exc.status
            out.append(refused)
    return out


class _Unreadable:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _json_reason(exc: ValueError | RecursionError) -> str:
    """Why a document is not JSON, in a line: where the parser stopped, or our own reason (NaN, a key twice)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg}, line {exc.lineno} column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(":")[0]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _id_of(body: Any) -> str | None:
    value = body.get("encounter_id") if isinstance(body, dict) else None
    return value[:ID_LENGTH] if isinstance(value, str) else None


def _claim_out(r: ClaimRow | Row) -> ClaimOut:
    return ClaimOut(encounter_id=r.encounter_id, version=r.version, status=r.status, payer_type=r.payer_type,
                    payer_name=r.payer_name, date_of_service=r.date_of_service, setting=r.setting, errors=r.errors,
                    warnings=r.warnings, edits=list(r.edits or []))


def _charges_for_export(db: Session, asked: str | None) -> Any:
    """The charges an export uses: the synthetic sample only when asked; else the team's charge master (stored by
    PUT /api/chargemaster); else the server's IGCLAIM_CHARGEMASTER file; else none (a 422 saying so)."""
    from igclaim.outputs import chargemaster

    if asked == "sample":
        return chargemaster.load("sample")
    rows = db.execute(select(Charge.code, Charge.unit_charge)).all()
    if rows:
        return chargemaster.Chargemaster({code: Decimal(v) for code, v in rows}, "the team's charge master")
    path = os.environ.get("IGCLAIM_CHARGEMASTER")
    if path:
        try:
            return chargemaster.load(path)
        except InputError as exc:
            raise worklist.WorklistError(422, problem_lines(exc)) from None
    raise worklist.WorklistError(422, ["charges: the team has no charge master yet: PUT /api/chargemaster (on the "
                                       "page: Charge master), or pass charges=sample for synthetic charges"])


def export_filename(kind: str) -> str:
    """The name an export's interchange is downloaded as (the team page names a fresh export's the same)."""
    return f"claims-{kind}.x12"


def _chargemaster_out(db: Session) -> dict[str, Any]:
    rows = db.execute(select(Charge.code, Charge.unit_charge, Charge.updated_at).order_by(Charge.code)).all()
    return {"codes": len(rows), "updated_at": max((r[2] for r in rows), default=None),
            "charges": [{"code": c, "unit_charge": str(Decimal(v).quantize(Decimal("0.01")))} for c, v, _ in rows]}


def _auth_out(db: Session, a: Authorization) -> dict[str, Any]:
    left = ledger.remaining(a, ledger.used(db, a.id))
    return {"id": a.id, "number": a.number, "payer": a.payer, "member_id": a.member_id, "hcpcs": a.hcpcs,
            "product": a.product, "units": a.units, "grams": float(a.grams) if a.grams is not None else None,
            "visits": a.visits, "start": a.start.isoformat(), "end": a.end.isoformat(),
            "remaining": {k: (float(v) if isinstance(v, Decimal) else v) for k, v in left.items()}}


__all__ = ["create_app", "ROLES"]
