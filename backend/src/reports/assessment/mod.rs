//! Semester safety assessment (考核): from the records already kept, a transparent score per
//! staff member and per class. Each metric counts records (a record may count several units,
//! e.g. a spot-check with three discrepancies), points = units × the office's weight, and every
//! unit names the record it came from.

mod facts;
mod http;
mod report;
mod scoring;
mod sheets;

pub use sheets::ledger_sheets;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(http::get_assessment)
        .service(http::assessment_xlsx)
        .service(http::get_weights)
        .service(http::put_weights);
}
