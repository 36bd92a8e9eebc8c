//! PDF documents (a safety rule's text as the school printed it): uploaded by those who publish
//! rules, checked by their first bytes, stored like photos (no thumbnail), linked to a record
//! by the owning feature and served by it with a safe file name.

use super::http::read_file_part;
use super::image::MIB;
use super::model::{self, LinkKind};
use super::store;
use crate::auth::extract::Auth;
use crate::auth::roles::OfficeOrPrincipal;
use crate::features::audit;
use crate::infra::error::{ApiError, AppResult, ErrorCode, FieldError};
use crate::infra::state::State;
use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use utoipa::ToSchema;
use uuid::Uuid;

pub const PDF: &str = "application/pdf";
/// The largest PDF accepted: a scanned rule of a few pages fits.
pub const MAX_PDF_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentResponse {
    pub id: Uuid,
    /// Always `application/pdf`.
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: DateTime<Utc>,
}

/// The multipart form: one part named `file`, a PDF.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PdfUploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A PDF by its first bytes (`%PDF-` and a version digit); the name and declared type are
/// ignored.
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.len() > 8 && bytes.starts_with(b"%PDF-") && bytes[5].is_ascii_digit()
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::DocumentTooLarge,
        "PDF 文件不能超过 10 MB",
    )
}

/// `Content-Disposition: inline` with an ASCII `filename` and, when given, the UTF-8 name
/// (RFC 6266 / RFC 5987). Both are built here, never taken from an upload: nothing a user
/// typed can end the header or name a path.
pub fn disposition(ascii_name: &str, utf8_name: Option<&str>) -> String {
    let ascii: String = ascii_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut out = format!("inline; filename=\"{ascii}\"");
    if let Some(name) = utf8_name {
        let mut enc = String::new();
        for b in name.bytes() {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                enc.push(b as char);
            } else {
                enc.push_str(&format!("%{b:02X}"));
            }
        }
        out.push_str(&format!("; filename*=UTF-8''{enc}"));
    }
    out
}

/// Upload a PDF (multipart, one part named `file`), at most 10 MB, checked by its content
/// (`%PDF-`; the file name and declared type are ignored). The office and the principal, who
/// publish the rules: the upload is theirs alone until a rule version names it (`pdf_id`).
#[utoipa::path(
    tag = "attachments",
    request_body(content = PdfUploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = DocumentResponse),
        (status = 400, description = "`invalid_multipart`", body = crate::infra::error::Problem),
        (status = 413, description = "`document_too_large` (over 10 MB), `attachment_quota_exceeded`", body = crate::infra::error::Problem),
        (status = 415, description = "`unsupported_document_type` (not a PDF)", body = crate::infra::error::Problem),
        (status = 422, description = "`validation_failed` (no `file` part)", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[post("/attachments/pdf")]
pub async fn upload_pdf(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    req: HttpRequest,
    mut payload: Multipart,
) -> AppResult<HttpResponse> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_PDF_BYTES + 64 * 1024) {
        return Err(too_large());
    }
    let file = read_file_part(&mut payload, MAX_PDF_BYTES, too_large).await?;
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return Err(ApiError::validation(vec![FieldError {
            field: "file".into(),
            code: "required".into(),
            message: "请选择要上传的 PDF 文件".into(),
            line: None,
        }]));
    };
    if !is_pdf(&bytes) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedDocumentType,
            "只接受 PDF 文件",
        ));
    }
    let quota = state.settings.upload_quota_mb.saturating_mul(MIB);
    let stored =
        u64::try_from(store::stored_bytes(&state.db.conn, auth.user.id).await?).unwrap_or(0);
    if stored.saturating_add(bytes.len() as u64) > quota {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::AttachmentQuotaExceeded,
            "您上传的文件已达存储上限,请联系保卫处",
        ));
    }
    let id = Uuid::now_v7();
    let file_name = format!("{}.pdf", id.simple());
    let dir = state.settings.attachments_dir();
    let sha = {
        use sha2::{Digest, Sha256};
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let size = bytes.len() as i64;
    let (fname, dir2) = (file_name.clone(), dir.clone());
    web::block(move || store::store_file(&dir2, &fname, &bytes))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "cannot store document");
            ApiError::internal()
        })?;
    let path = dir.join(&file_name);
    let saved = async {
        let tx = state.db.begin_write().await?;
        let row = model::ActiveModel {
            id: Set(id),
            uploaded_by: Set(auth.user.id),
            uploaded_at: Set(crate::infra::clock::now()),
            content_type: Set(PDF.into()),
            size_bytes: Set(size),
            width: Set(0),
            height: Set(0),
            sha256: Set(sha),
            file_name: Set(file_name.clone()),
            // No thumbnail for a document.
            thumb_name: Set(String::new()),
            linked_kind: Set(None),
            linked_id: Set(None),
        }
        .insert(&*tx)
        .await?;
        audit::record(
            &*tx,
            auth.user.actor(),
            "attachment.upload",
            "attachment",
            Some(id.to_string()),
            json!({"content_type": PDF, "size_bytes": size}),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, ApiError>(row)
    }
    .await;
    match saved {
        Ok(row) => Ok(HttpResponse::Created().json(DocumentResponse {
            id: row.id,
            content_type: row.content_type,
            size_bytes: row.size_bytes,
            uploaded_at: row.uploaded_at,
        })),
        Err(e) => {
            store::remove_quietly(&[path]);
            Err(e)
        }
    }
}

/// Checks that `id` is the caller's own PDF upload, not yet linked elsewhere, and links it to
/// the record (`field` names the request field in a 422).
pub async fn claim_pdf(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
    kind: LinkKind,
    linked_id: Uuid,
    field: &str,
) -> AppResult<()> {
    if let Some(a) = model::Entity::find_by_id(id).one(db).await?
        && a.uploaded_by == user_id
        && a.content_type != PDF
    {
        return Err(ApiError::validation(vec![FieldError {
            field: field.into(),
            code: "not_pdf".into(),
            message: "所选文件不是 PDF".into(),
            line: None,
        }]));
    }
    store::claim(db, user_id, &[id], kind, linked_id, field).await
}

/// The PDFs linked to these records, by record.
pub async fn pdfs_of(
    db: &impl ConnectionTrait,
    kind: LinkKind,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, model::Model>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        for a in model::Entity::find()
            .filter(model::Column::LinkedKind.eq(kind))
            .filter(model::Column::LinkedId.is_in(chunk.to_vec()))
            .filter(model::Column::ContentType.eq(PDF))
            .all(db)
            .await?
        {
            if let Some(l) = a.linked_id {
                out.insert(l, a);
            }
        }
    }
    Ok(out)
}

/// The stored bytes of an attachment (`404 attachment_file_missing` when the file is gone).
pub async fn read_bytes(dir: &Path, a: &model::Model) -> AppResult<Vec<u8>> {
    let path = dir.join(&a.file_name);
    web::block(move || std::fs::read(path))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "attachment file missing");
            ApiError::not_found(ErrorCode::AttachmentFileMissing, "文件不存在")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_is_known_by_its_first_bytes() {
        assert!(is_pdf(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj"));
        assert!(!is_pdf(b"%PDF-"));
        assert!(!is_pdf(b"GIF89a, named rule.pdf"));
        assert!(!is_pdf(b"\x89PNG\r\n\x1a\n........"));
        assert!(!is_pdf(b" %PDF-1.4 leading space"));
    }

    #[test]
    fn the_file_name_cannot_break_the_header() {
        let d = disposition("a\"b\r\nc/../d.pdf", Some("门卫工作制度\"; x=1-第2版.pdf"));
        assert!(d.starts_with("inline; filename=\"a_b__c_.._d.pdf\"; filename*=UTF-8''"));
        assert!(!d.contains('\r') && !d.contains('\n'));
        assert_eq!(d.matches('"').count(), 2);
        assert!(d.contains("%E9%97%A8"));
    }
}
