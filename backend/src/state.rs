//! What every handler can reach: the database, settings, keys and the sign-in throttle.

use crate::auth::jwt::JwtKeys;
use crate::auth::throttle::Throttle;
use crate::config::Settings;
use crate::db::Db;
use actix_web::web;

pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub tz: chrono_tz::Tz,
    pub jwt: JwtKeys,
    pub throttle: Throttle,
    /// A real argon2id hash of a random password, verified when a user is unknown.
    pub dummy_hash: String,
}

pub type State = web::Data<AppState>;
