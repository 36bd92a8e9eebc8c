use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

async fn roster(app: &TestApp, title: &str, start: &str, end: &str) -> String {
    let office = app.token("office").await;
    let r = app
        .post("/api/v1/duty/rosters", &office, json!({"title": title, "start_date": start, "end_date": end, "report_to": "校办", "notify": "教师群"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "draft");
    r.body["id"].as_str().unwrap().to_owned()
}

async fn shift(
    app: &TestApp,
    roster: &str,
    date: &str,
    start: &str,
    end: &str,
    post: &str,
    user: &str,
) -> Value {
    let office = app.token("office").await;
    let r = app
        .post(&format!("/api/v1/duty/rosters/{roster}/shifts"), &office, json!({"date": date, "start_time": start, "end_time": end, "post": post, "user_id": user}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

#[tokio::test]
async fn demo_holiday_rosters_are_published() {
    let app = spawn_app().await;
    let g = app.token("guard1").await;
    let r = app.get("/api/v1/duty/rosters", &g).await;
    assert_eq!(r.status, StatusCode::OK);
    let titles: Vec<(&str, &str, &str)> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["title"].as_str().unwrap(),
                r["start_date"].as_str().unwrap(),
                r["end_date"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        titles[..3],
        [
            ("清明节值班表", "2020-04-04", "2020-04-06"),
            ("劳动节值班表", "2020-05-01", "2020-05-05"),
            ("端午节值班表", "2020-06-25", "2020-06-27")
        ]
    );
    assert_eq!(titles[3].0, "暑假值班表");
    let all = r.body.as_array().unwrap();
    assert!(all.iter().all(|r| r["status"] == "published"
        && r["report_to"] == "校办"
        && r["notify"] == "教师群"
        && !r["reported_at"].is_null()));
    let id = all[0]["id"].as_str().unwrap();
    let q = app.get(&format!("/api/v1/duty/rosters/{id}"), &g).await;
    let shifts = q.body["shifts"].as_array().unwrap();
    assert_eq!(shifts.len(), 12);
    let leader = shifts
        .iter()
        .find(|s| s["post"] == "leader_on_call")
        .unwrap();
    assert_eq!(leader["phone"], "13906130001");
    // The demo rosters have no conflicts.
    let office = app.token("office").await;
    assert_eq!(
        app.get(&format!("/api/v1/duty/rosters/{id}/conflicts"), &office)
            .await
            .body,
        json!([])
    );
}

#[tokio::test]
async fn conflicts_are_reported_and_block_publishing() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let principal = app.user_id("principal").await;
    let guard1 = app.user_id("guard1").await;
    let teacher5 = app.user_id("teacher5").await;
    let id = roster(&app, "国庆节值班表", "2030-10-01", "2030-10-02").await;
    shift(
        &app,
        &id,
        "2030-10-01",
        "08:00",
        "08:00",
        "leader_on_call",
        &principal,
    )
    .await;
    let a = shift(&app, &id, "2030-10-01", "08:00", "20:00", "guard", &guard1).await;
    let b = shift(&app, &id, "2030-10-01", "19:00", "23:00", "guard", &guard1).await;
    let c = shift(
        &app,
        &id,
        "2030-10-02",
        "08:00",
        "17:00",
        "duty_teacher",
        &teacher5,
    )
    .await;
    // teacher5's account is disabled.
    let r = app
        .patch(
            &format!("/api/v1/users/{teacher5}"),
            &office,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let conflicts = app
        .get(&format!("/api/v1/duty/rosters/{id}/conflicts"), &office)
        .await
        .body;
    let kinds: Vec<&str> = conflicts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"overlap"), "{conflicts}");
    assert!(kinds.contains(&"user_disabled"), "{conflicts}");
    assert!(kinds.contains(&"no_leader"), "{conflicts}");
    assert_eq!(kinds.len(), 3, "{conflicts}");
    let overlap = conflicts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "overlap")
        .unwrap();
    assert_eq!(overlap["shift_ids"], json!([a["id"], b["id"]]));
    let nl = conflicts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "no_leader")
        .unwrap();
    assert_eq!(nl["date"], "2030-10-02");
    // Publishing is refused with the list.
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{id}/publish"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "roster_conflicts");
    let codes: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 3);
    assert!(
        codes.contains(&"no_leader")
            && codes.contains(&"overlap")
            && codes.contains(&"user_disabled")
    );
    // No names or phones in the problem.
    assert!(!r.text.contains("赵保国") && !r.text.contains("1390613"));
    // Fix them.
    let bid = b["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/duty/shifts/{bid}"), &office)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let cid = c["id"].as_str().unwrap();
    app.delete(&format!("/api/v1/duty/shifts/{cid}"), &office)
        .await;
    let office_id = app.user_id("office").await;
    shift(
        &app,
        &id,
        "2030-10-02",
        "08:00",
        "08:00",
        "leader_on_call",
        &office_id,
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/duty/rosters/{id}/conflicts"), &office)
            .await
            .body,
        json!([])
    );
    let t = app.token("teacher1").await;
    assert_eq!(
        app.post(&format!("/api/v1/duty/rosters/{id}/publish"), &t, json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Drafts are the office's: others see 404.
    assert_eq!(
        app.get(&format!("/api/v1/duty/rosters/{id}"), &t)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{id}/publish"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "published");
    assert_eq!(
        app.get(&format!("/api/v1/duty/rosters/{id}"), &t)
            .await
            .status,
        StatusCode::OK
    );
    // Published: shifts no longer change directly.
    let r = app.post(&format!("/api/v1/duty/rosters/{id}/shifts"), &office, json!({"date": "2030-10-01", "start_time": "08:00", "end_time": "17:00", "post": "duty_teacher", "user_id": principal})).await;
    assert_eq!(r.code(), "roster_published");
    // Report it (报送).
    let r = app
        .patch(
            &format!("/api/v1/duty/rosters/{id}"),
            &office,
            json!({"reported": true}),
        )
        .await;
    assert!(!r.body["reported_at"].is_null());
    assert_eq!(app.audit("action=roster.publish").await.len(), 1);
    // A shift that overlaps the published roster's is a conflict for a new roster.
    let id2 = roster(&app, "临时值班表", "2030-10-01", "2030-10-01").await;
    shift(
        &app,
        &id2,
        "2030-10-01",
        "10:00",
        "12:00",
        "leader_on_call",
        &guard1,
    )
    .await;
    let conflicts = app
        .get(&format!("/api/v1/duty/rosters/{id2}/conflicts"), &office)
        .await
        .body;
    assert_eq!(conflicts.as_array().unwrap().len(), 1, "{conflicts}");
    assert_eq!(conflicts[0]["kind"], "overlap");
    // Moving a draft's dates leaves its shifts outside: reported too.
    let r = app
        .patch(
            &format!("/api/v1/duty/rosters/{id2}"),
            &office,
            json!({"start_date": "2030-10-03", "end_date": "2030-10-03"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let conflicts = app
        .get(&format!("/api/v1/duty/rosters/{id2}/conflicts"), &office)
        .await
        .body;
    let kinds: Vec<&str> = conflicts
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"outside_range") && kinds.contains(&"no_leader"),
        "{conflicts}"
    );
    // A published roster's dates are fixed.
    let r = app
        .patch(
            &format!("/api/v1/duty/rosters/{id}"),
            &office,
            json!({"end_date": "2030-10-05"}),
        )
        .await;
    assert_eq!(r.code(), "roster_published");
}

#[tokio::test]
async fn shifts_are_generated_from_a_pattern() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let g1 = app.user_id("guard1").await;
    let g2 = app.user_id("guard2").await;
    let p = app.user_id("principal").await;
    let o = app.user_id("office").await;
    let id = roster(&app, "元旦值班表", "2030-12-30", "2031-01-01").await;
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{id}/generate"),
            &office,
            json!({"slots": [
                {"post": "leader_on_call", "start_time": "08:00", "end_time": "08:00", "user_ids": [p, o]},
                {"post": "guard", "start_time": "08:00", "end_time": "20:00", "user_ids": [g1, g2]},
                {"post": "guard", "start_time": "20:00", "end_time": "08:00", "user_ids": [g1, g2]},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let shifts = r.body["shifts"].as_array().unwrap();
    assert_eq!(shifts.len(), 9);
    let on = |date: &str, post: &str, start: &str| -> String {
        shifts
            .iter()
            .find(|s| s["date"] == date && s["post"] == post && s["start_time"] == start)
            .unwrap()["user_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(on("2030-12-30", "leader_on_call", "08:00"), p);
    assert_eq!(on("2030-12-31", "leader_on_call", "08:00"), o);
    assert_eq!(on("2030-12-30", "guard", "08:00"), g1);
    assert_eq!(on("2030-12-30", "guard", "20:00"), g2);
    assert_eq!(on("2030-12-31", "guard", "08:00"), g2);
    assert_eq!(on("2030-12-31", "guard", "20:00"), g1);
    // A night shift ends the next morning (UTC+8).
    let night = shifts
        .iter()
        .find(|s| s["date"] == "2030-12-30" && s["start_time"] == "20:00")
        .unwrap();
    assert_eq!(night["starts_at"], "2030-12-30T12:00:00Z");
    assert_eq!(night["ends_at"], "2030-12-31T00:00:00Z");
    assert_eq!(
        app.get(&format!("/api/v1/duty/rosters/{id}/conflicts"), &office)
            .await
            .body,
        json!([])
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/duty/rosters/{id}/publish"),
            &office,
            json!({})
        )
        .await
        .status,
        StatusCode::OK
    );
    let bad = roster(&app, "x", "2031-02-01", "2031-02-01").await;
    let r = app.post(&format!("/api/v1/duty/rosters/{bad}/generate"), &office, json!({"slots": [{"post": "boss", "start_time": "8", "end_time": "08:00", "user_ids": []}]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn swaps_need_the_other_person_and_the_office() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let g1t = app.token("guard1").await;
    let g2t = app.token("guard2").await;
    let g1 = app.user_id("guard1").await;
    let g2 = app.user_id("guard2").await;
    let p = app.user_id("principal").await;
    let id = roster(&app, "国庆节值班表", "2030-10-01", "2030-10-01").await;
    shift(
        &app,
        &id,
        "2030-10-01",
        "08:00",
        "08:00",
        "leader_on_call",
        &p,
    )
    .await;
    let day = shift(&app, &id, "2030-10-01", "08:00", "20:00", "guard", &g1).await;
    let night = shift(&app, &id, "2030-10-01", "20:00", "08:00", "guard", &g2).await;
    let sid = day["id"].as_str().unwrap();
    // Not before publishing.
    let r = app
        .post(
            &format!("/api/v1/duty/shifts/{sid}/swaps"),
            &office,
            json!({"target_user_id": g2}),
        )
        .await;
    assert_eq!(r.code(), "roster_not_published");
    app.post(
        &format!("/api/v1/duty/rosters/{id}/publish"),
        &office,
        json!({}),
    )
    .await;
    // Only for one's own shift.
    let r = app
        .post(
            &format!("/api/v1/duty/shifts/{sid}/swaps"),
            &g2t,
            json!({"target_user_id": g1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "not_your_shift");
    let r = app
        .post(
            &format!("/api/v1/duty/shifts/{sid}/swaps"),
            &g1t,
            json!({"target_user_id": g2, "reason": "家中有事"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "requested");
    let swap = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/duty/shifts/{sid}/swaps"),
            &g1t,
            json!({"target_user_id": g2}),
        )
        .await;
    assert_eq!(r.code(), "swap_pending");
    // The office cannot approve before the other person accepts; the requester cannot accept.
    let r = app
        .post(
            &format!("/api/v1/duty/swaps/{swap}/approve"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "swap_wrong_state");
    let r = app
        .post(
            &format!("/api/v1/duty/swaps/{swap}/accept"),
            &g1t,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            &format!("/api/v1/duty/swaps/{swap}/accept"),
            &g2t,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "accepted");
    let r = app
        .post(
            &format!("/api/v1/duty/swaps/{swap}/approve"),
            &g2t,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            &format!("/api/v1/duty/swaps/{swap}/approve"),
            &office,
            json!({"comment": "同意"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "approved");
    let ro = app
        .get(&format!("/api/v1/duty/rosters/{id}"), &office)
        .await
        .body;
    let moved = ro["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == sid)
        .unwrap();
    assert_eq!(moved["user_id"], g2.as_str());
    assert_eq!(moved["phone"], "13906130022");
    // History kept: both see it.
    let h = app
        .get(&format!("/api/v1/duty/swaps?roster_id={id}"), &g1t)
        .await
        .body;
    assert_eq!(h.as_array().unwrap().len(), 1);
    assert_eq!(h[0]["status"], "approved");
    assert_eq!(h[0]["requester_id"], g1.as_str());
    assert_eq!(app.audit("action=swap.approve").await.len(), 1);
    assert_eq!(app.audit("action=shift.reassign").await.len(), 1);
    // guard2 now asks guard1 to take the night shift, but guard1 is off: fine; the office
    // rejects it instead, and history shows both.
    let nid = night["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/duty/shifts/{nid}/swaps"),
            &g2t,
            json!({"target_user_id": g1}),
        )
        .await;
    let s2 = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/duty/swaps/{s2}/reject"),
            &office,
            json!({"comment": "人手不足"}),
        )
        .await;
    assert_eq!(r.body["status"], "rejected");
    assert_eq!(
        app.get("/api/v1/duty/swaps", &g1t)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A shift that has started can no longer be swapped: the demo's 2020 shifts.
    let demo = app
        .get("/api/v1/duty/my-shifts?from=2020-04-04&to=2020-04-04", &g1t)
        .await
        .body;
    let past = demo[0]["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/duty/shifts/{past}/swaps"),
            &g1t,
            json!({"target_user_id": g2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "shift_started");
    // Someone busy then cannot take it: guard2 asks to hand the day shift to the principal
    // (leader on call all day).
    let r = app
        .post(
            &format!("/api/v1/duty/shifts/{sid}/swaps"),
            &g2t,
            json!({"target_user_id": p}),
        )
        .await;
    let s3 = r.body["id"].as_str().unwrap().to_owned();
    let pt = app.token("principal").await;
    app.post(&format!("/api/v1/duty/swaps/{s3}/accept"), &pt, json!({}))
        .await;
    let r = app
        .post(
            &format!("/api/v1/duty/swaps/{s3}/approve"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "swap_conflict");
}

#[tokio::test]
async fn who_is_on_duty_now_and_my_shifts() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let p = app.user_id("principal").await;
    let g1 = app.user_id("guard1").await;
    let t1 = app.user_id("teacher1").await;
    let today = school_today().format("%Y-%m-%d").to_string();
    let id = roster(&app, "今日值班表", &today, &today).await;
    shift(&app, &id, &today, "00:00", "00:00", "leader_on_call", &p).await;
    shift(&app, &id, &today, "00:00", "00:00", "guard", &g1).await;
    shift(&app, &id, &today, "00:00", "00:00", "duty_teacher", &t1).await;
    let t = app.token("teacher1").await;
    // Not before publishing.
    assert_eq!(
        app.get("/api/v1/duty/me", &t).await.body["on_duty_today"],
        false
    );
    let guard = app.token("guard1").await;
    assert_eq!(app.get("/api/v1/duty/now", &guard).await.body, json!([]));
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{id}/publish"),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for who in ["guard1", "principal", "office", "teacher1"] {
        let tok = app.token(who).await;
        let now = app.get("/api/v1/duty/now", &tok).await;
        assert_eq!(now.status, StatusCode::OK, "{who}");
        assert_eq!(now.body.as_array().unwrap().len(), 3, "{who}");
    }
    let now = app.get("/api/v1/duty/now", &guard).await.body;
    let leader = now
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["post"] == "leader_on_call")
        .unwrap();
    assert_eq!(leader["user_name"], "陈志明");
    assert_eq!(leader["phone"], "13906130001");
    let officer = app.token("officer1").await;
    assert_eq!(
        app.get("/api/v1/duty/now", &officer).await.status,
        StatusCode::FORBIDDEN
    );
    // Being on duty today as duty teacher is what makes teacher1 a 值周教师; teacher2 is not.
    let me = app.get("/api/v1/duty/me", &t).await.body;
    assert_eq!(me["on_duty_today"], true);
    assert_eq!(me["current_shifts"].as_array().unwrap().len(), 1);
    let t2 = app.token("teacher2").await;
    assert_eq!(
        app.get("/api/v1/duty/me", &t2).await.body["on_duty_today"],
        false
    );
    // A guard's shift does not make one a duty teacher.
    assert_eq!(
        app.get("/api/v1/duty/me", &guard).await.body["on_duty_today"],
        false
    );
    // Today's only: the demo has rosters ahead (the next holiday, the term's traffic posts).
    let mine = app
        .get(
            &format!("/api/v1/duty/my-shifts?from={today}&to={today}"),
            &t,
        )
        .await
        .body;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["post"], "duty_teacher");
    let old = app
        .get(
            "/api/v1/duty/my-shifts?from=2020-04-01&to=2020-04-30",
            &guard,
        )
        .await
        .body;
    assert_eq!(old.as_array().unwrap().len(), 3, "{old}");
}

#[tokio::test]
async fn calendar_feed_is_valid_icalendar_and_can_be_revoked() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    // A guard of the test's own: the demo's guards have shifts ahead (the next holiday).
    let guard = app.new_guard().await;
    let g1t = guard.token.clone();
    let p = app.user_id("principal").await;
    let g1 = guard.id.clone();
    let id = roster(&app, "国庆节值班表", "2030-10-01", "2030-10-02").await;
    shift(
        &app,
        &id,
        "2030-10-01",
        "08:00",
        "08:00",
        "leader_on_call",
        &p,
    )
    .await;
    shift(
        &app,
        &id,
        "2030-10-02",
        "08:00",
        "08:00",
        "leader_on_call",
        &p,
    )
    .await;
    shift(&app, &id, "2030-10-01", "20:00", "08:00", "guard", &g1).await;
    app.post(
        &format!("/api/v1/duty/rosters/{id}/publish"),
        &office,
        json!({}),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/duty/calendar-feed", &g1t).await.body["active"],
        false
    );
    let r = app
        .post("/api/v1/duty/calendar-feed", &g1t, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let url = r.body["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/api/v1/duty/calendar/"));
    assert_eq!(
        app.get("/api/v1/duty/calendar-feed", &g1t).await.body["active"],
        true
    );
    assert!(
        app.get("/api/v1/duty/calendar-feed", &g1t)
            .await
            .body
            .get("url")
            .is_none()
    );
    // No sign-in: the token in the URL is the credential.
    let (status, ct, body) = app.get_bytes(&url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/calendar"), "{ct}");
    let text = String::from_utf8(body).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(
        text.contains("VERSION:2.0") && text.contains("PRODID:"),
        "{text}"
    );
    assert!(
        text.contains("REFRESH-INTERVAL;VALUE=DURATION:PT3600S"),
        "{text}"
    );
    let cal: icalendar::Calendar = text.parse().expect("parses as iCalendar");
    let events: Vec<&icalendar::Event> = cal
        .components
        .iter()
        .filter_map(|c| match c {
            icalendar::CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    // Past demo shifts are outside the window: only the guard's October night shift, plus
    // nothing of the principal's.
    assert_eq!(events.len(), 1, "{text}");
    use icalendar::{CalendarDateTime, Component, DatePerhapsTime};
    let e = events[0];
    assert!(e.get_summary().unwrap().contains("保安值班"));
    assert!(e.get_summary().unwrap().contains("国庆节值班表"));
    assert!(e.get_uid().unwrap().ends_with("@xiaoan"));
    assert!(e.get_timestamp().is_some());
    match (e.get_start(), e.get_end()) {
        (
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(s))),
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(en))),
        ) => {
            assert_eq!(s.to_rfc3339(), "2030-10-01T12:00:00+00:00");
            assert_eq!(en.to_rfc3339(), "2030-10-02T00:00:00+00:00");
        }
        other => panic!("start/end: {other:?}"),
    }
    // Stored hashed: the token is nowhere in the audit trail.
    let token = url.rsplit('/').next().unwrap();
    let audit = app.audit("action=calendar_feed.create").await;
    assert_eq!(audit.len(), 1);
    assert!(!audit[0].to_string().contains(token));
    // A new URL replaces the old one.
    let r2 = app
        .post("/api/v1/duty/calendar-feed", &g1t, json!({}))
        .await;
    let url2 = r2.body["url"].as_str().unwrap().to_owned();
    assert_eq!(app.get_bytes(&url, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get_bytes(&url2, None).await.0, StatusCode::OK);
    // Revoked: 404.
    assert_eq!(
        app.delete("/api/v1/duty/calendar-feed", &g1t).await.status,
        StatusCode::NO_CONTENT
    );
    let (status, _, _) = app.get_bytes(&url2, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_bytes("/api/v1/duty/calendar/not-a-token", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let officer = app.token("officer1").await;
    assert_eq!(
        app.post("/api/v1/duty/calendar-feed", &officer, json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_teacher_on_duty_today_may_spot_check_other_classes() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let t2 = app.token("teacher2").await;
    let t3 = app.token("teacher3").await;
    let class1 = app.own_class_id("teacher1").await;
    let tpl = app.template("traffic_weekly").await;
    let body = json!({"template_id": tpl["id"], "class_id": class1, "all_passed": true});
    let r = app
        .post("/api/v1/inspections/spot-checks", &t2, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "not_on_duty");
    let today = school_today().format("%Y-%m-%d").to_string();
    let id = roster(&app, "今日值周", &today, &today).await;
    let p = app.user_id("principal").await;
    let u2 = app.user_id("teacher2").await;
    shift(&app, &id, &today, "00:00", "00:00", "leader_on_call", &p).await;
    shift(&app, &id, &today, "07:30", "17:30", "duty_teacher", &u2).await;
    // A draft roster does not count.
    let r = app
        .post("/api/v1/inspections/spot-checks", &t2, body.clone())
        .await;
    assert_eq!(r.code(), "not_on_duty");
    app.post(
        &format!("/api/v1/duty/rosters/{id}/publish"),
        &office,
        json!({}),
    )
    .await;
    let r = app
        .post("/api/v1/inspections/spot-checks", &t2, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // Another teacher, not on the roster, still may not.
    let r = app.post("/api/v1/inspections/spot-checks", &t3, body).await;
    assert_eq!(r.code(), "not_on_duty");
}
