//! Patrol checkpoints (安保巡查). The office places checkpoints, each with a printed QR code
//! holding a random value (no personal data), and defines routes: ordered checkpoints, each
//! expected a number of minutes after the start, within a tolerance, and the route's daily
//! scheduled start times.
//!
//! A guard starts a patrol run on a route; the run copies the route's active checkpoints with
//! their expected times (start + offset), so later edits to the route never rewrite history.
//! The guard scans each checkpoint's QR code, may note an observation or report a hazard on
//! the spot (a real hazard, located at the checkpoint), and finishes the run.
//!
//! A checkpoint of a run is:
//! - `on_time`: scanned no later than its expected time + tolerance (early counts as on time);
//! - `late`: scanned after that;
//! - `missed`: not scanned, and the run is finished, or its expected time + tolerance has
//!   passed (so an abandoned run shows its missed checkpoints the same day; a guard may still
//!   scan it afterwards while the run is open, and it becomes `late`);
//! - `pending`: not scanned yet, still within its time.
//!
//! A scheduled start (route × start time × day) with no run started within
//! [`SLOT_WINDOW_MINUTES`] of it counts as not started: every checkpoint of the route is
//! missed (reason `not_started`) once that window has passed.

mod http;
pub use crate::schema::patrol as model;
mod store;
mod timing;

pub use store::new_code;
pub use timing::{SLOT_WINDOW_MINUTES, local_instant};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    http::routes(cfg);
}
