//! Visitors (来访登记): check-in and out at the gate, expected visitors, and the watchlist
//! (形迹可疑 / banned persons). ID numbers are never stored or shown in full after entry: a
//! keyed hash (HMAC-SHA256 with a server secret) for matching, the last 4 characters for display.
//!
//! `http` holds the requests, answers and handlers (expected visitors and the watchlist in
//! `http/`); `rules` the pure decisions (ID numbers, request checks, who is let in); `store`
//! the queries, including the check-in write.

pub use crate::schema::visitors as model;
pub use crate::schema::visitors::{VisitStatus, WatchCategory};

mod http;
mod rules;
mod store;

pub use rules::mask;
pub use store::{IdNumber, protect_id};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use http::*;
    cfg.service(list_visitors)
        .service(check_in)
        .service(check_out_all)
        .service(get_visitor)
        .service(check_out)
        .service(decide_visitor)
        .service(list_expected)
        .service(create_expected)
        .service(check_in_expected)
        .service(list_watchlist)
        .service(create_watchlist_entry)
        .service(update_watchlist_entry);
}
