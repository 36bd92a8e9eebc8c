//! Visitors: check-in/out, expected visitors, the watchlist, and ID numbers that are never
//! shown in full after entry.

use reqwest::StatusCode;
use serde_json::json;
use xiaoan_api_tests::*;

const ID_NUMBER: &str = "32050119800101123X";
const BANNED_ID: &str = "320502197507074321";

fn ids(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn no_full_id(text: &str) {
    for id in [ID_NUMBER, BANNED_ID, "32050119800101123x"] {
        assert!(!text.contains(id), "a full ID number leaked: {text}");
    }
}

#[tokio::test]
async fn guard_checks_a_visitor_in_and_out_and_never_sees_the_id_number_again() {
    let app = spawn_app().await;
    let g = app.token("guard1").await;
    let r = app
        .post(
            "/api/v1/visitors",
            &g,
            json!({
                "name": "孙建国", "phone": "13812345678", "id_number": "320501 19800101 123x",
                "organisation": "苏州市吴中区消防救援大队", "reason": "消防设施检查",
                "host": "张卫东(保卫处)", "vehicle_plate": "苏E·12345", "gate": "南门",
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    no_full_id(&r.text);
    let v = &r.body["visitor"];
    assert_eq!(v["id_number_masked"], "**************123X");
    assert_eq!(v["on_campus"], true);
    assert!(r.body["warning"].is_null());
    let id = v["id"].as_str().unwrap().to_owned();

    let office = app.token("office").await;
    for path in [
        format!("/api/v1/visitors/{id}"),
        "/api/v1/visitors?on_campus=true".to_owned(),
        "/api/v1/visitors?q=孙".to_owned(),
    ] {
        let r = app.get(&path, &office).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        no_full_id(&r.text);
    }
    let r = app.get("/api/v1/visitors?on_campus=true", &g).await;
    let on_campus = ids(&r.body["items"]);
    assert!(on_campus.contains(&id));
    let audit = app
        .audit(&format!("action=visitor.check_in&entity_id={id}"))
        .await;
    assert_eq!(audit.len(), 1);
    no_full_id(&audit[0].to_string());

    let r = app
        .post(&format!("/api/v1/visitors/{id}/check-out"), &g, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["on_campus"], false);
    let r = app
        .post(&format!("/api/v1/visitors/{id}/check-out"), &g, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "already_checked_out");
    let r = app.get("/api/v1/visitors?on_campus=true", &g).await;
    assert_eq!(ids(&r.body["items"]).len(), on_campus.len() - 1);
    assert!(!ids(&r.body["items"]).contains(&id));

    // Bad input is refused per field.
    let r = app
        .post(
            "/api/v1/visitors",
            &g,
            json!({"name": "", "reason": "x", "id_number": "12-34"}),
        )
        .await;
    assert_eq!(r.code(), "validation_failed");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"name") && fields.contains(&"id_number"),
        "{fields:?}"
    );
    // Teachers do not register visitors at the gate.
    let t1 = app.token("teacher1").await;
    let r = app
        .post(
            "/api/v1/visitors",
            &t1,
            json!({"name": "某", "reason": "x"}),
        )
        .await;
    assert_eq!(r.code(), "forbidden_role");
}

#[tokio::test]
async fn a_watchlisted_visitor_warns_the_guard_and_alerts_the_office() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/watchlist",
            &office,
            json!({"name": "钱某", "id_number": BANNED_ID, "category": "banned", "note": "多次在校门口滋扰学生,禁止入校"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    no_full_id(&r.text);
    assert_eq!(r.body["id_number_masked"], "**************4321");
    let entry = r.body["id"].as_str().unwrap().to_owned();
    let r = app.get("/api/v1/watchlist", &office).await;
    no_full_id(&r.text);
    assert!(ids(&r.body).contains(&entry));

    // The same person gives another name at the gate: the ID number still matches.
    let g = app.token("guard1").await;
    let r = app
        .post(
            "/api/v1/visitors",
            &g,
            json!({"name": "钱先生", "id_number": BANNED_ID, "reason": "找人", "gate": "北门"}),
        )
        .await;
    // Banned (禁止入校): refused, with no override by the guard.
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "visitor_banned");
    no_full_id(&r.text);

    // The office's alert list holds the refused attempt, with the entry it matched.
    let r = app.get("/api/v1/visitors?flagged=true", &office).await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["watchlist_entry_id"], entry.as_str());
    assert_eq!(items[0]["status"], "refused");
    assert_eq!(items[0]["on_campus"], false);
    assert_eq!(items[0]["gate"], "北门");
    let vid = items[0]["id"].as_str().unwrap().to_owned();
    no_full_id(&r.text);
    assert_eq!(app.audit("action=visitor.watchlist_hit").await.len(), 1);
    let r = app.get("/api/v1/visitors?on_campus=true", &g).await;
    assert!(!ids(&r.body["items"]).contains(&vid));
    // Neither "ask the office" nor checking out helps: banned stays banned.
    let r = app
        .post(
            "/api/v1/visitors",
            &g,
            json!({"name": "钱某", "id_number": BANNED_ID, "reason": "找人", "watchlist_decision": "ask_office"}),
        )
        .await;
    assert_eq!(r.code(), "visitor_banned");
    let r = app
        .post(&format!("/api/v1/visitors/{vid}/check-out"), &g, json!({}))
        .await;
    assert_eq!(r.code(), "visitor_not_admitted");
    let r = app.get("/api/v1/visitors?flagged=true", &office).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    let r = app.get("/api/v1/dashboard", &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let on_campus_figure = r.body["visitors"]["on_campus"].as_u64().unwrap();
    let r = app
        .get("/api/v1/visitors?on_campus=true&limit=200", &office)
        .await;
    assert_eq!(
        on_campus_figure,
        r.body["items"].as_array().unwrap().len() as u64,
        "refused attempts are not counted on campus"
    );

    // Someone else is not flagged; an entry taken off no longer matches.
    let r = app
        .post(
            "/api/v1/visitors",
            &g,
            json!({"name": "李四", "id_number": ID_NUMBER, "reason": "送货"}),
        )
        .await;
    assert!(r.body["warning"].is_null());
    let r = app
        .patch(
            &format!("/api/v1/watchlist/{entry}"),
            &office,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            "/api/v1/visitors",
            &g,
            json!({"name": "钱某", "id_number": BANNED_ID, "reason": "找人"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body["warning"].is_null());
    // Only the office manages the list.
    let r = app
        .post(
            "/api/v1/watchlist",
            &g,
            json!({"name": "x", "phone": "13800000000", "category": "suspicious", "note": ""}),
        )
        .await;
    assert_eq!(r.code(), "forbidden_role");
}

#[tokio::test]
async fn expected_visitors_are_checked_in_with_one_tap() {
    let app = spawn_app().await;
    let t1 = app.token("teacher1").await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m-%d")
        .to_string();
    let r = app
        .post(
            "/api/v1/expected-visitors",
            &t1,
            json!({"name": "周丽华", "phone": "13912345678", "id_number": ID_NUMBER,
                   "reason": "家长会", "host": "李雪梅", "expected_date": today}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    no_full_id(&r.text);
    let eid = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            "/api/v1/expected-visitors",
            &t1,
            json!({"name": "x", "reason": "x", "host": "x", "expected_date": "2020-01-01"}),
        )
        .await;
    assert_eq!(r.code(), "validation_failed");

    let g = app.token("guard1").await;
    let r = app.get("/api/v1/expected-visitors", &g).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    no_full_id(&r.text);
    let list = r.body.as_array().unwrap();
    let mine = list
        .iter()
        .find(|e| e["id"] == eid.as_str())
        .expect("listed today");
    assert!(mine["visitor_id"].is_null());

    let r = app
        .post(
            &format!("/api/v1/expected-visitors/{eid}/check-in"),
            &g,
            json!({"gate": "南门"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    no_full_id(&r.text);
    assert_eq!(r.body["visitor"]["name"], "周丽华");
    assert_eq!(r.body["visitor"]["id_number_masked"], "**************123X");
    assert_eq!(r.body["visitor"]["expected_visitor_id"], eid.as_str());
    let r = app
        .post(
            &format!("/api/v1/expected-visitors/{eid}/check-in"),
            &g,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "already_checked_in");
    let r = app.get("/api/v1/expected-visitors", &g).await;
    let mine = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == eid.as_str())
        .cloned();
    assert!(mine.unwrap()["visitor_id"].is_string());

    // End of the day: everyone still on campus is signed out.
    app.post(
        "/api/v1/visitors",
        &g,
        json!({"name": "王五", "reason": "维修"}),
    )
    .await;
    let before = app.get("/api/v1/visitors?on_campus=true", &g).await;
    let before = before.body["items"].as_array().unwrap().len();
    assert!(before >= 2);
    let r = app
        .post("/api/v1/visitors/check-out-all", &g, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["checked_out"], before);
    let r = app.get("/api/v1/visitors?on_campus=true", &g).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.audit("action=visitor.check_out_all").await.len(), 1);
}

#[tokio::test]
async fn a_suspicious_visitor_waits_for_the_office_and_only_the_office_lets_them_in() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let g = app.token("guard1").await;
    let r = app
        .post(
            "/api/v1/watchlist",
            &office,
            json!({"name": "某男子", "phone": "13711112222", "category": "suspicious", "note": "多次在校门口徘徊"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let person = json!({"name": "张某", "phone": "13711112222", "reason": "找人", "gate": "南门"});
    let with = |d: &str| {
        let mut b = person.clone();
        b["watchlist_decision"] = json!(d);
        b
    };

    // First the guard must choose: nothing is let in, nothing recorded yet.
    let r = app.post("/api/v1/visitors", &g, person.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "visitor_suspicious");
    let r = app.get("/api/v1/visitors?flagged=true", &office).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0);
    let r = app.post("/api/v1/visitors", &g, with("let_in")).await;
    assert_eq!(r.code(), "validation_failed");

    // 拒绝入校: recorded as refused, flagged, never on campus.
    let r = app.post("/api/v1/visitors", &g, with("refuse")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["warning"]["category"], "suspicious");
    assert_eq!(r.body["visitor"]["status"], "refused");
    assert_eq!(r.body["visitor"]["on_campus"], false);

    // 请示保卫处: pending, not on campus, and the guard cannot decide.
    let r = app.post("/api/v1/visitors", &g, with("ask_office")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["visitor"]["status"], "pending");
    assert_eq!(r.body["visitor"]["on_campus"], false);
    let vid = r.body["visitor"]["id"].as_str().unwrap().to_owned();
    let r = app.get("/api/v1/visitors?on_campus=true", &g).await;
    assert!(!ids(&r.body["items"]).contains(&vid));
    let r = app.get("/api/v1/visitors?status=pending", &office).await;
    assert_eq!(ids(&r.body["items"]), vec![vid.clone()]);
    let r = app.get("/api/v1/visitors?status=nonsense", &office).await;
    assert_eq!(r.code(), "invalid_query");
    let decision = format!("/api/v1/visitors/{vid}/decision");
    let r = app
        .post(&decision, &g, json!({"admit": true, "reason": "我认识他"}))
        .await;
    assert_eq!(r.code(), "forbidden_role");
    let r = app
        .post(&decision, &office, json!({"admit": true, "reason": "  "}))
        .await;
    assert_eq!(r.code(), "validation_failed");

    // The office lets the person in: who and why are kept, and audited.
    let r = app
        .post(
            &decision,
            &office,
            json!({"admit": true, "reason": "已电话核实:来校参加家长会"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "admitted");
    assert_eq!(r.body["on_campus"], true);
    assert_eq!(r.body["decision_reason"], "已电话核实:来校参加家长会");
    assert_eq!(r.body["decided_by"], app.user_id("office").await.as_str());
    assert!(r.body["decided_at"].is_string());
    let audit = app
        .audit(&format!("action=visitor.override_admit&entity_id={vid}"))
        .await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    let r = app.get("/api/v1/visitors?on_campus=true", &g).await;
    assert!(ids(&r.body["items"]).contains(&vid));
    let r = app
        .post(
            &decision,
            &office,
            json!({"admit": false, "reason": "改主意"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "visitor_not_pending");

    // A refusal by the office is kept the same way.
    let r = app.post("/api/v1/visitors", &g, with("ask_office")).await;
    let vid2 = r.body["visitor"]["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/visitors/{vid2}/decision"),
            &office,
            json!({"admit": false, "reason": "无法说明来意"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "refused");
    assert_eq!(r.body["on_campus"], false);
    assert_eq!(app.audit("action=visitor.refuse").await.len(), 1);
    let r = app.get("/api/v1/visitors?flagged=true", &office).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 3);
}
