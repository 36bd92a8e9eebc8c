//! In-app notifications, the notification worker's cursor over the events outbox, and the
//! office's escalation settings.

pub mod notification {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub recipient_id: Uuid,
        /// The event it was made from (unique with recipient and rule).
        pub event_id: Uuid,
        pub event_seq: i64,
        /// The event's dotted kind (`pass.overdue`, `escalation.raised` …).
        pub kind: String,
        /// The rule of `features::notifications::rules` that chose this recipient.
        pub rule: String,
        pub title: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        /// The SPA route that opens the record, for the recipient's role.
        pub route: Option<String>,
        pub subject_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub read_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod cursor {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notification_cursors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        /// The last event `seq` turned into notifications.
        pub seq: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod escalation_settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "escalation_settings")]
    pub struct Model {
        /// Always 1: one row for the school.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        /// JSON of `features::notifications::EscalationSettings`.
        #[sea_orm(column_type = "Text")]
        pub settings: String,
        pub updated_by: Option<Uuid>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
