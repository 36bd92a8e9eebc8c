//! Access tokens: HS256 only, with `exp nbf iat iss aud sub` required and checked. Refresh
//! tokens are opaque random strings (see `session`), so the two cannot be swapped.

use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult};
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const ISSUER: &str = "xiaoan";
pub const AUDIENCE: &str = "xiaoan-api";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// The sign-in session; revoking it ends the token at once.
    pub sid: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl_secs: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_secs: i64) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err("JWT signing key must be at least 32 bytes".into());
        }
        let encoding = EncodingKey::from_secret(secret).map_err(|e| e.to_string())?;
        let decoding = DecodingKey::from_secret(secret).map_err(|e| e.to_string())?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 30;
        Ok(Self {
            encoding,
            decoding,
            validation,
            ttl_secs,
        })
    }

    pub fn issue(&self, user_id: Uuid, session_id: Uuid) -> AppResult<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id.to_string(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "cannot sign access token");
            ApiError::internal()
        })
    }

    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::ExpiredSignature => {
                        ApiError::unauthenticated(ErrorCode::TokenExpired, "登录已过期,请重新登录")
                    }
                    _ => ApiError::unauthenticated(
                        ErrorCode::InvalidToken,
                        "登录凭证无效,请重新登录",
                    ),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // jsonwebtoken >= 10 panics at the first encode without a crypto backend: prove we have one.
    #[test]
    fn round_trip() {
        let keys = JwtKeys::new(&[7u8; 32], 900).unwrap();
        let (u, s) = (Uuid::now_v7(), Uuid::now_v7());
        let token = keys.issue(u, s).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, u.to_string());
        assert_eq!(claims.sid, s.to_string());
        let other = JwtKeys::new(&[8u8; 32], 900).unwrap();
        assert!(other.verify(&token).is_err());
    }

    #[test]
    fn short_key_refused() {
        assert!(JwtKeys::new(b"short", 900).is_err());
    }
}
