//! Leadership and duties (组织领导, 安全职责), the rules library (安全管理制度) and guard training
//! (门卫培训): three kinds of record a person signs off, sharing one acknowledgement.
//!
//! - `acknowledge`: who is asked, whether a signature is recorded, the tally (pure);
//! - `store`: the queries;
//! - `http`: request/response types and handlers, one file per sub-resource.

mod acknowledge;
mod http;
mod store;

pub use crate::schema::duties as model;
pub use acknowledge::{Person, Signed, Tally, parse_roles};
pub use store::{Waiting, current_versions, signed_trainings, tally_for, waiting_for};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    http::routes(cfg);
}

/// Who may read the rules library (and so a rule version's PDF): staff, not students.
pub fn may_read_rules(user: &crate::auth::extract::CurrentUser) -> bool {
    use crate::auth::roles::Role;
    matches!(
        user.role,
        Role::Principal | Role::SecurityOffice | Role::ClassTeacher | Role::Guard
    )
}
