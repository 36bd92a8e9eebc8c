//! An account as shown to the office, the principal and (for oneself) `/auth/me`: the sign-in
//! answers need it, so it lives below the features; `features::users` re-exports it.

use super::roles::Role;
use super::scope;
use crate::infra::error::AppResult;
use crate::schema::users as user;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub phone: Option<String>,
    pub is_active: bool,
    /// The user's own classes: those a class teacher heads, or a safety officer's class.
    pub class_ids: Vec<Uuid>,
    /// For a safety officer: the student the account belongs to.
    pub student_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn to_response(db: &impl ConnectionTrait, u: user::Model) -> AppResult<UserResponse> {
    let role = u.role;
    let class_ids = scope::own_class_ids(db, u.id, role).await?;
    let student_id = if role == Role::SafetyOfficer {
        scope::linked_student_id(db, u.id).await?
    } else {
        None
    };
    Ok(UserResponse {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        role,
        phone: u.phone,
        is_active: u.is_active,
        class_ids,
        student_id,
        created_at: u.created_at,
        updated_at: u.updated_at,
    })
}
