//! The colleague lookup: any staff member may find another (to ask a swap, to name an owner)
//! by name, and learns only the id, the display name and the role — no username, no phone.

use super::model;
use crate::auth::extract::Auth;
use crate::auth::roles::{Role, Staff};
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::infra::pagination::{Page, Paging, contains_text};
use crate::infra::state::State;
use actix_web::{get, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Staff roles: student safety officers are not colleagues to look up.
const STAFF: [Role; 4] = [
    Role::Principal,
    Role::SecurityOffice,
    Role::ClassTeacher,
    Role::Guard,
];

#[derive(Debug, Serialize, ToSchema)]
pub struct Colleague {
    pub id: Uuid,
    pub display_name: String,
    pub role: Role,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ColleagueQuery {
    /// Matches the display name.
    pub q: Option<String>,
    /// One staff role; `safety_officer` matches nobody.
    pub role: Option<Role>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Active staff accounts (id, display name, role), for pickers.
#[utoipa::path(
    tag = "users",
    params(ColleagueQuery),
    responses(
        (status = 200, body = Page<Colleague>),
        (status = 400, body = crate::infra::error::Problem),
        (status = 401, body = crate::infra::error::Problem),
        (status = 403, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/colleagues")]
pub async fn list_colleagues(
    _auth: Auth<Staff>,
    state: State,
    query: web::Query<ColleagueQuery>,
) -> AppResult<web::Json<Page<Colleague>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let roles: Vec<&str> = STAFF
        .iter()
        .filter(|r| q.role.is_none_or(|want| want == **r))
        .map(|r| r.as_str())
        .collect();
    let mut select = model::Entity::find()
        .filter(model::Column::IsActive.eq(true))
        .filter(model::Column::Role.is_in(roles));
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(contains_text(model::Column::DisplayName, text));
    }
    if let Some(after) = &paging.after {
        let after = Uuid::parse_str(after)
            .map_err(|_| ApiError::bad_request(ErrorCode::InvalidCursor, "cursor 无效"))?;
        select = select.filter(model::Column::Id.gt(after));
    }
    let rows = select
        .order_by_asc(model::Column::Id)
        .limit(paging.fetch_limit())
        .all(&state.db.conn)
        .await?;
    let page = paging.page(rows, |u| u.id.to_string());
    Ok(web::Json(Page {
        items: page
            .items
            .into_iter()
            .map(|u| Colleague {
                role: u.role,
                id: u.id,
                display_name: u.display_name,
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}
