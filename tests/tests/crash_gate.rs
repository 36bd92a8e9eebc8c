//! Crash safety of the gate: passes issued and scanned concurrently (each pass scanned for exit
//! twice, from two workers), while the real server is killed with SIGKILL at random moments and
//! restarted. After each crash: every 2xx pass and scan is in the database; each issued pass
//! has its audit row; a pass that is `out` has exactly one allow exit scan, which is the one it
//! names, and its `gate.exit` audit row; no pass was let out twice. SQLite and PostgreSQL.
//!
//! Default 15 cycles; deeper: `XIAOAN_CRASH_CYCLES=300`, replay with `XIAOAN_CRASH_SEED`.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;
use uuid::Uuid;
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
    passes: Vec<Uuid>,
    /// Pass tokens waiting to be scanned (each is scanned twice).
    to_scan: Vec<(Uuid, String, u8)>,
    /// (scan event id, pass id, allowed)
    scans: Vec<(Uuid, Uuid, bool)>,
    server_errors: Vec<String>,
}

async fn start(db: &ScratchDb, data: &str, demo: bool, cycle: u64) -> ServerProcess {
    let mut env = vec![
        ("XIAOAN_DATABASE_URL", db.url.as_str()),
        ("XIAOAN_DATA_DIR", data),
    ];
    if demo {
        env.push(("XIAOAN_DEMO", "true"));
    }
    ServerProcess::start(&env, db.dir.join(format!("gate-{cycle}.log"))).await
}

async fn rows(conn: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    conn.query_all_raw(Statement::from_string(
        conn.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .expect(sql)
}

async fn login(base: &str, user: &str) -> String {
    let r: Value = reqwest::Client::new()
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
async fn kill_dash_nine_during_pass_issues_and_scans() {
    let cycles: u64 = std::env::var("XIAOAN_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
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
        "gate crash test: {cycles} cycles on {:?}, XIAOAN_CRASH_SEED={seed}",
        backend()
    );
    let mut rng = Rng(seed);
    let db = ScratchDb::new().await;
    let data = db.dir.join("data").display().to_string();
    let mut server = start(&db, &data, true, 0).await;
    let office = login(&server.base, "office").await;
    let guard = login(&server.base, "guard1").await;
    let client = reqwest::Client::new();
    let list: Value = client
        .get(format!("{}/api/v1/students?limit=200", server.base))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let students: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let students = Arc::new(students);
    let conn = Database::connect(&db.url).await.unwrap();
    let before: HashSet<Uuid> = rows(&conn, "SELECT id FROM leave_passes")
        .await
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id").unwrap())
        .collect();
    conn.close().await.unwrap();

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let counter = Arc::new(AtomicU64::new(0));
    for cycle in 1..=cycles {
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for w in 0..4u64 {
            let (base, office, guard) = (server.base.clone(), office.clone(), guard.clone());
            let (ledger, counter, stop, students) = (
                ledger.clone(),
                counter.clone(),
                stop.clone(),
                students.clone(),
            );
            workers.push(tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()
                    .unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let next = ledger.lock().await.to_scan.pop();
                    let result = if w % 2 == 1
                        && let Some((pass, token, times)) = next
                    {
                        // Scan for exit; the same pass is put back once to be scanned again.
                        if times == 0 {
                            ledger
                                .lock()
                                .await
                                .to_scan
                                .insert(0, (pass, token.clone(), 1));
                        }
                        let body = json!({"token": token, "direction": "exit", "gate": "南门",
                                          "client_event_id": Uuid::now_v7().to_string()});
                        client
                            .post(format!("{base}/api/v1/gate/scans"))
                            .bearer_auth(&guard)
                            .json(&body)
                            .send()
                            .await
                            .map(|r| (true, pass, r))
                    } else {
                        if let Some(n) = next {
                            ledger.lock().await.to_scan.push(n);
                        }
                        let n = counter.fetch_add(1, Ordering::Relaxed) as usize;
                        let sid = &students[n % students.len()];
                        let until = chrono::Utc::now() + chrono::Duration::hours(2);
                        let body = json!({"student_id": sid, "kind": "exit_only", "reason": "看病",
                                          "valid_until": until.to_rfc3339()});
                        client
                            .post(format!("{base}/api/v1/leave-passes"))
                            .bearer_auth(&office)
                            .json(&body)
                            .send()
                            .await
                            .map(|r| (false, Uuid::nil(), r))
                    };
                    let Ok((is_scan, pass, resp)) = result else {
                        break;
                    };
                    let status = resp.status();
                    let Ok(body) = resp.json::<Value>().await else {
                        break;
                    };
                    let mut l = ledger.lock().await;
                    if status.is_server_error() {
                        l.server_errors.push(format!("{status} {body}"));
                    } else if status.is_success() && is_scan {
                        let id = body["event_id"].as_str().unwrap().parse().unwrap();
                        l.scans.push((id, pass, body["result"] == "allow"));
                    } else if status.is_success() {
                        let id: Uuid = body["id"].as_str().unwrap().parse().unwrap();
                        l.passes.push(id);
                        l.to_scan
                            .push((id, body["token"].as_str().unwrap().to_owned(), 0));
                    } else if status != StatusCode::CONFLICT
                        && status != StatusCode::UNPROCESSABLE_ENTITY
                    {
                        panic!("unexpected {status}: {body}");
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
        let l = ledger.lock().await;
        assert!(l.server_errors.is_empty(), "5xx: {:?}", l.server_errors);
        let passes: HashMap<Uuid, (String, Option<Uuid>)> =
            rows(&conn, "SELECT id, status, exit_scan_id FROM leave_passes")
                .await
                .iter()
                .map(|r| {
                    (
                        r.try_get::<Uuid>("", "id").unwrap(),
                        (
                            r.try_get::<String>("", "status").unwrap(),
                            r.try_get::<Option<Uuid>>("", "exit_scan_id").unwrap(),
                        ),
                    )
                })
                .collect();
        let scans: HashMap<Uuid, (Option<Uuid>, String, String)> = rows(
            &conn,
            "SELECT id, pass_id, result, direction FROM gate_scans",
        )
        .await
        .iter()
        .map(|r| {
            (
                r.try_get::<Uuid>("", "id").unwrap(),
                (
                    r.try_get::<Option<Uuid>>("", "pass_id").unwrap(),
                    r.try_get::<String>("", "result").unwrap(),
                    r.try_get::<String>("", "direction").unwrap(),
                ),
            )
        })
        .collect();
        let audit = |action: &'static str| {
            let conn = &conn;
            async move {
                rows(
                    conn,
                    &format!("SELECT entity_id FROM audit_log WHERE action = '{action}'"),
                )
                .await
                .iter()
                .filter_map(|r| r.try_get::<Option<String>>("", "entity_id").ok().flatten())
                .filter_map(|s| s.parse::<Uuid>().ok())
                .collect::<Vec<Uuid>>()
            }
        };
        let issued: HashSet<Uuid> = audit("leave_pass.issue").await.into_iter().collect();
        let exits = audit("gate.exit").await;
        for id in &l.passes {
            assert!(
                passes.contains_key(id),
                "cycle {cycle} (seed {seed}): acknowledged pass {id} lost"
            );
        }
        for id in passes.keys().filter(|id| !before.contains(id)) {
            assert!(
                issued.contains(id),
                "cycle {cycle} (seed {seed}): pass {id} without its audit row"
            );
        }
        for (event, pass, allowed) in &l.scans {
            assert!(
                scans.contains_key(event),
                "cycle {cycle} (seed {seed}): acknowledged scan {event} lost"
            );
            if *allowed {
                assert_eq!(
                    passes[pass].1,
                    Some(*event),
                    "cycle {cycle} (seed {seed}): allowed scan not the pass's exit"
                );
            }
        }
        let mut allows: HashMap<Uuid, usize> = HashMap::new();
        for (pass, result, direction) in scans.values() {
            if let Some(p) = pass
                && result == "allow"
                && direction == "exit"
            {
                *allows.entry(*p).or_default() += 1;
            }
        }
        for (id, (status, exit_scan)) in passes.iter().filter(|(id, _)| !before.contains(id)) {
            let n = allows.get(id).copied().unwrap_or(0);
            assert!(
                n <= 1,
                "cycle {cycle} (seed {seed}): pass {id} let out {n} times"
            );
            match exit_scan {
                Some(scan) => {
                    assert_eq!(
                        scans.get(scan).map(|s| s.1.as_str()),
                        Some("allow"),
                        "cycle {cycle}: pass {id} names a missing/denied exit scan"
                    );
                    assert_eq!(status, "out");
                    assert!(
                        exits.contains(id),
                        "cycle {cycle} (seed {seed}): exit of {id} without its audit row"
                    );
                }
                None => assert_eq!(
                    n, 0,
                    "cycle {cycle} (seed {seed}): an allow scan of {id} not on the pass"
                ),
            }
        }
        conn.close().await.unwrap();
    }
    let l = ledger.lock().await;
    eprintln!(
        "gate crash test: {} passes and {} scans acknowledged survived {cycles} cycles",
        l.passes.len(),
        l.scans.len()
    );
    assert!(
        l.scans.iter().any(|s| s.2) && l.scans.iter().any(|s| !s.2),
        "both verdicts were exercised"
    );
}
