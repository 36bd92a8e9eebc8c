//! The aggregate bounds on photo uploads, per process.

use super::image::MIB;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use actix_web::http::StatusCode;
use uuid::Uuid;

/// Uploads waiting for decode memory at once; more get 429 at once (each holds its body).
const MAX_WAITING: usize = 16;
/// How long an upload waits for decode memory before 429.
const DECODE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

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
    pub(super) fn reserve_pixels(&self, user: Uuid, pixels: u64) -> AppResult<()> {
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
    pub(super) async fn decode_permit(
        &self,
        bytes: u64,
    ) -> AppResult<tokio::sync::OwnedSemaphorePermit> {
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
