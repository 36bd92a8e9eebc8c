//! Vehicles: the office registers staff vehicles, guards record vehicles in and out by plate
//! (normalised, validated), plates not in the register are visitors' vehicles, entries in the
//! school's rush windows are flagged, and the office reads the day's log and the rush-hour
//! entries by owner.

use chrono::Timelike;
use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

/// Local time now in the school's zone (UTC+8), in minutes since midnight.
fn local_minutes() -> u32 {
    let t = chrono::Utc::now() + chrono::Duration::hours(8);
    t.hour() * 60 + t.minute()
}

fn hhmm(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

async fn set_windows(app: &TestApp, m: (u32, u32), a: (u32, u32)) {
    let office = app.token("office").await;
    let r = app
        .put(
            "/api/v1/vehicle-settings",
            &office,
            json!({"morning_start": hhmm(m.0), "morning_end": hhmm(m.1), "afternoon_start": hhmm(a.0), "afternoon_end": hhmm(a.1)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn pass(app: &TestApp, who: &str, plate: &str, direction: &str) -> Value {
    let t = app.token(who).await;
    let r = app
        .post(
            "/api/v1/vehicle-passages",
            &t,
            json!({"plate": plate, "direction": direction}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

#[tokio::test]
async fn plates_are_normalised_and_refused_with_a_clear_error() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/vehicles",
            &office,
            json!({"plate": "浙a·12345", "kind": "car", "owner_name": "测试教师"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["plate"], "浙A12345");
    // The same plate typed another way is the same vehicle.
    let r = app
        .post(
            "/api/v1/vehicles",
            &office,
            json!({"plate": "浙A 12345", "kind": "e_bike", "owner_name": "另一人"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "already_exists");
    for bad in ["浙A123", "A12345", "浙A12<45", ""] {
        let r = app
            .post(
                "/api/v1/vehicles",
                &office,
                json!({"plate": bad, "kind": "car", "owner_name": "x"}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["field"], "plate");
        assert_eq!(r.body["errors"][0]["code"], "invalid_plate");
        assert!(
            r.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("车牌")
        );
    }
    let g = app.token("guard1").await;
    let r = app
        .post(
            "/api/v1/vehicle-passages",
            &g,
            json!({"plate": "浙A", "direction": "in"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["code"], "invalid_plate");
    // A guard records by the plate typed loosely: the register's vehicle is recognised.
    let p = pass(&app, "guard1", "浙Ａ·１２３４５", "in").await;
    assert_eq!(p["plate"], "浙A12345");
    assert_eq!(p["visitor"], false);
    assert_eq!(p["owner_name"], "测试教师");
    assert_eq!(p["kind"], "car");
}

#[tokio::test]
async fn unregistered_plates_are_visitors_and_retired_vehicles_too() {
    let app = spawn_app().await;
    let p = pass(&app, "guard1", "沪B99887", "in").await;
    assert_eq!(p["visitor"], true);
    assert_eq!(p["vehicle_id"], Value::Null);
    assert_eq!(p["owner_name"], Value::Null);
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/vehicles",
            &office,
            json!({"plate": "苏E12345", "kind": "car", "owner_name": "离职教师"}),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        pass(&app, "guard1", "苏E12345", "in").await["visitor"],
        false
    );
    let r = app
        .patch(
            &format!("/api/v1/vehicles/{id}"),
            &office,
            json!({"active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        pass(&app, "guard1", "苏E12345", "out").await["visitor"],
        true
    );
    // The guard's pick list holds active vehicles only (the demo's and none retired).
    let g = app.token("guard1").await;
    let list = app.get("/api/v1/vehicles?q=苏E", &g).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["active"] == true && v["plate"] != "苏E12345")
    );
    let all = app
        .get("/api/v1/vehicles?include_inactive=true", &office)
        .await;
    assert!(
        all.body
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["plate"] == "苏E12345")
    );
}

#[tokio::test]
async fn entries_in_the_rush_windows_are_flagged_and_reported_by_owner() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    // The defaults until the school sets its own.
    let r = app.get("/api/v1/vehicle-settings", &office).await;
    assert_eq!(r.body["is_default"], true, "{}", r.text);
    assert_eq!(r.body["morning_start"], "07:00");
    let r = app
        .post(
            "/api/v1/vehicles",
            &office,
            json!({"plate": "苏E7T123", "kind": "car", "owner_name": "王老师"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // A window around now (the afternoon one; the morning one before it): entries are flagged,
    // departures are not. Near midnight the windows cannot surround now: skip the flag part.
    let now = local_minutes();
    if (3..=1430).contains(&now) {
        set_windows(
            &app,
            (0, 1),
            (now.saturating_sub(2).max(1), (now + 5).min(1439)),
        )
        .await;
        let p = pass(&app, "guard1", "苏E7T123", "in").await;
        assert_eq!(p["rush"], "afternoon", "{p}");
        let p = pass(&app, "guard1", "苏E7T123", "out").await;
        assert_eq!(p["rush"], Value::Null);
        let v = pass(&app, "guard1", "鲁C55555", "in").await;
        assert_eq!(v["rush"], "afternoon");
        // Windows away from now: the same entry is not flagged.
        let (a, b) = if now > 720 { (60, 90) } else { (1300, 1330) };
        set_windows(&app, (a - 30, a - 10), (a, b)).await;
        let p = pass(&app, "guard1", "苏E7T123", "in").await;
        assert_eq!(p["rush"], Value::Null);

        let r = app.get("/api/v1/vehicle-passages?rush=true", &office).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let flagged = r.body.as_array().unwrap();
        assert!(flagged.iter().all(|p| !p["rush"].is_null()));
        assert!(flagged.iter().any(|p| p["plate"] == "苏E7T123"));
        let r = app
            .get("/api/v1/vehicle-passages/rush-by-owner", &office)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let owners = r.body["owners"].as_array().unwrap();
        let wang = owners
            .iter()
            .find(|o| o["owner_name"] == "王老师")
            .expect("by owner");
        assert_eq!(wang["entries"], 1);
        assert_eq!(wang["afternoon"], 1);
        assert_eq!(wang["plates"], json!(["苏E7T123"]));
        let visitors = owners
            .iter()
            .find(|o| o["owner_name"].is_null())
            .expect("visitors");
        assert!(
            visitors["plates"]
                .as_array()
                .unwrap()
                .contains(&json!("鲁C55555"))
        );
    }
    // Bad windows are refused, naming the field.
    let r = app
        .put("/api/v1/vehicle-settings", &office, json!({"morning_start": "08:00", "morning_end": "07:00", "afternoon_start": "16:30", "afternoon_end": "25:00"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"afternoon_end"), "{fields:?}");
}

#[tokio::test]
async fn a_retry_records_nothing_twice() {
    let app = spawn_app().await;
    let g = app.token("guard1").await;
    let body = json!({"plate": "苏E8A261", "direction": "in", "client_event_id": "veh-retry-0001"});
    let r1 = app.post("/api/v1/vehicle-passages", &g, body.clone()).await;
    assert_eq!(r1.status, StatusCode::CREATED, "{}", r1.text);
    let r2 = app.post("/api/v1/vehicle-passages", &g, body).await;
    assert_eq!(r2.status, StatusCode::OK, "{}", r2.text);
    assert_eq!(r1.body["id"], r2.body["id"]);
    let r = app
        .post(
            "/api/v1/vehicle-passages",
            &g,
            json!({"plate": "苏E8A261", "direction": "out", "client_event_id": "veh-retry-0001"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "client_event_conflict");
    assert_eq!(
        app.sql_count(
            "SELECT COUNT(*) AS n FROM vehicle_passages WHERE client_event_id = 'veh-retry-0001'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn who_may_see_and_do_what() {
    let app = spawn_app().await;
    let body = json!({"plate": "苏E1A111", "kind": "car", "owner_name": "x"});
    for u in ["principal", "teacher1", "guard1", "officer1"] {
        let t = app.token(u).await;
        assert_eq!(
            app.post("/api/v1/vehicles", &t, body.clone()).await.status,
            StatusCode::FORBIDDEN,
            "{u}"
        );
    }
    for u in ["principal", "teacher1", "officer1"] {
        let t = app.token(u).await;
        let r = app
            .post(
                "/api/v1/vehicle-passages",
                &t,
                json!({"plate": "苏E1A111", "direction": "in"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{u}");
    }
    for u in ["teacher1", "officer1"] {
        let t = app.token(u).await;
        assert_eq!(
            app.get("/api/v1/vehicle-passages", &t).await.status,
            StatusCode::FORBIDDEN,
            "{u}"
        );
        assert_eq!(
            app.get("/api/v1/vehicles", &t).await.status,
            StatusCode::FORBIDDEN,
            "{u}"
        );
    }
    let g = app.token("guard1").await;
    assert_eq!(
        app.get("/api/v1/vehicle-passages/rush-by-owner", &g)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The office records too, and reads the day's log (the demo's morning included).
    pass(&app, "office", "苏E1A111", "in").await;
    let office = app.token("office").await;
    let r = app.get("/api/v1/vehicle-passages", &office).await;
    assert_eq!(r.status, StatusCode::OK);
    let log = r.body.as_array().unwrap();
    assert!(
        log.iter()
            .any(|p| p["plate"] == "苏E1A111" && p["recorded_by_name"] == "张卫东")
    );
    let r = app
        .get("/api/v1/vehicle-passages?date=2026-13-01", &office)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Only the office's record was written (the refused attempts left nothing).
    assert_eq!(app.audit("action=vehicle.pass").await.len(), 1);
}
