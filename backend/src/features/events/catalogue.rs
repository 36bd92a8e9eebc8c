//! The catalogue's payloads: one struct per event kind, each with the fewest fields its
//! readers need. A student is named, with the class and the 学号 the school's roster system
//! knows them by — never a guardian's phone, an ID number, a pass's reason or a health detail.
//! A payload only grows within a version; anything else bumps `VERSION`.

use super::EventKind;
use crate::schema::gate::{Direction, ScanCode};
use crate::schema::hazards::HazardCategory;
use crate::schema::passes::PassKind;
use crate::schema::records::{IncidentKind, Severity};
use crate::schema::visitors::{VisitStatus, WatchCategory};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A payload of the catalogue: its kind, version, and what readers filter by.
pub trait Payload: Serialize {
    const KIND: EventKind;
    const VERSION: i32;
    /// The class it concerns, for class filters (a class group receives its own class's).
    fn class_id(&self) -> Option<Uuid> {
        None
    }
    /// The record it is about (a pass, a hazard, a visit …).
    fn subject_id(&self) -> Option<Uuid>;
}

/// A student as events name them.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EventStudent {
    pub id: Uuid,
    pub name: String,
    /// 学号: the id the school's roster system knows the student by.
    pub student_no: String,
    pub class_id: Uuid,
    pub class_name: String,
}

macro_rules! payload {
    ($t:ty, $kind:ident, $v:expr, subject = $subject:ident $(, class = $($class:tt)+)?) => {
        impl Payload for $t {
            const KIND: EventKind = EventKind::$kind;
            const VERSION: i32 = $v;
            $(fn class_id(&self) -> Option<Uuid> { payload!(@class self, $($class)+) })?
            fn subject_id(&self) -> Option<Uuid> {
                Some(self.$subject)
            }
        }
    };
    (@class $s:ident, student) => { Some($s.student.class_id) };
    (@class $s:ident, opt_student) => { $s.student.as_ref().map(|s| s.class_id) };
    (@class $s:ident, field $f:ident) => { $s.$f };
    (@class $s:ident, always $f:ident) => { Some($s.$f) };
}

/// `pass.issued` v1: a leave pass was issued.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PassIssued {
    pub pass_id: Uuid,
    pub student: EventStudent,
    pub kind: PassKind,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub return_by: Option<DateTime<Utc>>,
}
payload!(
    PassIssued,
    PassIssued,
    1,
    subject = pass_id,
    class = student
);

/// `pass.revoked` v1: a pass not yet used was revoked.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PassRevoked {
    pub pass_id: Uuid,
    pub student: EventStudent,
    pub revoked_at: DateTime<Utc>,
}
payload!(
    PassRevoked,
    PassRevoked,
    1,
    subject = pass_id,
    class = student
);

/// `pass.overdue` v1: a student out on an `exit_and_return` pass is not back by `return_by`
/// (raised once per pass by the scheduler).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PassOverdue {
    pub pass_id: Uuid,
    pub student: EventStudent,
    pub exited_at: Option<DateTime<Utc>>,
    pub return_by: DateTime<Utc>,
}
payload!(
    PassOverdue,
    PassOverdue,
    1,
    subject = pass_id,
    class = student
);

/// `gate.exit` v1 and `gate.return` v1: a scan let a student out or back in.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GatePassage {
    pub scan_id: Uuid,
    pub pass_id: Uuid,
    pub student: EventStudent,
    pub gate: String,
    /// When the student passed (a phone's time for an offline scan).
    pub scanned_at: DateTime<Utc>,
    /// Judged on the guard's phone offline and synced later.
    pub offline: bool,
}

/// `gate.exit` v1.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct GateExit(pub GatePassage);
/// `gate.return` v1.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct GateReturn(pub GatePassage);

impl Payload for GateExit {
    const KIND: EventKind = EventKind::GateExit;
    const VERSION: i32 = 1;
    fn class_id(&self) -> Option<Uuid> {
        Some(self.0.student.class_id)
    }
    fn subject_id(&self) -> Option<Uuid> {
        Some(self.0.pass_id)
    }
}
impl Payload for GateReturn {
    const KIND: EventKind = EventKind::GateReturn;
    const VERSION: i32 = 1;
    fn class_id(&self) -> Option<Uuid> {
        Some(self.0.student.class_id)
    }
    fn subject_id(&self) -> Option<Uuid> {
        Some(self.0.pass_id)
    }
}

/// `gate.refused` v1 (only when `events_gate_refused` is on): a scan was refused.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GateRefused {
    pub scan_id: Uuid,
    pub pass_id: Option<Uuid>,
    /// Known only when the token checked out and its pass was found.
    pub student: Option<EventStudent>,
    pub gate: String,
    pub direction: Direction,
    /// The refusal code, as the gate answered.
    pub code: ScanCode,
    pub scanned_at: DateTime<Utc>,
}
payload!(
    GateRefused,
    GateRefused,
    1,
    subject = scan_id,
    class = opt_student
);

/// `visitor.checked_in` v1: a visitor was admitted.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitorCheckedIn {
    pub visit_id: Uuid,
    pub name: String,
    pub organisation: Option<String>,
    pub host: Option<String>,
    pub gate: Option<String>,
    pub checked_in_at: DateTime<Utc>,
}
payload!(VisitorCheckedIn, VisitorCheckedIn, 1, subject = visit_id);

/// `visitor.flagged` v1: a visitor matched the watchlist (banned: refused at once; suspicious:
/// refused or waiting for the office).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitorFlagged {
    pub visit_id: Uuid,
    pub name: String,
    pub category: WatchCategory,
    pub status: VisitStatus,
    pub gate: Option<String>,
    pub at: DateTime<Utc>,
}
payload!(VisitorFlagged, VisitorFlagged, 1, subject = visit_id);

/// `hazard.reported` v1.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HazardReported {
    pub hazard_id: Uuid,
    pub category: HazardCategory,
    pub location: String,
    pub class_id: Option<Uuid>,
    pub reported_at: DateTime<Utc>,
}
payload!(HazardReported, HazardReported, 1, subject = hazard_id, class = field class_id);

/// `hazard.assigned` v1: the office gave a hazard an owner and a deadline.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HazardAssigned {
    pub hazard_id: Uuid,
    pub category: HazardCategory,
    pub location: String,
    pub class_id: Option<Uuid>,
    pub owner_id: Uuid,
    pub owner_name: String,
    /// `YYYY-MM-DD`, school time zone.
    pub deadline: Option<String>,
}
payload!(HazardAssigned, HazardAssigned, 1, subject = hazard_id, class = field class_id);

/// `hazard.overdue` v1: a hazard not rectified by its deadline (raised once per hazard and
/// deadline by the scheduler).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HazardOverdue {
    pub hazard_id: Uuid,
    pub category: HazardCategory,
    pub location: String,
    pub class_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub deadline: String,
}
payload!(HazardOverdue, HazardOverdue, 1, subject = hazard_id, class = field class_id);

/// `hazard.verified` v1: the office checked the rectification and closed the hazard.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HazardVerified {
    pub hazard_id: Uuid,
    pub category: HazardCategory,
    pub location: String,
    pub class_id: Option<Uuid>,
    pub closed_at: DateTime<Utc>,
}
payload!(HazardVerified, HazardVerified, 1, subject = hazard_id, class = field class_id);

/// `incident.reported` v1 (what and where; the description stays in the system).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct IncidentReported {
    pub incident_id: Uuid,
    pub kind: IncidentKind,
    pub severity: Severity,
    pub place: String,
    pub occurred_at: DateTime<Utc>,
    pub class_id: Option<Uuid>,
}
payload!(IncidentReported, IncidentReported, 1, subject = incident_id, class = field class_id);

/// `health.abnormal` v1: a guard's daily health report is abnormal. Who and when only: the
/// temperature and symptoms stay in the system for 校医 to read there.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthAbnormal {
    pub report_id: Uuid,
    pub guard_id: Uuid,
    pub guard_name: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub fit_for_duty: bool,
}
payload!(HealthAbnormal, HealthAbnormal, 1, subject = report_id);

/// `roster.published` v1: a duty roster was published.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RosterPublished {
    pub roster_id: Uuid,
    pub title: String,
    pub start_date: String,
    pub end_date: String,
    pub published_at: DateTime<Utc>,
}
payload!(RosterPublished, RosterPublished, 1, subject = roster_id);

/// `announcement.published` v1.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AnnouncementPublished {
    pub announcement_id: Uuid,
    pub title: String,
    /// The roles it is for (empty: everyone).
    pub target_roles: Vec<String>,
}
payload!(
    AnnouncementPublished,
    AnnouncementPublished,
    1,
    subject = announcement_id
);

/// `traffic_check.missing` v1: a class's weekly traffic check was not submitted by Friday
/// afternoon (school time zone).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TrafficCheckMissing {
    pub class_id: Uuid,
    pub class_name: String,
    /// The Monday of the week, `YYYY-MM-DD`.
    pub week_start: String,
}
payload!(TrafficCheckMissing, TrafficCheckMissing, 1, subject = class_id, class = always class_id);

/// `fire.check_failed` v1: a check of a registry item failed (fire equipment, or security
/// equipment such as a failed alarm-button test).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FireCheckFailed {
    pub check_id: Uuid,
    pub item_id: Uuid,
    pub item_name: String,
    pub location: String,
    pub hazard_id: Option<Uuid>,
    pub checked_at: DateTime<Utc>,
}
payload!(FireCheckFailed, FireCheckFailed, 1, subject = item_id);

/// `patrol.missed` v1: a scheduled patrol start passed its tolerance without a run, or a run
/// missed checkpoints (raised once per route and start by the scheduler).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PatrolMissed {
    pub route_id: Uuid,
    pub route_name: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`, school time zone.
    pub start_time: String,
    pub missed_checkpoints: Vec<String>,
}
payload!(PatrolMissed, PatrolMissed, 1, subject = route_id);

/// `plan.submitted` v1 and `plan.approved` v1.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PlanChanged {
    pub plan_id: Uuid,
    pub title: String,
    pub semester: String,
}

/// `plan.submitted` v1: the office submitted the semester plan for approval.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct PlanSubmitted(pub PlanChanged);
/// `plan.approved` v1: the principal approved it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct PlanApproved(pub PlanChanged);

impl Payload for PlanSubmitted {
    const KIND: EventKind = EventKind::PlanSubmitted;
    const VERSION: i32 = 1;
    fn subject_id(&self) -> Option<Uuid> {
        Some(self.0.plan_id)
    }
}
impl Payload for PlanApproved {
    const KIND: EventKind = EventKind::PlanApproved;
    const VERSION: i32 = 1;
    fn subject_id(&self) -> Option<Uuid> {
        Some(self.0.plan_id)
    }
}

impl EventStudent {
    pub fn of(s: &crate::schema::students::student::Model, class_name: impl Into<String>) -> Self {
        Self {
            id: s.id,
            name: s.name.clone(),
            student_no: s.student_no.clone(),
            class_id: s.class_id,
            class_name: class_name.into(),
        }
    }

    /// Reads the student and the class name (for writers that hold only ids).
    pub async fn load(
        db: &impl sea_orm::ConnectionTrait,
        student_id: Uuid,
    ) -> crate::infra::error::AppResult<Self> {
        use sea_orm::EntityTrait;
        let s = crate::schema::students::student::Entity::find_by_id(student_id)
            .one(db)
            .await?
            .ok_or_else(crate::infra::error::ApiError::internal)?;
        let class = crate::schema::classes::Entity::find_by_id(s.class_id)
            .one(db)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        Ok(Self::of(&s, class))
    }
}

/// Which escalation a step belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EscalationRule {
    /// A student out past `return_by`: the class teacher first, then the office and the
    /// leader on call.
    PassOverdue,
    /// The daily digest of hazards past their deadline: their owners and the office.
    HazardDigest,
}

/// Who an escalation step is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTarget {
    /// The class teacher of `class_id`.
    ClassTeacher,
    /// 保卫处.
    Office,
    /// The leader on call when the step was raised (`leader_on_call_id`).
    LeaderOnCall,
    /// Each hazard's owner, for their own hazards.
    HazardOwners,
}

/// A hazard in the daily digest.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DigestHazard {
    pub hazard_id: Uuid,
    pub category: HazardCategory,
    pub location: String,
    pub owner_id: Option<Uuid>,
    /// `YYYY-MM-DD`.
    pub deadline: String,
}

/// `escalation.raised` v1: a step of an escalation on the office's clock (see
/// `GET /escalation-settings`) came due and the matter is still open: a student still out
/// `minutes_late` minutes after `return_by`, or the day's digest of overdue hazards. Raised
/// once per matter and step; a matter resolved before a step (the student back) raises no
/// further step.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EscalationRaised {
    pub rule: EscalationRule,
    /// 1 for the first step, 2 for the next.
    pub step: i32,
    pub targets: Vec<EscalationTarget>,
    /// What it is about: the pass (`pass_overdue`); none for a digest.
    pub subject_id: Option<Uuid>,
    pub class_id: Option<Uuid>,
    /// `pass_overdue`: the student.
    pub student: Option<EventStudent>,
    pub return_by: Option<DateTime<Utc>>,
    /// `pass_overdue`: the step's threshold, minutes after `return_by`.
    pub minutes_late: Option<i64>,
    /// The leader on call (值班领导) on duty when the step was raised, if one was.
    pub leader_on_call_id: Option<Uuid>,
    /// `hazard_digest`: the school date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// `hazard_digest`: the hazards past their deadline (at most 100, oldest deadline first).
    pub hazards: Vec<DigestHazard>,
    /// `hazard_digest`: how many there are in all.
    pub hazards_total: Option<i64>,
    /// One line in Chinese, without names: what the step is.
    pub summary: String,
}

impl Payload for EscalationRaised {
    const KIND: EventKind = EventKind::EscalationRaised;
    const VERSION: i32 = 1;
    fn class_id(&self) -> Option<Uuid> {
        self.class_id
    }
    fn subject_id(&self) -> Option<Uuid> {
        self.subject_id
    }
}
