//! Small shared helpers: random secrets, hashing, QR codes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// `bytes` bytes from the OS's CSPRNG, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

pub fn sha256_hex(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A QR code as SVG with its quiet zone, at least `size` pixels square (pass QR codes, fire
/// equipment and patrol checkpoint labels).
pub fn qr_svg(
    data: &str,
    ec: qrcode::EcLevel,
    size: u32,
) -> Result<String, crate::infra::error::ApiError> {
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), ec)
        .map_err(|_| crate::infra::error::ApiError::internal())?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(size, size)
        .quiet_zone(true)
        .build())
}

/// For PATCH fields where `null` clears the value and an absent field leaves it alone: use with
/// `#[serde(default, deserialize_with = "crate::infra::util::double_option")]` on an
/// `Option<Option<T>>` (absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`).
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// Parses a stored JSON column. Corrupt data is a server error (logged with the column and the
/// row's id, never the value: it may hold personal data), not silently an empty value.
pub fn stored_json<T: serde::de::DeserializeOwned>(
    column: &'static str,
    id: impl std::fmt::Display,
    s: &str,
) -> crate::infra::error::AppResult<T> {
    serde_json::from_str(s).map_err(|e| {
        tracing::error!(column, %id, error = %e, "a stored JSON column does not parse");
        crate::infra::error::ApiError::internal()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = random_token(32).unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32).unwrap());
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
