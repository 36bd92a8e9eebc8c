//! Safety records the office keeps and hands in: activities and drills (演练/专题教育),
//! meetings (例会), incidents, guards' daily health reports (体温检测日报) and announcements
//! (通报) with read receipts.
//!
//! `http.rs` (and `http/<record>.rs`) holds the API, `screening.rs` the rules on health
//! reports and incident dates.

pub use crate::schema::records as model;

mod http;
mod screening;

pub use http::{insert_activity, insert_announcement, insert_meeting};
pub use screening::{FEVER_AT, is_abnormal};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use http::*;
    cfg.service(list_activities)
        .service(create_activity)
        .service(get_activity)
        .service(update_activity)
        .service(list_meetings)
        .service(create_meeting)
        .service(get_meeting)
        .service(update_meeting)
        .service(list_incidents)
        .service(create_incident)
        .service(get_incident)
        .service(update_incident)
        .service(decide_incident_attribution)
        .service(create_health_report)
        .service(list_health_reports)
        .service(acknowledge_health_report)
        .service(create_announcement)
        .service(list_announcements)
        .service(read_announcement)
        .service(announcement_receipts);
}
