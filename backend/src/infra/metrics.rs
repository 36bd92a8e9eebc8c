//! Operational metrics in the Prometheus text format at `GET /metrics`: requests by route
//! pattern and status, request latency, gate scans by verdict, the database pool. Served outside
//! the API (not in the OpenAPI document) and only to allow-listed addresses or a bearer token.
//!
//! Counters are per process, as Prometheus expects: with several replicas, scrape each one and
//! sum in the query.

use crate::infra::state::State;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Latency buckets in seconds (upper bounds); `+Inf` is implied.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Registry {
    /// (method, route pattern, status) → count
    requests: BTreeMap<(String, String, u16), u64>,
    /// (method, route pattern) → latency
    latency: BTreeMap<(String, String), Histogram>,
    /// verdict → count
    scans: BTreeMap<String, u64>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn with_registry<T>(f: impl FnOnce(&mut Registry) -> T) -> T {
    let mut guard = registry().lock().unwrap_or_else(|p| p.into_inner());
    f(&mut guard)
}

/// Counts one request. `route` is the matched pattern (`/api/v1/students/{id}`), never the
/// concrete path, so ids and names stay out of the metrics and the label set stays small.
/// The method is folded to the known set (`other` for the rest): it is the client's string.
pub fn record_request(method: &str, route: Option<&str>, status: u16, elapsed: Duration) {
    let method = method_label(method);
    let route = route.unwrap_or("unmatched").to_owned();
    let secs = elapsed.as_secs_f64();
    with_registry(|r| {
        *r.requests
            .entry((method.to_owned(), route.clone(), status))
            .or_default() += 1;
        let h = r.latency.entry((method.to_owned(), route)).or_default();
        h.count += 1;
        h.sum += secs;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
    });
}

/// Counts one gate scan by its verdict (`allow`, `deny`, …). Called by the gate after the
/// scan's transaction committed, so the metric never counts a scan that was not recorded.
pub fn record_scan(verdict: &str) {
    // Verdicts are a small fixed vocabulary; anything else is folded so a bug cannot grow
    // the label set without bound.
    let verdict = if verdict.len() <= 32
        && verdict
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
    {
        verdict
    } else {
        "other"
    };
    with_registry(|r| *r.scans.entry(verdict.to_owned()).or_default() += 1);
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Pool {
    size: u32,
    idle: usize,
    max: u32,
}

fn pool(state: &State) -> Pool {
    let conn = &state.db.conn;
    let max = state.settings.db_max_connections.max(2);
    match conn.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let p = conn.get_postgres_connection_pool();
            Pool {
                size: p.size(),
                idle: p.num_idle(),
                max,
            }
        }
        _ => {
            let p = conn.get_sqlite_connection_pool();
            Pool {
                size: p.size(),
                idle: p.num_idle(),
                max,
            }
        }
    }
}

/// The exposition text (Prometheus text format 0.0.4).
pub fn render(state: &State) -> String {
    let mut out = String::with_capacity(4096);
    let p = pool(state);
    let _ = writeln!(
        out,
        "# HELP xiaoan_build_info The running version.\n# TYPE xiaoan_build_info gauge\nxiaoan_build_info{{version=\"{}\",database=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION"),
        match state.db.backend() {
            sea_orm::DatabaseBackend::Postgres => "postgres",
            _ => "sqlite",
        }
    );
    let _ = writeln!(
        out,
        "# HELP xiaoan_db_pool_connections Open database connections by state.\n# TYPE xiaoan_db_pool_connections gauge\nxiaoan_db_pool_connections{{state=\"idle\"}} {}\nxiaoan_db_pool_connections{{state=\"in_use\"}} {}",
        p.idle,
        (p.size as usize).saturating_sub(p.idle)
    );
    let _ = writeln!(
        out,
        "# HELP xiaoan_db_pool_max_connections The pool's upper bound.\n# TYPE xiaoan_db_pool_max_connections gauge\nxiaoan_db_pool_max_connections {}",
        p.max
    );
    with_registry(|r| {
        out.push_str("# HELP xiaoan_http_requests_total HTTP requests by method, route pattern and status.\n# TYPE xiaoan_http_requests_total counter\n");
        for ((method, route, status), n) in &r.requests {
            let _ = writeln!(
                out,
                "xiaoan_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(method),
                escape(route)
            );
        }
        out.push_str("# HELP xiaoan_http_request_duration_seconds Time to answer, by method and route pattern.\n# TYPE xiaoan_http_request_duration_seconds histogram\n");
        for ((method, route), h) in &r.latency {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "xiaoan_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "xiaoan_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\nxiaoan_http_request_duration_seconds_sum{{{labels}}} {}\nxiaoan_http_request_duration_seconds_count{{{labels}}} {}",
                h.count, h.sum, h.count
            );
        }
        out.push_str("# HELP xiaoan_gate_scans_total Gate scans recorded, by verdict.\n# TYPE xiaoan_gate_scans_total counter\n");
        for (verdict, n) in &r.scans {
            let _ = writeln!(
                out,
                "xiaoan_gate_scans_total{{verdict=\"{}\"}} {n}",
                escape(verdict)
            );
        }
    });
    out
}

/// Who may read `/metrics`: the bearer token from `XIAOAN_METRICS_TOKEN`, or a client whose
/// address is in `XIAOAN_METRICS_ALLOW` (default: loopback only). The address is the one the
/// sign-in throttle uses, so a request relayed by a trusted proxy counts as its real client.
pub fn allowed(req: &HttpRequest, state: &State) -> bool {
    let s = &state.settings;
    if let Some(expected) = s.metrics_token.as_deref()
        && let Some(given) = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        && constant_time_eq(given.trim().as_bytes(), expected.as_bytes())
    {
        return true;
    }
    let Some(ip) = crate::infra::proxy::client_ip(req, &s.trusted_proxies) else {
        return false;
    };
    let ip = canonical(ip);
    s.metrics_allow.iter().any(|a| canonical(*a) == ip)
}

/// `::ffff:127.0.0.1` and `127.0.0.1` are the same client.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /metrics` (registered with a plain route: operational, not part of the API).
pub async fn serve(
    req: HttpRequest,
    state: web::Data<crate::infra::state::AppState>,
) -> HttpResponse {
    if !allowed(&req, &state) {
        return HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("forbidden\n");
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(render(&state))
}

/// The methods the server knows of. Anything else is a client's invention: a metric label for
/// it would let anyone grow the registry without bound.
pub const KNOWN_METHODS: [actix_web::http::Method; 7] = [
    actix_web::http::Method::GET,
    actix_web::http::Method::HEAD,
    actix_web::http::Method::POST,
    actix_web::http::Method::PUT,
    actix_web::http::Method::PATCH,
    actix_web::http::Method::DELETE,
    actix_web::http::Method::OPTIONS,
];

/// The metric label of a method: its name when known, `other` for the rest.
pub fn method_label(method: &str) -> &'static str {
    KNOWN_METHODS
        .iter()
        .find(|m| m.as_str() == method)
        .map_or("other", |m| match *m {
            actix_web::http::Method::GET => "GET",
            actix_web::http::Method::HEAD => "HEAD",
            actix_web::http::Method::POST => "POST",
            actix_web::http::Method::PUT => "PUT",
            actix_web::http::Method::PATCH => "PATCH",
            actix_web::http::Method::DELETE => "DELETE",
            _ => "OPTIONS",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_verdicts_are_bounded() {
        record_scan("allow");
        record_scan("Robert'); DROP");
        with_registry(|r| {
            assert!(r.scans.contains_key("allow"));
            assert!(r.scans.contains_key("other"));
            assert!(!r.scans.keys().any(|k| k.contains('\'')));
        });
    }

    #[test]
    fn mapped_addresses_match() {
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(canonical(mapped), "127.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
