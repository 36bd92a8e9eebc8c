//! Photos: content checks (not names), size limit, thumbnails, nothing kept on error, and
//! access only for those who may see the record a photo belongs to.

use reqwest::StatusCode;
use serde_json::json;
use xiaoan_api_tests::*;

fn stored_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.join("attachments"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_real_image_is_stored_with_a_thumbnail_and_only_its_uploader_sees_it() {
    let app = spawn_app().await;
    let t1 = app.token("teacher1").await;
    let r = app
        .upload(&t1, "车棚.png", "image/png", png_bytes(800, 600))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["content_type"], "image/png");
    assert_eq!(r.body["width"], 800);
    assert_eq!(r.body["height"], 600);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(stored_files(&app), 2);

    let img = app.get(&format!("/api/v1/attachments/{id}"), &t1).await;
    assert_eq!(img.status, StatusCode::OK);
    assert_eq!(img.headers["content-type"], "image/png");
    let thumb = app
        .client
        .get(app.url(&format!("/api/v1/attachments/{id}/thumbnail")))
        .bearer_auth(&t1)
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.status(), StatusCode::OK);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let bytes = thumb.bytes().await.unwrap();
    let decoded = image::load_from_memory(&bytes).expect("thumbnail decodes");
    assert_eq!((decoded.width(), decoded.height()), (320, 240));

    // Not yet referenced by any record: nobody else, not even the office, sees it.
    for other in ["teacher2", "office"] {
        let t = app.token(other).await;
        let r = app.get(&format!("/api/v1/attachments/{id}"), &t).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{other}");
    }
    assert_eq!(app.audit("action=attachment.upload").await.len(), 1);
}

#[tokio::test]
async fn content_not_name_decides_and_nothing_is_kept_on_error() {
    let app = spawn_app().await;
    let t1 = app.token("teacher1").await;
    // A .jpg name with text inside.
    let r = app
        .upload(
            &t1,
            "photo.jpg",
            "image/jpeg",
            b"this is not an image at all".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text);
    assert_eq!(r.code(), "unsupported_image_type");
    // A GIF is a real image, but not accepted.
    let r = app
        .upload(
            &t1,
            "a.png",
            "image/png",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // PNG magic bytes followed by garbage: refused by the decoder.
    let mut fake = png_bytes(40, 40);
    fake.truncate(60);
    let r = app.upload(&t1, "a.png", "image/png", fake).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "invalid_image");
    // No `file` part.
    let form = reqwest::multipart::Form::new().text("other", "x");
    let r = TestApp::finish(
        app.client
            .post(app.url("/api/v1/attachments"))
            .bearer_auth(&t1)
            .multipart(form),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // Over 8 MB.
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.resize(8 * 1024 * 1024 + 10, 0);
    let r = app.upload(&t1, "big.png", "image/png", big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.code(), "attachment_too_large");

    assert_eq!(stored_files(&app), 0);
    assert_eq!(
        app.sql_count("SELECT COUNT(*) AS n FROM attachments").await,
        0
    );
}

#[tokio::test]
async fn another_class_photos_are_denied() {
    let app = spawn_app().await;
    let t1 = app.token("teacher1").await;
    let class1 = app.own_class_id("teacher1").await;
    let tpl = app.template("traffic_weekly").await;
    let photo = app.upload_photo("teacher1").await;
    let sub = app
        .post(
            "/api/v1/inspections",
            &t1,
            json!({
                "template_id": tpl["id"], "class_id": class1, "all_passed": true,
                "answers": [{"item_key": "t3", "result": "fail", "attachment_ids": [photo]}]
            }),
        )
        .await;
    assert_eq!(sub.status, StatusCode::CREATED, "{}", sub.text);

    let t2 = app.token("teacher2").await;
    let r = app.get(&format!("/api/v1/attachments/{photo}"), &t2).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "attachment_forbidden");
    let r = app
        .get(&format!("/api/v1/attachments/{photo}/thumbnail"), &t2)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for who in ["teacher1", "office", "principal", "officer1"] {
        let t = app.token(who).await;
        let r = app.get(&format!("/api/v1/attachments/{photo}"), &t).await;
        assert_eq!(r.status, StatusCode::OK, "{who}");
    }

    // The owner of the hazard the failed item raised may see its photo too.
    let hazard_id = sub.body["hazard_ids"][0].as_str().unwrap().to_owned();
    let office = app.token("office").await;
    let teacher2 = app.me("teacher2").await["id"].as_str().unwrap().to_owned();
    let deadline = (chrono::Utc::now() + chrono::Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    let a = app
        .post(
            &format!("/api/v1/hazards/{hazard_id}/assign"),
            &office,
            json!({"owner_id": teacher2, "deadline": deadline}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let r = app.get(&format!("/api/v1/attachments/{photo}"), &t2).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Someone else's upload cannot be attached, nor one already used elsewhere.
    let t2_photo = app.upload_photo("teacher2").await;
    let r = app
        .post("/api/v1/hazards", &t1, json!({"category": "traffic", "location": "车棚", "description": "x", "attachment_ids": [t2_photo]}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["code"], "attachment_not_found");
    let r = app
        .post("/api/v1/hazards", &t1, json!({"category": "traffic", "location": "车棚", "description": "x", "attachment_ids": [photo]}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["code"], "attachment_in_use");
}

#[tokio::test]
async fn one_users_parallel_uploads_stop_at_the_pixels_per_minute() {
    let app = spawn_app_with(AppOptions::default(), |s| {
        s.upload_pixels_per_minute = 5_000_000;
    })
    .await;
    let officer = app.token("officer1").await;
    // 1000×1000: a megapixel each, so exactly five fit in the minute, however they overlap.
    let img = png_bytes(1000, 1000);
    let uploads = (0..12).map(|_| app.upload(&officer, "p.png", "image/png", img.clone()));
    let results = futures_util::future::join_all(uploads).await;
    let created = results
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 5);
    for r in results.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
        assert_eq!(r.code(), "upload_rate_limited");
        let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=61).contains(&wait), "{wait}");
    }
    // The bound is the user's, not everyone's.
    let t1 = app.token("teacher1").await;
    let r = app.upload(&t1, "p.png", "image/png", img).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn an_image_larger_than_the_decode_budget_is_refused_before_decoding() {
    let app = spawn_app_with(AppOptions::default(), |s| {
        s.upload_decode_memory_mb = 16;
    })
    .await;
    let officer = app.token("officer1").await;
    let before = stored_files(&app);
    // 2100×2100 RGBA is 17 MiB: more than all decodes together may take. One colour, so the
    // file itself is small.
    let mut big = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::new(2100, 2100))
        .write_to(&mut big, image::ImageFormat::Png)
        .unwrap();
    let r = app
        .upload(&officer, "big.png", "image/png", big.into_inner())
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.code(), "image_too_large");
    assert_eq!(stored_files(&app), before);
    let r = app
        .upload(&officer, "ok.png", "image/png", png_bytes(1000, 1000))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn each_user_has_a_quota_of_stored_bytes() {
    let app = spawn_app_with(AppOptions::default(), |s| {
        s.upload_quota_mb = 1;
    })
    .await;
    let officer = app.token("officer1").await;
    // Noise does not compress: about 270 KB each, so the fourth would pass 1 MiB.
    let mut seed = 0x2545_f491_u32;
    let noise = image::RgbImage::from_fn(300, 300, |_, _| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let [_, a, b, c] = seed.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(noise)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    let img = out.into_inner();
    assert!(img.len() > 200 * 1024, "{}", img.len());
    let mut stored = 0usize;
    let refused = loop {
        let r = app
            .upload(&officer, "p.png", "image/png", img.clone())
            .await;
        if r.status != StatusCode::CREATED {
            break r;
        }
        stored += img.len();
        assert!(stored <= 1024 * 1024, "past the quota: {stored}");
    };
    assert_eq!(
        refused.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        refused.text
    );
    assert_eq!(refused.code(), "attachment_quota_exceeded");
    assert!(stored + img.len() > 1024 * 1024);
    // Someone else still uploads.
    let t1 = app.token("teacher1").await;
    let r = app.upload(&t1, "p.png", "image/png", img).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}
