//! Duty over HTTP: the response types several sub-resources share, and the route table.

mod feed;
mod rosters;
mod shifts;
mod swaps;

use super::store;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::duty::{Post, RosterStatus, roster, shift};
use crate::schema::plans::ItemStatus;
use crate::schema::users as user;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct RosterSummary {
    pub id: Uuid,
    /// e.g. `清明节值班表`.
    pub title: String,
    pub start_date: String,
    pub end_date: String,
    pub status: RosterStatus,
    /// 报送 (e.g. `校办`).
    pub report_to: Option<String>,
    /// When it was reported (报送) — marked by hand by the office, for a report made outside
    /// the system (on paper, by phone). Reports sent through a channel are listed at
    /// `/duty/rosters/{id}/reports`, each with its delivery.
    pub reported_at: Option<DateTime<Utc>>,
    /// 通报 (e.g. `教师群`).
    pub notify: Option<String>,
    pub note: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Who marked it reported (报送) by hand.
    pub reported_by: Option<Uuid>,
    /// When its audience was told (通报) — marked by the office.
    pub notified_at: Option<DateTime<Utc>>,
    /// Who marked it told (通报).
    pub notified_by: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftResponse {
    pub id: Uuid,
    pub roster_id: Uuid,
    /// Local date the shift starts on.
    pub date: String,
    /// `HH:MM`, local.
    pub start_time: String,
    /// `HH:MM`, local; at or before `start_time` means the next day.
    pub end_time: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// 值班领导, 值班教师 or 保安.
    pub post: Post,
    pub user_id: Uuid,
    pub user_name: String,
    /// The assignee's phone, from the account.
    pub phone: Option<String>,
    pub note: Option<String>,
    /// Where the post stands (a traffic post: `校门口东侧`); null for a plain duty shift.
    pub place: Option<String>,
}

/// A plan item a roster carries out (linked from the item: `duty_roster_id`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterPlanItem {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub plan_title: String,
    /// `YYYY-MM`.
    pub month: String,
    pub title: String,
    pub status: ItemStatus,
    pub due_date: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RosterResponse {
    #[serde(flatten)]
    pub summary: RosterSummary,
    pub shifts: Vec<ShiftResponse>,
    /// The name of who marked it reported (报送).
    pub reported_by_name: Option<String>,
    /// The name of who marked it told (通报).
    pub notified_by_name: Option<String>,
    /// The plan items this roster carries out (those of approved plans only, except for the
    /// office).
    pub plan_items: Vec<RosterPlanItem>,
}

fn roster_summary(r: &roster::Model) -> RosterSummary {
    RosterSummary {
        id: r.id,
        title: r.title.clone(),
        start_date: r.start_date.clone(),
        end_date: r.end_date.clone(),
        status: r.status,
        report_to: r.report_to.clone(),
        reported_at: r.reported_at,
        notify: r.notify.clone(),
        note: r.note.clone(),
        published_at: r.published_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
        reported_by: r.reported_by,
        notified_at: r.notified_at,
        notified_by: r.notified_by,
    }
}

fn shift_response(s: shift::Model, users: &HashMap<Uuid, user::Model>) -> ShiftResponse {
    let u = users.get(&s.user_id);
    ShiftResponse {
        user_name: u.map(|u| u.display_name.clone()).unwrap_or_default(),
        phone: u.and_then(|u| u.phone.clone()),
        id: s.id,
        roster_id: s.roster_id,
        date: s.date,
        start_time: s.start_time,
        end_time: s.end_time,
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        post: s.post,
        user_id: s.user_id,
        note: s.note,
        place: s.place,
    }
}

/// Shifts with their assignees' names and phones.
async fn shift_responses(
    db: &impl ConnectionTrait,
    rows: Vec<shift::Model>,
) -> AppResult<Vec<ShiftResponse>> {
    let users = store::users_by_ids(db, rows.iter().map(|s| s.user_id)).await?;
    Ok(rows
        .into_iter()
        .map(|s| shift_response(s, &users))
        .collect())
}

/// A roster with its shifts and the plan items it carries out (`approved_only`: those of
/// approved plans only, for staff who do not see drafts of plans).
async fn roster_response(
    db: &impl ConnectionTrait,
    r: roster::Model,
    approved_only: bool,
) -> AppResult<RosterResponse> {
    let shifts = store::shifts_of(db, r.id).await?;
    let plan_items = crate::features::plans::items_for_roster(db, r.id, approved_only)
        .await?
        .into_iter()
        .map(|(i, p)| RosterPlanItem {
            id: i.id,
            plan_id: p.id,
            plan_title: p.title,
            month: i.month,
            title: i.title,
            status: i.status,
            due_date: i.due_date,
        })
        .collect();
    let markers = store::users_by_ids(db, r.reported_by.into_iter().chain(r.notified_by)).await?;
    let name = |id: Option<Uuid>| {
        id.and_then(|i| markers.get(&i))
            .map(|u| u.display_name.clone())
    };
    Ok(RosterResponse {
        summary: roster_summary(&r),
        shifts: shift_responses(db, shifts).await?,
        reported_by_name: name(r.reported_by),
        notified_by_name: name(r.notified_by),
        plan_items,
    })
}

fn require_draft(r: &roster::Model) -> AppResult<()> {
    if r.status == RosterStatus::Draft {
        Ok(())
    } else {
        Err(ApiError::conflict(
            ErrorCode::RosterPublished,
            "值班表已发布,不能再改动班次;人员调整请走换班流程",
        ))
    }
}

fn audit_roster(r: &roster::Model) -> serde_json::Value {
    json!({
        "title": r.title, "start_date": r.start_date, "end_date": r.end_date, "status": r.status,
        "report_to": r.report_to, "reported_at": r.reported_at, "notify": r.notify, "note": r.note,
        "reported_by": r.reported_by, "notified_at": r.notified_at, "notified_by": r.notified_by,
    })
}

/// Trimmed, and `None` when empty.
fn opt(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A closed-set value sent as text (checked by the handler, so that a bad one is a 422 naming
/// the field, as before the sets were enums).
fn parse_enum<E: sea_orm::ActiveEnum<Value = String>>(s: &str) -> Option<E> {
    E::try_from_value(&s.to_owned()).ok()
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(rosters::list_rosters)
        .service(rosters::create_roster)
        .service(rosters::get_roster)
        .service(rosters::update_roster)
        .service(rosters::delete_roster)
        .service(shifts::create_shift)
        .service(shifts::delete_shift)
        .service(shifts::generate_shifts)
        .service(rosters::get_conflicts)
        .service(rosters::publish_roster)
        .service(shifts::duty_now)
        .service(shifts::my_shifts)
        .service(shifts::my_duty_status)
        .service(swaps::request_swap)
        .service(swaps::list_swaps)
        .service(swaps::accept_swap)
        .service(swaps::decline_swap)
        .service(swaps::cancel_swap)
        .service(swaps::approve_swap)
        .service(swaps::reject_swap)
        .service(feed::get_feed)
        .service(feed::create_feed)
        .service(feed::revoke_feed)
        .service(feed::calendar_feed);
}

/// Published shifts running at `at`, with assignees' names and phones (the dashboard shows it).
pub async fn on_duty_at(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
) -> AppResult<Vec<ShiftResponse>> {
    let rows = store::shifts_at(db, at).await?;
    shift_responses(db, rows).await
}

/// A published roster with its shifts (assignees' names; the caller decides what to show), or
/// `None` when it does not exist or is a draft. The public page shows the rosters the school
/// chooses.
pub async fn published_roster(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<Option<RosterResponse>> {
    let Some(r) = roster::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    if r.status != RosterStatus::Published {
        return Ok(None);
    }
    Ok(Some(roster_response(db, r, true).await?))
}
