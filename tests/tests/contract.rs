//! Regressions found by fuzzing the contract (scripts/schemathesis.sh): what the server answers
//! is what the committed spec documents.

use reqwest::StatusCode;
use serde_json::json;
use xiaoan_api_tests::*;

fn documented(spec: &serde_json::Value, path: &str, method: &str, status: &str) -> bool {
    spec["paths"][path][method]["responses"][status]["content"]["application/problem+json"]
        .is_object()
}

#[tokio::test]
async fn student_in_an_unknown_class_is_a_documented_404() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/students",
            &office,
            json!({"student_no": "20180401", "name": "王小明", "class_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.code(), "class_not_found");
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let spec = serde_json::to_value(xiaoan::app::openapi()).unwrap();
    assert!(documented(&spec, "/api/v1/students", "post", "404"));
}

#[tokio::test]
async fn generic_errors_are_documented_with_their_media_type() {
    let app = spawn_app().await;
    let spec = serde_json::to_value(xiaoan::app::openapi()).unwrap();
    let guard = app.token("guard1").await;
    // 403 for a role that may not call it; 400 for a malformed query; 415 for a non-JSON body.
    let r = app.get("/api/v1/users", &guard).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(documented(&spec, "/api/v1/users", "get", "403"));
    let office = app.token("office").await;
    let r = app.get("/api/v1/users?limit=abc", &office).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(documented(&spec, "/api/v1/users", "get", "400"));
    let r = TestApp::finish(
        app.client
            .post(app.url("/api/v1/classes"))
            .bearer_auth(&office)
            .header("content-type", "text/plain")
            .body("x"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(documented(&spec, "/api/v1/classes", "post", "415"));
    // Every error response in the spec is problem+json, never plain JSON.
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, resp) in op["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        resp["content"].get("application/json").is_none(),
                        "{method} {path} {status} documented as application/json"
                    );
                }
            }
        }
    }
}
