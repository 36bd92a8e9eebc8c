//! Keyset paging of the big lists: walking `next_cursor` page by page gives every row once, in
//! the list's order, the same as one big page — for the gate log (by scan time, offline scans
//! included), the audit trail and a day's leave passes (by start time).

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

fn at(d: Duration) -> String {
    let t = Utc::now() + d;
    chrono::DateTime::from_timestamp(t.timestamp(), 0)
        .unwrap()
        .to_rfc3339()
}

/// Every item of `path` (which has a query), `limit` at a time, following the cursor.
async fn walk(app: &TestApp, token: &str, path: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let url = match &cursor {
            Some(c) => format!("{path}&limit={limit}&cursor={c}"),
            None => format!("{path}&limit={limit}"),
        };
        let r = app.get(&url, token).await;
        assert_eq!(r.status, StatusCode::OK, "{url}: {}", r.text);
        let items = r.body["items"].as_array().unwrap();
        assert!(items.len() <= limit as usize);
        out.extend(items.iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
    panic!("{path}: the cursor never ends");
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Newest first by `field` (RFC 3339 instants), ties in any order.
fn assert_descending(items: &[Value], field: &str) {
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = items
        .iter()
        .map(|i| chrono::DateTime::parse_from_rfc3339(i[field].as_str().unwrap()).unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "not newest first by {field}: {times:?}"
    );
}

/// A pass for the `n`th student of `class`, issued by its teacher, starting `valid_from` from
/// now (whole seconds).
async fn issue(app: &TestApp, class: &Class, n: usize, valid_from: Duration) -> Value {
    app.new_pass(
        class,
        &class.students[n],
        json!({"reason": "复诊", "valid_from": at(valid_from),
               "valid_until": at(Duration::hours(4)), "return_by": at(Duration::hours(3))}),
    )
    .await
}

#[tokio::test]
async fn the_gate_log_pages_by_scan_time_with_offline_scans_and_ties() {
    let app = spawn_app().await;
    let class = app.new_class(1).await;
    let p = issue(&app, &class, 0, Duration::hours(-2)).await;
    let (pid, token) = (p["id"].as_str().unwrap(), p["token"].as_str().unwrap());
    let g = app.new_guard().await.token;
    // Offline exits synced out of order, two of them at the same second; then one online.
    let minutes: [i64; 7] = [30, 90, 10, 60, 60, 45, 5];
    let scans: Vec<Value> = minutes
        .iter()
        .map(|m| {
            json!({"token": token, "direction": "exit", "gate": "南门",
                   "client_event_id": uuid::Uuid::new_v4().to_string(),
                   "scanned_at": at(Duration::minutes(-m))})
        })
        .collect();
    let r = app
        .post("/api/v1/gate/scans/batch", &g, json!({"scans": scans}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            "/api/v1/gate/scans",
            &g,
            json!({"token": token, "direction": "return", "gate": "南门",
                   "client_event_id": uuid::Uuid::new_v4().to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let office = app.token("office").await;
    let path = format!("/api/v1/gate/scans?pass_id={pid}");
    let all = walk(&app, &office, &path, 200).await;
    assert_eq!(all.len(), 8);
    assert_descending(&all, "scanned_at");
    // The online return (just now) first, the exit scanned 90 minutes ago last, although it
    // was neither the first nor the last to arrive.
    assert_eq!(all[0]["direction"], "return");
    let earliest = minutes.iter().position(|m| *m == 90).unwrap();
    assert_eq!(
        all[7]["client_event_id"],
        scans[earliest]["client_event_id"]
    );
    for limit in [1, 2, 3] {
        let paged = walk(&app, &office, &path, limit).await;
        assert_eq!(ids(&paged), ids(&all), "limit {limit}");
    }
    // A range and a cursor together.
    let from = (Utc::now() - Duration::minutes(61)).to_rfc3339();
    let to = (Utc::now() - Duration::minutes(8)).to_rfc3339();
    let ranged = walk(
        &app,
        &office,
        &format!("{path}&from={}&to={}", urlencode(&from), urlencode(&to)),
        1,
    )
    .await;
    assert_eq!(
        ranged.len(),
        5,
        "the scans 10, 30, 45, 60 and 60 minutes ago"
    );
    assert_descending(&ranged, "scanned_at");

    let r = app
        .get("/api/v1/gate/scans?cursor=bm90LWEtY3Vyc29y", &office)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_cursor");
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn the_audit_trail_pages_newest_first() {
    let app = spawn_app().await;
    let class = app.new_class(4).await;
    for n in 0..4 {
        issue(&app, &class, n, Duration::minutes(-1)).await;
    }
    let office = app.token("office").await;
    let path = "/api/v1/audit-log?entity_type=leave_pass";
    let all = walk(&app, &office, path, 200).await;
    assert!(all.len() >= 4);
    assert_descending(&all, "occurred_at");
    assert_eq!(all[0]["action"], "leave_pass.issue");
    for limit in [1, 3] {
        assert_eq!(ids(&walk(&app, &office, path, limit).await), ids(&all));
    }
    let everything = walk(&app, &office, "/api/v1/audit-log?", 200).await;
    assert_eq!(
        ids(&walk(&app, &office, "/api/v1/audit-log?", 7).await),
        ids(&everything)
    );
    let r = app.get("/api/v1/audit-log?cursor=eHl6", &office).await;
    assert_eq!(r.code(), "invalid_cursor");
}

#[tokio::test]
async fn a_days_passes_page_by_start_time() {
    let app = spawn_app().await;
    let class = app.new_class(5).await;
    let mut issued = Vec::new();
    // Two start at the same second.
    for (n, m) in [(0, 30), (1, 5), (2, 50), (3, 20), (4, 20)] {
        issued.push(issue(&app, &class, n, Duration::minutes(-m)).await);
    }
    let today = school_today();
    let t = class.teacher.token.clone();
    let path = format!("/api/v1/leave-passes?date={today}");
    let all = walk(&app, &t, &path, 200).await;
    assert_descending(&all, "valid_from");
    for p in &issued {
        assert!(all.iter().any(|a| a["id"] == p["id"]));
    }
    for limit in [1, 2] {
        assert_eq!(ids(&walk(&app, &t, &path, limit).await), ids(&all));
    }
    // Without a date: newest issued first, also paged.
    let office = app.token("office").await;
    let every = walk(&app, &office, "/api/v1/leave-passes?", 200).await;
    assert_eq!(
        ids(&walk(&app, &office, "/api/v1/leave-passes?", 2).await),
        ids(&every)
    );
    assert_eq!(every[0]["id"], issued[4]["id"]);
}
