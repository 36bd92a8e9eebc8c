//! Patrol checkpoints (安保巡查): checkpoints with random QR values, routes with expected
//! times, a guard's run with on-time, late and missed checkpoints, a hazard reported on the
//! spot, and what the office sees the same day.

use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

async fn checkpoint(app: &TestApp, office: &str, name: &str) -> Value {
    let r = app
        .post(
            "/api/v1/patrol-checkpoints",
            office,
            json!({"name": name, "location": format!("{name}门口")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

fn point<'a>(run: &'a Value, name: &str) -> &'a Value {
    run["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["checkpoint_name"] == name)
        .unwrap_or_else(|| panic!("{name} not in run"))
}

#[tokio::test]
async fn patrol_with_a_late_and_a_missed_checkpoint() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let guard = app.token("guard1").await;
    let guard2 = app.token("guard2").await;
    let principal = app.token("principal").await;

    // Only the office places checkpoints; each gets its own random QR value.
    let r = app
        .post("/api/v1/patrol-checkpoints", &guard, json!({"name": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let dorm = checkpoint(&app, &office, "女生宿舍").await;
    let lab = checkpoint(&app, &office, "化学实验室").await;
    let wall = checkpoint(&app, &office, "西侧围墙").await;
    let other = checkpoint(&app, &office, "体育馆").await;
    let code = |c: &Value| c["code"].as_str().unwrap().to_owned();
    assert!(code(&dorm).starts_with("XAPC-") && code(&dorm).len() >= 25);
    assert_ne!(code(&dorm), code(&lab));

    // The dormitory first (30 min leeway), the lab due at the very start (no leeway: any scan
    // after the start is late), the west wall 30 minutes in.
    let r = app
        .post(
            "/api/v1/patrol-routes",
            &office,
            json!({
                "name": "测试巡查", "start_times": ["21:00"],
                "points": [
                    {"checkpoint_id": dorm["id"], "offset_minutes": 0, "tolerance_minutes": 30},
                    {"checkpoint_id": lab["id"], "offset_minutes": 0, "tolerance_minutes": 0},
                    {"checkpoint_id": wall["id"], "offset_minutes": 30, "tolerance_minutes": 10},
                ]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let route_id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["points"][2]["checkpoint_name"], "西侧围墙");

    // The guard sees the route and starts a patrol on it.
    let r = app.get("/api/v1/patrol-routes", &guard).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == route_id.as_str())
    );
    let r = app
        .post("/api/v1/patrols", &guard, json!({"route_id": route_id}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let run = r.body;
    let id = run["id"].as_str().unwrap().to_owned();
    assert_eq!(run["status"], "in_progress");
    assert_eq!(run["counts"]["total"], 3);
    assert_eq!(point(&run, "女生宿舍")["status"], "pending");
    assert_eq!(point(&run, "西侧围墙")["status"], "pending");
    let scans = format!("/api/v1/patrols/{id}/scans");

    // Dormitory on time; the same scan resent is replayed, not counted twice.
    let body = json!({"code": code(&dorm), "client_event_id": "evt-1"});
    let r = app.post(&scans, &guard, body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["point"]["checkpoint_name"], "女生宿舍");
    assert_eq!(r.body["point"]["status"], "on_time");
    assert_eq!(r.body["replayed"], false);
    let r = app.post(&scans, &guard, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["replayed"], true);
    assert_eq!(r.body["point"]["status"], "on_time");

    // Wrong codes are refused with a clear reason.
    let r = app
        .post(
            &scans,
            &guard,
            json!({"code": "XAPC-forged", "client_event_id": "evt-2"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "unknown_checkpoint");
    let r = app
        .post(
            &scans,
            &guard,
            json!({"code": code(&other), "client_event_id": "evt-3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "checkpoint_not_on_route");
    let r = app
        .post(
            &scans,
            &guard,
            json!({"code": code(&dorm), "client_event_id": "evt-4"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "checkpoint_already_scanned");

    // Another guard can neither scan nor read this patrol.
    let r = app
        .post(
            &scans,
            &guard2,
            json!({"code": code(&lab), "client_event_id": "evt-5"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "not_own_patrol");
    let r = app.get(&format!("/api/v1/patrols/{id}"), &guard2).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/api/v1/patrols", &guard2).await;
    assert!(
        !r.body
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id.as_str())
    );

    // The lab is scanned after its time: late, with what the guard saw.
    let r = app
        .post(
            &scans,
            &guard,
            json!({"code": code(&lab), "client_event_id": "evt-6", "observation": "实验室窗户未关"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["point"]["status"], "late");
    assert_eq!(r.body["point"]["observation"], "实验室窗户未关");

    // A hazard on the spot, at the dormitory, with a photo: a regular hazard.
    let notes = format!("/api/v1/patrols/{id}/notes");
    let r = app
        .post(
            &notes,
            &guard,
            json!({"checkpoint_id": wall["id"], "observation": "围墙有裂缝"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "checkpoint_not_scanned");
    let photo = app.upload_photo("guard1").await;
    let r = app
        .post(
            &notes,
            &guard,
            json!({
                "checkpoint_id": dorm["id"], "observation": "一楼消防通道堆放杂物",
                "hazard": {"category": "fire", "description": "消防通道堆放杂物", "attachment_ids": [photo]}
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = point(&r.body, "女生宿舍");
    assert_eq!(p["observation"], "一楼消防通道堆放杂物");
    let hazard_id = p["hazard_id"].as_str().unwrap().to_owned();
    let h = app
        .get(&format!("/api/v1/hazards/{hazard_id}"), &office)
        .await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text);
    assert_eq!(h.body["status"], "reported");
    assert_eq!(h.body["category"], "fire");
    assert!(h.body["location"].as_str().unwrap().contains("女生宿舍"));
    assert_eq!(h.body["photo_ids"][0], photo.as_str());
    let r = app
        .post(
            &notes,
            &guard,
            json!({"checkpoint_id": dorm["id"], "hazard": {"category": "fire", "description": "再报一次"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "hazard_already_reported");
    let r = app
        .post(
            &notes,
            &guard,
            json!({"checkpoint_id": lab["id"], "hazard": {"category": "nope", "description": "x"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Finishing: the wall was never scanned, so it is missed.
    let r = app
        .post(&format!("/api/v1/patrols/{id}/finish"), &guard2, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(&format!("/api/v1/patrols/{id}/finish"), &guard, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "finished");
    assert_eq!(r.body["counts"]["on_time"], 1);
    assert_eq!(r.body["counts"]["late"], 1);
    assert_eq!(r.body["counts"]["missed"], 1);
    assert_eq!(r.body["counts"]["pending"], 0);
    assert_eq!(point(&r.body, "西侧围墙")["status"], "missed");
    assert!(point(&r.body, "西侧围墙")["visited_at"].is_null());
    let r = app
        .post(&format!("/api/v1/patrols/{id}/finish"), &guard, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "patrol_finished");
    let r = app
        .post(
            &scans,
            &guard,
            json!({"code": code(&wall), "client_event_id": "evt-7"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "patrol_finished");

    // The office sees today's patrol with its counts, and the missed checkpoint.
    let today = school_today().format("%Y-%m-%d").to_string();
    let r = app
        .get(&format!("/api/v1/patrols?date={today}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let listed = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id.as_str())
        .expect("today's patrol listed")
        .clone();
    assert_eq!(listed["guard_name"], app.me("guard1").await["display_name"]);
    assert_eq!(listed["counts"]["missed"], 1);
    let r = app.get("/api/v1/patrols", &guard).await;
    assert!(
        r.body
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id.as_str())
    );
    for t in [&office, &principal] {
        let r = app.get("/api/v1/patrols/missed", t).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let ours: Vec<&Value> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["run_id"] == id.as_str())
            .collect();
        assert_eq!(ours.len(), 1, "{}", r.text);
        assert_eq!(ours[0]["checkpoint_name"], "西侧围墙");
        assert_eq!(ours[0]["reason"], "not_visited");
    }
    let r = app.get("/api/v1/patrols/missed", &guard).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/api/v1/patrols?date=yesterday", &office).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Every step is in the audit trail.
    let trail = app.audit(&format!("entity_id={id}")).await;
    let actions: Vec<&str> = trail.iter().filter_map(|a| a["action"].as_str()).collect();
    for a in [
        "patrol.start",
        "patrol.scan",
        "patrol.note",
        "patrol.finish",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

#[tokio::test]
async fn a_scheduled_start_with_no_patrol_is_all_missed() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let a = checkpoint(&app, &office, "东门").await;
    let b = checkpoint(&app, &office, "操场").await;
    let route = |name: &str| {
        json!({
            "name": name, "start_times": ["06:00", "21:00"],
            "points": [
                {"checkpoint_id": a["id"], "offset_minutes": 0, "tolerance_minutes": 10},
                {"checkpoint_id": b["id"], "offset_minutes": 15, "tolerance_minutes": 10},
            ]
        })
    };
    let r = app
        .post("/api/v1/patrol-routes", &office, route("早晚巡查"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let old = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post("/api/v1/patrol-routes", &office, route("新路线"))
        .await;
    let new = r.body["id"].as_str().unwrap().to_owned();
    // The first route has existed for a long time; the second only since now.
    // (By name: SQLite keeps uuids as blobs.)
    app.sql(
        "UPDATE patrol_routes SET created_at = '2020-01-01 00:00:00+00:00' WHERE name = '早晚巡查'",
    )
    .await;

    let yesterday = (school_today() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let r = app
        .get(&format!("/api/v1/patrols/missed?date={yesterday}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let of = |route: &str| -> Vec<Value> {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["route_id"] == route)
            .cloned()
            .collect()
    };
    // Both starts never happened: two checkpoints each, all missed.
    let missed = of(&old);
    assert_eq!(missed.len(), 4, "{}", r.text);
    assert!(
        missed
            .iter()
            .all(|m| m["reason"] == "not_started" && m["run_id"].is_null())
    );
    let slots: Vec<&str> = missed.iter().map(|m| m["slot"].as_str().unwrap()).collect();
    assert_eq!(slots, ["06:00", "06:00", "21:00", "21:00"]);
    assert_eq!(missed[1]["checkpoint_name"], "操场");
    // A start before the route existed is not held against anyone.
    assert!(of(&new).is_empty(), "{}", r.text);
}

#[tokio::test]
async fn routes_are_checked_and_checkpoints_managed() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let a = checkpoint(&app, &office, "东门").await;
    let bad = |body: Value| {
        let app = &app;
        let office = &office;
        async move {
            let r = app.post("/api/v1/patrol-routes", office, body).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
            r.body["errors"][0]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    let p = json!({"checkpoint_id": a["id"], "offset_minutes": 0, "tolerance_minutes": 5});
    assert_eq!(
        bad(json!({"name": "x", "start_times": ["25:00"], "points": [p]})).await,
        "invalid"
    );
    assert_eq!(
        bad(json!({"name": "x", "points": [p, p]})).await,
        "duplicate_checkpoint"
    );
    assert_eq!(bad(json!({"name": "x", "points": []})).await, "invalid");
    assert_eq!(
        bad(json!({"name": "x", "points": [{"checkpoint_id": uuid::Uuid::now_v7(), "offset_minutes": 0, "tolerance_minutes": 5}]})).await,
        "checkpoint_not_found"
    );

    // A new QR value retires the old label; a deactivated checkpoint cannot be scanned.
    let id = a["id"].as_str().unwrap();
    let r = app
        .patch(
            &format!("/api/v1/patrol-checkpoints/{id}"),
            &office,
            json!({"regenerate_code": true, "location": "东门岗亭"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_ne!(r.body["code"], a["code"]);
    assert_eq!(r.body["location"], "东门岗亭");
    let r = app
        .post(
            "/api/v1/patrol-routes",
            &office,
            json!({"name": "单点", "points": [p]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let route_id = r.body["id"].as_str().unwrap().to_owned();
    let guard = app.token("guard1").await;
    let r = app
        .post("/api/v1/patrols", &guard, json!({"route_id": route_id}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let run = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/patrols/{run}/scans"),
            &guard,
            json!({"code": a["code"], "client_event_id": "old-label"}),
        )
        .await;
    assert_eq!(r.code(), "unknown_checkpoint");
    app.patch(
        &format!("/api/v1/patrol-checkpoints/{id}"),
        &office,
        json!({"active": false}),
    )
    .await;
    let r = app
        .post("/api/v1/patrols", &guard, json!({"route_id": route_id}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "patrol_route_empty");

    // The label sheet holds a QR code per active checkpoint.
    let (status, ct, bytes) = app
        .get_bytes("/api/v1/patrol-checkpoints/labels", Some(&office))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"), "{ct}");
    let html = String::from_utf8(bytes).unwrap();
    assert!(html.contains("<svg") && html.contains("南门"));
    assert!(!html.contains("东门岗亭"));
}

#[tokio::test]
async fn the_demo_has_a_night_patrol_with_a_missed_checkpoint() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let r = app.get("/api/v1/patrol-routes", &office).await;
    let night = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "夜间巡查")
        .cloned();
    let night = night.expect("demo route");
    assert_eq!(night["start_times"], json!(["21:00"]));
    assert_eq!(night["points"].as_array().unwrap().len(), 6);
    let yesterday = (school_today() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let r = app
        .get(&format!("/api/v1/patrols?date={yesterday}"), &office)
        .await;
    let run = &r.body[0];
    assert_eq!(run["status"], "finished");
    assert_eq!(run["counts"]["missed"], 1);
    assert_eq!(run["counts"]["late"], 1);
    let r = app
        .get(&format!("/api/v1/patrols/missed?date={yesterday}"), &office)
        .await;
    let names: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["checkpoint_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["围墙东侧"]);
}
