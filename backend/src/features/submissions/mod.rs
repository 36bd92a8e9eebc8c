//! 报送 as an action: the office sends a published duty roster or a plan item to a channel
//! (校办, 校医, 教育局保卫科, 教师群 …) as a readable Chinese message with a link to its XLSX (and
//! a roster's ICS); the channel worker delivers it like any event, and the report is recorded
//! with its delivery, whose status it follows.
//!
//! - `http`: handlers (send, list, the public download behind a link);
//! - `message`: the message, the XLSX and the ICS (pure);
//! - `store`: the queries.

mod http;
mod message;
mod store;

pub use crate::schema::report_sends as model;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(http::send_roster_report)
        .service(http::list_roster_reports)
        .service(http::send_plan_item_report)
        .service(http::list_plan_item_reports)
        .service(http::report_link_xlsx)
        .service(http::report_link_ics);
}
