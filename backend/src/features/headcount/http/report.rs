//! A class's form (roster, students pre-filled as out on a leave pass, the report so far) and
//! its report: one small request, safe to retry (a client report id), guarded by a version so
//! that a late retry never overwrites a newer count (the office's, entered in person).

use super::super::model::{
    Absence, AbsenceReason, ClassReportStatus, HeadcountStatus, ReportSource, class_row,
};
use super::super::store::{self, Report};
use super::super::tally::{self, ReportProblem};
use super::board::closed;
use super::{is_open, stored};
use crate::auth::extract::Auth;
use crate::auth::roles::{Role, TeacherOrOffice};
use crate::features::audit;
use crate::features::classes::require_own_class;
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::state::State;
use actix_web::{get, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashSet;
use utoipa::ToSchema;
use uuid::Uuid;

/// A student of the class on the form.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterStudent {
    pub id: Uuid,
    pub student_no: String,
    pub name: String,
}

/// What a class teacher's form shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassSheet {
    pub headcount_id: Uuid,
    pub headcount_status: HeadcountStatus,
    pub title: String,
    pub started_at: DateTime<Utc>,
    pub class_id: Uuid,
    pub class_name: String,
    /// 应到.
    pub expected: i32,
    pub students: Vec<RosterStudent>,
    /// Students out of school on a leave pass now (the gate's record): the form starts with
    /// them as accounted for.
    pub prefill: Vec<Absence>,
    pub status: ClassReportStatus,
    /// The last report (zero and empty while pending).
    pub present: i32,
    pub absent: Vec<Absence>,
    pub injured: Vec<Uuid>,
    /// Send it back with the next report.
    pub version: i32,
    pub reported_at: Option<DateTime<Utc>>,
    pub source: Option<ReportSource>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "client_report_id": "01938a60-2b4d-7c1e-8f3a-5d6e7f809102",
    "version": 0,
    "present": 38,
    "absent": [
        {"student_id": "01938a52-7a10-7b2c-9d3e-4f5a6b7c8d01", "reason": "leave_pass"},
        {"student_id": "01938a52-7a10-7b2c-9d3e-4f5a6b7c8d02", "reason": "absent_today"}
    ],
    "injured": []
}))]
pub struct ClassReportRequest {
    /// Made once per report on the phone and sent again on every retry: a report already
    /// received is answered as it was, never applied twice.
    pub client_report_id: Uuid,
    /// The class row's version the report was made from (0 for the first report). A report
    /// made from an older version is refused `headcount_version_conflict`; without it the
    /// report replaces whatever is there.
    pub version: Option<i32>,
    /// 实到 at the assembly point, the injured included.
    pub present: i32,
    /// Every student not at the assembly point, with why.
    #[serde(default)]
    pub absent: Vec<Absence>,
    /// Injured students (among the present).
    #[serde(default)]
    pub injured: Vec<Uuid>,
}

/// The answer to a report: small, for a crowded network.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassReportResponse {
    pub headcount_id: Uuid,
    pub class_id: Uuid,
    pub status: ClassReportStatus,
    /// The row's version now.
    pub version: i32,
    /// Everyone of the class accounted for (nobody missing).
    pub accounted: bool,
    pub reported_at: Option<DateTime<Utc>>,
    pub source: Option<ReportSource>,
    /// This report id had been received before; nothing was changed.
    pub replayed: bool,
}

fn answer(row: &class_row::Model, replayed: bool) -> ClassReportResponse {
    ClassReportResponse {
        headcount_id: row.headcount_id,
        class_id: row.class_id,
        status: row.status,
        version: row.version,
        accounted: row.accounted_at.is_some(),
        reported_at: row.reported_at,
        source: row.source,
        replayed,
    }
}

/// A class's head-count form (own class; the office any).
#[utoipa::path(
    tag = "headcount",
    params(("id" = Uuid, Path), ("class_id" = Uuid, Path)),
    responses(
        (status = 200, body = ClassSheet),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
        (status = 404, description = "`headcount_not_found`, `class_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office", "class_teacher"]))
)]
#[get("/headcounts/{id}/classes/{class_id}")]
pub async fn get_class_sheet(
    auth: Auth<TeacherOrOffice>,
    state: State,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<web::Json<ClassSheet>> {
    let (id, class_id) = path.into_inner();
    let db = &state.db.conn;
    let hc = store::find(db, id).await?;
    require_own_class(db, &auth.user, class_id).await?;
    let row = store::row(db, id, class_id).await?;
    let roster = store::roster(db, class_id).await?;
    let ids: Vec<Uuid> = roster.iter().map(|s| s.id).collect();
    let prefill = if is_open(hc.status) {
        let out = store::out_on_pass(
            db,
            state.tz,
            crate::infra::clock::now(),
            Some(vec![class_id]),
        )
        .await?;
        tally::prefill(&ids, &out.get(&class_id).cloned().unwrap_or_default())
    } else {
        Vec::new()
    };
    Ok(web::Json(ClassSheet {
        headcount_id: hc.id,
        headcount_status: hc.status,
        title: hc.title,
        started_at: hc.started_at,
        class_id,
        class_name: row.class_name.clone(),
        expected: row.expected,
        students: roster
            .into_iter()
            .map(|s| RosterStudent {
                id: s.id,
                student_no: s.student_no,
                name: s.name,
            })
            .collect(),
        prefill,
        status: row.status,
        present: row.present,
        absent: stored(&row.absent)?,
        injured: stored(&row.injured)?,
        version: row.version,
        reported_at: row.reported_at,
        source: row.source,
    }))
}

fn refuse(problems: Vec<ReportProblem>) -> AppResult<()> {
    if problems.is_empty() {
        return Ok(());
    }
    if let [ReportProblem::CountMismatch { expected, got }] = problems.as_slice() {
        return Err(ApiError::unprocessable(
            ErrorCode::HeadcountCountMismatch,
            format!("应到 {expected} 人,实到与缺席合计 {got} 人:请核对人数或补全缺席名单"),
        ));
    }
    let mut v = Validator::new();
    for p in problems {
        match p {
            ReportProblem::CountMismatch { expected, got } => v.add(
                "present",
                "count_mismatch",
                format!("应到 {expected} 人,实到与缺席合计 {got} 人"),
            ),
            ReportProblem::Duplicate(f) => v.add(f, "duplicate", "同一名学生只能出现一次"),
            ReportProblem::NotInClass(f) => v.add(f, "not_in_class", "学生不在本班"),
            ReportProblem::NegativePresent => v.add("present", "invalid", "实到人数无效"),
            ReportProblem::TooManyInjured => {
                v.add("injured", "too_many", "受伤人数不能多于实到人数")
            }
        }
    }
    v.finish()
}

/// Report a class from the assembly point (own class; the office enters a count handed over
/// in person). Retry with the same `client_report_id` as often as the network needs.
#[utoipa::path(
    tag = "headcount",
    params(("id" = Uuid, Path), ("class_id" = Uuid, Path)),
    request_body = ClassReportRequest,
    responses(
        (status = 200, body = ClassReportResponse),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
        (status = 404, description = "`headcount_not_found`, `class_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`headcount_closed`, `headcount_version_conflict`, `client_event_conflict` (the report id was used for another class)", body = crate::infra::error::Problem),
        (status = 422, description = "`headcount_count_mismatch`, `validation_failed`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office", "class_teacher"]))
)]
#[put("/headcounts/{id}/classes/{class_id}")]
pub async fn report_class(
    auth: Auth<TeacherOrOffice>,
    state: State,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<ClassReportRequest>,
) -> AppResult<web::Json<ClassReportResponse>> {
    let (id, class_id) = path.into_inner();
    let b = body.into_inner();
    // Bounded before anything is read: a class is never this large.
    let mut v = Validator::new();
    if b.present > 10_000 {
        v.add("present", "invalid", "实到人数无效");
    }
    for (field, n) in [("absent", b.absent.len()), ("injured", b.injured.len())] {
        if n > 1_000 {
            v.add(field, "too_many", "名单过长");
        }
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let hc = store::find_shared(&*tx, id).await?;
    require_own_class(&*tx, &auth.user, class_id).await?;
    if let Some(done) = replay(&*tx, &b, id, class_id).await? {
        tx.commit().await?;
        return Ok(web::Json(done));
    }
    if !is_open(hc.status) {
        return Err(closed());
    }
    let row = store::row(&*tx, id, class_id).await?;
    if b.version.is_some_and(|v| v != row.version) {
        // A copy of this very report may have been applied since the receipt was looked up.
        if let Some(done) = replay(&*tx, &b, id, class_id).await? {
            tx.commit().await?;
            return Ok(web::Json(done));
        }
        return Err(version_conflict());
    }
    let roster: HashSet<Uuid> = store::roster(&*tx, class_id)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    refuse(tally::check_report(
        row.expected,
        &roster,
        b.present,
        &b.absent,
        &b.injured,
    ))?;
    let now = crate::infra::clock::now();
    let report = Report {
        present: b.present,
        accounted_at: tally::accounted_since(row.accounted_at, &b.absent, now),
        absent: b.absent.clone(),
        injured: b.injured.clone(),
        by: auth.user.id,
        source: if auth.user.is(Role::SecurityOffice) {
            ReportSource::Office
        } else {
            ReportSource::Teacher
        },
        now,
    };
    let version = row.version + 1;
    if !store::claim_receipt(&*tx, b.client_report_id, id, class_id, version, now).await? {
        // A copy of this very report (a retry in flight) was applied meanwhile.
        if let Some(done) = replay(&*tx, &b, id, class_id).await? {
            tx.commit().await?;
            return Ok(web::Json(done));
        }
        return Err(version_conflict());
    }
    if !store::apply(&*tx, row.id, row.version, &report).await? {
        // Someone else's report changed the row since it was read: nothing is kept (the
        // receipt goes with the rollback), so the same report may be sent again.
        return Err(version_conflict());
    }
    let count = |r: AbsenceReason| report.absent.iter().filter(|a| a.reason == r).count();
    // Counts only: the audit trail needs no student's name.
    audit::record(
        &*tx,
        auth.user.actor(),
        "headcount.report",
        "headcount",
        Some(id.to_string()),
        json!({"class_id": class_id, "version": version, "source": report.source,
               "present": report.present, "on_leave": count(AbsenceReason::LeavePass),
               "absent_today": count(AbsenceReason::AbsentToday),
               "missing": count(AbsenceReason::Missing), "injured": report.injured.len()}),
    )
    .await?;
    let after = store::row(&*tx, id, class_id).await?;
    tx.commit().await?;
    Ok(web::Json(answer(&after, false)))
}

/// The answer to a report id already received, or `None`.
async fn replay(
    db: &impl sea_orm::ConnectionTrait,
    b: &ClassReportRequest,
    id: Uuid,
    class_id: Uuid,
) -> AppResult<Option<ClassReportResponse>> {
    let Some(rc) = store::receipt(db, b.client_report_id).await? else {
        return Ok(None);
    };
    if rc.headcount_id != id || rc.class_id != class_id {
        return Err(ApiError::conflict(
            ErrorCode::ClientEventConflict,
            "该上报编号已用于其他班级或其他清点",
        ));
    }
    let row = store::row(db, id, class_id).await?;
    Ok(Some(answer(&row, true)))
}

fn version_conflict() -> ApiError {
    ApiError::conflict(
        ErrorCode::HeadcountVersionConflict,
        "本班人数已由他人更新(如保卫处代报),请刷新后核对",
    )
}
