#!/usr/bin/env bash
# A throw-away PostgreSQL for the team-service tests: installs Debian's postgresql if it is missing (as root),
# starts a cluster on 127.0.0.1:${IGCLAIM_PG_PORT:-54329} with its data under /tmp, and prints its URL.
# Prints nothing (and exits 0) when no server can be had here; the tests then skip with the reason.
#   scripts/postgres-test.sh        start (if needed) and print the URL
#   scripts/postgres-test.sh stop   stop it
# The server runs with fsync=off (a throw-away server: the tests' commits need not reach the disk).
# IGCLAIM_PG_FSYNC=on starts it with fsync on, as a deployment runs (benchmarks/service_load.py measures with it).
# A server already running keeps the setting it was started with: use another IGCLAIM_PG_PORT for the other one.
set -u
port=${IGCLAIM_PG_PORT:-54329}
data=/tmp/igclaim-pg-$port
log=/tmp/igclaim-pg-$port.log

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >"$log" 2>&1
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ -z "$bindir" ]; then
  echo "postgres-test: no PostgreSQL server binaries (Debian package postgresql) and none installable" >&2
  exit 0
fi

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-start}" = stop ]; then
  as_pg "$bindir/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1
  exit 0
fi

if ! as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres: "$data"
    as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >>"$log" 2>&1 || {
      echo "postgres-test: initdb failed (see $log)" >&2; exit 0; }
  fi
  as_pg "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=${IGCLAIM_PG_FSYNC:-off}" \
    start >/dev/null 2>&1 || { echo "postgres-test: the server did not start (see $data/server.log)" >&2; exit 0; }
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
