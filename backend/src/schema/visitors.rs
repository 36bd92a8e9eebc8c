pub mod visitor {
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
        /// `admitted`, `refused` (a banned person, or refused by the guard) or `pending`
        /// (形迹可疑, the guard asked the security office). Only `admitted` is on campus.
        pub status: String,
        /// Who decided a `pending` visit (the security office), when and why.
        pub decided_by: Option<Uuid>,
        pub decided_at: Option<DateTimeUtc>,
        pub decision_reason: Option<String>,
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
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod watchlist {
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
        /// `suspicious` (形迹可疑) or `banned` (禁止入校).
        pub category: String,
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
