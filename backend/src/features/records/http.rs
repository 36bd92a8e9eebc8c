//! Records' requests, responses and handlers, one file per sub-resource; the helpers they
//! share are here.

mod activities;
mod announcements;
mod health_reports;
mod incidents;
mod meetings;

pub use activities::*;
pub use announcements::*;
pub use health_reports::*;
pub use incidents::*;
pub use meetings::*;

use crate::auth::extract::{Auth, AuthOrKey, Caller, CurrentUser};
use crate::auth::roles::{
    AnyUser, GuardOnly, GuardOrOffice, Office, OfficeOrPrincipal, RecordsRead, Role, Staff,
};
use crate::features::audit;
use crate::features::plans::{check_date, today};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use crate::schema::users as user;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use model::{activity, announcement, health, incident, meeting, read};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model;
use crate::schema::records::{ActivityKind, IncidentKind, MeetingKind, Severity};

/// A stored JSON list (class ids, photo URLs, attendees). Corrupt data is an error, not an
/// empty list.
fn stored_list<T: serde::de::DeserializeOwned>(s: &str) -> AppResult<Vec<T>> {
    serde_json::from_str(s).map_err(|e| {
        tracing::error!(error = %e, "a stored record list is not valid JSON");
        ApiError::internal()
    })
}

fn opt(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Reads a closed-set field sent as a string (so an unknown value is a field error, 422, not a
/// body error), noting the allowed values when it is none of them.
fn one_of<E: sea_orm::Iterable + Copy>(
    v: &mut Validator,
    field: &str,
    value: &str,
    name: fn(E) -> &'static str,
) -> Option<E> {
    let found = E::iter().find(|e| name(*e) == value);
    if found.is_none() {
        let allowed: Vec<&str> = E::iter().map(name).collect();
        v.add(field, "invalid", format!("取值应为:{}", allowed.join("、")));
    }
    found
}

/// A closed-set value already checked by the request's validation.
fn checked<E>(parsed: Option<E>) -> AppResult<E> {
    parsed.ok_or_else(ApiError::internal)
}

async fn check_plan_item(
    db: &impl ConnectionTrait,
    v: &mut Validator,
    id: Option<Uuid>,
) -> AppResult<()> {
    if let Some(id) = id
        && crate::schema::plans::item::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_none()
    {
        v.add("plan_item_id", "not_found", "工作项目不存在");
    }
    Ok(())
}

/// A record that fulfils a plan item is also linked as that item's evidence.
async fn link_to_item(
    db: &impl ConnectionTrait,
    item: Option<Uuid>,
    kind: &str,
    id: Uuid,
    by: Uuid,
) -> AppResult<()> {
    if let Some(item) = item {
        let exists = crate::schema::plans::evidence::Entity::find()
            .filter(crate::schema::plans::evidence::Column::ItemId.eq(item))
            .filter(crate::schema::plans::evidence::Column::EntityType.eq(kind))
            .filter(crate::schema::plans::evidence::Column::EntityId.eq(id))
            .one(db)
            .await?;
        if exists.is_none() {
            crate::features::plans::link_evidence(db, item, kind, id, None, Some(by)).await?;
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DateRangeQuery {
    /// From this local date (inclusive).
    pub from: Option<String>,
    /// Up to this local date (inclusive).
    pub to: Option<String>,
    pub kind: Option<String>,
}
