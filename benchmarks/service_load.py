"""Load on the team service over the loopback (a benchmark, not a test): N concurrent clients post encounters
and read the worklist for a bounded time; every request's latency is kept.

Each client starts at a random moment within `--think` seconds, then posts a new encounter, lists the worklist,
reads its encounter back, and waits 0.5–1.5 × `--think` seconds (a biller's pace; clients are not in lockstep).
The baseline, measured in the same run under the same load, is GET /api/health (no token, no database): the
report prints each kind's p99 as a ratio to it.

    python benchmarks/service_load.py --think 10             # 200 clients, 60 s, SQLite in a temp dir
    python benchmarks/service_load.py --clients 50 --seconds 10
    python benchmarks/service_load.py --database postgres --workers 1   # a fresh database, PostgreSQL with fsync on
    IGCLAIM_DATABASE_URL=postgresql+psycopg://... python benchmarks/service_load.py

Besides the latencies it prints the machine's load average before and after, the CPU seconds the server and the
load generator used, the load generator's own event-loop lag (p99 and max): a late client inflates what it
measures, so that figure says how much of a p99 is the generator's and not the service's; and on Linux the CPU
time the host took from the machine (steal): on a virtual machine that time is taken from every process at once,
and a run with much of it measures the host's neighbours.

Only 127.0.0.1 is ever contacted; the server is started and stopped here.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
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

from igclaim.api import _server_settings  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def client(n: int, http: httpx.AsyncClient, token: str, until: float, think: float,
                 lat: dict[str, list[float]], errors: list[str], encounters: list[dict]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(n)
    await asyncio.sleep(rng.uniform(0, think))  # clients start apart, as a team's do, not in one burst
    async with http:
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
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)


def _valid(enc: dict) -> bool:
    from igclaim.inputs import InvalidInput, parse_encounter

    try:
        parse_encounter(enc)
    except InvalidInput:
        return False
    return True


_PG_SCRIPT = HERE.parent / "scripts" / "postgres-test.sh"


def _pg_env() -> dict[str, str]:
    """The benchmark's server: its own port, fsync on unless told otherwise."""
    return {**os.environ, "IGCLAIM_PG_FSYNC": os.environ.get("IGCLAIM_PG_FSYNC", "on"),
            "IGCLAIM_PG_PORT": os.environ.get("IGCLAIM_PG_PORT", "54339")}


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _postgres_database() -> tuple[str, bool]:
    """A fresh database on the project's throw-away PostgreSQL (scripts/postgres-test.sh), by default a server of
    its own with fsync on, as a deployment runs (the tests' server, port 54329, runs with fsync off); and whether
    this run started that server (then `_postgres_cleanup` stops it again: a benchmark leaves nothing running)."""
    from sqlalchemy import create_engine, text

    env = _pg_env()
    started = not _listening(int(env["IGCLAIM_PG_PORT"]))
    url = subprocess.run([str(_PG_SCRIPT)], capture_output=True, text=True, check=False, env=env).stdout.strip()
    if not url:
        sys.exit("service_load: no PostgreSQL here (scripts/postgres-test.sh printed nothing)")
    name = f"igclaim_load_{os.getpid()}_{int(time.time())}"
    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return url.rsplit("/", 1)[0] + "/" + name, started


def _postgres_cleanup(url: str, stop_server: bool) -> None:
    """Drop the run's database, and stop the server when this run started it."""
    from sqlalchemy import create_engine, text

    server, name = url.rsplit("/", 1)
    eng = create_engine(server + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        eng.dispose()
    if stop_server:
        subprocess.run([str(_PG_SCRIPT), "stop"], capture_output=True, check=False, env=_pg_env())


def _postgres_settings(url: str) -> str:
    """What of the server's configuration a reader of the figures needs: whether commits reach the disk."""
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.connect() as conn:
        shown = [f"{name} {conn.execute(text(f'SHOW {name}')).scalar()}" for name in ("fsync", "synchronous_commit")]
    eng.dispose()
    return ", ".join(shown)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live children (the uvicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _stolen() -> float | None:
    """CPU seconds the host took from this virtual machine (steal, /proc/stat), all cores; None where unknown."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


async def _loop_lag(until: float, lags: list[float]) -> None:
    """How late the load generator's own event loop wakes up (every 10 ms)."""
    while time.monotonic() < until:
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - t - 0.01)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--think", type=float, default=10.0, help="seconds each client waits between rounds")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (igclaim serve --workers)")
    ap.add_argument("--database", default="sqlite",
                    help="sqlite (a temp file), postgres (a fresh database on scripts/postgres-test.sh's server) "
                         "or a SQLAlchemy URL; IGCLAIM_DATABASE_URL wins when set")
    args = ap.parse_args()
    args.seconds = min(args.seconds, 600)  # bounded whatever is asked
    try:
        import uvloop  # the generator's own loop: the faster it is, the less of its lag is in the figures
    except ImportError:
        uvloop = None

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "IGCLAIM_HOME": home, "IGCLAIM_RATE_LIMIT": "1000", "IGCLAIM_RATE_BURST": "1000"}
        made: tuple[str, bool] | None = None  # the database this run made, and whether it started the server
        if "IGCLAIM_DATABASE_URL" not in env and args.database != "sqlite":
            if args.database == "postgres":
                made = _postgres_database()
            env["IGCLAIM_DATABASE_URL"] = made[0] if made else args.database
        database = env.get("IGCLAIM_DATABASE_URL", "sqlite").split(":", 1)[0]
        if database.startswith("postgresql"):
            database += f" ({_postgres_settings(env['IGCLAIM_DATABASE_URL'])})"
        igclaim = str(Path(sys.executable).with_name("igclaim"))
        subprocess.run([igclaim, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([igclaim, "users", "add", "load", "--role", "biller"], env=env, check=True,
                       capture_output=True)
        token = subprocess.run([igclaim, "tokens", "create", "load"], env=env, check=True, capture_output=True,
                               text=True).stdout.strip()
        port = free_port()
        server = subprocess.Popen([igclaim, "serve", "--team", "--host", "127.0.0.1", "--port", str(port),
                                   "--workers", str(args.workers)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            time.sleep(2 if args.workers > 1 else 0)  # every worker up, not only the first
            encounters = [e for e in (json.loads(json.dumps(e, default=str))
                                      for e in generate.encounters(500, seed=7, bad_share=0) if isinstance(e, dict))
                          if _valid(e)]  # only charts the service accepts: every error counted is the service's
            lat: dict[str, list[float]] = {"post": [], "list": [], "read": [], "health": []}
            errors: list[str] = []
            lags: list[float] = []
            # Each client has its own connection pool, made before the clock starts: making an httpx client takes
            # tens of milliseconds of CPU (its TLS context), which would stall every request in flight.
            # A kept-alive connection is let go a second before the server closes it as idle (uvicorn's keep-alive):
            # httpx's default (5 s) equals the server's, and a request sent on it at that moment meets the server's
            # close ("Server disconnected without sending a response"): the client's timing, not a server error.
            keepalive = httpx.Limits(keepalive_expiry=max(1, _server_settings()["timeout_keep_alive"] - 1))
            https = [httpx.AsyncClient(base_url=base, timeout=30, limits=keepalive) for _ in range(args.clients)]
            # The generator's own garbage collection must not pause it while it measures: a full collection walked
            # what lives the whole run (igclaim's tables loaded to validate the charts, the charts, the clients) and
            # took 130-180 ms, during which every request in flight, the health check too, looked that much slower
            # (measured with gc.callbacks: two such pauses a run). What is made so far is frozen (never walked again;
            # a full collection then still took 45 ms), and during the run only the young generations are collected
            # (httpx's per-request reference cycles mostly die young); the full collection waits for the end of the
            # run (at most 600 s: some 100 MB of cycles at worst).
            gc.collect()
            gc.freeze()
            thresholds = gc.get_threshold()
            gc.set_threshold(thresholds[0], thresholds[1], 1_000_000)
            load_before = os.getloadavg()
            until = time.monotonic() + args.seconds

            async def run_all() -> None:
                await asyncio.gather(_loop_lag(until, lags),
                                     *(client(n, https[n], token, until, args.think, lat, errors, encounters)
                                       for n in range(args.clients)))

            server_cpu, client_cpu, stolen = _cpu_seconds(server.pid), time.process_time(), _stolen()
            started = time.monotonic()
            if uvloop is not None:
                uvloop.run(run_all())
            else:
                asyncio.run(run_all())
            elapsed = time.monotonic() - started
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            server_cpu, client_cpu = _cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
            stolen_after = _stolen()
            stolen = stolen_after - stolen if stolen is not None and stolen_after is not None else None
            load_after = os.getloadavg()
        finally:
            server.terminate()
            server.wait(timeout=30)
            if made:
                _postgres_cleanup(*made)

    total = sum(len(v) for v in lat.values())
    base_p99 = pct(lat["health"], 99)
    knobs = " ".join(f"{k}={os.environ[k]}" for k in ("IGCLAIM_CODERS", "IGCLAIM_CODER_NICE") if k in os.environ)
    print(f"{args.clients} clients, {elapsed:.0f} s, think {args.think} s, {database}, {args.workers} worker(s)"
          f"{' ' + knobs if knobs else ''}: {total:,} requests ({total / elapsed:,.0f}/s), {len(errors)} errors")
    cores = os.cpu_count() or 1
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min; {cores} cores); "
          f"CPU: server {server_cpu:.1f} s, load generator {client_cpu:.1f} s; generator loop lag p99 "
          f"{pct(lags, 99) * 1000:.1f} ms, max {max(lags, default=0) * 1000:.1f} ms")
    if stolen is not None:  # a virtual machine whose host runs others: their CPU is taken from every process here
        print(f"CPU taken by the host (steal): {stolen:.1f} s, {100 * stolen / (elapsed * cores):.1f} % of the "
              f"{cores} cores over the run")
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
