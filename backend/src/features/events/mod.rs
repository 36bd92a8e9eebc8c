//! Events, written with the change: the outbox (`events`), the catalogue of kinds and their
//! versioned payloads, and the cursor readers (`GET /events`, the delivery channels).
//!
//! A feature reports a change by calling [`emit`] (or [`emit_payload`]) with its transaction,
//! so the event and the change commit together or not at all. Readers call [`after`].

mod catalogue;
mod http;
mod store;

pub use crate::schema::events::EventKind;
pub use crate::schema::events::event as model;
pub use catalogue::*;
pub use http::{EventPage, document_webhooks};
pub use store::{NewEvent, StoredEvent, after, emit, emit_once, emit_payload, row};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(http::list_events);
}
