//! The office's public page: articles written and published through the API, shown without
//! sign-in as HTML and Atom (cached with ETags), the duty contacts the school chooses (post,
//! name, the post's duty phone — never a person's own), and nothing about a student, ever.

use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

async fn public_get(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

async fn article(app: &TestApp, title: &str, body: &str, photos: &[String]) -> Value {
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/articles",
            &office,
            json!({"kind": "notice", "title": title, "body": body, "photo_ids": photos}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["published"], false);
    r.body
}

async fn publish(app: &TestApp, id: &str, on: bool) -> reqwest::StatusCode {
    let office = app.token("office").await;
    let r = app
        .put(
            &format!("/api/v1/articles/{id}/published"),
            &office,
            json!({"published": on}),
        )
        .await;
    if r.status == StatusCode::OK {
        assert_eq!(r.body["published"], on);
    }
    r.status
}

#[tokio::test]
async fn an_article_is_public_only_while_published_with_its_pictures() {
    let app = spawn_app().await;
    let photo = app.upload_photo("office").await;
    let a = article(
        &app,
        "校园防盗<提示>",
        "请锁好门窗 & 保管好财物。\n\n第二段",
        std::slice::from_ref(&photo),
    )
    .await;
    let id = a["id"].as_str().unwrap();
    assert_eq!(a["photo_ids"], json!([photo]));

    // A draft is nowhere public: not listed, its page and its picture 404.
    let (s, _, html) = public_get(&app, "/public/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("校园防盗"), "{html}");
    let (s, _, _) = public_get(&app, &format!("/public/articles/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = public_get(&app, &format!("/public/photos/{photo}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    assert_eq!(publish(&app, id, true).await, StatusCode::OK);
    let (s, h, html) = public_get(&app, "/public/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    // Escaped, never raw HTML from the office's text.
    assert!(html.contains("校园防盗&lt;提示&gt;"), "{html}");
    assert!(html.contains(&format!("/public/articles/{id}")));
    let (s, _, page) = public_get(&app, &format!("/public/articles/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("请锁好门窗 &amp; 保管好财物。"), "{page}");
    assert!(page.contains(&format!("/public/photos/{photo}")));
    let (s, h, bytes) = public_get(&app, &format!("/public/photos/{photo}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "image/png");
    assert!(!bytes.is_empty());

    // The feed carries it.
    let (s, h, feed) = public_get(&app, "/public/feed.atom").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    assert!(feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    assert!(feed.contains(&format!("urn:uuid:{id}")));

    // Taken down: gone from the page, the feed and the picture route.
    assert_eq!(publish(&app, id, false).await, StatusCode::OK);
    let (_, _, html) = public_get(&app, "/public/").await;
    assert!(!html.contains("校园防盗"));
    let (_, _, feed) = public_get(&app, "/public/feed.atom").await;
    assert!(!feed.contains(id));
    let (s, _, _) = public_get(&app, &format!("/public/photos/{photo}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(app.audit("action=article.publish").await.len(), 1);
    assert_eq!(app.audit("action=article.unpublish").await.len(), 1);
}

#[tokio::test]
async fn pages_are_cached_and_revalidated_by_etag() {
    let app = spawn_app().await;
    let (s, h, _) = public_get(&app, "/public/").await;
    assert_eq!(s, StatusCode::OK);
    let cache = h["cache-control"].to_str().unwrap();
    assert!(
        cache.contains("public") && cache.contains("max-age"),
        "{cache}"
    );
    let etag = h["etag"].to_str().unwrap().to_owned();
    let r = app
        .client
        .get(app.url("/public/"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    // A change makes a new page (and a new tag).
    let a = article(&app, "新通知", "内容", &[]).await;
    publish(&app, a["id"].as_str().unwrap(), true).await;
    let r = app
        .client
        .get(app.url("/public/"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_ne!(r.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn nothing_about_a_student_is_ever_public() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let class = app.own_class_id("teacher1").await;
    let students = app.students_of(&class).await;
    let name = students[0]["name"].as_str().unwrap().to_owned();
    let number = students[1]["student_no"].as_str().unwrap().to_owned();

    // An article naming a student, or giving a student number, cannot be published…
    let a = article(&app, "表扬通报", &format!("{name}同学拾金不昧。"), &[]).await;
    let id = a["id"].as_str().unwrap();
    let r = app
        .put(
            &format!("/api/v1/articles/{id}/published"),
            &office,
            json!({"published": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "article_names_student");
    assert!(!r.text.contains(&name), "the error quotes the name");
    let b = article(
        &app,
        "失物招领",
        &format!("学号 {number} 的校牌已交门卫室。"),
        &[],
    )
    .await;
    let r = app
        .put(
            &format!("/api/v1/articles/{}/published", b["id"].as_str().unwrap()),
            &office,
            json!({"published": true}),
        )
        .await;
    assert_eq!(r.code(), "article_names_student");
    // …nor can a published one be edited to name one.
    let c = article(&app, "安全提示", "注意安全。", &[]).await;
    let cid = c["id"].as_str().unwrap();
    assert_eq!(publish(&app, cid, true).await, StatusCode::OK);
    let r = app
        .patch(
            &format!("/api/v1/articles/{cid}"),
            &office,
            json!({"body": format!("{name}注意安全。")}),
        )
        .await;
    assert_eq!(r.code(), "article_names_student", "{}", r.text);
    let r = app.get(&format!("/api/v1/articles/{cid}"), &office).await;
    assert_eq!(r.body["body"], "注意安全。");

    // Every public page and the feed: no student's name or number, no guardian, no phone of a
    // person (the demo's articles and the settings included).
    let mut pages = vec!["/public/".to_owned(), "/public/feed.atom".to_owned()];
    let list = app.get("/api/v1/articles", &office).await;
    for a in list.body.as_array().unwrap() {
        pages.push(format!("/public/articles/{}", a["id"].as_str().unwrap()));
    }
    let mut people = Vec::new();
    for class in app.class_ids().await.values() {
        for s in app.students_of(class).await {
            for k in ["name", "student_no", "guardian_name", "guardian_phone"] {
                if let Some(v) = s[k].as_str().filter(|v| v.chars().count() >= 2) {
                    people.push(v.to_owned());
                }
            }
        }
    }
    assert!(
        people.len() > 100,
        "the demo school's students: {}",
        people.len()
    );
    for u in ["principal", "office", "teacher1", "guard1"] {
        if let Some(p) = app.me(u).await["phone"].as_str() {
            people.push(p.to_owned());
        }
    }
    for p in &pages {
        let (s, _, text) = public_get(&app, p).await;
        if s == StatusCode::NOT_FOUND {
            continue; // a draft
        }
        assert_eq!(s, StatusCode::OK, "{p}");
        for who in &people {
            assert!(!text.contains(who.as_str()), "{p} shows personal data");
        }
    }
}

#[tokio::test]
async fn the_duty_contacts_the_school_chooses_are_shown_with_post_phones_only() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let day = (school_today() + chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let r = app
        .post(
            "/api/v1/duty/rosters",
            &office,
            json!({"title": "元旦假期值班表", "start_date": day, "end_date": day}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let roster = r.body["id"].as_str().unwrap().to_owned();
    let guard = app.user_id("guard1").await;
    let leader = app.user_id("principal").await;
    for (post, user, start, end) in [
        ("guard", &guard, "08:00", "20:00"),
        ("leader_on_call", &leader, "08:00", "08:00"),
    ] {
        let r = app
            .post(&format!("/api/v1/duty/rosters/{roster}/shifts"), &office, json!({"date": day, "start_time": start, "end_time": end, "post": post, "user_id": user}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    // A draft roster cannot be shown.
    let r = app
        .put(
            "/api/v1/public-page",
            &office,
            json!({"duty_roster_ids": [roster], "phones": {"guard": "0512-66320000"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "duty_roster_ids[0]");
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{roster}/publish"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let (_, _, html) = public_get(&app, "/public/").await;
    assert!(!html.contains("元旦假期值班表"), "not chosen yet");
    let r = app
        .put("/api/v1/public-page", &office, json!({"duty_roster_ids": [roster], "phones": {"guard": "0512-66320000", "leader_on_call": null, "duty_teacher": null}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["duty_roster_ids"], json!([roster]));
    // The principal reads the settings, a guard does not.
    let p = app.token("principal").await;
    assert_eq!(
        app.get("/api/v1/public-page", &p).await.status,
        StatusCode::OK
    );
    let g = app.token("guard1").await;
    assert_eq!(
        app.get("/api/v1/public-page", &g).await.status,
        StatusCode::FORBIDDEN
    );

    let (_, _, html) = public_get(&app, "/public/").await;
    assert!(html.contains("元旦假期值班表"), "{html}");
    let guard_name = app.me("guard1").await["display_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let principal = app.me("principal").await;
    assert!(html.contains(&guard_name));
    assert!(html.contains(principal["display_name"].as_str().unwrap()));
    assert!(
        html.contains("0512-66320000"),
        "the guard post's duty phone"
    );
    // A person's own phone never.
    for u in ["guard1", "principal"] {
        let phone = app.me(u).await["phone"]
            .as_str()
            .unwrap_or("none")
            .to_owned();
        assert!(!html.contains(&phone), "{u}'s own phone is shown");
    }
}

#[tokio::test]
async fn only_the_office_writes_and_the_principal_reads_articles() {
    let app = spawn_app().await;
    let body = json!({"kind": "education", "title": "防溺水", "body": "不私自下水游泳。"});
    for u in ["principal", "teacher1", "guard1", "officer1"] {
        let t = app.token(u).await;
        let r = app.post("/api/v1/articles", &t, body.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{u}");
    }
    let p = app.token("principal").await;
    let r = app.get("/api/v1/articles", &p).await;
    assert_eq!(r.status, StatusCode::OK);
    // The demo: published articles and a draft.
    let list = r.body.as_array().unwrap();
    assert!(list.iter().any(|a| a["published"] == true));
    assert!(list.iter().any(|a| a["published"] == false));
    let t = app.token("teacher1").await;
    assert_eq!(
        app.get("/api/v1/articles", &t).await.status,
        StatusCode::FORBIDDEN
    );
    // Bad input is a 422 naming the field.
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/articles",
            &office,
            json!({"kind": "notice", "title": " ", "body": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "title");
    // Deleting unlinks the pictures and removes the page.
    let photo = app.upload_photo("office").await;
    let r = app
        .post(
            "/api/v1/articles",
            &office,
            json!({"kind": "notice", "title": "临时", "body": "x", "photo_ids": [photo]}),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = app.delete(&format!("/api/v1/articles/{id}"), &office).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/articles/{id}"), &office)
            .await
            .code(),
        "article_not_found"
    );
}
