//! Duty rosters (值班安排): rosters and shifts, generation from a pattern, conflicts checked
//! before publishing, swaps, who is on duty now, "my shifts" and a personal ICS feed.
//!
//! - `http`: request/response types and handlers (by sub-resource);
//! - `rotation`, `conflicts`, `swap`, `calendar`: the rules (pure);
//! - `store`: the queries.

mod calendar;
mod conflicts;
mod http;
mod rotation;
mod store;
mod swap;

pub use crate::schema::duty as model;
pub use conflicts::Conflict;
pub use http::{RosterResponse, ShiftResponse, on_duty_at, published_roster};
pub use rotation::{NewShift, shift_instants};
pub use store::{NewRoster, insert_roster, insert_shift, is_on_duty_on, is_on_duty_today};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    http::routes(cfg);
}
