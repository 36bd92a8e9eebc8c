//! Patrol routes: ordered checkpoints with expected times, and daily scheduled starts.

use super::super::model::{RoutePointInput, checkpoint, route};
use super::super::store::{self, points_of, start_times_of};
use super::super::timing::parse_hhmm;
use super::yes;
use crate::auth::extract::Auth;
use crate::auth::roles::{Office, PatrolReaders};
use crate::features::audit;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

const MAX_POINTS: usize = 50;
const MAX_START_TIMES: usize = 12;

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
    rows.into_iter()
        .map(|r| {
            Ok(RouteResponse {
                points: points_of(&r)?
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
                start_times: start_times_of(&r)?,
                id: r.id,
                name: r.name,
                active: r.active,
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
        })
        .collect()
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
    let now = crate::infra::clock::now();
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
    let r = store::find_route(&*tx, id.into_inner()).await?;
    let times = check_route(&*tx, &b).await?;
    let mut a: route::ActiveModel = r.into();
    a.name = Set(b.name.trim().to_owned());
    a.start_times = Set(json!(times).to_string());
    a.points = Set(json!(b.points).to_string());
    a.active = Set(b.active);
    a.updated_at = Set(crate::infra::clock::now());
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
