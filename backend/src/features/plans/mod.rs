//! Semester plans (学期工作计划): the office drafts a plan with monthly items, the principal
//! approves or returns it; items carry owners, due dates, progress and evidence (records that
//! prove the work was done).
//!
//! - `http`: request/response types and handlers (plans; items and evidence);
//! - `lifecycle`: the rules (pure);
//! - `revisions`: snapshots at submission and what changed between two (pure);
//! - `store`: the queries.
//!
//! Plans depend on no other feature's module (evidence targets are checked on their entities),
//! so duty and records may use plans without a circle.

mod http;
mod lifecycle;
mod revisions;
mod store;

pub use crate::schema::plans as model;
// The date helpers live in infra; re-exported for the features that still import them here.
pub use crate::infra::clock::{check_date, check_date_range, fmt_date, parse_date, today};
pub use lifecycle::is_overdue;
pub use store::{find_plan, items_for_roster, link_evidence, overdue_items};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    http::routes(cfg);
}
