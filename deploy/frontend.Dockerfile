# syntax=docker/dockerfile:1
# The front door: the SPA built with Node 20, served by nginx, which proxies /api, /api-docs and
# /swagger-ui to the backend replicas (deploy/nginx.conf, the same file the topology test runs).
# Build from the repository root:  docker build -f deploy/frontend.Dockerfile -t xiaoan-web .

FROM node:20-bookworm-slim AS build
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
# The SPA's API types are generated from the committed spec.
COPY openapi/ /src/openapi/
RUN npm run build

FROM nginx:1.27-alpine
# The official image renders /etc/nginx/templates/*.template with envsubst at start; the
# filter keeps nginx's own $variables untouched.
ENV NGINX_ENVSUBST_FILTER=^XIAOAN_ \
    XIAOAN_LISTEN=80 \
    XIAOAN_SPA_ROOT=/usr/share/nginx/html \
    XIAOAN_UPSTREAMS="server backend:8080 max_fails=3 fail_timeout=10s;"
COPY deploy/nginx.conf /etc/nginx/templates/default.conf.template
COPY --from=build /src/frontend/dist /usr/share/nginx/html
EXPOSE 80
