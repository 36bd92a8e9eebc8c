//! The rules of a patrol, with no queries and no clock: a checkpoint's status in a run, which
//! scheduled start a run fulfils, and who may act on a run (see the module docs).

use super::model::{point, run};
use crate::auth::extract::CurrentUser;
use crate::auth::roles::Role;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A run started within this many minutes of a scheduled start fulfils it; a scheduled start
/// with no run by then is `not_started`.
pub const SLOT_WINDOW_MINUTES: i64 = 120;

/// A checkpoint's status in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PointStatus {
    /// Not scanned yet, still within its time.
    Pending,
    OnTime,
    Late,
    Missed,
}

impl PointStatus {
    /// The audit log's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::OnTime => "on_time",
            Self::Late => "late",
            Self::Missed => "missed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    InProgress,
    Finished,
}

impl RunStatus {
    pub fn of(r: &run::Model) -> Self {
        if r.finished_at.is_some() {
            Self::Finished
        } else {
            Self::InProgress
        }
    }
}

/// Why a checkpoint is on the missed list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissedReason {
    /// Missed in a run.
    NotVisited,
    /// No run for a scheduled start.
    NotStarted,
}

/// Expected time + tolerance: scanned after this is late.
pub fn due_by(p: &point::Model) -> DateTime<Utc> {
    p.expected_at + Duration::minutes(i64::from(p.tolerance_minutes))
}

/// A checkpoint's status in a run, as of `now` (the rules are in the module's doc).
pub fn point_status(p: &point::Model, finished: bool, now: DateTime<Utc>) -> PointStatus {
    let due = due_by(p);
    match p.visited_at {
        Some(at) if at <= due => PointStatus::OnTime,
        Some(_) => PointStatus::Late,
        None if finished || now > due => PointStatus::Missed,
        None => PointStatus::Pending,
    }
}

pub fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

pub fn local_instant(tz: &chrono_tz::Tz, date: NaiveDate, t: NaiveTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&date.and_time(t))
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

/// The scheduled start (on the start's local date) nearest to `at`, within the window.
pub fn matching_slot(
    tz: &chrono_tz::Tz,
    times: &[String],
    date: NaiveDate,
    at: DateTime<Utc>,
) -> Option<String> {
    times
        .iter()
        .filter_map(|s| {
            let inst = local_instant(tz, date, parse_hhmm(s)?)?;
            let diff = (at - inst).num_minutes().abs();
            (diff <= SLOT_WINDOW_MINUTES).then_some((diff, s.clone()))
        })
        .min()
        .map(|(_, s)| s)
}

pub fn may_read(u: &CurrentUser, r: &run::Model) -> bool {
    u.role != Role::Guard || r.guard_id == u.id
}

/// Only the one who started a run scans, notes and finishes it.
pub fn own_run(u: &CurrentUser, r: &run::Model) -> AppResult<()> {
    if r.guard_id != u.id {
        return Err(ApiError::forbidden(
            ErrorCode::NotOwnPatrol,
            "只能操作自己发起的巡查",
        ));
    }
    Ok(())
}

pub fn open_run(r: &run::Model) -> AppResult<()> {
    if r.finished_at.is_some() {
        return Err(ApiError::conflict(
            ErrorCode::PatrolFinished,
            "本次巡查已结束",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn p(visited: Option<i64>, tol: i32) -> point::Model {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        point::Model {
            id: Uuid::nil(),
            run_id: Uuid::nil(),
            seq: 0,
            checkpoint_id: Uuid::nil(),
            checkpoint_name: "南门".into(),
            location: String::new(),
            expected_at: t0,
            tolerance_minutes: tol,
            visited_at: visited.map(|m| t0 + Duration::minutes(m)),
            client_event_id: None,
            observation: None,
            hazard_id: None,
        }
    }

    #[test]
    fn statuses_follow_the_expected_time_and_tolerance() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(
            point_status(&p(Some(-5), 10), false, t0),
            PointStatus::OnTime
        );
        assert_eq!(
            point_status(&p(Some(10), 10), false, t0),
            PointStatus::OnTime
        );
        assert_eq!(point_status(&p(Some(11), 10), false, t0), PointStatus::Late);
        assert_eq!(point_status(&p(None, 10), false, t0), PointStatus::Pending);
        assert_eq!(point_status(&p(None, 10), true, t0), PointStatus::Missed);
        let later = t0 + Duration::minutes(11);
        assert_eq!(
            point_status(&p(None, 10), false, later),
            PointStatus::Missed
        );
    }

    #[test]
    fn a_run_fulfils_the_nearest_scheduled_start_within_the_window() {
        let tz = chrono_tz::Asia::Shanghai;
        let d = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let at = |h, m| local_instant(&tz, d, NaiveTime::from_hms_opt(h, m, 0).unwrap()).unwrap();
        let times = vec!["06:00".to_owned(), "21:00".to_owned()];
        assert_eq!(
            matching_slot(&tz, &times, d, at(21, 10)),
            Some("21:00".into())
        );
        assert_eq!(
            matching_slot(&tz, &times, d, at(5, 0)),
            Some("06:00".into())
        );
        assert_eq!(matching_slot(&tz, &times, d, at(12, 0)), None);
    }
}
