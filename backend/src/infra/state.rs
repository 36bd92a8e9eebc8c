//! What every handler can reach: the database, settings, keys and the sign-in throttle.

use crate::auth::jwt::JwtKeys;
use crate::auth::throttle::Throttle;
use crate::infra::config::Settings;
use crate::infra::db::Db;
use actix_web::web;

pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub tz: chrono_tz::Tz,
    pub jwt: JwtKeys,
    pub throttle: Throttle,
    /// A real argon2id hash of a random password, verified when a user is unknown.
    pub dummy_hash: String,
    /// Leave-pass verification keys by kid (immutable per kid, so safe to cache per process).
    pub pass_keys: crate::features::passes::KeyCache,
    /// Recent access-token session checks (SQLite only; see `auth::session_cache`).
    pub sessions: crate::auth::session_cache::SessionCache,
    /// SQLite only: the group-commit writer of gate scans (see `gate::ScanWriter`).
    pub scan_writer: Option<crate::features::gate::ScanWriter>,
}

pub type State = web::Data<AppState>;
