//! What an upload is, decided from its bytes alone: the format by content, the size from the
//! header, then a full decode and the thumbnail. No I/O, no queries.

use crate::infra::error::{ApiError, AppResult, ErrorCode};

/// Longest side of a thumbnail, in pixels.
const THUMB_SIZE: u32 = 320;
/// Pixel bounds: a small file can still claim to be enormous (a decompression bomb).
const MAX_SIDE: u32 = 12_000;
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;
pub const MIB: u64 = 1024 * 1024;

/// What decoding an image of this size may allocate: the widest pixel format (RGBA, 4 bytes)
/// plus the thumbnail, bounded by the decoder's own cap.
pub fn decode_bytes(width: u32, height: u32) -> u64 {
    (u64::from(width) * u64::from(height) * 4).min(MAX_DECODE_ALLOC) + MIB
}

/// The size in the image's header, read without decoding it.
pub fn dimensions(bytes: &[u8], format: image::ImageFormat) -> AppResult<(u32, u32)> {
    let invalid = || ApiError::unprocessable(ErrorCode::InvalidImage, "图片文件已损坏或无法识别");
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes));
    reader.set_format(format);
    let (w, h) = reader.into_dimensions().map_err(|_| invalid())?;
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(invalid());
    }
    Ok((w, h))
}

/// The image format from the file's first bytes; the name and declared type are ignored.
pub fn sniff(bytes: &[u8]) -> Option<(image::ImageFormat, &'static str, &'static str)> {
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

pub struct Checked {
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
}

/// Decodes the whole image (a valid header is not enough) and makes the thumbnail.
pub fn decode_and_thumbnail(bytes: &[u8], format: image::ImageFormat) -> Result<Checked, ApiError> {
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
