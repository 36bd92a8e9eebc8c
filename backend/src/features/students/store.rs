//! Student queries.

use super::model::student;
use crate::features::audit;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::classes as class;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use uuid::Uuid;

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<student::Model> {
    student::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::StudentNotFound, "学生不存在"))
}

/// What a list asks for, already narrowed to what the caller may see.
pub struct ListFilter<'a> {
    pub class_id: Option<Uuid>,
    /// `None`: every class.
    pub own: Option<&'a [Uuid]>,
    pub is_active: Option<bool>,
    /// Matches student number or name.
    pub text: Option<&'a str>,
    /// Student number to continue after.
    pub after: Option<&'a str>,
    pub limit: u64,
}

/// One page of students, by student number.
pub async fn list(db: &impl ConnectionTrait, f: &ListFilter<'_>) -> AppResult<Vec<student::Model>> {
    let mut select = student::Entity::find();
    match (f.class_id, f.own) {
        (Some(cid), _) => select = select.filter(student::Column::ClassId.eq(cid)),
        (None, Some(own)) => {
            select = select.filter(student::Column::ClassId.is_in(own.iter().copied()))
        }
        (None, None) => {}
    }
    if let Some(active) = f.is_active {
        select = select.filter(student::Column::IsActive.eq(active));
    }
    if let Some(text) = f.text {
        select = select.filter(
            sea_orm::Condition::any()
                .add(crate::infra::pagination::contains_text(
                    student::Column::StudentNo,
                    text,
                ))
                .add(crate::infra::pagination::contains_text(
                    student::Column::Name,
                    text,
                )),
        );
    }
    if let Some(after) = f.after {
        select = select.filter(student::Column::StudentNo.gt(after));
    }
    Ok(select
        .order_by_asc(student::Column::StudentNo)
        .limit(f.limit)
        .all(db)
        .await?)
}

/// Class ids by exact name, for reading a roster file. Classes are never deleted, so names
/// read before the import's write still hold after it.
pub async fn classes_by_name(db: &impl ConnectionTrait) -> AppResult<HashMap<String, Uuid>> {
    Ok(class::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.name, c.id))
        .collect())
}

/// The students with these numbers, by number. In chunks: one `IN (...)` with every student
/// number exceeds a database's bound on parameters (SQLite's is 32,766).
pub async fn by_student_no(
    db: &impl ConnectionTrait,
    numbers: impl Iterator<Item = String>,
) -> AppResult<HashMap<String, student::Model>> {
    let numbers: Vec<String> = numbers.collect();
    let mut existing = HashMap::new();
    for chunk in numbers.chunks(IMPORT_CHUNK) {
        let found = student::Entity::find()
            .filter(student::Column::StudentNo.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        existing.extend(found.into_iter().map(|s| (s.student_no.clone(), s)));
    }
    Ok(existing)
}

/// New students of an import and the audit entries: multi-row inserts, since a row per
/// statement held the write lock for seconds on a big file.
pub async fn insert_imported(
    db: &impl ConnectionTrait,
    new_students: Vec<student::ActiveModel>,
    audits: Vec<audit::model::ActiveModel>,
) -> AppResult<()> {
    let mut new_students = new_students.into_iter().peekable();
    while new_students.peek().is_some() {
        let chunk: Vec<_> = new_students.by_ref().take(INSERT_CHUNK).collect();
        student::Entity::insert_many(chunk).exec(db).await?;
    }
    let mut audits = audits.into_iter().peekable();
    while audits.peek().is_some() {
        let chunk: Vec<_> = audits.by_ref().take(INSERT_CHUNK).collect();
        audit::model::Entity::insert_many(chunk).exec(db).await?;
    }
    Ok(())
}

/// Student numbers per `IN (...)` lookup.
const IMPORT_CHUNK: usize = 500;
/// Rows per multi-row insert: at most 9 columns × 100 rows = 900 parameters, under every
/// database's bound.
const INSERT_CHUNK: usize = 100;
