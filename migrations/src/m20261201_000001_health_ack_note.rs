//! The office's note when it acknowledges a guard's abnormal health report (what the school
//! doctor was told, what was decided).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HealthReports {
    Table,
    AcknowledgeNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(HealthReports::Table)
                    .add_column(ColumnDef::new(HealthReports::AcknowledgeNote).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(HealthReports::Table)
                    .drop_column(HealthReports::AcknowledgeNote)
                    .to_owned(),
            )
            .await
    }
}
