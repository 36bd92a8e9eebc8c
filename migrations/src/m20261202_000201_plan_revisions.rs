//! Plan revisions: each submission of a semester plan stores what was submitted (a snapshot of
//! its sections and monthly items), so the principal is shown what changed since the previous
//! submission from the server, not from a copy kept in one browser.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Plans {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PlanRevisions {
    Table,
    Id,
    PlanId,
    Number,
    SubmittedAt,
    SubmittedBy,
    Snapshot,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlanRevisions::Table)
                    .col(
                        ColumnDef::new(PlanRevisions::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(PlanRevisions::PlanId).uuid().not_null())
                    .col(ColumnDef::new(PlanRevisions::Number).integer().not_null())
                    .col(
                        ColumnDef::new(PlanRevisions::SubmittedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(PlanRevisions::SubmittedBy).uuid().null())
                    .col(ColumnDef::new(PlanRevisions::Snapshot).text().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanRevisions::Table, PlanRevisions::PlanId)
                            .to(Plans::Table, Plans::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanRevisions::Table, PlanRevisions::SubmittedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // One number per submission of a plan; two racing submissions cannot share one.
        manager
            .create_index(
                Index::create()
                    .name("uq_plan_revisions_plan_number")
                    .table(PlanRevisions::Table)
                    .col(PlanRevisions::PlanId)
                    .col(PlanRevisions::Number)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PlanRevisions::Table).to_owned())
            .await
    }
}
