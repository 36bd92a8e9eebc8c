//! The notification worker: reads the events outbox after its cursor, applies the rules and
//! writes each recipient's notifications together with the cursor's move, in one transaction.
//! Restart-safe and exactly once per recipient, event and rule: the cursor only moves forward
//! with the rows it covers, and the rows are unique on (recipient, event, rule) with
//! `ON CONFLICT DO NOTHING`, so a replica reading the same batch at once adds nothing.

use super::rules::{self, Notice};
use super::store;
use crate::infra::clock;
use crate::infra::db::Db;
use crate::infra::error::AppResult;
use crate::schema::notifications::notification;
use chrono_tz::Tz;
use sea_orm::Set;
use std::collections::HashSet;
use tokio::sync::watch;
use uuid::Uuid;

/// How often the worker looks for new events.
const TICK: std::time::Duration = std::time::Duration::from_millis(500);
/// Events per batch (per transaction).
const BATCH: u64 = 200;

/// Runs until `stop` flips.
pub async fn run(db: Db, tz: Tz, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = drain(&db, tz).await {
            tracing::warn!(error = %e, "notifications: a round failed; trying again");
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

/// Turns every event after the cursor into notifications; returns how many events it read.
pub async fn drain(db: &Db, tz: Tz) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let n = batch(db, tz).await?;
        total += n;
        if n < BATCH as usize {
            return Ok(total);
        }
    }
}

async fn batch(db: &Db, tz: Tz) -> AppResult<usize> {
    let from = store::cursor(&db.conn).await?;
    let events = crate::features::events::after(&db.conn, from, BATCH).await?;
    let Some(last) = events.last().map(|e| e.seq) else {
        return Ok(0);
    };
    let (settings, _) = store::settings(&db.conn).await?;
    let now = clock::now();
    let mut resolver = store::Resolver::default();
    let mut rows = Vec::new();
    for ev in &events {
        let mut told: HashSet<Uuid> = HashSet::new();
        for Notice {
            rule,
            target,
            title,
            body,
            link,
        } in rules::notices(ev, &settings, tz)
        {
            for (user, role) in resolver.resolve(&db.conn, &target).await? {
                // One notice per person and event: the most specific rule (listed first).
                if !told.insert(user) {
                    continue;
                }
                rows.push(notification::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    recipient_id: Set(user),
                    event_id: Set(ev.id),
                    event_seq: Set(ev.seq),
                    kind: Set(ev.kind.as_str()),
                    rule: Set(rule.to_owned()),
                    title: Set(title.chars().take(200).collect()),
                    body: Set(body.clone()),
                    route: Set(rules::route(&link, role)),
                    subject_id: Set(ev.subject_id),
                    created_at: Set(now),
                    read_at: Set(None),
                });
            }
        }
    }
    let tx = db.begin_write().await?;
    store::insert_all(&*tx, rows).await?;
    store::advance(&*tx, last).await?;
    tx.commit().await?;
    Ok(events.len())
}
