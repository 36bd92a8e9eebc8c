//! Two replicas (two `xiaoan serve` processes) on one PostgreSQL database, both running the
//! delivery worker and the scheduler every second, with one webhook subscription: every event
//! is delivered; none twice — the scheduler raises each time-based event (`pass.overdue`)
//! once, fan-out makes one delivery per event, and the lease keeps a delivery from being sent
//! by both at once (the receiver answers slowly and counts a `webhook-id` arriving while the
//! same id is still in flight). Always on PostgreSQL: replicas share one PostgreSQL in
//! production; SQLite is one process.

#[path = "support/receiver.rs"]
mod receiver;

use receiver::Receiver;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use xiaoan_api_tests::*;

const MASTER_KEY: &str = "cmVwbGljYXMtZGVsaXZlcmllcy10ZXN0LW1hc3Rlci1rZXk=";
const KINDS: &str = "('announcement.published', 'gate.exit', 'pass.overdue')";

async fn start(db: &ScratchDb, name: &str, demo: bool) -> ServerProcess {
    let data = db.dir.join(name);
    let mut env = vec![
        ("XIAOAN_DATABASE_URL", db.url.as_str()),
        ("XIAOAN_DATA_DIR", data.to_str().unwrap()),
        ("XIAOAN_MASTER_KEY", MASTER_KEY),
        ("XIAOAN_EVENTS_SCHEDULER_SECS", "1"),
        ("XIAOAN_CHANNELS_ALLOW_PRIVATE", "true"),
    ];
    if demo {
        env.push(("XIAOAN_DEMO", "true"));
    }
    ServerProcess::start(&env, db.dir.join(format!("{name}.log"))).await
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    m: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Value {
    let mut req = client.request(m, format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

async fn token(client: &reqwest::Client, base: &str, user: &str) -> String {
    call(
        client,
        base,
        reqwest::Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": user, "password": PASSWORD})),
    )
    .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn rows(conn: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    conn.query_all_raw(Statement::from_string(
        conn.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .expect("query")
}

#[tokio::test]
async fn two_replicas_deliver_every_event_once_on_postgresql() {
    let db = ScratchDb::new_for(Backend::Postgres).await;
    let a = start(&db, "a", true).await;
    let b = start(&db, "b", false).await;
    let bases = [a.base.clone(), b.base.clone()];
    let client = reqwest::Client::new();
    // A slow receiver widens every race between the two workers.
    let rx = Receiver::with_delay(Duration::from_millis(150), false).await;

    let office_a = token(&client, &bases[0], "office").await;
    let sub = call(
        &client,
        &bases[0],
        reqwest::Method::POST,
        "/api/v1/subscriptions",
        Some(&office_a),
        Some(
            json!({"name": "保卫科系统", "kind": "webhook", "audience": "system",
                    "url": rx.url("/hooks/replicas"),
                    "event_kinds": ["announcement.published", "gate.exit", "pass.overdue"]}),
        ),
    )
    .await;
    assert!(sub["id"].is_string(), "{sub}");
    let conn = Database::connect(&db.url).await.unwrap();
    let start_seq: i64 = rows(&conn, "SELECT cursor FROM channels").await[0]
        .try_get("", "cursor")
        .unwrap();

    // Students who must be back within seconds leave through replica b and stay out: the
    // scheduler of both replicas races to raise their `pass.overdue`.
    let teacher = token(&client, &bases[0], "teacher1").await;
    let guard = token(&client, &bases[1], "guard1").await;
    let me = call(
        &client,
        &bases[0],
        reqwest::Method::GET,
        "/api/v1/me",
        Some(&teacher),
        None,
    )
    .await;
    let class_id = me["class_ids"][0].as_str().unwrap().to_owned();
    let students = call(
        &client,
        &bases[0],
        reqwest::Method::GET,
        &format!("/api/v1/students?class_id={class_id}"),
        Some(&office_a),
        None,
    )
    .await;
    let now = chrono::Utc::now();
    let mut passes = Vec::new();
    for s in students["items"].as_array().unwrap().iter().skip(2).take(3) {
        let pass = call(
            &client,
            &bases[0],
            reqwest::Method::POST,
            "/api/v1/leave-passes",
            Some(&teacher),
            Some(json!({
                "student_id": s["id"], "kind": "exit_and_return", "reason": "取药",
                "valid_until": (now + chrono::Duration::hours(2)).to_rfc3339(),
                "return_by": (now + chrono::Duration::seconds(3)).to_rfc3339(),
            })),
        )
        .await;
        let scan = call(
            &client,
            &bases[1],
            reqwest::Method::POST,
            "/api/v1/gate/scans",
            Some(&guard),
            Some(
                json!({"token": pass["token"], "direction": "exit", "gate": "南门",
                        "client_event_id": uuid::Uuid::now_v7()}),
            ),
        )
        .await;
        assert_eq!(scan["result"], "allow", "{scan}");
        passes.push(pass["id"].as_str().unwrap().to_owned());
    }

    // Announcements through both replicas at once.
    let mut tasks = Vec::new();
    for w in 0..4usize {
        let base = bases[w % 2].clone();
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let office = token(&client, &base, "office").await;
            for n in 0..15 {
                call(
                    &client,
                    &base,
                    reqwest::Method::POST,
                    "/api/v1/announcements",
                    Some(&office),
                    Some(
                        json!({"title": format!("副本通报{w}-{n}"), "body": "两副本推送测试",
                                "target_roles": ["guard"]}),
                    ),
                )
                .await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    // Every overdue raised, and every event delivered (within 60 s).
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let (events, log) = loop {
        let events: Vec<(String, String, Option<uuid::Uuid>)> = rows(
            &conn,
            &format!("SELECT id, kind, subject_id FROM events WHERE seq > {start_seq} AND kind IN {KINDS}"),
        )
        .await
        .iter()
        .map(|r| {
            (
                r.try_get::<uuid::Uuid>("", "id").unwrap().to_string(),
                r.try_get::<String>("", "kind").unwrap(),
                r.try_get::<Option<uuid::Uuid>>("", "subject_id").unwrap(),
            )
        })
        .collect();
        let log: HashMap<String, (String, i32)> = rows(
            &conn,
            "SELECT event_id, status, attempts FROM channel_deliveries",
        )
        .await
        .iter()
        .map(|r| {
            (
                r.try_get::<uuid::Uuid>("", "event_id").unwrap().to_string(),
                (
                    r.try_get::<String>("", "status").unwrap(),
                    r.try_get::<i32>("", "attempts").unwrap(),
                ),
            )
        })
        .collect();
        let overdue = events.iter().filter(|e| e.1 == "pass.overdue").count();
        let delivered = events
            .iter()
            .all(|e| log.get(&e.0).is_some_and(|(s, _)| s == "delivered"));
        if overdue >= passes.len() && delivered {
            break (events, log);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not all delivered in 90 s: {} events, {} overdue, log {log:?}",
            events.len(),
            overdue
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    // A few more scheduler rounds on both replicas: nothing raised twice.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let overdue: Vec<String> = rows(
        &conn,
        &format!("SELECT subject_id FROM events WHERE kind = 'pass.overdue' AND seq > {start_seq}"),
    )
    .await
    .iter()
    .map(|r| {
        r.try_get::<uuid::Uuid>("", "subject_id")
            .unwrap()
            .to_string()
    })
    .collect();
    for p in &passes {
        assert_eq!(
            overdue.iter().filter(|o| *o == p).count(),
            1,
            "pass {p} told overdue once: {overdue:?}"
        );
    }
    assert_eq!(overdue.len(), passes.len());
    assert_eq!(
        events
            .iter()
            .filter(|e| e.1 == "announcement.published")
            .count(),
        60
    );

    // One delivery per event, each sent once: received exactly once, never while in flight.
    assert_eq!(log.len(), events.len(), "one delivery per event");
    let seen = rx.seen();
    let mut received: HashMap<String, usize> = HashMap::new();
    for s in &seen {
        *received.entry(s.headers["webhook-id"].clone()).or_default() += 1;
    }
    for (id, kind, _) in &events {
        assert_eq!(received.get(id), Some(&1), "{kind} {id} received once");
        assert_eq!(
            log[id],
            ("delivered".to_owned(), 1),
            "{kind} {id}: one attempt"
        );
    }
    assert_eq!(seen.len(), events.len(), "nothing else received");
    assert!(
        rx.overlaps().is_empty(),
        "sent twice at once: {:?}",
        rx.overlaps()
    );
    for log in [db.dir.join("a.log"), db.dir.join("b.log")] {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            !text.contains("delivery round failed"),
            "{}: {text}",
            log.display()
        );
    }
    eprintln!(
        "replicas: {} events ({} overdue) delivered once each by two replicas",
        events.len(),
        overdue.len()
    );
    conn.close().await.unwrap();
    drop((a, b));
}
