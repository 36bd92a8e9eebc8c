//! Semesters (学期) as data: the school defines them (no two overlap); "now" is the semester
//! containing today in the school's time zone, and every semester view defaults to it.
//!
//! - `http`: request/response types and handlers;
//! - `terms`: which semester a day belongs to (pure);
//! - `store`: the queries.

mod http;
mod store;
mod terms;

pub use crate::schema::semesters as model;
pub use model::Model as Semester;
pub use store::{by_code, containing, current, link_plans};
pub use terms::school_semester_of;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    http::routes(cfg);
}
