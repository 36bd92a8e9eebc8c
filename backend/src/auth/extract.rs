//! Who is calling: `Auth<R>` (a signed-in person whose role is in `R`) and `AuthOrKey<R, S>`
//! (that, or an integration key holding scope `S`). The role is in the handler's signature,
//! so it cannot be forgotten; ownership ("own class") is checked in the services.

use super::roles::{KeyScope, Role, RoleSet};
use super::session_model::session;
use super::state::{AuthState, Auths};
use crate::infra::audit::Actor;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult};
use crate::infra::state::{AppState, State};
use crate::schema::api_keys as api_key;
use crate::schema::users as user;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use chrono::Duration;
use futures_util::future::{Ready, ready};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::marker::PhantomData;
use uuid::Uuid;

pub const API_KEY_HEADER: &str = "X-API-Key";

#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub session_id: Uuid,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::user(self.id)
    }
    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }
}

#[derive(Clone, Debug)]
pub struct KeyCaller {
    pub id: Uuid,
    pub name: String,
    /// The office account that created the key: answerable for what the key writes, and the
    /// person a record names where one is required (a hazard's reporter); the key is named
    /// beside it.
    pub created_by: Uuid,
}

#[derive(Clone, Debug)]
pub enum Caller {
    User(CurrentUser),
    Key(KeyCaller),
}

impl Caller {
    pub fn actor(&self) -> Actor {
        match self {
            Caller::User(u) => Actor::user(u.id),
            Caller::Key(k) => Actor::api_key(k.id),
        }
    }
    pub fn user(&self) -> Option<&CurrentUser> {
        match self {
            Caller::User(u) => Some(u),
            Caller::Key(_) => None,
        }
    }
    /// The person a record names as its author: the user, or the key's creator.
    pub fn person_id(&self) -> Uuid {
        match self {
            Caller::User(u) => u.id,
            Caller::Key(k) => k.created_by,
        }
    }
    /// The integration key, when a key is calling.
    pub fn key_id(&self) -> Option<Uuid> {
        match self {
            Caller::User(_) => None,
            Caller::Key(k) => Some(k.id),
        }
    }
}

pub struct Auth<R: RoleSet> {
    pub user: CurrentUser,
    _roles: PhantomData<R>,
}

pub struct AuthOrKey<R: RoleSet, S: KeyScope> {
    pub caller: Caller,
    _marker: PhantomData<(R, S)>,
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(actix_web::http::header::AUTHORIZATION)?;
    let value = value.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn api_key_header(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
}

fn unauthenticated() -> ApiError {
    ApiError::unauthenticated(ErrorCode::Unauthenticated, "请先登录")
}

fn forbidden_role() -> ApiError {
    ApiError::forbidden(ErrorCode::ForbiddenRole, "您的角色无权执行此操作")
}

/// Checks an access token and that its session is still alive and its user still active.
pub async fn authenticate_bearer(
    state: &AppState,
    auths: &AuthState,
    token: &str,
) -> AppResult<CurrentUser> {
    let claims = auths.jwt.verify(token)?;
    let invalid = || ApiError::unauthenticated(ErrorCode::InvalidToken, "登录凭证无效,请重新登录");
    let user_id = Uuid::parse_str(&claims.sub).map_err(|_| invalid())?;
    let session_id = Uuid::parse_str(&claims.sid).map_err(|_| invalid())?;
    let now = crate::infra::clock::now();
    if let Some(u) = auths.sessions.get(session_id, user_id, now) {
        return Ok(u);
    }
    let epoch = auths.sessions.epoch();
    let (sess, usr) = session::Entity::find_by_id(session_id)
        .find_also_related(user::Entity)
        .one(&state.db.conn)
        .await?
        .ok_or_else(invalid)?;
    let usr = usr.ok_or_else(invalid)?;
    if sess.user_id != user_id || sess.revoked_at.is_some() || sess.expires_at <= now {
        return Err(ApiError::unauthenticated(
            ErrorCode::SessionEnded,
            "登录已失效,请重新登录",
        ));
    }
    if !usr.is_active {
        return Err(ApiError::unauthenticated(
            ErrorCode::AccountDisabled,
            "账号已停用",
        ));
    }
    let role = usr.role;
    let user = CurrentUser {
        id: usr.id,
        username: usr.username,
        display_name: usr.display_name,
        role,
        session_id,
    };
    auths.sessions.put(epoch, &user, sess.expires_at);
    Ok(user)
}

/// Checks an integration key; returns it with its scopes.
pub async fn authenticate_key(state: &AppState, key: &str) -> AppResult<(KeyCaller, Vec<String>)> {
    let hash = crate::infra::util::sha256_hex(key);
    let row = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(&state.db.conn)
        .await?
        .ok_or_else(|| {
            ApiError::unauthenticated(ErrorCode::InvalidApiKey, "API 密钥无效或已吊销")
        })?;
    let now = crate::infra::clock::now();
    // Record use at most once a minute, so a busy turnstile does not write on every request.
    if row
        .last_used_at
        .is_none_or(|t| now - t > Duration::seconds(60))
    {
        let mut active: api_key::ActiveModel = row.clone().into();
        active.last_used_at = Set(Some(now));
        active.update(&state.db.conn).await?;
    }
    let scopes = row.scopes.split_whitespace().map(str::to_owned).collect();
    Ok((
        KeyCaller {
            id: row.id,
            name: row.name,
            created_by: row.created_by,
        },
        scopes,
    ))
}

/// The outcome of authentication, put in the request's extensions by [`authenticate`].
#[derive(Clone)]
enum Authenticated {
    User(CurrentUser),
    Key(KeyCaller, Vec<String>),
}

#[derive(Clone)]
struct AuthOutcome(Result<Authenticated, ApiError>);

/// Middleware: checks the bearer token or integration key (database lookups) before any
/// handler argument is extracted. actix extracts a handler's arguments concurrently, so an
/// async role check could lose the race to a body error (400 before 401/403); with the
/// caller known up front, `Auth<R>` decides synchronously and always first.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<State>().cloned();
    let auths = req.app_data::<Auths>().cloned();
    let token = bearer(req.request());
    let key = api_key_header(req.request());
    if let (Some(state), Some(auths)) = (state, auths) {
        let outcome = match (token, key) {
            (Some(token), _) => Some(
                authenticate_bearer(&state, &auths, &token)
                    .await
                    .map(Authenticated::User),
            ),
            (None, Some(key)) => Some(
                authenticate_key(&state, &key)
                    .await
                    .map(|(caller, scopes)| Authenticated::Key(caller, scopes)),
            ),
            (None, None) => None,
        };
        if let Some(outcome) = outcome {
            req.extensions_mut().insert(AuthOutcome(outcome));
        }
    }
    next.call(req).await
}

fn outcome(req: &HttpRequest) -> Result<Authenticated, ApiError> {
    match req.extensions().get::<AuthOutcome>() {
        Some(AuthOutcome(result)) => result.clone(),
        None => Err(unauthenticated()),
    }
}

impl<R: RoleSet> FromRequest for Auth<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match outcome(req) {
            Ok(Authenticated::User(user)) if R::ROLES.contains(&user.role) => Ok(Auth {
                user,
                _roles: PhantomData,
            }),
            Ok(Authenticated::User(_)) => Err(forbidden_role()),
            Ok(Authenticated::Key(..)) => Err(ApiError::forbidden(
                ErrorCode::ApiKeyNotAllowed,
                "此操作不接受 API 密钥,需要用户登录",
            )),
            Err(e) => Err(e),
        })
    }
}

impl<R: RoleSet, S: KeyScope> FromRequest for AuthOrKey<R, S> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = match outcome(req) {
            Ok(Authenticated::User(user)) if R::ROLES.contains(&user.role) => {
                Ok(Caller::User(user))
            }
            Ok(Authenticated::User(_)) => Err(forbidden_role()),
            Ok(Authenticated::Key(key, scopes)) if scopes.iter().any(|s| s == S::SCOPE) => {
                Ok(Caller::Key(key))
            }
            Ok(Authenticated::Key(..)) => Err(ApiError::forbidden(
                ErrorCode::InsufficientScope,
                "API 密钥没有此操作所需的权限范围",
            )),
            Err(e) => Err(e),
        };
        ready(caller.map(|caller| AuthOrKey {
            caller,
            _marker: PhantomData,
        }))
    }
}
