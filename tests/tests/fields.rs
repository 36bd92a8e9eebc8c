//! Which fields each role sees on every read of a student, a leave pass and a visitor, list
//! and single, for every role and integration keys (`people:read`, `passes:read`,
//! `visitors:read`): students are minors, guards see the
//! fewest fields, a guardian's phone never reaches a guard, an ID number is never shown whole.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use xiaoan_api_tests::*;

const GUARDIAN_PHONE: &str = "13955501234";
const GUARDIAN_NAME: &str = "钱淑芬";
const STUDENT_FULL: &[&str] = &[
    "id",
    "student_no",
    "name",
    "class_id",
    "class_name",
    "is_active",
    "guardian_name",
    "guardian_phone",
];
const STUDENT_MINIMAL: &[&str] = &["id", "student_no", "name", "class_id", "class_name"];
const PASS_FULL: &[&str] = &[
    "id",
    "student_id",
    "student_no",
    "student_name",
    "class_id",
    "class_name",
    "kind",
    "reason",
    "valid_from",
    "valid_until",
    "return_by",
    "status",
    "overdue",
    "issued_by",
    "issued_at",
    "revoked_at",
    "exited_at",
    "returned_at",
    "token",
    "short_code",
];
/// What a `passes:read` key sees of a pass: who, which class, when, the status — no reason,
/// no credential, no manual code, no issuer.
const PASS_KEY: &[&str] = &[
    "id",
    "student_id",
    "student_no",
    "student_name",
    "class_id",
    "class_name",
    "kind",
    "valid_from",
    "valid_until",
    "return_by",
    "status",
    "overdue",
    "issued_at",
    "revoked_at",
    "exited_at",
    "returned_at",
];
const GATE_PASS_HIT: &[&str] = &["pass_id", "student_name", "class_name", "status"];
const OUT_STUDENT: &[&str] = &[
    "pass_id",
    "student_id",
    "student_no",
    "student_name",
    "class_id",
    "class_name",
    "kind",
    "exited_at",
    "return_by",
    "overdue",
];
const VISITOR: &[&str] = &[
    "id",
    "name",
    "phone",
    "id_number_masked",
    "organisation",
    "reason",
    "host",
    "vehicle_plate",
    "gate",
    "expected_visitor_id",
    "watchlist_entry_id",
    "status",
    "decided_by",
    "decided_at",
    "decision_reason",
    "checked_in_at",
    "checked_out_at",
    "on_campus",
];
const PASS_REASON: &str = "口腔医院复诊(保密)";
const ID_NUMBER: &str = "32050119800101123X";

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// The object with this `id` (under `key`) in a list answer (a page or a bare array).
fn row<'a>(body: &'a Value, key: &str, id: &str) -> Option<&'a Value> {
    body["items"]
        .as_array()
        .or_else(|| body.as_array())
        .and_then(|items| items.iter().find(|x| x[key] == id))
}

/// A student of teacher1's class with a guardian on record (made by the office).
async fn student_with_guardian(app: &TestApp) -> (String, String, String) {
    let office = app.token("office").await;
    let class_a = app.own_class_id("teacher1").await;
    let r = app
        .post(
            "/api/v1/students",
            &office,
            json!({"student_no": "2019099", "name": "钱小明", "class_id": class_a,
                   "guardian_name": GUARDIAN_NAME, "guardian_phone": GUARDIAN_PHONE}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (
        r.body["id"].as_str().expect("id").to_owned(),
        class_a,
        "钱小明".into(),
    )
}

#[tokio::test]
async fn every_student_read_shows_each_caller_only_its_fields() {
    let app = spawn_app().await;
    let (id, class_a, _) = student_with_guardian(&app).await;
    let key = app.api_key(&["people:read"]).await;
    let full = set(STUDENT_FULL);
    let minimal = set(STUDENT_MINIMAL);
    let mut callers = Vec::new();
    for (who, view) in [
        ("principal", &full),
        ("office", &full),
        ("teacher1", &full),
        ("guard1", &minimal),
        ("officer1", &minimal),
    ] {
        callers.push((who.to_owned(), app.token(who).await, view.clone()));
    }
    callers.push(("people:read key".into(), key, minimal.clone()));

    for (who, auth, view) in &callers {
        let reads = [
            (format!("/api/v1/students/{id}"), false),
            (
                format!("/api/v1/students?class_id={class_a}&limit=200"),
                true,
            ),
            ("/api/v1/students?limit=200&q=钱小明".to_owned(), true),
        ];
        for (path, is_list) in reads {
            let r = app.get(&path, auth).await;
            assert_eq!(r.status, StatusCode::OK, "{who} {path}: {}", r.text);
            let s = if is_list {
                row(&r.body, "id", &id)
                    .unwrap_or_else(|| panic!("{who} {path}: the student is listed"))
                    .clone()
            } else {
                r.body.clone()
            };
            assert_eq!(&keys(&s), view, "{who} {path}");
            if view == &minimal {
                assert!(
                    !r.text.contains(GUARDIAN_PHONE) && !r.text.contains(GUARDIAN_NAME),
                    "{who} {path}: guardian contact leaked"
                );
            } else {
                assert_eq!(s["guardian_phone"], GUARDIAN_PHONE, "{who} {path}");
                assert_eq!(s["guardian_name"], GUARDIAN_NAME, "{who} {path}");
                assert_eq!(s["is_active"], true, "{who} {path}");
            }
        }
    }
    // Another class's teacher and another class's officer: refused, in the list and alone.
    let t2 = app.token("teacher2").await;
    let r = app.get(&format!("/api/v1/students/{id}"), &t2).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "not_own_class")
    );
    let r = app.get("/api/v1/students?limit=200&q=钱小明", &t2).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        row(&r.body, "id", &id).is_none() && !r.text.contains(GUARDIAN_PHONE),
        "{}",
        r.text
    );
}

async fn issue_pass(app: &TestApp, student_id: &str) -> Value {
    let t1 = app.token("teacher1").await;
    let r = app
        .post(
            "/api/v1/leave-passes",
            &t1,
            json!({"student_id": student_id, "kind": "exit_and_return", "reason": PASS_REASON,
                   "valid_until": (Utc::now() + Duration::hours(4)).to_rfc3339(),
                   "return_by": (Utc::now() + Duration::hours(3)).to_rfc3339()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        keys(&r.body),
        set(PASS_FULL),
        "issuing answers the full pass"
    );
    r.body
}

#[tokio::test]
async fn every_pass_read_shows_each_caller_only_its_fields() {
    let app = spawn_app().await;
    let (student_id, class_a, name) = student_with_guardian(&app).await;
    let pass = issue_pass(&app, &student_id).await;
    let pass_id = pass["id"].as_str().expect("id").to_owned();
    let token = pass["token"].as_str().expect("token").to_owned();

    // The office, the principal and the own teacher: the whole pass, list and single.
    for who in ["principal", "office", "teacher1"] {
        let t = app.token(who).await;
        for path in [
            format!("/api/v1/leave-passes/{pass_id}"),
            format!("/api/v1/leave-passes?class_id={class_a}"),
            format!("/api/v1/leave-passes?student_id={student_id}"),
        ] {
            let r = app.get(&path, &t).await;
            assert_eq!(r.status, StatusCode::OK, "{who} {path}: {}", r.text);
            let p = if path.contains('?') {
                row(&r.body, "id", &pass_id)
                    .unwrap_or_else(|| panic!("{who} {path}: the pass is listed"))
                    .clone()
            } else {
                r.body.clone()
            };
            assert_eq!(keys(&p), set(PASS_FULL), "{who} {path}");
            assert_eq!(p["reason"], PASS_REASON, "{who} {path}");
            assert!(!r.text.contains(GUARDIAN_PHONE), "{who} {path}");
        }
    }
    // A `passes:read` key: every class, the fewest fields; never the reason, the credential,
    // its manual code or a guardian's contact.
    let pass_key = app.api_key(&["passes:read"]).await;
    for path in [
        format!("/api/v1/leave-passes/{pass_id}"),
        format!("/api/v1/leave-passes?class_id={class_a}"),
        format!("/api/v1/leave-passes?student_id={student_id}"),
        "/api/v1/leave-passes?status=issued&limit=200".to_owned(),
    ] {
        let r = app.get(&path, &pass_key).await;
        assert_eq!(r.status, StatusCode::OK, "key {path}: {}", r.text);
        let p = if path.contains('?') {
            row(&r.body, "id", &pass_id)
                .unwrap_or_else(|| panic!("key {path}: the pass is listed"))
                .clone()
        } else {
            r.body.clone()
        };
        assert_eq!(keys(&p), set(PASS_KEY), "key {path}");
        assert_eq!(p["student_name"], name.as_str(), "key {path}");
        assert_eq!(p["student_no"], "2019099", "key {path}");
        let code = pass["short_code"].as_str().expect("short code");
        for secret in [
            PASS_REASON,
            GUARDIAN_PHONE,
            GUARDIAN_NAME,
            token.as_str(),
            code,
        ] {
            assert!(!r.text.contains(secret), "key {path} leaks {secret}");
        }
    }
    // Nobody else reads passes: other teacher, guard, officer, keys of other scopes.
    let t2 = app.token("teacher2").await;
    let r = app
        .get(&format!("/api/v1/leave-passes/{pass_id}"), &t2)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "not_own_class")
    );
    let other_key = app
        .api_key(&["people:read", "gate:scan", "gate:read", "records:read"])
        .await;
    for (who, auth, code) in [
        ("guard1", app.token("guard1").await, "forbidden_role"),
        ("officer1", app.token("officer1").await, "forbidden_role"),
        ("key", other_key.clone(), "insufficient_scope"),
    ] {
        for path in [
            format!("/api/v1/leave-passes/{pass_id}"),
            format!("/api/v1/leave-passes?class_id={class_a}"),
        ] {
            let r = app.get(&path, &auth).await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::FORBIDDEN, code),
                "{who} {path}"
            );
        }
    }

    // The guard's search: name, class, status and pass id only.
    let guard = app.token("guard1").await;
    let r = app
        .get(&format!("/api/v1/gate/passes?q={name}"), &guard)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let hit = row(&r.body, "pass_id", &pass_id).expect("the guard finds the pass");
    assert_eq!(keys(hit), set(GATE_PASS_HIT));
    for secret in [PASS_REASON, GUARDIAN_PHONE, GUARDIAN_NAME, token.as_str()] {
        assert!(!r.text.contains(secret), "guard search leaks {secret}");
    }

    // The guard's scan verdict: the student's name and class, no more.
    for auth in [guard.clone(), app.api_key(&["gate:scan"]).await] {
        let r = app
            .post(
                "/api/v1/gate/scans",
                &auth,
                json!({"token": token, "direction": "exit", "gate": "东门",
                       "client_event_id": uuid::Uuid::new_v4().to_string()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            keys(&r.body["student"]),
            set(&["name", "class"]),
            "{}",
            r.text
        );
        for secret in [PASS_REASON, GUARDIAN_PHONE, GUARDIAN_NAME] {
            assert!(!r.text.contains(secret), "scan verdict leaks {secret}");
        }
    }
    // Students out now: the office, the principal, the own teacher; no guardian, no reason.
    for who in ["principal", "office", "teacher1"] {
        let t = app.token(who).await;
        let r = app
            .get(&format!("/api/v1/gate/out?class_id={class_a}"), &t)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let out = row(&r.body, "pass_id", &pass_id).expect("the student is out");
        assert_eq!(keys(out), set(OUT_STUDENT), "{who}");
        assert!(!r.text.contains(GUARDIAN_PHONE) && !r.text.contains(PASS_REASON));
    }
    // The gate log for a gate:read key: no reason, no guardian contact.
    let log_key = app.api_key(&["gate:read"]).await;
    let r = app
        .get(&format!("/api/v1/gate/scans?pass_id={pass_id}"), &log_key)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        !r.body["items"].as_array().expect("items").is_empty(),
        "{}",
        r.text
    );
    for secret in [PASS_REASON, GUARDIAN_PHONE, GUARDIAN_NAME] {
        assert!(!r.text.contains(secret), "gate log leaks {secret}");
    }
}

#[tokio::test]
async fn every_visitor_read_shows_the_same_fields_and_never_the_id_number() {
    let app = spawn_app().await;
    let guard = app.token("guard1").await;
    let r = app
        .post(
            "/api/v1/visitors",
            &guard,
            json!({"name": "周丽华", "phone": "13912345678", "id_number": ID_NUMBER,
                   "reason": "家长会", "gate": "东门"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["visitor"]["id"].as_str().expect("id").to_owned();
    assert_eq!(keys(&r.body["visitor"]), set(VISITOR));
    assert!(!r.text.contains(ID_NUMBER), "check-in echoes the ID number");
    let mut readers = Vec::new();
    for who in ["principal", "office", "guard1"] {
        readers.push((who.to_owned(), app.token(who).await));
    }
    readers.push((
        "visitors:read key".to_owned(),
        app.api_key(&["visitors:read"]).await,
    ));
    for (who, t) in &readers {
        for path in [
            format!("/api/v1/visitors/{id}"),
            "/api/v1/visitors?on_campus=true".to_owned(),
            "/api/v1/visitors?q=周丽华".to_owned(),
        ] {
            let r = app.get(&path, t).await;
            assert_eq!(r.status, StatusCode::OK, "{who} {path}: {}", r.text);
            let v = if path.contains('?') {
                row(&r.body, "id", &id)
                    .unwrap_or_else(|| panic!("{who} {path}: the visitor is listed"))
                    .clone()
            } else {
                r.body.clone()
            };
            assert_eq!(keys(&v), set(VISITOR), "{who} {path}");
            assert_eq!(v["id_number_masked"], "**************123X", "{who} {path}");
            assert!(
                !r.text.contains(ID_NUMBER) && !r.text.contains("32050119800101"),
                "{who} {path}: the ID number is shown"
            );
        }
    }
    let key = app
        .api_key(&["people:read", "gate:scan", "gate:read", "passes:read"])
        .await;
    for (who, auth, code) in [
        ("teacher1", app.token("teacher1").await, "forbidden_role"),
        ("officer1", app.token("officer1").await, "forbidden_role"),
        ("key", key, "insufficient_scope"),
    ] {
        for path in [
            format!("/api/v1/visitors/{id}"),
            "/api/v1/visitors".to_owned(),
        ] {
            let r = app.get(&path, &auth).await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::FORBIDDEN, code),
                "{who} {path}"
            );
        }
    }
}
