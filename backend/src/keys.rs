//! Secrets kept in the data directory when not configured: the JWT signing key.

use crate::app::BoxError;
use crate::config::Settings;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
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
        std::fs::create_dir_all(dir)?;
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
