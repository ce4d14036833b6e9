"""Load on the team service over the loopback (a benchmark, not a test): N concurrent clients post encounters
and read the worklist for a bounded time; every request's latency is kept.

Each client posts a new encounter, lists the worklist, reads its encounter back, then waits `--think` seconds
(a biller's pace). The baseline, measured in the same run under the same load, is GET /api/health (no token,
no database): the report prints each kind's p99 as a ratio to it.

    python benchmarks/service_load.py                        # 200 clients, 60 s, SQLite in a temp dir
    python benchmarks/service_load.py --clients 50 --seconds 10
    IGCLAIM_DATABASE_URL=postgresql+psycopg://... python benchmarks/service_load.py

Only 127.0.0.1 is ever contacted; the server is started and stopped here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def client(n: int, base: str, token: str, until: float, think: float, lat: dict[str, list[float]],
                 errors: list[str], encounters: list[dict]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        i = 0
        while time.monotonic() < until:
            enc = dict(encounters[(n * 7919 + i) % len(encounters)])
            enc["encounter_id"] = f"load-{n}-{i}"
            i += 1
            for kind, method, path, body in (
                ("post", "POST", "/api/encounters", enc),
                ("list", "GET", "/api/encounters?limit=20", None),
                ("read", "GET", f"/api/encounters/{enc['encounter_id']}", None),
                ("health", "GET", "/api/health", None),
            ):
                t = time.perf_counter()
                try:
                    r = await http.request(method, path, json=body, headers=headers)
                    ok = r.status_code < 300
                except httpx.HTTPError as exc:
                    ok, r = False, exc
                lat[kind].append(time.perf_counter() - t)
                if not ok:
                    errors.append(f"{kind} {getattr(r, 'status_code', r)}")
            await asyncio.sleep(think)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--think", type=float, default=1.0, help="seconds each client waits between rounds")
    args = ap.parse_args()
    args.seconds = min(args.seconds, 600)  # bounded whatever is asked

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "IGCLAIM_HOME": home, "IGCLAIM_RATE_LIMIT": "1000", "IGCLAIM_RATE_BURST": "1000"}
        igclaim = str(Path(sys.executable).with_name("igclaim"))
        subprocess.run([igclaim, "users", "add", "load", "--role", "biller"], env=env, check=True,
                       capture_output=True)
        token = subprocess.run([igclaim, "tokens", "create", "load"], env=env, check=True, capture_output=True,
                               text=True).stdout.strip()
        port = free_port()
        server = subprocess.Popen([igclaim, "serve", "--team", "--host", "127.0.0.1", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            encounters = [json.loads(json.dumps(e, default=str)) for e in generate.encounters(500, seed=7)
                          if isinstance(e, dict)]
            lat: dict[str, list[float]] = {"post": [], "list": [], "read": [], "health": []}
            errors: list[str] = []
            until = time.monotonic() + args.seconds

            async def run_all() -> None:
                await asyncio.gather(*(client(n, base, token, until, args.think, lat, errors, encounters)
                                       for n in range(args.clients)))

            started = time.monotonic()
            asyncio.run(run_all())
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)

    total = sum(len(v) for v in lat.values())
    base_p99 = pct(lat["health"], 99)
    print(f"{args.clients} clients, {elapsed:.0f} s, think {args.think} s: {total:,} requests "
          f"({total / elapsed:,.0f}/s), {len(errors)} errors")
    print(f"{'kind':8} {'count':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99 / health p99':>17}")
    for kind, values in lat.items():
        p99 = pct(values, 99)
        print(f"{kind:8} {len(values):8,} {pct(values, 50) * 1000:8.1f} {p99 * 1000:8.1f} {p99 / base_p99:17.2f}")
    reads = lat["list"] + lat["read"]
    print(f"reads p99 {pct(reads, 99) * 1000:.1f} ms (target < 50 ms); mean {statistics.fmean(reads) * 1000:.1f} ms")
    if errors:
        print("errors (first 10):", errors[:10])


if __name__ == "__main__":
    main()
