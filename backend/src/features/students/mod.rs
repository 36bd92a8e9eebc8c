//! Students (minors: their data is sensitive personal information). Each role sees the fewest
//! fields it needs: guardian contact only for the office, the principal and the own class
//! teacher; guards, safety officers and integration keys see number, name and class only.

pub use crate::schema::students as model;

mod csv;
mod http;
mod store;
mod upsert;
mod view;

pub use store::find;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(http::list_students)
        .service(http::create_student)
        .service(http::import_students)
        .service(http::get_student)
        .service(http::update_student)
        .service(upsert::upsert_people);
}
