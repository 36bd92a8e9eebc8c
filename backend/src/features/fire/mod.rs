//! The school's equipment registry (消防设施户籍化管理, and 安防器材 / 报警装置): buildings and
//! their registered items — fire equipment and security equipment (防暴器材, 监控, 一键报警按钮,
//! 门禁, 对讲机) — with a responsible person, QR labels that open an item's check form,
//! item-by-item checks with evidence (an alarm device's test and whether it reached the
//! receiving end), and the status board; a failed or expired item raises a hazard through the
//! hazard workflow. The module keeps its first name (`fire`), as do its routes.
//!
//! `http/` holds the handlers, `status` the rules (evidence per kind, an item's status),
//! `store` the queries and the raising of hazards for expired items.

mod http;
pub use crate::schema::fire as model;
mod status;
mod store;

use crate::auth::extract::CurrentUser;
use crate::auth::roles::Role;

pub use status::{
    CheckPeriod, EXPIRY_WARNING_DAYS, EquipmentCategory, FireStatus, KINDS, Kind, PRESSURE_MAX,
    PRESSURE_MIN, kind,
};

/// Who may read the registry (used for check photos too).
pub fn may_read(u: &CurrentUser) -> bool {
    matches!(u.role, Role::SecurityOffice | Role::Principal | Role::Guard)
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    http::routes(cfg);
}
