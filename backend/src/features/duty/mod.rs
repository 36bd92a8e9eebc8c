//! Duty rosters (值班安排): rosters and shifts, generation from a pattern, conflicts checked
//! before publishing, swaps, who is on duty now, "my shifts" and a personal ICS feed.

pub use crate::schema::duty as model;

use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::{Office, Role, Staff};
use crate::features::audit;
use crate::features::plans::{check_date, fmt_date, parse_date, today};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, FieldError, Validator};
use crate::infra::state::State;
use crate::schema::users as user;
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use model::{feed, roster, shift, swap};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub const POSTS: &[&str] = &["leader_on_call", "duty_teacher", "guard"];
pub const DRAFT: &str = "draft";
pub const PUBLISHED: &str = "published";
/// A roster may span at most this many days (a summer holiday fits).
const MAX_DAYS: i64 = 120;

// ---------- DTOs ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct RosterSummary {
    pub id: Uuid,
    /// e.g. `清明节值班表`.
    pub title: String,
    pub start_date: String,
    pub end_date: String,
    /// `draft` or `published`.
    pub status: String,
    /// 报送 (e.g. `校办`).
    pub report_to: Option<String>,
    /// When it was reported (报送) — marked by the office.
    pub reported_at: Option<DateTime<Utc>>,
    /// 通报 (e.g. `教师群`).
    pub notify: Option<String>,
    pub note: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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
    /// `leader_on_call` (值班领导), `duty_teacher` (值班教师) or `guard` (保安).
    pub post: String,
    pub user_id: Uuid,
    pub user_name: String,
    /// The assignee's phone, from the account.
    pub phone: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RosterResponse {
    #[serde(flatten)]
    pub summary: RosterSummary,
    pub shifts: Vec<ShiftResponse>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Conflict {
    /// `overlap` (one person in overlapping shifts), `user_disabled` (assignee's account is
    /// disabled), `no_leader` (a day without a leader on call) or `outside_range` (a shift
    /// left outside the roster's dates after they changed).
    pub kind: String,
    pub date: String,
    pub shift_ids: Vec<Uuid>,
    pub user_id: Option<Uuid>,
    pub message: String,
}

fn roster_summary(r: &roster::Model) -> RosterSummary {
    RosterSummary {
        id: r.id,
        title: r.title.clone(),
        start_date: r.start_date.clone(),
        end_date: r.end_date.clone(),
        status: r.status.clone(),
        report_to: r.report_to.clone(),
        reported_at: r.reported_at,
        notify: r.notify.clone(),
        note: r.note.clone(),
        published_at: r.published_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

async fn users_by_id(db: &impl ConnectionTrait) -> AppResult<HashMap<Uuid, user::Model>> {
    Ok(user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect())
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
    }
}

async fn shifts_of(db: &impl ConnectionTrait, roster_id: Uuid) -> AppResult<Vec<shift::Model>> {
    Ok(shift::Entity::find()
        .filter(shift::Column::RosterId.eq(roster_id))
        .order_by_asc(shift::Column::StartsAt)
        .order_by_asc(shift::Column::Post)
        .all(db)
        .await?)
}

async fn roster_response(db: &impl ConnectionTrait, r: roster::Model) -> AppResult<RosterResponse> {
    let users = users_by_id(db).await?;
    let shifts = shifts_of(db, r.id).await?;
    Ok(RosterResponse {
        summary: roster_summary(&r),
        shifts: shifts
            .into_iter()
            .map(|s| shift_response(s, &users))
            .collect(),
    })
}

pub async fn find_roster(db: &impl ConnectionTrait, id: Uuid) -> AppResult<roster::Model> {
    roster::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::RosterNotFound, "值班表不存在"))
}

async fn find_shift(db: &impl ConnectionTrait, id: Uuid) -> AppResult<shift::Model> {
    shift::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::ShiftNotFound, "班次不存在"))
}

fn require_draft(r: &roster::Model) -> AppResult<()> {
    if r.status == DRAFT {
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
    })
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    (s.len() == 5)
        .then(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
        .flatten()
}

/// The UTC instants of a shift that starts at `start` on local `date` and ends at `end`
/// (the next day when `end` is not after `start`, e.g. a night shift 20:00–08:00).
pub fn shift_instants(
    tz: chrono_tz::Tz,
    date: NaiveDate,
    start: NaiveTime,
    end: NaiveTime,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let end_date = if end <= start { date.succ_opt()? } else { date };
    let s = tz.from_local_datetime(&date.and_time(start)).earliest()?;
    let e = tz.from_local_datetime(&end_date.and_time(end)).earliest()?;
    Some((s.with_timezone(&Utc), e.with_timezone(&Utc)))
}

// ---------- rosters ----------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RosterQuery {
    pub status: Option<String>,
    /// Rosters that end on or after this date.
    pub from: Option<String>,
    /// Rosters that start on or before this date.
    pub to: Option<String>,
}

/// Duty rosters, by start date. Only the office sees drafts.
#[utoipa::path(
    tag = "duty",
    params(RosterQuery),
    responses((status = 200, body = Vec<RosterSummary>), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/rosters")]
pub async fn list_rosters(
    auth: Auth<Staff>,
    state: State,
    query: web::Query<RosterQuery>,
) -> AppResult<web::Json<Vec<RosterSummary>>> {
    let q = query.into_inner();
    crate::features::plans::check_date_range(q.from.as_deref(), q.to.as_deref())?;
    let mut select = roster::Entity::find();
    if !auth.user.is(Role::SecurityOffice) {
        select = select.filter(roster::Column::Status.eq(PUBLISHED));
    }
    if let Some(s) = &q.status {
        select = select.filter(roster::Column::Status.eq(s.as_str()));
    }
    if let Some(f) = &q.from {
        select = select.filter(roster::Column::EndDate.gte(f.as_str()));
    }
    if let Some(t) = &q.to {
        select = select.filter(roster::Column::StartDate.lte(t.as_str()));
    }
    let rows = select
        .order_by_asc(roster::Column::StartDate)
        .limit(500)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(rows.iter().map(roster_summary).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRosterRequest {
    pub title: String,
    pub start_date: String,
    pub end_date: String,
    pub report_to: Option<String>,
    pub notify: Option<String>,
    pub note: Option<String>,
}

fn check_range(v: &mut Validator, start: &str, end: &str) {
    let s = check_date(v, "start_date", start);
    let e = check_date(v, "end_date", end);
    if let (Some(s), Some(e)) = (s, e) {
        if e < s {
            v.add("end_date", "invalid", "结束日期不能早于开始日期");
        } else if (e - s).num_days() >= MAX_DAYS {
            v.add("end_date", "invalid", format!("值班表最长 {MAX_DAYS} 天"));
        }
    }
}

fn opt(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Start a roster (a draft).
#[utoipa::path(
    tag = "duty",
    request_body = CreateRosterRequest,
    responses((status = 201, body = RosterResponse), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/duty/rosters")]
pub async fn create_roster(
    auth: Auth<Office>,
    state: State,
    body: web::Json<CreateRosterRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("title", &b.title, 1, 200);
    check_range(&mut v, &b.start_date, &b.end_date);
    v.opt_text("report_to", b.report_to.as_deref(), 200);
    v.opt_text("notify", b.notify.as_deref(), 200);
    v.opt_text("note", b.note.as_deref(), 2000);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let r = insert_roster(
        &*tx,
        &b.title,
        &b.start_date,
        &b.end_date,
        opt(b.report_to),
        opt(b.notify),
        opt(b.note),
        Some(auth.user.id),
    )
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "roster.create",
        "duty_roster",
        Some(r.id.to_string()),
        json!({"after": audit_roster(&r)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(roster_response(&state.db.conn, r).await?))
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_roster(
    db: &impl ConnectionTrait,
    title: &str,
    start: &str,
    end: &str,
    report_to: Option<String>,
    notify: Option<String>,
    note: Option<String>,
    by: Option<Uuid>,
) -> Result<roster::Model, DbErr> {
    let now = crate::infra::util::now();
    roster::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(title.trim().to_owned()),
        start_date: Set(start.trim().to_owned()),
        end_date: Set(end.trim().to_owned()),
        status: Set(DRAFT.into()),
        report_to: Set(report_to),
        reported_at: Set(None),
        notify: Set(notify),
        note: Set(note),
        created_by: Set(by),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
    }
    .insert(db)
    .await
}

/// One roster with its shifts (assignees' phones included). Drafts: the office only.
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = RosterResponse), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/rosters/{id}")]
pub async fn get_roster(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<RosterResponse>> {
    let db = &state.db.conn;
    let r = find_roster(db, id.into_inner()).await?;
    if r.status != PUBLISHED && !auth.user.is(Role::SecurityOffice) {
        return Err(ApiError::not_found(
            ErrorCode::RosterNotFound,
            "值班表不存在",
        ));
    }
    Ok(web::Json(roster_response(db, r).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRosterRequest {
    pub title: Option<String>,
    /// Dates change only while a draft.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub report_to: Option<String>,
    pub notify: Option<String>,
    pub note: Option<String>,
    /// `true` marks it reported (报送) now; `false` clears the mark.
    pub reported: Option<bool>,
}

/// Change a roster's details, or mark it reported (报送).
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    request_body = UpdateRosterRequest,
    responses((status = 200, body = RosterResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[patch("/duty/rosters/{id}")]
pub async fn update_roster(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<UpdateRosterRequest>,
) -> AppResult<web::Json<RosterResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let before = find_roster(&*tx, id.into_inner()).await?;
    if b.start_date.is_some() || b.end_date.is_some() {
        require_draft(&before)?;
    }
    let start = b
        .start_date
        .clone()
        .unwrap_or_else(|| before.start_date.clone());
    let end = b
        .end_date
        .clone()
        .unwrap_or_else(|| before.end_date.clone());
    let mut v = Validator::new();
    if let Some(t) = &b.title {
        v.text("title", t, 1, 200);
    }
    check_range(&mut v, &start, &end);
    v.opt_text("report_to", b.report_to.as_deref(), 200);
    v.opt_text("notify", b.notify.as_deref(), 200);
    v.opt_text("note", b.note.as_deref(), 2000);
    v.finish()?;
    let mut a: roster::ActiveModel = before.clone().into();
    if let Some(t) = b.title {
        a.title = Set(t.trim().to_owned());
    }
    a.start_date = Set(start.trim().to_owned());
    a.end_date = Set(end.trim().to_owned());
    if b.report_to.is_some() {
        a.report_to = Set(opt(b.report_to));
    }
    if b.notify.is_some() {
        a.notify = Set(opt(b.notify));
    }
    if b.note.is_some() {
        a.note = Set(opt(b.note));
    }
    if let Some(r) = b.reported {
        a.reported_at = Set(r.then(crate::infra::util::now));
    }
    a.updated_at = Set(crate::infra::util::now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "roster.update",
        "duty_roster",
        Some(after.id.to_string()),
        json!({"before": audit_roster(&before), "after": audit_roster(&after)}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(roster_response(&state.db.conn, after).await?))
}

/// Delete a draft roster.
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[delete("/duty/rosters/{id}")]
pub async fn delete_roster(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let r = find_roster(&*tx, id.into_inner()).await?;
    require_draft(&r)?;
    roster::Entity::delete_by_id(r.id).exec(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "roster.delete",
        "duty_roster",
        Some(r.id.to_string()),
        json!({"before": audit_roster(&r)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------- shifts ----------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShiftRequest {
    pub date: String,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`; at or before `start_time` means the next day.
    pub end_time: String,
    /// `leader_on_call`, `duty_teacher` or `guard`.
    pub post: String,
    pub user_id: Uuid,
    pub note: Option<String>,
}

struct NewShift {
    date: NaiveDate,
    start: NaiveTime,
    end: NaiveTime,
    post: String,
    user_id: Uuid,
    note: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_shift(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    roster_id: Uuid,
    date: NaiveDate,
    start: NaiveTime,
    end: NaiveTime,
    post: &str,
    user_id: Uuid,
    note: Option<String>,
) -> AppResult<shift::Model> {
    let (starts_at, ends_at) = shift_instants(tz, date, start, end)
        .ok_or_else(|| ApiError::unprocessable(ErrorCode::InvalidTime, "该时间在本时区不存在"))?;
    Ok(shift::ActiveModel {
        id: Set(Uuid::now_v7()),
        roster_id: Set(roster_id),
        date: Set(fmt_date(date)),
        start_time: Set(start.format("%H:%M").to_string()),
        end_time: Set(end.format("%H:%M").to_string()),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        post: Set(post.to_owned()),
        user_id: Set(user_id),
        note: Set(note),
        created_at: Set(crate::infra::util::now()),
    }
    .insert(db)
    .await?)
}

fn in_roster(r: &roster::Model, d: NaiveDate) -> bool {
    matches!((parse_date(&r.start_date), parse_date(&r.end_date)), (Some(s), Some(e)) if s <= d && d <= e)
}

/// Add a shift to a draft roster.
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    request_body = CreateShiftRequest,
    responses((status = 201, body = ShiftResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/duty/rosters/{id}/shifts")]
pub async fn create_shift(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<CreateShiftRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let r = find_roster(&*tx, id.into_inner()).await?;
    require_draft(&r)?;
    let mut v = Validator::new();
    let date = check_date(&mut v, "date", &b.date);
    if let Some(d) = date
        && !in_roster(&r, d)
    {
        v.add("date", "invalid", "日期不在值班表的日期范围内");
    }
    let start = parse_time(&b.start_time);
    if start.is_none() {
        v.add("start_time", "invalid", "时间格式应为 HH:MM");
    }
    let end = parse_time(&b.end_time);
    if end.is_none() {
        v.add("end_time", "invalid", "时间格式应为 HH:MM");
    }
    if !POSTS.contains(&b.post.as_str()) {
        v.add("post", "invalid", "岗位无效");
    }
    if user::Entity::find_by_id(b.user_id)
        .one(&*tx)
        .await?
        .is_none()
    {
        v.add("user_id", "not_found", "人员不存在");
    }
    v.opt_text("note", b.note.as_deref(), 500);
    v.finish()?;
    let (Some(date), Some(start), Some(end)) = (date, start, end) else {
        return Err(ApiError::internal());
    };
    let s = insert_shift(
        &*tx,
        state.tz,
        r.id,
        date,
        start,
        end,
        &b.post,
        b.user_id,
        opt(b.note),
    )
    .await?;
    audit::record(&*tx, auth.user.actor(), "shift.create", "duty_shift", Some(s.id.to_string()), json!({"roster_id": r.id, "date": s.date, "start_time": s.start_time, "end_time": s.end_time, "post": s.post, "user_id": s.user_id})).await?;
    tx.commit().await?;
    let users = users_by_id(&state.db.conn).await?;
    Ok(HttpResponse::Created().json(shift_response(s, &users)))
}

/// Remove a shift from a draft roster.
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[delete("/duty/shifts/{id}")]
pub async fn delete_shift(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let s = find_shift(&*tx, id.into_inner()).await?;
    require_draft(&find_roster(&*tx, s.roster_id).await?)?;
    shift::Entity::delete_by_id(s.id).exec(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "shift.delete",
        "duty_shift",
        Some(s.id.to_string()),
        json!({"roster_id": s.roster_id, "date": s.date, "post": s.post, "user_id": s.user_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatternSlot {
    /// `leader_on_call`, `duty_teacher` or `guard`.
    pub post: String,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`; at or before `start_time` means the next day.
    pub end_time: String,
    /// Who rotates through this slot, in order.
    pub user_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    /// Each day of the roster gets one shift per slot. Slots of the same post rotate
    /// together: on day `d` the `k`-th slot of a post takes `user_ids[(d + k) % len]`, so two
    /// guards on a day slot and a night slot swap day and night every day, and a single leader
    /// slot gives one leader per day in turn.
    pub slots: Vec<PatternSlot>,
    /// Delete the roster's existing shifts first (default `true`).
    pub replace: Option<bool>,
}

/// Fill a draft roster from a pattern (e.g. guards rotating day/night, one leader per day).
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    request_body = GenerateRequest,
    responses((status = 200, body = RosterResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/duty/rosters/{id}/generate")]
pub async fn generate_shifts(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<GenerateRequest>,
) -> AppResult<web::Json<RosterResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let r = find_roster(&*tx, id.into_inner()).await?;
    require_draft(&r)?;
    let users = users_by_id(&*tx).await?;
    let mut v = Validator::new();
    if b.slots.is_empty() || b.slots.len() > 20 {
        v.add("slots", "invalid", "至少一个、最多 20 个班次模板");
    }
    for (i, s) in b.slots.iter().enumerate() {
        if !POSTS.contains(&s.post.as_str()) {
            v.add(&format!("slots[{i}].post"), "invalid", "岗位无效");
        }
        if parse_time(&s.start_time).is_none() {
            v.add(
                &format!("slots[{i}].start_time"),
                "invalid",
                "时间格式应为 HH:MM",
            );
        }
        if parse_time(&s.end_time).is_none() {
            v.add(
                &format!("slots[{i}].end_time"),
                "invalid",
                "时间格式应为 HH:MM",
            );
        }
        if s.user_ids.is_empty() || s.user_ids.len() > 100 {
            v.add(&format!("slots[{i}].user_ids"), "required", "至少一人");
        }
        if s.user_ids.iter().any(|u| !users.contains_key(u)) {
            v.add(&format!("slots[{i}].user_ids"), "not_found", "人员不存在");
        }
    }
    v.finish()?;
    let slots = generate(&r, &b.slots);
    if b.replace.unwrap_or(true) {
        shift::Entity::delete_many()
            .filter(shift::Column::RosterId.eq(r.id))
            .exec(&*tx)
            .await?;
    }
    let count = slots.len();
    for s in slots {
        insert_shift(
            &*tx, state.tz, r.id, s.date, s.start, s.end, &s.post, s.user_id, s.note,
        )
        .await?;
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        "roster.generate",
        "duty_roster",
        Some(r.id.to_string()),
        json!({"shifts": count, "replace": b.replace.unwrap_or(true)}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(roster_response(&state.db.conn, r).await?))
}

/// The rotation rule (pure): see `GenerateRequest`.
fn generate(r: &roster::Model, slots: &[PatternSlot]) -> Vec<NewShift> {
    let (Some(start), Some(end)) = (parse_date(&r.start_date), parse_date(&r.end_date)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut day = start;
    let mut d = 0usize;
    while day <= end {
        let mut per_post: HashMap<&str, usize> = HashMap::new();
        for s in slots {
            let k = per_post.entry(s.post.as_str()).or_insert(0);
            let (Some(st), Some(en)) = (parse_time(&s.start_time), parse_time(&s.end_time)) else {
                continue;
            };
            if !s.user_ids.is_empty() {
                out.push(NewShift {
                    date: day,
                    start: st,
                    end: en,
                    post: s.post.clone(),
                    user_id: s.user_ids[(d + *k) % s.user_ids.len()],
                    note: None,
                });
            }
            *k += 1;
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
        d += 1;
    }
    out
}

/// Everything that should stop a roster from being published.
pub async fn roster_conflicts(
    db: &impl ConnectionTrait,
    r: &roster::Model,
) -> AppResult<Vec<Conflict>> {
    let shifts = shifts_of(db, r.id).await?;
    let users = users_by_id(db).await?;
    let mut out = Vec::new();
    for s in &shifts {
        if users.get(&s.user_id).is_none_or(|u| !u.is_active) {
            out.push(Conflict {
                kind: "user_disabled".into(),
                date: s.date.clone(),
                shift_ids: vec![s.id],
                user_id: Some(s.user_id),
                message: format!(
                    "{} {}–{} 的值班人员账号已停用",
                    s.date, s.start_time, s.end_time
                ),
            });
        }
    }
    for s in &shifts {
        if parse_date(&s.date).is_none_or(|d| !in_roster(r, d)) {
            out.push(Conflict {
                kind: "outside_range".into(),
                date: s.date.clone(),
                shift_ids: vec![s.id],
                user_id: Some(s.user_id),
                message: format!("{} 的班次不在值班表的日期范围内", s.date),
            });
        }
    }
    // The same person twice at once, within this roster or against other published rosters.
    let mut others: Vec<shift::Model> = Vec::new();
    if let (Some(min), Some(max)) = (
        shifts.iter().map(|s| s.starts_at).min(),
        shifts.iter().map(|s| s.ends_at).max(),
    ) {
        let published: Vec<Uuid> = roster::Entity::find()
            .filter(roster::Column::Status.eq(PUBLISHED))
            .filter(roster::Column::Id.ne(r.id))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        if !published.is_empty() {
            others = shift::Entity::find()
                .filter(shift::Column::RosterId.is_in(published))
                .filter(shift::Column::StartsAt.lt(max))
                .filter(shift::Column::EndsAt.gt(min))
                .all(db)
                .await?;
        }
    }
    for (i, a) in shifts.iter().enumerate() {
        for b in shifts[i + 1..].iter().chain(others.iter()) {
            if a.user_id == b.user_id && a.starts_at < b.ends_at && b.starts_at < a.ends_at {
                out.push(Conflict {
                    kind: "overlap".into(),
                    date: a.date.clone(),
                    shift_ids: vec![a.id, b.id],
                    user_id: Some(a.user_id),
                    message: format!(
                        "同一人员的班次时间重叠:{} {}–{} 与 {} {}–{}",
                        a.date, a.start_time, a.end_time, b.date, b.start_time, b.end_time
                    ),
                });
            }
        }
    }
    let leader_days: BTreeSet<&str> = shifts
        .iter()
        .filter(|s| s.post == "leader_on_call")
        .map(|s| s.date.as_str())
        .collect();
    if let (Some(mut day), Some(end)) = (parse_date(&r.start_date), parse_date(&r.end_date)) {
        while day <= end {
            let ds = fmt_date(day);
            if !leader_days.contains(ds.as_str()) {
                out.push(Conflict {
                    kind: "no_leader".into(),
                    message: format!("{ds} 没有值班领导"),
                    date: ds,
                    shift_ids: vec![],
                    user_id: None,
                });
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
    }
    Ok(out)
}

/// What would stop this roster from being published.
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Conflict>), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[get("/duty/rosters/{id}/conflicts")]
pub async fn get_conflicts(
    _auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<Vec<Conflict>>> {
    let db = &state.db.conn;
    let r = find_roster(db, id.into_inner()).await?;
    Ok(web::Json(roster_conflicts(db, &r).await?))
}

/// Publish a draft roster. Refused with `409 roster_conflicts` listing every conflict (in
/// `errors`: `field` is `date:<YYYY-MM-DD>` or `shift:<id>`, `code` the conflict kind).
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = RosterResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, description = "`roster_conflicts`, `roster_published`", body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/duty/rosters/{id}/publish")]
pub async fn publish_roster(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<RosterResponse>> {
    let tx = state.db.begin_write().await?;
    let r = find_roster(&*tx, id.into_inner()).await?;
    require_draft(&r)?;
    let conflicts = roster_conflicts(&*tx, &r).await?;
    if !conflicts.is_empty() {
        return Err(ApiError {
            errors: conflicts
                .into_iter()
                .map(|c| FieldError {
                    field: match c.shift_ids.first() {
                        Some(id) => format!("shift:{id}"),
                        None => format!("date:{}", c.date),
                    },
                    code: c.kind,
                    message: c.message,
                    line: None,
                })
                .collect(),
            ..ApiError::conflict(
                ErrorCode::RosterConflicts,
                "值班表存在冲突,请先处理后再发布",
            )
        });
    }
    let mut a: roster::ActiveModel = r.clone().into();
    let now = crate::infra::util::now();
    a.status = Set(PUBLISHED.into());
    a.published_at = Set(Some(now));
    a.updated_at = Set(now);
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "roster.publish",
        "duty_roster",
        Some(after.id.to_string()),
        json!({"before": audit_roster(&r), "after": audit_roster(&after)}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(roster_response(&state.db.conn, after).await?))
}

// ---------- on duty ----------

async fn published_ids(db: &impl ConnectionTrait) -> Result<Vec<Uuid>, DbErr> {
    Ok(roster::Entity::find()
        .filter(roster::Column::Status.eq(PUBLISHED))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Whether the person is on a published roster today as leader on call or duty teacher:
/// that is what makes a teacher a 值周教师 who may spot-check other classes.
pub async fn is_on_duty_today(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    tz: chrono_tz::Tz,
) -> Result<bool, DbErr> {
    is_on_duty_on(db, user_id, today(tz)).await
}

/// The same, for a given local date.
pub async fn is_on_duty_on(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    date: NaiveDate,
) -> Result<bool, DbErr> {
    let published = published_ids(db).await?;
    if published.is_empty() {
        return Ok(false);
    }
    Ok(shift::Entity::find()
        .filter(shift::Column::RosterId.is_in(published))
        .filter(shift::Column::UserId.eq(user_id))
        .filter(shift::Column::Date.eq(fmt_date(date)))
        .filter(shift::Column::Post.is_in(["leader_on_call", "duty_teacher"]))
        .one(db)
        .await?
        .is_some())
}

/// Published shifts running at `at`.
pub async fn on_duty_at(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
) -> AppResult<Vec<ShiftResponse>> {
    let published = published_ids(db).await?;
    if published.is_empty() {
        return Ok(vec![]);
    }
    let rows = shift::Entity::find()
        .filter(shift::Column::RosterId.is_in(published))
        .filter(shift::Column::StartsAt.lte(at))
        .filter(shift::Column::EndsAt.gt(at))
        .order_by_asc(shift::Column::Post)
        .order_by_asc(shift::Column::StartsAt)
        .all(db)
        .await?;
    let users = users_by_id(db).await?;
    Ok(rows
        .into_iter()
        .map(|s| shift_response(s, &users))
        .collect())
}

/// Who is on duty right now (published rosters), with phones.
#[utoipa::path(
    tag = "duty",
    responses((status = 200, body = Vec<ShiftResponse>), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/now")]
pub async fn duty_now(
    _auth: Auth<Staff>,
    state: State,
) -> AppResult<web::Json<Vec<ShiftResponse>>> {
    Ok(web::Json(
        on_duty_at(&state.db.conn, crate::infra::util::now()).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyDutyStatus {
    /// On a published roster today as leader on call or duty teacher: a teacher who is may
    /// spot-check other classes as 值周教师.
    pub on_duty_today: bool,
    /// My shifts running right now.
    pub current_shifts: Vec<ShiftResponse>,
}

/// Am I on duty today (and now)?
#[utoipa::path(
    tag = "duty",
    responses((status = 200, body = MyDutyStatus)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/me")]
pub async fn my_duty_status(auth: Auth<Staff>, state: State) -> AppResult<web::Json<MyDutyStatus>> {
    let db = &state.db.conn;
    let on_duty_today = is_on_duty_today(db, auth.user.id, state.tz).await?;
    let current_shifts = on_duty_at(db, crate::infra::util::now())
        .await?
        .into_iter()
        .filter(|s| s.user_id == auth.user.id)
        .collect();
    Ok(web::Json(MyDutyStatus {
        on_duty_today,
        current_shifts,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MyShiftsQuery {
    /// From this local date (default: today).
    pub from: Option<String>,
    /// Up to this local date (default: 60 days after `from`).
    pub to: Option<String>,
}

async fn user_shifts(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    from: &str,
    to: &str,
) -> AppResult<Vec<shift::Model>> {
    let published = published_ids(db).await?;
    if published.is_empty() {
        return Ok(vec![]);
    }
    Ok(shift::Entity::find()
        .filter(shift::Column::RosterId.is_in(published))
        .filter(shift::Column::UserId.eq(user_id))
        .filter(shift::Column::Date.gte(from))
        .filter(shift::Column::Date.lte(to))
        .order_by_asc(shift::Column::StartsAt)
        .limit(500)
        .all(db)
        .await?)
}

/// The signed-in person's shifts on published rosters.
#[utoipa::path(
    tag = "duty",
    params(MyShiftsQuery),
    responses((status = 200, body = Vec<ShiftResponse>), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/my-shifts")]
pub async fn my_shifts(
    auth: Auth<Staff>,
    state: State,
    query: web::Query<MyShiftsQuery>,
) -> AppResult<web::Json<Vec<ShiftResponse>>> {
    let mut v = Validator::new();
    let from = match &query.from {
        Some(f) => check_date(&mut v, "from", f),
        None => Some(today(state.tz)),
    };
    let to = match (&query.to, from) {
        (Some(t), _) => check_date(&mut v, "to", t),
        (None, Some(f)) => Some(f + Duration::days(60)),
        _ => None,
    };
    v.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::internal());
    };
    let db = &state.db.conn;
    let rows = user_shifts(db, auth.user.id, &fmt_date(from), &fmt_date(to)).await?;
    let users = users_by_id(db).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|s| shift_response(s, &users))
            .collect(),
    ))
}

// ---------- swaps ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct SwapResponse {
    pub id: Uuid,
    pub shift_id: Uuid,
    pub roster_id: Uuid,
    pub date: String,
    pub start_time: String,
    pub end_time: String,
    pub post: String,
    pub requester_id: Uuid,
    pub requester_name: String,
    pub target_user_id: Uuid,
    pub target_name: String,
    pub reason: Option<String>,
    /// `requested` → `accepted` → `approved`; or `declined` (by the other person),
    /// `rejected` (by the office), `cancelled` (by the requester).
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub decision_comment: Option<String>,
}

async fn swap_response(db: &impl ConnectionTrait, w: swap::Model) -> AppResult<SwapResponse> {
    let users = users_by_id(db).await?;
    let s = find_shift(db, w.shift_id).await?;
    Ok(swap_resp(w, &s, &users))
}

fn swap_resp(w: swap::Model, s: &shift::Model, users: &HashMap<Uuid, user::Model>) -> SwapResponse {
    let name = |id: &Uuid| {
        users
            .get(id)
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    };
    SwapResponse {
        requester_name: name(&w.requester_id),
        target_name: name(&w.target_user_id),
        id: w.id,
        shift_id: w.shift_id,
        roster_id: s.roster_id,
        date: s.date.clone(),
        start_time: s.start_time.clone(),
        end_time: s.end_time.clone(),
        post: s.post.clone(),
        requester_id: w.requester_id,
        target_user_id: w.target_user_id,
        reason: w.reason,
        status: w.status,
        created_at: w.created_at,
        responded_at: w.responded_at,
        decided_at: w.decided_at,
        decided_by: w.decided_by,
        decision_comment: w.decision_comment,
    }
}

fn audit_swap(w: &swap::Model) -> serde_json::Value {
    json!({"shift_id": w.shift_id, "requester_id": w.requester_id, "target_user_id": w.target_user_id, "status": w.status, "reason": w.reason, "decision_comment": w.decision_comment})
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestSwapRequest {
    /// Who should take the shift.
    pub target_user_id: Uuid,
    pub reason: Option<String>,
}

/// Ask someone to take one of my shifts (published rosters). The other person accepts, then
/// the office approves.
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    request_body = RequestSwapRequest,
    responses((status = 201, body = SwapResponse), (status = 403, description = "`not_your_shift`", body = crate::infra::error::Problem), (status = 404, body = crate::infra::error::Problem), (status = 409, description = "`roster_not_published`, `swap_pending`, `shift_started`", body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[post("/duty/shifts/{id}/swaps")]
pub async fn request_swap(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<RequestSwapRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let s = find_shift(&*tx, id.into_inner()).await?;
    let r = find_roster(&*tx, s.roster_id).await?;
    if r.status != PUBLISHED {
        if !auth.user.is(Role::SecurityOffice) {
            return Err(ApiError::not_found(ErrorCode::ShiftNotFound, "班次不存在"));
        }
        return Err(ApiError::conflict(
            ErrorCode::RosterNotPublished,
            "值班表尚未发布,请直接修改班次",
        ));
    }
    if s.user_id != auth.user.id {
        return Err(ApiError::forbidden(
            ErrorCode::NotYourShift,
            "只能为自己的班次申请换班",
        ));
    }
    if s.starts_at <= crate::infra::util::now() {
        return Err(ApiError::conflict(
            ErrorCode::ShiftStarted,
            "班次已开始或已结束,不能再换班",
        ));
    }
    let mut v = Validator::new();
    match user::Entity::find_by_id(b.target_user_id).one(&*tx).await? {
        None => v.add("target_user_id", "not_found", "人员不存在"),
        Some(t) if !t.is_active => v.add("target_user_id", "invalid", "该人员账号已停用"),
        Some(t) if t.id == auth.user.id => v.add("target_user_id", "invalid", "不能与自己换班"),
        Some(t) if t.role == Role::SafetyOfficer.as_str() => {
            v.add("target_user_id", "invalid", "学生不能值班")
        }
        _ => {}
    }
    v.opt_text("reason", b.reason.as_deref(), 500);
    v.finish()?;
    let pending = swap::Entity::find()
        .filter(swap::Column::ShiftId.eq(s.id))
        .filter(swap::Column::Status.is_in(["requested", "accepted"]))
        .one(&*tx)
        .await?;
    if pending.is_some() {
        return Err(ApiError::conflict(
            ErrorCode::SwapPending,
            "该班次已有进行中的换班申请",
        ));
    }
    let w = swap::ActiveModel {
        id: Set(Uuid::now_v7()),
        shift_id: Set(s.id),
        requester_id: Set(auth.user.id),
        target_user_id: Set(b.target_user_id),
        reason: Set(opt(b.reason)),
        status: Set("requested".into()),
        created_at: Set(crate::infra::util::now()),
        responded_at: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        decision_comment: Set(None),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "swap.request",
        "duty_swap",
        Some(w.id.to_string()),
        json!({"after": audit_swap(&w)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(swap_response(&state.db.conn, w).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SwapQuery {
    pub roster_id: Option<Uuid>,
    pub shift_id: Option<Uuid>,
    pub status: Option<String>,
}

/// Swap requests and their history, newest first. The office and the principal see all;
/// others see the ones they asked for or were asked.
#[utoipa::path(
    tag = "duty",
    params(SwapQuery),
    responses((status = 200, body = Vec<SwapResponse>)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/swaps")]
pub async fn list_swaps(
    auth: Auth<Staff>,
    state: State,
    query: web::Query<SwapQuery>,
) -> AppResult<web::Json<Vec<SwapResponse>>> {
    let db = &state.db.conn;
    let q = query.into_inner();
    let mut select = swap::Entity::find();
    if !(auth.user.is(Role::SecurityOffice) || auth.user.is(Role::Principal)) {
        select = select.filter(
            sea_orm::Condition::any()
                .add(swap::Column::RequesterId.eq(auth.user.id))
                .add(swap::Column::TargetUserId.eq(auth.user.id)),
        );
    }
    if let Some(s) = q.shift_id {
        select = select.filter(swap::Column::ShiftId.eq(s));
    }
    if let Some(r) = q.roster_id {
        let ids: Vec<Uuid> = shifts_of(db, r).await?.into_iter().map(|s| s.id).collect();
        select = select.filter(swap::Column::ShiftId.is_in(ids));
    }
    if let Some(st) = &q.status {
        select = select.filter(swap::Column::Status.eq(st.as_str()));
    }
    let rows = select
        .order_by_desc(swap::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let users = users_by_id(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for w in rows {
        let s = find_shift(db, w.shift_id).await?;
        out.push(swap_resp(w, &s, &users));
    }
    Ok(web::Json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwapDecisionRequest {
    pub comment: Option<String>,
}

async fn find_swap(db: &impl ConnectionTrait, id: Uuid) -> AppResult<swap::Model> {
    swap::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::SwapNotFound, "换班申请不存在"))
}

fn wrong_state() -> ApiError {
    ApiError::conflict(ErrorCode::SwapWrongState, "换班申请当前状态不允许此操作")
}

/// One step of a swap: who may take it, from which state, to which.
async fn swap_step(
    state: &State,
    me: &CurrentUser,
    id: Uuid,
    action: &str,
    comment: Option<String>,
) -> AppResult<SwapResponse> {
    let tx = state.db.begin_write().await?;
    let before = find_swap(&*tx, id).await?;
    let office = me.is(Role::SecurityOffice);
    let involved = before.requester_id == me.id || before.target_user_id == me.id;
    if !office && !involved && !me.is(Role::Principal) {
        return Err(ApiError::not_found(
            ErrorCode::SwapNotFound,
            "换班申请不存在",
        ));
    }
    let (from, to): (&[&str], &str) = match action {
        "accept" => (&["requested"], "accepted"),
        "decline" => (&["requested"], "declined"),
        "cancel" => (&["requested", "accepted"], "cancelled"),
        "approve" => (&["accepted"], "approved"),
        _ => (&["requested", "accepted"], "rejected"),
    };
    let allowed = match action {
        "accept" | "decline" => before.target_user_id == me.id,
        "cancel" => before.requester_id == me.id,
        _ => office,
    };
    if !allowed {
        return Err(ApiError::forbidden(
            ErrorCode::SwapNotAllowed,
            "您不能对该换班申请执行此操作",
        ));
    }
    if !from.contains(&before.status.as_str()) {
        return Err(wrong_state());
    }
    let now = crate::infra::util::now();
    let mut a: swap::ActiveModel = before.clone().into();
    a.status = Set(to.into());
    match action {
        "accept" | "decline" => a.responded_at = Set(Some(now)),
        "approve" | "reject" => {
            a.decided_at = Set(Some(now));
            a.decided_by = Set(Some(me.id));
            a.decision_comment = Set(comment
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()));
        }
        _ => {}
    }
    if action == "approve" {
        let s = find_shift(&*tx, before.shift_id).await?;
        if s.user_id != before.requester_id {
            return Err(wrong_state());
        }
        let target = user::Entity::find_by_id(before.target_user_id)
            .one(&*tx)
            .await?
            .filter(|u| u.is_active)
            .ok_or_else(|| ApiError::conflict(ErrorCode::SwapConflict, "接班人员账号已停用"))?;
        let published = published_ids(&*tx).await?;
        let clash = shift::Entity::find()
            .filter(shift::Column::RosterId.is_in(published))
            .filter(shift::Column::UserId.eq(target.id))
            .filter(shift::Column::Id.ne(s.id))
            .filter(shift::Column::StartsAt.lt(s.ends_at))
            .filter(shift::Column::EndsAt.gt(s.starts_at))
            .one(&*tx)
            .await?;
        if clash.is_some() {
            return Err(ApiError::conflict(
                ErrorCode::SwapConflict,
                "接班人员在该时段已有其他班次",
            ));
        }
        let mut sa: shift::ActiveModel = s.clone().into();
        sa.user_id = Set(target.id);
        sa.update(&*tx).await?;
        audit::record(&*tx, me.actor(), "shift.reassign", "duty_shift", Some(s.id.to_string()), json!({"before": {"user_id": s.user_id}, "after": {"user_id": target.id}, "swap_id": before.id})).await?;
    }
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        me.actor(),
        &format!("swap.{action}"),
        "duty_swap",
        Some(after.id.to_string()),
        json!({"before": audit_swap(&before), "after": audit_swap(&after)}),
    )
    .await?;
    tx.commit().await?;
    swap_response(&state.db.conn, after).await
}

macro_rules! swap_endpoint {
    ($fn:ident, $path:literal, $action:literal, $doc:literal, [$($role:literal),+], $set:ty) => {
        #[doc = $doc]
        #[utoipa::path(
            tag = "duty",
            params(("id" = Uuid, Path)),
            request_body = SwapDecisionRequest,
            responses((status = 200, body = SwapResponse), (status = 403, body = crate::infra::error::Problem), (status = 404, body = crate::infra::error::Problem), (status = 409, description = "`swap_wrong_state`, `swap_conflict`", body = crate::infra::error::Problem)),
            security(("bearer" = [$($role),+]))
        )]
        #[post($path)]
        pub async fn $fn(
            auth: Auth<$set>,
            state: State,
            id: web::Path<Uuid>,
            body: web::Json<SwapDecisionRequest>,
        ) -> AppResult<web::Json<SwapResponse>> {
            let mut v = Validator::new();
            v.opt_text("comment", body.comment.as_deref(), 500);
            v.finish()?;
            Ok(web::Json(swap_step(&state, &auth.user, id.into_inner(), $action, body.into_inner().comment).await?))
        }
    };
}

swap_endpoint!(
    accept_swap,
    "/duty/swaps/{id}/accept",
    "accept",
    "The person asked accepts; the office then approves.",
    ["principal", "security_office", "class_teacher", "guard"],
    Staff
);
swap_endpoint!(
    decline_swap,
    "/duty/swaps/{id}/decline",
    "decline",
    "The person asked declines.",
    ["principal", "security_office", "class_teacher", "guard"],
    Staff
);
swap_endpoint!(
    cancel_swap,
    "/duty/swaps/{id}/cancel",
    "cancel",
    "The requester withdraws the request.",
    ["principal", "security_office", "class_teacher", "guard"],
    Staff
);
swap_endpoint!(
    approve_swap,
    "/duty/swaps/{id}/approve",
    "approve",
    "The office approves an accepted swap: the shift passes to the other person (`409 swap_conflict` if they are busy then).",
    ["security_office"],
    Office
);
swap_endpoint!(
    reject_swap,
    "/duty/swaps/{id}/reject",
    "reject",
    "The office rejects a swap.",
    ["security_office"],
    Office
);

// ---------- personal calendar feed ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeedResponse {
    pub active: bool,
    pub created_at: Option<DateTime<Utc>>,
    /// Only in the answer to `POST`: the secret URL (path) to give a calendar app. It is
    /// stored hashed and cannot be shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

async fn active_feed(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Option<feed::Model>> {
    Ok(feed::Entity::find()
        .filter(feed::Column::UserId.eq(user_id))
        .filter(feed::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

async fn revoke_feeds(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<u64> {
    let res = feed::Entity::update_many()
        .col_expr(
            feed::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(crate::infra::util::now()),
        )
        .filter(feed::Column::UserId.eq(user_id))
        .filter(feed::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Whether I have a calendar feed.
#[utoipa::path(
    tag = "duty",
    responses((status = 200, body = CalendarFeedResponse)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/calendar-feed")]
pub async fn get_feed(
    auth: Auth<Staff>,
    state: State,
) -> AppResult<web::Json<CalendarFeedResponse>> {
    let f = active_feed(&state.db.conn, auth.user.id).await?;
    Ok(web::Json(CalendarFeedResponse {
        active: f.is_some(),
        created_at: f.map(|f| f.created_at),
        url: None,
    }))
}

/// Create (or replace) my calendar feed: a secret URL calendar apps can poll. Any earlier URL
/// stops working.
#[utoipa::path(
    tag = "duty",
    responses((status = 201, body = CalendarFeedResponse)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[post("/duty/calendar-feed")]
pub async fn create_feed(auth: Auth<Staff>, state: State) -> AppResult<HttpResponse> {
    let token = crate::infra::util::random_token(32).map_err(|_| ApiError::internal())?;
    let tx = state.db.begin_write().await?;
    let revoked = revoke_feeds(&*tx, auth.user.id).await?;
    let f = feed::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(auth.user.id),
        token_hash: Set(crate::infra::util::sha256_hex(&token)),
        created_at: Set(crate::infra::util::now()),
        revoked_at: Set(None),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "calendar_feed.create",
        "calendar_feed",
        Some(f.id.to_string()),
        json!({"replaced": revoked}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(CalendarFeedResponse {
        active: true,
        created_at: Some(f.created_at),
        url: Some(format!("/api/v1/duty/calendar/{token}")),
    }))
}

/// Revoke my calendar feed: its URL answers 404 from now on.
#[utoipa::path(
    tag = "duty",
    responses((status = 204)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[delete("/duty/calendar-feed")]
pub async fn revoke_feed(auth: Auth<Staff>, state: State) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let n = revoke_feeds(&*tx, auth.user.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "calendar_feed.revoke",
        "calendar_feed",
        None,
        json!({"revoked": n}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

fn post_label(post: &str) -> &'static str {
    match post {
        "leader_on_call" => "值班领导",
        "duty_teacher" => "值班教师",
        _ => "保安值班",
    }
}

/// Builds the RFC 5545 calendar of a person's shifts.
pub fn ics_for(shifts: &[(shift::Model, String)]) -> String {
    use icalendar::{Calendar, Component, EventLike};
    let mut cal = Calendar::new();
    cal.name("校安 · 我的值班");
    // Calendar apps that honour it poll hourly, so swaps show up the same day.
    cal.ttl(&Duration::hours(1));
    for (s, roster_title) in shifts {
        let event = icalendar::Event::new()
            .uid(&format!("{}@xiaoan", s.id))
            .summary(&format!("{} · {roster_title}", post_label(&s.post)))
            .description(&format!("{} {}–{}", s.date, s.start_time, s.end_time))
            .starts(s.starts_at)
            .ends(s.ends_at)
            .done();
        cal.push(event);
    }
    cal.done().to_string()
}

/// The personal calendar feed (text/calendar): published shifts from 30 days ago on. Public:
/// the secret token in the path is the credential; a revoked or unknown one is 404.
#[utoipa::path(
    tag = "duty",
    params(("token" = String, Path)),
    responses(
        (status = 200, description = "An iCalendar (RFC 5545) document", content_type = "text/calendar", body = String),
        (status = 404, body = crate::infra::error::Problem)
    ),
    security(())
)]
#[get("/duty/calendar/{token}")]
pub async fn calendar_feed(state: State, token: web::Path<String>) -> AppResult<HttpResponse> {
    let db = &state.db.conn;
    let hash = crate::infra::util::sha256_hex(token.trim());
    let f = feed::Entity::find()
        .filter(feed::Column::TokenHash.eq(hash))
        .filter(feed::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::FeedNotFound, "日历订阅不存在或已撤销"))?;
    let from = fmt_date(today(state.tz) - Duration::days(30));
    let rows = user_shifts(db, f.user_id, &from, "9999-12-31").await?;
    let titles: HashMap<Uuid, String> = roster::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.title))
        .collect();
    let shifts: Vec<(shift::Model, String)> = rows
        .into_iter()
        .map(|s| {
            let t = titles.get(&s.roster_id).cloned().unwrap_or_default();
            (s, t)
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .body(ics_for(&shifts)))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_rosters)
        .service(create_roster)
        .service(get_roster)
        .service(update_roster)
        .service(delete_roster)
        .service(create_shift)
        .service(delete_shift)
        .service(generate_shifts)
        .service(get_conflicts)
        .service(publish_roster)
        .service(duty_now)
        .service(my_shifts)
        .service(my_duty_status)
        .service(request_swap)
        .service(list_swaps)
        .service(accept_swap)
        .service(decline_swap)
        .service(cancel_swap)
        .service(approve_swap)
        .service(reject_swap)
        .service(get_feed)
        .service(create_feed)
        .service(revoke_feed)
        .service(calendar_feed);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster(start: &str, end: &str) -> roster::Model {
        let now = Utc::now();
        roster::Model {
            id: Uuid::nil(),
            title: "t".into(),
            start_date: start.into(),
            end_date: end.into(),
            status: DRAFT.into(),
            report_to: None,
            reported_at: None,
            notify: None,
            note: None,
            created_by: None,
            created_at: now,
            updated_at: now,
            published_at: None,
        }
    }

    #[test]
    fn guards_alternate_day_and_night_and_leaders_rotate_daily() {
        let (a, b, l1, l2) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
        );
        let slots = vec![
            PatternSlot {
                post: "guard".into(),
                start_time: "08:00".into(),
                end_time: "20:00".into(),
                user_ids: vec![a, b],
            },
            PatternSlot {
                post: "guard".into(),
                start_time: "20:00".into(),
                end_time: "08:00".into(),
                user_ids: vec![a, b],
            },
            PatternSlot {
                post: "leader_on_call".into(),
                start_time: "08:00".into(),
                end_time: "08:00".into(),
                user_ids: vec![l1, l2],
            },
        ];
        let out = generate(&roster("2020-04-04", "2020-04-06"), &slots);
        assert_eq!(out.len(), 9);
        let who: Vec<Uuid> = out.iter().map(|s| s.user_id).collect();
        assert_eq!(who, vec![a, b, l1, b, a, l2, a, b, l1]);
    }

    #[test]
    fn night_shift_ends_next_day() {
        let tz: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2020, 4, 4).unwrap();
        let (s, e) = shift_instants(
            tz,
            d,
            parse_time("20:00").unwrap(),
            parse_time("08:00").unwrap(),
        )
        .unwrap();
        assert_eq!(s.to_rfc3339(), "2020-04-04T12:00:00+00:00");
        assert_eq!(e.to_rfc3339(), "2020-04-05T00:00:00+00:00");
    }
}
