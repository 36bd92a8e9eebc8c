use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use reqwest::StatusCode;
use serde_json::json;
use std::io::Cursor;
use xiaoan_api_tests::*;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn open(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).expect("the XLSX opens")
}

#[tokio::test]
async fn the_semester_ledger_opens_with_one_sheet_per_category() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let (status, ct, bytes) = app
        .get_bytes("/api/v1/ledger/xlsx?semester=2019-2020-2", Some(&office))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, XLSX);
    let mut wb = open(bytes);
    assert_eq!(
        wb.sheet_names(),
        vec![
            "组织领导",
            "领导小组与职责",
            "责任书签订",
            "安全管理制度",
            "门卫培训",
            "工作计划",
            "值班安排",
            "安全检查",
            "隐患整改",
            "安全活动",
            "疏散清点",
            "会议记录",
            "安全事件",
            "保安体温检测日报",
            "通报",
            "门卫出入",
            "来访登记",
            "安全平台使用督查",
            "消防器材",
            "安防器材",
            "考核-教职工",
            "考核-班级",
            "考核依据",
            "考核权重"
        ]
    );
    let rows = |wb: &mut Xlsx<Cursor<Vec<u8>>>, name: &str| {
        wb.worksheet_range(name).expect("sheet").height()
    };
    // Header row + records.
    assert_eq!(rows(&mut wb, "工作计划"), 1 + 36);
    // 清明 3 days, 劳动节 5, 端午 3, 暑假 52: four shifts a day.
    assert_eq!(rows(&mut wb, "值班安排"), 1 + 4 * (3 + 5 + 3 + 52));
    assert_eq!(rows(&mut wb, "安全活动"), 1 + 7);
    assert_eq!(rows(&mut wb, "会议记录"), 1 + 8);
    assert_eq!(rows(&mut wb, "保安体温检测日报"), 1 + 14);
    assert_eq!(rows(&mut wb, "通报"), 1 + 4);
    assert_eq!(rows(&mut wb, "安全事件"), 1);
    let plan = wb.worksheet_range("工作计划").unwrap();
    assert_eq!(
        plan.get_value((0, 4)),
        Some(&Data::String("工作项目".into()))
    );
    let qm = plan
        .rows()
        .find(|r| r[4] == Data::String("清明节假日值班安排及上报, 山林防火宣传(清明)".into()))
        .expect("清明 row");
    assert_eq!(qm[8], Data::String("校办".into()));
    assert_eq!(qm[9], Data::String("教师群".into()));
    assert!(
        plan.rows()
            .any(|r| r[4] == Data::String("扫黑除恶专项斗争总结".into())
                && r[8] == Data::String("教育局保卫科".into()))
    );
    // The summary agrees with the workbook.
    let s = app
        .get("/api/v1/ledger?semester=2019-2020-2", &office)
        .await
        .body;
    assert_eq!(s["from"], "2020-02-17");
    let duty = s["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == "duty")
        .unwrap();
    assert_eq!(duty["rows"], 4 * 63);
    assert!(s.get("missing_sheets").is_none());
    // Records created now show up in a ledger over now.
    let today = school_today().format("%Y-%m-%d").to_string();
    let g = app.token("guard1").await;
    app.post(
        "/api/v1/health-reports",
        &g,
        json!({"temperature": 36.5, "fit_for_duty": true}),
    )
    .await;
    let (_, _, bytes) = app
        .get_bytes(
            &format!("/api/v1/ledger/xlsx?from={today}&to={today}"),
            Some(&office),
        )
        .await;
    let mut wb = open(bytes);
    assert_eq!(rows(&mut wb, "保安体温检测日报"), 2);
    // Today is in the current semester: its plan's items (and no 2020 item) are in the sheet.
    let cur = app.get("/api/v1/semesters/current", &office).await.body;
    let plans = app
        .get(
            &format!("/api/v1/plans?semester={}", cur["code"].as_str().unwrap()),
            &office,
        )
        .await
        .body;
    let pid = plans["items"][0]["id"].as_str().unwrap().to_owned();
    let items = app.get(&format!("/api/v1/plans/{pid}"), &office).await.body["items"]
        .as_array()
        .unwrap()
        .len();
    assert!(items > 0);
    assert_eq!(rows(&mut wb, "工作计划"), 1 + items);
}

#[tokio::test]
async fn formula_like_text_is_escaped_in_xlsx_and_html() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let guard = app.token("guard1").await;
    // Now, not an hour ago: between 00:00 and 01:00 school time an hour ago is yesterday.
    let now = chrono::Utc::now();
    let r = app
        .post("/api/v1/incidents", &guard, json!({"kind": "other", "occurred_at": now, "place": "=HYPERLINK(\"http://evil.example\",\"点我\")", "severity": "minor", "description": "+1+cmd|' /C calc'!A0", "actions_taken": "@SUM(1)"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    app.post("/api/v1/meetings", &office, json!({"kind": "other", "title": "-2+3", "date": school_today().format("%Y-%m-%d").to_string()})).await;
    let h = app
        .post(
            "/api/v1/hazards",
            &guard,
            json!({"category": "fire", "location": "=教学楼A", "description": "灭火器过期"}),
        )
        .await;
    assert_eq!(h.status, StatusCode::CREATED, "{}", h.text);
    let today = school_today().format("%Y-%m-%d").to_string();
    let (status, _, bytes) = app
        .get_bytes(
            &format!("/api/v1/ledger/xlsx?from={today}&to={today}"),
            Some(&office),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut wb = open(bytes);
    let inc = wb.worksheet_range("安全事件").unwrap();
    assert_eq!(inc.height(), 2);
    assert_eq!(
        inc.get_value((1, 2)),
        Some(&Data::String(
            "'=HYPERLINK(\"http://evil.example\",\"点我\")".into()
        ))
    );
    assert_eq!(
        inc.get_value((1, 4)),
        Some(&Data::String("'+1+cmd|' /C calc'!A0".into()))
    );
    assert_eq!(
        inc.get_value((1, 5)),
        Some(&Data::String("'@SUM(1)".into()))
    );
    let hz = wb.worksheet_range("隐患整改").unwrap();
    // (The demo's checks of this week reported hazards too.)
    let mine = hz
        .rows()
        .find(|r| r[3] == Data::String("灭火器过期".into()))
        .expect("the hazard's row");
    assert_eq!(mine[2], Data::String("'=教学楼A".into()));
    let m = wb.worksheet_range("会议记录").unwrap();
    assert_eq!(m.get_value((1, 2)), Some(&Data::String("'-2+3".into())));
    // Every cell of every sheet: nothing starts with a formula character.
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for cell in row {
                if let Data::String(s) = cell {
                    assert!(!s.starts_with(['=', '+', '-', '@']), "{name}: {s}");
                }
            }
        }
    }
    let (status, ct, html) = app
        .get_bytes(
            &format!("/api/v1/ledger/html?from={today}&to={today}"),
            Some(&office),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"));
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("<h2>安全事件(1 条)</h2>"), "{html}");
    assert!(
        html.contains("&#39;=HYPERLINK(&quot;http://evil.example&quot;"),
        "{html}"
    );
    assert!(!html.contains("<td>=HYPERLINK"));
}

#[tokio::test]
async fn only_the_principal_and_the_office_export_and_exports_are_audited() {
    let app = spawn_app().await;
    for who in ["teacher1", "guard1", "officer1"] {
        let t = app.token(who).await;
        for path in [
            "/api/v1/ledger/xlsx?semester=2019-2020-2",
            "/api/v1/ledger/html?semester=2019-2020-2",
            "/api/v1/ledger?semester=2019-2020-2",
        ] {
            assert_eq!(
                app.get_bytes(path, Some(&t)).await.0,
                StatusCode::FORBIDDEN,
                "{who} {path}"
            );
        }
    }
    assert_eq!(
        app.get_bytes("/api/v1/ledger/xlsx?semester=2019-2020-2", None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert!(app.audit("action=ledger.export").await.is_empty());
    let principal = app.token("principal").await;
    let (status, ct, _) = app
        .get_bytes("/api/v1/ledger/xlsx?semester=2019-2020-2", Some(&principal))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, XLSX);
    let office = app.token("office").await;
    let (status, _, html) = app
        .get_bytes("/api/v1/ledger/html?semester=2019-2020-2", Some(&office))
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("苏州市太湖旅游中等专业学校 安全工作台账 2019-2020-2"));
    assert!(html.contains("清明节值班表"));
    let audit = app.audit("action=ledger.export").await;
    assert_eq!(audit.len(), 2);
    let formats: Vec<&str> = audit
        .iter()
        .map(|a| a["changes"]["format"].as_str().unwrap())
        .collect();
    assert!(formats.contains(&"xlsx") && formats.contains(&"html"));
    let principal_id = app.user_id("principal").await;
    assert!(
        audit
            .iter()
            .any(|a| a["actor_user_id"] == principal_id.as_str()
                && a["changes"]["rows"]["plan"] == 36)
    );
    // A summary is not an export.
    app.get("/api/v1/ledger?semester=2019-2020-2", &office)
        .await;
    assert_eq!(app.audit("action=ledger.export").await.len(), 2);
    // Bad requests (with no range at all, the current semester: tests/semesters.rs).
    assert_eq!(
        app.get("/api/v1/ledger/xlsx?from=2020-04-01", &office)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get("/api/v1/ledger/xlsx?semester=1999-2000-1", &office)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/ledger/xlsx?from=2020-05-01&to=2020-04-01", &office)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

/// Rows of `name` in a one-day XLSX ledger for today (header row included).
async fn today_sheet(app: &TestApp, token: &str, name: &str) -> Vec<Vec<Data>> {
    let today = school_today().format("%Y-%m-%d").to_string();
    let (status, _, bytes) = app
        .get_bytes(
            &format!("/api/v1/ledger/xlsx?from={today}&to={today}"),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut wb = open(bytes);
    wb.worksheet_range(name)
        .expect("sheet")
        .rows()
        .map(|r| r.to_vec())
        .collect()
}

#[tokio::test]
async fn gate_scans_and_visitors_have_their_own_sheets() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let teacher = app.token("teacher1").await;
    let guard = app.token("guard1").await;
    // The demo's scans and visitors are of today too: count what this test adds.
    let gate0 = today_sheet(&app, &office, "门卫出入").await;
    let visitors0 = today_sheet(&app, &office, "来访登记").await;
    assert_eq!(
        gate0[0],
        [
            "扫码时间",
            "校门",
            "方向",
            "结果",
            "代码",
            "班级",
            "学生",
            "离线冲突"
        ]
        .map(|h| Data::String(h.into()))
    );

    let class_id = app.own_class_id("teacher1").await;
    let student = app.students_of(&class_id).await[1].clone();
    let at = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
    let r = app
        .post(
            "/api/v1/leave-passes",
            &teacher,
            json!({"student_id": student["id"], "kind": "exit_and_return", "reason": "看病(口腔医院复诊)",
                   "valid_until": at(4), "return_by": at(3)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.body["token"].as_str().unwrap().to_owned();
    for (direction, gate) in [("return", "=北门"), ("exit", "南门"), ("return", "南门")] {
        let r = app
            .post(
                "/api/v1/gate/scans",
                &guard,
                json!({"token": token, "direction": direction, "gate": gate,
                       "client_event_id": uuid::Uuid::new_v4().to_string()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let r = app
        .post(
            "/api/v1/visitors",
            &guard,
            json!({"name": "钱立新", "phone": "13812345678", "id_number": "32050119800101123X",
                   "organisation": "苏州市吴中区消防救援大队", "reason": "=消防设施检查",
                   "host": "张卫东(保卫处)", "vehicle_plate": "苏E·12345", "gate": "南门"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let gate = today_sheet(&app, &office, "门卫出入").await;
    assert_eq!(gate.len(), gate0.len() + 3);
    let name = Data::String(student["name"].as_str().unwrap().into());
    let mine: Vec<&Vec<Data>> = gate.iter().filter(|r| r[6] == name).collect();
    assert_eq!(mine.len(), 3);
    let s = |v: &str| Data::String(v.into());
    // Oldest first: a return before any exit is refused; then out and back.
    assert_eq!(
        mine[0][1..5],
        [s("'=北门"), s("返校"), s("拒绝"), s("return_before_exit")]
    );
    assert_eq!(mine[1][1..5], [s("南门"), s("出校"), s("放行"), s("ok")]);
    assert_eq!(mine[2][1..5], [s("南门"), s("返校"), s("放行"), s("ok")]);
    assert!(matches!(&mine[1][5], Data::String(c) if !c.is_empty()));

    let visitors = today_sheet(&app, &office, "来访登记").await;
    assert_eq!(visitors.len(), visitors0.len() + 1);
    let v = visitors
        .iter()
        .find(|r| r[2] == s("钱立新"))
        .expect("the visitor's row");
    assert_eq!(v[1], Data::Empty, "not checked out yet");
    assert_eq!(v[3], s("苏州市吴中区消防救援大队"));
    assert_eq!(v[4], s("'=消防设施检查"));
    assert_eq!(v[5], s("张卫东(保卫处)"));
    assert_eq!(v[6], s("苏E·12345"));
    assert_eq!(v[7], s("**************123X"));
    assert_eq!(v[8], s("否"));

    let today = school_today().format("%Y-%m-%d").to_string();
    let (_, _, html) = app
        .get_bytes(
            &format!("/api/v1/ledger/html?from={today}&to={today}"),
            Some(&office),
        )
        .await;
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("<h2>门卫出入("), "{html}");
    assert!(html.contains("<h2>来访登记("), "{html}");
    assert!(html.contains("<td>&#39;=消防设施检查</td>"), "{html}");
    assert!(html.contains("**************123X"));
    for secret in ["32050119800101123X", "13812345678", "看病"] {
        assert!(!html.contains(secret), "{secret} leaked into the ledger");
    }
}

#[tokio::test]
async fn a_range_of_centuries_is_a_422_naming_the_field() {
    let app = spawn_app().await;
    let principal = app.token("principal").await;
    for path in [
        "/api/v1/ledger",
        "/api/v1/ledger/xlsx",
        "/api/v1/ledger/html",
        "/api/v1/assessment",
        "/api/v1/assessment/xlsx",
    ] {
        let r = app
            .get(&format!("{path}?from=1800-01-01&to=2200-12-31"), &principal)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.text
        );
        assert_eq!(r.body["errors"][0]["field"], "to", "{path}");
        assert_eq!(r.body["errors"][0]["code"], "range_too_long", "{path}");
    }
    // Two school years still work.
    let r = app
        .get("/api/v1/ledger?from=2024-09-01&to=2026-07-31", &principal)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
