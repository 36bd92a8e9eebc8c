//! Types, the handler and its OpenAPI description.

use super::store;
use crate::auth::extract::Auth;
use crate::auth::roles::{AnyUser, Role};
use crate::infra::error::AppResult;
use crate::infra::state::State;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// What kind of work waits. Stable codes: the SPA names them and links them to a screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TodoCategory {
    /// Hazards assigned to me to rectify (status `assigned`, owner = me).
    HazardToRectify,
    /// Rectified hazards I may verify (the office; not my own rectification or report).
    HazardToVerify,
    /// Reported hazards nobody has been assigned to yet (the office).
    HazardUnassigned,
    /// My unfinished items of approved plans, overdue or due within 7 days.
    PlanItemDue,
    /// Plans submitted for approval (the principal).
    PlanToApprove,
    /// Swap requests for my shifts that I should accept or decline (I am the counterpart).
    SwapToAnswer,
    /// Swaps both people agreed to, waiting for the office's approval.
    SwapToApprove,
    /// Today's health report (体温检测日报), not filed yet (guards).
    HealthReportToFile,
    /// Abnormal health reports the office has not acknowledged.
    HealthReportAbnormal,
    /// This week's traffic-safety check of an own class, not submitted yet (class teachers).
    TrafficCheckToSubmit,
    /// Expected visitors of today not checked in yet (guards).
    ExpectedVisitorToday,
    /// Announcements (通报) to my role that I have not read.
    AnnouncementUnread,
    /// What waits for my signature (staff): the semester's 安全目标责任书, rules in force to
    /// read and confirm, trainings attended to sign off.
    AcknowledgementToSign,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TodoItem {
    /// The record to open; null when the work is to create one (today's health report, a
    /// class's weekly check).
    pub id: Option<Uuid>,
    /// What to show: the record's own title, location, class or person's name; empty when the
    /// category says it all. Never a student's personal data.
    pub title: String,
    /// The local date it is due (or is for), `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// The instant it is due, when there is one.
    pub due_at: Option<DateTime<Utc>>,
    /// Past its due date.
    pub overdue: bool,
    /// The SPA route that opens it, e.g. `/teacher/hazards/…`.
    pub route: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TodoGroup {
    pub category: TodoCategory,
    /// How many there are (all of them, not only the items listed).
    pub count: u64,
    /// The first few (at most 5), most urgent first.
    pub items: Vec<TodoItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TodoResponse {
    /// The sum of the groups' counts (the badge).
    pub total: u64,
    /// Every category of my role, in a fixed order, also when its count is 0.
    pub groups: Vec<TodoGroup>,
}

/// The categories each role is asked about, in the order shown.
pub(super) fn categories(role: Role) -> &'static [TodoCategory] {
    use TodoCategory::*;
    match role {
        Role::Guard => &[
            HealthReportToFile,
            ExpectedVisitorToday,
            HazardToRectify,
            SwapToAnswer,
            PlanItemDue,
            AnnouncementUnread,
            AcknowledgementToSign,
        ],
        Role::ClassTeacher => &[
            TrafficCheckToSubmit,
            HazardToRectify,
            SwapToAnswer,
            PlanItemDue,
            AnnouncementUnread,
            AcknowledgementToSign,
        ],
        Role::SafetyOfficer => &[HazardToRectify, AnnouncementUnread],
        Role::SecurityOffice => &[
            HazardUnassigned,
            HazardToVerify,
            HealthReportAbnormal,
            SwapToApprove,
            HazardToRectify,
            SwapToAnswer,
            PlanItemDue,
            AnnouncementUnread,
            AcknowledgementToSign,
        ],
        Role::Principal => &[
            PlanToApprove,
            HazardToRectify,
            SwapToAnswer,
            PlanItemDue,
            AnnouncementUnread,
            AcknowledgementToSign,
        ],
    }
}

/// What waits for me: for each category of my role, how many and the first few, computed now
/// from the records. Every signed-in role may call it and sees only its own work; integration
/// keys may not (a key is nobody).
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, body = TodoResponse),
        (status = 401, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/me/todo")]
pub async fn my_todo(auth: Auth<AnyUser>, state: State) -> AppResult<web::Json<TodoResponse>> {
    let db = &state.db.conn;
    let me = &auth.user;
    let mut groups = Vec::new();
    for &category in categories(me.role) {
        groups.push(store::group_for(db, state.tz, me, category).await?);
    }
    Ok(web::Json(TodoResponse {
        total: groups.iter().map(|g| g.count).sum(),
        groups,
    }))
}
