//! `GET /audit-log`.

use super::model;
use super::store::actor_names;
use crate::auth::extract::Auth;
use crate::auth::roles::OfficeOrPrincipal;
use crate::infra::error::AppResult;
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryResponse {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
    /// The acting person's display name, or the integration key's name; null for the system
    /// (CLI, demo loader) or an account or key that no longer exists.
    pub actor_name: Option<String>,
    /// The acting person's role (`security_office`, `guard` …); null for a key or the system.
    pub actor_role: Option<crate::auth::roles::Role>,
    /// e.g. `user.create`, `student.import`, `auth.login`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    /// What changed, as recorded at the time.
    pub changes: serde_json::Value,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor_user_id: Option<Uuid>,
    /// Only what this integration key did.
    pub actor_api_key_id: Option<Uuid>,
    pub action: Option<String>,
    /// Only entries at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only entries before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// The audit trail, newest first.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, body = Page<AuditEntryResponse>),
        (status = 400, body = crate::infra::error::Problem),
        (status = 401, body = crate::infra::error::Problem),
        (status = 403, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/audit-log")]
pub async fn list_audit_log(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    query: web::Query<AuditQuery>,
) -> AppResult<web::Json<Page<AuditEntryResponse>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let mut select = model::Entity::find();
    if let Some(v) = q.entity_type {
        select = select.filter(model::Column::EntityType.eq(v));
    }
    if let Some(v) = q.entity_id {
        select = select.filter(model::Column::EntityId.eq(v));
    }
    if let Some(v) = q.actor_user_id {
        select = select.filter(model::Column::ActorUserId.eq(v));
    }
    if let Some(v) = q.actor_api_key_id {
        select = select.filter(model::Column::ActorApiKeyId.eq(v));
    }
    if let Some(v) = q.action {
        select = select.filter(model::Column::Action.eq(v));
    }
    if let Some(v) = q.from {
        select = select.filter(model::Column::OccurredAt.gte(v));
    }
    if let Some(v) = q.to {
        select = select.filter(model::Column::OccurredAt.lt(v));
    }
    // Ordered by (occurred_at, id), so that a from/to range is one index range whatever the
    // other filters (the ids are UUIDv7 of the same instant, so this is also newest id first).
    if let Some(after) = &paging.after {
        let (at, id) = crate::infra::pagination::parse_time_id(after)?;
        select = select.filter(crate::infra::pagination::after_time_id(
            model::Column::OccurredAt,
            model::Column::Id,
            at,
            id,
        ));
    }
    let rows = select
        .order_by_desc(model::Column::OccurredAt)
        .order_by_desc(model::Column::Id)
        .limit(paging.fetch_limit())
        .all(&state.db.conn)
        .await?;
    let page = paging.page(rows, |r| {
        crate::infra::pagination::time_id_key(r.occurred_at, r.id)
    });
    let actors = actor_names(&state.db.conn, &page.items).await?;
    Ok(web::Json(Page {
        items: page
            .items
            .into_iter()
            .map(|r| {
                let (actor_name, actor_role) = actors.of(&r);
                Ok(AuditEntryResponse {
                    changes: crate::infra::util::stored_json(
                        "audit_log.changes",
                        r.id,
                        &r.changes,
                    )?,
                    id: r.id,
                    occurred_at: r.occurred_at,
                    actor_user_id: r.actor_user_id,
                    actor_api_key_id: r.actor_api_key_id,
                    actor_name,
                    actor_role,
                    action: r.action,
                    entity_type: r.entity_type,
                    entity_id: r.entity_id,
                })
            })
            .collect::<AppResult<_>>()?,
        next_cursor: page.next_cursor,
    }))
}
