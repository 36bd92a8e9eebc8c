#!/usr/bin/env bash
# Runs a command with a PostgreSQL server for the tests, exporting XIAOAN_TEST_PG_URL and PG_URL.
# - XIAOAN_TEST_PG_URL already set: that server is used as it is.
# - something answers on 127.0.0.1:5432: that server is used (database `test`, trust auth).
# - otherwise: a throwaway cluster (Debian's PostgreSQL packages, installed when missing) is
#   initialised in a temporary directory on a free port, and stopped and removed afterwards.
set -euo pipefail

if [ -n "${XIAOAN_TEST_PG_URL:-}" ]; then
  export PG_URL="$XIAOAN_TEST_PG_URL"
  exec "$@"
fi
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  export XIAOAN_TEST_PG_URL="postgres://postgres@127.0.0.1:5432/test" PG_URL="postgres://postgres@127.0.0.1:5432/test"
  exec "$@"
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "with-pg: installing Debian's PostgreSQL packages for a throwaway test cluster"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
dir=$(mktemp -d /tmp/xiaoan-pg.XXXXXX)
# initdb refuses to run as root: the cluster belongs to the `postgres` user when we are root.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" postgres
  chown postgres "$dir"
fi
cleanup() {
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres test
echo "with-pg: throwaway PostgreSQL on 127.0.0.1:$port ($dir)"
export XIAOAN_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/test" PG_URL="postgres://postgres@127.0.0.1:$port/test"
"$@"
