//! `/metrics`: Prometheus text with route patterns (never concrete ids), latency, the pool and
//! gate scans; readable from allow-listed addresses or with the bearer token only; not part of
//! the API document.

use reqwest::StatusCode;
use xiaoan_api_tests::*;

const TOKEN: &str = "metrics-token-0123456789abcdef";

async fn scrape(
    app: &TestApp,
    token: Option<&str>,
    forwarded_for: Option<&str>,
) -> (StatusCode, String) {
    let mut req = app.client.get(app.url("/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(f) = forwarded_for {
        req = req.header("X-Forwarded-For", f);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = r.text().await.unwrap();
    if status == StatusCode::OK {
        assert!(ct.unwrap().starts_with("text/plain; version=0.0.4"));
    }
    (status, text)
}

#[tokio::test]
async fn loopback_reads_prometheus_text_with_route_patterns() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let class = app.class_ids().await.into_values().next().unwrap();
    let student = app.students_of(&class).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .get(&format!("/api/v1/students/{student}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.get("/api/v1/no-such-route/123", &office).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    xiaoan::infra::metrics::record_scan("allow");
    xiaoan::infra::metrics::record_scan("deny");

    let (status, text) = scrape(&app, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains(
        "xiaoan_http_requests_total{method=\"GET\",route=\"/api/v1/students/{id}\",status=\"200\"}"
    ), "{text}");
    assert!(
        text.contains("route=\"unmatched\",status=\"404\""),
        "unknown paths fold into one label"
    );
    assert!(
        !text.contains(&student),
        "a concrete id leaked into a label"
    );
    assert!(!text.contains("no-such-route"));
    assert!(text.contains("# TYPE xiaoan_http_request_duration_seconds histogram"));
    assert!(text.contains(
        "xiaoan_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/auth/login\",le=\"+Inf\"}"
    ));
    assert!(text.contains("xiaoan_db_pool_connections{state=\"idle\"}"));
    assert!(text.contains("xiaoan_db_pool_max_connections 8"));
    assert!(text.contains("xiaoan_gate_scans_total{verdict=\"allow\"}"));
    assert!(text.contains("xiaoan_gate_scans_total{verdict=\"deny\"}"));
    // Every sample line is `name{labels} number` or `name number`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "bad sample: {line}");
    }

    // Operational, not API: absent from the OpenAPI document.
    let spec = app
        .request(reqwest::Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    assert!(spec.body["paths"].get("/metrics").is_none());
}

#[tokio::test]
async fn token_or_allow_list_only() {
    let app = spawn_app_with(AppOptions::default(), |s| {
        s.metrics_allow = vec![];
        s.metrics_token = Some(TOKEN.into());
    })
    .await;
    assert_eq!(scrape(&app, None, None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        scrape(&app, Some("metrics-token-0123456789abcdeX"), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let user = app.token("office").await;
    assert_eq!(
        scrape(&app, Some(&user), None).await.0,
        StatusCode::FORBIDDEN,
        "a user's token is not the metrics token"
    );
    let (status, text) = scrape(&app, Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("xiaoan_http_requests_total"));
}

#[tokio::test]
async fn a_proxied_outsider_is_not_loopback() {
    // Behind a trusted proxy on loopback, the client's address is the forwarded one: an outside
    // client relayed by the proxy must not pass the loopback allow-list.
    let app = spawn_app_with(AppOptions::default(), |s| {
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    assert_eq!(
        scrape(&app, None, Some("203.0.113.9")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(scrape(&app, None, None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn invented_methods_are_refused_and_share_one_label() {
    let app = spawn_app().await;
    let series = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("xiaoan_http_requests_total{"))
            .count()
    };
    // Warm up: one invented method creates the `other` series.
    let r = app
        .request(
            reqwest::Method::from_bytes(b"XMETH0").unwrap(),
            "/api/v1/students",
            None,
            None,
        )
        .await;
    // On a declared path: 405 naming the path's methods; anywhere else: 501.
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), "method_not_allowed");
    assert_eq!(r.headers["allow"], "GET, POST");
    let before = series(&scrape(&app, None, None).await.1);
    for i in 1..200 {
        let m = reqwest::Method::from_bytes(format!("XMETH{i}").as_bytes()).unwrap();
        let (path, status, code) = if i % 2 == 0 {
            (
                "/api/v1/students",
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
            )
        } else {
            ("/", StatusCode::NOT_IMPLEMENTED, "method_not_implemented")
        };
        let r = app.request(m, path, None, None).await;
        assert_eq!(r.status, status, "{i}");
        assert_eq!(r.code(), code, "{i}");
    }
    // TRACE is standard but not served: on an API path it is a 405 like any undeclared method.
    let r = app
        .request(reqwest::Method::TRACE, "/api/health", None, None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers["allow"], "GET");
    let (_, text) = scrape(&app, None, None).await;
    assert!(!text.contains("XMETH"), "a client's method became a label");
    for status in ["405", "501"] {
        assert!(
            text.lines()
                .any(|l| l.contains("method=\"other\"")
                    && l.contains(&format!("status=\"{status}\""))),
            "{text}"
        );
    }
    // Other tests in this binary share the registry, so allow for their own series; 199
    // invented methods would have added at least 199.
    assert!(
        series(&text) < before + 50,
        "{} → {}",
        before,
        series(&text)
    );
}

#[tokio::test]
async fn undeclared_method_on_a_known_path_is_405_with_allow() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let class = app.class_ids().await.into_values().next().unwrap();
    let student = app.students_of(&class).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .delete(&format!("/api/v1/students/{student}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), "method_not_allowed");
    assert_eq!(r.headers["allow"], "GET, PATCH");
    let r = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/students",
            Some(&office),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers["allow"], "GET, POST");
    // A path no route has stays 404.
    let r = app.delete("/api/v1/no-such-route", &office).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "route_not_found");
}
