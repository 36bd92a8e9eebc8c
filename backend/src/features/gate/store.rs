//! The gate's queries: passes read for a scan, the conditional updates that decide single use
//! (the database decides between concurrent scans), scan rows, the lists and the log.

use super::model::scan;
use super::{Direction, ScanCode, ScanSource, Verdict};
use crate::auth::extract::Caller;
use crate::features::passes::{self, PassKind, PassStatus};
use crate::infra::error::AppResult;
use crate::schema::passes::leave_pass;
use crate::schema::students::student;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A pass with its student, as the write reads them.
pub type PassRow = (leave_pass::Model, Option<student::Model>);

/// The passes of `ids` with their students, in one read.
pub async fn read_passes(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, PassRow>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(leave_pass::Entity::find()
        .filter(leave_pass::Column::Id.is_in(ids))
        .find_also_related(student::Entity)
        .all(db)
        .await?
        .into_iter()
        .map(|(p, s)| (p.id, (p, s)))
        .collect())
}

/// The pass a typed manual code names.
pub async fn pass_by_short_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> AppResult<Option<leave_pass::Model>> {
    Ok(leave_pass::Entity::find()
        .filter(leave_pass::Column::ShortCode.eq(code))
        .one(db)
        .await?)
}

/// When this guard or key last scanned online (one indexed read per batch, none per scan).
pub async fn last_online_contact(
    db: &impl ConnectionTrait,
    caller: &Caller,
) -> AppResult<Option<DateTime<Utc>>> {
    let actor = caller.actor();
    // A literal condition, so that the partial indexes on online scans apply (SQLite cannot
    // match a bound parameter against an index's WHERE).
    let select = scan::Entity::find()
        .select_only()
        .column(scan::Column::ReceivedAt)
        .filter(Expr::cust("source = 'online'"));
    let select = match (actor.user_id, actor.api_key_id) {
        (Some(u), _) => select.filter(scan::Column::ActorUserId.eq(u)),
        (None, Some(k)) => select.filter(scan::Column::ActorApiKeyId.eq(k)),
        (None, None) => return Ok(None),
    };
    Ok(select
        .order_by_desc(scan::Column::ReceivedAt)
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?)
}

/// The scan recorded under a client event id.
pub async fn scan_by_event(
    db: &impl ConnectionTrait,
    client_event_id: &str,
) -> AppResult<Option<scan::Model>> {
    Ok(scan::Entity::find()
        .filter(scan::Column::ClientEventId.eq(client_event_id))
        .one(db)
        .await?)
}

/// Which of these client event ids are already recorded (one read per group).
pub async fn recorded_events(
    db: &impl ConnectionTrait,
    event_ids: Vec<&str>,
) -> AppResult<HashSet<String>> {
    Ok(scan::Entity::find()
        .select_only()
        .column(scan::Column::ClientEventId)
        .filter(scan::Column::ClientEventId.is_in(event_ids))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The single-use decision, made atomically by the database: moves the pass out (from
/// `issued`; for an offline scan also from `revoked` when revoked after `at`) or back (from
/// `out`). `true` when this scan moved it.
pub async fn move_pass(
    tx: &impl ConnectionTrait,
    pass_id: Uuid,
    direction: Direction,
    offline: bool,
    scan_id: Uuid,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let update = leave_pass::Entity::update_many()
        .col_expr(leave_pass::Column::UpdatedAt, Expr::value(now))
        .filter(leave_pass::Column::Id.eq(pass_id));
    let update = match direction {
        Direction::Exit => {
            let mut cond = Condition::any().add(leave_pass::Column::Status.eq(PassStatus::Issued));
            if offline {
                // Revoked after the student already left offline: the exit stands.
                cond = cond.add(
                    Condition::all()
                        .add(leave_pass::Column::Status.eq(PassStatus::Revoked))
                        .add(leave_pass::Column::RevokedAt.gt(at)),
                );
            }
            update
                .col_expr(leave_pass::Column::Status, Expr::value(PassStatus::Out))
                .col_expr(leave_pass::Column::ExitedAt, Expr::value(at))
                .col_expr(leave_pass::Column::ExitScanId, Expr::value(scan_id))
                .filter(cond)
        }
        Direction::Return => update
            .col_expr(
                leave_pass::Column::Status,
                Expr::value(PassStatus::Returned),
            )
            .col_expr(leave_pass::Column::ReturnedAt, Expr::value(at))
            .col_expr(leave_pass::Column::ReturnScanId, Expr::value(scan_id))
            .filter(leave_pass::Column::Status.eq(PassStatus::Out)),
    };
    Ok(update.exec(tx).await?.rows_affected == 1)
}

/// When the scan that let a pass out claims to have happened.
pub async fn scanned_at(
    tx: &impl ConnectionTrait,
    scan_id: Uuid,
) -> AppResult<Option<DateTime<Utc>>> {
    Ok(scan::Entity::find_by_id(scan_id)
        .select_only()
        .column(scan::Column::ScannedAt)
        .into_tuple::<DateTime<Utc>>()
        .one(tx)
        .await?)
}

/// The offline take-over, atomically: the pass's exit becomes `scan_id` if it still is
/// `previous`, and the previous scan is re-flagged as a refused, conflicting one. `true` when
/// it took over.
pub async fn take_over_exit(
    tx: &impl ConnectionTrait,
    pass_id: Uuid,
    previous: Uuid,
    scan_id: Uuid,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let swapped = leave_pass::Entity::update_many()
        .col_expr(leave_pass::Column::ExitedAt, Expr::value(at))
        .col_expr(leave_pass::Column::ExitScanId, Expr::value(scan_id))
        .col_expr(leave_pass::Column::UpdatedAt, Expr::value(now))
        .filter(leave_pass::Column::Id.eq(pass_id))
        .filter(leave_pass::Column::ExitScanId.eq(previous))
        .exec(tx)
        .await?
        .rows_affected
        == 1;
    if swapped {
        scan::Entity::update_many()
            .col_expr(scan::Column::Conflict, Expr::value(true))
            .col_expr(scan::Column::Result, Expr::value(Verdict::Deny))
            .col_expr(scan::Column::Code, Expr::value(ScanCode::PassAlreadyUsed))
            .filter(scan::Column::Id.eq(previous))
            .exec(tx)
            .await?;
    }
    Ok(swapped)
}

/// The student's and class's names of a pass (answers recorded before answers were kept).
pub async fn names_of_pass(
    db: &impl ConnectionTrait,
    pass_id: Uuid,
) -> AppResult<Option<(leave_pass::Model, String, String)>> {
    let Some(p) = leave_pass::Entity::find_by_id(pass_id).one(db).await? else {
        return Ok(None);
    };
    let name = student::Entity::find_by_id(p.student_id)
        .one(db)
        .await?
        .map(|st| st.name)
        .unwrap_or_default();
    let class = crate::features::classes::names(db, [p.class_id])
        .await?
        .remove(&p.class_id)
        .unwrap_or_default();
    Ok(Some((p, name, class)))
}

/// Revoked passes still within their window, revoked at or after `since`.
pub async fn revoked(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
) -> AppResult<Vec<(Uuid, DateTime<Utc>)>> {
    let mut select = leave_pass::Entity::find()
        .filter(leave_pass::Column::RevokedAt.is_not_null())
        .filter(leave_pass::Column::ValidUntil.gt(now));
    if let Some(since) = since {
        select = select.filter(leave_pass::Column::RevokedAt.gte(since));
    }
    Ok(select
        .order_by_asc(leave_pass::Column::RevokedAt)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| p.revoked_at.map(|r| (p.id, r)))
        .collect())
}

/// The passes of students out of school at `now` (`overdue_only`: those past their return
/// time). The one rule for "out", shared by the gate lists and the dashboard.
pub fn out_select(
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
    overdue_only: bool,
) -> Select<leave_pass::Entity> {
    let select = leave_pass::Entity::find().filter(leave_pass::Column::Status.eq(PassStatus::Out));
    if overdue_only {
        select.filter(leave_pass::Column::ReturnBy.lt(now))
    } else {
        // A student who left on a one-way pass counts as out for the day they left.
        let today = now.with_timezone(&tz).date_naive();
        let (start, _) = passes::local_day(tz, today);
        select.filter(
            Condition::any()
                .add(leave_pass::Column::Kind.eq(PassKind::ExitAndReturn))
                .add(leave_pass::Column::ExitedAt.gte(start)),
        )
    }
}

/// The gate log's filters.
#[derive(Default)]
pub struct LogFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub gate: Option<String>,
    pub direction: Option<Direction>,
    pub result: Option<Verdict>,
    pub conflict: Option<bool>,
    pub source: Option<ScanSource>,
    pub pass_id: Option<Uuid>,
    pub class_id: Option<Uuid>,
}

/// The gate log, newest first by (scanned_at, id): the time a scan happened, which for an
/// offline batch is earlier than when it arrived.
pub async fn scans(
    db: &impl ConnectionTrait,
    f: LogFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> AppResult<Vec<scan::Model>> {
    let mut select = scan::Entity::find();
    if let Some(v) = f.from {
        select = select.filter(scan::Column::ScannedAt.gte(v));
    }
    if let Some(v) = f.to {
        select = select.filter(scan::Column::ScannedAt.lt(v));
    }
    if let Some(v) = f.gate {
        select = select.filter(scan::Column::Gate.eq(v));
    }
    if let Some(v) = f.direction {
        select = select.filter(scan::Column::Direction.eq(v));
    }
    if let Some(v) = f.result {
        select = select.filter(scan::Column::Result.eq(v));
    }
    if let Some(v) = f.conflict {
        select = select.filter(scan::Column::Conflict.eq(v));
    }
    if let Some(v) = f.source {
        select = select.filter(scan::Column::Source.eq(v));
    }
    if let Some(v) = f.pass_id {
        select = select.filter(scan::Column::PassId.eq(v));
    }
    if let Some(v) = f.class_id {
        select = select.filter(scan::Column::ClassId.eq(v));
    }
    if let Some((at, id)) = after {
        select = select.filter(crate::infra::pagination::after_time_id(
            scan::Column::ScannedAt,
            scan::Column::Id,
            at,
            id,
        ));
    }
    Ok(select
        .order_by_desc(scan::Column::ScannedAt)
        .order_by_desc(scan::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Students' names by id.
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

/// Students (at most 50) whose 学号 is `q` or whose name contains it, literally.
pub async fn students_matching(
    db: &impl ConnectionTrait,
    q: &str,
) -> AppResult<HashMap<Uuid, String>> {
    // `%` and `_` in a name are meant literally.
    let escaped: String = q
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let like = LikeExpr::new(format!("%{escaped}%")).escape('\\');
    Ok(student::Entity::find()
        .filter(
            Condition::any()
                .add(student::Column::StudentNo.eq(q))
                .add(student::Column::Name.like(like)),
        )
        .limit(50)
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

/// These students' passes (at most 20, newest first) whose window touches `[start, end)` or
/// that are out.
pub async fn passes_of_day(
    db: &impl ConnectionTrait,
    students: impl IntoIterator<Item = Uuid>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> AppResult<Vec<leave_pass::Model>> {
    Ok(leave_pass::Entity::find()
        .filter(leave_pass::Column::StudentId.is_in(students))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(leave_pass::Column::ValidFrom.lt(end))
                        .add(leave_pass::Column::ValidUntil.gt(start)),
                )
                .add(leave_pass::Column::Status.eq(PassStatus::Out)),
        )
        .order_by_desc(leave_pass::Column::ValidFrom)
        .limit(20)
        .all(db)
        .await?)
}
