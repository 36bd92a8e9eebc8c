//! The test data builders make what they say, through the API, on an empty school.

use reqwest::StatusCode;
use serde_json::json;
use xiaoan_api_tests::*;

#[tokio::test]
async fn each_builder_makes_its_record() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let class = app.new_class(2).await;
    let me = app.me(&class.teacher.username).await;
    assert_eq!(me["role"], "class_teacher");
    assert_eq!(me["class_ids"], json!([class.id]));
    let listed = app.students_of(&class.id).await;
    assert_eq!(listed.len(), 2);

    let officer = app.new_safety_officer(&class).await;
    assert_eq!(
        app.me(&officer.username).await["class_ids"],
        json!([class.id])
    );

    let pass = app.new_pass(&class, &class.students[0], json!({})).await;
    assert_eq!(pass["status"], "issued");
    assert_eq!(pass["student_id"], class.students[0].id.as_str());

    let guard = app.new_guard().await;
    let visitor = app.new_visitor(&guard).await;
    assert_eq!(visitor["on_campus"], true);

    let hazard = app.new_hazard(&officer.token, Some(&class.id)).await;
    assert_eq!(hazard["status"], "reported");
    assert_eq!(hazard["class_id"], class.id.as_str());

    let day = school_today().format("%Y-%m-%d").to_string();
    let roster = app
        .new_roster(&day, &day, &[(&day, "08:00", "17:00", "guard", &guard.id)])
        .await;
    let r = app
        .get(&format!("/api/v1/duty/rosters/{roster}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "draft");

    // Two builds never collide, and the school is built once per app.
    let other = app.new_class(0).await;
    assert_ne!(other.name, class.name);
    assert_ne!(other.teacher.username, class.teacher.username);
    let (a, b) = (app.school().await, app.school().await);
    assert_eq!(a.a.id, b.a.id);
    assert_eq!(a.a.students.len(), 8);
}
