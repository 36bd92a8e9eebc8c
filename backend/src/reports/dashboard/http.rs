//! The dashboard over HTTP.

use super::figures::*;
use crate::auth::extract::Auth;
use crate::auth::roles::OfficeOrPrincipal;
use crate::features::duty;
use crate::infra::clock::{fmt_date, today};
use crate::infra::error::AppResult;
use crate::infra::state::State;
use actix_web::{get, web};

/// The dashboard figures, computed now from the records.
#[utoipa::path(
    tag = "dashboard",
    responses((status = 200, body = DashboardResponse), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/dashboard")]
pub async fn get_dashboard(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
) -> AppResult<web::Json<DashboardResponse>> {
    let db = &state.db.conn;
    let tz = state.tz;
    Ok(web::Json(DashboardResponse {
        today: fmt_date(today(tz)),
        incidents: incident_figures(db, tz).await?,
        plan: plan_figures(db, tz).await?,
        on_duty_now: duty::on_duty_at(db, crate::infra::clock::now()).await?,
        health: health_figures(db, tz).await?,
        hazards: hazard_figures(db, tz).await?,
        traffic_checks: traffic_check_figures(db, tz).await?,
        gate: gate_figures(db, tz).await?,
        visitors: visitor_figures(db).await?,
    }))
}
