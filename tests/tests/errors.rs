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
