#!/usr/bin/env bash
# Installs what the production proofs need when it is missing: Debian's nginx (the topology
# test runs it on loopback with deploy/nginx.conf), the PostgreSQL client tools (pg_dump and
# pg_restore for the backup test), sqlite3, and docker-compose (only to validate
# docker-compose.yml: there is no Docker engine here). Safe to call on every `make test`.
set -euo pipefail

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v envsubst >/dev/null 2>&1 || need+=(gettext-base)

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
exit 0
