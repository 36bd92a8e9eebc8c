//! Inspections: versioned checklist templates, submissions (own checks and spot-checks) with
//! server-computed scores, discrepancy flags, compliance per period and "my checks due".
//!
//! `http/` holds the handlers, `scoring` the rules (score, answers, discrepancies, periods),
//! `store` the queries and the insert of a check, `builtin` the templates every database holds.

pub mod builtin;
mod http;
pub use crate::schema::inspections as model;
pub mod period;
mod scoring;
mod store;

pub use builtin::{TRAFFIC, ensure as ensure_builtin_templates};
pub use http::templates::TemplateResponse;
pub use model::{AnswerRecord, ItemResult, SubmissionKind, TargetKind, TemplateItem};
pub use period::{Frequency, Period};
pub use store::{
    NewSubmission, Target, find_template, insert_submission, items_of, may_spot_check,
    may_view_submission, may_view_submission_root,
};

/// An own check (kept for the reports that compare with it).
pub const KIND_SELF: SubmissionKind = SubmissionKind::OwnCheck;
/// A spot-check.
pub const KIND_SPOT: SubmissionKind = SubmissionKind::SpotCheck;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    http::templates::routes(cfg);
    http::routes(cfg);
}
