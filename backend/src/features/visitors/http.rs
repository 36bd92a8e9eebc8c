//! Visitor requests, responses and handlers (check-in and out, the list, the office's
//! decision); expected visitors are in `http/expected.rs`, the watchlist in
//! `http/watchlist.rs`.

mod expected;
mod watchlist;

pub use expected::*;
pub use watchlist::*;

use super::model::visitor;
use super::rules::{blank_to_none, check_decision, mask, validate_person};
use super::store::{NewVisitor, check_in_visitor, find_visitor, protect_id};
use super::{VisitStatus, WatchCategory};
use crate::auth::extract::{Auth, AuthOrKey};
use crate::auth::roles::{GateLogReaders, GuardOrOffice, Office, VisitorsRead, VisitorsWrite};
use crate::features::audit;
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchlistWarning {
    pub entry_id: Uuid,
    pub category: WatchCategory,
    pub name: String,
    pub note: String,
    /// What matched: `id_number` or `phone`.
    pub matched_on: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitorResponse {
    pub id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    /// Only the last 4 characters are ever shown, e.g. `**************123X`.
    pub id_number_masked: Option<String>,
    pub organisation: Option<String>,
    pub reason: String,
    pub host: Option<String>,
    pub vehicle_plate: Option<String>,
    pub gate: Option<String>,
    pub expected_visitor_id: Option<Uuid>,
    /// The watchlist entry this visitor matched at check-in, if any.
    pub watchlist_entry_id: Option<Uuid>,
    /// Only an admitted visitor is on campus.
    pub status: VisitStatus,
    /// The security office's decision on a pending visit: who, when, why.
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    /// When the record was made (the arrival at the gate, even when refused).
    pub checked_in_at: DateTime<Utc>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub on_campus: bool,
}

pub fn visitor_response(v: visitor::Model) -> VisitorResponse {
    VisitorResponse {
        id_number_masked: mask(v.id_number_last4.as_deref()),
        on_campus: v.checked_out_at.is_none() && v.status == VisitStatus::Admitted,
        id: v.id,
        name: v.name,
        phone: v.phone,
        organisation: v.organisation,
        reason: v.reason,
        host: v.host,
        vehicle_plate: v.vehicle_plate,
        gate: v.gate,
        expected_visitor_id: v.expected_visitor_id,
        watchlist_entry_id: v.watchlist_entry_id,
        status: v.status,
        decided_by: v.decided_by,
        decided_at: v.decided_at,
        decision_reason: v.decision_reason,
        checked_in_at: v.checked_in_at,
        checked_out_at: v.checked_out_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInResponse {
    pub visitor: VisitorResponse,
    /// Present when the visitor matches the watchlist (then `visitor.status` is `refused` or
    /// `pending`, never `admitted`); the office is alerted (`GET /visitors?flagged=true`,
    /// audit action `visitor.watchlist_hit`).
    pub warning: Option<WatchlistWarning>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    pub name: String,
    pub phone: Option<String>,
    /// 身份证号 (or another ID document number). Stored only as a keyed hash plus its last 4.
    pub id_number: Option<String>,
    pub organisation: Option<String>,
    pub reason: String,
    /// Whom the visitor sees.
    pub host: Option<String>,
    pub vehicle_plate: Option<String>,
    pub gate: Option<String>,
    /// Required when the person is on the watchlist as 形迹可疑 (the first attempt answers
    /// `409 visitor_suspicious` and records nothing): `refuse` (拒绝入校, recorded) or
    /// `ask_office` (请示保卫处: recorded as `pending`; only the security office can let the
    /// person in). Ignored otherwise; a banned person is always refused.
    pub watchlist_decision: Option<String>,
}

/// Check a visitor in. The ID number is kept only as a keyed hash (for the watchlist) and its
/// last 4 characters; it is never returned in full. A person on the watchlist is never let in
/// here: banned → recorded as refused, `409 visitor_banned`; suspicious → `409
/// visitor_suspicious` until the guard chooses `watchlist_decision` (refuse, or ask the office:
/// `pending` until `POST /visitors/{id}/decision`). Both are flagged for the office. A visitor
/// kiosk checks visitors in with a `visitors:write` key, under the same rules.
#[utoipa::path(
    tag = "visitors",
    request_body = CheckInRequest,
    responses(
        (status = 201, body = CheckInResponse),
        (status = 409, description = "`visitor_banned` (recorded as a refused attempt), `visitor_suspicious` (choose `watchlist_decision`), `already_checked_in`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]), ("api_key" = ["visitors:write"]))
)]
#[post("/visitors")]
pub async fn check_in(
    auth: AuthOrKey<GuardOrOffice, VisitorsWrite>,
    state: State,
    body: web::Json<CheckInRequest>,
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
        b.host.as_deref(),
        b.vehicle_plate.as_deref(),
    );
    v.opt_text("gate", b.gate.as_deref(), 64);
    check_decision(&mut v, b.watchlist_decision.as_deref());
    v.finish()?;
    let id = protect_id(&state.db.conn, &state.db.master_key, b.id_number.as_deref()).await?;
    let resp = check_in_visitor(
        &state,
        &auth.caller,
        NewVisitor {
            name: b.name.trim().to_owned(),
            phone: blank_to_none(b.phone),
            id,
            organisation: blank_to_none(b.organisation),
            reason: b.reason.trim().to_owned(),
            host: blank_to_none(b.host),
            vehicle_plate: blank_to_none(b.vehicle_plate),
            gate: blank_to_none(b.gate),
            expected_visitor_id: None,
            watchlist_decision: b.watchlist_decision,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(resp))
}

/// One visitor record.
#[utoipa::path(
    tag = "visitors",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = VisitorResponse),
        (status = 404, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "guard"]), ("api_key" = ["visitors:read"]))
)]
#[get("/visitors/{id}")]
pub async fn get_visitor(
    _auth: AuthOrKey<GateLogReaders, VisitorsRead>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<VisitorResponse>> {
    Ok(web::Json(visitor_response(
        find_visitor(&state.db.conn, id.into_inner()).await?,
    )))
}

/// Check a visitor out (also a visitor kiosk's `visitors:write` key).
#[utoipa::path(
    tag = "visitors",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = VisitorResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`already_checked_out`, `visitor_not_admitted` (refused or pending: never on campus)", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]), ("api_key" = ["visitors:write"]))
)]
#[post("/visitors/{id}/check-out")]
pub async fn check_out(
    auth: AuthOrKey<GuardOrOffice, VisitorsWrite>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<VisitorResponse>> {
    let id = id.into_inner();
    if find_visitor(&state.db.conn, id).await?.status != VisitStatus::Admitted {
        return Err(ApiError::conflict(
            ErrorCode::VisitorNotAdmitted,
            "该访客未获准入校,无需登记离校",
        ));
    }
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    let res = visitor::Entity::update_many()
        .col_expr(visitor::Column::CheckedOutAt, Expr::value(now))
        .col_expr(
            visitor::Column::CheckedOutBy,
            Expr::value(auth.caller.person_id()),
        )
        .filter(visitor::Column::Id.eq(id))
        .filter(visitor::Column::Status.eq(VisitStatus::Admitted))
        .filter(visitor::Column::CheckedOutAt.is_null())
        .exec(&*tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::conflict(
            ErrorCode::AlreadyCheckedOut,
            "该访客已离校",
        ));
    }
    audit::record(
        &*tx,
        auth.caller.actor(),
        "visitor.check_out",
        "visitor",
        Some(id.to_string()),
        json!({"checked_out_at": now}),
    )
    .await?;
    let v = find_visitor(&*tx, id).await?;
    tx.commit().await?;
    Ok(web::Json(visitor_response(v)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckOutAllResponse {
    pub checked_out: u64,
}

/// Sign out every visitor still on campus (end of the day).
#[utoipa::path(
    tag = "visitors",
    responses((status = 200, body = CheckOutAllResponse)),
    security(("bearer" = ["guard", "security_office"]))
)]
#[post("/visitors/check-out-all")]
pub async fn check_out_all(
    auth: Auth<GuardOrOffice>,
    state: State,
) -> AppResult<web::Json<CheckOutAllResponse>> {
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    let res = visitor::Entity::update_many()
        .col_expr(visitor::Column::CheckedOutAt, Expr::value(now))
        .col_expr(visitor::Column::CheckedOutBy, Expr::value(auth.user.id))
        .filter(visitor::Column::Status.eq(VisitStatus::Admitted))
        .filter(visitor::Column::CheckedOutAt.is_null())
        .exec(&*tx)
        .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "visitor.check_out_all",
        "visitor",
        None,
        json!({"checked_out": res.rows_affected}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(CheckOutAllResponse {
        checked_out: res.rows_affected,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VisitorQuery {
    /// Only visitors still on campus (admitted and not checked out).
    pub on_campus: Option<bool>,
    /// `admitted`, `refused` or `pending` (waiting for the security office's decision).
    pub status: Option<String>,
    /// Only visitors that matched the watchlist (the office's alerts).
    pub flagged: Option<bool>,
    /// Local date `YYYY-MM-DD` of check-in.
    pub date: Option<String>,
    /// Part of the name, organisation or host.
    pub q: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Visitors, newest first: who is on campus now, history with filters, watchlist alerts.
#[utoipa::path(
    tag = "visitors",
    params(VisitorQuery),
    responses(
        (status = 200, body = Page<VisitorResponse>),
        (status = 400, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "guard"]), ("api_key" = ["visitors:read"]))
)]
#[get("/visitors")]
pub async fn list_visitors(
    _auth: AuthOrKey<GateLogReaders, VisitorsRead>,
    state: State,
    query: web::Query<VisitorQuery>,
) -> AppResult<web::Json<Page<VisitorResponse>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let mut select = visitor::Entity::find();
    match q.on_campus {
        Some(true) => {
            select = select
                .filter(visitor::Column::CheckedOutAt.is_null())
                .filter(visitor::Column::Status.eq(VisitStatus::Admitted))
        }
        Some(false) => {
            select = select.filter(
                Condition::any()
                    .add(visitor::Column::CheckedOutAt.is_not_null())
                    .add(visitor::Column::Status.ne(VisitStatus::Admitted)),
            )
        }
        None => {}
    }
    if let Some(st) = q.status.as_deref() {
        let Some(st) = VisitStatus::parse(st) else {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidQuery,
                "status 须为 admitted、refused 或 pending",
            ));
        };
        select = select.filter(visitor::Column::Status.eq(st));
    }
    match q.flagged {
        Some(true) => select = select.filter(visitor::Column::WatchlistEntryId.is_not_null()),
        Some(false) => select = select.filter(visitor::Column::WatchlistEntryId.is_null()),
        None => {}
    }
    if let Some(d) = q.date.as_deref() {
        let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request(ErrorCode::InvalidQuery, "date 须为 YYYY-MM-DD"))?;
        let (start, end) = crate::features::passes::local_day(state.tz, date);
        select = select
            .filter(visitor::Column::CheckedInAt.gte(start))
            .filter(visitor::Column::CheckedInAt.lt(end));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(
            Condition::any()
                .add(crate::infra::pagination::contains_text(
                    visitor::Column::Name,
                    text,
                ))
                .add(crate::infra::pagination::contains_text(
                    visitor::Column::Organisation,
                    text,
                ))
                .add(crate::infra::pagination::contains_text(
                    visitor::Column::Host,
                    text,
                )),
        );
    }
    if let Some(after) = &paging.after {
        let after = Uuid::parse_str(after)
            .map_err(|_| ApiError::bad_request(ErrorCode::InvalidCursor, "cursor 无效"))?;
        select = select.filter(visitor::Column::Id.lt(after));
    }
    let rows = select
        .order_by_desc(visitor::Column::Id)
        .limit(paging.fetch_limit())
        .all(&state.db.conn)
        .await?;
    let page = paging.page(rows, |r| r.id.to_string());
    Ok(web::Json(Page {
        items: page.items.into_iter().map(visitor_response).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorDecisionRequest {
    /// `true`: let the person in (on campus from now); `false`: refuse.
    pub admit: bool,
    /// Why (kept with the record and in the audit log).
    pub reason: String,
}

/// The security office decides on a suspicious person the guard referred (`pending`): only
/// this lets such a person in. Who decided, when and why are kept on the record and audited.
#[utoipa::path(
    tag = "visitors",
    params(("id" = Uuid, Path)),
    request_body = VisitorDecisionRequest,
    responses(
        (status = 200, body = VisitorResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`visitor_not_pending`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/visitors/{id}/decision")]
pub async fn decide_visitor(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<VisitorDecisionRequest>,
) -> AppResult<web::Json<VisitorResponse>> {
    let id = id.into_inner();
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("reason", &b.reason, 1, 500);
    v.finish()?;
    find_visitor(&state.db.conn, id).await?;
    let now = crate::infra::clock::now();
    let status = if b.admit {
        VisitStatus::Admitted
    } else {
        VisitStatus::Refused
    };
    let reason = b.reason.trim().to_owned();
    let tx = state.db.begin_write().await?;
    // Conditional, so two decisions on one visit give one outcome.
    let res = visitor::Entity::update_many()
        .col_expr(visitor::Column::Status, Expr::value(status))
        .col_expr(visitor::Column::DecidedBy, Expr::value(auth.user.id))
        .col_expr(visitor::Column::DecidedAt, Expr::value(now))
        .col_expr(visitor::Column::DecisionReason, Expr::value(reason.clone()))
        .filter(visitor::Column::Id.eq(id))
        .filter(visitor::Column::Status.eq(VisitStatus::Pending))
        .exec(&*tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::conflict(
            ErrorCode::VisitorNotPending,
            "该来访不在待保卫处决定状态",
        ));
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        if b.admit {
            "visitor.override_admit"
        } else {
            "visitor.refuse"
        },
        "visitor",
        Some(id.to_string()),
        json!({"before": {"status": VisitStatus::Pending}, "after": {"status": status, "reason": reason}}),
    )
    .await?;
    let v = find_visitor(&*tx, id).await?;
    if b.admit {
        let e = super::store::checked_in_event(&v);
        crate::features::events::emit_payload(&*tx, now, &e).await?;
    }
    tx.commit().await?;
    Ok(web::Json(visitor_response(v)))
}
