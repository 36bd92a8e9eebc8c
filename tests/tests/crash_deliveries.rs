//! Deliveries survive crashes: the real `xiaoan serve` is killed with SIGKILL while it fans
//! events out and sends them to a (slowish) local webhook receiver, and restarted, several
//! times. At the end every event the subscription takes reached the receiver at least once
//! (its `webhook-id` is the event's id), none was invented, and the delivery log shows each
//! delivered with an `ok` attempt. A send cut short by the kill is leased; after the lease the
//! restarted server sends it again (at least once). Runs on the suite's backend (SQLite or
//! PostgreSQL).
//!
//! Default: 6 cycles. More: `XIAOAN_CRASH_CYCLES=30`; replay with `XIAOAN_CRASH_SEED`.

#[path = "support/receiver.rs"]
mod receiver;

use receiver::Receiver;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use xiaoan_api_tests::*;

const MASTER_KEY: &str = "Y3Jhc2gtZGVsaXZlcmllcy10ZXN0LW1hc3Rlci1rZXk=";

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

async fn start(db: &ScratchDb, data: &str, demo: bool, cycle: u64) -> ServerProcess {
    let mut env = vec![
        ("XIAOAN_DATABASE_URL", db.url.as_str()),
        ("XIAOAN_DATA_DIR", data),
        ("XIAOAN_MASTER_KEY", MASTER_KEY),
        ("XIAOAN_CHANNELS_ALLOW_PRIVATE", "true"),
        // Retries (and the lease, never under 20 s) 20 times sooner.
        ("XIAOAN_CHANNELS_RETRY_SPEEDUP", "20"),
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

async fn rows(conn: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    let db = conn.get_database_backend();
    conn.query_all_raw(Statement::from_string(db, sql.to_owned()))
        .await
        .expect("query")
}

/// Event ids of the announcements published after the subscription was made.
async fn announced(conn: &DatabaseConnection, after_seq: i64) -> HashSet<String> {
    rows(
        conn,
        &format!(
            "SELECT id FROM events WHERE kind = 'announcement.published' AND seq > {after_seq}"
        ),
    )
    .await
    .iter()
    .map(|r| r.try_get::<uuid::Uuid>("", "id").unwrap().to_string())
    .collect()
}

/// Per event id of the deliveries (the test's one channel): (status, attempts with outcome ok).
async fn delivery_log(conn: &DatabaseConnection) -> HashMap<String, (String, i64)> {
    let mut out = HashMap::new();
    for r in rows(
        conn,
        "SELECT d.event_id AS event_id, d.status AS status, \
         (SELECT COUNT(*) FROM channel_attempts a WHERE a.delivery_id = d.id \
          AND a.outcome = 'ok') AS ok \
         FROM channel_deliveries d",
    )
    .await
    {
        let id: uuid::Uuid = r.try_get("", "event_id").unwrap();
        let status: String = r.try_get("", "status").unwrap();
        let ok: i64 = r.try_get("", "ok").unwrap();
        out.insert(id.to_string(), (status, ok));
    }
    out
}

#[tokio::test]
async fn kill_dash_nine_during_delivery_delivers_every_event_at_least_once() {
    let cycles: u64 = std::env::var("XIAOAN_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
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
        "delivery crash test: {cycles} cycles on {:?}, XIAOAN_CRASH_SEED={seed}",
        backend()
    );
    let mut rng = Rng(seed);
    // Each answer takes 40 ms, so a kill often lands while a request is in flight.
    let rx = Receiver::with_delay(Duration::from_millis(40), false).await;
    let db = ScratchDb::new().await;
    let data = db.dir.join("data").to_str().unwrap().to_owned();
    let mut server = start(&db, &data, true, 0).await;
    let client = reqwest::Client::new();
    let office = login(&client, &server.base, "office").await;
    let sub: Value = client
        .post(format!("{}/api/v1/subscriptions", server.base))
        .bearer_auth(&office)
        .json(
            &json!({"name": "校办系统", "kind": "webhook", "audience": "system",
                      "url": rx.url("/hooks/crash"), "event_kinds": ["announcement.published"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(sub["id"].is_string(), "subscribed: {sub}");
    let conn = Database::connect(&db.url).await.unwrap();
    let start_seq: i64 = rows(
        &conn,
        // The test's one channel.
        "SELECT cursor FROM channels",
    )
    .await[0]
        .try_get("", "cursor")
        .unwrap();
    conn.close().await.unwrap();

    let acknowledged = Arc::new(AtomicU64::new(0));
    let counter = Arc::new(AtomicU64::new(1));
    let mut kills_mid_send = 0;
    for cycle in 1..=cycles {
        let office = login(&client, &server.base, "office").await;
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for _ in 0..3 {
            let (base, office, stop, counter, acknowledged) = (
                server.base.clone(),
                office.clone(),
                stop.clone(),
                counter.clone(),
                acknowledged.clone(),
            );
            workers.push(tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()
                    .unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let Ok(resp) = client
                        .post(format!("{base}/api/v1/announcements"))
                        .bearer_auth(&office)
                        .json(&json!({"title": format!("通报{n}"), "body": "推送崩溃测试",
                                      "target_roles": ["guard"]}))
                        .send()
                        .await
                    else {
                        break;
                    };
                    let status = resp.status();
                    assert!(!status.is_server_error(), "{status}");
                    if status == StatusCode::CREATED {
                        acknowledged.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(600 + rng.below(1400))).await;
        let in_flight = rx.in_flight();
        server.kill9();
        if in_flight > 0 {
            kills_mid_send += 1;
        }
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await.unwrap();
        }
        server = start(&db, &data, false, cycle).await;
    }

    // After the last restart: everything is delivered. A send cut by a kill waits out its lease
    // (20 s); one that failed (a timeout on a loaded machine) waits out the retry schedule at the
    // test's speed-up (0.5 s, 3 s, 15 s, 90 s …): the wait covers four failures.
    let conn = Database::connect(&db.url).await.unwrap();
    let events = announced(&conn, start_seq).await;
    assert!(
        events.len() as u64 >= acknowledged.load(Ordering::Relaxed),
        "every acknowledged announcement has its event"
    );
    assert!(events.len() > 20, "the workload wrote ({})", events.len());
    let mut log = HashMap::new();
    for _ in 0..2400 {
        log = delivery_log(&conn).await;
        if events
            .iter()
            .all(|e| log.get(e).is_some_and(|(s, _)| s == "delivered"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen: Vec<String> = rx
        .seen()
        .iter()
        .map(|s| s.headers["webhook-id"].clone())
        .collect();
    let received: HashSet<&String> = seen.iter().collect();
    for e in &events {
        let (status, ok) = log
            .get(e)
            .unwrap_or_else(|| panic!("seed {seed}: event {e} has no delivery"));
        if status != "delivered" {
            let attempts = rows(
                &conn,
                &format!(
                    "SELECT a.outcome AS outcome FROM channel_attempts a \
                     JOIN channel_deliveries d ON d.id = a.delivery_id WHERE d.event_id = '{e}'"
                ),
            )
            .await
            .iter()
            .map(|r| r.try_get::<String>("", "outcome").unwrap_or_default())
            .collect::<Vec<_>>();
            panic!("seed {seed}: event {e} is {status}, attempts: {attempts:?}");
        }
        assert!(*ok >= 1, "seed {seed}: event {e} has no ok attempt");
        assert!(
            received.contains(e),
            "seed {seed}: event {e} never received"
        );
    }
    for id in &received {
        assert!(
            events.contains(*id),
            "seed {seed}: received {id}, which is no event"
        );
    }
    // At least once: a send cut by the kill may arrive twice; count it, never lose one.
    let twice = seen.len() - received.len();
    eprintln!(
        "delivery crash test: {} events, {} requests received ({} repeats), \
         {kills_mid_send} of {cycles} kills while a request was in flight",
        events.len(),
        seen.len(),
        twice
    );
    conn.close().await.unwrap();
}
