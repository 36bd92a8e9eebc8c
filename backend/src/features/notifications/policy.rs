//! The office's escalation settings (stored, with defaults) and the pure decisions made from
//! them: which steps of an overdue student are due, whether today's hazard digest is due.
//! No queries, no clock: `now` is given.

use crate::infra::error::Validator;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The longest delay a step may have: a day.
pub const MAX_DELAY_MINUTES: u32 = 1440;

/// A student not back by `return_by`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassOverduePolicy {
    pub enabled: bool,
    /// Minutes after `return_by` when the class teacher is told (step 1), 0–1440; default 15.
    #[schema(minimum = 0, maximum = 1440)]
    pub teacher_after_minutes: u32,
    /// Minutes after `return_by` when the office (and the leader on call) is told (step 2);
    /// later than step 1, at most 1440; default 60.
    #[schema(minimum = 1, maximum = 1440)]
    pub office_after_minutes: u32,
    /// Step 2 also tells the leader on call (值班领导) of the published duty roster, when one
    /// is on duty at that moment.
    pub leader_on_call: bool,
}

/// A rule with no settings of its own besides being on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Toggle {
    pub enabled: bool,
}

/// An abnormal health report: the office and, if the school names one, 校医.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthPolicy {
    pub enabled: bool,
    /// The account of the school doctor (校医), told beside the office; none: the office only
    /// (a 校医 channel, if subscribed, gets the event as well).
    pub clinic_user_id: Option<Uuid>,
}

/// Hazards past their deadline: one digest a day to each owner and to the office.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DigestPolicy {
    pub enabled: bool,
    /// School time `HH:MM` from which the day's digest is sent; default `08:00`.
    #[schema(example = "08:00")]
    pub at: String,
}

/// The escalation settings of the school (保卫处 sets them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationSettings {
    /// A student not back by `return_by`: the class teacher at +15 min, the office and the
    /// leader on call at +60 min (by default); no step once the student is back.
    pub pass_overdue: PassOverduePolicy,
    /// A banned or suspicious visitor at the gate (`visitor.flagged`): the office at once.
    pub visitor_flagged: Toggle,
    /// An abnormal health report: 校医 and the office at once.
    pub health_abnormal: HealthPolicy,
    /// Hazards past their deadline: their owners and the office, in a daily digest.
    pub hazard_digest: DigestPolicy,
    /// The weekly traffic check missing on Friday afternoon: the class teachers concerned.
    pub traffic_missing: Toggle,
}

impl Default for EscalationSettings {
    fn default() -> Self {
        Self {
            pass_overdue: PassOverduePolicy {
                enabled: true,
                teacher_after_minutes: 15,
                office_after_minutes: 60,
                leader_on_call: true,
            },
            visitor_flagged: Toggle { enabled: true },
            health_abnormal: HealthPolicy {
                enabled: true,
                clinic_user_id: None,
            },
            hazard_digest: DigestPolicy {
                enabled: true,
                at: "08:00".into(),
            },
            traffic_missing: Toggle { enabled: true },
        }
    }
}

/// `HH:MM` (24 h).
pub fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    if s.len() != 5 {
        return None;
    }
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

/// A nested field's name as validation errors give it (`pass_overdue.teacher_after_minutes`).
pub fn field(section: &str, name: &str) -> String {
    format!("{section}.{name}")
}

impl EscalationSettings {
    /// Checks the fields that need no database (the clinic account is checked by the store).
    pub fn validate(&self, v: &mut Validator) {
        let p = &self.pass_overdue;
        if p.teacher_after_minutes > MAX_DELAY_MINUTES {
            v.add(
                &field("pass_overdue", "teacher_after_minutes"),
                "out_of_range",
                "须在 0 到 1440 分钟之间",
            );
        }
        if p.office_after_minutes > MAX_DELAY_MINUTES || p.office_after_minutes == 0 {
            v.add(
                &field("pass_overdue", "office_after_minutes"),
                "out_of_range",
                "须在 1 到 1440 分钟之间",
            );
        } else if p.office_after_minutes <= p.teacher_after_minutes {
            v.add(
                &field("pass_overdue", "office_after_minutes"),
                "not_after_teacher",
                "通知保卫处须晚于通知班主任",
            );
        }
        if parse_hhmm(&self.hazard_digest.at).is_none() {
            v.add(
                &field("hazard_digest", "at"),
                "invalid",
                "时间格式应为 HH:MM",
            );
        }
    }
}

/// One step of an overdue student's escalation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassStep {
    /// 1: the class teacher; 2: the office and the leader on call.
    pub step: i32,
    /// Minutes after `return_by`.
    pub after_minutes: u32,
}

/// The steps of a student still out, due at `now` (the caller asks only about students still
/// out: a student back has no step due, which is what stops an escalation).
pub fn pass_steps_due(
    s: &EscalationSettings,
    return_by: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<PassStep> {
    let p = &s.pass_overdue;
    if !p.enabled {
        return Vec::new();
    }
    [
        PassStep {
            step: 1,
            after_minutes: p.teacher_after_minutes,
        },
        PassStep {
            step: 2,
            after_minutes: p.office_after_minutes,
        },
    ]
    .into_iter()
    .filter(|st| now >= return_by + Duration::minutes(i64::from(st.after_minutes)))
    .collect()
}

/// The earliest `return_by` that may have a step due at `now` (for the query).
pub fn pass_window_start(s: &EscalationSettings, now: DateTime<Utc>) -> DateTime<Utc> {
    let first = s
        .pass_overdue
        .teacher_after_minutes
        .min(s.pass_overdue.office_after_minutes);
    now - Duration::minutes(i64::from(first))
}

/// The school date whose hazard digest is due at `now`, if it is (from the set time on).
pub fn digest_due(s: &EscalationSettings, tz: Tz, now: DateTime<Utc>) -> Option<NaiveDate> {
    if !s.hazard_digest.enabled {
        return None;
    }
    let at = parse_hhmm(&s.hazard_digest.at)?;
    let local = now.with_timezone(&tz);
    (local.time() >= at).then(|| local.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, h, m, 0).unwrap()
    }

    #[test]
    fn the_defaults_are_the_issue_s_clock() {
        let s = EscalationSettings::default();
        assert_eq!(s.pass_overdue.teacher_after_minutes, 15);
        assert_eq!(s.pass_overdue.office_after_minutes, 60);
        assert!(s.pass_overdue.leader_on_call);
        assert_eq!(s.hazard_digest.at, "08:00");
        let mut v = Validator::new();
        s.validate(&mut v);
        assert!(v.is_empty());
    }

    #[test]
    fn steps_come_due_at_plus_15_and_plus_60() {
        let s = EscalationSettings::default();
        let back_by = t(9, 0);
        assert!(pass_steps_due(&s, back_by, t(9, 14)).is_empty());
        let at15: Vec<i32> = pass_steps_due(&s, back_by, t(9, 15))
            .iter()
            .map(|x| x.step)
            .collect();
        assert_eq!(at15, vec![1]);
        let at60: Vec<i32> = pass_steps_due(&s, back_by, t(10, 0))
            .iter()
            .map(|x| x.step)
            .collect();
        assert_eq!(at60, vec![1, 2]);
        assert_eq!(pass_window_start(&s, t(10, 0)), t(9, 45));
    }

    #[test]
    fn a_disabled_rule_has_no_step() {
        let mut s = EscalationSettings::default();
        s.pass_overdue.enabled = false;
        assert!(pass_steps_due(&s, t(9, 0), t(12, 0)).is_empty());
        s.hazard_digest.enabled = false;
        assert_eq!(digest_due(&s, chrono_tz::Asia::Shanghai, t(12, 0)), None);
    }

    #[test]
    fn the_digest_is_due_from_its_time_school_time() {
        let s = EscalationSettings::default();
        let tz = chrono_tz::Asia::Shanghai;
        // 23:59 UTC on the 1st is 07:59 on the 2nd in Shanghai: not yet.
        let before = Utc.with_ymd_and_hms(2026, 12, 1, 23, 59, 0).unwrap();
        assert_eq!(digest_due(&s, tz, before), None);
        assert_eq!(
            digest_due(&s, tz, t(0, 0)),
            NaiveDate::from_ymd_opt(2026, 12, 2)
        );
    }

    #[test]
    fn validation_names_each_bad_field() {
        let mut s = EscalationSettings::default();
        s.pass_overdue.teacher_after_minutes = 90;
        s.hazard_digest.at = "8点".into();
        let mut v = Validator::new();
        s.validate(&mut v);
        let err = v.finish().unwrap_err();
        let text = format!("{:?}", err.problem());
        assert!(
            text.contains(&field("pass_overdue", "office_after_minutes")),
            "{text}"
        );
        assert!(text.contains(&field("hazard_digest", "at")), "{text}");
        s = EscalationSettings::default();
        s.pass_overdue.office_after_minutes = 2000;
        let mut v = Validator::new();
        s.validate(&mut v);
        assert!(!v.is_empty());
        assert_eq!(parse_hhmm("24:00"), None);
        assert_eq!(parse_hhmm("7:00"), None);
        assert!(parse_hhmm("07:30").is_some());
    }
}
