//! The gate's vehicle log: record a vehicle in or out, the day's log, rush-hour entries by
//! owner.

use super::super::rules::{normalise_plate, rush_window};
use super::store;
use crate::auth::extract::Auth;
use crate::auth::roles::{GateLogReaders, GuardOrOffice, OfficeOrPrincipal};
use crate::features::audit;
use crate::infra::clock::{check_date, fmt_date, start_of_day, today};
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::state::State;
use crate::schema::users as user;
use crate::schema::vehicles::{RushWindow, VehicleDirection, VehicleKind, passage};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct PassageResponse {
    pub id: Uuid,
    /// Normalised plate.
    pub plate: String,
    pub direction: VehicleDirection,
    /// The registered vehicle; `null` for a visitor's vehicle.
    pub vehicle_id: Option<Uuid>,
    pub kind: Option<VehicleKind>,
    /// The owner as registered when it passed; `null` for a visitor's vehicle.
    pub owner_name: Option<String>,
    /// Not in the register (or retired from it): recorded as a visitor's vehicle.
    pub visitor: bool,
    /// The rush window an entry fell in (上学 `morning`, 放学 `afternoon`); `null` otherwise.
    pub rush: Option<RushWindow>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Uuid,
    pub recorded_by_name: String,
    pub note: Option<String>,
}

async fn responses(
    db: &impl ConnectionTrait,
    rows: Vec<passage::Model>,
) -> AppResult<Vec<PassageResponse>> {
    let ids: Vec<Uuid> = rows.iter().map(|p| p.recorded_by).collect();
    let names: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let kinds: HashMap<Uuid, VehicleKind> = {
        let vids: Vec<Uuid> = rows.iter().filter_map(|p| p.vehicle_id).collect();
        crate::schema::vehicles::vehicle::Entity::find()
            .filter(crate::schema::vehicles::vehicle::Column::Id.is_in(vids))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.id, v.kind))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|p| PassageResponse {
            recorded_by_name: names.get(&p.recorded_by).cloned().unwrap_or_default(),
            kind: p.vehicle_id.and_then(|v| kinds.get(&v).copied()),
            visitor: p.vehicle_id.is_none(),
            id: p.id,
            plate: p.plate,
            direction: p.direction,
            vehicle_id: p.vehicle_id,
            owner_name: p.owner_name,
            rush: p.rush,
            recorded_at: p.recorded_at,
            recorded_by: p.recorded_by,
            note: p.note,
        })
        .collect())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"plate": "浙A·12345", "direction": "in", "client_event_id": "0193a6f2-6c1e-7c55-9a1e-1b2c3d4e5f60"}))]
pub struct PassageRequest {
    /// As typed or picked; normalised (`浙a·12345` → `浙A12345`).
    pub plate: String,
    pub direction: VehicleDirection,
    /// The phone's id for this record (8–64 characters): a retry with the same id gets the
    /// first answer and records nothing.
    pub client_event_id: Option<String>,
    /// At most 200 characters (e.g. 送货).
    pub note: Option<String>,
}

/// Record a vehicle in or out at the gate (guards, the office), at the server's time. A plate
/// in the register (active) is its owner's; any other is a visitor's vehicle. An entry inside
/// a rush window is flagged (`rush`). A malformed plate is `422` on `plate` (`invalid_plate`);
/// a retry with the same `client_event_id` answers `200` with the first record; the same id
/// for another plate, direction or guard is `409 client_event_conflict`.
#[utoipa::path(
    tag = "vehicles",
    request_body = PassageRequest,
    responses(
        (status = 201, body = PassageResponse),
        (status = 200, description = "A retry: the record made the first time", body = PassageResponse),
        (status = 409, description = "`client_event_conflict`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office", "guard"]))
)]
#[post("/vehicle-passages")]
pub async fn record_passage(
    auth: Auth<GuardOrOffice>,
    state: State,
    body: web::Json<PassageRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    let plate = match normalise_plate(&b.plate) {
        Ok(p) => p,
        Err(e) => {
            v.add("plate", "invalid_plate", e.message());
            String::new()
        }
    };
    let event = b.client_event_id.as_deref().map(str::trim);
    if let Some(e) = event
        && !(8..=64).contains(&e.len())
    {
        v.add("client_event_id", "invalid", "须为 8–64 个字符");
    }
    v.opt_text("note", b.note.as_deref(), 200);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    if let Some(e) = event
        && let Some(first) = store::passage_by_event(&*tx, e).await?
    {
        if first.plate != plate
            || first.direction != b.direction
            || first.recorded_by != auth.user.id
        {
            return Err(ApiError::conflict(
                ErrorCode::ClientEventConflict,
                "该记录编号已用于另一条车辆记录",
            ));
        }
        let mut r = responses(&*tx, vec![first]).await?;
        return r
            .pop()
            .map(|p| HttpResponse::Ok().json(p))
            .ok_or_else(ApiError::internal);
    }
    let registered = store::vehicle_by_plate(&*tx, &plate)
        .await?
        .filter(|v| v.active);
    let windows = store::windows_of(store::settings_row(&*tx).await?.as_ref());
    let now = crate::infra::clock::now();
    let local = now.with_timezone(&state.tz).time();
    let p = passage::ActiveModel {
        id: Set(Uuid::now_v7()),
        plate: Set(plate),
        vehicle_id: Set(registered.as_ref().map(|v| v.id)),
        owner_name: Set(registered.as_ref().map(|v| v.owner_name.clone())),
        direction: Set(b.direction),
        rush: Set(rush_window(b.direction, local, &windows)),
        recorded_at: Set(now),
        recorded_by: Set(auth.user.id),
        client_event_id: Set(event.map(str::to_owned)),
        note: Set(b
            .note
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "vehicle.pass",
        "vehicle_passage",
        Some(p.id.to_string()),
        json!({"plate": p.plate, "direction": p.direction, "visitor": p.vehicle_id.is_none(), "rush": p.rush}),
    )
    .await?;
    let mut r = responses(&*tx, vec![p]).await?;
    tx.commit().await?;
    r.pop()
        .map(|p| HttpResponse::Created().json(p))
        .ok_or_else(ApiError::internal)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PassageQuery {
    /// The school day, `YYYY-MM-DD` (default today).
    pub date: Option<String>,
    /// Only entries flagged in a rush window.
    pub rush: Option<bool>,
    /// Only this plate (normalised as typed).
    pub plate: Option<String>,
}

/// One school day's vehicle log, newest first (at most 2,000 records).
#[utoipa::path(
    tag = "vehicles",
    params(PassageQuery),
    responses((status = 200, body = Vec<PassageResponse>), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/vehicle-passages")]
pub async fn list_passages(
    _auth: Auth<GateLogReaders>,
    state: State,
    query: web::Query<PassageQuery>,
) -> AppResult<web::Json<Vec<PassageResponse>>> {
    let q = query.into_inner();
    let mut v = Validator::new();
    let day = match q.date.as_deref() {
        Some(d) => check_date(&mut v, "date", d),
        None => Some(today(state.tz)),
    };
    let plate = match q.plate.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match normalise_plate(p) {
            Ok(p) => Some(p),
            Err(e) => {
                v.add("plate", "invalid_plate", e.message());
                None
            }
        },
    };
    v.finish()?;
    let day = day.ok_or_else(ApiError::internal)?;
    let from = start_of_day(day, state.tz);
    let to = start_of_day(day + Duration::days(1), state.tz);
    let mut rows =
        store::passages_between(&state.db.conn, from, to, q.rush.unwrap_or(false), true).await?;
    if let Some(p) = plate {
        rows.retain(|r| r.plate == p);
    }
    Ok(web::Json(responses(&state.db.conn, rows).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RushQuery {
    /// First day, `YYYY-MM-DD` (default 29 days before `to`).
    pub from: Option<String>,
    /// Last day included, `YYYY-MM-DD` (default today); at most a year after `from`.
    pub to: Option<String>,
}

/// One owner's entries in the rush windows (visitors' vehicles together as one line with
/// `owner_name: null`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RushOwnerResponse {
    pub owner_name: Option<String>,
    pub plates: Vec<String>,
    /// Entries in either window.
    pub entries: u64,
    pub morning: u64,
    pub afternoon: u64,
    pub last_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RushReport {
    pub from: String,
    pub to: String,
    /// Most entries first.
    pub owners: Vec<RushOwnerResponse>,
}

/// Entries in the rush windows over a period, by owner (the plan asks teachers to avoid them).
#[utoipa::path(
    tag = "vehicles",
    params(RushQuery),
    responses((status = 200, body = RushReport), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/vehicle-passages/rush-by-owner")]
pub async fn rush_by_owner(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    query: web::Query<RushQuery>,
) -> AppResult<web::Json<RushReport>> {
    let q = query.into_inner();
    let mut v = Validator::new();
    let to = match q.to.as_deref() {
        Some(d) => check_date(&mut v, "to", d),
        None => Some(today(state.tz)),
    };
    let from = match (q.from.as_deref(), to) {
        (Some(d), _) => check_date(&mut v, "from", d),
        (None, Some(t)) => Some(t - Duration::days(29)),
        (None, None) => None,
    };
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            v.add("to", "before_start", "结束日期不能早于开始日期");
        } else if (t - f).num_days() > 366 {
            v.add("to", "range_too_long", "时间范围不能超过一年");
        }
    }
    v.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::internal());
    };
    let rows = store::passages_between(
        &state.db.conn,
        start_of_day(from, state.tz),
        start_of_day(to + Duration::days(1), state.tz),
        true,
        false,
    )
    .await?;
    let mut by: BTreeMap<Option<String>, RushOwnerResponse> = BTreeMap::new();
    for p in rows {
        let key = p.vehicle_id.and(p.owner_name.clone());
        let o = by.entry(key.clone()).or_insert_with(|| RushOwnerResponse {
            owner_name: key,
            plates: Vec::new(),
            entries: 0,
            morning: 0,
            afternoon: 0,
            last_at: p.recorded_at,
        });
        o.entries += 1;
        match p.rush {
            Some(RushWindow::Morning) => o.morning += 1,
            Some(RushWindow::Afternoon) => o.afternoon += 1,
            None => {}
        }
        o.last_at = o.last_at.max(p.recorded_at);
        if !o.plates.contains(&p.plate) {
            o.plates.push(p.plate);
        }
    }
    let mut owners: Vec<RushOwnerResponse> = by.into_values().collect();
    owners.sort_by(|a, b| b.entries.cmp(&a.entries).then(b.last_at.cmp(&a.last_at)));
    Ok(web::Json(RushReport {
        from: fmt_date(from),
        to: fmt_date(to),
        owners,
    }))
}
