"""Slow clients against a real server (uvicorn with igclaim's protocol and guard, started here on a free loopback
port, spoken to through real sockets): a request head trickled a header at a time (slowloris) and a body trickled
a byte at a time are both dropped at their deadlines, while a normal request on the same server is answered."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from igclaim.api import app, server_config
from igclaim.web.guard import Guard, page_csp

HEAD_SECONDS, BODY_SECONDS = 1.0, 1.0


@pytest.fixture(scope="module")
def server():
    import uvicorn

    from igclaim.api import _page
    from igclaim.web import guard

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # The API app with a short body deadline (the guard's own), the protocol with a short head deadline.
    inner = Guard(app, page_csp=page_csp(_page()), body_timeout=BODY_SECONDS)
    config = server_config("127.0.0.1", port, asgi=inner, log_level="warning",
                           http=guard.head_timeout_protocol(HEAD_SECONDS))
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started
    yield port
    srv.should_exit = True
    thread.join(10)


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.settimeout(10)
    return s


def _closed_after(s: socket.socket, trickle: list[bytes], every: float) -> tuple[float, bytes]:
    """Send the pieces `every` seconds apart until the server closes; (seconds until closed, what it answered)."""
    t0 = time.monotonic()
    answer = b""
    for piece in trickle:
        try:
            s.sendall(piece)
        except OSError:
            break
        s.settimeout(every)
        try:
            data = s.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        answer += data
        if not data:
            break
        s.settimeout(5)
        try:
            while data := s.recv(65536):
                answer += data
        except OSError:
            pass
        break
    return time.monotonic() - t0, answer


def test_a_normal_request_is_answered(server):
    s = _connect(server)
    s.sendall(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    assert data.startswith(b"HTTP/1.1 200") and b'"status":"ok"' in data


def test_headers_trickled_slowly_are_dropped(server):
    s = _connect(server)
    pieces = [b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n"] + [b"X-Slow-%d: 1\r\n" % i for i in range(40)]
    took, answer = _closed_after(s, pieces, every=0.2)
    assert answer == b"" and took < HEAD_SECONDS + 2, (took, answer[:200])
    assert took >= HEAD_SECONDS * 0.9  # dropped at the deadline, not before


def test_a_connection_that_sends_nothing_is_dropped(server):
    s = _connect(server)
    t0 = time.monotonic()
    assert s.recv(10) == b""  # closed by the server
    assert time.monotonic() - t0 < HEAD_SECONDS + 2


def test_a_body_trickled_slowly_is_dropped_with_408(server):
    s = _connect(server)
    head = (b"POST /api/build HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n")
    took, answer = _closed_after(s, [head] + [b" "] * 40, every=0.2)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert took < BODY_SECONDS + 2
