//! Duty rosters, shifts, swaps and calendar feeds, with their closed sets as enums (stored
//! values and wire names are the same strings).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A roster is edited as a `draft`; once `published` its shifts change only through swaps.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RosterStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "published")]
    Published,
}

/// A shift's post: 值班领导, 值班教师 or 保安.
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
pub enum Post {
    #[sea_orm(string_value = "leader_on_call")]
    LeaderOnCall,
    #[sea_orm(string_value = "duty_teacher")]
    DutyTeacher,
    #[sea_orm(string_value = "guard")]
    Guard,
}

/// `requested` → `accepted` → `approved`; or `declined` (by the other person), `rejected` (by
/// the office), `cancelled` (by the requester).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum SwapStatus {
    #[sea_orm(string_value = "requested")]
    Requested,
    #[sea_orm(string_value = "accepted")]
    Accepted,
    #[sea_orm(string_value = "declined")]
    Declined,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    #[sea_orm(string_value = "approved")]
    Approved,
}

pub mod roster {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "duty_rosters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub title: String,
        pub start_date: String,
        pub end_date: String,
        pub status: super::RosterStatus,
        pub report_to: Option<String>,
        pub reported_at: Option<DateTimeUtc>,
        pub notify: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
        /// Who marked it reported (报送).
        pub reported_by: Option<Uuid>,
        /// When its audience was told (通报), and who marked it.
        pub notified_at: Option<DateTimeUtc>,
        pub notified_by: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod shift {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "duty_shifts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub roster_id: Uuid,
        /// Local date `YYYY-MM-DD` the shift starts on.
        pub date: String,
        pub start_time: String,
        pub end_time: String,
        pub starts_at: DateTimeUtc,
        pub ends_at: DateTimeUtc,
        pub post: super::Post,
        pub user_id: Uuid,
        pub note: Option<String>,
        pub created_at: DateTimeUtc,
        /// Where the post stands (a traffic post: `校门口东侧`); none for a plain duty shift.
        pub place: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod swap {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "duty_swaps")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shift_id: Uuid,
        pub requester_id: Uuid,
        pub target_user_id: Uuid,
        pub reason: Option<String>,
        pub status: super::SwapStatus,
        pub created_at: DateTimeUtc,
        pub responded_at: Option<DateTimeUtc>,
        pub decided_at: Option<DateTimeUtc>,
        pub decided_by: Option<Uuid>,
        pub decision_comment: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod feed {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_feeds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        #[sea_orm(unique)]
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What stops a roster from being published (computed, not stored).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// One person in overlapping shifts.
    #[sea_orm(string_value = "overlap")]
    Overlap,
    /// The assignee's account is disabled.
    #[sea_orm(string_value = "user_disabled")]
    UserDisabled,
    /// A day without a leader on call.
    #[sea_orm(string_value = "no_leader")]
    NoLeader,
    /// A shift left outside the roster's dates after they changed.
    #[sea_orm(string_value = "outside_range")]
    OutsideRange,
}
