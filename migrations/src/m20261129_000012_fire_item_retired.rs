//! A fire-equipment item can be retired (replaced, removed): it leaves the board, the labels
//! and the monthly checks, and stays in the registry with its history.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FireItems {
    Table,
    RetiredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(FireItems::Table)
                    .add_column(
                        ColumnDef::new(FireItems::RetiredAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(FireItems::Table)
                    .drop_column(FireItems::RetiredAt)
                    .to_owned(),
            )
            .await
    }
}
