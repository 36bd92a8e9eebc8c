//! The school and the health probes over HTTP.

use super::model;

use crate::auth::extract::Auth;
use crate::auth::roles::AnyUser;
use crate::infra::error::AppResult;
use crate::infra::state::State;
use actix_web::{HttpResponse, get, web};
use sea_orm::EntityTrait;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct SchoolResponse {
    pub name: String,
    /// IANA time zone of the school; calendar dates are local dates in it.
    pub timezone: String,
}

/// The school's name and time zone.
#[utoipa::path(
    tag = "school",
    responses((status = 200, body = SchoolResponse)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/school")]
pub async fn get_school(
    _auth: Auth<AnyUser>,
    state: State,
) -> AppResult<web::Json<SchoolResponse>> {
    let name = model::Entity::find_by_id(1)
        .one(&state.db.conn)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    Ok(web::Json(SchoolResponse {
        name,
        timezone: state.settings.timezone.clone(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`, or `unavailable` when the database cannot be reached.
    pub status: String,
}

/// Liveness: the process answers.
#[utoipa::path(
    tag = "health",
    responses((status = 200, body = HealthResponse)),
    security(())
)]
#[get("/health")]
pub async fn health() -> web::Json<HealthResponse> {
    web::Json(HealthResponse {
        status: "ok".into(),
    })
}

/// Readiness: the database answers.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, body = HealthResponse),
        (status = 503, body = HealthResponse),
    ),
    security(())
)]
#[get("/ready")]
pub async fn ready(state: State) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(HealthResponse {
            status: "ok".into(),
        }),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(HealthResponse {
                status: "unavailable".into(),
            })
        }
    }
}
