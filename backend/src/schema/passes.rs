//! Leave passes, the keys that sign them, and their closed sets.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a pass allows: leaving only, or leaving and coming back.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum PassKind {
    #[sea_orm(string_value = "exit_only")]
    ExitOnly,
    #[sea_orm(string_value = "exit_and_return")]
    ExitAndReturn,
}

impl PassKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PassKind::ExitOnly => "exit_only",
            PassKind::ExitAndReturn => "exit_and_return",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "exit_only" => Some(PassKind::ExitOnly),
            "exit_and_return" => Some(PassKind::ExitAndReturn),
            _ => None,
        }
    }
}

/// Where a pass stands, as stored (`expired` is computed, never stored).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum PassStatus {
    #[sea_orm(string_value = "issued")]
    Issued,
    #[sea_orm(string_value = "out")]
    Out,
    #[sea_orm(string_value = "returned")]
    Returned,
    #[sea_orm(string_value = "revoked")]
    Revoked,
}

impl PassStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PassStatus::Issued => "issued",
            PassStatus::Out => "out",
            PassStatus::Returned => "returned",
            PassStatus::Revoked => "revoked",
        }
    }
}

pub mod leave_pass {
    use super::{PassKind, PassStatus};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "leave_passes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub student_id: Uuid,
        pub class_id: Uuid,
        pub kind: PassKind,
        pub reason: String,
        pub valid_from: DateTimeUtc,
        pub valid_until: DateTimeUtc,
        pub return_by: Option<DateTimeUtc>,
        /// `expired` is computed from an `issued` pass's window.
        pub status: PassStatus,
        pub kid: String,
        pub token: String,
        pub issued_by: Uuid,
        pub issued_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
        pub revoked_by: Option<Uuid>,
        pub exited_at: Option<DateTimeUtc>,
        pub exit_scan_id: Option<Uuid>,
        pub returned_at: Option<DateTimeUtc>,
        pub return_scan_id: Option<Uuid>,
        pub updated_at: DateTimeUtc,
        /// The manual code (8 characters of `SHORT_CODE_ALPHABET`), unique; none on passes
        /// issued before codes existed.
        pub short_code: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// Lets the gate read a pass and its student in one query.
        #[sea_orm(
            belongs_to = "crate::schema::students::student::Entity",
            from = "Column::StudentId",
            to = "crate::schema::students::student::Column::Id"
        )]
        Student,
    }

    impl Related<crate::schema::students::student::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Student.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// Ed25519 keys that sign passes. Kept in the database so that every replica signs and
/// verifies with the same keys.
pub mod signing_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "pass_signing_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub kid: String,
        /// base64url, 32 bytes.
        pub public_key: String,
        /// base64url seed, 32 bytes.
        pub private_key: String,
        pub created_at: DateTimeUtc,
        /// Set when a newer key took over signing; still published while its passes live.
        pub retired_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Named server-side secrets (e.g. the key of the ID-number hash), shared by replicas.
pub mod secret {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "gate_secrets")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub secret: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
