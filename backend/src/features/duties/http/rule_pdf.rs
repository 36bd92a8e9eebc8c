//! A rule version's PDF: linked when the version is published, served to everyone who may read
//! the rules (staff), with a file name made from the rule's title and version.

use crate::auth::extract::Auth;
use crate::auth::roles::Staff;
use crate::features::attachments::{self, LinkKind};
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::infra::state::State;
use crate::schema::duties::{rule, rule_version};
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct RulePdf {
    pub size_bytes: i64,
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
    /// `GET` it with the bearer token (`application/pdf`).
    pub url: String,
}

pub(super) fn rule_pdf(version_id: Uuid, a: &attachments::model::Model) -> RulePdf {
    RulePdf {
        size_bytes: a.size_bytes,
        uploaded_at: a.uploaded_at,
        url: format!("/api/v1/safety-rule-versions/{version_id}/pdf"),
    }
}

/// Links the caller's PDF upload to a new version (nothing when none is given).
pub(super) async fn attach_pdf(
    db: &impl ConnectionTrait,
    user: Uuid,
    pdf: Option<Uuid>,
    version_id: Uuid,
) -> AppResult<()> {
    match pdf {
        Some(id) => {
            attachments::claim_pdf(db, user, id, LinkKind::RuleVersion, version_id, "pdf_id").await
        }
        None => Ok(()),
    }
}

/// A rule version's PDF (`application/pdf`, `Content-Disposition: inline` with the rule's
/// title and version as the file name). Every staff member may read the rules, so every staff
/// member may read their PDFs, old versions' too. `404 rule_pdf_not_found` when the version
/// has none.
#[utoipa::path(
    tag = "duties",
    params(("id" = Uuid, Path, description = "the version's id")),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 403, description = "`forbidden_role` (students)", body = crate::infra::error::Problem),
        (status = 404, description = "`safety_rule_not_found`, `rule_pdf_not_found`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/safety-rule-versions/{id}/pdf")]
pub async fn get_rule_pdf(
    _auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let db = &state.db.conn;
    let not_found = || ApiError::not_found(ErrorCode::SafetyRuleNotFound, "制度不存在");
    let v = rule_version::Entity::find_by_id(id.into_inner())
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let r = rule::Entity::find_by_id(v.rule_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let a = attachments::pdfs_of(db, LinkKind::RuleVersion, &[v.id])
        .await?
        .remove(&v.id)
        .ok_or_else(|| ApiError::not_found(ErrorCode::RulePdfNotFound, "该版本没有 PDF 文件"))?;
    let bytes = attachments::read_bytes(&state.settings.attachments_dir(), &a).await?;
    let name = format!("{}-第{}版.pdf", r.title, v.version);
    Ok(HttpResponse::Ok()
        .content_type(attachments::PDF)
        .insert_header((
            header::CONTENT_DISPOSITION,
            attachments::disposition(&format!("safety-rule-v{}.pdf", v.version), Some(&name)),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}
