//! An incident may name the class whose students were involved, so the class assessment can
//! count incidents per class. Optional: most incidents (an intruder at the fence) have no class.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Incidents {
    Table,
    ClassId,
    OccurredAt,
}

const INDEX: &str = "idx_incidents_class_occurred";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A column-level REFERENCES works in `ALTER TABLE … ADD COLUMN` on SQLite and
        // PostgreSQL alike (SQLite cannot add a table-level foreign key to an existing table).
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(
                        ColumnDef::new(Incidents::ClassId)
                            .uuid()
                            .null()
                            .extra("REFERENCES classes (id)"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Incidents::Table)
                    .col(Incidents::ClassId)
                    .col(Incidents::OccurredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Incidents::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .drop_column(Incidents::ClassId)
                    .to_owned(),
            )
            .await
    }
}
