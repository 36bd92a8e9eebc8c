//! The school this installation serves (name, time zone) and the health probes.
//!
//! - `http`: the handlers (the school row is read as is: no rules of its own).

mod http;

pub use crate::schema::school as model;
pub use http::{get_school, health, ready};
