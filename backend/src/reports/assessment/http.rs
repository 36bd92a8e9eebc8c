//! The assessment over HTTP: the ranking, its workbook and the weights.

use super::facts::{WEIGHTS_KEY, weights};
use super::report::{AssessmentResponse, MetricInfo, compute, metric_infos};
use super::scoring::METRICS;
use super::sheets::ledger_sheets;
use crate::auth::extract::Auth;
use crate::auth::roles::{Office, OfficeOrPrincipal};
use crate::features::audit;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use crate::reports::sheet::LedgerQuery;
use actix_web::{HttpResponse, get, put, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The ranking of a semester (or `from`–`to`): per staff member and per class, each metric's
/// count, weight, points and the records behind it.
#[utoipa::path(
    tag = "assessment",
    params(LedgerQuery),
    responses(
        (status = 200, body = AssessmentResponse),
        (status = 403, body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/assessment")]
pub async fn get_assessment(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    query: web::Query<LedgerQuery>,
) -> AppResult<web::Json<AssessmentResponse>> {
    let db = &state.db.conn;
    let r = crate::reports::sheet::resolve_range(db, &query, state.tz).await?;
    Ok(web::Json(compute(db, &r).await?))
}

/// The ranking as an XLSX workbook (staff, classes, the records behind the points, the
/// weights). The full ledger workbook carries the same sheets.
#[utoipa::path(
    tag = "assessment",
    params(LedgerQuery),
    responses(
        (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/assessment/xlsx")]
pub async fn assessment_xlsx(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    query: web::Query<LedgerQuery>,
) -> AppResult<HttpResponse> {
    let db = &state.db.conn;
    let r = crate::reports::sheet::resolve_range(db, &query, state.tz).await?;
    let sheets = ledger_sheets(db, &r).await?;
    let bytes = crate::reports::sheet::to_xlsx(&sheets).map_err(|e| {
        tracing::error!(error = %e, "assessment xlsx");
        ApiError::internal()
    })?;
    let tx = state.db.begin_write().await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "assessment.export",
        "assessment",
        r.semester.clone(),
        json!({"from": crate::infra::clock::fmt_date(r.from), "to": crate::infra::clock::fmt_date(r.to)}),
    )
    .await?;
    tx.commit().await?;
    let stem = match &r.semester {
        Some(s) => format!("assessment-{s}"),
        None => format!(
            "assessment-{}-{}",
            crate::infra::clock::fmt_date(r.from),
            crate::infra::clock::fmt_date(r.to)
        ),
    };
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(crate::infra::download::attachment(&format!("{stem}.xlsx")))
        .body(bytes))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeightsResponse {
    pub metrics: Vec<MetricInfo>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetWeightsRequest {
    /// Metric key → points per unit (−100…100); keys left out keep their weight.
    pub weights: BTreeMap<String, i32>,
}

/// The weights (points per unit of each metric).
#[utoipa::path(
    tag = "assessment",
    responses((status = 200, body = WeightsResponse), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/assessment/weights")]
pub async fn get_weights(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
) -> AppResult<web::Json<WeightsResponse>> {
    Ok(web::Json(WeightsResponse {
        metrics: metric_infos(&weights(&state.db.conn).await?),
    }))
}

/// Set weights (the office).
#[utoipa::path(
    tag = "assessment",
    request_body = SetWeightsRequest,
    responses((status = 200, body = WeightsResponse), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[put("/assessment/weights")]
pub async fn put_weights(
    auth: Auth<Office>,
    state: State,
    body: web::Json<SetWeightsRequest>,
) -> AppResult<web::Json<WeightsResponse>> {
    let b = body.into_inner();
    let mut v = Validator::new();
    for (k, w) in &b.weights {
        let field = format!("weights.{k}");
        if !METRICS.iter().any(|m| m.key == k) {
            v.add(&field, "unknown_metric", "没有这个考核指标");
        } else if !(-100..=100).contains(w) {
            v.add(&field, "invalid", "权重应在 -100 到 100 之间");
        }
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let before = weights(&*tx).await?;
    let mut after = before.clone();
    after.extend(b.weights);
    crate::reports::platform::put_setting(&*tx, WEIGHTS_KEY, json!(after), auth.user.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "assessment.weights_set",
        "setting",
        Some(WEIGHTS_KEY.into()),
        json!({"before": before, "after": after}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(WeightsResponse {
        metrics: metric_infos(&after),
    }))
}
