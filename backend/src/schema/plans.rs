//! Semester plans, their monthly items and the evidence linked to them, with their closed sets
//! as enums (stored values and wire names are the same strings).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `draft` → `submitted` → `approved`, or back to the office as `returned`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "submitted")]
    Submitted,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "returned")]
    Returned,
}

/// What kind of work a plan item is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ItemCategory {
    #[sea_orm(string_value = "meeting")]
    Meeting,
    #[sea_orm(string_value = "duty")]
    Duty,
    #[sea_orm(string_value = "education")]
    Education,
    #[sea_orm(string_value = "inspection")]
    Inspection,
    #[sea_orm(string_value = "report")]
    Report,
    #[sea_orm(string_value = "drill")]
    Drill,
    #[sea_orm(string_value = "platform")]
    Platform,
    #[sea_orm(string_value = "other")]
    Other,
}

/// An item's progress.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    #[sea_orm(string_value = "todo")]
    Todo,
    #[sea_orm(string_value = "doing")]
    Doing,
    #[sea_orm(string_value = "done")]
    Done,
}

/// Records an item's evidence may point at (`inspection` is a check submission).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum EvidenceType {
    #[sea_orm(string_value = "duty_roster")]
    DutyRoster,
    #[sea_orm(string_value = "activity")]
    Activity,
    #[sea_orm(string_value = "meeting")]
    Meeting,
    #[sea_orm(string_value = "incident")]
    Incident,
    #[sea_orm(string_value = "announcement")]
    Announcement,
    #[sea_orm(string_value = "health_report")]
    HealthReport,
    #[sea_orm(string_value = "inspection")]
    Inspection,
    #[sea_orm(string_value = "hazard")]
    Hazard,
}

pub mod plan {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plans")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub title: String,
        pub semester: String,
        /// The defined semester whose `code` is `semester` (none while undefined).
        pub semester_id: Option<Uuid>,
        pub starts_on: String,
        pub ends_on: String,
        #[sea_orm(column_type = "Text")]
        pub guiding_ideology: String,
        #[sea_orm(column_type = "Text")]
        pub goals_and_priorities: String,
        #[sea_orm(column_type = "Text")]
        pub measures: String,
        pub status: super::PlanStatus,
        #[sea_orm(column_type = "Text", nullable)]
        pub return_comment: Option<String>,
        pub submitted_at: Option<DateTimeUtc>,
        pub decided_at: Option<DateTimeUtc>,
        pub decided_by: Option<Uuid>,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub plan_id: Uuid,
        /// `YYYY-MM`.
        pub month: String,
        pub seq: i32,
        pub title: String,
        pub category: super::ItemCategory,
        pub owner_id: Option<Uuid>,
        pub due_date: Option<String>,
        pub report_to: Option<String>,
        pub notify: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
        pub status: super::ItemStatus,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// The duty roster that carries the item out (车辆疏导 → the traffic-post roster).
        pub duty_roster_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod evidence {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_evidence")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub item_id: Uuid,
        pub entity_type: super::EvidenceType,
        pub entity_id: Uuid,
        pub note: Option<String>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What a plan was when it was submitted: one row per submission, numbered from 1.
pub mod revision {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_revisions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub plan_id: Uuid,
        pub number: i32,
        pub submitted_at: DateTimeUtc,
        pub submitted_by: Option<Uuid>,
        /// The sections and items as submitted (JSON, see `features::plans::revisions`).
        #[sea_orm(column_type = "Text")]
        pub snapshot: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
