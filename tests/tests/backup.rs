//! `xiaoan backup` / `xiaoan restore` with the real binary: an online backup taken while the
//! server runs restores into a fresh database with every table identical, row by row; a backup
//! taken during concurrent writes holds whole transactions only.

use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;
use xiaoan_api_tests::*;

fn backup_file(dir: &std::path::Path) -> String {
    dir.join("xiaoan.backup").display().to_string()
}

async fn create_class(app: &TestApp, name: &str) -> Resp {
    let office = app.token("office").await;
    app.post(
        "/api/v1/classes",
        &office,
        json!({"name": name, "grade": "2026级"}),
    )
    .await
}

#[tokio::test]
async fn online_backup_restores_every_table_row_by_row() {
    let app = spawn_app().await;
    // Some writes of our own on top of the demo school, so every kind of row is present.
    let office = app.token("office").await;
    let class = create_class(&app, "备份测试班").await;
    assert_eq!(class.status, StatusCode::CREATED, "{}", class.text);
    let class_id = class.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            "/api/v1/students",
            &office,
            json!({"student_no": "B2026001", "name": "林晓雨", "class_id": class_id,
                   "guardian_name": "林建国", "guardian_phone": "13800138000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.api_key(&["people:read"]).await;

    let before = db_snapshot(&app.database_url).await;
    // A stored photo (files live beside the database, named by id, never changed).
    let photos = app.data_dir.join("attachments");
    std::fs::create_dir_all(&photos).unwrap();
    std::fs::write(photos.join("0193a1b2c3d4.jpg"), b"\xff\xd8photo").unwrap();
    let source_dir = app.data_dir.display().to_string();
    let scratch = ScratchDb::new().await;
    let file = backup_file(&scratch.dir);
    // The server is running: this is the online backup.
    let out = run_xiaoan(
        &[
            "backup",
            "--database-url",
            &app.database_url,
            "--data-dir",
            &source_dir,
            "-o",
            &file,
        ],
        &[],
    )
    .await;
    assert!(
        out.status.success(),
        "backup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A second backup to the same file is refused rather than overwriting it.
    let again = run_xiaoan(
        &["backup", "--database-url", &app.database_url, "-o", &file],
        &[],
    )
    .await;
    assert!(!again.status.success());

    // Written after the backup: must not be in it.
    assert_eq!(
        create_class(&app, "备份之后").await.status,
        StatusCode::CREATED
    );

    let target = ScratchDb::new().await;
    let target_dir = target.dir.display().to_string();
    let out = run_xiaoan(
        &[
            "restore",
            "--database-url",
            &target.url,
            "--data-dir",
            &target_dir,
            "-i",
            &file,
        ],
        &[],
    )
    .await;
    assert!(
        out.status.success(),
        "restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(target.dir.join("attachments/0193a1b2c3d4.jpg")).unwrap(),
        b"\xff\xd8photo",
        "photos come back with the database"
    );

    let restored = db_snapshot(&target.url).await;
    assert_eq!(
        restored.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, rows) in &before {
        assert_eq!(
            &restored[table], rows,
            "table {table} differs after restore"
        );
    }
    assert!(
        before["students"].len() > 100,
        "the demo school is in the backup"
    );
    assert!(
        before["audit_log"]
            .iter()
            .any(|r| r.contains("class.create"))
    );

    // Restoring over a database that holds data is refused without --force.
    let out = run_xiaoan(
        &["restore", "--database-url", &target.url, "-i", &file],
        &[],
    )
    .await;
    assert!(!out.status.success(), "restore over data must be refused");
    assert_eq!(
        db_snapshot(&target.url).await,
        restored,
        "the refused restore changed nothing"
    );

    // The restored database serves: sign in and read what was backed up.
    let url = target.url.clone();
    // The secrets in the database are sealed under the source's master key, which is backed
    // up apart from the database: the restored server is given it.
    let master = std::fs::read_to_string(app.data_dir.join("master.key")).unwrap();
    let restored_app = spawn_app_with(AppOptions { demo: false }, move |s| {
        s.database_url = Some(url);
        s.master_key = Some(master);
    })
    .await;
    let token = restored_app.token("office").await;
    let classes = restored_app.get("/api/v1/classes", &token).await;
    let names: Vec<&str> = classes
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"备份测试班"));
    assert!(!names.contains(&"备份之后"));
}

#[tokio::test]
async fn backup_during_concurrent_writes_holds_whole_transactions() {
    let app = spawn_app().await;
    let scratch = ScratchDb::new().await;
    let file = backup_file(&scratch.dir);

    let writer = async {
        let mut created = 0;
        for round in 0..10 {
            let names: Vec<String> = (0..4).map(|i| format!("并发{round}-{i}")).collect();
            let batch = names.iter().map(|n| create_class(&app, n));
            for r in futures_util::future::join_all(batch).await {
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
                created += 1;
            }
        }
        created
    };
    let url = app.database_url.clone();
    let file2 = file.clone();
    let backup = async move {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        run_xiaoan(&["backup", "--database-url", &url, "-o", &file2], &[]).await
    };
    let (created, out) = tokio::join!(writer, backup);
    assert!(
        out.status.success(),
        "backup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(created, 40);

    let target = ScratchDb::new().await;
    let out = run_xiaoan(
        &["restore", "--database-url", &target.url, "-i", &file],
        &[],
    )
    .await;
    assert!(
        out.status.success(),
        "restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = target.url.clone();
    let master = std::fs::read_to_string(app.data_dir.join("master.key")).unwrap();
    let restored = spawn_app_with(AppOptions { demo: false }, move |s| {
        s.database_url = Some(url);
        s.master_key = Some(master);
    })
    .await;
    let token = restored.token("office").await;
    let classes: HashSet<String> = restored
        .get("/api/v1/classes", &token)
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"].as_str().unwrap().starts_with("并发"))
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    let audited: HashSet<String> = restored
        .audit("action=class.create")
        .await
        .iter()
        .filter(|a| a["changes"].to_string().contains("并发"))
        .map(|a| a["entity_id"].as_str().unwrap().to_owned())
        .collect();
    // Each class in the backup has its audit row and each audit row its class: no transaction
    // was cut in half by the copy.
    assert_eq!(classes, audited);
    assert!(classes.len() <= 40);
}
