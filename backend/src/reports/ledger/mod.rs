//! The safety ledger (安全工作台账) of a semester: every record by category, as an XLSX
//! workbook (one sheet per category, Chinese headers) and as a printable HTML page.
//!
//! Each category is one `async fn(db, &Range) -> Sheet` listed in `sheets`; adding one = one
//! such function and one line in `sheets`.

pub use crate::reports::sheet::{
    LedgerQuery, MAX_RANGE_DAYS, Range, Sheet, escape_cell, resolve_range, to_xlsx,
};
pub use html::to_html;

mod duties_sheets;
mod equipment_sheet;
mod headcount_sheet;
mod html;
mod http;
mod labels;
mod safety_sheets;
mod school_sheets;

use crate::infra::error::AppResult;
use duties_sheets::*;
use equipment_sheet::equipment_sheets;
use headcount_sheet::headcount_sheet;
use safety_sheets::*;
use school_sheets::*;
use sea_orm::ConnectionTrait;

/// Every category this build can produce, in ledger order.
pub async fn sheets(db: &impl ConnectionTrait, r: &Range) -> AppResult<Vec<Sheet>> {
    Ok([
        organisation(db, r).await?,
        leadership_sheet(db, r).await?,
        letters_sheet(db, r).await?,
        rules_sheet(db, r).await?,
        trainings_sheet(db, r).await?,
        plan_sheet(db, r).await?,
        duty_sheet(db, r).await?,
        inspections_sheet(db, r).await?,
        hazards_sheet(db, r).await?,
        activities_sheet(db, r).await?,
        headcount_sheet(db, r).await?,
        meetings_sheet(db, r).await?,
        incidents_sheet(db, r).await?,
        health_sheet(db, r).await?,
        announcements_sheet(db, r).await?,
        gate_sheet(db, r).await?,
        visitors_sheet(db, r).await?,
        crate::reports::platform::ledger_sheet(db, r).await?,
    ]
    .into_iter()
    .chain(equipment_sheets(db, r).await?)
    .chain(crate::reports::assessment::ledger_sheets(db, r).await?)
    .collect())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(http::ledger_summary)
        .service(http::ledger_xlsx)
        .service(http::ledger_html);
}
