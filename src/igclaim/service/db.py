"""Tables of the team service (SQLAlchemy 2). Migrations in `migrations/` are the schema's source of truth for a
deployed database; `Base.metadata` mirrors them and a test keeps the two the same.

Only ids, codes, dates, amounts, the submitted encounter JSON and the interchanges exported are stored; the audit
log carries ids only.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from igclaim.refdata.store import home

STATUSES = ("draft", "scrubbed", "ready", "exported", "paid", "denied")
ROLES = ("biller", "admin")
# Characters of an encounter id column and of the audit log's object id (migration 0001): no id taken on input is
# longer (each route bounds its ids by it), so the log keeps every one whole.
ID_LENGTH = 128


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Token(Base):
    __tablename__ = "tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the public part of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    salt: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(128))  # scrypt of the secret part
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class EncounterVersion(Base):
    """Each submitted body of an encounter, as submitted; a changed body is a new version, the same body none."""

    __tablename__ = "encounter_versions"
    __table_args__ = (UniqueConstraint("encounter_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    encounter_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)  # the Result JSON, once coded
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class ClaimRow(Base):
    """One worklist row per encounter id: its current version and status, and what the worklist filters on."""

    __tablename__ = "claims"
    encounter_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    payer_type: Mapped[str] = mapped_column(String(32), index=True)
    payer_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    date_of_service: Mapped[date] = mapped_column(Date, index=True)
    setting: Mapped[str] = mapped_column(String(32))
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    edits: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)


class FindingRow(Base):
    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    encounter_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    version: Mapped[int] = mapped_column(Integer)
    edit: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(16))


class Authorization(Base):
    """A prior authorization: so many units or grams (and visits) of a code or product over a period."""

    __tablename__ = "authorizations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    payer: Mapped[str] = mapped_column(String(128))
    member_id: Mapped[str] = mapped_column(String(64), index=True)
    hcpcs: Mapped[str | None] = mapped_column(String(5), nullable=True)
    product: Mapped[str | None] = mapped_column(String(64), nullable=True)
    units: Mapped[int | None] = mapped_column(Integer, nullable=True)
    grams: Mapped[Decimal | None] = mapped_column(Numeric(12, 3), nullable=True)
    visits: Mapped[int | None] = mapped_column(Integer, nullable=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)


class AuthorizationUse(Base):
    """One entry of the ledger, per encounter and authorization: an exported claim consumes; its exported
    correction replaces the entry (a void with one of nothing: it gives back). A denial keeps it (ledger.py)."""

    __tablename__ = "authorization_uses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    authorization_id: Mapped[int] = mapped_column(ForeignKey("authorizations.id"), index=True)
    encounter_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    version: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer, default=0)
    grams: Mapped[Decimal] = mapped_column(Numeric(12, 3), default=Decimal(0))
    visits: Mapped[int] = mapped_column(Integer, default=1)
    at: Mapped[datetime] = mapped_column(DateTime, default=now)
    by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Charge(Base):
    """The team's charge master: the practice's charge for one billing unit of a code (a line is units × it)."""

    __tablename__ = "charges"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    unit_charge: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class Export(Base):
    """One export's interchange as it was written, stored in the transaction that marks its claims exported: an
    answer lost on the way (a dropped connection, a closed tab) loses no file, since those claims can never be
    exported again (GET /api/exports/{id} gives it back)."""

    __tablename__ = "exports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # 837P or 837I
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    receiver_id: Mapped[str] = mapped_column(String(15))  # ISA08: the payer, or the clearinghouse asked for
    claims: Mapped[int] = mapped_column(Integer)
    interchange: Mapped[str] = mapped_column(Text)


class ExportClaim(Base):
    """Which version of which encounter an export sent."""

    __tablename__ = "export_claims"
    export_id: Mapped[int] = mapped_column(ForeignKey("exports.id"), primary_key=True)
    encounter_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, index=True)
    version: Mapped[int] = mapped_column(Integer)


class Audit(Base):
    """Who did what and when: user id, action, object kind and id. Never a name, date of birth or diagnosis."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(ID_LENGTH))


def database_url() -> str:
    url = os.environ.get("IGCLAIM_DATABASE_URL")
    if url:
        return url
    path = home() / "team.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(eng, "connect")
        def _sqlite_pragmas(conn, _record):  # WAL: readers never wait on a writer; FKs on
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return eng
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


@lru_cache(maxsize=8)
def read_engine_for(url: str) -> Engine:
    """Worklist reads over the network (PostgreSQL): autocommit connections of their own (a read is one statement,
    no BEGIN/COMMIT), not pinged before each use. The ping is a round trip of its own, half of a read's round
    trips, and each round trip waits for the database process to be scheduled; a read that meets a connection
    the server dropped is run again once on a new one (app.reading), so the ping is not needed. At most 15 a
    process, beside engine_for's 30: two server processes and their coding processes stay under PostgreSQL's
    default 100 connections."""
    return create_engine(url, pool_size=5, max_overflow=10, isolation_level="AUTOCOMMIT")


def sessions(url: str | None = None) -> sessionmaker:
    return sessionmaker(engine_for(url or database_url()), expire_on_commit=False)
