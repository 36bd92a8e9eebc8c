//! The gate's decisions, without queries or clock reads: what a scan is, which checks refuse
//! it before the pass moves, what a pass's state says when it did not move, and when an offline
//! scan takes over from another or must be shown to the office.

use super::{Direction, ScanCode};
use crate::features::passes::{self, PassStatus, WindowError};
use crate::schema::passes::leave_pass;
use crate::schema::students::student;
use chrono::{DateTime, Duration, Utc};

/// Offline clocks drift: a scan may claim to be this far in the future (or before its pass
/// was issued).
pub const CLOCK_SKEW_SECS: i64 = 300;

/// How a scan reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Online,
    Batch {
        phone_allowed: bool,
        /// Synced later than the configured maximum age: refused.
        too_old: bool,
        /// Dated before the caller's last online scan: a phone that was online then had no
        /// reason to decide alone, so the office looks at it.
        before_contact: bool,
    },
}

impl Source {
    pub fn is_batch(self) -> bool {
        matches!(self, Source::Batch { .. })
    }

    /// The phone decided alone and let the student through.
    pub fn phone_allowed(self) -> bool {
        matches!(
            self,
            Source::Batch {
                phone_allowed: true,
                ..
            }
        )
    }

    /// The phone decided alone and refused the student.
    pub fn phone_denied(self) -> bool {
        matches!(
            self,
            Source::Batch {
                phone_allowed: false,
                ..
            }
        )
    }

    pub fn stored(self) -> super::ScanSource {
        match self {
            Source::Online => super::ScanSource::Online,
            Source::Batch { .. } => super::ScanSource::Batch,
        }
    }
}

/// One scan as received, before anything is read.
pub struct Incoming {
    pub token: String,
    /// Already refused before the token is read (a manual code that names no pass).
    pub preset: Option<ScanCode>,
    pub direction: Direction,
    pub gate: String,
    pub client_event_id: String,
    pub scanned_at: DateTime<Utc>,
    pub source: Source,
}

/// The token, checked before anything is read: its claims, or why it was refused.
pub enum Checked {
    Valid(Box<passes::Claims>),
    Denied(ScanCode),
}

/// Refused before the token's signature is even looked at: a batch scan dated in the future,
/// or a manual code that names no pass.
pub fn refused_unread(inc: &Incoming, now: DateTime<Utc>) -> Option<ScanCode> {
    if inc.source.is_batch() && inc.scanned_at > now + Duration::seconds(CLOCK_SKEW_SECS) {
        return Some(ScanCode::BadScannedAt);
    }
    inc.preset
}

/// What the checks before the pass update decided.
pub struct Judged {
    pub pass: Option<leave_pass::Model>,
    /// The student's name (class comes from the token).
    pub student: Option<(String, String)>,
    /// The student's 学号, for the events this scan raises.
    pub student_no: Option<String>,
    /// `Some(code)`: deny without touching the pass.
    pub deny: Option<ScanCode>,
}

/// The checks that need the pass and the student (read inside the write transaction).
pub fn judge(
    inc: &Incoming,
    checked: &Checked,
    found: Option<&(leave_pass::Model, Option<student::Model>)>,
    now: DateTime<Utc>,
) -> Judged {
    let denied = |code| Judged {
        pass: None,
        student: None,
        student_no: None,
        deny: Some(code),
    };
    let claims = match checked {
        Checked::Valid(c) => c,
        Checked::Denied(code) => return denied(*code),
    };
    let Some((pass, stud)) = found else {
        return denied(ScanCode::PassNotFound);
    };
    let student = Some((
        stud.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        claims.class_name.clone(),
    ));
    let at = match inc.source {
        Source::Online => now,
        Source::Batch { .. } => inc.scanned_at,
    };
    let late = matches!(inc.source, Source::Batch { too_old: true, .. });
    let deny = if late {
        Some(ScanCode::ScanTooOld)
    } else if at < pass.issued_at - Duration::seconds(CLOCK_SKEW_SECS) {
        // The QR did not exist yet: the claimed time is false (beyond a phone clock's drift).
        Some(ScanCode::BadScannedAt)
    } else {
        match inc.direction {
            Direction::Exit => {
                let revoked = pass.revoked_at.is_some_and(|r| r <= at);
                if revoked {
                    Some(ScanCode::PassRevoked)
                } else if let Err(w) = passes::check_window(claims, at.timestamp()) {
                    Some(match w {
                        WindowError::NotYetValid => ScanCode::PassNotYetValid,
                        WindowError::Expired => ScanCode::PassExpired,
                    })
                } else if !stud.as_ref().is_some_and(|s| s.is_active) {
                    Some(ScanCode::StudentDisabled)
                } else {
                    None
                }
            }
            // A student coming back is let in whatever the window; only the state matters.
            Direction::Return => None,
        }
    };
    Judged {
        pass: Some(pass.clone()),
        student,
        student_no: stud.as_ref().map(|s| s.student_no.clone()),
        deny,
    }
}

/// Why a pass in `status` does not move in `direction`.
pub fn refusal(direction: Direction, status: PassStatus) -> ScanCode {
    match (direction, status) {
        (Direction::Exit, PassStatus::Revoked) => ScanCode::PassRevoked,
        (Direction::Exit, _) => ScanCode::PassAlreadyUsed,
        (Direction::Return, PassStatus::Returned) => ScanCode::AlreadyReturned,
        (Direction::Return, PassStatus::Revoked) => ScanCode::PassRevoked,
        (Direction::Return, _) => ScanCode::ReturnBeforeExit,
    }
}

/// What the server would have said to a scan at `at` of a pass as it stands: `None` to let it
/// through. For a scan the phone refused: only when the server would have allowed it is the
/// refusal a conflict.
pub fn server_refusal(
    direction: Direction,
    pass: &leave_pass::Model,
    at: DateTime<Utc>,
) -> Option<ScanCode> {
    match (direction, pass.status) {
        (Direction::Exit, PassStatus::Issued) => None,
        // Revoked after the student already left offline: the exit stands.
        (Direction::Exit, PassStatus::Revoked) if pass.revoked_at.is_some_and(|r| r > at) => None,
        (Direction::Return, PassStatus::Out) => None,
        (d, s) => Some(refusal(d, s)),
    }
}

/// An offline exit the phone allowed found the pass already used: two gates let it out.
pub fn is_double_exit(direction: Direction, source: Source, status: PassStatus) -> bool {
    direction == Direction::Exit
        && source.phone_allowed()
        && matches!(status, PassStatus::Out | PassStatus::Returned)
}

/// The offline take-over rule: of two offline exits of one pass, the earlier by the times the
/// phones claimed is the one that counts.
pub fn takes_over(scanned_at: DateTime<Utc>, previous_exit_at: DateTime<Utc>) -> bool {
    scanned_at < previous_exit_at
}

/// The office looks at a scan the phone let through when the server does not agree, or when
/// the phone was online after the time it claims to have decided alone.
pub fn flag_for_office(source: Source, has_pass: bool, allowed: bool) -> bool {
    match source {
        Source::Batch {
            phone_allowed: true,
            before_contact,
            ..
        } => has_pass && (!allowed || before_contact),
        _ => false,
    }
}

/// The audit action of a scan that changed a pass or conflicts with one.
pub fn audit_action(direction: Direction, conflict: bool) -> &'static str {
    match (direction, conflict) {
        (_, true) => "gate.conflict",
        (Direction::Exit, false) => "gate.exit",
        (Direction::Return, false) => "gate.return",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::passes::PassKind;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0)
            .single()
            .expect("time")
    }

    fn pass(status: PassStatus, revoked_at: Option<DateTime<Utc>>) -> leave_pass::Model {
        leave_pass::Model {
            id: Uuid::nil(),
            student_id: Uuid::nil(),
            class_id: Uuid::nil(),
            kind: PassKind::ExitAndReturn,
            reason: String::new(),
            valid_from: t(8, 0),
            valid_until: t(12, 0),
            return_by: Some(t(12, 0)),
            status,
            kid: String::new(),
            token: String::new(),
            issued_by: Uuid::nil(),
            issued_at: t(7, 50),
            revoked_at,
            revoked_by: None,
            exited_at: None,
            exit_scan_id: None,
            returned_at: None,
            return_scan_id: None,
            updated_at: t(7, 50),
            short_code: None,
        }
    }

    fn batch(phone_allowed: bool, before_contact: bool) -> Source {
        Source::Batch {
            phone_allowed,
            too_old: false,
            before_contact,
        }
    }

    #[test]
    fn refusals_name_the_state() {
        use Direction::*;
        use PassStatus::*;
        assert_eq!(refusal(Exit, Revoked), ScanCode::PassRevoked);
        assert_eq!(refusal(Exit, Out), ScanCode::PassAlreadyUsed);
        assert_eq!(refusal(Exit, Returned), ScanCode::PassAlreadyUsed);
        assert_eq!(refusal(Return, Returned), ScanCode::AlreadyReturned);
        assert_eq!(refusal(Return, Revoked), ScanCode::PassRevoked);
        assert_eq!(refusal(Return, Issued), ScanCode::ReturnBeforeExit);
    }

    #[test]
    fn an_exit_revoked_after_the_offline_scan_stands() {
        let p = pass(PassStatus::Revoked, Some(t(10, 0)));
        assert_eq!(server_refusal(Direction::Exit, &p, t(9, 0)), None);
        assert_eq!(
            server_refusal(Direction::Exit, &p, t(10, 0)),
            Some(ScanCode::PassRevoked)
        );
        let issued = pass(PassStatus::Issued, None);
        assert_eq!(server_refusal(Direction::Exit, &issued, t(9, 0)), None);
        assert_eq!(
            server_refusal(Direction::Return, &issued, t(9, 0)),
            Some(ScanCode::ReturnBeforeExit)
        );
        let out = pass(PassStatus::Out, None);
        assert_eq!(server_refusal(Direction::Return, &out, t(9, 0)), None);
    }

    #[test]
    fn the_earlier_offline_exit_takes_over() {
        assert!(is_double_exit(
            Direction::Exit,
            batch(true, false),
            PassStatus::Out
        ));
        assert!(!is_double_exit(
            Direction::Exit,
            Source::Online,
            PassStatus::Out
        ));
        assert!(!is_double_exit(
            Direction::Exit,
            batch(false, false),
            PassStatus::Returned
        ));
        assert!(!is_double_exit(
            Direction::Return,
            batch(true, false),
            PassStatus::Returned
        ));
        assert!(takes_over(t(9, 0), t(9, 5)));
        assert!(!takes_over(t(9, 5), t(9, 5)));
    }

    #[test]
    fn the_office_sees_offline_disagreements() {
        assert!(flag_for_office(batch(true, false), true, false));
        assert!(flag_for_office(batch(true, true), true, true));
        assert!(!flag_for_office(batch(true, false), true, true));
        assert!(!flag_for_office(batch(true, true), false, false));
        assert!(!flag_for_office(batch(false, true), true, false));
        assert!(!flag_for_office(Source::Online, true, false));
    }

    #[test]
    fn a_future_batch_scan_is_refused_unread() {
        let inc = |source, at| Incoming {
            token: String::new(),
            preset: None,
            direction: Direction::Exit,
            gate: "南门".into(),
            client_event_id: "e".into(),
            scanned_at: at,
            source,
        };
        let now = t(9, 0);
        assert_eq!(
            refused_unread(&inc(batch(true, false), t(9, 6)), now),
            Some(ScanCode::BadScannedAt)
        );
        assert_eq!(refused_unread(&inc(batch(true, false), t(9, 5)), now), None);
        assert_eq!(refused_unread(&inc(Source::Online, t(9, 6)), now), None);
    }

    #[test]
    fn audit_actions() {
        assert_eq!(audit_action(Direction::Exit, false), "gate.exit");
        assert_eq!(audit_action(Direction::Return, false), "gate.return");
        assert_eq!(audit_action(Direction::Return, true), "gate.conflict");
    }
}
