//! Visitors, expected visitors and the watchlist, with their closed sets.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A visit's outcome at the gate. Only an admitted visitor is on campus.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    #[sea_orm(string_value = "admitted")]
    Admitted,
    /// A banned person (禁止入校), or a suspicious one the guard refused: recorded, never on
    /// campus.
    #[sea_orm(string_value = "refused")]
    Refused,
    /// A suspicious person (形迹可疑) waiting at the gate for the security office's decision.
    #[sea_orm(string_value = "pending")]
    Pending,
}

impl VisitStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admitted" => Some(Self::Admitted),
            "refused" => Some(Self::Refused),
            "pending" => Some(Self::Pending),
            _ => None,
        }
    }
}

/// Why a person is on the watchlist: `suspicious` (形迹可疑) or `banned` (禁止入校).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum WatchCategory {
    #[sea_orm(string_value = "suspicious")]
    Suspicious,
    #[sea_orm(string_value = "banned")]
    Banned,
}

impl WatchCategory {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "suspicious" => Some(Self::Suspicious),
            "banned" => Some(Self::Banned),
            _ => None,
        }
    }
}

pub mod visitor {
    use super::VisitStatus;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "visitors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub phone: Option<String>,
        /// Keyed hash (HMAC-SHA256) of the normalised ID number, for watchlist matching.
        pub id_number_hash: Option<String>,
        pub id_number_last4: Option<String>,
        pub organisation: Option<String>,
        pub reason: String,
        pub host: Option<String>,
        pub vehicle_plate: Option<String>,
        pub gate: Option<String>,
        pub expected_visitor_id: Option<Uuid>,
        pub watchlist_entry_id: Option<Uuid>,
        pub checked_in_at: DateTimeUtc,
        pub checked_in_by: Uuid,
        pub checked_out_at: Option<DateTimeUtc>,
        pub checked_out_by: Option<Uuid>,
        pub status: VisitStatus,
        /// Who decided a `pending` visit (the security office), when and why.
        pub decided_by: Option<Uuid>,
        pub decided_at: Option<DateTimeUtc>,
        pub decision_reason: Option<String>,
        /// Checked in by an integration key (a visitor kiosk): that key. `checked_in_by` is
        /// then the office account that created the key.
        pub checked_in_by_api_key_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod expected {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "expected_visitors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub phone: Option<String>,
        pub id_number_hash: Option<String>,
        pub id_number_last4: Option<String>,
        pub organisation: Option<String>,
        pub reason: String,
        pub host: String,
        pub vehicle_plate: Option<String>,
        /// Local date `YYYY-MM-DD`.
        pub expected_date: String,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub visitor_id: Option<Uuid>,
        pub cancelled_at: Option<DateTimeUtc>,
        /// Registered by an integration key (a visitor kiosk): that key. `created_by` is then
        /// the office account that created the key.
        pub created_by_api_key_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod watchlist {
    use super::WatchCategory;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "watchlist_entries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub id_number_hash: Option<String>,
        pub id_number_last4: Option<String>,
        pub phone: Option<String>,
        pub category: WatchCategory,
        pub note: String,
        pub is_active: bool,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
