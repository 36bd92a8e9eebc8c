//! The watchlist (形迹可疑 / banned persons), kept by the security office.

use crate::auth::extract::Auth;
use crate::auth::roles::{Office, OfficeOrPrincipal};
use crate::features::audit;
use crate::features::visitors::WatchCategory;
use crate::features::visitors::model::watchlist;
use crate::features::visitors::rules::{blank_to_none, check_category, check_id, mask};
use crate::features::visitors::store::protect_id;
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchlistResponse {
    pub id: Uuid,
    pub name: String,
    pub id_number_masked: Option<String>,
    pub phone: Option<String>,
    pub category: WatchCategory,
    pub note: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn watchlist_response(w: watchlist::Model) -> WatchlistResponse {
    WatchlistResponse {
        id_number_masked: mask(w.id_number_last4.as_deref()),
        id: w.id,
        name: w.name,
        phone: w.phone,
        category: w.category,
        note: w.note,
        is_active: w.is_active,
        created_at: w.created_at,
        updated_at: w.updated_at,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchlistRequest {
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    /// `suspicious` or `banned`.
    pub category: String,
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchlistUpdateRequest {
    pub category: Option<String>,
    pub note: Option<String>,
    pub is_active: Option<bool>,
}

/// Add a person to the watchlist (at least an ID number or a phone, to match on).
#[utoipa::path(
    tag = "visitors",
    request_body = WatchlistRequest,
    responses(
        (status = 201, body = WatchlistResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/watchlist")]
pub async fn create_watchlist_entry(
    auth: Auth<Office>,
    state: State,
    body: web::Json<WatchlistRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("name", &b.name, 1, 100);
    check_id(&mut v, "id_number", b.id_number.as_deref());
    v.phone("phone", b.phone.as_deref().filter(|p| !p.trim().is_empty()));
    check_category(&mut v, &b.category);
    v.text("note", &b.note, 0, 500);
    let phone = blank_to_none(b.phone);
    let has_id = b.id_number.as_deref().is_some_and(|s| !s.trim().is_empty());
    if !has_id && phone.is_none() {
        v.add("id_number", "required", "须填写证件号码或电话,以便比对");
    }
    v.finish()?;
    let id = protect_id(&state.db.conn, &state.db.master_key, b.id_number.as_deref()).await?;
    let (hash, last4) = match id {
        Some(i) => (Some(i.hash), Some(i.last4)),
        None => (None, None),
    };
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    let w = watchlist::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(b.name.trim().to_owned()),
        id_number_hash: Set(hash),
        id_number_last4: Set(last4),
        phone: Set(phone),
        category: Set(WatchCategory::parse(&b.category).ok_or_else(ApiError::internal)?),
        note: Set(b.note.trim().to_owned()),
        is_active: Set(true),
        created_by: Set(Some(auth.user.id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "watchlist.create",
        "watchlist_entry",
        Some(w.id.to_string()),
        json!({"after": {"name": w.name, "id_number_masked": mask(w.id_number_last4.as_deref()),
            "category": w.category, "note": w.note}}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(watchlist_response(w)))
}

/// The watchlist.
#[utoipa::path(
    tag = "visitors",
    responses((status = 200, body = Vec<WatchlistResponse>)),
    security(("bearer" = ["security_office", "principal"]))
)]
#[get("/watchlist")]
pub async fn list_watchlist(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
) -> AppResult<web::Json<Vec<WatchlistResponse>>> {
    let rows = watchlist::Entity::find()
        .order_by_desc(watchlist::Column::Id)
        .limit(1000)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(
        rows.into_iter().map(watchlist_response).collect(),
    ))
}

/// Change a watchlist entry (category, note, or take it off with `is_active: false`).
#[utoipa::path(
    tag = "visitors",
    params(("id" = Uuid, Path)),
    request_body = WatchlistUpdateRequest,
    responses(
        (status = 200, body = WatchlistResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[patch("/watchlist/{id}")]
pub async fn update_watchlist_entry(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<WatchlistUpdateRequest>,
) -> AppResult<web::Json<WatchlistResponse>> {
    let b = body.into_inner();
    let mut v = Validator::new();
    if let Some(c) = &b.category {
        check_category(&mut v, c);
    }
    v.opt_text("note", b.note.as_deref(), 500);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let before = watchlist::Entity::find_by_id(id.into_inner())
        .one(&*tx)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::WatchlistEntryNotFound, "名单记录不存在"))?;
    let mut active: watchlist::ActiveModel = before.clone().into();
    if let Some(c) = b.category {
        // Checked above.
        active.category = Set(WatchCategory::parse(&c).ok_or_else(ApiError::internal)?);
    }
    if let Some(n) = b.note {
        active.note = Set(n.trim().to_owned());
    }
    if let Some(a) = b.is_active {
        active.is_active = Set(a);
    }
    active.updated_at = Set(crate::infra::clock::now());
    let after = active.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "watchlist.update",
        "watchlist_entry",
        Some(after.id.to_string()),
        json!({
            "before": {"category": before.category, "note": before.note, "is_active": before.is_active},
            "after": {"category": after.category, "note": after.note, "is_active": after.is_active},
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(watchlist_response(after)))
}
