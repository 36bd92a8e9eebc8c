//! Semesters are data: the office defines them (no overlaps), "now" is the one containing
//! today, plans belong to one, and the ledger and the assessment default to the current one.

use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

fn day(offset: i64) -> String {
    (school_today() + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_demo_has_the_seed_semester_and_the_current_one() {
    let app = spawn_app().await;
    // Everyone signed in reads them.
    let g = app.token("guard1").await;
    let r = app.get("/api/v1/semesters", &g).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = r.body.as_array().unwrap();
    let seed = list
        .iter()
        .find(|s| s["code"] == "2019-2020-2")
        .expect("the seed's semester");
    assert_eq!(seed["name"], "2019-2020学年第二学期");
    assert_eq!(seed["starts_on"], "2020-02-17");
    assert_eq!(seed["ends_on"], "2020-08-31");
    assert_eq!(seed["is_current"], false);
    let current: Vec<&Value> = list.iter().filter(|s| s["is_current"] == true).collect();
    assert_eq!(current.len(), 1, "{list:?}");
    let today = day(0);
    let cur = current[0];
    assert!(cur["starts_on"].as_str().unwrap() <= today.as_str());
    assert!(cur["ends_on"].as_str().unwrap() >= today.as_str());
    assert!(cur["name"].as_str().unwrap().contains("学年第"), "{cur}");

    let t = app.token("officer1").await;
    let r = app.get("/api/v1/semesters/current", &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], cur["id"]);
    assert_eq!(r.body["is_current"], true);

    // The seed plan is linked to its semester, and the current semester has a plan too.
    let office = app.token("office").await;
    let r = app.get("/api/v1/plans?limit=200", &office).await;
    let plans = r.body["items"].as_array().unwrap();
    let seed_plan = plans
        .iter()
        .find(|p| p["semester"] == "2019-2020-2")
        .unwrap();
    assert_eq!(seed_plan["semester_id"], seed["id"]);
    let cur_plan = plans
        .iter()
        .find(|p| p["semester_id"] == cur["id"])
        .expect("a plan for the current semester");
    assert_eq!(cur_plan["semester"], cur["code"]);
    assert_eq!(cur_plan["status"], "approved");
}

#[tokio::test]
async fn the_office_defines_semesters_without_overlaps() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let first = json!({"code": "2030-2031-1", "name": "2030-2031学年第一学期",
                       "starts_on": "2030-09-01", "ends_on": "2031-01-31"});
    let r = app.post("/api/v1/semesters", &office, first.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["is_current"], false);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(app.audit("action=semester.create").await.len(), 1);

    // Only the office.
    for who in ["guard1", "principal", "teacher1"] {
        let t = app.token(who).await;
        let r = app.post("/api/v1/semesters", &t, first.clone()).await;
        assert_eq!(r.code(), "forbidden_role", "{who}");
    }
    // Overlaps are refused, by a day or entirely.
    for (from, to) in [
        ("2031-01-31", "2031-07-15"),
        ("2030-08-01", "2030-09-01"),
        ("2030-10-01", "2030-10-02"),
        ("2030-06-01", "2031-05-31"),
    ] {
        let r = app
            .post(
                "/api/v1/semesters",
                &office,
                json!({"code": "x-1", "name": "重叠", "starts_on": from, "ends_on": to}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{from}–{to}: {}", r.text);
        assert_eq!(r.code(), "semester_overlap");
    }
    // The last day is not before the first; codes are unique and plain.
    let r = app
        .post(
            "/api/v1/semesters",
            &office,
            json!({"code": "2032-1", "name": "倒置", "starts_on": "2032-03-01", "ends_on": "2032-02-01"}),
        )
        .await;
    assert_eq!(r.code(), "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "ends_on");
    let r = app
        .post(
            "/api/v1/semesters",
            &office,
            json!({"code": "第一学期", "name": "x", "starts_on": "2032-03-01", "ends_on": "2032-04-01"}),
        )
        .await;
    assert_eq!(r.code(), "validation_failed");
    let r = app
        .post(
            "/api/v1/semesters",
            &office,
            json!({"code": "2030-2031-1", "name": "同代码", "starts_on": "2032-03-01", "ends_on": "2032-04-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "already_exists");
    // A semester the day after is fine.
    let r = app
        .post(
            "/api/v1/semesters",
            &office,
            json!({"code": "2030-2031-2", "name": "2030-2031学年第二学期", "starts_on": "2031-02-01", "ends_on": "2031-07-15"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let second = r.body["id"].as_str().unwrap().to_owned();

    // Update: a new name is fine, growing into the neighbour is not.
    let r = app
        .patch(
            &format!("/api/v1/semesters/{id}"),
            &office,
            json!({"name": "2030-2031学年 第一学期"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["name"], "2030-2031学年 第一学期");
    let r = app
        .patch(
            &format!("/api/v1/semesters/{id}"),
            &office,
            json!({"ends_on": "2031-02-10"}),
        )
        .await;
    assert_eq!(r.code(), "semester_overlap");

    // A plan written for the code belongs to the semester; then it cannot be deleted.
    let r = app
        .post(
            "/api/v1/plans",
            &office,
            json!({"title": "2030 计划", "semester": "2030-2031-1", "starts_on": "2030-09-01", "ends_on": "2031-01-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["semester_id"], id.as_str());
    let r = app
        .delete(&format!("/api/v1/semesters/{id}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "semester_in_use");
    // A plan written before its semester was defined is linked when it is.
    let r = app
        .post(
            "/api/v1/plans",
            &office,
            json!({"title": "2040 计划", "semester": "2040-2041-1", "starts_on": "2040-09-01", "ends_on": "2041-01-31"}),
        )
        .await;
    assert!(r.body["semester_id"].is_null());
    let plan_id = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            "/api/v1/semesters",
            &office,
            json!({"code": "2040-2041-1", "name": "2040-2041学年第一学期", "starts_on": "2040-09-01", "ends_on": "2041-01-31"}),
        )
        .await;
    let s2040 = r.body["id"].as_str().unwrap().to_owned();
    let r = app.get(&format!("/api/v1/plans/{plan_id}"), &office).await;
    assert_eq!(r.body["semester_id"], s2040.as_str());

    // Nothing belongs to the second: it goes.
    let r = app
        .delete(&format!("/api/v1/semesters/{second}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = app.get("/api/v1/semesters", &office).await;
    let all = codes(&r.body);
    assert!(!all.contains(&"2030-2031-2".to_owned()));
    assert!(all.contains(&"2030-2031-1".to_owned()));
    let r = app
        .delete(&format!("/api/v1/semesters/{second}"), &office)
        .await;
    assert_eq!(r.code(), "semester_not_found");
    assert_eq!(app.audit("action=semester.delete").await.len(), 1);
}

#[tokio::test]
async fn ledger_and_assessment_default_to_the_current_semester() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let cur = app.get("/api/v1/semesters/current", &office).await.body;

    let r = app.get("/api/v1/ledger", &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["semester"], cur["code"]);
    assert_eq!(r.body["semester_name"], cur["name"]);
    assert_eq!(r.body["from"], cur["starts_on"]);
    assert_eq!(r.body["to"], cur["ends_on"]);
    // Today's records are in it: the new user's ledger is not empty.
    let rows = |key: &str| {
        r.body["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .map(|s| s["rows"].as_u64().unwrap())
            .unwrap_or(0)
    };
    for key in ["plan", "gate", "visitors", "inspections"] {
        assert!(
            rows(key) > 0,
            "{key} is empty in the current ledger: {}",
            r.text
        );
    }
    // The others stay on offer.
    let r = app
        .get("/api/v1/ledger?semester=2019-2020-2", &office)
        .await;
    assert_eq!(r.body["from"], "2020-02-17");
    assert_eq!(r.body["semester_name"], "2019-2020学年第二学期");
    let (status, _, bytes) = app.get_bytes("/api/v1/ledger/xlsx", Some(&office)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!bytes.is_empty());

    let r = app.get("/api/v1/assessment", &principal).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["semester"], cur["code"]);
    assert_eq!(r.body["from"], cur["starts_on"]);
    let r = app
        .get("/api/v1/assessment?semester=2019-2020-2", &principal)
        .await;
    assert_eq!(r.body["to"], "2020-08-31");
    // Half a range is still an error.
    let r = app
        .get(&format!("/api/v1/ledger?from={}", day(0)), &office)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // With no semester containing today, say so.
    let id = cur["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/semesters/{id}"),
            &office,
            json!({"starts_on": day(1), "ends_on": day(30)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["is_current"], false);
    for (path, who) in [
        ("/api/v1/semesters/current", &office),
        ("/api/v1/ledger", &office),
        ("/api/v1/assessment", &principal),
    ] {
        let r = app.get(path, who).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        assert_eq!(r.code(), "no_current_semester", "{path}");
    }
}
