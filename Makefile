# Xiaoan (校安). Two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
CARGO ?= cargo
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
export XIAOAN_TEST_PG_URL ?= $(PG_URL)

.PHONY: run test test-steps build lint fmt openapi test-sqlite test-postgres frontend-deps frontend-build \
        frontend-check e2e-deps e2e bench bench-lists clean-test-dbs test-deps check-deploy fuzz-api

## Build everything, then serve on http://127.0.0.1:8080 with the demo school (SQLite in ./data).
run: frontend-build
	$(CARGO) build --release -p xiaoan
	./target/release/xiaoan serve --demo

## Every check and test: format, lints, architecture, OpenAPI drift, API tests on SQLite and
## PostgreSQL, SPA. PostgreSQL: $XIAOAN_TEST_PG_URL, else the server on 127.0.0.1:5432, else a
## throwaway cluster started for the run (scripts/with-pg.sh).
test:
	bash scripts/with-pg.sh $(MAKE) --no-print-directory test-steps

test-steps: lint check-deploy test-sqlite test-postgres fuzz-api frontend-check e2e

lint:
	python3 scripts/check-licenses.py
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## Regenerate the committed OpenAPI document (and the SPA's types) from the code.
openapi:
	$(CARGO) run -q -p xiaoan -- export-openapi -o openapi/openapi.json
	if [ -d frontend/node_modules ]; then cd frontend && npm run gen:api; fi

test-sqlite: test-deps
	XIAOAN_TEST_DB=sqlite $(CARGO) test --workspace --all-targets

test-postgres: clean-test-dbs test-deps
	pg_isready -d "$(XIAOAN_TEST_PG_URL)" -q || { echo "PostgreSQL does not answer at $(XIAOAN_TEST_PG_URL) (make test starts one)"; exit 1; }
	XIAOAN_TEST_DB=postgres $(CARGO) test -p xiaoan-api-tests --all-targets

# Databases left behind by interrupted runs.
clean-test-dbs:
	-psql "$(PG_URL)" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'xiaoan_t_%'" 2>/dev/null \
	  | while read -r db; do psql "$(PG_URL)" -qc "DROP DATABASE IF EXISTS \"$$db\" WITH (FORCE)" >/dev/null; done

frontend-deps:
	@if [ -f frontend/package.json ]; then cd frontend && npm ci --no-audit --no-fund; fi

frontend-build: frontend-deps
	@if [ -f frontend/package.json ]; then cd frontend && npm run build; fi

frontend-check: frontend-deps
	@if [ -f frontend/package.json ]; then cd frontend && npm run check:api && npm run typecheck && npm run test && npm run build && npm run size; fi

## Debian's Chromium and CJK fonts for the browser tests (installed when missing).
e2e-deps:
	@if [ -f frontend/package.json ] && { [ ! -x /usr/bin/chromium ] || ! command -v ffmpeg >/dev/null || [ ! -d /usr/share/fonts/opentype/noto ]; }; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium fonts-liberation fonts-noto-cjk ffmpeg >/dev/null; fi

e2e: e2e-deps frontend-build
	@if [ -f frontend/package.json ]; then $(CARGO) build -p xiaoan && cd frontend && XIAOAN_BIN=$(CURDIR)/target/debug/xiaoan npm run e2e; fi

## What the production proofs need (Debian's nginx for the topology test, pg_dump/pg_restore
## for the backup test, docker-compose to validate docker-compose.yml), installed when missing.
test-deps:
	bash scripts/ensure-test-deps.sh

## docker-compose.yml, the Dockerfiles and deploy/nginx.conf checked without a Docker engine.
check-deploy: test-deps
	bash scripts/check-deploy.sh

## Contract fuzzing with schemathesis (every identity, the committed spec, the demo school's ids),
## SQLite then PostgreSQL. Deeper: see docs/production.md.
fuzz-api: clean-test-dbs
	bash scripts/schemathesis.sh
	XIAOAN_TEST_DB=postgres ST_PHASES=examples,coverage,stateful bash scripts/schemathesis.sh

## The gate benchmark (prints scans/s, p50/p99 and the ratio to GET /api/health), SQLite then PostgreSQL.
bench:
	$(CARGO) run --release -p xiaoan-api-tests --bin bench_gate -- --db sqlite --seconds 10 --blackhole
	$(CARGO) run --release -p xiaoan-api-tests --bin bench_gate -- --db postgres --seconds 10 --blackhole

## District-scale lists on PostgreSQL: generates xiaoan_scale (200k students, 10M gate scans, ...),
## measures the list endpoints (p50/p99 per filter), then drops the database. Not part of `make test`.
bench-lists:
	$(CARGO) run --release -p xiaoan-api-tests --bin bench_lists -- --drop
