//! 信息推送: channels against local receivers that check what the documentation requires —
//! Standard Webhooks signatures (verified by Python's hmac, not the server's code), the
//! DingTalk robot's signed query and markdown body, the WeCom robot's markdown body, their
//! size limits and 20-a-minute rate (bursts merged, nothing dropped), retries after a 500,
//! secret rotation with two signatures, the URL guard, and class teachers' own class only.
//! Nothing leaves the machine: every target is a receiver on 127.0.0.1.

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use xiaoan_api_tests::*;

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    target: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Seen {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
    fn query(&self) -> HashMap<String, String> {
        let q = self.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

/// A minimal HTTP/1.1 server: records each request, answers from a script (then 200 with
/// the robots' `{"errcode":0}`).
struct Receiver {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let (s, sc) = (seen.clone(), script.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let (s, sc) = (s.clone(), sc.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    let head_end = loop {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let mut lines = head.split("\r\n");
                    let first: Vec<&str> = lines.next().unwrap().split(' ').collect();
                    let headers: HashMap<String, String> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let len: usize = headers
                        .get("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let mut body = buf[head_end + 4..].to_vec();
                    while body.len() < len {
                        let n = sock.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        body.extend_from_slice(&chunk[..n]);
                    }
                    s.lock().unwrap().push(Seen {
                        method: first[0].to_owned(),
                        target: first[1].to_owned(),
                        headers,
                        body,
                    });
                    let status = sc.lock().unwrap().pop_front().unwrap_or(200);
                    let answer = if status == 200 {
                        r#"{"errcode":0,"errmsg":"ok"}"#
                    } else {
                        r#"{"error":"boom"}"#
                    };
                    let resp = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Self { port, seen, script }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (or fails after 20 s).
    async fn wait_for(&self, n: usize) -> Vec<Seen> {
        for _ in 0..200 {
            let s = self.seen();
            if s.len() >= n {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} requests, got {}", self.seen().len());
    }
}

/// Verifies with Python's standard library, independently of the server's Rust code.
fn python(script: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The Standard Webhooks check: every `v1,` signature of the header that matches
/// HMAC-SHA256(base64-decoded secret after `whsec_`, "id.timestamp.body").
fn standard_webhooks_matches(secret: &str, seen: &Seen) -> usize {
    let body = String::from_utf8(seen.body.clone()).unwrap();
    python(
        r#"
import base64, hashlib, hmac, sys
secret, msg_id, ts, sigs, body = sys.argv[1:6]
key = base64.b64decode(secret[len("whsec_"):])
mac = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.{body}".encode(), hashlib.sha256).digest()).decode()
print(sum(1 for s in sigs.split(" ") if s.startswith("v1,") and hmac.compare_digest(s[3:], mac)))
"#,
        &[
            secret,
            &seen.headers["webhook-id"],
            &seen.headers["webhook-timestamp"],
            &seen.headers["webhook-signature"],
            &body,
        ],
    )
    .parse()
    .unwrap()
}

async fn local_app() -> TestApp {
    spawn_app_with(AppOptions::default(), |s| {
        s.channels_allow_private = true;
        s.channels_retry_speedup = 100;
    })
    .await
}

async fn subscribe(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/api/v1/subscriptions", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

async fn deliveries(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/subscriptions/{id}/deliveries"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

/// Waits until every delivery of the channel is `delivered` (or fails after 20 s).
async fn all_delivered(app: &TestApp, token: &str, id: &str, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let d = deliveries(app, token, id).await;
        if d.len() >= n && d.iter().all(|x| x["status"] == "delivered") {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not delivered: {:?}", deliveries(app, token, id).await);
}

#[tokio::test]
async fn webhooks_are_signed_as_standard_webhooks_and_secrets_rotate_with_overlap() {
    let app = local_app().await;
    let rx = Receiver::start().await;
    let office = app.token("office").await;
    let sub = subscribe(
        &app,
        &office,
        json!({"name": "保卫科系统", "kind": "webhook", "audience": "system",
               "url": rx.url("/hooks/xiaoan"), "event_kinds": ["pass.overdue"]}),
    )
    .await;
    let id = sub["id"].as_str().unwrap();
    let secret = sub["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{sub}");
    assert!(sub["signed"].as_bool().unwrap());
    // Shown once: never in a listing.
    let list = app.get("/api/v1/subscriptions", &office).await;
    assert!(!list.text.contains(&secret));

    let r = app
        .post(
            &format!("/api/v1/subscriptions/{id}/test"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let got = rx.wait_for(1).await;
    let req = &got[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.target, "/hooks/xiaoan");
    assert_eq!(req.headers["content-type"], "application/json");
    // webhook-id is the stable id; the timestamp is integer Unix seconds, now.
    assert_eq!(
        req.headers["webhook-id"],
        r.body["event_id"].as_str().unwrap()
    );
    let ts: i64 = req.headers["webhook-timestamp"].parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - ts).abs() < 300);
    assert_eq!(standard_webhooks_matches(&secret, req), 1);
    let body = req.json();
    assert_eq!(body["type"], "channel.test");
    assert_eq!(body["id"], r.body["event_id"]);
    assert!(body["timestamp"].as_str().is_some() && body["data"].is_object());
    // A wrong secret or a changed body does not verify.
    let mut tampered = req.clone();
    tampered.body.push(b' ');
    assert_eq!(standard_webhooks_matches(&secret, &tampered), 0);

    // Rotation: the new secret shown once; both sign during the overlap.
    let r = app
        .post(
            &format!("/api/v1/subscriptions/{id}/rotate-secret"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let fresh = r.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(fresh, secret);
    app.post(
        &format!("/api/v1/subscriptions/{id}/test"),
        &office,
        json!({}),
    )
    .await;
    let got = rx.wait_for(2).await;
    let req = &got[1];
    assert_eq!(req.headers["webhook-signature"].split(' ').count(), 2);
    assert_eq!(standard_webhooks_matches(&fresh, req), 1);
    assert_eq!(standard_webhooks_matches(&secret, req), 1);

    // At rest the URL and the secrets are sealed.
    let clear = app
        .sql_count(&format!(
            "SELECT COUNT(*) AS n FROM channels WHERE url_sealed LIKE '%hooks/xiaoan%' \
             OR secret_sealed LIKE '%{}%'",
            &fresh[6..16]
        ))
        .await;
    assert_eq!(clear, 0);
    let log = all_delivered(&app, &office, id, 2).await;
    let a = &log[0]["attempt_log"][0];
    assert_eq!(a["outcome"], "ok");
    assert_eq!(a["status_code"], 200);
    assert!(a["latency_ms"].as_i64().unwrap() >= 0);
}

#[tokio::test]
async fn dingtalk_robot_requests_are_signed_and_markdown_within_limits() {
    let app = local_app().await;
    let rx = Receiver::start().await;
    let office = app.token("office").await;
    let ding_secret = "SECd3f1e2a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1";
    let sub = subscribe(
        &app,
        &office,
        json!({"name": "保卫科值班群", "kind": "dingtalk", "audience": "security_office",
               "url": rx.url("/robot/send?access_token=tok123"), "secret": ding_secret,
               "event_kinds": ["visitor.flagged"], "min_severity": "warning"}),
    )
    .await;
    assert!(
        sub["secret"].is_null(),
        "a robot's own secret is never echoed"
    );
    assert!(!sub["url_hint"].as_str().unwrap().contains("tok123"));
    let id = sub["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/subscriptions/{id}/test"),
        &office,
        json!({}),
    )
    .await;
    let req = &rx.wait_for(1).await[0];
    assert!(req.target.starts_with("/robot/send?"), "{}", req.target);
    let q = req.query();
    assert_eq!(q["access_token"], "tok123");
    // timestamp in milliseconds, within an hour of now (DingTalk refuses otherwise).
    let ts: i64 = q["timestamp"].parse().unwrap();
    assert!((chrono::Utc::now().timestamp_millis() - ts).abs() < 3_600_000);
    // sign = urlencode(base64(HmacSHA256(secret, timestamp + "\n" + secret))), as documented.
    let expected = python(
        r#"
import base64, hashlib, hmac, sys, urllib.parse
secret, ts = sys.argv[1:3]
mac = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
print(urllib.parse.quote_plus(base64.b64encode(mac)))
"#,
        &[ding_secret, &q["timestamp"]],
    );
    assert_eq!(q["sign"], expected);
    assert!(req.headers["content-type"].starts_with("application/json"));
    let body = req.json();
    assert_eq!(body["msgtype"], "markdown");
    let title = body["markdown"]["title"].as_str().unwrap();
    let text = body["markdown"]["text"].as_str().unwrap();
    assert_eq!(title, "测试消息");
    assert!(text.starts_with("### 测试消息"), "{text}");
    assert!(text.contains("这是一条来自校安的测试消息"));
    assert!(text.len() <= 4096);
}

#[tokio::test]
async fn wecom_bursts_stay_within_20_a_minute_as_one_digest_nothing_dropped() {
    let app = local_app().await;
    let rx = Receiver::start().await;
    let office = app.token("office").await;
    let sub = subscribe(
        &app,
        &office,
        json!({"name": "校办群", "kind": "wecom", "audience": "school_office",
               "url": rx.url("/cgi-bin/webhook/send?key=k-693a91f6"),
               "event_kinds": ["roster.published"]}),
    )
    .await;
    let id = sub["id"].as_str().unwrap().to_owned();
    // 25 messages at once: queued while the channel is off, so one round sees them all.
    let r = app
        .patch(
            &format!("/api/v1/subscriptions/{id}"),
            &office,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let futs = (0..25).map(|_| {
        let (app, office, id) = (&app, &office, &id);
        async move {
            let r = app
                .post(
                    &format!("/api/v1/subscriptions/{id}/test"),
                    office,
                    json!({}),
                )
                .await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        }
    });
    futures_util::future::join_all(futs).await;
    let r = app
        .patch(
            &format!("/api/v1/subscriptions/{id}"),
            &office,
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let log = all_delivered(&app, &office, &id, 25).await;
    let seen = rx.seen();
    assert!(
        seen.len() <= 20,
        "{} messages within the minute",
        seen.len()
    );
    for req in &seen {
        assert_eq!(req.target, "/cgi-bin/webhook/send?key=k-693a91f6");
        let body = req.json();
        assert_eq!(body["msgtype"], "markdown");
        let content = body["markdown"]["content"].as_str().unwrap();
        assert!(content.len() <= 4096, "{} bytes", content.len());
    }
    let digests: Vec<_> = log
        .iter()
        .filter(|d| d["attempt_log"][0]["digest"] == true)
        .collect();
    assert!(
        !digests.is_empty(),
        "the burst beyond the budget is one digest"
    );
    let digest_text = seen
        .iter()
        .map(|r| r.json()["markdown"]["content"].as_str().unwrap().to_owned())
        .find(|c| c.contains("条消息汇总"))
        .expect("a digest message");
    assert!(
        digest_text.contains(&format!("{} 条消息汇总", digests.len())),
        "{digest_text}"
    );
    // Every one of the 25 is delivered, in singles or the digest.
    assert_eq!(log.len(), 25);
    assert_eq!(seen.len(), 25 - digests.len() + 1);
}

#[tokio::test]
async fn a_receiver_answering_500_gets_the_same_message_again_then_it_is_delivered() {
    let app = local_app().await;
    let rx = Receiver::start().await;
    rx.script.lock().unwrap().extend([500, 503]);
    let office = app.token("office").await;
    let sub = subscribe(
        &app,
        &office,
        json!({"name": "外部系统", "kind": "webhook", "audience": "system",
               "url": rx.url("/in"), "event_kinds": ["hazard.reported"]}),
    )
    .await;
    let id = sub["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/subscriptions/{id}/test"),
        &office,
        json!({}),
    )
    .await;
    let log = all_delivered(&app, &office, id, 1).await;
    let d = &log[0];
    assert_eq!(d["attempts"], 3);
    let attempts = d["attempt_log"].as_array().unwrap();
    assert_eq!(attempts.len(), 3);
    assert_eq!(attempts[0]["status_code"], 500);
    assert_eq!(attempts[0]["outcome"], "http_error");
    assert_eq!(attempts[1]["status_code"], 503);
    assert_eq!(attempts[2]["outcome"], "ok");
    let seen = rx.seen();
    assert_eq!(seen.len(), 3);
    // At least once with a stable id: the receiver deduplicates by webhook-id.
    assert!(
        seen.iter()
            .all(|s| s.headers["webhook-id"] == seen[0].headers["webhook-id"])
    );
    assert!(seen.iter().all(|s| s.body == seen[0].body));
    // The channel recovered: no failing state.
    let list = app.get("/api/v1/subscriptions", &office).await;
    let me = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == *id)
        .unwrap()
        .clone();
    assert!(me["failing_since"].is_null(), "{me}");

    // The office resends a delivered one: the same id arrives again.
    let r = app
        .post(
            &format!("/api/v1/deliveries/{}/resend", d["id"].as_str().unwrap()),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let seen = rx.wait_for(4).await;
    assert_eq!(seen[3].headers["webhook-id"], seen[0].headers["webhook-id"]);
    let teacher = app.token("teacher1").await;
    let r = app
        .post(
            &format!("/api/v1/deliveries/{}/resend", d["id"].as_str().unwrap()),
            &teacher,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!app.audit("action=delivery.resend").await.is_empty());
}

#[tokio::test]
async fn loopback_private_and_link_local_targets_are_refused_unless_configured() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:8080/hook",
        "http://10.0.0.8/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fd12::1]/hook",
    ] {
        let r = app
            .post(
                "/api/v1/subscriptions",
                &office,
                json!({"name": "内网", "kind": "webhook", "audience": "system", "url": url,
                       "event_kinds": ["pass.overdue"]}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            r.text
        );
        assert_eq!(r.code(), "channel_target_not_allowed", "{url}");
    }
    for (url, kind) in [
        ("ftp://example.com/x", "webhook"),
        ("https://oapi.dingtalk.com/robot/send", "dingtalk"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "wecom"),
    ] {
        let r = app
            .post(
                "/api/v1/subscriptions",
                &office,
                json!({"name": "x", "kind": kind, "audience": "system", "url": url,
                       "event_kinds": ["pass.overdue"]}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            r.text
        );
        assert_eq!(r.code(), "validation_failed");
    }
    let r = app
        .post(
            "/api/v1/subscriptions",
            &office,
            json!({"name": "x", "kind": "webhook", "audience": "system",
                   "url": "https://hooks.invalid/x", "event_kinds": ["no.such_kind"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(app.sql_count("SELECT COUNT(*) AS n FROM channels").await, 0);
}

#[tokio::test]
async fn a_class_teacher_connects_only_the_own_class_group() {
    let app = local_app().await;
    let rx = Receiver::start().await;
    let t1 = app.token("teacher1").await;
    let t2 = app.token("teacher2").await;
    let office = app.token("office").await;
    let own = app.own_class_id("teacher1").await;
    let other = app.own_class_id("teacher2").await;
    let body = |class_id: &str, audience: &str| {
        json!({"name": "班级群", "kind": "wecom", "audience": audience,
               "url": rx.url("/cgi-bin/webhook/send?key=class"), "class_id": class_id,
               "event_kinds": ["pass.overdue", "gate.exit"]})
    };
    let r = app
        .post("/api/v1/subscriptions", &t1, body(&other, "class_group"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "not_own_class");
    let r = app
        .post("/api/v1/subscriptions", &t1, body(&own, "security_office"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let mine = subscribe(&app, &t1, body(&own, "class_group")).await;
    assert_eq!(mine["class_id"], own.as_str());
    let theirs = subscribe(&app, &t2, body(&other, "class_group")).await;
    let office_sub = subscribe(
        &app,
        &office,
        json!({"name": "保卫科", "kind": "wecom", "audience": "security_office",
               "url": rx.url("/cgi-bin/webhook/send?key=office"), "event_kinds": ["pass.overdue"]}),
    )
    .await;
    // Lists: own class groups only.
    let list = app.get("/api/v1/subscriptions", &t1).await;
    let ids: Vec<_> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].clone())
        .collect();
    assert_eq!(ids, vec![mine["id"].clone()]);
    let all = app.get("/api/v1/subscriptions", &office).await;
    assert_eq!(all.body.as_array().unwrap().len(), 3);
    // Another class's or the office's channel: not_own_class, whatever the operation.
    for target in [&theirs, &office_sub] {
        let id = target["id"].as_str().unwrap();
        let r = app
            .patch(
                &format!("/api/v1/subscriptions/{id}"),
                &t1,
                json!({"enabled": false}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert_eq!(r.code(), "not_own_class");
        let r = app
            .get(&format!("/api/v1/subscriptions/{id}/deliveries"), &t1)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .post(&format!("/api/v1/subscriptions/{id}/test"), &t1, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .delete(&format!("/api/v1/subscriptions/{id}"), &t1)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    // Own: test, change, remove.
    let id = mine["id"].as_str().unwrap();
    let r = app
        .post(&format!("/api/v1/subscriptions/{id}/test"), &t1, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    all_delivered(&app, &t1, id, 1).await;
    let r = app
        .patch(
            &format!("/api/v1/subscriptions/{id}"),
            &t1,
            json!({"event_kinds": ["pass.overdue"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["event_kinds"], json!(["pass.overdue"]));
    let r = app
        .delete(&format!("/api/v1/subscriptions/{id}"), &t1)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    // Guards and safety officers connect nothing.
    let guard = app.token("guard1").await;
    let r = app
        .post("/api/v1/subscriptions", &guard, body(&own, "class_group"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn events_reach_the_channels_that_take_them_and_only_their_class() {
    let app = local_app().await;
    let rx = Receiver::start().await;
    let office = app.token("office").await;
    let t1 = app.token("teacher1").await;
    let t2 = app.token("teacher2").await;
    let own = app.own_class_id("teacher1").await;
    let other = app.own_class_id("teacher2").await;
    let hook = subscribe(
        &app,
        &office,
        json!({"name": "校办系统", "kind": "webhook", "audience": "system",
               "url": rx.url("/all"), "event_kinds": ["pass.issued"]}),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    subscribe(
        &app,
        &t1,
        json!({"name": "一班群", "kind": "wecom", "audience": "class_group", "class_id": own,
               "url": rx.url("/own?key=own"), "event_kinds": ["pass.issued"]}),
    )
    .await;
    subscribe(
        &app,
        &t2,
        json!({"name": "二班群", "kind": "wecom", "audience": "class_group", "class_id": other,
               "url": rx.url("/other?key=other"), "event_kinds": ["pass.issued"]}),
    )
    .await;
    let student = app.students_of(&own).await[1].clone();
    let r = app
        .post(
            "/api/v1/leave-passes",
            &t1,
            json!({"student_id": student["id"], "kind": "exit_only", "reason": "家中有事",
                   "valid_until": (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let seen = rx.wait_for(2).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen_now = rx.seen();
    assert_eq!(seen_now.len(), 2, "{seen:?}");
    assert!(
        seen_now.iter().all(|s| !s.target.starts_with("/other")),
        "another class's group heard nothing"
    );
    let hook_req = seen_now
        .iter()
        .find(|s| s.target == "/all")
        .expect("the webhook");
    assert_eq!(standard_webhooks_matches(&secret, hook_req), 1);
    let body = hook_req.json();
    assert_eq!(body["type"], "pass.issued");
    assert_eq!(body["id"], hook_req.headers["webhook-id"].as_str());
    assert_eq!(body["data"]["student"]["name"], student["name"]);
    let text = String::from_utf8(hook_req.body.clone()).unwrap();
    assert!(!text.contains("家中有事"), "the reason stays on the server");
    let group = seen_now
        .iter()
        .find(|s| s.target.starts_with("/own"))
        .expect("own group");
    let content = group.json()["markdown"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(content.contains("离校凭证已签发"), "{content}");
    assert!(
        content.contains(student["name"].as_str().unwrap()),
        "{content}"
    );
}
