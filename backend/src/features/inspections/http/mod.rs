//! The inspections API: templates, checks, and the compliance and "due" lists.

pub mod reports;
pub mod submissions;
pub mod templates;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(submissions::list_submissions)
        .service(submissions::create_submission)
        .service(submissions::create_spot_check)
        .service(reports::get_compliance)
        .service(reports::my_checks_due)
        .service(submissions::get_submission)
        .service(submissions::amend_submission);
}
