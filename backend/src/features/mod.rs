//! The features: each folder holds its routes, handlers, rules and queries.

pub mod api_keys;
pub mod articles;
pub mod attachments;
pub mod audit;
pub mod channels;
pub mod classes;
pub mod duties;
pub mod duty;
pub mod events;
pub mod fire;
pub mod gate;
pub mod hazards;
pub mod headcount;
pub mod inspections;
pub mod notifications;
pub mod passes;
pub mod patrol;
pub mod plans;
pub mod records;
pub mod school;
pub mod semesters;
pub mod students;
pub mod todo;
pub mod users;
pub mod vehicles;
pub mod visitors;
