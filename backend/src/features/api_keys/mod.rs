//! Integration keys for third parties (a turnstile vendor, the education bureau's platform):
//! scoped, shown once, stored hashed, revocable.

pub use crate::schema::api_keys as model;

mod http;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use http::*;
    cfg.service(list_api_keys)
        .service(create_api_key)
        .service(revoke_api_key);
}
