//! What the demo school holds. The feature tests build their own data on an empty school (see
//! `tests/src/build.rs`); the facts about the demo itself that they used to check on the way
//! are checked here, in one place, so a change to the demo changes only this file.

use reqwest::StatusCode;
use xiaoan_api_tests::*;

fn len(v: &serde_json::Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn the_demo_records_and_dashboard() {
    let app = spawn_app().await;
    let principal = app.token("principal").await;
    let d = app.get("/api/v1/dashboard", &principal).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.text);
    // The demo semester had no incident (“零事故”).
    assert_eq!(
        d.body["incidents"]["days_since_last_incident"],
        serde_json::Value::Null
    );
    assert_eq!(d.body["incidents"]["open_incidents"], 0);
    // The weekly traffic check is due from each of the five classes.
    assert_eq!(d.body["traffic_checks"]["classes"], 5);

    // The demo rosters were announced to staff (通报:教师群).
    let guard = app.token("guard1").await;
    let demo = app.get("/api/v1/announcements", &guard).await.body;
    assert!(
        demo.as_array()
            .unwrap()
            .iter()
            .any(|a| a["title"].as_str().unwrap().starts_with("清明节值班表"))
    );
    // The seed plan's activities and guard meetings of 2020.
    let t = app.token("teacher1").await;
    let r = app
        .get("/api/v1/activities?from=2020-04-01&to=2020-07-31", &t)
        .await;
    assert_eq!(len(&r.body), 7, "{}", r.text);
    let r = app
        .get("/api/v1/meetings?kind=guard_meeting&to=2020-12-31", &t)
        .await;
    assert_eq!(len(&r.body), 4, "{}", r.text);
}
