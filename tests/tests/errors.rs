//! The error contract: problem+json with stable codes, 4xx for bad input, never 500.

use reqwest::{Method, StatusCode};
use serde_json::json;
use xiaoan_api_tests::*;

#[tokio::test]
async fn bad_input_gets_clear_problems() {
    let app = spawn_app().await;
    let office = app.token("office").await;

    // Unknown fields are rejected, without echoing values.
    let r = app
        .post(
            "/api/v1/classes",
            &office,
            json!({"name": "新班", "grade": "2020级", "colour": "红色"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_body")
    );
    assert!(r.body["detail"].as_str().unwrap().contains("colour"));
    assert!(!r.text.contains("红色"));
    let r = app
        .post(
            "/api/v1/classes",
            &office,
            json!({"name": 12, "grade": "2020级"}),
        )
        .await;
    assert_eq!(r.code(), "invalid_body");

    // Not JSON at all, wrong content type, too large.
    let req = app
        .client
        .post(app.url("/api/v1/classes"))
        .bearer_auth(&office)
        .header("content-type", "application/json")
        .body("{not json");
    assert_eq!(TestApp::finish(req).await.code(), "invalid_body");
    let req = app
        .client
        .post(app.url("/api/v1/classes"))
        .bearer_auth(&office)
        .header("content-type", "text/plain")
        .body("{}");
    let r = TestApp::finish(req).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let huge = "x".repeat(300 * 1024);
    let r = app
        .post(
            "/api/v1/classes",
            &office,
            json!({"name": huge, "grade": "g"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let big_csv = "学号,姓名,班级\n".to_string() + &"1,张,一班\n".repeat(600_000);
    let req = app
        .client
        .post(app.url("/api/v1/students/import"))
        .bearer_auth(&office)
        .header("content-type", "text/csv")
        .body(big_csv);
    let r = TestApp::finish(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.headers["content-type"], "application/problem+json");

    // Bad path and query parameters.
    let r = app.get("/api/v1/users/not-a-uuid", &office).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_path")
    );
    let r = app.get("/api/v1/audit-log?from=yesterday", &office).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    let r = app.get("/api/v1/students?shoe_size=42", &office).await;
    assert_eq!(r.code(), "invalid_query");

    // Unknown routes and methods.
    let r = app.get("/api/v1/nothing-here", &office).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "route_not_found")
    );
    let r = app
        .request(Method::DELETE, "/api/v1/me", Some(&office), None)
        .await;
    assert!(r.status.is_client_error());
    assert_eq!(r.headers["content-type"], "application/problem+json");

    // Unique clash: 409, never 500.
    let r = app
        .post(
            "/api/v1/classes",
            &office,
            json!({"name": "2019级会计事务班", "grade": "2019级"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app
        .post(
            "/api/v1/classes",
            &office,
            json!({"name": "2019级会计事务班", "grade": "2019级"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "already_exists")
    );
    let class_id = app.own_class_id("teacher1").await;
    let r = app
        .post(
            "/api/v1/students",
            &office,
            json!({"student_no": "20190101", "name": "某", "class_id": class_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Every problem is well-formed.
    assert_eq!(r.body["status"], 409);
    assert_eq!(r.body["type"], "urn:xiaoan:problem:already_exists");
    assert!(r.body["title"].is_string() && r.body["detail"].is_string());
}

#[tokio::test]
async fn api_answers_are_not_cached() {
    let app = spawn_app().await;
    let t = app.token("teacher1").await;
    let r = app.get("/api/v1/me", &t).await;
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
}

/// Issue 15 #8: control characters (other than newline and tab) and bidi overrides are refused
/// in every JSON text and query parameter, 422 naming the field and never quoting the value;
/// on PostgreSQL a NUL used to reach the database (500).
#[tokio::test]
async fn control_and_bidi_characters_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    let guard = app.token("guard1").await;
    let office = app.token("office").await;
    let teacher = app.token("teacher1").await;
    let refused = |r: &Resp, field: &str, code: &str| {
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.text
        );
        assert_eq!(r.code(), "validation_failed", "{}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
        assert_eq!(r.body["errors"][0]["code"], code, "{}", r.text);
        assert!(!r.text.contains("秘密"), "the value is echoed: {}", r.text);
    };

    // Sign-in.
    let r = app.login_full("office\u{0}秘密", PASSWORD).await;
    refused(&r, "username", "control_character");
    let r = app.login_full("office", "秘密\u{0}").await;
    refused(&r, "password", "control_character");
    // A visitor's name (NUL, ESC) and reason (a right-to-left override).
    let visitor = |name: &str, reason: &str| json!({"name": name, "reason": reason});
    let r = app
        .post("/api/v1/visitors", &guard, visitor("孙\u{0}秘密", "送材料"))
        .await;
    refused(&r, "name", "control_character");
    let r = app
        .post(
            "/api/v1/visitors",
            &guard,
            visitor("孙\u{1b}[2J秘密", "送材料"),
        )
        .await;
    refused(&r, "name", "control_character");
    let r = app
        .post(
            "/api/v1/visitors",
            &guard,
            visitor("孙建国", "秘密\u{202e}gpj.exe"),
        )
        .await;
    refused(&r, "reason", "bidi_control");
    // A hazard.
    let hazard =
        json!({"category": "facility", "location": "教学楼A", "description": "扶手\u{0}松动秘密"});
    let r = app.post("/api/v1/hazards", &teacher, hazard).await;
    refused(&r, "description", "control_character");
    // A gate name, in a single scan and inside a batch.
    let scan = json!({"token": "XA1.x.y", "direction": "exit", "gate": "南门\u{0}秘密", "client_event_id": uuid::Uuid::now_v7()});
    let r = app.post("/api/v1/gate/scans", &guard, scan.clone()).await;
    refused(&r, "gate", "control_character");
    let r = app
        .post("/api/v1/gate/scans/batch", &guard, json!({"scans": [scan]}))
        .await;
    refused(&r, "scans[0].gate", "control_character");
    // A search.
    for q in ["%00秘密", "a%1B%5B2J", "%E2%80%AE秘密", "%E2%81%A6"] {
        let r = app.get(&format!("/api/v1/visitors?q={q}"), &office).await;
        let code = if q.starts_with("%E2") {
            "bidi_control"
        } else {
            "control_character"
        };
        refused(&r, "q", code);
        let r = app.get(&format!("/api/v1/users?q={q}"), &office).await;
        refused(&r, "q", code);
    }

    // Newlines and tabs stay allowed in text; nothing was stored by the refusals above.
    let hazard =
        json!({"category": "facility", "location": "教学楼A", "description": "扶手松动\n\t第二行"});
    let r = app.post("/api/v1/hazards", &teacher, hazard).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app.get("/api/v1/visitors?q=孙", &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!r.text.contains("秘密"), "{}", r.text);
    assert_eq!(
        app.login_full("office", PASSWORD).await.status,
        StatusCode::OK
    );
}
