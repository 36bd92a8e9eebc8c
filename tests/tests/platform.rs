//! Safety-platform supervision: the per-student import (CSV and XLSX, all or nothing, errors by
//! line), typed-in totals, the threshold, and who sees which class and who is missing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

const MONTH: &str = "2030-01";

async fn import(app: &TestApp, token: &str, month: &str, bytes: Vec<u8>) -> Resp {
    TestApp::finish(
        app.client
            .post(app.url(&format!("/api/v1/platform/import?month={month}")))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(bytes),
    )
    .await
}

fn no(s: &Value) -> String {
    s["student_no"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_malformed_row_rejects_the_whole_import_and_is_reported_by_line() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let class1 = app.own_class_id("teacher1").await;
    let s1 = app.students_of(&class1).await;
    assert!(s1.len() >= 3);
    let csv = format!(
        "学号,姓名,完成情况\n{},甲,是\n{},乙,也许\n99999999,丙,是\n{},丁,否\n{},戊,否\n",
        no(&s1[0]),
        no(&s1[1]),
        no(&s1[2]),
        no(&s1[2])
    );
    let r = import(&app, &office, MONTH, csv.into_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "import_invalid");
    let errs: Vec<(u64, String, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errs,
        vec![
            (3, "completed".into(), "invalid".into()),
            (4, "student_no".into(), "not_found".into()),
            (6, "student_no".into(), "duplicate".into()),
        ]
    );
    // No value from the file is echoed back (they are personal data).
    assert!(!r.text.contains("99999999") && !r.text.contains("也许"));
    // Nothing was written, not even the good rows.
    assert_eq!(
        app.sql_count("SELECT COUNT(*) AS n FROM platform_figures WHERE month = '2030-01'")
            .await,
        0
    );
    let got = app
        .get(&format!("/api/v1/platform/figures?month={MONTH}"), &office)
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.body["items"], json!([]));
    // A missing column is reported on the header line.
    let r = import(&app, &office, MONTH, "学号,姓名\n1,甲\n".into()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["line"], 1);
    assert_eq!(r.body["errors"][0]["field"], "completed");
    // A bad month is refused before the file is read.
    let r = import(&app, &office, "2030-13", "学号,完成情况\n".into()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "month");
}

#[tokio::test]
async fn imported_figures_show_rates_threshold_and_who_is_missing_to_the_right_people() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let class1 = app.own_class_id("teacher1").await;
    let class2 = app.own_class_id("teacher2").await;
    let s1 = app.students_of(&class1).await;
    let s2 = app.students_of(&class2).await;
    // Class 1: everyone done. Class 2 (as XLSX): the first two students missing.
    let mut csv = String::from("\u{feff}学号,姓名,完成情况\n");
    for s in &s1 {
        csv.push_str(&format!(
            "{},{},已完成\n",
            no(s),
            s["name"].as_str().unwrap()
        ));
    }
    let r = import(&app, &office, MONTH, csv.into_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"month": MONTH, "classes": 1, "students": s1.len(), "completed": s1.len(), "not_in_file": 0})
    );

    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["学号", "姓名", "是否完成"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (i, s) in s2.iter().enumerate() {
        let row = (i + 1) as u32;
        // Student numbers typed as numbers in the platform's export.
        ws.write_number(row, 0, no(s).parse::<f64>().unwrap())
            .unwrap();
        ws.write_string(row, 1, s["name"].as_str().unwrap())
            .unwrap();
        ws.write_string(row, 2, if i < 2 { "否" } else { "是" })
            .unwrap();
    }
    let r = import(&app, &office, MONTH, wb.save_to_buffer().unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["students"], s2.len());
    assert_eq!(r.body["completed"], s2.len() - 2);

    let n2 = s2.len() as f64;
    let expected_rate2 = (((n2 - 2.0) * 1000.0 / n2).round()) / 10.0;
    let got = app
        .get(&format!("/api/v1/platform/figures?month={MONTH}"), &office)
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.body["threshold"], 90);
    let items = got.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let f1 = items
        .iter()
        .find(|i| i["class_id"] == class1.as_str())
        .unwrap();
    let f2 = items
        .iter()
        .find(|i| i["class_id"] == class2.as_str())
        .unwrap();
    assert_eq!(
        (f1["completed"].as_u64(), f1["class_size"].as_u64()),
        (Some(s1.len() as u64), Some(s1.len() as u64))
    );
    assert_eq!(f1["rate"], 100.0);
    assert_eq!(f1["below_threshold"], false);
    assert_eq!(f1["missing_count"], 0);
    assert_eq!(f2["rate"].as_f64().unwrap(), expected_rate2);
    assert_eq!(f2["missing_count"], 2);
    let below2 = (n2 - 2.0) * 100.0 < 90.0 * n2;
    assert_eq!(f2["below_threshold"], below2);
    assert!(
        got.body["unrecorded"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != class1.as_str() && c["id"] != class2.as_str())
    );

    // Typed-in totals for class 2 replace the import: 35 of 40 is 87.5 %, below 90 %.
    let r = app
        .put(
            "/api/v1/platform/figures",
            &office,
            json!({"month": MONTH, "class_id": class2, "completed": 35, "class_size": 40}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["rate"], 87.5);
    assert_eq!(r.body["below_threshold"], true);
    assert_eq!(r.body["source"], "manual");
    assert_eq!(r.body["missing_count"], Value::Null);
    let r = app
        .put(
            "/api/v1/platform/figures",
            &office,
            json!({"month": MONTH, "class_id": class2, "completed": 41, "class_size": 40}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let below = app
        .get(
            &format!("/api/v1/platform/figures?month={MONTH}&below_threshold=true"),
            &office,
        )
        .await;
    let below: Vec<&str> = below.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["class_id"].as_str().unwrap())
        .collect();
    assert_eq!(below, vec![class2.as_str()]);

    // The threshold is the office's; at 85 % class 2 is no longer below.
    let principal = app.token("principal").await;
    let r = app
        .put(
            "/api/v1/platform/settings",
            &principal,
            json!({"threshold": 85}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .put(
            "/api/v1/platform/settings",
            &office,
            json!({"threshold": 101}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .put(
            "/api/v1/platform/settings",
            &office,
            json!({"threshold": 85}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let got = app
        .get(
            &format!("/api/v1/platform/figures?month={MONTH}&below_threshold=true"),
            &principal,
        )
        .await;
    assert_eq!(got.body["threshold"], 85);
    assert_eq!(got.body["items"], json!([]));
    let audit = app.audit("action=platform.threshold_set").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["changes"]["after"], 85);

    // Re-import class 2: per-student again. Its teacher sees own class and who is missing
    // (number and name only); teacher 1 sees only class 1 and not class 2's names.
    let r = import(&app, &office, MONTH, {
        let mut csv = String::from("学号,完成情况\n");
        for (i, s) in s2.iter().enumerate() {
            csv.push_str(&format!("{},{}\n", no(s), if i < 2 { "否" } else { "是" }));
        }
        csv.into_bytes()
    })
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let t1 = app.token("teacher1").await;
    let t2 = app.token("teacher2").await;
    let mine = app
        .get(&format!("/api/v1/platform/figures?month={MONTH}"), &t1)
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    let ids: Vec<&str> = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["class_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![class1.as_str()]);
    assert_eq!(mine.body["unrecorded"], json!([]));
    let r = app
        .get(
            &format!("/api/v1/platform/classes/{class2}/missing?month={MONTH}"),
            &t1,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "not_own_class");
    let r = app
        .get(
            &format!("/api/v1/platform/classes/{class2}/missing?month={MONTH}"),
            &t2,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["known"], true);
    let expected: Vec<Value> = s2[..2]
        .iter()
        .map(|s| json!({"student_no": s["student_no"], "name": s["name"]}))
        .collect();
    assert_eq!(r.body["students"], json!(expected));
    assert_eq!(r.body["figure"]["missing_count"], 2);
    // Typed-in totals: who is missing is unknown.
    app.put(
        "/api/v1/platform/figures",
        &office,
        json!({"month": "2030-02", "class_id": class1, "completed": 30, "class_size": 40}),
    )
    .await;
    let r = app
        .get(
            &format!("/api/v1/platform/classes/{class1}/missing?month=2030-02"),
            &t1,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["known"], false);
    assert_eq!(r.body["students"], json!([]));
    let r = app
        .get(
            &format!("/api/v1/platform/classes/{class1}/missing?month=2030-03"),
            &t1,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "platform_figure_not_found");
    // The audit trail counts rows, never names.
    let imports = app.audit("action=platform.import").await;
    assert_eq!(imports.len(), 3);
    let all = app.audit("entity_type=platform_figure").await;
    for a in &all {
        for s in s1.iter().chain(s2.iter()) {
            assert!(!a.to_string().contains(s["name"].as_str().unwrap()));
        }
    }
}

#[tokio::test]
async fn students_left_out_of_the_export_count_as_missing() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let class1 = app.own_class_id("teacher1").await;
    let s1 = app.students_of(&class1).await;
    assert!(s1.len() >= 3);
    // The platform's export lists everyone but the last two, all done.
    let (listed, left_out) = s1.split_at(s1.len() - 2);
    let mut csv = String::from("学号,完成情况\n");
    for s in listed {
        csv.push_str(&format!("{},是\n", no(s)));
    }
    let r = import(&app, &office, MONTH, csv.into_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"month": MONTH, "classes": 1, "students": listed.len(),
               "completed": listed.len(), "not_in_file": 2})
    );
    let t1 = app.token("teacher1").await;
    let r = app
        .get(
            &format!("/api/v1/platform/classes/{class1}/missing?month={MONTH}"),
            &t1,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The roster is the class size; the two left out are who is missing.
    assert_eq!(r.body["figure"]["class_size"], s1.len());
    assert_eq!(r.body["figure"]["completed"], listed.len());
    assert_eq!(r.body["figure"]["missing_count"], 2);
    let mut got: Vec<&str> = r.body["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["student_no"].as_str().unwrap())
        .collect();
    got.sort_unstable();
    let mut expected: Vec<&str> = left_out
        .iter()
        .map(|s| s["student_no"].as_str().unwrap())
        .collect();
    expected.sort_unstable();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn demo_school_has_this_and_last_month_with_one_class_below() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let today = school_today();
    let month = today.format("%Y-%m").to_string();
    let r = app
        .get(
            &format!("/api/v1/platform/figures?month={month}&below_threshold=true"),
            &office,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    // Without a month: this month (a month of the current semester), the same figures.
    let r = app
        .get("/api/v1/platform/figures?below_threshold=true", &office)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["month"], month);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    let prev = (today.with_day0(0).unwrap() - chrono::Duration::days(1))
        .format("%Y-%m")
        .to_string();
    let r = app
        .get(&format!("/api/v1/platform/figures?month={prev}"), &office)
        .await;
    let items = r.body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert_eq!(
        items
            .iter()
            .filter(|i| i["below_threshold"] == true)
            .count(),
        1
    );
}

use chrono::Datelike;

/// A workbook written by hand, part by part: what a hostile client can send.
fn xlsx(sheet: &str, shared_strings: Option<&str>, extra: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut part = |name: &str, body: &[u8]| {
        z.start_file(name, opts).unwrap();
        z.write_all(body).unwrap();
    };
    part(
        "[Content_Types].xml",
        br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
    );
    part(
        "_rels/.rels",
        br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    part(
        "xl/workbook.xml",
        br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    );
    part(
        "xl/_rels/workbook.xml.rels",
        br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#,
    );
    part(
        "xl/worksheets/sheet1.xml",
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{sheet}</worksheet>"#).as_bytes(),
    );
    if let Some(sst) = shared_strings {
        part(
            "xl/sharedStrings.xml",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?>{sst}"#).as_bytes(),
        );
    }
    for (name, body) in extra {
        part(name, body);
    }
    z.finish().unwrap().into_inner()
}

const SST_NS: &str = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#;

#[tokio::test]
async fn hostile_workbooks_are_refused_before_any_range_is_built() {
    // Built before the server starts: deflating them takes a while in a debug build, and a
    // keep-alive connection left idle meanwhile may be closed under the next request.
    let cells = |far: &str| {
        format!(
            r#"<dimension ref="A1:{far}"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>学号</t></is></c></row><row r="{row}"><c r="{far}"><v>1</v></c></row></sheetData>"#,
            row = far.trim_start_matches(|c: char| c.is_ascii_alphabetic())
        )
    };
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        // A1 and XFD1048576: 17 billion cells once the reader fills the rectangle.
        ("whole sheet", xlsx(&cells("XFD1048576"), None, &[])),
        ("deep sheet", xlsx(&cells("ZZ200000"), None, &[])),
        ("wide row", xlsx(&cells("BZ1"), None, &[])),
        // Only the declared dimension lies: the reader sizes its buffers by it.
        (
            "declared dimension",
            xlsx(r#"<dimension ref="A1:XFD1048576"/><sheetData/>"#, None, &[]),
        ),
        // The reader reserves `uniqueCount` strings before reading any.
        (
            "string table count",
            xlsx(
                r#"<sheetData/>"#,
                Some(&format!(
                    r#"<sst {SST_NS} count="4000000000" uniqueCount="4000000000"><si><t>x</t></si></sst>"#
                )),
                &[],
            ),
        ),
        // One 1 MiB string copied into 70 cells is 70 MiB from a file of a few kilobytes.
        (
            "shared-string copies",
            xlsx(
                &format!(
                    "<sheetData>{}</sheetData>",
                    (1..=70)
                        .map(|n| format!(r#"<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>"#))
                        .collect::<String>()
                ),
                Some(&format!(
                    r#"<sst {SST_NS} count="70" uniqueCount="1"><si><t>{}</t></si></sst>"#,
                    "x".repeat(1024 * 1024)
                )),
                &[],
            ),
        ),
        // A part that inflates past its bound.
        (
            "inflating part",
            xlsx(
                "<sheetData/>",
                None,
                &[("xl/media/image1.bin", vec![0u8; 40 * 1024 * 1024])],
            ),
        ),
    ];
    let app = spawn_app().await;
    let office = app.token("office").await;
    let class1 = app.own_class_id("teacher1").await;
    let s1 = app.students_of(&class1).await;

    // The hand-written workbook is readable when it is honest.
    let mut rows = String::from(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>学号</t></is></c><c r="B1" t="inlineStr"><is><t>完成情况</t></is></c></row>"#,
    );
    for (i, s) in s1.iter().enumerate() {
        let n = i + 2;
        rows.push_str(&format!(
            r#"<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{}</t></is></c><c r="B{n}" t="s"><v>0</v></c></row>"#,
            no(s)
        ));
    }
    let honest = xlsx(
        &format!(
            r#"<dimension ref="A1:B{}"/><sheetData>{rows}</sheetData>"#,
            s1.len() + 1
        ),
        Some(&format!(
            r#"<sst {SST_NS} count="1" uniqueCount="1"><si><t>是</t></si></sst>"#
        )),
        &[],
    );
    let r = import(&app, &office, MONTH, honest).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["completed"], s1.len());

    for (what, bytes) in hostile {
        assert!(bytes.len() < 200 * 1024, "{what}: {} bytes", bytes.len());
        let r = import(&app, &office, MONTH, bytes).await;
        assert_eq!(
            r.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{what}: {}",
            r.text
        );
        assert_eq!(r.code(), "import_too_large", "{what}");
    }
    // A file that is not a workbook at all stays a plain invalid import.
    let r = import(&app, &office, MONTH, b"PK\x03\x04 broken".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "import_invalid");
    // The server is still up.
    assert_eq!(
        app.get("/api/v1/platform/settings", &office).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn oversized_csv_imports_are_refused() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let wide = format!("学号,完成情况{}\n1,是\n", ",x".repeat(100));
    let tall = format!("学号,完成情况\n{}", "1,是\n".repeat(60_000));
    for (what, csv) in [("wide", wide), ("tall", tall)] {
        let r = import(&app, &office, MONTH, csv.into_bytes()).await;
        assert_eq!(
            r.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{what}: {}",
            r.text
        );
        assert_eq!(r.code(), "import_too_large", "{what}");
    }
}
