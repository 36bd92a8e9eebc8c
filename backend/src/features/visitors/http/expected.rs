//! Expected visitors: pre-registration, the day's list, and the one-tap check-in.

use super::CheckInResponse;
use crate::auth::extract::AuthOrKey;
use crate::auth::roles::{GuardOrOffice, Staff, VisitorsRead, VisitorsWrite};
use crate::features::audit;
use crate::features::visitors::model::expected;
use crate::features::visitors::rules::{blank_to_none, check_decision, mask, validate_person};
use crate::features::visitors::store::{IdNumber, NewVisitor, check_in_visitor, protect_id};
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpectedVisitorResponse {
    pub id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    pub id_number_masked: Option<String>,
    pub organisation: Option<String>,
    pub reason: String,
    pub host: String,
    pub vehicle_plate: Option<String>,
    /// Local date `YYYY-MM-DD`.
    pub expected_date: String,
    pub created_by: Uuid,
    /// The visitor record once checked in.
    pub visitor_id: Option<Uuid>,
}

fn expected_response(e: expected::Model) -> ExpectedVisitorResponse {
    ExpectedVisitorResponse {
        id_number_masked: mask(e.id_number_last4.as_deref()),
        visitor_id: e.visitor_id,
        id: e.id,
        name: e.name,
        phone: e.phone,
        organisation: e.organisation,
        reason: e.reason,
        host: e.host,
        vehicle_plate: e.vehicle_plate,
        expected_date: e.expected_date,
        created_by: e.created_by,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedVisitorRequest {
    pub name: String,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub organisation: Option<String>,
    pub reason: String,
    /// Whom the visitor sees.
    pub host: String,
    pub vehicle_plate: Option<String>,
    /// Local date `YYYY-MM-DD`, today or later.
    pub expected_date: String,
}

/// Pre-register a visitor expected on a day. A visitor kiosk may, with a `visitors:write`
/// key: the record then names the key (`created_by` is the office account that created it).
#[utoipa::path(
    tag = "visitors",
    request_body = ExpectedVisitorRequest,
    responses(
        (status = 201, body = ExpectedVisitorResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard"]),
        ("api_key" = ["visitors:write"])
    )
)]
#[post("/expected-visitors")]
pub async fn create_expected(
    auth: AuthOrKey<Staff, VisitorsWrite>,
    state: State,
    body: web::Json<ExpectedVisitorRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    validate_person(
        &mut v,
        &b.name,
        b.phone.as_deref(),
        b.id_number.as_deref(),
        b.organisation.as_deref(),
        &b.reason,
        None,
        b.vehicle_plate.as_deref(),
    );
    v.text("host", &b.host, 1, 100);
    let today = crate::infra::clock::now()
        .with_timezone(&state.tz)
        .date_naive();
    match NaiveDate::parse_from_str(&b.expected_date, "%Y-%m-%d") {
        Ok(d) if d < today => v.add("expected_date", "in_past", "日期不能早于今天"),
        Ok(_) => {}
        Err(_) => v.add("expected_date", "invalid", "日期格式须为 YYYY-MM-DD"),
    }
    v.finish()?;
    let id = protect_id(&state.db.conn, &state.db.master_key, b.id_number.as_deref()).await?;
    let (hash, last4) = match id {
        Some(i) => (Some(i.hash), Some(i.last4)),
        None => (None, None),
    };
    let tx = state.db.begin_write().await?;
    let e = expected::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(b.name.trim().to_owned()),
        phone: Set(blank_to_none(b.phone)),
        id_number_hash: Set(hash),
        id_number_last4: Set(last4),
        organisation: Set(blank_to_none(b.organisation)),
        reason: Set(b.reason.trim().to_owned()),
        host: Set(b.host.trim().to_owned()),
        vehicle_plate: Set(blank_to_none(b.vehicle_plate)),
        expected_date: Set(b.expected_date),
        created_by: Set(auth.caller.person_id()),
        created_at: Set(crate::infra::clock::now()),
        visitor_id: Set(None),
        cancelled_at: Set(None),
        created_by_api_key_id: Set(auth.caller.key_id()),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.caller.actor(),
        "expected_visitor.create",
        "expected_visitor",
        Some(e.id.to_string()),
        json!({"after": {"name": e.name, "id_number_masked": mask(e.id_number_last4.as_deref()),
            "organisation": e.organisation, "host": e.host, "expected_date": e.expected_date}}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(expected_response(e)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExpectedQuery {
    /// Local date `YYYY-MM-DD`; default today.
    pub date: Option<String>,
}

/// The visitors expected on a day (default today), for the guard's one-tap check-in (and a
/// visitor kiosk's, with a `visitors:read` key).
#[utoipa::path(
    tag = "visitors",
    params(ExpectedQuery),
    responses(
        (status = 200, body = Vec<ExpectedVisitorResponse>),
        (status = 400, body = crate::infra::error::Problem),
    ),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard"]),
        ("api_key" = ["visitors:read"])
    )
)]
#[get("/expected-visitors")]
pub async fn list_expected(
    _auth: AuthOrKey<Staff, VisitorsRead>,
    state: State,
    query: web::Query<ExpectedQuery>,
) -> AppResult<web::Json<Vec<ExpectedVisitorResponse>>> {
    let date = match query.date.as_deref() {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request(ErrorCode::InvalidQuery, "date 须为 YYYY-MM-DD"))?,
        None => crate::infra::clock::now()
            .with_timezone(&state.tz)
            .date_naive(),
    };
    let rows = expected::Entity::find()
        .filter(expected::Column::ExpectedDate.eq(date.format("%Y-%m-%d").to_string()))
        .filter(expected::Column::CancelledAt.is_null())
        .order_by_asc(expected::Column::Id)
        .limit(500)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(rows.into_iter().map(expected_response).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCheckInRequest {
    pub gate: Option<String>,
    /// As for `POST /visitors`: `refuse` or `ask_office` for a suspicious person.
    pub watchlist_decision: Option<String>,
}

/// Check an expected visitor in with one tap (the watchlist is checked as for any visitor);
/// also a visitor kiosk's `visitors:write` key.
#[utoipa::path(
    tag = "visitors",
    params(("id" = Uuid, Path)),
    request_body = ExpectedCheckInRequest,
    responses(
        (status = 201, body = CheckInResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`already_checked_in`, `visitor_banned`, `visitor_suspicious`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]), ("api_key" = ["visitors:write"]))
)]
#[post("/expected-visitors/{id}/check-in")]
pub async fn check_in_expected(
    auth: AuthOrKey<GuardOrOffice, VisitorsWrite>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<ExpectedCheckInRequest>,
) -> AppResult<HttpResponse> {
    let e = expected::Entity::find_by_id(id.into_inner())
        .one(&state.db.conn)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::ExpectedVisitorNotFound, "预约访客不存在"))?;
    let b = body.into_inner();
    let mut v = Validator::new();
    v.opt_text("gate", b.gate.as_deref(), 64);
    check_decision(&mut v, b.watchlist_decision.as_deref());
    v.finish()?;
    let id = match (e.id_number_hash.clone(), e.id_number_last4.clone()) {
        (Some(hash), Some(last4)) => Some(IdNumber { hash, last4 }),
        _ => None,
    };
    let resp = check_in_visitor(
        &state,
        &auth.caller,
        NewVisitor {
            name: e.name,
            phone: e.phone,
            id,
            organisation: e.organisation,
            reason: e.reason,
            host: Some(e.host),
            vehicle_plate: e.vehicle_plate,
            gate: blank_to_none(b.gate),
            expected_visitor_id: Some(e.id),
            watchlist_decision: b.watchlist_decision,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(resp))
}
