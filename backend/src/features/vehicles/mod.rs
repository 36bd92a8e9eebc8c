//! Vehicles (交通安全管理): the staff vehicle register (plate, owner, car or e-bike), the gate's
//! vehicle log (in or out by plate; plates not in the register are visitors' vehicles) and the
//! student rush windows (上学/放学) an entry is flagged in.
//!
//! - `http`: request/response types and handlers;
//! - `rules`: plate normalisation and the rush flag (pure);
//! - `store`: the queries.

mod http;
mod rules;
mod store;

pub use crate::schema::vehicles as model;
pub use rules::{RushWindows, normalise_plate, rush_window};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    http::routes(cfg);
}
