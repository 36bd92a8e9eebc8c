//! Staff and student-officer accounts: the security office manages them; principal accounts
//! are the principal's (or the CLI's).
//!
//! Other modules use: [`names_of`] / [`by_ids`] (the people on a page), [`own_class_ids`],
//! [`to_response`] and [`cli_create`].

pub use crate::schema::users as model;

mod accounts;
mod cli;
mod colleagues;
mod http;
mod store;

pub use crate::auth::account::{UserResponse, to_response};
pub use cli::cli_create;
pub use store::{by_ids, names_of};

use crate::auth::roles::Role;
use crate::infra::error::AppResult;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// The classes a user may act for as "own class" (see [`crate::auth::scope`], which callers
/// should use directly; this name stays for the modules not yet switched).
pub async fn own_class_ids(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    role: Role,
) -> AppResult<Vec<Uuid>> {
    crate::auth::scope::own_class_ids(db, user_id, role).await
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(http::list_users)
        .service(http::create_user)
        .service(http::get_user)
        .service(http::update_user)
        .service(colleagues::list_colleagues);
}
