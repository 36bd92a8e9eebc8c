//! The outbox's queries: writing an event inside the change's transaction, and reading the
//! events after a cursor without ever skipping one that commits late.

use super::EventKind;
use super::catalogue::Payload;
use crate::infra::error::{ApiError, AppResult};
use crate::schema::events::event;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;
use uuid::Uuid;

/// An event to write: built from a typed payload, so kind, version and payload always agree.
#[derive(Clone, Debug)]
pub struct NewEvent {
    kind: EventKind,
    version: i32,
    class_id: Option<Uuid>,
    subject_id: Option<Uuid>,
    payload: serde_json::Value,
    dedupe_key: Option<String>,
}

impl NewEvent {
    pub fn of<P: Payload>(p: &P) -> AppResult<Self> {
        let payload = serde_json::to_value(p).map_err(|e| {
            tracing::error!(error = %e, kind = ?P::KIND, "event payload does not serialise");
            ApiError::internal()
        })?;
        Ok(Self {
            kind: P::KIND,
            version: P::VERSION,
            class_id: p.class_id(),
            subject_id: p.subject_id(),
            payload,
            dedupe_key: None,
        })
    }

    /// A time-based event: at most one event with this key is ever stored.
    pub fn once(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    pub fn kind(&self) -> EventKind {
        self.kind
    }

    pub fn dedupe_key(&self) -> Option<&str> {
        self.dedupe_key.as_deref()
    }
}

/// The row for an event, not yet written: for writers that insert many rows in one statement
/// (the gate's group commit). Write it in the same transaction as the change it reports.
pub fn row(now: DateTime<Utc>, e: NewEvent) -> event::ActiveModel {
    event::ActiveModel {
        seq: sea_orm::NotSet,
        id: Set(Uuid::now_v7()),
        kind: Set(e.kind),
        version: Set(e.version),
        occurred_at: Set(now),
        class_id: Set(e.class_id),
        subject_id: Set(e.subject_id),
        payload: Set(e.payload.to_string()),
        dedupe_key: Set(e.dedupe_key),
    }
}

/// Writes one event. Call it inside the change's transaction: both land or neither does.
pub async fn emit(db: &impl ConnectionTrait, now: DateTime<Utc>, e: NewEvent) -> AppResult<()> {
    event::Entity::insert(row(now, e))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Writes a typed payload as an event (the common case).
pub async fn emit_payload<P: Payload>(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    p: &P,
) -> AppResult<()> {
    emit(db, now, NewEvent::of(p)?).await
}

/// Writes a time-based event once: `false` when an event with this key exists already (raised
/// by another replica, or before a restart). The insert is `ON CONFLICT DO NOTHING` on the
/// unique key, so a race between replicas never errors and never doubles.
pub async fn emit_once(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    e: NewEvent,
) -> AppResult<bool> {
    use sea_orm::sea_query::OnConflict;
    let res = event::Entity::insert(row(now, e))
        .on_conflict(
            OnConflict::column(event::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(res > 0)
}

/// An event as readers get it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StoredEvent {
    /// The cursor: pass the last one seen as `after` to get the next events.
    pub seq: i64,
    /// Stable across redeliveries: deduplicate by it.
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub version: i32,
    pub occurred_at: DateTime<Utc>,
    pub class_id: Option<Uuid>,
    pub subject_id: Option<Uuid>,
    /// The kind's payload at `version` (see the spec's `webhooks`).
    pub data: serde_json::Value,
}

impl StoredEvent {
    fn from_model(m: event::Model) -> Self {
        let data = serde_json::from_str(&m.payload).unwrap_or_else(|e| {
            // We wrote it; a row that no longer parses is handed on as text, not dropped.
            tracing::error!(seq = m.seq, error = %e, "stored event payload unreadable");
            serde_json::Value::String(m.payload.clone())
        });
        Self {
            seq: m.seq,
            id: m.id,
            kind: m.kind,
            version: m.version,
            occurred_at: m.occurred_at,
            class_id: m.class_id,
            subject_id: m.subject_id,
            data,
        }
    }
}

/// How long a reader waits for event writers in flight before answering with what is safe.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(3);

/// The events after `seq`, in `seq` order, at most `limit`.
///
/// A reader that advances its cursor to the last `seq` it got must never skip an event, but on
/// PostgreSQL `seq` comes from a sequence, handed out when a row is inserted, not when its
/// transaction commits: a transaction that took seq 7 may commit after another took 8 and
/// committed, and a reader at that moment would see 8, move past 7 and never read it. Event
/// writers are not serialised (that would queue every gate scan's commit behind the last one).
/// Instead the reader only hands out events up to a horizon below which no seq can still be in
/// flight: it reads the sequence's last value L, then the transactions that hold a write lock
/// on `events` (an INSERT takes that lock before it draws its seq, and keeps it to the end), and
/// waits until those have ended. Every seq ≤ L then belongs to a committed or rolled-back
/// transaction, so rows ≤ L that are not visible never will be. Writers wait for nothing.
///
/// SQLite has one writer at a time (the database's write lock is held from the first write to
/// the commit), so seq order is commit order and every row read is final.
pub async fn after(db: &impl ConnectionTrait, seq: i64, limit: u64) -> AppResult<Vec<StoredEvent>> {
    let mut q = event::Entity::find()
        .filter(event::Column::Seq.gt(seq))
        .order_by_asc(event::Column::Seq)
        .limit(limit);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        match pg_horizon(db).await? {
            Some(h) => q = q.filter(event::Column::Seq.lte(h)),
            None => return Ok(Vec::new()),
        }
    }
    Ok(q.all(db)
        .await?
        .into_iter()
        .map(StoredEvent::from_model)
        .collect())
}

/// The highest seq below which every event is final (PostgreSQL), `None` when the writers in
/// flight did not finish within [`IN_FLIGHT_WAIT`] (the reader asks again later).
async fn pg_horizon(db: &impl ConnectionTrait) -> AppResult<Option<i64>> {
    let pg = DatabaseBackend::Postgres;
    // Sequence first, lock holders second: whoever drew a seq ≤ L held its lock before L was
    // read, so it is either finished or in the list.
    let last: Option<i64> = db
        .query_one_raw(Statement::from_string(
            pg,
            "SELECT pg_sequence_last_value(pg_get_serial_sequence('events', 'seq')::regclass) AS l",
        ))
        .await?
        .and_then(|r| r.try_get::<Option<i64>>("", "l").ok().flatten());
    let Some(last) = last else {
        return Ok(Some(0));
    };
    let holders = "SELECT COALESCE(string_agg(DISTINCT virtualtransaction, ','), '') AS v FROM pg_locks \
         WHERE locktype = 'relation' AND relation = 'events'::regclass \
         AND mode = 'RowExclusiveLock' AND granted AND pid <> pg_backend_pid()";
    let in_flight: String = db
        .query_one_raw(Statement::from_string(pg, holders))
        .await?
        .and_then(|r| r.try_get::<String>("", "v").ok())
        .unwrap_or_default();
    if in_flight.is_empty() {
        return Ok(Some(last));
    }
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        let still = db
            .query_one_raw(Statement::from_sql_and_values(
                pg,
                "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'relation' \
                 AND relation = 'events'::regclass \
                 AND virtualtransaction = ANY(string_to_array($1, ','))",
                [in_flight.clone().into()],
            ))
            .await?
            .and_then(|r| r.try_get::<i64>("", "n").ok())
            .unwrap_or(0);
        if still == 0 {
            return Ok(Some(last));
        }
        if started.elapsed() > IN_FLIGHT_WAIT {
            tracing::warn!(
                in_flight = still,
                "events: writers still in flight; answering nothing new"
            );
            return Ok(None);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
