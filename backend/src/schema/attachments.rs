use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The kind of record a photo is linked to.
#[derive(
    Debug,
    Clone,
    Copy,
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
pub enum LinkKind {
    /// The first version of an inspection submission.
    #[sea_orm(string_value = "submission")]
    Submission,
    #[sea_orm(string_value = "hazard")]
    Hazard,
    /// A fire-equipment check.
    #[sea_orm(string_value = "fire_check")]
    FireCheck,
    /// An article of the public page.
    #[sea_orm(string_value = "article")]
    Article,
    /// A PDF of a safety rule's version.
    #[sea_orm(string_value = "rule_version")]
    RuleVersion,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTimeUtc,
    pub content_type: String,
    pub size_bytes: i64,
    pub width: i32,
    pub height: i32,
    pub sha256: String,
    /// File name under the attachments directory (never a user-supplied name).
    pub file_name: String,
    pub thumb_name: String,
    /// `None` while the upload is not yet referenced by any record.
    pub linked_kind: Option<LinkKind>,
    pub linked_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
