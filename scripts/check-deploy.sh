#!/usr/bin/env bash
# Checks the container deployment as far as a machine without a Docker engine can:
# docker-compose.yml against the Compose schema (docker-compose config), its refusal to start
# without the secrets, no secret in an image, and nginx's syntax for deploy/nginx.conf.
# The same topology is run for real, without containers, by tests/tests/topology.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-test-deps.sh
fail() { echo "check-deploy: $*" >&2; exit 1; }

compose() {
  if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi
}

# 1. The file is valid Compose and resolves with the example environment.
compose --env-file .env.example -f docker-compose.yml config -q || fail "docker-compose.yml is not valid"
resolved=$(compose --env-file .env.example -f docker-compose.yml config)
for svc in db migrate backend web; do
  grep -qE "^  ${svc}:" <<<"$resolved" || fail "service $svc missing"
done
grep -q "pgdata:/var/lib/postgresql/data" <<<"$resolved" || fail "PostgreSQL data is not on the named volume"
grep -q "pg_isready" <<<"$resolved" || fail "PostgreSQL has no health check"

# 2. Without the secrets it refuses to start (no insecure default).
empty=$(mktemp)
trap 'rm -f "$empty"' EXIT
if compose --env-file "$empty" -f docker-compose.yml config -q 2>/dev/null; then
  fail "docker-compose.yml resolves without POSTGRES_PASSWORD / XIAOAN_JWT_SECRET"
fi

# 3. No secret is baked into an image, and .env never reaches a build context.
if grep -nE "(JWT_SECRET|PASSWORD|METRICS_TOKEN)" deploy/*.Dockerfile; then
  fail "a Dockerfile mentions a secret"
fi
grep -qx ".env" .dockerignore || fail ".env is not in .dockerignore"
grep -qx ".env" .gitignore || fail ".env is not in .gitignore"
grep -q "^USER 10001" deploy/backend.Dockerfile || fail "the backend image does not run as a non-root user"

# 4. Every variable the compose file uses is documented in .env.example.
for v in $(grep -oE '\$\{[A-Z_]+' docker-compose.yml | tr -d '${' | sort -u); do
  grep -q "^$v=" .env.example || fail "$v is used in docker-compose.yml but not in .env.example"
done

# 5. nginx accepts deploy/nginx.conf as the image renders it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$empty"' EXIT
mkdir -p "$tmp/html"
XIAOAN_LISTEN=127.0.0.1:1 XIAOAN_SPA_ROOT="$tmp/html" XIAOAN_UPSTREAMS="server 127.0.0.1:2;" \
  envsubst '${XIAOAN_LISTEN} ${XIAOAN_SPA_ROOT} ${XIAOAN_UPSTREAMS}' < deploy/nginx.conf > "$tmp/site.conf"
cat > "$tmp/nginx.conf" <<CONF
pid $tmp/nginx.pid;
error_log stderr;
events {}
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $tmp/body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    include $tmp/site.conf;
}
CONF
nginx -t -q -e stderr -p "$tmp" -c "$tmp/nginx.conf" || fail "nginx rejects deploy/nginx.conf"
echo "check-deploy: docker-compose.yml, Dockerfiles and deploy/nginx.conf are consistent"
