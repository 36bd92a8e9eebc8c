//! Semester queries.

use super::model::{self, Model as Semester};
use crate::infra::clock::{fmt_date, today};
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::plans::plan;
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter};
use uuid::Uuid;

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

/// Serialises semester writes on PostgreSQL (a transaction-scoped advisory lock), so two
/// overlapping semesters written at once cannot both pass the overlap check. SQLite's writers
/// are already serialised by `begin_write`.
pub async fn serialise(db: &impl ConnectionTrait) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("SELECT pg_advisory_xact_lock(72610501)")
            .await?;
    }
    Ok(())
}

/// Refuses a semester whose days meet another's (`409 semester_overlap`).
pub async fn check_no_overlap(
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

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Semester> {
    model::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::SemesterNotFound, "学期不存在"))
}
