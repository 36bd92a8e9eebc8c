//! Semesters as data (the school defines them; "now" is the one containing today), each plan
//! linked to its semester, and a visit's outcome at the gate (admitted, refused, or waiting for
//! the security office's decision, with who decided and why).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Semesters {
    Table,
    Id,
    Code,
    Name,
    StartsOn,
    EndsOn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Plans {
    Table,
    SemesterId,
}

#[derive(DeriveIden)]
enum Visitors {
    Table,
    Status,
    DecidedBy,
    DecidedAt,
    DecisionReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Semesters::Table)
                    .col(
                        ColumnDef::new(Semesters::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Semesters::Code).string_len(32).not_null())
                    .col(ColumnDef::new(Semesters::Name).string_len(100).not_null())
                    // Local calendar dates `YYYY-MM-DD`, like the plans' dates.
                    .col(
                        ColumnDef::new(Semesters::StartsOn)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Semesters::EndsOn).string_len(10).not_null())
                    .col(
                        ColumnDef::new(Semesters::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Semesters::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_semesters_code")
                    .table(Semesters::Table)
                    .col(Semesters::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_semesters_starts_on")
                    .table(Semesters::Table)
                    .col(Semesters::StartsOn)
                    .to_owned(),
            )
            .await?;
        // SQLite cannot add a foreign key to an existing table; the service keeps the link
        // (a semester with plans cannot be deleted).
        manager
            .alter_table(
                Table::alter()
                    .table(Plans::Table)
                    .add_column(ColumnDef::new(Plans::SemesterId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_plans_semester_id")
                    .table(Plans::Table)
                    .col(Plans::SemesterId)
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Visitors::Table)
                    .add_column(
                        ColumnDef::new(Visitors::Status)
                            .string_len(16)
                            .not_null()
                            .default("admitted"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Visitors::Table)
                    .add_column(ColumnDef::new(Visitors::DecidedBy).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Visitors::Table)
                    .add_column(
                        ColumnDef::new(Visitors::DecidedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Visitors::Table)
                    .add_column(ColumnDef::new(Visitors::DecisionReason).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            Visitors::DecisionReason,
            Visitors::DecidedAt,
            Visitors::DecidedBy,
            Visitors::Status,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Visitors::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_plans_semester_id")
                    .table(Plans::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Plans::Table)
                    .drop_column(Plans::SemesterId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Semesters::Table).to_owned())
            .await
    }
}
