//! Xiaoan (校安): the school security office's system. The library holds the whole app; the
//! `xiaoan` binary is a thin CLI over it.
//!
//! Layers, inner to outer: `infra` ← `schema` ← `auth` ← `features` ← `reports` ← `app`;
//! `demo` seeds the demo school and `jobs` runs the background tasks.

pub mod app;
pub mod auth;
pub mod demo;
pub mod features;
pub mod infra;
pub mod jobs;
pub mod reports;
pub mod schema;

pub use app::Application;
pub use infra::config::Settings;
