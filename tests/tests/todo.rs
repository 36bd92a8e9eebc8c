//! `GET /api/v1/me/todo`: for each role, the work is created, counted and listed, done, and
//! gone. Figures come from the records (no stored counter): every step reads them afresh.

use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

async fn todo(app: &TestApp, token: &str) -> Value {
    let r = app.get("/api/v1/me/todo", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let total: u64 = r.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    assert_eq!(r.body["total"], total, "the badge is the sum of the groups");
    r.body
}

fn group<'a>(todo: &'a Value, category: &str) -> &'a Value {
    todo["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["category"] == category)
        .unwrap_or_else(|| panic!("no {category} group in {todo}"))
}

fn count(todo: &Value, category: &str) -> u64 {
    group(todo, category)["count"].as_u64().unwrap()
}

/// The listed item with this id.
fn item<'a>(todo: &'a Value, category: &str, id: &str) -> &'a Value {
    group(todo, category)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed under {category}: {todo}"))
}

fn listed(todo: &Value, category: &str, id: &str) -> bool {
    group(todo, category)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == id)
}

fn day(days: i64) -> String {
    (school_today() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn each_role_gets_its_own_categories_and_nobody_else_may_ask() {
    let app = spawn_app().await;
    let expect: [(&str, &[&str]); 5] = [
        (
            "guard1",
            &[
                "health_report_to_file",
                "expected_visitor_today",
                "hazard_to_rectify",
                "swap_to_answer",
                "plan_item_due",
                "announcement_unread",
                "acknowledgement_to_sign",
            ],
        ),
        (
            "teacher1",
            &[
                "traffic_check_to_submit",
                "hazard_to_rectify",
                "swap_to_answer",
                "plan_item_due",
                "announcement_unread",
                "acknowledgement_to_sign",
            ],
        ),
        ("officer1", &["hazard_to_rectify", "announcement_unread"]),
        (
            "office",
            &[
                "hazard_unassigned",
                "hazard_to_verify",
                "health_report_abnormal",
                "swap_to_approve",
                "hazard_to_rectify",
                "swap_to_answer",
                "plan_item_due",
                "announcement_unread",
                "acknowledgement_to_sign",
            ],
        ),
        (
            "principal",
            &[
                "plan_to_approve",
                "hazard_to_rectify",
                "swap_to_answer",
                "plan_item_due",
                "announcement_unread",
                "acknowledgement_to_sign",
            ],
        ),
    ];
    for (who, cats) in expect {
        let t = app.token(who).await;
        let d = todo(&app, &t).await;
        let got: Vec<&str> = d["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["category"].as_str().unwrap())
            .collect();
        assert_eq!(got, cats, "{who}");
    }
    let r = app
        .request(reqwest::Method::GET, "/api/v1/me/todo", None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    // An integration key is nobody: it has no to-dos.
    let key = app.api_key(&["people:read"]).await;
    let r = app.get("/api/v1/me/todo", &key).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "api_key_not_allowed");
}

#[tokio::test]
async fn a_hazard_waits_for_assignment_its_owner_then_verification() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let teacher = app.token("teacher1").await;
    let guard = app.token("guard1").await;
    let guard_id = app.user_id("guard1").await;
    let before = todo(&app, &office).await;
    let r = app
        .post("/api/v1/hazards", &teacher, json!({"category": "fire", "location": "实验楼三楼东侧", "description": "灭火器压力不足"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();

    let d = todo(&app, &office).await;
    assert_eq!(
        count(&d, "hazard_unassigned"),
        count(&before, "hazard_unassigned") + 1
    );
    if count(&d, "hazard_unassigned") <= 5 {
        let i = item(&d, "hazard_unassigned", &id);
        assert_eq!(i["title"], "实验楼三楼东侧");
        assert_eq!(i["route"], format!("/office/hazards/{id}"));
    }
    let g = todo(&app, &guard).await;
    assert_eq!(count(&g, "hazard_to_rectify"), 0);

    let deadline = day(2);
    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/assign"),
            &office,
            json!({"owner_id": guard_id, "deadline": deadline}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = todo(&app, &office).await;
    assert_eq!(
        count(&d, "hazard_unassigned"),
        count(&before, "hazard_unassigned")
    );
    let g = todo(&app, &guard).await;
    assert_eq!(count(&g, "hazard_to_rectify"), 1);
    let i = item(&g, "hazard_to_rectify", &id);
    assert_eq!(i["route"], format!("/guard/hazards/{id}"));
    assert_eq!(i["due_date"], deadline.as_str());
    assert_eq!(i["overdue"], false);
    // Not the teacher's, who only reported it.
    assert_eq!(count(&todo(&app, &teacher).await, "hazard_to_rectify"), 0);

    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/rectify"),
            &guard,
            json!({"rectification": "已更换灭火器"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(count(&todo(&app, &guard).await, "hazard_to_rectify"), 0);
    let d = todo(&app, &office).await;
    assert_eq!(
        count(&d, "hazard_to_verify"),
        count(&before, "hazard_to_verify") + 1
    );
    assert!(count(&d, "hazard_to_verify") > 5 || listed(&d, "hazard_to_verify", &id));

    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/verify"),
            &office,
            json!({"approved": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = todo(&app, &office).await;
    assert_eq!(
        count(&d, "hazard_to_verify"),
        count(&before, "hazard_to_verify")
    );
    assert!(!listed(&d, "hazard_to_verify", &id));
}

#[tokio::test]
async fn the_office_is_not_asked_to_verify_what_it_may_not() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let office_id = app.user_id("office").await;
    let before = count(&todo(&app, &office).await, "hazard_to_verify");
    // Reported by the office itself: someone else verifies it (409 cannot_verify_own_report).
    let r = app
        .post(
            "/api/v1/hazards",
            &office,
            json!({"category": "electrical", "location": "机房", "description": "插线板过载"}),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/hazards/{id}/assign"),
        &office,
        json!({"owner_id": office_id, "deadline": day(1)}),
    )
    .await;
    let d = todo(&app, &office).await;
    assert!(listed(&d, "hazard_to_rectify", &id));
    let r = app
        .post(
            &format!("/api/v1/hazards/{id}/rectify"),
            &office,
            json!({"rectification": "已拆除"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        count(&todo(&app, &office).await, "hazard_to_verify"),
        before
    );
}

#[tokio::test]
async fn a_plan_waits_for_the_principal_then_its_items_for_their_owner() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let teacher1 = app.token("teacher1").await;
    let teacher2 = app.token("teacher2").await;
    let t1 = app.user_id("teacher1").await;
    let today = school_today();
    let month = today.format("%Y-%m").to_string();
    let before = todo(&app, &principal).await;
    let r = app
        .post("/api/v1/plans", &office, json!({"title": "本学期安全工作计划", "semester": "now", "starts_on": day(0), "ends_on": day(60)}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let soon = app
        .post(&format!("/api/v1/plans/{id}/items"), &office, json!({"month": month, "title": "班级交通安全教育", "category": "education", "owner_id": t1, "due_date": day(3)}))
        .await;
    assert_eq!(soon.status, StatusCode::CREATED, "{}", soon.text);
    let soon = soon.body["id"].as_str().unwrap().to_owned();
    let later = app
        .post(&format!("/api/v1/plans/{id}/items"), &office, json!({"month": month, "title": "期末安全总结", "category": "report", "owner_id": t1, "due_date": day(30)}))
        .await;
    let later = later.body["id"].as_str().unwrap().to_owned();
    // A draft waits for nobody.
    assert_eq!(
        count(&todo(&app, &principal).await, "plan_to_approve"),
        count(&before, "plan_to_approve")
    );
    assert_eq!(count(&todo(&app, &teacher1).await, "plan_item_due"), 0);

    let r = app
        .post(&format!("/api/v1/plans/{id}/submit"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = todo(&app, &principal).await;
    assert_eq!(
        count(&d, "plan_to_approve"),
        count(&before, "plan_to_approve") + 1
    );
    let i = item(&d, "plan_to_approve", &id);
    assert_eq!(i["title"], "本学期安全工作计划");
    assert_eq!(i["route"], format!("/principal/plans/{id}"));
    // Items of a plan not yet approved are nobody's task.
    assert_eq!(count(&todo(&app, &teacher1).await, "plan_item_due"), 0);

    let r = app
        .post(
            &format!("/api/v1/plans/{id}/approve"),
            &principal,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        count(&todo(&app, &principal).await, "plan_to_approve"),
        count(&before, "plan_to_approve")
    );
    let d = todo(&app, &teacher1).await;
    // Due within 7 days: the first item; the one due in 30 days is not yet.
    assert_eq!(count(&d, "plan_item_due"), 1);
    let i = item(&d, "plan_item_due", &soon);
    assert_eq!(i["title"], "班级交通安全教育");
    assert_eq!(i["due_date"], day(3).as_str());
    assert_eq!(i["route"], "/teacher/plan-tasks");
    assert!(!listed(&d, "plan_item_due", &later));
    assert_eq!(count(&todo(&app, &teacher2).await, "plan_item_due"), 0);

    let r = app
        .patch(
            &format!("/api/v1/plan-items/{soon}"),
            &teacher1,
            json!({"status": "done"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(count(&todo(&app, &teacher1).await, "plan_item_due"), 0);
}

#[tokio::test]
async fn a_swap_waits_for_the_counterpart_then_for_the_office() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let g1t = app.token("guard1").await;
    let g2t = app.token("guard2").await;
    let g1 = app.user_id("guard1").await;
    let g2 = app.user_id("guard2").await;
    let date = day(5);
    let r = app
        .post("/api/v1/duty/rosters", &office, json!({"title": "周末值班表", "start_date": date, "end_date": date, "report_to": "校办", "notify": "教师群"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let roster = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(&format!("/api/v1/duty/rosters/{roster}/shifts"), &office, json!({"date": date, "start_time": "08:00", "end_time": "20:00", "post": "guard", "user_id": g1}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let shift = r.body["id"].as_str().unwrap().to_owned();
    let leader = app.user_id("principal").await;
    app.post(&format!("/api/v1/duty/rosters/{roster}/shifts"), &office, json!({"date": date, "start_time": "08:00", "end_time": "08:00", "post": "leader_on_call", "user_id": leader}))
        .await;
    app.post(&format!("/api/v1/duty/rosters/{roster}/shifts"), &office, json!({"date": date, "start_time": "20:00", "end_time": "08:00", "post": "guard", "user_id": g2}))
        .await;
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{roster}/publish"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let office_before = count(&todo(&app, &office).await, "swap_to_approve");

    let r = app
        .post(
            &format!("/api/v1/duty/shifts/{shift}/swaps"),
            &g1t,
            json!({"target_user_id": g2, "reason": "家中有事"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let swap = r.body["id"].as_str().unwrap().to_owned();
    let d = todo(&app, &g2t).await;
    assert_eq!(count(&d, "swap_to_answer"), 1);
    let i = item(&d, "swap_to_answer", &swap);
    assert_eq!(i["title"], app.me("guard1").await["display_name"]);
    assert_eq!(i["due_date"], date.as_str());
    assert_eq!(i["route"], "/guard/swaps");
    // The asker waits for nobody's answer in their own list; the office not yet.
    assert_eq!(count(&todo(&app, &g1t).await, "swap_to_answer"), 0);
    assert_eq!(
        count(&todo(&app, &office).await, "swap_to_approve"),
        office_before
    );

    let r = app
        .post(
            &format!("/api/v1/duty/swaps/{swap}/accept"),
            &g2t,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(count(&todo(&app, &g2t).await, "swap_to_answer"), 0);
    let d = todo(&app, &office).await;
    assert_eq!(count(&d, "swap_to_approve"), office_before + 1);
    assert_eq!(item(&d, "swap_to_approve", &swap)["route"], "/office/swaps");

    let r = app
        .post(
            &format!("/api/v1/duty/swaps/{swap}/approve"),
            &office,
            json!({"comment": "同意"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        count(&todo(&app, &office).await, "swap_to_approve"),
        office_before
    );
}

#[tokio::test]
async fn guards_file_todays_health_report_and_the_office_acknowledges_abnormal_ones() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let g1 = app.token("guard1").await;
    let g2 = app.token("guard2").await;
    let d = todo(&app, &g1).await;
    assert_eq!(count(&d, "health_report_to_file"), 1);
    let i = &group(&d, "health_report_to_file")["items"][0];
    assert!(i["id"].is_null());
    assert_eq!(i["due_date"], day(0).as_str());
    assert_eq!(i["route"], "/guard/health");
    let before = count(&todo(&app, &office).await, "health_report_abnormal");

    let r = app
        .post(
            "/api/v1/health-reports",
            &g1,
            json!({"temperature": 36.5, "fit_for_duty": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(count(&todo(&app, &g1).await, "health_report_to_file"), 0);
    // guard2 has not filed yet.
    assert_eq!(count(&todo(&app, &g2).await, "health_report_to_file"), 1);
    assert_eq!(
        count(&todo(&app, &office).await, "health_report_abnormal"),
        before
    );

    let r = app
        .post(
            "/api/v1/health-reports",
            &g2,
            json!({"temperature": 37.9, "fit_for_duty": true, "symptoms": "咳嗽"}),
        )
        .await;
    assert_eq!(r.body["abnormal"], true);
    let sick = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(count(&todo(&app, &g2).await, "health_report_to_file"), 0);
    let d = todo(&app, &office).await;
    assert_eq!(count(&d, "health_report_abnormal"), before + 1);
    let i = item(&d, "health_report_abnormal", &sick);
    assert_eq!(i["title"], app.me("guard2").await["display_name"]);
    assert_eq!(i["route"], "/office/health-reports");
    assert!(!d.to_string().contains("咳嗽"), "no symptoms in a to-do");

    let r = app
        .post(
            &format!("/api/v1/health-reports/{sick}/acknowledge"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        count(&todo(&app, &office).await, "health_report_abnormal"),
        before
    );
}

#[tokio::test]
async fn a_class_teacher_sees_this_weeks_traffic_check_of_own_class_until_submitted() {
    let app = spawn_app().await;
    let t1 = app.token("teacher1").await;
    let t2 = app.token("teacher2").await;
    let class1 = app.own_class_id("teacher1").await;
    let tpl = app.template("traffic_weekly").await;
    let d = todo(&app, &t1).await;
    assert_eq!(count(&d, "traffic_check_to_submit"), 1);
    let i = &group(&d, "traffic_check_to_submit")["items"][0];
    let class_name = app
        .get(&format!("/api/v1/classes/{class1}"), &t1)
        .await
        .body["name"]
        .clone();
    assert_eq!(i["title"], class_name);
    assert_eq!(i["route"], "/teacher/check");
    assert!(i["due_at"].is_string());
    // Due on this week's Sunday (ISO weeks run Monday to Sunday).
    let due =
        chrono::NaiveDate::parse_from_str(i["due_date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!(due.weekday(), chrono::Weekday::Sun);
    assert!(due >= school_today() && (due - school_today()).num_days() < 7);

    let r = app
        .post(
            "/api/v1/inspections",
            &t1,
            json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(count(&todo(&app, &t1).await, "traffic_check_to_submit"), 0);
    // teacher2's class submitted this week's in the demo school: nothing waits.
    assert_eq!(count(&todo(&app, &t2).await, "traffic_check_to_submit"), 0);
}

#[tokio::test]
async fn guards_see_todays_expected_visitors_until_checked_in() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let guard = app.token("guard1").await;
    let before = count(&todo(&app, &guard).await, "expected_visitor_today");
    let r = app
        .post("/api/v1/expected-visitors", &office, json!({"name": "周丽华", "phone": "13912345678", "organisation": "市消防支队", "reason": "消防检查", "host": "保卫处", "expected_date": day(0)}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    // Tomorrow's visitor is not today's work.
    app.post(
        "/api/v1/expected-visitors",
        &office,
        json!({"name": "王强", "reason": "送货", "host": "总务处", "expected_date": day(1)}),
    )
    .await;
    let d = todo(&app, &guard).await;
    assert_eq!(count(&d, "expected_visitor_today"), before + 1);
    let i = item(&d, "expected_visitor_today", &id);
    assert_eq!(i["title"], "周丽华（市消防支队）");
    assert_eq!(i["route"], "/guard/visitors");
    assert!(
        !d.to_string().contains("13912345678"),
        "no phone numbers in a to-do"
    );

    let r = app
        .post(
            &format!("/api/v1/expected-visitors/{id}/check-in"),
            &guard,
            json!({"gate": "南门"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let d = todo(&app, &guard).await;
    assert_eq!(count(&d, "expected_visitor_today"), before);
    assert!(!listed(&d, "expected_visitor_today", &id));
}

#[tokio::test]
async fn announcements_wait_for_their_readers_until_read() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let t1 = app.token("teacher1").await;
    let t2 = app.token("teacher2").await;
    let guard = app.token("guard1").await;
    let before = count(&todo(&app, &t1).await, "announcement_unread");
    let before2 = count(&todo(&app, &t2).await, "announcement_unread");
    let before_guard = count(&todo(&app, &guard).await, "announcement_unread");
    let r = app
        .post("/api/v1/announcements", &office, json!({"title": "期末家长车辆疏导安排", "body": "放学时段家长车辆沿东侧停放。", "target_roles": ["class_teacher"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let d = todo(&app, &t1).await;
    assert_eq!(count(&d, "announcement_unread"), before + 1);
    // Newest first: the new one is listed.
    let i = item(&d, "announcement_unread", &id);
    assert_eq!(i["title"], "期末家长车辆疏导安排");
    assert_eq!(i["route"], "/teacher/announcements");
    // Not to guards; not the office's own.
    assert_eq!(
        count(&todo(&app, &guard).await, "announcement_unread"),
        before_guard
    );
    let d = todo(&app, &office).await;
    assert!(!listed(&d, "announcement_unread", &id));

    let r = app
        .post(&format!("/api/v1/announcements/{id}/read"), &t1, json!({}))
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let d = todo(&app, &t1).await;
    assert_eq!(count(&d, "announcement_unread"), before);
    assert!(!listed(&d, "announcement_unread", &id));
    assert_eq!(
        count(&todo(&app, &t2).await, "announcement_unread"),
        before2 + 1
    );
}
