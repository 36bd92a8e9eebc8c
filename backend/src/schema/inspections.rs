//! Inspection templates and submissions, with their closed sets as enums (stored strings
//! unchanged) and the JSON shapes stored in their text columns.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How often a template is answered; periods are keyed accordingly (see `inspections::period`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    #[sea_orm(string_value = "daily")]
    Daily,
    #[sea_orm(string_value = "weekly")]
    Weekly,
    #[sea_orm(string_value = "monthly")]
    Monthly,
}

/// What a template is about; decides which hazard category its failed items raise.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum TemplateCategory {
    #[sea_orm(string_value = "traffic")]
    Traffic,
    #[sea_orm(string_value = "fire")]
    Fire,
    #[sea_orm(string_value = "self_inspection")]
    SelfInspection,
    #[sea_orm(string_value = "patrol")]
    Patrol,
    #[sea_orm(string_value = "custom")]
    Custom,
}

/// What a check is about: a class (answered per class) or a location.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    #[sea_orm(string_value = "class")]
    Class,
    #[sea_orm(string_value = "location")]
    Location,
}

/// The responsible person's own check, or someone else's spot-check of it.
///
/// `DeriveActiveEnum` cannot take the stored value `self` (it names a generated identifier
/// after each value), so this one is a value type over its own two-way mapping.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveValueType, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(
    value_type = "String",
    from_str = "SubmissionKind::from_stored",
    to_str = "SubmissionKind::stored"
)]
pub enum SubmissionKind {
    #[serde(rename = "self")]
    OwnCheck,
    #[serde(rename = "spot_check")]
    SpotCheck,
}

impl SubmissionKind {
    /// The stored (and wire) value.
    pub fn stored(&self) -> &'static str {
        match self {
            Self::OwnCheck => "self",
            Self::SpotCheck => "spot_check",
        }
    }

    pub fn from_stored(s: &str) -> Result<Self, DbErr> {
        <Self as sea_orm::Iterable>::iter()
            .find(|k| k.stored() == s)
            .ok_or_else(|| DbErr::Type(format!("unknown submission kind {s:?}")))
    }
}

/// One checklist item of a template version, as stored in `inspection_templates.items`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemplateItem {
    /// Stable across versions (answers and spot-check comparisons use it).
    pub key: String,
    /// 中文.
    pub text: String,
    pub text_en: Option<String>,
    /// 1–10.
    pub weight: u32,
    pub photo_required_on_fail: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemResult {
    Pass,
    Fail,
    /// Not applicable: left out of the score.
    Na,
}

/// An answer as stored (in `inspection_submissions.answers`) and returned.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnswerRecord {
    pub item_key: String,
    pub result: ItemResult,
    pub note: Option<String>,
    pub attachment_ids: Vec<Uuid>,
}

pub mod template {
    use super::{Frequency, TargetKind, TemplateCategory};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inspection_templates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Stable across versions, e.g. `traffic_weekly`.
        pub code: String,
        pub version: i32,
        pub is_current: bool,
        pub is_active: bool,
        pub is_builtin: bool,
        pub name: String,
        pub name_en: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub description: Option<String>,
        pub category: TemplateCategory,
        pub target_kind: TargetKind,
        pub submitter_role: crate::schema::users::Role,
        pub frequency: Frequency,
        /// JSON array of items (see `TemplateItem`).
        #[sea_orm(column_type = "Text")]
        pub items: String,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod submission {
    use super::{SubmissionKind, TargetKind};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "inspection_submissions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The exact template version answered.
        pub template_id: Uuid,
        pub template_code: String,
        pub kind: SubmissionKind,
        pub target_kind: TargetKind,
        pub class_id: Option<Uuid>,
        pub location: Option<String>,
        pub target_key: String,
        pub period: String,
        pub slot: String,
        pub version: i32,
        /// The first version of this submission (amendments share it).
        pub root_id: Uuid,
        pub is_current: bool,
        pub superseded_by_id: Option<Uuid>,
        pub submitted_by: Uuid,
        pub submitted_at: DateTimeUtc,
        pub is_late: bool,
        #[sea_orm(column_type = "Double")]
        pub score: f64,
        pub passed_count: i32,
        pub failed_count: i32,
        pub na_count: i32,
        pub discrepancy_count: i32,
        /// JSON array of item keys.
        #[sea_orm(column_type = "Text")]
        pub discrepancies: String,
        /// JSON array of answers (see `AnswerRecord`).
        #[sea_orm(column_type = "Text")]
        pub answers: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
