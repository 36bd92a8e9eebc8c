//! Account queries.

use super::{accounts, model};
use crate::auth::roles::Role;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::students::student;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;
use uuid::Uuid;

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<model::Model> {
    model::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::UserNotFound, "用户不存在"))
}

pub async fn require_student(db: &impl ConnectionTrait, id: Uuid) -> AppResult<student::Model> {
    student::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| {
            ApiError::validation(vec![crate::infra::error::FieldError {
                field: "student_id".into(),
                code: "not_found".into(),
                message: "学生不存在".into(),
                line: None,
            }])
        })
}

/// How many active accounts hold `role`. The rows are locked (PostgreSQL; SQLite writes are
/// serialised anyway) so that two concurrent changes cannot both take away "the last but one".
async fn active_count_locked(db: &impl ConnectionTrait, role: Role) -> AppResult<usize> {
    Ok(model::Entity::find()
        .filter(model::Column::Role.eq(role.as_str()))
        .filter(model::Column::IsActive.eq(true))
        .lock_exclusive()
        .all(db)
        .await?
        .len())
}

/// Nobody may disable or re-role the last active account of a role the school cannot run
/// without (the office runs the system, the principal approves the plan).
pub async fn require_not_last(
    db: &impl ConnectionTrait,
    before: &model::Model,
    old_role: Role,
    new_role: Role,
    new_active: bool,
) -> AppResult<()> {
    match accounts::guarded_role_lost(before.is_active, old_role, new_role, new_active) {
        Some(role) if active_count_locked(db, role).await? <= 1 => {
            Err(accounts::last_account(role))
        }
        _ => Ok(()),
    }
}

/// The accounts with these ids (missing ids are left out): one query for a page's worth of
/// people, instead of the whole table.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, model::Model>> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::with_capacity(ids.len());
    // In chunks: one `IN (...)` must stay under every database's bound on parameters.
    for chunk in ids.chunks(500) {
        let rows = model::Entity::find()
            .filter(model::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|u| (u.id, u)));
    }
    Ok(out)
}

/// Display names of these accounts (missing ids are left out).
pub async fn names_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    Ok(by_ids(db, ids)
        .await?
        .into_iter()
        .map(|(id, u)| (id, u.display_name))
        .collect())
}
