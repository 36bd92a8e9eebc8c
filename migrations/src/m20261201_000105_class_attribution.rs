//! A hazard or incident attributed to a class by someone other than that class's teacher or
//! the office stays pending (`class_pending`) until the office confirms it: a pending
//! attribution does not count in the class assessment.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Hazards {
    Table,
    ClassPending,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    ClassPending,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Existing attributions were accepted when made: they stay counted.
        manager
            .alter_table(
                Table::alter()
                    .table(Hazards::Table)
                    .add_column(
                        ColumnDef::new(Hazards::ClassPending)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(
                        ColumnDef::new(Incidents::ClassPending)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Hazards::Table)
                    .drop_column(Hazards::ClassPending)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .drop_column(Incidents::ClassPending)
                    .to_owned(),
            )
            .await
    }
}
