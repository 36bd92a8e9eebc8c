//! `PUT /people`: a roster system (an integration key with `people:write`) upserts classes by
//! name and students by 学号, in batches, idempotently; the answer says what changed per 学号
//! and never echoes names or guardian contact. Rows are checked by the CSV import's own rules
//! ([`super::csv::check_row`]).

use super::csv::{RawRow, check_row};
use super::model::student;
use super::store;
use super::view::audit_view;
use crate::auth::extract::AuthOrKey;
use crate::auth::roles::{KeysOnly, PeopleWrite};
use crate::features::audit;
use crate::infra::error::{ApiError, AppResult, FieldError, Validator};
use crate::infra::state::State;
use crate::schema::classes as class;
use actix_web::{put, web};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

/// At most this many students per batch (a bigger roster goes in several batches).
pub const MAX_STUDENTS: usize = 1000;
/// At most this many classes per batch.
pub const MAX_CLASSES: usize = 200;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeopleClass {
    /// The class's exact name, its key: e.g. `2019级旅游服务与管理1班`.
    pub name: String,
    /// e.g. `2019级`.
    pub grade: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeopleStudent {
    /// 学号, the key: a student with this number is updated, else created.
    pub student_no: String,
    pub name: String,
    /// The class's exact name: one in the system or in this batch's `classes`.
    pub class: String,
    /// Absent: kept as it is; empty: cleared. Stored, never echoed back.
    pub guardian_name: Option<String>,
    /// Absent: kept as it is; empty: cleared. Stored, never echoed back.
    pub guardian_phone: Option<String>,
    /// `false`: the student has left (deactivated: no more leave passes); `true` (the
    /// default) brings a student who left back.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeopleUpsertRequest {
    /// Classes to create or update (by name), at most 200.
    #[serde(default)]
    pub classes: Vec<PeopleClass>,
    /// Students to create or update (by 学号), at most 1,000.
    #[serde(default)]
    pub students: Vec<PeopleStudent>,
}

/// What a batch did to one class or student.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpsertOutcome {
    Created,
    Updated,
    Unchanged,
    /// Marked as left (`active: false`) by this batch.
    Deactivated,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassOutcome {
    pub name: String,
    pub outcome: UpsertOutcome,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StudentOutcome {
    pub student_no: String,
    pub outcome: UpsertOutcome,
    /// The fields that changed (`name`, `class`, `guardian_name`, `guardian_phone`,
    /// `active`): their names, never their values.
    pub changed: Vec<String>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct UpsertCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deactivated: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PeopleUpsertResponse {
    /// One per class of the batch, in its order.
    pub classes: Vec<ClassOutcome>,
    /// One per student of the batch, in its order.
    pub students: Vec<StudentOutcome>,
    /// Students by outcome.
    pub counts: UpsertCounts,
}

fn field_error(field: String, code: &str, message: &str) -> FieldError {
    FieldError {
        field,
        code: code.into(),
        message: message.into(),
        line: None,
    }
}

/// A student's fields after the batch row (absent guardian fields keep what is stored).
struct Merged {
    student_no: String,
    name: String,
    class_id: Uuid,
    guardian_name: Option<String>,
    guardian_phone: Option<String>,
    active: bool,
}

fn merged(
    before: Option<&student::Model>,
    row: super::csv::ImportRow,
    sent: &PeopleStudent,
) -> Merged {
    let keep = |sent: &Option<String>, new: Option<String>, old: Option<&Option<String>>| {
        if sent.is_some() {
            new
        } else {
            old.cloned().flatten()
        }
    };
    Merged {
        guardian_name: keep(
            &sent.guardian_name,
            row.guardian_name,
            before.map(|b| &b.guardian_name),
        ),
        guardian_phone: keep(
            &sent.guardian_phone,
            row.guardian_phone,
            before.map(|b| &b.guardian_phone),
        ),
        student_no: row.student_no,
        name: row.name,
        class_id: row.class_id,
        active: sent.active.unwrap_or(true),
    }
}

/// Upsert classes (by name) and students (by 学号) from a roster system. Key only
/// (`people:write`); the office uses the CSV import. All or nothing: any bad row refuses the
/// batch with `422 validation_failed`, each error naming the row and field
/// (`students[3].guardian_phone`), never the value. Idempotent: the same batch again answers
/// `unchanged` for every row and writes nothing. Students absent from a batch are left alone;
/// one sent with `active: false` is `deactivated`. The answer echoes 学号 and outcomes only —
/// never names or guardian contact.
#[utoipa::path(
    tag = "students",
    request_body = PeopleUpsertRequest,
    responses(
        (status = 200, body = PeopleUpsertResponse),
        (status = 422, description = "`validation_failed`: `errors[].field` names the row and field", body = crate::infra::error::Problem),
    ),
    security(("api_key" = ["people:write"]))
)]
#[put("/people")]
pub async fn upsert_people(
    auth: AuthOrKey<KeysOnly, PeopleWrite>,
    state: State,
    body: web::Json<PeopleUpsertRequest>,
) -> AppResult<web::Json<PeopleUpsertResponse>> {
    let body = body.into_inner();
    let actor = auth.caller.actor();
    let mut v = Validator::new();
    if body.classes.len() > MAX_CLASSES {
        v.add("classes", "too_many", "每批最多 200 个班级");
    }
    if body.students.len() > MAX_STUDENTS {
        v.add("students", "too_many", "每批最多 1000 名学生");
    }
    v.finish()?;
    let mut errors = Vec::new();
    let mut names = HashSet::new();
    for (i, c) in body.classes.iter().enumerate() {
        let mut cv = Validator::new();
        cv.text(&format!("classes[{i}].name"), &c.name, 1, 100);
        cv.text(&format!("classes[{i}].grade"), &c.grade, 1, 50);
        if let Err(e) = cv.finish() {
            errors.extend(e.errors);
        } else if !names.insert(c.name.trim().to_owned()) {
            let f = format!("classes[{i}].name");
            errors.push(field_error(f, "duplicate", "班级在本批中重复"));
        }
    }
    let tx = state.db.begin_write().await?;
    let existing_classes: HashMap<String, class::Model> = class::Entity::find()
        .all(&*tx)
        .await?
        .into_iter()
        .map(|c| (c.name.clone(), c))
        .collect();
    // New classes get their ids now, so that this batch's students can name them.
    let mut by_name: HashMap<String, Uuid> = existing_classes
        .iter()
        .map(|(n, c)| (n.clone(), c.id))
        .collect();
    for c in &body.classes {
        by_name
            .entry(c.name.trim().to_owned())
            .or_insert_with(Uuid::now_v7);
    }
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(body.students.len());
    for (i, s) in body.students.iter().enumerate() {
        let raw = RawRow {
            student_no: &s.student_no,
            name: &s.name,
            class: &s.class,
            guardian_name: s.guardian_name.as_deref().unwrap_or(""),
            guardian_phone: s.guardian_phone.as_deref().unwrap_or(""),
        };
        match check_row(&raw, &by_name, &mut seen) {
            Ok(row) => rows.push((row, s)),
            Err(problems) => errors.extend(problems.into_iter().map(|p| {
                let f = format!("students[{i}].{}", p.field);
                field_error(f, p.code, p.message)
            })),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = crate::infra::clock::now();
    let mut audits = Vec::new();
    let mut class_outcomes = Vec::with_capacity(body.classes.len());
    for c in &body.classes {
        let (name, grade) = (c.name.trim().to_owned(), c.grade.trim().to_owned());
        let outcome = match existing_classes.get(&name) {
            Some(before) if before.grade == grade => UpsertOutcome::Unchanged,
            Some(before) => {
                let mut a: class::ActiveModel = before.clone().into();
                a.grade = Set(grade.clone());
                a.updated_at = Set(now);
                a.update(&*tx).await?;
                let changes = json!({"before": {"grade": before.grade}, "after": {"grade": grade}, "via": "people_upsert"});
                let id = Some(before.id.to_string());
                audits.push(audit::entry(actor, "class.update", "class", id, changes));
                UpsertOutcome::Updated
            }
            None => {
                let id = by_name.get(&name).copied().ok_or_else(ApiError::internal)?;
                class::ActiveModel {
                    id: Set(id),
                    name: Set(name.clone()),
                    grade: Set(grade.clone()),
                    class_teacher_id: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(&*tx)
                .await?;
                let changes =
                    json!({"after": {"name": name, "grade": grade}, "via": "people_upsert"});
                let id = Some(id.to_string());
                audits.push(audit::entry(actor, "class.create", "class", id, changes));
                UpsertOutcome::Created
            }
        };
        class_outcomes.push(ClassOutcome { name, outcome });
    }
    let before = store::by_student_no(&*tx, rows.iter().map(|(r, _)| r.student_no.clone())).await?;
    let mut counts = UpsertCounts::default();
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut new_students = Vec::new();
    for (row, sent) in rows {
        let old = before.get(&row.student_no);
        let Merged {
            student_no,
            name,
            class_id,
            guardian_name,
            guardian_phone,
            active,
        } = merged(old, row, sent);
        let (outcome, changed) = match old {
            None => {
                let s = student::Model {
                    id: Uuid::now_v7(),
                    student_no: student_no.clone(),
                    name,
                    class_id,
                    guardian_name,
                    guardian_phone,
                    is_active: active,
                    created_at: now,
                    updated_at: now,
                };
                let changes = json!({"after": audit_view(&s), "via": "people_upsert"});
                let id = Some(s.id.to_string());
                audits.push(audit::entry(
                    actor,
                    "student.create",
                    "student",
                    id,
                    changes,
                ));
                new_students.push(student::ActiveModel::from(s));
                (UpsertOutcome::Created, Vec::new())
            }
            Some(b) => {
                let changed: Vec<String> = [
                    ("name", b.name != name),
                    ("class", b.class_id != class_id),
                    ("guardian_name", b.guardian_name != guardian_name),
                    ("guardian_phone", b.guardian_phone != guardian_phone),
                    ("active", b.is_active != active),
                ]
                .into_iter()
                .filter(|(_, differs)| *differs)
                .map(|(f, _)| f.to_owned())
                .collect();
                if changed.is_empty() {
                    (UpsertOutcome::Unchanged, changed)
                } else {
                    let mut a: student::ActiveModel = b.clone().into();
                    a.name = Set(name);
                    a.class_id = Set(class_id);
                    a.guardian_name = Set(guardian_name);
                    a.guardian_phone = Set(guardian_phone);
                    a.is_active = Set(active);
                    a.updated_at = Set(now);
                    let after = a.update(&*tx).await?;
                    let changes = json!({"before": audit_view(b), "after": audit_view(&after), "via": "people_upsert"});
                    let id = Some(after.id.to_string());
                    audits.push(audit::entry(
                        actor,
                        "student.update",
                        "student",
                        id,
                        changes,
                    ));
                    let left = b.is_active && !active;
                    let outcome = if left {
                        UpsertOutcome::Deactivated
                    } else {
                        UpsertOutcome::Updated
                    };
                    (outcome, changed)
                }
            }
        };
        match outcome {
            UpsertOutcome::Created => counts.created += 1,
            UpsertOutcome::Updated => counts.updated += 1,
            UpsertOutcome::Unchanged => counts.unchanged += 1,
            UpsertOutcome::Deactivated => counts.deactivated += 1,
        }
        outcomes.push(StudentOutcome {
            student_no,
            outcome,
            changed,
        });
    }
    let classes_changed = class_outcomes
        .iter()
        .filter(|c| c.outcome != UpsertOutcome::Unchanged)
        .count();
    // An unchanged batch writes nothing at all, not even its summary.
    if !audits.is_empty() {
        audits.push(audit::entry(
            actor,
            "people.upsert",
            "student",
            None,
            json!({"classes_changed": classes_changed, "created": counts.created, "updated": counts.updated, "deactivated": counts.deactivated, "unchanged": counts.unchanged}),
        ));
    }
    store::insert_imported(&*tx, new_students, audits).await?;
    tx.commit().await?;
    Ok(web::Json(PeopleUpsertResponse {
        classes: class_outcomes,
        students: outcomes,
        counts,
    }))
}
