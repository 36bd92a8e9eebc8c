//! Patrol checkpoints, routes, runs and their points, and the route point shape stored as JSON.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A checkpoint of a route, as sent and as stored in `patrol_routes.points`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutePointInput {
    pub checkpoint_id: Uuid,
    /// Minutes after the start the checkpoint is expected (0–1440, not decreasing).
    pub offset_minutes: i32,
    /// Minutes after the expected time it still counts as on time (0–240).
    pub tolerance_minutes: i32,
}

pub mod checkpoint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "patrol_checkpoints")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub location: String,
        /// The value printed in its QR code: random, unguessable, no personal data.
        pub code: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod route {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "patrol_routes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        /// JSON array of local start times `HH:MM`.
        #[sea_orm(column_type = "Text")]
        pub start_times: String,
        /// JSON array of `{checkpoint_id, offset_minutes, tolerance_minutes}`, in order.
        #[sea_orm(column_type = "Text")]
        pub points: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod run {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "patrol_runs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub route_id: Uuid,
        pub route_name: String,
        pub guard_id: Uuid,
        /// Local date `YYYY-MM-DD` of the start.
        pub date: String,
        /// The scheduled start `HH:MM` it fulfils, if any.
        pub slot: Option<String>,
        pub started_at: DateTimeUtc,
        pub finished_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod point {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "patrol_run_points")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub run_id: Uuid,
        pub seq: i32,
        pub checkpoint_id: Uuid,
        pub checkpoint_name: String,
        pub location: String,
        pub expected_at: DateTimeUtc,
        pub tolerance_minutes: i32,
        pub visited_at: Option<DateTimeUtc>,
        pub client_event_id: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub observation: Option<String>,
        pub hazard_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
