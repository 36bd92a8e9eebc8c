//! The head-count's queries: the open head-count, class rows, rosters, students out on a
//! leave pass, and the versioned update that makes a class report safe to retry.

use super::model::{Absence, ClassReportStatus, HeadcountStatus, class_row, receipt, record};
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::students::student;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<record::Model> {
    record::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)
}

pub fn not_found() -> ApiError {
    ApiError::not_found(ErrorCode::HeadcountNotFound, "清点记录不存在")
}

/// The head-count, read with a shared lock (PostgreSQL) inside a report's transaction: a
/// close waits for reports in flight, and a report after the close sees it closed.
pub async fn find_shared(db: &impl ConnectionTrait, id: Uuid) -> AppResult<record::Model> {
    record::Entity::find_by_id(id)
        .lock_shared()
        .one(db)
        .await?
        .ok_or_else(not_found)
}

pub async fn open(db: &impl ConnectionTrait) -> AppResult<Option<record::Model>> {
    Ok(record::Entity::find()
        .filter(record::Column::Status.eq(HeadcountStatus::Open))
        .one(db)
        .await?)
}

pub async fn rows(
    db: &impl ConnectionTrait,
    headcount_id: Uuid,
) -> AppResult<Vec<class_row::Model>> {
    Ok(class_row::Entity::find()
        .filter(class_row::Column::HeadcountId.eq(headcount_id))
        .order_by_asc(class_row::Column::ClassName)
        .all(db)
        .await?)
}

pub async fn rows_of_many(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<class_row::Model>>> {
    let mut out: HashMap<Uuid, Vec<class_row::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for r in class_row::Entity::find()
        .filter(class_row::Column::HeadcountId.is_in(ids))
        .all(db)
        .await?
    {
        out.entry(r.headcount_id).or_default().push(r);
    }
    Ok(out)
}

pub async fn row(
    db: &impl ConnectionTrait,
    headcount_id: Uuid,
    class_id: Uuid,
) -> AppResult<class_row::Model> {
    class_row::Entity::find()
        .filter(class_row::Column::HeadcountId.eq(headcount_id))
        .filter(class_row::Column::ClassId.eq(class_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::ClassNotFound, "该班级不在本次清点中"))
}

/// The active students of a class, by student number.
pub async fn roster(db: &impl ConnectionTrait, class_id: Uuid) -> AppResult<Vec<student::Model>> {
    Ok(student::Entity::find()
        .filter(student::Column::ClassId.eq(class_id))
        .filter(student::Column::IsActive.eq(true))
        .order_by_asc(student::Column::StudentNo)
        .all(db)
        .await?)
}

/// Names of these students (for the board's missing and injured).
pub async fn student_names(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(student::Entity::find()
        .filter(student::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

/// Active students per class, for the expected numbers at the start.
pub async fn class_sizes(db: &impl ConnectionTrait) -> AppResult<HashMap<Uuid, i32>> {
    let rows: Vec<(Uuid, i64)> = student::Entity::find()
        .select_only()
        .column(student::Column::ClassId)
        .column_as(student::Column::Id.count(), "n")
        .filter(student::Column::IsActive.eq(true))
        .group_by(student::Column::ClassId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(c, n)| (c, i32::try_from(n).unwrap_or(i32::MAX)))
        .collect())
}

/// Students out of school on a leave pass now (as the gate's "students out" list counts
/// them), by class.
pub async fn out_on_pass(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
    class_ids: Option<Vec<Uuid>>,
) -> AppResult<HashMap<Uuid, HashSet<Uuid>>> {
    use crate::features::passes::leave_pass;
    let mut q = crate::features::gate::out_select(tz, now, false);
    if let Some(ids) = class_ids {
        q = q.filter(leave_pass::Column::ClassId.is_in(ids));
    }
    let mut out: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for p in q.all(db).await? {
        out.entry(p.class_id).or_default().insert(p.student_id);
    }
    Ok(out)
}

pub async fn receipt(
    db: &impl ConnectionTrait,
    client_report_id: Uuid,
) -> AppResult<Option<receipt::Model>> {
    Ok(receipt::Entity::find_by_id(client_report_id)
        .one(db)
        .await?)
}

/// What a report writes into its class row.
pub struct Report {
    pub present: i32,
    pub absent: Vec<Absence>,
    pub injured: Vec<Uuid>,
    pub by: Uuid,
    pub source: super::model::ReportSource,
    pub accounted_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// Writes a report over the row if it is still at `version`; `false` when someone else's
/// report got there first.
pub async fn apply(
    db: &impl ConnectionTrait,
    row_id: Uuid,
    version: i32,
    r: &Report,
) -> AppResult<bool> {
    let absent = serde_json::to_string(&r.absent).map_err(|_| ApiError::internal())?;
    let injured = serde_json::to_string(&r.injured).map_err(|_| ApiError::internal())?;
    let res = class_row::Entity::update_many()
        .col_expr(
            class_row::Column::Status,
            Expr::value(ClassReportStatus::Reported),
        )
        .col_expr(class_row::Column::Present, Expr::value(r.present))
        .col_expr(class_row::Column::Absent, Expr::value(absent))
        .col_expr(class_row::Column::Injured, Expr::value(injured))
        .col_expr(
            class_row::Column::Version,
            Expr::col(class_row::Column::Version).add(1),
        )
        .col_expr(class_row::Column::ReportedAt, Expr::value(Some(r.now)))
        .col_expr(class_row::Column::ReportedBy, Expr::value(Some(r.by)))
        .col_expr(class_row::Column::Source, Expr::value(Some(r.source)))
        .col_expr(class_row::Column::AccountedAt, Expr::value(r.accounted_at))
        .col_expr(class_row::Column::UpdatedAt, Expr::value(r.now))
        .filter(class_row::Column::Id.eq(row_id))
        .filter(class_row::Column::Version.eq(version))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Claims a client report id for this class row's next version; `false` when a copy of the
/// report claimed it first. On PostgreSQL a concurrent claim waits for the other transaction
/// and then finds its row, so two copies in flight are never both applied.
pub async fn claim_receipt(
    db: &impl ConnectionTrait,
    client_report_id: Uuid,
    headcount_id: Uuid,
    class_id: Uuid,
    version: i32,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let n = receipt::Entity::insert(receipt::ActiveModel {
        client_report_id: Set(client_report_id),
        headcount_id: Set(headcount_id),
        class_id: Set(class_id),
        version: Set(version),
        received_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(receipt::Column::ClientReportId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(n == 1)
}

/// Keeps, in a class row never reported, the students the gate had out when the head-count
/// closed: the closed record then no longer depends on later gate scans.
pub async fn freeze_pending(
    db: &impl ConnectionTrait,
    row: &class_row::Model,
    on_leave: Vec<Absence>,
) -> AppResult<()> {
    let absent = serde_json::to_string(&on_leave).map_err(|_| ApiError::internal())?;
    class_row::Entity::update_many()
        .col_expr(class_row::Column::Absent, Expr::value(absent))
        .filter(class_row::Column::Id.eq(row.id))
        .filter(class_row::Column::Status.eq(ClassReportStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}
