"""The web service's guard (ASGI middleware around the FastAPI app): what every request passes before igclaim
reads it, and what every response carries.

- Host allow-list (DNS rebinding): only the loopback names by default; IGCLAIM_ALLOWED_HOSTS (comma-separated)
  or `igclaim serve --host NAME` adds names. Other hosts get 400.
- Request bodies: at most inputs.MAX_INPUT_BYTES (413, also when Content-Length says so up front), or what
  `body_limits` allows one route; a body that does not arrive within BODY_TIMEOUT seconds is dropped (408). A
  `gate` (the team service's token check) answers before any of the body is read. The body of a `stream_paths`
  route (a CMS file of up to 200 MB) is passed on as it arrives, counted against the same limit and time, never
  held here: its route writes it to disk. JSON bodies of /api/ are checked
  as the CLI checks files (UTF-8 with or without a BOM, nesting, huge numbers): 422 with {"problems": [...]}.
- Security headers on every response: Content-Security-Policy (frame-ancestors 'none'), X-Content-Type-Options,
  X-Frame-Options, Referrer-Policy; and on every /api/ response (results, worklists, authorizations, exported files,
  refusals: patients' data) Cache-Control: no-store, so no browser or proxy keeps a copy. The pages and their
  assets carry no data and stay cacheable.
- Request heads: a connection whose request line and headers are not complete within HEAD_TIMEOUT seconds is
  closed (HeadTimeoutH11Protocol, the `http` protocol of api.serve): a client that trickles its headers
  (slowloris) cannot hold a connection; uvicorn itself only times out idle keep-alive connections.
Header size and idle connections are bounded by uvicorn's options (api.serve).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from igclaim.inputs import MAX_INPUT_BYTES, InvalidInput, decode_input, load_json

BODY_TIMEOUT = 15.0  # the whole body, from the end of the head: a body trickled byte by byte is dropped too
HEAD_TIMEOUT = 10.0  # the request line and headers, from the first byte (or the connection) to the blank line
LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
# Looks at a request's head before its body is read: True lets it in; False means it has answered (401, 403, 429).
Gate = Callable[[Scope, Send], Awaitable[bool]]


def allowed_hosts(extra: Iterable[str] = ()) -> frozenset[str]:
    env = [h.strip().lower() for h in os.environ.get("IGCLAIM_ALLOWED_HOSTS", "").split(",") if h.strip()]
    return frozenset([*LOOPBACK, *env, *(h.lower() for h in extra)])


def inline_hashes(html: str, tag: str) -> list[str]:
    """CSP hashes of the page's inline <script>/<style> blocks, so nothing else inline can run."""
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks]


def page_csp(html: str) -> str:
    return ("default-src 'self'; script-src 'self' " + " ".join(inline_hashes(html, "script")) + "; style-src 'self' "
            + " ".join(inline_hashes(html, "style")) + "; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# The interactive docs bring their own scripts: keep framing and plugins off without breaking them.
DOCS_CSP = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    def __init__(self, app: Any, page_csp: str, hosts: frozenset[str] | None = None,
                 max_body: int = MAX_INPUT_BYTES, body_timeout: float = BODY_TIMEOUT,
                 pages: dict[str, str] | None = None, raw_paths: tuple[str, ...] = (),
                 body_limits: Mapping[str, int] | None = None, gate: Gate | None = None,
                 stream_paths: tuple[str, ...] = ()) -> None:
        """`pages`: other HTML pages and their CSP; `raw_paths`: /api/ paths whose bodies are not one JSON document
        (JSON Lines, CMS files) and are checked by their own route instead: a path, or a prefix ending in "/" (as a
        plain prefix "/api/encounters" let the JSON of /api/encounters/{id}/status past every check). `max_body` is
        every route's limit but those `body_limits` names (likewise a path, or a prefix ending in "/"): a large
        limit on one route (an admin's import) is not one on every route. `gate` runs before any of the body is
        read, so that a request it refuses (no valid token) never makes the server hold its body. `stream_paths`
        (raw paths too, likewise given): their bodies reach the route as they arrive, within the same limit and
        time (`_counted`), rather than read whole first: held whole here, then copied for the route, a large file
        was in memory twice before its route had read it."""
        self.app, self.page_csp = app, page_csp
        self.hosts = hosts
        self.max_body, self.body_timeout = max_body, body_timeout
        self.pages = {"/": page_csp, "": page_csp, **(pages or {})}
        self.raw_paths = raw_paths
        self.stream_paths = stream_paths
        self.body_limits = dict(body_limits or {})
        self.gate = gate

    def limit_for(self, path: str) -> int:
        """The most bytes of body this path takes."""
        if path in self.body_limits:
            return self.body_limits[path]
        return next((n for p, n in self.body_limits.items() if p.endswith("/") and path.startswith(p)),
                    self.max_body)

    def is_raw(self, path: str) -> bool:
        """Whether this path's body is its route's to check (one of `raw_paths`), not the guard's JSON checks."""
        return any(path == p or (p.endswith("/") and path.startswith(p)) for p in self.raw_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        send = self._secure(send, path)
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        host = _host_name(headers.get(b"host", b"").decode("latin-1"))
        hosts = self.hosts if self.hosts is not None else allowed_hosts()
        if host not in hosts:
            await _reply(send, 400, [f"Host: {host[:60]!r} is not served here (allowed: {', '.join(sorted(hosts))}; "
                                     "set IGCLAIM_ALLOWED_HOSTS to add a name)"])
            return
        if self.gate is not None and not await self.gate(scope, send):
            return
        limit = self.limit_for(path)
        length = headers.get(b"content-length")
        # 19 digits or more is past any body (and int() refuses past 4,300): too large, never an exception
        if length is not None and (not length.strip().isdigit() or len(length.strip()) > 18
                                   or int(length) > limit):
            await _reply(send, 413, [_too_large(limit)])
            return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        if any(path == p or (p.endswith("/") and path.startswith(p)) for p in self.stream_paths):
            await self._streamed(scope, receive, send, limit)
            return
        body = bytearray()
        deadline = asyncio.get_running_loop().time() + self.body_timeout
        while True:
            try:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(receive(), left)
            except TimeoutError:
                await _reply(send, 408, [f"(body): not received within {self.body_timeout:g} s"])
                return
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await _reply(send, 413, [_too_large(limit)])
                return
            if not message.get("more_body"):
                break
        # An empty body is left to the route (some POSTs take none; the others answer FastAPI's 422, reshaped).
        if body and path.startswith("/api/") and not self.is_raw(path):
            if len(body) > MAX_INPUT_BYTES:  # a server that takes larger raw bodies still takes one encounter's JSON
                await _reply(send, 413, [f"(body): larger than {MAX_INPUT_BYTES:,} bytes (the limit for one "
                                         "encounter)"])
                return
            try:
                obj = load_json(decode_input(bytes(body), "(body)"))
            except InvalidInput as exc:
                await _reply(send, 422, exc.problems)
                return
            # Passed on as plain JSON: a number too long for Python's own parser reaches the schema as a
            # non-finite number, which names its field, instead of failing the framework's parser.
            body = bytearray(json.dumps(obj, default=float).encode())
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """The route reads the body as it arrives; past `limit` bytes or `body_timeout` seconds its next read
        raises BodyRefused, answered here (413, 408) unless the route has begun its answer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        seen, done, started = 0, False, False

        async def counted() -> dict[str, Any]:
            nonlocal seen, done
            if done:  # the body is in: later reads wait for a disconnect, without the body's deadline
                return await receive()
            try:
                left = deadline - loop.time()
                if left <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(receive(), left)
            except TimeoutError:
                raise BodyRefused(408, [f"(body): not received within {self.body_timeout:g} s"]) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyRefused(413, [_too_large(limit)])
                done = not message.get("more_body")
            return message

        async def noted(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, noted)
        except BodyRefused as exc:
            if started:
                raise
            await _reply(send, exc.status, exc.problems)

    def _secure(self, send: Send, path: str) -> Send:
        csp = self.pages.get(path) or (DOCS_CSP if path.startswith(("/docs", "/redoc")) else API_CSP)
        extra = [(b"content-security-policy", csp.encode()), (b"x-content-type-options", b"nosniff"),
                 (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer")]
        phi = path.startswith("/api/")

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if phi:  # whatever a route said: an answer with patients' data is never stored
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                have = {k.lower() for k, _ in headers}
                message["headers"] = [*headers, *(h for h in extra if h[0] not in have)]
            await send(message)

        return wrapped


class BodyRefused(Exception):
    """A streamed body past its limit (413) or its time (408): raised to the route's read, answered by the guard."""

    def __init__(self, status: int, problems: list[str]) -> None:
        super().__init__(status, problems)
        self.status, self.problems = status, problems


def _too_large(limit: int) -> str:
    return f"(body): larger than {limit:,} bytes (" + (
        "the limit for one encounter)" if limit == MAX_INPUT_BYTES else "the limit of this route)")


async def _reply(send: Send, status: int, problems: list[str]) -> None:
    body = json.dumps({"problems": problems}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status in (408, 413):  # the body was not read: the connection ends with this answer
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def __getattr__(name: str) -> Any:
    """`HeadTimeoutH11Protocol`, built on first use (uvicorn is imported only by a server, which names the class
    by import path: igclaim.web.guard:HeadTimeoutH11Protocol)."""
    if name == "HeadTimeoutH11Protocol":
        cls = globals()[name] = head_timeout_protocol()
        return cls
    raise AttributeError(name)


def head_timeout_protocol(seconds: float = HEAD_TIMEOUT) -> type:
    """uvicorn's h11 protocol with a deadline on each request head: armed when the connection opens and when the
    first byte of a next request arrives, cancelled when the head is complete; at the deadline the connection is
    closed. (Any data resets uvicorn's own keep-alive timer, so without this a header line every few seconds keeps
    a connection forever.)"""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeadTimeoutH11Protocol(H11Protocol):
        head_timeout = seconds

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._head_timer: asyncio.TimerHandle | None = None
            self._arm_head()

        def _arm_head(self) -> None:
            if getattr(self, "_head_timer", None) is None:
                self._head_timer = self.loop.call_later(self.head_timeout, self._head_expired)

        def _disarm_head(self) -> None:
            timer = getattr(self, "_head_timer", None)
            if timer is not None:
                timer.cancel()
                self._head_timer = None

        def _head_expired(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                self.logger.warning("Request head not complete within %g s: connection closed", self.head_timeout)
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:
                self._arm_head()  # the first byte of a next request on a kept-alive connection
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._disarm_head()  # the head is in: the guard times the body

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_head()
            super().connection_lost(exc)

    return HeadTimeoutH11Protocol
