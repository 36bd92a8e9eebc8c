//! Patrol lookups and the route's stored JSON.

use super::model::{RoutePointInput, checkpoint, route, run};
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

/// Prefix of a checkpoint QR value, so a scanner can tell it from a leave pass.
pub const CODE_PREFIX: &str = "XAPC-";

pub fn new_code() -> AppResult<String> {
    let t = crate::infra::util::random_token(18).map_err(|_| ApiError::internal())?;
    Ok(format!("{CODE_PREFIX}{t}"))
}

/// Parses a route's JSON column; corrupt data is a server error, never an empty route.
fn stored<T: serde::de::DeserializeOwned>(column: &'static str, id: Uuid, s: &str) -> AppResult<T> {
    serde_json::from_str(s).map_err(|e| {
        tracing::error!(column, %id, error = %e, "stored patrol route JSON does not parse");
        ApiError::internal()
    })
}

pub fn points_of(r: &route::Model) -> AppResult<Vec<RoutePointInput>> {
    stored("patrol_routes.points", r.id, &r.points)
}

pub fn start_times_of(r: &route::Model) -> AppResult<Vec<String>> {
    stored("patrol_routes.start_times", r.id, &r.start_times)
}

pub async fn find_checkpoint(db: &impl ConnectionTrait, id: Uuid) -> AppResult<checkpoint::Model> {
    checkpoint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PatrolCheckpointNotFound, "巡查点不存在"))
}

pub async fn find_route(db: &impl ConnectionTrait, id: Uuid) -> AppResult<route::Model> {
    route::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PatrolRouteNotFound, "巡查路线不存在"))
}

pub async fn find_run(db: &impl ConnectionTrait, id: Uuid) -> AppResult<run::Model> {
    run::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PatrolNotFound, "巡查记录不存在"))
}
