//! When to try again, when to give up, and how many messages a robot may take now: pure
//! decisions at a given time, unit-tested.

use chrono::{DateTime, Duration, Utc};

/// The wait after the n-th failed attempt (1-based): quick at first, then hours apart, about
/// three days in all (71 h 36 min 10 s); after the last the delivery is dead.
pub const RETRY_DELAYS_SECS: [i64; 10] = [
    10,
    60,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    20 * 3600,
];

/// When to try again after `failed_attempts` failures, or `None`: the delivery is dead.
/// `speedup` divides every wait (1 in production; drills and tests use more).
pub fn next_attempt(
    now: DateTime<Utc>,
    failed_attempts: u32,
    speedup: u32,
) -> Option<DateTime<Utc>> {
    let index = usize::try_from(failed_attempts.checked_sub(1)?).ok()?;
    let secs = *RETRY_DELAYS_SECS.get(index)?;
    let millis = secs * 1000 / i64::from(speedup.max(1));
    Some(now + Duration::milliseconds(millis.max(1)))
}

/// A channel failing without one success for this long is disabled and the office told.
pub const DISABLE_AFTER: Duration = Duration::days(3);

/// Whether a channel failing since `failing_since` is to be disabled now.
pub fn should_disable(failing_since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    failing_since.is_some_and(|since| now - since >= DISABLE_AFTER)
}

/// DingTalk and WeCom: at most 20 messages a minute per robot.
pub const ROBOT_PER_MINUTE: usize = 20;

/// How to send `due` waiting messages to a robot that took `sent_last_minute` in the last
/// 60 s: `singles` as messages of their own, then the remaining `digest` merged into one
/// message (nothing is dropped). Nothing is sent while the minute's budget is spent.
#[derive(Debug, PartialEq, Eq)]
pub struct RobotPlan {
    pub singles: usize,
    pub digest: usize,
}

pub fn robot_plan(due: usize, sent_last_minute: usize) -> RobotPlan {
    let budget = ROBOT_PER_MINUTE.saturating_sub(sent_last_minute);
    if budget == 0 || due == 0 {
        return RobotPlan {
            singles: 0,
            digest: 0,
        };
    }
    if due <= budget {
        return RobotPlan {
            singles: due,
            digest: 0,
        };
    }
    // One message of the budget carries the digest; a digest of one is just a single.
    let singles = budget - 1;
    RobotPlan {
        singles,
        digest: due - singles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap()
    }

    #[test]
    fn retries_span_about_three_days_then_stop() {
        let total: i64 = RETRY_DELAYS_SECS.iter().sum();
        assert!((70 * 3600..=74 * 3600).contains(&total), "{total}");
        assert_eq!(next_attempt(t0(), 1, 1), Some(t0() + Duration::seconds(10)));
        assert_eq!(next_attempt(t0(), 10, 1), Some(t0() + Duration::hours(20)));
        assert_eq!(next_attempt(t0(), 11, 1), None);
        assert_eq!(next_attempt(t0(), 0, 1), None);
        // Waits never shrink.
        assert!(RETRY_DELAYS_SECS.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn speedup_divides_the_waits() {
        assert_eq!(next_attempt(t0(), 1, 10), Some(t0() + Duration::seconds(1)));
        assert_eq!(next_attempt(t0(), 1, 0), Some(t0() + Duration::seconds(10)));
    }

    #[test]
    fn disabled_after_three_days_failing() {
        assert!(!should_disable(None, t0()));
        assert!(!should_disable(Some(t0() - Duration::hours(71)), t0()));
        assert!(should_disable(Some(t0() - Duration::hours(72)), t0()));
    }

    #[test]
    fn robot_bursts_become_one_digest() {
        assert_eq!(
            robot_plan(5, 0),
            RobotPlan {
                singles: 5,
                digest: 0
            }
        );
        assert_eq!(
            robot_plan(20, 0),
            RobotPlan {
                singles: 20,
                digest: 0
            }
        );
        assert_eq!(
            robot_plan(50, 0),
            RobotPlan {
                singles: 19,
                digest: 31
            }
        );
        assert_eq!(
            robot_plan(50, 19),
            RobotPlan {
                singles: 0,
                digest: 50
            }
        );
        assert_eq!(
            robot_plan(3, 20),
            RobotPlan {
                singles: 0,
                digest: 0
            }
        );
        assert_eq!(
            robot_plan(3, 25),
            RobotPlan {
                singles: 0,
                digest: 0
            }
        );
        // Never more than 20 messages a minute, never a message lost.
        for due in 0..100 {
            for sent in 0..25 {
                let p = robot_plan(due, sent);
                let messages = p.singles + usize::from(p.digest > 0);
                assert!(sent + messages <= ROBOT_PER_MINUTE.max(sent));
                if sent < ROBOT_PER_MINUTE {
                    assert_eq!(p.singles + p.digest, due);
                }
            }
        }
    }
}
