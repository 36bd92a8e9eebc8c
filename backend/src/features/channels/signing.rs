//! Request signing, pure: Standard Webhooks (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`) and the DingTalk custom robot's `timestamp`/`sign` query.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The prefix of a Standard Webhooks secret; the rest is the base64 of the HMAC key.
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::sign(&key, message).as_ref().to_vec()
}

/// A new webhook secret: `whsec_` + base64 of 32 random bytes (the spec allows 24 to 64).
pub fn new_webhook_secret() -> Result<String, getrandom::Error> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)?;
    Ok(format!("{WEBHOOK_SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// The HMAC key of a `whsec_` secret; `None` when it is not one.
pub fn webhook_key(secret: &str) -> Option<Vec<u8>> {
    let key = STANDARD
        .decode(secret.strip_prefix(WEBHOOK_SECRET_PREFIX)?)
        .ok()?;
    (24..=64).contains(&key.len()).then_some(key)
}

/// One `v1,<base64>` signature over `{id}.{timestamp}.{body}`.
pub fn webhook_signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!("v1,{}", STANDARD.encode(hmac_sha256(key, &signed)))
}

/// The `webhook-signature` header: one signature per key, space-separated (the current key,
/// then, during a rotation's overlap, the previous one, so a receiver still holding the old
/// secret keeps verifying).
pub fn webhook_signature_header(keys: &[Vec<u8>], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| webhook_signature(k, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The DingTalk robot query suffix: `&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256 of
/// "<ms>\n<secret>" keyed with the secret>`.
pub fn dingtalk_query(secret: &str, timestamp_ms: i64) -> String {
    let to_sign = format!("{timestamp_ms}\n{secret}");
    let sign = STANDARD.encode(hmac_sha256(secret.as_bytes(), to_sign.as_bytes()));
    format!("&timestamp={timestamp_ms}&sign={}", url_encode(&sign))
}

/// Percent-encodes everything but RFC 3986 unreserved characters (enough for base64).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification (and its reference libraries).
    #[test]
    fn standard_webhooks_reference_vector() {
        let key = webhook_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            webhook_signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn overlap_signs_with_both_keys() {
        let a = webhook_key(&new_webhook_secret().unwrap()).unwrap();
        let b = webhook_key(&new_webhook_secret().unwrap()).unwrap();
        let header = webhook_signature_header(&[a.clone(), b.clone()], "id", 1, b"{}");
        let parts: Vec<_> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], webhook_signature(&a, "id", 1, b"{}"));
        assert_eq!(parts[1], webhook_signature(&b, "id", 1, b"{}"));
    }

    #[test]
    fn secrets_are_whsec_base64_of_32_bytes() {
        let s = new_webhook_secret().unwrap();
        assert!(s.starts_with("whsec_"));
        assert_eq!(webhook_key(&s).unwrap().len(), 32);
        assert!(webhook_key("whsec_short").is_none());
        assert!(webhook_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none());
    }

    // Python's hmac/base64/urllib.parse.quote_plus over the same input, as DingTalk documents.
    #[test]
    fn dingtalk_sign_matches_the_documented_recipe() {
        let q = dingtalk_query("this is secret", 1577262236757);
        assert_eq!(
            q,
            "&timestamp=1577262236757&sign=hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D"
        );
    }

    #[test]
    fn url_encoding_covers_base64() {
        assert_eq!(url_encode("a+b/c="), "a%2Bb%2Fc%3D");
    }
}
