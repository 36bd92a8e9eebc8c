//! The roster conflicts (pure): everything that should stop a roster from being published.

use crate::infra::clock::{fmt_date, parse_date};
use crate::schema::duty::{ConflictKind, Post, shift};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeSet;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Conflict {
    /// `overlap` (one person in overlapping shifts), `user_disabled` (assignee's account is
    /// disabled), `no_leader` (a day without a leader on call) or `outside_range` (a shift
    /// left outside the roster's dates after they changed).
    pub kind: ConflictKind,
    pub date: String,
    pub shift_ids: Vec<Uuid>,
    pub user_id: Option<Uuid>,
    pub message: String,
}

/// What the rule looks at: the roster's dates, its shifts, the shifts of other published
/// rosters that overlap them in time, and whether an assignee's account is active.
pub struct RosterFacts<'a> {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub shifts: &'a [shift::Model],
    pub others: &'a [shift::Model],
    pub is_active: &'a dyn Fn(Uuid) -> bool,
}

fn in_range(start: Option<NaiveDate>, end: Option<NaiveDate>, d: NaiveDate) -> bool {
    matches!((start, end), (Some(s), Some(e)) if s <= d && d <= e)
}

/// Disabled assignees, shifts outside the dates, one person twice at once (within the roster or
/// against other published rosters), and days without a leader on call, in that order.
pub fn conflicts(f: &RosterFacts) -> Vec<Conflict> {
    let shifts = f.shifts;
    let mut out = Vec::new();
    for s in shifts {
        if !(f.is_active)(s.user_id) {
            out.push(Conflict {
                kind: ConflictKind::UserDisabled,
                date: s.date.clone(),
                shift_ids: vec![s.id],
                user_id: Some(s.user_id),
                message: format!(
                    "{} {}–{} 的值班人员账号已停用",
                    s.date, s.start_time, s.end_time
                ),
            });
        }
    }
    for s in shifts {
        if parse_date(&s.date).is_none_or(|d| !in_range(f.start, f.end, d)) {
            out.push(Conflict {
                kind: ConflictKind::OutsideRange,
                date: s.date.clone(),
                shift_ids: vec![s.id],
                user_id: Some(s.user_id),
                message: format!("{} 的班次不在值班表的日期范围内", s.date),
            });
        }
    }
    for (i, a) in shifts.iter().enumerate() {
        for b in shifts[i + 1..].iter().chain(f.others.iter()) {
            if a.user_id == b.user_id && a.starts_at < b.ends_at && b.starts_at < a.ends_at {
                out.push(Conflict {
                    kind: ConflictKind::Overlap,
                    date: a.date.clone(),
                    shift_ids: vec![a.id, b.id],
                    user_id: Some(a.user_id),
                    message: format!(
                        "同一人员的班次时间重叠:{} {}–{} 与 {} {}–{}",
                        a.date, a.start_time, a.end_time, b.date, b.start_time, b.end_time
                    ),
                });
            }
        }
    }
    let leader_days: BTreeSet<&str> = shifts
        .iter()
        .filter(|s| s.post == Post::LeaderOnCall)
        .map(|s| s.date.as_str())
        .collect();
    if let (Some(mut day), Some(end)) = (f.start, f.end) {
        while day <= end {
            let ds = fmt_date(day);
            if !leader_days.contains(ds.as_str()) {
                out.push(Conflict {
                    kind: ConflictKind::NoLeader,
                    message: format!("{ds} 没有值班领导"),
                    date: ds,
                    shift_ids: vec![],
                    user_id: None,
                });
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2020, 4, 4, 0, 0, 0).unwrap() + chrono::Duration::hours(h.into())
    }

    fn shift(n: u128, date: &str, post: Post, user: u128, from: u32, to: u32) -> shift::Model {
        shift::Model {
            id: Uuid::from_u128(n),
            roster_id: Uuid::nil(),
            date: date.into(),
            start_time: "08:00".into(),
            end_time: "20:00".into(),
            starts_at: at(from),
            ends_at: at(to),
            post,
            user_id: Uuid::from_u128(user),
            note: None,
            created_at: at(0),
            place: None,
        }
    }

    fn d(s: &str) -> Option<NaiveDate> {
        parse_date(s)
    }

    #[test]
    fn a_clean_roster_has_no_conflicts() {
        let shifts = [
            shift(1, "2020-04-04", Post::LeaderOnCall, 1, 0, 24),
            shift(2, "2020-04-04", Post::Guard, 2, 0, 12),
            shift(3, "2020-04-04", Post::Guard, 3, 12, 24),
        ];
        let facts = RosterFacts {
            start: d("2020-04-04"),
            end: d("2020-04-04"),
            shifts: &shifts,
            others: &[],
            is_active: &|_| true,
        };
        assert!(conflicts(&facts).is_empty());
    }

    #[test]
    fn every_kind_is_found_in_order() {
        let shifts = [
            shift(1, "2020-04-04", Post::LeaderOnCall, 1, 0, 24),
            shift(2, "2020-04-04", Post::Guard, 1, 8, 20),
            shift(3, "2020-04-06", Post::Guard, 9, 48, 60),
        ];
        let other = [shift(4, "2020-04-04", Post::Guard, 2, 0, 2)];
        let mine = [shift(5, "2020-04-04", Post::DutyTeacher, 2, 1, 3)];
        let all: Vec<_> = shifts.iter().chain(mine.iter()).cloned().collect();
        let facts = RosterFacts {
            start: d("2020-04-04"),
            end: d("2020-04-05"),
            shifts: &all,
            others: &other,
            is_active: &|u| u != Uuid::from_u128(9),
        };
        let kinds: Vec<ConflictKind> = conflicts(&facts).iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            vec![
                ConflictKind::UserDisabled,
                ConflictKind::OutsideRange,
                ConflictKind::Overlap,
                ConflictKind::Overlap,
                ConflictKind::NoLeader,
            ]
        );
        let no_leader = conflicts(&facts).pop().unwrap();
        assert_eq!(no_leader.date, "2020-04-05");
        assert!(no_leader.shift_ids.is_empty());
    }
}
