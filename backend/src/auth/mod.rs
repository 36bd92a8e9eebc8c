//! Sign-in: login, refresh, logout, the current user and password change.

pub mod account;
pub mod extract;
pub mod jwt;
pub mod password;
pub mod roles;
pub mod scope;
pub mod session;
pub mod session_cache;
pub mod state;
pub use crate::schema::sessions as session_model;
pub mod throttle;

use crate::infra::audit::{self, Actor};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use crate::schema::users as user;
use account::UserResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, post, put, web};
use extract::Auth;
use roles::AnyUser;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use state::Auths;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "office")]
    pub username: String,
    #[schema(example = "your-password")]
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
    /// Opaque, single-use: exchange it at `/auth/refresh` for a new pair. Also set as the
    /// `HttpOnly` cookie `xiaoan_refresh` at sign-in. Absent when the refresh token came in
    /// that cookie: the new one is in the cookie only, out of reach of the page's scripts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub user: UserResponse,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// For API clients that keep the token themselves. Omit it (send `{}`) to use the
    /// `xiaoan_refresh` cookie, as the SPA does.
    pub refresh_token: Option<String>,
}

/// The refresh cookie: `HttpOnly` (no script reads it, so an XSS cannot take a month-long
/// session away), `Secure`, `SameSite=Strict` (never sent by another site's request) and
/// scoped to the sign-in endpoints, the only ones that need it.
pub const REFRESH_COOKIE: &str = "xiaoan_refresh";
const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

fn refresh_cookie(value: &str, max_age_secs: i64) -> String {
    format!(
        "{REFRESH_COOKIE}={value}; Path={REFRESH_COOKIE_PATH}; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Strict"
    )
}

fn set_refresh_cookie(resp: &mut HttpResponse, state: &State, token: &str) {
    let max_age = state.settings.refresh_token_ttl_days.saturating_mul(86_400);
    if let Ok(v) = HeaderValue::from_str(&refresh_cookie(token, max_age)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn clear_refresh_cookie(resp: &mut HttpResponse) {
    if let Ok(v) = HeaderValue::from_str(&refresh_cookie("", 0)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The refresh token in the request's cookie, if any.
fn cookie_token(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == REFRESH_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

pub use crate::infra::proxy::client_ip;

fn invalid_credentials() -> ApiError {
    ApiError::unauthenticated(ErrorCode::InvalidCredentials, "用户名或密码错误")
}

async fn token_pair(
    state: &State,
    auths: &Auths,
    usr: user::Model,
    tokens: session::NewTokens,
) -> AppResult<LoginResponse> {
    let access = auths.jwt.issue(usr.id, tokens.session_id)?;
    Ok(LoginResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: auths.jwt.ttl_secs,
        refresh_token: Some(tokens.refresh_token),
        user: account::to_response(&state.db.conn, usr).await?,
    })
}

/// Sign in with username and password.
///
/// Repeated failures for one account from one address (5 in 15 min), or from one address over
/// all accounts (20), answer 429 `too_many_attempts` with `Retry-After` and `locked_until` (the
/// instant sign-in is possible again). Failures from elsewhere do not lock an account out.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "`invalid_credentials`", body = crate::infra::error::Problem),
        (status = 429, description = "`too_many_attempts`", body = crate::infra::error::Problem),
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    state: State,
    auths: Auths,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let username = body.username.trim().to_lowercase();
    let ip = client_ip(&req, &state.settings.trusted_proxies)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    // Bounded, so that a long username cannot grow the throttle's memory; such a name
    // matches no account anyway.
    let name_key: String = username.chars().take(65).collect();
    let pair_key = format!("u:{name_key}|ip:{ip}");
    let ip_key = format!("ip:{ip}");
    let reservation = auths
        .throttle
        .reserve(&[
            (&pair_key, throttle::ACCOUNT_LIMIT),
            (&ip_key, throttle::ADDRESS_LIMIT),
        ])
        .map_err(ApiError::from)?;
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
        &auths.dummy_hash,
    )
    .await?;
    let usr = match found {
        Some(u) if ok && u.is_active => u,
        _ => {
            reservation.failed();
            return Err(invalid_credentials());
        }
    };
    reservation.succeeded(&[&pair_key]);
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
    let pair = token_pair(&state, &auths, usr, tokens).await?;
    let mut resp = HttpResponse::Ok().json(&pair);
    if let Some(token) = &pair.refresh_token {
        set_refresh_cookie(&mut resp, &state, token);
    }
    Ok(resp)
}

/// Exchange a refresh token for a new access token and refresh token.
///
/// The token comes from the body (`refresh_token`, API clients) or, when the body has none,
/// from the `xiaoan_refresh` cookie (the SPA). The new refresh token goes back the same way:
/// in the body, or only in the cookie. Each refresh token works once. Presenting one that was
/// already used ends its whole session (`refresh_token_reused`): whoever holds a copy is signed
/// out too.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, description = "`refresh_token_missing`: neither a body token nor the cookie", body = crate::infra::error::Problem),
        (status = 401, description = "`refresh_token_invalid`, `refresh_token_reused`", body = crate::infra::error::Problem),
    ),
    security(())
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: State,
    auths: Auths,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> AppResult<HttpResponse> {
    let (presented, from_cookie) = match (body.into_inner().refresh_token, cookie_token(&req)) {
        (Some(t), _) => (t, false),
        (None, Some(t)) => (t, true),
        // Nothing to exchange: a malformed request, not a failed sign-in.
        (None, None) => {
            return Err(ApiError::bad_request(
                ErrorCode::RefreshTokenMissing,
                "缺少登录凭证(请求体中的 refresh_token 或 Cookie)",
            ));
        }
    };
    let answer = |result: AppResult<LoginResponse>| -> HttpResponse {
        match result {
            Ok(mut pair) if from_cookie => {
                let token = pair.refresh_token.take().unwrap_or_default();
                let mut resp = HttpResponse::Ok().json(&pair);
                set_refresh_cookie(&mut resp, &state, &token);
                resp
            }
            Ok(pair) => HttpResponse::Ok().json(&pair),
            Err(e) => {
                let mut resp = e.error_response();
                // A cookie that no longer works is dropped, so the browser stops sending it.
                if from_cookie {
                    clear_refresh_cookie(&mut resp);
                }
                resp
            }
        }
    };
    Ok(answer(rotate(&state, &auths, &presented).await))
}

async fn rotate(state: &State, auths: &Auths, presented: &str) -> AppResult<LoginResponse> {
    let invalid =
        || ApiError::unauthenticated(ErrorCode::RefreshTokenInvalid, "登录已失效,请重新登录");
    if presented.is_empty() || presented.len() > 200 {
        return Err(invalid());
    }
    let tx = state.db.begin_write().await?;
    let outcome = session::rotate(&*tx, presented).await?;
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
            token_pair(state, auths, usr, tokens).await
        }
        session::RotateOutcome::Reused => {
            // Commit the revocation before answering: that is the point of detecting reuse.
            tx.commit().await?;
            auths.sessions.invalidate();
            tracing::warn!("refresh token reused; session revoked");
            Err(ApiError::unauthenticated(
                ErrorCode::RefreshTokenReused,
                "登录凭证已被使用过,为安全起见已退出登录",
            ))
        }
        session::RotateOutcome::Invalid => Err(invalid()),
    }
}

/// Sign out: ends this session (its access and refresh tokens stop working at once) and
/// clears the refresh cookie.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[post("/auth/logout")]
pub async fn logout(auth: Auth<AnyUser>, state: State, auths: Auths) -> AppResult<HttpResponse> {
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
    auths.sessions.invalidate();
    let mut resp = HttpResponse::NoContent().finish();
    clear_refresh_cookie(&mut resp);
    Ok(resp)
}

/// The signed-in user.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, body = UserResponse),
        (status = 401, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/me")]
pub async fn me(auth: Auth<AnyUser>, state: State) -> AppResult<web::Json<UserResponse>> {
    let usr = user::Entity::find_by_id(auth.user.id)
        .one(&state.db.conn)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::UserNotFound, "用户不存在"))?;
    Ok(web::Json(account::to_response(&state.db.conn, usr).await?))
}

/// Change my password. Ends all my sessions, this one included: sign in again.
#[utoipa::path(
    tag = "auth",
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; every session ended"),
        (status = 401, body = crate::infra::error::Problem),
        (status = 422, description = "`wrong_password`, `validation_failed`", body = crate::infra::error::Problem),
        (status = 429, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[put("/me/password")]
pub async fn change_password(
    auth: Auth<AnyUser>,
    state: State,
    auths: Auths,
    body: web::Json<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let mut v = Validator::new();
    password::validate_new_password(&mut v, "new_password", &body.new_password);
    v.finish()?;
    // The session's holder guesses the current password: limited like sign-in, per account.
    let account_key = format!("pw:{}", auth.user.id);
    let reservation = auths
        .throttle
        .reserve(&[(&account_key, throttle::ACCOUNT_LIMIT)])
        .map_err(ApiError::from)?;
    let usr = user::Entity::find_by_id(auth.user.id)
        .one(&state.db.conn)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::UserNotFound, "用户不存在"))?;
    let ok = password::verify(
        body.current_password,
        Some(usr.password_hash.clone()),
        &auths.dummy_hash,
    )
    .await?;
    if !ok {
        reservation.failed();
        return Err(ApiError::unprocessable(
            ErrorCode::WrongPassword,
            "当前密码不正确",
        ));
    }
    reservation.succeeded(&[&account_key]);
    let new_hash = password::hash(body.new_password).await?;
    let tx = state.db.begin_write().await?;
    let mut active: user::ActiveModel = usr.into();
    active.password_hash = Set(new_hash);
    active.updated_at = Set(crate::infra::clock::now());
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
    auths.sessions.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(me)
        .service(change_password);
}
