//! Accounts over HTTP: request types and handlers.

use super::{accounts, model, store};
use crate::auth::account::{UserResponse, to_response};
use crate::auth::extract::Auth;
use crate::auth::password;
use crate::auth::roles::{OfficeOrPrincipal, Role};
use crate::auth::session;
use crate::auth::state::Auths;
use crate::features::audit;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use crate::schema::students::safety_officer;
use actix_web::{get, patch, post, web};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// 3–64 characters: lowercase letters, digits, `.`, `_`, `-`.
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// At least 8 characters.
    pub password: String,
    pub phone: Option<String>,
    /// Required for `safety_officer`: the student this account belongs to.
    pub student_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub display_name: Option<String>,
    /// Changing the role ends the user's sessions.
    pub role: Option<Role>,
    /// An empty string clears the phone number.
    pub phone: Option<String>,
    /// `false` disables the account and ends its sessions.
    pub is_active: Option<bool>,
    /// Sets a new password and ends the user's sessions.
    pub password: Option<String>,
    /// For a safety officer: the student the account belongs to.
    pub student_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    /// Matches username or display name.
    pub q: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// List accounts.
#[utoipa::path(
    tag = "users",
    params(UserQuery),
    responses(
        (status = 200, body = Page<UserResponse>),
        (status = 401, body = crate::infra::error::Problem),
        (status = 403, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/users")]
pub async fn list_users(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    query: web::Query<UserQuery>,
) -> AppResult<web::Json<Page<UserResponse>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let mut select = model::Entity::find();
    if let Some(role) = q.role {
        select = select.filter(model::Column::Role.eq(role.as_str()));
    }
    if let Some(active) = q.is_active {
        select = select.filter(model::Column::IsActive.eq(active));
    }
    if let Some(text) = q.q.filter(|t| !t.trim().is_empty()) {
        let text = text.trim().to_owned();
        select = select.filter(
            sea_orm::Condition::any()
                .add(crate::infra::pagination::contains_text(
                    model::Column::Username,
                    &text,
                ))
                .add(crate::infra::pagination::contains_text(
                    model::Column::DisplayName,
                    &text,
                )),
        );
    }
    if let Some(after) = &paging.after {
        select = select.filter(model::Column::Username.gt(after.as_str()));
    }
    let rows = select
        .order_by_asc(model::Column::Username)
        .limit(paging.fetch_limit())
        .all(&state.db.conn)
        .await?;
    let page = paging.page(rows, |u| u.username.clone());
    let mut items = Vec::with_capacity(page.items.len());
    for u in page.items {
        items.push(to_response(&state.db.conn, u).await?);
    }
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// One account.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = UserResponse),
        (status = 404, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/users/{id}")]
pub async fn get_user(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<UserResponse>> {
    let u = store::find(&state.db.conn, id.into_inner()).await?;
    Ok(web::Json(to_response(&state.db.conn, u).await?))
}

/// Create an account. Only a principal may create a principal account
/// (`403 principal_role_reserved`).
#[utoipa::path(
    tag = "users",
    request_body = CreateUserRequest,
    responses(
        (status = 201, body = UserResponse),
        (status = 403, description = "`principal_role_reserved`", body = crate::infra::error::Problem),
        (status = 409, description = "`already_exists`: username taken", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[post("/users")]
pub async fn create_user(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    body: web::Json<CreateUserRequest>,
) -> AppResult<actix_web::HttpResponse> {
    let body = body.into_inner();
    if body.role == Role::Principal && !auth.user.is(Role::Principal) {
        return Err(accounts::principal_role_reserved());
    }
    let username = body.username.trim().to_lowercase();
    let mut v = Validator::new();
    accounts::validate_username(&mut v, &username);
    v.text("display_name", &body.display_name, 1, 100);
    password::validate_new_password(&mut v, "password", &body.password);
    v.phone("phone", body.phone.as_deref());
    if body.role == Role::SafetyOfficer && body.student_id.is_none() {
        v.add("student_id", "required", "学生安全员须关联一名学生");
    }
    if body.role != Role::SafetyOfficer && body.student_id.is_some() {
        v.add("student_id", "not_allowed", "只有学生安全员关联学生");
    }
    v.finish()?;
    if let Some(sid) = body.student_id {
        store::require_student(&state.db.conn, sid).await?;
    }
    let hash = password::hash(body.password).await?;
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    let created = model::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(username),
        display_name: Set(body.display_name.trim().to_owned()),
        role: Set(body.role),
        phone: Set(body.phone.filter(|p| !p.trim().is_empty())),
        password_hash: Set(hash),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    if let Some(sid) = body.student_id {
        safety_officer::ActiveModel {
            user_id: Set(created.id),
            student_id: Set(sid),
        }
        .insert(&*tx)
        .await?;
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        "user.create",
        "user",
        Some(created.id.to_string()),
        json!({"after": accounts::audit_view(&created), "student_id": body.student_id}),
    )
    .await?;
    let resp = to_response(&*tx, created).await?;
    tx.commit().await?;
    Ok(actix_web::HttpResponse::Created().json(resp))
}

/// Change an account. Disabling it, changing its role or resetting its password ends its
/// sessions. The last active security-office or principal account cannot be disabled or given
/// another role (`last_security_office`, `last_principal`). Only a principal may give the
/// principal role (`principal_role_reserved`) or change a principal account's password, role
/// or active flag (`principal_account_protected`).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path)),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, body = UserResponse),
        (status = 403, description = "`principal_role_reserved`, `principal_account_protected`", body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`last_security_office`, `last_principal`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    auths: Auths,
    id: web::Path<Uuid>,
    body: web::Json<UpdateUserRequest>,
) -> AppResult<web::Json<UserResponse>> {
    let body = body.into_inner();
    let id = id.into_inner();
    let mut v = Validator::new();
    if let Some(name) = &body.display_name {
        v.text("display_name", name, 1, 100);
    }
    if let Some(pw) = &body.password {
        password::validate_new_password(&mut v, "password", pw);
    }
    if let Some(phone) = body.phone.as_deref().filter(|p| !p.is_empty()) {
        v.phone("phone", Some(phone));
    }
    v.finish()?;
    let new_hash = match body.password.clone() {
        Some(pw) => Some(password::hash(pw).await?),
        None => None,
    };
    let tx = state.db.begin_write().await?;
    let before = store::find(&*tx, id).await?;
    let old_role = before.role;
    let new_role = body.role.unwrap_or(old_role);
    let new_active = body.is_active.unwrap_or(before.is_active);
    if !auth.user.is(Role::Principal) {
        if new_role == Role::Principal && old_role != Role::Principal {
            return Err(accounts::principal_role_reserved());
        }
        let touches_credentials =
            new_hash.is_some() || new_role != old_role || new_active != before.is_active;
        if old_role == Role::Principal && touches_credentials {
            return Err(accounts::principal_account_protected());
        }
    }
    store::require_not_last(&*tx, &before, old_role, new_role, new_active).await?;
    if new_role == Role::SafetyOfficer {
        let linked = safety_officer::Entity::find_by_id(id).one(&*tx).await?;
        match (body.student_id, linked) {
            (Some(sid), _) => {
                store::require_student(&*tx, sid).await?;
                safety_officer::Entity::delete_by_id(id).exec(&*tx).await?;
                safety_officer::ActiveModel {
                    user_id: Set(id),
                    student_id: Set(sid),
                }
                .insert(&*tx)
                .await?;
            }
            (None, Some(_)) => {}
            (None, None) => {
                return Err(ApiError::validation(vec![
                    crate::infra::error::FieldError {
                        field: "student_id".into(),
                        code: "required".into(),
                        message: "学生安全员须关联一名学生".into(),
                        line: None,
                    },
                ]));
            }
        }
    } else {
        if body.student_id.is_some() {
            return Err(ApiError::validation(vec![
                crate::infra::error::FieldError {
                    field: "student_id".into(),
                    code: "not_allowed".into(),
                    message: "只有学生安全员关联学生".into(),
                    line: None,
                },
            ]));
        }
        safety_officer::Entity::delete_by_id(id).exec(&*tx).await?;
    }
    let ends_sessions = new_role != old_role || !new_active || new_hash.is_some();
    let mut active: model::ActiveModel = before.clone().into();
    if let Some(name) = body.display_name {
        active.display_name = Set(name.trim().to_owned());
    }
    if let Some(phone) = body.phone {
        active.phone = Set(Some(phone.trim().to_owned()).filter(|p| !p.is_empty()));
    }
    active.role = Set(new_role);
    active.is_active = Set(new_active);
    if let Some(hash) = new_hash {
        active.password_hash = Set(hash);
    }
    active.updated_at = Set(crate::infra::clock::now());
    let after = active.update(&*tx).await?;
    if ends_sessions {
        session::revoke_all_for_user(&*tx, id).await?;
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        "user.update",
        "user",
        Some(id.to_string()),
        json!({
            "before": accounts::audit_view(&before),
            "after": accounts::audit_view(&after),
            "password_reset": body.password.is_some(),
            "sessions_ended": ends_sessions,
        }),
    )
    .await?;
    let resp = to_response(&*tx, after).await?;
    tx.commit().await?;
    // Cached session checks carry the role and state just changed.
    auths.sessions.invalidate();
    Ok(web::Json(resp))
}
