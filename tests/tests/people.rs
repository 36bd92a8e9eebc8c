//! Users, classes and students: who manages them, who sees which fields, CSV import.

use reqwest::StatusCode;
use serde_json::json;
use xiaoan_api_tests::*;

async fn import(app: &TestApp, token: &str, csv: &str) -> Resp {
    let req = app
        .client
        .post(app.url("/api/v1/students/import"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.as_bytes().to_vec());
    TestApp::finish(req).await
}

async fn student_count(app: &TestApp) -> usize {
    let t = app.token("office").await;
    let mut n = 0;
    let mut cursor = String::new();
    loop {
        let r = app
            .get(&format!("/api/v1/students?limit=200&cursor={cursor}"), &t)
            .await;
        n += r.body["items"].as_array().unwrap().len();
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => return n,
        }
    }
}

#[tokio::test]
async fn class_teacher_sees_only_own_class() {
    let app = spawn_app().await;
    let mine = app.new_class(3).await;
    let theirs = app.new_class(1).await;
    let t1 = mine.teacher.token.clone();
    let own = mine.id.clone();
    let other = theirs.id.clone();

    let r = app.get("/api/v1/students?limit=200", &t1).await;
    let items = r.body["items"].as_array().unwrap();
    let mut seen: Vec<&str> = items.iter().map(|s| s["id"].as_str().unwrap()).collect();
    let mut expected: Vec<&str> = mine.students.iter().map(|s| s.id.as_str()).collect();
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);
    assert!(items.iter().all(|s| s["class_id"] == own.as_str()));
    assert!(
        items[0]["guardian_phone"].is_string(),
        "own class teacher sees guardian contact"
    );

    let r = app
        .get(&format!("/api/v1/students?class_id={other}"), &t1)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "not_own_class");

    let other_student = theirs.students[0].id.clone();
    let r = app
        .get(&format!("/api/v1/students/{other_student}"), &t1)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "not_own_class");
    assert!(!r.text.contains("guardian"));
}

#[tokio::test]
async fn guards_officers_and_keys_see_number_name_and_class_only() {
    let app = spawn_app().await;
    let c1 = app.new_class(1).await;
    let c2 = app.new_class(1).await;
    let (class1, class2) = (c1.id.clone(), c2.id.clone());
    let guard = app.new_guard().await;
    let officer = app.new_safety_officer(&c1).await;
    let key = app.api_key(&["people:read"]).await;
    for who in ["guard", "officer", "key"] {
        let auth = match who {
            "key" => key.clone(),
            "guard" => guard.token.clone(),
            _ => officer.token.clone(),
        };
        let r = app
            .request(
                reqwest::Method::GET,
                &format!("/api/v1/students?class_id={class1}"),
                Some(&auth),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.text);
        let first = &r.body["items"][0];
        let mut keys: Vec<&str> = first
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            ["class_id", "class_name", "id", "name", "student_no"],
            "{who}"
        );
        assert!(!r.text.contains("guardian"), "{who} saw guardian data");
    }
    // A safety officer is limited to own class.
    let r = app
        .get(
            &format!("/api/v1/students?class_id={class2}"),
            &officer.token,
        )
        .await;
    assert_eq!(r.code(), "not_own_class");
    // The office and the principal see everything.
    for who in ["office", "principal"] {
        let t = app.token(who).await;
        let r = app
            .get(&format!("/api/v1/students?class_id={class2}"), &t)
            .await;
        assert!(r.body["items"][0]["guardian_phone"].is_string(), "{who}");
    }
}

#[tokio::test]
async fn list_paginates_with_a_cursor() {
    let app = spawn_empty_school().await;
    let t = app.token("office").await;
    app.new_class(5).await;
    let r = app.get("/api/v1/students?limit=0", &t).await;
    assert_eq!(r.code(), "invalid_limit");
    let r = app.get("/api/v1/students?limit=201", &t).await;
    assert_eq!(r.code(), "invalid_limit");
    let r = app.get("/api/v1/students?cursor=%%%", &t).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(student_count(&app).await, 5);
    let page1 = app.get("/api/v1/students?limit=3", &t).await;
    let cursor = page1.body["next_cursor"].as_str().unwrap();
    let page2 = app
        .get(&format!("/api/v1/students?limit=3&cursor={cursor}"), &t)
        .await;
    assert_eq!(page2.body["items"].as_array().unwrap().len(), 2);
    assert!(page2.body["next_cursor"].is_null());
    let last1 = page1.body["items"][2]["student_no"].as_str().unwrap();
    let first2 = page2.body["items"][0]["student_no"].as_str().unwrap();
    assert!(first2 > last1);
}

#[tokio::test]
async fn csv_import_creates_and_updates_all_or_nothing() {
    let app = spawn_empty_school().await;
    let office = app.token("office").await;
    let a = app.new_class(1).await;
    let b = app.new_class(0).await;
    let (class1, class2) = (&a.name, &b.name);
    // An existing student, renamed and moved to class B by the file.
    let existing = &a.students[0].student_no;
    let csv = format!(
        "\u{feff}学号,姓名,班级,监护人,监护人电话\n\
         20209901,欧阳娜娜,{class1},欧阳建国,13812345678\n\
         20209902,司马光,{class1},,\n\
         {existing},蒋悦改,{class2},蒋志刚,13970925674\n"
    );
    let r = import(&app, &office, &csv).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"created": 2, "updated": 1}));
    assert_eq!(student_count(&app).await, 3);
    let t = app.token("office").await;
    let found = app.get("/api/v1/students?q=欧阳娜娜", &t).await;
    assert_eq!(found.body["items"][0]["guardian_phone"], "13812345678");
    let moved = app.get(&format!("/api/v1/students?q={existing}"), &t).await;
    assert_eq!(moved.body["items"][0]["class_name"], class2.as_str());
    assert_eq!(moved.body["items"][0]["name"], "蒋悦改");
    // Each created or changed student is in the audit trail.
    assert_eq!(app.audit("action=student.import_create").await.len(), 2);
    assert_eq!(app.audit("action=student.import_update").await.len(), 1);
}

#[tokio::test]
async fn csv_import_reports_bad_rows_by_line_and_imports_nothing() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let class = app.new_class(0).await;
    let class1 = &class.name;
    let csv = format!(
        "学号,姓名,班级,监护人电话\n\
         20209901,好学生,{class1},13812345678\n\
         20209902,,{class1},\n\
         20209903,坏班级,不存在的班,\n\
         20209901,重复学号,{class1},\n\
         20209905,坏电话,{class1},电话号码abc\n"
    );
    let before = student_count(&app).await;
    let r = import(&app, &office, &csv).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "csv_invalid");
    let errs: Vec<(u64, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errs,
        vec![
            (3, "name".into()),
            (4, "class".into()),
            (5, "student_no".into()),
            (6, "guardian_phone".into())
        ]
    );
    // No personal data echoed back.
    for secret in ["坏班级", "重复学号", "电话号码abc", "不存在的班"] {
        assert!(!r.text.contains(secret), "error quotes {secret}");
    }
    assert_eq!(student_count(&app).await, before, "half-imported");
    assert!(app.audit("action=student.import").await.is_empty());

    let r = import(&app, &office, "姓名,班级\n张三,一班\n").await;
    assert_eq!(r.code(), "csv_invalid");
    assert_eq!(r.body["errors"][0]["code"], "missing_column");
    // Control characters and bidi overrides are refused by line and column, as in JSON text;
    // on PostgreSQL a NUL would otherwise be a 500.
    let r = import(
        &app,
        &office,
        &format!("学号,姓名,班级\nC001,张\u{0}三,{class1}\nC002,李\u{202E}四,{class1}\n"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.code(), "csv_invalid");
    let errs: Vec<(u64, String, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        errs.contains(&(2, "name".into(), "control_character".into())),
        "{errs:?}"
    );
    assert!(
        errs.contains(&(3, "name".into(), "bidi_control".into())),
        "{errs:?}"
    );
    assert!(!r.text.contains('张'), "no value echoed: {}", r.text);
    let gbk: &[u8] = &[0xd1, 0xa7, 0xba, 0xc5, b',', b'\n'];
    let req = app
        .client
        .post(app.url("/api/v1/students/import"))
        .bearer_auth(&office)
        .header("content-type", "text/csv")
        .body(gbk.to_vec());
    let r = TestApp::finish(req).await;
    assert_eq!(r.body["errors"][0]["code"], "not_utf8");
    // Only the office imports.
    let t1 = class.teacher.token.clone();
    assert_eq!(
        import(&app, &t1, "学号,姓名,班级\n").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn office_manages_users_but_not_the_last_office_account() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let office_id = app.me("office").await["id"].as_str().unwrap().to_owned();

    let r = app
        .patch(
            &format!("/api/v1/users/{office_id}"),
            &office,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "last_security_office");
    let r = app
        .patch(
            &format!("/api/v1/users/{office_id}"),
            &office,
            json!({"role": "guard"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "last_security_office")
    );
    // Refused means unchanged.
    let back = app
        .get(&format!("/api/v1/users/{office_id}"), &office)
        .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert_eq!(back.body["role"], "security_office");
    assert_eq!(back.body["is_active"], true);

    // With a second office account, the first may step down.
    let r = app
        .post(
            "/api/v1/users",
            &office,
            json!({"username": "office2", "display_name": "孙卫国", "role": "security_office", "password": "long-enough-pw"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app
        .patch(
            &format!("/api/v1/users/{office_id}"),
            &office,
            json!({"role": "guard"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["role"], "guard");

    let office2 = app.fresh_token_with("office2", "long-enough-pw").await;
    // Read back: the account is a guard now, its old session is over, and signing in again
    // gives a guard, refused what only the office may do.
    let back = app
        .get(&format!("/api/v1/users/{office_id}"), &office2)
        .await;
    assert_eq!(back.body["role"], "guard", "{}", back.text);
    let r = app.get("/api/v1/me", &office).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "session_ended")
    );
    let login = app.login_full("office", PASSWORD).await;
    assert_eq!(login.body["user"]["role"], "guard", "{}", login.text);
    let as_guard = login.body["access_token"].as_str().unwrap().to_owned();
    let r = app.get("/api/v1/users", &as_guard).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "forbidden_role")
    );
    let dup = app
        .post(
            "/api/v1/users",
            &office2,
            json!({"username": "OFFICE2", "display_name": "重复", "role": "guard", "password": "long-enough-pw"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.code(), "already_exists");

    let bad = app
        .post(
            "/api/v1/users",
            &office2,
            json!({"username": "x", "display_name": "", "role": "safety_officer", "password": "short"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["username", "display_name", "password", "student_id"]
    );
    let unknown_role = app
        .post("/api/v1/users", &office2, json!({"username": "abc", "display_name": "a", "role": "admin", "password": "long-enough-pw"}))
        .await;
    assert_eq!(unknown_role.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn safety_officer_accounts_belong_to_a_student() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let class = app.new_class(1).await;
    let class2 = class.id.clone();
    let student = &class.students[0];
    let r = app
        .post(
            "/api/v1/users",
            &office,
            json!({"username": "officer2", "display_name": student.name, "role": "safety_officer",
                   "password": "long-enough-pw", "student_id": student.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["class_ids"], json!([class2]));
    assert_eq!(r.body["student_id"], student.id.as_str());
}

#[tokio::test]
async fn classes_are_managed_by_the_office() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    // A teacher who already heads a class.
    let teacher5 = app.new_class(0).await.teacher;
    let teacher5_id = teacher5.id.clone();
    let guard_id = app.new_guard().await.id;
    let r = app
        .post(
            "/api/v1/classes",
            &office,
            json!({"name": "2020级导游班", "grade": "2020级", "class_teacher_id": guard_id}),
        )
        .await;
    assert_eq!(r.code(), "validation_failed");
    assert_eq!(r.body["errors"][0]["code"], "not_a_class_teacher");
    let r = app
        .post(
            "/api/v1/classes",
            &office,
            json!({"name": "2020级导游班", "grade": "2020级", "class_teacher_id": teacher5_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["class_teacher_name"], teacher5.display_name.as_str());
    let again = app
        .post(
            "/api/v1/classes",
            &office,
            json!({"name": "2020级导游班", "grade": "2020级"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // teacher5 now heads two classes and sees both.
    assert_eq!(
        app.me(&teacher5.username).await["class_ids"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn a_32767_row_import_stays_within_the_databases_parameter_bound() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let class = app.new_class(0).await;
    let class1 = &class.name;
    let mut csv = String::from("学号,姓名,班级\n");
    for i in 0..32_767 {
        csv.push_str(&format!("8{i:08},学生{i},{class1}\n"));
    }
    let r = import(&app, &office, &csv).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"created": 32_767, "updated": 0}));
    assert_eq!(
        app.sql_count("SELECT COUNT(*) AS n FROM students WHERE student_no LIKE '8%'")
            .await,
        32_767
    );
    // Again: every number now exists, so the lookup of existing students takes all of them.
    let r = import(&app, &office, &csv).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({"created": 0, "updated": 32_767}));
    // Nothing changed, so nothing was rewritten or audited as a change.
    assert!(app.audit("action=student.import_update").await.is_empty());
}

#[tokio::test]
async fn an_oversized_student_csv_is_refused_before_parsing() {
    let app = spawn_app().await;
    let office = app.token("office").await;
    let mut tall = String::from("学号,姓名,班级\n");
    for i in 0..50_000 {
        tall.push_str(&format!("{i},a,b\n"));
    }
    let wide = format!("学号,姓名,班级{}\n1,a,b\n", ",x".repeat(100));
    for (what, csv) in [("tall", tall), ("wide", wide)] {
        let r = import(&app, &office, &csv).await;
        assert_eq!(
            r.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{what}: {}",
            r.text
        );
        assert_eq!(r.code(), "import_too_large", "{what}");
    }
    assert!(app.audit("action=student.import").await.is_empty());
}
