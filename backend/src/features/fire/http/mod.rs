//! The registry API (fire and security equipment): request and response types, and the
//! handlers by sub-resource.

mod buildings;
mod checks;
mod items;

use super::model::{CheckResult, ItemKind, building, check, item};
use super::status::{
    self, CheckPeriod, EquipmentCategory, FireStatus, Kind, PRESSURE_MAX, PRESSURE_MIN, kind,
};
use super::store::{self, photo_ids_of};
use crate::auth::extract::Auth;
use crate::auth::roles::{FireReaders, GuardOrOffice, Office};
use crate::features::attachments::{self, LINK_FIRE_CHECK, MAX_PER_FIELD};
use crate::features::audit;
use crate::features::plans::{check_date, fmt_date, parse_date, today};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::{AppState, State};
use crate::schema::hazards::hazard;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct FireBuildingResponse {
    pub id: Uuid,
    pub name: String,
    pub note: String,
    pub item_count: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FireBuildingRequest {
    /// e.g. `教学楼A`; unique.
    pub name: String,
    #[serde(default)]
    pub note: String,
}

/// What a check of this item must carry.
#[derive(Debug, Serialize, ToSchema)]
pub struct FireEvidence {
    /// A pressure reading (MPa) is required, within `pressure_min`..=`pressure_max` to pass.
    pub pressure: bool,
    pub pressure_min: Option<f64>,
    pub pressure_max: Option<f64>,
    /// A function test result (`test_passed`) is required.
    pub test: bool,
    /// At least one photo is required.
    pub photo: bool,
    /// An alarm device: the check may also record (optionally) whether the alarm reached the
    /// receiving end (`alarm_reached`, e.g. 联网报警 to the duty room); `false` is a failure.
    pub alarm_reached: bool,
}

fn evidence(k: &Kind) -> FireEvidence {
    FireEvidence {
        pressure: k.pressure,
        pressure_min: k.pressure.then_some(PRESSURE_MIN),
        pressure_max: k.pressure.then_some(PRESSURE_MAX),
        test: k.test,
        photo: k.photo,
        alarm_reached: k.alarm,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FireCheckResponse {
    pub id: Uuid,
    pub item_id: Uuid,
    pub result: CheckResult,
    pub pressure_mpa: Option<f64>,
    pub test_passed: Option<bool>,
    /// An alarm device's test: whether the alarm reached the receiving end (`None`: not
    /// recorded).
    pub alarm_reached: Option<bool>,
    pub note: String,
    pub photo_ids: Vec<Uuid>,
    /// The hazard a failed check raised (or joined, if one was still open for the item).
    pub hazard_id: Option<Uuid>,
    pub checked_by: Uuid,
    pub checked_by_name: String,
    pub checked_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FireItemResponse {
    pub id: Uuid,
    pub building_id: Uuid,
    pub building_name: String,
    pub kind: ItemKind,
    /// 消防器材 (`fire`) or 安防器材 (`security`), from the kind.
    pub category: EquipmentCategory,
    /// How often items of this kind are checked.
    pub period: CheckPeriod,
    pub name: String,
    pub location: String,
    /// Specification, e.g. `MFZ/ABC4 干粉 4kg`.
    pub spec: String,
    pub install_date: Option<String>,
    /// The last day it is valid.
    pub expiry_date: Option<String>,
    /// The person responsible for it, as written (may be empty when an account is chosen).
    pub responsible: String,
    /// The staff account responsible for it (责任人), if the office chose one.
    pub responsible_user_id: Option<Uuid>,
    /// That account's display name.
    pub responsible_user_name: Option<String>,
    /// See the board.
    pub status: FireStatus,
    /// The last day the next check is on time: the latest check's date plus one period
    /// (`None` when never checked).
    pub next_check_due: Option<String>,
    /// In service and never checked, or `next_check_due` has passed (for an alarm device:
    /// its test is overdue).
    pub overdue: bool,
    /// When it was retired (replaced or removed), if it was.
    pub retired_at: Option<DateTime<Utc>>,
    pub last_check: Option<FireCheckResponse>,
    /// The hazard raised when it was found expired.
    pub expired_hazard_id: Option<Uuid>,
    pub requires: FireEvidence,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FireItemDetail {
    #[serde(flatten)]
    pub item: FireItemResponse,
    /// Latest first, at most 12.
    pub checks: Vec<FireCheckResponse>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FireItemRequest {
    pub building_id: Uuid,
    /// A string (not the enum) so an unknown value is a field error (422), not a body error.
    #[schema(value_type = ItemKind)]
    pub kind: String,
    /// e.g. `灭火器 A-1-01`.
    pub name: String,
    /// Where in the building, e.g. `一楼东侧楼梯口`.
    pub location: String,
    #[serde(default)]
    pub spec: String,
    pub install_date: Option<String>,
    pub expiry_date: Option<String>,
    /// The responsible person as written; required unless `responsible_user_id` is given.
    #[serde(default)]
    pub responsible: String,
    /// A staff account (not a student) responsible for the item; its name is shown.
    pub responsible_user_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FireCheckRequest {
    #[schema(value_type = CheckResult)]
    pub result: String,
    /// Required for extinguishers.
    pub pressure_mpa: Option<f64>,
    /// Required for alarms, emergency lights, alarm buttons, cameras, access control and radios.
    pub test_passed: Option<bool>,
    /// Alarm devices only (`火灾报警器`, `一键报警按钮`), optional: whether the alarm reached
    /// the receiving end. `false` means the check failed.
    pub alarm_reached: Option<bool>,
    /// Required when failed: what is wrong.
    #[serde(default)]
    pub note: String,
    /// Uploaded photos (`POST /attachments`); at least one.
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct FireStatusCounts {
    pub normal: i64,
    pub due: i64,
    pub failed: i64,
    pub expired: i64,
    pub retired: i64,
    /// Items in service whose check is overdue (any status).
    pub overdue: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FireRetireRequest {
    /// `true` retires the item (replaced or removed); `false` puts it back in service.
    pub retired: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FireBoardResponse {
    /// The school's local date the statuses are computed for.
    pub today: String,
    /// Counts over the items matching `building_id`, `kind`, `category` and `alarm` (before the
    /// `status` and `overdue` filters).
    pub counts: FireStatusCounts,
    /// Worst status first, then by building and name.
    pub items: Vec<FireItemResponse>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FireBoardQuery {
    pub building_id: Option<Uuid>,
    /// `normal`, `due`, `failed`, `expired` or `retired`.
    #[param(value_type = Option<FireStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<ItemKind>)]
    pub kind: Option<String>,
    /// `fire` (消防器材) or `security` (安防器材).
    #[param(value_type = Option<EquipmentCategory>)]
    pub category: Option<String>,
    /// `true`: alarm devices only (火灾报警器, 一键报警按钮).
    pub alarm: Option<bool>,
    /// `true`: only items whose check is overdue; `false`: only those on time.
    pub overdue: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FireLabelResponse {
    pub item_id: Uuid,
    pub name: String,
    pub kind: ItemKind,
    pub category: EquipmentCategory,
    pub building_name: String,
    pub location: String,
    /// The check page the QR code opens.
    pub url: String,
    /// The QR code (SVG) encoding `url` only.
    pub qr_svg: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FireLabelQuery {
    pub building_id: Option<Uuid>,
    /// `fire` (消防器材) or `security` (安防器材).
    #[param(value_type = Option<EquipmentCategory>)]
    pub category: Option<String>,
}

/// A category from a query string; an unknown one is a field error.
fn parse_category(v: &mut Validator, s: Option<&str>) -> Option<EquipmentCategory> {
    let s = s?;
    let c = serde_json::from_value(serde_json::Value::String(s.to_owned())).ok();
    if c.is_none() {
        v.add(
            "category",
            "invalid",
            "类别应为 fire(消防器材)或 security(安防器材)",
        );
    }
    c
}

fn local_date(at: DateTime<Utc>, tz: chrono_tz::Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

fn check_response(c: check::Model, names: &HashMap<Uuid, String>) -> AppResult<FireCheckResponse> {
    Ok(FireCheckResponse {
        checked_by_name: names.get(&c.checked_by).cloned().unwrap_or_default(),
        photo_ids: photo_ids_of(&c)?,
        id: c.id,
        item_id: c.item_id,
        result: c.result,
        pressure_mpa: c.pressure_mpa,
        test_passed: c.test_passed,
        alarm_reached: c.alarm_reached,
        note: c.note,
        hazard_id: c.hazard_id,
        checked_by: c.checked_by,
        checked_at: c.checked_at,
    })
}

async fn item_responses(
    db: &impl ConnectionTrait,
    rows: Vec<item::Model>,
    today: NaiveDate,
    tz: chrono_tz::Tz,
) -> AppResult<Vec<FireItemResponse>> {
    let buildings: HashMap<Uuid, String> = building::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    let mut latest = store::latest_checks(db, rows.iter().map(|i| i.id).collect()).await?;
    let names = store::user_names(
        db,
        latest
            .values()
            .map(|c| c.checked_by)
            .chain(rows.iter().filter_map(|i| i.responsible_user_id))
            .collect(),
    )
    .await?;
    rows.into_iter()
        .map(|i| {
            let last = latest.remove(&i.id);
            let k = kind(i.kind);
            let expiry = i.expiry_date.as_deref().and_then(parse_date);
            let last_day = last.as_ref().map(|c| local_date(c.checked_at, tz));
            let st = if i.retired_at.is_some() {
                FireStatus::Retired
            } else {
                status::status(
                    k.period,
                    expiry,
                    last.as_ref().map(|c| c.result).zip(last_day),
                    today,
                )
            };
            Ok(FireItemResponse {
                building_name: buildings.get(&i.building_id).cloned().unwrap_or_default(),
                status: st,
                last_check: last.map(|c| check_response(c, &names)).transpose()?,
                requires: evidence(k),
                category: k.category,
                period: k.period,
                next_check_due: last_day.map(|d| fmt_date(k.period.next_due(d))),
                overdue: i.retired_at.is_none() && status::overdue(k.period, last_day, today),
                responsible_user_name: i.responsible_user_id.and_then(|u| names.get(&u).cloned()),
                responsible_user_id: i.responsible_user_id,
                id: i.id,
                building_id: i.building_id,
                kind: i.kind,
                name: i.name,
                location: i.location,
                spec: i.spec,
                install_date: i.install_date,
                expiry_date: i.expiry_date,
                responsible: i.responsible,
                expired_hazard_id: i.expired_hazard_id,
                retired_at: i.retired_at,
                updated_at: i.updated_at,
            })
        })
        .collect()
}

fn origin(state: &AppState, req: &HttpRequest) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    crate::infra::proxy::origin(req, &state.settings.trusted_proxies)
}

fn check_url(origin: &str, id: Uuid) -> String {
    format!("{origin}/fire/check/{id}")
}

fn qr_svg(data: &str) -> AppResult<String> {
    crate::infra::util::qr_svg(data, qrcode::EcLevel::M, 200)
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(buildings::list_fire_buildings)
        .service(buildings::create_fire_building)
        .service(buildings::update_fire_building)
        .service(items::fire_board)
        .service(items::fire_labels)
        .service(items::create_fire_item)
        .service(items::get_fire_item)
        .service(items::update_fire_item)
        .service(items::retire_fire_item)
        .service(items::fire_item_qr)
        .service(checks::submit_fire_check);
}
