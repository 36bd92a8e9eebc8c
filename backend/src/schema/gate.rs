//! Gate scans and the closed sets they record.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which way a student passes the gate.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[sea_orm(string_value = "exit")]
    Exit,
    #[sea_orm(string_value = "return")]
    Return,
}

/// The gate's answer to a scan.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    #[sea_orm(string_value = "allow")]
    Allow,
    #[sea_orm(string_value = "deny")]
    Deny,
}

impl Verdict {
    /// The stored (and metrics) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
        }
    }
}

/// How a scan reached the server: `online`, or `batch` for scans decided offline on the
/// phone and synced later.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ScanSource {
    #[sea_orm(string_value = "online")]
    Online,
    #[sea_orm(string_value = "batch")]
    Batch,
}

pub mod scan {
    use super::{Direction, ScanSource, Verdict};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "gate_scans")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub client_event_id: String,
        pub pass_id: Option<Uuid>,
        pub student_id: Option<Uuid>,
        pub class_id: Option<Uuid>,
        pub direction: Direction,
        pub gate: String,
        pub result: Verdict,
        pub code: String,
        /// Two offline gates both let the pass out: the later scan is flagged.
        pub conflict: bool,
        pub source: ScanSource,
        pub scanned_at: DateTimeUtc,
        pub received_at: DateTimeUtc,
        pub actor_user_id: Option<Uuid>,
        pub actor_api_key_id: Option<Uuid>,
        /// SHA-256 (hex) of the token as sent: a client event id replays only for it.
        pub token_hash: Option<String>,
        /// The answer as given (JSON, without the student): what a retry gets back.
        pub answer: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
