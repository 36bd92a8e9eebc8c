pub mod template {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inspection_templates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Stable across versions, e.g. `traffic_weekly`.
        pub code: String,
        pub version: i32,
        pub is_current: bool,
        pub is_active: bool,
        pub is_builtin: bool,
        pub name: String,
        pub name_en: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub description: Option<String>,
        pub category: String,
        pub target_kind: String,
        pub submitter_role: String,
        pub frequency: String,
        /// JSON array of items (see `TemplateItem`).
        #[sea_orm(column_type = "Text")]
        pub items: String,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod submission {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "inspection_submissions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The exact template version answered.
        pub template_id: Uuid,
        pub template_code: String,
        /// `self` (the responsible person's own check) or `spot_check`.
        pub kind: String,
        pub target_kind: String,
        pub class_id: Option<Uuid>,
        pub location: Option<String>,
        pub target_key: String,
        pub period: String,
        pub slot: String,
        pub version: i32,
        /// The first version of this submission (amendments share it).
        pub root_id: Uuid,
        pub is_current: bool,
        pub superseded_by_id: Option<Uuid>,
        pub submitted_by: Uuid,
        pub submitted_at: DateTimeUtc,
        pub is_late: bool,
        #[sea_orm(column_type = "Double")]
        pub score: f64,
        pub passed_count: i32,
        pub failed_count: i32,
        pub na_count: i32,
        pub discrepancy_count: i32,
        /// JSON array of item keys.
        #[sea_orm(column_type = "Text")]
        pub discrepancies: String,
        /// JSON array of answers (see `AnswerRecord`).
        #[sea_orm(column_type = "Text")]
        pub answers: String,
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
