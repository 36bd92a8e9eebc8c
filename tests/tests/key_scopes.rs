//! The integration keys' scopes beyond people and the gate (issue #18): a roster system's
//! `people:write` upsert (idempotent, reporting per 学号, never echoing personal data), a
//! sensor's `hazards:write` report attributed to the key, a visitor kiosk's `visitors:write`,
//! and the read scopes. Every write is audited with the key as actor and read back.

use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

/// A key named `name` with these scopes; returns (`key:<secret>`, its id).
async fn named_key(app: &TestApp, name: &str, scopes: &[&str]) -> (String, String) {
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/api-keys",
            &office,
            json!({"name": name, "scopes": scopes}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (
        format!("key:{}", r.body["secret"].as_str().expect("secret")),
        r.body["id"].as_str().expect("id").to_owned(),
    )
}

/// The student with this 学号, as the office sees it (guardian contact included).
async fn student_by_no(app: &TestApp, no: &str) -> Value {
    let office = app.token("office").await;
    let r = app
        .get(
            &format!("/api/v1/students?q={no}&limit=200&is_active=false"),
            &office,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut found = r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["student_no"] == no)
        .cloned();
    if found.is_none() {
        let r = app
            .get(&format!("/api/v1/students?q={no}&limit=200"), &office)
            .await;
        found = r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|s| s["student_no"] == no)
            .cloned();
    }
    found.unwrap_or_else(|| panic!("no student {no}"))
}

fn outcomes(body: &Value) -> Vec<(String, String)> {
    body["students"]
        .as_array()
        .expect("students")
        .iter()
        .map(|s| {
            (
                s["student_no"].as_str().expect("no").to_owned(),
                s["outcome"].as_str().expect("outcome").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_roster_system_upserts_people_idempotently_and_reports_what_changed() {
    let app = spawn_empty_school().await;
    let (key, key_id) = named_key(&app, "教务系统", &["people:write"]).await;
    let batch = json!({
        "classes": [{"name": "2026级数控1班", "grade": "2026级"}],
        "students": [
            {"student_no": "2026001", "name": "林晓东", "class": "2026级数控1班",
             "guardian_name": "林建国", "guardian_phone": "13911112222"},
            {"student_no": "2026002", "name": "吴雨桐", "class": "2026级数控1班"}
        ]
    });
    let r = app.put("/api/v1/people", &key, batch.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["classes"],
        json!([{"name": "2026级数控1班", "outcome": "created"}])
    );
    assert_eq!(
        outcomes(&r.body),
        vec![
            ("2026001".into(), "created".into()),
            ("2026002".into(), "created".into())
        ]
    );
    assert_eq!(
        r.body["counts"],
        json!({"created": 2, "updated": 0, "unchanged": 0, "deactivated": 0})
    );
    // Never echoes names or guardian contact.
    for secret in ["林晓东", "吴雨桐", "林建国", "13911112222"] {
        assert!(!r.text.contains(secret), "the report echoes {secret}");
    }
    // Stored: the office sees the guardian the roster system sent.
    let s1 = student_by_no(&app, "2026001").await;
    assert_eq!(s1["name"], "林晓东");
    assert_eq!(s1["class_name"], "2026级数控1班");
    assert_eq!(s1["guardian_phone"], "13911112222");
    assert_eq!(s1["is_active"], true);

    // The same batch again: nothing changes, nothing is written.
    let audits_before = app.audit(&format!("actor_api_key_id={key_id}")).await.len();
    assert!(audits_before >= 4, "{audits_before} audit entries");
    let r = app.put("/api/v1/people", &key, batch.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["classes"][0]["outcome"], "unchanged");
    assert_eq!(
        outcomes(&r.body),
        vec![
            ("2026001".into(), "unchanged".into()),
            ("2026002".into(), "unchanged".into())
        ]
    );
    assert_eq!(
        app.audit(&format!("actor_api_key_id={key_id}")).await.len(),
        audits_before,
        "an unchanged batch writes no audit entry"
    );

    // A change, a student who left, and guardian fields left out (kept as they are).
    let r = app
        .put(
            "/api/v1/people",
            &key,
            json!({"students": [
                {"student_no": "2026001", "name": "林晓冬", "class": "2026级数控1班"},
                {"student_no": "2026002", "name": "吴雨桐", "class": "2026级数控1班", "active": false}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["students"][0]["outcome"], "updated");
    assert_eq!(r.body["students"][0]["changed"], json!(["name"]));
    assert_eq!(r.body["students"][1]["outcome"], "deactivated");
    assert_eq!(r.body["students"][1]["changed"], json!(["active"]));
    assert!(!r.text.contains("林晓冬"));
    let s1 = student_by_no(&app, "2026001").await;
    assert_eq!(s1["name"], "林晓冬");
    assert_eq!(s1["guardian_phone"], "13911112222", "absent: kept");
    let s2 = student_by_no(&app, "2026002").await;
    assert_eq!(s2["is_active"], false);

    // Audited with the key as actor, under the key's name.
    let entries = app
        .audit(&format!("actor_api_key_id={key_id}&action=student.update"))
        .await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(
        entries.iter().all(|e| e["actor_name"] == "教务系统"),
        "{entries:?}"
    );
    assert!(entries.iter().all(|e| e["actor_user_id"].is_null()));
}

#[tokio::test]
async fn a_bad_batch_names_rows_and_fields_never_values_and_changes_nothing() {
    let app = spawn_empty_school().await;
    let (key, _) = named_key(&app, "教务系统", &["people:write"]).await;
    let r = app
        .put(
            "/api/v1/people",
            &key,
            json!({
                "classes": [{"name": "2026级数控1班", "grade": "2026级"}],
                "students": [
                    {"student_no": "2026001", "name": "林晓东", "class": "2026级数控1班"},
                    {"student_no": "2026002", "name": "吴雨桐", "class": "不存在的班",
                     "guardian_phone": "不是电话"},
                    {"student_no": "2026001", "name": "林晓东", "class": "2026级数控1班"}
                ]
            }),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{}",
        r.text
    );
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(
        fields,
        vec![
            "students[1].class",
            "students[1].guardian_phone",
            "students[2].student_no"
        ]
    );
    for secret in ["吴雨桐", "不存在的班", "不是电话", "2026002"] {
        assert!(!r.text.contains(secret), "an error quotes {secret}");
    }
    // All or nothing: not even the valid class or student was written.
    let office = app.token("office").await;
    let classes = app.get("/api/v1/classes", &office).await;
    assert!(!classes.text.contains("2026级数控1班"), "{}", classes.text);
    // Too big a batch is refused as a whole.
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"student_no": format!("S{i}"), "name": "学生", "class": "x"}))
        .collect();
    let r = app
        .put("/api/v1/people", &key, json!({"students": many}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "students");
    // People sign in for the CSV import instead; other keys lack the scope.
    let r = app.put("/api/v1/people", &office, json!({})).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "forbidden_role")
    );
    let reader = app.api_key(&["people:read"]).await;
    let r = app.put("/api/v1/people", &reader, json!({})).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "insufficient_scope")
    );
}

#[tokio::test]
async fn a_sensor_reports_a_hazard_under_the_keys_name() {
    let app = spawn_app().await;
    let (key, key_id) = named_key(&app, "实训楼烟感", &["hazards:write"]).await;
    let r = app
        .post(
            "/api/v1/hazards",
            &key,
            json!({"category": "fire", "location": "实训楼B302", "description": "烟雾报警:烟感浓度超限"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().expect("id").to_owned();
    assert_eq!(r.body["reported_by_name"], "实训楼烟感");
    assert_eq!(r.body["reported_by_api_key_id"], key_id.as_str());
    assert_eq!(r.body["status"], "reported");
    // Read back by the office: the key is the reporter, in the hazard and in its history.
    let office = app.token("office").await;
    let h = app.get(&format!("/api/v1/hazards/{id}"), &office).await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text);
    assert_eq!(h.body["reported_by_name"], "实训楼烟感");
    assert_eq!(h.body["history"][0]["actor_name"], "实训楼烟感");
    assert_eq!(h.body["history"][0]["actor_api_key_id"], key_id.as_str());
    let audit = app
        .audit(&format!("action=hazard.report&entity_id={id}"))
        .await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["actor_api_key_id"], key_id.as_str());
    assert_eq!(audit[0]["actor_name"], "实训楼烟感");
    // A key sends no photos; a key that may only read cannot report.
    let r = app
        .post(
            "/api/v1/hazards",
            &key,
            json!({"category": "fire", "location": "实训楼B302", "description": "烟雾",
                   "attachment_ids": [uuid::Uuid::now_v7()]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let reader = app.api_key(&["hazards:read"]).await;
    let r = app
        .post(
            "/api/v1/hazards",
            &reader,
            json!({"category": "fire", "location": "x", "description": "y"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "insufficient_scope")
    );
    // The reader lists it (every hazard, as the office) and reads it alone.
    let r = app.get("/api/v1/hazards?limit=200", &reader).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|x| x["id"] == id.as_str())
    );
    let r = app.get(&format!("/api/v1/hazards/{id}"), &reader).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.get("/api/v1/hazards/overdue", &reader).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The office account that created the key is answerable for it, not its reporter: it
    // assigns, and may verify the rectification (the four-eyes rule is about people).
    let guard_id = app.user_id("guard1").await;
    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/assign"),
            &office,
            json!({"owner_id": guard_id, "deadline": school_today().to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let guard = app.token("guard1").await;
    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/rectify"),
            &guard,
            json!({"rectification": "更换烟感探头,复测正常"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/verify"),
            &office,
            json!({"approved": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "closed");
}

#[tokio::test]
async fn a_visitor_kiosk_registers_and_checks_visitors_in_as_itself() {
    let app = spawn_app().await;
    let (kiosk, kiosk_id) =
        named_key(&app, "南门访客机", &["visitors:write", "visitors:read"]).await;
    let r = app
        .post(
            "/api/v1/expected-visitors",
            &kiosk,
            json!({"name": "郑海燕", "phone": "13812340000", "reason": "家长会", "host": "李雪梅",
                   "expected_date": school_today().to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let expected_id = r.body["id"].as_str().expect("id").to_owned();
    let r = app.get("/api/v1/expected-visitors", &kiosk).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains(&expected_id), "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/expected-visitors/{expected_id}/check-in"),
            &kiosk,
            json!({"gate": "南门"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let visit = r.body["visitor"]["id"].as_str().expect("id").to_owned();
    assert_eq!(r.body["visitor"]["status"], "admitted");
    // A walk-in at the kiosk, then out again.
    let r = app
        .post(
            "/api/v1/visitors",
            &kiosk,
            json!({"name": "黄志强", "reason": "送货", "gate": "南门"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let walk_in = r.body["visitor"]["id"].as_str().expect("id").to_owned();
    let r = app
        .post(
            &format!("/api/v1/visitors/{walk_in}/check-out"),
            &kiosk,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["checked_out_at"].is_string());
    // Read back by a guard; audited with the kiosk's name.
    let guard = app.token("guard1").await;
    let r = app.get(&format!("/api/v1/visitors/{visit}"), &guard).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["on_campus"], true);
    for action in [
        "expected_visitor.create",
        "visitor.check_in",
        "visitor.check_out",
    ] {
        let entries = app
            .audit(&format!("actor_api_key_id={kiosk_id}&action={action}"))
            .await;
        assert!(!entries.is_empty(), "{action} not audited as the kiosk");
        assert!(entries.iter().all(|e| e["actor_name"] == "南门访客机"));
    }
    // The kiosk may not check everyone out nor decide on a flagged visitor.
    let r = app
        .post("/api/v1/visitors/check-out-all", &kiosk, json!({}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "api_key_not_allowed")
    );
}

#[tokio::test]
async fn a_records_key_reads_the_records_lists_as_the_office_does() {
    let app = spawn_app().await;
    let key = app.api_key(&["records:read"]).await;
    let office = app.token("office").await;
    // A guard's incident report (the office sees every one; so does the key).
    let guard = app.token("guard1").await;
    let r = app
        .post(
            "/api/v1/incidents",
            &guard,
            json!({"kind": "injury", "occurred_at": chrono::Utc::now().to_rfc3339(),
                   "place": "篮球场", "severity": "minor", "description": "学生扭伤脚踝",
                   "actions_taken": "校医冰敷", "reported_to_police": false,
                   "reported_to_fire": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    for path in [
        "/api/v1/incidents",
        "/api/v1/activities",
        "/api/v1/meetings",
        "/api/v1/announcements",
    ] {
        let as_key = app.get(path, &key).await;
        assert_eq!(as_key.status, StatusCode::OK, "{path}: {}", as_key.text);
        let as_office = app.get(path, &office).await;
        let ids = |b: &Value| -> Vec<Value> {
            b.as_array()
                .expect("list")
                .iter()
                .map(|x| x["id"].clone())
                .collect()
        };
        assert_eq!(ids(&as_key.body), ids(&as_office.body), "{path}");
        assert!(
            !ids(&as_key.body).is_empty(),
            "{path}: the demo has records"
        );
    }
    // Health reports stay with the office and the school doctor.
    let r = app.get("/api/v1/health-reports", &key).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "api_key_not_allowed")
    );
}
