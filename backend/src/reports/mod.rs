//! Read-only aggregations over the features: dashboard, ledger, assessment, platform figures.

pub mod assessment;
pub mod dashboard;
pub mod ledger;
pub mod platform;
pub mod sheet;
