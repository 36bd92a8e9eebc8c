//! "What waits for me" (`GET /api/v1/me/todo`): for the signed-in person, the work that is
//! theirs to do now, by category, with counts and the first few items. Every figure is
//! computed from the records at request time (never a stored counter); each role gets only its
//! own categories, and no student's personal data is in a title.

mod http;
mod store;

pub use http::{TodoCategory, TodoGroup, TodoItem, TodoResponse};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(http::my_todo);
}
