//! Integration keys: shown once, stored hashed, scoped, revocable, last use recorded.

use reqwest::{Method, StatusCode};
use serde_json::json;
use xiaoan_api_tests::*;

#[tokio::test]
async fn keys_are_scoped_shown_once_and_revocable() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/api-keys",
            &office,
            json!({"name": "教育局平台", "scopes": ["people:read"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("xak_") && secret.len() > 40);
    assert!(r.body["last_used_at"].is_null());

    let list = app.get("/api/v1/api-keys", &office).await;
    assert!(!list.text.contains(&secret), "secret shown again");
    assert!(!list.text.contains(&secret[12..]), "secret shown again");
    assert_eq!(list.body[0]["prefix"], &secret[..12]);

    let key = format!("key:{secret}");
    let r = app
        .request(Method::GET, "/api/v1/students?limit=1", Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // A scope the key lacks, and routes that take no keys.
    let r = app
        .request(Method::GET, "/api/v1/users", Some(&key), None)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "api_key_not_allowed")
    );
    let list = app.get("/api/v1/api-keys", &office).await;
    assert!(
        list.body[0]["last_used_at"].is_string(),
        "last use not recorded"
    );

    let r = app.delete(&format!("/api/v1/api-keys/{id}"), &office).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["revoked_at"].is_string());
    let r = app
        .request(Method::GET, "/api/v1/students?limit=1", Some(&key), None)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "invalid_api_key")
    );
    assert_eq!(app.audit("action=api_key.revoke").await.len(), 1);
}

#[tokio::test]
async fn unknown_scopes_are_refused() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/api-keys",
            &office,
            json!({"name": "x", "scopes": ["everything"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["code"], "unknown_scope");
    let r = app
        .post(
            "/api/v1/api-keys",
            &office,
            json!({"name": "x", "scopes": []}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "scopes");
}
