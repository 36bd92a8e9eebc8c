//! Checkpoints and their printable QR labels.

use super::super::model::checkpoint;
use super::super::store::{self};
use super::yes;
use crate::auth::extract::Auth;
use crate::auth::roles::{Office, OfficeOrPrincipal};
use crate::features::audit;
use crate::infra::error::{AppResult, Validator};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointResponse {
    pub id: Uuid,
    /// e.g. `南门`.
    pub name: String,
    /// e.g. `南门岗亭外侧立柱`.
    pub location: String,
    /// The value in its QR code.
    pub code: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn checkpoint_response(c: checkpoint::Model) -> CheckpointResponse {
    CheckpointResponse {
        id: c.id,
        name: c.name,
        location: c.location,
        code: c.code,
        active: c.active,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCheckpointRequest {
    pub name: String,
    #[serde(default)]
    pub location: String,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCheckpointRequest {
    pub name: Option<String>,
    pub location: Option<String>,
    pub active: Option<bool>,
    /// Issue a new QR value (the old label stops working: reprint it).
    #[serde(default)]
    pub regenerate_code: bool,
}

/// Every checkpoint, active first, by name.
#[utoipa::path(
    tag = "patrol",
    responses((status = 200, body = Vec<CheckpointResponse>)),
    security(("bearer" = ["security_office", "principal"]))
)]
#[get("/patrol-checkpoints")]
pub async fn list_checkpoints(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
) -> AppResult<web::Json<Vec<CheckpointResponse>>> {
    let rows = checkpoint::Entity::find()
        .order_by_desc(checkpoint::Column::Active)
        .order_by_asc(checkpoint::Column::Name)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(
        rows.into_iter().map(checkpoint_response).collect(),
    ))
}

/// Place a checkpoint; it gets a random QR value.
#[utoipa::path(
    tag = "patrol",
    request_body = CreateCheckpointRequest,
    responses(
        (status = 201, body = CheckpointResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/patrol-checkpoints")]
pub async fn create_checkpoint(
    auth: Auth<Office>,
    state: State,
    body: web::Json<CreateCheckpointRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("name", &b.name, 1, 100);
    v.opt_text("location", Some(&b.location), 200);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let now = crate::infra::clock::now();
    let row = checkpoint::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(b.name.trim().to_owned()),
        location: Set(b.location.trim().to_owned()),
        code: Set(store::new_code()?),
        active: Set(b.active),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "patrol_checkpoint.create",
        "patrol_checkpoint",
        Some(row.id.to_string()),
        json!({"name": row.name, "location": row.location, "active": row.active}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(checkpoint_response(row)))
}

/// Rename, move, (de)activate a checkpoint, or issue it a new QR value.
#[utoipa::path(
    tag = "patrol",
    params(("id" = Uuid, Path)),
    request_body = UpdateCheckpointRequest,
    responses(
        (status = 200, body = CheckpointResponse),
        (status = 404, description = "`patrol_checkpoint_not_found`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[patch("/patrol-checkpoints/{id}")]
pub async fn update_checkpoint(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<UpdateCheckpointRequest>,
) -> AppResult<web::Json<CheckpointResponse>> {
    let b = body.into_inner();
    let mut v = Validator::new();
    if let Some(n) = &b.name {
        v.text("name", n, 1, 100);
    }
    v.opt_text("location", b.location.as_deref(), 200);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let c = store::find_checkpoint(&*tx, id.into_inner()).await?;
    let mut a: checkpoint::ActiveModel = c.clone().into();
    if let Some(n) = b.name {
        a.name = Set(n.trim().to_owned());
    }
    if let Some(l) = b.location {
        a.location = Set(l.trim().to_owned());
    }
    if let Some(act) = b.active {
        a.active = Set(act);
    }
    if b.regenerate_code {
        a.code = Set(store::new_code()?);
    }
    a.updated_at = Set(crate::infra::clock::now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "patrol_checkpoint.update",
        "patrol_checkpoint",
        Some(after.id.to_string()),
        json!({"name": after.name, "location": after.location, "active": after.active, "code_regenerated": b.regenerate_code}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(checkpoint_response(after)))
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A printable sheet of QR labels (HTML, A4, two per row) for every active checkpoint.
#[utoipa::path(
    tag = "patrol",
    responses((status = 200, description = "Printable HTML", content_type = "text/html", body = String)),
    security(("bearer" = ["security_office"]))
)]
#[get("/patrol-checkpoints/labels")]
pub async fn checkpoint_labels(_auth: Auth<Office>, state: State) -> AppResult<HttpResponse> {
    let rows = checkpoint::Entity::find()
        .filter(checkpoint::Column::Active.eq(true))
        .order_by_asc(checkpoint::Column::Name)
        .all(&state.db.conn)
        .await?;
    let mut html = String::from(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>巡查点二维码</title><style>\
         @page{size:A4;margin:12mm}body{font-family:sans-serif;margin:0}\
         .grid{display:grid;grid-template-columns:1fr 1fr;gap:8mm}\
         .label{border:1px dashed #999;padding:4mm;text-align:center;break-inside:avoid}\
         .label svg{width:60mm;height:60mm}.name{font-size:20pt;font-weight:bold}\
         .loc{font-size:11pt;color:#444}.hint{font-size:9pt;color:#777}\
         </style></head><body><div class=\"grid\">",
    );
    for c in &rows {
        html.push_str(&format!(
            "<div class=\"label\">{}<div class=\"name\">{}</div><div class=\"loc\">{}</div><div class=\"hint\">安保巡查点 · 请巡查人员扫码签到</div></div>",
            crate::infra::util::qr_svg(&c.code, qrcode::EcLevel::Q, 240)?,
            html_escape(&c.name),
            html_escape(&c.location),
        ));
    }
    html.push_str("</div></body></html>");
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}
