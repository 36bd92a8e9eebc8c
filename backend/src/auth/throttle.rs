//! Sign-in throttling: too many failures for one account from one address, or from one address
//! over all accounts, within a window lock further attempts for a while (429 with Retry-After
//! and the instant the lock ends).
//!
//! Failures are counted per (account, address) pair, not per account alone: a stranger guessing
//! from elsewhere must not lock the principal out of the principal's own phone.
//!
//! An attempt is *reserved* before its password is hashed, under one lock: a key whose failures
//! plus attempts in flight reach its limit refuses further attempts at once, so a burst of
//! parallel guesses evaluates at most the limit (a check-then-record design let 51 of 100
//! parallel guesses through for a limit of 5).
//!
//! Per process: with several replicas each counts on its own, so an attacker spread over N
//! replicas gets N times the attempts. Sticky load balancing or a shared store would close that.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max_failures: u32,
    pub window: Duration,
}

/// Per (account, address) pair.
pub const ACCOUNT_LIMIT: Limit = Limit {
    max_failures: 5,
    window: Duration::from_secs(15 * 60),
};
/// Per address, over all accounts.
pub const ADDRESS_LIMIT: Limit = Limit {
    max_failures: 20,
    window: Duration::from_secs(15 * 60),
};

/// How long a caller refused only because attempts are still being judged should wait: those
/// attempts decide within a second whether the key locks.
const IN_FLIGHT_RETRY: Duration = Duration::from_secs(1);

struct Entry {
    failures: u32,
    in_flight: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
}

/// Why an attempt was refused: retry after `retry_after_secs`, at `until`.
#[derive(Clone, Copy, Debug)]
pub struct Locked {
    pub retry_after_secs: u64,
    pub until: DateTime<Utc>,
}

impl From<Locked> for crate::infra::error::ApiError {
    fn from(l: Locked) -> Self {
        Self::locked(l.until, l.retry_after_secs)
    }
}

impl Locked {
    fn after(wait: Duration) -> Self {
        use chrono::SubsecRound;
        // Whole seconds, rounded up, for both the header and the instant.
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let until = Utc::now().trunc_subsecs(0)
            + chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX) + 1);
        Self {
            retry_after_secs: secs,
            until,
        }
    }
}

/// Attempts reserved by [`Throttle::reserve`]: settle with `failed` or `succeeded`; dropped
/// unsettled (an error while checking), the reservation is released without counting.
pub struct Reservation<'a> {
    throttle: &'a Throttle,
    keys: Vec<(String, Limit)>,
    settled: bool,
}

impl Reservation<'_> {
    /// The password was wrong: count a failure on every key (locking those that reach their
    /// limit).
    pub fn failed(mut self) {
        self.settled = true;
        let now = Instant::now();
        let mut map = self.throttle.lock();
        for (key, limit) in &self.keys {
            if let Some(e) = map.get_mut(key) {
                e.in_flight = e.in_flight.saturating_sub(1);
                e.failures += 1;
                if e.failures >= limit.max_failures {
                    e.locked_until = Some(now + limit.window);
                }
            }
        }
    }

    /// The password was right: release the reservation and forget the failures of the keys
    /// given (the account's pair; the address keeps its count).
    pub fn succeeded(mut self, reset: &[&str]) {
        self.settled = true;
        let mut map = self.throttle.lock();
        for (key, _) in &self.keys {
            if reset.contains(&key.as_str()) {
                map.remove(key);
            } else if let Some(e) = map.get_mut(key) {
                e.in_flight = e.in_flight.saturating_sub(1);
            }
        }
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let mut map = self.throttle.lock();
        for (key, _) in &self.keys {
            if let Some(e) = map.get_mut(key) {
                e.in_flight = e.in_flight.saturating_sub(1);
            }
        }
    }
}

#[derive(Default)]
pub struct Throttle {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Throttle {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves one attempt on every key, or refuses if any key is locked or has as many
    /// failures plus attempts in flight as its limit allows. All or nothing, atomically.
    pub fn reserve(&self, keys: &[(&str, Limit)]) -> Result<Reservation<'_>, Locked> {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() > 50_000 {
            // Bound memory under a spray of usernames or addresses.
            map.retain(|_, e| {
                e.in_flight > 0
                    || now.duration_since(e.window_start) < ACCOUNT_LIMIT.window
                    || e.locked_until.is_some_and(|u| u > now)
            });
        }
        // First pass: expire old windows and find a reason to refuse.
        let mut refusal: Option<Duration> = None;
        for (key, limit) in keys {
            let Some(e) = map.get_mut(*key) else { continue };
            if let Some(until) = e.locked_until {
                if until > now {
                    refusal = refusal.max(Some(until - now));
                    continue;
                }
                e.locked_until = None;
                e.failures = 0;
                e.window_start = now;
            }
            if now.duration_since(e.window_start) >= limit.window {
                e.failures = 0;
                e.window_start = now;
            }
            if e.failures + e.in_flight >= limit.max_failures {
                refusal = refusal.max(Some(IN_FLIGHT_RETRY));
            }
        }
        if let Some(wait) = refusal {
            return Err(Locked::after(wait));
        }
        for (key, _) in keys {
            map.entry((*key).to_owned())
                .or_insert(Entry {
                    failures: 0,
                    in_flight: 0,
                    window_start: now,
                    locked_until: None,
                })
                .in_flight += 1;
        }
        Ok(Reservation {
            throttle: self,
            keys: keys.iter().map(|(k, l)| ((*k).to_owned(), *l)).collect(),
            settled: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREE: Limit = Limit {
        max_failures: 3,
        window: Duration::from_secs(60),
    };

    #[test]
    fn locks_after_limit_and_success_clears() {
        let t = Throttle::default();
        for _ in 0..2 {
            t.reserve(&[("u:a", THREE)]).unwrap().failed();
        }
        t.reserve(&[("u:a", THREE)]).unwrap().succeeded(&["u:a"]);
        for _ in 0..3 {
            t.reserve(&[("u:a", THREE)]).unwrap().failed();
        }
        let locked = t.reserve(&[("u:a", THREE)]).err().unwrap();
        assert!(locked.retry_after_secs > 1 && locked.retry_after_secs <= 60);
        assert!(locked.until > Utc::now() + chrono::Duration::seconds(50));
        assert!(t.reserve(&[("u:b", THREE)]).is_ok());
    }

    #[test]
    fn attempts_in_flight_count_against_the_limit() {
        let t = Throttle::default();
        let held: Vec<_> = (0..3)
            .map(|_| {
                t.reserve(&[("u:a", THREE), ("ip:x", ADDRESS_LIMIT)])
                    .unwrap()
            })
            .collect();
        // A fourth attempt is refused while three are being judged, and reserves nothing.
        let refused = t
            .reserve(&[("u:a", THREE), ("ip:x", ADDRESS_LIMIT)])
            .err()
            .unwrap();
        assert_eq!(refused.retry_after_secs, 1);
        assert_eq!(t.lock()["ip:x"].in_flight, 3);
        // An attempt dropped unsettled gives its place back.
        drop(held);
        assert!(t.reserve(&[("u:a", THREE)]).is_ok());
    }
}
