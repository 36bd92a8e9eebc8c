//! Sign-in's process-wide data, registered as its own `app_data` (not in `AppState`, so that
//! infrastructure does not depend on `auth`).

use super::jwt::JwtKeys;
use super::session_cache::SessionCache;
use super::throttle::Throttle;
use actix_web::web;

pub struct AuthState {
    pub jwt: JwtKeys,
    pub throttle: Throttle,
    /// A real argon2id hash of a random password, verified when a user is unknown.
    pub dummy_hash: String,
    /// Recent access-token session checks (SQLite only; see `session_cache`).
    pub sessions: SessionCache,
}

/// What handlers name to reach it.
pub type Auths = web::Data<AuthState>;
