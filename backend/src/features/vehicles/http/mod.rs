//! Vehicles over HTTP: the register (`register.rs`), the gate's log (`passages.rs`) and the
//! rush windows (here).

mod passages;
mod register;

use super::rules::{RushWindows, parse_hhmm};
use super::store;
use crate::auth::extract::Auth;
use crate::auth::roles::{GateLogReaders, Office};
use crate::features::audit;
use crate::infra::error::{AppResult, Validator};
use crate::infra::state::State;
use crate::schema::vehicles::settings;
use actix_web::{get, put, web};
use chrono::{DateTime, NaiveTime, Utc};
use sea_orm::{ActiveModelTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// The student rush windows (local `HH:MM`, start included, end excluded). An entry inside
/// one is flagged.
#[derive(Debug, Serialize, ToSchema)]
pub struct RushWindowsResponse {
    /// 上学 window start.
    pub morning_start: String,
    pub morning_end: String,
    /// 放学 window start.
    pub afternoon_start: String,
    pub afternoon_end: String,
    /// True while the school has not set its own (07:00–08:00, 16:30–17:30).
    pub is_default: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"morning_start": "07:10", "morning_end": "07:50", "afternoon_start": "16:40", "afternoon_end": "17:20"}))]
pub struct RushWindowsRequest {
    pub morning_start: String,
    pub morning_end: String,
    pub afternoon_start: String,
    pub afternoon_end: String,
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

fn windows_response(row: Option<settings::Model>) -> RushWindowsResponse {
    let w = store::windows_of(row.as_ref());
    RushWindowsResponse {
        morning_start: hhmm(w.morning.0),
        morning_end: hhmm(w.morning.1),
        afternoon_start: hhmm(w.afternoon.0),
        afternoon_end: hhmm(w.afternoon.1),
        is_default: row.is_none(),
        updated_at: row.map(|r| r.updated_at),
    }
}

/// The rush windows (the gate page shows them).
#[utoipa::path(
    tag = "vehicles",
    responses((status = 200, body = RushWindowsResponse), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/vehicle-settings")]
pub async fn get_rush_windows(
    _auth: Auth<GateLogReaders>,
    state: State,
) -> AppResult<web::Json<RushWindowsResponse>> {
    let row = store::settings_row(&state.db.conn).await?;
    Ok(web::Json(windows_response(row)))
}

/// Set the rush windows (security office): each `HH:MM`, start before end, the morning one
/// before the afternoon one. Entries already recorded keep their flag.
#[utoipa::path(
    tag = "vehicles",
    request_body = RushWindowsRequest,
    responses((status = 200, body = RushWindowsResponse), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[put("/vehicle-settings")]
pub async fn set_rush_windows(
    auth: Auth<Office>,
    state: State,
    body: web::Json<RushWindowsRequest>,
) -> AppResult<web::Json<RushWindowsResponse>> {
    let b = body.into_inner();
    let mut v = Validator::new();
    let mut time = |field: &str, s: &str| {
        let t = parse_hhmm(s);
        if t.is_none() {
            v.add(field, "invalid", "时间格式应为 HH:MM");
        }
        t
    };
    let ms = time("morning_start", &b.morning_start);
    let me = time("morning_end", &b.morning_end);
    let as_ = time("afternoon_start", &b.afternoon_start);
    let ae = time("afternoon_end", &b.afternoon_end);
    let mut w = RushWindows::default();
    if let (Some(ms), Some(me), Some(as_), Some(ae)) = (ms, me, as_, ae) {
        if me <= ms {
            v.add("morning_end", "before_start", "结束时间须晚于开始时间");
        }
        if ae <= as_ {
            v.add("afternoon_end", "before_start", "结束时间须晚于开始时间");
        }
        if as_ < me {
            v.add("afternoon_start", "overlap", "放学时段须在上学时段之后");
        }
        w = RushWindows {
            morning: (ms, me),
            afternoon: (as_, ae),
        };
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let before = store::settings_row(&*tx).await?;
    let row = settings::ActiveModel {
        id: Set(1),
        morning_start: Set(hhmm(w.morning.0)),
        morning_end: Set(hhmm(w.morning.1)),
        afternoon_start: Set(hhmm(w.afternoon.0)),
        afternoon_end: Set(hhmm(w.afternoon.1)),
        updated_at: Set(crate::infra::clock::now()),
    };
    let after = if before.is_some() {
        row.update(&*tx).await?
    } else {
        row.insert(&*tx).await?
    };
    audit::record(
        &*tx,
        auth.user.actor(),
        "vehicle_settings.update",
        "vehicle_settings",
        None,
        json!({"after": {"morning": [after.morning_start, after.morning_end], "afternoon": [after.afternoon_start, after.afternoon_end]}}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(windows_response(Some(after))))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(register::list_vehicles)
        .service(register::create_vehicle)
        .service(register::update_vehicle)
        .service(passages::record_passage)
        .service(passages::list_passages)
        .service(passages::rush_by_owner)
        .service(get_rush_windows)
        .service(set_rush_windows);
}
