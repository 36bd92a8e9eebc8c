//! Evacuation head-counts (应急疏散演练 清点人数): the office starts one for a drill (linked to
//! its activity record) or a real evacuation; each class teacher reports the class from the
//! assembly point (present, absent with names and why, injured) in one small, retry-safe
//! request, or hands the count to the office who enters it; a live board shows who is not
//! accounted for and how long it took; the office closes it and the ledger keeps it.
//!
//! `http/` holds the API, `tally.rs` the rules (pre-filled leave passes, whether a report adds
//! up, the totals), `store.rs` the queries and the versioned update.

pub use crate::schema::headcount as model;

mod http;
mod store;
pub mod tally;

pub use http::{ClassFiguresOf, figures_of};
pub use store::rows_of_many;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use http::*;
    cfg.service(start_headcount)
        .service(list_headcounts)
        .service(open_headcount)
        .service(get_headcount)
        .service(close_headcount)
        .service(get_class_sheet)
        .service(report_class);
}
