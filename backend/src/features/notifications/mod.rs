//! In-app notifications and escalations on a clock: each person gets the events that concern
//! them (the table of rules in `rules`), written by a worker that reads the events outbox by
//! cursor, exactly once per recipient, event and rule; and the office's escalation settings
//! (`policy`), which the escalation scheduler (`jobs::escalations`) follows to raise the
//! `escalation.raised` steps that reach people here and, where subscribed, on the channels.
//!
//! Other modules use: [`run_worker`] and [`drain`] (started by `jobs`; tests), [`settings`],
//! and the pure step decisions
//! ([`pass_steps_due`], [`pass_window_start`], [`digest_due`]).

mod http;
mod policy;
mod rules;
mod store;
mod worker;

pub use policy::{EscalationSettings, digest_due, pass_steps_due, pass_window_start};
pub use worker::{drain, run as run_worker};

/// The school's escalation settings (the defaults until the office changes them).
pub async fn settings(
    db: &impl sea_orm::ConnectionTrait,
) -> crate::infra::error::AppResult<EscalationSettings> {
    Ok(store::settings(db).await?.0)
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(http::list_notifications)
        .service(http::read_all_notifications)
        .service(http::read_notification)
        .service(http::get_escalation_settings)
        .service(http::update_escalation_settings);
}
