//! The records' pure rules: when a health report is abnormal, how far an incident may be
//! dated back or ahead, and who an announcement is for. No queries, no clock.

use crate::auth::roles::Role;
use chrono::{DateTime, Duration, Utc};

/// At or above this (°C) a temperature is abnormal (the usual 37.3 °C threshold).
pub const FEVER_AT: f64 = 37.3;

/// A health report the office must look at: a fever, or not fit for duty.
pub fn is_abnormal(temperature: f64, fit_for_duty: bool) -> bool {
    temperature >= FEVER_AT || !fit_for_duty
}

/// How far back anyone but the office may date an incident: a record's class counts in the
/// class assessment, so a report cannot reach weeks into a closed period. The office
/// transcribes older paper records.
pub const MAX_BACKDATE_DAYS: i64 = 7;

/// What is wrong with an incident's time, if anything.
#[derive(Debug, PartialEq, Eq)]
pub enum IncidentTime {
    Ok,
    /// Later than now (five minutes of clock skew allowed).
    InFuture,
    /// Older than [`MAX_BACKDATE_DAYS`] and the reporter is not the office.
    TooOld,
}

pub fn incident_time(occurred_at: DateTime<Utc>, now: DateTime<Utc>, role: Role) -> IncidentTime {
    if occurred_at > now + Duration::minutes(5) {
        IncidentTime::InFuture
    } else if role != Role::SecurityOffice && occurred_at < now - Duration::days(MAX_BACKDATE_DAYS)
    {
        IncidentTime::TooOld
    } else {
        IncidentTime::Ok
    }
}

/// The roles an announcement is for, from its stored space-separated names.
pub fn audience(target_roles: &str) -> Vec<Role> {
    target_roles
        .split_whitespace()
        .filter_map(Role::parse)
        .collect()
}

/// The office and the principal see every announcement, whoever it is for.
pub fn sees_all(role: Role) -> bool {
    matches!(role, Role::SecurityOffice | Role::Principal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn abnormal_is_a_fever_or_unfit() {
        assert!(!is_abnormal(36.8, true));
        assert!(is_abnormal(37.3, true));
        assert!(is_abnormal(36.5, false));
    }

    #[test]
    fn incidents_are_dated_within_a_week_except_by_the_office() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 8, 0, 0).unwrap();
        let t = incident_time;
        assert_eq!(t(now, now, Role::Guard), IncidentTime::Ok);
        assert_eq!(
            t(now + Duration::minutes(4), now, Role::Guard),
            IncidentTime::Ok
        );
        assert_eq!(
            t(now + Duration::minutes(6), now, Role::SecurityOffice),
            IncidentTime::InFuture
        );
        assert_eq!(
            t(now - Duration::days(6), now, Role::ClassTeacher),
            IncidentTime::Ok
        );
        assert_eq!(
            t(now - Duration::days(8), now, Role::ClassTeacher),
            IncidentTime::TooOld
        );
        assert_eq!(
            t(now - Duration::days(30), now, Role::SecurityOffice),
            IncidentTime::Ok
        );
    }

    #[test]
    fn audience_reads_stored_role_names() {
        assert_eq!(
            audience("guard  class_teacher"),
            vec![Role::Guard, Role::ClassTeacher]
        );
        assert!(audience("").is_empty());
        assert!(sees_all(Role::Principal) && !sees_all(Role::Guard));
    }
}
