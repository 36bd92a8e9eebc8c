//! The fire-equipment registry (消防设施户籍化管理): buildings and their registered items, QR
//! labels that open an item's check form, item-by-item checks with evidence, and the status
//! board; a failed or expired item raises a hazard through the hazard workflow.

pub use crate::schema::fire as model;

use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::{FireReaders, GuardOrOffice, Office, Role};
use crate::features::attachments::{self, LINK_FIRE_CHECK, MAX_PER_FIELD};
use crate::features::audit;
use crate::features::plans::{check_date, fmt_date, parse_date, today};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::{AppState, State};
use crate::schema::hazards::hazard;
use crate::schema::users as user;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use model::{building, check, item};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// An item type and the evidence its check needs (a bare tick is not evidence).
pub struct Kind {
    pub code: &'static str,
    pub name: &'static str,
    /// A pressure-gauge reading in MPa.
    pub pressure: bool,
    /// A function test (press the test button: sounds / lights up).
    pub test: bool,
    pub photo: bool,
}

pub const KINDS: &[Kind] = &[
    Kind {
        code: "extinguisher",
        name: "灭火器",
        pressure: true,
        test: false,
        photo: true,
    },
    Kind {
        code: "hydrant",
        name: "消火栓",
        pressure: false,
        test: false,
        photo: true,
    },
    Kind {
        code: "alarm",
        name: "火灾报警器",
        pressure: false,
        test: true,
        photo: true,
    },
    Kind {
        code: "emergency_light",
        name: "应急照明灯",
        pressure: false,
        test: true,
        photo: true,
    },
    Kind {
        code: "exit",
        name: "安全出口",
        pressure: false,
        test: false,
        photo: true,
    },
];

/// A stored-pressure extinguisher's gauge is in its green band between these (MPa).
pub const PRESSURE_MIN: f64 = 1.0;
pub const PRESSURE_MAX: f64 = 1.4;
/// An item expiring within this many days is shown as due (to be replaced).
pub const EXPIRY_WARNING_DAYS: i64 = 30;

pub const NORMAL: &str = "normal";
pub const DUE: &str = "due";
pub const FAILED: &str = "failed";
pub const EXPIRED: &str = "expired";
/// Replaced or removed; listed only when asked for (`status=retired`).
pub const RETIRED: &str = "retired";
const STATUSES: &[&str] = &[NORMAL, DUE, FAILED, EXPIRED];

pub fn kind(code: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.code == code)
}

/// Who may read the registry (used for check photos too).
pub fn may_read(u: &CurrentUser) -> bool {
    matches!(u.role, Role::SecurityOffice | Role::Principal | Role::Guard)
}

/// An item's status on `today`, worst first: `expired` (expiry date passed), `failed` (its
/// latest check failed; a passing check clears it), `due` (not checked yet in the current
/// calendar month, or expiring within [`EXPIRY_WARNING_DAYS`]), else `normal`.
pub fn status(
    expiry: Option<NaiveDate>,
    last_check: Option<(&str, NaiveDate)>,
    today: NaiveDate,
) -> &'static str {
    if expiry.is_some_and(|e| e < today) {
        return EXPIRED;
    }
    if last_check.is_some_and(|(r, _)| r == FAILED) {
        return FAILED;
    }
    let checked_this_month =
        last_check.is_some_and(|(_, d)| d.year() == today.year() && d.month() == today.month());
    let expiring = expiry.is_some_and(|e| (e - today).num_days() <= EXPIRY_WARNING_DAYS);
    if !checked_this_month || expiring {
        DUE
    } else {
        NORMAL
    }
}

// ---------- DTOs ----------

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
}

fn evidence(k: &Kind) -> FireEvidence {
    FireEvidence {
        pressure: k.pressure,
        pressure_min: k.pressure.then_some(PRESSURE_MIN),
        pressure_max: k.pressure.then_some(PRESSURE_MAX),
        test: k.test,
        photo: k.photo,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FireCheckResponse {
    pub id: Uuid,
    pub item_id: Uuid,
    /// `ok` or `failed`.
    pub result: String,
    pub pressure_mpa: Option<f64>,
    pub test_passed: Option<bool>,
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
    /// `extinguisher`, `hydrant`, `alarm`, `emergency_light` or `exit`.
    pub kind: String,
    pub name: String,
    pub location: String,
    /// Specification, e.g. `MFZ/ABC4 干粉 4kg`.
    pub spec: String,
    pub install_date: Option<String>,
    /// The last day it is valid.
    pub expiry_date: Option<String>,
    /// The person responsible for it.
    pub responsible: String,
    /// `normal`, `due`, `failed`, `expired` (see the board) or `retired`.
    pub status: String,
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
    pub kind: String,
    /// e.g. `灭火器 A-1-01`.
    pub name: String,
    /// Where in the building, e.g. `一楼东侧楼梯口`.
    pub location: String,
    #[serde(default)]
    pub spec: String,
    pub install_date: Option<String>,
    pub expiry_date: Option<String>,
    pub responsible: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FireCheckRequest {
    /// `ok` or `failed`.
    pub result: String,
    /// Required for extinguishers.
    pub pressure_mpa: Option<f64>,
    /// Required for alarms and emergency lights.
    pub test_passed: Option<bool>,
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
    /// Counts over the items matching `building_id` and `kind` (before the `status` filter).
    pub counts: FireStatusCounts,
    /// Worst status first, then by building and name.
    pub items: Vec<FireItemResponse>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FireBoardQuery {
    pub building_id: Option<Uuid>,
    /// `normal`, `due`, `failed` or `expired`.
    pub status: Option<String>,
    pub kind: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FireLabelResponse {
    pub item_id: Uuid,
    pub name: String,
    pub kind: String,
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
}

// ---------- helpers ----------

fn ids_of(s: &str) -> Vec<Uuid> {
    serde_json::from_str(s).unwrap_or_default()
}

fn local_date(at: DateTime<Utc>, tz: chrono_tz::Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

async fn find_building(db: &impl ConnectionTrait, id: Uuid) -> AppResult<building::Model> {
    building::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::FireBuildingNotFound, "楼栋不存在"))
}

async fn find_item(db: &impl ConnectionTrait, id: Uuid) -> AppResult<item::Model> {
    item::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::FireItemNotFound, "消防设施不存在"))
}

async fn user_names(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> AppResult<HashMap<Uuid, String>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

fn check_response(c: check::Model, names: &HashMap<Uuid, String>) -> FireCheckResponse {
    FireCheckResponse {
        checked_by_name: names.get(&c.checked_by).cloned().unwrap_or_default(),
        photo_ids: ids_of(&c.photo_ids),
        id: c.id,
        item_id: c.item_id,
        result: c.result,
        pressure_mpa: c.pressure_mpa,
        test_passed: c.test_passed,
        note: c.note,
        hazard_id: c.hazard_id,
        checked_by: c.checked_by,
        checked_at: c.checked_at,
    }
}

/// Each item's latest check.
async fn latest_checks(
    db: &impl ConnectionTrait,
    item_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, check::Model>> {
    let mut latest: HashMap<Uuid, check::Model> = HashMap::new();
    for c in check::Entity::find()
        .filter(check::Column::ItemId.is_in(item_ids))
        .order_by_asc(check::Column::CheckedAt)
        .all(db)
        .await?
    {
        latest.insert(c.item_id, c);
    }
    Ok(latest)
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
    let mut latest = latest_checks(db, rows.iter().map(|i| i.id).collect()).await?;
    let names = user_names(db, latest.values().map(|c| c.checked_by).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|i| {
            let last = latest.remove(&i.id);
            let expiry = i.expiry_date.as_deref().and_then(parse_date);
            let st = if i.retired_at.is_some() {
                RETIRED
            } else {
                status(
                    expiry,
                    last.as_ref()
                        .map(|c| (c.result.as_str(), local_date(c.checked_at, tz))),
                    today,
                )
            };
            let k = kind(&i.kind).unwrap_or(&KINDS[0]);
            FireItemResponse {
                building_name: buildings.get(&i.building_id).cloned().unwrap_or_default(),
                status: st.into(),
                last_check: last.map(|c| check_response(c, &names)),
                requires: evidence(k),
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
            }
        })
        .collect())
}

/// Raises one hazard per expired item that has none yet. The claim on the item is a
/// conditional update, so concurrent callers cannot raise it twice.
async fn raise_expired(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    candidates: Vec<item::Model>,
) -> AppResult<()> {
    for i in candidates {
        let hazard_id = Uuid::now_v7();
        let claimed = item::Entity::update_many()
            .col_expr(
                item::Column::ExpiredHazardId,
                sea_orm::sea_query::Expr::value(hazard_id),
            )
            .filter(item::Column::Id.eq(i.id))
            .filter(item::Column::ExpiredHazardId.is_null())
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let b = find_building(db, i.building_id).await?;
        let k = kind(&i.kind).map(|k| k.name).unwrap_or("消防设施");
        crate::features::hazards::create_from_source(
            db,
            u,
            hazard_id,
            crate::features::hazards::FromSource {
                category: "fire",
                source: "fire_equipment",
                location: format!("{} {}", b.name, i.location),
                description: format!(
                    "{k}「{}」已过期(有效期至 {}),需更换或重新检测",
                    i.name,
                    i.expiry_date.as_deref().unwrap_or("")
                ),
                photo_ids: Vec::new(),
                details: json!({"fire_item_id": i.id, "reason": "expired", "expiry_date": i.expiry_date}),
            },
        )
        .await?;
    }
    Ok(())
}

/// Expired items noticed by whoever loads the board or an item: the first one raises the
/// hazard (in a write transaction, only when there is something to raise).
async fn notice_expired(state: &State, u: &CurrentUser, today: NaiveDate) -> AppResult<()> {
    let pending = item::Entity::find()
        .filter(item::Column::ExpiryDate.lt(fmt_date(today)))
        .filter(item::Column::ExpiredHazardId.is_null())
        .filter(item::Column::RetiredAt.is_null())
        .all(&state.db.conn)
        .await?;
    if pending.is_empty() {
        return Ok(());
    }
    let tx = state.db.begin_write().await?;
    raise_expired(&*tx, u, pending).await?;
    tx.commit().await?;
    Ok(())
}

/// Where the labels point: the configured public URL, else this request's scheme and host
/// (forwarded ones only from a trusted proxy).
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

// ---------- buildings ----------

/// Buildings, by name, with how many items each holds.
#[utoipa::path(
    tag = "fire",
    responses((status = 200, body = Vec<FireBuildingResponse>)),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/fire/buildings")]
pub async fn list_fire_buildings(
    _auth: Auth<FireReaders>,
    state: State,
) -> AppResult<web::Json<Vec<FireBuildingResponse>>> {
    let db = &state.db.conn;
    let mut counts: HashMap<Uuid, i64> = HashMap::new();
    for i in item::Entity::find().all(db).await? {
        *counts.entry(i.building_id).or_default() += 1;
    }
    let rows = building::Entity::find()
        .order_by_asc(building::Column::Name)
        .all(db)
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|b| FireBuildingResponse {
                item_count: counts.get(&b.id).copied().unwrap_or(0),
                id: b.id,
                name: b.name,
                note: b.note,
                updated_at: b.updated_at,
            })
            .collect(),
    ))
}

fn check_building(b: &FireBuildingRequest) -> AppResult<()> {
    let mut v = Validator::new();
    v.text("name", &b.name, 1, 100);
    v.opt_text("note", Some(&b.note), 2000);
    v.finish()
}

/// Register a building.
#[utoipa::path(
    tag = "fire",
    request_body = FireBuildingRequest,
    responses(
        (status = 201, body = FireBuildingResponse),
        (status = 409, description = "`already_exists`: a building of that name", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/fire/buildings")]
pub async fn create_fire_building(
    auth: Auth<Office>,
    state: State,
    body: web::Json<FireBuildingRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    check_building(&body)?;
    let now = crate::infra::util::now();
    let tx = state.db.begin_write().await?;
    let b = building::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(body.name.trim().to_owned()),
        note: Set(body.note.trim().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "fire_building.create",
        "fire_building",
        Some(b.id.to_string()),
        json!({"name": b.name, "note": b.note}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(FireBuildingResponse {
        id: b.id,
        name: b.name,
        note: b.note,
        item_count: 0,
        updated_at: b.updated_at,
    }))
}

/// Rename a building or change its note.
#[utoipa::path(
    tag = "fire",
    params(("id" = Uuid, Path)),
    request_body = FireBuildingRequest,
    responses(
        (status = 200, body = FireBuildingResponse),
        (status = 404, description = "`fire_building_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`already_exists`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[put("/fire/buildings/{id}")]
pub async fn update_fire_building(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<FireBuildingRequest>,
) -> AppResult<web::Json<FireBuildingResponse>> {
    let body = body.into_inner();
    check_building(&body)?;
    let tx = state.db.begin_write().await?;
    let b = find_building(&*tx, id.into_inner()).await?;
    let mut am: building::ActiveModel = b.into();
    am.name = Set(body.name.trim().to_owned());
    am.note = Set(body.note.trim().to_owned());
    am.updated_at = Set(crate::infra::util::now());
    let b = am.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "fire_building.update",
        "fire_building",
        Some(b.id.to_string()),
        json!({"name": b.name, "note": b.note}),
    )
    .await?;
    let item_count = item::Entity::find()
        .filter(item::Column::BuildingId.eq(b.id))
        .all(&*tx)
        .await?
        .len() as i64;
    tx.commit().await?;
    Ok(web::Json(FireBuildingResponse {
        id: b.id,
        name: b.name,
        note: b.note,
        item_count,
        updated_at: b.updated_at,
    }))
}

// ---------- items ----------

struct ValidItem {
    install: Option<String>,
    expiry: Option<String>,
}

async fn check_item(db: &impl ConnectionTrait, b: &FireItemRequest) -> AppResult<ValidItem> {
    let mut v = Validator::new();
    if kind(&b.kind).is_none() {
        v.add(
            "kind",
            "invalid",
            "类型应为:灭火器、消火栓、火灾报警器、应急照明灯、安全出口之一",
        );
    }
    v.text("name", &b.name, 1, 100);
    v.text("location", &b.location, 1, 200);
    v.opt_text("spec", Some(&b.spec), 200);
    v.text("responsible", &b.responsible, 1, 100);
    let date = |v: &mut Validator, field: &str, s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| check_date(v, field, s))
    };
    let install = date(&mut v, "install_date", &b.install_date);
    let expiry = date(&mut v, "expiry_date", &b.expiry_date);
    if let (Some(i), Some(e)) = (install, expiry)
        && e < i
    {
        v.add("expiry_date", "before_install", "有效期不能早于安装日期");
    }
    if building::Entity::find_by_id(b.building_id)
        .one(db)
        .await?
        .is_none()
    {
        v.add("building_id", "not_found", "楼栋不存在");
    }
    v.finish()?;
    Ok(ValidItem {
        install: install.map(fmt_date),
        expiry: expiry.map(fmt_date),
    })
}

fn item_audit(i: &item::Model) -> serde_json::Value {
    json!({"building_id": i.building_id, "kind": i.kind, "name": i.name, "location": i.location, "spec": i.spec, "install_date": i.install_date, "expiry_date": i.expiry_date, "responsible": i.responsible, "retired_at": i.retired_at})
}

async fn one_response(
    db: &impl ConnectionTrait,
    i: item::Model,
    state: &State,
) -> AppResult<FireItemResponse> {
    item_responses(db, vec![i], today(state.tz), state.tz)
        .await?
        .pop()
        .ok_or_else(ApiError::internal)
}

/// Register an item.
#[utoipa::path(
    tag = "fire",
    request_body = FireItemRequest,
    responses(
        (status = 201, body = FireItemResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/fire/items")]
pub async fn create_fire_item(
    auth: Auth<Office>,
    state: State,
    body: web::Json<FireItemRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let tx = state.db.begin_write().await?;
    let valid = check_item(&*tx, &body).await?;
    let now = crate::infra::util::now();
    let i = item::ActiveModel {
        id: Set(Uuid::now_v7()),
        building_id: Set(body.building_id),
        kind: Set(body.kind),
        name: Set(body.name.trim().to_owned()),
        location: Set(body.location.trim().to_owned()),
        spec: Set(body.spec.trim().to_owned()),
        install_date: Set(valid.install),
        expiry_date: Set(valid.expiry),
        responsible: Set(body.responsible.trim().to_owned()),
        expired_hazard_id: Set(None),
        retired_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "fire_item.create",
        "fire_item",
        Some(i.id.to_string()),
        item_audit(&i),
    )
    .await?;
    let resp = one_response(&*tx, i, &state).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(resp))
}

/// Change an item (e.g. a replaced extinguisher's new expiry date). Moving the expiry date to
/// a valid date lets a later expiry raise a new hazard.
#[utoipa::path(
    tag = "fire",
    params(("id" = Uuid, Path)),
    request_body = FireItemRequest,
    responses(
        (status = 200, body = FireItemResponse),
        (status = 404, description = "`fire_item_not_found`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[put("/fire/items/{id}")]
pub async fn update_fire_item(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<FireItemRequest>,
) -> AppResult<web::Json<FireItemResponse>> {
    let body = body.into_inner();
    let tx = state.db.begin_write().await?;
    let i = find_item(&*tx, id.into_inner()).await?;
    let valid = check_item(&*tx, &body).await?;
    let still_expired = valid
        .expiry
        .as_deref()
        .and_then(parse_date)
        .is_some_and(|e| e < today(state.tz));
    let mut am: item::ActiveModel = i.into();
    am.building_id = Set(body.building_id);
    am.kind = Set(body.kind);
    am.name = Set(body.name.trim().to_owned());
    am.location = Set(body.location.trim().to_owned());
    am.spec = Set(body.spec.trim().to_owned());
    am.install_date = Set(valid.install);
    am.expiry_date = Set(valid.expiry);
    am.responsible = Set(body.responsible.trim().to_owned());
    if !still_expired {
        am.expired_hazard_id = Set(None);
    }
    am.updated_at = Set(crate::infra::util::now());
    let i = am.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "fire_item.update",
        "fire_item",
        Some(i.id.to_string()),
        item_audit(&i),
    )
    .await?;
    let resp = one_response(&*tx, i, &state).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

/// Retire an item (replaced or removed) or put it back in service. A retired item leaves the
/// board (unless `status=retired` is asked for), the label sheet and the checks, and keeps
/// its history.
#[utoipa::path(
    tag = "fire",
    params(("id" = Uuid, Path)),
    request_body = FireRetireRequest,
    responses(
        (status = 200, body = FireItemResponse),
        (status = 404, description = "`fire_item_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[put("/fire/items/{id}/retired")]
pub async fn retire_fire_item(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<FireRetireRequest>,
) -> AppResult<web::Json<FireItemResponse>> {
    let retired = body.into_inner().retired;
    let tx = state.db.begin_write().await?;
    let i = find_item(&*tx, id.into_inner()).await?;
    if i.retired_at.is_some() == retired {
        // Already so: nothing to record.
        let resp = one_response(&*tx, i, &state).await?;
        tx.commit().await?;
        return Ok(web::Json(resp));
    }
    let now = crate::infra::util::now();
    let mut am: item::ActiveModel = i.into();
    am.retired_at = Set(retired.then_some(now));
    am.updated_at = Set(now);
    let i = am.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        if retired {
            "fire_item.retire"
        } else {
            "fire_item.reinstate"
        },
        "fire_item",
        Some(i.id.to_string()),
        item_audit(&i),
    )
    .await?;
    let resp = one_response(&*tx, i, &state).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

/// One item with what its check needs and its latest checks: what the QR label opens.
#[utoipa::path(
    tag = "fire",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = FireItemDetail),
        (status = 404, description = "`fire_item_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/fire/items/{id}")]
pub async fn get_fire_item(
    auth: Auth<FireReaders>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<FireItemDetail>> {
    let id = id.into_inner();
    find_item(&state.db.conn, id).await?;
    notice_expired(&state, &auth.user, today(state.tz)).await?;
    let db = &state.db.conn;
    let i = find_item(db, id).await?;
    let checks = check::Entity::find()
        .filter(check::Column::ItemId.eq(id))
        .order_by_desc(check::Column::CheckedAt)
        .all(db)
        .await?;
    let checks: Vec<check::Model> = checks.into_iter().take(12).collect();
    let names = user_names(db, checks.iter().map(|c| c.checked_by).collect()).await?;
    Ok(web::Json(FireItemDetail {
        item: one_response(db, i, &state).await?,
        checks: checks
            .into_iter()
            .map(|c| check_response(c, &names))
            .collect(),
    }))
}

/// The status board: every item with its status (`normal`, `due`, `failed`, `expired`; see
/// `FireItemResponse.status`), filtered by building, kind and status. Loading it raises a hazard
/// for each newly expired item (once per item).
#[utoipa::path(
    tag = "fire",
    params(FireBoardQuery),
    responses(
        (status = 200, body = FireBoardResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/fire/board")]
pub async fn fire_board(
    auth: Auth<FireReaders>,
    state: State,
    q: web::Query<FireBoardQuery>,
) -> AppResult<web::Json<FireBoardResponse>> {
    let q = q.into_inner();
    let mut v = Validator::new();
    if let Some(s) = &q.status
        && !STATUSES.contains(&s.as_str())
        && s != RETIRED
    {
        v.add(
            "status",
            "invalid",
            "状态应为 normal、due、failed、expired 或 retired",
        );
    }
    if let Some(k) = &q.kind
        && kind(k).is_none()
    {
        v.add("kind", "invalid", "类型无效");
    }
    v.finish()?;
    let today = today(state.tz);
    notice_expired(&state, &auth.user, today).await?;
    let db = &state.db.conn;
    let mut select = item::Entity::find();
    if let Some(b) = q.building_id {
        select = select.filter(item::Column::BuildingId.eq(b));
    }
    if let Some(k) = &q.kind {
        select = select.filter(item::Column::Kind.eq(k.as_str()));
    }
    let rows = select.all(db).await?;
    let mut items = item_responses(db, rows, today, state.tz).await?;
    let mut counts = FireStatusCounts::default();
    for i in &items {
        match i.status.as_str() {
            EXPIRED => counts.expired += 1,
            FAILED => counts.failed += 1,
            DUE => counts.due += 1,
            RETIRED => counts.retired += 1,
            _ => counts.normal += 1,
        }
    }
    match &q.status {
        Some(s) => items.retain(|i| &i.status == s),
        // Retired items only when asked for.
        None => items.retain(|i| i.status != RETIRED),
    }
    let rank = |s: &str| STATUSES.iter().rposition(|x| *x == s).unwrap_or(0);
    items.sort_by(|a, b| {
        rank(&b.status)
            .cmp(&rank(&a.status))
            .then_with(|| a.building_name.cmp(&b.building_name))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(web::Json(FireBoardResponse {
        today: fmt_date(today),
        counts,
        items,
    }))
}

/// Labels to print: each item's name, place and a QR code that opens its check page.
#[utoipa::path(
    tag = "fire",
    params(FireLabelQuery),
    responses((status = 200, body = Vec<FireLabelResponse>)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/fire/labels")]
pub async fn fire_labels(
    _auth: Auth<crate::auth::roles::OfficeOrPrincipal>,
    state: State,
    req: HttpRequest,
    q: web::Query<FireLabelQuery>,
) -> AppResult<web::Json<Vec<FireLabelResponse>>> {
    let db = &state.db.conn;
    let mut select = item::Entity::find();
    if let Some(b) = q.building_id {
        select = select.filter(item::Column::BuildingId.eq(b));
    }
    let rows = select
        .filter(item::Column::RetiredAt.is_null())
        .all(db)
        .await?;
    let buildings: HashMap<Uuid, String> = building::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    let origin = origin(&state, &req);
    let mut out = Vec::with_capacity(rows.len());
    for i in rows {
        let url = check_url(&origin, i.id);
        out.push(FireLabelResponse {
            qr_svg: qr_svg(&url)?,
            url,
            item_id: i.id,
            building_name: buildings.get(&i.building_id).cloned().unwrap_or_default(),
            name: i.name,
            kind: i.kind,
            location: i.location,
        });
    }
    out.sort_by(|a, b| {
        a.building_name
            .cmp(&b.building_name)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(web::Json(out))
}

/// One item's QR code (SVG) encoding its check page's URL.
#[utoipa::path(
    tag = "fire",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, content_type = "image/svg+xml", body = String),
        (status = 404, description = "`fire_item_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/fire/items/{id}/qr.svg")]
pub async fn fire_item_qr(
    _auth: Auth<crate::auth::roles::OfficeOrPrincipal>,
    state: State,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let i = find_item(&state.db.conn, id.into_inner()).await?;
    let svg = qr_svg(&check_url(&origin(&state, &req), i.id))?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}

// ---------- checks ----------

fn check_evidence(k: &Kind, b: &FireCheckRequest) -> AppResult<()> {
    let mut v = Validator::new();
    let failed = match b.result.as_str() {
        "ok" => false,
        FAILED => true,
        _ => {
            v.add(
                "result",
                "invalid",
                "检查结果应为 ok(正常)或 failed(不合格)",
            );
            false
        }
    };
    if k.pressure {
        match b.pressure_mpa {
            None => v.add(
                "pressure_mpa",
                "required",
                format!("{}检查须填写压力表读数(MPa)", k.name),
            ),
            Some(p) if !(0.0..=10.0).contains(&p) || p.is_nan() => {
                v.add("pressure_mpa", "invalid", "压力读数无效(0–10 MPa)")
            }
            Some(p) if !failed && !(PRESSURE_MIN..=PRESSURE_MAX).contains(&p) => v.add(
                "pressure_mpa",
                "pressure_out_of_band",
                format!(
                    "压力 {p} MPa 不在正常范围 {PRESSURE_MIN}–{PRESSURE_MAX} MPa 内,应判为不合格"
                ),
            ),
            Some(_) => {}
        }
    } else if b.pressure_mpa.is_some() {
        v.add(
            "pressure_mpa",
            "not_applicable",
            format!("{}无需压力读数", k.name),
        );
    }
    if k.test {
        match b.test_passed {
            None => v.add(
                "test_passed",
                "required",
                format!("{}检查须填写功能测试结果", k.name),
            ),
            Some(false) if !failed => v.add(
                "test_passed",
                "test_failed_marked_ok",
                "功能测试未通过,应判为不合格",
            ),
            _ => {}
        }
    } else if b.test_passed.is_some() {
        v.add(
            "test_passed",
            "not_applicable",
            format!("{}无需功能测试", k.name),
        );
    }
    if k.photo && b.attachment_ids.is_empty() {
        v.add(
            "attachment_ids",
            "required",
            "须拍照留证(至少 1 张现场照片),仅打勾不算检查记录",
        );
    }
    if b.attachment_ids.len() > MAX_PER_FIELD {
        v.add("attachment_ids", "too_many", "最多 9 张图片");
    }
    if failed {
        v.text("note", &b.note, 1, 1000);
    } else {
        v.opt_text("note", Some(&b.note), 1000);
    }
    v.finish()
}

/// Record a check of one item (reached from its QR label). Each type needs its evidence —
/// extinguisher: pressure reading (MPa) + photo; hydrant, exit: photo; alarm, emergency light:
/// function test + photo — else 422. A failed check raises a `fire` hazard (or joins the
/// item's hazard still open from an earlier failed check).
#[utoipa::path(
    tag = "fire",
    params(("id" = Uuid, Path)),
    request_body = FireCheckRequest,
    responses(
        (status = 201, body = FireCheckResponse),
        (status = 404, description = "`fire_item_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`fire_item_retired`: the item was replaced or removed", body = crate::infra::error::Problem),
        (status = 422, description = "Missing evidence (`required`), `pressure_out_of_band` or `test_failed_marked_ok` when marked ok", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office", "guard"]))
)]
#[post("/fire/items/{id}/checks")]
pub async fn submit_fire_check(
    auth: Auth<GuardOrOffice>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<FireCheckRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let u = &auth.user;
    let today = today(state.tz);
    let tx = state.db.begin_write().await?;
    let i = find_item(&*tx, id.into_inner()).await?;
    if i.retired_at.is_some() {
        return Err(ApiError::conflict(
            ErrorCode::FireItemRetired,
            "该设施已停用(已更换或拆除),无需检查",
        ));
    }
    let k = kind(&i.kind).ok_or_else(ApiError::internal)?;
    check_evidence(k, &body)?;
    let check_id = Uuid::now_v7();
    attachments::claim(
        &*tx,
        u.id,
        &body.attachment_ids,
        LINK_FIRE_CHECK,
        check_id,
        "attachment_ids",
    )
    .await?;
    let note = body.note.trim().to_owned();
    let hazard_id = if body.result == FAILED {
        let previous = latest_checks(&*tx, vec![i.id]).await?.remove(&i.id);
        let open = match previous.and_then(|c| c.hazard_id) {
            Some(h) => hazard::Entity::find_by_id(h)
                .one(&*tx)
                .await?
                .filter(|h| h.status != crate::schema::hazards::HazardStatus::Closed)
                .map(|h| h.id),
            None => None,
        };
        match open {
            Some(h) => Some(h),
            None => {
                let b = find_building(&*tx, i.building_id).await?;
                let mut description = format!("{}「{}」检查不合格:{note}", k.name, i.name);
                if let Some(p) = body.pressure_mpa {
                    description.push_str(&format!("(压力 {p} MPa)"));
                }
                if body.test_passed == Some(false) {
                    description.push_str("(功能测试未通过)");
                }
                Some(
                    crate::features::hazards::create_from_source(
                        &*tx,
                        u,
                        Uuid::now_v7(),
                        crate::features::hazards::FromSource {
                            category: "fire",
                            source: "fire_equipment",
                            location: format!("{} {}", b.name, i.location),
                            description,
                            photo_ids: body.attachment_ids.clone(),
                            details: json!({"fire_item_id": i.id, "fire_check_id": check_id, "reason": "failed"}),
                        },
                    )
                    .await?,
                )
            }
        }
    } else {
        None
    };
    let c = check::ActiveModel {
        id: Set(check_id),
        item_id: Set(i.id),
        result: Set(body.result.clone()),
        pressure_mpa: Set(body.pressure_mpa),
        test_passed: Set(body.test_passed),
        note: Set(note),
        photo_ids: Set(json!(body.attachment_ids).to_string()),
        hazard_id: Set(hazard_id),
        checked_by: Set(u.id),
        checked_at: Set(crate::infra::util::now()),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        u.actor(),
        "fire_check.submit",
        "fire_item",
        Some(i.id.to_string()),
        json!({"check_id": c.id, "result": c.result, "pressure_mpa": c.pressure_mpa, "test_passed": c.test_passed, "photo_ids": body.attachment_ids, "hazard_id": hazard_id}),
    )
    .await?;
    // A check is also when an expired item is noticed.
    let expired = i
        .expiry_date
        .as_deref()
        .and_then(parse_date)
        .is_some_and(|e| e < today);
    if expired && i.expired_hazard_id.is_none() {
        raise_expired(&*tx, u, vec![i]).await?;
    }
    tx.commit().await?;
    let names = HashMap::from([(u.id, u.display_name.clone())]);
    Ok(HttpResponse::Created().json(check_response(c, &names)))
}

// ---------- demo ----------

/// (building, kind, name, location, spec, installed days ago, expires in days, checked?)
type DemoItem = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<i64>,
    bool,
);

/// Three buildings and ten items; one expired, one expiring soon, one never checked.
pub async fn seed_demo(db: &impl ConnectionTrait) -> Result<(), crate::infra::error::BoxError> {
    let tz = chrono_tz::Asia::Shanghai;
    let today = today(tz);
    let now = crate::infra::util::now();
    let guard = user::Entity::find()
        .filter(user::Column::Username.eq("guard1"))
        .one(db)
        .await?;
    let mut buildings = HashMap::new();
    for (name, note) in [
        ("教学楼A", "五层,东西两部楼梯"),
        ("实验楼", "化学、物理实验室,危化品柜在三楼"),
        ("学生宿舍", "男女生宿舍各一栋,按一栋登记"),
    ] {
        let id = Uuid::now_v7();
        building::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            note: Set(note.into()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        buildings.insert(name, id);
    }
    let d = |days: i64| fmt_date(today + chrono::Duration::days(days));
    // (building, kind, name, location, spec, installed days ago, expires in days, checked?)
    let items: [DemoItem; 10] = [
        (
            "教学楼A",
            "extinguisher",
            "灭火器 A-1-01",
            "一楼东侧楼梯口",
            "MFZ/ABC4 干粉 4kg",
            700,
            Some(1100),
            true,
        ),
        (
            "教学楼A",
            "extinguisher",
            "灭火器 A-3-02",
            "三楼走廊中段",
            "MFZ/ABC4 干粉 4kg",
            1800,
            Some(-10),
            true,
        ),
        (
            "教学楼A",
            "hydrant",
            "消火栓 A-2-01",
            "二楼西侧消防箱",
            "SN65 室内消火栓",
            2000,
            None,
            true,
        ),
        (
            "教学楼A",
            "exit",
            "安全出口 A-1-东",
            "一楼东门",
            "疏散指示标志",
            900,
            None,
            true,
        ),
        (
            "实验楼",
            "extinguisher",
            "灭火器 S-3-01",
            "三楼化学实验室门口",
            "MT/3 二氧化碳 3kg",
            1000,
            Some(20),
            true,
        ),
        (
            "实验楼",
            "alarm",
            "烟感报警器 S-3-01",
            "三楼危化品室",
            "JTY-GD 点型光电感烟",
            600,
            Some(1500),
            true,
        ),
        (
            "实验楼",
            "emergency_light",
            "应急照明灯 S-1-01",
            "一楼大厅",
            "LED 应急照明 3W",
            400,
            Some(1400),
            false,
        ),
        (
            "学生宿舍",
            "extinguisher",
            "灭火器 D-2-01",
            "二楼楼梯间",
            "MFZ/ABC4 干粉 4kg",
            500,
            Some(1300),
            true,
        ),
        (
            "学生宿舍",
            "hydrant",
            "消火栓 D-1-01",
            "一楼值班室旁",
            "SN65 室内消火栓",
            2500,
            None,
            true,
        ),
        (
            "学生宿舍",
            "emergency_light",
            "应急照明灯 D-3-01",
            "三楼走廊",
            "LED 应急照明 3W",
            300,
            Some(1600),
            true,
        ),
    ];
    for (b, kind_code, name, location, spec, installed, expires, checked) in items {
        let Some(building_id) = buildings.get(b).copied() else {
            continue;
        };
        let id = Uuid::now_v7();
        item::ActiveModel {
            id: Set(id),
            building_id: Set(building_id),
            kind: Set(kind_code.into()),
            name: Set(name.into()),
            location: Set(location.into()),
            spec: Set(spec.into()),
            install_date: Set(Some(d(-installed))),
            expiry_date: Set(expires.map(d)),
            responsible: Set("保卫处 王建国".into()),
            expired_hazard_id: Set(None),
            retired_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        if let (true, Some(g)) = (checked, &guard) {
            let k = kind(kind_code).unwrap_or(&KINDS[0]);
            check::ActiveModel {
                id: Set(Uuid::now_v7()),
                item_id: Set(id),
                result: Set("ok".into()),
                pressure_mpa: Set(k.pressure.then_some(1.2)),
                test_passed: Set(k.test.then_some(true)),
                note: Set("演示数据".into()),
                photo_ids: Set("[]".into()),
                hazard_id: Set(None),
                checked_by: Set(g.id),
                checked_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_fire_buildings)
        .service(create_fire_building)
        .service(update_fire_building)
        .service(fire_board)
        .service(fire_labels)
        .service(create_fire_item)
        .service(get_fire_item)
        .service(update_fire_item)
        .service(retire_fire_item)
        .service(fire_item_qr)
        .service(submit_fire_check);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn status_worst_first() {
        let today = d("2026-11-29");
        let this_month = Some(("ok", d("2026-11-02")));
        assert_eq!(status(Some(d("2026-11-28")), this_month, today), EXPIRED);
        assert_eq!(status(Some(d("2026-11-29")), this_month, today), DUE);
        assert_eq!(
            status(None, Some(("failed", d("2026-11-20"))), today),
            FAILED
        );
        assert_eq!(status(None, Some(("ok", d("2026-10-31"))), today), DUE);
        assert_eq!(status(None, None, today), DUE);
        assert_eq!(status(Some(d("2026-12-29")), this_month, today), DUE);
        assert_eq!(status(Some(d("2026-12-30")), this_month, today), NORMAL);
        assert_eq!(status(None, this_month, today), NORMAL);
    }
}
