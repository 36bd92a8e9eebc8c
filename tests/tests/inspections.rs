//! Inspections: built-in templates, own-class submissions, one per period, amendments,
//! automatic hazards, spot-check discrepancies, compliance and "my checks due".

use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

async fn traffic(app: &TestApp) -> Value {
    app.template("traffic_weekly").await
}

#[tokio::test]
async fn built_in_templates_exist_in_every_database() {
    // No demo data: the built-ins come with the schema, not with the demo school.
    let bare = spawn_app_with(AppOptions { demo: false }, |_| {}).await;
    assert_eq!(
        bare.sql_count("SELECT COUNT(*) AS n FROM inspection_templates WHERE is_builtin")
            .await,
        4
    );

    let app = spawn_app().await;
    let teacher = app.token("teacher1").await;
    let r = app.get("/api/v1/inspection-templates", &teacher).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let codes: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    for code in [
        "traffic_weekly",
        "fire_monthly",
        "self_inspection_monthly",
        "patrol_daily",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    let t = traffic(&app).await;
    assert_eq!(t["name"], "交通安全检查");
    assert_eq!(t["frequency"], "weekly");
    assert_eq!(t["target_kind"], "class");
    assert_eq!(t["submitter_role"], "class_teacher");
    assert!(
        t["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["text"] == "无学生在校园内骑车")
    );
    let patrol = app.template("patrol_daily").await;
    assert_eq!(patrol["submitter_role"], "guard");
    assert_eq!(patrol["frequency"], "daily");
}

#[tokio::test]
async fn class_teacher_submits_own_class_once_per_week_and_amends() {
    let app = spawn_app().await;
    let t1 = app.token("teacher1").await;
    let class1 = app.own_class_id("teacher1").await;
    let class2 = app.own_class_id("teacher2").await;
    let tpl = traffic(&app).await;

    // Not own class.
    let r = app
        .post(
            "/api/v1/inspections",
            &t1,
            json!({"template_id": tpl["id"], "class_id": class2, "all_passed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "not_own_class");

    // "All passed" in one request.
    let r = app
        .post(
            "/api/v1/inspections",
            &t1,
            json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let first = r.body.clone();
    assert_eq!(first["score"], 100.0);
    assert_eq!(first["passed_count"], 6);
    assert_eq!(first["version"], 1);
    assert_eq!(first["template_version"], 1);
    assert!(first["period"].as_str().unwrap().contains("-W"));
    assert_eq!(first["is_late"], false);

    // A second one for the same week is refused.
    let r = app
        .post(
            "/api/v1/inspections",
            &t1,
            json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "already_submitted");

    // An explicit amendment is a new version; the old one is kept.
    let id = first["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/inspections/{id}/amendments"),
            &t1,
            json!({"all_passed": true, "answers": [{"item_key": "t1", "result": "fail", "note": "班会改到下周"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let second = r.body.clone();
    assert_eq!(second["version"], 2);
    assert_eq!(second["root_id"], first["id"]);
    // Weights 2,3,2,2,3,2: failing t1 (2) leaves 12/14.
    assert_eq!(second["score"], 85.7);
    assert_eq!(second["hazard_ids"].as_array().unwrap().len(), 1);

    let old = app.get(&format!("/api/v1/inspections/{id}"), &t1).await;
    assert_eq!(old.status, StatusCode::OK);
    assert_eq!(old.body["is_current"], false);
    assert_eq!(old.body["superseded_by_id"], second["id"]);
    assert_eq!(old.body["score"], 100.0);
    assert_eq!(old.body["versions"].as_array().unwrap().len(), 2);

    // Amending the old version again is refused.
    let r = app
        .post(
            &format!("/api/v1/inspections/{id}/amendments"),
            &t1,
            json!({"all_passed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "submission_superseded");

    // The list shows the current version only, unless asked.
    let list = app
        .get(&format!("/api/v1/inspections?class_id={class1}"), &t1)
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let list = app
        .get(
            &format!("/api/v1/inspections?class_id={class1}&include_superseded=true"),
            &t1,
        )
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);

    // Another teacher cannot read it.
    let t2 = app.token("teacher2").await;
    let r = app.get(&format!("/api/v1/inspections/{id}"), &t2).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    assert_eq!(app.audit("action=inspection.submit").await.len(), 1);
    let amend = app.audit("action=inspection.amend").await;
    assert_eq!(amend.len(), 1);
    assert_eq!(amend[0]["entity_id"], second["id"]);
}

#[tokio::test]
async fn answers_and_periods_are_validated() {
    let app = spawn_app().await;
    let t1 = app.token("teacher1").await;
    let class1 = app.own_class_id("teacher1").await;
    let tpl = traffic(&app).await;
    let post = |body: Value| {
        let app = &app;
        let t1 = t1.clone();
        async move { app.post("/api/v1/inspections", &t1, body).await }
    };
    // Missing items without all_passed.
    let r = post(json!({"template_id": tpl["id"], "class_id": class1, "answers": [{"item_key": "t1", "result": "pass"}]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "answers.t2")
    );
    // Unknown item.
    let r = post(json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true, "answers": [{"item_key": "zz", "result": "pass"}]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A failed item that needs a photo.
    let r = post(json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true, "answers": [{"item_key": "t2", "result": "fail"}]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["code"] == "photo_required")
    );
    let before = app
        .sql_count("SELECT COUNT(*) AS n FROM inspection_submissions")
        .await;
    // Periods: bad format, wrong frequency, future.
    for (period, code) in [
        ("2026-48", "invalid"),
        ("2026-11", "frequency_mismatch"),
        ("2099-W01", "in_future"),
        ("2026-W60", "invalid"),
    ] {
        let r = post(json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true, "period": period})).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{period}: {}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["code"], code, "{period}");
    }
    // A past week is accepted, and is late.
    let r = post(json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true, "period": "2026-W01"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["is_late"], true);
    assert_eq!(r.body["period"], "2026-W01");
    // A guard cannot submit a class teacher's check.
    let g = app.token("guard1").await;
    let r = app
        .post(
            "/api/v1/inspections",
            &g,
            json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "wrong_submitter_role");
    // Nothing was stored by the refused attempts.
    let after = app
        .sql_count("SELECT COUNT(*) AS n FROM inspection_submissions")
        .await;
    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn failed_items_create_hazards_in_the_same_submission() {
    let app = spawn_app().await;
    let t1 = app.token("teacher1").await;
    let class1 = app.own_class_id("teacher1").await;
    let tpl = traffic(&app).await;
    let photo = app.upload_photo("teacher1").await;
    let r = app
        .post(
            "/api/v1/inspections",
            &t1,
            json!({
                "template_id": tpl["id"], "class_id": class1, "all_passed": true,
                "answers": [
                    {"item_key": "t2", "result": "fail", "note": "两名学生在操场骑车", "attachment_ids": [photo]},
                    {"item_key": "t6", "result": "na"}
                ]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // Applicable weights 2,3,2,2,3 = 12; t2 (3) failed: 9/12.
    assert_eq!(r.body["score"], 75.0);
    assert_eq!(r.body["failed_count"], 1);
    assert_eq!(r.body["na_count"], 1);
    let hazards = r.body["hazard_ids"].as_array().unwrap();
    assert_eq!(hazards.len(), 1);
    let h = app
        .get(
            &format!("/api/v1/hazards/{}", hazards[0].as_str().unwrap()),
            &t1,
        )
        .await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text);
    assert_eq!(h.body["source"], "inspection");
    assert_eq!(h.body["status"], "reported");
    assert_eq!(h.body["category"], "traffic");
    assert_eq!(h.body["class_id"], class1.as_str());
    assert_eq!(h.body["submission_id"], r.body["id"]);
    assert_eq!(h.body["item_key"], "t2");
    assert_eq!(h.body["photo_ids"][0], photo.as_str());
    assert!(
        h.body["description"]
            .as_str()
            .unwrap()
            .contains("无学生在校园内骑车")
    );
    assert_eq!(h.body["history"][0]["action"], "report");
    let hid = hazards[0].as_str().unwrap();
    let audit = app
        .audit(&format!("action=hazard.report&entity_id={hid}"))
        .await;
    assert_eq!(audit.len(), 1);
}

#[tokio::test]
async fn spot_check_flags_discrepancies_with_the_class_own_check() {
    let app = spawn_app().await;
    let t1 = app.token("teacher1").await;
    let office = app.token("office").await;
    let class1 = app.own_class_id("teacher1").await;
    let tpl = traffic(&app).await;
    let own = app
        .post("/api/v1/inspections", &t1, json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true, "answers": [{"item_key": "t4", "result": "fail"}]}))
        .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.text);

    // A class teacher not on duty cannot spot-check.
    let t2 = app.token("teacher2").await;
    let r = app
        .post(
            "/api/v1/inspections/spot-checks",
            &t2,
            json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "not_on_duty");

    // The office spot-checks: t1 failed (the class said pass) is a discrepancy; t4 failed
    // both times is not.
    let r = app
        .post(
            "/api/v1/inspections/spot-checks",
            &office,
            json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true,
                   "answers": [{"item_key": "t1", "result": "fail"}, {"item_key": "t4", "result": "fail"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["kind"], "spot_check");
    assert_eq!(r.body["discrepancy_count"], 1);
    assert_eq!(r.body["discrepancies"], json!(["t1"]));
    assert_eq!(r.body["period"], own.body["period"]);
    let spot_id = r.body["id"].as_str().unwrap().to_owned();

    let list = app
        .get(
            &format!("/api/v1/inspections?has_discrepancy=true&class_id={class1}"),
            &office,
        )
        .await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], spot_id.as_str());
    // The class teacher sees the spot-check of own class.
    let r = app
        .get(&format!("/api/v1/inspections/{spot_id}"), &t1)
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // When the class amends its check to admit t1, the flag goes away.
    let own_id = own.body["id"].as_str().unwrap();
    let r = app
        .post(&format!("/api/v1/inspections/{own_id}/amendments"), &t1,
              json!({"all_passed": true, "answers": [{"item_key": "t1", "result": "fail"}, {"item_key": "t4", "result": "fail"}]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .get(&format!("/api/v1/inspections/{spot_id}"), &office)
        .await;
    assert_eq!(r.body["discrepancy_count"], 0);

    // Only class templates can be spot-checked.
    let fire = app.template("fire_monthly").await;
    let r = app
        .post(
            "/api/v1/inspections/spot-checks",
            &office,
            json!({"template_id": fire["id"], "class_id": class1, "all_passed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.audit("action=inspection.spot_check").await.len(), 1);
}

#[tokio::test]
async fn compliance_and_my_checks_due() {
    let app = spawn_app().await;
    let t1 = app.token("teacher1").await;
    let office = app.token("office").await;
    let class1 = app.own_class_id("teacher1").await;
    let tpl = traffic(&app).await;

    let due = app.get("/api/v1/inspections/due", &t1).await;
    assert_eq!(due.status, StatusCode::OK, "{}", due.text);
    let current = due
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["template_code"] == "traffic_weekly" && d["status"] == "due")
        .cloned()
        .expect("traffic check due");
    assert_eq!(current["class_id"], class1.as_str());

    let c = app
        .get(
            "/api/v1/inspections/compliance?template_code=traffic_weekly",
            &office,
        )
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    let num = |v: &Value, k: &str| v[k].as_u64().unwrap();
    let (submitted, missing) = (num(&c.body, "submitted"), num(&c.body, "missing"));
    assert_eq!(submitted + missing + num(&c.body, "late"), 5);
    assert!(missing >= 1);

    let r = app
        .post(
            "/api/v1/inspections",
            &t1,
            json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let due = app.get("/api/v1/inspections/due", &t1).await;
    assert!(
        due.body
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["template_code"] == "traffic_weekly"
                && d["period"] == current["period"]
                && d["status"] == "submitted")
    );

    let c = app
        .get(
            "/api/v1/inspections/compliance?template_code=traffic_weekly",
            &office,
        )
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    assert_eq!(num(&c.body, "submitted"), submitted + 1);
    assert_eq!(num(&c.body, "missing"), missing - 1);
    let row = c.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["class_id"] == class1.as_str())
        .unwrap();
    assert_eq!(row["status"], "submitted");

    // A late submission for an earlier week counts as late there.
    let r = app
        .post("/api/v1/inspections", &t1, json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true, "period": "2026-W10"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let c = app
        .get(
            "/api/v1/inspections/compliance?template_code=traffic_weekly&period=2026-W10",
            &office,
        )
        .await;
    assert_eq!(c.body["late"], 1);
    assert_eq!(c.body["missing"], 4);
    // Amending a late check does not make it on time.
    let late_id = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/inspections/{late_id}/amendments"),
            &t1,
            json!({"all_passed": true, "note": "补充说明"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["is_late"], true);
    let c = app
        .get(
            "/api/v1/inspections/compliance?template_code=traffic_weekly&period=2026-W10",
            &office,
        )
        .await;
    assert_eq!(c.body["late"], 1);
    let r = app
        .get("/api/v1/inspections/compliance?period=2026-11", &office)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Teachers do not see the school-wide compliance.
    let r = app.get("/api/v1/inspections/compliance", &t1).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A guard's daily patrol is due, by location.
    let g = app.token("guard1").await;
    let due = app.get("/api/v1/inspections/due", &g).await;
    assert!(
        due.body
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["template_code"] == "patrol_daily" && d["status"] == "due")
    );
    let patrol = app.template("patrol_daily").await;
    let r = app
        .post(
            "/api/v1/inspections",
            &g,
            json!({"template_id": patrol["id"], "location": "教学楼A", "all_passed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["location"], "教学楼A");
}

#[tokio::test]
async fn editing_a_template_makes_a_new_version_and_keeps_past_submissions() {
    let app = spawn_app().await;
    let t1 = app.token("teacher1").await;
    let office = app.token("office").await;
    let class1 = app.own_class_id("teacher1").await;
    let v1 = traffic(&app).await;
    let r = app
        .post("/api/v1/inspections", &t1, json!({"template_id": v1["id"], "class_id": class1, "all_passed": true, "period": "2026-W40"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let sub_id = r.body["id"].as_str().unwrap().to_owned();

    let mut items: Vec<Value> = v1["items"].as_array().unwrap().iter()
        .map(|i| json!({"key": i["key"], "text": i["text"], "text_en": i["text_en"], "weight": i["weight"], "photo_required_on_fail": i["photo_required_on_fail"]}))
        .collect();
    items.push(json!({"text": "校门口接送车辆有序停放", "weight": 1}));
    let r = app
        .put(
            &format!(
                "/api/v1/inspection-templates/{}",
                v1["id"].as_str().unwrap()
            ),
            &office,
            json!({"name": "交通安全检查", "submitter_role": "class_teacher", "items": items}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["code"], "traffic_weekly");
    assert_eq!(r.body["items"].as_array().unwrap().len(), 7);

    // The old submission still points at version 1 and its six items.
    let s = app.get(&format!("/api/v1/inspections/{sub_id}"), &t1).await;
    assert_eq!(s.body["template_id"], v1["id"]);
    assert_eq!(s.body["template_version"], 1);
    assert_eq!(s.body["answers"].as_array().unwrap().len(), 6);
    // The old version can still be read, but not answered or edited.
    let old = app
        .get(
            &format!(
                "/api/v1/inspection-templates/{}",
                v1["id"].as_str().unwrap()
            ),
            &t1,
        )
        .await;
    assert_eq!(old.body["is_current"], false);
    let r = app
        .post(
            "/api/v1/inspections",
            &t1,
            json!({"template_id": v1["id"], "class_id": class1, "all_passed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "template_outdated");
    let r = app
        .put(
            &format!(
                "/api/v1/inspection-templates/{}",
                v1["id"].as_str().unwrap()
            ),
            &office,
            json!({"name": "x", "submitter_role": "class_teacher", "items": [{"text": "x"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let versions = app
        .get("/api/v1/inspection-templates?code=traffic_weekly", &t1)
        .await;
    assert_eq!(versions.body.as_array().unwrap().len(), 2);

    // A custom template from the office.
    let r = app
        .post(
            "/api/v1/inspection-templates",
            &office,
            json!({
                "name": "实训室安全检查", "category": "custom", "target_kind": "location",
                "submitter_role": "security_office", "frequency": "monthly",
                "items": [{"text": "燃气阀门已关闭", "weight": 3, "photo_required_on_fail": true}]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        app.audit("action=inspection_template.update").await.len(),
        1
    );
    assert_eq!(
        app.audit("action=inspection_template.create").await.len(),
        1
    );
}

#[tokio::test]
async fn two_simultaneous_submissions_give_one_check() {
    let app = spawn_app().await;
    let t1 = app.token("teacher1").await;
    let class1 = app.own_class_id("teacher1").await;
    let tpl = traffic(&app).await;
    let body = json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true, "period": "2026-W20"});
    let (a, b) = tokio::join!(
        app.post("/api/v1/inspections", &t1, body.clone()),
        app.post("/api/v1/inspections", &t1, body.clone())
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{} / {}",
        a.text,
        b.text
    );
    let conflict = if a.status == StatusCode::CONFLICT {
        &a
    } else {
        &b
    };
    assert_eq!(conflict.code(), "already_submitted");
    let n = app
        .sql_count("SELECT COUNT(*) AS n FROM inspection_submissions WHERE period = '2026-W20'")
        .await;
    assert_eq!(n, 1);
}
