//! The demo school: 苏州市太湖旅游中等专业学校 from the seed plan, its classes and students
//! (generated Chinese names), and one account per role. Loaded only into an empty database.

mod duties;
mod equipment;
mod fire;
mod gate;
mod headcount;
mod inspections;
mod patrol;
mod plans;
mod platform;
mod public;
mod seed_plan;
mod semesters;
mod traffic;
mod vehicles;
mod visitors;

use crate::auth::roles::Role;
use crate::features::audit::{self, Actor};
use crate::infra::db::Db;
use crate::infra::error::BoxError;
use crate::schema::classes as class;
use crate::schema::school;
use crate::schema::students::{safety_officer, student};
use crate::schema::users as user;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, Set};
use serde_json::json;
use uuid::Uuid;

pub const SCHOOL_NAME: &str = "苏州市太湖旅游中等专业学校";
pub const DEFAULT_PASSWORD: &str = "xiaoan-demo";
pub const STUDENTS_PER_CLASS: usize = 40;

/// (username, display name, role, phone, what it is for).
pub const ACCOUNTS: &[(&str, &str, Role, &str, &str)] = &[
    (
        "principal",
        "陈志明",
        Role::Principal,
        "13906130001",
        "校长室",
    ),
    (
        "office",
        "张卫东",
        Role::SecurityOffice,
        "13906130002",
        "保卫处",
    ),
    (
        "teacher1",
        "李雪梅",
        Role::ClassTeacher,
        "13906130011",
        "班主任,2019级旅游服务与管理1班",
    ),
    (
        "teacher2",
        "王海峰",
        Role::ClassTeacher,
        "13906130012",
        "班主任,2019级旅游服务与管理2班",
    ),
    (
        "teacher3",
        "刘芳",
        Role::ClassTeacher,
        "13906130013",
        "班主任,2019级酒店服务与管理班",
    ),
    (
        "teacher4",
        "周明",
        Role::ClassTeacher,
        "13906130014",
        "班主任,2018级烹饪工艺与营养班",
    ),
    (
        "teacher5",
        "吴静",
        Role::ClassTeacher,
        "13906130015",
        "班主任,2018级会计事务班",
    ),
    ("guard1", "赵保国", Role::Guard, "13906130021", "门卫"),
    (
        "officer1",
        "",
        Role::SafetyOfficer,
        "",
        "学生安全员,2019级旅游服务与管理1班",
    ),
];

/// (class name, grade, class teacher's username).
pub const CLASSES: &[(&str, &str, &str)] = &[
    ("2019级旅游服务与管理1班", "2019级", "teacher1"),
    ("2019级旅游服务与管理2班", "2019级", "teacher2"),
    ("2019级酒店服务与管理班", "2019级", "teacher3"),
    ("2018级烹饪工艺与营养班", "2018级", "teacher4"),
    ("2018级会计事务班", "2018级", "teacher5"),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "沈", "顾", "陆", "钱", "蒋", "姚", "范", "金",
];
const GIVEN: &[&str] = &[
    "子涵", "欣怡", "梓轩", "浩然", "雨桐", "宇轩", "思涵", "俊杰", "可馨", "博文", "佳怡", "子墨",
    "诗琪", "明轩", "语嫣", "天佑", "心怡", "嘉豪", "若曦", "志强", "晓雯", "一鸣", "静怡", "文博",
    "雅婷", "家乐", "梦瑶", "子豪", "婉清", "睿", "婷", "磊", "洋", "倩", "杰", "琳", "晨", "悦",
];
const GUARDIAN_GIVEN: &[&str] = &[
    "建国", "国庆", "海燕", "丽华", "伟", "敏", "军", "秀英", "志刚", "红梅", "建华", "玉兰",
];

/// A small deterministic generator, so the demo school is the same on every machine.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.next() % list.len()]
    }
}

pub fn demo_password() -> String {
    std::env::var("XIAOAN_DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_PASSWORD.to_owned())
}

/// Loads the demo school when the database holds no users; returns whether it did. Dates
/// (today's semester and plan) are the school's, in its configured time zone `tz`.
pub async fn seed_if_empty(db: &Db, tz: chrono_tz::Tz) -> Result<bool, BoxError> {
    if user::Entity::find().count(&db.conn).await? > 0 {
        tracing::info!("database already has data; demo data not loaded");
        return Ok(false);
    }
    let password = demo_password();
    // One hash for every demo account: they share the password anyway, and this keeps the
    // loader (run for every test database) fast.
    let hash = tokio::task::spawn_blocking(move || crate::auth::password::hash_blocking(&password))
        .await?
        .map_err(|e| e.to_string())?;
    let tx = db.begin_write().await?;
    seed(&*tx, &hash).await?;
    // Each feature's demo records, one call per feature, after the people they refer to.
    gate::seed(&*tx, &db.master_key, tz).await?;
    inspections::seed(&*tx, tz).await?;
    plans::seed_demo(&*tx, tz).await?;
    patrol::seed(&*tx, tz).await?;
    platform::seed_demo(&*tx, tz).await?;
    fire::seed(&*tx, tz).await?;
    headcount::seed(&*tx, tz).await?;
    let cast = Cast::load(&*tx).await?;
    public::seed(&*tx, &cast, tz).await?;
    equipment::seed(&*tx, &cast).await?;
    vehicles::seed(&*tx, &cast, tz).await?;
    // The seed's 2019–2020 semester and the one containing today, with a plan for it.
    let current = semesters::seed_demo(&*tx, tz).await?;
    plans::seed_current(&*tx, &current, crate::infra::clock::today(tz)).await?;
    duties::seed(&*tx, tz, &current).await?;
    traffic::seed_traffic(&*tx, &cast, tz, &current).await?;
    tx.commit().await?;
    tracing::info!("demo data loaded");
    Ok(true)
}

async fn seed(db: &impl ConnectionTrait, hash: &str) -> Result<(), BoxError> {
    let now = crate::infra::clock::now();
    school::ActiveModel {
        id: Set(1),
        name: Set(SCHOOL_NAME.into()),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;

    let mut ids = std::collections::HashMap::new();
    for (username, name, role, phone, _) in ACCOUNTS {
        if *role == Role::SafetyOfficer {
            continue;
        }
        let id = Uuid::now_v7();
        user::ActiveModel {
            id: Set(id),
            username: Set((*username).into()),
            display_name: Set((*name).into()),
            role: Set(*role),
            phone: Set(Some((*phone).into())),
            password_hash: Set(hash.into()),
            is_active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        ids.insert(*username, id);
    }

    let mut rng = Lcg(20200326);
    let mut first_student = None;
    let mut students = Vec::new();
    for (ci, (name, grade, teacher)) in CLASSES.iter().enumerate() {
        let class_id = Uuid::now_v7();
        class::ActiveModel {
            id: Set(class_id),
            name: Set((*name).into()),
            grade: Set((*grade).into()),
            class_teacher_id: Set(ids.get(teacher).copied()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        let year = &grade[..4];
        for n in 1..=STUDENTS_PER_CLASS {
            let surname = rng.pick(SURNAMES);
            let student_name = format!("{surname}{}", rng.pick(GIVEN));
            let guardian = format!("{surname}{}", rng.pick(GUARDIAN_GIVEN));
            let phone = format!("139{:08}", rng.next() % 100_000_000);
            let id = Uuid::now_v7();
            if ci == 0 && n == 1 {
                first_student = Some((id, student_name.clone()));
            }
            students.push(student::ActiveModel {
                id: Set(id),
                student_no: Set(format!("{year}{:02}{:02}", ci + 1, n)),
                name: Set(student_name),
                class_id: Set(class_id),
                guardian_name: Set(Some(guardian)),
                guardian_phone: Set(Some(phone)),
                is_active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
            });
        }
    }
    for chunk in students.chunks(100) {
        student::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }

    // The safety officer is a student of class 1: the account carries the student's name.
    if let Some((student_id, student_name)) = first_student {
        let id = Uuid::now_v7();
        user::ActiveModel {
            id: Set(id),
            username: Set("officer1".into()),
            display_name: Set(student_name),
            role: Set(Role::SafetyOfficer),
            phone: Set(None),
            password_hash: Set(hash.into()),
            is_active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        safety_officer::ActiveModel {
            user_id: Set(id),
            student_id: Set(student_id),
        }
        .insert(db)
        .await?;
    }
    audit::record(
        db,
        Actor::system(),
        "demo.seed",
        "school",
        Some("1".into()),
        json!({"classes": CLASSES.len(), "students": students.len()}),
    )
    .await?;
    Ok(())
}

/// The demo people and classes as stored, by username and by class name: what every demo
/// file refers to, instead of looking people up on its own.
pub struct Cast {
    pub users: std::collections::HashMap<String, user::Model>,
    pub classes: std::collections::HashMap<String, class::Model>,
}

impl Cast {
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, BoxError> {
        Ok(Self {
            users: user::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|u| (u.username.clone(), u))
                .collect(),
            classes: class::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.name.clone(), c))
                .collect(),
        })
    }

    /// A demo account by username; an error names the missing one (a demo seed bug).
    pub fn user(&self, username: &str) -> Result<&user::Model, BoxError> {
        self.users
            .get(username)
            .ok_or_else(|| format!("demo account {username} missing").into())
    }

    /// A demo class by name.
    pub fn class(&self, name: &str) -> Result<&class::Model, BoxError> {
        self.classes
            .get(name)
            .ok_or_else(|| format!("demo class {name} missing").into())
    }
}

/// What `make run` prints: the accounts and the password.
pub fn accounts_banner() -> String {
    let mut out = format!(
        "\n  {SCHOOL_NAME} · 演示账号(密码:{})\n",
        if std::env::var("XIAOAN_DEMO_PASSWORD").is_ok_and(|p| !p.is_empty()) {
            "XIAOAN_DEMO_PASSWORD 所设"
        } else {
            DEFAULT_PASSWORD
        }
    );
    for (username, _, role, _, what) in ACCOUNTS {
        out.push_str(&format!(
            "    {username:<10} {:<16} {what}\n",
            role.as_str()
        ));
    }
    // Made with the duty rosters (demo::plans), so that two guards can rotate day and night.
    out.push_str("    guard2     guard            门卫(与 guard1 轮换日夜班)\n");
    out
}
