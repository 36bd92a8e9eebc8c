//! The workflow steps: assign, rectify, verify, and the office's decision on a pending class.

use super::{HazardDetail, HazardResponse, detail, forbidden, to_response};
use crate::auth::extract::Auth;
use crate::auth::roles::{AnyUser, Office, OfficeOrPrincipal, Role};
use crate::features::attachments::{self, LINK_HAZARD};
use crate::features::events;
use crate::features::hazards::lifecycle::{self, Involved};
use crate::features::hazards::model::{HazardStatus, hazard};
use crate::features::hazards::raise::check_photos;
use crate::features::hazards::store::{self, NewEvent};
use crate::infra::error::{ApiError, AppResult, FieldError, Validator};
use crate::infra::state::State;
use crate::schema::users as user;
use actix_web::{post, web};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignHazardRequest {
    /// An active staff account (not a student).
    pub owner_id: Uuid,
    /// Local date `YYYY-MM-DD`, today or later.
    pub deadline: String,
    pub note: Option<String>,
}

/// Assign (or re-assign) an owner and a deadline. Only while `reported` or `assigned`.
#[utoipa::path(
    tag = "hazards",
    params(("id" = Uuid, Path)),
    request_body = AssignHazardRequest,
    responses(
        (status = 200, body = HazardDetail),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`hazard_invalid_transition`, `hazard_closed`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/hazards/{id}/assign")]
pub async fn assign_hazard(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<AssignHazardRequest>,
) -> AppResult<web::Json<HazardDetail>> {
    let body = body.into_inner();
    let today = crate::infra::clock::today(state.tz);
    let mut v = Validator::new();
    v.opt_text("note", body.note.as_deref(), 1000);
    lifecycle::check_deadline(&mut v, "deadline", &body.deadline, today);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let h = store::find(&*tx, id.into_inner()).await?;
    let action = lifecycle::assign(h.status)?;
    let owner = user::Entity::find_by_id(body.owner_id).one(&*tx).await?;
    let owner_name = owner.as_ref().map(|o| o.display_name.clone());
    if !owner.is_some_and(|o| o.is_active && o.role != Role::SafetyOfficer) {
        return Err(ApiError::validation(vec![FieldError {
            field: "owner_id".into(),
            code: "invalid_owner".into(),
            message: "责任人须为在用的教职工账号".into(),
            line: None,
        }]));
    }
    let now = crate::infra::clock::now();
    let mut a: hazard::ActiveModel = h.clone().into();
    a.status = Set(HazardStatus::Assigned);
    a.owner_id = Set(Some(body.owner_id));
    a.deadline = Set(Some(body.deadline.trim().to_owned()));
    a.assigned_by = Set(Some(auth.user.id));
    a.assigned_at = Set(Some(now));
    a.updated_at = Set(now);
    let after = a.update(&*tx).await?;
    let details = json!({"owner_id": body.owner_id, "deadline": after.deadline, "previous_owner_id": h.owner_id, "previous_deadline": h.deadline});
    store::record_step(
        &*tx,
        &auth.user,
        NewEvent {
            hazard_id: after.id,
            actor: auth.user.id,
            action,
            from: Some(h.status),
            to: HazardStatus::Assigned,
            note: body.note,
            details: details.clone(),
        },
        details,
    )
    .await?;
    let e = events::HazardAssigned {
        hazard_id: after.id,
        category: after.category,
        location: after.location.clone(),
        class_id: after.class_id,
        owner_id: body.owner_id,
        owner_name: owner_name.unwrap_or_default(),
        deadline: after.deadline.clone(),
    };
    events::emit_payload(&*tx, now, &e).await?;
    let resp = detail(&*tx, after, today).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectifyHazardRequest {
    /// What was done.
    pub rectification: String,
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

/// Record the rectification (by the owner). Only while `assigned`: a hazard not yet assigned
/// is `409 hazard_not_assigned`.
#[utoipa::path(
    tag = "hazards",
    params(("id" = Uuid, Path)),
    request_body = RectifyHazardRequest,
    responses(
        (status = 200, body = HazardDetail),
        (status = 403, description = "`not_hazard_owner`", body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`hazard_not_assigned`, `hazard_invalid_transition`, `hazard_closed`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[post("/hazards/{id}/rectify")]
pub async fn rectify_hazard(
    auth: Auth<AnyUser>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<RectifyHazardRequest>,
) -> AppResult<web::Json<HazardDetail>> {
    let body = body.into_inner();
    let u = &auth.user;
    let mut v = Validator::new();
    v.text("rectification", &body.rectification, 1, 2000);
    check_photos(&mut v, "attachment_ids", &body.attachment_ids);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let h = store::find(&*tx, id.into_inner()).await?;
    if !store::may_view(&*tx, u, &h).await? {
        return Err(forbidden());
    }
    lifecycle::rectify(h.status, h.owner_id, u.id)?;
    attachments::claim(
        &*tx,
        u.id,
        &body.attachment_ids,
        LINK_HAZARD,
        h.id,
        "attachment_ids",
    )
    .await?;
    let now = crate::infra::clock::now();
    let mut a: hazard::ActiveModel = h.clone().into();
    a.status = Set(HazardStatus::Rectified);
    a.rectified_by = Set(Some(u.id));
    a.rectified_at = Set(Some(now));
    a.rectification = Set(Some(body.rectification.trim().to_owned()));
    a.rectification_photo_ids = Set(json!(body.attachment_ids).to_string());
    a.updated_at = Set(now);
    let after = a.update(&*tx).await?;
    let details = json!({"rectification": after.rectification, "photo_ids": body.attachment_ids});
    store::record_step(
        &*tx,
        u,
        NewEvent {
            hazard_id: after.id,
            actor: u.id,
            action: crate::features::hazards::model::HazardAction::Rectify,
            from: Some(HazardStatus::Assigned),
            to: HazardStatus::Rectified,
            note: None,
            details: details.clone(),
        },
        details,
    )
    .await?;
    let resp = detail(&*tx, after, crate::infra::clock::today(state.tz)).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyHazardRequest {
    /// `true` closes the hazard; `false` sends it back to the owner (`assigned`).
    pub approved: bool,
    /// Required when sending back: what is still wrong.
    pub note: Option<String>,
    /// When sending back: a new deadline (local date), else the old one stays.
    pub deadline: Option<String>,
}

/// Verify a rectification: close it, or send it back. Only while `rectified`
/// (`409 hazard_not_rectified`). The person who rectified it
/// (`409 cannot_verify_own_rectification`) and the one who reported it
/// (`409 cannot_verify_own_report`) cannot verify it.
#[utoipa::path(
    tag = "hazards",
    params(("id" = Uuid, Path)),
    request_body = VerifyHazardRequest,
    responses(
        (status = 200, body = HazardDetail),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[post("/hazards/{id}/verify")]
pub async fn verify_hazard(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<VerifyHazardRequest>,
) -> AppResult<web::Json<HazardDetail>> {
    let body = body.into_inner();
    let u = &auth.user;
    let today = crate::infra::clock::today(state.tz);
    let mut v = Validator::new();
    v.opt_text("note", body.note.as_deref(), 1000);
    if !body.approved && body.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        v.add("note", "required", "退回时须说明原因");
    }
    if let Some(d) = body.deadline.as_deref() {
        lifecycle::check_deadline(&mut v, "deadline", d, today);
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let h = store::find(&*tx, id.into_inner()).await?;
    let who = Involved {
        rectified_by: h.rectified_by,
        // A key's report names its creator only as answerable: they may verify it.
        reported_by: h.reported_by_api_key_id.is_none().then_some(h.reported_by),
    };
    let (action, to) = lifecycle::verify(h.status, &who, u.id, body.approved)?;
    let now = crate::infra::clock::now();
    let mut a: hazard::ActiveModel = h.clone().into();
    a.status = Set(to);
    if body.approved {
        a.verified_by = Set(Some(u.id));
        a.closed_at = Set(Some(now));
    } else if let Some(d) = &body.deadline {
        a.deadline = Set(Some(d.trim().to_owned()));
    }
    a.updated_at = Set(now);
    let after = a.update(&*tx).await?;
    let note = body
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    store::record_step(
        &*tx,
        u,
        NewEvent {
            hazard_id: after.id,
            actor: u.id,
            action,
            from: Some(HazardStatus::Rectified),
            to,
            note: note.clone(),
            details: json!({"approved": body.approved, "deadline": after.deadline, "rectified_by": h.rectified_by}),
        },
        json!({"approved": body.approved, "note": note, "deadline": after.deadline}),
    )
    .await?;
    if body.approved {
        let e = events::HazardVerified {
            hazard_id: after.id,
            category: after.category,
            location: after.location.clone(),
            class_id: after.class_id,
            closed_at: now,
        };
        events::emit_payload(&*tx, now, &e).await?;
    }
    let resp = detail(&*tx, after, today).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

/// The office's decision on a pending class attribution.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributionDecision {
    /// `true` confirms the class (the record then counts for it); `false` removes the class.
    pub accept: bool,
}

/// Confirm (`accept: true`) or reject (the class is removed) the class someone other than its
/// teacher or the office named on a hazard; only then does it count for the class.
#[utoipa::path(
    tag = "hazards",
    params(("id" = Uuid, Path)),
    request_body = AttributionDecision,
    responses(
        (status = 200, body = HazardResponse),
        (status = 404, description = "`hazard_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`attribution_not_pending`: no class awaits confirmation", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/hazards/{id}/class-attribution")]
pub async fn decide_hazard_attribution(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<AttributionDecision>,
) -> AppResult<web::Json<HazardResponse>> {
    let u = &auth.user;
    let tx = state.db.begin_write().await?;
    let h = store::find(&*tx, id.into_inner()).await?;
    let Some(class_id) = h.class_id.filter(|_| h.class_pending) else {
        return Err(crate::features::hazards::not_pending());
    };
    let mut a: hazard::ActiveModel = h.clone().into();
    a.class_pending = Set(false);
    if !body.accept {
        a.class_id = Set(None);
    }
    a.updated_at = Set(crate::infra::clock::now());
    let row = a.update(&*tx).await?;
    let details = json!({"class_id": class_id});
    store::record_step(
        &*tx,
        u,
        NewEvent {
            hazard_id: row.id,
            actor: u.id,
            action: lifecycle::attribution_action(body.accept),
            from: Some(h.status),
            to: h.status,
            note: None,
            details: details.clone(),
        },
        details,
    )
    .await?;
    let resp = to_response(&*tx, row, crate::infra::clock::today(state.tz)).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}
