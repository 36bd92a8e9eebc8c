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
    assert!(sh.len() >= 5, "{} shell blocks", sh.len());
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
}

#[tokio::test]
async fn the_python_example_of_the_guide_works_as_written() {
    let py = blocks("python");
    assert_eq!(py.len(), 1);
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
