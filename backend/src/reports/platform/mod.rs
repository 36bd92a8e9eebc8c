//! Safety-education platform supervision (安全平台使用督查): per month and class, how many
//! students completed the education bureau's platform assignments, typed in as totals or
//! imported per student from the platform's CSV/XLSX export; the office's threshold; each
//! class teacher sees own class and who is missing.

//!
//! Other modules use: the settings store ([`get_setting`], [`put_setting`]), [`threshold`],
//! [`is_below`] and the ledger's [`ledger_sheet`].

pub use crate::schema::platform as model;

mod completion;
mod figures_sheet;
mod http;
mod import;
mod store;

pub use completion::{is_below, rate, valid_month};
pub use figures_sheet::ledger_sheet;
pub use store::{DEFAULT_THRESHOLD, get_setting, put_setting, threshold};

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(http::list_figures)
        .service(http::set_figure)
        .service(http::import_figures)
        .service(http::class_missing)
        .service(http::get_settings)
        .service(http::put_settings);
}
