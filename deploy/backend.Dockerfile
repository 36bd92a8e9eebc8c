# syntax=docker/dockerfile:1
# The backend: built in a Rust image, run as a non-root user in a slim Debian image.
# Build from the repository root:  docker build -f deploy/backend.Dockerfile -t xiaoan-backend .
# Nothing secret is baked in: the database URL, the JWT secret and the metrics token come from
# the environment at run time (see .env.example and docs/production.md).

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Manifests first so that the dependency layer is cached across source changes.
COPY Cargo.toml Cargo.lock ./
COPY backend/Cargo.toml backend/Cargo.toml
COPY migrations/Cargo.toml migrations/Cargo.toml
COPY tests/Cargo.toml tests/Cargo.toml
RUN mkdir -p backend/src migrations/src tests/src \
 && echo 'fn main() {}' > backend/src/main.rs && touch backend/src/lib.rs migrations/src/lib.rs tests/src/lib.rs \
 && cargo fetch --locked
COPY backend backend
COPY migrations migrations
COPY tests tests
RUN touch backend/src/main.rs backend/src/lib.rs migrations/src/lib.rs \
 && cargo build --release --locked -p xiaoan \
 && cp target/release/xiaoan /xiaoan

FROM debian:bookworm-slim
# ca-certificates for TLS to a managed PostgreSQL; postgresql-client for `xiaoan backup`
# (pg_dump) run inside the container; tzdata is not needed (chrono-tz carries the zones).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/xiaoan --create-home xiaoan \
 && install -d -o 10001 -g 10001 /var/lib/xiaoan/attachments
COPY --from=build /xiaoan /usr/local/bin/xiaoan
USER 10001:10001
WORKDIR /var/lib/xiaoan
ENV XIAOAN_BIND=0.0.0.0:8080 \
    XIAOAN_DATA_DIR=/var/lib/xiaoan \
    XIAOAN_LOG_FORMAT=json \
    XIAOAN_ATTACHMENTS_DIR=/var/lib/xiaoan/attachments \
    XIAOAN_FRONTEND_DIR=/nonexistent
EXPOSE 8080
# `serve` applies pending migrations before it listens; compose runs `migrate` once first so
# that replicas starting together do not race on the schema.
ENTRYPOINT ["/usr/local/bin/xiaoan"]
CMD ["serve"]
