//! The audit trail: every write leaves a row in the same transaction; a failed write none.

use reqwest::StatusCode;
use serde_json::json;
use xiaoan_api_tests::*;

#[tokio::test]
async fn writes_are_audited_with_who_what_and_the_change() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let office_id = app.me("office").await["id"].as_str().unwrap().to_owned();
    let class_id = app.own_class_id("teacher1").await;
    let r = app
        .post(
            "/api/v1/students",
            &office,
            json!({"student_no": "20199999", "name": "新同学", "class_id": class_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let sid = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .patch(
            &format!("/api/v1/students/{sid}"),
            &office,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let entries = app
        .audit(&format!("entity_type=student&entity_id={sid}"))
        .await;
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["student.update", "student.create"],
        "newest first"
    );
    assert_eq!(entries[0]["actor_user_id"], office_id.as_str());
    assert_eq!(entries[0]["changes"]["before"]["is_active"], true);
    assert_eq!(entries[0]["changes"]["after"]["is_active"], false);
    // Filter by actor and time.
    let mine = app
        .audit(&format!("actor_user_id={office_id}&action=student.create"))
        .await;
    assert_eq!(mine.len(), 1);
    let future = app.audit("from=2999-01-01T00:00:00Z").await;
    assert!(future.is_empty());
}

#[tokio::test]
async fn failed_writes_leave_no_audit_row() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let before = app.audit("action=class.create").await.len();
    let dup = app
        .post(
            "/api/v1/classes",
            &office,
            json!({"name": "2019级旅游服务与管理1班", "grade": "2019级"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let invalid = app
        .post("/api/v1/classes", &office, json!({"name": "", "grade": ""}))
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.audit("action=class.create").await.len(), before);
    // A user create that fails on the username clash after hashing: nothing written.
    let r = app
        .post("/api/v1/users", &office, json!({"username": "guard1", "display_name": "x", "role": "guard", "password": "long-enough-pw"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(app.audit("action=user.create").await.is_empty());
}

#[tokio::test]
async fn only_principal_and_office_read_the_trail() {
    let app = spawn_app().await;
    for who in ["teacher1", "guard1", "officer1"] {
        let t = app.token(who).await;
        assert_eq!(
            app.get("/api/v1/audit-log", &t).await.status,
            StatusCode::FORBIDDEN
        );
    }
    let t = app.token("principal").await;
    let r = app.get("/api/v1/audit-log", &t).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "demo.seed")
    );
}

/// The audit log says who acted by name and role (the SPA shows "张主任 · 保卫处", not a UUID);
/// system entries (demo loader, CLI) have no actor name.
#[tokio::test]
async fn audit_entries_name_the_actor_and_role() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let me = app.me("office").await;
    let class_id = app.own_class_id("teacher1").await;
    let r = app
        .post(
            "/api/v1/students",
            &office,
            json!({"student_no": "20198888", "name": "审计同学", "class_id": class_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let sid = r.body["id"].as_str().unwrap();
    let entries = app
        .audit(&format!("entity_type=student&entity_id={sid}"))
        .await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["actor_name"], me["display_name"]);
    assert_eq!(entries[0]["actor_role"], "security_office");
    for e in app.audit("").await {
        if e["actor_user_id"].is_null() && e["actor_api_key_id"].is_null() {
            assert!(e["actor_name"].is_null(), "{e}");
        } else if !e["actor_user_id"].is_null() {
            assert!(e["actor_name"].is_string(), "{e}");
            assert!(e["actor_role"].is_string(), "{e}");
        }
    }
}
