//! Hazards and their history; the closed sets (status, category, source, history action) as
//! enums stored as their strings.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a hazard is in its workflow: `reported` → `assigned` → `rectified` → `closed` (or
/// sent back to `assigned`).
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
pub enum HazardStatus {
    #[sea_orm(string_value = "reported")]
    Reported,
    #[sea_orm(string_value = "assigned")]
    Assigned,
    #[sea_orm(string_value = "rectified")]
    Rectified,
    #[sea_orm(string_value = "closed")]
    Closed,
}

impl HazardStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::Assigned => "assigned",
            Self::Rectified => "rectified",
            Self::Closed => "closed",
        }
    }
}

/// What kind of hazard it is.
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
pub enum HazardCategory {
    #[sea_orm(string_value = "traffic")]
    Traffic,
    #[sea_orm(string_value = "fire")]
    Fire,
    #[sea_orm(string_value = "security")]
    Security,
    #[sea_orm(string_value = "facility")]
    Facility,
    #[sea_orm(string_value = "electrical")]
    Electrical,
    #[sea_orm(string_value = "food")]
    Food,
    #[sea_orm(string_value = "other")]
    Other,
}

impl HazardCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Traffic => "traffic",
            Self::Fire => "fire",
            Self::Security => "security",
            Self::Facility => "facility",
            Self::Electrical => "electrical",
            Self::Food => "food",
            Self::Other => "other",
        }
    }

    /// The category for a stored or requested string; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        <Self as sea_orm::Iterable>::iter().find(|c| c.as_str() == s)
    }
}

/// What raised a hazard.
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
pub enum HazardSource {
    /// Someone reported it (also on a patrol).
    #[sea_orm(string_value = "report")]
    Report,
    /// A failed inspection checklist item.
    #[sea_orm(string_value = "inspection")]
    Inspection,
    /// A failed or expired fire-equipment item.
    #[sea_orm(string_value = "fire_equipment")]
    FireEquipment,
}

/// One step of a hazard's history.
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
pub enum HazardAction {
    #[sea_orm(string_value = "report")]
    Report,
    #[sea_orm(string_value = "assign")]
    Assign,
    #[sea_orm(string_value = "reassign")]
    Reassign,
    #[sea_orm(string_value = "rectify")]
    Rectify,
    #[sea_orm(string_value = "close")]
    Close,
    #[sea_orm(string_value = "send_back")]
    SendBack,
    /// The office confirmed a pending class attribution.
    #[sea_orm(string_value = "class_confirm")]
    ClassConfirm,
    /// The office removed a pending class attribution.
    #[sea_orm(string_value = "class_reject")]
    ClassReject,
}

impl HazardAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Report => "report",
            Self::Assign => "assign",
            Self::Reassign => "reassign",
            Self::Rectify => "rectify",
            Self::Close => "close",
            Self::SendBack => "send_back",
            Self::ClassConfirm => "class_confirm",
            Self::ClassReject => "class_reject",
        }
    }
}

pub mod hazard {
    use super::{HazardCategory, HazardSource, HazardStatus};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hazards")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub category: HazardCategory,
        pub location: String,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub class_id: Option<Uuid>,
        pub source: HazardSource,
        pub submission_id: Option<Uuid>,
        pub item_key: Option<String>,
        /// JSON array of attachment ids.
        #[sea_orm(column_type = "Text")]
        pub photo_ids: String,
        pub status: HazardStatus,
        pub reported_by: Uuid,
        pub reported_at: DateTimeUtc,
        pub owner_id: Option<Uuid>,
        /// Local date `YYYY-MM-DD`.
        pub deadline: Option<String>,
        pub assigned_by: Option<Uuid>,
        pub assigned_at: Option<DateTimeUtc>,
        pub rectified_by: Option<Uuid>,
        pub rectified_at: Option<DateTimeUtc>,
        #[sea_orm(column_type = "Text", nullable)]
        pub rectification: Option<String>,
        #[sea_orm(column_type = "Text")]
        pub rectification_photo_ids: String,
        pub verified_by: Option<Uuid>,
        pub closed_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
        /// `class_id` was proposed by someone other than the class's teacher or the office:
        /// not counted for the class until the office confirms it.
        pub class_pending: bool,
        /// Reported by an integration key (a sensor, another system): that key. `reported_by`
        /// is then the office account that created the key.
        pub reported_by_api_key_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod event {
    use super::{HazardAction, HazardStatus};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hazard_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hazard_id: Uuid,
        pub at: DateTimeUtc,
        pub actor_id: Uuid,
        pub action: HazardAction,
        pub from_status: Option<HazardStatus>,
        pub to_status: HazardStatus,
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
        #[sea_orm(column_type = "Text")]
        pub details: String,
        /// The step was taken by an integration key (`actor_id` is then its creator).
        pub actor_api_key_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
