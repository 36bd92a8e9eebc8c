use reqwest::StatusCode;
use serde_json::json;
use xiaoan_api_tests::*;

/// The ids of a list answer.
async fn ids_at(app: &TestApp, path: &str, token: &str) -> Vec<String> {
    let r = app.get(path, token).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn incidents_drive_days_since_last_incident() {
    let app = spawn_empty_school().await;
    let principal = app.token("principal").await;
    let office = app.token("office").await;
    let guard = app.new_guard().await.token;
    let class = app.new_class(0).await;
    let officer = app.new_safety_officer(&class).await.token;
    // A school with no incident yet.
    let d = app.get("/api/v1/dashboard", &principal).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text);
    assert_eq!(
        d.body["incidents"]["days_since_last_incident"],
        serde_json::Value::Null
    );
    assert_eq!(d.body["incidents"]["open_incidents"], 0);
    for (who, t) in [
        ("teacher", &class.teacher.token),
        ("guard", &guard),
        ("officer", &officer),
    ] {
        assert_eq!(
            app.get("/api/v1/dashboard", t).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let three_days_ago = chrono::Utc::now() - chrono::Duration::days(3);
    let r = app
        .post("/api/v1/incidents", &guard, json!({"kind": "theft", "occurred_at": three_days_ago, "place": "自行车棚", "severity": "minor", "description": "一辆电动车充电器被盗", "reported_to_police": true}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let older = chrono::Utc::now() - chrono::Duration::days(20);
    app.post("/api/v1/incidents", &office, json!({"kind": "injury", "occurred_at": older, "place": "操场", "severity": "minor", "description": "体育课扭伤"})).await;
    let d = app.get("/api/v1/dashboard", &principal).await.body;
    assert_eq!(d["incidents"]["days_since_last_incident"], 3);
    assert_eq!(d["incidents"]["open_incidents"], 2);
    // Closing is the office's.
    let r = app
        .patch(
            &format!("/api/v1/incidents/{id}"),
            &guard,
            json!({"closed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .patch(
            &format!("/api/v1/incidents/{id}"),
            &office,
            json!({"closed": true, "actions_taken": "调取监控,已报派出所"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!r.body["closed_at"].is_null());
    let d = app.get("/api/v1/dashboard", &office).await.body;
    assert_eq!(d["incidents"]["open_incidents"], 1);
    assert_eq!(d["incidents"]["days_since_last_incident"], 3);
    assert_eq!(app.post("/api/v1/incidents", &officer, json!({"kind": "other", "occurred_at": older, "place": "x", "severity": "minor", "description": "x"})).await.status, StatusCode::FORBIDDEN);
    let r = app.post("/api/v1/incidents", &guard, json!({"kind": "alien", "occurred_at": older, "place": "", "severity": "minor", "description": "x"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.audit("action=incident.create").await.len(), 2);
    assert_eq!(app.audit("action=incident.update").await.len(), 1);
    // The office's list (a guard sees own reports only, and the open one is the office's).
    assert_eq!(
        app.get("/api/v1/incidents?open=true", &office)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn an_incident_names_the_class_involved_and_the_office_can_relink_it() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let guard = app.new_guard().await.token;
    let class1 = app.new_class(0).await.id;
    let class2 = app.new_class(0).await.id;
    let at = chrono::Utc::now() - chrono::Duration::hours(2);
    let body = |class: serde_json::Value| {
        json!({"kind": "injury", "occurred_at": at, "place": "楼梯", "severity": "minor",
               "description": "课间追逐摔倒", "class_id": class})
    };

    let r = app
        .post("/api/v1/incidents", &guard, body(json!(class1)))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["class_id"], class1.as_str());
    assert!(r.body["class_name"].as_str().is_some_and(|n| !n.is_empty()));
    let r = app
        .post("/api/v1/incidents", &guard, body(json!(null)))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body["class_id"].is_null() && r.body["class_name"].is_null());

    // A class that does not exist is refused, and nothing is recorded.
    let r = app
        .post(
            "/api/v1/incidents",
            &guard,
            body(json!(uuid::Uuid::now_v7())),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.body["code"], "class_not_found");
    assert_eq!(app.audit("action=incident.create").await.len(), 2);

    let in_class = |list: &serde_json::Value| {
        list.as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let r = app
        .get(&format!("/api/v1/incidents?class_id={class1}"), &guard)
        .await;
    assert_eq!(in_class(&r.body), vec![id.clone()]);

    // The office moves it to class 2; an absent class_id leaves it alone; null unlinks it.
    let path = format!("/api/v1/incidents/{id}");
    let r = app.patch(&path, &office, json!({"class_id": class2})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["class_id"], class2.as_str());
    let r = app
        .patch(&path, &office, json!({"actions_taken": "已送医务室"}))
        .await;
    assert_eq!(r.body["class_id"], class2.as_str());
    let r = app
        .get(&format!("/api/v1/incidents?class_id={class1}"), &guard)
        .await;
    assert!(in_class(&r.body).is_empty());
    let r = app
        .patch(&path, &office, json!({"class_id": uuid::Uuid::now_v7()}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(
        app.get(&path, &guard).await.body["class_id"],
        class2.as_str()
    );
    let r = app.patch(&path, &office, json!({"class_id": null})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["class_id"].is_null() && r.body["class_name"].is_null());
    // The audit trail keeps each link.
    let updates = app.audit("action=incident.update").await;
    assert_eq!(updates.len(), 3);
}

#[tokio::test]
async fn abnormal_health_reports_are_flagged_to_the_office() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let g1 = app.new_guard().await.token;
    let guard2 = app.new_guard().await;
    let g2 = guard2.token.clone();
    let r = app
        .post(
            "/api/v1/health-reports",
            &g1,
            json!({"temperature": 36.5, "fit_for_duty": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["abnormal"], false);
    assert_eq!(
        r.body["date"],
        school_today().format("%Y-%m-%d").to_string()
    );
    let r = app
        .post(
            "/api/v1/health-reports",
            &g1,
            json!({"temperature": 36.6, "fit_for_duty": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "health_report_exists");
    let r = app
        .post(
            "/api/v1/health-reports",
            &g2,
            json!({"temperature": 37.8, "fit_for_duty": true, "symptoms": "咳嗽"}),
        )
        .await;
    assert_eq!(r.body["abnormal"], true);
    let sick = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            "/api/v1/health-reports",
            &g1,
            json!({"temperature": 36.5, "fit_for_duty": false, "date": "2020-05-01"}),
        )
        .await;
    assert_eq!(r.body["abnormal"], true, "not fit for duty is abnormal too");
    let old = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post(
            "/api/v1/health-reports",
            &g1,
            json!({"temperature": 50.0, "fit_for_duty": true, "date": "2020-05-02"})
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.post(
            "/api/v1/health-reports",
            &office,
            json!({"temperature": 36.5, "fit_for_duty": true})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let d = app.get("/api/v1/dashboard", &office).await.body;
    assert_eq!(d["health"]["abnormal_unacknowledged"], 2);
    assert_eq!(d["health"]["reports_today"], 2);
    let flagged = app
        .get("/api/v1/health-reports?unacknowledged=true", &office)
        .await
        .body;
    assert_eq!(flagged.as_array().unwrap().len(), 2);
    assert_eq!(flagged[0]["guard_name"], guard2.display_name.as_str());
    // A guard sees only their own.
    let mine = app.get("/api/v1/health-reports", &g2).await.body;
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|h| h["guard_name"] == guard2.display_name.as_str())
    );
    let t = app.new_teacher().await.token;
    assert_eq!(
        app.get("/api/v1/health-reports", &t).await.status,
        StatusCode::FORBIDDEN
    );
    for id in [&sick, &old] {
        let r = app
            .post(
                &format!("/api/v1/health-reports/{id}/acknowledge"),
                &office,
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    assert_eq!(
        app.get("/api/v1/dashboard", &office).await.body["health"]["abnormal_unacknowledged"],
        0
    );
    assert_eq!(app.audit("action=health_report.acknowledge").await.len(), 2);
}

#[tokio::test]
async fn announcements_reach_chosen_roles_with_read_receipts() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let teacher1 = app.new_teacher().await;
    let t1 = teacher1.token.clone();
    // A second class teacher, who has not read it.
    app.new_teacher().await;
    let guard = app.new_guard().await.token;
    let r = app
        .post(
            "/api/v1/announcements",
            &t1,
            json!({"title": "x", "body": "x", "target_roles": ["class_teacher"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post("/api/v1/announcements", &office, json!({"title": "期末家长车辆疏导安排", "body": "7月10日放学时段,家长车辆沿东侧停放。", "target_roles": ["class_teacher"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let list = app.get("/api/v1/announcements?unread=true", &t1).await.body;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id.as_str())
    );
    let glist = app.get("/api/v1/announcements", &guard).await.body;
    assert!(
        !glist
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id.as_str())
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/announcements/{id}/read"),
            &guard,
            json!({})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .post(&format!("/api/v1/announcements/{id}/read"), &t1, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let first = r.body["read_at"].clone();
    let again = app
        .post(&format!("/api/v1/announcements/{id}/read"), &t1, json!({}))
        .await;
    assert_eq!(
        again.body["read_at"], first,
        "reading twice keeps the first time"
    );
    let list = app.get("/api/v1/announcements?unread=true", &t1).await.body;
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id.as_str())
    );
    let rec = app
        .get(&format!("/api/v1/announcements/{id}/receipts"), &office)
        .await;
    assert_eq!(rec.status, StatusCode::OK);
    assert_eq!(rec.body["total"], 2);
    assert_eq!(rec.body["read"], 1);
    let me = rec.body["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["display_name"] == teacher1.display_name.as_str())
        .unwrap()
        .clone();
    assert!(!me["read_at"].is_null());
    assert_eq!(
        app.get(&format!("/api/v1/announcements/{id}/receipts"), &t1)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.audit("action=announcement.read").await.len(), 1);
}

#[tokio::test]
async fn activities_and_meetings_become_plan_evidence_and_overdue_items_show() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let yesterday = (school_today() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let today = school_today().format("%Y-%m-%d").to_string();
    let month = school_today().format("%Y-%m").to_string();
    let p = app.post("/api/v1/plans", &office, json!({"title": "本学期计划", "semester": "now", "starts_on": yesterday, "ends_on": today})).await;
    let pid = p.body["id"].as_str().unwrap().to_owned();
    let it = app.post(&format!("/api/v1/plans/{pid}/items"), &office, json!({"month": month, "title": "消防演练", "category": "drill", "due_date": yesterday})).await;
    let iid = it.body["id"].as_str().unwrap().to_owned();
    // Draft plans do not count as overdue.
    assert_eq!(
        app.get("/api/v1/dashboard", &principal).await.body["plan"]["overdue_items"],
        0
    );
    app.post(&format!("/api/v1/plans/{pid}/submit"), &office, json!({}))
        .await;
    app.post(
        &format!("/api/v1/plans/{pid}/approve"),
        &principal,
        json!({}),
    )
    .await;
    let d = app.get("/api/v1/dashboard", &principal).await.body;
    assert_eq!(d["plan"]["overdue_items"], 1, "{d}");
    assert_eq!(d["plan"]["overdue"][0]["title"], "消防演练");
    let cls = vec![app.new_class(0).await.id, app.new_class(0).await.id];
    let r = app
        .post("/api/v1/activities", &office, json!({"kind": "drill", "topic": "消防演练", "date": today, "organiser": "保卫处", "class_ids": cls, "participant_count": 80, "summary": "全校疏散用时 3 分 20 秒", "plan_item_id": iid}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let aid = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["class_ids"].as_array().unwrap().len(), 2);
    let plan = app.get(&format!("/api/v1/plans/{pid}"), &office).await.body;
    let ev = &plan["items"][0]["evidence"];
    assert_eq!(ev[0]["entity_type"], "activity");
    assert_eq!(ev[0]["entity_id"], aid.as_str());
    app.patch(
        &format!("/api/v1/plan-items/{iid}"),
        &office,
        json!({"status": "done"}),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/dashboard", &principal).await.body["plan"]["overdue_items"],
        0
    );
    let t = app.new_teacher().await.token;
    assert_eq!(
        app.post(
            "/api/v1/activities",
            &t,
            json!({"kind": "drill", "topic": "x", "date": today, "organiser": "x"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = app.post("/api/v1/meetings", &office, json!({"kind": "guard_meeting", "title": "保安例会", "date": today, "attendees": ["张卫东", "赵保国"], "minutes": "夜间巡查", "decisions": "加密巡查"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let mid = r.body["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/meetings/{mid}"), &t).await.body["attendees"][1],
        "赵保国"
    );
    // The filters: by date range, and by kind.
    let day = format!("/api/v1/activities?from={today}&to={today}");
    assert_eq!(ids_at(&app, &day, &t).await, vec![aid.clone()]);
    assert!(
        ids_at(&app, "/api/v1/activities?to=2020-12-31", &t)
            .await
            .is_empty()
    );
    assert_eq!(
        ids_at(&app, "/api/v1/meetings?kind=guard_meeting", &t).await,
        vec![mid.to_owned()]
    );
    assert!(
        ids_at(&app, "/api/v1/meetings?kind=leadership_group", &t)
            .await
            .is_empty()
    );
    assert_eq!(app.audit("action=activity.create").await.len(), 1);
    // Who is on duty now is on the dashboard too (nobody: there is no roster).
    assert_eq!(
        app.get("/api/v1/dashboard", &principal).await.body["on_duty_now"],
        json!([])
    );
}

#[tokio::test]
async fn dashboard_counts_students_out_overdue_and_visitors_from_the_records() {
    let app = spawn_empty_school().await;
    let principal = app.token("principal").await;
    let class = app.new_class(1).await;
    let teacher = class.teacher.token.clone();
    let guard = app.new_guard().await.token;
    let figures = |d: &serde_json::Value| {
        (
            d["gate"]["students_out"].as_u64().unwrap(),
            d["gate"]["students_overdue"].as_u64().unwrap(),
            d["visitors"]["on_campus"].as_u64().unwrap(),
        )
    };
    let d = app.get("/api/v1/dashboard", &principal).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text);
    assert!(d.body.get("missing_sections").is_none());
    let (out0, overdue0, visitors0) = figures(&d.body);

    // A return-by a few seconds ahead (whole seconds, as passes keep them), as the gate tests
    // do, so the pass becomes overdue without faking the clock.
    let student = &class.students[0];
    let soon = |secs: i64| (chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339();
    let r = app
        .post(
            "/api/v1/leave-passes",
            &teacher,
            json!({"student_id": student.id, "kind": "exit_and_return", "reason": "看病(口腔医院复诊)",
                   "valid_until": soon(3600), "return_by": soon(5)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let return_by = chrono::DateTime::parse_from_rfc3339(r.body["return_by"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let r = app
        .post(
            "/api/v1/gate/scans",
            &guard,
            json!({"token": r.body["token"], "direction": "exit", "gate": "南门",
                   "client_event_id": uuid::Uuid::new_v4().to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["result"], "allow", "{}", r.text);
    let d = app.get("/api/v1/dashboard", &principal).await.body;
    assert_eq!(figures(&d), (out0 + 1, overdue0, visitors0));

    let r = app
        .post(
            "/api/v1/visitors",
            &guard,
            json!({"name": "孙建国", "organisation": "苏州市吴中区消防救援大队",
                   "reason": "消防设施检查", "host": "张卫东(保卫处)", "gate": "南门"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let visitor = r.body["visitor"]["id"].as_str().unwrap().to_owned();
    let d = app.get("/api/v1/dashboard", &principal).await.body;
    assert_eq!(figures(&d), (out0 + 1, overdue0, visitors0 + 1));
    let listed = app
        .get("/api/v1/visitors?on_campus=true", &guard)
        .await
        .body;
    assert_eq!(
        listed["items"].as_array().unwrap().len() as u64,
        visitors0 + 1
    );

    // Past the return time: still out, and now overdue too.
    let wait = (return_by - chrono::Utc::now()).num_milliseconds() + 300;
    tokio::time::sleep(std::time::Duration::from_millis(wait.max(0) as u64)).await;
    let d = app.get("/api/v1/dashboard", &principal).await.body;
    assert_eq!(figures(&d), (out0 + 1, overdue0 + 1, visitors0 + 1));
    let overdue = app.get("/api/v1/gate/overdue", &principal).await.body;
    assert_eq!(overdue.as_array().unwrap().len() as u64, overdue0 + 1);

    let r = app
        .post(
            &format!("/api/v1/visitors/{visitor}/check-out"),
            &guard,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = app.get("/api/v1/dashboard", &principal).await.body;
    assert_eq!(d["visitors"]["on_campus"], visitors0);
}

#[tokio::test]
async fn dashboard_counts_hazards_and_this_weeks_traffic_checks_from_the_records() {
    let app = spawn_empty_school().await;
    let principal = app.token("principal").await;
    let office = app.token("office").await;
    let guard = app.new_guard().await.token;
    // Two classes: the weekly traffic check is due from each.
    app.new_class(0).await;
    app.new_class(0).await;
    let before = app.get("/api/v1/dashboard", &principal).await.body;
    let open0 = before["hazards"]["open"].as_u64().unwrap();
    let overdue0 = before["hazards"]["overdue"].as_u64().unwrap();
    let r = app
        .post(
            "/api/v1/hazards",
            &guard,
            json!({"category": "fire", "location": "食堂后门", "description": "消防通道堆放杂物"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let hid = r.body["id"].as_str().unwrap().to_owned();
    let d = app.get("/api/v1/dashboard", &principal).await.body;
    assert_eq!(d["hazards"]["open"], open0 + 1);
    let owner = app.user_id("office").await;
    let today = school_today().format("%Y-%m-%d").to_string();
    let r = app
        .post(
            &format!("/api/v1/hazards/{hid}/assign"),
            &office,
            json!({"owner_id": owner, "deadline": today}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get("/api/v1/dashboard", &principal).await.body["hazards"]["overdue"],
        overdue0
    );
    // Age the deadline: now it is overdue.
    // (By location: ids are stored differently on SQLite and PostgreSQL.)
    app.sql("UPDATE hazards SET deadline = '2020-01-01' WHERE location = '食堂后门'")
        .await;
    let d = app.get("/api/v1/dashboard", &principal).await.body;
    assert_eq!(d["hazards"]["overdue"], overdue0 + 1);
    // This week's traffic checks agree with the inspections feature's own compliance view.
    let c = app.get("/api/v1/inspections/compliance", &principal).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    let t = &d["traffic_checks"];
    assert_eq!(t["period"], c.body["period"]);
    assert_eq!(t["classes"], 2);
    assert_eq!(t["submitted"], c.body["submitted"]);
    assert_eq!(t["late"], c.body["late"]);
    assert_eq!(t["missing"], c.body["missing"]);
}

/// The office acknowledges an abnormal report with a note (what the school doctor was told):
/// the list shows the note and who acknowledged; a second acknowledgement keeps the first; an
/// over-long note is a 422, not a 500.
#[tokio::test]
async fn health_report_acknowledged_with_a_note() {
    let app = spawn_empty_school().await;
    let g2 = app.new_guard().await.token;
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/health-reports",
            &g2,
            json!({"temperature": 38.1, "fit_for_duty": false, "symptoms": "发热"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/health-reports/{id}/acknowledge");

    let r = app
        .post(&path, &office, json!({"note": "x".repeat(501)}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "validation_failed");

    let r = app
        .post(
            &path,
            &office,
            json!({"note": "  已告知校医，安排回家休息  "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["acknowledge_note"], "已告知校医，安排回家休息");
    assert_eq!(
        r.body["acknowledged_by_name"],
        app.me("office").await["display_name"]
    );
    let r = app.post(&path, &office, json!({"note": "第二次"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["acknowledge_note"], "已告知校医，安排回家休息");

    let list = app
        .get("/api/v1/health-reports?abnormal=true", &office)
        .await
        .body;
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["acknowledge_note"], "已告知校医，安排回家休息");
    assert!(row["acknowledged_at"].is_string());
    let audit = app.audit("action=health_report.acknowledge").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["changes"]["note"], "已告知校医，安排回家休息");
}
