//! Hazards: reporting, the assign → rectify → verify workflow and its forbidden moves,
//! history, overdue lists, counts, and who sees what.

use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

fn days_from_today(days: i64) -> String {
    (school_today() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

async fn report(app: &TestApp, user: &str, body: Value) -> Value {
    let t = app.token(user).await;
    let r = app.post("/api/v1/hazards", &t, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

/// A `422 validation_failed` naming this field.
fn assert_invalid(r: &Resp, field: &str) {
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{}",
        r.text
    );
    assert!(
        r.body["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x["field"] == field)),
        "{field} not named: {}",
        r.text
    );
}

/// The hazard as the office reads it back.
async fn read_back(app: &TestApp, id: &str) -> Value {
    let office = app.token("office").await;
    let r = app.get(&format!("/api/v1/hazards/{id}"), &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn user_id(app: &TestApp, user: &str) -> String {
    app.me(user).await["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn workflow_with_its_forbidden_moves_and_history() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let class = app.new_class(0).await;
    let owner = app.new_teacher().await;
    let t2 = owner.token.clone();
    let officer = app.new_safety_officer(&class).await;

    // A student safety officer reports, with a photo.
    let photo = app.upload_photo(&officer.username).await;
    let h = report(
        &app,
        &officer.username,
        json!({
            "category": "facility", "location": "教学楼A 三楼东侧楼梯",
            "description": "楼梯扶手松动", "attachment_ids": [photo]
        }),
    )
    .await;
    assert_eq!(h["status"], "reported");
    assert_eq!(h["photo_ids"][0], photo.as_str());
    let id = h["id"].as_str().unwrap().to_owned();
    let path = |step: &str| format!("/api/v1/hazards/{id}/{step}");

    // Skipping steps: rectify before assignment, verify before rectification.
    let r = app
        .post(&path("rectify"), &office, json!({"rectification": "已修"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "hazard_not_assigned");
    let r = app
        .post(&path("verify"), &principal, json!({"approved": true}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "hazard_not_rectified");

    // Assignment is the office's; a deadline in the past or a student owner is refused.
    let teacher2 = owner.id.clone();
    let r = app
        .post(
            &path("assign"),
            &t2,
            json!({"owner_id": teacher2, "deadline": days_from_today(3)}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "forbidden_role")
    );
    let r = app
        .post(
            &path("assign"),
            &office,
            json!({"owner_id": teacher2, "deadline": "2020-01-01"}),
        )
        .await;
    assert_invalid(&r, "deadline");
    let r = app
        .post(
            &path("assign"),
            &office,
            json!({"owner_id": officer.id, "deadline": days_from_today(3)}),
        )
        .await;
    assert_invalid(&r, "owner_id");
    // None of the refused assignments stuck.
    let back = read_back(&app, &id).await;
    assert_eq!(back["status"], "reported");
    assert!(back["owner_id"].is_null(), "{back}");
    let r = app
        .post(
            &path("assign"),
            &office,
            json!({"owner_id": teacher2, "deadline": days_from_today(3), "note": "请本周内修复"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "assigned");
    assert_eq!(r.body["owner_id"], teacher2.as_str());
    let back = read_back(&app, &id).await;
    assert_eq!(back["status"], "assigned");
    assert_eq!(back["owner_id"], teacher2.as_str());

    // Only the owner rectifies.
    let t1 = class.teacher.token.clone();
    let r = app
        .post(&path("rectify"), &t1, json!({"rectification": "已修"}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "hazard_forbidden"),
        "{}",
        r.text
    );
    let r = app
        .post(&path("rectify"), &office, json!({"rectification": "已修"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "not_hazard_owner");
    let back = read_back(&app, &id).await;
    assert_eq!(back["status"], "assigned");
    assert!(back["rectified_by"].is_null(), "{back}");
    let fix_photo = app.upload_photo(&owner.username).await;
    let r = app
        .post(
            &path("rectify"),
            &t2,
            json!({"rectification": "已联系后勤加固扶手", "attachment_ids": [fix_photo]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "rectified");
    assert_eq!(r.body["rectification_photo_ids"][0], fix_photo.as_str());
    let back = read_back(&app, &id).await;
    assert_eq!(back["status"], "rectified");
    assert_eq!(back["rectified_by"], teacher2.as_str());
    assert_eq!(back["rectification"], "已联系后勤加固扶手");
    // Rectifying twice is a wrong step.
    let r = app
        .post(&path("rectify"), &t2, json!({"rectification": "again"}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "hazard_invalid_transition"),
        "{}",
        r.text
    );
    assert_eq!(
        read_back(&app, &id).await["rectification"],
        "已联系后勤加固扶手"
    );

    // Sending back needs a reason; then it is assigned again.
    let r = app
        .post(&path("verify"), &office, json!({"approved": false}))
        .await;
    assert_invalid(&r, "note");
    assert_eq!(read_back(&app, &id).await["status"], "rectified");
    let r = app
        .post(
            &path("verify"),
            &office,
            json!({"approved": false, "note": "仍有松动"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "assigned");
    let r = app
        .post(
            &path("rectify"),
            &t2,
            json!({"rectification": "更换扶手螺栓"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "rectified");
    let r = app
        .post(
            &path("verify"),
            &principal,
            json!({"approved": true, "note": "已验收"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "closed");
    assert_eq!(read_back(&app, &id).await["status"], "closed");
    let actions: Vec<&str> = r.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "report",
            "assign",
            "rectify",
            "send_back",
            "rectify",
            "close"
        ]
    );
    // Closed is final.
    let r = app
        .post(
            &path("assign"),
            &office,
            json!({"owner_id": teacher2, "deadline": days_from_today(3)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "hazard_closed");

    for action in [
        "hazard.report",
        "hazard.assign",
        "hazard.rectify",
        "hazard.send_back",
        "hazard.close",
    ] {
        let rows = app.audit(&format!("action={action}&entity_id={id}")).await;
        assert!(!rows.is_empty(), "no audit row for {action}");
    }
}

#[tokio::test]
async fn reporter_and_rectifier_cannot_verify() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let office_id = user_id(&app, "office").await;
    let owner = app.new_teacher().await;
    let teacher2 = owner.id.clone();
    let guard = app.new_guard().await;

    // The office rectifies its own assignment: it cannot verify that.
    let h = report(
        &app,
        &guard.username,
        json!({"category": "fire", "location": "食堂后门", "description": "灭火器过期"}),
    )
    .await;
    let id = h["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/assign"),
            &office,
            json!({"owner_id": office_id, "deadline": days_from_today(1)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/rectify"),
            &office,
            json!({"rectification": "已更换灭火器"}),
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
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "cannot_verify_own_rectification");
    // Refused means unchanged: still waiting for someone else to verify.
    let back = read_back(&app, id).await;
    assert_eq!(back["status"], "rectified");
    assert!(back["closed_at"].is_null(), "{back}");
    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/verify"),
            &principal,
            json!({"approved": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(read_back(&app, id).await["status"], "closed");

    // The office reported it: it cannot verify it either.
    let h = report(
        &app,
        "office",
        json!({"category": "electrical", "location": "机房", "description": "插线板过载"}),
    )
    .await;
    let id = h["id"].as_str().unwrap();
    let t2 = owner.token.clone();
    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/assign"),
            &office,
            json!({"owner_id": teacher2, "deadline": days_from_today(1)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/rectify"),
            &t2,
            json!({"rectification": "已拆除多余插线板"}),
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
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "cannot_verify_own_report");
    // Nothing changed.
    let r = app.get(&format!("/api/v1/hazards/{id}"), &office).await;
    assert_eq!(r.body["status"], "rectified");
}

#[tokio::test]
async fn overdue_hazards_are_listed_for_the_office_and_the_owner() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let owner = app.new_teacher().await;
    let teacher2 = owner.id.clone();
    let guard = app.new_guard().await;
    let before = app.get("/api/v1/hazards/stats", &office).await.body;
    let count = |v: &Value, group: &str, key: &str| v[group][key].as_u64().unwrap_or(0);
    let h = report(
        &app,
        &guard.username,
        json!({"category": "security", "location": "西侧围墙", "description": "围墙破损"}),
    )
    .await;
    let id = h["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/assign"),
            &office,
            json!({"owner_id": teacher2, "deadline": days_from_today(0)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["is_overdue"], false);
    let r = app.get("/api/v1/hazards/overdue", &office).await;
    assert_eq!(r.body.as_array().unwrap().len(), 0);

    // Time passes: the deadline is now behind us.
    app.sql("UPDATE hazards SET deadline = '2026-01-05' WHERE status = 'assigned'")
        .await;
    let other = report(
        &app,
        &guard.username,
        json!({"category": "traffic", "location": "校门口", "description": "接送车辆占道"}),
    )
    .await;

    let r = app.get("/api/v1/hazards/overdue", &office).await;
    assert_eq!(r.status, StatusCode::OK);
    let ids: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id]);
    assert_eq!(r.body[0]["is_overdue"], true);
    let t2 = owner.token.clone();
    let r = app.get("/api/v1/hazards/overdue", &t2).await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    let t1 = app.new_teacher().await.token;
    let r = app.get("/api/v1/hazards/overdue", &t1).await;
    assert_eq!(r.body.as_array().unwrap().len(), 0);
    let r = app.get("/api/v1/hazards?overdue=true", &office).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);

    let s = app.get("/api/v1/hazards/stats", &office).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    let total = s.body["total"].as_u64().unwrap();
    assert_eq!(total, before["total"].as_u64().unwrap() + 2);
    assert_eq!(s.body["overdue"], 1);
    for cat in ["security", "traffic"] {
        assert_eq!(
            count(&s.body, "by_category", cat),
            count(&before, "by_category", cat) + 1,
            "{cat}"
        );
    }
    assert_eq!(s.body["by_location"]["西侧围墙"], 1);
    let month: u64 = s.body["by_month"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(month, total);
    let _ = other;
    let r = app.get("/api/v1/hazards/stats", &t1).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn hazards_are_seen_by_those_concerned() {
    let app = spawn_empty_school().await;
    let c1 = app.new_class(0).await;
    let c2 = app.new_class(0).await;
    let officer1 = app.new_safety_officer(&c1).await;
    let class1 = c1.id.clone();
    let h = report(&app, &officer1.username, json!({"category": "traffic", "location": "车棚", "description": "电动车乱停", "class_id": class1})).await;
    let id = h["id"].as_str().unwrap();
    let t1 = c1.teacher.token.clone();
    let t2 = c2.teacher.token.clone();
    // One of class 2's own, reported by its teacher.
    let own2_hazard = report(&app, &c2.teacher.username, json!({"category": "facility", "location": "实训楼", "description": "插座松动", "class_id": c2.id})).await;
    assert_eq!(
        app.get(&format!("/api/v1/hazards/{id}"), &t1).await.status,
        StatusCode::OK
    );
    let r = app.get(&format!("/api/v1/hazards/{id}"), &t2).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "hazard_forbidden");
    let listed = |v: Value| v["items"].as_array().unwrap().iter().any(|x| x["id"] == id);
    assert!(!listed(app.get("/api/v1/hazards", &t2).await.body));
    assert!(listed(app.get("/api/v1/hazards", &t1).await.body));
    assert!(listed(
        app.get("/api/v1/hazards", &officer1.token).await.body
    ));
    // Teacher 2 sees own class's hazards only.
    let own2 = c2.id.clone();
    let items = app.get("/api/v1/hazards", &t2).await.body["items"]
        .as_array()
        .unwrap()
        .clone();
    assert!(items.iter().any(|x| x["id"] == own2_hazard["id"]));
    assert!(items.iter().all(|x| x["class_id"] == own2.as_str()));
    let r = app
        .get(&format!("/api/v1/hazards/{}", uuid::Uuid::now_v7()), &t1)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "hazard_not_found")
    );
    // Bad input.
    let r = app
        .post(
            "/api/v1/hazards",
            &t1,
            json!({"category": "aliens", "location": "", "description": "x"}),
        )
        .await;
    assert_invalid(&r, "category");
    assert_invalid(&r, "location");
}

/// The dashboard's 未销号隐患 card opens `GET /hazards?open=true`: the list and the figure are
/// the same rule (not closed), so a closed hazard is in neither.
#[tokio::test]
async fn open_hazards_list_matches_the_dashboard_figure() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let guard = app.new_guard().await;
    for d in ["开放隐患甲", "开放隐患乙", "已销号隐患丙"] {
        report(
            &app,
            &guard.username,
            json!({"category": "facility", "location": "操场", "description": d}),
        )
        .await;
    }
    app.sql("UPDATE hazards SET status = 'closed' WHERE description = '已销号隐患丙'")
        .await;

    let figure = app.get("/api/v1/dashboard", &office).await.body["hazards"]["open"]
        .as_u64()
        .unwrap();
    let r = app
        .get("/api/v1/hazards?open=true&limit=200", &office)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len() as u64, figure);
    assert_eq!(figure, 2, "only this test's two open hazards");
    assert!(items.iter().all(|h| h["status"] != "closed"), "{}", r.text);
    assert!(items.iter().any(|h| h["description"] == "开放隐患甲"));
    assert!(!items.iter().any(|h| h["description"] == "已销号隐患丙"));
}
