//! The event outbox (`events`): what happened, written in the same transaction as the change.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The catalogue: every kind of event the system raises. Stored and sent as its dotted name
/// (`pass.overdue`); a kind is never renamed, a payload change bumps its `version`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum EventKind {
    #[sea_orm(string_value = "pass.issued")]
    #[serde(rename = "pass.issued")]
    PassIssued,
    #[sea_orm(string_value = "pass.revoked")]
    #[serde(rename = "pass.revoked")]
    PassRevoked,
    #[sea_orm(string_value = "pass.overdue")]
    #[serde(rename = "pass.overdue")]
    PassOverdue,
    #[sea_orm(string_value = "gate.exit")]
    #[serde(rename = "gate.exit")]
    GateExit,
    #[sea_orm(string_value = "gate.return")]
    #[serde(rename = "gate.return")]
    GateReturn,
    #[sea_orm(string_value = "gate.refused")]
    #[serde(rename = "gate.refused")]
    GateRefused,
    #[sea_orm(string_value = "visitor.checked_in")]
    #[serde(rename = "visitor.checked_in")]
    VisitorCheckedIn,
    #[sea_orm(string_value = "visitor.flagged")]
    #[serde(rename = "visitor.flagged")]
    VisitorFlagged,
    #[sea_orm(string_value = "hazard.reported")]
    #[serde(rename = "hazard.reported")]
    HazardReported,
    #[sea_orm(string_value = "hazard.assigned")]
    #[serde(rename = "hazard.assigned")]
    HazardAssigned,
    #[sea_orm(string_value = "hazard.overdue")]
    #[serde(rename = "hazard.overdue")]
    HazardOverdue,
    #[sea_orm(string_value = "hazard.verified")]
    #[serde(rename = "hazard.verified")]
    HazardVerified,
    #[sea_orm(string_value = "incident.reported")]
    #[serde(rename = "incident.reported")]
    IncidentReported,
    #[sea_orm(string_value = "health.abnormal")]
    #[serde(rename = "health.abnormal")]
    HealthAbnormal,
    #[sea_orm(string_value = "roster.published")]
    #[serde(rename = "roster.published")]
    RosterPublished,
    #[sea_orm(string_value = "announcement.published")]
    #[serde(rename = "announcement.published")]
    AnnouncementPublished,
    #[sea_orm(string_value = "traffic_check.missing")]
    #[serde(rename = "traffic_check.missing")]
    TrafficCheckMissing,
    #[sea_orm(string_value = "fire.check_failed")]
    #[serde(rename = "fire.check_failed")]
    FireCheckFailed,
    #[sea_orm(string_value = "patrol.missed")]
    #[serde(rename = "patrol.missed")]
    PatrolMissed,
    #[sea_orm(string_value = "plan.submitted")]
    #[serde(rename = "plan.submitted")]
    PlanSubmitted,
    #[sea_orm(string_value = "plan.approved")]
    #[serde(rename = "plan.approved")]
    PlanApproved,
    #[sea_orm(string_value = "escalation.raised")]
    #[serde(rename = "escalation.raised")]
    EscalationRaised,
}

impl EventKind {
    /// The dotted name (`pass.overdue`), as stored and sent.
    pub fn as_str(self) -> String {
        use sea_orm::ActiveEnum;
        self.to_value()
    }
}

pub mod event {
    use super::EventKind;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        /// The readers' cursor: increasing in commit order as readers see it (see
        /// `features::events::store::after`).
        #[sea_orm(primary_key)]
        pub seq: i64,
        /// A UUIDv7, stable across redeliveries: what receivers deduplicate by.
        #[sea_orm(unique)]
        pub id: Uuid,
        pub kind: EventKind,
        pub version: i32,
        pub occurred_at: DateTimeUtc,
        pub class_id: Option<Uuid>,
        pub subject_id: Option<Uuid>,
        /// JSON text: the kind's payload at `version`.
        #[sea_orm(column_type = "Text")]
        pub payload: String,
        /// Set for time-based events: unique, so two replicas raise such an event once.
        #[sea_orm(unique)]
        pub dedupe_key: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
