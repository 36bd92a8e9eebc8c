//! Events survive crashes as their changes do: the real `xiaoan serve` is killed with SIGKILL
//! while announcements are published and gate exits recorded (on SQLite through the
//! group-commit writer) and restarted, many times. After every crash: every acknowledged
//! change has exactly one event, and every event belongs to a change that is in the database
//! (none lost, none invented). Runs on the suite's backend (SQLite or PostgreSQL).
//!
//! Default: 10 cycles. Deeper: `XIAOAN_CRASH_CYCLES=100`; replay with `XIAOAN_CRASH_SEED`.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;
use xiaoan_api_tests::*;

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

#[derive(Default)]
struct Ledger {
    announcements: Vec<String>,
    /// (pass id, scan id) of exits the server allowed and acknowledged.
    exits: Vec<(String, String)>,
    server_errors: Vec<String>,
}

/// (type, subject, data) of every event.
async fn events(conn: &DatabaseConnection) -> Vec<(String, String, Value)> {
    let db = conn.get_database_backend();
    conn.query_all_raw(Statement::from_string(
        db,
        "SELECT kind, subject_id, payload, id FROM events ORDER BY seq",
    ))
    .await
    .expect("read events")
    .iter()
    .map(|r| {
        let subject: Option<uuid::Uuid> = r.try_get("", "subject_id").unwrap();
        let payload: String = r.try_get("", "payload").unwrap();
        (
            r.try_get::<String>("", "kind").unwrap(),
            subject.map(|s| s.to_string()).unwrap_or_default(),
            serde_json::from_str(&payload).expect("payload is JSON"),
        )
    })
    .collect()
}

async fn strings(conn: &DatabaseConnection, sql: &str) -> Vec<(String, Option<String>)> {
    let db = conn.get_database_backend();
    conn.query_all_raw(Statement::from_string(db, sql.to_owned()))
        .await
        .expect("query")
        .iter()
        .map(|r| {
            let a: uuid::Uuid = r.try_get_by_index(0).unwrap();
            let b: Option<uuid::Uuid> = r.try_get_by_index(1).unwrap();
            (a.to_string(), b.map(|b| b.to_string()))
        })
        .collect()
}

async fn start(db: &ScratchDb, data: &str, demo: bool, cycle: u64) -> ServerProcess {
    let mut env = vec![
        ("XIAOAN_DATABASE_URL", db.url.as_str()),
        ("XIAOAN_DATA_DIR", data),
    ];
    if demo {
        env.push(("XIAOAN_DEMO", "true"));
    }
    ServerProcess::start(&env, db.dir.join(format!("server-{cycle}.log"))).await
}

async fn login(client: &reqwest::Client, base: &str, user: &str) -> String {
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn kill_dash_nine_during_event_writes_loses_none_and_invents_none() {
    let cycles: u64 = std::env::var("XIAOAN_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("XIAOAN_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
                | 1
        });
    eprintln!(
        "event crash test: {cycles} cycles on {:?}, XIAOAN_CRASH_SEED={seed}",
        backend()
    );
    let mut rng = Rng(seed);
    let db = ScratchDb::new().await;
    let data = db.dir.join("data").to_str().unwrap().to_owned();
    let mut server = start(&db, &data, true, 0).await;
    let client = reqwest::Client::new();
    let office = login(&client, &server.base, "office").await;

    // Passes to let out, one per student (the office issues for any class).
    let students: Value = client
        .get(format!("{}/api/v1/students?limit=200", server.base))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut tokens = Vec::new();
    let now = chrono::Utc::now();
    for s in students["items"].as_array().unwrap() {
        let r = client
            .post(format!("{}/api/v1/leave-passes", server.base))
            .bearer_auth(&office)
            .json(
                &json!({"student_id": s["id"], "kind": "exit_only", "reason": "回家",
                          "valid_until": (now + chrono::Duration::hours(6)).to_rfc3339()}),
            )
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::CREATED {
            tokens.push(
                r.json::<Value>().await.unwrap()["token"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    assert!(tokens.len() > 20, "enough passes ({})", tokens.len());
    let tokens = Arc::new(Mutex::new(tokens));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let counter = Arc::new(AtomicU64::new(1));

    for cycle in 1..=cycles {
        let guard = login(&client, &server.base, "guard1").await;
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for w in 0..6u64 {
            let (base, office, guard) = (server.base.clone(), office.clone(), guard.clone());
            let (ledger, counter, stop, tokens) = (
                ledger.clone(),
                counter.clone(),
                stop.clone(),
                tokens.clone(),
            );
            workers.push(tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()
                    .unwrap();
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let token = if i % 3 == 0 {
                        None
                    } else {
                        tokens.lock().await.pop()
                    };
                    let req = match &token {
                        Some(t) => client
                            .post(format!("{base}/api/v1/gate/scans"))
                            .bearer_auth(&guard)
                            .json(&json!({"token": t, "direction": "exit", "gate": "南门",
                                          "client_event_id": format!("crash-{n}")})),
                        None => client
                            .post(format!("{base}/api/v1/announcements"))
                            .bearer_auth(&office)
                            .json(&json!({"title": format!("通报{n}"), "body": "崩溃测试",
                                          "target_roles": ["guard"]})),
                    };
                    let Ok(resp) = req.send().await else { break };
                    let status = resp.status();
                    let Ok(body) = resp.json::<Value>().await else {
                        break;
                    };
                    let mut l = ledger.lock().await;
                    if status.is_server_error() {
                        l.server_errors.push(format!("{status} {body}"));
                    } else if token.is_some() {
                        assert_eq!(status, StatusCode::OK, "{body}");
                        if body["result"] == "allow" {
                            l.exits.push((
                                body["pass"]["id"].as_str().unwrap().to_owned(),
                                body["event_id"].as_str().unwrap().to_owned(),
                            ));
                        }
                    } else {
                        assert_eq!(status, StatusCode::CREATED, "{body}");
                        l.announcements
                            .push(body["id"].as_str().unwrap().to_owned());
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(100 + rng.below(500))).await;
        server.kill9();
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await.unwrap();
        }
        server = start(&db, &data, false, cycle).await;
        let conn = Database::connect(&db.url).await.unwrap();
        let evs = events(&conn).await;
        let l = ledger.lock().await;
        assert!(l.server_errors.is_empty(), "5xx: {:?}", l.server_errors);

        // Announcements: each acknowledged one has exactly one event; each event its row.
        let mut published: HashMap<&str, usize> = HashMap::new();
        for (kind, subject, _) in &evs {
            if kind == "announcement.published" {
                *published.entry(subject.as_str()).or_default() += 1;
            }
        }
        for a in &l.announcements {
            assert_eq!(
                published.get(a.as_str()),
                Some(&1),
                "cycle {cycle} (seed {seed}): announcement {a}"
            );
        }
        let rows: HashSet<String> = strings(&conn, "SELECT id, created_by FROM announcements")
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        for (a, n) in &published {
            assert_eq!(*n, 1, "cycle {cycle}: announcement {a} told {n} times");
            assert!(
                rows.contains(*a),
                "cycle {cycle} (seed {seed}): event for a lost announcement {a}"
            );
        }

        // Exits: each acknowledged exit has exactly one gate.exit naming its scan; each gate.exit
        // names the scan the pass records as its exit.
        let exits: HashMap<String, Option<String>> =
            strings(&conn, "SELECT id, exit_scan_id FROM leave_passes")
                .await
                .into_iter()
                .collect();
        let mut told: HashMap<&str, Vec<&str>> = HashMap::new();
        for (kind, subject, data) in &evs {
            if kind == "gate.exit" {
                told.entry(subject.as_str())
                    .or_default()
                    .push(data["scan_id"].as_str().unwrap());
            }
        }
        for (pass, scan) in &l.exits {
            assert_eq!(
                told.get(pass.as_str()),
                Some(&vec![scan.as_str()]),
                "cycle {cycle} (seed {seed}): exit of {pass}"
            );
        }
        for (pass, scans) in &told {
            assert_eq!(
                scans.len(),
                1,
                "cycle {cycle}: pass {pass} left {} times",
                scans.len()
            );
            assert_eq!(
                exits.get(*pass).cloned().flatten().as_deref(),
                Some(scans[0]),
                "cycle {cycle} (seed {seed}): gate.exit for an exit the pass does not record"
            );
        }
        conn.close().await.unwrap();
        if tokens.lock().await.is_empty() {
            eprintln!("event crash test: passes used up after {cycle} cycles");
            break;
        }
    }
    let l = ledger.lock().await;
    eprintln!(
        "event crash test: {} announcements and {} exits acknowledged, each told once",
        l.announcements.len(),
        l.exits.len()
    );
    assert!(
        !l.announcements.is_empty() && !l.exits.is_empty(),
        "the workload wrote"
    );
}
