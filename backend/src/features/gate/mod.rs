//! The gate: scans of leave passes (online and offline batches), single use enforced by the
//! database, the published verification keys and revocations, students out now and overdue,
//! and the gate log.
//!
//! `http` holds the requests, answers and handlers; `verdict` the decisions (no queries, no
//! clock); `scan` one scan from receipt to answer; `store` the queries, including the
//! conditional updates that decide single use; `writer` the SQLite group commit.

mod http;
mod scan;
mod state;
mod store;
mod verdict;
mod writer;

pub use crate::schema::gate as model;
pub use crate::schema::gate::{Direction, ScanCode, ScanSource, Verdict};
pub use state::GateState;
pub use store::out_select;
pub use writer::ScanWriter;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(http::record_scan)
        .service(http::search_passes)
        .service(http::record_scan_batch)
        .service(http::log::list_scans)
        .service(http::lists::gate_keys)
        .service(http::lists::gate_revocations)
        .service(http::lists::students_out)
        .service(http::lists::students_overdue);
}
