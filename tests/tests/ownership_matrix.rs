//! Ownership matrix, next to the role matrix: every operation on a class-scoped record, called
//! by the own class's teacher and another class's teacher, and by a safety officer of each
//! class, with the expected status and problem code per caller.
//!
//! The class-scoped operations are derived from the served spec (a `{class_id}` in the path,
//! a `class_id`/`student_id` query parameter, a request or response schema carrying
//! `class_id`, `class_ids` or `student_id`, the classes themselves, and everything under such
//! a record's `{id}` path). An operation so derived without an entry in `PLAN` fails the test,
//! so a new class-scoped route cannot be left out.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use xiaoan_api_tests::*;

/// What one caller must get.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// 2xx.
    Ok,
    /// 2xx, and the record of the own class is in the answer.
    Sees,
    /// 2xx, and the record of the own class is nowhere in the answer.
    Hidden,
    /// 2xx and `body[field] == value`.
    Field(&'static str, bool),
    /// This status with this problem code.
    Deny(u16, &'static str),
    /// `403 forbidden_role`: the role may not call the operation at all.
    Role,
}
use Expect::*;

/// The plan for one operation: calls (own teacher, other teacher, own officer, other
/// officer), or why the operation is not about a class's records.
enum Plan {
    Calls([Expect; 4]),
    Exempt(&'static str),
}
use Plan::*;

const NOT_OWN: Expect = Deny(403, "not_own_class");
const ALL_ROLE: [Expect; 4] = [Role, Role, Role, Role];

/// Operation key (`METHOD path` as in the spec), a variant label, the plan. Run in this order.
const PLAN: &[(&str, &str, Plan)] = &[
    ("GET /api/v1/me", "", Exempt("the caller's own profile")),
    ("GET /api/v1/users", "", Calls(ALL_ROLE)),
    ("POST /api/v1/users", "", Calls(ALL_ROLE)),
    ("GET /api/v1/users/{id}", "", Calls(ALL_ROLE)),
    ("PATCH /api/v1/users/{id}", "", Calls(ALL_ROLE)),
    ("GET /api/v1/classes", "", Calls([Sees, Sees, Sees, Sees])),
    ("POST /api/v1/classes", "", Calls(ALL_ROLE)),
    ("GET /api/v1/classes/{id}", "", Calls([Ok, Ok, Ok, Ok])),
    ("PATCH /api/v1/classes/{id}", "", Calls(ALL_ROLE)),
    (
        "GET /api/v1/students",
        "class_id",
        Calls([Sees, NOT_OWN, Sees, NOT_OWN]),
    ),
    (
        "GET /api/v1/students",
        "all",
        Calls([Sees, Hidden, Sees, Hidden]),
    ),
    ("POST /api/v1/students", "", Calls(ALL_ROLE)),
    ("POST /api/v1/students/import", "", Calls(ALL_ROLE)),
    (
        "GET /api/v1/students/{id}",
        "",
        Calls([Ok, NOT_OWN, Ok, NOT_OWN]),
    ),
    ("PATCH /api/v1/students/{id}", "", Calls(ALL_ROLE)),
    (
        "GET /api/v1/leave-passes",
        "class_id",
        Calls([Sees, NOT_OWN, Role, Role]),
    ),
    (
        "GET /api/v1/leave-passes",
        "student_id",
        Calls([Sees, Hidden, Role, Role]),
    ),
    (
        "GET /api/v1/leave-passes",
        "all",
        Calls([Sees, Hidden, Role, Role]),
    ),
    (
        "POST /api/v1/leave-passes",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    (
        "GET /api/v1/leave-passes/{id}",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    (
        "GET /api/v1/leave-passes/{id}/qr.svg",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    (
        "POST /api/v1/leave-passes/{id}/revoke",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    ("GET /api/v1/gate/scans", "", Calls(ALL_ROLE)),
    (
        "GET /api/v1/gate/out",
        "class_id",
        Calls([Sees, NOT_OWN, Role, Role]),
    ),
    (
        "GET /api/v1/gate/out",
        "all",
        Calls([Sees, Hidden, Role, Role]),
    ),
    (
        "GET /api/v1/gate/overdue",
        "class_id",
        Calls([Sees, NOT_OWN, Role, Role]),
    ),
    (
        "GET /api/v1/gate/overdue",
        "all",
        Calls([Sees, Hidden, Role, Role]),
    ),
    (
        "GET /api/v1/inspections",
        "class_id",
        Calls([Sees, NOT_OWN, Sees, NOT_OWN]),
    ),
    (
        "GET /api/v1/inspections",
        "all",
        Calls([Sees, Hidden, Sees, Hidden]),
    ),
    (
        "POST /api/v1/inspections",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    (
        "POST /api/v1/inspections/spot-checks",
        "",
        Exempt("who may spot-check is the duty roster, not the class (inspections.rs, duty.rs)"),
    ),
    (
        "GET /api/v1/inspections/due",
        "",
        Exempt("the caller's own checks due"),
    ),
    (
        "GET /api/v1/inspections/{id}",
        "",
        Calls([Ok, NOT_OWN, Ok, NOT_OWN]),
    ),
    (
        "POST /api/v1/inspections/{id}/amendments",
        "",
        Calls([Ok, Deny(404, "submission_not_found"), Role, Role]),
    ),
    (
        "GET /api/v1/hazards",
        "class_id",
        Calls([Sees, Hidden, Sees, Hidden]),
    ),
    (
        "GET /api/v1/hazards",
        "all",
        Calls([Sees, Hidden, Sees, Hidden]),
    ),
    (
        "POST /api/v1/hazards",
        "",
        Calls([
            Field("class_pending", false),
            Field("class_pending", true),
            Field("class_pending", true),
            Field("class_pending", true),
        ]),
    ),
    (
        "GET /api/v1/hazards/overdue",
        "",
        Exempt("the caller's own overdue hazards (owner-scoped, hazards.rs)"),
    ),
    (
        "GET /api/v1/hazards/{id}",
        "",
        Calls([
            Ok,
            Deny(403, "hazard_forbidden"),
            Ok,
            Deny(403, "hazard_forbidden"),
        ]),
    ),
    ("POST /api/v1/hazards/{id}/assign", "", Calls(ALL_ROLE)),
    (
        "POST /api/v1/hazards/{id}/rectify",
        "",
        Calls([
            Ok,
            Deny(403, "hazard_forbidden"),
            Deny(403, "not_hazard_owner"),
            Deny(403, "hazard_forbidden"),
        ]),
    ),
    ("POST /api/v1/hazards/{id}/verify", "", Calls(ALL_ROLE)),
    (
        "POST /api/v1/hazards/{id}/class-attribution",
        "",
        Calls(ALL_ROLE),
    ),
    (
        "GET /api/v1/activities",
        "",
        Calls([Sees, Sees, Role, Role]),
    ),
    ("POST /api/v1/activities", "", Calls(ALL_ROLE)),
    (
        "GET /api/v1/activities/{id}",
        "",
        Calls([Ok, Ok, Role, Role]),
    ),
    ("PATCH /api/v1/activities/{id}", "", Calls(ALL_ROLE)),
    (
        "GET /api/v1/incidents",
        "class_id",
        Calls([Sees, Hidden, Role, Role]),
    ),
    (
        "GET /api/v1/incidents",
        "all",
        Calls([Sees, Hidden, Role, Role]),
    ),
    (
        "POST /api/v1/incidents",
        "",
        Calls([
            Field("class_pending", false),
            Field("class_pending", true),
            Role,
            Role,
        ]),
    ),
    (
        "GET /api/v1/incidents/{id}",
        "",
        Calls([Ok, Deny(404, "incident_not_found"), Role, Role]),
    ),
    ("PATCH /api/v1/incidents/{id}", "", Calls(ALL_ROLE)),
    (
        "POST /api/v1/incidents/{id}/class-attribution",
        "",
        Calls(ALL_ROLE),
    ),
    (
        "GET /api/v1/platform/figures",
        "",
        Calls([Sees, Hidden, Sees, Hidden]),
    ),
    ("PUT /api/v1/platform/figures", "", Calls(ALL_ROLE)),
    (
        "GET /api/v1/subscriptions",
        "",
        Calls([Sees, Hidden, Role, Role]),
    ),
    (
        "POST /api/v1/subscriptions",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    (
        "PATCH /api/v1/subscriptions/{id}",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    (
        "DELETE /api/v1/subscriptions/{id}",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    (
        "POST /api/v1/subscriptions/{id}/rotate-secret",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    (
        "POST /api/v1/subscriptions/{id}/test",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    (
        "GET /api/v1/subscriptions/{id}/deliveries",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    ("POST /api/v1/deliveries/{id}/resend", "", Calls(ALL_ROLE)),
    ("GET /api/v1/events", "", Calls(ALL_ROLE)),
    (
        "GET /api/v1/platform/classes/{class_id}/missing",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    ("POST /api/v1/headcounts", "", Calls(ALL_ROLE)),
    (
        "GET /api/v1/headcounts/open",
        "",
        Calls([Sees, Hidden, Role, Role]),
    ),
    ("GET /api/v1/headcounts/{id}", "", Calls(ALL_ROLE)),
    ("POST /api/v1/headcounts/{id}/close", "", Calls(ALL_ROLE)),
    (
        "GET /api/v1/headcounts/{id}/classes/{class_id}",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
    (
        "PUT /api/v1/headcounts/{id}/classes/{class_id}",
        "",
        Calls([Ok, NOT_OWN, Role, Role]),
    ),
];

const SCOPE_KEYS: &[&str] = &["class_id", "class_ids", "student_id"];

/// Whether a schema (following `$ref`s, compositions, arrays and paging wrappers) carries a
/// class or student reference.
fn schema_is_scoped(spec: &Value, schema: &Value, depth: usize) -> bool {
    if depth > 6 {
        return false;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or_default();
        return schema_is_scoped(spec, &spec["components"]["schemas"][name], depth + 1);
    }
    for k in ["allOf", "oneOf", "anyOf"] {
        if let Some(list) = schema[k].as_array()
            && list.iter().any(|s| schema_is_scoped(spec, s, depth + 1))
        {
            return true;
        }
    }
    if let Some(props) = schema["properties"].as_object() {
        if SCOPE_KEYS.iter().any(|k| props.contains_key(*k)) {
            return true;
        }
        if let Some(items) = props.get("items")
            && schema_is_scoped(spec, items, depth + 1)
        {
            return true;
        }
    }
    schema
        .get("items")
        .is_some_and(|items| schema_is_scoped(spec, items, depth + 1))
}

/// Every operation of the spec that touches a class-scoped record, as `METHOD path`.
fn class_scoped_operations(spec: &Value) -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    let mut all = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let key = format!("{} {path}", method.to_uppercase());
            all.push((key.clone(), path.clone()));
            let query_scoped = op["parameters"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| SCOPE_KEYS.contains(&p["name"].as_str().unwrap_or_default()))
            });
            let body_scoped = op["requestBody"]["content"]
                .as_object()
                .is_some_and(|c| c.values().any(|m| schema_is_scoped(spec, &m["schema"], 0)));
            let response_scoped = op["responses"].as_object().is_some_and(|rs| {
                rs.iter()
                    .filter(|(code, _)| code.starts_with('2'))
                    .any(|(_, r)| {
                        r["content"].as_object().is_some_and(|c| {
                            c.values().any(|m| schema_is_scoped(spec, &m["schema"], 0))
                        })
                    })
            });
            if path.contains("{class_id}")
                || path.starts_with("/api/v1/classes")
                || query_scoped
                || body_scoped
                || response_scoped
            {
                ops.insert(key);
            }
        }
    }
    // Everything under a scoped record (`/leave-passes/{id}/qr.svg`, `/hazards/{id}/…`).
    let records: Vec<String> = ops
        .iter()
        .filter_map(|k| k.split_once(' ').map(|(_, p)| p.to_owned()))
        .filter(|p| p.ends_with("{id}"))
        .collect();
    for (key, path) in all {
        if records.iter().any(|r| path.starts_with(&format!("{r}/"))) {
            ops.insert(key);
        }
    }
    ops
}

/// Ids made once for the whole matrix.
struct Fixture {
    class_a: String,
    class_b: String,
    students_a: Vec<Value>,
    submission_a: String,
    teacher1_id: String,
    office: String,
    guard: String,
    next_student: std::cell::Cell<usize>,
}

impl Fixture {
    /// A different student of class A each time (skipping the safety officer, the first).
    fn student_a(&self) -> String {
        let n = self.next_student.get();
        self.next_student.set(n + 1);
        let s = &self.students_a[1 + n % (self.students_a.len() - 1)];
        s["id"].as_str().expect("student id").to_owned()
    }
}

fn ts(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339()
}

fn day(offset: i64) -> String {
    (school_today() + Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

fn created_id(r: &Resp, what: &str) -> String {
    assert!(r.status.is_success(), "{what}: {} {}", r.status, r.text);
    r.body["id"].as_str().expect("id").to_owned()
}

async fn pass_a(app: &TestApp, fx: &Fixture, return_in: Duration) -> Value {
    let r = app
        .post(
            "/api/v1/leave-passes",
            &fx.office,
            json!({"student_id": fx.student_a(), "kind": "exit_and_return", "reason": "复诊",
                   "valid_until": ts(Duration::hours(4)), "return_by": ts(return_in)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

/// A pass of class A whose student is out now (scanned out by a guard).
async fn pass_out(app: &TestApp, fx: &Fixture, return_in: Duration) -> String {
    let p = pass_a(app, fx, return_in).await;
    let r = app
        .post(
            "/api/v1/gate/scans",
            &fx.guard,
            json!({"token": p["token"], "direction": "exit", "gate": "东门",
                   "client_event_id": uuid::Uuid::new_v4().to_string()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["result"], "allow", "{}", r.text);
    p["id"].as_str().expect("pass id").to_owned()
}

async fn hazard_a(app: &TestApp, fx: &Fixture) -> String {
    let r = app
        .post(
            "/api/v1/hazards",
            &fx.office,
            json!({"category": "facility", "location": "教学楼三楼", "description": "栏杆松动",
                   "class_id": fx.class_a}),
        )
        .await;
    created_id(&r, "hazard")
}

async fn incident_a(app: &TestApp, fx: &Fixture) -> String {
    let r = app
        .post("/api/v1/incidents", &fx.office, incident_body(&fx.class_a))
        .await;
    created_id(&r, "incident")
}

fn incident_body(class_id: &str) -> Value {
    json!({"kind": "injury", "occurred_at": ts(Duration::hours(-1)), "place": "操场",
           "severity": "minor", "description": "体育课扭伤脚踝", "class_id": class_id})
}

/// A class-A group channel (a webhook that resolves nowhere: nothing leaves the machine).
fn channel_body(class_id: &str) -> Value {
    json!({"name": "班级群", "kind": "webhook", "audience": "class_group",
           "url": "https://hooks.invalid/xiaoan", "class_id": class_id,
           "event_kinds": ["pass.overdue"]})
}

async fn channel_a(app: &TestApp, fx: &Fixture) -> String {
    let r = app
        .post(
            "/api/v1/subscriptions",
            &fx.office,
            channel_body(&fx.class_a),
        )
        .await;
    created_id(&r, "channel")
}

/// One request of the matrix: method, path, body, and the id of the class-A record a list
/// must (or must not) show.
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
    marker: Option<String>,
}

fn call(method: Method, path: impl Into<String>, body: Option<Value>) -> Call {
    Call {
        method,
        path: path.into(),
        body,
        marker: None,
    }
}

fn listing(path: impl Into<String>, marker: &str) -> Call {
    Call {
        method: Method::GET,
        path: path.into(),
        body: None,
        marker: Some(marker.to_owned()),
    }
}

/// Builds the request for one plan row; fresh class-A records where the call changes one.
async fn prepare(app: &TestApp, fx: &Fixture, key: &str, variant: &str) -> Call {
    let (m, p) = key.split_once(' ').expect("key");
    let method: Method = m.parse().expect("method");
    let a = &fx.class_a;
    match (key, variant) {
        ("GET /api/v1/classes", _) => listing(p, a),
        ("GET /api/v1/classes/{id}", _) => call(method, format!("/api/v1/classes/{a}"), None),
        ("GET /api/v1/students", "class_id") => {
            let s = fx.student_a();
            listing(format!("{p}?class_id={a}&limit=200"), &s)
        }
        ("GET /api/v1/students", _) => {
            let s = fx.student_a();
            listing(format!("{p}?limit=200"), &s)
        }
        ("GET /api/v1/students/{id}", _) => {
            call(method, format!("/api/v1/students/{}", fx.student_a()), None)
        }
        ("GET /api/v1/leave-passes", v) => {
            let pass = pass_a(app, fx, Duration::hours(3)).await;
            let id = pass["id"].as_str().expect("id");
            let q = match v {
                "class_id" => format!("?class_id={a}"),
                "student_id" => format!("?student_id={}", pass["student_id"].as_str().expect("s")),
                _ => String::new(),
            };
            listing(format!("{p}{q}"), id)
        }
        ("POST /api/v1/leave-passes", _) => call(
            method,
            p,
            Some(
                json!({"student_id": fx.student_a(), "kind": "exit_only", "reason": "家中有事",
                        "valid_until": ts(Duration::hours(2))}),
            ),
        ),
        ("GET /api/v1/leave-passes/{id}", _)
        | ("GET /api/v1/leave-passes/{id}/qr.svg", _)
        | ("POST /api/v1/leave-passes/{id}/revoke", _) => {
            let pass = pass_a(app, fx, Duration::hours(3)).await;
            let id = pass["id"].as_str().expect("id");
            call(method, p.replace("{id}", id), None)
        }
        ("GET /api/v1/gate/out", v) => {
            let id = pass_out(app, fx, Duration::hours(3)).await;
            let q = if v == "class_id" {
                format!("?class_id={a}")
            } else {
                String::new()
            };
            listing(format!("{p}{q}"), &id)
        }
        ("GET /api/v1/gate/overdue", v) => {
            // Due back in two seconds, out now: overdue once they have passed.
            let id = pass_out(app, fx, Duration::seconds(2)).await;
            tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
            let q = if v == "class_id" {
                format!("?class_id={a}")
            } else {
                String::new()
            };
            listing(format!("{p}{q}"), &id)
        }
        ("GET /api/v1/inspections", v) => {
            let q = if v == "class_id" {
                format!("?class_id={a}")
            } else {
                String::new()
            };
            listing(format!("{p}{q}"), &fx.submission_a)
        }
        ("POST /api/v1/inspections", _) => {
            let tpl = app.template("traffic_weekly").await;
            // Last week: this week's check was submitted when the fixture was made.
            let last_week = (school_today() - Duration::days(7))
                .format("%G-W%V")
                .to_string();
            call(
                method,
                p,
                Some(
                    json!({"template_id": tpl["id"], "class_id": a, "period": last_week,
                            "all_passed": true}),
                ),
            )
        }
        ("GET /api/v1/inspections/{id}", _) => call(
            method,
            format!("/api/v1/inspections/{}", fx.submission_a),
            None,
        ),
        ("POST /api/v1/inspections/{id}/amendments", _) => call(
            method,
            format!("/api/v1/inspections/{}/amendments", fx.submission_a),
            Some(json!({"all_passed": true, "note": "更正"})),
        ),
        ("GET /api/v1/hazards", v) => {
            let id = hazard_a(app, fx).await;
            let q = if v == "class_id" {
                format!("?class_id={a}")
            } else {
                String::new()
            };
            listing(format!("{p}{q}"), &id)
        }
        ("POST /api/v1/hazards", _) => call(
            method,
            p,
            Some(
                json!({"category": "traffic", "location": "校门口", "description": "车辆乱停",
                        "class_id": a}),
            ),
        ),
        ("GET /api/v1/hazards/{id}", _) => {
            let id = hazard_a(app, fx).await;
            call(method, format!("/api/v1/hazards/{id}"), None)
        }
        ("POST /api/v1/hazards/{id}/rectify", _) => {
            let id = hazard_a(app, fx).await;
            let r = app
                .post(
                    &format!("/api/v1/hazards/{id}/assign"),
                    &fx.office,
                    json!({"owner_id": fx.teacher1_id, "deadline": day(3)}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            call(
                method,
                format!("/api/v1/hazards/{id}/rectify"),
                Some(json!({"rectification": "已紧固栏杆"})),
            )
        }
        ("GET /api/v1/activities", _) | ("GET /api/v1/activities/{id}", _) => {
            let r = app
                .post(
                    "/api/v1/activities",
                    &fx.office,
                    json!({"kind": "education", "topic": "防溺水专题教育", "date": day(0),
                           "organiser": "保卫处", "class_ids": [a]}),
                )
                .await;
            let id = created_id(&r, "activity");
            if key.ends_with("{id}") {
                call(method, format!("/api/v1/activities/{id}"), None)
            } else {
                listing(p, &id)
            }
        }
        ("GET /api/v1/incidents", v) => {
            let id = incident_a(app, fx).await;
            let q = if v == "class_id" {
                format!("?class_id={a}")
            } else {
                String::new()
            };
            listing(format!("{p}{q}"), &id)
        }
        ("POST /api/v1/incidents", _) => call(method, p, Some(incident_body(a))),
        ("GET /api/v1/incidents/{id}", _) => {
            let id = incident_a(app, fx).await;
            call(method, format!("/api/v1/incidents/{id}"), None)
        }
        ("GET /api/v1/subscriptions", _) => {
            let id = channel_a(app, fx).await;
            listing(p, &id)
        }
        ("POST /api/v1/subscriptions", _) => call(method, p, Some(channel_body(a))),
        ("PATCH /api/v1/subscriptions/{id}", _) => {
            let id = channel_a(app, fx).await;
            call(
                method,
                p.replace("{id}", &id),
                Some(json!({"enabled": false})),
            )
        }
        ("DELETE /api/v1/subscriptions/{id}", _)
        | ("POST /api/v1/subscriptions/{id}/rotate-secret", _)
        | ("POST /api/v1/subscriptions/{id}/test", _)
        | ("GET /api/v1/subscriptions/{id}/deliveries", _) => {
            let id = channel_a(app, fx).await;
            let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
            call(method, p.replace("{id}", &id), body)
        }
        ("GET /api/v1/platform/figures", _) => listing(p, a),
        ("GET /api/v1/platform/classes/{class_id}/missing", _) => {
            let month = school_today().format("%Y-%m").to_string();
            call(
                method,
                format!("/api/v1/platform/classes/{a}/missing?month={month}"),
                None,
            )
        }
        ("GET /api/v1/headcounts/open", _) => {
            open_headcount(app, fx).await;
            listing(p, a)
        }
        ("GET /api/v1/headcounts/{id}", _) | ("POST /api/v1/headcounts/{id}/close", _) => {
            let hc = open_headcount(app, fx).await;
            let body = (method != Method::GET).then(|| json!({}));
            call(method, p.replace("{id}", &hc), body)
        }
        ("GET /api/v1/headcounts/{id}/classes/{class_id}", _) => {
            let hc = open_headcount(app, fx).await;
            call(method, format!("/api/v1/headcounts/{hc}/classes/{a}"), None)
        }
        ("PUT /api/v1/headcounts/{id}/classes/{class_id}", _) => {
            let hc = open_headcount(app, fx).await;
            let path = format!("/api/v1/headcounts/{hc}/classes/{a}");
            // The class as it is: everyone present but those the gate has out on a pass.
            let sheet = app.get(&path, &fx.office).await;
            assert_eq!(sheet.status, StatusCode::OK, "{}", sheet.text);
            let out = sheet.body["prefill"].as_array().map(Vec::len).unwrap_or(0) as i64;
            let present = sheet.body["expected"].as_i64().expect("expected") - out;
            call(
                method,
                path,
                Some(
                    json!({"client_report_id": uuid::Uuid::now_v7(), "present": present,
                            "absent": sheet.body["prefill"]}),
                ),
            )
        }
        // Operations no class teacher or officer may call: ids and bodies of class A's
        // records, so that the role check is what refuses them.
        _ => {
            let student = fx.student_a();
            let path = p
                .replace("{class_id}", a)
                .replace("{id}", &uuid::Uuid::now_v7().to_string());
            let path = if p.starts_with("/api/v1/students/{id}") {
                format!("/api/v1/students/{student}")
            } else if p.starts_with("/api/v1/classes/{id}") {
                format!("/api/v1/classes/{a}")
            } else {
                path
            };
            let body =
                (method != Method::GET).then(|| json!({"class_id": a, "student_id": student}));
            call(method, path, body)
        }
    }
}

/// The head-count under way (started by the office when there is none).
async fn open_headcount(app: &TestApp, fx: &Fixture) -> String {
    let r = app.get("/api/v1/headcounts/open", &fx.office).await;
    if let Some(id) = r.body["headcount"]["id"].as_str() {
        return id.to_owned();
    }
    let r = app
        .post(
            "/api/v1/headcounts",
            &fx.office,
            json!({"kind": "evacuation"}),
        )
        .await;
    created_id(&r, "head-count")
}

/// Whether `needle` occurs as a string anywhere in `v`.
fn contains_id(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s == needle,
        Value::Array(a) => a.iter().any(|x| contains_id(x, needle)),
        Value::Object(o) => o.values().any(|x| contains_id(x, needle)),
        _ => false,
    }
}

fn check(expect: Expect, r: &Resp, marker: Option<&str>) -> Result<(), String> {
    let got = format!("{} {}", r.status.as_u16(), r.code());
    let ok = r.status.is_success();
    let fail = |what: &str| Err(format!("expected {what}, got {got}"));
    match expect {
        Ok if ok => Result::Ok(()),
        Ok => fail("2xx"),
        Sees | Hidden if !ok => fail("2xx list"),
        Sees => {
            let m = marker.expect("list rows name their record");
            if contains_id(&r.body, m) {
                Result::Ok(())
            } else {
                fail(&format!("{m} listed"))
            }
        }
        Hidden => {
            let m = marker.expect("list rows name their record");
            if contains_id(&r.body, m) {
                fail(&format!("{m} not listed"))
            } else {
                Result::Ok(())
            }
        }
        Field(f, v) if ok && r.body[f] == v => Result::Ok(()),
        Field(f, v) => Err(format!(
            "expected 2xx with {f} = {v}, got {got}: {}",
            r.body[f]
        )),
        Deny(s, c) if r.status.as_u16() == s && r.code() == c => Result::Ok(()),
        Deny(s, c) => fail(&format!("{s} {c}")),
        Role if r.status == StatusCode::FORBIDDEN && r.code() == "forbidden_role" => Result::Ok(()),
        Role => fail("403 forbidden_role"),
    }
}

#[tokio::test]
async fn every_class_scoped_operation_enforces_the_own_class() {
    let app = spawn_app().await;
    let spec = app
        .request(Method::GET, "/api-docs/openapi.json", None, None)
        .await
        .body;

    // Completeness: every class-scoped operation of the spec has a plan, and every plan names
    // an operation that exists.
    let scoped = class_scoped_operations(&spec);
    assert!(
        scoped.len() >= 40,
        "too few class-scoped operations: {scoped:?}"
    );
    let planned: BTreeSet<String> = PLAN.iter().map(|(k, _, _)| (*k).to_owned()).collect();
    let missing: Vec<&String> = scoped.difference(&planned).collect();
    assert!(
        missing.is_empty(),
        "class-scoped operations without an ownership expectation (add them to PLAN): {missing:?}"
    );
    let mut all_ops = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            all_ops.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let stale: Vec<&String> = planned.difference(&all_ops).collect();
    assert!(
        stale.is_empty(),
        "PLAN names operations the spec lacks: {stale:?}"
    );

    // The cast: class A is teacher1's (officer1 is its student); class B is teacher2's, and a
    // second safety officer is made from one of its students.
    let office = app.token("office").await;
    let class_a = app.own_class_id("teacher1").await;
    let class_b = app.own_class_id("teacher2").await;
    assert_ne!(class_a, class_b);
    assert_eq!(
        app.me("officer1").await["class_ids"][0].as_str(),
        Some(class_a.as_str()),
        "officer1 belongs to class A"
    );
    let student_b = app.students_of(&class_b).await[0]["id"]
        .as_str()
        .expect("student of B")
        .to_owned();
    let r = app
        .post(
            "/api/v1/users",
            &office,
            json!({"username": "officer_b", "display_name": "乙班安全员", "role": "safety_officer",
                   "password": "officer-b-password", "student_id": student_b}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let officer_b = app
        .fresh_token_with("officer_b", "officer-b-password")
        .await;

    let teacher1 = app.token("teacher1").await;
    let tpl = app.template("traffic_weekly").await;
    let r = app
        .post(
            "/api/v1/inspections",
            &teacher1,
            json!({"template_id": tpl["id"], "class_id": class_a, "all_passed": true}),
        )
        .await;
    let submission_a = created_id(&r, "class A's traffic check");
    // The platform figure of class A this month.
    let month = school_today().format("%Y-%m").to_string();
    let r = app
        .put(
            "/api/v1/platform/figures",
            &office,
            json!({"month": month, "class_id": class_a, "completed": 30, "class_size": 40}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);

    let fx = Fixture {
        students_a: app.students_of(&class_a).await,
        class_a,
        class_b,
        submission_a,
        teacher1_id: app.user_id("teacher1").await,
        office: office.clone(),
        guard: app.token("guard1").await,
        next_student: std::cell::Cell::new(0),
    };
    assert!(fx.students_a.len() >= 3, "class A has students");
    assert!(!fx.class_b.is_empty());
    let actors = [
        ("own teacher", teacher1.clone()),
        ("other teacher", app.token("teacher2").await),
        ("own officer", app.token("officer1").await),
        ("other officer", officer_b),
    ];

    let mut failures = Vec::new();
    let mut calls = 0;
    for (key, variant, plan) in PLAN {
        let expects = match plan {
            Calls(e) => e,
            Exempt(why) => {
                assert!(!why.is_empty(), "{key}: an exemption says why");
                continue;
            }
        };
        if expects.iter().any(|e| matches!(e, Hidden)) && !expects.iter().any(|e| matches!(e, Sees))
        {
            failures.push(format!(
                "{key} [{variant}]: a list case needs a caller who sees the record"
            ));
        }
        let c = prepare(&app, &fx, key, variant).await;
        // The own class's teacher last: a refused call before must have changed nothing, or
        // the own teacher's change (revoke, rectify, amend) would no longer succeed.
        for i in [1, 3, 2, 0] {
            let (who, token) = &actors[i];
            let r = app
                .request(c.method.clone(), &c.path, Some(token), c.body.clone())
                .await;
            calls += 1;
            if r.status.is_server_error() {
                failures.push(format!(
                    "{key} [{variant}] as {who}: {} {}",
                    r.status, r.text
                ));
            } else if let Err(e) = check(expects[i], &r, c.marker.as_deref()) {
                failures.push(format!("{key} [{variant}] as {who}: {e}"));
            }
        }
    }
    assert!(calls >= 150, "only {calls} calls made");
    assert!(
        failures.is_empty(),
        "ownership matrix failures:\n{}",
        failures.join("\n")
    );
}
