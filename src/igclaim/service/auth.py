"""Users, API tokens, per-token rate limits and a limit on failed token checks per client address.

A token reads `igc_<id>_<secret>`: the id finds the row, the secret is checked against its scrypt hash (stdlib
`hashlib.scrypt`, salted per token; no extra dependency). Only the hash is stored, so a copy of the database
reveals no token. A verified token is remembered in memory by the SHA-256 of the whole token, so a busy client
does not pay scrypt on every request; revocation is read from the row on every request and takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
import weakref
from collections import OrderedDict, deque
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.orm import Session

from igclaim.service.db import ROLES, Token, User, now

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
PREFIX = "igc_"
CHANNEL = "igclaim_auth"  # PostgreSQL NOTIFY channel: the payload is a revoked token's id
CACHE_SECONDS = 5.0  # how long a checked token is trusted without a lookup while revocations are being listened to


class AuthError(Exception):
    """401: no token, an unknown one, or a revoked one (one message for all, so ids can't be probed)."""


@dataclass(frozen=True)
class Principal:
    user_id: int
    name: str
    role: str
    token_id: str


def _hash(secret: str, salt: str) -> str:
    return hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), **_SCRYPT).hex()


def add_user(db: Session, name: str, role: str) -> User:
    if role not in ROLES:
        raise ValueError(f"role: use one of {', '.join(ROLES)}, not {role!r}")
    # ASCII: str.isalnum() takes "а" (Cyrillic), so "аdmin" would read as "admin" in the audit trail
    if not name or len(name) > 64 or not name.isascii() or not name.replace("-", "").replace("_", "").replace(
            ".", "").isalnum():
        raise ValueError("name: 1 to 64 ASCII letters, digits, '-', '_' or '.'")
    if db.scalar(select(User).where(User.name == name)):
        raise ValueError(f"name: a user {name!r} exists already")
    user = User(name=name, role=role)
    db.add(user)
    db.flush()
    return user


def set_disabled(db: Session, name: str, disabled: bool) -> User:
    """Disable a user (every token of theirs is refused from the next request, whichever process serves it) or
    enable them again. Their tokens, claims and audit entries stay: nothing is deleted."""
    user = user_named(db, name)
    if disabled and user.disabled_at is None:
        user.disabled_at = now()
        if db.get_bind().dialect.name == "postgresql":  # an empty payload: every server forgets every cached token
            db.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
    elif not disabled:
        user.disabled_at = None
    return user


def user_named(db: Session, name: str) -> User:
    user = db.scalar(select(User).where(User.name == name))
    if user is None:
        raise ValueError(f"user: no user named {name!r}")
    return user


def create_token(db: Session, user: User) -> tuple[Token, str]:
    """A new token for the user; the clear text is returned once and never stored."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    row = Token(id=token_id, user_id=user.id, salt=salt, hash=_hash(secret, salt))
    db.add(row)
    db.flush()
    return row, f"{PREFIX}{token_id}_{secret}"


def revoke_token(db: Session, token_id: str) -> Token:
    row = db.get(Token, token_id)
    if row is None:
        raise ValueError(f"token: no token with id {token_id!r}")
    if row.revoked_at is None:
        row.revoked_at = now()
    if db.get_bind().dialect.name == "postgresql":  # delivered at commit to every server's RevocationListener
        db.execute(text("SELECT pg_notify(:channel, :token_id)"), {"channel": CHANNEL, "token_id": row.id})
    return row


_LOOKUP = (select(Token.salt, Token.hash, Token.revoked_at, User.id, User.name, User.role, User.disabled_at)
           .join(User, User.id == Token.user_id).where(Token.id == bindparam("token_id")))


class Verifier:
    """Checks bearer tokens against the database, remembering the ones already proven (by digest, in memory).

    Every request still reads its token's row (one primary-key lookup joined to its user), so a revocation or a
    disabled user takes effect on the next request, whichever process or command wrote it; only the scrypt
    (tens of milliseconds of CPU) is skipped for a token already proven.
    """

    def __init__(self) -> None:
        self._proven: dict[str, str] = {}  # token id -> sha256 of the full token
        self._proving: dict[str, threading.Lock] = {}  # token id -> held while its secret is checked
        self._lock = threading.Lock()
        # Checked tokens trusted for CACHE_SECONDS, only while `listening` (a RevocationListener hears every
        # revocation); `_generation` grows with each one, so a check that began before it is not remembered after.
        self._cache: dict[str, tuple[float, str, Principal]] = {}
        self._generation = 0
        self.listening = False

    def generation(self) -> int:
        return self._generation

    def cached(self, token: str | None) -> Principal | None:
        """The principal of a token checked less than CACHE_SECONDS ago, while revocations are listened to."""
        if not self.listening or not token or len(token) > 200:
            return None
        token_id = token[len(PREFIX):].partition("_")[0]
        with self._lock:
            hit = self._cache.get(token_id)
        if hit is None or time.monotonic() - hit[0] > CACHE_SECONDS:
            return None
        return hit[2] if hmac.compare_digest(hit[1], hashlib.sha256(token.encode()).hexdigest()) else None

    def remember(self, token: str, who: Principal, generation: int) -> None:
        """Keep a principal just checked, unless a revocation was heard since its check began."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            if self.listening and generation == self._generation:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[who.token_id] = (time.monotonic(), digest, who)

    def forget(self, token_id: str | None = None) -> None:
        """A revocation: this token (or every token, None) is looked up again on its next request."""
        with self._lock:
            self._generation += 1
            if token_id is None:
                self._cache.clear()
            else:
                self._cache.pop(token_id, None)

    def proven(self, token: str | None) -> bool:
        """Whether this exact token was proven before here (its check is then one lookup, no scrypt)."""
        if not token or not token.startswith(PREFIX) or len(token) > 200:
            return False
        token_id = token[len(PREFIX):].partition("_")[0]
        with self._lock:
            known = self._proven.get(token_id)
        return known is not None and hmac.compare_digest(known, hashlib.sha256(token.encode()).hexdigest())

    def check(self, db: Session | Connection, token: str | None) -> Principal:
        if not token or not token.startswith(PREFIX) or len(token) > 200:
            raise AuthError
        token_id, _, secret = token[len(PREFIX):].partition("_")
        row = db.execute(_LOOKUP, {"token_id": token_id}).first() if token_id and secret else None
        if row is None:
            raise AuthError
        salt, hashed, revoked_at, user_id, name, role, disabled_at = row
        if revoked_at is not None or disabled_at is not None:
            raise AuthError
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            known = self._proven.get(token_id)
            proving = self._proving.setdefault(token_id, threading.Lock())
        if known is None or not hmac.compare_digest(known, digest):
            with proving:  # one scrypt per token at a time: a burst on a new token waits for the first proof
                with self._lock:
                    known = self._proven.get(token_id)
                if known is None or not hmac.compare_digest(known, digest):
                    if not hmac.compare_digest(_hash(secret, salt), hashed):
                        raise AuthError
                    with self._lock:
                        self._proven[token_id] = digest
        return Principal(user_id, name, role, token_id)


def _take(tokens: float, last: float, t: float, rate: float, burst: int) -> tuple[bool, float, float]:
    """One request against a token bucket: (allowed, tokens left, seconds until one would be)."""
    tokens = min(float(burst), tokens + max(0.0, t - last) * rate)
    if tokens >= 1:
        return True, tokens - 1, 0.0
    return False, tokens, (1 - tokens) / rate


@dataclass(frozen=True)
class FailureLimits:
    """How many failed token checks one client address may make (`failures` in any `window` seconds) before its
    requests are refused 429 until the oldest of them is that old; `clients` addresses are remembered at most (the
    one that failed least recently is forgotten first), so the memory is bounded whatever the traffic."""

    failures: int = 10
    window: float = 60.0
    clients: int = 10_000

    @classmethod
    def from_env(cls) -> FailureLimits:
        """IGCLAIM_AUTH_FAILURES and IGCLAIM_AUTH_FAILURE_WINDOW (seconds), else the defaults."""
        return cls(failures=max(1, int(os.environ.get("IGCLAIM_AUTH_FAILURES", cls.failures))),
                   window=max(1.0, float(os.environ.get("IGCLAIM_AUTH_FAILURE_WINDOW", cls.window))))


class FailedAuthLimiter:
    """Failed token checks per client address, in this process's memory (a sliding window of at most `failures`
    times per address): guessing tokens, or making the server pay scrypt for wrong secrets, stops at that many a
    window. Only the address that failed waits; a token already proven here passes even from it (TokenGate)."""

    def __init__(self, limits: FailureLimits) -> None:
        self.limits = limits
        self._failed: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds until this address may try a token again (0: now)."""
        with self._lock:
            times = self._failed.get(client)
            if times is None or len(times) < self.limits.failures:
                return 0.0
            return max(0.0, times[0] + self.limits.window - time.monotonic())

    def failed(self, client: str) -> None:
        t = time.monotonic()
        with self._lock:
            times = self._failed.pop(client, None) or deque(maxlen=self.limits.failures)
            times.append(t)
            self._failed[client] = times  # the most recent last: the least recent is forgotten first
            while len(self._failed) > self.limits.clients:
                self._failed.popitem(last=False)


class RateLimiter:
    """A token bucket per API token: `rate` requests a second, bursts up to `burst`; in this process's memory."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> tuple[bool, float]:
        """Whether one more request is allowed now, and if not, the seconds until it would be."""
        t = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), t))
            ok, tokens, wait = _take(tokens, last, t, self.rate, self.burst)
            self._buckets[key] = (tokens, t)
        return ok, wait


class SharedRateLimiter(RateLimiter):
    """The same buckets in a SQLite file that every worker process of one server opens (IGCLAIM_RATE_STORE, set by
    `igclaim serve --team --workers N`), so a token's budget is the configured one whichever worker answers: one
    local write transaction per request, tens of microseconds. Servers on other hosts keep their own file."""

    def __init__(self, path: str, rate: float, burst: int) -> None:
        super().__init__(rate, burst)
        self.path = path
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")  # a bucket lost in a crash only refills it early
            conn.execute("CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL, "
                         "at REAL NOT NULL)")
            self._local.conn = conn
        return conn

    def allow(self, key: str) -> tuple[bool, float]:
        t = time.time()  # one clock for every process
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")  # read and write the bucket while no other worker can
        try:
            row = conn.execute("SELECT tokens, at FROM buckets WHERE key = ?", (key,)).fetchone()
            tokens, last = row if row else (float(self.burst), t)
            ok, tokens, wait = _take(tokens, last, t, self.rate, self.burst)
            conn.execute("INSERT INTO buckets (key, tokens, at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
                         "SET tokens = excluded.tokens, at = excluded.at", (key, tokens, t))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return ok, wait


class RevocationListener(threading.Thread):
    """Listens on PostgreSQL for revoked tokens (NOTIFY igclaim_auth, sent in the revoking transaction by any
    process: a server, `igclaim tokens revoke`) and forgets them in this process's Verifier. While it is not
    connected the Verifier trusts no cached token, so a lost connection costs lookups, never a late revocation."""

    def __init__(self, libpq_url: str, verifier: Verifier) -> None:
        super().__init__(name="igclaim-revocations", daemon=True)
        self.url = libpq_url
        self._verifier = weakref.ref(verifier)  # the thread ends (and closes its connection) with its app
        self.stopping = threading.Event()

    def _alive(self) -> Verifier | None:
        return None if self.stopping.is_set() else self._verifier()

    def run(self) -> None:
        import psycopg

        while (verifier := self._alive()) is not None:
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    verifier.forget()
                    verifier.listening = True
                    del verifier
                    while (verifier := self._alive()) is not None:
                        del verifier
                        for note in conn.notifies(timeout=1.0):
                            if (verifier := self._verifier()) is not None:
                                verifier.forget(note.payload or None)
            except Exception:  # noqa: BLE001 - any failure: stop trusting the cache, then reconnect
                pass
            finally:
                if (verifier := self._verifier()) is not None:
                    verifier.listening = False
                    verifier.forget()
                verifier = None
            self.stopping.wait(1.0)

    def stop(self) -> None:
        self.stopping.set()
