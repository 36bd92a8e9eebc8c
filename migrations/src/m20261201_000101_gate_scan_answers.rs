//! A gate scan keeps the answer it gave (so a retry gets the first verdict as given) and a
//! fingerprint of the token it was made with (so a client event id replays only for the same
//! caller, token and direction); the caller's last online contact is found by an index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum GateScans {
    Table,
    TokenHash,
    Answer,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(GateScans::Table)
                    .add_column(ColumnDef::new(GateScans::TokenHash).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(GateScans::Table)
                    .add_column(ColumnDef::new(GateScans::Answer).text().null())
                    .to_owned(),
            )
            .await?;
        for sql in [
            "CREATE INDEX idx_gate_scans_user_online ON gate_scans (actor_user_id, received_at) WHERE source = 'online'",
            "CREATE INDEX idx_gate_scans_key_online ON gate_scans (actor_api_key_id, received_at) WHERE source = 'online'",
        ] {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_gate_scans_user_online", "idx_gate_scans_key_online"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(Alias::new("gate_scans"))
                        .to_owned(),
                )
                .await?;
        }
        for col in [GateScans::Answer, GateScans::TokenHash] {
            manager
                .alter_table(
                    Table::alter()
                        .table(GateScans::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
