//! The subscriptions API: request and response types, and who may touch which channel.

pub mod deliveries;
pub mod subscriptions;

use super::model::{
    AttemptOutcome, Audience, ChannelKind, DeliveryStatus, EventSeverity, attempt, channel,
    delivery,
};
use crate::auth::extract::CurrentUser;
use crate::auth::roles::Role;
use crate::infra::error::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A channel and what it receives. The URL's query (a robot's access token or key) and the
/// secrets are never shown again after creation.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionResponse {
    pub id: Uuid,
    pub name: String,
    pub kind: ChannelKind,
    pub audience: Audience,
    /// Scheme, host and path of the target (no query).
    pub url_hint: String,
    /// The event kinds sent, e.g. `pass.overdue`.
    pub event_kinds: Vec<String>,
    /// Only events of this class (a class group; optional for others).
    pub class_id: Option<Uuid>,
    /// Events below this severity are not sent.
    pub min_severity: EventSeverity,
    pub enabled: bool,
    /// Why the server disabled it (failing for days), if it did.
    pub disabled_reason: Option<String>,
    /// Failing without a success since then.
    pub failing_since: Option<DateTime<Utc>>,
    /// Requests are signed (a webhook always; a DingTalk robot with 加签).
    pub signed: bool,
    /// During a secret rotation: until then requests carry a second signature made with
    /// the previous secret.
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedSubscriptionResponse {
    #[serde(flatten)]
    pub subscription: SubscriptionResponse,
    /// A webhook's signing secret (`whsec_…`), shown this once.
    pub secret: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "2019级旅游服务与管理1班 班级群",
    "kind": "dingtalk",
    "audience": "class_group",
    "url": "https://oapi.dingtalk.com/robot/send?access_token=0f3c…",
    "secret": "SEC0123456789abcdef",
    "event_kinds": ["pass.overdue", "gate.exit", "gate.return"],
    "class_id": "0193b5c2-7d1e-7c3a-9f00-4a1b2c3d4e5f",
    "min_severity": "info"
}))]
pub struct CreateSubscriptionRequest {
    pub name: String,
    pub kind: ChannelKind,
    pub audience: Audience,
    /// The webhook URL, or the robot's webhook address (DingTalk with `access_token=`, WeCom
    /// with `key=`). Loopback, private and link-local targets are refused unless configured.
    pub url: String,
    /// DingTalk only: the robot's 加签 secret (`SEC…`), when the robot uses signing.
    pub secret: Option<String>,
    pub event_kinds: Vec<String>,
    /// Required for a class group (own class for a class teacher).
    pub class_id: Option<Uuid>,
    pub min_severity: Option<EventSeverity>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"event_kinds": ["pass.overdue"], "enabled": true}))]
pub struct UpdateSubscriptionRequest {
    pub name: Option<String>,
    pub event_kinds: Option<Vec<String>>,
    pub min_severity: Option<EventSeverity>,
    /// `true` also clears a disabled channel's failing state.
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecretResponse {
    /// The new secret (`whsec_…`), shown this once.
    pub secret: String,
    /// Until then every request is signed with both secrets.
    pub previous_valid_until: DateTime<Utc>,
}

/// One try of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptResponse {
    pub attempted_at: DateTime<Utc>,
    pub latency_ms: i32,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i32>,
    pub outcome: AttemptOutcome,
    pub error: Option<String>,
    /// Sent merged into one digest message (a robot's 20 a minute).
    pub digest: bool,
}

/// One event (or test message) for one channel, with every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    pub id: Uuid,
    pub subscription_id: Uuid,
    /// The event's stable id (the `webhook-id` header).
    pub event_id: Uuid,
    pub event_kind: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub attempt_log: Vec<AttemptResponse>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `dead`; another value matches nothing.
    pub status: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

pub fn subscription_response(c: channel::Model) -> SubscriptionResponse {
    SubscriptionResponse {
        event_kinds: c
            .event_kinds
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        signed: c.secret_sealed.is_some(),
        previous_secret_until: c
            .previous_secret_until
            .filter(|_| c.previous_secret_sealed.is_some()),
        id: c.id,
        name: c.name,
        kind: c.kind,
        audience: c.audience,
        url_hint: c.url_hint,
        class_id: c.class_id,
        min_severity: c.min_severity,
        enabled: c.enabled,
        disabled_reason: c.disabled_reason,
        failing_since: c.failing_since,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

pub fn delivery_response(d: delivery::Model, attempts: Vec<attempt::Model>) -> DeliveryResponse {
    DeliveryResponse {
        next_attempt_at: (d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
        id: d.id,
        subscription_id: d.channel_id,
        event_id: d.event_id,
        event_kind: d.event_kind,
        status: d.status,
        attempts: d.attempts,
        last_status_code: d.last_status_code,
        last_error: d.last_error,
        created_at: d.created_at,
        delivered_at: d.delivered_at,
        attempt_log: attempts
            .into_iter()
            .map(|a| AttemptResponse {
                attempted_at: a.attempted_at,
                latency_ms: a.latency_ms,
                status_code: a.status_code,
                outcome: a.outcome,
                error: a.error,
                digest: a.digest,
            })
            .collect(),
    }
}

/// Who may manage a channel: the office any; a class teacher only the group of an own class
/// (`403 not_own_class` otherwise).
pub async fn require_manage(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    ch: &channel::Model,
) -> AppResult<()> {
    if user.is(Role::SecurityOffice) {
        return Ok(());
    }
    match (ch.audience, ch.class_id) {
        (Audience::ClassGroup, Some(class_id)) => {
            crate::features::classes::require_own_class(db, user, class_id).await
        }
        _ => Err(crate::infra::error::ApiError::forbidden(
            crate::infra::error::ErrorCode::NotOwnClass,
            "只能管理本班的班级群",
        )),
    }
}
