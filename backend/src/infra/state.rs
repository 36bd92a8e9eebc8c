//! What every handler can reach: the database, settings and the school's time zone. A feature's
//! own process-wide data (sign-in keys, the gate's key cache and writer …) is its own `app_data`.

use crate::infra::config::Settings;
use crate::infra::db::Db;
use actix_web::web;

pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub tz: chrono_tz::Tz,
}

pub type State = web::Data<AppState>;
