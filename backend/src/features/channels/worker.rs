//! The delivery worker: fans new events out into deliveries (per channel, by cursor) and sends
//! what is due, at least once, with the event's stable id; every attempt is logged, failures
//! retried on the schedule of `pacing`. It runs beside the server and never in a request: a
//! slow or hanging receiver costs only its own channel's task (bounded timeouts), never the
//! gate.

use super::messages::{self, Message};
use super::model::{
    AttemptOutcome, Audience, ChannelKind, DeliveryStatus, attempt, channel, delivery,
};
use super::{pacing, signing, store, url_guard};
use crate::features::events;
use crate::infra::clock;
use crate::infra::config::Settings;
use crate::infra::db::Db;
use crate::infra::error::BoxError;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use uuid::Uuid;

/// How often the worker looks for new events and due deliveries.
const TICK: std::time::Duration = std::time::Duration::from_millis(500);
/// Events read per tick.
const EVENTS_PER_TICK: u64 = 500;
/// Deliveries one channel sends per round (a webhook) — robots follow their own budget.
const WEBHOOK_PER_ROUND: usize = 20;
/// While a round sends, its deliveries are leased: a replica that dies mid-send leaves them
/// to be sent again after this (at least once). A retry speed-up (tests) shortens it, never
/// below [`MIN_LEASE`].
const LEASE: Duration = Duration::minutes(5);
/// Longer than one request may take (connect + request timeouts), so a lease never ends
/// while its single send is still under way.
const MIN_LEASE: Duration = Duration::seconds(20);
/// Bounded waits for a receiver.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The HTTP client channels send with: no redirects (a redirect could point inside), bounded
/// timeouts, and the resolver of `url_guard`.
pub fn http_client(allow_private: bool) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent("xiaoan-channels/1")
        .dns_resolver(Arc::new(url_guard::GuardedResolver { allow_private }))
        .build()
}

#[derive(Clone)]
pub struct Worker {
    db: Db,
    client: reqwest::Client,
    tz: Tz,
    link: Option<String>,
    allow_private: bool,
    speedup: u32,
    /// Channels with a round in flight in this process.
    busy: Arc<Mutex<HashSet<Uuid>>>,
}

/// Runs the worker until `stop` flips.
pub async fn run(db: Db, settings: Settings, mut stop: watch::Receiver<bool>) {
    let client = match http_client(settings.channels_allow_private) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "channels: cannot build the HTTP client");
            return;
        }
    };
    let worker = Worker {
        db,
        client,
        // Validated at start; UTC only if it somehow is not.
        tz: settings.time_zone().unwrap_or(chrono_tz::UTC),
        link: settings.public_url.clone(),
        allow_private: settings.channels_allow_private,
        speedup: settings.channels_retry_speedup.max(1),
        busy: Arc::new(Mutex::new(HashSet::new())),
    };
    loop {
        if let Err(e) = worker.tick().await {
            tracing::warn!(error = %e, "channels: delivery round failed; trying again");
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Whether a channel takes an event.
pub fn takes(ch: &channel::Model, kind: &str, class_id: Option<Uuid>) -> bool {
    ch.event_kinds.split_whitespace().any(|k| k == kind)
        && messages::severity(kind) >= ch.min_severity
        && ch.class_id.is_none_or(|c| class_id == Some(c))
}

impl Worker {
    async fn tick(&self) -> Result<(), BoxError> {
        self.fan_out().await?;
        self.send_due().await
    }

    /// New events become deliveries of the channels that take them; each channel's cursor
    /// moves past what it has seen. A replica doing the same at once inserts nothing twice
    /// (unique channel + event) and cursors only move forward.
    async fn fan_out(&self) -> Result<(), BoxError> {
        let channels = channel::Entity::find()
            .filter(channel::Column::Enabled.eq(true))
            .all(&self.db.conn)
            .await?;
        let Some(from) = channels.iter().map(|c| c.cursor).min() else {
            return Ok(());
        };
        let batch = events::after(&self.db.conn, from, EVENTS_PER_TICK)
            .await
            .map_err(|_| "channels: cannot read events")?;
        let Some(last) = batch.last().map(|e| e.seq) else {
            return Ok(());
        };
        let now = clock::now();
        let tx = self.db.begin_write().await?;
        for ch in &channels {
            for ev in batch.iter().filter(|e| e.seq > ch.cursor) {
                let kind = ev.kind.as_str();
                if !takes(ch, &kind, ev.class_id) {
                    continue;
                }
                let body =
                    messages::webhook_body(ev.id, &kind, ev.version, ev.occurred_at, &ev.data);
                store::enqueue(&*tx, ch.id, ev.id, ev.seq, &kind, &body.to_string(), now).await?;
            }
            channel::Entity::update_many()
                .col_expr(channel::Column::Cursor, Expr::value(last))
                .filter(channel::Column::Id.eq(ch.id))
                .filter(channel::Column::Cursor.lt(last))
                .exec(&*tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Starts a round for every channel with due deliveries and none in flight here.
    async fn send_due(&self) -> Result<(), BoxError> {
        let now = clock::now();
        let due: Vec<(Uuid,)> = delivery::Entity::find()
            .select_only()
            .column(delivery::Column::ChannelId)
            .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
            .filter(delivery::Column::NextAttemptAt.lte(now))
            .distinct()
            .limit(100)
            .into_tuple()
            .all(&self.db.conn)
            .await?;
        for (channel_id,) in due {
            {
                let mut busy = self
                    .busy
                    .lock()
                    .map_err(|_| "channels: busy set poisoned")?;
                if !busy.insert(channel_id) {
                    continue;
                }
            }
            let worker = self.clone();
            tokio::spawn(async move {
                if let Err(e) = worker.round(channel_id).await {
                    tracing::warn!(error = %e, "channels: a channel's round failed");
                }
                if let Ok(mut busy) = worker.busy.lock() {
                    busy.remove(&channel_id);
                }
            });
        }
        Ok(())
    }

    /// One channel's round: claims what is due (within a robot's budget), sends, records.
    async fn round(&self, channel_id: Uuid) -> Result<(), BoxError> {
        let Some(ch) = channel::Entity::find_by_id(channel_id)
            .one(&self.db.conn)
            .await?
        else {
            return Ok(());
        };
        if !ch.enabled {
            return Ok(());
        }
        let now = clock::now();
        let due = delivery::Entity::find()
            .filter(delivery::Column::ChannelId.eq(ch.id))
            .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
            .filter(delivery::Column::NextAttemptAt.lte(now))
            .order_by_asc(delivery::Column::EventSeq)
            .order_by_asc(delivery::Column::CreatedAt)
            .limit(500)
            .all(&self.db.conn)
            .await?;
        let (singles, digest) = match ch.kind {
            ChannelKind::Webhook => (due.len().min(WEBHOOK_PER_ROUND), 0),
            ChannelKind::Dingtalk | ChannelKind::Wecom => {
                let sent = store::sent_last_minute(&self.db.conn, ch.id, now).await?;
                let plan = pacing::robot_plan(due.len(), sent);
                (plan.singles, plan.digest)
            }
        };
        let mut claimed = Vec::new();
        for d in due.into_iter().take(singles + digest) {
            if self.claim(&d, now).await? {
                claimed.push(d);
            }
        }
        if claimed.is_empty() {
            return Ok(());
        }
        let Some(target) = self.target(&ch) else {
            self.record(
                &ch,
                &claimed,
                Sent::broken("cannot open the channel's secrets"),
                false,
            )
            .await?;
            return Ok(());
        };
        let digest_part = if digest > 0 && claimed.len() > singles {
            claimed.split_off(singles)
        } else {
            Vec::new()
        };
        for d in &claimed {
            let sent = self.send_one(&ch, &target, d).await;
            let ok = sent.outcome == AttemptOutcome::Ok;
            self.record(&ch, std::slice::from_ref(d), sent, false)
                .await?;
            if !ok && ch.kind != ChannelKind::Webhook {
                // A robot refusing now likely refuses the rest: they wait for their retry.
                break;
            }
        }
        if !digest_part.is_empty() {
            let sent = self.send_digest(&ch, &target, &digest_part).await;
            self.record(&ch, &digest_part, sent, true).await?;
        }
        Ok(())
    }

    fn lease(&self) -> Duration {
        (LEASE / i32::try_from(self.speedup).unwrap_or(i32::MAX)).max(MIN_LEASE)
    }

    /// Leases a delivery to this round; `false` when another round (a replica) took it.
    async fn claim(&self, d: &delivery::Model, now: DateTime<Utc>) -> Result<bool, BoxError> {
        let tx = self.db.begin_write().await?;
        let res = delivery::Entity::update_many()
            .col_expr(
                delivery::Column::NextAttemptAt,
                Expr::value(now + self.lease()),
            )
            .filter(delivery::Column::Id.eq(d.id))
            .filter(delivery::Column::Status.eq(DeliveryStatus::Pending))
            .filter(delivery::Column::NextAttemptAt.eq(d.next_attempt_at))
            .exec(&*tx)
            .await?;
        tx.commit().await?;
        Ok(res.rows_affected == 1)
    }

    fn target(&self, ch: &channel::Model) -> Option<Target> {
        let master = &self.db.master_key;
        let url = store::open(master, &store::url_context(ch.id), &ch.url_sealed)?;
        let secret = match &ch.secret_sealed {
            Some(s) => Some(store::open(master, &store::secret_context(ch.id), s)?),
            None => None,
        };
        let previous = match (&ch.previous_secret_sealed, ch.previous_secret_until) {
            (Some(s), Some(until)) if until > clock::now() => Some(store::open(
                master,
                &store::previous_secret_context(ch.id),
                s,
            )?),
            _ => None,
        };
        Some(Target {
            url,
            secret,
            previous,
        })
    }

    async fn send_one(&self, ch: &channel::Model, target: &Target, d: &delivery::Model) -> Sent {
        let body = d.payload.clone().unwrap_or_default();
        match ch.kind {
            ChannelKind::Webhook => {
                let keys: Vec<Vec<u8>> = [&target.secret, &target.previous]
                    .into_iter()
                    .flatten()
                    .filter_map(|s| signing::webhook_key(s))
                    .collect();
                let id = d.event_id.to_string();
                let ts = clock::now().timestamp();
                let signature = signing::webhook_signature_header(&keys, &id, ts, body.as_bytes());
                let req = self
                    .client
                    .post(&target.url)
                    .header("content-type", "application/json")
                    .header("webhook-id", id)
                    .header("webhook-timestamp", ts.to_string())
                    .header("webhook-signature", signature)
                    .body(body);
                self.send(&target.url, req, false).await
            }
            ChannelKind::Dingtalk | ChannelKind::Wecom => {
                let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let kind = parsed["type"].as_str().unwrap_or(&d.event_kind).to_owned();
                let at = parsed["timestamp"]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(d.created_at);
                let m = Message {
                    kind: &kind,
                    occurred_at: at,
                    payload: &parsed["data"],
                };
                // A report (报送) carries its own message, written when the office sent it.
                let prepared = (kind == messages::REPORT_KIND)
                    .then(|| {
                        let data = &parsed["data"];
                        Some((data["title"].as_str()?, data["markdown"].as_str()?))
                    })
                    .flatten();
                match prepared {
                    Some((title, markdown)) => {
                        let text = messages::fit(markdown.to_owned());
                        self.send_robot(ch, target, title, &text).await
                    }
                    None => {
                        let text = messages::robot_markdown(&m, self.tz, self.link.as_deref());
                        self.send_robot(ch, target, messages::title(&kind), &text)
                            .await
                    }
                }
            }
        }
    }

    async fn send_digest(
        &self,
        ch: &channel::Model,
        target: &Target,
        items: &[delivery::Model],
    ) -> Sent {
        let parsed: Vec<Value> = items
            .iter()
            .map(|d| {
                serde_json::from_str(d.payload.as_deref().unwrap_or("")).unwrap_or(Value::Null)
            })
            .collect();
        let kinds: Vec<String> = items
            .iter()
            .zip(&parsed)
            .map(|(d, p)| p["type"].as_str().unwrap_or(&d.event_kind).to_owned())
            .collect();
        let messages: Vec<Message> = items
            .iter()
            .zip(&parsed)
            .zip(&kinds)
            .map(|((d, p), kind)| Message {
                kind,
                occurred_at: p["timestamp"]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(d.created_at),
                payload: &p["data"],
            })
            .collect();
        let text = messages::digest_markdown(&messages, self.tz, self.link.as_deref());
        let title = format!("校安：{} 条消息汇总", items.len());
        self.send_robot(ch, target, &title, &text).await
    }

    async fn send_robot(
        &self,
        ch: &channel::Model,
        target: &Target,
        title: &str,
        text: &str,
    ) -> Sent {
        let (url, body) = match ch.kind {
            ChannelKind::Dingtalk => {
                let url = match &target.secret {
                    Some(secret) => format!(
                        "{}{}",
                        target.url,
                        signing::dingtalk_query(secret, clock::now().timestamp_millis())
                    ),
                    None => target.url.clone(),
                };
                (url, messages::dingtalk_body(title, text))
            }
            _ => (target.url.clone(), messages::wecom_body(text)),
        };
        let req = self.client.post(&url).json(&body);
        self.send(&url, req, true).await
    }

    /// Sends and measures; errors are described without the URL (it holds a robot's token).
    async fn send(&self, url: &str, req: reqwest::RequestBuilder, robot: bool) -> Sent {
        if let Err(problem) = url_guard::parse(url, self.allow_private) {
            let what = match problem {
                url_guard::UrlProblem::PrivateTarget => AttemptOutcome::Refused,
                url_guard::UrlProblem::Malformed => AttemptOutcome::Network,
            };
            return Sent {
                outcome: what,
                status_code: None,
                latency_ms: 0,
                error: Some("target not allowed".into()),
            };
        }
        let started = std::time::Instant::now();
        let result = req.send().await;
        let outcome = match result {
            Ok(resp) => {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                let code = Some(i32::from(status.as_u16()));
                if !status.is_success() {
                    Sent::failed(
                        AttemptOutcome::HttpError,
                        code,
                        format!("HTTP {}", status.as_u16()),
                    )
                } else if robot {
                    // The robots answer 200 with `errcode` 0 when they took the message.
                    let errcode = serde_json::from_str::<Value>(&text)
                        .ok()
                        .and_then(|v| v.get("errcode").and_then(Value::as_i64));
                    match errcode {
                        Some(0) => Sent::ok(code),
                        Some(n) => {
                            Sent::failed(AttemptOutcome::HttpError, code, format!("errcode {n}"))
                        }
                        None => Sent::failed(
                            AttemptOutcome::HttpError,
                            code,
                            "no errcode in the answer".into(),
                        ),
                    }
                } else {
                    Sent::ok(code)
                }
            }
            Err(e) => {
                let refused = {
                    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
                    let mut found = false;
                    while let Some(s) = source {
                        if s.is::<url_guard::RefusedTarget>() {
                            found = true;
                        }
                        source = s.source();
                    }
                    found
                };
                if refused {
                    Sent::failed(AttemptOutcome::Refused, None, "target not allowed".into())
                } else if e.is_timeout() {
                    Sent::failed(AttemptOutcome::Timeout, None, "timed out".into())
                } else {
                    Sent::failed(AttemptOutcome::Network, None, "no connection".into())
                }
            }
        };
        Sent {
            latency_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
            ..outcome
        }
    }

    /// Logs the attempt of each delivery and moves it on: delivered, retried later, or dead;
    /// keeps the channel's failing state, disabling it after days of failure.
    async fn record(
        &self,
        ch: &channel::Model,
        items: &[delivery::Model],
        sent: Sent,
        digest: bool,
    ) -> Result<(), BoxError> {
        let now = clock::now();
        let ok = sent.outcome == AttemptOutcome::Ok;
        let tx = self.db.begin_write().await?;
        for d in items {
            attempt::ActiveModel {
                id: Set(Uuid::now_v7()),
                delivery_id: Set(d.id),
                channel_id: Set(ch.id),
                attempted_at: Set(now),
                latency_ms: Set(sent.latency_ms),
                status_code: Set(sent.status_code),
                outcome: Set(sent.outcome),
                error: Set(sent.error.clone()),
                digest: Set(digest),
            }
            .insert(&*tx)
            .await?;
            let attempts = d.attempts.saturating_add(1);
            let mut active: delivery::ActiveModel = d.clone().into();
            active.attempts = Set(attempts);
            active.last_status_code = Set(sent.status_code);
            active.last_error = Set(sent.error.clone());
            if ok {
                active.status = Set(DeliveryStatus::Delivered);
                active.delivered_at = Set(Some(now));
                active.next_attempt_at = Set(now);
            } else {
                match pacing::next_attempt(
                    now,
                    u32::try_from(attempts).unwrap_or(u32::MAX),
                    self.speedup,
                ) {
                    Some(at) => active.next_attempt_at = Set(at),
                    None => {
                        active.status = Set(DeliveryStatus::Dead);
                        active.next_attempt_at = Set(now);
                    }
                }
            }
            active.update(&*tx).await?;
        }
        let fresh = store::find_channel(&*tx, ch.id).await.ok();
        if let Some(fresh) = fresh {
            let failing_since = if ok {
                None
            } else {
                fresh.failing_since.or(Some(now))
            };
            let disable = fresh.enabled && pacing::should_disable(failing_since, now);
            if failing_since != fresh.failing_since || disable {
                let name = fresh.name.clone();
                let mut active: channel::ActiveModel = fresh.into();
                active.failing_since = Set(failing_since);
                if disable {
                    active.enabled = Set(false);
                    active.disabled_reason = Set(Some("连续 3 天推送失败，已自动停用".into()));
                }
                active.updated_at = Set(now);
                active.update(&*tx).await?;
                if disable {
                    disabled_notice(&*tx, ch.id, &name, now).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The office is told when a channel is disabled: in the audit log and on every enabled
/// 保卫科 channel.
async fn disabled_notice(
    db: &impl ConnectionTrait,
    channel_id: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), BoxError> {
    crate::features::audit::record(
        db,
        crate::features::audit::Actor::system(),
        "subscription.disable",
        "subscription",
        Some(channel_id.to_string()),
        json!({"name": name, "reason": "failing_for_days"}),
    )
    .await?;
    let office = channel::Entity::find()
        .filter(channel::Column::Enabled.eq(true))
        .filter(channel::Column::Audience.eq(Audience::SecurityOffice))
        .filter(channel::Column::Id.ne(channel_id))
        .all(db)
        .await?;
    for o in office {
        let id = Uuid::now_v7();
        let body = messages::webhook_body(
            id,
            messages::DISABLED_KIND,
            1,
            now,
            &json!({"title": name, "subscription_id": channel_id}),
        );
        store::enqueue(
            db,
            o.id,
            id,
            0,
            messages::DISABLED_KIND,
            &body.to_string(),
            now,
        )
        .await?;
    }
    Ok(())
}

struct Target {
    url: String,
    secret: Option<String>,
    previous: Option<String>,
}

struct Sent {
    outcome: AttemptOutcome,
    status_code: Option<i32>,
    latency_ms: i32,
    error: Option<String>,
}

impl Sent {
    fn ok(status_code: Option<i32>) -> Self {
        Self {
            outcome: AttemptOutcome::Ok,
            status_code,
            latency_ms: 0,
            error: None,
        }
    }
    fn failed(outcome: AttemptOutcome, status_code: Option<i32>, error: String) -> Self {
        Self {
            outcome,
            status_code,
            latency_ms: 0,
            error: Some(error),
        }
    }
    fn broken(error: &str) -> Self {
        Self::failed(AttemptOutcome::Network, None, error.into())
    }
}
