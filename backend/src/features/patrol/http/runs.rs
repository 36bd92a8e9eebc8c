//! Patrol runs: start, read, list, finish, and the day's missed checkpoints.

use super::super::model::{RoutePointInput, checkpoint, point, route, run};
use super::super::store::{self, points_of, start_times_of};
use super::super::timing::{
    self, MissedReason, PointStatus, RunStatus, SLOT_WINDOW_MINUTES, local_instant, matching_slot,
    may_read, open_run, own_run, parse_hhmm, point_status,
};
use crate::auth::extract::Auth;
use crate::auth::roles::{GuardOrOffice, OfficeOrPrincipal, PatrolReaders, Role};
use crate::features::audit;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult};
use crate::infra::state::State;
use crate::schema::users as user;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

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
    pub status: PointStatus,
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
    pub status: RunStatus,
    pub counts: RunCounts,
    pub points: Vec<RunPointResponse>,
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
    let now = crate::infra::clock::now();
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
                        PointStatus::OnTime => counts.on_time += 1,
                        PointStatus::Late => counts.late += 1,
                        PointStatus::Missed => counts.missed += 1,
                        PointStatus::Pending => counts.pending += 1,
                    }
                    RunPointResponse {
                        due_by: timing::due_by(&p),
                        status,
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
                status: RunStatus::of(&r),
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

pub async fn run_response(
    db: &impl ConnectionTrait,
    r: run::Model,
) -> AppResult<PatrolRunResponse> {
    run_responses(db, vec![r])
        .await?
        .pop()
        .ok_or_else(ApiError::internal)
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
    let r = store::find_route(&*tx, b.route_id).await?;
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
    let pts: Vec<(RoutePointInput, &checkpoint::Model)> = points_of(&r)?
        .into_iter()
        .filter_map(|p| cps.get(&p.checkpoint_id).map(|c| (p, c)))
        .collect();
    if pts.is_empty() {
        return Err(ApiError::conflict(
            ErrorCode::PatrolRouteEmpty,
            "该路线没有在用的巡查点",
        ));
    }
    let now = crate::infra::clock::now();
    let date = now.with_timezone(&state.tz).date_naive();
    let slot = matching_slot(&state.tz, &start_times_of(&r)?, date, now);
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
        None => Ok(crate::infra::clock::today(state.tz)),
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
    pub reason: MissedReason,
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
        for p in r
            .points
            .into_iter()
            .filter(|p| p.status == PointStatus::Missed)
        {
            out.push(MissedCheckpoint {
                reason: MissedReason::NotVisited,
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
    let now = crate::infra::clock::now();
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
        for s in start_times_of(r)? {
            let Some(at) = parse_hhmm(&s).and_then(|t| local_instant(&state.tz, date, t)) else {
                continue;
            };
            if at < r.created_at
                || now <= at + Duration::minutes(SLOT_WINDOW_MINUTES)
                || started.contains(&(r.id, s.clone()))
            {
                continue;
            }
            for p in points_of(r)? {
                let Some(c) = cps.get(&p.checkpoint_id) else {
                    continue;
                };
                out.push(MissedCheckpoint {
                    reason: MissedReason::NotStarted,
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
    let r = store::find_run(db, id.into_inner()).await?;
    if !may_read(&auth.user, &r) {
        return Err(ApiError::forbidden(
            ErrorCode::NotOwnPatrol,
            "只能查看自己的巡查记录",
        ));
    }
    Ok(web::Json(run_response(db, r).await?))
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
    let r = store::find_run(&*tx, id.into_inner()).await?;
    own_run(u, &r)?;
    open_run(&r)?;
    let mut a: run::ActiveModel = r.into();
    a.finished_at = Set(Some(crate::infra::clock::now()));
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
