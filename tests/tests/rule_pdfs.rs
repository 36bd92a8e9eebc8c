//! A safety rule's version may carry a PDF ("the text or a PDF"): uploaded by the office,
//! checked by its first bytes, linked to the version, served to staff who read the rules with a
//! safe file name, refused to a student; an old version's PDF stays readable.

use reqwest::StatusCode;
use serde_json::json;
use xiaoan_api_tests::*;

/// A small but well-formed PDF with `text` in its one page's content stream.
fn pdf_bytes(text: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
         2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
         3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >> endobj\n\
         4 0 obj << /Length {} >> stream\nBT /F1 12 Tf 20 100 Td ({text}) Tj ET\nendstream endobj\n\
         trailer << /Root 1 0 R >>\n%%EOF\n",
        text.len() + 30
    )
    .into_bytes()
}

async fn upload_pdf(app: &TestApp, token: &str, name: &str, mime: &str, bytes: Vec<u8>) -> Resp {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    let req = app
        .client
        .post(app.url("/api/v1/attachments/pdf"))
        .bearer_auth(token)
        .multipart(form);
    TestApp::finish(req).await
}

async fn get_raw(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_rule_version_carries_a_pdf_that_readers_open_and_old_ones_stay_readable() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let guard = app.new_guard().await;
    let teacher = app.new_teacher().await;

    // Version 1: a PDF and no text (the text or a PDF).
    let v1_bytes = pdf_bytes("v1 gate rules");
    let up = upload_pdf(
        &app,
        &office,
        "门卫制度.pdf",
        "application/pdf",
        v1_bytes.clone(),
    )
    .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);
    assert_eq!(up.body["content_type"], "application/pdf");
    assert_eq!(up.body["size_bytes"], v1_bytes.len());
    let pdf1 = up.body["id"].as_str().unwrap().to_owned();
    let title = format!("门卫工作制度{}", build::unique());
    let r = app
        .post(
            "/api/v1/safety-rules",
            &office,
            json!({"title": title, "category": "gate", "effective_on": "2026-09-01", "body": "",
                   "reader_roles": ["guard", "security_office"], "pdf_id": pdf1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let rule = r.body["id"].as_str().unwrap().to_owned();
    let v1 = r.body["versions"][0]["id"].as_str().unwrap().to_owned();
    let url1 = r.body["versions"][0]["pdf"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(url1, format!("/api/v1/safety-rule-versions/{v1}/pdf"));
    assert_eq!(r.body["versions"][0]["pdf"]["size_bytes"], v1_bytes.len());

    // Without a PDF the text is required.
    let r = app
        .post(
            &format!("/api/v1/safety-rules/{rule}/versions"),
            &office,
            json!({"effective_on": "2027-02-15", "body": " ", "reader_roles": ["guard"],
                   "change_note": "无正文"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "body");

    // Version 2 with its own PDF.
    let v2_bytes = pdf_bytes("v2 gate rules, with the hand-over count");
    let up = upload_pdf(&app, &office, "v2.pdf", "application/pdf", v2_bytes.clone()).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text);
    let pdf2 = up.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/safety-rules/{rule}/versions"),
            &office,
            json!({"effective_on": "2027-02-15", "body": "交接班须当面清点。", "reader_roles": ["guard", "security_office"],
                   "change_note": "增加交接班清点要求", "pdf_id": pdf2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let versions = r.body["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["in_force"], true);
    let url2 = versions[0]["pdf"]["url"].as_str().unwrap().to_owned();
    assert_eq!(versions[1]["pdf"]["url"], url1.as_str());

    // A guard who must read it opens both versions' PDFs, byte for byte, with safe headers.
    for (url, bytes, n) in [(&url2, &v2_bytes, 2), (&url1, &v1_bytes, 1)] {
        let resp = get_raw(&app, url, &guard.token).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let h = resp.headers().clone();
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let cd = h["content-disposition"].to_str().unwrap().to_owned();
        assert!(
            cd.starts_with(&format!(
                "inline; filename=\"safety-rule-v{n}.pdf\"; filename*=UTF-8''"
            )),
            "{cd}"
        );
        assert!(
            !cd.contains(&title),
            "the UTF-8 name is percent-encoded: {cd}"
        );
        assert_eq!(&resp.bytes().await.unwrap().to_vec(), bytes);
    }
    // Any staff member reads the rules library, so its PDFs too; the rule shows them.
    let resp = get_raw(&app, &url2, &teacher.token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let r = app
        .get(&format!("/api/v1/safety-rules/{rule}"), &guard.token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["versions"][1]["pdf"]["url"], url1.as_str());
    // Through the attachment itself, a staff member too (the rule's owner says so).
    let resp = get_raw(&app, &format!("/api/v1/attachments/{pdf1}"), &guard.token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let resp = get_raw(
        &app,
        &format!("/api/v1/attachments/{pdf1}/thumbnail"),
        &office,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // A student is not a reader of the rules: no PDF, by either path.
    let school = app.school().await;
    let student = app.new_safety_officer(&school.a).await;
    let r = app.get(&url1, &student.token).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "forbidden_role");
    let r = app
        .get(&format!("/api/v1/attachments/{pdf1}"), &student.token)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // A PDF cannot be used twice.
    let r = app
        .post(
            "/api/v1/safety-rules",
            &office,
            json!({"title": format!("另一制度{}", build::unique()), "category": "gate", "effective_on": "2026-09-01",
                   "body": "正文", "reader_roles": ["guard"], "pdf_id": pdf1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["code"], "attachment_in_use");

    // The audit names the PDF of each version.
    let audit = app.audit(&format!("entity_id={rule}")).await;
    assert!(
        audit
            .iter()
            .any(|a| a["changes"]["after"]["pdf_id"] == pdf2.as_str()),
        "{audit:?}"
    );
}

#[tokio::test]
async fn only_a_real_pdf_from_the_office_is_taken() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let guard = app.new_guard().await;

    // A fake PDF: the name and declared type say PDF, the bytes do not.
    let r = upload_pdf(
        &app,
        &office,
        "rules.pdf",
        "application/pdf",
        b"<html>not a pdf</html>".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    assert_eq!(r.code(), "unsupported_document_type");
    let r = upload_pdf(
        &app,
        &office,
        "photo.pdf",
        "application/pdf",
        png_bytes(8, 8),
    )
    .await;
    assert_eq!(r.code(), "unsupported_document_type");
    // Too large: refused (the limit is in the spec).
    let mut big = pdf_bytes("big");
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let r = upload_pdf(&app, &office, "big.pdf", "application/pdf", big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.code(), "document_too_large");
    // Only those who publish rules upload PDFs.
    let r = upload_pdf(
        &app,
        &guard.token,
        "r.pdf",
        "application/pdf",
        pdf_bytes("x"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    // A photo is not a PDF, even when it is the office's own upload.
    let photo = app.upload_photo("office").await;
    let r = app
        .post(
            "/api/v1/safety-rules",
            &office,
            json!({"title": format!("制度{}", build::unique()), "category": "fire", "effective_on": "2026-09-01",
                   "body": "", "reader_roles": ["guard"], "pdf_id": photo}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields: Vec<(&str, &str)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert!(fields.contains(&("pdf_id", "not_pdf")), "{fields:?}");
    // A version without a PDF: 404 rule_pdf_not_found; nothing was stored for the failures.
    let r = app
        .post(
            "/api/v1/safety-rules",
            &office,
            json!({"title": format!("制度{}", build::unique()), "category": "fire", "effective_on": "2026-09-01",
                   "body": "正文", "reader_roles": ["guard"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body["versions"][0]["pdf"].is_null());
    let v = r.body["versions"][0]["id"].as_str().unwrap();
    let r = app
        .get(
            &format!("/api/v1/safety-rule-versions/{v}/pdf"),
            &guard.token,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.code(), "rule_pdf_not_found");
    assert_eq!(
        app.sql_count(
            "SELECT COUNT(*) AS n FROM attachments WHERE content_type = 'application/pdf'"
        )
        .await,
        0
    );
}
