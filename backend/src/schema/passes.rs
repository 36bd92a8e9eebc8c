pub mod leave_pass {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "leave_passes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub student_id: Uuid,
        pub class_id: Uuid,
        /// `exit_only` or `exit_and_return`.
        pub kind: String,
        pub reason: String,
        pub valid_from: DateTimeUtc,
        pub valid_until: DateTimeUtc,
        pub return_by: Option<DateTimeUtc>,
        /// `issued`, `out`, `returned` or `revoked` (`expired` is computed).
        pub status: String,
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
