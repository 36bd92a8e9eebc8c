//! Background tasks: started, named and stopped in one place.
//!
//! Each task gets the stop signal and ends on its own when it flips: the gate's scan writer
//! first writes and answers every scan it already holds, the housekeeping loop stops between
//! runs. [`Jobs::stop`] is called once the HTTP server has finished its requests.

pub mod cleanup;
pub mod escalations;
pub mod events;

use crate::features::gate::ScanWriter;
use crate::infra::config::Settings;
use crate::infra::db::Db;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long a task may take to finish after the stop signal.
const STOP_WAIT: Duration = Duration::from_secs(30);

/// The running background tasks.
pub struct Jobs {
    stop: watch::Sender<bool>,
    running: Vec<(&'static str, JoinHandle<()>)>,
}

/// What the server needs from the started tasks.
pub struct Started {
    pub jobs: Jobs,
    /// SQLite only: the group-commit writer of gate scans.
    pub scan_writer: Option<ScanWriter>,
}

impl Jobs {
    /// Starts every background task on the current runtime.
    pub fn start(db: &Db, settings: &Settings) -> Started {
        let (stop, _) = watch::channel(false);
        let mut jobs = Jobs {
            stop,
            running: Vec::new(),
        };
        let scan_writer = ScanWriter::start(db, jobs.stop.subscribe()).map(|(writer, run)| {
            jobs.spawn("gate scan writer", run);
            writer
        });
        jobs.spawn(
            "cleanup",
            cleanup::periodic(
                db.clone(),
                settings.attachments_dir(),
                jobs.stop.subscribe(),
            ),
        );
        // The settings were validated at start: a bad time zone never gets this far.
        if let Ok(tz) = settings.time_zone() {
            jobs.spawn(
                "event scheduler",
                events::periodic(
                    db.clone(),
                    tz,
                    std::time::Duration::from_secs(settings.events_scheduler_secs),
                    jobs.stop.subscribe(),
                ),
            );
            jobs.spawn(
                "escalation scheduler",
                escalations::periodic(
                    db.clone(),
                    tz,
                    std::time::Duration::from_secs(settings.events_scheduler_secs),
                    jobs.stop.subscribe(),
                ),
            );
            jobs.spawn(
                "notifications",
                crate::features::notifications::run_worker(db.clone(), tz, jobs.stop.subscribe()),
            );
        }
        jobs.spawn(
            "channel deliveries",
            crate::features::channels::run_deliveries(
                db.clone(),
                settings.clone(),
                jobs.stop.subscribe(),
            ),
        );
        Started { jobs, scan_writer }
    }

    /// Runs `task` under `name`; a task that ends before the stop signal (a panic, or its
    /// channel gone) is logged, so a dead writer or cleanup is never silent.
    fn spawn(&mut self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        let stop = self.stop.subscribe();
        let handle = tokio::spawn(async move {
            let outcome = tokio::spawn(task).await;
            let stopping = *stop.borrow();
            match outcome {
                Err(e) if e.is_panic() => tracing::error!(job = name, "background task panicked"),
                _ if !stopping => tracing::error!(job = name, "background task ended early"),
                _ => tracing::info!(job = name, "background task stopped"),
            }
        });
        self.running.push((name, handle));
    }

    /// Signals every task to stop and waits for each (the scan writer flushes what it holds).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for (name, handle) in self.running {
            if tokio::time::timeout(STOP_WAIT, handle).await.is_err() {
                tracing::warn!(job = name, "background task did not stop in time");
            }
        }
    }
}
