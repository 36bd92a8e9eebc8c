//! Evacuation head-counts (应急疏散演练 清点人数): the head-count, one row per class with its
//! report, and the receipts of client report ids (closed sets as enums, stored as their names).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A drill (演练, linked to its activity record) or a real evacuation (紧急疏散).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum HeadcountKind {
    #[sea_orm(string_value = "drill")]
    Drill,
    #[sea_orm(string_value = "evacuation")]
    Evacuation,
}

/// `open` while classes report; `closed` by the office.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum HeadcountStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "closed")]
    Closed,
}

/// A class row: `pending` until its first report.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ClassReportStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "reported")]
    Reported,
}

/// Who reported a class: its teacher from the assembly point, or the office for a teacher
/// who handed the count over in person.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ReportSource {
    #[sea_orm(string_value = "teacher")]
    Teacher,
    #[sea_orm(string_value = "office")]
    Office,
}

/// Why a student is not at the assembly point: out of school on a leave pass (请假离校) or
/// not at school today (缺勤) are accounted for; `missing` (下落不明) is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceReason {
    LeavePass,
    AbsentToday,
    Missing,
}

/// One absent student, as stored in a class row's `absent` JSON list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Absence {
    pub student_id: Uuid,
    pub reason: AbsenceReason,
}

pub mod record {
    use super::{HeadcountKind, HeadcountStatus};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "headcounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: HeadcountKind,
        pub title: String,
        pub activity_id: Option<Uuid>,
        pub status: HeadcountStatus,
        pub started_at: DateTimeUtc,
        pub started_by: Uuid,
        pub closed_at: Option<DateTimeUtc>,
        pub closed_by: Option<Uuid>,
        #[sea_orm(column_type = "Text")]
        pub note: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod class_row {
    use super::{ClassReportStatus, ReportSource};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "headcount_classes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub headcount_id: Uuid,
        pub class_id: Uuid,
        /// The class's name when the head-count started.
        pub class_name: String,
        /// Active students of the class when the head-count started.
        pub expected: i32,
        pub status: ClassReportStatus,
        pub present: i32,
        /// JSON list of `Absence`.
        #[sea_orm(column_type = "Text")]
        pub absent: String,
        /// JSON list of the injured students' ids (they are among the present).
        #[sea_orm(column_type = "Text")]
        pub injured: String,
        /// Raised by one at every accepted report: what a client sends back to change it.
        pub version: i32,
        pub reported_at: Option<DateTimeUtc>,
        pub reported_by: Option<Uuid>,
        pub source: Option<ReportSource>,
        /// Since when every student of the class is accounted for (none missing).
        pub accounted_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod receipt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "headcount_receipts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub client_report_id: Uuid,
        pub headcount_id: Uuid,
        pub class_id: Uuid,
        /// The class row's version this report produced.
        pub version: i32,
        pub received_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
