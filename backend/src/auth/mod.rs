//! Sign-in: login, refresh, logout, the current user and password change.

pub mod extract;
pub mod jwt;
pub mod password;
pub mod roles;
pub mod session;
pub mod session_cache;
pub mod session_model;
pub mod throttle;

use crate::audit::{self, Actor};
use crate::error::{ApiError, AppResult, Validator};
use crate::state::State;
use crate::users::{self, UserResponse, model as user};
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use extract::Auth;
use roles::AnyUser;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::net::IpAddr;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "office")]
    pub username: String,
    #[schema(example = "xiaoan-demo")]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Short-lived JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until `access_token` expires.
    pub expires_in: i64,
    /// Opaque, single-use: exchange it at `/auth/refresh` for a new pair.
    pub refresh_token: String,
    pub user: UserResponse,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// The client's address: the peer, or the last `X-Forwarded-For` hop when the peer is a
/// trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if trusted.contains(&peer)
        && let Some(forwarded) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        && let Some(last) = forwarded.rsplit(',').next()
        && let Ok(ip) = last.trim().parse()
    {
        return Some(ip);
    }
    Some(peer)
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthenticated("invalid_credentials", "用户名或密码错误")
}

async fn token_pair(
    state: &State,
    usr: user::Model,
    tokens: session::NewTokens,
) -> AppResult<LoginResponse> {
    let access = state.jwt.issue(usr.id, tokens.session_id)?;
    Ok(LoginResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: state.jwt.ttl_secs,
        refresh_token: tokens.refresh_token,
        user: users::to_response(&state.db.conn, usr).await?,
    })
}

/// Sign in with username and password.
///
/// Repeated failures for one account (5 in 15 min) or from one address (20) answer 429 with
/// `Retry-After` until the window has passed.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "`invalid_credentials`", body = crate::error::Problem),
        (status = 429, description = "`too_many_attempts`", body = crate::error::Problem),
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    state: State,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> AppResult<web::Json<LoginResponse>> {
    let body = body.into_inner();
    let username = body.username.trim().to_lowercase();
    let account_key = format!("u:{username}");
    let ip_key = client_ip(&req, &state.settings.trusted_proxies)
        .map(|ip| format!("ip:{ip}"))
        .unwrap_or_else(|| "ip:unknown".into());
    for key in [&account_key, &ip_key] {
        state
            .throttle
            .check(key)
            .map_err(ApiError::too_many_requests)?;
    }
    let found = if username.is_empty() || username.len() > 64 {
        None
    } else {
        user::Entity::find()
            .filter(user::Column::Username.eq(&username))
            .one(&state.db.conn)
            .await?
    };
    let ok = password::verify(
        body.password,
        found.as_ref().map(|u| u.password_hash.clone()),
        &state.dummy_hash,
    )
    .await?;
    let usr = match found {
        Some(u) if ok && u.is_active => u,
        _ => {
            state
                .throttle
                .record_failure(&account_key, throttle::ACCOUNT_LIMIT);
            state
                .throttle
                .record_failure(&ip_key, throttle::ADDRESS_LIMIT);
            return Err(invalid_credentials());
        }
    };
    state.throttle.reset(&account_key);
    let tx = state.db.begin_write().await?;
    let tokens = session::start(&*tx, usr.id, state.settings.refresh_token_ttl_days).await?;
    audit::record(
        &*tx,
        Actor::user(usr.id),
        "auth.login",
        "session",
        Some(tokens.session_id.to_string()),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(token_pair(&state, usr, tokens).await?))
}

/// Exchange a refresh token for a new access token and refresh token.
///
/// Each refresh token works once. Presenting one that was already used ends its whole
/// session (`refresh_token_reused`): whoever holds a copy is signed out too.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "`refresh_token_invalid`, `refresh_token_reused`", body = crate::error::Problem),
    ),
    security(())
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: State,
    body: web::Json<RefreshRequest>,
) -> AppResult<web::Json<LoginResponse>> {
    let presented = body.into_inner().refresh_token;
    let invalid = || ApiError::unauthenticated("refresh_token_invalid", "登录已失效,请重新登录");
    if presented.is_empty() || presented.len() > 200 {
        return Err(invalid());
    }
    let tx = state.db.begin_write().await?;
    let outcome = session::rotate(&*tx, &presented).await?;
    match outcome {
        session::RotateOutcome::Rotated { user_id, tokens } => {
            let usr = user::Entity::find_by_id(user_id)
                .one(&*tx)
                .await?
                .filter(|u| u.is_active);
            let Some(usr) = usr else {
                return Err(invalid());
            };
            tx.commit().await?;
            Ok(web::Json(token_pair(&state, usr, tokens).await?))
        }
        session::RotateOutcome::Reused => {
            // Commit the revocation before answering: that is the point of detecting reuse.
            tx.commit().await?;
            state.sessions.invalidate();
            tracing::warn!("refresh token reused; session revoked");
            Err(ApiError::unauthenticated(
                "refresh_token_reused",
                "登录凭证已被使用过,为安全起见已退出登录",
            ))
        }
        session::RotateOutcome::Invalid => Err(invalid()),
    }
}

/// Sign out: ends this session (its access and refresh tokens stop working at once).
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, body = crate::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[post("/auth/logout")]
pub async fn logout(auth: Auth<AnyUser>, state: State) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    session::revoke(&*tx, auth.user.session_id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "auth.logout",
        "session",
        Some(auth.user.session_id.to_string()),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    state.sessions.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, body = UserResponse),
        (status = 401, body = crate::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/me")]
pub async fn me(auth: Auth<AnyUser>, state: State) -> AppResult<web::Json<UserResponse>> {
    let usr = user::Entity::find_by_id(auth.user.id)
        .one(&state.db.conn)
        .await?
        .ok_or_else(|| ApiError::not_found("user_not_found", "用户不存在"))?;
    Ok(web::Json(users::to_response(&state.db.conn, usr).await?))
}

/// Change my password. Ends all my sessions, this one included: sign in again.
#[utoipa::path(
    tag = "auth",
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; every session ended"),
        (status = 401, body = crate::error::Problem),
        (status = 422, description = "`wrong_password`, `validation_failed`", body = crate::error::Problem),
        (status = 429, body = crate::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[put("/me/password")]
pub async fn change_password(
    auth: Auth<AnyUser>,
    state: State,
    body: web::Json<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let account_key = format!("u:{}", auth.user.username);
    state
        .throttle
        .check(&account_key)
        .map_err(ApiError::too_many_requests)?;
    let mut v = Validator::new();
    password::validate_new_password(&mut v, "new_password", &body.new_password);
    v.finish()?;
    let usr = user::Entity::find_by_id(auth.user.id)
        .one(&state.db.conn)
        .await?
        .ok_or_else(|| ApiError::not_found("user_not_found", "用户不存在"))?;
    let ok = password::verify(
        body.current_password,
        Some(usr.password_hash.clone()),
        &state.dummy_hash,
    )
    .await?;
    if !ok {
        state
            .throttle
            .record_failure(&account_key, throttle::ACCOUNT_LIMIT);
        return Err(ApiError::unprocessable("wrong_password", "当前密码不正确"));
    }
    let new_hash = password::hash(body.new_password).await?;
    let tx = state.db.begin_write().await?;
    let mut active: user::ActiveModel = usr.into();
    active.password_hash = Set(new_hash);
    active.updated_at = Set(crate::util::now());
    active.update(&*tx).await?;
    session::revoke_all_for_user(&*tx, auth.user.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "user.change_password",
        "user",
        Some(auth.user.id.to_string()),
        json!({"password": "changed"}),
    )
    .await?;
    tx.commit().await?;
    state.sessions.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(me)
        .service(change_password);
}
