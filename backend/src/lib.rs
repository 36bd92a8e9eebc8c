//! Xiaoan (校安): the school security office's system. The library holds the whole app; the
//! `xiaoan` binary is a thin CLI over it.

pub mod api_keys;
pub mod app;
pub mod assessment;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod classes;
pub mod cleanup;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod download;
pub mod duty;
pub mod error;
pub mod fire;
pub mod gate;
pub mod hazards;
pub mod hygiene;
pub mod import_limits;
pub mod inspections;
pub mod keys;
pub mod ledger;
pub mod methods;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod passes;
pub mod patrol;
pub mod plans;
pub mod platform;
pub mod proxy;
pub mod records;
pub mod school;
pub mod semesters;
pub mod spa;
pub mod state;
pub mod students;
pub mod users;
pub mod util;
pub mod visitors;

pub use app::Application;
pub use config::Settings;
