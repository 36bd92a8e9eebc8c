//! What the public page shows besides articles: the duty rosters the school chooses and a
//! duty phone per post.

use super::super::store;
use crate::auth::extract::Auth;
use crate::auth::roles::{Office, OfficeOrPrincipal};
use crate::features::{audit, duty};
use crate::infra::error::{AppResult, Validator};
use crate::infra::state::State;
use crate::schema::articles::settings;
use actix_web::{get, put, web};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

/// A duty phone per post, shown beside the post's name on the public page; a post without
/// one shows no phone (a person's own phone never appears there).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyPhones {
    pub leader_on_call: Option<String>,
    pub duty_teacher: Option<String>,
    pub guard: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicPageSettingsResponse {
    /// Published duty rosters shown on the public page, in this order (while they have not
    /// ended).
    pub duty_roster_ids: Vec<Uuid>,
    pub phones: DutyPhones,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"duty_roster_ids": [], "phones": {"leader_on_call": "0512-66001234", "duty_teacher": null, "guard": "0512-66005678"}}))]
pub struct PublicPageSettingsRequest {
    /// At most 10 published rosters.
    pub duty_roster_ids: Vec<Uuid>,
    pub phones: DutyPhones,
}

fn response(row: Option<settings::Model>) -> PublicPageSettingsResponse {
    let ids = store::roster_ids(row.as_ref());
    match row {
        None => PublicPageSettingsResponse {
            duty_roster_ids: ids,
            phones: DutyPhones::default(),
            updated_at: None,
        },
        Some(r) => PublicPageSettingsResponse {
            duty_roster_ids: ids,
            phones: DutyPhones {
                leader_on_call: r.phone_leader_on_call,
                duty_teacher: r.phone_duty_teacher,
                guard: r.phone_guard,
            },
            updated_at: Some(r.updated_at),
        },
    }
}

/// The public page's settings.
#[utoipa::path(
    tag = "articles",
    responses((status = 200, body = PublicPageSettingsResponse), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/public-page")]
pub async fn get_public_page(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
) -> AppResult<web::Json<PublicPageSettingsResponse>> {
    Ok(web::Json(response(
        store::settings_row(&state.db.conn).await?,
    )))
}

fn opt(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Choose the duty rosters the public page shows (published ones only: `422` on
/// `duty_roster_ids` otherwise) and the duty phone of each post (security office).
#[utoipa::path(
    tag = "articles",
    request_body = PublicPageSettingsRequest,
    responses((status = 200, body = PublicPageSettingsResponse), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[put("/public-page")]
pub async fn set_public_page(
    auth: Auth<Office>,
    state: State,
    body: web::Json<PublicPageSettingsRequest>,
) -> AppResult<web::Json<PublicPageSettingsResponse>> {
    let b = body.into_inner();
    let phones = DutyPhones {
        leader_on_call: opt(b.phones.leader_on_call),
        duty_teacher: opt(b.phones.duty_teacher),
        guard: opt(b.phones.guard),
    };
    let mut ids: Vec<Uuid> = Vec::new();
    for id in b.duty_roster_ids {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut v = Validator::new();
    // Field names as the request nests them (`phones.guard`).
    let field = |post: &str| format!("phones.{post}");
    v.phone(&field("leader_on_call"), phones.leader_on_call.as_deref());
    v.phone(&field("duty_teacher"), phones.duty_teacher.as_deref());
    v.phone(&field("guard"), phones.guard.as_deref());
    if ids.len() > 10 {
        v.add("duty_roster_ids", "too_many", "最多 10 个值班表");
    }
    let tx = state.db.begin_write().await?;
    for (i, id) in ids.iter().enumerate() {
        if duty::published_roster(&*tx, *id).await?.is_none() {
            v.add(
                &format!("duty_roster_ids[{i}]"),
                "not_published",
                "只能展示已发布的值班表",
            );
        }
    }
    v.finish()?;
    let before = store::settings_row(&*tx).await?;
    let row = settings::ActiveModel {
        id: Set(1),
        duty_roster_ids: Set(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())),
        phone_leader_on_call: Set(phones.leader_on_call),
        phone_duty_teacher: Set(phones.duty_teacher),
        phone_guard: Set(phones.guard),
        updated_at: Set(crate::infra::clock::now()),
    };
    let after = if before.is_some() {
        row.update(&*tx).await?
    } else {
        row.insert(&*tx).await?
    };
    audit::record(
        &*tx,
        auth.user.actor(),
        "public_page.update",
        "public_page",
        None,
        json!({"after": {"duty_roster_ids": ids, "phones": [after.phone_leader_on_call, after.phone_duty_teacher, after.phone_guard]}}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(response(Some(after))))
}
