//! Input hygiene (issue 15 #12, #17): error details name the field and the problem but never
//! echo a value; `q` searches match `%` and `_` literally; passes stay inside what the token
//! can carry and never let a student leave after the return time; closed sets are checked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

const SECRET_ID: &str = "110105194912310021";

#[tokio::test]
async fn body_and_query_errors_never_echo_the_value_sent() {
    let app = spawn_app().await;
    let g = app.token("guard1").await;
    // An ID number sent as a JSON number.
    let r = app
        .post(
            "/api/v1/visitors",
            &g,
            json!({"name": "访客", "reason": "送文件", "id_number": 110105194912310021u64}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.code(), "invalid_body");
    assert!(!r.text.contains(SECRET_ID), "{}", r.text);
    assert!(
        r.text.contains("invalid type"),
        "the problem is still named: {}",
        r.text
    );

    // An unknown enum variant, in a body and in a query.
    let office = app.token("office").await;
    let variant = format!("zhang_{SECRET_ID}");
    let r = app
        .post(
            "/api/v1/users",
            &office,
            json!({"username": "newguard", "display_name": "新保安", "role": variant, "password": "a-long-password-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(!r.text.contains(SECRET_ID), "{}", r.text);
    assert!(r.text.contains("unknown variant"), "{}", r.text);
    // The allowed values come from the schema, not the client: they may be listed.
    assert!(r.text.contains("`guard`"), "{}", r.text);
    let r = app
        .get(&format!("/api/v1/users?role={variant}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.code(), "invalid_query");
    assert!(!r.text.contains(SECRET_ID), "{}", r.text);
    // A string where a number belongs, and a malformed UUID.
    let r = app
        .get(&format!("/api/v1/hazards?limit={SECRET_ID}x"), &office)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(!r.text.contains(SECRET_ID), "{}", r.text);
    let r = app
        .get(
            &format!("/api/v1/incidents?class_id={SECRET_ID}zz"),
            &office,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(!r.text.contains(SECRET_ID), "{}", r.text);
}

#[tokio::test]
async fn searches_match_percent_and_underscore_literally() {
    let app = spawn_app().await;
    let g = app.token("guard1").await;
    for name in ["百分%访客", "下划_线", "普通访客"] {
        let r = app
            .post(
                "/api/v1/visitors",
                &g,
                json!({"name": name, "reason": "送文件"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let r = app.get("/api/v1/visitors?q=%25&limit=200", &g).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(names(&r.body), vec!["百分%访客"]);
    let r = app.get("/api/v1/visitors?q=_&limit=200", &g).await;
    assert_eq!(names(&r.body), vec!["下划_线"]);
    let r = app.get("/api/v1/visitors?q=%5C&limit=200", &g).await;
    assert!(names(&r.body).is_empty());

    // Students and users: no demo name holds `%` or `_`, so nothing matches.
    let office = app.token("office").await;
    for path in ["/api/v1/students", "/api/v1/users"] {
        for q in ["%25", "_"] {
            let r = app.get(&format!("{path}?q={q}&limit=200"), &office).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.body["items"], json!([]), "{path}?q={q}");
        }
        let r = app.get(&format!("{path}?limit=200"), &office).await;
        assert!(!r.body["items"].as_array().unwrap().is_empty());
    }
}

fn ts(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339()
}

async fn issue(app: &TestApp, body: Value) -> Resp {
    let class_id = app.own_class_id("teacher1").await;
    let student = app.students_of(&class_id).await[0].clone();
    let t = app.token("teacher1").await;
    let mut b = json!({"student_id": student["id"], "kind": "exit_and_return", "reason": "看病"});
    for (k, v) in body.as_object().unwrap() {
        b[k] = v.clone();
    }
    app.post("/api/v1/leave-passes", &t, b).await
}

#[tokio::test]
async fn passes_start_within_30_days_and_never_outlive_the_return_time() {
    let app = spawn_app().await;
    // 2200 would not fit the token's 32-bit seconds (it ends in 2106); a month ahead is
    // already more than a pass needs.
    for from in ["2200-01-01T08:00:00Z".to_owned(), ts(Duration::days(31))] {
        let until = DateTime::parse_from_rfc3339(&from).unwrap() + Duration::hours(4);
        let r = issue(
            &app,
            json!({"valid_from": from, "valid_until": until.to_rfc3339(),
                   "return_by": (until + Duration::hours(1)).to_rfc3339()}),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["errors"][0]["field"], "valid_from");
        assert_eq!(r.body["errors"][0]["code"], "too_far");
    }
    let r = issue(
        &app,
        json!({"valid_from": ts(Duration::days(29)), "valid_until": ts(Duration::days(29) + Duration::hours(3)),
               "return_by": ts(Duration::days(29) + Duration::hours(4))}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Asked to stay valid after the return time: the exit window ends at the return time,
    // in the record and in the signed token alike.
    let r = issue(
        &app,
        json!({"valid_until": ts(Duration::hours(8)), "return_by": ts(Duration::hours(2))}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["valid_until"], r.body["return_by"]);
    let token = r.body["token"].as_str().unwrap();
    let payload = URL_SAFE_NO_PAD
        .decode(token.split('.').nth(1).unwrap())
        .unwrap();
    let u32_at = |i: usize| u32::from_be_bytes(payload[i..i + 4].try_into().unwrap());
    assert_eq!(u32_at(46), u32_at(50), "token: valid until = return by");
    let return_by = DateTime::parse_from_rfc3339(r.body["return_by"].as_str().unwrap()).unwrap();
    assert_eq!(i64::from(u32_at(50)), return_by.timestamp());
}

#[tokio::test]
async fn closed_sets_in_queries_are_checked() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    for q in ["status=reportd", "category=fires"] {
        let r = app.get(&format!("/api/v1/hazards?{q}"), &office).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text);
        assert_eq!(r.code(), "invalid_query");
    }
    let r = app
        .get("/api/v1/hazards?status=reported&category=traffic", &office)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for limit in ["0", "201"] {
        let r = app
            .get(&format!("/api/v1/hazards?limit={limit}"), &office)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{limit}");
    }
    // The served document states the same.
    let doc = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap();
    let doc: Value = doc.json().await.unwrap();
    let limit = doc["paths"]["/api/v1/hazards"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert_eq!(
        (
            limit["schema"]["minimum"].clone(),
            limit["schema"]["maximum"].clone()
        ),
        (json!(1), json!(200))
    );
}

/// The spec says `from`/`to` are dates (`format: date`); lists that filter by them refuse
/// anything else instead of comparing it as text (found by contract fuzzing).
#[tokio::test]
async fn date_filters_refuse_what_is_not_a_date() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    for path in [
        "/api/v1/activities?from=0108-1x-09",
        "/api/v1/meetings?to=%C3%88",
        "/api/v1/health-reports?from=2026-13-01",
        "/api/v1/duty/rosters?from=tomorrow",
    ] {
        let r = app.get(path, &office).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.text
        );
        let field = r.body["errors"][0]["field"].as_str().unwrap_or_default();
        assert!(field == "from" || field == "to", "{path}: {}", r.text);
    }
    // Real dates still filter.
    for path in [
        "/api/v1/activities?from=2020-04-01&to=2020-07-31",
        "/api/v1/meetings?from=2020-04-01",
        "/api/v1/health-reports?to=2030-01-01",
        "/api/v1/duty/rosters?from=2020-01-01&to=2030-12-31",
    ] {
        let r = app.get(path, &office).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    }
}
