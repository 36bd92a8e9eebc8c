//! argon2id password hashing with OWASP's parameters, always off the async workers.

use crate::infra::error::{ApiError, AppResult};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn hasher() -> Argon2<'static> {
    // OWASP: m = 19 MiB, t = 2, p = 1. Params::new only fails on out-of-range values.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

pub fn verify_blocking(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|_| ApiError::internal())
}

/// Verifies against `phc`, or against a dummy hash when the user is unknown, so that an
/// unknown user costs the same time as a wrong password.
pub async fn verify(password: String, phc: Option<String>, dummy: &str) -> AppResult<bool> {
    let known = phc.is_some();
    let phc = phc.unwrap_or_else(|| dummy.to_owned());
    let ok = tokio::task::spawn_blocking(move || verify_blocking(&password, &phc))
        .await
        .map_err(|_| ApiError::internal())?;
    Ok(ok && known)
}

pub fn validate_new_password(v: &mut crate::infra::error::Validator, field: &str, password: &str) {
    let n = password.chars().count();
    if n < 8 {
        v.add(field, "too_short", "密码至少 8 位");
    } else if n > 128 {
        v.add(field, "too_long", "密码最多 128 位");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_blocking("xiaoan-demo").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_blocking("xiaoan-demo", &h));
        assert!(!verify_blocking("wrong", &h));
        assert!(!verify_blocking("xiaoan-demo", "not a hash"));
    }
}
