use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

async fn demo_plan(app: &TestApp) -> Value {
    let t = app.token("principal").await;
    let list = app.get("/api/v1/plans?semester=2019-2020-2", &t).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let id = list.body["items"][0]["id"]
        .as_str()
        .expect("demo plan")
        .to_owned();
    let p = app.get(&format!("/api/v1/plans/{id}"), &t).await;
    assert_eq!(p.status, StatusCode::OK);
    p.body
}

fn item<'a>(plan: &'a Value, title: &str) -> &'a Value {
    plan["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["title"] == title)
        .unwrap_or_else(|| panic!("item {title}"))
}

#[tokio::test]
async fn demo_plan_is_the_seed_plan() {
    let app = spawn_app().await;
    let p = demo_plan(&app).await;
    assert_eq!(p["title"], "2019~2020学年第二学期保卫处工作计划");
    assert_eq!(p["status"], "approved");
    assert!(
        p["guiding_ideology"]
            .as_str()
            .unwrap_or_default()
            .contains("安全第一、教育教学协调发展")
    );
    assert!(
        p["goals_and_priorities"]
            .as_str()
            .unwrap_or_default()
            .contains("“零犯罪”、“零事故”")
    );
    assert!(
        p["measures"]
            .as_str()
            .unwrap_or_default()
            .contains("加强门卫安全管理")
    );
    let items = p["items"].as_array().expect("items");
    assert_eq!(items.len(), 36);
    for (m, n) in [
        ("2020-04", 10),
        ("2020-05", 8),
        ("2020-06", 9),
        ("2020-07", 9),
    ] {
        assert_eq!(items.iter().filter(|i| i["month"] == m).count(), n, "{m}");
    }
    let qm = item(&p, "清明节假日值班安排及上报, 山林防火宣传(清明)");
    assert_eq!(qm["report_to"], "校办");
    assert_eq!(qm["notify"], "教师群");
    assert_eq!(
        qm["note"],
        "清明节值班表:4月4日—4月6日 报送:校办 通报:教师群"
    );
    assert!(
        qm["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["entity_type"] == "duty_roster")
    );
    let sh = item(&p, "扫黑除恶专项斗争总结");
    assert_eq!(sh["due_date"], "2020-06-24");
    assert_eq!(sh["report_to"], "教育局保卫科");
    assert!(sh["note"].as_str().unwrap().contains("6月25日前"));
    let temp: Vec<&Value> = items
        .iter()
        .filter(|i| i["title"].as_str().unwrap().contains("保安体温检测"))
        .collect();
    assert_eq!(temp.len(), 4);
    assert!(temp.iter().all(|i| i["report_to"] == "校医"));
    for t in [
        "劳动节假日值班安排及上报",
        "端午节假日值班安排及上报",
        "暑假值班表",
    ] {
        let it = item(&p, t);
        assert_eq!(it["report_to"], "校办", "{t}");
        assert_eq!(it["notify"], "教师群", "{t}");
    }
    // The guards can read the plan; a student safety officer cannot.
    let g = app.token("guard1").await;
    assert_eq!(app.get("/api/v1/plans", &g).await.status, StatusCode::OK);
    let o = app.token("officer1").await;
    assert_eq!(
        app.get("/api/v1/plans", &o).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn new_plan(app: &TestApp) -> String {
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/plans",
            &office,
            json!({"title": "2020~2021学年第一学期保卫处工作计划", "semester": "2020-2021-1",
                   "starts_on": "2020-09-01", "ends_on": "2021-01-31",
                   "guiding_ideology": "安全第一", "goals_and_priorities": "零事故", "measures": "加强门卫"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "draft");
    r.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn only_the_principal_approves_and_an_approved_plan_is_read_only() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let teacher = app.token("teacher1").await;
    // Only the office writes plans.
    let r = app.post("/api/v1/plans", &teacher, json!({"title": "x", "semester": "s", "starts_on": "2020-09-01", "ends_on": "2021-01-31"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let id = new_plan(&app).await;
    // A draft is not for the teachers to see yet.
    assert_eq!(
        app.get(&format!("/api/v1/plans/{id}"), &teacher)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Teachers see the approved plans only: the seed's and the current semester's.
    let seen = app.get("/api/v1/plans", &teacher).await.body["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen.iter()
            .all(|p| p["status"] == "approved" && p["id"] != id.as_str())
    );
    assert_eq!(
        app.get(&format!("/api/v1/plans/{id}"), &principal)
            .await
            .status,
        StatusCode::OK
    );
    let it = app
        .post(&format!("/api/v1/plans/{id}/items"), &office, json!({"month": "2020-09", "title": "开学安全检查", "category": "inspection", "due_date": "2020-09-05"}))
        .await;
    assert_eq!(it.status, StatusCode::CREATED, "{}", it.text);
    let item_id = it.body["id"].as_str().unwrap().to_owned();
    // Cannot approve a draft.
    let r = app
        .post(
            &format!("/api/v1/plans/{id}/approve"),
            &principal,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "plan_not_submitted");
    let r = app
        .post(&format!("/api/v1/plans/{id}/submit"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "submitted");
    // Submitted: under review, locked.
    let r = app
        .patch(
            &format!("/api/v1/plans/{id}"),
            &office,
            json!({"title": "改"}),
        )
        .await;
    assert_eq!(r.code(), "plan_locked");
    // The office cannot approve its own plan; nor can a teacher.
    for who in ["office", "teacher1", "guard1"] {
        let t = app.token(who).await;
        let r = app
            .post(&format!("/api/v1/plans/{id}/approve"), &t, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
    let r = app
        .post(
            &format!("/api/v1/plans/{id}/approve"),
            &principal,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "approved");
    assert_eq!(
        r.body["decided_by"],
        app.user_id("principal").await.as_str()
    );
    // Approved: read-only.
    let r = app
        .patch(
            &format!("/api/v1/plans/{id}"),
            &office,
            json!({"title": "改"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "plan_locked");
    let r = app
        .post(
            &format!("/api/v1/plans/{id}/items"),
            &office,
            json!({"month": "2020-10", "title": "x", "category": "other"}),
        )
        .await;
    assert_eq!(r.code(), "plan_locked");
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{item_id}"),
            &office,
            json!({"title": "改"}),
        )
        .await;
    assert_eq!(r.code(), "plan_locked");
    let r = app
        .delete(&format!("/api/v1/plan-items/{item_id}"), &office)
        .await;
    assert_eq!(r.code(), "plan_locked");
    let r = app
        .post(&format!("/api/v1/plans/{id}/submit"), &office, json!({}))
        .await;
    assert_eq!(r.code(), "plan_locked");
    let r = app
        .post(
            &format!("/api/v1/plans/{id}/return"),
            &principal,
            json!({"comment": "再议"}),
        )
        .await;
    assert_eq!(r.code(), "plan_not_submitted");
    // Carrying it out is not changing it: progress still moves.
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{item_id}"),
            &office,
            json!({"status": "done"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "done");
    assert_eq!(
        app.get(&format!("/api/v1/plans/{id}"), &teacher)
            .await
            .status,
        StatusCode::OK
    );
    let got = app.get(&format!("/api/v1/plans/{id}"), &principal).await;
    assert_eq!(got.body["title"], "2020~2021学年第一学期保卫处工作计划");
    assert_eq!(app.audit("action=plan.approve").await.len(), 1);
    assert_eq!(app.audit("action=plan.submit").await.len(), 1);
}

#[tokio::test]
async fn a_returned_plan_carries_the_comment_and_can_be_resubmitted() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let id = new_plan(&app).await;
    app.post(&format!("/api/v1/plans/{id}/submit"), &office, json!({}))
        .await;
    let r = app
        .post(
            &format!("/api/v1/plans/{id}/return"),
            &principal,
            json!({"comment": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &format!("/api/v1/plans/{id}/return"),
            &office,
            json!({"comment": "请补充消防演练"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            &format!("/api/v1/plans/{id}/return"),
            &principal,
            json!({"comment": "请补充消防演练"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "returned");
    assert_eq!(r.body["return_comment"], "请补充消防演练");
    let r = app.post(&format!("/api/v1/plans/{id}/items"), &office, json!({"month": "2020-10", "title": "消防演练", "category": "drill", "due_date": "2020-10-20"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(&format!("/api/v1/plans/{id}/submit"), &office, json!({}))
        .await;
    assert_eq!(r.body["status"], "submitted");
    let r = app
        .post(
            &format!("/api/v1/plans/{id}/approve"),
            &principal,
            json!({}),
        )
        .await;
    assert_eq!(r.body["status"], "approved");
    assert_eq!(r.body["return_comment"], Value::Null);
    let ret = app.audit("action=plan.return").await;
    assert_eq!(ret.len(), 1);
    assert_eq!(
        ret[0]["changes"]["after"]["return_comment"],
        "请补充消防演练"
    );
}

#[tokio::test]
async fn a_plan_copies_into_a_new_semester() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let src = demo_plan(&app).await;
    let id = src["id"].as_str().unwrap();
    let r = app
        .post(&format!("/api/v1/plans/{id}/copy"), &office, json!({"semester": "2020-2021-2", "starts_on": "2021-02-22", "ends_on": "2021-08-31", "title": "2020~2021学年第二学期保卫处工作计划"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let copy = r.body;
    assert_eq!(copy["status"], "draft");
    assert_eq!(copy["semester"], "2020-2021-2");
    assert_eq!(copy["measures"], src["measures"]);
    let items = copy["items"].as_array().unwrap();
    assert_eq!(items.len(), 36);
    assert!(
        items
            .iter()
            .all(|i| i["status"] == "todo" && i["evidence"].as_array().unwrap().is_empty())
    );
    assert_eq!(items[0]["month"], "2021-04");
    let sh = item(&copy, "扫黑除恶专项斗争总结");
    assert_eq!(sh["due_date"], "2021-06-24");
    assert_eq!(sh["report_to"], "教育局保卫科");
    // The original is untouched.
    let again = demo_plan(&app).await;
    assert_eq!(again["items"][0]["status"], "done");
    let principal = app.token("principal").await;
    assert_eq!(
        app.post(
            &format!("/api/v1/plans/{id}/copy"),
            &principal,
            json!({"semester": "x", "starts_on": "2021-02-22", "ends_on": "2021-08-31"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn my_tasks_progress_and_evidence() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let teacher1 = app.token("teacher1").await;
    let teacher2 = app.token("teacher2").await;
    let t1 = app.user_id("teacher1").await;
    let today = school_today();
    let soon = (today + chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    let later = (today + chrono::Duration::days(40))
        .format("%Y-%m-%d")
        .to_string();
    let month = today.format("%Y-%m").to_string();
    let r = app
        .post("/api/v1/plans", &office, json!({"title": "本学期计划", "semester": "now", "starts_on": today.format("%Y-%m-%d").to_string(), "ends_on": later}))
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let soon_item = app
        .post(&format!("/api/v1/plans/{id}/items"), &office, json!({"month": month, "title": "班级交通安全教育", "category": "education", "owner_id": t1, "due_date": soon}))
        .await;
    assert_eq!(soon_item.status, StatusCode::CREATED, "{}", soon_item.text);
    let soon_id = soon_item.body["id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/plans/{id}/items"), &office, json!({"month": month, "title": "期末安全总结", "category": "report", "owner_id": t1, "due_date": later})).await;
    // Tasks come from approved plans only.
    assert_eq!(
        app.get("/api/v1/plan-items/mine", &teacher1)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        0
    );
    app.post(&format!("/api/v1/plans/{id}/submit"), &office, json!({}))
        .await;
    app.post(
        &format!("/api/v1/plans/{id}/approve"),
        &principal,
        json!({}),
    )
    .await;
    let mine = app.get("/api/v1/plan-items/mine", &teacher1).await;
    assert_eq!(mine.status, StatusCode::OK);
    let mine = mine.body.as_array().unwrap().clone();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["title"], "班级交通安全教育");
    assert_eq!(
        app.get("/api/v1/plan-items/mine?days=60", &teacher1)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.get("/api/v1/plan-items/mine", &teacher2)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Only the owner (or the office) moves it; content is the office's.
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{soon_id}"),
            &teacher2,
            json!({"status": "doing"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "not_item_owner");
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{soon_id}"),
            &teacher1,
            json!({"due_date": later}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Evidence: a record that proves it.
    let m = app.post("/api/v1/meetings", &office, json!({"kind": "other", "title": "班主任交通安全会", "date": today.format("%Y-%m-%d").to_string()})).await;
    assert_eq!(m.status, StatusCode::CREATED, "{}", m.text);
    let mid = m.body["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/plan-items/{soon_id}/evidence"),
            &teacher1,
            json!({"entity_type": "meeting", "entity_id": mid}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["evidence"][0]["entity_type"], "meeting");
    let r = app
        .post(
            &format!("/api/v1/plan-items/{soon_id}/evidence"),
            &teacher1,
            json!({"entity_type": "meeting", "entity_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &format!("/api/v1/plan-items/{soon_id}/evidence"),
            &teacher1,
            json!({"entity_type": "nonsense", "entity_id": mid}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{soon_id}"),
            &teacher1,
            json!({"status": "done"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/plan-items/mine", &teacher1)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(app.audit("action=plan_item.evidence_add").await.len(), 1);
    // Unknown ids are 404 before anything else.
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{}", uuid::Uuid::now_v7()),
            &teacher2,
            json!({"status": "done"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
