//! Classes (班级) and who heads them: the unit of "own class" ownership.
//!
//! Other modules use: [`find`], [`names`] (the classes on a page), [`student_count`] and
//! [`require_own_class`].

pub use crate::schema::classes as model;

mod http;
mod store;

pub use store::{find, names, student_count};

use crate::auth::extract::CurrentUser;
use crate::auth::scope::Scope;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(http::list_classes)
        .service(http::create_class)
        .service(http::get_class)
        .service(http::update_class);
}

/// Ownership: a class teacher (or safety officer) acts only for own classes; the office and
/// the principal for any. Other roles never own a class.
pub async fn require_own_class(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    class_id: Uuid,
) -> AppResult<()> {
    if Scope::act(db, user).await?.allows(class_id) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            ErrorCode::NotOwnClass,
            "只能处理本班的记录",
        ))
    }
}
