//! The equipment registry's buildings, items and checks (fire equipment and security
//! equipment), with the item kind and check result as enums (stored strings unchanged).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A registered item's type.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    #[sea_orm(string_value = "extinguisher")]
    Extinguisher,
    #[sea_orm(string_value = "hydrant")]
    Hydrant,
    #[sea_orm(string_value = "alarm")]
    Alarm,
    #[sea_orm(string_value = "emergency_light")]
    EmergencyLight,
    #[sea_orm(string_value = "exit")]
    Exit,
    /// 防暴器材: 钢叉, 盾牌, 防刺背心, 防暴头盔 …
    #[sea_orm(string_value = "riot_gear")]
    RiotGear,
    /// 监控摄像头.
    #[sea_orm(string_value = "camera")]
    Camera,
    /// 一键报警按钮 (e.g. linked to the police or the duty room).
    #[sea_orm(string_value = "alarm_button")]
    AlarmButton,
    /// 门禁.
    #[sea_orm(string_value = "access_control")]
    AccessControl,
    /// 对讲机.
    #[sea_orm(string_value = "radio")]
    Radio,
}

/// A check's outcome.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    #[sea_orm(string_value = "ok")]
    Ok,
    #[sea_orm(string_value = "failed")]
    Failed,
}

pub mod building {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "fire_buildings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        #[sea_orm(column_type = "Text")]
        pub note: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod item {
    use super::ItemKind;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "fire_items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub building_id: Uuid,
        pub kind: ItemKind,
        pub name: String,
        pub location: String,
        pub spec: String,
        /// Local date `YYYY-MM-DD`.
        pub install_date: Option<String>,
        /// Local date `YYYY-MM-DD`: the last day it is valid.
        pub expiry_date: Option<String>,
        /// Who is responsible, as written (a name or a department); may be empty when
        /// `responsible_user_id` is set.
        pub responsible: String,
        /// The staff account responsible for it (责任人), when the office chose one.
        pub responsible_user_id: Option<Uuid>,
        /// The hazard raised when it was found expired (set once, so it is raised once; cleared
        /// when the expiry date is moved to a valid date).
        pub expired_hazard_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// Replaced or removed: off the board, the labels and the checks.
        pub retired_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod check {
    use super::CheckResult;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "fire_checks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub item_id: Uuid,
        pub result: CheckResult,
        pub pressure_mpa: Option<f64>,
        pub test_passed: Option<bool>,
        /// An alarm device's test: whether the alarm reached the receiving end (e.g. the duty
        /// room or 联网报警); `None` when not recorded.
        pub alarm_reached: Option<bool>,
        #[sea_orm(column_type = "Text")]
        pub note: String,
        /// JSON array of attachment ids.
        #[sea_orm(column_type = "Text")]
        pub photo_ids: String,
        pub hazard_id: Option<Uuid>,
        pub checked_by: Uuid,
        pub checked_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
