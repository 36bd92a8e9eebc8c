//! The group-commit writer of gate scans (SQLite).

use super::http::ScanResponse;
use super::scan::{self, Prepared};
use super::store;
use crate::infra::error::{ApiError, AppResult};
use sea_orm::{ConnectionTrait, EntityTrait};

/// Group commit for SQLite. With `synchronous=FULL` every commit waits for an fsync (about
/// 3 ms here), so one transaction per scan caps a gate at a few hundred scans a second. The
/// writer takes every scan waiting, decides each in order inside one transaction, writes all
/// their rows in one statement, commits once, and only then answers each: the same atomic
/// single-use decision and the same durability, one fsync and a handful of statements per
/// group. If the group fails it is written again scan by scan, each in its own savepoint.
/// PostgreSQL groups commits itself.
pub struct ScanWriter {
    jobs: tokio::sync::mpsc::Sender<Job>,
}

type Job = (
    Prepared,
    tokio::sync::oneshot::Sender<AppResult<Option<ScanResponse>>>,
);

/// At most this many scans share one commit.
const GROUP_MAX: usize = 128;

impl ScanWriter {
    /// The writer and the loop to run (SQLite only; `None` for PostgreSQL). The loop ends when
    /// `stop` flips: it takes no new scans, writes and answers every scan already queued, and
    /// returns (a graceful stop loses no accepted scan).
    pub fn start(
        db: &crate::infra::db::Db,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Option<(Self, impl std::future::Future<Output = ()> + Send + 'static)> {
        if db.backend() != sea_orm::DatabaseBackend::Sqlite {
            return None;
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Job>(4 * GROUP_MAX);
        let db = db.clone();
        let run = async move {
            let mut group = Vec::with_capacity(GROUP_MAX);
            let mut stopping = false;
            loop {
                let first = if stopping {
                    rx.recv().await
                } else {
                    tokio::select! {
                        job = rx.recv() => job,
                        _ = stop.wait_for(|s| *s) => {
                            // No new scans; what is queued is still written below.
                            stopping = true;
                            rx.close();
                            continue;
                        }
                    }
                };
                let Some(first) = first else { break };
                group.push(first);
                while group.len() < GROUP_MAX {
                    match rx.try_recv() {
                        Ok(job) => group.push(job),
                        Err(_) => break,
                    }
                }
                run_group(&db, &mut group).await;
            }
        };
        Some((Self { jobs: tx }, run))
    }

    pub(super) async fn submit(&self, p: Prepared) -> AppResult<Option<ScanResponse>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs.send((p, reply)).await.map_err(|_| {
            tracing::error!("the gate scan writer has stopped");
            ApiError::unavailable()
        })?;
        answer.await.map_err(|_| ApiError::unavailable())?
    }

    /// Queues every scan in order before waiting for any (the writer keeps the order), so
    /// they share group commits.
    pub(super) async fn submit_all(
        &self,
        ps: Vec<Prepared>,
    ) -> Vec<AppResult<Option<ScanResponse>>> {
        let mut pending = Vec::with_capacity(ps.len());
        for p in ps {
            let (reply, answer) = tokio::sync::oneshot::channel();
            if self.jobs.send((p, reply)).await.is_err() {
                tracing::error!("the gate scan writer has stopped");
                pending.push(None);
            } else {
                pending.push(Some(answer));
            }
        }
        let mut out = Vec::with_capacity(pending.len());
        for answer in pending {
            out.push(match answer {
                Some(a) => a.await.unwrap_or_else(|_| Err(ApiError::unavailable())),
                None => Err(ApiError::unavailable()),
            });
        }
        out
    }
}

async fn run_group(db: &crate::infra::db::Db, group: &mut Vec<Job>) {
    let results = match write_group(db, group).await {
        Ok(results) => results,
        Err(e) => {
            // Nothing of the group was kept: write each scan on its own, so that one scan's
            // trouble does not deny the others.
            tracing::warn!(error = %e, scans = group.len(), "gate scan group: writing one by one");
            write_one_by_one(db, group).await
        }
    };
    for ((_, reply), r) in group.drain(..).zip(results) {
        let _ = reply.send(r);
    }
}

/// The fast path: one transaction, one read of the client events already recorded, one read
/// of the group's passes and students, each scan's pass update in order (so two scans of one
/// pass in a group still give one allow), then every scan row and audit entry in one
/// multi-row insert each.
async fn write_group(
    db: &crate::infra::db::Db,
    group: &[Job],
) -> AppResult<Vec<AppResult<Option<ScanResponse>>>> {
    let tx = db.begin_write().await?;
    let event_ids: Vec<&str> = group
        .iter()
        .map(|(p, _)| p.inc.client_event_id.as_str())
        .collect();
    let mut recorded = store::recorded_events(&*tx, event_ids).await?;
    // Read inside the write transaction: no other writer can move these passes until commit,
    // and each scan's conditional update still decides between scans of one pass.
    let passes = store::read_passes(
        &*tx,
        group.iter().filter_map(|(p, _)| p.pass_id()).collect(),
    )
    .await?;
    let mut rows = Vec::with_capacity(group.len());
    let mut audits = Vec::with_capacity(group.len());
    let mut events = Vec::with_capacity(group.len());
    let mut results = Vec::with_capacity(group.len());
    for (p, _) in group {
        if !recorded.insert(p.inc.client_event_id.clone()) {
            // Recorded before or earlier in this group: the caller replays the first verdict.
            results.push(Ok(None));
            continue;
        }
        if p.inc.source.is_batch() {
            // An offline exit may re-flag an earlier scan row: that row must be written first.
            flush(&*tx, &mut rows, &mut audits, &mut events).await?;
        }
        let judged = p.judge(&passes);
        let d = scan::decide(&*tx, p, &judged).await?;
        rows.push(d.row);
        audits.extend(d.audit);
        events.extend(d.event);
        results.push(Ok(Some(d.response)));
    }
    flush(&*tx, &mut rows, &mut audits, &mut events).await?;
    tx.commit().await?;
    Ok(results)
}

async fn flush(
    tx: &impl ConnectionTrait,
    rows: &mut Vec<crate::schema::gate::scan::ActiveModel>,
    audits: &mut Vec<crate::features::audit::model::ActiveModel>,
    events: &mut Vec<crate::features::events::model::ActiveModel>,
) -> AppResult<()> {
    if !rows.is_empty() {
        crate::schema::gate::scan::Entity::insert_many(std::mem::take(rows))
            .exec(tx)
            .await?;
    }
    if !audits.is_empty() {
        crate::features::audit::model::Entity::insert_many(std::mem::take(audits))
            .exec(tx)
            .await?;
    }
    // The group's events in one statement too, in scan order (their seqs follow it).
    if !events.is_empty() {
        crate::features::events::model::Entity::insert_many(std::mem::take(events))
            .exec_without_returning(tx)
            .await?;
    }
    Ok(())
}

/// The careful path: each scan in its own savepoint, one commit.
async fn write_one_by_one(
    db: &crate::infra::db::Db,
    group: &[Job],
) -> Vec<AppResult<Option<ScanResponse>>> {
    use sea_orm::TransactionTrait;
    let unavailable = || group.iter().map(|_| Err(ApiError::unavailable())).collect();
    let tx = match db.begin_write().await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, "gate scan group: cannot begin");
            return unavailable();
        }
    };
    let mut results = Vec::with_capacity(group.len());
    for (p, _) in group {
        let one = async {
            let sp = tx.begin().await?;
            match scan::apply(&sp, p).await {
                Ok(Some(r)) => {
                    sp.commit().await?;
                    Ok(Some(r))
                }
                other => {
                    sp.rollback().await?;
                    other
                }
            }
        };
        results.push(one.await);
    }
    match tx.commit().await {
        Ok(()) => results,
        Err(e) => {
            tracing::error!(error = %e, "gate scan group: commit failed");
            unavailable()
        }
    }
}
