//! The gate's process-wide data, registered as its own `app_data` (not in `AppState`, so that
//! infrastructure knows no feature).

use super::ScanWriter;
use crate::features::passes::KeyCache;

pub struct GateState {
    /// Leave-pass verification keys by kid (immutable per kid, so safe to cache per process).
    pub pass_keys: KeyCache,
    /// SQLite only: the group-commit writer of gate scans (see `ScanWriter`).
    pub scan_writer: Option<ScanWriter>,
}

impl GateState {
    pub fn new(scan_writer: Option<ScanWriter>) -> Self {
        Self {
            pass_keys: KeyCache::default(),
            scan_writer,
        }
    }
}
