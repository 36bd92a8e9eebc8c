//! The event outbox: every event is written in the same transaction as the change it reports,
//! so a crash neither loses one nor invents one. `seq` is the readers' cursor, `id` the
//! stable id receivers deduplicate by, and a unique `dedupe_key` makes a time-based event
//! (overdue, missing, missed) fire once even with several replicas racing to raise it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Seq,
    Id,
    Kind,
    Version,
    OccurredAt,
    ClassId,
    SubjectId,
    Payload,
    DedupeKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite: `INTEGER PRIMARY KEY AUTOINCREMENT` (never reuses a number); PostgreSQL:
        // `bigserial`.
        let mut seq = ColumnDef::new(Events::Seq);
        match manager.get_database_backend() {
            sea_orm_migration::sea_orm::DatabaseBackend::Sqlite => seq.integer(),
            _ => seq.big_integer(),
        };
        seq.not_null().auto_increment().primary_key();
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(seq)
                    .col(ColumnDef::new(Events::Id).uuid().not_null().unique_key())
                    .col(ColumnDef::new(Events::Kind).string_len(64).not_null())
                    .col(ColumnDef::new(Events::Version).integer().not_null())
                    .col(
                        ColumnDef::new(Events::OccurredAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Events::ClassId).uuid().null())
                    .col(ColumnDef::new(Events::SubjectId).uuid().null())
                    .col(ColumnDef::new(Events::Payload).text().not_null())
                    .col(
                        ColumnDef::new(Events::DedupeKey)
                            .string_len(200)
                            .null()
                            .unique_key(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_events_kind_seq")
                    .table(Events::Table)
                    .col(Events::Kind)
                    .col(Events::Seq)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await
    }
}
