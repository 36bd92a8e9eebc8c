//! Listing, creating (the secret shown once) and revoking integration keys.

use super::model;
use crate::auth::extract::Auth;
use crate::auth::roles::{Office, SCOPES, is_known_scope};
use crate::features::audit;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyResponse {
    pub id: Uuid,
    pub name: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyResponse {
    #[serde(flatten)]
    pub key: ApiKeyResponse,
    /// The secret, shown this once: send it as the `X-API-Key` header. It cannot be shown again.
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// Who uses it, e.g. `东门闸机`.
    pub name: String,
    /// One or more of the scopes the `api_key` security scheme documents, each with what it
    /// reveals: `people:read`, `people:write`, `gate:scan`, `gate:read`, `events:read`,
    /// `passes:read`, `hazards:read`, `hazards:write`, `visitors:read`, `visitors:write`,
    /// `records:read`.
    pub scopes: Vec<String>,
}

fn to_response(k: model::Model) -> ApiKeyResponse {
    ApiKeyResponse {
        scopes: k.scopes.split_whitespace().map(str::to_owned).collect(),
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        created_by: k.created_by,
        created_at: k.created_at,
        last_used_at: k.last_used_at,
        revoked_at: k.revoked_at,
    }
}

/// Integration keys, newest first (secrets are never shown again).
#[utoipa::path(
    tag = "api-keys",
    responses((status = 200, body = Vec<ApiKeyResponse>)),
    security(("bearer" = ["security_office"]))
)]
#[get("/api-keys")]
pub async fn list_api_keys(
    _auth: Auth<Office>,
    state: State,
) -> AppResult<web::Json<Vec<ApiKeyResponse>>> {
    let rows = model::Entity::find()
        .order_by_desc(model::Column::Id)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(rows.into_iter().map(to_response).collect()))
}

/// Create an integration key. The response holds the secret, once.
#[utoipa::path(
    tag = "api-keys",
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, body = CreatedApiKeyResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/api-keys")]
pub async fn create_api_key(
    auth: Auth<Office>,
    state: State,
    body: web::Json<CreateApiKeyRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let mut v = Validator::new();
    v.text("name", &body.name, 1, 100);
    if body.scopes.is_empty() {
        v.add("scopes", "required", "至少选择一个权限范围");
    }
    if let Some(bad) = body.scopes.iter().find(|s| !is_known_scope(s)) {
        let known: Vec<_> = SCOPES.iter().map(|(s, _)| *s).collect();
        v.add(
            "scopes",
            "unknown_scope",
            format!("未知的权限范围 {bad};可选:{}", known.join(", ")),
        );
    }
    v.finish()?;
    let mut scopes = body.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let random = crate::infra::util::random_token(32).map_err(|_| ApiError::internal())?;
    let secret = format!("xak_{random}");
    let prefix: String = secret.chars().take(12).collect();
    let tx = state.db.begin_write().await?;
    let created = model::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(body.name.trim().to_owned()),
        prefix: Set(prefix),
        key_hash: Set(crate::infra::util::sha256_hex(&secret)),
        scopes: Set(scopes.join(" ")),
        created_by: Set(auth.user.id),
        created_at: Set(crate::infra::clock::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "api_key.create",
        "api_key",
        Some(created.id.to_string()),
        json!({"name": created.name, "scopes": scopes}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(CreatedApiKeyResponse {
        key: to_response(created),
        secret,
    }))
}

/// Revoke an integration key: it stops working at once.
#[utoipa::path(
    tag = "api-keys",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ApiKeyResponse),
        (status = 404, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[delete("/api-keys/{id}")]
pub async fn revoke_api_key(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<ApiKeyResponse>> {
    let tx = state.db.begin_write().await?;
    let key = model::Entity::find_by_id(id.into_inner())
        .one(&*tx)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::ApiKeyNotFound, "API 密钥不存在"))?;
    let key = if key.revoked_at.is_none() {
        let mut active: model::ActiveModel = key.into();
        active.revoked_at = Set(Some(crate::infra::clock::now()));
        let key = active.update(&*tx).await?;
        audit::record(
            &*tx,
            auth.user.actor(),
            "api_key.revoke",
            "api_key",
            Some(key.id.to_string()),
            json!({"name": key.name}),
        )
        .await?;
        key
    } else {
        key
    };
    tx.commit().await?;
    Ok(web::Json(to_response(key)))
}
