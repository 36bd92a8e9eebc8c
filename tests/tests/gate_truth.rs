//! The gate log tells the truth: a scan the phone refused stays refused, offline verdicts the
//! server judges differently are conflicts, a retry gets the first verdict as given, client
//! event ids belong to one caller, token and direction, and times are the server's (online)
//! or bounded (offline).

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

fn ts(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339()
}

fn event() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn at(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// A default pass (exit and return) for the `n`th student of teacher1's class.
async fn pass_for(app: &TestApp, n: usize) -> Value {
    let class_id = app.own_class_id("teacher1").await;
    let s = app.students_of(&class_id).await[n].clone();
    let t = app.token("teacher1").await;
    let r = app
        .post(
            "/api/v1/leave-passes",
            &t,
            json!({
                "student_id": s["id"],
                "kind": "exit_and_return",
                "reason": "看病(口腔医院复诊)",
                "valid_from": ts(Duration::minutes(-10)),
                "valid_until": ts(Duration::hours(4)),
                "return_by": ts(Duration::hours(3)),
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

async fn online(app: &TestApp, who: &str, token: &Value, direction: &str, ev: &str) -> Resp {
    let g = app.token(who).await;
    app.post(
        "/api/v1/gate/scans",
        &g,
        json!({"token": token, "direction": direction, "gate": "南门", "client_event_id": ev}),
    )
    .await
}

/// One offline scan synced; returns its verdict.
async fn offline(
    app: &TestApp,
    who: &str,
    token: &Value,
    direction: &str,
    scanned_at: &str,
    phone: &str,
) -> Value {
    let g = app.token(who).await;
    let r = app
        .post(
            "/api/v1/gate/scans/batch",
            &g,
            json!({"scans": [{"token": token, "direction": direction, "gate": "北门",
                "client_event_id": event(), "scanned_at": scanned_at, "offline_result": phone}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["results"][0].clone()
}

async fn pass_status(app: &TestApp, id: &Value) -> Value {
    let office = app.token("office").await;
    let r = app
        .get(
            &format!("/api/v1/leave-passes/{}", id.as_str().unwrap()),
            &office,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn conflicts(app: &TestApp, pass_id: &Value) -> Vec<Value> {
    let office = app.token("office").await;
    let r = app
        .get(
            &format!(
                "/api/v1/gate/scans?conflict=true&pass_id={}",
                pass_id.as_str().unwrap()
            ),
            &office,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_offline_refusal_stays_a_refusal_at_sync() {
    let app = spawn_app().await;
    let p = pass_for(&app, 1).await;
    let r = offline(
        &app,
        "guard1",
        &p["token"],
        "exit",
        &ts(Duration::seconds(-30)),
        "deny",
    )
    .await;
    assert_eq!(r["result"], "deny", "{r}");
    // The server would have let the student out: the office is told someone was turned away.
    assert_eq!(r["code"], "denied_offline");
    assert_eq!(r["conflict"], true);
    let pass = pass_status(&app, &p["id"]).await;
    assert_eq!(pass["status"], "issued", "{pass}");
    assert!(pass["exited_at"].is_null());
    assert_eq!(conflicts(&app, &p["id"]).await.len(), 1);
    // The real exit afterwards is allowed.
    let r = online(&app, "guard1", &p["token"], "exit", &event()).await;
    assert_eq!(r.body["result"], "allow", "{}", r.text);

    // Refused offline when the server refuses too: a refused attempt, no conflict.
    let r = offline(
        &app,
        "guard2",
        &p["token"],
        "exit",
        &ts(Duration::seconds(-1)),
        "deny",
    )
    .await;
    assert_eq!(r["result"], "deny");
    assert_eq!(r["code"], "pass_already_used");
    assert_eq!(r["conflict"], false);
    assert_eq!(pass_status(&app, &p["id"]).await["status"], "out");
}

#[tokio::test]
async fn offline_verdicts_the_server_refuses_are_conflicts() {
    let app = spawn_app().await;
    let p = pass_for(&app, 1).await;
    // Offline 返校 on a pass that never left.
    let r = offline(
        &app,
        "guard1",
        &p["token"],
        "return",
        &ts(Duration::seconds(-20)),
        "allow",
    )
    .await;
    assert_eq!(r["result"], "deny");
    assert_eq!(r["code"], "return_before_exit");
    assert_eq!(r["conflict"], true, "{r}");
    let c = conflicts(&app, &p["id"]).await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["code"], "return_before_exit");
    assert_eq!(pass_status(&app, &p["id"]).await["status"], "issued");
    assert!(!app.audit("action=gate.conflict").await.is_empty());
}

#[tokio::test]
async fn a_late_retry_gets_the_first_verdict_as_given() {
    let app = spawn_app().await;
    let p = pass_for(&app, 1).await;
    let ev = event();
    let first = online(&app, "guard1", &p["token"], "exit", &ev).await;
    assert_eq!(first.body["result"], "allow", "{}", first.text);
    assert_eq!(first.body["pass"]["status"], "out");
    let back = online(&app, "guard1", &p["token"], "return", &event()).await;
    assert_eq!(back.body["result"], "allow", "{}", back.text);
    // The retry after the student returned: the answer given then.
    let again = online(&app, "guard1", &p["token"], "exit", &ev).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body, first.body);
}

#[tokio::test]
async fn client_event_ids_belong_to_one_caller_token_and_direction() {
    let app = spawn_app().await;
    let p = pass_for(&app, 1).await;
    let other = pass_for(&app, 2).await;
    let name = p["student_name"].as_str().unwrap().to_owned();
    let ev = event();
    let first = online(&app, "guard1", &p["token"], "exit", &ev).await;
    assert_eq!(first.body["result"], "allow", "{}", first.text);

    // Another guard with a junk token and guard1's id: refused, nothing of guard1's scan.
    let r = online(&app, "guard2", &json!("junk"), "exit", &ev).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "client_event_conflict");
    assert!(!r.text.contains(&name), "{}", r.text);
    // Even with the same token: the id is guard1's.
    let r = online(&app, "guard2", &p["token"], "exit", &ev).await;
    assert_eq!(r.code(), "client_event_conflict", "{}", r.text);
    // An integration key likewise.
    let key = app.api_key(&["gate:scan"]).await;
    let r = app
        .post(
            "/api/v1/gate/scans",
            &key,
            json!({"token": p["token"], "direction": "exit", "gate": "南门", "client_event_id": ev}),
        )
        .await;
    assert_eq!(r.code(), "client_event_conflict", "{}", r.text);
    // guard1 with another token, or the other direction.
    let r = online(&app, "guard1", &other["token"], "exit", &ev).await;
    assert_eq!(r.code(), "client_event_conflict", "{}", r.text);
    let r = online(&app, "guard1", &p["token"], "return", &ev).await;
    assert_eq!(r.code(), "client_event_conflict", "{}", r.text);
    // In a batch: that scan is refused, nothing recorded; the others are judged.
    let g2 = app.token("guard2").await;
    let r = app
        .post(
            "/api/v1/gate/scans/batch",
            &g2,
            json!({"scans": [
                {"token": "junk", "direction": "exit", "gate": "北门", "client_event_id": ev,
                 "scanned_at": ts(Duration::seconds(-5))},
                {"token": other["token"], "direction": "exit", "gate": "北门", "client_event_id": event(),
                 "scanned_at": ts(Duration::seconds(-4))},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!r.text.contains(&name), "{}", r.text);
    let res = r.body["results"].as_array().unwrap();
    assert_eq!(res[0]["result"], "deny");
    assert_eq!(res[0]["code"], "client_event_conflict");
    assert_eq!(res[0]["client_event_id"], ev.as_str());
    assert!(res[0]["student"].is_null());
    assert_eq!(res[1]["result"], "allow", "{}", r.text);
    // guard1's own retry still gets its verdict, and only one scan of the pass was recorded.
    let again = online(&app, "guard1", &p["token"], "exit", &ev).await;
    assert_eq!(again.body["event_id"], first.body["event_id"]);
    let office = app.token("office").await;
    let r = app
        .get(
            &format!("/api/v1/gate/scans?pass_id={}", p["id"].as_str().unwrap()),
            &office,
        )
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
}

#[tokio::test]
async fn online_scans_are_stamped_with_server_time() {
    let app = spawn_app().await;
    let p = pass_for(&app, 1).await;
    let g = app.token("guard1").await;
    let r = app
        .post(
            "/api/v1/gate/scans",
            &g,
            json!({"token": p["token"], "direction": "exit", "gate": "南门",
                "client_event_id": event(), "scanned_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.body["result"], "allow", "{}", r.text);
    let stamped = at(&r.body["scanned_at"]);
    assert!((Utc::now() - stamped).num_seconds().abs() < 60, "{stamped}");
    let pass = pass_status(&app, &p["id"]).await;
    let exited = at(&pass["exited_at"]);
    assert!(
        exited >= at(&p["issued_at"]) - Duration::seconds(1),
        "{pass}"
    );
    assert!((Utc::now() - exited).num_seconds().abs() < 60);
}

#[tokio::test]
async fn offline_scans_too_old_or_before_the_pass_are_refused() {
    let app = spawn_app_with(AppOptions::default(), |s| {
        s.gate_offline_sync_max_age_hours = 1
    })
    .await;
    let p = pass_for(&app, 1).await;
    // Dated before the pass existed.
    let r = offline(
        &app,
        "guard1",
        &p["token"],
        "exit",
        &ts(Duration::minutes(-30)),
        "allow",
    )
    .await;
    assert_eq!(r["result"], "deny", "{r}");
    assert_eq!(r["code"], "bad_scanned_at");
    assert_eq!(r["conflict"], true);
    // Older than the configured age (also before the pass: the age is what is reported).
    let r = offline(
        &app,
        "guard1",
        &p["token"],
        "exit",
        &ts(Duration::minutes(-61)),
        "allow",
    )
    .await;
    assert_eq!(r["code"], "scan_too_old", "{r}");
    assert_eq!(r["conflict"], true);
    assert_eq!(pass_status(&app, &p["id"]).await["status"], "issued");
    assert_eq!(conflicts(&app, &p["id"]).await.len(), 2);
}

#[tokio::test]
async fn offline_scans_dated_before_the_callers_last_online_scan_are_flagged() {
    let app = spawn_app().await;
    let p = pass_for(&app, 1).await;
    let other = pass_for(&app, 2).await;
    // The pass is revoked; guard1 is online (scans another pass) after that.
    let t1 = app.token("teacher1").await;
    let r = app
        .post(
            &format!("/api/v1/leave-passes/{}/revoke", p["id"].as_str().unwrap()),
            &t1,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let revoked_at = at(&r.body["revoked_at"]);
    let r = online(&app, "guard1", &other["token"], "exit", &event()).await;
    assert_eq!(r.body["result"], "allow", "{}", r.text);
    // guard1 then claims an offline exit from before the revocation.
    let claimed = (revoked_at - Duration::seconds(2)).to_rfc3339();
    let r = offline(&app, "guard1", &p["token"], "exit", &claimed, "allow").await;
    assert_eq!(r["result"], "allow", "{r}");
    assert_eq!(r["conflict"], true, "never silently allowed: {r}");
    let c = conflicts(&app, &p["id"]).await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["source"], "batch");
}

#[tokio::test]
async fn a_pass_has_a_short_code_the_guard_can_type_online() {
    let app = spawn_app().await;
    let p = pass_for(&app, 1).await;
    let code = p["short_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8);
    assert!(
        code.bytes()
            .all(|b| b"23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains(&b)),
        "{code}"
    );
    let other = pass_for(&app, 2).await;
    assert_ne!(other["short_code"], p["short_code"]);
    // The teacher's pass view shows it too.
    let t = app.token("teacher1").await;
    let r = app
        .get(
            &format!("/api/v1/leave-passes/{}", p["id"].as_str().unwrap()),
            &t,
        )
        .await;
    assert_eq!(r.body["short_code"], code.as_str());

    let g = app.token("guard1").await;
    // Typed in lower case with a dash: the same pass, judged as its QR would be.
    let typed = format!("{}-{}", &code[..4], &code[4..]).to_lowercase();
    let r = app
        .post(
            "/api/v1/gate/scans",
            &g,
            json!({"code": typed, "direction": "exit", "gate": "南门", "client_event_id": event()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["result"], "allow", "{}", r.text);
    assert_eq!(r.body["pass"]["id"], p["id"]);
    assert_eq!(r.body["student"]["name"], p["student_name"]);
    let r = app
        .post(
            "/api/v1/gate/scans",
            &g,
            json!({"code": code, "direction": "exit", "gate": "南门", "client_event_id": event()}),
        )
        .await;
    assert_eq!(r.body["code"], "pass_already_used", "{}", r.text);
    // A code that names no pass: refused and recorded, nothing about anyone.
    let r = app
        .post(
            "/api/v1/gate/scans",
            &g,
            json!({"code": "ZZZZZZZZ", "direction": "exit", "gate": "南门", "client_event_id": event()}),
        )
        .await;
    assert_eq!(r.body["result"], "deny", "{}", r.text);
    assert_eq!(r.body["code"], "pass_not_found");
    assert!(r.body["student"].is_null());
    // Not a code, or both or neither of token and code: a clear 422.
    for body in [
        json!({"code": "O0O0O0O0", "direction": "exit", "gate": "南门", "client_event_id": event()}),
        json!({"code": code, "token": p["token"], "direction": "exit", "gate": "南门", "client_event_id": event()}),
        json!({"direction": "exit", "gate": "南门", "client_event_id": event()}),
    ] {
        let r = app.post("/api/v1/gate/scans", &g, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.code(), "validation_failed");
    }
    // Offline batches take the QR only.
    let r = app
        .post(
            "/api/v1/gate/scans/batch",
            &g,
            json!({"scans": [{"code": code, "direction": "exit", "gate": "南门",
                "client_event_id": event(), "scanned_at": ts(Duration::seconds(-5))}]}),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.text);
}

#[tokio::test]
async fn guards_find_todays_passes_by_name_or_student_number() {
    let app = spawn_app().await;
    let p = pass_for(&app, 1).await;
    let g = app.token("guard1").await;
    let name = p["student_name"].as_str().unwrap();
    let first: String = name.chars().take(2).collect();
    let r = app
        .get(&format!("/api/v1/gate/passes?q={}", urlencode(&first)), &g)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let hits = r.body.as_array().unwrap();
    let hit = hits
        .iter()
        .find(|h| h["pass_id"] == p["id"])
        .unwrap_or_else(|| panic!("{}", r.text));
    // Only what the guard needs: no 学号, reason, token or code.
    let keys: Vec<&str> = hit
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 4, "{hit}");
    assert_eq!(hit["student_name"], name);
    assert_eq!(hit["class_name"], p["class_name"]);
    assert_eq!(hit["status"], "issued");
    let r = app
        .get(
            &format!(
                "/api/v1/gate/passes?q={}",
                p["student_no"].as_str().unwrap()
            ),
            &g,
        )
        .await;
    assert!(
        r.body
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["pass_id"] == p["id"]),
        "{}",
        r.text
    );
    // `%` is a character, not a wildcard.
    let r = app.get("/api/v1/gate/passes?q=%25", &g).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body.as_array().unwrap().is_empty(), "{}", r.text);
    let r = app.get("/api/v1/gate/passes?q=", &g).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // Not for class teachers or students.
    let t = app.token("teacher1").await;
    let r = app
        .get(&format!("/api/v1/gate/passes?q={}", urlencode(&first)), &t)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
