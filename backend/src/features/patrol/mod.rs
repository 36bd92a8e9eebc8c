//! Patrol checkpoints (安保巡查). The office places checkpoints, each with a printed QR code
//! holding a random value (no personal data), and defines routes: ordered checkpoints, each
//! expected a number of minutes after the start, within a tolerance, and the route's daily
//! scheduled start times.
//!
//! A guard starts a patrol run on a route; the run copies the route's active checkpoints with
//! their expected times (start + offset), so later edits to the route never rewrite history.
//! The guard scans each checkpoint's QR code, may note an observation or report a hazard on
//! the spot (a real hazard, located at the checkpoint), and finishes the run.
//!
//! A checkpoint of a run is:
//! - `on_time`: scanned no later than its expected time + tolerance (early counts as on time);
//! - `late`: scanned after that;
//! - `missed`: not scanned, and the run is finished, or its expected time + tolerance has
//!   passed (so an abandoned run shows its missed checkpoints the same day; a guard may still
//!   scan it afterwards while the run is open, and it becomes `late`);
//! - `pending`: not scanned yet, still within its time.
//!
//! A scheduled start (route × start time × day) with no run started within
//! [`SLOT_WINDOW_MINUTES`] of it counts as not started: every checkpoint of the route is
//! missed (reason `not_started`) once that window has passed.

pub use crate::schema::patrol as model;

use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::{GuardOrOffice, Office, OfficeOrPrincipal, PatrolReaders, Role};
use crate::features::audit;
use crate::features::hazards::ReportHazardRequest;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use crate::schema::users as user;
use actix_web::{HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use model::{checkpoint, point, route, run};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A run started within this many minutes of a scheduled start fulfils it; a scheduled start
/// with no run by then is `not_started`.
pub const SLOT_WINDOW_MINUTES: i64 = 120;
/// Prefix of a checkpoint QR value, so a scanner can tell it from a leave pass.
pub const CODE_PREFIX: &str = "XAPC-";
const MAX_POINTS: usize = 50;
const MAX_START_TIMES: usize = 12;

fn new_code() -> AppResult<String> {
    let t = crate::infra::util::random_token(18).map_err(|_| ApiError::internal())?;
    Ok(format!("{CODE_PREFIX}{t}"))
}

fn opt(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

// ---------- checkpoints ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointResponse {
    pub id: Uuid,
    /// e.g. `南门`.
    pub name: String,
    /// e.g. `南门岗亭外侧立柱`.
    pub location: String,
    /// The value in its QR code.
    pub code: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn checkpoint_response(c: checkpoint::Model) -> CheckpointResponse {
    CheckpointResponse {
        id: c.id,
        name: c.name,
        location: c.location,
        code: c.code,
        active: c.active,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCheckpointRequest {
    pub name: String,
    #[serde(default)]
    pub location: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCheckpointRequest {
    pub name: Option<String>,
    pub location: Option<String>,
    pub active: Option<bool>,
    /// Issue a new QR value (the old label stops working: reprint it).
    #[serde(default)]
    pub regenerate_code: bool,
}

/// Every checkpoint, active first, by name.
#[utoipa::path(
    tag = "patrol",
    responses((status = 200, body = Vec<CheckpointResponse>)),
    security(("bearer" = ["security_office", "principal"]))
)]
#[get("/patrol-checkpoints")]
pub async fn list_checkpoints(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
) -> AppResult<web::Json<Vec<CheckpointResponse>>> {
    let rows = checkpoint::Entity::find()
        .order_by_desc(checkpoint::Column::Active)
        .order_by_asc(checkpoint::Column::Name)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(
        rows.into_iter().map(checkpoint_response).collect(),
    ))
}

/// Place a checkpoint; it gets a random QR value.
#[utoipa::path(
    tag = "patrol",
    request_body = CreateCheckpointRequest,
    responses(
        (status = 201, body = CheckpointResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/patrol-checkpoints")]
pub async fn create_checkpoint(
    auth: Auth<Office>,
    state: State,
    body: web::Json<CreateCheckpointRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("name", &b.name, 1, 100);
    v.opt_text("location", Some(&b.location), 200);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let now = crate::infra::util::now();
    let row = checkpoint::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(b.name.trim().to_owned()),
        location: Set(b.location.trim().to_owned()),
        code: Set(new_code()?),
        active: Set(b.active),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "patrol_checkpoint.create",
        "patrol_checkpoint",
        Some(row.id.to_string()),
        json!({"name": row.name, "location": row.location, "active": row.active}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(checkpoint_response(row)))
}

/// Rename, move, (de)activate a checkpoint, or issue it a new QR value.
#[utoipa::path(
    tag = "patrol",
    params(("id" = Uuid, Path)),
    request_body = UpdateCheckpointRequest,
    responses(
        (status = 200, body = CheckpointResponse),
        (status = 404, description = "`patrol_checkpoint_not_found`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[patch("/patrol-checkpoints/{id}")]
pub async fn update_checkpoint(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<UpdateCheckpointRequest>,
) -> AppResult<web::Json<CheckpointResponse>> {
    let b = body.into_inner();
    let mut v = Validator::new();
    if let Some(n) = &b.name {
        v.text("name", n, 1, 100);
    }
    v.opt_text("location", b.location.as_deref(), 200);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let c = find_checkpoint(&*tx, id.into_inner()).await?;
    let mut a: checkpoint::ActiveModel = c.clone().into();
    if let Some(n) = b.name {
        a.name = Set(n.trim().to_owned());
    }
    if let Some(l) = b.location {
        a.location = Set(l.trim().to_owned());
    }
    if let Some(act) = b.active {
        a.active = Set(act);
    }
    if b.regenerate_code {
        a.code = Set(new_code()?);
    }
    a.updated_at = Set(crate::infra::util::now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "patrol_checkpoint.update",
        "patrol_checkpoint",
        Some(after.id.to_string()),
        json!({"name": after.name, "location": after.location, "active": after.active, "code_regenerated": b.regenerate_code}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(checkpoint_response(after)))
}

async fn find_checkpoint(db: &impl ConnectionTrait, id: Uuid) -> AppResult<checkpoint::Model> {
    checkpoint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PatrolCheckpointNotFound, "巡查点不存在"))
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A printable sheet of QR labels (HTML, A4, two per row) for every active checkpoint.
#[utoipa::path(
    tag = "patrol",
    responses((status = 200, description = "Printable HTML", content_type = "text/html", body = String)),
    security(("bearer" = ["security_office"]))
)]
#[get("/patrol-checkpoints/labels")]
pub async fn checkpoint_labels(_auth: Auth<Office>, state: State) -> AppResult<HttpResponse> {
    let rows = checkpoint::Entity::find()
        .filter(checkpoint::Column::Active.eq(true))
        .order_by_asc(checkpoint::Column::Name)
        .all(&state.db.conn)
        .await?;
    let mut html = String::from(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>巡查点二维码</title><style>\
         @page{size:A4;margin:12mm}body{font-family:sans-serif;margin:0}\
         .grid{display:grid;grid-template-columns:1fr 1fr;gap:8mm}\
         .label{border:1px dashed #999;padding:4mm;text-align:center;break-inside:avoid}\
         .label svg{width:60mm;height:60mm}.name{font-size:20pt;font-weight:bold}\
         .loc{font-size:11pt;color:#444}.hint{font-size:9pt;color:#777}\
         </style></head><body><div class=\"grid\">",
    );
    for c in &rows {
        html.push_str(&format!(
            "<div class=\"label\">{}<div class=\"name\">{}</div><div class=\"loc\">{}</div><div class=\"hint\">安保巡查点 · 请巡查人员扫码签到</div></div>",
            crate::infra::util::qr_svg(&c.code, qrcode::EcLevel::Q, 240)?,
            html_escape(&c.name),
            html_escape(&c.location),
        ));
    }
    html.push_str("</div></body></html>");
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

// ---------- routes ----------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutePointInput {
    pub checkpoint_id: Uuid,
    /// Minutes after the start the checkpoint is expected (0–1440, not decreasing).
    pub offset_minutes: i32,
    /// Minutes after the expected time it still counts as on time (0–240).
    pub tolerance_minutes: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoutePointResponse {
    pub checkpoint_id: Uuid,
    pub checkpoint_name: String,
    pub location: String,
    pub checkpoint_active: bool,
    pub offset_minutes: i32,
    pub tolerance_minutes: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RouteResponse {
    pub id: Uuid,
    pub name: String,
    /// Local scheduled start times `HH:MM`, ascending.
    pub start_times: Vec<String>,
    pub points: Vec<RoutePointResponse>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteRequest {
    /// e.g. `夜间巡查`.
    pub name: String,
    /// Local start times `HH:MM`, e.g. `["21:00", "06:00"]`.
    #[serde(default)]
    pub start_times: Vec<String>,
    /// The checkpoints in order (1–50, each once).
    pub points: Vec<RoutePointInput>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn points_of(r: &route::Model) -> Vec<RoutePointInput> {
    serde_json::from_str(&r.points).unwrap_or_default()
}

fn start_times_of(r: &route::Model) -> Vec<String> {
    serde_json::from_str(&r.start_times).unwrap_or_default()
}

fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

async fn route_responses(
    db: &impl ConnectionTrait,
    rows: Vec<route::Model>,
) -> AppResult<Vec<RouteResponse>> {
    let cps: HashMap<Uuid, checkpoint::Model> = checkpoint::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| RouteResponse {
            points: points_of(&r)
                .into_iter()
                .map(|p| {
                    let c = cps.get(&p.checkpoint_id);
                    RoutePointResponse {
                        checkpoint_id: p.checkpoint_id,
                        checkpoint_name: c.map(|c| c.name.clone()).unwrap_or_default(),
                        location: c.map(|c| c.location.clone()).unwrap_or_default(),
                        checkpoint_active: c.is_some_and(|c| c.active),
                        offset_minutes: p.offset_minutes,
                        tolerance_minutes: p.tolerance_minutes,
                    }
                })
                .collect(),
            start_times: start_times_of(&r),
            id: r.id,
            name: r.name,
            active: r.active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// Validates a route; returns its start times normalised and sorted.
async fn check_route(db: &impl ConnectionTrait, b: &RouteRequest) -> AppResult<Vec<String>> {
    let mut v = Validator::new();
    v.text("name", &b.name, 1, 100);
    let mut times = Vec::new();
    if b.start_times.len() > MAX_START_TIMES {
        v.add("start_times", "too_many", "最多 12 个开始时间");
    }
    for t in &b.start_times {
        match parse_hhmm(t) {
            Some(t) => times.push(t.format("%H:%M").to_string()),
            None => {
                v.add("start_times", "invalid", "时间格式应为 HH:MM");
                break;
            }
        }
    }
    times.sort();
    times.dedup();
    if b.points.is_empty() || b.points.len() > MAX_POINTS {
        v.add("points", "invalid", "路线须包含 1–50 个巡查点");
    }
    let mut seen = HashSet::new();
    let mut last = 0;
    for (i, p) in b.points.iter().enumerate() {
        let field = format!("points[{i}]");
        if !seen.insert(p.checkpoint_id) {
            v.add(
                &field,
                "duplicate_checkpoint",
                "同一巡查点在路线中只能出现一次",
            );
        }
        if !(0..=1440).contains(&p.offset_minutes) {
            v.add(&field, "invalid_offset", "预计时间应为开始后 0–1440 分钟");
        } else if p.offset_minutes < last {
            v.add(&field, "offset_not_ordered", "巡查点的预计时间须按顺序递增");
        } else {
            last = p.offset_minutes;
        }
        if !(0..=240).contains(&p.tolerance_minutes) {
            v.add(&field, "invalid_tolerance", "允许误差应为 0–240 分钟");
        }
        match checkpoint::Entity::find_by_id(p.checkpoint_id)
            .one(db)
            .await?
        {
            Some(c) if c.active => {}
            Some(_) => v.add(&field, "checkpoint_inactive", "巡查点已停用"),
            None => v.add(&field, "checkpoint_not_found", "巡查点不存在"),
        }
    }
    v.finish()?;
    Ok(times)
}

/// Every patrol route (guards pick one to start a patrol).
#[utoipa::path(
    tag = "patrol",
    responses((status = 200, body = Vec<RouteResponse>)),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/patrol-routes")]
pub async fn list_routes(
    _auth: Auth<PatrolReaders>,
    state: State,
) -> AppResult<web::Json<Vec<RouteResponse>>> {
    let db = &state.db.conn;
    let rows = route::Entity::find()
        .order_by_desc(route::Column::Active)
        .order_by_asc(route::Column::Name)
        .all(db)
        .await?;
    Ok(web::Json(route_responses(db, rows).await?))
}

/// Define a route: ordered active checkpoints with expected offsets and tolerances, and its
/// scheduled start times.
#[utoipa::path(
    tag = "patrol",
    request_body = RouteRequest,
    responses(
        (status = 201, body = RouteResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/patrol-routes")]
pub async fn create_route(
    auth: Auth<Office>,
    state: State,
    body: web::Json<RouteRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let times = check_route(&*tx, &b).await?;
    let now = crate::infra::util::now();
    let row = route::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(b.name.trim().to_owned()),
        start_times: Set(json!(times).to_string()),
        points: Set(json!(b.points).to_string()),
        active: Set(b.active),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "patrol_route.create",
        "patrol_route",
        Some(row.id.to_string()),
        json!({"name": row.name, "start_times": times, "points": b.points, "active": row.active}),
    )
    .await?;
    let resp = route_responses(&*tx, vec![row])
        .await?
        .pop()
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(resp))
}

/// Replace a route's definition. Runs already started keep the checkpoints and times they
/// started with.
#[utoipa::path(
    tag = "patrol",
    params(("id" = Uuid, Path)),
    request_body = RouteRequest,
    responses(
        (status = 200, body = RouteResponse),
        (status = 404, description = "`patrol_route_not_found`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[put("/patrol-routes/{id}")]
pub async fn update_route(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<RouteRequest>,
) -> AppResult<web::Json<RouteResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let r = find_route(&*tx, id.into_inner()).await?;
    let times = check_route(&*tx, &b).await?;
    let mut a: route::ActiveModel = r.into();
    a.name = Set(b.name.trim().to_owned());
    a.start_times = Set(json!(times).to_string());
    a.points = Set(json!(b.points).to_string());
    a.active = Set(b.active);
    a.updated_at = Set(crate::infra::util::now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "patrol_route.update",
        "patrol_route",
        Some(after.id.to_string()),
        json!({"name": after.name, "start_times": times, "points": b.points, "active": after.active}),
    )
    .await?;
    let resp = route_responses(&*tx, vec![after])
        .await?
        .pop()
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

async fn find_route(db: &impl ConnectionTrait, id: Uuid) -> AppResult<route::Model> {
    route::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PatrolRouteNotFound, "巡查路线不存在"))
}

// ---------- runs ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct RunPointResponse {
    pub seq: i32,
    pub checkpoint_id: Uuid,
    pub checkpoint_name: String,
    pub location: String,
    pub expected_at: DateTime<Utc>,
    pub tolerance_minutes: i32,
    /// Expected time + tolerance: scanned after this is late.
    pub due_by: DateTime<Utc>,
    pub visited_at: Option<DateTime<Utc>>,
    /// `pending`, `on_time`, `late` or `missed` (see the tag's rules).
    pub status: String,
    pub observation: Option<String>,
    /// The hazard reported here during the patrol.
    pub hazard_id: Option<Uuid>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct RunCounts {
    pub total: usize,
    pub on_time: usize,
    pub late: usize,
    pub missed: usize,
    pub pending: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PatrolRunResponse {
    pub id: Uuid,
    pub route_id: Uuid,
    pub route_name: String,
    pub guard_id: Uuid,
    pub guard_name: String,
    /// Local date of the start.
    pub date: String,
    /// The scheduled start `HH:MM` this run fulfils, if any.
    pub slot: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `in_progress` or `finished`.
    pub status: String,
    pub counts: RunCounts,
    pub points: Vec<RunPointResponse>,
}

/// A checkpoint's status in a run, as of `now` (the rules are in the module's doc).
pub fn point_status(p: &point::Model, finished: bool, now: DateTime<Utc>) -> &'static str {
    let due = p.expected_at + Duration::minutes(i64::from(p.tolerance_minutes));
    match p.visited_at {
        Some(at) if at <= due => "on_time",
        Some(_) => "late",
        None if finished || now > due => "missed",
        None => "pending",
    }
}

async fn run_responses(
    db: &impl ConnectionTrait,
    runs: Vec<run::Model>,
) -> AppResult<Vec<PatrolRunResponse>> {
    let ids: Vec<Uuid> = runs.iter().map(|r| r.id).collect();
    let mut by_run: HashMap<Uuid, Vec<point::Model>> = HashMap::new();
    for p in point::Entity::find()
        .filter(point::Column::RunId.is_in(ids))
        .order_by_asc(point::Column::Seq)
        .all(db)
        .await?
    {
        by_run.entry(p.run_id).or_default().push(p);
    }
    let names: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(runs.iter().map(|r| r.guard_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let now = crate::infra::util::now();
    Ok(runs
        .into_iter()
        .map(|r| {
            let finished = r.finished_at.is_some();
            let mut counts = RunCounts::default();
            let points: Vec<RunPointResponse> = by_run
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(|p| {
                    let status = point_status(&p, finished, now);
                    counts.total += 1;
                    match status {
                        "on_time" => counts.on_time += 1,
                        "late" => counts.late += 1,
                        "missed" => counts.missed += 1,
                        _ => counts.pending += 1,
                    }
                    RunPointResponse {
                        due_by: p.expected_at + Duration::minutes(i64::from(p.tolerance_minutes)),
                        status: status.into(),
                        seq: p.seq,
                        checkpoint_id: p.checkpoint_id,
                        checkpoint_name: p.checkpoint_name,
                        location: p.location,
                        expected_at: p.expected_at,
                        tolerance_minutes: p.tolerance_minutes,
                        visited_at: p.visited_at,
                        observation: p.observation,
                        hazard_id: p.hazard_id,
                    }
                })
                .collect();
            PatrolRunResponse {
                guard_name: names.get(&r.guard_id).cloned().unwrap_or_default(),
                status: if finished { "finished" } else { "in_progress" }.into(),
                counts,
                points,
                id: r.id,
                route_id: r.route_id,
                route_name: r.route_name,
                guard_id: r.guard_id,
                date: r.date,
                slot: r.slot,
                started_at: r.started_at,
                finished_at: r.finished_at,
            }
        })
        .collect())
}

async fn run_response(db: &impl ConnectionTrait, r: run::Model) -> AppResult<PatrolRunResponse> {
    run_responses(db, vec![r])
        .await?
        .pop()
        .ok_or_else(ApiError::internal)
}

fn local_instant(tz: &chrono_tz::Tz, date: NaiveDate, t: NaiveTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&date.and_time(t))
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

/// The scheduled start (on the start's local date) nearest to `at`, within the window.
fn matching_slot(
    tz: &chrono_tz::Tz,
    times: &[String],
    date: NaiveDate,
    at: DateTime<Utc>,
) -> Option<String> {
    times
        .iter()
        .filter_map(|s| {
            let inst = local_instant(tz, date, parse_hhmm(s)?)?;
            let diff = (at - inst).num_minutes().abs();
            (diff <= SLOT_WINDOW_MINUTES).then_some((diff, s.clone()))
        })
        .min()
        .map(|(_, s)| s)
}

async fn find_run(db: &impl ConnectionTrait, id: Uuid) -> AppResult<run::Model> {
    run::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PatrolNotFound, "巡查记录不存在"))
}

/// Guards see only their own runs; the office and the principal see all.
fn may_read(u: &CurrentUser, r: &run::Model) -> bool {
    u.role != Role::Guard || r.guard_id == u.id
}

/// Only the one who started a run scans, notes and finishes it.
fn own_run(u: &CurrentUser, r: &run::Model) -> AppResult<()> {
    if r.guard_id != u.id {
        return Err(ApiError::forbidden(
            ErrorCode::NotOwnPatrol,
            "只能操作自己发起的巡查",
        ));
    }
    Ok(())
}

fn open_run(r: &run::Model) -> AppResult<()> {
    if r.finished_at.is_some() {
        return Err(ApiError::conflict(
            ErrorCode::PatrolFinished,
            "本次巡查已结束",
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPatrolRequest {
    pub route_id: Uuid,
}

/// Start a patrol run on an active route, now. Its checkpoints are the route's active ones,
/// each expected at start + offset. It fulfils the route's scheduled start nearest to now
/// (within two hours), if any.
#[utoipa::path(
    tag = "patrol",
    request_body = StartPatrolRequest,
    responses(
        (status = 201, body = PatrolRunResponse),
        (status = 404, description = "`patrol_route_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`patrol_route_inactive`, `patrol_route_empty` (no active checkpoint)", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]))
)]
#[post("/patrols")]
pub async fn start_patrol(
    auth: Auth<GuardOrOffice>,
    state: State,
    body: web::Json<StartPatrolRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let u = &auth.user;
    let tx = state.db.begin_write().await?;
    let r = find_route(&*tx, b.route_id).await?;
    if !r.active {
        return Err(ApiError::conflict(
            ErrorCode::PatrolRouteInactive,
            "该巡查路线已停用",
        ));
    }
    let cps: HashMap<Uuid, checkpoint::Model> = checkpoint::Entity::find()
        .filter(checkpoint::Column::Active.eq(true))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let pts: Vec<(RoutePointInput, &checkpoint::Model)> = points_of(&r)
        .into_iter()
        .filter_map(|p| cps.get(&p.checkpoint_id).map(|c| (p, c)))
        .collect();
    if pts.is_empty() {
        return Err(ApiError::conflict(
            ErrorCode::PatrolRouteEmpty,
            "该路线没有在用的巡查点",
        ));
    }
    let now = crate::infra::util::now();
    let date = now.with_timezone(&state.tz).date_naive();
    let slot = matching_slot(&state.tz, &start_times_of(&r), date, now);
    let row = run::ActiveModel {
        id: Set(Uuid::now_v7()),
        route_id: Set(r.id),
        route_name: Set(r.name.clone()),
        guard_id: Set(u.id),
        date: Set(date.format("%Y-%m-%d").to_string()),
        slot: Set(slot.clone()),
        started_at: Set(now),
        finished_at: Set(None),
    }
    .insert(&*tx)
    .await?;
    for (i, (p, c)) in pts.iter().enumerate() {
        point::ActiveModel {
            id: Set(Uuid::now_v7()),
            run_id: Set(row.id),
            seq: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            checkpoint_id: Set(c.id),
            checkpoint_name: Set(c.name.clone()),
            location: Set(c.location.clone()),
            expected_at: Set(now + Duration::minutes(i64::from(p.offset_minutes))),
            tolerance_minutes: Set(p.tolerance_minutes),
            visited_at: Set(None),
            client_event_id: Set(None),
            observation: Set(None),
            hazard_id: Set(None),
        }
        .insert(&*tx)
        .await?;
    }
    audit::record(
        &*tx,
        u.actor(),
        "patrol.start",
        "patrol",
        Some(row.id.to_string()),
        json!({"route_id": r.id, "route_name": r.name, "slot": slot, "checkpoints": pts.len()}),
    )
    .await?;
    let resp = run_response(&*tx, row).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(resp))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PatrolDateQuery {
    /// Local date `YYYY-MM-DD`; today by default.
    pub date: Option<String>,
}

fn query_date(state: &State, d: Option<&str>) -> AppResult<NaiveDate> {
    match d {
        None => Ok(crate::features::inspections::period::today(&state.tz)),
        Some(s) => crate::features::plans::parse_date(s).ok_or_else(|| {
            ApiError::bad_request(ErrorCode::InvalidDate, "日期格式应为 YYYY-MM-DD")
        }),
    }
}

/// The day's patrol runs (guards: their own), oldest first, each with its checkpoints and
/// counts.
#[utoipa::path(
    tag = "patrol",
    params(PatrolDateQuery),
    responses(
        (status = 200, body = Vec<PatrolRunResponse>),
        (status = 400, description = "`invalid_date`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/patrols")]
pub async fn list_patrols(
    auth: Auth<PatrolReaders>,
    state: State,
    query: web::Query<PatrolDateQuery>,
) -> AppResult<web::Json<Vec<PatrolRunResponse>>> {
    let date = query_date(&state, query.date.as_deref())?;
    let db = &state.db.conn;
    let mut select =
        run::Entity::find().filter(run::Column::Date.eq(date.format("%Y-%m-%d").to_string()));
    if auth.user.role == Role::Guard {
        select = select.filter(run::Column::GuardId.eq(auth.user.id));
    }
    let runs = select.order_by_asc(run::Column::StartedAt).all(db).await?;
    Ok(web::Json(run_responses(db, runs).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissedCheckpoint {
    /// `not_visited` (in a run) or `not_started` (no run for a scheduled start).
    pub reason: String,
    pub run_id: Option<Uuid>,
    pub route_id: Uuid,
    pub route_name: String,
    pub slot: Option<String>,
    pub guard_id: Option<Uuid>,
    pub guard_name: Option<String>,
    pub checkpoint_id: Uuid,
    pub checkpoint_name: String,
    pub location: String,
    pub expected_at: DateTime<Utc>,
}

/// The day's missed checkpoints, as of now: those missed in runs, and every checkpoint of a
/// scheduled start with no run (`not_started`, once two hours past it; only for starts after
/// the route was defined). Ordered by expected time.
#[utoipa::path(
    tag = "patrol",
    params(PatrolDateQuery),
    responses(
        (status = 200, body = Vec<MissedCheckpoint>),
        (status = 400, description = "`invalid_date`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[get("/patrols/missed")]
pub async fn missed_checkpoints(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    query: web::Query<PatrolDateQuery>,
) -> AppResult<web::Json<Vec<MissedCheckpoint>>> {
    let date = query_date(&state, query.date.as_deref())?;
    let db = &state.db.conn;
    let day = date.format("%Y-%m-%d").to_string();
    let runs = run::Entity::find()
        .filter(run::Column::Date.eq(day))
        .order_by_asc(run::Column::StartedAt)
        .all(db)
        .await?;
    let started: HashSet<(Uuid, String)> = runs
        .iter()
        .filter_map(|r| r.slot.clone().map(|s| (r.route_id, s)))
        .collect();
    let mut out = Vec::new();
    for r in run_responses(db, runs).await? {
        for p in r.points.into_iter().filter(|p| p.status == "missed") {
            out.push(MissedCheckpoint {
                reason: "not_visited".into(),
                run_id: Some(r.id),
                route_id: r.route_id,
                route_name: r.route_name.clone(),
                slot: r.slot.clone(),
                guard_id: Some(r.guard_id),
                guard_name: Some(r.guard_name.clone()),
                checkpoint_id: p.checkpoint_id,
                checkpoint_name: p.checkpoint_name,
                location: p.location,
                expected_at: p.expected_at,
            });
        }
    }
    let now = crate::infra::util::now();
    let routes = route::Entity::find()
        .filter(route::Column::Active.eq(true))
        .all(db)
        .await?;
    let cps: HashMap<Uuid, checkpoint::Model> = checkpoint::Entity::find()
        .filter(checkpoint::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    for r in &routes {
        for s in start_times_of(r) {
            let Some(at) = parse_hhmm(&s).and_then(|t| local_instant(&state.tz, date, t)) else {
                continue;
            };
            if at < r.created_at
                || now <= at + Duration::minutes(SLOT_WINDOW_MINUTES)
                || started.contains(&(r.id, s.clone()))
            {
                continue;
            }
            for p in points_of(r) {
                let Some(c) = cps.get(&p.checkpoint_id) else {
                    continue;
                };
                out.push(MissedCheckpoint {
                    reason: "not_started".into(),
                    run_id: None,
                    route_id: r.id,
                    route_name: r.name.clone(),
                    slot: Some(s.clone()),
                    guard_id: None,
                    guard_name: None,
                    checkpoint_id: c.id,
                    checkpoint_name: c.name.clone(),
                    location: c.location.clone(),
                    expected_at: at + Duration::minutes(i64::from(p.offset_minutes)),
                });
            }
        }
    }
    out.sort_by_key(|m| m.expected_at);
    Ok(web::Json(out))
}

/// One patrol run (guards: their own only, else `403 not_own_patrol`).
#[utoipa::path(
    tag = "patrol",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = PatrolRunResponse),
        (status = 403, description = "`not_own_patrol`", body = crate::infra::error::Problem),
        (status = 404, description = "`patrol_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/patrols/{id}")]
pub async fn get_patrol(
    auth: Auth<PatrolReaders>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<PatrolRunResponse>> {
    let db = &state.db.conn;
    let r = find_run(db, id.into_inner()).await?;
    if !may_read(&auth.user, &r) {
        return Err(ApiError::forbidden(
            ErrorCode::NotOwnPatrol,
            "只能查看自己的巡查记录",
        ));
    }
    Ok(web::Json(run_response(db, r).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanCheckpointRequest {
    /// The value read from the checkpoint's QR code (or typed in).
    pub code: String,
    /// Chosen by the device per scan; resending it replays the same result.
    pub client_event_id: String,
    /// What the guard saw there, if worth noting.
    pub observation: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScanCheckpointResponse {
    /// The scanned checkpoint in this run (`on_time` or `late`).
    pub point: RunPointResponse,
    /// True when this `client_event_id` had already been recorded (nothing changed).
    pub replayed: bool,
    pub run: PatrolRunResponse,
}

/// Scan a checkpoint of one's open patrol run. The QR value must belong to an active
/// checkpoint (`422 unknown_checkpoint`) on this run (`422 checkpoint_not_on_route`) not
/// scanned yet in it (`409 checkpoint_already_scanned`). A scan resent with the same
/// `client_event_id` returns the recorded result (`replayed: true`).
#[utoipa::path(
    tag = "patrol",
    params(("id" = Uuid, Path)),
    request_body = ScanCheckpointRequest,
    responses(
        (status = 200, body = ScanCheckpointResponse),
        (status = 403, description = "`not_own_patrol`", body = crate::infra::error::Problem),
        (status = 404, description = "`patrol_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`patrol_finished`, `checkpoint_already_scanned`", body = crate::infra::error::Problem),
        (status = 422, description = "`unknown_checkpoint`, `checkpoint_not_on_route`, `validation_failed`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]))
)]
#[post("/patrols/{id}/scans")]
pub async fn scan_checkpoint(
    auth: Auth<GuardOrOffice>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<ScanCheckpointRequest>,
) -> AppResult<web::Json<ScanCheckpointResponse>> {
    let b = body.into_inner();
    let u = &auth.user;
    let mut v = Validator::new();
    v.text("code", &b.code, 1, 200);
    v.text("client_event_id", &b.client_event_id, 1, 64);
    v.opt_text("observation", b.observation.as_deref(), 1000);
    v.finish()?;
    let event_id = b.client_event_id.trim().to_owned();
    let tx = state.db.begin_write().await?;
    let r = find_run(&*tx, id.into_inner()).await?;
    own_run(u, &r)?;
    let points = point::Entity::find()
        .filter(point::Column::RunId.eq(r.id))
        .all(&*tx)
        .await?;
    if let Some(p) = points
        .iter()
        .find(|p| p.client_event_id.as_deref() == Some(event_id.as_str()))
    {
        let seq = p.seq;
        let run = run_response(&*tx, r).await?;
        tx.commit().await?;
        return scan_result(run, seq, true);
    }
    open_run(&r)?;
    let code = b.code.trim();
    let cp = checkpoint::Entity::find()
        .filter(checkpoint::Column::Code.eq(code))
        .filter(checkpoint::Column::Active.eq(true))
        .one(&*tx)
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(ErrorCode::UnknownCheckpoint, "该二维码不是在用的巡查点")
        })?;
    let p = points
        .into_iter()
        .find(|p| p.checkpoint_id == cp.id)
        .ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::CheckpointNotOnRoute,
                "该巡查点不在本次巡查路线上",
            )
        })?;
    if p.visited_at.is_some() {
        return Err(ApiError::conflict(
            ErrorCode::CheckpointAlreadyScanned,
            "该巡查点本次已扫码",
        ));
    }
    let now = crate::infra::util::now();
    let seq = p.seq;
    let mut a: point::ActiveModel = p.into();
    a.visited_at = Set(Some(now));
    a.client_event_id = Set(Some(event_id.clone()));
    a.observation = Set(opt(b.observation));
    let after = a.update(&*tx).await?;
    let status = point_status(&after, false, now);
    audit::record(
        &*tx,
        u.actor(),
        "patrol.scan",
        "patrol",
        Some(r.id.to_string()),
        json!({"checkpoint_id": cp.id, "checkpoint_name": cp.name, "status": status, "client_event_id": event_id, "observation": after.observation}),
    )
    .await?;
    let run = run_response(&*tx, r).await?;
    tx.commit().await?;
    scan_result(run, seq, false)
}

fn scan_result(
    run: PatrolRunResponse,
    seq: i32,
    replayed: bool,
) -> AppResult<web::Json<ScanCheckpointResponse>> {
    let idx = run
        .points
        .iter()
        .position(|p| p.seq == seq)
        .ok_or_else(ApiError::internal)?;
    let p = &run.points[idx];
    let point = RunPointResponse {
        seq: p.seq,
        checkpoint_id: p.checkpoint_id,
        checkpoint_name: p.checkpoint_name.clone(),
        location: p.location.clone(),
        expected_at: p.expected_at,
        tolerance_minutes: p.tolerance_minutes,
        due_by: p.due_by,
        visited_at: p.visited_at,
        status: p.status.clone(),
        observation: p.observation.clone(),
        hazard_id: p.hazard_id,
    };
    Ok(web::Json(ScanCheckpointResponse {
        point,
        replayed,
        run,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatrolHazardInput {
    /// A hazard category (see `POST /hazards`).
    pub category: String,
    pub description: String,
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatrolNoteRequest {
    pub checkpoint_id: Uuid,
    /// Replaces the checkpoint's observation in this run.
    pub observation: Option<String>,
    /// Report a hazard on the spot: a regular hazard, located at the checkpoint.
    pub hazard: Option<PatrolHazardInput>,
}

/// Note an observation and/or report a hazard at a checkpoint already scanned in one's open
/// run (`409 checkpoint_not_scanned`; one hazard per checkpoint and run,
/// `409 hazard_already_reported`). The hazard goes through the usual hazard workflow.
#[utoipa::path(
    tag = "patrol",
    params(("id" = Uuid, Path)),
    request_body = PatrolNoteRequest,
    responses(
        (status = 200, body = PatrolRunResponse),
        (status = 403, description = "`not_own_patrol`", body = crate::infra::error::Problem),
        (status = 404, description = "`patrol_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`patrol_finished`, `checkpoint_not_scanned`, `hazard_already_reported`", body = crate::infra::error::Problem),
        (status = 422, description = "`checkpoint_not_on_route`, `validation_failed`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]))
)]
#[post("/patrols/{id}/notes")]
pub async fn note_checkpoint(
    auth: Auth<GuardOrOffice>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<PatrolNoteRequest>,
) -> AppResult<web::Json<PatrolRunResponse>> {
    let b = body.into_inner();
    let u = &auth.user;
    let observation = opt(b.observation);
    let mut v = Validator::new();
    v.opt_text("observation", observation.as_deref(), 1000);
    if observation.is_none() && b.hazard.is_none() {
        v.add("observation", "required", "请填写巡查情况或上报隐患");
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let r = find_run(&*tx, id.into_inner()).await?;
    own_run(u, &r)?;
    open_run(&r)?;
    let p = point::Entity::find()
        .filter(point::Column::RunId.eq(r.id))
        .filter(point::Column::CheckpointId.eq(b.checkpoint_id))
        .one(&*tx)
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::CheckpointNotOnRoute,
                "该巡查点不在本次巡查路线上",
            )
        })?;
    if p.visited_at.is_none() {
        return Err(ApiError::conflict(
            ErrorCode::CheckpointNotScanned,
            "请先扫码签到该巡查点",
        ));
    }
    let mut a: point::ActiveModel = p.clone().into();
    let mut hazard_id = None;
    if let Some(h) = b.hazard {
        if p.hazard_id.is_some() {
            return Err(ApiError::conflict(
                ErrorCode::HazardAlreadyReported,
                "本次巡查已在该点上报过隐患",
            ));
        }
        let location = if p.location.is_empty() {
            p.checkpoint_name.clone()
        } else {
            format!("{}({})", p.checkpoint_name, p.location)
        };
        let req = ReportHazardRequest {
            category: h.category,
            location: location.chars().take(100).collect(),
            description: h.description,
            class_id: None,
            attachment_ids: h.attachment_ids,
        };
        crate::features::hazards::validate_report(&req)?;
        let row = crate::features::hazards::report_in_tx(
            &*tx,
            u,
            req,
            json!({"source": "report", "patrol_id": r.id, "checkpoint_id": p.checkpoint_id}),
        )
        .await?;
        hazard_id = Some(row.id);
        a.hazard_id = Set(Some(row.id));
    }
    if let Some(o) = &observation {
        a.observation = Set(Some(o.clone()));
    }
    a.update(&*tx).await?;
    audit::record(
        &*tx,
        u.actor(),
        "patrol.note",
        "patrol",
        Some(r.id.to_string()),
        json!({"checkpoint_id": p.checkpoint_id, "observation": observation, "hazard_id": hazard_id}),
    )
    .await?;
    let resp = run_response(&*tx, r).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

/// Finish one's patrol run: checkpoints not scanned become `missed`.
#[utoipa::path(
    tag = "patrol",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = PatrolRunResponse),
        (status = 403, description = "`not_own_patrol`", body = crate::infra::error::Problem),
        (status = 404, description = "`patrol_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`patrol_finished`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]))
)]
#[post("/patrols/{id}/finish")]
pub async fn finish_patrol(
    auth: Auth<GuardOrOffice>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<PatrolRunResponse>> {
    let u = &auth.user;
    let tx = state.db.begin_write().await?;
    let r = find_run(&*tx, id.into_inner()).await?;
    own_run(u, &r)?;
    open_run(&r)?;
    let mut a: run::ActiveModel = r.into();
    a.finished_at = Set(Some(crate::infra::util::now()));
    let after = a.update(&*tx).await?;
    let resp = run_response(&*tx, after).await?;
    audit::record(
        &*tx,
        u.actor(),
        "patrol.finish",
        "patrol",
        Some(resp.id.to_string()),
        json!({"on_time": resp.counts.on_time, "late": resp.counts.late, "missed": resp.counts.missed}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_checkpoints)
        .service(create_checkpoint)
        .service(checkpoint_labels)
        .service(update_checkpoint)
        .service(list_routes)
        .service(create_route)
        .service(update_route)
        .service(start_patrol)
        .service(list_patrols)
        .service(missed_checkpoints)
        .service(get_patrol)
        .service(scan_checkpoint)
        .service(note_checkpoint)
        .service(finish_patrol);
}

// ---------- demo ----------

/// Demo checkpoints, the night route at 21:00 and yesterday's finished run with one missed
/// checkpoint.
pub async fn seed_demo(db: &impl ConnectionTrait) -> Result<(), crate::infra::error::BoxError> {
    let Some(guard) = user::Entity::find()
        .filter(user::Column::Username.eq("guard1"))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let tz = chrono_tz::Asia::Shanghai;
    let now = crate::infra::util::now();
    let since = now - Duration::days(7);
    let places = [
        ("南门", "南门岗亭外侧立柱"),
        ("北门", "北门值班室门口"),
        ("学生宿舍", "学生宿舍一楼大厅"),
        ("实验楼", "实验楼一楼东侧楼梯口"),
        ("围墙东侧", "东侧围墙中段路灯杆"),
        ("食堂", "食堂后门"),
    ];
    let mut cps = Vec::new();
    for (name, location) in places {
        let c = checkpoint::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name.into()),
            location: Set(location.into()),
            code: Set(new_code().map_err(|_| "no randomness")?),
            active: Set(true),
            created_at: Set(since),
            updated_at: Set(since),
        }
        .insert(db)
        .await?;
        cps.push(c);
    }
    let points: Vec<RoutePointInput> = cps
        .iter()
        .enumerate()
        .map(|(i, c)| RoutePointInput {
            checkpoint_id: c.id,
            offset_minutes: i32::try_from(i * 10).unwrap_or(0),
            tolerance_minutes: 10,
        })
        .collect();
    let r = route::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set("夜间巡查".into()),
        start_times: Set(json!(["21:00"]).to_string()),
        points: Set(json!(points).to_string()),
        active: Set(true),
        created_at: Set(since),
        updated_at: Set(since),
    }
    .insert(db)
    .await?;
    // Yesterday at 21:03: on time everywhere but late at the dormitory, the east wall missed.
    let yesterday = now.with_timezone(&tz).date_naive() - Duration::days(1);
    let Some(start) =
        NaiveTime::from_hms_opt(21, 3, 0).and_then(|t| local_instant(&tz, yesterday, t))
    else {
        return Ok(());
    };
    let run_id = Uuid::now_v7();
    run::ActiveModel {
        id: Set(run_id),
        route_id: Set(r.id),
        route_name: Set(r.name.clone()),
        guard_id: Set(guard.id),
        date: Set(yesterday.format("%Y-%m-%d").to_string()),
        slot: Set(Some("21:00".into())),
        started_at: Set(start),
        finished_at: Set(Some(start + Duration::minutes(58))),
    }
    .insert(db)
    .await?;
    let visits: [(Option<i64>, Option<&str>); 6] = [
        (Some(1), None),
        (Some(9), Some("北门外有车辆临时停放,已提醒驶离")),
        (Some(34), None),
        (Some(38), None),
        (None, None),
        (Some(52), None),
    ];
    for (i, (c, (visit, obs))) in cps.iter().zip(visits).enumerate() {
        let p = &points[i];
        point::ActiveModel {
            id: Set(Uuid::now_v7()),
            run_id: Set(run_id),
            seq: Set(i32::try_from(i).unwrap_or(0)),
            checkpoint_id: Set(c.id),
            checkpoint_name: Set(c.name.clone()),
            location: Set(c.location.clone()),
            expected_at: Set(start + Duration::minutes(i64::from(p.offset_minutes))),
            tolerance_minutes: Set(p.tolerance_minutes),
            visited_at: Set(visit.map(|m| start + Duration::minutes(m))),
            client_event_id: Set(visit.map(|_| Uuid::now_v7().to_string())),
            observation: Set(obs.map(str::to_owned)),
            hazard_id: Set(None),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(visited: Option<i64>, tol: i32) -> point::Model {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        point::Model {
            id: Uuid::nil(),
            run_id: Uuid::nil(),
            seq: 0,
            checkpoint_id: Uuid::nil(),
            checkpoint_name: "南门".into(),
            location: String::new(),
            expected_at: t0,
            tolerance_minutes: tol,
            visited_at: visited.map(|m| t0 + Duration::minutes(m)),
            client_event_id: None,
            observation: None,
            hazard_id: None,
        }
    }

    #[test]
    fn statuses_follow_the_expected_time_and_tolerance() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(point_status(&p(Some(-5), 10), false, t0), "on_time");
        assert_eq!(point_status(&p(Some(10), 10), false, t0), "on_time");
        assert_eq!(point_status(&p(Some(11), 10), false, t0), "late");
        assert_eq!(point_status(&p(None, 10), false, t0), "pending");
        assert_eq!(point_status(&p(None, 10), true, t0), "missed");
        let later = t0 + Duration::minutes(11);
        assert_eq!(point_status(&p(None, 10), false, later), "missed");
    }

    #[test]
    fn a_run_fulfils_the_nearest_scheduled_start_within_the_window() {
        let tz = chrono_tz::Asia::Shanghai;
        let d = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let at = |h, m| local_instant(&tz, d, NaiveTime::from_hms_opt(h, m, 0).unwrap()).unwrap();
        let times = vec!["06:00".to_owned(), "21:00".to_owned()];
        assert_eq!(
            matching_slot(&tz, &times, d, at(21, 10)),
            Some("21:00".into())
        );
        assert_eq!(
            matching_slot(&tz, &times, d, at(5, 0)),
            Some("06:00".into())
        );
        assert_eq!(matching_slot(&tz, &times, d, at(12, 0)), None);
    }
}
