//! Secrets kept in the data directory when not configured (the JWT signing key, the master
//! key that seals the secrets in the database), and files only the server may read.

use crate::infra::config::Settings;
use crate::infra::error::BoxError;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use std::io::Write;
use std::path::Path;

/// The configured JWT secret, or the one in `<data_dir>/jwt.key` (made on first start).
pub fn jwt_secret(settings: &Settings) -> Result<Vec<u8>, BoxError> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = settings.data_dir.join("jwt.key");
    load_or_create(&path, 64)
}

/// Reads a base64 secret from `path`, or writes a new random one (mode 0600) and returns it.
pub fn load_or_create(path: &Path, bytes: usize) -> Result<Vec<u8>, BoxError> {
    if path.exists() {
        let text = std::fs::read_to_string(path)?;
        let key = STANDARD
            .decode(text.trim())
            .map_err(|_| format!("{} is not valid base64", path.display()))?;
        if key.len() < 32 {
            return Err(format!("{} holds fewer than 32 bytes", path.display()).into());
        }
        return Ok(key);
    }
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    let mut key = vec![0u8; bytes];
    getrandom::fill(&mut key).map_err(|e| format!("no randomness: {e}"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(STANDARD.encode(&key).as_bytes())?;
            file.sync_all()?;
            Ok(key)
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create(path, bytes),
        Err(e) => Err(e.into()),
    }
}

/// The key-encryption key that seals the secrets kept in the database (the pass signing
/// seeds, the ID-number hash key), so that a leaked database or backup alone forges nothing.
/// From `XIAOAN_MASTER_KEY` (base64, at least 32 bytes) or `<data_dir>/master.key` (made on
/// first start, mode 0600); replicas over one database must share it, like `jwt.key`.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

/// Sealed values start with this, so a plain value (from before encryption) is told apart.
const SEALED_PREFIX: &str = "kek1:";

impl std::fmt::Debug for MasterKey {
    // Never print the key itself.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<secret>)")
    }
}

impl MasterKey {
    /// The configured key, or the one in `<data_dir>/master.key` (made on first start).
    pub fn load(settings: &Settings) -> Result<Self, BoxError> {
        match &settings.master_key {
            Some(text) => {
                Self::from_base64(text).map_err(|e| format!("XIAOAN_MASTER_KEY {e}").into())
            }
            None => Ok(Self::from_material(&load_or_create(
                &master_key_path(settings),
                32,
            )?)),
        }
    }

    /// A new random key (for `xiaoan rotate-master-key`).
    pub fn generate() -> Result<(Self, String), BoxError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| format!("no randomness: {e}"))?;
        Ok((Self::from_material(&key), STANDARD.encode(key)))
    }

    pub fn from_base64(text: &str) -> Result<Self, String> {
        let material = STANDARD
            .decode(text.trim())
            .map_err(|_| "is not valid base64".to_owned())?;
        if material.len() < 32 {
            return Err("holds fewer than 32 bytes".into());
        }
        Ok(Self::from_material(&material))
    }

    /// Any length of key material (at least 32 random bytes) becomes one 256-bit AEAD key.
    fn from_material(material: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        Self(
            Sha256::new()
                .chain_update(b"xiaoan master key v1\0")
                .chain_update(material)
                .finalize()
                .into(),
        )
    }

    fn aead(&self) -> Result<ring::aead::LessSafeKey, BoxError> {
        let unbound = ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &self.0)
            .map_err(|_| "cannot set up the master key")?;
        Ok(ring::aead::LessSafeKey::new(unbound))
    }

    /// Encrypts `plain`, bound to `context` (e.g. the row it belongs to, so that a sealed
    /// value copied into another row does not open there).
    pub fn seal(&self, context: &str, plain: &[u8]) -> Result<String, BoxError> {
        use ring::aead::{Aad, NONCE_LEN, Nonce};
        let mut nonce = [0u8; NONCE_LEN];
        // Random 96-bit nonces: a handful of values are ever sealed under one key.
        getrandom::fill(&mut nonce).map_err(|e| format!("no randomness: {e}"))?;
        let mut buf = plain.to_vec();
        self.aead()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .map_err(|_| "encryption failed")?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Decrypts a value made by [`seal`](Self::seal) with the same context.
    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, OpenError> {
        use ring::aead::{Aad, NONCE_LEN, Nonce};
        let body = sealed.strip_prefix(SEALED_PREFIX).ok_or(OpenError::Plain)?;
        let raw = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| OpenError::WrongKey)?;
        if raw.len() < NONCE_LEN {
            return Err(OpenError::WrongKey);
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError::WrongKey)?;
        let mut buf = rest.to_vec();
        let aead = self.aead().map_err(|_| OpenError::WrongKey)?;
        let plain = aead
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .map_err(|_| OpenError::WrongKey)?;
        Ok(plain.to_vec())
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// A value stored before encryption at rest (sealed on the next start).
    #[error("the value is not encrypted")]
    Plain,
    #[error(
        "a secret in the database does not decrypt with this master key \
         (XIAOAN_MASTER_KEY or <data_dir>/master.key is not the key it was sealed with)"
    )]
    WrongKey,
}

/// Whether a stored value is sealed (rather than a plain value from an older version).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED_PREFIX)
}

pub fn master_key_path(settings: &Settings) -> std::path::PathBuf {
    settings.data_dir.join("master.key")
}

/// Creates `dir` (and missing parents) readable by the server's user only (0700).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates (or truncates) `path` with mode 0600 and writes `bytes` to it.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = private_options().truncate(true).open(path)?;
    file.write_all(bytes)
}

/// Copies `from` to a new or truncated `to` with mode 0600, whatever the mode of `from`.
pub fn copy_private(from: &Path, to: &Path) -> std::io::Result<u64> {
    let mut src = std::fs::File::open(from)?;
    let mut dst = private_options().truncate(true).open(to)?;
    std::io::copy(&mut src, &mut dst)
}

/// Creates `path` empty with mode 0600 if it does not exist; a program that then opens it
/// (SQLite, `pg_dump`) keeps that mode, and SQLite gives its WAL and shared-memory files the
/// mode of the database file.
pub fn touch_private(path: &Path) -> std::io::Result<()> {
    private_options().open(path).map(|_| ())
}

fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}
