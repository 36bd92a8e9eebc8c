//! Semesters over HTTP: list, current, define, change, delete.

use super::model::{self, Model as Semester};
use super::store::{check_no_overlap, current, find, link_plans, serialise};
use super::terms::contains;
use crate::auth::extract::Auth;
use crate::auth::roles::{AnyUser, Office};
use crate::features::audit;
use crate::infra::clock::{check_date, fmt_date, today};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use crate::schema::plans::plan;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct SemesterResponse {
    pub id: Uuid,
    /// Short and unique, e.g. `2026-2027-1`; a plan's `semester` holds it.
    pub code: String,
    /// e.g. `2026-2027学年第一学期`.
    pub name: String,
    /// First day, local `YYYY-MM-DD`.
    pub starts_on: String,
    /// Last day (included), local `YYYY-MM-DD`.
    pub ends_on: String,
    /// Contains today (in the school's time zone).
    pub is_current: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn response(s: Semester, today: &str) -> SemesterResponse {
    SemesterResponse {
        is_current: contains(&s, today),
        id: s.id,
        code: s.code,
        name: s.name,
        starts_on: s.starts_on,
        ends_on: s.ends_on,
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

/// Every semester, newest first; `is_current` marks the one containing today.
#[utoipa::path(
    tag = "semesters",
    responses((status = 200, body = Vec<SemesterResponse>), (status = 401, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/semesters")]
pub async fn list_semesters(
    _auth: Auth<AnyUser>,
    state: State,
) -> AppResult<web::Json<Vec<SemesterResponse>>> {
    let day = fmt_date(today(state.tz));
    let rows = model::Entity::find()
        .order_by_desc(model::Column::StartsOn)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(
        rows.into_iter().map(|s| response(s, &day)).collect(),
    ))
}

/// The semester containing today in the school's time zone (`404 no_current_semester` when
/// the school has defined none).
#[utoipa::path(
    tag = "semesters",
    responses(
        (status = 200, body = SemesterResponse),
        (status = 401, body = crate::infra::error::Problem),
        (status = 404, description = "`no_current_semester`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/semesters/current")]
pub async fn current_semester(
    _auth: Auth<AnyUser>,
    state: State,
) -> AppResult<web::Json<SemesterResponse>> {
    let s = current(&state.db.conn, state.tz).await?;
    Ok(web::Json(response(s, &fmt_date(today(state.tz)))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SemesterRequest {
    /// 1–32 letters, digits, `-` or `_`, unique (e.g. `2026-2027-1`).
    pub code: String,
    /// e.g. `2026-2027学年第一学期`.
    pub name: String,
    /// First day, `YYYY-MM-DD`.
    pub starts_on: String,
    /// Last day, `YYYY-MM-DD`, not before `starts_on`.
    pub ends_on: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SemesterUpdateRequest {
    pub code: Option<String>,
    pub name: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
}

fn check_fields(v: &mut Validator, r: &SemesterRequest) -> Option<(NaiveDate, NaiveDate)> {
    let code = r.code.trim();
    if code.is_empty()
        || code.len() > 32
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        v.add(
            "code",
            "invalid",
            "学期代码须为 1–32 位字母、数字、- 或 _(如 2026-2027-1)",
        );
    }
    v.text("name", &r.name, 1, 100);
    let s = check_date(v, "starts_on", &r.starts_on);
    let e = check_date(v, "ends_on", &r.ends_on);
    match (s, e) {
        (Some(s), Some(e)) if e < s => {
            v.add("ends_on", "before_start", "最后一天不能早于第一天");
            None
        }
        (Some(s), Some(e)) if e.signed_duration_since(s).num_days() > 366 => {
            v.add("ends_on", "too_long", "一个学期不能超过一年");
            None
        }
        (Some(s), Some(e)) => Some((s, e)),
        _ => None,
    }
}

/// Define a semester (security office). Plans whose `semester` is this code are linked to it.
#[utoipa::path(
    tag = "semesters",
    request_body = SemesterRequest,
    responses(
        (status = 201, body = SemesterResponse),
        (status = 409, description = "`semester_overlap`, `already_exists` (the code)", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/semesters")]
pub async fn create_semester(
    auth: Auth<Office>,
    state: State,
    body: web::Json<SemesterRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    let dates = check_fields(&mut v, &b);
    v.finish()?;
    let (from, to) = dates.ok_or_else(ApiError::internal)?;
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    serialise(&*tx).await?;
    check_no_overlap(&*tx, from, to, None).await?;
    let s = model::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(b.code.trim().to_owned()),
        name: Set(b.name.trim().to_owned()),
        starts_on: Set(fmt_date(from)),
        ends_on: Set(fmt_date(to)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    link_plans(&*tx, &s).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "semester.create",
        "semester",
        Some(s.id.to_string()),
        json!({"after": {"code": s.code, "name": s.name, "starts_on": s.starts_on, "ends_on": s.ends_on}}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(response(s, &fmt_date(today(state.tz)))))
}

/// Change a semester (security office). A new code carries its plans with it.
#[utoipa::path(
    tag = "semesters",
    params(("id" = Uuid, Path)),
    request_body = SemesterUpdateRequest,
    responses(
        (status = 200, body = SemesterResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`semester_overlap`, `already_exists` (the code)", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office"]))
)]
#[patch("/semesters/{id}")]
pub async fn update_semester(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<SemesterUpdateRequest>,
) -> AppResult<web::Json<SemesterResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    serialise(&*tx).await?;
    let before = find(&*tx, id.into_inner()).await?;
    let merged = SemesterRequest {
        code: b.code.unwrap_or_else(|| before.code.clone()),
        name: b.name.unwrap_or_else(|| before.name.clone()),
        starts_on: b.starts_on.unwrap_or_else(|| before.starts_on.clone()),
        ends_on: b.ends_on.unwrap_or_else(|| before.ends_on.clone()),
    };
    let mut v = Validator::new();
    let dates = check_fields(&mut v, &merged);
    v.finish()?;
    let (from, to) = dates.ok_or_else(ApiError::internal)?;
    check_no_overlap(&*tx, from, to, Some(before.id)).await?;
    let mut a: model::ActiveModel = before.clone().into();
    a.code = Set(merged.code.trim().to_owned());
    a.name = Set(merged.name.trim().to_owned());
    a.starts_on = Set(fmt_date(from));
    a.ends_on = Set(fmt_date(to));
    a.updated_at = Set(crate::infra::clock::now());
    let after = a.update(&*tx).await?;
    if after.code != before.code {
        plan::Entity::update_many()
            .col_expr(plan::Column::Semester, Expr::value(after.code.as_str()))
            .filter(plan::Column::SemesterId.eq(after.id))
            .exec(&*tx)
            .await?;
        link_plans(&*tx, &after).await?;
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        "semester.update",
        "semester",
        Some(after.id.to_string()),
        json!({
            "before": {"code": before.code, "name": before.name, "starts_on": before.starts_on, "ends_on": before.ends_on},
            "after": {"code": after.code, "name": after.name, "starts_on": after.starts_on, "ends_on": after.ends_on},
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(response(after, &fmt_date(today(state.tz)))))
}

/// Remove a semester that nothing belongs to (`409 semester_in_use` while it has plans).
#[utoipa::path(
    tag = "semesters",
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`semester_in_use`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office"]))
)]
#[delete("/semesters/{id}")]
pub async fn delete_semester(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let s = find(&*tx, id.into_inner()).await?;
    let plans = plan::Entity::find()
        .filter(plan::Column::SemesterId.eq(s.id))
        .count(&*tx)
        .await?;
    if plans > 0 {
        return Err(ApiError::conflict(
            ErrorCode::SemesterInUse,
            "该学期已有工作计划,不能删除",
        ));
    }
    model::Entity::delete_by_id(s.id).exec(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "semester.delete",
        "semester",
        Some(s.id.to_string()),
        json!({"before": {"code": s.code, "name": s.name, "starts_on": s.starts_on, "ends_on": s.ends_on}}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_semesters)
        .service(current_semester)
        .service(create_semester)
        .service(update_semester)
        .service(delete_semester);
}
