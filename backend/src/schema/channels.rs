//! 信息推送: channels, their deliveries and the log of every attempt, with their closed sets
//! as enums (stored values and wire names are the same strings).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a channel is reached: a generic signed webhook, a DingTalk custom group robot or a
/// WeCom group robot.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    #[sea_orm(string_value = "webhook")]
    Webhook,
    #[sea_orm(string_value = "dingtalk")]
    Dingtalk,
    #[sea_orm(string_value = "wecom")]
    Wecom,
}

/// Who reads the channel: 教师群, 校办, 校医, 保卫科, or one class's group (班级群).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    #[sea_orm(string_value = "teachers_group")]
    TeachersGroup,
    #[sea_orm(string_value = "school_office")]
    SchoolOffice,
    #[sea_orm(string_value = "clinic")]
    Clinic,
    #[sea_orm(string_value = "security_office")]
    SecurityOffice,
    #[sea_orm(string_value = "class_group")]
    ClassGroup,
    /// Another program (an integrator's webhook).
    #[sea_orm(string_value = "system")]
    System,
}

/// How urgent an event is; a channel takes events from its `min_severity` up.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum EventSeverity {
    #[sea_orm(string_value = "info")]
    Info,
    #[sea_orm(string_value = "warning")]
    Warning,
    #[sea_orm(string_value = "critical")]
    Critical,
}

/// `pending` (waiting for its next attempt) → `delivered`, or `dead` after the last retry.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "delivered")]
    Delivered,
    #[sea_orm(string_value = "dead")]
    Dead,
}

/// What one attempt came to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// Answered 2xx (for a robot: and `errcode` 0).
    #[sea_orm(string_value = "ok")]
    Ok,
    /// Answered with another status, or a robot's `errcode` not 0.
    #[sea_orm(string_value = "http_error")]
    HttpError,
    #[sea_orm(string_value = "timeout")]
    Timeout,
    /// No connection (refused, DNS, TLS).
    #[sea_orm(string_value = "network")]
    Network,
    /// The target resolved to an address the configuration does not allow.
    #[sea_orm(string_value = "refused")]
    Refused,
}

pub mod channel {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "channels")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub audience: super::Audience,
        pub kind: super::ChannelKind,
        pub url_sealed: String,
        pub url_hint: String,
        pub secret_sealed: Option<String>,
        pub previous_secret_sealed: Option<String>,
        pub previous_secret_until: Option<DateTimeUtc>,
        /// Space-separated event kinds.
        pub event_kinds: String,
        pub class_id: Option<Uuid>,
        pub min_severity: super::EventSeverity,
        pub enabled: bool,
        pub disabled_reason: Option<String>,
        pub failing_since: Option<DateTimeUtc>,
        /// The last event `seq` fanned out into deliveries.
        pub cursor: i64,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "channel_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub channel_id: Uuid,
        pub event_id: Uuid,
        pub event_seq: i64,
        pub event_kind: String,
        /// For messages that are not stored events (a test message): what to send.
        pub payload: Option<String>,
        pub status: super::DeliveryStatus,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub last_status_code: Option<i32>,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub delivered_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod attempt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "channel_attempts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub delivery_id: Uuid,
        pub channel_id: Uuid,
        pub attempted_at: DateTimeUtc,
        pub latency_ms: i32,
        pub status_code: Option<i32>,
        pub outcome: super::AttemptOutcome,
        pub error: Option<String>,
        /// Sent merged into one digest message with others (a robot's rate limit).
        pub digest: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
