#!/usr/bin/env bash
# Fuzzes the running demo school against the COMMITTED spec (openapi/openapi.json) with
# schemathesis, once per identity: anonymous, an integration key with every scope, and each
# role's token. No 5xx, nothing logged as an error, and every response conforms to the spec
# (status code, content type, headers, body schema); data the spec forbids is rejected.
# Exits non-zero on any failure.
#
# Phases: the spec's examples, coverage (boundary and invalid values), fuzzing (valid and
# invalid data: `--mode all`), and stateful: chains that follow the spec's `links` from each
# creating operation to the operations on what it created (see `add_links` in
# backend/src/openapi.rs). Ids come from the demo school (scripts/schemathesis_config.py),
# not random UUIDs, so that requests reach past "not found".
#
#   scripts/schemathesis.sh                       # bounded, SQLite: 5 examples/op, 40 stateful scenarios
#   XIAOAN_TEST_DB=postgres scripts/schemathesis.sh   # the same on PostgreSQL
#   ST_MAX_EXAMPLES=500 ST_STATEFUL_EXAMPLES=500 scripts/schemathesis.sh   # deeper
#   ST_IDENTITIES="office key" ST_PHASES=fuzzing,stateful scripts/schemathesis.sh   # a part of it
# `make fuzz-api` runs every phase on SQLite, then on PostgreSQL all but the random fuzzing
# (which mostly repeats the SQLite run): the boundary values of the coverage phase (huge
# numbers, long or odd strings) are where the two databases differ.
#
# schemathesis comes from PyPI into a venv under target/ (installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

VENV=target/schemathesis-venv
ST_VERSION=${ST_VERSION:-4.32.5}
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  echo "installing schemathesis $ST_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$ST_VERSION"
fi

cargo build -q -p xiaoan
BIN=${XIAOAN_BIN:-$ROOT/target/debug/xiaoan}

WORK=$(mktemp -d -t xiaoan-st-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
PG_URL=${XIAOAN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
PG_DB=""
if [ "${XIAOAN_TEST_DB:-sqlite}" = postgres ]; then
  PG_DB="xiaoan_t_st_$$_$RANDOM"
  psql "$PG_URL" -qc "CREATE DATABASE \"$PG_DB\"" >/dev/null
  DB_URL="${PG_URL%/*}/$PG_DB"
else
  DB_URL="sqlite://$WORK/xiaoan.db?mode=rwc"
fi

SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [ -n "$PG_DB" ] && psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

XIAOAN_BIND=127.0.0.1:$PORT XIAOAN_DATABASE_URL=$DB_URL XIAOAN_DATA_DIR=$WORK \
XIAOAN_JWT_SECRET=schemathesis-secret-schemathesis-secret-0123 XIAOAN_LOG_FORMAT=json \
XIAOAN_ACCESS_TOKEN_TTL_SECS=7200 XIAOAN_FRONTEND_DIR=/nonexistent XIAOAN_DEMO=true \
  "$BIN" serve 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 200); do
  curl -fs "$BASE/api/ready" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.1
done

# Sign every role in BEFORE fuzzing: the fuzzer's failed sign-ins soon throttle this address.
declare -A AUTH
declare -A ROLE=([officer1]=safety_officer [guard1]=guard [teacher1]=class_teacher [principal]=principal
  [office]=security_office [key]=key [anonymous]=anonymous)
ROLES="officer1 guard1 teacher1 principal office"
for user in $ROLES; do
  token=$(curl -fs -H 'Content-Type: application/json' \
    -d "{\"username\":\"$user\",\"password\":\"${XIAOAN_DEMO_PASSWORD:-xiaoan-demo}\"}" \
    "$BASE/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  AUTH[$user]="Authorization: Bearer $token"
done
# An integration key with every scope the spec names, as a third party would hold.
SCOPES=$(python3 -c '
import json
spec = json.load(open("openapi/openapi.json"))
print(json.dumps(sorted({s for item in spec["paths"].values() for op in item.values()
    if isinstance(op, dict) for req in op.get("security", []) for s in req.get("api_key", [])})))')
KEY_JSON=$(curl -fs -H "${AUTH[office]}" -H 'Content-Type: application/json' \
  -d "{\"name\":\"schemathesis\",\"scopes\":$SCOPES}" "$BASE/api/v1/api-keys")
KEY_ID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$KEY_JSON")
AUTH[key]="X-API-Key: $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["secret"])' "$KEY_JSON")"
AUTH[anonymous]=""

# The ids the fuzzer sends: the demo school's, except the identities' own accounts and key.
SKIP_IDS=$(for user in $ROLES; do
  curl -fs -H "${AUTH[$user]}" "$BASE/api/v1/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
done)
python3 scripts/schemathesis_config.py openapi/openapi.json "$BASE" "${AUTH[office]#Authorization: Bearer }" \
  "$WORK/schemathesis.toml" "$KEY_ID" $SKIP_IDS

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection
# Least powerful first, the office last: what the office changes cannot hide another's findings.
IDENTITIES=${ST_IDENTITIES:-anonymous key officer1 guard1 teacher1 principal office}
status=0
failed=""
for who in $IDENTITIES; do
  phases=${ST_PHASES:-examples,coverage,fuzzing,stateful}
  # Nothing to create without signing in: no stateful chains for anonymous or the key.
  case $who in anonymous|key) phases=$(echo ",$phases," | sed 's/,stateful,/,/; s/^,//; s/,$//') ;; esac
  [ -z "$phases" ] && continue
  echo "== schemathesis as $who ($phases)"
  { cat "$WORK/schemathesis.toml"; python3 scripts/schemathesis_config.py --identity openapi/openapi.json "${ROLE[$who]}"; } \
    >"$WORK/schemathesis-$who.toml"
  header=()
  [ -n "${AUTH[$who]}" ] && header=(-H "${AUTH[$who]}")
  start=$SECONDS
  log_from=$(($(stat -c %s "$WORK/server.log") + 1))
  # Operations that end the session under test are left out: signing out, changing the
  # password (the fuzzer may send the right current one from the spec's example).
  set +e
  "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis-$who.toml" run openapi/openapi.json \
    --url "$BASE" \
    "${header[@]}" \
    --checks "$CHECKS" \
    --phases "$phases" \
    --mode all \
    --seed "${ST_SEED:-20261129}" \
    --exclude-path /api/v1/auth/logout \
    --exclude-path /api/v1/me/password \
    --generation-database none \
    --request-timeout 20 \
    --no-color \
    --report junit --report-dir "$WORK/report-$who" \
    ${ST_EXTRA:-} 2>&1 | tee "$WORK/run-$who.log"
  st_status=${PIPESTATUS[0]}
  set -e
  # Every operation of this identity had its examples and coverage run as an earlier identity
  # and these phases hold nothing else (the key on PostgreSQL, where fuzzing is off): nothing
  # ran, so nothing failed.
  if [ "$st_status" -ne 0 ] && grep -q 'Every selected operation was skipped' "$WORK/run-$who.log" \
     && ! grep -q '^=* FAILURES =*$' "$WORK/run-$who.log"; then
    echo "== $who: nothing left to run in these phases"
    st_status=0
  fi
  [ "$st_status" -eq 0 ] || { status=1; failed="$failed $who"; }
  echo "== $who: $((SECONDS - start)) s"
  errors=$(tail -c "+$log_from" "$WORK/server.log" | grep '"level":"ERROR".*"target":"xiaoan' || true)
  if [ -n "$errors" ]; then
    echo "server logged errors:"; echo "$errors" | tail -20
    status=1; failed="$failed $who(log)"
  fi
  # An identity that lost its access would test nothing but 401 from here on.
  if [ -n "${AUTH[$who]}" ] && ! curl -fs -o /dev/null -H "${AUTH[$who]}" "$BASE/api/v1/classes"; then
    echo "$who can no longer call the API after its run"; status=1; failed="$failed $who(access)"
  fi
done

if [ $status -ne 0 ]; then
  mkdir -p target/schemathesis-reports && cp -r "$WORK"/report-* target/schemathesis-reports/ 2>/dev/null || true
  echo "schemathesis: FAILED:$failed (reports in target/schemathesis-reports)"
fi
exit $status
