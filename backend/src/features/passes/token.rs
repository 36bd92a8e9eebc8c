//! The leave-pass credential (format `XA1`): encoding, signing and verification. Pure code,
//! no I/O, so the guard's phone can do byte for byte what the server does.
//!
//! # Format `XA1`
//!
//! ```text
//! XA1.<base64url(payload)>.<base64url(signature)>
//! ```
//!
//! base64url is RFC 4648 §5 **without padding**. `signature` is the 64-byte Ed25519 signature
//! (RFC 8032, pure Ed25519) of the **decoded payload bytes**. The payload (all integers
//! big-endian):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | format version, `0x01` |
//! | 1 | 8 | key id (kid): the raw bytes whose base64url is `kid` in `GET /gate/keys` |
//! | 9 | 16 | pass id (UUID bytes) |
//! | 25 | 16 | student id (UUID bytes) |
//! | 41 | 1 | kind: `0` = `exit_only`, `1` = `exit_and_return` |
//! | 42 | 4 | valid from, unix seconds (u32) |
//! | 46 | 4 | valid until, unix seconds (u32) |
//! | 50 | 4 | return by, unix seconds (u32), `0` = none |
//! | 54 | 1 | n = length in bytes of the display name |
//! | 55 | n | student display name, UTF-8 (cut at a character boundary, ≤ 30 bytes) |
//! | 55+n | 1 | m = length in bytes of the class name |
//! | 56+n | m | class name, UTF-8 (cut at a character boundary, ≤ 60 bytes) |
//!
//! Nothing may follow. A token is at most 286 characters. No phone number, ID-card number or
//! reason is ever in it.
//!
//! # Verifying (server and phone alike)
//! 1. Split on `.`: exactly three parts, the first `XA1`; decode both others (payload 56–146
//!    bytes, signature exactly 64) — else `malformed_token`.
//! 2. Read **only** the version byte and the kid (bytes 1–8) to choose the public key —
//!    unknown kid: `unknown_key`.
//! 3. Verify the signature over the payload bytes — failure: `bad_signature`. Only then read
//!    the other fields.
//! 4. The validity window: `valid_from ≤ t < valid_until` (t = now online; the moment of the
//!    scan offline).

use crate::schema::gate::ScanCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use uuid::Uuid;

pub const PREFIX: &str = "XA1";
pub const VERSION: u8 = 1;
pub const KID_LEN: usize = 8;
const FIXED_LEN: usize = 54;
const NAME_MAX: usize = 30;
const CLASS_MAX: usize = 60;
const PAYLOAD_MAX: usize = FIXED_LEN + 2 + NAME_MAX + CLASS_MAX;
/// The longest token this format can produce.
pub const TOKEN_MAX_LEN: usize = 4 + PAYLOAD_MAX.div_ceil(3) * 4 + 1 + 86;

pub use crate::schema::passes::PassKind;

/// What a pass token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub kid: [u8; KID_LEN],
    pub pass_id: Uuid,
    pub student_id: Uuid,
    pub kind: PassKind,
    pub valid_from: i64,
    pub valid_until: i64,
    pub return_by: Option<i64>,
    pub student_name: String,
    pub class_name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    UnknownKey,
    BadSignature,
}

impl TokenError {
    pub fn code(self) -> ScanCode {
        match self {
            TokenError::Malformed => ScanCode::MalformedToken,
            TokenError::UnknownKey => ScanCode::UnknownKey,
            TokenError::BadSignature => ScanCode::BadSignature,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowError {
    NotYetValid,
    Expired,
}

/// `s` cut to at most `max` bytes at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn secs(t: i64) -> [u8; 4] {
    u32::try_from(t.max(0)).unwrap_or(u32::MAX).to_be_bytes()
}

pub fn encode_payload(c: &Claims) -> Vec<u8> {
    let name = cut(&c.student_name, NAME_MAX).as_bytes();
    let class = cut(&c.class_name, CLASS_MAX).as_bytes();
    let mut p = Vec::with_capacity(FIXED_LEN + 2 + name.len() + class.len());
    p.push(VERSION);
    p.extend_from_slice(&c.kid);
    p.extend_from_slice(c.pass_id.as_bytes());
    p.extend_from_slice(c.student_id.as_bytes());
    p.push(match c.kind {
        PassKind::ExitOnly => 0,
        PassKind::ExitAndReturn => 1,
    });
    p.extend_from_slice(&secs(c.valid_from));
    p.extend_from_slice(&secs(c.valid_until));
    p.extend_from_slice(&secs(c.return_by.unwrap_or(0)));
    p.push(name.len() as u8);
    p.extend_from_slice(name);
    p.push(class.len() as u8);
    p.extend_from_slice(class);
    p
}

/// Signs claims into a token. `claims.kid` must be the kid of `key`.
pub fn sign(claims: &Claims, key: &SigningKey) -> String {
    let payload = encode_payload(claims);
    let sig = key.sign(&payload);
    format!(
        "{PREFIX}.{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(sig.to_bytes())
    )
}

/// A token's decoded parts: payload, signature, kid.
type Parts = (Vec<u8>, [u8; 64], [u8; KID_LEN]);

/// Splits and decodes a token and returns its kid, without trusting anything else yet.
fn split(token: &str) -> Result<Parts, TokenError> {
    let token = token.trim();
    if token.len() > TOKEN_MAX_LEN {
        return Err(TokenError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(prefix), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    if prefix != PREFIX {
        return Err(TokenError::Malformed);
    }
    let payload = URL_SAFE_NO_PAD
        .decode(p)
        .map_err(|_| TokenError::Malformed)?;
    let sig: [u8; 64] = URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(TokenError::Malformed)?;
    if payload.len() < FIXED_LEN + 2 || payload.len() > PAYLOAD_MAX || payload[0] != VERSION {
        return Err(TokenError::Malformed);
    }
    let mut kid = [0u8; KID_LEN];
    kid.copy_from_slice(&payload[1..1 + KID_LEN]);
    Ok((payload, sig, kid))
}

/// The kid a token names (for choosing the key); nothing else is read.
pub fn kid_of(token: &str) -> Result<[u8; KID_LEN], TokenError> {
    split(token).map(|(_, _, kid)| kid)
}

/// Verifies a token: the signature first (with the key `lookup` returns for its kid), then
/// decodes the claims.
pub fn verify(
    token: &str,
    lookup: impl FnOnce(&[u8; KID_LEN]) -> Option<VerifyingKey>,
) -> Result<Claims, TokenError> {
    let (payload, sig, kid) = split(token)?;
    let key = lookup(&kid).ok_or(TokenError::UnknownKey)?;
    key.verify_strict(&payload, &Signature::from_bytes(&sig))
        .map_err(|_| TokenError::BadSignature)?;
    decode_signed(&payload, kid)
}

fn decode_signed(p: &[u8], kid: [u8; KID_LEN]) -> Result<Claims, TokenError> {
    let u32_at = |i: usize| -> i64 {
        let mut b = [0u8; 4];
        b.copy_from_slice(&p[i..i + 4]);
        i64::from(u32::from_be_bytes(b))
    };
    let uuid_at = |i: usize| -> Result<Uuid, TokenError> {
        Uuid::from_slice(&p[i..i + 16]).map_err(|_| TokenError::Malformed)
    };
    let kind = match p[41] {
        0 => PassKind::ExitOnly,
        1 => PassKind::ExitAndReturn,
        _ => return Err(TokenError::Malformed),
    };
    let n = p[54] as usize;
    let name_end = 55 + n;
    if p.len() < name_end + 1 {
        return Err(TokenError::Malformed);
    }
    let m = p[name_end] as usize;
    if p.len() != name_end + 1 + m {
        return Err(TokenError::Malformed);
    }
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| TokenError::Malformed);
    let return_by = u32_at(50);
    Ok(Claims {
        kid,
        pass_id: uuid_at(9)?,
        student_id: uuid_at(25)?,
        kind,
        valid_from: u32_at(42),
        valid_until: u32_at(46),
        return_by: (return_by != 0).then_some(return_by),
        student_name: text(&p[55..name_end])?,
        class_name: text(&p[name_end + 1..])?,
    })
}

/// Is the pass valid at unix time `at`?
pub fn check_window(c: &Claims, at: i64) -> Result<(), WindowError> {
    if at < c.valid_from {
        Err(WindowError::NotYetValid)
    } else if at >= c.valid_until {
        Err(WindowError::Expired)
    } else {
        Ok(())
    }
}

pub fn kid_to_string(kid: &[u8; KID_LEN]) -> String {
    URL_SAFE_NO_PAD.encode(kid)
}

pub fn kid_from_str(s: &str) -> Option<[u8; KID_LEN]> {
    URL_SAFE_NO_PAD.decode(s).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn claims() -> Claims {
        Claims {
            kid: [7; KID_LEN],
            pass_id: Uuid::now_v7(),
            student_id: Uuid::now_v7(),
            kind: PassKind::ExitAndReturn,
            valid_from: 1_780_000_000,
            valid_until: 1_780_003_600,
            return_by: Some(1_780_003_000),
            student_name: "欧阳子涵".into(),
            class_name: "2019级旅游服务与管理1班".into(),
        }
    }

    fn lookup(k: &SigningKey) -> impl FnOnce(&[u8; KID_LEN]) -> Option<VerifyingKey> + '_ {
        move |kid| (*kid == [7; KID_LEN]).then(|| k.verifying_key())
    }

    #[test]
    fn round_trip_and_size() {
        let k = key(1);
        let c = claims();
        let t = sign(&c, &k);
        assert!(t.starts_with("XA1."));
        assert!(t.len() <= 300, "{} chars", t.len());
        assert_eq!(verify(&t, lookup(&k)), Ok(c));
        const { assert!(TOKEN_MAX_LEN <= 300) };
    }

    #[test]
    fn longest_names_are_cut_and_fit() {
        let k = key(1);
        let mut c = claims();
        c.student_name = "名".repeat(100);
        c.class_name = "班".repeat(100);
        let t = sign(&c, &k);
        assert!(t.len() <= TOKEN_MAX_LEN, "{} > {TOKEN_MAX_LEN}", t.len());
        let back = verify(&t, lookup(&k)).unwrap();
        assert_eq!(back.student_name, "名".repeat(10));
        assert_eq!(back.class_name, "班".repeat(20));
    }

    #[test]
    fn tampered_payload_fails_the_signature() {
        let k = key(1);
        let t = sign(&claims(), &k);
        let (head, sig) = t.rsplit_once('.').unwrap();
        let (_, payload) = head.split_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(payload).unwrap();
        bytes[47] ^= 1; // push valid_until
        let forged = format!("XA1.{}.{sig}", URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(verify(&forged, lookup(&k)), Err(TokenError::BadSignature));
        let mut s = URL_SAFE_NO_PAD.decode(sig).unwrap();
        s[0] ^= 1;
        let forged = format!("{head}.{}", URL_SAFE_NO_PAD.encode(&s));
        assert_eq!(verify(&forged, lookup(&k)), Err(TokenError::BadSignature));
    }

    #[test]
    fn truncated_or_garbage_is_malformed() {
        let k = key(1);
        let t = sign(&claims(), &k);
        for bad in [
            &t[..t.len() - 5],
            &t[..60],
            "XA1..",
            "",
            "XA2.AAAA.AAAA",
            "hello world",
        ] {
            assert_eq!(verify(bad, lookup(&k)), Err(TokenError::Malformed), "{bad}");
        }
        assert_eq!(
            verify(&format!("{t}.x"), lookup(&k)),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn wrong_key_and_unknown_kid() {
        let t = sign(&claims(), &key(1));
        let other = key(2);
        assert_eq!(verify(&t, lookup(&other)), Err(TokenError::BadSignature));
        assert_eq!(verify(&t, |_| None), Err(TokenError::UnknownKey));
    }

    #[test]
    fn window() {
        let c = claims();
        assert_eq!(
            check_window(&c, c.valid_from - 1),
            Err(WindowError::NotYetValid)
        );
        assert_eq!(check_window(&c, c.valid_from), Ok(()));
        assert_eq!(check_window(&c, c.valid_until), Err(WindowError::Expired));
    }

    #[test]
    fn kid_text_round_trips() {
        let kid = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(kid_from_str(&kid_to_string(&kid)), Some(kid));
        assert_eq!(kid_to_string(&kid).len(), 11);
    }

    /// The tokens the SPA's offline verifier is tested against
    /// (`frontend/tests/fixtures/xa1-tokens.json`), made here by the real signer so that the
    /// browser and the server agree byte for byte. Ed25519 is deterministic: the fixture is
    /// checked, not rewritten; `XIAOAN_WRITE_FIXTURES=1` rewrites it after a format change.
    #[test]
    fn phone_fixture_matches_the_signer() {
        let k = SigningKey::from_bytes(&[42; 32]);
        let other = SigningKey::from_bytes(&[43; 32]);
        let kid = [0x58, 0x41, 0x31, 0x2d, 0x74, 0x65, 0x73, 0x74];
        let other_kid = [9; KID_LEN];
        let base = Claims {
            kid,
            pass_id: Uuid::parse_str("0192f0a0-0000-7000-8000-000000000001").unwrap(),
            student_id: Uuid::parse_str("0192f0a0-0000-7000-8000-0000000000aa").unwrap(),
            kind: PassKind::ExitAndReturn,
            valid_from: 1_790_000_000,
            valid_until: 1_790_007_200,
            return_by: Some(1_790_006_000),
            student_name: "欧阳子涵".into(),
            class_name: "2024级计算机应用1班".into(),
        };
        let good = sign(&base, &k);
        let exit_only = sign(
            &Claims {
                pass_id: Uuid::parse_str("0192f0a0-0000-7000-8000-000000000002").unwrap(),
                kind: PassKind::ExitOnly,
                return_by: None,
                student_name: "李明".into(),
                ..base.clone()
            },
            &k,
        );
        let revoked = sign(
            &Claims {
                pass_id: Uuid::parse_str("0192f0a0-0000-7000-8000-000000000003").unwrap(),
                ..base.clone()
            },
            &k,
        );
        let unknown_key = sign(
            &Claims {
                kid: other_kid,
                ..base.clone()
            },
            &other,
        );
        // One bit of valid_until flipped after signing.
        let (head, sig) = good.rsplit_once('.').unwrap();
        let (_, payload) = head.split_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(payload).unwrap();
        bytes[49] ^= 1;
        let tampered = format!("XA1.{}.{sig}", URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(
            verify(&tampered, |_| Some(k.verifying_key())),
            Err(TokenError::BadSignature)
        );
        let fixture = serde_json::json!({
            "about": "Made by backend/src/passes/token.rs (phone_fixture_matches_the_signer). Do not edit.",
            "keys": [{
                "kid": kid_to_string(&kid),
                "alg": "Ed25519",
                "public_key": URL_SAFE_NO_PAD.encode(k.verifying_key().as_bytes()),
            }],
            "inside": 1_790_003_600,
            "after": 1_790_007_200,
            "before": 1_789_999_999,
            "revoked_pass_id": "0192f0a0-0000-7000-8000-000000000003",
            "claims": {
                "kid": kid_to_string(&kid),
                "pass_id": base.pass_id,
                "student_id": base.student_id,
                "kind": "exit_and_return",
                "valid_from": base.valid_from,
                "valid_until": base.valid_until,
                "return_by": base.return_by,
                "student_name": base.student_name,
                "class_name": base.class_name,
            },
            "tokens": {
                "good": good,
                "exit_only": exit_only,
                "revoked": revoked,
                "unknown_key": unknown_key,
                "tampered": tampered,
            },
        });
        let text = format!("{}\n", serde_json::to_string_pretty(&fixture).unwrap());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../frontend/tests/fixtures/xa1-tokens.json");
        if std::env::var_os("XIAOAN_WRITE_FIXTURES").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed,
            text,
            "{} is stale: rerun with XIAOAN_WRITE_FIXTURES=1",
            path.display()
        );
    }
}
