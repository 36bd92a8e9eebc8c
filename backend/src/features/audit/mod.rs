//! The audit trail: every write records who, what, when and the change, in the same
//! transaction as the write; `GET /audit-log` reads it back.

pub use crate::schema::audit as model;

use crate::auth::extract::Auth;
use crate::auth::roles::OfficeOrPrincipal;
use crate::infra::error::AppResult;
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Who made a change: a person, an integration key, or the system (CLI, demo loader).
#[derive(Clone, Copy, Debug, Default)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
}

impl Actor {
    pub fn user(id: Uuid) -> Self {
        Self {
            user_id: Some(id),
            api_key_id: None,
        }
    }
    pub fn api_key(id: Uuid) -> Self {
        Self {
            user_id: None,
            api_key_id: Some(id),
        }
    }
    pub fn system() -> Self {
        Self::default()
    }
}

/// Records one change. Call it inside the write's transaction so both land or neither does.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Actor,
    action: &str,
    entity_type: &str,
    entity_id: Option<String>,
    changes: serde_json::Value,
) -> Result<(), DbErr> {
    entry(actor, action, entity_type, entity_id, changes)
        .insert(db)
        .await?;
    Ok(())
}

/// One audit row, not yet written: for writers that insert many rows in one statement (the
/// gate's group commit). Write it in the same transaction as the change it records.
pub fn entry(
    actor: Actor,
    action: &str,
    entity_type: &str,
    entity_id: Option<String>,
    changes: serde_json::Value,
) -> model::ActiveModel {
    model::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(crate::infra::util::now()),
        actor_user_id: Set(actor.user_id),
        actor_api_key_id: Set(actor.api_key_id),
        action: Set(action.to_owned()),
        entity_type: Set(entity_type.to_owned()),
        entity_id: Set(entity_id),
        changes: Set(changes.to_string()),
    }
}

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
    pub actor_role: Option<String>,
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
                AuditEntryResponse {
                    id: r.id,
                    occurred_at: r.occurred_at,
                    actor_user_id: r.actor_user_id,
                    actor_api_key_id: r.actor_api_key_id,
                    actor_name,
                    actor_role,
                    action: r.action,
                    entity_type: r.entity_type,
                    entity_id: r.entity_id,
                    changes: serde_json::from_str(&r.changes).unwrap_or(serde_json::Value::Null),
                }
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Names of the people and keys that acted in one page of entries (two queries per page, not
/// one per row).
struct ActorNames {
    users: HashMap<Uuid, (String, String)>,
    keys: HashMap<Uuid, String>,
}

impl ActorNames {
    fn of(&self, r: &model::Model) -> (Option<String>, Option<String>) {
        if let Some((name, role)) = r.actor_user_id.and_then(|u| self.users.get(&u)) {
            return (Some(name.clone()), Some(role.clone()));
        }
        (
            r.actor_api_key_id.and_then(|k| self.keys.get(&k).cloned()),
            None,
        )
    }
}

async fn actor_names(db: &impl ConnectionTrait, rows: &[model::Model]) -> AppResult<ActorNames> {
    use crate::schema::api_keys as key;
    use crate::schema::users as user;
    let user_ids: HashSet<Uuid> = rows.iter().filter_map(|r| r.actor_user_id).collect();
    let key_ids: HashSet<Uuid> = rows.iter().filter_map(|r| r.actor_api_key_id).collect();
    let users = if user_ids.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(user_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, (u.display_name, u.role)))
            .collect()
    };
    let keys = if key_ids.is_empty() {
        HashMap::new()
    } else {
        key::Entity::find()
            .filter(key::Column::Id.is_in(key_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|k| (k.id, k.name))
            .collect()
    };
    Ok(ActorNames { users, keys })
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_audit_log);
}
