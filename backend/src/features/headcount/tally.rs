//! The head-count's rules, with no queries and no clock: what a class teacher's form starts
//! from (students out on a leave pass), whether a report adds up, since when a class is
//! accounted for, and the board's totals (time from the start to all accounted).

use crate::schema::headcount::{Absence, AbsenceReason};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use uuid::Uuid;

/// The absences a class's form starts with: every student of the roster who is out of school
/// on a leave pass right now, as accounted for. The teacher may still change them.
pub fn prefill(roster: &[Uuid], out_on_pass: &HashSet<Uuid>) -> Vec<Absence> {
    roster
        .iter()
        .filter(|s| out_on_pass.contains(s))
        .map(|s| Absence {
            student_id: *s,
            reason: AbsenceReason::LeavePass,
        })
        .collect()
}

/// Why a report is refused: the field and a code, in the order found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportProblem {
    /// `present` + absent ≠ the class's expected number.
    CountMismatch { expected: i32, got: i64 },
    /// A student named twice (in `absent`, or in `injured`, or in both).
    Duplicate(&'static str),
    /// A student who is not in the class.
    NotInClass(&'static str),
    /// `present` below zero.
    NegativePresent,
    /// More injured than present.
    TooManyInjured,
}

/// Whether a class's report adds up: every student of the class is either present or named
/// as absent (with a reason), names are the class's own, and the injured are among the present.
pub fn check_report(
    expected: i32,
    roster: &HashSet<Uuid>,
    present: i32,
    absent: &[Absence],
    injured: &[Uuid],
) -> Vec<ReportProblem> {
    let mut out = Vec::new();
    if present < 0 {
        out.push(ReportProblem::NegativePresent);
    }
    let mut seen = HashSet::new();
    if absent.iter().any(|a| !seen.insert(a.student_id)) {
        out.push(ReportProblem::Duplicate("absent"));
    }
    if absent.iter().any(|a| !roster.contains(&a.student_id)) {
        out.push(ReportProblem::NotInClass("absent"));
    }
    let mut hurt = HashSet::new();
    if injured.iter().any(|s| !hurt.insert(*s) || seen.contains(s)) {
        out.push(ReportProblem::Duplicate("injured"));
    }
    if injured.iter().any(|s| !roster.contains(s)) {
        out.push(ReportProblem::NotInClass("injured"));
    }
    if injured.len() as i64 > i64::from(present.max(0)) {
        out.push(ReportProblem::TooManyInjured);
    }
    let got = i64::from(present) + absent.len() as i64;
    if got != i64::from(expected) {
        out.push(ReportProblem::CountMismatch { expected, got });
    }
    out
}

/// Since when a class is accounted for after a report at `now`: kept from an earlier report
/// when it still holds (a correction does not move the moment), cleared when someone is missing.
pub fn accounted_since(
    before: Option<DateTime<Utc>>,
    absent: &[Absence],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if absent.iter().any(|a| a.reason == AbsenceReason::Missing) {
        None
    } else {
        Some(before.unwrap_or(now))
    }
}

/// One class's figures as the board counts them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassFigures {
    pub reported: bool,
    pub expected: i32,
    pub present: i32,
    /// Out on a leave pass: from the report, or (not yet reported) the gate's record.
    pub on_leave: i32,
    pub absent_today: i32,
    pub missing: i32,
    pub injured: i32,
    pub accounted_at: Option<DateTime<Utc>>,
}

impl ClassFigures {
    /// Students nobody has vouched for: the named missing of a reported class; of a class not
    /// yet reported, everyone but those the gate knows are out.
    pub fn not_accounted(&self) -> i32 {
        if self.reported {
            self.missing
        } else {
            (self.expected - self.on_leave).max(0)
        }
    }
}

/// The board's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub classes: i32,
    pub classes_reported: i32,
    pub expected: i32,
    pub present: i32,
    pub on_leave: i32,
    pub absent_today: i32,
    pub missing: i32,
    pub injured: i32,
    pub not_accounted: i32,
    /// When the last class became accounted for, once every class is.
    pub all_accounted_at: Option<DateTime<Utc>>,
    /// From the start to `all_accounted_at`, in seconds.
    pub seconds_to_all_accounted: Option<i64>,
}

pub fn tally(classes: &[ClassFigures], started_at: DateTime<Utc>) -> Totals {
    let mut t = Totals {
        classes: classes.len() as i32,
        ..Totals::default()
    };
    let mut latest: Option<DateTime<Utc>> = None;
    let mut all = !classes.is_empty();
    for c in classes {
        t.expected += c.expected;
        t.on_leave += c.on_leave;
        t.not_accounted += c.not_accounted();
        if c.reported {
            t.classes_reported += 1;
            t.present += c.present;
            t.absent_today += c.absent_today;
            t.missing += c.missing;
            t.injured += c.injured;
        }
        match (c.reported, c.accounted_at) {
            (true, Some(at)) => latest = Some(latest.map_or(at, |l| l.max(at))),
            _ => all = false,
        }
    }
    if all && let Some(at) = latest {
        // A class accounted for before the start (a clock skew) counts as at the start.
        let at = at.max(started_at);
        t.all_accounted_at = Some(at);
        t.seconds_to_all_accounted = Some((at - started_at).num_seconds());
    }
    t
}

/// A class's figures from its stored report (reported) or from the gate (pending).
pub fn figures(
    reported: bool,
    expected: i32,
    present: i32,
    absent: &[Absence],
    injured: usize,
    accounted_at: Option<DateTime<Utc>>,
) -> ClassFigures {
    let count = |r: AbsenceReason| absent.iter().filter(|a| a.reason == r).count() as i32;
    ClassFigures {
        reported,
        expected,
        present: if reported { present } else { 0 },
        on_leave: count(AbsenceReason::LeavePass),
        absent_today: count(AbsenceReason::AbsentToday),
        missing: count(AbsenceReason::Missing),
        injured: injured as i32,
        accounted_at: if reported { accounted_at } else { None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        // 2026-03-26 10:00 in Suzhou is 02:00 UTC: a drill in the morning.
        Utc.with_ymd_and_hms(2026, 3, 26, h, m, s)
            .single()
            .expect("time")
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn absence(n: u128, reason: AbsenceReason) -> Absence {
        Absence {
            student_id: id(n),
            reason,
        }
    }

    #[test]
    fn the_form_starts_with_the_students_out_on_a_leave_pass() {
        let roster = [id(1), id(2), id(3)];
        let out: HashSet<Uuid> = [id(2), id(9)].into_iter().collect();
        // Student 9 is out but of another class: not on this form.
        assert_eq!(
            prefill(&roster, &out),
            vec![absence(2, AbsenceReason::LeavePass)]
        );
        assert!(prefill(&roster, &HashSet::new()).is_empty());
    }

    #[test]
    fn a_report_adds_up_to_the_class() {
        let roster: HashSet<Uuid> = (1..=5).map(id).collect();
        let absent = [
            absence(1, AbsenceReason::LeavePass),
            absence(2, AbsenceReason::Missing),
        ];
        assert!(check_report(5, &roster, 3, &absent, &[id(3)]).is_empty());
        assert_eq!(
            check_report(5, &roster, 4, &absent, &[]),
            vec![ReportProblem::CountMismatch {
                expected: 5,
                got: 6
            }]
        );
        let twice = [
            absence(1, AbsenceReason::LeavePass),
            absence(1, AbsenceReason::Missing),
        ];
        assert!(
            check_report(5, &roster, 3, &twice, &[]).contains(&ReportProblem::Duplicate("absent"))
        );
        let stranger = [absence(42, AbsenceReason::Missing)];
        assert!(
            check_report(5, &roster, 4, &stranger, &[])
                .contains(&ReportProblem::NotInClass("absent"))
        );
        // The injured are present, not absent too.
        assert!(
            check_report(5, &roster, 3, &absent, &[id(2)])
                .contains(&ReportProblem::Duplicate("injured"))
        );
        assert!(
            check_report(5, &roster, 0, &[], &[id(3)]).contains(&ReportProblem::TooManyInjured)
        );
        assert!(check_report(5, &roster, -1, &[], &[]).contains(&ReportProblem::NegativePresent));
    }

    #[test]
    fn a_class_is_accounted_for_from_its_first_complete_report() {
        let missing = [absence(2, AbsenceReason::Missing)];
        let fine = [absence(1, AbsenceReason::AbsentToday)];
        assert_eq!(accounted_since(None, &missing, at(2, 3, 0)), None);
        assert_eq!(accounted_since(None, &fine, at(2, 4, 0)), Some(at(2, 4, 0)));
        // A later correction that still accounts for everyone keeps the first moment.
        assert_eq!(
            accounted_since(Some(at(2, 4, 0)), &fine, at(2, 9, 0)),
            Some(at(2, 4, 0))
        );
        // Someone found missing after all: no longer accounted for.
        assert_eq!(
            accounted_since(Some(at(2, 4, 0)), &missing, at(2, 9, 0)),
            None
        );
    }

    #[test]
    fn totals_and_the_time_to_all_accounted() {
        let start = at(2, 0, 0);
        let a = figures(
            true,
            40,
            37,
            &[
                absence(1, AbsenceReason::LeavePass),
                absence(2, AbsenceReason::AbsentToday),
                absence(3, AbsenceReason::Missing),
            ],
            1,
            None,
        );
        // Not reported yet, two students out on a pass per the gate.
        let b = figures(
            false,
            38,
            0,
            &[
                absence(4, AbsenceReason::LeavePass),
                absence(5, AbsenceReason::LeavePass),
            ],
            0,
            None,
        );
        let t = tally(&[a.clone(), b], start);
        assert_eq!(t.classes, 2);
        assert_eq!(t.classes_reported, 1);
        assert_eq!(t.expected, 78);
        assert_eq!(t.present, 37);
        assert_eq!(t.on_leave, 3);
        assert_eq!(t.absent_today, 1);
        assert_eq!(t.missing, 1);
        assert_eq!(t.injured, 1);
        // Class A's missing student and class B's 36 not yet vouched for.
        assert_eq!(t.not_accounted, 1 + 36);
        assert_eq!(t.all_accounted_at, None);
        assert_eq!(t.seconds_to_all_accounted, None);

        // The missing student is found at 10:06:30; class B reports at 10:04:10.
        let a = figures(
            true,
            40,
            38,
            &[
                absence(1, AbsenceReason::LeavePass),
                absence(2, AbsenceReason::AbsentToday),
            ],
            1,
            Some(at(2, 6, 30)),
        );
        let b = figures(
            true,
            38,
            36,
            &[
                absence(4, AbsenceReason::LeavePass),
                absence(5, AbsenceReason::LeavePass),
            ],
            0,
            Some(at(2, 4, 10)),
        );
        let t = tally(&[a, b], start);
        assert_eq!(t.not_accounted, 0);
        assert_eq!(t.all_accounted_at, Some(at(2, 6, 30)));
        assert_eq!(t.seconds_to_all_accounted, Some(6 * 60 + 30));
        // No classes: never "all accounted".
        assert_eq!(tally(&[], start).all_accounted_at, None);
    }
}
