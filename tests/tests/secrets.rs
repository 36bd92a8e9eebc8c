//! Secrets at rest (issue 15 item 9): the pass signing seeds and the ID-number hash key are
//! stored sealed under the master key; restarts with the same key work, a wrong key stops the
//! start with a clear message; `rotate-master-key`; the data files are the server's user's only.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use ed25519_dalek::SigningKey;
use reqwest::StatusCode;
use serde_json::json;
use xiaoan_api_tests::*;

fn ts(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339()
}

/// Issues a pass for the first student of teacher1's class; returns its token.
async fn issue_pass(app: &TestApp) -> String {
    let class_id = app.own_class_id("teacher1").await;
    let student = app.students_of(&class_id).await[0].clone();
    let t = app.token("teacher1").await;
    let r = app
        .post(
            "/api/v1/leave-passes",
            &t,
            json!({
                "student_id": student["id"], "kind": "exit_and_return", "reason": "看病",
                "valid_until": ts(Duration::hours(4)), "return_by": ts(Duration::hours(3)),
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["token"].as_str().unwrap().to_owned()
}

/// The guard's online verdict on a pass token.
async fn verdict(app: &TestApp, token: &str) -> String {
    let g = app.token("guard1").await;
    let r = app
        .post(
            "/api/v1/gate/scans",
            &g,
            json!({"token": token, "direction": "exit", "gate": "南门",
                   "client_event_id": uuid::Uuid::new_v4().to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["result"].as_str().unwrap_or("").to_owned()
}

async fn rows(app: &TestApp, sql: &str) -> Vec<(String, String)> {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let conn = Database::connect(app.database_url.as_str()).await.unwrap();
    let out = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.try_get::<String>("", "a").unwrap(),
                r.try_get::<String>("", "b").unwrap(),
            )
        })
        .collect();
    let _ = conn.close().await;
    out
}

fn master_of(data_dir: &std::path::Path) -> xiaoan::infra::keys::MasterKey {
    xiaoan::infra::keys::MasterKey::load(&xiaoan::Settings {
        data_dir: data_dir.to_path_buf(),
        ..xiaoan::Settings::default()
    })
    .unwrap()
}

/// Settings of a second server over the same database and data directory as `app`.
fn same_store(app: &TestApp) -> impl FnOnce(&mut xiaoan::Settings) + use<> {
    let dir = app.data_dir.clone();
    let url = app.database_url.clone();
    move |s| {
        s.data_dir = dir;
        s.database_url = Some(url);
    }
}

#[tokio::test]
async fn signing_seeds_and_the_id_hash_key_are_stored_sealed_and_passes_still_verify() {
    let app = spawn_app().await;
    let token = issue_pass(&app).await;
    let keys = rows(
        &app,
        "SELECT kid AS a, private_key AS b FROM pass_signing_keys",
    )
    .await;
    assert!(!keys.is_empty());
    let master = master_of(&app.data_dir);
    for (kid, stored) in &keys {
        assert!(stored.starts_with("kek1:"), "seed stored in clear: {kid}");
        let seed = master
            .open(&xiaoan::features::passes::keys::seed_context(kid), stored)
            .unwrap();
        let seed: [u8; 32] = seed.try_into().unwrap();
        // Nothing of the seed is readable in the column, in any encoding the old code used.
        assert!(!stored.contains(&URL_SAFE_NO_PAD.encode(seed)));
        // And the sealed seed is the key behind the published public key.
        let public = rows(
            &app,
            &format!("SELECT kid AS a, public_key AS b FROM pass_signing_keys WHERE kid = '{kid}'"),
        )
        .await;
        assert_eq!(
            public[0].1,
            URL_SAFE_NO_PAD.encode(SigningKey::from_bytes(&seed).verifying_key().to_bytes())
        );
        // Sealed to its row: the same value under another kid does not open.
        assert!(
            master
                .open(
                    &xiaoan::features::passes::keys::seed_context("AAAAAAAAAAA"),
                    stored
                )
                .is_err()
        );
    }
    let secrets = rows(&app, "SELECT name AS a, secret AS b FROM gate_secrets").await;
    assert!(
        !secrets.is_empty(),
        "the demo visitor made the ID-number key"
    );
    for (name, stored) in &secrets {
        assert!(stored.starts_with("kek1:"), "secret {name} stored in clear");
    }
    assert_eq!(verdict(&app, &token).await, "allow");
}

#[tokio::test]
async fn a_restart_with_the_same_master_key_works_and_a_wrong_key_stops_the_start() {
    let app = spawn_app().await;
    let token = issue_pass(&app).await;
    let g = app.token("guard1").await;
    let visitor =
        json!({"name": "孙建国", "reason": "消防设施检查", "id_number": "320501198001011234"});
    let r = app.post("/api/v1/visitors", &g, visitor.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Same data directory (so the same master.key), same database: a second replica.
    let again = spawn_app_with(AppOptions { demo: false }, same_store(&app)).await;
    assert_eq!(verdict(&again, &token).await, "allow");
    let fresh = issue_pass(&again).await;
    assert_eq!(verdict(&app, &fresh).await, "allow");
    let g2 = again.token("guard1").await;
    let r = again.post("/api/v1/visitors", &g2, visitor).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let hashes = rows(
        &app,
        "SELECT id_number_last4 AS a, id_number_hash AS b FROM visitors WHERE id_number_last4 = '1234'",
    )
    .await;
    assert_eq!(hashes.len(), 2);
    assert_eq!(
        hashes[0].1, hashes[1].1,
        "the ID-number key opened the same"
    );

    // Another master key: the start fails, naming the master key, and nothing is rewritten.
    let before = rows(
        &app,
        "SELECT kid AS a, private_key AS b FROM pass_signing_keys",
    )
    .await;
    let mut settings = xiaoan::Settings {
        bind: "127.0.0.1:0".into(),
        jwt_secret: Some(JWT_SECRET.into()),
        frontend_dir: app.data_dir.join("no-frontend"),
        master_key: Some(base64::engine::general_purpose::STANDARD.encode([7u8; 32])),
        ..xiaoan::Settings::default()
    };
    same_store(&app)(&mut settings);
    let err = match xiaoan::Application::build(settings).await {
        Ok(_) => panic!("a server started with the wrong master key"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("master key"), "unclear error: {err}");
    let after = rows(
        &app,
        "SELECT kid AS a, private_key AS b FROM pass_signing_keys",
    )
    .await;
    assert_eq!(before, after);
    // The servers already running keep signing and verifying.
    let another = issue_pass(&app).await;
    assert_eq!(verdict(&again, &another).await, "allow");
}

#[tokio::test]
async fn secrets_stored_in_clear_by_an_older_version_are_sealed_on_start() {
    let app = spawn_app().await;
    let token = issue_pass(&app).await;
    let master = master_of(&app.data_dir);
    // Put the database back as the old code left it: seeds and secrets in clear.
    for (kid, stored) in rows(
        &app,
        "SELECT kid AS a, private_key AS b FROM pass_signing_keys",
    )
    .await
    {
        let seed = master
            .open(&xiaoan::features::passes::keys::seed_context(&kid), &stored)
            .unwrap();
        app.sql(&format!(
            "UPDATE pass_signing_keys SET private_key = '{}' WHERE kid = '{kid}'",
            URL_SAFE_NO_PAD.encode(seed)
        ))
        .await;
    }
    for (name, stored) in rows(&app, "SELECT name AS a, secret AS b FROM gate_secrets").await {
        let plain = master
            .open(
                &xiaoan::features::passes::keys::secret_context(&name),
                &stored,
            )
            .unwrap();
        app.sql(&format!(
            "UPDATE gate_secrets SET secret = '{}' WHERE name = '{name}'",
            String::from_utf8(plain).unwrap()
        ))
        .await;
    }
    let plain = rows(
        &app,
        "SELECT kid AS a, private_key AS b FROM pass_signing_keys",
    )
    .await;
    assert!(plain.iter().all(|(_, v)| !v.starts_with("kek1:")));

    let again = spawn_app_with(AppOptions { demo: false }, same_store(&app)).await;
    for (kid, stored) in rows(
        &app,
        "SELECT kid AS a, private_key AS b FROM pass_signing_keys",
    )
    .await
    {
        assert!(stored.starts_with("kek1:"), "{kid} left in clear");
        let seed = master
            .open(&xiaoan::features::passes::keys::seed_context(&kid), &stored)
            .unwrap();
        let old = plain.iter().find(|(k, _)| *k == kid).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(seed), old.1, "the same seed, sealed");
    }
    let secrets = rows(&app, "SELECT name AS a, secret AS b FROM gate_secrets").await;
    assert!(secrets.iter().all(|(_, v)| v.starts_with("kek1:")));
    assert_eq!(verdict(&again, &token).await, "allow");
    // A third start finds nothing to seal and changes nothing (idempotent).
    let sealed = rows(
        &app,
        "SELECT kid AS a, private_key AS b FROM pass_signing_keys",
    )
    .await;
    let _third = spawn_app_with(AppOptions { demo: false }, same_store(&app)).await;
    let still = rows(
        &app,
        "SELECT kid AS a, private_key AS b FROM pass_signing_keys",
    )
    .await;
    assert_eq!(sealed, still);
}

#[tokio::test]
async fn rotating_the_master_key_reseals_every_secret_and_retires_the_old_key() {
    let app = spawn_app().await;
    let token = issue_pass(&app).await;
    let old_file = std::fs::read_to_string(app.data_dir.join("master.key")).unwrap();
    let before = rows(
        &app,
        "SELECT kid AS a, private_key AS b FROM pass_signing_keys",
    )
    .await;

    let mut settings = xiaoan::Settings::default();
    same_store(&app)(&mut settings);
    let db = xiaoan::infra::db::Db::connect(&settings).await.unwrap();
    let printed = xiaoan::features::passes::keys::rotate_master_key(&settings, &db)
        .await
        .unwrap();
    assert!(
        printed.is_none(),
        "a key from master.key is replaced in place"
    );
    let new_file = std::fs::read_to_string(app.data_dir.join("master.key")).unwrap();
    assert_ne!(old_file, new_file);
    assert!(!app.data_dir.join("master.key.new").exists());
    let after = rows(
        &app,
        "SELECT kid AS a, private_key AS b FROM pass_signing_keys",
    )
    .await;
    assert_eq!(before.len(), after.len());
    assert!(before.iter().zip(&after).all(|(b, a)| b.1 != a.1));

    // A server with the new key signs and verifies; the old key no longer opens anything.
    let again = spawn_app_with(AppOptions { demo: false }, same_store(&app)).await;
    assert_eq!(verdict(&again, &token).await, "allow");
    let fresh = issue_pass(&again).await;
    assert_eq!(verdict(&again, &fresh).await, "allow");
    let mut stale = xiaoan::Settings {
        bind: "127.0.0.1:0".into(),
        jwt_secret: Some(JWT_SECRET.into()),
        master_key: Some(old_file.trim().to_owned()),
        ..xiaoan::Settings::default()
    };
    same_store(&app)(&mut stale);
    assert!(xiaoan::Application::build(stale).await.is_err());
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_database_keys_photos_and_backups_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    // A data directory the server creates itself, with the default SQLite database in it
    // (file modes are SQLite's concern; PostgreSQL keeps its own files).
    let inner =
        std::env::temp_dir().join(format!("xiaoan-modes-{}", uuid::Uuid::now_v7().simple()));
    let dir = inner.join("data");
    let d = dir.clone();
    let app = spawn_app_with(AppOptions::default(), move |s| {
        s.data_dir = d;
        s.database_url = None;
        s.jwt_secret = None;
    })
    .await;
    app.upload_photo("teacher1").await;

    assert_eq!(mode(&dir), 0o700, "data directory");
    for f in ["xiaoan.db", "master.key", "jwt.key"] {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    for side in ["xiaoan.db-wal", "xiaoan.db-shm"] {
        let p = dir.join(side);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{side}");
        }
    }
    let photos = dir.join("attachments");
    assert_eq!(mode(&photos), 0o700, "attachments directory");
    let files: Vec<_> = std::fs::read_dir(&photos)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty());
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }

    let settings = xiaoan::Settings {
        data_dir: dir.clone(),
        ..xiaoan::Settings::default()
    };
    let out = inner.join("backup.db");
    xiaoan::infra::backup::backup(&settings, &out)
        .await
        .unwrap();
    assert_eq!(mode(&out), 0o600, "backup");
    let copies = xiaoan::infra::backup::attachments_of(&out);
    assert_eq!(mode(&copies), 0o700, "backup's attachments");
    for f in std::fs::read_dir(&copies).unwrap() {
        assert_eq!(mode(&f.unwrap().path()), 0o600);
    }
    drop(app);
    let _ = std::fs::remove_dir_all(&inner);
}
