//! The integrator's guide (`docs/integrators.md`) cannot rot: its shell and Python examples are
//! taken out of the page and run, as written, against a real server with the demo school; then
//! what they should have done is read back through the API.

use chrono::{Duration, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::json;
use std::process::Command;
use xiaoan_api_tests::*;

const GUIDE: &str = include_str!("../../docs/integrators.md");

/// The fenced blocks of one language, in page order.
fn blocks(lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in GUIDE.lines() {
        match &mut current {
            None if line.trim_end() == format!("```{lang}") => current = Some(String::new()),
            Some(_) if line.trim_end() == "```" => out.extend(current.take()),
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "an unclosed {lang} block");
    out
}

/// A fresh pass of a demo student, for one scan; returns its QR text.
async fn pass_token(app: &TestApp, n: usize) -> String {
    let class_id = app.own_class_id("teacher1").await;
    let student = app.students_of(&class_id).await[n].clone();
    let teacher = app.token("teacher1").await;
    let until = (Utc::now() + Duration::hours(3)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let r = app
        .post(
            "/api/v1/leave-passes",
            &teacher,
            json!({"student_id": student["id"], "kind": "exit_only", "reason": "就医", "valid_until": until}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body["token"].as_str().unwrap().to_owned()
}

/// Runs a program off the test's runtime thread, which also serves the requests it makes.
async fn run(mut cmd: Command, what: &'static str) -> String {
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The scans a key recorded at 东门, read back as the office.
async fn east_gate_scans(app: &TestApp) -> Vec<serde_json::Value> {
    let office = app.token("office").await;
    let r = app
        .get("/api/v1/gate/scans?gate=东门&limit=200", &office)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_curl_examples_of_the_guide_work_as_written() {
    let sh = blocks("sh");
    assert!(sh.len() >= 7, "{} shell blocks", sh.len());
    let app = spawn_app().await;
    let token = pass_token(&app, 1).await;
    // One shell session, in page order, stopping at the first failure (curl -f fails on 4xx/5xx).
    let script = format!("set -euo pipefail\n{}", sh.join("\n"));
    // `timeout`: a hung request fails the test instead of stalling the suite.
    let mut bash = Command::new("timeout");
    bash.args(["120", "bash", "-c"])
        .arg(&script)
        .env("XIAOAN", &app.base)
        .env("PASS_TOKEN", &token)
        .env_remove("XIAOAN_KEY");
    let stdout = run(bash, "the guide's shell examples").await;
    // The people list printed the demo classes and students; the scan was allowed.
    assert!(stdout.contains("2019级"), "{stdout}");
    assert!(stdout.contains("\"result\": \"allow\""), "{stdout}");
    assert!(stdout.contains("\"code\": \"ok\""), "{stdout}");
    // The key exists with the scopes the guide gives it, and recorded the scan it printed.
    let office = app.token("office").await;
    let keys = app.get("/api/v1/api-keys", &office).await;
    let key = keys
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "东门闸机")
        .unwrap_or_else(|| panic!("no key made by the guide: {}", keys.body))
        .clone();
    assert_eq!(
        key["scopes"],
        json!(["gate:read", "gate:scan", "people:read"])
    );
    let scans = east_gate_scans(&app).await;
    assert_eq!(scans.len(), 1, "{scans:?}");
    assert_eq!(scans[0]["actor_api_key_id"], key["id"]);
    assert_eq!(scans[0]["direction"], "exit");
    assert_eq!(scans[0]["result"], "allow");
    // The log block printed that scan.
    let logged = format!("exit allow {}", scans[0]["student_name"].as_str().unwrap());
    assert!(stdout.contains(&logged), "{logged:?} not in:\n{stdout}");

    // The roster upsert ran twice: created, then unchanged; the office reads what it stored.
    assert!(
        stdout.contains("first: 20260101 created, 20260102 created\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("again: 20260101 unchanged, 20260102 unchanged\n"),
        "{stdout}"
    );
    let r = app.get("/api/v1/students?q=20260101", &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let s = &r.body["items"][0];
    assert_eq!(s["name"], "顾晨阳");
    assert_eq!(s["class_name"], "2026级数控技术应用1班");
    assert_eq!(s["guardian_phone"], "13962100001");
    let roster_key = key_named(&keys.body, "教务系统");
    assert_eq!(roster_key["scopes"], json!(["people:write"]));
    // The sensor's hazard, reported under the key's name.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("hazard "))
        .unwrap_or_else(|| panic!("no hazard line in:\n{stdout}"));
    assert!(line.ends_with(" reported reported by 实训楼烟感"), "{line}");
    let id = line.split(' ').nth(1).unwrap();
    let h = app.get(&format!("/api/v1/hazards/{id}"), &office).await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.text);
    assert_eq!(h.body["reported_by_name"], "实训楼烟感");
    let sensor = key_named(&keys.body, "实训楼烟感");
    assert_eq!(h.body["reported_by_api_key_id"], sensor["id"]);
}

fn key_named(keys: &serde_json::Value, name: &str) -> serde_json::Value {
    keys.as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("no key {name}: {keys}"))
        .clone()
}

#[tokio::test]
async fn the_python_example_of_the_guide_works_as_written() {
    let py = blocks("python");
    assert_eq!(py.len(), 2);
    let app = spawn_app().await;
    let token = pass_token(&app, 2).await;
    let key = app
        .api_key(&["people:read", "gate:scan", "gate:read"])
        .await;
    let mut python = Command::new("timeout");
    python
        .args(["120", "python3", "-c"])
        .arg(&py[0])
        .env("XIAOAN", &app.base)
        .env("XIAOAN_KEY", key.strip_prefix("key:").unwrap())
        .env("PASS_TOKEN", &token);
    let stdout = run(python, "the guide's Python example").await;
    // Every student of the demo school, through the pages of every class.
    let office = app.token("office").await;
    let mut total = 0;
    let classes = app.get("/api/v1/classes", &office).await;
    for c in classes.body.as_array().unwrap() {
        total += app.students_of(c["id"].as_str().unwrap()).await.len();
    }
    assert!(total > 0);
    assert!(
        stdout.starts_with(&format!("{total} students, e.g. ")),
        "{stdout}"
    );
    assert!(stdout.contains("\nallow ok\n"), "{stdout}");
    let scans = east_gate_scans(&app).await;
    assert_eq!(scans.len(), 1, "{scans:?}");
    let name = scans[0]["student_name"].as_str().unwrap();
    assert!(stdout.contains(&format!(" exit allow {name}")), "{stdout}");
}

#[tokio::test]
async fn the_python_roster_and_sensor_example_of_the_guide_works_as_written() {
    let py = blocks("python");
    assert_eq!(py.len(), 2);
    let app = spawn_app().await;
    let key = app.api_key(&["people:write", "hazards:write"]).await;
    let mut python = Command::new("timeout");
    python
        .args(["120", "python3", "-c"])
        .arg(&py[1])
        .env("XIAOAN", &app.base)
        .env("XIAOAN_KEY", key.strip_prefix("key:").unwrap());
    let stdout = run(python, "the guide's roster and sensor example").await;
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0], "roster {'created': 2, 'updated': 0, 'unchanged': 0, 'deactivated': 0}",
        "{stdout}"
    );
    assert_eq!(
        lines[1], "again {'created': 0, 'updated': 0, 'unchanged': 2, 'deactivated': 0}",
        "{stdout}"
    );
    assert_eq!(
        lines[2], "refused 422 validation_failed ['students[0].class: not_found']",
        "{stdout}"
    );
    assert_eq!(lines[3], "hazard reported 测试集成", "{stdout}");
    // Read back as the office: the students, the guardian stored, the class made.
    let office = app.token("office").await;
    let r = app.get("/api/v1/students?q=2026020", &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", r.text);
    assert_eq!(items[0]["guardian_phone"], "13962100201");
    assert_eq!(items[1]["class_name"], "2026级汽车运用与维修1班");
}
