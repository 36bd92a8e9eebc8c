//! Fire equipment registry: QR label → item check round trip with evidence, failed items and
//! expired items raising (one) hazard, the status board, validation.

use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

fn day(offset: i64) -> String {
    (school_today() + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

async fn building(app: &TestApp, name: &str) -> String {
    let t = app.token("office").await;
    let r = app
        .post("/api/v1/fire/buildings", &t, json!({"name": name}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn item(
    app: &TestApp,
    building_id: &str,
    kind: &str,
    name: &str,
    expiry: Option<String>,
) -> Value {
    let t = app.token("office").await;
    let r = app
        .post(
            "/api/v1/fire/items",
            &t,
            json!({
                "building_id": building_id, "kind": kind, "name": name,
                "location": "二楼走廊", "spec": "MFZ/ABC4", "install_date": day(-400),
                "expiry_date": expiry, "responsible": "李主任"
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

async fn board(app: &TestApp, user: &str, query: &str) -> Value {
    let t = app.token(user).await;
    let r = app.get(&format!("/api/v1/fire/board{query}"), &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

fn on_board<'a>(b: &'a Value, id: &str) -> &'a Value {
    b["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} not on board"))
}

fn field_codes(r: &Resp) -> Vec<(String, String)> {
    r.body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_owned(),
                        e["code"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn labels_point_at_the_configured_public_url() {
    let app = spawn_app_with(AppOptions::default(), |s| {
        s.public_url = Some("https://xiaoan.example.edu.cn".into());
    })
    .await;
    let b = building(&app, "图书馆").await;
    let it = item(&app, &b, "extinguisher", "灭火器 L-2-02", Some(day(900))).await;
    let id = it["id"].as_str().unwrap();
    let office = app.token("office").await;
    // A forwarded host does not change where a printed label points.
    let r = TestApp::finish(
        app.client
            .get(app.url(&format!("/api/v1/fire/labels?building_id={b}")))
            .bearer_auth(&office)
            .header("x-forwarded-host", "evil.example"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body[0]["url"],
        format!("https://xiaoan.example.edu.cn/fire/check/{id}")
    );
}

#[tokio::test]
async fn qr_label_opens_the_check_form_and_a_guard_records_a_reading_with_a_photo() {
    let app = spawn_app().await;
    let b = building(&app, "图书馆").await;
    let it = item(&app, &b, "extinguisher", "灭火器 L-2-01", Some(day(900))).await;
    let id = it["id"].as_str().unwrap();
    assert_eq!(it["requires"]["pressure"], true);
    assert_eq!(it["requires"]["photo"], true);

    // The label sheet: the QR encodes the SPA's check page for the item, and nothing personal.
    let office = app.token("office").await;
    let r = app
        .get(&format!("/api/v1/fire/labels?building_id={b}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let labels = r.body.as_array().unwrap();
    assert_eq!(labels.len(), 1);
    let label = &labels[0];
    assert_eq!(label["name"], "灭火器 L-2-01");
    assert_eq!(label["building_name"], "图书馆");
    let url = label["url"].as_str().unwrap();
    assert_eq!(
        url,
        format!("http://127.0.0.1:{}/fire/check/{id}", app.port)
    );
    let svg = label["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg"), "{svg}");
    assert!(!url.contains("李主任") && !svg.contains("李主任"));
    let (status, ct, _) = app
        .get_bytes(&format!("/api/v1/fire/items/{id}/qr.svg"), Some(&office))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("image/svg+xml"), "{ct}");

    // The guard scans it: the page's id opens the item with what its check needs.
    let scanned = url.rsplit('/').next().unwrap();
    let guard = app.token("guard1").await;
    let r = app
        .get(&format!("/api/v1/fire/items/{scanned}"), &guard)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["name"], "灭火器 L-2-01");
    assert_eq!(r.body["status"], "due", "never checked");
    assert_eq!(r.body["requires"]["pressure_min"], 1.0);
    assert_eq!(r.body["checks"].as_array().unwrap().len(), 0);

    let check = format!("/api/v1/fire/items/{scanned}/checks");
    // A bare tick is not evidence.
    let r = app.post(&check, &guard, json!({"result": "ok"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let codes = field_codes(&r);
    assert!(
        codes.contains(&("pressure_mpa".into(), "required".into())),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("attachment_ids".into(), "required".into())),
        "{codes:?}"
    );
    assert!(r.text.contains("拍照"), "{}", r.text);
    // A reading outside the green band cannot be passed as ok.
    let photo = app.upload_photo("guard1").await;
    let r = app
        .post(
            &check,
            &guard,
            json!({"result": "ok", "pressure_mpa": 0.7, "attachment_ids": [photo]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(field_codes(&r).contains(&("pressure_mpa".into(), "pressure_out_of_band".into())));
    // A test result on an extinguisher is not applicable.
    let r = app
        .post(
            &check,
            &guard,
            json!({"result": "ok", "pressure_mpa": 1.2, "test_passed": true, "attachment_ids": [photo]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // The principal reads but does not check; teachers do neither.
    let principal = app.token("principal").await;
    let r = app
        .post(
            &check,
            &principal,
            json!({"result": "ok", "pressure_mpa": 1.2, "attachment_ids": [photo]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let teacher = app.token("teacher1").await;
    let r = app.get(&format!("/api/v1/fire/items/{id}"), &teacher).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = app
        .post(
            &check,
            &guard,
            json!({"result": "ok", "pressure_mpa": 1.2, "attachment_ids": [photo]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["result"], "ok");
    assert_eq!(r.body["pressure_mpa"], 1.2);
    assert_eq!(r.body["photo_ids"][0], photo.as_str());
    assert!(r.body["hazard_id"].is_null());
    assert_eq!(
        r.body["checked_by_name"],
        app.me("guard1").await["display_name"]
    );

    // The item now shows the check; the office sees it on the board as normal, and may open
    // the guard's photo.
    let r = app
        .get(&format!("/api/v1/fire/items/{id}"), &principal)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "normal");
    assert_eq!(r.body["checks"][0]["pressure_mpa"], 1.2);
    let bd = board(&app, "office", &format!("?building_id={b}")).await;
    assert_eq!(on_board(&bd, id)["status"], "normal");
    assert_eq!(bd["counts"]["normal"], 1);
    let (status, _, _) = app
        .get_bytes(&format!("/api/v1/attachments/{photo}"), Some(&office))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = app
        .get_bytes(&format!("/api/v1/attachments/{photo}"), Some(&teacher))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let audit = app.audit("action=fire_check.submit").await;
    assert_eq!(audit.len(), 1, "{audit:?}");
}

#[tokio::test]
async fn a_failed_item_raises_one_fire_hazard_until_a_passing_check() {
    let app = spawn_app().await;
    let b = building(&app, "体育馆").await;
    let it = item(&app, &b, "alarm", "烟感 G-1-01", None).await;
    let id = it["id"].as_str().unwrap();
    let guard = app.token("guard2").await;
    let check = format!("/api/v1/fire/items/{id}/checks");
    let photo = app.upload_photo("guard2").await;

    // A failed test cannot be ticked ok; a failed check needs a note of what is wrong.
    let r = app
        .post(
            &check,
            &guard,
            json!({"result": "ok", "test_passed": false, "attachment_ids": [photo]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_codes(&r).contains(&("test_passed".into(), "test_failed_marked_ok".into())));
    let r = app
        .post(
            &check,
            &guard,
            json!({"result": "failed", "test_passed": false, "attachment_ids": [photo]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_codes(&r).contains(&("note".into(), "required".into())));

    let r = app
        .post(
            &check,
            &guard,
            json!({"result": "failed", "test_passed": false, "note": "按测试键无声光报警", "attachment_ids": [photo]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let hazard_id = r.body["hazard_id"]
        .as_str()
        .expect("hazard raised")
        .to_owned();

    let office = app.token("office").await;
    let h = app
        .get(&format!("/api/v1/hazards/{hazard_id}"), &office)
        .await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text);
    assert_eq!(h.body["category"], "fire");
    assert_eq!(h.body["source"], "fire_equipment");
    assert_eq!(h.body["status"], "reported");
    assert_eq!(h.body["location"], "体育馆 二楼走廊");
    assert!(
        h.body["description"]
            .as_str()
            .unwrap()
            .contains("烟感 G-1-01")
    );
    assert!(
        h.body["description"]
            .as_str()
            .unwrap()
            .contains("按测试键无声光报警")
    );
    assert_eq!(h.body["photo_ids"][0], photo.as_str());
    assert_eq!(h.body["reported_by"], app.user_id("guard2").await);
    // It is in the office's hazard list, like any other.
    let list = app.get("/api/v1/hazards?category=fire", &office).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains(&hazard_id));

    let bd = board(&app, "principal", "?status=failed").await;
    assert_eq!(on_board(&bd, id)["status"], "failed");
    assert!(
        bd["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "failed")
    );

    // Failing again while the hazard is open does not raise a second one.
    let photo2 = app.upload_photo("guard2").await;
    let r = app
        .post(
            &check,
            &guard,
            json!({"result": "failed", "test_passed": false, "note": "仍无报警", "attachment_ids": [photo2]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["hazard_id"], hazard_id.as_str());
    assert_eq!(
        app.sql_count("SELECT COUNT(*) AS n FROM hazards WHERE source = 'fire_equipment' AND description LIKE '%G-1-01%'")
            .await,
        1
    );

    // Repaired and checked ok: the item is normal again.
    let photo3 = app.upload_photo("office").await;
    let r = app
        .post(
            &check,
            &office,
            json!({"result": "ok", "test_passed": true, "attachment_ids": [photo3]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let bd = board(&app, "office", &format!("?building_id={b}")).await;
    assert_eq!(on_board(&bd, id)["status"], "normal");
}

#[tokio::test]
async fn an_expired_item_is_flagged_and_raises_its_hazard_once() {
    let app = spawn_app().await;
    let b = building(&app, "食堂").await;
    let old = item(&app, &b, "extinguisher", "灭火器 C-1-01", Some(day(-1))).await;
    let old_id = old["id"].as_str().unwrap();
    assert_eq!(old["status"], "expired");
    let soon = item(&app, &b, "extinguisher", "灭火器 C-1-02", Some(day(10))).await;
    let count = "SELECT COUNT(*) AS n FROM hazards WHERE source = 'fire_equipment' AND description LIKE '%C-1-01%'";
    assert_eq!(app.sql_count(count).await, 0);

    // The board notices it: flagged expired, one hazard raised, however often it is loaded.
    let bd = board(&app, "office", &format!("?building_id={b}")).await;
    let row = on_board(&bd, old_id);
    assert_eq!(row["status"], "expired");
    let hazard_id = row["expired_hazard_id"]
        .as_str()
        .expect("hazard raised")
        .to_owned();
    assert_eq!(on_board(&bd, soon["id"].as_str().unwrap())["status"], "due");
    assert_eq!(bd["counts"]["expired"], 1);
    assert_eq!(bd["counts"]["due"], 1);
    assert_eq!(bd["items"][0]["id"], old_id, "worst first");
    board(&app, "principal", "").await;
    board(&app, "guard1", "?status=expired").await;
    let r = app
        .get(
            &format!("/api/v1/fire/items/{old_id}"),
            &app.token("guard1").await,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["expired_hazard_id"], hazard_id.as_str());
    assert_eq!(app.sql_count(count).await, 1);
    let office = app.token("office").await;
    let h = app
        .get(&format!("/api/v1/hazards/{hazard_id}"), &office)
        .await;
    assert_eq!(h.body["category"], "fire");
    assert_eq!(h.body["source"], "fire_equipment");
    assert!(h.body["description"].as_str().unwrap().contains("已过期"));

    // The demo school's expired extinguisher and the one expiring soon are on the board too.
    let bd = board(&app, "office", "").await;
    let demo_expired = bd["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "灭火器 A-3-02")
        .unwrap();
    assert_eq!(demo_expired["status"], "expired");
    assert!(demo_expired["expired_hazard_id"].is_string());
    let demo_due = bd["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "灭火器 S-3-01")
        .unwrap();
    assert_eq!(demo_due["status"], "due");

    // Replaced: a new expiry date clears the flag (a later expiry would raise a new hazard).
    let r = app
        .put(
            &format!("/api/v1/fire/items/{old_id}"),
            &office,
            json!({
                "building_id": b, "kind": "extinguisher", "name": "灭火器 C-1-01",
                "location": "二楼走廊", "spec": "MFZ/ABC4", "install_date": day(0),
                "expiry_date": day(1800), "responsible": "李主任"
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "due", "not checked yet this month");
    assert!(r.body["expired_hazard_id"].is_null());
    board(&app, "office", "").await;
    assert_eq!(app.sql_count(count).await, 1);
}

#[tokio::test]
async fn registry_validation_and_who_may_edit() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let b = building(&app, "艺术楼").await;
    let r = app
        .post("/api/v1/fire/buildings", &office, json!({"name": "艺术楼"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = app
        .post("/api/v1/fire/buildings", &office, json!({"name": " "}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = app
        .post(
            "/api/v1/fire/items",
            &office,
            json!({
                "building_id": uuid::Uuid::now_v7(), "kind": "sprinkler", "name": "x",
                "location": "x", "install_date": day(0), "expiry_date": day(-5),
                "responsible": ""
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let codes = field_codes(&r);
    for want in [
        ("kind", "invalid"),
        ("building_id", "not_found"),
        ("expiry_date", "before_install"),
        ("responsible", "required"),
    ] {
        assert!(
            codes.contains(&(want.0.into(), want.1.into())),
            "{want:?} in {codes:?}"
        );
    }
    let r = app
        .post(
            "/api/v1/fire/items",
            &office,
            json!({"building_id": b, "kind": "hydrant", "name": "x", "location": "x",
                   "expiry_date": "2026-13-01", "responsible": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Guards check but do not register; the principal reads.
    let guard = app.token("guard1").await;
    let r = app
        .post(
            "/api/v1/fire/items",
            &guard,
            json!({"building_id": b, "kind": "hydrant", "name": "x", "location": "x", "responsible": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/api/v1/fire/buildings", &guard).await;
    assert_eq!(r.status, StatusCode::OK);
    let names: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    for n in ["教学楼A", "实验楼", "学生宿舍", "艺术楼"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let r = app
        .get("/api/v1/fire/labels", &app.token("principal").await)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body.as_array().unwrap().len(),
        10 + 9,
        "the demo school's items: 10 fire, 9 security"
    );
    let r = app.get("/api/v1/fire/board?status=broken", &office).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .get(
            &format!("/api/v1/fire/items/{}", uuid::Uuid::now_v7()),
            &office,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "fire_item_not_found");
}

#[tokio::test]
async fn a_retired_item_leaves_the_board_labels_and_checks_until_reinstated() {
    let app = spawn_app().await;
    let b = building(&app, "报告厅").await;
    let old = item(&app, &b, "extinguisher", "灭火器 R-1-01", Some(day(-1))).await;
    let old_id = old["id"].as_str().unwrap();
    let alarm = item(&app, &b, "alarm", "烟感 R-1-02", None).await;
    let office = app.token("office").await;
    let retire = format!("/api/v1/fire/items/{old_id}/retired");

    // Replaced before anyone noticed it expired: retired, not a hazard.
    let guard = app.token("guard1").await;
    let r = app.put(&retire, &guard, json!({"retired": true})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.put(&retire, &office, json!({"retired": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "retired");
    assert!(r.body["retired_at"].is_string());

    let bd = board(&app, "office", &format!("?building_id={b}")).await;
    let ids: Vec<&str> = bd["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![alarm["id"].as_str().unwrap()]);
    assert_eq!(bd["counts"]["retired"], 1);
    assert_eq!(bd["counts"]["expired"], 0);
    let hazards = "SELECT COUNT(*) AS n FROM hazards WHERE source = 'fire_equipment' AND description LIKE '%R-1-01%'";
    assert_eq!(app.sql_count(hazards).await, 0);
    let bd = board(&app, "office", &format!("?building_id={b}&status=retired")).await;
    assert_eq!(on_board(&bd, old_id)["status"], "retired");

    let r = app
        .get(&format!("/api/v1/fire/labels?building_id={b}"), &office)
        .await;
    let labelled: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(labelled, vec!["烟感 R-1-02"]);

    let photo = app.upload_photo("guard1").await;
    let r = app
        .post(
            &format!("/api/v1/fire/items/{old_id}/checks"),
            &guard,
            json!({"result": "ok", "pressure_mpa": 1.2, "attachment_ids": [photo]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "fire_item_retired");

    // Back in service: expired again, and noticed.
    let r = app.put(&retire, &office, json!({"retired": false})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["retired_at"].is_null());
    let r = app.put(&retire, &office, json!({"retired": false})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let bd = board(&app, "office", &format!("?building_id={b}")).await;
    assert_eq!(on_board(&bd, old_id)["status"], "expired");
    assert_eq!(app.sql_count(hazards).await, 1);
    assert_eq!(app.audit("action=fire_item.retire").await.len(), 1);
    assert_eq!(
        app.audit("action=fire_item.reinstate").await.len(),
        1,
        "reinstating twice records once"
    );
}

/// Issue 15 #15: forwarded headers are believed only from `trusted_proxies`. From any other
/// peer a forged `X-Forwarded-Host`/`-Proto` does not change where a printed label points.
#[tokio::test]
async fn labels_ignore_forwarded_headers_from_untrusted_peers() {
    async fn label_url(app: &TestApp, b: &str) -> String {
        let office = app.token("office").await;
        let r = TestApp::finish(
            app.client
                .get(app.url(&format!("/api/v1/fire/labels?building_id={b}")))
                .bearer_auth(&office)
                .header("x-forwarded-host", "evil.example")
                .header("x-forwarded-proto", "https")
                .header("forwarded", "host=evil.example;proto=https"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body[0]["url"].as_str().unwrap().to_owned()
    }
    let app = spawn_app().await;
    let b = building(&app, "图书馆").await;
    let it = item(&app, &b, "extinguisher", "灭火器 L-3-01", Some(day(900))).await;
    let id = it["id"].as_str().unwrap();
    assert_eq!(
        label_url(&app, &b).await,
        format!("http://127.0.0.1:{}/fire/check/{id}", app.port)
    );
    // Relayed by a trusted proxy, the forwarded scheme and host are the public ones.
    let app = spawn_app_with(AppOptions::default(), |s| {
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let b = building(&app, "图书馆").await;
    let it = item(&app, &b, "extinguisher", "灭火器 L-3-01", Some(day(900))).await;
    let id = it["id"].as_str().unwrap();
    assert_eq!(
        label_url(&app, &b).await,
        format!("https://evil.example/fire/check/{id}")
    );
}
