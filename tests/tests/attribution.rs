//! Who may attribute a record to a class (issue 15 #4) and who may read incidents (#11):
//! another class's hazards and incidents are pending until the office confirms them and do
//! not move that class's assessment; back-dating is bounded; incidents are scoped like hazards.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

fn day(offset: i64) -> String {
    (school_today() + Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

/// The class's (total, class_hazards count, class_incidents count) in this week's assessment.
async fn class_score(app: &TestApp, class_id: &str) -> (i64, i64, i64) {
    let principal = app.token("principal").await;
    let range = format!("/api/v1/assessment?from={}&to={}", day(-7), day(0));
    let r = app.get(&range, &principal).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let row = r.body["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == class_id)
        .unwrap()
        .clone();
    let count = |key: &str| {
        row["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == key)
            .unwrap()["count"]
            .as_i64()
            .unwrap()
    };
    (
        row["total"].as_i64().unwrap(),
        count("class_hazards"),
        count("class_incidents"),
    )
}

fn hazard(class: &str) -> Value {
    json!({"category": "facility", "location": "二楼走廊", "description": "灯管损坏", "class_id": class})
}

fn incident(class: &str, at: chrono::DateTime<Utc>) -> Value {
    json!({"kind": "injury", "occurred_at": at, "place": "操场", "severity": "minor",
           "description": "体育课扭伤", "class_id": class})
}

#[tokio::test]
async fn another_class_s_records_are_pending_and_do_not_move_its_assessment() {
    let app = spawn_app().await;
    let class2 = app.own_class_id("teacher2").await;
    let before = class_score(&app, &class2).await;

    // teacher1, a guard and a student safety officer attribute records to class 2.
    let mut hazards = Vec::new();
    for who in ["teacher1", "guard1", "officer1"] {
        let t = app.token(who).await;
        let r = app.post("/api/v1/hazards", &t, hazard(&class2)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{who}: {}", r.text);
        assert_eq!(r.body["class_id"], class2.as_str());
        assert_eq!(r.body["class_pending"], true, "{who}");
        hazards.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let mut incidents = Vec::new();
    for who in ["teacher1", "guard1"] {
        let t = app.token(who).await;
        let at = Utc::now() - Duration::days(2);
        let r = app
            .post("/api/v1/incidents", &t, incident(&class2, at))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{who}: {}", r.text);
        assert_eq!(r.body["class_pending"], true, "{who}");
        incidents.push(r.body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        class_score(&app, &class2).await,
        before,
        "nothing counts yet"
    );

    // The office finds them, confirms one of each and rejects another.
    let office = app.token("office").await;
    let pending = app
        .get("/api/v1/hazards?class_pending=true&limit=200", &office)
        .await;
    let pending: Vec<&str> = pending.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    for id in &hazards {
        assert!(pending.contains(&id.as_str()));
    }
    let decide = |kind: &str, id: &str| format!("/api/v1/{kind}/{id}/class-attribution");
    let r = app
        .post(
            &decide("hazards", &hazards[0]),
            &office,
            json!({"accept": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["class_pending"].clone(), r.body["class_id"].clone()),
        (json!(false), json!(class2))
    );
    let r = app
        .post(
            &decide("hazards", &hazards[1]),
            &office,
            json!({"accept": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["class_id"].is_null());
    assert_eq!(r.body["class_pending"], false);
    let r = app
        .post(
            &decide("incidents", &incidents[0]),
            &office,
            json!({"accept": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Decided once: a second decision is a conflict; nobody else may decide.
    let r = app
        .post(
            &decide("hazards", &hazards[0]),
            &office,
            json!({"accept": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "attribution_not_pending");
    for who in ["teacher2", "principal", "guard1"] {
        let t = app.token(who).await;
        let r = app
            .post(&decide("hazards", &hazards[2]), &t, json!({"accept": true}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        let r = app
            .post(
                &decide("incidents", &incidents[1]),
                &t,
                json!({"accept": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }

    // Exactly the confirmed ones count: one hazard (−1), one incident (−3).
    let after = class_score(&app, &class2).await;
    assert_eq!(after.1 - before.1, 1);
    assert_eq!(after.2 - before.2, 1);
    assert_eq!(after.0 - before.0, -1 - 3);
    assert_eq!(app.audit("action=hazard.class_confirm").await.len(), 1);
    assert_eq!(app.audit("action=hazard.class_reject").await.len(), 1);
    assert_eq!(app.audit("action=incident.class_confirm").await.len(), 1);
}

#[tokio::test]
async fn the_class_s_own_teacher_and_the_office_attribute_at_once() {
    let app = spawn_app().await;
    let class1 = app.own_class_id("teacher1").await;
    let before = class_score(&app, &class1).await;
    for who in ["teacher1", "office"] {
        let t = app.token(who).await;
        let r = app.post("/api/v1/hazards", &t, hazard(&class1)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["class_pending"], false, "{who}");
        let r = app
            .post("/api/v1/incidents", &t, incident(&class1, Utc::now()))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["class_pending"], false, "{who}");
        // Nothing to confirm.
        let office = app.token("office").await;
        let id = r.body["id"].as_str().unwrap();
        let r = app
            .post(
                &format!("/api/v1/incidents/{id}/class-attribution"),
                &office,
                json!({"accept": true}),
            )
            .await;
        assert_eq!(r.code(), "attribution_not_pending");
    }
    let after = class_score(&app, &class1).await;
    assert_eq!((after.1 - before.1, after.2 - before.2), (2, 2));

    // The office's own relinking of an incident needs no confirmation either.
    let class2 = app.own_class_id("teacher2").await;
    let g = app.token("guard1").await;
    let r = app
        .post("/api/v1/incidents", &g, incident(&class2, Utc::now()))
        .await;
    assert_eq!(r.body["class_pending"], true);
    let id = r.body["id"].as_str().unwrap();
    let office = app.token("office").await;
    let r = app
        .patch(
            &format!("/api/v1/incidents/{id}"),
            &office,
            json!({"class_id": class2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["class_pending"], false);
}

#[tokio::test]
async fn incidents_cannot_be_back_dated_more_than_a_week_except_by_the_office() {
    let app = spawn_app().await;
    let class1 = app.own_class_id("teacher1").await;
    let month_ago = Utc::now() - Duration::days(30);
    let eight_days = Utc::now() - Duration::days(8);
    let six_days = Utc::now() - Duration::days(6);
    for who in ["guard1", "teacher1", "principal"] {
        let t = app.token(who).await;
        for at in [month_ago, eight_days] {
            let r = app
                .post("/api/v1/incidents", &t, incident(&class1, at))
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{who}: {}",
                r.text
            );
            assert_eq!(r.body["errors"][0]["field"], "occurred_at");
            assert_eq!(r.body["errors"][0]["code"], "too_old");
        }
        let r = app
            .post("/api/v1/incidents", &t, incident(&class1, six_days))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{who}: {}", r.text);
    }
    // The office transcribes older paper records.
    let office = app.token("office").await;
    let r = app
        .post("/api/v1/incidents", &office, incident(&class1, month_ago))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(app.audit("action=incident.create").await.len(), 4);
}

#[tokio::test]
async fn incidents_are_read_by_those_concerned_only() {
    let app = spawn_app().await;
    let class1 = app.own_class_id("teacher1").await;
    let class2 = app.own_class_id("teacher2").await;
    let office = app.token("office").await;
    let at = Utc::now() - Duration::hours(1);
    let post = |who: &'static str, body: Value| {
        let app = &app;
        async move {
            let t = app.token(who).await;
            let r = app.post("/api/v1/incidents", &t, body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.body["id"].as_str().unwrap().to_owned()
        }
    };
    let of_class1 = post("office", incident(&class1, at)).await;
    let of_class2 = post("office", incident(&class2, at)).await;
    let no_class = post("office", json!({"kind": "intrusion", "occurred_at": at, "place": "围墙", "severity": "moderate", "description": "有人翻墙"})).await;
    let by_guard = post("guard1", json!({"kind": "theft", "occurred_at": at, "place": "车棚", "severity": "minor", "description": "充电器被盗"})).await;
    let by_teacher2 = post("teacher2", json!({"kind": "other", "occurred_at": at, "place": "食堂", "severity": "minor", "description": "学生争执"})).await;

    let all = [&of_class1, &of_class2, &no_class, &by_guard, &by_teacher2];
    let expect: [(&str, Vec<&String>); 5] = [
        ("office", all.to_vec()),
        ("principal", all.to_vec()),
        ("teacher1", vec![&of_class1]),
        ("teacher2", vec![&of_class2, &by_teacher2]),
        ("guard1", vec![&by_guard]),
    ];
    for (who, visible) in expect {
        let t = app.token(who).await;
        let r = app.get("/api/v1/incidents", &t).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let mut listed: Vec<String> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        listed.sort();
        let mut want: Vec<String> = visible.iter().map(|s| (*s).clone()).collect();
        want.sort();
        assert_eq!(listed, want, "{who}'s list");
        // Filters never widen the scope.
        let r = app
            .get(&format!("/api/v1/incidents?class_id={class2}"), &t)
            .await;
        for i in r.body.as_array().unwrap() {
            assert!(
                want.contains(&i["id"].as_str().unwrap().to_owned()),
                "{who}"
            );
        }
        for id in all {
            let r = app.get(&format!("/api/v1/incidents/{id}"), &t).await;
            if want.contains(id) {
                assert_eq!(r.status, StatusCode::OK, "{who} {id}");
            } else {
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{who} {id}");
                assert_eq!(r.code(), "incident_not_found");
                assert!(!r.text.contains("description"), "{who}");
            }
        }
    }
    let _ = office;
}
