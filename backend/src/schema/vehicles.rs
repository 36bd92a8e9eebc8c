//! Vehicles: the staff register, the gate's vehicle log and the rush windows.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// 汽车 or 电动车.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum VehicleKind {
    #[sea_orm(string_value = "car")]
    Car,
    #[sea_orm(string_value = "e_bike")]
    EBike,
}

/// 入校 or 出校.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum VehicleDirection {
    #[sea_orm(string_value = "in")]
    In,
    #[sea_orm(string_value = "out")]
    Out,
}

/// The student rush windows: 上学 (morning) and 放学 (afternoon).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RushWindow {
    #[sea_orm(string_value = "morning")]
    Morning,
    #[sea_orm(string_value = "afternoon")]
    Afternoon,
}

pub mod vehicle {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "vehicles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub plate: String,
        pub kind: super::VehicleKind,
        pub owner_name: String,
        pub owner_user_id: Option<Uuid>,
        pub note: Option<String>,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod passage {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "vehicle_passages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub plate: String,
        /// `None`: a visitor's vehicle (not in the register).
        pub vehicle_id: Option<Uuid>,
        pub owner_name: Option<String>,
        pub direction: super::VehicleDirection,
        pub rush: Option<super::RushWindow>,
        pub recorded_at: DateTimeUtc,
        pub recorded_by: Uuid,
        pub client_event_id: Option<String>,
        pub note: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "vehicle_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub morning_start: String,
        pub morning_end: String,
        pub afternoon_start: String,
        pub afternoon_end: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
