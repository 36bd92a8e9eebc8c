//! 车辆疏导 is a plan item linked to a duty roster of the traffic posts: the office links a roster
//! to an item (also on an approved plan), the item shows the roster, the roster shows the items
//! it carries out, a linked roster is not deleted from under its item; shifts name their place.
//! And the demo: 期末家长车辆疏导 linked to a traffic-post roster, and the next holiday's roster
//! on the public page.

use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

fn day(offset: i64) -> String {
    (school_today() + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

async fn new_plan(app: &TestApp) -> String {
    let office = app.token("office").await;
    let r = app
        .post(
            "/api/v1/plans",
            &office,
            json!({"title": format!("测试工作计划{}", build::unique()), "semester": "2030-2031-1",
                   "starts_on": "2030-09-01", "ends_on": "2031-01-31",
                   "guiding_ideology": "安全第一", "goals_and_priorities": "零事故", "measures": "加强门卫"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_plan_item_links_a_traffic_post_roster_both_ways() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let leader = app.user_id("principal").await;
    let guard = app.new_guard().await;
    let teacher = app.new_teacher().await;
    let (d1, d2) = (day(30), day(31));

    // A traffic-post roster: each shift names its place.
    let roster = app.new_roster(&d1, &d2, &[]).await;
    for (date, from, to, post, user, place) in [
        (
            &d1,
            "15:00",
            "17:30",
            "leader_on_call",
            &leader,
            "校门口(现场指挥)",
        ),
        (&d1, "15:30", "17:30", "guard", &guard.id, "校门口东侧"),
        (
            &d1,
            "15:30",
            "17:30",
            "duty_teacher",
            &teacher.id,
            "校门口西侧",
        ),
        (
            &d2,
            "15:00",
            "17:30",
            "leader_on_call",
            &leader,
            "校门口(现场指挥)",
        ),
        (&d2, "15:30", "17:30", "guard", &guard.id, "校门口西侧"),
    ] {
        let r = app
            .post(
                &format!("/api/v1/duty/rosters/{roster}/shifts"),
                &office,
                json!({"date": date, "start_time": from, "end_time": to, "post": post, "user_id": user, "place": place}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["place"], place);
    }
    let r = app
        .post(&format!("/api/v1/duty/rosters/{roster}/shifts"), &office,
            json!({"date": d1, "start_time": "07:00", "end_time": "08:00", "post": "guard", "user_id": guard.id, "place": "岗".repeat(51)}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "place");

    // The item links it when created, and shows it.
    let plan = new_plan(&app).await;
    let r = app
        .post(
            &format!("/api/v1/plans/{plan}/items"),
            &office,
            json!({"month": &d2[..7], "title": "期末家长车辆疏导", "category": "other",
                   "owner_id": teacher.id, "due_date": d2, "duty_roster_id": roster}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let item = r.body["id"].as_str().unwrap().to_owned();
    let linked = &r.body["duty_roster"];
    assert_eq!(linked["id"], roster.as_str());
    assert_eq!(linked["start_date"], d1.as_str());
    assert_eq!(linked["end_date"], d2.as_str());
    assert_eq!(linked["status"], "draft");
    assert!(linked["title"].as_str().unwrap().starts_with("测试值班表"));
    // An item without a link shows none; a roster that does not exist is refused.
    let r = app
        .post(
            &format!("/api/v1/plans/{plan}/items"),
            &office,
            json!({"month": &d2[..7], "title": "无值班表", "category": "other",
                   "duty_roster_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "duty_roster_id");

    // The roster tells which items it carries out (the office sees a draft plan's).
    let r = app
        .get(&format!("/api/v1/duty/rosters/{roster}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["plan_items"][0]["id"], item.as_str());
    assert_eq!(r.body["plan_items"][0]["plan_id"], plan.as_str());
    assert_eq!(r.body["plan_items"][0]["title"], "期末家长车辆疏导");
    let places: Vec<&str> = r.body["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["place"].as_str().unwrap())
        .collect();
    assert!(
        places.contains(&"校门口东侧") && places.contains(&"校门口西侧"),
        "{places:?}"
    );

    // A roster an item links to is not deleted from under it.
    let r = app
        .delete(&format!("/api/v1/duty/rosters/{roster}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "roster_linked_to_plan_item");
    assert!(
        app.get(&format!("/api/v1/duty/rosters/{roster}"), &office)
            .await
            .status
            == StatusCode::OK
    );

    // Publish the roster; submit and approve the plan.
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{roster}/publish"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(&format!("/api/v1/plans/{plan}/submit"), &office, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Under review, staff do not see the plan's item on the roster; the principal does.
    let r = app
        .get(&format!("/api/v1/duty/rosters/{roster}"), &guard.token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["plan_items"], json!([]));
    let r = app
        .get(&format!("/api/v1/duty/rosters/{roster}"), &principal)
        .await;
    assert_eq!(r.body["plan_items"].as_array().unwrap().len(), 1);
    let r = app
        .post(
            &format!("/api/v1/plans/{plan}/approve"),
            &principal,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .get(&format!("/api/v1/duty/rosters/{roster}"), &guard.token)
        .await;
    assert_eq!(r.body["plan_items"][0]["id"], item.as_str());

    // On the approved plan the office still links and unlinks rosters (carrying it out);
    // the item's owner may report progress but not change the link.
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{item}"),
            &teacher.token,
            json!({"duty_roster_id": uuid::Uuid::nil()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{item}"),
            &office,
            json!({"duty_roster_id": uuid::Uuid::nil()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["duty_roster"].is_null());
    let r = app
        .get(&format!("/api/v1/duty/rosters/{roster}"), &office)
        .await;
    assert_eq!(r.body["plan_items"], json!([]));
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{item}"),
            &office,
            json!({"duty_roster_id": roster}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["duty_roster"]["status"], "published");
    // Read back through the plan.
    let r = app
        .get(&format!("/api/v1/plans/{plan}"), &teacher.token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let it = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == item.as_str())
        .cloned()
        .unwrap();
    assert_eq!(it["duty_roster"]["id"], roster.as_str());
    let audit = app
        .audit(&format!("entity_id={item}&action=plan_item.update"))
        .await;
    assert!(
        audit
            .iter()
            .any(|a| a["changes"]["after"]["duty_roster_id"] == roster.as_str()),
        "{audit:?}"
    );

    // A draft roster, linked then unlinked, may be deleted again.
    let draft = app.new_roster(&day(40), &day(40), &[]).await;
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{item}"),
            &office,
            json!({"duty_roster_id": draft}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .delete(&format!("/api/v1/duty/rosters/{draft}"), &office)
        .await;
    assert_eq!(r.code(), "roster_linked_to_plan_item");
    let r = app
        .patch(
            &format!("/api/v1/plan-items/{item}"),
            &office,
            json!({"duty_roster_id": uuid::Uuid::nil()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .delete(&format!("/api/v1/duty/rosters/{draft}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}

#[tokio::test]
async fn the_demo_links_term_end_traffic_posts_and_shows_the_next_holiday_publicly() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let teacher = app.token("teacher1").await;

    // The current plan's 期末家长车辆疏导 links a published roster of traffic posts.
    let r = app.get("/api/v1/semesters/current", &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let code = r.body["code"].as_str().unwrap().to_owned();
    let ends_on = r.body["ends_on"].as_str().unwrap().to_owned();
    let plans = app
        .get(&format!("/api/v1/plans?semester={code}"), &teacher)
        .await;
    assert_eq!(plans.status, StatusCode::OK, "{}", plans.text);
    let plan_id = plans.body["items"][0]["id"].as_str().unwrap().to_owned();
    let plan = app.get(&format!("/api/v1/plans/{plan_id}"), &teacher).await;
    let item: Value = plan.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "期末家长车辆疏导")
        .cloned()
        .expect("期末家长车辆疏导 in the current plan");
    let linked = &item["duty_roster"];
    assert_eq!(linked["status"], "published");
    assert!(linked["end_date"].as_str().unwrap() < ends_on.as_str());
    assert_eq!(item["due_date"], linked["end_date"]);
    let roster_id = linked["id"].as_str().unwrap();
    let r = app
        .get(&format!("/api/v1/duty/rosters/{roster_id}"), &teacher)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["plan_items"][0]["id"], item["id"]);
    let places: std::collections::BTreeSet<&str> = r.body["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["place"].as_str())
        .collect();
    assert!(
        places.contains("校门口东侧") && places.contains("校门口西侧"),
        "{places:?}"
    );
    // The demo roster could have been published through the API: no conflicts.
    let r = app
        .get(
            &format!("/api/v1/duty/rosters/{roster_id}/conflicts"),
            &office,
        )
        .await;
    assert_eq!(r.body, json!([]));

    // The public page shows the next holiday's roster with its leaders, by post phone only.
    let today = school_today();
    let r = app.get("/api/v1/public-page", &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let shown = r.body["duty_roster_ids"][0].as_str().unwrap().to_owned();
    let holiday = app
        .get(&format!("/api/v1/duty/rosters/{shown}"), &office)
        .await;
    assert_eq!(holiday.body["status"], "published");
    let title = holiday.body["title"].as_str().unwrap().to_owned();
    let end = holiday.body["end_date"].as_str().unwrap().to_owned();
    assert!(end >= today.format("%Y-%m-%d").to_string(), "{end}");
    assert!(title.ends_with("值班表"), "{title}");
    let resp = app.client.get(app.url("/public/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains(&title), "{html}");
    // The principal is the leader on call on the holiday's first and last days.
    assert!(html.contains("陈志明"), "{html}");
    assert!(html.contains("0512-66321001"), "the leader's duty phone");
    // Never a person's own phone.
    assert!(
        !html.contains("13906130001") && !html.contains("13906130002"),
        "{html}"
    );
}
