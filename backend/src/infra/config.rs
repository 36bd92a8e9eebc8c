//! Settings: defaults that run with zero set-up, then an optional TOML file, then `XIAOAN_*`
//! environment variables, then command-line flags (each layer overrides the one before).

use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// SQLite's `synchronous` level. `full` (the default) fsyncs the WAL at every commit, so a
/// recorded gate exit survives a power cut, not only a crash of the process.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    Normal,
    Full,
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub bind: String,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: `sqlite://<data_dir>/xiaoan.db`.
    pub database_url: Option<String>,
    pub db_max_connections: u32,
    pub sqlite_synchronous: SqliteSync,
    /// HMAC key for access tokens, at least 32 bytes. When unset, one is generated on first
    /// start and kept in `<data_dir>/jwt.key`; replicas behind a load balancer must share it.
    pub jwt_secret: Option<String>,
    /// Key-encryption key (base64, at least 32 bytes) sealing the secrets kept in the database
    /// (pass signing keys, the ID-number hash key). When unset, one is generated on first
    /// start and kept in `<data_dir>/master.key`; replicas must share it.
    pub master_key: Option<String>,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_days: i64,
    /// The school's time zone: calendar dates (a duty day) are local dates in it.
    pub timezone: String,
    /// The built SPA (`frontend/dist`), served at `/` when the directory exists.
    pub frontend_dir: PathBuf,
    /// Reverse proxies whose `X-Forwarded-For` is believed for the client address.
    pub trusted_proxies: Vec<IpAddr>,
    pub log_format: LogFormat,
    /// Load the demo school into an empty database on start.
    pub demo: bool,
    /// Bearer token that opens `/metrics` from anywhere (at least 16 bytes).
    pub metrics_token: Option<String>,
    /// Client addresses that may read `/metrics` without the token (default: loopback).
    pub metrics_allow: Vec<IpAddr>,
    /// Where uploaded photos live; default `<data_dir>/attachments`. Replicas must share it.
    pub attachments_dir: Option<PathBuf>,
    /// Memory (MiB) that the photo decodes in flight may take together, whatever the clients
    /// send; an upload that does not fit waits a few seconds, then gets 429 `uploads_busy`.
    pub upload_decode_memory_mb: u32,
    /// Pixels one user may upload per minute (429 `upload_rate_limited` beyond).
    pub upload_pixels_per_minute: u64,
    /// Bytes (MiB) of photos one user may have stored (413 `attachment_quota_exceeded`).
    pub upload_quota_mb: u64,
    /// How old (hours) the guard phone's cached keys and revocations may get before the scan
    /// page warns that offline verdicts may be stale.
    pub gate_offline_max_age_hours: u32,
    /// An offline scan synced more than this many hours after it was made is refused (and
    /// flagged when the phone let it through): its verdict rested on keys and revocations
    /// that old, and a late claim is how a gate-log time is forged.
    pub gate_offline_sync_max_age_hours: u32,
    /// Where users reach the SPA, e.g. `https://xiaoan.example.edu.cn`: printed into the fire
    /// equipment QR labels. When unset, the request's own scheme and host are used (behind a
    /// proxy, that is whatever the proxy forwards).
    pub public_url: Option<String>,
    /// Raise a `gate.refused` event for every refused gate scan (off by default: refusals are
    /// frequent and mostly harmless, an expired QR shown twice).
    pub events_gate_refused: bool,
    /// How often (seconds) the scheduler looks for time-based events (overdue, missing, missed).
    pub events_scheduler_secs: u64,
    /// Whether channels (webhooks, group robots) may target loopback, private or link-local
    /// addresses. Off: no request goes into the school's network on a subscriber's say-so.
    pub channels_allow_private: bool,
    /// Divides every wait of the channels' retry schedule (1 in production; drills and tests
    /// use more to see three days of retries in seconds).
    pub channels_retry_speedup: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            db_max_connections: 16,
            sqlite_synchronous: SqliteSync::Full,
            jwt_secret: None,
            master_key: None,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_days: 30,
            timezone: "Asia/Shanghai".into(),
            frontend_dir: PathBuf::from("frontend/dist"),
            trusted_proxies: Vec::new(),
            log_format: LogFormat::Pretty,
            demo: false,
            metrics_token: None,
            metrics_allow: vec![
                IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ],
            attachments_dir: None,
            upload_decode_memory_mb: 512,
            upload_pixels_per_minute: 200_000_000,
            upload_quota_mb: 2048,
            gate_offline_max_age_hours: 12,
            // A long weekend offline still syncs.
            gate_offline_sync_max_age_hours: 72,
            public_url: None,
            events_gate_refused: false,
            events_scheduler_secs: 60,
            channels_allow_private: false,
            channels_retry_speedup: 1,
        }
    }
}

impl std::fmt::Debug for Settings {
    // Hand-written so that the JWT secret and database password never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field(
                "database",
                &self.database_url().split(':').next().unwrap_or(""),
            )
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<set>"))
            .field("master_key", &self.master_key.as_ref().map(|_| "<set>"))
            .field("timezone", &self.timezone)
            .field("frontend_dir", &self.frontend_dir)
            .field("demo", &self.demo)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<set>"),
            )
            .field("metrics_allow", &self.metrics_allow)
            .field("attachments_dir", &self.attachments_dir())
            .field("upload_decode_memory_mb", &self.upload_decode_memory_mb)
            .field("upload_pixels_per_minute", &self.upload_pixels_per_minute)
            .field("upload_quota_mb", &self.upload_quota_mb)
            .field(
                "gate_offline_max_age_hours",
                &self.gate_offline_max_age_hours,
            )
            .field(
                "gate_offline_sync_max_age_hours",
                &self.gate_offline_sync_max_age_hours,
            )
            .field("public_url", &self.public_url)
            .field("events_gate_refused", &self.events_gate_refused)
            .field("events_scheduler_secs", &self.events_scheduler_secs)
            .field("channels_allow_private", &self.channels_allow_private)
            .field("channels_retry_speedup", &self.channels_retry_speedup)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {name} is not valid: {message}")]
    Env { name: &'static str, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl Settings {
    /// Defaults, then the TOML file (if any), then the environment.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut settings = match config_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_owned(),
                    message: e.to_string(),
                })?
            }
            None => Settings::default(),
        };
        settings.apply_env(|name| std::env::var(name).ok())?;
        Ok(settings)
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value.trim().parse().map_err(|e: T::Err| ConfigError::Env {
                name,
                message: e.to_string(),
            })
        }
        fn boolean(name: &'static str, value: &str) -> Result<bool, ConfigError> {
            match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" | "" => Ok(false),
                _ => Err(ConfigError::Env {
                    name,
                    message: "expected true or false".into(),
                }),
            }
        }
        if let Some(v) = var("XIAOAN_BIND") {
            self.bind = v;
        }
        if let Some(v) = var("XIAOAN_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = var("XIAOAN_DATABASE_URL").filter(|v| !v.is_empty()) {
            self.database_url = Some(v);
        }
        if let Some(v) = var("XIAOAN_DB_MAX_CONNECTIONS") {
            self.db_max_connections = parse("XIAOAN_DB_MAX_CONNECTIONS", &v)?;
        }
        if let Some(v) = var("XIAOAN_SQLITE_SYNCHRONOUS") {
            self.sqlite_synchronous = match v.trim().to_ascii_lowercase().as_str() {
                "normal" => SqliteSync::Normal,
                "full" => SqliteSync::Full,
                _ => {
                    return Err(ConfigError::Env {
                        name: "XIAOAN_SQLITE_SYNCHRONOUS",
                        message: "expected normal or full".into(),
                    });
                }
            };
        }
        if let Some(v) = var("XIAOAN_JWT_SECRET").filter(|v| !v.is_empty()) {
            self.jwt_secret = Some(v);
        }
        if let Some(v) = var("XIAOAN_MASTER_KEY").filter(|v| !v.is_empty()) {
            self.master_key = Some(v);
        }
        if let Some(v) = var("XIAOAN_ACCESS_TOKEN_TTL_SECS") {
            self.access_token_ttl_secs = parse("XIAOAN_ACCESS_TOKEN_TTL_SECS", &v)?;
        }
        if let Some(v) = var("XIAOAN_REFRESH_TOKEN_TTL_DAYS") {
            self.refresh_token_ttl_days = parse("XIAOAN_REFRESH_TOKEN_TTL_DAYS", &v)?;
        }
        if let Some(v) = var("XIAOAN_TIMEZONE") {
            self.timezone = v;
        }
        if let Some(v) = var("XIAOAN_ATTACHMENTS_DIR").filter(|v| !v.is_empty()) {
            self.attachments_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = var("XIAOAN_UPLOAD_DECODE_MEMORY_MB") {
            self.upload_decode_memory_mb = parse("XIAOAN_UPLOAD_DECODE_MEMORY_MB", &v)?;
        }
        if let Some(v) = var("XIAOAN_UPLOAD_PIXELS_PER_MINUTE") {
            self.upload_pixels_per_minute = parse("XIAOAN_UPLOAD_PIXELS_PER_MINUTE", &v)?;
        }
        if let Some(v) = var("XIAOAN_UPLOAD_QUOTA_MB") {
            self.upload_quota_mb = parse("XIAOAN_UPLOAD_QUOTA_MB", &v)?;
        }
        if let Some(v) = var("XIAOAN_FRONTEND_DIR") {
            self.frontend_dir = PathBuf::from(v);
        }
        if let Some(v) = var("XIAOAN_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| parse("XIAOAN_TRUSTED_PROXIES", s))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = var("XIAOAN_LOG_FORMAT") {
            self.log_format = match v.trim() {
                "json" => LogFormat::Json,
                "pretty" | "" => LogFormat::Pretty,
                _ => {
                    return Err(ConfigError::Env {
                        name: "XIAOAN_LOG_FORMAT",
                        message: "expected pretty or json".into(),
                    });
                }
            };
        }
        if let Some(v) = var("XIAOAN_GATE_OFFLINE_MAX_AGE_HOURS") {
            self.gate_offline_max_age_hours = parse("XIAOAN_GATE_OFFLINE_MAX_AGE_HOURS", &v)?;
        }
        if let Some(v) = var("XIAOAN_GATE_OFFLINE_SYNC_MAX_AGE_HOURS") {
            self.gate_offline_sync_max_age_hours =
                parse("XIAOAN_GATE_OFFLINE_SYNC_MAX_AGE_HOURS", &v)?;
        }
        if let Some(v) = var("XIAOAN_PUBLIC_URL").filter(|v| !v.trim().is_empty()) {
            self.public_url = Some(v.trim().trim_end_matches('/').to_owned());
        }
        if let Some(v) = var("XIAOAN_EVENTS_GATE_REFUSED") {
            self.events_gate_refused = boolean("XIAOAN_EVENTS_GATE_REFUSED", &v)?;
        }
        if let Some(v) = var("XIAOAN_EVENTS_SCHEDULER_SECS") {
            self.events_scheduler_secs = parse("XIAOAN_EVENTS_SCHEDULER_SECS", &v)?;
        }
        if let Some(v) = var("XIAOAN_CHANNELS_ALLOW_PRIVATE") {
            self.channels_allow_private = boolean("XIAOAN_CHANNELS_ALLOW_PRIVATE", &v)?;
        }
        if let Some(v) = var("XIAOAN_CHANNELS_RETRY_SPEEDUP") {
            self.channels_retry_speedup = parse("XIAOAN_CHANNELS_RETRY_SPEEDUP", &v)?;
        }
        if let Some(v) = var("XIAOAN_DEMO") {
            self.demo = boolean("XIAOAN_DEMO", &v)?;
        }
        if let Some(v) = var("XIAOAN_METRICS_TOKEN").filter(|v| !v.is_empty()) {
            self.metrics_token = Some(v);
        }
        if let Some(v) = var("XIAOAN_METRICS_ALLOW") {
            // An empty value allows no address: only the token opens /metrics.
            self.metrics_allow = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| parse("XIAOAN_METRICS_ALLOW", s))
                .collect::<Result<_, _>>()?;
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("xiaoan.db").display()
            ),
        }
    }

    pub fn attachments_dir(&self) -> PathBuf {
        self.attachments_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("attachments"))
    }

    pub fn time_zone(&self) -> Result<chrono_tz::Tz, ConfigError> {
        self.timezone
            .parse()
            .map_err(|_| ConfigError::Invalid(format!("unknown time zone {:?}", self.timezone)))
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.time_zone()?;
        if let Some(secret) = &self.jwt_secret
            && secret.len() < 32
        {
            return Err(ConfigError::Invalid(
                "jwt_secret must be at least 32 bytes".into(),
            ));
        }
        if let Some(key) = &self.master_key {
            crate::infra::keys::MasterKey::from_base64(key)
                .map_err(|e| ConfigError::Invalid(format!("master_key {e}")))?;
        }
        if let Some(token) = &self.metrics_token
            && token.len() < 16
        {
            return Err(ConfigError::Invalid(
                "metrics_token must be at least 16 bytes".into(),
            ));
        }
        if !(60..=24 * 3600).contains(&self.access_token_ttl_secs) {
            return Err(ConfigError::Invalid(
                "access_token_ttl_secs must be between 60 and 86400".into(),
            ));
        }
        if !(1..=24 * 30).contains(&self.gate_offline_max_age_hours) {
            return Err(ConfigError::Invalid(
                "gate_offline_max_age_hours must be between 1 and 720".into(),
            ));
        }
        if !(1..=3600).contains(&self.events_scheduler_secs) {
            return Err(ConfigError::Invalid(
                "events_scheduler_secs must be 1–3600".into(),
            ));
        }
        if !(1..=24 * 30).contains(&self.gate_offline_sync_max_age_hours) {
            return Err(ConfigError::Invalid(
                "gate_offline_sync_max_age_hours must be between 1 and 720".into(),
            ));
        }
        if let Some(url) = &self.public_url {
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if !rest.is_some_and(|r| !r.is_empty() && !r.contains(['/', '?', '#', ' '])) {
                return Err(ConfigError::Invalid(
                    "public_url must be an origin such as https://xiaoan.example.edu.cn (no path)"
                        .into(),
                ));
            }
        }
        if !(1..=365).contains(&self.refresh_token_ttl_days) {
            return Err(ConfigError::Invalid(
                "refresh_token_ttl_days must be between 1 and 365".into(),
            ));
        }
        Ok(())
    }
}

/// JSON bodies above this size get 413 (batch endpoints raise it for themselves).
pub const JSON_LIMIT: usize = 256 * 1024;
/// Raw bodies (CSV imports) above this size get 413.
pub const RAW_LIMIT: usize = 4 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_defaults() {
        let mut s = Settings::default();
        s.apply_env(|name| match name {
            "XIAOAN_BIND" => Some("0.0.0.0:9000".into()),
            "XIAOAN_TRUSTED_PROXIES" => Some("127.0.0.1, ::1".into()),
            "XIAOAN_SQLITE_SYNCHRONOUS" => Some("normal".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.bind, "0.0.0.0:9000");
        assert_eq!(s.trusted_proxies.len(), 2);
        assert_eq!(s.sqlite_synchronous, SqliteSync::Normal);
        assert!(s.database_url().starts_with("sqlite://"));
    }

    #[test]
    fn metrics_access_from_environment() {
        let mut s = Settings::default();
        assert_eq!(s.metrics_allow.len(), 2, "loopback by default");
        s.apply_env(|name| match name {
            "XIAOAN_METRICS_ALLOW" => Some("10.0.0.5, ::1".into()),
            "XIAOAN_METRICS_TOKEN" => Some("short".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.metrics_allow.len(), 2);
        assert!(s.validate().is_err(), "a short metrics token is refused");
        s.apply_env(|name| (name == "XIAOAN_METRICS_ALLOW").then(String::new))
            .unwrap();
        assert!(s.metrics_allow.is_empty(), "empty: token only");
    }

    #[test]
    fn public_url_is_an_origin() {
        let mut s = Settings::default();
        s.apply_env(|name| (name == "XIAOAN_PUBLIC_URL").then(|| " https://x.example.cn/ ".into()))
            .unwrap();
        assert_eq!(s.public_url.as_deref(), Some("https://x.example.cn"));
        assert!(s.validate().is_ok());
        for bad in [
            "x.example.cn",
            "https://",
            "https://x.example.cn/app",
            "ftp://x.cn",
        ] {
            let s = Settings {
                public_url: Some(bad.into()),
                ..Settings::default()
            };
            assert!(s.validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn short_jwt_secret_is_refused() {
        let s = Settings {
            jwt_secret: Some("too-short".into()),
            ..Settings::default()
        };
        assert!(s.validate().is_err());
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let mut s = Settings::default();
        let err = s
            .apply_env(|name| (name == "XIAOAN_DB_MAX_CONNECTIONS").then(|| "many".into()))
            .unwrap_err();
        assert!(err.to_string().contains("XIAOAN_DB_MAX_CONNECTIONS"));
    }
}
