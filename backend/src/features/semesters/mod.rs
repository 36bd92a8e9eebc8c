//! Semesters (学期) as data: the school defines them (no two overlap); "now" is the semester
//! containing today in the school's time zone, and every semester view defaults to it.

pub use crate::schema::semesters as model;

use crate::auth::extract::Auth;
use crate::auth::roles::{AnyUser, Office};
use crate::features::audit;
use crate::infra::dates::{check_date, fmt_date, today};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use crate::schema::plans::plan;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

pub use model::Model as Semester;

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

fn contains(s: &Semester, day: &str) -> bool {
    // `YYYY-MM-DD` strings order as the dates do.
    s.starts_on.as_str() <= day && day <= s.ends_on.as_str()
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

/// The semester containing `day`, if the school defined one.
pub async fn containing(db: &impl ConnectionTrait, day: NaiveDate) -> AppResult<Option<Semester>> {
    let d = fmt_date(day);
    Ok(model::Entity::find()
        .filter(model::Column::StartsOn.lte(d.as_str()))
        .filter(model::Column::EndsOn.gte(d.as_str()))
        .one(db)
        .await?)
}

/// The semester containing today, or `404 no_current_semester`.
pub async fn current(db: &impl ConnectionTrait, tz: chrono_tz::Tz) -> AppResult<Semester> {
    containing(db, today(tz)).await?.ok_or_else(|| {
        ApiError::not_found(
            ErrorCode::NoCurrentSemester,
            "今天不在任何学期内:请保卫处在“学期”中设置本学期",
        )
    })
}

pub async fn by_code(db: &impl ConnectionTrait, code: &str) -> AppResult<Option<Semester>> {
    Ok(model::Entity::find()
        .filter(model::Column::Code.eq(code.trim()))
        .one(db)
        .await?)
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

/// Serialises semester writes on PostgreSQL (a transaction-scoped advisory lock), so two
/// overlapping semesters written at once cannot both pass the overlap check. SQLite's writers
/// are already serialised by `begin_write`.
async fn serialise(db: &impl ConnectionTrait) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("SELECT pg_advisory_xact_lock(72610501)")
            .await?;
    }
    Ok(())
}

/// Refuses a semester whose days meet another's (`409 semester_overlap`).
async fn check_no_overlap(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
    except: Option<Uuid>,
) -> AppResult<()> {
    let mut q = model::Entity::find()
        .filter(model::Column::StartsOn.lte(fmt_date(to)))
        .filter(model::Column::EndsOn.gte(fmt_date(from)));
    if let Some(id) = except {
        q = q.filter(model::Column::Id.ne(id));
    }
    if let Some(other) = q.one(db).await? {
        return Err(ApiError::conflict(
            ErrorCode::SemesterOverlap,
            format!(
                "与已有学期“{}”({} 至 {})的日期重叠",
                other.name, other.starts_on, other.ends_on
            ),
        ));
    }
    Ok(())
}

/// Plans written for this semester's code before it was defined become its plans.
pub async fn link_plans(db: &impl ConnectionTrait, s: &Semester) -> AppResult<()> {
    plan::Entity::update_many()
        .col_expr(plan::Column::SemesterId, Expr::value(s.id))
        .filter(plan::Column::Semester.eq(s.code.as_str()))
        .exec(db)
        .await?;
    Ok(())
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
    let now = crate::infra::util::now();
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

async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Semester> {
    model::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::SemesterNotFound, "学期不存在"))
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
    a.updated_at = Set(crate::infra::util::now());
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

/// The Chinese school semester containing `day`, as the demo defines it: the first semester
/// from 1 September to 14 February, the second from 15 February to 31 August (holidays
/// included, so that every day of the year belongs to one).
pub fn school_semester_of(day: NaiveDate) -> (String, String, NaiveDate, NaiveDate) {
    let y = day.year();
    let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap_or(day);
    let (first_year, term) = if day >= d(y, 9, 1) {
        (y, 1)
    } else if day >= d(y, 2, 15) {
        (y - 1, 2)
    } else {
        (y - 1, 1)
    };
    let (from, to) = if term == 1 {
        (d(first_year, 9, 1), d(first_year + 1, 2, 14))
    } else {
        (d(first_year + 1, 2, 15), d(first_year + 1, 8, 31))
    };
    let code = format!("{first_year}-{}-{term}", first_year + 1);
    let name = format!(
        "{first_year}-{}学年第{}学期",
        first_year + 1,
        if term == 1 { "一" } else { "二" }
    );
    (code, name, from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn every_day_belongs_to_one_school_semester() {
        let (code, name, from, to) = school_semester_of(day("2026-12-01"));
        assert_eq!(code, "2026-2027-1");
        assert_eq!(name, "2026-2027学年第一学期");
        assert_eq!((from, to), (day("2026-09-01"), day("2027-02-14")));
        let (code, _, from, to) = school_semester_of(day("2027-01-20"));
        assert_eq!(code, "2026-2027-1");
        assert_eq!((from, to), (day("2026-09-01"), day("2027-02-14")));
        let (code, name, from, to) = school_semester_of(day("2027-02-15"));
        assert_eq!(code, "2026-2027-2");
        assert_eq!(name, "2026-2027学年第二学期");
        assert_eq!((from, to), (day("2027-02-15"), day("2027-08-31")));
        let (code, _, _, _) = school_semester_of(day("2027-08-31"));
        assert_eq!(code, "2026-2027-2");
        let (code, _, _, _) = school_semester_of(day("2027-09-01"));
        assert_eq!(code, "2027-2028-1");
    }
}
