//! Sign-in throttling: too many failures for one account or from one address within a window
//! lock further attempts for a while (429 with Retry-After).
//!
//! Per process: with several replicas each counts on its own, so an attacker spread over N
//! replicas gets N times the attempts. Sticky load balancing or a shared store would close that.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max_failures: u32,
    pub window: Duration,
}

pub const ACCOUNT_LIMIT: Limit = Limit {
    max_failures: 5,
    window: Duration::from_secs(15 * 60),
};
pub const ADDRESS_LIMIT: Limit = Limit {
    max_failures: 20,
    window: Duration::from_secs(15 * 60),
};

struct Entry {
    failures: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
}

#[derive(Default)]
pub struct Throttle {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Throttle {
    /// `Err(seconds)` while the key is locked.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key).and_then(|e| e.locked_until) {
            Some(until) if until > now => Err((until - now).as_secs() + 1),
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, key: &str, limit: Limit) {
        let now = Instant::now();
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 50_000 {
            // Bound memory under a spray of usernames or addresses.
            map.retain(|_, e| {
                now.duration_since(e.window_start) < limit.window
                    || e.locked_until.is_some_and(|u| u > now)
            });
        }
        let entry = map.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            window_start: now,
            locked_until: None,
        });
        if now.duration_since(entry.window_start) >= limit.window
            && entry.locked_until.is_none_or(|u| u <= now)
        {
            entry.failures = 0;
            entry.window_start = now;
            entry.locked_until = None;
        }
        entry.failures += 1;
        if entry.failures >= limit.max_failures {
            entry.locked_until = Some(now + limit.window);
        }
    }

    pub fn reset(&self, key: &str) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_limit_and_reset_clears() {
        let t = Throttle::default();
        let limit = Limit {
            max_failures: 3,
            window: Duration::from_secs(60),
        };
        for _ in 0..2 {
            t.record_failure("u:a", limit);
            assert!(t.check("u:a").is_ok());
        }
        t.record_failure("u:a", limit);
        let retry = t.check("u:a").unwrap_err();
        assert!(retry > 0 && retry <= 61);
        assert!(t.check("u:b").is_ok());
        t.reset("u:a");
        assert!(t.check("u:a").is_ok());
    }
}
