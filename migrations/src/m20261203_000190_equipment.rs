//! The fire registry becomes the school's equipment registry: an item may name a staff
//! account as its responsible person, and an alarm device's check may record whether the
//! alarm reached the receiving end. New item kinds are new stored strings in the existing
//! `kind` column (no change to stored values).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FireItems {
    Table,
    ResponsibleUserId,
}

#[derive(DeriveIden)]
enum FireChecks {
    Table,
    AlarmReached,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(FireItems::Table)
                    .add_column(ColumnDef::new(FireItems::ResponsibleUserId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(FireChecks::Table)
                    .add_column(ColumnDef::new(FireChecks::AlarmReached).boolean().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(FireChecks::Table)
                    .drop_column(FireChecks::AlarmReached)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(FireItems::Table)
                    .drop_column(FireItems::ResponsibleUserId)
                    .to_owned(),
            )
            .await
    }
}
