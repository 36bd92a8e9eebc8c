//! The production topology without containers: PostgreSQL, TWO real `xiaoan serve` processes
//! sharing one JWT secret, and Debian's nginx on loopback running deploy/nginx.conf — the file
//! the frontend image uses — in front of them. The main flows go through nginx.
//!
//! Always on PostgreSQL (replicas share one PostgreSQL in production; SQLite is one process).
//! Needs `nginx` (scripts/ensure-test-deps.sh installs Debian's nginx-light).

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use xiaoan_api_tests::*;

struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nginx_binary() -> PathBuf {
    for candidate in ["/usr/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(candidate).is_file() {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "nginx is not installed: run scripts/ensure-test-deps.sh (installs Debian's nginx-light)"
    );
}

/// Renders deploy/nginx.conf the way the image's envsubst does and starts nginx on it.
async fn start_nginx(dir: &Path, spa_root: &Path, backends: &[u16]) -> Nginx {
    let template =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nginx.conf"))
            .expect("deploy/nginx.conf");
    let port = free_port();
    let upstreams: String = backends
        .iter()
        .map(|p| format!("server 127.0.0.1:{p} max_fails=3 fail_timeout=10s; "))
        .collect();
    let site = template
        .replace("${XIAOAN_LISTEN}", &format!("127.0.0.1:{port}"))
        .replace("${XIAOAN_UPSTREAMS}", &upstreams)
        .replace("${XIAOAN_SPA_ROOT}", &spa_root.display().to_string());
    assert!(
        !site.contains("${XIAOAN_"),
        "a placeholder was left unrendered"
    );
    std::fs::write(dir.join("site.conf"), site).unwrap();
    let d = dir.display();
    // The image's /etc/nginx/nginx.conf, reduced to what a non-daemon test instance needs.
    let main = format!(
        "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n\
           access_log {d}/access.log;\n  sendfile on;\n  keepalive_timeout 65;\n\
           client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
           include {d}/site.conf;\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let conf = dir.join("nginx.conf");
    let check = Command::new(nginx_binary())
        .args(["-t", "-q", "-e", "stderr", "-p"])
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let child = Command::new(nginx_binary())
        .args(["-e", "stderr", "-p"])
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        .args(["-g", "daemon off;"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start nginx");
    let nginx = Nginx {
        child,
        port,
        dir: dir.to_owned(),
    };
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("http://127.0.0.1:{port}/api/health"))
            .send()
            .await
            .is_ok()
        {
            return nginx;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "nginx did not come up: {}",
        std::fs::read_to_string(nginx.dir.join("error.log")).unwrap_or_default()
    );
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> Resp {
    let mut req = client.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    TestApp::finish(req).await
}

/// Requests counted by one backend for a route pattern (its own /metrics, over loopback).
async fn served(backend: &ServerProcess, route: &str) -> u64 {
    let text = reqwest::get(format!("{}/metrics", backend.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("xiaoan_http_requests_total{")
                && l.contains(&format!("route=\"{route}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn two_replicas_behind_nginx_on_postgresql() {
    let db = ScratchDb::new_for(Backend::Postgres).await;
    let dir = db.dir.clone();
    // A stand-in for the built SPA: an index and a hashed bundle.
    let spa = dir.join("dist");
    std::fs::create_dir_all(spa.join("assets")).unwrap();
    std::fs::write(
        spa.join("index.html"),
        "<!doctype html><title>校安</title><div id=app></div>",
    )
    .unwrap();
    let bundle = "export const x = 1;\n".repeat(200);
    std::fs::write(spa.join("assets/index-3f9a1c2b.js"), &bundle).unwrap();

    // The first replica migrates and loads the demo school; the second starts on the migrated
    // database (compose runs `xiaoan migrate` once before the replicas for the same reason).
    // Photos live in one directory shared by the replicas (a named volume in compose).
    let photos = dir.join("attachments");
    let common = [
        ("XIAOAN_DATABASE_URL", db.url.as_str()),
        ("XIAOAN_TRUSTED_PROXIES", "127.0.0.1"),
        ("XIAOAN_ATTACHMENTS_DIR", photos.to_str().unwrap()),
        // Replicas share the master key that seals the secrets in the database (compose: .env).
        (
            "XIAOAN_MASTER_KEY",
            "dG9wb2xvZ3ktdGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmctZW5vdWdo",
        ),
    ];
    let data_a = dir.join("a");
    let data_b = dir.join("b");
    let mut env_a = common.to_vec();
    env_a.push(("XIAOAN_DATA_DIR", data_a.to_str().unwrap()));
    env_a.push(("XIAOAN_DEMO", "true"));
    let a = ServerProcess::start(&env_a, dir.join("a.log")).await;
    let mut env_b = common.to_vec();
    env_b.push(("XIAOAN_DATA_DIR", data_b.to_str().unwrap()));
    let mut b = ServerProcess::start(&env_b, dir.join("b.log")).await;

    std::fs::create_dir_all(dir.join("nginx")).unwrap();
    let nginx = start_nginx(&dir.join("nginx"), &spa, &[a.port, b.port]).await;
    let front = format!("http://127.0.0.1:{}", nginx.port);
    let client = reqwest::Client::new();
    use reqwest::Method as M;

    // --- The SPA: history fallback, security headers, caching, gzip.
    let r = call(&client, M::GET, format!("{front}/"), None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("<div id=app>"));
    assert_eq!(r.headers["cache-control"], "no-cache");
    assert_eq!(r.headers["x-frame-options"], "DENY");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert!(
        r.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let r = call(&client, M::GET, format!("{front}/guard/scan"), None, None).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "history-mode route gets index.html"
    );
    assert!(r.text.contains("<div id=app>"));
    let r = client
        .get(format!("{front}/assets/index-3f9a1c2b.js"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(
        r.bytes().await.unwrap().len() < bundle.len() / 4,
        "gzip shrank the bundle"
    );
    let r = call(
        &client,
        M::GET,
        format!("{front}/assets/missing-0000.js"),
        None,
        None,
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "a missing bundle is 404, not index.html"
    );

    // --- Operational endpoints are not public; the API document and Swagger UI are.
    let r = call(&client, M::GET, format!("{front}/metrics"), None, None).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "/metrics is not served through nginx"
    );
    let r = call(
        &client,
        M::GET,
        format!("{front}/api-docs/openapi.json"),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["paths"]["/api/v1/auth/login"].is_object());
    let r = call(&client, M::GET, format!("{front}/swagger-ui/"), None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = call(&client, M::GET, format!("{front}/api/ready"), None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(
        r.headers.get_all("x-frame-options").iter().count(),
        1,
        "headers not doubled"
    );

    // --- Sign in through nginx; the token works on both replicas (shared secret, shared DB).
    let login = call(
        &client,
        M::POST,
        format!("{front}/api/v1/auth/login"),
        None,
        Some(json!({"username": "office", "password": PASSWORD})),
    )
    .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let access = login.body["access_token"].as_str().unwrap().to_owned();
    let refresh = login.body["refresh_token"].as_str().unwrap().to_owned();
    for replica in [&a, &b] {
        let me = call(
            &client,
            M::GET,
            format!("{}/api/v1/me", replica.base),
            Some(&access),
            None,
        )
        .await;
        assert_eq!(
            me.status,
            StatusCode::OK,
            "token accepted by {}",
            replica.base
        );
        assert_eq!(me.body["username"], "office");
    }
    // Through nginx the requests are spread over both replicas.
    let before = (
        served(&a, "/api/v1/students").await,
        served(&b, "/api/v1/students").await,
    );
    for _ in 0..6 {
        let r = call(
            &client,
            M::GET,
            format!("{front}/api/v1/students?limit=5"),
            Some(&access),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["items"].as_array().unwrap().len(), 5);
    }
    let after = (
        served(&a, "/api/v1/students").await,
        served(&b, "/api/v1/students").await,
    );
    assert!(
        after.0 > before.0 && after.1 > before.1,
        "both replicas served: {before:?} → {after:?}"
    );

    // Refresh rotates on whichever replica; the old refresh token is then dead on every replica.
    let r = call(
        &client,
        M::POST,
        format!("{}/api/v1/auth/refresh", a.base),
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let access2 = r.body["access_token"].as_str().unwrap().to_owned();
    let r = call(
        &client,
        M::POST,
        format!("{}/api/v1/auth/refresh", b.base),
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "reused refresh token refused by the other replica"
    );
    assert_eq!(r.code(), "refresh_token_reused");
    // Reuse revoked the whole family, on both replicas.
    let r = call(
        &client,
        M::GET,
        format!("{front}/api/v1/me"),
        Some(&access2),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);

    // A write through nginx is visible through the other replica at once.
    let office = call(
        &client,
        M::POST,
        format!("{front}/api/v1/auth/login"),
        None,
        Some(json!({"username": "office", "password": PASSWORD})),
    )
    .await;
    let office = office.body["access_token"].as_str().unwrap().to_owned();
    let classes = call(
        &client,
        M::GET,
        format!("{front}/api/v1/classes"),
        Some(&office),
        None,
    )
    .await;
    let class_id = classes.body[0]["id"].as_str().unwrap().to_owned();
    let created = call(
        &client,
        M::POST,
        format!("{}/api/v1/students", a.base),
        Some(&office),
        Some(json!({"student_no": "T2026099", "name": "欧阳拓扑", "class_id": class_id, "guardian_phone": "13912345678"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_str().unwrap();
    let seen = call(
        &client,
        M::GET,
        format!("{}/api/v1/students/{id}", b.base),
        Some(&office),
        None,
    )
    .await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.body["name"], "欧阳拓扑");

    // A guard through nginx sees no guardian contact.
    let guard = call(
        &client,
        M::POST,
        format!("{front}/api/v1/auth/login"),
        None,
        Some(json!({"username": "guard1", "password": PASSWORD})),
    )
    .await;
    let guard = guard.body["access_token"].as_str().unwrap().to_owned();
    let r = call(
        &client,
        M::GET,
        format!("{front}/api/v1/students?limit=50"),
        Some(&guard),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.text.contains("guardian"),
        "guards never see guardian contact"
    );

    // A leave pass issued by one replica is scanned at the gate by the other: allowed once,
    // and the second scan (at the other replica) is denied — one database decides.
    let student = created.body["id"].as_str().unwrap().to_owned();
    let until = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let pass = call(
        &client,
        M::POST,
        format!("{}/api/v1/leave-passes", a.base),
        Some(&office),
        Some(json!({"student_id": student, "kind": "exit_only", "reason": "看病", "valid_until": until})),
    )
    .await;
    assert_eq!(pass.status, StatusCode::CREATED, "{}", pass.text);
    let qr = pass.body["token"].as_str().unwrap().to_owned();
    let scan = |base: String, event: &'static str| {
        let (client, guard, qr) = (client.clone(), guard.clone(), qr.clone());
        async move {
            call(
                &client,
                M::POST,
                format!("{base}/api/v1/gate/scans"),
                Some(&guard),
                Some(json!({"token": qr, "direction": "exit", "gate": "南门", "client_event_id": event})),
            )
            .await
        }
    };
    let first = scan(b.base.clone(), "topology-scan-1").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["result"], "allow", "{}", first.text);
    let second = scan(a.base.clone(), "topology-scan-2").await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert_eq!(
        second.body["result"], "deny",
        "a pass lets a student out once: {}",
        second.text
    );
    let metrics = reqwest::get(format!("{}/metrics", b.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("xiaoan_gate_scans_total{verdict=\"allow\"} 1"),
        "{metrics}"
    );

    // A photo uploaded through nginx (either replica) is served by both: one shared directory.
    let part = reqwest::multipart::Part::bytes(png_bytes(800, 600))
        .file_name("隐患.png")
        .mime_str("image/png")
        .unwrap();
    let up = TestApp::finish(
        client
            .post(format!("{front}/api/v1/attachments"))
            .bearer_auth(&office)
            .multipart(reqwest::multipart::Form::new().part("file", part)),
    )
    .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);
    let photo = up.body["id"].as_str().unwrap().to_owned();
    for replica in [&a, &b] {
        let r = client
            .get(format!("{}/api/v1/attachments/{photo}", replica.base))
            .bearer_auth(&office)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "photo served by {}",
            replica.base
        );
        assert_eq!(r.headers()["content-type"], "image/png");
    }

    // --- One replica dies: nginx keeps serving reads from the other.
    b.kill9();
    for _ in 0..6 {
        let r = call(
            &client,
            M::GET,
            format!("{front}/api/v1/me"),
            Some(&office),
            None,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "served by the surviving replica: {}",
            r.text
        );
    }

    // --- The JSON logs: one JSON object per line, route patterns only, no personal data.
    drop(nginx);
    let logs = std::fs::read_to_string(&a.log).unwrap() + &std::fs::read_to_string(&b.log).unwrap();
    let mut requests = 0;
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
        if v["fields"]["message"] == "request" {
            requests += 1;
            let route = v["fields"]["route"].as_str().unwrap();
            assert!(!route.contains(id), "a concrete id in the log: {line}");
        }
    }
    assert!(requests > 20, "request lines were logged ({requests})");
    for secret in [
        "欧阳拓扑",
        "13912345678",
        PASSWORD,
        &access,
        &refresh,
        "limit=5",
        JWT_SECRET,
    ] {
        assert!(
            !logs.contains(secret),
            "the log contains personal data or a secret: {secret}"
        );
    }
}
