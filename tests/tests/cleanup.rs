//! Housekeeping (`xiaoan cleanup`): ended sessions and never-attached uploads past keeping are
//! removed; sessions in use, recent uploads and photos of records stay.

use reqwest::StatusCode;
use serde_json::json;
use xiaoan_api_tests::*;

/// Runs `xiaoan cleanup` on the app's database; returns what it printed.
async fn cleanup(app: &TestApp) -> String {
    let data_dir = app.data_dir.display().to_string();
    let out = run_xiaoan(
        &[
            "cleanup",
            "--data-dir",
            &data_dir,
            "--database-url",
            &app.database_url,
        ],
        &[],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

#[tokio::test]
async fn cleanup_removes_only_what_is_past_keeping() {
    let app = spawn_app().await;
    // An ended session: guard1 signs in and out.
    let ended = app.fresh_token("guard1").await;
    let r = app.post("/api/v1/auth/logout", &ended, json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // A session in use, and one signed out only yesterday.
    let live = app.fresh_token("office").await;
    let recent = app.fresh_token("teacher1").await;
    app.post("/api/v1/auth/logout", &recent, json!({})).await;
    // Two uploads never attached and one attached to a hazard report.
    let abandoned = app.upload_photo("guard1").await;
    let fresh = app.upload_photo("officer1").await;
    let attached = app.upload_photo("guard1").await;
    let guard = app.token("guard1").await;
    let r = app
        .post(
            "/api/v1/hazards",
            &guard,
            json!({"category": "facility", "location": "东门",
               "description": "栏杆松动", "attachment_ids": [attached]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Age them (by columns: SQLite keeps uuids as blobs): guard1's ended session 31 days ago,
    // every upload but officer1's 8 days old.
    let guard_id_sessions = "user_id IN (SELECT id FROM users WHERE username = 'guard1')";
    app.sql(&format!(
        "UPDATE sessions SET revoked_at = '2020-01-01 00:00:00+00:00' WHERE revoked_at IS NOT NULL AND {guard_id_sessions}"
    ))
    .await;
    app.sql(
        "UPDATE attachments SET uploaded_at = '2020-01-01 00:00:00+00:00' WHERE uploaded_by IN (SELECT id FROM users WHERE username = 'guard1')",
    )
    .await;
    let files = |id: &str| {
        let id = id.replace('-', "");
        std::fs::read_dir(app.data_dir.join("attachments"))
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(&id))
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(files(&abandoned), 2, "a photo and its thumbnail");
    let sessions_before = app.sql_count("SELECT COUNT(*) AS n FROM sessions").await;
    let tokens_before = app
        .sql_count("SELECT COUNT(*) AS n FROM refresh_tokens")
        .await;

    let stderr = cleanup(&app).await;
    assert!(
        stderr.contains("removed 1 ended sessions (1 refresh tokens) and 1 unattached uploads"),
        "{stderr}"
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) AS n FROM sessions").await,
        sessions_before - 1
    );
    assert_eq!(
        app.sql_count("SELECT COUNT(*) AS n FROM refresh_tokens")
            .await,
        tokens_before - 1
    );
    // What is still in use is untouched.
    assert_eq!(app.get("/api/v1/me", &live).await.status, StatusCode::OK);
    let office = app.token("office").await;
    let officer = app.token("officer1").await;
    let status = |id: String, token: String| {
        let app = &app;
        async move {
            app.get_bytes(&format!("/api/v1/attachments/{id}"), Some(&token))
                .await
                .0
        }
    };
    assert_eq!(status(attached.clone(), office).await, StatusCode::OK);
    assert_eq!(status(fresh.clone(), officer).await, StatusCode::OK);
    // Even its uploader no longer finds it.
    assert_eq!(
        status(abandoned.clone(), guard.clone()).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(files(&abandoned), 0, "its files are gone too");
    assert_eq!(files(&attached), 2);

    // Again: nothing left to remove.
    let stderr = cleanup(&app).await;
    assert!(stderr.contains("removed 0 ended sessions"), "{stderr}");
}
