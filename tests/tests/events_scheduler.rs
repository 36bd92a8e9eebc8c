//! The scheduler of time-based events against real `xiaoan serve` processes: on PostgreSQL two
//! replicas share one database and each runs the scheduler every second; on SQLite one
//! process. An overdue student and an overdue hazard are each told exactly once, also after
//! a `kill -9` and a restart (the scheduler keeps no state besides the events).

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use xiaoan_api_tests::*;

const MASTER_KEY: &str = "ZXZlbnRzLXNjaGVkdWxlci10ZXN0LW1hc3Rlci1rZXktMzItYnl0ZXM=";

async fn start(db: &ScratchDb, name: &str, demo: bool) -> ServerProcess {
    let data = db.dir.join(name);
    let mut env = vec![
        ("XIAOAN_DATABASE_URL", db.url.as_str()),
        ("XIAOAN_DATA_DIR", data.to_str().unwrap()),
        ("XIAOAN_MASTER_KEY", MASTER_KEY),
        ("XIAOAN_EVENTS_SCHEDULER_SECS", "1"),
    ];
    if demo {
        env.push(("XIAOAN_DEMO", "true"));
    }
    ServerProcess::start(&env, db.dir.join(format!("{name}.log"))).await
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn token(&self, user: &str) -> String {
        let r = self
            .send(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": user, "password": PASSWORD})),
            )
            .await;
        assert_eq!(r.0, StatusCode::OK, "{}", r.1);
        r.1["access_token"].as_str().unwrap().to_owned()
    }
    async fn send(
        &self,
        m: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(m, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
    async fn post(&self, path: &str, token: &str, body: Value) -> Value {
        let (status, body) = self
            .send(reqwest::Method::POST, path, Some(token), Some(body))
            .await;
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }
    /// Every event of `kind` about `subject`, read through the feed.
    async fn told(&self, office: &str, kind: &str, subject: &str) -> Vec<Value> {
        let mut after = 0;
        let mut out = Vec::new();
        loop {
            let (s, page) = self
                .send(
                    reqwest::Method::GET,
                    &format!("/api/v1/events?after={after}&limit=200"),
                    Some(office),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{page}");
            let items = page["items"].as_array().unwrap();
            if items.is_empty() {
                return out;
            }
            after = page["next_after"].as_i64().unwrap();
            out.extend(
                items
                    .iter()
                    .filter(|e| e["type"] == kind && e["subject_id"] == subject)
                    .cloned(),
            );
        }
    }
}

#[tokio::test]
async fn time_based_events_are_raised_once_across_replicas_and_restarts() {
    let db = ScratchDb::new().await;
    let mut a = start(&db, "a", true).await;
    // Two replicas on one PostgreSQL race for every event; SQLite runs one process.
    let b = match backend() {
        Backend::Postgres => Some(start(&db, "b", false).await),
        Backend::Sqlite => None,
    };
    let c = Client {
        http: reqwest::Client::new(),
        base: a.base.clone(),
    };
    let (teacher, guard, office) = (
        c.token("teacher1").await,
        c.token("guard1").await,
        c.token("office").await,
    );

    // A student who must be back within seconds leaves and stays out.
    let me = c
        .send(reqwest::Method::GET, "/api/v1/me", Some(&teacher), None)
        .await
        .1;
    let class_id = me["class_ids"][0].as_str().unwrap().to_owned();
    let students = c
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/students?class_id={class_id}"),
            Some(&office),
            None,
        )
        .await
        .1;
    let student = &students["items"][1];
    let now = chrono::Utc::now();
    let pass = c
        .post(
            "/api/v1/leave-passes",
            &teacher,
            json!({
                "student_id": student["id"], "kind": "exit_and_return", "reason": "取药",
                "valid_until": (now + chrono::Duration::hours(2)).to_rfc3339(),
                "return_by": (now + chrono::Duration::seconds(4)).to_rfc3339(),
            }),
        )
        .await;
    let pid = pass["id"].as_str().unwrap().to_owned();
    let scan = c
        .post("/api/v1/gate/scans", &guard, json!({"token": pass["token"], "direction": "exit", "gate": "南门", "client_event_id": uuid::Uuid::new_v4()}))
        .await;
    assert_eq!(scan["result"], "allow", "{scan}");

    // A hazard past its deadline (aged in the database: the API only takes future deadlines).
    let h = c
        .post(
            "/api/v1/hazards",
            &guard,
            json!({"category": "facility", "location": "调度测试点", "description": "围栏松动"}),
        )
        .await;
    let hid = h["id"].as_str().unwrap().to_owned();
    let users = c
        .send(
            reqwest::Method::GET,
            "/api/v1/users?limit=200",
            Some(&office),
            None,
        )
        .await
        .1;
    let owner = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "teacher2")
        .unwrap()["id"]
        .clone();
    let today = school_today().format("%Y-%m-%d").to_string();
    c.post(
        &format!("/api/v1/hazards/{hid}/assign"),
        &office,
        json!({"owner_id": owner, "deadline": today}),
    )
    .await;
    {
        use sea_orm::{ConnectionTrait, Database};
        let conn = Database::connect(&db.url).await.unwrap();
        conn.execute_unprepared(
            "UPDATE hazards SET deadline = '2020-01-06' WHERE location = '调度测试点'",
        )
        .await
        .unwrap();
        conn.close().await.unwrap();
    }

    // Both raised within a few rounds, then many more rounds raise nothing new.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let done = !c.told(&office, "pass.overdue", &pid).await.is_empty()
            && !c.told(&office, "hazard.overdue", &hid).await.is_empty();
        if done {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not raised within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    let overdue = c.told(&office, "pass.overdue", &pid).await;
    assert_eq!(overdue.len(), 1, "{overdue:#?}");
    assert_eq!(
        overdue[0]["data"]["student"]["student_no"],
        student["student_no"]
    );
    assert_eq!(overdue[0]["class_id"], class_id.as_str());
    let hazard = c.told(&office, "hazard.overdue", &hid).await;
    assert_eq!(hazard.len(), 1, "{hazard:#?}");
    assert_eq!(hazard[0]["data"]["deadline"], "2020-01-06");

    // kill -9 and a restart: the scheduler starts over from the records and raises nothing twice.
    a.kill9();
    let a2 = start(&db, "a", false).await;
    let c2 = Client {
        http: reqwest::Client::new(),
        base: a2.base.clone(),
    };
    let office2 = c2.token("office").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(c2.told(&office2, "pass.overdue", &pid).await.len(), 1);
    assert_eq!(c2.told(&office2, "hazard.overdue", &hid).await.len(), 1);

    // No round failed on any replica (a lost race is not a failure).
    for log in [db.dir.join("a.log"), db.dir.join("b.log")] {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            !text.contains("event scheduler round failed"),
            "{}: {text}",
            log.display()
        );
    }
    drop(b);
}
