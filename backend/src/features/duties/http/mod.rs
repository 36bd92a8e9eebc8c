//! Types shared by the handlers, and the routes.

mod leadership;
mod letters;
mod mine;
mod rule_pdf;
mod rules;
mod trainings;

use crate::infra::error::{ApiError, ErrorCode};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The answer to "I sign / I confirm".
#[derive(Debug, Serialize, ToSchema)]
pub struct AckResponse {
    /// When the signature was given (the first time, for a repeat).
    pub acknowledged_at: DateTime<Utc>,
    /// False when it had already been given: nothing new was recorded.
    pub recorded: bool,
}

pub(super) fn record_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::DutyRecordNotFound, "记录不存在")
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    leadership::routes(cfg);
    letters::routes(cfg);
    rules::routes(cfg);
    trainings::routes(cfg);
    cfg.service(mine::my_acknowledgements);
}
