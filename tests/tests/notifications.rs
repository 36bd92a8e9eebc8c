//! In-app notifications and escalations on a clock, over HTTP against the real server, on
//! SQLite and PostgreSQL. The escalation scheduler's time is injected: the test calls
//! `xiaoan::jobs::escalations::round` with the instant it wants (the records it makes lie in
//! the real future, so the server's own scheduler, on the real clock, never reaches them).

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan::infra::db::Db;
use xiaoan_api_tests::*;

/// The school's time zone (the default one; the tests crate does not name its type).
macro_rules! tz {
    () => {
        xiaoan::Settings::default().time_zone().unwrap()
    };
}

async fn db_of(app: &TestApp) -> Db {
    let settings = xiaoan::Settings {
        data_dir: app.data_dir.clone(),
        database_url: Some(app.database_url.clone()),
        ..xiaoan::Settings::default()
    };
    Db::connect(&settings).await.unwrap()
}

async fn mine(app: &TestApp, token: &str) -> Value {
    let r = app.get("/api/v1/notifications?limit=200", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// My notifications of `rule` about `subject` (any subject when `None`).
async fn about(app: &TestApp, token: &str, rule: &str, subject: Option<&str>) -> Vec<Value> {
    mine(app, token).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["rule"] == rule && subject.is_none_or(|s| n["subject_id"] == s))
        .cloned()
        .collect()
}

/// Waits (the worker runs every half second) until `token` has a notification of `rule`.
async fn wait_for(app: &TestApp, token: &str, rule: &str, subject: Option<&str>) -> Value {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(n) = about(app, token, rule, subject).await.into_iter().next() {
            return n;
        }
        assert!(
            std::time::Instant::now() < until,
            "no {rule} notification within 20 s: {}",
            mine(app, token).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Lets the worker catch up with every event written so far.
async fn settle(db: &Db) {
    xiaoan::features::notifications::drain(db, tz!())
        .await
        .unwrap();
}

/// A class-A student out on a pass due back at `return_by`.
async fn student_out(app: &TestApp, return_by: DateTime<Utc>) -> (String, Value) {
    let s = app.school().await;
    let pass = app
        .new_pass(
            &s.a,
            &s.a.students[0],
            json!({"return_by": return_by.to_rfc3339(),
                   "valid_until": (return_by + Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    let r = app
        .post(
            "/api/v1/gate/scans",
            &s.guard.token,
            json!({"token": pass["token"], "direction": "exit", "gate": "南门",
                   "client_event_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(r.body["result"], "allow", "{}", r.text);
    (pass["id"].as_str().unwrap().to_owned(), pass)
}

async fn escalations_about(app: &TestApp, pass: &str) -> Vec<Value> {
    let office = app.token("office").await;
    let mut after = 0;
    let mut out = Vec::new();
    loop {
        let r = app
            .get(&format!("/api/v1/events?after={after}&limit=200"), &office)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let items = r.body["items"].as_array().unwrap().clone();
        if items.is_empty() {
            return out;
        }
        after = r.body["next_after"].as_i64().unwrap();
        out.extend(
            items
                .into_iter()
                .filter(|e| e["type"] == "escalation.raised" && e["subject_id"] == pass),
        );
    }
}

#[tokio::test]
async fn an_overdue_student_goes_to_the_own_teacher_at_15_then_the_office_and_leader_at_60() {
    let app = spawn_empty_school().await;
    let db = db_of(&app).await;
    let s = app.school().await;
    let office = app.token("office").await;
    let return_by = Utc::now() + Duration::hours(3);
    let (pass, _) = student_out(&app, return_by).await;

    // The leader on call for the day of +60: a published roster.
    let leader = app.new_user("principal").await;
    let at60 = return_by + Duration::minutes(61);
    let day = at60.with_timezone(&tz!()).format("%Y-%m-%d").to_string();
    let roster = app
        .new_roster(
            &day,
            &day,
            &[(&day, "00:00", "00:00", "leader_on_call", &leader.id)],
        )
        .await;
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{roster}/publish"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // +14 min: nothing yet.
    let tz = tz!();
    let n = xiaoan::jobs::escalations::round(&db, tz, return_by + Duration::minutes(14))
        .await
        .unwrap();
    assert_eq!(n, 0);
    // +16 min: the class teacher of class A, and nobody else.
    let n = xiaoan::jobs::escalations::round(&db, tz, return_by + Duration::minutes(16))
        .await
        .unwrap();
    assert_eq!(n, 1);
    let told = wait_for(
        &app,
        &s.a.teacher.token,
        "escalation_class_teacher",
        Some(&pass),
    )
    .await;
    assert_eq!(told["kind"], "escalation.raised");
    assert_eq!(told["title"], "学生逾期 15 分钟未返校");
    assert!(
        told["body"]
            .as_str()
            .unwrap()
            .contains(&s.a.students[0].name),
        "{told}"
    );
    assert_eq!(
        told["route"],
        format!("/teacher/passes/{pass}"),
        "tap opens the pass"
    );
    assert!(told["read_at"].is_null());
    settle(&db).await;
    // Ownership: class B's teacher hears nothing of class A's student; the office not yet.
    assert!(
        mine(&app, &s.b.teacher.token).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["subject_id"] != pass.as_str())
    );
    assert!(
        about(&app, &office, "escalation_office", Some(&pass))
            .await
            .is_empty()
    );

    // +61 min, still out: the office and the leader on call.
    let n = xiaoan::jobs::escalations::round(&db, tz, at60)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let o = wait_for(&app, &office, "escalation_office", Some(&pass)).await;
    assert_eq!(o["title"], "学生逾期 60 分钟未返校");
    assert_eq!(o["route"], "/office/passes");
    let l = wait_for(&app, &leader.token, "escalation_leader", Some(&pass)).await;
    assert_eq!(l["route"], "/principal/passes");
    // The class teacher is not told twice.
    settle(&db).await;
    assert_eq!(
        about(
            &app,
            &s.a.teacher.token,
            "escalation_class_teacher",
            Some(&pass)
        )
        .await
        .len(),
        1
    );
    assert!(
        mine(&app, &s.b.teacher.token).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["subject_id"] != pass.as_str())
    );
    let steps = escalations_about(&app, &pass).await;
    assert_eq!(steps.len(), 2, "{steps:#?}");
    assert_eq!(
        steps[1]["data"]["targets"],
        json!(["office", "leader_on_call"])
    );
    assert_eq!(steps[1]["data"]["leader_on_call_id"], leader.id.as_str());
}

#[tokio::test]
async fn the_escalation_stops_when_the_student_is_back() {
    let app = spawn_empty_school().await;
    let db = db_of(&app).await;
    let s = app.school().await;
    let office = app.token("office").await;
    let return_by = Utc::now() + Duration::hours(3);
    let (pass, token) = student_out(&app, return_by).await;
    let tz = tz!();
    xiaoan::jobs::escalations::round(&db, tz, return_by + Duration::minutes(20))
        .await
        .unwrap();
    wait_for(
        &app,
        &s.a.teacher.token,
        "escalation_class_teacher",
        Some(&pass),
    )
    .await;

    // Back at the gate before +60.
    let r = app
        .post(
            "/api/v1/gate/scans",
            &s.guard.token,
            json!({"token": token["token"], "direction": "return", "gate": "南门",
                   "client_event_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(r.body["result"], "allow", "{}", r.text);
    let n = xiaoan::jobs::escalations::round(&db, tz, return_by + Duration::minutes(90))
        .await
        .unwrap();
    assert_eq!(n, 0, "no second step once the student is back");
    settle(&db).await;
    assert!(
        about(&app, &office, "escalation_office", Some(&pass))
            .await
            .is_empty()
    );
    assert_eq!(escalations_about(&app, &pass).await.len(), 1);
}

#[tokio::test]
async fn no_notification_is_doubled_by_a_restart_or_a_second_replica() {
    let app = spawn_empty_school().await;
    let db = db_of(&app).await;
    let s = app.school().await;
    let return_by = Utc::now() + Duration::hours(3);
    let (pass, _) = student_out(&app, return_by).await;
    let tz = tz!();
    let at = return_by + Duration::minutes(16);
    // Two replicas' rounds at once, then again: one step.
    let (a, b) = tokio::join!(
        xiaoan::jobs::escalations::round(&db, tz, at),
        xiaoan::jobs::escalations::round(&db, tz, at)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(
        xiaoan::jobs::escalations::round(&db, tz, at).await.unwrap(),
        0
    );
    wait_for(
        &app,
        &s.a.teacher.token,
        "escalation_class_teacher",
        Some(&pass),
    )
    .await;

    // A restart that starts over from an old cursor, with two workers at once: the unique
    // (recipient, event, rule) key keeps one notification each.
    {
        use sea_orm::ConnectionTrait;
        db.conn
            .execute_unprepared("UPDATE notification_cursors SET seq = 0")
            .await
            .unwrap();
    }
    let db2 = db_of(&app).await;
    let (x, y) = tokio::join!(
        xiaoan::features::notifications::drain(&db, tz),
        xiaoan::features::notifications::drain(&db2, tz)
    );
    x.unwrap();
    y.unwrap();
    settle(&db).await;
    assert_eq!(
        about(
            &app,
            &s.a.teacher.token,
            "escalation_class_teacher",
            Some(&pass)
        )
        .await
        .len(),
        1
    );
    let all = mine(&app, &s.a.teacher.token).await;
    let ids: std::collections::HashSet<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), all["items"].as_array().unwrap().len());
}

#[tokio::test]
async fn each_role_gets_what_concerns_it_and_marks_it_read() {
    let app = spawn_empty_school().await;
    let db = db_of(&app).await;
    let s = app.school().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;

    // A hazard of class A: the office and class A's teacher; not class B's.
    let h = app.new_hazard(&s.guard.token, Some(&s.a.id)).await;
    let hid = h["id"].as_str().unwrap();
    let n = wait_for(&app, &office, "hazard_reported_office", Some(hid)).await;
    assert_eq!(n["route"], format!("/office/hazards/{hid}"));
    wait_for(&app, &s.a.teacher.token, "hazard_reported_class", Some(hid)).await;
    // Assigned to class B's teacher: the owner is told.
    let r = app
        .post(
            &format!("/api/v1/hazards/{hid}/assign"),
            &office,
            json!({"owner_id": s.b.teacher.id,
                   "deadline": (school_today() + chrono::Days::new(3)).format("%Y-%m-%d").to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let n = wait_for(&app, &s.b.teacher.token, "hazard_assigned_owner", Some(hid)).await;
    assert_eq!(n["title"], "隐患已分派给您整改");
    assert_eq!(n["route"], format!("/teacher/hazards/{hid}"));
    settle(&db).await;
    assert!(
        about(&app, &s.b.teacher.token, "hazard_reported_class", Some(hid))
            .await
            .is_empty()
    );

    // An abnormal health report: the office, and 校医 once the office names one.
    let doctor = app.new_user("class_teacher").await;
    let mut settings =
        app.get("/api/v1/escalation-settings", &office).await.body["settings"].clone();
    settings["health_abnormal"]["clinic_user_id"] = json!(doctor.id);
    let r = app
        .put("/api/v1/escalation-settings", &office, settings.clone())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            "/api/v1/health-reports",
            &s.guard.token,
            json!({"temperature": 38.4, "fit_for_duty": false, "symptoms": "咳嗽"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let n = wait_for(&app, &office, "health_abnormal_office", None).await;
    assert_eq!(n["route"], "/office/health-reports");
    let d = wait_for(&app, &doctor.token, "health_abnormal_clinic", None).await;
    assert!(d["body"].as_str().unwrap().contains(&s.guard.display_name));
    assert!(
        !d["body"].as_str().unwrap().contains("38.4"),
        "no temperature"
    );
    assert!(!d["body"].as_str().unwrap().contains("咳嗽"), "no symptoms");
    assert!(d["route"].is_null(), "a teacher has no health-report page");

    // A banned visitor at the gate: the office at once.
    let r = app
        .post("/api/v1/watchlist", &office, json!({"name": "钱某", "id_number": "320502197507074321", "category": "banned", "note": "多次滋扰学生"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post("/api/v1/visitors", &s.guard.token, json!({"name": "钱先生", "id_number": "320502197507074321", "reason": "找人", "gate": "北门"}))
        .await;
    assert_eq!(r.code(), "visitor_banned", "{}", r.text);
    let n = wait_for(&app, &office, "visitor_flagged_office", None).await;
    assert!(n["body"].as_str().unwrap().contains("北门"), "{n}");
    assert!(
        !n["body"].as_str().unwrap().contains("320502"),
        "no ID number"
    );

    // The principal: an incident; guards and teachers do not get the office's notices.
    let r = app
        .post("/api/v1/incidents", &s.guard.token, json!({"kind": "theft", "severity": "moderate", "place": "车棚", "description": "电动车电瓶被盗", "occurred_at": (Utc::now() - Duration::hours(1)).to_rfc3339()}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    wait_for(&app, &principal, "incident_principal", None).await;
    settle(&db).await;
    let guard_rules: Vec<Value> = mine(&app, &s.guard.token).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["rule"].clone())
        .collect();
    assert!(guard_rules.is_empty(), "{guard_rules:?}");

    // Read one, then all; someone else's is not found.
    let page = mine(&app, &office).await;
    let unread = page["unread_count"].as_u64().unwrap();
    assert!(unread >= 3, "{page}");
    let first = page["items"][0]["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/notifications/{first}/read"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!r.body["read_at"].is_null());
    let read_at = r.body["read_at"].clone();
    let again = app
        .post(
            &format!("/api/v1/notifications/{first}/read"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(again.body["read_at"], read_at, "the first reading counts");
    assert_eq!(
        mine(&app, &office).await["unread_count"].as_u64().unwrap(),
        unread - 1
    );
    let r = app
        .post(
            &format!("/api/v1/notifications/{first}/read"),
            &principal,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "notification_not_found");
    let r = app
        .get("/api/v1/notifications?unread=true&limit=1", &office)
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    assert!(r.body["next_cursor"].is_string() || unread - 1 == 1);
    let r = app
        .post("/api/v1/notifications/read-all", &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["marked"].as_u64().unwrap(), unread - 1);
    assert_eq!(r.body["unread_count"], 0);
    assert_eq!(mine(&app, &office).await["unread_count"], 0);

    // Paging: every notification once, newest first.
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/notifications?limit=2&cursor={c}"),
            None => "/api/v1/notifications?limit=2".to_owned(),
        };
        let r = app.get(&path, &office).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        seen.extend(
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].clone()),
        );
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let all: Vec<Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].clone())
        .collect();
    assert_eq!(seen, all);
}

#[tokio::test]
async fn overdue_hazards_come_in_a_daily_digest_to_owner_and_office() {
    let app = spawn_empty_school().await;
    let db = db_of(&app).await;
    let s = app.school().await;
    let office = app.token("office").await;
    let h = app.new_hazard(&s.guard.token, None).await;
    let hid = h["id"].as_str().unwrap().to_owned();
    let deadline = (school_today() + chrono::Days::new(1))
        .format("%Y-%m-%d")
        .to_string();
    let r = app
        .post(
            &format!("/api/v1/hazards/{hid}/assign"),
            &office,
            json!({"owner_id": s.a.teacher.id, "deadline": deadline}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The day after tomorrow, 07:59 school time: not yet; 08:00: the digest, once.
    let tz = tz!();
    let day = school_today() + chrono::Days::new(2);
    let local = |h: u32, m: u32| {
        use chrono::TimeZone;
        tz.from_local_datetime(&day.and_hms_opt(h, m, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    };
    assert_eq!(
        xiaoan::jobs::escalations::round(&db, tz, local(7, 59))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        xiaoan::jobs::escalations::round(&db, tz, local(8, 0))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        xiaoan::jobs::escalations::round(&db, tz, local(12, 0))
            .await
            .unwrap(),
        0
    );
    let n = wait_for(&app, &s.a.teacher.token, "hazard_digest_owner", None).await;
    assert_eq!(n["title"], "您有 1 项隐患逾期未整改");
    assert_eq!(n["route"], "/teacher/tasks");
    let o = wait_for(&app, &office, "hazard_digest_office", None).await;
    assert_eq!(o["title"], "全校 1 项隐患逾期未整改");
    settle(&db).await;
    assert!(
        about(&app, &s.b.teacher.token, "hazard_digest_owner", None)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_escalation_settings_are_the_office_s_and_checked() {
    let app = spawn_empty_school().await;
    let db = db_of(&app).await;
    let s = app.school().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let r = app.get("/api/v1/escalation-settings", &principal).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["is_default"], true);
    assert_eq!(
        r.body["settings"]["pass_overdue"]["teacher_after_minutes"],
        15
    );
    assert_eq!(
        r.body["settings"]["pass_overdue"]["office_after_minutes"],
        60
    );
    let good = r.body["settings"].clone();

    let r = app
        .get("/api/v1/escalation-settings", &s.a.teacher.token)
        .await;
    assert_eq!(r.code(), "forbidden_role");
    let r = app
        .put("/api/v1/escalation-settings", &principal, good.clone())
        .await;
    assert_eq!(r.code(), "forbidden_role");

    let bad = |f: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        f(&mut b);
        b
    };
    for (body, field) in [
        (
            bad(&|b| b["pass_overdue"]["office_after_minutes"] = json!(10)),
            "pass_overdue.office_after_minutes",
        ),
        (
            bad(&|b| b["pass_overdue"]["teacher_after_minutes"] = json!(5000)),
            "pass_overdue.teacher_after_minutes",
        ),
        (
            bad(&|b| b["hazard_digest"]["at"] = json!("25:00")),
            "hazard_digest.at",
        ),
        (
            bad(&|b| b["health_abnormal"]["clinic_user_id"] = json!(uuid::Uuid::now_v7())),
            "health_abnormal.clinic_user_id",
        ),
    ] {
        let r = app.put("/api/v1/escalation-settings", &office, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.code(), "validation_failed");
        assert!(r.text.contains(field), "{field}: {}", r.text);
    }
    let r = app
        .put(
            "/api/v1/escalation-settings",
            &office,
            bad(&|b| b["pass_overdue"]["surprise"] = json!(1)),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(
        app.get("/api/v1/escalation-settings", &office).await.body["is_default"],
        true,
        "nothing stored by a refused change"
    );

    // The office moves step 1 to +5 min: the round follows the stored setting.
    let five = bad(&|b| b["pass_overdue"]["teacher_after_minutes"] = json!(5));
    let r = app.put("/api/v1/escalation-settings", &office, five).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.get("/api/v1/escalation-settings", &office).await;
    assert_eq!(r.body["is_default"], false);
    assert_eq!(
        r.body["settings"]["pass_overdue"]["teacher_after_minutes"],
        5
    );
    let return_by = Utc::now() + Duration::hours(3);
    let (pass, _) = student_out(&app, return_by).await;
    assert_eq!(
        xiaoan::jobs::escalations::round(&db, tz!(), return_by + Duration::minutes(6))
            .await
            .unwrap(),
        1
    );
    let n = wait_for(
        &app,
        &s.a.teacher.token,
        "escalation_class_teacher",
        Some(&pass),
    )
    .await;
    assert_eq!(n["title"], "学生逾期 5 分钟未返校");
    // Switched off: no step at all.
    let off = bad(&|b| b["pass_overdue"]["enabled"] = json!(false));
    assert_eq!(
        app.put("/api/v1/escalation-settings", &office, off)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        xiaoan::jobs::escalations::round(&db, tz!(), return_by + Duration::minutes(120))
            .await
            .unwrap(),
        0
    );
}
