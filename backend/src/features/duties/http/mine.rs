//! What waits for my signature: the 待确认 list.

use crate::auth::extract::Auth;
use crate::auth::roles::Staff;
use crate::features::duties::store::waiting_for;
use crate::infra::error::AppResult;
use crate::infra::state::State;
use crate::schema::duties::AckSubject;
use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingResponse {
    pub kind: AckSubject,
    /// The letter, the rule version or the training to sign.
    pub id: Uuid,
    pub title: String,
    /// The text to read before signing.
    pub body: String,
    /// The letter's semester code, the version's effective date or the training's date.
    pub date: String,
    /// For a rule version: the rule and the version number.
    pub rule_id: Option<Uuid>,
    pub version: Option<i32>,
}

/// What waits for my signature: the responsibility letters to my role not signed, the rules in
/// force my role must read and I have not confirmed, and the trainings I attended and have not
/// signed off. Computed now from the records.
#[utoipa::path(
    tag = "duties",
    responses((status = 200, body = Vec<WaitingResponse>), (status = 401, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/me/acknowledgements")]
pub async fn my_acknowledgements(
    auth: Auth<Staff>,
    state: State,
) -> AppResult<web::Json<Vec<WaitingResponse>>> {
    let rows = waiting_for(&state.db.conn, auth.user.id, auth.user.role).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|w| WaitingResponse {
                kind: w.kind,
                id: w.subject_id,
                title: w.title,
                body: w.body,
                date: w.date,
                rule_id: w.rule_id,
                version: w.version,
            })
            .collect(),
    ))
}
