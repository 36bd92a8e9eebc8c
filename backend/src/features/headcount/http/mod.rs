//! The head-count's requests, answers and handlers: `board.rs` (start, list, board, close),
//! `report.rs` (a class's form and its report); the figures they share are here.

mod board;
mod report;

pub use board::*;
pub use report::*;

use super::model::{Absence, AbsenceReason, ClassReportStatus, HeadcountStatus, class_row};
use super::tally::{self, ClassFigures, Totals};
use crate::infra::error::{ApiError, AppResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

/// The head-count's totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotalsResponse {
    /// Classes in the head-count (those with students when it started).
    pub classes: i32,
    pub classes_reported: i32,
    /// 应到: active students of those classes at the start.
    pub expected: i32,
    /// 实到 (reported classes).
    pub present: i32,
    /// Out of school on a leave pass (reported; for a class not yet reported, per the gate).
    pub on_leave: i32,
    /// Not at school today (缺勤), accounted for.
    pub absent_today: i32,
    /// Named as missing (下落不明) by reported classes.
    pub missing: i32,
    pub injured: i32,
    /// Not accounted for: the missing, and everyone of a class not yet reported but those
    /// the gate knows are out.
    pub not_accounted: i32,
    /// When the last class became accounted for, once all are.
    pub all_accounted_at: Option<DateTime<Utc>>,
    /// From the start to `all_accounted_at`.
    pub seconds_to_all_accounted: Option<i64>,
}

impl From<Totals> for TotalsResponse {
    fn from(t: Totals) -> Self {
        Self {
            classes: t.classes,
            classes_reported: t.classes_reported,
            expected: t.expected,
            present: t.present,
            on_leave: t.on_leave,
            absent_today: t.absent_today,
            missing: t.missing,
            injured: t.injured,
            not_accounted: t.not_accounted,
            all_accounted_at: t.all_accounted_at,
            seconds_to_all_accounted: t.seconds_to_all_accounted,
        }
    }
}

/// A stored JSON list of a class row; corrupt data is an error, never an empty list.
pub(super) fn stored<T: serde::de::DeserializeOwned>(s: &str) -> AppResult<Vec<T>> {
    serde_json::from_str(s).map_err(|e| {
        tracing::error!(error = %e, "a stored head-count list is not valid JSON");
        ApiError::internal()
    })
}

/// A class row with its lists read.
pub struct ClassFiguresOf {
    pub row: class_row::Model,
    pub absent: Vec<Absence>,
    pub injured: Vec<Uuid>,
    pub figures: ClassFigures,
}

/// A head-count's class rows as the board counts them. `out` (open head-counts only) is who
/// the gate has out on a pass now, for the classes not yet reported; a closed head-count's
/// rows already hold them.
pub fn figures_of(
    rows: Vec<class_row::Model>,
    out: Option<&HashMap<Uuid, HashSet<Uuid>>>,
) -> AppResult<Vec<ClassFiguresOf>> {
    rows.into_iter()
        .map(|row| {
            let reported = row.status == ClassReportStatus::Reported;
            let absent: Vec<Absence> = match (reported, out) {
                (false, Some(out)) => out
                    .get(&row.class_id)
                    .map(|s| {
                        let mut ids: Vec<Uuid> = s.iter().copied().collect();
                        ids.sort_unstable();
                        ids.into_iter()
                            .map(|student_id| Absence {
                                student_id,
                                reason: AbsenceReason::LeavePass,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => stored(&row.absent)?,
            };
            let injured: Vec<Uuid> = stored(&row.injured)?;
            let figures = tally::figures(
                reported,
                row.expected,
                row.present,
                &absent,
                injured.len(),
                row.accounted_at,
            );
            Ok(ClassFiguresOf {
                row,
                absent,
                injured,
                figures,
            })
        })
        .collect()
}

pub(super) fn totals(classes: &[ClassFiguresOf], started_at: DateTime<Utc>) -> TotalsResponse {
    let figures: Vec<ClassFigures> = classes.iter().map(|c| c.figures.clone()).collect();
    tally::tally(&figures, started_at).into()
}

pub(super) fn is_open(s: HeadcountStatus) -> bool {
    s == HeadcountStatus::Open
}
