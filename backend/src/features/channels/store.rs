//! Channel queries: sealing a channel's URL and secrets, reading and writing channels,
//! deliveries and attempts.

use super::model::{AttemptOutcome, DeliveryStatus, attempt, channel, delivery};
use crate::infra::error::{ApiError, AppResult, BoxError, ErrorCode};
use crate::infra::keys::MasterKey;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

/// What each sealed column is bound to: its own row and purpose, so a sealed value copied
/// into another row or column does not open there.
pub fn url_context(id: Uuid) -> String {
    format!("channel_url:{id}")
}
pub fn secret_context(id: Uuid) -> String {
    format!("channel_secret:{id}")
}
pub fn previous_secret_context(id: Uuid) -> String {
    format!("channel_previous_secret:{id}")
}

pub fn seal(master: &MasterKey, context: &str, plain: &str) -> AppResult<String> {
    master.seal(context, plain.as_bytes()).map_err(|e| {
        tracing::error!(error = %e, "cannot seal a channel secret");
        ApiError::internal()
    })
}

/// Opens a sealed channel value; `None` when it does not open (logged, never the value).
pub fn open(master: &MasterKey, context: &str, sealed: &str) -> Option<String> {
    match master.open(context, sealed) {
        Ok(plain) => String::from_utf8(plain).ok(),
        Err(e) => {
            tracing::error!(error = %e, "cannot open a channel secret");
            None
        }
    }
}

/// Re-seals every channel URL and secret from `old` to `new` (master-key rotation); with
/// `new` = `None` it only proves that every value opens with `old`.
pub async fn reseal_on(
    db: &impl ConnectionTrait,
    old: &MasterKey,
    new: Option<&MasterKey>,
) -> Result<usize, BoxError> {
    let mut changed = 0;
    for row in channel::Entity::find().all(db).await? {
        let id = row.id;
        let reseal = |ctx: String, sealed: &str| -> Result<Option<String>, BoxError> {
            let plain = old.open(&ctx, sealed)?;
            Ok(match new {
                Some(new) => Some(new.seal(&ctx, &plain)?),
                None => None,
            })
        };
        let url = reseal(url_context(id), &row.url_sealed)?;
        let secret = match &row.secret_sealed {
            Some(s) => reseal(secret_context(id), s)?,
            None => None,
        };
        let previous = match &row.previous_secret_sealed {
            Some(s) => reseal(previous_secret_context(id), s)?,
            None => None,
        };
        if new.is_none() {
            continue;
        }
        let mut active: channel::ActiveModel = row.into();
        if let Some(url) = url {
            active.url_sealed = Set(url);
        }
        if secret.is_some() {
            active.secret_sealed = Set(secret);
        }
        if previous.is_some() {
            active.previous_secret_sealed = Set(previous);
        }
        active.update(db).await?;
        changed += 1;
    }
    Ok(changed)
}

pub async fn find_channel(db: &impl ConnectionTrait, id: Uuid) -> AppResult<channel::Model> {
    channel::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::SubscriptionNotFound, "推送渠道不存在"))
}

pub async fn find_delivery(db: &impl ConnectionTrait, id: Uuid) -> AppResult<delivery::Model> {
    delivery::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::DeliveryNotFound, "推送记录不存在"))
}

/// Channels, newest first; `class_ids` limits them to those classes' groups.
pub async fn list_channels(
    db: &impl ConnectionTrait,
    class_ids: Option<&[Uuid]>,
) -> AppResult<Vec<channel::Model>> {
    let mut q = channel::Entity::find().order_by_desc(channel::Column::CreatedAt);
    if let Some(ids) = class_ids {
        q = q.filter(channel::Column::ClassId.is_in(ids.iter().copied()));
    }
    Ok(q.all(db).await?)
}

/// Queues one message for a channel; an event already queued there is left as it is (the
/// event's id is the delivery's identity, so fan-out may run twice).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    channel_id: Uuid,
    event_id: Uuid,
    event_seq: i64,
    kind: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let row = delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        channel_id: Set(channel_id),
        event_id: Set(event_id),
        event_seq: Set(event_seq),
        event_kind: Set(kind.to_owned()),
        payload: Set(Some(body.to_owned())),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_status_code: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
    };
    delivery::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([delivery::Column::ChannelId, delivery::Column::EventId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A channel's deliveries, newest first, after the cursor `(created_at, id)`.
pub async fn list_deliveries(
    db: &impl ConnectionTrait,
    channel_id: Uuid,
    status: Option<DeliveryStatus>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> AppResult<Vec<delivery::Model>> {
    let mut q = delivery::Entity::find()
        .filter(delivery::Column::ChannelId.eq(channel_id))
        .order_by_desc(delivery::Column::CreatedAt)
        .order_by_desc(delivery::Column::Id)
        .limit(limit);
    if let Some(s) = status {
        q = q.filter(delivery::Column::Status.eq(s));
    }
    if let Some((at, id)) = after {
        q = q.filter(crate::infra::pagination::after_time_id(
            delivery::Column::CreatedAt,
            delivery::Column::Id,
            at,
            id,
        ));
    }
    Ok(q.all(db).await?)
}

/// The attempts of these deliveries, oldest first.
pub async fn attempts_of(
    db: &impl ConnectionTrait,
    delivery_ids: &[Uuid],
) -> AppResult<Vec<attempt::Model>> {
    if delivery_ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(attempt::Entity::find()
        .filter(attempt::Column::DeliveryId.is_in(delivery_ids.iter().copied()))
        .order_by_asc(attempt::Column::AttemptedAt)
        .order_by_asc(attempt::Column::Id)
        .all(db)
        .await?)
}

/// Messages a channel sent in the minute before `now` (a digest counts once).
pub async fn sent_last_minute(
    db: &impl ConnectionTrait,
    channel_id: Uuid,
    now: DateTime<Utc>,
) -> Result<usize, sea_orm::DbErr> {
    let rows: Vec<(DateTime<Utc>, bool)> = attempt::Entity::find()
        .select_only()
        .column(attempt::Column::AttemptedAt)
        .column(attempt::Column::Digest)
        .filter(attempt::Column::ChannelId.eq(channel_id))
        .filter(attempt::Column::AttemptedAt.gt(now - chrono::Duration::seconds(60)))
        .filter(attempt::Column::Outcome.ne(AttemptOutcome::Refused))
        .into_tuple()
        .all(db)
        .await?;
    let singles = rows.iter().filter(|(_, d)| !d).count();
    let mut digests: Vec<_> = rows.iter().filter(|(_, d)| *d).map(|(t, _)| *t).collect();
    digests.sort();
    digests.dedup();
    Ok(singles + digests.len())
}

pub async fn find_delivery_by_event(
    db: &impl ConnectionTrait,
    channel_id: Uuid,
    event_id: Uuid,
) -> AppResult<delivery::Model> {
    delivery::Entity::find()
        .filter(delivery::Column::ChannelId.eq(channel_id))
        .filter(delivery::Column::EventId.eq(event_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::DeliveryNotFound, "推送记录不存在"))
}

/// Removes a channel with its deliveries and their attempts (children first: SQLite may run
/// without enforcing the cascade).
pub async fn delete_channel(db: &impl ConnectionTrait, id: Uuid) -> AppResult<()> {
    attempt::Entity::delete_many()
        .filter(attempt::Column::ChannelId.eq(id))
        .exec(db)
        .await?;
    delivery::Entity::delete_many()
        .filter(delivery::Column::ChannelId.eq(id))
        .exec(db)
        .await?;
    channel::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}
