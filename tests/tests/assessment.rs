//! The semester assessment: figures recomputed by hand from records created through the API,
//! every point traced to its record; the office's weights; the XLSX export and the ledger.

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Cursor;
use xiaoan_api_tests::*;

fn day(offset: i64) -> String {
    (school_today() + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

fn row<'a>(a: &'a Value, list: &str, id: &str) -> &'a Value {
    a[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

fn metric<'a>(r: &'a Value, key: &str) -> &'a Value {
    r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .unwrap_or_else(|| panic!("no metric {key}"))
}

/// The sources a metric gained between two computations: (type, id, units).
fn new_sources(before: &Value, after: &Value) -> Vec<(String, String, i64)> {
    let old: Vec<&Value> = before["sources"].as_array().unwrap().iter().collect();
    after["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !old.contains(s))
        .map(|s| {
            (
                s["type"].as_str().unwrap().to_owned(),
                s["id"].as_str().unwrap().to_owned(),
                s["units"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn delta(before: &Value, after: &Value, field: &str) -> i64 {
    after[field].as_i64().unwrap() - before[field].as_i64().unwrap()
}

#[tokio::test]
async fn scores_are_recomputed_by_hand_from_the_records_and_link_back() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let t1 = app.token("teacher1").await;
    let teacher1 = app.user_id("teacher1").await;
    let guard1 = app.user_id("guard1").await;
    let class1 = app.own_class_id("teacher1").await;
    let range = format!("/api/v1/assessment?from={}&to={}", day(-1), day(0));

    let before = app.get(&range, &principal).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    let before = before.body;

    // A served duty shift (yesterday) for guard1, in a published roster.
    let r = app
        .post(
            "/api/v1/duty/rosters",
            &office,
            json!({"title": "考核测试值班", "start_date": day(-1), "end_date": day(-1)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let roster = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(&format!("/api/v1/duty/rosters/{roster}/shifts"), &office, json!({"date": day(-1), "start_time": "08:00", "end_time": "17:00", "post": "guard", "user_id": guard1}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let shift_id = r.body["id"].as_str().unwrap().to_owned();
    // A roster needs a leader on call each day: the principal (not scored as staff).
    let principal_id = app.user_id("principal").await;
    let r = app
        .post(&format!("/api/v1/duty/rosters/{roster}/shifts"), &office, json!({"date": day(-1), "start_time": "08:00", "end_time": "17:00", "post": "leader_on_call", "user_id": principal_id}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{roster}/publish"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // teacher1's traffic check of class 1, on time; the office's spot-check finds two items
    // the class marked as passed failing.
    let tpl = app.template("traffic_weekly").await;
    let r = app
        .post(
            "/api/v1/inspections",
            &t1,
            json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["is_late"], false);
    let check_id = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post("/api/v1/inspections/spot-checks", &office, json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true,
               "answers": [{"item_key": "t1", "result": "fail"}, {"item_key": "t5", "result": "fail"}]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["discrepancy_count"], 2);
    let spot_id = r.body["id"].as_str().unwrap().to_owned();

    // A hazard in class 1, assigned to teacher1 and rectified before the deadline.
    let officer = app.token("officer1").await;
    let r = app
        .post("/api/v1/hazards", &officer, json!({"category": "traffic", "location": "车棚", "description": "电动车乱停", "class_id": class1}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let hazard_id = r.body["id"].as_str().unwrap().to_owned();
    // A student's attribution to a class counts once the office confirms it.
    assert_eq!(r.body["class_pending"], true);
    let r = app
        .post(
            &format!("/api/v1/hazards/{hazard_id}/class-attribution"),
            &office,
            json!({"accept": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["class_pending"], false);
    let r = app
        .post(
            &format!("/api/v1/hazards/{hazard_id}/assign"),
            &office,
            json!({"owner_id": teacher1, "deadline": day(3)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/hazards/{hazard_id}/rectify"),
            &t1,
            json!({"rectification": "已规范停放"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // A plan task of this month owned by teacher1, in an approved plan, done.
    let month = school_today().format("%Y-%m").to_string();
    let r = app
        .post("/api/v1/plans", &office, json!({"title": "考核测试计划", "semester": "test-assessment",
               "starts_on": day(-40), "ends_on": day(40),
               "guiding_ideology": "安全第一", "goals_and_priorities": "零事故", "measures": "加强门卫"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let plan_id = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(&format!("/api/v1/plans/{plan_id}/items"), &office, json!({"month": month, "title": "交通安全教育", "category": "education", "owner_id": teacher1}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let item_id = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/plans/{plan_id}/submit"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/plans/{plan_id}/approve"),
            &principal,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{item_id}"),
            &t1,
            json!({"status": "done"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Incidents: one involving class 1 (counts), one with no class and one of class 1 before
    // the range (neither counts).
    let guard = app.token("guard1").await;
    let incident = |at: chrono::DateTime<chrono::Utc>, class: Value| {
        json!({"kind": "injury", "occurred_at": at, "place": "操场", "severity": "minor",
               "description": "体育课扭伤", "class_id": class})
    };
    let now = chrono::Utc::now();
    let r = app
        .post("/api/v1/incidents", &guard, incident(now, json!(class1)))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let incident_id = r.body["id"].as_str().unwrap().to_owned();
    // A guard's attribution to a class counts once the office confirms it.
    let r = app
        .post(
            &format!("/api/v1/incidents/{incident_id}/class-attribution"),
            &office,
            json!({"accept": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for (at, class) in [
        (now, json!(null)),
        (now - chrono::Duration::days(5), json!(class1)),
    ] {
        let r = app
            .post("/api/v1/incidents", &guard, incident(at, class))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }

    let after = app.get(&range, &principal).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text);
    let after = after.body;

    // By hand, default weights: shift 2, on-time check 1, hazard on time 3, plan task 2;
    // traffic check on time 2, spot-check discrepancy −1, class hazard −1, class incident −3.
    let (tb, ta) = (
        row(&before, "staff", &teacher1),
        row(&after, "staff", &teacher1),
    );
    let expect = [
        ("checks_on_time", 1, 1, ("inspection", check_id.as_str())),
        ("hazards_on_time", 1, 3, ("hazard", hazard_id.as_str())),
        ("plan_tasks_done", 1, 2, ("plan_item", item_id.as_str())),
    ];
    for (key, count, points, (kind, id)) in expect {
        let (b, a) = (metric(tb, key), metric(ta, key));
        assert_eq!(delta(b, a, "count"), count, "{key}");
        assert_eq!(delta(b, a, "points"), points, "{key}");
        assert_eq!(
            new_sources(b, a),
            vec![(kind.into(), id.into(), 1)],
            "{key}"
        );
    }
    assert_eq!(
        delta(
            metric(tb, "duty_shifts"),
            metric(ta, "duty_shifts"),
            "count"
        ),
        0
    );
    assert_eq!(delta(tb, ta, "total"), 1 + 3 + 2);

    let (gb, ga) = (
        row(&before, "staff", &guard1),
        row(&after, "staff", &guard1),
    );
    let (b, a) = (metric(gb, "duty_shifts"), metric(ga, "duty_shifts"));
    assert_eq!(delta(b, a, "count"), 1);
    assert_eq!(delta(b, a, "points"), 2);
    assert_eq!(
        new_sources(b, a),
        vec![("duty_shift".into(), shift_id.clone(), 1)]
    );
    assert_eq!(delta(gb, ga, "total"), 2);
    // The office ran the spot-check, which is not one of its own checks.
    let office_id = app.user_id("office").await;
    let (ob, oa) = (
        row(&before, "staff", &office_id),
        row(&after, "staff", &office_id),
    );
    assert_eq!(delta(ob, oa, "total"), 0);

    let (cb, ca) = (
        row(&before, "classes", &class1),
        row(&after, "classes", &class1),
    );
    let (b, a) = (metric(cb, "traffic_on_time"), metric(ca, "traffic_on_time"));
    assert_eq!((delta(b, a, "count"), delta(b, a, "points")), (1, 2));
    assert_eq!(
        new_sources(b, a),
        vec![("inspection".into(), check_id.clone(), 1)]
    );
    let (b, a) = (
        metric(cb, "spot_discrepancies"),
        metric(ca, "spot_discrepancies"),
    );
    assert_eq!((delta(b, a, "count"), delta(b, a, "points")), (2, -2));
    assert_eq!(
        new_sources(b, a),
        vec![("inspection".into(), spot_id.clone(), 2)]
    );
    // The reported hazard only: the spot-check's two failed items also raised a hazard each,
    // but they are already counted as discrepancies and are not a second penalty.
    let (b, a) = (metric(cb, "class_hazards"), metric(ca, "class_hazards"));
    assert_eq!((delta(b, a, "count"), delta(b, a, "points")), (1, -1));
    assert_eq!(
        new_sources(b, a),
        vec![("hazard".into(), hazard_id.clone(), 1)]
    );
    let auto = app
        .get(&format!("/api/v1/hazards?class_id={class1}"), &office)
        .await;
    let auto: Vec<&Value> = auto.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["submission_id"] == spot_id.as_str())
        .collect();
    assert_eq!(auto.len(), 2, "the spot-check raised its hazards");
    // Incident −3.
    let (b, a) = (metric(cb, "class_incidents"), metric(ca, "class_incidents"));
    assert_eq!((delta(b, a, "count"), delta(b, a, "points")), (1, -3));
    assert_eq!(
        new_sources(b, a),
        vec![("incident".into(), incident_id.clone(), 1)]
    );
    assert_eq!(delta(cb, ca, "total"), 2 - 2 - 1 - 3);

    // Every row's arithmetic holds: points = count × weight, count = Σ units, total = Σ points;
    // ranks follow totals.
    for list in ["staff", "classes"] {
        let rows = after[list].as_array().unwrap();
        for r in rows {
            let mut total = 0;
            for m in r["metrics"].as_array().unwrap() {
                let units: i64 = m["sources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["units"].as_i64().unwrap())
                    .sum();
                assert_eq!(m["count"].as_i64().unwrap(), units);
                assert_eq!(
                    m["points"].as_i64().unwrap(),
                    units * m["weight"].as_i64().unwrap()
                );
                total += m["points"].as_i64().unwrap();
            }
            assert_eq!(r["total"].as_i64().unwrap(), total);
            let higher = rows
                .iter()
                .filter(|o| o["total"].as_i64() > r["total"].as_i64())
                .count();
            assert_eq!(r["rank"].as_u64().unwrap(), higher as u64 + 1);
        }
    }

    // The office changes a weight; the principal may not. Points follow.
    let r = app
        .put(
            "/api/v1/assessment/weights",
            &principal,
            json!({"weights": {"duty_shifts": 10}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .put(
            "/api/v1/assessment/weights",
            &office,
            json!({"weights": {"nonsense": 1, "duty_shifts": 1000}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["weights.duty_shifts", "weights.nonsense"]);
    let r = app
        .put(
            "/api/v1/assessment/weights",
            &office,
            json!({"weights": {"duty_shifts": 10}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let w = r.body["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "duty_shifts")
        .unwrap()
        .clone();
    assert_eq!(
        (w["weight"].as_i64(), w["default_weight"].as_i64()),
        (Some(10), Some(2))
    );
    let audit = app.audit("action=assessment.weights_set").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["changes"]["before"]["duty_shifts"], 2);
    assert_eq!(audit[0]["changes"]["after"]["duty_shifts"], 10);
    let again = app.get(&range, &office).await.body;
    let g = metric(row(&again, "staff", &guard1), "duty_shifts");
    assert_eq!(
        g["points"].as_i64().unwrap(),
        g["count"].as_i64().unwrap() * 10
    );

    // Class teachers do not see the ranking.
    assert_eq!(app.get(&range, &t1).await.status, StatusCode::FORBIDDEN);
    // Half a range is refused (no range at all is the current semester: tests/semesters.rs).
    let r = app
        .get(&format!("/api/v1/assessment?to={}", day(0)), &principal)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The export: the ranking, the records behind it (by id), the weights.
    let (status, ct, bytes) = app
        .get_bytes(
            &format!("/api/v1/assessment/xlsx?from={}&to={}", day(-1), day(0)),
            Some(&principal),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ct,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["考核-教职工", "考核-班级", "考核依据", "考核权重"]
    );
    let basis = wb.worksheet_range("考核依据").unwrap();
    for id in [
        &shift_id,
        &check_id,
        &spot_id,
        &hazard_id,
        &item_id,
        &incident_id,
    ] {
        assert!(
            basis.rows().any(|r| r.iter().any(|c| c.to_string() == *id)),
            "{id} not in the basis sheet"
        );
    }
    let spot_row = basis.rows().find(|r| r[4].to_string() == spot_id).unwrap();
    assert_eq!(spot_row[5].to_string(), "2");
    assert_eq!(spot_row[7].to_string(), "-2");
    assert_eq!(app.audit("action=assessment.export").await.len(), 1);
    // … and the ledger carries the same sheets, with the platform figures.
    let (status, _, bytes) = app
        .get_bytes(
            &format!("/api/v1/ledger/xlsx?from={}&to={}", day(-1), day(0)),
            Some(&principal),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let names = wb.sheet_names();
    for s in [
        "安全平台使用督查",
        "考核-教职工",
        "考核-班级",
        "考核依据",
        "考核权重",
    ] {
        assert!(names.contains(&s.to_owned()), "{s} missing from the ledger");
    }
    // There too, points are numbers (−2, not the text '-2), and every column has its header.
    let basis = wb.worksheet_range("考核依据").unwrap();
    let spot_row = basis.rows().find(|r| r[4].to_string() == spot_id).unwrap();
    assert_eq!(spot_row[7], calamine::Data::Float(-2.0));
    let classes = wb.worksheet_range("考核-班级").unwrap();
    // The range spans the widest row: an empty header cell means a column without a name.
    let header_width = classes.rows().next().unwrap().len();
    assert!(
        classes
            .rows()
            .next()
            .unwrap()
            .iter()
            .all(|h| !matches!(h, calamine::Data::Empty))
    );
    assert!(
        classes
            .rows()
            .next()
            .unwrap()
            .iter()
            .any(|h| *h == "安全事件(分)")
    );
    let class1_row = classes
        .rows()
        .find(|r| r[1] == row(&after, "classes", &class1)["name"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        class1_row[header_width - 1],
        calamine::Data::Float(row(&after, "classes", &class1)["total"].as_f64().unwrap())
    );
}

/// `Content-Disposition` of a download: (ASCII `filename`, decoded `filename*`).
fn disposition(resp: &reqwest::Response) -> (String, String) {
    let v = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(v.starts_with("attachment; "), "{v}");
    assert!(!v.bytes().any(|b| b.is_ascii_control()), "{v:?}");
    let params: Vec<&str> = v.split("; ").collect();
    assert_eq!(params.len(), 3, "a name added parameters: {v}");
    let ascii = params[1]
        .strip_prefix("filename=\"")
        .and_then(|s| s.strip_suffix('"'))
        .unwrap();
    assert!(!ascii.contains('"') && !ascii.contains('\\'), "{v}");
    let encoded = params[2].strip_prefix("filename*=UTF-8''").unwrap();
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"%!#$&+-.^_`|~".contains(&b))
    );
    let mut bytes = Vec::new();
    let mut it = encoded.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hex: String = [it.next().unwrap(), it.next().unwrap()]
                .iter()
                .map(|b| *b as char)
                .collect();
            bytes.push(u8::from_str_radix(&hex, 16).unwrap());
        } else {
            bytes.push(b);
        }
    }
    (ascii.to_owned(), String::from_utf8(bytes).unwrap())
}

#[tokio::test]
async fn downloads_name_the_file_by_rfc6266_whatever_the_semester_is_called() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let plan = |semester: &str| {
        json!({"title": "下载测试计划", "semester": semester,
               "starts_on": day(-10), "ends_on": day(10),
               "guiding_ideology": "安全第一", "goals_and_priorities": "零事故", "measures": "加强门卫"})
    };
    let r = app
        .post("/api/v1/plans", &office, plan("2026春季学期"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app.post("/api/v1/plans", &office, plan("hostile")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // A quote and a parameter: written under the API, as an older version or a restored
    // backup may hold them.
    app.sql("UPDATE plans SET semester = 'q\"; x=1b' WHERE semester = 'hostile'")
        .await;
    let hostile = "q\"; x=1b";
    for (semester, ascii, utf8) in [
        (
            "2026春季学期",
            "assessment-2026_.xlsx",
            "assessment-2026春季学期.xlsx",
        ),
        (hostile, "assessment-q_x_1b.xlsx", "assessment-q; x=1b.xlsx"),
    ] {
        for (path, prefix) in [
            ("/api/v1/assessment/xlsx", "assessment-"),
            ("/api/v1/ledger/xlsx", "xiaoan-ledger-"),
        ] {
            let resp = app
                .client
                .get(app.url(path))
                .query(&[("semester", semester)])
                .bearer_auth(&principal)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{path} {semester:?}");
            let (a, u) = disposition(&resp);
            assert_eq!(a, ascii.replacen("assessment-", prefix, 1), "{path}");
            assert_eq!(u, utf8.replacen("assessment-", prefix, 1), "{path}");
        }
    }

    // Control characters cannot be asked for (the query is refused, naming the field)…
    let r = app
        .get("/api/v1/assessment/xlsx?semester=q%01b", &principal)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "semester", "{}", r.text);
    // …but a stored semester holding them is the default download when it is the current
    // one, and its name still reaches the header only as safe text.
    let r = app.get("/api/v1/semesters/current", &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let current = r.body["code"].as_str().unwrap().to_owned();
    let ctl = match backend() {
        Backend::Sqlite => "char(1)",
        Backend::Postgres => "chr(1)",
    };
    app.sql(&format!(
        "UPDATE semesters SET code = 'q\"; x=1' || {ctl} || 'b' || {ctl} WHERE code = '{current}'"
    ))
    .await;
    for (path, prefix) in [
        ("/api/v1/assessment/xlsx", "assessment-"),
        ("/api/v1/ledger/xlsx", "xiaoan-ledger-"),
    ] {
        let resp = app
            .client
            .get(app.url(path))
            .bearer_auth(&principal)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path} (current semester)");
        let (a, u) = disposition(&resp);
        assert_eq!(a, format!("{prefix}q_x_1b.xlsx"), "{path}");
        assert_eq!(u, format!("{prefix}q; x=1b.xlsx"), "{path}");
    }
}
