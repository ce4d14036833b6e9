"""Posted encounters coded and stored in processes of their own (the team service over PostgreSQL).

Coding a post is CPU work under Python's GIL: done by a thread of the server process, it makes every read of that
process wait for the GIL in turn. Done by a coding process, the reads of the server keep their GIL and the
operating system's scheduler decides who runs. Two processes by default (`IGCLAIM_CODERS`): a post also waits on
the database, and one process codes one post at a time. `IGCLAIM_CODER_NICE` (0-19, default 0) lowers their CPU
priority so that reads go first on a busy machine; posts then wait longer, and on a machine saturated by other work
they can wait past a client's timeout, hence 0 by default.

Each coding process opens its own connections to the database and writes a post in one transaction, exactly as a
server thread would (worklist.submit): idempotency, versions, the ledger's checks and the audit entry are the same
code. SQLite keeps its writer thread (one writer at a time, in the server's own process).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

CODERS = "IGCLAIM_CODERS"  # coding processes per server process (PostgreSQL); 0: writer threads in the server
CODER_NICE = "IGCLAIM_CODER_NICE"  # how much lower the coding processes' CPU priority is (0-19)
DEFAULT_CODERS = 2
DEFAULT_NICE = 0

_sessions: Any = None


def coders_wanted(sqlite: bool) -> int:
    if sqlite:
        return 0
    try:
        return max(0, min(16, int(os.environ.get(CODERS, DEFAULT_CODERS))))
    except ValueError:
        return DEFAULT_CODERS


def _niceness() -> int:
    try:
        return max(0, min(19, int(os.environ.get(CODER_NICE, DEFAULT_NICE))))
    except ValueError:
        return DEFAULT_NICE


def _start(url: str, niceness: int) -> None:
    """Pool initializer: the server handles signals; the rules and releases load now, not on the first post."""
    global _sessions
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent()
    if niceness:
        with contextlib.suppress(OSError):  # not allowed here: run at the server's priority
            os.nice(niceness)
    from igclaim import engine
    from igclaim.service.app import _warm_up
    from igclaim.service.db import sessions

    engine._load_edit_families()
    _warm_up()
    _sessions = sessions(url)


def _end_with_parent() -> None:
    """A coding process ends when the server process that started it is gone, even killed (no orphan left coding)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="igclaim-coder-parent", daemon=True).start()


def _ready() -> int:
    return os.getpid()


def code_in_process(bodies: list[tuple[int | None, Any]], user_id: int) -> list[Any]:
    """Run in a coding process: each body coded and stored in its own transaction (app.code_bodies)."""
    from igclaim.service.app import code_bodies

    return code_bodies(_sessions, None, bodies, user_id)


class Coders:
    """A pool of coding processes, started on first use (or by `warm`) and started again if one dies."""

    def __init__(self, url: str, processes: int) -> None:
        self.url, self.processes = url, processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn: a fresh interpreter, never a fork of a server holding threads and open connections
                self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start, initargs=(self.url, _niceness()))
            return self._pool

    def warm(self) -> list[Future]:
        """Start every coding process now (each loads the rules), so the first posts do not wait for it."""
        pool = self._get()
        return [pool.submit(_ready) for _ in range(self.processes)]

    async def code(self, bodies: list[tuple[int | None, Any]], user_id: int) -> list[Any]:
        """The bodies coded and stored by a coding process. If one died (killed, out of memory), the pool is
        started again and the bodies sent once more: a post is idempotent (the same body is not a new version)."""
        for attempt in range(2):
            pool = self._get()
            try:
                return await asyncio.wrap_future(pool.submit(code_in_process, bodies, user_id))
            except BrokenProcessPool:
                with self._lock:
                    if self._pool is pool:
                        self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def pids(self) -> list[int]:
        pool = self._pool
        return sorted(pool._processes or {}) if pool is not None else []

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
