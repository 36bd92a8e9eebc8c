//! Photo attachments: upload (JPEG, PNG or WebP, checked by content), thumbnails, storage
//! under the attachments directory, and serving only to those who may see the linked record.

pub use crate::schema::attachments as model;

use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::AnyUser;
use crate::features::audit;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, FieldError};
use crate::infra::state::State;
use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use serde_json::json;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use utoipa::ToSchema;
use uuid::Uuid;

pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// Longest side of a thumbnail, in pixels.
const THUMB_SIZE: u32 = 320;
/// Pixel bounds: a small file can still claim to be enormous (a decompression bomb).
const MAX_SIDE: u32 = 12_000;
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;
/// Photos per record field (an item, a report, a rectification).
pub const MAX_PER_FIELD: usize = 9;

/// Uploads waiting for decode memory at once; more get 429 at once (each holds its body).
const MAX_WAITING: usize = 16;
/// How long an upload waits for decode memory before 429.
const DECODE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
const MIB: u64 = 1024 * 1024;

/// The aggregate bounds on photo uploads, per process: the memory all decodes in flight may
/// take (a semaphore of MiB), and the pixels each user may send per minute. Per-image caps
/// alone let 48 parallel 9000×9000 uploads take 10 GB.
pub struct UploadLimits {
    decode: std::sync::Arc<tokio::sync::Semaphore>,
    budget_mb: u32,
    waiting: std::sync::atomic::AtomicUsize,
    pixels_per_minute: u64,
    /// user → (start of the current minute, pixels in it). One entry per uploader; stale
    /// entries are dropped whenever the map is touched.
    pixels: std::sync::Mutex<std::collections::HashMap<Uuid, (std::time::Instant, u64)>>,
}

impl UploadLimits {
    pub fn new(settings: &crate::infra::config::Settings) -> Self {
        let budget_mb = settings.upload_decode_memory_mb.max(1);
        Self {
            decode: std::sync::Arc::new(tokio::sync::Semaphore::new(budget_mb as usize)),
            budget_mb,
            waiting: Default::default(),
            pixels_per_minute: settings.upload_pixels_per_minute,
            pixels: Default::default(),
        }
    }

    /// Counts `pixels` against the user's minute, or refuses the upload (429) without counting.
    fn reserve_pixels(&self, user: Uuid, pixels: u64) -> AppResult<()> {
        let now = std::time::Instant::now();
        let minute = std::time::Duration::from_secs(60);
        let mut map = self.pixels.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (start, _)| now.duration_since(*start) < minute);
        let (start, used) = map.entry(user).or_insert((now, 0));
        if used.saturating_add(pixels) > self.pixels_per_minute {
            let wait = minute.saturating_sub(now.duration_since(*start)).as_secs() + 1;
            return Err(ApiError {
                retry_after_secs: Some(wait),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::UploadRateLimited,
                    "上传的图片过多,请稍后再试",
                )
            });
        }
        *used += pixels;
        Ok(())
    }

    /// Memory for one decode, held until the permit is dropped.
    async fn decode_permit(&self, bytes: u64) -> AppResult<tokio::sync::OwnedSemaphorePermit> {
        let mb = bytes.div_ceil(MIB).max(1);
        if mb > u64::from(self.budget_mb) {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::ImageTooLarge,
                "图片像素过多,请缩小后再上传",
            ));
        }
        let busy = || ApiError {
            retry_after_secs: Some(2),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::UploadsBusy,
                "服务器正在处理较多图片,请稍后重试",
            )
        };
        let mb = u32::try_from(mb).map_err(|_| busy())?;
        if let Ok(p) = self.decode.clone().try_acquire_many_owned(mb) {
            return Ok(p);
        }
        use std::sync::atomic::Ordering;
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(busy());
        }
        let got =
            tokio::time::timeout(DECODE_WAIT, self.decode.clone().acquire_many_owned(mb)).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match got {
            Ok(Ok(p)) => Ok(p),
            _ => Err(busy()),
        }
    }
}

/// What decoding an image of this size may allocate: the widest pixel format (RGBA, 4 bytes)
/// plus the thumbnail, bounded by the decoder's own cap.
fn decode_bytes(width: u32, height: u32) -> u64 {
    (u64::from(width) * u64::from(height) * 4).min(MAX_DECODE_ALLOC) + MIB
}

/// The size in the image's header, read without decoding it.
fn dimensions(bytes: &[u8], format: image::ImageFormat) -> AppResult<(u32, u32)> {
    let invalid = || ApiError::unprocessable(ErrorCode::InvalidImage, "图片文件已损坏或无法识别");
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes));
    reader.set_format(format);
    let (w, h) = reader.into_dimensions().map_err(|_| invalid())?;
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(invalid());
    }
    Ok((w, h))
}

/// Bytes of photos the user has stored.
async fn stored_bytes(db: &impl ConnectionTrait, user: Uuid) -> AppResult<i64> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::ExprTrait;
    let sum: Option<Option<i64>> = model::Entity::find()
        .select_only()
        .column_as(
            sea_orm::sea_query::Expr::col(model::Column::SizeBytes)
                .sum()
                .cast_as("BIGINT"),
            "total",
        )
        .filter(model::Column::UploadedBy.eq(user))
        .into_tuple()
        .one(db)
        .await?;
    Ok(sum.flatten().unwrap_or(0))
}

pub const LINK_SUBMISSION: &str = "submission";
pub const LINK_HAZARD: &str = "hazard";
pub const LINK_FIRE_CHECK: &str = "fire_check";

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

/// The image format from the file's first bytes; the name and declared type are ignored.
fn sniff(bytes: &[u8]) -> Option<(image::ImageFormat, &'static str, &'static str)> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some((image::ImageFormat::Jpeg, "image/jpeg", "jpg"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some((image::ImageFormat::Png, "image/png", "png"))
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some((image::ImageFormat::WebP, "image/webp", "webp"))
    } else {
        None
    }
}

struct Checked {
    width: u32,
    height: u32,
    thumbnail: Vec<u8>,
}

/// Decodes the whole image (a valid header is not enough) and makes the thumbnail.
fn decode_and_thumbnail(bytes: &[u8], format: image::ImageFormat) -> Result<Checked, ApiError> {
    let invalid = || ApiError::unprocessable(ErrorCode::InvalidImage, "图片文件已损坏或无法识别");
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes));
    reader.set_format(format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| invalid())?;
    let (width, height) = (img.width(), img.height());
    let thumb = image::DynamicImage::ImageRgb8(img.thumbnail(THUMB_SIZE, THUMB_SIZE).to_rgb8());
    let mut out = Vec::new();
    thumb
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out, 80,
        ))
        .map_err(|_| invalid())?;
    Ok(Checked {
        width,
        height,
        thumbnail: out,
    })
}

fn remove_quietly(paths: &[PathBuf]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}

/// Writes both files, or neither.
fn store_files(
    dir: &Path,
    file: (&str, &[u8]),
    thumb: (&str, &[u8]),
) -> Result<(), std::io::Error> {
    // Photos of a school (and of minors): readable by the server's user only.
    crate::infra::keys::create_private_dir(dir)?;
    let mut written = Vec::new();
    for (name, bytes) in [file, thumb] {
        let path = dir.join(name);
        let tmp = dir.join(format!("{name}.part"));
        let res = crate::infra::keys::write_private(&tmp, bytes)
            .and_then(|_| std::fs::rename(&tmp, &path));
        if let Err(e) = res {
            let _ = std::fs::remove_file(&tmp);
            remove_quietly(&written);
            return Err(e);
        }
        written.push(path);
    }
    Ok(())
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
            if buf.len() + chunk.len() > MAX_BYTES {
                return Err(too_large());
            }
            buf.extend_from_slice(&chunk);
        }
        if is_file {
            file = Some(buf);
        }
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return Err(ApiError::validation(vec![FieldError {
            field: "file".into(),
            code: "required".into(),
            message: "请选择要上传的图片".into(),
            line: None,
        }]));
    };
    let (format, content_type, ext) = sniff(&bytes).ok_or_else(unsupported)?;
    // Aggregate bounds, cheapest first, all before any pixel is decoded.
    let (width, height) = dimensions(&bytes, format)?;
    let quota = state.settings.upload_quota_mb.saturating_mul(MIB);
    let stored = u64::try_from(stored_bytes(&state.db.conn, auth.user.id).await?).unwrap_or(0);
    if stored.saturating_add(bytes.len() as u64) > quota {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::AttachmentQuotaExceeded,
            "您上传的图片已达存储上限,请联系保卫处",
        ));
    }
    let limits = &state.uploads;
    limits.reserve_pixels(auth.user.id, u64::from(width) * u64::from(height))?;
    let permit = limits.decode_permit(decode_bytes(width, height)).await?;
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
        let checked = decode_and_thumbnail(&bytes, format);
        // The decoded pixels are gone: the memory goes back to the budget.
        drop(permit);
        let checked = checked?;
        store_files(&dir2, (&fname, &bytes), (&tname, &checked.thumbnail)).map_err(|e| {
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
            uploaded_at: Set(crate::infra::util::now()),
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
            remove_quietly(&files);
            Err(e)
        }
    }
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<model::Model> {
    model::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::AttachmentNotFound, "图片不存在"))
}

/// The uploader always may; otherwise whoever may see the record it is linked to. An
/// unreferenced upload is the uploader's alone (404 for others, so its existence is not told).
async fn require_view(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    a: &model::Model,
) -> AppResult<()> {
    if a.uploaded_by == user.id {
        return Ok(());
    }
    let allowed = match (a.linked_kind.as_deref(), a.linked_id) {
        (Some(LINK_SUBMISSION), Some(root)) => {
            crate::features::inspections::may_view_submission_root(db, user, root).await?
                || crate::features::hazards::may_view_hazard_with_photo(db, user, a.id).await?
        }
        (Some(LINK_HAZARD), Some(id)) => {
            crate::features::hazards::may_view_hazard_id(db, user, id).await?
        }
        // Fire checks are seen by whoever reads the fire registry, and by those who see the
        // hazard a failed check raised.
        (Some(LINK_FIRE_CHECK), Some(_)) => {
            crate::features::fire::may_read(user)
                || crate::features::hazards::may_view_hazard_with_photo(db, user, a.id).await?
        }
        _ => {
            return Err(ApiError::not_found(
                ErrorCode::AttachmentNotFound,
                "图片不存在",
            ));
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            ErrorCode::AttachmentForbidden,
            "无权查看此图片(它属于您无权查看的记录)",
        ))
    }
}

async fn serve(
    state: &State,
    user: &CurrentUser,
    id: Uuid,
    thumbnail: bool,
) -> AppResult<HttpResponse> {
    let a = find(&state.db.conn, id).await?;
    require_view(&state.db.conn, user, &a).await?;
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
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
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
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    serve(&state, &auth.user, id.into_inner(), false).await
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
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    serve(&state, &auth.user, id.into_inner(), true).await
}

/// Links the caller's uploads to a record. Each id must be the caller's own upload, not yet
/// linked elsewhere (re-linking to the same record is fine, e.g. an amendment keeping photos).
pub async fn claim(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    ids: &[Uuid],
    kind: &str,
    linked_id: Uuid,
    field: &str,
) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let unique: HashSet<Uuid> = ids.iter().copied().collect();
    let rows = model::Entity::find()
        .filter(model::Column::Id.is_in(unique.iter().copied()))
        .all(db)
        .await?;
    let mut errors = Vec::new();
    for id in &unique {
        let err = |code: &str, message: &str| FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
            line: None,
        };
        match rows.iter().find(|r| r.id == *id) {
            None => errors.push(err("attachment_not_found", "图片不存在")),
            Some(r) if r.uploaded_by != user_id => {
                errors.push(err("attachment_not_found", "图片不存在"))
            }
            Some(r) => match (r.linked_kind.as_deref(), r.linked_id) {
                (None, _) => {}
                (Some(k), Some(l)) if k == kind && l == linked_id => {}
                _ => errors.push(err("attachment_in_use", "图片已用于其他记录")),
            },
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    model::Entity::update_many()
        .col_expr(
            model::Column::LinkedKind,
            sea_orm::sea_query::Expr::value(kind),
        )
        .col_expr(
            model::Column::LinkedId,
            sea_orm::sea_query::Expr::value(linked_id),
        )
        .filter(model::Column::Id.is_in(unique))
        .filter(model::Column::LinkedId.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(upload_attachment)
        .service(get_attachment)
        .service(get_attachment_thumbnail);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_only() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0rest").map(|s| s.1),
            Some("image/jpeg")
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\nrest").map(|s| s.1),
            Some("image/png")
        );
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 ").map(|s| s.1),
            Some("image/webp")
        );
        assert!(sniff(b"GIF89a").is_none());
        assert!(sniff(b"hello, this is text").is_none());
    }

    #[test]
    fn truncated_png_is_refused_by_decoding() {
        let bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
        assert!(decode_and_thumbnail(bytes, image::ImageFormat::Png).is_err());
    }
}
