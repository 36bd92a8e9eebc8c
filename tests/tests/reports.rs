//! 报送 as an action: the office sends a published roster or a plan item to a channel; a
//! local receiver checks the message (Chinese markdown with the leaders on call, or the item
//! with its evidence, and the links); the links download the XLSX / ICS; the report records
//! the delivery and its status follows it (retrying after a 500, sent, resent); the hand mark
//! stays apart. Who may: the office sends, the principal reads, others are refused.

#[path = "support/receiver.rs"]
mod receiver;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use receiver::{Receiver, standard_webhooks_matches};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Cursor;
use std::time::Duration;
use xiaoan_api_tests::*;

const ORIGIN: &str = "https://xiaoan.example.edu.cn";

async fn local_app(public: bool) -> TestApp {
    spawn_app_with(AppOptions::default(), |s| {
        s.channels_allow_private = true;
        s.channels_retry_speedup = 1000;
        if public {
            s.public_url = Some(ORIGIN.into());
        }
    })
    .await
}

async fn subscribe(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/api/v1/subscriptions", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

/// A published demo roster with its shifts.
async fn published_roster(app: &TestApp, office: &str) -> Value {
    let list = app
        .get("/api/v1/duty/rosters?status=published", office)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let id = list.body[0]["id"].as_str().expect("a published roster");
    let r = app.get(&format!("/api/v1/duty/rosters/{id}"), office).await;
    assert_eq!(r.status, StatusCode::OK);
    r.body
}

/// Polls the subject's reports until the newest has `status` (or fails after 60 s: the shared
/// machine may be loaded).
async fn report_with_status(app: &TestApp, token: &str, path: &str, status: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..600 {
        let r = app.get(path, token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        last = r.body[0].clone();
        if last["status"] == status {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("report never {status}: {last}");
}

/// The token in a message's link `…/report-links/<token>/<what>`.
fn link_token(text: &str, what: &str) -> String {
    let start = text
        .find(&format!("{ORIGIN}/api/v1/report-links/"))
        .unwrap_or_else(|| panic!("a link in {text}"));
    let rest = &text[start + ORIGIN.len() + "/api/v1/report-links/".len()..];
    let (token, tail) = rest.split_once('/').unwrap();
    assert!(tail.starts_with(what), "{tail}");
    token.to_owned()
}

fn cells(bytes: Vec<u8>) -> Vec<String> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("the XLSX opens");
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for c in row {
                if let Data::String(s) = c {
                    out.push(s.clone());
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn a_roster_is_reported_to_a_robot_with_its_leaders_and_links() {
    let app = local_app(true).await;
    let rx = Receiver::start().await;
    let office = app.token("office").await;
    let roster = published_roster(&app, &office).await;
    let id = roster["id"].as_str().unwrap();
    let title = roster["title"].as_str().unwrap();
    let leader = roster["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["post"] == "leader_on_call")
        .expect("a leader on call")
        .clone();
    // The demo roster carries a hand mark (reported on paper): it stays as it is.
    let hand_mark = roster["reported_at"].clone();

    let sub = subscribe(
        &app,
        &office,
        json!({"name": "校办", "kind": "wecom", "audience": "school_office",
               "url": rx.url("/cgi-bin/webhook/send?key=k-office"),
               "event_kinds": ["roster.published"]}),
    )
    .await;
    let sub_id = sub["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{id}/reports"),
            &office,
            json!({"subscription_id": sub_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["subject"], "roster");
    assert_eq!(r.body["subject_id"], id);
    assert_eq!(r.body["channel_name"], "校办");
    assert_eq!(
        r.body["sent_by_name"],
        app.me("office").await["display_name"]
    );
    assert!(r.body["link_expires_at"].is_string());
    let delivery_id = r.body["delivery_id"].as_str().unwrap().to_owned();

    // The robot gets a markdown message that reads well.
    let got = rx.wait_for(1).await;
    let req = &got[0];
    assert_eq!(req.target, "/cgi-bin/webhook/send?key=k-office");
    let body = req.json();
    assert_eq!(body["msgtype"], "markdown");
    let text = body["markdown"]["content"].as_str().unwrap();
    assert!(text.len() <= 4096, "within WeCom's limit");
    assert!(text.starts_with(&format!("### 报送：{title}\n")), "{text}");
    assert!(text.contains("- 值班日期："), "{text}");
    assert!(text.contains("**值班领导**"), "{text}");
    assert!(text.contains("- 报送对象：校办"), "{text}");
    let name = leader["user_name"].as_str().unwrap();
    assert!(text.contains(name), "the leader on call by name: {text}");
    if let Some(phone) = leader["phone"].as_str() {
        assert!(text.contains(phone), "and phone: {text}");
    }
    assert!(
        text.contains("（XLSX）](") && text.contains("（ICS）]("),
        "{text}"
    );

    // The links download the roster, without signing in.
    let token = link_token(text, "xlsx");
    let (status, ct, bytes) = app
        .get_bytes(&format!("/api/v1/report-links/{token}/xlsx"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/vnd.openxmlformats"), "{ct}");
    let xlsx = cells(bytes);
    assert!(xlsx.iter().any(|c| c == title), "{xlsx:?}");
    assert!(xlsx.iter().any(|c| c == name), "{xlsx:?}");
    assert!(xlsx.iter().any(|c| c == "值班领导"));
    let (status, ct, bytes) = app
        .get_bytes(&format!("/api/v1/report-links/{token}/ics"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/calendar"), "{ct}");
    let ics = String::from_utf8(bytes).unwrap();
    assert!(ics.contains("BEGIN:VCALENDAR") && ics.contains("BEGIN:VEVENT"));
    let n_shifts = roster["shifts"].as_array().unwrap().len();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), n_shifts);
    // A wrong token is nothing.
    let (status, _, _) = app
        .get_bytes("/api/v1/report-links/not-a-token/xlsx", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let bad: Value = app
        .client
        .get(app.url("/api/v1/report-links/not-a-token/ics"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bad["code"], "report_link_not_found");

    // The report follows its delivery: sent. The principal reads it too.
    let path = format!("/api/v1/duty/rosters/{id}/reports");
    let rep = report_with_status(&app, &office, &path, "sent").await;
    assert_eq!(rep["delivery_id"], delivery_id.as_str());
    assert_eq!(rep["attempts"], 1);
    assert!(rep["delivered_at"].is_string());
    let principal = app.token("principal").await;
    let list = app.get(&path, &principal).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    // And it is the channel's delivery, in its log.
    let log = app
        .get(
            &format!("/api/v1/subscriptions/{sub_id}/deliveries"),
            &office,
        )
        .await;
    let d = &log.body["items"][0];
    assert_eq!(d["id"], delivery_id.as_str());
    assert_eq!(d["event_kind"], "report.sent");
    assert_eq!(d["status"], "delivered");
    // The hand mark is untouched: a report through a channel is recorded apart from it.
    let after = app
        .get(&format!("/api/v1/duty/rosters/{id}"), &office)
        .await;
    assert_eq!(after.body["reported_at"], hand_mark);
    // Audited.
    let audit = app.audit("action=report.send").await;
    assert!(
        audit.iter().any(|a| a["entity_id"] == id),
        "audited: {audit:?}"
    );
}

#[tokio::test]
async fn a_failed_report_is_retried_and_can_be_resent_with_the_same_id() {
    let app = local_app(false).await;
    let rx = Receiver::start().await;
    rx.script(&[500]);
    let office = app.token("office").await;
    let roster = published_roster(&app, &office).await;
    let id = roster["id"].as_str().unwrap();
    let sub = subscribe(
        &app,
        &office,
        json!({"name": "教育局保卫科", "kind": "webhook", "audience": "system",
               "url": rx.url("/hooks/report"), "event_kinds": ["roster.published"]}),
    )
    .await;
    let secret = sub["secret"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{id}/reports"),
            &office,
            json!({"subscription_id": sub["id"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    // No public address: no link, and the message says so.
    assert!(r.body["link_expires_at"].is_null());
    let path = format!("/api/v1/duty/rosters/{id}/reports");
    // The 500 is seen, then the retry delivers it.
    let rep = report_with_status(&app, &office, &path, "sent").await;
    assert_eq!(rep["attempts"], 2, "{rep}");
    let got = rx.wait_for(2).await;
    assert_eq!(
        got[0].headers["webhook-id"], got[1].headers["webhook-id"],
        "a retry keeps the id"
    );
    assert_eq!(
        got[1].headers["webhook-id"],
        rep["event_id"].as_str().unwrap()
    );
    // A signed Standard Webhook, checked by an independent implementation.
    assert_eq!(standard_webhooks_matches(&secret, &got[1]), 1);
    let body = got[1].json();
    assert_eq!(body["type"], "report.sent");
    let data = &body["data"];
    assert_eq!(data["subject"], "roster");
    assert_eq!(data["roster_id"], id);
    assert_eq!(data["report_to"], "教育局保卫科");
    assert!(
        data["leaders_on_call"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    );
    assert!(data["xlsx_url"].is_null());
    let md = data["markdown"].as_str().unwrap();
    assert!(md.contains("未配置公开地址") && !md.contains("]("), "{md}");

    // Resent by the office: the same id again, and sent again.
    let r = app
        .post(
            &format!(
                "/api/v1/deliveries/{}/resend",
                rep["delivery_id"].as_str().unwrap()
            ),
            &office,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let got = rx.wait_for(3).await;
    assert_eq!(
        got[2].headers["webhook-id"],
        rep["event_id"].as_str().unwrap()
    );
    report_with_status(&app, &office, &path, "sent").await;
}

#[tokio::test]
async fn a_failing_channel_shows_the_report_retrying() {
    let app = spawn_app_with(AppOptions::default(), |s| {
        s.channels_allow_private = true;
    })
    .await;
    let rx = Receiver::start().await;
    rx.script(&[500]);
    let office = app.token("office").await;
    let roster = published_roster(&app, &office).await;
    let id = roster["id"].as_str().unwrap();
    let sub = subscribe(
        &app,
        &office,
        json!({"name": "校医", "kind": "webhook", "audience": "clinic",
               "url": rx.url("/hooks/clinic"), "event_kinds": ["health.abnormal"]}),
    )
    .await;
    app.post(
        &format!("/api/v1/duty/rosters/{id}/reports"),
        &office,
        json!({"subscription_id": sub["id"]}),
    )
    .await;
    let rep = report_with_status(
        &app,
        &office,
        &format!("/api/v1/duty/rosters/{id}/reports"),
        "retrying",
    )
    .await;
    assert_eq!(rep["last_status_code"], 500);
    assert!(rep["next_attempt_at"].is_string());
}

#[tokio::test]
async fn a_plan_item_is_reported_with_its_evidence_summary() {
    let app = local_app(true).await;
    let rx = Receiver::start().await;
    let office = app.token("office").await;
    let plans = app.get("/api/v1/plans", &office).await;
    assert_eq!(plans.status, StatusCode::OK, "{}", plans.text);
    let plan_id = plans.body["items"][0]["id"]
        .as_str()
        .or_else(|| plans.body[0]["id"].as_str())
        .expect("a demo plan")
        .to_owned();
    let plan = app.get(&format!("/api/v1/plans/{plan_id}"), &office).await;
    let items = plan.body["items"].as_array().unwrap();
    let item = items
        .iter()
        .max_by_key(|i| i["evidence"].as_array().map(|e| e.len()).unwrap_or(0))
        .unwrap()
        .clone();
    let item_id = item["id"].as_str().unwrap();
    let n_evidence = item["evidence"].as_array().unwrap().len();

    let sub = subscribe(
        &app,
        &office,
        json!({"name": "校办", "kind": "dingtalk", "audience": "school_office",
               "url": rx.url("/robot/send?access_token=tok"), "event_kinds": ["plan.approved"]}),
    )
    .await;
    let r = app
        .post(
            &format!("/api/v1/plan-items/{item_id}/reports"),
            &office,
            json!({"subscription_id": sub["id"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["subject"], "plan_item");
    let body = rx.wait_for(1).await[0].json();
    let title = item["title"].as_str().unwrap();
    assert_eq!(body["msgtype"], "markdown");
    assert_eq!(
        body["markdown"]["title"].as_str().unwrap(),
        format!("报送：{title}")
    );
    let text = body["markdown"]["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("**佐证材料（{n_evidence} 项）**")),
        "{text}"
    );
    assert!(text.contains("- 工作计划："), "{text}");
    assert!(!text.contains("（ICS）"), "no calendar for an item: {text}");
    let token = link_token(text, "xlsx");
    let (status, _, bytes) = app
        .get_bytes(&format!("/api/v1/report-links/{token}/xlsx"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let xlsx = cells(bytes);
    assert!(xlsx.iter().any(|c| c == title), "{xlsx:?}");
    assert!(xlsx.iter().any(|c| c == "佐证材料") || xlsx.iter().any(|c| c == "类型"));
    let (status, _, _) = app
        .get_bytes(&format!("/api/v1/report-links/{token}/ics"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    report_with_status(
        &app,
        &office,
        &format!("/api/v1/plan-items/{item_id}/reports"),
        "sent",
    )
    .await;
}

#[tokio::test]
async fn who_may_report_and_what_is_refused() {
    let app = local_app(false).await;
    let rx = Receiver::start().await;
    let office = app.token("office").await;
    let roster = published_roster(&app, &office).await;
    let id = roster["id"].as_str().unwrap();
    let sub = subscribe(
        &app,
        &office,
        json!({"name": "校办", "kind": "wecom", "audience": "school_office",
               "url": rx.url("/send?key=k"), "event_kinds": ["plan.approved"]}),
    )
    .await;
    let sub_id = sub["id"].as_str().unwrap();
    let send = format!("/api/v1/duty/rosters/{id}/reports");
    for user in ["teacher1", "guard1", "principal"] {
        let t = app.token(user).await;
        let r = app
            .post(&send, &t, json!({"subscription_id": sub_id}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}: {}", r.text);
    }
    for user in ["teacher1", "guard1"] {
        let t = app.token(user).await;
        let r = app.get(&send, &t).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}");
    }
    // A channel that does not exist; a switched-off one.
    let r = app
        .post(
            &send,
            &office,
            json!({"subscription_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "subscription_not_found");
    let off = app
        .patch(
            &format!("/api/v1/subscriptions/{sub_id}"),
            &office,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    let r = app
        .post(&send, &office, json!({"subscription_id": sub_id}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "subscription_disabled");
    app.patch(
        &format!("/api/v1/subscriptions/{sub_id}"),
        &office,
        json!({"enabled": true}),
    )
    .await;
    // A draft roster is not reported (it may still change); an unknown roster is 404.
    let draft = app.new_roster("2026-12-24", "2026-12-25", &[]).await;
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{draft}/reports"),
            &office,
            json!({"subscription_id": sub_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "roster_not_published");
    let r = app
        .post(
            &format!("/api/v1/duty/rosters/{}/reports", uuid::Uuid::now_v7()),
            &office,
            json!({"subscription_id": sub_id}),
        )
        .await;
    assert_eq!(r.code(), "roster_not_found");
    let r = app
        .post(
            &format!("/api/v1/plan-items/{}/reports", uuid::Uuid::now_v7()),
            &office,
            json!({"subscription_id": sub_id}),
        )
        .await;
    assert_eq!(r.code(), "plan_item_not_found");
    // Nothing was recorded or sent by the refusals.
    assert_eq!(
        app.sql_count("SELECT COUNT(*) AS n FROM report_sends")
            .await,
        0
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    let sent: Vec<String> = rx
        .seen()
        .iter()
        .map(|s| String::from_utf8_lossy(&s.body).to_string())
        .filter(|b| b.contains("报送"))
        .collect();
    assert!(sent.is_empty(), "a refused report was sent: {sent:?}");
}
