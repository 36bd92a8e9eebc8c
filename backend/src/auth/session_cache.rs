//! A short-lived, per-process cache of access-token session checks, so that a gate phone's
//! every scan does not read its session and user again.
//!
//! On for SQLite only: a SQLite installation is one process, and everything that ends a
//! session or changes a user (sign-out, refresh-token reuse, password change, a user edited
//! by the office) goes through this process and calls [`SessionCache::invalidate`] after its
//! commit, so those take effect at once. PostgreSQL installations may run several replicas
//! that cannot see each other's sign-outs, so there every request reads the session.

use super::extract::CurrentUser;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a check is reused. Bounds staleness if anything changes a session behind this
/// process's back (another process on the same file, a manual SQL edit).
const TTL: Duration = Duration::from_secs(2);
/// Entries kept at most (active sessions of one school are far fewer); beyond, start over.
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    user: CurrentUser,
    session_expires_at: DateTime<Utc>,
    epoch: u64,
    checked_at: Instant,
}

pub struct SessionCache {
    enabled: bool,
    /// Bumped by every invalidation: an entry is good only if read in the current epoch.
    epoch: AtomicU64,
    entries: RwLock<HashMap<Uuid, Entry>>,
}

impl SessionCache {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            epoch: AtomicU64::new(0),
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// Read before the database read whose result is then [`put`](Self::put): a sign-out
    /// committed meanwhile makes the entry stale from the start.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// The user of a session checked within the TTL and not invalidated since.
    pub fn get(&self, session_id: Uuid, user_id: Uuid, now: DateTime<Utc>) -> Option<CurrentUser> {
        if !self.enabled {
            return None;
        }
        let entries = self.entries.read().ok()?;
        let e = entries.get(&session_id)?;
        (e.epoch == self.epoch()
            && e.checked_at.elapsed() < TTL
            && e.session_expires_at > now
            && e.user.id == user_id)
            .then(|| e.user.clone())
    }

    pub fn put(&self, epoch: u64, user: &CurrentUser, session_expires_at: DateTime<Utc>) {
        if !self.enabled || epoch != self.epoch() {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(
                user.session_id,
                Entry {
                    user: user.clone(),
                    session_expires_at,
                    epoch,
                    checked_at: Instant::now(),
                },
            );
        }
    }

    /// Forget every check. Call after committing anything that ends a session or changes a
    /// user's role, name or state.
    pub fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::roles::Role;

    fn user() -> CurrentUser {
        CurrentUser {
            id: Uuid::now_v7(),
            username: "guard1".into(),
            display_name: "门卫".into(),
            role: Role::Guard,
            session_id: Uuid::now_v7(),
        }
    }

    #[test]
    fn an_invalidation_ends_cached_checks_and_checks_read_before_it() {
        let cache = SessionCache::new(true);
        let u = user();
        let later = Utc::now() + chrono::Duration::hours(1);
        let epoch = cache.epoch();
        cache.put(epoch, &u, later);
        assert_eq!(
            cache.get(u.session_id, u.id, Utc::now()).map(|c| c.id),
            Some(u.id)
        );
        // Another user presenting this session id is not served.
        assert!(
            cache
                .get(u.session_id, Uuid::now_v7(), Utc::now())
                .is_none()
        );
        // A read that began before a sign-out is not cached after it.
        let before = cache.epoch();
        cache.invalidate();
        assert!(cache.get(u.session_id, u.id, Utc::now()).is_none());
        cache.put(before, &u, later);
        assert!(cache.get(u.session_id, u.id, Utc::now()).is_none());
    }

    #[test]
    fn expired_sessions_and_a_disabled_cache_are_not_served() {
        let u = user();
        let cache = SessionCache::new(true);
        cache.put(cache.epoch(), &u, Utc::now() - chrono::Duration::seconds(1));
        assert!(cache.get(u.session_id, u.id, Utc::now()).is_none());
        let off = SessionCache::new(false);
        off.put(off.epoch(), &u, Utc::now() + chrono::Duration::hours(1));
        assert!(off.get(u.session_id, u.id, Utc::now()).is_none());
    }
}
