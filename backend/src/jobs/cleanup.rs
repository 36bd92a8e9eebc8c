//! Housekeeping: rows nothing needs any more. Sign-in sessions (with their refresh tokens) 30
//! days after they ended, and photos uploaded but never attached to a record after 7 days (a
//! form that failed to send keeps its photos on the phone at most that long). The server runs
//! it every 6 hours; `xiaoan cleanup` runs it once. Deletes are idempotent, so replicas may
//! each run it.

use crate::infra::db::Db;
use crate::schema::attachments as attachment;
use crate::schema::sessions::{refresh_token, session};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// How long an ended session is kept (when a token was used is in the audit log for longer).
pub const SESSION_KEEP_DAYS: i64 = 30;
/// How long an upload may wait for the record it belongs to.
pub const UPLOAD_KEEP_DAYS: i64 = 7;
/// Ids per `IN (…)`, well under SQLite's and PostgreSQL's parameter limits.
const CHUNK: usize = 500;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Removed {
    pub sessions: u64,
    pub refresh_tokens: u64,
    pub uploads: u64,
}

/// Removes what is past keeping at `now`.
pub async fn run(db: &Db, attachments_dir: &Path, now: DateTime<Utc>) -> Result<Removed, DbErr> {
    let mut removed = Removed::default();
    let session_cutoff = now - Duration::days(SESSION_KEEP_DAYS);
    let upload_cutoff = now - Duration::days(UPLOAD_KEEP_DAYS);
    let tx = db.begin_write().await?;
    let ended: Vec<Uuid> = session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .filter(
            Condition::any()
                .add(session::Column::ExpiresAt.lt(session_cutoff))
                .add(session::Column::RevokedAt.lt(session_cutoff)),
        )
        .into_tuple()
        .all(&*tx)
        .await?;
    for ids in ended.chunks(CHUNK) {
        removed.refresh_tokens += refresh_token::Entity::delete_many()
            .filter(refresh_token::Column::SessionId.is_in(ids.iter().copied()))
            .exec(&*tx)
            .await?
            .rows_affected;
        removed.sessions += session::Entity::delete_many()
            .filter(session::Column::Id.is_in(ids.iter().copied()))
            .exec(&*tx)
            .await?
            .rows_affected;
    }
    let stale = attachment::Entity::find()
        .filter(attachment::Column::LinkedKind.is_null())
        .filter(attachment::Column::UploadedAt.lt(upload_cutoff))
        .all(&*tx)
        .await?;
    let mut claimed_meanwhile: HashSet<Uuid> = HashSet::new();
    for rows in stale.chunks(CHUNK) {
        let ids = || rows.iter().map(|a| a.id);
        removed.uploads += attachment::Entity::delete_many()
            .filter(attachment::Column::Id.is_in(ids()))
            .filter(attachment::Column::LinkedKind.is_null())
            .exec(&*tx)
            .await?
            .rows_affected;
        // A record that took one of them since the read keeps it, and its files.
        claimed_meanwhile.extend(
            attachment::Entity::find()
                .select_only()
                .column(attachment::Column::Id)
                .filter(attachment::Column::Id.is_in(ids()))
                .into_tuple::<Uuid>()
                .all(&*tx)
                .await?,
        );
    }
    tx.commit().await?;
    // The files go after the commit: a file whose row is gone is never served again, while a
    // row whose file is gone would be.
    for a in stale.iter().filter(|a| !claimed_meanwhile.contains(&a.id)) {
        for name in [&a.file_name, &a.thumb_name] {
            match std::fs::remove_file(attachments_dir.join(name)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(error = %e, "cleanup: an upload's file was not removed"),
            }
        }
    }
    Ok(removed)
}

/// Runs [`run`] every 6 hours (first after 10 minutes) until `stop` flips (see `jobs`).
pub async fn periodic(
    db: Db,
    attachments_dir: PathBuf,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let every = std::time::Duration::from_secs(6 * 3600);
    let first = tokio::time::Instant::now() + std::time::Duration::from_secs(600);
    let mut tick = tokio::time::interval_at(first, every);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            // Stop between runs (a sender gone counts as a stop too).
            _ = stop.wait_for(|s| *s) => return,
        }
        match run(&db, &attachments_dir, crate::infra::clock::now()).await {
            Ok(r) => tracing::info!(
                sessions = r.sessions,
                refresh_tokens = r.refresh_tokens,
                uploads = r.uploads,
                "cleanup done"
            ),
            Err(e) => tracing::warn!(error = %e, "cleanup failed; retried at the next run"),
        }
    }
}
