//! Integration keys that write records a person otherwise writes (a sensor reporting a hazard,
//! a visitor kiosk): the key is named beside the person column, which then holds the office
//! account that created the key (answerable for it, and what the foreign keys require).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Hazards {
    Table,
    ReportedByApiKeyId,
}

#[derive(DeriveIden)]
enum HazardEvents {
    Table,
    ActorApiKeyId,
}

#[derive(DeriveIden)]
enum Visitors {
    Table,
    CheckedInByApiKeyId,
}

#[derive(DeriveIden)]
enum ExpectedVisitors {
    Table,
    CreatedByApiKeyId,
}

fn add(table: impl IntoIden, col: impl IntoIden) -> TableAlterStatement {
    Table::alter()
        .table(table)
        .add_column(ColumnDef::new(col).uuid().null())
        .to_owned()
}

fn drop(table: impl IntoIden, col: impl IntoIden) -> TableAlterStatement {
    Table::alter().table(table).drop_column(col).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        manager
            .alter_table(add(Hazards::Table, Hazards::ReportedByApiKeyId))
            .await?;
        manager
            .alter_table(add(HazardEvents::Table, HazardEvents::ActorApiKeyId))
            .await?;
        manager
            .alter_table(add(Visitors::Table, Visitors::CheckedInByApiKeyId))
            .await?;
        manager
            .alter_table(add(
                ExpectedVisitors::Table,
                ExpectedVisitors::CreatedByApiKeyId,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(drop(Hazards::Table, Hazards::ReportedByApiKeyId))
            .await?;
        manager
            .alter_table(drop(HazardEvents::Table, HazardEvents::ActorApiKeyId))
            .await?;
        manager
            .alter_table(drop(Visitors::Table, Visitors::CheckedInByApiKeyId))
            .await?;
        manager
            .alter_table(drop(
                ExpectedVisitors::Table,
                ExpectedVisitors::CreatedByApiKeyId,
            ))
            .await
    }
}
