//! Leave passes and the gate: issuing (own class only), the signed credential, scans that
//! count once, replays, bad tokens, offline batches with conflicts, live lists, scopes, audit.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use ed25519_dalek::{Signer, SigningKey};
use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

fn ts(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339()
}

fn event() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The username of one of the test school's people (see `TestApp::school`): `teacher_a` heads
/// class A, `teacher_b` class B, `guard` is its guard; anyone else (`office`) as named.
async fn user(app: &TestApp, who: &str) -> String {
    let s = app.school().await;
    match who {
        "teacher_a" => s.a.teacher.username.clone(),
        "teacher_b" => s.b.teacher.username.clone(),
        "guard" => s.guard.username.clone(),
        other => other.to_owned(),
    }
}

/// An empty school with the test's own school built up front, so that instants a test computes
/// (a return in 6 seconds) are not spent building it.
async fn gate_app() -> TestApp {
    let app = spawn_empty_school().await;
    app.school().await;
    app
}

async fn tok(app: &TestApp, who: &str) -> String {
    app.token(&user(app, who).await).await
}

async fn class_a(app: &TestApp) -> String {
    app.school().await.a.id.clone()
}

/// The `n`th student (in student-number order) of the class `teacher` heads.
async fn student_of(app: &TestApp, teacher: &str, n: usize) -> Value {
    let s = app.school().await;
    let class_id = if teacher == "teacher_b" {
        &s.b.id
    } else {
        &s.a.id
    };
    app.students_of(class_id).await[n].clone()
}

async fn issue(app: &TestApp, who: &str, student_id: &str, body: Value) -> Resp {
    let t = tok(app, who).await;
    let mut b = json!({
        "student_id": student_id,
        "kind": "exit_and_return",
        "reason": "看病(口腔医院复诊)",
        "valid_until": ts(Duration::hours(4)),
        "return_by": ts(Duration::hours(3)),
    });
    if let (Some(m), Some(extra)) = (b.as_object_mut(), body.as_object()) {
        for (k, v) in extra {
            if v.is_null() {
                m.remove(k);
            } else {
                m.insert(k.clone(), v.clone());
            }
        }
    }
    app.post("/api/v1/leave-passes", &t, b).await
}

/// Issues a default pass for the `n`th student of class A; returns the pass JSON.
async fn pass_for(app: &TestApp, n: usize, extra: Value) -> Value {
    let s = student_of(app, "teacher_a", n).await;
    let r = issue(app, "teacher_a", s["id"].as_str().unwrap(), extra).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

async fn scan(app: &TestApp, auth: &str, token: &str, direction: &str, ev: &str) -> Resp {
    app.post(
        "/api/v1/gate/scans",
        auth,
        json!({"token": token, "direction": direction, "gate": "南门", "client_event_id": ev}),
    )
    .await
}

async fn guard_scan(app: &TestApp, token: &str, direction: &str) -> Resp {
    let g = tok(app, "guard").await;
    let r = scan(app, &g, token, direction, &event()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r
}

/// The server's active signing key, read from its database (to forge tokens the server
/// would accept, e.g. already expired ones).
async fn server_key(app: &TestApp) -> ([u8; 8], SigningKey) {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let conn = Database::connect(app.database_url.as_str()).await.unwrap();
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT kid, private_key FROM pass_signing_keys WHERE retired_at IS NULL".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    let kid_text: String = row.try_get("", "kid").unwrap();
    let sealed: String = row.try_get("", "private_key").unwrap();
    let _ = conn.close().await;
    // The seed is stored sealed under the server's master key (`<data_dir>/master.key`).
    let master = xiaoan::infra::keys::MasterKey::load(&xiaoan::Settings {
        data_dir: app.data_dir.clone(),
        ..xiaoan::Settings::default()
    })
    .unwrap();
    let seed = master
        .open(
            &xiaoan::features::passes::keys::seed_context(&kid_text),
            &sealed,
        )
        .unwrap();
    let kid: [u8; 8] = URL_SAFE_NO_PAD
        .decode(kid_text)
        .unwrap()
        .try_into()
        .unwrap();
    let seed: [u8; 32] = seed.try_into().unwrap();
    (kid, SigningKey::from_bytes(&seed))
}

fn payload_of(token: &str) -> Vec<u8> {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], "XA1");
    URL_SAFE_NO_PAD.decode(parts[1]).unwrap()
}

fn sign_payload(payload: &[u8], key: &SigningKey) -> String {
    format!(
        "XA1.{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(key.sign(payload).to_bytes())
    )
}

#[tokio::test]
async fn class_teacher_issues_for_own_class_only() {
    let app = gate_app().await;
    let class2 = &app.school().await.b.id.clone();
    let other = app.students_of(class2).await[0].clone();
    let r = issue(&app, "teacher_a", other["id"].as_str().unwrap(), json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "not_own_class");
    let r = issue(
        &app,
        "teacher_a",
        &uuid::Uuid::now_v7().to_string(),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "student_not_found");
    // The office may issue for any class.
    let r = issue(&app, "office", other["id"].as_str().unwrap(), json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let s = student_of(&app, "teacher_a", 1).await;
    let r = issue(&app, "teacher_a", s["id"].as_str().unwrap(), json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let p = r.body;
    assert_eq!(p["status"], "issued");
    assert_eq!(p["student_name"], s["name"]);
    let token = p["token"].as_str().unwrap();
    assert!(token.len() <= 300, "token is {} chars", token.len());
    // No reason, phone or ID number in the credential: only the name and class as text.
    let payload = payload_of(token);
    let text = String::from_utf8_lossy(&payload);
    assert!(!text.contains("看病"));
    assert!(text.contains(s["name"].as_str().unwrap()));
    if let Some(phone) = s["guardian_phone"].as_str() {
        assert!(!text.contains(phone));
    }

    // Teacher B cannot see it; teacher A and the office can; it lists by class and status.
    let id = p["id"].as_str().unwrap();
    let t2 = tok(&app, "teacher_b").await;
    let r = app.get(&format!("/api/v1/leave-passes/{id}"), &t2).await;
    assert_eq!(r.code(), "not_own_class");
    let t1 = tok(&app, "teacher_a").await;
    let r = app.get(&format!("/api/v1/leave-passes/{id}"), &t1).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["reason"], "看病(口腔医院复诊)");
    let r = app
        .get(&format!("/api/v1/leave-passes?class_id={class2}"), &t1)
        .await;
    assert_eq!(r.code(), "not_own_class");
    let r = app.get("/api/v1/leave-passes?status=issued", &t1).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["id"] == p["id"]));
    let own = class_a(&app).await;
    assert!(
        items
            .iter()
            .all(|i| i["class_id"] == own.as_str() && i["status"] == "issued"),
        "teacher A sees only own class's passes"
    );
    let today = Utc::now()
        .with_timezone(&chrono_tz_shanghai())
        .format("%Y-%m-%d")
        .to_string();
    let office = app.token("office").await;
    let r = app
        .get(
            &format!("/api/v1/leave-passes?date={today}&limit=200"),
            &office,
        )
        .await;
    let ids = ids_of(&r.body["items"]);
    assert!(
        ids.contains(&p["id"].as_str().unwrap().to_owned()),
        "{}",
        r.text
    );
    let r = app
        .get("/api/v1/leave-passes?date=2020-03-02", &office)
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0);

    // The QR code renders.
    let r = app
        .get(&format!("/api/v1/leave-passes/{id}/qr.svg"), &t1)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    assert!(r.text.contains("<svg"));

    let audit = app
        .audit(&format!("action=leave_pass.issue&entity_id={id}"))
        .await;
    assert_eq!(audit.len(), 1);
}

fn ids_of(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i.get("pass_id")
                .or_else(|| i.get("id"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn chrono_tz_shanghai() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap()
}

#[tokio::test]
async fn refused_clearly_for_left_students_bad_windows_and_bad_kinds() {
    let app = gate_app().await;
    let s = student_of(&app, "teacher_a", 2).await;
    let sid = s["id"].as_str().unwrap();
    let r = issue(
        &app,
        "teacher_a",
        sid,
        json!({"valid_from": ts(Duration::hours(-5)), "valid_until": ts(Duration::hours(-1)), "return_by": ts(Duration::hours(-2))}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "pass_window_in_past");
    let r = issue(&app, "teacher_a", sid, json!({"return_by": null})).await;
    assert_eq!(r.code(), "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "return_by");
    let r = issue(&app, "teacher_a", sid, json!({"kind": "forever"})).await;
    assert_eq!(r.code(), "validation_failed");
    let r = issue(
        &app,
        "teacher_a",
        sid,
        json!({"kind": "exit_only", "return_by": null, "valid_until": ts(Duration::days(9))}),
    )
    .await;
    assert_eq!(r.code(), "validation_failed");

    let office = app.token("office").await;
    let r = app
        .patch(
            &format!("/api/v1/students/{sid}"),
            &office,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = issue(&app, "teacher_a", sid, json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "student_disabled");
}

#[tokio::test]
async fn twenty_concurrent_exit_scans_give_exactly_one_allow() {
    let app = gate_app().await;
    let p = pass_for(&app, 1, json!({})).await;
    let token = p["token"].as_str().unwrap().to_owned();
    let g = tok(&app, "guard").await;
    let scans = (0..20).map(|i| {
        let (app, g, token) = (&app, g.clone(), token.clone());
        async move {
            app.post(
                "/api/v1/gate/scans",
                &g,
                json!({"token": token, "direction": "exit", "gate": format!("{}号门", i % 3 + 1), "client_event_id": event()}),
            )
            .await
        }
    });
    let results = futures_util::future::join_all(scans).await;
    let mut allows = 0;
    for r in &results {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        match r.body["result"].as_str() {
            Some("allow") => allows += 1,
            Some("deny") => assert_eq!(r.body["code"], "pass_already_used"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(allows, 1, "exactly one exit is allowed");
    // Every scan is recorded.
    let office = app.token("office").await;
    let id = p["id"].as_str().unwrap();
    let r = app
        .get(
            &format!("/api/v1/gate/scans?pass_id={id}&limit=200"),
            &office,
        )
        .await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    assert_eq!(items.iter().filter(|s| s["result"] == "allow").count(), 1);
    let r = app
        .get(&format!("/api/v1/leave-passes/{id}"), &office)
        .await;
    assert_eq!(r.body["status"], "out");
    assert_eq!(
        app.audit(&format!("action=gate.exit&entity_id={id}"))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn the_same_client_event_returns_the_first_verdict_and_records_nothing_new() {
    let app = gate_app().await;
    let p = pass_for(&app, 1, json!({})).await;
    let token = p["token"].as_str().unwrap();
    let g = tok(&app, "guard").await;
    let ev = event();
    let first = scan(&app, &g, token, "exit", &ev).await;
    assert_eq!(first.body["result"], "allow", "{}", first.text);
    assert_eq!(first.body["code"], "ok");
    // The guard sees name and class only.
    let student = first.body["student"].as_object().unwrap();
    assert_eq!(student.len(), 2);
    assert_eq!(student["name"], p["student_name"]);
    assert_eq!(student["class"], p["class_name"]);
    // Sent again (a retry after a lost answer): the same allow, the same event.
    let again = scan(&app, &g, token, "exit", &ev).await;
    assert_eq!(again.body["result"], "allow");
    assert_eq!(again.body["event_id"], first.body["event_id"]);
    // Concurrent retries too.
    let retries = (0..5).map(|_| scan(&app, &g, token, "exit", &ev));
    for r in futures_util::future::join_all(retries).await {
        assert_eq!(r.body["event_id"], first.body["event_id"], "{}", r.text);
    }
    let office = app.token("office").await;
    let r = app
        .get(
            &format!("/api/v1/gate/scans?pass_id={}", p["id"].as_str().unwrap()),
            &office,
        )
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    // A new event for the same pass is a second scan: denied, recorded.
    let second = guard_scan(&app, token, "exit").await;
    assert_eq!(second.body["result"], "deny");
    assert_eq!(second.body["code"], "pass_already_used");
}

#[tokio::test]
async fn bad_tokens_are_denied_and_recorded() {
    let app = gate_app().await;
    let p = pass_for(&app, 1, json!({})).await;
    let token = p["token"].as_str().unwrap();
    let payload = payload_of(token);
    let sig = token.rsplit('.').next().unwrap();

    // Tampered: valid_until pushed later, old signature kept.
    let mut tampered = payload.clone();
    tampered[47] ^= 0x10;
    let forged = format!("XA1.{}.{sig}", URL_SAFE_NO_PAD.encode(&tampered));
    let r = guard_scan(&app, &forged, "exit").await;
    assert_eq!(
        (r.body["result"].as_str(), r.body["code"].as_str()),
        (Some("deny"), Some("bad_signature"))
    );
    assert!(
        r.body["student"].is_null(),
        "nothing from an unverified token is shown"
    );

    let r = guard_scan(&app, &token[..token.len() - 10], "exit").await;
    assert_eq!(r.body["code"], "malformed_token");
    let r = guard_scan(&app, "not a pass", "exit").await;
    assert_eq!(r.body["code"], "malformed_token");

    // Signed by a key the school never made, with the real kid and with a made-up one.
    let foreign = SigningKey::from_bytes(&[42u8; 32]);
    let r = guard_scan(&app, &sign_payload(&payload, &foreign), "exit").await;
    assert_eq!(r.body["code"], "bad_signature");
    let mut other_kid = payload.clone();
    other_kid[1..9].copy_from_slice(b"notmykey");
    let r = guard_scan(&app, &sign_payload(&other_kid, &foreign), "exit").await;
    assert_eq!(r.body["code"], "unknown_key");

    // Expired: the server's own key, a window that ended a minute ago.
    let (_, key) = server_key(&app).await;
    let mut expired = payload.clone();
    let past = (Utc::now().timestamp() - 60) as u32;
    expired[46..50].copy_from_slice(&past.to_be_bytes());
    expired[42..46].copy_from_slice(&(past - 3600).to_be_bytes());
    let r = guard_scan(&app, &sign_payload(&expired, &key), "exit").await;
    assert_eq!(r.body["code"], "pass_expired");
    assert_eq!(r.body["student"]["name"], p["student_name"]);

    // Not yet valid.
    let later = pass_for(
        &app,
        3,
        json!({"valid_from": ts(Duration::hours(2)), "valid_until": ts(Duration::hours(5)), "return_by": ts(Duration::hours(4))}),
    )
    .await;
    let r = guard_scan(&app, later["token"].as_str().unwrap(), "exit").await;
    assert_eq!(r.body["code"], "pass_not_yet_valid");

    // Revoked: denied, and published for phones.
    let revoked = pass_for(&app, 4, json!({})).await;
    let rid = revoked["id"].as_str().unwrap();
    let t1 = tok(&app, "teacher_a").await;
    let r = app
        .post(
            &format!("/api/v1/leave-passes/{rid}/revoke"),
            &t1,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "revoked");
    let r = app
        .post(
            &format!("/api/v1/leave-passes/{rid}/revoke"),
            &t1,
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "pass_not_revocable");
    let r = guard_scan(&app, revoked["token"].as_str().unwrap(), "exit").await;
    assert_eq!(r.body["code"], "pass_revoked");
    let g = tok(&app, "guard").await;
    let r = app.get("/api/v1/gate/revocations", &g).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let revs = r.body["revoked"].as_array().unwrap();
    assert_eq!(revs.len(), 1);
    assert_eq!(revs[0]["pass_id"], rid);
    let as_of = r.body["as_of"].as_str().unwrap().to_owned();
    let r = app
        .get(
            &format!(
                "/api/v1/gate/revocations?since={}",
                as_of.replace('+', "%2B")
            ),
            &g,
        )
        .await;
    assert_eq!(r.body["revoked"].as_array().unwrap().len(), 0, "{}", r.text);
    assert_eq!(
        app.audit(&format!("action=leave_pass.revoke&entity_id={rid}"))
            .await
            .len(),
        1
    );

    // A student who left school after the pass was issued.
    let left = pass_for(&app, 5, json!({})).await;
    let office = app.token("office").await;
    let r = app
        .patch(
            &format!("/api/v1/students/{}", left["student_id"].as_str().unwrap()),
            &office,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = guard_scan(&app, left["token"].as_str().unwrap(), "exit").await;
    assert_eq!(r.body["code"], "student_disabled");

    // Every one of them is in the gate log, denied.
    let r = app
        .get("/api/v1/gate/scans?result=deny&limit=200", &office)
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 9, "{}", r.text);
    // The pass itself is untouched.
    let r = app
        .get(
            &format!("/api/v1/leave-passes/{}", p["id"].as_str().unwrap()),
            &office,
        )
        .await;
    assert_eq!(r.body["status"], "issued");
}

#[tokio::test]
async fn keys_are_published_and_verify_the_tokens() {
    let app = gate_app().await;
    let p = pass_for(&app, 1, json!({})).await;
    let g = tok(&app, "guard").await;
    let r = app.get("/api/v1/gate/keys", &g).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["format"], "XA1");
    // How stale the phone's cache may get before the scan page warns (default 12 h).
    assert_eq!(r.body["offline_max_age_hours"], 12);
    let keys = r.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    // Verify the pass exactly as a phone would, with the published key.
    let token = p["token"].as_str().unwrap();
    let payload = payload_of(token);
    assert_eq!(
        URL_SAFE_NO_PAD.encode(&payload[1..9]),
        keys[0]["kid"].as_str().unwrap()
    );
    let pk: [u8; 32] = URL_SAFE_NO_PAD
        .decode(keys[0]["public_key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk).unwrap();
    let sig: [u8; 64] = URL_SAFE_NO_PAD
        .decode(token.rsplit('.').next().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    vk.verify_strict(&payload, &ed25519_dalek::Signature::from_bytes(&sig))
        .expect("the published key verifies the pass");
    assert_eq!(
        &payload[9..25],
        uuid::Uuid::parse_str(p["id"].as_str().unwrap())
            .unwrap()
            .as_bytes()
    );
}

#[tokio::test]
async fn status_follows_the_gate_and_returns_need_an_exit() {
    let app = gate_app().await;
    // Back in 6 seconds (whole seconds, as passes keep them).
    let p = pass_for(&app, 1, json!({"return_by": ts(Duration::seconds(6))})).await;
    let return_by = chrono::DateTime::parse_from_rfc3339(p["return_by"].as_str().unwrap()).unwrap();
    let token = p["token"].as_str().unwrap();
    let id = p["id"].as_str().unwrap();
    let r = guard_scan(&app, token, "return").await;
    assert_eq!(
        (r.body["result"].as_str(), r.body["code"].as_str()),
        (Some("deny"), Some("return_before_exit"))
    );
    let r = guard_scan(&app, token, "exit").await;
    assert_eq!(r.body["result"], "allow");
    assert_eq!(r.body["pass"]["status"], "out");

    // Out now, for the own class teacher and the office; not for another class's teacher.
    let t1 = tok(&app, "teacher_a").await;
    let t2 = tok(&app, "teacher_b").await;
    let office = app.token("office").await;
    let listed = |path: &'static str, who: String| {
        let app = &app;
        async move {
            let r = app.get(path, &who).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            ids_of(&r.body)
        }
    };
    let own = class_a(&app).await;
    let r = app.get("/api/v1/gate/out", &t1).await;
    assert!(
        r.body
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["class_id"] == own.as_str())
    );
    assert!(
        listed("/api/v1/gate/out", t1.clone())
            .await
            .contains(&id.to_owned())
    );
    assert!(
        !listed("/api/v1/gate/out", t2.clone())
            .await
            .contains(&id.to_owned())
    );
    assert!(
        listed("/api/v1/gate/out", office.clone())
            .await
            .contains(&id.to_owned())
    );
    assert!(
        !listed("/api/v1/gate/overdue", t1.clone())
            .await
            .contains(&id.to_owned())
    );

    // Past the return time: overdue.
    let wait = (return_by.with_timezone(&Utc) - Utc::now()).num_milliseconds() + 300;
    tokio::time::sleep(std::time::Duration::from_millis(wait.max(0) as u64)).await;
    let r = app.get("/api/v1/gate/overdue", &t1).await;
    let overdue = r.body.as_array().unwrap();
    let mine = overdue
        .iter()
        .find(|o| o["pass_id"] == id)
        .expect("overdue");
    assert_eq!(mine["overdue"], true);
    assert!(
        !listed("/api/v1/gate/overdue", t2.clone())
            .await
            .contains(&id.to_owned())
    );
    let r = app.get("/api/v1/leave-passes?overdue=true", &office).await;
    assert!(ids_of(&r.body["items"]).contains(&id.to_owned()));

    let r = guard_scan(&app, token, "return").await;
    assert_eq!(r.body["result"], "allow", "{}", r.text);
    assert_eq!(r.body["pass"]["status"], "returned");
    let r = guard_scan(&app, token, "return").await;
    assert_eq!(r.body["code"], "already_returned");
    // Leaving again: refused. The exit window of an exit-and-return pass ends at `return_by`
    // (a later `valid_until` is brought forward to it), which is past by now.
    let r = guard_scan(&app, token, "exit").await;
    assert_eq!(r.body["result"], "deny", "{}", r.text);
    assert_eq!(r.body["code"], "pass_expired", "{}", r.text);
    assert_eq!(r.body["pass"]["status"], "returned", "{}", r.text);
    assert!(
        !listed("/api/v1/gate/out", t1.clone())
            .await
            .contains(&id.to_owned())
    );
    assert!(
        !listed("/api/v1/gate/overdue", office.clone())
            .await
            .contains(&id.to_owned())
    );
    let r = app.get(&format!("/api/v1/leave-passes/{id}"), &t1).await;
    assert_eq!(r.body["status"], "returned");
    assert!(r.body["exited_at"].is_string() && r.body["returned_at"].is_string());
    assert_eq!(
        app.audit(&format!("action=gate.return&entity_id={id}"))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn offline_batches_sync_idempotently_and_flag_double_exits() {
    let app = gate_app().await;
    let p = pass_for(&app, 1, json!({"valid_from": ts(Duration::minutes(-10))})).await;
    let token = p["token"].as_str().unwrap();
    let id = p["id"].as_str().unwrap();
    let g = tok(&app, "guard").await;
    // Scanned after the pass was issued (a scan dated before its pass existed is refused).
    let issued = chrono::DateTime::parse_from_rfc3339(p["issued_at"].as_str().unwrap()).unwrap();
    let after_issue = |s: i64| (issued + Duration::seconds(s)).to_rfc3339();
    let t_a = after_issue(1);
    let t_b = after_issue(2);
    let (ev_a, ev_b) = (event(), event());
    // Gate B (the later exit) syncs first, then gate A (the earlier one).
    let r = app
        .post(
            "/api/v1/gate/scans/batch",
            &g,
            json!({"scans": [{"token": token, "direction": "exit", "gate": "北门", "client_event_id": ev_b, "scanned_at": t_b}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["results"][0]["result"], "allow");
    let other = pass_for(&app, 2, json!({"valid_from": ts(Duration::minutes(-10))})).await;
    let r = app
        .post(
            "/api/v1/gate/scans/batch",
            &g,
            json!({"scans": [
                {"token": token, "direction": "exit", "gate": "南门", "client_event_id": ev_a, "scanned_at": t_a},
                {"token": other["token"], "direction": "exit", "gate": "南门", "client_event_id": event(), "scanned_at": t_a},
                {"token": "garbage", "direction": "exit", "gate": "南门", "client_event_id": event(), "scanned_at": t_a},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let res = r.body["results"].as_array().unwrap();
    assert_eq!(res.len(), 3);
    assert_eq!(res[0]["client_event_id"], ev_a.as_str());
    assert_eq!(res[1]["result"], "allow");
    assert_eq!(res[2]["code"], "malformed_token");

    // Both exits are kept; the later one (gate B) is the conflict, the earlier one counts.
    let office = app.token("office").await;
    let r = app
        .get(&format!("/api/v1/gate/scans?pass_id={id}"), &office)
        .await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let b = items
        .iter()
        .find(|s| s["client_event_id"] == ev_b.as_str())
        .unwrap();
    let a = items
        .iter()
        .find(|s| s["client_event_id"] == ev_a.as_str())
        .unwrap();
    assert_eq!(b["conflict"], true);
    assert_eq!(a["conflict"], false);
    assert_eq!(a["result"], "allow");
    assert_eq!(a["source"], "batch");
    let r = app.get("/api/v1/gate/scans?conflict=true", &office).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    // The office lists what was decided offline: the four batch scans, not the online one.
    guard_scan(&app, other["token"].as_str().unwrap(), "exit").await;
    let r = app.get("/api/v1/gate/scans?source=batch", &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{}", r.text);
    assert!(items.iter().all(|s| s["source"] == "batch"));
    let other_id = other["id"].as_str().unwrap();
    let r = app
        .get(
            &format!("/api/v1/gate/scans?source=online&pass_id={other_id}"),
            &office,
        )
        .await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.text);
    assert_eq!(items[0]["code"], "pass_already_used");
    let r = app.get("/api/v1/gate/scans?source=phone", &office).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = app
        .get(&format!("/api/v1/leave-passes/{id}"), &office)
        .await;
    assert_eq!(r.body["status"], "out");
    let exited =
        chrono::DateTime::parse_from_rfc3339(r.body["exited_at"].as_str().unwrap()).unwrap();
    let a_at = chrono::DateTime::parse_from_rfc3339(&t_a).unwrap();
    assert!(
        (exited - a_at).num_seconds().abs() < 1,
        "exit time is gate A's"
    );

    // A third offline exit, later still: flagged as it arrives.
    let r = app
        .post(
            "/api/v1/gate/scans/batch",
            &g,
            json!({"scans": [{"token": token, "direction": "exit", "gate": "西门", "client_event_id": event(), "scanned_at": after_issue(3)}]}),
        )
        .await;
    assert_eq!(r.body["results"][0]["conflict"], true, "{}", r.text);
    assert!(!app.audit("action=gate.conflict").await.is_empty());

    // The whole batch again: same verdicts, nothing new recorded.
    let r = app
        .post(
            "/api/v1/gate/scans/batch",
            &g,
            json!({"scans": [{"token": token, "direction": "exit", "gate": "南门", "client_event_id": ev_a, "scanned_at": t_a}]}),
        )
        .await;
    assert_eq!(r.body["results"][0]["result"], "allow");
    let r = app
        .get(&format!("/api/v1/gate/scans?pass_id={id}"), &office)
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 3);

    // Offline, a pass is judged when it was scanned: valid then means allowed now.
    let short = pass_for(
        &app,
        3,
        json!({"kind": "exit_only", "return_by": null, "valid_until": ts(Duration::seconds(5))}),
    )
    .await;
    // Scanned offline a second after the window opened, synced after it closed.
    let from = chrono::DateTime::parse_from_rfc3339(short["valid_from"].as_str().unwrap()).unwrap();
    let until =
        chrono::DateTime::parse_from_rfc3339(short["valid_until"].as_str().unwrap()).unwrap();
    let scanned = (from + Duration::seconds(1)).to_rfc3339();
    let wait = (until.with_timezone(&Utc) - Utc::now()).num_milliseconds() + 300;
    tokio::time::sleep(std::time::Duration::from_millis(wait.max(0) as u64)).await;
    let r = guard_scan(&app, short["token"].as_str().unwrap(), "exit").await;
    assert_eq!(r.body["code"], "pass_expired", "online: judged now");
    let r = app
        .post(
            "/api/v1/gate/scans/batch",
            &g,
            json!({"scans": [{"token": short["token"], "direction": "exit", "gate": "南门", "client_event_id": event(), "scanned_at": scanned}]}),
        )
        .await;
    assert_eq!(r.body["results"][0]["result"], "allow", "{}", r.text);

    // A batch that is too big or empty is refused whole.
    let r = app
        .post("/api/v1/gate/scans/batch", &g, json!({"scans": []}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_full_offline_backlog_is_judged_in_scan_order() {
    let app = gate_app().await;
    let g = tok(&app, "guard").await;
    let mut passes = Vec::new();
    for n in 1..=3 {
        passes.push(pass_for(&app, n, json!({"valid_from": ts(Duration::minutes(-30))})).await);
    }
    // 500 scans, sent latest first: each pass's exit, then its return 100 s later, and 494
    // unreadable scans in between. Judged oldest first, every return finds its exit, however
    // the server splits the backlog into commits. (All within the few minutes since the passes
    // were issued, give or take a phone clock's drift: a scan dated before its pass existed is
    // refused.)
    let mut scans = Vec::new();
    for (k, p) in passes.iter().enumerate() {
        let k = k as i64;
        scans.push(json!({"token": p["token"], "direction": "exit", "gate": "南门",
            "client_event_id": format!("exit-{k}-{}", event()), "scanned_at": ts(Duration::seconds(-250 + k))}));
        scans.push(json!({"token": p["token"], "direction": "return", "gate": "南门",
            "client_event_id": format!("return-{k}-{}", event()), "scanned_at": ts(Duration::seconds(-150 + k))}));
    }
    for i in 0..493 {
        scans.push(
            json!({"token": "garbage", "direction": "exit", "gate": "南门",
            "client_event_id": event(), "scanned_at": ts(Duration::milliseconds(-245_000 + i * 200))}),
        );
    }
    // The same client event twice in one batch: recorded once, the same verdict twice.
    let again = scans[0].clone();
    scans.push(again);
    assert_eq!(scans.len(), 500);
    scans.reverse();
    let r = app
        .post("/api/v1/gate/scans/batch", &g, json!({"scans": scans}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let res = r.body["results"].as_array().unwrap();
    assert_eq!(res.len(), 500);
    // Results come back in request order.
    for (sent, got) in scans.iter().zip(res) {
        assert_eq!(sent["client_event_id"], got["client_event_id"]);
        let key = sent["client_event_id"].as_str().unwrap();
        if key.starts_with("exit-") || key.starts_with("return-") {
            assert_eq!(got["result"], "allow", "{key}: {got}");
        } else {
            assert_eq!(got["code"], "malformed_token");
        }
    }
    assert_eq!(
        res[0]["event_id"], res[499]["event_id"],
        "the repeat replays the first"
    );

    let office = app.token("office").await;
    for p in &passes {
        let id = p["id"].as_str().unwrap();
        let r = app
            .get(&format!("/api/v1/leave-passes/{id}"), &office)
            .await;
        assert_eq!(r.body["status"], "returned", "{}", r.text);
        let r = app
            .get(&format!("/api/v1/gate/scans?pass_id={id}"), &office)
            .await;
        assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    }
    let r = app
        .get("/api/v1/gate/scans?source=batch&limit=200", &office)
        .await;
    let mut recorded = r.body["items"].as_array().unwrap().len();
    let mut cursor = r.body["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let r = app
            .get(
                &format!("/api/v1/gate/scans?source=batch&limit=200&cursor={c}"),
                &office,
            )
            .await;
        recorded += r.body["items"].as_array().unwrap().len();
        cursor = r.body["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(recorded, 499, "every scan once, the repeat not again");
}

#[tokio::test]
async fn integration_keys_need_the_gate_scopes() {
    let app = gate_app().await;
    let p = pass_for(&app, 1, json!({})).await;
    let token = p["token"].as_str().unwrap();
    let turnstile = app.api_key(&["gate:scan"]).await;
    let reader = app.api_key(&["gate:read"]).await;
    let people = app.api_key(&["people:read"]).await;

    let r = scan(&app, &reader, token, "exit", &event()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "insufficient_scope");
    let r = scan(&app, &people, token, "exit", &event()).await;
    assert_eq!(r.code(), "insufficient_scope");
    let r = scan(&app, &turnstile, token, "exit", &event()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["result"], "allow");

    let r = app.get("/api/v1/gate/scans", &turnstile).await;
    assert_eq!(r.code(), "insufficient_scope");
    let r = app
        .get(
            &format!("/api/v1/gate/scans?pass_id={}", p["id"].as_str().unwrap()),
            &reader,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0]["actor_api_key_id"].is_string());
    assert!(items[0]["actor_user_id"].is_null());
    // The exit was audited as the key.
    let a = app
        .audit(&format!(
            "action=gate.exit&entity_id={}",
            p["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(a.len(), 1);
    assert!(a[0]["actor_api_key_id"].is_string());
}

#[tokio::test]
async fn scans_are_validated() {
    let app = gate_app().await;
    let g = tok(&app, "guard").await;
    let r = app
        .post(
            "/api/v1/gate/scans",
            &g,
            json!({"token": "x", "direction": "exit", "gate": "", "client_event_id": ""}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{}",
        r.text
    );
    let r = app
        .post(
            "/api/v1/gate/scans",
            &g,
            json!({"token": "x", "direction": "sideways", "gate": "南门", "client_event_id": "1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn rotating_the_key_keeps_old_passes_valid() {
    let app = gate_app().await;
    let old = pass_for(&app, 1, json!({})).await;
    let settings = xiaoan::Settings {
        data_dir: app.data_dir.clone(),
        database_url: Some(app.database_url.clone()),
        ..xiaoan::Settings::default()
    };
    let db = xiaoan::infra::db::Db::connect(&settings).await.unwrap();
    let kid = xiaoan::features::passes::keys::rotate(&db).await.unwrap();
    let new = pass_for(&app, 2, json!({})).await;
    let new_payload = payload_of(new["token"].as_str().unwrap());
    assert_eq!(URL_SAFE_NO_PAD.encode(&new_payload[1..9]), kid);
    let g = tok(&app, "guard").await;
    let keys = app.get("/api/v1/gate/keys", &g).await.body;
    let keys = keys["keys"].as_array().unwrap();
    assert_eq!(
        keys.len(),
        2,
        "the old key stays published while its pass is valid"
    );
    assert!(
        keys.iter()
            .any(|k| k["kid"] == kid.as_str() && k["retired_at"].is_null())
    );
    assert_eq!(
        guard_scan(&app, old["token"].as_str().unwrap(), "exit")
            .await
            .body["result"],
        "allow"
    );
    assert_eq!(
        guard_scan(&app, new["token"].as_str().unwrap(), "exit")
            .await
            .body["result"],
        "allow"
    );
}

#[tokio::test]
async fn the_offline_cache_age_is_configurable() {
    let app = spawn_app_with(AppOptions::default(), |s| s.gate_offline_max_age_hours = 6).await;
    let g = tok(&app, "guard").await;
    let r = app.get("/api/v1/gate/keys", &g).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["offline_max_age_hours"], 6);
}

/// The pass as the office reads it back.
async fn pass_back(app: &TestApp, id: &str) -> Value {
    let office = app.token("office").await;
    let r = app
        .get(&format!("/api/v1/leave-passes/{id}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// The gate log of one pass, oldest first, as (result, code).
async fn log_of(app: &TestApp, pass_id: &str) -> Vec<(String, String)> {
    let office = app.token("office").await;
    let r = app
        .get(&format!("/api/v1/gate/scans?pass_id={pass_id}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut rows: Vec<(String, String)> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["result"].as_str().unwrap().to_owned(),
                x["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    rows.reverse();
    rows
}

fn assert_deny(r: &Resp, code: &str) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["result"].as_str(), r.body["code"].as_str()),
        (Some("deny"), Some(code)),
        "{}",
        r.text
    );
}

/// Every refusal at the gate names its code, is logged with it, and leaves the pass as it was.
#[tokio::test]
async fn every_gate_refusal_names_its_code_is_logged_and_changes_nothing() {
    let app = gate_app().await;
    let p = pass_for(&app, 1, json!({})).await;
    let id = p["id"].as_str().unwrap();
    let token = p["token"].as_str().unwrap();

    // Back before leaving: refused, the pass still issued.
    assert_deny(
        &guard_scan(&app, token, "return").await,
        "return_before_exit",
    );
    let back = pass_back(&app, id).await;
    assert_eq!(back["status"], "issued");
    assert!(back["exited_at"].is_null(), "{back}");
    // Out once.
    let r = guard_scan(&app, token, "exit").await;
    assert_eq!(r.body["result"], "allow", "{}", r.text);
    let exited_at = pass_back(&app, id).await["exited_at"].clone();
    assert!(exited_at.is_string());
    // Out twice: refused, the first exit stands.
    assert_deny(&guard_scan(&app, token, "exit").await, "pass_already_used");
    let back = pass_back(&app, id).await;
    assert_eq!(back["status"], "out");
    assert_eq!(back["exited_at"], exited_at);
    assert_eq!(
        log_of(&app, id).await,
        [
            ("deny".to_owned(), "return_before_exit".to_owned()),
            ("allow".to_owned(), "ok".to_owned()),
            ("deny".to_owned(), "pass_already_used".to_owned()),
        ]
    );

    // Revoked: refused, still revoked, never out.
    let rv = pass_for(&app, 2, json!({})).await;
    let rv_id = rv["id"].as_str().unwrap();
    let t1 = tok(&app, "teacher_a").await;
    let r = app
        .post(
            &format!("/api/v1/leave-passes/{rv_id}/revoke"),
            &t1,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_deny(
        &guard_scan(&app, rv["token"].as_str().unwrap(), "exit").await,
        "pass_revoked",
    );
    let back = pass_back(&app, rv_id).await;
    assert_eq!(back["status"], "revoked");
    assert!(back["exited_at"].is_null(), "{back}");

    // Not valid yet: refused, still issued.
    let later = pass_for(
        &app,
        3,
        json!({"valid_from": ts(Duration::days(1)), "valid_until": ts(Duration::days(1) + Duration::hours(4)),
               "return_by": ts(Duration::days(1) + Duration::hours(3))}),
    )
    .await;
    let later_id = later["id"].as_str().unwrap();
    assert_deny(
        &guard_scan(&app, later["token"].as_str().unwrap(), "exit").await,
        "pass_not_yet_valid",
    );
    assert_eq!(pass_back(&app, later_id).await["status"], "issued");

    // The student left the school: refused, the pass untouched.
    let gone = pass_for(&app, 4, json!({})).await;
    let gone_id = gone["id"].as_str().unwrap();
    let office = app.token("office").await;
    let r = app
        .patch(
            &format!("/api/v1/students/{}", gone["student_id"].as_str().unwrap()),
            &office,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_deny(
        &guard_scan(&app, gone["token"].as_str().unwrap(), "exit").await,
        "student_disabled",
    );
    assert_eq!(pass_back(&app, gone_id).await["status"], "issued");

    // Tampered and malformed credentials: refused before anything else, nothing learnt.
    let mut forged = token.to_owned();
    forged.truncate(token.len() - 4);
    forged.push_str("AAAA");
    assert_deny(&guard_scan(&app, &forged, "exit").await, "bad_signature");
    assert_deny(
        &guard_scan(&app, "XA1.garbage", "exit").await,
        "malformed_token",
    );
    for (pass, code) in [
        (rv_id, "pass_revoked"),
        (later_id, "pass_not_yet_valid"),
        (gone_id, "student_disabled"),
    ] {
        assert_eq!(
            log_of(&app, pass).await,
            [("deny".to_owned(), code.to_owned())],
            "{code}"
        );
    }
}

/// The window is `valid_from ≤ t < valid_until` (README, "The credential"), to the second:
/// judged offline at `scanned_at`, the first second is in and the last instant is out.
#[tokio::test]
async fn the_validity_window_includes_its_start_and_excludes_its_end() {
    let app = gate_app().await;
    let g = tok(&app, "guard").await;
    let whole = |d: Duration| {
        let t = Utc::now() + d;
        chrono::DateTime::from_timestamp(t.timestamp(), 0)
            .unwrap()
            .to_rfc3339()
    };
    let at = |p: &Value, field: &str, shift: i64| {
        (chrono::DateTime::parse_from_rfc3339(p[field].as_str().unwrap()).unwrap()
            + Duration::seconds(shift))
        .to_rfc3339()
    };
    let ending = [
        pass_for(&app, 1, json!({"kind": "exit_only", "return_by": null, "valid_until": whole(Duration::seconds(3))})).await,
        pass_for(&app, 2, json!({"kind": "exit_only", "return_by": null, "valid_until": whole(Duration::seconds(3))})).await,
    ];
    let starting = [
        pass_for(&app, 3, json!({"kind": "exit_only", "return_by": null, "valid_from": whole(Duration::seconds(3)), "valid_until": whole(Duration::hours(1))})).await,
        pass_for(&app, 4, json!({"kind": "exit_only", "return_by": null, "valid_from": whole(Duration::seconds(3)), "valid_until": whole(Duration::hours(1))})).await,
    ];
    // Both windows' boundaries are in the past once synced.
    tokio::time::sleep(std::time::Duration::from_millis(4500)).await;
    let cases = [
        (&ending[0], at(&ending[0], "valid_until", -1), "allow", "ok"),
        (
            &ending[1],
            at(&ending[1], "valid_until", 0),
            "deny",
            "pass_expired",
        ),
        (
            &starting[0],
            at(&starting[0], "valid_from", 0),
            "allow",
            "ok",
        ),
        (
            &starting[1],
            at(&starting[1], "valid_from", -1),
            "deny",
            "pass_not_yet_valid",
        ),
    ];
    for (p, scanned_at, result, code) in cases {
        let r = app
            .post(
                "/api/v1/gate/scans/batch",
                &g,
                json!({"scans": [{"token": p["token"], "direction": "exit", "gate": "南门",
                                  "client_event_id": event(), "scanned_at": scanned_at}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (
                r.body["results"][0]["result"].as_str(),
                r.body["results"][0]["code"].as_str()
            ),
            (Some(result), Some(code)),
            "scanned at {scanned_at}: {}",
            r.text
        );
    }
}
