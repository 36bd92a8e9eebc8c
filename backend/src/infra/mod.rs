//! Infrastructure: configuration, database, errors, secrets, clock and dates, pagination,
//! metrics and request plumbing. Imports no feature.

pub mod audit;
pub mod backup;
pub mod clock;
pub mod config;
pub mod db;
pub mod download;
pub mod error;
pub mod error_code;
pub mod hygiene;
pub mod import_limits;
pub mod keys;
pub mod metrics;
pub mod pagination;
pub mod proxy;
pub mod state;
pub mod util;
