//! Hazards (隐患): reported by anyone or raised by failed inspection items, then assigned
//! (owner, deadline), rectified, and verified (closed) or sent back; every step kept.
//!
//! `lifecycle.rs` holds the workflow's rules, `store.rs` the queries, `raise.rs` the ways a
//! hazard is created (also by patrols, inspections and fire equipment), `http.rs` the API.

pub use crate::schema::hazards as model;

mod http;
mod lifecycle;
mod raise;
mod store;

pub use http::{AttributionDecision, ReportHazardRequest};
pub use raise::{
    FromInspection, FromSource, attributes_directly, create_from_inspection, create_from_source,
    report_in_tx, validate_report,
};
pub use store::{
    may_view_id as may_view_hazard_id, may_view_with_photo as may_view_hazard_with_photo,
};

use crate::infra::error::{ApiError, ErrorCode};

/// A class attribution was decided on that no longer awaits the office (hazards, incidents).
pub fn not_pending() -> ApiError {
    ApiError::conflict(
        ErrorCode::AttributionNotPending,
        "该记录没有待确认的班级归属",
    )
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use http::*;
    cfg.service(list_hazards)
        .service(report_hazard)
        .service(list_overdue)
        .service(hazard_stats)
        .service(get_hazard)
        .service(assign_hazard)
        .service(rectify_hazard)
        .service(verify_hazard)
        .service(decide_hazard_attribution);
}
