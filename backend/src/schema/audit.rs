//! The audit trail's table, defined beside its writer in `infra::audit`.

pub use crate::infra::audit::model::*;
