//! A graceful stop loses no accepted scan: scans arrive concurrently (online and in offline
//! batches, so the SQLite group-commit writer holds several at once) while the real server is
//! sent SIGTERM. The server exits cleanly, and every scan that was answered `200` is in the
//! database with the verdict it was answered with. SQLite and PostgreSQL.

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use uuid::Uuid;
use xiaoan_api_tests::*;

async fn login(client: &reqwest::Client, base: &str, user: &str) -> String {
    let r: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn sigterm_while_scanning_loses_no_answered_scan() {
    let db = ScratchDb::new().await;
    let data = db.dir.join("data").display().to_string();
    let env = [
        ("XIAOAN_DATABASE_URL", db.url.as_str()),
        ("XIAOAN_DATA_DIR", data.as_str()),
        ("XIAOAN_DEMO", "true"),
    ];
    let server = ServerProcess::start(&env, db.dir.join("stop.log")).await;
    let base = server.base.clone();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let office = login(&client, &base, "office").await;
    let guard = login(&client, &base, "guard1").await;
    let list: Value = client
        .get(format!("{base}/api/v1/students?limit=60"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut tokens = Vec::new();
    for s in list["items"].as_array().unwrap().iter().take(60) {
        let until = chrono::Utc::now() + chrono::Duration::hours(2);
        let r = client
            .post(format!("{base}/api/v1/leave-passes"))
            .bearer_auth(&office)
            .json(
                &json!({"student_id": s["id"], "kind": "exit_only", "reason": "看病",
                          "valid_until": until.to_rfc3339()}),
            )
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "issue: {}", r.status());
        let body: Value = r.json().await.unwrap();
        tokens.push(body["token"].as_str().unwrap().to_owned());
    }
    // event id -> verdict answered
    let answered: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let tokens = Arc::new(tokens);
    let mut workers = Vec::new();
    for w in 0..6usize {
        let (client, base, guard, tokens, answered) = (
            client.clone(),
            base.clone(),
            guard.clone(),
            tokens.clone(),
            answered.clone(),
        );
        workers.push(tokio::spawn(async move {
            for round in 0.. {
                let token = &tokens[(w * 7 + round) % tokens.len()];
                let sent = if w % 2 == 0 {
                    let body = json!({"token": token, "direction": "exit", "gate": "南门",
                                      "client_event_id": Uuid::now_v7().to_string()});
                    client
                        .post(format!("{base}/api/v1/gate/scans"))
                        .bearer_auth(&guard)
                        .json(&body)
                        .send()
                        .await
                } else {
                    let now = chrono::Utc::now();
                    let scans: Vec<Value> = (0..8)
                        .map(|i| {
                            json!({"token": tokens[(w + round + i) % tokens.len()],
                                   "direction": "exit", "gate": "北门",
                                   "client_event_id": Uuid::now_v7().to_string(),
                                   "scanned_at": now.to_rfc3339()})
                        })
                        .collect();
                    client
                        .post(format!("{base}/api/v1/gate/scans/batch"))
                        .bearer_auth(&guard)
                        .json(&json!({"scans": scans}))
                        .send()
                        .await
                };
                // Refused or cut off by the stop: not accepted, nothing to check.
                let Ok(resp) = sent else { break };
                if !resp.status().is_success() {
                    continue;
                }
                let Ok(body) = resp.json::<Value>().await else {
                    break;
                };
                let mut a = answered.lock().await;
                let results = match body.get("results") {
                    Some(r) => r.as_array().unwrap().clone(),
                    None => vec![body],
                };
                for r in results {
                    let id = r["event_id"].as_str().unwrap().to_owned();
                    if id != Uuid::nil().to_string() {
                        a.insert(id, r["result"].as_str().unwrap().to_owned());
                    }
                }
            }
        }));
    }
    // Let the scans flow, then ask the server to stop while they still do.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pid = server.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || {
        let mut server = server;
        let status = server.child.wait().expect("wait for the server");
        (server, status)
    })
    .await
    .unwrap();
    let (server, status) = status;
    for w in workers {
        w.await.unwrap();
    }
    let log = std::fs::read_to_string(&server.log).unwrap_or_default();
    assert!(status.success(), "server exit {status}:\n{log}");
    let answered = answered.lock().await.clone();
    assert!(
        answered.len() >= 10,
        "too few scans before the stop to prove anything: {}",
        answered.len()
    );
    let conn = Database::connect(&db.url).await.unwrap();
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT id, result FROM gate_scans".to_owned(),
        ))
        .await
        .unwrap();
    let stored: HashMap<String, String> = rows
        .iter()
        .map(|r| {
            (
                r.try_get::<Uuid>("", "id").unwrap().to_string(),
                r.try_get::<String>("", "result").unwrap(),
            )
        })
        .collect();
    let mut lost = Vec::new();
    for (id, verdict) in &answered {
        match stored.get(id) {
            // An allow may later be re-flagged by an earlier offline exit; a deny never moves.
            Some(v) if v == verdict || verdict == "allow" => {}
            other => lost.push(format!("{id}: answered {verdict}, stored {other:?}")),
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} answered scans not as answered after a graceful stop:\n{}",
        lost.len(),
        answered.len(),
        lost.join("\n")
    );
    if backend() == Backend::Sqlite {
        assert!(
            log.contains("gate scan writer") && log.contains("background task stopped"),
            "the scan writer did not report a clean stop:\n{log}"
        );
    }
}
