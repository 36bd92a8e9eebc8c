//! Class queries.

use super::model;
use crate::auth::roles::Role;
use crate::infra::error::{ApiError, AppResult, ErrorCode, FieldError};
use crate::schema::students::student;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

/// Every class, by name.
pub async fn all(db: &impl ConnectionTrait) -> AppResult<Vec<model::Model>> {
    Ok(model::Entity::find()
        .order_by_asc(model::Column::Name)
        .all(db)
        .await?)
}

/// Names of the class teachers of these classes (only accounts that are class teachers).
pub async fn teacher_names(
    db: &impl ConnectionTrait,
    classes: &[model::Model],
) -> AppResult<HashMap<Uuid, String>> {
    let users =
        crate::features::users::by_ids(db, classes.iter().filter_map(|c| c.class_teacher_id))
            .await?;
    Ok(users
        .into_values()
        .filter(|u| u.role == Role::ClassTeacher)
        .map(|u| (u.id, u.display_name))
        .collect())
}

pub async fn require_teacher(db: &impl ConnectionTrait, id: Uuid) -> AppResult<()> {
    let ok = crate::features::users::by_ids(db, [id])
        .await?
        .remove(&id)
        .is_some_and(|u| u.role == Role::ClassTeacher && u.is_active);
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(vec![FieldError {
            field: "class_teacher_id".into(),
            code: "not_a_class_teacher".into(),
            message: "所选用户不是在用的班主任账号".into(),
            line: None,
        }]))
    }
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<model::Model> {
    model::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::ClassNotFound, "班级不存在"))
}

/// Names of the given classes (missing ids are left out), for responses that show a class.
pub async fn names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(model::Entity::find()
        .filter(model::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// Number of students in a class (used by compliance figures elsewhere).
pub async fn student_count(db: &impl ConnectionTrait, class_id: Uuid) -> AppResult<u64> {
    Ok(student::Entity::find()
        .filter(student::Column::ClassId.eq(class_id))
        .filter(student::Column::IsActive.eq(true))
        .count(db)
        .await?)
}
