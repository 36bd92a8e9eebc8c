//! Evacuation head-counts (应急疏散演练 清点人数): start, class reports from the assembly point
//! (own class only, retry-safe, versioned), the office entering a count handed over in person,
//! the board's totals, close, the ledger; and 40 classes reporting at once with retries.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;
use xiaoan_api_tests::*;

async fn drill(app: &TestApp, office: &str) -> String {
    let r = app
        .post(
            "/api/v1/activities",
            office,
            json!({"kind": "drill", "topic": "消防疏散演练(测试)", "date": school_today().to_string(),
                   "organiser": "保卫处"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().expect("activity id").to_owned()
}

async fn start(app: &TestApp, office: &str, activity_id: &str) -> Value {
    let r = app
        .post(
            "/api/v1/headcounts",
            office,
            json!({"kind": "drill", "activity_id": activity_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

fn class_path(hc: &str, class: &str) -> String {
    format!("/api/v1/headcounts/{hc}/classes/{class}")
}

fn board_class<'a>(board: &'a Value, class_id: &str) -> &'a Value {
    board["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .find(|c| c["class_id"] == class_id)
        .expect("class on the board")
}

#[tokio::test]
async fn a_drill_is_counted_class_by_class_and_closed_into_the_ledger() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let teacher1 = app.token("teacher1").await;
    let teacher2 = app.token("teacher2").await;
    let principal = app.token("principal").await;
    let guard = app.token("guard1").await;
    let class_a = app.own_class_id("teacher1").await;
    let class_b = app.own_class_id("teacher2").await;
    let students = app.students_of(&class_a).await;
    let sid = |i: usize| students[i]["id"].as_str().expect("id").to_owned();

    // A student of class A is out of school on a leave pass (scanned out at the gate).
    let valid_until = (chrono::Utc::now() + chrono::Duration::hours(4)).to_rfc3339();
    let return_by = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    let pass = app
        .post(
            "/api/v1/leave-passes",
            &teacher1,
            json!({"student_id": sid(3), "kind": "exit_and_return", "reason": "复诊",
                   "valid_until": valid_until, "return_by": return_by}),
        )
        .await;
    assert_eq!(pass.status, StatusCode::CREATED, "{}", pass.text);
    let scan = app
        .post(
            "/api/v1/gate/scans",
            &guard,
            json!({"token": pass.body["token"], "direction": "exit", "gate": "东门",
                   "client_event_id": Uuid::new_v4().to_string()}),
        )
        .await;
    assert_eq!(scan.body["result"], "allow", "{}", scan.text);

    // A drill needs its activity record; a real evacuation does not.
    let r = app
        .post("/api/v1/headcounts", &office, json!({"kind": "drill"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let activity = drill(&app, &office).await;
    let board = start(&app, &office, &activity).await;
    let hc = board["id"].as_str().expect("id").to_owned();
    assert_eq!(board["status"], "open");
    assert_eq!(board["title"], "消防疏散演练(测试)");
    let classes = board["totals"]["classes"].as_i64().expect("classes");
    assert!(classes >= 2);
    assert_eq!(board["totals"]["classes_reported"], 0);
    // Before any report, only the students the gate has out are accounted for in class A (ours
    // and any the demo school's gate day left out).
    let a = board_class(&board, &class_a);
    let expected_a = a["expected"].as_i64().expect("expected");
    assert_eq!(expected_a, students.len() as i64);
    let on_leave = a["on_leave"].as_i64().expect("on leave");
    assert!(on_leave >= 1);
    assert_eq!(a["not_accounted"], expected_a - on_leave);
    assert!(board["totals"]["all_accounted_at"].is_null());
    // One at a time.
    let r = app
        .post("/api/v1/headcounts", &office, json!({"kind": "evacuation"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "headcount_already_open");

    // The teacher sees the head-count with the own class only, and a form pre-filled with the
    // student on the leave pass.
    let open = app.get("/api/v1/headcounts/open", &teacher1).await;
    assert_eq!(open.status, StatusCode::OK, "{}", open.text);
    assert_eq!(open.body["headcount"]["id"], hc.as_str());
    let mine: Vec<&Value> = open.body["headcount"]["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["class_id"], class_a.as_str());
    let sheet = app.get(&class_path(&hc, &class_a), &teacher1).await;
    assert_eq!(sheet.status, StatusCode::OK, "{}", sheet.text);
    let prefill = sheet.body["prefill"].as_array().expect("prefill").clone();
    assert_eq!(prefill.len() as i64, on_leave);
    assert!(prefill.contains(&json!({"student_id": sid(3), "reason": "leave_pass"})));
    let out: Vec<&str> = prefill
        .iter()
        .filter_map(|p| p["student_id"].as_str())
        .collect();
    // Two students at school: one will be missing for a while, one injured.
    let here: Vec<String> = (0..students.len())
        .map(sid)
        .filter(|s| !out.contains(&s.as_str()))
        .collect();
    let (lost, hurt) = (here[1].clone(), here[2].clone());
    let lost_name = students
        .iter()
        .find(|s| s["id"] == lost.as_str())
        .expect("student")["name"]
        .as_str()
        .expect("name")
        .to_owned();
    assert_eq!(sheet.body["version"], 0);
    assert_eq!(
        sheet.body["students"].as_array().map(Vec::len),
        Some(students.len())
    );
    // Nobody else's class.
    let r = app.get(&class_path(&hc, &class_a), &teacher2).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "not_own_class");
    let r = app
        .put(
            &class_path(&hc, &class_a),
            &teacher2,
            json!({"client_report_id": Uuid::new_v4(), "present": 1}),
        )
        .await;
    assert_eq!(r.code(), "not_own_class");
    // Guards neither see nor report; the board is the office's and the principal's.
    assert_eq!(
        app.get(&class_path(&hc, &class_a), &guard).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/api/v1/headcounts/{hc}"), &teacher1)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Numbers that do not add up are refused, and nothing is recorded.
    let n = expected_a - on_leave;
    let r = app
        .put(
            &class_path(&hc, &class_a),
            &teacher1,
            json!({"client_report_id": Uuid::new_v4(), "version": 0, "present": n + 1,
                   "absent": prefill}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "headcount_count_mismatch");
    let stranger = app.students_of(&class_b).await[0]["id"].clone();
    let r = app
        .put(
            &class_path(&hc, &class_a),
            &teacher1,
            json!({"client_report_id": Uuid::new_v4(), "version": 0, "present": expected_a - 1,
                   "absent": [{"student_id": stranger, "reason": "missing"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "absent");

    // First report: one missing, one injured.
    let first = Uuid::new_v4();
    let mut absent = prefill.clone();
    absent.push(json!({"student_id": lost, "reason": "missing"}));
    let body = json!({"client_report_id": first, "version": 0, "present": n - 1,
                      "absent": absent, "injured": [hurt]});
    let r = app
        .put(&class_path(&hc, &class_a), &teacher1, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.body["accounted"], false);
    assert_eq!(r.body["replayed"], false);
    assert_eq!(r.body["source"], "teacher");
    // The network dropped the answer: the same report again changes nothing.
    let again = app
        .put(&class_path(&hc, &class_a), &teacher1, body.clone())
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["replayed"], true);
    assert_eq!(again.body["version"], 1);
    // The same report id for another class is a client bug, not a report.
    let r = app
        .put(&class_path(&hc, &class_b), &office, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "client_event_conflict");

    // The board names the missing and the injured, for the office and the principal.
    let board = app
        .get(&format!("/api/v1/headcounts/{hc}"), &principal)
        .await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.text);
    let a = board_class(&board.body, &class_a);
    assert_eq!(a["status"], "reported");
    assert_eq!(a["present"], n - 1);
    assert_eq!(a["not_accounted"], 1);
    assert_eq!(a["missing"][0]["id"], lost.as_str());
    assert_eq!(a["missing"][0]["name"], lost_name.as_str());
    assert_eq!(a["injured"][0]["id"], hurt.as_str());
    assert_eq!(board.body["totals"]["classes_reported"], 1);
    assert_eq!(board.body["totals"]["missing"], 1);
    assert_eq!(board.body["totals"]["injured"], 1);

    // The missing student is found: a report made from version 1.
    let found = json!({"client_report_id": Uuid::new_v4(), "version": 1, "present": n,
                       "absent": prefill, "injured": [hurt]});
    let r = app.put(&class_path(&hc, &class_a), &teacher1, found).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["accounted"], true);
    // A late report still based on version 1 never overwrites it.
    let stale = json!({"client_report_id": Uuid::new_v4(), "version": 1, "present": n - 1,
                       "absent": absent});
    let r = app.put(&class_path(&hc, &class_a), &teacher1, stale).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "headcount_version_conflict");

    // Every other class: the office enters class B's count handed over in person; the other
    // teachers report their own.
    let board = app
        .get(&format!("/api/v1/headcounts/{hc}"), &office)
        .await
        .body;
    for c in board["classes"].as_array().expect("classes") {
        let id = c["class_id"].as_str().expect("id");
        if id == class_a {
            continue;
        }
        let present =
            c["expected"].as_i64().expect("expected") - c["on_leave"].as_i64().expect("n");
        let sheet = app.get(&class_path(&hc, id), &office).await;
        assert_eq!(sheet.status, StatusCode::OK, "{}", sheet.text);
        let r = app
            .put(
                &class_path(&hc, id),
                &office,
                json!({"client_report_id": Uuid::new_v4(), "version": 0, "present": present,
                       "absent": sheet.body["prefill"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["source"], "office");
    }
    let board = app
        .get(&format!("/api/v1/headcounts/{hc}"), &office)
        .await
        .body;
    let t = &board["totals"];
    assert_eq!(t["classes_reported"], t["classes"]);
    assert_eq!(t["not_accounted"], 0);
    assert_eq!(t["missing"], 0);
    assert_eq!(
        t["present"].as_i64().unwrap() + t["on_leave"].as_i64().unwrap(),
        t["expected"].as_i64().unwrap()
    );
    let all_at = t["all_accounted_at"].as_str().expect("all accounted");
    let started = board["started_at"].as_str().expect("started");
    let secs = t["seconds_to_all_accounted"].as_i64().expect("seconds");
    let span = chrono::DateTime::parse_from_rfc3339(all_at).unwrap()
        - chrono::DateTime::parse_from_rfc3339(started).unwrap();
    assert_eq!(secs, span.num_seconds());
    assert_eq!(board_class(&board, &class_b)["source"], "office");

    // The teacher cannot close it; the office does.
    let r = app
        .post(
            &format!("/api/v1/headcounts/{hc}/close"),
            &teacher1,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            &format!("/api/v1/headcounts/{hc}/close"),
            &office,
            json!({"note": "三楼东侧楼梯口疏散较慢"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "closed");
    assert_eq!(r.body["note"], "三楼东侧楼梯口疏散较慢");
    assert_eq!(r.body["totals"]["seconds_to_all_accounted"], secs);
    // After the close: no new report, but a retry of one received before is answered.
    let r = app
        .put(
            &class_path(&hc, &class_a),
            &teacher1,
            json!({"client_report_id": Uuid::new_v4(), "version": 2, "present": n,
                   "absent": prefill}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "headcount_closed");
    let r = app.put(&class_path(&hc, &class_a), &teacher1, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["replayed"], true);
    let r = app
        .post(
            &format!("/api/v1/headcounts/{hc}/close"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "headcount_closed");
    assert!(app.get("/api/v1/headcounts/open", &teacher1).await.body["headcount"].is_null());

    // Kept with the drill's record, and in the ledger.
    let list = app
        .get(
            &format!("/api/v1/headcounts?activity_id={activity}"),
            &principal,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        list.body["items"][0]["totals"]["seconds_to_all_accounted"],
        secs
    );
    let ledger = app.get("/api/v1/ledger", &office).await;
    assert_eq!(ledger.status, StatusCode::OK, "{}", ledger.text);
    let sheet = ledger.body["sheets"]
        .as_array()
        .expect("sheets")
        .iter()
        .find(|s| s["key"] == "headcounts")
        .expect("head-count sheet");
    assert!(sheet["rows"].as_u64().unwrap_or_default() >= 1, "{sheet}");
    // Audit: counts, never a student's name.
    let audit = app.audit("action=headcount.report").await;
    assert_eq!(audit.len() as i64, classes + 1);
    let text = serde_json::to_string(&audit).unwrap();
    assert!(!text.contains(&lost_name));
}

#[tokio::test]
async fn forty_classes_report_at_once_with_retries_and_each_counts_once() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    // Forty classes of three students each, made through the API.
    let mut csv = String::from("学号,姓名,班级\n");
    for i in 0..40 {
        let name = format!("演练测试{i:02}班");
        let r = app
            .post(
                "/api/v1/classes",
                &office,
                json!({"name": name, "grade": "2026级"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        for n in 0..3 {
            csv.push_str(&format!("T26{i:02}{n},测试学生{i}-{n},{name}\n"));
        }
    }
    let r = TestApp::finish(
        app.client
            .post(app.url("/api/v1/students/import"))
            .bearer_auth(&office)
            .header("content-type", "text/csv")
            .body(csv.into_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let r = app
        .post(
            "/api/v1/headcounts",
            &office,
            json!({"kind": "evacuation", "title": "紧急疏散(测试)"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let hc = r.body["id"].as_str().expect("id").to_owned();
    let ours: Vec<(String, i64)> = r.body["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .filter(|c| {
            c["class_name"]
                .as_str()
                .is_some_and(|n| n.starts_with("演练测试"))
        })
        .map(|c| {
            (
                c["class_id"].as_str().expect("id").to_owned(),
                c["expected"].as_i64().expect("n"),
            )
        })
        .collect();
    assert_eq!(ours.len(), 40);

    // Each class's report is sent three times at once (a phone retrying on a bad network),
    // all forty classes together.
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for (class_id, expected) in &ours {
        let body = json!({"client_report_id": Uuid::new_v4(), "version": 0, "present": expected});
        for _ in 0..3 {
            let (app, office, path, body) = (
                app.clone(),
                office.clone(),
                class_path(&hc, class_id),
                body.clone(),
            );
            tasks.push(tokio::spawn(
                async move { app.put(&path, &office, body).await },
            ));
        }
    }
    let mut applied = 0;
    for t in tasks {
        let r = t.await.expect("task");
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["version"], 1, "{}", r.text);
        if r.body["replayed"] == false {
            applied += 1;
        }
    }
    // Exactly one of the three copies of each report was applied.
    assert_eq!(applied, 40);
    let board = app.get(&format!("/api/v1/headcounts/{hc}"), &office).await;
    for (class_id, expected) in &ours {
        let c = board_class(&board.body, class_id);
        assert_eq!(c["status"], "reported");
        assert_eq!(c["version"], 1);
        assert_eq!(c["present"], *expected);
        assert_eq!(c["not_accounted"], 0);
    }
    assert_eq!(app.audit("action=headcount.report").await.len(), 40);
    assert_eq!(
        // The demo's head-count has no receipts: these are the forty reports'.
        app.sql_count("SELECT COUNT(*) AS n FROM headcount_receipts")
            .await,
        40
    );
}
