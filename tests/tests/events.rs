//! Events, written with the change: each change raises its event once in the same
//! transaction (a failed change raises none), payloads carry no forbidden fields, the cursor
//! feed (`GET /events`) never skips an event that commits late, and the scheduler raises
//! time-based events once, across restarts and with two replicas on one PostgreSQL.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

fn ts(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339()
}

fn days_from_today(days: i64) -> String {
    (school_today() + Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// Every event after `after`, paged through `GET /events` with a small page; checks the
/// order and the cursor on the way.
async fn feed_after(app: &TestApp, auth: &str, mut after: i64) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let r = app
            .get(&format!("/api/v1/events?after={after}&limit=7"), auth)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let items = r.body["items"].as_array().unwrap().clone();
        let next = r.body["next_after"].as_i64().unwrap();
        if items.is_empty() {
            assert_eq!(next, after);
            return out;
        }
        for e in &items {
            let seq = e["seq"].as_i64().unwrap();
            assert!(seq > after, "seq {seq} not after {after}");
            after = seq;
        }
        assert_eq!(next, after);
        out.extend(items);
    }
}

/// The cursor now: the last seq there is.
async fn head(app: &TestApp, auth: &str) -> i64 {
    feed_after(app, auth, 0)
        .await
        .last()
        .map(|e| e["seq"].as_i64().unwrap())
        .unwrap_or(0)
}

/// The events of `kind` about `subject`.
fn about<'a>(events: &'a [Value], kind: &str, subject: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["type"] == kind && e["subject_id"] == subject)
        .collect()
}

fn one<'a>(events: &'a [Value], kind: &str, subject: &str) -> &'a Value {
    let found = about(events, kind, subject);
    assert_eq!(found.len(), 1, "{kind} about {subject}: {events:#?}");
    found[0]
}

async fn issue(app: &TestApp, student_id: &str) -> Value {
    let t = app.token("teacher1").await;
    let r = app
        .post(
            "/api/v1/leave-passes",
            &t,
            json!({
                "student_id": student_id, "kind": "exit_and_return", "reason": "看病(口腔医院复诊)",
                "valid_until": ts(Duration::hours(4)), "return_by": ts(Duration::hours(3)),
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

async fn scan(app: &TestApp, token: &str, direction: &str) -> Resp {
    let g = app.token("guard1").await;
    let ev = uuid::Uuid::new_v4().to_string();
    app.post(
        "/api/v1/gate/scans",
        &g,
        json!({"token": token, "direction": direction, "gate": "南门", "client_event_id": ev}),
    )
    .await
}

/// Keys no payload may carry, at any depth.
const FORBIDDEN_KEYS: &[&str] = &[
    "guardian_name",
    "guardian_phone",
    "phone",
    "id_number",
    "id_number_hash",
    "id_number_last4",
    "reason",
    "temperature",
    "symptoms",
    "description",
    "token",
    "short_code",
];

fn forbidden_keys(v: &Value, path: &str, found: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if FORBIDDEN_KEYS.contains(&k.as_str()) {
                    found.push(format!("{path}.{k}"));
                }
                forbidden_keys(x, &format!("{path}.{k}"), found);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| forbidden_keys(x, path, found)),
        _ => {}
    }
}

#[tokio::test]
async fn each_change_raises_its_event_once_with_the_fewest_fields() {
    let app = spawn_app().await;
    let key = app.api_key(&["events:read"]).await;
    let office = app.token("office").await;
    let start = head(&app, &key).await;

    // A pass: issued, out, back; a second one revoked (twice: the refused revoke raises none).
    let class_id = app.own_class_id("teacher1").await;
    let students = app.students_of(&class_id).await;
    let s = &students[1];
    let p = issue(&app, s["id"].as_str().unwrap()).await;
    let pid = p["id"].as_str().unwrap();
    let token = p["token"].as_str().unwrap();
    assert_eq!(scan(&app, token, "exit").await.body["result"], "allow");
    assert_eq!(scan(&app, token, "exit").await.body["result"], "deny");
    assert_eq!(scan(&app, token, "return").await.body["result"], "allow");
    let p2 = issue(&app, students[2]["id"].as_str().unwrap()).await;
    let pid2 = p2["id"].as_str().unwrap();
    let t1 = app.token("teacher1").await;
    let revoke = format!("/api/v1/leave-passes/{pid2}/revoke");
    assert_eq!(
        app.post(&revoke, &t1, json!({})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.post(&revoke, &t1, json!({})).await.status,
        StatusCode::CONFLICT
    );

    // A hazard: reported, assigned, rectified, verified.
    let g = app.token("guard1").await;
    let r = app
        .post(
            "/api/v1/hazards",
            &g,
            json!({"category": "fire", "location": "食堂后门", "description": "灭火器过期"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let hid = r.body["id"].as_str().unwrap().to_owned();
    let office_id = app.user_id("office").await;
    let r = app
        .post(
            &format!("/api/v1/hazards/{hid}/assign"),
            &office,
            json!({"owner_id": office_id, "deadline": days_from_today(2)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/hazards/{hid}/rectify"),
            &office,
            json!({"rectification": "已更换灭火器"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let principal = app.token("principal").await;
    let r = app
        .post(
            &format!("/api/v1/hazards/{hid}/verify"),
            &principal,
            json!({"approved": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Visitors: one admitted, one banned (refused, flagged, not checked in).
    let r = app
        .post("/api/v1/visitors", &g, json!({"name": "孙建国", "phone": "13812345678", "id_number": "32050119800101123x", "reason": "消防设施检查", "host": "保卫处", "gate": "南门"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let vid = r.body["visitor"]["id"].as_str().unwrap().to_owned();
    let r = app
        .post("/api/v1/watchlist", &office, json!({"name": "钱某", "id_number": "320502197507074321", "category": "banned", "note": "多次滋扰学生"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post("/api/v1/visitors", &g, json!({"name": "钱先生", "id_number": "320502197507074321", "reason": "找人", "gate": "北门"}))
        .await;
    assert_eq!(r.code(), "visitor_banned", "{}", r.text);

    // An incident, an abnormal health report, an announcement.
    let r = app
        .post("/api/v1/incidents", &g, json!({"kind": "theft", "occurred_at": ts(-Duration::hours(2)), "place": "自行车棚", "severity": "minor", "description": "一辆电动车充电器被盗"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let iid = r.body["id"].as_str().unwrap().to_owned();
    let g2 = app.token("guard2").await;
    let r = app
        .post(
            "/api/v1/health-reports",
            &g2,
            json!({"temperature": 38.4, "fit_for_duty": false, "symptoms": "咳嗽"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let rid = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post("/api/v1/announcements", &office, json!({"title": "期末家长车辆疏导安排", "body": "放学时段家长车辆沿东侧停放。", "target_roles": ["class_teacher"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let aid = r.body["id"].as_str().unwrap().to_owned();

    let events = feed_after(&app, &key, start).await;
    let issued = one(&events, "pass.issued", pid);
    assert_eq!(issued["version"], 1);
    assert_eq!(issued["class_id"], class_id.as_str());
    assert_eq!(issued["data"]["student"]["name"], s["name"]);
    assert_eq!(issued["data"]["student"]["student_no"], s["student_no"]);
    assert_eq!(issued["data"]["student"]["class_id"], class_id.as_str());
    let exit = one(&events, "gate.exit", pid);
    assert_eq!(exit["data"]["gate"], "南门");
    assert_eq!(exit["data"]["offline"], false);
    one(&events, "gate.return", pid);
    // A refused scan raises nothing unless the school asked for `gate.refused`.
    assert!(events.iter().all(|e| e["type"] != "gate.refused"));
    one(&events, "pass.issued", pid2);
    one(&events, "pass.revoked", pid2);
    one(&events, "hazard.reported", &hid);
    let assigned = one(&events, "hazard.assigned", &hid);
    assert_eq!(assigned["data"]["owner_id"], office_id.as_str());
    one(&events, "hazard.verified", &hid);
    one(&events, "visitor.checked_in", &vid);
    let flagged: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "visitor.flagged")
        .collect();
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert_eq!(flagged[0]["data"]["category"], "banned");
    assert_eq!(flagged[0]["data"]["status"], "refused");
    assert_eq!(
        about(
            &events,
            "visitor.checked_in",
            flagged[0]["subject_id"].as_str().unwrap()
        )
        .len(),
        0
    );
    one(&events, "incident.reported", &iid);
    let health = one(&events, "health.abnormal", &rid);
    assert_eq!(health["data"]["fit_for_duty"], false);
    one(&events, "announcement.published", &aid);

    // The stable ids are unique, and the seqs strictly increase (checked by the pager).
    let mut ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), events.len());

    // No payload carries a guardian's contact, an ID number, a reason or a health detail —
    // neither as a field nor as a value.
    let mut found = Vec::new();
    for e in &events {
        forbidden_keys(&e["data"], e["type"].as_str().unwrap(), &mut found);
    }
    assert!(found.is_empty(), "forbidden fields: {found:?}");
    let text = serde_json::to_string(&events).unwrap();
    let full = app
        .get(
            &format!("/api/v1/students/{}", s["id"].as_str().unwrap()),
            &office,
        )
        .await
        .body;
    for secret in [
        "看病",
        "13812345678",
        "32050119800101123x",
        "320502197507074321",
        "咳嗽",
        "38.4",
    ] {
        assert!(!text.contains(secret), "{secret} in an event");
    }
    if let Some(phone) = full["guardian_phone"].as_str() {
        assert!(!text.contains(phone), "a guardian's phone in an event");
    }
}

#[tokio::test]
async fn a_refused_scan_raises_gate_refused_when_the_school_asks_for_it() {
    let app = spawn_app_with(AppOptions::default(), |s| s.events_gate_refused = true).await;
    let key = app.api_key(&["events:read"]).await;
    let start = head(&app, &key).await;
    let class_id = app.own_class_id("teacher1").await;
    let s = app.students_of(&class_id).await[1].clone();
    let p = issue(&app, s["id"].as_str().unwrap()).await;
    let token = p["token"].as_str().unwrap();
    assert_eq!(
        scan(&app, token, "return").await.body["code"],
        "return_before_exit"
    );
    assert_eq!(
        scan(&app, "XA1.garbage.garbage", "exit").await.body["result"],
        "deny"
    );
    let events = feed_after(&app, &key, start).await;
    let refused: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "gate.refused")
        .collect();
    assert_eq!(refused.len(), 2, "{events:#?}");
    assert_eq!(refused[0]["data"]["code"], "return_before_exit");
    assert_eq!(refused[0]["data"]["student"]["student_no"], s["student_no"]);
    assert_eq!(refused[0]["class_id"], class_id.as_str());
    // A token that does not check out names nobody.
    assert!(refused[1]["data"]["student"].is_null());
    assert!(refused[1]["class_id"].is_null());
}

#[tokio::test]
async fn a_change_that_fails_after_its_event_was_written_leaves_no_event() {
    let app = spawn_app().await;
    let key = app.api_key(&["events:read"]).await;
    let office = app.token("office").await;
    let start = head(&app, &key).await;
    // The announcement's audit entry is written after its event: make that write fail.
    match backend() {
        Backend::Sqlite => {
            app.sql(
                "CREATE TRIGGER fail_announce BEFORE INSERT ON audit_log \
                 WHEN NEW.action = 'announcement.create' BEGIN SELECT RAISE(ABORT, 'injected'); END",
            )
            .await
        }
        Backend::Postgres => {
            app.sql(
                "CREATE FUNCTION fail_announce() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.action = 'announcement.create' THEN RAISE EXCEPTION 'injected'; END IF; \
                 RETURN NEW; END $$",
            )
            .await;
            app.sql(
                "CREATE TRIGGER fail_announce BEFORE INSERT ON audit_log \
                 FOR EACH ROW EXECUTE FUNCTION fail_announce()",
            )
            .await
        }
    }
    let body = json!({"title": "消防演练通知", "body": "周五下午第二节课后全校消防疏散演练。", "target_roles": ["class_teacher"]});
    let r = app
        .post("/api/v1/announcements", &office, body.clone())
        .await;
    assert!(r.status.is_server_error(), "{}", r.text);
    assert!(feed_after(&app, &key, start).await.is_empty());
    assert_eq!(
        app.sql_count("SELECT COUNT(*) AS n FROM announcements WHERE title = '消防演练通知'")
            .await,
        0
    );

    // The same change, once it can commit, raises its event.
    app.sql(match backend() {
        Backend::Sqlite => "DROP TRIGGER fail_announce",
        Backend::Postgres => "DROP TRIGGER fail_announce ON audit_log",
    })
    .await;
    let r = app.post("/api/v1/announcements", &office, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let events = feed_after(&app, &key, start).await;
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["type"], "announcement.published");
}

#[tokio::test]
async fn the_feed_is_for_the_office_and_events_read_keys_only() {
    let app = spawn_app().await;
    for who in ["principal", "teacher1", "guard1", "officer1"] {
        let t = app.token(who).await;
        assert_eq!(
            app.get("/api/v1/events", &t).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let other = app.api_key(&["people:read", "gate:read"]).await;
    assert_eq!(
        app.get("/api/v1/events", &other).await.status,
        StatusCode::FORBIDDEN
    );
    let anon = app
        .request(reqwest::Method::GET, "/api/v1/events", None, None)
        .await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    let office = app.token("office").await;
    assert_eq!(
        app.get("/api/v1/events", &office).await.status,
        StatusCode::OK
    );
    let r = app.get("/api/v1/events?limit=0", &office).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = app.get("/api/v1/events?after=-1", &office).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    // Beyond the spec's int64 maximum: refused, not clamped (found by contract fuzzing).
    let r = app
        .get("/api/v1/events?after=9223372036854775808", &office)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = app.get("/api/v1/events?after=999999999", &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["items"], json!([]));
    assert_eq!(r.body["next_after"], 999999999);
}

/// PostgreSQL hands out `seq` at insert, not at commit: an event whose transaction is still
/// open holds back every later one, so a reader advancing its cursor never skips it.
#[tokio::test]
async fn the_cursor_never_skips_an_event_that_commits_late() {
    if backend() != Backend::Postgres {
        // SQLite has one writer at a time: seq order is commit order (nothing to hold back).
        return;
    }
    use sea_orm::{Database, TransactionTrait};
    use xiaoan::features::events;
    let app = spawn_app().await;
    let key = app.api_key(&["events:read"]).await;
    let office = app.token("office").await;
    let start = head(&app, &key).await;

    // A writer draws a seq and stays open.
    let conn = Database::connect(app.database_url.as_str()).await.unwrap();
    let tx = conn.begin().await.unwrap();
    let late = events::AnnouncementPublished {
        announcement_id: uuid::Uuid::now_v7(),
        title: "晚提交的事件".into(),
        target_roles: vec![],
    };
    events::emit_payload(&tx, Utc::now(), &late).await.unwrap();
    // A later event commits first.
    let r = app
        .post(
            "/api/v1/announcements",
            &office,
            json!({"title": "先提交的事件", "body": "x", "target_roles": ["guard"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // While the first is open, the reader gets neither (it waits, then answers nothing new).
    let r = app
        .get(&format!("/api/v1/events?after={start}"), &key)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["items"], json!([]), "handed out past an open writer");
    assert_eq!(r.body["next_after"], start);

    // A reader waiting when the writer commits gets both, in seq order.
    let waiting = {
        let url = app.url(&format!("/api/v1/events?after={start}"));
        let client = app.client.clone();
        let k = key.strip_prefix("key:").unwrap().to_owned();
        tokio::spawn(async move {
            client
                .get(url)
                .header("X-API-Key", k)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    tx.commit().await.unwrap();
    let got = waiting.await.unwrap();
    let titles: Vec<&str> = got["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["晚提交的事件", "先提交的事件"], "{got:#}");
}
