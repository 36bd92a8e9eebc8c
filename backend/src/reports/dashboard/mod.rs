//! The dashboard: the figures the principal and the office watch, each computed from the
//! records at request time (never from a stored counter that could drift).
//!
//! One function per section; adding one = a field on `DashboardResponse` and one `async fn`
//! like `incident_figures`.

mod figures;
mod http;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(http::get_dashboard);
}
