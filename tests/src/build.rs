//! Test data builders: a test makes the people and records it is about through the API, as the
//! office would, with names no other record has — so a change to the demo school (more
//! classes, students, hazards or passes) does not change what a test sees. Only the demo's
//! `office` and `principal` accounts are relied on (the ones the API needs to create others).

use crate::{PASSWORD, TestApp};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A short suffix no other builder call in this process (or a concurrent test's server) uses.
pub fn unique() -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{n}{}", &random[..6])
}

const SURNAMES: &[&str] = &["钱", "孙", "周", "吴", "郑", "冯", "陈", "褚", "卫", "蒋"];
const GIVEN: &[&str] = &[
    "立新", "晓东", "秀兰", "建军", "文华", "海涛", "丽娟", "志远",
];

fn chinese_name(n: u32) -> String {
    let n = n as usize;
    format!(
        "{}{}",
        SURNAMES[n % SURNAMES.len()],
        GIVEN[(n / SURNAMES.len()) % GIVEN.len()]
    )
}

/// A signed-in account made for the test.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// An access token (cached by the app like the demo accounts' ones).
    pub token: String,
}

/// A student made for the test.
#[derive(Clone, Debug)]
pub struct Student {
    pub id: String,
    pub name: String,
    pub student_no: String,
    pub class_id: String,
}

/// A class with its own class teacher and students.
#[derive(Clone, Debug)]
pub struct Class {
    pub id: String,
    pub name: String,
    pub teacher: Person,
    pub students: Vec<Student>,
}

fn created(r: &crate::Resp, what: &str) {
    assert_eq!(r.status, StatusCode::CREATED, "building {what}: {}", r.text);
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// A small school of the test's own, for tests that need "a class, another class and a guard"
/// many times over: class A with eight students, class B with two, one guard.
#[derive(Debug)]
pub struct School {
    pub a: Class,
    pub b: Class,
    pub guard: Person,
}

impl TestApp {
    /// The test's own school, built once per app on first use.
    pub async fn school(&self) -> std::sync::Arc<School> {
        self.school
            .get_or_init(|| async {
                std::sync::Arc::new(School {
                    a: self.new_class(8).await,
                    b: self.new_class(2).await,
                    guard: self.new_guard().await,
                })
            })
            .await
            .clone()
    }

    /// A new active account with `role` (`class_teacher`, `guard`, `security_office`,
    /// `principal`), created by the office (the principal for a principal), signed in.
    pub async fn new_user(&self, role: &str) -> Person {
        let creator = if role == "principal" {
            "principal"
        } else {
            "office"
        };
        let by = self.token(creator).await;
        let u = unique();
        let username = format!("t{}-{u}", role.replace('_', "-"));
        let display_name = format!("{}{u}", chinese_name(SEQ.load(Ordering::Relaxed)));
        let r = self
            .post(
                "/api/v1/users",
                &by,
                json!({"username": username, "display_name": display_name, "role": role,
                       "password": PASSWORD}),
            )
            .await;
        created(&r, role);
        let token = self.token(&username).await;
        Person {
            id: id_of(&r.body),
            username,
            display_name,
            token,
        }
    }

    pub async fn new_teacher(&self) -> Person {
        self.new_user("class_teacher").await
    }

    pub async fn new_guard(&self) -> Person {
        self.new_user("guard").await
    }

    /// A student of `class_id` with a guardian on record.
    pub async fn new_student(&self, class_id: &str) -> Student {
        let office = self.token("office").await;
        let u = unique();
        let name = format!("{}{u}", chinese_name(SEQ.load(Ordering::Relaxed) + 3));
        let student_no = format!("T{u}");
        let r = self
            .post(
                "/api/v1/students",
                &office,
                json!({"student_no": student_no, "name": name, "class_id": class_id,
                       "guardian_name": "家长", "guardian_phone": "13900000000"}),
            )
            .await;
        created(&r, "a student");
        Student {
            id: id_of(&r.body),
            name,
            student_no,
            class_id: class_id.to_owned(),
        }
    }

    /// A class headed by a new class teacher, with `students` new students.
    pub async fn new_class(&self, students: usize) -> Class {
        let office = self.token("office").await;
        let teacher = self.new_teacher().await;
        let name = format!("2025级测试{}班", unique());
        let r = self
            .post(
                "/api/v1/classes",
                &office,
                json!({"name": name, "grade": "2025级", "class_teacher_id": teacher.id}),
            )
            .await;
        created(&r, "a class");
        let id = id_of(&r.body);
        let mut list = Vec::with_capacity(students);
        for _ in 0..students {
            list.push(self.new_student(&id).await);
        }
        Class {
            id,
            name,
            teacher,
            students: list,
        }
    }

    /// A student safety officer's account for a new student of `class`.
    pub async fn new_safety_officer(&self, class: &Class) -> Person {
        let office = self.token("office").await;
        let student = self.new_student(&class.id).await;
        let username = format!("tofficer-{}", unique());
        let r = self
            .post(
                "/api/v1/users",
                &office,
                json!({"username": username, "display_name": student.name, "role": "safety_officer",
                       "password": PASSWORD, "student_id": student.id}),
            )
            .await;
        created(&r, "a safety officer");
        let token = self.token(&username).await;
        Person {
            id: id_of(&r.body),
            username,
            display_name: student.name,
            token,
        }
    }

    /// A leave pass (`exit_and_return`, valid for four hours from now, back within three)
    /// issued by the student's class teacher; `extra` overrides fields (`null` removes one).
    pub async fn new_pass(&self, class: &Class, student: &Student, extra: Value) -> Value {
        let mut body = json!({
            "student_id": student.id,
            "kind": "exit_and_return",
            "reason": "看病(口腔医院复诊)",
            "valid_until": (Utc::now() + Duration::hours(4)).to_rfc3339(),
            "return_by": (Utc::now() + Duration::hours(3)).to_rfc3339(),
        });
        if let (Some(m), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                if v.is_null() {
                    m.remove(k);
                } else {
                    m.insert(k.clone(), v.clone());
                }
            }
        }
        let r = self
            .post("/api/v1/leave-passes", &class.teacher.token, body)
            .await;
        created(&r, "a leave pass");
        r.body
    }

    /// A visitor checked in by `guard` at the south gate; returns the visitor.
    pub async fn new_visitor(&self, guard: &Person) -> Value {
        let name = format!("访客{}", unique());
        let r = self
            .post(
                "/api/v1/visitors",
                &guard.token,
                json!({"name": name, "phone": "13812345678", "organisation": "苏州市吴中区教育局",
                       "reason": "送达文件", "host": "保卫处", "gate": "南门"}),
            )
            .await;
        created(&r, "a visitor");
        r.body["visitor"].clone()
    }

    /// A hazard reported by `reporter` (a token), concerning `class_id` if given.
    pub async fn new_hazard(&self, reporter: &str, class_id: Option<&str>) -> Value {
        let r = self
            .post(
                "/api/v1/hazards",
                reporter,
                json!({"category": "facility", "location": format!("实训楼{} 二楼走廊", unique()),
                       "description": "走廊应急灯不亮", "class_id": class_id}),
            )
            .await;
        created(&r, "a hazard");
        r.body
    }

    /// A draft duty roster over `start..=end` (local dates) with one shift per person given
    /// (`(date, start, end, post, user id)`); returns the roster's id.
    pub async fn new_roster(
        &self,
        start: &str,
        end: &str,
        shifts: &[(&str, &str, &str, &str, &str)],
    ) -> String {
        let office = self.token("office").await;
        let r = self
            .post(
                "/api/v1/duty/rosters",
                &office,
                json!({"title": format!("测试值班表{}", unique()), "start_date": start,
                       "end_date": end}),
            )
            .await;
        created(&r, "a roster");
        let id = id_of(&r.body);
        for (date, from, to, post, user) in shifts {
            let s = self
                .post(
                    &format!("/api/v1/duty/rosters/{id}/shifts"),
                    &office,
                    json!({"date": date, "start_time": from, "end_time": to, "post": post,
                           "user_id": user}),
                )
                .await;
            created(&s, "a shift");
        }
        id
    }
}
