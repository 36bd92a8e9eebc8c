use reqwest::StatusCode;
use xiaoan_api_tests::*;

#[tokio::test]
async fn health_ready_and_demo_login() {
    let app = spawn_app().await;
    let r = app
        .request(reqwest::Method::GET, "/api/health", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .request(reqwest::Method::GET, "/api/ready", None, None)
        .await;
    assert_eq!(r.body["status"], "ok");
    for u in DEMO_USERS {
        let me = app.me(u).await;
        assert_eq!(me["username"], *u);
    }
    assert_eq!(app.me("officer1").await["role"], "safety_officer");
    assert_eq!(app.class_ids().await.len(), 5);
}
