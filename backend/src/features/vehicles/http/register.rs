//! The staff vehicle register: list (the gate picks from it), register, change.

use super::super::rules::normalise_plate;
use super::store;
use crate::auth::extract::Auth;
use crate::auth::roles::{GateLogReaders, Office};
use crate::features::audit;
use crate::infra::error::{AppResult, Validator};
use crate::infra::state::State;
use crate::schema::users as user;
use crate::schema::vehicles::{VehicleKind, vehicle};
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleResponse {
    pub id: Uuid,
    /// Normalised, e.g. `浙A12345`.
    pub plate: String,
    pub kind: VehicleKind,
    /// The staff member it belongs to.
    pub owner_name: String,
    /// The owner's account, when the owner has one.
    pub owner_user_id: Option<Uuid>,
    pub note: Option<String>,
    /// An inactive vehicle (sold, owner left) is no longer recognised at the gate.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn vehicle_response(v: vehicle::Model) -> VehicleResponse {
    VehicleResponse {
        id: v.id,
        plate: v.plate,
        kind: v.kind,
        owner_name: v.owner_name,
        owner_user_id: v.owner_user_id,
        note: v.note,
        active: v.active,
        created_at: v.created_at,
        updated_at: v.updated_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VehicleQuery {
    /// Part of a plate or of an owner's name.
    pub q: Option<String>,
    /// Also list inactive vehicles (default false).
    pub include_inactive: Option<bool>,
}

/// The staff vehicle register, by plate (active vehicles unless `include_inactive`).
#[utoipa::path(
    tag = "vehicles",
    params(VehicleQuery),
    responses((status = 200, body = Vec<VehicleResponse>), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/vehicles")]
pub async fn list_vehicles(
    _auth: Auth<GateLogReaders>,
    state: State,
    query: web::Query<VehicleQuery>,
) -> AppResult<web::Json<Vec<VehicleResponse>>> {
    let q = query.into_inner();
    let rows = store::list_vehicles(
        &state.db.conn,
        q.q.as_deref(),
        q.include_inactive.unwrap_or(false),
    )
    .await?;
    Ok(web::Json(rows.into_iter().map(vehicle_response).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"plate": "苏E·A1234", "kind": "car", "owner_name": "王建华", "note": "白色轿车"}))]
pub struct VehicleRequest {
    /// As typed: `浙A·12345`, `浙a12345` … are stored as `浙A12345`.
    pub plate: String,
    pub kind: VehicleKind,
    /// 1–100 characters.
    pub owner_name: String,
    pub owner_user_id: Option<Uuid>,
    /// At most 200 characters.
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct VehicleUpdateRequest {
    pub plate: Option<String>,
    pub kind: Option<VehicleKind>,
    pub owner_name: Option<String>,
    #[serde(default, deserialize_with = "crate::infra::util::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_user_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "crate::infra::util::double_option")]
    #[schema(value_type = Option<String>)]
    pub note: Option<Option<String>>,
    pub active: Option<bool>,
}

/// Checks the fields; the normalised plate when it is valid.
async fn check(
    db: &impl ConnectionTrait,
    plate: &str,
    owner_name: &str,
    owner_user_id: Option<Uuid>,
    note: Option<&str>,
) -> AppResult<String> {
    let mut v = Validator::new();
    let normalised = match normalise_plate(plate) {
        Ok(p) => p,
        Err(e) => {
            v.add("plate", "invalid_plate", e.message());
            String::new()
        }
    };
    v.text("owner_name", owner_name, 1, 100);
    v.opt_text("note", note, 200);
    if let Some(id) = owner_user_id
        && user::Entity::find_by_id(id).one(db).await?.is_none()
    {
        v.add("owner_user_id", "not_found", "用户不存在");
    }
    v.finish()?;
    Ok(normalised)
}

fn opt(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn audit_of(v: &vehicle::Model) -> serde_json::Value {
    json!({"plate": v.plate, "kind": v.kind, "owner_name": v.owner_name,
        "owner_user_id": v.owner_user_id, "note": v.note, "active": v.active})
}

/// Register a staff vehicle (security office). A plate already registered is `409 already_exists`;
/// a malformed one is `422` on `plate` (`invalid_plate`).
#[utoipa::path(
    tag = "vehicles",
    request_body = VehicleRequest,
    responses(
        (status = 201, body = VehicleResponse),
        (status = 409, description = "`already_exists` (the plate)", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/vehicles")]
pub async fn create_vehicle(
    auth: Auth<Office>,
    state: State,
    body: web::Json<VehicleRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let plate = check(
        &*tx,
        &b.plate,
        &b.owner_name,
        b.owner_user_id,
        b.note.as_deref(),
    )
    .await?;
    let now = crate::infra::clock::now();
    let v = vehicle::ActiveModel {
        id: Set(Uuid::now_v7()),
        plate: Set(plate),
        kind: Set(b.kind),
        owner_name: Set(b.owner_name.trim().to_owned()),
        owner_user_id: Set(b.owner_user_id),
        note: Set(opt(b.note)),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "vehicle.create",
        "vehicle",
        Some(v.id.to_string()),
        json!({"after": audit_of(&v)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(vehicle_response(v)))
}

/// Change a registered vehicle (security office); `active: false` retires it (its plate is
/// then recorded as a visitor's vehicle at the gate), its log kept.
#[utoipa::path(
    tag = "vehicles",
    params(("id" = Uuid, Path)),
    request_body = VehicleUpdateRequest,
    responses(
        (status = 200, body = VehicleResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`already_exists` (the plate)", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office"]))
)]
#[patch("/vehicles/{id}")]
pub async fn update_vehicle(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<VehicleUpdateRequest>,
) -> AppResult<web::Json<VehicleResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let before = store::find_vehicle(&*tx, id.into_inner()).await?;
    let plate = b.plate.unwrap_or_else(|| before.plate.clone());
    let owner_name = b.owner_name.unwrap_or_else(|| before.owner_name.clone());
    let owner_user_id = b.owner_user_id.unwrap_or(before.owner_user_id);
    let note = b.note.unwrap_or_else(|| before.note.clone());
    let plate = check(&*tx, &plate, &owner_name, owner_user_id, note.as_deref()).await?;
    let mut a: vehicle::ActiveModel = before.clone().into();
    a.plate = Set(plate);
    a.kind = Set(b.kind.unwrap_or(before.kind));
    a.owner_name = Set(owner_name.trim().to_owned());
    a.owner_user_id = Set(owner_user_id);
    a.note = Set(opt(note));
    a.active = Set(b.active.unwrap_or(before.active));
    a.updated_at = Set(crate::infra::clock::now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "vehicle.update",
        "vehicle",
        Some(after.id.to_string()),
        json!({"before": audit_of(&before), "after": audit_of(&after)}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(vehicle_response(after)))
}
