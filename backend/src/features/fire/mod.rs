//! The fire-equipment registry (消防设施户籍化管理): buildings and their registered items, QR
//! labels that open an item's check form, item-by-item checks with evidence, and the status
//! board; a failed or expired item raises a hazard through the hazard workflow.
//!
//! `http/` holds the handlers, `status` the rules (evidence per kind, an item's status),
//! `store` the queries and the raising of hazards for expired items.

mod http;
pub use crate::schema::fire as model;
mod status;
mod store;

use crate::auth::extract::CurrentUser;
use crate::auth::roles::Role;

pub use status::{EXPIRY_WARNING_DAYS, FireStatus, Kind, PRESSURE_MAX, PRESSURE_MIN, kind};

/// Who may read the registry (used for check photos too).
pub fn may_read(u: &CurrentUser) -> bool {
    matches!(u.role, Role::SecurityOffice | Role::Principal | Role::Guard)
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    http::routes(cfg);
}
