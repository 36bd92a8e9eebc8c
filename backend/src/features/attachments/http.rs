//! Uploading and serving photos.

use super::MAX_BYTES;
use super::image::{self, Checked, MIB};
use super::limits::UploadLimits;
use super::model;
use super::owners::{Linked, Owners};
use super::store;
use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::AnyUser;
use crate::features::audit;
use crate::infra::error::{ApiError, AppResult, ErrorCode, FieldError};
use crate::infra::state::State;
use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sea_orm::{ActiveModelTrait, Set};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentResponse {
    pub id: Uuid,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    pub size_bytes: i64,
    pub width: i32,
    pub height: i32,
    pub uploaded_at: DateTime<Utc>,
    /// The image itself.
    pub url: String,
    /// A JPEG at most 320 px on its longest side, for lists.
    pub thumbnail_url: String,
}

/// The multipart form: one part named `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn to_response(a: &model::Model) -> AttachmentResponse {
    AttachmentResponse {
        id: a.id,
        content_type: a.content_type.clone(),
        size_bytes: a.size_bytes,
        width: a.width,
        height: a.height,
        uploaded_at: a.uploaded_at,
        url: format!("/api/v1/attachments/{}", a.id),
        thumbnail_url: format!("/api/v1/attachments/{}/thumbnail", a.id),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::AttachmentTooLarge,
        "图片不能超过 8 MB",
    )
}

fn unsupported() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedImageType,
        "只接受 JPEG、PNG 或 WebP 图片",
    )
}

/// Upload a photo (multipart, one part named `file`): JPEG, PNG or WebP, at most 8 MB,
/// checked by its content (the file name and declared type are ignored) and fully decoded.
/// The upload is visible only to its uploader until a submission or hazard references it by id.
#[utoipa::path(
    tag = "attachments",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = AttachmentResponse),
        (status = 400, description = "`invalid_multipart`", body = crate::infra::error::Problem),
        (status = 413, description = "`attachment_too_large`, `image_too_large` (more pixels than the decode budget), `attachment_quota_exceeded`", body = crate::infra::error::Problem),
        (status = 415, description = "`unsupported_image_type`", body = crate::infra::error::Problem),
        (status = 422, description = "`invalid_image` (not decodable), `validation_failed` (no `file` part)", body = crate::infra::error::Problem),
        (status = 429, description = "`upload_rate_limited` (pixels per user per minute), `uploads_busy` (decode memory), with `Retry-After`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[post("/attachments")]
pub async fn upload_attachment(
    auth: Auth<AnyUser>,
    state: State,
    limits: web::Data<UploadLimits>,
    req: HttpRequest,
    mut payload: Multipart,
) -> AppResult<HttpResponse> {
    // Refuse an announced oversize body before reading it (multipart overhead allowed).
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BYTES + 64 * 1024) {
        return Err(too_large());
    }
    let file = read_file_part(&mut payload, MAX_BYTES, too_large).await?;
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return Err(ApiError::validation(vec![FieldError {
            field: "file".into(),
            code: "required".into(),
            message: "请选择要上传的图片".into(),
            line: None,
        }]));
    };
    let (format, content_type, ext) = image::sniff(&bytes).ok_or_else(unsupported)?;
    // Aggregate bounds, cheapest first, all before any pixel is decoded.
    let (width, height) = image::dimensions(&bytes, format)?;
    let quota = state.settings.upload_quota_mb.saturating_mul(MIB);
    let stored =
        u64::try_from(store::stored_bytes(&state.db.conn, auth.user.id).await?).unwrap_or(0);
    if stored.saturating_add(bytes.len() as u64) > quota {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::AttachmentQuotaExceeded,
            "您上传的图片已达存储上限,请联系保卫处",
        ));
    }
    limits.reserve_pixels(auth.user.id, u64::from(width) * u64::from(height))?;
    let permit = limits
        .decode_permit(image::decode_bytes(width, height))
        .await?;
    let id = Uuid::now_v7();
    let file_name = format!("{}.{ext}", id.simple());
    let thumb_name = format!("{}.thumb.jpg", id.simple());
    let dir = state.settings.attachments_dir();
    let sha = {
        use sha2::{Digest, Sha256};
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let size = bytes.len() as i64;
    // Decoding and writing are slow: done before the write transaction is opened.
    let (fname, tname, dir2) = (file_name.clone(), thumb_name.clone(), dir.clone());
    let checked = web::block(move || -> Result<Checked, ApiError> {
        let checked = image::decode_and_thumbnail(&bytes, format);
        // The decoded pixels are gone: the memory goes back to the budget.
        drop(permit);
        let checked = checked?;
        store::store_files(&dir2, (&fname, &bytes), (&tname, &checked.thumbnail)).map_err(|e| {
            tracing::error!(error = %e, "cannot store attachment");
            ApiError::internal()
        })?;
        Ok(checked)
    })
    .await
    .map_err(|_| ApiError::internal())??;
    let files = [dir.join(&file_name), dir.join(&thumb_name)];
    let saved = async {
        let tx = state.db.begin_write().await?;
        let row = model::ActiveModel {
            id: Set(id),
            uploaded_by: Set(auth.user.id),
            uploaded_at: Set(crate::infra::clock::now()),
            content_type: Set(content_type.into()),
            size_bytes: Set(size),
            width: Set(checked.width as i32),
            height: Set(checked.height as i32),
            sha256: Set(sha),
            file_name: Set(file_name.clone()),
            thumb_name: Set(thumb_name.clone()),
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
            json!({"content_type": content_type, "size_bytes": size, "width": row.width, "height": row.height}),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, ApiError>(row)
    }
    .await;
    match saved {
        Ok(row) => Ok(HttpResponse::Created().json(to_response(&row))),
        Err(e) => {
            store::remove_quietly(&files);
            Err(e)
        }
    }
}

/// The bytes of the form's first part named `file` (other parts are read and dropped), or
/// `too_large()` as soon as it passes `max` bytes.
pub(super) async fn read_file_part(
    payload: &mut Multipart,
    max: usize,
    too_large: fn() -> ApiError,
) -> AppResult<Option<Vec<u8>>> {
    let bad_multipart = || ApiError::bad_request(ErrorCode::InvalidMultipart, "上传内容格式不正确");
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| bad_multipart())?;
        let is_file = field.name() == Some("file") && file.is_none();
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| bad_multipart())?;
            if !is_file {
                continue;
            }
            if buf.len() + chunk.len() > max {
                return Err(too_large());
            }
            buf.extend_from_slice(&chunk);
        }
        if is_file {
            file = Some(buf);
        }
    }
    Ok(file)
}

/// The uploader always may; otherwise whoever the owning feature lets see the record it is
/// linked to. An unreferenced upload is the uploader's alone (404 for others, so its existence
/// is not told).
async fn require_view(
    owners: &Owners,
    db: &sea_orm::DatabaseConnection,
    user: &CurrentUser,
    a: &model::Model,
) -> AppResult<()> {
    if a.uploaded_by == user.id {
        return Ok(());
    }
    let not_found = || ApiError::not_found(ErrorCode::AttachmentNotFound, "图片不存在");
    let (Some(kind), Some(record_id)) = (a.linked_kind, a.linked_id) else {
        return Err(not_found());
    };
    let photo = Linked {
        kind,
        record_id,
        attachment_id: a.id,
    };
    match owners.may_view(db, user, photo).await? {
        Some(true) => Ok(()),
        Some(false) => Err(ApiError::forbidden(
            ErrorCode::AttachmentForbidden,
            "无权查看此图片(它属于您无权查看的记录)",
        )),
        None => Err(not_found()),
    }
}

async fn serve(
    state: &State,
    owners: &Owners,
    user: &CurrentUser,
    id: Uuid,
    thumbnail: bool,
) -> AppResult<HttpResponse> {
    let a = store::find(&state.db.conn, id).await?;
    require_view(owners, &state.db.conn, user, &a).await?;
    let is_pdf = a.content_type == super::pdf::PDF;
    if thumbnail && is_pdf {
        return Err(ApiError::not_found(
            ErrorCode::AttachmentNotFound,
            "PDF 文件没有缩略图",
        ));
    }
    let (name, content_type) = if thumbnail {
        (a.thumb_name.clone(), "image/jpeg".to_owned())
    } else {
        (a.file_name.clone(), a.content_type.clone())
    };
    let path = state.settings.attachments_dir().join(name);
    let bytes = web::block(move || std::fs::read(path))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "attachment file missing");
            ApiError::not_found(ErrorCode::AttachmentFileMissing, "图片文件不存在")
        })?;
    let mut resp = HttpResponse::Ok();
    resp.content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if is_pdf {
        resp.insert_header((
            header::CONTENT_DISPOSITION,
            super::pdf::disposition(&format!("{}.pdf", a.id.simple()), None),
        ));
    }
    Ok(resp.body(bytes))
}

/// The image (its own content type). Only for its uploader and those who may see the record it
/// belongs to (`403 attachment_forbidden`); an upload not yet referenced is the uploader's only (404).
#[utoipa::path(
    tag = "attachments",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The image", content_type = "image/*", body = Vec<u8>),
        (status = 403, body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/attachments/{id}")]
pub async fn get_attachment(
    auth: Auth<AnyUser>,
    state: State,
    owners: web::Data<Owners>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    serve(&state, &owners, &auth.user, id.into_inner(), false).await
}

/// The thumbnail (JPEG, at most 320 px), with the same access rule as the image.
#[utoipa::path(
    tag = "attachments",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "JPEG thumbnail", content_type = "image/jpeg", body = Vec<u8>),
        (status = 403, body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/attachments/{id}/thumbnail")]
pub async fn get_attachment_thumbnail(
    auth: Auth<AnyUser>,
    state: State,
    owners: web::Data<Owners>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    serve(&state, &owners, &auth.user, id.into_inner(), true).await
}
