//! Leadership and duties, the rules library and guard training: who may see and do what, the
//! acknowledgement flows (sign once, a retry records nothing, the office sees who has not), a
//! new rule version asking again, and the to-do list, the ledger and the assessment counting
//! them. Each test builds its own records through the API.

use reqwest::StatusCode;
use serde_json::{Value, json};
use xiaoan_api_tests::*;

fn day(offset: i64) -> String {
    (school_today() + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

async fn current_semester(app: &TestApp, token: &str) -> String {
    let r = app.get("/api/v1/semesters/current", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["code"].as_str().unwrap().to_owned()
}

/// A fresh staff account and its token.
async fn new_user(app: &TestApp, office: &str, username: &str, role: &str) -> (String, String) {
    let r = app
        .post(
            "/api/v1/users",
            office,
            json!({"username": username, "display_name": format!("测试{username}"), "role": role, "password": "long-enough-pw"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let login = app.login_full(username, "long-enough-pw").await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    (id, login.body["access_token"].as_str().unwrap().to_owned())
}

fn ids(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap().to_owned())
        .collect()
}

async fn waiting(app: &TestApp, token: &str) -> Value {
    let r = app.get("/api/v1/me/acknowledgements", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn todo_count(app: &TestApp, token: &str) -> u64 {
    let r = app.get("/api/v1/me/todo", token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["category"] == "acknowledgement_to_sign")
        .map(|g| g["count"].as_u64().unwrap())
        .expect("the category is listed")
}

#[tokio::test]
async fn a_responsibility_letter_is_signed_once_by_those_asked_and_the_office_sees_who_has_not() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let semester = current_semester(&app, &office).await;
    let (g_id, g) = new_user(&app, &office, "guard-letter", "guard").await;
    let (t_id, t) = new_user(&app, &office, "teacher-letter", "class_teacher").await;
    let before = todo_count(&app, &g).await;

    // Students never sign; an unknown semester is refused; a teacher may not issue one.
    let body = json!({"semester": semester, "title": "测试学期安全目标责任书", "body": "本人承诺履行岗位安全职责。", "signer_roles": ["guard"]});
    let mut bad = body.clone();
    bad["signer_roles"] = json!(["guard", "safety_officer"]);
    let r = app
        .post("/api/v1/responsibility-letters", &office, bad)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let mut bad = body.clone();
    bad["semester"] = json!("1999-2000-1");
    let r = app
        .post("/api/v1/responsibility-letters", &office, bad)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app
        .post("/api/v1/responsibility-letters", &t, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    let r = app
        .post("/api/v1/responsibility-letters", &office, body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let letter = r.body["id"].as_str().unwrap().to_owned();

    // The guard is asked: it waits for them (list and to-do); the teacher is not.
    let w = waiting(&app, &g).await;
    assert!(ids(&w, "id").contains(&letter), "{w}");
    assert_eq!(todo_count(&app, &g).await, before + 1);
    assert!(!ids(&waiting(&app, &t).await, "id").contains(&letter));
    let r = app
        .post(
            &format!("/api/v1/responsibility-letters/{letter}/sign"),
            &t,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.code(), "not_asked_to_acknowledge");

    // The office sees the guard among those who have not signed.
    let path = format!("/api/v1/responsibility-letters/{letter}/signatures");
    let r = app.get(&path, &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        ids(&r.body["pending"], "user_id").contains(&g_id),
        "{}",
        r.text
    );
    assert!(!ids(&r.body["pending"], "user_id").contains(&t_id));
    // Only the office and the principal read the signatures.
    let r = app.get(&path, &g).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // Signing; a second tap answers with the first time and records nothing.
    let sign = format!("/api/v1/responsibility-letters/{letter}/sign");
    let count = "SELECT COUNT(*) AS n FROM acknowledgements WHERE subject_kind = 'letter'";
    let before_signing = app.sql_count(count).await;
    let first = app.post(&sign, &g, json!({})).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["recorded"], true);
    let again = app.post(&sign, &g, json!({})).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["recorded"], false);
    assert_eq!(again.body["acknowledged_at"], first.body["acknowledged_at"]);
    assert_eq!(app.sql_count(count).await, before_signing + 1);
    let audit = app
        .audit(&format!(
            "entity_type=responsibility_letter&entity_id={letter}"
        ))
        .await;
    assert_eq!(
        audit
            .iter()
            .filter(|a| a["action"] == "responsibility_letter.sign")
            .count(),
        1
    );

    let r = app.get(&path, &office).await;
    let signed = &r.body["signed"];
    assert_eq!(ids(signed, "user_id"), vec![g_id.clone()]);
    assert_eq!(signed[0]["acknowledged_at"], first.body["acknowledged_at"]);
    assert!(!ids(&r.body["pending"], "user_id").contains(&g_id));
    assert!(!ids(&waiting(&app, &g).await, "id").contains(&letter));
    assert_eq!(todo_count(&app, &g).await, before);

    // The list shows each their own signature, and the office the count.
    let r = app
        .get(
            &format!("/api/v1/responsibility-letters?semester={semester}"),
            &g,
        )
        .await;
    let mine = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == letter.as_str())
        .unwrap();
    assert_eq!(mine["my_signed_at"], first.body["acknowledged_at"]);
    assert_eq!(mine["signed_count"], Value::Null);
    let r = app.get("/api/v1/responsibility-letters", &office).await;
    let l = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == letter.as_str())
        .unwrap();
    assert_eq!(l["signed_count"], 1);
    // Students see none of it.
    let s = app.token("officer1").await;
    let r = app.get("/api/v1/responsibility-letters", &s).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}

#[tokio::test]
async fn a_new_rule_version_asks_again_and_old_versions_stay_readable() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let (g_id, g) = new_user(&app, &office, "guard-rules", "guard").await;
    let (_, t) = new_user(&app, &office, "teacher-rules", "class_teacher").await;

    let r = app
        .post(
            "/api/v1/safety-rules",
            &office,
            json!({"title": "测试门卫交接班制度", "category": "gate", "effective_on": day(-30), "body": "第一版正文", "reader_roles": ["guard"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let rule = r.body["id"].as_str().unwrap().to_owned();
    let v1 = r.body["versions"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["versions"][0]["version"], 1);
    // The same title twice is a clash.
    let r = app
        .post(
            "/api/v1/safety-rules",
            &principal,
            json!({"title": "测试门卫交接班制度", "category": "gate", "effective_on": day(0), "body": "x", "reader_roles": ["guard"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);

    // The guard confirms v1; a teacher (not asked) may read but not confirm.
    assert!(ids(&waiting(&app, &g).await, "id").contains(&v1));
    let r = app
        .post(
            &format!("/api/v1/safety-rule-versions/{v1}/confirm"),
            &g,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!ids(&waiting(&app, &g).await, "id").contains(&v1));
    let r = app.get(&format!("/api/v1/safety-rules/{rule}"), &t).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/safety-rule-versions/{v1}/confirm"),
            &t,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // A teacher may not publish a version; the office does, and the guard is asked again.
    let v2_body = json!({"effective_on": day(0), "body": "第二版正文:交接班须当面清点", "reader_roles": ["guard", "class_teacher"], "change_note": "增加清点要求"});
    let path = format!("/api/v1/safety-rules/{rule}/versions");
    let r = app.post(&path, &t, v2_body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app.post(&path, &office, v2_body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let versions = r.body["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[0]["in_force"], true);
    assert_eq!(versions[1]["in_force"], false);
    let v2 = versions[0]["id"].as_str().unwrap().to_owned();

    let w = waiting(&app, &g).await;
    assert!(ids(&w, "id").contains(&v2), "{w}");
    assert!(ids(&waiting(&app, &t).await, "id").contains(&v2));
    // The superseded version can no longer be confirmed, but stays readable with its text
    // and the guard's confirmation of it.
    let r = app
        .post(
            &format!("/api/v1/safety-rule-versions/{v1}/confirm"),
            &t,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.code(), "rule_version_superseded");
    let r = app.get(&format!("/api/v1/safety-rules/{rule}"), &g).await;
    let old = &r.body["versions"][1];
    assert_eq!(old["body"], "第一版正文");
    assert!(old["my_confirmed_at"].is_string());
    assert!(r.body["versions"][0]["my_confirmed_at"].is_null());

    // The office sees the confirmations of the version in force.
    let conf = format!("/api/v1/safety-rule-versions/{v2}/confirmations");
    let r = app.get(&conf, &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(ids(&r.body["pending"], "user_id").contains(&g_id));
    // Several taps at once: every one answered, exactly one recorded.
    let confirm = format!("/api/v1/safety-rule-versions/{v2}/confirm");
    let taps = (0..4).map(|_| app.post(&confirm, &g, json!({})));
    let answers = futures_util::future::join_all(taps).await;
    for a in &answers {
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    }
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.body["recorded"] == true)
            .count(),
        1
    );
    let r = app.get(&conf, &principal).await;
    assert_eq!(ids(&r.body["signed"], "user_id"), vec![g_id.clone()]);
    let r = app.get(&conf, &g).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    // The library lists the version in force with each one's own confirmation.
    let r = app.get("/api/v1/safety-rules?category=gate", &g).await;
    let s = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == rule.as_str())
        .unwrap();
    assert_eq!(s["version"], 2);
    assert!(s["my_confirmed_at"].is_string());
    assert_eq!(s["confirmed_count"], Value::Null);
    let r = app.get("/api/v1/safety-rules", &office).await;
    let s = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == rule.as_str())
        .unwrap();
    assert_eq!(s["confirmed_count"], 1);
    let r = app
        .get("/api/v1/safety-rules", &app.token("officer1").await)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}

#[tokio::test]
async fn a_guard_sees_and_signs_own_trainings_and_the_assessment_counts_them() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let (g_id, g) = new_user(&app, &office, "guard-train", "guard").await;
    let (_, other) = new_user(&app, &office, "guard-other", "guard").await;
    let teacher = app.token("teacher1").await;

    let body = json!({"date": day(-1), "kind": "first_aid", "title": "测试急救培训", "trainer": "校医 沈医生", "content": "心肺复苏与止血包扎", "attendee_ids": [g_id]});
    let r = app
        .post("/api/v1/guard-trainings", &teacher, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let mut bad = body.clone();
    bad["attendee_ids"] = json!([app.me("officer1").await["id"]]);
    let r = app.post("/api/v1/guard-trainings", &office, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = app.post("/api/v1/guard-trainings", &office, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["attendee_count"], 1);

    // The attendee sees it; another guard neither sees nor signs it; teachers read none.
    let r = app.get("/api/v1/guard-trainings", &g).await;
    assert_eq!(ids(&r.body, "id"), vec![id.clone()]);
    let r = app.get("/api/v1/guard-trainings", &other).await;
    assert!(!ids(&r.body, "id").contains(&id));
    let r = app
        .get(&format!("/api/v1/guard-trainings/{id}"), &other)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/guard-trainings/{id}/sign"),
            &other,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let r = app.get("/api/v1/guard-trainings", &teacher).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    assert!(ids(&waiting(&app, &g).await, "id").contains(&id));
    let r = app
        .post(&format!("/api/v1/guard-trainings/{id}/sign"), &g, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(!ids(&waiting(&app, &g).await, "id").contains(&id));
    // The guard sees own sign-off, not the list of others.
    let r = app.get(&format!("/api/v1/guard-trainings/{id}"), &g).await;
    assert!(r.body["my_signed_at"].is_string(), "{}", r.text);
    assert!(r.body["sign_offs"].is_null());
    let r = app
        .get(&format!("/api/v1/guard-trainings/{id}"), &office)
        .await;
    assert_eq!(
        ids(&r.body["sign_offs"]["signed"], "user_id"),
        vec![g_id.clone()]
    );

    // The assessment counts the signed session for the guard, traced to it.
    let r = app.get("/api/v1/assessment", &office).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let row = r.body["staff"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == g_id.as_str())
        .unwrap_or_else(|| panic!("{}", r.text));
    let m = row["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "trainings_signed")
        .unwrap_or_else(|| panic!("{row}"));
    assert_eq!(m["count"], 1, "{m}");
    assert_eq!(m["sources"][0]["type"], "guard_training");
    assert_eq!(m["sources"][0]["id"], id.as_str());
}

#[tokio::test]
async fn the_leadership_group_and_duties_are_managed_by_the_office_and_read_by_staff() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let principal = app.token("principal").await;
    let (u_id, u) = new_user(&app, &office, "teacher-group", "class_teacher").await;

    let m =
        json!({"user_id": u_id, "group_role": "member", "department": "德育处,负责学生安全教育"});
    let r = app.post("/api/v1/leadership/members", &u, m.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app
        .post("/api/v1/leadership/members", &principal, m.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let member = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["name"], "测试teacher-group");
    let r = app.post("/api/v1/leadership/members", &office, m).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // A student account cannot be a member.
    let student = app.me("officer1").await["id"].clone();
    let r = app
        .post(
            "/api/v1/leadership/members",
            &office,
            json!({"user_id": student, "group_role": "member", "department": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    let r = app
        .post(
            "/api/v1/duty-statements",
            &office,
            json!({"post": "测试宿管员", "duties": "夜间查寝"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let st = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .put(
            &format!("/api/v1/duty-statements/{st}"),
            &office,
            json!({"post": "测试宿管员", "duties": "夜间查寝两次"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Every staff member reads the group and the duties; a student does not.
    let g = app.token("guard1").await;
    let r = app.get("/api/v1/leadership", &g).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(ids(&r.body["members"], "id").contains(&member));
    let s = r.body["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == st.as_str())
        .unwrap();
    assert_eq!(s["duties"], "夜间查寝两次");
    assert_eq!(
        r.body["members"][0]["group_role"], "leader",
        "the 组长 first"
    );
    let r = app
        .get("/api/v1/leadership", &app.token("officer1").await)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

    let r = app
        .delete(&format!("/api/v1/leadership/members/{member}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = app
        .delete(&format!("/api/v1/duty-statements/{st}"), &g)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r = app
        .delete(&format!("/api/v1/duty-statements/{st}"), &office)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let r = app.get("/api/v1/leadership", &g).await;
    assert!(!ids(&r.body["members"], "id").contains(&member));
    assert!(!ids(&r.body["statements"], "id").contains(&st));
}

#[tokio::test]
async fn the_demo_school_has_its_group_rules_and_a_training_and_the_ledger_lists_them() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let r = app.get("/api/v1/leadership", &office).await;
    assert_eq!(r.body["members"][0]["name"], "陈志明");
    assert_eq!(r.body["members"][0]["group_role"], "leader");
    let r = app.get("/api/v1/safety-rules", &office).await;
    let titles = ids(&r.body, "title");
    for t in ["门卫工作制度", "来访登记制度", "消防安全制度"] {
        assert!(titles.contains(&t.to_owned()), "{titles:?}");
    }
    // guard1 still has to confirm the new 门卫工作制度 and sign the letter and the training.
    let g = app.token("guard1").await;
    let kinds: Vec<String> = ids(&waiting(&app, &g).await, "kind");
    for k in ["letter", "rule_version", "training"] {
        assert!(kinds.contains(&k.to_owned()), "{kinds:?}");
    }

    let (status, _, bytes) = app.get_bytes("/api/v1/ledger/xlsx", Some(&office)).await;
    assert_eq!(status, StatusCode::OK);
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let group = wb.worksheet_range("领导小组与职责").unwrap();
    assert!(
        group
            .rows()
            .any(|r| r[1] == Data::String("陈志明".into()) && r[2] == Data::String("组长".into()))
    );
    assert!(group.rows().any(|r| r[1] == Data::String("门卫".into())));
    let letters = wb.worksheet_range("责任书签订").unwrap();
    assert!(letters.rows().any(|r| r[1] == Data::String("赵保国".into()) && r[3] == Data::String("未签订".into())));
    let rules = wb.worksheet_range("安全管理制度").unwrap();
    assert!(rules.rows().any(
        |r| r[0] == Data::String("门卫工作制度".into()) && r[2] == Data::String("第2版".into())
    ));
    let trainings = wb.worksheet_range("门卫培训").unwrap();
    assert_eq!(trainings.height(), 2, "header + the demo session");
}
