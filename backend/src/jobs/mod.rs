//! Background tasks: started, named and stopped in one place.

pub mod cleanup;
