pub mod hazard {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hazards")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub category: String,
        pub location: String,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub class_id: Option<Uuid>,
        /// `report` (someone reported it) or `inspection` (a failed checklist item).
        pub source: String,
        pub submission_id: Option<Uuid>,
        pub item_key: Option<String>,
        /// JSON array of attachment ids.
        #[sea_orm(column_type = "Text")]
        pub photo_ids: String,
        pub status: String,
        pub reported_by: Uuid,
        pub reported_at: DateTimeUtc,
        pub owner_id: Option<Uuid>,
        /// Local date `YYYY-MM-DD`.
        pub deadline: Option<String>,
        pub assigned_by: Option<Uuid>,
        pub assigned_at: Option<DateTimeUtc>,
        pub rectified_by: Option<Uuid>,
        pub rectified_at: Option<DateTimeUtc>,
        #[sea_orm(column_type = "Text", nullable)]
        pub rectification: Option<String>,
        #[sea_orm(column_type = "Text")]
        pub rectification_photo_ids: String,
        pub verified_by: Option<Uuid>,
        pub closed_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
        /// `class_id` was proposed by someone other than the class's teacher or the office:
        /// not counted for the class until the office confirms it.
        pub class_pending: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hazard_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub hazard_id: Uuid,
        pub at: DateTimeUtc,
        pub actor_id: Uuid,
        pub action: String,
        pub from_status: Option<String>,
        pub to_status: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
        #[sea_orm(column_type = "Text")]
        pub details: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
