//! The API behind the office's desk: what changed in a plan since its last submission (from
//! revisions the server stores), a roster's 报送 / 通报 marks, and the colleague lookup staff use
//! to pick a swap partner.

use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

async fn item(app: &TestApp, token: &str, plan: &str, body: Value) -> String {
    let r = app
        .post(&format!("/api/v1/plans/{plan}/items"), token, body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().expect("item id").to_owned()
}

fn titles(v: &Value) -> Vec<&str> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|i| i["title"].as_str().expect("title"))
        .collect()
}

#[tokio::test]
async fn the_principal_sees_what_changed_since_the_last_submission() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let t1 = app.user_id("teacher1").await;
    let t2 = app.user_id("teacher2").await;
    let r = app
        .post(
            "/api/v1/plans",
            &office,
            json!({"title": "2030~2031学年第一学期保卫处工作计划", "semester": "2030-2031-1",
                   "starts_on": "2030-09-01", "ends_on": "2031-01-31", "measures": "加强门卫"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let plan = r.body["id"].as_str().expect("plan id").to_owned();
    let changes = format!("/api/v1/plans/{plan}/changes");
    let a = item(
        &app,
        &office,
        &plan,
        json!({"month": "2030-10", "title": "保安例会", "category": "meeting",
        "owner_id": t1, "due_date": "2030-10-15"}),
    )
    .await;
    let b = item(
        &app,
        &office,
        &plan,
        json!({"month": "2030-11", "title": "消防演练", "category": "drill"}),
    )
    .await;

    // Never submitted: nothing to compare with.
    let c = app.get(&changes, &office).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    assert!(c.body["since"].is_null() && c.body["revision"].is_null());
    assert_eq!(c.body["items_added"], json!([]));

    // The first submission: the principal sees it is the first (nothing earlier).
    let r = app
        .post(&format!("/api/v1/plans/{plan}/submit"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c = app.get(&changes, &principal).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    assert!(c.body["since"].is_null());
    assert_eq!(c.body["revision"]["number"], 1);
    assert_eq!(c.body["items_changed"], json!([]));

    // Returned; the office changes one item, removes one, adds one in a new month and
    // rewrites a section.
    let r = app
        .post(
            &format!("/api/v1/plans/{plan}/return"),
            &principal,
            json!({"comment": "请补充寒假值班"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{a}"),
            &office,
            json!({"title": "保安例会(扩大)",
            "owner_id": t2, "due_date": "2030-10-20", "report_to": "校办", "notify": "教师群"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .delete(&format!("/api/v1/plan-items/{b}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    item(
        &app,
        &office,
        &plan,
        json!({"month": "2030-12", "title": "寒假值班安排", "category": "duty"}),
    )
    .await;
    let r = app
        .patch(
            &format!("/api/v1/plans/{plan}"),
            &office,
            json!({"measures": "加强门卫, 落实值班"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // While the office edits, it sees its changes against the submission.
    let c = app.get(&changes, &office).await;
    assert_eq!(c.body["since"]["number"], 1);
    assert!(c.body["revision"].is_null());
    assert_eq!(titles(&c.body["items_added"]), vec!["寒假值班安排"]);

    let r = app
        .post(&format!("/api/v1/plans/{plan}/submit"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let c = app.get(&changes, &principal).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    let body = &c.body;
    assert_eq!(body["since"]["number"], 1);
    assert_eq!(body["revision"]["number"], 2);
    assert_eq!(
        body["revision"]["submitted_by_name"]
            .as_str()
            .map(|s| !s.is_empty()),
        Some(true)
    );
    assert_eq!(body["months_added"], json!(["2030-12"]));
    assert_eq!(body["months_removed"], json!(["2030-11"]));
    assert_eq!(titles(&body["items_added"]), vec!["寒假值班安排"]);
    assert_eq!(titles(&body["items_removed"]), vec!["消防演练"]);
    let changed = body["items_changed"].as_array().expect("changed");
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["id"], a.as_str());
    let fields: Vec<&str> = changed[0]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["field"].as_str().expect("field"))
        .collect();
    assert_eq!(
        fields,
        vec!["title", "owner", "due_date", "report_to", "notify"]
    );
    let owner = &changed[0]["fields"][1];
    assert_eq!(owner["before"], app.me("teacher1").await["display_name"]);
    assert_eq!(owner["after"], app.me("teacher2").await["display_name"]);
    let due = &changed[0]["fields"][2];
    assert_eq!(
        (due["before"].as_str(), due["after"].as_str()),
        (Some("2030-10-15"), Some("2030-10-20"))
    );
    assert_eq!(body["sections_changed"], json!(["measures"]));

    // Approved: the summary stays the last submission's, and an item's progress is no change.
    let r = app
        .post(
            &format!("/api/v1/plans/{plan}/approve"),
            &principal,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{a}"),
            &office,
            json!({"status": "done"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let after = app.get(&changes, &office).await;
    assert_eq!(after.body, c.body);
    // One revision per submission (the demo school's plans were never submitted through the API).
    assert_eq!(
        app.sql_count("SELECT COUNT(*) AS n FROM plan_revisions")
            .await,
        2
    );

    // Drafts and their history are the office's and the principal's.
    for who in ["teacher1", "guard1", "officer1"] {
        let tok = app.token(who).await;
        assert_eq!(
            app.get(&changes, &tok).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let r = app
        .get(
            "/api/v1/plans/00000000-0000-7000-8000-000000000000/changes",
            &office,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "plan_not_found");
}

#[tokio::test]
async fn the_office_marks_a_roster_reported_and_announced_with_who_and_when() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/duty/rosters",
            &office,
            json!({"title": "国庆节值班表", "start_date": "2030-10-01", "end_date": "2030-10-03",
                   "report_to": "校办", "notify": "教师群"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().expect("roster id").to_owned();
    assert!(r.body["notified_at"].is_null() && r.body["reported_by"].is_null());
    let me = app.me("office").await;

    let r = app
        .patch(
            &format!("/api/v1/duty/rosters/{id}"),
            &office,
            json!({"reported": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!r.body["reported_at"].is_null());
    assert_eq!(r.body["reported_by"], me["id"]);
    assert_eq!(r.body["reported_by_name"], me["display_name"]);
    assert!(r.body["notified_at"].is_null());

    let r = app
        .patch(
            &format!("/api/v1/duty/rosters/{id}"),
            &office,
            json!({"notified": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!r.body["notified_at"].is_null());
    assert_eq!(r.body["notified_by"], me["id"]);
    assert_eq!(r.body["notified_by_name"], me["display_name"]);
    assert!(!r.body["reported_at"].is_null(), "the 报送 mark stays");

    // Both marks show in the list and in the audit trail; a mark is cleared by `false`.
    let list = app.get("/api/v1/duty/rosters", &office).await;
    let row = list
        .body
        .as_array()
        .expect("rosters")
        .iter()
        .find(|x| x["id"] == id.as_str())
        .cloned()
        .expect("listed");
    assert!(!row["notified_at"].is_null() && !row["reported_at"].is_null());
    let audit = app
        .audit(&format!("entity_type=duty_roster&entity_id={id}"))
        .await;
    assert!(
        audit
            .iter()
            .any(|e| !e["changes"]["after"]["notified_at"].is_null())
    );
    let r = app
        .patch(
            &format!("/api/v1/duty/rosters/{id}"),
            &office,
            json!({"notified": false}),
        )
        .await;
    assert!(r.body["notified_at"].is_null() && r.body["notified_by"].is_null());
    assert!(!r.body["reported_at"].is_null());

    // Only the office marks.
    let principal = app.token("principal").await;
    let r = app
        .patch(
            &format!("/api/v1/duty/rosters/{id}"),
            &principal,
            json!({"notified": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn staff_look_up_colleagues_by_name_and_learn_no_more_than_id_name_and_role() {
    let app = spawn_app().await;
    let teacher = app.token("teacher2").await;
    let t1 = app.me("teacher1").await;
    let r = app.get("/api/v1/colleagues?limit=200", &teacher).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.body["items"].as_array().expect("items");
    let found = items
        .iter()
        .find(|c| c["id"] == t1["id"])
        .expect("teacher1 listed");
    assert_eq!(found["display_name"], t1["display_name"]);
    assert_eq!(found["role"], "class_teacher");
    for c in items {
        let keys: Vec<&String> = c.as_object().expect("object").keys().collect();
        assert_eq!(keys.len(), 3, "only id, display_name, role: {c}");
        assert_ne!(c["role"], "safety_officer", "students are not colleagues");
    }
    assert!(items.iter().any(|c| c["role"] == "guard"));

    // By name and by role; a disabled account is not offered.
    let name = t1["display_name"].as_str().expect("name");
    let q: String = name.chars().take(2).collect();
    let r = app
        .get(&format!("/api/v1/colleagues?q={}", urlencode(&q)), &teacher)
        .await;
    assert!(
        r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|c| c["id"] == t1["id"])
    );
    let r = app.get("/api/v1/colleagues?role=guard", &teacher).await;
    assert!(
        r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|c| c["role"] == "guard")
    );
    let office = app.token("office").await;
    let id = t1["id"].as_str().expect("id");
    let r = app
        .patch(
            &format!("/api/v1/users/{id}"),
            &office,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.get("/api/v1/colleagues?limit=200", &teacher).await;
    assert!(
        !r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|c| c["id"] == t1["id"])
    );

    // Paged by cursor.
    let r = app.get("/api/v1/colleagues?limit=1", &teacher).await;
    let cursor = r.body["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let r2 = app
        .get(
            &format!("/api/v1/colleagues?limit=1&cursor={cursor}"),
            &teacher,
        )
        .await;
    assert_eq!(r2.status, StatusCode::OK);
    assert_ne!(r2.body["items"][0]["id"], r.body["items"][0]["id"]);

    // Students are not staff.
    let officer = app.token("officer1").await;
    assert_eq!(
        app.get("/api/v1/colleagues", &officer).await.status,
        StatusCode::FORBIDDEN
    );
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}
