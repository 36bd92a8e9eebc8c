//! Hazard requests, responses and the read handlers; the workflow steps are in
//! `http/workflow.rs`.

mod workflow;

pub use workflow::*;

use super::lifecycle;
use super::model::{HazardAction, HazardCategory, HazardSource, HazardStatus, event, hazard};
use super::raise;
use super::store;
use crate::auth::extract::{Auth, AuthOrKey, Caller};
use crate::auth::roles::{AnyUser, HazardsRead, HazardsWrite, OfficeOrPrincipal, Role};
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardResponse {
    pub id: Uuid,
    pub category: HazardCategory,
    pub location: String,
    pub description: String,
    pub class_id: Option<Uuid>,
    pub class_name: Option<String>,
    /// The class was named by someone other than its teacher or the office: not counted for
    /// the class until the office confirms (`POST /hazards/{id}/class-attribution`).
    pub class_pending: bool,
    pub source: HazardSource,
    pub submission_id: Option<Uuid>,
    pub item_key: Option<String>,
    pub photo_ids: Vec<Uuid>,
    pub status: HazardStatus,
    /// The person who reported it; for a report by an integration key, the office account
    /// that created the key.
    pub reported_by: Uuid,
    /// The reporter's name, or the integration key's (`东门烟感`) when a key reported it.
    pub reported_by_name: String,
    /// The integration key that reported it (a sensor, another system), if one did.
    pub reported_by_api_key_id: Option<Uuid>,
    pub reported_at: DateTime<Utc>,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    /// Local date.
    pub deadline: Option<String>,
    pub is_overdue: bool,
    pub rectified_by: Option<Uuid>,
    pub rectified_at: Option<DateTime<Utc>>,
    pub rectification: Option<String>,
    pub rectification_photo_ids: Vec<Uuid>,
    pub verified_by: Option<Uuid>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardEventResponse {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Uuid,
    /// The person's name, or the integration key's when a key took the step.
    pub actor_name: String,
    /// The integration key that took the step, if one did.
    pub actor_api_key_id: Option<Uuid>,
    pub action: HazardAction,
    pub from_status: Option<HazardStatus>,
    pub to_status: HazardStatus,
    pub note: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardDetail {
    #[serde(flatten)]
    pub hazard: HazardResponse,
    /// Every step, oldest first.
    pub history: Vec<HazardEventResponse>,
}

pub(super) async fn to_responses(
    db: &impl ConnectionTrait,
    rows: Vec<hazard::Model>,
    today: NaiveDate,
) -> AppResult<Vec<HazardResponse>> {
    let mut uids: Vec<Uuid> = rows.iter().map(|h| h.reported_by).collect();
    uids.extend(rows.iter().filter_map(|h| h.owner_id));
    let names = store::names(db, uids).await?;
    let keys = store::key_names(db, rows.iter().filter_map(|h| h.reported_by_api_key_id)).await?;
    let cls = crate::features::classes::names(db, rows.iter().filter_map(|h| h.class_id)).await?;
    rows.into_iter()
        .map(|h| {
            let reporter = match h.reported_by_api_key_id {
                Some(k) => keys.get(&k),
                None => names.get(&h.reported_by),
            };
            Ok(HazardResponse {
                is_overdue: lifecycle::is_overdue(h.status, h.deadline.as_deref(), today),
                class_pending: h.class_pending,
                class_name: h.class_id.and_then(|c| cls.get(&c).cloned()),
                reported_by_name: reporter.cloned().unwrap_or_default(),
                reported_by_api_key_id: h.reported_by_api_key_id,
                owner_name: h.owner_id.and_then(|o| names.get(&o).cloned()),
                photo_ids: store::ids_of(&h.photo_ids)?,
                rectification_photo_ids: store::ids_of(&h.rectification_photo_ids)?,
                id: h.id,
                category: h.category,
                location: h.location,
                description: h.description,
                class_id: h.class_id,
                source: h.source,
                submission_id: h.submission_id,
                item_key: h.item_key,
                status: h.status,
                reported_by: h.reported_by,
                reported_at: h.reported_at,
                owner_id: h.owner_id,
                deadline: h.deadline,
                rectified_by: h.rectified_by,
                rectified_at: h.rectified_at,
                rectification: h.rectification,
                verified_by: h.verified_by,
                closed_at: h.closed_at,
                updated_at: h.updated_at,
            })
        })
        .collect()
}

pub(super) async fn to_response(
    db: &impl ConnectionTrait,
    h: hazard::Model,
    today: NaiveDate,
) -> AppResult<HazardResponse> {
    to_responses(db, vec![h], today)
        .await?
        .pop()
        .ok_or_else(ApiError::internal)
}

pub(super) async fn detail(
    db: &impl ConnectionTrait,
    h: hazard::Model,
    today: NaiveDate,
) -> AppResult<HazardDetail> {
    let events: Vec<event::Model> = store::history(db, h.id).await?;
    let names = store::names(db, events.iter().map(|e| e.actor_id)).await?;
    let keys = store::key_names(db, events.iter().filter_map(|e| e.actor_api_key_id)).await?;
    let history = events
        .into_iter()
        .map(|e| {
            let actor = match e.actor_api_key_id {
                Some(k) => keys.get(&k),
                None => names.get(&e.actor_id),
            };
            Ok(HazardEventResponse {
                details: crate::infra::util::stored_json(
                    "hazard_events.details",
                    e.id,
                    &e.details,
                )?,
                id: e.id,
                at: e.at,
                actor_name: actor.cloned().unwrap_or_default(),
                actor_api_key_id: e.actor_api_key_id,
                actor_id: e.actor_id,
                action: e.action,
                from_status: e.from_status,
                to_status: e.to_status,
                note: e.note,
            })
        })
        .collect::<AppResult<_>>()?;
    let hazard = to_response(db, h, today).await?;
    Ok(HazardDetail { hazard, history })
}

pub(super) fn forbidden() -> ApiError {
    ApiError::forbidden(ErrorCode::HazardForbidden, "无权查看此隐患")
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportHazardRequest {
    /// Checked by the server (`422` with a field error), hence read as a string.
    #[schema(value_type = HazardCategory)]
    pub category: String,
    /// e.g. `教学楼A 三楼东侧楼梯`.
    pub location: String,
    pub description: String,
    /// The class it concerns, if any (its class teacher will see it).
    pub class_id: Option<Uuid>,
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

/// Report a hazard. Anyone signed in may, student safety officers included; so may a sensor
/// or another system with a `hazards:write` key: the hazard then names the key as its
/// reporter (`reported_by_name` is the key's name, `reported_by_api_key_id` the key), takes
/// no photos (`attachment_ids` must be empty), and a class it names awaits the office's
/// confirmation.
#[utoipa::path(
    tag = "hazards",
    request_body = ReportHazardRequest,
    responses(
        (status = 201, body = HazardResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]),
        ("api_key" = ["hazards:write"])
    )
)]
#[post("/hazards")]
pub async fn report_hazard(
    auth: AuthOrKey<AnyUser, HazardsWrite>,
    state: State,
    body: web::Json<ReportHazardRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    raise::validate_report(&body)?;
    let tx = state.db.begin_write().await?;
    let row = match &auth.caller {
        Caller::User(u) => raise::report_in_tx(&*tx, u, body, json!({"source": "report"})).await?,
        Caller::Key(k) => raise::report_by_key(&*tx, k, body).await?,
    };
    let today = crate::infra::clock::today(state.tz);
    let resp = to_response(&*tx, row, today).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(resp))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HazardQuery {
    pub status: Option<HazardStatus>,
    pub category: Option<HazardCategory>,
    pub class_id: Option<Uuid>,
    /// `true`: only those whose class awaits the office's confirmation.
    pub class_pending: Option<bool>,
    pub owner_id: Option<Uuid>,
    /// Only assigned hazards past their deadline.
    pub overdue: Option<bool>,
    /// Only hazards not closed yet (the dashboard's 未销号隐患 figure).
    pub open: Option<bool>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Hazards the caller may see, newest first (a `hazards:read` key: every one, as the office).
#[utoipa::path(
    tag = "hazards",
    params(HazardQuery),
    responses(
        (status = 200, body = Page<HazardResponse>),
        (status = 400, body = crate::infra::error::Problem),
    ),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]),
        ("api_key" = ["hazards:read"])
    )
)]
#[get("/hazards")]
pub async fn list_hazards(
    auth: AuthOrKey<AnyUser, HazardsRead>,
    state: State,
    query: web::Query<HazardQuery>,
) -> AppResult<web::Json<Page<HazardResponse>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let db = &state.db.conn;
    let today = crate::infra::clock::today(state.tz);
    let mut select = hazard::Entity::find();
    if let Caller::User(u) = &auth.caller
        && let Some(c) = store::visibility(db, u).await?
    {
        select = select.filter(c);
    }
    if let Some(v) = q.status {
        select = select.filter(hazard::Column::Status.eq(v));
    }
    if let Some(v) = q.category {
        select = select.filter(hazard::Column::Category.eq(v));
    }
    if let Some(v) = q.class_id {
        select = select.filter(hazard::Column::ClassId.eq(v));
    }
    if let Some(v) = q.owner_id {
        select = select.filter(hazard::Column::OwnerId.eq(v));
    }
    if q.open == Some(true) {
        select = select.filter(hazard::Column::Status.ne(HazardStatus::Closed));
    }
    if let Some(v) = q.class_pending {
        select = select.filter(hazard::Column::ClassPending.eq(v));
    }
    if q.overdue == Some(true) {
        select = select
            .filter(hazard::Column::Status.eq(HazardStatus::Assigned))
            .filter(hazard::Column::Deadline.lt(today.format("%Y-%m-%d").to_string()));
    }
    if let Some(after) = &paging.after {
        let after = Uuid::parse_str(after)
            .map_err(|_| ApiError::bad_request(ErrorCode::InvalidCursor, "cursor 无效"))?;
        select = select.filter(hazard::Column::Id.lt(after));
    }
    let rows = select
        .order_by_desc(hazard::Column::Id)
        .limit(paging.fetch_limit())
        .all(db)
        .await?;
    let page = paging.page(rows, |r| r.id.to_string());
    Ok(web::Json(Page {
        items: to_responses(db, page.items, today).await?,
        next_cursor: page.next_cursor,
    }))
}

/// Overdue hazards (assigned, deadline passed), most overdue first: every one for the
/// office, the principal and a `hazards:read` key, the caller's own for everyone else.
#[utoipa::path(
    tag = "hazards",
    responses((status = 200, body = Vec<HazardResponse>)),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]),
        ("api_key" = ["hazards:read"])
    )
)]
#[get("/hazards/overdue")]
pub async fn list_overdue(
    auth: AuthOrKey<AnyUser, HazardsRead>,
    state: State,
) -> AppResult<web::Json<Vec<HazardResponse>>> {
    let db = &state.db.conn;
    let today = crate::infra::clock::today(state.tz);
    let mut select = hazard::Entity::find()
        .filter(hazard::Column::Status.eq(HazardStatus::Assigned))
        .filter(hazard::Column::Deadline.lt(today.format("%Y-%m-%d").to_string()));
    if let Caller::User(u) = &auth.caller
        && !matches!(u.role, Role::SecurityOffice | Role::Principal)
    {
        select = select.filter(hazard::Column::OwnerId.eq(u.id));
    }
    let rows = select
        .order_by_asc(hazard::Column::Deadline)
        .limit(crate::infra::pagination::MAX_LIMIT)
        .all(db)
        .await?;
    Ok(web::Json(to_responses(db, rows, today).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardStats {
    pub total: u64,
    pub open: u64,
    pub overdue: u64,
    /// By status (`reported`, `assigned`, `rectified`, `closed`).
    pub by_status: BTreeMap<String, u64>,
    pub by_category: BTreeMap<String, u64>,
    pub by_location: BTreeMap<String, u64>,
    /// Reported per month (`YYYY-MM`, local time).
    pub by_month: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Only hazards reported in this year (local time).
    pub year: Option<i32>,
}

/// Counts by status, category, location and month.
#[utoipa::path(
    tag = "hazards",
    params(StatsQuery),
    responses((status = 200, body = HazardStats)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/hazards/stats")]
pub async fn hazard_stats(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    query: web::Query<StatsQuery>,
) -> AppResult<web::Json<HazardStats>> {
    use chrono::Datelike;
    let today = crate::infra::clock::today(state.tz);
    // The counts are over a school's hazards (hundreds a year): grouping in memory keeps the
    // month (a local-time notion) the same on SQLite and PostgreSQL.
    let rows = hazard::Entity::find().all(&state.db.conn).await?;
    let mut s = HazardStats {
        total: 0,
        open: 0,
        overdue: 0,
        by_status: BTreeMap::new(),
        by_category: BTreeMap::new(),
        by_location: BTreeMap::new(),
        by_month: BTreeMap::new(),
    };
    for h in rows {
        let local = h.reported_at.with_timezone(&state.tz);
        if query.year.is_some_and(|y| local.year() != y) {
            continue;
        }
        s.total += 1;
        if h.status != HazardStatus::Closed {
            s.open += 1;
        }
        if lifecycle::is_overdue(h.status, h.deadline.as_deref(), today) {
            s.overdue += 1;
        }
        *s.by_status.entry(h.status.as_str().to_owned()).or_default() += 1;
        *s.by_category
            .entry(h.category.as_str().to_owned())
            .or_default() += 1;
        *s.by_location.entry(h.location.clone()).or_default() += 1;
        *s.by_month
            .entry(local.format("%Y-%m").to_string())
            .or_default() += 1;
    }
    Ok(web::Json(s))
}

/// One hazard with its history (a `hazards:read` key: any, as the office).
#[utoipa::path(
    tag = "hazards",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = HazardDetail),
        (status = 403, description = "`hazard_forbidden`", body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
    ),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]),
        ("api_key" = ["hazards:read"])
    )
)]
#[get("/hazards/{id}")]
pub async fn get_hazard(
    auth: AuthOrKey<AnyUser, HazardsRead>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<HazardDetail>> {
    let db = &state.db.conn;
    let h = store::find(db, id.into_inner()).await?;
    if let Caller::User(u) = &auth.caller
        && !store::may_view(db, u, &h).await?
    {
        return Err(forbidden());
    }
    Ok(web::Json(
        detail(db, h, crate::infra::clock::today(state.tz)).await?,
    ))
}
