//! Connecting channels: list, create (a webhook's secret shown once), change, remove, rotate
//! a webhook's secret with an overlap, and send a test message.

use super::{
    CreateSubscriptionRequest, CreatedSubscriptionResponse, DeliveryResponse,
    RotatedSecretResponse, SubscriptionResponse, UpdateSubscriptionRequest, delivery_response,
    require_manage, subscription_response,
};
use crate::auth::extract::Auth;
use crate::auth::roles::{Role, TeacherOrOffice};
use crate::auth::scope::Scope;
use crate::features::audit;
use crate::features::channels::model::{Audience, ChannelKind, EventSeverity, channel};
use crate::features::channels::{messages, signing, store, url_guard};
use crate::infra::clock;
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::state::State;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

/// How long a rotated-out webhook secret keeps signing (a second signature) beside the new one.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);

fn check_kinds(v: &mut Validator, kinds: &[String]) {
    if kinds.is_empty() {
        v.add("event_kinds", "required", "至少选择一种事件");
    } else if kinds.len() > 64 {
        v.add("event_kinds", "too_long", "事件种类过多");
    } else if kinds.iter().any(|k| !messages::is_known_kind(k)) {
        v.add("event_kinds", "unknown_event_kind", "包含未知的事件种类");
    }
}

fn kinds_text(kinds: &[String]) -> String {
    let mut k = kinds.to_vec();
    k.sort();
    k.dedup();
    k.join(" ")
}

/// Refuses a target whose name resolves only to addresses not allowed. The send-time check
/// (the client's resolver) is what holds; this one tells the office at once.
async fn check_resolved(url: &reqwest::Url, allow_private: bool) -> AppResult<()> {
    let Some(url::Host::Domain(host)) = url.host() else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        tokio::net::lookup_host((host, port)),
    )
    .await;
    // A name that does not resolve now is not refused: it is checked again at every send.
    if let Ok(Ok(addrs)) = lookup {
        let addrs: Vec<_> = addrs.collect();
        if !addrs.is_empty()
            && !addrs
                .iter()
                .any(|a| url_guard::ip_allowed(a.ip(), allow_private))
        {
            return Err(target_not_allowed());
        }
    }
    Ok(())
}

fn target_not_allowed() -> ApiError {
    ApiError::unprocessable(
        ErrorCode::ChannelTargetNotAllowed,
        "不允许推送到内网、本机或链路本地地址",
    )
}

/// Channels: every one for the office; a class teacher's own classes' groups.
#[utoipa::path(
    tag = "subscriptions",
    responses(
        (status = 200, body = Vec<SubscriptionResponse>),
        (status = 401, body = crate::infra::error::Problem),
        (status = 403, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["class_teacher", "security_office"]))
)]
#[get("/subscriptions")]
pub async fn list_subscriptions(
    auth: Auth<TeacherOrOffice>,
    state: State,
) -> AppResult<web::Json<Vec<SubscriptionResponse>>> {
    let scope = Scope::act(&state.db.conn, &auth.user).await?;
    let rows = store::list_channels(&state.db.conn, scope.class_ids()).await?;
    Ok(web::Json(
        rows.into_iter().map(subscription_response).collect(),
    ))
}

/// Connect a channel. A class teacher connects only the group of an own class (`403
/// not_own_class`), which receives only that class's events. A webhook's signing secret is
/// in the response, once.
#[utoipa::path(
    tag = "subscriptions",
    request_body = CreateSubscriptionRequest,
    responses(
        (status = 201, body = CreatedSubscriptionResponse),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
        (status = 404, description = "`class_not_found`: `class_id` names no class", body = crate::infra::error::Problem),
        (status = 422, description = "`validation_failed`, `channel_target_not_allowed`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["class_teacher", "security_office"]))
)]
#[post("/subscriptions")]
pub async fn create_subscription(
    auth: Auth<TeacherOrOffice>,
    state: State,
    body: web::Json<CreateSubscriptionRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("name", &b.name, 1, 100);
    check_kinds(&mut v, &b.event_kinds);
    v.opt_text("secret", b.secret.as_deref(), 200);
    if b.secret.is_some() && b.kind != ChannelKind::Dingtalk {
        v.add("secret", "invalid", "只有钉钉机器人需要填写加签密钥");
    }
    let office = auth.user.is(Role::SecurityOffice);
    if !office && b.audience != Audience::ClassGroup {
        v.add("audience", "invalid", "班主任只能连接本班的班级群");
    }
    if b.audience == Audience::ClassGroup && b.class_id.is_none() {
        v.add("class_id", "required", "班级群须选择班级");
    }
    let allow_private = state.settings.channels_allow_private;
    let parsed = match url_guard::parse(b.url.trim(), allow_private) {
        Ok(u) => Some(u),
        Err(url_guard::UrlProblem::Malformed) => {
            v.add("url", "invalid", "须为 http 或 https 地址");
            None
        }
        Err(url_guard::UrlProblem::PrivateTarget) => return Err(target_not_allowed()),
    };
    if let Some(u) = &parsed {
        let has = |name: &str| u.query_pairs().any(|(k, val)| k == name && !val.is_empty());
        match b.kind {
            ChannelKind::Dingtalk if !has("access_token") => {
                v.add("url", "invalid", "钉钉机器人地址须包含 access_token")
            }
            ChannelKind::Wecom if !has("key") => {
                v.add("url", "invalid", "企业微信机器人地址须包含 key")
            }
            _ => {}
        }
    }
    v.finish()?;
    let Some(parsed) = parsed else {
        return Err(ApiError::internal());
    };
    check_resolved(&parsed, allow_private).await?;
    if let Some(class_id) = b.class_id {
        crate::features::classes::find(&state.db.conn, class_id).await?;
        if !office {
            crate::features::classes::require_own_class(&state.db.conn, &auth.user, class_id)
                .await?;
        }
    }
    let id = Uuid::now_v7();
    let master = &state.db.master_key;
    let shown = match b.kind {
        ChannelKind::Webhook => {
            Some(signing::new_webhook_secret().map_err(|_| ApiError::internal())?)
        }
        _ => None,
    };
    let secret = shown.clone().or(b.secret.map(|s| s.trim().to_owned()));
    let sealed_secret = match &secret {
        Some(s) => Some(store::seal(master, &store::secret_context(id), s)?),
        None => None,
    };
    let now = clock::now();
    let tx = state.db.begin_write().await?;
    // New channels start at the newest event: they receive what happens from now on.
    let cursor: Option<i64> = crate::features::events::model::Entity::find()
        .select_only()
        .column_as(crate::features::events::model::Column::Seq.max(), "m")
        .into_tuple()
        .one(&*tx)
        .await?
        .flatten();
    let row = channel::ActiveModel {
        id: Set(id),
        name: Set(b.name.trim().to_owned()),
        audience: Set(b.audience),
        kind: Set(b.kind),
        url_sealed: Set(store::seal(
            master,
            &store::url_context(id),
            parsed.as_str(),
        )?),
        url_hint: Set(url_guard::hint(&parsed)),
        secret_sealed: Set(sealed_secret),
        previous_secret_sealed: Set(None),
        previous_secret_until: Set(None),
        event_kinds: Set(kinds_text(&b.event_kinds)),
        class_id: Set(b.class_id),
        min_severity: Set(b.min_severity.unwrap_or(EventSeverity::Info)),
        enabled: Set(true),
        disabled_reason: Set(None),
        failing_since: Set(None),
        cursor: Set(cursor.unwrap_or(0)),
        created_by: Set(auth.user.id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "subscription.create",
        "subscription",
        Some(row.id.to_string()),
        json!({"name": row.name, "kind": row.kind, "audience": row.audience,
               "url": row.url_hint, "event_kinds": row.event_kinds, "class_id": row.class_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(CreatedSubscriptionResponse {
        subscription: subscription_response(row),
        secret: shown,
    }))
}

/// Change what a channel receives, or switch it off and on (on again after the server
/// disabled it: its failing state is cleared and waiting deliveries resume).
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = Uuid, Path)),
    request_body = UpdateSubscriptionRequest,
    responses(
        (status = 200, body = SubscriptionResponse),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
        (status = 404, description = "`subscription_not_found`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["class_teacher", "security_office"]))
)]
#[patch("/subscriptions/{id}")]
pub async fn update_subscription(
    auth: Auth<TeacherOrOffice>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<UpdateSubscriptionRequest>,
) -> AppResult<web::Json<SubscriptionResponse>> {
    let b = body.into_inner();
    let mut v = Validator::new();
    if let Some(name) = &b.name {
        v.text("name", name, 1, 100);
    }
    if let Some(kinds) = &b.event_kinds {
        check_kinds(&mut v, kinds);
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let ch = store::find_channel(&*tx, id.into_inner()).await?;
    require_manage(&*tx, &auth.user, &ch).await?;
    let mut active: channel::ActiveModel = ch.clone().into();
    if let Some(name) = &b.name {
        active.name = Set(name.trim().to_owned());
    }
    if let Some(kinds) = &b.event_kinds {
        active.event_kinds = Set(kinds_text(kinds));
    }
    if let Some(sev) = b.min_severity {
        active.min_severity = Set(sev);
    }
    if let Some(enabled) = b.enabled {
        active.enabled = Set(enabled);
        if enabled {
            active.failing_since = Set(None);
            active.disabled_reason = Set(None);
        }
    }
    active.updated_at = Set(clock::now());
    let row = active.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "subscription.update",
        "subscription",
        Some(row.id.to_string()),
        json!({"name": row.name, "event_kinds": row.event_kinds,
               "min_severity": row.min_severity, "enabled": row.enabled}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(subscription_response(row)))
}

/// Remove a channel, with its waiting deliveries and its log.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
        (status = 404, description = "`subscription_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["class_teacher", "security_office"]))
)]
#[delete("/subscriptions/{id}")]
pub async fn delete_subscription(
    auth: Auth<TeacherOrOffice>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let ch = store::find_channel(&*tx, id.into_inner()).await?;
    require_manage(&*tx, &auth.user, &ch).await?;
    store::delete_channel(&*tx, ch.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "subscription.delete",
        "subscription",
        Some(ch.id.to_string()),
        json!({"name": ch.name}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate a webhook's signing secret: the new one is shown once; for 24 hours every request
/// carries two signatures (new and previous), so the receiver can switch without losing one.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = RotatedSecretResponse),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
        (status = 404, description = "`subscription_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`secret_not_rotatable`: not a webhook", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["class_teacher", "security_office"]))
)]
#[post("/subscriptions/{id}/rotate-secret")]
pub async fn rotate_subscription_secret(
    auth: Auth<TeacherOrOffice>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<RotatedSecretResponse>> {
    let tx = state.db.begin_write().await?;
    let ch = store::find_channel(&*tx, id.into_inner()).await?;
    require_manage(&*tx, &auth.user, &ch).await?;
    let (ChannelKind::Webhook, Some(current)) = (ch.kind, &ch.secret_sealed) else {
        return Err(ApiError::conflict(
            ErrorCode::SecretNotRotatable,
            "只有通用 Webhook 渠道的签名密钥可以轮换",
        ));
    };
    let master = &state.db.master_key;
    let old = store::open(master, &store::secret_context(ch.id), current)
        .ok_or_else(ApiError::internal)?;
    let fresh = signing::new_webhook_secret().map_err(|_| ApiError::internal())?;
    let now = clock::now();
    let until = now + ROTATION_OVERLAP;
    let mut active: channel::ActiveModel = ch.clone().into();
    active.secret_sealed = Set(Some(store::seal(
        master,
        &store::secret_context(ch.id),
        &fresh,
    )?));
    active.previous_secret_sealed = Set(Some(store::seal(
        master,
        &store::previous_secret_context(ch.id),
        &old,
    )?));
    active.previous_secret_until = Set(Some(until));
    active.updated_at = Set(now);
    active.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "subscription.rotate_secret",
        "subscription",
        Some(ch.id.to_string()),
        json!({"name": ch.name, "previous_valid_until": until}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(RotatedSecretResponse {
        secret: fresh,
        previous_valid_until: until,
    }))
}

/// Queue a test message to the channel (sent within seconds); its delivery, with every
/// attempt, then shows in the channel's log.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = Uuid, Path)),
    responses(
        (status = 202, body = DeliveryResponse),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
        (status = 404, description = "`subscription_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["class_teacher", "security_office"]))
)]
#[post("/subscriptions/{id}/test")]
pub async fn test_subscription(
    auth: Auth<TeacherOrOffice>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let ch = store::find_channel(&*tx, id.into_inner()).await?;
    require_manage(&*tx, &auth.user, &ch).await?;
    let now = clock::now();
    let event_id = Uuid::now_v7();
    let body = messages::webhook_body(
        event_id,
        messages::TEST_KIND,
        1,
        now,
        &json!({"title": "这是一条来自校安的测试消息", "name": ch.name}),
    );
    store::enqueue(
        &*tx,
        ch.id,
        event_id,
        0,
        messages::TEST_KIND,
        &body.to_string(),
        now,
    )
    .await?;
    let d = store::find_delivery_by_event(&*tx, ch.id, event_id).await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(delivery_response(d, vec![])))
}
