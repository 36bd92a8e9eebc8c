pub mod plan {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plans")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub title: String,
        pub semester: String,
        /// The defined semester whose `code` is `semester` (none while undefined).
        pub semester_id: Option<Uuid>,
        pub starts_on: String,
        pub ends_on: String,
        #[sea_orm(column_type = "Text")]
        pub guiding_ideology: String,
        #[sea_orm(column_type = "Text")]
        pub goals_and_priorities: String,
        #[sea_orm(column_type = "Text")]
        pub measures: String,
        pub status: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub return_comment: Option<String>,
        pub submitted_at: Option<DateTimeUtc>,
        pub decided_at: Option<DateTimeUtc>,
        pub decided_by: Option<Uuid>,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub plan_id: Uuid,
        /// `YYYY-MM`.
        pub month: String,
        pub seq: i32,
        pub title: String,
        pub category: String,
        pub owner_id: Option<Uuid>,
        pub due_date: Option<String>,
        pub report_to: Option<String>,
        pub notify: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
        pub status: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod evidence {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_evidence")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub item_id: Uuid,
        pub entity_type: String,
        pub entity_id: Uuid,
        pub note: Option<String>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
