//! The equipment registry beyond fire equipment (安防器材 and 报警装置): the security kinds'
//! evidence rules and categories, the category filter, the responsible person, alarm tests
//! (whether the alarm reached the receiving end, overdue tests, a failed test raising a
//! hazard), who may edit, and the ledger's 安防器材 sheet.

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Cursor;
use xiaoan_api_tests::*;

fn day(offset: i64) -> String {
    (school_today() + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

async fn building(app: &TestApp) -> String {
    let t = app.token("office").await;
    let r = app
        .post(
            "/api/v1/fire/buildings",
            &t,
            json!({"name": format!("门卫室{}", xiaoan_api_tests::build::unique())}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn item(app: &TestApp, building_id: &str, kind: &str, name: &str, extra: Value) -> Value {
    let t = app.token("office").await;
    let mut body = json!({
        "building_id": building_id, "kind": kind, "name": name,
        "location": "门卫室", "responsible": "保卫处"
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app.post("/api/v1/fire/items", &t, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

async fn board(app: &TestApp, query: &str) -> Value {
    let t = app.token("office").await;
    let r = app.get(&format!("/api/v1/fire/board{query}"), &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["id"]
                .as_str()
                .or(i["item_id"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
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

fn has(r: &Resp, field: &str, code: &str) -> bool {
    field_codes(r).contains(&(field.to_owned(), code.to_owned()))
}

#[tokio::test]
async fn security_kinds_need_their_evidence_and_filter_by_category() {
    let app = spawn_app().await;
    let b = building(&app).await;
    let extinguisher = item(
        &app,
        &b,
        "extinguisher",
        "灭火器 M-01",
        json!({"expiry_date": day(900)}),
    )
    .await;
    let mut security = Vec::new();
    for (kind, name, period) in [
        ("riot_gear", "防暴钢叉 2 把", "quarterly"),
        ("camera", "校门监控", "monthly"),
        ("alarm_button", "一键报警按钮", "monthly"),
        ("access_control", "人行门禁", "monthly"),
        ("radio", "对讲机 01", "weekly"),
    ] {
        let it = item(&app, &b, kind, name, json!({})).await;
        assert_eq!(it["kind"], kind);
        assert_eq!(it["category"], "security", "{kind}");
        assert_eq!(it["period"], period, "{kind}");
        assert_eq!(it["requires"]["pressure"], false, "{kind}");
        assert_eq!(it["requires"]["photo"], true, "{kind}");
        assert_eq!(it["requires"]["test"], kind != "riot_gear", "{kind}");
        assert_eq!(it["requires"]["alarm_reached"], kind == "alarm_button");
        assert_eq!(it["status"], "due", "never checked");
        assert_eq!(it["overdue"], true, "never checked");
        security.push(it);
    }
    assert_eq!(extinguisher["category"], "fire");
    assert_eq!(extinguisher["requires"]["alarm_reached"], false);

    let guard = app.token("guard1").await;
    let photo = app.upload_photo("guard1").await;
    let check = |it: &Value| format!("/api/v1/fire/items/{}/checks", it["id"].as_str().unwrap());
    let (gear, camera, button, access, radio) = (
        &security[0],
        &security[1],
        &security[2],
        &security[3],
        &security[4],
    );
    // A camera, an alarm button, access control and a radio: a function test and a photo.
    for it in [camera, button, access, radio] {
        let r = app.post(&check(it), &guard, json!({"result": "ok"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(has(&r, "test_passed", "required"), "{}", r.text);
        assert!(has(&r, "attachment_ids", "required"), "{}", r.text);
        // A failed function test is not ok.
        let r = app
            .post(
                &check(it),
                &guard,
                json!({"result": "ok", "test_passed": false, "attachment_ids": [photo]}),
            )
            .await;
        assert!(
            has(&r, "test_passed", "test_failed_marked_ok"),
            "{}",
            r.text
        );
    }
    // Riot gear: a photo, and no function test.
    let r = app
        .post(
            &check(gear),
            &guard,
            json!({"result": "ok", "test_passed": true, "attachment_ids": [photo]}),
        )
        .await;
    assert!(has(&r, "test_passed", "not_applicable"), "{}", r.text);
    let r = app
        .post(&check(gear), &guard, json!({"result": "ok"}))
        .await;
    assert!(has(&r, "attachment_ids", "required"), "{}", r.text);
    // Only an alarm device records whether the alarm reached the receiving end.
    let r = app
        .post(
            &check(camera),
            &guard,
            json!({"result": "ok", "test_passed": true, "alarm_reached": true, "attachment_ids": [photo]}),
        )
        .await;
    assert!(has(&r, "alarm_reached", "not_applicable"), "{}", r.text);
    let r = app
        .post(
            &check(gear),
            &guard,
            json!({"result": "ok", "attachment_ids": [photo]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let photo2 = app.upload_photo("guard1").await;
    let r = app
        .post(
            &check(camera),
            &guard,
            json!({"result": "ok", "test_passed": true, "note": "画面清晰", "attachment_ids": [photo2]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body["alarm_reached"].is_null());

    // Read back: checked items are normal, and their next check is one period on.
    let r = app
        .get(
            &format!("/api/v1/fire/items/{}", camera["id"].as_str().unwrap()),
            &guard,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "normal");
    assert_eq!(r.body["overdue"], false);
    assert_eq!(r.body["checks"][0]["test_passed"], true);
    let next = (school_today() + chrono::Months::new(1))
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(r.body["next_check_due"], next.as_str());

    // The category filter: the board, its counts and the labels.
    let bd = board(&app, &format!("?building_id={b}&category=security")).await;
    let mut want: Vec<String> = security
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let mut got = ids(&bd["items"]);
    want.sort();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(bd["counts"]["normal"], 2);
    assert_eq!(bd["counts"]["due"], 3);
    assert_eq!(bd["counts"]["overdue"], 3);
    let bd = board(&app, &format!("?building_id={b}&category=fire")).await;
    assert_eq!(
        ids(&bd["items"]),
        vec![extinguisher["id"].as_str().unwrap()]
    );
    // Every item on the whole board, the demo's included, is in the category asked for.
    let all = board(&app, "?category=security").await;
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["category"] == "security")
    );
    let office = app.token("office").await;
    let r = app.get("/api/v1/fire/board?category=police", &office).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(has(&r, "category", "invalid"));
    let r = app
        .get(
            &format!("/api/v1/fire/labels?building_id={b}&category=security"),
            &office,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut labels = ids(&r.body);
    labels.sort();
    assert_eq!(labels, want);
    assert!(
        r.body
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["category"] == "security" && l["qr_svg"].as_str().unwrap().contains("<svg"))
    );
    let r = app.get("/api/v1/fire/labels?category=x", &office).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // An unknown kind names the kinds there are, in Chinese.
    let r = app
        .post(
            "/api/v1/fire/items",
            &office,
            json!({"building_id": b, "kind": "drone", "name": "无人机", "location": "操场", "responsible": "保卫处"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("一键报警按钮"), "{}", r.text);
}

#[tokio::test]
async fn the_office_sets_the_responsible_person_and_others_may_not_edit() {
    let app = spawn_app().await;
    let school = app.school().await;
    let b = building(&app).await;
    let guard = &school.guard;
    let it = item(
        &app,
        &b,
        "radio",
        "对讲机 07",
        json!({"responsible": "", "responsible_user_id": guard.id}),
    )
    .await;
    let id = it["id"].as_str().unwrap();
    assert_eq!(it["responsible_user_id"], guard.id.as_str());
    assert_eq!(it["responsible_user_name"], guard.display_name.as_str());
    assert_eq!(it["responsible"], "");

    let office = app.token("office").await;
    let body = |extra: Value| {
        let mut b =
            json!({"building_id": b, "kind": "radio", "name": "对讲机 07", "location": "巡逻岗"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    // Neither an account nor a name: no responsible person.
    let r = app
        .post("/api/v1/fire/items", &office, body(json!({})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(has(&r, "responsible", "required"), "{}", r.text);
    // A student (a safety officer's account) or an unknown account is not a responsible person.
    let officer = app.new_safety_officer(&school.a).await;
    for uid in [officer.id.clone(), uuid::Uuid::now_v7().to_string()] {
        let r = app
            .put(
                &format!("/api/v1/fire/items/{id}"),
                &office,
                body(json!({"responsible_user_id": uid})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(has(&r, "responsible_user_id", "not_found"), "{}", r.text);
    }

    // The office hands it to a teacher (staff); the name shows, and the audit has it.
    let teacher = &school.a.teacher;
    let r = app
        .put(
            &format!("/api/v1/fire/items/{id}"),
            &office,
            body(json!({"responsible_user_id": teacher.id, "responsible": "巡逻岗"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .get(
            &format!("/api/v1/fire/items/{id}"),
            &app.token("guard1").await,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["responsible_user_id"], teacher.id.as_str());
    assert_eq!(
        r.body["responsible_user_name"],
        teacher.display_name.as_str()
    );
    assert_eq!(r.body["responsible"], "巡逻岗");
    let audit = app.audit("action=fire_item.update").await;
    assert!(
        audit
            .iter()
            .any(|a| a["changes"]["responsible_user_id"] == teacher.id.as_str()),
        "{audit:?}"
    );

    // Being responsible for a radio does not make a class teacher an editor, nor a reader; a
    // guard records checks but does not edit items.
    for token in [&teacher.token, &guard.token] {
        let r = app
            .put(
                &format!("/api/v1/fire/items/{id}"),
                token,
                body(json!({"responsible": "我"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let r = app
            .post(
                "/api/v1/fire/items",
                token,
                body(json!({"responsible": "我"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let r = app
            .put(
                &format!("/api/v1/fire/items/{id}/retired"),
                token,
                json!({"retired": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    }
    let r = app
        .get("/api/v1/fire/board?category=security", &teacher.token)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let photo = app.upload_photo("guard1").await;
    let r = app
        .post(
            &format!("/api/v1/fire/items/{id}/checks"),
            &teacher.token,
            json!({"result": "ok", "test_passed": true, "attachment_ids": [photo]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Unchanged by the refused calls.
    let r = app.get(&format!("/api/v1/fire/items/{id}"), &office).await;
    assert_eq!(r.body["responsible"], "巡逻岗");
    assert!(r.body["retired_at"].is_null());
}

#[tokio::test]
async fn alarm_tests_show_when_last_tested_and_a_failed_test_raises_a_security_hazard() {
    let app = spawn_app().await;
    let b = building(&app).await;
    let button = item(&app, &b, "alarm_button", "一键报警按钮 实训楼", json!({})).await;
    let untested = item(&app, &b, "alarm_button", "一键报警按钮 图书馆", json!({})).await;
    let fire_alarm = item(&app, &b, "alarm", "烟感 实训楼", json!({})).await;
    let radio = item(&app, &b, "radio", "对讲机 03", json!({})).await;
    let id = button["id"].as_str().unwrap();
    let check = format!("/api/v1/fire/items/{id}/checks");
    let guard = app.token("guard2").await;
    let photo = app.upload_photo("guard2").await;

    // The test passed and the alarm reached the duty room.
    let r = app
        .post(
            &check,
            &guard,
            json!({"result": "ok", "test_passed": true, "alarm_reached": true,
                   "note": "值班室报警主机响铃", "attachment_ids": [photo]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["alarm_reached"], true);
    // A fire alarm is an alarm device too; recording whether it reached is optional.
    let photo2 = app.upload_photo("guard2").await;
    let r = app
        .post(
            &format!(
                "/api/v1/fire/items/{}/checks",
                fire_alarm["id"].as_str().unwrap()
            ),
            &guard,
            json!({"result": "ok", "test_passed": true, "alarm_reached": true, "attachment_ids": [photo2]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // The office's alarm view: alarm devices only, when each was last tested, which are
    // overdue.
    let bd = board(&app, &format!("?building_id={b}&alarm=true")).await;
    let mut got = ids(&bd["items"]);
    got.sort();
    let mut want = vec![
        id.to_owned(),
        untested["id"].as_str().unwrap().to_owned(),
        fire_alarm["id"].as_str().unwrap().to_owned(),
    ];
    want.sort();
    assert_eq!(got, want, "the radio is not an alarm device");
    assert!(!got.contains(&radio["id"].as_str().unwrap().to_owned()));
    let tested = bd["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap();
    assert_eq!(tested["overdue"], false);
    assert_eq!(tested["last_check"]["test_passed"], true);
    assert_eq!(tested["last_check"]["alarm_reached"], true);
    assert!(tested["last_check"]["checked_at"].is_string());
    assert_eq!(bd["counts"]["overdue"], 1);
    let bd = board(&app, &format!("?building_id={b}&alarm=true&overdue=true")).await;
    assert_eq!(ids(&bd["items"]), vec![untested["id"].as_str().unwrap()]);
    assert_eq!(bd["items"][0]["overdue"], true);
    assert!(bd["items"][0]["last_check"].is_null());

    // Not reaching the receiving end is a failure, not an ok.
    let photo3 = app.upload_photo("guard2").await;
    let r = app
        .post(
            &check,
            &guard,
            json!({"result": "ok", "test_passed": true, "alarm_reached": false, "attachment_ids": [photo3]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        has(&r, "alarm_reached", "alarm_not_reached_marked_ok"),
        "{}",
        r.text
    );
    let r = app
        .post(
            &check,
            &guard,
            json!({"result": "failed", "test_passed": true, "alarm_reached": false,
                   "note": "按下后值班室未收到报警", "attachment_ids": [photo3]}),
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
    assert_eq!(h.body["category"], "security");
    assert_eq!(h.body["source"], "fire_equipment");
    assert_eq!(h.body["status"], "reported");
    let description = h.body["description"].as_str().unwrap();
    assert!(
        description.contains("一键报警按钮「一键报警按钮 实训楼」"),
        "{description}"
    );
    assert!(
        description.contains("报警信号未传到接收端"),
        "{description}"
    );
    let list = app.get("/api/v1/hazards?category=security", &office).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.text.contains(&hazard_id));
    let bd = board(&app, &format!("?building_id={b}&status=failed")).await;
    assert_eq!(ids(&bd["items"]), vec![id]);
    assert_eq!(bd["items"][0]["last_check"]["alarm_reached"], false);

    // A failed function test raises a hazard the same way (the open one is joined).
    let photo4 = app.upload_photo("guard2").await;
    let r = app
        .post(
            &check,
            &guard,
            json!({"result": "failed", "test_passed": false, "note": "按钮无反应", "attachment_ids": [photo4]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["hazard_id"], hazard_id.as_str());

    // The ledger's 安防器材 sheet lists the items and today's checks.
    let (status, _, bytes) = app
        .get_bytes(
            &format!("/api/v1/ledger/xlsx?from={}&to={}", day(0), day(0)),
            Some(&office),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let sheet = wb.worksheet_range("安防器材").expect("安防器材 sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(Data::to_string).collect())
        .collect();
    assert_eq!(rows[0][0], "类型");
    let mine: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[1] == "一键报警按钮 实训楼")
        .collect();
    assert_eq!(mine.len(), 3, "{mine:?}");
    assert!(
        mine.iter()
            .all(|r| r[0] == "一键报警按钮" && r[6] == "每月")
    );
    assert!(
        mine.iter()
            .any(|r| r[9] == "不合格" && r[12] == "否" && r[15] == "已生成隐患"),
        "{mine:?}"
    );
    assert!(mine.iter().any(|r| r[9] == "正常" && r[12] == "是"));
    let never = rows
        .iter()
        .find(|r| r[1] == "一键报警按钮 图书馆")
        .expect("an untested item still has its row");
    assert_eq!(never[9], "本期无检查记录");
    // The fire alarm is fire equipment: on the other sheet.
    assert!(!rows.iter().any(|r| r[1] == "烟感 实训楼"));
    let fire = wb.worksheet_range("消防器材").expect("消防器材 sheet");
    assert!(
        fire.rows()
            .any(|r| r[1] == Data::String("烟感 实训楼".into()))
    );
}

#[tokio::test]
async fn an_expired_security_item_raises_a_security_hazard_once() {
    let app = spawn_app().await;
    let b = building(&app).await;
    let it = item(
        &app,
        &b,
        "riot_gear",
        "防刺背心 2 件",
        json!({"install_date": day(-2000), "expiry_date": day(-1)}),
    )
    .await;
    let id = it["id"].as_str().unwrap();
    let bd = board(&app, &format!("?building_id={b}&category=security")).await;
    let on = &bd["items"][0];
    assert_eq!(on["id"], id);
    assert_eq!(on["status"], "expired");
    let hazard_id = on["expired_hazard_id"]
        .as_str()
        .expect("expired raises a hazard")
        .to_owned();
    let office = app.token("office").await;
    let h = app
        .get(&format!("/api/v1/hazards/{hazard_id}"), &office)
        .await;
    assert_eq!(h.body["category"], "security");
    assert!(h.body["description"].as_str().unwrap().contains("防暴器材"));
    board(&app, "").await;
    assert_eq!(
        app.sql_count("SELECT COUNT(*) AS n FROM hazards WHERE description LIKE '%防刺背心 2 件%'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_demo_school_has_security_equipment_with_one_overdue_alarm_test() {
    let app = spawn_app().await;
    let bd = board(&app, "?alarm=true&category=security").await;
    let items = bd["items"].as_array().unwrap();
    let gate = items
        .iter()
        .find(|i| i["name"] == "一键报警按钮 门卫室")
        .expect("the gate's alarm button");
    assert_eq!(gate["overdue"], false);
    assert_eq!(gate["last_check"]["alarm_reached"], true);
    assert_eq!(
        gate["responsible_user_name"],
        app.me("guard1").await["display_name"]
    );
    let overdue: Vec<&Value> = items.iter().filter(|i| i["overdue"] == true).collect();
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0]["name"], "一键报警按钮 宿舍值班室");
    let all = board(&app, "?category=security").await;
    for kind in [
        "riot_gear",
        "camera",
        "alarm_button",
        "access_control",
        "radio",
    ] {
        assert!(
            all["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["kind"] == kind),
            "no demo {kind}"
        );
    }
}
