//! 信息推送: getting events to people and programs. Channels (a signed Standard Webhooks
//! endpoint, a DingTalk or WeCom group robot) subscribe to event kinds with filters; the
//! worker delivers each event at least once with its stable id, logs every attempt, retries
//! for about three days and disables a channel failing for days.
//!
//! Other modules use: [`run_deliveries`] (started by `jobs`), [`reseal_on`] (master-key
//! rotation), [`queue_message`] and [`deliveries_by_ids`] (reports sent as 报送).

pub use crate::schema::channels as model;

mod http;
pub mod messages;
pub mod pacing;
pub mod signing;
mod store;
pub mod url_guard;
mod worker;

pub use messages::{REPORT_KIND, ROBOT_MAX_BYTES, fit as fit_robot_markdown, plain as plain_text};
pub use store::reseal_on;
pub use worker::run as run_deliveries;

use crate::infra::error::{ApiError, AppResult, ErrorCode};
use chrono::{DateTime, Utc};
use model::{channel, delivery};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use uuid::Uuid;

/// A message queued for one channel by another feature (a report).
pub struct Queued {
    pub channel: channel::Model,
    pub delivery_id: Uuid,
    /// The message's stable id (`webhook-id`).
    pub event_id: Uuid,
}

/// Queues a message of `kind` with `data` for the channel `channel_id`, in the caller's
/// transaction; the worker sends it as it sends events (retries, log, resend). A missing
/// channel is `404 subscription_not_found`, a switched-off one `409 subscription_disabled`.
pub async fn queue_message(
    db: &impl ConnectionTrait,
    channel_id: Uuid,
    kind: &str,
    data: &serde_json::Value,
    now: DateTime<Utc>,
) -> AppResult<Queued> {
    let ch = store::find_channel(db, channel_id).await?;
    if !ch.enabled {
        return Err(ApiError::conflict(
            ErrorCode::SubscriptionDisabled,
            "该推送渠道已停用,请先启用后再报送",
        ));
    }
    let event_id = Uuid::now_v7();
    let body = messages::webhook_body(event_id, kind, 1, now, data);
    store::enqueue(db, ch.id, event_id, 0, kind, &body.to_string(), now).await?;
    let d = store::find_delivery_by_event(db, ch.id, event_id).await?;
    Ok(Queued {
        channel: ch,
        delivery_id: d.id,
        event_id,
    })
}

/// These deliveries as they stand (those of a removed channel are absent).
pub async fn deliveries_by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, delivery::Model>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(delivery::Entity::find()
        .filter(delivery::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use http::{deliveries, subscriptions};
    cfg.service(subscriptions::list_subscriptions)
        .service(subscriptions::create_subscription)
        .service(subscriptions::update_subscription)
        .service(subscriptions::delete_subscription)
        .service(subscriptions::rotate_subscription_secret)
        .service(subscriptions::test_subscription)
        .service(deliveries::list_deliveries)
        .service(deliveries::resend_delivery);
}
