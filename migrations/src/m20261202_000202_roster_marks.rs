//! Who marked a duty roster reported (报送 校办) and when and by whom it was announced to its
//! audience (通报 教师群): the office records both by hand after doing them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DutyRosters {
    Table,
    ReportedBy,
    NotifiedAt,
    NotifiedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(DutyRosters::Table)
                    .add_column(ColumnDef::new(DutyRosters::ReportedBy).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DutyRosters::Table)
                    .add_column(
                        ColumnDef::new(DutyRosters::NotifiedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DutyRosters::Table)
                    .add_column(ColumnDef::new(DutyRosters::NotifiedBy).uuid().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            DutyRosters::ReportedBy,
            DutyRosters::NotifiedAt,
            DutyRosters::NotifiedBy,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DutyRosters::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
