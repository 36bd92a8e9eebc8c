//! Indexes for the lists at district scale (millions of gate scans, audit rows and passes):
//! each matches a list's filter followed by its order, so a page is a short index range
//! rather than a sort of every matching row.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, table, columns)
const INDEXES: &[(&str, &str, &[&str])] = &[
    // The gate log is newest scan first: (scanned_at, id) descending, per class too.
    (
        "idx_gate_scans_class_scanned",
        "gate_scans",
        &["class_id", "scanned_at", "id"],
    ),
    // Passes and hazards are newest first by id (UUIDv7).
    (
        "idx_leave_passes_status_id",
        "leave_passes",
        &["status", "id"],
    ),
    // A day's passes are listed latest start first.
    (
        "idx_leave_passes_from",
        "leave_passes",
        &["valid_from", "id"],
    ),
    (
        "idx_leave_passes_class_from",
        "leave_passes",
        &["class_id", "valid_from", "id"],
    ),
    ("idx_hazards_status_id", "hazards", &["status", "id"]),
    ("idx_hazards_category_id", "hazards", &["category", "id"]),
    ("idx_hazards_class_id", "hazards", &["class_id", "id"]),
    (
        "idx_audit_entity_type_id",
        "audit_log",
        &["entity_type", "id"],
    ),
    ("idx_audit_action_id", "audit_log", &["action", "id"]),
    ("idx_audit_occurred", "audit_log", &["occurred_at", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Superseded by idx_gate_scans_class_scanned (same leading columns, plus the id).
        manager
            .drop_index(
                Index::drop()
                    .name("idx_gate_scans_class")
                    .table(Alias::new("gate_scans"))
                    .to_owned(),
            )
            .await?;
        for (name, table, cols) in INDEXES {
            let mut idx = Index::create()
                .name(*name)
                .table(Alias::new(*table))
                .to_owned();
            for c in *cols {
                idx.col(Alias::new(*c));
            }
            manager.create_index(idx).await?;
        }
        // Conflicts (two offline gates letting one pass out) and refusals are a small part of
        // the log: partial indexes keep `?conflict=true` and `?result=deny` (with any other
        // filter) an index range however long the log, at no cost to the allowed scans' writes.
        // Same syntax on both databases.
        for sql in [
            "CREATE INDEX idx_gate_scans_conflict ON gate_scans (scanned_at, id) WHERE conflict",
            "CREATE INDEX idx_gate_scans_denied ON gate_scans (scanned_at, id) WHERE result = 'deny'",
        ] {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_gate_scans_conflict", "idx_gate_scans_denied"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(Alias::new("gate_scans"))
                        .to_owned(),
                )
                .await?;
        }
        for (name, table, _) in INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(*name)
                        .table(Alias::new(*table))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_gate_scans_class")
                    .table(Alias::new("gate_scans"))
                    .col(Alias::new("class_id"))
                    .col(Alias::new("scanned_at"))
                    .to_owned(),
            )
            .await
    }
}
