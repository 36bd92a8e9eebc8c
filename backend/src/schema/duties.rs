//! Leadership group, written duties, responsibility letters, the rules library with its
//! versions, guard trainings and their attendees, and the acknowledgements the three share.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! closed_set {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal,)+ }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize,
            Deserialize, ToSchema,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* #[sea_orm(string_value = $value)] $variant,)+
        }
    };
}

closed_set! {
    /// A member's place in the 安全领导小组.
    GroupRole {
        /// 组长.
        Leader = "leader",
        /// 副组长.
        Deputy = "deputy",
        /// 成员.
        Member = "member",
    }
}

closed_set! {
    /// What a rule is about (制度类别).
    RuleCategory {
        /// 门卫与出入.
        Gate = "gate",
        /// 来访.
        Visitors = "visitors",
        /// 消防.
        Fire = "fire",
        /// 交通.
        Traffic = "traffic",
        /// 应急与疏散.
        Emergency = "emergency",
        /// 其他.
        General = "general",
    }
}

closed_set! {
    /// The subject of a guard training session.
    TrainingKind {
        /// 思想道德教育.
        Ethics = "ethics",
        /// 报警装置使用.
        Alarm = "alarm",
        /// 急救.
        FirstAid = "first_aid",
        /// 灭火器使用.
        Extinguisher = "extinguisher",
        /// 来访登记制度.
        VisitorRules = "visitor_rules",
        /// 其他业务能力.
        Other = "other",
    }
}

closed_set! {
    /// What an acknowledgement is of.
    AckSubject {
        /// The semester's 安全目标责任书 (signed).
        Letter = "letter",
        /// One version of a rule (read and confirmed).
        RuleVersion = "rule_version",
        /// A training session (attended and signed off).
        Training = "training",
    }
}

pub mod member {
    use super::GroupRole;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "leadership_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub group_role: GroupRole,
        /// The department or work the member answers for.
        pub department: String,
        pub sort_order: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod statement {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "duty_statements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The department or post (门卫, 班主任, 值周教师 …), unique.
        pub post: String,
        #[sea_orm(column_type = "Text")]
        pub duties: String,
        pub sort_order: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod letter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "responsibility_letters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The semester's code.
        pub semester: String,
        pub title: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        /// Space-separated role names of those who must sign.
        pub signer_roles: String,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rule {
    use super::RuleCategory;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "safety_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub title: String,
        pub category: RuleCategory,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rule_version {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "safety_rule_versions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub rule_id: Uuid,
        /// 1, 2, 3 … per rule; the highest is the one in force.
        pub version: i32,
        /// Local date `YYYY-MM-DD`.
        pub effective_on: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        /// Space-separated role names of those who must read and confirm it.
        pub reader_roles: String,
        #[sea_orm(column_type = "Text")]
        pub change_note: String,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod training {
    use super::TrainingKind;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "guard_trainings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Local date `YYYY-MM-DD`.
        pub date: String,
        pub kind: TrainingKind,
        pub title: String,
        pub trainer: String,
        #[sea_orm(column_type = "Text")]
        pub content: String,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod attendee {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "training_attendees")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub training_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ack {
    use super::AckSubject;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "acknowledgements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub subject_kind: AckSubject,
        pub subject_id: Uuid,
        pub user_id: Uuid,
        pub acknowledged_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
