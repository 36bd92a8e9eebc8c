//! 报送 sent through a channel: which roster or plan item, to which channel, by which delivery.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What was reported.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ReportSubject {
    /// A duty roster (值班表).
    #[sea_orm(string_value = "roster")]
    Roster,
    /// A monthly item of the semester plan.
    #[sea_orm(string_value = "plan_item")]
    PlanItem,
}

pub mod report_send {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_sends")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub subject_kind: super::ReportSubject,
        pub subject_id: Uuid,
        pub channel_id: Uuid,
        /// The channel's name when sent (kept if the channel is removed).
        pub channel_name: String,
        pub delivery_id: Uuid,
        /// The message's stable id (the `webhook-id` a receiver deduplicates on).
        pub event_id: Uuid,
        /// SHA-256 of the link token in the message (the XLSX / ICS download).
        pub link_token_hash: Option<String>,
        pub link_expires_at: Option<DateTimeUtc>,
        pub sent_by: Uuid,
        pub sent_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
