//! Records: activities (drills, safety education), meetings, incidents, guards' health
//! reports and announcements, with their closed sets.

use sea_orm::Iterable;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A safety activity: an emergency drill (演练) or safety education (安全教育).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    #[sea_orm(string_value = "drill")]
    Drill,
    #[sea_orm(string_value = "education")]
    Education,
}

impl ActivityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Drill => "drill",
            Self::Education => "education",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::iter().find(|k| k.as_str() == s)
    }
}

/// A meeting's kind.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum MeetingKind {
    /// 保安例会.
    #[sea_orm(string_value = "guard_meeting")]
    GuardMeeting,
    /// 学生安全员例会.
    #[sea_orm(string_value = "safety_officer_meeting")]
    SafetyOfficerMeeting,
    /// 安全领导小组会议.
    #[sea_orm(string_value = "leadership_group")]
    LeadershipGroup,
    #[sea_orm(string_value = "other")]
    Other,
}

impl MeetingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GuardMeeting => "guard_meeting",
            Self::SafetyOfficerMeeting => "safety_officer_meeting",
            Self::LeadershipGroup => "leadership_group",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::iter().find(|k| k.as_str() == s)
    }
}

/// What happened.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// 盗窃.
    #[sea_orm(string_value = "theft")]
    Theft,
    /// 伤害.
    #[sea_orm(string_value = "injury")]
    Injury,
    /// 交通.
    #[sea_orm(string_value = "traffic")]
    Traffic,
    /// 火情.
    #[sea_orm(string_value = "fire")]
    Fire,
    /// 闯入.
    #[sea_orm(string_value = "intrusion")]
    Intrusion,
    #[sea_orm(string_value = "other")]
    Other,
}

impl IncidentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Theft => "theft",
            Self::Injury => "injury",
            Self::Traffic => "traffic",
            Self::Fire => "fire",
            Self::Intrusion => "intrusion",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::iter().find(|k| k.as_str() == s)
    }
}

/// How serious an incident is, least first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[sea_orm(string_value = "minor")]
    Minor,
    #[sea_orm(string_value = "moderate")]
    Moderate,
    #[sea_orm(string_value = "serious")]
    Serious,
    #[sea_orm(string_value = "critical")]
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minor => "minor",
            Self::Moderate => "moderate",
            Self::Serious => "serious",
            Self::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::iter().find(|k| k.as_str() == s)
    }
}

pub mod activity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "activities")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: super::ActivityKind,
        pub topic: String,
        pub date: String,
        pub organiser: String,
        /// JSON array of class ids.
        #[sea_orm(column_type = "Text")]
        pub class_ids: String,
        pub participant_count: i32,
        #[sea_orm(column_type = "Text")]
        pub summary: String,
        /// JSON array of photo URLs.
        #[sea_orm(column_type = "Text")]
        pub photos: String,
        pub plan_item_id: Option<Uuid>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod meeting {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meetings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: super::MeetingKind,
        pub title: String,
        pub date: String,
        /// JSON array of attendee names.
        #[sea_orm(column_type = "Text")]
        pub attendees: String,
        #[sea_orm(column_type = "Text")]
        pub minutes: String,
        #[sea_orm(column_type = "Text")]
        pub decisions: String,
        pub plan_item_id: Option<Uuid>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod incident {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "incidents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: super::IncidentKind,
        pub occurred_at: DateTimeUtc,
        pub place: String,
        pub severity: super::Severity,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        #[sea_orm(column_type = "Text")]
        pub actions_taken: String,
        pub reported_to_police: bool,
        pub reported_to_fire: bool,
        pub closed_at: Option<DateTimeUtc>,
        pub reported_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// The class whose students were involved, if any.
        pub class_id: Option<Uuid>,
        /// `class_id` was proposed by someone other than the class's teacher or the office:
        /// not counted for the class until the office confirms it.
        pub class_pending: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod health {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "health_reports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub guard_id: Uuid,
        pub date: String,
        pub temperature: f64,
        pub fit_for_duty: bool,
        pub symptoms: Option<String>,
        pub abnormal: bool,
        pub acknowledged_at: Option<DateTimeUtc>,
        pub acknowledged_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub acknowledge_note: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod announcement {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "announcements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub title: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        /// Space-separated role names.
        pub target_roles: String,
        pub plan_item_id: Option<Uuid>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod read {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "announcement_reads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub announcement_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub read_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
