//! The security office's public page (处室网络页面): safety notices and education articles the
//! office writes and publishes (with pictures), the holiday duty contacts the school chooses to
//! show, and an Atom feed — readable without signing in, never naming a student.
//!
//! - `http`: the office's API and the public pages;
//! - `page`: rendering the HTML and the feed, and the student-name check (pure);
//! - `store`: the queries.

mod http;
mod page;
mod store;

pub use crate::schema::articles as model;

use crate::auth::extract::CurrentUser;
use crate::auth::roles::Role;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    http::routes(cfg);
}

/// The public page's routes (`/public/…`), outside the API.
pub fn public_pages(cfg: &mut actix_web::web::ServiceConfig) {
    http::public::configure(cfg);
}

/// Who sees an article's pictures through the API (drafts too): the office and the principal.
pub fn may_read(user: &CurrentUser) -> bool {
    matches!(user.role, Role::SecurityOffice | Role::Principal)
}
