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

/// Why the gate answered as it did: `ok` on allow, else the reason for the refusal. Stored with
/// each scan (values unchanged from when the column was free text).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ScanCode {
    /// Let through.
    #[sea_orm(string_value = "ok")]
    Ok,
    /// The QR text is not an `XA1` token.
    #[sea_orm(string_value = "malformed_token")]
    MalformedToken,
    /// Signed by a key the school does not know.
    #[sea_orm(string_value = "unknown_key")]
    UnknownKey,
    /// The signature does not verify.
    #[sea_orm(string_value = "bad_signature")]
    BadSignature,
    /// No such pass (a typed code naming none, or a deleted pass).
    #[sea_orm(string_value = "pass_not_found")]
    PassNotFound,
    #[sea_orm(string_value = "pass_revoked")]
    PassRevoked,
    #[sea_orm(string_value = "pass_not_yet_valid")]
    PassNotYetValid,
    #[sea_orm(string_value = "pass_expired")]
    PassExpired,
    #[sea_orm(string_value = "student_disabled")]
    StudentDisabled,
    #[sea_orm(string_value = "pass_already_used")]
    PassAlreadyUsed,
    #[sea_orm(string_value = "return_before_exit")]
    ReturnBeforeExit,
    #[sea_orm(string_value = "already_returned")]
    AlreadyReturned,
    /// Dated in the future, or before the pass was issued.
    #[sea_orm(string_value = "bad_scanned_at")]
    BadScannedAt,
    /// Synced later than `gate_offline_sync_max_age_hours`.
    #[sea_orm(string_value = "scan_too_old")]
    ScanTooOld,
    /// The phone refused a scan the server would have allowed.
    #[sea_orm(string_value = "denied_offline")]
    DeniedOffline,
    /// Batch only: the client event id was used with another token, direction or caller;
    /// nothing recorded (never stored).
    #[sea_orm(string_value = "client_event_conflict")]
    ClientEventConflict,
}

impl ScanCode {
    /// The stored (and metrics) name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanCode::Ok => "ok",
            ScanCode::MalformedToken => "malformed_token",
            ScanCode::UnknownKey => "unknown_key",
            ScanCode::BadSignature => "bad_signature",
            ScanCode::PassNotFound => "pass_not_found",
            ScanCode::PassRevoked => "pass_revoked",
            ScanCode::PassNotYetValid => "pass_not_yet_valid",
            ScanCode::PassExpired => "pass_expired",
            ScanCode::StudentDisabled => "student_disabled",
            ScanCode::PassAlreadyUsed => "pass_already_used",
            ScanCode::ReturnBeforeExit => "return_before_exit",
            ScanCode::AlreadyReturned => "already_returned",
            ScanCode::BadScannedAt => "bad_scanned_at",
            ScanCode::ScanTooOld => "scan_too_old",
            ScanCode::DeniedOffline => "denied_offline",
            ScanCode::ClientEventConflict => "client_event_conflict",
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
    use super::{Direction, ScanCode, ScanSource, Verdict};
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
        pub code: ScanCode,
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
