//! Xiaoan's schema, as an ordered list of migrations. The only place the schema changes;
//! migrations never import the backend's entities, so an old migration never changes meaning.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_foundation;
mod m20261129_000002_gate;
mod m20261129_000003_inspections;
mod m20261129_000004_plans;
mod m20261129_000005_duty;
mod m20261129_000006_records;
mod m20261129_000007_fire;
mod m20261129_000008_patrol;
mod m20261129_000009_platform_assessment;
mod m20261129_000010_scale_indexes;
mod m20261129_000011_incident_class;
mod m20261129_000012_fire_item_retired;
mod m20261201_000001_health_ack_note;
mod m20261201_000101_gate_scan_answers;
mod m20261201_000102_pass_short_code;
mod m20261201_000103_semesters_visitor_decisions;
mod m20261201_000104_sealed_secrets;
mod m20261201_000105_class_attribution;
mod m20261202_000201_plan_revisions;
mod m20261202_000202_roster_marks;
mod m20261202_000301_events;
mod m20261202_000311_channels;
mod m20261202_000401_duties;
mod m20261202_000501_public_articles;
mod m20261202_000502_vehicles;
mod m20261202_000701_headcounts;
mod m20261203_000190_equipment;
mod m20261203_000801_key_actors;
mod m20261203_000801_report_sends;
mod m20261203_001801_notifications;
mod m20261203_190001_rule_pdfs_traffic_posts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_foundation::Migration),
            Box::new(m20261129_000002_gate::Migration),
            Box::new(m20261129_000003_inspections::Migration),
            Box::new(m20261129_000004_plans::Migration),
            Box::new(m20261129_000005_duty::Migration),
            Box::new(m20261129_000006_records::Migration),
            Box::new(m20261129_000007_fire::Migration),
            Box::new(m20261129_000008_patrol::Migration),
            Box::new(m20261129_000009_platform_assessment::Migration),
            Box::new(m20261129_000010_scale_indexes::Migration),
            Box::new(m20261129_000011_incident_class::Migration),
            Box::new(m20261129_000012_fire_item_retired::Migration),
            Box::new(m20261201_000001_health_ack_note::Migration),
            Box::new(m20261201_000101_gate_scan_answers::Migration),
            Box::new(m20261201_000102_pass_short_code::Migration),
            Box::new(m20261201_000103_semesters_visitor_decisions::Migration),
            Box::new(m20261201_000104_sealed_secrets::Migration),
            Box::new(m20261201_000105_class_attribution::Migration),
            Box::new(m20261202_000701_headcounts::Migration),
            Box::new(m20261202_000401_duties::Migration),
            Box::new(m20261202_000501_public_articles::Migration),
            Box::new(m20261202_000502_vehicles::Migration),
            Box::new(m20261202_000201_plan_revisions::Migration),
            Box::new(m20261202_000202_roster_marks::Migration),
            Box::new(m20261202_000301_events::Migration),
            Box::new(m20261202_000311_channels::Migration),
            Box::new(m20261203_190001_rule_pdfs_traffic_posts::Migration),
            Box::new(m20261203_000190_equipment::Migration),
            Box::new(m20261203_000801_key_actors::Migration),
            Box::new(m20261203_000801_report_sends::Migration),
            Box::new(m20261203_001801_notifications::Migration),
        ]
    }
}
