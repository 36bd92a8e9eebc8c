pub mod scan {
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
        /// `exit` or `return`.
        pub direction: String,
        pub gate: String,
        /// `allow` or `deny`.
        pub result: String,
        pub code: String,
        /// Two offline gates both let the pass out: the later scan is flagged.
        pub conflict: bool,
        /// `online` or `batch`.
        pub source: String,
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
