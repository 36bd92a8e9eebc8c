//! Hazard queries: who sees which hazards, reading them, and writing a hazard with its
//! history step and audit row in the caller's transaction.

use super::model::{HazardAction, HazardCategory, HazardSource, HazardStatus, event, hazard};
use crate::auth::extract::CurrentUser;
use crate::auth::roles::Role;
use crate::features::audit;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::users as user;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// A stored JSON list of attachment ids. Corrupt data is an error, not an empty list.
pub fn ids_of(s: &str) -> AppResult<Vec<Uuid>> {
    serde_json::from_str(s).map_err(|e| {
        tracing::error!(error = %e, "hazard photo ids are not a JSON list of ids");
        ApiError::internal()
    })
}

/// Display names of the given users (absent ids are left out).
pub async fn names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// The office and the principal see every hazard (`None`); others those they reported, own or
/// rectified, their own classes' (class teachers, safety officers), and guards those not
/// tied to a class.
pub async fn visibility(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
) -> AppResult<Option<Condition>> {
    if matches!(u.role, Role::SecurityOffice | Role::Principal) {
        return Ok(None);
    }
    let mut c = Condition::any()
        .add(hazard::Column::ReportedBy.eq(u.id))
        .add(hazard::Column::OwnerId.eq(u.id))
        .add(hazard::Column::RectifiedBy.eq(u.id));
    match u.role {
        Role::ClassTeacher | Role::SafetyOfficer => {
            let own = crate::features::users::own_class_ids(db, u.id, u.role).await?;
            c = c.add(hazard::Column::ClassId.is_in(own));
        }
        Role::Guard => c = c.add(hazard::Column::ClassId.is_null()),
        _ => {}
    }
    Ok(Some(c))
}

pub async fn may_view(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    h: &hazard::Model,
) -> AppResult<bool> {
    Ok(match visibility(db, u).await? {
        None => true,
        Some(cond) => hazard::Entity::find_by_id(h.id)
            .filter(cond)
            .one(db)
            .await?
            .is_some(),
    })
}

pub async fn may_view_id(db: &impl ConnectionTrait, u: &CurrentUser, id: Uuid) -> AppResult<bool> {
    match hazard::Entity::find_by_id(id).one(db).await? {
        Some(h) => may_view(db, u, &h).await,
        None => Ok(false),
    }
}

/// Whether the user may see a hazard showing this photo (a failed item's photo is shown on
/// the hazard it raised, whose owner may not see the class's check itself).
pub async fn may_view_with_photo(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    photo_id: Uuid,
) -> AppResult<bool> {
    let mut select =
        hazard::Entity::find().filter(hazard::Column::PhotoIds.contains(photo_id.to_string()));
    if let Some(c) = visibility(db, u).await? {
        select = select.filter(c);
    }
    Ok(select.one(db).await?.is_some())
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<hazard::Model> {
    hazard::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::HazardNotFound, "隐患不存在"))
}

/// The history of one hazard, oldest first.
pub async fn history(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::HazardId.eq(id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?)
}

/// One history step.
pub struct NewEvent {
    pub hazard_id: Uuid,
    pub actor: Uuid,
    pub action: HazardAction,
    pub from: Option<HazardStatus>,
    pub to: HazardStatus,
    pub note: Option<String>,
    pub details: serde_json::Value,
}

pub async fn add_event(db: &impl ConnectionTrait, e: NewEvent) -> AppResult<()> {
    event::ActiveModel {
        id: Set(Uuid::now_v7()),
        hazard_id: Set(e.hazard_id),
        at: Set(crate::infra::clock::now()),
        actor_id: Set(e.actor),
        action: Set(e.action),
        from_status: Set(e.from),
        to_status: Set(e.to),
        note: Set(e.note),
        details: Set(e.details.to_string()),
        actor_api_key_id: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Writes a step's history row and its audit row (`hazard.<action>`), in the caller's
/// transaction.
pub async fn record_step(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    e: NewEvent,
    audit_details: serde_json::Value,
) -> AppResult<()> {
    let (id, action) = (e.hazard_id, e.action);
    add_event(db, e).await?;
    audit::record(
        db,
        u.actor(),
        &format!("hazard.{}", action.as_str()),
        "hazard",
        Some(id.to_string()),
        audit_details,
    )
    .await?;
    Ok(())
}

/// What every new hazard starts with; owner, deadline and rectification come later in the
/// workflow.
pub struct NewHazard {
    pub id: Uuid,
    pub category: HazardCategory,
    pub location: String,
    pub description: String,
    pub class_id: Option<Uuid>,
    pub source: HazardSource,
    pub class_pending: bool,
    pub submission_id: Option<Uuid>,
    pub item_key: Option<String>,
    pub photo_ids: Vec<Uuid>,
}

/// Who reports a hazard: a person, or an integration key (a sensor, another system), which
/// the hazard names beside the office account that created the key.
pub struct Reporter {
    pub person: Uuid,
    pub key: Option<Uuid>,
    pub actor: audit::Actor,
}

impl Reporter {
    pub fn user(u: &CurrentUser) -> Self {
        Reporter {
            person: u.id,
            key: None,
            actor: u.actor(),
        }
    }
}

/// Display names of the given integration keys.
pub async fn key_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    use crate::schema::api_keys as api_key;
    Ok(api_key::Entity::find()
        .filter(api_key::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|k| (k.id, k.name))
        .collect())
}

/// The one place a hazard row is created, inside the caller's transaction: the row in
/// `reported`, its first history step (with `history`) and its audit entry (`audit_details`).
pub async fn insert_reported(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    h: NewHazard,
    history: serde_json::Value,
    audit_details: serde_json::Value,
) -> AppResult<hazard::Model> {
    insert_reported_as(db, Reporter::user(u), h, history, audit_details).await
}

/// [`insert_reported`] for any reporter, a key included.
pub async fn insert_reported_as(
    db: &impl ConnectionTrait,
    by: Reporter,
    h: NewHazard,
    history: serde_json::Value,
    audit_details: serde_json::Value,
) -> AppResult<hazard::Model> {
    let now = crate::infra::clock::now();
    let row = hazard::ActiveModel {
        id: Set(h.id),
        category: Set(h.category),
        location: Set(h.location),
        description: Set(h.description),
        class_id: Set(h.class_id),
        source: Set(h.source),
        submission_id: Set(h.submission_id),
        item_key: Set(h.item_key),
        photo_ids: Set(json!(h.photo_ids).to_string()),
        status: Set(HazardStatus::Reported),
        reported_by: Set(by.person),
        reported_at: Set(now),
        owner_id: Set(None),
        deadline: Set(None),
        assigned_by: Set(None),
        assigned_at: Set(None),
        rectified_by: Set(None),
        rectified_at: Set(None),
        rectification: Set(None),
        rectification_photo_ids: Set("[]".into()),
        verified_by: Set(None),
        closed_at: Set(None),
        updated_at: Set(now),
        class_pending: Set(h.class_pending),
        reported_by_api_key_id: Set(by.key),
    }
    .insert(db)
    .await?;
    event::ActiveModel {
        id: Set(Uuid::now_v7()),
        hazard_id: Set(row.id),
        at: Set(now),
        actor_id: Set(by.person),
        action: Set(HazardAction::Report),
        from_status: Set(None),
        to_status: Set(HazardStatus::Reported),
        note: Set(None),
        details: Set(history.to_string()),
        actor_api_key_id: Set(by.key),
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        by.actor,
        "hazard.report",
        "hazard",
        Some(row.id.to_string()),
        audit_details,
    )
    .await?;
    let e = crate::features::events::HazardReported {
        hazard_id: row.id,
        category: row.category,
        location: row.location.clone(),
        class_id: row.class_id,
        reported_at: now,
    };
    crate::features::events::emit_payload(db, now, &e).await?;
    Ok(row)
}
