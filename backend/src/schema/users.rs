use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The five roles (stored as these snake_case strings in `users.role` and
/// `inspection_templates.submitter_role`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 校长室: reads everything, approves the plan.
    #[sea_orm(string_value = "principal")]
    Principal,
    /// 保卫处: runs the system.
    #[sea_orm(string_value = "security_office")]
    SecurityOffice,
    /// 班主任: own class only.
    #[sea_orm(string_value = "class_teacher")]
    ClassTeacher,
    /// 保安/门卫.
    #[sea_orm(string_value = "guard")]
    Guard,
    /// 学生安全员 (a student).
    #[sea_orm(string_value = "safety_officer")]
    SafetyOfficer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Principal,
        Role::SecurityOffice,
        Role::ClassTeacher,
        Role::Guard,
        Role::SafetyOfficer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Principal => "principal",
            Role::SecurityOffice => "security_office",
            Role::ClassTeacher => "class_teacher",
            Role::Guard => "guard",
            Role::SafetyOfficer => "safety_officer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub phone: Option<String>,
    pub password_hash: String,
    pub is_active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
