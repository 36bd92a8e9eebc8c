//! The audit trail read back: `GET /audit-log`. The writer (`record`, `entry`, `Actor`) is
//! infrastructure (`infra::audit`), re-exported here for the features that write.

pub use crate::infra::audit::{Actor, entry, record};
pub use crate::schema::audit as model;

mod http;
mod store;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use http::*;
    cfg.service(list_audit_log);
}
